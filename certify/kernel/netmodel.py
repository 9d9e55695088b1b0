"""The networks of kernel/equilibria.py and kernel/stability.py as the kernel evaluates them (TRUSTED).

f(x) = -x + W phi(x) + u (form H) or -x + phi(W x + u) (form FR), with its Jacobian, evaluated exactly in
rationals where phi is rational (linear, relu, leaky-relu everywhere; tanh and logistic at 0) and enclosed in
Arb ball arithmetic elsewhere (every operation encloses the exact result for every point of its input balls).
Also the conversions between exact rationals and balls (outward-rounded endpoints) and the reading of the
network data (`_network`) and of boxes (`_box`). See kernel/equilibria.py for what is proved with them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import arb, fmpq

from . import exact
from .activations import NETWORK_ACTIVATIONS, NETWORK_ALIASES
from .errors import InputError, KernelError

FORMS = ("H", "FR")
ACTIVATIONS = NETWORK_ACTIVATIONS
ALIASES = NETWORK_ALIASES
PIECEWISE_LINEAR = ("relu", "leaky-relu", "linear")
DEFAULT_LEAK = Fraction(1, 100)
DEFAULT_PREC = 128



@dataclass(frozen=True)
class _Net:
    W: tuple[tuple[Fraction, ...], ...]
    u: tuple[Fraction, ...]
    form: str
    activation: str
    leak: Fraction | None

    @property
    def n(self) -> int:
        return len(self.u)

    def fingerprint(self) -> str:
        text = repr((self.form, self.activation, str(self.leak), [[str(x) for x in r] for r in self.W],
                     [str(x) for x in self.u]))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def slope(self) -> Fraction:
        """The slope of relu/leaky-relu for negative arguments."""
        return self.leak if self.activation == "leaky-relu" else Fraction(0)

    def preactivation(self, x: list[Fraction]) -> list[Fraction]:
        if self.form == "H":
            return list(x)
        return [sum((w * xj for w, xj in zip(row, x)), Fraction(0)) + ui for row, ui in zip(self.W, self.u)]

    def preactivation_range(self, lo: list[Fraction], hi: list[Fraction]) -> list[tuple[Fraction, Fraction]]:
        """The exact range of every pre-activation over the box [lo, hi]."""
        if self.form == "H":
            return list(zip(lo, hi))
        out = []
        for row, ui in zip(self.W, self.u):
            a = ui + sum((w * (l if w >= 0 else h) for w, l, h in zip(row, lo, hi)), Fraction(0))
            b = ui + sum((w * (h if w >= 0 else l) for w, l, h in zip(row, lo, hi)), Fraction(0))
            out.append((a, b))
        return out

    def phi_exact(self, z: Fraction) -> Fraction | None:
        """phi(z) when it is rational and known exactly, else None."""
        a = self.activation
        if a == "linear":
            return z
        if a in ("relu", "leaky-relu"):
            return z if z >= 0 else self.slope() * z
        if z == 0 and a == "tanh":
            return Fraction(0)
        if z == 0 and a == "logistic":
            return Fraction(1, 2)
        return None

    def dphi_exact(self, z: Fraction) -> Fraction | None:
        """phi'(z) when phi is differentiable at z with a known rational derivative, else None."""
        a = self.activation
        if a == "linear":
            return Fraction(1)
        if a in ("relu", "leaky-relu"):
            return None if z == 0 else (Fraction(1) if z > 0 else self.slope())
        if z == 0 and a == "tanh":
            return Fraction(1)
        if z == 0 and a == "logistic":
            return Fraction(1, 4)
        return None

    def f_exact(self, x: list[Fraction]) -> list[Fraction]:
        z = self.preactivation(x)
        p = [self.phi_exact(zi) for zi in z]
        for i, pi in enumerate(p):
            if pi is None:
                raise KernelError(f"f_exact: {self.activation}({z[i]}) (pre-activation {i}) is not a rational number the "
                                  "kernel can evaluate exactly; verify a box with positive radius instead")
        if self.form == "H":
            return [-xi + sum((w * pj for w, pj in zip(row, p)), Fraction(0)) + ui
                    for xi, row, ui in zip(x, self.W, self.u)]
        return [-xi + pi for xi, pi in zip(x, p)]

    def jacobian_exact(self, x: list[Fraction]) -> list[list[Fraction]]:
        z = self.preactivation(x)
        d = [self.dphi_exact(zi) for zi in z]
        for i, di in enumerate(d):
            if di is None:
                raise KernelError(f"jacobian_exact: phi = {self.activation} has no exactly known derivative at pre-activation {i} "
                                  f"= {z[i]}" + (" (a kink: f is not differentiable there)" if z[i] == 0 else ""))
        n = self.n
        if self.form == "H":
            return [[-Fraction(int(i == j)) + self.W[i][j] * d[j] for j in range(n)] for i in range(n)]
        return [[-Fraction(int(i == j)) + d[i] * self.W[i][j] for j in range(n)] for i in range(n)]

    # -- ball arithmetic ------------------------------------------------------------------------
    def phi_ball(self, z: arb) -> arb:
        a = self.activation
        if a == "tanh":
            return z.tanh()
        if a == "logistic":
            return (1 + (z / 2).tanh()) / 2
        if a == "softplus":
            return z.exp().log1p()
        if a == "linear":
            return z
        raise KernelError(f"phi_ball: {a} is not smooth; the kernel handles it piece by piece, not by Krawczyk")

    def dphi_ball(self, z: arb) -> arb:
        a = self.activation
        if a == "tanh":
            return z.sech() ** 2
        if a == "logistic":
            return (z / 2).sech() ** 2 / 4
        if a == "softplus":
            return (1 + (z / 2).tanh()) / 2
        if a == "linear":
            return arb(1)
        raise KernelError(f"phi_ball: {a} is not smooth; the kernel handles it piece by piece, not by Krawczyk")

    def balls(self) -> tuple[list[list[arb]], list[arb]]:
        return [[_arb(w) for w in row] for row in self.W], [_arb(x) for x in self.u]

    def f_ball(self, x: list[arb]) -> list[arb]:
        Wb, ub = self.balls()
        n = self.n
        if self.form == "H":
            p = [self.phi_ball(xi) for xi in x]
            return [-x[i] + sum((Wb[i][j] * p[j] for j in range(n)), arb(0)) + ub[i] for i in range(n)]
        z = [sum((Wb[i][j] * x[j] for j in range(n)), arb(0)) + ub[i] for i in range(n)]
        return [-x[i] + self.phi_ball(z[i]) for i in range(n)]

    def jacobian_ball(self, x: list[arb]) -> list[list[arb]]:
        """J(x) for every x in the balls (an interval Jacobian when x is a box)."""
        Wb, ub = self.balls()
        n = self.n
        eye = [[arb(int(i == j)) for j in range(n)] for i in range(n)]
        if self.form == "H":
            d = [self.dphi_ball(xi) for xi in x]
            return [[Wb[i][j] * d[j] - eye[i][j] for j in range(n)] for i in range(n)]
        z = [sum((Wb[i][j] * x[j] for j in range(n)), arb(0)) + ub[i] for i in range(n)]
        d = [self.dphi_ball(zi) for zi in z]
        return [[d[i] * Wb[i][j] - eye[i][j] for j in range(n)] for i in range(n)]


def _arb(q: Fraction) -> arb:
    """A ball containing the rational q (exact when q is dyadic and fits the working precision)."""
    return arb(fmpq(q.numerator, q.denominator))


def _interval_ball(lo: Fraction, hi: Fraction) -> arb:
    """A ball containing the interval [lo, hi]."""
    return _arb(lo).union(_arb(hi))


def _exact(b: arb) -> Fraction:
    """The exact value of an exact, finite arb (an endpoint from .lower() / .upper())."""
    if not b.is_finite() or not b.is_exact():
        raise KernelError(f"exact: ball {b} has no finite exact endpoint (the enclosure blew up)")
    man, e = b.mid().man_exp()
    man, e = int(man), int(e)
    return Fraction(man * 2**e) if e >= 0 else Fraction(man, 2**-e)


def _low(b: arb) -> Fraction:
    return _exact(b.lower())


def _high(b: arb) -> Fraction:
    return _exact(b.upper())


def _sign(b: arb | Fraction) -> int:
    """The certain sign of a rational or a ball, 0 if the ball contains 0."""
    if isinstance(b, Fraction):
        return (b > 0) - (b < 0)
    if not b.is_finite():
        return 0
    if _low(b) > 0:
        return 1
    if _high(b) < 0:
        return -1
    return 0


def _network(W: object, u: object, form: object, activation: object, leak: object) -> _Net:
    if form not in FORMS:
        raise InputError(f"unknown network form {form!r}", symbol="form",
                         hint="'H' (f = -x + W phi(x) + u) or 'FR' (f = -x + phi(W x + u))")
    act = ALIASES.get(activation, activation) if isinstance(activation, str) else activation
    if act not in ACTIVATIONS:
        raise InputError(f"unknown activation {activation!r}", symbol="activation",
                         hint=f"use one of: {', '.join(ACTIVATIONS)}")
    M = exact.to_fraction_matrix(W, "W")
    v = exact.to_fraction_vector(u, "u")
    n = len(v)
    if n == 0 or len(M) != n or any(len(r) != n for r in M):
        raise InputError(f"W must be n x n and u of length n >= 1; got {len(M)} row(s) and len(u) = {n}",
                         symbol="W")
    lk = None
    if act == "leaky-relu":
        lk = DEFAULT_LEAK if leak is None else exact.to_fraction(leak, "leak")
        if not 0 < lk < 1:
            raise InputError(f"the leaky-relu slope must lie in (0, 1), got {lk}", symbol="leak")
    elif leak is not None:
        raise InputError(f"'leak' applies only to leaky-relu, not {act}", symbol="leak")
    return _Net(tuple(tuple(r) for r in M), tuple(v), form, act, lk)


def _box(net: _Net, center: object, radius: object) -> tuple[list[Fraction], list[Fraction], list[Fraction]]:
    c = exact.to_fraction_vector(center, "center")
    if len(c) != net.n:
        raise KernelError(f"box: the center has {len(c)} entries; the network has {net.n} neurons")
    if isinstance(radius, (list, tuple, np.ndarray)):
        r = exact.to_fraction_vector(radius, "radius")
    else:
        r = [exact.to_fraction(radius, "radius")] * net.n
    if len(r) != net.n or any(x < 0 for x in r):
        raise KernelError("box: the radius must be a number >= 0 or a vector of n numbers >= 0")
    return c, [ci - ri for ci, ri in zip(c, r)], [ci + ri for ci, ri in zip(c, r)]
