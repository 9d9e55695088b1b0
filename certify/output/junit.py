"""JUnit XML for CI dashboards: `certify check --junit-xml FILE` and `certify verify --junit-xml FILE`.

One <testsuite> per file and one <testcase> per (file, claim):

- check: certified passes; refuted is a <failure>; inconclusive is <skipped>; with --expect a claim passes
  when its documented verdict is reproduced (a mismatch is a <failure>); an input error is an <error>.
- verify: a claim whose evidence the kernel re-checked passes; a mismatch, a tampered or stale certificate is
  a <failure> (a file-level testcase named "certificate" carries file-level problems); claims with nothing to
  re-check (inconclusive ones) are <skipped>; an unreadable or schema-violating file is an <error>.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable, Sequence

def _suite(name: str, cases: Sequence[tuple[str, str, str, float]], seconds: float) -> ET.Element:
    """cases: (testcase name, status in passed|failure|skipped|error, message, seconds)."""
    suite = ET.Element("testsuite", name=name, tests=str(len(cases)),
                       failures=str(sum(c[1] == "failure" for c in cases)),
                       errors=str(sum(c[1] == "error" for c in cases)),
                       skipped=str(sum(c[1] == "skipped" for c in cases)), time=f"{seconds:.3f}")
    for case_name, status, message, secs in cases:
        case = ET.SubElement(suite, "testcase", classname=name, name=case_name, time=f"{secs:.3f}")
        if status in ("failure", "error", "skipped"):
            el = ET.SubElement(case, status, message=message.splitlines()[0][:500] if message else status)
            if status != "skipped":
                el.text = message
        elif message:
            ET.SubElement(case, "system-out").text = message
    return suite


def _document(suites: Iterable[ET.Element], name: str) -> ET.Element:
    root = ET.Element("testsuites", name=name)
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    for s in suites:
        root.append(s)
        for k in total:
            total[k] += int(s.get(k, "0"))
        seconds += float(s.get("time", "0"))
    for k, v in total.items():
        root.set(k, str(v))
    root.set("time", f"{seconds:.3f}")
    return root


def check_xml(items: Sequence[tuple[str, object, float]], expect: bool = False) -> ET.Element:
    """items: (rule file, RuleReport or InputError, seconds)."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.errors import InputError, InternalError
    suites = []
    for path, rep, seconds in items:
        if isinstance(rep, (InputError, InternalError)):
            suites.append(_suite(path, [("load", "error", str(rep), seconds)], seconds))
            continue
        cases = _claim_cases(rep, expect, seconds)
        suites.append(_suite(path, cases, seconds))
    return _document(suites, "certify check")


_BY_VERDICT = {"certified": "passed", "refuted": "failure", "inconclusive": "skipped"}


def _claim_cases(rep, expect: bool, seconds: float) -> list[tuple[str, str, str, float]]:
    """One testcase per claim and per declared law, so that the report agrees with the exit code:
    - with --expect, a documented verdict is a failure exactly when it is not reproduced, and anything
      undocumented is information (passed when certified, else skipped);
    - without --expect, a stated claim or a declared law that is refuted is a failure; the findings of an
      exploration (no claim stated) are information, and one 'file verdict' testcase carries the exploration's
      verdict (a failure only when every explored bound is refuted, as the exit code then is 1)."""
    documented = {(m, b): v for m, b, v in rep.rule.expect}
    documented_laws = {(sec, law): v for sec, law, v in rep.rule.law_expect}
    law_results = [r for law_rep in rep.laws for r in law_rep.results]
    share = seconds / max(len(rep.results) + len(law_results), 1)
    cases = []
    for r in rep.results:
        name = f"{r.claim.measure} {r.claim.bound}"
        expected = documented.get((r.claim.measure, r.claim.bound)) if expect else None
        cases.append((name, *_status(r.verdict.value, expected, r.summary, expect or rep.mode == "explore"),
                      share))
    for r in law_results:
        expected = documented_laws.get((r.section, r.law)) if expect else None
        cases.append((f"[{r.section}] {r.law}", *_status(r.verdict.value, expected, r.statement, expect), share))
    if rep.mode == "explore" and not expect:
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.verdict import explored_verdict
        found = explored_verdict([r.verdict for r in rep.results]).value
        findings = ", ".join(f"{r.claim.measure} {r.claim.bound} {r.verdict.value}" for r in rep.results)
        cases.append(("exploration", _BY_VERDICT[found], f"{found} (no claim stated; explored: {findings})", 0.0))
    return cases


def _status(verdict: str, expected: str | None, summary: str, informational: bool) -> tuple[str, str]:
    if expected is not None:
        ok = verdict == expected
        return ("passed", f"{verdict} as documented: {summary}") if ok else \
            ("failure", f"expected {expected}, got {verdict}: {summary}")
    if informational:
        return ("passed" if verdict == "certified" else "skipped"), f"{verdict} (finding, not a declared claim): {summary}"
    return _BY_VERDICT[verdict], f"{verdict}: {summary}"


def verify_xml(results: Sequence[object]) -> ET.Element:
    """results: certificate.Verified objects."""
    suites = []
    for r in results:
        cases = []
        if r.status == "error":
            cases.append(("certificate", "error", "; ".join(r.file_problems), r.seconds))
        else:
            file_status = "failure" if r.file_problems else "passed"
            prefix = "STALE: " if r.status == "stale" else ""
            cases.append(("certificate", file_status,
                          prefix + "; ".join(r.file_problems) if r.file_problems
                          else f"rule {r.rule_file}: hash and seal match", 0.0))
            for c in r.claims:
                status = {"verified": "passed", "failed": "failure", "skipped": "skipped"}[c.status]
                cases.append((c.name, status, c.message, c.seconds))
        suites.append(_suite(r.path, cases, r.seconds))
    return _document(suites, "certify verify")


def write(path: str | Path, root: ET.Element) -> None:
    ET.indent(root)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
