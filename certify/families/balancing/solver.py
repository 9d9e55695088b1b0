"""`balance`: Jacobi (Osborne-type) sweeps while they contract fast, then damped Newton (newton.py), to a given relative
imbalance."""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from certify.errors import InputError
from certify.families.balancing.costs import _Costs, _diag_cost
from certify.families.balancing.graph import NoBalancedState, _blocking, _groups, _labels
from certify.families.balancing.newton import _newton_step
from certify.families.balancing.result import BalanceResult, _result
from certify.families.balancing.validate import _exponent, _io, _square, _tolerance, _weights


ProgressFn = Callable[[str, int, float], None]
"""progress(phase, iteration, imbalance): phase is "start", "jacobi", "newton" or "done"."""


def _norm(v: np.ndarray) -> float:
    """||v||_2 (np.linalg.norm's dispatch costs more than the product for small n)."""
    return math.sqrt(float(v @ v))


def _center(h: np.ndarray, labels: np.ndarray, ncomp: int) -> np.ndarray:
    """Subtract each strongly connected component's mean."""
    if ncomp <= 1:
        return h - h.mean() if h.size else h
    sums = np.bincount(labels, weights=h, minlength=ncomp)
    counts = np.bincount(labels, minlength=ncomp)
    return h - (sums / counts)[labels]


def balance(
    J: object,
    *,
    W_in: object = None,
    W_out: object = None,
    b: object = None,
    p: float = 2.0,
    alpha: object = None,
    tol: float = 1e-10,
    max_iter: int = 500,
    progress: ProgressFn | None = None,
    method: str = "auto",
) -> BalanceResult:
    """Balance the network: find gains h with incoming = outgoing cost at every neuron.

    Returns a `BalanceResult` with the transformed J, W_in, W_out, b (D = diag(e^h); J -> D^-1 J D,
    W_in -> D^-1 W_in, b -> D^-1 b, W_out -> W_out D). Raises `NoBalancedState` (an `InputError`)
    when some synapse lies on no directed cycle, and `InputError` naming the argument for malformed
    input. If the relative imbalance (module docstring) does not reach `tol` within `max_iter`
    iterations (Jacobi sweeps plus Newton steps), the result has converged=False and a message.

    method: "auto" (Jacobi sweeps while they contract fast, then Newton), "jacobi" or "newton".
    progress: called as progress(phase, iteration, imbalance): ("start", 0, initial imbalance), then
    once per iteration (the solver's running estimate; a rejected step repeats the last value), then
    ("done", iterations, the imbalance of the returned J).
    """
    t0 = time.perf_counter()
    A = _square(J)
    n = A.shape[0]
    pf = _exponent(p)
    al = _weights(alpha, n)
    tol = _tolerance(tol)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise InputError(f"max_iter must be an integer >= 0, got {max_iter!r}", symbol="max_iter")
    if method not in ("auto", "jacobi", "newton"):
        raise InputError(f"method must be 'auto', 'jacobi' or 'newton', got {method!r}", symbol="method")
    Wi, Wo, bb = _io(n, W_in, W_out, b)

    support = A != 0
    np.fill_diagonal(support, False)
    labels = _labels(support)
    blocking = _blocking(support, labels)
    if len(blocking):
        raise NoBalancedState(blocking, n=n)
    comps = _groups(labels)
    ncomp = len(comps)

    off = np.abs(A)
    np.fill_diagonal(off, 0.0)
    m = float(off.max()) if n else 0.0
    diag_cost = _diag_cost(A, pf, al)
    if m == 0.0:  # no off-diagonal synapse: balanced as it is
        res = _result(A, Wi, Wo, bb, np.zeros(n), 0, pf, al, comps, "none", tol, diag_cost, 0.0, t0,
                      "no off-diagonal synapses: the network is balanced as it is", [])
        if progress:
            progress("done", 0, res.imbalance)
        return res
    # normalised costs: the largest off-diagonal |J| becomes 1, so |J|^p cannot overflow
    off /= m
    K = np.square(off, out=off) if pf == 2.0 else np.power(off, pf, out=off)
    if isinstance(al, np.ndarray) or al != 1.0:
        K *= al
    del off
    log_scale = pf * math.log(m)
    nnz = int(np.count_nonzero(support))
    sparse = n > 300 and nnz < 0.05 * n * n
    if sparse:
        # deferred: scipy.sparse loads only for large sparse networks (n > 300, < 5% synapses)
        from scipy.sparse import csr_matrix

        K = csr_matrix(K)
    work = _Costs(K, pf, sparse)
    del K
    h = np.zeros(n)
    rin, rout = work.in_out(h)
    total = float(rin.sum())
    imb = imb0 = float(np.linalg.norm(rin - rout) / total)
    cost0 = total * math.exp(log_scale) + diag_cost if log_scale < 700 else math.inf
    history: list[tuple[str, float]] = []
    if progress:
        progress("start", 0, imb0)

    it = 0
    phase = "newton" if method == "newton" else "jacobi"
    used: list[str] = []
    message = ""
    omega = 1.0
    ratios: list[float] = []
    stall = slow = 0
    current = phase
    # iterate to a margin below tol: the imbalance recomputed from the returned J (the number that
    # decides `converged`) carries the rounding of the final rescaling
    target = 0.25 * tol
    while imb > target and it < max_iter:
        if phase not in used:
            used.append(phase)
        it += 1
        if progress and it > 1:
            progress(current, it - 1, imb)
        current = phase
        if phase == "jacobi":
            # every gain jumps to its exact single-coordinate minimiser: in_k e^{-p d} = out_k e^{p d}
            live = (rin > 0) & (rout > 0)
            if live.all():  # the usual case: no masked copies (same values)
                step = (omega / (2.0 * pf)) * np.log(rin / rout)
            else:
                step = np.zeros(n)
                step[live] = (omega / (2.0 * pf)) * np.log(rin[live] / rout[live])
            h_new = h + step
            rin_n, rout_n = work.rebase_in_out(h_new)
            tot_n = float(rin_n.sum())
            imb_n = _norm(rin_n - rout_n) / tot_n if tot_n > 0 else 0.0
            if not math.isfinite(imb_n) or imb_n > imb:
                # overshoot (e.g. the alternating mode of a bipartite graph): damp, retry
                omega *= 0.5
                stall += 1
                if method == "auto":
                    phase = "newton"
                elif omega < 1e-3:
                    message = "Jacobi sweeps stopped making progress"
                    break
                continue
            ratios.append(imb_n / imb)
            h, rin, rout, imb = h_new, rin_n, rout_n, imb_n
            history.append(("jacobi", imb))
            if len(ratios) >= 2 and imb > target:
                rho = max(ratios[-2:])
                remaining = math.log(target / imb) / math.log(rho) if rho < 1.0 else math.inf
                if method == "auto" and rho > _JACOBI_SLOW and remaining > 3:
                    phase = "newton"
                elif method == "jacobi" and rho > 1 - 1e-4:
                    stall += 1
                    if stall >= 20:
                        message = "Jacobi sweeps stopped making progress"
                        break
                else:
                    stall = 0
        else:
            c_now = float(rin.sum())
            ok, h_new, rin_n, rout_n, imb_n = _newton_step(work, h, rin, rout, imb, labels, ncomp, target)
            if not ok:
                stall += 1
                if stall >= 3:
                    message = (f"Newton steps stopped improving at relative imbalance {imb:.3g} "
                               "(the floating-point limit for this network)")
                    break
                continue
            # quadratic convergence ends at rounding level: stop after 5 steps in a row that neither
            # halve the imbalance nor lower the cost measurably (far from balance the cost drops)
            flat = float(rin_n.sum()) >= c_now * (1.0 - 1e-12)
            slow = slow + 1 if (imb_n > 0.5 * imb and flat) else 0
            stall = 0
            h, rin, rout, imb = h_new, rin_n, rout_n, imb_n
            history.append(("newton", imb))
            if slow >= 5 and imb > target:
                message = (f"Newton steps stopped improving at relative imbalance {imb:.3g} "
                           "(the floating-point limit for this network)")
                break

    if progress and it > 0:
        progress(current, it, imb)
    h = _center(h, labels, ncomp)
    res = _result(A, Wi, Wo, bb, h, it, pf, al, comps, "+".join(used) if used else "none", tol, cost0,
                  imb0, t0, message, history, reached=imb <= target)
    if progress:
        progress("done", it, res.imbalance)
    return res


# Jacobi sweeps hand over to Newton when one sweep shrinks the imbalance by less than this factor.
_JACOBI_SLOW = 0.3
