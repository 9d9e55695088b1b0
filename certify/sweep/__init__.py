"""Parameter sweeps and phase diagrams: many independent checks on a process pool or a Dask cluster.

    from certify.sweep import sweep, map_points
    result = sweep("rules/x.toml", ["k=0:1:40", "gamma=1/20:2:40"], out="sweep-x")   # every core
    result.counts(); result.rows; result.agreement

Modules, one job each: `grid` (the --param specs, exact rationals), `point` (one point: the rule with the
parameters fixed, one check_rule, its row), `run` (map_points: serial, process pool, Dask; retries), `store`
(points.jsonl as results arrive, resume, points.csv), `condition` (the check's symbolic condition as a tree, its
exact and float values), `figure` (the phase diagram), `driver` (`sweep`, the summary the command prints),
`threadbudget` (the per-point time budget in worker threads, e.g. Dask's), `catalog` (check_files, verify_files: the
same executor over rule files and certificates).
Nothing here decides a verdict: every verdict is the one check_rule returned for that point.
"""

from certify.sweep.driver import SweepResult, exit_code, summary_lines, sweep, tasks_for
from certify.sweep.grid import Grid, ParamSpec, Point, parse_param
from certify.sweep.point import PointTask, run_point
from certify.sweep.run import Failure, map_points

__all__ = ["sweep", "SweepResult", "map_points", "Failure", "Grid", "ParamSpec", "Point", "parse_param",
           "PointTask", "run_point", "tasks_for", "summary_lines", "exit_code"]
