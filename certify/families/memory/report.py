"""The analysis's result types (one equilibrium, the whole report) and their renderings: a JSON-ready dictionary and
plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import numpy as np

from certify.families.memory.flat import FlatRegion
from certify.families.memory.lyapunov import StrictLyapunov
from certify.families.memory.stability import _set


@dataclass(frozen=True)
class Equilibrium:
    """One equilibrium. `point` is exact (relu, linear) or a float center (tanh, with `box` the kernel's
    verified enclosure). `active` = {x_i > 0}, `boundary` = {x_i = 0} (relu only). `stability` is
    "stable", "unstable" or "undecided"; `reason` says how it was decided and what is trusted."""
    point: tuple
    active: tuple[int, ...]
    boundary: tuple[int, ...]
    stability: str
    reason: str
    verified: str = ""                 # the kernel's statement that this is an equilibrium
    numeric_abscissa: float | None = None   # largest real part of the float Jacobian's eigenvalues (untrusted)
    exact: bool = True
    box: tuple | None = None           # tanh: (center, radius) of the kernel-verified box, exact rationals

    def floats(self) -> np.ndarray:
        return np.array([float(v) for v in self.point])


@dataclass(frozen=True)
class MemoryReport:
    n: int
    lagrangian: str
    tau: tuple[Fraction, ...]
    W: tuple[tuple[Fraction, ...], ...]
    b: tuple[Fraction, ...]
    equilibria: tuple[Equilibrium, ...]
    method: str                           # "enumeration" (all 2^n active sets), "search", "linear", "krawczyk"
    complete: bool                        # every equilibrium is listed (exact argument)
    degenerate: tuple[tuple[int, ...], ...]   # active sets with singular, consistent I - W_SS
    flat: tuple[FlatRegion, ...]
    flat_count: int                       # number of flat regions (active sets with a dead neuron)
    lyapunov: StrictLyapunov
    contraction: str                      # "refuted", "certified" or "not decided"
    contraction_detail: str
    two_layer: tuple[int, int] | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def memories(self) -> tuple[int, ...]:
        """Indices of the stable equilibria (the stored memories)."""
        return tuple(i for i, e in enumerate(self.equilibria) if e.stability == "stable")


def _q(x) -> str:
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return f"{x:.6g}"


def _vec(v: Sequence) -> str:
    return "(" + ", ".join(_q(x) for x in v) + ")"


def report_dict(rep: MemoryReport) -> dict:
    """A JSON-ready dictionary (exact numbers as strings "p/q"; tanh centers as full-precision float strings)."""
    def s(v):
        return [_q(x) if isinstance(x, Fraction) else repr(float(x)) for x in v]
    return {
        "n": rep.n, "lagrangian": rep.lagrangian, "tau": s(rep.tau),
        "two_layer": None if rep.two_layer is None else {"features": rep.two_layer[0], "hidden": rep.two_layer[1]},
        "equilibria": [{"point": s(e.point), "exact": e.exact, "active": list(e.active), "boundary": list(e.boundary),
                        "stability": e.stability, "reason": e.reason, "verified": e.verified,
                        "numeric_spectral_abscissa_untrusted": e.numeric_abscissa} for e in rep.equilibria],
        "memories": list(rep.memories),
        "method": rep.method, "complete": rep.complete, "degenerate_active_sets": [list(d) for d in rep.degenerate],
        "flat_region_count": rep.flat_count,
        "flat_regions": [{"active": list(f.active), "dead": list(f.dead), "point": s(f.point),
                          "velocity": s(f.velocity), "energy": _q(f.energy), "equilibrium": f.equilibrium,
                          "fiber_of_equilibrium": f.fiber} for f in rep.flat],
        "strict_lyapunov": {"kappa": _q(rep.lyapunov.kappa), "k": _q(rep.lyapunov.k),
                            "decay": _q(rep.lyapunov.delta * rep.lyapunov.tau_min),
                            "frobenius_sq": _q(rep.lyapunov.frobenius_sq), "statement": rep.lyapunov.statement},
        "contraction": rep.contraction, "contraction_detail": rep.contraction_detail, "notes": list(rep.notes),
    }


def render(rep: MemoryReport) -> str:
    """A plain-text report for people."""
    lag_text = {"relu": "L = 1/2 sum relu(x)^2, g = relu, Hess = diag(1[x > 0])",
                "tanh": "L = sum log cosh x, g = tanh, Hess = diag(sech^2 x) > 0",
                "linear": "L = 1/2 |x|^2, g = x, Hess = I"}[rep.lagrangian]
    taus = sorted(set(rep.tau))
    tau_text = _q(taus[0]) if len(taus) == 1 else "(" + ", ".join(_q(t) for t in rep.tau) + ")"
    lines = [f"dense associative memory: tau x' = W g(x) - x + b, n = {rep.n}, tau = {tau_text}",
             f"  Lagrangian: {lag_text}"]
    if rep.two_layer is not None:
        nv, nh = rep.two_layer
        lines.append(f"  two-layer form: {nv} feature + {nh} hidden neurons, W = [[0, xi], [xi^T, 0]], b = (b_v, b_h)")
    lines.append("  energy E = (x - b).g - L - 1/2 g^T W g;  dE/dt = -sum_i tau_i Hess_ii x_i'^2 <= 0")
    mem = rep.memories
    how = {"enumeration": f"exact enumeration of all 2^{rep.n} active sets",
           "search": "active sets from simulations, each checked exactly (list may be incomplete)",
           "linear": "exact solution of (I - W) x = b",
           "krawczyk": "numerical search, each equilibrium in a kernel-verified Krawczyk box (list may be incomplete)"
           }[rep.method]
    lines.append(f"equilibria: {len(rep.equilibria)} ({how}{'' if rep.complete else '; not known to be complete'}); "
                 f"stable (stored memories): {len(mem)}")
    for i, e in enumerate(rep.equilibria):
        lines.append(f"  [{i}] x* = {_vec(e.point)}{'' if e.exact else ' (float center)'}  {e.stability.upper()}")
        if rep.lagrangian == "relu":
            lines.append(f"      active {_set(e.active)}" + (f", on the boundary x_i = 0 for {_set(e.boundary)}"
                                                            if e.boundary else ""))
        lines.append(f"      why: {e.reason}")
        if e.numeric_abscissa is not None:
            lines.append(f"      numeric spectral abscissa of the Jacobian (untrusted, for comparison): "
                         f"{e.numeric_abscissa:.6g}")
    for d in rep.degenerate[:5]:
        lines.append(f"  degenerate active set {_set(d)}: I - W_SS singular, (I - W_SS) x_S = b_S consistent; "
                     "equilibria there (if any) are not isolated; not analysed")
    if len(rep.degenerate) > 5:
        lines.append(f"  ... {len(rep.degenerate) - 5} more degenerate active sets (report_dict lists them all)")
    if rep.lagrangian == "relu":
        lines.append(f"flat regions: {rep.flat_count} (every active set S with a dead neuron: on "
                     "{x_S > 0, x_D <= 0} E = 1/2 p^T (I - W) p - b^T p with p = relu(x) does not depend on x_D)")
        lines.append("  none of them is a set of equilibria: tau_D x_D' = W_DS x_S + b_D - x_D vanishes at one point "
                     "per x_S; explicit points (exact):")
        for f in rep.flat:
            tag = (f"on the flat set of equilibrium [{f.equilibrium}] (same energy, flows to it)" if f.fiber else
                   (f"region holds equilibrium [{f.equilibrium}] only" if f.equilibrium is not None
                    else "region holds no equilibrium"))
            lines.append(f"  S = {_set(f.active)}, dead {_set(f.dead)}: x = {_vec(f.point)}, E = {_q(f.energy)}, "
                         f"x' = {_vec(f.velocity)} != 0; {tag}")
        if rep.flat_count > len(rep.flat):
            lines.append(f"  ... {rep.flat_count - len(rep.flat)} more regions, each with such a point (flat_region)")
    else:
        lines.append("flat regions: none (Hess L > 0 everywhere)" + (
            "; but sech^2 -> 0 for large |x|: E is nearly flat where neurons saturate" if rep.lagrangian == "tanh"
            else ""))
    lines.append(f"Lyapunov function without flat regions (derived, exact constants): {rep.lyapunov.statement}")
    lines.append(f"global contraction: {rep.contraction.upper()}: {rep.contraction_detail}")
    for note in rep.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
