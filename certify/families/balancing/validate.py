"""Input validation for synaptic balancing: matrices, the exponent p, cost weights, tolerances, input/output weights;
each failure is an InputError naming the argument."""

from __future__ import annotations

import math

import numpy as np

from certify.errors import InputError


def _matrix(x: object, name: str, *, ndim: int | tuple[int, ...] = 2) -> np.ndarray:
    if x is None:
        raise InputError(f"{name} is missing", symbol=name)
    if hasattr(x, "toarray") and not isinstance(x, np.ndarray):  # scipy.sparse
        x = x.toarray()
    if np.iscomplexobj(x):
        raise InputError(f"{name} holds complex values; complex values are not allowed (dropping the imaginary "
                         "part would change the network)", symbol=name, hint="pass the real array")
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array, got {type(x).__name__}: {exc}",
                         symbol=name) from None
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if a.ndim not in dims:
        want = " or ".join(f"{d}-D" for d in dims)
        raise InputError(f"{name} must be {want}, got shape {a.shape}", symbol=name)
    if not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise InputError(f"{name} contains NaN or Inf (first at index {tuple(int(k) for k in bad)}: "
                         f"{a[tuple(bad)]})", symbol=name, hint="replace non-finite weights")
    return a


def _square(J: object) -> np.ndarray:
    a = _matrix(J, "J")
    if a.shape[0] != a.shape[1]:
        raise InputError(f"J must be square (n x n), got shape {a.shape}", symbol="J",
                         hint="J[i, j] is the synapse from neuron j to neuron i")
    return a


def _positive(x: object, name: str, hint: str | None = None) -> float:
    """x as a finite float > 0, else an InputError naming `name`."""
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number > 0, got {x!r}", symbol=name) from None
    if not (v > 0 and math.isfinite(v)):
        raise InputError(f"{name} must be a finite number > 0, got {x!r}", symbol=name, hint=hint)
    return v


def _exponent(p: object) -> float:
    return _positive(p, "p", hint="p = 2 (default) is 2-norm (Osborne) balancing, p = 1 the 1-norm")


def _weights(alpha: object, n: int) -> np.ndarray | float:
    if alpha is None:
        return 1.0
    if np.isscalar(alpha):
        a = float(alpha)  # type: ignore[arg-type]
        if not math.isfinite(a) or a <= 0:
            raise InputError(f"alpha must be > 0, got {alpha!r}", symbol="alpha")
        return a
    a = _matrix(alpha, "alpha")
    if a.shape != (n, n):
        raise InputError(f"alpha must have the shape of J, {(n, n)}, got {a.shape}", symbol="alpha")
    if np.any(a <= 0):
        bad = np.argwhere(a <= 0)[0]
        raise InputError(f"alpha must be > 0 everywhere; alpha[{bad[0]},{bad[1]}] = {a[tuple(bad)]}",
                         symbol="alpha", hint="cost weights are positive; zero cost means no synapse")
    return a


def _tolerance(tol: object) -> float:
    return _positive(tol, "tol")


def _io(n: int, W_in: object, W_out: object, b: object) -> tuple[np.ndarray | None, ...]:
    Wi = Wo = bb = None
    if W_in is not None:
        Wi = _matrix(W_in, "W_in", ndim=(1, 2))
        if Wi.shape[0] != n:
            raise InputError(f"W_in must have {n} rows (one per neuron, like J), got shape {Wi.shape}",
                             symbol="W_in")
    if W_out is not None:
        Wo = _matrix(W_out, "W_out", ndim=(1, 2))
        if Wo.shape[-1] != n:
            raise InputError(f"W_out must have {n} columns (one per neuron, like J), got shape {Wo.shape}",
                             symbol="W_out")
    if b is not None:
        bb = _matrix(b, "b", ndim=(1, 2))
        if bb.shape[0] != n or (bb.ndim == 2 and bb.shape[1] != 1):
            raise InputError(f"b must be a vector of length {n}, got shape {bb.shape}", symbol="b")
    return Wi, Wo, bb
