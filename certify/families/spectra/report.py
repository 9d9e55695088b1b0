"""`spectral_report`: the measures and rates of a fixed network side by side, and the pipeline's verdict on its
contraction (`certify.check.check_rule` with bound "contracting"), explained in a few lines."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np

from certify.errors import InputError
from certify.families.spectra.quantities import EXACT, FLOAT, FORMS, KERNEL, VERIFIED_MAX_N, SpectralReport, \
    Value
from certify.families.spectra.rates import _lmi_rates, _lyapunov, _mu2_bound, _slope_bound, _weighted, \
    _weights_in, _zero_point
from certify.kernel.exact import mu1_exact, muinf_exact
from certify.verdict import Verdict

def spectral_report(W: Any, form: str = "H", activation: str | None = "tanh", g: Any = None, *,
                    bias: Any = None, rule: Any = None, decide: bool = True, lmi: bool = True,
                    lyapunov: bool = True) -> SpectralReport:
    """Spectral abscissa, matrix measures, best weighted measures, kernel-checked network rates and (with
    decide=True) the pipeline's verdict for the fixed network x' = -x + W phi(x) + u (form H) or
    x' = -x + phi(W x + u) (form FR). W: an n x n matrix (floats are read exactly; strings like "3/4" too).
    activation: a known activation (its slope bound g follows), or None with g given. bias: the constant
    input u (default 0). rule: the Rule to decide (default: one built from these arguments, W0 inline).
    lmi / lyapunov: skip the LMI search / the Lyapunov metric when False."""
    # deferred: search.measures loads SciPy (about 0.2 s); the couplings and the report's types need only numpy
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
    # deferred: the rule reader loads SymPy (about 0.3 s), needed only when a verdict is asked for
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
    # deferred: certify.check loads the whole pipeline (search and kernel), needed only with decide=True
    from certify.check import check_rule

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
    # deferred: kernel.equilibria loads FLINT/Arb, needed only to describe a refutation
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
