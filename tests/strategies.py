"""Shared Hypothesis strategies for matrices and vectors.

Every strategy CONSTRUCTS a valid value (positive weights, symmetric positive definite matrices, Metzler matrices,
PSD rational matrices of a given rank, ...) instead of filtering random ones with `assume`, so no draw is wasted
and the property a test relies on holds by construction. `tests/test_strategies.py` checks each claim.

Float strategies return `numpy.ndarray` (float64); rational strategies return lists of lists of `Fraction`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

BOUND = 10.0  # default bound on the absolute value of float entries


def floats(low: float = -BOUND, high: float = BOUND) -> st.SearchStrategy[float]:
    """Finite floats in [low, high], without subnormals (they only add noise to tolerance arguments)."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def sizes(n_min: int = 1, n_max: int = 6) -> st.SearchStrategy[int]:
    return st.integers(n_min, n_max)


@st.composite
def square_matrices(draw, n_min: int = 1, n_max: int = 6, elements: st.SearchStrategy[float] | None = None,
                    n: int | None = None) -> np.ndarray:
    """n x n float matrices (n fixed, or drawn from [n_min, n_max]) with entries from `elements`
    (default: finite floats in [-10, 10])."""
    size = draw(sizes(n_min, n_max)) if n is None else n
    return draw(hnp.arrays(np.float64, (size, size), elements=floats() if elements is None else elements))


@st.composite
def matrix_pairs(draw, n_min: int = 1, n_max: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Two float matrices of the same size."""
    n = draw(sizes(n_min, n_max))
    return draw(square_matrices(n=n)), draw(square_matrices(n=n))


def positive_vectors(n: int, low: float = 0.1, high: float = 10.0) -> st.SearchStrategy[np.ndarray]:
    """Float vectors of length n with entries in [low, high], low > 0: valid weights for weighted norms."""
    if not 0 < low <= high:
        raise ValueError(f"positive_vectors: need 0 < low <= high, got low={low}, high={high}")
    return hnp.arrays(np.float64, (n,), elements=floats(low, high))


@st.composite
def spd_matrices(draw, n: int, eps: float = 0.1, bound: float = 3.0) -> np.ndarray:
    """Symmetric positive definite n x n matrices B B^T + eps I, B with entries in [-bound, bound].

    Eigenvalues lie in [eps, eps + n bound^2], so the condition number is at most 1 + n bound^2 / eps."""
    B = draw(hnp.arrays(np.float64, (n, n), elements=floats(-bound, bound)))
    S = B @ B.T + eps * np.eye(n)
    return (S + S.T) / 2


def rationals(max_num: int = 10, max_den: int = 6) -> st.SearchStrategy[Fraction]:
    """Fractions p/q with |p| <= max_num and 1 <= q <= max_den."""
    return st.builds(Fraction, st.integers(-max_num, max_num), st.integers(1, max_den))


@st.composite
def rational_matrices(draw, n_min: int = 1, n_max: int = 5, max_num: int = 10, max_den: int = 6,
                      n: int | None = None, cols: int | None = None) -> list[list[Fraction]]:
    """n x cols matrices of small Fractions (square unless `cols` is given)."""
    rows = draw(sizes(n_min, n_max)) if n is None else n
    width = rows if cols is None else cols
    return draw(st.lists(st.lists(rationals(max_num, max_den), min_size=width, max_size=width),
                         min_size=rows, max_size=rows))


def positive_rational_vectors(n: int, max_num: int = 10, max_den: int = 6) -> st.SearchStrategy[list[Fraction]]:
    """Vectors of n positive Fractions p/q with 1 <= p <= max_num, 1 <= q <= max_den."""
    return st.lists(st.builds(Fraction, st.integers(1, max_num), st.integers(1, max_den)), min_size=n, max_size=n)


def gram(B: list[list[Fraction]]) -> list[list[Fraction]]:
    """B B^T, exactly."""
    return [[sum((x * y for x, y in zip(r, s)), Fraction(0)) for s in B] for r in B]


@st.composite
def rational_factors(draw, n_min: int = 1, n_max: int = 5, rank_max: int | None = None, n: int | None = None,
                     k: int | None = None) -> list[list[Fraction]]:
    """Rational n x k factors B (k in [0, rank_max], default [0, n]); B B^T is PSD of rank <= k."""
    rows = draw(sizes(n_min, n_max)) if n is None else n
    width = draw(st.integers(0, rows if rank_max is None else min(rank_max, rows))) if k is None else k
    return draw(rational_matrices(n=rows, cols=width, max_num=5, max_den=4))


@st.composite
def psd_rational_matrices(draw, n_min: int = 1, n_max: int = 5) -> list[list[Fraction]]:
    """PSD rational matrices B B^T (possibly singular, possibly zero)."""
    return gram(draw(rational_factors(n_min, n_max)))


@st.composite
def rank_deficient_factors(draw, n_min: int = 1, n_max: int = 5) -> list[list[Fraction]]:
    """Rational n x k factors with k < n: B B^T is PSD and singular (it has a null vector)."""
    n = draw(sizes(n_min, n_max))
    return draw(rational_factors(n=n, k=draw(st.integers(0, n - 1))))


@st.composite
def metzler_matrices(draw, n_min: int = 1, n_max: int = 6, irreducible: bool = False) -> np.ndarray:
    """Metzler matrices (off-diagonal entries >= 0, diagonal in [-10, 10]).

    irreducible=True: every off-diagonal entry is in [0.1, 10], so the matrix is irreducible (its graph is
    complete)."""
    n = draw(sizes(n_min, n_max))
    low = 0.1 if irreducible else 0.0
    M = draw(hnp.arrays(np.float64, (n, n), elements=floats(low, BOUND)))
    np.fill_diagonal(M, draw(hnp.arrays(np.float64, (n,), elements=floats())))
    return M


@st.composite
def reducible_metzler_matrices(draw, n_min: int = 2, n_max: int = 6) -> np.ndarray:
    """Reducible Metzler matrices (n >= 2): block upper triangular, the block below the diagonal blocks zero."""
    M = draw(metzler_matrices(max(n_min, 2), n_max))
    n = M.shape[0]
    k = draw(st.integers(1, n - 1))
    M[k:, :k] = 0.0
    return M


@st.composite
def irreducible_majorant_matrices(draw, n_min: int = 1, n_max: int = 6) -> np.ndarray:
    """Float matrices whose off-diagonal entries have |a_ij| in [0.1, 10] with either sign: the Metzler
    majorant is irreducible, and A itself need not be Metzler."""
    M = draw(metzler_matrices(n_min, n_max, irreducible=True))
    signs = draw(hnp.arrays(np.float64, M.shape, elements=st.sampled_from([-1.0, 1.0])))
    np.fill_diagonal(signs, 1.0)
    return M * signs


def rational_to_float(A: list[list[Fraction]]) -> np.ndarray:
    return np.array([[float(x) for x in row] for row in A], dtype=float).reshape(len(A), -1)
