"""Exact rational matrix tests: the part of the trusted kernel that checks numeric certificates.

What is trusted here, and why each answer is exact:

* Every number is a `fractions.Fraction` (arbitrary-precision rational). `+ - * /` and comparisons on
  Fractions are exact, so every result below is the exact value of its formula, with no rounding.
* Inputs are converted by `to_fraction_matrix` / `to_fraction_vector` / `to_fraction`: ints and Fractions
  as they are, finite floats by their exact binary value (`Fraction(float)`), strings only after a strict
  regular expression ("3/4", "-0.25", "1e-3"); nothing is ever evaluated.
* Matrix measures and induced norms of the l1 and l-infinity norms are closed formulas (max of column or
  row sums, docs/theory.md section 1): evaluated exactly, they ARE the measure.
* Positive semi-definiteness is decided by symmetric Gaussian elimination (LDL^T) without pivoting. For
  a symmetric S with first pivot p = S[0][0] and first row (p, r^T):
    - p < 0: S is not PSD (e_0^T S e_0 < 0).
    - p = 0: S PSD forces r = 0 (the 2x2 minor [[0, r_j], [r_j, S_jj]] has determinant -r_j^2), and then
      S is PSD iff the trailing block is PSD.
    - p > 0: S is PSD iff the Schur complement S' - r r^T / p is PSD (congruence by an invertible L).
  Each step is an exact rational computation, so the answer is exact. PD: all leading principal minors > 0
  (Sylvester), read from FLINT's fraction-free LU of the matrix scaled to integers (`is_pd_exact`).
* mu_2(A) <= b  iff  lambda_max(sym(A)) <= b  iff  b I - sym(A) is PSD; the weighted version with P > 0:
  A^T P + P A <= 2 b P  iff  2 b P - A^T P - P A is PSD. Both reduce to the exact PSD test.
* Collatz-Wielandt: for a Metzler M (off-diagonal >= 0) and v > 0, min_i (M v)_i / v_i <= alpha(M)
  (apply the Collatz-Wielandt bound for the nonnegative matrix M + s I, s >= -min_i M_ii).

Failures the kernel cannot check raise `KernelError`; bad input raises `InputError`. No `assert`.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from .errors import InputError, KernelError

Matrix = list[list[Fraction]]
Vector = list[Fraction]

# A decimal ("-0.25", "1.5e-3", ".5") or a ratio of integers ("3/4", "-7/2"). The exponent has at most
# 4 digits so that a hostile string cannot demand an astronomically large integer.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?|[+-]?\d+/\d+", re.ASCII)


# ---------------------------------------------------------------------------------------------------
# Input conversion


def _entry(x: object, name: str, where: str) -> Fraction:
    """One exact rational; `where` (e.g. ", entry (0, 1)") locates x inside the argument `name`."""
    what = f"argument '{name}'{where}"
    if isinstance(x, bool):
        raise InputError(f"{what} is a bool ({x}); a number is required", symbol=name)
    if isinstance(x, (int, Fraction)):
        return Fraction(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise InputError(f"{what} is {x}; only finite numbers are allowed", symbol=name,
                             hint="replace NaN/Inf by a finite value")
        return Fraction(x)
    if isinstance(x, str):
        text = x.strip()
        if not _NUMBER.fullmatch(text):
            raise InputError(f"{what} is the string {x!r}, which is not a number", symbol=name,
                             hint="write an integer, a decimal like '-0.25' or '1.5e-3' (exponent of at "
                                  "most 4 digits) or a ratio like '3/4'")
        try:
            return Fraction(text)
        except ZeroDivisionError:
            raise InputError(f"{what} is {x!r}, which has a zero denominator", symbol=name) from None
    if hasattr(x, "tolist"):  # a numpy scalar: unwrapped to a Python bool, int or float, handled above
        value = x.tolist()
        if isinstance(value, (bool, int, float)):
            return _entry(value, name, where)
    raise InputError(f"{what} has type {type(x).__name__}; expected an int, Fraction, finite float or "
                     "number string", symbol=name)


def to_fraction(x: object, name: str = "x") -> Fraction:
    """One exact rational from an int, a Fraction, a finite float or a strict decimal/ratio string."""
    return _entry(x, name, "")


def to_fraction_vector(v: object, name: str = "v") -> Vector:
    """A list of exact rationals from a 1-D list/tuple/numpy array."""
    if hasattr(v, "tolist"):
        v = v.tolist()
    if not isinstance(v, (list, tuple)):
        raise InputError(f"argument '{name}' must be a 1-D sequence of numbers, got {type(v).__name__}",
                         symbol=name)
    return [_entry(x, name, f", entry {i}") for i, x in enumerate(v)]


def to_fraction_matrix(A: object, name: str = "A") -> Matrix:
    """A rectangular list of rows of exact rationals from nested lists/tuples or a 2-D numpy array."""
    if hasattr(A, "tolist"):
        A = A.tolist()
    if not isinstance(A, (list, tuple)) or not all(isinstance(row, (list, tuple)) for row in A):
        raise InputError(f"argument '{name}' must be a 2-D matrix (a list of rows)", symbol=name,
                         hint="pass e.g. [[1, 0], [0, 1]]")
    if A and any(len(row) != len(A[0]) for row in A):
        lengths = [len(row) for row in A]
        raise InputError(f"argument '{name}' is not rectangular: row lengths are {lengths}", symbol=name,
                         hint="give every row the same number of entries")
    return [[_entry(x, name, f", entry ({i}, {j})") for j, x in enumerate(row)] for i, row in enumerate(A)]


def _square(A: object, name: str) -> Matrix:
    M = to_fraction_matrix(A, name)
    if not M or len(M) != len(M[0]):
        raise KernelError(f"square: '{name}' must be a non-empty square matrix, got {len(M)} row(s)"
                          f"{' of length ' + str(len(M[0])) if M else ''}")
    return M


def _symmetric(S: object, name: str) -> Matrix:
    M = _square(S, name)
    n = len(M)
    for i in range(n):
        for j in range(i + 1, n):
            if M[i][j] != M[j][i]:
                raise KernelError(f"symmetric: '{name}' is not exactly symmetric: entry ({i}, {j}) = {M[i][j]} but "
                                  f"entry ({j}, {i}) = {M[j][i]}")
    return M


def _positive_weights(eta: object, n: int, name: str) -> Vector:
    w = to_fraction_vector(eta, name)
    if len(w) != n:
        raise KernelError(f"positive_weights: '{name}' has {len(w)} entries; the matrix is {n}x{n}")
    for i, x in enumerate(w):
        if x <= 0:
            raise KernelError(f"positive_weights: '{name}' must be positive; entry {i} is {x}")
    return w


# ---------------------------------------------------------------------------------------------------
# LDL^T and positive (semi-)definiteness


def _eliminate(S: Matrix) -> tuple[Matrix, Vector, bool]:
    """Symmetric elimination without pivoting: (L, d, ok) with S = L diag(d) L^T when ok.

    ok is False when a zero pivot meets a nonzero entry in the rest of its row (no LDL^T without pivoting
    exists, and S is not PSD); L and d then hold the columns computed so far.
    """
    n = len(S)
    a = [row[:] for row in S]  # the trailing block a[k:][k:] is the current Schur complement
    L = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    d: Vector = []
    for k in range(n):
        p = a[k][k]
        d.append(p)
        if p == 0:
            if any(a[k][j] != 0 for j in range(k + 1, n)):
                return L, d, False
            continue
        for i in range(k + 1, n):
            L[i][k] = a[i][k] / p
        for i in range(k + 1, n):
            if L[i][k] != 0:
                for j in range(k + 1, i + 1):
                    a[i][j] -= L[i][k] * a[k][j]
                    a[j][i] = a[i][j]
    return L, d, True


def ldl_exact(S: object) -> tuple[Matrix, Vector]:
    """(L, d) with S = L diag(d) L^T, L unit lower triangular; KernelError if S is not symmetric or needs
    pivoting (a zero pivot with a nonzero remainder of its row)."""
    L, d, ok = _eliminate(_symmetric(S, "S"))
    if not ok:
        raise KernelError(f"ldl_exact: 'S' has no LDL^T factorisation without pivoting (zero pivot {len(d) - 1} "
                          "with a nonzero entry to its right); it is indefinite")
    return L, d


def is_psd_exact(S: object) -> bool:
    """Exactly: is the symmetric rational matrix S positive semi-definite?"""
    _, d, ok = _eliminate(_symmetric(S, "S"))
    return ok and all(p >= 0 for p in d)


def is_pd_exact(S: object) -> bool:
    """Exactly: is the symmetric rational matrix S positive definite?

    Sylvester's criterion (S > 0 iff every leading principal minor is > 0), with the minors read from FLINT's
    fraction-free LU of the integer matrix A = q S, q > 0 the lcm of the denominators (q keeps every sign). FLINT
    returns P A = L D^-1 U with P a permutation, L lower and U upper triangular, D diagonal. When P = I, the k-th
    leading block is A_k = L_k D_k^-1 U_k (the triangular shapes cut off everything past k), so
    det A_k = prod_{i <= k} L_ii U_ii / D_ii, and every minor is > 0 iff every L_ii U_ii D_ii > 0. A row exchange
    (P != I) or a zero on a diagonal answers False: never a false True. FLINT's integer arithmetic is exact; about
    10x faster than the elimination in Fractions below at n = 80, whose entries' lengths grow step by step.
    """
    M = _symmetric(S, "S")
    n = len(M)
    if n == 0:
        return True
    # deferred: python-flint is loaded only when an exact definiteness test runs
    from flint import fmpz_mat

    q = 1
    for row in M:
        for x in row:
            q = math.lcm(q, x.denominator)
    A = fmpz_mat(n, n, [(x.numerator * (q // x.denominator)) for row in M for x in row])
    P, L, D, U = A.fflu()
    if any(P[i, j] != (1 if i == j else 0) for i in range(n) for j in range(n)):
        return False
    return all(L[i, i] * U[i, i] * D[i, i] > 0 for i in range(n))


# ---------------------------------------------------------------------------------------------------
# l1 / l-infinity measures and norms (closed formulas, docs/theory.md section 1)


def norm1_exact(A: object) -> Fraction:
    """Induced l1 norm: the largest column sum of |a_ij|."""
    M = to_fraction_matrix(A, "A")
    if not M or not M[0]:
        raise KernelError("norm1_exact: 'A' must be a non-empty matrix")
    return max(sum(abs(M[i][j]) for i in range(len(M))) for j in range(len(M[0])))


def norminf_exact(A: object) -> Fraction:
    """Induced l-infinity norm: the largest row sum of |a_ij|."""
    M = to_fraction_matrix(A, "A")
    if not M or not M[0]:
        raise KernelError("norminf_exact: 'A' must be a non-empty matrix")
    return max(sum(abs(x) for x in row) for row in M)


def mu1_weighted_exact(A: object, eta: object) -> Fraction:
    """mu_1(diag(eta) A diag(eta)^-1) = max_j ( a_jj + sum_{i != j} eta_i |a_ij| / eta_j ), eta > 0."""
    M = _square(A, "A")
    n = len(M)
    w = _positive_weights(eta, n, "eta")
    return max(M[j][j] + sum(w[i] * abs(M[i][j]) for i in range(n) if i != j) / w[j] for j in range(n))


def muinf_weighted_exact(A: object, eta: object) -> Fraction:
    """mu_inf(diag(eta)^-1 A diag(eta)) = max_i ( a_ii + sum_{j != i} |a_ij| eta_j / eta_i ), eta > 0."""
    M = _square(A, "A")
    n = len(M)
    w = _positive_weights(eta, n, "eta")
    return max(M[i][i] + sum(abs(M[i][j]) * w[j] for j in range(n) if j != i) / w[i] for i in range(n))


def mu1_exact(A: object) -> Fraction:
    """mu_1(A) = max_j ( a_jj + sum_{i != j} |a_ij| )  (columns)."""
    M = _square(A, "A")
    return mu1_weighted_exact(M, [1] * len(M))


def muinf_exact(A: object) -> Fraction:
    """mu_inf(A) = max_i ( a_ii + sum_{j != i} |a_ij| )  (rows)."""
    M = _square(A, "A")
    return muinf_weighted_exact(M, [1] * len(M))


# ---------------------------------------------------------------------------------------------------
# l2 measures, by reduction to the exact PSD test


def mu2_le_exact(A: object, b: object) -> bool:
    """Exactly: mu_2(A) = lambda_max(sym(A)) <= b, i.e. b I - (A + A^T)/2 is PSD."""
    M = _square(A, "A")
    c = to_fraction(b, "b")
    n = len(M)
    S = [[c * (i == j) - (M[i][j] + M[j][i]) / 2 for j in range(n)] for i in range(n)]
    return is_psd_exact(S)


def mu2_weighted_le_exact(A: object, P: object, b: object) -> bool:
    """Exactly: A^T P + P A <= 2 b P for a symmetric positive definite P (the P-weighted mu_2 is <= b)."""
    M = _square(A, "A")
    Q = _symmetric(P, "P")
    c = to_fraction(b, "b")
    n = len(M)
    if len(Q) != n:
        raise KernelError(f"mu2_weighted_le_exact: 'P' is {len(Q)}x{len(Q)} but 'A' is {n}x{n}")
    if not is_pd_exact(Q):
        raise KernelError("mu2_weighted_le_exact: 'P' is not positive definite, so it defines no weighted l2 norm")
    PA = [[sum(Q[i][k] * M[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
    S = [[2 * c * Q[i][j] - PA[j][i] - PA[i][j] for j in range(n)] for i in range(n)]  # (PA)^T = A^T P
    return is_psd_exact(S)


# ---------------------------------------------------------------------------------------------------
# Metzler matrices


def metzler_majorant_exact(A: object) -> Matrix:
    """The Metzler majorant: the diagonal of A kept, off-diagonal entries replaced by their absolute values."""
    M = _square(A, "A")
    return [[x if i == j else abs(x) for j, x in enumerate(row)] for i, row in enumerate(M)]


def collatz_wielandt_lower_exact(M: object, v: object) -> Fraction:
    """min_i (M v)_i / v_i for a Metzler M and v > 0: a rigorous lower bound on alpha(M)."""
    N = _square(M, "M")
    n = len(N)
    w = _positive_weights(v, n, "v")
    for i in range(n):
        for j in range(n):
            if i != j and N[i][j] < 0:
                raise KernelError(f"collatz_wielandt_lower_exact: 'M' is not Metzler: off-diagonal entry ({i}, "
                                  f"{j}) is {N[i][j]} < 0")
    return min(sum(N[i][j] * w[j] for j in range(n)) / w[i] for i in range(n))
