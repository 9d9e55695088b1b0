"""The metric search (UNTRUSTED): `search_metric` runs the Dinkelbach iteration on the rate with the barrier
method or a cvxpy solver, keeps the best (P, lam) by its exact rate, stops on the dual bound, and returns the
candidate with its rate lowered just enough for -M(c) to pass the kernel's verified Cholesky with margin.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from certify.errors import InputError
from certify.kernel.verified import is_pd_verified
from certify.output.progress import note
from certify.search.lmi.barrier import _Lmi, _margin_sdp_barrier
from certify.search.lmi.blas_threads import _BlasThreads, _SplitProducts
from certify.search.lmi.cvxpy_bridge import _CvxMargin
from certify.search.lmi.dual_bound import _repair_and_bound, lmi_upper_bound
from certify.search.lmi.full_metric import search_full
from certify.search.lmi.problem import (
    STRUCTURES,
    Form,
    Structure,
    _assemble,
    _form,
    _normalise,
    _offdiag,
    _rate,
    _slope,
    _weights,
)

SOLVERS: tuple[str, ...] = ("auto", "BARRIER", "FREQUENCY", "SCS", "CLARABEL")

#: full P is solved by the barrier method up to this size (its Newton system has n(n+1)/2 + n unknowns); above it
#: by the frequency-domain search over the multiplier alone (full_metric.py: n + 1 unknowns, P from a Riccati solve)
BARRIER_FULL_MAX_N = 16
#: relative margin kept in the returned certificate: lambda_min(-M(c)) >= MARGIN_REL * max|M|
MARGIN_REL = 1e-7
#: diagonal P: the bound step comes once the next Dinkelbach gain is predicted (gain^2 / previous gain) below
#: _PREDICT x the tolerance; it starts at t = -_BOUND_SCALE x its offset (closer to where it ends than the
#: Dinkelbach solves' start, which cost 8 damped Newton steps more per bound step)
_PREDICT = 1.0
#: from this n on the bound step comes at a predicted gain below twice the tolerance: a Newton step costs O(n^3)
#: there, and the bound step improves the rate too (bench networks: n = 400 57 -> 45 steps, n = 1000 54 -> 48, gaps
#: smaller; random n = 400 networks the same or fewer steps; below this size it helped some networks and hurt others)
_PREDICT_LARGE, _PREDICT_LARGE_MIN_N = 2.0, 300
_BOUND_SCALE = 3.0


@dataclass(frozen=True)
class MetricResult:
    """A candidate Euclidean contraction certificate from the multiplier LMI (UNTRUSTED until the kernel
    re-checks it).

    P: the metric (n x n, symmetric; diagonal when structure == "diag"), scaled so that lambda_min(P) is
    in [1, 4) (a scaling by an even power of two, exact), or None when nothing was found. lam: the multiplier
    diagonal (>= 0). c: the rate the candidate is claimed for -- slightly below `c_proved` (the exact
    rate of (P, lam), `best_rate_for`) so that -M(c) is positive definite with margin; -M(c) has passed
    `is_pd_verified` whenever P is not None (a note says when the diagonally scaled margin is thinner
    than MARGIN_REL). status:

      "certified"    c > 0: a contraction certificate with margin;
      "infeasible"   no c > 0 is possible with this LMI and this structure of P: the dual bound
                     c_upper <= 0 (P, lam, c then describe the best, non-contracting, rate found);
      "inconclusive" the best rate found is <= 0 but the dual bound does not exclude c > 0;
      "failed"       the solver produced nothing usable (crash, error, budget exhausted first).

    c_upper: an upper bound on the best rate this LMI allows with this structure (from a dual matrix,
    computed in floating point: evidence, not proof), or inf. gap = c_upper - c_proved.
    """

    P: np.ndarray | None
    lam: np.ndarray | None
    c: float
    structure: str
    solver: str
    status: str
    seconds: float
    solves: int
    notes: tuple[str, ...] = ()
    c_proved: float = -math.inf
    c_upper: float = math.inf
    newton_steps: int = 0
    history: tuple[tuple[float, float], ...] = field(default=(), repr=False)

    @property
    def certified(self) -> bool:
        return self.status == "certified"

    @property
    def gap(self) -> float:
        return self.c_upper - self.c_proved


#: from this n on, the start's grid of multipliers is ranked by an estimate and only the chosen one is rated exactly
_ESTIMATE_START_MIN_N = 300


def _sigma_max_estimate(M: np.ndarray, iters: int = 20) -> float:
    """The largest singular value of M by power iteration on M^T M from a fixed vector (deterministic; a lower
    estimate, used only to rank candidates)."""
    v = np.full(M.shape[1], 1.0 / math.sqrt(M.shape[1]))
    for _ in range(iters):
        w = M.T @ (M @ v)
        nw = float(np.linalg.norm(w))
        if not nw > 0:
            return 0.0
        v = w / nw
    return float(np.linalg.norm(M @ v))


def _initial(W: np.ndarray, g: float, form: str) -> tuple[np.ndarray, np.ndarray, float]:
    """P = I and the best lam = s 1 on a coarse grid of s. With P = I the rate of lam = s 1 is
    1 - sigma_max(B)^2 / (4 s) (B = W + g s I for H, I + g s W for FR), so for large n the grid is ranked by a
    power-iteration estimate of sigma_max (O(n^2) per step) and only the chosen s gets the exact rate (O(n^3))."""
    n = W.shape[0]
    P = np.eye(n)
    grid = np.geomspace(1e-2, 1e2, 9) / g
    if n >= _ESTIMATE_START_MIN_N:
        def estimate(s: float) -> float:
            B = W + g * s * np.eye(n) if form == "H" else np.eye(n) + g * s * W
            return 1.0 - _sigma_max_estimate(B) ** 2 / (4.0 * s)
        grid = [max(grid, key=estimate)]
    best = (P, np.ones(n) / g, -math.inf)
    for s in grid:
        lam = np.full(n, s)
        r = _rate(W, g, form, P, lam)
        if r > best[2]:
            best = (P, lam, r)
    return best


def _min_eig_above(S: np.ndarray, floor: float) -> bool:
    """Whether the symmetric S has lambda_min > floor, in floating point (a search heuristic, not a proof): one
    Cholesky of S - floor I instead of all the eigenvalues."""
    shifted = S.copy()
    shifted[np.diag_indices_from(shifted)] -= floor
    try:
        np.linalg.cholesky(shifted)
    except np.linalg.LinAlgError:
        return False
    return True


def _with_margin(W, g, form, P, lam, r) -> tuple[float, str]:
    """The largest c = r - delta (delta on a geometric grid) with -M(c) verified positive definite by
    the kernel's test and, if possible, with a relative margin (after diagonal scaling lambda_min >=
    MARGIN_REL, so that small perturbations, e.g. rounding to shorter rationals, keep it definite).
    Returns (c, "margin" | "thin" | "none")."""
    B = _offdiag(W, g, form, P, lam)
    base = max(abs(r), 1e-3 * max(1.0 - r, 1.0), 1e-12)
    thin = None
    for k in range(12):
        c = r - base * 1e-7 * 10.0**k
        M = _assemble(P, B, lam, c)
        dg = -np.diag(M)
        if np.any(dg <= 0) or not np.all(np.isfinite(M)):
            break
        if not is_pd_verified(-M):
            continue
        s = 1.0 / np.sqrt(dg)
        if _min_eig_above(-M * s[:, None] * s[None, :], MARGIN_REL):
            return c, "margin"
        if thin is None:
            thin = c
        if k >= 4:  # lowering c further does not widen the margin (it lies in the multiplier block)
            break
    return (thin, "thin") if thin is not None else (r, "none")


def search_metric(W: object, g: float, form: Form, *, structure: Structure = "diag", solver: str = "auto",
                  max_iters: int | None = None, time_budget: float | None = None, rel_tol: float = 5e-3,
                  upper_bound: bool = True, blas_threads: int | str | None = "auto") -> MetricResult:
    """Search a metric P (diagonal or full), a multiplier lam and the best rate c of the multiplier LMI.

    solver: "BARRIER" (the log-barrier method of this module; default for diagonal P and for full P
    with n <= BARRIER_FULL_MAX_N), "FREQUENCY" (full P only, the default above that size: the search
    over the multiplier alone through the frequency domain, P from a Riccati solve; full_metric.py),
    "SCS" or "CLARABEL" (through cvxpy). max_iters: Newton steps in all (BARRIER default 600,
    FREQUENCY 400) or iterations per solve (SCS default 1000 at eps 1e-5, Clarabel 100). time_budget:
    seconds; the best candidate found so far is returned when it runs out. rel_tol: stop when the dual upper bound is within this relative distance of the
    best rate found (upper_bound=False skips the bound: faster, but "within 1%" is then unchecked).

    blas_threads: "auto" (default) pins OpenBLAS to one thread and splits the large products of the diagonal-P
    barrier (n >= 300) over two threads of its own on a machine with two cores or more (never OpenBLAS's own
    threads, which spin when another process takes a core: blas_threads.py; the split does not depend on the
    load, so a search is reproducible); an int k sets OpenBLAS to k threads instead, None leaves them alone (both
    restored afterwards; neither changes what is proved).

    The result's (P, lam, c) always has -M(c) positive definite with margin (checked by the kernel's
    verified Cholesky) when P is not None; statuses are documented on MetricResult.
    """
    ours = solver in ("auto", "BARRIER", "FREQUENCY")
    auto = isinstance(blas_threads, str) and blas_threads == "auto"
    with _BlasThreads((1 if auto else blas_threads) if ours else None), _SplitProducts(ours and auto):
        return _search_metric(W, g, form, structure, solver, max_iters, time_budget, rel_tol, upper_bound)


def _search_metric(W, g, form, structure, solver, max_iters, time_budget, rel_tol, upper_bound) -> MetricResult:
    func = "search_metric"
    t0 = time.perf_counter()
    A = _weights(W, func)
    n = A.shape[0]
    gf, fm = _slope(g, func), _form(form, func)
    if structure not in STRUCTURES:
        raise InputError(f"{func}: argument 'structure' must be 'diag' or 'full', got {structure!r}",
                         symbol="structure")
    if solver not in SOLVERS:
        raise InputError(f"{func}: argument 'solver' must be one of {', '.join(SOLVERS)}, got {solver!r}",
                         symbol="solver")
    if not (isinstance(rel_tol, (int, float)) and 0 < rel_tol < 1):
        raise InputError(f"{func}: argument 'rel_tol' must be in (0, 1), got {rel_tol!r}", symbol="rel_tol")
    full = structure == "full"
    if solver == "FREQUENCY" and not full:
        raise InputError(f"{func}: solver 'FREQUENCY' searches a full metric only", symbol="solver",
                         hint="use structure='full', or solver='BARRIER' for a diagonal P")
    if solver == "auto":
        solver = "FREQUENCY" if (full and n > BARRIER_FULL_MAX_N) else "BARRIER"
    deadline = None if time_budget is None else t0 + float(time_budget)
    notes: list[str] = []

    P0, lam0, r0 = _initial(A, gf, fm)
    best = {"P": P0, "lam": lam0, "r": r0}
    c_upper = math.inf
    history: list[tuple[float, float]] = [(time.perf_counter() - t0, r0)]
    solves = 0
    newton = 0

    def tol_abs() -> float:
        r = best["r"]
        return rel_tol * max(abs(r), 1e-3 * max(1.0 - r, 1.0)) / 2.0

    def consider(P: np.ndarray, lam: np.ndarray, r: float | None = None) -> float:
        """Keep (P, lam) if its exact rate r (computed here unless the caller has it) beats the best so far."""
        r = _rate(A, gf, fm, P, lam) if r is None else r
        if r > best["r"]:
            best.update(P=P, lam=lam, r=r)
            history.append((time.perf_counter() - t0, r))
        return r

    def out_of_time() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    if solver == "BARRIER":
        lmi = _Lmi(A, gf, fm, full)
        budget = 600 if max_iters is None else int(max_iters)
        gain = 0.1 * max(1.0 - best["r"], 1e-3)
        gains: list[float] = []  # the rate gains of the Dinkelbach solves so far
        bound_steps = 0
        while newton < budget and not out_of_time():
            c = best["r"]
            if not math.isfinite(c):
                notes.append("no finite rate at the starting point")
                break
            Pref = best["P"]
            x0 = lmi.x_of(Pref, best["lam"])
            t_scale = max(gain, 10 * tol_abs())
            # Dinkelbach converges superlinearly: when the next gain is predicted below the tolerance,
            # go straight to the bound step (it also improves the rate if the prediction was wrong)
            predicted = gains[-1] ** 2 / gains[-2] if len(gains) >= 2 and gains[-2] > 0 else math.inf
            factor = _PREDICT_LARGE if n >= _PREDICT_LARGE_MIN_N else _PREDICT
            bound_step = gain <= tol_abs() or (not full and predicted <= factor * tol_abs())
            if bound_step:
                if _BOUND_SCALE > 0 and not full:
                    t_scale = _BOUND_SCALE * (1.0 + 0.8 * bound_steps) * tol_abs()
                # near the optimum: solve the margin SDP just above it, well centred, for a dual bound
                c_s = c + (1.0 + 0.8 * bound_steps) * tol_abs()
                inner = _margin_sdp_barrier(lmi, c_s, x0, Pref, gap_tol=tol_abs() / 8, t_stop=None,
                                            max_steps=budget - newton, deadline=deadline, t_scale=t_scale,
                                            lam_ref=best["lam"], kappa=0.0, final_center_tol=1e-12)
                bound_steps += 1
            else:
                c_s = c
                inner = _margin_sdp_barrier(lmi, c, x0, Pref, gap_tol=tol_abs() / 4, t_stop=tol_abs(),
                                            max_steps=budget - newton, deadline=deadline, t_scale=t_scale,
                                            lam_ref=best["lam"])
            solves += 1
            newton += inner.steps
            xp, lam = lmi.split(inner.x)
            r_new = consider(lmi.P(xp), lam)
            if inner.Z is not None and upper_bound:
                Z = inner.Z
                c_upper = min(c_upper, _repair_and_bound(A, gf, fm, Z[:n, :n], Z[:n, n:], Z[n:, n:], full))
            note(f"LMI ({'full' if full else 'diagonal'} P, n = {n}): solve {solves}, rate {best['r']:.6g}, "
                 f"dual bound {c_upper:.6g}, {newton} Newton steps")
            if c_upper - best["r"] <= 2 * tol_abs():
                break
            gain = max(r_new - c, 0.0)
            if not bound_step:
                gains.append(gain)
            if not upper_bound and gain <= tol_abs():
                break
            if bound_step and (gain <= tol_abs() and bound_steps >= 2 or not inner.ok):
                break
        if newton >= budget:
            notes.append(f"Newton step budget ({budget}) reached")
    elif solver == "FREQUENCY":
        found = search_full(A, gf, fm, best["lam"], rel_tol=rel_tol, deadline=deadline,
                            max_steps=400 if max_iters is None else int(max_iters))
        solves, newton = found.solves, found.steps
        notes.extend(found.notes)
        if upper_bound:
            c_upper = found.c_upper
        if found.P is not None:
            consider(found.P, found.lam, found.rate)
    else:
        eps = 1e-5
        its = (1000 if solver == "SCS" else 100) if max_iters is None else int(max_iters)
        try:
            prob = _CvxMargin(A, gf, fm, full, solver, its, eps)
        except Exception as exc:  # noqa: BLE001 -- cvxpy may raise anything while compiling
            notes.append(f"cvxpy could not build the problem: {exc!r}")
            prob = None
        stalled = False
        for _ in range(40):
            if prob is None or out_of_time():
                break
            c = best["r"]
            if not math.isfinite(c):
                break
            bound_step = stalled or (c_upper - c) <= 2 * tol_abs()
            c_solve = c + tol_abs() if bound_step else c
            res = prob.solve(c_solve, best["P"], best["lam"])
            solves += 1
            if res is None:
                notes.append(f"{solver} failed (solve {solves})")
                if bound_step:
                    break
                stalled = True
                continue
            P, lam, t, Z, st = res
            r_new = consider(P, lam)
            if Z is not None and upper_bound:
                c_upper = min(c_upper, lmi_upper_bound(A, gf, fm, Z, structure))
            if c_upper - best["r"] <= 2 * tol_abs():
                break
            if bound_step and r_new <= c_solve:
                break
            if not upper_bound and r_new - c <= tol_abs():
                break
            stalled = r_new - c <= tol_abs()

    P, lam, r = best["P"], best["lam"], best["r"]
    if not math.isfinite(r):
        return MetricResult(None, None, -math.inf, structure, solver, "failed", time.perf_counter() - t0,
                            solves, tuple(notes), -math.inf, c_upper, newton, tuple(history))
    P, lam = _normalise(P, lam)   # an exact scaling that leaves the rate r unchanged, bit for bit
    c, margin = _with_margin(A, gf, fm, P, lam, r)
    ok = margin != "none"
    if margin == "thin":
        notes.append(f"thin margin: -M(c) verified positive definite, but its diagonally scaled smallest "
                     f"eigenvalue is below {MARGIN_REL:g}")
    gap_txt = (f"{100 * (c_upper - r) / max(abs(r), 1e-12):.2f}% above it" if math.isfinite(c_upper)
               else "no bound")
    notes.insert(0, f"best rate proved {r:.6g} ({structure} P, {solver}); dual upper bound {c_upper:.6g} "
                    f"({gap_txt}); returned c = {c:.6g} keeps a margin")
    if not ok:
        notes.append("could not verify -M(c) > 0 for the best candidate")
        status = "failed"
    elif c > 0:
        status = "certified"
    elif c_upper <= 0:
        status = "infeasible"
        notes.append(f"the dual bound shows no rate above {c_upper:.6g} with {structure} P")
    else:
        status = "inconclusive"
    if c_upper < r - 1e-9 * max(1.0, abs(r)):
        notes.append(f"dual bound {c_upper:.6g} below the proved rate {r:.6g}: numerical trouble")
    elif upper_bound and c_upper - r > rel_tol * max(abs(r), 1e-3):
        notes.append(f"the dual bound {c_upper:.6g} is not within rel_tol of the rate {r:.6g}: the optimum "
                     f"may lie higher (or the dual matrix was poor: degenerate problems, SCS accuracy)")
    return MetricResult(P if ok else None, lam if ok else None, c if ok else -math.inf, structure, solver,
                        status, time.perf_counter() - t0, solves, tuple(notes), r, c_upper, newton,
                        tuple(history))
