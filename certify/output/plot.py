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

from typing import Mapping

import numpy as np

from certify.errors import InputError
from certify.kernel.objects import BOUNDS
from certify.lang.rule import Rule
from certify.verdict import Verdict

# the shared pieces and the distance plot, re-exported: `certify.output.plot` is the one name users and the CLI import
from certify.output.distance_plot import distance_pairs, network_field, refuting_equilibria  # noqa: F401
from certify.output.figures import (FLOW_NORMS, FORMATS, MU_TEX, SEGMENTS, TIME_FLOW,  # noqa: F401
                                    TIME_NETWORK, UNBOUNDED_ACTIVITY, DistancePlot, MeasurePlot, NothingToPlot,
                                    _finish, _new_figure, _replace_figure, _shorten, _time_grid, activity_schedule,
                                    default_parameters, output_format, param_text, plain, random_matrices,
                                    save_figure, time_label, to_mathtext)

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


__all__ = ["DistancePlot", "MeasurePlot", "NothingToPlot", "activity_schedule", "default_parameters",
           "distance_pairs", "measure_flow", "network_field", "output_format", "random_matrices", "save_figure"]
