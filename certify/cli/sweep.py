"""`certify sweep RULE.toml --param NAME=LO:HI:COUNT ...`: a full check at every point of a parameter grid, on a
local process pool (every core by default), serially (--jobs 1) or on a Dask cluster (--scheduler tcp://HOST:PORT).

Writes into --out (default sweep-<rule name>): points.jsonl (as results arrive; a rerun resumes), points.csv (sorted,
deterministic) and phase.png (one or two swept parameters). Library: certify/sweep/.

Inside the main CLI: `add_parser(subparsers)` adds the subcommand, `run(args)` executes it.
Exit codes: 0 every point has a verdict (whatever it is: the table is the answer), 2 bad input (nothing runs), 3 a
point ran out of its time budget twice, 4 a point crashed twice (a bug in certify, or its worker was lost twice);
such points are error rows with their reason, never dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from certify.cli.common import add_format, add_verbosity
from certify.errors import InputError
from certify.kernel.objects import CLAIM_KINDS, MEASURES
from certify.output.atomic import output_file
from certify.output.progress import Progress
from certify.verdict import ExitCode


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: give at least 1 worker")
    return jobs


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the `sweep` subcommand to an argparse subparsers object; returns its parser."""
    p = sub.add_parser(
        "sweep", help="check a rule at every point of a parameter grid; table and phase diagram",
        description=(
            "Fix the named [parameters] of the rule to each point of the grid and run the full check there "
            "(verdict, rate, T and the certificate or counterexample kept). Points run on a local process pool "
            "(every core), serially with --jobs 1, or on a Dask cluster with --scheduler. A point that crashes, "
            "runs out of time (--timeout, per point) or loses its worker is retried once, then recorded as an "
            "error with its reason. Rows are written as they arrive; a rerun with the same --out skips the points "
            "already done. Exit 0 when every point has a verdict, 2 bad input, 3 a point timed out twice, 4 a "
            "point crashed twice."))
    p.add_argument("rule", metavar="RULE.toml", help="the rule file")
    p.add_argument("--param", action="append", required=True, metavar="NAME=LO:HI:COUNT",
                   help="a declared parameter and its values: LO:HI:COUNT (COUNT evenly spaced exact values, e.g. "
                        "k=0:2:40) or v1,v2,... (e.g. gamma=1/2,1,2); repeat for a grid (the first varies slowest)")
    p.add_argument("--measure", choices=MEASURES, help="the norm of the claim (overrides the file)")
    p.add_argument("--bound", choices=CLAIM_KINDS, help="the kind of claim (overrides the file)")
    p.add_argument("--expect", action="store_true", help="decide every claim documented under [expect] at each point")
    p.add_argument("--out", metavar="DIR", help="output folder (default: sweep-<rule name>); a rerun resumes it")
    p.add_argument("--fresh", action="store_true", help="discard the points already in --out and start again")
    p.add_argument("--retry-errors", action="store_true", help="when resuming, run the error points again")
    p.add_argument("--jobs", type=_jobs, metavar="N", help="worker processes of the local pool (default: every "
                                                           "core); 1 runs serially in this process")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster at ADDRESS (tcp://HOST:PORT); "
                                                        "data files named by the rule must be at the same path there")
    p.add_argument("--figure", metavar="FILE", help="where to draw the phase diagram (default: DIR/phase.png)")
    p.add_argument("--no-figure", action="store_true", help="no phase diagram")
    p.add_argument("--no-evidence", action="store_true",
                   help="keep only the numbers in points.jsonl, not each point's derivation or counterexample")
    add_format(p, ("text", "json"))
    add_verbosity(p, quiet_help="the summary without the error list, and no progress lines",
                  verbose_help="progress lines on stderr, one per point with its verdict and the counts per verdict "
                               "so far (without -v/-q: only when stderr is a terminal)")
    return p


def run(args: argparse.Namespace) -> int:
    # deferred: the checker and the sweep load only when `certify sweep` runs (main builds every sub-command's parser)
    from certify.output.report import text_error
    # deferred: loads SymPy only when this runs
    from certify.sweep.driver import exit_code, summary_dict, summary_lines, sweep, tasks_for

    try:
        grid, tasks, declared = tasks_for(args.rule, args.param, measure=args.measure, bound=args.bound,
                                          expectations=args.expect, timeout=getattr(args, "timeout", 0) or 0,
                                          allow_outside_paths=getattr(args, "allow_outside_paths", False))
        out = args.out or f"sweep-{declared.name}"
        figure = False if args.no_figure else (args.figure or True)
        if args.figure and not args.no_figure:
            output_file(args.figure, "--figure")
        progress = Progress.from_args(args, grid.size)
        result = sweep(args.rule, grid, measure=args.measure, bound=args.bound, expectations=args.expect, out=out,
                       jobs=args.jobs, scheduler=args.scheduler, timeout=getattr(args, "timeout", 0) or 0,
                       fresh=args.fresh, retry_errors=args.retry_errors, figure=figure, progress=progress,
                       allow_outside_paths=getattr(args, "allow_outside_paths", False),
                       evidence=not args.no_evidence)
    except InputError as err:
        print(text_error(err), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    claim = _claim(declared, args)
    if args.format == "json":
        print(json.dumps(summary_dict(result, args.rule, claim), indent=2))
    else:
        lines = summary_lines(result, args.rule, claim)
        if args.quiet and not args.verbose:
            lines = [line for line in lines if not line.startswith("    error at ") and "more error(s)" not in line]
        print("\n".join(lines))
    return exit_code(result)


def _claim(rule, args) -> str:
    if args.expect:
        return "every documented [expect] claim"
    m = args.measure or (rule.claim[0] if rule.claim else None)
    b = args.bound or (rule.claim[1] if rule.claim else None)
    if m is None and b is None:
        return "none stated (every norm explored)"
    return f"{m or 'l2'} {b or 'nonincreasing'}"
