"""`certify plot RULE.toml`: draw simulations against certified bounds (see docs/plots.md).

Inside the main CLI: `plot_cli.add_parser(sub).set_defaults(func=plot_cli.run)`.
Exit codes: 0 plots written; 2 bad input or usage; 3 nothing to plot (e.g. --kind distance for a rule without a
[network] W0) or the time budget (--timeout, default 120 s) ran out (the plots finished before it are kept; the
message names the step that ran out of time). The verdict shown in a plot does not change the exit code: `certify check` is for verdicts.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from certify.errors import InputError
from certify.verdict import ExitCode

KINDS = ("measure", "distance", "both")
NOTHING_TO_PLOT = 3


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the `plot` subcommand to the main CLI's subparsers object; returns its parser."""
    p = sub.add_parser(
        "plot", help="plot mu(W(t)) against the certified bound and trajectory distances against e^(-ct)",
        description="Simulate the rule's weight flow and plot mu(W(t)) of several trajectories against the "
                    "kernel-certified bound (measure plot), and/or simulate pairs of network trajectories and "
                    "plot their distance ratio against the certified contraction rate (distance plot). The "
                    "simulations are untrusted floating point; the bounds come from the kernel. Exit 0 written, "
                    "2 bad input, 3 nothing to plot or the time budget (--timeout) ran out.")
    p.add_argument("rule", metavar="RULE.toml")
    p.add_argument("--out", metavar="FILE.png|FILE.svg|FILE.pdf|DIR",
                   help="output file, its format from the suffix (png, svg, pdf), or an existing folder (then "
                        "<rule-name>-<kind>.png in it); default <rule-name>-<kind>.png here; with --kind both, "
                        "-measure and -distance are added to the file's stem")
    # deferred: the command line builds its parser without loading plots, the kernel or matplotlib
    from certify.cli.common import add_format, add_verbosity
    add_format(p, ("text", "json"))
    add_verbosity(p)
    p.add_argument("--kind", choices=KINDS, default="both",
                   help="which plot (default both; a rule without a [network] W0 then gets the measure plot only)")
    p.add_argument("--measure", choices=("l1", "l2", "linf"), default=None,
                   help="the norm of mu(W(t)) (default: the rule's claim norm, else l2)")
    p.add_argument("--bound", choices=("nonincreasing", "bounded"), default=None,
                   help="the flow claim drawn (default: the rule's, else nonincreasing, else bounded)")
    p.add_argument("--n", type=int, default=10, help="size of the random W0 when the rule declares none (10)")
    p.add_argument("--t-end", dest="t_end", type=float, default=None,
                   help="simulated time (default 5 for the measure plot; about 5/c (+ T) for the distance plot)")
    p.add_argument("--dt", type=float, default=None, help="RK4 step (default min(0.01, t_end/500))")
    p.add_argument("--seed", type=int, default=0, help="seed of W0, activities and initial states (0)")
    p.add_argument("--trajectories", type=int, default=5, help="trajectories (pairs for the distance plot) (5)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter value for the simulation (default: the middle of its declared range)")
    return p


def _params(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            raise InputError(f"--param {item!r} is not NAME=VALUE", symbol="--param",
                             hint="write --param k=1/2 or --param gamma=0.3") from None
    return out


def _targets(args: argparse.Namespace, name: str, kinds: list[str]) -> dict[str, Path]:
    # deferred: the command line builds its parser without loading plots, the kernel or matplotlib
    from certify.output.plot import output_format
    if args.out is None:
        return {k: Path(f"{name}-{k}.png") for k in kinds}
    out = Path(args.out)
    if out.is_dir():
        return {k: out / f"{name}-{k}.png" for k in kinds}
    output_format(out)
    if args.kind != "both":
        return {args.kind: out}
    return {k: out.with_name(f"{out.stem}-{k}{out.suffix}") for k in kinds}


def run(args: argparse.Namespace) -> int:
    """Execute `certify plot` for parsed args; returns the exit code."""
    # deferred: the command line builds its parser without loading plots, the kernel or matplotlib
    from certify.output import plot
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.budget import BudgetExceeded, limit, stage
    # deferred: loads SymPy only when this runs
    from certify.output.report import text_error
    from certify.lang.rule import Rule
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.output.progress import Progress

    try:
        for flag, value in (("--n", args.n), ("--trajectories", args.trajectories)):
            if value < 1:
                raise InputError(f"{flag} must be at least 1, got {value}", symbol=flag)
        params = _params(args.param)
        path = Path(args.rule)
        if not path.exists():
            raise InputError(f"no such rule file: {args.rule}", file=args.rule, hint="pass a rule file (.toml)")
        # deferred: the command line builds its parser without loading plots, the kernel or matplotlib
        from certify.lang.datafiles import check_regular
        check_regular(path, "rule file")   # a FIFO, a device or a folder is refused by name
        rule = Rule.from_file(path)
        if rule.network:          # a bad W0 / bias file is an input error even when no plot needs it
            # deferred: the command line builds its parser without loading plots, the kernel or matplotlib
            from certify.lang.network import network_of
            network_of(rule)
        kinds = ["measure", "distance"] if args.kind == "both" else [args.kind]
        targets = _targets(args, rule.name, kinds)
        for target in targets.values():
            plot.output_format(target)
            if not target.parent.exists():
                raise InputError(f"the directory of {str(target)!r} does not exist", file=str(target),
                                 symbol="--out", hint="create the directory first")
        written = 0
        skipped: list[str] = []
        records: list[dict] = []
        progress = Progress.from_args(args, len(kinds))
        with limit() as spent, progress:     # --timeout (certify/budget.py); the check_rule inside shares it
            try:
                for kind in kinds:
                    progress.start(f"{kind} plot of {args.rule}")
                    with stage(f"the {kind} plot (check_rule, simulation, drawing)"):
                        if kind == "measure":
                            measure = args.measure or (rule.claim[0] if rule.claim and
                                                       rule.claim[0] in plot.FLOW_NORMS else "l2")
                            res = plot.measure_flow(rule, measure=measure, bound=args.bound, n=args.n,
                                                    t_end=5.0 if args.t_end is None else args.t_end,
                                                    seed=args.seed, trajectories=args.trajectories, dt=args.dt,
                                                    params=params)
                            line = _measure_line(res)
                        else:
                            try:
                                res = plot.distance_pairs(rule, t_end=args.t_end, seed=args.seed,
                                                          trajectories=args.trajectories, dt=args.dt,
                                                          params=params)
                            except plot.NothingToPlot as exc:
                                skipped.append(str(exc))
                                progress.done("nothing to plot")
                                continue
                            line = _distance_line(res)
                        if spent.expired:   # ran out inside check_rule: the bound drawn would be a guess
                            raise BudgetExceeded(spent.seconds, spent.expired_in or "the plot", f"the {kind} plot")
                        target = plot.save_figure(res.figure, targets[kind])
                    progress.done(f"wrote {target}")
                    records.append({"kind": kind, "file": str(target), "verdict": res.verdict.value, "summary": line})
                    if args.format == "text" and not args.quiet:
                        print(f"wrote {target}  ({line})")
                    written += 1
            except BudgetExceeded as exc:
                progress.done("inconclusive")
                print(f"{args.rule}: INCONCLUSIVE: {exc.reason}; {written} plot(s) written before it; rerun with "
                      "a larger --timeout (0 = no limit)", file=sys.stderr)
                return NOTHING_TO_PLOT
    except InputError as err:
        print(text_error(err), file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    for reason in skipped:
        print(f"no distance plot: {reason}", file=sys.stderr)
    if args.format == "json":
        # deferred: the command line builds its parser without loading plots, the kernel or matplotlib
        import json
        print(json.dumps({"command": "plot", "input": args.rule, "plots": records, "skipped": skipped}, indent=2))
    elif args.quiet:
        for r in records:
            print(r["file"])
    return int(ExitCode.OK) if written else NOTHING_TO_PLOT


def _measure_line(res) -> str:
    # deferred: the command line builds its parser without loading plots, the kernel or matplotlib
    import numpy as np
    head = f"{res.claim.measure} {res.claim.bound}: {res.verdict.value}; {len(res.values)} trajectories"
    if res.bound is None:
        return head + ", no certified bound drawn"
    excess = float(np.max(res.values[:, 1:] - res.bound[1:])) if len(res.times) > 1 else 0.0
    return head + f", max over t > 0 of simulated minus bound: {excess:.2g}"


def _distance_line(res) -> str:
    # deferred: the command line builds its parser without loading plots, the kernel or matplotlib
    import numpy as np
    head = f"contracting: {res.verdict.value}"
    if res.rate is None:
        return head + f"; {len(res.ratios)} pairs, distances in {res.norm}, no certified rate drawn"
    head += f", rate {res.rate:.4g}" + (f" after T = {res.T:.4g}" if res.T else "") + f" in {res.norm}"
    with np.errstate(invalid="ignore"):
        worst = float(np.nanmax(res.ratios[:, 1:] / res.bound[1:]))
    return head + f"; {len(res.ratios)} pairs, max ratio / bound for t > 0: {worst:.3g}"
