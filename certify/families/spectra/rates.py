"""The measures and rates of a spectral report, each computed or checked by the kernel where it can be: the exact W,
the slope bound, mu_2 and Lyapunov-metric bounds (`verify_measure_below`), the best weighted l1 / linf measures and
their network rates, the LMI metric rates, and the Jacobian at x = 0."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from certify.errors import InputError, KernelError
from certify.families.spectra.quantities import EXACT, EXACT_LDL_MAX_N, FLOAT, FULL_LMI_MAX_N, KERNEL, \
    VERIFIED_MAX_N, Rate, Value
from certify.kernel import contraction as kc
from certify.kernel.exact import mu2_le_exact, mu2_weighted_le_exact, to_fraction_matrix

def _weights_in(W: Any) -> tuple[list[list[Fraction]], np.ndarray]:
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
    # deferred: lang.network loads SymPy and the rule reader (about 0.3 s), needed only when a report is built
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
    n = len(Wq)
    if n <= EXACT_LDL_MAX_N:
        ok = mu2_le_exact(Wq, b) if P is None else mu2_weighted_le_exact(Wq, P, b)
        if not ok:
            raise KernelError(f"the exact LDL^T test of mu <= {float(b):.6g} failed")
        return "exact rational LDL^T"
    if n > VERIFIED_MAX_N:
        raise KernelError(f"n = {n} > {VERIFIED_MAX_N}: no kernel check attempted")
    # deferred: the verified check loads FLINT/Arb, needed only when n > EXACT_LDL_MAX_N
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
    # deferred: SciPy costs about 0.2 s to import; the couplings and the report's types need only numpy
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
    # deferred: search.measures loads SciPy; the couplings and the report's types need only numpy
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
    # deferred: the LMI search loads SciPy and the solvers' front end, needed only when lmi=True
    from certify.search import lmi

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
    # deferred: the search loads SymPy and SciPy (about 0.4 s), needed only when a report is built
    from certify.search.contraction import perron_weights
    # deferred: loads SciPy only when this runs
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
    # deferred: search.equilibria loads SciPy's integrator and root finder, needed only with a named activation
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
