"""The numbers of a spectral report and their labels: EXACT (exact rationals), KERNEL (a bound the kernel verified),
FLOAT (untrusted); the size thresholds; `Value` (a labelled number), `Rate` (a network contraction rate) and
`SpectralReport` (everything side by side, with its JSON)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

#: mu_P(W) <= b (mu_2, Lyapunov metrics) is checked by exact rational LDL^T up to this size ...
EXACT_LDL_MAX_N = 40
#: ... and by the kernel's verified Lyapunov check (kernel/stability.py) up to this one; beyond: float only
VERIFIED_MAX_N = 400
#: full (dense) LMI metrics are searched up to this size (about 5 s at n = 200 by the search over the multiplier,
#: search/lmi/full_metric.py); beyond it only the diagonal metric
FULL_LMI_MAX_N = 200
#: the boundary of the numerical range is drawn up to this size
NUMERICAL_RANGE_MAX_N = 500

EXACT, KERNEL, FLOAT = "exact", "kernel", "float"
TRUST_TEXT = {EXACT: "exact", KERNEL: "kernel-verified", FLOAT: "float, untrusted"}
FORMS = ("H", "FR")

#: phi'(0) of the known activations (relu / leaky-relu: the right derivative; the kink is at 0)
SLOPE_AT_ZERO = {"tanh": 1.0, "logistic": 0.25, "softplus": 0.5, "linear": 1.0, "relu": 1.0, "leaky-relu": 1.0}
#: phi(0) = 0: x = 0 is an equilibrium of form H with u = 0 (and of form FR with u = 0)
ZERO_AT_ZERO = ("tanh", "linear", "relu", "leaky-relu")


@dataclass(frozen=True)
class Value:
    """A number with its provenance: `trust` is EXACT, KERNEL or FLOAT (untrusted); `exact` is the exact
    rational when the kernel computed or verified one (for KERNEL bounds: the bound itself)."""
    value: float
    trust: str
    exact: Fraction | None = None
    how: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "trust": TRUST_TEXT[self.trust],
                "exact": None if self.exact is None else str(self.exact), "how": self.how}


@dataclass(frozen=True)
class Rate:
    """A network contraction rate c (mu(Jacobian) <= -c for every admissible D) in a named norm. `value` is
    the kernel-checked rate (None: not verified); c > 0 proves contraction, c <= 0 only bounds the measure."""
    norm: str
    value: Value | None
    note: str = ""
    float_upper: float | None = None   # an untrusted upper bound on the best rate of this kind (LMI dual)
    data: dict = field(default_factory=dict, repr=False, compare=False)   # eta, or P and lam (float64 arrays)

    def to_dict(self) -> dict[str, Any]:
        return {"norm": self.norm, "rate": None if self.value is None else self.value.to_dict(), "note": self.note,
                "float_upper": self.float_upper}


@dataclass(frozen=True)
class SpectralReport:
    n: int
    form: str
    activation: str | None
    g: Fraction
    eigenvalues: np.ndarray = field(repr=False)
    alpha: Value                        # alpha(W)
    mu1: Value
    muinf: Value
    mu2: Value
    mu2_bound: Value | None             # kernel: mu_2(W) <= b
    alpha_majorant: Value               # alpha(ceil(W)) = inf over weights of the weighted l1 / linf measures
    weighted_l1: Value                  # mu_{1,eta}(W) at the left Perron weights (kernel)
    weighted_linf: Value                # mu_{inf,eta}(W) at the right Perron weights (kernel)
    lyapunov: Value | None              # mu_P(W) for the Lyapunov metric (kernel bound, or float)
    jacobian_at_zero: Value | None      # alpha(J(0))
    zero_is_equilibrium: bool | None
    slope_at_zero: float | None
    ceiling: Value                      # 1 - g max(0, alpha(W)) (1 - alpha(W) for a linear activation)
    rates: tuple[Rate, ...]
    bulk_radius: float                  # ||W||_F / sqrt(n)
    verdict: str | None = None
    verdict_summary: str = ""
    why: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def gap(self, which: str) -> float:
        """mu - alpha(W) in floating point (UNTRUSTED) for which in mu1, mu2, muinf, weighted_l1,
        weighted_linf, alpha_majorant, lyapunov."""
        v = getattr(self, which)
        if v is None:
            return math.nan
        return v.value - self.alpha.value

    @property
    def best_rate(self) -> Rate | None:
        good = [r for r in self.rates if r.value is not None]
        return max(good, key=lambda r: r.value.exact if r.value.exact is not None else r.value.value, default=None)

    def to_dict(self) -> dict[str, Any]:
        def v(x):
            return None if x is None else x.to_dict()
        eig = sorted(self.eigenvalues, key=lambda z: (-z.real, -z.imag))
        return {
            "n": self.n, "form": self.form, "activation": self.activation, "g": str(self.g),
            "trust_labels": {EXACT: "exact rational arithmetic (kernel functions)",
                             KERNEL: "bound verified by the kernel",
                             FLOAT: "floating point, untrusted"},
            "measures_of_W": {
                "alpha": v(self.alpha), "mu1": v(self.mu1), "mu2": v(self.mu2), "muinf": v(self.muinf),
                "mu2_bound": v(self.mu2_bound), "alpha_majorant": v(self.alpha_majorant),
                "weighted_l1_perron": v(self.weighted_l1), "weighted_linf_perron": v(self.weighted_linf),
                "weighted_l2_lyapunov": v(self.lyapunov)},
            "gaps_float": {k: _finite_or_none(self.gap(k))
                           for k in ("mu1", "mu2", "muinf", "alpha_majorant", "weighted_l1", "weighted_linf",
                                     "lyapunov")},
            "network": {
                "jacobian_at_zero_alpha": v(self.jacobian_at_zero), "zero_is_equilibrium": self.zero_is_equilibrium,
                "slope_at_zero": self.slope_at_zero, "spectral_ceiling": v(self.ceiling),
                "rates": [r.to_dict() for r in self.rates]},
            "bulk_radius_float": self.bulk_radius,
            "eigenvalues_float": [[float(z.real), float(z.imag)] for z in eig],
            "verdict": self.verdict, "verdict_summary": self.verdict_summary, "why": list(self.why),
            "notes": list(self.notes),
        }


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None
