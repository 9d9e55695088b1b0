"""Plots of weight flows and of contraction: simulations drawn against kernel-checked bounds.

Two plots, each returned as a result object holding the matplotlib Figure *and* the plotted arrays:

- `measure_flow(rule, ...)`: mu(W(t)) along simulated weight trajectories (RK4, piecewise-constant activity
  sampled inside the declared [activity] ranges) next to the right-hand side of the kernel's certificate for the
  claim (m, bound). A refuted or inconclusive claim gets its trajectories and no bound curve.
- `distance_pairs(rule, ...)`: ||x(t) - x~(t)|| / ||x(0) - x~(0)|| for pairs of network trajectories driven by
  the same W(t), on a log axis, next to the certified e^{-c t} (fixed weights) or, for plastic weights, the
  envelope exp(-int_0^t c(s) ds) with c(s) = 1 - g max(0, m(s)) from the kernel-checked flow bound m and the
  kernel's rate c after the time T. Distances are measured in the certificate's norm (weighted l1 / linf with
  its weights eta, or sqrt(d^T P d) for an LMI metric P); l2 only when that norm cannot be rebuilt, and then
  the title says so.

What is trusted: the verdicts, rates, times T and flow certificates come from the kernel (via check_rule and
the kernel's contraction checks). Everything drawn is a floating-point simulation (UNTRUSTED): a picture of
what the certificate says, never evidence for it. Bound curves are the certified formulas evaluated in floats
at the parameter values of the simulation.

matplotlib is imported lazily (Agg backend) so that `import certify` stays fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from certify.errors import InputError
from certify.kernel.intervals import INF
from certify.kernel.objects import BOUNDS, Claim
from certify.lang.rule import Rule
from certify.verdict import Verdict

FORMATS = ("png", "svg", "pdf")
FLOW_NORMS = ("l1", "l2", "linf")
#: the half-width used to sample an activity component whose declared range is unbounded on a side
UNBOUNDED_ACTIVITY = 3.0
#: number of piecewise-constant activity segments over [0, t_end]
SEGMENTS = 10


#: the matrix measures in mathtext (matplotlib's TeX subset)
MU_TEX = {"l1": r"\mu_1", "l2": r"\mu_2", "linf": r"\mu_\infty"}
#: the time axis: the network x' = -x + ... has unit time constant, so t counts neuron time constants
TIME_NETWORK = r"$t$ (units of the neuron time constant $\tau$)"
#: a rule without a network: t is the time of dW/dt (rates such as gamma are per unit of it)
TIME_FLOW = r"$t$ (the time unit of $dW/dt$; rates are per unit)"
TITLE_SIZE = 11
CAPTION_SIZE = 8.5


class NothingToPlot(Exception):
    """The rule has nothing this plot can show (e.g. a distance plot without a [network] W0)."""


# ---------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, eq=False)
class MeasurePlot:
    """mu(W(t)) along simulated trajectories and the certified bound.

    values[k, i] is the plotted quantity of trajectory k at times[i]: mu(W) in the claim's norm, or max(mu, 0)
    when the certificate is about the positive part. bound is the certificate's right-hand side at `times`
    (None unless the claim is certified)."""

    figure: Any
    times: np.ndarray
    values: np.ndarray
    bound: np.ndarray | None
    verdict: Verdict
    claim: Claim
    params: dict[str, float]
    W0: np.ndarray
    title: str
    statement: str = ""       # the certified inequality (or why there is none)
    caption: str = ""         # the details under the figure (statement, n, parameters, what is untrusted)


@dataclass(frozen=True, eq=False)
class DistancePlot:
    """Distance ratios of trajectory pairs and the certified decay.

    ratios[k, i] = ||x_k(t_i) - x~_k(t_i)|| / ||x_k(0) - x~_k(0)|| in the norm described by `norm`.
    bound: the certified curve at `times` (e^{-c t}; for plastic weights envelope(T) e^{-c (t - T)} for t >= T
    and NaN before T), or None when nothing is certified. envelope: for plastic weights, exp(-int_0^t c(s) ds)
    from the flow bound (None otherwise). l2_ratios: the same ratios in the Euclidean norm, and `equivalence`
    a constant K with l2 ratio <= K x (ratio in `norm`)."""

    figure: Any
    times: np.ndarray
    ratios: np.ndarray
    bound: np.ndarray | None
    envelope: np.ndarray | None
    verdict: Verdict
    norm: str
    rate: float | None
    T: float | None
    l2_ratios: np.ndarray
    equivalence: float | None
    title: str
    params: dict[str, float] = field(default_factory=dict)
    note: str = ""
    caption: str = ""
    #: for a refuted network: the equilibria the kernel verified (float centres of its boxes) and what each is
    equilibria: tuple[np.ndarray, ...] = ()
    equilibrium_labels: tuple[str, ...] = ()
    #: the simulated end states of each pair, shape (pairs, 2, n) (float, untrusted)
    endpoints: np.ndarray | None = None


# ---------------------------------------------------------------------------------------------------
# Inputs: parameters, activity, matrices


def default_parameters(rule: Rule, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """One value per declared parameter: the midpoint of a bounded range, 1 inside a one-sided range, 1 for
    an unrestricted one; `overrides` replace them (InputError when unknown or outside the range)."""
    values: dict[str, float] = {}
    ranges = dict(rule.parameters)
    for name, r in rule.parameters:
        iv = r.interval
        lo, hi = iv.lo, iv.hi
        if lo != -INF and hi != INF:
            values[name] = float((Fraction(lo) + Fraction(hi)) / 2)
        elif lo != -INF:
            values[name] = float(lo) + 1.0
        elif hi != INF:
            values[name] = float(hi) - 1.0
        else:
            values[name] = 1.0
    for name, value in (overrides or {}).items():
        if name not in ranges:
            known = ", ".join(ranges) or "none"
            raise InputError(f"unknown parameter {name!r} (declared: {known})", file=rule.source, symbol=name,
                             hint="name a parameter of the [parameters] table")
        if not ranges[name].interval.contains(Fraction(value)):
            raise InputError(f"parameter {name} = {value} is outside its declared range {ranges[name].text()}",
                             file=rule.source, symbol=name, hint="pick a value inside the declared range")
        values[name] = float(value)
    return values


def _sample_range(iv, rng: np.random.Generator, n: int, corners: bool) -> np.ndarray:
    lo = -UNBOUNDED_ACTIVITY if iv.lo == -INF else float(iv.lo)
    hi = UNBOUNDED_ACTIVITY if iv.hi == INF else float(iv.hi)
    if iv.lo == -INF and iv.hi != INF:
        lo = hi - 2 * UNBOUNDED_ACTIVITY
    if iv.hi == INF and iv.lo != -INF:
        hi = lo + 2 * UNBOUNDED_ACTIVITY
    width = hi - lo
    if not iv.lo_closed:
        lo += 1e-3 * max(width, 1.0)
    if not iv.hi_closed:
        hi -= 1e-3 * max(width, 1.0)
    if corners:
        return np.where(rng.random(n) < 0.5, lo, hi)
    return rng.uniform(lo, hi, size=n)


def activity_schedule(rule: Rule, n: int, t_end: float, rng: np.random.Generator, *, corners: bool = False,
                      skip: tuple[str, ...] = ()) -> Callable[[float], dict[str, np.ndarray]]:
    """Piecewise-constant activity on SEGMENTS equal pieces of [0, t_end], every component sampled inside its
    declared range: uniformly, or (corners=True) at an end of the range chosen at random (extreme drive).
    Unbounded sides are cut at UNBOUNDED_ACTIVITY. Vectors named in `skip` are left to the caller."""
    asm = rule.assumptions()
    names = sorted(v for v in rule.vectors if v not in skip)
    pieces = [{v: _sample_range(asm.activity_interval(v), rng, n, corners) for v in names}
              for _ in range(SEGMENTS)]
    width = t_end / SEGMENTS if t_end > 0 else 1.0

    def at(t: float) -> dict[str, np.ndarray]:
        return pieces[min(int(t / width), SEGMENTS - 1)]
    return at


def random_matrices(rule: Rule, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One random matrix per declared [matrices] entry, with the declared property."""
    out = {}
    for name, prop in rule.matrices:
        B = rng.normal(size=(n, n))
        out[name] = {"psd": B @ B.T, "nsd": -B @ B.T, "symmetric": B + B.T, "skew": B - B.T,
                     "diagonal": np.diag(np.diag(B))}.get(prop, B)
    return out


def _time_grid(t_end: float, dt: float | None) -> tuple[float, int]:
    if not (isinstance(t_end, (int, float)) and math.isfinite(t_end) and t_end > 0):
        raise InputError(f"the end time must be a positive number, got {t_end!r}", symbol="t_end",
                         hint="pass --t-end 5")
    if dt is None:
        dt = min(0.01, t_end / 500)
    if not (math.isfinite(dt) and dt > 0):
        raise InputError(f"the time step must be positive, got {dt!r}", symbol="dt")
    steps = max(1, int(round(t_end / dt)))
    if steps > 200_000:
        raise InputError(f"t_end / dt = {steps} steps is too many to plot", symbol="t_end",
                         hint="use a shorter --t-end")
    return t_end / steps, steps


# ---------------------------------------------------------------------------------------------------
# Measure plot


def measure_flow(rule: Rule, *, measure: str = "l2", bound: str | None = None, n: int = 10, t_end: float = 5.0,
                 seed: int = 0, trajectories: int = 5, dt: float | None = None,
                 params: Mapping[str, float] | None = None) -> MeasurePlot:
    """Simulate `trajectories` weight trajectories from one W0 and plot mu(W(t)) against the certified bound.

    W0 is the declared [network] W0, else a seeded random n x n Gaussian matrix. Even-numbered trajectories get
    uniformly sampled activity, odd-numbered ones activity at the ends of the declared ranges. `bound` is the
    claim kind ('nonincreasing' or 'bounded'); default: the rule's own flow claim, else 'nonincreasing' and, if
    that is not certified, 'bounded'."""
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    from certify.check import check_rule
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.network import network_of
    # deferred: loads SciPy only when this runs
    from certify.search.simulate import certified_bound, simulate

    if measure not in FLOW_NORMS:
        raise InputError(f"the measure plot draws {', '.join(FLOW_NORMS)}, not {measure!r}", symbol="measure",
                         hint="pass --measure l2 (weighted measures have no fixed weights to simulate)")
    if bound is not None and bound not in BOUNDS:
        raise InputError(f"a weight-flow bound is one of {', '.join(BOUNDS)}, not {bound!r}", symbol="bound")
    if trajectories < 1 or n < 1:
        raise InputError("need at least one trajectory and n >= 1", symbol="trajectories")
    step, steps = _time_grid(t_end, dt)
    net = network_of(rule)
    rng = np.random.default_rng(seed)
    if net is not None and net.W0 is not None:
        W0 = net.W0_float()
        n = W0.shape[0]
    else:
        W0 = rng.normal(size=(n, n))
    values_p = default_parameters(rule, params)
    matrices = random_matrices(rule, n, rng)

    kinds = [bound] if bound else ([rule.claim[1]] if rule.claim and rule.claim[1] in BOUNDS
                                   else ["nonincreasing", "bounded"])
    result = None
    for kind in kinds:
        result = check_rule(rule, measure=measure, bound=kind).results[0]
        if result.verdict is Verdict.CERTIFIED:
            break
    cert = result.certificate
    times = None
    rows = []
    for k in range(trajectories):
        act = activity_schedule(rule, n, t_end, rng, corners=bool(k % 2))
        times, traj = simulate(rule, W0, act, values_p, t_end, step, matrices=matrices)
        rows.append([_flow_quantity(W, measure, cert) for W in traj])
    values = np.array(rows)
    curve = certified_bound(cert, values_p, n, W0, times) if cert is not None else None
    positive = cert is not None and cert.positive_part
    verdict = result.verdict.value.upper()
    mu = rf"${MU_TEX[measure]}$"
    if cert is not None:
        # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
        from certify.lang.parse import show
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output import mathtex
        statement = cert.bound.render(show)
        formula = to_mathtext(mathtex.certificate_bound(cert, mathtex.Printer("latex")))
        title = f"{plain(rule.name)}: {mu} {result.claim.bound}, {verdict}"
        first = f"kernel-certified bound: {formula}" if formula else f"kernel-certified bound: {plain(statement)}"
    else:
        statement = result.summary
        title = f"{plain(rule.name)}: {mu} {result.claim.bound}, {verdict} (no certified bound)"
        first = f"{result.verdict.value}: {plain(_shorten(statement, 110, 1))}"
    details = f"$n = {W0.shape[0]}$, {trajectories} trajectories (RK4; uniform and extreme activity)"
    if values_p:
        details += ", " + param_text(values_p)
    caption = f"{first}\n{details}; simulation in floats, untrusted: it illustrates the bound, never proves it"
    plot = MeasurePlot(None, times, values, curve, result.verdict, result.claim, values_p, W0, title, statement,
                       caption)
    return _replace_figure(plot, _measure_figure(plot, positive, time_label(rule)))


def _flow_quantity(W: np.ndarray, norm: str, cert) -> float:
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    from certify.search.measures import mu
    value = mu(W, norm)
    return max(value, 0.0) if cert is not None and cert.positive_part else value


def _measure_figure(p: MeasurePlot, positive: bool, xlabel: str):
    fig, ax = _new_figure()
    mu = MU_TEX[p.claim.measure]
    label = rf"$\max({mu}(W(t)), 0)$" if positive else rf"${mu}(W(t))$"
    for k, row in enumerate(p.values):
        ax.plot(p.times, row, lw=1.2, alpha=0.85,
                label=f"simulated {label} ({len(p.values)} trajectories)" if k == 0 else None)
    if p.bound is not None:
        ax.plot(p.times, p.bound, "k--", lw=2, label="kernel-certified bound")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(label)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _finish(fig, [ax], p.title, p.caption)
    return fig


# ---------------------------------------------------------------------------------------------------
# Distance plot


@dataclass(frozen=True)
class _Norm:
    label: str
    dist: Callable[[np.ndarray], np.ndarray]      # rows of differences -> distances
    equivalence: float                            # K: ||d||_2 / ||e||_2 <= K ||d|| / ||e||
    tex: str = "2"                                # the norm's subscript in mathtext


def _norm_of(kind: str, n: int, eta: np.ndarray | None = None, P: np.ndarray | None = None) -> _Norm:
    if kind == "P":
        L = np.linalg.cholesky(P)
        ev = np.linalg.eigvalsh(P)
        return _Norm("the LMI metric sqrt(d^T P d)", lambda D: np.linalg.norm(D @ L, axis=-1),
                     float(math.sqrt(ev[-1] / ev[0])), "P")
    if kind == "l1w":
        spread = float(eta.max() / eta.min())
        return _Norm("weighted l1, sum_i eta_i |d_i|", lambda D: np.abs(D) @ eta, math.sqrt(n) * spread,
                     r"1,\eta")
    if kind == "linfw":
        spread = float(eta.max() / eta.min())
        return _Norm("weighted linf, max_i |d_i| / eta_i", lambda D: np.max(np.abs(D) / eta, axis=-1),
                     math.sqrt(n) * spread, r"\infty,\eta")
    if kind == "l1":
        return _Norm("l1", lambda D: np.abs(D).sum(axis=-1), math.sqrt(n), "1")
    if kind == "linf":
        return _Norm("linf", lambda D: np.abs(D).max(axis=-1), math.sqrt(n), r"\infty")
    return _Norm("l2", lambda D: np.linalg.norm(D, axis=-1), 1.0)


def _fixed_norm(net, fixed) -> tuple[_Norm, float | None, str]:
    """The norm and kernel-checked rate of a fixed network's best certificate. An LMI metric P is not stored
    in the result: the (deterministic) search is re-run and the kernel re-checks (P, lam, c) before P is used;
    if that fails, the best weighted certificate is used instead."""
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    from certify.kernel import contraction as kc
    n = net.n
    best = fixed.best if fixed is not None else None
    if best is None:
        return _norm_of("l2", n), None, "no certificate: distances in l2"
    if best.norm.startswith("l2 metric"):
        try:
            # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
            from certify.search import lmi
            structure = best.data.get("structure", "diag")
            res = lmi.search_metric(net.W0_float(), float(net.g), net.form, structure=structure)
            if res.P is not None and res.c > 0:
                c = Fraction(float(res.c))
                kc.check_lmi(net.W0_float(), Fraction(1) if net.linear else net.g, net.form,
                             np.asarray(res.P, float), np.asarray(res.lam, float), c)
                return _norm_of("P", n, P=np.asarray(res.P, float)), float(c), best.norm
        except Exception:  # noqa: BLE001 - falling back to another certificate is always safe
            pass
        weighted = [a for a in fixed.attempts if a.rate is not None and a.rate > 0 and "eta" in a.data
                    and isinstance(a.data["eta"], list)]
        if not weighted:
            return _norm_of("l2", n), None, f"{best.norm}: metric P not rebuilt, distances in l2 (no bound drawn)"
        best = max(weighted, key=lambda a: a.rate)
    eta_data = best.data.get("eta")
    if not isinstance(eta_data, list):
        return _norm_of("l2", n), None, f"{best.norm}: weights not stored (n > 50), distances in l2 (no bound)"
    eta = np.array([float(x) for x in eta_data])
    kind = "l1w" if best.norm.startswith("weighted-l1") else "linfw"
    return _norm_of(kind, n, eta=eta), float(best.rate), best.norm


def network_field(net) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """f(x, W, u): the right-hand side of the network (form H or FR) for a batch of states x (rows).
    Without a named activation (only a slope bound g), phi = g tanh."""
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    from certify.search.equilibria import _leak, phi

    act = net.activation
    if act is None:
        g = float(net.g)
        act_fn = lambda z: g * np.tanh(z)   # noqa: E731
    else:
        leak = _leak(act, None) if act == "leaky-relu" else 0.0
        act_fn = lambda z: phi(act, z, leak)   # noqa: E731
    if net.form == "H":
        return lambda X, W, u: -X + act_fn(X) @ W.T + u
    return lambda X, W, u: -X + act_fn(X @ W.T + u)


def distance_pairs(rule: Rule, *, t_end: float | None = None, seed: int = 0, trajectories: int = 5,
                   dt: float | None = None, params: Mapping[str, float] | None = None,
                   measure: str = "l2") -> DistancePlot:
    """Simulate `trajectories` pairs (x, x~) of the [network] from random seeded starts, with W fixed at W0 or
    following dW (one W(t) shared by both copies; a vector named x in dW is the first copy's state, every other
    vector piecewise-constant random activity inside its declared range), and plot the distance ratios against
    the certified decay. Raises NothingToPlot without a [network] with W0."""
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    from certify.check import check_rule
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.search.contraction import FixedResult, PlasticResult
    from certify.kernel.algebra import Normalizer
    from certify.lang.network import network_of
    # deferred: loads SciPy only when this runs
    from certify.search.simulate import FlowFunction, certified_bound

    net = network_of(rule)
    if net is None or net.W0 is None:
        raise NothingToPlot(f"{rule.name}: no [network] table with W0; a distance plot needs a network")
    if trajectories < 1:
        raise InputError("need at least one trajectory pair", symbol="trajectories")
    n = net.n
    result = check_rule(rule, measure=measure, bound="contracting").results[0]
    values_p = default_parameters(rule, params)
    plastic = bool(Normalizer(dict(rule.matrices)).nf(rule.dW))
    info = result.network
    rate = T = None
    note = ""
    flow_cert = None
    gl = 1.0 if net.linear else float(net.g)
    if result.verdict is Verdict.CERTIFIED and isinstance(info, PlasticResult):
        norm = _norm_of(info.claim.measure, n)
        flow_cert = info.flow_certificate      # the kernel-checked flow bound certify_plastic used
        if info.c_all > 0:
            rate, T = float(info.c_all), 0.0
        else:
            rate, T = float(info.c_after), float(info.T)
        note = f"{info.claim.measure} norm of the {info.claim.measure} {info.claim.bound} flow bound"
    elif result.verdict is Verdict.CERTIFIED and isinstance(info, FixedResult):
        norm, rate, note = _fixed_norm(net, info)
        T = 0.0 if rate is not None else None
    else:
        norm = _norm_of("l2", n)
        note = "no contraction certificate: distances in l2"
    if t_end is None:
        t_end = 10.0 if rate is None else min(max(5.0 / rate + (T or 0.0), 5.0), 100.0)
    step, steps = _time_grid(t_end, dt)
    rng = np.random.default_rng(seed)
    W0 = net.W0_float()
    u = np.array([float(b) for b in net.bias_exact()])
    f = network_field(net)
    matrices = random_matrices(rule, n, rng) if plastic else {}
    flow = FlowFunction(rule) if plastic else None
    state_driven = "x" in rule.vectors and rule.assumptions().activity_interval("x").lo == -INF \
        and rule.assumptions().activity_interval("x").hi == INF
    times = np.linspace(0.0, step * steps, steps + 1)
    ratios, l2, paths = [], [], []
    for _ in range(trajectories):
        act = activity_schedule(rule, n, t_end, rng, skip=("x",) if state_driven else ())
        X = rng.normal(size=(2, n)) * 2.0
        W = W0.copy()
        diffs = [X[0] - X[1]]
        path = [X]

        def rhs(t, X, W):
            dX = f(X, W, u)
            if flow is None:
                return dX, None
            a = dict(act(t))
            if state_driven:
                a["x"] = X[0]
            return dX, flow(W, a, values_p, matrices)

        for i in range(steps):
            t = i * step
            k1 = rhs(t, X, W)
            k2 = rhs(t, X + step / 2 * k1[0], W if flow is None else W + step / 2 * k1[1])
            k3 = rhs(t, X + step / 2 * k2[0], W if flow is None else W + step / 2 * k2[1])
            k4 = rhs(t, X + step * k3[0], W if flow is None else W + step * k3[1])
            X = X + step / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            if flow is not None:
                W = W + step / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
            diffs.append(X[0] - X[1])
            path.append(X)
        D = np.array(diffs)
        d = norm.dist(D)
        ratios.append(d / d[0])
        e = np.linalg.norm(D, axis=-1)
        l2.append(e / e[0])
        paths.append(np.array(path))            # (times, 2, n)
    ratios_a, l2_a = np.array(ratios), np.array(l2)
    equilibria, eq_labels = refuting_equilibria(info) if result.verdict is Verdict.REFUTED else ((), ())

    bound = envelope = None
    if rate is not None:
        if flow_cert is not None:
            m = certified_bound(flow_cert, values_p, n, W0, times)
            c = 1.0 - gl * np.maximum(m, 0.0)
            integral = np.concatenate([[0.0], np.cumsum((c[1:] + c[:-1]) / 2 * np.diff(times))])
            envelope = np.exp(-integral)
        if T and envelope is not None:
            at_T = float(np.interp(T, times, envelope))
            bound = np.where(times >= T, at_T * np.exp(-rate * (times - T)), np.nan)
        elif not T:
            bound = np.exp(-rate * times)
    name = plain(rule.name)
    if result.verdict is Verdict.CERTIFIED and rate is not None:
        head = f"{name}: contracting, CERTIFIED, rate $c = {rate:.4g}$" + (f" after $T = {T:.4g}$" if T else "")
    elif result.verdict is Verdict.CERTIFIED:
        head = f"{name}: contracting, CERTIFIED (no rate drawn)"
    else:
        head = f"{name}: contracting, {result.verdict.value.upper()} (no certified rate)"
    kind = "$W(t)$ follows the rule, shared by each pair" if plastic else "$W$ fixed at $W_0$"
    caption = f"{result.verdict.value}: {plain(_shorten(result.summary, 130, 2))}\n"
    if note and result.verdict is Verdict.CERTIFIED:
        caption += f"certificate: {plain(note)}\n"
    caption += (f"{trajectories} pairs from random starts, {kind}; distances in {plain(norm.label)}"
                + (f", {param_text(values_p)}" if plastic and values_p else "")
                + "; simulation in floats, untrusted")
    endpoints = np.array([p[-1] for p in paths])
    plot = DistancePlot(None, times, ratios_a, bound, envelope, result.verdict, norm.label, rate, T, l2_a,
                        norm.equivalence if rate is not None else None, head,
                        values_p if plastic else {}, note, caption, equilibria, eq_labels, endpoints)
    return _replace_figure(plot, _distance_figure(plot, norm, paths, time_label(rule)))


def refuting_equilibria(info) -> tuple[tuple[np.ndarray, ...], tuple[str, ...]]:
    """The equilibria a refutation of contraction rests on (float centres of the kernel's boxes, display only),
    with a legend label each: one unstable equilibrium, or two distinct equilibria."""
    def centre(box) -> np.ndarray:
        if box.point is not None:
            return np.array([float(Fraction(x)) for x in box.point])
        return np.array([float((a + b) / 2) for a, b in zip(box.lower(), box.upper())])
    first, second = getattr(info, "first", None), getattr(info, "second", None)
    if first is not None and second is not None:
        return ((centre(first), centre(second)),
                ("kernel-verified equilibrium $x^*_1$", "kernel-verified equilibrium $x^*_2$"))
    box = getattr(info, "equilibrium", None)
    if box is not None:
        return (centre(box),), ("kernel-verified unstable equilibrium $x^*$",)
    return (), ()


def _distance_figure(p: DistancePlot, norm: _Norm, paths: list[np.ndarray], xlabel: str):
    refuted = bool(p.equilibria)
    fig, ax = _new_figure(2 if refuted else 1)
    if refuted:
        ax, state_ax = ax
    tiny = 1e-300
    sub = norm.tex
    dist = rf"\|x(t)-\tilde x(t)\|_{{{sub}}}"
    ratio = rf"${dist} \,/\, \|x(0)-\tilde x(0)\|_{{{sub}}}$"
    for k, row in enumerate(p.ratios):
        ax.semilogy(p.times, np.maximum(row, tiny), lw=1.2, alpha=0.85, color=f"C{k % 10}",
                    label=f"simulated pairs ({len(p.ratios)})" if k == 0 else None)
    if p.envelope is not None:
        ax.semilogy(p.times, p.envelope, "k:", lw=1.5,
                    label=r"$\exp(-\int_0^t c(s)\,ds)$, $c = 1 - g\,\max(0, m(s))$")
    if p.bound is not None:
        label = (rf"certified $e^{{-{p.rate:.3g}\,(t - T)}}$, $t \geq T$" if p.T
                 else rf"certified $e^{{-{p.rate:.3g}\,t}}$")
        ax.semilogy(p.times, p.bound, "k--", lw=2, label=label)
    if p.T:
        ax.axvline(p.T, color="0.4", lw=1.0, ls="-.",
                   label=rf"onset time $T = {p.T:.4g}$ (kernel: rigorous upper bound)")
    floor = max(float(np.nanmin(np.maximum(p.ratios, tiny))), 1e-16)
    ax.set_ylim(bottom=floor / 2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ratio)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    if refuted:
        _state_panel(state_ax, p, paths)
    _finish(fig, [ax, state_ax] if refuted else [ax], p.title, p.caption)
    return fig


def _state_panel(ax, p: DistancePlot, paths: list[np.ndarray]) -> None:
    """The pairs in state space, converging to different states, with the kernel-verified equilibria marked.
    n = 2: the plane (x_1, x_2); otherwise a projection (display only): the first axis through the two verified
    equilibria (or the leading principal direction of the simulated end states), the second the leading principal
    direction of the rest."""
    n = paths[0].shape[-1]
    states = np.concatenate([q.reshape(-1, n) for q in paths] + [np.array(p.equilibria)])
    if n == 2:
        basis, origin = np.eye(2), np.zeros(2)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    else:
        origin = states.mean(axis=0)
        if len(p.equilibria) == 2 and np.linalg.norm(p.equilibria[1] - p.equilibria[0]) > 0:
            e1 = (p.equilibria[1] - p.equilibria[0]) / np.linalg.norm(p.equilibria[1] - p.equilibria[0])
        else:
            ends = p.endpoints.reshape(-1, n) - origin
            e1 = np.linalg.svd(ends if np.any(ends) else states - origin, full_matrices=False)[2][0]
        rest = (states - origin) - np.outer((states - origin) @ e1, e1)
        e2 = np.linalg.svd(rest, full_matrices=False)[2][0]
        basis = np.array([e1, e2]).T
        ax.set_xlabel("projection on $e_1$" + (r" $\parallel x^*_2 - x^*_1$" if len(p.equilibria) == 2 else ""))
        ax.set_ylabel("projection on $e_2$")
    proj = lambda X: (np.asarray(X) - origin) @ basis   # noqa: E731
    for k, q in enumerate(paths):
        a, b = proj(q[:, 0]), proj(q[:, 1])
        color = f"C{k % 10}"
        ax.plot(a[:, 0], a[:, 1], color=color, lw=1.0, alpha=0.85, label="$x(t)$" if k == 0 else None)
        ax.plot(b[:, 0], b[:, 1], color=color, lw=1.0, alpha=0.85, ls="--",
                label=r"$\tilde x(t)$ (same colour: one pair)" if k == 0 else None)
        ax.plot([a[0, 0], b[0, 0]], [a[0, 1], b[0, 1]], "o", color=color, ms=3,
                label="starts" if k == 0 else None)
    ends = proj(p.endpoints.reshape(-1, n))
    ax.plot(ends[:, 0], ends[:, 1], "s", mfc="none", mec="k", ms=7, label="simulated end states (float)")
    markers = ("X", "*", "P")
    for i, (x, label) in enumerate(zip(p.equilibria, p.equilibrium_labels)):
        xy = proj(x[None, :])[0]
        ax.plot([xy[0]], [xy[1]], markers[i % 3], color="C3" if "unstable" in label else "k", ms=12, mec="w",
                zorder=5, label=label)
    ax.set_title("trajectories in state space", fontsize=CAPTION_SIZE + 1)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)


# ---------------------------------------------------------------------------------------------------
# Figures and files


def time_label(rule: Rule) -> str:
    """The time axis label, with its unit: neuron time constants for a rule with a network."""
    return TIME_NETWORK if rule.network else TIME_FLOW


def plain(text: str) -> str:
    """User text (a rule name, a summary) made safe for matplotlib: a '$' would start mathtext."""
    return str(text).replace("$", r"\$")


def to_mathtext(latex: str) -> str | None:
    """A formula in LaTeX (certify/output/mathtex.py's SymPy printing) as matplotlib mathtext '$...$', or None when
    mathtext cannot draw it (then the caller prints the text form). Display only."""
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    import re
    s = re.sub(r"\\le(?![a-zA-Z])", r"\\leq", latex)
    s = re.sub(r"\\ge(?![a-zA-Z])", r"\\geq", s)
    s = re.sub(r"\\(?:operatorname|text)\{([^{}]*)\}", r"\\mathrm{\1}", s)
    s = f"${s.strip()}$"
    return s if mathtext_ok(s) else None


def mathtext_ok(text: str) -> bool:
    """Whether matplotlib can draw `text` (mathtext between $...$ included)."""
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    from matplotlib.mathtext import MathTextParser
    global _PARSER
    if _PARSER is None:
        _PARSER = MathTextParser("path")
    try:
        for i, piece in enumerate(text.replace(r"\$", "").split("$")):
            if i % 2:
                _PARSER.parse(f"${piece}$")
    except Exception:  # noqa: BLE001 - any parse failure means: print the text form instead
        return False
    return True


_PARSER = None


def tex_name(name: str) -> str:
    """A parameter name as mathtext (gamma -> \\gamma, k -> k)."""
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    import sympy as sp
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.output.mathtex import _latex
    return _latex(sp.Symbol(name))


def param_text(params: Mapping[str, float]) -> str:
    """'$\\gamma = 1$, $k = 1$' (mathtext), or the plain form when mathtext cannot draw a name."""
    parts = []
    for k, v in params.items():
        piece = f"${tex_name(k)} = {v:g}$"
        parts.append(piece if mathtext_ok(piece) else f"{plain(k)} = {v:g}")
    return ", ".join(parts)


def _finish(fig, axes, title: str, caption: str) -> None:
    """One-line title over the axes; the details as a caption under the figure (at most a few short lines)."""
    lines = caption.count("\n") + 1 if caption else 0
    if len(axes) == 1:
        axes[0].set_title(title, fontsize=TITLE_SIZE)
    else:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    if caption:
        fig.text(0.01, 0.012, caption, fontsize=CAPTION_SIZE, color="0.25", ha="left", va="bottom",
                 linespacing=1.5)
    height = fig.get_figheight() * 72.0           # points
    bottom = (lines * CAPTION_SIZE * 1.6 + 8) / height if lines else 0.0
    fig.tight_layout(rect=(0.0, bottom, 1.0, 1.0))


def _new_figure(panels: int = 1):
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    import matplotlib
    matplotlib.use("Agg")
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    from matplotlib.figure import Figure
    fig = Figure(figsize=(8.0 if panels == 1 else 13.0, 5.5), dpi=100)
    if panels == 1:
        return fig, fig.add_subplot(1, 1, 1)
    return fig, [fig.add_subplot(1, panels, i + 1) for i in range(panels)]


def _replace_figure(plot, fig):
    object.__setattr__(plot, "figure", fig)
    return plot


def _shorten(text: str, width: int = 100, lines: int = 2) -> str:
    """The text wrapped to at most `lines` lines of `width` characters (cut with '...' beyond)."""
    # deferred: matplotlib and the decision (check, search, kernel) load only when a plot is drawn
    import textwrap
    wrapped = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 3] + "..."
    return "\n".join(wrapped)


def output_format(path: str | Path, symbol: str = "--out") -> str:
    """'png', 'svg' or 'pdf' from the file suffix; InputError (naming the option `symbol`) otherwise."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError(f"cannot tell the image format of {str(path)!r} (suffix {suffix or 'none'!r})",
                         file=str(path), symbol=symbol, hint="name the output FILE.png, FILE.svg or FILE.pdf")
    return suffix


def save_figure(fig, path: str | Path) -> Path:
    """Write the figure as PNG, SVG or PDF (chosen by the suffix); returns the path written."""
    fmt = output_format(path)
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise InputError(f"the directory of {str(path)!r} does not exist", file=str(path), symbol="--out",
                         hint="create the directory first")
    metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None} if fmt == "pdf" else {}
    fig.savefig(path, format=fmt, metadata=metadata)
    return path


__all__ = ["DistancePlot", "MeasurePlot", "NothingToPlot", "activity_schedule", "default_parameters",
           "distance_pairs", "measure_flow", "network_field", "output_format", "random_matrices", "save_figure"]
