"""Exact interval arithmetic over the rationals, with infinite and open endpoints (TRUSTED).

Used by the kernel to decide signs of parameter expressions over the declared parameter box and
to bound activity vectors componentwise. Every operation returns an enclosure of the true range:
it may be wider than the range, never narrower. Endpoints are `Fraction`s or +-inf (floats, used
only as the two infinities); an endpoint is attained ("closed") only when the flag says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from .errors import KernelError

INF = float("inf")
Endpoint = Fraction | float


def _check_endpoint(x: Endpoint) -> Endpoint:
    if isinstance(x, float) and x not in (INF, -INF):
        raise KernelError(f"check_endpoint: interval endpoint {x!r} is a finite float; the kernel works in "
                          f"exact rationals")
    if not isinstance(x, (Fraction, float)):
        raise KernelError(f"check_endpoint: interval endpoint {x!r} is neither a Fraction nor an infinity")
    return x


@dataclass(frozen=True)
class Interval:
    lo: Endpoint
    hi: Endpoint
    lo_closed: bool = True
    hi_closed: bool = True

    def __post_init__(self) -> None:
        _check_endpoint(self.lo)
        _check_endpoint(self.hi)
        if self.lo > self.hi:
            raise KernelError(f"Interval: empty interval [{self.lo}, {self.hi}]")
        # infinite endpoints are never attained
        if self.lo == -INF and self.lo_closed:
            object.__setattr__(self, "lo_closed", False)
        if self.hi == INF and self.hi_closed:
            object.__setattr__(self, "hi_closed", False)
        if self.lo == self.hi and not (self.lo_closed and self.hi_closed):
            raise KernelError(f"Interval: empty interval with open endpoint at {self.lo}")

    # -- constructors -------------------------------------------------------------------------
    @staticmethod
    def point(x: Fraction | int) -> "Interval":
        x = Fraction(x)
        return Interval(x, x)

    @staticmethod
    def everything() -> "Interval":
        return Interval(-INF, INF, False, False)

    # -- predicates (exact) ---------------------------------------------------------------------
    def contains(self, x: Fraction) -> bool:
        above = x > self.lo or (x == self.lo and self.lo_closed)
        below = x < self.hi or (x == self.hi and self.hi_closed)
        return above and below

    def is_nonneg(self) -> bool:
        return self.lo >= 0

    def is_positive(self) -> bool:
        return self.lo > 0 or (self.lo == 0 and not self.lo_closed)

    def is_nonpos(self) -> bool:
        return self.hi <= 0

    def is_negative(self) -> bool:
        return self.hi < 0 or (self.hi == 0 and not self.hi_closed)

    def is_finite(self) -> bool:
        return self.lo != -INF and self.hi != INF

    def magnitude(self) -> Endpoint:
        """sup |x| over the interval (possibly +inf)."""
        return max(abs(self.lo), abs(self.hi))

    # -- arithmetic -----------------------------------------------------------------------------
    def __add__(self, other: "Interval") -> "Interval":
        return Interval(self.lo + other.lo, self.hi + other.hi,
                        self.lo_closed and other.lo_closed, self.hi_closed and other.hi_closed)

    def __neg__(self) -> "Interval":
        return Interval(-self.hi, -self.lo, self.hi_closed, self.lo_closed)

    def __sub__(self, other: "Interval") -> "Interval":
        return self + (-other)

    def __mul__(self, other: "Interval") -> "Interval":
        cands = []
        for a, ac in ((self.lo, self.lo_closed), (self.hi, self.hi_closed)):
            for b, bc in ((other.lo, other.lo_closed), (other.hi, other.hi_closed)):
                if (a == 0 and ac) or (b == 0 and bc):
                    cands.append((Fraction(0), True))
                elif a == 0 or b == 0:
                    # 0 approached but not attained, times a finite or infinite value
                    cands.append((Fraction(0), False))
                else:
                    cands.append((a * b, ac and bc))
        lo = min(v for v, _ in cands)
        hi = max(v for v, _ in cands)
        lo = Fraction(lo) if lo not in (INF, -INF) else lo
        hi = Fraction(hi) if hi not in (INF, -INF) else hi
        return Interval(lo, hi, any(c for v, c in cands if v == lo), any(c for v, c in cands if v == hi))

    def reciprocal(self) -> "Interval":
        if self.is_positive() or self.is_negative():
            def inv(x: Endpoint) -> Endpoint:
                if x in (INF, -INF):
                    return Fraction(0)
                if x == 0:
                    return INF if self.is_positive() else -INF
                return 1 / x
            lo, hi = inv(self.hi), inv(self.lo)
            lo_c = self.hi_closed if self.hi not in (INF, -INF) else False
            hi_c = self.lo_closed if self.lo not in (INF, -INF) else False
            if lo == 0 and self.hi in (INF, -INF):
                lo_c = False
            if hi == 0 and self.lo in (INF, -INF):
                hi_c = False
            return Interval(lo, hi, lo_c and lo not in (INF, -INF), hi_c and hi not in (INF, -INF))
        raise KernelError(f"reciprocal: cannot divide by an interval containing 0: {self}")

    def power(self, k: int) -> "Interval":
        if k == 0:
            return Interval.point(1)
        if k < 0:
            return self.power(-k).reciprocal()
        if k % 2 == 0:
            mag = self.magnitude()
            low = abs(self)
            return Interval(low.lo ** k, mag ** k if mag != INF else INF, low.lo_closed,
                            max((abs(self.lo), self.lo_closed), (abs(self.hi), self.hi_closed))[1])
        out = self
        for _ in range(k - 1):
            out = out * self
        return out

    def __abs__(self) -> "Interval":
        if self.lo >= 0:
            return self
        if self.hi <= 0:
            return -self
        hi, hc = max((abs(self.lo), self.lo_closed), (self.hi, self.hi_closed))
        return Interval(Fraction(0), hi, True, hc)

    def hull(self, other: "Interval") -> "Interval":
        lo, lc = min((self.lo, not self.lo_closed), (other.lo, not other.lo_closed))
        hi, hc = max((self.hi, self.hi_closed), (other.hi, other.hi_closed))
        return Interval(lo, hi, not lc, hc)

    def __str__(self) -> str:
        left = "[" if self.lo_closed else "("
        right = "]" if self.hi_closed else ")"
        return f"{left}{self.lo}, {self.hi}{right}"


def to_fraction(value: sp.Basic) -> Fraction:
    """An exact SymPy rational as a Fraction; anything else is refused."""
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    raise KernelError(f"to_fraction: expected an exact rational, got {value!r}")


def enclose(expr: sp.Basic, env: dict[sp.Symbol, Interval]) -> Interval:
    """An interval enclosing the values of the scalar expression `expr` when each free symbol
    ranges over its interval in `env`. Refuses (KernelError) anything it cannot bound soundly."""
    if isinstance(expr, (int, Fraction)):
        return Interval.point(expr)
    if expr.is_Rational:
        return Interval.point(to_fraction(expr))
    if isinstance(expr, sp.Symbol):
        if expr not in env:
            raise KernelError(f"enclose: no declared range for symbol '{expr}'")
        return env[expr]
    if isinstance(expr, sp.Add):
        out = Interval.point(0)
        for arg in expr.args:
            out = out + enclose(arg, env)
        return out
    if isinstance(expr, sp.Mul):
        out = Interval.point(1)
        for arg in expr.args:
            out = out * enclose(arg, env)
        return out
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
        return enclose(expr.base, env).power(int(expr.exp))
    if isinstance(expr, sp.Abs):
        return abs(enclose(expr.args[0], env))
    if isinstance(expr, (sp.Max, sp.Min)):
        parts = [enclose(a, env) for a in expr.args]
        pick_hi = max if isinstance(expr, sp.Max) else min
        lo = pick_hi(p.lo for p in parts)
        hi = pick_hi(p.hi for p in parts)
        # closed endpoints are the wider (always sound) choice
        return Interval(lo, hi, True, True)
    raise KernelError(f"enclose: cannot bound the expression {expr} (unsupported operation {type(expr).__name__})")
