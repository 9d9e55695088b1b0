"""Attacks on the binary64 start value of a plastic network (commit 0860039: verified.mu2_below_verified,
verified.norm2_below_verified, contraction._start_value_float and its memo).

Each test tries to make the kernel claim mu_2(W) < b, ||W||_2 < b, or an l1/linf start value below the true one,
for an input chosen against one hypothesis of the error model: the rounding of W + W^T, the diagonal 2 b~ - 2 w_ii,
subnormal and near-overflow data, round_down of b, b <= 0, NaN/inf, dtypes other than float64, memory layouts,
numpy subclasses, the memo keyed by the weights digest. None succeeded; they stay as regression tests.

The oracle shares no code with the kernel: Fractions, Gaussian elimination with exact pivots (a symmetric matrix is
positive definite iff every pivot is > 0), and, for l1/linf, the row sums written out here.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

from certify.kernel import contraction as kc
from certify.kernel.verified import mu2_below_verified, norm2_below_verified
from tests.oracle import exact_positive_definite

ETA = Fraction(1, 2 ** 1074)


# -- the oracle ---------------------------------------------------------------------------------------------------

def _rows(W) -> list[list[Fraction]]:
    return [[Fraction(float(x)) for x in row] for row in np.asarray(W, dtype=np.float64).tolist()]


def mu2_lt(W, b: Fraction) -> bool:
    """lambda_max(sym W) < b, exactly."""
    F = _rows(W)
    n = len(F)
    return exact_positive_definite([[b * (i == j) - (F[i][j] + F[j][i]) / 2 for j in range(n)] for i in range(n)])


def norm2_lt(W, b: Fraction) -> bool:
    """||W||_2 < b, exactly."""
    if b <= 0:
        return False
    F = _rows(W)
    n = len(F)
    G = [[sum(F[k][i] * F[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
    return exact_positive_definite([[b * b * (i == j) - G[i][j] for j in range(n)] for i in range(n)])


def true_start(W, norm: str, route: str) -> Fraction:
    """mu_1/mu_inf or ||.||_1/||.||_inf of the exact numbers in the array W (read entry by entry, nonzeros only)."""
    A = np.asarray(W) if norm == "linf" else np.asarray(W).T
    best = None
    for i in range(A.shape[0]):
        d, s = Fraction(0), Fraction(0)
        for j in np.nonzero(A[i])[0].tolist():
            x = A[i, j].item()
            x = Fraction(int(x)) if isinstance(x, (bool, int)) else Fraction(x)
            if j == i:
                d = x
            else:
                s += abs(x)
        value = (d if route == "measure" else abs(d)) + s
        best = value if best is None or value > best else best
    return best


def _claims(which: str, W, b: Fraction) -> bool:
    """What the kernel claims; a KernelError (nothing claimed) counts as False."""
    from certify.errors import KernelError
    try:
        with np.errstate(all="ignore"):
            return (mu2_below_verified if which == "mu" else norm2_below_verified)(W, b)
    except KernelError:
        return False


def _near(top: float) -> set[Fraction]:
    """Candidate bounds around a float value: neighbouring floats, relative and absolute (subnormal) shifts."""
    out, t = set(), Fraction(top)
    for d in range(-3, 4):
        out.add(t * (1 + Fraction(d, 2 ** 50)))
        out.add(t + d * ETA)
        f = top
        for _ in range(abs(d)):
            f = math.nextafter(f, math.inf if d > 0 else -math.inf)
        if math.isfinite(f):
            out.add(Fraction(f))
    return out


# -- mu2_below_verified / norm2_below_verified ----------------------------------------------------------------

@pytest.mark.parametrize("k", [-1074, -1060, -1030, -1000, -500, 0, 500, 1000, 1020])
def test_no_overclaim_at_any_scale(k):
    """Random small matrices scaled by 2^k (subnormal, normal, near overflow), b at the float value +- a few ulps
    and +- a few subnormal steps: every True is confirmed exactly."""
    rng = np.random.default_rng(2000 + k)
    for trial in range(25):
        n = int(rng.integers(1, 5))
        with np.errstate(all="ignore"):
            base = rng.normal(size=(n, n)) if trial % 2 else rng.integers(-8, 9, size=(n, n)).astype(float)
            W = np.ldexp(base, k)
        W = np.where(np.isfinite(W), W, 0.0)
        with np.errstate(all="ignore"):
            mu = np.linalg.eigvalsh(W / 2 + W.T / 2).max()
            nrm = np.linalg.norm(W, 2)
        for which, top, oracle in (("mu", mu, mu2_lt), ("norm", nrm, norm2_lt)):
            top = float(top) if np.isfinite(top) else 0.0
            for b in _near(top):
                if _claims(which, W, b):
                    assert oracle(W, b), (which, W.tolist(), b)


@pytest.mark.parametrize("k", [-1074, -1050, -1000, 0, 1000, 1015])
def test_rank_one_boundary_exactly(k):
    """W = 2^k v v^T (+ a skew part whose float entries make w_ij + w_ji round): lambda_max(sym W) = 2^k |v|^2 is
    known exactly; at b = that value (and one subnormal step or one relative ulp below) nothing may be claimed."""
    rng = np.random.default_rng(2000 + k)
    for _ in range(15):
        n = int(rng.integers(2, 6))
        v = rng.integers(-5, 6, size=n)
        v[0] = v[0] or 1
        lam = Fraction(int(v @ v)) * Fraction(2) ** k
        sk = rng.normal(size=(n, n))
        with np.errstate(all="ignore"):
            W = np.ldexp(np.outer(v, v) + (sk - sk.T) * 1e-12, k) if k > -1060 else np.ldexp(np.outer(v, v) * 1.0, k)
        if not np.all(np.isfinite(W)):
            continue
        for b in (lam, lam - ETA, lam * (1 - Fraction(1, 2 ** 52)), lam + ETA, lam * (1 + Fraction(1, 2 ** 40))):
            for which, oracle in (("mu", mu2_lt), ("norm", norm2_lt)):
                if _claims(which, W, b):
                    assert oracle(W, b), (which, W.tolist(), b)


def test_rounding_of_w_plus_wt_is_covered():
    """w_01 + w_10 = 1 + 2^-53 rounds to 1: the true mu_2 is 1/2 + 2^-54, above the float guess 1/2."""
    W = np.array([[0.0, 1.0], [2.0 ** -53, 0.0]])
    true = Fraction(1, 2) + Fraction(1, 2 ** 54)
    assert not mu2_below_verified(W, true)
    assert not mu2_below_verified(W, Fraction(1, 2))
    assert mu2_below_verified(W, Fraction(1, 2) + Fraction(1, 2 ** 40))
    assert mu2_lt(W, Fraction(1, 2) + Fraction(1, 2 ** 40))


def test_diagonal_matrices_at_the_boundary():
    """mu_2(diag(w)) = max w_i exactly, ||diag(w)|| = max |w_i|: b equal to it is never enough, for normal,
    subnormal and huge w, and for negative measures."""
    for w in ([1.0, -3.0], [float(ETA), 0.0], [5e-324, 1e-323], [1.7e308, -1e308], [-2.0, -5.0],
              [2.0 ** -1022, 2.0 ** -1023]):
        W = np.diag(w)
        mu, nrm = Fraction(max(w)), Fraction(max(abs(x) for x in w))
        assert not mu2_below_verified(W, mu)
        assert not norm2_below_verified(W, nrm)
        for b in (mu - ETA, mu + 0):
            assert not _claims("mu", W, b)


def test_the_diagonal_2b_minus_2w_is_one_rounding():
    """2 b~ - 2 w_ii with w_ii and b~ far apart in magnitude: the rounded difference must not hide w_ii."""
    W = np.array([[1.0, 0.0], [0.0, 2.0 ** -60]])
    assert not mu2_below_verified(W, Fraction(1))             # mu_2 = 1
    b = Fraction(1) + Fraction(1, 2 ** 52)                    # one ulp above 1
    assert not mu2_below_verified(W, b) or mu2_lt(W, b)
    assert not mu2_below_verified(W, Fraction(1) - Fraction(1, 2 ** 62))


def test_round_down_of_b():
    """b not a binary64 number: b~ = round_down(b) <= b, so a b just above the true value may fail but a b below it
    never passes; b beyond the binary64 range is refused."""
    from certify.errors import KernelError
    W = np.array([[0.0, 1.0], [1.0, 0.0]])                    # mu_2 = ||W|| = 1
    for b in (Fraction(1) - Fraction(1, 3 * 2 ** 60), Fraction(1), Fraction(2 ** 53 - 1, 2 ** 53)):
        assert not mu2_below_verified(W, b)
        assert not norm2_below_verified(W, b)
    assert mu2_below_verified(W, Fraction(4, 3)) and norm2_below_verified(W, Fraction(4, 3))
    with pytest.raises(KernelError, match="^to_float"):
        mu2_below_verified(W, Fraction(10) ** 400)
    with pytest.raises(KernelError, match="^to_float"):
        mu2_below_verified(W, -Fraction(10) ** 400)


def test_zero_and_negative_b():
    """||W|| < b <= 0 is never true; mu_2 < b < 0 is true for negative definite sym W, and only then."""
    assert not norm2_below_verified(np.zeros((3, 3)), Fraction(0))
    assert not norm2_below_verified(np.zeros((3, 3)), Fraction(-1))
    assert not norm2_below_verified(np.zeros((3, 3)), -ETA)
    W = -np.eye(3)
    assert mu2_below_verified(W, Fraction(-1, 2))
    assert not mu2_below_verified(W, Fraction(-1))
    assert not mu2_below_verified(np.zeros((3, 3)), Fraction(0))
    assert not mu2_below_verified(np.zeros((3, 3)), -ETA)
    assert mu2_below_verified(np.zeros((3, 3)), Fraction(1, 2 ** 1000))
    assert not mu2_below_verified(np.zeros((3, 3)), ETA)       # true, but below Rump's underflow term: not verified


def test_overflow_is_never_a_proof():
    """Entries near 1e308: W + W^T and 2 b~ overflow; nothing is claimed, in particular not a bound below the
    true norm (2e308 here, outside binary64)."""
    big = np.full((2, 2), 1e308)
    for b in (Fraction(1.7e308), Fraction(1e308), Fraction(2) ** 1023):
        assert not _claims("mu", big, b)
        assert not _claims("norm", big, b)
    W = np.array([[0.0, 1.7e308], [0.0, 0.0]])               # ||W|| = 1.7e308, mu_2 = 0.85e308
    assert not _claims("norm", W, Fraction(1.7e308))
    assert not _claims("mu", W, Fraction(0.85e308))
    assert _claims("norm", W, Fraction(1.75e308)) and norm2_lt(W, Fraction(1.75e308))


def test_nan_inf_and_non_binary64_data_are_refused():
    from certify.errors import KernelError
    for bad in (np.array([[np.nan, 0.0], [0.0, 0.0]]), np.array([[np.inf, 0.0], [0.0, 0.0]]),
                np.array([[1 + 0j]]), np.array([[Fraction(1, 3)]], dtype=object),
                np.array([[2 ** 53 + 1]], dtype=np.int64), np.array([[1.0]], dtype=np.longdouble)):
        for f in (mu2_below_verified, norm2_below_verified):
            with pytest.raises(KernelError):
                f(bad, Fraction(10))


# -- contraction._start_value on float64 arrays (the binary64 path) -------------------------------------------

N1 = kc.EXACT_WEIGHTED_LIMIT + 1     # above the limit: the l1/linf binary64 path
N2 = kc.EXACT_LIMIT + 1              # above the limit: the l2 binary64 path


def _sparse_w(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    W = np.zeros((n, n))
    for _ in range(3 * n):
        W[rng.integers(n), rng.integers(n)] = rng.normal() * 2.0 ** int(rng.integers(-30, 30))
    W[5, 5] = -7.5                                            # a negative diagonal entry: |w_ii| on the norm route
    W[5, 6:] = 1e-3
    return W


@pytest.mark.parametrize("norm", ["l1", "linf"])
@pytest.mark.parametrize("route", ["measure", "norm"])
def test_row_sums_never_below_the_truth(norm, route):
    W = _sparse_w(N1, 11)
    assert kc._start_value(W, norm, route) >= true_start(W, norm, route)


def test_norm_route_uses_the_absolute_diagonal():
    """||W||_inf = max_i sum_j |w_ij|: a negative diagonal counts with its absolute value (np.abs(rows) before
    weighted_row_bound's positive part)."""
    W = np.zeros((N1, N1))
    W[0, 0] = -100.0
    assert kc._start_value(W, "linf", "norm") >= 100
    assert kc._start_value(W, "l1", "norm") >= 100
    assert kc._start_value(W, "linf", "measure") >= 0       # mu_inf = max(w_ii + ...) = 0 (other rows)


def test_subnormal_row_sums_are_covered():
    """Off-diagonal entries of size eta_min: the row-sum bound must include them (n eta_min underflow term)."""
    W = np.zeros((N1, N1))
    W[3, :] = 5e-324
    W[3, 3] = 0.0
    got = kc._start_value(W, "linf", "measure")
    assert got >= (N1 - 1) * ETA


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32, np.int64, np.uint8, np.bool_, ">f8", "<f4"])
def test_other_dtypes_read_exactly(dtype):
    rng = np.random.default_rng(5)
    W = np.zeros((N1, N1))
    for _ in range(4 * N1):
        W[rng.integers(N1), rng.integers(N1)] = rng.integers(-64, 64) / 8
    W[:, 7] = 3.0
    W = (np.abs(W) if np.dtype(dtype).kind in "ub" else W).astype(dtype)
    for norm in ("l1", "linf"):
        for route in ("measure", "norm"):
            assert kc._start_value(W, norm, route) >= true_start(W, norm, route)


def test_integers_binary64_cannot_hold_are_refused():
    from certify.errors import KernelError
    for dtype, big in ((np.int64, 2 ** 53 + 1), (np.int64, 2 ** 63 - 1), (np.uint64, 2 ** 64 - 1),
                       (np.uint64, 2 ** 63 + 1)):
        W = np.zeros((N1, N1), dtype=dtype)
        W[0, 1] = big
        with pytest.raises(KernelError, match="binary64 cannot hold"), np.errstate(invalid="ignore"):
            kc._start_value(W, "linf", "measure")
        with pytest.raises(KernelError, match="binary64 cannot hold"), np.errstate(invalid="ignore"):
            kc._start_value(W[:N2, :N2].copy(), "l2", "norm", [Fraction(2) ** 70])


def test_object_and_nonfinite_arrays_are_refused():
    from certify.errors import KernelError
    W = np.full((N1, N1), Fraction(1, 3), dtype=object)
    with pytest.raises(KernelError, match="must hold real binary64"):
        kc._start_value(W, "linf", "measure")
    W = np.zeros((N2, N2))
    W[1, 2] = np.nan
    with pytest.raises(KernelError, match="finite|changed when read"):    # NaN != NaN: "changed when read"
        kc._start_value(W, "l2", "measure", [Fraction(1)])
    W[1, 2] = np.inf
    with pytest.raises(KernelError, match="finite"):
        kc._start_value(W, "l2", "measure", [Fraction(1)])


@pytest.mark.parametrize("layout", ["fortran", "strided", "readonly", "transposed-view"])
def test_memory_layouts(layout):
    """A Fortran-ordered array has the bytes of its transpose: l1 and linf of it must not be confused, in the
    computation or in the memo."""
    base = np.zeros((2 * N1, 2 * N1))
    base[0, 1:N1] = 1.0                                       # row 0 of W: mu_inf = N1 - 1, mu_1 = 1
    W = base[:N1, :N1].copy()
    if layout == "fortran":
        W = np.asfortranarray(W)
    elif layout == "strided":
        big = np.zeros((2 * N1, 2 * N1))
        big[::2, ::2] = W
        W = big[::2, ::2]
    elif layout == "readonly":
        W.setflags(write=False)
    else:
        W = np.ascontiguousarray(W.T).T                       # a view with F layout of the same matrix
    assert kc._start_value(W, "linf", "measure") >= N1 - 1
    assert kc._start_value(np.ascontiguousarray(W.T), "l1", "measure") >= N1 - 1
    assert kc._start_value(W, "l1", "measure") < 2            # mu_1(W) = 1 (+ the rounding allowance)


def test_the_memo_is_not_stale_after_mutation():
    """The memo is keyed by the digest of a copy taken before the proof: mutating the caller's array afterwards
    gives a new key, not the old value."""
    kc._START_MEMO.clear()
    W = np.zeros((N1, N1))
    assert kc._start_value(W, "linf", "measure") < Fraction(1, 10 ** 6)
    W[0, 1:] = 1.0
    assert kc._start_value(W, "linf", "measure") >= N1 - 1
    V = np.zeros((N2, N2))
    b = Fraction(1, 2)
    assert kc._start_value(V, "l2", "measure", [b]) == b
    V[0, 1] = V[1, 0] = 1.0                                    # now mu_2 = 1 > b
    from certify.errors import KernelError
    with pytest.raises(KernelError, match="^start_value: none of the 1 proposed bounds"):
        kc._start_value(V, "l2", "measure", [b])
    with pytest.raises(KernelError, match="^start_value: none of the 1 proposed bounds"):
        kc._start_value(V, "l2", "norm", [b])


def test_the_memo_key_separates_norms_routes_proposals_and_signed_zeros():
    kc._START_MEMO.clear()
    W = np.zeros((N2, N2))
    W[0, 1] = 3.0                                             # mu_2 = 3/2, ||W|| = 3
    assert kc._start_value(W, "l2", "measure", [Fraction(2), Fraction(4)]) == 2
    assert kc._start_value(W, "l2", "norm", [Fraction(2), Fraction(4)]) == 4
    from certify.errors import KernelError
    with pytest.raises(KernelError):
        kc._start_value(W, "l2", "norm", [Fraction(2)])
    Z = np.zeros((N2, N2))
    Zm = -Z
    tiny = Fraction(1, 2 ** 500)
    assert kc._start_value(Z, "l2", "norm", [tiny]) == tiny
    assert kc._start_value(Zm, "l2", "norm", [tiny]) == tiny


def test_numpy_subclasses_never_give_a_low_value():
    """np.matrix and masked arrays are ndarray subclasses: whatever the kernel does with them (a refusal or an
    error is fine), it never returns a value below the start value of the data."""
    W = np.zeros((N1, N1))
    W[0, 1:] = 1.0
    W[2, 3] = W[3, 2] = 50.0
    truth = true_start(W, "linf", "measure")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        subs = (np.asmatrix(W), np.ma.masked_array(W, mask=W != 0))
    for sub in subs:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = kc._start_value(sub, "linf", "measure")
        except Exception:        # noqa: BLE001 - any refusal is sound here
            continue
        assert got >= truth
    V = np.zeros((N2, N2))
    V[0, 1] = V[1, 0] = 100.0                                 # mu_2 = ||V|| = 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        subs = (np.asmatrix(V), np.ma.masked_array(V, mask=V != 0))
    for sub in subs:
        for route in ("measure", "norm"):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    got = kc._start_value(sub, "l2", route, [Fraction(60)])
            except Exception:    # noqa: BLE001 - any refusal is sound here
                continue
            assert got >= 100, (type(sub), route)


def test_bad_proposals_are_refused_not_proved():
    from certify.errors import CertifyError
    W = np.zeros((N2, N2))
    for bad in (float("nan"), float("inf"), True, "1/0", None):
        with pytest.raises(CertifyError):
            kc._start_value(W, "l2", "measure", [bad])
