"""Evidence: results that only the kernel can make (TRUSTED).

A verdict CERTIFIED or REFUTED must rest on one of these objects (check.ClaimResult and search.laws.LawResult
refuse to be built otherwise). Each evidence type calls `only_kernel` when it is constructed, which refuses any
construction whose caller is not a module of certify.kernel -- the discipline of an LCF kernel, where the theorem
type can be made only by the primitive rules. It guards against mistakes and against untrusted search code, not
against deliberate in-process tampering (Python has no private constructors); certificate files are always
re-checked from their evidence, never trusted.

Network evidence is fingerprinted to its subject (`network_fingerprint`: the exact weights, the slope bound, the
form and whether the activation is linear), so a rate proved for one network cannot be presented for another.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import KernelError


def only_kernel(kind: str) -> None:
    """Called from a __post_init__: refuse unless the object is being constructed by kernel code (frame 0: this
    function, 1: __post_init__, 2: the dataclass __init__, 3: whoever called the constructor)."""
    caller = sys._getframe(3).f_globals.get("__name__", "")
    if not caller.startswith("certify.kernel."):
        raise KernelError(f"only_kernel: a {kind} is made only by the kernel's checks, not by {caller or 'unknown'}")


def read_once(x: object, name: str, vector: bool = False) -> object:
    """x read once, so that every check behind one piece of evidence and its fingerprint see the same numbers: a
    sparse matrix as its CSR snapshot, a numpy array of numbers as itself (a subclass as a plain copy), anything else
    -- object arrays included -- as fresh rows (or a list) of plain exact rationals.

    After it no user code runs when the input is read: the entries of an object array or a list are objects whose
    own code (a Fraction subclass's numerator, say) could answer differently at each read, or write into another
    input's buffer, so they are converted here, and every prove_* calls this for all its inputs before its first
    check. (A thread writing into an array meanwhile is outside this guard, as any in-process tampering is.)"""
    if not vector and hasattr(x, "indptr") and hasattr(x, "indices"):
        from .sparse import csr_snapshot   # deferred: sparse imports verified, which evidence need not load otherwise
        return csr_snapshot(x)
    if isinstance(x, np.ndarray) and not x.dtype.hasobject:   # (object fields of a structured dtype count too)
        if x.dtype.kind == "f" and x.dtype.itemsize > 8:
            raise KernelError(f"read_once: {name} holds extended-precision numbers, which would be rounded when "
                              "read; pass binary64 numbers or exact Fractions")
        if type(x) is np.ndarray:
            return x   # numbers in one buffer: every read sees them (no copy of a large W or P)
        return np.array(x, copy=True, subok=False)   # a subclass's methods could answer differently at each call
    from . import exact   # deferred: exact is loaded by every check anyway; evidence needs it only here
    return exact.to_fraction_vector(x, name) if vector else exact.to_fraction_matrix(x, name)


def is_binary64(x: Fraction) -> bool:
    d, m = x.denominator, abs(x.numerator)
    if d & (d - 1) == 0 and m < 2 ** 53 and d <= 2 ** 1074:     # the common case, decided with integers
        return True
    return Fraction(float(x)) == x if abs(x) < 2 ** 1024 else False


def weights_digest(W: object) -> str:
    """SHA-256 of the exact entries of W: the binary64 bytes when every entry is a binary64 number (so a float
    array and the same numbers as Fractions agree), else the exact rationals' text."""
    if hasattr(W, "indptr") and hasattr(W, "indices"):
        # a sparse matrix (compressed sparse rows, checked as sparse.csr_parts checks it): its exact structure and
        # values; a different digest from the dense array of the same matrix, which is never compared with it
        from .sparse import csr_parts   # deferred: sparse imports verified, which evidence need not load otherwise
        data, indices, row, _, n = csr_parts(W)
        h = hashlib.sha256(f"csr {n}".encode())
        for part in (np.ascontiguousarray(row, dtype=np.int64), np.ascontiguousarray(indices, dtype=np.int64),
                     np.ascontiguousarray(data, dtype=np.float64)):
            h.update(part.tobytes())
        return h.hexdigest()
    if isinstance(W, np.ndarray) and W.dtype.kind == "f" and W.dtype.itemsize <= 8:
        arr = np.ascontiguousarray(W, dtype=np.float64)      # binary64 (or narrower) data: its bytes are exact
    else:
        # lists, and numpy integer or object data: read exactly, as the checks read them (an int64 above 2^53 or
        # an object array of Fractions must not share the fingerprint of its binary64 rounding)
        rows = [[x if type(x) is Fraction else Fraction(x) for x in row]
                for row in (W.tolist() if isinstance(W, np.ndarray) else W)]
        values = []
        for row in rows:
            for x in row:
                d, m = x.denominator, x.numerator
                if d & (d - 1) == 0 and -2 ** 53 < m < 2 ** 53 and d <= 2 ** 1074:
                    values.append(m / d)     # int / int is correctly rounded in Python: exact here
                elif is_binary64(x):
                    values.append(float(x))
                else:
                    return hashlib.sha256(repr([[str(x) for x in row] for row in rows]).encode()).hexdigest()
        arr = np.array(values, dtype=np.float64).reshape(len(rows), -1) if rows else np.zeros((0, 0))
    h = hashlib.sha256(f"{arr.shape}".encode())
    h.update(arr.tobytes())
    return h.hexdigest()


def network_fingerprint(W: object, g: object, form: str, linear: bool, digest: str | None = None) -> str:
    """SHA-256 of the exact network: the digest of W's exact entries (computed here unless the caller passes the
    value of weights_digest(W), which it may only use to compare, never to prove), g, the form, linearity."""
    digest = weights_digest(W) if digest is None else digest
    return "sha256:" + hashlib.sha256(f"{form}|{Fraction(g)}|{bool(linear)}|{digest}".encode()).hexdigest()


@dataclass(frozen=True)
class NetworkRate:
    """Proved: every Jacobian of the network `subject` has measure <= -rate in the stated norm (weights or metric),
    so the network contracts at `rate` when rate > 0."""
    subject: str
    norm: str
    rate: Fraction
    method: str

    def __post_init__(self) -> None:
        only_kernel("NetworkRate")


@dataclass(frozen=True)
class PlasticRate:
    """Proved: while W(t) follows the flow from W0 (`subject`), the network contracts at rate c_all for all t >= 0
    (c_all > 0), else at rate c_after for t >= T. `flow` is the kernel's Certificate of the flow bound."""
    subject: str
    c_all: Fraction
    T: Fraction
    c_after: Fraction
    start_value: Fraction
    flow: object

    def __post_init__(self) -> None:
        only_kernel("PlasticRate")


__all__ = ["NetworkRate", "PlasticRate", "network_fingerprint", "only_kernel"]
