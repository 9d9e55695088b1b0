"""Trained feedback networks (certify/families/feedback.py) and verified local stability (certify/kernel/stability.py).

The documented instances are certify.families.feedback.CATALOG (the networks behind rules/feedback-*.toml).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy.linalg import solve_continuous_lyapunov

from certify.families import feedback as fb
from certify.errors import InputError, KernelError
from certify.kernel.equilibria import EquilibriumBox, TwoEquilibria, verify_two_equilibria
from certify.kernel.stability import StableEquilibrium, verify_stable_equilibrium as _verify_stable
from certify.search.equilibria import preconditioner

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def bistable() -> fb.Trained:
    return fb.catalog_instance("feedback-bistable")


@pytest.fixture(scope="module")
def weak() -> fb.Trained:
    return fb.catalog_instance("feedback-weak")


@pytest.fixture(scope="module")
def bistable_analysis(bistable) -> fb.Analysis:
    return fb.analyze(bistable, pipeline=False, contraction=False)


@pytest.fixture(scope="module")
def found(bistable) -> list[fb.FoundEquilibrium]:
    return fb.equilibria_along_z(bistable)


# -- construction and training --------------------------------------------------------------------------


def test_build_is_seeded_and_scaled():
    a, b = fb.build(40, 0.5, 7), fb.build(40, 0.5, 7)
    assert np.array_equal(a.chi, b.chi) and np.array_equal(a.m, b.m) and np.array_equal(a.I, b.I)
    assert not np.array_equal(a.chi, fb.build(40, 0.5, 8).chi)
    big = fb.build(400, 0.5, 1)
    assert np.std(big.chi) * np.sqrt(400) == pytest.approx(0.5, rel=0.02)   # chi_ij ~ N(0, g^2/N)


def test_trained_fixed_point_satisfies_the_equations_and_hits_the_target(bistable):
    inst, A, N = bistable.instance, bistable.target, bistable.instance.N
    x0, r0 = bistable.x_open, np.tanh(bistable.x_open)
    # open loop with the output clamped to the target
    assert np.max(np.abs(-x0 + inst.chi @ r0 + inst.m * A + inst.I)) < 1e-12
    # n is the minimum-norm least-squares solution of (1/N) phi(x0)^T n = A
    n_lstsq = np.linalg.lstsq(r0[None, :] / N, np.array([A]), rcond=None)[0]
    assert np.allclose(bistable.n, n_lstsq, rtol=1e-12, atol=1e-12)
    assert r0 @ bistable.n / N == pytest.approx(A, rel=1e-13)
    # closed loop: x* is a fixed point of the stored W with readout z* = A
    assert np.array_equal(bistable.W, inst.chi + np.outer(inst.m, bistable.n) / N)
    xs = bistable.x_star
    assert np.max(np.abs(-xs + bistable.W @ np.tanh(xs) + bistable.u)) < 1e-13
    assert np.max(np.abs(xs - x0)) < 1e-12
    assert bistable.z_star == pytest.approx(2.0, rel=1e-13)
    # the chi, m, z form of the equations
    z = bistable.n @ np.tanh(xs) / N
    assert np.max(np.abs(-xs + inst.chi @ np.tanh(xs) + inst.m * z + inst.I)) < 1e-12


def test_catalog_files_hold_the_documented_construction(bistable, weak):
    for name, tr in (("feedback-bistable", bistable), ("feedback-weak", weak)):
        W = np.load(RULES / f"{name}-W0.npy")
        u = np.load(RULES / f"{name}-bias.npy")
        assert W.shape == (64, 64) and u.shape == (64,)
        assert np.array_equal(u, tr.u)
        assert np.allclose(W, tr.W, rtol=0, atol=1e-12)   # Newton in x0 may differ in the last bits elsewhere


def test_bad_parameters_are_input_errors():
    with pytest.raises(InputError, match="N must be an integer"):
        fb.build(1, 0.5, 0)
    with pytest.raises(InputError, match="g must be"):
        fb.build(10, -1.0, 0)
    with pytest.raises(InputError, match="target"):
        fb.train(fb.build(10, 0.5, 0), float("nan"))
    with pytest.raises(InputError, match="phi\\(x0\\) = 0"):
        fb.train(fb.build(10, 0.5, 0, input_scale=0.0), 0.0)
    with pytest.raises(InputError, match="unknown feedback catalog entry"):
        fb.catalog_instance("feedback-nonesuch")


# -- geometry --------------------------------------------------------------------------------------------


def test_geometry_agrees_with_direct_formulas(bistable):
    geo = fb.geometry(bistable)
    inst, xs = bistable.instance, bistable.x_star
    r, d = np.tanh(xs), 1 - np.tanh(xs) ** 2

    def cos(a, b):
        return float(a @ b / np.sqrt((a @ a) * (b @ b)))

    assert geo.overlaps[("n", "m")] == pytest.approx(cos(bistable.n, inst.m), abs=1e-12)
    assert geo.overlaps[("n", "I")] == pytest.approx(cos(bistable.n, inst.I), abs=1e-12)
    assert geo.overlaps[("m", "I")] == pytest.approx(cos(inst.m, inst.I), abs=1e-12)
    assert geo.overlaps[("I", "phi")] == pytest.approx(cos(inst.I, r), abs=1e-12)
    assert geo.overlaps[("n", "phi")] == pytest.approx(1.0, abs=1e-12)   # least squares: n is along phi(x0)
    assert len(geo.overlaps) == 6
    assert geo.bulk_radius == pytest.approx(0.5 * np.sqrt(np.mean(d ** 2)), rel=1e-12)
    assert geo.outlier == pytest.approx(np.sum(inst.m * bistable.n * d) / 64, rel=1e-12)
    assert geo.norms["m"] == pytest.approx(np.linalg.norm(inst.m) / 8, rel=1e-12)
    assert geo.spectral_abscissa == pytest.approx(-0.72, abs=0.01)
    # the paper's local conditions hold for the trained target
    assert geo.bulk_radius < 1 and geo.outlier < 1
    assert fb.overlap(np.zeros(3), np.ones(3)) == 0.0


# -- (a) local stability ---------------------------------------------------------------------------------


def verify_stable_equilibrium(W, u, form, activation, box, P):
    """The kernel's check, with the search side's untrusted Krawczyk preconditioner at the box's center."""
    if isinstance(box, EquilibriumBox):
        center = [(a + b) / 2 for a, b in zip(box.lower(), box.upper())]
    else:
        center = box[0] if isinstance(box, tuple) else [0.0] * len(u)
    return _verify_stable(W, u, form, activation, box, P,
                          preconditioner=preconditioner(W, u, form, activation, center))


def test_local_stability_is_kernel_verified_for_the_documented_instance(bistable_analysis, bistable):
    local = bistable_analysis.local
    assert local.verdict == "verified"
    assert isinstance(local.stable, StableEquilibrium) and local.stable.jacobian == "interval"
    lo, hi = local.box.lower(), local.box.upper()
    assert all(a < Fraction(float(v)) < b for a, b, v in zip(lo, hi, bistable.x_star))
    assert max(b - a for a, b in zip(lo, hi)) < Fraction(1, 10**6)


def test_tampered_lyapunov_data_are_rejected(bistable, bistable_analysis):
    box = bistable_analysis.local.box
    J = bistable.jacobian(bistable.x_star)
    P = fb.lyapunov_matrix(J)
    args = (bistable.W, bistable.u, "H", "tanh", box)
    assert isinstance(verify_stable_equilibrium(*args, P), StableEquilibrium)
    asym = P.copy()
    asym[0, 1] += 1e-3
    with pytest.raises(KernelError, match="not exactly symmetric"):
        verify_stable_equilibrium(*args, asym)
    with pytest.raises(KernelError, match="not verified positive definite"):
        verify_stable_equilibrium(*args, -P)
    with pytest.raises(KernelError, match="must be 64 x 64"):
        verify_stable_equilibrium(*args, P[:-1, :-1])
    # any valid witness is accepted: here mu_2(J(x*)) < 0 (saturated neurons), so P = I works as well
    assert np.max(np.linalg.eigvalsh((J + J.T) / 2)) < -0.4
    assert verify_stable_equilibrium(*args, np.eye(64)).jacobian == "interval"
    # a symmetric perturbation of P along the worst direction breaks the Lyapunov inequality
    lam, V = np.linalg.eigh(J.T @ P + P @ J)
    bent = P + 50.0 * np.outer(V[:, -1], V[:, -1])
    bent = (bent + bent.T) / 2
    assert np.max(np.linalg.eigvalsh(J.T @ bent + bent @ J)) > 0   # float precondition: the tamper bites
    with pytest.raises(KernelError, match="not verified negative definite"):
        verify_stable_equilibrium(*args, bent)


def test_forged_equilibrium_data_are_rejected(bistable, bistable_analysis):
    box = bistable_analysis.local.box
    P = fb.lyapunov_matrix(bistable.jacobian(bistable.x_star))
    with pytest.raises(KernelError, match="only_kernel"):     # a box object cannot be forged at all ...
        dataclasses.replace(box, lo=box.hi)
    lo = [Fraction(v) + Fraction(1, 100) for v in box.lo]     # ... and shifted box data are re-verified
    hi = [Fraction(v) + Fraction(1, 100) for v in box.hi]
    shifted = ([(a + b) / 2 for a, b in zip(lo, hi)], [(b - a) / 2 for a, b in zip(lo, hi)])
    with pytest.raises(KernelError, match="Krawczyk"):
        verify_stable_equilibrium(bistable.W, bistable.u, "H", "tanh", shifted, P)
    W = bistable.W.copy()
    W[3, 5] += 0.25                                  # another network: the box holds no equilibrium of it
    with pytest.raises(KernelError, match="Krawczyk"):
        verify_stable_equilibrium(W, bistable.u, "H", "tanh", box, P)


def test_an_unstable_jacobian_is_not_verified_stable(bistable, found):
    saddle = next(e for e in found if not e.stable)
    assert saddle.z == pytest.approx(-0.4229, abs=1e-3) and saddle.abscissa > 0.5
    box = fb.verify_point(bistable, saddle.x)          # a genuine equilibrium ...
    assert isinstance(box, EquilibriumBox)
    J = bistable.jacobian(saddle.x)
    for P in (fb.lyapunov_matrix(J), np.eye(64), fb.lyapunov_matrix(J - (saddle.abscissa + 1) * np.eye(64))):
        with pytest.raises(KernelError):               # ... that no Lyapunov matrix can certify
            verify_stable_equilibrium(bistable.W, bistable.u, "H", "tanh", box, P)


def test_box_as_center_and_radius_gives_the_same_proof(bistable, bistable_analysis):
    box = bistable_analysis.local.box
    P = fb.lyapunov_matrix(bistable.jacobian(bistable.x_star))
    center = [(a + b) / 2 for a, b in zip(box.lower(), box.upper())]
    radius = [(b - a) / 2 for a, b in zip(box.lower(), box.upper())]
    res = verify_stable_equilibrium(bistable.W, bistable.u, "H", "tanh", (center, radius), P)
    assert res.equilibrium == box and res.lyapunov == bistable_analysis.local.stable.lyapunov
    with pytest.raises(KernelError, match="EquilibriumBox or a"):
        verify_stable_equilibrium(bistable.W, bistable.u, "H", "tanh", "box", P)


# -- (b) and (c) -------------------------------------------------------------------------------------------


def test_search_along_z_finds_three_equilibria(found):
    assert [round(e.z, 3) for e in found] == [-1.301, -0.423, 2.0]
    assert [e.stable for e in found] == [True, False, True]


def test_refutation_is_verified_with_two_disjoint_boxes(bistable, bistable_analysis):
    ref = bistable_analysis.refutation
    assert ref.verdict == "refuted" and isinstance(ref.second, TwoEquilibria)
    first, second = ref.second.first, ref.second.second
    i = ref.second.separating_coordinate
    assert first.upper()[i] < second.lower()[i] or second.upper()[i] < first.lower()[i]
    assert first == bistable_analysis.local.box                 # one box is the trained fixed point's
    assert ref.second_found.z == pytest.approx(-1.3012, abs=1e-3)
    assert isinstance(ref.second_stable, StableEquilibrium)     # the second equilibrium is an attractor
    assert ref.second_stable.equilibrium == second
    # the kernel re-checks the stored boxes independently
    again = verify_two_equilibria(bistable.W, bistable.u, "H", "tanh",
                                  ([(a + b) / 2 for a, b in zip(first.lower(), first.upper())],
                                   [(b - a) / 2 for a, b in zip(first.lower(), first.upper())]),
                                  ([(a + b) / 2 for a, b in zip(second.lower(), second.upper())],
                                   [(b - a) / 2 for a, b in zip(second.lower(), second.upper())]),
                                  preconditioners=tuple(
                                      preconditioner(bistable.W, bistable.u, "H", "tanh",
                                                     [(a + b) / 2 for a, b in zip(box.lower(), box.upper())])
                                      for box in (first, second)))
    assert again.separating_coordinate == i


def test_the_three_answers_are_rendered_separately(bistable_analysis):
    text = bistable_analysis.render()
    assert "(a) local stability of the trained fixed point: VERIFIED" in text
    assert "(b) global contraction: NOT ATTEMPTED" in text
    assert "(c) refutation of global contraction: REFUTED" in text
    assert "not globally contracting: second attractor at z = -1.3012" in text
    assert "float, untrusted" in text


def test_weak_instance_is_certified_contracting_and_not_refuted(weak):
    a = fb.analyze(weak, pipeline=False)
    assert a.contraction.verdict == "certified" and a.contraction.rate > Fraction(1, 2)
    assert a.refutation.verdict == "not refuted" and a.refutation.second is None
    assert a.local.verdict == "verified"
    assert len(a.found) == 1 and a.found[0].z == pytest.approx(0.3, rel=1e-12)
    assert "(b) global contraction: CERTIFIED at rate 0.60" in a.render()   # a full metric (0.57 with a diagonal one)


# -- Hypothesis: verify_stable_equilibrium on linear networks (exact Jacobian A = W - I) --------------------


@st.composite
def triangular_similar(draw, stable: bool):
    """(A, eigenvalues): A = Pi T Pi^T with T upper triangular (dyadic entries), Pi a permutation; the
    eigenvalues of A are exactly the diagonal of T: all in [-2, -1/4] (stable) or one in [0, 2] (unstable)."""
    n = draw(st.integers(1, 5))
    quarter = st.integers(-8, 8).map(lambda k: k / 4)
    diag = [draw(st.integers(-8, -1)) / 4 for _ in range(n)]
    if not stable:
        diag[draw(st.integers(0, n - 1))] = draw(st.integers(0, 8)) / 4
    T = np.diag(diag)
    for i in range(n):
        for j in range(i + 1, n):
            T[i, j] = draw(quarter)
    perm = draw(st.permutations(list(range(n))))
    return T[np.ix_(perm, perm)], diag


def _linear_network(A: np.ndarray):
    return A + np.eye(A.shape[0]), np.zeros(A.shape[0])     # x' = -x + W x: Jacobian W - I = A (exact)


@given(triangular_similar(stable=True))
def test_stable_linear_networks_are_verified_with_a_lyapunov_matrix(data):
    A, _ = data
    W, u = _linear_network(A)
    P = solve_continuous_lyapunov(A.T, -np.eye(A.shape[0]))
    res = verify_stable_equilibrium(W, u, "H", "linear", (u, 1), (P + P.T) / 2)
    assert res.jacobian == "exact" and res.equilibrium.point == tuple("0" for _ in u)


@given(triangular_similar(stable=False), st.floats(0.5, 3.0))
def test_unstable_linear_networks_are_never_verified_stable(data, shift):
    A, diag = data
    W, u = _linear_network(A)
    n = A.shape[0]
    stable_neighbour = A - (max(diag) + shift) * np.eye(n)       # its Lyapunov matrix is positive definite
    P = solve_continuous_lyapunov(stable_neighbour.T, -np.eye(n))
    for candidate in ((P + P.T) / 2, np.eye(n)):
        with pytest.raises(KernelError):
            verify_stable_equilibrium(W, u, "H", "linear", (u, 1), candidate)
