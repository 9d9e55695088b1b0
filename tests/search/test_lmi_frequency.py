"""Tests of the full-metric search through the frequency domain (certify.search.lmi.frequency, full_metric).

The oracles here share no code with the search: the LMI M(c) is assembled by hand and its sign read from numpy's
eigenvalues (tolerances are relative to the entries of M, i.e. rounding of an O(n) sum), the frequency condition
is evaluated on a dense angle grid by hand, and the barrier solver of the full LMI (n(n+1)/2 + n unknowns, a
different method) gives the reference optimum on small networks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certify.errors import InputError
from certify.kernel import contraction as kc
from certify.search.lmi import best_rate_for, search_metric
from certify.search.lmi.frequency import metric_from_multiplier, rate_of_multiplier, sampled_upper_bound
from tests.strategies import floats, square_matrices


def random_W(n: int, rho: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n)) / np.sqrt(n) * rho


def M_by_hand(W, g, form, P, lam, c) -> np.ndarray:
    n = W.shape[0]
    L = np.diag(lam)
    B = P @ W + g * L if form == "H" else P + g * W.T @ L
    return np.block([[-2.0 * (1.0 - c) * P, B], [B.T, -2.0 * L]])


def freq_margin_by_hand(W, g, lam, c, angles=2001) -> float:
    """min over a dense grid of z on the circle through 0 and 1/(1 - c) of lambda_min(Herm(Lambda (I - g z W)))."""
    a = 1.0 - c
    r = 1.0 / (2.0 * a)
    L = np.diag(lam)
    worst = math.inf
    for theta in np.linspace(0.0, 2.0 * math.pi, angles):
        z = r * (1.0 + np.exp(1j * theta))
        X = L @ (np.eye(W.shape[0]) - g * z * W)
        worst = min(worst, float(np.linalg.eigvalsh(0.5 * (X + X.conj().T))[0]))
    return worst


# ---------------------------------------------------------------------------------------------------
# The theory, checked by hand


@pytest.mark.parametrize("form", ["H", "FR"])
@pytest.mark.parametrize("seed", range(3))
def test_lmi_solution_satisfies_the_frequency_condition(form, seed):
    """Easy direction: a certificate of the full LMI (found by the barrier method) satisfies the frequency
    condition at every angle; this is what makes the sampled problem's bound an upper bound."""
    W = random_W(6, 0.8, seed)
    res = search_metric(W, 1.0, form, structure="full", solver="BARRIER")
    assert res.certified
    assert np.linalg.eigvalsh(M_by_hand(W, 1.0, form, res.P, res.lam, res.c))[-1] < 0
    assert freq_margin_by_hand(W, 1.0, res.lam, res.c) > 0


@pytest.mark.parametrize("form", ["H", "FR"])
@pytest.mark.parametrize("seed", range(3))
def test_riccati_metric_attains_the_multiplier_rate(form, seed):
    """Hard direction: for a positive multiplier, the Riccati metric makes M(c) negative definite at a rate just
    below the frequency rate of the multiplier, and no metric does better (the frequency condition fails above)."""
    rng = np.random.default_rng(seed)
    n = 7
    W = random_W(n, 0.9, seed + 10)
    lam = np.exp(0.5 * rng.standard_normal(n))
    c_freq, _ = rate_of_multiplier(W, 1.0, lam)
    P = metric_from_multiplier(W, 1.0, form, lam, 1.0 - c_freq + 1e-5)
    assert P is not None
    c = c_freq - 2e-5
    M = M_by_hand(W, 1.0, form, P, lam, c)
    assert np.linalg.eigvalsh(M)[-1] < 0
    assert best_rate_for(W, 1.0, form, P, lam) == pytest.approx(c_freq, abs=1e-4)
    # above the frequency rate the condition fails at some angle, so no P works with this multiplier
    assert freq_margin_by_hand(W, 1.0, lam, c_freq + 1e-3) < 0
    assert freq_margin_by_hand(W, 1.0, lam, c_freq - 1e-3) > 0


@settings(max_examples=30, deadline=None)
@given(W=square_matrices(n_min=1, n_max=5, elements=floats(-1.5, 1.5)), g=floats(0.25, 2.0),
       form=st.sampled_from(["H", "FR"]), seed=st.integers(0, 2**16))
def test_no_metric_beats_the_frequency_rate_of_its_multiplier(W, g, form, seed):
    """For any metric P and positive multiplier, the exact rate of (P, Lambda) never exceeds the frequency rate of
    Lambda (up to the angle search, whose grid error is below 1e-6 of the scale here)."""
    rng = np.random.default_rng(seed)
    n = W.shape[0]
    lam = np.exp(rng.standard_normal(n))
    B = rng.standard_normal((n, n))
    P = B @ B.T + 0.1 * np.eye(n)
    c_freq, _ = rate_of_multiplier(W, g, lam)
    scale = g * (1.0 + float(np.abs(W).sum()))
    assert best_rate_for(W, g, form, P, lam) <= c_freq + 1e-6 * scale


@pytest.mark.parametrize("form", ["H", "FR"])
def test_sampled_bound_from_arbitrary_psd_matrices_is_valid(form):
    W = random_W(6, 0.7, seed=13)
    proved = search_metric(W, 1.0, form, structure="full", solver="BARRIER").c_proved
    rng = np.random.default_rng(0)
    for k in range(40):
        phis = list(rng.uniform(0.0, 0.5 * math.pi, 1 + k % 4))
        Zs = []
        for _ in phis:
            B = rng.standard_normal((6, 6)) + 1j * rng.standard_normal((6, 6))
            Zs.append(B @ B.conj().T)
        assert sampled_upper_bound(W, 1.0, phis, Zs) >= proved - 1e-9


# ---------------------------------------------------------------------------------------------------
# The search


@pytest.mark.parametrize("form", ["H", "FR"])
@pytest.mark.parametrize("n, seed, rho", [(8, 1, 0.9), (14, 2, 0.6), (14, 2, 0.9)])
def test_frequency_search_matches_the_full_lmi_barrier(form, n, seed, rho):
    W = random_W(n, rho, seed)
    ref = search_metric(W, 1.0, form, structure="full", solver="BARRIER", rel_tol=1e-4)
    ours = search_metric(W, 1.0, form, structure="full", solver="FREQUENCY")
    assert ours.solver == "FREQUENCY" and ours.status == ref.status
    tol = 5e-3 * max(abs(ref.c_proved), 1e-3)              # the default rel_tol
    assert abs(ours.c_proved - ref.c_proved) <= tol         # the same optimum (both forms have the same one)
    assert ours.c_proved <= ref.c_upper + 1e-9              # never above the other method's bound
    assert ours.c_upper >= ref.c_proved - 1e-9              # our bound is an upper bound
    assert np.linalg.eigvalsh(M_by_hand(W, 1.0, form, ours.P, ours.lam, ours.c))[-1] < 0


def test_auto_solver_uses_the_frequency_search_above_the_barrier_size():
    n = 60
    W = random_W(n, 0.6, seed=4)
    diag = search_metric(W, 1.0, "H")
    full = search_metric(W, 1.0, "H", structure="full")
    assert full.solver == "FREQUENCY" and full.certified
    assert full.c_proved > diag.c_proved
    assert full.gap <= 5e-3 * full.c_proved          # the dual bound certifies "within rel_tol"
    assert kc.check_lmi(W, 1, "H", full.P, full.lam, full.c) == "verified-cholesky"


def test_frequency_solver_needs_a_full_metric():
    with pytest.raises(InputError) as err:
        search_metric(np.eye(3) * 0.1, 1.0, "H", structure="diag", solver="FREQUENCY")
    assert "full metric only" in str(err.value)


@settings(max_examples=12, deadline=None)
@given(W=square_matrices(n_min=2, n_max=7, elements=floats(-1.0, 1.0)), g=floats(0.25, 2.0),
       form=st.sampled_from(["H", "FR"]))
def test_frequency_and_barrier_searches_bracket_the_same_optimum(W, g, form):
    """Two different methods for the same optimum: each one's proved rate stays below the other's upper bound."""
    ref = search_metric(W, g, form, structure="full", solver="BARRIER", max_iters=300)
    ours = search_metric(W, g, form, structure="full", solver="FREQUENCY")
    slack = 1e-6 * (1.0 + g * float(np.abs(W).sum()))
    assert ours.c_proved <= ref.c_upper + slack
    assert ref.c_proved <= ours.c_upper + slack
    if ours.P is not None:
        M = M_by_hand(W, g, form, ours.P, ours.lam, ours.c)
        assert np.linalg.eigvalsh(M)[-1] < 1e-12 * float(np.abs(M).max())
