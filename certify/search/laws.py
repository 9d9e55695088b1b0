"""Conservation laws of synaptic balancing and the energy of Krotov–Hopfield networks (UNTRUSTED:
SymPy derives the formulas a reader sees and proposes witnesses; every verdict comes from
certify/kernel/laws.py).

A rule declares them with a [balancing] or an [energy] table (docs/laws.md):

    [rule]
    dW = "(W*diag(g) - diag(g)*W)/tau"      # the balancing flow in Lax form
    [parameters]
    tau = "> 0"
    [balancing]
    p = 2                                   # cost c_ij = alpha |W_ij|^p
    activation = "relu"                     # for the input-output law
    [expect.balancing]
    spectrum = "certified"
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from certify.errors import InputError, KernelError
from certify.kernel import laws as kl
from certify.kernel.intervals import Interval
from certify.kernel.objects import N
from certify.lang.rule import LAGRANGIAN_ACTIVATION, LAW_NAMES, Rule
from certify.verdict import Verdict



@dataclass(frozen=True)
class LawResult:
    section: str                                   # "balancing" or "energy"
    law: str
    verdict: Verdict
    statement: str
    steps: tuple[tuple[str, str, str], ...] = ()   # kernel-checked steps: (lemma, statement, source)
    reason: str = ""                               # why inconclusive / what refutes it
    witness: dict | None = None                    # the data of a refutation (exact numbers as strings)
    evidence: object = None                        # the kernel's LawCertificate / IORefutation behind the verdict

    def __post_init__(self) -> None:
        # only the kernel decides: a certified law holds a LawCertificate, a refuted one an IORefutation
        from certify.kernel.io_refutation import IORefutation
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.kernel.laws import LawCertificate
        need = {Verdict.CERTIFIED: LawCertificate, Verdict.REFUTED: IORefutation}.get(self.verdict)
        if need is not None and not isinstance(self.evidence, need):
            raise ValueError(f"LawResult: {self.law} is {self.verdict.value} without kernel evidence")

    @property
    def summary(self) -> str:
        return self.reason or self.statement


@dataclass(frozen=True)
class LawReport:
    section: str
    derivation: tuple[tuple[str, str], ...]        # (quantity, formula) derived by SymPy, for a reader
    results: tuple[LawResult, ...]


# -- the SymPy derivations (what a reader is shown; the kernel re-checks the claims) ---------------

def _balancing_derivation(p: sp.Basic, alpha: sp.Basic, tau: sp.Symbol) -> tuple[tuple[str, str], ...]:
    t = sp.Symbol("t", real=True)
    i, j = sp.symbols("i j", integer=True)
    h = sp.Function("h")
    w0 = sp.IndexedBase("W0")
    cost = alpha * sp.Abs(w0[i, j]) ** p * sp.exp(p * (h(j, t) - h(i, t)))
    weight = w0[i, j] * sp.exp(h(j, t) - h(i, t))
    g = sp.IndexedBase("g")
    rates = {sp.Derivative(h(i, t), t): g[i] / tau, sp.Derivative(h(j, t), t): g[j] / tau}
    dcost = sp.factor(sp.diff(cost, t).subs(rates))
    dweight = sp.factor(sp.diff(weight, t).subs(rates))
    return (
        ("cost of a synapse", f"c_ij = {sp.sstr(cost)}"),
        ("signal of neuron k", "g_k = sum_j c_kj - sum_i c_ik  (incoming minus outgoing cost), g = C e - C^T e"),
        ("gain flow", f"h_k' = g_k/{tau}"),
        ("weight flow", f"d/dt W_ij = {sp.sstr(dweight)}  =  [(W diag(g) - diag(g) W)/{tau}]_ij"),
        ("cost flow", f"d/dt c_ij = {sp.sstr(dcost)};  summed: dC/dt = ({sp.sstr(p)}/{tau})(e^T C g - g^T C e) "
                      f"= -({sp.sstr(p)}/{tau}) |g|^2"),
        ("transforms", "D = diag(e^h): W -> D^-1 W D, W_in -> D^-1 W_in, b -> D^-1 b, W_out -> W_out D, "
                       "x -> D^-1 x"),
    )


def _energy_derivation(lagrangian: str, layers: str) -> tuple[tuple[str, str], ...]:
    ell, act, curvature = kl.LAGRANGIANS[lagrangian]
    z = sp.Symbol("z", real=True)
    smooth = {"logcosh": sp.log(sp.cosh(z)), "softplus": sp.log(1 + sp.exp(z)), "quadratic": z ** 2 / 2}
    if lagrangian in smooth:
        g = sp.diff(smooth[lagrangian], z)   # display only: the kernel uses its own table
        gp = sp.diff(g, z)
        grad = f"g_i = l'(x_i) = {sp.sstr(g.subs(z, sp.Symbol('x_i')))}, l'' = {sp.sstr(gp.subs(z, sp.Symbol('x_i')))}"
    else:
        grad = "g_i = l'(x_i) = relu(x_i), l'' = 1[x_i > 0] (E is C^1; l'' jumps at 0)"
    rows = [("Lagrangian", f"L(x) = sum_i {ell}"), ("activation", grad),
            ("energy", "E = (x - b)^T g - L - g^T W g / 2"),
            ("energy flow", "dE/dt = (x - b - W g)^T H x' = -x'^T T H x'  (H = Hess L, T x' = W g - x + b)")]
    if layers == "2":
        rows.append(("two layers", "x = (v, h), W = [[0, xi], [xi^T, 0]], T = diag(tau_v I, tau_h I): the same "
                                   "identity with a block-diagonal H"))
    return tuple(rows)


# -- deciding the laws -----------------------------------------------------------------------------

def _balancing_results(rule: Rule, witness_for) -> tuple[LawResult, ...]:
    """Every balancing law decided by the kernel; `witness_for(activation)` gives the data of the I/O
    refutation (searched, or read from a certificate)."""
    spec = dict(rule.balancing)
    asm = rule.assumptions()
    tau = sp.Symbol(spec["tau"], real=True)
    try:
        lax = kl.check_lax_flow(rule.dW, dict(rule.matrices), spec["signal"], tau, asm.parameters.get(spec["tau"]))
    except KernelError as err:
        reason = f"the kernel rejects the Lax form: {err}"
        return tuple(LawResult("balancing", law, Verdict.INCONCLUSIVE, "", reason=reason)
                     for law in LAW_NAMES["balancing"])
    results = [_certified("balancing", lax), _certified("balancing", kl.check_spectrum(rule.dW, dict(rule.matrices),
                                                                                          lax))]
    results += [_certified("balancing", kl.check_entrywise(law, lax, rule.dW, dict(rule.matrices)))
                for law in ("diagonal", "cycle-products", "sign-pattern")]
    g = sp.MatrixSymbol("g", N, 1)
    derived = -(sp.Symbol("p", real=True) / sp.Symbol("tau", real=True)) * (g.T * g)
    results.append(_certified("balancing", kl.check_cost_descent(Interval.point(Fraction(spec["p"])),
                                                                 asm.parameters[spec["tau"]], derived)))
    activation = spec["activation"]
    if activation in kl.HOMOGENEOUS:
        results.append(_certified("balancing", kl.check_io_map(activation)))
        return tuple(results)
    witness = witness_for(activation)
    try:
        ref = kl.check_io_refutation(activation, spec["p"], witness["J"], witness["u"], witness["c"], witness["d"],
                                     tuple(witness["centers"]), witness["radius"],
                                     preconditioners=_io_preconditioners(activation, witness))
    except (KernelError, KeyError, ValueError, TypeError) as err:
        results.append(LawResult("balancing", "io-map", Verdict.INCONCLUSIVE, "",
                                 reason=f"{activation} is not positively homogeneous, and the witness failed: {err}"))
    else:
        results.append(LawResult("balancing", "io-map", Verdict.REFUTED, "the input-output map is not conserved",
                                 reason=ref.statement, witness=witness, evidence=ref))
    return tuple(results)


def _io_preconditioners(activation: str, witness: dict) -> tuple:
    """UNTRUSTED Krawczyk preconditioners for the two boxes of an I/O refutation (J, u) and (D^-1 J D, D^-1 u)."""
    # deferred: the equilibrium search module is needed only when a non-homogeneous activation is refuted
    from certify.search.equilibria import preconditioner
    J = [[Fraction(x) for x in row] for row in witness["J"]]
    u, d = [Fraction(x) for x in witness["u"]], [Fraction(x) for x in witness["d"]]
    n = len(J)
    Jt = [[J[i][j] * d[j] / d[i] for j in range(n)] for i in range(n)]
    ut = [u[i] / d[i] for i in range(n)]
    return tuple(preconditioner([[float(x) for x in r] for r in M], [float(x) for x in v], "H", activation, c)
                 for (M, v), c in zip(((J, u), (Jt, ut)), witness["centers"]))


def _searched_witness(activation: str) -> dict:
    """Two neurons J = [[0, 1/2], [1/32, 0]]: balancing rescales them by D = diag(2, 1/2) (then both synapses have
    magnitude 1/8, for every p). Equilibria of both networks by fixed-point iteration (both contract); the
    kernel proves the boxes."""
    # deferred: needed only on this path
    import math
    phi = {"tanh": math.tanh, "logistic": lambda s: 1.0 / (1.0 + math.exp(-s))}[activation]
    J = [[Fraction(0), Fraction(1, 2)], [Fraction(1, 32), Fraction(0)]]
    u, c, d = [Fraction(1), Fraction(1)], [Fraction(1), Fraction(0)], [Fraction(2), Fraction(1, 2)]
    Jt = [[J[i][j] * d[j] / d[i] for j in range(2)] for i in range(2)]
    ut = [u[i] / d[i] for i in range(2)]
    centers = []
    for M, v in ((J, u), (Jt, ut)):
        x = [0.0, 0.0]
        for _ in range(200):
            x = [sum(float(M[i][j]) * phi(x[j]) for j in range(2)) + float(v[i]) for i in range(2)]
        centers.append([repr(t) for t in x])
    return {"J": [[str(x) for x in r] for r in J], "u": [str(x) for x in u], "c": [str(x) for x in c],
            "d": [str(x) for x in d], "centers": centers, "radius": "1e-9"}


def _balancing_laws(rule: Rule) -> LawReport:
    spec = dict(rule.balancing)
    p, alpha = Fraction(spec["p"]), Fraction(spec["alpha"])
    derivation = _balancing_derivation(sp.Rational(p.numerator, p.denominator),
                                       sp.Rational(alpha.numerator, alpha.denominator),
                                       sp.Symbol(spec["tau"], real=True))
    return LawReport("balancing", derivation, _balancing_results(rule, _searched_witness))


def _energy_results(rule: Rule) -> tuple[LawResult, ...]:
    spec = dict(rule.energy)
    net = dict(rule.network)
    expected = LAGRANGIAN_ACTIVATION[spec["lagrangian"]]
    if net.get("activation", expected) != expected:
        raise InputError(f"the Lagrangian '{spec['lagrangian']}' has gradient {expected}, but the network's "
                         f"activation is {net['activation']}", file=rule.source, symbol="lagrangian",
                         hint=f"use the Lagrangian whose gradient is {net['activation']} "
                              f"({', '.join(f'{k} -> {v}' for k, v in LAGRANGIAN_ACTIVATION.items())})")
    if net.get("form", "H") != "H":
        return (LawResult("energy", "descent", Verdict.INCONCLUSIVE, "", reason="the energy law is stated for "
                          "form H (tau x' = W g(x) - x + b); this network has form FR"),)
    if "W0" in net:
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.lang.network import network_of
        W0 = network_of(rule).W0
        if any(W0[i][j] != W0[j][i] for i in range(len(W0)) for j in range(i)):
            return (LawResult("energy", "descent", Verdict.INCONCLUSIVE, "",
                              reason="W0 is not symmetric: the energy identity needs W = W^T"),)
    x, b, g = (sp.MatrixSymbol(k, N, 1) for k in ("x", "b", "g"))
    W, L = sp.MatrixSymbol("W", N, N), sp.MatrixSymbol("L", 1, 1)
    energy = (x - b).T * g - L - g.T * W * g / 2
    time_constants = "diagonal" if spec["layers"] == "2" else spec["time_constants"]
    try:
        descent = kl.check_energy_descent(spec["lagrangian"], energy, time_constants, rule.dW, dict(rule.matrices))
    except KernelError as err:
        return tuple(LawResult("energy", law, Verdict.INCONCLUSIVE, "", reason=f"the kernel rejects it: {err}")
                     for law in (("descent", "strict-lyapunov") if "W0" in net else ("descent",)))
    results = [_certified("energy", descent, "descent")]
    if "W0" in net:   # a concrete network: a Lyapunov function without flat regions
        results.append(_strict_lyapunov(rule, spec["lagrangian"], descent))
    return tuple(results)


def _strict_lyapunov(rule: Rule, lagrangian: str, descent: kl.LawCertificate) -> LawResult:
    """V = E + (kappa/2) x'^T T x' with the best constants of the kernel's bound (T = I: form H has unit time
    constants): kappa = 2 tau/w2 and delta = tau/w2 make kappa^2 w2 = 4 tau (kappa - delta) hold with equality."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.network import network_of
    W0 = network_of(rule).W0
    w2 = sum((x * x for row in W0 for x in row), Fraction(0))
    tau = Fraction(1)
    kappa, delta = (2 * tau / w2, tau / w2) if w2 > 0 else (Fraction(1), Fraction(1, 2))
    try:
        cert = kl.check_strict_lyapunov(descent, lagrangian, [list(r) for r in W0], tau, kappa, delta)
    except KernelError as err:
        return LawResult("energy", "strict-lyapunov", Verdict.INCONCLUSIVE, "", reason=str(err))
    return _certified("energy", cert)


def _energy_laws(rule: Rule) -> LawReport:
    spec = dict(rule.energy)
    return LawReport("energy", _energy_derivation(spec["lagrangian"], spec["layers"]), _energy_results(rule))


def _certified(section: str, cert: kl.LawCertificate, law: str | None = None) -> LawResult:
    return LawResult(section, law or cert.law, Verdict.CERTIFIED, cert.statement, cert.steps, evidence=cert)


def decide_laws(rule: Rule) -> tuple[LawReport, ...]:
    """Every law the rule declares ([balancing], [energy]), each decided by the kernel."""
    out = []
    if rule.balancing:
        out.append(_balancing_laws(rule))
    if rule.energy:
        out.append(_energy_laws(rule))
    return tuple(out)


def law_mismatches(rule: Rule, reports: tuple[LawReport, ...]) -> tuple[str, ...]:
    got = {(r.section, r.law): r.verdict.value for rep in reports for r in rep.results}
    return tuple(f"[expect.{sec}] {law}: documented {want}, got {got.get((sec, law), 'nothing')}"
                 for sec, law, want in rule.law_expect if got.get((sec, law)) != want)


# -- certificates --------------------------------------------------------------------------------------

def law_dicts(rule: Rule, reports: tuple[LawReport, ...]) -> list[dict]:
    """The laws as stored in a certificate: verdicts, statements, kernel steps, witnesses."""
    expected = {(sec, law): v for sec, law, v in rule.law_expect}
    out = []
    for rep in reports:
        for r in rep.results:
            d = {"section": r.section, "law": r.law, "verdict": r.verdict.value,
                 "expected": expected.get((r.section, r.law)), "statement": r.statement, "reason": r.reason,
                 "steps": [{"lemma": a, "statement": b, "source": c} for a, b, c in r.steps]}
            if r.witness is not None:
                d["witness"] = dict(r.witness)
            out.append(d)
    return out


def recheck_laws(rule: Rule, stored: list[dict]) -> list[str]:
    """Re-decide the rule's laws with the kernel only (no derivation, no search: a refutation uses the
    stored witness) and compare with what a certificate stores. Returns the problems found."""
    witnesses = {d["law"]: d.get("witness") for d in stored if d.get("section") == "balancing"}
    fresh: list[LawResult] = []
    try:
        if rule.balancing:
            fresh += _balancing_results(rule, lambda activation: witnesses.get("io-map") or {})
        if rule.energy:
            fresh += _energy_results(rule)
    except (KernelError, InputError) as err:
        return [f"laws: the kernel could not re-decide them: {err}"]
    got = {(d.get("section"), d.get("law")): d for d in stored}
    problems = []
    if len(got) != len(stored):
        problems.append("laws: a law appears more than once")
    if set(got) != {(r.section, r.law) for r in fresh}:
        problems.append(f"laws: the certificate holds {sorted(got)}, the rule declares "
                        f"{sorted((r.section, r.law) for r in fresh)}")
    for want in law_dicts(rule, (LawReport("", (), tuple(fresh)),)):
        have = got.get((want["section"], want["law"]))
        if have is None:
            continue
        for key in ("verdict", "expected", "statement", "reason", "steps", "witness"):
            if have.get(key) != want.get(key):
                problems.append(f"laws.{want['section']}.{want['law']}.{key}: the certificate says "
                                f"{have.get(key)!r}, the kernel derives {want.get(key)!r}")
    return problems
