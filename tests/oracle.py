"""An oracle for certify's verdicts that shares no code with the kernel (numpy / scipy only).

Hypothesis strategies (all `@st.composite`, constructing valid inputs, never filtering) build rule files from a
small grammar of weight-flow terms, each carrying its own NumPy evaluator; the oracle integrates the flow and the
network with SciPy and checks what the kernel said:

* a CERTIFIED flow bound (nonincreasing / bounded) against mu(W(t)) along simulated trajectories,
* a CERTIFIED contraction against simulated pairs of trajectories and sampled Jacobians,
* a REFUTED verdict by re-evaluating its witness in floats.

Nothing here imports certify's measures, simulation, parser or kernel: matrix measures, norms, the flow, the
activations and the networks are written out again below. The certificate's gamma / beta (SymPy expressions) are
only evaluated at the sampled parameter values.

Every check returns a list of human-readable violations (empty: the oracle agrees with the verdict).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

INF = math.inf
FINDINGS = Path(os.environ.get("ORACLE_FINDINGS", "/tmp/oracle_findings"))

# ---------------------------------------------------------------------------------------------------
# matrix measures and norms, written out from their definitions (docs/theory.md section 1: mu(A) = lim (||I + hA|| - 1)/h)

def exact_positive_definite(rows) -> bool:
    """Whether a symmetric matrix of exact numbers is positive definite: Gaussian elimination in Fractions, every pivot
    > 0 (Sylvester's criterion through the pivots). Written here, apart from the kernel's exact LDL^T."""
    A = [[Fraction(x) for x in row] for row in rows]
    n = len(A)
    for k in range(n):
        if A[k][k] <= 0:
            return False
        for i in range(k + 1, n):
            f = A[i][k] / A[k][k]
            if f:
                for j in range(k, n):
                    A[i][j] -= f * A[k][j]
    return True



def mu(A: np.ndarray, norm: str, eta: np.ndarray | None = None) -> float:
    """mu_1 = max_j (a_jj + sum_{i != j} |a_ij|), mu_inf the same on rows, mu_2 = lambda_max((A + A^T)/2).
    With weights eta: |x|_{1,eta} = sum eta_i |x_i| and |x|_{inf,eta} = max |x_i| / eta_i, i.e. mu_1 of
    E A E^-1 and mu_inf of E^-1 A E (E = diag(eta))."""
    A = np.asarray(A, dtype=float)
    if eta is not None:
        e = np.asarray(eta, dtype=float)
        A = (e[:, None] * A / e[None, :]) if norm == "l1" else (A * e[None, :] / e[:, None])
    if norm == "l2":
        return float(np.linalg.eigvalsh((A + A.T) / 2).max())
    B = A if norm == "linf" else A.T
    off = np.abs(B).sum(axis=1) - np.abs(np.diag(B))
    return float((np.diag(B) + off).max())


def mu_metric(A: np.ndarray, P: np.ndarray) -> float:
    """mu of A in the norm sqrt(x^T P x): lambda_max of L^-1 (P A + A^T P)/2 L^-T, P = L L^T."""
    L = np.linalg.cholesky(P)
    Li = np.linalg.inv(L)
    S = Li @ ((P @ A + A.T @ P) / 2) @ Li.T
    return float(np.linalg.eigvalsh((S + S.T) / 2).max())


def induced_norm(A: np.ndarray, norm: str) -> float:
    if norm == "l2":
        return float(np.linalg.svd(A, compute_uv=False).max())
    axis = 0 if norm == "l1" else 1
    return float(np.abs(A).sum(axis=axis).max())


def vec_norm(x: np.ndarray, norm: str, eta=None, P=None) -> float:
    if P is not None:
        return float(np.sqrt(max(x @ P @ x, 0.0)))
    if eta is not None:
        return float(np.sum(eta * np.abs(x))) if norm == "l1" else float(np.max(np.abs(x) / eta))
    return float({"l1": np.sum(np.abs(x)), "l2": np.linalg.norm(x), "linf": np.max(np.abs(x))}[norm])


def metzler(A: np.ndarray) -> np.ndarray:
    M = np.abs(A)
    np.fill_diagonal(M, np.diag(A))
    return M


# ---------------------------------------------------------------------------------------------------
# ranges


@dataclass(frozen=True)
class Range:
    lo: float
    hi: float
    lo_closed: bool
    hi_closed: bool
    toml: str            # the TOML value as written in the file

    def contains(self, x: float) -> bool:
        return ((x > self.lo or (self.lo_closed and x == self.lo)) and
                (x < self.hi or (self.hi_closed and x == self.hi)))

    def sample(self, rng: np.random.Generator, window: float = 3.0) -> float:
        """An admissible value: a closed endpoint, a point just inside an open end, or an interior point
        (infinite ends are cut at `window` beyond the finite end / around 0)."""
        lo = self.lo if self.lo > -INF else (min(self.hi, 0.0) - window if self.hi < INF else -window)
        hi = self.hi if self.hi < INF else (max(self.lo, 0.0) + window if self.lo > -INF else window)
        if lo == hi:
            return lo
        choices = ["interior"] * 3
        if self.lo > -INF:
            choices.append("lo")
        if self.hi < INF:
            choices.append("hi")
        pick = choices[rng.integers(len(choices))]
        if pick == "lo":
            return lo if self.lo_closed else lo + 1e-6 * (hi - lo)
        if pick == "hi":
            return hi if self.hi_closed else hi - 1e-6 * (hi - lo)
        x = float(rng.uniform(lo, hi))
        return x if self.contains(x) else (lo + hi) / 2


NUMS = [Fraction(x) for x in ("-2", "-3/2", "-1", "-1/2", "-1/4", "0", "1/4", "1/2", "1", "3/2", "2", "3")]


def _fs(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


POSITIVE_RANGES = [Range(0, INF, False, False, '"> 0"'), Range(0, INF, True, False, '">= 0"'),
                   Range(0.5, 2, True, True, "[0.5, 2.0]"), Range(0, 1, False, True, '"(0, 1]"'),
                   Range(1, 1, True, True, "1"), Range(0, 2, True, True, "[0, 2]"),
                   Range(0.25, INF, True, False, '">= 1/4"')]


@st.composite
def param_ranges(draw, positive_bias: bool = False) -> Range:
    """Every sign pattern: > 0, >= 0, <= 0, < 0, relations at other numbers, closed lists crossing zero or not,
    half-open and open brackets, zero-width [a, a], a single number, 'real'. With positive_bias, half of the
    draws come from the nonnegative ranges that make rules certifiable (so that CERTIFIED verdicts get checked)."""
    if positive_bias and draw(st.booleans()):
        return draw(st.sampled_from(POSITIVE_RANGES))
    kind = draw(st.sampled_from(["rel", "rel0", "list", "bracket", "point", "single", "real"]))
    if kind in ("rel", "rel0"):
        op = draw(st.sampled_from([">", ">=", "<", "<="]))
        a = Fraction(0) if kind == "rel0" else draw(st.sampled_from(NUMS))
        lo, hi = (float(a), INF) if op[0] == ">" else (-INF, float(a))
        closed = op.endswith("=")
        return Range(lo, hi, closed if op[0] == ">" else False, closed if op[0] == "<" else False,
                     f'"{op} {_fs(a)}"')
    if kind in ("list", "bracket"):
        a = draw(st.sampled_from(NUMS[:-1]))
        b = draw(st.sampled_from([q for q in NUMS if q > a]))
        if kind == "list":
            return Range(float(a), float(b), True, True, f"[{float(a)}, {float(b)}]")
        lc, hc = draw(st.booleans()), draw(st.booleans())
        return Range(float(a), float(b), lc, hc, f'"{"[" if lc else "("}{_fs(a)}, {_fs(b)}{"]" if hc else ")"}"')
    a = draw(st.sampled_from(NUMS))
    if kind == "point":
        return Range(float(a), float(a), True, True, f"[{float(a)}, {float(a)}]")
    if kind == "single":
        return Range(float(a), float(a), True, True, draw(st.sampled_from([f'"{_fs(a)}"', repr(float(a))])))
    return Range(-INF, INF, False, False, '"real"')


ACTIVITY_RANGES = [
    Range(-1, 1, True, True, "[-1, 1]"), Range(0, 1, True, True, "[0, 1]"),
    Range(0.5, 1, True, True, "[0.5, 1]"), Range(-2, 1, True, True, "[-2, 1]"),
    Range(-1, 0, True, True, "[-1, 0]"), Range(1, 1, True, True, "[1, 1]"),
]
UNBOUNDED = Range(-INF, INF, False, False, "")


@st.composite
def activity_ranges(draw) -> Range:
    """Componentwise activity bounds (r = [-1, 1] etc.); UNBOUNDED means the name is not declared."""
    return draw(st.sampled_from(ACTIVITY_RANGES + [UNBOUNDED]))


# ---------------------------------------------------------------------------------------------------
# the weight-flow grammar: each term is (text, NumPy evaluator)

Env = dict  # name -> value: parameters (float), activity vectors (n,), matrices (n, n)


@dataclass(frozen=True)
class Term:
    text: str
    fn: Callable[[np.ndarray, Env], np.ndarray]
    vectors: tuple[str, ...] = ()
    matrices: tuple[tuple[str, str], ...] = ()   # (name, property)
    kind: str = ""


def _coef(c: str) -> Callable[[Env], float]:
    """A coefficient: a parameter name or an exact number (the text is what the rule file says)."""
    try:
        val = float(Fraction(c))
        return lambda env: val
    except ValueError:
        return lambda env: env[c]


def _diag(v):
    return np.diag(v)


TERM_KINDS = ("decay", "outer", "outer2", "skew", "diag", "ident", "ldiag", "ldiag2", "rdiag", "rgram",
              "lgram", "tanh", "schur", "lax", "delta", "outer_tanh")


def make_term(kind: str, sign: str, c: str, u: str, v: str, K: str = "K", Kprop: str = "psd") -> Term:
    from dataclasses import replace
    return replace(_make_term(kind, sign, c, u, v, K, Kprop), kind=kind)


def _make_term(kind: str, sign: str, c: str, u: str, v: str, K: str = "K", Kprop: str = "psd") -> Term:
    s = -1.0 if sign == "-" else 1.0
    cf = _coef(c)
    pre = f"{sign}{c}*"

    def k(env):
        return s * cf(env)

    if kind == "decay":
        return Term(pre + "W", lambda W, e: k(e) * W)
    if kind == "outer":
        return Term(pre + f"{u}*{u}.T", lambda W, e: k(e) * np.outer(e[u], e[u]), (u,))
    if kind == "outer2":
        return Term(pre + f"{u}*{v}.T", lambda W, e: k(e) * np.outer(e[u], e[v]), (u, v))
    if kind == "skew":
        return Term(pre + f"({u}*{v}.T - {v}*{u}.T)",
                    lambda W, e: k(e) * (np.outer(e[u], e[v]) - np.outer(e[v], e[u])), (u, v))
    if kind == "diag":
        return Term(pre + f"diag({u})", lambda W, e: k(e) * _diag(e[u]), (u,))
    if kind == "ident":
        return Term(pre + "I", lambda W, e: k(e) * np.eye(W.shape[0]))
    if kind == "ldiag":
        return Term(pre + f"diag({u})*W", lambda W, e: k(e) * _diag(e[u]) @ W, (u,))
    if kind == "ldiag2":
        return Term(pre + f"diag(hadamard({u}, {u}))*W", lambda W, e: k(e) * _diag(e[u] * e[u]) @ W, (u,))
    if kind == "rdiag":
        return Term(pre + f"W*diag({u})", lambda W, e: k(e) * W @ _diag(e[u]), (u,))
    if kind == "rgram":
        return Term(pre + f"W*{u}*{u}.T", lambda W, e: k(e) * W @ np.outer(e[u], e[u]), (u,))
    if kind == "lgram":
        return Term(pre + f"{u}*{u}.T*W", lambda W, e: k(e) * np.outer(e[u], e[u]) @ W, (u,))
    if kind == "tanh":
        return Term(pre + f"tanh({u})*tanh({u}).T", lambda W, e: k(e) * np.outer(np.tanh(e[u]), np.tanh(e[u])),
                    (u,))
    if kind == "outer_tanh":
        return Term(pre + f"{u}*tanh({v}).T", lambda W, e: k(e) * np.outer(e[u], np.tanh(e[v])), (u, v))
    if kind == "schur":
        return Term(pre + f"hadamard({K}, {u}*{u}.T)", lambda W, e: k(e) * e[K] * np.outer(e[u], e[u]), (u,),
                    ((K, Kprop),))
    if kind == "lax":
        return Term(pre + f"(W*diag({u}) - diag({u})*W)", lambda W, e: k(e) * (W @ _diag(e[u]) - _diag(e[u]) @ W),
                    (u,))
    if kind == "delta":   # gradient / delta rule: -eta (W r - y) r^T
        return Term(pre + f"(W*{u} - {v})*{u}.T", lambda W, e: k(e) * np.outer(W @ e[u] - e[v], e[u]), (u, v))
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------------------
# a generated case


@dataclass
class NetworkSpec:
    form: str
    activation: str | None
    slope: Fraction | None            # declared slope bound g of slope = [0, g]
    W0: list[list[Fraction]]
    bias: list[Fraction] | None = None

    @property
    def true_slopes(self) -> tuple[float, float]:
        """The range of phi' of the real function (closure): not the declared bound."""
        if self.activation is None:
            return 0.0, float(self.slope if self.slope is not None else 1)
        return {"tanh": (0.0, 1.0), "logistic": (0.0, 0.25), "relu": (0.0, 1.0), "leaky-relu": (0.01, 1.0),
                "softplus": (0.0, 1.0), "linear": (1.0, 1.0)}[self.activation]

    def phi(self, z: np.ndarray) -> np.ndarray:
        a = self.activation
        if a is None:   # a slope-restricted function with phi' in (0, g]: g tanh
            return float(self.slope if self.slope is not None else 1) * np.tanh(z)
        if a == "tanh":
            return np.tanh(z)
        if a == "logistic":
            return 1.0 / (1.0 + np.exp(-z))
        if a == "relu":
            return np.maximum(z, 0.0)
        if a == "leaky-relu":
            return np.where(z >= 0, z, 0.01 * z)
        if a == "softplus":
            return np.logaddexp(0.0, z)
        return z.copy()

    def dphi(self, z: np.ndarray) -> np.ndarray:
        a = self.activation
        if a is None:
            return float(self.slope if self.slope is not None else 1) * (1 - np.tanh(z) ** 2)
        if a == "tanh":
            return 1 - np.tanh(z) ** 2
        if a == "logistic":
            s = 1.0 / (1.0 + np.exp(-z))
            return s * (1 - s)
        if a == "relu":
            return (z >= 0).astype(float)
        if a == "leaky-relu":
            return np.where(z >= 0, 1.0, 0.01)
        if a == "softplus":
            return 1.0 / (1.0 + np.exp(-z))
        return np.ones_like(z)

    def field(self, W: np.ndarray, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        if self.form == "H":
            return -x + W @ self.phi(x) + u
        return -x + self.phi(W @ x + u)

    def jacobian(self, W: np.ndarray, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        n = len(x)
        if self.form == "H":
            return -np.eye(n) + W * self.dphi(x)[None, :]
        return -np.eye(n) + self.dphi(W @ x + u)[:, None] * W

    def jacobian_D(self, W: np.ndarray, d: np.ndarray) -> np.ndarray:
        n = len(d)
        return -np.eye(n) + (W * d[None, :] if self.form == "H" else d[:, None] * W)


@dataclass
class Case:
    terms: list[Term]
    params: dict[str, Range]
    activity: dict[str, Range]          # every vector in the flow (UNBOUNDED when not declared)
    matrices: dict[str, str]
    measure: str
    bound: str
    network: NetworkSpec | None = None
    seed: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def dW(self) -> str:
        out = ""
        for t in self.terms:
            txt = t.text
            if not out:
                out = txt
            elif txt.startswith("-"):
                out += " - " + txt[1:]
            else:
                out += " + " + txt
        return out or "0"

    @property
    def fixed(self) -> bool:
        return all(t.text == "0*W" for t in self.terms)

    def flow(self, W: np.ndarray, env: Env) -> np.ndarray:
        out = np.zeros_like(W)
        for t in self.terms:
            if t.text == "0*W":
                continue
            out = out + t.fn(W, env)
        return out

    def toml(self) -> str:
        lines = ["[rule]", 'name = "oracle-case"', f'dW = "{self.dW}"']
        if self.params:
            lines += ["", "[parameters]"] + [f"{k} = {r.toml}" for k, r in self.params.items()]
        bounded = {k: r for k, r in self.activity.items() if r is not UNBOUNDED and r.toml}
        if bounded:
            lines += ["", "[activity]"] + [f"{k} = {r.toml}" for k, r in bounded.items()]
        if self.matrices:
            lines += ["", "[matrices]"] + [f'{k} = "{p}"' for k, p in self.matrices.items()]
        if self.network is not None:
            net = self.network
            lines += ["", "[network]", f'form = "{net.form}"']
            if net.activation is not None:
                lines.append(f'activation = "{net.activation}"')
            if net.slope is not None:
                lines.append(f"slope = [0, {float(net.slope)!r}]")
            lines.append("W0 = [" + ", ".join("[" + ", ".join(repr(float(x)) for x in r) + "]" for r in net.W0) + "]")
            if net.bias is not None:
                lines.append("bias = [" + ", ".join(repr(float(x)) for x in net.bias) + "]")
        lines += ["", "[claim]", f'measure = "{self.measure}"', f'bound = "{self.bound}"', ""]
        return "\n".join(lines)

    # -- sampling admissible values -------------------------------------------------------------------
    def sample_params(self, rng: np.random.Generator) -> dict[str, float]:
        return {k: r.sample(rng) for k, r in self.params.items()}

    def sample_activity(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        out = {}
        for name, r in self.activity.items():
            lo, hi = (r.lo, r.hi) if r is not UNBOUNDED else (-2.0, 2.0)
            if rng.random() < 0.5:   # vertices: extremal activity is where measures grow fastest
                out[name] = rng.choice([lo, hi], size=n)
            else:
                out[name] = rng.uniform(lo, hi, size=n)
        return out

    def sample_matrices(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        out = {}
        for name, prop in self.matrices.items():
            B = rng.normal(size=(n, n))
            out[name] = {"psd": B @ B.T, "nsd": -B @ B.T, "symmetric": B + B.T, "skew": B - B.T,
                         "diagonal": np.diag(np.diag(B)), "any": B}[prop]
        return out


# ---------------------------------------------------------------------------------------------------
# strategies

PARAM_NAMES = ["gamma", "k", "eta", "a", "b", "c", "d", "e"]
VECTOR_NAMES = ["r", "y", "x"]
MEASURES = ("l1", "l2", "linf", "weighted-l1", "weighted-linf", "weighted-l2")
ACTIVATIONS = ("tanh", "logistic", "relu", "leaky-relu", "softplus", "linear")
W0_ENTRIES = [Fraction(k, 4) for k in range(-6, 7)]


@st.composite
def terms_and_params(draw, max_terms: int = 3):
    """A weight flow: 1..max_terms terms of the grammar, each with a fresh parameter (random range) or a number."""
    count = draw(st.integers(1, max_terms))
    kinds = draw(st.lists(st.sampled_from(TERM_KINDS), min_size=count, max_size=count))
    if draw(st.booleans()) and "decay" not in kinds:   # a decay term -gamma*W most of the time
        kinds = ["decay"] + kinds[:max_terms - 1]
    params: dict[str, Range] = {}
    vectors: dict[str, Range] = {}
    matrices: dict[str, str] = {}
    terms = []
    names = iter(PARAM_NAMES)
    for kind in kinds:
        if draw(st.integers(0, 3)) == 0:
            c = _fs(draw(st.sampled_from([q for q in NUMS if q > 0])))
        else:
            c = next(names)
            params[c] = draw(param_ranges(positive_bias=True))
        # decays and Gram terms are usually subtracted (-gamma*W, -k*r*r.T): bias the sign towards '-'
        sign = draw(st.sampled_from(["", "-", "-"] if kind in ("decay", "outer", "ldiag", "ldiag2", "rdiag",
                                                               "rgram", "lgram", "schur", "delta") else ["", "-"]))
        u = draw(st.sampled_from(VECTOR_NAMES))
        v = draw(st.sampled_from([x for x in VECTOR_NAMES if x != u]))
        K, Kprop = "K", draw(st.sampled_from(["psd", "nsd", "symmetric", "any"]))
        if "K" in matrices:
            Kprop = matrices["K"]
        t = make_term(kind, sign, c, u, v, K, Kprop)
        terms.append(t)
        for name, prop in t.matrices:
            matrices[name] = prop
        for vec in t.vectors:
            if vec not in vectors:
                vectors[vec] = draw(activity_ranges())
    return terms, params, vectors, matrices


@st.composite
def w0_matrices(draw, n: int) -> list[list[Fraction]]:
    kind = draw(st.sampled_from(["random", "random", "diag", "zero", "scaled-id"]))
    if kind == "zero":
        return [[Fraction(0)] * n for _ in range(n)]
    if kind == "scaled-id":
        a = draw(st.sampled_from(W0_ENTRIES))
        return [[a if i == j else Fraction(0) for j in range(n)] for i in range(n)]
    if kind == "diag":
        d = draw(st.lists(st.sampled_from(W0_ENTRIES), min_size=n, max_size=n))
        return [[d[i] if i == j else Fraction(0) for j in range(n)] for i in range(n)]
    return draw(st.lists(st.lists(st.sampled_from(W0_ENTRIES), min_size=n, max_size=n), min_size=n, max_size=n))


@st.composite
def networks(draw) -> NetworkSpec:
    """[network]: form H / FR, every activation or only slope = [0, g], W0 (n = 1..4), sometimes a bias."""
    n = draw(st.integers(1, 4))
    form = draw(st.sampled_from(["H", "FR"]))
    which = draw(st.sampled_from(["activation", "activation", "slope-only", "both"]))
    activation = None if which == "slope-only" else draw(st.sampled_from(ACTIVATIONS))
    slope = None
    if which != "activation":
        slope = draw(st.sampled_from([Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(2)]))
    bias = None
    if draw(st.integers(0, 3)) == 0:
        bias = draw(st.lists(st.sampled_from(W0_ENTRIES), min_size=n, max_size=n))
    return NetworkSpec(form, activation, slope, draw(w0_matrices(n)), bias)


@st.composite
def flow_cases(draw) -> Case:
    """A rule with a weight-flow claim (nonincreasing / bounded in some measure)."""
    terms, params, vectors, matrices = draw(terms_and_params())
    measure = draw(st.sampled_from(MEASURES))
    bound = draw(st.sampled_from(["nonincreasing", "bounded"]))
    return Case(terms, params, vectors, matrices, measure, bound, seed=draw(st.integers(0, 2**32 - 1)))


@st.composite
def network_cases(draw) -> Case:
    """A rule with a [network] table and a contracting claim: fixed W (dW = 0*W) or a plastic flow."""
    if draw(st.integers(0, 2)) == 0:
        terms, params, vectors, matrices = [make_term("decay", "", "0", "r", "y")], {}, {}, {}   # "0*W"
    else:
        terms, params, vectors, matrices = draw(terms_and_params(max_terms=2))
    net = draw(networks())
    measure = draw(st.sampled_from(("l1", "l2", "linf")))
    return Case(terms, params, vectors, matrices, measure, "contracting", network=net,
                seed=draw(st.integers(0, 2**32 - 1)))


@st.composite
def any_cases(draw) -> Case:
    return draw(st.one_of(flow_cases(), network_cases()))


# ---------------------------------------------------------------------------------------------------
# integration

# DOP853 with rtol 1e-10 / atol 1e-12: for the smooth, non-stiff flows generated here (rates <= ~100 per unit
# time over t <= 4) the global error stays far below 1e-7 relative to the state size; the checks below allow
# REL_TOL = 1e-6 relative plus ABS_TOL = 1e-8 absolute, i.e. more than ten times that.
RTOL, ATOL = 1e-10, 1e-12
REL_TOL, ABS_TOL = 1e-6, 1e-8
BLOWUP = 1e6   # stop a trajectory when |W| exceeds this (checked bounds are compared before that time)


def _solution(sol, size: int):
    """(t, y) of a solve_ivp result as arrays, also when the solver stopped early (then y may be a list)."""
    t = np.asarray(sol.t, dtype=float)
    y = np.asarray(sol.y, dtype=float).reshape(size, len(t)) if len(t) else np.zeros((size, 0))
    return t, y


def _segments(t_end: float, pieces: int):
    edges = np.linspace(0.0, t_end, pieces + 1)
    return list(zip(edges[:-1], edges[1:]))


def integrate_flow(case: Case, W0: np.ndarray, params: dict, mats: dict, acts: list, t_end: float,
                   points: int = 15, score=None):
    """W(t) on a grid, activity piecewise constant (acts[i] on the i-th of len(acts) equal segments).
    Returns (times, list of W) up to t_end or until |W| > BLOWUP. Adversarial mode: acts[i] may be a list of
    candidate activities; the one maximising score(t, W) at the end of the segment is kept (greedy)."""
    n = W0.shape[0]
    times, Ws = [0.0], [W0.copy()]
    W = W0.copy()
    for (a, b), act in zip(_segments(t_end, len(acts)), acts):
        if isinstance(act, list):
            best = None
            for cand in act:
                _, Wc = integrate_flow(case, W, params, mats, [cand], b - a, points=1)
                val = score(b, Wc[-1]) if len(Wc) == 2 and np.all(np.isfinite(Wc[-1])) else -INF
                if best is None or val > best[0]:
                    best = (val, cand)
            act = best[1]
        env = {**params, **mats, **act}

        def rhs(t, y):
            return case.flow(y.reshape(n, n), env).ravel()

        def big(t, y):
            return BLOWUP - np.abs(y).max()
        big.terminal = True
        grid = np.linspace(a, b, points + 1)[1:]
        sol = solve_ivp(rhs, (a, b), W.ravel(), method="DOP853", rtol=RTOL, atol=ATOL, t_eval=grid, events=big)
        st_, sy = _solution(sol, n * n)
        for t, y in zip(st_, sy.T):
            times.append(float(t))
            Ws.append(y.reshape(n, n))
        if sol.status != 0 or not np.all(np.isfinite(sy)) or len(st_) < len(grid):
            break
        W = sy[:, -1].reshape(n, n)
    return np.array(times), Ws


def _eval(expr, params: dict, n: int) -> float:
    """A certificate's gamma or beta (SymPy) at the sampled parameters and n; symbols matched by name."""
    subs = {s: (n if s.name == "n" else params[s.name]) for s in expr.free_symbols}
    return float(expr.subs(subs).evalf(30))


# ---------------------------------------------------------------------------------------------------
# oracle: certified flow bounds


def check_flow_certificate(case: Case, cert, rng: np.random.Generator, trials: int = 4) -> list[str]:
    """Simulate W(t) from random W0 (n = 1..4), random admissible constant parameters and random piecewise-
    constant activity; compare the certified quantity (mu, max(mu, 0), or the induced norm) with the bound."""
    issues = []
    norm = cert.norm
    for trial in range(trials):
        n = int(rng.integers(1, 5))
        params = case.sample_params(rng)
        mats = case.sample_matrices(rng, n)
        pieces = int(rng.integers(1, 6))
        adversarial = trial % 2 == 1   # every other trial: greedy worst-case activity among 5 candidates
        acts = [[case.sample_activity(rng, n) for _ in range(5)] if adversarial else case.sample_activity(rng, n)
                for _ in range(pieces)]
        kind = rng.integers(4)
        W0 = (np.zeros((n, n)) if kind == 0 else np.diag(rng.choice([-1.0, 1.0], n)) if kind == 1
              else rng.normal(size=(n, n)) * rng.choice([0.3, 1.0, 3.0]))
        t_end = float(rng.choice([0.5, 2.0, 4.0]))
        g = _eval(cert.gamma, params, n)
        beta = _eval(cert.beta, params, n)

        def q(W):
            if cert.route == "norm":
                return induced_norm(W, norm)
            m = mu(W, norm)
            return max(m, 0.0) if cert.positive_part else m

        q0 = q(W0)

        def allowed_at(t):
            e = math.exp(-g * t)
            if case.bound == "nonincreasing":
                return e * q0
            b = max(beta, 0.0) if cert.positive_part else beta
            return e * q0 + ((1 - e) * b / g if g != 0 else t * b)

        times, Ws = integrate_flow(case, W0, params, mats, acts, t_end,
                                   score=lambda t, W: q(W) - allowed_at(t))
        for t, W in zip(times, Ws):
            allowed = allowed_at(t)
            value = q(W)
            scale = 1.0 + np.abs(W).max() + abs(allowed)
            if value > allowed + REL_TOL * scale + ABS_TOL:   # integrator error, see RTOL / REL_TOL above
                issues.append(f"{case.bound} {norm}: at t = {t:.4g}, n = {n}, params {params}, "
                              f"{'||W||' if cert.route == 'norm' else 'mu'} = {value:.10g} > certified "
                              f"{allowed:.10g} (gamma = {g:.6g}, beta = {beta:.6g}, W0 = {W0.tolist()}, "
                              f"activity segments {len(acts)})")
                break
        if issues:
            break
    return issues


def flow_bound_violation(case: Case, gamma: float, beta: float, norm: str, route: str, positive_part: bool,
                         rng: np.random.Generator, trials: int = 4) -> list[str]:
    """The same check for a bound given by numbers (used by the self-test with a deliberately false bound)."""
    import sympy as sp

    class Fake:
        pass
    f = Fake()
    f.gamma, f.beta, f.norm, f.route, f.positive_part = sp.Float(gamma), sp.Float(beta), norm, route, positive_part
    return check_flow_certificate(case, f, rng, trials)


# ---------------------------------------------------------------------------------------------------
# oracle: refuted flow claims (re-check the witness in floats)


def check_flow_refutation(case: Case, ref) -> list[str]:
    w = ref.witness
    issues = []
    n = w.n
    params = {k: float(v) for k, v in w.parameters.items()}
    for k, r in case.params.items():
        if k not in w.parameters or not r.contains(float(w.parameters[k])):
            issues.append(f"witness parameter {k} = {w.parameters.get(k)} not in declared range {r.toml}")
    acts = {k: np.array([float(x) for x in v]) for k, v in w.activity.items()}
    fill = np.random.default_rng(1)
    for k, r in case.activity.items():
        if k not in acts:
            # the kernel evaluates W'(0) from the normal form of dW, so a vector the witness leaves out cancels
            # from dW (e.g. y x^T - y x^T); the float re-evaluation below must then hold for any admissible value
            acts[k] = np.array([r.sample(fill) for _ in range(n)])
        elif r is not UNBOUNDED and not all(r.contains(x) for x in acts[k]):
            issues.append(f"witness activity {k} = {acts[k]} outside {r.toml}")
    mats = {k: np.array([[float(x) for x in row] for row in v]) for k, v in w.matrices.items()}
    for k, prop in case.matrices.items():
        K = mats.get(k)
        if K is None:
            issues.append(f"witness gives no matrix {k}")
            continue
        ev = np.linalg.eigvalsh((K + K.T) / 2)
        ok = {"psd": np.allclose(K, K.T) and ev.min() >= -1e-12, "nsd": np.allclose(K, K.T) and ev.max() <= 1e-12,
              "symmetric": np.allclose(K, K.T), "any": True}[prop]
        if not ok:
            issues.append(f"witness matrix {k} is not {prop}")
    if issues:
        return issues
    W0 = np.array([[float(x) for x in row] for row in w.W0])
    env = {**params, **acts, **mats}
    Wd = case.flow(W0, env)
    norm = w.claim.measure.removeprefix("weighted-")
    weighted = w.claim.measure.startswith("weighted-")
    gamma = -_decay_coefficient(case, env, n)
    # claim's allowance: nonincreasing: D+ mu <= -gamma mu(W0); bounded (growth witness): mu stays bounded
    if w.kind == "growth":
        Wr = np.random.default_rng(0).normal(size=(n, n))
        if not np.allclose(case.flow(Wr, env), Wd, atol=1e-12):
            issues.append("growth witness: the flow depends on W at the witness")
        if weighted:
            grow = (np.linalg.eigvals(metzler(Wd)).real.max() if norm != "l2"
                    else max([ev.real for ev in np.linalg.eigvals(Wd) if abs(ev.imag) < 1e-12] + [-INF]))
        else:
            grow = mu(Wd, norm)
        # 1e-12: rounding of a float eigenvalue / measure of a small rational matrix
        if not grow > 1e-12:
            issues.append(f"growth witness: W'(0) = {Wd.tolist()} gives growth rate {grow} <= 0")
        return issues
    if weighted:
        if np.abs(W0).max() != 0:
            issues.append("weighted witness with W0 != 0")
        if norm != "l2":
            lower = np.linalg.eigvals(metzler(Wd)).real.max()   # every weighted mu_1/mu_inf(Wd) >= alpha(|Wd|)
        else:
            lower = max([ev.real for ev in np.linalg.eigvals(Wd) if abs(ev.imag) < 1e-12] + [-INF])
        if not lower > 1e-12:   # 1e-12: float eigenvalue rounding for small rational matrices
            issues.append(f"weighted witness: spectral bound {lower} of W'(0) = {Wd.tolist()} is not > 0")
        return issues
    # plain measure: along the actual flow with constant witness activity, mu(W(h)) > e^{-gamma h} mu(W0)
    m0 = mu(W0, norm)
    violated, rates = False, []
    for h in (1e-2, 1e-3, 1e-4, 1e-5):
        Wh = _rk4(case, W0, env, h, 20)
        rate = (mu(Wh, norm) - math.exp(-gamma * h) * m0) / h
        rates.append(rate)
        # rounding in mu(W(h)) is ~1e-15 |W|, i.e. <= 1e-10 |W| after dividing by h >= 1e-5; RK4's error is
        # O(h^5) per step: a margin of 1e-8 (1 + |W0|) is above both
        if rate > 1e-8 * (1 + np.abs(W0).max()):
            violated = True
    if not violated:
        issues.append(f"derivative witness: (mu(W(h)) - e^(-gamma h) mu(W0))/h = {rates} shows no growth "
                      f"(kernel lower bound {ref.lower}, allowed {ref.allowed})")
    elif float(ref.lower) > max(rates) + 1e-3 * (1 + abs(float(ref.lower))) + abs(gamma * m0):
        # the kernel's lower bound on D+ mu must not exceed what the flow shows (up to FD error O(h))
        issues.append(f"derivative witness: kernel lower bound {ref.lower} above the float derivative {rates}")
    return issues


def _decay_coefficient(case: Case, env: Env, n: int) -> float:
    """The coefficient of the pure W term of the flow (for gamma = -coefficient)."""
    total = 0.0
    for t in case.terms:
        if t.kind == "decay":
            total += float(t.fn(np.eye(n), env)[0, 0])
    return total


def _rk4(case: Case, W: np.ndarray, env: Env, h: float, steps: int) -> np.ndarray:
    dt = h / steps
    for _ in range(steps):
        k1 = case.flow(W, env)
        k2 = case.flow(W + dt / 2 * k1, env)
        k3 = case.flow(W + dt / 2 * k2, env)
        k4 = case.flow(W + dt * k3, env)
        W = W + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return W


# ---------------------------------------------------------------------------------------------------
# oracle: contraction


def _vertices(lo: float, hi: float, n: int) -> list[np.ndarray]:
    """Slope vectors d at the vertices of [lo, hi]^n: mu(-I + W D) is convex in D, so its sup is attained there."""
    if lo == hi:
        return [np.full(n, lo)]
    return [np.array([hi if (m >> i) & 1 else lo for i in range(n)]) for m in range(2 ** n)]


@dataclass
class CertNorm:
    norm: str                 # l1 | l2 | linf
    eta: np.ndarray | None = None
    P: np.ndarray | None = None

    def mu(self, A):
        return mu_metric(A, self.P) if self.P is not None else mu(A, self.norm, self.eta)

    def size(self, x):
        return vec_norm(x, self.norm, self.eta, self.P)


def fixed_cert_norm(attempt) -> CertNorm:
    label = attempt.norm
    if label.startswith("l2 metric"):
        return CertNorm("l2", P=np.asarray(attempt.data["P"], float))
    base = "l1" if label.startswith("weighted-l1") else "linf"
    eta = np.array([float(x) for x in attempt.data["eta"]]) if isinstance(attempt.data.get("eta"), list) else None
    return CertNorm(base, eta=eta)


# mu of a Jacobian is computed from a 4x4 float matrix: rounding ~1e-15; 1e-9 leaves room for the rational ->
# float conversion of weights and P (relative 1e-16 each).
JAC_TOL = 1e-9


def check_fixed_contraction(case: Case, result, rng: np.random.Generator) -> list[str]:
    net = case.network
    best = result.best
    c = float(best.rate)
    cn = fixed_cert_norm(best)
    W = np.array([[float(x) for x in r] for r in net.W0])
    n = W.shape[0]
    issues = []
    lo, hi = net.true_slopes
    form = best.data.get("form", net.form) if net.activation == "linear" else net.form
    check_net = NetworkSpec(form, net.activation, net.slope, net.W0, net.bias)
    for d in _vertices(lo, hi, n):
        m = cn.mu(check_net.jacobian_D(W, d))
        if m > -c + JAC_TOL:
            issues.append(f"fixed {best.norm} rate {c:.6g}: mu(J) = {m:.10g} > -rate at slopes d = {d.tolist()} "
                          f"(true slope range [{lo}, {hi}] of {net.activation or 'slope-restricted phi'})")
            break
    issues += _simulate_pairs(case, lambda t: W, cn, lambda t: c, 0.0, rng, None)
    return issues


def check_plastic_contraction(case: Case, res, rng: np.random.Generator, trials: int = 3) -> list[str]:
    """W(t) follows the flow under admissible activity (the network's own state for an activity named x that
    is unbounded, tanh of it when x is bounded by [-1, 1] and phi = tanh), parameters constant."""
    net = case.network
    norm = res.claim.measure.removeprefix("weighted-")
    cn = CertNorm(norm)
    T = float(res.T)
    c_all, c_after = float(res.c_all), float(res.c_after)

    def rate(t):
        return c_all if c_all > 0 else (c_after if t >= T else None)
    issues = []
    W0 = np.array([[float(x) for x in r] for r in net.W0])
    n = W0.shape[0]
    lo, hi = net.true_slopes
    for trial in range(trials):
        params = case.sample_params(rng)
        mats = case.sample_matrices(rng, n)
        t_end = (T if c_all <= 0 else 0.0) + float(rng.choice([2.0, 5.0]))
        pieces = int(rng.integers(1, 5))
        acts = [case.sample_activity(rng, n) for _ in range(pieces)]
        issues += _simulate_pairs(case, None, cn, rate, t_end, rng, (params, mats, acts), t_end=t_end)
        # Jacobians along W(t) at random slopes (vertices of the true slope box)
        times, Ws = integrate_flow(case, W0, params, mats, acts, t_end, points=8)
        for t, W in zip(times, Ws):
            c = rate(t)
            if c is None or np.abs(W).max() >= BLOWUP:
                continue
            worst = max(cn.mu(net.jacobian_D(W, d)) for d in _vertices(lo, hi, n))
            if worst > -c + JAC_TOL * (1 + np.abs(W).max()):
                issues.append(f"plastic ({res.claim.measure} {res.claim.bound}): at t = {t:.4g} (T = {T:.6g}), "
                              f"sup_D mu(J) = {worst:.10g} > -{c:.6g}; W(t) = {W.tolist()}, params {params}")
                break
        if issues:
            break
    return issues


def _simulate_pairs(case: Case, W_of_t, cn: CertNorm, rate, t_dummy, rng, plastic, t_end: float | None = None):
    """Pairs of trajectories (nearby and far apart) under the same W(t) and input u; on every grid interval
    [s, t] where the certified rate c applies: |dx(t)| <= e^{-c (t - s)} |dx(s)| (C = 1: distances are measured
    in the certified norm itself, weights / metric included)."""
    net = case.network
    n = len(net.W0)
    u = (np.array([float(b) for b in net.bias]) if net.bias is not None else rng.uniform(-1, 1, n))
    issues = []
    if t_end is None:
        t_end = float(min(20.0, 5.0 / max(rate(0.0), 0.05)))
    for scale in (1e-2, 1.0, 3.0):
        x1 = rng.normal(size=n) * 2
        x2 = x1 + rng.normal(size=n) * scale
        W0 = np.array([[float(x) for x in r] for r in net.W0])
        if plastic is None:
            W = W_of_t(0.0)

            def rhs(t, y):
                return np.concatenate([net.field(W, y[:n], u), net.field(W, y[n:], u)])
            sol = solve_ivp(rhs, (0, t_end), np.concatenate([x1, x2]), method="DOP853", rtol=RTOL, atol=ATOL,
                            t_eval=np.linspace(0, t_end, 81))
            ts, sy = _solution(sol, 2 * n)
            ys = sy.T
        else:
            params, mats, acts = plastic
            ts, ys = _plastic_pair(case, W0, x1, x2, u, params, mats, acts, t_end)
        d = [cn.size(y[:n] - y[n:]) for y in ys]
        for i in range(1, len(ts)):
            s, t = ts[i - 1], ts[i]
            c = rate(s)
            if c is None or d[i - 1] < 1e-7:   # below 1e-7 the integrator's absolute error dominates
                continue
            allowed = math.exp(-c * (t - s)) * d[i - 1]
            if d[i] > allowed * (1 + REL_TOL) + ABS_TOL:
                issues.append(f"trajectories separate faster than the certified rate {c:.6g} ({cn.norm}"
                              f"{' weighted' if cn.eta is not None else ''}{' metric' if cn.P is not None else ''}):"
                              f" |dx| {d[i - 1]:.8g} -> {d[i]:.8g} on [{s:.4g}, {t:.4g}] (allowed {allowed:.8g}); "
                              f"x1(0) = {x1.tolist()}, x2(0) = {x2.tolist()}, u = {u.tolist()}")
                return issues
    return issues


def _plastic_pair(case, W0, x1, x2, u, params, mats, acts, t_end):
    net = case.network
    n = W0.shape[0]
    y = np.concatenate([W0.ravel(), x1, x2])
    ts, ys = [0.0], [y[n * n:].copy()]
    for (a, b), act in zip(_segments(t_end, len(acts)), acts):
        def rhs(t, z, act=act):
            W = z[:n * n].reshape(n, n)
            xa, xb = z[n * n:n * n + n], z[n * n + n:]
            act_now = dict(act)
            if "x" in case.activity:   # the network's own activity, when admissible
                r = case.activity["x"]
                if r is UNBOUNDED:
                    act_now["x"] = xa
                elif r.lo <= -1 and r.hi >= 1 and net.activation == "tanh":
                    act_now["x"] = np.tanh(xa)
            env = {**params, **mats, **act_now}
            return np.concatenate([case.flow(W, env).ravel(), net.field(W, xa, u), net.field(W, xb, u)])

        def big(t, z):
            return BLOWUP - np.abs(z).max()
        big.terminal = True
        grid = np.linspace(a, b, 21)[1:]
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=RTOL, atol=ATOL, t_eval=grid, events=big)
        st_, sy = _solution(sol, len(y))
        ts += list(st_)
        ys += [z[n * n:] for z in sy.T]
        if sol.status != 0 or len(st_) < len(grid):
            break
        y = sy[:, -1]
    return np.array(ts), ys


def check_network_refutation(case: Case, ref) -> list[str]:
    """Two equilibria (disjoint boxes, each must contain a zero of f) or an unstable equilibrium (a zero whose
    Jacobian has an eigenvalue with positive real part), re-checked in floats with this file's f and J."""
    net = case.network
    if net.activation is None:
        return ["a refutation for a slope-only network (no particular function to have equilibria)"]
    W = np.array([[float(x) for x in r] for r in net.W0])
    n = W.shape[0]
    u = np.array([float(b) for b in net.bias]) if net.bias is not None else np.zeros(n)
    issues = []
    # Lipschitz constant of f in linf: 1 + g_true ||W||_inf (H: W phi(x); FR: phi(W x + u))
    L = 1.0 + net.true_slopes[1] * induced_norm(W, "linf")

    def box_ok(box) -> np.ndarray | None:
        lo = np.array([float(Fraction(x)) for x in box.lo])
        hi = np.array([float(Fraction(x)) for x in box.hi])
        mid, rad = (lo + hi) / 2, (hi - lo) / 2
        f = net.field(W, mid, u)
        # a zero in the box forces |f(mid)| <= L |rad|_inf; 1e-9: float evaluation of f at O(1) arguments
        if np.abs(f).max() > L * rad.max() + 1e-9 * (1 + np.abs(mid).max()):
            issues.append(f"no equilibrium in box {box.lo} .. {box.hi}: |f(mid)| = {np.abs(f).max():.3g}")
            return None
        return mid
    kind = type(ref).__name__
    if kind == "TwoEquilibria":
        a, b = box_ok(ref.first), box_ok(ref.second)
        k = ref.separating_coordinate
        lo1, hi1 = float(Fraction(ref.first.lo[k])), float(Fraction(ref.first.hi[k]))
        lo2, hi2 = float(Fraction(ref.second.lo[k])), float(Fraction(ref.second.hi[k]))
        if not (hi1 < lo2 or hi2 < lo1):
            issues.append(f"boxes not disjoint along coordinate {k}")
        return issues
    if kind == "UnstableEquilibrium":
        x = box_ok(ref.equilibrium)
        if x is None:
            return issues
        J = net.jacobian(W, x, u)
        lead = np.linalg.eigvals(J).real.max()
        # the Jacobian varies over the (tiny) box; 1e-6 covers that and eigenvalue rounding
        if not lead > -1e-6:
            issues.append(f"equilibrium {x.tolist()} looks stable: max Re eig J = {lead:.6g}")
        return issues
    return [f"unknown refutation {kind}"]


# ---------------------------------------------------------------------------------------------------
# recording findings


def record(case: Case, verdict: str, issues: list[str]) -> Path:
    FINDINGS.mkdir(parents=True, exist_ok=True)
    import hashlib
    text = case.toml()
    name = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = FINDINGS / f"{name}.toml"
    body = "\n".join("# " + line for i in issues for line in i.splitlines())
    path.write_text(f"# oracle: {verdict} is false\n{body}\n# seed {case.seed}\n{text}")
    return path
