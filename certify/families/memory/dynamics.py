"""The energy E, the vector field and the energy's rate dE/dt in floating point (untrusted numbers), an RK4
simulation, and E and F exactly at rational points for relu and linear."""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import numpy as np

from certify.errors import InputError
from certify.kernel import exact
from certify.families.memory.inputs import lagrangian_name, read_network


def g(x: np.ndarray, lagrangian: str = "relu") -> np.ndarray:
    """The activation g = grad L."""
    lag = lagrangian_name(lagrangian)
    if lag == "relu":
        return np.maximum(x, 0.0)
    if lag == "tanh":
        return np.tanh(x)
    return np.asarray(x, dtype=float)


def hessian_diag(x: np.ndarray, lagrangian: str = "relu") -> np.ndarray:
    """The diagonal of Hess L (relu: 1 on x > 0, else 0)."""
    lag = lagrangian_name(lagrangian)
    x = np.asarray(x, dtype=float)
    if lag == "relu":
        return (x > 0).astype(float)
    if lag == "tanh":
        t = np.exp(-2.0 * np.abs(x))       # sech^2 x = 4 t / (1 + t)^2, without overflow
        return 4.0 * t / (1.0 + t) ** 2
    return np.ones_like(x)


def lagrangian_value(x: np.ndarray, lagrangian: str = "relu") -> float:
    """L(x) = sum_i l(x_i)."""
    lag = lagrangian_name(lagrangian)
    x = np.asarray(x, dtype=float)
    if lag == "relu":
        return float(0.5 * np.sum(np.maximum(x, 0.0) ** 2))
    if lag == "tanh":
        return float(np.sum(np.logaddexp(x, -x) - np.log(2.0)))   # log cosh, without overflow
    return float(0.5 * np.sum(x * x))


def _floats(W: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(W, np.ndarray) and W.dtype == np.float64:
        Wf = W
    else:
        Wf = np.array([[float(v) for v in row] for row in (W.tolist() if hasattr(W, "tolist") else W)], dtype=float)
    if b is None:
        return Wf, np.zeros(Wf.shape[0])
    if isinstance(b, np.ndarray) and b.dtype == np.float64:
        return Wf, b
    return Wf, np.array([float(v) for v in (b.tolist() if hasattr(b, "tolist") else b)], dtype=float)


def _tau_floats(tau: object, n: int) -> np.ndarray:
    if isinstance(tau, (list, tuple, np.ndarray)):
        return np.array([float(t) for t in tau], dtype=float)
    return np.full(n, float(tau))


def energy(W: object, b: object, x: object, lagrangian: str = "relu") -> float:
    """E(x) = (x - b).g(x) - L(x) - 1/2 g^T W g  (floating point)."""
    Wf, bf = _floats(W, b)
    xf = np.asarray(x, dtype=float)
    gx = g(xf, lagrangian)
    return float((xf - bf) @ gx - lagrangian_value(xf, lagrangian) - 0.5 * gx @ Wf @ gx)


def vector_field(W: object, b: object, x: object, lagrangian: str = "relu") -> np.ndarray:
    """F(x) = W g(x) - x + b (tau x' = F)."""
    Wf, bf = _floats(W, b)
    xf = np.asarray(x, dtype=float)
    return Wf @ g(xf, lagrangian) - xf + bf


def velocity(W: object, b: object, x: object, tau: object = 1, lagrangian: str = "relu") -> np.ndarray:
    """x' = T^-1 (W g(x) - x + b)."""
    xf = np.asarray(x, dtype=float)
    return vector_field(W, b, xf, lagrangian) / _tau_floats(tau, xf.size)


def energy_rate(W: object, b: object, x: object, tau: object = 1, lagrangian: str = "relu") -> float:
    """dE/dt = -sum_i tau_i Hess_ii x_i'^2 (the energy identity, evaluated in floating point)."""
    xf = np.asarray(x, dtype=float)
    v = velocity(W, b, xf, tau, lagrangian)
    return float(-np.sum(_tau_floats(tau, xf.size) * hessian_diag(xf, lagrangian) * v * v))


def simulate(W: object, b: object, x0: object, *, tau: object = 1, lagrangian: str = "relu",
             t_end: float = 20.0, dt: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Classical RK4 with a fixed step (untrusted): times (m,) and states (m, n)."""
    Wf, bf = _floats(W, b)
    x = np.array(x0, dtype=float)
    inv_tau = 1.0 / _tau_floats(tau, x.size)
    lag = lagrangian_name(lagrangian)

    def f(y: np.ndarray) -> np.ndarray:
        return (Wf @ g(y, lag) - y + bf) * inv_tau

    steps = max(1, int(round(t_end / dt)))
    xs = np.empty((steps + 1, x.size))
    xs[0] = x
    for k in range(steps):
        k1 = f(x)
        k2 = f(x + 0.5 * dt * k1)
        k3 = f(x + 0.5 * dt * k2)
        k4 = f(x + dt * k3)
        x = x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        xs[k + 1] = x
    return np.linspace(0.0, steps * dt, steps + 1), xs


def energy_exact(W: object, b: object, x: object, lagrangian: str = "relu") -> Fraction:
    """E(x) exactly for relu and linear: Q(p) = 1/2 p^T (I - W) p - b^T p with p = relu(x) (resp. p = x)."""
    lag = lagrangian_name(lagrangian)
    if lag == "tanh":
        raise InputError("the tanh energy is irrational at rational points; use energy()", symbol="lagrangian")
    Wq, bq = read_network(W, b)
    xq = exact.to_fraction_vector(x, "x")
    p = [v if (lag == "linear" or v > 0) else Fraction(0) for v in xq]
    n = len(p)
    Wp = [sum((Wq[i][j] * p[j] for j in range(n) if p[j]), Fraction(0)) for i in range(n)]
    return sum((p[i] * p[i] - p[i] * Wp[i] for i in range(n)), Fraction(0)) / 2 - sum(
        (bq[i] * p[i] for i in range(n)), Fraction(0))


def field_exact(W: list[list[Fraction]], b: list[Fraction], x: Sequence[Fraction], lagrangian: str = "relu"
                ) -> list[Fraction]:
    """F(x) = W g(x) - x + b exactly (relu or linear)."""
    lag = lagrangian_name(lagrangian)
    n = len(x)
    p = [v if (lag == "linear" or v > 0) else Fraction(0) for v in x]
    return [sum((W[i][j] * p[j] for j in range(n) if p[j]), Fraction(0)) - x[i] + b[i] for i in range(n)]
