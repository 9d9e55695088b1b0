"""The full-metric search through the multiplier alone (UNTRUSTED; the theory is in `frequency`).

For a fixed a = 1 - c the sampled condition is an LMI in (Lambda, t) with n + 1 unknowns and one n x n Hermitian
block per angle:

    maximise t  subject to  X_j = Herm(Lambda (a I - kappa_j W)) - t Lambda_ref >= 0,  lambda >= 0,  sum(lambda) = n,

with Lambda_ref the best multiplier so far (then t is close to the gain in a: the Dinkelbach step).

`_center_path` solves it with a log-barrier path-following method; its Newton system is (n + 1) x (n + 1) and each
angle costs one complex Cholesky, one inverse and two products with W per step (O(n^3), the same order as one step
of the diagonal search). `search_full` runs the Dinkelbach iteration on the rate: solve at a_k, measure the exact
rate a(Lambda) of the new multiplier over all angles, add the angle where it is attained, repeat; the dual matrices
give an upper bound on the best full-P rate. The metric P comes last, from one Riccati solve.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from certify.output.progress import note
from certify.search.lmi.barrier import _potri_inverse
from certify.search.lmi.frequency import (kappa, metric_from_multiplier, rate_of_multiplier, sampled_upper_bound,
                                          similar)
from certify.search.lmi.problem import _rate

_MU = 8.0          # tau grows by this factor per centring
_CTOL = 0.25       # a centring stops at Newton decrement^2 below this
_MAX_ANGLES = 24   # the sampled angle set stops growing here
_ANGLE_SEP = 1e-3  # a new angle closer than this to a sampled one is not added
_PRUNE = 1e-3      # after a solve, angles whose dual weight is below this fraction of the largest are dropped


class _Sampled:
    """The sampled condition at a fixed a: blocks, barrier value, gradient and Hessian in x = (lambda, t)."""

    def __init__(self, W: np.ndarray, g: float, a: float, phis: list[float], lam_ref: np.ndarray) -> None:
        self.W, self.WT, self.g, self.a, self.n = W, np.ascontiguousarray(W.T), g, a, W.shape[0]
        self.ref = lam_ref
        self.phis = list(phis)
        self.kappas = [kappa(g, p) for p in self.phis]

    def block(self, lam: np.ndarray, t: float, kappa: complex) -> np.ndarray:
        K = (kappa * lam[:, None]) * self.W
        X = -0.5 * (K + K.conj().T)
        X[np.diag_indices_from(X)] += self.a * lam - t * self.ref
        return X

    def factors(self, x: np.ndarray):
        """Cholesky factors of every block, or None when x is outside the domain."""
        lam, t = x[:-1], x[-1]
        if np.any(lam <= 0):
            return None
        out = []
        for kappa in self.kappas:
            try:
                out.append(scipy.linalg.cholesky(self.block(lam, t, kappa), lower=True, check_finite=False))
            except (np.linalg.LinAlgError, ValueError):
                return None
        return out

    def value(self, x: np.ndarray, tau: float, facs) -> float:
        logdet = sum(2.0 * float(np.sum(np.log(np.real(np.diag(L))))) for L in facs)
        return -tau * x[-1] - logdet - float(np.sum(np.log(x[:-1])))

    def derivatives(self, x: np.ndarray, tau: float, facs):
        """Gradient and Hessian of the barrier objective, and the inverse blocks Y_j (the dual matrices are
        Y_j / tau)."""
        n, a, ref = self.n, self.a, self.ref
        lam = x[:-1]
        grad = np.zeros(n + 1)
        H = np.zeros((n + 1, n + 1))
        Ys = []
        for L, kappa in zip(facs, self.kappas):
            Y = _potri_inverse(L)
            G = a * Y - kappa * _real_times(self.W, Y)
            Q = a * G - np.conj(kappa) * _times_real(G, self.WT)
            grad[:n] -= np.real(np.diag(G))
            grad[n] += float(np.real(np.diag(Y)) @ ref)
            H[:n, :n] += 0.5 * np.real(G * G.T + Q * Y.T)
            H[:n, n] -= np.real(np.sum(G * (Y.T * ref[None, :]), axis=1))
            H[n, n] += float(ref @ (np.abs(Y) ** 2) @ ref)
            Ys.append(Y)
        H[n, :n] = H[:n, n]
        grad[:n] -= 1.0 / lam
        H[np.arange(n), np.arange(n)] += 1.0 / lam**2
        grad[n] -= tau
        return grad, H, Ys


def _real_times(R: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """R Z for real R and complex Z by real products (half the work of a complex product)."""
    n = Z.shape[1]
    RZ = R @ np.hstack([Z.real, Z.imag])
    return RZ[:, :n] + 1j * RZ[:, n:]


def _times_real(Z: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Z R for complex Z and real R by real products."""
    n = Z.shape[0]
    ZR = np.vstack([Z.real, Z.imag]) @ R
    return ZR[:n] + 1j * ZR[n:]


@dataclass
class _Center:
    lam: np.ndarray
    t: float
    steps: int
    Zs: list | None   # dual matrices at the last centre (None when no centring finished)
    ok: bool


def _newton_dir(grad: np.ndarray, H: np.ndarray) -> np.ndarray | None:
    """The Newton step of the barrier objective under sum(lambda) = n (t free)."""
    n1 = grad.size
    e = np.ones(n1)
    e[-1] = 0.0
    try:
        cf = scipy.linalg.cho_factor(H, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return None
    u = scipy.linalg.cho_solve(cf, grad, check_finite=False)
    v = scipy.linalg.cho_solve(cf, e, check_finite=False)
    nu = -float(e @ u) / float(e @ v)
    return -u - nu * v


def _center_path(prob: _Sampled, lam0: np.ndarray, *, gap_tol: float, max_steps: int,
                 deadline: float | None, final_ctol: float = _CTOL) -> _Center:
    """Follow the central path of the sampled problem from lam0 (normalised to sum n) until the barrier gap
    m / tau is below gap_tol or below a fifth of the margin t reached (enough for a Dinkelbach step), or the step
    budget or the deadline runs out."""
    n = prob.n
    lam = lam0 * (n / float(np.sum(lam0)))
    s = 1.0 / np.sqrt(prob.ref)
    t_min = min(float(np.linalg.eigvalsh(prob.block(lam, 0.0, k) * s[:, None] * s[None, :])[0])
                for k in prob.kappas)
    scale = max(prob.a, 1e-3)  # a = 0 is the rate 1 of a network whose weights never excite it
    x = np.append(lam, t_min - 0.1 * scale)
    facs = prob.factors(x)
    m = n * (len(prob.kappas) + 1)
    tau = m / (0.1 * scale)
    steps, Zs = 0, None
    if facs is None:
        return _Center(lam, x[-1], 0, None, False)
    while steps < max_steps:
        if deadline is not None and time.perf_counter() > deadline:
            return _Center(x[:-1], x[-1], steps, Zs, False)
        done = False
        while steps < max_steps:  # centring
            grad, H, Ys = prob.derivatives(x, tau, facs)
            dx = _newton_dir(grad, H)
            if dx is None:
                return _Center(x[:-1], x[-1], steps, Zs, False)
            dec2 = -float(grad @ dx)
            steps += 1
            if dec2 < (final_ctol if m / tau <= gap_tol else _CTOL):
                done = True
                break
            f0 = prob.value(x, tau, facs)
            step = 1.0
            while step > 1e-12:
                xn = x + step * dx
                fn = prob.factors(xn)
                if fn is not None and prob.value(xn, tau, fn) <= f0 - 0.25 * step * dec2:
                    x, facs = xn, fn
                    break
                step *= 0.5
            else:
                return _Center(x[:-1], x[-1], steps, Zs, False)
        if not done:
            break
        Zs = [Y / tau for Y in Ys]
        if m / tau <= max(gap_tol, 0.2 * x[-1]):
            return _Center(x[:-1], x[-1], steps, Zs, True)
        tau *= _MU
    return _Center(x[:-1], x[-1], steps, Zs, False)


@dataclass
class FullSearch:
    """What `search_full` found: the best multiplier and its metric (P None when the Riccati solve failed), the
    multiplier's frequency rate, the exact rate of (P, lam) (problem._rate; -inf without P), the upper bound, the
    work done and notes."""

    P: np.ndarray | None
    lam: np.ndarray
    r_multiplier: float
    rate: float
    c_upper: float
    solves: int
    steps: int
    angles: int
    notes: list


def _add_angles(phis: list[float], new: list[float]) -> None:
    for p in new:
        if len(phis) < _MAX_ANGLES and all(abs(p - q) > _ANGLE_SEP for q in phis):
            phis.append(p)


def search_full(W: np.ndarray, g: float, form: str, lam0: np.ndarray, *, rel_tol: float, deadline: float | None,
                max_steps: int = 400) -> FullSearch:
    """Dinkelbach on the full-P rate over the multiplier, from the positive multiplier lam0; the metric is recovered
    (Riccati) once, for the best multiplier, and rated exactly (problem._rate)."""
    notes: list[str] = []
    lam = np.asarray(lam0, dtype=np.float64)
    if not (np.all(np.isfinite(lam)) and np.all(lam > 0)):
        lam = np.ones(W.shape[0])
    lam = lam * (W.shape[0] / float(np.sum(lam)))
    r, angles = rate_of_multiplier(W, g, lam)
    phis = [0.0, math.pi / 8, math.pi / 4, 3 * math.pi / 8]
    _add_angles(phis, angles)
    best = {"lam": lam, "r": r}
    c_upper = math.inf
    solves = steps = 0

    def tol_abs() -> float:
        rb = best["r"]
        return rel_tol * max(abs(rb), 1e-3 * max(1.0 - rb, 1.0)) / 2.0

    bound_step = False
    while steps < max_steps:
        if deadline is not None and time.perf_counter() > deadline:
            notes.append("time budget reached")
            break
        rb = best["r"]
        a = 1.0 - rb - (tol_abs() if bound_step else 0.0)
        # each solve runs where the reference multiplier is I: the condition is congruent under
        # (Lambda, W) -> (Lambda / lam_ref, D W D^-1), D = lam_ref^1/2, and the scaled problem is well conditioned
        ref = best["lam"]
        Ws = similar(W, ref)
        prob = _Sampled(Ws, g, a, phis, np.ones_like(ref))
        inner = _center_path(prob, np.ones_like(ref), gap_tol=tol_abs() / (8 if bound_step else 4),
                             max_steps=max_steps - steps, deadline=deadline,
                             final_ctol=1e-10 if bound_step else _CTOL)
        solves += 1
        steps += inner.steps
        if inner.Zs is not None:
            c_upper = min(c_upper, sampled_upper_bound(Ws, g, prob.phis, inner.Zs))
        lam_new = inner.lam * ref
        lam_new *= W.shape[0] / float(np.sum(lam_new))
        r_new, angles = rate_of_multiplier(W, g, lam_new)
        if inner.Zs is not None:  # angles without dual weight cost a factorisation per step and shape nothing
            weight = [float(np.real(np.trace(Z))) for Z in inner.Zs]
            phis = [p for p, w in zip(prob.phis, weight) if w >= _PRUNE * max(weight)]
        _add_angles(phis, angles)
        if r_new > rb:
            best.update(lam=lam_new, r=r_new)
        note(f"LMI (full P via the multiplier, n = {W.shape[0]}): solve {solves}, rate {best['r']:.6g}, "
             f"dual bound {c_upper:.6g}, {steps} Newton steps, {len(phis)} angles")
        if c_upper - best["r"] <= 2 * tol_abs() or not inner.ok or (bound_step and inner.t <= 0):
            break
        # The margin t of a solve is (about) the gain in a it predicts. Once that is below the tolerance, the next
        # solve is the bound step, just above the best rate, where the optimal margin is negative and the dual
        # matrices show it. A measured gain below the prediction means an angle was missing (now added): go on.
        bound_step = inner.t <= tol_abs()
    lam, r = best["lam"], best["r"]
    P, r_P = None, -math.inf
    for k in range(8):  # a slightly above a(Lambda): the Riccati solution exists and stays finite
        delta = max(abs(r), 1e-3) * 1e-6 * 4.0**k
        cand = metric_from_multiplier(W, g, form, lam, 1.0 - r + delta)
        r_cand = _rate(W, g, form, cand, lam) if cand is not None else -math.inf
        if r_cand > r_P:
            P, r_P = cand, r_cand
        if r_P >= r - 4.0 * delta:
            break
    if P is None:
        notes.append("the Riccati solve found no metric for the best multiplier")
    return FullSearch(P, lam, r, r_P, c_upper, solves, steps, len(phis), notes)
