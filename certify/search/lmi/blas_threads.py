"""OpenBLAS thread control for the barrier search (performance only; never changes a result)."""

from __future__ import annotations

import ctypes


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
