"""The per-point time budget where certify/budget.py cannot arm one: in a thread other than the main thread (a Dask
worker runs its tasks in threads, where Python delivers no signals).

    with thread_budget(30) as spent:          # in a worker thread
        report = check_rule(rule, timeout=0)  # BudgetExceeded is raised in this thread once 30 s have passed
    spent.expired                              # True when the time ran out

The same exception as budget.py, delivered the same way a signal handler would deliver it: between two bytecodes of
this thread (CPython's PyThreadState_SetAsyncExc), and again every REFIRE seconds while the block runs, so a step
that caught it cannot go on unbounded. check_rule turns it into INCONCLUSIVE with the reason, as it does for the
signal budget; the caller sees `spent.expired` and records a timeout. A long call into C finishes before the
exception is seen. Never during an import (the exception waits until the thread is out of importlib: a module cut
off halfway would stay broken for every later task of the process; certify/budget.py has the same care, raising only
inside named steps). The block is left with nothing pending: no exception can reach this thread's later work.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from certify.budget import REFIRE, BudgetExceeded, seconds_text

DURING = "the check (in a worker thread, where the steps are not named)"
IMPORT_POLL = 0.01   # seconds between looks while the thread is importing a module


@dataclass
class ThreadBudget:
    seconds: float
    expired: bool = False

    @property
    def reason(self) -> str | None:
        return BudgetExceeded(self.seconds, DURING).reason if self.expired else None


def _exception_type(seconds: float) -> type:
    """A BudgetExceeded that CPython can raise without arguments (it instantiates the class it is given)."""
    def __init__(self) -> None:
        BudgetExceeded.__init__(self, seconds, DURING)
    return type(f"ThreadBudgetExceeded_{seconds_text(seconds).replace('.', '_')}", (BudgetExceeded,),
                {"__init__": __init__, "__module__": __name__})


def _importing(thread_id: int) -> bool:
    """Whether the thread is running an import (a frame of importlib's bootstrap is on its stack)."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        if frame.f_code.co_filename.startswith(("<frozen importlib", "<frozen zipimport")):
            return True
        frame = frame.f_back
    return False


def _set_async(thread_id: int, exc: type | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc is not None else ctypes.c_void_p(None))


@contextmanager
def thread_budget(seconds: float) -> Iterator[ThreadBudget]:
    """Raise BudgetExceeded in this thread once `seconds` have passed, while the block runs (0: no limit)."""
    spent = ThreadBudget(float(seconds))
    if not seconds or seconds <= 0:
        yield spent
        return
    target = threading.get_ident()
    lock = threading.Lock()
    armed = threading.Event()
    armed.set()
    exc_type = _exception_type(float(seconds))

    def watch() -> None:
        delay = float(seconds)
        while armed.wait(0) and not _stop.wait(delay):
            with lock:
                if not armed.is_set():
                    return
                spent.expired = True
                if _importing(target):      # never inside an import: a half-run module would stay broken
                    delay = IMPORT_POLL
                    continue
                _set_async(target, exc_type)
            delay = REFIRE

    _stop = threading.Event()
    watcher = threading.Thread(target=watch, name="certify-thread-budget", daemon=True)
    watcher.start()
    try:
        yield spent
    finally:
        # disarm, then drop an exception that was sent but not yet raised; one that arrives meanwhile is caught
        # here and the disarming starts again, so nothing is left pending for this thread's later work
        while True:
            try:
                with lock:
                    armed.clear()
                _stop.set()
                _set_async(target, None)
                break
            except BudgetExceeded:
                continue
        watcher.join()


__all__ = ["thread_budget", "ThreadBudget"]
