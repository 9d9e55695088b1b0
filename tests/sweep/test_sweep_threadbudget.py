"""certify/sweep/threadbudget.py: the per-point budget in a worker thread (where Dask runs tasks), and on Dask."""

from __future__ import annotations

import threading
import time

import sweep_faults
from sweep_faults import RULE

from certify.budget import BudgetExceeded
from certify.sweep import sweep
from certify.sweep.driver import tasks_for
from certify.sweep.run import map_points
from certify.sweep.threadbudget import thread_budget


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:   # noqa: BLE001 - what the thread saw
            out["error"] = exc
    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    assert not t.is_alive()
    return out


def test_a_stuck_step_in_a_thread_is_interrupted_and_nothing_stays_pending():
    def work():
        started = time.perf_counter()
        try:
            with thread_budget(0.2) as spent:
                while True:
                    time.sleep(0.005)
        except BudgetExceeded as exc:
            caught = exc.reason
        elapsed = time.perf_counter() - started
        for _ in range(100):          # later work of the same thread: no exception arrives any more
            time.sleep(0.01)
        return spent.expired, caught, elapsed
    out = _in_thread(work)
    expired, reason, elapsed = out["value"]
    assert expired and elapsed < 2 and "time budget of 0.2 s ran out during the check" in reason


def test_a_step_that_swallows_the_exception_gets_it_again():
    def work():
        seen = 0
        try:
            with thread_budget(0.1):
                while True:
                    try:
                        while True:
                            time.sleep(0.005)
                    except BudgetExceeded:
                        seen += 1
                        if seen == 3:
                            raise
        except BudgetExceeded:
            return seen
    assert _in_thread(work)["value"] == 3


def test_work_that_finishes_in_time_is_untouched():
    def work():
        with thread_budget(5) as spent:
            total = sum(range(10000))
        time.sleep(0.1)
        return spent.expired, total
    assert _in_thread(work)["value"] == (False, sum(range(10000)))


def test_on_dask_a_point_past_its_budget_is_a_timeout_error(dask_client):
    tasks = tasks_for(RULE, ["k=0", "gamma=2"], timeout=0.3)[1]
    started = time.perf_counter()
    (row,) = map_points(sweep_faults.stuck_check_point, tasks, client=dask_client)
    assert time.perf_counter() - started < 10
    assert row["verdict"] == "error" and row["error_kind"] == "timeout" and row["attempts"] == 2
    assert "time budget of 0.3 s ran out" in row["error"]
    # the worker threads are fine afterwards: a real sweep on the same cluster gives the serial table
    grid = ["k=0:1:3", "gamma=2"]
    assert sweep(RULE, grid, client=dask_client, figure=False, timeout=60).table() == \
        sweep(RULE, grid, jobs=1, figure=False).table()


def test_an_import_is_never_cut_off_halfway(tmp_path, monkeypatch):
    (tmp_path / "slow_module_for_budget.py").write_text(
        "import time\nfor _ in range(30):\n    time.sleep(0.01)\nDONE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def work():
        try:
            with thread_budget(0.05):
                import slow_module_for_budget   # takes 0.3 s: the budget runs out in the middle
                while True:
                    time.sleep(0.005)
        except BudgetExceeded:
            import sys
            return sys.modules["slow_module_for_budget"].DONE
    assert _in_thread(work)["value"] is True
