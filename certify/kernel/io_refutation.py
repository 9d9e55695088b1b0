"""Refutation of the input-output law of synaptic balancing for a non-homogeneous activation (TRUSTED).

Balancing conserves the input-output map only for positively homogeneous activations (relu, leaky-relu, linear).
For tanh or the logistic function the kernel checks a concrete two-neuron witness: D > 0 with prod d = 1 makes
D^-1 J D balanced (equal in- and out-cost at every neuron), J's support is strongly connected, so D^-1 J D is the
balancing flow's unique limit (the flow conserves sum h); both networks are l-infinity contractions, and the steady
outputs of the two, enclosed in Krawczyk boxes (kernel/equilibria.py), are disjoint intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import InputError, KernelError
from .evidence import only_kernel

@dataclass(frozen=True)
class IORefutation:
    activation: str
    statement: str
    original: tuple[Fraction, Fraction]   # enclosure of the steady output y* of the original network
    balanced: tuple[Fraction, Fraction]   # ... of the balanced network

    def __post_init__(self) -> None:
        only_kernel("IORefutation")

def _strongly_connected(J: list[list[Fraction]]) -> bool:
    n = len(J)

    def reach(forward: bool) -> set[int]:
        seen, todo = {0}, [0]
        while todo:
            i = todo.pop()
            for j in range(n):
                edge = J[i][j] if forward else J[j][i]
                if edge != 0 and j not in seen:
                    seen.add(j)
                    todo.append(j)
        return seen
    return len(reach(True)) == n and len(reach(False)) == n


def _balanced(Jt: list[list[Fraction]], p: Fraction) -> bool:
    """Incoming cost = outgoing cost at every neuron (cost |w|^p; the diagonal cancels): exactly for an integer
    p, and for any p when the off-diagonal magnitudes in and out of each neuron are the same multiset."""
    n = len(Jt)
    for k in range(n):
        incoming = sorted(abs(Jt[k][j]) for j in range(n) if j != k and Jt[k][j] != 0)
        outgoing = sorted(abs(Jt[i][k]) for i in range(n) if i != k and Jt[i][k] != 0)
        if incoming == outgoing:
            continue
        if p.denominator != 1 or sum(x ** int(p) for x in incoming) != sum(x ** int(p) for x in outgoing):
            return False
    return True


def check_io_refutation(activation: str, p: object, J: object, u: object, c: object, d: object,
                        centers: tuple[object, object], radius: object,
                        preconditioners: tuple[object, object] = (None, None)) -> IORefutation:
    """The balancing flow changes the input-output map of this network x' = -x + J phi(x) + u, y = c x:
    (1) D = diag(d) > 0 with prod d = 1 balances J (D^-1 J D has equal incoming and outgoing cost at every neuron)
    and J's support is strongly connected, so D is the unique balanced state with sum h = 0, and sum h is
    conserved by the flow (sum g = 0): the flow from J converges to D^-1 J D (Stock et al. 2022);
    (2) both networks are contractions in l_inf (1 - g_phi max row sum |.| > 0), so each output converges to its
    unique equilibrium output from every start; (3) the two equilibria are enclosed by verified Krawczyk boxes and
    the outputs c x* and (c D) x~* lie in disjoint intervals. By continuity the map already differs at finite t.
    `preconditioners` are the untrusted Krawczyk matrices of the two boxes (any real matrices are sound)."""
    # deferred: the Krawczyk boxes need FLINT/Arb, loaded only when a refutation is actually checked
    from .equilibria import verify_equilibrium_box
    # deferred: loaded only when this path runs (keeps this module's import light)
    from .exact import to_fraction_matrix, to_fraction_vector
    slope = {"tanh": Fraction(1), "logistic": Fraction(1, 4)}
    if activation not in slope:
        raise KernelError(f"check_io_refutation: no verified equilibria for {activation} in this check")
    p = Fraction(p)
    Jq = to_fraction_matrix(J, "J")
    n = len(Jq)
    uq, cq, dq = (to_fraction_vector(v, name) for v, name in ((u, "u"), (c, "c"), (d, "d")))
    if any(len(v) != n for v in (uq, cq, dq)) or any(len(r) != n for r in Jq) or p <= 0:
        raise KernelError("check_io_refutation: J must be n x n, u, c, d of length n, p > 0")
    if any(x <= 0 for x in dq):
        raise KernelError("check_io_refutation: the balancing scales d must be positive")
    prod = Fraction(1)
    for x in dq:
        prod *= x
    if prod != 1:
        raise KernelError("check_io_refutation: the flow conserves sum h = 0: the product of the scales must be 1")
    Jt = [[Jq[i][j] * dq[j] / dq[i] for j in range(n)] for i in range(n)]
    if not _strongly_connected(Jq) or not _balanced(Jt, p):
        raise KernelError("check_io_refutation: D^-1 J D is not the (unique) balanced state of J")
    for M in (Jq, Jt):
        if 1 - slope[activation] * max(sum(abs(x) for x in row) for row in M) <= 0:
            raise KernelError("check_io_refutation: a network of the witness is not a contraction in l_inf")
    ut = [uq[i] / dq[i] for i in range(n)]
    try:
        Y1, Y2 = preconditioners
    except (TypeError, ValueError):
        raise InputError("preconditioners must be a pair (one per box)", symbol="preconditioners") from None
    first = verify_equilibrium_box(Jq, uq, "H", activation, centers[0], radius, preconditioner=Y1)
    second = verify_equilibrium_box(Jt, ut, "H", activation, centers[1], radius, preconditioner=Y2)

    def output(row: list[Fraction], box) -> tuple[Fraction, Fraction]:
        lo = sum((min(w * a, w * b) for w, a, b in zip(row, box.lower(), box.upper())), Fraction(0))
        hi = sum((max(w * a, w * b) for w, a, b in zip(row, box.lower(), box.upper())), Fraction(0))
        return lo, hi
    y = output(cq, first)
    yt = output([cq[i] * dq[i] for i in range(n)], second)
    if not (y[1] < yt[0] or yt[1] < y[0]):
        raise KernelError("check_io_refutation: the two steady outputs are not separated")
    return IORefutation(activation, f"the balancing flow takes the {n}-neuron network J = {_rows(Jq)}, u = "
                        f"{_vec(uq)}, y = {_vec(cq)} x to D^-1 J D with D = diag{_vec(dq)} (its unique balanced "
                        f"state); steady output {_iv(y)} before, {_iv(yt)} after (verified boxes, both networks "
                        "contract): the input-output map is not conserved", y, yt)


def _vec(v) -> str:
    return "(" + ", ".join(str(x) for x in v) + ")"


def _rows(M) -> str:
    return "[" + ", ".join(_vec(r) for r in M) + "]"


def _iv(pair) -> str:
    return f"[{float(pair[0]):.9f}, {float(pair[1]):.9f}]"
