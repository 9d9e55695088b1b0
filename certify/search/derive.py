"""Derivation (UNTRUSTED): propose proofs of matrix-measure claims for a weight flow.

Reads dW/dt in the kernel's normal form (a sum of words with scalar coefficients), splits it into
the scalar decay -gamma W, structured decays (-diag(d) W, -W diag(d), -M W with M psd) and a drive
G, regroups G into terms that lemmas of the library can bound (outer products c u u^T of combined
vectors, Gram matrices, congruences, skew parts, diagonals, multiples of I) and returns candidate
`FlowProof`s, best first. Nothing here is believed: kernel/verify.py re-checks every proposal.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardProduct

from certify.kernel.activations import ACTIVATIONS
from certify.kernel.algebra import NF, Normalizer, Word, contains_w, nf_add
from certify.kernel.forms import atom_shape
from certify.kernel.intervals import enclose
from certify.kernel.lemmas import gamma_of
from certify.kernel.objects import N, Assumptions, Claim, FlowProof, Use, base_norm
from certify.lang.parse import format_expression
from certify.lang.rule import Rule


def _show(expr: sp.Basic) -> str:
    try:
        return format_expression(expr)
    except Exception:  # display only
        return sp.sstr(expr)

W_ATOM = ("leaf", "W", "W", False)
ZERO = sp.Integer(0)
HALF = sp.Rational(1, 2)


# -- words back to SymPy --------------------------------------------------------------------------

def atom_expr(atom: tuple) -> sp.Basic:
    tag = atom[0]
    if tag == "leaf":
        _, name, kind, t = atom
        sym = sp.MatrixSymbol(name, N, 1 if kind == "vector" else N)
        return sym.T if t else sym
    if tag == "diag":
        return DiagMatrix(word_expr(atom[1]))
    if tag == "had":
        return HadamardProduct(word_expr(atom[1]), word_expr(atom[2]))
    if tag == "fun":
        e = ElementwiseApplyFunction(ACTIVATIONS[atom[1]].sympy, nf_expr(dict(atom[2])))
        return e.T if atom[3] else e
    raise ValueError(atom)


def word_expr(word: Word) -> sp.Basic:
    if not word:
        return sp.Identity(N)
    out = atom_expr(word[0])
    for atom in word[1:]:
        out = out * atom_expr(atom)
    return out


def nf_expr(nf: NF) -> sp.Basic:
    terms = [c * word_expr(w) for w, c in nf.items()]
    if not terms:
        return sp.ZeroMatrix(N, N)
    return sp.MatAdd(*terms) if len(terms) > 1 else terms[0]


def vector_sum(coeffs: dict[Word, sp.Basic]) -> sp.Basic:
    terms = [c * word_expr(w) if c != 1 else word_expr(w) for w, c in coeffs.items()]
    return sp.MatAdd(*terms) if len(terms) > 1 else terms[0]


# -- splitting the flow --------------------------------------------------------------------------------

@dataclass
class Split:
    gamma: sp.Basic
    left_diag: dict[Word, sp.Basic]     # vector word v -> coefficient c of diag(v) W (decay when c <= 0)
    right_diag: dict[Word, sp.Basic]
    left_gram: list[tuple[Word, sp.Basic]]   # (A word, coeff) for A A^T W
    right_gram: list[tuple[Word, sp.Basic]]
    left_psd: list[tuple[str, sp.Basic]]     # (K name, coeff) for K W
    right_psd: list[tuple[str, sp.Basic]]
    drive: NF                                 # everything else
    unhandled: list[Word]                     # W-dependent words no lemma knows

    @property
    def has_decays(self) -> bool:
        return bool(self.left_diag or self.right_diag or self.left_gram or self.right_gram
                    or self.left_psd or self.right_psd)


def _gram_half(word: Word, nz: Normalizer) -> Word | None:
    """A if word == A A^T (as words), else None."""
    if len(word) % 2:
        return None
    half = len(word) // 2
    a, b = word[:half], word[half:]
    coeff, at = nz.transpose_word(a)
    return a if at == b and coeff == 1 else None


def split_flow(rule: Rule) -> tuple[Split, Normalizer]:
    asm = rule.assumptions()
    nz = Normalizer(asm.matrices)
    nf = nz.nf(rule.dW)
    psd = {k for k, v in asm.matrices.items() if v == "psd"}
    s = Split(gamma_of(nf), {}, {}, [], [], [], [], {}, [])
    for word, c in nf.items():
        if word == (W_ATOM,):
            continue
        if not contains_w(word):
            s.drive[word] = c
            continue
        if _gram_half(word, nz) is not None:
            s.drive[word] = c          # +-c A A^T with A involving W: a drive term for l2-neg-gram
            continue
        if len(word) == 2 and word[1] == W_ATOM and word[0][0] == "diag" and not contains_w(word[0][1]):
            s.left_diag[word[0][1]] = c
        elif len(word) == 2 and word[0] == W_ATOM and word[1][0] == "diag" and not contains_w(word[1][1]):
            s.right_diag[word[1][1]] = c
        elif word[-1] == W_ATOM and _gram_half(word[:-1], nz) and not contains_w(word[:-1]):
            s.left_gram.append((_gram_half(word[:-1], nz), c))
        elif word[0] == W_ATOM and _gram_half(word[1:], nz) and not contains_w(word[1:]):
            s.right_gram.append((_gram_half(word[1:], nz), c))
        elif len(word) == 2 and word[1] == W_ATOM and word[0][0] == "leaf" and word[0][1] in psd:
            s.left_psd.append((word[0][1], c))
        elif len(word) == 2 and word[0] == W_ATOM and word[1][0] == "leaf" and word[1][1] in psd:
            s.right_psd.append((word[1][1], c))
        else:
            s.unhandled.append(word)
    return s, nz


# -- regrouping the drive -----------------------------------------------------------------------------

def _outer_split(word: Word, nz: Normalizer) -> tuple[Word, Word] | None:
    """word = a b^T with a, b vector words: returns (a, b)."""
    for i, atom in enumerate(word):
        if atom_shape(atom)[1] == "1":
            a, bt = word[:i + 1], word[i + 1:]
            if not bt or atom_shape(bt[0])[0] != "1":
                return None
            coeff, b = nz.transpose_word(bt)
            if coeff != 1:
                return None
            return a, b
    return None


def _rank_one(table: dict[tuple[Word, Word], sp.Basic], basis: list[Word]) -> tuple[sp.Basic, dict] | None:
    """If sum C[a,b] a b^T == c u u^T with u = sum s_a a, return (c, {a: s_a})."""
    for p in basis:
        cpp = table.get((p, p), ZERO)
        if cpp == 0:
            continue
        s = {a: sp.cancel(table.get((a, p), ZERO) / cpp) for a in basis}
        ok = all(sp.cancel(table.get((a, b), ZERO) - cpp * s[a] * s[b]) == 0 for a in basis for b in basis)
        if ok:
            return cpp, {a: v for a, v in s.items() if v != 0}
        return None
    return None


def drive_terms(drive: NF, norm: str, route: str, nz: Normalizer, asm: Assumptions,
                nonincreasing: bool = False) -> tuple[list[Use], str]:
    """Lemma uses covering the drive, and '' — or ([], reason) when some term has no lemma."""
    env = asm.symbol_env()
    uses: list[Use] = []
    ident = drive.get((), 0)
    if ident != 0:
        uses.append(Use.of("scaled-identity", c=ident))
    diags = {w[0][1]: c for w, c in drive.items() if len(w) == 1 and w[0][0] == "diag"}
    if diags:
        if len(diags) == 1:
            (v, c), = diags.items()
            uses.append(Use.of("diagonal", c=c, v=word_expr(v)))
        else:
            uses.append(Use.of("diagonal", c=sp.Integer(1), v=vector_sum(diags)))
    table: dict[tuple[Word, Word], sp.Basic] = {}
    basis: list[Word] = []
    for word, c in drive.items():
        if word == () or (len(word) == 1 and word[0][0] == "diag"):
            continue
        ab = _outer_split(word, nz) if not contains_w(word) else None
        if ab is not None:
            table[ab] = c
            for x in ab:
                if x not in basis:
                    basis.append(x)
            continue
        half = _gram_half(word, nz)
        if half is not None and route == "measure" and norm == "l2":
            uses.append(Use.of("l2-neg-gram", c=-c, A=word_expr(half)))
            continue
        if (route == "measure" and norm == "l2" and len(word) == 1 and word[0][0] == "had"):
            K, other = word[0][1], word[0][2]
            if not (len(K) == 1 and K[0][0] == "leaf" and K[0][2] == "matrix"):
                K, other = other, K
            ab = _outer_split(other, nz)
            if len(K) == 1 and K[0][0] == "leaf" and ab is not None and ab[0] == ab[1]:
                uses.append(Use.of("l2-neg-schur", c=-c, v=word_expr(ab[0]), K=atom_expr(K[0])))
                continue
        if (route == "measure" and norm == "l2" and len(word) == 3 and word[0][0] == "diag"
                and word[0] == word[2] and word[1][0] == "leaf" and word[1][2] == "matrix"):
            uses.append(Use.of("l2-neg-congruence", c=-c, v=word_expr(word[0][1]), K=atom_expr(word[1])))
            continue
        return [], f"no lemma of the library bounds the term {_show(c * word_expr(word))} in {norm}"
    if table:
        uses.extend(_outer_uses(table, basis, norm, route, nz, env, nonincreasing))
    return uses, ""


def _outer_uses(table, basis, norm, route, nz, env, nonincreasing=False) -> list[Use]:
    """Lemma uses for sum C[a, b] a b^T: one rank-one term when possible (a Gram term in l2 when
    its coefficient is <= 0), a skew part plus such a term in l2, else outer products grouped by
    their shared factor (one combined vector per group keeps interval bounds tight)."""
    one = _rank_one(table, basis)
    if one is not None:
        c, s = one
        u = vector_sum(s)
        # in l2, -c u u^T with c >= 0 is a Gram term; when the sign of c is unknown and the claim needs
        # mu_2(G) <= 0, propose the Gram lemma anyway: its failed side condition names the parameter region
        if route == "measure" and norm == "l2" and (_nonpos(c, env) or (nonincreasing and not _nonneg(c, env))):
            return [Use.of("l2-neg-gram", c=-c, A=u)]
        return [Use.of("outer-bound", c=c, u=u, v=u)]
    if route == "measure" and norm == "l2":
        skew = {(a, b): sp.cancel((table.get((a, b), ZERO) - table.get((b, a), ZERO)) * HALF)
                for a in basis for b in basis}
        sym = {(a, b): sp.cancel((table.get((a, b), ZERO) + table.get((b, a), ZERO)) * HALF)
               for a in basis for b in basis}
        skew = {k: v for k, v in skew.items() if v != 0}
        sym = {k: v for k, v in sym.items() if v != 0}
        sym_one = _rank_one(sym, basis) if sym else None
        if skew and (not sym or (sym_one is not None and _nonpos(sym_one[0], env))):
            S = sp.MatAdd(*[c * word_expr(a) * word_expr(b).T for (a, b), c in skew.items()])
            rest = [Use.of("l2-neg-gram", c=-sym_one[0], A=vector_sum(sym_one[1]))] if sym else []
            return [Use.of("l2-skew", S=S)] + rest
    by_right: dict[Word, dict[Word, sp.Basic]] = {}
    by_left: dict[Word, dict[Word, sp.Basic]] = {}
    for (a, b), c in table.items():
        by_right.setdefault(b, {})[a] = c
        by_left.setdefault(a, {})[b] = c
    if len(by_right) <= len(by_left):
        return [Use.of("outer-bound", c=c, u=u, v=word_expr(b))
                for b, us in by_right.items() for c, u in [_factored(us)]]
    return [Use.of("outer-bound", c=c, u=word_expr(a), v=v)
            for a, vs in by_left.items() for c, v in [_factored(vs)]]


def _factored(coeffs: dict[Word, sp.Basic]) -> tuple[sp.Basic, sp.Basic]:
    """(c, u) with sum coeff_w w = c u, c the common factor of the coefficients."""
    values = list(coeffs.values())
    c = values[0] if len(values) == 1 else sp.gcd_list(values)
    if c == 0 or not c.free_symbols and c.is_negative:
        c = -c if c != 0 else sp.Integer(1)
    return c, vector_sum({w: sp.cancel(v / c) for w, v in coeffs.items()})


def _nonneg(c: sp.Basic, env) -> bool:
    try:
        return enclose(c, env).is_nonneg()
    except Exception:  # untrusted guess only; the kernel decides
        return False


def _nonpos(c: sp.Basic, env) -> bool:
    try:
        return enclose(c, env).is_nonpos()
    except Exception:  # untrusted guess only; the kernel decides
        return False


# -- proposals ------------------------------------------------------------------------------------------

def _decay_uses(split: Split, route: str, norm: str) -> tuple[list[Use], str]:
    uses: list[Use] = []
    sides = {"left": split.left_diag, "right": split.right_diag}
    for side, diag in sides.items():
        if not diag:
            continue
        if route == "measure" and not ((norm == "linf" and side == "left") or (norm == "l1" and side == "right")):
            return [], (f"the {side} multiplicative decay -diag(d) W is handled for mu_{norm} only through "
                        "the induced norm (route 'norm')")
        if len(diag) == 1:
            (v, c), = diag.items()
            uses.append(Use.of("diagonal-decay", side=sp.Symbol(side), c=-c, v=word_expr(v)))
        else:
            uses.append(Use.of("diagonal-decay", side=sp.Symbol(side), c=sp.Integer(1),
                               v=vector_sum({w: -c for w, c in diag.items()})))
    for side, grams in (("left", split.left_gram), ("right", split.right_gram)):
        for A, c in grams:
            if route == "measure" or norm != "l2":
                return [], "a Gram-matrix decay -A A^T W is handled only for the l2 norm (route 'norm')"
            uses.append(Use.of("gram-decay", side=sp.Symbol(side), c=-c, A=word_expr(A)))
    for side, psds in (("left", split.left_psd), ("right", split.right_psd)):
        for K, c in psds:
            if route == "measure" or norm != "l2":
                return [], "a psd-matrix decay -K W is handled only for the l2 norm (route 'norm')"
            uses.append(Use.of("psd-decay", side=sp.Symbol(side), c=-c, K=sp.MatrixSymbol(K, N, N)))
    return uses, ""


@dataclass
class Proposal:
    proof: FlowProof | None
    reason: str   # why no proof could be proposed (when proof is None)


def propose(rule: Rule, claim: Claim) -> list[Proposal]:
    """Candidate proofs for `claim`, best first; a Proposal with proof None explains a failure."""
    split, nz = split_flow(rule)
    asm = rule.assumptions()
    norm = base_norm(claim.measure)
    if split.unhandled:
        bad = " + ".join(_show(word_expr(w)) for w in split.unhandled[:3])
        return [Proposal(None, f"no lemma of the library handles the W-dependent term(s) {bad}")]
    routes = ["measure"] if claim.bound == "nonincreasing" else ["measure", "norm"]
    out = []
    for route in routes:
        if claim.bound == "nonincreasing" and split.has_decays:
            out.append(Proposal(None, "a structured decay (-diag(d) W, -W M) gives only a bound on max(mu, 0) "
                                      "or on the norm, not 'nonincreasing' in the sense mu(W(t)) <= e^{-gamma t} mu(W0)"))
            continue
        decays, why = _decay_uses(split, route, norm)
        if why:
            out.append(Proposal(None, why))
            continue
        terms, why = drive_terms(split.drive, norm, route, nz, asm, claim.bound == "nonincreasing")
        if why:
            out.append(Proposal(None, why))
            continue
        out.append(Proposal(FlowProof(route, norm, split.gamma, tuple(decays), tuple(terms)), ""))
    return out


__all__ = ["propose", "Proposal", "split_flow", "word_expr", "nf_expr", "nf_add"]
