"""`sweep(...)`: every point of a parameter grid is a full check of the rule with the swept parameters fixed.

    from certify.sweep import sweep
    result = sweep("rules/x.toml", ["k=0:1:40", "gamma=1/20:2:40"], out="sweep-x")          # all cores
    result = sweep("rules/x.toml", ["k=0:1:5"], jobs=1)                                      # serial
    result = sweep("rules/x.toml", ["k=0:1:5"], client=dask_client)                         # a Dask cluster
    result.counts()     # {'certified': ..., 'refuted': ..., 'inconclusive': ..., 'error': ...}
    result.rows         # one dict per point, in grid order (certify/sweep/point.py)

With `out`, the rows are written as they arrive (points.jsonl), a rerun resumes, and the table (points.csv) and the
phase diagram (phase.png, for one or two swept parameters) are written at the end (certify/sweep/store.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from certify.errors import InputError
from certify.kernel.objects import CLAIM_KINDS, MEASURES
from certify.lang.datafiles import read_text
from certify.lang.paths import allow_outside, reset
from certify.lang.rule import Rule
from certify.sweep.figure import agreement, draw
from certify.sweep.grid import Grid, number_text
from certify.sweep.point import PointTask, error_row, run_point
from certify.sweep.run import default_jobs, executor_name, map_points
from certify.sweep.store import Store, manifest, table_csv
from certify.verdict import ExitCode

VERDICTS = ("certified", "refuted", "inconclusive", "error")
FIGURE = "phase.png"


@dataclass
class SweepResult:
    grid: Grid
    rows: list[dict]                 # in grid order
    executor: str
    workers: int | None
    seconds: float                   # wall time of this run
    ran: int                         # points run now
    resumed: int                     # points taken from an earlier run
    folder: Path | None = None
    files: list[Path] = field(default_factory=list)
    agreement: Any = None            # figure.Agreement, when the check reported a condition in the swept names

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for r in self.rows:
            out[r["verdict"]] = out.get(r["verdict"], 0) + 1
        return out

    def table(self) -> str:
        """The CSV table (deterministic: grid order, exact values, no timings)."""
        return table_csv(self.rows, list(self.grid.names))


def load_rule_text(rule: Any) -> tuple[str, str | None]:
    """(TOML text, file path) of a rule file path or a Rule object (its canonical text)."""
    if isinstance(rule, Rule):
        return rule.canonical_text(), rule.source
    path = Path(rule)
    return read_text(path, "rule file"), str(path)


def tasks_for(rule: Any, params: Iterable[str] | Grid, *, measure: str | None = None, bound: str | None = None,
              expectations: bool = False, timeout: float = 0.0, allow_outside_paths: bool = False,
              evidence: bool = True) -> tuple[Grid, list[PointTask], Any]:
    """The grid, one task per point and the rule as declared; InputError before anything runs when the rule file,
    a --param spec, a swept name (not declared) or a value (outside the declared range) is wrong."""
    grid = params if isinstance(params, Grid) else Grid.parse(params)
    if measure is not None and measure not in MEASURES:
        raise InputError(f"unknown measure {measure!r}", symbol=str(measure), hint=f"use one of: {', '.join(MEASURES)}")
    if bound is not None and bound not in CLAIM_KINDS:
        raise InputError(f"unknown bound {bound!r}", symbol=str(bound), hint=f"use one of: {', '.join(CLAIM_KINDS)}")
    text, file = load_rule_text(rule)
    token = allow_outside(allow_outside_paths)
    try:
        declared = Rule.from_text(text, file=file)
    finally:
        reset(token)
    grid.check_declared({k: r.interval for k, r in declared.parameters}, file=file)
    tasks = [PointTask(p.index, tuple(p.texts().items()), text, file, measure, bound, expectations,
                       float(timeout or 0), allow_outside_paths, evidence) for p in grid.points()]
    return grid, tasks, declared


def sweep(rule: Any, params: Iterable[str] | Grid, *, measure: str | None = None, bound: str | None = None,
          expectations: bool = False, out: str | Path | None = None, jobs: int | None = None,
          scheduler: str | None = None, client: Any = None, executor: str | None = None, timeout: float = 0.0,
          fresh: bool = False, retry_errors: bool = False, figure: bool | str | Path = True,
          progress: Any = None, point_function: Callable[[PointTask], dict] = run_point,
          allow_outside_paths: bool = False, evidence: bool = True) -> SweepResult:
    """Check the rule at every point of the grid (see the module docstring). `progress`: a
    certify.output.progress.Progress, shown as one line per point with its verdict and the counts so far."""
    grid, tasks, declared = tasks_for(rule, params, measure=measure, bound=bound, expectations=expectations,
                                      timeout=timeout, allow_outside_paths=allow_outside_paths, evidence=evidence)
    kind = executor or executor_name(jobs, scheduler, client)
    store = None
    done: dict[int, dict] = {}
    if out is not None:
        info = manifest(tasks[0].rule_file, declared.hash, grid.describe(), measure, bound, expectations)
        store = Store.open(out, info, fresh=fresh)
        done = {i: store.rows[i] for i in store.done(retry_errors)
                if i < len(tasks) and store.rows[i].get("params") == dict(tasks[i].values)}
    todo = [t for t in tasks if t.index not in done]
    if progress is not None and not isinstance(progress, SweepProgress):
        progress = SweepProgress(progress)
    counter = _Counter(progress, len(tasks), done.values())
    started = time.perf_counter()

    def arrived(_: int, row: dict) -> None:
        if store is not None:
            store.add(row)
        counter.add(row)

    try:
        if progress is not None:
            with progress:
                fresh_rows = map_points(point_function, todo, jobs=jobs, scheduler=scheduler, client=client,
                                        executor=kind, on_result=arrived, on_failure=_lost)
        else:
            fresh_rows = map_points(point_function, todo, jobs=jobs, scheduler=scheduler, client=client,
                                    executor=kind, on_result=arrived, on_failure=_lost)
    finally:
        if store is not None:
            store.close()
    seconds = time.perf_counter() - started
    by_index = dict(done)
    by_index.update({r["index"]: r for r in fresh_rows})
    rows = [by_index[t.index] for t in tasks]
    workers = None if kind == "dask" else 1 if kind == "serial" else (jobs or default_jobs())
    result = SweepResult(grid, rows, kind, workers, seconds, len(todo), len(done))
    result.agreement = agreement(rows, grid.names)
    if store is not None:
        result.folder = store.folder
        result.files = [store.folder / "points.jsonl"] + store.write_table(grid.names)
    target = (Path(figure) if isinstance(figure, (str, Path)) else
              store.folder / FIGURE if (figure and store is not None) else None)
    if target is not None:
        claim = _claim_text(declared, measure, bound)
        drawn = draw(rows, grid.names, target, title=f"{declared.name}: {claim}")
        if drawn is not None:
            result.files.append(drawn)
    return result


def _claim_text(rule, measure: str | None, bound: str | None) -> str:
    m = measure or (rule.claim[0] if rule.claim else None)
    b = bound or (rule.claim[1] if rule.claim else None)
    if m is None and b is None:
        return "every norm explored"
    return f"{m or 'l2'} {b or 'nonincreasing'}"


def _lost(task: PointTask, reason: str) -> dict:
    """The row of a point whose worker died (or whose call failed) twice: an error with the reason."""
    row = error_row(task, "crash", reason)
    row["attempts"] = 2
    return row


class SweepProgress:
    """Progress lines for a sweep (certify/output/progress.py decides when they show: -v, -q, a terminal): one per
    point as its result arrives, '[37/1600] k = 1/2, gamma = 1 ... certified in 0.15 s (certified 30, ...)'."""

    def __init__(self, progress: Any):
        self.inner = progress
        self.total = progress.total
        self.index = 0

    def __enter__(self) -> "SweepProgress":
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)

    def line(self, text: str) -> None:
        self.index += 1
        if self.inner.enabled:
            print(f"[{self.index}/{self.total}] {text}", file=self.inner.stream, flush=True)


class _Counter:
    """Counts per verdict and a progress line per point: '[37/1600] k = 1/2, gamma = 1 ... certified (certified 30,
    inconclusive 7)'."""

    def __init__(self, progress: Any, total: int, earlier: Iterable[dict]):
        self.progress = progress
        self.counts = {v: 0 for v in VERDICTS}
        for r in earlier:
            self.counts[r["verdict"]] = self.counts.get(r["verdict"], 0) + 1
        if progress is not None:
            progress.total = total
            progress.index = sum(self.counts.values())

    def add(self, row: dict) -> None:
        self.counts[row["verdict"]] = self.counts.get(row["verdict"], 0) + 1
        if self.progress is None:
            return
        label = ", ".join(f"{k} = {v}" for k, v in row["params"].items())
        so_far = ", ".join(f"{v} {n}" for v, n in self.counts.items() if n)
        status = row["verdict"] + (f" [{row['error_kind']}: {row['error']}]" if row.get("error") else "")
        self.progress.line(f"{label} ... {status} in {row.get('seconds', 0):.2f} s ({so_far})")


def summary_lines(result: SweepResult, source: str, claim: str) -> list[str]:
    """The text `certify sweep` prints."""
    specs = ", ".join(f"{s.name}: {s.count} value{'s' if s.count != 1 else ''} in [{_t(s.values[0])}, "
                      f"{_t(s.values[-1])}]" for s in result.grid.specs)
    where = {"serial": "serial (this process)",
             "process": f"process pool, {result.workers} worker{'s' if result.workers != 1 else ''}",
             "dask": "Dask cluster"}[result.executor]
    counts = result.counts()
    lines = [f"swept {source}: {len(result.rows)} points ({specs}); claim {claim}",
             f"  executor: {where}; {result.ran} run, {result.resumed} resumed, {result.seconds:.1f} s",
             "  verdicts: " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS)]
    errors = [r for r in result.rows if r["verdict"] == "error"]
    for r in errors[:5]:
        label = ", ".join(f"{k} = {v}" for k, v in r["params"].items())
        lines.append(f"    error at {label}: [{r['error_kind']}] {r['error']}")
    if len(errors) > 5:
        lines.append(f"    ... and {len(errors) - 5} more error(s) (see the table)")
    if result.agreement is not None:
        lines += ["  " + line for line in result.agreement.text().splitlines()]
    if result.files:
        lines.append("  wrote " + ", ".join(str(f) for f in result.files))
    return lines


def summary_dict(result: SweepResult, source: str, claim: str) -> dict:
    """What `certify sweep --format json` prints (the rows themselves are in points.jsonl / points.csv)."""
    agree = result.agreement
    return {"rule": source, "claim": claim, "points": len(result.rows),
            "grid": {name: values for name, values in result.grid.describe()},
            "order": list(result.grid.names), "executor": result.executor, "workers": result.workers,
            "ran": result.ran, "resumed": result.resumed, "seconds": round(result.seconds, 3),
            "verdicts": result.counts(),
            "errors": [{"index": r["index"], "params": r["params"], "kind": r["error_kind"], "reason": r["error"]}
                       for r in result.rows if r["verdict"] == "error"],
            "boundary": None if agree is None else {
                "condition": agree.condition, "inside": agree.inside, "certified_outside": agree.certified_outside,
                "inside_not_certified": agree.inside_not_certified, "undecided": agree.undecided},
            "files": [str(f) for f in result.files]}


def _t(x) -> str:
    return number_text(x)


def exit_code(result: SweepResult) -> int:
    """0 every point has a verdict; 2 a point's input was refused; 3 a point ran out of time (after its retry);
    4 a point crashed (a bug in certify, or a worker lost twice). The worst wins."""
    kinds = {r["error_kind"] for r in result.rows if r["verdict"] == "error"}
    if kinds & {"internal", "crash"}:
        return ExitCode.INTERNAL_ERROR
    if "input" in kinds:
        return ExitCode.USAGE_ERROR
    if "timeout" in kinds:
        return ExitCode.INCONCLUSIVE
    return ExitCode.OK


__all__ = ["sweep", "SweepResult", "tasks_for", "summary_lines", "summary_dict", "exit_code", "load_rule_text",
           "VERDICTS"]
