"""Network contraction: kernel rates against every corner Jacobian, simulated trajectory pairs,
the LMI check against tampering, plastic weights (Kozachkov et al. 2020) against simulation."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from certify.check import check_rule
from certify.errors import InputError, KernelError
from certify.kernel import contraction as kc
from certify.search.measures import mu, mu1_weighted, muinf_weighted
from certify.lang.network import Network
from certify.lang.rule import Rule
from certify.verdict import Verdict


def _weighted_mu(A, norm, eta):
    return mu1_weighted(A, eta) if norm == "l1" else muinf_weighted(A, eta)


@settings(max_examples=30)
@given(n=st.integers(1, 5), seed=st.integers(0, 2**32 - 1), form=st.sampled_from(["H", "FR"]),
       norm=st.sampled_from(["l1", "linf"]), g=st.sampled_from([F(1), F(1, 4), F(2)]))
def test_weighted_rate_bounds_every_corner_jacobian(n, seed, form, norm, g):
    """The kernel's rate c satisfies mu_eta(-I + W D) <= -c at every corner D in {0, g}^n (and so,
    by convexity, for every D), matched and mismatched pairings alike."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, n))
    eta = rng.uniform(0.2, 3.0, size=n)
    c = kc.weighted_rate(W, g, form, norm, [F(float(x)) for x in eta])
    worst = -np.inf
    for corner in itertools.product([0.0, float(g)], repeat=n):
        D = np.diag(corner)
        J = -np.eye(n) + (W @ D if form == "H" else D @ W)
        worst = max(worst, _weighted_mu(J, norm, eta))
    assert worst <= -float(c) + 1e-9
    if (form, norm) in (("H", "l1"), ("FR", "linf")):
        assert worst == pytest.approx(-float(c), abs=1e-9)   # exact for the matched pairings


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 6))
def test_certified_fixed_network_trajectories_contract_at_the_rate(seed, n):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, n))
    W *= 0.7 / max(np.abs(W).sum(axis=1).max(), 1e-9)          # mu_inf(W) < 1: certified in linf
    net = Network("FR", F(1), "tanh", tuple(tuple(F(float(x)) for x in r) for r in W))
    from certify.search.contraction import certify_fixed
    res = certify_fixed(net, use_lmi=False)
    assert res.best is not None and res.best.rate > 0
    c = float(res.best.rate)
    eta = np.array([float(F(x)) for x in res.best.data["eta"]])
    norm = res.best.norm.split()[0].removeprefix("weighted-")
    u = rng.normal(size=n)
    x, y = rng.normal(size=n) * 3, rng.normal(size=n) * 3

    def dist(a, b):
        d = (a - b)
        return np.abs(d / eta).max() if norm == "linf" else (np.abs(d) * eta).sum()

    d0, dt = dist(x, y), 1e-3
    for step in range(1, 3001):
        x = x + dt * (-x + np.tanh(W @ x + u))
        y = y + dt * (-y + np.tanh(W @ y + u))
        if step % 500 == 0:
            assert dist(x, y) <= math.exp(-c * step * dt) * d0 * (1 + 1e-2) + 1e-12


def test_lmi_check_accepts_a_valid_certificate_and_rejects_tampering():
    W = [[0, 0], [0, 0]]
    assert kc.check_lmi(W, 1, "H", [[1, 0], [0, 1]], [1, 1], F(1, 2)) == "exact"
    with pytest.raises(KernelError, match="does not hold"):
        kc.check_lmi(W, 1, "H", [[1, 0], [0, 1]], [1, 1], F(9, 10))        # rate too large
    with pytest.raises(KernelError):
        kc.check_lmi(W, 1, "H", [[1, 0], [0, -1]], [1, 1], F(1, 10))       # P not positive definite
    with pytest.raises(KernelError):
        kc.check_lmi(W, 1, "H", [[1, 0], [0, 1]], [1, -1], F(1, 10))       # negative multiplier


def test_verified_lmi_path_agrees_with_exact_path():
    rng = np.random.default_rng(3)
    n = 50
    W = rng.normal(size=(n, n)) / np.sqrt(n) * 0.3
    P, lam = np.eye(n), np.full(n, 0.5)
    assert kc.check_lmi(W, 1, "H", P, lam, F(1, 10)) == "verified-cholesky"
    with pytest.raises(KernelError):
        kc.check_lmi(W, 1, "H", P, lam, F(99, 100))
    small = W[:10, :10]
    assert kc.check_lmi(small, 1, "H", np.eye(10), np.full(10, 0.5), F(1, 10)) == "exact"


def test_skew_relu_network_is_not_certified():
    """W = 3 [[0, 1], [-1, 0]] with ReLU in form H (docs/theory.md section 3: mu_2(W) <= 0 is not enough): no certificate."""
    rule = Rule.from_text('[rule]\ndW = "0"\n[network]\nform = "H"\nactivation = "relu"\n'
                          'W0 = [[0, 3], [-3, 0]]\n[claim]\nbound = "contracting"\n')
    res = check_rule(rule).results[0]
    assert res.verdict is not Verdict.CERTIFIED
    # the pitfall itself: a corner Jacobian has mu_2 = +0.5
    J = -np.eye(2) + np.array([[0, 3.0], [-3.0, 0]]) @ np.diag([0.0, 1.0])
    assert mu(J, "l2") == pytest.approx(0.5)


def test_kozachkov_anti_hebbian_network_contracts_after_T():
    rep = check_rule(Rule.from_file("rules/anti-hebbian-network.toml"))
    res = rep.results[0]
    assert res.verdict is Verdict.CERTIFIED
    p = res.network
    assert p.c_all == 0 and p.c_after == F(1, 2)
    # mu_2(W0) = 2, target m(T) <= 1/2: T = ln 4, and the kernel's T is an upper bound within 1e-12
    assert math.log(4) <= float(p.T) <= math.log(4) + 1e-12


def test_kozachkov_simulation_distances_shrink_after_T():
    """Two copies x, y of the linear network driven by the same W(t) (W' = -W - x x^T with x the first
    copy): after T the l2 distance decays at least like exp(-(t - T)/2)."""
    W = np.array([[2.0, 1.0], [-1.0, 2.0]])
    x, y = np.array([1.0, -0.5]), np.array([-2.0, 1.0])
    dt, T = 1e-4, math.log(4)
    u = np.array([0.3, -0.1])
    dT = None
    for step in range(1, 60001):
        t = step * dt
        W = W + dt * (-W - np.outer(x, x))
        x = x + dt * (-x + W @ x + u)
        y = y + dt * (-y + W @ y + u)
        if dT is None and t >= T:
            dT, tT = np.linalg.norm(x - y), t
        if dT is not None and step % 5000 == 0:
            assert np.linalg.norm(x - y) <= math.exp(-0.5 * (t - tT)) * dT * (1 + 1e-3)


def test_contracting_claim_needs_a_network_and_W0():
    with pytest.raises(InputError, match=r"\[network\]"):
        check_rule(Rule.from_text('[rule]\ndW = "-W"\n[claim]\nbound = "contracting"\n'))
    with pytest.raises(InputError, match="W0"):
        check_rule(Rule.from_text('[rule]\ndW = "-W"\n[network]\nform = "H"\n[claim]\nbound = "contracting"\n'))


def test_hebbian_network_with_small_drive_contracts_for_all_t():
    """H form, tanh, W' = -gamma W + k r r^T with g k n / gamma < 1 and mu_1(W0) small: contraction for all t
    at rate 1 - g max(mu_1(W0), k n R^2 / gamma)."""
    rule = Rule.from_text('[rule]\ndW = "-gamma*W + k*r*r.T"\n[parameters]\ngamma = [1, 2]\nk = [0, 0.1]\n'
                          '[activity]\nr = [-1, 1]\n[network]\nform = "H"\nactivation = "tanh"\n'
                          'W0 = [[0.1, 0.2], [0, -0.3]]\n[claim]\nbound = "contracting"\n')
    res = check_rule(rule).results[0]
    assert res.verdict is Verdict.CERTIFIED
    # mu_1(W0) = max(0.1, 0.2 - 0.3) = 0.1; k n / gamma <= 0.1 * 2 / 1 = 0.2: rate 1 - 0.2 = 0.8
    assert res.network.c_all == F(4, 5)


def test_large_drive_is_not_certified():
    rule = Rule.from_text('[rule]\ndW = "-gamma*W + k*r*r.T"\n[parameters]\ngamma = [1, 2]\nk = [0, 3]\n'
                          '[activity]\nr = [-1, 1]\n[network]\nform = "H"\nactivation = "tanh"\n'
                          'W0 = [[0.1, 0.2], [0, -0.3]]\n[claim]\nbound = "contracting"\n')
    res = check_rule(rule).results[0]
    assert res.verdict is Verdict.INCONCLUSIVE
    assert any("not < 1" in r for r in res.reasons)


def test_unbounded_parameters_give_the_parameter_region_as_a_relation():
    """k >= 0 unbounded: no certificate over the declared range, but the report names the region
    g max(mu_1(W0), k n R^2 / gamma) < 1 in which the kernel-checked flow bound gives contraction for all t."""
    rule = Rule.from_text('[rule]\ndW = "-gamma*W + k*r*r.T"\n[parameters]\ngamma = "> 0"\nk = ">= 0"\n'
                          '[activity]\nr = [-1, 1]\n[network]\nform = "H"\nactivation = "tanh"\n'
                          'W0 = [[0.1, 0.2], [0, -0.3]]\n[claim]\nbound = "contracting"\n')
    res = check_rule(rule).results[0]
    assert res.verdict is Verdict.INCONCLUSIVE
    assert res.reasons[0] == ("contracts at every t >= 0 in the parameter region Max(1/10, 2*k/gamma) < 1 "
                              "(from the kernel-checked l1 bounded flow bound)")


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_W0_from_files_next_to_the_rule(tmp_path, suffix):
    W0 = np.array([[0.0, 1.2], [1.2, 0.0]])
    path = tmp_path / f"w{suffix}"
    if suffix == ".npy":
        np.save(path, W0)
    else:
        np.savetxt(path, W0, delimiter=",")
    rule_file = tmp_path / "net.toml"
    rule_file.write_text(f'[rule]\ndW = "0"\n[network]\nform = "FR"\nactivation = "tanh"\nW0 = "w{suffix}"\n'
                         '[claim]\nbound = "contracting"\n')
    res = check_rule(Rule.from_file(rule_file)).results[0]
    assert res.verdict is Verdict.REFUTED
    bad = tmp_path / "bad.toml"
    bad.write_text('[rule]\ndW = "0"\n[network]\nform = "FR"\nW0 = "missing.npy"\n[claim]\nbound = "contracting"\n')
    with pytest.raises(InputError, match="cannot read W0"):
        check_rule(Rule.from_file(bad))


def _bias_rule(tmp_path, bias_line: str):
    path = tmp_path / "biased.toml"
    path.write_text('[rule]\nname = "biased"\ndW = "0"\n[network]\nform = "H"\nactivation = "tanh"\n'
                    f'W0 = [[2, 0], [0, 2]]\n{bias_line}\n[claim]\nbound = "contracting"\n')
    from certify.lang.rule import Rule
    return Rule.from_file(path)


def test_bias_moves_the_equilibria_of_the_refutation(tmp_path):
    """x' = -x + 2 tanh(x) + u: with u = (1/2, 0) the kernel-verified equilibria solve x1 = 2 tanh(x1) + 1/2."""
    rep = check_rule(_bias_rule(tmp_path, "bias = [0.5, 0]"))
    assert rep.verdict.value == "refuted"
    two = rep.results[0].network
    for box in (two.first, two.second):
        lo, hi = F(box.lo[0]), F(box.hi[0])
        x1 = float((lo + hi) / 2)
        assert hi - lo < F(1, 10**6) and abs(x1 - 2 * math.tanh(x1) - 0.5) < 1e-6


def test_bias_of_the_wrong_length_names_the_symbol(tmp_path):
    with pytest.raises(InputError) as err:
        check_rule(_bias_rule(tmp_path, "bias = [1, 2, 3]"))
    assert err.value.symbol == "bias" and "3 entries" in str(err.value)


def test_bias_from_a_npy_file(tmp_path):
    np.save(tmp_path / "u.npy", np.array([0.5, 0.0]))
    from certify.lang.network import network_of
    net = network_of(_bias_rule(tmp_path, 'bias = "u.npy"'))
    assert net.bias == (F(1, 2), F(0))


def test_verified_lmi_path_refuses_matrices_binary64_cannot_hold():
    """Above the exact limit the kernel works in binary64: a W0 entry like 1/5 would be rounded, so the
    kernel refuses rather than certify a different matrix."""
    n = kc.EXACT_LIMIT + 1
    W = [[F(1, 5) if i == j else F(0) for j in range(n)] for i in range(n)]
    P, lam = np.eye(n), np.ones(n)
    with pytest.raises(KernelError, match="not binary64"):
        kc.check_lmi(W, 1, "H", P, lam, F(1, 2))
    W2 = [[F(1, 4) if i == j else F(0) for j in range(n)] for i in range(n)]
    assert kc.check_lmi(W2, 1, "H", P, lam, F(1, 2)) == "verified-cholesky"


def test_full_metric_certificate_of_a_60_neuron_network_holds_on_every_sampled_jacobian():
    """The full-metric path end to end (search over the multiplier, Riccati metric, kernel check): the certified rate
    bounds mu_P(J) for vertex and interior slope matrices D, measured by an oracle that shares no code with the
    search or the kernel (tests/oracle.mu_metric: numpy Cholesky and eigenvalues; its rounding is ~1e-13 of |J|)."""
    from certify.search.contraction import certify_fixed
    from tests.oracle import mu_metric
    n = 60
    rng = np.random.default_rng(7)
    W = rng.standard_normal((n, n)) / np.sqrt(n) * 0.6
    net = Network("H", F(1), "tanh", tuple(tuple(F(float(x)) for x in r) for r in W))
    res = certify_fixed(net)
    full = [a for a in res.attempts if a.norm == "l2 metric (full P)"]
    diag = [a for a in res.attempts if a.norm == "l2 metric (diag P)"]
    assert full and full[0].rate is not None and diag[0].rate is not None
    assert full[0].rate > diag[0].rate            # the full metric is worth its search here
    c, P = float(full[0].rate), full[0].data["P"]
    assert np.count_nonzero(P - np.diag(np.diag(P))) > 0
    for k in range(60):
        d = rng.integers(0, 2, n).astype(float) if k < 30 else rng.random(n)
        assert mu_metric(-np.eye(n) + W @ np.diag(d), P) <= -c + 1e-10
    # the kernel is no rubber stamp: the same (P, lam) at a rate above its exact best rate (c + margin) is refused
    lam = full[0].data["lam"]
    with pytest.raises(KernelError):
        kc.check_lmi(W, F(1), "H", P, lam, F(float(c)) * F(101, 100) + F(1, 100))


def test_full_metric_is_not_searched_when_the_spectral_ceiling_rules_it_out():
    """At the slopes D = g I every metric's rate is <= 1 - g alpha(W); when that is <= 0 the full-metric search
    cannot succeed and is skipped. The skip is checked against the search itself: its own dual bound agrees."""
    from certify.search.contraction import certify_fixed
    from certify.search.lmi import search_metric
    n = 20
    rng = np.random.default_rng(3)
    W = 1.1 * np.eye(n) + 0.05 * rng.standard_normal((n, n))
    net = Network("H", F(1), "tanh", tuple(tuple(F(float(x)) for x in r) for r in W))
    res = certify_fixed(net)
    full = [a for a in res.attempts if a.norm == "l2 metric (full P)"]
    assert full and full[0].rate is None and full[0].note.startswith("not tried: at the slopes D = g I")
    ceiling = 1 - float(np.max(np.linalg.eigvals(W).real))
    assert ceiling < 0
    assert search_metric(W, 1.0, "H", structure="full").c_upper <= ceiling + 1e-6
