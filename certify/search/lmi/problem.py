"""The multiplier LMI as data (UNTRUSTED search code; see the package docstring for the theory).

The argument checks shared by every entry point, the blocks of M(c) and its assembly (`lmi_matrix`), the
exact rate of a given (P, Lambda) (`best_rate_for`), the kernel's positive-definiteness test applied to M(c)
(`verify_margin`), and the scaling identity: the rate is invariant under (P, lam) -> (s P, s lam), so a
power-of-two s normalises a candidate exactly (`_normalise`).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import scipy.linalg

from certify.errors import InputError
from certify.search.lmi.blas_threads import gram
from certify.kernel.verified import is_pd_verified

Form = Literal["H", "FR"]
Structure = Literal["diag", "full"]
FORMS: tuple[str, ...] = ("H", "FR")
STRUCTURES: tuple[str, ...] = ("diag", "full")
# the margin direction of the Dinkelbach step (both solvers) also covers the multiplier block with weight _KAPPA
# (starts are then well inside)
_KAPPA = 1.0


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
        C = B / np.sqrt(2.0 * lp)[None, :]
        S = 2.0 * P - gram(C)   # B (2 Lambda)^-1 B^T, exactly symmetric, on two threads for large n
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
    M = lmi_matrix(W, g, form, P, lam, c)
    return bool(is_pd_verified(-M))


def _normalise(P: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale (P, lam) so that lambda_min(P) lies in [1, 4) (the rate is invariant under joint scaling)."""
    if np.count_nonzero(P - np.diag(np.diag(P))) == 0:
        s = float(np.min(np.diag(P)))
    else:
        s = float(np.linalg.eigvalsh(P)[0])
    if not (s > 0 and math.isfinite(s)):
        return P, lam
    # round the scale to an even power of two: exact, and then every step of `_rate` (square roots included) scales
    # exactly too, so the rate of the normalised pair is the same number, bit for bit
    k = math.frexp(s)[1] - 1
    k -= k % 2
    return np.ldexp(P, -k), np.ldexp(lam, -k)
