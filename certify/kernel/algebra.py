"""Normal form of matrix expressions as non-commutative polynomials (TRUSTED).

The kernel never asks SymPy to simplify a matrix expression. Instead it expands every expression
into a sum of words (products of atoms, read left to right) with scalar coefficients; two
expressions are equal for every n and every value of their symbols when their normal forms are
equal. Atoms:

    ("leaf", name, kind, transposed)      kind: "W", "matrix" (declared n x n), "vector" (n x 1) or
                                          "scalar" (a declared 1 x 1 symbol, its own transpose)
    ("diag", word)                        diag(v) of a vector word v; diag is linear, so it is expanded
    ("had", word1, word2)                 Hadamard product of two words of equal shape; bilinear,
                                          commutative (the pair is sorted)
    ("fun", name, nf, transposed)         an activation applied element-wise to a vector with normal form nf

The identity matrix is the empty word. Coefficients are SymPy scalar expressions brought to the
canonical form of rational functions by `sympy.cancel` (polynomial arithmetic, a decision
procedure for equality of rational functions; no heuristic simplification).

Declared matrix properties enter only through transposition: a symmetric, psd, nsd or diagonal
matrix K satisfies K^T = K; a skew matrix satisfies K^T = -K (W too, when declared).

Derived normal forms for the law checks live in kernel/forms.py; exact evaluation at rational data (for
counterexamples) in kernel/evaluate.py.
"""

from __future__ import annotations

from typing import Mapping

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

from .errors import KernelError
from .activations import activation_by_sympy

Atom = tuple
Word = tuple
NF = dict  # Word -> SymPy coefficient

SYMMETRIC_PROPERTIES = frozenset({"symmetric", "psd", "nsd", "diagonal"})


def _norm(c: sp.Basic) -> sp.Basic:
    return sp.cancel(sp.sympify(c))  # safe: c is a SymPy object built by the kernel, never text


def add_into(out: NF, word: Word, coeff: sp.Basic) -> None:
    c = _norm(out.get(word, sp.Integer(0)) + coeff)
    if c == 0:
        out.pop(word, None)
    else:
        out[word] = c


def nf_add(a: NF, b: NF) -> NF:
    out = dict(a)
    for w, c in b.items():
        add_into(out, w, c)
    return out


def nf_scale(a: NF, c: sp.Basic) -> NF:
    out: NF = {}
    for w, d in a.items():
        add_into(out, w, c * d)
    return out


def nf_mul(a: NF, b: NF) -> NF:
    out: NF = {}
    for wa, ca in a.items():
        for wb, cb in b.items():
            add_into(out, wa + wb, ca * cb)
    return out


def nf_equal(a: NF, b: NF) -> bool:
    diff = nf_add(a, nf_scale(b, sp.Integer(-1)))
    return not diff


def freeze(nf: NF) -> tuple:
    return tuple(sorted(nf.items(), key=lambda item: repr(item)))


class Normalizer:
    """Brings SymPy matrix expressions to normal form, knowing which names are declared matrices."""

    def __init__(self, matrix_properties: Mapping[str, str], scalars: frozenset[str] = frozenset(),
                 symmetric_W: bool = False):
        if "W" in matrix_properties:
            raise KernelError("Normalizer: W is the weight matrix, not a declared matrix; a property of W is not accepted here")
        self.props = dict(matrix_properties)
        self.scalars = frozenset(scalars)
        self.symmetric_W = symmetric_W   # only the energy checks (kernel/laws.py) assume W = W^T

    # -- transposition ---------------------------------------------------------------------------
    def transpose_atom(self, atom: Atom) -> tuple[sp.Basic, Atom]:
        tag = atom[0]
        if tag == "leaf":
            _, name, kind, t = atom
            if kind == "scalar" or (kind == "W" and self.symmetric_W):
                return sp.Integer(1), atom
            if kind == "matrix":
                prop = self.props.get(name, "any")
                if prop in SYMMETRIC_PROPERTIES:
                    return sp.Integer(1), atom
                if prop == "skew":
                    return sp.Integer(-1), atom
            return sp.Integer(1), ("leaf", name, kind, not t)
        if tag == "diag":
            return sp.Integer(1), atom
        if tag == "had":
            c1, w1 = self.transpose_word(atom[1])
            c2, w2 = self.transpose_word(atom[2])
            return c1 * c2, ("had",) + tuple(sorted((w1, w2), key=repr))
        if tag == "fun":
            return sp.Integer(1), (atom[0], atom[1], atom[2], not atom[3])
        raise KernelError(f"transpose_atom: unknown atom {atom!r}")

    def transpose_word(self, word: Word) -> tuple[sp.Basic, Word]:
        coeff = sp.Integer(1)
        out = []
        for atom in reversed(word):
            c, a = self.transpose_atom(atom)
            coeff *= c
            out.append(a)
        return coeff, tuple(out)

    def transpose(self, nf: NF) -> NF:
        out: NF = {}
        for w, c in nf.items():
            d, tw = self.transpose_word(w)
            add_into(out, tw, c * d)
        return out

    # -- normal form of a SymPy expression ----------------------------------------------------------
    def nf(self, expr: sp.Basic) -> NF:
        if isinstance(expr, sp.MatrixSymbol):
            name = str(expr.name)
            if name in self.scalars:
                if expr.shape != (1, 1):
                    raise KernelError(f"nf: '{name}' is declared a scalar but has shape {expr.shape}")
                kind = "scalar"
            elif name == "W":
                kind = "W"
            elif name in self.props:
                kind = "matrix"
            elif expr.shape[1] == 1:
                kind = "vector"
            else:
                raise KernelError(f"nf: undeclared matrix symbol '{name}'")
            return {(("leaf", name, kind, False),): sp.Integer(1)}
        if isinstance(expr, sp.Identity):
            return {(): sp.Integer(1)}
        if isinstance(expr, sp.ZeroMatrix):
            return {}
        if isinstance(expr, sp.MatAdd):
            out: NF = {}
            for arg in expr.args:
                out = nf_add(out, self.nf(arg))
            return out
        if isinstance(expr, sp.MatMul):
            out = {(): sp.Integer(1)}
            for arg in expr.args:
                if getattr(arg, "is_Matrix", False):
                    out = nf_mul(out, self.nf(arg))
                else:
                    out = nf_scale(out, arg)
            return out
        if isinstance(expr, sp.Transpose):
            return self.transpose(self.nf(expr.arg))
        if isinstance(expr, sp.MatPow):
            k = expr.exp
            if not (k.is_Integer and int(k) >= 1):
                raise KernelError(f"nf: matrix power with exponent {k} is not supported")
            base = self.nf(expr.base)
            out = base
            for _ in range(int(k) - 1):
                out = nf_mul(out, base)
            return out
        if isinstance(expr, DiagMatrix):
            if expr.args[0].shape != (expr.shape[0], 1):
                raise KernelError(f"nf: diag() of something that is not an n x 1 vector: {expr.args[0]}")
            out = {}
            for w, c in self.nf(expr.args[0]).items():
                add_into(out, (("diag", w),), c)
            return out
        if isinstance(expr, (HadamardProduct, HadamardPower)):
            if isinstance(expr, HadamardPower):
                k = expr.exp
                if not (k.is_Integer and int(k) >= 1):
                    raise KernelError(f"nf: Hadamard power with exponent {k} is not supported")
                args = [expr.base] * int(k)
            else:
                args = list(expr.args)
            acc = self.nf(args[0])
            for arg in args[1:]:
                other = self.nf(arg)
                new: NF = {}
                for w1, c1 in acc.items():
                    for w2, c2 in other.items():
                        pair = tuple(sorted((w1, w2), key=repr))
                        add_into(new, (("had",) + pair,), c1 * c2)
                acc = new
            return acc
        if isinstance(expr, ElementwiseApplyFunction):
            act = activation_by_sympy(expr.function)
            if act is None:
                raise KernelError(f"nf: unknown element-wise function {expr.function}")
            inner = self.nf(expr.expr)
            if not inner:
                raise KernelError("nf: an activation of the zero vector must be evaluated, not normalised")
            rows, cols = expr.expr.shape
            if rows == 1 and cols == 1:
                raise KernelError("nf: an activation of a 1 x 1 matrix expression is not supported")
            if rows == 1 and cols != 1:
                # f applied to a covector is the transpose of f applied to the vector: one canonical atom
                return {(("fun", act.name, freeze(self.transpose(inner)), True),): sp.Integer(1)}
            if cols != 1:
                raise KernelError("nf: activations apply to vectors only")
            return {(("fun", act.name, freeze(inner), False),): sp.Integer(1)}
        raise KernelError(f"nf: the kernel does not know the matrix operation {type(expr).__name__}: {expr}")


def contains_w(word: Word) -> bool:
    """Whether the weight matrix W occurs anywhere in the word (also inside diag, had, fun)."""
    for atom in word:
        tag = atom[0]
        if tag == "leaf" and atom[2] == "W":
            return True
        if tag == "diag" and contains_w(atom[1]):
            return True
        if tag == "had" and (contains_w(atom[1]) or contains_w(atom[2])):
            return True
        if tag == "fun" and any(contains_w(w) for w, _ in atom[2]):
            return True
    return False
