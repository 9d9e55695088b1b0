"""The input limits of the expression language, in one place, and the checks on a built SymPy tree that enforce
the ones the text alone cannot (nesting that chains of operators build without parentheses, matrix depth, degree and
number of terms once expanded). Each refusal is an `InputError` with a hint."""

from __future__ import annotations

import functools
import math

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

from certify.errors import InputError

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_NUMBER_BITS = 10_000
MAX_ROOT_BITS = 1_000
MAX_DECIMAL_EXPONENT = 1_000
MAX_MATRIX_POWER = 1_000
MAX_MATRIX_DEPTH = 16
MAX_DEGREE = 100        # polynomial degree of an expression (W^101, (k+1)^101 and 101-factor products are refused)
MAX_TERMS = 256         # terms an expression can expand into ((W+K)^9 = 512 terms is refused, (W+K)^8 is not)


def check_tree(expr: sp.Basic, column: int | None) -> None:
    """Refuse a built expression that nests too deeply or could expand too far (`column` is where it starts)."""
    if _tree_depth(expr) > MAX_DEPTH:  # e.g. from a long chain A∘B*C∘D*... that nests without parentheses
        raise InputError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", column=column,
                         hint="shorten chains that alternate operators, such as A∘B*C∘D*..., which nest one "
                         "level per operator")
    if _matrix_depth(expr) > MAX_MATRIX_DEPTH:
        raise InputError(f"matrix expression nested too deeply (more than {MAX_MATRIX_DEPTH} levels of matrix "
                         "operations)", column=column,
                         hint="SymPy's simplification of nested matrix sums and products takes time exponential "
                         "in their depth; write the expression with less nesting, e.g. expand k*(A + k*(B + ...))")
    _check_size(expr, column)


def _check_size(expr: sp.Basic, column: int | None) -> None:
    """Refuse, before anything expands it, an expression whose expansion into a sum of monomials could be too large:
    its polynomial degree over MAX_DEGREE or its number of terms over MAX_TERMS (upper bounds computed from the tree,
    without expanding: a power (a + b)^e of t terms gives at most t^e terms, or C(t + e - 1, e) when commutative)."""
    degree, terms = _size(expr)
    if degree > MAX_DEGREE:
        raise InputError(f"expression of too high a degree: its polynomial degree is over the limit of {MAX_DEGREE}",
                         column=column,
                         hint="lower the powers and the number of factors in products (W^3 is degree 3)")
    if terms > MAX_TERMS:
        raise InputError(f"expression too large once expanded: it could have more terms than the limit of {MAX_TERMS}",
                         column=column, hint="powers and products of sums multiply their numbers of terms, e.g. "
                         "(W + K)^9 has 512; use smaller powers or fewer terms in the sums")


_PRODUCTS = (sp.Mul, sp.MatMul, HadamardProduct, sp.KroneckerProduct)
_SUMS = (sp.Add, sp.MatAdd)


@functools.lru_cache(maxsize=4096)
def _size(expr: sp.Basic) -> tuple[int, int]:
    """(degree, terms): upper bounds on the polynomial degree and on the number of monomials of `expr` expanded.
    The result saturates just above the limits, so that huge exponents cost nothing to bound."""
    cap_d, cap_t = MAX_DEGREE + 1, MAX_TERMS + 1
    if not expr.args or isinstance(expr, (sp.MatrixSymbol, sp.Symbol)):
        return (0, 1) if (getattr(expr, "is_number", False) or isinstance(expr, (sp.Identity, sp.ZeroMatrix))) \
            else (1, 1)
    if isinstance(expr, (sp.Pow, sp.MatPow, HadamardPower)):
        base, e = expr.args
        if not (isinstance(e, sp.Integer)):
            return (1, 1)                   # a root or a symbolic power: one opaque factor (sqrt stays as it is)
        d, t = _size(base)
        k = abs(int(e))
        if d == 0 or k == 0:
            return (0, 1)
        degree = min(cap_d, d * k) if k < cap_d else cap_d
        if t == 1:
            return degree, 1
        if k >= cap_t:
            return degree, cap_t
        commutative = isinstance(expr, (sp.Pow, HadamardPower))
        terms = math.comb(t + k - 1, k) if commutative else t ** k
        return degree, min(cap_t, terms)
    sizes = [_size(a) for a in expr.args if isinstance(a, sp.Basic) and not isinstance(a, sp.Lambda)]
    if not sizes:
        return (1, 1)
    if isinstance(expr, _SUMS):
        return max(d for d, _ in sizes), min(cap_t, sum(t for _, t in sizes))
    if isinstance(expr, _PRODUCTS):
        terms = 1
        for _, t in sizes:
            terms = min(cap_t, terms * t)
        return min(cap_d, sum(d for d, _ in sizes)), terms
    if isinstance(expr, sp.Function) or isinstance(expr, ElementwiseApplyFunction):
        return 1, 1                         # tanh(x), exp(x): one opaque factor
    # transpose, diag, sym, ...: linear in their argument(s)
    return max(d for d, _ in sizes), min(cap_t, sum(t for _, t in sizes))


@functools.lru_cache(maxsize=8192)
def _tree_depth(expr: sp.Basic) -> int:
    return 1 + max((_tree_depth(arg) for arg in expr.args), default=0)


@functools.lru_cache(maxsize=8192)
def _matrix_depth(expr: sp.Basic) -> int:
    """Levels of matrix-valued nodes: SymPy's MatMul/MatAdd simplification (and MatMul.shape) cost 2^depth."""
    if not getattr(expr, "is_Matrix", False):
        return 0
    return 1 + max((_matrix_depth(arg) for arg in expr.args), default=0)
