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

from certify.search.lmi.blas_threads import gram, in_pair, matmul, split_enabled
from certify.search.lmi.problem import _KAPPA, _assemble, _offdiag

# tau grows by _MU per centring; a centring stops at Newton decrement^2 < _CTOL
_MU = 16.0
_CTOL = 0.5
# a Dinkelbach solve (t_stop given) also stops inside a centring once t >= t_stop and a step raised t by less than
# this fraction of t: far from the centre the first solve crawled (n = 1000: 30 full Newton steps, each raising
# t by ~0.3%, for the last 10% of its gain), and the Dinkelbach iteration only needs progress
_T_STALL = 0.01
# the bound mode (t_stop None) of diagonal P starts at this multiple of tau = 3n / |t0|
_BOUND_TAU = 16.0


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
        return self._S_blocks(G[:n, :n], G[:n, n:], G[n:, n:])

    def _S_blocks(self, G11: np.ndarray, G12: np.ndarray, G22: np.ndarray):
        """The cached products S[X, Y] = K_X^T G K_Y from the blocks of G (G21 = G12^T)."""
        blk = {(0, 0): G11, (0, 1): G12, (1, 0): G12.T, (1, 1): G22}
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
                        right = (bx, by, Y)  # G_block K_Y is shared, e.g. by S[F, R] and S[R, R]
                        if right not in cache:
                            cache[right] = A @ Ky
                        A = cache[right]
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
        S = S if S is not None else self._S(G)
        return np.concatenate([self._adj(S, self.phalf(c), self.wp), self._adj(S, self.lhalf, 1.0)])

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
        S = S if S is not None else self._S(G)
        ph = self.phalf(c)
        one = np.ones(self.n)
        Hpp = self._hblock(S, ph, self.wp, self._both(ph), self.wp)
        Hpl = self._hblock(S, ph, self.wp, self._both(self.lhalf), one)
        Hll = self._hblock(S, self.lhalf, one, self._both(self.lhalf), one)
        return np.block([[Hpp, Hpl], [Hpl.T, Hll]])

    def diag_offdiag(self, xp: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """B (the upper-right block of M) for diagonal P with diagonal xp."""
        if self.form == "H":
            B = xp[:, None] * self.W
            B[np.diag_indices_from(B)] += self.g * lam
        else:
            B = self.g * (self.W.T * lam[None, :])
            B[np.diag_indices_from(B)] += xp
        return B

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


def _potri_inverse(L: np.ndarray) -> np.ndarray:
    """X^-1 from the lower Cholesky factor L of a real symmetric or complex Hermitian positive definite X (LAPACK
    potri fills one triangle; much faster than cho_solve(I)); the diagonal of a Hermitian inverse is real."""
    potri = scipy.linalg.lapack.zpotri if np.iscomplexobj(L) else scipy.linalg.lapack.dpotri
    inv, info = potri(L, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("potri failed")
    low = np.tril(inv, -1)
    return low + low.conj().T + np.diag(np.real(np.diag(inv)))


def _spd_inv(cf) -> np.ndarray:
    """The inverse of an SPD matrix from its cho_factor."""
    return _potri_inverse(cf[0])


def _logdet(cf) -> float:
    return 2.0 * float(np.sum(np.log(np.diag(cf[0]))))


class _DiagFactor:
    """F = -M(c; x) - t E for diagonal P: F = [[diag(d1), -B], [-B^T, diag(d2)]] with d1, d2 diagonal, so
    F > 0 iff d2 > 0 and the n x n Schur complement S = diag(d1) - B diag(d2)^-1 B^T > 0. One syrk and
    one n x n Cholesky instead of a 2n x 2n one (4x fewer flops); the blocks of G = F^-1 come from
    S^-1 by two n x n products (instead of inverting the 2n x 2n matrix)."""

    __slots__ = ("B", "d1", "d2", "L", "logdet")

    def __init__(self, B: np.ndarray, d1: np.ndarray, d2: np.ndarray, L: np.ndarray, logdet: float) -> None:
        self.B, self.d1, self.d2, self.L, self.logdet = B, d1, d2, L, logdet

    @classmethod
    def of(cls, B: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> "_DiagFactor | None":
        if not (np.all(d2 > 0) and np.all(np.isfinite(B))):
            return None
        C = B * (1.0 / np.sqrt(d2))[None, :]
        S = gram(C)  # numpy's syrk, or two halves on two threads for large n
        np.negative(S, out=S)
        S[np.diag_indices_from(S)] += d1
        try:
            L, info = scipy.linalg.lapack.dpotrf(S, lower=1, clean=0, overwrite_a=1)
        except ValueError:
            return None
        if info != 0:
            return None
        ld = float(np.sum(np.log(d2))) + 2.0 * float(np.sum(np.log(np.diag(L))))
        return cls(B, d1, d2, L, ld)

    def blocks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(G11, G12, G22) of G = F^-1 (each exactly symmetric where it should be)."""
        inv, info = scipy.linalg.lapack.dpotri(self.L, lower=1)
        if info != 0:
            raise np.linalg.LinAlgError("potri failed")
        low = np.tril(inv)
        G11 = low + np.tril(low, -1).T
        Cd = self.B * (1.0 / self.d2)[None, :]  # B D2^-1
        G12 = matmul(G11, Cd)
        G22 = matmul(Cd.T, G12)
        G22 = 0.5 * (G22 + G22.T)
        G22[np.diag_indices_from(G22)] += 1.0 / self.d2
        return G11, G12, G22


# A row i of the W products below comes from the identities of F G = I unless that divides by a relatively tiny
# p_i (form H) or g lam_i (form FR): (|first_i| + |second_i|) / (scale_i |W[i, :]|) above this costs more than
# ~4 digits, so such rows (and rows with scale_i <= 0) are plain products
_IDENTITY_MAX_LOSS = 1e4


def _rows_direct(num: np.ndarray, scale: np.ndarray, W: np.ndarray) -> np.ndarray:
    wn = np.sqrt(np.einsum("ij,ij->i", W, W))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ok = (scale > 0) & (num <= _IDENTITY_MAX_LOSS * scale * wn)
    return np.flatnonzero(~ok)


def _w_products_H(W, g, xp, lam, d1, G11, G12, G22):
    """(G12 W^T, G22 W^T, W G22 W^T) for form H in O(n^2) instead of three n x n products: with
    B = diag(p) W + g Lambda, F G = I gives D1 G11 - B G21 = I and D1 G12 = B G22, hence
    W G21 = P^-1 (D1 G11 - I - g Lambda G21), W G22 = P^-1 (D1 G12 - g Lambda G22) and
    W G22 W^T = P^-1 (D1 G12 W^T - g Lambda G22 W^T)."""
    gl = g * lam
    with np.errstate(divide="ignore"):
        rp = np.where(xp > 0, 1.0 / xp, 0.0)
    A1 = (d1 * rp)[:, None] * G11 - (gl * rp)[:, None] * G12.T  # W G21
    A1[np.diag_indices_from(A1)] -= rp
    A2 = (d1 * rp)[:, None] * G12 - (gl * rp)[:, None] * G22  # W G22
    bad = _rows_direct(np.abs(d1) + np.abs(gl), xp, W)
    if bad.size:
        A1[bad] = W[bad] @ G12.T
        A2[bad] = W[bad] @ G22
    X1, X2 = A1.T, A2.T
    X3 = (d1 * rp)[:, None] * X1 - (gl * rp)[:, None] * X2
    if bad.size:
        X3[bad] = W[bad] @ X2
    return X1, X2, 0.5 * (X3 + X3.T)


def _w_products_FR(W, g, xp, lam, d2, G11, G12, G22):
    """(G11 W^T, G21 W^T, W G11 W^T) for form FR in O(n^2): with B = P + g W^T Lambda, F G = I gives
    B^T G11 = D2 G21 and B^T G12 = D2 G22 - I, hence g Lambda W G11 = D2 G21 - P G11,
    g Lambda W G12 = D2 G22 - I - P G12 and g Lambda W G11 W^T = D2 G21 W^T - P G11 W^T."""
    gl = g * lam
    with np.errstate(divide="ignore"):
        rl = np.where(gl > 0, 1.0 / gl, 0.0)
    A1 = (d2 * rl)[:, None] * G12.T - (xp * rl)[:, None] * G11  # W G11
    A2 = (d2 * rl)[:, None] * G22 - (xp * rl)[:, None] * G12  # W G12
    A2[np.diag_indices_from(A2)] -= rl
    bad = _rows_direct(np.abs(d2) + np.abs(xp), gl, W)
    if bad.size:
        A1[bad] = W[bad] @ G11
        A2[bad] = W[bad] @ G12
    Y1, Y2 = A1.T, A2.T
    Y3 = (d2 * rl)[:, None] * Y2 - (xp * rl)[:, None] * Y1
    if bad.size:
        Y3[bad] = W[bad] @ Y1
    return Y1, Y2, 0.5 * (Y3 + Y3.T)


def _diag_newton_terms(lmi: "_Lmi", fac: _DiagFactor, Gb, xp: np.ndarray, lam: np.ndarray, c: float,
                       e1: np.ndarray, e2: np.ndarray):
    """Gradient, Hessian and the t-column of the barrier -log det F for diagonal P, without the W products.

    Every basis matrix is A_i = x_i y_i^T + y_i x_i^T with one pair: p_i has x = u_i (e_i on top),
    y = v_i = -(1 - c) u_i + (W[i, :]^T below) (H) or + e_i below (FR); lam_i has x = f_i (e_i below),
    y = q_i = g u_i - f_i (H) or g (W[i, :]^T on top) - f_i (FR). So tr(G A_i) = 2 y_i^T G x_i and
    tr(G A_i G A_j) = 2 [(y_i^T G x_j)(y_j^T G x_i) + (y_i^T G y_j)(x_i^T G x_j)]: two elementwise products
    per block of n x n matrices K^T G K' (24 before), and the W products come from F G = I in O(n^2).
    Returns (gx, H): H is the Hessian in (x, t), its last row and column those of t."""
    G11, G12, G22 = Gb
    G21 = G12.T
    g = lmi.g
    h = -(1.0 - c)
    n = lmi.n
    H = np.empty((2 * n + 1, 2 * n + 1))
    Hpp, Hpl, Hll = H[:n, :n], H[:n, n:2 * n], H[n:2 * n, n:2 * n]
    form_h = lmi.form == "H"

    def p_side():
        """The P-P block and the P half of the t-column (H: with the W products)."""
        if form_h:
            X1, X2, X3 = _w_products_H(lmi.W, g, xp, lam, fac.d1, G11, G12, G22)
            UV = h * G11 + X1  # U^T G V
            FV = h * G21 + X2  # F^T G V
            VV = h * UV + h * X1.T + X3
            VQ = g * UV.T - FV.T
        else:
            UV = h * G11 + G12
            FV = h * G21 + G22
            VV = h * UV + FV
            VQ = None  # needs UQ: after the join
        np.multiply(UV.T, UV, out=Hpp)
        np.add(Hpp, VV * G11, out=Hpp)  # in place: Hpp is a view of H
        np.multiply(Hpp, 2.0, out=Hpp)
        # tr(G A_i G E) = 2 sum_k e_k (G y_i)_k (G x_i)_k with G x, G y read from the same blocks
        hxt_p = 2.0 * (e1 @ (UV * G11) + e2 @ (FV * G21))
        return UV, FV, VQ, hxt_p

    def lam_side():
        """The multiplier block, the multiplier half of the t-column and its corner (FR: with the W products)."""
        if form_h:
            UQ = g * G11 - G12
            FQ = g * G21 - G22
            QQ = g * UQ - FQ
        else:
            Y1, Y2, Y3 = _w_products_FR(lmi.W, g, xp, lam, fac.d2, G11, G12, G22)
            UQ = g * Y1 - G12
            FQ = g * Y2 - G22
            QQ = g * (g * Y3 - Y2.T) - FQ
        np.multiply(FQ.T, FQ, out=Hll)
        np.add(Hll, QQ * G22, out=Hll)  # in place: Hll is a view of H
        np.multiply(Hll, 2.0, out=Hll)
        hxt_l = 2.0 * (e1 @ (UQ * G12) + e2 @ (FQ * G22))
        htt = float(e1 @ (G11 * G11) @ e1 + 2.0 * (e1 @ (G12 * G12) @ e2) + e2 @ (G22 * G22) @ e2)
        return UQ, FQ, hxt_l, htt

    # the two sides share only read-only inputs: two threads for large n (numpy's loops release the GIL)
    if split_enabled(n):
        (UV, FV, VQ, hxt_p), (UQ, FQ, hxt_l, htt) = in_pair(p_side, lam_side)
    else:
        UV, FV, VQ, hxt_p = p_side()
        UQ, FQ, hxt_l, htt = lam_side()
    if VQ is None:
        VQ = h * UQ + FQ
    np.multiply(FV.T, UQ, out=Hpl)
    Hpl += VQ * G12
    Hpl *= 2.0
    H[n:2 * n, :n] = Hpl.T
    gx = 2.0 * np.concatenate([np.diag(UV), np.diag(FQ)])
    hxt = np.concatenate([hxt_p, hxt_l])
    H[:-1, -1] = hxt
    H[-1, :-1] = hxt
    H[-1, -1] = htt
    return gx, H


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

    Stops when the duality gap (3n)/tau <= gap_tol, or (t_stop given) after the first centring that reaches
    t >= t_stop -- the Dinkelbach iteration only needs progress, not the optimum of every step (waiting for
    the gap bound (3n)/tau <= t/4 as well cost a second centring for a few % more t: n = 400, 99 -> 66 steps)
    -- or inside a centring once t >= t_stop and a step raises t by less than _T_STALL t, or when the gap
    shows t* < t_stop.

    Diagonal P: F = -M - tE is factored through its n x n Schur complement (`_DiagFactor`), and the factor
    of the point a line search accepts is reused by the next Newton step. Damped steps start the line
    search near the step the self-concordance theory predicts, 2.5 / (1 + decrement), instead of at 1.
    """
    n = lmi.n
    mu = _MU if mu is None else mu
    center_tol = _CTOL if center_tol is None else center_tol
    kappa = _KAPPA if kappa is None else kappa
    full = lmi.full
    # E = diag(2 Pref, 2 kappa Lambda_ref): the margin direction (kappa = 0 is plain Dinkelbach)
    e1 = 2.0 * np.diag(Pref).copy()
    e2 = 2.0 * kappa * lam_ref if lam_ref is not None else np.zeros(n)
    if not np.any(e2):
        e2 = np.zeros(n)
    if full:
        E = np.zeros((2 * n, 2 * n))
        E[:n, :n] = 2.0 * Pref
        E[np.arange(n, 2 * n), np.arange(n, 2 * n)] = e2
    if full:
        Pinv = np.linalg.inv(Pref)
        Pinv = 0.5 * (Pinv + Pinv.T)
    else:   # a diagonal P_k: its inverse without an O(n^3) factorisation
        Pinv = np.diag(1.0 / np.diag(Pref))
    aeq = np.zeros(lmi.m + 1)
    aeq[: lmi.mp] = 2.0 * lmi.wp * Pinv[lmi.ia, lmi.ib]
    theta = 3.0 * n
    a = 2.0 * (1.0 - c)

    def factor(x, t):
        """The factor of F(x, t) (an object with .logdet), or None when F is not positive definite."""
        if full:
            F = -lmi.M(c, x)
            F -= t * E
            cf = _chol(F)
            return None if cf is None else (cf, _logdet(cf))
        xp, lam = lmi.split(x)
        return _DiagFactor.of(lmi.diag_offdiag(xp, lam), a * xp - t * e1, 2.0 * lam - t * e2)

    def fac_logdet(f) -> float:
        return f[1] if full else f.logdet

    def logdet_P(xp) -> float:
        """log det P, or -inf when P is not positive definite."""
        if full:
            cp_ = _chol(lmi.P(xp))
            return -math.inf if cp_ is None else _logdet(cp_)
        return float(np.sum(np.log(xp))) if np.all(xp > 0) else -math.inf

    def phi(x, t, tau):
        """(barrier value, factor); (inf, None) outside the domain."""
        ldp = logdet_P(x[: lmi.mp])
        f = factor(x, t) if ldp > -math.inf else None
        return (math.inf, None) if f is None else (-tau * t - fac_logdet(f) - ldp, f)

    def dual(Gb, tau) -> np.ndarray:
        G11, G12, G22 = Gb
        Z = np.empty((2 * n, 2 * n))
        Z[:n, :n], Z[:n, n:], Z[n:, :n], Z[n:, n:] = G11, G12, G12.T, G22
        return Z / tau

    x = x0.copy()
    # start strictly inside: t0 = -t_scale (x0 is usually on the boundary at this c: c = its rate)
    t = -t_scale
    k = 0
    cur = factor(x, t)
    while cur is None:
        t *= 4.0
        k += 1
        if k > 40:
            return _Inner(x, -math.inf, None, 0.0, 0, False)
        cur = factor(x, t)
    tau = theta / abs(t)
    if t_stop is None and not full:
        # bound mode ends at gap theta / tau <= |t| / 4 with t near t0 / 3 (the driver's start): begin one
        # tau step further along instead of centring twice
        tau *= _BOUND_TAU
    steps = 0
    Gb = None
    Zt = 1.0

    def result(ok: bool) -> _Inner:
        return _Inner(x, t, None if Gb is None else dual(Gb, Zt), tau, steps, ok)

    while True:
        # centre for this tau
        prev_dec2 = math.inf
        for _ in range(50):
            if steps >= max_steps or (deadline is not None and time.perf_counter() > deadline):
                return result(False)
            if cur is None:
                cur = factor(x, t)
                if cur is None:
                    return result(False)
            if full:
                G = _spd_inv(cur[0])
                S = lmi._S(G)
                Gb = (G[:n, :n], G[:n, n:], G[n:, n:])
            else:
                try:
                    Gb = cur.blocks()
                except np.linalg.LinAlgError:
                    return result(False)
            Zt = tau
            if full:
                gx = lmi.adjoint(None, c, S)
                Hx = lmi.hessian(None, c, S)
                gp, Hp = lmi.logdet_P_derivs(x[: lmi.mp])
                gx[: lmi.mp] += gp
                Hx[: lmi.mp, : lmi.mp] += Hp
                K = G @ E @ G
                K = 0.5 * (K + K.T)
                hxt = lmi.adjoint(K, c)
                htt = float(np.sum(K * E))
                gt = -tau + float(np.sum(G * E))
                m1 = lmi.m + 1
                H = np.empty((m1, m1))
                H[:-1, :-1] = Hx
                H[:-1, -1] = hxt
                H[-1, :-1] = hxt
                H[-1, -1] = htt
            else:
                G11, G12, G22 = Gb
                xp, lam = lmi.split(x)
                gx, H = _diag_newton_terms(lmi, cur, Gb, xp, lam, c, e1, e2)
                # -log det P: gradient -1/p, Hessian diag(1/p^2)
                gx[:n] -= 1.0 / xp
                H[np.arange(n), np.arange(n)] += 1.0 / xp**2
                gt = -tau + float(np.diag(G11) @ e1 + np.diag(G22) @ e2)
            grad = np.concatenate([gx, [gt]])
            d = np.sqrt(np.maximum(np.diag(H), 1e-300))
            Hs = H
            Hs /= d[:, None]
            Hs /= d[None, :]
            cfh = _chol(Hs)
            if cfh is None:
                Hs = Hs + 1e-10 * np.eye(Hs.shape[0])
                cfh = _chol(Hs)
                if cfh is None:
                    return result(False)
            gs, as_ = grad / d, aeq / d
            u = scipy.linalg.cho_solve(cfh, gs, check_finite=False)
            v = scipy.linalg.cho_solve(cfh, as_, check_finite=False)
            nu = -float(as_ @ u) / float(as_ @ v)
            dys = -(u + nu * v)
            dy = dys / d
            dec2 = float(-(gs @ dys))
            steps += 1
            if dec2 < center_tol:
                last = (theta / tau <= 0.25 * abs(t) * mu) if t_stop is None else (theta / tau <= gap_tol * mu)
                if final_center_tol is None or dec2 < final_center_tol or not last:
                    break
            if dec2 < 1e-4:
                # quadratic convergence region: full Newton steps (Armijo cannot see below rounding)
                if dec2 > 0.25 * prev_dec2:
                    break  # no longer converging: rounding floor reached
                xn, tn = x + dy[:-1], t + dy[-1]
                val, fn = phi(xn, tn, tau)
                if not val < math.inf:
                    break
            else:
                # backtracking line search (Armijo), keeping F > 0 and P > 0
                f0 = -tau * t - fac_logdet(cur) - logdet_P(x[: lmi.mp])
                alpha = 1.0 if full else min(1.0, 3.0 / (1.0 + math.sqrt(dec2)))
                fn = None
                for _ls in range(60):
                    xn, tn = x + alpha * dy[:-1], t + alpha * dy[-1]
                    val, fn = phi(xn, tn, tau)
                    if val <= f0 - 0.25 * alpha * dec2:
                        break
                    fn = None
                    alpha *= 0.5
                if fn is None:
                    break
            prev_dec2 = dec2
            stalled = t_stop is not None and tn >= t_stop and tn - t < _T_STALL * tn
            x, t, cur = xn, tn, fn
            if stalled:
                return result(True)
        gap = theta / tau
        if t_stop is None:
            # bound mode: the dual proves t* < 0 (no rate c) once the gap is below |t|
            if gap <= 0.25 * abs(t) or gap <= 1e-3 * gap_tol:
                return result(True)
        else:
            if gap <= gap_tol:
                return result(True)
            if t >= t_stop:
                return result(True)
            if t + gap < t_stop:
                return result(True)  # the optimum t* <= t + gap is below t_stop: the bound step comes next
        tau *= mu
