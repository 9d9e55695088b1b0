"""The verified binary64 start values of a plastic network (kernel/verified.py mu2_below_verified and
norm2_below_verified, kernel/contraction.py _start_value on float64 arrays).

Oracles that share no code with the kernel: the exact rational PSD test on small matrices near the boundary
(b = the float eigenvalue or singular value +- a tiny shift, where a rounding mistake would show), and numpy's
eigenvalues with a margin far above their error on larger ones.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from certify.errors import KernelError
from certify.kernel import contraction as kc
from certify.kernel.verified import mu2_below_verified, norm2_below_verified


def _exact_psd(S) -> bool:
    """b I - sym(W) >= 0 decided exactly with Fractions by Gaussian elimination on a symmetric matrix (an oracle
    independent of the kernel's exact module: all leading principal minors of S + t I for t -> 0+ are handled by
    checking Sylvester's criterion on S itself plus the zero-pivot cases conservatively)."""
    n = len(S)
    A = [row[:] for row in S]
    for k in range(n):
        if A[k][k] < 0:
            return False
        if A[k][k] == 0:
            if any(A[k][j] != 0 for j in range(k, n)):
                return False
            continue
        for i in range(k + 1, n):
            f = A[i][k] / A[k][k]
            for j in range(k, n):
                A[i][j] -= f * A[k][j]
    return True


def _mu2_le(W: np.ndarray, b: Fraction) -> bool:
    n = W.shape[0]
    F = [[Fraction(float(x)) for x in row] for row in W]
    return _exact_psd([[b * (i == j) - (F[i][j] + F[j][i]) / 2 for j in range(n)] for i in range(n)])


def _norm2_le(W: np.ndarray, b: Fraction) -> bool:
    n = W.shape[0]
    F = [[Fraction(float(x)) for x in row] for row in W]
    G = [[sum(F[k][i] * F[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
    return b >= 0 and _exact_psd([[b * b * (i == j) - G[i][j] for j in range(n)] for i in range(n)])


@given(st.integers(1, 6), st.integers(0, 2**32 - 1), st.floats(-1e-9, 1e-9), st.sampled_from(["mu", "norm"]))
def test_verified_start_bound_implies_the_exact_one(n, seed, rel, which):
    """Near the boundary: whenever the verified test says mu_2(W) < b (or ||W||_2 < b), the exact test agrees."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, n)) * rng.choice([1e-3, 1.0, 1e3])
    top = (np.linalg.eigvalsh((W + W.T) / 2).max() if which == "mu" else np.linalg.norm(W, 2))
    b = Fraction(float(top)) * (1 + Fraction(rel))
    proved = (mu2_below_verified if which == "mu" else norm2_below_verified)(W, b)
    if proved:
        assert (_mu2_le if which == "mu" else _norm2_le)(W, b)


@given(st.integers(2, 60), st.integers(0, 2**32 - 1))
def test_verified_start_bound_is_tight_enough(n, seed):
    """A margin of 1e-6 (relative) above the float value is always verified; 1e-6 below never is (numpy's eigenvalue
    error is about n u |W|, far smaller)."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, n))
    mu, nrm = np.linalg.eigvalsh((W + W.T) / 2).max(), np.linalg.norm(W, 2)
    for f, top in ((mu2_below_verified, mu), (norm2_below_verified, nrm)):
        scale = 1 + abs(top)
        assert f(W, Fraction(float(top + 1e-6 * scale)))
        assert not f(W, Fraction(float(top - 1e-6 * scale)))


def test_verified_start_bound_refuses_what_is_not_binary64():
    with pytest.raises(KernelError):
        mu2_below_verified(np.array([[1 + 2j]]), Fraction(3))
    with pytest.raises(KernelError, match="mu2_below_verified"):
        mu2_below_verified(np.ones((2, 3)), Fraction(3))
    with pytest.raises(KernelError, match="norm2_below_verified"):
        norm2_below_verified(np.ones((2, 3)), Fraction(3))
    assert not norm2_below_verified(np.zeros((2, 2)), Fraction(0))      # ||0|| < 0 is false
    assert not mu2_below_verified(np.array([[1e308, 0], [0, 0]]), Fraction(-1e308))   # overflow: not verified


@pytest.mark.parametrize("norm,route", [("l1", "measure"), ("l1", "norm"), ("linf", "measure"), ("linf", "norm")])
def test_large_float_start_values_bound_the_exact_ones(norm, route):
    """Above EXACT_WEIGHTED_LIMIT the l1/linf start value is the rigorous binary64 row-sum bound: never below the
    exact value, and within a relative 1e-12 of it."""
    n = kc.EXACT_WEIGHTED_LIMIT + 5
    W = np.random.default_rng(7).normal(size=(n, n)) / n
    got = kc._start_value(W, norm, route)
    A = W if norm == "linf" else W.T
    F = [[Fraction(float(x)) for x in row] for row in A]
    if route == "measure":
        exact = max(F[i][i] + sum(abs(x) for j, x in enumerate(F[i]) if j != i) for i in range(n))
    else:
        exact = max(sum(abs(x) for x in row) for row in F)
    assert got >= exact
    assert got - exact <= Fraction(1, 10**12) * (1 + abs(exact))


@pytest.mark.parametrize("route", ["measure", "norm"])
def test_large_l2_start_value_is_a_proposal_that_holds(route):
    n = kc.EXACT_LIMIT + 10
    W = np.random.default_rng(3).normal(size=(n, n)) / np.sqrt(n)
    top = np.linalg.eigvalsh((W + W.T) / 2).max() if route == "measure" else np.linalg.norm(W, 2)
    low, high = Fraction(float(top)) * (1 - Fraction(1, 10**6)), Fraction(float(top)) * (1 + Fraction(1, 10**6))
    assert kc._start_value(W, "l2", route, [low, high]) == high      # the first that holds, not one below the value
    with pytest.raises(KernelError, match="start_value: none of the 1 proposed bounds"):
        kc._start_value(W, "l2", route, [low])


def test_a_large_rectangular_w0_is_refused():
    with pytest.raises(KernelError, match="^start_value: W0 must be a non-empty square matrix"):
        kc._start_value(np.ones((kc.EXACT_WEIGHTED_LIMIT + 1, 2)), "l1", "measure")
