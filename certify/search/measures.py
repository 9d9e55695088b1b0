"""Matrix measures (logarithmic norms) and induced norms in floating point: UNTRUSTED helpers.

Formulas from docs/theory.md section 1. These functions are for users, plots, searches and tests; their results are
rounded floats and prove nothing. Certificates are checked by the exact versions in `certify.kernel.exact`,
re-exported here for convenience (`mu1_exact`, `mu2_le_exact`, ...).

Every function validates its arguments and raises `InputError` naming the function, the argument and the problem
(not 2-D, not square, shape mismatch, NaN/Inf, non-positive weight, P not symmetric or not positive definite).
Indices in messages are 0-based, as in NumPy.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.linalg

from certify.errors import InputError
from certify.kernel.exact import (  # noqa: F401  (re-exported)
    collatz_wielandt_lower_exact as collatz_wielandt_lower_exact,
    is_pd_exact as is_pd_exact,
    is_psd_exact as is_psd_exact,
    metzler_majorant_exact as metzler_majorant_exact,
    mu1_exact as mu1_exact,
    mu1_weighted_exact as mu1_weighted_exact,
    mu2_le_exact as mu2_le_exact,
    mu2_weighted_le_exact as mu2_weighted_le_exact,
    muinf_exact as muinf_exact,
    muinf_weighted_exact as muinf_weighted_exact,
    norm1_exact as norm1_exact,
    norminf_exact as norminf_exact,
    to_fraction_matrix,
    to_fraction_vector,
)

Norm = Literal["l1", "l2", "linf"]
NORMS: tuple[str, ...] = ("l1", "l2", "linf")

__all__ = [
    "NORMS", "best_weighted_l1", "best_weighted_linf", "induced_norm", "metzler_majorant", "mu", "mu1",
    "mu1_weighted", "mu2", "mu2_weighted", "muinf", "muinf_weighted", "norm1", "norm2", "norminf",
    "spectral_abscissa",
    "collatz_wielandt_lower_exact", "is_pd_exact", "is_psd_exact", "metzler_majorant_exact", "mu1_exact",
    "mu1_weighted_exact", "mu2_le_exact", "mu2_weighted_le_exact", "muinf_exact", "muinf_weighted_exact",
    "norm1_exact", "norminf_exact",
]


# ---------------------------------------------------------------------------------------------------
# Validation


def _array(x: object, name: str, func: str, ndim: int) -> np.ndarray:
    """x as a float array with `ndim` dimensions and finite entries, or an InputError naming func and name."""
    try:
        arr = np.asarray(x)
    except ValueError:  # ragged nested lists
        arr = None
    if arr is not None and arr.dtype.kind == "c":
        raise InputError(f"{func}: argument '{name}' has complex entries; real numbers are required",
                         symbol=name)
    if arr is None or arr.dtype.kind not in "biuf":
        # Fractions, number strings, or something wrong: let the exact converter say precisely what.
        try:
            exact = to_fraction_matrix(x, name) if ndim == 2 else to_fraction_vector(x, name)
        except InputError as e:
            raise InputError(f"{func}: {e.message}", symbol=name, hint=e.hint) from None
        arr = np.array([[float(v) for v in row] for row in exact] if ndim == 2 else [float(v) for v in exact],
                       dtype=float)
    arr = arr.astype(float)
    if arr.ndim != ndim:
        kind = "a 2-D matrix" if ndim == 2 else "a 1-D vector"
        raise InputError(f"{func}: argument '{name}' must be {kind}; got shape {arr.shape}", symbol=name)
    if arr.size == 0:
        raise InputError(f"{func}: argument '{name}' is empty; got shape {arr.shape}", symbol=name)
    bad = np.argwhere(~np.isfinite(arr))
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        where = index if ndim == 2 else index[0]
        raise InputError(f"{func}: argument '{name}' must be finite; entry {where} is {arr[index]}",
                         symbol=name, hint="replace NaN/Inf entries by finite numbers")
    return arr


def _matrix(A: object, func: str, name: str = "A", square: bool = True) -> np.ndarray:
    M = _array(A, name, func, 2)
    if square and M.shape[0] != M.shape[1]:
        raise InputError(f"{func}: argument '{name}' must be square; got shape {M.shape}", symbol=name)
    return M


def _weights(eta: object, n: int, func: str, name: str = "eta") -> np.ndarray:
    w = _array(eta, name, func, 1)
    if w.shape != (n,):
        raise InputError(f"{func}: argument '{name}' has {w.shape[0]} entries but 'A' is {n}x{n}", symbol=name,
                         hint=f"give one positive weight per row of 'A' ({n} in all)")
    nonpositive = np.flatnonzero(w <= 0)
    if len(nonpositive):
        i = int(nonpositive[0])
        raise InputError(f"{func}: argument '{name}' must be positive; entry {i} is {w[i]}", symbol=name,
                         hint="weights define a norm only when all are > 0; numpy.ones(n) gives the unweighted measure")
    return w


def _norm_name(norm: object, func: str) -> str:
    if not isinstance(norm, str) or norm not in NORMS:
        raise InputError(f"{func}: argument 'norm' must be one of {', '.join(map(repr, NORMS))}; got {norm!r}",
                         symbol="norm", hint="use 'l1', 'l2' or 'linf'")
    return str(norm)


# ---------------------------------------------------------------------------------------------------
# Unweighted measures and norms


def _mu1(M: np.ndarray) -> float:
    d = np.diag(M)
    return float(np.max(d + np.abs(M).sum(axis=0) - np.abs(d)))


def _muinf(M: np.ndarray) -> float:
    d = np.diag(M)
    return float(np.max(d + np.abs(M).sum(axis=1) - np.abs(d)))


def _rescaled(M: np.ndarray) -> tuple[float, np.ndarray]:
    """(s, B) with M ~ s B, max |B| = 1, and entries of B below eps^2 set to 0 (a change far below rounding).

    LAPACK's symmetric eigensolvers can lose accuracy when O(1) entries meet entries near the underflow
    threshold: with openblas 0.3.31, eigvalsh of sym([[t, 1.5, t, t], [t]*4, [t]*4, [t]*4]), t = 4.1e-162, returns
    0.7483 instead of 0.75. Scaling and flushing keeps every nonzero entry within [eps^2, 1], where it is accurate.
    """
    s = float(np.abs(M).max())
    if s == 0:
        return 0.0, np.zeros_like(M)
    B = M / s
    B[np.abs(B) < np.finfo(float).eps ** 2] = 0.0
    return s, B


def _mu2(M: np.ndarray) -> float:
    s, B = _rescaled(M)
    return s * float(np.linalg.eigvalsh((B + B.T) / 2)[-1])


def mu1(A: object) -> float:
    """mu_1(A) = max_j ( a_jj + sum_{i != j} |a_ij| )  (column sums)."""
    return _mu1(_matrix(A, "mu1"))


def muinf(A: object) -> float:
    """mu_inf(A) = max_i ( a_ii + sum_{j != i} |a_ij| )  (row sums)."""
    return _muinf(_matrix(A, "muinf"))


def mu2(A: object) -> float:
    """mu_2(A) = lambda_max((A + A^T) / 2)."""
    return _mu2(_matrix(A, "mu2"))


def mu(A: object, norm: Norm) -> float:
    """The matrix measure of A for norm in {'l1', 'l2', 'linf'}."""
    name = _norm_name(norm, "mu")
    M = _matrix(A, "mu")
    return {"l1": _mu1, "l2": _mu2, "linf": _muinf}[name](M)


def norm1(A: object) -> float:
    """Induced l1 norm: the largest column sum of |a_ij| (A may be rectangular)."""
    return float(np.abs(_matrix(A, "norm1", square=False)).sum(axis=0).max())


def norminf(A: object) -> float:
    """Induced l-infinity norm: the largest row sum of |a_ij| (A may be rectangular)."""
    return float(np.abs(_matrix(A, "norminf", square=False)).sum(axis=1).max())


def norm2(A: object) -> float:
    """Induced l2 norm: the largest singular value (A may be rectangular)."""
    s, B = _rescaled(_matrix(A, "norm2", square=False))
    return s * float(np.linalg.norm(B, 2))


def induced_norm(A: object, norm: Norm) -> float:
    """The induced matrix norm of A for norm in {'l1', 'l2', 'linf'}."""
    name = _norm_name(norm, "induced_norm")
    return {"l1": norm1, "l2": norm2, "linf": norminf}[name](A)


def spectral_abscissa(A: object) -> float:
    """alpha(A) = max Re lambda(A)."""
    s, B = _rescaled(_matrix(A, "spectral_abscissa"))
    return s * float(np.max(np.linalg.eigvals(B).real))


def metzler_majorant(A: object) -> np.ndarray:
    """The Metzler majorant: the diagonal of A kept, off-diagonal entries replaced by their absolute values."""
    M = _matrix(A, "metzler_majorant")
    out = np.abs(M)
    np.fill_diagonal(out, np.diag(M))
    return out


# ---------------------------------------------------------------------------------------------------
# Weighted measures


def mu1_weighted(A: object, eta: object) -> float:
    """mu_1 for the norm sum_i eta_i |x_i|: mu_1(diag(eta) A diag(eta)^-1), eta > 0."""
    M = _matrix(A, "mu1_weighted")
    w = _weights(eta, M.shape[0], "mu1_weighted")
    return _mu1(w[:, None] * M / w[None, :])


def muinf_weighted(A: object, eta: object) -> float:
    """mu_inf for the norm max_i |x_i| / eta_i: mu_inf(diag(eta)^-1 A diag(eta)), eta > 0."""
    M = _matrix(A, "muinf_weighted")
    w = _weights(eta, M.shape[0], "muinf_weighted")
    return _muinf(M * w[None, :] / w[:, None])


def _cholesky(P: object, n: int, func: str) -> np.ndarray:
    """Lower-triangular L with P = L L^T, after checking P is n x n, symmetric and positive definite."""
    Q = _matrix(P, func, name="P")
    if Q.shape != (n, n):
        raise InputError(f"{func}: argument 'P' has shape {Q.shape} but 'A' is {n}x{n}", symbol="P",
                         hint="P must have the same shape as A")
    asym = np.abs(Q - Q.T)
    scale = max(float(np.abs(Q).max()), np.finfo(float).tiny)
    if asym.max() > 1e-12 * scale:
        i, j = (int(k) for k in np.unravel_index(np.argmax(asym), asym.shape))
        raise InputError(f"{func}: argument 'P' must be symmetric; P[{i}, {j}] = {Q[i, j]} but "
                         f"P[{j}, {i}] = {Q[j, i]}", symbol="P", hint="use (P + P.T) / 2")
    try:
        return np.linalg.cholesky((Q + Q.T) / 2)
    except np.linalg.LinAlgError:
        lam = float(np.linalg.eigvalsh((Q + Q.T) / 2)[0])
        raise InputError(f"{func}: argument 'P' must be positive definite; its smallest eigenvalue is "
                         f"about {lam:.3g}", symbol="P",
                         hint="a metric P = Theta^T Theta needs an invertible Theta, e.g. B @ B.T + eps * I") from None


def mu2_weighted(A: object, P: object) -> float:
    """mu_2 for the norm sqrt(x^T P x), P symmetric positive definite: min{ b : A^T P + P A <= 2 b P }.

    With P = L L^T (Cholesky), Theta = L^T and the value is mu_2(L^T A L^-T) = lambda_max of the pencil
    (sym(P A), P).
    """
    M = _matrix(A, "mu2_weighted")
    L = _cholesky(P, M.shape[0], "mu2_weighted")
    X = L.T @ M                                                  # L^T A
    B = scipy.linalg.solve_triangular(L, X.T, lower=True).T     # X L^-T, since L (X L^-T)^T = X^T
    return _mu2(B)


# ---------------------------------------------------------------------------------------------------
# Best diagonal weights (Perron vectors of the Metzler majorant)


def _perron_right(M: np.ndarray) -> np.ndarray | None:
    """The right eigenvector of the eigenvalue with the largest real part, scaled positive, or None."""
    w, V = np.linalg.eig(M)
    v = V[:, int(np.argmax(w.real))].real
    v = v * np.sign(v.sum()) if v.sum() != 0 else v
    return v / v.max() if v.min() > 0 else None


def best_weighted_linf(A: object, *, tol: float | None = None) -> tuple[float, np.ndarray]:
    """(alpha(ceil(A)), eta): inf over eta > 0 of mu_inf_weighted(A, eta), and weights attaining it.

    The infimum of the eta-weighted l-infinity measure is alpha(M), M = metzler_majorant(A) (docs/theory.md section 1).
    When M is irreducible it is attained at the right Perron vector of M, which is returned (scaled to max 1).
    When M is reducible the infimum may not be attained: the value returned is still the infimum alpha(M), and
    eta is the Perron vector of M + eps (ones - I) with eps = tol / (2 (n - 1)), an irreducible matrix whose
    Perron vector gives muinf_weighted(A, eta) <= alpha(M) + tol / 2. If floating point defeats both (the check
    muinf_weighted(A, eta) <= alpha + tol is done here in floats), eta = (gamma I - M)^-1 1 with
    gamma = alpha + tol / 2, which satisfies M eta < gamma eta exactly in real arithmetic.
    Default tol: 1e-8 * max(1, norminf(M)). Untrusted: the kernel re-checks any certificate built from eta.
    """
    return _best_linf(_matrix(A, "best_weighted_linf"), tol, "best_weighted_linf")


def best_weighted_l1(A: object, *, tol: float | None = None) -> tuple[float, np.ndarray]:
    """(alpha(ceil(A)), eta): inf over eta > 0 of mu1_weighted(A, eta), and weights attaining it (the left Perron
    vector of the Metzler majorant). mu1_weighted(A, eta) = muinf_weighted(A^T, eta), so this is
    best_weighted_linf(A.T); see there for the reducible case and `tol`."""
    return _best_linf(_matrix(A, "best_weighted_l1").T, tol, "best_weighted_l1")


def _best_linf(A: np.ndarray, tol: float | None, func: str) -> tuple[float, np.ndarray]:
    M = np.abs(A)
    np.fill_diagonal(M, np.diag(A))
    n = M.shape[0]
    if tol is None:
        tol = 1e-8 * max(1.0, float(np.abs(M).sum(axis=1).max()))
    elif isinstance(tol, bool) or not isinstance(tol, (int, float)) or not (np.isfinite(tol) and tol > 0):
        raise InputError(f"{func}: argument 'tol' must be a positive finite number; got {tol!r}", symbol="tol")
    s, B = _rescaled(M)
    alpha = s * float(np.max(np.linalg.eigvals(B).real))

    def attains(v: np.ndarray | None) -> bool:
        return v is not None and bool(np.all(v > 0)) and _muinf(M * v[None, :] / v[:, None]) <= alpha + tol

    eta = _perron_right(M)
    if attains(eta):
        return alpha, eta
    if n > 1:
        eps = tol / (2 * (n - 1))
        eta = _perron_right(M + eps * (np.ones((n, n)) - np.eye(n)))
        if attains(eta):
            return alpha, eta
    eta = np.linalg.solve((alpha + tol / 2) * np.eye(n) - M, np.ones(n))
    return alpha, eta / eta.max()
