"""Every kernel refusal branch driven once, through the kernel's public signature (certify/kernel/__init__.py), by a
realistic malformed or false input; each refusal's message starts with the name of the check that refused.
tests/kernel/test_refusal_coverage.py shows that, together with the other tests of this folder, every branch fires."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp

import certify.kernel as k
from certify.kernel.intervals import INF, Interval
from certify.kernel.objects import N, Assumptions, Claim, FlowProof, Use, Witness
from certify.search.equilibria import preconditioner

W = sp.MatrixSymbol("W", N, N)
K = sp.MatrixSymbol("K", N, N)
S = sp.MatrixSymbol("S", N, N)
r = sp.MatrixSymbol("r", N, 1)
x = sp.MatrixSymbol("x", N, 1)
gamma, c = sp.symbols("gamma c", real=True)
POS = Interval(F(0), INF, True, False)
POSITIVE = Interval(F(0), INF, False, False)
UNIT = Interval(F(-1), F(1))
ASM = Assumptions({"gamma": POS, "c": Interval(F(0), F(2))}, {"r": UNIT, "x": UNIT}, {"K": "psd", "S": "any"})
L2 = Claim("l2", "nonincreasing")
LINF = Claim("linf", "nonincreasing")
BOUNDED = Claim("linf", "bounded")


def refuses(prefix: str, fn, *args, **kwargs) -> None:
    with pytest.raises(k.KernelError) as err:
        fn(*args, **kwargs)
    assert str(err.value).startswith(prefix), str(err.value)


def proof(norm="l2", terms=(), decays=(), route="measure", g=gamma):
    return FlowProof(route, norm, g, tuple(decays), tuple(terms))


# -- check_proof and the lemma checks --------------------------------------------------------------------

def test_check_proof_refusals():
    refuses("check_proof: gamma must be", k.check_proof, -gamma * W, ASM, L2, proof(g=W))
    refuses("check_proof: unknown route", k.check_proof, -gamma * W, ASM, L2, proof(route="sideways"))
    refuses("check_proof: malformed lemma", k.check_proof, -gamma * W, ASM, LINF,
            proof("linf", terms=[Use.of("scaled-identity", c="abc")]))
    refuses("check_proof: the proof's gamma", k.check_proof, -gamma * W + W - W.T, ASM, L2,
            proof(terms=[Use.of("l2-skew", S=W - W.T)]))
    refuses("check_proof: check_proof decides weight-flow claims only", k.check_proof, -gamma * W, ASM,
            Claim("l2", "contracting"), proof())
    refuses("check_proof: the drive bound beta", k.check_proof, -gamma * W + W * x * x.T, ASM, LINF,
            proof("linf", terms=[Use.of("outer-bound", c=sp.Integer(1), u=W * x, v=x)]))
    refuses("check_proof: the drive bound beta", k.check_proof, -gamma * W + W * x * x.T, ASM, BOUNDED,
            proof("linf", terms=[Use.of("outer-bound", c=sp.Integer(1), u=W * x, v=x)]))
    refuses("get: lemma 'l2-neg-gram' needs 'A'", k.check_proof, -gamma * W - c * r * r.T, ASM, L2,
            proof(terms=[Use.of("l2-neg-gram", c=c)]))


def test_lemma_refusals():
    refuses("vec: 'v'", k.check_proof, -gamma * W + c * sp.Identity(N), ASM, LINF,
            proof("linf", terms=[Use.of("diagonal", c=c, v=W)]))
    refuses("psd_matrix:", k.check_proof, -gamma * W - c * S, ASM, L2,
            proof(terms=[Use.of("l2-neg-congruence", c=c, v=r, K=S)]))
    refuses("factor: lemma 'l2-neg-gram'", k.check_proof, -gamma * W, ASM, L2,
            proof(terms=[Use.of("l2-neg-gram", c=c, A=r.T)]))
    refuses("scalar: lemma 'scaled-identity'", k.check_proof, -gamma * W, ASM, LINF,
            proof("linf", terms=[Use.of("scaled-identity", c=W)]))
    refuses("check_term: lemma 'l2-skew' does not hold", k.check_proof, -gamma * W + S - S.T, ASM, LINF,
            proof("linf", terms=[Use.of("l2-skew", S=S - S.T)]))
    refuses("check_term: lemma 'l2-skew': 'S' must be", k.check_proof, -gamma * W, ASM, L2,
            proof(terms=[Use.of("l2-skew", S=r)]))
    refuses("check_term: 'S' is not skew", k.check_proof, -gamma * W + S, ASM, L2,
            proof(terms=[Use.of("l2-skew", S=S)]))
    refuses("check_decay: 'scaled-identity' is not a decay", k.check_proof, -gamma * W, ASM, LINF,
            proof("linf", decays=[Use.of("scaled-identity", c=c)]))
    refuses("check_decay: lemma 'gram-decay' does not hold", k.check_proof, -gamma * W - c * r * r.T * W, ASM,
            BOUNDED, proof("linf", decays=[Use.of("gram-decay", c=c, A=r, side=sp.Symbol("left"))]))
    refuses("check_decay: decay side", k.check_proof, -gamma * W - c * sp.DiagMatrix(r) * W, ASM, BOUNDED,
            proof("linf", decays=[Use.of("diagonal-decay", c=c, v=r, side=sp.Symbol("up"))]))
    refuses("check_decay: diagonal decay needs v >= 0", k.check_proof, -gamma * W - c * sp.DiagMatrix(r) * W, ASM,
            BOUNDED, proof("linf", decays=[Use.of("diagonal-decay", c=c, v=r, side=sp.Symbol("left"))]))


def test_normal_form_and_interval_refusals():
    Q = sp.MatrixSymbol("Q", N, N)
    refuses("nf: undeclared matrix symbol 'Q'", k.check_proof, -gamma * W + Q, ASM, LINF, proof("linf"))
    refuses("Normalizer: W is the weight matrix", k.check_proof, -gamma * W, Assumptions(ASM.parameters, ASM.activity,
                                                                            {"W": "symmetric"}), LINF, proof("linf"))
    refuses("check_endpoint: interval endpoint 0.5 is a finite float", Interval, 0.5, F(1))
    refuses("check_endpoint: interval endpoint '1' is neither", Interval, "1", F(2))


# -- check_witness --------------------------------------------------------------------------------------

def witness(claim=LINF, kind="derivative", n=1, W0=((0,),), params=None, activity=None, matrices=None, **kw):
    params = {"gamma": F(1), "c": F(1)} if params is None else params
    matrices = {"K": ((1,),), "S": ((0,),)} if matrices is None else matrices
    return Witness(claim, kind, n, params, W0, activity or {}, matrices, **kw)


def test_check_witness_refusals():
    dW = -gamma * W + c * r * r.T
    refuses("admissible: witness n", k.check_witness, dW, ASM, witness(n=0))
    refuses("admissible: witness activity 'K'", k.check_witness, dW, ASM, witness(activity={"K": (0,)}))
    refuses("admissible: witness gives no value for matrix", k.check_witness, dW, ASM, witness(matrices={}))
    refuses("admissible: unknown matrix property", k.check_witness, dW,
            Assumptions(ASM.parameters, ASM.activity, {"K": "orthogonal"}), witness(matrices={"K": ((1,),)}))
    refuses("frac_matrix: witness 'W0'", k.check_witness, dW, ASM, witness(W0=((0, 0),)))
    refuses("check_witness: unknown witness kind", k.check_witness, dW, ASM, witness(kind="hunch",
                                                                                      activity={"r": (1,)}))
    refuses("check_witness: a derivative witness", k.check_witness, dW, ASM,
            witness(claim=BOUNDED, activity={"r": (1,)}))
    refuses("check_witness: a weighted-norm witness", k.check_witness, dW, ASM,
            witness(claim=Claim("weighted-linf", "nonincreasing"), W0=((1,),), activity={"r": (1,)}))
    refuses("eigenpair: a weighted-l2 witness for W'(0) needs", k.check_witness, dW, ASM,
            witness(claim=Claim("weighted-l2", "nonincreasing"), activity={"r": (1,)}))
    refuses("eigenpair: the witness vector", k.check_witness, dW, ASM,
            witness(claim=L2, activity={"r": (1,)}, vector=(0,), value=F(0)))
    refuses("rayleigh:", k.check_witness, c * r * r.T, ASM,
            witness(claim=Claim("l2", "bounded"), kind="growth", params={"gamma": F(0), "c": F(1)},
                    activity={"r": (1,)}, vector=(0,), value=F(0)))


# -- require_real and enclose ----------------------------------------------------------------------------

def test_reality_and_interval_refusals():
    a, b = sp.Symbol("a", real=True), sp.Symbol("b")
    env = {a: Interval(F(-1), F(1))}
    refuses("require_real: cannot decide the sign", k.require_real, sp.sqrt(a), None, "x")
    refuses("require_real: the symbol b", k.require_real, b, env, "x")
    refuses("require_real: the symbol c", k.require_real, c, env, "x")
    refuses("require_real: x is not an expression", k.require_real, 1.5, env, "x")
    refuses("require_real: the exponent", k.require_real, sp.Pow(sp.Integer(2), sp.pi), env, "x")
    refuses("require_real: the matrix power", k.require_real, sp.MatPow(W, sp.Rational(1, 2)), env, "x")
    refuses("require_real: the element-wise power", k.require_real, sp.HadamardPower(W, sp.Rational(1, 2)), env, "x")
    refuses("require_real: cannot bound", k.require_real, sp.sqrt(sp.sin(a) + 2), env, "x")


# -- network rates and the LMI ---------------------------------------------------------------------------

def test_rate_refusals():
    Wn = [[0, F(1, 2)], [F(1, 4), 0]]
    refuses("weighted_rate: W must be", k.weighted_rate, [], 1, "H", "l1", [])
    refuses("weighted_rate: the slope bound", k.weighted_rate, Wn, -1, "H", "l1", [1, 1])
    refuses("weighted_rate: no non-Euclidean", k.weighted_rate, Wn, 1, "H", "l2", [1, 1])
    big = np.zeros((301, 301))
    refuses("weighted_rate: no non-Euclidean", k.weighted_rate, big, 1, "X", "l1", np.ones(301))
    refuses("weighted_rate_float: W must be", k.weighted_rate, big, 1, "H", "l1", np.ones(300))
    refuses("weighted_rate_float: weights must be", k.weighted_rate, big, 1, "H", "l1", -np.ones(301))
    refuses("slope: the slope bound", k.weighted_rate, big, -1, "H", "l1", np.ones(301))
    refuses("linear_rate: W must be", k.linear_rate, big, "l1", np.ones(300))


def test_lmi_refusals():
    Wn = [[0, F(1, 2)], [F(1, 4), 0]]
    I2 = [[1, 0], [0, 1]]
    refuses("check_lmi: unknown network form", k.check_lmi, Wn, 1, "X", I2, [0, 0], 0)
    refuses("check_lmi: W must be", k.check_lmi, [], 1, "H", I2, [0, 0], 0)
    refuses("check_lmi: P must be", k.check_lmi, Wn, 1, "H", [[1]], [0, 0], 0)
    refuses("check_lmi: the multiplier", k.check_lmi, Wn, 1, "H", I2, [-1, 0], 0)
    refuses("check_lmi: P is not positive definite", k.check_lmi, Wn, 1, "H", [[-1, 0], [0, 1]], [0, 0], 0)
    refuses("check_lmi: the LMI does not hold", k.check_lmi, Wn, 1, "H", I2, [0, 0], F(1, 2))
    refuses("check_lmi: the rate c = 5 must be < 1", k.check_lmi, Wn, 1, "H", I2, [0, 0], 5)   # exact path too
    n = 41
    Wf, If = np.zeros((n, n)), np.eye(n)
    # a negative definite P fails the LMI itself (its block s~ P of -M is a principal submatrix)
    refuses("check_lmi: the LMI could not be verified", k.check_lmi, Wf, 1, "H", -If, np.ones(n), F(1, 2))
    refuses("check_lmi: the rate c = 1 must be < 1", k.check_lmi, Wf, 1, "H", If, np.ones(n), F(1))
    refuses("check_lmi: the rate c = ", k.check_lmi, Wf, 1, "H", If, np.ones(n), 1 - F(1, 2**1100))   # 2(1-c) -> 0
    with np.errstate(over="ignore", invalid="ignore"):
        refuses("check_lmi: overflow", k.check_lmi, np.full((n, n), 1e300), 1, "H", If * 1e300,
                np.ones(n) * 1e300, F(1, 2))
    refuses("binary64_exactly: W has entries", k.check_lmi, [[F(1, 5)] * n] * n, 1, "H", If, np.ones(n), F(1, 2))


# -- equilibria and stability -------------------------------------------------------------------------

WB = [[0, 1.2], [1.2, 0]]
ZERO = [0, 0]


def test_equilibrium_refusals():
    refuses("preconditioner: a Krawczyk box needs", k.verify_equilibrium_box, WB, ZERO, "H", "tanh", [1, 1], 0.1)
    refuses("preconditioner: Y must be", k.verify_equilibrium_box, WB, ZERO, "H", "tanh", [1, 1], 0.1,
            preconditioner=[[1]])
    refuses("affine_piece: f is affine on the box with a singular", k.verify_equilibrium_box, [[1]], [0], "H",
            "relu", [1], F(1, 2))
    refuses("box: the center has", k.verify_equilibrium_box, WB, ZERO, "H", "tanh", [1], 0.1)
    refuses("box: the radius", k.verify_equilibrium_box, WB, ZERO, "H", "tanh", ZERO, -0.1)
    refuses("krawczyk: the enclosures", k.verify_equilibrium_box, [[1e300, 0], [0, 1e300]], [1e300, 1e300], "H",
            "softplus", [1e300, 1e300], 1e299, preconditioner=np.eye(2))
    # a singular Routh array: J(0) = [[0, -1], [1, 0]] + ... has eigenvalues +-i (the kernel cannot decide)
    refuses("routh_first_column:", k.verify_unstable_equilibrium, [[1, -1], [1, 1]], ZERO, "H", "linear", ZERO, 0)
    # J = diag(0, -1): characteristic polynomial s^2 + s, a zero at the end of the Routh column (eigenvalue 0)
    refuses("verify_unstable_equilibrium: the Routh array's first column", k.verify_unstable_equilibrium,
            [[1, 0], [0, 0]], ZERO, "H", "linear", ZERO, 0)


def test_stability_refusals():
    box = ([0, 0], 0)
    Wl = [[0, 0], [0, 0]]
    refuses("lyapunov: the Lyapunov matrix P must hold", k.verify_stable_equilibrium, Wl, ZERO, "H", "linear", box,
            np.eye(2, dtype=complex))
    refuses("lyapunov: the Lyapunov matrix P is not a numeric", k.verify_stable_equilibrium, Wl, ZERO, "H",
            "linear", box, [["a", "b"], ["c", "d"]])
    refuses("lyapunov: the Lyapunov matrix P must be", k.verify_stable_equilibrium, Wl, ZERO, "H", "linear", box,
            np.eye(3))
    refuses("lyapunov: the Lyapunov matrix P has NaN", k.verify_stable_equilibrium, Wl, ZERO, "H", "linear", box,
            np.full((2, 2), np.nan))
    refuses("lyapunov: the Lyapunov matrix P is not exactly", k.verify_stable_equilibrium, Wl, ZERO, "H", "linear",
            box, [[1, 0.5], [0, 1]])
    refuses("lyapunov: P is not verified", k.verify_stable_equilibrium, Wl, ZERO, "H", "linear", box, -np.eye(2))
    refuses("box_arguments:", k.verify_stable_equilibrium, Wl, ZERO, "H", "linear", "box", np.eye(2))
    refuses("verify_measure_below: P has entries", k.verify_measure_below, Wl, [[F(1, 3), 0], [0, 1]], 1)
    refuses("verify_stable_equilibrium: numbers too large", k.verify_stable_equilibrium,
            [[-1e308, 0], [0, -1e308]], ZERO, "H", "linear", box, [[1e308, 0], [0, 1e308]])


# -- is_pd_verified ------------------------------------------------------------------------------------

def test_verified_refusals():
    refuses("is_pd_verified: radius matrix is not symmetric", k.is_pd_verified, np.eye(2), np.array([[0, 1.0],
                                                                                                     [0, 0]]))
    refuses("norm2_upper:", k.is_pd_verified, np.eye(2), -np.ones((2, 2)))


# -- conservation laws and energies ---------------------------------------------------------------------

def test_law_refusals():
    g = sp.MatrixSymbol("g", N, 1)
    tau = sp.Symbol("tau", real=True)
    lax = (W * sp.DiagMatrix(g) - sp.DiagMatrix(g) * W) / tau
    refuses("check_lax_flow: the time constant must be", k.check_lax_flow, lax, {}, "g", 2, POSITIVE)
    refuses("check_lax_flow: the names", k.check_lax_flow, lax, {"D_h": "diagonal"}, "g", tau, POSITIVE)
    refuses("check_lax_flow: dW/dt is not", k.check_lax_flow, -W, {}, "g", tau, POSITIVE)
    refuses("declared_positive: the time constant tau must be declared > 0", k.check_lax_flow, lax, {}, "g", tau, POS)
    cert = k.check_lax_flow(lax, {}, "g", tau, POSITIVE)
    refuses("check_entrywise: unknown entrywise law", k.check_entrywise, "eigenvectors", cert, lax, {})
    refuses("check_cost_descent: the derived", k.check_cost_descent, Interval.point(F(1)), POSITIVE,
            -(g.T * g) * 2)
    refuses("check_io_map: tanh is not positively homogeneous", k.check_io_map, "tanh")
    Z = sp.ZeroMatrix(N, N)
    refuses("check_energy_descent: unknown Lagrangian", k.check_energy_descent, "cosh4", sp.Integer(0), "scalar", Z,
            {})
    refuses("check_energy_descent: time constants", k.check_energy_descent, "relu", sp.Integer(0), "matrix", Z, {})
    refuses("check_energy_descent: the energy identity is for fixed", k.check_energy_descent, "relu",
            sp.Integer(0), "scalar", -W, {})
    refuses("nf: the kernel does not know the matrix operation", k.check_energy_descent, "relu", sp.Integer(0),
            "scalar", Z, {})
    g = sp.MatrixSymbol("g", N, 1)
    refuses("check_energy_descent: E =", k.check_energy_descent, "relu", x.T * g, "scalar", Z, {})


def test_io_refutation_refusals():
    J = [[0, F(1, 2)], [F(1, 32), 0]]
    u, cc, d = [1, 1], [1, 0], [2, F(1, 2)]
    args = dict(centers=([1, 1], [1, 1]), radius=F(1, 10))
    refuses("check_io_refutation: no verified equilibria for relu", k.check_io_refutation, "relu", 2, J, u, cc, d,
            **args)
    refuses("check_io_refutation: J must be", k.check_io_refutation, "tanh", 2, J, [1], cc, d, **args)
    refuses("check_io_refutation: the balancing scales", k.check_io_refutation, "tanh", 2, J, u, cc, [-2, F(-1, 2)],
            **args)
    refuses("check_io_refutation: the flow conserves", k.check_io_refutation, "tanh", 2, J, u, cc, [1, F(1, 2)],
            **args)
    refuses("check_io_refutation: D^-1 J D", k.check_io_refutation, "tanh", 2, J, u, cc, [4, F(1, 4)], **args)
    refuses("check_io_refutation: D^-1 J D", k.check_io_refutation, "tanh", 2, [[0, 1], [0, 0]], u, cc, [1, 1],
            **args)
    refuses("check_io_refutation: a network of the witness", k.check_io_refutation, "tanh", 2,
            [[0, 4], [F(1, 4), 0]], u, cc, [2, F(1, 2)], **args)


def test_plastic_refusals():
    W0 = [[F(1, 2), 0], [0, 0]]
    refuses("check_plastic: unknown network form", k.check_plastic, -gamma * W, ASM, LINF, proof("linf"), W0, "X",
            1, False)
    # an l2 measure bound does not control the Jacobian of a nonlinear network
    refuses("check_plastic: a measure bound in l2 does not control", k.check_plastic, -gamma * W, ASM, L2, proof(),
            W0, "H", 1, False)
