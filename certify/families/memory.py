"""Dense associative memories with dead neurons: energy, flat regions, equilibria, stability (THEORY.md section 5).

The model (Krotov-Hopfield form, separable Lagrangian L(x) = sum_i l(x_i), g = grad L, W = W^T):

    tau_i x_i' = (W g(x) - x + b)_i =: F_i(x)          energy  E = (x - b).g - L(x) - 1/2 g^T W g

    relu    l = 1/2 relu(x)^2   g = relu   Hess = diag(1[x > 0])   (singular: "dead" neurons)
    tanh    l = log cosh x      g = tanh   Hess = diag(sech^2 x)   (positive, tends to 0)
    linear  l = x^2 / 2         g = x      Hess = I

Along solutions dE/dt = -sum_i tau_i Hess_ii x_i'^2 <= 0 (the symbolic identity is derived in
certify/energy.py; here it is evaluated in floating point and tested along simulations).

What this module establishes, and how far each statement is trusted:

* ENERGY OF RELU = A QUADRATIC OF relu(x) (exact algebra): with p = relu(x),
  E(x) = Q(p) = 1/2 p^T (I - W) p - b^T p. So E is constant along every dead coordinate: on the region
  R_S = {x_S > 0, x_D <= 0} (S the active set, D its complement) E does not depend on x_D. These are the
  flat regions. The vector field there has tau_D x_D' = W_DS x_S + b_D - x_D, which vanishes at ONE point
  per x_S, so a flat region is not a set of equilibria; `flat_region` returns an explicit rational point
  of R_S with its exact, nonzero velocity.

* EQUILIBRIA OF RELU (exact rational enumeration, outside the kernel; each point re-checked by the kernel):
  x is an equilibrium iff, with S = {x_i > 0}, (I - W_SS) x_S = b_S, x_S > 0 and
  x_D = W_DS x_S + b_D <= 0. Every equilibrium has exactly one such S, so solving one linear system per S
  (FLINT fmpq_mat, exact) over all 2^n sets finds every equilibrium whose I - W_SS is nonsingular; a
  singular I - W_SS whose system is consistent is reported as "degenerate" (its equilibria, if any, are
  not isolated and are not analysed). Equivalently p = relu(x) is a KKT point of min Q(p) over p >= 0,
  and x = W p + b. For n > `MAX_ENUMERATION` candidates come from simulations and pattern iteration
  (untrusted) and each one is solved and checked exactly; the list is then not known to be complete.
  Every reported equilibrium is also verified by certify.kernel.equilibria (exact point, f(x*) = 0).

* STABILITY (decided exactly with the kernel's rational LDL^T, certify.kernel.exact.is_pd_exact):
  - interior equilibrium (no x_i = 0): f is affine near x*, with Jacobian T^-1 (-I + W diag(1_S)); its
    eigenvalues are those of T_S^-1 (-I + W_SS) and -1/tau_i on the dead block. W_SS is symmetric, so by
    Sylvester's inertia theorem x* is exponentially stable iff I - W_SS is positive definite, and
    unstable (a real eigenvalue > 0) iff it is not (it is nonsingular here).
  - boundary equilibrium (Z = {x_i = 0} nonempty), adjacent pieces S + A, A a subset of Z:
    stable if I - W_(S+Z) is positive definite (then every adjacent piece is, p* = relu(x*) is a strict
    local minimum of Q on p >= 0, and U = E - E(x*) + strict-Lyapunov term below is a local Lyapunov
    function); unstable if I - W_SS is not positive semi-definite and every I - W_(S+A) is nonsingular
    (then E < E(x*) at points arbitrarily close to x*, x* is isolated, and by LaSalle with the strict
    Lyapunov function a solution staying near x* would converge to it, contradicting E decreasing);
    otherwise "undecided".
  - linear: the one piece S = all neurons. tanh: equilibria are irrational; the kernel verifies Krawczyk
    boxes, stability is proved only when kernel/stability.py accepts a Lyapunov matrix for every Jacobian
    of the box (stable) or the kernel proves an eigenvalue > 0 (unstable); otherwise "undecided" with the
    floating-point eigenvalue labelled untrusted.

* A LYAPUNOV FUNCTION WITHOUT FLAT REGIONS (derived here; evaluated exactly; checked along simulations
  in tests): for 0 <= Hess <= I diagonal (all three Lagrangians), with k = min(1, 2 / ||W||_F^2),
  kappa = k tau_min and  V(x) = E(x) + (kappa / 2) sum_i tau_i x_i'^2,
      dV/dt <= -delta tau_min |x'|^2,   delta = k (2 - k) / 4 > 0,
  strictly negative off equilibria (proof in docs/memory.md). V changes along every dead coordinate
  (its second term does), so it has no flat regions. This is our own construction for the SAME system;
  the modified system of Fanaskov & Oseledets is not implemented (docs/memory.md says why).

* CONTRACTION: two equilibria refute contraction in every norm; the refutation is verified by the
  kernel (verify_two_equilibria on exact points for relu/linear, Krawczyk boxes for tanh). With a single
  equilibrium the fixed-network pipeline (certify.search.contraction.certify_fixed, kernel-checked rates) is
  asked for a certificate when all time constants are equal.

Floating-point quantities (energy along a trajectory, eigenvalues shown for comparison, simulations)
are untrusted and labelled so. Two-layer (feature/hidden) networks are the one-layer form with
W = [[0, xi], [xi^T, 0]] and b = (b_v, b_h): `two_layer` builds them and everything above applies.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import numpy as np

from certify.errors import InputError, KernelError
from certify.kernel import exact

LAGRANGIANS = ("relu", "tanh", "linear")
ALIASES = {"logcosh": "tanh", "log-cosh": "tanh", "quadratic": "linear", "identity": "linear"}
MAX_ENUMERATION = 12          # enumerate all 2^n active sets up to this n
FLAT_SHOWN = 8                # flat regions listed in a report (the count covers all of them)


# ---------------------------------------------------------------------------------------------------
# input


def lagrangian_name(name: str) -> str:
    """The canonical Lagrangian name ("relu", "tanh" = log cosh, "linear" = x^2/2), or InputError."""
    key = ALIASES.get(str(name), str(name))
    if key not in LAGRANGIANS:
        raise InputError(f"unknown Lagrangian / activation {name!r}", symbol="lagrangian",
                         hint="use relu (L = 1/2 relu^2), tanh (L = log cosh) or linear (L = x^2/2)")
    return key


def read_network(W: object, b: object = None) -> tuple[list[list[Fraction]], list[Fraction]]:
    """W (square, exactly symmetric) and b as exact rationals; b defaults to zero. InputError otherwise."""
    Wq = exact.to_fraction_matrix(W, "W")
    n = len(Wq)
    if n == 0 or any(len(r) != n for r in Wq):
        raise InputError(f"W must be a non-empty square matrix, got {n} row(s)", symbol="W",
                         hint="give n rows of n numbers")
    for i in range(n):
        for j in range(i + 1, n):
            if Wq[i][j] != Wq[j][i]:
                raise InputError(f"W must be symmetric (the energy needs W = W^T): entry ({i}, {j}) = {Wq[i][j]} "
                                 f"but entry ({j}, {i}) = {Wq[j][i]}", symbol="W",
                                 hint="use (W + W^T) / 2, or a Hebbian sum of outer products of stored patterns")
    bq = [Fraction(0)] * n if b is None else exact.to_fraction_vector(b, "b")
    if len(bq) != n:
        raise InputError(f"b has {len(bq)} entries but W is {n} x {n}", symbol="b", hint="one bias per neuron")
    return Wq, bq


def read_tau(tau: object, n: int) -> list[Fraction]:
    """Time constants: one positive number for all neurons, or n of them (exact)."""
    if isinstance(tau, (list, tuple, np.ndarray)):
        t = exact.to_fraction_vector(tau, "tau")
    else:
        t = [exact.to_fraction(tau, "tau")] * n
    if len(t) != n or any(x <= 0 for x in t):
        raise InputError("tau must be a positive number or n positive numbers", symbol="tau",
                         hint="e.g. tau = 1, or one time constant per neuron")
    return t


def two_layer(xi: object, b_v: object = None, b_h: object = None) -> tuple[list[list[Fraction]], list[Fraction]]:
    """The two-layer network  tau_v v' = xi g(h) - v + b_v,  tau_h h' = xi^T g(v) - h + b_h  (xi: N_v x N_h,
    Krotov & Hopfield 2021) as the one-layer form x = (v, h), W = [[0, xi], [xi^T, 0]], b = (b_v, b_h).
    Its energy is the one-layer E with this W (the cross term -g_h^T xi^T g_v appears once: -1/2 g^T W g)."""
    X = exact.to_fraction_matrix(xi, "xi")
    nv = len(X)
    nh = len(X[0]) if X else 0
    if nv == 0 or nh == 0:
        raise InputError("xi must be a non-empty N_v x N_h matrix", symbol="xi")
    bv = [Fraction(0)] * nv if b_v is None else exact.to_fraction_vector(b_v, "b_v")
    bh = [Fraction(0)] * nh if b_h is None else exact.to_fraction_vector(b_h, "b_h")
    if len(bv) != nv or len(bh) != nh:
        raise InputError(f"b_v needs {nv} entries and b_h {nh}", symbol="b_v")
    z = Fraction(0)
    W = [[z] * nv + list(X[i]) for i in range(nv)] + [[X[i][j] for i in range(nv)] + [z] * nh for j in range(nh)]
    return W, bv + bh


# ---------------------------------------------------------------------------------------------------
# floating-point energy and flow (untrusted numbers)


def g(x: np.ndarray, lagrangian: str = "relu") -> np.ndarray:
    """The activation g = grad L."""
    lag = lagrangian_name(lagrangian)
    if lag == "relu":
        return np.maximum(x, 0.0)
    if lag == "tanh":
        return np.tanh(x)
    return np.asarray(x, dtype=float)


def hessian_diag(x: np.ndarray, lagrangian: str = "relu") -> np.ndarray:
    """The diagonal of Hess L (relu: 1 on x > 0, else 0)."""
    lag = lagrangian_name(lagrangian)
    x = np.asarray(x, dtype=float)
    if lag == "relu":
        return (x > 0).astype(float)
    if lag == "tanh":
        t = np.exp(-2.0 * np.abs(x))       # sech^2 x = 4 t / (1 + t)^2, without overflow
        return 4.0 * t / (1.0 + t) ** 2
    return np.ones_like(x)


def lagrangian_value(x: np.ndarray, lagrangian: str = "relu") -> float:
    """L(x) = sum_i l(x_i)."""
    lag = lagrangian_name(lagrangian)
    x = np.asarray(x, dtype=float)
    if lag == "relu":
        return float(0.5 * np.sum(np.maximum(x, 0.0) ** 2))
    if lag == "tanh":
        return float(np.sum(np.logaddexp(x, -x) - np.log(2.0)))   # log cosh, without overflow
    return float(0.5 * np.sum(x * x))


def _floats(W: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(W, np.ndarray) and W.dtype == np.float64:
        Wf = W
    else:
        Wf = np.array([[float(v) for v in row] for row in (W.tolist() if hasattr(W, "tolist") else W)], dtype=float)
    if b is None:
        return Wf, np.zeros(Wf.shape[0])
    if isinstance(b, np.ndarray) and b.dtype == np.float64:
        return Wf, b
    return Wf, np.array([float(v) for v in (b.tolist() if hasattr(b, "tolist") else b)], dtype=float)


def _tau_floats(tau: object, n: int) -> np.ndarray:
    if isinstance(tau, (list, tuple, np.ndarray)):
        return np.array([float(t) for t in tau], dtype=float)
    return np.full(n, float(tau))


def energy(W: object, b: object, x: object, lagrangian: str = "relu") -> float:
    """E(x) = (x - b).g(x) - L(x) - 1/2 g^T W g  (floating point)."""
    Wf, bf = _floats(W, b)
    xf = np.asarray(x, dtype=float)
    gx = g(xf, lagrangian)
    return float((xf - bf) @ gx - lagrangian_value(xf, lagrangian) - 0.5 * gx @ Wf @ gx)


def vector_field(W: object, b: object, x: object, lagrangian: str = "relu") -> np.ndarray:
    """F(x) = W g(x) - x + b (tau x' = F)."""
    Wf, bf = _floats(W, b)
    xf = np.asarray(x, dtype=float)
    return Wf @ g(xf, lagrangian) - xf + bf


def velocity(W: object, b: object, x: object, tau: object = 1, lagrangian: str = "relu") -> np.ndarray:
    """x' = T^-1 (W g(x) - x + b)."""
    xf = np.asarray(x, dtype=float)
    return vector_field(W, b, xf, lagrangian) / _tau_floats(tau, xf.size)


def energy_rate(W: object, b: object, x: object, tau: object = 1, lagrangian: str = "relu") -> float:
    """dE/dt = -sum_i tau_i Hess_ii x_i'^2 (the energy identity, evaluated in floating point)."""
    xf = np.asarray(x, dtype=float)
    v = velocity(W, b, xf, tau, lagrangian)
    return float(-np.sum(_tau_floats(tau, xf.size) * hessian_diag(xf, lagrangian) * v * v))


def simulate(W: object, b: object, x0: object, *, tau: object = 1, lagrangian: str = "relu",
             t_end: float = 20.0, dt: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Classical RK4 with a fixed step (untrusted): times (m,) and states (m, n)."""
    Wf, bf = _floats(W, b)
    x = np.array(x0, dtype=float)
    inv_tau = 1.0 / _tau_floats(tau, x.size)
    lag = lagrangian_name(lagrangian)

    def f(y: np.ndarray) -> np.ndarray:
        return (Wf @ g(y, lag) - y + bf) * inv_tau

    steps = max(1, int(round(t_end / dt)))
    xs = np.empty((steps + 1, x.size))
    xs[0] = x
    for k in range(steps):
        k1 = f(x)
        k2 = f(x + 0.5 * dt * k1)
        k3 = f(x + 0.5 * dt * k2)
        k4 = f(x + dt * k3)
        x = x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        xs[k + 1] = x
    return np.linspace(0.0, steps * dt, steps + 1), xs


# ---------------------------------------------------------------------------------------------------
# the Lyapunov function without flat regions


@dataclass(frozen=True)
class StrictLyapunov:
    """V = E + (kappa/2) sum_i tau_i x_i'^2 with dV/dt <= -delta tau_min |x'|^2 (derived; exact constants)."""
    frobenius_sq: Fraction     # ||W||_F^2, an exact upper bound of ||W||_2^2
    k: Fraction                # min(1, 2 / ||W||_F^2)
    kappa: Fraction            # k * tau_min
    delta: Fraction            # k (2 - k) / 4
    tau_min: Fraction

    @property
    def statement(self) -> str:
        return (f"V(x) = E(x) + {self.kappa / 2} sum_i tau_i x_i'^2 satisfies dV/dt <= -{self.delta * self.tau_min} |x'|^2 "
                f"(k = min(1, 2/||W||_F^2) = {self.k}, ||W||_F^2 = {self.frobenius_sq}): strictly decreasing off "
                "equilibria, and not constant along dead coordinates (no flat regions)")


def strict_lyapunov(W: object, tau: object = 1) -> StrictLyapunov:
    """The exact constants of the strict Lyapunov function V (see the module docstring)."""
    Wq = exact.to_fraction_matrix(W, "W")
    t = read_tau(tau, len(Wq))
    fro = sum((w * w for row in Wq for w in row), Fraction(0))
    k = Fraction(1) if fro <= 2 else 2 / fro
    return StrictLyapunov(fro, k, k * min(t), k * (2 - k) / 4, min(t))


def lyapunov_value(W: object, b: object, x: object, tau: object = 1, lagrangian: str = "relu",
                   kappa: float | None = None) -> float:
    """V(x) = E(x) + (kappa/2) sum_i tau_i x_i'^2 in floating point (kappa from `strict_lyapunov` by default)."""
    xf = np.asarray(x, dtype=float)
    if kappa is None:
        kappa = float(strict_lyapunov(W, tau).kappa)
    v = velocity(W, b, xf, tau, lagrangian)
    return energy(W, b, xf, lagrangian) + 0.5 * kappa * float(np.sum(_tau_floats(tau, xf.size) * v * v))


# ---------------------------------------------------------------------------------------------------
# exact relu pieces


def energy_exact(W: object, b: object, x: object, lagrangian: str = "relu") -> Fraction:
    """E(x) exactly for relu and linear: Q(p) = 1/2 p^T (I - W) p - b^T p with p = relu(x) (resp. p = x)."""
    lag = lagrangian_name(lagrangian)
    if lag == "tanh":
        raise InputError("the tanh energy is irrational at rational points; use energy()", symbol="lagrangian")
    Wq, bq = read_network(W, b)
    xq = exact.to_fraction_vector(x, "x")
    p = [v if (lag == "linear" or v > 0) else Fraction(0) for v in xq]
    n = len(p)
    Wp = [sum((Wq[i][j] * p[j] for j in range(n) if p[j]), Fraction(0)) for i in range(n)]
    return sum((p[i] * p[i] - p[i] * Wp[i] for i in range(n)), Fraction(0)) / 2 - sum(
        (bq[i] * p[i] for i in range(n)), Fraction(0))


def field_exact(W: list[list[Fraction]], b: list[Fraction], x: Sequence[Fraction], lagrangian: str = "relu"
                ) -> list[Fraction]:
    """F(x) = W g(x) - x + b exactly (relu or linear)."""
    lag = lagrangian_name(lagrangian)
    n = len(x)
    p = [v if (lag == "linear" or v > 0) else Fraction(0) for v in x]
    return [sum((W[i][j] * p[j] for j in range(n) if p[j]), Fraction(0)) - x[i] + b[i] for i in range(n)]


@dataclass(frozen=True)
class FlatRegion:
    """R_S = {x_S > 0, x_D <= 0}: E is constant along x_D there. `point` lies in R_S, `velocity` is x' there
    (exact, nonzero), `energy` is E(point) (exact). `equilibrium` indexes the one equilibrium inside R_S
    (None: none); `fiber` is True when `point` lies on the flat set {x_S = x*_S, x_D <= 0} of that
    equilibrium, which flows to it in closed form x_D(t) = x*_D + e^(-t/tau) (x_D(0) - x*_D)."""
    active: tuple[int, ...]
    dead: tuple[int, ...]
    point: tuple[Fraction, ...]
    velocity: tuple[Fraction, ...]
    energy: Fraction
    equilibrium: int | None
    fiber: bool


def flat_region(W: object, b: object, active: Sequence[int], tau: object = 1,
                equilibrium: Sequence[Fraction] | None = None, index: int | None = None) -> FlatRegion:
    """An explicit point of the flat region of active set `active` (relu) and its exact nonzero velocity.
    With `equilibrium` (an equilibrium whose positive set is `active`), the point is that equilibrium with
    every dead coordinate lowered by 1: same energy, not an equilibrium, velocity 1/tau_i on the dead block."""
    Wq, bq = read_network(W, b)
    n = len(Wq)
    t = read_tau(tau, n)
    S = tuple(sorted(set(int(i) for i in active)))
    if any(not 0 <= i < n for i in S):
        raise InputError(f"active set {S} has indices outside 0..{n - 1}", symbol="active")
    D = tuple(i for i in range(n) if i not in S)
    if not D:
        raise InputError("the active set is every neuron: that region has no dead coordinate, so it is not flat",
                         symbol="active", hint="give an active set with at least one dead neuron")
    if equilibrium is not None:
        x = [Fraction(v) for v in equilibrium]
        if tuple(i for i in range(n) if x[i] > 0) != S:
            raise InputError("the equilibrium's positive set is not the given active set", symbol="equilibrium")
        for i in D:
            x[i] -= 1
        fiber = True
    else:
        x = [Fraction(0)] * n
        for i in S:
            x[i] = Fraction(1)
        for i in D:
            drive = sum((Wq[i][j] for j in S), Fraction(0)) + bq[i]    # W_DS 1 + b_D
            x[i] = min(Fraction(-1), drive - 1)
        fiber = False
    F = field_exact(Wq, bq, x)
    vel = tuple(F[i] / t[i] for i in range(n))
    if all(v == 0 for v in vel):  # cannot happen: the dead block of F is >= 1 by construction
        raise KernelError("internal error: the chosen point of the flat region is an equilibrium")  # pragma: no cover
    return FlatRegion(S, D, tuple(x), vel, energy_exact(Wq, bq, x), index, fiber)


# ---------------------------------------------------------------------------------------------------
# exact equilibria (relu, linear)


def _fmpq_solve(A: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """The exact solution of A y = rhs, or None when A is singular."""
    from flint import fmpq, fmpq_mat
    m = len(A)
    Aq = fmpq_mat(m, m, [fmpq(a.numerator, a.denominator) for row in A for a in row])
    bq = fmpq_mat(m, 1, [fmpq(v.numerator, v.denominator) for v in rhs])
    try:
        y = Aq.solve(bq)
    except ZeroDivisionError:
        return None
    return [Fraction(int(y[i, 0].p), int(y[i, 0].q)) for i in range(m)]


def _consistent(A: list[list[Fraction]], rhs: list[Fraction]) -> bool:
    """Whether the (singular) system A y = rhs has a solution: rank A == rank [A | rhs] (exact)."""
    from flint import fmpq, fmpq_mat
    m = len(A)
    Aq = fmpq_mat(m, m, [fmpq(a.numerator, a.denominator) for row in A for a in row])
    Ab = fmpq_mat(m, m + 1, [fmpq(v.numerator, v.denominator) for row, r in zip(A, rhs) for v in list(row) + [r]])
    return Aq.rank() == Ab.rank()


def _i_minus(W: list[list[Fraction]], S: Sequence[int]) -> list[list[Fraction]]:
    return [[Fraction(int(i == j)) - W[i][j] for j in S] for i in S]


class _ExactNet:
    """W, I - W and b as FLINT rationals, converted once for the 2^n linear solves of an enumeration."""

    def __init__(self, W: list[list[Fraction]], b: list[Fraction]):
        from flint import fmpq
        self.n = len(W)
        self.W = [[fmpq(w.numerator, w.denominator) for w in row] for row in W]
        self.M = [[fmpq(int(i == j)) - self.W[i][j] for j in range(self.n)] for i in range(self.n)]
        self.b = [fmpq(v.numerator, v.denominator) for v in b]

    def solve(self, S: Sequence[int]) -> tuple[str, list[Fraction] | None]:
        from flint import fmpq, fmpq_mat
        n, S = self.n, list(S)
        xs = []
        if S:
            m = len(S)
            A = fmpq_mat(m, m, [self.M[i][j] for i in S for j in S])
            rhs = fmpq_mat(m, 1, [self.b[i] for i in S])
            try:
                y = A.solve(rhs)
            except ZeroDivisionError:
                Ab = fmpq_mat(m, m + 1, [v for i in S for v in [self.M[i][j] for j in S] + [self.b[i]]])
                return ("degenerate", None) if A.rank() == Ab.rank() else ("none", None)
            xs = [y[k, 0] for k in range(m)]
            if any(v <= 0 for v in xs):
                return "none", None
        x = [fmpq(0)] * n
        for i, v in zip(S, xs):
            x[i] = v
        inS = set(S)
        for i in range(n):
            if i not in inS:
                x[i] = sum((self.W[i][j] * x[j] for j in S), fmpq(0)) + self.b[i]
                if x[i] > 0:
                    return "none", None
        return "equilibrium", [Fraction(int(v.p), int(v.q)) for v in x]


def solve_active_set(W: list[list[Fraction]], b: list[Fraction], S: Sequence[int]
                     ) -> tuple[str, list[Fraction] | None]:
    """The equilibrium with positive set exactly S, if any: ("equilibrium", x), ("none", None), or
    ("degenerate", None) when I - W_SS is singular and (I - W_SS) x_S = b_S is consistent."""
    return _ExactNet(W, b).solve(S)


@dataclass(frozen=True)
class Equilibrium:
    """One equilibrium. `point` is exact (relu, linear) or a float center (tanh, with `box` the kernel's
    verified enclosure). `active` = {x_i > 0}, `boundary` = {x_i = 0} (relu only). `stability` is
    "stable", "unstable" or "undecided"; `reason` says how it was decided and what is trusted."""
    point: tuple
    active: tuple[int, ...]
    boundary: tuple[int, ...]
    stability: str
    reason: str
    verified: str = ""                 # the kernel's statement that this is an equilibrium
    numeric_abscissa: float | None = None   # largest real part of the float Jacobian's eigenvalues (untrusted)
    exact: bool = True
    box: tuple | None = None           # tanh: (center, radius) of the kernel-verified box, exact rationals

    def floats(self) -> np.ndarray:
        return np.array([float(v) for v in self.point])


def _pd(M: list[list[Fraction]]) -> bool:
    return True if not M else exact.is_pd_exact(M)


def _psd(M: list[list[Fraction]]) -> bool:
    return True if not M else exact.is_psd_exact(M)


def _numeric_abscissa(Wf: np.ndarray, x: np.ndarray, tau: np.ndarray, lag: str) -> float:
    J = (-np.eye(x.size) + Wf * hessian_diag(x, lag)[None, :]) / tau[:, None]
    return float(np.max(np.linalg.eigvals(J).real))


def classify(W: list[list[Fraction]], x: Sequence[Fraction], lagrangian: str = "relu") -> tuple[str, str]:
    """(stability, reason) of the exact equilibrium x of the relu (or linear) network, decided exactly."""
    lag = lagrangian_name(lagrangian)
    n = len(W)
    if lag == "linear":
        S, Z = list(range(n)), []
    else:
        S = [i for i in range(n) if x[i] > 0]
        Z = [i for i in range(n) if x[i] == 0]
    if not Z:
        if _pd(_i_minus(W, S)):
            return "stable", (f"I - W_SS is positive definite (exact LDL^T, S = {_set(S)}): the Jacobian "
                              "(-I + W diag(1_S))/tau has only negative eigenvalues (dead block: -1/tau)")
        return "unstable", (f"I - W_SS (S = {_set(S)}) is nonsingular but not positive definite (exact LDL^T): "
                            "the Jacobian has a real eigenvalue > 0")
    big = S + Z
    if _pd(_i_minus(W, sorted(big))):
        return "stable", (f"boundary equilibrium (x_i = 0 for i in {_set(Z)}); I - W on S + Z = {_set(sorted(big))} "
                          "is positive definite (exact), so every adjacent piece is stable and relu(x*) is a strict "
                          "local minimum of the energy on p >= 0")
    pieces_regular = all(_fmpq_solve(_i_minus(W, sorted(S + list(A))), [Fraction(0)] * (len(S) + len(A)))
                         is not None for r in range(len(Z) + 1) for A in itertools.combinations(Z, r))
    if not _psd(_i_minus(W, S)) and pieces_regular:
        return "unstable", (f"boundary equilibrium (x_i = 0 for i in {_set(Z)}); I - W_SS is not positive "
                            "semi-definite (exact), every adjacent piece is nonsingular: the energy drops below "
                            "E(x*) arbitrarily close to the isolated x*")
    return "undecided", (f"boundary equilibrium (x_i = 0 for i in {_set(Z)}): the adjacent pieces do not agree "
                         "(not decided)")


def _set(idx: Sequence[int]) -> str:
    return "{" + ", ".join(str(i) for i in idx) + "}"


# ---------------------------------------------------------------------------------------------------
# the report


@dataclass(frozen=True)
class MemoryReport:
    n: int
    lagrangian: str
    tau: tuple[Fraction, ...]
    W: tuple[tuple[Fraction, ...], ...]
    b: tuple[Fraction, ...]
    equilibria: tuple[Equilibrium, ...]
    method: str                           # "enumeration" (all 2^n active sets), "search", "linear", "krawczyk"
    complete: bool                        # every equilibrium is listed (exact argument)
    degenerate: tuple[tuple[int, ...], ...]   # active sets with singular, consistent I - W_SS
    flat: tuple[FlatRegion, ...]
    flat_count: int                       # number of flat regions (active sets with a dead neuron)
    lyapunov: StrictLyapunov
    contraction: str                      # "refuted", "certified" or "not decided"
    contraction_detail: str
    two_layer: tuple[int, int] | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def memories(self) -> tuple[int, ...]:
        """Indices of the stable equilibria (the stored memories)."""
        return tuple(i for i, e in enumerate(self.equilibria) if e.stability == "stable")


def _enumerate(Wq, bq) -> tuple[list[list[Fraction]], list[tuple[int, ...]]]:
    n = len(Wq)
    net = _ExactNet(Wq, bq)
    found, degenerate = [], []
    for r in range(n + 1):
        for S in itertools.combinations(range(n), r):
            kind, x = net.solve(S)
            if kind == "equilibrium":
                found.append(x)
            elif kind == "degenerate":
                degenerate.append(S)
    return found, degenerate


def _search(Wq, bq, tau, starts: int, seed: int) -> tuple[list[list[Fraction]], list[tuple[int, ...]]]:
    """Untrusted candidates (simulation end points, pattern iteration), each solved and checked exactly."""
    from certify.search import equilibria as numeric
    Wf, bf = _floats(Wq, bq)
    n = bf.size
    rng = np.random.default_rng(seed)
    scale = 1.0 + float(np.max(np.abs(bf))) + float(np.max(np.abs(Wf)))
    points = [numeric_x for numeric_x in numeric.find_equilibria(Wf, bf, "H", "relu", starts=starts, seed=seed)]
    for _ in range(max(1, starts // 4)):
        _, xs = simulate(Wf, bf, scale * rng.normal(size=n), tau=tau, t_end=40.0, dt=0.02)
        points.append(xs[-1])
    sets = []
    for p in points:
        if np.all(np.isfinite(p)):
            S = tuple(int(i) for i in np.flatnonzero(p > 1e-9))
            if S not in sets:
                sets.append(S)
    found, degenerate = [], []
    net = _ExactNet(Wq, bq)
    for S in sets:
        kind, x = net.solve(S)
        if kind == "equilibrium" and x not in found:
            found.append(x)
        elif kind == "degenerate":
            degenerate.append(S)
    return found, degenerate


def _verify_point(Wq, bq, lag, x) -> str:
    from certify.kernel import equilibria as keq
    try:
        return keq.verify_equilibrium_box(Wq, bq, "H", lag, x, 0).statement
    except KernelError as err:   # pragma: no cover - the enumeration checks the same equations
        return f"kernel did not verify: {err}"


def _unstable_statement(Wq, bq, lag, x) -> str:
    from certify.kernel import equilibria as keq
    try:
        return str(keq.verify_unstable_equilibrium(Wq, bq, "H", lag, x, 0))
    except KernelError as err:
        return f"(kernel unstable-equilibrium check not completed: {err})"


def _tanh_stable(Wq, bq, Wf: np.ndarray, x: np.ndarray, box) -> str | None:
    """Ask the kernel (kernel/stability.py) to prove the tanh equilibrium in `box` locally exponentially stable,
    with a float Lyapunov matrix of the Jacobian at x as the untrusted witness; the statement, or None."""
    from certify.families.feedback import lyapunov_matrix
    from certify.kernel.stability import verify_stable_equilibrium
    J = -np.eye(len(x)) + Wf * (1.0 - np.tanh(x) ** 2)[None, :]
    try:
        P = lyapunov_matrix(J)
        return str(verify_stable_equilibrium(Wq, bq, "H", "tanh", box, P))
    except (KernelError, ValueError, np.linalg.LinAlgError):
        return None


def _tanh_equilibria(Wq, bq, tau, starts: int, seed: int) -> list[Equilibrium]:
    """Numerical tanh equilibria; the kernel verifies a Krawczyk box around each; stability proved when
    possible (kernel/stability.py: a Lyapunov matrix over the box; kernel: an eigenvalue > 0), else undecided."""
    from certify.search import equilibria as numeric
    from certify.kernel import equilibria as keq
    Wf, bf = _floats(Wq, bq)
    tf = np.array([float(t) for t in tau])
    out = []
    for x in numeric.find_equilibria(Wf, bf, "H", "tanh", starts=starts, seed=seed):
        box = None
        for r in (1e-12, 1e-10, 1e-8, 1e-6):
            try:
                box = keq.verify_equilibrium_box(Wq, bq, "H", "tanh", [float(v) for v in x],
                                                 r * (1.0 + float(np.max(np.abs(x)))))
                break
            except KernelError:
                continue
        if box is None:
            continue      # not verified: not reported as an equilibrium
        abscissa = _numeric_abscissa(Wf, x, tf, "tanh")
        lo, hi = box.lower(), box.upper()
        center = [(a + c) / 2 for a, c in zip(lo, hi)]
        radius = [(c - a) / 2 for a, c in zip(lo, hi)]
        stable = _tanh_stable(Wq, bq, Wf, np.asarray(x, dtype=float), box)
        if stable is not None:
            st, why = "stable", f"kernel: {stable}"
        else:
            try:
                st, why = "unstable", str(keq.verify_unstable_equilibrium(Wq, bq, "H", "tanh", center, radius))
            except KernelError:
                st, why = "undecided", f"not proved either way (numeric spectral abscissa {abscissa:.3g}, untrusted)"
        out.append(Equilibrium(tuple(float(v) for v in x), tuple(int(i) for i in np.flatnonzero(x > 0)), (),
                               st, why, box.describe(), abscissa, exact=False, box=(tuple(center), tuple(radius))))
    return out


def _contraction(Wq, bq, lag, eqs: list[Equilibrium], tau) -> tuple[str, str]:
    from certify.kernel import equilibria as keq
    if len(eqs) >= 2:
        stable = [e for e in eqs if e.stability == "stable"]
        pick = (stable + [e for e in eqs if e.stability != "stable"])[:2]
        try:
            if lag == "tanh":
                two = keq.verify_two_equilibria(Wq, bq, "H", "tanh", pick[0].box, pick[1].box)
            else:
                two = keq.verify_two_equilibria(Wq, bq, "H", lag, (list(pick[0].point), 0), (list(pick[1].point), 0))
        except KernelError as err:
            return "not decided", f"two equilibria found but the kernel did not verify them: {err}"
        which = "two stable equilibria (stored memories)" if len(stable) >= 2 else "two equilibria"
        return "refuted", f"{which}, verified by the kernel: {two}"
    unstable = [e for e in eqs if e.stability == "unstable"]
    if unstable and unstable[0].exact:
        text = _unstable_statement(Wq, bq, lag, list(unstable[0].point))
        if not text.startswith("(kernel"):
            return "refuted", text
    if len(set(tau)) != 1:
        return "not decided", "a single equilibrium; contraction certificates are tried only for equal time constants"
    from certify.search.contraction import certify_fixed
    from certify.lang.network import Network
    net = Network("H", Fraction(1), lag, tuple(tuple(r) for r in Wq), tuple(bq))
    try:
        res = certify_fixed(net, use_lmi=False)
    except (KernelError, ValueError, np.linalg.LinAlgError) as err:   # pragma: no cover - defensive
        return "not decided", f"contraction search failed: {err}"
    if res.best is not None:
        rate = res.best.rate / tau[0]
        return "certified", f"contracting at rate {rate} in {res.best.norm} (kernel-checked; rate scaled by 1/tau)"
    return "not decided", "a single equilibrium found, but no contraction certificate (weighted l1/linf)"


def analyze(W: object, b: object = None, tau: object = 1, lagrangian: str = "relu", *,
            max_enumeration: int = MAX_ENUMERATION, starts: int = 64, seed: int = 0,
            flat_shown: int = FLAT_SHOWN, two_layer_sizes: tuple[int, int] | None = None) -> MemoryReport:
    """Energy, flat regions, equilibria with exact stability, a strict Lyapunov function and the contraction
    verdict of  tau x' = W g(x) - x + b  (W symmetric; see the module docstring for what is trusted)."""
    lag = lagrangian_name(lagrangian)
    Wq, bq = read_network(W, b)
    n = len(Wq)
    t = read_tau(tau, n)
    notes: list[str] = []
    degenerate: list[tuple[int, ...]] = []
    if lag == "tanh":
        eqs = _tanh_equilibria(Wq, bq, t, starts, seed)
        method, complete = "krawczyk", False
        notes.append("tanh: equilibria from an untrusted numerical search, each enclosed in a kernel-verified "
                     "Krawczyk box; the list need not be complete")
    else:
        if lag == "linear":
            kind, x = solve_active_set_linear(Wq, bq)
            points = [x] if kind == "equilibrium" else []
            if kind == "degenerate":
                degenerate.append(tuple(range(n)))
            method, complete = "linear", True
        elif n <= max_enumeration:
            points, degenerate = _enumerate(Wq, bq)
            method, complete = "enumeration", True
        else:
            points, degenerate = _search(Wq, bq, t, starts, seed)
            method, complete = "search", False
            notes.append(f"n = {n} > {max_enumeration}: active sets from simulations and pattern iteration "
                         "(untrusted), each solved and checked exactly; other equilibria may exist")
        points.sort(key=lambda x: (-sum(1 for v in x if v > 0), [-v for v in x]))
        tf = np.array([float(v) for v in t])
        Wf, _ = _floats(Wq, bq)
        eqs = []
        for x in points:
            st, why = classify(Wq, x, lag)
            Z = tuple(i for i in range(n) if x[i] == 0) if lag == "relu" else ()
            S = tuple(i for i in range(n) if x[i] > 0)
            xf = np.array([float(v) for v in x])
            ab = None if Z else _numeric_abscissa(Wf, xf, tf, lag if lag == "linear" else "relu")
            if st == "unstable" and not Z:
                why += "; kernel: " + _unstable_statement(Wq, bq, lag, x)
            eqs.append(Equilibrium(tuple(x), S, Z, st, why, _verify_point(Wq, bq, lag, x), ab))
        rank = {"stable": 0, "undecided": 1, "unstable": 2}
        eqs.sort(key=lambda e: rank[e.stability])      # stable sort: memories first, then the given order
        if degenerate:
            complete = False
            notes.append(f"{len(degenerate)} active set(s) with singular I - W_SS and a consistent system: "
                         "equilibria there (if any) are not isolated and are not analysed")
    flat: list[FlatRegion] = []
    flat_count = 0
    if lag == "relu":
        flat_count = 2 ** n - 1
        order = sorted(range(len(eqs)), key=lambda i: eqs[i].stability != "stable")
        wanted: list[tuple[tuple[int, ...], int | None]] = [(eqs[i].active, i) for i in order
                                                            if eqs[i].exact and len(eqs[i].active) < n]
        wanted.insert(sum(1 for i in order if eqs[i].stability == "stable" and len(eqs[i].active) < n), ((), None))
        for r in range(1, n):
            if len(wanted) >= 2 * flat_shown:
                break
            wanted += [(S, None) for S in itertools.combinations(range(n), r)][: 2 * flat_shown]
        for S, i in wanted:
            if len(flat) >= flat_shown:
                break
            if any(f.active == S for f in flat):
                continue
            if i is not None:
                flat.append(flat_region(Wq, bq, S, t, equilibrium=eqs[i].point, index=i))
            else:
                inside = [j for j, e in enumerate(eqs) if e.active == S]
                flat.append(flat_region(Wq, bq, S, t, equilibrium=eqs[inside[0]].point if inside else None,
                                        index=inside[0] if inside else None))
    lyap = strict_lyapunov(Wq, t)
    verdict, detail = _contraction(Wq, bq, lag, eqs, t)
    return MemoryReport(n, lag, tuple(t), tuple(tuple(r) for r in Wq), tuple(bq), tuple(eqs), method, complete,
                        tuple(degenerate), tuple(flat), flat_count, lyap, verdict, detail, two_layer_sizes,
                        tuple(notes))


def solve_active_set_linear(W: list[list[Fraction]], b: list[Fraction]) -> tuple[str, list[Fraction] | None]:
    """The linear network's equilibrium (I - W) x = b: ("equilibrium", x), ("none", None) or ("degenerate", None)."""
    n = len(W)
    A = _i_minus(W, range(n))
    x = _fmpq_solve(A, b)
    if x is None:
        return ("degenerate", None) if _consistent(A, b) else ("none", None)
    return "equilibrium", x


def analyze_two_layer(xi: object, b_v: object = None, b_h: object = None, tau_v: object = 1, tau_h: object = 1,
                      lagrangian: str = "relu", **kw) -> MemoryReport:
    """`analyze` of the two-layer network (see `two_layer`); neurons 0..N_v-1 are features, the rest hidden."""
    W, b = two_layer(xi, b_v, b_h)
    nv = len(exact.to_fraction_matrix(xi, "xi"))
    nh = len(W) - nv
    tau = [exact.to_fraction(tau_v, "tau_v")] * nv + [exact.to_fraction(tau_h, "tau_h")] * nh
    return analyze(W, b, tau, lagrangian, two_layer_sizes=(nv, nh), **kw)


# ---------------------------------------------------------------------------------------------------
# rendering


def _q(x) -> str:
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return f"{x:.6g}"


def _vec(v: Sequence) -> str:
    return "(" + ", ".join(_q(x) for x in v) + ")"


def report_dict(rep: MemoryReport) -> dict:
    """A JSON-ready dictionary (exact numbers as strings "p/q"; tanh centers as full-precision float strings)."""
    def s(v):
        return [_q(x) if isinstance(x, Fraction) else repr(float(x)) for x in v]
    return {
        "n": rep.n, "lagrangian": rep.lagrangian, "tau": s(rep.tau),
        "two_layer": None if rep.two_layer is None else {"features": rep.two_layer[0], "hidden": rep.two_layer[1]},
        "equilibria": [{"point": s(e.point), "exact": e.exact, "active": list(e.active), "boundary": list(e.boundary),
                        "stability": e.stability, "reason": e.reason, "verified": e.verified,
                        "numeric_spectral_abscissa_untrusted": e.numeric_abscissa} for e in rep.equilibria],
        "memories": list(rep.memories),
        "method": rep.method, "complete": rep.complete, "degenerate_active_sets": [list(d) for d in rep.degenerate],
        "flat_region_count": rep.flat_count,
        "flat_regions": [{"active": list(f.active), "dead": list(f.dead), "point": s(f.point),
                          "velocity": s(f.velocity), "energy": _q(f.energy), "equilibrium": f.equilibrium,
                          "fiber_of_equilibrium": f.fiber} for f in rep.flat],
        "strict_lyapunov": {"kappa": _q(rep.lyapunov.kappa), "k": _q(rep.lyapunov.k),
                            "decay": _q(rep.lyapunov.delta * rep.lyapunov.tau_min),
                            "frobenius_sq": _q(rep.lyapunov.frobenius_sq), "statement": rep.lyapunov.statement},
        "contraction": rep.contraction, "contraction_detail": rep.contraction_detail, "notes": list(rep.notes),
    }


def render(rep: MemoryReport) -> str:
    """A plain-text report for people."""
    lag_text = {"relu": "L = 1/2 sum relu(x)^2, g = relu, Hess = diag(1[x > 0])",
                "tanh": "L = sum log cosh x, g = tanh, Hess = diag(sech^2 x) > 0",
                "linear": "L = 1/2 |x|^2, g = x, Hess = I"}[rep.lagrangian]
    taus = sorted(set(rep.tau))
    tau_text = _q(taus[0]) if len(taus) == 1 else "(" + ", ".join(_q(t) for t in rep.tau) + ")"
    lines = [f"dense associative memory: tau x' = W g(x) - x + b, n = {rep.n}, tau = {tau_text}",
             f"  Lagrangian: {lag_text}"]
    if rep.two_layer is not None:
        nv, nh = rep.two_layer
        lines.append(f"  two-layer form: {nv} feature + {nh} hidden neurons, W = [[0, xi], [xi^T, 0]], b = (b_v, b_h)")
    lines.append("  energy E = (x - b).g - L - 1/2 g^T W g;  dE/dt = -sum_i tau_i Hess_ii x_i'^2 <= 0")
    mem = rep.memories
    how = {"enumeration": f"exact enumeration of all 2^{rep.n} active sets",
           "search": "active sets from simulations, each checked exactly (list may be incomplete)",
           "linear": "exact solution of (I - W) x = b",
           "krawczyk": "numerical search, each equilibrium in a kernel-verified Krawczyk box (list may be incomplete)"
           }[rep.method]
    lines.append(f"equilibria: {len(rep.equilibria)} ({how}{'' if rep.complete else '; not known to be complete'}); "
                 f"stable (stored memories): {len(mem)}")
    for i, e in enumerate(rep.equilibria):
        lines.append(f"  [{i}] x* = {_vec(e.point)}{'' if e.exact else ' (float center)'}  {e.stability.upper()}")
        if rep.lagrangian == "relu":
            lines.append(f"      active {_set(e.active)}" + (f", on the boundary x_i = 0 for {_set(e.boundary)}"
                                                            if e.boundary else ""))
        lines.append(f"      why: {e.reason}")
        if e.numeric_abscissa is not None:
            lines.append(f"      numeric spectral abscissa of the Jacobian (untrusted, for comparison): "
                         f"{e.numeric_abscissa:.6g}")
    for d in rep.degenerate[:5]:
        lines.append(f"  degenerate active set {_set(d)}: I - W_SS singular, (I - W_SS) x_S = b_S consistent; "
                     "equilibria there (if any) are not isolated; not analysed")
    if len(rep.degenerate) > 5:
        lines.append(f"  ... {len(rep.degenerate) - 5} more degenerate active sets (report_dict lists them all)")
    if rep.lagrangian == "relu":
        lines.append(f"flat regions: {rep.flat_count} (every active set S with a dead neuron: on "
                     "{x_S > 0, x_D <= 0} E = 1/2 p^T (I - W) p - b^T p with p = relu(x) does not depend on x_D)")
        lines.append("  none of them is a set of equilibria: tau_D x_D' = W_DS x_S + b_D - x_D vanishes at one point "
                     "per x_S; explicit points (exact):")
        for f in rep.flat:
            tag = (f"on the flat set of equilibrium [{f.equilibrium}] (same energy, flows to it)" if f.fiber else
                   (f"region holds equilibrium [{f.equilibrium}] only" if f.equilibrium is not None
                    else "region holds no equilibrium"))
            lines.append(f"  S = {_set(f.active)}, dead {_set(f.dead)}: x = {_vec(f.point)}, E = {_q(f.energy)}, "
                         f"x' = {_vec(f.velocity)} != 0; {tag}")
        if rep.flat_count > len(rep.flat):
            lines.append(f"  ... {rep.flat_count - len(rep.flat)} more regions, each with such a point (flat_region)")
    else:
        lines.append("flat regions: none (Hess L > 0 everywhere)" + (
            "; but sech^2 -> 0 for large |x|: E is nearly flat where neurons saturate" if rep.lagrangian == "tanh"
            else ""))
    lines.append(f"Lyapunov function without flat regions (derived, exact constants): {rep.lyapunov.statement}")
    lines.append(f"global contraction: {rep.contraction.upper()}: {rep.contraction_detail}")
    for note in rep.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
