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
    INTERNAL_ERROR = 4  #: a bug in certify itself (verdict `error`, kind `internal`), never the user's file


def exit_code_for(verdicts: list[Verdict], internal: bool = False) -> ExitCode:
    """Worst-first: an internal error beats a usage error beats refuted beats inconclusive beats certified."""
    if internal:
        return ExitCode.INTERNAL_ERROR
    if any(v is Verdict.ERROR for v in verdicts):
        return ExitCode.USAGE_ERROR
    if any(v is Verdict.REFUTED for v in verdicts):
        return ExitCode.REFUTED
    if any(v is Verdict.INCONCLUSIVE for v in verdicts):
        return ExitCode.INCONCLUSIVE
    return ExitCode.OK


def worst(verdicts: list[Verdict]) -> Verdict:
    """The verdict of a file from the verdicts of everything it declares (its claim and its laws): refuted beats
    inconclusive beats certified; error beats all. No verdicts at all is inconclusive (nothing was shown)."""
    for v in (Verdict.ERROR, Verdict.REFUTED, Verdict.INCONCLUSIVE):
        if v in verdicts:
            return v
    return Verdict.CERTIFIED if verdicts else Verdict.INCONCLUSIVE


def explored_verdict(verdicts: list[Verdict]) -> Verdict:
    """The finding of an exploration (no claim stated): certified when some bound is certified in some norm,
    refuted when every explored bound is refuted, else inconclusive."""
    if Verdict.CERTIFIED in verdicts:
        return Verdict.CERTIFIED
    if verdicts and all(v is Verdict.REFUTED for v in verdicts):
        return Verdict.REFUTED
    return Verdict.INCONCLUSIVE


def file_verdict(stated: Verdict | None, laws: list[Verdict], explored: Verdict) -> Verdict:
    """The verdict of a rule file (README, "Four verdicts"): the worst of its stated claim and its declared laws;
    without a stated claim the declared laws alone decide; with neither, the exploration's finding."""
    if stated is not None:
        return worst([stated] + laws)
    return worst(laws) if laws else explored

