"""What every plot of certify shares (UNTRUSTED drawing): the result types, the simulation inputs drawn inside the
declared ranges, mathtext labels, and figure layout and saving. output/plot.py (weight flows) and
output/distance_plot.py (contraction) build on it; matplotlib is imported lazily.
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
from certify.kernel.objects import Claim
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
