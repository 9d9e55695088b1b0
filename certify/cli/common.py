"""The options every sub-command shares, with one meaning each (docs/cli.md):

- `--format`: what stdout holds: `text` (for people) or `json` (for programs), and for `check`/`explain` also
  `markdown` and `latex`; the choices a command offers are the ones meaningful for it;
- `--out`: where the command writes files (a folder for one report per input; a file where the command writes one
  thing, e.g. a plot; `plot --out` takes either);
- `-q`/`--quiet`: less on stdout (the verdicts or results only) and no progress lines;
- `-v`/`--verbose`: progress on stderr (one line per file or stage, certify/output/progress.py) and, where a
  command has more to say, the full detail on stdout. `-q -v`: the short stdout with progress lines.
Without either, progress lines appear only when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import sys

QUIET_HELP = "less on stdout (results only) and no progress lines"
VERBOSE_HELP = ("progress lines on stderr and, where there is more to say, every detail on stdout (with -q: the "
                "short stdout and the progress lines)")


def add_format(p: argparse.ArgumentParser, choices: tuple[str, ...], default: str = "text") -> None:
    p.add_argument("--format", choices=choices, default=default,
                   help=f"what stdout holds: {', '.join(choices)} (default {default})")


def add_verbosity(p: argparse.ArgumentParser, quiet_help: str = QUIET_HELP, verbose_help: str = VERBOSE_HELP,
                  exclusive: bool = False) -> None:
    g = p.add_mutually_exclusive_group() if exclusive else p
    g.add_argument("-q", "--quiet", action="store_true", help=quiet_help)
    g.add_argument("-v", "--verbose", action="store_true", help=verbose_help)


__all__ = ["add_format", "add_verbosity", "QUIET_HELP", "VERBOSE_HELP"]


def write_out(path: str, body: str) -> int | None:
    """Write a command's text output to --out PATH (atomically); None when written, else the usage-error exit code
    after printing a located error on stderr."""
    # deferred: only --out needs the writer and the error renderer
    from certify.errors import InputError
    from certify.output.atomic import write_text
    from certify.output.report import text_error
    from certify.verdict import ExitCode
    try:
        write_text(path, body + "\n")
    except OSError as exc:
        print(text_error(InputError(f"--out: cannot write {path}: {exc.strerror or exc}", file=path, symbol="--out",
                                    hint="name a file in a folder you can write to")), file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    return None
