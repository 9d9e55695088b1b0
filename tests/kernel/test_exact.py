"""The exact rational kernel functions: known constructions, agreement with floats, refusals with messages."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from certify.search import measures as m
from certify.errors import InputError, KernelError
from certify.kernel.exact import (
    collatz_wielandt_lower_exact, is_pd_exact, is_psd_exact, ldl_exact, metzler_majorant_exact, mu1_exact,
    mu1_weighted_exact, mu2_le_exact, mu2_weighted_le_exact, muinf_exact, muinf_weighted_exact, norm1_exact,
    norminf_exact, to_fraction, to_fraction_matrix, to_fraction_vector,
)
from tests.strategies import (
    gram, metzler_matrices, positive_rational_vectors, psd_rational_matrices, rank_deficient_factors,
    rational_factors, rational_matrices, rational_to_float, rationals,
)


def identity(n: int, c: Fraction = Fraction(1)) -> list[list[Fraction]]:
    return [[c if i == j else Fraction(0) for j in range(n)] for i in range(n)]


def add(A, B):
    return [[x + y for x, y in zip(r, s)] for r, s in zip(A, B)]


def matmul(A, B):
    return [[sum((A[i][k] * B[k][j] for k in range(len(B))), Fraction(0)) for j in range(len(B[0]))]
            for i in range(len(A))]


def tol(A) -> float:
    """Float tolerance for comparing an exact result with a float one on the same matrix."""
    F = rational_to_float(A)
    return 1e-9 * (1 + np.abs(F).sum())


# ----------------------------------------------------------------------------------------------------------
# Input conversion


def test_to_fraction_accepts_ints_fractions_strings_floats_numpy():
    assert to_fraction_matrix([[1, Fraction(1, 3)], ["3/4", "-0.25"]]) == [
        [Fraction(1), Fraction(1, 3)], [Fraction(3, 4), Fraction(-1, 4)]]
    assert to_fraction_matrix(np.array([[0.1, 2]])) == [[Fraction(0.1), Fraction(2)]]  # exact binary value
    assert to_fraction_matrix(np.eye(2, dtype=np.int64)) == identity(2)
    assert to_fraction_vector(["1e-3", " +7/2 ", np.float32(0.5)]) == [Fraction(1, 1000), Fraction(7, 2),
                                                                       Fraction(1, 2)]
    assert to_fraction(".5") == Fraction(1, 2)
    assert to_fraction_matrix([]) == []


@pytest.mark.parametrize("bad, message", [
    ([[1, 2], [3]], r"argument 'M' is not rectangular: row lengths are \[2, 1\]"),
    ([[1, float("nan")]], r"argument 'M', entry \(0, 1\) is nan; only finite"),
    ([[float("inf")]], r"argument 'M', entry \(0, 0\) is inf"),
    ([["1/0"]], r"argument 'M', entry \(0, 0\) is '1/0', which has a zero denominator"),
    ([["2**3"]], r"argument 'M', entry \(0, 0\) is the string '2\*\*3', which is not a number"),
    ([["__import__('os')"]], r"which is not a number"),
    ([["1e100000"]], r"which is not a number"),
    ([["1_000"]], r"which is not a number"),
    ([["\u0663"]], r"which is not a number"),  # an Arabic-Indic digit: int() would accept it
    ([[True]], r"argument 'M', entry \(0, 0\) is a bool"),
    ([[1j]], r"has type complex"),
    ([1, 2], r"argument 'M' must be a 2-D matrix"),
    ("12", r"argument 'M' must be a 2-D matrix"),
])
def test_to_fraction_matrix_rejects_with_named_argument(bad, message):
    with pytest.raises(InputError, match=message) as info:
        to_fraction_matrix(bad, "M")
    assert info.value.symbol == "M"


def test_to_fraction_vector_and_scalar_reject():
    with pytest.raises(InputError, match=r"argument 'eta', entry 1 is -inf"):
        to_fraction_vector([1, float("-inf")], "eta")
    with pytest.raises(InputError, match=r"argument 'eta' must be a 1-D sequence"):
        to_fraction_vector(3, "eta")
    with pytest.raises(InputError, match=r"argument 'b' is the string 'one'"):
        to_fraction("one", "b")


# ----------------------------------------------------------------------------------------------------------
# PSD / PD by exact LDL^T


def test_psd_known_small_cases():
    assert not is_psd_exact([[0, 1], [1, 0]])       # zero pivot, nonzero rest of the row
    assert is_psd_exact([[0, 0], [0, 1]])           # zero pivot, zero row: PSD
    assert not is_pd_exact([[0, 0], [0, 1]])
    assert is_psd_exact([[0, 0], [0, 0]]) and not is_pd_exact([[0, 0], [0, 0]])
    assert not is_psd_exact([[1, 0], [0, -1]])
    assert is_pd_exact([[2, 1], [1, 2]]) and not is_pd_exact([[1, 2], [2, 1]])
    assert is_psd_exact([[1, 1], [1, 1]]) and not is_pd_exact([[1, 1], [1, 1]])
    # a zero pivot that only appears after elimination: [[1,1,1],[1,1,2],[1,2,3]] -> Schur [[0,1],[1,2]]
    assert not is_psd_exact([[1, 1, 1], [1, 1, 2], [1, 2, 3]])
    assert is_psd_exact([["1/3"]]) and not is_psd_exact([["-1/3"]])


@given(psd_rational_matrices())
def test_gram_matrices_are_psd(S):
    assert is_psd_exact(S)


@given(rational_factors())
def test_gram_plus_identity_is_pd(B):
    S = add(gram(B), identity(len(B), Fraction(1, 1000)))
    assert is_pd_exact(S) and is_psd_exact(S)
    L, d = ldl_exact(S)
    assert all(x > 0 for x in d)
    D = [[d[i] if i == j else Fraction(0) for j in range(len(d))] for i in range(len(d))]
    LT = [list(col) for col in zip(*L)]
    assert matmul(matmul(L, D), LT) == S                     # exact reconstruction
    assert all(L[i][i] == 1 and all(L[i][j] == 0 for j in range(i + 1, len(L))) for i in range(len(L)))


@given(rank_deficient_factors(), st.integers(1, 10**6))
def test_rank_deficient_gram_minus_eps_is_not_psd(B, k):
    S = gram(B)
    assert is_psd_exact(S) and not is_pd_exact(S)            # singular PSD
    assert not is_psd_exact(add(S, identity(len(B), Fraction(-1, k))))


@given(rational_matrices(n_min=1), st.integers(-3, 3), st.integers(0, 4))
def test_pd_agrees_with_an_elimination_in_fractions(A, shift, zeros):
    """is_pd_exact (FLINT's fraction-free LU, Sylvester's criterion) against tests/oracle.exact_positive_definite
    (Gaussian elimination in Fractions, written apart from the kernel): the same answer on definite, semi-definite,
    indefinite and zero-led matrices (zeroed leading rows and columns force a zero pivot or a row exchange)."""
    from tests.oracle import exact_positive_definite
    n = len(A)
    S = [[(A[i][j] + A[j][i]) / 2 + (shift if i == j else 0) for j in range(n)] for i in range(n)]
    for k in range(min(zeros, n - 1)):
        for j in range(n):
            S[k][j] = S[j][k] = Fraction(0)
    assert is_pd_exact(S) == exact_positive_definite(S)
    G = gram(A)
    assert is_pd_exact(G) == exact_positive_definite(G)


def test_pd_with_huge_and_tiny_entries():
    # binary64 extremes: the integer scaling spans 2^2100; the answer is still exact
    tiny, huge = Fraction(2) ** -1074, Fraction(2) ** 1023
    assert is_pd_exact([[tiny, 0], [0, huge]])
    assert not is_pd_exact([[tiny, tiny], [tiny, tiny]])                        # singular
    assert is_pd_exact([[huge, tiny], [tiny, huge]])
    assert not is_pd_exact([[tiny, 1], [1, huge]])                # det = 2^-51 - 1 < 0
    assert is_pd_exact([[tiny, 0], [0, tiny]]) and not is_pd_exact([[-tiny]])
    assert not is_pd_exact([[0, 1], [1, 0]]) and not is_pd_exact([[0]])


@given(rational_matrices(n_min=2))
def test_psd_agrees_with_eigenvalues_when_clear(A):
    S = [[(A[i][j] + A[j][i]) / 2 for j in range(len(A))] for i in range(len(A))]
    lam = np.linalg.eigvalsh(rational_to_float(S))
    if lam[0] > tol(S):
        assert is_pd_exact(S) and is_psd_exact(S)
    elif lam[0] < -tol(S):
        assert not is_psd_exact(S) and not is_pd_exact(S)


def test_ldl_refuses_when_pivoting_is_needed():
    with pytest.raises(KernelError, match="no LDL\\^T factorisation without pivoting"):
        ldl_exact([[0, 1], [1, 0]])
    assert ldl_exact([[0, 0], [0, 2]]) == ([[1, 0], [0, 1]], [0, 2])


@pytest.mark.parametrize("func", [is_psd_exact, is_pd_exact, ldl_exact])
def test_psd_refuses_non_square_or_non_symmetric(func):
    with pytest.raises(KernelError, match=r"'S' is not exactly symmetric: entry \(0, 1\) = 1 but entry \(1, 0\) = 2"):
        func([[1, 1], [2, 1]])
    with pytest.raises(KernelError, match="'S' must be a non-empty square matrix, got 1 row"):
        func([[1, 2]])
    with pytest.raises(KernelError, match="non-empty square"):
        func([])
    # 1e-17 is not exactly 0: symmetry is exact, not up to a tolerance
    with pytest.raises(KernelError, match="not exactly symmetric"):
        func([[1, 1e-17], [0, 1]])


# ----------------------------------------------------------------------------------------------------------
# l1 / l-infinity measures and norms


@given(rational_matrices())
def test_l1_linf_exact_agree_with_float(A):
    F = rational_to_float(A)
    t = tol(A)
    assert abs(float(mu1_exact(A)) - m.mu1(F)) <= t
    assert abs(float(muinf_exact(A)) - m.muinf(F)) <= t
    assert abs(float(norm1_exact(A)) - m.norm1(F)) <= t
    assert abs(float(norminf_exact(A)) - m.norminf(F)) <= t
    n = len(A)
    assert metzler_majorant_exact(A) == [[A[i][j] if i == j else abs(A[i][j]) for j in range(n)] for i in range(n)]
    assert np.array_equal(rational_to_float(metzler_majorant_exact(A)), m.metzler_majorant(F))


@given(rational_matrices(n=3), positive_rational_vectors(3))
def test_weighted_exact_agree_with_float_and_transformation(A, eta):
    F = rational_to_float(A)
    w = np.array([float(x) for x in eta])
    t = 1e-9 * (1 + np.abs(F).sum()) * (max(eta) / min(eta))
    assert abs(float(mu1_weighted_exact(A, eta)) - m.mu1_weighted(F, w)) <= t
    assert abs(float(muinf_weighted_exact(A, eta)) - m.muinf_weighted(F, w)) <= t
    # exact identity: weighted = unweighted measure of the similarity transform (docs/theory.md section 1)
    D = [[eta[i] if i == j else Fraction(0) for j in range(3)] for i in range(3)]
    Dinv = [[1 / eta[i] if i == j else Fraction(0) for j in range(3)] for i in range(3)]
    assert mu1_weighted_exact(A, eta) == mu1_exact(matmul(matmul(D, A), Dinv))
    assert muinf_weighted_exact(A, eta) == muinf_exact(matmul(matmul(Dinv, A), D))
    assert muinf_weighted_exact(A, eta) == muinf_weighted_exact(metzler_majorant_exact(A), eta)


def test_exact_measures_known_values():
    A = [[-3, 1, -2], [4, -5, "1/2"], [0, 1, 1]]
    assert mu1_exact(A) == max(-3 + 4, -5 + 1 + 1, 1 + 2 + Fraction(1, 2))
    assert muinf_exact(A) == max(-3 + 1 + 2, -5 + 4 + Fraction(1, 2), 1 + 1)
    assert norm1_exact(A) == Fraction(7) and norminf_exact(A) == Fraction(19, 2)
    assert norm1_exact([[1, 2, 3]]) == 3 and norminf_exact([[1, 2, 3]]) == 6   # rectangular is fine
    assert metzler_majorant_exact(A) == [[-3, 1, 2], [4, -5, Fraction(1, 2)], [0, 1, 1]]


@pytest.mark.parametrize("func", [mu1_weighted_exact, muinf_weighted_exact])
def test_weighted_exact_refuses_bad_weights(func):
    with pytest.raises(KernelError, match="'eta' must be positive; entry 1 is 0"):
        func([[1, 0], [0, 1]], [1, 0])
    with pytest.raises(KernelError, match="'eta' has 3 entries; the matrix is 2x2"):
        func([[1, 0], [0, 1]], [1, 1, 1])


# ----------------------------------------------------------------------------------------------------------
# l2 measures


@given(rational_matrices())
def test_mu2_le_exact_brackets_float_mu2(A):
    mu2 = Fraction(m.mu2(rational_to_float(A)))
    margin = Fraction(tol(A))
    assert mu2_le_exact(A, mu2 + margin)
    assert not mu2_le_exact(A, mu2 - margin)
    assert mu2_le_exact(A, math.ceil(mu2 + margin))          # an integer bound works too


@given(rank_deficient_factors(), rational_matrices(n=5), rationals(max_num=3))
def test_mu2_le_exact_is_sharp_at_exact_value(B, K, c):
    # sym(A) = c I - B B^T with B B^T singular, so mu2(A) = c exactly; the skew part does not change mu2
    n = len(B)
    skew = [[(K[i][j] - K[j][i]) / 2 for j in range(n)] for i in range(n)]
    A = add(add(identity(n, c), [[-x for x in row] for row in gram(B)]), skew)
    assert mu2_le_exact(A, c)
    assert not mu2_le_exact(A, c - Fraction(1, 10**12))


@given(rational_matrices(n=3), rational_factors(n=3, k=3))
def test_mu2_weighted_le_exact_brackets_float(A, B):
    P = add(gram(B), identity(3))                            # rational, symmetric positive definite
    Pf, F = rational_to_float(P), rational_to_float(A)
    value = Fraction(m.mu2_weighted(F, Pf))
    margin = Fraction(1e-8 * (1 + np.abs(F).sum()) * np.linalg.cond(Pf))
    assert mu2_weighted_le_exact(A, P, value + margin)
    assert not mu2_weighted_le_exact(A, P, value - margin)
    # P = I gives the unweighted test
    assert mu2_weighted_le_exact(A, identity(3), Fraction(m.mu2(F)) + Fraction(tol(A))) is True


def test_mu2_weighted_le_exact_refuses_bad_metric():
    A = [[0, 1], [-1, 0]]
    with pytest.raises(KernelError, match="'P' is not positive definite"):
        mu2_weighted_le_exact(A, [[1, 0], [0, 0]], 0)
    with pytest.raises(KernelError, match="'P' is not exactly symmetric"):
        mu2_weighted_le_exact(A, [[1, 1], [0, 1]], 0)
    with pytest.raises(KernelError, match=r"'P' is 1x1 but 'A' is 2x2"):
        mu2_weighted_le_exact(A, [[1]], 0)
    with pytest.raises(InputError, match="argument 'b' is nan"):
        mu2_le_exact(A, float("nan"))
    assert mu2_weighted_le_exact(A, [[2, 0], [0, 2]], 0)     # skew-symmetric: mu2 = 0 in any scalar metric


# ----------------------------------------------------------------------------------------------------------
# Collatz-Wielandt


@given(metzler_matrices(n_max=5), st.data())
def test_collatz_wielandt_is_lower_bound_on_abscissa(M, data):
    n = len(M)
    v = data.draw(positive_rational_vectors(n))
    lower = collatz_wielandt_lower_exact(M, v)
    alpha = m.spectral_abscissa(M)
    scale = 1 + np.abs(M).sum()
    assert float(lower) <= alpha + 1e-7 * scale
    # the upper Collatz-Wielandt bound max_i (Mv)_i / v_i is the v-weighted l-infinity measure
    assert alpha <= float(muinf_weighted_exact(M, v)) + 1e-7 * scale


@given(metzler_matrices(irreducible=True, n_max=5))
def test_collatz_wielandt_tight_at_perron_vector(M):
    alpha, eta = m.best_weighted_linf(M)
    v = [Fraction(x) for x in eta]
    scale = 1 + np.abs(M).sum()
    assert abs(float(collatz_wielandt_lower_exact(M, v)) - alpha) <= 1e-6 * scale
    assert abs(float(muinf_weighted_exact(M, v)) - alpha) <= 1e-6 * scale


def test_collatz_wielandt_refuses():
    with pytest.raises(KernelError, match=r"'M' is not Metzler: off-diagonal entry \(0, 1\) is -1 < 0"):
        collatz_wielandt_lower_exact([[0, -1], [1, 0]], [1, 1])
    with pytest.raises(KernelError, match="'v' must be positive; entry 0 is -1"):
        collatz_wielandt_lower_exact([[0, 1], [1, 0]], [-1, 1])
    assert collatz_wielandt_lower_exact([[-1, 2], [2, -1]], [1, 1]) == 1    # Perron root of this matrix is 1
