"""`certify memory RULE.toml`: the associative-memory analysis of a rule file's [network] (docs/memory.md).

Reads [network] W0 (exactly symmetric), bias (default 0), activation relu, tanh or linear (the Lagrangian
1/2 relu^2, log cosh or x^2/2) and form H (the Krotov-Hopfield form tau x' = W g(x) - x + b is form H with
u = b). Prints certify.families.memory.render(analyze(...)), or its JSON.

Inside the main CLI: `add_parser(subparsers)` adds the subcommand, `run(args)` executes it.
Exit codes: 0 the analysis ran (whatever it found), 2 bad input or usage, 3 the time budget (--timeout, default
120 s) ran out: INCONCLUSIVE, with the step that ran out of time.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from certify.cli.common import write_out
from certify.errors import InputError
from certify.verdict import ExitCode

if TYPE_CHECKING:
    from certify.lang.rule import Rule

ACTIVATIONS = ("relu", "tanh", "linear")


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the `memory` subcommand to an argparse subparsers object; returns its parser."""
    p = sub.add_parser(
        "memory",
        help="energy, flat regions, equilibria and stored memories of a symmetric network",
        description=(
            "Dense associative memory analysis of the network in a rule file's [network] table (form H, "
            "symmetric W0, activation relu/tanh/linear, bias): the energy and its rate, the flat regions of "
            "ReLU networks with explicit non-equilibrium points, every equilibrium with exactly decided "
            "stability (the stored memories), a Lyapunov function without flat regions, and the "
            "kernel-verified contraction verdict. Exit 0 when the analysis ran, 2 on bad input, 3 when the time "
            "budget (--timeout) ran out."))
    p.add_argument("rule", metavar="RULE.toml", help="a rule file with a [network] table")
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.cli.common import add_format, add_verbosity
    add_format(p, ("text", "json"))
    p.add_argument("--out", metavar="FILE", help="also write the report (in --format) to FILE")
    add_verbosity(p)
    p.add_argument("--tau", default="1", metavar="T", help="time constant of every neuron (default 1)")
    return p


def load(path: str) -> tuple[list, list, str, Rule]:
    """(W, b, lagrangian, the rule) from a rule file; InputError names the file, the symbol and a fix."""
    # deferred: loads SymPy only when this runs
    from certify.lang.network import network_of
    # deferred: loads SymPy only when this runs
    from certify.lang.rule import Rule

    rule = Rule.from_file(path)
    net = network_of(rule)
    if net is None or net.W0 is None:
        raise InputError("the rule file has no [network] W0", file=path, symbol="W0",
                         hint='add [network] with form = "H", activation = "relu" and W0 = [[...], [...]]')
    if net.form != "H":
        raise InputError(f"form {net.form!r} is not the associative-memory form", file=path, symbol="form",
                         hint='tau x\' = W g(x) - x + b is form = "H" (x\' = -x + W phi(x) + u, with u = bias)')
    if net.activation is None:
        raise InputError("[network] declares no activation, so there is no Lagrangian", file=path,
                         symbol="activation", hint='add activation = "relu" (or "tanh", "linear") under [network]')
    if net.activation not in ACTIVATIONS:
        raise InputError(f"activation {net.activation!r} has no Lagrangian here", file=path, symbol="activation",
                         hint="use relu (L = 1/2 relu^2), tanh (L = log cosh) or linear (L = x^2/2)")
    W = [list(r) for r in net.W0]
    n = len(W)
    for i in range(n):
        for j in range(i + 1, n):
            if W[i][j] != W[j][i]:
                raise InputError(f"W0 must be symmetric for an energy to exist: entry ({i}, {j}) = {W[i][j]} but "
                                 f"entry ({j}, {i}) = {W[j][i]}", file=path, symbol="W0",
                                 hint="store W0 = (W + W^T)/2, e.g. a Hebbian sum of outer products of patterns")
    return W, net.bias_exact(), net.activation, rule


def run(args: argparse.Namespace) -> int:
    """Execute `certify memory` for parsed `args`; returns the exit code."""
    # deferred: loads SymPy, python-flint only when this runs
    from certify.families import memory
    # deferred: loads SymPy only when this runs
    from certify.output.report import text_error

    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.budget import BudgetExceeded, limit, stage
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.output.progress import Progress

    progress = Progress.from_args(args, 1)
    try:
        with limit() as spent, progress:   # --timeout (certify/budget.py); progress lines on stderr
            progress.start(args.rule)
            W, b, act, rule = load(args.rule)
            try:
                tau = memory.read_tau(args.tau, len(W))
            except InputError as err:
                raise InputError(err.message, file=args.rule, symbol="--tau", hint=err.hint) from None
            try:
                with stage("the associative-memory analysis (energy, flat regions, equilibria)"):
                    rep = memory.analyze(W, b, tau[0], act)
                with stage("the [energy] laws (kernel)"):
                    laws = _kernel_laws(rule)
                progress.done("analysed")
            except BudgetExceeded as exc:
                progress.done("inconclusive")
                return _out_of_time(args, exc.reason)
            if spent.expired:
                return _out_of_time(args, spent.reason or "")
    except InputError as err:
        progress.done("error")
        if getattr(args, "format", "text") == "json":
            print(json.dumps({"command": "memory", "input": args.rule, "status": "error",
                              "error": err.to_dict()}, indent=2))
        else:
            print(text_error(err), file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    if args.format == "json":
        out = {"command": "memory", "input": args.rule, "status": "ok", **memory.report_dict(rep)}
        if laws:
            out["laws"] = [{"law": r.law, "verdict": r.verdict.value, "statement": r.summary} for r in laws]
        body = json.dumps(out, indent=2)
    else:
        lines = [f"{args.rule}:", memory.render(rep) if not args.quiet else _short(memory.render(rep))]
        if laws:
            lines.append("energy laws of [energy] (trusted kernel; T = I as in the rule, whatever --tau says):")
            lines += [f"  [{r.verdict.value.upper():>12}] {r.law}: {r.summary}" for r in laws]
        body = "\n".join(lines)
    print(body)
    if args.out:
        failed = write_out(args.out, body)
        if failed is not None:
            return failed
    return int(ExitCode.OK)


def _short(text: str) -> str:
    """-q: the report's headline lines (no indented detail)."""
    return "\n".join(line for line in text.splitlines() if line and not line.startswith(" "))


def _out_of_time(args: argparse.Namespace, reason: str) -> int:
    """The time budget ran out: INCONCLUSIVE with the step, exit 3 (nothing is reported as found)."""
    if getattr(args, "format", "text") == "json":
        print(json.dumps({"command": "memory", "input": args.rule, "status": "inconclusive",
                          "verdict": "inconclusive", "reasons": [reason]}, indent=2))
    else:
        print(f"{args.rule}: INCONCLUSIVE: {reason}; rerun with a larger --timeout (0 = no limit)")
    return int(ExitCode.INCONCLUSIVE)


def _kernel_laws(rule) -> list:
    """The [energy] laws of the rule, decided by the kernel (empty when it declares none)."""
    # deferred: loads SymPy only when this runs
    from certify.search.laws import decide_laws
    return [r for rep in decide_laws(rule) if rep.section == "energy" for r in rep.results]
