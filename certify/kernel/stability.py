"""Verified local stability of an equilibrium (TRUSTED): a Lyapunov matrix checked over an interval Jacobian.

The network and its Jacobian J(x) are those of kernel/equilibria.py (form H: -I + W diag(phi'(x)); form FR:
-I + diag(phi'(W x + u)) W). `verify_stable_equilibrium` is given a box and a symmetric float matrix P (an
untrusted proposal, e.g. the solution of J0^T P + P J0 = -I for a float Jacobian J0, made by the search side;
the kernel never solves for P) and proves:

  (1) the box holds exactly one equilibrium x* (re-verified here by `equilibria._verify_box`: Krawczyk in
      Arb, an affine piece, or an exact rational point), so forged or stale equilibrium data cannot pass;
  (2) P is positive definite (Rump's verified Cholesky, kernel/verified.py);
  (3) S(A) = -(A^T P + P A) is positive definite for EVERY matrix A in an enclosure of {J(x) : x in box}:
      - the enclosure: the exact rational Jacobian at x* when x* is known exactly, else the interval
        Jacobian J(X) in Arb ball arithmetic (it contains J(x) for every x in the box);
      - S = -(A^T P + P A) is enclosed entrywise by Arb matrix products (each ball contains the exact
        entry for every choice of A in the balls);
      - S(A) is exactly symmetric for every A (P is), so a symmetric float matrix C (C_ij = C_ji = the
        float nearest the centre of ball (i, j), i <= j) and radii R_ij = R_ji >= |ball - C_ij| (exact
        rational endpoints, rounded up) contain every S(A);
      - `is_pd_verified(C, R)` proves every symmetric matrix within R of C positive definite.

Why this proves stability. J(x*) is in the enclosure, so J(x*)^T P + P J(x*) < 0 with P > 0; by Lyapunov's
theorem every eigenvalue of J(x*) has negative real part, and f is C^1 near x* (a smooth activation, or f
affine near x* for relu off its kink), so x* is locally exponentially stable. Moreover, for any x, y in the
(convex) box, f(x) - f(y) = M (x - y) with M an average of Jacobians of the box, and (x - y)^T (M^T P + P M)
(x - y) < 0: the P-distance between two trajectories decreases while both stay in the box.

Trusted base: that of kernel/equilibria.py (Fractions, FLINT, Arb) and of kernel/verified.py (binary64 and
LAPACK's Cholesky). No assert, no cvxpy; failures raise KernelError, malformed input InputError.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import arb_mat, ctx

from .errors import KernelError
from .equilibria import EquilibriumBox, _verify_box
from .netmodel import DEFAULT_PREC, _arb, _high, _interval_ball, _low, _network
from .verified import is_pd_verified, round_up
from .evidence import only_kernel


@dataclass(frozen=True)
class StableEquilibrium:
    """Proved: the box of `equilibrium` holds exactly one equilibrium x*, and A^T P + P A is negative definite
    for every A in the `jacobian` enclosure ("exact": J(x*) itself; "interval": J(X) over the box), with P
    positive definite; hence x* is locally exponentially stable. `lyapunov` fingerprints P (SHA-256 of its
    binary64 bytes)."""
    equilibrium: EquilibriumBox
    jacobian: str
    lyapunov: str
    statement: str

    def __str__(self) -> str:
        return f"locally exponentially stable: {self.equilibrium.describe()}; {self.statement}"

    def __post_init__(self) -> None:
        only_kernel("StableEquilibrium")

def _lyapunov(P: object, n: int) -> np.ndarray:
    if isinstance(P, np.ndarray) and (P.dtype.kind not in "biuf" or P.dtype.itemsize > 8):
        raise KernelError(f"lyapunov: the Lyapunov matrix P must hold real binary64 numbers, got dtype {P.dtype}")
    try:
        M = np.array(P, dtype=np.float64)
    except (TypeError, ValueError):
        raise KernelError("lyapunov: the Lyapunov matrix P is not a numeric matrix") from None
    if M.shape != (n, n):
        raise KernelError(f"lyapunov: the Lyapunov matrix P must be {n} x {n}, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise KernelError("lyapunov: the Lyapunov matrix P has NaN or infinite entries")
    if not np.array_equal(M, M.T):
        raise KernelError("lyapunov: the Lyapunov matrix P is not exactly symmetric")
    if not is_pd_verified(M):
        raise KernelError("lyapunov: P is not verified positive definite (Rump's test failed)")
    return M


def _box_arguments(box: object) -> tuple[object, object]:
    """(center, radius) from an EquilibriumBox (its exact bounds) or a (center, radius) pair."""
    if isinstance(box, EquilibriumBox):
        lo, hi = box.lower(), box.upper()
        return [(a + b) / 2 for a, b in zip(lo, hi)], [(b - a) / 2 for a, b in zip(lo, hi)]
    try:
        center, radius = box
    except (TypeError, ValueError):
        raise KernelError("box_arguments: box must be an EquilibriumBox or a (center, radius) pair") from None
    return center, radius


def _symmetric_enclosure(S: arb_mat, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric float C and R >= 0 with every ball S[i, j] (i <= j) inside [C_ij - R_ij, C_ij + R_ij]."""
    C = np.zeros((n, n))
    R = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            b = S[i, j]
            if not b.is_finite():
                raise KernelError("symmetric_enclosure: the enclosure of A^T P + P A is not finite")
            lo, hi = _low(b), _high(b)
            c = float((lo + hi) / 2)
            r = round_up(max(hi - Fraction(c), Fraction(c) - lo))
            C[i, j] = C[j, i] = c
            R[i, j] = R[j, i] = r
    return C, R


def verify_stable_equilibrium(W: object, u: object, form: str, activation: str, box: object, P: object, *,
                              leak: object = None, prec: int = DEFAULT_PREC,
                              preconditioner: object = None) -> StableEquilibrium:
    """Prove that the box (an EquilibriumBox, or (center, radius) as in `verify_equilibrium_box`) holds exactly
    one equilibrium and that it is locally exponentially stable, with the untrusted Lyapunov matrix P as the
    witness (and the untrusted Krawczyk `preconditioner` when the box is re-verified by Krawczyk); raise
    KernelError when any step cannot be verified."""
    try:
        return _verify_stable(W, u, form, activation, box, P, leak, prec, preconditioner)
    except OverflowError:
        raise KernelError("verify_stable_equilibrium: numbers too large for the verified floating-point "
                          "check") from None


def _verify_stable(W, u, form, activation, box, P, leak, prec, preconditioner) -> StableEquilibrium:
    net = _network(W, u, form, activation, leak)
    center, radius = _box_arguments(box)
    eq = _verify_box(net, center, radius, prec, preconditioner)
    Pf = _lyapunov(P, net.n)
    with ctx.workprec(prec):
        if eq.point is not None:
            J = [[_arb(v) for v in row] for row in net.jacobian_exact([Fraction(v) for v in eq.point])]
            kind = "exact"
        else:
            X = [_interval_ball(a, b) for a, b in zip(eq.lower(), eq.upper())]
            J = net.jacobian_ball(X)
            kind = "interval"
        A = arb_mat(J)
        Pb = arb_mat([[float(v) for v in row] for row in Pf])     # binary64 numbers are exact balls
        S = -(A.transpose() * Pb + Pb * A)
        C, R = _symmetric_enclosure(S, net.n)
    if not is_pd_verified(C, R):
        raise KernelError("verify_stable: A^T P + P A is not verified negative definite over the Jacobian "
                          "enclosure: P is not a "
                          "Lyapunov matrix for this equilibrium (or the margin is too small for the test)")
    where = "the exact Jacobian J(x*)" if kind == "exact" else "every J(x), x in the box (interval Jacobian)"
    statement = (f"P > 0 and A^T P + P A < 0 for {where} (Rump's verified Cholesky on an Arb enclosure), so "
                 "every eigenvalue of J(x*) has negative real part")
    return StableEquilibrium(eq, kind, hashlib.sha256(Pf.tobytes()).hexdigest()[:16], statement)


def verify_measure_below(W: object, P: object, b: object, *, prec: int = DEFAULT_PREC) -> StableEquilibrium:
    """Prove mu_P(W) < b for the P-weighted l2 measure (P = None: mu_2), i.e. (W - b I)^T P + P (W - b I) < 0:
    the linear network x' = -x + (W - (b - 1) I) x has Jacobian W - b I at its exact equilibrium 0, and
    `verify_stable_equilibrium` proves exactly that inequality with P as the Lyapunov matrix."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from .exact import to_fraction_matrix
    rows = to_fraction_matrix(W, "W")
    n = len(rows)
    b = Fraction(b)
    shifted = [[x - (b - 1) if i == j else x for j, x in enumerate(row)] for i, row in enumerate(rows)]
    if P is None:
        Pm = np.eye(n)
    else:   # P is part of the claim here: it must be exactly the binary64 matrix the check uses
        Pq = to_fraction_matrix(P, "P")
        Pm = np.array([[float(x) for x in row] for row in Pq], dtype=np.float64)
        if any(Fraction(float(x)) != x for row in Pq for x in row):
            raise KernelError("verify_measure_below: P has entries that are not binary64 numbers; the claim "
                              "would be about a rounded P")
    return verify_stable_equilibrium(shifted, [0] * n, "H", "linear", ([0] * n, 0), Pm, prec=prec)
