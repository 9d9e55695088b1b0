"""Conservation laws of synaptic balancing and the energy of Krotov–Hopfield networks.

Each kernel law is attacked numerically: the balancing flow is integrated directly (W' = [W, diag(g)]/tau with
the cost signal g = C e - C^T e, not through the closed-form solution), networks are simulated, energies are
differentiated by finite differences; the new normal forms (scalar, trace, derivative, substitution, inverse
pairs) are compared with numpy on random matrices.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from certify.check import check_rule
from certify.errors import InputError, KernelError
from certify.kernel import algebra as alg
from certify.kernel import forms
from certify.kernel import laws as kl
from certify.kernel.intervals import Interval
from certify.lang.rule import Rule
from certify.verdict import Verdict

from strategies import square_matrices

n = sp.Symbol("n", integer=True, positive=True)
ZERO = sp.ZeroMatrix(n, n)
POSITIVE = Interval(F(0), float("inf"), False, False)


# -- a numpy evaluator of normal forms (independent of the kernel's exact Evaluator) ---------------------

def _value(word, env):
    out = None
    for atom in word:
        tag = atom[0]
        if tag == "leaf":
            m = env[atom[1]]
            m = m.T if atom[3] else m
        elif tag == "diag":
            m = np.diag(_value(atom[1], env).ravel())
        else:
            raise AssertionError(f"atom {atom} not used in these tests")
        out = m if out is None else out @ m
    return np.eye(env["_n"]) if out is None else out


def _evaluate(nf, env, coeffs=None):
    total = 0
    for word, c in nf.items():
        total = total + float(sp.sympify(c).subs(coeffs or {})) * _value(word, env)
    return total


def _leaf(name, kind):
    return {(("leaf", name, kind, False),): sp.Integer(1)}


@st.composite
def scalar_words(draw):
    """A 1 x 1 word: v^T M1 ... Mk w, optionally times a second such factor."""
    def one():
        inner = draw(st.lists(st.sampled_from(["A", "B", "S", "K"]), max_size=3))
        left, right = draw(st.sampled_from(["x", "y"])), draw(st.sampled_from(["x", "y"]))
        word = [("leaf", left, "vector", True)]
        word += [("leaf", m, "matrix", draw(st.booleans()) and m in "AB") for m in inner]
        word += [("leaf", right, "vector", False)]
        return tuple(word)
    word = one()
    if draw(st.booleans()):
        word = word + one()
    return word


def _env(seed, size=4):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(size, size)), rng.normal(size=(size, size))
    S = rng.normal(size=(size, size))
    K = rng.normal(size=(size, size))
    return {"_n": size, "A": A, "B": B, "S": S + S.T, "K": K - K.T, "x": rng.normal(size=(size, 1)),
            "y": rng.normal(size=(size, 1))}


NZ = alg.Normalizer({"A": "any", "B": "any", "S": "symmetric", "K": "skew"})


@given(scalar_words(), st.integers(0, 10**6))
def test_scalar_form_keeps_the_value(word, seed):
    env = _env(seed)
    nf = {word: sp.Integer(3)}
    assert np.allclose(_evaluate(forms.scalar_form(NZ, nf), env) if forms.scalar_form(NZ, nf) else 0,
                       _evaluate(nf, env), atol=1e-9)


@given(st.lists(st.sampled_from(["A", "B", "S", "K"]), min_size=1, max_size=5), st.integers(0, 10**6))
def test_trace_form_keeps_the_trace(names, seed):
    env = _env(seed)
    nf = {tuple(("leaf", m, "matrix", False) for m in names): sp.Integer(2)}
    canon = forms.trace_form(NZ, nf)
    want = np.trace(_evaluate(nf, env))
    got = np.trace(_evaluate(canon, env)) if canon else 0.0
    assert abs(got - want) <= 1e-9 * (1 + abs(want))


def test_trace_and_scalar_forms_identify_what_they_should():
    AB = {(("leaf", "A", "matrix", False), ("leaf", "B", "matrix", False)): sp.Integer(1)}
    BA = {(("leaf", "B", "matrix", False), ("leaf", "A", "matrix", False)): sp.Integer(1)}
    assert forms.trace_form(NZ, alg.nf_add(AB, alg.nf_scale(BA, -1))) == {}
    assert alg.nf_add(AB, alg.nf_scale(BA, -1))            # as matrices they differ
    xKx = {(("leaf", "x", "vector", True), ("leaf", "K", "matrix", False), ("leaf", "x", "vector", False)): 1}
    assert forms.scalar_form(NZ, xKx) == {}                   # x^T K x = 0 for skew K
    xAy = {(("leaf", "x", "vector", True), ("leaf", "A", "matrix", False), ("leaf", "y", "vector", False)): 1}
    yAtx = {(("leaf", "y", "vector", True), ("leaf", "A", "matrix", True), ("leaf", "x", "vector", False)): 1}
    assert forms.scalar_form(NZ, xAy) == forms.scalar_form(NZ, yAtx)
    with pytest.raises(KernelError):
        forms.scalar_form(NZ, AB)                              # not 1 x 1


@given(st.lists(st.sampled_from(["A", "B", "x"]), min_size=1, max_size=4), st.integers(0, 10**6))
def test_derivative_is_the_product_rule(names, seed):
    """d/dt of a word in A(t) = A + t A1, x(t) = x + t x1 against a central difference."""
    names = [m for m in names if m != "x"] + (["x"] if "x" in names else [])
    env = _env(seed)
    rng = np.random.default_rng(seed + 1)
    word = tuple(("leaf", m, "vector" if m == "x" else "matrix", False) for m in names)
    rates = {"A": _leaf("A1", "matrix"), "x": _leaf("x1", "vector")}
    env |= {"A1": rng.normal(size=(4, 4)), "x1": rng.normal(size=(4, 1))}
    d = forms.derivative(NZ, {word: sp.Integer(1)}, rates)
    h = 1e-5

    def at(t):
        e = dict(env, A=env["A"] + t * env["A1"], x=env["x"] + t * env["x1"])
        return _value(word, e)
    numeric = (at(h) - at(-h)) / (2 * h)
    exact = _evaluate(d, env) if d else np.zeros_like(numeric)
    assert np.allclose(exact, numeric, atol=1e-5 * (1 + np.abs(numeric).max()))


def test_substitute_and_cancel_inverses():
    rng = np.random.default_rng(3)
    d = rng.uniform(0.5, 2, size=4)
    env = {"_n": 4, "D": np.diag(d), "Di": np.diag(1 / d), "A": rng.normal(size=(4, 4))}
    nz = alg.Normalizer({"D": "diagonal", "Di": "diagonal", "A": "any", "M": "any"})
    # M A M with M := Di A D, then D ... Di cancels
    word = {(("leaf", "M", "matrix", False), ("leaf", "A", "matrix", False), ("leaf", "M", "matrix", False)): 1}
    sub = forms.substitute(nz, word, {"M": alg.nf_mul(alg.nf_mul(_leaf("Di", "matrix"), _leaf("A", "matrix")),
                                                   _leaf("D", "matrix"))})
    M = env["Di"] @ env["A"] @ env["D"]
    assert np.allclose(_evaluate(sub, env), M @ env["A"] @ M)
    wrapped = alg.nf_mul(alg.nf_mul(_leaf("D", "matrix"), sub), _leaf("Di", "matrix"))
    reduced = forms.cancel_inverses(wrapped, {"D": "Di", "Di": "D"})
    assert max(len(w) for w in reduced) == 5                 # A D A Di A: the outer D, Di cancelled
    assert np.allclose(_evaluate(reduced, env), env["D"] @ M @ env["A"] @ M @ env["Di"])


# -- synaptic balancing: the kernel's laws against an integration of the flow ----------------------------

def _signal(W, p, alpha):
    C = alpha * np.abs(W) ** p
    return C.sum(axis=1) - C.sum(axis=0), C.sum()


def _balance_flow(W, p, alpha, tau, t_end, steps):
    """RK4 on W' = (W G - G W)/tau, G = diag(C e - C^T e): the flow itself, not its solution."""
    def f(W):
        g, _ = _signal(W, p, alpha)
        return (W * g[None, :] - g[:, None] * W) / tau
    h = t_end / steps
    path = [W]
    for _ in range(steps):
        k1 = f(W)
        k2 = f(W + h / 2 * k1)
        k3 = f(W + h / 2 * k2)
        k4 = f(W + h * k3)
        W = W + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        path.append(W)
    return path


@st.composite
def balancing_cases(draw):
    size = draw(st.integers(3, 6))
    seed = draw(st.integers(0, 10**6))
    rng = np.random.default_rng(seed)
    mask = rng.random((size, size)) < 0.7
    for i in range(size):                       # a directed cycle through every neuron: a balanced state exists
        mask[i, (i + 1) % size] = True
    W = np.where(mask, rng.normal(size=(size, size)), 0.0)
    alpha = rng.uniform(0.5, 2.0, size=(size, size))
    p = draw(st.sampled_from([1.0, 2.0, 3.0]))
    tau = draw(st.sampled_from([0.5, 1.0, 2.0]))
    return W, alpha, p, tau


def _conserved(W):
    """The quantities the kernel certifies as conserved: tr W^k (k = 1..4), the diagonal, two 3-cycle products."""
    size = len(W)
    traces = [np.trace(np.linalg.matrix_power(W, k)) for k in range(1, 5)]
    cycles = [W[i, j] * W[j, k] * W[k, i] for i, j, k in [(0, 1, 2), (size - 1, 0, 1)]]
    return np.array(traces + list(np.diag(W)) + cycles)


@settings(deadline=None)
@given(balancing_cases())
def test_balancing_flow_conserves_what_the_kernel_certifies(case):
    """Integration error is separated from non-conservation by step halving: RK4 drift of a conserved quantity
    shrinks about 16-fold when the step is halved, a quantity that really changes does not shrink at all."""
    W0, alpha, p, tau = case
    stiffness = p / tau * 2 * _signal(W0, p, alpha)[1]          # bounds |g_j - g_i| (p/tau) along the flow
    steps = max(400, int(np.ceil(0.2 * stiffness * 8)))
    coarse = _balance_flow(W0, p, alpha, tau, t_end=0.2, steps=steps)
    path = _balance_flow(W0, p, alpha, tau, t_end=0.2, steps=2 * steps)
    q0 = _conserved(W0)
    drift_coarse = np.abs(_conserved(coarse[-1]) - q0)
    drift_fine = np.abs(_conserved(path[-1]) - q0)
    scale = 1 + np.abs(q0)
    assert np.all(drift_fine <= np.maximum(1e-11 * scale * 10 ** 4, drift_coarse / 4)), (drift_fine, drift_coarse)
    assert np.all(drift_fine <= 1e-5 * scale)
    W1 = path[-1]
    assert np.array_equal(np.sign(W1), np.sign(W0))                   # sign and zero pattern
    costs = [_signal(W, p, alpha)[1] for W in path]
    assert all(b <= a + 1e-12 for a, b in zip(costs, costs[1:]))      # the cost never increases
    W = path[len(path) // 2]                                          # dC/dt = -(p/tau)|g|^2: the directional
    g, _ = _signal(W, p, alpha)                                       # derivative of C along the flow
    Wdot = (W * g[None, :] - g[:, None] * W) / tau
    delta = 1e-6
    dC = (_signal(W + delta * Wdot, p, alpha)[1] - _signal(W - delta * Wdot, p, alpha)[1]) / (2 * delta)
    assert abs(dC + p / tau * g @ g) <= 1e-6 * (1 + p / tau * g @ g)


def _simulate(W, V, b, U, activation, u, x0, t_end=5.0, steps=2000):
    phi = {"relu": lambda z: np.maximum(z, 0), "leaky-relu": lambda z: np.where(z > 0, z, 0.1 * z),
           "linear": lambda z: z, "tanh": np.tanh}[activation]
    x, h, ys = x0.copy(), t_end / steps, []
    for k in range(steps):
        x = x + h * (-x + W @ phi(x) + V @ u(k * h) + b)
        ys.append(U @ x)
    return np.array(ys)


@settings(deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(["relu", "leaky-relu", "linear"]))
def test_rescaled_homogeneous_network_has_the_same_outputs(seed, activation):
    rng = np.random.default_rng(seed)
    size = 4
    W, V, U = rng.normal(size=(size, size)) / 2, rng.normal(size=(size, 2)), rng.normal(size=(3, size))
    b, x0 = rng.normal(size=size), rng.normal(size=size)
    d = rng.uniform(0.2, 5.0, size=size)
    Di, D = np.diag(1 / d), np.diag(d)
    u = lambda t: np.array([math.sin(t), math.cos(2 * t)])   # noqa: E731
    y = _simulate(W, V, b, U, activation, u, x0)
    yt = _simulate(Di @ W @ D, Di @ V, Di @ b, U @ D, activation, u, Di @ x0)
    assert np.allclose(y, yt, atol=1e-9 * (1 + np.abs(y).max()))
    assert kl.check_io_map(activation).law == "io-map"


def test_tanh_witness_agrees_with_simulation():
    """The kernel's witness: balancing takes J = [[0, 1/2], [1/32, 0]] to D^-1 J D, D = diag(2, 1/2) (the balanced
    state, both synapses 1/8); simulating both tanh networks reaches the two enclosed steady outputs, and the
    balancing flow itself, integrated numerically, converges to that D."""
    from certify.search.laws import _io_preconditioners, _searched_witness
    w = _searched_witness("tanh")
    J = np.array([[0, 0.5], [1 / 32, 0]])
    d = np.array([2.0, 0.5])
    y = _simulate(J, np.eye(2), np.zeros(2), np.array([[1.0, 0.0]]), "tanh", lambda t: np.ones(2), np.zeros(2),
                  t_end=40, steps=8000)[-1, 0]
    yt = _simulate(J * d[None, :] / d[:, None], np.diag(1 / d), np.zeros(2), np.array([[2.0, 0.0]]), "tanh",
                   lambda t: np.ones(2), np.zeros(2), t_end=40, steps=8000)[-1, 0]
    ref = kl.check_io_refutation("tanh", 2, w["J"], w["u"], w["c"], w["d"], tuple(w["centers"]), w["radius"],
                                 preconditioners=_io_preconditioners("tanh", w))
    assert ref.original[0] <= F(y) + F(1, 10**4) and F(y) - F(1, 10**4) <= ref.original[1]
    assert ref.balanced[0] <= F(yt) + F(1, 10**4) and F(yt) - F(1, 10**4) <= ref.balanced[1]
    assert y - yt > 0.1
    path = _balance_flow(J, 2.0, np.ones((2, 2)), 1.0, t_end=200.0, steps=20000)
    assert np.allclose(path[-1], J * d[None, :] / d[:, None], atol=1e-6)       # the flow reaches D^-1 J D
    bad = [dict(w, centers=[w["centers"][0], w["centers"][0]]),                # a wrong box
           dict(w, d=["4", "1/4"]),                                            # not the balanced state
           dict(w, d=["1", "1/4"]),                                            # prod d != 1 (sum h not 0)
           dict(w, J=[["0", "3"], ["3/16", "0"]], d=["2", "1/2"])]             # not a contraction
    for b in bad:
        with pytest.raises(KernelError):
            kl.check_io_refutation("tanh", 2, b["J"], b["u"], b["c"], b["d"], tuple(b["centers"]), b["radius"],
                                   preconditioners=_io_preconditioners("tanh", w))
    with pytest.raises(KernelError):
        kl.check_io_map("tanh")


def _flow(text):
    from certify.lang.parse import Symbols, parse_weight_flow
    return parse_weight_flow(text, Symbols(parameters=frozenset({"tau"}), matrices=frozenset())).expr


def test_kernel_rejects_flows_that_are_not_balancing_flows():
    tau = sp.Symbol("tau", real=True)
    good = _flow("(W*diag(g) - diag(g)*W)/tau")
    assert kl.check_lax_flow(good, {}, "g", tau, POSITIVE).law == "lax-flow"
    for bad in ("(W*diag(g) + diag(g)*W)/tau", "W*diag(g) - diag(g)*W", "(W*diag(g) - diag(g)*W.T)/tau",
                "(W*diag(r) - diag(r)*W)/tau"):
        with pytest.raises(KernelError):
            kl.check_lax_flow(_flow(bad), {}, "g", tau, POSITIVE)
    with pytest.raises(KernelError):
        kl.check_lax_flow(good, {}, "g", tau, Interval(F(0), float("inf")))   # tau may be 0
    with pytest.raises(KernelError):
        kl.check_cost_descent(Interval.point(0), POSITIVE)
    with pytest.raises(KernelError):
        g = sp.MatrixSymbol("g", n, 1)
        kl.check_cost_descent(Interval.point(2), POSITIVE, derived=(g.T * g))   # wrong sign


# -- energy of Krotov–Hopfield networks --------------------------------------------------------------

def _energy_parts(lagrangian):
    if lagrangian == "relu":
        return (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float), lambda x: 0.5 * np.maximum(x, 0) ** 2)
    if lagrangian == "logcosh":
        return np.tanh, lambda x: 1 - np.tanh(x) ** 2, lambda x: np.log(np.cosh(x))
    if lagrangian == "softplus":
        s = lambda x: 1 / (1 + np.exp(-x))   # noqa: E731
        return s, lambda x: s(x) * (1 - s(x)), lambda x: np.log1p(np.exp(x))
    return (lambda x: x), (lambda x: np.ones_like(x)), (lambda x: x ** 2 / 2)


@settings(deadline=None)
@given(square_matrices(n_min=2, n_max=5, elements=st.floats(-2, 2)), st.integers(0, 10**6),
       st.sampled_from(["relu", "logcosh", "softplus", "quadratic"]), st.booleans())
def test_energy_never_increases_and_its_rate_is_the_kernels(A, seed, lagrangian, diagonal_T):
    rng = np.random.default_rng(seed)
    size = len(A)
    W = (A + A.T) / 2
    if lagrangian == "quadratic":
        W = W - (np.linalg.eigvalsh(W).max() + 0.5) * np.eye(size) * (np.linalg.eigvalsh(W).max() > 0.5)
    b = rng.normal(size=size)
    T = rng.uniform(0.5, 2.0, size=size) if diagonal_T else np.full(size, 1.3)
    g, gp, ell = _energy_parts(lagrangian)

    def E(x):
        return (x - b) @ g(x) - ell(x).sum() - 0.5 * g(x) @ W @ g(x)

    def f(x):
        return (W @ g(x) - x + b) / T
    x, h = rng.normal(size=size) * 2, 1e-3
    energies = [E(x)]
    for step in range(1500):
        v = f(x)
        if step % 300 == 7:                           # dE/dt = -v^T T H v, by a central difference
            rate = -(v * T * gp(x)) @ v
            fd = (E(x + 1e-6 * v) - E(x - 1e-6 * v)) / 2e-6
            if lagrangian != "relu" or np.all(np.abs(x) > 1e-3):
                assert abs(fd - rate) <= 1e-5 * (1 + abs(rate))
            assert rate <= 0
        k1 = f(x)
        k2 = f(x + h / 2 * k1)
        k3 = f(x + h / 2 * k2)
        k4 = f(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        energies.append(E(x))
    assert all(e1 <= e0 + 1e-9 * (1 + abs(e0)) for e0, e1 in zip(energies, energies[1:]))
    cert = kl.check_energy_descent(lagrangian, _energy_expr(), "diagonal" if diagonal_T else "scalar", ZERO, {})
    assert cert.law == "energy-descent"


def _energy_expr(coeff=sp.Rational(1, 2), symmetric_term=True):
    x, b, g = (sp.MatrixSymbol(k, n, 1) for k in ("x", "b", "g"))
    W, L = sp.MatrixSymbol("W", n, n), sp.MatrixSymbol("L", 1, 1)
    return (x - b).T * g - L - coeff * (g.T * W * g if symmetric_term else g.T * W * x)


def test_kernel_rejects_wrong_energies():
    for bad in (_energy_expr(coeff=1), _energy_expr(symmetric_term=False)):
        with pytest.raises(KernelError):
            kl.check_energy_descent("relu", bad, "scalar", ZERO, {})
    with pytest.raises(KernelError):
        kl.check_energy_descent("sigmoid-of-doom", _energy_expr(), "scalar", ZERO, {})
    # the identity needs W symmetric: without that declaration the chain rule gives a different form
    nz = alg.Normalizer({"H": "diagonal"}, scalars=frozenset({"L"}))
    E = nz.nf(_energy_expr())
    v = _leaf("v", "vector")
    dE = forms.scalar_form(nz, forms.derivative(nz, E, {"x": v, "g": alg.nf_mul(_leaf("H", "matrix"), v),
                                                     "L": alg.nf_mul(nz.transpose(_leaf("g", "vector")), v)}))
    W, H = _leaf("W", "W"), _leaf("H", "matrix")
    g, x, b = (_leaf(k, "vector") for k in "gxb")
    residual = alg.nf_add(alg.nf_add(x, alg.nf_scale(b, -1)), alg.nf_scale(alg.nf_mul(W, g), -1))
    target = alg.nf_mul(alg.nf_mul(nz.transpose(residual), H), v)
    assert not alg.nf_equal(dE, forms.scalar_form(nz, target))


# -- rule files -------------------------------------------------------------------------------------

BALANCING = '''
[rule]
name = "b"
dW = "(W*diag(g) - diag(g)*W)/tau"
[parameters]
tau = "> 0"
'''


@pytest.mark.parametrize("extra, symbol, fragment", [
    ("[expect.balancing]\nspectrum = \"certified\"\n", "balancing", "without a [balancing] table"),
    ("[balancing]\np = 2\n[expect.balancing]\nspectra = \"certified\"\n", "spectra", "bad expectation"),
    ("[balancing]\np = -1\n", "p", "must be a number > 0"),
    ("[balancing]\ntau = \"sigma\"\n", "sigma", "not a declared parameter"),
    ("[balancing]\nactivation = \"tan\"\n", "tan", "unknown activation"),
    ("[energy]\nlagrangian = \"quartic\"\n", "quartic", "unknown lagrangian"),
])
def test_bad_law_tables_name_the_symbol(tmp_path, extra, symbol, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(BALANCING + extra)
    with pytest.raises(InputError) as err:
        Rule.from_file(path)
    assert err.value.symbol == symbol and fragment in str(err.value) and err.value.line is not None


def test_energy_lagrangian_must_match_the_activation(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text('[rule]\ndW = "0"\n[network]\nactivation = "tanh"\n[energy]\nlagrangian = "relu"\n')
    with pytest.raises(InputError) as err:
        check_rule(Rule.from_file(path))
    assert err.value.symbol == "lagrangian" and "logcosh -> tanh" in err.value.hint


def test_energy_of_a_nonsymmetric_W0_is_not_certified(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text('[rule]\ndW = "0"\n[network]\nactivation = "relu"\nW0 = [[0, 1], [0, 0]]\n'
                    '[energy]\nlagrangian = "relu"\n')
    rep = check_rule(Rule.from_file(path), measure="l2", bound="nonincreasing")
    (law,) = rep.laws[0].results
    assert law.verdict is Verdict.INCONCLUSIVE and "not symmetric" in law.reason


def test_catalog_balancing_rules_decide_every_law():
    rep = check_rule(Rule.from_file("rules/synaptic-balancing.toml"), expectations=True)
    got = {r.law: r.verdict for r in rep.laws[0].results}
    assert set(got.values()) == {Verdict.CERTIFIED} and len(got) == 7 and not rep.mismatches
    tanh = check_rule(Rule.from_file("rules/synaptic-balancing-tanh.toml"), expectations=True)
    io = next(r for r in tanh.laws[0].results if r.law == "io-map")
    assert io.verdict is Verdict.REFUTED and "D = diag(2, 1/2)" in io.reason and not tanh.mismatches
    derivation = dict(rep.laws[0].derivation)
    assert "(g[i] - g[j])" in derivation["weight flow"] and "|g|^2" in derivation["cost flow"]


# -- certificates -------------------------------------------------------------------------------------

def _tampered(name, edit):
    import copy
    import json
    from pathlib import Path

    from certify.output import certificate
    doc = json.loads(Path(f"proofs/{name}.json").read_text())
    doc = copy.deepcopy(doc)
    edit(doc)
    doc["seal"] = certificate.seal(doc)
    assert not certificate.schema_errors(doc)
    return certificate.verify_document(doc, Path("proofs"))


def _law(doc, law):
    return next(d for d in doc["laws"] if d["law"] == law)


def test_law_certificates_verify_and_reject_every_edit():
    assert _tampered("synaptic-balancing-tanh", lambda d: None).status == "verified"
    assert _tampered("dense-memory-energy", lambda d: None).status == "verified"
    edits = {
        "verdict": lambda d: _law(d, "spectrum").update(verdict="refuted"),
        "statement": lambda d: _law(d, "spectrum").update(statement="the spectrum is constant"),
        "steps": lambda d: _law(d, "cost-descent")["steps"].pop(),
        "witness": lambda d: _law(d, "io-map")["witness"].update(u=["1", "2"]),
        "missing": lambda d: d["laws"].pop(0),
    }
    for what, edit in edits.items():
        res = _tampered("synaptic-balancing-tanh", edit)
        text = "; ".join(res.file_problems)
        assert res.status == "failed", what
        assert "laws" in text or "overall verdict" in text, (what, text)
    res = _tampered("dense-memory-energy", lambda d: _law(d, "descent").update(reason="flat"))
    assert res.status == "failed" and "laws.energy.descent.reason" in "; ".join(res.file_problems)


@settings(deadline=None)
@given(square_matrices(n_min=2, n_max=5, elements=st.integers(-8, 8).map(lambda k: k / 4)), st.integers(0, 10**6),
       st.sampled_from(["relu", "logcosh"]))
def test_strict_lyapunov_function_decreases_at_the_certified_rate(A, seed, lagrangian):
    """V = E + (kappa/2)|x'|^2 with the kernel's constants: along simulations, V(t+h) - V(t) <= -delta int |x'|^2,
    and the kernel refuses a kappa that breaks its bound."""
    rng = np.random.default_rng(seed)
    Wf = (A + A.T) / 2
    W = [[F(float(x)) for x in row] for row in Wf]
    size = len(W)
    b = rng.normal(size=size)
    w2 = sum(x * x for row in W for x in row)
    if w2 == 0:
        return
    kappa, delta = 2 / w2, 1 / w2
    descent = kl.check_energy_descent(lagrangian, _energy_expr(), "scalar", ZERO, {})
    cert = kl.check_strict_lyapunov(descent, lagrangian, W, 1, kappa, delta)
    assert cert.law == "strict-lyapunov"
    with pytest.raises(KernelError):
        kl.check_strict_lyapunov(descent, lagrangian, W, 1, 3 * kappa, delta)
    g, _, ell = _energy_parts(lagrangian)

    def f(x):
        return Wf @ g(x) - x + b

    def V(x):
        v = f(x)
        return (x - b) @ g(x) - ell(x).sum() - 0.5 * g(x) @ Wf @ g(x) + float(kappa) / 2 * v @ v
    x, h = rng.normal(size=size) * 2, 1e-3
    for _ in range(1500):
        k1 = f(x)
        k2 = f(x + h / 2 * k1)
        k3 = f(x + h / 2 * k2)
        k4 = f(x + h * k3)
        x_new = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        speed2 = (k1 @ k1 + 2 * (k2 @ k2 + k3 @ k3) + f(x_new) @ f(x_new)) / 6   # Simpson: mean of |x'|^2
        assert V(x_new) - V(x) <= -float(delta) * h * speed2 * 0.9 + 1e-9 * (1 + abs(V(x)))
        x = x_new


# -- regressions from the kernel review ---------------------------------------------------------------

def test_energy_laws_need_fixed_weights(tmp_path):
    """A changing W adds -g^T W' g / 2 to dE/dt: with dW = 5 W the kernel must not certify descent (E rises)."""
    path = tmp_path / "plastic.toml"
    path.write_text('[rule]\ndW = "5*W"\n[network]\nactivation = "relu"\nW0 = [[0, -1], [-1, 0]]\nbias = [1, 1]\n'
                    '[energy]\nlagrangian = "relu"\n')
    rep = check_rule(Rule.from_file(path), measure="l2", bound="nonincreasing")
    verdicts = {r.law: r.verdict for r in rep.laws[0].results}
    assert verdicts == {"descent": Verdict.INCONCLUSIVE, "strict-lyapunov": Verdict.INCONCLUSIVE}
    with pytest.raises(KernelError, match="fixed weights"):
        kl.check_energy_descent("relu", _energy_expr(), "scalar", 5 * sp.MatrixSymbol("W", n, n), {})


def test_balancing_io_law_follows_the_network_activation(tmp_path):
    path = tmp_path / "b.toml"
    path.write_text(BALANCING + '[network]\nactivation = "tanh"\n[balancing]\np = 2\n')
    rep = check_rule(Rule.from_file(path), expectations=True)
    io = next(r for r in rep.laws[0].results if r.law == "io-map")
    assert io.verdict is Verdict.REFUTED
    path.write_text(BALANCING + '[network]\nactivation = "tanh"\n[balancing]\nactivation = "relu"\n')
    with pytest.raises(InputError) as err:
        Rule.from_file(path)
    assert err.value.symbol == "relu" and "network's activation is tanh" in str(err.value)


def test_no_property_of_W_is_trusted_outside_the_energy_checks():
    with pytest.raises(KernelError):
        alg.Normalizer({"W": "symmetric"})
    tau = sp.Symbol("tau", real=True)
    flow = _flow("(W*diag(g) - diag(g)*W)/tau")
    with pytest.raises(KernelError):
        kl.check_lax_flow(flow, {"W": "symmetric"}, "g", tau, POSITIVE)


def test_law_certificates_are_tied_to_their_flow():
    tau = sp.Symbol("tau", real=True)
    lax = kl.check_lax_flow(_flow("(W*diag(g) - diag(g)*W)/tau"), {}, "g", tau, POSITIVE)
    other = _flow("-W/tau")
    with pytest.raises(KernelError):
        kl.check_spectrum(other, {}, lax)
    with pytest.raises(KernelError):
        kl.check_entrywise("diagonal", lax, other, {})


def test_rates_must_respect_declared_symmetry():
    nz = alg.Normalizer({"S": "symmetric", "A": "any"})
    A = {(("leaf", "A", "matrix", False),): sp.Integer(1)}
    word = {(("leaf", "S", "matrix", False), ("leaf", "S", "matrix", False)): sp.Integer(1)}
    with pytest.raises(KernelError):
        forms.derivative(nz, word, {"S": A})               # a symmetric leaf cannot move along a general matrix
    with pytest.raises(KernelError):
        forms.substitute(nz, word, {"S": A})
    sym = alg.nf_add(A, nz.transpose(A))
    assert forms.derivative(nz, word, {"S": sym})          # A + A^T is symmetric: accepted
