"""Derived normal forms for the law and energy checks (TRUSTED), on top of kernel/algebra.py.

`scalar_form`: a 1 x 1 word equals its transpose and 1 x 1 factors commute, so each scalar factor is replaced by
the smaller (by repr) of itself and its transpose and the factors are sorted; a factor equal to minus itself is 0.
`trace_form`: tr(w) is replaced by the least rotation of w or of w^T. `derivative`: the product rule, given the
rates of the time-dependent leaves (activations of moving vectors are refused). `substitute`: leaves replaced by
normal forms. `cancel_inverses`: adjacent declared inverse pairs D Dinv = Dinv D = I cancel. Each is an identity
of matrices for every n, and each is tested against numpy on random matrices (tests/search/test_laws.py).
"""

from __future__ import annotations

from typing import Mapping

import sympy as sp

from .algebra import NF, Atom, Normalizer, Word, add_into, freeze, nf_add, nf_equal, nf_mul, nf_scale
from .errors import KernelError

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
    raise KernelError(f"atom_shape: unknown atom {atom!r}")


def word_shape(word: Word) -> tuple[str, str]:
    if not word:
        return ("n", "n")
    rows, cols = atom_shape(word[0])
    for atom in word[1:]:
        r, c = atom_shape(atom)
        if r != cols:
            raise KernelError(f"word_shape: shape mismatch inside the word {word!r}")
        cols = c
    return rows, cols


def scalar_factors(word: Word) -> list[Word]:
    """Split a 1 x 1 word into its minimal 1 x 1 factors (each a scalar, so they commute)."""
    if word_shape(word) != ("1", "1"):
        raise KernelError(f"scalar_factors: the word {word!r} is not a scalar")
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
            raise KernelError(f"trace_form: the trace of the non-square word {word!r}")
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
        raise KernelError(f"consistent: the value given for the scalar '{atom[1]}' is not 1 x 1")
    if nz.props.get(atom[1]) == "diagonal":
        # a sum of products of diagonal factors is diagonal (diagonal matrices commute; no normal form needed)
        if all(a[0] == "diag" or (a[0] == "leaf" and nz.props.get(a[1]) == "diagonal") for w in value for a in w):
            return value
        raise KernelError(f"consistent: the value given for '{atom[1]}' is not a product of diagonal matrices")
    if not nf_equal(nz.transpose(value), nf_scale(value, c)):
        raise KernelError(f"consistent: the value given for '{atom[1]}' does not have its declared symmetry")
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
            raise KernelError(f"atom_derivative: no chain rule for the activation {atom[1]} of a time-dependent vector")
        return {}
    raise KernelError(f"atom_derivative: unknown atom {atom!r}")


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
            raise KernelError("atom_substitute: an activation of the zero vector must be evaluated, not normalised")
        return _single(("fun", atom[1], freeze(inner), atom[3]))
    raise KernelError(f"atom_substitute: unknown atom {atom!r}")


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
