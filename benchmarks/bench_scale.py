"""Networks of thousands of neurons: each path of issue 13 beside a baseline, in one run, as ratios.

    python benchmarks/bench_scale.py [--quick] [--cases plastic sparse lmi perron]

Every measurement runs in a fresh Python process (so the peak memory is that case's alone, read from
getrusage); seconds exclude the interpreter start and the imports, include reading the files. Cases:

  plastic  a rule + W0 (Hebbian with decay, tanh network, the contracting claim) from a .npy file: the whole
           decision (`check_rule`). Baseline: what every W0 went through before, one step of it only: W0 as n^2
           Fractions and mu_2(W0) <= b proved in exact rationals (a decision took this step once per flow proof);
           at the sizes where it finishes in minutes.
  sparse   a fixed network from a scipy.sparse .npz with 10 nonzeros per row, the contracting claim in weighted
           l1: the whole decision. Baseline: SciPy's ARPACK (`eigs`) on the sparse Metzler majorant alone, the
           one numerical step a hand-written check could not skip (no verification at all).
  lmi      the kernel's re-check of an l2 certificate (diagonal P) of an n-neuron network, i.e. a verified
           Cholesky of the 2n x 2n LMI matrix with its rigorous error bound. Baseline: numpy's plain Cholesky of
           the same matrix formed in floating point (no error bound: not a proof).
  perron   a dense fixed network (binary64 W0 array), the contracting claim: the whole decision, where the
           weighted l1/linf certificate makes the l2 metric search unnecessary above n = 200. Baseline: numpy's
           dense eigen-decomposition of the majorant alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# -- the child: one measurement ----------------------------------------------------------------------------------

def _network(n: int, seed: int = 0):
    import numpy as np
    W = np.random.default_rng(seed).normal(size=(n, n))
    return 0.5 * W / np.abs(W).sum(axis=1).max()


def _sparse_network(n: int, k: int = 10, seed: int = 0):
    import numpy as np
    import scipy.sparse as sps
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), k)
    cols = rng.integers(0, n, size=n * k)
    A = sps.csr_matrix((rng.normal(size=n * k), (rows, cols)), shape=(n, n))
    A.sum_duplicates()
    return (A * (0.8 / abs(A).sum(axis=1).max())).tocsr()


PLASTIC = """[rule]
name = "hebbian-decay-network"
dW = "-gamma*W + k*x*x.T"
[parameters]
gamma = [1, 2]
k = "[0, {k}]"
[activity]
x = [-1, 1]
[network]
form = "H"
activation = "tanh"
W0 = {w0}
[claim]
measure = "l2"
bound = "contracting"
"""

FIXED = """[rule]
name = "fixed-network"
dW = "0"
[network]
form = "H"
activation = "tanh"
W0 = "{w0}"
[claim]
measure = "l1"
bound = "contracting"
"""


def child(case: str, n: int, mode: str) -> dict:
    import numpy as np
    from fractions import Fraction

    from certify.check import check_rule
    from certify.lang.rule import Rule

    tmp = Path(tempfile.mkdtemp())
    info = ""
    if case == "plastic":
        W = _network(n)
        k = Fraction(1, 10 * n)
        if mode == "ours":
            np.save(tmp / "W0.npy", W)
            (tmp / "r.toml").write_text(PLASTIC.format(k=f"{k.numerator}/{k.denominator}", w0='"W0.npy"'))
            start = time.perf_counter()
            rep = check_rule(Rule.from_file(tmp / "r.toml"))
            seconds = time.perf_counter() - start
            info = rep.verdict.value
        else:
            # the previous path: W0 as n^2 Fractions and the l2 start value mu_2(W0) <= b proved in exact rationals
            # (a decision did this once per flow proof); only this one step, so the ratio understates the gain
            from certify.kernel import contraction as kc
            from certify.search.proposals import start_proposals
            start = time.perf_counter()
            rows = [[Fraction(x) for x in row] for row in W.tolist()]
            kc._start_value(rows, "l2", "measure", start_proposals(W, "l2", "measure"))
            seconds = time.perf_counter() - start
            info = "exact start value alone"
    elif case == "sparse":
        import scipy.sparse as sps
        A = _sparse_network(n)
        if mode == "ours":
            sps.save_npz(tmp / "W0.npz", A)
            (tmp / "r.toml").write_text(FIXED.format(w0="W0.npz"))
            start = time.perf_counter()
            rep = check_rule(Rule.from_file(tmp / "r.toml"))
            seconds = time.perf_counter() - start
            best = rep.results[0].network.best
            info = f"{rep.verdict.value}, rate {float(best.rate):.4f}"
        else:
            from scipy.sparse.linalg import eigs
            start = time.perf_counter()
            M = abs(A).tocsr()
            M.setdiag(A.diagonal())
            eigs(M.T, k=1, which="LR", tol=1e-10, maxiter=5000)
            seconds = time.perf_counter() - start
            info = "Perron vector only"
    elif case == "lmi":
        from certify.kernel import contraction as kc
        W = _network(n) * 0.6
        P, lam, c = np.eye(n), np.full(n, 0.5), Fraction(1, 10)
        if mode == "ours":
            start = time.perf_counter()
            info = kc.check_lmi(W, Fraction(1), "H", P, lam, c)
            seconds = time.perf_counter() - start
        else:
            start = time.perf_counter()
            M = np.empty((2 * n, 2 * n))
            M[:n, :n] = 1.8 * P
            M[:n, n:] = -(W + np.diag(lam))
            M[n:, :n] = M[:n, n:].T
            M[n:, n:] = np.diag(2 * lam)
            np.linalg.cholesky(M)
            seconds = time.perf_counter() - start
            info = "plain Cholesky"
    elif case == "perron":
        W = _network(n)
        if mode == "ours":
            np.save(tmp / "W0.npy", W)
            (tmp / "r.toml").write_text(FIXED.format(w0="W0.npy"))
            start = time.perf_counter()
            rep = check_rule(Rule.from_file(tmp / "r.toml"))
            seconds = time.perf_counter() - start
            info = f"{rep.verdict.value}, rate {float(rep.results[0].network.best.rate):.4f}"
        else:
            start = time.perf_counter()
            M = np.abs(W)
            np.fill_diagonal(M, np.diag(W))
            np.linalg.eig(M.T)
            seconds = time.perf_counter() - start
            info = "dense eig only"
    else:
        raise SystemExit(f"unknown case {case}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rss_mb": rss, "info": info}


# -- the driver ----------------------------------------------------------------------------------------------------

def measure(case: str, n: int, mode: str, timeout: float) -> dict | None:
    cmd = [sys.executable, __file__, "--child", case, str(n), mode]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    except subprocess.TimeoutExpired:
        return {"seconds": float("inf"), "rss_mb": float("nan"), "info": f"over {timeout:.0f} s"}
    if out.returncode != 0:
        return {"seconds": float("nan"), "rss_mb": float("nan"), "info": "failed: " + out.stderr.strip()[-200:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


SIZES = {"plastic": ([64, 128, 1000], [64, 300]), "sparse": ([10_000, 100_000], [10_000]),
         "lmi": ([1000, 2000, 5000], [500, 1000]), "perron": ([1000, 2000], [500])}
BASELINE_MAX_N = {"plastic": 128}      # the exact-fraction baseline takes minutes above this


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (a minute)")
    ap.add_argument("--cases", nargs="+", default=list(SIZES), choices=list(SIZES))
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per measurement")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        case, n, mode = args.child
        print(json.dumps(child(case, int(n), mode)))
        return 0
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'case':<8} {'n':>7} {'ours s':>8} {'ours MB':>8} {'base s':>8} {'base MB':>8} {'ratio':>7}  result")
    for case in args.cases:
        for n in SIZES[case][1 if args.quick else 0]:
            ours = measure(case, n, "ours", args.timeout)
            base = (measure(case, n, "base", args.timeout) if n <= BASELINE_MAX_N.get(case, n) else None)
            ratio = f"{ours['seconds'] / base['seconds']:7.2f}" if base and base["seconds"] > 0 else f"{'-':>7}"
            b_s = f"{base['seconds']:8.2f}" if base else f"{'-':>8}"
            b_m = f"{base['rss_mb']:8.0f}" if base else f"{'-':>8}"
            print(f"{case:<8} {n:>7} {ours['seconds']:8.2f} {ours['rss_mb']:8.0f} {b_s} {b_m} {ratio}  {ours['info']}"
                  + (f" (baseline: {base['info']})" if base else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
