"""Spectra against matrix measures for fixed networks, and Hebbian sequence couplings (THEORY.md sections 1, 3, 7).

For a weight matrix W the spectral abscissa alpha(W) = max Re lambda(W) is a lower bound of every matrix measure,
mu(W) >= alpha(W), and for a non-normal W the gap can be wide. `spectral_report` puts the numbers side by side:

- alpha(W), and alpha of the Jacobian at x = 0 (-I + W phi'(0) for form H, -I + phi'(u) W for form FR);
- mu_1, mu_2, mu_inf of W and their gaps to alpha(W);
- the best weighted l1 / linf measures: their infimum over weights is alpha of the Metzler majorant ceil(W)
  (diagonal kept, off-diagonal entries replaced by their absolute values), approached at its Perron vectors
  (`certify.search.contraction.perron_weights`); the measure at those weights is computed by the kernel
  (`kernel.contraction.linear_rate`), exactly in rationals (rigorously bounded from above when n > 300);
- the best weighted l2 measure: for the LINEAR map W the infimum over metrics P of mu_P(W) is alpha(W)
  (Lyapunov); a metric from the Lyapunov equation at s = alpha(W) + delta is rounded to short binary fractions
  and the kernel checks mu_P(W) <= s (`verify_measure_below`: exact LDL^T for n <= EXACT_LDL_MAX_N, the kernel's
  verified Lyapunov check of kernel/stability.py up to VERIFIED_MAX_N);
- the network rates: Jacobians -I + W D (H) or -I + D W (FR), D = diag(d), d_i in [0, g]; no norm proves a
  rate above the spectral ceiling 1 - g max(0, alpha(W)) (D = 0 and D = g I are admissible); the kernel computes
  the rate of the Perron weights (`kernel.contraction.weighted_rate`) and checks the multiplier LMI found by
  `certify.search.lmi.search_metric` (`kernel.contraction.check_lmi`);
- the verdict of the pipeline, `certify.check.check_rule` with bound "contracting": certified / refuted /
  inconclusive exactly as it says, with the reasons.

What is trusted: every number carries its label. EXACT: exact rational arithmetic on the exact entries of W
(the kernel's functions). KERNEL: a bound the kernel verified (exact LDL^T, verified Cholesky, rigorous float
error bounds). FLOAT: NumPy/SciPy floating point, UNTRUSTED: eigenvalues, alpha, mu_2, Perron values, gaps, the
spectral ceiling, the plot. Only the verdict of check_rule, which comes from the kernel, decides anything.

`sequence_couplings` builds the time-lagged Hebbian couplings of Jiang, Chen, Hou & Huang (Phys Rev Research
5:013090, 2023): J = sum_d c_d (1/N) sum_mu xi^(mu+d) xi^(mu)^T, from given patterns or random +-1 patterns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from certify.errors import InputError, KernelError

#: mu_P(W) <= b (mu_2, Lyapunov metrics) is checked by exact rational LDL^T up to this size ...
EXACT_LDL_MAX_N = 40
#: ... and by the kernel's verified Lyapunov check (kernel/stability.py) up to this one; beyond: float only
VERIFIED_MAX_N = 400
#: full (dense) LMI metrics are searched up to this size; beyond it only the diagonal metric
FULL_LMI_MAX_N = 40
#: the boundary of the numerical range is drawn up to this size
NUMERICAL_RANGE_MAX_N = 500

EXACT, KERNEL, FLOAT = "exact", "kernel", "float"
TRUST_TEXT = {EXACT: "exact", KERNEL: "kernel-verified", FLOAT: "float, untrusted"}
FORMS = ("H", "FR")

#: phi'(0) of the known activations (relu / leaky-relu: the right derivative; the kink is at 0)
SLOPE_AT_ZERO = {"tanh": 1.0, "logistic": 0.25, "softplus": 0.5, "linear": 1.0, "relu": 1.0, "leaky-relu": 1.0}
#: phi(0) = 0: x = 0 is an equilibrium of form H with u = 0 (and of form FR with u = 0)
ZERO_AT_ZERO = ("tanh", "linear", "relu", "leaky-relu")

#: the catalog instances rules/hebbian-sequence-*.toml (examples/sequence_network.py --write-catalog).
#: N = 64 keeps 1/N and the c_d binary fractions, so every coupling is an exact binary64 number.
CATALOG: dict[str, dict[str, Any]] = {
    "hebbian-sequence-weak": {"N": 64, "P": 5, "seed": 2023, "lags": {1: 0.5}, "cyclic": True},
    "hebbian-sequence-open": {"N": 64, "P": 5, "seed": 2023, "lags": {1: 1.5}, "cyclic": False},
    "hebbian-sequence-strong": {"N": 64, "P": 5, "seed": 2023, "lags": {0: 0.5, 1: 0.75}, "cyclic": True},
}


# ---------------------------------------------------------------------------------------------------
# Hebbian sequence couplings


def random_patterns(N: int, P: int, seed: int) -> np.ndarray:
    """P patterns of N entries +-1 (a P x N float array, row mu is xi^mu), drawn as
    numpy.random.default_rng(seed).choice([-1.0, 1.0], size=(P, N))."""
    for name, v in (("N", N), ("P", P), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise InputError(f"random_patterns: argument {name!r} must be an integer, got {v!r}", symbol=name)
    if N < 1 or P < 1 or seed < 0:
        raise InputError(f"random_patterns: need N >= 1, P >= 1 and seed >= 0; got N = {N}, P = {P}, seed = {seed}",
                         symbol="N" if N < 1 else "P" if P < 1 else "seed")
    return np.random.default_rng(int(seed)).choice(np.array([-1.0, 1.0]), size=(int(P), int(N)))


def _patterns(patterns: Any) -> np.ndarray:
    if isinstance(patterns, tuple) and len(patterns) == 3 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in patterns):
        return random_patterns(*patterns)
    try:
        xi = np.array(patterns, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("sequence_couplings: 'patterns' must be a P x N array of numbers or a tuple (N, P, seed)",
                         symbol="patterns") from None
    if xi.ndim != 2 or xi.size == 0:
        raise InputError(f"sequence_couplings: 'patterns' must be a non-empty P x N array (row mu = pattern mu); "
                         f"got shape {xi.shape}", symbol="patterns",
                         hint="or pass (N, P, seed) for random +-1 patterns")
    if not np.all(np.isfinite(xi)):
        raise InputError("sequence_couplings: 'patterns' has NaN or infinite entries", symbol="patterns")
    return xi


def _lags(lags: Mapping[int, Any] | None) -> dict[int, float]:
    if lags is None:
        return {1: 1.0}
    if not isinstance(lags, Mapping) or not lags:
        raise InputError("sequence_couplings: 'lags' must be a non-empty mapping {d: c_d}", symbol="lags",
                         hint="e.g. lags={1: 0.5} (forward lag 1) or {0: 0.5, 1: 0.75}")
    out = {}
    for d, c in lags.items():
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise InputError(f"sequence_couplings: lag {d!r} must be an integer", symbol="lags")
        try:
            cf = float(Fraction(c)) if isinstance(c, str) else float(c)
        except (TypeError, ValueError):
            raise InputError(f"sequence_couplings: the coefficient of lag {d} must be a number, got {c!r}",
                             symbol="lags") from None
        if not math.isfinite(cf):
            raise InputError(f"sequence_couplings: the coefficient of lag {d} is not finite", symbol="lags")
        out[int(d)] = cf
    return out


def lag_matrix(P: int, lags: Mapping[int, Any] | None = None, cyclic: bool = True) -> np.ndarray:
    """S (P x P) with S[nu, mu] = sum of c_d over the lags d with nu = mu + d (mod P when cyclic; otherwise
    only 0 <= mu + d < P), so that J = Xi^T S Xi / N for the P x N pattern matrix Xi."""
    S = np.zeros((P, P))
    for d, c in _lags(lags).items():
        for mu in range(P):
            nu = mu + d
            if cyclic:
                nu %= P
            elif not 0 <= nu < P:
                continue
            S[nu, mu] += c
    return S


def sequence_couplings(patterns: Any, lags: Mapping[int, Any] | None = None, cyclic: bool = True) -> np.ndarray:
    """J = sum_d c_d (1/N) sum_mu xi^(mu+d) xi^(mu)^T, an N x N float64 array (J_ij: from neuron j to i).

    patterns: a P x N array (row mu is xi^mu) or a tuple (N, P, seed) for `random_patterns(N, P, seed)`.
    lags: {d: c_d} with integer lags d (default {1: 1}: each pattern drives the next). cyclic: indices mu + d
    taken mod P (a closed sequence, the last pattern drives the first); otherwise terms with mu + d outside
    0..P-1 are left out (an open chain). Floating point; exact whenever every c_d * (integer <= P) / N is a
    binary64 number (e.g. N a power of two and c_d short binary fractions), as in CATALOG."""
    xi = _patterns(patterns)
    P, N = xi.shape
    S = lag_matrix(P, lags, cyclic)
    return (xi.T @ (S @ xi)) / N


def catalog_couplings(name: str) -> np.ndarray:
    """The couplings of a catalog instance (CATALOG[name])."""
    if name not in CATALOG:
        raise InputError(f"unknown catalog instance {name!r}", symbol="name", hint=f"one of: {', '.join(CATALOG)}")
    spec = CATALOG[name]
    return sequence_couplings((spec["N"], spec["P"], spec["seed"]), spec["lags"], spec["cyclic"])


# ---------------------------------------------------------------------------------------------------
# Labelled numbers and the report


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


# ---------------------------------------------------------------------------------------------------
# Building the report


def _weights_in(W: Any) -> tuple[list[list[Fraction]], np.ndarray]:
    from certify.kernel.exact import to_fraction_matrix

    try:
        Wq = to_fraction_matrix(W, "W")
    except (InputError, KernelError) as exc:
        raise InputError(f"spectral_report: {getattr(exc, 'message', exc)}", symbol="W",
                         hint="W must be a square matrix of finite numbers") from None
    n = len(Wq)
    if n == 0 or any(len(r) != n for r in Wq):
        raise InputError(f"spectral_report: W must be a non-empty square matrix, got {n} row(s)", symbol="W",
                         hint="give n rows of n numbers")
    return Wq, np.array([[float(x) for x in r] for r in Wq], dtype=np.float64)


def _slope_bound(activation: str | None, g: Any) -> Fraction:
    from certify.lang.network import SLOPES

    if activation is not None:
        if activation not in SLOPES:
            raise InputError(f"spectral_report: unknown activation {activation!r}", symbol="activation",
                             hint=f"use one of: {', '.join(SLOPES)}, or activation=None with g")
        if g is not None and Fraction(g) != SLOPES[activation]:
            raise InputError(f"spectral_report: g = {g} contradicts the slope bound {SLOPES[activation]} of "
                             f"{activation}", symbol="g", hint="leave g out when an activation is named")
        return SLOPES[activation]
    if g is None:
        raise InputError("spectral_report: give an activation or a slope bound g", symbol="g",
                         hint="e.g. activation='tanh', or activation=None, g=1")
    try:
        gq = Fraction(g)
    except (TypeError, ValueError):
        raise InputError(f"spectral_report: g must be a number, got {g!r}", symbol="g") from None
    if gq <= 0:
        raise InputError(f"spectral_report: the slope bound g must be > 0, got {g}", symbol="g")
    return gq


def verify_measure_below(Wq, P: np.ndarray | None, b: Fraction) -> str:
    """Ask the kernel whether mu_P(W) <= b (P = None: the identity, i.e. mu_2(W) <= b); returns how it was
    proved, or raises KernelError.

    n <= EXACT_LDL_MAX_N: 2 b P - W^T P - P W >= 0 by exact rational LDL^T (kernel/exact.py). Larger n: the
    kernel's Lyapunov check (kernel/stability.py) for the linear network x' = -x + W' x with
    W' = W - (b - 1) I at its exact equilibrium x = 0, whose Jacobian is -I + W' = W - b I: it proves
    (W - b I)^T P + P (W - b I) < 0 with P > 0 (Rump's verified Cholesky on an Arb enclosure), i.e. mu_P(W) < b
    (kernel/stability.py verify_measure_below)."""
    from certify.kernel.exact import mu2_le_exact, mu2_weighted_le_exact

    n = len(Wq)
    if n <= EXACT_LDL_MAX_N:
        ok = mu2_le_exact(Wq, b) if P is None else mu2_weighted_le_exact(Wq, P, b)
        if not ok:
            raise KernelError(f"the exact LDL^T test of mu <= {float(b):.6g} failed")
        return "exact rational LDL^T"
    if n > VERIFIED_MAX_N:
        raise KernelError(f"n = {n} > {VERIFIED_MAX_N}: no kernel check attempted")
    from certify.kernel.stability import verify_measure_below as kernel_measure_below

    kernel_measure_below(Wq, None if P is None else np.asarray(P, dtype=np.float64), b)
    return "kernel/stability.py: (W - b I)^T P + P (W - b I) < 0, verified Cholesky on an Arb enclosure"


def _mu2_bound(Wq, m: float) -> Value | None:
    guess = Fraction(m)
    for margin in (Fraction(1, 10**12), Fraction(1, 10**9), Fraction(1, 10**6)):
        b = guess + margin * (1 + abs(guess))
        try:
            how = verify_measure_below(Wq, None, b)
        except KernelError:
            continue
        return Value(float(b), KERNEL, b, f"mu_2(W) <= b: {how}")
    return None


def lyapunov_metric(W: np.ndarray, s: float) -> np.ndarray:
    """P > 0 with W^T P + P W - 2 s P = -I (exists and is unique when s > alpha(W)), scaled by a power of two
    to max |P_ij| in [1/2, 1) and rounded to the grid 2^-30 (symmetric). Floating point, UNTRUSTED."""
    import scipy.linalg

    n = W.shape[0]
    A = W - s * np.eye(n)
    P = scipy.linalg.solve_continuous_lyapunov(A.T, -np.eye(n))
    P = (P + P.T) / 2
    top = float(np.abs(P).max())
    if not math.isfinite(top) or top <= 0:
        raise KernelError("the Lyapunov equation gave no usable metric")
    P = P * 2.0 ** (-math.floor(math.log2(top)) - 1)
    P = np.round(P * 2.0**30) / 2.0**30
    return (P + P.T) / 2


def _lyapunov(W: np.ndarray, Wq, alpha: float) -> tuple[Value | None, str]:
    from certify.search.measures import mu2_weighted

    scale = max(1.0, abs(alpha))
    last = None
    for rel in (1e-3, 1e-2, 1e-1):
        s = Fraction(alpha + rel * scale)
        try:
            P = lyapunov_metric(W, float(s))
            m = mu2_weighted(W, P)
        except (KernelError, InputError, np.linalg.LinAlgError, ValueError):
            continue
        how = f"metric P from the Lyapunov equation at s = alpha(W) + {rel:g}"
        last = Value(m, FLOAT, None, how + "; mu_P(W) in floating point")
        try:
            method = verify_measure_below(Wq, P, s)
        except KernelError as err:
            if W.shape[0] > VERIFIED_MAX_N:
                return last, str(err)
            continue
        return Value(float(s), KERNEL, s, f"{how}; mu_P(W) <= s: {method}"), ""
    return last, "the kernel did not accept the rounded Lyapunov metric" if last else "no Lyapunov metric found"


def _lmi_rates(W: np.ndarray, Wk, g: Fraction, form: str, linear: bool) -> list[Rate]:
    from certify.search import lmi
    from certify.kernel import contraction as kc

    n = W.shape[0]
    out = []
    what = ("multiplier LMI over D in [0, 1]^n (covers D = I; conservative for a linear activation)" if linear
            else "multiplier LMI")
    for structure in ("diag",) + (("full",) if n <= FULL_LMI_MAX_N else ()):
        name = f"l2 metric ({structure} P)"
        try:
            res = lmi.search_metric(W, float(g), form, structure=structure)
        except Exception as exc:  # noqa: BLE001 -- a failed search is "not verified", never a verdict
            out.append(Rate(name, None, f"search failed: {exc}"))
            continue
        upper = float(res.c_upper) if math.isfinite(res.c_upper) else None
        if res.P is None or not math.isfinite(res.c):
            out.append(Rate(name, None, f"no metric found ({res.status})", upper))
            continue
        c = Fraction(float(res.c))
        try:
            method = kc.check_lmi(Wk, g, form, np.asarray(res.P, float), np.asarray(res.lam, float), c)
        except KernelError as err:
            out.append(Rate(name, None, f"kernel rejected the candidate: {err}", upper))
            continue
        out.append(Rate(name, Value(float(c), KERNEL, c, f"{what}, {method}"), f"{what} ({method})", upper,
                        {"P": np.asarray(res.P, float), "lam": np.asarray(res.lam, float)}))
    return out


def _weighted(Wk, Wf: np.ndarray, g: Fraction, form: str, linear: bool):
    """(mu_1 and mu_inf of W at the best weights found, the network rates of those weights). Candidates: the
    Perron weights of `certify.search.contraction.perron_weights` and those of `certify.search.measures.best_weighted_l1/linf`
    (which also handles a reducible majorant); the kernel computes the measure of each, the smaller is kept."""
    from certify.search.contraction import perron_weights
    from certify.kernel import contraction as kc
    from certify.search.measures import best_weighted_l1, best_weighted_linf

    big = Wf.shape[0] > kc.EXACT_WEIGHTED_LIMIT
    trust = KERNEL if big else EXACT
    how_mu = "rigorous float upper bound (kernel)" if big else "exact (kernel linear_rate)"
    measures, rates = {}, []
    for norm in ("l1", "linf"):
        side = "left" if norm == "l1" else "right"
        candidates = []
        for source, find in (("contraction.perron_weights", lambda: perron_weights(Wf, norm)),
                              (f"measures.best_weighted_{norm}",
                               lambda: (best_weighted_l1 if norm == "l1" else best_weighted_linf)(Wf)[1])):
            try:
                eta = np.asarray(find(), dtype=np.float64)
                candidates.append((1 - kc.linear_rate(Wk, norm, eta), source, eta))
            except (KernelError, InputError, ValueError, np.linalg.LinAlgError):
                continue   # numeric trouble: one candidate fewer
        if not candidates:
            raise KernelError(f"no positive weights for the weighted {norm} measure")
        mu, source, eta = min(candidates, key=lambda t: t[0])
        measures[norm] = Value(float(mu), trust, mu, f"{side} Perron weights of ceil(W) ({source}); {how_mu}")
        if linear:
            rate = 1 - mu
            how = "linear activation: rate 1 - mu(W)"
        else:
            rate = kc.weighted_rate(Wk, g, form, norm, eta)
            matched = (form, norm) in (("H", "l1"), ("FR", "linf"))
            how = ("exact supremum over D for this form" if matched
                   else "mismatched pairing: positive-part diagonal bound")
        rates.append(Rate(f"weighted-{norm} (Perron weights)", Value(float(rate), trust, rate, how), how,
                          data={"eta": eta}))
    return measures, rates


def _zero_point(Wf: np.ndarray, form: str, activation: str | None, bias: np.ndarray):
    """(phi' at the pre-activation of x = 0 as a vector, J(0), is x = 0 an equilibrium) or Nones."""
    if activation is None:
        return None, None, None
    from certify.search import equilibria

    n = Wf.shape[0]
    pre = np.zeros(n) if form == "H" else bias
    d = equilibria.dphi(activation, pre)
    if activation in ("relu", "leaky-relu"):
        d = np.where(pre == 0, 1.0, d)     # the right derivative at the kink
    J = -np.eye(n) + (Wf * d[None, :] if form == "H" else d[:, None] * Wf)
    phi0 = equilibria.phi(activation, pre)
    f0 = (Wf @ phi0 + bias) if form == "H" else phi0
    return d, J, bool(np.all(f0 == 0))


def spectral_report(W: Any, form: str = "H", activation: str | None = "tanh", g: Any = None, *,
                    bias: Any = None, rule: Any = None, decide: bool = True, lmi: bool = True,
                    lyapunov: bool = True) -> SpectralReport:
    """Spectral abscissa, matrix measures, best weighted measures, kernel-checked network rates and (with
    decide=True) the pipeline's verdict for the fixed network x' = -x + W phi(x) + u (form H) or
    x' = -x + phi(W x + u) (form FR). W: an n x n matrix (floats are read exactly; strings like "3/4" too).
    activation: a known activation (its slope bound g follows), or None with g given. bias: the constant
    input u (default 0). rule: the Rule to decide (default: one built from these arguments, W0 inline).
    lmi / lyapunov: skip the LMI search / the Lyapunov metric when False."""
    from certify.kernel.exact import mu1_exact, muinf_exact
    from certify.search.measures import metzler_majorant, mu2 as mu2_float, spectral_abscissa

    if form not in FORMS:
        raise InputError(f"spectral_report: unknown network form {form!r}", symbol="form",
                         hint="'H' (x' = -x + W phi(x) + u) or 'FR' (x' = -x + phi(W x + u))")
    g_q = _slope_bound(activation, g)
    Wq, Wf = _weights_in(W)
    n = Wf.shape[0]
    if not np.all(np.isfinite(Wf)):
        raise InputError("spectral_report: W has entries too large for floating point", symbol="W")
    u = np.zeros(n) if bias is None else np.array([float(Fraction(b) if isinstance(b, str) else b) for b in bias])
    if u.shape != (n,):
        raise InputError(f"spectral_report: bias has {u.size} entries, W is {n} x {n}", symbol="bias")
    binary64 = all(Fraction(float(x)) == x for r in Wq for x in r)
    Wk = Wf if binary64 else Wq          # what the kernel is handed: the exact W either way
    linear = activation == "linear"
    notes: list[str] = []

    eig = np.linalg.eigvals(Wf)
    alpha = Value(spectral_abscissa(Wf), FLOAT, None, "max Re of numpy.linalg.eigvals")
    m1, mi = mu1_exact(Wq), muinf_exact(Wq)
    mu1 = Value(float(m1), EXACT, m1, "column sums, exact rationals")
    muinf = Value(float(mi), EXACT, mi, "row sums, exact rationals")
    m2 = mu2_float(Wf)
    mu2 = Value(m2, FLOAT, None, "largest eigenvalue of sym(W), numpy.linalg.eigvalsh")
    mu2_bound = _mu2_bound(Wq, m2) if n <= VERIFIED_MAX_N else None
    if n > VERIFIED_MAX_N:
        notes.append(f"n > {VERIFIED_MAX_N}: mu_2(W) is not bounded by the kernel (float value only)")
    alpha_maj = Value(spectral_abscissa(metzler_majorant(Wf)), FLOAT, None,
                      "alpha(ceil(W)): the infimum of the weighted l1 and linf measures")
    measures, rates = _weighted(Wk, Wf, g_q, form, linear)
    lyap = None
    if lyapunov:
        lyap, why_not = _lyapunov(Wf, Wq, alpha.value)
        if why_not:
            notes.append(f"Lyapunov metric: {why_not}")
    if lmi:
        rates += _lmi_rates(Wf, Wk, g_q, form, linear)
    gl = Fraction(1) if linear else g_q
    ceiling_value = 1 - alpha.value if linear else 1 - float(gl) * max(0.0, alpha.value)
    ceiling = Value(ceiling_value, FLOAT, None,
                    "-alpha(-I + W): D = I exactly" if linear else
                    "min over D = 0 and D = g I of -alpha(Jacobian): no norm proves a larger rate")
    d0, J0, zero_eq = _zero_point(Wf, form, activation, u)
    jac0 = None if J0 is None else Value(spectral_abscissa(J0), FLOAT, None, "max Re lambda(J(0)), numpy")
    slope0 = None if d0 is None else (float(d0[0]) if np.all(d0 == d0[0]) else None)
    report = SpectralReport(n, form, activation, g_q, eig, alpha, mu1, muinf, mu2, mu2_bound, alpha_maj,
                            measures["l1"], measures["linf"], lyap, jac0, zero_eq, slope0, ceiling, tuple(rates),
                            float(np.linalg.norm(Wf) / math.sqrt(n)), notes=tuple(notes))
    if not decide:
        return report
    if rule is None:
        rule = _rule_for(Wq, form, activation, g_q, None if bias is None else list(bias))
    return _with_verdict(report, rule)


def _rule_for(Wq, form: str, activation: str | None, g: Fraction, bias) -> Any:
    from certify.lang.rule import Rule

    net: dict[str, Any] = {"form": form, "W0": [list(r) for r in Wq]}
    if activation is not None:
        net["activation"] = activation
    else:
        net["slope"] = [0, float(g)] if Fraction(float(g)) == g else f"[0, {g}]"
    if bias is not None:
        net["bias"] = [Fraction(b) if isinstance(b, str) else b for b in bias]
    return Rule.create("0", name="spectrum", network=net, claim={"bound": "contracting"})


def _with_verdict(report: SpectralReport, rule: Any) -> SpectralReport:
    from dataclasses import replace

    from certify.check import check_rule
    from certify.verdict import Verdict

    rep = check_rule(rule, bound="contracting")
    result = rep.results[0]
    summary = result.summary
    why: list[str] = []
    a0, s0 = report.jacobian_at_zero, report.slope_at_zero
    where = "x = 0 (an equilibrium)" if report.zero_is_equilibrium else "x = 0 (not an equilibrium)"
    if a0 is not None:
        state = "locally stable there" if a0.value < 0 else "unstable there" if a0.value > 0 else "undecided"
        tail = "" if report.zero_is_equilibrium else " (only the linearisation at that point)"
        why.append(f"alpha(J(0)) at {where} = {a0.value:+.4g} (float): {state}{tail}")
        if s0 is not None and a0.value < 0 < -1 + s0 * report.mu2.value:
            why.append(f"mu_2(J(0)) = -1 + phi'(0) mu_2(W) = {-1 + s0 * report.mu2.value:+.4g} > 0 > alpha(J(0)) "
                       "(float): near x = 0 distances can grow for a while before they shrink (transient "
                       "amplification of a non-normal W); the plain l2 norm proves nothing here")
        if s0 is not None and report.lyapunov is not None and report.lyapunov.trust == KERNEL:
            rate0 = 1 - Fraction(s0) * report.lyapunov.exact
            if rate0 > 0:
                why.append(f"the LINEAR system x' = J(0) x alone contracts at rate {float(rate0):.4g} in the "
                           "Lyapunov metric P (kernel-verified); this says nothing about the nonlinear network away "
                           "from x = 0")
    why.append(f"non-normality: mu_2(W) - alpha(W) = {report.gap('mu2'):+.4g}; the weighted l1/linf infimum "
               f"alpha(ceil(W)) - alpha(W) = {report.gap('alpha_majorant'):+.4g} (float)")
    if result.verdict is Verdict.REFUTED:
        summary = f"not contracting: {_short_refutation(result.network)} (kernel-verified)"
        why += [r for r in result.reasons if r]
    elif result.verdict is Verdict.CERTIFIED:
        summary += " (kernel-checked)"
    else:
        best = report.best_rate
        best_txt = (f"the best kernel-checked rate in this report is {best.value.value:+.4g} ({best.norm}), not > 0"
                    if best is not None else "no rate was verified")
        why.append(f"inconclusive: {best_txt}; the spectral ceiling is {report.ceiling.value:+.4g} (float); "
                   "no kernel-verified refutation (two equilibria or an unstable one) was found")
        if a0 is not None and a0.value > 0 and report.zero_is_equilibrium:
            why.append("the float spectrum says x = 0 is unstable, but the kernel did not verify it, so this is "
                       "not a refutation")
    return replace(report, verdict=result.verdict.value, verdict_summary=summary, why=tuple(why))


def _dec(x: Fraction) -> str:
    return f"{float(x):.10g}"


def _short_refutation(ref: Any) -> str:
    """The kernel's refutation in one line: an all-zero equilibrium is written x* = 0, long rationals as
    decimals (the certificate keeps them exactly)."""
    from certify.kernel.equilibria import TwoEquilibria, UnstableEquilibrium

    if isinstance(ref, UnstableEquilibrium):
        box = ref.equilibrium
        if box.point is not None and box.lo == box.hi and all(Fraction(x) == 0 for x in box.point):
            place = "the equilibrium x* = 0 (exact)"
        elif len(box.lo) <= 8:
            place = box.describe()
        else:
            place = f"an equilibrium in a box of {len(box.lo)} intervals ({box.method})"
        if ref.eigenvalue is not None:
            lo, hi = (Fraction(x) for x in ref.eigenvalue)
            what = (f"a real eigenvalue {_dec(lo)} > 0" if lo == hi else
                    f"a real eigenvalue > {_dec(lo)} > 0 (in an exact bracket of width {float(hi - lo):.1e})")
        else:
            what = f"{ref.unstable_count} eigenvalue(s) with positive real part"
        how = {"exact-root": "an exact root of the characteristic polynomial",
               "sign-change": "a sign change of the characteristic polynomial",
               "routh": "the Routh array"}.get(ref.method, ref.method)
        return f"unstable equilibrium: {place}; its {ref.jacobian} Jacobian has {what} ({how})"
    if isinstance(ref, TwoEquilibria):
        return str(ref) if len(ref.first.lo) <= 8 else ref.statement
    return str(ref)


# ---------------------------------------------------------------------------------------------------
# Text


def _fmt(v: Value | None, digits: int = 6) -> str:
    if v is None:
        return "-"
    return f"{v.value:+.{digits}g}"


def render(rep: SpectralReport) -> str:
    """The report for people (numbers rounded; JSON keeps the exact rationals)."""
    act = rep.activation or "slope-restricted phi"
    eq = "x' = -x + W phi(x) + u" if rep.form == "H" else "x' = -x + phi(W x + u)"
    lines = [f"Spectrum of a fixed network: {eq}, {act} (phi' in [0, {rep.g}]), n = {rep.n}",
             "labels: exact = exact rational arithmetic (kernel); kernel = bound verified by the kernel; "
             "float = floating point, UNTRUSTED",
             "",
             "Measures of W (gap = value - alpha(W), float)",
             f"  {'quantity':<52}{'value':>12}{'gap':>10}  label"]

    def row(name: str, v: Value | None, gap: bool = True, extra: str = "") -> None:
        if v is None:
            return
        g = f"{v.value - rep.alpha.value:+.4g}" if gap else ""
        lines.append(f"  {name:<52}{_fmt(v):>12}{g:>10}  {TRUST_TEXT[v.trust]}{extra}")

    row("alpha(W)  spectral abscissa", rep.alpha, gap=False)
    row("mu_1(W)", rep.mu1)
    row("mu_inf(W)", rep.muinf)
    row("mu_2(W)", rep.mu2)
    if rep.mu2_bound is not None:
        row("  mu_2(W) <= (upper bound)", rep.mu2_bound)
    row("alpha(ceil(W)) = inf_eta mu_1,eta = inf mu_inf,eta", rep.alpha_majorant)
    row("mu_1,eta(W) at the left Perron weights", rep.weighted_l1)
    row("mu_inf,eta(W) at the right Perron weights", rep.weighted_linf)
    if rep.lyapunov is not None:
        name = "mu_P(W) <= (Lyapunov metric P)" if rep.lyapunov.trust == KERNEL else "mu_P(W) (Lyapunov metric P)"
        row(name, rep.lyapunov)
        lines.append("    inf over metrics P of mu_P(W) = alpha(W) (Lyapunov): the l2 gap closes for the linear map")
    lines += ["", f"Network: Jacobians {'-I + W D' if rep.form == 'H' else '-I + D W'}, D = diag(d), "
                  f"d_i in [0, {rep.g}]" + (" (linear: D = I exactly)" if rep.activation == "linear" else "")]
    if rep.jacobian_at_zero is not None:
        s0 = f"phi'(0) = {rep.slope_at_zero:g}" if rep.slope_at_zero is not None else "phi' at u"
        eqtxt = "an equilibrium" if rep.zero_is_equilibrium else "not an equilibrium"
        lines.append(f"  alpha(J(0)) = {_fmt(rep.jacobian_at_zero)} (float; {s0}; x = 0 is {eqtxt})")
    lines.append(f"  spectral ceiling: no norm proves a rate above {_fmt(rep.ceiling)} (float)")
    lines.append("  rates c (mu(J) <= -c for every admissible D; c > 0 proves contraction):")
    for r in rep.rates:
        if r.value is None:
            val = "none"
        else:
            val = _fmt(r.value)
        up = f"; best possible <= {r.float_upper:+.4g} (float dual bound)" if r.float_upper is not None else ""
        label = TRUST_TEXT[r.value.trust] if r.value is not None else "not verified"
        lines.append(f"    {r.norm:<34}{val:>12}  {label}: {r.note}{up}")
        if r.value is not None:
            lines.append(f"      gap to the spectral ceiling: {rep.ceiling.value - r.value.value:+.4g} (float)")
    lines.append(f"  circular-law reference radius ||W||_F / sqrt(n) = {rep.bulk_radius:.4g} (float)")
    if rep.verdict is not None:
        lines += ["", f"Verdict (check_rule, bound = contracting): {rep.verdict}", f"  {rep.verdict_summary}"]
        lines += [f"  - {w}" for w in rep.why]
    if rep.notes:
        lines += ["", "Notes:"] + [f"  - {x}" for x in rep.notes]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Plot


def numerical_range(W: Any, points: int = 181) -> np.ndarray:
    """Boundary points of the numerical range {x* W x : |x| = 1} (floating point, UNTRUSTED): for each angle
    t the top eigenvector v of the Hermitian part of e^{it} W gives the point v* W v. The first point (t = 0)
    has real part mu_2(W), the largest of the range."""
    A = np.asarray(W, dtype=np.float64)
    out = []
    for t in np.linspace(0.0, 2 * np.pi, points):
        H = (np.exp(1j * t) * A + np.exp(-1j * t) * A.T) / 2
        _, V = np.linalg.eigh(H)
        v = V[:, -1]
        out.append(np.vdot(v, A @ v))
    return np.array(out)


def plot_spectrum(rep: SpectralReport, path: str | Path, W: Any = None, *, title: str | None = None) -> Path:
    """Eigenvalues of W in the complex plane (float, UNTRUSTED) with the unit circle, the line
    Re lambda = 1 / phi'(0) (the origin of form H is linearly stable iff every eigenvalue lies left of it), the
    bulk reference circle ||W||_F / sqrt(n), vertical marks at alpha(W), alpha(ceil(W)) and mu_2(W), and (with W,
    n <= NUMERICAL_RANGE_MAX_N) the boundary of the numerical range, whose rightmost point is mu_2(W).
    Writes .png or .svg (by the suffix of path)."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"plot file {path.name} must end in .png or .svg", file=str(path), symbol="plot",
                         hint="e.g. --plot spectrum.png")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    eig = rep.eigenvalues
    fig, ax = plt.subplots(figsize=(9.0, 5.4))
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color="0.6", lw=0.8, ls="--", label="unit circle")
    r = rep.bulk_radius
    ax.plot(r * np.cos(t), r * np.sin(t), color="C2", lw=0.8, label=f"circular-law reference ||W||_F/sqrt(n) = {r:.3g}")
    if W is not None and rep.n <= NUMERICAL_RANGE_MAX_N:
        fov = numerical_range(W)
        ax.plot(fov.real, fov.imag, color="C4", lw=1.0, label="numerical range (max Re = mu_2)")
    ax.scatter(eig.real, eig.imag, s=12, color="C0", zorder=3, label=f"eigenvalues of W (n = {rep.n})")
    if rep.slope_at_zero:
        x1 = 1.0 / rep.slope_at_zero
        ax.axvline(x1, color="k", lw=1.0, label=f"Re = {x1:g}: J(0) = -I + W phi'(0) loses stability")
    for x, name, color in ((rep.alpha.value, "alpha(W)", "C1"), (rep.alpha_majorant.value, "alpha(ceil(W))", "C3"),
                           (rep.mu2.value, "mu_2(W)", "C4")):
        ax.axvline(x, color=color, lw=0.9, ls=":", label=f"{name} = {x:+.3f}")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("Re lambda")
    ax.set_ylabel("Im lambda")
    ax.set_title(title or f"spectrum of W (float, untrusted); verdict: {rep.verdict or 'not decided'}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


__all__ = ["CATALOG", "Rate", "SpectralReport", "Value", "catalog_couplings", "lag_matrix", "lyapunov_metric",
           "numerical_range", "plot_spectrum", "random_patterns", "render", "sequence_couplings", "spectral_report",
           "verify_measure_below"]
