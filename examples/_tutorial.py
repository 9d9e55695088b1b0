"""Two small helpers every example script uses (not an example itself; the test suite does not run it)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def output_dir(prefix: str = "certify-examples-") -> Path:
    """Where an example writes files: $CERTIFY_EXAMPLES_OUT, else a fresh temporary directory."""
    path = Path(os.environ.get("CERTIFY_EXAMPLES_OUT") or tempfile.mkdtemp(prefix=prefix))
    path.mkdir(parents=True, exist_ok=True)
    return path


def section(title: str) -> None:
    print(f"\n== {title} ==")
