"""The results of a decision (certify.check): a ClaimResult per claim and a RuleReport per rule file.

A result can be CERTIFIED or REFUTED only when it holds the kernel's evidence about this very network or flow; the
check runs at construction (`_require_kernel_evidence`), so no code outside the kernel can make such a verdict. The
rest are views for people and notebooks (summaries, arrays of the certificate's numbers, rich display), rendered by
certify/output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from certify.kernel.objects import Assumptions, Certificate, Claim, Refutation
from certify.lang.rule import Rule
from certify.verdict import Verdict


def _views():
    """certify/output/notebook.py, which renders results for people, notebooks and JSON; loaded on first use."""
    # deferred: output imports the result types (under TYPE_CHECKING) and loads SymPy's printers; results stay light
    from certify.output import notebook
    return notebook


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
        return _views().result_dict(self)

    def __repr__(self) -> str:
        try:
            return _views().result_repr(self)
        except Exception:   # a repr never raises: the plain form, without the rendering
            return f"<ClaimResult {_claim_text(self.claim)}: {self.verdict.value.upper()}>"

    def __str__(self) -> str:
        return _views().result_str(self)

    def _repr_markdown_(self) -> str:
        return _views().result_markdown(self)

    def _repr_latex_(self) -> str:
        return _views().result_latex(self)


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
        return _views().report_dict(self)

    def to_markdown(self) -> str:
        """The Markdown report (``certify check --format markdown``) after a verdict badge."""
        return _views().report_markdown(self)

    def to_latex(self) -> str:
        """The LaTeX report body (``certify check --format latex``, without the document around it) after a
        verdict badge."""
        return _views().report_latex(self)

    def __repr__(self) -> str:
        try:
            return _views().report_repr(self)
        except Exception:   # a repr never raises: the plain form, without the rendering
            return f"<RuleReport {self.rule.name}: {self.verdict.value.upper()}, {len(self.results)} result(s)>"

    def __str__(self) -> str:
        return _views().report_str(self)

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
