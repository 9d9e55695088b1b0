"""OpenBLAS thread control and our own two-thread split of large products for the barrier search (performance
only; never changes what is proved)."""

from __future__ import annotations

import ctypes
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def _openblas_handles() -> list:
    """(get, set) ctypes functions of every OpenBLAS library loaded in this process (numpy's and
    scipy's wheels each bundle one), found through /proc/self/maps. Empty where that does not work."""
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


# ---------------------------------------------------------------------------------------------------
# Our own two-way splitting of large products (OpenBLAS stays at one thread)
#
# A second OpenBLAS thread pays off for large products only while the other core is idle: when another process
# runs, OpenBLAS's threaded LAPACK (potrf, potri) and level-2 calls spin on a descheduled thread (measured here
# under load: a 1000 x 1000 potrf 9.5 ms -> 1.3 s). Splitting a product into two halves that run on two Python
# threads (numpy's matmul and elementwise loops release the GIL) uses both cores when they are free and only
# time-slices, never spins, when they are not.

#: products of n x n matrices are split from this n on (below it thread hand-offs cost more than they save)
SPLIT_MIN_N = 300

_state = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _helper() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="certify-lmi")
        return _pool


def split_enabled(n: int) -> bool:
    """Whether products of size n are split over two threads in this thread's current search."""
    return bool(getattr(_state, "on", False)) and n >= SPLIT_MIN_N


def in_pair(f, g):
    """(f(), g()) with g on the helper thread when splitting is on (the caller checks split_enabled)."""
    fut = _helper().submit(g)
    a = f()
    return a, fut.result()


def matmul(A, B):
    """A @ B, the columns of B in two halves on two threads for large products when splitting is on."""
    n = max(A.shape[0], B.shape[1])
    if not split_enabled(n) or B.shape[1] < 2:
        return A @ B
    out = np.empty((A.shape[0], B.shape[1]), dtype=np.result_type(A, B))
    h = B.shape[1] // 2
    in_pair(lambda: np.matmul(A, B[:, :h], out=out[:, :h]), lambda: np.matmul(A, B[:, h:], out=out[:, h:]))
    return out


def gram(C):
    """C @ C.T (symmetric), as two halves of about n^3 / 2 flops each when splitting is on: the diagonal blocks
    C1 C1^T and C2 C2^T on one thread, the off-diagonal block C2 C1^T on the other."""
    n = C.shape[0]
    if not split_enabled(n):
        return C @ C.T
    h = n // 2
    C1, C2 = C[:h], C[h:]
    S = np.empty((n, n))

    def diagonal_blocks():
        S[:h, :h] = C1 @ C1.T
        S[h:, h:] = C2 @ C2.T

    def off_block():
        np.matmul(C2, C1.T, out=S[h:, :h])
        S[:h, h:] = S[h:, :h].T

    in_pair(diagonal_blocks, off_block)
    return S


class _SplitProducts:
    """Context manager: split large products over two threads (see above) in this thread while active, when the
    machine has a second core (force: split on any machine, for tests). The decision depends on n and the core count
    only, never on the load: a split product rounds differently from a whole one, and a search must give the same
    certificate, bit for bit, every time it runs on a machine. (Beside two other processes the split measured 30%
    slower at n = 1000; a load-dependent choice would cost reproducibility.)"""

    def __init__(self, on: bool, force: bool = False) -> None:
        self.on = bool(on) and (force or (os.cpu_count() or 1) >= 2)
        self.saved = False

    def __enter__(self):
        self.saved = getattr(_state, "on", False)
        _state.on = self.on
        return self

    def __exit__(self, *exc) -> None:
        _state.on = self.saved
