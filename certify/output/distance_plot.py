"""Contraction drawn: distances between pairs of network trajectories driven by the same W(t), in the certificate's
norm, next to the certified decay (UNTRUSTED drawing of kernel-checked numbers; see output/plot.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Mapping

import numpy as np

from certify.errors import InputError
from certify.kernel.intervals import INF
from certify.lang.rule import Rule
from certify.verdict import Verdict

from certify.output.figures import (CAPTION_SIZE, DistancePlot, NothingToPlot, _finish, _new_figure, _replace_figure,
                                    _shorten, _time_grid, activity_schedule, default_parameters, param_text, plain,
                                    random_matrices, time_label)

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


