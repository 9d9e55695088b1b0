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


def network_fingerprint(W: object, g: object, form: str, linear: bool) -> str:
    """SHA-256 of the exact network: every entry of W as an exact rational, g, the form, linearity."""
    h = hashlib.sha256(f"{form}|{Fraction(g)}|{bool(linear)}|".encode())
    if isinstance(W, np.ndarray):
        arr = np.ascontiguousarray(W, dtype=np.float64)
        h.update(f"{arr.shape}".encode())
        h.update(arr.tobytes())
    else:
        rows = [[Fraction(x) for x in row] for row in W]
        if all(Fraction(float(x)) == x for row in rows for x in row):   # the same bytes as the binary64 path
            arr = np.array([[float(x) for x in row] for row in rows], dtype=np.float64)
            h.update(f"{arr.shape}".encode())
            h.update(arr.tobytes())
        else:
            h.update(repr([[str(x) for x in row] for row in rows]).encode())
    return "sha256:" + h.hexdigest()


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
