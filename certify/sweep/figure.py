"""The phase diagram of a sweep (matplotlib): verdict regions coloured, rate contours, refuted points marked, and
the boundary of the symbolic condition the check reported, where there is one in the swept parameters.

The boundary curve is the condition (e.g. max(1/4, 2*k/gamma) < 1, carried by the rows as a tree, see
certify/sweep/condition.py) evaluated in floats on a fine grid: a drawing, not a proof. `agreement` compares it
with the point verdicts exactly (rational arithmetic): how many certified points lie outside it, how many points
inside it are not certified.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import certify.sweep.condition as cond

COLOURS = {"certified": "#66bb6a", "inconclusive": "#d9d9d9", "refuted": "#ef5350", "error": "#424242"}
ORDER = ("certified", "inconclusive", "refuted", "error")
FINE = 400        # samples per axis for the boundary curve


def boundary(rows: Sequence[dict], names: Sequence[str]) -> list | None:
    """The condition tree most rows carry among those that mention only swept parameters (ties: by text)."""
    trees = Counter(json.dumps(r["condition"]) for r in rows
                    if r.get("condition") and cond.symbols(r["condition"]) and
                    cond.symbols(r["condition"]) <= set(names))
    if not trees:
        return None
    best = sorted(trees.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return json.loads(best)


@dataclass(frozen=True)
class Agreement:
    condition: str
    inside: int                 # points where the condition holds (exactly)
    certified_outside: int      # certified points where it does not hold
    inside_not_certified: int   # points where it holds that are not certified
    undecided: int              # points where it could not be evaluated exactly

    def text(self) -> str:
        return (f"boundary (the check's symbolic condition, drawn over the grid): {self.condition}\n"
                f"    certified points outside it: {self.certified_outside}; points inside it not certified: "
                f"{self.inside_not_certified} (of {self.inside} inside)"
                + (f"; {self.undecided} point(s) not evaluated" if self.undecided else ""))


def agreement(rows: Sequence[dict], names: Sequence[str]) -> Agreement | None:
    tree = boundary(rows, names)
    if tree is None:
        return None
    inside = outside_cert = inside_not = undecided = 0
    for r in rows:
        ok = cond.holds(tree, {k: Fraction(v) for k, v in r["params"].items()})
        if ok is None:
            undecided += 1
        elif ok:
            inside += 1
            inside_not += r["verdict"] != "certified"
        else:
            outside_cert += r["verdict"] == "certified"
    return Agreement(cond.text(tree), inside, outside_cert, inside_not, undecided)


def draw(rows: Sequence[dict], names: Sequence[str], path: str | Path, title: str = "") -> Path | None:
    """Write the phase diagram of one or two swept parameters to `path` (.png, .svg, .pdf); None for more."""
    if len(names) not in (1, 2) or not rows:
        return None
    # deferred: matplotlib loads only when a figure is drawn (a sweep without --out draws none); a Figure of its
    # own, not pyplot, so that no global backend or figure list is touched
    from matplotlib.figure import Figure
    # deferred: matplotlib is loaded only when this runs
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig = Figure(figsize=(9.0, 5.6) if len(names) == 2 else (9.0, 3.6))
    ax = fig.add_subplot()
    tree = boundary(rows, names)
    handles = [Patch(color=COLOURS[v], label=v) for v in ORDER if any(r["verdict"] == v for r in rows)]
    if len(names) == 2:
        extra = _two(ax, rows, names, tree)
    else:
        extra = _one(ax, rows, names[0], tree)
    handles += extra
    if tree is not None:
        handles.append(Line2D([], [], color="navy", lw=2, label="boundary: " + cond.text(tree)))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    return Path(path)


def _values(rows, name) -> list[Fraction]:
    return sorted({Fraction(r["params"][name]) for r in rows})


def _edges(vals: list[float]):
    import numpy as np   # deferred: with matplotlib, only when a figure is drawn
    v = np.asarray(vals, dtype=float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _two(ax, rows, names, tree) -> list:
    # deferred: matplotlib and numpy load only when a figure is drawn
    import numpy as np
    # deferred: matplotlib is loaded only when this runs
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    xname, yname = names
    xs, ys = _values(rows, xname), _values(rows, yname)
    xi = {v: i for i, v in enumerate(xs)}
    yi = {v: i for i, v in enumerate(ys)}
    codes = np.full((len(ys), len(xs)), np.nan)
    rates = np.full((len(ys), len(xs)), np.nan)
    for r in rows:
        i, j = yi[Fraction(r["params"][yname])], xi[Fraction(r["params"][xname])]
        codes[i, j] = ORDER.index(r["verdict"]) if r["verdict"] in ORDER else ORDER.index("error")
        if r.get("rate") is not None:
            rates[i, j] = float(Fraction(r["rate"]))
    cmap = ListedColormap([COLOURS[v] for v in ORDER])
    ax.pcolormesh(_edges([float(x) for x in xs]), _edges([float(y) for y in ys]), codes, cmap=cmap,
                  vmin=-0.5, vmax=len(ORDER) - 0.5, shading="flat")
    extra = []
    X, Y = np.meshgrid([float(x) for x in xs], [float(y) for y in ys])
    finite = rates[np.isfinite(rates)]
    if len(xs) > 1 and len(ys) > 1 and finite.size > 3 and np.ptp(finite) > 0:
        cs = ax.contour(X, Y, rates, levels=6, colors="k", linewidths=0.6)
        ax.clabel(cs, fontsize=7, fmt="%.2g")
        extra.append(Line2D([], [], color="k", lw=0.6, label="rate (contours)"))
    for verdict, marker, colour in (("refuted", "x", "#8b0000"), ("error", "s", "#000000")):
        pts = [(float(Fraction(r["params"][xname])), float(Fraction(r["params"][yname])))
               for r in rows if r["verdict"] == verdict]
        if pts:
            ax.scatter(*zip(*pts), marker=marker, s=14, c=colour, linewidths=0.8, zorder=3)
            extra.append(Line2D([], [], marker=marker, color=colour, ls="", label=f"{verdict} point"))
    if tree is not None:
        ex, ey = _edges([float(x) for x in xs]), _edges([float(y) for y in ys])
        fx = np.linspace(ex[0], ex[-1], FINE)
        fy = np.linspace(ey[0], ey[-1], FINE)
        FX, FY = np.meshgrid(fx, fy)
        m = np.asarray(cond.margin(tree, {xname: FX, yname: FY}), dtype=float) * np.ones_like(FX)
        if np.nanmin(m) < 0 < np.nanmax(m):
            ax.contour(FX, FY, m, levels=[0], colors="navy", linewidths=2)
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    return extra


def _one(ax, rows, name, tree) -> list:
    # deferred: matplotlib and numpy load only when a figure is drawn
    import numpy as np
    # deferred: matplotlib is loaded only when this runs
    from matplotlib.lines import Line2D

    rows = sorted(rows, key=lambda r: Fraction(r["params"][name]))
    xs = [float(Fraction(r["params"][name])) for r in rows]
    edges = _edges(xs)
    for k, r in enumerate(rows):
        ax.axvspan(edges[k], edges[k + 1], color=COLOURS.get(r["verdict"], COLOURS["error"]), lw=0)
    extra = []
    rated = [(x, float(Fraction(r["rate"]))) for x, r in zip(xs, rows) if r.get("rate") is not None]
    if rated:
        ax.plot(*zip(*rated), "k.-", lw=0.8, ms=3)
        extra.append(Line2D([], [], color="k", marker=".", lw=0.8, label="rate"))
        ax.set_ylabel("rate")
    else:
        ax.set_yticks([])
    refuted = [x for x, r in zip(xs, rows) if r["verdict"] == "refuted"]
    if refuted:
        ax.scatter(refuted, [0] * len(refuted), marker="x", c="#8b0000", zorder=3)
    if tree is not None:
        fx = np.linspace(edges[0], edges[-1], FINE * 10)
        m = np.asarray(cond.margin(tree, {name: fx}), dtype=float) * np.ones_like(fx)
        flips = np.nonzero(np.diff(np.sign(m)) != 0)[0]
        for k in flips:
            ax.axvline((fx[k] + fx[k + 1]) / 2, color="navy", lw=2)
    ax.set_xlabel(name)
    return extra


__all__ = ["draw", "agreement", "boundary", "Agreement", "COLOURS"]
