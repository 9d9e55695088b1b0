"""Numbers for people: one short, honest rendering of an exact rational, shared by the reports and the reasons
that the decision step writes."""

from __future__ import annotations

from fractions import Fraction


def q(x: Fraction) -> str:
    """A rational for people: exact when short, else a decimal (JSON keeps the exact value)."""
    x = Fraction(x)
    return str(x) if x.denominator <= 10**4 else f"{float(x):.6g}"


__all__ = ["q"]
