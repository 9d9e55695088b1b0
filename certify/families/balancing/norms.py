"""Matrix measures (logarithmic norms) and induced norms before and after balancing (inline;
certify.search.measures is independent)."""

from __future__ import annotations

import numpy as np

from certify.families.balancing.validate import _square


def measures(A: object) -> dict[str, float]:
    """mu_1, mu_2, mu_inf (logarithmic norms) and the induced 1-, 2-, inf-norms of A."""
    a = _square(A)
    if a.size == 0:
        return {k: 0.0 for k in ("mu1", "mu2", "muinf", "norm1", "norm2", "norminf")}
    d = np.diag(a)
    ab = np.abs(a)
    off_col = ab.sum(axis=0) - np.abs(d)
    off_row = ab.sum(axis=1) - np.abs(d)
    return {
        "mu1": float(np.max(d + off_col)),
        "mu2": float(np.linalg.eigvalsh((a + a.T) / 2.0)[-1]),
        "muinf": float(np.max(d + off_row)),
        "norm1": float(ab.sum(axis=0).max()),
        "norm2": float(np.linalg.norm(a, 2)),
        "norminf": float(ab.sum(axis=1).max()),
    }


def measures_report(J_before: object, J_after: object) -> dict[str, dict[str, float]]:
    """{"before": measures(J_before), "after": measures(J_after)} -- balancing keeps the spectrum but
    changes (typically lowers) norms and matrix measures; those of the Jacobian -I + J are these
    minus 1 (for the measures)."""
    return {"before": measures(J_before), "after": measures(J_after)}
