"""The pre-commit hooks this repository publishes (.pre-commit-hooks.yaml) are well formed and run as documented."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from certify.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def _hooks() -> list[dict]:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def test_hooks_are_well_formed_and_named_in_the_docs():
    hooks = _hooks()
    assert [h["id"] for h in hooks] == ["certify-verify", "certify-check-expect"]
    ci = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook) and hook["pass_filenames"] is False
        assert hook["id"] in ci
        argv = shlex.split(hook["entry"])
        assert argv[0] == "certify"
        build_parser().parse_args(argv[1:])      # the command line accepts the hook's arguments


def test_the_verify_hook_passes_on_this_repository(monkeypatch, capsys):
    entry = next(h["entry"] for h in _hooks() if h["id"] == "certify-verify")
    monkeypatch.chdir(ROOT)
    assert main(shlex.split(entry)[1:]) == 0
