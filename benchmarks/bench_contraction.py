"""Non-Euclidean certificates at scale and the kernel's LMI check, each beside a baseline in one run.

1. Perron weights for weighted linf (form FR): ARPACK on the Metzler majorant + the kernel's rigorous
   rate, against the dense eigen-decomposition baseline (certify.search.measures.best_weighted_linf) where
   that is affordable. Target (issue 3): n = 10,000 in <= 10 s.
2. The kernel's LMI check: exact rational LDL^T against the verified floating-point Cholesky (Rump)
   for n = 20 ... 1000 (the LMI matrix is 2n x 2n). Target: n = 1000 in <= 2 s.

    python benchmarks/bench_contraction.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certify.search.contraction import perron_weights  # noqa: E402
from certify.kernel import contraction as kc  # noqa: E402
from certify.search.measures import best_weighted_linf  # noqa: E402


def random_network(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, n))
    return 0.8 * W / np.abs(W).sum(axis=1).max()     # mu_inf(W) < 1: contracting for g = 1


def perron_table(sizes, dense_limit):
    print("Perron weights, form FR, weighted linf (g = 1)")
    print(f"{'n':>6} {'ours s':>8} {'rate':>10} {'dense eig s':>12} {'ratio':>7}")
    worst = 0.0
    for n in sizes:
        W = random_network(n)
        start = time.perf_counter()
        eta = perron_weights(W, "linf")
        rate = kc.weighted_rate(W if n > kc.EXACT_WEIGHTED_LIMIT else [[Fraction(float(x)) for x in r] for r in W],
                                1, "FR", "linf", eta if n > kc.EXACT_WEIGHTED_LIMIT
                                else [Fraction(float(x)) for x in eta])
        ours = time.perf_counter() - start
        if n <= dense_limit:
            start = time.perf_counter()
            best_weighted_linf(W)
            dense = time.perf_counter() - start
            dense_s, ratio = f"{dense:12.3f}", f"{dense / ours:7.1f}"
        else:
            dense_s, ratio = f"{'skipped':>12}", f"{'-':>7}"
        worst = max(worst, ours if n == max(sizes) else 0)
        print(f"{n:>6} {ours:8.3f} {float(rate):10.4f} {dense_s} {ratio}")
    return worst


def lmi_table(sizes, exact_limit):
    print("\nKernel LMI check (form H, g = 1, P = I, lam = 1/2, c = 1/10): exact vs verified Cholesky")
    print(f"{'n':>6} {'verified s':>11} {'exact s':>9} {'ratio':>7}")
    worst = 0.0
    for n in sizes:
        rng = np.random.default_rng(n)
        W = rng.normal(size=(n, n)) / np.sqrt(n) * 0.3
        P, lam = np.eye(n), np.full(n, 0.5)
        start = time.perf_counter()
        from certify.kernel.verified import is_pd_verified, lmi_matrix_float
        minusM, R = lmi_matrix_float(W, Fraction(1), "H", P, lam, Fraction(1, 10))   # the kernel's float path
        ok = is_pd_verified(minusM, R, overwrite=True)
        verified = time.perf_counter() - start
        if not ok:
            print(f"{n:>6}  verification FAILED")
            continue
        if n <= exact_limit:
            from certify.kernel import exact
            start = time.perf_counter()
            ok_exact = exact.is_pd_exact(kc._lmi_exact(W, Fraction(1), "H", P, lam, Fraction(1, 10)))
            ex = time.perf_counter() - start
            ex_s, ratio = f"{ex:9.3f}", f"{ex / verified:7.1f}"
            if not ok_exact:
                ex_s = "  REJECTED"
        else:
            ex_s, ratio = f"{'skipped':>9}", f"{'-':>7}"
        worst = max(worst, verified if n == max(sizes) else 0)
        print(f"{n:>6} {verified:11.3f} {ex_s} {ratio}")
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    perron_sizes = (100, 1000, 2000) if args.quick else (100, 1000, 2000, 5000, 10000)
    lmi_sizes = (20, 50, 100) if args.quick else (20, 50, 100, 200, 500, 1000)
    t_perron = perron_table(perron_sizes, dense_limit=2000)
    t_lmi = lmi_table(lmi_sizes, exact_limit=50)
    print(f"\nlargest Perron case: {t_perron:.2f} s (target <= 10 s at n = 10,000); "
          f"largest LMI check: {t_lmi:.2f} s (target <= 2 s at n = 1000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
