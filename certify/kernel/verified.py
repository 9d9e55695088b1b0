"""All binary64 reasoning of the kernel, with its error model (TRUSTED).

Model: IEEE binary64, rounding to nearest, gradual underflow; u = 2^-53, eta = 2^-1074. A rounded product is
a b (1 + d) + e with |d| <= u, |e| <= eta/2 (d e = 0); a rounded sum is (a + b)(1 + d) and never underflows. Every
bound below adds a relative term and, where products can underflow, an absolute one; quantities the theorem
needs are computed exactly (Fractions) or rounded in the safe direction. Contents: reading float data
(`float_array`, `binary64_exactly`), rigorous weighted row sums (`weighted_row_bound`), the LMI matrix formed in
floating point with an entrywise bound on its error (`lmi_matrix_float`), and verified positive definiteness
(`is_pd_verified`), after S. M. Rump, "Verification of positive definiteness", BIT Numer. Math. 46:433-452
(2006), Theorem 2.3 / Corollary 2.4.

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

from . import exact
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
        raise KernelError(f"to_float: rounding to binary64: a number of magnitude about 2^{bits} is outside the "
                          f"binary64 "
                          "range") from None


def norm2_upper(R: np.ndarray) -> float:
    """A rigorous upper bound of ||R||_2 for a symmetric entrywise non-negative float matrix R:
    ||R||_2 = rho(R) <= max row sum. The float row sums of k non-negative terms are at most a
    factor (1 + 2 k u) below the exact ones (for k u < 1/2), and that factor is applied with
    upward rounding."""
    if R.size == 0:
        return 0.0
    if not np.all(np.isfinite(R)) or np.any(R < 0):
        raise KernelError("norm2_upper: the radius matrix must be finite and non-negative")
    n = R.shape[1]
    top = float(np.max(R.sum(axis=1)))
    return round_up(Fraction(top) * (1 + 2 * n * U))


def is_pd_verified(A: np.ndarray, radius: np.ndarray | float = 0.0, *, overwrite: bool = False) -> bool:
    """True only if every symmetric matrix within entrywise `radius` of the float matrix A is positive
    definite (Rump's test). False means "not verified" (it may still be positive definite). With overwrite=True
    the caller gives up A and radius (float64 arrays of A's shape): they are scaled and shifted in place instead
    of copied, which halves the memory of a large check."""
    for name, x in (("matrix", A), ("radius", radius)):
        kind = np.asarray(x).dtype.kind
        if kind not in "biuf" or np.asarray(x).dtype.itemsize > 8:
            raise KernelError(f"is_pd_verified: the {name} must hold real binary64 numbers, got dtype "
                              f"{np.asarray(x).dtype}")
    mine = overwrite and isinstance(A, np.ndarray) and A.dtype == np.float64 and A.flags.writeable
    A = A if mine else np.array(A, dtype=np.float64, copy=True)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise KernelError(f"is_pd_verified: expected a non-empty square matrix, got shape {A.shape}")
    n = A.shape[0]
    if n > MAX_N:
        raise KernelError("is_pd_verified: matrix too large for the constants of the theorem")
    if not np.all(np.isfinite(A)):
        raise KernelError("is_pd_verified: matrix has NaN or infinite entries")
    if not np.array_equal(A, A.T):
        raise KernelError("is_pd_verified: matrix is not exactly symmetric")
    if (overwrite and isinstance(radius, np.ndarray) and radius.dtype == np.float64 and radius.shape == A.shape
            and radius.flags.writeable):
        R = radius
    else:
        R = np.broadcast_to(np.asarray(radius, dtype=np.float64), A.shape).copy()
    if R is A or np.may_share_memory(R, A):     # one array given as both: the radius must not move with A
        R = R.copy()
    if not np.array_equal(R, R.T):
        raise KernelError("is_pd_verified: radius matrix is not symmetric")
    d = np.diag(A).copy()
    if np.any(d <= 0):
        return False
    # Scaling by powers of two makes the diagonal ~1 (van der Sluis): entry (i, j) is multiplied once by
    # 2^(k_i + k_j), a power of two computed exactly (|k| <= 500). A product that is a normal number is exact, and so
    # is any product by 2^e with e >= 0 that does not overflow. A is scaled only when every product is exact (the
    # theorem is applied to the scaled A itself). R is only an upper bound: a product that lands in the subnormal
    # range may be rounded by up to eta_min/2, so eta_min is added to every scaled entry (exact for subnormal values;
    # absorbed only by normal values, which were exact).
    k = -np.ceil(0.5 * np.log2(d))
    if np.all(np.isfinite(k)) and np.max(np.abs(k)) <= 500 and _scaling_is_exact(A, R, k.astype(np.int64)):
        s = np.ldexp(1.0, k.astype(np.int64))
        for i in range(n):
            both = s[i] * s                     # exact powers of two
            A[i] *= both
            R[i] *= both
        R += float(ETA)
    d = np.diag(A)
    m = norm2_upper(R) if np.any(R) else 0.0
    c = sum((Fraction(i + 3) * U * Fraction(float(a)) for i, a in enumerate(d)), Fraction(0))
    c += 6 * n * (n + Fraction(float(np.max(d)))) * ETA + Fraction(m)
    c_up = Fraction(round_up(c))
    diagonal = [round_down(Fraction(float(a)) - c_up) for a in d]
    A[np.diag_indices(n)] = diagonal           # A is ours (a copy, or given up by the caller)
    try:
        np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        return False
    return True


def _scaling_is_exact(A: np.ndarray, R: np.ndarray, k: np.ndarray) -> bool:
    """Whether multiplying entry (i, j) of A by 2^(k_i + k_j) is exact for every entry, and no entry of R overflows.
    An entry x = m 2^e (0.5 <= |m| < 1, numpy.frexp) times 2^t is exact when e + t <= 1024 (no overflow) and either
    t >= 0 or the product is a normal number, e - 1 + t >= -1022; zeros stay zeros. First for all entries at once from
    the extreme magnitudes and exponents (enough in the common case), else row by row (memory O(n))."""
    lo, hi = 2 * int(k.min()), 2 * int(k.max())
    mags = np.abs(A)                   # one temporary for both extremes of A (it is 2n x 2n in the LMI check)
    top_a, top_r = float(mags.max()), float(np.abs(R).max())
    bottom_a = float(np.min(mags, where=mags != 0, initial=np.inf))
    del mags
    if (top_a == 0 or math.frexp(top_a)[1] + max(hi, 0) <= 1024) and \
            (top_r == 0 or math.frexp(top_r)[1] + max(hi, 0) <= 1024) and \
            (lo >= 0 or bottom_a == np.inf or math.frexp(bottom_a)[1] - 1 + lo >= -1022):
        return True
    for i in range(len(k)):
        t = k[i] + k
        _, e = np.frexp(A[i])
        nonzero = A[i] != 0
        if np.any(nonzero & ((e + t > 1024) | ((t < 0) & (e - 1 + t < -1022)))):
            return False
        _, e = np.frexp(R[i])
        if np.any((R[i] != 0) & (e + t > 1024)):
            return False
    return True


# -- the kernel's other binary64 reasoning: reading float data, row sums, forming the LMI ----------------------

def float_array(x, name: str, ndim: int) -> np.ndarray:
    """`x` as a finite real binary64 array of `ndim` dimensions. Complex, object, string and extended-precision
    data are refused (numpy would drop imaginary parts or round long doubles without an error), and so is any
    value that binary64 cannot hold exactly: the floating-point paths must reason about the data they were
    given, not a rounded copy."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf" or x.dtype.itemsize > 8:
            raise KernelError(f"float_array: {name} must hold real binary64 numbers, got dtype {x.dtype}")
        arr = x.astype(np.float64)
        if x.dtype.kind == "f" and x.dtype.itemsize < 8 and not np.array_equal(arr, x, equal_nan=True):  # pragma: no cover
            # float16/32 widen exactly; float64 -> float64 is a plain copy, nothing to compare
            raise KernelError(f"float_array: {name} changed when read as binary64")
        if x.dtype.kind in "iu" and not np.array_equal(arr.astype(x.dtype), x):
            raise KernelError(f"float_array: {name} has integers that binary64 cannot hold exactly")
    else:
        rows = exact.to_fraction_matrix(x, name) if ndim == 2 else [exact.to_fraction_vector(x, name)]
        flat = [v for row in rows for v in row]
        if any(Fraction(float(v)) != v for v in flat if abs(v) < 2 ** 1024):
            raise KernelError(f"float_array: {name} has entries that are not binary64 numbers (e.g. 1/5)")
        arr = np.array([[float(v) for v in row] for row in rows], dtype=np.float64)
        if ndim == 1:
            arr = arr.reshape(-1)
    if arr.ndim != ndim or not np.all(np.isfinite(arr)):
        raise KernelError(f"float_array: {name} must be a finite {ndim}-D array")
    return arr


def weighted_row_bound(W: np.ndarray, eta: np.ndarray, positive_diagonal: bool) -> Fraction:
    """max_i [ d_i + sum_{j != i} |w_ij| eta_j / eta_i ], d_i = w_ii or (w_ii)_+, bounded from above.

    Error model (binary64, rounding to nearest, gradual underflow; u = 2^-53, eta_min = 2^-1074). The
    off-diagonal sums s_i = sum_j |w_ij| eta_j are computed in binary64 in any order. Each product is rounded
    once: fl(a b) = a b (1 + d) + e with |d| <= u, |e| <= eta_min/2 (e is the underflow error, and an addition
    of floats never underflows). Every term is non-negative, so the computed sum s~ satisfies
    s~ >= (1 - gamma_n) s - n eta_min/2 (gamma_n = n u / (1 - n u)): the exact sum is at most
    (s~ + n eta_min) / (1 - gamma_n). That bound is evaluated in exact rational arithmetic, like everything
    after it, so a weight eta_i tiny enough for the products to underflow only makes the bound larger
    (n eta_min / eta_i) instead of hiding the terms."""
    n = W.shape[0]
    A = np.abs(W)
    np.fill_diagonal(A, 0.0)
    sums = A @ eta
    if not np.all(np.isfinite(sums)):
        raise KernelError("weighted_rate: overflow while bounding the weighted measure")
    return _largest_bound(np.diag(W).copy(), sums, eta, positive_diagonal)


def _largest_bound(diag: np.ndarray, sums: np.ndarray, eta: np.ndarray, positive_diagonal: bool) -> Fraction:
    """max_i [ d_i + (s~_i + n eta_min) / (1 - gamma_n) / eta_i ] (d_i = diag_i, or its positive part), in exact
    rational arithmetic. The rows that can hold the maximum are found first in binary64: each row's value is computed
    with an error below e_i = 2^-49 (|d_i| + |t_i|) + 2^-1070 (1 + 1/eta_i) (four roundings of at most u = 2^-53
    relative each, and underflow: at most eta_min/2 in the product before the division by eta_i, magnified by
    1/eta_i, and at most eta_min/2 after it; a factor of at least 2 to spare for the rounding of e_i), so the row of
    the exact maximum has v_i + e_i >= max_j (v_j - e_j); only those rows are evaluated exactly (all of them when the
    values tie)."""
    n = len(diag)
    gamma = Fraction(n) * U / (1 - Fraction(n) * U)
    inflate = 1 / (1 - gamma)
    lost = n * ETA                       # what underflow can have removed from each sum
    d = np.maximum(diag, 0.0) if positive_diagonal else diag
    with np.errstate(over="ignore", under="ignore"):
        t = (sums + float(lost)) * round_up(inflate) / eta
        v = d + t
        # 2^-1070 / eta: a product (s~ + n eta_min) (1 + gamma) that lands in the subnormal range is rounded to a
        # multiple of eta_min (relative error up to n u, not u), and the division by eta_i magnifies that absolute
        # error to eta_min / (2 eta_i); the term is at most 16 (eta_i >= eta_min) and never overflows
        err = (np.abs(d) + np.abs(t)) * 2.0 ** -49 + 2.0 ** -1070 + 2.0 ** -1070 / eta
    if np.all(np.isfinite(v)) and np.all(np.isfinite(err)):
        rows = np.flatnonzero(v + err >= np.max(v - err))
    else:
        rows = np.arange(n)
    best = None
    for i in rows.tolist():
        value = Fraction(float(d[i])) + (Fraction(float(sums[i])) + lost) * inflate / Fraction(float(eta[i]))
        best = value if best is None or value > best else best
    return best


def lmi_matrix_float(W, g: Fraction, form: str, P, lam, c: Fraction) -> tuple[np.ndarray, np.ndarray]:
    """-M(c) formed in binary64 with an entrywise bound R on |computed - exact|.

    Inputs W, P, lam are binary64 arrays (exact rationals). The slope bound g and the coefficient
    s = 2(1 - c) are replaced by binary64 numbers g~ >= g and s~ <= s: a larger slope bound and a
    smaller s only make the matrix inequality harder, so proving it for (g~, s~) proves it for (g, s).
    Every entry of the off-diagonal block is a sum of at most n + 1 products of binary64 numbers,
    computed with error at most gamma_{n+1} times the sum of the absolute values of the products
    (any order of summation); the diagonal blocks have one rounding each. R adds these bounds up,
    itself computed in floating point and then inflated by (1 + 2 gamma_{n+2}) to cover its own
    rounding.
    """
    W = float_array(W, "W", 2)
    P = float_array(P, "P", 2)
    lam = float_array(lam, "lam", 1)
    n = W.shape[0]
    if P.shape != (n, n) or lam.shape != (n,):
        raise KernelError(f"check_lmi: P must be {n} x {n} and lam of length {n}")
    if not np.array_equal(P, P.T):
        raise KernelError("lmi_matrix_float: P must be exactly symmetric")
    gf = round_up(g)
    sf = round_down(2 * (1 - c))
    if not sf > 0:
        raise KernelError(f"check_lmi: the rate c = {c} leaves no positive 2(1 - c) in binary64")
    gl = gf * lam                       # one rounding each
    p = np.diag(P).copy()
    diagonal_P = np.count_nonzero(P) == np.count_nonzero(p)      # no nonzero entry off the diagonal
    if form == "H" and diagonal_P:
        # P W is a row scaling: one rounded product per entry (its error u |p_i w_ij| is below gamma_{n+2} mag)
        B = W * p[:, None]
        B[np.diag_indices(n)] += gl
        mag = np.abs(W) * np.abs(p)[:, None]
        mag[np.diag_indices(n)] += np.abs(gl)
    elif form == "H":
        B = P @ W
        B[np.diag_indices(n)] += gl
        mag = np.abs(P) @ np.abs(W)
        mag[np.diag_indices(n)] += np.abs(gl)
    else:
        B = P + gf * (W.T * lam[None, :])
        mag = np.abs(P) + np.abs(gf * (W.T * lam[None, :]))
    m = n + 2
    gamma = float(Fraction(m) * U / (1 - Fraction(m) * U))
    factor = (1 + 2 * gamma) * (1 + 4 * float(U))
    # Underflow: each rounded product a b is a b (1 + d) + e with |e| <= eta_min/2 (additions never underflow);
    # an entry involves at most n + 3 rounded products (n in P W, g~ lam_i, its scaling, and the products in
    # mag), and the float evaluation of R itself can lose up to a few eta_min to underflow. `tiny` covers all
    # of it with room to spare, and is itself an exact binary64 number (an integer multiple of eta_min).
    tiny = float(2 * (n + 8)) * float(ETA)
    # The two 2n x 2n matrices are filled block by block (no np.block copies):
    #   -M = [[s~ P, -B], [-B^T, 2 diag(lam)]],  R = [[r_top, r_off], [r_off^T, 0]]
    # off-diagonal block: products and sums (gamma_{n+2}), plus the rounding of g~ lam_i (u |g~ lam_i|), evaluated
    # as (gamma mag + u |B|) factor + tiny, in place
    r_off = mag
    r_off *= gamma
    r_off += np.abs(B) * float(U)
    r_off *= factor
    r_off += tiny
    minusM = np.zeros((2 * n, 2 * n))
    np.multiply(P, sf, out=minusM[:n, :n])
    np.negative(B, out=minusM[:n, n:])
    del B
    minusM[n:, :n] = minusM[:n, n:].T
    minusM[np.arange(n, 2 * n), np.arange(n, 2 * n)] = 2 * lam
    R = np.zeros((2 * n, 2 * n))
    np.multiply(np.abs(minusM[:n, :n]), float(U) * factor, out=R[:n, :n])
    R[:n, :n] += tiny
    R[:n, n:] = r_off
    del r_off, mag
    R[n:, :n] = R[:n, n:].T
    if not np.all(np.isfinite(R)) or not np.all(np.isfinite(minusM)):
        raise KernelError("check_lmi: overflow while forming the LMI in binary64")
    return minusM, R


def mu2_below_verified(W: np.ndarray, b: Fraction) -> bool:
    """True only if mu_2(W) = lambda_max(sym W) < b, for a float64 array W (exact binary64 data).

    With b~ = round_down(b) <= b, the matrix S = 2 b~ I - (W + W^T) is formed in binary64: every entry is one
    rounded sum of two binary64 numbers (2 w_ii and 2 b~ are exact), so |fl(x) - x| <= u |x| <= 2 u |fl(x)|, and a
    sum whose result is subnormal is exact. R = 2 u |S~| + 2 eta_min (computed with one more rounding that the
    extra eta_min and a factor 2 cover) bounds the error, and Rump's test on (S~, R) proves S > 0, i.e.
    lambda_max(sym W) < b~ <= b. False means "not verified"."""
    W = float_array(W, "W0", 2)
    n = W.shape[0]
    if W.shape != (n, n):
        raise KernelError("mu2_below_verified: W0 must be square")
    bf = round_down(b)
    with np.errstate(over="ignore", invalid="ignore"):
        S = -(W + W.T)
        S[np.diag_indices(n)] += 2 * bf
    if not np.all(np.isfinite(S)):
        return False          # overflow: nothing is verified
    R = np.abs(S) * float(4 * U) + float(4 * ETA)
    return is_pd_verified(S, R)


def norm2_below_verified(W: np.ndarray, b: Fraction) -> bool:
    """True only if ||W||_2 < b, for a float64 array W (exact binary64 data): with b~ = round_down(b) <= b, the
    block matrix [[b~ I, W], [W^T, b~ I]] has exact binary64 entries and is positive definite exactly when
    b~ > ||W||_2 (its eigenvalues are b~ +- the singular values of W); Rump's test proves it with radius 0."""
    W = float_array(W, "W0", 2)
    n = W.shape[0]
    if W.shape != (n, n):
        raise KernelError("norm2_below_verified: W0 must be square")
    bf = round_down(b)
    if not bf > 0:
        return False
    B = np.empty((2 * n, 2 * n))
    B[:n, :n] = 0.0
    B[n:, n:] = 0.0
    B[np.diag_indices(2 * n)] = bf
    B[:n, n:] = W
    B[n:, :n] = W.T
    return is_pd_verified(B)


def binary64_exactly(W) -> np.ndarray:
    """W (exact numbers) as a float64 array, refusing any entry that binary64 cannot hold exactly: the
    verified path must certify the declared matrix, not a rounded one."""
    rows = exact.to_fraction_matrix(W, "W")
    Wf = np.array([[float(x) for x in row] for row in rows], dtype=np.float64)
    if any(Fraction(float(x)) != x for row in rows for x in row):
        raise KernelError("binary64_exactly: W has entries that are not binary64 numbers (e.g. 1/5); the "
                          "verified floating-point "
                          "check would certify a rounded matrix")
    return Wf
