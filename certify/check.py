"""Deciding claims: derivation and counterexample search feed the kernel, which alone decides.

`check_rule(rule)` returns a `RuleReport` with one `ClaimResult` per claim examined. A result is
CERTIFIED only with a kernel `Certificate`, REFUTED only with a kernel `Refutation`; otherwise it
is INCONCLUSIVE with the reasons every attempt failed. Bad input never reaches this module: it is
an InputError (verdict ERROR) raised while loading the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import derive, falsify
from .errors import KernelError
from .kernel.objects import BOUNDS, MEASURES, Certificate, Claim, Refutation
from .kernel.verify import check_proof
from .rule import Rule
from .verdict import Verdict

EXPLORED_MEASURES = MEASURES


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    verdict: Verdict
    certificate: Certificate | None = None
    refutation: Refutation | None = None
    reasons: tuple[str, ...] = ()       # why attempts failed (always filled for INCONCLUSIVE)

    @property
    def summary(self) -> str:
        if self.certificate is not None:
            from .report import show
            return self.certificate.bound.render(show)
        if self.refutation is not None:
            return self.refutation.explanation
        return "; ".join(self.reasons) or "no proof and no counterexample found"


@dataclass(frozen=True)
class RuleReport:
    rule: Rule
    mode: str                            # 'claim' (a stated claim) or 'explore' (best result per norm)
    results: tuple[ClaimResult, ...]
    verdict: Verdict
    note: str = ""
    mismatches: tuple[str, ...] = field(default=())   # documented expectations that did not hold


def decide(rule: Rule, claim: Claim) -> ClaimResult:
    reasons: list[str] = []
    for proposal in derive.propose(rule, claim):
        if proposal.proof is None:
            reasons.append(proposal.reason)
            continue
        try:
            cert = check_proof(rule.dW, rule.assumptions(), claim, proposal.proof)
        except KernelError as err:
            reasons.append(f"kernel rejected the {proposal.proof.route} route: {err}")
            continue
        return ClaimResult(claim, Verdict.CERTIFIED, certificate=cert)
    refutation, tried = falsify.search(rule, claim)
    if refutation is not None:
        return ClaimResult(claim, Verdict.REFUTED, refutation=refutation)
    if tried:
        reasons.append(f"no counterexample among {tried} small instances (n <= 4)")
    else:
        reasons.append("no counterexample search: a 'bounded' claim is refuted only through linear growth, "
                       "which needs a drive independent of W")
    return ClaimResult(claim, Verdict.INCONCLUSIVE, reasons=tuple(reasons))


def check_rule(rule: Rule, measure: str | None = None, bound: str | None = None,
               expectations: bool = False) -> RuleReport:
    """Decide the rule's claim (or the claim given by measure/bound). Without any claim, explore
    every norm. With `expectations`, also decide every claim documented under [expect]."""
    if expectations:
        return _check_expectations(rule)
    stated = rule.claim is not None or bound is not None
    if stated:
        m = measure or (rule.claim[0] if rule.claim else "l2")
        b = bound or (rule.claim[1] if rule.claim else "nonincreasing")
        if b == "contracting":
            result = ClaimResult(Claim(m, "bounded"), Verdict.INCONCLUSIVE, reasons=(
                "network contraction claims are not decided by this version: the network analysis "
                "(Perron weights, LMI metrics) is not built yet; the weight-flow bounds below still hold",))
            return RuleReport(rule, "claim", (result,), Verdict.INCONCLUSIVE,
                              note="claim 'contracting' is not supported yet")
        result = decide(rule, Claim(m, b))
        return RuleReport(rule, "claim", (result,), result.verdict, mismatches=_mismatches(rule, (result,)))
    measures = (measure,) if measure else EXPLORED_MEASURES
    results = []
    for m in measures:
        first = decide(rule, Claim(m, "nonincreasing"))
        results.append(first)
        if first.verdict is not Verdict.CERTIFIED:
            results.append(decide(rule, Claim(m, "bounded")))
    verdict = _aggregate(results)
    note = ("no claim stated: every norm explored; the file is certified when some bound is certified "
            "in some norm")
    return RuleReport(rule, "explore", tuple(results), verdict, note=note,
                      mismatches=_mismatches(rule, tuple(results)))


def _aggregate(results: list[ClaimResult]) -> Verdict:
    verdicts = [r.verdict for r in results]
    if Verdict.CERTIFIED in verdicts:
        return Verdict.CERTIFIED
    if verdicts and all(v is Verdict.REFUTED for v in verdicts):
        return Verdict.REFUTED
    return Verdict.INCONCLUSIVE


def _check_expectations(rule: Rule) -> RuleReport:
    pairs = [(m, b) for m, b, _ in rule.expect]
    if rule.claim is not None and rule.claim[1] != "contracting" and tuple(rule.claim) not in pairs:
        pairs.insert(0, tuple(rule.claim))
    if not pairs:
        return check_rule(rule)
    results = tuple(decide(rule, Claim(m, b)) for m, b in pairs)
    if rule.claim is not None and rule.claim[1] != "contracting":
        verdict = next(r.verdict for r in results if (r.claim.measure, r.claim.bound) == tuple(rule.claim))
    else:
        verdict = _aggregate(list(results))
    return RuleReport(rule, "expect", results, verdict,
                      note="every documented expectation decided", mismatches=_mismatches(rule, results))


def _mismatches(rule: Rule, results: tuple[ClaimResult, ...]) -> tuple[str, ...]:
    got = {(r.claim.measure, r.claim.bound): r.verdict.value for r in results}
    out = []
    for measure, bound, expected in rule.expect:
        actual = got.get((measure, bound))
        if actual is None and bound == "bounded" and got.get((measure, "nonincreasing")) == "certified":
            continue  # not examined: the stronger claim was certified
        if actual is not None and actual != expected:
            out.append(f"{measure} {bound}: expected {expected}, got {actual}")
    return tuple(out)


__all__ = ["check_rule", "decide", "ClaimResult", "RuleReport", "BOUNDS"]
