"""The trusted kernel: interval arithmetic, normal forms, proof checks, witness checks, tampering."""

from __future__ import annotations

import dataclasses
from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardProduct

from certify.errors import KernelError
from certify.kernel.algebra import Normalizer, nf_equal
from certify.kernel.evaluate import Evaluator
from certify.kernel.intervals import INF, Interval, enclose
from certify.kernel.objects import N, Assumptions, Claim, FlowProof, Use, Witness
from certify.kernel.verify import check_proof, check_witness

W = sp.MatrixSymbol("W", N, N)
r = sp.MatrixSymbol("r", N, 1)
u = sp.MatrixSymbol("u", N, 1)
v = sp.MatrixSymbol("v", N, 1)
K = sp.MatrixSymbol("K", N, N)
gamma, k = sp.symbols("gamma k", real=True)
ZERO3 = ((0, 0, 0),) * 3


def asm(**params):
    ranges = {"gamma": Interval(F(0), INF, True, False), "k": Interval(F(0), F(2))}
    ranges.update(params)
    return Assumptions(ranges, {"r": Interval(F(-1), F(1)), "u": Interval(F(-1), F(1)),
                                "v": Interval(F(-1), F(1))}, {"K": "psd"})


ANTI = -gamma * W - k * r * r.T
L2_PROOF = FlowProof("measure", "l2", gamma, (), (Use.of("l2-neg-gram", c=k, A=r),))


# -- intervals -----------------------------------------------------------------------------------------

fracs = st.fractions(min_value=-10, max_value=10, max_denominator=20)


@st.composite
def intervals(draw):
    a, b = sorted((draw(fracs), draw(fracs)))
    return Interval(a, b)


@given(intervals(), intervals(), fracs, fracs)
def test_interval_operations_enclose_point_results(A, B, t1, t2):
    x = A.lo + (A.hi - A.lo) * abs(t1) / 10
    y = B.lo + (B.hi - B.lo) * abs(t2) / 10
    assert (A + B).contains(x + y)
    assert (A * B).contains(x * y)
    assert (-A).contains(-x)
    assert abs(A).contains(abs(x))
    assert A.power(2).contains(x * x)
    assert A.power(3).contains(x ** 3)


def test_interval_strictness():
    pos = Interval(F(0), INF, False, False)
    assert pos.is_positive() and not Interval(F(0), F(1)).is_positive()
    assert (pos * Interval(F(1, 4), F(1, 4))).is_positive()
    assert (pos + Interval(F(0), F(1))).is_positive()
    assert not Interval(F(-1), F(0)).is_negative() and Interval(F(-1), F(0), True, False).is_negative()
    with pytest.raises(KernelError):
        Interval(F(1), F(0))
    with pytest.raises(KernelError):
        Interval(F(0), F(1)).reciprocal()


def test_enclose_refuses_what_it_cannot_bound():
    with pytest.raises(KernelError, match="no declared range"):
        enclose(sp.Symbol("zeta", real=True), {})
    with pytest.raises(KernelError, match="cannot bound"):
        enclose(sp.tanh(k), {k: Interval(F(0), F(1))})


# -- normal forms --------------------------------------------------------------------------------------

def test_normal_form_identities():
    nz = Normalizer({"K": "psd", "S": "skew"})
    S = sp.MatrixSymbol("S", N, N)
    rbar = sp.MatrixSymbol("rbar", N, 1)
    assert nf_equal(nz.nf((r - rbar) * (r - rbar).T), nz.nf(r * r.T - r * rbar.T - rbar * r.T + rbar * rbar.T))
    assert nf_equal(nz.nf((W * r * r.T).T), nz.nf(r * r.T * W.T))
    assert nf_equal(nz.nf(K.T), nz.nf(K)) and nf_equal(nz.nf(S.T), nz.nf(-S))
    assert nf_equal(nz.nf(DiagMatrix(2 * r + u)), nz.nf(2 * DiagMatrix(r) + DiagMatrix(u)))
    assert nf_equal(nz.nf(HadamardProduct(r, u)), nz.nf(HadamardProduct(u, r)))
    assert not nf_equal(nz.nf(W * K), nz.nf(K * W))
    assert not nf_equal(nz.nf(r * u.T), nz.nf(u * r.T))


@given(st.integers(1, 4), st.integers(0, 10**6))
def test_exact_evaluation_matches_numpy(n, seed):
    rng = np.random.default_rng(seed)
    nz = Normalizer({"K": "psd"})
    expr = -gamma * W * W.T + k * HadamardProduct(K, r * u.T) - DiagMatrix(HadamardProduct(r, r)) * W + 3 * W.T
    vals = {name: [[F(int(x)) for x in row] for row in rng.integers(-3, 4, size=shape)]
            for name, shape in (("W", (n, n)), ("K", (n, n)), ("r", (n, 1)), ("u", (n, 1)))}
    g, kk = F(int(rng.integers(-3, 4))), F(int(rng.integers(-3, 4)))
    ev = Evaluator(n, vals, {gamma: g, k: kk, N: F(n)})
    got = np.array(ev.nf(nz.nf(expr), (n, n)), dtype=float)
    A = {name: np.array(m, dtype=float) for name, m in vals.items()}
    want = (-float(g) * A["W"] @ A["W"].T + float(kk) * A["K"] * (A["r"] @ A["u"].T)
            - np.diag((A["r"] * A["r"]).ravel()) @ A["W"] + 3 * A["W"].T)
    assert np.array_equal(got, want)


# -- proofs ----------------------------------------------------------------------------------------------

def test_anti_hebbian_l2_certified_and_linf_rejected():
    cert = check_proof(ANTI, asm(), Claim("l2", "nonincreasing"), L2_PROOF)
    assert cert.beta == 0 and cert.gamma == gamma
    assert [s.lemma for s in cert.steps] == ["split", "l2-neg-gram", "subadditivity", "measure-flow", "gronwall"]
    bad = FlowProof("measure", "linf", gamma, (), (Use.of("outer-bound", c=-k, u=r, v=r),))
    with pytest.raises(KernelError, match="not <= 0"):
        check_proof(ANTI, asm(), Claim("linf", "nonincreasing"), bad)


@pytest.mark.parametrize("tamper, message", [
    (dict(gamma=2 * gamma), "does not add up"),                                    # wrong decay
    (dict(terms=(Use.of("l2-neg-gram", c=2 * k, A=r),)), "does not add up"),       # wrong coefficient
    (dict(terms=(Use.of("l2-neg-gram", c=k, A=u),)), "does not add up"),           # wrong vector
    (dict(terms=(Use.of("no-such-lemma", c=k),)), "not a term lemma"),             # unknown lemma
    (dict(terms=(Use.of("l2-neg-gram", c=k, A=r),), norm="linf"), "about linf"),   # wrong norm
    (dict(terms=()), "does not add up"),                                           # term dropped
])
def test_tampered_proofs_are_rejected(tamper, message):
    with pytest.raises(KernelError, match=message):
        check_proof(ANTI, asm(), Claim("l2", "nonincreasing"), dataclasses.replace(L2_PROOF, **tamper))


def test_side_condition_sign_is_checked():
    with pytest.raises(KernelError, match="not implied by the declared ranges"):
        check_proof(ANTI, asm(k=Interval(F(-1), F(1))), Claim("l2", "nonincreasing"), L2_PROOF)


def test_bounded_needs_positive_decay():
    heb = -gamma * W + k * r * r.T
    proof = FlowProof("measure", "l2", gamma, (), (Use.of("outer-bound", c=k, u=r, v=r),))
    with pytest.raises(KernelError, match="not > 0"):
        check_proof(heb, asm(), Claim("l2", "bounded"), proof)
    cert = check_proof(heb, asm(gamma=Interval(F(0), INF, False, False)), Claim("l2", "bounded"), proof)
    assert sp.simplify(cert.beta - k * N) == 0


def test_unbounded_activity_gives_no_bound():
    heb = -gamma * W + k * r * r.T
    a = Assumptions({"gamma": Interval(F(1), F(1)), "k": Interval(F(1), F(1))}, {}, {})
    proof = FlowProof("measure", "l2", gamma, (), (Use.of("outer-bound", c=k, u=r, v=r),))
    with pytest.raises(KernelError, match="not finite"):
        check_proof(heb, a, Claim("l2", "bounded"), proof)


def test_decays_are_restricted_to_their_norms():
    oja = k * (u * r.T - DiagMatrix(HadamardProduct(u, u)) * W)
    a = Assumptions({"k": Interval(F(1), F(1))}, {"u": Interval(F(1, 2), F(1)), "r": Interval(F(-1), F(1))}, {})
    decay = Use.of("diagonal-decay", side=sp.Symbol("left"), c=k, v=HadamardProduct(u, u))
    term = Use.of("outer-bound", c=k, u=u, v=r)
    cert = check_proof(oja, a, Claim("linf", "bounded"), FlowProof("measure", "linf", 0, (decay,), (term,)))
    assert cert.positive_part and cert.gamma == k / 4
    with pytest.raises(KernelError, match="only on the norm route"):
        check_proof(oja, a, Claim("l1", "bounded"), FlowProof("measure", "l1", 0, (decay,), (term,)))
    cert = check_proof(oja, a, Claim("l2", "bounded"), FlowProof("norm", "l2", 0, (decay,), (term,)))
    assert not cert.positive_part
    with pytest.raises(KernelError, match="nonincreasing claim needs"):
        check_proof(oja, a, Claim("linf", "nonincreasing"), FlowProof("measure", "linf", 0, (decay,), (term,)))


# -- witnesses ---------------------------------------------------------------------------------------------

def witness(**kw):
    base = dict(claim=Claim("linf", "nonincreasing"), kind="derivative", n=3,
                parameters={"gamma": F(0), "k": F(1)}, W0=ZERO3, activity={"r": (1, 1, 1)},
                matrices={"K": ((1, 0, 0), (0, 1, 0), (0, 0, 1))})
    base.update(kw)
    return Witness(**base)


def test_linf_witness_for_anti_hebbian():
    ref = check_witness(ANTI, asm(), witness())
    assert ref.lower == 1 and ref.allowed == 0


@pytest.mark.parametrize("tamper, message", [
    (dict(n=2, activity={"r": (1, 1)}, W0=((0, 0), (0, 0)), matrices={"K": ((1, 0), (0, 1))}), "does not violate"),
    (dict(activity={"r": (2, 1, 1)}), "outside its declared bound"),
    (dict(parameters={"gamma": F(0), "k": F(3)}), "outside its declared range"),
    (dict(parameters={"gamma": F(0)}), "no value for parameter"),
    (dict(matrices={"K": ((1, 2, 0), (2, 1, 0), (0, 0, 1))}), "is not psd"),
    (dict(claim=Claim("l2", "nonincreasing"), vector=(1, 1, 1), value=F(0)), "does not violate"),
    (dict(kind="growth"), "only 'bounded'"),
])
def test_bad_witnesses_are_rejected(tamper, message):
    with pytest.raises(KernelError, match=message):
        check_witness(ANTI, asm(), witness(**tamper))


def test_l2_witness_needs_a_true_top_eigenvector():
    heb = k * r * r.T - gamma * W
    W0 = ((1, 0, 0), (0, 0, 0), (0, 0, 0))
    ok = witness(claim=Claim("l2", "nonincreasing"), W0=W0, vector=(1, 0, 0), value=F(1),
                 parameters={"gamma": F(0), "k": F(1)})
    assert check_witness(heb, asm(), ok).lower == 1
    with pytest.raises(KernelError, match="not an eigenvector"):
        check_witness(heb, asm(), dataclasses.replace(ok, vector=(1, 1, 0)))
    with pytest.raises(KernelError, match="not the largest"):
        check_witness(heb, asm(), dataclasses.replace(ok, vector=(0, 1, 0), value=F(0)))


def test_growth_witness_requires_w_independent_flow():
    heb = k * r * r.T - gamma * W
    w = witness(claim=Claim("linf", "bounded"), kind="growth", parameters={"gamma": F(0), "k": F(1)})
    assert check_witness(heb, asm(), w).lower == 3
    with pytest.raises(KernelError, match="depends on W"):   # gamma = 1: the decay makes W bounded
        check_witness(heb, asm(), dataclasses.replace(w, parameters={"gamma": F(1), "k": F(1)}))
    with pytest.raises(KernelError, match="depends on W"):
        check_witness(heb - W * r * r.T, asm(), w)


def test_weighted_witnesses():
    w = witness(claim=Claim("weighted-linf", "nonincreasing"), vector=(1, 1, 1))
    assert check_witness(ANTI, asm(), w).lower == 1
    with pytest.raises(KernelError):
        check_witness(ANTI, asm(), dataclasses.replace(w, vector=(1, 0, 1)))
    heb = k * r * r.T
    w2 = witness(claim=Claim("weighted-l2", "bounded"), kind="growth", vector=(1, 1, 1), value=F(3))
    assert check_witness(heb, asm(), w2).lower == 3
    with pytest.raises(KernelError, match="not an eigenvector"):
        check_witness(heb, asm(), dataclasses.replace(w2, value=F(2)))
