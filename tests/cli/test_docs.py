"""Docs that must not drift: the committed workflow file equals the one docs/ci.md shows, and (slow) every
transcript in README.md and docs/*.md is what the command prints today (docs/transcripts.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_workflow_files_exist_as_documented():
    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    block = re.search(r"## GitHub Actions\n.*?```yaml\n(.*?)```", doc, re.S).group(1)
    assert (ROOT / ".github" / "workflows" / "certificates.yml").read_text(encoding="utf-8") == block
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert ".ci/run" in ci and (ROOT / ".ci" / "run").exists()


@pytest.mark.slow
def test_readme_and_docs_transcripts_are_real_output():
    """Every `$ certify ...` block in README.md and docs/*.md (blocks marked recorded output excepted)."""
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "transcripts.py"), "--check"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:]
