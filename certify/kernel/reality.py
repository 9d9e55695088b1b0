"""Reality of expressions (TRUSTED): every value the kernel reasons about must be a real number or a real matrix.

The lemmas are theorems about real matrices: A Aᵀ is positive semidefinite only for real A, sym(S) = 0 only
for real S, and so on. SymPy's arithmetic is that of complex numbers -- sqrt(g)·sqrt(g) is g for every g,
including g < 0, where sqrt(g) is imaginary -- so an instantiation such as A = sqrt(g)·r with g < 0, or
A = I·r with SymPy's imaginary unit I, normalises to the same polynomial as a real one. This module decides,
from the expression tree and the declared ranges alone, that an expression is real for every admissible value
of its symbols, and refuses everything it cannot show real.

Real by construction (the allow-list; anything else is refused):
  - rational numbers; the positive integer n; declared real scalar symbols (the parameters, with their ranges);
  - matrix symbols (W, activity vectors, declared matrices: real by the rule's semantics), identity and zero
    matrices;
  - sums, products, transposes, Hadamard products, diag(·), matrix powers with integer exponents, inverses
    (the inverse of a real invertible matrix is real), element-wise powers with non-negative integer
    exponents, element-wise activations of real arguments;
  - abs, max, min, exp and tanh of real scalars; the registered activation functions of real scalars;
  - b^k with integer k (b ≠ 0 over the declared ranges when k < 0);
  - b^(p/q) with a non-integer rational exponent only when the scalar b is ≥ 0 (> 0 for a negative exponent)
    over the declared ranges, decided by exact interval arithmetic (intervals.enclose).
Refused: the imaginary unit, non-real or non-finite numbers, floats (not exact), symbols without a declared
range or declared real, and every other function or operation.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalMatrix, DiagonalOf
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

from .errors import KernelError
from .activations import ACTIVATIONS
from .intervals import Interval, enclose, to_fraction

_STRUCTURAL = (sp.Add, sp.Mul, sp.MatAdd, sp.MatMul, sp.Transpose, HadamardProduct, DiagMatrix, DiagonalMatrix,
               DiagonalOf, sp.Inverse, sp.Abs, sp.Max, sp.Min, sp.exp, sp.tanh, sp.Trace)
_ATOMS = (sp.MatrixSymbol, sp.Identity, sp.ZeroMatrix, sp.OneMatrix)
_SCALAR_FUNCTIONS = tuple(a.sympy for a in ACTIVATIONS.values())


class NotReal(KernelError):
    """`require_real` refused an expression; `node` is the offending sub-expression."""

    def __init__(self, message: str, node: object):
        super().__init__(message)
        self.node = node


def _is_elementwise_activation(node: sp.Basic) -> bool:
    # deferred: SymPy is loaded only when this runs
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
    if not isinstance(node, ElementwiseApplyFunction):
        return False
    func = node.function
    if isinstance(func, sp.Lambda) and len(func.variables) == 1:
        body = func.expr
        return isinstance(body, sp.Function) and body.args == func.variables and \
            any(body.func == f for f in _SCALAR_FUNCTIONS)
    return any(func == f for f in _SCALAR_FUNCTIONS)


def _enclosure(base: sp.Basic, env: dict | None, what: str) -> Interval:
    if env is None:
        if base.is_Rational:
            return Interval.point(to_fraction(base))
        raise NotReal(f"require_real: cannot decide the sign of {base} in {what} without declared ranges", base)
    try:
        return enclose(base, env)
    except KernelError as err:
        raise NotReal(f"require_real: cannot bound {base} in {what}: {err}", base) from None


def require_real(expr: object, env: dict | None, what: str) -> None:
    """Raise NotReal (a KernelError) unless `expr` is real for every value of its symbols in `env` (symbol ->
    Interval, the declared ranges; None: no ranges known, so only sign-free expressions pass)."""
    if isinstance(expr, (int, str)) or expr is None:
        return
    if not isinstance(expr, sp.Basic):
        raise NotReal(f"require_real: {what} is not an expression ({type(expr).__name__})", expr)
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, sp.Symbol):
            if node.is_real is not True:
                raise NotReal(f"require_real: the symbol {node} in {what} is not declared real", node)
            if env is not None and node not in env:
                raise NotReal(f"require_real: the symbol {node} in {what} has no declared range", node)
            continue
        if isinstance(node, sp.Number):
            if not node.is_Rational:
                raise NotReal(f"require_real: the number {node} in {what} is not an exact finite rational", node)
            continue
        if isinstance(node, _ATOMS):
            continue                       # their shape arguments (n) are positive integers
        if node is sp.I or isinstance(node, sp.core.numbers.ImaginaryUnit):
            raise NotReal(f"require_real: {what} contains the imaginary unit I", node)
        if isinstance(node, sp.Pow):
            base, e = node.args
            if not e.is_Rational:
                raise NotReal(f"require_real: the exponent {e} in {what} is not a rational number", node)
            if e.is_Integer:
                if e < 0 and env is not None:
                    iv = _enclosure(base, env, what)
                    if not (iv.is_positive() or iv.is_negative()):
                        raise NotReal(f"require_real: {base} can be 0 over the declared ranges ({iv}) and is "
                                      f"raised to the power {e} in {what}", node)
                stack.append(base)
                continue
            iv = _enclosure(base, env, what)
            if not (iv.is_positive() if e < 0 else iv.is_nonneg()):
                raise NotReal(f"require_real: {node} in {what} is not real for every admissible value: its base "
                              f"{base} ranges over {iv}", node)
            stack.append(base)
            continue
        if isinstance(node, HadamardPower):
            if not (node.exp.is_Integer and node.exp >= 0):
                raise NotReal(f"require_real: the element-wise power {node} in {what} needs a non-negative integer "
                              "exponent", node)
            stack.append(node.base)
            continue
        if isinstance(node, sp.MatPow):
            if not (node.exp.is_Integer and node.exp >= 0):
                raise NotReal(f"require_real: the matrix power {node} in {what} needs a non-negative integer "
                              "exponent", node)
            stack.append(node.base)
            continue
        if isinstance(node, _STRUCTURAL) or _is_elementwise_activation(node) or \
                (isinstance(node, sp.Function) and any(node.func == f for f in _SCALAR_FUNCTIONS)):
            if _is_elementwise_activation(node):
                stack.append(node.expr)
            else:
                stack.extend(a for a in node.args if isinstance(a, sp.Basic))
            continue
        raise NotReal(f"require_real: {what} contains {node} ({type(node).__name__}), which is not known to be "
                      "real", node)


__all__ = ["require_real", "NotReal"]
