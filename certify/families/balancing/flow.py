"""The gain flow h' = g(h) / tau and its integration (explicit Euler with a non-increasing cost, or RK45): the
baseline for `balance` and the reference for the tests."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from certify.errors import InputError
from certify.families.balancing.costs import _Costs, _diag_cost, _scale_matrix, cost, cost_matrix
from certify.families.balancing.validate import _exponent, _square, _tolerance, _weights


def gain_flow_rhs(t: float, h: np.ndarray, J: object, p: float = 2.0, alpha: object = None,
                  tau: float = 1.0) -> np.ndarray:
    """dh/dt = g(h) / tau, the signal of J(h) = D^-1 J D (signature fits scipy.integrate.solve_ivp)."""
    A = _square(J)
    c = cost_matrix(_scale_matrix(A, np.asarray(h, dtype=float)), p, alpha)
    return (c.sum(axis=1) - c.sum(axis=0)) / tau


@dataclass(frozen=True, eq=False)
class GainFlowResult:
    """Samples of the gain flow: t[k], h[k] (log gains), cost[k] (total cost, diagonal included) and
    imbalance[k] at each recorded time; J is D^-1 J0 D at the final time."""

    t: np.ndarray
    h: np.ndarray
    cost: np.ndarray
    imbalance: np.ndarray
    J: np.ndarray
    steps: int
    converged: bool
    method: str

    def J_at(self, J0: object, k: int) -> np.ndarray:
        return _scale_matrix(_square(J0), self.h[k])


def integrate_gain_flow(
    J: object,
    t: float | Sequence[float],
    *,
    p: float = 2.0,
    alpha: object = None,
    tau: float = 1.0,
    tol: float | None = None,
    method: str = "euler",
    max_steps: int = 1_000_000,
    safety: float = 0.9,
) -> GainFlowResult:
    """Integrate h' = g(h)/tau from h = 0, J(t) = D^-1 J D.

    `t` is the final time (float, may be inf when `tol` is given) or an increasing sequence of
    times >= 0 at which to record. "euler": explicit Euler with step dt = safety * tau / (p *
    max_k(in_k + out_k)) -- the gradient-descent stability limit, since the Hessian of C is p^2
    times a graph Laplacian with eigenvalues <= 2 max degree -- halved whenever the cost would rise,
    so the recorded cost is non-increasing. "rk45": scipy's solve_ivp (records at `t`, or at every
    accepted step when t = inf; `max_steps` caps the right-hand-side evaluations).
    With `tol`, stops as soon as the relative imbalance is <= tol (the last sample is then that
    time)."""
    A = _square(J)
    n = A.shape[0]
    pf = _exponent(p)
    al = _weights(alpha, n)
    if not (isinstance(tau, (int, float)) and tau > 0 and math.isfinite(tau)):
        raise InputError(f"tau must be a finite number > 0, got {tau!r}", symbol="tau")
    times = np.atleast_1d(np.asarray(t, dtype=float))
    if times.ndim != 1 or np.any(np.isnan(times)) or np.any(times < 0) or np.any(np.diff(times) < 0):
        raise InputError(f"t must be a time >= 0 or an increasing sequence of them, got {t!r}", symbol="t")
    if np.any(np.isinf(times)) and tol is None:
        raise InputError("t = inf needs a stopping tolerance tol", symbol="t")
    tol_f = None if tol is None else _tolerance(tol)
    off = np.abs(A)
    np.fill_diagonal(off, 0.0)
    m = float(off.max()) if n else 0.0
    if m == 0.0:
        zero = np.zeros((times.size, n))
        c = cost(A, pf, al)
        return GainFlowResult(times, zero, np.full(times.size, c), np.zeros(times.size), A.copy(), 0,
                              True, method)
    K = al * (off / m) ** pf
    np.fill_diagonal(K, 0.0)
    scale = m ** pf
    diag_cost = _diag_cost(A, pf, al)
    work = _Costs(K, pf, False)

    def state(hh):
        rin, rout = work.in_out(hh)
        tot = float(rin.sum())
        return rin, rout, tot, (float(np.linalg.norm(rin - rout) / tot) if tot > 0 else 0.0)

    ts, hs, cs, ims = [], [], [], []

    def record(tt, hh, tot, im):
        ts.append(tt)
        hs.append(hh.copy())
        cs.append(tot * scale + diag_cost)
        ims.append(im)

    if method == "rk45":
        # deferred: scipy.integrate takes ~0.6 s to import, needed only for method="rk45"
        from scipy.integrate import solve_ivp

        class _Budget(Exception):
            pass

        evals = [0]
        last = [np.zeros(n)]

        def rhs(_t, hh):
            evals[0] += 1
            if evals[0] > max_steps:
                raise _Budget
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                rin, rout = work.in_out(hh)  # a wild trial step may overflow: RK45 rejects it
            return rin - rout  # in the time unit tau / scale, where the costs are O(1)

        events = None
        if tol_f is not None:
            def hit(_t, hh):  # evaluated on accepted steps
                last[0] = np.array(hh)
                with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                    return state(hh)[3] - 0.99 * tol_f
            hit.terminal = True
            events = [hit]
        unit = tau / scale  # solve in s = t / unit
        s_end = float(times[-1]) / unit if math.isfinite(times[-1]) else 1e12
        finite = times[np.isfinite(times)] / unit
        try:
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                sol = solve_ivp(rhs, (0.0, s_end), np.zeros(n), method="RK45", rtol=1e-10, atol=1e-12,
                                t_eval=finite if finite.size else None, events=events)
        except _Budget:  # out of right-hand-side evaluations: report where it got, not converged
            _, _, tot, im = state(last[0])
            record(float("nan"), last[0], tot, im)
            return GainFlowResult(np.array(ts), np.array(hs), np.array(cs), np.array(ims),
                                  _scale_matrix(A, last[0]), evals[0] - 1, False, "rk45")
        for k in range(len(sol.t)):
            _, _, tot, im = state(sol.y[:, k])
            record(float(sol.t[k]) * unit, sol.y[:, k], tot, im)
        if tol_f is not None and sol.t_events and sol.t_events[0].size:
            he = sol.y_events[0][0]
            _, _, tot, im = state(he)
            record(float(sol.t_events[0][0]) * unit, he, tot, im)
        conv = bool(tol_f is not None and ims and ims[-1] <= tol_f)
        hfin = np.array(hs[-1]) if hs else np.zeros(n)
        return GainFlowResult(np.array(ts), np.array(hs), np.array(cs), np.array(ims),
                              _scale_matrix(A, hfin), int(sol.nfev), conv, "rk45")
    if method != "euler":
        raise InputError(f"method must be 'euler' or 'rk45', got {method!r}", symbol="method")

    h = np.zeros(n)
    now = 0.0
    rin, rout, tot, im = state(h)
    steps = 0
    converged = tol_f is not None and im <= tol_f
    k = 0
    if times[0] == 0.0:
        record(0.0, h, tot, im)
        k = 1
    while k < times.size and not converged and steps < max_steps:
        target = times[k]
        deg_max = float(np.max(rin + rout))
        dt = safety * tau / (pf * deg_max * scale)
        g = (rin - rout) * scale
        if now + dt >= target:
            dt = target - now
        while True:
            h_new = h + dt * g / tau
            work.maybe_rebase(h_new)
            rin_n, rout_n, tot_n, im_n = state(h_new)
            if tot_n <= tot * (1 + 1e-15) or dt < 1e-300:
                break
            dt *= 0.5
        h, rin, rout, tot, im = h_new, rin_n, rout_n, tot_n, im_n
        now += dt
        steps += 1
        if tol_f is not None and im <= tol_f:
            converged = True
            record(now, h, tot, im)
            break
        if now >= target:
            record(now, h, tot, im)
            k += 1
    if not ts or ts[-1] != now:
        record(now, h, tot, im)
    return GainFlowResult(np.array(ts), np.array(hs), np.array(cs), np.array(ims), _scale_matrix(A, h),
                          steps, bool(converged), "euler")
