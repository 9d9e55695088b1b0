"""The result of `balance`: the transformed network, its recomputed imbalance, and how it was obtained."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from certify.families.balancing.costs import _scale_matrix, cost


@dataclass(frozen=True, eq=False)
class BalanceResult:
    """A balanced network and how it was obtained.

    `J`, `W_in`, `W_out`, `b` are the transformed weights (W_in / W_out / b are None when not
    given); `h` the log gains (D = diag(e^h)), mean zero on each strongly connected component;
    `imbalance` the relative imbalance of the returned J (recomputed from it, not the solver's
    running estimate); `converged` is True iff imbalance <= tol; `message` says why it stopped;
    `history` lists (phase, imbalance) after every accepted iteration."""

    J: np.ndarray
    W_in: np.ndarray | None
    W_out: np.ndarray | None
    b: np.ndarray | None
    h: np.ndarray
    iterations: int
    imbalance: float
    cost_before: float
    cost_after: float
    components: list[np.ndarray]
    method: str
    converged: bool
    imbalance_before: float = 0.0
    tol: float = 1e-10
    p: float = 2.0
    message: str = ""
    seconds: float = 0.0
    history: list[tuple[str, float]] = field(default_factory=list)

    @property
    def gains(self) -> np.ndarray:
        """e^h: neuron k's balanced activity is its original activity divided by gains[k]."""
        return np.exp(self.h)

    def summary(self) -> dict[str, object]:
        """JSON-ready description (no matrices)."""
        sizes = sorted((int(c.size) for c in self.components), reverse=True)
        return {
            "status": "balanced" if self.converged else "not_converged",
            "converged": self.converged,
            "n": int(self.J.shape[0]),
            "p": self.p,
            "tol": self.tol,
            "method": self.method,
            "iterations": self.iterations,
            "imbalance_before": self.imbalance_before,
            "imbalance": self.imbalance,
            "cost_before": self.cost_before,
            "cost_after": self.cost_after,
            "components": len(self.components),
            "largest_components": sizes[:10],
            "log_gain_range": [float(self.h.min()), float(self.h.max())] if self.h.size else [0.0, 0.0],
            "seconds": self.seconds,
            "message": self.message,
        }


def _result(A, Wi, Wo, bb, h, it, pf, al, comps, method, tol, cost0, imb0, t0, message, history,
            reached=False):
    Jb = _scale_matrix(A, h)
    e = np.exp(h)
    Wi_b = None if Wi is None else (Wi / e[:, None] if Wi.ndim == 2 else Wi / e)
    bb_b = None if bb is None else (bb / e[:, None] if bb.ndim == 2 else bb / e)
    Wo_b = None if Wo is None else Wo * e
    c = np.square(Jb) if pf == 2.0 else np.power(np.abs(Jb), pf)  # |x|^2 = x^2 bit for bit: one pass fewer
    if isinstance(al, np.ndarray):
        c *= al
    elif al != 1.0:
        c *= al
    cost1 = float(c.sum())
    np.fill_diagonal(c, 0.0)  # exactly as imbalance() computes it
    rin, rout = c.sum(axis=1), c.sum(axis=0)
    tot = float(rin.sum())
    imb = float(np.linalg.norm(rin - rout) / tot) if tot > 0 else 0.0
    if not math.isfinite(cost0):
        cost0 = cost(A, pf, al)
    converged = imb <= tol
    if converged:
        message = message if message.startswith("no off-diagonal") else "balanced"
    elif not message and reached:
        message = (f"the solver's estimate reached the target but the imbalance recomputed from the "
                   f"returned weights is {imb:.3g} > tol {tol:g}: tol is at the floating-point floor "
                   f"for this network")
    elif not message:
        message = (f"did not reach relative imbalance {tol:g} in {it} iterations (max_iter; reached "
                   f"{imb:.3g}); increase max_iter or tol")
    else:
        message += f"; not balanced to tol {tol:g} (reached {imb:.3g})"
    return BalanceResult(
        J=Jb, W_in=Wi_b, W_out=Wo_b, b=bb_b, h=h, iterations=it, imbalance=imb,
        cost_before=float(cost0), cost_after=cost1, components=comps, method=method,
        converged=converged, imbalance_before=float(imb0), tol=tol, p=pf, message=message,
        seconds=time.perf_counter() - t0, history=history)
