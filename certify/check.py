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

from dataclasses import dataclass, field

from fractions import Fraction

import sympy as sp

from certify.search import derive, falsify
from certify.budget import BudgetExceeded, limit, stage
from certify.errors import KernelError, SideConditionError
from certify.kernel.intervals import INF, Interval
from certify.kernel.objects import BOUNDS, MEASURES, Assumptions, Certificate, Claim, N, Refutation
from certify.kernel.verify import check_proof
from certify.lang.rule import Rule
from certify.verdict import Verdict, explored_verdict, file_verdict

EXPLORED_MEASURES = MEASURES


@dataclass(frozen=True)
class ClaimResult:
    """The decision on one claim: its verdict and the kernel evidence behind it.

    A result is CERTIFIED only with kernel evidence (a `certificate`, or for a contracting claim a kernel-checked
    network rate in `network`) and REFUTED only with a kernel `refutation` (or verified equilibria in `network`);
    the constructor refuses anything else. Everything below the fields is a view of that evidence:

    - numbers of the certificate: `rate`, `T`, `P`, `lam`, `eta`, `norm` (None where the certificate has none);
    - the counterexample of a refuted claim: `witness`;
    - renderings: `repr()` and `str()` (text report lines), `_repr_markdown_` and `_repr_latex_` (Jupyter), and
      `to_dict()` (the claim's entry in ``certify check --format json``).

    Attributes:
        claim: the claim decided (its measure and bound).
        verdict: CERTIFIED, REFUTED or INCONCLUSIVE.
        certificate: the kernel's certificate of a weight-flow bound (CERTIFIED flow claims).
        refutation: the kernel's refutation, with an exact counterexample (REFUTED flow claims).
        reasons: why every attempt failed (always filled for INCONCLUSIVE).
        conditional: a kernel-checked certificate under narrowed parameter ranges, with `conditions`.
        network: contracting claims: the network search's result (fixed weights: its attempts and the best
            kernel-checked rate; plastic weights: the onset time T and rates) or the verified equilibria that
            refute contraction.
        proof: the flow proof the kernel accepted.
    """

    claim: Claim
    verdict: Verdict
    certificate: Certificate | None = None
    refutation: Refutation | None = None
    reasons: tuple[str, ...] = ()       # why attempts failed (always filled for INCONCLUSIVE)
    conditional: Certificate | None = None   # a kernel-checked certificate under extra conditions
    conditions: tuple = ()                   # those extra conditions (SymPy relations)
    network: object | None = None            # contraction claims: FixedResult / PlasticResult / refutation
    proof: object | None = None              # the FlowProof the kernel accepted (certificates store it)
    conditional_proof: object | None = None  # ... and the one behind `conditional`, with its narrowed ranges
    conditional_assumptions: Assumptions | None = None

    def __post_init__(self) -> None:
        _require_kernel_evidence(self)

    @property
    def summary(self) -> str:
        """The result in one line of text (the bound, the contraction rate, the refutation or the reasons)."""
        if self.claim.bound == "contracting":
            return network_summary(self)
        if self.certificate is not None:
            # deferred: loaded only when this path runs (keeps this module's import light)
            from certify.lang.parse import show
            return self.certificate.bound.render(show)
        if self.refutation is not None:
            return self.refutation.explanation
        return "; ".join(self.reasons) or "no proof and no counterexample found"

    # -- the certificate's numbers (views of the kernel evidence; never consulted by a decision) ----------------

    def _best_attempt(self):
        """The network attempt whose kernel-checked rate certifies a fixed network (None otherwise)."""
        best = getattr(self.network, "best", None)
        return best if self.verdict is Verdict.CERTIFIED and best is not None else None

    def _plastic(self):
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.search.contraction import PlasticResult
        return self.network if isinstance(self.network, PlasticResult) else None

    @property
    def rate(self):
        """The certified rate, or None when the claim is not certified.

        Contracting claims: the kernel-checked contraction rate as an exact `Fraction` (plastic weights: the rate
        for all t >= 0 when it is positive, else the rate from `T` on). Weight-flow bounds: the decay rate gamma of
        the bound mu(W(t)) <= exp(-gamma t) mu(W(0)) + ..., a SymPy expression in the rule's parameters."""
        if self.verdict is not Verdict.CERTIFIED:
            return None
        best, plastic = self._best_attempt(), self._plastic()
        if best is not None:
            return best.rate
        if plastic is not None:
            return plastic.c_all if plastic.c_all > 0 else plastic.c_after
        return self.certificate.gamma if self.certificate is not None else None

    @property
    def T(self) -> Fraction | None:
        """Plastic networks: the time from which the network is certified to contract at `rate` (an exact
        `Fraction`, a rigorous upper bound on the onset); None for other results."""
        plastic = self._plastic()
        return plastic.T if plastic is not None and self.verdict is Verdict.CERTIFIED else None

    @property
    def norm(self) -> str | None:
        """The norm in which the certificate holds: e.g. 'l2', 'weighted-l1 (Perron weights)', 'l2 metric
        (diag P)'; None when the claim is not certified."""
        if self.verdict is not Verdict.CERTIFIED:
            return None
        best, plastic = self._best_attempt(), self._plastic()
        if best is not None:
            return best.norm
        if plastic is not None:
            return plastic.claim.measure
        return self.certificate.norm if self.certificate is not None else None

    def _data(self, key: str):
        best = self._best_attempt()
        return None if best is None else best.data.get(key)

    @property
    def P(self):
        """Fixed networks certified in an l2 metric: the metric P (a read-only float64 numpy array, n x n; the
        kernel checked exactly these binary64 numbers). None otherwise."""
        return _read_only(self._data("P"))

    @property
    def lam(self):
        """Fixed networks certified in an l2 metric: the multiplier Lambda of the LMI (float64 numpy array, the
        numbers the kernel checked). None otherwise."""
        return _read_only(self._data("lam"))

    @property
    def eta(self):
        """Fixed networks certified in a weighted l1 / linf norm: the weights eta (float64 numpy array of the
        binary64 numbers the kernel used). None otherwise, and None when the search kept only their count (above
        certify.search.sizes.SHOW_WEIGHTS_MAX_N neurons)."""
        # deferred: NumPy is loaded only when this runs
        import numpy as np
        eta = self._data("eta_exact")
        if eta is None:
            eta = self._data("eta")
        if eta is None or isinstance(eta, str):
            return None
        return _read_only(np.array([float(x) for x in eta], dtype=np.float64))

    @property
    def witness(self):
        """A refuted claim's counterexample: the kernel's `Witness` (exact n, parameters, W0, activity) for a
        weight-flow claim, or the verified equilibria (two of them, or an unstable one) that refute contraction.
        None when the claim is not refuted."""
        if self.verdict is not Verdict.REFUTED:
            return None
        return self.refutation.witness if self.refutation is not None else self.network

    # -- renderings (certify/output/notebook.py: the reports of certify/output/report.py) -----------------------

    def to_dict(self) -> dict:
        """This claim's entry under "results" in ``certify check --format json``."""
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output import notebook
        return notebook.result_dict(self)

    def __repr__(self) -> str:
        try:
            # deferred: loaded only when this path runs (keeps this module's import light)
            from certify.output import notebook
            return notebook.result_repr(self)
        except Exception:   # a repr never raises: the plain form, without the rendering
            return f"<ClaimResult {_claim_text(self.claim)}: {self.verdict.value.upper()}>"

    def __str__(self) -> str:
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output import notebook
        return notebook.result_str(self)

    def _repr_markdown_(self) -> str:
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output import notebook
        return notebook.result_markdown(self)

    def _repr_latex_(self) -> str:
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output import notebook
        return notebook.result_latex(self)


def _read_only(arr):
    """A read-only copy of a certificate's array (so that a notebook cannot change the numbers it shows)."""
    if arr is None:
        return None
    # deferred: NumPy is loaded only when this runs
    import numpy as np
    out = np.array(arr, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class RuleReport:
    """What `check_rule` found for one rule: the file's verdict and one `ClaimResult` per claim examined.

    Renderings: `repr()` is the quiet text report (``certify check -q``), `str()` the text report with the
    derivation steps, `_repr_markdown_` / `_repr_latex_` show it in Jupyter (a verdict badge, then the Markdown or
    LaTeX report with every formula typeset), and `to_dict()` is exactly the item that
    ``certify check --format json`` prints for the rule (certify/schema/check.schema.json).

    Attributes:
        rule: the rule that was checked.
        mode: 'claim' (a stated claim), 'explore' (no claim: best result per norm), 'expect' (every documented
            expectation) or 'laws' (only declared laws).
        results: one ClaimResult per claim examined.
        verdict: the file's verdict (README, "Four verdicts").
        note: what the mode means for the verdict.
        mismatches: documented expectations that did not hold.
        laws: the decided laws of [balancing] / [energy] tables.
    """

    rule: Rule
    mode: str                            # 'claim' (a stated claim) or 'explore' (best result per norm)
    results: tuple[ClaimResult, ...]
    verdict: Verdict
    note: str = ""
    mismatches: tuple[str, ...] = field(default=())   # documented expectations that did not hold
    laws: tuple = ()                     # certify.search.laws.LawReport per [balancing] / [energy] table

    def to_dict(self) -> dict:
        """The item ``certify check --format json`` prints for this rule (one element of its list)."""
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output import notebook
        return notebook.report_dict(self)

    def to_markdown(self) -> str:
        """The Markdown report (``certify check --format markdown``) after a verdict badge."""
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output import notebook
        return notebook.report_markdown(self)

    def to_latex(self) -> str:
        """The LaTeX report body (``certify check --format latex``, without the document around it) after a
        verdict badge."""
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output import notebook
        return notebook.report_latex(self)

    def __repr__(self) -> str:
        try:
            # deferred: loaded only when this path runs (keeps this module's import light)
            from certify.output import notebook
            return notebook.report_repr(self)
        except Exception:   # a repr never raises: the plain form, without the rendering
            return f"<RuleReport {self.rule.name}: {self.verdict.value.upper()}, {len(self.results)} result(s)>"

    def __str__(self) -> str:
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.output import notebook
        return notebook.report_str(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return self.to_latex()


def _claim_text(claim: Claim) -> str:
    return f"{claim.measure} {claim.bound}"


def _require_kernel_evidence(r: "ClaimResult") -> None:
    """Only the kernel decides: CERTIFIED needs a kernel Certificate, a NetworkRate with a positive rate or a
    PlasticRate (kernel/evidence.py) whose numbers are the ones reported; REFUTED needs a kernel Refutation or a
    verified pair of equilibria or unstable equilibrium. Anything else is a bug in certify, never a verdict."""
    if r.verdict not in (Verdict.CERTIFIED, Verdict.REFUTED):
        return
    # deferred: the equilibrium types load FLINT, which a flow-only check does not need
    from certify.kernel.equilibria import TwoEquilibria, UnstableEquilibrium
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.kernel.evidence import NetworkRate, PlasticRate
    net = r.network
    if r.verdict is Verdict.CERTIFIED:
        if isinstance(r.certificate, Certificate):
            return
        ev = getattr(net, "evidence", None)
        if isinstance(ev, PlasticRate) and (net.c_all, net.T, net.c_after) == (ev.c_all, ev.T, ev.c_after) \
                and (ev.c_all > 0 or ev.c_after > 0):
            return
        best = getattr(net, "best", None)
        if best is not None and isinstance(best.evidence, NetworkRate) and best.rate == best.evidence.rate > 0:
            return
        raise ValueError(f"ClaimResult: {r.claim.measure} {r.claim.bound} is CERTIFIED without kernel evidence")
    if isinstance(r.refutation, Refutation) or isinstance(net, (TwoEquilibria, UnstableEquilibrium)):
        return
    raise ValueError(f"ClaimResult: {r.claim.measure} {r.claim.bound} is REFUTED without kernel evidence")


def _network_subjects(net) -> set[str]:
    """The fingerprints (kernel/evidence.py) under which kernel evidence may speak about this network: its own
    (W0, g, form, linear) and, for a linear network, the same weights with slope 1 in either form (H and FR are the
    same system when phi is the identity)."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.kernel.evidence import network_fingerprint, weights_digest
    # hashed once (an ExactMatrix keeps its digest); every variant below differs only in (g, form, linear)
    digest = net.W0.digest() if hasattr(net.W0, "digest") else weights_digest(net.W0)
    subjects = {network_fingerprint(None, net.g, net.form, net.linear, digest)}
    if net.linear:
        subjects |= {network_fingerprint(None, 1, "H", True, digest)} | {
            network_fingerprint(None, 1, f, False, digest) for f in ("H", "FR")}
    return subjects


def _about(net, evidence) -> bool:
    """Whether the kernel evidence was made for this very network (its fingerprint matches)."""
    return getattr(evidence, "subject", None) in _network_subjects(net)


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


def network_summary(r: ClaimResult) -> str:
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.search.contraction import FixedResult, PlasticResult
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.output.numbers import q
    from certify.lang.parse import show
    net = r.network
    if isinstance(net, PlasticResult):
        src = f"from the {net.claim.measure} {net.claim.bound} flow bound"
        cond = (f"; for all t whenever {show(net.all_t_condition)}"
                if getattr(net.all_t_condition, "free_symbols", None) else "")
        if net.c_all > 0:
            return f"contracts for all t >= 0 at rate {q(net.c_all)} ({src}{cond})"
        return (f"contracts for t >= T = {q(net.T)} at rate {q(net.c_after)} ({src}; T is a rigorous upper "
                f"bound{cond})")
    if isinstance(net, FixedResult) and net.best is not None and r.verdict is Verdict.CERTIFIED:
        return f"contracts at rate {q(net.best.rate)} in {net.best.norm}"
    if r.verdict is Verdict.REFUTED:
        return f"not contracting: {getattr(net, 'explanation', net)}"
    if isinstance(net, FixedResult):
        rates = [a.rate for a in net.attempts if a.rate is not None]
        best = f"best rate found {q(max(rates))} (not > 0)" if rates else "no rate verified"
        return f"no contraction certificate and no verified refutation; {best}"
    return "no contraction certificate over the declared parameter ranges (details below)"


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
