"""Progress lines for long runs, on stderr (never mixed into the report on stdout).

Shown when --verbose is given, or when stderr is a terminal and --quiet is not; silent otherwise, so
piped and CI output stays byte-for-byte reproducible.

    progress = Progress(len(files), enabled=progress_enabled(args))
    for path in files:
        progress.start(str(path))        # "[3/18] rules/oja.toml ..."
        ...
        progress.done("certified")       # " certified (0.41 s)"
    progress.note("Dinkelbach step 4: c = 0.05")   # a detail line, only with --verbose
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def progress_enabled(args: Any, stream: TextIO | None = None) -> bool:
    """--verbose turns progress on, --quiet off; otherwise on only when the stream is a terminal."""
    stream = stream or sys.stderr
    if getattr(args, "verbose", False):
        return True
    if getattr(args, "quiet", False):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    def __init__(self, total: int, *, enabled: bool, verbose: bool = False, stream: TextIO | None = None):
        self.total, self.enabled, self.verbose = total, enabled, verbose
        self.stream = stream or sys.stderr
        self.index = 0
        self._started = 0.0

    def start(self, item: str) -> None:
        self.index += 1
        self._started = time.perf_counter()
        if self.enabled:
            print(f"[{self.index}/{self.total}] {item} ...", end="", file=self.stream, flush=True)

    def done(self, status: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self._started
            print(f" {status} ({elapsed:.2f} s)", file=self.stream, flush=True)

    def note(self, text: str) -> None:
        if self.enabled and self.verbose:
            print(f"    {text}", file=self.stream, flush=True)
