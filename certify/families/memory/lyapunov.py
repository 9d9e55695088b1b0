"""The strict Lyapunov function V = E + (kappa/2) sum_i tau_i x_i'^2, which has no flat regions: its exact constants
and its floating-point value."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from certify.kernel import exact
from certify.families.memory.dynamics import _tau_floats, energy, velocity
from certify.families.memory.inputs import read_tau


@dataclass(frozen=True)
class StrictLyapunov:
    """V = E + (kappa/2) sum_i tau_i x_i'^2 with dV/dt <= -delta tau_min |x'|^2 (derived; exact constants)."""
    frobenius_sq: Fraction     # ||W||_F^2, an exact upper bound of ||W||_2^2
    k: Fraction                # min(1, 2 / ||W||_F^2)
    kappa: Fraction            # k * tau_min
    delta: Fraction            # k (2 - k) / 4
    tau_min: Fraction

    @property
    def statement(self) -> str:
        return (f"V(x) = E(x) + {self.kappa / 2} sum_i tau_i x_i'^2 satisfies dV/dt <= -{self.delta * self.tau_min} |x'|^2 "
                f"(k = min(1, 2/||W||_F^2) = {self.k}, ||W||_F^2 = {self.frobenius_sq}): strictly decreasing off "
                "equilibria, and not constant along dead coordinates (no flat regions)")


def strict_lyapunov(W: object, tau: object = 1) -> StrictLyapunov:
    """The exact constants of the strict Lyapunov function V (see the module docstring)."""
    Wq = exact.to_fraction_matrix(W, "W")
    t = read_tau(tau, len(Wq))
    fro = sum((w * w for row in Wq for w in row), Fraction(0))
    k = Fraction(1) if fro <= 2 else 2 / fro
    return StrictLyapunov(fro, k, k * min(t), k * (2 - k) / 4, min(t))


def lyapunov_value(W: object, b: object, x: object, tau: object = 1, lagrangian: str = "relu",
                   kappa: float | None = None) -> float:
    """V(x) = E(x) + (kappa/2) sum_i tau_i x_i'^2 in floating point (kappa from `strict_lyapunov` by default)."""
    xf = np.asarray(x, dtype=float)
    if kappa is None:
        kappa = float(strict_lyapunov(W, tau).kappa)
    v = velocity(W, b, xf, tau, lagrangian)
    return energy(W, b, xf, lagrangian) + 0.5 * kappa * float(np.sum(_tau_floats(tau, xf.size) * v * v))
