"""The barrier method's Newton terms for diagonal P (certify/search/lmi/barrier.py) against the plain formulas:
tr(G A_i), tr(G A_i G A_j) and tr(G A_i G E) from explicitly built basis matrices A_i = dM/dx_i."""

from __future__ import annotations

import numpy as np
import pytest

from certify.search.lmi.barrier import _DiagFactor, _diag_newton_terms, _Lmi


def _basis(lmi: _Lmi, c: float, xp: np.ndarray, lam: np.ndarray) -> list[np.ndarray]:
    """dM/dx_i by finite differences of the linear map x -> M(c; x) (exact: M is affine in x)."""
    x = np.concatenate([xp, lam])
    M0 = lmi.M(c, x)
    out = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = 1.0
        out.append(lmi.M(c, x + e) - M0)
    return out


@pytest.mark.parametrize("form", ["H", "FR"])
@pytest.mark.parametrize("degenerate", [False, True])
def test_diag_newton_terms_match_the_plain_formulas(form, degenerate):
    rng = np.random.default_rng(3)
    n, g, c, t = 7, 1.3, 0.1, -40.0
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    xp, lam = rng.uniform(0.5, 2.0, n), rng.uniform(0.5, 2.0, n)
    if degenerate:  # rows where the identities would divide by (relatively) tiny numbers: plain products
        xp[0], lam[1], W[2] = 1e-9, 1e-9, 0.0
    lmi = _Lmi(W, g, form, False)
    e1, e2 = rng.uniform(0.5, 2.0, n), rng.uniform(0.0, 1.0, n)
    fac = _DiagFactor.of(lmi.diag_offdiag(xp, lam), 2 * (1 - c) * xp - t * e1, 2 * lam - t * e2)
    Gb = fac.blocks()
    gx, H = _diag_newton_terms(lmi, fac, Gb, xp, lam, c, e1, e2)

    F = -lmi.M(c, np.concatenate([xp, lam])) - t * np.diag(np.concatenate([e1, e2]))
    G = np.linalg.inv(F)
    E = np.diag(np.concatenate([e1, e2]))
    A = _basis(lmi, c, xp, lam)
    grad = np.array([np.trace(G @ Ai) for Ai in A])
    hess = np.array([[np.trace(G @ Ai @ G @ Aj) for Aj in A] for Ai in A])
    hxt = np.array([np.trace(G @ Ai @ G @ E) for Ai in A])
    scale = np.abs(hess).max()
    assert np.allclose(gx, grad, rtol=1e-9, atol=1e-9 * np.abs(grad).max())
    assert np.allclose(H[:-1, :-1], hess, rtol=1e-8, atol=1e-9 * scale)
    assert np.allclose(H[:-1, -1], hxt, rtol=1e-8, atol=1e-9 * np.abs(hxt).max())
    assert np.array_equal(H[:-1, -1], H[-1, :-1])
    assert H[-1, -1] == pytest.approx(np.trace(G @ E @ G @ E), rel=1e-9)


def test_split_products_equal_the_plain_ones():
    from certify.search.lmi.blas_threads import SPLIT_MIN_N, _SplitProducts, gram, matmul

    rng = np.random.default_rng(0)
    n = SPLIT_MIN_N + 1
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n - 7))
    with _SplitProducts(True, force=True):
        C, S = matmul(A, B), gram(A)
    assert np.allclose(C, A @ B, rtol=1e-12, atol=1e-12 * n)
    assert np.allclose(S, A @ A.T, rtol=1e-12, atol=1e-12 * n)
    assert np.array_equal(S, S.T)


@pytest.mark.parametrize("form", ["H", "FR"])
def test_diag_newton_terms_on_two_threads_are_the_same(form):
    from certify.search.lmi.blas_threads import SPLIT_MIN_N, _SplitProducts

    rng = np.random.default_rng(5)
    n, g, c, t = SPLIT_MIN_N, 1.0, 0.05, -10.0
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    xp, lam = rng.uniform(0.5, 2.0, n), rng.uniform(0.5, 2.0, n)
    lmi = _Lmi(W, g, form, False)
    e1, e2 = 2.0 * np.ones(n), 2.0 * lam
    fac = _DiagFactor.of(lmi.diag_offdiag(xp, lam), 2 * (1 - c) * xp - t * e1, 2 * lam - t * e2)
    Gb = fac.blocks()
    gx, H = _diag_newton_terms(lmi, fac, Gb, xp, lam, c, e1, e2)
    with _SplitProducts(True, force=True):
        gx2, H2 = _diag_newton_terms(lmi, fac, Gb, xp, lam, c, e1, e2)
    assert np.array_equal(gx, gx2) and np.array_equal(H, H2)


def test_a_large_search_is_reproducible_bit_for_bit():
    """The two-thread split depends on n and the core count only, never on the load: two runs give the same bits."""
    from certify.search.lmi import search_metric
    from certify.search.lmi.blas_threads import SPLIT_MIN_N

    rng = np.random.default_rng(2)
    n = SPLIT_MIN_N
    W = rng.standard_normal((n, n)) / np.sqrt(n) * 0.6
    a, b = search_metric(W, 1.0, "H"), search_metric(W, 1.0, "H")
    assert a.certified and a.c == b.c and np.array_equal(a.P, b.P) and np.array_equal(a.lam, b.lam)
