"""The cvxpy baselines (UNTRUSTED): the margin SDP through SCS or Clarabel (`_CvxMargin`, used by
`search_metric` with solver="SCS" or "CLARABEL"), and the plain cvxpy + SCS bisection of
benchmarks/bench_lmi.py (`reference_bisection`). cvxpy itself is imported inside the functions that use it:
it costs about 0.8 s, and the default (barrier) search never needs it.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np

from certify.search.lmi.problem import _KAPPA, Form, Structure, _form, _lmi_max_eig, _slope, _weights


@dataclass(frozen=True)
class ReferenceResult:
    """The plain cvxpy + SCS bisection: the last c SCS called "optimal", and the (P, lam) it returned."""

    P: np.ndarray | None
    lam: np.ndarray | None
    c: float
    seconds: float
    solves: int
    statuses: tuple[str, ...]
    lmi_max_eig: float  # lambda_max(M(c)) for the returned (P, lam, c): > 0 means the LMI is violated


class _CvxMargin:
    """maximise t s.t. M(c; P, lam) + t diag(2 Pref, 0) <= 0, P >= 0, <Pref^-1, P> = n, built once
    with c and Pref as parameters (DPP: re-solves do not recompile)."""

    def __init__(self, W: np.ndarray, g: float, form: str, full: bool, solver: str, max_iters: int,
                 eps: float) -> None:
        import cvxpy as cp  # deferred: cvxpy costs about 0.8 s to import and only this path uses it

        self.cp = cp
        n = W.shape[0]
        self.n, self.full, self.solver, self.max_iters, self.eps = n, full, solver, max_iters, eps
        self.a = cp.Parameter(nonneg=True)  # 2 (1 - c)
        self.lam = cp.Variable(n)
        self.t = cp.Variable()
        if full:
            self.Pv = cp.Variable((n, n), symmetric=True)
            self.E = cp.Parameter((n, n), symmetric=True)  # 2 Pref
            self.N = cp.Parameter((n, n), symmetric=True)  # Pref^-1
            P = self.Pv
            TL = -self.a * P + self.t * self.E
            cons = [P >> 0]
            PW = P @ W if form == "H" else P
        else:
            self.Pv = cp.Variable(n)
            self.E = cp.Parameter(n, nonneg=True)
            self.N = cp.Parameter(n, nonneg=True)
            p = self.Pv
            TL = cp.diag(-self.a * p + self.t * self.E)
            cons = [p >= 0]
            PW = cp.multiply(p[:, None], W) if form == "H" else cp.diag(p)
        if form == "H":
            B = PW + g * cp.diag(self.lam)
        else:
            B = PW + g * cp.multiply(W.T, self.lam[None, :])
        self.L = cp.Parameter(n, nonneg=True)  # 2 kappa lam_ref: margin in the multiplier block too
        M = cp.bmat([[TL, B], [B.T, cp.diag(-2.0 * self.lam + self.t * self.L)]])
        self.lmi = M << 0
        norm = cp.sum(cp.multiply(self.N, self.Pv)) == n
        self.prob = cp.Problem(cp.Maximize(self.t), [self.lmi, norm] + cons)

    def solve(self, c: float, Pref: np.ndarray, lam_ref: np.ndarray):
        """(P, lam, t, Z, status) or None when the solver failed."""
        cp = self.cp
        self.a.value = 2.0 * (1.0 - c)
        self.L.value = 2.0 * _KAPPA * np.maximum(lam_ref, 0.0)
        if self.full:
            Ni = np.linalg.inv(Pref)
            self.E.value = 2.0 * Pref
            self.N.value = 0.5 * (Ni + Ni.T)
        else:
            d = np.diag(Pref)
            self.E.value = 2.0 * d
            self.N.value = 1.0 / d
        opts: dict = {}
        if self.solver == "SCS":
            opts = dict(max_iters=self.max_iters, eps_abs=self.eps, eps_rel=self.eps, warm_start=True)
        else:
            opts = dict(max_iter=self.max_iters)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Solution may be inaccurate": we re-check everything
                self.prob.solve(solver=getattr(cp, self.solver), **opts)
        except (cp.error.SolverError, ArithmeticError, ValueError, np.linalg.LinAlgError):
            return None
        if self.Pv.value is None or self.lam.value is None:
            return None
        P = np.array(self.Pv.value, dtype=float)
        P = 0.5 * (P + P.T) if self.full else np.diag(P)
        Z = self.lmi.dual_value
        Z = None if Z is None else np.array(Z, dtype=float)
        t = float(self.t.value) if self.t.value is not None else math.nan
        return P, np.array(self.lam.value, dtype=float).reshape(-1), t, Z, str(self.prob.status)


def reference_bisection(W: object, g: float, form: Form, n_bisect: int = 10, *, structure: Structure = "diag",
                        lo: float = 0.0, hi: float = 1.0, eps_P: float = 1e-3,
                        max_iters: int | None = None) -> ReferenceResult:
    """The plain cvxpy + SCS bisection on c at SCS's default settings: feasibility of M(c) <= 0 with
    P >= eps_P I, lam >= 0 (no margin, no normalisation, no re-check), n_bisect halvings of [lo, hi],
    the solver's "optimal" taken at face value. The baseline of benchmarks/bench_lmi.py; do not use it
    for certificates. max_iters=None keeps SCS's default iteration limit.

    eps_P = 1e-3 is the "P strictly positive" a plain formulation writes (BASELINES.md); with 1e-6 SCS
    accepts P ~ 1e-6 I and nearly any c (M(c) is then below its tolerance), with P >= I (a
    normalisation) it behaves much better."""
    import cvxpy as cp  # deferred: cvxpy costs about 0.8 s to import and only this path uses it

    func = "reference_bisection"
    t0 = time.perf_counter()
    A = _weights(W, func)
    n = A.shape[0]
    gf, fm = _slope(g, func), _form(form, func)
    cpar = cp.Parameter()
    lam = cp.Variable(n)
    if structure == "full":
        Pv = cp.Variable((n, n), symmetric=True)
        Pm = Pv
        cons = [Pv >> eps_P * np.eye(n)]
    else:
        Pv = cp.Variable(n)
        Pm = cp.diag(Pv)
        cons = [Pv >= eps_P]
    B = (Pm @ A + gf * cp.diag(lam)) if fm == "H" else (Pm + gf * A.T @ cp.diag(lam))
    M = cp.bmat([[-2.0 * (1.0 - cpar) * Pm, B], [B.T, -2.0 * cp.diag(lam)]])
    prob = cp.Problem(cp.Minimize(0), cons + [M << 0, lam >= 0])
    statuses: list[str] = []
    found = None
    opts = {} if max_iters is None else {"max_iters": int(max_iters)}
    for _ in range(int(n_bisect)):
        mid = 0.5 * (lo + hi)
        cpar.value = mid
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prob.solve(solver=cp.SCS, **opts)
            st = str(prob.status)
        except (cp.error.SolverError, ArithmeticError, ValueError) as exc:
            st = f"error: {type(exc).__name__}"
        statuses.append(st)
        if st == "optimal" and Pv.value is not None and lam.value is not None:
            P = np.array(Pv.value, dtype=float)
            P = 0.5 * (P + P.T) if structure == "full" else np.diag(P)
            found = (P, np.array(lam.value, dtype=float).reshape(-1), mid)
            lo = mid
        else:
            hi = mid
    seconds = time.perf_counter() - t0
    if found is None:
        return ReferenceResult(None, None, -math.inf, seconds, len(statuses), tuple(statuses), math.nan)
    P, lv, c = found
    return ReferenceResult(P, lv, c, seconds, len(statuses), tuple(statuses), _lmi_max_eig(A, gf, fm, P, lv, c))
