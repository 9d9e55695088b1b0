"""Numbers and ranges as rule files write them: exact numbers (integers, decimals, fractions; never evaluated),
scalar ranges ('>= 0', '[lo, hi]', 'real', ...) and the canonical text of inline matrices and vectors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from certify.kernel.intervals import INF, Interval

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/\d+)?$", re.ASCII)   # ASCII digits only, as in dW
_RELATION = re.compile(r"^\s*(>=|>|<=|<)\s*(\S+)\s*$")
_BRACKETS = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^\])\s]+)\s*([\])])\s*$")


@dataclass(frozen=True)
class Range:
    """A scalar range as declared: the interval plus the text it was written as (canonicalised)."""

    interval: Interval

    def text(self) -> str:
        iv = self.interval
        lo = None if iv.lo == -INF else iv.lo
        hi = None if iv.hi == INF else iv.hi
        if lo is not None and hi is not None and lo == hi:
            return _fmt(lo)
        if hi is None and lo is None:
            return "real"
        if hi is None:
            return f"{'>=' if iv.lo_closed else '>'} {_fmt(lo)}"
        if lo is None:
            return f"{'<=' if iv.hi_closed else '<'} {_fmt(hi)}"
        return f"{'[' if iv.lo_closed else '('}{_fmt(lo)}, {_fmt(hi)}{']' if iv.hi_closed else ')'}"


def _fmt(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def matrix_text(rows: Any) -> str:
    """Canonical text of a rectangular matrix of exact numbers: '[[0, 1/2], [1, 0]]'."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) and r for r in rows):
        raise ValueError("a matrix is a non-empty list of non-empty rows")
    if any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("rows have different lengths")
    return "[" + ", ".join("[" + ", ".join(_fmt(_number(x)) for x in r) + "]" for r in rows) + "]"


def vector_text(values: Any) -> str:
    """Canonical text of a non-empty vector of exact numbers: '[1, -1/2, 0]'."""
    if not isinstance(values, list) or not values or any(isinstance(v, list) for v in values):
        raise ValueError("a vector is a non-empty list of numbers")
    return "[" + ", ".join(_fmt(_number(x)) for x in values) + "]"


def parse_vector_text(text: str) -> list[Fraction]:
    """Read '[1, -1/2, 0]' without evaluating anything."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")) or "[" in body[1:-1] or "]" in body[1:-1]:
        raise ValueError("an inline vector is [a, b, ...]")
    return [_number(tok.strip()) for tok in body[1:-1].split(",")]


def parse_matrix_text(text: str) -> list[list[Fraction]]:
    """Read '[[0, 1/2], [1, 0]]' (numbers: integers, decimals, fractions) without evaluating anything."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        raise ValueError("an inline matrix starts with '[[' and ends with ']]'")
    rows = re.findall(r"\[([^\[\]]*)\]", body[1:-1])
    if not rows or re.sub(r"\[[^\[\]]*\]", "", body[1:-1]).strip(" ,") != "":
        raise ValueError("an inline matrix is a list of rows [a, b, ...] separated by commas")
    return [[_number(tok.strip()) for tok in row.split(",")] for row in rows]


def parse_range(value: Any) -> Interval:
    """'>= 0', '> 0', '<= 1', '< 1', a number, '[lo, hi]', '(lo, hi]', 'real', or a TOML list [lo, hi]."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a range")
    if isinstance(value, (int, float)):
        x = _number(value)
        return Interval(x, x)
    if isinstance(value, list):
        if len(value) != 2 or any(isinstance(v, (bool, str)) or not isinstance(v, (int, float)) for v in value):
            raise ValueError("a list range must be two numbers [lo, hi]")
        lo, hi = _number(value[0]), _number(value[1])
        if lo > hi:
            raise ValueError(f"empty range: lower end {value[0]} is above upper end {value[1]}")
        return Interval(lo, hi)
    if not isinstance(value, str):
        raise ValueError(f"unsupported range {value!r}")
    text = value.strip()
    if text in ("real", "any"):
        return Interval.everything()
    if _NUMBER.match(text):
        x = _number(text)
        return Interval(x, x)
    m = _RELATION.match(text)
    if m:
        op, num = m.groups()
        x = _number(num)
        if op in (">=", ">"):
            return Interval(x, INF, op == ">=", False)
        return Interval(-INF, x, False, op == "<=")
    m = _BRACKETS.match(text)
    if m:
        left, lo_t, hi_t, right = m.groups()
        lo = -INF if lo_t in ("-inf", "-oo") else _number(lo_t)
        hi = INF if hi_t in ("inf", "oo", "+inf") else _number(hi_t)
        if lo > hi or (lo == hi and (left == "(" or right == ")")):
            raise ValueError(f"empty range {text}")
        return Interval(lo, hi, left == "[", right == "]")
    raise ValueError(f"cannot read the range {value!r}")


MAX_NUMBER_DIGITS = 60  # decimal digits allowed in the numbers of a range (and in their exponents)


def _number(x: Any) -> Fraction:
    if isinstance(x, float):
        if x != x or x in (INF, -INF):
            raise ValueError("NaN and infinity are not allowed as numbers")
        value = Fraction(repr(x))
    elif isinstance(x, (int, Fraction)) and not isinstance(x, bool):
        value = Fraction(x)
    elif isinstance(x, str) and _NUMBER.match(x.strip()):
        text = x.strip()
        exponent = re.search(r"[eE]([+-]?\d+)", text)
        if exponent and abs(int(exponent.group(1)[:8])) > MAX_NUMBER_DIGITS:
            raise ValueError(f"the exponent of {text} is out of range (at most {MAX_NUMBER_DIGITS})")
        try:
            value = Fraction(text)
        except ZeroDivisionError:
            raise ValueError(f"{text} has a zero denominator") from None
    else:
        raise ValueError(f"{x!r} is not a number")
    if max(abs(value.numerator), value.denominator).bit_length() > 4 * MAX_NUMBER_DIGITS:
        raise ValueError(f"{x!r} has too many digits or is too large or too small: numbers in rule files have "
                         f"at most about {MAX_NUMBER_DIGITS} digits (so 1e-60 to 1e60 in size)")
    return value
