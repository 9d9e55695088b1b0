"""Adversarial review of is_pd_exact (Sylvester's criterion from FLINT's fraction-free LU), of _exact_product / _lmi_exact,
and of check_lmi / prove_lmi_rate on full-metric candidates around the exact/verified boundary (n = 40 / 41).

Every verdict is compared with oracles written here, apart from the kernel: Sylvester's criterion by integer Bareiss
elimination in Python ints (no FLINT), tests/oracle.exact_positive_definite (Fraction elimination), closed forms, and
-M(c) assembled by hand in Fractions.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import certify.kernel.contraction as kc
from certify.kernel.errors import KernelError
from certify.kernel.exact import is_pd_exact
from tests.oracle import exact_positive_definite

TINY = Fraction(2) ** -1074
HUGE = Fraction(2) ** 1023


# -- oracles ------------------------------------------------------------------------------------------------

def bareiss_minors(S) -> list[int]:
    """The leading principal minors of q S (q the lcm of the denominators) by Bareiss elimination in Python ints,
    without pivoting; stops after the first zero minor."""
    A = [[Fraction(x) for x in row] for row in S]
    q = 1
    for row in A:
        for x in row:
            q = math.lcm(q, x.denominator)
    a = [[x.numerator * (q // x.denominator) for x in row] for row in A]
    n, prev, out = len(a), 1, []
    for k in range(n):
        p = a[k][k]
        out.append(p)
        if p == 0:
            break
        for i in range(k + 1, n):
            aik, ri, rk = a[i][k], a[i], a[k]
            for j in range(k + 1, n):
                ri[j] = (ri[j] * p - aik * rk[j]) // prev
        prev = p
    return out


def oracle_pd(S) -> bool:
    """Sylvester: every leading minor > 0 (exactly symmetric S)."""
    m = bareiss_minors(S)
    return len(m) == len(S) and all(x > 0 for x in m)


def minus_M(W, g, form, P, lam, c):
    """-M(c) by hand in Fractions, straight from the definition."""
    W = [[Fraction(x) for x in r] for r in W]
    P = [[Fraction(x) for x in r] for r in P]
    lam = [Fraction(x) for x in lam]
    g, c, n = Fraction(g), Fraction(c), len(W)
    if form == "H":
        B = [[sum(P[i][k] * W[k][j] for k in range(n)) + (g * lam[i] if i == j else 0) for j in range(n)]
             for i in range(n)]
    else:
        B = [[P[i][j] + g * W[j][i] * lam[j] for j in range(n)] for i in range(n)]
    M = [[Fraction(0)] * (2 * n) for _ in range(2 * n)]
    for i in range(n):
        for j in range(n):
            M[i][j] = -2 * (1 - c) * P[i][j]
            M[i][n + j] = B[i][j]
            M[n + j][i] = B[i][j]
        M[n + i][n + i] = -2 * lam[i]
    return [[-x for x in r] for r in M]


def kernel_accepts(*args) -> bool:
    try:
        kc.check_lmi(*args)
        return True
    except KernelError:
        return False


# -- is_pd_exact: hand-made cases -----------------------------------------------------------------------------

HAND = [
    [[0]], [[-1]], [[1]], [[HUGE]], [[TINY]], [[-TINY]], [[2.0 ** 1023]], [[5e-324]], [[-5e-324]],
    [[0, 0], [0, 0]], [[0, 0], [0, 1]], [[1, 0], [0, 0]], [[1, 1], [1, 1]], [[0, 1], [1, 0]], [[1, 2], [2, 1]],
    [[1, 2, 3], [2, 4, 6], [3, 6, 10]], [[1, 1, 1], [1, 1, 1], [1, 1, 2]], [[2, 0, 0], [0, 0, 0], [0, 0, 3]],
    [[1, 0, 0], [0, 0, 1], [0, 1, 0]], [[0, 0, 0], [0, 1, 0], [0, 0, 1]], [[1, 0, 1], [0, 0, 0], [1, 0, 1]],
    [[4, 2, 2], [2, 1, 1], [2, 1, 5]],                                  # zero second minor, positive diagonal
    [[HUGE, TINY], [TINY, HUGE]], [[TINY, 1], [1, HUGE]],
    [[2.0 ** 1023, 2.0 ** -26], [2.0 ** -26, 2.0 ** -1074]],            # det = 2^-51 - 2^-52 > 0
    [[2.0 ** 1023, 2.0 ** -25], [2.0 ** -25, 2.0 ** -1074]],            # det = 2^-51 - 2^-50 < 0
    [[Fraction(3), Fraction(1, 7)], [Fraction(1, 7), Fraction(1, 147)]],  # det exactly 0
    [[Fraction(3), Fraction(1, 7)], [Fraction(1, 7), Fraction(1, 147) + TINY]],
    [[Fraction(3), Fraction(1, 7)], [Fraction(1, 7), Fraction(1, 147) - TINY]],
    [[2 ** 62, 2 ** 62 - 1], [2 ** 62 - 1, 2 ** 62 - 2]],               # FLINT's small/large integer boundary
    [[2 ** 63 - 1, 2 ** 62], [2 ** 62, 2 ** 61 + 1]],
    [[-(2 ** 62), 1], [1, 2 ** 62]],
]


@pytest.mark.parametrize("S", HAND, ids=range(len(HAND)))
def test_is_pd_exact_hand_made(S):
    assert is_pd_exact(S) == oracle_pd(S) == exact_positive_definite(S)


def test_rank_deficient_grams_and_tiny_shifts():
    """X X^T has rank k < n (singular, PSD), X X^T - 2^-1074 I is indefinite, X X^T + 2^-1074 I is PD."""
    rng = np.random.default_rng(7)
    for n in (2, 3, 5, 8, 13):
        for k in range(1, n):
            X = rng.integers(-5, 6, size=(n, k))
            G = [[Fraction(int(v)) for v in row] for row in (X @ X.T)]
            for shift, want in ((0, False), (-TINY, False), (TINY, True)):
                S = [[G[i][j] + (shift if i == j else 0) for j in range(n)] for i in range(n)]
                assert is_pd_exact(S) == oracle_pd(S) == want, (n, k, shift)


def test_fflu_structure_and_minors_agree():
    """What the criterion reads from python-flint: P is an n x n 0/1 permutation matrix, and with P = I the diagonal
    of U is the sequence of leading minors (Bareiss), L_ii = U_ii, D_ii = U_(i-1)(i-1) U_ii; a singular or
    rank-deficient matrix leaves a zero on U's diagonal."""
    from flint import fmpz_mat

    rng = np.random.default_rng(11)
    for trial in range(300):
        n = int(rng.integers(1, 9))
        scale = int(rng.choice([3, 2 ** 31, 2 ** 61, 2 ** 62, 2 ** 63, 2 ** 100]))
        A = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                A[i][j] = A[j][i] = int(rng.integers(-3, 4)) * (scale // 3) + int(rng.integers(-2, 3))
        if trial % 3 == 0 and n > 1:                       # rank deficient: a row equal to another
            A[n - 1] = A[0][:]
            for i in range(n):
                A[i][n - 1] = A[n - 1][i]
            A[n - 1][n - 1] = A[0][0]
        P, L, D, U = fmpz_mat(A).fflu()
        assert (P.nrows(), P.ncols()) == (n, n)
        Pl = [[int(P[i, j]) for j in range(n)] for i in range(n)]
        assert all(v in (0, 1) for row in Pl for v in row)
        assert all(sum(row) == 1 for row in Pl) and all(sum(col) == 1 for col in zip(*Pl))
        if Pl == [[int(i == j) for j in range(n)] for i in range(n)]:
            m = bareiss_minors(A)
            for i in range(len(m)):
                assert int(U[i, i]) == m[i]
        assert is_pd_exact(A) == oracle_pd(A)


# -- is_pd_exact: Hypothesis against two oracles ------------------------------------------------------------

_scalars = st.one_of(
    st.integers(-4, 4),
    st.integers(-(2 ** 64), 2 ** 64),
    st.fractions(min_value=-3, max_value=3, max_denominator=50),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
    st.sampled_from([TINY, -TINY, HUGE, -HUGE, Fraction(1, 3), 2.0 ** -1074, 2.0 ** 1023, 0.1]),
)


@st.composite
def symmetric(draw):
    n = draw(st.integers(1, 5))
    S = [[Fraction(0)] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            S[i][j] = S[j][i] = Fraction(draw(_scalars))
    return S


@st.composite
def near_psd(draw):
    """X X^T plus t I with t in {-tiny, 0, tiny} (often exactly singular or barely indefinite), mixed scales."""
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, n))
    x = st.one_of(st.integers(-3, 3), st.fractions(min_value=-2, max_value=2, max_denominator=9),
                  st.sampled_from([Fraction(2) ** 500, Fraction(2) ** -500]))
    X = [[Fraction(draw(x)) for _ in range(k)] for _ in range(n)]
    t = draw(st.sampled_from([Fraction(0), TINY, -TINY, Fraction(1, 10 ** 30)]))
    return [[sum(X[i][m] * X[j][m] for m in range(k)) + (t if i == j else 0) for j in range(n)] for i in range(n)]


@settings(max_examples=300, deadline=None)
@given(symmetric())
def test_is_pd_exact_random_symmetric(S):
    assert is_pd_exact(S) == oracle_pd(S) == exact_positive_definite(S)


@settings(max_examples=300, deadline=None)
@given(near_psd())
def test_is_pd_exact_near_singular(S):
    assert is_pd_exact(S) == oracle_pd(S) == exact_positive_definite(S)


# -- inputs that are not exactly symmetric, or not matrices -------------------------------------------------

@pytest.mark.parametrize("S", [
    [[2.0, 0.5], [math.nextafter(0.5, 1.0), 2.0]],                        # one ulp
    [[2, Fraction(1, 3)], [1 / 3, 2]],                                     # 1/3 versus its binary64 rounding
    np.array([[2.0, 1e-300], [0.0, 2.0]]),
    [[1, 0, 0], [0, 1, 0], [TINY, 0, 1]],
])
def test_asymmetric_refused(S):
    with pytest.raises(KernelError):
        is_pd_exact(S)


@pytest.mark.parametrize("S", [[], [[]], [[1, 0]], [[1, 0], [0]]])
def test_not_square_refused(S):
    with pytest.raises(Exception):
        is_pd_exact(S)


# -- _exact_product and _lmi_exact against Fractions ---------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 5), st.data())
def test_exact_product_is_exact(m, k, p, data):
    x = st.one_of(st.fractions(max_denominator=10 ** 6), st.sampled_from([TINY, -TINY, HUGE, Fraction(1, 3)]),
                  st.floats(allow_nan=False, allow_infinity=False).map(Fraction))
    X = [[data.draw(x) for _ in range(k)] for _ in range(m)]
    Y = [[data.draw(x) for _ in range(p)] for _ in range(k)]
    got = kc._exact_product(X, Y)
    want = [[sum((X[i][t] * Y[t][j] for t in range(k)), Fraction(0)) for j in range(p)] for i in range(m)]
    assert got == want
    assert all(type(v) is Fraction for row in got for v in row)


@pytest.mark.parametrize("form", ["H", "FR"])
def test_lmi_exact_equals_hand_built(form):
    rng = np.random.default_rng(3)
    n = 6
    W = rng.standard_normal((n, n)) / 3
    W[0, 1] = 5e-324
    X = rng.standard_normal((n, n))
    P = (X @ X.T + n * np.eye(n)).tolist()
    P = [[P[min(i, j)][max(i, j)] for j in range(n)] for i in range(n)]
    P[2][3] = P[3][2] = Fraction(1, 3)                                  # a non-binary64 entry, read exactly
    lam = [Fraction(1, 7), 2.5, TINY, 1, 3, 0]
    g, c = Fraction(7, 5), Fraction(-1, 3)
    got = kc._lmi_exact(W, g, form, P, lam, c)
    assert got == minus_M(W.tolist(), g, form, P, lam, c)


# -- check_lmi: closed-form boundaries at n = 40 (exact) and n = 41 (verified) -------------------------------

def _diagonal_case(n: int, w: Fraction, g: Fraction, l: Fraction):
    """W = w I, P = I, lam = l: form H has B = (w + g l) I and -M(c) > 0 iff c < c* = 1 - (w + g l)^2 / (4 l)."""
    W = np.eye(n) * float(w)
    return W, np.eye(n), np.full(n, float(l)), 1 - (w + g * l) ** 2 / (4 * l)


@pytest.mark.parametrize("n", [40, 41])
def test_diagonal_boundary_exact_and_verified(n):
    w, g, l = Fraction(-1, 4), Fraction(1), Fraction(3, 2)
    W, P, lam, cstar = _diagonal_case(n, w, g, l)                       # c* = 1 - (5/4)^2 / 6 = 71/96
    assert cstar == Fraction(71, 96)
    for c in (cstar, cstar + TINY, cstar + Fraction(1, 2 ** 60), Fraction(1), Fraction(2)):
        assert not kernel_accepts(W, g, "H", P, lam, c), c
    assert kernel_accepts(W, g, "H", P, lam, cstar - Fraction(1, 2 ** 20))
    if n == 40:
        assert kernel_accepts(W, g, "H", P, lam, cstar - Fraction(1, 2 ** 200))
    # P with c >= 1 and a negative definite "metric" (s P > 0 for s = 2 (1 - c) < 0)
    for c in (Fraction(3, 2), Fraction(3)):
        assert not kernel_accepts(np.zeros((n, n)), g, "H", -np.eye(n), np.ones(n), c)


@pytest.mark.parametrize("n", [40, 41])
def test_boundary_input_types(n):
    """The same certificate as lists of Fractions / floats / numpy; a W entry that is not binary64 is refused on the
    verified side (n = 41) and read exactly on the exact side (n = 40)."""
    g = Fraction(1)
    W, P, lam, cstar = _diagonal_case(n, Fraction(-1, 4), g, Fraction(3, 2))
    c = cstar - Fraction(1, 2 ** 20)
    Wq = [[Fraction(x) for x in row] for row in W.tolist()]
    for args in ((Wq, P, lam), (W.tolist(), P.tolist(), lam.tolist()), (W, [[Fraction(x) for x in r] for r in P.tolist()],
                                                                          [Fraction(x) for x in lam])):
        assert kernel_accepts(args[0], g, "H", args[1], args[2], c)
    Wq[0][0] = Fraction(-1, 4) + Fraction(1, 3 * 2 ** 80)             # not a binary64 number
    assert kernel_accepts(Wq, g, "H", P, lam, c) == (n == 40)
    if n == 40:
        # W's exact value is read: pushed so far that c is no longer proved
        Wq[0][0] = Fraction(-1, 4) + Fraction(1, 3)
        assert not kernel_accepts(Wq, g, "H", P, lam, c)


@pytest.mark.parametrize("n", [40, 41])
def test_bad_P_and_lam_refused(n):
    g = Fraction(1)
    W, P, lam, cstar = _diagonal_case(n, Fraction(-1, 4), g, Fraction(3, 2))
    c = cstar - Fraction(1, 2 ** 20)
    P1 = P.copy()
    P1[0, 1] = 5e-324                                                   # asymmetric by one subnormal
    assert not kernel_accepts(W, g, "H", P1, lam, c)
    for bad in (0.0, -1.0, 5e-324, -5e-324):
        lam1 = lam.copy()
        lam1[n // 2] = bad
        assert not kernel_accepts(W, g, "H", P, lam1, c), bad
    for d in (0.0, -5e-324, 5e-324):                                    # singular / barely indefinite / tiny P
        P2 = P.copy()
        P2[n - 1, n - 1] = d
        assert not kernel_accepts(W, g, "H", P2, lam, c), d
    with pytest.raises(KernelError):
        kc.prove_lmi_rate(W, -g, "H", P, lam, c)                        # negative slope bound


# -- check_lmi on a full metric from the search (n = 20), perturbed ---------------------------------------------

def _cstar_float(W, g, form, P, lam):
    B = P @ W + g * np.diag(lam) if form == "H" else P + g * W.T * lam[None, :]
    Li = np.linalg.inv(np.linalg.cholesky(P))
    X = Li @ B @ np.diag(1 / lam) @ B.T @ Li.T
    return 1 - np.linalg.eigvalsh((X + X.T) / 2).max() / 4


def _inverse_00(P) -> Fraction:
    """(P^-1)_00 exactly (Gauss-Jordan in Fractions)."""
    n = len(P)
    A = [[Fraction(x) for x in row] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(P)]
    for k in range(n):
        p = next(i for i in range(k, n) if A[i][k] != 0)
        A[k], A[p] = A[p], A[k]
        pk = A[k][k]
        A[k] = [x / pk for x in A[k]]
        for i in range(n):
            if i != k and A[i][k] != 0:
                f = A[i][k]
                A[i] = [a - f * b for a, b in zip(A[i], A[k])]
    return A[0][n]


@pytest.fixture(scope="module")
def full_candidates():
    from certify.search.lmi import search_metric

    rng = np.random.default_rng(20)
    n = 20
    W = rng.standard_normal((n, n)) * 0.6 / np.sqrt(n)
    out = {}
    for form in ("H", "FR"):
        res = search_metric(W, 1.0, form, structure="full", solver="FREQUENCY")
        assert res.P is not None
        out[form] = (W, np.asarray(res.P, float), np.asarray(res.lam, float), Fraction(float(res.c)))
    return out


@pytest.mark.parametrize("form", ["H", "FR"])
def test_full_metric_rate_threshold_matches_oracle(full_candidates, form):
    W, P, lam, c = full_candidates[form]
    assert not np.allclose(P, np.diag(np.diag(P)))                    # really a full metric
    assert kc.check_lmi(W, 1, form, P, lam, c) == "exact"
    cs = _cstar_float(W, 1.0, form, P, lam)
    for rel in (-1e-9, -1e-12, 1e-12, 1e-9):
        cc = Fraction(cs + rel * abs(cs))
        assert kernel_accepts(W, 1, form, P, lam, cc) == oracle_pd(minus_M(W, 1, form, P, lam, cc)) == (rel < 0)
    # the kernel's exact threshold, bisected to 2^-80: the oracle agrees on both sides
    lo, hi = Fraction(cs * (1 - 1e-9)), Fraction(cs * (1 + 1e-9))
    while hi - lo > Fraction(1, 2 ** 80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if kernel_accepts(W, 1, form, P, lam, mid) else (lo, mid)
    assert oracle_pd(minus_M(W, 1, form, P, lam, lo))
    assert not oracle_pd(minus_M(W, 1, form, P, lam, hi))


@pytest.mark.parametrize("form", ["H", "FR"])
def test_full_metric_perturbed_P_refused(full_candidates, form):
    """P - alpha e0 e0^T is singular exactly at alpha* = 1 / (P^-1)_00 and indefinite just past it."""
    W, P, lam, c = full_candidates[form]
    Pq = [[Fraction(x) for x in row] for row in P.tolist()]
    astar = 1 / _inverse_00(Pq)
    grid = Fraction(1, 2 ** 70)                                         # short denominators keep -M(c) cheap
    below = math.floor(astar * (1 - Fraction(1, 2 ** 50)) / grid) * grid
    above = math.ceil(astar * (1 + Fraction(1, 2 ** 50)) / grid) * grid
    for alpha in (astar, above, below):
        P2 = [row[:] for row in Pq]
        P2[0][0] -= alpha
        assert is_pd_exact(P2) == oracle_pd(P2) == (alpha < astar)
        if alpha >= astar:
            assert not kernel_accepts(W, 1, form, P2, lam, c)
        else:   # P2 > 0 but nearly singular: whatever the kernel says, the oracle says the same
            assert kernel_accepts(W, 1, form, P2, lam, c) == oracle_pd(minus_M(W, 1, form, P2, lam, c))
    P3 = P.copy()
    P3[4, 7] = np.nextafter(P3[4, 7], np.inf)                          # asymmetric by one ulp
    assert not kernel_accepts(W, 1, form, P3, lam, c)
    for bad in (0.0, -1e-300, 5e-324):
        lam1 = lam.copy()
        lam1[3] = bad
        assert not kernel_accepts(W, 1, form, P, lam1, c)
    # P and lam scaled together by a power of two: the same certificate, still accepted
    assert kernel_accepts(W, 1, form, P * 2.0 ** -600, lam * 2.0 ** -600, c)
