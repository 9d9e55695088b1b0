"""The four verdicts and the command-line exit codes (DESIGN.md, "Verdicts").

Only the kernel produces CERTIFIED or REFUTED; everything else can at most say INCONCLUSIVE or ERROR.
"""

from __future__ import annotations

import enum


class Verdict(str, enum.Enum):
    CERTIFIED = "certified"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


class ExitCode(enum.IntEnum):
    """Stable process exit codes of the `certify` command."""

    OK = 0             #: every claim certified (or the command did its job)
    REFUTED = 1        #: at least one claim refuted by a kernel-checked counterexample
    USAGE_ERROR = 2    #: bad input file, bad expression or bad command-line usage
    INCONCLUSIVE = 3   #: at least one claim neither certified nor refuted, none refuted


def exit_code_for(verdicts: list[Verdict]) -> ExitCode:
    """Worst-first: error beats refuted beats inconclusive beats certified."""
    if any(v is Verdict.ERROR for v in verdicts):
        return ExitCode.USAGE_ERROR
    if any(v is Verdict.REFUTED for v in verdicts):
        return ExitCode.REFUTED
    if any(v is Verdict.INCONCLUSIVE for v in verdicts):
        return ExitCode.INCONCLUSIVE
    return ExitCode.OK
