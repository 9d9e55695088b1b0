"""Regenerate (or --check) the command transcripts in README.md and docs/*.md from real runs.

    python docs/transcripts.py                 # rewrite every transcript block, say which ones changed
    python docs/transcripts.py --check         # compare only: exit 1 and print the differences
    python docs/transcripts.py README.md       # only these files

A transcript block is a fenced code block whose first line starts with `$ certify `. Each `$ COMMAND` line is run
with bash (pipes such as `| tail -3` included) in a scratch folder that holds `rules/`, `proofs/` and `examples/`
(copies of the repository's) and the files the README's walk-through names:

- `my_rule.toml`: the first TOML block of README.md (the "Certify a rule" example);
- `J.npy`: the recurrent weight matrix J of a 50-neuron network, 50 x 50, saved with numpy.save: a sparse random
  matrix (seed 0, 20 % of the entries nonzero, |J_ij| up to 2; `make_J` below);
- `typo.toml`, `evil.toml`: the rule files of docs/rules.md (`EXAMPLE_FILES` below).

The lines after a command, up to the next `$ ` line, are its stdout (stderr is not part of a transcript: a block
that shows an error message runs the command with `2>&1`);
`$ echo $?` prints the exit code of the command before it. A block with a line `...` is an excerpt: its other
lines must appear in the real output, in order, and it is checked but never rewritten. Timings (`0.41 s`) are
compared as `<t> s`.

Recorded output: a block right after a line `<!-- transcript: recorded -->` is the output of a real run that is
too slow (over about 20 s) or not deterministic (timings of whole runs, parallel schedules) to rerun on every
check. `--check` lists it as recorded and does not rerun it; `--recorded` reruns and rewrites (or, with `--check`,
compares) recorded blocks too:

    python docs/transcripts.py --recorded docs/ci.md   # refresh the recorded blocks of one page
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = ["README.md"] + [f"docs/{p.name}" for p in sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```\n", re.S | re.M)
RECORDED = "<!-- transcript: recorded -->"
TIMING = re.compile(r"\d+(?:\.\d+)? s\b")


def make_J(path: Path) -> None:
    import numpy as np
    rng = np.random.default_rng(0)
    n = 50
    J = rng.uniform(-2, 2, (n, n)) * (rng.random((n, n)) < 0.2)
    np.fill_diagonal(J, 0.0)
    np.save(path, J)


#: the small files docs/rules.md's transcripts name (a typo in a parameter name, a hostile expression)
EXAMPLE_FILES = {
    "typo.toml": '[rule]\ndW = "-gama*W"\n[parameters]\ngamma = ">= 0"\n',
    "evil.toml": '[rule]\ndW = "__import__(\'os\').system(\'touch pwned\')"\n',
}


def scratch() -> tempfile.TemporaryDirectory:
    tmp = tempfile.TemporaryDirectory(prefix="certify-transcripts-")
    where = Path(tmp.name)
    for name in ("rules", "proofs", "examples"):   # copies: `certify verify` opens only files inside its project
        shutil.copytree(ROOT / name, where / name, ignore=shutil.ignore_patterns("__pycache__"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    toml = re.search(r"^```toml\n(.*?)^```\n", readme, re.S | re.M)
    if toml:
        (where / "my_rule.toml").write_text(toml.group(1), encoding="utf-8")
    make_J(where / "J.npy")
    for name, body in EXAMPLE_FILES.items():
        (where / name).write_text(body, encoding="utf-8")
    return tmp


def run(command: str, cwd: Path) -> tuple[str, int]:
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, capture_output=True, text=True,
                          timeout=900, env={**os.environ, "COLUMNS": "120"})
    return proc.stdout, proc.returncode


def parse(block: str) -> list[tuple[str, list[str]]]:
    """[(command, output lines)] of a transcript block."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def rerun(block: str, cwd: Path) -> str:
    out: list[str] = []
    code = 0
    for command, _ in parse(block):
        out.append(f"$ {command}")
        if command == "echo $?":
            out.append(str(code))
            continue
        text, code = run(command, cwd)
        out += text.rstrip("\n").splitlines()
    return "\n".join(out) + "\n"


def _norm(text: str) -> str:
    return TIMING.sub("<t> s", text)


def excerpt_ok(stored: str, fresh: str) -> list[str]:
    """The stored excerpt's lines that are missing from the fresh output (in order)."""
    want = [_norm(x) for x in stored.splitlines() if x.strip() != "..." and not x.startswith("$ ")]
    have = [_norm(x) for x in fresh.splitlines()]
    missing, i = [], 0
    for line in want:
        try:
            i = have.index(line, i) + 1
        except ValueError:
            missing.append(line)
    return missing


def is_recorded(text: str, start: int) -> bool:
    """Whether the fence starting at `start` follows the recorded-output marker (blank lines between allowed)."""
    before = text[:start].rstrip("\n").rsplit("\n", 1)[-1]
    return before.strip() == RECORDED


def process(path: Path, cwd: Path, check: bool, recorded: bool = False) -> bool:
    text = path.read_text(encoding="utf-8")
    ok = True
    pieces, last = [], 0
    for m in FENCE.finditer(text):
        block = m.group(1)
        if not block.startswith("$ certify "):
            continue
        name = f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
        if is_recorded(text, m.start()) and not recorded:
            print(f"{name}: recorded output, not rerun (--recorded reruns it)")
            continue
        fresh = rerun(block, cwd)
        if any(line.strip() == "..." for line in block.splitlines()):
            missing = excerpt_ok(block, fresh)
            if missing:
                ok = False
                print(f"{name}: excerpt lines not in the real output:\n  " + "\n  ".join(missing))
            continue
        if _norm(fresh) == _norm(block):
            continue
        ok = False
        if check:
            sys.stdout.write("".join(difflib.unified_diff(block.splitlines(True), fresh.splitlines(True),
                                                          f"{name} (stored)", f"{name} (now)")))
        else:
            pieces += [text[last:m.start(1)], fresh]
            last = m.end(1)
            print(f"{name}: rewritten")
    if pieces and not check:
        path.write_text("".join(pieces) + text[last:], encoding="utf-8")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate (or --check) the transcripts in README.md and docs/.")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    parser.add_argument("--recorded", action="store_true",
                        help=f"also rerun the blocks marked {RECORDED} (slow or nondeterministic runs)")
    parser.add_argument("files", nargs="*", help="Markdown files (default: README.md and docs/*.md)")
    opts = parser.parse_args(argv)
    with scratch() as tmp:
        results = [process(ROOT / f, Path(tmp), opts.check, opts.recorded) for f in (opts.files or DEFAULT_FILES)]
    return 0 if all(results) or not opts.check else 1


if __name__ == "__main__":
    sys.exit(main())
