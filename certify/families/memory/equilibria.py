"""Equilibria of relu and linear networks on affine pieces: one exact rational linear solve per active set (FLINT),
by enumeration of all 2^n sets or from untrusted candidates."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Sequence

import numpy as np
from flint import fmpq, fmpq_mat

from certify.families.memory.dynamics import _floats, simulate


def _fmpq_solve(A: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """The exact solution of A y = rhs, or None when A is singular."""
    m = len(A)
    Aq = fmpq_mat(m, m, [fmpq(a.numerator, a.denominator) for row in A for a in row])
    bq = fmpq_mat(m, 1, [fmpq(v.numerator, v.denominator) for v in rhs])
    try:
        y = Aq.solve(bq)
    except ZeroDivisionError:
        return None
    return [Fraction(int(y[i, 0].p), int(y[i, 0].q)) for i in range(m)]


def _consistent(A: list[list[Fraction]], rhs: list[Fraction]) -> bool:
    """Whether the (singular) system A y = rhs has a solution: rank A == rank [A | rhs] (exact)."""
    m = len(A)
    Aq = fmpq_mat(m, m, [fmpq(a.numerator, a.denominator) for row in A for a in row])
    Ab = fmpq_mat(m, m + 1, [fmpq(v.numerator, v.denominator) for row, r in zip(A, rhs) for v in list(row) + [r]])
    return Aq.rank() == Ab.rank()


def _i_minus(W: list[list[Fraction]], S: Sequence[int]) -> list[list[Fraction]]:
    return [[Fraction(int(i == j)) - W[i][j] for j in S] for i in S]


class _ExactNet:
    """W, I - W and b as FLINT rationals, converted once for the 2^n linear solves of an enumeration."""

    def __init__(self, W: list[list[Fraction]], b: list[Fraction]):
        self.n = len(W)
        self.W = [[fmpq(w.numerator, w.denominator) for w in row] for row in W]
        self.M = [[fmpq(int(i == j)) - self.W[i][j] for j in range(self.n)] for i in range(self.n)]
        self.b = [fmpq(v.numerator, v.denominator) for v in b]

    def solve(self, S: Sequence[int]) -> tuple[str, list[Fraction] | None]:
        n, S = self.n, list(S)
        xs = []
        if S:
            m = len(S)
            A = fmpq_mat(m, m, [self.M[i][j] for i in S for j in S])
            rhs = fmpq_mat(m, 1, [self.b[i] for i in S])
            try:
                y = A.solve(rhs)
            except ZeroDivisionError:
                Ab = fmpq_mat(m, m + 1, [v for i in S for v in [self.M[i][j] for j in S] + [self.b[i]]])
                return ("degenerate", None) if A.rank() == Ab.rank() else ("none", None)
            xs = [y[k, 0] for k in range(m)]
            if any(v <= 0 for v in xs):
                return "none", None
        x = [fmpq(0)] * n
        for i, v in zip(S, xs):
            x[i] = v
        inS = set(S)
        for i in range(n):
            if i not in inS:
                x[i] = sum((self.W[i][j] * x[j] for j in S), fmpq(0)) + self.b[i]
                if x[i] > 0:
                    return "none", None
        return "equilibrium", [Fraction(int(v.p), int(v.q)) for v in x]


def solve_active_set(W: list[list[Fraction]], b: list[Fraction], S: Sequence[int]
                     ) -> tuple[str, list[Fraction] | None]:
    """The equilibrium with positive set exactly S, if any: ("equilibrium", x), ("none", None), or
    ("degenerate", None) when I - W_SS is singular and (I - W_SS) x_S = b_S is consistent."""
    return _ExactNet(W, b).solve(S)


def _enumerate(Wq, bq) -> tuple[list[list[Fraction]], list[tuple[int, ...]]]:
    n = len(Wq)
    net = _ExactNet(Wq, bq)
    found, degenerate = [], []
    for r in range(n + 1):
        for S in itertools.combinations(range(n), r):
            kind, x = net.solve(S)
            if kind == "equilibrium":
                found.append(x)
            elif kind == "degenerate":
                degenerate.append(S)
    return found, degenerate


def _search(Wq, bq, tau, starts: int, seed: int) -> tuple[list[list[Fraction]], list[tuple[int, ...]]]:
    """Untrusted candidates (simulation end points, pattern iteration), each solved and checked exactly."""
    # deferred: the untrusted search loads SciPy (~0.45 s), needed only for n > MAX_ENUMERATION
    from certify.search import equilibria as numeric
    Wf, bf = _floats(Wq, bq)
    n = bf.size
    rng = np.random.default_rng(seed)
    scale = 1.0 + float(np.max(np.abs(bf))) + float(np.max(np.abs(Wf)))
    points = [numeric_x for numeric_x in numeric.find_equilibria(Wf, bf, "H", "relu", starts=starts, seed=seed)]
    for _ in range(max(1, starts // 4)):
        _, xs = simulate(Wf, bf, scale * rng.normal(size=n), tau=tau, t_end=40.0, dt=0.02)
        points.append(xs[-1])
    sets = []
    for p in points:
        if np.all(np.isfinite(p)):
            S = tuple(int(i) for i in np.flatnonzero(p > 1e-9))
            if S not in sets:
                sets.append(S)
    found, degenerate = [], []
    net = _ExactNet(Wq, bq)
    for S in sets:
        kind, x = net.solve(S)
        if kind == "equilibrium" and x not in found:
            found.append(x)
        elif kind == "degenerate":
            degenerate.append(S)
    return found, degenerate


def solve_active_set_linear(W: list[list[Fraction]], b: list[Fraction]) -> tuple[str, list[Fraction] | None]:
    """The linear network's equilibrium (I - W) x = b: ("equilibrium", x), ("none", None) or ("degenerate", None)."""
    n = len(W)
    A = _i_minus(W, range(n))
    x = _fmpq_solve(A, b)
    if x is None:
        return ("degenerate", None) if _consistent(A, b) else ("none", None)
    return "equilibrium", x
