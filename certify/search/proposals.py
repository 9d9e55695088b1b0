"""Numbers proposed to the kernel (UNTRUSTED): float guesses the kernel then proves or refuses exactly.

Kept apart from the searches that use them so that `certify verify` (which must not load the derivation or the
counterexample search) can make the same proposals when it re-checks a certificate.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def start_proposals(W0: np.ndarray, norm: str, route: str) -> list[Fraction]:
    """Upper-bound proposals for the kernel's l2 start value of W0 (mu_2 on the measure route, ||W0||_2 on the norm
    route): the float value plus growing margins. The kernel proves the first that holds, in exact arithmetic;
    l1 and linf start values need no proposal (the kernel computes them exactly)."""
    if norm != "l2":
        return []
    A = np.asarray(W0, dtype=np.float64)
    guess = Fraction(float(np.linalg.eigvalsh((A + A.T) / 2).max() if route == "measure" else np.linalg.norm(A, 2)))
    return [guess + m * (1 + abs(guess)) for m in (Fraction(0), Fraction(1, 10**12), Fraction(1, 10**9),
                                                   Fraction(1, 10**6))]
