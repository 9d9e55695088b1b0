"""Weighted l1/linf rates of sparse networks (kernel/sparse.py csr_parts, weighted_sparse_bound; kernel/verified.py _largest_bound).

Oracle: the exact rational measure of the dense matrix, computed here with Fractions (no kernel code), must never be
above the kernel's bound, and the bound is within a relative 1e-12 of it. The structural checks of a CSR matrix are
driven one by one.
"""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sps
from hypothesis import given, strategies as st

from certify.errors import KernelError
from certify.kernel import contraction as kc
from certify.kernel.evidence import weights_digest
from certify.kernel.sparse import csr_parts, weighted_sparse_bound
from certify.kernel.verified import weighted_row_bound


def _exact_measure(A: np.ndarray, eta: np.ndarray, positive: bool, columns: bool) -> Fraction:
    M = A.T if columns else A
    n = M.shape[0]
    F = [[Fraction(float(x)) for x in row] for row in M]
    w = [Fraction(float(x)) for x in eta]
    best = None
    for i in range(n):
        d = max(F[i][i], Fraction(0)) if positive else F[i][i]
        v = d + sum(abs(F[i][j]) * w[j] for j in range(n) if j != i) / w[i]
        best = v if best is None or v > best else best
    return best


@given(st.integers(1, 12), st.integers(0, 2**32 - 1), st.booleans(), st.booleans(), st.floats(0.0, 1.0))
def test_sparse_bound_is_never_below_the_exact_measure(n, seed, positive, columns, density):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n)) * (rng.random((n, n)) < density) * rng.choice([1e-300, 1.0, 1e300 / n])
    eta = rng.uniform(0.1, 10, size=n) * rng.choice([1e-200, 1.0])
    got = weighted_sparse_bound(sps.csr_matrix(A), eta, positive, columns)
    exact = _exact_measure(A, eta, positive, columns)
    assert got >= exact
    assert got - exact <= Fraction(1, 10**12) * (abs(exact) + 1) + Fraction(n * 4, 2**1074) / Fraction(float(eta.min()))
    dense = weighted_row_bound(A.T if columns else A, eta, positive)
    assert got == dense or abs(got - dense) <= Fraction(1, 10**13) * (abs(exact) + 1)


def test_equal_rows_are_all_evaluated_exactly():
    """Ties (every row sum the same): the exact maximum is still found."""
    n = 50
    A = sps.diags([np.full(n - 1, 0.5), np.full(n - 1, 0.25)], [1, -1], format="csr")
    got = weighted_sparse_bound(A, np.ones(n), False, False)
    assert got >= Fraction(3, 4) and got - Fraction(3, 4) < Fraction(1, 10**12)


def test_sparse_rate_matches_the_dense_rate_and_has_its_own_fingerprint():
    rng = np.random.default_rng(1)
    A = sps.random(400, 400, density=0.02, random_state=2, format="csr") * 0.1
    eta = rng.uniform(0.5, 2, size=400)
    for form, norm in (("H", "l1"), ("FR", "linf"), ("H", "linf"), ("FR", "l1")):
        sparse = kc.weighted_rate(A, Fraction(1), form, norm, eta)
        dense = kc.weighted_rate(A.toarray(), Fraction(1), form, norm, eta)
        assert abs(sparse - dense) < Fraction(1, 10**12)
    assert kc.linear_rate(A, "l1") == pytest.approx(float(kc.linear_rate(A.toarray(), "l1")), abs=1e-12)
    assert weights_digest(A) != weights_digest(A.toarray())
    B = A.copy()
    B.data[0] = np.nextafter(B.data[0], 1)
    assert weights_digest(A) != weights_digest(B)


def _csr(**over):
    A = sps.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 3.0, 4.0], [5.0, 0.0, 6.0]]))
    parts = dict(data=A.data, indices=A.indices, indptr=A.indptr, shape=A.shape)
    parts.update(over)
    return SimpleNamespace(**parts)


@pytest.mark.parametrize("over,words", [
    (dict(shape=(3, 4)), "non-empty square"),
    (dict(shape=(0, 0), data=np.zeros(0), indices=np.zeros(0, int), indptr=np.zeros(1, int)), "non-empty square"),
    (dict(indices=np.array([0.0, 1, 1, 2, 0, 2])), "integer vectors"),
    (dict(indptr=np.array([0, 2, 1, 6])), "inconsistent index arrays"),
    (dict(indptr=np.array([0, 2, 4])), "inconsistent index arrays"),
    (dict(indices=np.array([0, 1, 1, 3, 0, 2])), "out of range"),
    (dict(indices=np.array([1, 0, 1, 2, 0, 2])), "strictly increase"),
    (dict(indices=np.array([0, 0, 1, 2, 0, 2])), "strictly increase"),
    (dict(data=np.array([1, 2, 3, 4, 5, 6], dtype=complex)), "binary64"),
    (dict(data=np.array([1, 2, 3, 4, 5, np.nan])), "finite"),
    (dict(shape=None), "not a compressed sparse row matrix"),
])
def test_malformed_sparse_matrices_are_refused(over, words):
    with pytest.raises(KernelError, match=words):
        csr_parts(_csr(**over))
    with pytest.raises(KernelError):
        kc.weighted_rate(_csr(**over), 1, "H", "l1", np.ones(3))


def test_sparse_refusals_name_their_check():
    with pytest.raises(KernelError, match="^weighted_rate: the weights must be 3 positive"):
        weighted_sparse_bound(_csr(), np.array([1.0, 0.0, 1.0]), False, False)
    with pytest.raises(KernelError, match="^weighted_rate: no non-Euclidean rule"):
        kc.weighted_rate(_csr(), 1, "X", "l1", np.ones(3))
    with pytest.raises(KernelError, match="^linear_rate: linear_rate handles l1 and linf"):
        kc.linear_rate(_csr(), "l2")
    with pytest.raises(KernelError, match="^weighted_rate: overflow"):
        weighted_sparse_bound(_csr(data=np.array([1e308, 1e308, 1, 1, 1e308, 1])), np.array([1e308, 1e308, 1.0]),
                              False, False)
