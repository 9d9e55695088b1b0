"""Parameter grids: `--param NAME=LO:HI:COUNT` (or `NAME=v1,v2,...`) read as exact rationals, never evaluated.

    spec = parse_param("k=0:1/2:3")          # ParamSpec('k', (0, 1/4, 1/2))
    grid = Grid((spec, parse_param("gamma=1,2")))
    grid.points()                            # [Point(0, (('k', 0), ('gamma', 1))), Point(1, ...), ...]

Values are `fractions.Fraction`: LO + i (HI - LO) / (COUNT - 1) for i = 0 .. COUNT-1, so 0:1:3 is exactly 0, 1/2, 1.
Numbers are integers, decimals (`0.05`, `1e-3`) or fractions (`1/3`), ASCII digits only; a point fixes the
parameter to that exact value in the rule file (`Grid.check_declared` says which names the rule declares). The
first parameter varies slowest: point i of a 3 x 2 grid is (first[i // 2], second[i % 2]).
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

from certify.errors import InputError
from certify.lang.ranges import Range

MAX_COUNT = 10_000            # values of one parameter
MAX_POINTS = 1_000_000        # points of a grid
MAX_DIGITS = 60               # digits of a number (as in rule files)

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$", re.ASCII)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/\d+)?$", re.ASCII)
_COUNT = re.compile(r"^\d+$", re.ASCII)

FORMAT_HINT = "write NAME=LO:HI:COUNT (e.g. k=0:2:40) or NAME=v1,v2,... (e.g. gamma=1/2,1,2)"


def number_text(x: Fraction) -> str:
    """The exact text of a value, as rule files read it: '3', '-1/2'."""
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def parse_number(text: str, what: str) -> Fraction:
    """An exact rational from '2', '-0.5', '1e-3' or '1/3' (never evaluated); InputError otherwise."""
    t = text.strip()
    if not _NUMBER.match(t):
        raise InputError(f"{what}: {text!r} is not a number", symbol=text,
                         hint="numbers are integers, decimals or fractions such as 1/3 (ASCII digits only)")
    if len(re.sub(r"\D", "", t)) > MAX_DIGITS:
        raise InputError(f"{what}: {text!r} has more than {MAX_DIGITS} digits", symbol=text,
                         hint="write a shorter number")
    exponent = re.search(r"[eE]([+-]?\d+)", t)
    if exponent and abs(int(exponent.group(1))) > MAX_DIGITS:
        raise InputError(f"{what}: the exponent of {text!r} is out of range (at most {MAX_DIGITS})", symbol=text,
                         hint="write a number between 1e-60 and 1e60")
    try:
        return Fraction(t)
    except ZeroDivisionError:
        raise InputError(f"{what}: {text!r} has a zero denominator", symbol=text, hint="write e.g. 1/3") from None


@dataclass(frozen=True)
class ParamSpec:
    """One swept parameter: its name, its values (exact, in order) and the text it was given as."""

    name: str
    values: tuple[Fraction, ...]
    text: str = ""

    @property
    def count(self) -> int:
        return len(self.values)


def parse_param(text: str) -> ParamSpec:
    """'NAME=LO:HI:COUNT' or 'NAME=v1,v2,...' -> ParamSpec; InputError with the reason and the format."""
    if not isinstance(text, str) or "=" not in text:
        raise InputError(f"--param {text!r}: expected NAME=LO:HI:COUNT", symbol=str(text), hint=FORMAT_HINT)
    name, _, body = text.partition("=")
    name, body = name.strip(), body.strip()
    if not _NAME.match(name):
        raise InputError(f"--param {text!r}: {name!r} is not a parameter name", symbol=name,
                         hint="a name starts with a letter, then letters, digits or _; " + FORMAT_HINT)
    what = f"--param {name}"
    if ":" in body:
        parts = body.split(":")
        if len(parts) != 3:
            raise InputError(f"{what}: {body!r} has {len(parts)} parts; LO:HI:COUNT has 3", symbol=name,
                             hint=FORMAT_HINT)
        lo, hi = parse_number(parts[0], what), parse_number(parts[1], what)
        count_text = parts[2].strip()
        if not _COUNT.match(count_text):
            raise InputError(f"{what}: the count {parts[2]!r} is not a positive whole number", symbol=name,
                             hint=FORMAT_HINT)
        count = int(count_text[:12])
        if count < 1 or count > MAX_COUNT:
            raise InputError(f"{what}: the count {count_text} is not between 1 and {MAX_COUNT}", symbol=name,
                             hint=FORMAT_HINT)
        if hi < lo:
            raise InputError(f"{what}: LO {parts[0].strip()} is above HI {parts[1].strip()}", symbol=name,
                             hint="give the lower end first, e.g. k=0:2:40")
        if count == 1:
            if lo != hi:
                raise InputError(f"{what}: one point between {parts[0].strip()} and {parts[1].strip()} is "
                                 "ambiguous", symbol=name, hint=f"write {name}=LO:LO:1 or a count of at least 2")
            values: tuple[Fraction, ...] = (lo,)
        else:
            if lo == hi:
                raise InputError(f"{what}: {count} points of the empty span {parts[0].strip()}:{parts[1].strip()} "
                                 "repeat one value", symbol=name, hint=f"write {name}={parts[0].strip()}")
            step = (hi - lo) / (count - 1)
            values = tuple(lo + i * step for i in range(count))
    else:
        items = [s for s in body.split(",")]
        if not body or any(not s.strip() for s in items):
            raise InputError(f"{what}: no value given" if not body else f"{what}: an empty value in {body!r}",
                             symbol=name, hint=FORMAT_HINT)
        if len(items) > MAX_COUNT:
            raise InputError(f"{what}: {len(items)} values; at most {MAX_COUNT}", symbol=name, hint=FORMAT_HINT)
        values = tuple(parse_number(s, what) for s in items)
        if len(set(values)) != len(values):
            raise InputError(f"{what}: a value is listed twice in {body!r}", symbol=name,
                             hint="list each value once")
    return ParamSpec(name, values, text)


@dataclass(frozen=True)
class Point:
    """One point of a grid: its index in grid order and the value of each swept parameter."""

    index: int
    values: tuple[tuple[str, Fraction], ...]

    @property
    def params(self) -> dict[str, Fraction]:
        return dict(self.values)

    def label(self) -> str:
        return ", ".join(f"{k} = {number_text(v)}" for k, v in self.values)

    def texts(self) -> dict[str, str]:
        return {k: number_text(v) for k, v in self.values}


@dataclass(frozen=True)
class Grid:
    specs: tuple[ParamSpec, ...]

    def __post_init__(self) -> None:
        if not self.specs:
            raise InputError("a sweep needs at least one --param", hint=FORMAT_HINT)
        names = [s.name for s in self.specs]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise InputError(f"--param {dup} is given twice", symbol=dup, hint="give each parameter once")
        if self.size > MAX_POINTS:
            raise InputError(f"the grid has {self.size} points; at most {MAX_POINTS} are swept", hint="use fewer "
                             "values per parameter, or split the sweep into several runs")

    @staticmethod
    def parse(texts: Iterable[str]) -> "Grid":
        return Grid(tuple(parse_param(t) for t in texts))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.specs)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(s.count for s in self.specs)

    @property
    def size(self) -> int:
        n = 1
        for s in self.specs:
            n *= s.count
        return n

    def points(self) -> list[Point]:
        combos = itertools.product(*(s.values for s in self.specs))
        return [Point(i, tuple(zip(self.names, combo))) for i, combo in enumerate(combos)]

    def describe(self) -> list[list]:
        """[[name, [exact values as text]], ...] in grid order: what the sweep's manifest records (resume compares
        it; the order matters, since it gives each point its index)."""
        return [[s.name, [number_text(v) for v in s.values]] for s in self.specs]

    def check_declared(self, declared: Mapping[str, object], file: str | None = None) -> None:
        """Every swept name is a parameter the rule declares, and every value lies in its declared range
        (`declared`: name -> kernel Interval). InputError naming the parameter and the declared ones."""
        for spec in self.specs:
            if spec.name not in declared:
                names = ", ".join(sorted(declared)) or "none"
                raise InputError(f"--param {spec.name}: the rule declares no parameter '{spec.name}' "
                                 f"(declared parameters: {names})", file=file, symbol=spec.name,
                                 hint=_suggest(spec.name, sorted(declared))
                                 or "sweep a name declared under [parameters]")
            interval = declared[spec.name]
            outside = [v for v in spec.values if not interval.contains(v)]
            if outside:
                raise InputError(f"--param {spec.name}: the value {number_text(outside[0])} lies outside the range "
                                 f"{_range_text(interval)} declared for '{spec.name}'", file=file, symbol=spec.name,
                                 hint="sweep values inside the declared range, or widen it under [parameters]")


def _suggest(name: str, names: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(name, names, n=1)
    return f"did you mean '{close[0]}'?" if close else None


def _range_text(interval) -> str:
    return Range(interval).text()


__all__ = ["ParamSpec", "Point", "Grid", "parse_param", "parse_number", "number_text", "MAX_POINTS", "MAX_COUNT"]
