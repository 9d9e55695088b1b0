"""Re-checking a certificate file (`certify verify`): read it (size- and depth-limited JSON), validate it against
the schema, check its seal, re-load the rule from the recorded path (STALE when it or a data file changed), check
that it holds exactly the claims the rule asks about, and re-check every claim through the kernel
(recheck_claim.py, recheck_network.py). Never derives or searches: imports only the parser and the kernel.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from certify.errors import InputError, KernelError
from certify.lang.datafiles import check_regular, read_text
from certify.lang.paths import collect_files, confined
from certify.verdict import Verdict, explored_verdict, file_verdict

from .fields import CertificateError, _assumptions, data_files, schema_errors, seal
from .recheck_claim import ClaimCheck, verify_claim


@dataclass
class Verified:
    """The outcome of verifying one certificate file."""

    path: str
    status: str = "verified"     # 'verified' | 'failed' | 'stale' | 'error'
    rule_file: str | None = None
    file_problems: list[str] = field(default_factory=list)
    claims: list[ClaimCheck] = field(default_factory=list)
    seconds: float = 0.0

    def problems(self) -> list[str]:
        return self.file_problems + [f"{c.name}: {c.message}" for c in self.claims if c.status == "failed"]

    @property
    def ok(self) -> bool:
        return self.status == "verified"


def _required_claims(rule, claims: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The claims a certificate of this rule must hold (as check_rule(rule, expectations=True) decides them)."""
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
    from certify.kernel.objects import MEASURES as EXPLORED_MEASURES   # as check.EXPLORED_MEASURES
    pairs = [(m, b) for m, b, _ in rule.expect]
    if rule.claim is not None and tuple(rule.claim) not in pairs:
        pairs.insert(0, tuple(rule.claim))
    if pairs:
        return pairs
    if rule.laws_only:
        return []
    verdicts = {(c["measure"], c["bound"]): c["verdict"] for c in claims}
    out = []
    for m in EXPLORED_MEASURES:
        out.append((m, "nonincreasing"))
        if verdicts.get((m, "nonincreasing")) != "certified":
            out.append((m, "bounded"))
    return out


def _overall(rule, claims: list[dict[str, Any]], laws: list[dict[str, Any]] = ()) -> str:
    """The file's verdict as check.check_rule decides it: the worst of the stated claim and the declared laws; the
    declared laws alone without a stated claim; the exploration's finding when neither exists."""
    verdicts = {(c["measure"], c["bound"]): Verdict(c["verdict"]) for c in claims}
    stated = verdicts.get(tuple(rule.claim)) if rule.claim is not None else None
    laws_v = [Verdict(d["verdict"]) for d in laws]
    return file_verdict(stated, laws_v, explored_verdict(list(verdicts.values()))).value


def project_root(certificate_folder: str | Path) -> Path:
    """The project a certificate belongs to: the folder above the certificate's folder (proofs/ next to rules/).
    `verify` opens the rule file a certificate names only inside it (unless --allow-outside-paths)."""
    return Path(os.path.abspath(certificate_folder)).parent


def verify_document(doc: dict[str, Any], rule_base: Path, path: str = "<certificate>", rule=None) -> Verified:
    """Verify a certificate already read and schema-checked. `rule_base` is the directory the recorded rule
    path is relative to (the certificate's directory)."""
    # deferred: lang.rule loads the kernel, needed only when a certificate is made or read
    from certify.lang.rule import Rule
    t0 = time.perf_counter()
    out = Verified(path)
    problems = out.file_problems
    if doc.get("seal") != seal(doc):
        problems.append("the file was edited after `certify prove` wrote it: its seal does not match its content")
    rec = doc["rule"]
    rule_file = (Path(rule_base) / rec["file"])
    out.rule_file = os.path.normpath(rule_file)
    if rule is None:
        try:   # only inside the project (the folder above the certificate's), and only a regular file
            confined(rec["file"], rule_base, "the rule file", roots=[project_root(rule_base)], file=path,
                     symbol="rule.file")
            if rule_file.exists():
                check_regular(rule_file, "the rule file", file=path, symbol="rule.file")
        except InputError as err:
            out.status = "error"
            problems.append(f"{err.message}; hint: {err.hint}")
            out.seconds = time.perf_counter() - t0
            return out
    try:
        recorded = Rule.from_text(rec["canonical_text"])
        if recorded.hash != rec["hash"] or rec["canonical_text"] != recorded.canonical_text():
            problems.append("the recorded canonical text of the rule does not have the recorded hash")
    except InputError as err:
        problems.append(f"the recorded canonical text of the rule is not a valid rule: {err.message}")
    if rule is None:
        if not rule_file.exists():
            out.status = "failed"
            problems.append(f"the rule file {out.rule_file} recorded in the certificate does not exist")
            out.seconds = time.perf_counter() - t0
            return out
        try:
            rule = Rule.from_file(rule_file)
        except InputError as err:
            out.status = "stale"
            problems.append(f"the rule file {out.rule_file} no longer loads: {err}")
            out.seconds = time.perf_counter() - t0
            return out
    if rule.hash != rec["hash"]:
        out.status = "stale"
        diff = [line for line in difflib.unified_diff(rec["canonical_text"].splitlines(),
                                                      rule.canonical_text().splitlines(), lineterm="", n=0)
                if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        problems.append(f"the rule file {out.rule_file} changed since the certificate was made (recorded "
                        f"hash {rec['hash'][:12]}..., now {rule.hash[:12]}...): "
                        + ", ".join(diff[:6]) + (" ..." if len(diff) > 6 else "")
                        + f"; regenerate it with `certify prove {out.rule_file} --out {os.path.normpath(rule_base)}`")
        out.seconds = time.perf_counter() - t0
        return out
    try:
        stale_data = _data_file_problems(rec["data_files"], rule, out.rule_file, rule_base)
    except InputError as err:   # a data file outside the rule's folder, a FIFO, a device
        out.status = "error"
        problems.append(f"{err.message}; hint: {err.hint}")
        out.seconds = time.perf_counter() - t0
        return out
    if stale_data:
        out.status = "stale" if not any(p.startswith("data_files") for p in stale_data) else "failed"
        problems += stale_data
        out.seconds = time.perf_counter() - t0
        return out
    if rec["name"] != rule.name:
        problems.append(f"rule name: the certificate says '{rec['name']}', the rule file says '{rule.name}'")
    if rec["dW"] != rule.dW_text:
        problems.append(f"rule dW: the certificate says '{rec['dW']}', the rule file says '{rule.dW_text}'")
    if rec["assumptions"] != _assumptions(rule):
        problems.append(f"assumptions: the certificate says {rec['assumptions']}, the rule file declares "
                        f"{_assumptions(rule)}")
    claims = doc["claims"]
    seen = [(c["measure"], c["bound"]) for c in claims]
    required = _required_claims(rule, claims)
    for pair in required:
        if pair not in seen:
            problems.append(f"the claim {pair[0]} {pair[1]} that the rule asks about is missing")
    for pair in seen:
        if pair not in required:
            problems.append(f"the claim {pair[0]} {pair[1]} is not one the rule asks about")
        elif seen.count(pair) > 1:
            problems.append(f"the claim {pair[0]} {pair[1]} appears more than once")
    laws = doc.get("laws", [])
    if doc["verdict"] != _overall(rule, claims, laws):
        problems.append(f"overall verdict: the certificate says '{doc['verdict']}', its claims give "
                        f"'{_overall(rule, claims, laws)}'")
    if rule.balancing or rule.energy or laws:
        # deferred: only rules with laws need it (recheck_laws re-checks them through kernel/laws.py)
        from certify.search.laws import recheck_laws
        try:
            problems += recheck_laws(rule, laws)
        except InputError:
            raise
        except (ValueError, ArithmeticError) as exc:   # a stored witness number such as '1/0' (schema-valid)
            problems.append(f"laws: a number in a stored witness cannot be read ({type(exc).__name__}: "
                            f"{str(exc)[:200]})")
    for c in claims:
        try:
            out.claims.append(verify_claim(c, rule))
        except (KernelError, CertificateError) as exc:  # defensive: a reason, never a crash
            out.claims.append(ClaimCheck(c["measure"], c["bound"], c["verdict"], "failed", str(exc)))
        except InputError:
            raise
        except (ValueError, ArithmeticError) as exc:   # a number the schema lets through but no value has: '1/0'
            out.claims.append(ClaimCheck(c["measure"], c["bound"], c["verdict"], "failed",
                                         f"a number in the claim cannot be read ({type(exc).__name__}: "
                                         f"{str(exc)[:200]})"))
    if problems or any(c.status == "failed" for c in out.claims):
        out.status = "failed"
    out.seconds = time.perf_counter() - t0
    return out


def _data_file_problems(recorded: dict[str, Any], rule, rule_file: str, rule_base) -> list[str]:
    """The data files (W0, bias) the rule names must still hold what they held when the certificate was made
    (STALE otherwise); the recorded list must name exactly the rule's data files (else the file was edited)."""
    now = data_files(rule)
    if {k: v["file"] for k, v in recorded.items()} != {k: v["file"] for k, v in now.items()}:
        return [f"data_files: the certificate records {sorted((k, v['file']) for k, v in recorded.items())}, the "
                f"rule file names {sorted((k, v['file']) for k, v in now.items())}"]
    out = []
    for key, rec in recorded.items():
        cur = now[key]["sha256"]
        if cur == rec["sha256"]:
            continue
        where = os.path.normpath(Path(rule_file).parent / rec["file"])
        what = "no longer exists" if not cur else (f"changed since the certificate was made (recorded sha256 "
                                                    f"{rec['sha256'][:12]}..., now {cur[:12]}...)")
        out.append(f"the data file {where} ({key} of the rule's [network]) {what}; regenerate the certificate with "
                   f"`certify prove {rule_file} --out {os.path.normpath(rule_base)}`")
    return out


MAX_CERTIFICATE_BYTES = 64 << 20   # a certificate file is at most 64 MiB
MAX_JSON_NESTING = 64              # levels of JSON objects and arrays (certificates need about 10)


def _json_depth(text: str) -> int:
    """The deepest nesting of [ and { outside JSON strings, without parsing (so without recursion)."""
    depth = deepest = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        c = m.group()
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def read_certificate(path: Path) -> dict[str, Any]:
    try:
        text = read_text(path, "certificate", MAX_CERTIFICATE_BYTES)   # regular files only, size-limited
    except InputError as err:
        raise CertificateError(f"cannot read the certificate: {err.message}") from None
    depth = _json_depth(text)
    if depth > MAX_JSON_NESTING:
        raise CertificateError(f"not a certificate: its JSON is nested {depth} levels deep (certificates need at most "
                               f"{MAX_JSON_NESTING})")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CertificateError(f"not valid JSON: {exc}") from None
    except (RecursionError, ValueError) as exc:   # ValueError: an integer with more than 4300 digits
        raise CertificateError(f"not valid JSON: {type(exc).__name__}: {str(exc)[:200]}") from None
    errors = schema_errors(doc)
    if errors:
        raise CertificateError("does not follow the certificate schema (certify/schema/certificate.schema.json): "
                               + "; ".join(errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""))
    return doc


def verify_file(path: str | Path) -> Verified:
    """Read, schema-check and verify one certificate file."""
    t0 = time.perf_counter()
    try:
        doc = read_certificate(Path(path))
    except CertificateError as err:
        out = Verified(str(path), status="error", file_problems=[str(err)])
        out.seconds = time.perf_counter() - t0
        return out
    return verify_document(doc, Path(path).parent, str(path))


def certificate_files(paths: Sequence[str]) -> list[Path]:
    return collect_files(paths, "*.json", "certificates",
                         "write them with `certify prove rules/ --out proofs/`")
