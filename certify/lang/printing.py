"""SymPy objects back to the text of the rule grammar: `format_expression` (canonical, read back by
`certify.lang.parse.parse_expression` as the same object) and `show` (for people, anything at all)."""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

from certify.kernel.activations import ACTIVATIONS, Activation, activation_by_sympy
from certify.lang.limits import MAX_LENGTH
from certify.lang.symbols import COVECTOR, N, NAME_RE, RESERVED, VECTOR, W, shape_of

_SUM, _PRODUCT, _UNARY, _POWER, _POSTFIX, _ATOM = range(1, 7)


def format_expression(expr: sp.Basic) -> str:
    """Canonical text of `expr` in the expression grammar; `parse_expression` reads it back as the same object.

    Raises ValueError for objects outside the language (e.g. floats, unknown functions or symbols with other
    assumptions than the parser gives them).
    """
    return _format(expr)[0]



def format_factor(expr: sp.Basic) -> str:
    """`format_expression(expr)`, in parentheses where it could not stand as a factor of a product."""
    return _wrap(expr, _PRODUCT)


def _wrap(expr: sp.Basic, minimum: int) -> str:
    text, precedence = _format(expr)
    return text if precedence >= minimum else f"({text})"


def _format(expr: sp.Basic) -> tuple[str, int]:
    if getattr(expr, "is_Matrix", False):
        return _format_matrix(expr)
    return _format_scalar(expr)


def _format_scalar(expr: sp.Basic) -> tuple[str, int]:
    if isinstance(expr, sp.Integer):
        return (str(expr.p), _ATOM) if expr.p >= 0 else (f"-{-expr.p}", _UNARY)
    if isinstance(expr, sp.Rational):
        return f"{'-' if expr.p < 0 else ''}{abs(expr.p)}/{expr.q}", _PRODUCT
    if expr is sp.E:
        return "exp(1)", _ATOM
    if isinstance(expr, sp.Symbol):
        if expr == N:
            return "n", _ATOM
        if NAME_RE.fullmatch(expr.name) and expr.name not in RESERVED and expr == sp.Symbol(expr.name, real=True):
            return expr.name, _ATOM
        raise ValueError(f"symbol {expr.name!r} is not a parameter of the expression language (parameters are "
                         "Symbol(name, real=True) with a valid name)")
    if isinstance(expr, sp.Add):
        return _join_sum(expr.as_ordered_terms())
    if isinstance(expr, sp.Mul):
        return _format_mul(expr)
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent.is_Integer and exponent < 0:
            return _format_mul(expr)
        if exponent == sp.S.Half:
            return f"sqrt({_format(base)[0]})", _ATOM
        return f"{_wrap(base, _POSTFIX)}^{_wrap(exponent, _UNARY)}", _POWER
    if isinstance(expr, sp.exp):
        return f"exp({_format(expr.args[0])[0]})", _ATOM
    if isinstance(expr, sp.Function) and len(expr.args) == 1:
        for act in ACTIVATIONS.values():
            if expr.func == act.sympy:
                return f"{act.name}({_format(expr.args[0])[0]})", _ATOM
    raise ValueError(f"{type(expr).__name__} {expr} is not part of the expression language")


def _join_sum(terms: list[sp.Basic]) -> tuple[str, int]:
    texts = [_wrap(term, _PRODUCT) for term in terms]
    texts.sort(key=lambda text: text.startswith("-"))  # stable: positive terms first, for reading
    parts = []
    for index, text in enumerate(texts):
        if index == 0:
            parts.append(text)
        elif text.startswith("-"):
            parts.append(f" - {text[1:]}")
        else:
            parts.append(f" + {text}")
    return "".join(parts), _SUM


def _format_mul(expr: sp.Expr) -> tuple[str, int]:
    """A product c*f1*...*fk, written so that reading it left to right rebuilds the same Mul.

    SymPy distributes a rational number over a sum when the two meet alone (2*(a + b) is 2*a + 2*b), so the
    number is first multiplied with the other factors and sums come last ("-1/g*(g + k)", "2*((a + b)*(c + d))").
    Each divisor is its own "/", so no power of a product needs to be split.
    """
    coeff, factors = expr.as_coeff_mul()
    if not isinstance(coeff, sp.Rational):
        raise ValueError(f"coefficient {coeff} of {expr} is not a rational number")
    plain: list[str] = []
    sums: list[str] = []
    divisors: list[str] = []
    for factor in factors:
        if isinstance(factor, sp.Pow) and factor.exp.is_Integer and factor.exp < 0:
            divisors.append(_wrap(sp.Pow(factor.base, -factor.exp), _POWER))
        elif isinstance(factor, sp.Add):
            sums.append(f"({_format(factor)[0]})")
        else:
            plain.append(_wrap(factor, _POWER))
    p, q = abs(coeff.p), coeff.q
    sign = "-" if coeff.p < 0 else ""
    if not plain and not divisors and p == 1 and q == 1:  # ±(a + b)*(c + d)*...
        body = "*".join(sums)
        return (f"-({body})", _UNARY) if sign else (body, _PRODUCT)
    head = ([str(p)] if p != 1 or not plain else []) + plain
    divisors = ([str(q)] if q != 1 else []) + divisors
    text = sign + "*".join(head) + "".join(f"/{d}" for d in divisors)
    if sums:
        rational_head = not plain and len(divisors) == (1 if q != 1 else 0)
        text += f"*({'*'.join(sums)})" if rational_head else "*" + "*".join(sums)
    if len(head) == 1 and not divisors and not sums:
        return text, _UNARY if sign else _POWER
    return text, _PRODUCT


def _format_matrix(expr: sp.MatrixExpr) -> tuple[str, int]:
    if isinstance(expr, sp.MatrixSymbol):
        name = expr.name
        if expr == W:
            return "W", _ATOM
        if NAME_RE.fullmatch(name) and name not in RESERVED and expr.shape in ((N, N), (N, 1)):
            return name, _ATOM
        raise ValueError(f"matrix symbol {name!r} of shape {expr.shape} is not part of the expression language")
    if isinstance(expr, sp.Identity):
        if expr.shape == (N, N):
            return "I", _ATOM
    elif isinstance(expr, sp.ZeroMatrix):
        rows, cols = expr.shape
        if rows in (N, 1) and cols in (N, 1) and (rows, cols) != (1, 1):
            return f"zeros({_format(rows)[0]}, {_format(cols)[0]})", _ATOM
    elif isinstance(expr, sp.MatAdd):
        return _join_sum(list(expr.args))
    elif isinstance(expr, sp.MatMul):
        return _format_matmul(expr)
    elif isinstance(expr, sp.MatPow):
        base, exponent = expr.args
        if exponent.is_Integer and exponent > 0:
            return f"{_wrap(base, _POSTFIX)}^{exponent}", _POWER
    elif isinstance(expr, sp.Transpose):
        return f"{_wrap(expr.arg, _POSTFIX)}.T", _POSTFIX
    elif isinstance(expr, HadamardProduct):
        return f"hadamard({', '.join(_format(arg)[0] for arg in expr.args)})", _ATOM
    elif isinstance(expr, HadamardPower):
        base, exponent = expr.args
        if exponent.is_Integer and 2 <= exponent <= MAX_LENGTH:
            return f"hadamard({', '.join([_format(base)[0]] * int(exponent))})", _ATOM
    elif isinstance(expr, DiagMatrix):
        if shape_of(expr.args[0]) == VECTOR:
            return f"diag({_format(expr.args[0])[0]})", _ATOM
    elif isinstance(expr, ElementwiseApplyFunction):
        act: Activation | None = activation_by_sympy(expr.function)
        if act is not None:
            shape = shape_of(expr.expr)
            if shape == VECTOR:
                return f"{act.name}({_format(expr.expr)[0]})", _ATOM
            if shape == COVECTOR:
                return f"{act.name}({_format(sp.transpose(expr.expr).doit())[0]}).T", _POSTFIX
    raise ValueError(f"{type(expr).__name__} {expr} of shape {expr.shape} is not part of the expression language")


def _format_matmul(expr: sp.MatMul) -> tuple[str, int]:
    coeff, matrices = expr.as_coeff_matrices()
    factors = [_wrap(m, _POWER) for m in matrices]
    if len(matrices) > 2 and shape_of(matrices[0]) == COVECTOR:
        # Left to right, covector * ... * vector would pass through a 1×1 inner product, which the parser
        # rejects: group the rest, which is n-rowed, first.
        factors = [factors[0], f"({'*'.join(factors[1:])})"]
    text = "*".join(factors)
    if coeff == 1:
        return text, _PRODUCT if len(factors) > 1 else _POWER
    if coeff.is_Rational and len(factors) > 1 and isinstance(matrices[0], sp.MatAdd):
        # SymPy distributes a number over a sum it meets alone: -(K + W)*W would read back as (-K - W)*W, while
        # -((K + W)*W) keeps MatMul(-1, K + W, W). A symbolic coefficient (k*(r - u)*...) is not distributed.
        text = f"({text})"
    if coeff == -1:
        return f"-{text}", _PRODUCT if len(factors) > 1 else _UNARY
    return f"{_wrap(coeff, _PRODUCT)}*{text}", _PRODUCT


def show(obj: object) -> str:
    """Print for people: SymPy objects in the rule grammar (SymPy's own printer for what the grammar
    cannot express, e.g. relations), anything else with str()."""
    if isinstance(obj, sp.Basic):
        try:
            return format_expression(obj)
        except Exception:  # display only
            return sp.sstr(obj)
    return str(obj)
