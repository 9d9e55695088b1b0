"""Exact square matrices for W0: binary64 arrays kept as arrays, everything else as rows of Fractions.

Every binary64 number is a rational, so a float64 array is already an exact matrix: it is kept as a read-only
float64 array and no Fraction is made until some code asks for the rows (`rows`, iteration, indexing). Integer
arrays whose entries binary64 holds exactly (|x| <= 2^53) are kept the same way; larger integers and inline
rationals such as 1/5 are kept as Fractions. A scipy.sparse matrix is kept sparse (CSR, binary64 values).

The checks that scale (weighted l1/linf rates, verified l2 bounds, the LMI re-check) take `exact_array()` or
`sparse()` and reason about binary64 data with their own error model; small exact checks read `rows`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterator

import numpy as np

_INT_EXACT = 2 ** 53
#: a sparse W0 up to this size is checked as a dense array (every certificate kind); above it, sparse (weighted
#: l1 / linf rates only: no dense n x n matrix is ever made)
DENSE_MAX_N = 2000


class ExactMatrix:
    """An n x n matrix of exact rationals (see the module docstring). Behaves like a tuple of rows of Fractions
    (len, indexing, iteration) for code that reads small matrices entry by entry."""

    __slots__ = ("_array", "_rows", "_sparse", "_digest")

    def __init__(self, *, array: np.ndarray | None = None, rows=None, sparse=None) -> None:
        self._array = array
        self._rows = rows
        self._sparse = sparse
        self._digest: str | None = None

    # -- construction ---------------------------------------------------------------------------------------------
    @classmethod
    def from_rows(cls, rows) -> "ExactMatrix":
        """From rows of exact numbers (ints, Fractions, or floats read as the rationals they are)."""
        return cls(rows=tuple(tuple(x if type(x) is Fraction else Fraction(x) for x in row) for row in rows))

    @classmethod
    def from_array(cls, arr: np.ndarray) -> "ExactMatrix":
        """From a real numeric numpy array, exactly: float16/32/64 as binary64, integers as binary64 when binary64
        holds them (else as Fractions), booleans as 0/1. The caller has checked the dtype and finiteness."""
        if arr.dtype.kind == "f":
            out = np.array(arr, dtype=np.float64, copy=True)
        elif arr.dtype.kind in "biu":
            if arr.size and arr.dtype.kind != "b" and int(np.abs(arr.astype(object)).max()) > _INT_EXACT:
                return cls.from_rows(arr.tolist())
            out = arr.astype(np.float64)
        else:
            raise TypeError(f"ExactMatrix.from_array: dtype {arr.dtype} is not a real numeric dtype")
        out.setflags(write=False)
        return cls(array=out)

    @classmethod
    def from_sparse(cls, mat) -> "ExactMatrix":
        """From a scipy.sparse matrix with real binary64 (or narrower float, or integer) values, kept sparse."""
        csr = mat.tocsr(copy=True)
        if csr.dtype.kind in "iu" and csr.nnz and int(np.abs(csr.data.astype(object)).max()) > _INT_EXACT:
            return cls.from_rows(csr.toarray().tolist())
        csr = csr.astype(np.float64)
        csr.sort_indices()
        if csr.nnz > 1:
            rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
            same = (csr.indices[1:] == csr.indices[:-1]) & (rows[1:] == rows[:-1])
            if np.any(same):
                i = int(np.argmax(same))
                raise ValueError(f"it stores entry ({int(rows[i])}, {int(csr.indices[i])}) more than once (scipy would "
                                 "add the copies, rounding the sum); call W.sum_duplicates() first")
        csr.eliminate_zeros()
        return cls(sparse=csr)

    # -- views ----------------------------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        if self._array is not None:
            return int(self._array.shape[0])
        if self._sparse is not None:
            return int(self._sparse.shape[0])
        return len(self._rows)

    @property
    def shape(self) -> tuple[int, int]:
        if self._array is not None:
            return tuple(self._array.shape)
        if self._sparse is not None:
            return tuple(self._sparse.shape)
        return (len(self._rows), len(self._rows[0]) if self._rows else 0)

    @property
    def is_sparse(self) -> bool:
        return self._sparse is not None

    def sparse(self):
        """The CSR matrix (binary64 values) when the matrix was given sparse, else None."""
        return self._sparse

    def exact_array(self) -> np.ndarray | None:
        """A read-only float64 array equal to the matrix exactly, or None when some entry is not a binary64
        number (then use `rows`). Dense only: a sparse matrix is densified here, so large sparse callers use
        `sparse()`."""
        if self._array is None:
            if self._sparse is not None:
                arr = self._sparse.toarray()
            else:
                # deferred: loaded only when this path runs (keeps this module's import light)
                from certify.kernel.evidence import is_binary64
                flat = [x for row in self._rows for x in row]
                if not all(is_binary64(x) for x in flat):
                    return None
                arr = np.array([float(x) for x in flat], dtype=np.float64).reshape(self.shape)
            arr.setflags(write=False)
            self._array = arr
        return self._array

    def float_array(self) -> np.ndarray:
        """A float64 copy for numerical search (rounded where an entry is not binary64)."""
        arr = self.exact_array()
        if arr is not None:
            return np.array(arr, dtype=np.float64, copy=True)
        return np.array([[float(x) for x in row] for row in self._rows], dtype=np.float64)

    @property
    def rows(self) -> tuple[tuple[Fraction, ...], ...]:
        """The entries as rows of Fractions (made on first use: n^2 Fractions)."""
        if self._rows is None:
            arr = self._array if self._array is not None else self._sparse.toarray()
            self._rows = tuple(tuple(Fraction(x) for x in row) for row in arr.tolist())
        return self._rows

    def kernel_input(self):
        """What the kernel's checks take: a large sparse matrix as it is (CSR), a small one and every binary64 matrix
        as the exact float64 array, else the rows of Fractions."""
        if self._sparse is not None and self.n > DENSE_MAX_N:
            return self._sparse
        arr = self.exact_array()
        return arr if arr is not None else [list(r) for r in self.rows]

    def digest(self) -> str:
        """SHA-256 of the exact entries as the kernel fingerprints `kernel_input()` (kernel/evidence.py
        weights_digest), so that kernel evidence about this matrix can be recognised."""
        if self._digest is None:
            # deferred: loaded only when this path runs (keeps this module's import light)
            from certify.kernel.evidence import weights_digest
            self._digest = weights_digest(self.kernel_input())
        return self._digest

    # -- a tuple of rows, for small-matrix code -------------------------------------------------------------------
    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        return self.rows[i]

    def __iter__(self) -> Iterator[tuple[Fraction, ...]]:
        return iter(self.rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ExactMatrix):
            return self.shape == other.shape and self.digest() == other.digest()
        if isinstance(other, (tuple, list)):
            return [list(r) for r in self.rows] == [list(r) for r in other]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.digest())

    def __repr__(self) -> str:
        kind = "sparse" if self._sparse is not None else ("binary64" if self._array is not None else "rational")
        return f"ExactMatrix({self.n} x {self.n}, {kind})"
