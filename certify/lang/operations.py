"""What each operator and function of the expression language builds: the shape rules, the SymPy object (made
`canonical` and checked against the limits), and an `InputError` with a hint (and a likely misspelt declaration)
when the shapes do not fit. `certify.lang.grammar` reads the text and calls these."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import NoReturn

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardProduct

from certify.errors import InputError
from certify.kernel.activations import ACTIVATIONS
from certify.lang.canonical import apply_activation, canonical
from certify.lang.limits import MAX_MATRIX_POWER, MAX_NUMBER_BITS, MAX_ROOT_BITS, check_tree
from certify.lang.printing import format_expression
from certify.lang.symbols import COVECTOR, MATRIX, N, SCALAR, VECTOR, WORDS, Symbols, shape_of
from certify.lang.tokens import Token

_DIMS = {MATRIX: ("n", "n"), VECTOR: ("n", "1"), COVECTOR: ("1", "n")}
_PRODUCT_SHAPE = {(MATRIX, MATRIX): MATRIX, (MATRIX, VECTOR): VECTOR, (COVECTOR, MATRIX): COVECTOR,
                  (VECTOR, COVECTOR): MATRIX}
_UNDECLARED_HINT = ("did you mean '{}'? Names not declared under [parameters] or [matrices] are activity vectors "
                    "of length n.")
_BAD_VALUES = (sp.S.ComplexInfinity, sp.S.NaN, sp.S.Infinity, sp.S.NegativeInfinity, sp.S.ImaginaryUnit)


@dataclass(frozen=True)
class Node:
    """A value being built: its SymPy object, shape, column in the text and the names written in it."""

    expr: sp.Basic
    shape: str
    column: int
    parameters: frozenset[str] = frozenset()
    matrices: frozenset[str] = frozenset()
    vectors: frozenset[str] = frozenset()

    def with_expr(self, expr: sp.Basic, shape: str, *others: "Node", column: int | None = None) -> "Node":
        """A node for `expr` (made `canonical`), built from this node and `others`: their names are its names."""
        nodes = (self, *others)
        column = self.column if column is None else column
        check_tree(expr, column)
        return Node(canonical(expr), shape, column,
                     frozenset().union(*(n.parameters for n in nodes)),
                     frozenset().union(*(n.matrices for n in nodes)),
                     frozenset().union(*(n.vectors for n in nodes)))


class Builder:
    """The operations of the parser, with the declared names that its error messages suggest for misspellings."""

    def __init__(self, symbols: Symbols) -> None:
        self._symbols = symbols
        self._declared = sorted(symbols.parameters | symbols.matrices)
        self._first_column: dict[str, int] = {}  # where each activity-vector name first occurs

    # --- errors

    def _suggest(self, operands: tuple[Node, ...]) -> tuple[str, str] | None:
        """A vector name among `operands` that looks like a misspelt declared parameter or matrix."""
        names = sorted(set().union(*(n.vectors for n in operands)), key=lambda v: self._first_column.get(v, 0))
        for name in names:
            scores = [(difflib.SequenceMatcher(None, name.lower(), declared.lower()).ratio(), declared)
                      for declared in self._declared]
            score, declared = max(scores, default=(0.0, ""))
            if score >= 0.75:  # "gama" ~ "gamma", "Gamma" ~ "gamma", "K" ~ "k"
                return name, declared
        return None

    def _fail(self, message: str, tok: Token, *, hint: str | None = None,
              operands: tuple[Node, ...] = ()) -> NoReturn:
        suggestion = self._suggest(operands)
        if suggestion is not None:
            name, declared = suggestion
            raise InputError(message, column=self._first_column.get(name, tok.column), symbol=name,
                             hint=_UNDECLARED_HINT.format(declared))
        raise InputError(message, column=tok.column, symbol=tok.raw or None, hint=hint)

    # --- operations

    def _check_addable(self, a: Node, b: Node, op: Token, terms: list[Node]) -> None:
        if a.shape != b.shape:
            if op.text == "+":
                message = f"cannot add {WORDS[a.shape]} and {WORDS[b.shape]}"
            else:
                message = f"cannot subtract {WORDS[b.shape]} from {WORDS[a.shape]}"
            shapes = {a.shape, b.shape}
            if shapes == {SCALAR, MATRIX}:
                hint = "to add a multiple of the identity, write c*I"
            elif SCALAR in shapes:
                hint = "adding a scalar to every entry of a vector is not supported; both sides must have one shape"
            elif shapes == {VECTOR, COVECTOR}:
                hint = "transpose one side with .T so that both sides have the same shape"
            else:
                hint = "both sides of + and - must have the same shape; an outer product r*u.T is an n×n matrix"
            self._fail(message, op, hint=hint, operands=(*terms, b))

    @staticmethod
    def _multiply(factors: list[Node], shape: str) -> Node:
        first = factors[0]
        if len(factors) == 1:
            return first
        if shape == SCALAR:
            expr = first.expr
            for factor in factors[1:]:
                expr = expr * factor.expr
        else:
            # One MatMul(...).doit() for the run gives what the operators give factor by factor (a*b is
            # MatMul(a, b).doit()), without re-simplifying the partial product each time (quadratic time).
            expr = sp.MatMul(*(factor.expr for factor in factors)).doit()
        return first.with_expr(expr, shape, *factors[1:])

    def _product_shape(self, left: str, b: Node, op: Token, factors: list[Node]) -> str:
        """The shape of (product of `factors`, of shape `left`) * `b`, or an error."""
        if left == SCALAR or b.shape == SCALAR:
            return b.shape if left == SCALAR else left
        operands = (*factors, b)
        if (left, b.shape) == (COVECTOR, VECTOR):
            self._fail("inner products (a 1×n covector times an n×1 vector, such as r.T*r) are not supported yet",
                       op, hint="declare the scalar as a parameter under [parameters], or write the rule with "
                       "outer products such as r*r.T", operands=operands)
        shape = _PRODUCT_SHAPE.get((left, b.shape))
        if shape is None:
            inner = (_DIMS[left][1], _DIMS[b.shape][0])
            hints = {
                (VECTOR, VECTOR): "for an outer product write r*u.T; for an element-wise product write "
                                  "hadamard(r, u)",
                (COVECTOR, COVECTOR): "for an element-wise product write hadamard(a, b); to multiply, transpose "
                                      "one side",
                (VECTOR, MATRIX): "to multiply a vector by a matrix write W*r (column) or r.T*W (row)",
                (MATRIX, COVECTOR): "to multiply a vector by a matrix write W*r (column) or r.T*W (row)",
            }
            self._fail(f"cannot multiply {WORDS[left]} by {WORDS[b.shape]}: the inner dimensions "
                       f"({inner[0]} and {inner[1]}) differ", op, hint=hints.get((left, b.shape)),
                       operands=operands)
        return shape

    def _divide(self, a: Node, b: Node, op: Token) -> Node:
        if b.shape != SCALAR:
            self._fail(f"cannot divide by {WORDS[b.shape]}; only division by a scalar is supported", op,
                       hint="matrix inverses are not supported", operands=(a, b))
        if b.expr == 0:
            raise InputError("division by zero", column=op.column, symbol=op.raw, hint="divide by a non-zero scalar")
        return a.with_expr(a.expr / b.expr, a.shape, b)

    def _hadamard(self, operands: list[Node], tok: Token) -> Node:
        first = operands[0]
        for other in operands[1:]:
            if SCALAR in (first.shape, other.shape):
                self._fail("an element-wise (Hadamard) product needs matrices or vectors, not a scalar", tok,
                           hint="multiply by a scalar with *", operands=tuple(operands))
            if other.shape != first.shape:
                self._fail(f"cannot take the element-wise product of {WORDS[first.shape]} and "
                           f"{WORDS[other.shape]}: the shapes differ", tok,
                           hint="both operands of a Hadamard product must have the same shape",
                           operands=tuple(operands))
        expr = HadamardProduct(*(node.expr for node in operands)).doit()
        return first.with_expr(expr, first.shape, *operands[1:], column=tok.column if tok.kind == "name" else None)

    def _raise(self, base: Node, exponent: Node, op: Token) -> Node:
        if exponent.shape != SCALAR:
            self._fail(f"an exponent must be a scalar, not {WORDS[exponent.shape]}", op, hint="write a number "
                       "or a parameter after ^", operands=(base, exponent))
        e = exponent.expr
        if base.shape == SCALAR:
            return base.with_expr(self._scalar_power(base.expr, e, op), SCALAR, exponent)
        if base.shape != MATRIX:
            self._fail(f"cannot raise {WORDS[base.shape]} to a power; only square matrices have powers", op,
                       hint="for an element-wise square write hadamard(r, r); for an outer product write r*r.T",
                       operands=(base, exponent))
        if not (e.is_Integer and e > 0):
            raise InputError(f"a matrix power needs a positive integer exponent, not '{format_expression(e)}'",
                             column=op.column, symbol=op.raw,
                             hint="W^2 means W*W; inverses and fractional matrix powers are not supported")
        if e > MAX_MATRIX_POWER:
            raise InputError(f"matrix power too large (the limit is {MAX_MATRIX_POWER})", column=op.column,
                             symbol=op.raw, hint="use a smaller exponent")
        return base.with_expr(base.expr ** e, MATRIX, exponent)

    def _scalar_power(self, base: sp.Expr, e: sp.Expr, op: Token) -> sp.Expr:
        if base == 0 and e.is_number and e.is_negative:
            raise InputError("division by zero: 0 raised to a negative power", column=op.column, symbol=op.raw,
                             hint="use a non-zero base or a positive exponent")
        if base.is_number and e.is_Rational:
            bits = max([abs(a.p).bit_length() for a in base.atoms(sp.Rational)] +
                       [abs(a.q).bit_length() for a in base.atoms(sp.Rational)] + [1])
            if bits * abs(e) > MAX_NUMBER_BITS or (not e.is_Integer and bits > MAX_ROOT_BITS):
                raise InputError(f"constant too large: the power would exceed {MAX_NUMBER_BITS} bits",
                                 column=op.column, symbol=op.raw, hint="use smaller numbers")
            if not e.is_Integer and base.is_negative:
                raise InputError("a negative number to a fractional power is not a real number",
                                 column=op.column, symbol=op.raw, hint="use a non-negative base")
        result = base ** e
        if result.has(*_BAD_VALUES):
            raise InputError(f"'{op.raw}' gives a value that is not a finite real number", column=op.column,
                             symbol=op.raw, hint="check the base and the exponent")
        return self._rational_constants(result, op)

    @staticmethod
    def _rational_constants(expr: sp.Expr, tok: Token) -> sp.Expr:
        """`expr`, unless it contains a constant that is not a rational number, such as sqrt(2) or exp(1).

        Constants stay exact rationals, as the kernel computes with them; this also keeps SymPy's products of
        radicals, whose form depends on the order of multiplication, out of parsed expressions.
        """
        for node in sp.preorder_traversal(expr):
            if isinstance(node, sp.Expr) and node.is_number and not node.is_Rational:
                try:
                    text = format_expression(node)
                except ValueError:
                    text = str(node)
                raise InputError(f"the constant {text} is not a rational number; constants must be exact "
                                 "rationals", column=tok.column, symbol=tok.raw,
                                 hint="declare the constant as a parameter under [parameters] with a rational "
                                 "value or interval, e.g. c = [1.414, 1.415]")
        return expr

    def _apply(self, name_tok: Token, args: list[Node]) -> Node:
        name, column = name_tok.text, name_tok.column
        usage = {"hadamard": "hadamard(A, B)", "zeros": "zeros(n, 1)", "diag": "diag(r)"}.get(name, f"{name}(x)")
        expected = {"hadamard": 2, "zeros": 2}.get(name, 1)
        if len(args) != expected and not (name == "hadamard" and len(args) > 2):
            count = "at least 2 arguments" if name == "hadamard" else (
                "exactly 1 argument" if expected == 1 else f"exactly {expected} arguments")
            raise InputError(f"{name} takes {count} ({len(args)} given)", column=column, symbol=name,
                             hint=f"usage: {usage}")
        if name == "hadamard":
            return self._hadamard(args, name_tok)
        if name == "zeros":
            dims = []
            for arg in args:
                if arg.expr == N:
                    dims.append(N)
                elif arg.expr == 1:
                    dims.append(sp.Integer(1))
                else:
                    raise InputError("the dimensions of zeros must each be n or 1", column=column, symbol=name,
                                     hint="write zeros(n, n), zeros(n, 1) or zeros(1, n)")
            if dims == [1, 1]:
                raise InputError("zeros(1, 1) is a scalar; write 0", column=column, symbol=name, hint="write 0")
            zero = sp.ZeroMatrix(*dims)
            return Node(zero, shape_of(zero), column)
        (arg,) = args
        if name == "diag":
            if arg.shape != VECTOR:
                hints = {
                    MATRIX: "diag takes a vector; to keep only the diagonal of a matrix A write hadamard(A, I)",
                    COVECTOR: "diag takes a column vector: write diag(r) rather than diag(r.T)",
                    SCALAR: "diag takes a vector; for a multiple of the identity write c*I",
                }
                self._fail(f"diag takes an n×1 vector, not {WORDS[arg.shape]}", name_tok, hint=hints[arg.shape],
                           operands=(arg,))
            if isinstance(arg.expr, sp.ZeroMatrix):
                expr: sp.Basic = sp.ZeroMatrix(N, N)
            else:
                expr = DiagMatrix(arg.expr).doit()
            if shape_of(expr) != MATRIX:
                raise ValueError(f"DiagMatrix({arg.expr}).doit() has shape {expr.shape}")
            return arg.with_expr(expr, MATRIX, column=column)
        if name == "sym":
            if arg.shape != MATRIX:
                self._fail(f"sym takes an n×n matrix, not {WORDS[arg.shape]}", name_tok,
                           hint="sym(A) is (A + A.T)/2 for a square matrix A", operands=(arg,))
            expr = (arg.expr + sp.transpose(arg.expr).doit()) / 2
            return arg.with_expr(expr, MATRIX, column=column)
        if name in ("sqrt", "exp"):
            if arg.shape != SCALAR:
                elementwise = ", ".join(sorted(ACTIVATIONS))
                self._fail(f"{name} applies to scalars only, not to {WORDS[arg.shape]}", name_tok,
                           hint=f"the element-wise functions on vectors are {elementwise}", operands=(arg,))
            if name == "exp":
                return arg.with_expr(self._rational_constants(sp.exp(arg.expr), name_tok), SCALAR, column=column)
            return arg.with_expr(self._scalar_power(arg.expr, sp.S.Half, name_tok), SCALAR, column=column)
        # an element-wise activation
        if arg.shape == SCALAR:
            value = self._rational_constants(apply_activation(name, arg.expr), name_tok)
            return arg.with_expr(value, SCALAR, column=column)
        if arg.shape != VECTOR:
            self._fail(f"{name} applies to scalars and n×1 vectors, not to {WORDS[arg.shape]}", name_tok,
                       hint=f"apply it to a vector and transpose the result, e.g. {name}(x).T",
                       operands=(arg,))
        if isinstance(arg.expr, ElementwiseApplyFunction):
            raise InputError(f"compositions of element-wise functions such as {name}({format_expression(arg.expr)})"
                             " are not supported yet", column=column, symbol=name,
                             hint="apply one element-wise function to a vector expression, e.g. tanh(W*x)")
        return arg.with_expr(apply_activation(name, arg.expr), VECTOR, column=column)
