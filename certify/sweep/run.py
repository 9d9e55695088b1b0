"""Running many independent checks: serially, on a local process pool (concurrent.futures, every core by default) or
on a Dask distributed cluster. No scheduler of our own: the pool and Dask decide where each item runs.

    results = map_points(run_point, tasks)                          # a process pool with os.cpu_count() workers
    results = map_points(run_point, tasks, jobs=1)                  # serial, in this process
    results = map_points(run_point, tasks, scheduler="tcp://10.0.0.5:8786")   # a Dask cluster
    results = map_points(run_point, tasks, client=client)           # a dask.distributed.Client you made

`fn` must be a module-level function (it is pickled to the workers) and return a picklable value; `on_result(i,
value)` is called in this process as each result arrives (write it, count it), in completion order; the list
returned is in input order whatever the order of completion.

Faults: an item whose call raises, or whose worker process dies, is retried once; a second failure gives
`on_failure(item, reason)` as its result (by default a `Failure` carrying the reason), so no item is ever dropped.
On the process pool, a worker that dies breaks the pool: every item running in it is charged one try and rerun
alone in a fresh pool, so the item that killed its worker is found and the others are unharmed. On Dask the
cluster first reschedules the work of a lost worker itself (its `allowed-failures`); what it gives up on
(KilledWorker) is retried once here.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from certify.errors import InputError

RETRIES = 1
CONNECT_TIMEOUT = 20      # seconds to reach a Dask scheduler given by address
# imported once by the fork server and inherited by every worker it forks, so that no worker spends its first points
# importing what a check defers (the network search, the LMI stack, SciPy; a missing one is skipped)
PRELOAD = ["certify.check", "certify.sweep.point", "certify.sweep.condition", "certify.output.report",
           "certify.lang.network", "certify.search.contraction", "certify.search.lmi", "certify.kernel.contraction"]


def preload() -> None:
    """Import PRELOAD here and now (a worker thread does it before its first budget; a missing module is skipped)."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


@dataclass(frozen=True)
class Failure:
    """An item that failed twice (an exception escaping `fn`, or its worker lost): the reason, never a verdict."""

    reason: str
    kind: str = "crash"


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def executor_name(jobs: int | None = None, scheduler: str | None = None, client: Any = None) -> str:
    """'dask' with a scheduler address or a client, 'serial' with jobs == 1, else 'process'."""
    if client is not None or scheduler:
        return "dask"
    if jobs == 1:
        return "serial"
    return "process"


def map_points(fn: Callable[[Any], Any], items: Sequence[Any], *, jobs: int | None = None,
               scheduler: str | None = None, client: Any = None, executor: str | None = None,
               on_result: Callable[[int, Any], None] | None = None,
               on_failure: Callable[[Any, str], Any] | None = None, retries: int = RETRIES) -> list:
    """fn(item) for every item (see the module docstring); results in input order."""
    kind = executor or executor_name(jobs, scheduler, client)
    results: list[Any] = [None] * len(items)
    finished = [False] * len(items)

    def finish(i: int, value: Any) -> None:
        results[i], finished[i] = value, True
        if on_result is not None:
            on_result(i, value)

    def give_up(i: int, reason: str) -> None:
        finish(i, on_failure(items[i], reason) if on_failure is not None else Failure(reason))

    if not items:
        return results
    if kind == "serial":
        _serial(fn, items, finish, give_up, retries)
    elif kind == "process":
        _process(fn, items, jobs or default_jobs(), finish, give_up, retries)
    elif kind == "dask":
        _dask(fn, items, scheduler, client, finish, give_up, retries)
    else:
        raise ValueError(f"unknown executor {kind!r} (serial, process or dask)")
    assert all(finished), "map_points: an item has no result"   # never silently dropped
    return results


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _serial(fn, items, finish, give_up, retries: int) -> None:
    for i, item in enumerate(items):
        for attempt in range(retries + 1):
            try:
                value = fn(item)
            except Exception as exc:
                if attempt == retries:
                    give_up(i, f"failed {retries + 1} times, last: {_reason(exc)}")
                continue
            finish(i, value)
            break


def _pool(jobs: int):
    """A process pool. Workers are forked from this process when it runs a single thread (the command line: fast,
    everything imported is inherited); with other threads running (a Dask client, a test harness) forking is
    unsafe, so they come from a fork server that preloads certify."""
    methods = multiprocessing.get_all_start_methods()
    ctx = None
    if "fork" in methods and threading.active_count() == 1:
        ctx = multiprocessing.get_context("fork")
    elif "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)


def _process(fn, items, jobs: int, finish, give_up, retries: int) -> None:
    """A process pool; a broken pool (a worker died) is replaced, and the items it held are rerun one at a time."""
    queue = deque(range(len(items)))
    alone: deque[int] = deque()          # items that were running when a worker died: rerun one at a time
    tries = [0] * len(items)
    pool = _pool(jobs)
    try:
        running: dict = {}
        while queue or alone or running:
            source, window = (alone, 1) if alone else (queue, jobs)
            while source and len(running) < window and not (source is queue and alone):
                i = source.popleft()
                tries[i] += 1
                running[pool.submit(fn, items[i])] = i
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            lost: list[int] = []
            for fut in done:
                i = running.pop(fut)
                try:
                    value = fut.result()
                except BrokenProcessPool:
                    lost.append(i)
                except Exception as exc:          # fn raised, or its result could not be sent back
                    if tries[i] > retries:
                        give_up(i, f"failed {tries[i]} times, last: {_reason(exc)}")
                    else:
                        queue.appendleft(i)
                else:
                    finish(i, value)
            if not lost:
                continue
            if running:                           # every other item of the broken pool fails the same way
                wait(running)
                for fut, i in list(running.items()):
                    try:
                        finish(i, fut.result())
                    except BrokenProcessPool:
                        lost.append(i)
                    except Exception as exc:
                        queue.appendleft(i) if tries[i] <= retries else give_up(i, _reason(exc))
                running.clear()
            pool.shutdown(wait=True, cancel_futures=True)
            pool = _pool(jobs)
            for i in sorted(lost):
                if tries[i] > retries:
                    give_up(i, f"its worker process died {tries[i]} times (the last time running it alone)")
                else:
                    alone.append(i)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(fn, items, scheduler: str | None, client: Any, finish, give_up, retries: int) -> None:
    try:
        # deferred: dask.distributed is optional (the `sweep` extra) and slow to import
        from distributed import Client, as_completed
    except ImportError:   # pragma: no cover - the `sweep` extra is not installed
        raise InputError("a Dask scheduler was given but dask.distributed is not installed", symbol="--scheduler",
                         hint='pip install "certify[sweep]" (or dask[distributed]), or leave --scheduler out') \
            from None
    own = client is None
    if own:
        try:
            client = Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {_reason(exc)}", symbol="--scheduler",
                             hint="give the address the scheduler prints, e.g. tcp://10.0.0.5:8786, or leave "
                                  "--scheduler out to use this machine's cores") from None
    try:
        futures = {client.submit(fn, item, pure=False): i for i, item in enumerate(items)}
        tries = {i: 1 for i in range(len(items))}
        pending = as_completed(list(futures), loop=client.loop)
        for fut in pending:
            i = futures.pop(fut)
            if fut.status == "finished":
                try:
                    value = fut.result()
                except Exception as exc:     # the result could not be fetched (its holder died)
                    value, error = None, exc
                else:
                    error = None
            else:
                value, error = None, fut.exception()
            fut.release()
            if error is None:
                finish(i, value)
            elif tries[i] > retries:
                give_up(i, f"failed {tries[i]} times on the cluster, last: {_reason(error)}")
            else:
                tries[i] += 1
                again = client.submit(fn, items[i], pure=False)
                futures[again] = i
                pending.add(again)
    finally:
        if own:
            client.close()


__all__ = ["map_points", "Failure", "default_jobs", "executor_name", "RETRIES"]
