"""The Newton phase of `balance`: one damped Newton step on the convex cost C(h), its system solved matrix-free by
Jacobi-preconditioned CG, or by a grounded dense Cholesky factorisation when CG is slow."""

from __future__ import annotations

import math

import numpy as np

from certify.families.balancing.costs import _Costs


def _pcg(matvec, rhs: np.ndarray, pre: np.ndarray, rtol: float, maxiter: int) -> tuple[np.ndarray, bool]:
    """Preconditioned conjugate gradients from 0 (every iterate is a descent direction)."""
    x = np.zeros_like(rhs)
    r = rhs.copy()
    z = pre * r
    d = z.copy()
    rz = float(r @ z)
    target = rtol * float(np.linalg.norm(rhs))
    for _ in range(maxiter):
        q = matvec(d)
        dq = float(d @ q)
        if not dq > 0:
            return x, False
        a = rz / dq
        x += a * d
        r -= a * q
        if float(np.linalg.norm(r)) <= target:
            return x, True
        z = pre * r
        rz_new = float(r @ z)
        d = z + (rz_new / rz) * d
        rz = rz_new
    return x, False


def _project(v: np.ndarray, labels: np.ndarray, ncomp: int, live: np.ndarray) -> np.ndarray:
    """Remove each component's mean over its live nodes (the Laplacian's null space)."""
    v = np.where(live, v, 0.0)
    if ncomp <= 1:
        k = int(live.sum())
        return np.where(live, v - v.sum() / k, 0.0) if k else v
    sums = np.bincount(labels, weights=v, minlength=ncomp)
    counts = np.bincount(labels, weights=live.astype(float), minlength=ncomp)
    mean = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return np.where(live, v - mean[labels], 0.0)


def _newton_step(work: _Costs, h, rin, rout, imb, labels, ncomp, target):
    """One damped Newton step on C(h); returns (accepted, h, in, out, imbalance).

    grad C = -p g and Hessian = p^2 L, L the Laplacian of W + W^T (W the current cost matrix), so
    the step solves L d = g / p. Solved matrix-free by Jacobi-preconditioned CG to a relative
    residual min(0.1, imbalance) (superlinear convergence), but no tighter than needed to land below
    `target` (the next imbalance is about residual * imbalance + imbalance^2); if CG is slow on a dense network it falls back to a Cholesky
    factorisation with one node per component grounded (the gauge)."""
    pf = work.p
    n = h.size
    e, ei = work.scalings(h)
    deg = rin + rout
    live = deg > 0
    rhs = _project((rin - rout) / pf, labels, ncomp, live)
    pre = np.divide(1.0, deg, out=np.zeros(n), where=live)

    def lap(v):
        return deg * v - work.sym_matvec(e, ei, v)

    rtol = min(0.1, max(imb, 0.5 * target / imb, 1e-14))
    cg_max = max(30, n // 25) if not work.sparse else max(200, min(5 * n, 20000))
    delta, ok = _pcg(lap, rhs, pre, rtol, cg_max)
    if not ok and not work.sparse and n <= 6000:
        # deferred: scipy.linalg takes ~0.3 s to import, needed only when CG is slow on a dense network
        from scipy.linalg import LinAlgError, cho_factor, cho_solve

        W = work.weights(h)
        L = -(W + W.T)
        L[np.diag_indices(n)] = deg
        ground = np.ones(n, dtype=bool)
        ground[live] = False
        first = np.unique(labels[live], return_index=True)[1]
        ground[np.flatnonzero(live)[first]] = True
        L[ground, :] = 0.0
        L[:, ground] = 0.0
        L[ground, ground] = 1.0
        b = np.where(ground, 0.0, rhs)
        try:
            delta = cho_solve(cho_factor(L, check_finite=False), b, check_finite=False)
        except (LinAlgError, ValueError):
            pass
    delta = _project(delta, labels, ncomp, live)
    if not np.all(np.isfinite(delta)):
        return False, h, rin, rout, imb
    # backtracking: accept when the cost decreases (Armijo), or -- near the optimum, where C is flat
    # to rounding -- when the imbalance halves
    c_now = float(rin.sum())
    slope = -pf * float((rin - rout) @ delta)
    t = 1.0
    for _ in range(40):
        h_new = h + t * delta
        work.maybe_rebase(h_new)
        rin_n, rout_n = work.in_out(h_new)
        c_new = float(rin_n.sum())
        imb_n = float(np.linalg.norm(rin_n - rout_n) / c_new) if c_new > 0 else 0.0
        if math.isfinite(imb_n) and (c_new <= c_now + 1e-4 * t * slope or imb_n < 0.5 * imb):
            return True, h_new, rin_n, rout_n, imb_n
        t *= 0.5
    return False, h, rin, rout, imb
