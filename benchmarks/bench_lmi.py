"""Euclidean (l2) rate optimisation benchmark: certify.search.lmi.search_metric vs a plain cvxpy + SCS bisection.

    python benchmarks/bench_lmi.py [--quick] [--sizes 10 50 100 200] [--full-max-n 100] [--ref-max-iters K]

For each size n, in one run and side by side (form H, g = 1, a seeded network near the edge of the LMI):

  ours        search_metric(W, 1, "H") with diagonal P (defaults: barrier method, dual bound, margin)
  plain       reference_bisection: cvxpy + SCS at default settings, 10 halvings of [0, 1], feasibility of
              M(c) <= 0 with P >= 1e-3 I, the solver's "optimal" taken at face value
  ours-full   search_metric(..., structure="full") for n <= --full-max-n (barrier up to n = 40, SCS above)

Columns: wall seconds; the rate c returned; "verified": is_pd_verified(-M(c)) (the kernel's rigorous test)
for the returned (P, lam, c); lmax: lambda_max(M(c)) (> 0 means the returned triple violates the LMI) and
lmax / max|M|; rel: c / c*_hi - 1 (for full P too, so it shows how much a full metric gains),
where [c*_lo, c*_hi] brackets the best rate the diagonal LMI allows
(c*_lo a proved rate, c*_hi a dual upper bound, both from a precise run of the same search with
rel_tol = 2e-4 that is not timed). "within 1%" holds when c >= 0.99 c*_hi.

The network: W = rho W~, W~_ij ~ N(0, 1/n) (seed n), rho = 0.95 rho_edge, where rho_edge (the scale at
which the best diagonal-LMI rate is 0) comes from the scaling identity c*(rho) = 1 - rho / rho_edge applied
to a precise run at rho = 0.5. So c* is about 0.05: contracting, but near the edge, where plain SCS
struggles most (BASELINES.md).

--quick: sizes 10 and 50, full P up to n = 50. --blas-threads 1 runs "ours" the old way (one OpenBLAS thread,
no split products) for a before/after comparison on the same machine. --ref-max-iters caps SCS's iterations per solve in the
plain bisection (default: SCS's own default, as a plain user would run it).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from certify.kernel.verified import is_pd_verified  # noqa: E402
from certify.search.lmi import lmi_matrix, reference_bisection, search_metric  # noqa: E402

G = 1.0
FORM = "H"


def network(n: int) -> tuple[np.ndarray, float, float, float]:
    """(W, rho, c*_lo, c*_hi) for size n."""
    rng = np.random.default_rng(n)
    Wt = rng.standard_normal((n, n)) / np.sqrt(n)
    r0 = search_metric(0.5 * Wt, G, FORM, rel_tol=2e-4)
    rho = 0.95 * 0.5 / (1.0 - r0.c_proved)
    W = rho * Wt
    precise = search_metric(W, G, FORM, rel_tol=2e-4)
    return W, rho, precise.c_proved, precise.c_upper


def check(W: np.ndarray, P, lam, c: float) -> tuple[bool, float, float]:
    if P is None:
        return False, float("nan"), float("nan")
    M = lmi_matrix(W, G, FORM, P, lam, c)
    lmax = float(np.linalg.eigvalsh(M)[-1])
    return bool(is_pd_verified(-M)), lmax, lmax / float(np.abs(M).max())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sizes 10 and 50 only")
    ap.add_argument("--sizes", type=int, nargs="+", default=None)
    ap.add_argument("--full-max-n", type=int, default=None, help="largest n for the full-P variant (100)")
    ap.add_argument("--ref-max-iters", type=int, default=None, help="cap SCS iterations in the plain bisection")
    ap.add_argument("--no-ref", action="store_true", help="skip the plain bisection")
    ap.add_argument("--blas-threads", default="auto",
                    help="search_metric's blas_threads for 'ours' ('auto': both cores through split products; "
                         "an integer: OpenBLAS threads)")
    args = ap.parse_args(argv)
    threads = args.blas_threads if args.blas_threads == "auto" else int(args.blas_threads)
    sizes = args.sizes or ([10, 50] if args.quick else [10, 50, 100, 200])
    full_max = args.full_max_n if args.full_max_n is not None else (50 if args.quick else 100)

    import cvxpy
    import scs

    print(f"# bench_lmi: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, numpy {np.__version__}, cvxpy {cvxpy.__version__}, scs {scs.__version__}")
    print(f"# form {FORM}, g = {G}; W = rho W~ near the edge (c* ~ 0.05); times are wall seconds\n")
    rows = []
    for n in sizes:
        t = time.perf_counter()
        W, rho, c_lo, c_hi = network(n)
        prep = time.perf_counter() - t
        print(f"n = {n}: rho = {rho:.6f}, best diagonal-LMI rate c* in [{c_lo:.6f}, {c_hi:.6f}] "
              f"(precise run, {prep:.1f} s, not timed below)", flush=True)

        res = search_metric(W, G, FORM, blas_threads=threads)  # res.seconds: the search alone
        ok, lmax, lrel = check(W, res.P, res.lam, res.c)
        rows.append(dict(n=n, method="ours (diag)", sec=res.seconds, c=res.c, ok=ok, lmax=lmax, lrel=lrel,
                         rel=res.c / c_hi - 1, note=f"{res.status}, {res.solves} solves, {res.newton_steps} "
                         f"Newton steps, dual bound {res.c_upper:.6f}"))
        print(f"  ours (diag):  {res.seconds:8.2f} s  c = {res.c:.6f}  verified = {ok}  "
              f"gap to own bound {100 * res.gap / max(res.c_proved, 1e-12):.2f}%", flush=True)
        if not args.no_ref:
            ref = reference_bisection(W, G, FORM, n_bisect=10, max_iters=args.ref_max_iters)
            ok, lmax, lrel = check(W, ref.P, ref.lam, ref.c)
            n_opt = sum(s == "optimal" for s in ref.statuses)
            rows.append(dict(n=n, method="plain SCS", sec=ref.seconds, c=ref.c, ok=ok, lmax=lmax, lrel=lrel,
                             rel=ref.c / c_hi - 1, note=f"{n_opt}/{ref.solves} 'optimal'"))
            print(f"  plain SCS:    {ref.seconds:8.2f} s  c = {ref.c:.6f}  verified = {ok}  "
                  f"lambda_max(M) = {lmax:+.2e}", flush=True)
        if n <= full_max:
            full = search_metric(W, G, FORM, structure="full")
            ok, lmax, lrel = check(W, full.P, full.lam, full.c)
            rows.append(dict(n=n, method=f"ours (full, {full.solver})", sec=full.seconds, c=full.c, ok=ok,
                             lmax=lmax, lrel=lrel, rel=full.c / c_hi - 1,
                             note=f"{full.status}, {full.solves} solves, dual bound {full.c_upper:.6f}"))
            print(f"  ours (full):  {full.seconds:8.2f} s  c = {full.c:.6f}  verified = {ok}  "
                  f"solver {full.solver}", flush=True)

    print("\n| n | method | seconds | ratio | c | c / c*_hi(diag) - 1 | verified | lambda_max(M) | / max|M| | note |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ours = next(x for x in rows if x["n"] == r["n"] and x["method"] == "ours (diag)")
        print(f"| {r['n']} | {r['method']} | {r['sec']:.2f} | {r['sec'] / ours['sec']:.1f} | {r['c']:.6f} | "
              f"{100 * r['rel']:+.2f}% | {'yes' if r['ok'] else 'NO'} | {r['lmax']:+.2e} | {r['lrel']:+.1e} | "
              f"{r['note']} |")
    print("\nratio = seconds / seconds of ours (diag). Target (issue 3): n = 200, diagonal P, rate within 1% of the"
          " best the LMI allows, in <= 10 s.")
    for r in rows:
        if r["method"] == "ours (diag)" and r["n"] == 200:
            met = r["sec"] <= 10 and r["rel"] >= -0.01 and r["ok"]
            print(f"n = 200: {r['sec']:.2f} s, c / c*_hi - 1 = {100 * r['rel']:+.2f}%, verified = {r['ok']}: "
                  f"target {'MET' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
