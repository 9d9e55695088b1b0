"""Synaptic balancing (certify.families.balancing, certify.cli.balance): docs/theory.md §4 checked numerically.

Strategies build valid inputs directly: a strongly connected support is a random permutation cycle
plus random extra synapses; multi-component networks are block-diagonal strongly connected blocks
under a random relabelling; acyclic ones are strictly triangular under a relabelling.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.linalg as sl
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from certify.cli import balance as balance_cli
from certify.families.balancing import (
    NoBalancedState,
    balance,
    cost,
    edges_blocking_balance,
    gain_flow_rhs,
    imbalance,
    integrate_gain_flow,
    io_map,
    measures,
    measures_report,
    neuron_imbalance,
    signal,
    strong_components,
)
from certify.errors import InputError
from certify.verdict import ExitCode

# ------------------------------------------------------------------------------------------------
# strategies


@st.composite
def strongly_connected(draw, min_n=2, max_n=7, spread=2.0, zero_diag=None):
    """(J, cycle): J strongly connected; `cycle` a directed cycle through all neurons in its support.

    Magnitudes are e^U with U uniform in [-spread, spread]; signs random."""
    n = draw(st.integers(min_n, max_n))
    perm = draw(st.permutations(range(n)))
    mask = draw(hnp.arrays(bool, (n, n)))
    logs = draw(hnp.arrays(float, (n, n), elements=st.floats(-spread, spread)))
    signs = draw(hnp.arrays(bool, (n, n)))
    J = np.where(mask, np.exp(logs) * np.where(signs, 1.0, -1.0), 0.0)
    for k in range(n):  # synapse perm[k] -> perm[k+1], i.e. J[perm[k+1], perm[k]]
        i, j = perm[(k + 1) % n], perm[k]
        if J[i, j] == 0.0:
            J[i, j] = np.exp(logs[i, j]) * (1.0 if signs[i, j] else -1.0)
    if zero_diag if zero_diag is not None else draw(st.booleans()):
        np.fill_diagonal(J, 0.0)
    return J, list(perm)


@st.composite
def multi_component(draw):
    """J with 1-3 strongly connected blocks (some may be single neurons), randomly relabelled, plus
    the true component of each neuron."""
    blocks = draw(st.lists(strongly_connected(min_n=1, max_n=4, zero_diag=False), min_size=1, max_size=3))
    n = sum(b.shape[0] for b, _ in blocks)
    J = np.zeros((n, n))
    comp = np.zeros(n, dtype=int)
    at = 0
    for c, (b, _) in enumerate(blocks):
        k = b.shape[0]
        J[at:at + k, at:at + k] = b
        comp[at:at + k] = c
        at += k
    perm = np.array(draw(st.permutations(range(n))))
    P = np.eye(n)[perm]
    return P @ J @ P.T, P @ comp


@st.composite
def log_gains(draw, n, scale=2.0):
    return draw(hnp.arrays(float, (n,), elements=st.floats(-scale, scale)))


def trace_powers(J, kmax=4):
    out, M = [], np.eye(J.shape[0])
    for _ in range(kmax):
        M = M @ J
        out.append(np.trace(M))
    return np.array(out)


def assert_similar_invariants(J0, J1, cycle):
    """What a diagonal similarity must keep: traces of powers, diagonal, cycle product, signs."""
    t0, t1 = trace_powers(J0), trace_powers(J1)
    scale = trace_powers(np.abs(J0)) + 1e-300  # the natural size of each trace (no cancellation)
    assert np.all(np.abs(t0 - t1) <= 1e-9 * scale), (t0, t1)
    np.testing.assert_array_equal(np.diag(J1), np.diag(J0))
    prod0 = np.prod([J0[cycle[(k + 1) % len(cycle)], cycle[k]] for k in range(len(cycle))])
    prod1 = np.prod([J1[cycle[(k + 1) % len(cycle)], cycle[k]] for k in range(len(cycle))])
    assert prod1 == pytest.approx(prod0, rel=1e-9)
    np.testing.assert_array_equal(np.sign(J1), np.sign(J0))


def component_constant(v, comp):
    return all(np.ptp(v[comp == c]) <= 1e-7 * (1 + np.abs(v).max()) for c in np.unique(comp))


# ------------------------------------------------------------------------------------------------
# the gain flow


@given(strongly_connected(), st.sampled_from([1.0, 2.0, 3.0]))
def test_flow_conserves_invariants_and_cost_decreases(Jc, p):
    J, cycle = Jc
    times = np.linspace(0.0, 0.5, 11)
    flow = integrate_gain_flow(J, times, p=p, tau=1.0)
    assert flow.t.size == times.size
    for k in range(flow.t.size):
        assert_similar_invariants(J, flow.J_at(J, k), cycle)
    # recorded costs are those of J(t), and they never increase
    for k in (0, flow.t.size // 2, flow.t.size - 1):
        assert flow.cost[k] == pytest.approx(cost(flow.J_at(J, k), p), rel=1e-9)
    assert np.all(np.diff(flow.cost) <= 1e-12 * flow.cost[0])


@given(strongly_connected(), st.floats(0.5, 3.0), st.floats(0.5, 4.0))
def test_flow_is_lax_form_and_descends_at_rate_p_g_squared(Jc, p, tau):
    """docs/theory.md §4: dJ/dt = [J, diag(g)]/tau and dC/dt = -p ||g||^2 / tau (checked at h = 0)."""
    J, _ = Jc
    g = signal(J, p)
    np.testing.assert_allclose(gain_flow_rhs(0.0, np.zeros(J.shape[0]), J, p=p, tau=tau), g / tau)
    eps = 1e-6 / (1.0 + np.abs(g).max())
    Jp = _sim(J, eps * g / tau)
    Jm = _sim(J, -eps * g / tau)
    lax = (J @ np.diag(g) - np.diag(g) @ J) / tau
    rounding = 1e-14 / eps  # relative size of rounding error in a central difference
    np.testing.assert_allclose((Jp - Jm) / (2 * eps), lax, rtol=1e-5, atol=rounding * np.abs(J).max())
    dC = (cost(Jp, p) - cost(Jm, p)) / (2 * eps)
    assert dC == pytest.approx(-p * float(g @ g) / tau, rel=1e-4, abs=rounding * cost(J, p))


def _sim(J, h):
    return np.exp(-h)[:, None] * J * np.exp(h)[None, :]


def test_flow_reaches_tolerance_and_agrees_with_solver():
    rng = np.random.default_rng(3)
    J = rng.standard_normal((30, 30)) * np.exp(rng.standard_normal((30, 30)))
    for method in ("euler", "rk45"):
        flow = integrate_gain_flow(J, np.inf, tol=1e-8, method=method)
        assert flow.converged and imbalance(flow.J) <= 1e-8 * 1.01
    res = balance(J, tol=1e-12)
    np.testing.assert_allclose(flow.J, res.J, rtol=1e-5, atol=1e-7 * np.abs(res.J).max())


def test_flow_honest_when_no_balanced_state():
    J = np.array([[0.0, 0.0], [1.0, 0.0]])  # a single feed-forward synapse: no cycle
    flow = integrate_gain_flow(J, [1.0, 10.0, 100.0], tol=1e-10, max_steps=10_000)
    assert not flow.converged
    assert np.all(np.diff(flow.cost) < 0)  # the weight decays towards 0 ...
    assert np.all(np.diff(np.abs(flow.h[:, 1] - flow.h[:, 0])) > 0)  # ... while the gains diverge


# ------------------------------------------------------------------------------------------------
# the solver


@given(strongly_connected(max_n=8), st.sampled_from([0.5, 1.0, 2.0, 3.0]))
def test_solver_output_balanced_and_invariants_kept(Jc, p):
    J, cycle = Jc
    res = balance(J, p=p, tol=1e-13)
    assert res.converged, res.message
    assert np.max(neuron_imbalance(res.J, p)) <= 1e-9
    assert res.imbalance <= 1e-13
    assert imbalance(res.J, p) == pytest.approx(res.imbalance, abs=1e-15)
    assert_similar_invariants(J, res.J, cycle)
    np.testing.assert_allclose(res.J, _sim(J, res.h), rtol=1e-12, atol=0)
    assert abs(res.h.mean()) <= 1e-12 * (1 + np.abs(res.h).max())  # one component: mean zero
    assert res.cost_after <= res.cost_before * (1 + 1e-12)
    assert res.cost_after == pytest.approx(cost(res.J, p), rel=1e-12)


@given(multi_component(), st.data())
def test_unique_up_to_one_constant_per_component(Jc, data):
    J, comp = Jc
    n = J.shape[0]
    h0 = data.draw(log_gains(n))
    J0 = _sim(J, h0)  # D0^-1 J D0
    a, b = balance(J, tol=1e-13), balance(J0, tol=1e-13)
    assert a.converged and b.converged
    np.testing.assert_allclose(b.J, a.J, rtol=1e-7, atol=1e-9 * np.abs(a.J).max())
    assert component_constant(h0 + b.h - a.h, comp)
    found = np.zeros(n, dtype=int)
    for c, idx in enumerate(a.components):
        found[idx] = c
        assert abs(a.h[idx].mean()) <= 1e-9 * (1 + np.abs(a.h).max())  # gauge: mean zero per SCC
    # the solver's components are the true ones (up to naming)
    assert all(len(set(found[comp == c])) == 1 for c in np.unique(comp))
    assert len(a.components) == len(np.unique(comp))


@given(strongly_connected(max_n=6), st.data())
def test_alpha_weights_and_methods_agree(Jc, data):
    J, _ = Jc
    n = J.shape[0]
    alpha = np.exp(data.draw(hnp.arrays(float, (n, n), elements=st.floats(-1, 1))))
    p = data.draw(st.floats(0.5, 4.0))
    results = [balance(J, p=p, alpha=alpha, tol=1e-12, method=m) for m in ("auto", "newton")]
    for r in results:
        assert r.converged, r.message
        assert imbalance(r.J, p, alpha) <= 1e-12
        rin = (alpha * np.abs(r.J) ** p).sum(axis=1) - alpha.diagonal() * np.abs(r.J.diagonal()) ** p
        rout = (alpha * np.abs(r.J) ** p).sum(axis=0) - alpha.diagonal() * np.abs(r.J.diagonal()) ** p
        np.testing.assert_allclose(rin, rout, rtol=1e-9)
    np.testing.assert_allclose(results[0].J, results[1].J, rtol=1e-8, atol=1e-10 * np.abs(J).max())


@given(hnp.arrays(float, st.integers(2, 8), elements=st.floats(-2, 2)), st.data(),
       st.sampled_from([1.0, 2.0, 3.5]))
def test_rank_one_positive_balances_to_symmetric(logu, data, p):
    n = logu.size
    logv = data.draw(hnp.arrays(float, (n,), elements=st.floats(-2, 2)))
    u, v = np.exp(logu), np.exp(logv)
    res = balance(np.outer(u, v), p=p, tol=1e-13)
    assert res.converged
    np.testing.assert_allclose(res.J, res.J.T, rtol=1e-9)
    # symmetric => 2-norm = spectral radius = v.u, the least over all diagonal similarities
    assert np.linalg.norm(res.J, 2) == pytest.approx(float(u @ v), rel=1e-9)


def test_reference_two_neuron_network():
    """J = [[0, 8], [1/8, 0]] balances to [[0, 1], [1, 0]] with h_2 - h_1 = -ln 8."""
    res = balance(np.array([[0.0, 8.0], [0.125, 0.0]]), W_in=np.array([[1.0], [1.0]]),
                  W_out=np.array([[1.0, 1.0]]), b=np.array([1.0, 1.0]))
    np.testing.assert_allclose(res.J, [[0, 1], [1, 0]], atol=1e-12)
    np.testing.assert_allclose(res.h, [np.log(8) / 2, -np.log(8) / 2], atol=1e-12)
    np.testing.assert_allclose(res.W_in, [[1 / np.sqrt(8)], [np.sqrt(8)]], rtol=1e-12)
    np.testing.assert_allclose(res.b, [1 / np.sqrt(8), np.sqrt(8)], rtol=1e-12)
    np.testing.assert_allclose(res.W_out, [[np.sqrt(8), 1 / np.sqrt(8)]], rtol=1e-12)
    assert res.cost_before == pytest.approx(64 + 1 / 64) and res.cost_after == pytest.approx(2.0)


def test_network_without_synapses_and_empty_network():
    for J in (np.zeros((0, 0)), np.diag([1.0, -2.0, 0.0])):
        res = balance(J)
        assert res.converged and res.iterations == 0 and np.all(res.h == 0)
        np.testing.assert_array_equal(res.J, J)


@pytest.mark.parametrize("kind", ["ring", "bipartite", "sparse", "heavy-tailed"])
def test_hard_graphs_converge(kind):
    """Graphs where Jacobi sweeps are slow or oscillate; the sparse ones take the sparse code path."""
    rng = np.random.default_rng(7)
    n = 400
    if kind == "ring":
        J = np.zeros((n, n))
        J[np.arange(1, n), np.arange(n - 1)] = rng.uniform(0.1, 10, n - 1)
        J[0, n - 1] = 1.0
    elif kind == "bipartite":
        h = n // 2
        J = np.block([[np.zeros((h, h)), rng.standard_normal((h, h))],
                      [5 * rng.standard_normal((h, h)), np.zeros((h, h))]])
    elif kind == "sparse":
        J = (rng.random((n, n)) < 0.03) * rng.standard_normal((n, n))
        J[np.arange(n), np.roll(np.arange(n), 1)] = 1.0  # a Hamiltonian cycle: strongly connected
    else:
        J = rng.standard_normal((n, n)) * np.exp(2 * rng.standard_normal((n, n)))
    res = balance(J)
    assert res.converged and res.imbalance <= 1e-10, res.message
    assert np.max(neuron_imbalance(res.J)) <= 1e-7
    if kind == "ring":  # plain Jacobi sweeps mix along a long cycle in O(n^2) sweeps
        jac = balance(J, method="jacobi", max_iter=200)
        assert not jac.converged and "max_iter" in jac.message


def test_not_converged_is_reported_honestly():
    rng = np.random.default_rng(1)
    J = rng.standard_normal((20, 20)) * np.exp(2 * rng.standard_normal((20, 20)))
    r = balance(J, max_iter=1)
    assert not r.converged and r.iterations == 1
    assert r.imbalance == pytest.approx(imbalance(r.J)) and r.imbalance > 1e-10
    assert "max_iter" in r.message
    r = balance(J, tol=1e-30)  # below the rounding floor of the imbalance itself
    assert not r.converged and r.imbalance > 1e-30
    assert "stopped" in r.message or "max_iter" in r.message


def test_progress_is_reported():
    rng = np.random.default_rng(2)
    seen = []
    res = balance(rng.standard_normal((50, 50)), progress=lambda ph, it, imb: seen.append((ph, it, imb)))
    assert seen[0][0] == "start" and seen[-1][0] == "done"
    assert seen[-1][1] == res.iterations and seen[-1][2] == res.imbalance
    assert len(seen) == res.iterations + 2


# ------------------------------------------------------------------------------------------------
# existence


def _reaches(J):
    """Boolean transitive closure of the support graph: R[a, b] iff a path b -> ... -> a."""
    n = J.shape[0]
    R = (J != 0) | np.eye(n, dtype=bool)
    for k in range(n):
        R |= R[:, [k]] & R[[k], :]
    return R


@given(hnp.arrays(float, st.tuples(st.integers(1, 7)).map(lambda t: (t[0], t[0])),
                  elements=st.sampled_from([0.0, 0.0, 1.0, -2.0])))
def test_blocking_edges_are_exactly_the_edges_on_no_cycle(J):
    R = _reaches(J)
    n = J.shape[0]
    expected = [(i, j) for i in range(n) for j in range(n)
                if i != j and J[i, j] != 0 and not R[j, i]]  # i <- j lies on a cycle iff a path i -> j
    assert edges_blocking_balance(J) == expected
    comps = strong_components(J)
    assert sorted(np.concatenate(comps).tolist()) == list(range(n))
    for c in comps:
        assert R[np.ix_(c, c)].all()
    if expected:
        with pytest.raises(NoBalancedState) as info:
            balance(J)
        assert info.value.edges == expected
    else:
        assert balance(J).converged


@given(st.integers(2, 8), st.data())
def test_acyclic_network_has_no_balanced_state(n, data):
    perm = np.array(data.draw(st.permutations(range(n))))
    L = np.tril(np.exp(data.draw(hnp.arrays(float, (n, n), elements=st.floats(-2, 2)))), -1)
    L[1, 0] = 1.0  # at least one synapse
    P = np.eye(n)[perm]
    J = P @ L @ P.T
    with pytest.raises(NoBalancedState) as info:
        balance(J)
    err = info.value
    assert isinstance(err, InputError)
    assert len(err.edges) == np.count_nonzero(L)
    i, j = err.edges[0]
    assert f"{i}<-{j} (J[{i},{j}])" in str(err)
    assert "no balanced state" in str(err) and "decay to 0" in str(err) and "hint" in str(err)


@given(strongly_connected(max_n=5, zero_diag=True))
def test_one_feed_forward_synapse_is_named(Jc):
    J, _ = Jc
    n = J.shape[0]
    big = np.zeros((n + 1, n + 1))
    big[:n, :n] = J
    big[n, 0] = 0.7  # neuron n listens to neuron 0 and talks to nobody
    assert edges_blocking_balance(big) == [(n, 0)]
    with pytest.raises(NoBalancedState, match=rf"1 synapse\(s\).*{n}<-0 \(J\[{n},0\]\)"):
        balance(big)
    assert balance(big[:n, :n]).converged  # the recurrent part alone balances


# ------------------------------------------------------------------------------------------------
# input -> output map


@st.composite
def small_network(draw):
    J, _ = draw(strongly_connected(max_n=6, spread=1.0))
    J = 0.8 * J / max(np.linalg.norm(J, 2), 1e-12)  # contracting for 1-Lipschitz phi
    n = J.shape[0]
    m, k = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    el = st.floats(-1, 1)
    W_in = draw(hnp.arrays(float, (n, m), elements=el))
    W_out = draw(hnp.arrays(float, (k, n), elements=el))
    b = draw(hnp.arrays(float, (n,), elements=el))
    u = draw(hnp.arrays(float, (m,), elements=st.floats(-2, 2)))
    return J, W_in, W_out, b, u


@given(small_network(), st.sampled_from(["relu", "leaky_relu", "linear"]))
def test_io_map_invariant_for_positively_homogeneous_phi(net, phi):
    J, W_in, W_out, b, u = net
    res = balance(J, W_in=W_in, W_out=W_out, b=b, tol=1e-13)
    assert res.converged
    forcing = lambda t: u * np.cos(t)  # noqa: E731 (a time-varying input as well)
    for uu in (u, forcing):
        y0 = io_map(J, W_in, W_out, b, phi, uu, t_end=3.0, dt=0.05, trajectory=True)
        y1 = io_map(res.J, res.W_in, res.W_out, res.b, phi, uu, t_end=3.0, dt=0.05, trajectory=True)
        np.testing.assert_allclose(y1, y0, rtol=1e-7, atol=1e-9 * (1 + np.abs(y0).max()))


def test_io_map_changes_for_tanh():
    """tanh(a x) != a tanh(x): the balanced network computes something else (docs/theory.md §4)."""
    J = np.array([[0.0, 8.0], [0.125, 0.0]])
    W_in, W_out, b = np.array([[1.0], [0.0]]), np.array([[0.0, 1.0]]), np.zeros(2)
    res = balance(J, W_in=W_in, W_out=W_out, b=b)
    for phi in ("relu", "tanh"):
        y0 = io_map(J, W_in, W_out, b, phi, [2.0], t_end=5.0, dt=0.01)
        y1 = io_map(res.J, res.W_in, res.W_out, res.b, phi, [2.0], t_end=5.0, dt=0.01)
        if phi == "relu":
            np.testing.assert_allclose(y1, y0, rtol=1e-9)
        else:
            assert abs(y1[0] - y0[0]) > 0.1 * abs(y0[0]), (y0, y1)


# ------------------------------------------------------------------------------------------------
# measures and norms


def test_measures_match_definitions():
    A = np.array([[-1.0, 2.0], [-3.0, 0.5]])
    m = measures(A)
    assert m["mu1"] == pytest.approx(max(-1 + 3, 0.5 + 2))
    assert m["muinf"] == pytest.approx(max(-1 + 2, 0.5 + 3))
    assert m["mu2"] == pytest.approx(np.linalg.eigvalsh((A + A.T) / 2).max())
    assert m["norm1"] == pytest.approx(4.0) and m["norminf"] == pytest.approx(3.5)
    assert m["norm2"] == pytest.approx(np.linalg.svd(A, compute_uv=False)[0])


@given(strongly_connected(max_n=6))
def test_measures_report_before_after(Jc):
    J, _ = Jc
    res = balance(J)
    rep = measures_report(J, res.J)
    assert rep["before"] == measures(J) and rep["after"] == measures(res.J)
    rho = np.abs(np.linalg.eigvals(J)).max()
    for side in ("before", "after"):  # norms bound the (conserved) spectral radius
        for key in ("norm1", "norm2", "norminf"):
            assert rep[side][key] >= rho * (1 - 1e-9)


# ------------------------------------------------------------------------------------------------
# scipy.linalg.matrix_balance (LAPACK gebal)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gebal_is_only_approximate(seed):
    """gebal rounds the gains to powers of 2 and stops once no row/column gains 5%, so it leaves a
    residual imbalance far above ours (p = 1, the norm scipy documents; installed LAPACK >= 3.5
    actually compares 2-norms, and the residual is large for p = 2 as well; docs/balancing.md)."""
    rng = np.random.default_rng(seed)
    n = 60
    g = np.exp(1.5 * rng.standard_normal(n))
    J = rng.standard_normal((n, n)) * g[None, :] / g[:, None]  # Gaussian, neuron gains scrambled
    B, T = sl.matrix_balance(J, permute=False)
    t = np.diag(T)
    np.testing.assert_allclose(B, J / t[:, None] * t[None, :])  # same convention: B = T^-1 J T
    assert np.all(np.log2(t) == np.round(np.log2(t)))  # powers of 2
    for p in (1.0, 2.0):
        ours = balance(J, p=p)
        assert ours.converged
        assert imbalance(B, p) > 1e-3 > 1e4 * ours.imbalance
        assert imbalance(B, p) < imbalance(J, p)  # it does improve the balance


def test_gebal_norm_probe():
    """Which norm does gebal balance? Star network: k leaves -> 0 -> H -> leaves. For k = 64 the exact
    balanced gains are powers of 2 for both p = 1 (t0 = 4, tH = 1/4) and p = 2 (t0 = 2, tH = 1/2), so
    gebal can land exactly on either. Reference LAPACK >= 3.5 (the one scipy ships) compares 2-norms
    (DNRM2) although scipy's docstring says 1-norms, and a common reading pairs gebal with p = 1."""
    k = 64
    n = k + 2
    J = np.zeros((n, n))
    J[0, 2:] = 1.0   # leaves -> 0
    J[1, 0] = 1.0    # 0 -> H
    J[2:, 1] = 1.0   # H -> leaves
    for p, t0 in ((1.0, 4.0), (2.0, 2.0)):
        r = balance(J, p=p)
        assert np.exp(r.h[0] - r.h[2]) == pytest.approx(t0, rel=1e-9)
    B, (s, _) = sl.matrix_balance(J, permute=False, separate=True)
    if imbalance(B, 1) == 0.0:
        pytest.skip("this LAPACK's gebal balances 1-norms (LAPACK < 3.5)")
    assert imbalance(B, 2) == 0.0 and s[0] / s[2] == 2.0  # the p = 2 fixed point, exactly
    assert imbalance(B, 1) > 0.5


# ------------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("kwargs, symbol, text", [
    (dict(J=np.ones((2, 3))), "J", "square"),
    (dict(J=np.ones(3)), "J", "2-D"),
    (dict(J=np.array([[0.0, np.nan], [1.0, 0.0]])), "J", "NaN or Inf"),
    (dict(J=np.array([[0.0, np.inf], [1.0, 0.0]])), "J", "NaN or Inf"),
    (dict(J=[["a", "b"], ["c", "d"]]), "J", "numeric"),
    (dict(J=np.ones((2, 2)), p=0), "p", "> 0"),
    (dict(J=np.ones((2, 2)), p=-1.5), "p", "> 0"),
    (dict(J=np.ones((2, 2)), p=float("nan")), "p", "> 0"),
    (dict(J=np.ones((2, 2)), alpha=np.array([[1.0, 0.0], [1.0, 1.0]])), "alpha", "> 0"),
    (dict(J=np.ones((2, 2)), alpha=-1.0), "alpha", "> 0"),
    (dict(J=np.ones((2, 2)), alpha=np.ones((3, 3))), "alpha", "shape"),
    (dict(J=np.ones((2, 2)), W_in=np.ones((3, 1))), "W_in", "2 rows"),
    (dict(J=np.ones((2, 2)), W_out=np.ones((1, 3))), "W_out", "2 columns"),
    (dict(J=np.ones((2, 2)), b=np.ones(3)), "b", "length 2"),
    (dict(J=np.ones((2, 2)), b=np.array([1.0, np.nan])), "b", "NaN"),
    (dict(J=np.ones((2, 2)), tol=0.0), "tol", "> 0"),
    (dict(J=np.ones((2, 2)), max_iter=-1), "max_iter", ">= 0"),
    (dict(J=np.ones((2, 2)), method="magic"), "method", "auto"),
])
def test_bad_input_names_the_argument(kwargs, symbol, text):
    J = kwargs.pop("J")
    with pytest.raises(InputError, match=text) as info:
        balance(J, **kwargs)
    assert info.value.symbol == symbol
    assert symbol in str(info.value)


def test_helpers_validate_too():
    with pytest.raises(InputError, match="square"):
        imbalance(np.ones((2, 3)))
    with pytest.raises(InputError, match="p must"):
        signal(np.ones((2, 2)), p=0)
    with pytest.raises(InputError, match="phi"):
        io_map(np.eye(2), None, np.eye(2), None, "softsign", None)
    with pytest.raises(InputError, match="tol"):
        integrate_gain_flow(np.ones((2, 2)), np.inf)


# ------------------------------------------------------------------------------------------------
# command line


@pytest.fixture
def files(tmp_path):
    J = np.array([[0.0, 4.0, 0.0], [0.25, -0.5, 2.0], [1.0, 0.0, 0.0]])
    paths = {"J": tmp_path / "J.npy", "csv": tmp_path / "J.csv", "net": tmp_path / "net.npz",
             "ff": tmp_path / "ff.npy", "bad": tmp_path / "bad.npy", "txt": tmp_path / "J.bin"}
    np.save(paths["J"], J)
    np.savetxt(paths["csv"], J, delimiter=",")
    np.savez(paths["net"], J=J, W_in=np.array([[1.0], [0.0], [0.0]]), W_out=np.array([[0.0, 0.0, 1.0]]),
             b=np.array([0.1, 0.0, 0.0]))
    np.save(paths["ff"], np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]))
    np.save(paths["bad"], np.ones((2, 3)))
    paths["txt"].write_text("hello")
    return J, {k: str(v) for k, v in paths.items()}


def test_cli_balances_and_writes(files, tmp_path, capsys):
    J, f = files
    out = str(tmp_path / "balanced.npz")
    assert balance_cli.main([f["net"], "--out", out]) == ExitCode.OK
    text = capsys.readouterr().out
    assert text.startswith("balanced:") and "relative imbalance" in text and "mu_2(J)" in text
    with np.load(out) as z:
        assert set(z.files) == {"J", "h", "W_in", "W_out", "b"}
        assert imbalance(z["J"]) <= 1e-10
        np.testing.assert_allclose(z["J"], _sim(J, z["h"]), rtol=1e-12)
        np.testing.assert_allclose(z["W_out"], np.array([[0.0, 0.0, 1.0]]) * np.exp(z["h"]))


def test_cli_csv_json_and_quiet(files, capsys):
    _, f = files
    assert balance_cli.main([f["csv"], "--format", "json", "--p", "1"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["status"] == "balanced" and rep["p"] == 1.0 and rep["imbalance"] <= 1e-10
    assert rep["measures"]["after"]["norm2"] <= rep["measures"]["before"]["norm2"]
    assert balance_cli.main([f["J"], "--quiet"]) == 0
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == ""
    assert balance_cli.main([f["J"], "--verbose"]) == 0
    assert "balance: done after" in capsys.readouterr().err


def test_cli_alpha_file(files, tmp_path, capsys):
    J, f = files
    alpha = np.arange(1.0, 10.0).reshape(3, 3)
    np.save(tmp_path / "alpha.npy", alpha)
    assert balance_cli.main([f["J"], "--alpha", str(tmp_path / "alpha.npy"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "balanced"
    np.save(tmp_path / "alpha0.npy", np.zeros((3, 3)))
    assert balance_cli.main([f["J"], "--alpha", str(tmp_path / "alpha0.npy")]) == ExitCode.USAGE_ERROR
    assert "alpha" in capsys.readouterr().err


def test_cli_no_balanced_state(files, capsys):
    _, f = files
    assert balance_cli.main([f["ff"]]) == ExitCode.REFUTED == 1
    text = capsys.readouterr().out
    assert "no balanced state" in text and "1<-0" in text and "2<-1" in text and "no directed cycle" in text
    assert balance_cli.main([f["ff"], "--format", "json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["status"] == "no_balanced_state" and rep["blocking_edges"] == [[1, 0], [2, 1]]


def test_cli_not_converged(files, capsys):
    _, f = files
    assert balance_cli.main([f["J"], "--max-iter", "1", "--out", "never.npz"]) == 1
    text = capsys.readouterr().out
    assert text.startswith("NOT balanced") and "max_iter" in text and "nothing written" in text


@pytest.mark.parametrize("argv, text", [
    (["missing.npy"], "no such file"),
    (["{bad}"], "square"),
    (["{txt}"], "unsupported file type"),
    (["{J}", "--p", "0"], "p must"),
    (["{J}", "--tol", "-1"], "tol must"),
    (["{J}", "--w-in", "{bad}"], "W_in"),
])
def test_cli_bad_input(files, capsys, argv, text):
    _, f = files
    assert balance_cli.main([a.format(**f) for a in argv]) == ExitCode.USAGE_ERROR == 2
    assert text in capsys.readouterr().err


def test_cli_usage_errors(files, capsys):
    _, f = files
    assert balance_cli.main([]) == 2
    assert balance_cli.main([f["J"], "--format", "xml"]) == 2
    assert balance_cli.main([f["J"], "--quiet", "--verbose"]) == 2
    capsys.readouterr()
    assert balance_cli.main([f["J"], "--format", "json", "--p", "-1"]) == 2
    assert json.loads(capsys.readouterr().out)["status"] == "error"


def test_cli_npz_without_J(tmp_path, capsys):
    np.savez(tmp_path / "x.npz", W=np.eye(2))
    assert balance_cli.main([str(tmp_path / "x.npz")]) == 2
    assert "no array 'J'" in capsys.readouterr().err


def test_add_parser_plugs_into_a_main_cli(files, capsys):
    import argparse

    _, f = files
    parser = argparse.ArgumentParser(prog="certify")
    sub = parser.add_subparsers(dest="command")
    balance_cli.add_parser(sub)
    args = parser.parse_args(["balance", f["J"], "--format", "json"])
    assert args.command == "balance" and balance_cli.run(args) == 0
    assert json.loads(capsys.readouterr().out)["converged"] is True
