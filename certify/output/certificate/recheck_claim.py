"""Re-checking one stored claim about the weight flow with the kernel only: the proof through `check_proof`, the
counterexample through `check_witness`, a conditional result under its narrowed ranges; what the kernel derives is
compared with what the certificate says. `contracting` claims go to recheck_network.py.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from certify.errors import KernelError
from certify.lang.parse import show

from .fields import CONDITIONAL_NOTE, _frac, _parse, certificate_view, proof_from_dict, witness_from_dict
from .recheck_network import _check_contracting


@dataclass
class ClaimCheck:
    measure: str
    bound: str
    verdict: str
    status: str                 # 'verified' | 'failed' | 'skipped'
    message: str
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.measure} {self.bound}"


def _same_expr(stored: str, derived, rule) -> bool:
    """Stored text equals the kernel's value: the same text, or (if the printer differs) the same rational
    function, decided by SymPy's polynomial arithmetic on the parsed text."""
    if stored == show(derived):
        return True
    try:
        value = _parse(stored, rule, "value")
        return sp.cancel(value - derived) == 0
    except Exception:
        return False


def _compare_view(stored: dict[str, Any], cert, rule, what: str) -> list[str]:
    derived = certificate_view(cert)
    out = []
    if stored["statement"] != derived["statement"]:
        out.append(f"{what}bound: the certificate says '{stored['statement']}', the kernel derives "
                   f"'{derived['statement']}'")
    for key, label in (("rate", "rate gamma"), ("drive_bound", "drive bound beta")):
        if not _same_expr(stored[key], cert.gamma if key == "rate" else cert.beta, rule):
            out.append(f"{what}{label}: the certificate says '{stored[key]}', the kernel derives '{derived[key]}'")
    if stored["positive_part"] != derived["positive_part"]:
        out.append(f"{what}positive_part: the certificate says {stored['positive_part']}, the kernel derives "
                   f"{derived['positive_part']}")
    if stored["conditions_checked"] != derived["conditions_checked"]:
        out.append(f"{what}side conditions: the certificate says {stored['conditions_checked']}, the kernel "
                   f"checked {derived['conditions_checked']}")
    s_steps, d_steps = stored["steps"], derived["steps"]
    if len(s_steps) != len(d_steps):
        out.append(f"{what}the certificate lists {len(s_steps)} steps, the kernel's derivation has {len(d_steps)}")
    for i, (s, d) in enumerate(zip(s_steps, d_steps), 1):
        for key in ("lemma", "statement", "source"):
            if s[key] != d[key]:
                out.append(f"{what}step {i} {key}: the certificate says '{s[key]}', the kernel derives '{d[key]}'")
    return out


def _subset(inner, outer) -> bool:
    def lo_ok():
        return inner.lo > outer.lo or (inner.lo == outer.lo and (outer.lo_closed or not inner.lo_closed))

    def hi_ok():
        return inner.hi < outer.hi or (inner.hi == outer.hi and (outer.hi_closed or not inner.hi_closed))
    return lo_ok() and hi_ok()


_RELATION = re.compile(r"^(.*?)\s*(<=|>=|<|>)\s*(.*)$")


def _check_conditional(cond: dict[str, Any], rule, claim) -> list[str]:
    """Re-check a conditional result: narrowed ranges inside the declared ones, the stated conditions true on
    them (exact interval arithmetic), the proof accepted by the kernel under them."""
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
    from certify.kernel.intervals import enclose
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.kernel.objects import Assumptions
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.kernel.verify import check_proof
    from certify.lang.rule import parse_range
    asm = rule.assumptions()
    out = []
    if set(cond["parameters"]) != set(asm.parameters):
        return [f"conditional: narrowed ranges are given for {sorted(cond['parameters'])}, the rule declares "
                f"{sorted(asm.parameters)}"]
    narrowed = {}
    for name, text in cond["parameters"].items():
        try:
            iv = parse_range(text)
        except (ValueError, KernelError) as exc:
            return [f"conditional: cannot read the range of {name}: {exc}"]
        if not _subset(iv, asm.parameters[name]):
            out.append(f"conditional: the range {text} of {name} is not inside the declared range "
                       f"{dict(rule.parameters)[name].text()}")
        narrowed[name] = iv
    if out:
        return out
    n_asm = Assumptions(narrowed, asm.activity, asm.matrices)
    env = n_asm.symbol_env()
    for text in cond["conditions"]:
        m = _RELATION.match(text)
        try:
            if m is None:
                raise KernelError("not a relation a <= b, a < b, a >= b or a > b")
            lhs, op, rhs = m.groups()
            iv = enclose(_parse(lhs, rule, "condition") - _parse(rhs, rule, "condition"), env)
            holds = {"<=": iv.is_nonpos, "<": iv.is_negative, ">=": iv.is_nonneg, ">": iv.is_positive}[op]()
        except KernelError as exc:
            out.append(f"conditional: cannot check the condition '{text}': {exc}")
            continue
        if not holds:
            out.append(f"conditional: the condition '{text}' does not hold on the narrowed ranges")
    try:
        cert = check_proof(rule.dW, n_asm, claim, proof_from_dict(cond["proof"], rule))
    except KernelError as exc:
        return out + [f"conditional: the kernel rejects the proof under the narrowed ranges: {exc}"]
    if cert.bound.render(show) != cond["statement"]:
        out.append(f"conditional: the certificate says '{cond['statement']}', the kernel derives "
                   f"'{cert.bound.render(show)}'")
    return out


def verify_claim(c: dict[str, Any], rule) -> ClaimCheck:
    """Re-check one stored claim with the kernel only."""
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
    from certify.kernel.objects import Claim
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.kernel.verify import check_proof, check_witness
    t0 = time.perf_counter()
    res = ClaimCheck(c["measure"], c["bound"], c["verdict"], "verified", "")
    problems: list[str] = []
    expected = {(m, b): v for m, b, v in rule.expect}.get((c["measure"], c["bound"]))
    if c["expected"] != expected:
        problems.append(f"the certificate records the documented verdict {c['expected']!r}, the rule file "
                        f"documents {expected!r}")
    if expected is not None and c["verdict"] != expected:
        problems.append(f"verdict '{c['verdict']}' differs from the verdict documented in the rule: '{expected}'")
    if c["bound"] == "contracting":
        found, message, rechecked = _check_contracting(c, rule)
        problems += found
        if problems:
            res.status, res.message = "failed", "; ".join(problems)
        else:
            res.status, res.message = ("verified" if rechecked else "skipped"), message
        res.seconds = time.perf_counter() - t0
        return res
    if not c["recheckable"]:
        problems.append("recheckable: claims about the weight flow are always re-checkable")
    if "contraction" in c:
        problems.append("only 'contracting' claims carry a network certificate ('contraction')")
    claim = Claim(c["measure"], c["bound"])
    has_proof, has_witness = "proof" in c, "counterexample" in c
    derived = "certified" if has_proof else "refuted" if has_witness else "inconclusive"
    if has_proof and has_witness:
        problems.append("the certificate holds both a proof and a counterexample")
    elif c["verdict"] != derived:
        problems.append(f"the certificate says '{c['verdict']}' but holds "
                        + ("a proof (verdict certified)" if has_proof else
                           "a counterexample (verdict refuted)" if has_witness else
                           "neither a proof nor a counterexample (verdict inconclusive)"))
    message = ""
    if has_proof:
        if "certificate" not in c:
            problems.append("a proof without the kernel's statement ('certificate') to compare with")
        else:
            try:
                cert = check_proof(rule.dW, rule.assumptions(), claim, proof_from_dict(c["proof"], rule))
            except KernelError as exc:
                problems.append(f"the kernel rejects the proof: {exc}")
            else:
                problems += _compare_view(c["certificate"], cert, rule, "")
                if c["summary"] != cert.bound.render(show):
                    problems.append(f"summary: the certificate says '{c['summary']}', the kernel derives "
                                    f"'{cert.bound.render(show)}'")
                message = f"certified: {cert.bound.render(show)}"
    elif "certificate" in c:
        problems.append("the kernel's statement ('certificate') is given without the proof it came from")
    if has_witness:
        w = c["counterexample"]
        try:
            ref = check_witness(rule.dW, rule.assumptions(), witness_from_dict(w, claim))
        except (KernelError, ValueError, ZeroDivisionError) as exc:
            problems.append(f"the kernel rejects the counterexample: {exc}")
        else:
            for key, value in (("growth_lower_bound", ref.lower), ("allowed", ref.allowed)):
                if Fraction(w[key]) != value:
                    problems.append(f"counterexample {key}: the certificate says {w[key]}, the kernel derives "
                                    f"{_frac(value)}")
            if w["explanation"] != ref.explanation:
                problems.append(f"counterexample explanation: the certificate says '{w['explanation']}', the "
                                f"kernel derives '{ref.explanation}'")
            if c["summary"] != ref.explanation:
                problems.append(f"summary: the certificate says '{c['summary']}', the kernel derives "
                                f"'{ref.explanation}'")
            message = f"refuted: {ref.explanation}"
    if not has_proof and not has_witness:
        reasons = c.get("reasons", [])
        if not reasons:
            problems.append("an inconclusive claim must give its reasons")
        elif c["summary"] != "; ".join(reasons):
            problems.append("summary: an inconclusive claim's summary must be its reasons joined by '; '")
        message = "inconclusive: nothing for the kernel to re-check (" + "; ".join(reasons) + ")"
    if "conditional" in c:
        if c["conditional"]["note"] != CONDITIONAL_NOTE:
            problems.append(f"conditional note: expected '{CONDITIONAL_NOTE}'")
        problems += _check_conditional(c["conditional"], rule, claim)
    res.seconds = time.perf_counter() - t0
    if problems:
        res.status, res.message = "failed", "; ".join(problems)
    elif not has_proof and not has_witness:
        res.status, res.message = "skipped", message
    else:
        res.message = message
    return res
