"""Verified equilibria and unstable equilibria of a fixed network (TRUSTED): refutations of contraction.

The networks: n neurons, weights W (n x n), constant input u, activation phi applied elementwise,
    form "H":  f(x) = -x + W phi(x) + u          Jacobian  -I + W diag(phi'(x))
    form "FR": f(x) = -x + phi(W x + u)          Jacobian  -I + diag(phi'(W x + u)) W
phi in {tanh, logistic, softplus, linear, relu, leaky-relu (slope `leak` in (0, 1) for negative arguments)}.
The argument of phi ("pre-activation") is x in form H and W x + u in form FR.

Why an equilibrium refutes contraction (docs/theory.md section 3). A system contracting in any norm (or any
Riemannian metric) with rate c > 0 has exactly one equilibrium, and every equilibrium is exponentially
stable. So each of these refutes contraction in every norm:
  (a) two zeros of f in two disjoint boxes;
  (b) a zero x* of f near which f is C^1 and whose Jacobian J(x*) has an eigenvalue with Re > 0
      (a solution starting at x* + e v, v the eigen-direction, leaves x* at a rate >= Re(lambda) > 0,
      while contraction would keep its distance to the constant solution x* from growing).

What each check proves, and why:

* EXACT POINT (`verify_equilibrium_box` with radius 0). x* is a rational vector and f(x*) = 0 is
  evaluated in exact rational arithmetic. This needs phi(z) exactly at every pre-activation z: always for
  linear/relu/leaky-relu; for tanh and logistic only at z = 0 (tanh 0 = 0, logistic 0 = 1/2; any other
  rational z gives an irrational value); never for softplus. The derivative is then exact too where it
  exists (tanh'(0) = 1, logistic'(0) = 1/4, linear 1, relu/leaky-relu 1 or 0/leak off the kink z = 0).

* AFFINE PIECE (relu, leaky-relu, linear, radius > 0). The exact range of every pre-activation over the
  box is computed (a linear function's range over a box is given by its endpoints). If no range has
  points on both sides of 0, phi(z_i) = s_i z_i on the whole box with s_i in {1, leak (0 for relu)}
  (a range touching 0 from one side is still inside one closed piece, where phi(0) = 0 = s_i 0), so f is
  affine there: f(x) = A x + b. The kernel solves A x = -b exactly (FLINT fmpq_mat), checks the solution
  x* lies in the box, and re-evaluates f(x*) = 0 exactly with the true phi. A nonsingular A gives at most
  one zero in the box, so the box holds exactly one. A box that straddles a kink is refused.

* KRAWCZYK (tanh, logistic, softplus, radius > 0): X = [c - r, c + r], r > 0, c the midpoint. In ball
  arithmetic (Arb through python-flint, every operation encloses the exact result for every point of its
  input balls) the kernel encloses f(c), the interval Jacobian F'(X) (containing J(x) for every x in X)
  and K = c - Y f(c) + (I - Y F'(X)) (X - c) for the real matrix Y the caller supplies (untrusted: the
  search proposes the float inverse of the Jacobian at c; any Y works, and rational entries are enclosed by
  balls, each containing the exact entry, so the enclosures hold for that exact Y). It then checks K inside the open box, with exact rational comparisons
  of the balls' outward-rounded endpoints. Proof that this gives exactly one zero in X:
    - f is C^1 and X convex, so for x in X the mean value theorem per component gives
      f(x) - f(c) = M (x - c), row i of M being J_i(xi_i) for a point xi_i in X, so M is in F'(X).
    - g(x) = x - Y f(x) = c - Y f(c) + (I - Y M)(x - c) lies in K, hence in X: g maps X into X and by
      Brouwer's theorem has a fixed point x* = x* - Y f(x*), i.e. Y f(x*) = 0.
    - Y is nonsingular: for every C = I - Y M (M in F'(X)) and d with |d_j| <= r_j the value
      c_i - (Y f(c))_i + sum_j C_ij d_j lies in K_i, inside (c_i - r_i, c_i + r_i); choosing d_j = +-r_j
      with the sign of +-C_ij and adding the two strict inequalities gives |C| r < r componentwise with
      r > 0, so the spectral radius of |C|, hence of C, is < 1 (Collatz-Wielandt), so Y M = I - C is
      nonsingular, and so are Y and M. Hence f(x*) = 0.
    - Uniqueness: two zeros x, y in X give 0 = M (x - y) with M in F'(X) nonsingular, so x = y.
  (Krawczyk 1969; Moore 1977; Rump 1983; Neumaier, Interval Methods for Systems of Equations, 5.1.)

* UNSTABLE EQUILIBRIUM: see kernel/instability.py, which builds on the boxes of this module.

Trusted base: Python's Fraction, FLINT (fmpq_mat solve/charpoly, fmpq_poly factor, with every root it
returns re-checked by exact evaluation) and Arb's ball arithmetic (python-flint). Failures raise
KernelError (cannot verify) or InputError (malformed input). No `assert`, no cvxpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from flint import arb, arb_mat, ctx, fmpq, fmpq_mat

from . import exact
from .errors import InputError, KernelError
from .netmodel import (ACTIVATIONS, ALIASES, DEFAULT_LEAK, DEFAULT_PREC, FORMS,  # noqa: F401 (the search side
                       PIECEWISE_LINEAR, _arb, _box, _high, _interval_ball,  # reads the names from here)
                       _low, _Net, _network)
from .evidence import only_kernel



# ---------------------------------------------------------------------------------------------------
# results


def _s(x: Fraction) -> str:
    return str(x)


def _dec(s: str) -> str:
    return f"{float(Fraction(s)):.10g}"


@dataclass(frozen=True)
class EquilibriumBox:
    """Proved: f has a zero in the closed box [lo, hi] (exactly one when `unique`); `point` is that zero
    when it is known exactly (methods "exact-point" and "affine-piece"). Numbers are exact rationals as
    strings; `network` fingerprints (W, u, form, activation, leak)."""
    network: str
    form: str
    activation: str
    leak: str | None
    lo: tuple[str, ...]
    hi: tuple[str, ...]
    method: str
    point: tuple[str, ...] | None
    unique: bool
    statement: str

    def lower(self) -> tuple[Fraction, ...]:
        return tuple(Fraction(x) for x in self.lo)

    def upper(self) -> tuple[Fraction, ...]:
        return tuple(Fraction(x) for x in self.hi)

    def describe(self) -> str:
        if self.point is not None and self.lo == self.hi:
            return "an equilibrium at the exact point x* = (" + ", ".join(map(_dec, self.point)) + ")"
        box = " x ".join(f"[{_dec(a)}, {_dec(b)}]" for a, b in zip(self.lo, self.hi))
        if self.point is not None:
            return f"an equilibrium x* = ({', '.join(map(_dec, self.point))}) (exact; {self.method} on {box})"
        return f"an equilibrium in the box {box} ({self.method})"

    def __str__(self) -> str:
        return self.describe()

    def __post_init__(self) -> None:
        only_kernel("EquilibriumBox")

@dataclass(frozen=True)
class TwoEquilibria:
    """Proved: f has a zero in each of two closed boxes that are disjoint (separated along coordinate
    `separating_coordinate`), so the network has two distinct equilibria and is not contracting in any norm."""
    first: EquilibriumBox
    second: EquilibriumBox
    separating_coordinate: int
    statement: str

    def __str__(self) -> str:
        return (f"two distinct equilibria: {self.first.describe()}; {self.second.describe()} (disjoint along "
                f"coordinate {self.separating_coordinate})")

    def __post_init__(self) -> None:
        only_kernel("TwoEquilibria")

@dataclass(frozen=True)
class UnstableEquilibrium:
    """Proved: f has a zero x* in `equilibrium`'s box and the Jacobian at x* has an eigenvalue with positive
    real part. `method` is "exact-root", "sign-change" or "routh"; `eigenvalue` = (lo, hi) encloses a real
    positive eigenvalue (lo == hi when exact), or is None for "routh", where `unstable_count` is the exact
    number of eigenvalues with Re > 0. `jacobian` is "exact" (rational) or "interval" (J(X) over the box);
    `charpoly` gives the exact coefficients (constant term first) when the Jacobian is exact."""
    equilibrium: EquilibriumBox
    jacobian: str
    method: str
    eigenvalue: tuple[str, str] | None
    unstable_count: int | None
    charpoly: tuple[str, ...] | None
    statement: str

    def __str__(self) -> str:
        if self.eigenvalue is None:
            what = f"{self.unstable_count} eigenvalue(s) with positive real part (Routh)"
        elif self.eigenvalue[0] == self.eigenvalue[1]:
            what = f"the eigenvalue {_dec(self.eigenvalue[0])} > 0 (exactly {self.eigenvalue[0]})"
        else:
            what = f"a real eigenvalue in [{_dec(self.eigenvalue[0])}, {_dec(self.eigenvalue[1])}], > 0"
        return f"unstable equilibrium: {self.equilibrium.describe()}; its {self.jacobian} Jacobian has {what}"

    def __post_init__(self) -> None:
        only_kernel("UnstableEquilibrium")

def _result(net: _Net, lo, hi, method: str, point, unique: bool, statement: str) -> EquilibriumBox:
    return EquilibriumBox(net.fingerprint(), net.form, net.activation, None if net.leak is None else str(net.leak),
                          tuple(map(_s, lo)), tuple(map(_s, hi)), method,
                          None if point is None else tuple(map(_s, point)), unique, statement)


# ---------------------------------------------------------------------------------------------------
# one equilibrium


def _exact_point(net: _Net, x: list[Fraction]) -> EquilibriumBox:
    fx = net.f_exact(x)
    for i, v in enumerate(fx):
        if v != 0:
            raise KernelError(f"exact_point: f(x) != 0 at the claimed exact equilibrium: component {i} is {v}")
    return _result(net, x, x, "exact-point", x, True, "f(x*) = 0 at the rational point x*, evaluated exactly")


def _affine_piece(net: _Net, lo: list[Fraction], hi: list[Fraction]) -> EquilibriumBox:
    n = net.n
    s = []
    for i, (a, b) in enumerate(net.preactivation_range(lo, hi)):
        if net.activation == "linear" or a >= 0:
            s.append(Fraction(1))
        elif b <= 0:
            s.append(net.slope())
        else:
            raise KernelError(f"affine_piece: the box straddles the kink of {net.activation}: pre-activation "
                              f"{i} ranges over "
                              f"[{a}, {b}], which contains points on both sides of 0")
    # f(x) = A x + b on the box
    if net.form == "H":   # -x + W S x + u
        A = [[-Fraction(int(i == j)) + net.W[i][j] * s[j] for j in range(n)] for i in range(n)]
        rhs = [-x for x in net.u]
    else:                 # -x + S (W x + u)
        A = [[-Fraction(int(i == j)) + s[i] * net.W[i][j] for j in range(n)] for i in range(n)]
        rhs = [-s[i] * net.u[i] for i in range(n)]
    Aq = fmpq_mat(n, n, [fmpq(a.numerator, a.denominator) for row in A for a in row])
    bq = fmpq_mat(n, 1, [fmpq(b.numerator, b.denominator) for b in rhs])
    try:
        xq = Aq.solve(bq)
    except ZeroDivisionError:
        raise KernelError("affine_piece: f is affine on the box with a singular matrix: no isolated "
                          "equilibrium") from None
    x = [Fraction(int(xq[i, 0].p), int(xq[i, 0].q)) for i in range(n)]
    for i in range(n):
        if not lo[i] <= x[i] <= hi[i]:
            raise KernelError(f"affine_piece: the zero of the affine piece of f on the box lies outside it "
                              f"(coordinate {i}: "
                              f"{x[i]} not in [{lo[i]}, {hi[i]}]): the box contains no equilibrium")
    fx = net.f_exact(x)  # independent re-check with the true activation
    if any(v != 0 for v in fx):
        raise KernelError("affine_piece: the affine zero is not a zero of f")  # pragma: no cover
    return _result(net, lo, hi, "affine-piece", x, True,
                   "f is affine on the box (no pre-activation changes sign) with a nonsingular matrix; its "
                   "unique zero x* is rational, lies in the box and satisfies f(x*) = 0 exactly")


def _preconditioner(Y: object, n: int) -> arb_mat:
    """The caller's preconditioner Y as a matrix of balls. Any real n x n matrix makes the test sound (see the
    proof above), so only its form is checked: the kernel never computes one itself."""
    if Y is None:
        raise KernelError("preconditioner: a Krawczyk box needs a preconditioner Y (an n x n real matrix, "
                          "e.g. the float inverse of the Jacobian at the center: "
                          "certify.search.equilibria.preconditioner); none was given")
    M = exact.to_fraction_matrix(Y, "preconditioner")       # exact reals only: complex, NaN, inf refused
    if len(M) != n or any(len(row) != n for row in M):
        raise KernelError(f"preconditioner: Y must be {n} x {n}, got {len(M)} row(s)")
    return arb_mat([[_arb(v) for v in row] for row in M])   # each ball contains the exact rational entry


def _krawczyk(net: _Net, c: list[Fraction], lo: list[Fraction], hi: list[Fraction], Yq: object) -> EquilibriumBox:
    n = net.n
    Y = _preconditioner(Yq, n)
    X = [_interval_ball(a, b) for a, b in zip(lo, hi)]
    D = [_interval_ball(a - ci, b - ci) for a, b, ci in zip(lo, hi, c)]      # X - c
    J = net.jacobian_ball(X)
    fc = net.f_ball([_arb(ci) for ci in c])
    if not all(v.is_finite() for row in J for v in row) or not all(v.is_finite() for v in fc):
        raise KernelError("krawczyk: the enclosures of f(c) or of the interval Jacobian are not finite")
    IYJ = arb_mat([[arb(int(i == j)) for j in range(n)] for i in range(n)]) - Y * arb_mat(J)
    Yfc = Y * arb_mat([[v] for v in fc])
    K_lin = IYJ * arb_mat([[d] for d in D])
    for i in range(n):
        Ki = _arb(c[i]) - Yfc[i, 0] + K_lin[i, 0]
        if not Ki.is_finite() or not (_low(Ki) > lo[i] and _high(Ki) < hi[i]):
            raise KernelError(f"krawczyk: Krawczyk test failed in coordinate {i}: K_{i} = {Ki} is not inside the open "
                              f"interval ({float(lo[i])!r}, {float(hi[i])!r}); the box may hold no zero, be "
                              "too large or too small for the test, or the preconditioner too far from an "
                              "inverse of the Jacobian")
    return _result(net, lo, hi, "krawczyk", None, True,
                   "Krawczyk: K(X) = c - Y f(c) + (I - Y F'(X))(X - c) lies in the interior of X (ball "
                   "arithmetic), so f has exactly one zero in X")


def _verify_box(net: _Net, center: object, radius: object, prec: int, Y: object = None) -> EquilibriumBox:
    c, lo, hi = _box(net, center, radius)
    if not isinstance(prec, int) or isinstance(prec, bool) or not 53 <= prec <= 4096:
        raise InputError(f"prec must be an integer in [53, 4096], got {prec!r}", symbol="prec")
    if all(a == b for a, b in zip(lo, hi)):
        return _exact_point(net, c)
    if any(a == b for a, b in zip(lo, hi)):
        raise KernelError("verify_box: the radius must be > 0 in every coordinate (or 0 in all, for an exact point)")
    if net.activation in PIECEWISE_LINEAR:
        return _affine_piece(net, lo, hi)
    with ctx.workprec(prec):
        return _krawczyk(net, c, lo, hi, Y)


def verify_equilibrium_box(W: object, u: object, form: str, activation: str, center: object, radius: object,
                           *, leak: object = None, prec: int = DEFAULT_PREC,
                           preconditioner: object = None) -> EquilibriumBox:
    """Prove that f has exactly one zero in the box [center - radius, center + radius] (radius a number or
    a vector; 0 everywhere for an exact rational point), or raise KernelError. W, u, center and radius are
    read exactly (floats by their binary value, strings like "6/5"). A Krawczyk box (tanh, logistic, softplus
    with radius > 0) needs the untrusted n x n `preconditioner` Y; any real Y is sound, a good one passes."""
    return _verify_box(_network(W, u, form, activation, leak), center, radius, prec, preconditioner)


# ---------------------------------------------------------------------------------------------------
# two equilibria


def verify_two_equilibria(W: object, u: object, form: str, activation: str, first: tuple[object, object],
                          second: tuple[object, object], *, leak: object = None,
                          prec: int = DEFAULT_PREC, preconditioners: tuple[object, object] = (None, None)
                          ) -> TwoEquilibria:
    """Prove two distinct equilibria: `first` and `second` are (center, radius) pairs; each box is verified
    as in `verify_equilibrium_box` (with the untrusted `preconditioners`, one per box, for Krawczyk boxes) and
    the two closed boxes must be disjoint (exact comparison)."""
    net = _network(W, u, form, activation, leak)
    try:
        (c1, r1), (c2, r2) = first, second
        Y1, Y2 = preconditioners
    except (TypeError, ValueError):
        raise InputError("first and second must be (center, radius) pairs, preconditioners a pair",
                         symbol="first") from None
    b1 = _verify_box(net, c1, r1, prec, Y1)
    b2 = _verify_box(net, c2, r2, prec, Y2)
    lo1, hi1, lo2, hi2 = b1.lower(), b1.upper(), b2.lower(), b2.upper()
    for i in range(net.n):
        if hi1[i] < lo2[i] or hi2[i] < lo1[i]:
            return TwoEquilibria(b1, b2, i, f"two equilibria of f in disjoint boxes (separated along coordinate "
                                            f"{i}): the network is not contracting in any norm")
    raise KernelError("verify_two_equilibria: the two boxes overlap (or touch): they need not hold distinct equilibria")
