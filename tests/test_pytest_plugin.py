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
    # one item per documented claim: test_plain + 2 (anti-hebbian-decay) + 3 (decay-only); wrong.toml's one fails
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["*rules/decay-only.toml::decay-only?l2-nonincreasing? PASSED*",
                                 "*wrong?l2-nonincreasing? FAILED*",
                                 "*l2 nonincreasing: documented certified, got refuted*"])
    run(pytester, "tests").assert_outcomes(passed=1)   # explicit paths: only what was asked for


def test_one_item_per_claim_so_k_selects_claims(pytester):
    root = lab(pytester, 'testpaths = ["tests"]\ncertify_rules = ["rules"]\n')
    (root / "rules" / "wrong.toml").write_text(WRONG)
    result = run(pytester, "-v", "-k", "linf")
    result.assert_outcomes(passed=2)        # the linf claims of anti-hebbian-decay and decay-only, nothing else
    result.stdout.fnmatch_lines(["*anti-hebbian-decay?linf-nonincreasing? PASSED*"])
    run(pytester, "-k", "wrong").assert_outcomes(failed=1)


def test_last_failed_reruns_only_the_failing_claim(pytester):
    """--lf (pytest's cache) works on claim items: after a run with one wrong claim, only that claim runs again."""
    root = lab(pytester, 'testpaths = ["tests"]\ncertify_rules = ["rules"]\n')
    (root / "rules" / "wrong.toml").write_text(WRONG)
    first = pytester.runpytest(*PLUGIN)
    first.assert_outcomes(failed=1, passed=first.parseoutcomes()["passed"])
    again = pytester.runpytest(*PLUGIN, "--lf", "-v")
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines(["*wrong.toml::wrong?l2-nonincreasing? FAILED*"])
    assert "PASSED" not in again.stdout.str()


def test_a_rule_without_claims_is_one_explore_item_and_a_bad_rule_one_failing_item(pytester):
    root = lab(pytester, 'testpaths = ["tests"]\ncertify_rules = ["rules"]\n')
    (root / "rules" / "free.toml").write_text('[rule]\nname = "free"\ndW = "-W"\n')
    (root / "rules" / "bad.toml").write_text('[rule]\nname = "bad"\ndW = "-W +"\n')
    result = run(pytester, "-v", "rules/free.toml", "rules/bad.toml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*free.toml::free?explore? PASSED*", "*bad.toml::bad FAILED*"])


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
