"""Dense associative memories with dead neurons (certify.families.memory, certify.cli.memory): the energy decreases along
simulated trajectories (exact formula and finite differences), flat regions hold no spurious equilibria, the
enumerated equilibria solve the equations exactly and are all of them, exact stability agrees with numpy
eigenvalues, the strict Lyapunov function decreases, refutations are kernel-verified, and the command line."""

from __future__ import annotations

import io
import json
import itertools
from contextlib import redirect_stderr, redirect_stdout
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from certify.families import memory
from certify.errors import InputError
from certify.kernel import equilibria as keq
from certify.cli import memory as memory_cli

from strategies import rationals

ROOT = Path(__file__).resolve().parents[2]
ETA1 = np.array([1, 1, 1, 1, -1, -1, -1, -1], dtype=float)
ETA2 = np.array([1, 1, -1, -1, 1, 1, -1, -1], dtype=float)
HEBB = 0.5 * (np.outer(ETA1, ETA1) + np.outer(ETA2, ETA2)) - 2 * np.eye(8)     # four stored memories
WEAK = 0.25 * (np.outer(ETA1, ETA1) + np.outer(ETA2, ETA2)) - 2 * np.eye(8)    # one stable state
ONES = np.ones(8)
# the simulation-heavy properties run on fewer examples (25 in the ci profile; half of a larger profile's count)
FEWER = settings(max_examples=max(25, settings.default.max_examples // 2))


@st.composite
def networks(draw, n_min: int = 2, n_max: int = 5, max_num: int = 6):
    """(W, b): W exactly symmetric with small rational entries (|w| <= max_num / 4), b rational."""
    n = draw(st.integers(n_min, n_max))
    entry = st.builds(Fraction, st.integers(-max_num, max_num), st.sampled_from([2, 4]))
    W = [[Fraction(0)] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            W[i][j] = W[j][i] = draw(entry)
    b = draw(st.lists(rationals(4, 4), min_size=n, max_size=n))
    return W, b


def floats(W, b):
    return np.array([[float(v) for v in r] for r in W]), np.array([float(v) for v in b])


def no_sign_change(x0: np.ndarray, x1: np.ndarray) -> bool:
    return bool(np.all(np.sign(x0) == np.sign(x1)) and np.all(np.abs(x0) > 1e-12))


# ---------------------------------------------------------------------------------------------------
# the energy along trajectories


def check_energy_along(W, b, lag, tau, x0, t_end=4.0, dt=0.01):
    Wf, bf = floats(W, b)
    ts, xs = memory.simulate(Wf, bf, x0, tau=tau, lagrangian=lag, t_end=t_end, dt=dt)
    E = np.array([memory.energy(Wf, bf, x, lag) for x in xs])
    rate = np.array([memory.energy_rate(Wf, bf, x, tau, lag) for x in xs])
    speed = np.array([np.linalg.norm(memory.velocity(Wf, bf, x, tau, lag)) for x in xs])
    taus = np.broadcast_to(np.asarray(tau, dtype=float), (xs.shape[1],))
    scale = 1.0 + np.abs(E)
    smooth_steps = 0
    for k in range(len(ts) - 1):
        dE = E[k + 1] - E[k]
        vmax = max(speed[k], speed[k + 1])
        # RK4 is O(dt^5) on one affine/smooth piece; at a relu kink the step error is O(dt^2 |v|)
        kink = lag == "relu" and not no_sign_change(xs[k], xs[k + 1])
        slack = (20 * dt * dt * (1 + np.abs(Wf).sum()) * taus.max() * vmax ** 2 if kink
                 else 1e-9 * dt * vmax ** 2 * taus.max()) + 1e-12 * scale[k]
        assert dE <= slack, (k, dE, slack)                       # E never increases
        if not kink:
            smooth_steps += 1
            trap = dt * (rate[k] + rate[k + 1]) / 2               # the exact identity dE/dt = -tau x'^T Hess x'
            # trapezoid error dt^3/12 |rate''|: on one relu/linear piece rate'' <= (2 ||J||)^2 |rate| (x'' = J x');
            # tanh adds the curvature of sech^2, estimated by second differences of the rate around the step
            lip = (1 + np.linalg.norm(Wf, 2)) / taus.min()
            lo, hi = max(k - 1, 0), min(k + 3, len(rate))
            curv = np.max(np.abs(np.diff(rate[lo:hi], 2))) / dt ** 2 if hi - lo >= 3 else 0.0
            tol = dt ** 3 * (lip * lip * max(abs(rate[k]), abs(rate[k + 1])) + curv / 3) + 1e-12 * scale[k]
            assert abs(dE - trap) <= tol, (k, dE, trap)
    assert smooth_steps > len(ts) // 2
    return E, rate


@FEWER
@given(networks(), st.sampled_from(["relu", "tanh", "linear"]), st.integers(0, 2 ** 16))
def test_energy_decreases_along_rk4_trajectories(net, lag, seed):
    W, b = net
    n = len(W)
    rng = np.random.default_rng(seed)
    E, rate = check_energy_along(W, b, lag, 1.0, 2 * rng.normal(size=n))
    assert np.all(rate <= 0)


@FEWER
@given(networks(n_max=4), st.integers(0, 2 ** 16))
def test_energy_identity_with_unequal_time_constants(net, seed):
    W, b = net
    rng = np.random.default_rng(seed)
    tau = rng.uniform(0.5, 2.0, size=len(W))
    check_energy_along(W, b, "relu", tau, 2 * rng.normal(size=len(W)))


def test_energy_rate_is_exact_formula():
    W = np.array([[0.0, 1.0], [1.0, 0.5]])
    b = np.array([0.2, -0.3])
    x = np.array([0.7, -0.4])
    v = memory.velocity(W, b, x, 2.0, "relu")
    assert np.allclose(v, (W @ np.maximum(x, 0) - x + b) / 2)
    assert memory.energy_rate(W, b, x, 2.0, "relu") == pytest.approx(-2.0 * v[0] ** 2)   # neuron 1 is dead
    h = 1e-6
    for lag in ("tanh", "linear"):   # dE/dt equals the directional derivative of E along x'
        v = memory.velocity(W, b, x, 2.0, lag)
        fd = (memory.energy(W, b, x + h * v, lag) - memory.energy(W, b, x - h * v, lag)) / (2 * h)
        assert fd == pytest.approx(memory.energy_rate(W, b, x, 2.0, lag), rel=1e-6)


def test_relu_energy_is_a_quadratic_of_relu_x():
    W, b = HEBB, ONES
    rng = np.random.default_rng(1)
    for _ in range(20):
        x = rng.normal(size=8) * 2
        p = np.maximum(x, 0)
        assert memory.energy(W, b, x) == pytest.approx(0.5 * p @ (np.eye(8) - W) @ p - b @ p)
        xq = [Fraction(v) for v in x]
        assert float(memory.energy_exact(W, b, xq)) == pytest.approx(memory.energy(W, b, x))


# ---------------------------------------------------------------------------------------------------
# the strict Lyapunov function without flat regions


@FEWER
@given(networks(), st.sampled_from(["relu", "tanh", "linear"]), st.integers(0, 2 ** 16))
def test_strict_lyapunov_function_decreases_off_equilibria(net, lag, seed):
    W, b = net
    n = len(W)
    rng = np.random.default_rng(seed)
    tau = rng.uniform(0.5, 2.0, size=n)
    lyap = memory.strict_lyapunov(W, [Fraction(t) for t in tau])
    kappa, decay = float(lyap.kappa), float(lyap.delta * lyap.tau_min)
    Wf, bf = floats(W, b)
    dt = 0.01
    ts, xs = memory.simulate(Wf, bf, 2 * rng.normal(size=n), tau=tau, lagrangian=lag, t_end=3.0, dt=dt)
    V = np.array([memory.lyapunov_value(Wf, bf, x, tau, lag, kappa) for x in xs])
    sp2 = np.array([np.sum(memory.velocity(Wf, bf, x, tau, lag) ** 2) for x in xs])
    checked = 0
    for k in range(len(ts) - 1):
        if lag == "relu" and not no_sign_change(xs[k], xs[k + 1]):
            continue
        # dV/dt <= -decay |x'|^2: over one smooth step, V drops by at least decay * the trapezoid of |x'|^2
        bound = -decay * dt * (sp2[k] + sp2[k + 1]) / 2
        assert V[k + 1] - V[k] <= bound + 1e-4 * dt * max(sp2[k], sp2[k + 1]) + 1e-12 * (1 + abs(V[k])), k
        checked += 1
    assert checked > len(ts) // 2
    # strictly decreasing while the state moves
    moving = sp2[:-1] > 1e-6
    assert np.all(np.diff(V)[moving & np.array([lag != "relu" or no_sign_change(xs[k], xs[k + 1])
                                                for k in range(len(ts) - 1)])] < 0)


def test_strict_lyapunov_constants_are_exact():
    lyap = memory.strict_lyapunov(HEBB, 1)
    assert lyap.frobenius_sq == 32 and lyap.k == Fraction(1, 16) and lyap.kappa == Fraction(1, 16)
    assert lyap.delta == Fraction(1, 16) * (2 - Fraction(1, 16)) / 4 == Fraction(31, 1024)
    small = memory.strict_lyapunov([[0, Fraction(1, 2)], [Fraction(1, 2), 0]], [2, 3])
    assert small.k == 1 and small.kappa == 2 and small.delta == Fraction(1, 4)


def test_strict_lyapunov_is_not_flat_where_energy_is():
    W, b = [[Fraction(int(v)) for v in r] for r in HEBB], [Fraction(1)] * 8
    x = [Fraction(1)] * 4 + [Fraction(-2)] * 4            # dead neurons 4..7
    kappa = memory.strict_lyapunov(W).kappa

    def V(y):
        F = memory.field_exact(W, b, y)
        return memory.energy_exact(W, b, y) + kappa / 2 * sum(f * f for f in F)

    for i in range(4, 8):
        for step in (Fraction(1, 3), Fraction(5)):
            y = list(x)
            y[i] -= step
            assert memory.energy_exact(W, b, y) == memory.energy_exact(W, b, x)   # E is flat along x_i
            assert V(y) != V(x)                                                   # V is not


# ---------------------------------------------------------------------------------------------------
# flat regions


@FEWER
@given(networks(n_max=4))
def test_flat_regions_hold_no_spurious_equilibria(net):
    W, b = net
    n = len(W)
    rep = memory.analyze(W, b, flat_shown=0)
    by_set = {e.active: e for e in rep.equilibria}
    assert rep.flat_count == 2 ** n - 1
    for r in range(n):
        for S in itertools.combinations(range(n), r):
            f = memory.flat_region(W, b, S)
            D = [i for i in range(n) if i not in S]
            assert all(f.point[i] > 0 for i in S) and all(f.point[i] <= 0 for i in D)
            F = memory.field_exact(W, b, f.point)
            assert list(f.velocity) == F and any(v != 0 for v in f.velocity)      # exact and nonzero
            assert all(f.velocity[i] >= 1 for i in D)
            for i in D:                                                           # E is constant along x_D
                y = list(f.point)
                y[i] -= 7
                assert memory.energy_exact(W, b, y) == f.energy
            # the only equilibria in the closed region are the (at most one) enumerated one with positive set S
            inside = [e for e in rep.equilibria if all(e.point[i] > 0 for i in S) and all(e.point[i] <= 0 for i in D)]
            assert len(inside) <= 1 and all(e.active == S for e in inside)
            if S in by_set:
                g = memory.flat_region(W, b, S, equilibrium=by_set[S].point)
                assert g.fiber and g.energy == memory.energy_exact(W, b, by_set[S].point)
                assert [g.velocity[i] for i in S] == [0] * len(S) and all(g.velocity[i] == 1 for i in D)


def test_fiber_of_a_memory_flows_to_it():
    """Fanaskov & Oseledets (iii): the whole flat set {x_S = x*_S, x_D <= 0} of a stable equilibrium is in its basin."""
    rep = memory.analyze(HEBB, ONES)
    star = rep.equilibria[0]
    assert star.stability == "stable" and star.active == (0, 1, 2, 3)
    x0 = star.floats()
    x0[4:] = [-7.0, -0.1, -30.0, -2.5]
    _, xs = memory.simulate(HEBB, ONES, x0, t_end=30.0, dt=0.01)
    assert np.max(np.abs(xs[-1] - star.floats())) < 1e-9
    assert np.all(xs[:, :4] == star.floats()[:4])                               # the active block never moves


# ---------------------------------------------------------------------------------------------------
# equilibria


@given(networks())
def test_enumerated_equilibria_satisfy_the_equations_exactly(net):
    W, b = net
    rep = memory.analyze(W, b, flat_shown=0)
    assert rep.method == "enumeration"
    points = [e.point for e in rep.equilibria]
    assert len(set(points)) == len(points)
    for e in rep.equilibria:
        assert memory.field_exact(W, b, e.point) == [0] * len(W)
        assert e.active == tuple(i for i, v in enumerate(e.point) if v > 0)
        assert e.boundary == tuple(i for i, v in enumerate(e.point) if v == 0)
        assert "f(x*) = 0" in e.verified
    assert rep.complete == (not rep.degenerate)


def float_enumeration(Wf, bf):
    """An independent float enumeration of relu equilibria with a clear margin from every kink."""
    n = bf.size
    out = []
    for r in range(n + 1):
        for S in itertools.combinations(range(n), r):
            S = list(S)
            D = [i for i in range(n) if i not in S]
            A = np.eye(len(S)) - Wf[np.ix_(S, S)]
            if S and abs(np.linalg.det(A)) < 1e-6:
                continue
            x = np.zeros(n)
            if S:
                x[S] = np.linalg.solve(A, bf[S])
            x[D] = Wf[np.ix_(D, S)] @ x[S] + bf[D]
            if np.all(x[S] > 1e-6) and np.all(x[D] < -1e-6):
                out.append(x)
    return out


@FEWER
@given(networks(), st.integers(0, 2 ** 16))
def test_every_equilibrium_found_numerically_is_enumerated(net, seed):
    W, b = net
    Wf, bf = floats(W, b)
    rep = memory.analyze(W, b, flat_shown=0)
    exact_points = [e.floats() for e in rep.equilibria]
    for x in float_enumeration(Wf, bf):
        assert any(np.max(np.abs(x - y)) < 1e-6 for y in exact_points)
    rng = np.random.default_rng(seed)
    for _ in range(2):      # end points of simulations that settled
        _, xs = memory.simulate(Wf, bf, 2 * rng.normal(size=bf.size), t_end=25.0, dt=0.05)
        end = xs[-1]
        if np.all(np.isfinite(end)) and np.linalg.norm(memory.vector_field(Wf, bf, end)) < 1e-9:
            active = tuple(int(i) for i in np.flatnonzero(end > 1e-7))
            # an enumerated equilibrium, or a point of a reported degenerate active set (a continuum)
            assert any(np.max(np.abs(end - y)) < 1e-6 for y in exact_points) or active in rep.degenerate, end


@given(networks(), )
def test_exact_stability_agrees_with_numpy_away_from_the_boundary(net):
    W, b = net
    Wf, bf = floats(W, b)
    rep = memory.analyze(W, b, flat_shown=0)
    for e in rep.equilibria:
        if e.boundary:
            continue
        x = e.floats()
        J = -np.eye(len(x)) + Wf * (x > 0)[None, :]
        top = float(np.max(np.linalg.eigvals(J).real))
        assert e.numeric_abscissa == pytest.approx(top)
        if top < -1e-9:
            assert e.stability == "stable"
        elif top > 1e-9:
            assert e.stability == "unstable"


@FEWER
@given(networks(n_max=4), st.integers(0, 2 ** 16))
def test_stable_equilibria_attract_and_unstable_ones_repel(net, seed):
    W, b = net
    Wf, bf = floats(W, b)
    rep = memory.analyze(W, b, flat_shown=0)
    rng = np.random.default_rng(seed)
    for e in rep.equilibria:
        x = e.floats()
        if e.boundary or np.min(np.abs(x)) < 1e-2 or abs(e.numeric_abscissa) < 0.2:
            continue      # perturbations of 1e-4 stay on x*'s affine piece; rates large enough for t = 20
        J = -np.eye(len(x)) + Wf * (x > 0)[None, :]
        lam, vecs = np.linalg.eig(J)
        if e.stability == "stable":
            start = x + 1e-4 * rng.normal(size=x.size) / np.sqrt(x.size)
        else:
            start = x + 1e-4 * np.real(vecs[:, int(np.argmax(lam.real))])
        _, xs = memory.simulate(Wf, bf, start, t_end=20.0, dt=0.02)
        d = np.max(np.abs(xs - x), axis=1)
        if e.stability == "stable":
            assert d[-1] < 0.1 * d[0]
        else:
            assert d.max() > 10 * d[0]


def test_boundary_equilibria():
    stable = memory.analyze([[0, 0], [0, 0]], [1, 0])           # x* = (1, 0): neuron 1 sits on its kink
    (e,) = stable.equilibria
    assert e.point == (1, 0) and e.boundary == (1,) and e.stability == "stable"
    unstable = memory.analyze([[2, 0], [0, 0]], [-1, 0])        # x_0 = 1 on an unstable piece, x_1 = 0
    e = next(e for e in unstable.equilibria if e.point == (1, 0))
    assert e.boundary == (1,) and e.stability == "unstable"
    _, xs = memory.simulate([[2, 0], [0, 0]], [-1, 0], [1 + 1e-6, -1e-6], t_end=20.0)
    assert abs(xs[-1][0] - 1) > 1                                # it leaves
    # a degenerate corner: patterns stored exactly at the edge of stability, every adjacent piece disagrees
    edge = 0.25 * (np.outer(ETA1, ETA1) + np.outer(ETA2, ETA2)) - np.eye(8)
    rep = memory.analyze(edge, ONES)
    assert len(rep.equilibria) == 4 and all(e.stability == "undecided" and e.boundary for e in rep.equilibria)


def test_linear_and_search_modes():
    rep = memory.analyze([[Fraction(1, 2), 0], [0, Fraction(1, 4)]], [1, 1], lagrangian="linear")
    (e,) = rep.equilibria
    assert e.point == (2, Fraction(4, 3)) and e.stability == "stable" and rep.flat_count == 0
    # n = 16 > 12: two copies of the 8-neuron memory, found by simulations and checked exactly
    big = np.zeros((16, 16))
    big[:8, :8] = big[8:, 8:] = HEBB
    rep = memory.analyze(big, np.ones(16), starts=16)
    assert rep.method == "search" and not rep.complete
    assert len(rep.memories) >= 2
    for e in rep.equilibria:
        assert memory.field_exact([[Fraction(v) for v in r] for r in big], [Fraction(1)] * 16, e.point) == [0] * 16


# ---------------------------------------------------------------------------------------------------
# memories, refutation, certificate


def test_hebbian_memory_has_four_memories_and_refuted_contraction():
    rep = memory.analyze(HEBB, ONES)
    assert rep.complete and len(rep.equilibria) == 9
    mems = sorted(tuple(int(v) for v in rep.equilibria[i].point) for i in rep.memories)
    assert mems == sorted(tuple(int(v) for v in p) for p in (ETA1, -ETA1, ETA2, -ETA2))
    assert rep.contraction == "refuted" and "two stable equilibria" in rep.contraction_detail
    # re-verify with the kernel directly
    two = keq.verify_two_equilibria(HEBB, ONES, "H", "relu", (list(rep.equilibria[0].point), 0),
                                    (list(rep.equilibria[1].point), 0))
    assert two.first.method == "exact-point"


def test_weak_memory_is_certified_contracting():
    rep = memory.analyze(WEAK, ONES)
    (e,) = rep.equilibria
    assert e.point == (Fraction(1, 3),) * 8 and e.stability == "stable"
    assert rep.contraction == "certified"


def test_tanh_memories_are_verified():
    rep = memory.analyze([[0, 2], [2, 0]], [0, 0], lagrangian="tanh")
    assert len(rep.equilibria) == 3 and len(rep.memories) == 2
    assert sorted(e.stability for e in rep.equilibria) == ["stable", "stable", "unstable"]
    assert rep.contraction == "refuted"
    weak = memory.analyze([[0, Fraction(1, 2)], [Fraction(1, 2), 0]], [Fraction(1, 3), 0], lagrangian="tanh")
    assert len(weak.equilibria) == 1 and weak.equilibria[0].stability == "stable"


def test_two_layer_is_the_block_form():
    xi = [[1, 0], [1, 0], [0, 1], [0, 1]]
    W, b = memory.two_layer(xi, [Fraction(1, 2)] * 4, [0, 0])
    Wf = np.array([[float(v) for v in r] for r in W])
    X = np.array(xi, dtype=float)
    assert np.array_equal(Wf[:4, 4:], X) and np.array_equal(Wf[4:, :4], X.T) and not Wf[:4, :4].any()
    rng = np.random.default_rng(0)
    for _ in range(10):   # one-layer energy with the block W = Krotov-Hopfield two-layer energy
        v, h = rng.normal(size=4), rng.normal(size=2)
        gv, gh = np.maximum(v, 0), np.maximum(h, 0)
        kh = ((v - 0.5) @ gv - 0.5 * gv @ gv) + (h @ gh - 0.5 * gh @ gh) - gv @ X @ gh
        assert memory.energy(W, b, np.concatenate([v, h])) == pytest.approx(kh)
    rep = memory.analyze_two_layer(xi, [Fraction(1, 2)] * 4, [0, 0], tau_v=1, tau_h=Fraction(1, 5))
    assert rep.two_layer == (4, 2) and rep.tau == (1, 1, 1, 1, Fraction(1, 5), Fraction(1, 5))
    for e in rep.equilibria:
        assert memory.field_exact(W, b, e.point) == [0] * 6
    # an active block (features F, hidden H) is stable iff every singular value of xi_FH is < 1
    for e in rep.equilibria:
        if not e.boundary:
            F = [i for i in e.active if i < 4]
            H = [i - 4 for i in e.active if i >= 4]
            sv = np.linalg.svd(X[np.ix_(F, H)], compute_uv=False) if F and H else np.zeros(1)
            assert (e.stability == "stable") == bool(sv.max() < 1)
    check_energy_along(W, b, "relu", [1, 1, 1, 1, 0.2, 0.2], rng.normal(size=6))


def test_bad_input():
    with pytest.raises(InputError, match="symmetric"):
        memory.analyze([[0, 1], [0, 0]], [0, 0])
    with pytest.raises(InputError, match="Lagrangian"):
        memory.analyze([[0]], [0], lagrangian="softmax")
    with pytest.raises(InputError, match="tau"):
        memory.analyze([[0]], [0], tau=-1)
    with pytest.raises(InputError, match="entries"):
        memory.analyze([[0, 0], [0, 0]], [1])
    with pytest.raises(InputError, match="not flat"):
        memory.flat_region([[0]], [0], [0])


# ---------------------------------------------------------------------------------------------------
# the command line


def cli(*argv):
    import argparse
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    memory_cli.add_parser(sub)
    args = parser.parse_args(["memory", *argv])
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = memory_cli.run(args)
    return code, out.getvalue(), err.getvalue()


def test_cli_text_and_json():
    code, out, _ = cli(str(ROOT / "rules/memory-hebbian-relu.toml"))
    assert code == 0
    assert "equilibria: 9 (exact enumeration of all 2^8 active sets); stable (stored memories): 4" in out
    assert "flat regions: 255" in out and "global contraction: REFUTED" in out
    code, out, _ = cli(str(ROOT / "rules/memory-weak-relu.toml"), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["status"] == "ok" and data["contraction"] == "certified"
    assert data["equilibria"][0]["point"] == ["1/3"] * 8 and data["memories"] == [0]


def test_cli_bad_input(tmp_path):
    asym = tmp_path / "asym.toml"
    asym.write_text('[rule]\ndW = "0"\n[network]\nform = "H"\nactivation = "relu"\nW0 = [[0, 1], [0, 0]]\n')
    code, _, err = cli(str(asym))
    assert code == 2 and "symmetric" in err and "asym.toml" in err
    code, out, _ = cli(str(asym), "--format", "json")
    assert code == 2 and json.loads(out)["error"]["symbol"] == "W0"
    noact = tmp_path / "noact.toml"
    noact.write_text('[rule]\ndW = "0"\n[network]\nform = "H"\nW0 = [[0, 1], [1, 0]]\n')
    code, _, err = cli(str(noact))
    assert code == 2 and "activation" in err
    code, _, err = cli(str(ROOT / "rules/bistable-network.toml"))
    assert code == 2 and "form" in err
    code, _, err = cli(str(ROOT / "rules/memory-weak-relu.toml"), "--tau", "-1")
    assert code == 2 and "tau" in err
    code, _, err = cli(str(tmp_path / "missing.toml"))
    assert code == 2


def test_memory_command_shows_the_kernel_energy_laws(capsys):
    from certify.cli.main import main
    assert main(["memory", "rules/memory-hebbian-relu.toml"]) == 0
    out = capsys.readouterr().out
    assert "[   CERTIFIED] descent: dE/dt = -x'^T T H x' <= 0" in out
    assert "[   CERTIFIED] strict-lyapunov: V = E + " in out
    assert main(["memory", "rules/memory-hebbian-relu.toml", "--format", "json"]) == 0
    laws = json.loads(capsys.readouterr().out)["laws"]
    assert [(d["law"], d["verdict"]) for d in laws] == [("descent", "certified"), ("strict-lyapunov", "certified")]
