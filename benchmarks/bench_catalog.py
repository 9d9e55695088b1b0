"""Time `certify check --expect` on every catalog rule, side by side with the kernel alone.

For each rule: the full decision of every documented claim (derivation + counterexample search +
kernel) and, as the baseline in the same run, the kernel re-checking the certificates and
counterexamples that the search produced. The ratio says what the untrusted search costs over the
trusted re-check. Target (issue 2): every rule under 2 s on the 2-core reference machine.

    python benchmarks/bench_catalog.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from sympy.core.cache import clear_cache  # noqa: E402

from certify.check import check_rule  # noqa: E402
from certify.kernel.verify import check_proof, check_witness  # noqa: E402
from certify.lang.rule import Rule  # noqa: E402
from certify.search import derive  # noqa: E402


def kernel_only(rule: Rule, report) -> float:
    start = time.perf_counter()
    for res in report.results:
        if res.certificate is not None:
            for prop in derive.propose(rule, res.claim):
                if prop.proof is not None and prop.proof.route == res.certificate.route:
                    check_proof(rule.dW, rule.assumptions(), res.claim, prop.proof)
                    break
        if res.refutation is not None:
            check_witness(rule.dW, rule.assumptions(), res.refutation.witness)
    return time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--limit", type=float, default=2.0, help="target seconds per rule")
    args = ap.parse_args(argv)
    print(f"{'rule':32} {'claims':>6} {'check s':>8} {'kernel s':>9} {'ratio':>7}  target")
    worst = 0.0
    for path in sorted((ROOT / "rules").glob("*.toml")):
        rule = Rule.from_file(path)
        best_full = best_kernel = float("inf")
        for _ in range(args.repeat):
            clear_cache()  # SymPy memoises; measure what a fresh process sees
            start = time.perf_counter()
            report = check_rule(rule, expectations=True)
            best_full = min(best_full, time.perf_counter() - start)
            clear_cache()
            best_kernel = min(best_kernel, kernel_only(rule, report))
        worst = max(worst, best_full)
        ok = "ok" if best_full < args.limit else "SLOW"
        rechecked = any(r.certificate or r.refutation for r in report.results)
        ratio = f"{best_full / max(best_kernel, 1e-9):>7.1f}" if rechecked and best_kernel > 1e-4 else f"{'n/a':>7}"
        print(f"{path.stem:32} {len(report.results):>6} {best_full:>8.3f} {best_kernel:>9.3f} {ratio}  {ok}")
    print(f"slowest rule: {worst:.3f} s (target < {args.limit} s)")
    return 0 if worst < args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
