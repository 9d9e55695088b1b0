"""The lemma library and the checks of its instantiations (TRUSTED).

Each lemma is a theorem of docs/theory.md with its source. A *term lemma* bounds mu(T) (route 'measure')
or ||T|| (route 'norm') for one term T of the drive G; a *decay lemma* accounts for a structured
decay of W (left or right multiplication by a positive semidefinite or non-negative diagonal
matrix); a *flow lemma* turns the pieces into a differential inequality and its Gronwall solution.
Every lemma here has a numeric property test (tests/kernel/test_lemmas.py) that tries to falsify it.

A check rebuilds the lemma's template from its instantiation with SymPy operators, brings it to
normal form (algebra.py) and compares; side conditions (signs, bounds) are decided by exact
interval arithmetic over the declared ranges (intervals.py). Anything else raises KernelError.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardProduct

from .errors import KernelError, SideConditionError
from .activations import ACTIVATIONS
from .algebra import NF, Normalizer, Word, contains_w, nf_add, nf_equal, nf_scale
from .intervals import INF, Interval, enclose
from .objects import N, Assumptions, Use


@dataclass(frozen=True)
class Lemma:
    name: str
    statement: str
    source: str
    routes: tuple[str, ...]   # 'measure', 'norm'
    norms: tuple[str, ...]    # 'l1', 'l2', 'linf'


KS = "Kozachkov & Slotine, arXiv 2212.12639"
BULLO = "F. Bullo, Contraction Theory for Dynamical Systems (2024), ch. 2"
ALL = ("l1", "l2", "linf")

LEMMAS: dict[str, Lemma] = {lemma.name: lemma for lemma in (
    # flow lemmas
    Lemma("measure-flow", "If W' = -gamma W + G then D+ mu(W) <= -gamma mu(W) + mu(G), for every real gamma "
          "(apply D+ mu(V) <= mu(V') to V = e^{gamma t} W)", KS, ("measure",), ALL),
    Lemma("norm-flow", "If W' = -gamma W - M_L W - W M_R + G with ||I - h M|| <= 1 - h delta(M) for small h, "
          "then D+ ||W|| <= -(gamma + delta_L + delta_R) ||W|| + ||G||", KS, ("norm",), ALL),
    Lemma("row-scaling-decay", "If W' = -gamma W - diag(d) W + G with d >= delta >= 0, then while "
          "mu_inf(W) >= 0: D+ mu_inf(W) <= -(gamma + delta) mu_inf(W) + mu_inf(G) (rows scale by 1 - h d_i)",
          "docs/theory.md section 2 (Oja-type terms); derived and tested here", ("measure",), ("linf",)),
    Lemma("column-scaling-decay", "If W' = -gamma W - W diag(d) + G with d >= delta >= 0, then while "
          "mu_1(W) >= 0: D+ mu_1(W) <= -(gamma + delta) mu_1(W) + mu_1(G) (columns scale by 1 - h d_j)",
          "docs/theory.md section 2 (Oja-type terms); derived and tested here", ("measure",), ("l1",)),
    Lemma("subadditivity", "mu(A + B) <= mu(A) + mu(B) and ||A + B|| <= ||A|| + ||B||", BULLO,
          ("measure", "norm"), ALL),
    Lemma("gronwall", "If D+ m <= -gamma m + beta with gamma > 0 then m(t) <= e^{-gamma t} m(0) + "
          "(1 - e^{-gamma t}) beta / gamma; with beta <= 0 and any gamma, m(t) <= e^{-gamma t} m(0)",
          "comparison lemma for Dini derivatives", ("measure", "norm"), ALL),
    Lemma("measure-below-norm", "mu(A) <= ||A|| for every induced norm", BULLO, ("norm",), ALL),
    Lemma("unit-weights", "the unweighted norm is the weighted norm with eta = 1 (P = I), so a bound in it "
          "proves the claim that some weighted norm satisfies the bound", BULLO, ("measure", "norm"), ALL),
    # decay lemmas
    Lemma("diagonal-decay", "c diag(v) with c >= 0 and v >= lo >= 0 componentwise is a non-negative diagonal "
          "matrix with smallest entry >= c lo; ||I - h c diag(v)|| = 1 - h c min v for small h in l1, l2, linf",
          BULLO, ("measure", "norm"), ALL),
    Lemma("gram-decay", "c A A^T with c >= 0 is positive semidefinite, so ||I - h c A A^T||_2 <= 1 for small h",
          "spectral theorem", ("norm",), ("l2",)),
    Lemma("psd-decay", "c K with c >= 0 and K declared positive semidefinite: ||I - h c K||_2 <= 1 for small h",
          "spectral theorem", ("norm",), ("l2",)),
    # term lemmas
    Lemma("scaled-identity", "mu(c I) = c and ||c I|| = |c| in every norm", BULLO, ("measure", "norm"), ALL),
    Lemma("diagonal", "mu(c diag(v)) = max_i c v_i and ||c diag(v)|| = |c| max_i |v_i| in l1, l2, linf",
          BULLO, ("measure", "norm"), ALL),
    Lemma("outer-bound", "mu(c u v^T) <= ||c u v^T|| <= |c| n max|u_i| max|v_j| in l1, l2 and linf", BULLO,
          ("measure", "norm"), ALL),
    Lemma("l2-neg-gram", "mu_2(-c A A^T) <= 0 for c >= 0 (sym(-c A A^T) is negative semidefinite)", KS,
          ("measure",), ("l2",)),
    Lemma("l2-neg-congruence", "mu_2(-c diag(v) K diag(v)) <= 0 for c >= 0 and K positive semidefinite "
          "(congruence preserves semidefiniteness)", KS, ("measure",), ("l2",)),
    Lemma("l2-neg-schur", "mu_2(-c K o (v v^T)) <= 0 for c >= 0 and K positive semidefinite "
          "(K o v v^T = diag(v) K diag(v); Schur product theorem)", KS, ("measure",), ("l2",)),
    Lemma("l2-skew", "mu_2(S) = 0 when S^T = -S (sym(S) = 0)", BULLO, ("measure",), ("l2",)),
)}


# -- interval bounds of vector expressions --------------------------------------------------------

def _word_interval(word: Word, asm: Assumptions, normalizer: Normalizer) -> Interval:
    """Componentwise enclosure of a vector word; +-inf when the word is not an activity expression."""
    if len(word) == 1:
        atom = word[0]
        if atom[0] == "leaf" and atom[2] == "vector" and not atom[3]:
            return asm.activity_interval(atom[1])
        if atom[0] == "had":
            return _word_interval(atom[1], asm, normalizer) * _word_interval(atom[2], asm, normalizer)
        if atom[0] == "fun" and not atom[3]:
            inner = vector_interval(dict(atom[2]), asm, normalizer)
            lo, hi = ACTIVATIONS[atom[1]].image(inner.lo, inner.hi)
            return Interval(lo, hi)
    if len(word) >= 2 and word[0][0] == "diag":
        return _word_interval(word[0][1], asm, normalizer) * _word_interval(word[1:], asm, normalizer)
    return Interval.everything()


def vector_interval(nf: NF, asm: Assumptions, normalizer: Normalizer) -> Interval:
    env = asm.symbol_env()
    out = Interval.point(0)
    for word, coeff in nf.items():
        if contains_w(word):
            return Interval.everything()
        out = out + enclose(coeff, env) * _word_interval(word, asm, normalizer)
    return out


# -- helpers ----------------------------------------------------------------------------------------

class Context:
    def __init__(self, asm: Assumptions, normalizer: Normalizer):
        self.asm = asm
        self.nz = normalizer
        self.env = asm.symbol_env()
        self.conditions: list[sp.Basic] = []   # every side condition verified, as SymPy relations

    def nonneg(self, c: sp.Basic, what: str) -> None:
        iv = enclose(c, self.env)
        if not iv.is_nonneg():
            raise SideConditionError(f"nonneg: side condition {what} = {c} >= 0 is not implied by the declared ranges "
                                     f"(it ranges over {iv})", sp.Ge(c, 0))
        self.record(sp.Ge(c, 0))

    def record(self, relation: sp.Basic) -> None:
        if relation is not sp.true and relation not in self.conditions:
            self.conditions.append(relation)

    def magnitude(self, c: sp.Basic) -> sp.Basic:
        iv = enclose(c, self.env)
        if iv.is_nonneg():
            return c
        if iv.is_nonpos():
            return -c
        return sp.Abs(c)

    def vec(self, v: sp.Basic, key: str) -> Interval:
        if not (getattr(v, "is_Matrix", False) and v.shape == (N, 1)):
            raise KernelError(f"vec: '{key}' must be an n x 1 vector expression, got {v}")
        return vector_interval(self.nz.nf(v), self.asm, self.nz)

    def psd_matrix(self, K: sp.Basic) -> None:
        if not (isinstance(K, sp.MatrixSymbol) and self.asm.matrices.get(str(K.name)) == "psd"):
            raise KernelError(f"psd_matrix: '{K}' is not a matrix declared positive semidefinite")


def _rational(x: Fraction | float) -> sp.Basic:
    if x in (INF, -INF):
        return sp.oo if x > 0 else -sp.oo
    return sp.Rational(x.numerator, x.denominator)


def _factor(use: Use, key: str) -> sp.Basic:
    """A matrix expression with n rows (a Gram factor A of A A^T)."""
    A = use.get(key)
    if not (getattr(A, "is_Matrix", False) and A.shape[0] == N):
        raise KernelError(f"factor: lemma '{use.lemma}': '{key}' must be a matrix expression with n rows, got {A}")
    return A


def _scalar(use: Use, key: str) -> sp.Basic:
    c = use.get(key)
    if getattr(c, "is_Matrix", False):
        raise KernelError(f"scalar: lemma '{use.lemma}': '{key}' must be a scalar, got the matrix {c}")
    return c


# -- term lemmas: (template NF, bound) -------------------------------------------------------------

def check_term(use: Use, route: str, norm: str, ctx: Context) -> tuple[NF, sp.Basic, tuple]:
    """Returns the term's normal form, its bound beta (mu(T) <= beta, or ||T|| <= beta on the norm
    route) and a statement for people (a str.format template and its arguments). Raises KernelError if the lemma does not apply."""
    lemma = LEMMAS.get(use.lemma)
    if lemma is None or use.lemma not in TERM_LEMMAS:
        raise KernelError(f"check_term: '{use.lemma}' is not a term lemma of the library")
    if route not in lemma.routes or norm not in lemma.norms:
        raise KernelError(f"check_term: lemma '{use.lemma}' does not hold for {route} bounds in {norm}")
    nz = ctx.nz
    I = sp.Identity(N)
    if use.lemma == "scaled-identity":
        c = _scalar(use, "c")
        beta = c if route == "measure" else ctx.magnitude(c)
        return nz.nf(c * I), beta, (("mu({0} I) = {0}", (c,)) if route == "measure" else ("||{0} I|| = {1}", (c, beta)))
    if use.lemma == "diagonal":
        c, v = _scalar(use, "c"), use.get("v")
        iv = ctx.vec(v, "v")
        c_iv = enclose(c, ctx.env)
        if route == "measure" and c_iv.is_nonneg():
            beta = c * _rational(iv.hi)
        elif route == "measure" and c_iv.is_nonpos():
            beta = c * _rational(iv.lo)
        else:
            beta = ctx.magnitude(c) * _rational(iv.magnitude())
        return nz.nf(c * DiagMatrix(v)), beta, ("mu(({0}) diag({1})) <= {2}  since {1} in {3} componentwise",
                                                 (c, v, beta, iv))
    if use.lemma == "outer-bound":
        c, u, v = _scalar(use, "c"), use.get("u"), use.get("v")
        ru, rv = ctx.vec(u, "u").magnitude(), ctx.vec(v, "v").magnitude()
        beta = ctx.magnitude(c) * N * _rational(ru) * _rational(rv)
        return (nz.nf(c * u * v.T), beta,
                ("mu(({0}) ({1})({2})^T) <= |{0}| n max|u_i| max|v_j| = {3}  since |u_i| <= {4}, |v_j| <= {5}",
                 (c, u, v, beta, ru, rv)))
    if use.lemma == "l2-neg-gram":
        c, A = _scalar(use, "c"), _factor(use, "A")
        ctx.nonneg(c, "c")
        return nz.nf(-c * A * A.T), sp.Integer(0), ("mu_2(-({0}) ({1})({1})^T) <= 0 since {0} >= 0", (c, A))
    if use.lemma in ("l2-neg-congruence", "l2-neg-schur"):
        c, v, K = _scalar(use, "c"), use.get("v"), use.get("K")
        ctx.nonneg(c, "c")
        ctx.psd_matrix(K)
        ctx.vec(v, "v")
        if use.lemma == "l2-neg-congruence":
            template = -c * DiagMatrix(v) * K * DiagMatrix(v)
        else:
            template = -c * HadamardProduct(K, v * v.T)
        return nz.nf(template), sp.Integer(0), ("mu_2({0}) <= 0 since {1} >= 0 and {2} is psd", (template, c, K))
    if use.lemma == "l2-skew":
        S = use.get("S")
        if not (getattr(S, "is_Matrix", False) and S.shape == (N, N)):
            raise KernelError(f"check_term: lemma 'l2-skew': 'S' must be an n x n matrix expression, got {S}")
        nf = nz.nf(S)
        if nf_add(nf, nz.transpose(nf)):
            raise KernelError(f"check_term: '{S}' is not skew-symmetric: S + S^T is not identically 0")
        return nf, sp.Integer(0), ("mu_2({0}) = 0 since it is skew-symmetric", (S,))
    raise KernelError(f"check_term: no check for lemma '{use.lemma}'")  # pragma: no cover - table and code agree


TERM_LEMMAS = ("scaled-identity", "diagonal", "outer-bound", "l2-neg-gram", "l2-neg-congruence",
               "l2-neg-schur", "l2-skew")
DECAY_LEMMAS = ("diagonal-decay", "gram-decay", "psd-decay")


def check_decay(use: Use, route: str, norm: str, ctx: Context) -> tuple[NF, sp.Basic, str, tuple]:
    """A structured decay -M W (side 'left') or -W M (side 'right'). Returns the NF of that term,
    the extra decay rate delta (a lower bound on the smallest eigenvalue / entry of M), the side
    and a statement (template, args). Which sides are allowed depends on the route and norm."""
    if use.lemma not in DECAY_LEMMAS:
        raise KernelError(f"check_decay: '{use.lemma}' is not a decay lemma of the library")
    lemma = LEMMAS[use.lemma]
    if route not in lemma.routes or norm not in lemma.norms:
        raise KernelError(f"check_decay: lemma '{use.lemma}' does not hold for {route} bounds in {norm}")
    side = str(use.get("side"))
    if side not in ("left", "right"):
        raise KernelError(f"check_decay: decay side must be 'left' or 'right', got {side!r}")
    if route == "measure" and not ((norm == "linf" and side == "left") or (norm == "l1" and side == "right")):
        raise KernelError(f"check_decay: a {side} diagonal decay keeps mu_{norm} in check only on the norm route")
    W = sp.MatrixSymbol("W", N, N)
    c = _scalar(use, "c")
    ctx.nonneg(c, "c")
    if use.lemma == "diagonal-decay":
        v = use.get("v")
        iv = ctx.vec(v, "v")
        if not iv.is_nonneg():
            raise KernelError(f"check_decay: diagonal decay needs v >= 0 componentwise; v = {v} ranges over {iv}")
        M = c * DiagMatrix(v)
        delta = c * _rational(iv.lo)
    elif use.lemma == "gram-decay":
        A = _factor(use, "A")
        M = c * A * A.T
        delta = sp.Integer(0)
    else:
        K = use.get("K")
        ctx.psd_matrix(K)
        M = c * K
        delta = sp.Integer(0)
    term = -(M * W) if side == "left" else -(W * M)
    where = "-({0}) W" if side == "left" else "-W ({0})"
    return ctx.nz.nf(term), delta, side, (where + ": a decay by a psd matrix with smallest eigenvalue >= {1}",
                                          (M, delta))


def gamma_of(nf_dw: NF) -> sp.Basic:
    """The claim's decay rate: minus the coefficient of the bare word W in the normal form of dW."""
    word = (("leaf", "W", "W", False),)
    return -nf_dw.get(word, sp.Integer(0))


def reconstruct(gamma: sp.Basic, pieces: list[NF], normalizer: Normalizer) -> NF:
    W = sp.MatrixSymbol("W", N, N)
    out = nf_scale(normalizer.nf(W), -gamma)
    for piece in pieces:
        out = nf_add(out, piece)
    return out


__all__ = ["LEMMAS", "Lemma", "Context", "check_term", "check_decay", "gamma_of", "reconstruct",
           "vector_interval", "nf_equal"]
