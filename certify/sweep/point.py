"""One point of a sweep, as a worker runs it: the rule with the swept parameters fixed, one full `check_rule`, and
the row that records what the check returned.

    task = PointTask(index=3, values=(("k", "1/2"), ("gamma", "1")), rule_text=..., rule_file="rules/x.toml")
    row = run_point(task)      # a plain dict (JSON-ready): verdict, rate, T, summary, evidence, error, ...

A point fixes each swept parameter to its exact value by writing the number in place of the declared range in the
parsed TOML (a number is a range of one value, certify/lang/ranges.py) and reading the result with Rule.from_dict:
the same reader, the same checks and the same error messages as any rule file. Nothing here decides anything: the
verdict, the rate and T are those of the RuleReport; the evidence kept is `report_dict(report)` (the kernel-checked
derivation or counterexample, exact rationals as strings).

Faults: an exception in the check (a bug in certify) or a run past the per-point time budget (certify/budget.py:
the same `limit`/`stage` mechanism as --timeout; in a worker thread, such as Dask's, the same BudgetExceeded sent
by certify/sweep/threadbudget.py) is retried once in the same process, then the row is an error
with its reason (`verdict` "error", `error_kind` internal | timeout). A bad input at a point (e.g. a value the
rule's reader refuses) is an error of kind input at once. A worker process that dies is the executor's business
(certify/sweep/run.py).
"""

from __future__ import annotations

import threading
import time
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import sympy as sp

from certify.budget import BudgetExceeded, limit
from certify.check import check_rule
from certify.errors import InputError, InternalError
from certify.lang.paths import allow_outside, reset
from certify.lang.rule import Rule
from certify.output.report import report_dict
from certify.sweep.condition import text as tree_text
from certify.sweep.condition import to_tree
from certify.sweep.run import preload
from certify.sweep.threadbudget import thread_budget
from certify.verdict import Verdict

ERROR = "error"
ATTEMPTS = 2            # the first try and one retry


@dataclass(frozen=True)
class PointTask:
    """Everything a worker needs for one point (picklable; no SymPy objects, no open files)."""

    index: int
    values: tuple[tuple[str, str], ...]   # (name, exact value as text), in grid order
    rule_text: str                        # the rule file's TOML text
    rule_file: str | None = None          # its path (data files such as W0 = "w.npy" are found next to it)
    measure: str | None = None
    bound: str | None = None
    expectations: bool = False
    timeout: float = 0.0                  # seconds per point (0: no limit)
    allow_outside: bool = False           # --allow-outside-paths
    evidence: bool = True                 # keep report_dict(report) in the row

    @property
    def label(self) -> str:
        return ", ".join(f"{k} = {v}" for k, v in self.values)


def point_data(rule_text: str, values, file: str | None = None) -> dict:
    """The parsed TOML of the rule with each swept parameter fixed to its value (a number as text, e.g. "1/2")."""
    data = tomllib.loads(rule_text)
    params = data.get("parameters")
    if not isinstance(params, dict):
        raise InputError("the rule declares no [parameters] to sweep", file=file, symbol="parameters",
                         hint="declare the swept names under [parameters], e.g. k = \">= 0\"")
    for name, value in values:
        if name not in params:
            raise InputError(f"the rule declares no parameter '{name}' (declared parameters: "
                             f"{', '.join(sorted(params)) or 'none'})", file=file, symbol=name,
                             hint="sweep a name declared under [parameters]")
        params[name] = str(value)
    return data


def point_rule(task: PointTask):
    return Rule.from_dict(point_data(task.rule_text, task.values, task.rule_file), file=task.rule_file,
                          text=task.rule_text)


def run_point(task: PointTask) -> dict:
    """The row of one point: the check's verdict and numbers, or an error with its reason after one retry."""
    started = time.perf_counter()
    outcome: dict = {}
    for attempt in range(1, ATTEMPTS + 1):
        outcome = _attempt(task)
        outcome["attempts"] = attempt
        if outcome["verdict"] != ERROR or outcome["error_kind"] == "input":
            break
    outcome["seconds"] = round(time.perf_counter() - started, 4)
    return outcome


def _attempt(task: PointTask) -> dict:
    token = allow_outside(task.allow_outside)
    try:
        with _budget(task.timeout or 0) as budget:
            rule = point_rule(task)
            report = _check(rule, task)
        if budget.expired:
            return error_row(task, "timeout", f"timed out: {budget.reason}")
        return report_row(task, report)
    except InputError as err:
        return error_row(task, "input", str(err).replace("\n", " "))
    except BudgetExceeded as exc:
        return error_row(task, "timeout", f"timed out: {exc.reason}")
    except Exception as exc:   # a bug in certify: an error row with the reason, never a verdict
        return error_row(task, "internal", InternalError(exc).message)
    finally:
        reset(token)


def _budget(seconds: float):
    """The per-point budget: certify/budget.py's signal timer in a main thread (pool, serial), else the thread budget
    (a Dask worker runs tasks in threads, where no signal arrives)."""
    if threading.current_thread() is threading.main_thread():
        return limit(seconds)
    preload()   # what a check imports, imported before any budget runs (cheap once done)
    return thread_budget(seconds)


def _check(rule, task: PointTask):
    return check_rule(rule, measure=task.measure, bound=task.bound, expectations=task.expectations,
                      timeout=task.timeout or 0)


def base_row(task: PointTask) -> dict:
    return {"index": task.index, "params": dict(task.values), "verdict": None, "rate": None, "T": None,
            "summary": "", "claims": [], "mismatches": [], "condition": None, "condition_text": "",
            "error_kind": None, "error": None, "attempts": 1, "seconds": 0.0, "evidence": None}


def error_row(task: PointTask, kind: str, reason: str) -> dict:
    row = base_row(task)
    row.update(verdict=ERROR, error_kind=kind, error=reason)
    return row


def report_row(task: PointTask, report) -> dict:
    """What the RuleReport says, as a row: verdict, the main result's rate and T (exact, as text), its summary, the
    verdict of each claim, the symbolic condition the check reported (if any) and the evidence."""
    row = base_row(task)
    row["verdict"] = report.verdict.value
    row["rule_hash"] = report.rule.hash   # of the point's rule: it also seeds the counterexample search (falsify)
    main = _main_result(report)
    values = {k: Fraction(v) for k, v in task.values}
    if main is not None:
        rate, T = rate_and_T(main, values)
        row["rate"], row["T"] = _q(rate), _q(T)
        row["summary"] = main.summary.replace("(details below)", "(reasons: points.jsonl)")
    row["claims"] = [{"measure": r.claim.measure, "bound": r.claim.bound, "verdict": r.verdict.value}
                     for r in report.results]
    row["mismatches"] = list(report.mismatches)   # documented [expect] verdicts not reproduced at this point
    constants = _constants(report.rule, values)
    for relation in conditions(report):
        tree = to_tree(relation.xreplace(constants) if constants else relation)
        if tree is not None:
            row["condition"], row["condition_text"] = tree, tree_text(tree)
            break
    if task.evidence:
        row["evidence"] = report_dict(report)
    return row


def _main_result(report):
    """The result the row's verdict comes from: the stated claim, else the first result with the file's verdict."""
    for r in report.results:
        if r.verdict is report.verdict:
            return r
    return report.results[0] if report.results else None


def rate_and_T(result, values: dict[str, Fraction]) -> tuple[Fraction | None, Fraction | None]:
    """The rate and onset time T of a certified result, as the check reports them: a plastic network's rate for all
    t (or after T), a fixed network's best rate, a flow bound's decay rate at the point. None otherwise."""
    if result.verdict is not Verdict.CERTIFIED:
        return None, None
    net = result.network
    if net is not None and hasattr(net, "c_all"):
        if net.c_all > 0:
            return Fraction(net.c_all), Fraction(0)
        return Fraction(net.c_after), Fraction(net.T)
    best = getattr(net, "best", None)
    if best is not None and best.rate is not None:
        return Fraction(best.rate), None
    if result.certificate is not None:
        return _at_point(result.certificate.gamma, values), None
    return None, None


def _at_point(expr: Any, values: dict[str, Fraction]) -> Fraction | None:
    """A SymPy expression in the swept parameters, evaluated exactly at the point (None if it is not a number)."""
    subs = {s: sp.Rational(values[s.name].numerator, values[s.name].denominator)
            for s in getattr(expr, "free_symbols", ()) if getattr(s, "name", None) in values}
    if not isinstance(expr, sp.Basic):
        return Fraction(expr) if isinstance(expr, (int, Fraction)) else None
    value = expr.xreplace(subs)
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    return None


def _constants(rule, swept: dict[str, Fraction]) -> dict:
    """The parameters the rule itself fixes to one value (not swept), as SymPy substitutions: a condition drawn over
    the swept parameters then mentions only them."""
    out = {}
    for name, rng in rule.parameters:
        iv = rng.interval
        if name not in swept and iv.lo == iv.hi:
            out[sp.Symbol(name, real=True)] = sp.Rational(iv.lo.numerator, iv.lo.denominator)
    return out


def conditions(report) -> list:
    """The symbolic conditions the check attached to its results: a plastic network's condition for contraction at
    every t >= 0 (from the kernel-checked flow bound), then the conditions of a conditional certificate."""
    out = []
    for r in report.results:
        cond = getattr(r.network, "all_t_condition", None)
        if getattr(cond, "free_symbols", None):
            out.append(cond)
        out += [c for c in r.conditions if getattr(c, "free_symbols", None)]
    return out


def _q(x: Fraction | None) -> str | None:
    if x is None:
        return None
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


PointFunction = Callable[[PointTask], dict]

__all__ = ["PointTask", "run_point", "point_rule", "point_data", "report_row", "error_row", "rate_and_T", "ERROR"]
