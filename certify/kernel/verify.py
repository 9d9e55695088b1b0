"""The kernel's two entry points (TRUSTED): `check_proof` and `check_witness`.

Only these functions may produce a Certificate (-> CERTIFIED) or a Refutation (-> REFUTED). They
re-derive everything that matters from the rule's expression and the declared assumptions; the
proof or witness handed in is only a suggestion. Failures raise KernelError with the reason.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from .errors import KernelError, SideConditionError
from . import exact
from .algebra import Normalizer, contains_w, nf_equal
from .evaluate import Evaluator
from .intervals import enclose
from .lemmas import LEMMAS, Context, check_decay, check_term, gamma_of, reconstruct
from .reality import require_real
from .objects import (Assumptions, Certificate, Claim, FlowProof, N, Refutation, Step, Witness,
                      base_norm)

MU = {"l1": "mu_1", "l2": "mu_2", "linf": "mu_inf"}
NORM = {"l1": "||.||_1", "l2": "||.||_2", "linf": "||.||_inf"}


def _finite(expr: sp.Basic) -> bool:
    return not expr.has(sp.oo, -sp.oo, sp.zoo, sp.nan)


def _require_real_proof(dW: sp.Basic, asm: Assumptions, proof: FlowProof) -> None:
    """Every lemma is a theorem about real matrices: dW, gamma and every instantiation must be real for every
    admissible parameter value (reality.py); SymPy's complex arithmetic would otherwise accept A = sqrt(g) r
    with g < 0 as a 'Gram factor'."""
    env = asm.symbol_env()
    require_real(dW, env, "dW")
    require_real(proof.gamma, env, "the proof's gamma")
    for use in proof.decays + proof.terms:
        for key, value in use.data:
            if key != "side":
                require_real(value, env, f"lemma '{use.lemma}' argument {key}")


def check_proof(dW: sp.Basic, asm: Assumptions, claim: Claim, proof: FlowProof) -> Certificate:
    """Re-check a proposed derivation of `claim` for the weight flow dW/dt = `dW`."""
    if isinstance(proof.gamma, int) and not isinstance(proof.gamma, bool):
        from dataclasses import replace   # deferred: only an int gamma (a rare caller) needs it
        proof = replace(proof, gamma=sp.Integer(proof.gamma))
    if getattr(proof.gamma, "is_Matrix", False) or not isinstance(proof.gamma, sp.Expr):
        raise KernelError(f"check_proof: gamma must be a scalar expression, got {proof.gamma}")
    try:
        return _check_proof(dW, asm, claim, proof)
    except (TypeError, AttributeError, ValueError) as err:
        # a lemma instantiated with objects of the wrong kind (a number where a vector belongs, ...): SymPy refuses
        # to build the lemma's template, so the lemma does not apply
        raise KernelError(f"check_proof: malformed lemma instantiation ({type(err).__name__}: {err})") from None


def _check_proof(dW: sp.Basic, asm: Assumptions, claim: Claim, proof: FlowProof) -> Certificate:
    norm = base_norm(claim.measure)
    if claim.bound not in ("nonincreasing", "bounded"):
        raise KernelError(f"check_proof: check_proof decides weight-flow claims only, not {claim.bound!r}")
    if proof.norm != norm:
        raise KernelError(f"check_proof: the proof is about {proof.norm}, the claim about {claim.measure}")
    if proof.route not in ("measure", "norm"):
        raise KernelError(f"check_proof: unknown route {proof.route!r}")
    nz = Normalizer(asm.matrices)
    ctx = Context(asm, nz)
    _require_real_proof(dW, asm, proof)
    nf_dw = nz.nf(dW)
    steps: list[Step] = []

    # 1. the split dW = -gamma W + decays + terms, checked as an identity of normal forms
    pieces, deltas = [], []
    for use in proof.decays:
        nf, delta, _side, (template, args) = check_decay(use, proof.route, norm, ctx)
        pieces.append(nf)
        deltas.append(delta)
        steps.append(Step(use.lemma, template, args))
    betas = []
    for use in proof.terms:
        nf, beta, (template, args) = check_term(use, proof.route, norm, ctx)
        pieces.append(nf)
        betas.append(beta)
        steps.append(Step(use.lemma, template, args))
    if not nf_equal(reconstruct(proof.gamma, pieces, nz), nf_dw):
        raise KernelError("check_proof: the proposed split does not add up to dW: the normal forms differ")
    steps.insert(0, Step("split", "dW/dt = -({0}) W + (the {1} pieces below): an identity of non-commutative "
                                  "polynomials, valid for every n", (proof.gamma, len(pieces))))
    beta = sp.Add(*betas) if betas else sp.Integer(0)
    m_g = MU[norm] if proof.route == "measure" else NORM[norm]
    steps.append(Step("subadditivity", "the drive G (the terms above) satisfies " + m_g + "(G) <= {0}", (beta,)))
    delta = sp.Add(*deltas) if deltas else sp.Integer(0)
    rate = sp.cancel(proof.gamma + delta)
    positive_part = proof.route == "measure" and bool(proof.decays)

    # 2. the flow inequality
    m = f"{MU[norm]}(W)" if proof.route == "measure" else f"||W||_{norm[1:]}"
    if proof.route == "measure" and not proof.decays:
        steps.append(Step("measure-flow", "D+ " + m + " <= -({0}) " + m + " + {1}", (proof.gamma, beta)))
    elif proof.route == "measure":
        lemma = "row-scaling-decay" if norm == "linf" else "column-scaling-decay"
        steps.append(Step(lemma, "while " + m + " >= 0: D+ " + m + " <= -({0}) " + m + " + {1}", (rate, beta)))
    else:
        steps.append(Step("norm-flow", "D+ " + m + " <= -({0}) " + m + " + {1}", (rate, beta)))

    # 3. the claim
    mu_t, mu_0 = f"{MU[norm]}(W(t))", f"{MU[norm]}(W(0))"
    if claim.bound == "nonincreasing":
        if proof.route != "measure" or proof.decays:
            raise KernelError("check_proof: a nonincreasing claim needs the plain measure route (no structured decays)")
        if sp.cancel(proof.gamma - gamma_of(nf_dw)) != 0:
            raise KernelError("check_proof: the proof's gamma is not the coefficient of -W in dW")
        if not _finite(beta):
            raise KernelError(f"check_proof: the drive bound beta = {beta} is not finite: an activity is unbounded")
        if not enclose(beta, ctx.env).is_nonpos():
            raise SideConditionError(f"check_proof: the drive bound beta = {beta} is not <= 0 for every "
                                     f"admissible parameter",
                                     sp.Le(beta, 0))
        ctx.record(sp.Le(beta, 0))
        bound = Step("gronwall", mu_t + " <= exp(-({0}) t) " + mu_0, (proof.gamma,))
    else:
        if not _finite(beta):
            raise KernelError(f"check_proof: the drive bound beta = {beta} is not finite: an activity is unbounded")
        if not enclose(rate, ctx.env).is_positive():
            raise SideConditionError(f"check_proof: the decay rate {rate} is not > 0 for every admissible parameter; "
                                     "an explicit bound for all t needs decay", sp.Gt(rate, 0))
        ctx.record(sp.Gt(rate, 0))
        e = "exp(-({0}) t)"
        if proof.route == "norm":
            steps.append(Step("measure-below-norm", "mu(W) <= ||W|| in every induced norm"))
            bound = Step("gronwall", mu_t + " <= ||W(t)|| <= " + e + " ||W(0)|| + (1 - " + e + ") ({1})/({0})",
                         (rate, beta))
        elif positive_part:
            bound = Step("gronwall", "max(" + mu_t + ", 0) <= " + e + " max(" + mu_0 + ", 0) + (1 - " + e
                         + ") max({1}, 0)/({0})", (rate, beta))
        else:
            bound = Step("gronwall", mu_t + " <= " + e + " " + mu_0 + " + (1 - " + e + ") ({1})/({0})",
                         (rate, beta))
    steps.append(bound)
    if claim.measure.startswith("weighted-"):
        steps.append(Step("unit-weights", "the bound holds for the weighted norm with unit weights"))
    for step in steps:
        if step.lemma != "split" and step.lemma not in LEMMAS:
            raise KernelError(f"check_proof: unknown lemma {step.lemma!r}")  # pragma: no cover
    return Certificate(claim, proof.route, norm, rate, beta, positive_part, bound, tuple(steps),
                       tuple(ctx.conditions))


# -- counterexamples --------------------------------------------------------------------------------

def _frac_matrix(rows, name: str, n: int, m: int) -> list[list[Fraction]]:
    M = exact.to_fraction_matrix([list(r) for r in rows], name)
    if len(M) != n or any(len(r) != m for r in M):
        raise KernelError(f"frac_matrix: witness '{name}' must be {n} x {m}")
    return M


def _admissible(asm: Assumptions, w: Witness, nz: Normalizer) -> dict[str, list[list[Fraction]]]:
    if not isinstance(w.n, int) or w.n < 1:
        raise KernelError("admissible: witness n must be a positive integer")
    n = w.n
    for name, iv in asm.parameters.items():
        if name not in w.parameters:
            raise KernelError(f"admissible: witness gives no value for parameter '{name}'")
        if not iv.contains(Fraction(w.parameters[name])):
            raise KernelError(f"admissible: parameter {name} = {w.parameters[name]} is outside its declared range {iv}")
    leaves = {"W": _frac_matrix(w.W0, "W0", n, n)}
    for name, values in w.activity.items():
        if name == "W" or name in asm.matrices or name in asm.parameters:
            raise KernelError(f"admissible: witness activity '{name}' names the weight matrix, a declared "
                              f"matrix or a parameter")
        vec = _frac_matrix([[x] for x in values], name, n, 1)
        iv = asm.activity_interval(name)
        for i, row in enumerate(vec):
            if not iv.contains(row[0]):
                raise KernelError(f"admissible: activity {name}[{i}] = {row[0]} is outside its declared bound {iv}")
        leaves[name] = vec
    for name, prop in asm.matrices.items():
        if name not in w.matrices:
            raise KernelError(f"admissible: witness gives no value for matrix '{name}'")
        K = _frac_matrix(w.matrices[name], name, n, n)
        KT = [list(c) for c in zip(*K)]
        ok = {"any": True, "symmetric": K == KT, "diagonal": all(K[i][j] == 0 for i in range(n)
                                                                   for j in range(n) if i != j),
              "skew": all(K[i][j] == -K[j][i] for i in range(n) for j in range(n)),
              "psd": K == KT and exact.is_psd_exact(K),
              "nsd": K == KT and exact.is_psd_exact([[-x for x in r] for r in K])}.get(prop)
        if ok is None:
            raise KernelError(f"admissible: unknown matrix property {prop!r}")
        if not ok:
            raise KernelError(f"admissible: witness matrix {name} is not {prop}")
        leaves[name] = K
    return leaves


def _directional_mu_inf(A, B) -> Fraction:
    """Exact right derivative of t -> mu_inf(A + t B) at t = 0 (a max of piecewise-linear row functions)."""
    n = len(A)
    rows = [A[i][i] + sum(abs(A[i][j]) for j in range(n) if j != i) for i in range(n)]
    top = max(rows)
    best = None
    for i in range(n):
        if rows[i] != top:
            continue
        d = B[i][i]
        for j in range(n):
            if j != i:
                d += (B[i][j] if A[i][j] > 0 else -B[i][j] if A[i][j] < 0 else abs(B[i][j]))
        best = d if best is None else max(best, d)
    return best


_DW_MEMO: dict = {}   # (dW, declared matrices, parameter ranges) -> its normal form: a pure function, asked per witness


def _normal_dw(dW: sp.Basic, asm: Assumptions, nz: Normalizer) -> dict:
    """dW's normal form after the reality check, remembered by the structural identity of (dW, the declared matrices,
    the symbol ranges): a counterexample search asks for it once per candidate."""
    env = asm.symbol_env()
    key = (dW, tuple(sorted(asm.matrices.items())), tuple(sorted(env.items(), key=lambda kv: str(kv[0]))))
    if key not in _DW_MEMO:
        require_real(dW, env, "dW")
        if len(_DW_MEMO) > 256:
            _DW_MEMO.clear()
        _DW_MEMO[key] = nz.nf(dW)
    return dict(_DW_MEMO[key])


def check_witness(dW: sp.Basic, asm: Assumptions, w: Witness) -> Refutation:
    """Re-check, in exact rational arithmetic, that the witness violates its claim."""
    nz = Normalizer(asm.matrices)
    nf_dw = _normal_dw(dW, asm, nz)
    leaves = _admissible(asm, w, nz)
    n = w.n
    scalars = {sp.Symbol(k, real=True): Fraction(v) for k, v in w.parameters.items()}
    scalars[N] = Fraction(n)
    ev = Evaluator(n, leaves, scalars)
    Wd = ev.nf(nf_dw, (n, n))                     # W'(0), exact
    W0 = leaves["W"]
    gamma = ev.coeff(gamma_of(nf_dw)) if gamma_of(nf_dw) != 0 else Fraction(0)
    norm = base_norm(w.claim.measure)
    weighted = w.claim.measure.startswith("weighted-")

    if w.kind == "growth":
        if w.claim.bound != "bounded":
            raise KernelError("check_witness: a growth witness refutes only 'bounded' claims")
        for word, coeff in nf_dw.items():
            if contains_w(word) and ev.coeff(coeff) != 0:
                raise KernelError("check_witness: the flow depends on W at the witness; linear growth is not exact")
        # W(t) = W0 + t G with G = W'(0) constant: mu(W(t)) >= t mu(G) - mu(-W0) -> infinity
    elif w.kind != "derivative":
        raise KernelError(f"check_witness: unknown witness kind {w.kind!r}")
    elif w.claim.bound != "nonincreasing":
        raise KernelError("check_witness: a derivative witness refutes only 'nonincreasing' claims")

    if weighted:
        if any(x != 0 for row in W0 for x in row):
            raise KernelError("check_witness: a weighted-norm witness must start from W0 = 0")
        if norm in ("l1", "linf"):
            M = exact.metzler_majorant_exact(Wd)
            lower = exact.collatz_wielandt_lower_exact(M, list(w.vector or ()))
            why = ("alpha(Metzler majorant of W'(0)) >= {:} > 0, and every weighted mu_1 or mu_inf of W'(0) "
                   "is at least that (Collatz-Wielandt)")
        else:
            lower = _eigen_lower(Wd, w)
            why = "W'(0) has the real eigenvalue {:} > 0, and every mu_P is at least the spectral abscissa"
        allowed = Fraction(0)
    else:
        if norm in ("l1", "linf"):
            A, B = (W0, Wd) if norm == "linf" else ([list(c) for c in zip(*W0)], [list(c) for c in zip(*Wd)])
            mu0 = exact.muinf_exact(A)
            lower = _directional_mu_inf(A, B) if w.kind == "derivative" else exact.muinf_exact(B)
        else:
            if w.kind == "derivative":
                mu0, lower = _l2_lower(W0, Wd, w)
            else:
                mu0, lower = Fraction(0), _rayleigh(Wd, w.vector)
        why = "the right derivative of mu(W(t)) at t = 0 is at least {:}" if w.kind == "derivative" \
            else "mu(W'(0)) >= {:} > 0 while W(t) = W0 + t W'(0) grows without bound"
        allowed = -gamma * mu0 if w.kind == "derivative" else Fraction(0)
    if w.kind == "growth" and gamma != 0:
        raise KernelError("check_witness: a growth witness needs gamma = 0 at the witness")
    if not lower > allowed:
        raise KernelError(f"check_witness: the witness does not violate the claim: growth rate >= {lower} is "
                          f"not > {allowed}")
    return Refutation(w, lower, allowed, why.format(lower) + f"; the claim allows at most {allowed}")


def _eigenpair(M, w: Witness, what: str) -> tuple[list[Fraction], Fraction]:
    """The witness's (vector, value), checked to be an exact eigenpair of M."""
    n = len(M)
    if w.vector is None or w.value is None:
        raise KernelError(f"eigenpair: {what} needs an eigenvector and its eigenvalue")
    v = [Fraction(x) for x in w.vector]
    lam = Fraction(w.value)
    if len(v) != n or all(x == 0 for x in v):
        raise KernelError("eigenpair: the witness vector must be a non-zero vector of length n")
    if any(sum(M[i][j] * v[j] for j in range(n)) != lam * v[i] for i in range(n)):
        raise KernelError(f"eigenpair: the witness vector is not an eigenvector of {what.split()[-1]} with the "
                          f"stated eigenvalue")
    return v, lam


def _l2_lower(W0, Wd, w: Witness) -> tuple[Fraction, Fraction]:
    """mu_2(W0) exactly from a verified top eigenvector v of sym(W0), and the lower bound
    v^T sym(W') v / v^T v <= D+ mu_2(W(t)) at t = 0."""
    n = len(W0)
    S = [[(W0[i][j] + W0[j][i]) / 2 for j in range(n)] for i in range(n)]
    v, lam = _eigenpair(S, w, "an l2 witness for sym(W0)")
    if not exact.is_psd_exact([[lam * (i == j) - S[i][j] for j in range(n)] for i in range(n)]):
        raise KernelError("l2_lower: the stated eigenvalue is not the largest eigenvalue of sym(W0)")
    return lam, _rayleigh(Wd, v)


def _rayleigh(A, vector) -> Fraction:
    """v^T sym(A) v / v^T v, a lower bound on mu_2(A) for any non-zero v."""
    n = len(A)
    if vector is None or len(vector) != n or all(Fraction(x) == 0 for x in vector):
        raise KernelError("rayleigh: an l2 growth witness needs a non-zero vector of length n")
    v = [Fraction(x) for x in vector]
    return sum(v[i] * A[i][j] * v[j] for i in range(n) for j in range(n)) / sum(x * x for x in v)


def _eigen_lower(Wd, w: Witness) -> Fraction:
    return _eigenpair(Wd, w, "a weighted-l2 witness for W'(0)")[1]
