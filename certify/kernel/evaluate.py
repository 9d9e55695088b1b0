"""Exact evaluation of normal forms at concrete rational data (TRUSTED): the counterexample checks evaluate W'(0)
with it (kernel/verify.py check_witness). Matrices are lists of rows of Fractions; activations are evaluated only
where their value is rational (0 for tanh and relu, 1/2 for the logistic at 0, ...), anything else is refused.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Mapping

import sympy as sp

from .algebra import NF, Atom, Word
from .errors import KernelError

# -- exact evaluation (for counterexamples) ------------------------------------------------------

Mat = list  # list of rows of Fractions


def _matmul(a: Mat, b: Mat) -> Mat:
    if len(a[0]) != len(b):
        raise KernelError("matmul: shape mismatch in exact evaluation")
    return [[sum((a[i][k] * b[k][j] for k in range(len(b))), Fraction(0)) for j in range(len(b[0]))]
            for i in range(len(a))]


def _transpose(a: Mat) -> Mat:
    return [list(col) for col in zip(*a)]


def _identity(n: int) -> Mat:
    return [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]


def _exact_activation(name: str, x: Fraction) -> Fraction:
    if name == "relu":
        return max(x, Fraction(0))
    if name == "abs":
        return abs(x)
    if name == "tanh" and x == 0:
        return Fraction(0)
    if name == "sigmoid" and x == 0:
        return Fraction(1, 2)
    raise KernelError(f"evaluate: {name}({x}) is not rational; the witness cannot use it")


class Evaluator:
    """Evaluates normal forms exactly for concrete n, leaf values (Fraction matrices) and scalars."""

    def __init__(self, n: int, leaves: Mapping[str, Mat], scalars: Mapping[sp.Symbol, Fraction]):
        self.n = n
        self.leaves = leaves
        self.subs = {k: sp.Rational(v.numerator, v.denominator) for k, v in scalars.items()}

    def coeff(self, c: sp.Basic) -> Fraction:
        value = sp.sympify(c).xreplace(self.subs)  # safe: c is a kernel-built SymPy object
        if not value.is_Rational:
            raise KernelError(f"coeff: coefficient {c} does not evaluate to a rational at the witness")
        return Fraction(int(value.p), int(value.q))

    def atom(self, atom: Atom) -> Mat:
        tag = atom[0]
        if tag == "leaf":
            _, name, _kind, t = atom
            if name not in self.leaves:
                raise KernelError(f"atom: the witness gives no value for '{name}'")
            value = self.leaves[name]
            return _transpose(value) if t else value
        if tag == "diag":
            v = self.word(atom[1])
            if len(v[0]) != 1:
                raise KernelError("atom: diag() of a non-vector in exact evaluation")
            return [[v[i][0] if i == j else Fraction(0) for j in range(self.n)] for i in range(self.n)]
        if tag == "had":
            a, b = self.word(atom[1]), self.word(atom[2])
            if (len(a), len(a[0])) != (len(b), len(b[0])):
                raise KernelError("atom: Hadamard product of different shapes in exact evaluation")
            return [[a[i][j] * b[i][j] for j in range(len(a[0]))] for i in range(len(a))]
        if tag == "fun":
            inner = self.nf(dict(atom[2]))
            out = [[_exact_activation(atom[1], x) for x in row] for row in inner]
            return _transpose(out) if atom[3] else out
        raise KernelError(f"atom: unknown atom {atom!r}")

    def word(self, word: Word) -> Mat:
        if not word:
            return _identity(self.n)
        out = self.atom(word[0])
        for atom in word[1:]:
            out = _matmul(out, self.atom(atom))
        return out

    def nf(self, nf: NF, shape: tuple[int, int] | None = None) -> Mat:
        total: Mat | None = None
        if not nf and shape is not None:
            return [[Fraction(0)] * shape[1] for _ in range(shape[0])]
        for w, c in nf.items():
            value = self.word(w)
            k = self.coeff(c)
            scaled = [[k * x for x in row] for row in value]
            total = scaled if total is None else [[x + y for x, y in zip(r1, r2)]
                                                  for r1, r2 in zip(total, scaled)]
        if total is None:
            raise KernelError("nf: cannot infer the shape of an empty (zero) expression; pass it explicitly")
        return total
