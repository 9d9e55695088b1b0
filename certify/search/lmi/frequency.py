"""The full-metric rate through the frequency domain (UNTRUSTED search code).

Why this works. The state matrix of the multiplier LMI is a multiple of the identity (-(1 - c) I), so the
Kalman-Yakubovich-Popov lemma turns "some symmetric P makes M(c) negative definite" into a condition on the
multiplier Lambda alone. With a = 1 - c, kappa(phi) = g cos(phi) e^{i phi} and Herm(X) = (X + X^H) / 2, both
network forms (H and FR) lead to the same condition:

    Herm(Lambda (a I - kappa(phi) W)) > 0   for every phi in [0, pi/2],

i.e. a > a(Lambda) = max_phi cos(phi) lambda_max(Herm(e^{i phi} V)) with V = g D W D^-1, D = Lambda^(1/2): the
field of values of V must lie inside a parabola whose width is set by the rate. Two facts are used:

* Easy direction (a congruence with (zI; I), no theorem needed): any (P, Lambda) with M(c) < 0 satisfies the
  condition at every phi. So the best rate over a finite set of angles is an upper bound on the best full-P rate,
  and so is the dual bound of that sampled problem (`sampled_upper_bound`).
* Hard direction (the lemma): when the condition holds at a, the Riccati equation
  P R P + P A + A^T P + Q = 0 (A = g W - 2 a I; R, Q from Lambda and the form) has a stabilising solution P > 0
  that makes M(c) negative definite for any slightly smaller c (`metric_from_multiplier`).

So the search is over n numbers (Lambda) instead of n(n+1)/2 + n, and P comes from one O(n^3) Riccati solve. None of
this is trusted: the kernel re-checks the returned (P, Lambda, c) with its verified Cholesky test.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

#: the angle grid of `rate_of_multiplier` (then refined around its best points)
_SCAN_POINTS = 48
_REFINE = 3


def kappa(g: float, phi: float) -> complex:
    """kappa(phi) = g cos(phi) e^{i phi}, the weight of W in the condition at angle phi."""
    return g * math.cos(phi) * complex(math.cos(phi), math.sin(phi))


def similar(W: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """D W D^-1 with D = Lambda^(1/2): W in the coordinates where the multiplier Lambda is I (a diagonal
    congruence of M, under which the condition and the LMI keep their truth)."""
    d = np.sqrt(lam)
    return d[:, None] * W / d[None, :]


def _top(V: np.ndarray, phi: float) -> float:
    """cos(phi) lambda_max(Herm(e^{i phi} V))."""
    H = np.exp(1j * phi) * V
    H = 0.5 * (H + H.conj().T)
    n = V.shape[0]
    return math.cos(phi) * float(scipy.linalg.eigh(H, eigvals_only=True, subset_by_index=[n - 1, n - 1],
                                                   check_finite=False)[0])


def rate_of_multiplier(W: np.ndarray, g: float, lam: np.ndarray, *, points: int = _SCAN_POINTS
                       ) -> tuple[float, list[float]]:
    """(c, angles): c = 1 - a(Lambda), the best full-P rate this multiplier allows (up to the angle search, which
    is a grid and a golden-section refinement of its best points: a search, not a proof), and the angles of the
    local maxima found, best first. lam must be positive."""
    V = g * similar(W, lam)
    grid = np.linspace(0.0, 0.5 * math.pi, points)
    vals = np.array([_top(V, p) for p in grid])
    peaks = [k for k in range(points) if (k == 0 or vals[k] >= vals[k - 1]) and
             (k == points - 1 or vals[k] >= vals[k + 1])]
    peaks.sort(key=lambda k: -vals[k])
    step = grid[1] - grid[0]
    found = [_golden(V, max(grid[k] - step, 0.0), min(grid[k] + step, 0.5 * math.pi), grid[k], vals[k])
             for k in peaks[:_REFINE]]
    found.sort(key=lambda pv: -pv[1])
    return 1.0 - found[0][1], [phi for phi, _ in found]


def _golden(V: np.ndarray, lo: float, hi: float, x0: float, f0: float, iters: int = 30) -> tuple[float, float]:
    """Golden-section maximisation of cos(phi) lambda_max(...) on [lo, hi]; never returns worse than (x0, f0)."""
    r = 0.5 * (math.sqrt(5.0) - 1.0)
    a, b = lo, hi
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = _top(V, c), _top(V, d)
    for _ in range(iters):
        if fc >= fd:
            b, d, fd = d, c, fc
            c = b - r * (b - a)
            fc = _top(V, c)
        else:
            a, c, fc = c, d, fd
            d = a + r * (b - a)
            fd = _top(V, d)
    x, f = (c, fc) if fc >= fd else (d, fd)
    return (x, f) if f >= f0 else (x0, f0)


def riccati_data(W: np.ndarray, g: float, form: str, lam: np.ndarray, a: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(A, B, R, Q) of the Riccati inequality P B R^-1 B^T P + P A + A^T P + Q < 0 that is M(1 - a) < 0 after a
    Schur complement on the multiplier block: A = g W - 2 a I; H form B = W, Q = g^2 Lambda; FR form B = I,
    Q = g^2 W^T Lambda W; R = Lambda (the sign is flipped when handed to scipy's solver)."""
    n = W.shape[0]
    A = g * W - 2.0 * a * np.eye(n)
    if form == "H":
        return A, W, np.diag(lam), (g * g) * np.diag(lam)
    return A, np.eye(n), np.diag(lam), (g * g) * ((W.T * lam[None, :]) @ W)


def metric_from_multiplier(W: np.ndarray, g: float, form: str, lam: np.ndarray, a: float) -> np.ndarray | None:
    """A full metric P for the multiplier Lambda at a = 1 - c, from the stabilising solution of the Riccati
    equation with Q lifted by a small multiple of I (so the inequality is strict); None when the solver finds no
    finite solution (the condition fails at a, or numerical trouble). The caller measures the rate of (P, Lambda)."""
    # solved in the coordinates where the multiplier is I (a diagonal congruence of M: P = D P' D, D = Lambda^1/2),
    # since multipliers of graded networks span many orders of magnitude
    A, B, R, Q = riccati_data(similar(W, lam), g, form, np.ones_like(lam), a)
    n = W.shape[0]
    lift = 1e-9 * max(float(np.abs(Q).max()), 1e-300) + 1e-300
    try:
        with np.errstate(all="ignore"):
            X = scipy.linalg.solve_continuous_are(A, B, Q + lift * np.eye(n), -R)
    except (np.linalg.LinAlgError, ValueError):
        return None
    if not np.all(np.isfinite(X)):
        return None
    d = np.sqrt(lam)
    X = d[:, None] * X * d[None, :]
    return 0.5 * (X + X.T)


def sampled_upper_bound(W: np.ndarray, g: float, phis, Zs) -> float:
    """An upper bound on the best full-P rate from dual matrices Z_j >= 0 of the sampled condition (one per angle
    phi_j): if Lambda > 0 satisfies the condition at a, then sum_j tr(Z_j Herm(Lambda N_j)) > 0 with
    N_j = a I - kappa_j W, i.e. sum_i lambda_i (a z_i - w_i) > 0 (z_i = sum_j Re Z_j[i, i],
    w_i = sum_j Re(kappa_j (W Z_j)[i, i])), so a > w_i / z_i for some i. Hence every feasible a exceeds
    min_i w_i / z_i and c <= 1 - min_i w_i / z_i. Floating point: evidence, not proof. -inf-safe: returns inf when
    some z_i = 0 with w_i < 0 (no bound)."""
    n = W.shape[0]
    z = np.zeros(n)
    w = np.zeros(n)
    for phi, Z in zip(phis, Zs):
        z += np.real(np.diag(Z))
        w += np.real(kappa(g, phi) * np.einsum("ik,ki->i", W, Z))
    pos = z > 0
    if np.any((~pos) & (w < 0)):
        return math.inf
    if not np.any(pos):
        return math.inf
    return 1.0 - float(np.min(w[pos] / z[pos]))
