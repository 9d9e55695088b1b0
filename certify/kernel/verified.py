"""Verified positive definiteness in floating point (TRUSTED), after S. M. Rump, "Verification of
positive definiteness", BIT Numer. Math. 46:433-452 (2006), Theorem 2.3 / Corollary 2.4.

The theorem. Let A be a symmetric n x n matrix of IEEE binary64 numbers with positive diagonal, u =
2^-53 the unit roundoff, eta = 2^-1074 the smallest subnormal, t_i the number of entries left of the
diagonal in row i (t_i = i - 1 for a dense matrix, counting from 1) and alpha_i = (t_i + 3) u (valid for
n < 67108861). If the floating-point Cholesky factorisation of A - c I runs to completion (no square
root of a negative number) for some

        c >= sum_i alpha_i a_ii + 6 n (n + max_i a_ii) eta,

with the diagonal of A - c I rounded downward, then A is positive definite. For an interval matrix
A_mid +- R (R >= 0 entrywise), adding any upper bound of ||R||_2 to c proves every symmetric matrix in
it positive definite (Weyl's inequality).

What this module trusts: binary64 arithmetic with rounding to nearest, and that LAPACK's Cholesky
(numpy.linalg.cholesky) is a Cholesky algorithm covered by Rump's analysis (it holds for any order of
evaluation of the inner products). Every quantity the theorem needs is computed here either exactly
(with Fractions) or rounded in the safe direction; no eigenvalue is compared with a tolerance.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .errors import KernelError

U = Fraction(1, 2**53)
ETA = Fraction(1, 2**1074)
MAX_N = 67108860


def round_up(x: Fraction) -> float:
    """The smallest binary64 number >= x (x finite, not too large)."""
    f = _to_float(x)
    if Fraction(f) < x:
        f = math.nextafter(f, math.inf)
    return f


def round_down(x: Fraction) -> float:
    """The largest binary64 number <= x."""
    f = _to_float(x)
    if Fraction(f) > x:
        f = math.nextafter(f, -math.inf)
    return f


def _to_float(x: Fraction) -> float:
    try:
        return float(x)
    except OverflowError:
        bits = abs(x.numerator).bit_length() - x.denominator.bit_length()
        raise KernelError(f"rounding to binary64: a number of magnitude about 2^{bits} is outside the binary64 "
                          "range") from None


def norm2_upper(R: np.ndarray) -> float:
    """A rigorous upper bound of ||R||_2 for a symmetric entrywise non-negative float matrix R:
    ||R||_2 = rho(R) <= max row sum. The float row sums of k non-negative terms are at most a
    factor (1 + 2 k u) below the exact ones (for k u < 1/2), and that factor is applied with
    upward rounding."""
    if R.size == 0:
        return 0.0
    if not np.all(np.isfinite(R)) or np.any(R < 0):
        raise KernelError("the radius matrix must be finite and non-negative")
    n = R.shape[1]
    top = float(np.max(R.sum(axis=1)))
    return round_up(Fraction(top) * (1 + 2 * n * U))


def is_pd_verified(A: np.ndarray, radius: np.ndarray | float = 0.0) -> bool:
    """True only if every symmetric matrix within entrywise `radius` of the float matrix A is positive
    definite (Rump's test). False means "not verified" (it may still be positive definite)."""
    for name, x in (("matrix", A), ("radius", radius)):
        kind = np.asarray(x).dtype.kind
        if kind not in "biuf" or np.asarray(x).dtype.itemsize > 8:
            raise KernelError(f"is_pd_verified: the {name} must hold real binary64 numbers, got dtype "
                              f"{np.asarray(x).dtype}")
    A = np.array(A, dtype=np.float64, copy=True)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise KernelError(f"expected a non-empty square matrix, got shape {A.shape}")
    n = A.shape[0]
    if n > MAX_N:
        raise KernelError("matrix too large for the constants of the theorem")
    if not np.all(np.isfinite(A)):
        raise KernelError("matrix has NaN or infinite entries")
    if not np.array_equal(A, A.T):
        raise KernelError("matrix is not exactly symmetric")
    R = np.broadcast_to(np.asarray(radius, dtype=np.float64), A.shape).copy()
    if not np.array_equal(R, R.T):
        raise KernelError("radius matrix is not symmetric")
    d = np.diag(A).copy()
    if np.any(d <= 0):
        return False
    # Scaling by powers of two (exact, away from under/overflow) makes the diagonal ~1 (van der Sluis).
    s = np.exp2(-np.ceil(0.5 * np.log2(d)))
    if np.all(np.isfinite(s)) and np.all(s > 0):
        scaled = A * s[:, None] * s[None, :]
        scaled_r = R * s[:, None] * s[None, :]
        # keep the scaling only if it was exact (undoing it gives the same bits back)
        exact = (np.array_equal(scaled / s[:, None] / s[None, :], A)
                 and np.array_equal(scaled_r / s[:, None] / s[None, :], R)
                 and np.all(np.isfinite(scaled)) and np.all(np.isfinite(scaled_r)))
        if exact:
            A, R = scaled, scaled_r
    d = np.diag(A)
    m = norm2_upper(R) if np.any(R) else 0.0
    c = sum((Fraction(i + 3) * U * Fraction(float(a)) for i, a in enumerate(d)), Fraction(0))
    c += 6 * n * (n + Fraction(float(np.max(d)))) * ETA + Fraction(m)
    c_up = round_up(c)
    shifted = A.copy()
    for i in range(n):
        shifted[i, i] = round_down(Fraction(float(A[i, i])) - Fraction(c_up))
    try:
        np.linalg.cholesky(shifted)
    except np.linalg.LinAlgError:
        return False
    return True
