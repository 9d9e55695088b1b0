"""`certify spectrum RULE.toml`: spectral abscissa against matrix measures for a rule file's fixed network.

Reads [network] W0, form, activation (or slope) and bias from the rule file and prints
certify.families.spectra.render(spectral_report(...)) or its JSON: alpha(W), mu_1 / mu_2 / mu_inf, the best weighted
measures with their kernel labels, the network rates and the pipeline's verdict (check_rule with bound
"contracting", exactly as it decides). With --plot it also draws the spectrum (.png or .svg).

Inside the main CLI: `add_parser(subparsers)` adds the subcommand, `run(args)` executes it.
Exit codes: 0 the report was produced (whatever the verdict), 2 bad input or usage, 3 the time budget (--timeout,
default 120 s) ran out: the verdict is INCONCLUSIVE and the step that ran out of time is named. This command reports;
it decides nothing beyond what check_rule says (use `certify check` for verdict exit codes).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from certify.cli.common import write_out
from certify.errors import InputError
from certify.verdict import ExitCode


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the `spectrum` subcommand to an argparse subparsers object; returns its parser."""
    p = sub.add_parser(
        "spectrum",
        help="spectral abscissa vs matrix measures of a fixed network, and the honest verdict",
        description=(
            "For the fixed network in a rule file's [network] table: the spectral abscissa alpha(W), the "
            "measures mu_1, mu_2, mu_inf, the best weighted l1/linf measures (Perron weights, exact rates from "
            "the kernel), the best weighted l2 measure (a Lyapunov metric checked by the kernel; the multiplier "
            "LMI for the network), the gaps mu - alpha, and the verdict of check_rule for the claim "
            "'contracting'. Every number is labelled exact, kernel-verified or float (untrusted). Exit 0 when "
            "the report was produced, 2 on bad input, 3 when the time budget (--timeout) ran out."))
    p.add_argument("rule", metavar="RULE.toml", help="a rule file with a [network] table and W0")
    p.add_argument("--plot", metavar="FILE", help="also draw the spectrum into FILE (.png, .svg or .pdf)")
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.cli.common import add_format, add_verbosity
    add_format(p, ("text", "json"))
    p.add_argument("--out", metavar="FILE", help="also write the report (in --format) to FILE")
    add_verbosity(p)
    p.add_argument("--no-verdict", action="store_true", help="skip check_rule (faster; no verdict is reported)")
    return p


def load(path: str):
    """(rule, network) from a rule file; InputError names the file, the symbol and a fix."""
    # deferred: loads SymPy only when this runs
    from certify.lang.network import network_of
    # deferred: loads SymPy only when this runs
    from certify.lang.rule import Rule

    rule = Rule.from_file(path)
    net = network_of(rule)
    if net is None or net.W0 is None:
        raise InputError("the rule file has no [network] W0", file=path, symbol="W0",
                         hint='add [network] with form = "H", activation = "tanh" and W0 = "weights.npy" '
                              "(or an inline matrix)")
    return rule, net


def run(args: argparse.Namespace) -> int:
    # deferred: loads SymPy only when this runs
    from certify.output.report import text_error
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.families.spectra import plot_spectrum, render, spectral_report

    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.budget import BudgetExceeded, limit, stage
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.output.progress import Progress

    progress = Progress.from_args(args, 3 if args.plot else 2)
    try:
        if args.plot and not args.plot.lower().endswith((".png", ".svg", ".pdf")):
            raise InputError(f"plot file {args.plot} must end in .png, .svg or .pdf", file=args.plot, symbol="plot",
                             hint="e.g. --plot spectrum.pdf")
        with limit() as spent, progress:   # --timeout (certify/budget.py); the check_rule inside shares it
            progress.start(f"{args.rule}: reading the network")
            rule, net = load(args.rule)
            progress.done(f"n = {len(net.W0)}")
            bias = None if net.bias is None else list(net.bias)
            try:
                progress.start(f"{args.rule}: measures, Perron weights, Lyapunov metric"
                               + ("" if args.no_verdict else ", verdict"))
                with stage("the spectral report (measures, Perron weights, Lyapunov metric, verdict)"):
                    rep = spectral_report([list(r) for r in net.W0], net.form, net.activation,
                                          None if net.activation else net.g, bias=bias, rule=rule,
                                          decide=not args.no_verdict)
                progress.done("done")
                if args.plot:
                    progress.start(f"drawing {args.plot}")
                    with stage("drawing the spectrum plot"):
                        plot_spectrum(rep, args.plot, net.W0_float())
                    progress.done("written")
            except BudgetExceeded as exc:
                progress.done("inconclusive")
                return _out_of_time(args, exc.reason)
    except InputError as err:
        progress.done("error")
        print(text_error(err), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    spent_reason = spent.reason   # the budget ran out inside check_rule: the verdict is INCONCLUSIVE because of it
    if args.format == "json":
        out = rep.to_dict()
        out["file"] = args.rule
        out["rule"] = rule.name
        if args.plot:
            out["plot"] = args.plot
        if spent_reason:
            out["budget"] = spent_reason
        body = json.dumps(out, indent=2)
    else:
        text = render(rep)
        lines = [f"rule: {rule.name} ({args.rule})", text if not args.quiet else _short(text)]
        if args.plot:
            lines.append(f"\nspectrum plot written to {args.plot}")
        if spent_reason:
            lines.append(f"\nINCONCLUSIVE: {spent_reason}; rerun with a larger --timeout (0 = no limit)")
        body = "\n".join(lines)
    print(body)
    if args.out:
        failed = write_out(args.out, body)
        if failed is not None:
            return failed
    return ExitCode.INCONCLUSIVE if spent_reason else ExitCode.OK


def _short(text: str) -> str:
    """-q: the report's headline lines (no indented detail)."""
    return "\n".join(line for line in text.splitlines() if line and not line.startswith(" "))


def _out_of_time(args: argparse.Namespace, reason: str) -> int:
    """The time budget ran out before the report was complete: INCONCLUSIVE with the step, exit 3."""
    if args.format == "json":
        print(json.dumps({"file": args.rule, "verdict": "inconclusive", "reasons": [reason]}, indent=2))
    else:
        print(f"{args.rule}: INCONCLUSIVE: {reason}; rerun with a larger --timeout (0 = no limit)")
    return ExitCode.INCONCLUSIVE
