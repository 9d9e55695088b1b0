"""Notebook and console views of check results: `repr`, `str`, Markdown and LaTeX for Jupyter.

Display only, and no renderer of its own: every view is the text, Markdown or LaTeX report of
`certify/output/report.py` (formulas from `certify/output/mathtex.py`), with a verdict badge in front. The
verdict shown is the one the result carries, which only the kernel's evidence can make CERTIFIED or REFUTED
(check.py `_require_kernel_evidence`); nothing here decides anything.

check.py's `RuleReport` and `ClaimResult` call these functions lazily (their `_repr_markdown_`, `_repr_latex_`,
`__repr__`, `__str__` and `to_dict`), so importing certify.check stays free of the rendering code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from certify.output import report
from certify.output.mathtex import Printer
from certify.verdict import Verdict

if TYPE_CHECKING:   # annotations only
    from certify.check import ClaimResult, RuleReport

#: the badge in front of a Markdown view: a symbol that every Markdown renderer shows, and the verdict in capitals
BADGE_MARKDOWN = {Verdict.CERTIFIED: "✅", Verdict.REFUTED: "❌", Verdict.INCONCLUSIVE: "❔", Verdict.ERROR: "⚠️"}


def badge_markdown(verdict: Verdict) -> str:
    return f"{BADGE_MARKDOWN[verdict]} **{verdict.value.upper()}**"


def badge_latex(verdict: Verdict) -> str:
    return f"\\fbox{{\\textbf{{{verdict.value.upper()}}}}}"


# -- a whole report ----------------------------------------------------------------------------------------------

def report_repr(rep: "RuleReport") -> str:
    """`repr(report)`: the quiet text report of `certify check -q` (one screen: verdicts and bounds)."""
    return report.text_report(rep, level="quiet")


def report_str(rep: "RuleReport") -> str:
    """`str(report)`: the text report `certify check` prints (with the derivation steps)."""
    return report.text_report(rep, level="normal")


def report_markdown(rep: "RuleReport") -> str:
    """The badge, then `certify check --format markdown`'s report (typeset formulas, every step and its source)."""
    return f"{badge_markdown(rep.verdict)}\n\n{report.markdown_report(rep)}"


def report_latex(rep: "RuleReport") -> str:
    """The badge, then `certify check --format latex`'s body (a document fragment: wrap it with
    `certify.output.report.latex_document` for a standalone file)."""
    return f"{badge_latex(rep.verdict)}\n\n{report.latex_report(rep)}"


# -- one claim ---------------------------------------------------------------------------------------------------

def _title(r: "ClaimResult") -> str:
    """The claim as markdown_report heads it: 'l2 nonincreasing', 'weighted l1 contracting'."""
    return f"{report.MEASURE_NAMES[r.claim.measure]} {r.claim.bound}"


def result_repr(r: "ClaimResult") -> str:
    """`repr(result)`: the claim's lines of the quiet text report."""
    lines = report._result_lines(r, Printer("text"), steps=False)
    return "\n".join(line[2:] if line.startswith("  ") else line for line in lines)


def result_str(r: "ClaimResult") -> str:
    """`str(result)`: the claim's lines of the text report, derivation steps included."""
    lines = report._result_lines(r, Printer("text"), steps=True)
    return "\n".join(line[2:] if line.startswith("  ") else line for line in lines)


def result_markdown(r: "ClaimResult") -> str:
    p = Printer("latex")
    lines = [f"{badge_markdown(r.verdict)} {_title(r)}", ""] + report._md_result(r, p) + report._md_footnotes(p)
    return "\n".join(lines).rstrip() + "\n"


def result_latex(r: "ClaimResult") -> str:
    p = Printer("latex")
    lines = [f"{badge_latex(r.verdict)} {report._tex(_title(r))}", ""] + report._latex_result(r, p) + \
        report._latex_footnotes(p)
    return "\n".join(lines)


def result_dict(r: "ClaimResult") -> dict:
    """The result's entry in `certify check --format json` ("results" of its report)."""
    return report.result_dict(r)


def report_dict(rep: "RuleReport") -> dict:
    """The report's item in `certify check --format json` (certify/schema/check.schema.json)."""
    return report.report_dict(rep)


__all__ = ["report_repr", "report_str", "report_markdown", "report_latex", "result_repr", "result_str",
           "result_markdown", "result_latex", "result_dict", "report_dict", "badge_markdown", "badge_latex"]
