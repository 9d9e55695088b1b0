"""Progress lines for long runs, on stderr (never mixed into the report on stdout).

Shown when --verbose is given, or when stderr is a terminal and --quiet is not; silent otherwise, so
piped and CI output stays byte-for-byte reproducible. Nothing here is part of a verdict: the lines
say what is being worked on and how long it took, nothing more.

    progress = Progress.from_args(args, len(files))
    with progress:                       # also routes progress.note() calls from deep code here
        for path in files:
            progress.start(str(path))    # "[3/18] rules/oja.toml ..."
            ...
            progress.done("certified")   # " certified (0.41 s)"
            progress.detail("l2 bounded: certified")   # an indented detail line, only with --verbose

Solvers and other deep code report iterations through the module-level `note(text)`, which needs no
argument threaded through the call chain: it prints only inside `with progress:` of a verbose
Progress, and costs one context-variable lookup otherwise.

    from certify.output.progress import note
    note(f"LMI solve {k}: rate {c:.6g}")
"""

from __future__ import annotations

import contextvars
import sys
import time
from typing import Any, TextIO

_ACTIVE: contextvars.ContextVar["Progress | None"] = contextvars.ContextVar("certify_progress", default=None)


def progress_enabled(args: Any, stream: TextIO | None = None) -> bool:
    """--verbose turns progress on, --quiet off; otherwise on only when the stream is a terminal.

    --verbose wins over --quiet (for `check`, -q also shortens the report; `-q -v` gives the short report
    with progress lines)."""
    stream = stream or sys.stderr
    if getattr(args, "verbose", False):
        return True
    if getattr(args, "quiet", False):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def note(text: str) -> None:
    """A detail line from deep code (solver iterations, ...): printed by the active verbose Progress, if any."""
    active = _ACTIVE.get()
    if active is not None:
        active.detail(text)


class Progress:
    """Numbered progress lines `[i/N] item ... status (t s)` on a stream (default: stderr at print time)."""

    def __init__(self, total: int, *, enabled: bool, verbose: bool = False, stream: TextIO | None = None):
        self.total, self.enabled, self.verbose = total, enabled, verbose
        self._stream = stream
        self.index = 0
        self.item = ""
        self._started = 0.0
        self._open = False          # a "[i/N] item ..." line waits for its status
        self._tokens: list[contextvars.Token] = []

    @staticmethod
    def from_args(args: Any, total: int, stream: TextIO | None = None) -> "Progress":
        """The Progress a command's --verbose/--quiet flags ask for (see progress_enabled)."""
        return Progress(total, enabled=progress_enabled(args, stream),
                        verbose=bool(getattr(args, "verbose", False)), stream=stream)

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    def _print(self, text: str, end: str = "\n") -> None:
        print(text, end=end, file=self.stream, flush=True)

    def start(self, item: str) -> None:
        self.index += 1
        self.item = item
        self._started = time.perf_counter()
        if self.enabled:
            self._close()
            self._print(f"[{self.index}/{self.total}] {item} ...", end="")
            self._open = True

    def done(self, status: str) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self._started
        if self._open:
            self._print(f" {status} ({elapsed:.2f} s)")
            self._open = False
        else:   # detail lines came in between: repeat the item so the status line stands on its own
            self._print(f"[{self.index}/{self.total}] {self.item} ... {status} ({elapsed:.2f} s)")

    def detail(self, text: str) -> None:
        """An indented detail line, shown only with --verbose."""
        if self.enabled and self.verbose:
            self._close()
            self._print(f"    {text}")

    note = detail   # the older name

    def _close(self) -> None:
        if self._open:
            self._print("")
            self._open = False

    # -- `with progress:` makes certify.output.progress.note() reach this object --------------------------------
    def __enter__(self) -> "Progress":
        self._tokens.append(_ACTIVE.set(self))
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()
        _ACTIVE.reset(self._tokens.pop())
