"""The normal form of parsed expressions, and element-wise activations built with one fixed bound variable, so that
equal texts give equal (``==``) SymPy objects."""

from __future__ import annotations

import functools

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from certify.kernel.activations import ACTIVATIONS

_ELEMENTWISE_VAR = sp.Symbol("_d")  # the bound variable of every element-wise activation (fixed, so == works)


def apply_activation(name: str, arg: sp.Basic) -> sp.Basic:
    """The activation `name` applied to a scalar, or element-wise to a vector, exactly as the parser builds it.

    On a vector this is ``ElementwiseApplyFunction(Lambda(d, f(d)), v)`` with one fixed bound variable ``d``, so
    that two applications compare equal (SymPy would otherwise pick a fresh ``Dummy`` each time).
    """
    act = ACTIVATIONS[name]
    if not getattr(arg, "is_Matrix", False):
        return act.sympy(arg)
    return ElementwiseApplyFunction(sp.Lambda(_ELEMENTWISE_VAR, act.sympy(_ELEMENTWISE_VAR)), arg)


def canonical(expr: sp.Basic) -> sp.Basic:
    """The normal form of an expression: every node, bottom-up, simplified by its own evaluation.

    SymPy's operators return such forms mostly, but not always: ``-(r - u)`` distributes the sign and leaves
    ``MatAdd(u, -r)`` (``u - r`` gives ``MatAdd(-r, u)``: they print alike but are not ``==``), ``0*(W + K)``
    leaves ``MatAdd(0, 0)``, ``DiagMatrix`` and ``ElementwiseApplyFunction`` never simplify their argument, and
    ``sqrt(sqrt(4/3))`` leaves a product nested in a product. The parser applies this to every value it builds,
    so that equal texts give equal objects; apply it to expressions built elsewhere before comparing them with
    parsed ones.
    """
    if getattr(expr, "is_Matrix", False):
        return _canonical_matrix(expr)
    return _canonical_scalar(expr)


_CANONICAL_ROUNDS = 16


@functools.lru_cache(maxsize=4096)
def _canonical_matrix(expr: sp.Basic) -> sp.Basic:
    for _ in range(_CANONICAL_ROUNDS):
        if not expr.args or isinstance(expr, (sp.MatrixSymbol, sp.Identity, sp.ZeroMatrix)):
            return expr
        args = tuple(canonical(arg) if isinstance(arg, sp.Expr) else arg for arg in expr.args)
        rebuilt = expr if args == expr.args else expr.func(*args)
        simplified = rebuilt.doit(deep=False)
        if simplified == rebuilt:
            return rebuilt
        expr = simplified
    raise ValueError(f"no normal form found for {expr} in {_CANONICAL_ROUNDS} rounds")


@functools.lru_cache(maxsize=4096)
def _canonical_scalar(expr: sp.Basic) -> sp.Basic:
    if not expr.args or not isinstance(expr, sp.Expr) or isinstance(expr, sp.Lambda):
        return expr
    for _ in range(_CANONICAL_ROUNDS):
        args = tuple(_canonical_scalar(arg) for arg in expr.args)
        nested = isinstance(expr, (sp.Add, sp.Mul)) and any(isinstance(arg, expr.func) for arg in args)
        if args == expr.args and not nested:
            return expr
        rebuilt = expr.func(*args)  # evaluated: flattens a product nested in a product
        if rebuilt == expr or not rebuilt.args:
            return rebuilt
        expr = rebuilt
    raise ValueError(f"no normal form found for {expr} in {_CANONICAL_ROUNDS} rounds")
