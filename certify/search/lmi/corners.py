"""The corner test for one quadratic metric (small n, UNTRUSTED): the rate of P over all 2^n corner Jacobians
(`corner_rate`) and the search of the best such P by a Dinkelbach iteration in cvxpy (`corner_lmi_search`).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from certify.errors import InputError
from certify.search.lmi.problem import Form, _form, _metric, _normalise, _slope, _weights


@dataclass(frozen=True)
class CornerResult:
    """Best rate of one quadratic metric P over the 2^n corner Jacobians (numerical, UNTRUSTED)."""

    P: np.ndarray | None
    c: float
    c_upper: float
    status: str
    seconds: float
    solves: int
    notes: tuple[str, ...] = ()


CORNER_MAX_N = 10


def _corners(W: np.ndarray, g: float, form: str) -> np.ndarray:
    """All 2^n corner Jacobians -I + W D (H) or -I + D W (FR), D in {0, g}^n, stacked (2^n, n, n)."""
    n = W.shape[0]
    bits = ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(float) * g  # (2^n, n)
    eye = np.eye(n)
    if form == "H":
        return -eye[None] + W[None, :, :] * bits[:, None, :]
    return -eye[None] + bits[:, :, None] * W[None, :, :]


def _corner_rate(J: np.ndarray, P: np.ndarray) -> float:
    """min over corners of -mu_P(J_D), mu_P(J) = lambda_max(sym(P J), P)."""
    try:
        L = np.linalg.cholesky(P)
    except np.linalg.LinAlgError:
        return -math.inf
    Li = scipy.linalg.solve_triangular(L, np.eye(P.shape[0]), lower=True)
    T = L.T[None] @ J @ Li.T[None]  # L^T J L^-T, similar to J in the P-norm
    T = 0.5 * (T + np.swapaxes(T, 1, 2))
    return float(-np.max(np.linalg.eigvalsh(T)[:, -1]))


def corner_rate(W: object, g: float, form: Form, P: object) -> float:
    """The best rate of the fixed metric P over all 2^n corner Jacobians: min_D -mu_P(-I + W D) (H) or
    min_D -mu_P(-I + D W) (FR), D in {0, g}^n (n <= 10). Since mu_P is convex in D this is the exact rate
    of the quadratic metric P for every slope-restricted activation (floating point)."""
    func = "corner_rate"
    A = _weights(W, func)
    n = A.shape[0]
    if n > CORNER_MAX_N:
        raise InputError(f"{func}: 2^n corners are only enumerated for n <= {CORNER_MAX_N}, got n = {n}",
                         symbol="W", hint="use search_metric (the multiplier LMI) for larger networks")
    return _corner_rate(_corners(A, _slope(g, func), _form(form, func)), _metric(P, n, func))


def corner_lmi_search(W: object, g: float, form: Form, P: object = None, *, solver: str = "CLARABEL",
                      max_iters: int | None = None, rel_tol: float = 5e-3,
                      time_budget: float | None = None) -> CornerResult:
    """The exact test for a fixed quadratic metric (n <= 10): J_D^T P + P J_D <= -2 c P at all 2^n corners.

    With P given: its rate (`corner_rate`). Otherwise one SDP over all corners per step, Dinkelbach-style
    (maximise t s.t. J_D^T P + P J_D + 2 c P + 2 t Pref <= 0 for all D, <Pref^-1, P> = n, with c the
    exact corner rate of the best P so far), solved by cvxpy (Clarabel by default, or SCS). The dual
    matrices Z_D give an upper bound: if K(c0) = sum_D (J_D Z_D + Z_D J_D^T) + 2 c0 sum_D Z_D >= 0 with
    sum_D Z_D > 0, no P has a corner rate above c0.
    """
    func = "corner_lmi_search"
    t0 = time.perf_counter()
    A = _weights(W, func)
    n = A.shape[0]
    gf, fm = _slope(g, func), _form(form, func)
    if n > CORNER_MAX_N:
        raise InputError(f"{func}: 2^n corners are only enumerated for n <= {CORNER_MAX_N}, got n = {n}",
                         symbol="W", hint="use search_metric (the multiplier LMI) for larger networks")
    if solver not in ("CLARABEL", "SCS"):
        raise InputError(f"{func}: argument 'solver' must be 'CLARABEL' or 'SCS', got {solver!r}", symbol="solver")
    J = _corners(A, gf, fm)
    if P is not None:
        Pm = _metric(P, n, func)
        return CornerResult(Pm, _corner_rate(J, Pm), math.inf, "given", time.perf_counter() - t0, 0)
    import cvxpy as cp  # deferred: cvxpy costs about 0.8 s to import and only this path uses it

    deadline = None if time_budget is None else t0 + float(time_budget)
    Pv = cp.Variable((n, n), symmetric=True)
    t = cp.Variable()
    cpar = cp.Parameter()
    E = cp.Parameter((n, n), symmetric=True)
    N = cp.Parameter((n, n), symmetric=True)
    lmis = [Jd.T @ Pv + Pv @ Jd + 2.0 * cpar * Pv + t * E << 0 for Jd in J]
    prob = cp.Problem(cp.Maximize(t), lmis + [Pv >> 0, cp.sum(cp.multiply(N, Pv)) == n])
    best_P = np.eye(n)
    best = _corner_rate(J, best_P)
    c_upper = math.inf
    solves = 0
    notes: list[str] = []
    bound_steps = 0
    last_gain = math.inf
    opts = dict(max_iters=max_iters or 5000, eps_abs=1e-7, eps_rel=1e-7) if solver == "SCS" else \
        dict(max_iter=max_iters or 200)
    for _ in range(30):
        if deadline is not None and time.perf_counter() > deadline:
            notes.append("time budget exhausted")
            break
        tol = rel_tol * max(abs(best), 1e-3) / 2.0
        bound_step = solves > 0 and last_gain <= tol
        c_s = best + (1.0 + 0.8 * bound_steps) * tol if bound_step else best
        cpar.value = c_s
        E.value = 2.0 * best_P
        Ni = np.linalg.inv(best_P)
        N.value = 0.5 * (Ni + Ni.T)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prob.solve(solver=getattr(cp, solver), **opts)
        except (cp.error.SolverError, ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
            notes.append(f"{solver} failed: {exc!s}"[:200])
            break
        solves += 1
        last_gain = 0.0
        if Pv.value is not None:
            Pn = 0.5 * (Pv.value + Pv.value.T)
            r = _corner_rate(J, Pn)
            last_gain = max(r - best, 0.0)
            if r > best:
                best, best_P = r, Pn
        duals = [con.dual_value for con in lmis]
        if all(d is not None for d in duals):
            Zs = np.array(duals, dtype=float)
            Zs = 0.5 * (Zs + np.swapaxes(Zs, 1, 2))
            w, V = np.linalg.eigh(Zs)
            Zs = (V * np.maximum(w, 0.0)[:, None, :]) @ np.swapaxes(V, 1, 2)
            X = Zs.sum(0)
            Hs = (J @ Zs + Zs @ np.swapaxes(J, 1, 2)).sum(0)
            try:
                Lx = np.linalg.cholesky(2.0 * X)
                T = scipy.linalg.solve_triangular(Lx, Hs, lower=True)
                T = scipy.linalg.solve_triangular(Lx, T.T, lower=True)
                c_upper = min(c_upper, float(-np.linalg.eigvalsh(0.5 * (T + T.T))[0]))
            except np.linalg.LinAlgError:
                pass
        if c_upper - best <= 2 * tol:
            break
        if bound_step:
            bound_steps += 1
            if bound_steps >= 2 and last_gain <= tol:
                break
    P_out, _ = _normalise(best_P, np.zeros(n))
    c = _corner_rate(J, P_out)
    status = "certified" if c > 0 else ("infeasible" if c_upper <= 0 else "inconclusive")
    return CornerResult(P_out, c, c_upper, status, time.perf_counter() - t0, solves, tuple(notes))
