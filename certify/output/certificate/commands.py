"""`certify prove` and `certify verify`: run over files and folders, print progress and results, map them to exit
codes (the argument parsing is in certify/cli/main.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from certify.budget import BudgetExceeded, limit, stage
from certify.errors import InputError
from certify.lang.paths import rule_files
from certify.output import atomic
from certify.output.junit import verify_xml, write
from certify.output.progress import Progress, progress_enabled

from .recheck import Verified, certificate_files, verify_file
from .render import render_verified
from .store import file_stem, prove_file


def run_prove(args) -> int:
    """`certify prove FILE|DIR... --out DIR`: exit 0 when every certificate was written and every documented
    verdict reproduced, 1 when a documented verdict was not reproduced or a certificate does not re-check,
    2 on bad input."""
    # deferred: report loads certify.check, which `certify verify` must not load (tests/output/test_certificate.py)
    from certify.output.report import text_error
    # deferred: lang.rule loads the kernel, needed only when a certificate is made or read
    from certify.lang.rule import Rule
    try:
        files = rule_files(args.paths)
        atomic.output_folder(args.out)           # a folder that can be written, before any work
    except InputError as err:
        print(text_error(err), file=sys.stderr)
        return 2
    out_dir = Path(args.out)
    names: dict[str, Path] = {}
    for path in files:   # certificates are named after rules: two rules with one name would overwrite
        try:
            stem = file_stem(Rule.from_file(path).name)
        except InputError:
            continue     # reported below
        if stem in names:
            print(f"ERROR {path}: its certificate would be {out_dir / stem}.json, like that of {names[stem]}; give "
                  "each rule its own [rule].name", file=sys.stderr)
            return 2
        names[stem] = path
    results = []
    code = 0
    quiet = getattr(args, "quiet", False)
    as_json = getattr(args, "format", "text") == "json"
    progress = _progress(args, len(files))
    for path in files:
        progress.start(str(path))
        res = prove_file(path, out_dir, latex=not getattr(args, "no_latex", False))
        progress.done("FAILED" if res.error else f"{res.verdict}, {res.claims} claim{'s' * (res.claims != 1)}")
        results.append(res)
        if res.error:
            print(res.error, file=sys.stderr)
            for m in res.mismatches:
                print(f"  EXPECTATION MISMATCH: {m}", file=sys.stderr)
            code = max(code, 2 if res.bad_input else 1)
            continue
        if not quiet and not as_json:
            line = f"{path}: wrote {res.files[0]} ({res.claims} claim{'s' * (res.claims != 1)}, {res.verdict}"
            print(line + f", {res.seconds:.2f} s)")
    written = sum(1 for r in results if not r.error)
    failed = len(results) - written
    if as_json:
        # deferred: needed only on this path
        import json
        print(json.dumps([{"file": str(r.path), "verdict": r.verdict, "claims": r.claims, "written": [str(f) for f in
                           r.files], "error": r.error, "mismatches": list(r.mismatches)} for r in results], indent=2))
    else:
        print(f"{written} certificate(s) written to {out_dir}" + (f", {failed} failed" if failed else ""))
    return code


def run_verify(args, results: list | None = None) -> int:
    """`certify verify FILE|DIR...`: 0 all verified, 1 some certificate failed or is stale, 2 bad input.
    Imports neither the derivation nor the counterexample search: only the parser and the kernel. `results`: the
    Verified of every certificate already computed elsewhere (`certify verify --jobs`, on the sweep's executor)."""
    t0 = time.perf_counter()
    try:
        files = certificate_files(args.paths)
        if getattr(args, "junit_xml", None):
            atomic.output_file(args.junit_xml, "--junit-xml")
    except InputError as err:
        print(f"ERROR {err}", file=sys.stderr)
        return 2
    progress = _progress(args, len(files))
    pooled, results = results, []
    for i, f in enumerate(files):
        progress.start(str(f))
        r = pooled[i] if pooled is not None else verify_within_budget(f)
        progress.done(r.status.upper())
        for c in r.claims:
            progress.note(f"{c.name}: {c.status} ({c.seconds:.2f} s)")
        results.append(r)
    counts = {s: sum(r.status == s for r in results) for s in ("verified", "failed", "stale", "error")}
    if getattr(args, "format", "text") == "json":
        # deferred: needed only on this path
        import json
        print(json.dumps([{"file": r.path, "status": r.status, "rule_file": r.rule_file, "problems": r.file_problems,
                           "claims": [{"name": c.name, "status": c.status, "message": c.message} for c in r.claims]}
                          for r in results], indent=2))
    else:
        for r in results:
            print(render_verified(r, verbose=not getattr(args, "quiet", False)))
        print(", ".join(f"{n} {s}" for s, n in counts.items()) + f" ({time.perf_counter() - t0:.2f} s)")
    if getattr(args, "junit_xml", None):
        write(args.junit_xml, verify_xml(results))
    if counts["error"]:
        return 2
    return 1 if counts["failed"] or counts["stale"] else 0


def verify_within_budget(path, seconds: float | None = None) -> Verified:
    """verify_file under the per-certificate time budget (`seconds`; None: --timeout, certify/budget.py): a
    certificate whose re-check runs out of time is FAILED with the reason, never VERIFIED."""
    with limit(seconds) as spent:
        try:
            with stage(f"the kernel re-check of {path}"):
                result = verify_file(path)
        except BudgetExceeded as exc:
            reason = exc.reason
        else:
            if not spent.expired:
                return result
            reason = spent.reason
    return Verified(str(path), status="failed",
                    file_problems=[f"not verified: {reason}; rerun with a larger --timeout"])


def _progress(args, total: int):
    """Progress lines on stderr (certify/output/progress.py): on with -v/--verbose, off with -q/--quiet, otherwise
    only when stderr is a terminal; the report on stdout is the same either way."""
    return Progress(total, enabled=progress_enabled(args), verbose=getattr(args, "verbose", False))
