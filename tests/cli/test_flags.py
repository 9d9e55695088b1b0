"""One command line: every sub-command offers the same --format / --out / -q / -v, with one meaning each
(certify/cli/common.py), and memory / spectrum / plot report progress on stderr with -v."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from certify.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
MEMORY = str(ROOT / "rules" / "memory-weak-relu.toml")

#: sub-commands that write no files of their own (verify only reads certificates; --junit-xml is its report file)
NO_OUT = {"verify"}
OTHERS: set[str] = set()   # every sub-command follows the shared flags


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {opt: action for action in parser._actions for opt in action.option_strings}


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {name: p for name, p in sub.choices.items() if name not in OTHERS}


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_subcommand_has_the_shared_flags(name):
    opts = _options(_subcommands()[name])
    for flag in ("--format", "-q", "--quiet", "-v", "--verbose"):
        assert flag in opts, f"certify {name} lacks {flag}"
    choices = set(opts["--format"].choices)
    assert {"text", "json"} <= choices or name == "explain", f"certify {name} --format {choices}"
    assert opts["--format"].default == "text"
    if name not in NO_OUT:
        assert "--out" in opts, f"certify {name} lacks --out"
    assert "progress" in opts["-v"].help.lower() or name == "balance"


def test_check_and_explain_offer_the_document_formats():
    subs = _subcommands()
    assert set(_options(subs["check"])["--format"].choices) == {"text", "json", "markdown", "latex"}
    assert set(_options(subs["explain"])["--format"].choices) == {"text", "markdown", "latex"}


def test_memory_progress_on_stderr_with_v_and_silence_with_q(capsys):
    assert main(["memory", "-v", MEMORY]) == 0
    out_v, err_v = capsys.readouterr()
    assert "[1/1]" in err_v and "analysed" in err_v and "[1/1]" not in out_v
    assert main(["memory", "-q", MEMORY]) == 0
    out_q, err_q = capsys.readouterr()
    assert err_q == "" and len(out_q.splitlines()) < len(out_v.splitlines())
    assert main(["memory", "--format", "json", MEMORY]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "ok"


def test_memory_and_spectrum_out_write_the_report(tmp_path, capsys):
    target = tmp_path / "memory.txt"
    assert main(["memory", MEMORY, "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8").strip() == capsys.readouterr().out.strip()


def test_plot_writes_pdf_into_a_folder_with_progress(tmp_path, capsys):
    rule = str(ROOT / "rules" / "hebbian-decay.toml")
    assert main(["plot", rule, "--kind", "measure", "--trajectories", "2", "--out", str(tmp_path / "m.pdf"),
                 "-v", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    (record,) = json.loads(out)["plots"]
    assert record["file"].endswith("m.pdf") and (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")
    assert "[1/1] measure plot of" in err
    assert main(["plot", rule, "--kind", "measure", "--trajectories", "2", "--out", str(tmp_path), "-q"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path / "hebbian-decay-measure.png") and err == ""
