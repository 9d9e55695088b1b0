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

from .errors import InputError, KernelError
from .kernel import laws as kl
from .kernel.intervals import Interval
from .kernel.objects import N
from .rule import LAW_NAMES, Rule
from .verdict import Verdict

LAGRANGIAN_ACTIVATION = {"relu": "relu", "logcosh": "tanh", "softplus": "logistic", "quadratic": "linear"}


@dataclass(frozen=True)
class LawResult:
    section: str                                   # "balancing" or "energy"
    law: str
    verdict: Verdict
    statement: str
    steps: tuple[tuple[str, str, str], ...] = ()   # kernel-checked steps: (lemma, statement, source)
    reason: str = ""                               # why inconclusive / what refutes it

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

def _io_witness(activation: str) -> tuple[Fraction, Fraction, Fraction, tuple[float, float]]:
    """One neuron x' = -x + J phi(x) + c and its rescaling by d: float equilibria for the kernel's boxes."""
    from scipy.optimize import brentq
    import math
    phi = {"tanh": math.tanh, "logistic": lambda s: 1.0 / (1.0 + math.exp(-s))}[activation]
    J, c, d = Fraction(1, 2), Fraction(1), Fraction(2)
    roots = tuple(brentq(lambda s, cc=cc: -s + float(J) * phi(s) + float(cc), -10, 10, xtol=1e-15)
                  for cc in (c, c / d))
    return J, c, d, roots


def _balancing_laws(rule: Rule) -> LawReport:
    spec = dict(rule.balancing)
    asm = rule.assumptions()
    tau = sp.Symbol(spec["tau"], real=True)
    p = Fraction(spec["p"])
    alpha = Fraction(spec["alpha"])
    derivation = _balancing_derivation(sp.Rational(p.numerator, p.denominator),
                                       sp.Rational(alpha.numerator, alpha.denominator), tau)
    results: list[LawResult] = []
    try:
        lax = kl.check_lax_flow(rule.dW, dict(rule.matrices), spec["signal"], tau, asm.parameters.get(spec["tau"]))
    except KernelError as err:
        reason = f"the kernel rejects the Lax form: {err}"
        return LawReport("balancing", derivation, tuple(
            LawResult("balancing", law, Verdict.INCONCLUSIVE, "", reason=reason)
            for law in LAW_NAMES["balancing"]))
    results.append(_certified("balancing", lax))
    results.append(_certified("balancing", kl.check_spectrum(rule.dW, dict(rule.matrices), lax)))
    for law in ("diagonal", "cycle-products", "sign-pattern"):
        results.append(_certified("balancing", kl.check_entrywise(law, lax)))
    derived = -(sp.Symbol("p", real=True) / sp.Symbol("tau", real=True)) * (
        sp.MatrixSymbol("g", N, 1).T * sp.MatrixSymbol("g", N, 1))
    cost = kl.check_cost_descent(Interval.point(p), asm.parameters[spec["tau"]], derived)
    results.append(_certified("balancing", cost))
    activation = spec["activation"]
    if activation in kl.HOMOGENEOUS:
        results.append(_certified("balancing", kl.check_io_map(activation)))
    else:
        J, c, d, roots = _io_witness(activation)
        try:
            ref = kl.check_io_refutation(activation, J, c, d, roots, 1e-9)
        except KernelError as err:
            results.append(LawResult("balancing", "io-map", Verdict.INCONCLUSIVE, "",
                                     reason=f"{activation} is not positively homogeneous, and the witness failed: "
                                            f"{err}"))
        else:
            results.append(LawResult("balancing", "io-map", Verdict.REFUTED,
                                     "the input-output map is not conserved", reason=ref.statement))
    return LawReport("balancing", derivation, tuple(results))


def _energy_laws(rule: Rule) -> LawReport:
    spec = dict(rule.energy)
    derivation = _energy_derivation(spec["lagrangian"], spec["layers"])
    net = dict(rule.network)
    expected = LAGRANGIAN_ACTIVATION[spec["lagrangian"]]
    if net.get("activation", expected) != expected:
        raise InputError(f"the Lagrangian '{spec['lagrangian']}' has gradient {expected}, but the network's "
                         f"activation is {net['activation']}", file=rule.source, symbol="lagrangian",
                         hint=f"use the Lagrangian whose gradient is {net['activation']} "
                              f"({', '.join(f'{k} -> {v}' for k, v in LAGRANGIAN_ACTIVATION.items())})")
    if net.get("form", "H") != "H" and net:
        return LawReport("energy", derivation, (LawResult(
            "energy", "descent", Verdict.INCONCLUSIVE, "", reason="the energy law is stated for form H "
            "(tau x' = W g(x) - x + b); this network has form FR"),))
    if "W0" in net:
        from .network import network_of
        W0 = network_of(rule).W0
        if any(W0[i][j] != W0[j][i] for i in range(len(W0)) for j in range(i)):
            return LawReport("energy", derivation, (LawResult(
                "energy", "descent", Verdict.INCONCLUSIVE, "", reason="W0 is not symmetric: the energy identity "
                "needs W = W^T"),))
    n = N
    x, b, g = (sp.MatrixSymbol(k, n, 1) for k in ("x", "b", "g"))
    W, L = sp.MatrixSymbol("W", n, n), sp.MatrixSymbol("L", 1, 1)
    energy = (x - b).T * g - L - g.T * W * g / 2
    time_constants = "diagonal" if spec["layers"] == "2" else spec["time_constants"]
    cert = kl.check_energy_descent(spec["lagrangian"], energy, time_constants)
    return LawReport("energy", derivation, (_certified("energy", cert, "descent"),))


def _certified(section: str, cert: kl.LawCertificate, law: str | None = None) -> LawResult:
    return LawResult(section, law or cert.law, Verdict.CERTIFIED, cert.statement, cert.steps)


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
