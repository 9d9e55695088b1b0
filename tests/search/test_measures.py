"""Float matrix measures: the properties of docs/theory.md section 1, checked for every norm, weighted or not.

A "geometry" is a vector norm ||x|| = ||Theta x||_base with base in {l1, l2, linf}; its induced matrix norm is
||Theta A Theta^-1||_base. The weighted measures are checked against that definition with an independently built
Theta (diag(eta), diag(eta)^-1, or the symmetric square root of P, not the Cholesky factor the code uses).
Tolerances scale with the size and norm of the matrices involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from certify.search import measures as m
from certify.errors import InputError
from certify.kernel import exact
from tests.strategies import (
    floats, irreducible_majorant_matrices, metzler_matrices, positive_vectors, reducible_metzler_matrices,
    sizes, spd_matrices, square_matrices,
)

BASE_NORM: dict[str, Callable[[np.ndarray], float]] = {"l1": m.norm1, "l2": m.norm2, "linf": m.norminf}
BASE_MU: dict[str, Callable[[np.ndarray], float]] = {"l1": m.mu1, "l2": m.mu2, "linf": m.muinf}
KINDS = ["l1", "l2", "linf", "l1-weighted", "l2-weighted", "linf-weighted"]


@dataclass
class Geometry:
    kind: str
    base: str
    theta: np.ndarray               # ||x|| = ||theta x||_base
    mu: Callable[[np.ndarray], float]

    def transform(self, A: np.ndarray) -> np.ndarray:
        return self.theta @ A @ np.linalg.inv(self.theta)

    def norm(self, A: np.ndarray) -> float:
        return BASE_NORM[self.base](self.transform(A))

    def tol(self, *mats: np.ndarray) -> float:
        """An absolute tolerance for identities between measures and norms of `mats`."""
        n = len(self.theta)
        return 1e-9 * n * np.linalg.cond(self.theta) * (1 + sum(np.abs(self.transform(M)).sum() for M in mats))


def draw_geometry(data: st.DataObject, kind: str, n: int) -> Geometry:
    base = kind.split("-")[0]
    if kind == base:
        return Geometry(kind, base, np.eye(n), BASE_MU[base])
    if base == "l2":
        P = data.draw(spd_matrices(n), label="P")
        lam, V = np.linalg.eigh(P)
        theta = V @ np.diag(np.sqrt(lam)) @ V.T             # symmetric square root: theta^T theta = P
        return Geometry(kind, base, theta, lambda A: m.mu2_weighted(A, P))
    eta = data.draw(positive_vectors(n), label="eta")
    if base == "l1":                                        # ||x|| = sum eta_i |x_i|
        return Geometry(kind, base, np.diag(eta), lambda A: m.mu1_weighted(A, eta))
    return Geometry(kind, base, np.diag(1 / eta), lambda A: m.muinf_weighted(A, eta))   # max |x_i| / eta_i


def draw_case(data: st.DataObject, kind: str, count: int = 1):
    n = data.draw(sizes(1, 6), label="n")
    geometry = draw_geometry(data, kind, n)
    return geometry, [data.draw(square_matrices(n=n), label=f"matrix {i}") for i in range(count)]


# ----------------------------------------------------------------------------------------------------------
# Measure properties (docs/theory.md section 1), every geometry


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_subadditive(kind, data):
    g, (A, B) = draw_case(data, kind, 2)
    assert g.mu(A + B) <= g.mu(A) + g.mu(B) + g.tol(A, B)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data(), c=floats(0, 10))
def test_positively_homogeneous(kind, data, c):
    g, (A,) = draw_case(data, kind)
    assert abs(g.mu(c * A) - c * g.mu(A)) <= (1 + c) * g.tol(A)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data(), c=floats(-10, 10))
def test_shift_by_identity(kind, data, c):
    g, (A,) = draw_case(data, kind)
    assert abs(g.mu(A + c * np.eye(len(A))) - (g.mu(A) + c)) <= g.tol(A) + 1e-12 * abs(c)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_lipschitz_in_the_induced_norm(kind, data):
    g, (A, B) = draw_case(data, kind, 2)
    assert abs(g.mu(A) - g.mu(B)) <= g.norm(A - B) + g.tol(A, B)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_sandwich_norm_measure_abscissa(kind, data):
    g, (A,) = draw_case(data, kind)
    t = g.tol(A)
    norm, alpha = g.norm(A), m.spectral_abscissa(A)
    assert -norm <= -g.mu(-A) + t
    assert -g.mu(-A) <= alpha + t
    assert alpha <= g.mu(A) + t
    assert g.mu(A) <= norm + t


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data(), s=floats(0, 1))
def test_exponential_bound(kind, data, s):
    g, (A,) = draw_case(data, kind)
    t = 3 * s / max(1.0, g.norm(A))                         # keeps e^{||A|| t} <= e^3
    lhs = g.norm(scipy.linalg.expm(A * t))
    rhs = np.exp(g.mu(A) * t)                               # >= e^-3
    assert lhs <= rhs * (1 + 1e-9) + 1e-9 * np.linalg.cond(g.theta) * np.e ** 3


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_definition_as_limit(kind, data):
    # mu(A) = lim (||I + hA|| - 1) / h: an independent check of the closed formulas
    g, (A,) = draw_case(data, kind)
    size = 1 + g.norm(A)
    h = 1e-6 / size
    estimate = (g.norm(np.eye(len(A)) + h * A) - 1) / h
    assert abs(estimate - g.mu(A)) <= 1e-5 * size


@pytest.mark.parametrize("kind", ["l1-weighted", "l2-weighted", "linf-weighted"])
@given(data=st.data())
def test_weighted_equals_transformed(kind, data):
    g, (A,) = draw_case(data, kind)
    assert abs(g.mu(A) - BASE_MU[g.base](g.transform(A))) <= g.tol(A)


@given(data=st.data())
def test_mu2_weighted_is_generalised_eigenvalue(data):
    n = data.draw(sizes(1, 6))
    A, P = data.draw(square_matrices(n=n)), data.draw(spd_matrices(n))
    # min{ b : A^T P + P A <= 2 b P } = largest eigenvalue of the pencil (sym(P A), P)
    expected = scipy.linalg.eigh((P @ A + A.T @ P) / 2, P, eigvals_only=True)[-1]
    assert abs(m.mu2_weighted(A, P) - expected) <= 1e-9 * np.linalg.cond(P) * (1 + np.abs(A).sum())
    assert abs(m.mu2_weighted(A, np.eye(n)) - m.mu2(A)) <= 1e-12 * (1 + np.abs(A).sum())


@given(square_matrices())
def test_duality_and_dispatch(A):
    t = 1e-12 * (1 + np.abs(A).sum())
    assert abs(m.mu1(A) - m.muinf(A.T)) <= t and abs(m.norm1(A) - m.norminf(A.T)) <= t
    assert abs(m.mu2(A) - m.mu2(A.T)) <= t
    for name in m.NORMS:
        assert m.mu(A, name) == BASE_MU[name](A)
        assert m.induced_norm(A, name) == BASE_NORM[name](A)
    assert abs(m.norm2(A) - np.sqrt(max(0.0, np.linalg.eigvalsh(A.T @ A)[-1]))) <= 1e-6 * (1 + np.abs(A).sum())


@given(data=st.data())
def test_weighted_l1_linf_depend_only_on_majorant(data):
    n = data.draw(sizes(1, 6))
    A, eta = data.draw(square_matrices(n=n)), data.draw(positive_vectors(n))
    M = m.metzler_majorant(A)
    assert m.muinf_weighted(A, eta) == pytest.approx(m.muinf_weighted(M, eta), rel=1e-12, abs=1e-12)
    assert m.mu1_weighted(A, eta) == pytest.approx(m.mu1_weighted(M, eta), rel=1e-12, abs=1e-12)
    # mu1 weighted by eta is muinf of the transpose weighted by eta
    assert m.mu1_weighted(A, eta) == pytest.approx(m.muinf_weighted(A.T, eta), rel=1e-12, abs=1e-9)


def test_known_values():
    A = np.array([[-3.0, 1, -2], [4, -5, 0.5], [0, 1, 1]])
    assert m.mu1(A) == 3.5 and m.muinf(A) == 2.0 and m.norm1(A) == 7.0 and m.norminf(A) == 9.5
    R = np.array([[0.0, 1], [-1, 0]])                       # rotation generator: skew-symmetric
    assert m.mu2(R) == pytest.approx(0, abs=1e-15) and m.spectral_abscissa(R) == pytest.approx(0, abs=1e-15)
    assert m.mu1(R) == 1.0 and m.mu(-R, "linf") == 1.0       # mu(-A) != -mu(A)
    assert m.norm2(np.array([[3.0, 4.0]])) == pytest.approx(5.0)   # norms accept rectangular input
    assert np.array_equal(m.metzler_majorant(A), np.array([[-3.0, 1, 2], [4, -5, 0.5], [0, 1, 1]]))


def test_l2_accurate_with_entries_near_underflow():
    # found by Hypothesis: LAPACK's eigvalsh returned 0.7483 for this matrix (true mu2 = 0.75); measures rescales
    t = 4.13777927e-162
    A = np.full((4, 4), t)
    A[0, 1] = 1.5
    assert m.mu2(A) == pytest.approx(0.75, rel=1e-14)
    assert m.norm2(A) == pytest.approx(1.5, rel=1e-14)
    assert m.mu2_weighted(A, np.eye(4)) == pytest.approx(0.75, rel=1e-14)
    assert m.mu2(A * 1e-150) == pytest.approx(0.75e-150, rel=1e-14)


# ----------------------------------------------------------------------------------------------------------
# Best diagonal weights: inf over eta of the weighted measure is alpha(ceil(A))


@given(irreducible_majorant_matrices(), st.data())
def test_best_weights_attain_abscissa_of_majorant_irreducible(A, data):
    n = len(A)
    alpha = m.spectral_abscissa(m.metzler_majorant(A))
    scale = 1 + m.norminf(A)
    for best, weighted in ((m.best_weighted_linf, m.muinf_weighted), (m.best_weighted_l1, m.mu1_weighted)):
        value, eta = best(A)
        assert eta.shape == (n,) and np.all(eta > 0)
        assert value == pytest.approx(alpha, abs=1e-9 * scale)
        assert abs(weighted(A, eta) - value) <= 1e-7 * scale         # attained (Perron vector)
        other = data.draw(positive_vectors(n), label="other weights")
        assert weighted(A, other) >= value - 1e-9 * scale            # and it is the infimum


@given(reducible_metzler_matrices())
def test_best_weights_approach_abscissa_reducible(M):
    scale = max(1.0, m.norminf(M))
    value, eta = m.best_weighted_linf(M)
    assert np.all(eta > 0)
    assert value == pytest.approx(m.spectral_abscissa(M), abs=1e-9 * scale)
    assert m.muinf_weighted(M, eta) <= value + 1.5e-8 * scale          # within the default tol
    value1, eta1 = m.best_weighted_l1(M, tol=1e-4)
    assert np.all(eta1 > 0) and m.mu1_weighted(M, eta1) <= value1 + 1e-4 * (1 + 1e-6)


def test_best_weights_nilpotent_infimum_not_attained():
    J = np.array([[0.0, 1.0], [0.0, 0.0]])                 # alpha = 0; mu_inf,eta(J) = eta_2 / eta_1 > 0
    value, eta = m.best_weighted_linf(J, tol=1e-6)
    assert value == 0.0 and np.all(eta > 0)
    assert 0 < m.muinf_weighted(J, eta) <= 1e-6


@given(metzler_matrices(irreducible=True))
def test_best_weights_are_right_perron_vector(M):
    value, eta = m.best_weighted_linf(M)
    assert np.allclose(M @ eta, value * eta, atol=1e-7 * (1 + m.norminf(M)))


# ----------------------------------------------------------------------------------------------------------
# Input validation: messages name the function, the argument and the problem


@pytest.mark.parametrize("call, message", [
    (lambda: m.mu1(np.ones(3)), r"mu1: argument 'A' must be a 2-D matrix; got shape \(3,\)"),
    (lambda: m.mu2(np.ones((2, 3))), r"mu2: argument 'A' must be square; got shape \(2, 3\)"),
    (lambda: m.muinf(np.zeros((0, 0))), r"muinf: argument 'A' is empty"),
    (lambda: m.muinf([[1, 2], [3]]), r"muinf: argument 'A' is not rectangular: row lengths are \[2, 1\]"),
    (lambda: m.mu1([[1.0, np.inf], [0, 1]]), r"mu1: argument 'A' must be finite; entry \(0, 1\) is inf"),
    (lambda: m.mu2([[np.nan]]), r"mu2: argument 'A' must be finite; entry \(0, 0\) is nan"),
    (lambda: m.mu2([[1j]]), r"mu2: argument 'A' has complex entries"),
    (lambda: m.mu1([["x"]]), r"mu1: argument 'A', entry \(0, 0\) is the string 'x', which is not a number"),
    (lambda: m.mu1_weighted(np.eye(3), [1, 1, -0.5]),
     r"mu1_weighted: argument 'eta' must be positive; entry 2 is -0.5"),
    (lambda: m.muinf_weighted(np.eye(3), [1, 0, 1]), r"muinf_weighted: argument 'eta' must be positive; entry 1 is 0"),
    (lambda: m.muinf_weighted(np.eye(3), [1, 1]), r"muinf_weighted: argument 'eta' has 2 entries but 'A' is 3x3"),
    (lambda: m.mu1_weighted(np.eye(2), [1, np.nan]), r"mu1_weighted: argument 'eta' must be finite; entry 1 is nan"),
    (lambda: m.mu1_weighted(np.eye(2), np.ones((2, 1))), r"mu1_weighted: argument 'eta' must be a 1-D vector"),
    (lambda: m.mu2_weighted(np.eye(2), np.eye(3)), r"mu2_weighted: argument 'P' has shape \(3, 3\) but 'A' is 2x2"),
    (lambda: m.mu2_weighted(np.eye(2), [[1, 0.5], [0, 1]]),
     r"mu2_weighted: argument 'P' must be symmetric; P\[0, 1\] = 0.5 but P\[1, 0\] = 0.0"),
    (lambda: m.mu2_weighted(np.eye(2), [[1, 2], [2, 1]]),
     r"mu2_weighted: argument 'P' must be positive definite; its smallest eigenvalue is about -1"),
    (lambda: m.mu(np.eye(2), "L2"), r"mu: argument 'norm' must be one of 'l1', 'l2', 'linf'; got 'L2'"),
    (lambda: m.induced_norm(np.eye(2), 2), r"induced_norm: argument 'norm' must be one of .*; got 2"),
    (lambda: m.best_weighted_linf(np.eye(2), tol=0.0), r"best_weighted_linf: argument 'tol' must be a positive"),
    (lambda: m.best_weighted_l1(np.ones(2)), r"best_weighted_l1: argument 'A' must be a 2-D matrix"),
])
def test_bad_input_messages(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_bad_input_hints_and_symbols():
    with pytest.raises(InputError) as info:
        m.mu1_weighted(np.eye(3), [1, 1, -0.5])
    assert info.value.symbol == "eta" and "weights define a norm" in info.value.hint
    with pytest.raises(InputError) as info:
        m.mu2_weighted(np.eye(2), [[1, 2], [2, 1]])
    assert info.value.symbol == "P" and "B @ B.T + eps * I" in info.value.hint


def test_accepts_lists_fractions_and_number_strings():
    from fractions import Fraction
    assert m.mu1([[Fraction(-1, 2), 1], [0, -1]]) == 0.0
    assert m.muinf([["-1/2", "1"], ["0", "-1"]]) == 0.5
    assert m.mu1_weighted([[0, 1], [1, 0]], ["1", "2"]) == 2.0


def test_exact_variants_are_reexported():
    for name in ("mu1_exact", "muinf_exact", "norm1_exact", "norminf_exact", "mu1_weighted_exact",
                 "muinf_weighted_exact", "mu2_le_exact", "mu2_weighted_le_exact", "is_psd_exact", "is_pd_exact",
                 "metzler_majorant_exact", "collatz_wielandt_lower_exact"):
        assert getattr(m, name) is getattr(exact, name)
        assert name in m.__all__
