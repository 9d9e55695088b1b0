"""Euclidean contraction metrics from the multiplier LMI (THEORY.md section 3): UNTRUSTED search.

Network forms, activation slopes in [0, g], D = diag(d) with d_i in [0, g]:

    H :  x' = -x + W phi(x) + u,   Jacobian -I + W D
    FR:  x' = -x + phi(W x + u),   Jacobian -I + D W

A metric P > 0, a multiplier Lambda = diag(lam) >= 0 and a rate c with

    M_H(c)  = [[-2(1-c) P, P W + g Lambda], [W^T P + g Lambda, -2 Lambda]]   <= 0
    M_FR(c) = [[-2(1-c) P, P + g W^T Lambda], [P + g Lambda W, -2 Lambda]]   <= 0

prove mu_P(J) <= -c for every Jacobian J the slope bounds allow, i.e. contraction at rate c in the norm
sqrt(x^T P x). Everything here is a search: the trusted kernel re-checks what it returns (is -M(c)
positive definite?) without cvxpy. What this module promises is only that its candidates have margin:
`search_metric` returns (P, lam, c) with -M(c) positive definite by a margin that a verified
floating-point Cholesky (`certify.kernel.verified.is_pd_verified`) confirms before the result is returned.

Algorithms
----------
* `best_rate_for(P, lam)`: the largest c with M(c) <= 0 for a given (P, Lambda), exactly (up to floating
  point): with B the off-diagonal block and Lambda > 0, M(c) <= 0 iff 2(1-c)P - B (2 Lambda)^-1 B^T >= 0,
  i.e. c <= lambda_min(S, 2P) with S = 2P - B (2 Lambda)^-1 B^T (a generalised eigenvalue). A zero
  lambda_i needs column i of B to vanish (then the index drops out); a negative one admits no c.
* The best rate over (P, Lambda) is a quasi-convex generalised eigenvalue problem (GEVP): M(c) = M(0) +
  c diag(2P, 0) is linear in (P, Lambda) for fixed c and increasing in c. `search_metric` solves it by
  Dinkelbach-type iterations: with the best (P_k, Lambda_k) so far and its exact rate c_k,

      maximise t  s.t.  M(c_k; P, Lambda) + t diag(2 P_k, 2 kappa Lambda_k) <= 0,  P >= 0,
                        <P_k^-1, P> = n,

  then c_{k+1} = best_rate_for(new P, Lambda) (about c_k + t). kappa = 1 puts margin in the multiplier
  block too, so each solve starts well inside the feasible set although (P_k, Lambda_k) lies on the
  boundary at c_k (kappa = 0 made the first solve 3x longer: Newton crawled along the boundary). The
  inner solves stop early (gap below t/4): Dinkelbach only needs progress. 4-6 solves suffice. Solvers:

  - "BARRIER" (default for diagonal P, and for full P with n <= 40): a primal log-barrier
    path-following method written here for this LMI (barrier -log det(-M - tE) - log det P, Newton with
    the normalisation as an equality constraint, tau x16 per centring). The Hessian tr(G A_i G A_j) is
    assembled from a few n x n products of the blocks of G = (-M - tE)^-1 (every basis matrix A_i is
    X_i + X_i^T with X_i a sum of rank-one terms), so a Newton step costs O(n^3) for diagonal P: about
    15 ms at n = 200, where one SCS iteration (an eigendecomposition of the 400 x 400 matrix) costs
    about as much and SCS needs hundreds;
  - "SCS" or "CLARABEL" through cvxpy, with c, P_k, Lambda_k as cp.Parameter (no recompilation), the
    diagonal block written as cp.multiply(p[:, None], W), capped iterations; solver statuses are never
    trusted: every candidate is re-evaluated with `best_rate_for`, failures count as "no progress".

  An upper bound on the best rate comes from duality: any Z = [[X, Y], [Y^T, V]] >= 0 with
  g Y_ii >= V_ii (H; g (W Y)_ii >= V_ii for FR) gives <Z, M(c)> = <P, G(c)> + 2 sum_i lam_i (...),
  G_H(c) = 2(c-1) X + Y W^T + W Y^T (G_FR(c) = 2(c-1) X + Y + Y^T); so if G(c0) >= 0 (diag(G(c0)) >= 0
  for diagonal P) and X != 0, no certificate has a rate above c0. The barrier's dual matrix
  Z = (-M - tE)^-1 / tau of the margin SDP solved just above the optimum (c_k + rel_tol c_k / 2, where
  t < 0), centred to Newton decrement 1e-12 and followed until the duality gap is below |t|/4, yields
  such a Z after a congruence repair (Y -> Y diag(s) scales column i down until the lam_i condition
  holds; for diagonal P coordinates of the P block may be dropped as well). `search_metric` stops when
  the best rate found and this bound are within `rel_tol` and reports both. Bounds from SCS's dual are
  valid but often poor (its dual residual is large next to the slack the bound needs).
* The returned rate is lowered slightly below the proved one, c = c_proved - margin, so that -M(c) is
  positive definite with room for rounding; P is scaled to lambda_min(P) = 1.
* `corner_lmi_search`: the exact test for one quadratic metric, (-I + W D)^T P + P (-I + W D) <= -2cP at
  all 2^n corners D in {0, g}^n (n <= 10), with the same Dinkelbach iteration in cvxpy.
* `reference_bisection`: the plain cvxpy + SCS bisection at default settings (no margin, no
  normalisation, the solver's "optimal" taken at face value): the baseline of benchmarks/bench_lmi.py.

Nothing here is a proof. cvxpy is imported lazily (it costs about 0.8 s).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.linalg

from certify.errors import InputError
from certify.output.progress import note

Form = Literal["H", "FR"]
Structure = Literal["diag", "full"]
FORMS: tuple[str, ...] = ("H", "FR")
STRUCTURES: tuple[str, ...] = ("diag", "full")
SOLVERS: tuple[str, ...] = ("auto", "BARRIER", "SCS", "CLARABEL")

#: full P is solved by the barrier method up to this size (its Newton system has n(n+1)/2 + n unknowns)
BARRIER_FULL_MAX_N = 40
#: relative margin kept in the returned certificate: lambda_min(-M(c)) >= MARGIN_REL * max|M|
MARGIN_REL = 1e-7
# barrier method: tau grows by _MU per centring; a centring stops at Newton decrement^2 < _CTOL; the
# margin direction also covers the multiplier block with weight _KAPPA (starts are then well inside)
_MU = 16.0
_CTOL = 0.5
_KAPPA = 1.0

__all__ = [
    "FORMS", "STRUCTURES", "SOLVERS", "MetricResult", "CornerResult", "ReferenceResult",
    "lmi_matrix", "best_rate_for", "lmi_upper_bound", "search_metric", "corner_rate",
    "corner_lmi_search", "reference_bisection", "verify_margin",
]


# ---------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class MetricResult:
    """A candidate Euclidean contraction certificate from the multiplier LMI (UNTRUSTED until the kernel
    re-checks it).

    P: the metric (n x n, symmetric; diagonal when structure == "diag"), scaled so that lambda_min(P) is
    in [1, 2) (a power-of-two scaling, exact), or None when nothing was found. lam: the multiplier
    diagonal (>= 0). c: the rate the candidate is claimed for -- slightly below `c_proved` (the exact
    rate of (P, lam), `best_rate_for`) so that -M(c) is positive definite with margin; -M(c) has passed
    `is_pd_verified` whenever P is not None (a note says when the diagonally scaled margin is thinner
    than MARGIN_REL). status:

      "certified"    c > 0: a contraction certificate with margin;
      "infeasible"   no c > 0 is possible with this LMI and this structure of P: the dual bound
                     c_upper <= 0 (P, lam, c then describe the best, non-contracting, rate found);
      "inconclusive" the best rate found is <= 0 but the dual bound does not exclude c > 0;
      "failed"       the solver produced nothing usable (crash, error, budget exhausted first).

    c_upper: an upper bound on the best rate this LMI allows with this structure (from a dual matrix,
    computed in floating point: evidence, not proof), or inf. gap = c_upper - c_proved.
    """

    P: np.ndarray | None
    lam: np.ndarray | None
    c: float
    structure: str
    solver: str
    status: str
    seconds: float
    solves: int
    notes: tuple[str, ...] = ()
    c_proved: float = -math.inf
    c_upper: float = math.inf
    newton_steps: int = 0
    history: tuple[tuple[float, float], ...] = field(default=(), repr=False)

    @property
    def certified(self) -> bool:
        return self.status == "certified"

    @property
    def gap(self) -> float:
        return self.c_upper - self.c_proved


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


# ---------------------------------------------------------------------------------------------------
# Validation


def _weights(W: object, func: str) -> np.ndarray:
    try:
        A = np.array(W, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{func}: argument 'W' must be a real square matrix", symbol="W") from None
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise InputError(f"{func}: argument 'W' must be a non-empty square matrix, got shape {A.shape}",
                         symbol="W")
    if not np.all(np.isfinite(A)):
        raise InputError(f"{func}: argument 'W' has NaN or infinite entries", symbol="W")
    return A


def _slope(g: object, func: str) -> float:
    try:
        gf = float(g)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{func}: argument 'g' must be a number, got {g!r}", symbol="g") from None
    if not (math.isfinite(gf) and gf > 0):
        raise InputError(f"{func}: argument 'g' (the slope bound) must be finite and > 0, got {g!r}",
                         symbol="g", hint="activations with slopes in [0, g]: tanh and ReLU have g = 1")
    return gf


def _form(form: object, func: str) -> str:
    if form not in FORMS:
        raise InputError(f"{func}: argument 'form' must be 'H' or 'FR', got {form!r}", symbol="form",
                         hint="H: x' = -x + W phi(x) + u;  FR: x' = -x + phi(W x + u)")
    return str(form)


def _metric(P: object, n: int, func: str) -> np.ndarray:
    """P as an n x n float matrix; a 1-D P is a diagonal."""
    try:
        A = np.array(P, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{func}: argument 'P' must be a real matrix or vector", symbol="P") from None
    if A.ndim == 1:
        if A.shape != (n,):
            raise InputError(f"{func}: diagonal 'P' has length {A.shape[0]} but W is {n}x{n}", symbol="P")
        A = np.diag(A)
    if A.shape != (n, n):
        raise InputError(f"{func}: argument 'P' has shape {A.shape} but W is {n}x{n}", symbol="P")
    if not np.all(np.isfinite(A)):
        raise InputError(f"{func}: argument 'P' has NaN or infinite entries", symbol="P")
    if not np.array_equal(A, A.T):
        raise InputError(f"{func}: argument 'P' must be exactly symmetric", symbol="P",
                         hint="use (P + P.T) / 2")
    return A


def _lam(lam: object, n: int, func: str) -> np.ndarray:
    try:
        v = np.array(lam, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"{func}: argument 'lam' must be a real vector", symbol="lam") from None
    if v.shape != (n,):
        raise InputError(f"{func}: argument 'lam' has {v.size} entries but W is {n}x{n}", symbol="lam")
    if not np.all(np.isfinite(v)):
        raise InputError(f"{func}: argument 'lam' has NaN or infinite entries", symbol="lam")
    return v


# ---------------------------------------------------------------------------------------------------
# The LMI and the exact rate of a given (P, Lambda)


def _offdiag(W: np.ndarray, g: float, form: str, P: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """B, the upper-right block of M: P W + g Lambda (H) or P + g W^T Lambda (FR)."""
    if form == "H":
        B = P @ W
        B[np.diag_indices_from(B)] += g * lam
    else:
        B = P + g * (W.T * lam[None, :])
    return B


def _assemble(P: np.ndarray, B: np.ndarray, lam: np.ndarray, c: float) -> np.ndarray:
    n = P.shape[0]
    M = np.zeros((2 * n, 2 * n))
    M[:n, :n] = (-2.0 * (1.0 - c)) * P
    M[:n, n:] = B
    M[n:, :n] = B.T
    M[np.arange(n, 2 * n), np.arange(n, 2 * n)] = -2.0 * lam
    return M


def lmi_matrix(W: object, g: float, form: Form, P: object, lam: object, c: float) -> np.ndarray:
    """The symmetric 2n x 2n matrix M(c) of the multiplier LMI (float64, exactly symmetric).

    P may be an n x n symmetric matrix or a length-n vector (the diagonal of P).
    """
    func = "lmi_matrix"
    A = _weights(W, func)
    n = A.shape[0]
    gf, fm = _slope(g, func), _form(form, func)
    Pm, lv = _metric(P, n, func), _lam(lam, n, func)
    cf = float(c)
    if not math.isfinite(cf):
        raise InputError(f"{func}: argument 'c' must be finite, got {c!r}", symbol="c")
    return _assemble(Pm, _offdiag(A, gf, fm, Pm, lv), lv, cf)


def _rate(W: np.ndarray, g: float, form: str, P: np.ndarray, lam: np.ndarray) -> float:
    """best_rate_for without validation (P a matrix)."""
    if np.any(lam < 0):
        return -math.inf
    n = P.shape[0]
    diag = np.count_nonzero(P - np.diag(np.diag(P))) == 0
    if diag:
        d = np.diag(P)
        if np.any(d <= 0):
            return -math.inf
    else:
        try:
            L = np.linalg.cholesky(2.0 * P)
        except np.linalg.LinAlgError:
            return -math.inf
    B = _offdiag(W, g, form, P, lam)
    pos = lam > 0
    if not np.all(pos):
        if np.any(B[:, ~pos] != 0):
            return -math.inf  # a zero multiplier with a nonzero column of B: M(c) is never <= 0
        B, lp = B[:, pos], lam[pos]
    else:
        lp = lam
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        S = 2.0 * P - (B / (2.0 * lp)[None, :]) @ B.T
        if diag:
            s = 1.0 / np.sqrt(2.0 * d)
            T = S * s[:, None] * s[None, :]
        else:
            T = scipy.linalg.solve_triangular(L, S, lower=True)
            T = scipy.linalg.solve_triangular(L, T.T, lower=True)
        T = 0.5 * (T + T.T)
    if not np.all(np.isfinite(T)):
        return -math.inf
    if n == 1:
        return float(T[0, 0])
    return float(scipy.linalg.eigh(T, eigvals_only=True, subset_by_index=[0, 0], check_finite=False)[0])


def best_rate_for(W: object, g: float, form: Form, P: object, lam: object) -> float:
    """The largest c with M(c) <= 0 for the given metric P (matrix or diagonal vector) and multiplier
    diagonal lam: lambda_min(S, 2P) with S = 2P - B (2 Lambda)^-1 B^T (B the off-diagonal block).

    Indices with lam_i = 0 drop out when column i of B is zero (otherwise no c works). Returns -inf when
    no c works (P not positive definite, a negative lam_i, or a zero lam_i with a nonzero column of B).
    Rounded floating point: a search tool, not a proof.
    """
    func = "best_rate_for"
    A = _weights(W, func)
    n = A.shape[0]
    return _rate(A, _slope(g, func), _form(form, func), _metric(P, n, func), _lam(lam, n, func))


def _lmi_max_eig(W, g, form, P, lam, c) -> float:
    M = _assemble(P, _offdiag(W, g, form, P, lam), lam, c)
    return float(np.linalg.eigvalsh(M)[-1])


def verify_margin(W: object, g: float, form: Form, P: object, lam: object, c: float) -> bool:
    """True if -M(c) is positive definite by Rump's verified Cholesky (the kernel's test, applied to the
    float matrix that `lmi_matrix` builds)."""
    from certify.kernel.verified import is_pd_verified

    M = lmi_matrix(W, g, form, P, lam, c)
    return bool(is_pd_verified(-M))


# ---------------------------------------------------------------------------------------------------
# Dual (upper) bound on the best rate


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


# ---------------------------------------------------------------------------------------------------
# The LMI as a linear map of the variables, for Newton's method


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


# ---------------------------------------------------------------------------------------------------
# The margin SDP through cvxpy (SCS or Clarabel)


class _CvxMargin:
    """maximise t s.t. M(c; P, lam) + t diag(2 Pref, 0) <= 0, P >= 0, <Pref^-1, P> = n, built once
    with c and Pref as parameters (DPP: re-solves do not recompile)."""

    def __init__(self, W: np.ndarray, g: float, form: str, full: bool, solver: str, max_iters: int,
                 eps: float) -> None:
        import cvxpy as cp

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


# ---------------------------------------------------------------------------------------------------
# The search


def _openblas_handles() -> list:
    """(get, set) ctypes functions of every OpenBLAS library loaded in this process (numpy's and
    scipy's wheels each bundle one), found through /proc/self/maps. Empty where that does not work."""
    import ctypes

    out = []
    try:
        with open("/proc/self/maps") as fh:
            paths = sorted({ln.split()[-1] for ln in fh if "openblas" in ln.lower() and ln.split()[-1].startswith("/")})
    except OSError:
        return out
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", ""):
            for prefix in ("scipy_openblas", "openblas"):
                try:
                    get = getattr(lib, f"{prefix}_get_num_threads{suffix}")
                    put = getattr(lib, f"{prefix}_set_num_threads{suffix}")
                except AttributeError:
                    continue
                get.restype = ctypes.c_int
                put.argtypes = [ctypes.c_int]
                out.append((get, put))
                break
            else:
                continue
            break
    return out


class _BlasThreads:
    """Context manager: limit OpenBLAS to k threads, then restore. The barrier method makes thousands of
    small LAPACK/BLAS calls; on this 2-core machine two OpenBLAS threads made it 3-4x slower than one
    (thread wake-ups dominate 400 x 400 operations). A no-op where the libraries cannot be found."""

    def __init__(self, k: int | None) -> None:
        self.k = k
        self.saved: list = []

    def __enter__(self):
        if self.k is None:
            return self
        try:
            for get, put in _openblas_handles():
                self.saved.append((put, int(get())))
                put(int(self.k))
        except Exception:  # noqa: BLE001 -- performance only: never fail a search for this
            pass
        return self

    def __exit__(self, *exc) -> None:
        for put, k in self.saved:
            try:
                put(k)
            except Exception:  # noqa: BLE001
                pass


def _initial(W: np.ndarray, g: float, form: str) -> tuple[np.ndarray, np.ndarray, float]:
    """P = I and the best lam = s 1 on a coarse grid of s."""
    n = W.shape[0]
    P = np.eye(n)
    best = (P, np.ones(n) / g, -math.inf)
    for s in np.geomspace(1e-2, 1e2, 9) / g:
        lam = np.full(n, s)
        r = _rate(W, g, form, P, lam)
        if r > best[2]:
            best = (P, lam, r)
    return best


def _normalise(P: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale (P, lam) so that lambda_min(P) = 1 (the rate is invariant under joint scaling)."""
    if np.count_nonzero(P - np.diag(np.diag(P))) == 0:
        s = float(np.min(np.diag(P)))
    else:
        s = float(np.linalg.eigvalsh(P)[0])
    if not (s > 0 and math.isfinite(s)):
        return P, lam
    # round the scale to a power of two: exact, so the rate is unchanged
    k = math.frexp(s)[1] - 1
    return np.ldexp(P, -k), np.ldexp(lam, -k)


def _with_margin(W, g, form, P, lam, r) -> tuple[float, str]:
    """The largest c = r - delta (delta on a geometric grid) with -M(c) verified positive definite by
    the kernel's test and, if possible, with a relative margin (after diagonal scaling lambda_min >=
    MARGIN_REL, so that small perturbations, e.g. rounding to shorter rationals, keep it definite).
    Returns (c, "margin" | "thin" | "none")."""
    from certify.kernel.verified import is_pd_verified

    B = _offdiag(W, g, form, P, lam)
    base = max(abs(r), 1e-3 * max(1.0 - r, 1.0), 1e-12)
    thin = None
    for k in range(12):
        c = r - base * 1e-7 * 10.0**k
        M = _assemble(P, B, lam, c)
        dg = -np.diag(M)
        if np.any(dg <= 0) or not np.all(np.isfinite(M)):
            break
        if not is_pd_verified(-M):
            continue
        s = 1.0 / np.sqrt(dg)
        if float(np.linalg.eigvalsh(-M * s[:, None] * s[None, :])[0]) >= MARGIN_REL:
            return c, "margin"
        if thin is None:
            thin = c
        if k >= 4:  # lowering c further does not widen the margin (it lies in the multiplier block)
            break
    return (thin, "thin") if thin is not None else (r, "none")


def search_metric(W: object, g: float, form: Form, *, structure: Structure = "diag", solver: str = "auto",
                  max_iters: int | None = None, time_budget: float | None = None, rel_tol: float = 5e-3,
                  upper_bound: bool = True, blas_threads: int | None = 1) -> MetricResult:
    """Search a metric P (diagonal or full), a multiplier lam and the best rate c of the multiplier LMI.

    solver: "BARRIER" (the log-barrier method of this module; default for diagonal P and for full P
    with n <= BARRIER_FULL_MAX_N), "SCS" or "CLARABEL" (through cvxpy; "auto" picks SCS for large
    full P). max_iters: Newton steps in all (BARRIER, default 600) or iterations per solve (SCS
    default 1000 at eps 1e-5, Clarabel 100). time_budget: seconds; the best candidate found so far is returned
    when it runs out. rel_tol: stop when the dual upper bound is within this relative distance of the
    best rate found (upper_bound=False skips the bound: faster, but "within 1%" is then unchecked).

    blas_threads: OpenBLAS threads during the search (restored afterwards; None leaves them alone).

    The result's (P, lam, c) always has -M(c) positive definite with margin (checked by the kernel's
    verified Cholesky) when P is not None; statuses are documented on MetricResult.
    """
    with _BlasThreads(blas_threads if solver in ("auto", "BARRIER") else None):
        return _search_metric(W, g, form, structure, solver, max_iters, time_budget, rel_tol, upper_bound)


def _search_metric(W, g, form, structure, solver, max_iters, time_budget, rel_tol, upper_bound) -> MetricResult:
    func = "search_metric"
    t0 = time.perf_counter()
    A = _weights(W, func)
    n = A.shape[0]
    gf, fm = _slope(g, func), _form(form, func)
    if structure not in STRUCTURES:
        raise InputError(f"{func}: argument 'structure' must be 'diag' or 'full', got {structure!r}",
                         symbol="structure")
    if solver not in SOLVERS:
        raise InputError(f"{func}: argument 'solver' must be one of {', '.join(SOLVERS)}, got {solver!r}",
                         symbol="solver")
    if not (isinstance(rel_tol, (int, float)) and 0 < rel_tol < 1):
        raise InputError(f"{func}: argument 'rel_tol' must be in (0, 1), got {rel_tol!r}", symbol="rel_tol")
    full = structure == "full"
    if solver == "auto":
        solver = "SCS" if (full and n > BARRIER_FULL_MAX_N) else "BARRIER"
    deadline = None if time_budget is None else t0 + float(time_budget)
    notes: list[str] = []

    P0, lam0, r0 = _initial(A, gf, fm)
    best = {"P": P0, "lam": lam0, "r": r0}
    c_upper = math.inf
    history: list[tuple[float, float]] = [(time.perf_counter() - t0, r0)]
    solves = 0
    newton = 0

    def tol_abs() -> float:
        r = best["r"]
        return rel_tol * max(abs(r), 1e-3 * max(1.0 - r, 1.0)) / 2.0

    def consider(P: np.ndarray, lam: np.ndarray) -> float:
        r = _rate(A, gf, fm, P, lam)
        if r > best["r"]:
            best.update(P=P, lam=lam, r=r)
            history.append((time.perf_counter() - t0, r))
        return r

    def out_of_time() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    if solver == "BARRIER":
        lmi = _Lmi(A, gf, fm, full)
        budget = 600 if max_iters is None else int(max_iters)
        gain = 0.1 * max(1.0 - best["r"], 1e-3)
        bound_steps = 0
        while newton < budget and not out_of_time():
            c = best["r"]
            if not math.isfinite(c):
                notes.append("no finite rate at the starting point")
                break
            Pref = best["P"]
            x0 = lmi.x_of(Pref, best["lam"])
            t_scale = max(gain, 10 * tol_abs())
            bound_step = gain <= tol_abs()
            if bound_step:
                # near the optimum: solve the margin SDP just above it, well centred, for a dual bound
                c_s = c + (1.0 + 0.8 * bound_steps) * tol_abs()
                inner = _margin_sdp_barrier(lmi, c_s, x0, Pref, gap_tol=tol_abs() / 8, t_stop=None,
                                            max_steps=budget - newton, deadline=deadline, t_scale=t_scale,
                                            lam_ref=best["lam"], kappa=0.0, final_center_tol=1e-12)
                bound_steps += 1
            else:
                c_s = c
                inner = _margin_sdp_barrier(lmi, c, x0, Pref, gap_tol=tol_abs() / 4, t_stop=tol_abs(),
                                            max_steps=budget - newton, deadline=deadline, t_scale=t_scale,
                                            lam_ref=best["lam"])
            solves += 1
            newton += inner.steps
            xp, lam = lmi.split(inner.x)
            r_new = consider(lmi.P(xp), lam)
            if inner.Z is not None and upper_bound:
                Z = inner.Z
                c_upper = min(c_upper, _repair_and_bound(A, gf, fm, Z[:n, :n], Z[:n, n:], Z[n:, n:], full))
            note(f"LMI ({'full' if full else 'diagonal'} P, n = {n}): solve {solves}, rate {best['r']:.6g}, "
                 f"dual bound {c_upper:.6g}, {newton} Newton steps")
            if c_upper - best["r"] <= 2 * tol_abs():
                break
            gain = max(r_new - c, 0.0)
            if not upper_bound and gain <= tol_abs():
                break
            if bound_step and (gain <= tol_abs() and bound_steps >= 2 or not inner.ok):
                break
        if newton >= budget:
            notes.append(f"Newton step budget ({budget}) reached")
    else:
        eps = 1e-5
        its = (1000 if solver == "SCS" else 100) if max_iters is None else int(max_iters)
        try:
            prob = _CvxMargin(A, gf, fm, full, solver, its, eps)
        except Exception as exc:  # noqa: BLE001 -- cvxpy may raise anything while compiling
            notes.append(f"cvxpy could not build the problem: {exc!r}")
            prob = None
        stalled = False
        for _ in range(40):
            if prob is None or out_of_time():
                break
            c = best["r"]
            if not math.isfinite(c):
                break
            bound_step = stalled or (c_upper - c) <= 2 * tol_abs()
            c_solve = c + tol_abs() if bound_step else c
            res = prob.solve(c_solve, best["P"], best["lam"])
            solves += 1
            if res is None:
                notes.append(f"{solver} failed (solve {solves})")
                if bound_step:
                    break
                stalled = True
                continue
            P, lam, t, Z, st = res
            r_new = consider(P, lam)
            if Z is not None and upper_bound:
                c_upper = min(c_upper, lmi_upper_bound(A, gf, fm, Z, structure))
            if c_upper - best["r"] <= 2 * tol_abs():
                break
            if bound_step and r_new <= c_solve:
                break
            if not upper_bound and r_new - c <= tol_abs():
                break
            stalled = r_new - c <= tol_abs()

    P, lam, r = best["P"], best["lam"], best["r"]
    if not math.isfinite(r):
        return MetricResult(None, None, -math.inf, structure, solver, "failed", time.perf_counter() - t0,
                            solves, tuple(notes), -math.inf, c_upper, newton, tuple(history))
    P, lam = _normalise(P, lam)
    r = _rate(A, gf, fm, P, lam)
    c, margin = _with_margin(A, gf, fm, P, lam, r)
    ok = margin != "none"
    if margin == "thin":
        notes.append(f"thin margin: -M(c) verified positive definite, but its diagonally scaled smallest "
                     f"eigenvalue is below {MARGIN_REL:g}")
    gap_txt = (f"{100 * (c_upper - r) / max(abs(r), 1e-12):.2f}% above it" if math.isfinite(c_upper)
               else "no bound")
    notes.insert(0, f"best rate proved {r:.6g} ({structure} P, {solver}); dual upper bound {c_upper:.6g} "
                    f"({gap_txt}); returned c = {c:.6g} keeps a margin")
    if not ok:
        notes.append("could not verify -M(c) > 0 for the best candidate")
        status = "failed"
    elif c > 0:
        status = "certified"
    elif c_upper <= 0:
        status = "infeasible"
        notes.append(f"the dual bound shows no rate above {c_upper:.6g} with {structure} P")
    else:
        status = "inconclusive"
    if c_upper < r - 1e-9 * max(1.0, abs(r)):
        notes.append(f"dual bound {c_upper:.6g} below the proved rate {r:.6g}: numerical trouble")
    elif upper_bound and c_upper - r > rel_tol * max(abs(r), 1e-3):
        notes.append(f"the dual bound {c_upper:.6g} is not within rel_tol of the rate {r:.6g}: the optimum "
                     f"may lie higher (or the dual matrix was poor: degenerate problems, SCS accuracy)")
    return MetricResult(P if ok else None, lam if ok else None, c if ok else -math.inf, structure, solver,
                        status, time.perf_counter() - t0, solves, tuple(notes), r, c_upper, newton,
                        tuple(history))


# ---------------------------------------------------------------------------------------------------
# The corner test for one quadratic metric (small n)

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
    import cvxpy as cp

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


# ---------------------------------------------------------------------------------------------------
# The plain baseline


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
    import cvxpy as cp

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
