"""Verdicts only the kernel can make (kernel/evidence.py): evidence types refuse construction outside the kernel,
claim and law results refuse CERTIFIED/REFUTED without kernel evidence, and network evidence is tied to its
network by a fingerprint."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from certify.check import ClaimResult, _about
from certify.errors import InputError, KernelError
from certify.kernel import contraction as kc
from certify.kernel.evidence import NetworkRate, PlasticRate, network_fingerprint
from certify.kernel.objects import Claim
from certify.lang.network import Network
from certify.search.contraction import Attempt, FixedResult
from certify.search.laws import LawResult
from certify.verdict import Verdict

W = [[Fraction(1, 4), 0], [0, Fraction(-1, 2)]]
CLAIM = Claim("l1", "contracting")


def test_evidence_cannot_be_built_outside_the_kernel():
    with pytest.raises(KernelError, match="only_kernel"):
        NetworkRate("sha256:x", "weighted-l1", Fraction(1, 2), "weights")
    with pytest.raises(KernelError, match="only_kernel"):
        PlasticRate("sha256:x", Fraction(1), Fraction(0), Fraction(1), Fraction(0), None)
    real = kc.prove_weighted_rate(W, 1, "H", "l1", [1, 1])
    with pytest.raises(KernelError, match="only_kernel"):
        dataclasses.replace(real, rate=Fraction(99))


def test_a_certified_claim_needs_kernel_evidence():
    with pytest.raises(ValueError, match="without kernel evidence"):
        ClaimResult(CLAIM, Verdict.CERTIFIED)
    fake = Attempt("weighted-l1", Fraction(3, 4), "made up")            # a rate with no evidence behind it
    with pytest.raises(ValueError, match="without kernel evidence"):
        ClaimResult(CLAIM, Verdict.CERTIFIED, network=FixedResult(fake, (fake,)))
    proved = kc.prove_weighted_rate(W, 1, "H", "l1", [1, 1])
    inflated = Attempt("weighted-l1", proved.rate + 1, "inflated", evidence=proved)
    with pytest.raises(ValueError, match="without kernel evidence"):
        ClaimResult(CLAIM, Verdict.CERTIFIED, network=FixedResult(inflated, (inflated,)))
    honest = Attempt("weighted-l1", proved.rate, "honest", evidence=proved)
    assert ClaimResult(CLAIM, Verdict.CERTIFIED, network=FixedResult(honest, (honest,))).verdict is Verdict.CERTIFIED
    with pytest.raises(ValueError, match="without kernel evidence"):
        ClaimResult(CLAIM, Verdict.REFUTED)


def test_a_law_verdict_needs_kernel_evidence():
    with pytest.raises(ValueError, match="without kernel evidence"):
        LawResult("balancing", "io-map", Verdict.CERTIFIED, "made up")
    with pytest.raises(ValueError, match="without kernel evidence"):
        LawResult("balancing", "io-map", Verdict.REFUTED, "made up")
    assert LawResult("balancing", "io-map", Verdict.INCONCLUSIVE, "").verdict is Verdict.INCONCLUSIVE


def test_network_evidence_is_tied_to_its_network():
    net = Network("H", Fraction(1), "tanh", tuple(tuple(r) for r in W))
    other = Network("H", Fraction(1), "tanh", ((Fraction(1, 4), 0), (0, Fraction(-1, 4))))
    proved = kc.prove_weighted_rate(W, 1, "H", "l1", [1, 1])
    assert _about(net, proved) and not _about(other, proved)
    assert not _about(Network("FR", Fraction(1), "tanh", net.W0), proved)      # another form
    assert not _about(Network("H", Fraction(2), None, net.W0), proved)         # another slope bound


def test_fingerprints_agree_between_exact_and_binary64_data():
    A = np.array([[0.25, 0.0], [0.0, -0.5]])
    assert network_fingerprint(A, 1, "H", False) == network_fingerprint(W, 1, "H", False)
    assert network_fingerprint([[Fraction(1, 3)]], 1, "H", False) != network_fingerprint([[1 / 3]], 1, "H", False)


def test_integer_and_object_arrays_are_fingerprinted_exactly():
    # found by a fresh-eyes attack: an int64 matrix above 2^53 was proved exactly but fingerprinted by its binary64
    # rounding, so its evidence matched the rounded (unstable) network
    big = 2 ** 62 + 1
    exact_ints = np.array([[big, 0], [0, -1]], dtype=np.int64)
    rounded = [[Fraction(float(big)), 0], [0, -1]]
    assert network_fingerprint(exact_ints, 1, "H", False) != network_fingerprint(rounded, 1, "H", False)
    assert network_fingerprint(exact_ints, 1, "H", False) == network_fingerprint([[big, 0], [0, -1]], 1, "H", False)
    third = np.array([[Fraction(1, 3)]], dtype=object)
    assert network_fingerprint(third, 1, "H", False) != network_fingerprint([[1 / 3]], 1, "H", False)
    small = np.array([[1, 2], [3, 4]], dtype=np.int64)                 # exact in binary64: same as the floats
    assert network_fingerprint(small, 1, "H", False) == network_fingerprint(small.astype(float), 1, "H", False)


# -- every input read once: an object that answers differently at each read cannot split a rate from its subject --

class TwoFaced(list):
    """Iterated: the rows given; read through tolist(): the zero matrix (an in-process attacker's object)."""

    def tolist(self):
        return [[0] * len(self) for _ in self]


class Flipping(list):
    """tolist() answers the rows the first time and their negation afterwards."""

    reads = 0

    def tolist(self):
        Flipping.reads += 1
        rows = [list(r) for r in self]
        return rows if Flipping.reads == 1 else [[-x for x in r] for r in rows]


def test_lmi_rate_and_its_fingerprint_come_from_one_read_of_W():
    # found by a fresh-eyes attack: W = 10 I iterated, 0 through tolist(); the rate 2/5 holds for 0, not for 10 I
    W = TwoFaced([[10, 0], [0, 10]])
    try:
        r = kc.prove_lmi_rate(W, 1, "H", [[1, 0], [0, 1]], [1, 1], "2/5")
    except KernelError:
        return
    assert r.subject == network_fingerprint([[0, 0], [0, 0]], 1, "H", False)   # about the matrix that was checked
    with pytest.raises(KernelError):
        kc.check_lmi([[10, 0], [0, 10]], 1, "H", [[1, 0], [0, 1]], [1, 1], "2/5")


def test_a_rate_above_one_is_refused_whatever_the_metric_answers():
    # P answers I first and -I afterwards: the old exact path proved P > 0 on one read and the LMI (at c = 3, where
    # -2(1 - c)P = 4P needs P < 0) on the other. Now P is read once and c < 1 is checked on both paths.
    Flipping.reads = 0
    with pytest.raises(KernelError):
        kc.prove_lmi_rate([[0, 0], [0, 0]], 1, "H", Flipping([[1, 0], [0, 1]]), [1, 1], 3)


@pytest.mark.parametrize("prove", ["weighted", "linear"])
def test_weighted_and_linear_rates_come_from_one_read_of_W(prove):
    W = TwoFaced([[3, 0], [0, 3]])
    r = (kc.prove_weighted_rate(W, 1, "H", "l1", [1, 1]) if prove == "weighted"
         else kc.prove_linear_rate(W, "l1", [1, 1]))
    zero = network_fingerprint([[0, 0], [0, 0]], 1, "H", prove == "linear")
    assert (r.subject == zero) == (r.rate == 1)   # rate 1 is W = 0's; 10 I's would be -2, and never with 0's subject


def test_a_numpy_subclass_is_read_as_its_data():
    class Lying(np.ndarray):
        def tolist(self):
            return np.zeros(self.shape).tolist()
    W = (3.0 * np.eye(2)).view(Lying)
    r = kc.prove_weighted_rate(W, 1, "H", "l1", np.ones(2))
    assert r.rate == -2 and r.subject == network_fingerprint(3.0 * np.eye(2), 1, "H", False)


# -- object arrays: their entries run code when read, so they are converted once, before any check (found by a
# second fresh-eyes attack: a plain object array passed through read_once untouched) ------------------------------

class Liar(Fraction):
    """A Fraction whose numerator is 0 at its first read and 10 afterwards."""

    reads = 0

    @property
    def numerator(self):
        Liar.reads += 1
        return 0 if Liar.reads == 1 else 10


def test_an_object_array_with_a_lying_entry_is_read_once():
    Liar.reads = 0
    W = np.empty((1, 1), dtype=object)
    W[0, 0] = Liar(0)
    ev = kc.prove_weighted_rate(W, 1, "H", "l1", [1])
    assert ev.subject == network_fingerprint([[0]], 1, "H", False) and ev.rate == 1   # all about the W read
    assert ev.subject != network_fingerprint(np.array([[10.0]]), 1, "H", False)


def test_an_entry_of_another_input_cannot_rewrite_W_between_its_reads():
    W = np.array([[0.0]])

    class Eta(Fraction):
        @property
        def numerator(self):
            W[0, 0] = 10.0          # runs while eta is read: before the rate and the fingerprint read W
            return 1

    eta = np.empty(1, dtype=object)
    eta[0] = Eta(1)
    ev = kc.prove_weighted_rate(W, 1, "H", "l1", eta)
    assert ev.subject == network_fingerprint(np.array([[10.0]]), 1, "H", False) and ev.rate == -9   # W = 10: -1 + 10


def test_a_metric_entry_cannot_rewrite_W_after_the_lmi_read_it():
    W = np.array([[0.0]])

    class Pent(Fraction):
        reads = 0

        @property
        def numerator(self):
            Pent.reads += 1
            if Pent.reads >= 2:     # a second read of P used to come after the exact LMI had read W
                W[0, 0] = 10.0
            return 1

    P = np.empty((1, 1), dtype=object)
    P[0, 0] = Pent(1)
    try:
        ev = kc.prove_lmi_rate(W, 1, "H", P, [1], Fraction(1, 2))
    except KernelError:
        return
    # accepted only for the matrix it checked: W = 0 (for W = 10 the exact -M(1/2) = [[1, -11], [-11, 2]] has
    # determinant 2 - 121 < 0)
    assert ev.subject == network_fingerprint(np.array([[float(W[0, 0])]]), 1, "H", False)
    assert W[0, 0] == 0.0


def test_object_fields_of_a_structured_array_are_read_once():
    # found by a third attack: a structured dtype with an object field has kind "V", not "O"
    class Liar(int):
        reads = 0

        @property
        def numerator(self):
            Liar.reads += 1
            return -1 if Liar.reads == 1 else 5

        @property
        def denominator(self):
            return 1

    for prove in (lambda W: kc.prove_weighted_rate(W, 1, "H", "l1", [1]), lambda W: kc.prove_linear_rate(W, "l1")):
        Liar.reads = 0
        W = np.zeros(1, dtype=[("a", "O")])
        W[0] = (Liar(5),)
        try:
            ev = prove(W)
        except (KernelError, InputError):
            continue
        linear = ev.method == "linear"
        assert ev.subject == network_fingerprint([[-1]], 1, "H", linear)   # the one value read: W = -1
        assert ev.subject != network_fingerprint([[5]], 1, "H", linear)


def test_extended_precision_is_refused_rather_than_rounded():
    if np.dtype(np.longdouble).itemsize <= 8:
        pytest.skip("long double is binary64 on this platform")
    W = np.array([[np.longdouble(1) / 3]], dtype=np.longdouble)
    with pytest.raises(KernelError, match="extended-precision"):
        kc.prove_weighted_rate(W, 1, "H", "l1", [1])
