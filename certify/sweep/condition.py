"""The symbolic condition a check reports (e.g. Max(1/4, 2*k/gamma) < 1, from a kernel-checked flow bound) as a
JSON tree, and its value on a grid of floats, for drawing the region's boundary.

    tree = to_tree(relation)        # ["Lt", ["Max", ["Q", 1, 4], ["Mul", ["Q", 2, 1], ...]], ["Q", 1, 1]]
    holds(tree, {"k": Fraction(1, 3), "gamma": Fraction(1)})   # exact: True / False / None (unknown)
    margin(tree, {"k": K, "gamma": G})                         # numpy floats: rhs - lhs (> 0 inside)

The tree is written by certify (never user text) and read back by walking it: nothing is evaluated with eval,
sympify or lambdify. Floats serve only the drawing; a verdict never depends on them. Unknown nodes make
`to_tree` return None (no curve is drawn) rather than guess.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping

_RELATIONS = {"StrictLessThan": "Lt", "LessThan": "Le", "StrictGreaterThan": "Gt", "GreaterThan": "Ge"}
_NARY = {"Add", "Mul", "Max", "Min", "And"}
_UNARY = {"Abs", "exp", "log"}


def to_tree(expr: Any) -> list | None:
    """A SymPy relation or expression as nested lists: ["Q", p, q] for a rational, ["S", name] for a symbol,
    [head, args...] otherwise. None when it contains anything else (floats, unknown functions)."""
    import sympy as sp   # deferred: SymPy loads with the first condition, not with the command line
    try:
        return _tree(expr, sp)
    except _Unknown:
        return None


class _Unknown(Exception):
    pass


def _tree(e: Any, sp) -> list:
    if isinstance(e, sp.Rational):
        return ["Q", int(e.p), int(e.q)]
    if isinstance(e, sp.Symbol):
        return ["S", e.name]
    name = type(e).__name__
    if name in _RELATIONS:
        return [_RELATIONS[name], _tree(e.lhs, sp), _tree(e.rhs, sp)]
    if name in _NARY or name in _UNARY or name == "Pow":
        return [name] + [_tree(a, sp) for a in e.args]
    raise _Unknown(name)


def symbols(tree: list | None) -> set[str]:
    """The names a tree mentions."""
    if not tree:
        return set()
    if tree[0] == "S":
        return {tree[1]}
    if tree[0] == "Q":
        return set()
    return set().union(*(symbols(a) for a in tree[1:]))


def holds(tree: list, values: Mapping[str, Fraction]) -> bool | None:
    """Exactly: does the relation hold at these (rational) values? None when it cannot be decided exactly (a
    function other than Add, Mul, integer Pow, Max, Min, Abs; a missing value; a division by zero)."""
    try:
        if tree[0] == "And":
            results = [holds(a, values) for a in tree[1:]]
            return None if None in results else all(results)
        lhs, rhs = _exact(tree[1], values), _exact(tree[2], values)
    except (_Unknown, ZeroDivisionError, KeyError):
        return None
    return {"Lt": lhs < rhs, "Le": lhs <= rhs, "Gt": lhs > rhs, "Ge": lhs >= rhs}.get(tree[0])


def _exact(t: list, v: Mapping[str, Fraction]) -> Fraction:
    head = t[0]
    if head == "Q":
        return Fraction(t[1], t[2])
    if head == "S":
        return Fraction(v[t[1]])
    args = [_exact(a, v) for a in t[1:]]
    if head == "Add":
        return sum(args, Fraction(0))
    if head == "Mul":
        out = Fraction(1)
        for a in args:
            out *= a
        return out
    if head == "Max":
        return max(args)
    if head == "Min":
        return min(args)
    if head == "Abs":
        return abs(args[0])
    if head == "Pow" and args[1].denominator == 1 and abs(args[1].numerator) <= 64:
        return args[0] ** int(args[1])
    raise _Unknown(head)


def margin(tree: list, values: Mapping[str, Any]):
    """In floats (numpy arrays welcome): rhs - lhs for '<', '<=' and lhs - rhs for '>', '>=', so the relation holds
    where the margin is positive (boundary: margin = 0). For 'And', the smallest margin. Drawing only."""
    import numpy as np   # deferred: only the drawing needs floats
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if tree[0] == "And":
            parts = [margin(a, values) for a in tree[1:]]
            out = parts[0]
            for p in parts[1:]:
                out = np.minimum(out, p)
            return out
        lhs, rhs = _float(tree[1], values, np), _float(tree[2], values, np)
        return rhs - lhs if tree[0] in ("Lt", "Le") else lhs - rhs


def _float(t: list, v: Mapping[str, Any], np):
    head = t[0]
    if head == "Q":
        return t[1] / t[2]
    if head == "S":
        return np.asarray(v[t[1]], dtype=float)
    args = [_float(a, v, np) for a in t[1:]]
    if head == "Add":
        out = args[0]
        for a in args[1:]:
            out = out + a
        return out
    if head == "Mul":
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if head in ("Max", "Min"):
        f = np.maximum if head == "Max" else np.minimum
        out = args[0]
        for a in args[1:]:
            out = f(out, a)
        return out
    if head == "Abs":
        return np.abs(args[0])
    if head == "exp":
        return np.exp(args[0])
    if head == "log":
        return np.log(args[0])
    if head == "Pow":
        return np.power(np.asarray(args[0], dtype=float), args[1])
    raise _Unknown(head)


SHORT_DIGITS = 12   # rationals with more digits are shown rounded (marked ~) by `text`; trees keep them exact


def _reciprocal(t: list) -> bool:
    return t[0] == "Pow" and t[2] == ["Q", -1, 1]


def text(tree: list | None) -> str:
    """A readable rendering of a tree: 'max(1/4, 2*k/gamma) < 1'; a rational of 12 or more digits is shown rounded
    and marked, '~0.25', for reading only (the tree, which the exact checks use, keeps it exact)."""
    if not tree:
        return ""
    head = tree[0]
    if head == "Q":
        if max(abs(tree[1]), tree[2]) >= 10 ** SHORT_DIGITS:   # a long exact rational: its value, rounded
            return f"~{tree[1] / tree[2]!r}"
        return str(tree[1]) if tree[2] == 1 else f"{tree[1]}/{tree[2]}"
    if head == "S":
        return tree[1]
    ops = {"Lt": " < ", "Le": " <= ", "Gt": " > ", "Ge": " >= "}
    if head in ops:
        return text(tree[1]) + ops[head] + text(tree[2])
    if head == "And":
        return " and ".join(f"({text(a)})" for a in tree[1:])
    if head == "Add":
        return "(" + " + ".join(text(a) for a in tree[1:]) + ")"
    if head == "Mul":
        top = [a for a in tree[1:] if not _reciprocal(a)]
        bottom = [a[1] for a in tree[1:] if _reciprocal(a)]
        num = "*".join(text(a) for a in top) or "1"
        if not bottom:
            return num
        den = bottom[0] if len(bottom) == 1 else ["Mul", *bottom]
        den_text = text(den)
        return f"{num}/({den_text})" if den[0] == "Mul" else f"{num}/{den_text}"
    if head == "Pow":
        return f"{text(tree[1])}^({text(tree[2])})"
    return f"{head.lower()}(" + ", ".join(text(a) for a in tree[1:]) + ")"


__all__ = ["to_tree", "holds", "margin", "symbols", "text"]
