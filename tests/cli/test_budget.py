"""The time budget per rule file (--timeout, certify/budget.py) and the eager loading of data files.

A budget that runs out gives an honest INCONCLUSIVE naming the step that ran out of time (exit 3), within seconds,
never a hang and never a verdict it did not reach; verdicts reached before it stay as they are. A bad W0 / bias file
is an input error (exit 2) in every subcommand, whether or not a claim needs the network.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import certify.check
from certify import budget
from certify.search import derive, falsify
from certify.budget import BudgetExceeded
from certify.check import check_rule
from certify.cli.main import main
from certify.lang.rule import Rule
from certify.verdict import Verdict

ROOT = Path(__file__).resolve().parents[2]
SLOW = 30.0          # what a monkeypatched step would take without a budget

DECAY = '''[rule]
name = "decay"
dW = "-gamma*W - k*r*r.T"

[parameters]
gamma = ">= 0"
k = [0, 2]

[activity]
r = [-1, 1]
'''


def _rule(tmp_path: Path, text: str = DECAY, name: str = "r.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _run(argv, capsys) -> tuple[int, str, float]:
    capsys.readouterr()
    t0 = time.perf_counter()
    code = main([str(a) for a in argv])
    seconds = time.perf_counter() - t0
    out = capsys.readouterr()
    return code, out.out + out.err, seconds


def _sleep(*args, **kwargs):
    time.sleep(SLOW)
    raise AssertionError("the budget did not stop the step")


# -- the budget ends a slow step in an honest INCONCLUSIVE -------------------------------------------------------

def test_slow_counterexample_search_is_inconclusive_naming_the_step(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(falsify, "search", _sleep)
    path = _rule(tmp_path, DECAY + '\n[claim]\nmeasure = "linf"\nbound = "nonincreasing"\n')
    code, out, seconds = _run(["check", path, "--timeout", "1"], capsys)
    assert code == 3 and seconds < 5, (code, seconds, out)
    assert "INCONCLUSIVE" in out
    assert "time budget of 1 s ran out during the counterexample search (falsify) for linf nonincreasing" in out


def test_slow_derivation_json_reason(tmp_path, capsys, monkeypatch):
    def slow_propose(rule, claim):
        time.sleep(SLOW)
        yield from ()
    monkeypatch.setattr(derive, "propose", slow_propose)
    path = _rule(tmp_path, DECAY + '\n[claim]\nmeasure = "l2"\nbound = "bounded"\n')
    code, out, seconds = _run(["check", path, "--timeout", "0.5", "--format", "json"], capsys)
    assert code == 3 and seconds < 5
    (doc,) = json.loads(out)
    assert doc["verdict"] == "inconclusive"
    (claim,) = doc["results"]
    assert claim["verdict"] == "inconclusive"
    assert claim["reasons"] == ["time budget of 0.5 s ran out during the derivation (derive) for l2 bounded"]


def test_slow_kernel_call_is_inconclusive(tmp_path, capsys, monkeypatch):
    """The kernel is not modified: a budget running out inside a kernel call makes that claim INCONCLUSIVE."""
    monkeypatch.setattr(certify.check, "check_proof", _sleep)
    path = _rule(tmp_path, DECAY + '\n[claim]\nmeasure = "l2"\nbound = "nonincreasing"\n')
    code, out, seconds = _run(["explain", path, "--timeout", "1"], capsys)
    assert code == 3 and seconds < 5
    assert "time budget of 1 s ran out during the kernel check of the" in out and "for l2 nonincreasing" in out


def test_explore_claims_after_the_budget_are_not_started(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(falsify, "search", _sleep)
    path = _rule(tmp_path, '[rule]\nname = "hebb"\ndW = "k*r*r.T"\n[parameters]\nk = "> 0"\n[activity]\n'
                           'r = [-1, 1]\n')   # nothing certifies: every claim reaches the counterexample search
    code, out, seconds = _run(["check", path, "--timeout", "1", "--format", "json"], capsys)
    assert code == 3 and seconds < 5
    reasons = [r["reasons"][-1] for r in json.loads(out)[0]["results"]]
    assert reasons[0] == "time budget of 1 s ran out during the counterexample search (falsify) for l1 nonincreasing"
    assert all(r.startswith("the derivation (derive) for ") and " not started: the time budget of 1 s ran out "
               "during the counterexample search (falsify) for l1 nonincreasing" in r for r in reasons[1:])


def test_a_swallowed_alarm_comes_again(tmp_path, monkeypatch):
    """Search code that catches even BaseException once does not defeat the budget: the alarm repeats."""
    def swallowing(*args, **kwargs):
        try:
            time.sleep(SLOW)
        except BaseException:   # noqa: BLE001 -- the point of the test
            pass
        time.sleep(SLOW)
        raise AssertionError("the budget did not stop the step")
    monkeypatch.setattr(falsify, "search", swallowing)
    rule = Rule.from_file(_rule(tmp_path, DECAY + '\n[claim]\nmeasure = "linf"\nbound = "nonincreasing"\n'))
    t0 = time.perf_counter()
    rep = check_rule(rule, timeout=0.5)
    assert time.perf_counter() - t0 < 4
    assert rep.verdict is Verdict.INCONCLUSIVE
    assert "ran out during the counterexample search (falsify)" in rep.results[0].reasons[-1]


def test_except_exception_does_not_swallow_the_budget():
    assert not issubclass(BudgetExceeded, Exception)
    with budget.limit(0.2):
        with pytest.raises(BudgetExceeded):
            with budget.stage("a step"):
                try:
                    time.sleep(SLOW)
                except Exception:   # noqa: BLE001 -- what search code does
                    pass


def test_catalog_rule_with_a_slow_network_search_subprocess():
    """The real command on a real slow rule (the refutation takes about 4 s): --timeout 1 ends in < 5 s, exit 3."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "certify", "check", "rules/hebbian-sequence-strong.toml",
                           "--timeout", "1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 3 and seconds < 5, (proc.returncode, seconds, proc.stdout, proc.stderr)
    assert "time budget of 1 s ran out during the network search" in proc.stdout
    assert "for l2 contracting" in proc.stdout and "REFUTED" not in proc.stdout


# -- verdicts reached before the budget ran out stay as they are ----------------------------------------------

def test_certified_before_expiry_stays_certified(tmp_path, monkeypatch):
    rule = Rule.from_file(_rule(tmp_path, '[rule]\nname = "d"\ndW = "-gamma*W"\n[parameters]\ngamma = ">= 0"\n'))
    before = check_rule(rule)                      # no budget: certified in every norm
    first = before.results[0]
    assert first.claim.measure == "l1" and first.verdict is Verdict.CERTIFIED
    real = derive.propose

    def slow_after_l1(rule, claim):
        if claim.measure != "l1":
            time.sleep(SLOW)
        yield from real(rule, claim)
    monkeypatch.setattr(derive, "propose", slow_after_l1)
    t0 = time.perf_counter()
    after = check_rule(rule, timeout=1)
    assert time.perf_counter() - t0 < 4
    assert after.results[0] == first               # the same kernel certificate, untouched
    assert after.verdict is Verdict.CERTIFIED      # explored: some bound certified in some norm
    assert all(r.verdict is Verdict.INCONCLUSIVE for r in after.results[1:])
    assert "time budget of 1 s ran out during the derivation (derive) for l2 nonincreasing" in \
        after.results[1].reasons[-1]


def test_stated_claim_certified_then_laws_run_out(monkeypatch):
    """A certified stated claim stays certified; the laws not decided make the file inconclusive, never refuted."""
    import certify.search.laws
    rule = Rule.from_file(ROOT / "rules" / "memory-weak-relu.toml")   # contracting (certified) + [energy]
    monkeypatch.setattr(certify.search.laws, "decide_laws", _sleep)
    rep = check_rule(rule, timeout=1)
    assert all(r.verdict is Verdict.CERTIFIED for r in rep.results)
    assert rep.verdict is Verdict.INCONCLUSIVE
    law_results = [r for law in rep.laws for r in law.results]
    assert law_results and all(r.verdict is Verdict.INCONCLUSIVE for r in law_results)
    assert "time budget of 1 s ran out during the declared laws" in law_results[0].reason


def test_refuted_before_expiry_stays_refuted(tmp_path, monkeypatch):
    path = _rule(tmp_path, DECAY + '\n[claim]\nmeasure = "linf"\nbound = "nonincreasing"\n')
    rule = Rule.from_file(path)
    plain = check_rule(rule)
    assert plain.verdict is Verdict.REFUTED
    assert check_rule(rule, timeout=60).results == plain.results    # a budget that does not run out changes nothing


def test_no_budget_outside_the_main_thread(tmp_path, monkeypatch):
    """Signals only reach the main thread: elsewhere check_rule runs without a budget (to the end)."""
    real = falsify.search

    def slow(rule, claim):
        time.sleep(0.6)
        return real(rule, claim)
    monkeypatch.setattr(falsify, "search", slow)
    rule = Rule.from_file(_rule(tmp_path, DECAY + '\n[claim]\nmeasure = "linf"\nbound = "nonincreasing"\n'))
    out = []
    worker = threading.Thread(target=lambda: out.append(check_rule(rule, timeout=0.2)))
    worker.start()
    worker.join(30)
    assert out and out[0].verdict is Verdict.REFUTED


def test_an_earlier_timer_still_fires(monkeypatch):
    """A SIGALRM timer armed before the budget (a test's deadline) fires at its own time, not after the budget."""
    import signal
    fired = []
    old = signal.signal(signal.SIGALRM, lambda s, f: fired.append(time.monotonic()))
    try:
        t0 = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with budget.limit(5):
            time.sleep(0.6)
        assert fired and fired[0] - t0 < 0.5
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# -- the option ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["check", "explain", "prove", "verify", "memory", "spectrum", "plot"])
def test_every_rule_command_has_timeout_with_a_documented_default(command, capsys):
    assert main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--timeout SECONDS" in text and "default 120; 0 = no limit" in text


@pytest.mark.parametrize("value", ["-1", "abc", "inf", "nan"])
def test_bad_timeout_is_a_usage_error(value, tmp_path, capsys):
    assert main(["check", str(_rule(tmp_path)), "--timeout", value]) == 2


def test_timeout_zero_is_no_limit(tmp_path, capsys, monkeypatch):
    real = falsify.search

    def slow(rule, claim):
        time.sleep(1.2)
        return real(rule, claim)
    monkeypatch.setattr(falsify, "search", slow)
    path = _rule(tmp_path, DECAY + '\n[claim]\nmeasure = "linf"\nbound = "nonincreasing"\n')
    assert main(["check", str(path), "--timeout", "0"]) == 1     # refuted, as without a budget


def test_verify_out_of_time_is_not_verified(tmp_path, capsys, monkeypatch):
    import certify.output.certificate.recheck as recheck   # verify_document calls verify_claim from there
    rules, proofs = tmp_path / "rules", tmp_path / "proofs"
    rules.mkdir()
    _rule(rules, DECAY + '\n[claim]\nmeasure = "l2"\nbound = "nonincreasing"\n')
    assert main(["prove", str(rules), "--out", str(proofs), "--no-latex", "-q"]) == 0
    assert main(["verify", str(proofs)]) == 0
    monkeypatch.setattr(recheck, "verify_claim", _sleep)
    code, out, seconds = _run(["verify", proofs, "--timeout", "1"], capsys)
    assert code == 1 and seconds < 5
    assert "FAILED" in out and "VERIFIED" not in out.replace("0 verified", "")
    assert "not verified: time budget of 1 s ran out during the kernel re-check of" in out


def test_memory_and_spectrum_out_of_time(capsys, monkeypatch):
    import certify.families.memory
    import certify.families.spectra
    monkeypatch.setattr(certify.families.memory, "analyze", _sleep)
    code, out, seconds = _run(["memory", ROOT / "rules" / "memory-weak-relu.toml", "--timeout", "0.5"], capsys)
    assert code == 3 and seconds < 5 and "INCONCLUSIVE: time budget of 0.5 s ran out during the associative" in out
    monkeypatch.setattr(certify.families.spectra, "spectral_report", _sleep)
    code, out, seconds = _run(["spectrum", ROOT / "rules" / "memory-weak-relu.toml", "--timeout", "0.5"], capsys)
    assert code == 3 and seconds < 5 and "INCONCLUSIVE: time budget of 0.5 s ran out during the spectral" in out


# -- eager loading: a bad data file is an input error in every subcommand --------------------------------------

@pytest.fixture
def complex_w0(tmp_path) -> Path:
    np.save(tmp_path / "W0.npy", np.array([[1 + 1j, 0], [0, 1]]))
    return _rule(tmp_path, '[rule]\nname = "cplx"\ndW = "-W"\n\n[network]\nform = "H"\nactivation = "tanh"\n'
                           'W0 = "W0.npy"\n')


@pytest.mark.parametrize("argv", [["check"], ["explain"], ["check", "--format", "json"], ["check", "--measure", "l1"],
                                  ["prove", "--out", "{tmp}/proofs"], ["memory"], ["spectrum"], ["plot", "--kind",
                                                                                                  "measure"]])
def test_complex_w0_without_a_network_claim_is_an_input_error(argv, complex_w0, capsys, tmp_path):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, seconds = _run([argv[0], complex_w0, *argv[1:]], capsys)
    assert code == 2, out
    assert "complex values are not allowed" in out and "W0" in out


def test_check_rule_loads_the_network_up_front(complex_w0):
    from certify.errors import InputError
    with pytest.raises(InputError, match="complex"):
        check_rule(Rule.from_file(complex_w0), measure="l1", bound="nonincreasing")
