"""A time budget per rule file (`--timeout SECONDS`): an honest INCONCLUSIVE instead of a hang.

    with budget.limit(120):                  # arms a real-time timer (signal.setitimer(ITIMER_REAL))
        try:
            with budget.stage("the counterexample search (falsify) for l2 bounded"):
                ...                          # may raise BudgetExceeded once the 120 s are spent
        except BudgetExceeded as exc:
            reasons.append(exc.reason)       # "time budget of 120 s ran out during the counterexample search ..."

Rules that keep this sound:

- `BudgetExceeded` is a BaseException, so the `except Exception` clauses of the search code (and of SymPy) do not
  swallow it; it is raised only while some `stage` is open, and every `stage` is opened inside a `try` that catches
  it (certify/check.py around each claim and the laws; the subcommands around their whole work). Code outside
  every stage is never interrupted: a timer that fires there only marks the budget spent, and the next `stage`
  entered raises at once, so no step starts after the budget ran out.
- After the first alarm the timer fires again every REFIRE seconds while the budget is armed: if something did
  swallow the exception, the next open stage gets it again.
- The kernel is not modified and knows nothing of budgets: an alarm inside a kernel call ends that call, and the
  claim it was deciding is INCONCLUSIVE. Verdicts reached before the alarm stay as they were.
- A budget is armed only in the main thread, where Python runs signal handlers, and only where the platform has
  setitimer (not on Windows). Anywhere else `limit` yields an unarmed Budget and the work runs without a time
  limit. A Python signal handler runs between bytecodes: one long call into C (a large LAPACK or GMP operation)
  finishes before the alarm is seen.
- Budgets do not nest: inside an armed budget, `limit` yields the one already armed (`certify spectrum` and `plot`
  arm one for the whole command; the check_rule they call shares it).

`configure(seconds)` sets the budget `limit()` uses when given none (the command line's --timeout, DEFAULT_SECONDS
unless the user says otherwise); a library caller that configures nothing gets no limit.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

DEFAULT_SECONDS = 120.0   # the command line's --timeout default (0 = no limit)
REFIRE = 0.5              # seconds between repeated alarms once the budget is spent

TIMEOUT_HELP = (f"time budget per rule file in seconds (default {DEFAULT_SECONDS:g}; 0 = no limit): when it runs "
                "out, the claims not yet decided are INCONCLUSIVE with the step that ran out of time; verdicts "
                "reached before stay as they are")

_configured: ContextVar[float | None] = ContextVar("certify_timeout", default=None)


def seconds_text(seconds: float) -> str:
    return f"{seconds:g}"


class BudgetExceeded(BaseException):
    """The time budget ran out. A BaseException: `except Exception` in search code does not catch it."""

    def __init__(self, seconds: float, during: str, step: str | None = None, started: bool = False):
        super().__init__(seconds, during, step, started)
        self.seconds, self.during, self.step, self.started = seconds, during, step, started

    @property
    def reason(self) -> str:
        """'time budget of 120 s ran out during <step>'; for a later step '<step> not started: the time budget
        ...' (or 'stopped', when it had started)."""
        spent = f"time budget of {seconds_text(self.seconds)} s ran out during {self.during}"
        if self.step is None or self.step == self.during:
            return spent
        return f"{self.step} {'stopped' if self.started else 'not started'}: the {spent}"

    def __str__(self) -> str:
        return self.reason


@dataclass
class Budget:
    seconds: float
    armed: bool = False             # a timer is set (main thread, setitimer available, seconds > 0)
    expired_in: str | None = None   # the step that ran when the time ran out (None: not run out)
    expired: bool = False
    _deadline: float = 0.0          # time.monotonic() when it runs out
    _outer: tuple | None = None     # (handler, monotonic deadline) of a SIGALRM timer armed before this budget

    @property
    def reason(self) -> str | None:
        if not self.expired:
            return None
        return BudgetExceeded(self.seconds, self.expired_in or "the work between steps").reason


class _State:
    def __init__(self) -> None:
        self.budget: Budget | None = None
        self.stages: list[str] = []     # the steps running now, innermost last
        self.last: str | None = None    # the step that ended last


_state = _State()


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _on_alarm(signum, frame) -> None:
    b = _state.budget
    if b is None or not b.armed:
        return
    now = time.monotonic()
    if b._outer is not None and now >= b._outer[1] - 1e-3:
        # the timer that ran before this budget was armed is due first: re-arm ours, then run its handler
        handler, b._outer = b._outer[0], None
        signal.setitimer(signal.ITIMER_REAL, max(b._deadline - now, 1e-3), REFIRE)
        if callable(handler):
            handler(signum, frame)
        return
    if now < b._deadline - 1e-3:
        return
    if not b.expired:
        b.expired = True
        b.expired_in = (_state.stages[-1] if _state.stages else
                        f"the work after {_state.last}" if _state.last else "the work before the first step")
    if _state.stages:       # only inside a stage, i.e. inside a try that catches it
        raise BudgetExceeded(b.seconds, b.expired_in, _state.stages[-1], started=True)


def configured() -> float:
    """The budget in seconds that `limit()` uses when given none: --timeout on the command line, else 0 (none)."""
    value = _configured.get()
    return 0.0 if value is None else value


@contextmanager
def configure(seconds: float | None) -> Iterator[None]:
    """Within the block, `limit()` without an argument (e.g. in check_rule) uses `seconds` (0 or None: no limit)."""
    token = _configured.set(seconds)
    try:
        yield
    finally:
        _configured.reset(token)


def current() -> Budget | None:
    """The armed budget, if any."""
    return _state.budget if _main_thread() else None


@contextmanager
def limit(seconds: float | None = None) -> Iterator[Budget]:
    """Arm a budget of `seconds` (None: `configured()`; 0: none) for the block and yield it. Inside a budget
    already armed this yields that one (the outer budget governs). Outside the main thread, or without setitimer,
    the yielded Budget is unarmed and nothing limits the block."""
    if seconds is None:
        seconds = configured()
    if not _main_thread():
        yield Budget(seconds)
        return
    if _state.budget is not None:
        yield _state.budget
        return
    if not seconds or seconds <= 0 or not hasattr(signal, "setitimer") or not hasattr(signal, "SIGALRM"):
        yield Budget(seconds)
        return
    b = Budget(float(seconds), armed=True)
    depth = len(_state.stages)
    old_handler = signal.signal(signal.SIGALRM, _on_alarm)
    started = time.monotonic()
    b._deadline = started + b.seconds
    old_timer = signal.setitimer(signal.ITIMER_REAL, 0)
    if old_timer[0] > 0:    # a timer armed before (e.g. a test's deadline): it still fires at its time
        b._outer = (old_handler, started + old_timer[0])
    _state.budget = b
    signal.setitimer(signal.ITIMER_REAL, min(b.seconds, old_timer[0] or b.seconds), REFIRE)
    try:
        yield b
    finally:
        b.armed = False          # first: an alarm from here on does nothing
        signal.setitimer(signal.ITIMER_REAL, 0)
        _state.budget, _state.last = None, None
        del _state.stages[depth:]
        signal.signal(signal.SIGALRM, old_handler)
        if b._outer is not None:     # the earlier timer has not fired yet: give it back what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(b._outer[1] - time.monotonic(), 1e-3), old_timer[1])


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Name the step that runs in the block (the reason a budget gives when it runs out there). Raises
    BudgetExceeded at once when the budget has already run out: no step starts after that. Open a stage only
    inside a `try` that catches BudgetExceeded."""
    if not _main_thread():
        yield
        return
    b = _state.budget
    if b is not None and b.armed and b.expired:
        raise BudgetExceeded(b.seconds, b.expired_in or name, name)
    depth = len(_state.stages)
    try:                         # the append inside the try: an alarm right after it still pops the name
        _state.stages.append(name)
        yield
    finally:
        del _state.stages[depth:]
        _state.last = name


def check_seconds(value: str) -> float:
    """argparse type for --timeout: a finite number of seconds >= 0."""
    # deferred: needed only on this path
    import argparse
    # deferred: needed only on this path
    import math
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"{value!r}: give a number of seconds >= 0 (0 = no limit)")
    return seconds


__all__ = ["BudgetExceeded", "Budget", "limit", "stage", "configure", "configured", "current", "DEFAULT_SECONDS",
           "TIMEOUT_HELP", "check_seconds"]
