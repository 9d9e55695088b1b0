"""Our own solver of the margin SDP: a primal log-barrier path-following method written for the multiplier LMI
(UNTRUSTED; the package docstring explains the method and why it beats SCS here).

`_Lmi` is the LMI as a linear map of the variables (P parameters, lam), with the gradient and Hessian of the
barrier assembled from n x n blocks; `_margin_sdp_barrier` follows the central path with Newton steps.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from certify.search.lmi.problem import _KAPPA, _assemble, _offdiag

# tau grows by _MU per centring; a centring stops at Newton decrement^2 < _CTOL
_MU = 16.0
_CTOL = 0.5


class _Lmi:
    """Variables x = (P parameters, lam). P parameters: the diagonal (structure "diag") or the upper
    triangle (structure "full"; basis e_a e_b^T + e_b e_a^T off the diagonal, e_a e_a^T on it).

    Every basis matrix A_i = dM/dx_i is X_i + X_i^T with X_i a sum of terms alpha x y^T, where x, y are
    columns of a "family" (U: e_i in the top block, F: e_i in the bottom block, R: (0; W[i,:]^T),
    Q: (W[i,:]^T; 0)). Then tr(G A_i) = 2 sum alpha y^T G x and tr(G A_i G A_j) =
    2 sum_k sum_l alpha_k beta_l (y_k^T G x'_l)(y'_l^T G x_k) over the terms of X_i and of A_j, all
    read from the n x n blocks S[X, Y] = K_X^T G K_Y.
    """

    def __init__(self, W: np.ndarray, g: float, form: str, full: bool) -> None:
        n = W.shape[0]
        self.W, self.g, self.form, self.full, self.n = W, g, form, full, n
        if full:
            ia, ib = np.triu_indices(n)
        else:
            ia = ib = np.arange(n)
        self.ia, self.ib = ia, ib
        self.idx = {"a": ia, "b": ib, "i": np.arange(n)}
        self._flat: dict = {}
        self.wp = np.where(ia == ib, 0.5, 1.0) if full else np.ones(n)
        self.mp = ia.size
        self.m = self.mp + n
        self.fam = {"U": (0, None), "F": (1, None), "R": (1, W.T), "Q": (0, W.T)}
        o = "R" if form == "H" else "F"
        self._o = o
        lfam = "U" if form == "H" else "Q"
        # X for lam_i: g lfam_i f_i^T - f_i f_i^T (A = X + X^T = g(...) + g(...)^T - 2 f f^T)
        self.lhalf = [(g, lfam, "i", "F", "i"), (-1.0, "F", "i", "F", "i")]

    def phalf(self, c: float):
        """The terms of X_i for the P parameters (A_i = X_i + X_i^T; the diagonal basis is counted
        twice by the full-P formula and halved by the weights wp)."""
        a = -2.0 * (1.0 - c)
        o = self._o
        if not self.full:
            return [(0.5 * a, "U", "i", "U", "i"), (1.0, "U", "i", o, "i")]
        return [(a, "U", "a", "U", "b"), (1.0, "U", "a", o, "b"), (1.0, "U", "b", o, "a")]

    @staticmethod
    def _both(half):
        return half + [(al, Y, iy, X, ix) for al, X, ix, Y, iy in half]

    def split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x[: self.mp], x[self.mp:]

    def P(self, xp: np.ndarray) -> np.ndarray:
        if not self.full:
            return np.diag(xp)
        n = self.n
        P = np.zeros((n, n))
        P[self.ia, self.ib] = xp
        P[self.ib, self.ia] = xp
        return P

    def x_of(self, P: np.ndarray, lam: np.ndarray) -> np.ndarray:
        return np.concatenate([P[self.ia, self.ib], lam])

    def M(self, c: float, x: np.ndarray) -> np.ndarray:
        xp, lam = self.split(x)
        P = self.P(xp)
        if self.full:
            B = _offdiag(self.W, self.g, self.form, P, lam)
        elif self.form == "H":
            B = xp[:, None] * self.W
            B[np.diag_indices_from(B)] += self.g * lam
        else:
            B = P + self.g * (self.W.T * lam[None, :])
        return _assemble(P, B, lam, c)

    def _S(self, G: np.ndarray):
        n = self.n
        blk = {(0, 0): G[:n, :n], (0, 1): G[:n, n:], (1, 0): G[n:, :n], (1, 1): G[n:, n:]}
        cache: dict = {}

        def S(X: str, Y: str) -> np.ndarray:
            key = (X, Y)
            if key not in cache:
                if (Y, X) in cache:
                    cache[key] = cache[(Y, X)].T
                else:
                    bx, Kx = self.fam[X]
                    by, Ky = self.fam[Y]
                    A = blk[(bx, by)]
                    if Ky is not None:
                        A = A @ Ky
                    if Kx is not None:
                        A = Kx.T @ A
                    cache[key] = A
            return cache[key]

        return S

    def _adj(self, S, half, w) -> np.ndarray:
        out = 0.0
        for al, X, ix, Y, iy in half:
            out = out + al * S(Y, X)[self.idx[iy], self.idx[ix]]  # tr(G x y^T) = y^T G x
        return 2.0 * out * w

    def adjoint(self, G: np.ndarray, c: float, S=None) -> np.ndarray:
        """[tr(G A_i)]_i for symmetric G."""
        S = S or self._S(G)
        return np.concatenate([self._adj(S, self.phalf(c), self.wp), self._adj(S, self.lhalf, 1.0)])

    def adjoint_GEG(self, S, e: np.ndarray, c: float) -> np.ndarray:
        """[tr(G A_i G E)]_i for diagonal P and E = diag(e), in O(n^2) from the cached blocks S of G:
        y^T (G E G) x = sum_k e_k (G y)_k (G x)_k."""
        cols: dict = {}

        def col(X: str) -> np.ndarray:  # G times the family's vectors (2n x n)
            if X not in cols:
                cols[X] = np.vstack([S("U", X), S("F", X)])
            return cols[X]

        out = []
        for half in (self.phalf(c), self.lhalf):
            v = 0.0
            for al, X, _ix, Y, _iy in half:
                v = v + al * np.einsum("k,ki,ki->i", e, col(Y), col(X))
            out.append(2.0 * v)
        return np.concatenate(out)

    def _gather(self, A: np.ndarray, r: str, c: str) -> np.ndarray:
        if r == "i" and c == "i" and not self.full:
            return A
        key = (r, c)
        if key not in self._flat:
            self._flat[key] = (self.idx[r][:, None] * self.n + self.idx[c][None, :]).ravel()
        ri, ci = self.idx[r], self.idx[c]
        return np.take(A, self._flat[key]).reshape(ri.size, ci.size)

    def _hblock(self, S, half1, w1, T2, w2) -> np.ndarray:
        memo: dict = {}

        def gat(X: str, Y: str, r: str, c: str) -> np.ndarray:
            key = (X, Y, r, c)
            if key not in memo:
                memo[key] = self._gather(S(X, Y), r, c)
            return memo[key]

        H = 0.0
        for a1, X1, ix1, Y1, iy1 in half1:
            for a2, X2, ix2, Y2, iy2 in T2:
                H = H + (a1 * a2) * (gat(Y1, X2, iy1, ix2) * gat(X1, Y2, ix1, iy2))
        return (2.0 * H) * w1[:, None] * w2[None, :]

    def hessian(self, G: np.ndarray, c: float, S=None) -> np.ndarray:
        """[tr(G A_i G A_j)]_ij."""
        S = S or self._S(G)
        ph = self.phalf(c)
        one = np.ones(self.n)
        Hpp = self._hblock(S, ph, self.wp, self._both(ph), self.wp)
        Hpl = self._hblock(S, ph, self.wp, self._both(self.lhalf), one)
        Hll = self._hblock(S, self.lhalf, one, self._both(self.lhalf), one)
        return np.block([[Hpp, Hpl], [Hpl.T, Hll]])

    def logdet_P_derivs(self, xp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian of -log det P in the P parameters."""
        if not self.full:
            return -1.0 / xp, np.diag(1.0 / xp**2)
        Q = np.linalg.inv(self.P(xp))
        Q = 0.5 * (Q + Q.T)
        w = self.wp
        grad = -2.0 * w * Q[self.ia, self.ib]
        g = self._gather
        H = g(Q, "b", "a") * g(Q, "a", "b") + g(Q, "b", "b") * g(Q, "a", "a")
        H = H + H.T
        return grad, H * w[:, None] * w[None, :]


def _chol(A: np.ndarray):
    try:
        return scipy.linalg.cho_factor(A, lower=True, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return None


def _spd_inv(cf) -> np.ndarray:
    """The inverse of an SPD matrix from its cho_factor (LAPACK potri; much faster than cho_solve(I))."""
    inv, info = scipy.linalg.lapack.dpotri(cf[0], lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("potri failed")
    low = np.tril(inv)
    return low + np.tril(low, -1).T


def _logdet(cf) -> float:
    return 2.0 * float(np.sum(np.log(np.diag(cf[0]))))


@dataclass
class _Inner:
    x: np.ndarray
    t: float
    Z: np.ndarray | None  # (-M - tE)^-1 / tau: a dual matrix
    tau: float
    steps: int
    ok: bool


def _margin_sdp_barrier(lmi: _Lmi, c: float, x0: np.ndarray, Pref: np.ndarray, *, gap_tol: float,
                        t_stop: float | None, max_steps: int, deadline: float | None, t_scale: float,
                        mu: float | None = None, center_tol: float | None = None, lam_ref: np.ndarray | None = None,
                        kappa: float | None = None, final_center_tol: float | None = None) -> _Inner:
    """maximise t s.t. -M(c; x) - t diag(2 Pref, 0) > 0, P > 0, <Pref^-1, P> = <Pref^-1, P0>, by a primal
    log-barrier path-following method started at x0 (which must have P > 0; t starts strictly feasible).

    Stops when the duality gap (3n)/tau <= gap_tol, or (t_stop given) once t >= t_stop and the gap is
    below t/4 -- the Dinkelbach iteration only needs progress, not the optimum of every step.
    """
    n = lmi.n
    mu = _MU if mu is None else mu
    center_tol = _CTOL if center_tol is None else center_tol
    kappa = _KAPPA if kappa is None else kappa
    # E = diag(2 Pref, 2 kappa Lambda_ref): the margin direction (kappa = 0 is plain Dinkelbach)
    E = np.zeros((2 * n, 2 * n))
    E[:n, :n] = 2.0 * Pref
    if lam_ref is not None:
        E[np.arange(n, 2 * n), np.arange(n, 2 * n)] = 2.0 * kappa * lam_ref
    Ediag = np.diag(E).copy() if not lmi.full else None
    Pinv = np.linalg.inv(Pref)
    Pinv = 0.5 * (Pinv + Pinv.T)
    aeq = np.zeros(lmi.m + 1)
    aeq[: lmi.mp] = 2.0 * lmi.wp * Pinv[lmi.ia, lmi.ib]
    theta = 3.0 * n

    def F_of(x, t):
        F = -lmi.M(c, x)
        F -= t * E
        return F

    def logdet_P(xp) -> float:
        """log det P, or -inf when P is not positive definite."""
        if lmi.full:
            cp_ = _chol(lmi.P(xp))
            return -math.inf if cp_ is None else _logdet(cp_)
        return float(np.sum(np.log(xp))) if np.all(xp > 0) else -math.inf

    def phi(x, t, tau) -> float:
        ldp = logdet_P(x[: lmi.mp])
        cf = _chol(F_of(x, t)) if ldp > -math.inf else None
        return math.inf if cf is None else -tau * t - _logdet(cf) - ldp

    x = x0.copy()
    # start strictly inside: t0 = -t_scale (x0 is usually on the boundary at this c: c = its rate)
    t = -t_scale
    k = 0
    while _chol(F_of(x, t)) is None:
        t *= 4.0
        k += 1
        if k > 40:
            return _Inner(x, -math.inf, None, 0.0, 0, False)
    tau = theta / abs(t)
    steps = 0
    Z = None
    while True:
        # centre for this tau
        prev_dec2 = math.inf
        for _ in range(50):
            if steps >= max_steps or (deadline is not None and time.perf_counter() > deadline):
                return _Inner(x, t, Z, tau, steps, False)
            F = F_of(x, t)
            cf = _chol(F)
            if cf is None:
                return _Inner(x, t, Z, tau, steps, False)
            G = _spd_inv(cf)
            S = lmi._S(G)
            gx = lmi.adjoint(G, c, S)
            Hx = lmi.hessian(G, c, S)
            gp, Hp = lmi.logdet_P_derivs(x[: lmi.mp])
            gx[: lmi.mp] += gp
            Hx[: lmi.mp, : lmi.mp] += Hp
            if lmi.full:
                K = G @ E @ G
                K = 0.5 * (K + K.T)
                hxt = lmi.adjoint(K, c)
                htt = float(np.sum(K * E))
            else:
                hxt = lmi.adjoint_GEG(S, Ediag, c)
                htt = float(Ediag @ (G * G) @ Ediag)
            gt = -tau + float(np.sum(np.diag(G) * Ediag)) if not lmi.full else -tau + float(np.sum(G * E))
            grad = np.concatenate([gx, [gt]])
            H = np.block([[Hx, hxt[:, None]], [hxt[None, :], np.array([[htt]])]])
            d = np.sqrt(np.maximum(np.diag(H), 1e-300))
            Hs = H / d[:, None] / d[None, :]
            cfh = _chol(Hs)
            if cfh is None:
                Hs = Hs + 1e-10 * np.eye(Hs.shape[0])
                cfh = _chol(Hs)
                if cfh is None:
                    return _Inner(x, t, Z, tau, steps, False)
            gs, as_ = grad / d, aeq / d
            u = scipy.linalg.cho_solve(cfh, gs, check_finite=False)
            v = scipy.linalg.cho_solve(cfh, as_, check_finite=False)
            nu = -float(as_ @ u) / float(as_ @ v)
            dys = -(u + nu * v)
            dy = dys / d
            dec2 = float(-(gs @ dys))
            steps += 1
            Z = G / tau
            if dec2 < center_tol:
                last = (theta / tau <= 0.25 * abs(t) * mu) if t_stop is None else (theta / tau <= gap_tol * mu)
                if final_center_tol is None or dec2 < final_center_tol or not last:
                    break
            if dec2 < 1e-4:
                # quadratic convergence region: full Newton steps (Armijo cannot see below rounding)
                if dec2 > 0.25 * prev_dec2:
                    break  # no longer converging: rounding floor reached
                xn, tn = x + dy[:-1], t + dy[-1]
                if not phi(xn, tn, tau) < math.inf:
                    break
            else:
                # backtracking line search (Armijo), keeping F > 0 and P > 0
                f0 = -tau * t - _logdet(cf) - logdet_P(x[: lmi.mp])
                alpha = 1.0
                ok = False
                for _ls in range(60):
                    xn, tn = x + alpha * dy[:-1], t + alpha * dy[-1]
                    if phi(xn, tn, tau) <= f0 - 0.25 * alpha * dec2:
                        ok = True
                        break
                    alpha *= 0.5
                if not ok:
                    break
            prev_dec2 = dec2
            x, t = xn, tn
        gap = theta / tau
        if t_stop is None:
            # bound mode: the dual proves t* < 0 (no rate c) once the gap is below |t|
            if gap <= 0.25 * abs(t) or gap <= 1e-3 * gap_tol:
                return _Inner(x, t, Z, tau, steps, True)
        else:
            if gap <= gap_tol:
                return _Inner(x, t, Z, tau, steps, True)
            if t >= t_stop and gap <= 0.25 * t:
                return _Inner(x, t, Z, tau, steps, True)
        tau *= mu
