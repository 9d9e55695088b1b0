"""`certify check DIR --jobs N` and `certify verify DIR --jobs N` run on the sweep's executor and print what the serial
commands print (same verdicts, same order, same exit code)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from certify.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
RULES = ["anti-hebbian.toml", "decay-only.toml", "fixed.toml", "synaptic-balancing-tanh.toml"]


def _run(argv, capsys):
    code = main(argv)
    return code, capsys.readouterr().out


def test_check_with_jobs_matches_the_serial_run(tmp_path, capsys):
    for name in RULES:
        shutil.copy(ROOT / "rules" / name, tmp_path / name)
    serial = _run(["check", str(tmp_path), "--format", "json", "-q"], capsys)
    pooled = _run(["check", str(tmp_path), "--format", "json", "-q", "--jobs", "2"], capsys)
    assert serial[0] == pooled[0]
    strip = lambda items: [{k: v for k, v in item.items() if k not in ("seconds",)} for item in items]  # noqa: E731
    assert strip(json.loads(serial[1])) == strip(json.loads(pooled[1]))


def test_verify_with_jobs_matches_the_serial_run(capsys):
    serial = _run(["verify", str(ROOT / "proofs"), "--format", "json"], capsys)
    pooled = _run(["verify", str(ROOT / "proofs"), "--format", "json", "--jobs", "2"], capsys)
    assert serial[0] == pooled[0] == 0
    assert json.loads(serial[1]) == json.loads(pooled[1])
