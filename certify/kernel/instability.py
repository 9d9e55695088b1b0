"""An unstable equilibrium of a fixed network (TRUSTED): a refutation of contraction in every norm.

A zero x* of f near which f is C^1 and whose Jacobian J(x*) has an eigenvalue with Re > 0 refutes contraction
(docs/theory.md section 3; kernel/equilibria.py says why). The zero is proved by kernel/equilibria.py's boxes.

* UNSTABLE EQUILIBRIUM (`verify_unstable_equilibrium`): the box above, then the Jacobian at the zero x*:
  exact and rational when x* is an exact point (with every pre-activation off the kink for relu/leaky-relu,
  so that f is affine, hence C^1, near x*), otherwise the interval Jacobian J(X), which contains J(x*).
  Its characteristic polynomial p is computed exactly (fmpq_mat.charpoly) or enclosed coefficientwise
  (arb_mat.charpoly; enclosures hold for every matrix in J(X), in particular J(x*)). Then one of:
    - exact root: a positive rational r with p(r) = 0 exactly (r read off a linear factor of p over Q);
    - sign change: rational 0 < a < b with p(a), p(b) of opposite, certain signs: a real root in (a, b)
      by the intermediate value theorem, for every polynomial in the enclosure;
    - Routh: the Routh array of p (exact, or in ball arithmetic: each computed entry contains the exact
      entry of every polynomial in the enclosure, divisions only by entries certainly nonzero) has a first
      column of certain, nonzero signs; by Routh's theorem (regular case) the number of sign changes is the
      number of roots with Re > 0, and it must be >= 1. This also covers complex eigenvalues.
  No eigenvalue is ever compared with a tolerance. The kernel makes no float guess: the preconditioner Y and
  the eigenvalue brackets are untrusted data from the caller (certify/search/equilibria.py proposes them);
  Y only has to be a real matrix (any Y is sound), and a bracket counts only through a proved sign change.

Trusted base: Python's Fraction, FLINT (fmpq_mat charpoly, fmpq_poly factor, every root re-checked by exact
evaluation) and Arb's ball arithmetic (python-flint).
"""

from __future__ import annotations

from fractions import Fraction

from flint import arb_mat, ctx, fmpq, fmpq_mat

from . import exact
from .equilibria import UnstableEquilibrium, _s, _verify_box
from .errors import InputError, KernelError
from .netmodel import DEFAULT_PREC, _arb, _box, _interval_ball, _network, _sign


def _routh_first_column(coeffs: list) -> list:
    """First column of the Routh array of a_0 s^m + a_1 s^(m-1) + ... + a_m (coeffs highest degree first).
    Works on Fractions or balls; raises when a divisor's sign is not certain."""
    m = len(coeffs) - 1
    zero = coeffs[0] * 0
    width = m // 2 + 1
    r0 = list(coeffs[0::2]) + [zero] * (width - len(coeffs[0::2]))
    r1 = list(coeffs[1::2]) + [zero] * (width - len(coeffs[1::2]))
    col = [r0[0], r1[0]]
    for _ in range(2, m + 1):
        if _sign(r1[0]) == 0:
            raise KernelError("routh_first_column: the Routh array has an entry that is zero or of uncertain "
                              "sign in its first column")
        r2 = [(r1[0] * r0[j + 1] - r0[0] * r1[j + 1]) / r1[0] for j in range(width - 1)] + [zero]
        r0, r1 = r1, r2
        col.append(r1[0])
    return col[: m + 1]


def _brackets(eigenvalue: object) -> list[tuple[Fraction, Fraction]]:
    """The caller's untrusted brackets (a, b) for a positive real eigenvalue: None, one pair (a, b) or a
    sequence of pairs. Each is only a place to look: it counts only where the characteristic polynomial is
    proved to change sign on it. Pairs without 0 < a < b cannot show a positive eigenvalue and are skipped."""
    if eigenvalue is None:
        return []
    if not isinstance(eigenvalue, (tuple, list)):
        raise InputError("eigenvalue hints are brackets: a pair (a, b) with 0 < a < b, or a list of pairs "
                         "(certify.search.equilibria.eigenvalue_brackets makes them)", symbol="eigenvalue")
    pairs = [eigenvalue] if len(eigenvalue) == 2 and not isinstance(eigenvalue[0], (tuple, list)) else eigenvalue
    out = []
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InputError("each eigenvalue bracket must be a pair (a, b)", symbol="eigenvalue")
        a, b = exact.to_fraction(pair[0], "eigenvalue"), exact.to_fraction(pair[1], "eigenvalue")
        if 0 < a < b:
            out.append((a, b))
    return out


def verify_unstable_equilibrium(W: object, u: object, form: str, activation: str, center: object,
                                radius: object, *, leak: object = None, eigenvalue: object = None,
                                prec: int = DEFAULT_PREC, preconditioner: object = None) -> UnstableEquilibrium:
    """Prove an equilibrium in the box (as in `verify_equilibrium_box`, with the untrusted `preconditioner` for a
    Krawczyk box) whose Jacobian has an eigenvalue with positive real part: an exact positive root of the
    characteristic polynomial, a sign change on one of the untrusted brackets in `eigenvalue` (a pair (a, b),
    0 < a < b, or a list of pairs), or Routh's count. The kernel makes no eigenvalue guess of its own."""
    net = _network(W, u, form, activation, leak)
    brackets = _brackets(eigenvalue)
    box = _verify_box(net, center, radius, prec, preconditioner)
    if box.point is not None:
        xs = [Fraction(v) for v in box.point]
        J = net.jacobian_exact(xs)   # raises on a kink: f is then not C^1 at x*
        n = net.n
        p = fmpq_mat(n, n, [fmpq(v.numerator, v.denominator) for row in J for v in row]).charpoly()
        coeffs = [Fraction(int(c.p), int(c.q)) for c in p.coeffs()]    # constant term first

        def value(t: Fraction) -> Fraction:
            acc = Fraction(0)
            for a in reversed(coeffs):
                acc = acc * t + a
            return acc

        poly_text = tuple(map(_s, coeffs))
        _, factors = p.factor()
        roots = []
        for fac, _mult in factors:
            if fac.degree() == 1:
                c0, c1 = fac.coeffs()
                roots.append(-Fraction(int(c0.p), int(c0.q)) / Fraction(int(c1.p), int(c1.q)))
        for r in sorted(roots, reverse=True):
            if r > 0 and value(r) == 0:
                return UnstableEquilibrium(box, "exact", "exact-root", (_s(r), _s(r)), None, poly_text,
                                           f"J(x*) is rational and its characteristic polynomial vanishes exactly "
                                           f"at {r} > 0: an eigenvalue {r} > 0, so x* is unstable")
        for a, b in brackets:
            sa, sb = _sign(value(a)), _sign(value(b))
            if sa * sb < 0:
                return UnstableEquilibrium(box, "exact", "sign-change", (_s(a), _s(b)), None, poly_text,
                                           "the characteristic polynomial of the rational J(x*) changes sign "
                                           f"on [{a}, {b}] (exact), so J(x*) has a real eigenvalue > {a} > 0")
        col = _routh_first_column(list(reversed(coeffs)))
        statement_tail = ""
        jac, cp = "exact", poly_text
    else:
        with ctx.workprec(prec):
            c, lo, hi = _box(net, center, radius)
            X = [_interval_ball(a, b) for a, b in zip(lo, hi)]
            Jb = net.jacobian_ball(X)
            P = arb_mat(Jb).charpoly()
            for a, b in brackets:
                sa, sb = _sign(P(_arb(a))), _sign(P(_arb(b)))
                if sa * sb < 0:
                    return UnstableEquilibrium(box, "interval", "sign-change", (_s(a), _s(b)), None, None,
                                               "for every matrix in the interval Jacobian J(X) (which contains "
                                               f"J(x*)) the characteristic polynomial changes sign on [{a}, {b}], "
                                               f"so J(x*) has a real eigenvalue > {a} > 0")
            col = _routh_first_column(list(reversed(P.coeffs())))
        statement_tail = " for every matrix in the interval Jacobian J(X), which contains J(x*)"
        jac, cp = "interval", None
    signs = [_sign(v) for v in col]
    if 0 in signs:
        raise KernelError("verify_unstable_equilibrium: the Routh array's first column has a zero or uncertain "
                          "entry (singular case); "
                          "no eigenvalue with positive real part proved")
    changes = sum(1 for s, t in zip(signs, signs[1:]) if s != t)
    if changes == 0:
        raise KernelError("verify_unstable_equilibrium: no eigenvalue with positive real part: the Routh array "
                          "shows every eigenvalue of the "
                          "Jacobian at this equilibrium has Re < 0")
    return UnstableEquilibrium(box, jac, "routh", None, changes, cp,
                               f"Routh's theorem: the first column of the Routh array has {changes} sign "
                               f"change(s), so J(x*) has {changes} eigenvalue(s) with Re > 0" + statement_tail)
