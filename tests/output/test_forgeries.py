"""Semantically forged certificates must not verify (the generator is tests/forgeries.py).

Each Hypothesis test draws forgeries of one kind of evidence from the catalogue (real certificates of proofs/
with one edit, re-sealed) and, for the draws that also vary the edit, a random scale factor. A forgery
whose claim is false, or whose edited evidence no longer proves it (decided independently of the kernel,
see forgeries.py), must be rejected with a reason that names the edited quantity; a forgery whose claim
is still true may be accepted. The `ci` profile (default) draws 40 per test (about 200 in all); the
`thorough` profile (HYPOTHESIS_PROFILE=thorough) 2,000 per test.

The test_forged_* tests are the known holes of the soundness issue: each builds its own rule (and W0 .npy)
in a temporary directory and must be rejected.
"""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from tests import forgeries as F


def _check(f: F.Forgery) -> None:
    out = f.run()
    if f.expect != "reject":
        return           # claim still true (or for the lead to judge): acceptance is allowed
    assert out.rejected, (f"ACCEPTED a forged certificate whose claim is false / whose evidence is invalid: "
                          f"{f.name} ({f.why}); reproduce: {f.repro()}")
    if out.status == "crash":
        return           # not accepted; crashes have their own tests (test_forged_*_crash)
    assert F.mentions(out.reason, f.keywords, f.field), (f"{f.name}: rejected, but the reason names none of "
                                                         f"{f.keywords}: {out.reason[:500]}")


def _family(name: str):
    return st.sampled_from(F.catalogue(name))


@given(_family("flow"))
def test_flow_proof_forgeries(f):
    """Lemma instantiations (c, A, u, v, K, S, side), lemma names, gamma, norm, route, dropped uses, the stated
    rate / drive bound, dropped side conditions, conditional ranges, certified -> refuted."""
    _check(f)


@given(_family("witness"))
def test_counterexample_forgeries(f):
    """Counterexample witnesses (parameters, W0, activity, vector), growth / allowance, refuted -> certified."""
    _check(f)


@given(_family("network"))
def test_network_certificate_forgeries(f):
    """Weighted weights eta and rate, LMI metric P, multiplier lambda and rate c, plastic m(0), rates and T,
    equilibrium boxes and eigenvalue evidence, refuted -> certified."""
    _check(f)


@given(st.sampled_from(F.catalogue("laws") + F.catalogue("w0")))
def test_law_and_data_forgeries(f):
    """Balancing I/O witnesses, law statements (energy / balancing constants), law and overall verdicts, and
    W0 changed (inline or .npy, hash and SHA-256 recomputed) so that the claim becomes false."""
    _check(f)


# rates pushed past what the evidence proves, by a random amount (an infinite family)

RATE_TARGETS = [(stem, ci, c["contraction"]["kind"]) for stem in F.stems()
                for ci, c in enumerate(F.load(stem)["claims"])
                if c.get("contraction", {}).get("kind") in ("weighted", "lmi")]


@given(st.sampled_from(RATE_TARGETS),
       st.one_of(st.fractions(min_value=Fraction(1, 10**15), max_value=Fraction(10**6)),
                 st.sampled_from([Fraction(1, 10**12), Fraction(1, 10**9), Fraction(10**300), F.SUB])))
def test_rate_pushed_past_the_evidence(target, excess):
    """A stored rate c replaced by c + excess (excess > 0): false for the weighted norm (the kernel's rate of
    the weights is exact), false for the LMI when -M(c + excess) is not positive definite (checked in numpy)."""
    stem, ci, kind = target
    doc0 = F.load(stem)
    new = str(Fraction(doc0["claims"][ci]["contraction"]["rate"]) + excess)
    f = F._net_forgery(stem, ci, ("claims", ci, "contraction", "rate"), f"plus-{excess}", new, ("rate",),
                       "rate pushed past the evidence", "reject" if kind == "weighted" else F._truth_lmi(ci),
                       complete=(kind == "lmi"))
    _check(f)


@given(st.sampled_from(["small-gain-network", "feedback-weak", "hebbian-sequence-weak"]),
       st.sampled_from([F.SUB, Fraction(1, 10**300), Fraction(10**300), Fraction(2), Fraction(1, 2)]))
def test_lmi_metric_scaled_together(stem, factor):
    """P and lambda scaled by one positive factor: -M(c) scales as a whole, so the claim stays true. Must not
    crash; when the kernel rejects, it must say why in terms of the metric."""
    ci = next(i for i, c in enumerate(F.load(stem)["claims"]) if c.get("contraction", {}).get("kind") == "lmi")
    f = F.Forgery(name=f"{stem}:P+lam:x{factor}", source=stem, field="P+lam", mutation=f"x{factor}",
                  expect="accept", keywords=("P", "lam"), why="scaled together",
                  make=F._scale_lmi(stem, ci, lambda x: x * factor))
    out = f.run()
    if out.rejected and out.status != "crash":
        assert F.mentions(out.reason, ("P", "lam", "metric", "lmi")), out.reason


# -- the known holes (they fail until the kernel fixes land) ---------------------------------------------------

def test_forged_l2_neg_gram_sqrt_of_negative_parameter():
    """(a) dW = -g r r^T, g in [-1, 0), 'proved' l2 nonincreasing by l2-neg-gram with c = 1, A = sqrt(g) r:
    A A^T = g r r^T matches, but A is imaginary; the claim is false (W(t) = t |g| r r^T from W0 = 0)."""
    assert F.hole_a_truth("sqrt")          # independent: the claim is false
    doc, base = F.hole_a("sqrt")
    out = F.verify(doc, base)
    assert out.rejected, "ACCEPTED: l2-neg-gram with A = sqrt(g)*r, g in [-1, 0)"
    assert F.mentions(out.reason, ("sqrt(g)", "real", "A")), out.reason


def test_forged_l2_neg_gram_imaginary_unit():
    """(a) dW = r r^T 'proved' l2 nonincreasing by l2-neg-gram with A = I r, I = SymPy's imaginary unit
    (A A^T = -r r^T). A certificate cannot carry SymPy's I (the rule grammar reads 'I' as the identity matrix
    and refuses sqrt(-1)), so this is checked both ways: the certificate forms must be rejected, and the
    kernel itself must refuse the instantiation."""
    from certify.errors import KernelError
    from certify.kernel.objects import Claim, FlowProof, Use
    from certify.kernel.verify import check_proof
    assert F.hole_a_truth("imag")
    for which in ("imag", "imag-sqrt"):
        doc, base = F.hole_a(which)
        out = F.verify(doc, base)
        assert out.rejected, f"ACCEPTED: l2-neg-gram with A = {doc['claims'][0]['proof']['terms'][0]['with']['A']}"
        assert F.mentions(out.reason, ("proof", "A", "real")), out.reason
    doc, base = F.hole_a("imag")
    rule = F._rule_of(doc, base)
    r = next(a for a in rule.dW.atoms(sp.MatrixSymbol) if a.name == "r")
    proof = FlowProof("measure", "l2", sp.Integer(0), (),
                      (Use("l2-neg-gram", (("A", sp.I * r), ("c", sp.Integer(1)))),))
    with pytest.raises(KernelError, match=r"(?i)imaginary|real|\bA\b"):
        check_proof(rule.dW, rule.assumptions(), Claim("l2", "nonincreasing"), proof)


def test_forged_lmi_subnormal_metric_n41():
    """(b) 41 x 41 all-1/4 tanh network (form H; `certify prove` refutes it: eigenvalue 41/4 - 1 > 0 at x = 0)
    'certified' by P = 2^-1074 I, lambda = 2^-1074 through the verified floating-point Cholesky path (n > 40)."""
    doc, base = F.hole_b(41)
    assert F.network_claim_false(doc, base)          # independent: rate 1/2 > -(41/4 - 1)
    out = F.verify(doc, base)
    assert out.rejected, "ACCEPTED: LMI certificate with P = 2^-1074 I, lambda = 2^-1074 for n = 41"
    assert F.mentions(out.reason, ("P", "lam", "LMI", "metric")), out.reason


@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_forged_weighted_subnormal_weights_n301(norm):
    """(c) 301 neurons, W0 = 1/4 on the block of neurons 1..300 (eigenvalue 75: not contracting), 'certified' in
    weighted-l1 / linf with eta = (1, 2^-1074, ..., 2^-1074): every product 1/4 * 2^-1074 rounds to 0 in the
    binary64 bound of the weighted measure (n > 300)."""
    doc, base = F.hole_c(301, norm)
    assert F.network_claim_false(doc, base)          # independent: rate 3/4 > 1 - 75
    out = F.verify(doc, base)
    assert out.rejected, f"ACCEPTED: weighted-{norm} weights eta = (1, 2^-1074, ...) for n = 301"
    assert F.mentions(out.reason, ("eta", "weights")), out.reason


# -- verify must give a reason, never a traceback (found by this corpus) ---------------------------------------

@pytest.mark.parametrize("name", [
    "anti-hebbian-network:claims[0].proof.gamma:imag-I",             # gamma = I*(1): a matrix where a scalar goes
    "anti-hebbian-network:claims[0].proof.terms[0].with.A:zero",      # l2-neg-gram A = 0: a scalar where a vector goes
    "anti-hebbian-network:claims[0].proof.terms[0].with.A:subnormal-literal",   # A = 5e-324
    "feedback-weak:claims[0].contraction.rate:huge",                  # LMI rate 1e308 (n = 64, float path)
])
def test_forged_evidence_crashes_verify(name):
    f = F.by_name()[name]
    out = f.run()
    assert out.status != "crash", f"verify crashed instead of giving a reason: {name}: {out.reason}"
    assert out.rejected and F.mentions(out.reason, f.keywords, f.field), out.reason


def test_catalogue_is_large_enough():
    """The thorough profile must be able to draw at least 1,000 distinct forgeries."""
    assert len(F.catalogue()) >= 1000
    assert {f.expect for f in F.catalogue()} >= {"reject", "judge"}
