"""Deciding claims: derivation and counterexample search feed the kernel, which alone decides.

`check_rule(rule)` returns a `RuleReport` with one `ClaimResult` per claim examined. A result is
CERTIFIED only with a kernel `Certificate`, REFUTED only with a kernel `Refutation`; otherwise it
is INCONCLUSIVE with the reasons every attempt failed. Bad input never reaches this module: it is
an InputError (verdict ERROR) raised while loading the rule (the [network] data files included: check_rule
loads them before deciding anything, whether or not a claim needs them).

Time budget (certify/budget.py): check_rule runs under `budget.limit(timeout)` and names each step with
`budget.stage`. When the budget runs out, the claim being decided and every claim after it are INCONCLUSIVE with
the reason ("time budget of 120 s ran out during the counterexample search (falsify) for l2 bounded"); verdicts
the kernel reached before stay as they are.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from certify.search import derive, falsify
from certify.budget import BudgetExceeded, limit, stage
from certify.errors import KernelError, SideConditionError
from certify.kernel.intervals import INF, Interval
from certify.kernel.objects import BOUNDS, MEASURES, Assumptions, Certificate, Claim, N
from certify.kernel.verify import check_proof
from certify.lang.rule import Rule
from certify.results import (ClaimResult, RuleReport, _about, _claim_text, _network_subjects,  # noqa: F401
                             _require_kernel_evidence, network_summary)
from certify.verdict import Verdict, explored_verdict, file_verdict

EXPLORED_MEASURES = MEASURES


def decide(rule: Rule, claim: Claim) -> ClaimResult:
    reasons: list[str] = []
    conditional: tuple[Certificate, tuple, Assumptions] | None = None
    conditional_proof = None
    what = _claim_text(claim)

    def extra() -> dict:
        return {} if conditional is None else {"conditional": conditional[0], "conditions": conditional[1],
                                               "conditional_proof": conditional_proof,
                                               "conditional_assumptions": conditional[2]}
    try:
        proposals = iter(derive.propose(rule, claim))
        while True:
            with stage(f"the derivation (derive) for {what}"):
                proposal = next(proposals, None)
            if proposal is None:
                break
            if proposal.proof is None:
                reasons.append(proposal.reason)
                continue
            try:
                with stage(f"the kernel check of the {proposal.proof.route} route for {what}"):
                    cert = check_proof(rule.dW, rule.assumptions(), claim, proposal.proof)
            except SideConditionError as err:
                reasons.append(f"kernel rejected the {proposal.proof.route} route: {err}")
                if conditional is None:
                    with stage(f"the kernel check under narrowed parameter ranges for {what}"):
                        conditional = _under_conditions(rule, claim, proposal.proof, err)
                    conditional_proof = proposal.proof
                continue
            except KernelError as err:
                reasons.append(f"kernel rejected the {proposal.proof.route} route: {err}")
                continue
            return ClaimResult(claim, Verdict.CERTIFIED, certificate=cert, proof=proposal.proof)
        with stage(f"the counterexample search (falsify) for {what}"):
            refutation, tried = falsify.search(rule, claim)
    except BudgetExceeded as exc:   # the kernel accepted nothing so far: inconclusive, with what was tried
        return ClaimResult(claim, Verdict.INCONCLUSIVE, reasons=tuple(reasons) + (exc.reason,), **extra())
    if refutation is not None:
        return ClaimResult(claim, Verdict.REFUTED, refutation=refutation, **extra())
    if tried:
        reasons.append(f"no counterexample among {tried} small instances (n <= 4)")
    else:
        reasons.append("no counterexample search: a 'bounded' claim is refuted only through linear growth, "
                       "which needs a drive independent of W")
    return ClaimResult(claim, Verdict.INCONCLUSIVE, reasons=tuple(reasons), **extra())


def decide_contracting(rule: Rule, measure: str = "l2") -> ClaimResult:
    """Does the network of [network] contract while W follows dW? Kernel-checked rates only."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.errors import InputError
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.network import network_of

    net = network_of(rule)
    claim = Claim(measure, "contracting")
    if net is None:
        raise InputError("claim 'contracting' needs a [network] table", file=rule.source, symbol="network",
                         hint='add [network] with form = "H" or "FR", an activation and W0 = [[...]]')
    if net.W0 is None:
        raise InputError("claim 'contracting' needs numeric initial weights W0 in [network]", file=rule.source,
                         symbol="W0", hint='add W0 = [[0, 1], [1, 0]] or W0 = "weights.npy" under [network]')
    try:
        return _contracting(rule, net, claim)
    except BudgetExceeded as exc:
        return ClaimResult(claim, Verdict.INCONCLUSIVE, reasons=(exc.reason,))


def _contracting(rule: Rule, net, claim: Claim) -> ClaimResult:
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.search import contraction
    what = _claim_text(claim)
    if rule.is_fixed:
        with stage(f"the network search (contraction rates of the fixed network) for {what}"):
            res = contraction.certify_fixed(net)
        if res.best is not None and _about(net, res.best.evidence):
            return ClaimResult(claim, Verdict.CERTIFIED, network=res)
        with stage(f"the network search (a verified refutation of contraction) for {what}"):
            refutation = contraction.refute_fixed(net)
        if refutation is not None:   # decided: the evidence below is only an illustration
            try:
                with stage(f"the network search (evidence of divergence) for {what}"):
                    evidence = contraction.diverging_evidence(net)
            except BudgetExceeded:
                evidence = None
            return ClaimResult(claim, Verdict.REFUTED, network=refutation,
                               reasons=(evidence,) if evidence else ())
        reasons = tuple(f"{a.norm}: {'rate ' + str(a.rate) + ' <= 0' if a.rate is not None else a.note}"
                        for a in res.attempts)
        return ClaimResult(claim, Verdict.INCONCLUSIVE, reasons=reasons + ("no verified refutation found",),
                           network=res)
    with stage(f"the network search (contraction while W follows the rule) for {what}"):
        plastic, reasons = contraction.certify_plastic(rule, net)
    if plastic is not None and _about(net, plastic.evidence):
        return ClaimResult(claim, Verdict.CERTIFIED, network=plastic)
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.output.numbers import q
    try:
        with stage(f"the network search (contraction of the network at W0) for {what}"):
            at_start = contraction.certify_fixed(net)
    except BudgetExceeded as exc:
        at_start, stopped = None, exc.reason
    else:
        stopped = None
    extra = ((stopped,) if stopped else
             (f"the network with W fixed at W0 contracts at rate {q(at_start.best.rate)} ({at_start.best.norm}), "
              "but no bound covers W(t) over the declared ranges",) if at_start.best
             else ("W0 itself is not certified contracting",))
    regions = [x for x in dict.fromkeys(reasons) if x.startswith("contracts at every t")]
    others = [x for x in dict.fromkeys(reasons) if not x.startswith("contracts at every t")]
    return ClaimResult(claim, Verdict.INCONCLUSIVE, reasons=tuple(regions + others) + extra)


def _under_conditions(rule: Rule, claim: Claim, proof, err: SideConditionError, depth: int = 3):
    """Narrow the parameter ranges by the failed side condition(s) and ask the kernel again. Returns
    (certificate, conditions, narrowed assumptions) when the kernel accepts the proof under the narrowed ranges."""
    asm = rule.assumptions()
    conditions: list = []
    for _ in range(depth):
        narrowed = _narrow(asm, err.relation)
        if narrowed is None:
            return None
        asm = narrowed
        conditions.append(err.relation)
        try:
            return check_proof(rule.dW, asm, claim, proof), tuple(conditions), asm
        except SideConditionError as again:
            err = again
        except KernelError:
            return None
    return None


def _narrow(asm: Assumptions, relation) -> Assumptions | None:
    """The assumptions with one parameter's range intersected with the solution set of `relation`
    (only for relations in a single parameter, the network size n aside)."""
    params = [s for s in relation.free_symbols if s != N]
    if len(params) != 1 or str(params[0]) not in asm.parameters:
        return None
    p = params[0]
    try:
        sol = sp.solve_univariate_inequality(relation, p, relational=False)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if not isinstance(sol, sp.Interval):
        return None

    def end(x):
        if x in (sp.oo, -sp.oo):
            return INF if x == sp.oo else -INF
        return Fraction(int(x.p), int(x.q)) if x.is_Rational else None

    lo, hi = end(sol.start), end(sol.end)
    if lo is None or hi is None:
        return None
    old = asm.parameters[str(p)]
    new_lo, lo_closed = max((old.lo, not old.lo_closed), (lo, bool(sol.left_open)))
    new_hi, hi_closed = min((old.hi, old.hi_closed), (hi, not sol.right_open))
    try:
        iv = Interval(new_lo, new_hi, not lo_closed, hi_closed)
    except KernelError:
        return None  # empty: the condition contradicts the declared range
    return Assumptions({**asm.parameters, str(p): iv}, asm.activity, asm.matrices)


def check_rule(rule: Rule, measure: str | None = None, bound: str | None = None,
               expectations: bool = False, timeout: float | None = None) -> RuleReport:
    """Decide the rule's claim (or the claim given by measure/bound). Without any claim, explore
    every norm. With `expectations`, also decide every claim documented under [expect]. Laws declared
    under [balancing] / [energy] are decided too (certify/search/laws.py).

    The [network] data files (W0, bias) are loaded first, so a bad one is an InputError whatever is asked.
    `timeout`: the time budget in seconds (None: budget.configured(), i.e. the command line's --timeout, no limit
    for a library caller that set none; 0: no limit); inside a budget already armed, that one governs. When it
    runs out, undecided claims and laws are INCONCLUSIVE with the step that ran out of time (certify/budget.py)."""
    with limit(timeout):
        _load_data_files(rule)
        return _check_rule(rule, measure, bound, expectations)


def _load_data_files(rule: Rule) -> None:
    """Read the declared network (inline or .npy/.csv W0 and bias) once, up front: a complex, malformed or
    missing data file is an InputError even when no claim needs the network."""
    if not rule.network:
        return
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.network import network_of
    try:
        with stage("loading the [network] data files"):
            network_of(rule)
    except BudgetExceeded:
        pass   # every step after this one reports that the budget ran out here


def _check_rule(rule: Rule, measure: str | None, bound: str | None, expectations: bool) -> RuleReport:
    has_laws = bool(rule.balancing or rule.energy)
    if rule.laws_only and measure is None and bound is None:
        # a fixed network declared for its laws: nothing to say about measures of a constant W
        report = RuleReport(rule, "laws", (), Verdict.INCONCLUSIVE, note="only the declared laws are decided")
    else:
        report = _check_claims(rule, measure, bound, expectations)
    if not has_laws:
        return report
    # deferred: needed only on this path
    from dataclasses import replace

    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.search.laws import law_mismatches
    laws = _decide_laws(rule)
    # The file's verdict is the worst of everything it declares: its stated claim and every declared law -- a
    # refuted law never hides behind a certified claim. Without a stated claim, an exploration of the norms is
    # information, not a declaration: the declared laws alone decide (README, "Four verdicts").
    law_verdicts = [r.verdict for rep in laws for r in rep.results]
    stated = report.mode == "claim" or (report.mode == "expect" and rule.claim is not None)
    verdict = file_verdict(report.verdict if stated else None, law_verdicts, report.verdict)
    return replace(report, laws=laws, verdict=verdict, mismatches=report.mismatches + law_mismatches(rule, laws))


def _decide_laws(rule: Rule) -> tuple:
    """decide_laws, or (when the time budget runs out) one INCONCLUSIVE entry per declared section."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.search.laws import LawReport, LawResult, decide_laws
    try:
        with stage("the declared laws ([balancing], [energy]; kernel)"):
            return decide_laws(rule)
    except BudgetExceeded as exc:
        sections = [s for s, declared in (("balancing", rule.balancing), ("energy", rule.energy)) if declared]
        return tuple(LawReport(s, (), (LawResult(s, "declared laws", Verdict.INCONCLUSIVE,
                                                 f"every law declared under [{s}]", reason=exc.reason),))
                     for s in sections)


def _check_claims(rule: Rule, measure: str | None, bound: str | None, expectations: bool) -> RuleReport:
    if expectations:
        return _check_expectations(rule)
    stated = rule.claim is not None or bound is not None
    if stated:
        m = measure or (rule.claim[0] if rule.claim else "l2")
        b = bound or (rule.claim[1] if rule.claim else "nonincreasing")
        if b == "contracting":
            result = decide_contracting(rule, m)
            return RuleReport(rule, "claim", (result,), result.verdict, mismatches=_mismatches(rule, (result,)))
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


def _aggregate(results) -> Verdict:
    return explored_verdict([r.verdict for r in results])


def _check_expectations(rule: Rule) -> RuleReport:
    pairs = [(m, b) for m, b, _ in rule.expect]
    if rule.claim is not None and tuple(rule.claim) not in pairs:
        pairs.insert(0, tuple(rule.claim))
    if not pairs:
        return _check_claims(rule, None, None, False)
    results = tuple(decide_contracting(rule, m) if b == "contracting" else decide(rule, Claim(m, b))
                    for m, b in pairs)
    if rule.claim is not None:
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
