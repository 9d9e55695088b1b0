"""The last kernel refusal branches tests/kernel/test_refusal_coverage.py listed as "not yet driven", each driven
through the kernel's public entry points; each refusal message starts with the name of the check that refused.
Also the regression test of the law certificates' subject (a Lax certificate must not pass for another flow)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

import certify.kernel as k
from certify.kernel.intervals import INF, Interval
from certify.kernel.objects import N, Assumptions, Claim, FlowProof, Witness

W = sp.MatrixSymbol("W", N, N)
r = sp.MatrixSymbol("r", N, 1)
x, b, g, v = (sp.MatrixSymbol(name, N, 1) for name in ("x", "b", "g", "v"))
L = sp.MatrixSymbol("L", 1, 1)
gamma, c, tau = sp.symbols("gamma c tau", real=True)
POSITIVE = Interval(F(0), INF, False, False)     # (0, oo): the third argument is lo_closed
UNIT = Interval(F(-1), F(1))
ZERO = sp.ZeroMatrix(N, N)
ENERGY = (x - b).T * g - L - sp.Rational(1, 2) * g.T * W * g


def refuses(prefix: str, fn, *args, **kwargs) -> None:
    with pytest.raises(k.KernelError) as err:
        fn(*args, **kwargs)
    assert str(err.value).startswith(prefix), str(err.value)


def tanh(expr):
    return ElementwiseApplyFunction(sp.tanh, expr)


def lax_flow(t=tau):
    G = sp.DiagMatrix(r)
    return (W * G - G * W) / t


# -- the normal form (algebra.nf) ----------------------------------------------------------------------------------

@pytest.mark.parametrize("derived, prefix", [
    (sp.MatPow(W, 0), "nf: matrix power with exponent 0"),
    (sp.MatPow(W, sp.Rational(1, 2)), "nf: matrix power with exponent 1/2"),
    (sp.DiagMatrix(r.T), "nf: diag() of something that is not an n x 1 vector"),       # SymPy takes row vectors
    (sp.DiagMatrix(W), "nf: diag() of something that is not an n x 1 vector"),
    (HadamardPower(W, 0), "nf: Hadamard power with exponent 0"),
    (HadamardPower(W, sp.Rational(1, 2)), "nf: Hadamard power with exponent 1/2"),
    (ElementwiseApplyFunction(sp.Lambda(sp.Dummy("d"), sp.Dummy("d") ** 3), r) * r.T,
     "nf: unknown element-wise function"),
    (tanh(sp.ZeroMatrix(N, 1)) * r.T, "nf: an activation of the zero vector"),
    (tanh(r.T * r), "nf: an activation of a 1 x 1 matrix expression"),
    (tanh(W), "nf: activations apply to vectors only"),
])
def test_normal_form_refuses_what_it_cannot_read(derived, prefix):
    """The untrusted derivation's dC/dt (check_cost_descent), and a flow offered to check_spectrum, are read by the
    normaliser with no reality check before it: each malformed operation is refused by name."""
    refuses(prefix, k.check_cost_descent, POSITIVE, POSITIVE, derived)
    lax = k.check_lax_flow(lax_flow(), {}, "r", tau, POSITIVE)
    refuses(prefix, k.check_spectrum, derived, {}, lax)


def test_normal_form_refusals_behind_the_reality_check():
    """Exponent 0 is a non-negative integer, so require_real lets W^0 and W.^0 through; the normaliser refuses them."""
    asm = Assumptions({"gamma": POSITIVE}, {"r": UNIT}, {})
    proof = FlowProof("measure", "linf", gamma, (), ())
    refuses("nf: matrix power with exponent 0", k.check_proof, sp.MatPow(W, 0), asm,     # (a sum would make it I)
            Claim("linf", "nonincreasing"), proof)
    refuses("nf: Hadamard power with exponent 0", k.check_proof, -gamma * W + HadamardPower(W, 0), asm,
            Claim("linf", "nonincreasing"), proof)


def test_declared_scalar_with_another_shape():
    """The energy's L is the 1 x 1 Lagrangian; an n x 1 symbol of that name is refused, not read as a vector."""
    Lv = sp.MatrixSymbol("L", N, 1)
    refuses("nf: 'L' is declared a scalar but has shape", k.check_energy_descent, "relu",
            (x - b).T * g - g.T * Lv - sp.Rational(1, 2) * g.T * W * g, "scalar", ZERO, {})


# -- exact evaluation of a counterexample (evaluate.py) -----------------------------------------------------------

LINF = Claim("linf", "nonincreasing")
ZERO2 = ((F(0), F(0)), (F(0), F(0)))
ASM = Assumptions({"gamma": POSITIVE, "c": Interval(F(0), INF)}, {"r": UNIT}, {})
ASM_K = Assumptions({"gamma": POSITIVE}, {"r": UNIT}, {"K": "any"})
EYE2 = ((F(1), F(0)), (F(0), F(1)))


def witness(activity, parameters=None, matrices=None):
    return Witness(LINF, "derivative", 2, parameters or {"gamma": F(1), "c": F(1)}, ZERO2, activity, matrices or {})


def test_witness_activation_with_an_irrational_value():
    refuses("evaluate: tanh(1/2) is not rational", k.check_witness, -gamma * W + tanh(r) * tanh(r).T, ASM,
            witness({"r": (F(1, 2), F(1, 2))}))


def test_witness_coefficient_irrational_at_the_parameters():
    """sqrt(c) is real for c >= 0 (require_real lets it through), but irrational at c = 2."""
    refuses("coeff: coefficient sqrt(c) does not evaluate to a rational", k.check_witness,
            -gamma * W + sp.sqrt(c) * r * r.T, ASM, witness({"r": (F(1), F(1))}, {"gamma": F(1), "c": F(2)}))


def test_witness_without_a_value_for_an_activity():
    refuses("atom: the witness gives no value for 'r'", k.check_witness, -gamma * W + r * r.T, ASM, witness({}))


def test_witness_leaves_whose_shape_the_normal_form_does_not_know():
    """The normal form names leaves and does not shape them (docs/kernel.md, ASSUMED row): a 1 x 1 symbol is read as
    a vector, a declared matrix given the SymPy shape n x 1 as a matrix. Exact evaluation with the witness's n x 1
    activities and n x n matrices then finds the shapes inconsistent and refuses."""
    s = sp.MatrixSymbol("s", 1, 1)
    refuses("matmul: shape mismatch", k.check_witness, -gamma * W + r * s * r.T, ASM,
            witness({"r": (F(1), F(1)), "s": (F(1), F(1))}))
    K = sp.MatrixSymbol("K", N, 1)
    refuses("atom: diag() of a non-vector", k.check_witness, -gamma * W + sp.DiagMatrix(K), ASM_K,
            witness({"r": (F(1), F(1))}, {"gamma": F(1)}, {"K": EYE2}))
    refuses("atom: Hadamard product of different shapes", k.check_witness,
            -gamma * W + HadamardProduct(K, r) * r.T, ASM_K, witness({"r": (F(1), F(1))}, {"gamma": F(1)}, {"K": EYE2}))
    refuses("matmul: shape mismatch", k.check_witness, -gamma * W + K * r.T, ASM_K,
            witness({"r": (F(1), F(1))}, {"gamma": F(1)}, {"K": EYE2}))


# -- the energy identity (forms.py, laws.check_energy_descent) -----------------------------------------------------

def test_energy_that_is_not_a_scalar():
    refuses("scalar_factors: the word", k.check_energy_descent, "relu", W, "scalar", ZERO, {})


def test_energy_with_a_word_of_inconsistent_shape():
    """A 1 x 1 symbol q is read as a vector, so q q is an n x 1 times n x 1 word."""
    q = sp.MatrixSymbol("q", 1, 1)
    refuses("word_shape: shape mismatch", k.check_energy_descent, "relu", ENERGY + q * q, "scalar", ZERO, {})


def test_energy_with_an_activation_of_the_moving_state():
    """tanh(x)^T r - r^T tanh(x) = 0 (a 1 x 1 matrix is its own transpose), so E passes the scalar form; its time
    derivative would need the chain rule through tanh, which the kernel does not have."""
    refuses("atom_derivative: no chain rule for the activation tanh", k.check_energy_descent, "relu",
            ENERGY + tanh(x).T * r - r.T * tanh(x), "scalar", ZERO, {})


def test_energy_derivative_the_scalar_form_does_not_identify():
    """A - A^T = 0 for the 1 x 1 A = (x o tanh(c1 r))^T (v o tanh(c2 r)), and the scalar form sees it. c1 and c2 are
    different real symbols that print alike (c real, c positive), so after x -> v the scalar form's choice between
    a factor and its transpose, made by repr, keeps both d/dt A and d/dt A^T: dE/dt is not recognised. A true
    identity refused (the scalar form is incomplete here, never unsound): the check after the derivative fires."""
    c1, c2 = sp.Symbol("c", real=True), sp.Symbol("c", positive=True)
    A = HadamardProduct(x, tanh(c1 * r)).T * HadamardProduct(v, tanh(c2 * r))
    refuses("check_energy_descent: dE/dt differs", k.check_energy_descent, "relu", ENERGY + A - A.T, "scalar", ZERO,
            {})


# -- the spectrum law ---------------------------------------------------------------------------------------------

def test_spectrum_of_a_flow_whose_subject_keeps_a_reserved_name():
    """With the 1 x 1 symbol D_h, diag(r D_h^T) - diag(r D_h) = 0: check_lax_flow reads D_h as its (diagonal)
    balancing matrix and certifies the flow; the certificate's subject reads D_h as an undeclared vector and keeps
    both terms, so d/dt tr(W) is not the trace identity of a Lax flow and check_spectrum refuses (a true law refused,
    not a false one accepted; the entrywise laws hold for this flow, which is the Lax flow)."""
    D = sp.MatrixSymbol("D_h", 1, 1)
    dW = lax_flow() + sp.DiagMatrix(r * D.T) - sp.DiagMatrix(r * D)
    lax = k.check_lax_flow(dW, {}, "r", tau, POSITIVE)
    refuses("check_spectrum: a trace of a power of W changes", k.check_spectrum, dW, {}, lax)
    assert k.check_entrywise("diagonal", lax, dW, {}).law == "diagonal"


def test_law_certificate_of_a_flow_that_prints_alike():
    """Regression (soundness): the Lax certificate's subject was repr() of dW's normal form, and repr prints the
    real tau and a positive tau alike. W G/tau1 - G W/tau2 (tau1 real, tau2 positive: two parameters) then passed
    for the certified W G/tau1 - G W/tau1, and check_entrywise certified "every diagonal entry W_ii(t) is constant"
    for it, false: W_ii' = W_ii r_i (1/tau1 - 1/tau2). The subject is now srepr(), which keeps the assumptions."""
    lax = k.check_lax_flow(lax_flow(), {}, "r", tau, POSITIVE)
    tau2 = sp.Symbol("tau", positive=True)
    G = sp.DiagMatrix(r)
    other = W * G / tau - G * W / tau2
    for law in ("diagonal", "cycle-products", "sign-pattern"):
        refuses(f"require: the {law} law needs the lax-flow certificate", k.check_entrywise, law, lax, other, {})
    refuses("require: the spectrum law needs", k.check_spectrum, other, {}, lax)
    refuses("require: the diagonal law needs", k.check_entrywise, "diagonal", lax, lax_flow(sp.Symbol("tau")), {})
    # the certified flow itself, written again, still passes
    assert k.check_entrywise("diagonal", lax, lax_flow(), {}).law == "diagonal"
    assert k.check_spectrum(lax_flow(), {}, lax).law == "spectrum"
