"""Counterexample search (UNTRUSTED): small concrete instances where a claim fails.

Enumerates tiny networks (n = 1..4), parameters at or near the ends of their ranges, activity
vectors at the corners of their boxes, matrices with the declared property and starting weights
W0 whose measure has an exact rational maximiser. Each candidate goes to kernel.check_witness; the
first one the kernel accepts is returned. The search is deterministic (seeded by the rule hash).
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import sympy as sp

from certify.errors import KernelError
from certify.kernel.algebra import Normalizer, contains_w
from certify.kernel.evaluate import Evaluator
from certify.kernel.intervals import INF, Interval
from certify.kernel.lemmas import gamma_of
from certify.kernel.objects import N, Claim, Refutation, Witness, base_norm
from certify.kernel.verify import check_witness
from certify.lang.rule import Rule

MAX_CANDIDATES = 400


def _samples(iv: Interval) -> list[Fraction]:
    """A few admissible values: closed ends first, then interior points."""
    out: list[Fraction] = []
    lo = None if iv.lo == -INF else Fraction(iv.lo)
    hi = None if iv.hi == INF else Fraction(iv.hi)
    if hi is not None and iv.hi_closed:
        out.append(hi)
    if lo is not None and iv.lo_closed:
        out.append(lo)
    for x in (Fraction(1), Fraction(0), Fraction(2), Fraction(-1), Fraction(1, 2)):
        if iv.contains(x):
            out.append(x)
    if lo is not None and hi is not None:
        out.append((lo + hi) / 2)
    elif lo is not None:
        out.append(lo + 1)
    elif hi is not None:
        out.append(hi - 1)
    seen = []
    for x in out:
        if iv.contains(x) and x not in seen:
            seen.append(x)
    return seen


def _matrices(prop: str, n: int, rng: random.Random) -> list[list[list[Fraction]]]:
    def rand(k: int = 2) -> list[list[Fraction]]:
        return [[Fraction(rng.randint(-k, k)) for _ in range(n)] for _ in range(n)]
    out = []
    for _ in range(3):
        B = rand()
        BT = [list(c) for c in zip(*B)]
        if prop == "psd":
            out.append([[sum(B[i][k] * B[j][k] for k in range(n)) for j in range(n)] for i in range(n)])
        elif prop == "nsd":
            out.append([[-sum(B[i][k] * B[j][k] for k in range(n)) for j in range(n)] for i in range(n)])
        elif prop == "symmetric":
            out.append([[B[i][j] + BT[i][j] for j in range(n)] for i in range(n)])
        elif prop == "skew":
            out.append([[B[i][j] - BT[i][j] for j in range(n)] for i in range(n)])
        elif prop == "diagonal":
            out.append([[B[i][i] if i == j else Fraction(0) for j in range(n)] for i in range(n)])
        else:
            out.append(B)
    if prop in ("psd", "symmetric", "any"):
        out.insert(0, [[Fraction(1)] * n for _ in range(n)])
    return out


def _vectors(iv: Interval, n: int, rng: random.Random) -> list[tuple[Fraction, ...]]:
    vals = _samples(iv)
    out = [tuple([v] * n) for v in vals]
    if len(vals) >= 2:
        out.append(tuple(vals[i % 2] for i in range(n)))
        out.append(tuple(vals[0] if i == 0 else vals[1] for i in range(n)))
    for _ in range(2):
        out.append(tuple(rng.choice(vals) for _ in range(n)))
    return list(dict.fromkeys(out))


def _rational(x: float, limit: int = 1000) -> Fraction:
    return Fraction(float(x)).limit_denominator(limit)


def _start_weights(norm: str, n: int, rng: random.Random) -> list[tuple[list[list[Fraction]], tuple | None, Fraction | None]]:
    """W0 with an exact measure maximiser: zero, and (for l2) diagonal-plus-skew matrices whose
    symmetric part is diagonal with a unique largest entry (top eigenvector e_k)."""
    zero = [[Fraction(0)] * n for _ in range(n)]
    out: list = [(zero, None, None)]
    for _ in range(4):
        d = [Fraction(rng.randint(-2, 2)) for _ in range(n)]
        k = rng.randrange(n)
        d[k] = max(d) + 1
        S = [[Fraction(0)] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                x = Fraction(rng.randint(-2, 2))
                S[i][j], S[j][i] = x, -x
        if norm == "l2":
            W0 = [[(d[i] if i == j else Fraction(0)) + S[i][j] for j in range(n)] for i in range(n)]
            out.append((W0, tuple(Fraction(int(i == k)) for i in range(n)), d[k]))
        else:
            out.append(([[Fraction(rng.randint(-2, 2)) for _ in range(n)] for _ in range(n)], None, None))
    return out


def search(rule: Rule, claim: Claim) -> tuple[Refutation | None, int]:
    """(refutation, number of candidates tried); the refutation is kernel-checked."""
    asm = rule.assumptions()
    nz = Normalizer(asm.matrices)
    nf_dw = nz.nf(rule.dW)
    rng = random.Random(f"{rule.hash}:{claim.measure}:{claim.bound}")
    norm = base_norm(claim.measure)
    weighted = claim.measure.startswith("weighted-")
    depends_on_w = any(contains_w(w) for w in nf_dw if w != (("leaf", "W", "W", False),))
    kind = "derivative" if claim.bound == "nonincreasing" else "growth"
    if kind == "growth" and depends_on_w:
        return None, 0   # the kernel accepts growth witnesses only for W-independent drives
    pnames = [k for k, _ in rule.parameters]
    param_choices = [_samples(r.interval) for _, r in rule.parameters]
    vectors = sorted(rule.vectors)
    tried = 0
    for n in (1, 2, 3, 4):
        param_sets = list(itertools.product(*param_choices)) if param_choices else [()]
        param_sets.sort(key=lambda ps: 0 if kind != "growth" else _gamma_rank(nf_dw, pnames, ps, n))
        for ps in param_sets[:12]:
            params = dict(zip(pnames, ps))
            vec_choices = [_vectors(asm.activity_interval(v), n, rng) for v in vectors]
            combos = list(itertools.product(*vec_choices)) if vec_choices else [()]
            mats = {k: _matrices(p, n, rng) for k, p in asm.matrices.items()}
            starts = _start_weights(norm, n, rng) if (kind == "derivative" and not weighted and depends_on_w) \
                else [([[Fraction(0)] * n for _ in range(n)], None, None)]
            for acts in combos[:8]:
                for mat_pick in range(3 if mats else 1):
                    matrices = {k: tuple(tuple(r) for r in v[mat_pick % len(v)]) for k, v in mats.items()}
                    for W0, vec, val in starts:
                        tried += 1
                        if tried > MAX_CANDIDATES:
                            return None, tried
                        w = _complete(rule, claim, kind, n, params, W0, dict(zip(vectors, acts)), matrices,
                                      vec, val, nf_dw, nz)
                        if w is None:
                            continue
                        try:
                            return check_witness(rule.dW, asm, w), tried
                        except KernelError:
                            continue
    return None, tried


def _gamma_rank(nf_dw, pnames, ps, n) -> int:
    g = gamma_of(nf_dw)
    subs = {sp.Symbol(k, real=True): sp.Rational(v.numerator, v.denominator) for k, v in zip(pnames, ps)}
    subs[N] = n
    try:
        return 0 if sp.sympify(g).xreplace(subs) == 0 else 1  # safe: g is a SymPy object
    except (TypeError, ValueError):
        return 1


def _complete(rule, claim, kind, n, params, W0, acts, matrices, vec, val, nf_dw, nz) -> Witness | None:
    """Fill in the exact certificate data a witness needs (eigenvectors, positive vectors)."""
    norm = base_norm(claim.measure)
    weighted = claim.measure.startswith("weighted-")
    leaves = {"W": W0, **{k: [[x] for x in v] for k, v in acts.items()},
              **{k: [list(r) for r in m] for k, m in matrices.items()}}
    scalars = {sp.Symbol(k, real=True): v for k, v in params.items()}
    scalars[N] = Fraction(n)
    try:
        Wd = Evaluator(n, leaves, scalars).nf(nf_dw, (n, n))
    except KernelError:
        return None
    base = dict(claim=claim, kind=kind, n=n, parameters=params,
                W0=tuple(tuple(r) for r in W0), activity={k: tuple(v) for k, v in acts.items()},
                matrices=matrices)
    A = np.array([[float(x) for x in r] for r in Wd])
    if weighted and norm in ("l1", "linf"):
        M = np.where(np.eye(n, dtype=bool), A, np.abs(A))
        vals, vecs = np.linalg.eig(M if norm == "linf" else M.T)
        k = int(np.argmax(vals.real))
        v = np.abs(vecs[:, k].real)
        if kind == "derivative" and vals[k].real <= 0:
            return None      # the majorant's Perron root must be > 0 for any weights to grow: not worth the kernel
        cands = [tuple(Fraction(1) for _ in range(n)), tuple(_rational(max(x, 1e-3)) for x in v / max(v.max(), 1e-300))]
        return Witness(**base, vector=cands[1] if v.min() > 1e-9 else cands[0])
    if weighted:
        vals, vecs = np.linalg.eig(A)
        k = int(np.argmax(vals.real))
        if abs(vals[k].imag) > 1e-12 or vals[k].real <= 0:
            return None
        v = vecs[:, k].real
        v = v / v[np.argmax(np.abs(v))]
        return Witness(**base, vector=tuple(_rational(x) for x in v), value=_rational(vals[k].real))
    if norm == "l2":
        if kind == "growth" or vec is None:
            S = (A + A.T) / 2
            lam, V = np.linalg.eigh(S)
            if kind == "derivative" and lam[-1] <= 0:
                return None  # from W0 = 0, mu_2 grows only when sym(W') has a positive eigenvalue: skip the kernel
            v = V[:, -1] / V[np.argmax(np.abs(V[:, -1])), -1]
            vector = tuple(_rational(x) for x in v)
            if kind == "growth":
                return Witness(**base, vector=vector)
            return Witness(**base, vector=vector, value=Fraction(0))
        return Witness(**base, vector=vec, value=val)
    return Witness(**base)
