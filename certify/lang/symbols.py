"""The names and shapes of the expression language: what ``W``, ``I``, ``n``, declared parameters and matrices and
every other name stand for, which names may be declared, and the four shapes a value can have."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import sympy as sp

from certify.errors import InputError
from certify.kernel.activations import ACTIVATIONS

N = sp.Symbol("n", integer=True, positive=True)
"""The network size: symbolic, so that what is proved holds for every n."""
W = sp.MatrixSymbol("W", N, N)
"""The weight matrix."""

FUNCTIONS: frozenset[str] = frozenset({"diag", "hadamard", "sym", "sqrt", "exp", "zeros"}) | frozenset(ACTIVATIONS)
"""The names that may be called; each is documented in `certify.lang.parse`."""
RESERVED: frozenset[str] = frozenset({"W", "I", "n"}) | FUNCTIONS

_RESERVED_WHY = {"W": "the weight matrix", "I": "the identity matrix", "n": "the network size"}
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
DIGITS = "0123456789"

SCALAR, MATRIX, VECTOR, COVECTOR = "scalar", "matrix", "vector", "covector"
WORDS = {SCALAR: "a scalar", MATRIX: "an n×n matrix", VECTOR: "an n×1 vector", COVECTOR: "a 1×n covector"}


def check_name(name: str, what: str) -> None:
    """Raise `InputError` unless `name` can be declared as a `what` (e.g. "parameter", "matrix")."""
    if not isinstance(name, str):
        raise InputError(f"a {what} name must be a string, not {type(name).__name__}", symbol=repr(name))
    if not name:
        raise InputError(f"empty {what} name", hint="names start with a letter, e.g. gamma")
    if not NAME_RE.fullmatch(name):
        if not ("A" <= name[0] <= "Z" or "a" <= name[0] <= "z"):
            problem = f"must start with an ASCII letter, not {name[0]!r}"
        else:
            bad = next(ch for ch in name if ch not in NAME_CHARS)
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


def shape_of(expr: sp.Basic) -> str:
    """The shape of a value: SCALAR, MATRIX (n×n), VECTOR (n×1) or COVECTOR (1×n); ValueError for any other."""
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
