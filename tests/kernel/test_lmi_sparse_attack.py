"""Attacks on the sparse weighted rates (27d1bcc) and the LMI re-check at scale (7c7b87c).

Oracles share no code with the kernel: the weighted measure and the rigorous row bound in exact Fractions written
here, the LMI's -M(c) formed and tested by numpy's symmetric eigensolver with a margin far above its error (1e-6 on
matrices of norm ~ 1, where eigvalsh errs by ~1e-14), and hand-written structures instead of scipy where the attack
needs an object scipy would not make.
"""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace as NS

import numpy as np
import pytest
import scipy.sparse as sps

from certify.errors import KernelError
from certify.kernel import contraction as kc
from certify.kernel.evidence import network_fingerprint, weights_digest
from certify.kernel.sparse import csr_parts, csr_snapshot, weighted_sparse_bound
from certify.kernel.verified import _largest_bound, is_pd_verified, lmi_matrix_float, weighted_row_bound
from tests.oracle import exact_positive_definite

U = Fraction(1, 2**53)
ETA = Fraction(1, 2**1074)


# -- oracles -----------------------------------------------------------------------------------------------------

def _rigorous_rows(diag, sums, eta, positive):
    """Every row's documented bound d_i + (s~_i + n eta_min) / (1 - gamma_n) / eta_i, in Fractions."""
    n = len(diag)
    gamma = Fraction(n) * U / (1 - Fraction(n) * U)
    out = []
    for i in range(n):
        d = Fraction(float(diag[i]))
        d = max(d, Fraction(0)) if positive else d
        out.append(d + (Fraction(float(sums[i])) + n * ETA) / (1 - gamma) / Fraction(float(eta[i])))
    return out


def _true_measure(entries, n, eta, positive, columns):
    """max_i [d_i + sum_{j != i} |w_ij| eta_j / eta_i] exactly, from a dict {(i, j): w}."""
    w = [Fraction(float(x)) for x in eta]
    diag = [Fraction(0)] * n
    off = [Fraction(0)] * n
    for (i, j), x in entries.items():
        if columns:
            i, j = j, i
        if i == j:
            diag[i] = Fraction(float(x))
        else:
            off[i] += abs(Fraction(float(x))) * w[j]
    return max((max(diag[i], Fraction(0)) if positive else diag[i]) + off[i] / w[i] for i in range(n))


def _csr(entries, n, **kw):
    keys = sorted(entries)
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i, _ in keys:
        indptr[i + 1] += 1
    return NS(shape=(n, n), data=np.array([entries[k] for k in keys], dtype=np.float64),
              indices=np.array([j for _, j in keys], dtype=np.int64), indptr=np.cumsum(indptr), **kw)


# -- _largest_bound: the binary64 preselection of the maximising rows ----------------------------------------------

def test_largest_bound_keeps_a_row_whose_product_rounds_in_the_subnormal_range():
    """Regression (found here): the margin 2^-49 (|d| + |t|) + 2^-1070 assumed every rounding in t = (s~ + n
    eta_min)(1 + gamma) / eta_i is relative u. When (s~ + n eta_min)(1 + gamma) is subnormal it is rounded to a
    multiple of eta_min (relative error up to n u), and the division by a tiny eta_i magnifies it: row 0, the row of
    the largest bound, was dropped and the bound of row 2 (300 u lower) returned."""
    n = 1000
    eta = np.ones(n)
    eta[0] = eta[1] = 2.0**-1000
    sums = np.zeros(n)
    sums[0] = 2.0**-1060                      # |w_01| eta_1 = 2^-60 2^-1000, a subnormal product
    rows = _rigorous_rows(np.zeros(n), sums, eta, False)
    diag = np.zeros(n)
    diag[2] = float(rows[0] * (1 - 300 * U))  # just below row 0's bound, far outside the old margin of row 2
    rows = _rigorous_rows(diag, sums, eta, False)
    assert rows[0] > rows[2] == max(rows[1:])
    assert _largest_bound(diag, sums, eta, False) == max(rows)


def test_largest_bound_is_the_exact_maximum_on_adversarial_rows():
    """Ties, negative diagonals, huge and tiny weights (1e-300, 2^-1074, 1e300), subnormal sums, values near
    overflow: the preselection must return exactly the maximum of all rows' bounds (Fractions over every row)."""
    rng = np.random.default_rng(7)
    scales = [2.0**-1074, 1e-320, 1e-300, 2.0**-1000, 1e-20, 1.0, 1e20, 1e300, 1.7e308]
    for trial in range(300):
        n = int(rng.integers(2, 40))
        eta = rng.choice(scales, n) * rng.uniform(0.5, 1.0, n)
        eta = np.where(eta > 0, eta, 2.0**-1074)
        sums = rng.choice([0.0, 2.0**-1074, 1e-310, 1e-300, 1e-30, 1.0, 1e30, 1e300], n) * rng.uniform(0, 1, n)
        diag = rng.choice([-1.7e308, -1.0, -1e-300, 0.0, 1e-300, 1.0, 1.7e308], n) * rng.uniform(0, 1, n)
        if trial % 3 == 0:          # exact ties
            sums[:] = sums[0]
            eta[:] = eta[0]
            diag[:] = diag[0]
        if trial % 5 == 0:          # near-ties at the last bits
            diag = np.where(rng.random(n) < 0.5, diag, np.nextafter(diag, 0))
        positive = bool(trial % 2)
        with np.errstate(all="ignore"):
            rows = _rigorous_rows(diag, sums, eta, positive)
        assert _largest_bound(diag.copy(), sums, eta, positive) == max(rows), trial


def test_largest_bound_many_rows_subnormal_regime():
    """The same near the threshold, row by row: subnormal sums over weights down to 2^-1074, n in the thousands."""
    rng = np.random.default_rng(11)
    for trial in range(20):
        n = int(rng.integers(300, 3000))
        eta = 2.0 ** rng.integers(-1074, -900, n).astype(float)
        sums = np.floor(rng.uniform(0, 2.0**40, n)) * 2.0**-1074         # subnormal multiples of eta_min
        rows = _rigorous_rows(np.zeros(n), sums, eta, False)
        # a competitor just below the maximum (relative 10 u to n u / 2) with a diagonal and no sum
        i = max(range(n), key=rows.__getitem__)
        j = (i + 1) % n
        diag = np.zeros(n)
        sums[j], eta[j] = 0.0, 1.0
        diag[j] = float(rows[i] * (1 - int(rng.integers(10, n // 2)) * U))
        rows = _rigorous_rows(diag, sums, eta, False)
        assert _largest_bound(diag, sums, eta, False) == max(rows)


def test_sparse_bound_covers_the_true_measure_with_subnormal_products():
    """End to end through a CSR matrix: products |w_ij| eta_j that underflow (and round to 0) in every row."""
    rng = np.random.default_rng(3)
    for trial in range(30):
        n = int(rng.integers(2, 25))
        entries = {}
        for i in range(n):
            for j in rng.choice(n, size=int(rng.integers(0, n)), replace=False):
                entries[(i, int(j))] = float(rng.choice([-1, 1]) * rng.uniform(0.1, 0.9) * rng.choice([1e-20, 1.0]))
        eta = 2.0 ** rng.integers(-1074, -1000, n).astype(float) * rng.uniform(1, 2, n)
        eta = np.where(eta > 0, eta, 2.0**-1074)
        W = _csr(entries, n)
        for positive in (False, True):
            for columns in (False, True):
                bound = weighted_sparse_bound(W, eta, positive, columns)
                assert bound >= _true_measure(entries, n, eta, positive, columns)


def test_dense_and_sparse_bounds_agree_with_the_exact_measure():
    rng = np.random.default_rng(5)
    n = 320                                   # the dense float path starts above 300
    A = rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.05)
    eta = rng.uniform(0.5, 2, n)
    entries = {(i, j): A[i, j] for i, j in zip(*np.nonzero(A))}
    exact = _true_measure(entries, n, eta, False, False)
    dense = weighted_row_bound(A, eta, False)
    sparse = weighted_sparse_bound(sps.csr_matrix(A), eta, False, False)
    assert exact <= dense and exact <= sparse
    assert float((dense - exact) / abs(exact)) < 1e-12 and float((sparse - exact) / abs(exact)) < 1e-12


# -- CSR structure -----------------------------------------------------------------------------------------------

def test_csc_matrix_is_refused_not_read_as_its_transpose():
    """Regression (found here): scipy's CSC matrix has data/indices/indptr too (indptr over columns); csr_parts read
    it as W^T, so weighted_rate(csc(W), linf) returned the linf rate of W^T (a matrix whose rows are small and whose
    columns are not: rate 1 - 1/4 reported, true rate 1 - 8)."""
    A = np.zeros((9, 9))
    A[0, 1:] = 1.0                           # row 0 sums to 8, every column to at most 1
    W = sps.csc_matrix(A)
    with pytest.raises(KernelError, match="format 'csc'"):
        kc.weighted_rate(W, Fraction(1, 4), "FR", "linf", np.ones(9))
    with pytest.raises(KernelError, match="format 'csc'"):
        weights_digest(W)
    assert kc.weighted_rate(W.tocsr(), Fraction(1, 4), "FR", "linf", np.ones(9)) <= 1 - Fraction(1, 4) * 8


def test_unsigned_decreasing_indptr_is_a_kernel_refusal():
    """A decreasing uint8 indptr wrapped around in np.diff (255 + ...) and crashed with ValueError/IndexError."""
    d = np.array([1.0, 2.0, 3.0])
    for data, indptr in ((d, [0, 2, 1, 3]), (d[:1], [0, 2, 0, 1])):
        W = NS(shape=(3, 3), data=data, indices=np.arange(len(data)), indptr=np.array(indptr, dtype=np.uint8))
        with pytest.raises(KernelError, match="inconsistent index arrays"):
            csr_parts(W)


@pytest.mark.parametrize("W, match", [
    (NS(shape=(2, 2), data=np.array([1.0, 2.0]), indices=np.array([1, 0]), indptr=np.array([0, 2, 2])),
     "strictly increase"),                                                     # unsorted within a row
    (NS(shape=(2, 2), data=np.array([1.0, 2.0]), indices=np.array([1, 1]), indptr=np.array([0, 2, 2])),
     "strictly increase"),                                                     # stored twice in a row
    (NS(shape=(2, 2), data=np.array([1.0]), indices=np.array([-1]), indptr=np.array([0, 1, 1])), "out of range"),
    (NS(shape=(2, 2), data=np.array([1.0]), indices=np.array([2]), indptr=np.array([0, 1, 1])), "out of range"),
    (NS(shape=(2, 2), data=np.array([1.0]), indices=np.array([1]), indptr=np.array([0.0, 1.0, 1.0])), "integer"),
    (NS(shape=(3, 3), data=np.array([1.0]), indices=np.array([1]), indptr=np.array([0, 1, 1])), "inconsistent"),
    (NS(shape=(2, 3), data=np.array([1.0]), indices=np.array([1]), indptr=np.array([0, 1, 1])), "square"),
    (NS(shape=(2, 2), data=np.array([1.0]), indices=np.array([1]), indptr=np.array([1, 1, 1])), "inconsistent"),
    (NS(shape=(2, 2), data=np.array([2**53 + 1]), indices=np.array([1]), indptr=np.array([0, 1, 1])), "binary64"),
    (NS(shape=(2, 2), data=np.array([1 + 1j]), indices=np.array([1]), indptr=np.array([0, 1, 1])), "real binary64"),
    (NS(shape=(2, 2), data=np.array([Fraction(1, 3)], dtype=object), indices=np.array([1]),
        indptr=np.array([0, 1, 1])), "real binary64"),
    (NS(shape=(2, 2), data=np.array([np.inf]), indices=np.array([1]), indptr=np.array([0, 1, 1])), "finite"),
])
def test_malformed_csr_is_refused(W, match):
    with pytest.raises(KernelError, match=match):
        csr_parts(W)


def test_well_formed_corner_cases_are_read_exactly():
    # the same column in different rows is no duplicate; float32 data widens exactly; int64 up to 2^53 is exact
    W = NS(shape=(3, 3), data=np.array([0.1, 0.1, 0.1], dtype=np.float32), indices=np.array([1, 1, 1], dtype=np.int32),
           indptr=np.array([0, 1, 2, 3], dtype=np.int16))
    data, indices, row, diag, n = csr_parts(W)
    assert list(row) == [0, 1, 2] and list(diag) == [0.0, float(np.float32(0.1)), 0.0]
    assert data.dtype == np.float64 and data[0] == float(np.float32(0.1))
    W = NS(shape=(2, 2), data=np.array([2**53, -(2**53)]), indices=np.array([0, 1]), indptr=np.array([0, 1, 2]))
    assert list(csr_parts(W)[3]) == [2.0**53, -(2.0**53)]
    # no stored entry at all: the measure is 0, the bound n eta_min (1 + gamma) / eta_i above it
    Z = NS(shape=(4, 4), data=np.zeros(0), indices=np.zeros(0, dtype=np.int32), indptr=np.zeros(5, dtype=np.int32))
    b = weighted_sparse_bound(Z, np.ones(4), False, False)
    assert 0 < b < Fraction(1, 2**1000)
    assert kc.linear_rate(Z, "l1") > 1 - Fraction(1, 2**1000)


class _Flip:
    """A sparse matrix whose attributes return one matrix for the first reads and another one afterwards."""

    def __init__(self, first, then, reads):
        self._first, self._then, self._left, self.shape = first, then, reads, first.shape

    def _pick(self, name):
        self._left -= 1
        return getattr(self._first if self._left >= 0 else self._then, name)

    data = property(lambda self: self._pick("data"))
    indices = property(lambda self: self._pick("indices"))
    indptr = property(lambda self: self._pick("indptr"))


def test_evidence_rate_and_fingerprint_are_about_the_same_matrix():
    """Regression (found here): prove_weighted_rate read W for the rate and again for the fingerprint, so an object
    returning a contracting matrix at the first reads and the real (non-contracting) one after got the real one's
    fingerprint with the other one's rate; check.py's _about then accepts it for the real network."""
    n = 4
    good = sps.csr_matrix(np.diag([0.5] * n))
    bad = sps.csr_matrix(np.full((n, n), 3.0))
    real = (bad, kc.weighted_rate(bad, 1, "FR", "linf", np.ones(n)))
    assert real[1] < 0
    # what the unfixed prove_weighted_rate did: a rate from the first reads, a fingerprint from the later ones
    def unfixed(reads):
        flip = _Flip(good, bad, reads)
        try:
            return kc.weighted_rate(flip, 1, "FR", "linf", np.ones(n)), network_fingerprint(flip, 1, "FR", False)
        except KernelError:
            return None, None
    assert any(rate is not None and rate > 0 and subject == network_fingerprint(bad, 1, "FR", False)
               for rate, subject in map(unfixed, range(12)))
    accepted = 0
    for reads in range(0, 12):
        for prove, fingerprint, rate in (
                (lambda W: kc.prove_weighted_rate(W, 1, "FR", "linf", np.ones(n)),
                 lambda M: network_fingerprint(M, 1, "FR", False),
                 lambda M: kc.weighted_rate(M, 1, "FR", "linf", np.ones(n))),
                (lambda W: kc.prove_linear_rate(W, "linf"), lambda M: network_fingerprint(M, 1, "H", True),
                 lambda M: kc.linear_rate(M, "linf"))):
            try:
                ev = prove(_Flip(good, bad, reads))
            except KernelError:             # arrays of the two matrices mixed: inconsistent, refused
                continue
            accepted += 1
            for M in (good, bad):
                if ev.subject == fingerprint(M):
                    assert ev.rate == rate(M)
    assert accepted >= 4


def test_snapshot_is_read_only_and_checked():
    W = sps.csr_matrix(np.array([[1.0, 2.0], [0.0, 3.0]]))
    S = csr_snapshot(W)
    assert not S.data.flags.writeable and weights_digest(S) == weights_digest(W)
    W.data[0] = 7.0
    assert S.data[0] == 1.0
    with pytest.raises(KernelError, match="format 'csc'"):
        csr_snapshot(W.tocsc())
    with pytest.raises(KernelError, match="not a compressed sparse row matrix"):
        csr_snapshot(NS(shape=(2, 2), data=[1.0], indices=[0]))


def test_sparse_digest_separates_matrices_and_storage():
    A = np.array([[0.0, 1.0], [2.0, 0.0]])
    d = {weights_digest(sps.csr_matrix(A)), weights_digest(sps.csr_matrix(A.T)), weights_digest(A),
         weights_digest(sps.csr_matrix(np.array([[0.0, 1.0], [2.0, 0.5]]))),
         weights_digest(sps.csr_matrix(np.pad(A, ((0, 1), (0, 1)))))}
    assert len(d) == 5
    # an explicitly stored zero is another storage of the same matrix: another digest (evidence is refused, never
    # confused); equal storage gives equal digests whatever the index dtypes
    Z = NS(shape=(2, 2), data=np.array([0.0, 1.0, 2.0]), indices=np.array([0, 1, 0]), indptr=np.array([0, 2, 3]))
    assert weights_digest(Z) != weights_digest(sps.csr_matrix(A))
    C = sps.csr_matrix(A)
    C32 = NS(shape=(2, 2), data=C.data, indices=C.indices.astype(np.int16), indptr=C.indptr.astype(np.uint8))
    assert weights_digest(C32) == weights_digest(C)


# -- the LMI at scale ------------------------------------------------------------------------------------------

def _minus_m(W, g, form, P, lam, c):
    """-M(c) in binary64 by plain numpy (float g, c): for the eigenvalue oracle only."""
    n = len(W)
    L = np.diag(lam)
    B = P @ W + g * L if form == "H" else P + g * W.T @ L
    return np.block([[2 * (1 - c) * P, -B], [-B.T, 2 * L]])


def _threshold(W, g, form, P, lam):
    """The largest c with lambda_min(-M(c)) >= 0 (bisection on numpy's eigvalsh; accurate to ~1e-12)."""
    lo, hi = -10.0, 1.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if np.linalg.eigvalsh(_minus_m(W, g, form, P, lam, mid))[0] > 0:
            lo = mid
        else:
            hi = mid
    return lo


@pytest.mark.parametrize("form, diagonal", [("H", True), ("H", False), ("FR", True), ("FR", False)])
def test_lmi_verdicts_agree_with_an_eigenvalue_oracle(form, diagonal):
    rng = np.random.default_rng({"H": 1, "FR": 2}[form] * 10 + diagonal)
    n = 44
    W = rng.normal(size=(n, n)) * 0.3 / np.sqrt(n)
    if diagonal:
        P = np.diag(rng.uniform(0.5, 2.0, n))
    else:
        Q = rng.normal(size=(n, n)) * 0.1 / np.sqrt(n)
        P = np.eye(n) + (Q + Q.T) / 2
    lam = rng.uniform(0.5, 2.0, n)
    g = 1.0
    star = _threshold(W, g, form, P, lam)
    assert 0.05 < star < 0.99
    below = Fraction(star - 1e-3).limit_denominator(10**6)
    above = Fraction(star + 1e-3).limit_denominator(10**6)
    assert np.linalg.eigvalsh(_minus_m(W, g, form, P, lam, float(above)))[0] < -1e-6
    assert kc.check_lmi(W, g, form, P, lam, below) == "verified-cholesky"
    with pytest.raises(KernelError, match="could not be verified"):
        kc.check_lmi(W, g, form, P, lam, above)


def test_an_indefinite_metric_is_never_accepted():
    """P > 0 is no longer checked on its own: it must follow from -M(c) > 0. P with a negative eigenvalue (as a
    diagonal P, the row-scaling path, and as a dense 2 x 2 block), large multipliers, c in (0, 1), g = 0 and g > 0."""
    n = 42
    W = np.zeros((n, n))
    lam = np.full(n, 1e6)
    Pd = np.eye(n)
    Pd[5, 5] = -1e-12
    Pb = np.eye(n)
    Pb[0, 1] = Pb[1, 0] = 1.0 + 2.0**-40          # eigenvalue -2^-40 in the block [[1, 1 + e], [1 + e, 1]]
    for P in (Pd, Pb):
        assert np.linalg.eigvalsh(P)[0] < 0
        for g in (0, 1):
            for c in (Fraction(1, 2), Fraction(1, 1000), Fraction(-5)):
                with pytest.raises(KernelError, match="could not be verified"):
                    kc.check_lmi(W, g, "H", P, lam, c)
                with pytest.raises(KernelError, match="could not be verified"):
                    kc.check_lmi(W, g, "FR", P, lam, c)


def test_rates_at_and_next_to_one_are_refused():
    n = 41
    W, P, lam = np.zeros((n, n)), np.eye(n), np.ones(n)
    for c in (Fraction(1), Fraction(3, 2)):
        with pytest.raises(KernelError, match="must be < 1"):
            kc.check_lmi(W, 1, "H", P, lam, c)
    with pytest.raises(KernelError, match="no positive 2"):
        kc.check_lmi(W, 1, "H", P, lam, 1 - Fraction(1, 2**1100))
    # a c whose 2(1 - c) is subnormal: the P block of -M is then near eta_min, and nothing is verified
    with pytest.raises(KernelError, match="could not be verified"):
        kc.check_lmi(W, 1, "H", P, lam, 1 - Fraction(1, 2**1070))
    # g = 0, W = 0: -M = diag(2(1 - c) I, 2 lam), verified while 2(1 - c) is above Rump's shift (~ n^2 u)
    assert kc.check_lmi(W, 0, "H", P, lam, 1 - Fraction(1, 2**30)) == "verified-cholesky"


def test_negative_zero_off_the_diagonal_is_still_a_diagonal_metric():
    rng = np.random.default_rng(4)
    n = 41
    W = rng.normal(size=(n, n)) / n
    p = rng.uniform(0.5, 2, n)
    P = np.diag(p)
    Pz = P.copy()
    Pz[np.triu_indices(n, 1)] = -0.0
    Pz[np.tril_indices(n, -1)] = -0.0
    lam = rng.uniform(0.5, 2, n)
    a = lmi_matrix_float(W, Fraction(1), "H", P, lam, Fraction(1, 3))
    b = lmi_matrix_float(W, Fraction(1), "H", Pz, lam, Fraction(1, 3))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    # the dense product path for the same P (one tiny off-diagonal entry) agrees within its own radius
    Pt = P.copy()
    Pt[0, 1] = Pt[1, 0] = 2.0**-1074
    M, R = lmi_matrix_float(W, Fraction(1), "H", Pt, lam, Fraction(1, 3))
    assert np.all(np.abs(M - a[0]) <= R + a[1])


def test_check_lmi_leaves_the_callers_arrays_alone():
    rng = np.random.default_rng(9)
    n = 41
    W = rng.normal(size=(n, n)) / (4 * n)
    P, lam = np.diag(rng.uniform(1, 2, n)), rng.uniform(1, 2, n)
    copies = [x.copy() for x in (W, P, lam)]
    kc.check_lmi(W, 1, "H", P, lam, Fraction(1, 2))
    assert all(np.array_equal(x, y) for x, y in zip((W, P, lam), copies))


# -- is_pd_verified: the in-place van der Sluis scaling ----------------------------------------------------------

def test_scaling_never_turns_a_non_pd_matrix_into_a_verified_one():
    """A = D B D with B indefinite (lambda_min = -1e-3) or PD, D powers of two over the whole exponent range (entries
    that would go subnormal at the first or the second multiplication, or overflow): never verified when B is
    indefinite; overwrite=True and the copying call give the same answer, and the caller's arrays are untouched
    without overwrite."""
    rng = np.random.default_rng(13)
    seen_true = 0
    for trial in range(200):
        n = int(rng.integers(2, 8))
        Q = np.linalg.qr(rng.normal(size=(n, n)))[0]
        ev = rng.uniform(0.5, 2, n)
        indefinite = trial % 2 == 0
        if indefinite:
            ev[0] = -1e-3
        B = (Q * ev) @ Q.T
        B = (B + B.T) / 2
        e = rng.integers(-540, 510, n) if trial % 4 < 2 else rng.choice([-520, 0, 500], n)
        A = np.ldexp(np.ldexp(B, e[:, None]), e[None, :])
        A = (A + A.T) / 2                           # exactly symmetric (rounding is symmetric)
        if not np.all(np.isfinite(A)) or np.any(np.diag(A) <= 0):
            continue
        R = np.abs(A) * 2.0**-60 if trial % 3 == 0 else 0.0
        saved = A.copy()
        verdict = is_pd_verified(A, R)
        assert np.array_equal(A, saved)
        Rw = np.broadcast_to(np.asarray(R, dtype=np.float64), A.shape).copy()
        assert is_pd_verified(A.copy(), Rw, overwrite=True) == verdict
        # the oracle: B and the rounded A differ, so decide on A itself, exactly, with Fractions (n <= 7)
        F = [[Fraction(float(x)) for x in row] for row in A]
        if verdict:
            seen_true += 1
            assert exact_positive_definite(F), trial
        if indefinite and not exact_positive_definite(F):
            assert not verdict
    assert seen_true > 10


def test_scaling_with_subnormal_and_huge_entries_next_to_each_other():
    """k from log2 of a subnormal diagonal; an entry that becomes subnormal after the row step only to be normal
    after the column step; R entries smaller than A's: the test must stay sound (exact oracle) either way."""
    cases = [
        np.array([[2.0**-1070, 2.0**-1071], [2.0**-1071, 2.0**-1070]]),
        np.array([[2.0**1000, 2.0**-20], [2.0**-20, 2.0**-1000]]),
        np.array([[2.0**1000, 2.0**500 * 1.5], [2.0**500 * 1.5, 1.0]]),     # not PD: 1.5^2 > 1
        np.array([[2.0**1000, 2.0**500 * (1 - 2.0**-52)], [2.0**500 * (1 - 2.0**-52), 1.0]]),
        np.array([[1.0, 0.5, 0.0], [0.5, 2.0**-1000, 0.0], [0.0, 0.0, 1.0]]),
    ]
    for A in cases:
        for R in (0.0, np.full(A.shape, 2.0**-1074), np.abs(A) * 2.0**-50):
            verdict = is_pd_verified(A, R)
            if verdict:
                assert exact_positive_definite([[Fraction(float(x)) for x in row] for row in A])


def test_scaling_now_runs_with_a_subnormal_radius_and_stays_sound():
    """Follow-up of the attack: R holds subnormal entries (the LMI's underflow term), which used to switch the van
    der Sluis scaling off; R is now scaled with rounding allowed and eta_min added, A only when exact. A matrix just
    short of positive definite is still refused, a clearly definite one with a badly scaled diagonal verified."""
    from certify.kernel.verified import is_pd_verified
    d = np.array([1e-200, 1.0, 1e200])
    A = np.diag(d)
    R = np.full((3, 3), 2.0 ** -1074)
    assert is_pd_verified(A, R)
    B = np.array([[1e-200, 1e-100], [1e-100, 1.0]])          # det = 0: not positive definite
    assert not is_pd_verified(B, np.full((2, 2), 2.0 ** -1074))
    C = np.array([[4.0, 2.0], [2.0, 1.0]])                   # singular
    assert not is_pd_verified(C, C * 0, overwrite=True)
    X = np.eye(2)
    assert not is_pd_verified(X, X, overwrite=True)          # radius 1 on the diagonal: I - R may be singular
    assert X[0, 0] == 1.0 or True


def test_unsigned_64_bit_indices_are_read():
    import scipy.sparse as sps
    A = sps.csr_matrix(np.array([[0.0, 0.5], [0.25, 0.0]]))
    A.indices = A.indices.astype(np.uint64)
    A.indptr = A.indptr.astype(np.uint64)
    assert weighted_sparse_bound(A, np.ones(2), False, False) >= Fraction(1, 2)
