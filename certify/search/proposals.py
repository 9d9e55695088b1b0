"""Numbers proposed to the kernel (UNTRUSTED): float guesses the kernel then proves or refuses exactly.

Kept apart from the searches that use them so that `certify verify` (which must not load the derivation or the
counterexample search) can make the same proposals when it re-checks a certificate.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from certify.search import sizes


def start_proposals(W0, norm: str, route: str) -> list[Fraction]:
    """Upper-bound proposals for the kernel's l2 start value of W0 (mu_2 on the measure route, ||W0||_2 on the norm
    route): the float value plus growing margins. The kernel proves the first that holds (exactly for small rows of
    rationals, by verified floating point for a binary64 array); l1 and linf start values need no proposal (the
    kernel bounds them itself). W0 is an array, rows, or an ExactMatrix (whose proposals are cached by digest: a
    decision asks for them once per flow proof)."""
    if norm != "l2":
        return []
    if hasattr(W0, "digest") and hasattr(W0, "float_array"):
        return list(_cached(W0.digest(), route, W0))
    return _proposals(np.asarray(W0, dtype=np.float64), route)


def _cached(digest: str, route: str, W0, _memo: dict = {}) -> tuple[Fraction, ...]:
    key = (digest, route)
    if key not in _memo:
        if len(_memo) > 64:
            _memo.clear()
        _memo[key] = tuple(_proposals(W0.float_array(), route))
    return _memo[key]




def _proposals(A: np.ndarray, route: str) -> list[Fraction]:
    """The float value plus relative margins. A large W0 is proved by verified floating point, whose shift grows like
    m^2 u for an m x m matrix (m = n on the measure route, 2n on the norm route), so smaller margins are not tried."""
    guess = Fraction(_top(A, route))
    margins = [Fraction(0), Fraction(1, 10**12), Fraction(1, 10**9), Fraction(1, 10**6)]
    if A.shape[0] > sizes.VERIFIED_START_MIN_N:
        m = A.shape[0] * (1 if route == "measure" else 2)
        floor = Fraction(m * m, 2**51)            # about 4 m^2 u: what Rump's test needs, with room
        margins = [floor] + [x for x in margins if x > floor]
    return [guess + x * (1 + abs(guess)) for x in margins]


def _top(A: np.ndarray, route: str) -> float:
    """lambda_max(sym A) (measure route) or ||A||_2 (norm route), in floating point."""
    S = (A + A.T) / 2 if route == "measure" else None
    n = A.shape[0]
    if n >= sizes.LANCZOS_MIN_N:
        # deferred: SciPy is loaded only when this runs
        from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh
        try:
            if route == "measure":
                return float(eigsh(S, k=1, which="LA", tol=1e-13, return_eigenvectors=False)[0])
            gram = LinearOperator((n, n), matvec=lambda x: A.T @ (A @ x), dtype=np.float64)
            return float(np.sqrt(max(eigsh(gram, k=1, which="LA", tol=1e-13, return_eigenvectors=False)[0], 0.0)))
        except (ArpackError, ArpackNoConvergence):
            pass          # fall back to the full decomposition
    return float(np.linalg.eigvalsh(S).max() if route == "measure" else np.linalg.norm(A, 2))
