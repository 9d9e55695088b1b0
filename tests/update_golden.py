"""Regenerate the stored expected CLI output in tests/golden/ (run after changing the catalog or the report):

    python tests/update_golden.py            # rewrite every golden file, print which ones changed
    python tests/update_golden.py --check    # only compare (exit 1 and a diff on a mismatch), write nothing

Each golden file is a transcript: the command, its stdout, and its exit code, as a shell would show them.
tests/output/test_golden.py runs the same commands in-process and compares with `normalise` applied to both sides.
The commands run from the repository root, so file names print as `rules/...`.

The filter (`normalise`) touches three kinds of numbers, nothing else:
- timings such as "(0.49 s)" become "(<t> s)";
- the exact value behind a number printed rounded ("1.387 stands for 3351854093488005457117185/24178...") becomes
  "<exact>": the onset time T comes from an Arb ball computation whose last bits may change with the kernel's
  precision schedule, while the rounded value printed (rounded up, a safe bound) is compared as printed;
- contraction rates found by a floating-point search -- on lines naming "Perron weights" or an "l2 metric"
  (the multiplier LMI) -- are rounded to 4 significant digits and marked "~": "rate -1/2" and "rate -0.5"
  both become "rate ~-0.5", "rate 0.550816" becomes "rate ~0.5508". The kernel computes each such rate
  exactly, but from weights or a metric that floating point found, so its last digits (and whether it is
  short enough to print as a fraction) depend on the BLAS kernel: under OPENBLAS_CORETYPE=Nehalem the
  Perron-weighted linf rate of memory-weak-relu is exactly -1/2, under the default kernel -0.5000000000x.
Everything else (verdicts, counterexamples, exact rates, T, simulated distances, equilibrium boxes) was
identical in repeated runs and under the SkylakeX, Haswell and Nehalem OpenBLAS kernels and is compared
as printed. If another number turns out to vary, add a filter for that number only.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"

#: golden file name (without .txt) -> the arguments of `certify`
CASES: dict[str, tuple[str, ...]] = {
    "check-q-rules": ("check", "-q", "rules/"),
    "check-expect-rules": ("check", "--expect", "rules/"),
    "check-expect-v-rules": ("check", "--expect", "-v", "rules/"),
    "explain-latex-hebbian-decay": ("explain", "--format", "latex", "rules/hebbian-decay.toml"),
}

_EXACT = re.compile(r"(stands for )-?\d{12,}/\d{12,}")   # exact value of a rounded number, footnoted with -v
_TIMING = re.compile(r"\(\d+(?:\.\d+)? s\)")
_SEARCHED = re.compile(r"Perron weights|l2 metric")      # rates from weights/metrics found in floating point
_RATE = re.compile(r"\brate (-?\d+(?:/\d+)?(?:\.\d+)?(?:e[+-]?\d+)?)")

REGENERATE = "python tests/update_golden.py"


def _rounded_rate(match: re.Match[str]) -> str:
    return f"rate ~{float(Fraction(match[1])):.4g}"


def normalise(text: str) -> str:
    """The transcript with its machine-dependent numbers replaced (see the module docstring)."""
    lines = []
    for line in text.split("\n"):
        line = _TIMING.sub("(<t> s)", line)
        line = _EXACT.sub(r"\1<exact>", line)
        if _SEARCHED.search(line):
            line = _RATE.sub(_rounded_rate, line)
        lines.append(line)
    return "\n".join(lines)


def transcript(args: Sequence[str], stdout: str, code: int) -> str:
    """`$ certify ARGS`, the output, `$ echo $?` and the exit code, newline-terminated."""
    body = stdout if stdout.endswith("\n") or not stdout else stdout + "\n"
    return f"$ certify {' '.join(args)}\n{body}$ echo $?\n{code}\n"


def run_cli(args: Sequence[str]) -> tuple[str, int]:
    """(stdout, exit code) of certify.cli.main.main(args), run in-process from the repository root."""
    from certify.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(cwd)
    return out.getvalue(), int(code)


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.txt"


def diff(expected: str, actual: str, name: str) -> str:
    """A unified diff of the stored transcript against the current one."""
    return "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                        fromfile=f"tests/golden/{name}.txt (stored)",
                                        tofile=f"certify {' '.join(CASES[name])} (now)"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate (or --check) the golden CLI transcripts.")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a mismatch")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"cases to regenerate (default: all of {', '.join(CASES)})")
    opts = parser.parse_args(argv)
    unknown = [n for n in opts.names if n not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; known: {', '.join(CASES)}")
    GOLDEN.mkdir(exist_ok=True)
    status = 0
    for name in opts.names or CASES:
        stdout, code = run_cli(CASES[name])
        text = normalise(transcript(CASES[name], stdout, code))
        path = golden_path(name)
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old == text:
            print(f"{path.relative_to(ROOT)}: unchanged")
            continue
        if opts.check:
            sys.stdout.write(diff(old, text, name))
            status = 1
            continue
        path.write_text(text, encoding="utf-8")
        changed = sum(1 for line in difflib.ndiff(old.splitlines(), text.splitlines()) if line[:1] in "+-")
        print(f"{path.relative_to(ROOT)}: written ({changed} line(s) changed, exit code {code})")
    return status


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))   # the working tree's certify, installed or not
    sys.exit(main())
