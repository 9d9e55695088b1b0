"""Point functions for the sweep's fault tests: they run in worker processes (pool or Dask), so they live in a module
the workers can import (tests/sweep is on sys.path, which spawned workers inherit)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from certify.sweep.point import PointTask, base_row, run_point

RULE = Path(__file__).resolve().parents[2] / "examples" / "hebbian-network.toml"   # the rule most tests sweep


def cheap(task: PointTask) -> dict:
    """A deterministic row without any check (for tests of the executors alone)."""
    row = base_row(task)
    row.update(verdict="inconclusive", summary="cheap " + task.label)
    return row


def _die_once(marker_dir: str, task: PointTask, index: int) -> None:
    if task.index != index:
        return
    try:
        fd = os.open(Path(marker_dir) / f"died-{index}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return                       # died already once: run normally this time
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)   # the worker process dies mid-run


def die_once_cheap(marker_dir: str, task: PointTask) -> dict:
    _die_once(marker_dir, task, 2)
    return cheap(task)


def die_once_real(marker_dir: str, task: PointTask) -> dict:
    _die_once(marker_dir, task, 1)
    return run_point(task)


def die_always(task: PointTask) -> dict:
    if task.index == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return cheap(task)


def raise_always(task: PointTask) -> dict:
    if task.index == 0:
        raise RuntimeError("boom at point 0")
    return cheap(task)


def stuck_check_point(task: PointTask) -> dict:
    """run_point with a check that never ends (pure Python, so a budget can interrupt it), in this worker."""
    import time

    import certify.sweep.point as point_module
    original = point_module._check

    def stuck(rule, task):
        while True:
            time.sleep(0.01)
    point_module._check = stuck
    try:
        return point_module.run_point(task)
    finally:
        point_module._check = original
