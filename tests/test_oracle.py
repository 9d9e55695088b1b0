"""Oracle-checked harness: generated rule files are decided by the real pipeline (Rule.from_text + check_rule) and
every CERTIFIED / REFUTED verdict is confronted with tests/oracle.py, which shares no code with the kernel.

    python -m pytest tests/test_oracle.py -x -q                         # ci profile: fast, derandomized
    HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_oracle.py   # >= 10,000 cases for the main test
    ORACLE_COLLECT=1 ...                                                # record false verdicts, keep going

False verdicts are written as reproducer TOML files under /tmp/oracle_findings/ (ORACLE_FINDINGS overrides).
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings

from certify.check import check_rule
from certify.errors import InputError
from certify.lang.rule import Rule
from certify.verdict import Verdict

try:
    from . import oracle as O
except ImportError:  # tests/ collected as rootdir-relative modules
    import oracle as O  # type: ignore

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# ci: a fast derandomized subset (the whole file in well under a minute on one core); thorough: >= 10,000 cases
MAIN_EXAMPLES = {"ci": 150, "thorough": 10_000}.get(PROFILE, 30)
NET_EXAMPLES = {"ci": 50, "thorough": 3_000}.get(PROFILE, 15)
COLLECT = os.environ.get("ORACLE_COLLECT") == "1"


def _slope_contradicts_activation(case: O.Case) -> bool:
    net = case.network
    return (net is not None and net.activation is not None and net.slope is not None
            and float(net.slope) < net.true_slopes[1])


def decide_and_check(case: O.Case, trials: int = 4) -> tuple[str, list[str]]:
    """Run the real pipeline on the case's TOML text and check its verdict with the oracle."""
    text = case.toml()
    try:
        rule = Rule.from_text(text)
        report = check_rule(rule)
    except InputError as err:
        if _slope_contradicts_activation(case):
            return "error", []   # the declared slope bound contradicts the activation: rejecting it is right
        return "error", [f"a valid generated input was rejected: {err}"]
    result = report.results[0]
    verdict = result.verdict
    rng = np.random.default_rng(case.seed)
    issues: list[str] = []
    if verdict is Verdict.CERTIFIED and result.certificate is not None:
        c = result.certificate
        event(f"certified flow route {c.route}{' (max(mu, 0))' if c.positive_part else ''}")
    if case.bound == "contracting":
        from certify.search.contraction import FixedResult, PlasticResult
        if verdict is Verdict.CERTIFIED:
            if isinstance(result.network, FixedResult):
                issues = O.check_fixed_contraction(case, result.network, rng)
            elif isinstance(result.network, PlasticResult):
                issues = O.check_plastic_contraction(case, result.network, rng)
            else:
                issues = [f"CERTIFIED without a network certificate: {result.network!r}"]
        elif verdict is Verdict.REFUTED:
            if not case.fixed:
                issues = ["REFUTED contraction of a plastic network (refutations are about fixed networks only)"]
            else:
                issues = O.check_network_refutation(case, result.network)
    else:
        if verdict is Verdict.CERTIFIED:
            issues = O.check_flow_certificate(case, result.certificate, rng, trials)
        elif verdict is Verdict.REFUTED:
            issues = O.check_flow_refutation(case, result.refutation)
    return verdict.value, issues


def _judge(case: O.Case, trials: int = 4) -> None:
    verdict, issues = decide_and_check(case, trials)
    event(f"{case.bound}: {verdict}")
    if issues:
        path = O.record(case, verdict, issues)
        if not COLLECT:
            pytest.fail(f"false {verdict.upper()} (reproducer: {path})\n" + "\n".join(issues) + "\n" + case.toml())


@settings(max_examples=MAIN_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=O.any_cases())
def test_every_verdict_agrees_with_the_oracle(case):
    _judge(case)


@settings(max_examples=NET_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=O.network_cases())
def test_network_verdicts_agree_with_the_oracle(case):
    _judge(case, trials=2)


# ---------------------------------------------------------------------------------------------------
# the oracle can fail: a deliberately false bound is flagged


def test_oracle_flags_a_false_flow_bound():
    """Hebbian growth with decay: mu_2(W(t)) <= e^{-gamma t} mu_2(W0) + (1 - e^{-gamma t}) k n / gamma is true and
    tight (r = 1); claiming beta = k n / 4 instead is false and the oracle must say so."""
    case = O.Case([O.make_term("decay", "-", "gamma", "r", "y"), O.make_term("outer", "", "k", "r", "y")],
                  {"gamma": O.Range(1, 1, True, True, "1"), "k": O.Range(1, 1, True, True, "1")},
                  {"r": O.Range(1, 1, True, True, "[1, 1]")}, {}, "l2", "bounded")
    rng = np.random.default_rng(1)
    assert O.flow_bound_violation(case, 1.0, 0.25, "l2", "measure", False, np.random.default_rng(1), trials=6)
    assert not O.flow_bound_violation(case, 1.0, 4.0, "l2", "measure", False, rng, trials=6)  # k n <= 4: true


def test_oracle_flags_a_false_contraction_rate():
    """x' = -x + 1/2 tanh(x) contracts at rate exactly 1/2 in every norm: rate 1/2 passes, rate 0.9 is flagged."""
    from types import SimpleNamespace
    net = O.NetworkSpec("H", "tanh", None, [[Fraction(1, 2)]])
    case = O.Case([O.make_term("decay", "", "0", "r", "y")], {}, {}, {}, "l1", "contracting", network=net)
    ok = SimpleNamespace(best=SimpleNamespace(rate=Fraction(1, 2), norm="weighted-l1 (unit weights)",
                                              data={"eta": ["1.0"], "form": "H"}))
    bad = SimpleNamespace(best=SimpleNamespace(rate=Fraction(9, 10), norm="weighted-l1 (unit weights)",
                                               data={"eta": ["1.0"], "form": "H"}))
    assert not O.check_fixed_contraction(case, ok, np.random.default_rng(0))
    assert O.check_fixed_contraction(case, bad, np.random.default_rng(0))


def test_oracle_flags_a_bogus_equilibrium_box():
    from types import SimpleNamespace
    net = O.NetworkSpec("H", "tanh", None, [[Fraction(1, 2)]])
    case = O.Case([O.make_term("decay", "", "0", "r", "y")], {}, {}, {}, "l1", "contracting", network=net)
    box = SimpleNamespace(lo=("1",), hi=("11/10",))   # x' = -x + tanh(x)/2 has its only zero at 0
    ref = type("UnstableEquilibrium", (SimpleNamespace,), {})(equilibrium=box)
    assert O.check_network_refutation(case, ref)


# ---------------------------------------------------------------------------------------------------
# known false-CERTIFIED cases (being fixed in the kernel): they must not be certified, and nothing they get
# certified may break the oracle


HOLES = {
    # W(t) = e^t W0: mu_1(W(t)) = e^t / 2 > 1 after t = ln 2, and -I + W(t) D is no longer contracting
    "growth": """
[rule]
dW = "W"
[network]
form = "H"
activation = "tanh"
W0 = [[0.5, 0], [0, 0]]
[claim]
measure = "l1"
bound = "contracting"
""",
    # gamma = -1 is admissible: the same exponential growth
    "negative_decay": """
[rule]
dW = "-gamma*W"
[parameters]
gamma = [-1, 1]
[network]
form = "FR"
activation = "tanh"
W0 = [[0.5, 0], [0, 0]]
[claim]
measure = "linf"
bound = "contracting"
""",
    # x' = -x + 1.5 tanh x has three equilibria: the declared slope 1/2 is not tanh's slope 1
    "declared_slope": """
[rule]
dW = "0*W"
[network]
activation = "tanh"
slope = [0, 0.5]
W0 = [[1.5]]
[claim]
measure = "l1"
bound = "contracting"
""",
}


def _hole_not_certified(text: str) -> None:
    try:
        report = check_rule(Rule.from_text(text))
    except InputError:
        return   # rejecting the contradictory input is a correct answer
    assert report.verdict is not Verdict.CERTIFIED, f"false CERTIFIED: {report.results[0].summary}"


def test_known_hole_growth_dW_equals_W():
    _hole_not_certified(HOLES["growth"])


def test_known_hole_negative_decay_range():
    _hole_not_certified(HOLES["negative_decay"])


def test_known_hole_declared_slope_below_tanh():
    _hole_not_certified(HOLES["declared_slope"])


def test_known_hole_oracle_sees_them():
    """The oracle itself breaks the false certificates (independently of what the kernel now says)."""
    from types import SimpleNamespace
    net = O.NetworkSpec("H", "tanh", None, [[Fraction(3, 2)]])
    case = O.Case([O.make_term("decay", "", "0", "r", "y")], {}, {}, {}, "l1", "contracting", network=net)
    false_fixed = SimpleNamespace(best=SimpleNamespace(rate=Fraction(1, 4), norm="weighted-l1 (unit weights)",
                                                       data={"eta": ["1.0"], "form": "H"}))
    assert O.check_fixed_contraction(case, false_fixed, np.random.default_rng(0))
    grow = O.Case([O.make_term("decay", "", "1", "r", "y")], {}, {}, {}, "l1", "contracting",
                  network=O.NetworkSpec("H", "tanh", None, [[Fraction(1, 2), 0], [0, 0]]))
    false_plastic = SimpleNamespace(claim=SimpleNamespace(measure="l1", bound="nonincreasing"), T=Fraction(0),
                                    c_all=Fraction(1, 2), c_after=Fraction(1, 2))
    assert O.check_plastic_contraction(grow, false_plastic, np.random.default_rng(0))
