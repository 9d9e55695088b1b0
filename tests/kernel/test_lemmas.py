"""Every lemma of the kernel's library, attacked numerically.

Each test samples matrices and vectors (by construction, see strategies.py) and checks the lemma's
inequality with floating-point arithmetic and a tolerance that scales with the data. A meta-test
makes sure no lemma of the library is left without such a test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from certify.search import measures
from certify.kernel.lemmas import LEMMAS

NORMS = ("l1", "l2", "linf")
TESTED: set[str] = set()


def covers(*names: str):
    TESTED.update(names)
    return lambda f: f


def arrays(n_min=1, n_max=5, scale=3.0):
    @st.composite
    def build(draw):
        n = draw(st.integers(n_min, n_max))
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        return n, rng, scale
    return build()


def mu(A, norm):
    return measures.mu(A, norm)


def nrm(A, norm):
    return measures.induced_norm(A, norm)


def right_derivative(f, A, B, h=1e-7):
    return (f(A + h * B) - f(A)) / h


TOL = 1e-4


@covers("measure-flow", "subadditivity")
@given(arrays(), st.sampled_from(NORMS), st.floats(-2, 2))
def test_measure_flow_inequality(data, norm, gamma):
    """D+ mu(W) <= -gamma mu(W) + mu(G) for W' = -gamma W + G, any real gamma (finite differences)."""
    n, rng, s = data
    W = rng.normal(size=(n, n)) * s
    G = rng.normal(size=(n, n)) * s
    lhs = right_derivative(lambda X: mu(X, norm), W, -gamma * W + G)
    assert lhs <= -gamma * mu(W, norm) + mu(G, norm) + TOL * (1 + np.abs(W).sum() + np.abs(G).sum())
    H = rng.normal(size=(n, n))
    assert mu(G + H, norm) <= mu(G, norm) + mu(H, norm) + 1e-9 * (1 + np.abs(G).sum() + np.abs(H).sum())
    assert nrm(G + H, norm) <= nrm(G, norm) + nrm(H, norm) + 1e-9 * (1 + np.abs(G).sum() + np.abs(H).sum())


@given(arrays(n_max=4), st.sampled_from(NORMS))
def test_dini_derivative_below_measure_of_velocity_along_simulated_flow(data, norm):
    """Kozachkov-Slotine: D+ mu(W(t)) <= mu(W'(t)) along a nonlinear, time-varying flow (RK4)."""
    n, rng, s = data
    A, B = rng.normal(size=(n, n)), rng.normal(size=(n, n))

    def F(W, t):
        return -W @ W.T / 5 + np.sin(3 * t) * A + W @ B / 2

    W, t, dt = rng.normal(size=(n, n)), 0.0, 1e-3
    for _ in range(300):
        k1 = F(W, t)
        k2 = F(W + dt / 2 * k1, t + dt / 2)
        k3 = F(W + dt / 2 * k2, t + dt / 2)
        k4 = F(W + dt * k3, t + dt)
        W_next = W + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        dini = (mu(W_next, norm) - mu(W, norm)) / dt
        # The RK4 secant is (mu(W + dt k_avg) - mu(W)) / dt <= mu(k_avg) <= mu(k1) + ||k_avg - k1||: the
        # discretisation term is exactly ||k_avg - k1|| (the entrywise sum dominates the induced norms).
        # (An earlier tolerance |k4 - k1| was not a bound and failed on some examples.)
        k_avg = (k1 + 2 * k2 + 2 * k3 + k4) / 6
        assert dini <= mu(k1, norm) + np.abs(k_avg - k1).sum() + 1e-9 * (1 + np.abs(W).sum())
        W, t = W_next, t + dt


@covers("gronwall")
@given(arrays(n_max=4), st.sampled_from(NORMS), st.floats(0.2, 2.0))
def test_gronwall_bound_along_simulated_flow(data, norm, gamma):
    """Integrate W' = -gamma W + G(t) with ||G|| bounded; mu(W(t)) stays below the Gronwall bound."""
    n, rng, s = data
    W = rng.normal(size=(n, n)) * s
    Gs = [rng.normal(size=(n, n)) for _ in range(4)]
    beta = max(mu(G, norm) for G in Gs)
    mu0, dt, t = mu(W, norm), 1e-3, 0.0
    for step in range(2000):
        G = Gs[(step // 500) % 4]
        W = W + dt * (-gamma * W + G)
        t += dt
        bound = np.exp(-gamma * t) * mu0 + (1 - np.exp(-gamma * t)) * beta / gamma
        assert mu(W, norm) <= bound + 1e-2 * (1 + abs(bound))


@covers("row-scaling-decay")
@given(arrays(), st.floats(-1, 1), st.floats(0, 2))
def test_row_scaling_decay(data, gamma, dmin):
    """W' = -gamma W - diag(d) W + G with d >= dmin: D+ mu_inf <= -(gamma+dmin) mu_inf + mu_inf(G) when mu_inf(W) >= 0."""
    n, rng, s = data
    W = rng.normal(size=(n, n)) * s
    W += np.eye(n) * max(0.0, -mu(W, "linf") + rng.uniform(0, 1))  # make mu_inf(W) >= 0 by construction
    d = dmin + rng.uniform(0, 2, size=n)
    G = rng.normal(size=(n, n)) * s
    Wd = -gamma * W - np.diag(d) @ W + G
    lhs = right_derivative(lambda X: mu(X, "linf"), W, Wd)
    scale = TOL * (1 + np.abs(W).sum() + np.abs(G).sum())
    assert mu(W, "linf") >= 0
    assert lhs <= -(gamma + dmin) * mu(W, "linf") + mu(G, "linf") + scale


def test_row_scaling_decay_needs_nonnegative_measure():
    """The side condition is needed: with mu_inf(W) < 0 a row decay can raise mu_inf faster."""
    W = np.array([[-5.0, 0.0], [0.0, -1.0]])   # mu_inf = -1 (row 2)
    d = np.array([0.0, 10.0])                     # row 2 decays fast: its (negative) value rises
    lhs = right_derivative(lambda X: mu(X, "linf"), W, -np.diag(d) @ W)
    assert lhs > 5.0  # = d_2 |mu| = 10, far above the bound 0 (gamma = dmin = 0, G = 0)


@covers("column-scaling-decay")
@given(arrays(), st.floats(-1, 1), st.floats(0, 2))
def test_column_scaling_decay(data, gamma, dmin):
    n, rng, s = data
    W = rng.normal(size=(n, n)) * s
    W += np.eye(n) * max(0.0, -mu(W, "l1") + rng.uniform(0, 1))
    d = dmin + rng.uniform(0, 2, size=n)
    G = rng.normal(size=(n, n)) * s
    Wd = -gamma * W - W @ np.diag(d) + G
    lhs = right_derivative(lambda X: mu(X, "l1"), W, Wd)
    assert lhs <= -(gamma + dmin) * mu(W, "l1") + mu(G, "l1") + TOL * (1 + np.abs(W).sum() + np.abs(G).sum())


@covers("norm-flow", "diagonal-decay", "gram-decay", "psd-decay")
@given(arrays(), st.sampled_from(NORMS), st.floats(-1, 1), st.floats(0, 2), st.booleans())
def test_norm_flow_with_decays(data, norm, gamma, dmin, use_gram):
    """D+ ||W|| <= -(gamma + deltas) ||W|| + ||G|| with diagonal decays on both sides (all norms) and
    psd decays (l2 only)."""
    n, rng, s = data
    W = rng.normal(size=(n, n)) * s
    G = rng.normal(size=(n, n)) * s
    dl = dmin + rng.uniform(0, 2, size=n)
    dr = rng.uniform(0, 2, size=n)
    ML, MR = np.diag(dl), np.diag(dr)
    delta = dmin + dr.min()
    if norm == "l2" and use_gram:
        A = rng.normal(size=(n, 2))
        MR = A @ A.T                      # psd, smallest eigenvalue >= 0
        delta = dmin
    Wd = -gamma * W - ML @ W - W @ MR + G
    lhs = right_derivative(lambda X: nrm(X, norm), W, Wd)
    assert lhs <= -(gamma + delta) * nrm(W, norm) + nrm(G, norm) + TOL * (1 + np.abs(W).sum() + np.abs(G).sum())
    # the decay lemma itself: ||I - h M|| <= 1 - h delta(M) for small h
    h = 1e-4
    assert nrm(np.eye(n) - h * ML, norm) <= 1 - h * dl.min() + 1e-12
    if norm == "l2":
        assert nrm(np.eye(n) - h * MR, "l2") <= 1 + 1e-12


@covers("scaled-identity", "diagonal", "measure-below-norm", "unit-weights")
@given(arrays(), st.sampled_from(NORMS), st.floats(-3, 3))
def test_identity_and_diagonal(data, norm, c):
    n, rng, s = data
    v = rng.uniform(-2, 2, size=n)
    assert mu(c * np.eye(n), norm) == pytest.approx(c, abs=1e-12)
    assert nrm(c * np.eye(n), norm) == pytest.approx(abs(c), abs=1e-12)
    assert mu(c * np.diag(v), norm) == pytest.approx(max(c * v), abs=1e-12)
    assert nrm(c * np.diag(v), norm) == pytest.approx(abs(c) * np.abs(v).max(), abs=1e-12)
    A = rng.normal(size=(n, n)) * s
    assert mu(A, norm) <= nrm(A, norm) + 1e-12
    if norm == "linf":
        assert measures.muinf_weighted(A, np.ones(n)) == pytest.approx(mu(A, "linf"))
    elif norm == "l1":
        assert measures.mu1_weighted(A, np.ones(n)) == pytest.approx(mu(A, "l1"))
    else:
        assert measures.mu2_weighted(A, np.eye(n)) == pytest.approx(mu(A, "l2"))


@covers("outer-bound")
@given(arrays(), st.sampled_from(NORMS), st.floats(-3, 3), st.floats(0.1, 2), st.floats(0.1, 2))
def test_outer_bound(data, norm, c, Ru, Rv):
    n, rng, s = data
    u = rng.uniform(-Ru, Ru, size=n)
    v = rng.uniform(-Rv, Rv, size=n)
    T = c * np.outer(u, v)
    assert mu(T, norm) <= nrm(T, norm) + 1e-12
    assert nrm(T, norm) <= abs(c) * n * Ru * Rv + 1e-12
    # and the bound is attained for u = v = R * ones, c >= 0: it cannot be improved
    ones = np.ones(n)
    assert mu(abs(c) * np.outer(Ru * ones, Ru * ones), norm) == pytest.approx(abs(c) * n * Ru * Ru)


@covers("l2-neg-gram", "l2-neg-congruence", "l2-neg-schur", "l2-skew")
@given(arrays(), st.floats(0, 3))
def test_l2_negative_terms(data, c):
    n, rng, s = data
    A = rng.normal(size=(n, rng.integers(1, n + 2))) * s
    assert mu(-c * A @ A.T, "l2") <= 1e-9 * (1 + c * np.abs(A).sum() ** 2)
    B = rng.normal(size=(n, n))
    K = B @ B.T
    v = rng.uniform(-2, 2, size=n)
    assert mu(-c * np.diag(v) @ K @ np.diag(v), "l2") <= 1e-9 * (1 + c * np.abs(K).sum() * 4)
    assert mu(-c * K * np.outer(v, v), "l2") <= 1e-9 * (1 + c * np.abs(K).sum() * 4)
    S = B - B.T
    assert mu(S, "l2") == pytest.approx(0.0, abs=1e-12)


def test_schur_with_indefinite_K_can_increase_mu2():
    """The psd side condition matters: K = [[0, 1], [1, 0]], r = (1, 1) gives mu_2(-K o r r^T) = 1."""
    K = np.array([[0.0, 1.0], [1.0, 0.0]])
    r = np.ones(2)
    assert mu(-K * np.outer(r, r), "l2") == pytest.approx(1.0)


def test_anti_hebbian_is_not_an_linf_statement():
    """docs/theory.md section 2: mu_1, mu_inf of -r r^T can be positive (n = 3, r = 1 gives 1)."""
    r = np.ones(3)
    assert mu(-np.outer(r, r), "linf") == pytest.approx(1.0)
    assert mu(-np.outer(r, r), "l1") == pytest.approx(1.0)


def test_mu_of_minus_W_is_not_minus_mu():
    """The pitfall the derivation avoids: mu(-W) != -mu(W) (W = diag(1, -1))."""
    W = np.diag([1.0, -1.0])
    for norm in NORMS:
        assert mu(-W, norm) == pytest.approx(1.0)
        assert -mu(W, norm) == pytest.approx(-1.0)


def test_every_lemma_has_a_numeric_test():
    assert set(LEMMAS) == TESTED


def test_every_lemma_is_documented():
    from pathlib import Path
    text = (Path(__file__).resolve().parents[2] / "docs" / "kernel.md").read_text()
    assert [name for name in LEMMAS if f"`{name}`" not in text] == []
