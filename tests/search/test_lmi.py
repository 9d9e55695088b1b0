"""Tests of certify.search.lmi: the multiplier LMI, exact rates of given (P, Lambda), the metric search, its
margins (checked by the kernel's verified Cholesky), the dual bounds, the corner test, and the theory
behind them (corner Jacobians, simulated trajectories, the skew and bistable counterexamples)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from certify.errors import InputError
from certify.kernel.verified import is_pd_verified
from certify.search.lmi import (
    MetricResult,
    best_rate_for,
    corner_lmi_search,
    corner_rate,
    lmi_matrix,
    lmi_upper_bound,
    reference_bisection,
    search_metric,
    verify_margin,
)
from certify.search.measures import mu2, mu2_weighted
from tests.strategies import floats, square_matrices

SKEW = 3.0 * np.array([[0.0, 1.0], [-1.0, 0.0]])
BISTABLE = 1.2 * np.array([[0.0, 1.0], [1.0, 0.0]])


def random_W(n: int, rho: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n)) / np.sqrt(n) * rho


def stable_W(n: int, g: float, seed: int, norm: float = 0.45) -> np.ndarray:
    """Spectral norm norm/g < 0.5/g: contracting by the crude bound."""
    W = np.random.default_rng(seed).standard_normal((n, n))
    return W / np.linalg.norm(W, 2) * norm / g


def random_spd(n: int, rng: np.random.Generator) -> np.ndarray:
    B = rng.standard_normal((n, n))
    S = B @ B.T + 0.5 * np.eye(n)
    return 0.5 * (S + S.T)


def corners(W: np.ndarray, g: float, form: str):
    n = W.shape[0]
    for k in range(2**n):
        d = np.array([g * ((k >> i) & 1) for i in range(n)], dtype=float)
        yield (-np.eye(n) + W @ np.diag(d)) if form == "H" else (-np.eye(n) + np.diag(d) @ W)


def lam_max_M(W, g, form, P, lam, c) -> float:
    return float(np.linalg.eigvalsh(lmi_matrix(W, g, form, P, lam, c))[-1])


# ---------------------------------------------------------------------------------------------------
# lmi_matrix


@pytest.mark.parametrize("form", ["H", "FR"])
@pytest.mark.parametrize("diag", [True, False])
def test_lmi_matrix_matches_hand_built_blocks(form, diag):
    rng = np.random.default_rng(1)
    n, g, c = 4, 0.7, 0.3
    W = rng.standard_normal((n, n))
    P = np.diag(rng.random(n) + 0.5) if diag else random_spd(n, rng)
    lam = rng.random(n)
    L = np.diag(lam)
    B = P @ W + g * L if form == "H" else P + g * W.T @ L
    expected = np.block([[-2 * (1 - c) * P, B], [B.T, -2 * L]])
    M = lmi_matrix(W, g, form, np.diag(P) if diag else P, lam, c)
    assert M.dtype == np.float64 and M.shape == (2 * n, 2 * n)
    assert np.array_equal(M, M.T)  # exactly symmetric by construction
    np.testing.assert_allclose(M, expected, rtol=1e-14, atol=1e-14)


def test_lmi_matrix_scalar_case_by_hand():
    # n = 1, H: [[-2(1-c)p, p w + g l], [p w + g l, -2 l]]
    M = lmi_matrix([[0.5]], 2.0, "H", [[3.0]], [0.25], 0.1)
    assert M.tolist() == [[-2 * 0.9 * 3.0, 3.0 * 0.5 + 2.0 * 0.25], [3.0 * 0.5 + 2.0 * 0.25, -0.5]]
    M = lmi_matrix([[0.5]], 2.0, "FR", [3.0], [0.25], 0.0)
    assert M.tolist() == [[-6.0, 3.0 + 2.0 * 0.5 * 0.25], [3.0 + 2.0 * 0.5 * 0.25, -0.5]]


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(form="X"), "argument 'form' must be 'H' or 'FR'"),
        (dict(g=0.0), "argument 'g' (the slope bound) must be finite and > 0"),
        (dict(g=math.inf), "argument 'g'"),
        (dict(P=[[1.0, 0.1], [0.0, 1.0]]), "must be exactly symmetric"),
        (dict(P=[1.0, 1.0, 1.0]), "diagonal 'P' has length 3 but W is 2x2"),
        (dict(lam=[1.0]), "argument 'lam' has 1 entries but W is 2x2"),
        (dict(W=[[1.0, 2.0]]), "argument 'W' must be a non-empty square matrix"),
        (dict(W=[[np.nan, 0.0], [0.0, 0.0]]), "NaN or infinite"),
        (dict(c=math.nan), "argument 'c' must be finite"),
    ],
)
def test_lmi_matrix_rejects_bad_input(kwargs, fragment):
    args = dict(W=np.eye(2), g=1.0, form="H", P=np.eye(2), lam=[1.0, 1.0], c=0.0)
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        lmi_matrix(**args)
    assert fragment in str(err.value)


# ---------------------------------------------------------------------------------------------------
# best_rate_for: the exact rate of a given (P, Lambda)


def bisect_rate(W, g, form, P, lam, lo=-50.0, hi=1.0, iters=60) -> float:
    """Largest c with lambda_max(M(c)) <= 0, by bisection (M(c) is increasing in c)."""
    if lam_max_M(W, g, form, P, lam, lo) > 1e-12:
        return -math.inf
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if lam_max_M(W, g, form, P, lam, mid) <= 0:
            lo = mid
        else:
            hi = mid
    return lo


@pytest.mark.parametrize("form", ["H", "FR"])
@pytest.mark.parametrize("diag", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_best_rate_for_agrees_with_eigenvalue_bisection(form, diag, seed):
    rng = np.random.default_rng(seed)
    n, g = 5, 1.3
    W = rng.standard_normal((n, n)) * 0.4
    P = np.diag(rng.random(n) + 0.3) if diag else random_spd(n, rng)
    lam = rng.random(n) + 0.2
    r = best_rate_for(W, g, form, np.diag(P) if diag else P, lam)
    b = bisect_rate(W, g, form, P, lam)
    assert math.isfinite(r)
    assert abs(r - b) <= 1e-9 * max(1.0, abs(b))
    # and it is the edge: M(r - eps) <= 0 < lambda_max(M(r + eps))
    scale = np.abs(lmi_matrix(W, g, form, P, lam, r)).max()
    assert lam_max_M(W, g, form, P, lam, r - 1e-6) <= 1e-12 * scale
    assert lam_max_M(W, g, form, P, lam, r + 1e-6) > 0


def test_best_rate_for_zero_and_negative_multipliers():
    W = np.array([[0.5, 0.0], [0.3, 0.0]])  # column 1 is zero: neuron 1's output is unused
    P = np.eye(2)
    # H: lam_1 = 0 is allowed (column 1 of B = P W + g Lambda vanishes) and the index drops out
    r0 = best_rate_for(W, 1.0, "H", P, [1.0, 0.0])
    assert math.isfinite(r0)
    assert abs(r0 - bisect_rate(W, 1.0, "H", P, np.array([1.0, 0.0]))) <= 1e-9
    # lam_0 = 0 with a nonzero column 0 of B: no rate at all
    assert best_rate_for(W, 1.0, "H", P, [0.0, 1.0]) == -math.inf
    # FR: B = P + g W^T Lambda always has column i = P e_i != 0 when lam_i = 0
    assert best_rate_for(W, 1.0, "FR", P, [1.0, 0.0]) == -math.inf
    assert best_rate_for(W, 1.0, "H", P, [1.0, -1e-9]) == -math.inf
    assert best_rate_for(W, 1.0, "H", np.diag([1.0, -1.0]), [1.0, 1.0]) == -math.inf
    # W = 0 with Lambda = 0: M(1) = 0, so the rate is exactly 1
    assert best_rate_for(np.zeros((3, 3)), 1.0, "H", np.eye(3), np.zeros(3)) == pytest.approx(1.0, abs=1e-12)


def test_rate_is_invariant_under_joint_scaling():
    rng = np.random.default_rng(7)
    W = rng.standard_normal((4, 4)) * 0.3
    P, lam = random_spd(4, rng), rng.random(4) + 0.1
    r = best_rate_for(W, 1.0, "H", P, lam)
    assert abs(best_rate_for(W, 1.0, "H", 8.0 * P, 8.0 * lam) - r) <= 1e-12
    assert abs(best_rate_for(W, 1.0, "H", 3.7 * P, 3.7 * lam) - r) <= 1e-9


def test_scaling_identity():
    # the rate-c LMI for W is the c = 0 LMI for W / (1 - c), up to scaling and congruence
    rng = np.random.default_rng(3)
    n, c = 4, 0.37
    W = rng.standard_normal((n, n)) * 0.3
    P, lam = random_spd(n, rng), rng.random(n)
    M = lmi_matrix(W, 1.0, "H", P, lam, c)
    np.testing.assert_allclose(M, (1 - c) * lmi_matrix(W / (1 - c), 1.0, "H", P, lam / (1 - c), 0.0),
                               rtol=1e-12, atol=1e-12)
    M = lmi_matrix(W, 1.0, "FR", P, lam, c)
    T = np.diag(np.r_[np.ones(n), np.full(n, 1 / (1 - c))])
    M0 = lmi_matrix(W / (1 - c), 1.0, "FR", P, (1 - c) * lam, 0.0)
    np.testing.assert_allclose(M / (1 - c), T @ M0 @ T, rtol=1e-12, atol=1e-12)
    # so the best rates are related by c*(W) = 1 - (1 - c*(s W)) / s ... checked on the search below


# ---------------------------------------------------------------------------------------------------
# search_metric: certificates with margin


@pytest.mark.parametrize("form", ["H", "FR"])
@pytest.mark.parametrize("structure", ["diag", "full"])
@pytest.mark.parametrize("n, g, seed", [(3, 1.0, 0), (8, 2.0, 1), (20, 0.5, 2)])
def test_search_certifies_stable_networks_with_verified_margin(form, structure, n, g, seed):
    W = stable_W(n, g, seed)
    res = search_metric(W, g, form, structure=structure)
    assert isinstance(res, MetricResult)
    assert res.status == "certified" and res.certified
    assert res.c > 0
    # the crude bound 1 - g ||W||_2 >= 0.55 is attained by P = I; the LMI can only do better
    assert res.c >= 1 - g * np.linalg.norm(W, 2) - 1e-3
    M = lmi_matrix(W, g, form, res.P, res.lam, res.c)
    assert is_pd_verified(-M)  # the kernel's test: real margin, not a tolerance
    assert verify_margin(W, g, form, res.P, res.lam, res.c)
    assert res.c < res.c_proved <= res.c_upper + 1e-9
    assert res.gap <= 0.01 * res.c_proved  # within 1% of the best the LMI allows (dual bound)
    assert np.linalg.eigvalsh(res.P)[0] >= 1 - 1e-12  # normalised: P >= I
    if structure == "diag":
        assert np.count_nonzero(res.P - np.diag(np.diag(res.P))) == 0


@pytest.mark.parametrize("form", ["H", "FR"])
def test_search_near_the_edge_is_close_to_the_dual_bound(form):
    W = random_W(40, 0.66, seed=11)
    res = search_metric(W, 1.0, form)
    assert res.certified and res.c > 0
    assert res.c_upper - res.c_proved <= 0.01 * res.c_proved
    assert is_pd_verified(-lmi_matrix(W, 1.0, form, res.P, res.lam, res.c))
    # scaling identity: c*(s W) = 1 - s (1 - c*(W)); at s = 1 / (1 - c*) the network sits on the edge
    edge = search_metric(W / (1 - res.c_proved), 1.0, form)
    assert abs(edge.c_proved) <= 0.01 * res.c_proved
    s = 1 - res.c_proved
    scaled = search_metric(W * s, 1.0, form)
    assert scaled.c_proved == pytest.approx(1 - s * s, rel=5e-3)


def test_full_metric_is_at_least_as_good_as_diagonal():
    W = random_W(10, 0.7, seed=5)
    d = search_metric(W, 1.0, "H", structure="diag")
    f = search_metric(W, 1.0, "H", structure="full")
    assert f.c_proved >= d.c_proved - 1e-6
    assert f.c_upper >= d.c_proved - 1e-9  # the diagonal rate is a lower bound for the full problem


def test_tampered_certificate_fails_the_kernel_check():
    W = random_W(12, 0.6, seed=4)
    res = search_metric(W, 1.0, "H")
    assert verify_margin(W, 1.0, "H", res.P, res.lam, res.c)
    assert not verify_margin(W, 1.0, "H", res.P, res.lam, res.c_proved + 1e-3)
    lam = res.lam.copy()
    lam[0] *= 0.5
    assert not verify_margin(W, 1.0, "H", res.P, lam, res.c) or best_rate_for(W, 1.0, "H", res.P, lam) > res.c


@pytest.mark.parametrize("solver", ["SCS", "CLARABEL"])
def test_cvxpy_solvers_give_verified_candidates(solver):
    W = random_W(6, 0.6, seed=9)
    ref = search_metric(W, 1.0, "H")
    res = search_metric(W, 1.0, "H", solver=solver)
    assert res.solver == solver
    assert res.certified
    assert is_pd_verified(-lmi_matrix(W, 1.0, "H", res.P, res.lam, res.c))
    assert res.c_proved >= 0.98 * ref.c_proved
    assert res.c_proved <= ref.c_upper + 1e-9


def test_tiny_budgets_never_return_unverified_candidates():
    W = random_W(15, 0.65, seed=2)
    for kwargs in (dict(max_iters=1), dict(max_iters=3), dict(time_budget=0.0), dict(solver="SCS", max_iters=2)):
        res = search_metric(W, 1.0, "H", **kwargs)
        if res.P is not None:
            assert is_pd_verified(-lmi_matrix(W, 1.0, "H", res.P, res.lam, res.c))
        else:
            assert res.status == "failed"


@pytest.mark.parametrize(
    "W, g, form, c_expected",
    [
        (np.zeros((3, 3)), 1.0, "H", 1.0),
        (np.array([[0.5]]), 1.0, "H", 0.5),      # x' = -x + 0.5 phi(x): mu = -1 + 0.5 d >= -1 + 0.5
        (np.array([[-5.0]]), 1.0, "H", 1.0),     # -1 - 5 d <= -1
        (np.array([[3.0]]), 1.0, "H", -2.0),     # -1 + 3 d: expands at rate 2
        (-2.0 * np.eye(4), 1.0, "FR", 1.0),
    ],
)
def test_search_on_cases_with_known_rates(W, g, form, c_expected):
    res = search_metric(W, g, form)
    assert res.P is not None
    assert abs(res.c_proved - c_expected) <= 0.01 * max(1.0, abs(c_expected))
    assert res.c_upper >= c_expected - 1e-6
    assert is_pd_verified(-lmi_matrix(W, g, form, res.P, res.lam, res.c))


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(structure="block"), "argument 'structure' must be 'diag' or 'full'"),
        (dict(solver="MOSEK"), "argument 'solver' must be one of"),
        (dict(rel_tol=0.0), "argument 'rel_tol' must be in (0, 1)"),
    ],
)
def test_search_rejects_bad_options(kwargs, fragment):
    with pytest.raises(InputError) as err:
        search_metric(np.eye(2) * 0.1, 1.0, "H", **kwargs)
    assert fragment in str(err.value)


# ---------------------------------------------------------------------------------------------------
# The theory: every corner Jacobian, and simulated trajectories


@settings(max_examples=25, deadline=None)
@given(W=square_matrices(n_min=1, n_max=4, elements=floats(-2.0, 2.0)), g=floats(0.25, 2.0),
       form=st.sampled_from(["H", "FR"]), structure=st.sampled_from(["diag", "full"]))
def test_certified_measure_bounds_every_corner_jacobian(W, g, form, structure):
    res = search_metric(W, g, form, structure=structure, max_iters=300)
    if res.P is None:
        return
    assert is_pd_verified(-lmi_matrix(W, g, form, res.P, res.lam, res.c))
    scale = 1.0 + g * float(np.abs(W).sum())
    for J in corners(W, g, form):
        assert mu2_weighted(J, res.P) <= -res.c + 1e-7 * scale
    assert corner_rate(W, g, form, res.P) >= res.c - 1e-7 * scale


@pytest.mark.parametrize("form", ["H", "FR"])
@pytest.mark.parametrize("seed", range(3))
def test_measure_bound_holds_on_random_interior_jacobians(form, seed):
    rng = np.random.default_rng(seed)
    W = random_W(7, 0.7, seed)
    res = search_metric(W, 1.0, form)
    for _ in range(200):
        d = rng.random(7) * rng.integers(0, 2, 7)  # interior and boundary points of [0, 1]^n
        J = -np.eye(7) + (W @ np.diag(d) if form == "H" else np.diag(d) @ W)
        assert mu2_weighted(J, res.P) <= -res.c + 1e-9


def p_norm(P: np.ndarray, v: np.ndarray) -> float:
    return float(np.sqrt(v @ P @ v))


@pytest.mark.parametrize("form, phi", [("H", np.tanh), ("FR", np.tanh), ("H", lambda z: np.maximum(z, 0.0))])
def test_simulated_trajectories_contract_at_the_certified_rate(form, phi):
    n = 6
    W = random_W(n, 0.7, seed=21)
    res = search_metric(W, 1.0, form)
    assert res.certified
    rng = np.random.default_rng(5)
    freq = rng.random(n) * 3

    def u(t):
        return 2.0 * np.sin(freq * t + 1.0)

    def f(t, x):
        return -x + W @ phi(x) + u(t) if form == "H" else -x + phi(W @ x + u(t))

    ts = np.linspace(0.0, 6.0, 61)
    for _ in range(3):
        x0, y0 = rng.standard_normal(n) * 3, rng.standard_normal(n) * 3
        sx = solve_ivp(f, (0, 6), x0, t_eval=ts, rtol=1e-10, atol=1e-12)
        sy = solve_ivp(f, (0, 6), y0, t_eval=ts, rtol=1e-10, atol=1e-12)
        d0 = p_norm(res.P, x0 - y0)
        for k, t in enumerate(ts):
            dt = p_norm(res.P, sx.y[:, k] - sy.y[:, k])
            assert dt <= math.exp(-res.c * t) * d0 * (1 + 1e-6) + 1e-8


# ---------------------------------------------------------------------------------------------------
# Counterexamples: the skew network and the bistable network


def test_skew_relu_network_is_not_certified():
    W, g = SKEW, 1.0
    # the naive test passes with P = I: P (g W - I) + (g W - I)^T P = -2 I < 0 ...
    naive = (g * W - np.eye(2)).T + (g * W - np.eye(2))
    assert np.all(np.linalg.eigvalsh(naive) < 0)
    # ... yet a corner Jacobian has mu_2 = +0.5: the Euclidean norm expands there
    assert mu2(-np.eye(2) + W @ np.diag([0.0, 1.0])) == pytest.approx(0.5)
    for structure in ("diag", "full"):
        res = search_metric(W, g, "H", structure=structure)
        assert not res.certified
        assert res.status == "infeasible"
        assert res.c < 0 and res.c_proved < 0
        assert res.c_upper < 0  # the dual matrix shows no certificate with c >= 0 exists
        assert res.c_proved == pytest.approx(-0.5, abs=5e-3)
    corner = corner_lmi_search(W, g, "H")
    assert corner.c < 0 and corner.c_upper < 0 and corner.status == "infeasible"
    assert corner_rate(W, g, "H", np.eye(2)) == pytest.approx(-0.5)


def test_bistable_network_gets_no_certificate():
    W, g = BISTABLE, 1.0  # x' = -x + tanh(1.2 [[0,1],[1,0]] x): two stable equilibria
    for structure in ("diag", "full"):
        res = search_metric(W, g, "FR", structure=structure)
        assert not res.certified and res.status == "infeasible"
        # the corner D = I has the eigenvalue -1 + 1.2 = 0.2 > 0: no rate above -0.2 is possible
        assert res.c_proved <= -0.2 + 1e-9
        assert res.c_upper < 0
    corner = corner_lmi_search(W, g, "FR")
    assert corner.c <= -0.2 + 1e-9 and corner.c_upper < 0


def test_corner_lmi_is_at_least_as_good_as_the_multiplier_lmi():
    W = random_W(4, 0.9, seed=8)
    multiplier = search_metric(W, 1.0, "H", structure="full")
    corner = corner_lmi_search(W, 1.0, "H")
    assert corner.c >= multiplier.c_proved - 1e-5
    assert corner.c <= corner.c_upper + 1e-9
    # the multiplier certificate's metric passes the corner test at its rate
    assert corner_lmi_search(W, 1.0, "H", P=multiplier.P).c >= multiplier.c - 1e-9


def test_corner_search_rejects_large_n():
    with pytest.raises(InputError) as err:
        corner_lmi_search(np.zeros((11, 11)), 1.0, "H")
    assert "n <= 10" in str(err.value)


# ---------------------------------------------------------------------------------------------------
# Dual bounds and the plain baseline


@pytest.mark.parametrize("form", ["H", "FR"])
def test_upper_bound_from_an_arbitrary_psd_matrix_is_valid(form):
    # any PSD matrix gives a valid (usually poor) bound: never below a rate some certificate proves
    W = random_W(6, 0.7, seed=13)
    proved = {s: search_metric(W, 1.0, form, structure=s).c_proved for s in ("diag", "full")}
    rng = np.random.default_rng(0)
    for k in range(40):
        B = rng.standard_normal((12, 12 if k % 2 else 3))  # full rank or rank 3
        B[rng.integers(0, 6, 2)] *= 1e-6  # nearly empty P coordinates: exercises the coordinate drops
        for structure in ("diag", "full"):
            assert lmi_upper_bound(W, 1.0, form, B @ B.T, structure) >= proved[structure] - 1e-9
    assert proved["full"] >= proved["diag"] - 1e-9


def test_reference_bisection_runs_and_reports_the_violation():
    W = random_W(5, 0.6, seed=1)
    ref = reference_bisection(W, 1.0, "H", n_bisect=6)
    assert ref.solves == 6 and len(ref.statuses) == 6
    assert ref.P is not None and math.isfinite(ref.lmi_max_eig)
    assert ref.lmi_max_eig == pytest.approx(lam_max_M(W, 1.0, "H", ref.P, ref.lam, ref.c))
    ours = search_metric(W, 1.0, "H")
    if ref.c > ours.c_upper:
        # the plain result claims more than the dual bound allows: its LMI must be violated
        assert ref.lmi_max_eig > 0
        assert not verify_margin(W, 1.0, "H", ref.P, ref.lam, ref.c)


@pytest.mark.parametrize("structure", ["diag", "full"])
def test_normalising_the_metric_keeps_its_rate_bit_for_bit(structure):
    """search_metric scales (P, lam) by an even power of two and keeps the rate it measured before: every step of
    best_rate_for scales exactly then, so the normalised pair has the very same rate."""
    from certify.search.lmi.problem import _normalise
    rng = np.random.default_rng(3)
    for k in range(20):
        W = random_W(6, 0.7, seed=k)
        B = rng.standard_normal((6, 6))
        P = B @ B.T * 2.0 ** rng.integers(-30, 30) + np.eye(6) if structure == "full" else \
            np.diag(np.exp(rng.standard_normal(6)) * 2.0 ** rng.integers(-30, 30))
        lam = np.exp(rng.standard_normal(6)) * 2.0 ** rng.integers(-30, 30)
        Pn, ln = _normalise(P, lam)
        assert best_rate_for(W, 1.0, "H", Pn, ln) == best_rate_for(W, 1.0, "H", P, lam)
        assert 1 - 1e-12 <= np.linalg.eigvalsh(Pn)[0] < 4 * (1 + 1e-12)
