"""Refuting contraction by verified equilibria: the untrusted search (certify.search.equilibria) and the trusted
kernel (certify.kernel.equilibria), including fabricated witnesses the kernel must reject."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy.optimize import brentq

from certify.search.equilibria import (candidates, diverging_pair, find_equilibria, jacobian, preconditioner, refute,
                                       refute_verified, spectrum, unstable_brackets, vector_field)
from certify.errors import InputError, KernelError
from certify.kernel.equilibria import EquilibriumBox, verify_equilibrium_box, verify_two_equilibria
from certify.kernel.instability import verify_unstable_equilibrium

SWAP = [[0, 1], [1, 0]]
W_EXACT = [["0", "6/5"], ["6/5", "0"]]          # exactly 1.2 * SWAP
W_FLOAT = 1.2 * np.array(SWAP, dtype=float)      # 1.2 as a float is not 6/5
ZERO = [0, 0]
A_FR = brentq(lambda a: a - np.tanh(1.2 * a), 0.1, 1.0)      # FR: a = tanh(1.2 a)
B_H = brentq(lambda b: b - 1.2 * np.tanh(b), 0.1, 2.0)       # H:  b = 1.2 tanh(b)
SMOOTH = ("tanh", "logistic", "softplus")
ALL = ("tanh", "logistic", "softplus", "relu", "leaky-relu", "linear")


def Y(W, u, form, activation, center):
    """The search side's untrusted Krawczyk preconditioner (the kernel makes no guess of its own)."""
    return preconditioner(W, u, form, activation, center)


def inside(box: EquilibriumBox, x) -> bool:
    return all(lo <= Fraction(float(v)) <= hi for lo, hi, v in zip(box.lower(), box.upper(), x))


# ---------------------------------------------------------------------------------------------------
# the bistable network, both forms


@pytest.mark.parametrize("form, a", [("FR", A_FR), ("H", B_H)])
def test_bistable_has_three_equilibria(form, a):
    eqs = find_equilibria(W_FLOAT, ZERO, form, "tanh")
    assert len(eqs) == 3
    np.testing.assert_allclose(eqs[0], [-a, -a], atol=1e-10)
    np.testing.assert_allclose(eqs[1], [0, 0], atol=1e-12)
    np.testing.assert_allclose(eqs[2], [a, a], atol=1e-10)
    assert spectrum(W_FLOAT, eqs[1], ZERO, form, "tanh")[0].real == pytest.approx(0.2)
    assert all(spectrum(W_FLOAT, e, ZERO, form, "tanh")[0].real < 0 for e in (eqs[0], eqs[2]))


@pytest.mark.parametrize("form", ["FR", "H"])
def test_bistable_refuted_by_exact_unstable_origin(form):
    cand = refute(W_EXACT, ZERO, form, "tanh")
    assert cand is not None and cand.kind == "unstable" and cand.exact
    res = cand.verify()
    assert res.method == "exact-root" and res.jacobian == "exact"
    assert res.eigenvalue == ("1/5", "1/5")                          # 0.2 exactly
    assert res.equilibrium.point == ("0", "0") and res.equilibrium.method == "exact-point"
    assert res.charpoly == ("-11/25", "2", "1")                      # (s - 1/5)(s + 11/5)
    assert refute_verified(W_EXACT, ZERO, form, "tanh") == res


@pytest.mark.parametrize("form", ["FR", "H"])
def test_bistable_with_float_weights_has_the_float_eigenvalue_exactly(form):
    res = refute(W_FLOAT, ZERO, form, "tanh").verify()
    lam = Fraction(1.2) - 1                                          # the exact eigenvalue of the float network
    assert res.eigenvalue == (str(lam), str(lam))


@pytest.mark.parametrize("form, a", [("FR", A_FR), ("H", B_H)])
def test_bistable_two_krawczyk_boxes(form, a):
    f = vector_field(W_FLOAT, ZERO, form, "tanh")
    eqs = find_equilibria(W_FLOAT, ZERO, form, "tanh")
    for x in (eqs[0], eqs[2]):
        assert np.max(np.abs(f(x))) < 1e-14
    res = verify_two_equilibria(W_FLOAT, ZERO, form, "tanh", (eqs[0], 1e-9), (eqs[2], 1e-9),
                                preconditioners=(Y(W_FLOAT, ZERO, form, "tanh", eqs[0]),
                                                 Y(W_FLOAT, ZERO, form, "tanh", eqs[2])))
    assert res.first.method == res.second.method == "krawczyk" and res.first.unique
    assert inside(res.first, eqs[0]) and inside(res.second, eqs[2])
    assert inside(res.second, [a, a])  # the independently computed root lies in the verified box


@pytest.mark.parametrize("form", ["FR", "H"])
def test_unstable_origin_by_interval_jacobian(form):
    c = [1e-7, -2e-7]
    res = verify_unstable_equilibrium(W_FLOAT, ZERO, form, "tanh", c, 1e-3,
                                      eigenvalue=unstable_brackets(W_FLOAT, ZERO, form, "tanh", c),
                                      preconditioner=Y(W_FLOAT, ZERO, form, "tanh", c))
    assert res.jacobian == "interval" and res.method == "sign-change"
    lo, hi = map(Fraction, res.eigenvalue)
    assert 0 < lo < Fraction(1, 5) < hi < Fraction(21, 100)


def test_diverging_pair_on_the_bistable_network():
    pair = diverging_pair(W_FLOAT, ZERO, "FR", "tanh", 100.0)
    assert pair.initial_distance < 0.01 and pair.final_distance > 1.8
    lims = sorted(tuple(np.round(lim, 6)) for lim in pair.limits)
    assert lims == [tuple(np.round([-A_FR, -A_FR], 6)), tuple(np.round([A_FR, A_FR], 6))]
    assert "UNTRUSTED" in pair.note
    assert diverging_pair(0.5 * np.eye(2), ZERO, "H", "tanh") is None   # contracting: nothing to show


# ---------------------------------------------------------------------------------------------------
# other certificates


def test_complex_unstable_pair_by_routh():
    W = [[1.5, -2], [2, 1.5]]        # J(0) = [[0.5, -2], [2, 0.5]]: eigenvalues 0.5 +- 2i
    exact = verify_unstable_equilibrium(W, ZERO, "H", "tanh", ZERO, 0)
    assert exact.method == "routh" and exact.unstable_count == 2 and exact.eigenvalue is None
    box = verify_unstable_equilibrium(W, ZERO, "H", "tanh", [1e-9, 0], 1e-4,
                                      preconditioner=Y(W, ZERO, "H", "tanh", [1e-9, 0]))
    assert box.method == "routh" and box.jacobian == "interval" and box.unstable_count == 2
    cand = refute(W, ZERO, "H", "tanh")
    assert cand is not None and cand.verify().unstable_count == 2


def test_logistic_exact_point():
    # FR with logistic: x* = 1/2 (1, 1) when W x* + u = 0; J = -I + W/4 has eigenvalue 1
    W, u = [[0, 8], [8, 0]], [-4, -4]
    res = verify_unstable_equilibrium(W, u, "FR", "logistic", ["1/2", "1/2"], 0)
    assert res.eigenvalue == ("1", "1") and res.equilibrium.point == ("1/2", "1/2")
    assert refute(W, u, "FR", "logistic").verify().eigenvalue == ("1", "1")


@pytest.mark.parametrize("activation, leak, neg", [("relu", None, Fraction(-1)),
                                                   ("leaky-relu", "1/4", Fraction(-2))])
def test_piecewise_linear_two_equilibria_exact(activation, leak, neg):
    # x' = -x + 2 phi(x) - 1: equilibria 1 and -1 / (1 - 2 leak); 1 is unstable (eigenvalue 1)
    W, u = [[2]], [-1]
    two = verify_two_equilibria(W, u, "H", activation, ([1], 0.1), ([float(neg)], 0.1), leak=leak)
    assert {two.first.point, two.second.point} == {("1",), (str(neg),)}
    assert two.first.method == "affine-piece"
    uns = verify_unstable_equilibrium(W, u, "H", activation, [1], 0.1, leak=leak)
    assert uns.eigenvalue == ("1", "1")
    eqs = find_equilibria(W, u, "H", activation, leak=leak)
    np.testing.assert_allclose(np.concatenate(eqs), sorted([1.0, float(neg)]))
    assert refute(W, u, "H", activation, leak=leak).verify().eigenvalue == ("1", "1")


def test_relu_fr_four_equilibria():
    W, u = [[2, 0], [0, 2]], [-1, -1]  # decoupled x = relu(2x - 1): x in {0, 1} per coordinate
    eqs = find_equilibria(W, u, "FR", "relu")
    assert len(eqs) == 4
    res = refute(W, u, "FR", "relu").verify()
    assert res.equilibrium.point in {("0", "1"), ("1", "0"), ("1", "1")} and res.eigenvalue == ("1", "1")


# ---------------------------------------------------------------------------------------------------
# fabricated witnesses and honest failures


def test_box_without_zero_is_rejected():
    with pytest.raises(KernelError):
        verify_equilibrium_box(W_FLOAT, ZERO, "FR", "tanh", [0.3, 0.3], 0.01,
                               preconditioner=Y(W_FLOAT, ZERO, "FR", "tanh", [0.3, 0.3]))
    with pytest.raises(KernelError):
        verify_two_equilibria(W_FLOAT, ZERO, "FR", "tanh", ([A_FR, A_FR], 1e-9), ([0.3, 0.3], 0.01),
                              preconditioners=(Y(W_FLOAT, ZERO, "FR", "tanh", [A_FR, A_FR]),
                                               Y(W_FLOAT, ZERO, "FR", "tanh", [0.3, 0.3])))


def test_overlapping_or_touching_boxes_are_rejected():
    with pytest.raises(KernelError, match="overlap"):
        verify_two_equilibria(W_FLOAT, ZERO, "FR", "tanh", ([A_FR, A_FR], 1e-9), ([A_FR, A_FR], 2e-9),
                              preconditioners=(Y(W_FLOAT, ZERO, "FR", "tanh", [A_FR, A_FR]),) * 2)
    with pytest.raises(KernelError, match="overlap"):
        verify_two_equilibria(W_EXACT, ZERO, "FR", "tanh", (ZERO, 0), (ZERO, 0))
    with pytest.raises(KernelError, match="overlap"):
        verify_two_equilibria([[2]], [-1], "H", "relu", ([1], 0.1), ([1.05], 0.1))
    with pytest.raises(KernelError, match="overlap"):   # a point on the other box's face
        verify_two_equilibria([[2]], [-1], "H", "relu", ([1], 0), (["11/10"], "1/10"))


def test_claimed_positive_eigenvalue_that_is_not_there():
    for hint in ((0.4, 0.6), [(0.1, 0.3)], None):
        with pytest.raises(KernelError, match="Re < 0"):
            verify_unstable_equilibrium(W_FLOAT, ZERO, "FR", "tanh", [A_FR, A_FR], 1e-9, eigenvalue=hint,
                                        preconditioner=Y(W_FLOAT, ZERO, "FR", "tanh", [A_FR, A_FR]))
    with pytest.raises(InputError):   # a bare number is not a bracket: the kernel makes no brackets itself
        verify_unstable_equilibrium(W_FLOAT, ZERO, "FR", "tanh", [A_FR, A_FR], 1e-9, eigenvalue=0.5,
                                    preconditioner=Y(W_FLOAT, ZERO, "FR", "tanh", [A_FR, A_FR]))
    with pytest.raises(KernelError):  # a stable affine piece
        verify_unstable_equilibrium([[2]], [-1], "H", "relu", [-1], 0.1)


def test_relu_box_straddling_a_kink_is_rejected():
    with pytest.raises(KernelError, match="straddles"):
        verify_equilibrium_box([[2]], [-1], "H", "relu", [0.0], 0.1)
    with pytest.raises(KernelError, match="straddles"):  # FR: the pre-activation 2x - 1 changes sign
        verify_equilibrium_box([[2]], [-1], "FR", "relu", [0.5], 0.1)
    with pytest.raises(KernelError, match="outside"):    # one piece, but its zero is elsewhere
        verify_equilibrium_box([[2]], [-1], "H", "relu", [0.5], 0.1)


def test_equilibrium_on_a_kink_has_no_jacobian():
    # x' = -x + 2 relu(x): the only equilibrium is 0, on the kink
    box = verify_equilibrium_box([[2]], [0], "H", "relu", [0], 0)
    assert box.point == ("0",)
    with pytest.raises(KernelError, match="kink"):
        verify_unstable_equilibrium([[2]], [0], "H", "relu", [0], 0)


def test_exact_points_the_kernel_cannot_evaluate_or_that_are_wrong():
    with pytest.raises(KernelError, match="exactly"):        # tanh(0.5 * 6/5) is irrational
        verify_equilibrium_box(W_EXACT, ZERO, "FR", "tanh", [0.5, 0.5], 0)
    with pytest.raises(KernelError, match="exactly"):        # softplus(0) = log 2
        verify_equilibrium_box([[0]], [0], "H", "softplus", [0], 0)
    with pytest.raises(KernelError, match="f\\(x\\) != 0"):
        verify_equilibrium_box([[3]], [1], "H", "linear", ["1/3"], 0)
    assert verify_equilibrium_box([[3]], [1], "H", "linear", ["-1/2"], 0).point == ("-1/2",)
    with pytest.raises(KernelError, match="radius"):
        verify_equilibrium_box(W_FLOAT, ZERO, "FR", "tanh", ZERO, [0, 0.1])


def test_krawczyk_fails_honestly_on_a_large_box():
    # the box [-2, 2]^2 holds all three equilibria: no proof of a unique zero is possible
    with pytest.raises(KernelError, match="Krawczyk"):
        verify_equilibrium_box(W_FLOAT, ZERO, "FR", "tanh", ZERO, 2.0,
                               preconditioner=Y(W_FLOAT, ZERO, "FR", "tanh", ZERO))
    # even around a single equilibrium, a box much larger than its basin of linearity fails
    with pytest.raises(KernelError, match="Krawczyk"):
        verify_equilibrium_box(W_FLOAT, ZERO, "H", "tanh", [B_H, B_H], 1.5,
                               preconditioner=Y(W_FLOAT, ZERO, "H", "tanh", [B_H, B_H]))


def test_tiny_box_around_a_float_approximation_is_rejected():
    # the float Newton solution is ~1e-17 away from the true zero: a 1e-30 box around it holds no zero
    x = find_equilibria(W_FLOAT, ZERO, "FR", "tanh")[2]
    for prec in (128, 256):
        with pytest.raises(KernelError, match="Krawczyk"):
            verify_equilibrium_box(W_FLOAT, ZERO, "FR", "tanh", x, 1e-30, prec=prec,
                                   preconditioner=Y(W_FLOAT, ZERO, "FR", "tanh", x))
    with pytest.raises(InputError):
        verify_equilibrium_box(W_FLOAT, ZERO, "FR", "tanh", x, 1e-9, prec=10)


def test_bad_input():
    with pytest.raises(InputError):
        verify_equilibrium_box(W_FLOAT, ZERO, "X", "tanh", ZERO, 0.1)
    with pytest.raises(InputError):
        verify_equilibrium_box(W_FLOAT, ZERO, "H", "gelu", ZERO, 0.1)
    with pytest.raises(InputError):
        verify_equilibrium_box([[2]], [-1], "H", "leaky-relu", [1], 0.1, leak=1.5)
    with pytest.raises(InputError):
        verify_equilibrium_box(W_FLOAT, [0], "H", "tanh", ZERO, 0.1)
    with pytest.raises(InputError):
        verify_equilibrium_box(W_FLOAT, ZERO, "H", "tanh", ["nan", 0], 0.1)


def test_results_are_frozen():
    res = verify_equilibrium_box(W_EXACT, ZERO, "FR", "tanh", ZERO, 0)
    with pytest.raises(AttributeError):
        res.lo = ("1",)


# ---------------------------------------------------------------------------------------------------
# random networks


def contracting(seed: int, n: int, norm: float) -> tuple[np.ndarray, np.ndarray]:
    """||W||_2 = norm < 1 and slope <= 1: -1 + ||W||_2 < 0, contracting in l2 (docs/theory.md section 3)."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, n))
    W *= norm / np.linalg.norm(W, 2)
    return W, rng.normal(scale=2.0, size=n)


@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.floats(0.05, 0.95), st.sampled_from(ALL),
       st.sampled_from(["H", "FR"]))
def test_contracting_networks_are_never_refuted(seed, n, norm, activation, form):
    W, u = contracting(seed, n, norm)
    eqs = find_equilibria(W, u, form, activation, starts=16, seed=seed)
    assert len(eqs) == 1
    x = eqs[0]
    assert np.max(np.abs(vector_field(W, u, form, activation)(x))) < 1e-9
    assert np.all(spectrum(W, x, u, form, activation).real < 0)
    assert refute(W, u, form, activation, starts=16, seed=seed) is None
    assert refute_verified(W, u, form, activation, starts=16, seed=seed) is None
    assert not candidates(W, u, form, activation, equilibria=eqs)
    z = x if form == "H" else W @ x + u
    if activation in ("relu", "leaky-relu") and np.min(np.abs(z)) < 1e-5:
        return  # the equilibrium sits (numerically) on a kink; no affine-piece box around it
    r = 1e-8 * (1 + np.max(np.abs(x)))
    Yx = Y(W, u, form, activation, x) if activation in SMOOTH else None
    box = verify_equilibrium_box(W, u, form, activation, x, r, preconditioner=Yx)
    assert inside(box, x)
    with pytest.raises(KernelError):
        verify_unstable_equilibrium(W, u, form, activation, x, r, preconditioner=Yx,
                                    eigenvalue=[(Fraction(1, 10**6), Fraction(10**6))])


@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.floats(0.1, 0.9), st.sampled_from(SMOOTH),
       st.sampled_from(["H", "FR"]), st.lists(st.floats(-3, 3), min_size=6, max_size=6),
       st.floats(1e-6, 0.5))
def test_kernel_never_proves_two_equilibria_of_a_contracting_network(seed, n, norm, activation, form, cs, r):
    W, u = contracting(seed, n, norm)
    c1, c2 = np.array(cs[:n]), np.array(cs[3:3 + n])
    with pytest.raises(KernelError):
        verify_two_equilibria(W, u, form, activation, (c1, r), (c2, r),
                              preconditioners=(Y(W, u, form, activation, c1), Y(W, u, form, activation, c2)))


@given(st.fractions(Fraction(21, 20), Fraction(3), max_denominator=50), st.sampled_from(["H", "FR"]))
def test_mutual_excitation_above_one_is_refuted_exactly(g, form):
    W = [[0, g], [g, 0]]
    res = refute(W, ZERO, form, "tanh", starts=8).verify()
    assert res.eigenvalue == (str(g - 1), str(g - 1))
    assert len(find_equilibria(W, ZERO, form, "tanh", starts=8)) == 3


def test_jacobian_matches_finite_differences():
    rng = np.random.default_rng(3)
    W, u = rng.normal(size=(3, 3)), rng.normal(size=3)
    x = rng.normal(size=3)
    for act in SMOOTH + ("linear",):
        for form in ("H", "FR"):
            f = vector_field(W, u, form, act)
            h = 1e-6
            fd = np.column_stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(3)])
            np.testing.assert_allclose(jacobian(W, x, u, form, act), fd, atol=1e-6)
