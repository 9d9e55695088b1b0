"""The issue's must-show cases, decided through the library and confronted with simulations."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from certify.check import check_rule
from certify.kernel.objects import N
from certify.search.measures import mu
from certify.lang.rule import Rule
from certify.search.simulate import simulate
from certify.verdict import Verdict

ANTI = Rule.create("-gamma*W - k*r*r.T", parameters={"gamma": ">= 0", "k": ">= 0"}, activity={"r": [-1, 1]})


def test_anti_hebbian_l2_nonincreasing_certified_for_every_n():
    res = check_rule(ANTI, measure="l2", bound="nonincreasing").results[0]
    assert res.verdict is Verdict.CERTIFIED
    cert = res.certificate
    assert cert.beta == 0 and cert.gamma == sp.Symbol("gamma", real=True)
    assert N not in cert.beta.free_symbols  # nothing depends on the network size
    assert [s.lemma for s in cert.steps] == ["split", "l2-neg-gram", "subadditivity", "measure-flow", "gronwall"]


def test_anti_hebbian_linf_refuted_with_exact_witness():
    res = check_rule(ANTI, measure="linf", bound="nonincreasing").results[0]
    assert res.verdict is Verdict.REFUTED
    w = res.refutation.witness
    assert all(x == 0 for row in w.W0 for x in row)
    r = np.array([float(x) for x in w.activity["r"]])
    G = -float(w.parameters["k"]) * np.outer(r, r)
    assert mu(G, "linf") == pytest.approx(float(res.refutation.lower))
    assert res.refutation.lower > 0 == res.refutation.allowed


def test_the_issue_witness_n3_r1_violates_linf():
    """The issue's example: n = 3, r = 1, W0 = 0, k = 1 gives mu_inf(W'(0)) = 1 > 0."""
    from fractions import Fraction as F
    from certify.kernel.objects import Claim, Witness
    from certify.kernel.verify import check_witness
    w = Witness(Claim("linf", "nonincreasing"), "derivative", 3, {"gamma": F(0), "k": F(1)},
                ((0, 0, 0),) * 3, {"r": (1, 1, 1)})
    assert check_witness(ANTI.dW, ANTI.assumptions(), w).lower == 1


def test_hebbian_l2_nonincreasing_refuted_and_bounded_with_decay():
    heb = Rule.create("k*r*r.T", parameters={"k": "> 0"}, activity={"r": [-1, 1]})
    assert check_rule(heb, measure="l2", bound="nonincreasing").verdict is Verdict.REFUTED
    assert check_rule(heb, measure="l2", bound="bounded").verdict is Verdict.REFUTED
    dec = Rule.create("-gamma*W + k*r*r.T", parameters={"gamma": "> 0", "k": "> 0"}, activity={"r": [-1, 1]})
    res = check_rule(dec, measure="l2", bound="bounded").results[0]
    assert res.verdict is Verdict.CERTIFIED
    k, gamma = sp.symbols("k gamma", real=True)
    assert sp.simplify(res.certificate.beta - k * N) == 0 and res.certificate.gamma == gamma
    # gamma >= 0 admits gamma = 0, where Hebbian growth is unbounded: refuted, not certified
    weak = Rule.create("-gamma*W + k*r*r.T", parameters={"gamma": ">= 0", "k": "> 0"}, activity={"r": [-1, 1]})
    assert check_rule(weak, measure="l2", bound="bounded").verdict is Verdict.REFUTED


@settings(max_examples=10)
@given(n=st.integers(1, 40), gamma=st.floats(0.2, 3), k=st.floats(0.1, 2))
def test_hebbian_decay_bound_holds_and_is_tight(n, gamma, k):
    """With r = 1 held constant, mu_2(W(t)) approaches k n / gamma from below: the bound is attained."""
    dec = Rule.create("-gamma*W + k*r*r.T", parameters={"gamma": "> 0", "k": "> 0"}, activity={"r": [-1, 1]})
    times, traj = simulate(dec, np.zeros((n, n)), lambda t: {"r": np.ones(n)}, {"gamma": gamma, "k": k},
                           t_end=12 / gamma, dt=0.05 / gamma)
    values = np.array([mu(W, "l2") for W in traj])
    bound = (1 - np.exp(-gamma * times)) * k * n / gamma
    assert np.all(values <= bound * (1 + 1e-9) + 1e-12)
    assert values[-1] >= 0.99 * k * n / gamma


def test_pure_decay_from_diag_1_minus_1():
    """dW = -W: mu_2(W(t)) <= e^{-t} mu_2(W0) is certified; from W0 = diag(1, -1) the simulation gives e^{-t}.
    Bounding mu(-W) by -mu(W) would be wrong here: mu_2(-W0) = 1 but -mu_2(W0) = -1."""
    rule = Rule.create("-W")
    res = check_rule(rule, measure="l2", bound="nonincreasing").results[0]
    assert res.verdict is Verdict.CERTIFIED and res.certificate.gamma == 1
    W0 = np.diag([1.0, -1.0])
    times, traj = simulate(rule, W0, lambda t: {}, {}, t_end=3.0, dt=0.01)
    values = np.array([mu(W, "l2") for W in traj])
    assert np.allclose(values, np.exp(-times), rtol=1e-8)
    assert mu(-W0, "l2") == pytest.approx(1.0) and -mu(W0, "l2") == pytest.approx(-1.0)


def test_fixed_network_and_weighted_claims():
    fixed = Rule.create("0")
    for m in ("l1", "l2", "linf", "weighted-l2"):
        assert check_rule(fixed, measure=m, bound="nonincreasing").verdict is Verdict.CERTIFIED
    anti = Rule.create("-k*r*r.T", parameters={"k": ">= 0"}, activity={"r": [-1, 1]})
    assert check_rule(anti, measure="weighted-linf", bound="nonincreasing").verdict is Verdict.REFUTED
    assert check_rule(anti, measure="weighted-l2", bound="nonincreasing").verdict is Verdict.CERTIFIED


def test_inconclusive_names_the_failing_step():
    quad = Rule.create("-gamma*W + W*W", parameters={"gamma": "> 0"})
    res = check_rule(quad, measure="l2", bound="bounded").results[0]
    assert res.verdict is Verdict.INCONCLUSIVE
    assert any("no lemma" in r and "W^2" in r for r in res.reasons)
    # an element-wise tanh drive without decay: bounded by the lemmas? no decay, so no explicit bound;
    # refutable? only tanh(0) is rational, so no exact witness: inconclusive, with the reason
    act = Rule.create("tanh(x)*tanh(x).T")
    res = check_rule(act, measure="l2", bound="bounded").results[0]
    assert res.verdict is Verdict.INCONCLUSIVE
    assert any("not > 0" in r for r in res.reasons)


def test_cubic_term_is_refuted_not_inconclusive():
    """-W^3 is not mu_2-nonincreasing (W0 = diagonal + skew); the falsifier finds it and the kernel checks it."""
    res = check_rule(Rule.create("-W*W*W"), measure="l2", bound="nonincreasing").results[0]
    assert res.verdict is Verdict.REFUTED and res.refutation.lower > res.refutation.allowed


def test_sign_unknown_parameter_is_not_certified():
    """k of unknown sign: -k r r^T is not negative semidefinite for k < 0; the falsifier finds k < 0."""
    rule = Rule.create("-k*r*r.T", parameters={"k": "real"}, activity={"r": [-1, 1]})
    res = check_rule(rule, measure="l2", bound="nonincreasing").results[0]
    assert res.verdict is Verdict.REFUTED
    assert res.refutation.witness.parameters["k"] < 0


def test_parameter_conditions_are_reported_as_relations():
    """When a side condition fails on the declared range, the kernel re-checks the proof on the narrowed
    range and the result carries the condition as a SymPy relation (and stays refuted/inconclusive)."""
    k, gamma = sp.symbols("k gamma", real=True)
    rule = Rule.create("-gamma*W - k*r*r.T", parameters={"gamma": ">= 0", "k": "real"}, activity={"r": [-1, 1]})
    res = check_rule(rule, measure="l2", bound="nonincreasing").results[0]
    assert res.verdict is Verdict.REFUTED
    assert res.conditions == (sp.Ge(k, 0),)
    assert res.conditional is not None and res.conditional.beta == 0
    weak = Rule.create("-gamma*W + k*r*r.T", parameters={"gamma": ">= 0", "k": "> 0"}, activity={"r": [-1, 1]})
    res = check_rule(weak, measure="l2", bound="bounded").results[0]
    assert res.verdict is Verdict.REFUTED and res.conditions == (sp.Gt(gamma, 0),)
    # a certified result lists the side conditions it verified
    ok = check_rule(ANTI, measure="l2", bound="nonincreasing").results[0]
    assert sp.Ge(k, 0) in ok.certificate.conditions and sp.Le(0, 0) not in ok.certificate.conditions
