"""certify/sweep/run.py: map_points on the serial, process-pool and Dask executors; a point whose worker dies or
whose call raises is retried once, then recorded with its reason; nothing is dropped."""

from __future__ import annotations

import functools

import pytest
import sweep_faults
from sweep_faults import RULE

from certify.sweep.driver import _lost, tasks_for
from certify.sweep.run import Failure, executor_name, map_points


@pytest.fixture(scope="module")
def tasks():
    return tasks_for(RULE, ["k=0:1:3", "gamma=1,2"])[1]


def test_executor_choice():
    assert executor_name() == "process" and executor_name(jobs=1) == "serial"
    assert executor_name(jobs=4, scheduler="tcp://127.0.0.1:1") == "dask" and executor_name(client=object()) == "dask"


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_results_in_input_order_and_every_arrival_reported(tasks, executor):
    seen = []
    rows = map_points(sweep_faults.cheap, tasks, jobs=2, executor=executor, on_result=lambda i, r: seen.append(i))
    assert [r["index"] for r in rows] == list(range(6)) and sorted(seen) == list(range(6))


def test_process_pool_worker_killed_mid_run_loses_no_point(tasks, tmp_path):
    rows = map_points(functools.partial(sweep_faults.die_once_cheap, str(tmp_path)), tasks, jobs=2)
    assert (tmp_path / "died-2").exists()                       # the worker really died once
    assert [r["index"] for r in rows] == list(range(6))          # ... and every point has its row
    assert all(r["verdict"] == "inconclusive" for r in rows)


def test_process_pool_point_that_always_kills_its_worker_is_an_error_row(tasks):
    rows = map_points(sweep_faults.die_always, tasks, jobs=2, on_failure=_lost)
    assert [r["index"] for r in rows] == list(range(6))
    bad = rows[1]
    assert bad["verdict"] == "error" and bad["error_kind"] == "crash" and "worker process died 2 times" in bad["error"]
    assert all(r["verdict"] == "inconclusive" for i, r in enumerate(rows) if i != 1)   # the others unharmed


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_a_call_that_raises_twice_is_a_failure_with_the_reason(tasks, executor):
    rows = map_points(sweep_faults.raise_always, tasks[:3], jobs=2, executor=executor)
    assert isinstance(rows[0], Failure) and "RuntimeError: boom at point 0" in rows[0].reason
    assert "failed 2 times" in rows[0].reason
    assert [r["index"] for r in rows[1:]] == [1, 2]


def test_dask_worker_killed_mid_run_loses_no_point(tasks, tmp_path, dask_client):
    rows = map_points(functools.partial(sweep_faults.die_once_cheap, str(tmp_path)), tasks, client=dask_client)
    assert (tmp_path / "died-2").exists()
    assert [r["index"] for r in rows] == list(range(6))
    assert all(r["verdict"] == "inconclusive" for r in rows)


def test_dask_call_that_raises_is_retried_then_a_failure(tasks, dask_client):
    rows = map_points(sweep_faults.raise_always, tasks[:2], client=dask_client, on_failure=_lost)
    assert rows[0]["verdict"] == "error" and "boom at point 0" in rows[0]["error"]
    assert rows[1]["verdict"] == "inconclusive"
