"""Sparse weight matrices (TRUSTED): the compressed-sparse-row structure checked, and weighted row sums over it.

A sparse W reaches the kernel as any object with `data`, `indices`, `indptr`, `shape` (and `format == "csr"`), such
as scipy.sparse.csr_matrix; the kernel itself imports no SciPy. `csr_parts` checks the structure instead of trusting
it; `csr_snapshot` reads the arrays once, so that a rate and its fingerprint are about the same matrix;
`weighted_sparse_bound` is verified.weighted_row_bound for a sparse W, with the same error model (stated in
verified.py: one rounded product per term, sums of non-negative terms in any order, underflow added back, the
maximum evaluated exactly over the rows that can hold it).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import KernelError
from .verified import ETA, U, _largest_bound, float_array


def csr_parts(W) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """(data, indices, row of each entry, diagonal, n) of a square sparse matrix in compressed sparse row form (any
    object with `data`, `indices`, `indptr` and `shape`, such as scipy.sparse.csr_matrix; the kernel itself uses no
    SciPy). The structure is checked, not trusted: indptr runs from 0 to nnz without decreasing, every column index
    is in range, and within a row the indices strictly increase, so no entry is stored twice (a repeated entry would
    stand for a rounded sum)."""
    if getattr(W, "format", "csr") != "csr":
        # scipy's CSC (and csc_array) has the same three arrays, with indptr over columns: read as rows it is W^T
        raise KernelError(f"csr_parts: a sparse matrix in format {getattr(W, 'format')!r} is not compressed sparse "
                          "rows (convert it with .tocsr())")
    try:
        shape = tuple(int(x) for x in W.shape)
        data = float_array(np.asarray(W.data), "W.data", 1) if len(W.data) else np.zeros(0)
        indices, indptr = np.asarray(W.indices), np.asarray(W.indptr)
    except (AttributeError, TypeError, ValueError) as exc:
        raise KernelError(f"csr_parts: not a compressed sparse row matrix ({exc})") from None
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] == 0:
        raise KernelError(f"csr_parts: W must be a non-empty square matrix, got shape {shape}")
    n = shape[0]
    if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu" or indices.ndim != 1 or indptr.ndim != 1:
        raise KernelError("csr_parts: the index arrays must be integer vectors")
    # differences in int64: an unsigned (or narrow) indptr that decreases would wrap around to a large count
    counts = np.diff(indptr.astype(np.int64))
    if len(indptr) != n + 1 or indptr[0] != 0 or indptr[-1] != len(data) or len(indices) != len(data) \
            or np.any(counts < 0):
        raise KernelError("csr_parts: inconsistent index arrays (indptr must run from 0 to nnz without decreasing)")
    if len(indices) and (indices.min() < 0 or indices.max() >= n):
        raise KernelError("csr_parts: a column index is out of range")
    indices = indices.astype(np.int64)          # in range, so exact; numpy's bincount takes no uint64
    row = np.repeat(np.arange(n), counts)
    if len(indices) > 1 and not np.all((indices[1:] > indices[:-1]) | (row[1:] != row[:-1])):
        raise KernelError("csr_parts: indices must strictly increase within each row (sorted, no entry stored twice)")
    diag = np.zeros(n)
    on = indices == row
    diag[row[on]] = data[on]
    return data, indices, row, diag, n


def csr_snapshot(W) -> object:
    """W (csr_parts) read once: copies of its arrays, made read-only, in an object csr_parts accepts. The rate and the
    fingerprint of one piece of evidence are computed from the snapshot, so that they are about the same matrix even
    when W's attributes return different arrays at each read."""
    try:
        parts = {name: np.array(getattr(W, name), copy=True) for name in ("data", "indices", "indptr")}
        shape, fmt = tuple(W.shape), getattr(W, "format", "csr")
    except (AttributeError, TypeError, ValueError) as exc:
        raise KernelError(f"csr_parts: not a compressed sparse row matrix ({exc})") from None
    for a in parts.values():
        a.setflags(write=False)
    snapshot = _CSR(shape=shape, format=fmt, **parts)
    csr_parts(snapshot)
    return snapshot


@dataclass(frozen=True)
class _CSR:
    shape: tuple
    format: str
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray


def weighted_sparse_bound(W, eta: np.ndarray, positive_diagonal: bool, columns: bool) -> Fraction:
    """weighted_row_bound for a sparse W (csr_parts), over rows (linf) or over columns (l1, i.e. the rows of W^T):
    max_i [ d_i + sum_{j != i} |w_ij| eta_j / eta_i ] bounded from above. The error model is weighted_row_bound's:
    each off-diagonal sum has at most n non-negative terms, each one rounded product, added in any order
    (numpy.bincount), so the exact sum is at most (s~ + n eta_min) / (1 - gamma_n); the rest is exact."""
    data, indices, row, diag, n = csr_parts(W)
    eta = float_array(eta, "eta", 1)
    if eta.shape != (n,) or np.any(eta <= 0):
        raise KernelError(f"weighted_rate: the weights must be {n} positive numbers")
    off = indices != row
    owner, other = (indices[off], row[off]) if columns else (row[off], indices[off])
    with np.errstate(over="ignore"):
        sums = np.bincount(owner, weights=np.abs(data[off]) * eta[other], minlength=n)
    if not np.all(np.isfinite(sums)):
        raise KernelError("weighted_rate: overflow while bounding the weighted measure")
    return _largest_bound(diag, sums, eta, positive_diagonal)
