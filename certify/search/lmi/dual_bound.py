"""The upper bound on the best rate from a dual matrix Z of the margin SDP (UNTRUSTED: floating point, evidence
and a stopping rule for the search, not proof). The argument is in `lmi_upper_bound`'s docstring.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from certify.errors import InputError
from certify.search.lmi.problem import STRUCTURES, Form, Structure, _form, _slope, _weights


def _repair_and_bound(W: np.ndarray, g: float, form: str, X: np.ndarray, Y: np.ndarray, V: np.ndarray,
                      full: bool) -> float:
    v = np.diag(V)

    def repair(Y: np.ndarray) -> np.ndarray:
        """The multiplier conditions g Y_ii >= V_ii (H), g (W Y)_ii >= V_ii (FR), by the congruence
        diag(I, S): column i of Y and V_ii scale with s_i (and s_i^2) in [0, 1]."""
        h = g * (np.diag(Y) if form == "H" else np.einsum("ij,ji->i", W, Y))
        s = np.ones_like(h)
        bad = v > h
        with np.errstate(divide="ignore", invalid="ignore"):
            s[bad] = np.where(h[bad] > 0, h[bad] / v[bad], 0.0)
        return Y * np.clip(s, 0.0, 1.0)[None, :]

    if full:
        Yr = repair(Y)
        Hs = (Yr @ W.T + W @ Yr.T) if form == "H" else (Yr + Yr.T)
        try:
            L = np.linalg.cholesky(2.0 * X)
        except np.linalg.LinAlgError:
            return math.inf
        T = scipy.linalg.solve_triangular(L, Hs, lower=True)
        T = scipy.linalg.solve_triangular(L, T.T, lower=True)
        return float(1.0 - np.linalg.eigvalsh(0.5 * (T + T.T))[0])
    # diagonal P: only diag(G(c)) >= 0 is needed. The congruence diag(S, I) that zeroes coordinate i of
    # the P block (X_ii and row i of Y; the repair then adjusts the multiplier conditions) is allowed too:
    # drop coordinates greedily while that lowers the bound (it helps when the optimum is approached only
    # as some p_i / p_j -> 0 and the dual is nearly zero there).
    x = np.diag(X)
    n = x.size

    def bound(keep: np.ndarray) -> tuple[float, int]:
        Yk = repair(Y * keep[:, None])
        hd = 2.0 * (np.einsum("ij,ij->i", Yk, W) if form == "H" else np.diag(Yk))
        xk = np.where(keep, x, 0.0)
        if not np.any(xk > 0) or np.any((xk <= 0) & (hd < 0)):
            return math.inf, -1
        k = np.flatnonzero(xk > 0)
        vals = 1.0 - hd[k] / (2.0 * xk[k])
        j = int(np.argmax(vals))
        return float(vals[j]), int(k[j])

    keep = np.ones(n, dtype=bool)
    best, worst = bound(keep)
    for _ in range(n - 1):
        if worst < 0:
            break
        trial = keep.copy()
        trial[worst] = False
        b, w = bound(trial)
        if not b < best:
            break
        best, worst, keep = b, w, trial
    return best


def lmi_upper_bound(W: object, g: float, form: Form, Z: object, structure: Structure = "diag") -> float:
    """An upper bound on the best rate c the multiplier LMI allows with diagonal or full P, from any
    2n x 2n matrix Z (projected onto the PSD cone first, then repaired by a congruence so that the
    multiplier conditions hold). inf when Z gives no bound. Floating point: evidence, not proof.

    Why: for Z = [[X, Y], [Y^T, V]] >= 0, <Z, M(c)> = <P, G(c)> + 2 sum_i lam_i (g Y_ii - V_ii) (H),
    G(c) = 2(c-1)X + Y W^T + W Y^T. With g Y_ii >= V_ii and G(c0) >= 0 (its diagonal for diagonal P),
    every P > 0, lam >= 0 gives <Z, M(c)> > 0 for c > c0, so M(c) <= 0 is impossible.
    """
    func = "lmi_upper_bound"
    A = _weights(W, func)
    n = A.shape[0]
    gf, fm = _slope(g, func), _form(form, func)
    Zm = np.array(Z, dtype=np.float64)
    if Zm.shape != (2 * n, 2 * n) or not np.all(np.isfinite(Zm)):
        raise InputError(f"{func}: argument 'Z' must be a finite {2 * n}x{2 * n} matrix", symbol="Z")
    if structure not in STRUCTURES:
        raise InputError(f"{func}: argument 'structure' must be 'diag' or 'full', got {structure!r}",
                         symbol="structure")
    Zm = 0.5 * (Zm + Zm.T)
    w, Q = np.linalg.eigh(Zm)
    Zm = (Q * np.maximum(w, 0.0)) @ Q.T
    return _repair_and_bound(A, gf, fm, Zm[:n, :n], Zm[:n, n:], Zm[n:, n:], structure == "full")
