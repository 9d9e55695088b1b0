"""The shared strategies produce what they claim (the properties other tests rely on)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from tests.strategies import (
    gram, irreducible_majorant_matrices, matrix_pairs, metzler_matrices, positive_rational_vectors,
    positive_vectors, psd_rational_matrices, rank_deficient_factors, rational_factors, rational_matrices,
    rational_to_float, reducible_metzler_matrices, spd_matrices, square_matrices,
)


def strongly_connected(M: np.ndarray) -> bool:
    off = (M != 0) & ~np.eye(len(M), dtype=bool)
    return connected_components(off.astype(int), directed=True, connection="strong")[0] == 1


@given(square_matrices())
def test_square_matrices(A):
    assert A.dtype == np.float64 and A.ndim == 2 and A.shape[0] == A.shape[1]
    assert 1 <= A.shape[0] <= 6
    assert np.all(np.isfinite(A)) and np.all(np.abs(A) <= 10)


@given(square_matrices(n=3, elements=st.just(2.0)))
def test_square_matrices_fixed_size_and_elements(A):
    assert A.shape == (3, 3) and np.all(A == 2.0)


@given(matrix_pairs())
def test_matrix_pairs_same_shape(pair):
    A, B = pair
    assert A.shape == B.shape and A.shape[0] == A.shape[1]


@given(st.integers(1, 6).flatmap(lambda n: st.tuples(st.just(n), positive_vectors(n))))
def test_positive_vectors(case):
    n, v = case
    assert v.shape == (n,) and np.all(v >= 0.1) and np.all(v <= 10)


def test_positive_vectors_rejects_bad_bounds():
    with pytest.raises(ValueError, match="need 0 < low <= high"):
        positive_vectors(3, low=0.0)


@given(st.integers(1, 6).flatmap(lambda n: spd_matrices(n)))
def test_spd_matrices(S):
    assert np.array_equal(S, S.T)
    lam = np.linalg.eigvalsh(S)
    assert lam[0] >= 0.1 * (1 - 1e-9) - 1e-12 * lam[-1]
    np.linalg.cholesky(S)


@given(rational_matrices())
def test_rational_matrices(A):
    n = len(A)
    assert 1 <= n <= 5 and all(len(row) == n for row in A)
    for row in A:
        for x in row:
            assert isinstance(x, Fraction) and abs(x.numerator) <= 10 and x.denominator <= 6


@given(rational_matrices(n=2, cols=4))
def test_rational_matrices_rectangular(A):
    assert len(A) == 2 and all(len(row) == 4 for row in A)


@given(st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), positive_rational_vectors(n))))
def test_positive_rational_vectors(case):
    n, v = case
    assert len(v) == n and all(isinstance(x, Fraction) and x > 0 for x in v)


@given(psd_rational_matrices())
def test_psd_rational_matrices(S):
    assert all(isinstance(x, Fraction) for row in S for x in row)
    assert all(S[i][j] == S[j][i] for i in range(len(S)) for j in range(len(S)))
    F = rational_to_float(S)
    assert np.linalg.eigvalsh(F)[0] >= -1e-9 * (1 + np.abs(F).sum())


@given(rational_factors(rank_max=2))
def test_rational_factors_rank(B):
    k = len(B[0])
    assert k <= 2 and all(len(row) == k for row in B)
    assert np.linalg.matrix_rank(rational_to_float(gram(B))) <= k


@given(rank_deficient_factors())
def test_rank_deficient_factors(B):
    n = len(B)
    k = len(B[0])
    assert k < n
    S = gram(B)
    # a rank-deficient Gram matrix is singular
    assert np.linalg.matrix_rank(rational_to_float(S)) < n


@given(metzler_matrices())
def test_metzler_matrices(M):
    off = M[~np.eye(len(M), dtype=bool)]
    assert np.all(off >= 0) and np.all(np.isfinite(M))


@given(metzler_matrices(irreducible=True))
def test_irreducible_metzler_matrices(M):
    off = M[~np.eye(len(M), dtype=bool)]
    assert np.all(off >= 0.1)
    assert strongly_connected(M)


@given(reducible_metzler_matrices())
def test_reducible_metzler_matrices(M):
    assert len(M) >= 2
    assert np.all(M[~np.eye(len(M), dtype=bool)] >= 0)
    assert not strongly_connected(M)


@given(irreducible_majorant_matrices())
def test_irreducible_majorant_matrices(A):
    off = np.abs(A[~np.eye(len(A), dtype=bool)])
    assert np.all(off >= 0.1) and np.all(off <= 10)
    assert strongly_connected(A)
