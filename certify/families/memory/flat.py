"""Flat regions of the relu energy: an explicit rational point of each region R_S with its exact, nonzero
velocity."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from certify.errors import InputError, KernelError
from certify.families.memory.dynamics import energy_exact, field_exact
from certify.families.memory.inputs import read_network, read_tau


@dataclass(frozen=True)
class FlatRegion:
    """R_S = {x_S > 0, x_D <= 0}: E is constant along x_D there. `point` lies in R_S, `velocity` is x' there
    (exact, nonzero), `energy` is E(point) (exact). `equilibrium` indexes the one equilibrium inside R_S
    (None: none); `fiber` is True when `point` lies on the flat set {x_S = x*_S, x_D <= 0} of that
    equilibrium, which flows to it in closed form x_D(t) = x*_D + e^(-t/tau) (x_D(0) - x*_D)."""
    active: tuple[int, ...]
    dead: tuple[int, ...]
    point: tuple[Fraction, ...]
    velocity: tuple[Fraction, ...]
    energy: Fraction
    equilibrium: int | None
    fiber: bool


def flat_region(W: object, b: object, active: Sequence[int], tau: object = 1,
                equilibrium: Sequence[Fraction] | None = None, index: int | None = None) -> FlatRegion:
    """An explicit point of the flat region of active set `active` (relu) and its exact nonzero velocity.
    With `equilibrium` (an equilibrium whose positive set is `active`), the point is that equilibrium with
    every dead coordinate lowered by 1: same energy, not an equilibrium, velocity 1/tau_i on the dead block."""
    Wq, bq = read_network(W, b)
    n = len(Wq)
    t = read_tau(tau, n)
    S = tuple(sorted(set(int(i) for i in active)))
    if any(not 0 <= i < n for i in S):
        raise InputError(f"active set {S} has indices outside 0..{n - 1}", symbol="active")
    D = tuple(i for i in range(n) if i not in S)
    if not D:
        raise InputError("the active set is every neuron: that region has no dead coordinate, so it is not flat",
                         symbol="active", hint="give an active set with at least one dead neuron")
    if equilibrium is not None:
        x = [Fraction(v) for v in equilibrium]
        if tuple(i for i in range(n) if x[i] > 0) != S:
            raise InputError("the equilibrium's positive set is not the given active set", symbol="equilibrium")
        for i in D:
            x[i] -= 1
        fiber = True
    else:
        x = [Fraction(0)] * n
        for i in S:
            x[i] = Fraction(1)
        for i in D:
            drive = sum((Wq[i][j] for j in S), Fraction(0)) + bq[i]    # W_DS 1 + b_D
            x[i] = min(Fraction(-1), drive - 1)
        fiber = False
    F = field_exact(Wq, bq, x)
    vel = tuple(F[i] / t[i] for i in range(n))
    if all(v == 0 for v in vel):  # cannot happen: the dead block of F is >= 1 by construction
        raise KernelError("internal error: the chosen point of the flat region is an equilibrium")  # pragma: no cover
    return FlatRegion(S, D, tuple(x), vel, energy_exact(Wq, bq, x), index, fiber)
