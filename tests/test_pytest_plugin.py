"""The pytest plugin (certify/pytest_plugin.py, entry point `pytest11`): rule files and certificates as test
items under the directories named by the ini options `certify_rules` and `certify_proofs`; inert otherwise."""

from __future__ import annotations

import shutil
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from certify.cli.main import main

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
# the plugin is active through its entry point once the package is installed; load it by hand otherwise
INSTALLED = any(ep.value == "certify.pytest_plugin" for ep in entry_points(group="pytest11"))
PLUGIN = [] if INSTALLED else ["-p", "certify.pytest_plugin"]

WRONG = """\
[rule]
name = "wrong"
dW = "k*r*r.T"

[parameters]
k = "> 0"

[activity]
r = [-1, 1]

[expect.l2]
nonincreasing = "certified"
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", *PLUGIN, *args)


def lab(pytester: pytest.Pytester, ini: str) -> Path:
    root = pytester.path
    (root / "rules").mkdir()
    for name in ("decay-only.toml", "anti-hebbian-decay.toml"):
        shutil.copy(RULES / name, root / "rules" / name)
    (root / "tests").mkdir()
    (root / "tests" / "test_plain.py").write_text("def test_plain():\n    pass\n")
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\n" + ini)
    return root


def test_the_entry_point_is_declared():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["pytest11"] == {"certify": "certify.pytest_plugin"}


def test_inert_without_the_ini_options(pytester):
    lab(pytester, 'testpaths = ["tests"]\n')
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result = run(pytester, "rules")            # even when pointed at the rule files
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_rule_files_are_test_items(pytester):
    root = lab(pytester, 'testpaths = ["tests"]\ncertify_rules = ["rules"]\n')
    (root / "rules" / "wrong.toml").write_text(WRONG)
    (root / "rules" / "not-a-rule.toml").write_text("[tool.other]\nx = 1\n")   # ignored: no [rule] table
    result = run(pytester, "-v")
    result.assert_outcomes(passed=3, failed=1)  # test_plain + two catalog rules; wrong.toml fails
    result.stdout.fnmatch_lines(["*rules/decay-only.toml::decay-only PASSED*",
                                 "*documented verdicts not reproduced:*",
                                 "*l2 nonincreasing: expected certified, got refuted*"])
    run(pytester, "tests").assert_outcomes(passed=1)   # explicit paths: only what was asked for


def test_certificates_are_test_items(pytester, capsys):
    root = lab(pytester, 'testpaths = ["tests"]\ncertify_proofs = ["proofs"]\n')
    assert main(["prove", str(root / "rules"), "--out", str(root / "proofs"), "--no-latex"]) == 0
    capsys.readouterr()
    run(pytester).assert_outcomes(passed=3)
    rule = root / "rules" / "anti-hebbian-decay.toml"
    rule.write_text(rule.read_text().replace("k = [0, 2]", "k = [0, 3]"))
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*anti-hebbian-decay.json: STALE*", "*changed since the certificate was made*"])
