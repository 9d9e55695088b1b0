"""Time `certify sweep` serially and on the local process pool, side by side, on the same grid (and optionally on a
Dask LocalCluster): the ratio is the pool's speed-up; the tables must be identical.

The rule is examples/hebbian-network.toml (Hebbian plasticity with decay in a tanh network); the grid is
k = 0:1:G x gamma = 1/20:2:G. Every point is a full check (derivation, kernel, counterexample search).

    python benchmarks/bench_sweep.py [--grid 12] [--jobs N] [--dask]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from certify.sweep import sweep  # noqa: E402

RULE = ROOT / "examples" / "hebbian-network.toml"


def timed(label: str, **kw):
    params = [f"k=0:1:{kw.pop('grid')}", f"gamma=1/20:2:{kw.pop('grid2')}"]
    start = time.perf_counter()
    result = sweep(RULE, params, figure=False, **kw)
    seconds = time.perf_counter() - start
    counts = ", ".join(f"{n} {v}" for v, n in result.counts().items())
    print(f"{label:<28} {seconds:8.2f} s   {len(result.rows)} points, {seconds / len(result.rows) * 1000:6.1f} ms "
          f"per point ({counts})", flush=True)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=int, default=12, help="values per parameter (default 12: 144 points)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="pool workers (default: every core)")
    parser.add_argument("--dask", action="store_true", help="also run on a Dask LocalCluster with --jobs workers")
    args = parser.parse_args()
    print(f"rule {RULE.relative_to(ROOT)}, grid {args.grid} x {args.grid}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} before (the pool needs idle cores to speed up)")
    serial_s, serial = timed("serial (jobs = 1)", grid=args.grid, grid2=args.grid, jobs=1)
    pool_s, pool = timed(f"process pool (jobs = {args.jobs})", grid=args.grid, grid2=args.grid, jobs=args.jobs)
    print(f"speed-up of the pool over serial: {serial_s / pool_s:.2f}x; tables identical: "
          f"{pool.table() == serial.table()}; load average {os.getloadavg()[0]:.2f} after")
    if args.dask:
        from distributed import Client, LocalCluster
        start = time.perf_counter()
        with LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=":0", worker_dashboard_address=None) as cluster, \
                Client(cluster, set_as_default=False) as client:
            print(f"LocalCluster of {args.jobs} workers up in {time.perf_counter() - start:.2f} s")
            dask_s, on_dask = timed(f"Dask LocalCluster ({args.jobs} workers)", grid=args.grid, grid2=args.grid,
                                    client=client)
        print(f"speed-up of the cluster over serial: {serial_s / dask_s:.2f}x; tables identical: "
              f"{on_dask.table() == serial.table()}")


if __name__ == "__main__":
    main()
