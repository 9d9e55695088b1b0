"""The input -> output map of x' = -x + J phi(x) + W_in u + b, y = W_out x, simulated with RK4: the same for the
balanced network when phi is positively homogeneous."""

from __future__ import annotations

from typing import Callable

import numpy as np

from certify.errors import InputError
from certify.families.balancing.validate import _io, _square


def _activation(phi: str | Callable[[np.ndarray], np.ndarray], slope: float) -> Callable:
    if callable(phi):
        return phi
    table = {
        "relu": lambda x: np.maximum(x, 0.0),
        "leaky_relu": lambda x: np.where(x > 0, x, slope * x),
        "linear": lambda x: x,
        "tanh": np.tanh,
    }
    if phi not in table:
        raise InputError(f"phi must be one of {sorted(table)} or a callable, got {phi!r}", symbol="phi")
    return table[phi]


def io_map(
    J: object,
    W_in: object,
    W_out: object,
    b: object,
    phi: str | Callable[[np.ndarray], np.ndarray],
    u: object,
    *,
    t_end: float = 10.0,
    dt: float = 0.01,
    x0: object = None,
    trajectory: bool = False,
    leak_slope: float = 0.1,
) -> np.ndarray:
    """Simulate x' = -x + J phi(x) + W_in u(t) + b, y = W_out x with classical RK4 (fixed step dt)
    from x0 (default 0) and return y(t_end), or the array of y at every step (first row t = 0) when
    `trajectory`. `u` is a constant input vector or a callable t -> vector; `b` may be None.

    For positively homogeneous phi (relu, leaky_relu, linear) the balanced network (same u, x0
    transformed as D^-1 x0) gives the same y; for tanh it generally does not."""
    A = _square(J)
    n = A.shape[0]
    Wi, Wo, bb = _io(n, W_in, W_out, b)
    if Wo is None:
        raise InputError("W_out is missing", symbol="W_out")
    f = _activation(phi, leak_slope)
    Wi2 = None if Wi is None else (Wi if Wi.ndim == 2 else Wi[:, None])
    bias = np.zeros(n) if bb is None else bb.reshape(n)
    if callable(u):
        ufun = u
    else:
        uc = None if u is None else np.atleast_1d(np.asarray(u, dtype=float))
        ufun = lambda _t: uc  # noqa: E731
    if not (dt > 0 and t_end >= 0):
        raise InputError(f"need dt > 0 and t_end >= 0, got dt={dt!r}, t_end={t_end!r}", symbol="dt")

    def drive(tt):
        if Wi2 is None:
            return bias
        uu = np.atleast_1d(np.asarray(ufun(tt), dtype=float))
        if uu.shape != (Wi2.shape[1],):
            raise InputError(f"u must have length {Wi2.shape[1]} (columns of W_in), got shape {uu.shape}",
                             symbol="u")
        return Wi2 @ uu + bias

    def F(tt, x):
        return -x + A @ f(x) + drive(tt)

    x = np.zeros(n) if x0 is None else np.asarray(x0, dtype=float).reshape(n)
    steps = int(round(t_end / dt))
    ys = [Wo @ x] if trajectory else None
    tt = 0.0
    for _ in range(steps):
        k1 = F(tt, x)
        k2 = F(tt + dt / 2, x + dt / 2 * k1)
        k3 = F(tt + dt / 2, x + dt / 2 * k2)
        k4 = F(tt + dt, x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        tt += dt
        if trajectory:
            ys.append(Wo @ x)
    return np.array(ys) if trajectory else Wo @ x
