"""Conservation laws of synaptic balancing and the energy of Krotov–Hopfield networks (TRUSTED).

Every check below is an identity of normal forms (kernel/algebra.py: non-commutative polynomials,
plus the scalar and trace forms), valid for every n, followed by a named lemma whose side conditions
are checked here. Nothing is simplified by SymPy and no float decides anything. The expressions the
checks compare with are built here, from leaf names, not taken from the untrusted derivation.

Synaptic balancing (Stock, Harvey, Ocko, Ganguli, PLOS Comput Biol 18:e1010418, 2022):
    dW/dt = (W G - G W)/tau,  G = diag(g)   (a Lax flow with a diagonal generator)
Energy (Krotov & Hopfield 2021; Fanaskov & Oseledets, arXiv 2410.13866):
    T x' = W g - x + b,  g = grad L(x),  W = W^T,  E = (x - b)^T g - L - g^T W g / 2
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

import sympy as sp

from .reality import require_real
from .errors import KernelError
from .algebra import NF, Normalizer, freeze, nf_add, nf_equal, nf_mul, nf_scale
from .forms import _wrap_diag, cancel_inverses, derivative, scalar_form, substitute, trace_form
from .intervals import Interval
from .evidence import only_kernel

STOCK = "Stock, Harvey, Ocko, Ganguli, PLOS Comput Biol 18:e1010418 (2022)"
LAX = "P. D. Lax, Comm. Pure Appl. Math. 21:467 (1968); similar matrices share their spectrum"
HOPFIELD = "Krotov & Hopfield, ICLR 2021 (arXiv 2008.06996); Fanaskov & Oseledets, arXiv 2410.13866"
HOMOGENEOUS = ("relu", "leaky-relu", "linear")   # phi(a x) = a phi(x) for every a > 0
TRACE_POWERS = 6                                  # d/dt tr(W^k) = 0 is also checked directly for k <= this

# Convex separable Lagrangians L = sum_i l(x_i): l' is the activation g, l'' >= 0 is its slope.
LAGRANGIANS: dict[str, tuple[str, str, str]] = {
    # name: (l(x), g = l'(x), l''(x) and why it is >= 0)
    "relu": ("relu(x)^2/2", "relu", "1[x > 0] in {0, 1}"),
    "logcosh": ("log(cosh(x))", "tanh", "1 - tanh(x)^2 in (0, 1]"),
    "softplus": ("log(1 + exp(x))", "logistic", "s(x)(1 - s(x)) in (0, 1/4]"),
    "quadratic": ("x^2/2", "linear", "1"),
}
ONE = sp.Integer(1)


@dataclass(frozen=True)
class LawCertificate:
    law: str
    statement: str
    steps: tuple[tuple[str, str, str], ...]   # (lemma, what was checked, source)
    subject: str = ""                          # what it is about (the flow's normal form, ...): later checks
                                               # that build on a certificate compare it

    def __post_init__(self) -> None:
        # the checks that build on a law certificate (spectrum, entrywise laws, strict Lyapunov) trust the
        # certificate they are handed, so a hand-built one must not exist
        only_kernel("LawCertificate")


def _subject(dW: sp.Basic, matrices: Mapping[str, str]) -> str:
    # srepr, not repr: repr prints Symbol('tau', real=True) and Symbol('tau', positive=True) alike, so another flow
    # (W G/tau1 - G W/tau2) would pass for this one
    return sp.srepr(freeze(Normalizer(matrices).nf(dW)))


def _require(cert: LawCertificate, law: str, subject: str, what: str) -> None:
    if cert.law != law or cert.subject != subject:
        raise KernelError(f"require: the {what} law needs the {law} certificate of this very flow")


def _leaf(name: str, kind: str = "matrix") -> NF:
    return {(("leaf", name, kind, False),): ONE}


def _t(nz: Normalizer, nf: NF) -> NF:
    return nz.transpose(nf)


def _sub(a: NF, b: NF) -> NF:
    return nf_add(a, nf_scale(b, -ONE))


def _range(iv: Interval) -> str:
    return f"= {iv.lo}" if iv.lo == iv.hi else f"in {iv}"


def _positive(iv: Interval | None, what: str) -> None:
    if iv is None or not (iv.lo > 0 or (iv.lo == 0 and not iv.lo_closed)):
        raise KernelError(f"declared_positive: {what} must be declared > 0")


# -- synaptic balancing ----------------------------------------------------------------------------

def check_lax_flow(dW: sp.Basic, matrices: Mapping[str, str], g: str, tau: sp.Symbol,
                   tau_range: Interval | None) -> LawCertificate:
    """dW equals (W diag(g) - diag(g) W)/tau, and W(t) = D^-1 W(0) D with D = diag(exp(h)), h' = g/tau
    solves it (product rule, with d/dt D = D G/tau and d/dt D^-1 = -G D^-1/tau for diagonal D, G)."""
    _positive(tau_range, f"the time constant {tau}")
    require_real(dW, None, "dW")
    if not isinstance(tau, sp.Symbol):
        raise KernelError("check_lax_flow: the time constant must be a parameter symbol (its declared range is "
                          "checked)")
    if set(matrices) & {"D_h", "D_h_inv", "W_0"}:
        raise KernelError("check_lax_flow: the names D_h, D_h_inv and W_0 are reserved for the balancing solution")
    props = dict(matrices) | {"D_h": "diagonal", "D_h_inv": "diagonal", "W_0": "any"}
    nz = Normalizer(props)
    W, G = _leaf("W", "W"), _wrap_diag(_leaf(g, "vector"))
    lax = nf_scale(_sub(nf_mul(W, G), nf_mul(G, W)), 1 / tau)
    if not nf_equal(nz.nf(dW), lax):
        raise KernelError(f"check_lax_flow: dW/dt is not (W diag({g}) - diag({g}) W)/{tau}: the flow is not a "
                          f"balancing flow")
    D, Dinv, W0 = _leaf("D_h"), _leaf("D_h_inv"), _leaf("W_0")
    solution = nf_mul(nf_mul(Dinv, W0), D)
    rates = {"D_h": nf_scale(nf_mul(D, G), 1 / tau), "D_h_inv": nf_scale(nf_mul(G, Dinv), -1 / tau)}
    if not nf_equal(derivative(nz, solution, rates), substitute(nz, lax, {"W": solution})):
        raise KernelError("check_lax_flow: W(t) = D^-1 W(0) D does not solve the flow")   # unreachable for a Lax flow
    return LawCertificate("lax-flow", f"dW/dt = [W, diag({g})]/{tau}, solved by W(t) = D(t)^-1 W(0) D(t), "
                          f"D = diag(e^h), h' = {g}/{tau}",
                          (("lax-form", f"dW/dt = (W diag({g}) - diag({g}) W)/{tau}: an identity of normal "
                            "forms, valid for every n", STOCK),
                           ("diagonal-similarity-solution", "d/dt (D^-1 W(0) D) equals the flow at D^-1 W(0) D "
                            "(product rule; diagonal matrices commute)", STOCK)), _subject(dW, matrices))


def check_spectrum(dW: sp.Basic, matrices: Mapping[str, str], lax: LawCertificate) -> LawCertificate:
    """Similar matrices share their spectrum; also d/dt tr(W^k) = 0 as a trace identity for k <= 6."""
    _require(lax, "lax-flow", _subject(dW, matrices), "spectrum")
    nz = Normalizer(matrices)
    rate = {"W": nz.nf(dW)}
    power: NF = {(): ONE}
    for _ in range(TRACE_POWERS):
        power = nf_mul(power, _leaf("W", "W"))
        if trace_form(nz, derivative(nz, power, rate)):
            raise KernelError("check_spectrum: a trace of a power of W changes along the flow")
    return LawCertificate("spectrum", "the spectrum of W(t) is constant: every tr(W^k) is conserved",
                          lax.steps + (("similarity", "W(t) = D^-1 W(0) D is similar to W(0)", LAX),
                                       ("trace-powers", f"d/dt tr(W^k) = 0 for k = 1..{TRACE_POWERS}: identities "
                                        "of cyclic trace normal forms", "cyclicity of the trace")))


def check_entrywise(law: str, lax: LawCertificate, dW: sp.Basic, matrices: Mapping[str, str]) -> LawCertificate:
    """(D^-1 W(0) D)_ij = W(0)_ij d_j / d_i with d_i = e^{h_i} > 0: diagonal entries, products around
    every cycle (the d's telescope) and signs (d_j/d_i > 0) are conserved."""
    _require(lax, "lax-flow", _subject(dW, matrices), law)
    statements = {
        "diagonal": "every diagonal entry W_ii(t) is constant",
        "cycle-products": "every cycle product W_{i1 i2} W_{i2 i3} ... W_{ik i1}(t) is constant",
        "sign-pattern": "the sign (and zero pattern) of every entry W_ij(t) is constant",
    }
    if law not in statements:
        raise KernelError(f"check_entrywise: unknown entrywise law {law!r}")
    return LawCertificate(law, statements[law], lax.steps + (
        ("diagonal-similarity-entries", "(D^-1 W(0) D)_ij = W(0)_ij e^{h_j - h_i}: ratios telescope around "
         "cycles, the factor is 1 on the diagonal and positive everywhere", STOCK),))


def check_cost_descent(p: Interval, tau: Interval, derived: sp.Basic | None = None) -> LawCertificate:
    """C(h) = sum_ij c_ij with c_ij = alpha_ij |W0_ij|^p e^{p(h_j - h_i)}; with g = C e - C^T e (incoming
    minus outgoing cost) and h' = g/tau: dC/dt = (p/tau)(e^T C g - g^T C e) = -(p/tau) g^T g <= 0.
    `derived` (optional) is the untrusted derivation's matrix expression for dC/dt over C, e, g, p, tau."""
    _positive(p, "the cost exponent p")
    _positive(tau, "the time constant tau")
    nz = Normalizer({"C": "any"})
    C, e, g = _leaf("C"), _leaf("e", "vector"), _leaf("g", "vector")
    ps, taus = sp.Symbol("p", real=True), sp.Symbol("tau", real=True)
    chain = nf_scale(_sub(nf_mul(nf_mul(_t(nz, e), C), g), nf_mul(nf_mul(_t(nz, g), C), e)), ps / taus)
    target = nf_scale(nf_mul(_t(nz, g), g), -ps / taus)
    signal = {"g": _sub(nf_mul(C, e), nf_mul(_t(nz, C), e))}
    if not nf_equal(scalar_form(nz, substitute(nz, chain, signal)), scalar_form(nz, substitute(nz, target, signal))):
        raise KernelError("check_cost_descent: (p/tau)(e^T C g - g^T C e) differs from -(p/tau) g^T g")   # unreachable
    if derived is not None and not nf_equal(scalar_form(nz, nz.nf(derived)), scalar_form(nz, target)):
        raise KernelError(f"check_cost_descent: the derived dC/dt = {derived} is not -(p/tau) g^T g")
    return LawCertificate("cost-descent", "with the balancing signal g = C e - C^T e: dC/dt = -(p/tau) |g|^2 <= 0, "
                          "the cost decreases, strictly unless every neuron is balanced (g = 0)",
                          (("cost-chain-rule", "dC/dt = sum_ij c_ij p (h_j' - h_i') = (p/tau)(e^T C g - g^T C e)",
                            STOCK),
                           ("cost-identity", "with g = C e - C^T e: (p/tau)(e^T C g - g^T C e) = -(p/tau) g^T g, "
                            "an identity of scalar normal forms", STOCK),
                           ("sign", f"p {_range(p)}, tau {_range(tau)}: both positive", "declared ranges")))


def _rhs(nz: Normalizer, x: NF, activation: str) -> NF:
    """-x + W0 phi(x) + V u + b (phi applied element-wise; the identity for 'linear')."""
    fx = x if activation == "linear" else {(("fun", activation, freeze(x), False),): ONE}
    drive = nf_add(nf_mul(_leaf("V"), _leaf("u", "vector")), _leaf("b", "vector"))
    return nf_add(nf_add(nf_scale(x, -ONE), nf_mul(_leaf("W_0"), fx)), drive)


def check_io_map(activation: str) -> LawCertificate:
    """For positively homogeneous phi the balanced network (D^-1 W0 D, D^-1 V, D^-1 b, U D) with state
    D^-1 x has the same input-output map: D (rhs~ at D^-1 x) = rhs at x, and U D D^-1 x = U x."""
    if activation not in HOMOGENEOUS:
        raise KernelError(f"check_io_map: {activation} is not positively homogeneous; the input-output map is not conserved")
    nz = Normalizer({"D_h": "diagonal", "D_h_inv": "diagonal", "W_0": "any", "V": "any", "U": "any"})
    D, Dinv, x = _leaf("D_h"), _leaf("D_h_inv"), _leaf("x", "vector")
    pairs = {"D_h": "D_h_inv", "D_h_inv": "D_h"}
    # the balanced right-hand side at the balanced state D^-1 x, with the homogeneity lemma
    # phi(D^-1 x) = D^-1 phi(x) applied (D^-1 is a positive diagonal matrix)
    balanced = {"W_0": nf_mul(nf_mul(Dinv, _leaf("W_0")), D), "V": nf_mul(Dinv, _leaf("V")),
                "b": nf_mul(Dinv, _leaf("b", "vector"))}
    xt = nf_mul(Dinv, x)
    phi_t = xt if activation == "linear" else nf_mul(Dinv, {(("fun", activation, freeze(x), False),): ONE})
    rhs_t = nf_add(nf_add(nf_scale(xt, -ONE), nf_mul(balanced["W_0"], phi_t)),
                   nf_add(nf_mul(balanced["V"], _leaf("u", "vector")), balanced["b"]))
    if not nf_equal(cancel_inverses(nf_mul(D, rhs_t), pairs), _rhs(nz, x, activation)):
        raise KernelError("check_io_map: the balanced network does not map D^-1 x like the original maps "
                          "x")   # unreachable
    out_ok = nf_equal(cancel_inverses(nf_mul(nf_mul(_leaf("U"), D), xt), pairs), nf_mul(_leaf("U"), x))
    if not out_ok:
        raise KernelError("check_io_map: the balanced readout differs")   # unreachable
    return LawCertificate("io-map", "the input-output map u -> y is unchanged (state x -> D^-1 x)", (
        ("homogeneity", f"{activation}(a x) = a {activation}(x) for a > 0, so phi(D^-1 x) = D^-1 phi(x)", STOCK),
        ("io-transform", "D (rhs of the balanced network at D^-1 x) = rhs at x and U D (D^-1 x) = U x: identities "
         "of normal forms with D D^-1 = I", STOCK)))


# -- energy of Krotov–Hopfield networks ------------------------------------------------------------

def check_energy_descent(lagrangian: str, energy: sp.Basic, time_constants: str, dW: sp.Basic,
                         matrices: Mapping[str, str]) -> LawCertificate:
    """E (the untrusted derivation's expression over x, b, g, W (symmetric) and the 1 x 1 symbol L) has
    dE/dt = (x - b - W g)^T H x' = -x'^T T H x' <= 0 along T x' = W g - x + b, where g = grad L and
    H = Hess L >= 0 (declared convex Lagrangian). time_constants: 'scalar' (T = tau I) or 'diagonal'
    (T diagonal: needs H diagonal, i.e. a separable L, so that T H is a nonnegative diagonal matrix)."""
    if lagrangian not in LAGRANGIANS:
        raise KernelError(f"check_energy_descent: unknown Lagrangian {lagrangian!r}; known: {', '.join(LAGRANGIANS)}")
    require_real(dW, None, "dW")
    require_real(energy, None, "the energy")
    if time_constants not in ("scalar", "diagonal"):
        raise KernelError("check_energy_descent: time constants are 'scalar' or 'diagonal'")
    if Normalizer(matrices).nf(dW):
        raise KernelError("check_energy_descent: the energy identity is for fixed weights: dW must be 0 (a "
                          "changing W adds -g^T W' g/2)")
    nz = Normalizer({"H": "diagonal", "T": "diagonal"}, scalars=frozenset({"L"}), symmetric_W=True)
    x, b, g, v = (_leaf(k, "vector") for k in ("x", "b", "g", "v"))
    H, T, W = _leaf("H"), _leaf("T"), _leaf("W", "W")
    E = nz.nf(energy)
    canonical = nf_add(nf_add(nf_mul(_t(nz, _sub(x, b)), g), nf_scale(_leaf("L", "scalar"), -ONE)),
                       nf_scale(nf_mul(nf_mul(_t(nz, g), W), g), sp.Rational(-1, 2)))
    if not nf_equal(scalar_form(nz, E), scalar_form(nz, canonical)):
        raise KernelError(f"check_energy_descent: E = {energy} is not (x - b)^T g - L - g^T W g/2")
    rates = {"x": v, "g": nf_mul(H, v), "L": nf_mul(_t(nz, g), v)}
    dE = scalar_form(nz, derivative(nz, E, rates))
    grad_form = nf_mul(nf_mul(_t(nz, _sub(_sub(x, b), nf_mul(W, g))), H), v)
    if not nf_equal(dE, scalar_form(nz, grad_form)):
        raise KernelError("check_energy_descent: dE/dt differs from (x - b - W g)^T H x'")
    on_solutions = scalar_form(nz, substitute(nz, dE, {"x": _sub(nf_add(nf_mul(W, g), b), nf_mul(T, v))}))
    if not nf_equal(on_solutions, scalar_form(nz, nf_scale(nf_mul(nf_mul(nf_mul(_t(nz, v), T), H), v), -ONE))):
        raise KernelError("check_energy_descent: dE/dt along solutions differs from -x'^T T H x'")
    ell, act, curvature = LAGRANGIANS[lagrangian]
    return LawCertificate("energy-descent", "dE/dt = -x'^T T H x' <= 0 along every solution; E is constant "
                          "only while H x' = 0 (only neurons with l'' = 0 move)", (
        ("energy-chain-rule", "d/dt of E with x' = v, g' = H v, L' = g^T v (g = grad L, H = Hess L): "
         "(x - b - W g)^T H v, an identity of scalar normal forms (W = W^T)", HOPFIELD),
        ("dynamics", "substituting x = W g + b - T x' gives dE/dt = -x'^T T H x'", HOPFIELD),
        ("convex-lagrangian", f"L = sum_i {ell}, g = {act}, l'' = {curvature} >= 0; T = "
         + ("tau I with tau > 0" if time_constants == "scalar" else "a positive diagonal matrix commuting with "
            "the diagonal H") + ", so T H >= 0", HOPFIELD)), f"fixed-W:{lagrangian}:{time_constants}")


HESSIAN_MAX = {"relu": Fraction(1), "logcosh": Fraction(1), "softplus": Fraction(1, 4), "quadratic": Fraction(1)}


def check_strict_lyapunov(descent: LawCertificate, lagrangian: str, W0, tau_min, kappa, delta) -> LawCertificate:
    """For a concrete symmetric W0: V = E + (kappa/2) x'^T T x' has dV/dt <= -delta |x'|^2 along solutions, so V
    has no flat regions (it decreases strictly wherever x' != 0).

    Identity (scalar normal forms, T diagonal with inverse pair T T^-1 = I): along T x'' = W H x' - x' (the time
    derivative of T x' = W g - x + b), d/dt (x'^T T x' / 2) = x'^T W H x' - x'^T x'. With dE/dt = -x'^T T H x'
    (the descent certificate): dV/dt = -v^T T H v + kappa (v^T W H v - |v|^2), v = x'.
    Bound: 0 <= l'' <= 1 (table) and T >= tau_min I give v^T T H v >= tau_min |H v|^2; |v^T W H v| <= ||W||_2 |v|
    |H v| with ||W||_2^2 <= ||W||_F^2 = w2 (exact). The quadratic form tau a^2 - kappa w a c + (kappa - delta) c^2
    in a = |H v|, c = |v| is >= 0 when kappa^2 w2 <= 4 tau_min (kappa - delta): checked in exact rationals."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from .exact import to_fraction_matrix
    if descent.law != "energy-descent" or not descent.subject.startswith(f"fixed-W:{lagrangian}:"):
        raise KernelError("check_strict_lyapunov: the strict Lyapunov law needs the energy-descent certificate "
                          "of this Lagrangian")
    if descent.subject != f"fixed-W:{lagrangian}:scalar" or Fraction(tau_min) != 1:
        # T >= tau_min I is a hypothesis about the network's time constants; the only ones the kernel knows are
        # those of form H, x' = -x + W g + b (T = I). Declared diagonal time constants have no lower bound here.
        raise KernelError("check_strict_lyapunov: the bound needs T >= tau_min I with known time constants; only "
                          "unit time constants (T = I, form H) are known to the kernel")
    if HESSIAN_MAX.get(lagrangian, Fraction(2)) > 1:
        raise KernelError(f"check_strict_lyapunov: the Hessian bound l'' <= 1 is not known for the Lagrangian "
                          f"{lagrangian!r}")
    W = to_fraction_matrix(W0, "W0")
    n = len(W)
    if any(W[i][j] != W[j][i] for i in range(n) for j in range(i)):
        raise KernelError("check_strict_lyapunov: W0 is not symmetric")
    tau_min, kappa, delta = Fraction(tau_min), Fraction(kappa), Fraction(delta)
    if not (tau_min > 0 and kappa > 0 and delta > 0):
        raise KernelError("check_strict_lyapunov: tau_min, kappa and delta must be positive")
    nz = Normalizer({"H": "diagonal", "T": "diagonal", "T_inv": "diagonal"}, symmetric_W=True)
    v, T, Ti, W_, H = _leaf("v", "vector"), _leaf("T"), _leaf("T_inv"), _leaf("W", "W"), _leaf("H")
    kinetic = nf_scale(nf_mul(nf_mul(_t(nz, v), T), v), sp.Rational(1, 2))
    rate = nf_mul(Ti, _sub(nf_mul(nf_mul(W_, H), v), v))
    dK = cancel_inverses(derivative(nz, kinetic, {"v": rate}), {"T": "T_inv", "T_inv": "T"})
    target = _sub(nf_mul(nf_mul(nf_mul(_t(nz, v), W_), H), v), nf_mul(_t(nz, v), v))
    if not nf_equal(scalar_form(nz, dK), scalar_form(nz, target)):
        raise KernelError("check_strict_lyapunov: d/dt (x'^T T x'/2) differs from x'^T W H x' - |x'|^2")   # unreachable
    w2 = sum((x * x for row in W for x in row), Fraction(0))
    if kappa * kappa * w2 > 4 * tau_min * (kappa - delta):
        raise KernelError(f"check_strict_lyapunov: kappa^2 ||W||_F^2 = {kappa * kappa * w2} exceeds 4 tau_min "
                          f"(kappa - delta) = "
                          f"{4 * tau_min * (kappa - delta)}")
    return LawCertificate("strict-lyapunov", f"V = E + {kappa / 2} x'^T T x' has dV/dt <= -{delta} |x'|^2: no flat "
                          "regions, V decreases strictly wherever x' != 0 (almost every t for relu)",
                          descent.steps + (
        ("kinetic-term", "along T x'' = W H x' - x': d/dt (x'^T T x'/2) = x'^T W H x' - |x'|^2, an identity of "
         "scalar normal forms with T T^-1 = I", "derived here (a Lyapunov function without flat regions)"),
        ("quadratic-bound", f"0 <= l'' <= 1, T >= {tau_min} I, ||W||_2^2 <= ||W||_F^2 = {w2}: "
         f"{kappa}^2 {w2} <= 4 {tau_min} ({kappa} - {delta}), so dV/dt <= -{delta} |x'|^2", "derived here")))


# The refutation of the input-output law lives in kernel/io_refutation.py; its names are re-exported here.
from .io_refutation import IORefutation, check_io_refutation  # noqa: E402,F401
