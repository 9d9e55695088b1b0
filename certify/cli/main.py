"""The `certify` command: a thin layer over the library. Exit codes: certify.verdict.ExitCode."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from certify.budget import BudgetExceeded
from certify.errors import InputError, InternalError
from certify.lang.paths import rule_files
from certify.kernel.objects import CLAIM_KINDS, MEASURES
from certify.output.progress import Progress
from certify.verdict import ExitCode, Verdict, exit_code_for

FORMATS = ("text", "json", "markdown", "latex")
SUFFIX = {"text": ".txt", "json": ".json", "markdown": ".md", "latex": ".tex"}
VERBOSE_HELP = ("progress on stderr: one line [i/N] per rule file with its verdict and time, then one per claim "
                "(stdout is unchanged). Without -v/-q, progress lines appear only when stderr is a terminal; "
                "-v wins over -q")


def _check_one(path: Path, args: argparse.Namespace, progress: Progress, junit_items: list):
    """Decide one rule file for `check` (a RuleReport, or the InputError it raised), with its progress line."""
    # deferred: loads SymPy only when this runs
    from certify.check import check_rule
    # deferred: loads SymPy only when this runs
    from certify.lang.rule import Rule

    progress.start(str(path))
    started = time.perf_counter()
    try:
        rule = Rule.from_file(path)
        rep = check_rule(rule, measure=args.measure, bound=args.bound, expectations=args.expect)
    except InputError as err:
        junit_items.append((str(path), err, time.perf_counter() - started))
        progress.done("error")
        return err
    except Exception as exc:   # a bug in certify: reported as such, never as a verdict about the file
        err = InternalError(exc, file=str(path))
        junit_items.append((str(path), err, time.perf_counter() - started))
        progress.done("internal error")
        return err
    junit_items.append((str(path), rep, time.perf_counter() - started))
    _claims_done(progress, rep)
    return rep


def _add_parallel(p: argparse.ArgumentParser) -> None:
    """--jobs / --scheduler: run the files on a process pool or a Dask cluster (certify/sweep/run.py)."""
    p.add_argument("--jobs", type=int, metavar="N", default=None,
                   help="check N files at a time on a local process pool (default: one after another)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the files on the Dask cluster at ADDRESS (e.g. tcp://host:8786)")


def _parallel(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "jobs", None) and args.jobs > 1) or bool(getattr(args, "scheduler", None))


def _pooled_reports(args: argparse.Namespace, files: list[Path]) -> dict | None:
    """With --jobs or --scheduler: every file's RuleReport (or its InputError / InternalError), computed by the sweep's
    executor before anything is printed; None otherwise (files are then checked one after another)."""
    if not _parallel(args):
        return None
    # deferred: the executor (and Dask, with --scheduler) loads only when asked for
    from certify.sweep.catalog import check_files
    done = check_files([str(p) for p in files], measure=args.measure, bound=args.bound, expectations=args.expect,
                       timeout=getattr(args, "timeout", 0) or 0, jobs=args.jobs, scheduler=args.scheduler)
    return {Path(p): rep for p, rep in done}


def _pooled_one(path: Path, rep, progress: Progress, junit_items: list):
    """The progress line and JUnit item of a file decided by the pool (its time is not measured per file: 0)."""
    progress.start(str(path))
    junit_items.append((str(path), rep, 0.0))
    if isinstance(rep, (InputError, InternalError)):
        progress.done("error" if isinstance(rep, InputError) else "internal error")
    else:
        _claims_done(progress, rep)
    return rep


def _claims_done(progress: Progress, rep) -> None:
    """The file's progress status, then (with --verbose) one detail line per claim decided."""
    progress.done(rep.verdict.value + (f", {len(rep.mismatches)} expectation(s) not reproduced"
                                       if rep.mismatches else ""))
    for r in rep.results:
        progress.detail(f"{r.claim.measure} {r.claim.bound}: {r.verdict.value}")


def cmd_check(args: argparse.Namespace) -> int:
    # deferred: loads SymPy only when this runs
    from certify.output import report

    try:
        files = rule_files(args.paths)
        _check_outputs(args, files)
    except InputError as err:
        print(report.text_error(err), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    verdicts: list[Verdict] = []
    rendered: list[str] = []
    json_items = []
    mismatches = 0
    claims = 0
    junit_items = []
    internal = False
    pooled = _pooled_reports(args, files)
    progress = Progress.from_args(args, len(files))
    with progress:
        for path in files:
            rep = (_pooled_one(path, pooled[Path(path)], progress, junit_items) if pooled is not None
                   else _check_one(path, args, progress, junit_items))
            if isinstance(rep, (InputError, InternalError)):
                verdicts.append(Verdict.ERROR)
                internal = internal or isinstance(rep, InternalError)
                if args.format == "json":
                    json_items.append(report.error_dict(rep, str(path)))
                else:
                    rendered.append(report.text_error(rep))
                continue
            verdicts.append(rep.verdict)
            mismatches += len(rep.mismatches)
            claims += len(rep.results) + sum(len(lr.results) for lr in rep.laws)
            if args.expect and args.format == "text" and not rep.mismatches and not args.verbose and not args.out:
                continue   # --expect: only what was not reproduced (and errors), unless -v
            if args.format == "json":
                json_items.append(report.report_dict(rep))
            elif args.format == "markdown":
                rendered.append(report.markdown_report(rep))
            elif args.format == "latex":
                rendered.append(report.latex_report(rep))
            else:
                rendered.append(report.text_report(rep, level=output_level(args)))
            if args.out:
                # deferred: loaded only when this path runs (keeps this module's import light)
                from certify.output.atomic import write_text
                body = (report.to_json([report.report_dict(rep)]) if args.format == "json" else
                        report.latex_document([rendered[-1]], rep.rule.name).rstrip() if args.format == "latex"
                        else rendered[-1])
                target = Path(args.out) / (path.stem + SUFFIX[args.format])
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    write_text(target, body + "\n")   # whole or not at all
                except OSError as exc:
                    print(report.text_error(InputError(f"--out: cannot write {target}: {exc.strerror or exc}",
                                                       file=str(target), hint="name a folder you can write to")),
                          file=sys.stderr)
                    return ExitCode.USAGE_ERROR
    if args.format == "json":
        print(report.to_json(json_items))
    elif args.format == "latex":
        print(report.latex_document(rendered, "certify check"), end="")
    else:
        if rendered:
            print("\n\n".join(rendered))
        if len(files) > 1 and (not args.expect or args.verbose):
            counts = {v: verdicts.count(v) for v in Verdict}
            print(("\n" if rendered else "") + ", ".join(f"{counts[v]} {v.value}" for v in Verdict))
    if args.junit_xml:
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output.junit import check_xml, write
        write(args.junit_xml, check_xml(junit_items, expect=args.expect))
    if args.expect:
        if Verdict.ERROR in verdicts:
            return exit_code_for(verdicts, internal)
        if args.format == "text":
            where = f"{claims} claim(s) and law(s) in {len(files)} file(s)"
            print(("\n" if rendered else "") + (f"{mismatches} documented verdict(s) not reproduced ({where})"
                                                 if mismatches else f"every documented verdict reproduced ({where})"))
        return ExitCode.REFUTED if mismatches else ExitCode.OK
    return exit_code_for(verdicts, internal)


def output_level(args: argparse.Namespace) -> str:
    """-q, -v on stdout, the same for every sub-command: 'quiet' (the verdicts, no derivations), 'verbose'
    (everything), 'normal' otherwise. (Progress lines on stderr: certify/output/progress.py.)"""
    if getattr(args, "quiet", False):
        return "quiet"          # -q -v: the short report, with progress lines on stderr
    return "verbose" if getattr(args, "verbose", False) else "normal"


def _check_outputs(args: argparse.Namespace, files: list[Path]) -> None:
    """Before any work: --out is a folder that can be written (created when missing), --junit-xml a file, and no two
    rule files would write the same report (a/x.toml and b/x.toml both give x.txt): InputError otherwise."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.output.atomic import output_file, output_folder
    if getattr(args, "out", None):
        out = output_folder(args.out)
        seen: dict[str, Path] = {}
        for path in files:
            name = path.stem + SUFFIX[args.format]
            if name in seen and seen[name].resolve() != path.resolve():
                raise InputError(f"{path} and {seen[name]} would both write {out / name}", file=str(path),
                                 hint="check them in two runs with different --out folders, or rename one file")
            seen[name] = path
    if getattr(args, "junit_xml", None):
        output_file(args.junit_xml, "--junit-xml")


def cmd_explain(args: argparse.Namespace) -> int:
    # deferred: loads SymPy only when this runs
    from certify.output import report
    # deferred: loads SymPy only when this runs
    from certify.check import check_rule
    from certify.lang.rule import Rule

    verdicts: list[Verdict] = []
    internal = False
    try:
        files = rule_files(args.paths)
    except InputError as err:
        print(report.text_error(err), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    progress = Progress.from_args(args, len(files))
    bodies: list[str] = []
    errors_to = sys.stdout if args.format == "text" else sys.stderr   # a document stays a document
    with progress:
        for path in files:
            progress.start(str(path))
            try:
                rep = check_rule(Rule.from_file(path), measure=args.measure, bound=args.bound)
            except InputError as err:
                progress.done("error")
                print(report.text_error(err), file=errors_to)
                verdicts.append(Verdict.ERROR)
                continue
            except Exception as exc:   # a bug in certify, not a verdict
                progress.done("internal error")
                print(report.text_error(InternalError(exc, file=str(path))), file=errors_to)
                verdicts.append(Verdict.ERROR)
                internal = True
                continue
            _claims_done(progress, rep)
            bodies.append(report.explain_report(rep, args.format))
            verdicts.append(rep.verdict)
            if args.out:
                # deferred: loaded only when this path runs (keeps this module's import light)
                from certify.output.atomic import write_text
                body = (report.latex_document([bodies[-1]], f"certify explain: {rep.rule.name}")
                        if args.format == "latex" else bodies[-1] + "\n")
                target = Path(args.out) / (path.stem + SUFFIX[args.format])
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    write_text(target, body)
                except OSError as exc:
                    print(report.text_error(InputError(f"--out: cannot write {target}: {exc.strerror or exc}",
                                                       file=str(target), hint="name a folder you can write to")),
                          file=sys.stderr)
                    return ExitCode.USAGE_ERROR
    if args.format == "latex":
        print(report.latex_document(bodies, "certify explain"), end="")
    else:
        print("\n\n".join(bodies) + "\n")
    return exit_code_for(verdicts, internal)


def _verify(args: argparse.Namespace) -> int:
    """`certify verify`: one certificate after another, or (--jobs / --scheduler) on the sweep's executor."""
    # deferred: the certificate package loads the kernel; `certify --help` stays light
    from certify.output import certificate
    results = None
    if _parallel(args):
        # deferred: the executor (and Dask, with --scheduler) loads only when asked for
        from certify.sweep.catalog import verify_files
        try:
            results = verify_files(args.paths, timeout=getattr(args, "timeout", 0) or 0, jobs=args.jobs,
                                   scheduler=args.scheduler)
        except InputError as err:
            print(f"ERROR {err}", file=sys.stderr)
            return ExitCode.USAGE_ERROR
    return certificate.run_verify(args, results=results)


def build_parser() -> argparse.ArgumentParser:
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify import __version__

    parser = argparse.ArgumentParser(
        prog="certify",
        description="Certify what plasticity rules do to matrix measures and contraction of neural networks.",
        epilog="exit codes: 0 all certified, 1 some refuted, 2 bad input or usage, 3 some inconclusive, "
               "4 internal error (a bug in certify)")
    parser.add_argument("--version", action="version", version=f"certify {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("check", help="check rule files (or directories of them)",
                           description="Decide the claim of each rule file: certified, refuted, inconclusive "
                                       "or error. Without a [claim], explore every norm.")
    check.add_argument("paths", nargs="+", metavar="FILE|DIR")
    check.add_argument("--measure", choices=MEASURES, help="the norm of the claim (overrides the file)")
    check.add_argument("--bound", choices=CLAIM_KINDS, help="the kind of claim (overrides the file)")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--out", metavar="DIR", help="also write one report per rule file into DIR")
    check.add_argument("--expect", action="store_true",
                       help="decide every verdict documented under [expect] in each file; exit 0 when all are "
                            "reproduced, 1 when one is not, 2 on bad input")
    check.add_argument("-q", "--quiet", action="store_true",
                       help="omit derivation steps in text output; also silences the progress lines")
    check.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    check.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report (one testcase per claim)")
    _add_parallel(check)
    check.set_defaults(func=cmd_check)
    # deferred: loads SymPy only when this runs
    from certify.output import certificate
    prove = sub.add_parser("prove", help="write a certificate (JSON + Markdown + LaTeX) per rule file",
                           description="Decide every claim of each rule file (the documented [expect] claims, else "
                                       "the stated claim, else every norm) and write <rule-name>.json, .md and .tex "
                                       "into --out. Exit 0 when all are written and every documented verdict is "
                                       "reproduced, 1 otherwise, 2 on bad input.")
    prove.add_argument("paths", nargs="+", metavar="FILE|DIR")
    prove.add_argument("--out", metavar="DIR", default="proofs", help="where to write the certificates (proofs/)")
    prove.add_argument("--no-latex", action="store_true", help="do not write the LaTeX rendering")
    prove.add_argument("--format", choices=("text", "json"), default="text",
                       help="what stdout holds: text or json (the certificates themselves are always JSON + Markdown "
                            "+ LaTeX files in --out)")
    prove.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    prove.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    prove.set_defaults(func=certificate.run_prove)
    verify = sub.add_parser("verify", help="re-check stored certificates with the kernel only (fast, no search)",
                            description="Validate certificates (*.json) against the published schema, report stale "
                                        "ones (rule file changed), re-check every proof and counterexample with the "
                                        "trusted kernel and compare with what the file says. Exit 0 all verified, 1 "
                                        "some certificate failed or is stale, 2 bad input.")
    verify.add_argument("paths", nargs="+", metavar="FILE|DIR")
    verify.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report (one testcase per claim)")
    verify.add_argument("--format", choices=("text", "json"), default="text",
                        help="what stdout holds: text or json (one item per certificate)")
    verify.add_argument("-q", "--quiet", action="store_true", help="list only failing claims (and no progress)")
    verify.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    _add_parallel(verify)
    explain = sub.add_parser("explain", help="print the derivations of rule files step by step, for a reader",
                             description="Decide each claim and print every step with the lemma it uses, stated "
                                         "in full, and its source (teaching mode).")
    explain.add_argument("paths", nargs="+", metavar="FILE|DIR")
    explain.add_argument("--measure", choices=MEASURES)
    explain.add_argument("--bound", choices=CLAIM_KINDS)
    explain.add_argument("--format", choices=("text", "markdown", "latex"), default="text",
                         help="latex: a standalone document (compiles with pdflatex)")
    explain.add_argument("--out", metavar="DIR", help="also write one explanation per rule file into DIR")
    explain.add_argument("-q", "--quiet", action="store_true", help="no progress lines (the explanation is unchanged)")
    explain.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    explain.set_defaults(func=cmd_explain)
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.cli import balance as balance_cli, memory as memory_cli, plot as plot_cli, spectrum as spectra_cli
    balance_cli.add_parser(sub).set_defaults(func=balance_cli.run)
    plot_cli.add_parser(sub).set_defaults(func=plot_cli.run)
    memory_cli.add_parser(sub).set_defaults(func=memory_cli.run)
    spectra_cli.add_parser(sub).set_defaults(func=spectra_cli.run)
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.cli import sweep as sweep_cli
    sweep_cli.add_parser(sub).set_defaults(func=sweep_cli.run)
    verify.set_defaults(func=_verify)
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.budget import DEFAULT_SECONDS, TIMEOUT_HELP, check_seconds
    for name, command in sub.choices.items():   # every command that reads rule files or certificates
        if name != "balance":
            command.add_argument(OUTSIDE_OPTION, action="store_true",
                                 help="let a rule name data files outside its own folder tree (absolute paths, ../, "
                                      "symlinks out), and `verify` open rule files outside the certificate's "
                                      "project; only for input you trust")
            command.add_argument("--timeout", type=check_seconds, default=DEFAULT_SECONDS, metavar="SECONDS",
                                 help=TIMEOUT_HELP + (" (verify: per certificate; one that runs out of time is "
                                                      "FAILED, not verified)" if name == "verify" else ""))
            command.set_defaults(func=_common_options(command.get_default("func")))
    return parser


OUTSIDE_OPTION = "--allow-outside-paths"


def _common_options(func):
    """`func` run with files outside the naming file's folder allowed when --allow-outside-paths was given, and with
    --timeout as the time budget per rule file (certify/budget.py)."""
    def run(args: argparse.Namespace) -> int:
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.budget import configure
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.lang.paths import allow_outside, reset
        token = allow_outside(getattr(args, "allow_outside_paths", False))
        try:
            with configure(getattr(args, "timeout", None)):
                return func(args)
        finally:
            reset(token)
    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE_ERROR
    try:
        return int(args.func(args))
    except InputError as err:         # a subcommand that let an input error through: still exit 2, located
        print(f"ERROR {err}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except BudgetExceeded as exc:     # a time budget that no step caught (defensive): inconclusive, never a verdict
        print(f"certify: INCONCLUSIVE: {exc.reason}", file=sys.stderr)
        return ExitCode.INCONCLUSIVE
    except BrokenPipeError:           # output piped into e.g. `head`: console_main handles it
        raise
    except Exception as exc:          # a bug in certify: its own exit code, never a verdict's (0, 1, 3)
        print(f"certify: {InternalError(exc)}", file=sys.stderr)
        return ExitCode.INTERNAL_ERROR


def console_main() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into e.g. `head`: not an error of ours
        # deferred: needed only on this path
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
