"""A whitelisting parser for the expression language of rule files.

Expressions such as ``dW = "-gamma*W - k*r*r.T"`` are read by a hand-written tokenizer and a recursive-descent
parser that builds SymPy objects directly. No string from the input is ever handed to ``eval``, ``exec``,
``sympify``, ``parse_expr`` or any other code parser: numbers are converted by ``fractions.Fraction`` from a token
that has already been checked against the number syntax, and names only ever become the *names* of
``Symbol``/``MatrixSymbol`` objects. Anything the grammar does not list is an `InputError` that says where
(1-based ``column`` inside the text, the offending ``symbol``) and how to fix it (``hint``).

Grammar (``^`` and ``**`` are the same operator; ``−`` (U+2212) is accepted for ``-``, ``ᵀ`` for ``.T``)::

    expression := sum
    sum        := product (("+" | "-") product)*                  left-associative
    product    := unary (("*" | "/" | "∘") unary)*                left-associative, one precedence level
    unary      := ("-" | "+") unary | power                       so -x^2 is -(x^2), as in Python
    power      := postfix (("^" | "**") unary)?                   right-associative: a^b^c = a^(b^c); 2^-1 is allowed
    postfix    := atom (".T" | "ᵀ")*                              so W.T^2 is (W.T)^2
    atom       := number | name | name "(" [expression ("," expression)*] ")" | "(" expression ")"
    number     := digits ["." digits] [("e" | "E") ["+" | "-"] digits]       e.g. 2, 0.5, 1e-3 (exact rationals)
    name       := [A-Za-z][A-Za-z0-9_]*

Names. ``W`` is the weight matrix ``MatrixSymbol("W", n, n)``; ``I`` is ``Identity(n)``; ``n`` is the network size
`N` (a positive integer scalar). A name declared in `Symbols.parameters` is a real scalar ``Symbol(name, real=True)``;
one declared in `Symbols.matrices` is ``MatrixSymbol(name, n, n)``; every other name is an activity vector
``MatrixSymbol(name, n, 1)``. Python keywords and names starting with ``_`` are errors.

Shapes and operators. Every value is a scalar, an n×n matrix, an n×1 vector or a 1×n covector (a transposed vector).

- ``+`` and ``-`` need equal shapes (write ``c*I`` to add a multiple of the identity).
- ``*`` is scalar × anything, or a matrix product whose inner dimensions agree: matrix·matrix, matrix·vector,
  covector·matrix, vector·covector (outer product ``r*r.T``). An inner product (covector·vector, e.g. ``r.T*r``)
  is rejected: inner products are not supported yet.
- ``/`` divides by a scalar only (never by zero); there are no matrix inverses.
- ``^``: scalar ^ scalar; square matrix ^ positive integer (a constant such as ``2``) gives SymPy's ``MatPow``
  (``W^2`` is ``MatPow(W, 2)``; ``W*W`` also becomes ``MatPow(W, 2)`` because SymPy's product does so).
- ``∘`` is the element-wise (Hadamard) product of two operands of equal non-scalar shape.
- ``.T`` transposes a matrix, vector or covector (not a scalar).

Functions (any other name followed by ``(`` is an error that lists these):

- ``diag(v)``: vector → diagonal n×n matrix (``DiagMatrix``).
- ``hadamard(A, B, ...)``: element-wise product of two or more operands of equal shape (``HadamardProduct``).
- ``sym(A)``: ``(A + A.T)/2`` for an n×n matrix.
- ``tanh``, ``sigmoid``, ``relu``, ``abs``: on a scalar, the SymPy function; on a vector, the element-wise
  ``ElementwiseApplyFunction`` (see `apply_activation`). Compositions such as ``tanh(relu(x))`` are not supported yet.
- ``sqrt(s)``, ``exp(s)``: scalars only.
- ``zeros(rows, cols)`` with rows, cols each ``n`` or ``1``: the zero matrix, vector or covector. This makes every
  zero that SymPy can produce (e.g. from ``r - r``) printable by `format_expression`.

What the result is. The parsed object is what SymPy's own operators give when applied in the order the text says
(``a*b`` is ``a*b``, ``A.T`` is ``A.T``, ``hadamard(A, B)`` is ``HadamardProduct(A, B).doit()``,
``diag(v)`` is ``DiagMatrix(v).doit()``), put in the normal form of `canonical`: every matrix node simplified by its
own ``.doit()``, bottom-up, as SymPy's matrix operators do with their operands. So ``k*r*r.T`` is exactly SymPy's
``k*r*r.T``, ``hadamard(r, r)`` is ``HadamardPower(r, 2)``, ``diag(2*r)`` is ``2*DiagMatrix(r)``, ``-(r - u)`` and
``u - r`` are the same object, and the zero vector under ``diag`` gives ``ZeroMatrix(n, n)``. Element-wise
activations use one fixed bound variable (`apply_activation`), so that two parses compare equal.

Constants are exact rationals: numbers are read as fractions, and a constant that is not rational (``sqrt(2)``,
``2^(1/3)``, ``exp(1)``, ``tanh(1/2)``, also ``sqrt(2*k)``, which SymPy writes ``sqrt(2)*sqrt(k)``) is an error
with a hint to declare it as a parameter. The kernel computes in rationals, and SymPy's products of radicals
depend on the order of multiplication, which would break the round trip below.

`format_expression` prints such objects back in this grammar (ASCII only, ``^`` for powers, ``hadamard(...)``
for ``∘``, parentheses wherever SymPy would otherwise regroup, e.g. ``-((K + W)*W)``), and
``parse_expression(format_expression(e), symbols).expr == e`` for every ``e`` the parser produces, with the
same `Symbols`, as long as the printed text stays within the limits below (a short input can print long: ``2^1000``
is a 302-digit number, ``r∘r∘r`` prints as ``hadamard(r, r, r)``).

Limits, each an `InputError` with a hint: at most `MAX_LENGTH` characters; at most `MAX_DEPTH` levels of nesting,
both in the text (parentheses, signs, exponents, calls) and in the SymPy tree (chains such as ``A∘B*C∘D*...`` nest
without parentheses); at most `MAX_MATRIX_DEPTH` levels of matrix operations, because SymPy's simplification of
nested matrix sums and products takes time exponential in that depth; constants built by powers of at most
`MAX_NUMBER_BITS` bits (roots of at most `MAX_ROOT_BITS`-bit numbers); decimal exponents up to
`MAX_DECIMAL_EXPONENT`; matrix powers up to `MAX_MATRIX_POWER`; a polynomial degree up to `MAX_DEGREE` and at most
`MAX_TERMS` terms once expanded, both bounded from the tree before anything is expanded (`(W + K)^12`, `W^1000`). Parsing time is dominated by SymPy (e.g.
``DiagMatrix.doit`` consults the assumption system): a rule of a few terms parses in milliseconds, the longest
inputs in about a second.
"""

from __future__ import annotations

import difflib
import functools
import keyword
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator, NoReturn

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

from certify.errors import InputError
from certify.kernel.activations import ACTIVATIONS, Activation, activation_by_sympy

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "N",
    "RESERVED",
    "W",
    "ParsedExpression",
    "Symbols",
    "apply_activation",
    "canonical",
    "check_name",
    "format_expression",
    "parse_expression",
    "parse_weight_flow",
]

N = sp.Symbol("n", integer=True, positive=True)
"""The network size: symbolic, so that what is proved holds for every n."""
W = sp.MatrixSymbol("W", N, N)
"""The weight matrix."""

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_NUMBER_BITS = 10_000
MAX_ROOT_BITS = 1_000
MAX_DECIMAL_EXPONENT = 1_000
MAX_MATRIX_POWER = 1_000
MAX_MATRIX_DEPTH = 16
MAX_DEGREE = 100        # polynomial degree of an expression (W^101, (k+1)^101 and 101-factor products are refused)
MAX_TERMS = 256         # terms an expression can expand into ((W+K)^9 = 512 terms is refused, (W+K)^8 is not)

FUNCTIONS: frozenset[str] = frozenset({"diag", "hadamard", "sym", "sqrt", "exp", "zeros"}) | frozenset(ACTIVATIONS)
"""The names that may be called; each is documented in the module docstring."""
RESERVED: frozenset[str] = frozenset({"W", "I", "n"}) | FUNCTIONS

_RESERVED_WHY = {"W": "the weight matrix", "I": "the identity matrix", "n": "the network size"}
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DIGITS = "0123456789"
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_WHITESPACE = " \t\r\n"
_ELEMENTWISE_VAR = sp.Symbol("_d")  # the bound variable of every element-wise activation (fixed, so == works)

SCALAR, MATRIX, VECTOR, COVECTOR = "scalar", "matrix", "vector", "covector"
_WORDS = {SCALAR: "a scalar", MATRIX: "an n×n matrix", VECTOR: "an n×1 vector", COVECTOR: "a 1×n covector"}
_DIMS = {MATRIX: ("n", "n"), VECTOR: ("n", "1"), COVECTOR: ("1", "n")}
_TRANSPOSED = {MATRIX: MATRIX, VECTOR: COVECTOR, COVECTOR: VECTOR}
_PRODUCT_SHAPE = {(MATRIX, MATRIX): MATRIX, (MATRIX, VECTOR): VECTOR, (COVECTOR, MATRIX): COVECTOR,
                  (VECTOR, COVECTOR): MATRIX}
_UNDECLARED_HINT = ("did you mean '{}'? Names not declared under [parameters] or [matrices] are activity vectors "
                    "of length n.")


# ----------------------------------------------------------------------------------------------- public types


def check_name(name: str, what: str) -> None:
    """Raise `InputError` unless `name` can be declared as a `what` (e.g. "parameter", "matrix")."""
    if not isinstance(name, str):
        raise InputError(f"a {what} name must be a string, not {type(name).__name__}", symbol=repr(name))
    if not name:
        raise InputError(f"empty {what} name", hint="names start with a letter, e.g. gamma")
    if not _NAME_RE.fullmatch(name):
        if not ("A" <= name[0] <= "Z" or "a" <= name[0] <= "z"):
            problem = f"must start with an ASCII letter, not {name[0]!r}"
        else:
            bad = next(ch for ch in name if ch not in _NAME_CHARS)
            problem = f"contains {bad!r}"
        raise InputError(f"invalid {what} name '{name}': a name {problem}", symbol=name,
                         hint="names are ASCII letters, digits and underscores, starting with a letter, e.g. k_2")
    if name in RESERVED:
        why = _RESERVED_WHY.get(name, "a function")
        raise InputError(f"'{name}' is reserved ({why}) and cannot be a {what} name", symbol=name,
                         hint=f"choose another name; reserved names are {', '.join(sorted(RESERVED))}")
    if keyword.iskeyword(name):
        raise InputError(f"'{name}' is a Python keyword and cannot be a {what} name", symbol=name,
                         hint="choose another name")


@dataclass(frozen=True)
class Symbols:
    """The declared names an expression may use: scalar parameters and n×n matrices.

    ``W``, ``I`` and ``n`` are always known; every other name is an activity vector of length n.
    """

    parameters: frozenset[str] = frozenset()
    matrices: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for field, what in (("parameters", "parameter"), ("matrices", "matrix")):
            value = getattr(self, field)
            if isinstance(value, str):
                raise TypeError(f"Symbols.{field} must be a collection of names, not the string {value!r}")
            names = frozenset(value)
            for name in sorted(names, key=str):
                check_name(name, what)
            object.__setattr__(self, field, names)
        both = sorted(self.parameters & self.matrices)
        if both:
            raise InputError(f"'{both[0]}' is declared both as a parameter and as a matrix", symbol=both[0],
                             hint="give the parameter and the matrix different names")


@dataclass(frozen=True)
class ParsedExpression:
    """A parsed expression: the SymPy object, its shape and the names it was written with.

    ``shape`` is "scalar", "matrix" (n×n), "vector" (n×1) or "covector" (1×n). The name sets list the declared
    parameters, declared matrices and activity vectors that occur in the text (also where SymPy cancels them,
    e.g. in ``k - k``); ``W``, ``I`` and ``n`` are not listed.
    """

    expr: sp.Basic
    shape: str
    parameters: frozenset[str]
    matrices: frozenset[str]
    vectors: frozenset[str]


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


def parse_expression(text: str, symbols: Symbols) -> ParsedExpression:
    """Parse `text` in the expression grammar (module docstring) into a SymPy object; `InputError` if invalid."""
    if not isinstance(text, str):
        raise InputError(f"an expression must be a string, not {type(text).__name__}", symbol=repr(text)[:40],
                         hint='write it in quotes, e.g. dW = "0" or dW = "-gamma*W"')
    if not isinstance(symbols, Symbols):
        raise TypeError(f"symbols must be a Symbols, not {type(symbols).__name__}")
    if len(text) > MAX_LENGTH:
        raise InputError(f"expression too long: {len(text)} characters (the limit is {MAX_LENGTH})",
                         column=MAX_LENGTH + 1, hint="split the rule into shorter terms or declare constants")
    parser = _Parser(text, symbols)
    try:
        node = parser.parse()
    except InputError:
        raise
    except RecursionError:
        raise InputError("expression nested too deeply to process", column=1,
                         hint=f"use fewer nested parentheses and functions (at most {MAX_DEPTH} levels)") from None
    except Exception as exc:  # SymPy refused something the checks above let through: report, never crash
        raise InputError(f"internal error while building the expression: {type(exc).__name__}: {exc}",
                         column=parser.column, hint="this is a bug in certify; please report the expression"
                         ) from exc
    return ParsedExpression(node.expr, node.shape, node.parameters, node.matrices, node.vectors)


def parse_weight_flow(text: str, symbols: Symbols) -> ParsedExpression:
    """Parse a weight flow dW/dt: an n×n matrix expression. A scalar equal to 0 (e.g. "0") is ``ZeroMatrix(n, n)``."""
    parsed = parse_expression(text, symbols)
    if parsed.shape == MATRIX:
        return parsed
    if parsed.shape == SCALAR:
        if parsed.expr == 0:
            return ParsedExpression(sp.ZeroMatrix(N, N), MATRIX, parsed.parameters, parsed.matrices,
                                    parsed.vectors)
        scalar = _wrap(parsed.expr, _PRODUCT)
        raise InputError("the weight flow dW must be an n×n matrix, but this is a scalar", column=1,
                         hint=f"for a multiple of the identity write {scalar}*I")
    hint = ("an outer product such as r*r.T is an n×n matrix" if parsed.shape == VECTOR else
            "an outer product such as r*r.T is an n×n matrix; a covector r.T is 1×n")
    raise InputError(f"the weight flow dW must be an n×n matrix, but this is {_WORDS[parsed.shape]}", column=1,
                     hint=hint)


# --------------------------------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "op", "end"
    text: str  # normalised: "**" -> "^", "−" -> "-", "ᵀ" -> ".T"
    column: int
    raw: str  # as written


_SIMPLE_OPS = {"+": "+", "-": "-", "−": "-", "/": "/", "^": "^", "(": "(", ")": ")", ",": ",", "∘": "∘",
               "ᵀ": ".T"}
_CHAR_HINTS = {
    "[": "indexing and lists are not supported; expressions work with whole matrices and vectors",
    "]": "indexing and lists are not supported; expressions work with whole matrices and vectors",
    "{": "braces are not part of the expression language; group with ( and )",
    "}": "braces are not part of the expression language; group with ( and )",
    ";": "an expression is a single formula; remove ';'",
    "=": "write only the right-hand side, without '='",
    "@": "write * for matrix products",
    "|": "write abs(x) for an absolute value",
    "#": "comments are not allowed inside an expression",
    ":": "slices and annotations are not supported",
    "\\": "line continuations are not needed; an expression may span lines",
}


def _tokens(text: str) -> Iterator[_Token]:
    """Tokens of `text`, lazily, so that the first error from the left is the one reported."""
    i, size = 0, len(text)
    while True:
        while i < size and text[i] in _WHITESPACE:
            i += 1
        if i >= size:
            yield _Token("end", "", size + 1, "")
            return
        ch, column = text[i], i + 1
        if ch in _DIGITS:
            i = yield from _number(text, i)
        elif "A" <= ch <= "Z" or "a" <= ch <= "z":
            j = i
            while j < size and text[j] in _NAME_CHARS:
                j += 1
            name = text[i:j]
            if keyword.iskeyword(name):
                raise InputError(f"'{name}' is a Python keyword; expressions have no keywords", column=column,
                                 symbol=name, hint="use only names, numbers, operators and the known functions")
            yield _Token("name", name, column, name)
            i = j
        elif ch == "_":
            j = i
            while j < size and text[j] in _NAME_CHARS:
                j += 1
            raise InputError("names must start with a letter, not '_'", column=column, symbol=text[i:j],
                             hint="rename it to start with a letter, e.g. x_1")
        elif ch == ".":
            j = i + 1
            while j < size and text[j] in _NAME_CHARS:
                j += 1
            attribute = text[i + 1:j]
            if attribute == "T":
                yield _Token("op", ".T", column, ".T")
                i = j
            elif attribute and attribute[0] in _DIGITS:
                raise InputError("a number must start with a digit", column=column, symbol=text[i:j],
                                 hint=f"write 0{text[i:j]}")
            elif attribute:
                raise InputError(f"attribute access '.{attribute}' is not allowed; only .T (transpose) is",
                                 column=column, symbol=f".{attribute}",
                                 hint="use .T to transpose; use the known functions for anything else")
            else:
                raise InputError("unexpected '.'", column=column, symbol=".",
                                 hint="'.' appears only in decimal numbers (write 2.0, not 2.) and in .T")
        elif ch == "*":
            if text.startswith("**", i):
                yield _Token("op", "^", column, "**")
                i += 2
            else:
                yield _Token("op", "*", column, "*")
                i += 1
        elif ch in _SIMPLE_OPS:
            yield _Token("op", _SIMPLE_OPS[ch], column, ch)
            i += 1
        elif ch in "'\"":
            raise InputError("strings are not allowed in expressions", column=column, symbol=ch,
                             hint="remove the quotes; names are written bare, e.g. gamma*W")
        else:
            if ch.isalpha():
                hint = "names use ASCII letters, digits and underscores (write gamma, not γ)"
            else:
                hint = _CHAR_HINTS.get(ch, "allowed are names, numbers, + - * / ^ ** ∘ .T ( ) and commas in "
                                           "function calls")
            raise InputError(f"unexpected character {ch!r}", column=column, symbol=ch, hint=hint)


def _number(text: str, i: int) -> Iterator[_Token]:
    """Yield the number token starting at `i` and return the index after it (a sub-generator of `_tokens`)."""
    size, column = len(text), i + 1
    j = i
    while j < size and text[j] in _DIGITS:
        j += 1
    if j + 1 < size and text[j] == "." and text[j + 1] in _DIGITS:
        j += 1
        while j < size and text[j] in _DIGITS:
            j += 1
    if j < size and text[j] in "eE":
        k = j + 1
        if k < size and text[k] in "+-":
            k += 1
        if k < size and text[k] in _DIGITS:
            m = k
            while m < size and text[m] in _DIGITS:
                m += 1
            digits = text[k:m].lstrip("0")
            if len(digits) > len(str(MAX_DECIMAL_EXPONENT)) or int(digits or "0") > MAX_DECIMAL_EXPONENT:
                raise InputError(f"number out of range: exponent larger than {MAX_DECIMAL_EXPONENT}",
                                 column=column, symbol=text[i:m], hint="use a smaller number")
            j = m
    token = text[i:j]
    if j < size and text[j] in _NAME_CHARS:
        k = j
        while k < size and text[k] in _NAME_CHARS:
            k += 1
        rest = text[j:k]
        hint = ("numbers are written without underscores, e.g. 1000 or 1e3" if rest[0] == "_" else
                f"write {token}*{rest} to multiply")
        raise InputError(f"missing operator between the number '{token}' and '{rest}'", column=column,
                         symbol=text[i:k], hint=hint)
    yield _Token("number", token, column, token)
    return j


# ------------------------------------------------------------------------------------------------------ parser


@dataclass(frozen=True)
class _Node:
    expr: sp.Basic
    shape: str
    column: int
    parameters: frozenset[str] = frozenset()
    matrices: frozenset[str] = frozenset()
    vectors: frozenset[str] = frozenset()

    def with_expr(self, expr: sp.Basic, shape: str, *others: "_Node", column: int | None = None) -> "_Node":
        """A node for `expr` (made `canonical`), built from this node and `others`: their names are its names."""
        nodes = (self, *others)
        column = self.column if column is None else column
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
        return _Node(canonical(expr), shape, column,
                     frozenset().union(*(n.parameters for n in nodes)),
                     frozenset().union(*(n.matrices for n in nodes)),
                     frozenset().union(*(n.vectors for n in nodes)))


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


def _shape_of(expr: sp.Basic) -> str:
    if not getattr(expr, "is_Matrix", False):
        return SCALAR
    shape = (expr.shape[0] == N, expr.shape[1] == N, expr.shape[0] == 1, expr.shape[1] == 1)
    if shape[0] and shape[1]:
        return MATRIX
    if shape[0] and shape[3]:
        return VECTOR
    if shape[2] and shape[1]:
        return COVECTOR
    raise ValueError(f"{expr} has shape {expr.shape}, which is not n×n, n×1 or 1×n")


@functools.lru_cache(maxsize=8192)
def _tree_depth(expr: sp.Basic) -> int:
    return 1 + max((_tree_depth(arg) for arg in expr.args), default=0)


@functools.lru_cache(maxsize=8192)
def _matrix_depth(expr: sp.Basic) -> int:
    """Levels of matrix-valued nodes: SymPy's MatMul/MatAdd simplification (and MatMul.shape) cost 2^depth."""
    if not getattr(expr, "is_Matrix", False):
        return 0
    return 1 + max((_matrix_depth(arg) for arg in expr.args), default=0)


_BAD_VALUES = (sp.S.ComplexInfinity, sp.S.NaN, sp.S.Infinity, sp.S.NegativeInfinity, sp.S.ImaginaryUnit)


class _Parser:
    def __init__(self, text: str, symbols: Symbols) -> None:
        self._symbols = symbols
        self._declared = sorted(symbols.parameters | symbols.matrices)
        self._tokens = _tokens(text)
        self._tok = next(self._tokens)
        self._prev: _Token | None = None
        self._depth = 0
        self._first_column: dict[str, int] = {}

    @property
    def column(self) -> int:
        return self._tok.column

    # --- token helpers

    def _is_op(self, *texts: str) -> bool:
        return self._tok.kind == "op" and self._tok.text in texts

    def _advance(self) -> _Token:
        tok = self._tok
        self._prev = tok
        self._tok = next(self._tokens)
        return tok

    # --- grammar

    def parse(self) -> _Node:
        if self._tok.kind == "end":
            raise InputError("empty expression", column=1, hint='write a formula, e.g. "-gamma*W - k*r*r.T"')
        node = self._sum()
        if self._tok.kind != "end":
            self._unexpected_after_expression()
        return node

    def _sum(self) -> _Node:
        first = self._product()
        terms = [first]
        while self._is_op("+", "-"):
            op = self._advance()
            right = self._product()
            self._check_addable(first, right, op, terms)
            terms.append(right if op.text == "+" else right.with_expr(-right.expr, right.shape))
        if len(terms) == 1:
            return first
        if first.shape == SCALAR:
            expr = terms[0].expr
            for term in terms[1:]:
                expr = expr + term.expr
        else:
            # One MatAdd(...).doit() for the whole chain gives what the operators give term by term (both flatten
            # and canonicalise), without re-simplifying the partial sum after every term: that costs time
            # quadratic in the number of terms (DiagMatrix.doit consults SymPy's assumption system).
            expr = sp.MatAdd(*(term.expr for term in terms)).doit()
        return first.with_expr(expr, first.shape, *terms[1:])

    def _product(self) -> _Node:
        factors = [self._unary()]  # operands of a run of '*', multiplied when the run ends
        shape = factors[0].shape
        while self._is_op("*", "/", "∘"):
            op = self._advance()
            right = self._unary()
            if op.text == "*":
                shape = self._product_shape(shape, right, op, factors)
                factors.append(right)
                continue
            node = self._multiply(factors, shape)
            factors = [self._divide(node, right, op) if op.text == "/" else self._hadamard([node, right], op)]
            shape = factors[0].shape
        return self._multiply(factors, shape)

    def _unary(self) -> _Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise InputError(f"expression nested too deeply (more than {MAX_DEPTH} levels)",
                                 column=self._tok.column, symbol=self._tok.raw or None,
                                 hint="use fewer nested parentheses, signs, exponents and function calls")
            if self._is_op("+", "-"):
                op = self._advance()
                operand = self._unary()
                if op.text == "+":
                    return _Node(operand.expr, operand.shape, op.column, operand.parameters, operand.matrices,
                                 operand.vectors)
                return operand.with_expr(-operand.expr, operand.shape, column=op.column)
            return self._power()
        finally:
            self._depth -= 1

    def _power(self) -> _Node:
        base = self._postfix()
        if self._is_op("^"):
            op = self._advance()
            return self._raise(base, self._unary(), op)
        return base

    def _postfix(self) -> _Node:
        node = self._atom()
        while self._is_op(".T"):
            op = self._advance()
            if node.shape == SCALAR:
                self._fail("cannot transpose a scalar", op, hint="remove the .T; only matrices and vectors have "
                           "transposes", operands=(node,))
            node = node.with_expr(sp.transpose(node.expr).doit(), _TRANSPOSED[node.shape])
        return node

    def _atom(self) -> _Node:
        tok = self._tok
        if tok.kind == "number":
            self._advance()
            value = Fraction(tok.text)  # matches digits[.digits][e[+-]digits]: exact, never a float
            return _Node(sp.Rational(value.numerator, value.denominator), SCALAR, tok.column)
        if tok.kind == "name":
            self._advance()
            if self._is_op("("):
                return self._call(tok)
            return self._name(tok)
        if self._is_op("("):
            opening = self._advance()
            inner = self._sum()
            if not self._is_op(")"):
                self._expect_closing(opening)
            self._advance()
            return _Node(inner.expr, inner.shape, opening.column, inner.parameters, inner.matrices, inner.vectors)
        self._expected_operand()

    def _name(self, tok: _Token) -> _Node:
        name = tok.text
        if name in FUNCTIONS:
            example = "diag(r)" if name == "diag" else f"{name}(x)"
            raise InputError(f"'{name}' is a function and needs an argument in parentheses", column=tok.column,
                             symbol=name, hint=f"call it, e.g. {example}")
        if name == "W":
            return _Node(W, MATRIX, tok.column)
        if name == "I":
            return _Node(sp.Identity(N), MATRIX, tok.column)
        if name == "n":
            return _Node(N, SCALAR, tok.column)
        if name in self._symbols.parameters:
            return _Node(sp.Symbol(name, real=True), SCALAR, tok.column, parameters=frozenset({name}))
        if name in self._symbols.matrices:
            return _Node(sp.MatrixSymbol(name, N, N), MATRIX, tok.column, matrices=frozenset({name}))
        self._first_column.setdefault(name, tok.column)
        return _Node(sp.MatrixSymbol(name, N, 1), VECTOR, tok.column, vectors=frozenset({name}))

    def _call(self, name_tok: _Token) -> _Node:
        name = name_tok.text
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, sorted(FUNCTIONS), n=1, cutoff=0.75)
            known = ", ".join(sorted(FUNCTIONS))
            if close:
                hint = f"did you mean '{close[0]}'? Known functions: {known}"
            else:
                hint = f"known functions: {known}; to multiply, write {name}*(...)"
            raise InputError(f"unknown function '{name}'", column=name_tok.column, symbol=name, hint=hint)
        opening = self._advance()
        args: list[_Node] = []
        if self._is_op(")"):
            self._advance()
        else:
            while True:
                args.append(self._sum())
                if self._is_op(","):
                    self._advance()
                    continue
                if self._is_op(")"):
                    self._advance()
                    break
                self._expect_closing(opening, function=name)
        return self._apply(name_tok, args)

    # --- errors

    def _suggest(self, operands: tuple[_Node, ...]) -> tuple[str, str] | None:
        """A vector name among `operands` that looks like a misspelt declared parameter or matrix."""
        names = sorted(set().union(*(n.vectors for n in operands)), key=lambda v: self._first_column.get(v, 0))
        for name in names:
            scores = [(difflib.SequenceMatcher(None, name.lower(), declared.lower()).ratio(), declared)
                      for declared in self._declared]
            score, declared = max(scores, default=(0.0, ""))
            if score >= 0.75:  # "gama" ~ "gamma", "Gamma" ~ "gamma", "K" ~ "k"
                return name, declared
        return None

    def _fail(self, message: str, tok: _Token, *, hint: str | None = None,
              operands: tuple[_Node, ...] = ()) -> NoReturn:
        suggestion = self._suggest(operands)
        if suggestion is not None:
            name, declared = suggestion
            raise InputError(message, column=self._first_column.get(name, tok.column), symbol=name,
                             hint=_UNDECLARED_HINT.format(declared))
        raise InputError(message, column=tok.column, symbol=tok.raw or None, hint=hint)

    def _expect_closing(self, opening: _Token, function: str | None = None) -> NoReturn:
        tok = self._tok
        if tok.kind == "end":
            raise InputError(f"missing ')' to close the '(' at column {opening.column}", column=opening.column,
                             symbol="(", hint="add the closing parenthesis")
        if function is not None:
            raise InputError(f"expected ',' or ')' in the arguments of {function}, found '{tok.raw}'",
                             column=tok.column, symbol=tok.raw,
                             hint="separate arguments with commas; write * between factors")
        if tok.text == ",":
            raise InputError("a comma is only allowed between the arguments of a function call",
                             column=tok.column, symbol=",", hint="tuples are not supported; remove the comma")
        raise InputError(f"expected ')' or an operator, found '{tok.raw}'", column=tok.column, symbol=tok.raw,
                         hint="insert an operator such as * (implicit multiplication is not supported)")

    def _expected_operand(self) -> NoReturn:
        tok, prev = self._tok, self._prev
        if tok.kind == "end":
            if prev is None:
                raise InputError("empty expression", column=1, hint="write a formula")
            raise InputError(f"the expression ends after '{prev.raw}' where an operand was expected",
                             column=prev.column, symbol=prev.raw, hint=f"complete the expression after '{prev.raw}'")
        if tok.text == ",":
            raise InputError("a comma is only allowed between the arguments of a function call",
                             column=tok.column, symbol=",",
                             hint="tuples are not supported; in a call, write an argument on both sides of ','")
        if tok.text == ")":
            if prev is not None and prev.text == ",":
                raise InputError("missing argument after ','", column=prev.column, symbol=",",
                                 hint="remove the trailing comma or add the missing argument")
            if prev is not None and prev.text == "(":
                raise InputError("empty parentheses", column=prev.column, symbol="()",
                                 hint="put an expression inside the parentheses")
            raise InputError("unexpected ')' where an operand was expected", column=tok.column, symbol=")",
                             hint="remove it, or complete the expression before it")
        if tok.text == ".T":
            raise InputError(f"'{tok.raw}' must follow a matrix or a vector", column=tok.column, symbol=tok.raw,
                             hint="write it right after what it transposes, e.g. r.T")
        raise InputError(f"expected an operand (a number, a name or '(') but found '{tok.raw}'",
                         column=tok.column, symbol=tok.raw, hint=f"'{tok.raw}' needs an operand on each side")

    def _unexpected_after_expression(self) -> NoReturn:
        tok = self._tok
        if tok.text == ")":
            raise InputError("unmatched ')'", column=tok.column, symbol=")",
                             hint="remove it or add a matching '(' before it")
        if tok.text == ",":
            raise InputError("a comma is only allowed between the arguments of a function call",
                             column=tok.column, symbol=",", hint="an expression is a single formula")
        if tok.kind in ("name", "number"):
            raise InputError(f"unexpected {tok.kind} '{tok.raw}' after a complete expression", column=tok.column,
                             symbol=tok.raw, hint="insert an operator such as * (implicit multiplication is not "
                             "supported)")
        if tok.text == "(":
            raise InputError("unexpected '('", column=tok.column, symbol="(",
                             hint="write * to multiply, e.g. 2*(x + y); only the known functions can be called")
        raise InputError(f"unexpected '{tok.raw}'", column=tok.column, symbol=tok.raw,
                         hint="check the operators around it")

    # --- operations

    def _check_addable(self, a: _Node, b: _Node, op: _Token, terms: list[_Node]) -> None:
        if a.shape != b.shape:
            if op.text == "+":
                message = f"cannot add {_WORDS[a.shape]} and {_WORDS[b.shape]}"
            else:
                message = f"cannot subtract {_WORDS[b.shape]} from {_WORDS[a.shape]}"
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
    def _multiply(factors: list[_Node], shape: str) -> _Node:
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

    def _product_shape(self, left: str, b: _Node, op: _Token, factors: list[_Node]) -> str:
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
            self._fail(f"cannot multiply {_WORDS[left]} by {_WORDS[b.shape]}: the inner dimensions "
                       f"({inner[0]} and {inner[1]}) differ", op, hint=hints.get((left, b.shape)),
                       operands=operands)
        return shape

    def _divide(self, a: _Node, b: _Node, op: _Token) -> _Node:
        if b.shape != SCALAR:
            self._fail(f"cannot divide by {_WORDS[b.shape]}; only division by a scalar is supported", op,
                       hint="matrix inverses are not supported", operands=(a, b))
        if b.expr == 0:
            raise InputError("division by zero", column=op.column, symbol=op.raw, hint="divide by a non-zero scalar")
        return a.with_expr(a.expr / b.expr, a.shape, b)

    def _hadamard(self, operands: list[_Node], tok: _Token) -> _Node:
        first = operands[0]
        for other in operands[1:]:
            if SCALAR in (first.shape, other.shape):
                self._fail("an element-wise (Hadamard) product needs matrices or vectors, not a scalar", tok,
                           hint="multiply by a scalar with *", operands=tuple(operands))
            if other.shape != first.shape:
                self._fail(f"cannot take the element-wise product of {_WORDS[first.shape]} and "
                           f"{_WORDS[other.shape]}: the shapes differ", tok,
                           hint="both operands of a Hadamard product must have the same shape",
                           operands=tuple(operands))
        expr = HadamardProduct(*(node.expr for node in operands)).doit()
        return first.with_expr(expr, first.shape, *operands[1:], column=tok.column if tok.kind == "name" else None)

    def _raise(self, base: _Node, exponent: _Node, op: _Token) -> _Node:
        if exponent.shape != SCALAR:
            self._fail(f"an exponent must be a scalar, not {_WORDS[exponent.shape]}", op, hint="write a number "
                       "or a parameter after ^", operands=(base, exponent))
        e = exponent.expr
        if base.shape == SCALAR:
            return base.with_expr(self._scalar_power(base.expr, e, op), SCALAR, exponent)
        if base.shape != MATRIX:
            self._fail(f"cannot raise {_WORDS[base.shape]} to a power; only square matrices have powers", op,
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

    def _scalar_power(self, base: sp.Expr, e: sp.Expr, op: _Token) -> sp.Expr:
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
    def _rational_constants(expr: sp.Expr, tok: _Token) -> sp.Expr:
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

    def _apply(self, name_tok: _Token, args: list[_Node]) -> _Node:
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
            return _Node(zero, _shape_of(zero), column)
        (arg,) = args
        if name == "diag":
            if arg.shape != VECTOR:
                hints = {
                    MATRIX: "diag takes a vector; to keep only the diagonal of a matrix A write hadamard(A, I)",
                    COVECTOR: "diag takes a column vector: write diag(r) rather than diag(r.T)",
                    SCALAR: "diag takes a vector; for a multiple of the identity write c*I",
                }
                self._fail(f"diag takes an n×1 vector, not {_WORDS[arg.shape]}", name_tok, hint=hints[arg.shape],
                           operands=(arg,))
            if isinstance(arg.expr, sp.ZeroMatrix):
                expr: sp.Basic = sp.ZeroMatrix(N, N)
            else:
                expr = DiagMatrix(arg.expr).doit()
            if _shape_of(expr) != MATRIX:
                raise ValueError(f"DiagMatrix({arg.expr}).doit() has shape {expr.shape}")
            return arg.with_expr(expr, MATRIX, column=column)
        if name == "sym":
            if arg.shape != MATRIX:
                self._fail(f"sym takes an n×n matrix, not {_WORDS[arg.shape]}", name_tok,
                           hint="sym(A) is (A + A.T)/2 for a square matrix A", operands=(arg,))
            expr = (arg.expr + sp.transpose(arg.expr).doit()) / 2
            return arg.with_expr(expr, MATRIX, column=column)
        if name in ("sqrt", "exp"):
            if arg.shape != SCALAR:
                elementwise = ", ".join(sorted(ACTIVATIONS))
                self._fail(f"{name} applies to scalars only, not to {_WORDS[arg.shape]}", name_tok,
                           hint=f"the element-wise functions on vectors are {elementwise}", operands=(arg,))
            if name == "exp":
                return arg.with_expr(self._rational_constants(sp.exp(arg.expr), name_tok), SCALAR, column=column)
            return arg.with_expr(self._scalar_power(arg.expr, sp.S.Half, name_tok), SCALAR, column=column)
        # an element-wise activation
        if arg.shape == SCALAR:
            value = self._rational_constants(apply_activation(name, arg.expr), name_tok)
            return arg.with_expr(value, SCALAR, column=column)
        if arg.shape != VECTOR:
            self._fail(f"{name} applies to scalars and n×1 vectors, not to {_WORDS[arg.shape]}", name_tok,
                       hint=f"apply it to a vector and transpose the result, e.g. {name}(x).T",
                       operands=(arg,))
        if isinstance(arg.expr, ElementwiseApplyFunction):
            raise InputError(f"compositions of element-wise functions such as {name}({format_expression(arg.expr)})"
                             " are not supported yet", column=column, symbol=name,
                             hint="apply one element-wise function to a vector expression, e.g. tanh(W*x)")
        return arg.with_expr(apply_activation(name, arg.expr), VECTOR, column=column)


# ---------------------------------------------------------------------------------------------------- printing

_SUM, _PRODUCT, _UNARY, _POWER, _POSTFIX, _ATOM = range(1, 7)


def format_expression(expr: sp.Basic) -> str:
    """Canonical text of `expr` in the expression grammar; `parse_expression` reads it back as the same object.

    Raises ValueError for objects outside the language (e.g. floats, unknown functions or symbols with other
    assumptions than the parser gives them).
    """
    return _format(expr)[0]


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
        if _NAME_RE.fullmatch(expr.name) and expr.name not in RESERVED and expr == sp.Symbol(expr.name, real=True):
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
        if _NAME_RE.fullmatch(name) and name not in RESERVED and expr.shape in ((N, N), (N, 1)):
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
        if _shape_of(expr.args[0]) == VECTOR:
            return f"diag({_format(expr.args[0])[0]})", _ATOM
    elif isinstance(expr, ElementwiseApplyFunction):
        act: Activation | None = activation_by_sympy(expr.function)
        if act is not None:
            shape = _shape_of(expr.expr)
            if shape == VECTOR:
                return f"{act.name}({_format(expr.expr)[0]})", _ATOM
            if shape == COVECTOR:
                return f"{act.name}({_format(sp.transpose(expr.expr).doit())[0]}).T", _POSTFIX
    raise ValueError(f"{type(expr).__name__} {expr} of shape {expr.shape} is not part of the expression language")


def _format_matmul(expr: sp.MatMul) -> tuple[str, int]:
    coeff, matrices = expr.as_coeff_matrices()
    factors = [_wrap(m, _POWER) for m in matrices]
    if len(matrices) > 2 and _shape_of(matrices[0]) == COVECTOR:
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
