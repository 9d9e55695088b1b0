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

Beyond equality of matrices, three derived normal forms serve the conservation-law and energy checks
(kernel/laws.py): `scalar_form` (a 1 x 1 word equals its transpose, and 1 x 1 factors commute),
`trace_form` (tr is invariant under rotation and transposition of a word), and the operations
`derivative` (product rule with given rates of the leaves), `substitute` (leaves replaced by normal
forms) and `cancel_inverses` (declared inverse pairs D Dinv = Dinv D = I cancel).
"""

from __future__ import annotations

from fractions import Fraction
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
            raise KernelError("W is the weight matrix, not a declared matrix; a property of W is not accepted here")
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
        raise KernelError(f"unknown atom {atom!r}")

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
                    raise KernelError(f"'{name}' is declared a scalar but has shape {expr.shape}")
                kind = "scalar"
            elif name == "W":
                kind = "W"
            elif name in self.props:
                kind = "matrix"
            elif expr.shape[1] == 1:
                kind = "vector"
            else:
                raise KernelError(f"undeclared matrix symbol '{name}'")
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
                raise KernelError(f"matrix power with exponent {k} is not supported")
            base = self.nf(expr.base)
            out = base
            for _ in range(int(k) - 1):
                out = nf_mul(out, base)
            return out
        if isinstance(expr, DiagMatrix):
            if expr.args[0].shape != (expr.shape[0], 1):
                raise KernelError(f"diag() of something that is not an n x 1 vector: {expr.args[0]}")
            out = {}
            for w, c in self.nf(expr.args[0]).items():
                add_into(out, (("diag", w),), c)
            return out
        if isinstance(expr, (HadamardProduct, HadamardPower)):
            if isinstance(expr, HadamardPower):
                k = expr.exp
                if not (k.is_Integer and int(k) >= 1):
                    raise KernelError(f"Hadamard power with exponent {k} is not supported")
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
                raise KernelError(f"unknown element-wise function {expr.function}")
            inner = self.nf(expr.expr)
            if not inner:
                raise KernelError("an activation of the zero vector must be evaluated, not normalised")
            rows, cols = expr.expr.shape
            if rows == 1 and cols == 1:
                raise KernelError("an activation of a 1 x 1 matrix expression is not supported")
            if rows == 1 and cols != 1:
                # f applied to a covector is the transpose of f applied to the vector: one canonical atom
                return {(("fun", act.name, freeze(self.transpose(inner)), True),): sp.Integer(1)}
            if cols != 1:
                raise KernelError("activations apply to vectors only")
            return {(("fun", act.name, freeze(inner), False),): sp.Integer(1)}
        raise KernelError(f"the kernel does not know the matrix operation {type(expr).__name__}: {expr}")


# -- shapes, scalar words and traces ------------------------------------------------------------

def atom_shape(atom: Atom) -> tuple[str, str]:
    """('n', 'n'), ('n', '1'), ('1', 'n') or ('1', '1'): the symbolic shape of an atom."""
    tag = atom[0]
    if tag == "leaf":
        kind, t = atom[2], atom[3]
        if kind == "scalar":
            return ("1", "1")
        if kind == "vector":
            return ("1", "n") if t else ("n", "1")
        return ("n", "n")
    if tag == "diag":
        return ("n", "n")
    if tag == "had":
        return word_shape(atom[1])
    if tag == "fun":
        return ("1", "n") if atom[3] else ("n", "1")
    raise KernelError(f"unknown atom {atom!r}")


def word_shape(word: Word) -> tuple[str, str]:
    if not word:
        return ("n", "n")
    rows, cols = atom_shape(word[0])
    for atom in word[1:]:
        r, c = atom_shape(atom)
        if r != cols:
            raise KernelError(f"shape mismatch inside the word {word!r}")
        cols = c
    return rows, cols


def scalar_factors(word: Word) -> list[Word]:
    """Split a 1 x 1 word into its minimal 1 x 1 factors (each a scalar, so they commute)."""
    if word_shape(word) != ("1", "1"):
        raise KernelError(f"the word {word!r} is not a scalar")
    factors, start = [], 0
    for i in range(len(word)):
        if atom_shape(word[start])[0] == "1" and atom_shape(word[i])[1] == "1":
            factors.append(word[start:i + 1])
            start = i + 1
    return factors


def scalar_form(nz: Normalizer, nf: NF) -> NF:
    """Normal form of a 1 x 1 expression: every scalar factor replaced by the smaller (by repr) of itself and
    its transpose (they are equal), factors sorted (scalars commute). A factor equal to minus itself is 0."""
    out: NF = {}
    for word, c in nf.items():
        coeff, factors, zero = c, [], False
        for f in scalar_factors(word):
            d, tf = nz.transpose_word(f)
            if tf == f and d == -1:
                zero = True
                break
            if repr(tf) < repr(f):
                coeff, f = coeff * d, tf
            factors.append(f)
        if not zero:
            add_into(out, tuple(a for f in sorted(factors, key=repr) for a in f), coeff)
    return out


def _least_rotation(word: Word) -> Word:
    return min((word[k:] + word[:k] for k in range(len(word))), key=repr) if word else word


def trace_form(nz: Normalizer, nf: NF) -> NF:
    """Normal form of tr(expression) for a square expression: each word replaced by its least rotation,
    or that of its transpose (tr(AB) = tr(BA), tr(A^T) = tr(A)). A word whose trace is minus itself is 0."""
    out: NF = {}
    for word, c in nf.items():
        rows, cols = word_shape(word)
        if rows != cols:
            raise KernelError(f"the trace of the non-square word {word!r}")
        d, tw = nz.transpose_word(word)
        own, other = _least_rotation(word), _least_rotation(tw)
        if own == other and d == -1:
            continue
        if repr(other) < repr(own):
            add_into(out, other, c * d)
        else:
            add_into(out, own, c)
    return out


# -- time derivatives, substitution, inverse pairs -------------------------------------------------

def _single(atom: Atom) -> NF:
    return {(atom,): sp.Integer(1)}


def _wrap_diag(nf: NF) -> NF:
    out: NF = {}
    for w, c in nf.items():
        add_into(out, (("diag", w),), c)
    return out


def _wrap_had(a: NF, b: NF) -> NF:
    out: NF = {}
    for w1, c1 in a.items():
        for w2, c2 in b.items():
            add_into(out, (("had",) + tuple(sorted((w1, w2), key=repr)),), c1 * c2)
    return out


def leaf_names(word: Word) -> set[str]:
    names: set[str] = set()
    for atom in word:
        tag = atom[0]
        if tag == "leaf":
            names.add(atom[1])
        elif tag == "diag":
            names |= leaf_names(atom[1])
        elif tag == "had":
            names |= leaf_names(atom[1]) | leaf_names(atom[2])
        elif tag == "fun":
            for w, _ in atom[2]:
                names |= leaf_names(w)
    return names


def derivative(nz: Normalizer, nf: NF, rates: Mapping[str, NF]) -> NF:
    """d/dt of an expression by the product rule, given d/dt of its time-dependent leaves (others are
    constant; coefficients are constants). Activations of time-dependent vectors are refused."""
    out: NF = {}
    for word, c in nf.items():
        for i, atom in enumerate(word):
            d_atom = _atom_derivative(nz, atom, rates)
            if d_atom:
                term = nf_mul(nf_mul({word[:i]: sp.Integer(1)}, d_atom), {word[i + 1:]: sp.Integer(1)})
                out = nf_add(out, nf_scale(term, c))
    return out


def _consistent(nz: Normalizer, atom: Atom, value: NF) -> NF:
    """A rate or value given for a leaf must have the leaf's transposition property (K^T = K or K^T = -K),
    since the leaf never appears transposed in a normal form and its value stands for its transpose too."""
    c, same = nz.transpose_atom(atom)
    if same != atom:
        return value
    if atom[2] == "scalar":          # a 1 x 1 value equals its transpose
        if all(word_shape(w) == ("1", "1") for w in value):
            return value
        raise KernelError(f"the value given for the scalar '{atom[1]}' is not 1 x 1")
    if nz.props.get(atom[1]) == "diagonal":
        # a sum of products of diagonal factors is diagonal (diagonal matrices commute; no normal form needed)
        if all(a[0] == "diag" or (a[0] == "leaf" and nz.props.get(a[1]) == "diagonal") for w in value for a in w):
            return value
        raise KernelError(f"the value given for '{atom[1]}' is not a product of diagonal matrices")
    if not nf_equal(nz.transpose(value), nf_scale(value, c)):
        raise KernelError(f"the value given for '{atom[1]}' does not have its declared symmetry")
    return value


def _atom_derivative(nz: Normalizer, atom: Atom, rates: Mapping[str, NF]) -> NF:
    tag = atom[0]
    if tag == "leaf":
        if atom[1] not in rates:
            return {}
        rate = _consistent(nz, atom, rates[atom[1]])
        return nz.transpose(rate) if atom[3] else dict(rate)
    if tag == "diag":
        return _wrap_diag(derivative(nz, {atom[1]: sp.Integer(1)}, rates))
    if tag == "had":
        a, b = {atom[1]: sp.Integer(1)}, {atom[2]: sp.Integer(1)}
        return nf_add(_wrap_had(derivative(nz, a, rates), b), _wrap_had(a, derivative(nz, b, rates)))
    if tag == "fun":
        if any(leaf_names(w) & set(rates) for w, _ in atom[2]):
            raise KernelError(f"no chain rule for the activation {atom[1]} of a time-dependent vector")
        return {}
    raise KernelError(f"unknown atom {atom!r}")


def substitute(nz: Normalizer, nf: NF, values: Mapping[str, NF]) -> NF:
    """Replace the leaves named in `values` by those normal forms (transposed leaves by the transpose)."""
    out: NF = {}
    for word, c in nf.items():
        acc: NF = {(): sp.Integer(1)}
        for atom in word:
            acc = nf_mul(acc, _atom_substitute(nz, atom, values))
        out = nf_add(out, nf_scale(acc, c))
    return out


def _atom_substitute(nz: Normalizer, atom: Atom, values: Mapping[str, NF]) -> NF:
    tag = atom[0]
    if tag == "leaf":
        if atom[1] not in values:
            return _single(atom)
        value = _consistent(nz, atom, values[atom[1]])
        return nz.transpose(value) if atom[3] else dict(value)
    if tag == "diag":
        return _wrap_diag(substitute(nz, {atom[1]: sp.Integer(1)}, values))
    if tag == "had":
        return _wrap_had(substitute(nz, {atom[1]: sp.Integer(1)}, values),
                         substitute(nz, {atom[2]: sp.Integer(1)}, values))
    if tag == "fun":
        inner = substitute(nz, dict(atom[2]), values)
        if not inner:
            raise KernelError("an activation of the zero vector must be evaluated, not normalised")
        return _single(("fun", atom[1], freeze(inner), atom[3]))
    raise KernelError(f"unknown atom {atom!r}")


def cancel_inverses(nf: NF, pairs: Mapping[str, str]) -> NF:
    """Cancel adjacent (untransposed) leaves A B with pairs[A] == B, i.e. A B = I (free reduction)."""
    out: NF = {}
    for word, c in nf.items():
        stack: list[Atom] = []
        for atom in word:
            if (stack and atom[0] == "leaf" and stack[-1][0] == "leaf" and not atom[3] and not stack[-1][3]
                    and pairs.get(stack[-1][1]) == atom[1]):
                stack.pop()
            else:
                stack.append(atom)
        add_into(out, tuple(stack), c)
    return out


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


# -- exact evaluation (for counterexamples) ------------------------------------------------------

Mat = list  # list of rows of Fractions


def _matmul(a: Mat, b: Mat) -> Mat:
    if len(a[0]) != len(b):
        raise KernelError("shape mismatch in exact evaluation")
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
    raise KernelError(f"{name}({x}) is not rational; the witness cannot use it")


class Evaluator:
    """Evaluates normal forms exactly for concrete n, leaf values (Fraction matrices) and scalars."""

    def __init__(self, n: int, leaves: Mapping[str, Mat], scalars: Mapping[sp.Symbol, Fraction]):
        self.n = n
        self.leaves = leaves
        self.subs = {k: sp.Rational(v.numerator, v.denominator) for k, v in scalars.items()}

    def coeff(self, c: sp.Basic) -> Fraction:
        value = sp.sympify(c).xreplace(self.subs)  # safe: c is a kernel-built SymPy object
        if not value.is_Rational:
            raise KernelError(f"coefficient {c} does not evaluate to a rational at the witness")
        return Fraction(int(value.p), int(value.q))

    def atom(self, atom: Atom) -> Mat:
        tag = atom[0]
        if tag == "leaf":
            _, name, _kind, t = atom
            if name not in self.leaves:
                raise KernelError(f"the witness gives no value for '{name}'")
            value = self.leaves[name]
            return _transpose(value) if t else value
        if tag == "diag":
            v = self.word(atom[1])
            if len(v[0]) != 1:
                raise KernelError("diag() of a non-vector in exact evaluation")
            return [[v[i][0] if i == j else Fraction(0) for j in range(self.n)] for i in range(self.n)]
        if tag == "had":
            a, b = self.word(atom[1]), self.word(atom[2])
            if (len(a), len(a[0])) != (len(b), len(b[0])):
                raise KernelError("Hadamard product of different shapes in exact evaluation")
            return [[a[i][j] * b[i][j] for j in range(len(a[0]))] for i in range(len(a))]
        if tag == "fun":
            inner = self.nf(dict(atom[2]))
            out = [[_exact_activation(atom[1], x) for x in row] for row in inner]
            return _transpose(out) if atom[3] else out
        raise KernelError(f"unknown atom {atom!r}")

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
            raise KernelError("cannot infer the shape of an empty (zero) expression; pass it explicitly")
        return total
