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

Limits (all in `certify.lang.limits`), each an `InputError` with a hint: at most `MAX_LENGTH` characters; at most `MAX_DEPTH` levels of nesting,
both in the text (parentheses, signs, exponents, calls) and in the SymPy tree (chains such as ``A∘B*C∘D*...`` nest
without parentheses); at most `MAX_MATRIX_DEPTH` levels of matrix operations, because SymPy's simplification of
nested matrix sums and products takes time exponential in that depth; constants built by powers of at most
`MAX_NUMBER_BITS` bits (roots of at most `MAX_ROOT_BITS`-bit numbers); decimal exponents up to
`MAX_DECIMAL_EXPONENT`; matrix powers up to `MAX_MATRIX_POWER`; a polynomial degree up to `MAX_DEGREE` and at most
`MAX_TERMS` terms once expanded, both bounded from the tree before anything is expanded (`(W + K)^12`, `W^1000`). Parsing time is dominated by SymPy (e.g.
``DiagMatrix.doit`` consults the assumption system): a rule of a few terms parses in milliseconds, the longest
inputs in about a second.

Where the code is. This module is the public face: it re-exports what the rest of certify uses. The work is done by
`certify.lang.tokens` (the tokenizer and number reading), `certify.lang.grammar` (the recursive descent and its
syntax errors), `certify.lang.operations` (what each operator and function builds, with its shape rules),
`certify.lang.canonical` (the normal form), `certify.lang.limits` (the input limits and the checks on built trees),
`certify.lang.symbols` (names, declarations and shapes) and `certify.lang.printing` (`format_expression`, `show`).
"""

from __future__ import annotations

from certify.lang.canonical import apply_activation as apply_activation
from certify.lang.canonical import canonical as canonical
from certify.lang.grammar import parse_expression as parse_expression
from certify.lang.grammar import parse_weight_flow as parse_weight_flow
from certify.lang.limits import MAX_DEPTH as MAX_DEPTH
from certify.lang.limits import MAX_LENGTH as MAX_LENGTH
from certify.lang.printing import format_expression as format_expression
from certify.lang.printing import show as show
from certify.lang.symbols import FUNCTIONS as FUNCTIONS
from certify.lang.symbols import RESERVED as RESERVED
from certify.lang.symbols import N as N
from certify.lang.symbols import ParsedExpression as ParsedExpression
from certify.lang.symbols import Symbols as Symbols
from certify.lang.symbols import W as W
from certify.lang.symbols import check_name as check_name

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
    "show",
]
