"""The sweep's executor over catalogs: `check_files` and `verify_files` run many rule files or certificates on the
local process pool, serially or on a Dask cluster (certify/sweep/run.py), and return what `certify check` and
`certify verify` compute for each, in the order given.

    from certify.sweep.catalog import check_files, verify_files
    for path, outcome in check_files(["rules/"], expectations=True, jobs=2):
        ...   # a RuleReport, or the InputError / InternalError of that file (never a verdict)
    for verified in verify_files(["proofs/"], client=dask_client):
        ...   # output.certificate.Verified, as `certify verify` prints it

Each file runs under its own time budget (certify/budget.py, `timeout` seconds, 0 = none); a re-check that runs out
of time is FAILED, never verified. A file whose worker dies twice is an InternalError (check) or an error (verify)
with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from certify.check import check_rule
from certify.errors import InputError, InternalError
from certify.lang.paths import allow_outside, reset, rule_files
from certify.lang.rule import Rule
from certify.output.certificate import Verified, certificate_files
from certify.output.certificate.commands import verify_within_budget
from certify.sweep.run import map_points


@dataclass(frozen=True)
class FileTask:
    path: str
    measure: str | None = None
    bound: str | None = None
    expectations: bool = False
    timeout: float = 0.0
    allow_outside: bool = False


def check_file(task: FileTask):
    """check_rule on one rule file: its RuleReport, or the InputError / InternalError it raised."""
    token = allow_outside(task.allow_outside)
    try:
        return check_rule(Rule.from_file(task.path), measure=task.measure, bound=task.bound,
                          expectations=task.expectations, timeout=task.timeout or 0)
    except InputError as err:
        return err
    except Exception as exc:   # a bug in certify: reported as such, never as a verdict about the file
        return InternalError(exc, file=task.path)
    finally:
        reset(token)


def verify_one(task: FileTask):
    """verify_file on one certificate under its time budget: Verified (FAILED when the time ran out)."""
    token = allow_outside(task.allow_outside)
    try:
        return verify_within_budget(task.path, task.timeout or 0)
    finally:
        reset(token)


def check_files(paths: Sequence[str], *, measure: str | None = None, bound: str | None = None,
                expectations: bool = False, timeout: float = 0.0, allow_outside_paths: bool = False,
                jobs: int | None = None, scheduler: str | None = None, client: Any = None,
                executor: str | None = None, on_result=None) -> list[tuple[Path, Any]]:
    """(path, RuleReport | InputError | InternalError) for every rule file under `paths`, in file order."""
    files = rule_files(list(paths))
    tasks = [FileTask(str(p), measure, bound, expectations, float(timeout or 0), allow_outside_paths) for p in files]
    out = map_points(check_file, tasks, jobs=jobs, scheduler=scheduler, client=client, executor=executor,
                     on_result=on_result,
                     on_failure=lambda t, reason: InternalError(RuntimeError(reason), file=t.path))
    return list(zip(files, out))


def verify_files(paths: Sequence[str], *, timeout: float = 0.0, allow_outside_paths: bool = False,
                 jobs: int | None = None, scheduler: str | None = None, client: Any = None,
                 executor: str | None = None, on_result=None) -> list:
    """Verified for every certificate (*.json) under `paths`, in file order."""
    files = certificate_files(list(paths))
    tasks = [FileTask(str(p), timeout=float(timeout or 0), allow_outside=allow_outside_paths) for p in files]
    return map_points(verify_one, tasks, jobs=jobs, scheduler=scheduler, client=client, executor=executor,
                      on_result=on_result,
                      on_failure=lambda t, reason: Verified(t.path, status="error", file_problems=[reason]))


__all__ = ["check_files", "verify_files", "check_file", "verify_one", "FileTask"]
