"""The verified (Rump) positive-definiteness test: never claims a matrix that is not PD."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from certify.errors import KernelError
from certify.kernel.exact import is_pd_exact
from certify.kernel.verified import is_pd_verified, norm2_upper, round_down, round_up


def spectrum_matrix(rng, n, eigenvalues):
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(eigenvalues) @ Q.T
    return (A + A.T) / 2


@given(st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_well_conditioned_pd_is_verified(n, seed):
    rng = np.random.default_rng(seed)
    A = spectrum_matrix(rng, n, rng.uniform(0.5, 2.0, size=n))
    assert is_pd_verified(A)


@given(st.integers(2, 30), st.integers(0, 2**32 - 1), st.floats(1e-6, 1.0))
def test_indefinite_is_never_verified(n, seed, neg):
    rng = np.random.default_rng(seed)
    eig = rng.uniform(0.5, 2.0, size=n)
    eig[rng.integers(n)] = -neg
    assert not is_pd_verified(spectrum_matrix(rng, n, eig))


@given(st.integers(1, 7), st.integers(0, 2**32 - 1), st.floats(-1e-3, 1e-3))
def test_verified_implies_exactly_positive_definite(n, seed, shift):
    """On small matrices near the boundary the exact rational test is the referee."""
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n, n - 1 if n > 1 else 1))
    A = B @ B.T + shift * np.eye(n)     # singular part shifted slightly either way
    A = (A + A.T) / 2
    if is_pd_verified(A):
        assert is_pd_exact([[Fraction(float(x)) for x in row] for row in A])


def test_radius_enters_the_shift():
    A = np.eye(2)
    assert is_pd_verified(A, 0.4)          # ||R||_2 <= 0.8 < 1
    assert not is_pd_verified(A, 0.6)      # bound 1.2 >= 1: not verified
    assert norm2_upper(np.full((2, 2), 0.5)) >= 1.0


def test_scaling_handles_wide_diagonals():
    A = np.diag([1e-120, 1.0, 1e120])
    A[0, 1] = A[1, 0] = 1e-61 * 0.5
    assert is_pd_verified(A)


def test_rounding_helpers_are_directed():
    x = Fraction(1, 3)
    assert Fraction(round_down(x)) <= x <= Fraction(round_up(x))
    assert round_up(Fraction(1, 2)) == 0.5 == round_down(Fraction(1, 2))


@pytest.mark.parametrize("bad, message", [
    (np.array([[1.0, 2.0], [0.0, 1.0]]), "not exactly symmetric"),
    (np.array([[np.nan]]), "NaN"),
    (np.zeros((2, 3)), "square"),
])
def test_bad_input_raises(bad, message):
    with pytest.raises(KernelError, match=message):
        is_pd_verified(bad)


def test_nonpositive_diagonal_is_not_verified():
    assert not is_pd_verified(np.array([[0.0, 0.0], [0.0, 1.0]]))
