"""Storing a checked rule as a certificate: the document built from a RuleReport (claims, proofs, witnesses,
network evidence, laws), its seal and the versions that made it, re-verified before it is written with
certify/output/atomic.py (JSON, Markdown and LaTeX beside each other, each file whole or not at all).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import time
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import metadata
from pathlib import Path
from typing import Any

from certify import __version__
from certify.errors import InputError, KernelError
from certify.lang.parse import show
from certify.output import atomic
from certify.verdict import Verdict

from .fields import (CONDITIONAL_NOTE, FORMAT, REFUTATION_KINDS, SCHEMA_VERSION, CertificateError, _assumptions,
                     _refutation_dict, _strs, certificate_view, contraction_summary, data_files, proof_dict,
                     schema_errors, seal, witness_dict)
from .recheck import verify_document
from .recheck_network import _lmi_inputs, _weighted_rate
from .render import markdown


def versions() -> dict[str, str]:
    out = {"certify": __version__, "python": platform.python_version()}
    for dist in ("sympy", "numpy", "python-flint"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
            out[dist] = "not installed"
    return out


def _fixed_evidence(net, best) -> dict[str, Any]:
    """The stored data of the best fixed-W certificate, re-checked by the kernel here (prove side)."""
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
    from certify.kernel import contraction as kc
    n = net.n
    if best.norm.startswith("weighted-"):
        norm = "linf" if best.norm.startswith("weighted-linf") else "l1"
        perron = "Perron" in best.norm
        form = net.form if net.linear else best.data.get("form", net.form)   # linear phi: the form is irrelevant
        if not perron:
            eta = [Fraction(1)] * n
        elif best.data.get("eta_exact") is not None:     # the weights the kernel was given, when kept
            eta = [Fraction(x) if isinstance(x, (int, Fraction)) else Fraction(float(x))
                   for x in best.data["eta_exact"]]
        elif isinstance(best.data.get("eta"), list) and len(best.data["eta"]) == n:
            eta = [Fraction(float(x)) for x in best.data["eta"]]      # repr of binary64: exact round trip
        else:   # not listed for large n: the same deterministic computation as certify_fixed
            # deferred: `certify prove` only; `certify verify` must not load the search (tests/output/test_certificate.py)
            from certify.search.contraction import perron_weights
            eta = [Fraction(float(x)) for x in perron_weights(net.W0_float(), norm)]
        if perron and max(eta) != 1:
            top = max(eta)
            eta = [x / top for x in eta]
        rate = _weighted_rate(net, form, norm, eta)
        if rate != best.rate:
            raise CertificateError(f"the weights of {best.norm} give rate {rate}, not the reported {best.rate}")
        return {"kind": "weighted", "norm": norm, "form": form, "weights": "Perron" if perron else "unit",
                "eta": _strs(eta), "rate": str(rate)}
    if best.norm.startswith("l2 metric"):
        P, lam = best.data.get("P"), best.data.get("lam")
        g = Fraction(1) if net.linear else net.g
        if P is None or lam is None:   # the search result does not keep (P, lam): search again
            # deferred: `certify prove` only; `certify verify` must not load the search (tests/output/test_certificate.py)
            from certify.search import lmi
            res = lmi.search_metric(net.W0_float(), float(g), net.form, structure=best.data.get("structure", "diag"))
            if res.P is None:
                raise CertificateError(f"{best.norm}: the metric search did not reproduce a metric")
            P, lam = res.P, res.lam
        Pq = [[Fraction(float(x)) for x in row] for row in P]
        lq = [Fraction(float(x)) for x in lam]
        try:
            W, Pk, lk = _lmi_inputs(net.W0, Pq, lq)
            method = kc.check_lmi(W, g, net.form, Pk, lk, best.rate)
        except KernelError as err:
            raise CertificateError(f"{best.norm}: the kernel rejects the metric for the exact W0: {err}") from None
        diagonal = all(Pq[i][j] == 0 for i in range(n) for j in range(n) if i != j)
        return {"kind": "lmi", "structure": "diag" if diagonal else "full", "P": [_strs(r) for r in Pq],
                "lam": _strs(lq), "rate": str(best.rate), "method": method}
    raise CertificateError(f"no stored form for the network certificate '{best.norm}'")


def _plastic_evidence(rule, net, res) -> dict[str, Any]:
    """The flow proof behind a PlasticResult (the one certify_plastic's kernel call accepted) and its numbers."""
    if res.proof is None or res.flow_certificate is None:
        raise CertificateError("the plastic contraction result does not carry the flow proof it came from")
    return {"kind": "plastic", "flow_claim": {"measure": res.claim.measure, "bound": res.claim.bound},
            "proof": proof_dict(res.proof), "flow_bound": res.flow_certificate.bound.render(show),
            "start_value": str(res.start_value), "rate_all_t": str(res.c_all), "T": str(res.T),
            "rate_after_T": str(res.c_after)}


def contraction_evidence(rule, result) -> dict[str, Any] | None:
    """What a certified or refuted `contracting` claim stores for the kernel (None when inconclusive)."""
    # deferred: `certify prove` only; `certify verify` must not load the search (tests/output/test_certificate.py)
    from certify.search.contraction import FixedResult, PlasticResult
    # deferred: lang.network loads lang.rule and the kernel, needed only when a certificate is made or read
    from certify.lang.network import network_of
    if result.verdict is Verdict.INCONCLUSIVE:
        return None
    net = network_of(rule)
    if result.verdict is Verdict.REFUTED:
        return _refutation_dict(result.network)
    if isinstance(result.network, PlasticResult):
        return _plastic_evidence(rule, net, result.network)
    if isinstance(result.network, FixedResult) and result.network.best is not None:
        return _fixed_evidence(net, result.network.best)
    raise CertificateError(f"a {result.verdict.value} contracting claim without a network certificate")


def claim_dict(rule, result) -> dict[str, Any]:
    # deferred: lang.rule loads the kernel, needed only when a certificate is made or read
    from certify.lang.rule import Range
    claim = result.claim
    expected = {(m, b): v for m, b, v in rule.expect}.get((claim.measure, claim.bound))
    out: dict[str, Any] = {"measure": claim.measure, "bound": claim.bound, "verdict": result.verdict.value,
                           "expected": expected, "recheckable": True, "summary": result.summary}
    if claim.bound == "contracting":
        data = contraction_evidence(rule, result)
        out["recheckable"] = data is not None
        if data is not None:
            out["contraction"] = data
            explanation = str(result.network) if data["kind"] in REFUTATION_KINDS else None
            out["summary"] = contraction_summary(data, explanation)
        if result.reasons:
            out["reasons"] = list(result.reasons)
        return out
    if result.verdict is Verdict.CERTIFIED:
        if result.proof is None:
            raise CertificateError(f"{claim.measure} {claim.bound}: the certified result carries no proof")
        out["proof"] = proof_dict(result.proof)
        out["certificate"] = certificate_view(result.certificate)
    elif result.verdict is Verdict.REFUTED:
        out["counterexample"] = witness_dict(result.refutation)
    if result.reasons:
        out["reasons"] = list(result.reasons)
    if result.conditional is not None:
        asm = result.conditional_assumptions
        out["conditional"] = {
            "conditions": [show(c) for c in result.conditions],
            "parameters": {k: Range(asm.parameters[k]).text() for k, _ in rule.parameters},
            "proof": proof_dict(result.conditional_proof), "statement": result.conditional.bound.render(show),
            "note": CONDITIONAL_NOTE}
    return out


def build(rule, rep, rule_path: Path, out_dir: Path) -> dict[str, Any]:
    """The certificate of a checked rule (a RuleReport from check_rule(rule, expectations=True))."""
    rel = Path(os.path.relpath(Path(rule_path).resolve(), Path(out_dir).resolve())).as_posix()
    doc: dict[str, Any] = {
        "format": FORMAT, "schema_version": SCHEMA_VERSION, "created_by": versions(),
        "rule": {"name": rule.name, "file": rel, "hash": rule.hash, "canonical_text": rule.canonical_text(),
                 "dW": rule.dW_text, "assumptions": _assumptions(rule), "data_files": data_files(rule)},
        "mode": "expect" if rule.expect else "claim" if rule.claim else "explore", "verdict": rep.verdict.value,
        "claims": [claim_dict(rule, r) for r in rep.results],
    }
    if rep.laws:
        # deferred: `certify prove` only; `certify verify` must not load the search (tests/output/test_certificate.py)
        from certify.search.laws import law_dicts
        doc["laws"] = law_dicts(rule, rep.laws)
    doc["seal"] = seal(doc)
    return doc


def file_stem(name: str) -> str:
    """The certificate's file name (without suffix): the rule's name, made safe as a file name. A name longer than
    MAX_STEM characters is cut and given 8 hex digits of its SHA-256, so it stays unique and fits a file system."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip(".-") or "rule"
    if len(stem) > MAX_STEM:
        stem = stem[:MAX_STEM - 9].rstrip(".-") + "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return stem


MAX_STEM = 120   # characters of a certificate's file name before .json (file systems allow 255 bytes)


@dataclass
class Proved:
    source: Path
    name: str | None = None
    files: list[Path] = field(default_factory=list)
    verdict: str = "error"
    claims: int = 0
    mismatches: tuple[str, ...] = ()
    error: str | None = None
    bad_input: bool = False      # the error is in the rule file (exit 2), not in the certificate (exit 1)
    seconds: float = 0.0


def prove_file(path: Path, out_dir: Path, latex: bool = True) -> Proved:
    """Decide every claim of one rule file, write <name>.json (+ .md, .tex) into out_dir and re-verify it."""
    # deferred: report loads certify.check, which `certify verify` must not load (tests/output/test_certificate.py)
    from certify.output import report
    # deferred: `certify prove` only; `certify verify` must not load the decision (tests/output/test_certificate.py)
    from certify.check import check_rule
    # deferred: lang.rule loads the kernel, needed only when a certificate is made or read
    from certify.lang.rule import Rule
    t0 = time.perf_counter()
    out = Proved(Path(path))
    try:
        rule = Rule.from_file(path)
        if rule.network:   # a certificate records (and hashes) the network: its W0 and bias files must be readable
            # deferred: lang.network loads lang.rule and the kernel, needed only when a certificate is made or read
            from certify.lang.network import network_of
            network_of(rule)
        rep = check_rule(rule, expectations=True)
        out.name, out.verdict, out.claims = rule.name, rep.verdict.value, len(rep.results)
        out.mismatches = rep.mismatches
        if rep.mismatches:
            raise CertificateError("documented verdicts not reproduced; no certificate written: fix the rule or "
                                   "its [expect]")
        doc = build(rule, rep, Path(path), out_dir)
        problems = schema_errors(doc) or verify_document(doc, rule_base=out_dir, rule=rule).problems()
        if problems:
            raise CertificateError("the certificate does not re-check: " + "; ".join(problems))
    except InputError as err:
        out.error, out.bad_input = report.text_error(err), True
        return out
    except (CertificateError, KernelError) as err:
        out.error = f"FAILED {path}: {err}"
        return out
    stem = file_stem(rule.name)
    bodies = [(out_dir / f"{stem}.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n"),
              (out_dir / f"{stem}.md", markdown(doc, rep))]
    if latex:
        bodies.append((out_dir / f"{stem}.tex",
                       report.latex_document([report.latex_report(rep)], f"certificate: {rule.name}")))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for target, body in bodies:     # each file whole or not at all (temporary file + rename)
            atomic.write_text(target, body)
            out.files.append(target)
    except OSError as exc:
        out.error = report.text_error(InputError(f"cannot write the certificate into {out_dir}: "
                                                 f"{exc.strerror or exc}", file=str(out_dir), symbol="--out",
                                                 hint="name a folder you can write to"))
        out.bad_input = True
        return out
    out.seconds = time.perf_counter() - t0
    return out
