"""Rendering reports: text, JSON, Markdown, LaTeX. Printing only; no mathematics happens here."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import TYPE_CHECKING, Any


from certify import __version__
from certify.errors import InputError
from certify.kernel.lemmas import LEMMAS
from certify.lang.parse import show
from certify.output import mathtex
from certify.output.mathtex import Printer, certificate_bound, conditional_text, witness_lines
from certify.output.numbers import q
from certify.verdict import Verdict

if TYPE_CHECKING:   # annotations only: check.py's result types render themselves through this module
    from certify.check import ClaimResult, RuleReport

JSON_SCHEMA_VERSION = 2   # certify/schema/check.schema.json (2: always a list; *_latex fields)


def latex(obj) -> str:
    """SymPy's LaTeX, with its '+ -' for negative terms of matrix sums tidied to '-'."""
    return mathtex._latex(obj)


def _frac(x: Fraction | None) -> str | None:
    return None if x is None else str(x)


def _matrix(rows) -> list[list[str]]:
    return [[str(Fraction(x)) for x in row] for row in rows]


BULK_DATA = ("P", "lam", "eta_exact")   # certificate data (arrays) kept by contraction.py: not for reports


def network_dict(net) -> dict[str, Any] | None:
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.search.contraction import FixedResult, PlasticResult
    if isinstance(net, PlasticResult):
        return {"kind": "plastic", "flow_claim": f"{net.claim.measure} {net.claim.bound}",
                "flow_bound": net.flow_statement, "rate_all_t": str(net.c_all), "T": str(net.T),
                "all_t_condition": show(net.all_t_condition) if getattr(net.all_t_condition, "free_symbols", None)
                else None,
                "T_float": float(net.T), "rate_after_T": str(net.c_after)}
    if isinstance(net, FixedResult):
        return {"kind": "fixed", "best": None if net.best is None else
                {"norm": net.best.norm, "rate": str(net.best.rate),
                 "data": {k: v for k, v in net.best.data.items() if k not in BULK_DATA}},
                "attempts": [{"norm": a.norm, "rate": None if a.rate is None else str(a.rate), "note": a.note}
                             for a in net.attempts]}
    if net is not None:
        return {"kind": "refutation", "explanation": str(getattr(net, "explanation", net))}
    return None


def result_dict(r: ClaimResult) -> dict[str, Any]:
    out: dict[str, Any] = {"measure": r.claim.measure, "bound": r.claim.bound, "verdict": r.verdict.value,
                           "summary": r.summary}
    if r.claim.bound == "contracting":
        out["display"] = network_summary(r, Printer("text"))
    if r.network is not None:
        out["network"] = network_dict(r.network)
    if r.certificate is not None:
        c = r.certificate
        out["certificate"] = {
            "route": c.route, "norm": c.norm, "rate": show(c.gamma), "rate_latex": latex(c.gamma),
            "drive_bound": show(c.beta), "drive_bound_latex": latex(c.beta),
            "positive_part": c.positive_part, "statement": c.bound.render(show),
            "statement_latex": certificate_bound(c, Printer("latex")),
            "conditions_checked": [show(x) for x in c.conditions],
            "steps": [{"lemma": s.lemma, "statement": s.render(show),
                       "statement_latex": mathtex.step(s, c.norm, c.route, Printer("latex")),
                       "source": LEMMAS[s.lemma].source if s.lemma in LEMMAS else "identity of normal forms"}
                      for s in c.steps],
        }
    if r.refutation is not None:
        w = r.refutation.witness
        out["counterexample"] = {
            "kind": w.kind, "n": w.n, "parameters": {k: str(v) for k, v in w.parameters.items()},
            "W0": _matrix(w.W0), "activity": {k: [str(x) for x in v] for k, v in w.activity.items()},
            "matrices": {k: _matrix(v) for k, v in w.matrices.items()},
            "vector": None if w.vector is None else [str(x) for x in w.vector], "value": _frac(w.value),
            "growth_lower_bound": str(r.refutation.lower), "allowed": str(r.refutation.allowed),
            "explanation": r.refutation.explanation,
        }
    if r.reasons:
        out["reasons"] = list(r.reasons)
    if r.conditional is not None:
        out["conditional"] = {"conditions": [show(c) for c in r.conditions],
                              "statement": r.conditional.bound.render(show),
                              "display": conditional_text(r, Printer("text")),
                              "note": "kernel-checked under the declared ranges narrowed by these conditions"}
    return out


def report_dict(rep: RuleReport) -> dict[str, Any]:
    rule = rep.rule
    p = Printer("text")
    for r in rep.results:
        if r.claim.bound == "contracting":
            network_summary(r, p)
    return {
        "schema_version": JSON_SCHEMA_VERSION, "tool": f"certify {__version__}",
        "file": rule.source, "rule": rule.name, "summary": rule.summary, "reference": rule.reference,
        "dW": rule.dW_text, "dW_latex": latex(rule.dW), "rule_hash": rule.hash,
        "assumptions": {"parameters": {k: r.text() for k, r in rule.parameters},
                        "activity": {k: r.text() for k, r in rule.activity},
                        "matrices": dict(rule.matrices)},
        "mode": rep.mode, "verdict": rep.verdict.value, "note": rep.note,
        "results": [result_dict(r) for r in rep.results],
        "expectation_mismatches": list(rep.mismatches),
        **({"laws": laws_dict(rep)} if rep.laws else {}),
        **({"rounded": [{"shown": a, "exact": b} for a, b in p.exact]} if p.exact else {}),
    }


def error_dict(err: InputError, path: str | None) -> dict[str, Any]:
    """An input error (kind 'input', exit 2) or an internal error (kind 'internal', exit 4)."""
    detail = err.to_dict()
    detail.setdefault("kind", "input")
    return {"schema_version": JSON_SCHEMA_VERSION, "file": err.file or path, "verdict": Verdict.ERROR.value,
            "kind": detail["kind"], "error": detail, "message": str(err)}


def to_json(items: list[dict[str, Any]]) -> str:
    """`check --format json`: always a list, one item per rule file (certify/schema/check.schema.json)."""
    return json.dumps(list(items), indent=2)


# -- text ---------------------------------------------------------------------------------------------

MEASURE_NAMES = {"l1": "l1", "l2": "l2", "linf": "linf", "weighted-l1": "weighted l1",
                 "weighted-linf": "weighted linf", "weighted-l2": "weighted l2"}
LEVELS = ("quiet", "normal", "verbose")


def _level(verbose: bool, level: str | None) -> str:
    return level if level in LEVELS else ("normal" if verbose else "quiet")


def _decl(rule) -> list[str]:
    decl = [f"{k} {r.text()}" if not r.text()[0].isdigit() and r.text()[0] not in "[(" else f"{k} in {r.text()}"
            for k, r in rule.parameters]
    decl += [f"{k}_i in {r.text()}" for k, r in rule.activity]
    decl += [f"{k} {v}" for k, v in rule.matrices]
    return decl


def text_report(rep: RuleReport, verbose: bool = True, level: str | None = None) -> str:
    """The text report of one rule file. `level`: 'quiet' (no derivation steps), 'normal' (steps; a file without
    a stated claim prints its one-screen summary table instead of every explored claim), 'verbose' (everything).
    `verbose=False` is the older spelling of level='quiet'."""
    level = _level(verbose, level)
    rule = rep.rule
    p = Printer("text")
    lines = [f"{rule.source or rule.name}: {rep.verdict.value.upper()}",
             f"  rule      {rule.name}: dW/dt = {rule.dW_text}"]
    if rule.parameters or rule.activity or rule.matrices:
        lines.append(f"  assuming  {', '.join(_decl(rule))}")
    if rep.note:
        lines.append(f"  note      {rep.note}")
    if rep.mode == "explore" and level != "verbose":
        lines += summary_table(rep, p)
    else:
        for r in rep.results:
            lines += _result_lines(r, p, steps=level != "quiet")
    lines.extend(_law_lines(rep, level == "verbose" or (level == "normal" and rep.mode != "explore")))
    if p.exact and level == "verbose":
        lines.append("  rounded for display: " + "; ".join(p.footnote_lines()))
    for m in rep.mismatches:
        lines.append(f"  EXPECTATION MISMATCH: {m}")
    return "\n".join(lines)


def _result_lines(r: ClaimResult, p: Printer, steps: bool) -> list[str]:
    if r.claim.bound == "contracting":
        return [f"  [{r.verdict.value.upper():>12}] the network contracts"] + _network_lines(r, steps, p)
    lines = [f"  [{r.verdict.value.upper():>12}] {MEASURE_NAMES[r.claim.measure]} {r.claim.bound}"]
    if r.certificate is not None:
        c = r.certificate
        lines.append(f"      bound: {certificate_bound(c, p)}")
        if steps:
            lines += [f"      {i}. [{s.lemma}] {mathtex.step(s, c.norm, c.route, p)}" for i, s in enumerate(c.steps, 1)]
    elif r.refutation is not None:
        head, *rest = witness_lines(r.refutation.witness, p)
        lines.append(f"      counterexample (kernel-checked, exact): {head}")
        lines += [f"        {x}" for x in rest]
        lines.append(f"      {r.refutation.explanation}")
    else:
        lines += [f"      - {reason}" for reason in dict.fromkeys(r.reasons)]
    cond = conditional_text(r, p)
    if cond:
        lines.append(f"      {cond}")
    return lines


def summary_table(rep: RuleReport, p: Printer | None = None) -> list[str]:
    """One screen for a file without a stated claim: norm x bound -> verdict, and the decay rate of the
    certified bound; then the strongest certified bound (details with -v)."""
    p = p or Printer("text")
    got = {(r.claim.measure, r.claim.bound): r for r in rep.results}
    measures = list(dict.fromkeys(r.claim.measure for r in rep.results))
    head = f"  {'norm':<15}{'nonincreasing':<15}{'bounded':<15}rate"
    lines = [head]
    best = None
    for m in measures:
        cells = []
        rate = ""
        for b in ("nonincreasing", "bounded"):
            r = got.get((m, b))
            if r is None:
                cells.append("(implied)" if got.get((m, "nonincreasing")) is not None
                             and got[(m, "nonincreasing")].verdict is Verdict.CERTIFIED else "-")
                continue
            cells.append(r.verdict.value)
            if r.certificate is not None and not rate:
                rate = p.expr(r.certificate.gamma)
                if best is None or (best.claim.bound == "bounded" and b == "nonincreasing"):
                    best = r
        lines.append(f"  {MEASURE_NAMES[m]:<15}{cells[0]:<15}{cells[1]:<15}{rate}".rstrip())
    if best is not None:
        lines.append(f"  best bound ({MEASURE_NAMES[best.claim.measure]} {best.claim.bound}): "
                     f"{certificate_bound(best.certificate, p)}")
    lines.append("  (-v: every derivation and counterexample)")
    return lines


def _law_lines(rep: RuleReport, verbose: bool) -> list[str]:
    lines: list[str] = []
    for law_rep in rep.laws:
        lines.append(f"  [{law_rep.section}]")
        if verbose:
            lines += [f"      {what}: {formula}" for what, formula in law_rep.derivation]
        for r in law_rep.results:
            lines.append(f"  [{r.verdict.value.upper():>12}] {r.law}: {r.summary}")
            if verbose:
                lines += [f"      - [{lemma}] {text}" for lemma, text, _ in r.steps]
    return lines


def laws_dict(rep: RuleReport) -> list[dict[str, Any]]:
    return [{"section": lr.section, "derivation": [{"quantity": a, "formula": b} for a, b in lr.derivation],
             "laws": [{"law": r.law, "verdict": r.verdict.value, "statement": r.statement, "reason": r.reason,
                       "steps": [{"lemma": a, "statement": b, "source": c} for a, b, c in r.steps]}
                      for r in lr.results]} for lr in rep.laws]


def network_summary(r: ClaimResult, p: Printer) -> str:
    """The contraction verdict in one line (check.network_summary's wording), long rationals rounded and the
    all-t condition display-simplified."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.search.contraction import FixedResult, PlasticResult
    net = r.network
    if isinstance(net, PlasticResult):
        src = f"from the {net.claim.measure} {net.claim.bound} flow bound"
        cond = net.all_t_condition
        cond = (f"; for all {p.math('t')} whenever {p.math(mathtex.relation(cond, p))}"
                if getattr(cond, "free_symbols", None) else "")
        ge = p.math("t" + p.rel(">=") + "0")
        if net.c_all > 0:
            return f"contracts for all {ge} at rate {p.math(p.directed(net.c_all, 'down'))} ({src}{cond})"
        return (f"contracts for {p.math('t' + p.rel('>=') + 'T = ' + p.directed(net.T, 'up'))} at rate "
                f"{p.math(p.directed(net.c_after, 'down'))} ({src}; {p.math('T')} is a rigorous upper bound{cond})")
    if isinstance(net, FixedResult) and net.best is not None and r.verdict is Verdict.CERTIFIED:
        return f"contracts at rate {p.math(p.directed(net.best.rate, 'down'))} in {net.best.norm}"
    return r.summary


def _network_lines(r: ClaimResult, verbose: bool, p: Printer) -> list[str]:
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.search.contraction import FixedResult, PlasticResult
    d = r.network
    summary = network_summary(r, p)
    lines = [f"      {summary}"]
    if isinstance(d, PlasticResult):
        flow = d.flow_certificate
        text = certificate_bound(flow, p) if flow is not None else d.flow_statement
        lines.append(f"      weight flow (kernel-checked): {text}")
        lines.append("      network condition: contraction rate c(t) = 1 - g max(0, m(t)), m(t) the flow bound")
    elif isinstance(d, FixedResult) and (verbose or r.verdict is not Verdict.CERTIFIED):
        for a in d.attempts:
            rate = "not verified" if a.rate is None else f"rate {q(a.rate)}"
            lines.append(f"      - {a.norm}: {rate}{' (' + a.note + ')' if a.note else ''}")
    shown = {summary}
    if r.verdict is Verdict.INCONCLUSIVE:
        for reason in dict.fromkeys(r.reasons):
            if reason in shown or (isinstance(d, FixedResult) and reason != "no verified refutation found"):
                continue
            lines.append(f"      - {reason}")
    elif r.verdict is Verdict.REFUTED:
        lines += [f"      evidence: {reason}" for reason in dict.fromkeys(r.reasons) if reason not in shown]
    return lines


def text_error(err: InputError) -> str:
    return f"ERROR {err}"


# -- markdown / latex ----------------------------------------------------------------------------------

def _reasons(r: ClaimResult) -> list[str]:
    """The reasons of an undecided claim, each once."""
    return list(dict.fromkeys(r.reasons))


def markdown_report(rep: RuleReport) -> str:
    rule = rep.rule
    p = Printer("latex")
    out = [f"# {rule.name}: {rep.verdict.value}", ""]
    if rule.summary:
        out += [rule.summary, ""]
    if rule.reference:
        out += [f"Reference: {rule.reference}", ""]
    out += [f"Weight flow: $\\dot W = {latex(rule.dW)}$", ""]
    for r in rep.results:
        out += [f"## {MEASURE_NAMES[r.claim.measure]}, {r.claim.bound}: **{r.verdict.value}**", ""]
        out += _md_result(r, p)
    for lr in rep.laws:
        out += [f"## Laws of [{lr.section}]", ""] + [f"- {a}: `{b}`" for a, b in lr.derivation] + [""]
        for r in lr.results:
            out += [f"### {r.law}: **{r.verdict.value}**", "", r.summary, ""]
            out += [f"{i}. `{a}` — {b} _({c})_" for i, (a, b, c) in enumerate(r.steps, 1)] + [""]
    out += _md_footnotes(p)
    return "\n".join(out)


def _md_result(r: ClaimResult, p: Printer) -> list[str]:
    out: list[str] = []
    if r.claim.bound == "contracting":
        out += [network_summary(r, p), ""]
        out += [f"- {x}" for x in _reasons(r) if x != r.summary] + ([""] if r.reasons else [])
    elif r.certificate is not None:
        c = r.certificate
        out += [f"$${certificate_bound(c, p)}$$", ""]
        for i, s in enumerate(c.steps, 1):
            src = LEMMAS[s.lemma].source if s.lemma in LEMMAS else "normal-form identity"
            out.append(f"{i}. `{s.lemma}` — {mathtex.step(s, c.norm, c.route, p)} _({src})_")
        out.append("")
    elif r.refutation is not None:
        head, *rest = witness_lines(r.refutation.witness, p)
        out += [f"Counterexample (kernel-checked, exact): {head}", ""] + [f"- {x}" for x in rest]
        out += ["", r.refutation.explanation, ""]
    else:
        out += [f"- {x}" for x in _reasons(r)] + [""]
    cond = conditional_text(r, p)
    if cond:
        out += [cond[0].upper() + cond[1:], ""]
    return out


def _md_footnotes(p: Printer) -> list[str]:
    if not p.exact:
        return []
    return ["", "Rounded values (display only; the JSON output keeps them exact):", ""] + [
        f"- ${a}$ stands for {b}" for a, b in p.exact] + [""]


def latex_report(rep: RuleReport) -> str:
    rule = rep.rule
    p = Printer("latex")
    out = [f"\\section*{{{_tex(rule.name)}: {rep.verdict.value}}}",
           f"Weight flow: $\\dot W = {latex(rule.dW)}$.", "\\begin{itemize}"]
    for r in rep.results:
        out.append(f"\\item {_tex(MEASURE_NAMES[r.claim.measure])}, {r.claim.bound}: \\textbf{{{r.verdict.value}}}.")
        out += _latex_result(r, p)
    for lr in rep.laws:
        for r in lr.results:
            out.append(f"\\item {_tex(lr.section)} law {_tex(r.law)}: \\textbf{{{r.verdict.value}}}. {_tex(r.summary)}")
            if r.steps:
                out.append("\\begin{enumerate}")
                out += [f"\\item \\texttt{{{_tex(a)}}}: {_tex(b)} ({_tex(c)})" for a, b, c in r.steps]
                out.append("\\end{enumerate}")
    out.append("\\end{itemize}")
    out += _latex_footnotes(p)
    return "\n".join(out)


def _latex_result(r: ClaimResult, p: Printer) -> list[str]:
    out: list[str] = []
    if r.claim.bound == "contracting":
        out.append(_tex_mixed(network_summary(r, p)) + ".")
        out += [_tex(x) + "." for x in _reasons(r) if x != r.summary]
    elif r.certificate is not None:
        c = r.certificate
        out.append(f"\\[ {certificate_bound(c, p)} \\]")
        out.append("\\begin{enumerate}")
        out += [f"\\item \\texttt{{{_tex(s.lemma)}}}: {mathtex.step(s, c.norm, c.route, p)}" for s in c.steps]
        out.append("\\end{enumerate}")
    elif r.refutation is not None:
        head, *rest = witness_lines(r.refutation.witness, p)
        out.append("Counterexample (kernel-checked, exact): " + ", ".join([head] + rest) + ".")
        out.append(_tex(r.refutation.explanation))
    else:
        out.append(_tex("; ".join(_reasons(r))))
    cond = conditional_text(r, p)
    if cond:
        out.append("\\\\ " + cond[0].upper() + cond[1:] + ".")
    return out


def _tex_mixed(s: str) -> str:
    """A line of words and $...$ math from the Printer: escape the words only."""
    parts = s.split("$")
    return "$".join(part if i % 2 else _tex(part) for i, part in enumerate(parts))


def _latex_footnotes(p: Printer) -> list[str]:
    if not p.exact:
        return []
    return ["\\paragraph{Rounded values.} Display only; the JSON output keeps them exact:",
            "\\begin{itemize}"] + [f"\\item ${a}$ stands for \\texttt{{{b}}}" for a, b in p.exact] + \
        ["\\end{itemize}"]


_TEX = {"\\": "\\textbackslash{}", "_": "\\_", "&": "\\&", "%": "\\%", "#": "\\#", "^": "\\^{}", "{": "\\{",
        "}": "\\}", "$": "\\$", "~": "\\~{}", "–": "--", "<=": "$\\le$", ">=": "$\\ge$", "<": "$<$", ">": "$>$"}
_TEX_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(_TEX, key=len, reverse=True)))


def _tex(s: str) -> str:
    """Plain text for LaTeX: every special character escaped in one pass (so escapes are never re-escaped)."""
    return _TEX_PATTERN.sub(lambda m: _TEX[m.group(0)], s)


def _explain_blocks(rep: RuleReport, p: Printer) -> list[tuple]:
    """The derivations for a reader as format-neutral blocks (kind, ...) rendered by explain_report. Formulas come
    from `p` (text or LaTeX); 'math' blocks hold a line of words and $...$ math (LaTeX) or plain text."""
    rule = rep.rule
    blocks: list[tuple] = [("title", rule.name, rule.dW_text, latex(rule.dW))]
    if rule.summary:
        blocks.append(("para", rule.summary))
    if rule.reference:
        blocks.append(("para", f"source of the rule: {rule.reference}"))
    for r in rep.results:
        blocks.append(("claim", f"{MEASURE_NAMES[r.claim.measure]} {r.claim.bound}", r.verdict.value))
        if r.claim.bound == "contracting":
            blocks.append(("math", network_summary(r, p)))
            blocks += [("item", x) for x in _reasons(r) if x != r.summary]
        elif r.certificate is not None:
            c = r.certificate
            for i, s in enumerate(c.steps, 1):
                lemma = LEMMAS.get(s.lemma)
                why = (("lemma", f"'{lemma.name}': {lemma.statement}", lemma.source) if lemma is not None else
                       ("why", "both sides expand to the same non-commutative polynomial (kernel normal form)", ""))
                blocks.append(("step", i, mathtex.step(s, c.norm, c.route, p)) + why)
            blocks.append(("conclusion", certificate_bound(c, p)))
        elif r.refutation is not None:
            head, *rest = witness_lines(r.refutation.witness, p)
            blocks.append(("math", f"A counterexample: {', '.join([head] + rest)}"))
            blocks.append(("para", r.refutation.explanation))
            blocks.append(("para", "Every number above is exact; the kernel re-computed the growth rate in "
                                   "rational arithmetic."))
        else:
            reasons = _reasons(r)
            if len(reasons) != 1:
                blocks.append(("para", "no proof and no counterexample found:" if reasons else r.summary))
            blocks += [("item", x) for x in reasons]
        cond = conditional_text(r, p)
        if cond:
            blocks.append(("math", cond[0].upper() + cond[1:]))
    for lr in rep.laws:
        blocks.append(("laws", lr.section))
        blocks += [("item", f"{a}: {b}") for a, b in lr.derivation]
        for r in lr.results:
            blocks.append(("claim", f"law {r.law}", r.verdict.value))
            blocks.append(("para", r.summary))
            blocks += [("step", i, p.words(f"[{lemma}] {text}") if not p.tex else _tex(f"[{lemma}] {text}"),
                        "lemma", "", source)
                       for i, (lemma, text, source) in enumerate(r.steps, 1)]
    return blocks


def explain_report(rep: RuleReport, fmt: str = "text") -> str:
    """The derivations for a reader: every step with the lemma it uses, stated in full, and its source;
    as text, Markdown, or a LaTeX document body (wrap it with latex_document). Formulas are typeset with SymPy's
    LaTeX printer in Markdown and LaTeX."""
    p = Printer("text" if fmt == "text" else "latex")
    render = {"text": _explain_text, "markdown": _explain_markdown, "latex": _explain_latex}[fmt]
    lines = [line for block in _explain_blocks(rep, p) for line in render(block)]
    if p.exact:
        if fmt == "latex":
            lines += _latex_footnotes(p)
        elif fmt == "markdown":
            lines += _md_footnotes(p)
        else:
            lines += ["", "  rounded for display: " + "; ".join(p.footnote_lines())]
    return "\n".join(lines)


def _explain_text(b: tuple) -> list[str]:
    kind = b[0]
    if kind == "title":
        return [f"{b[1]}: dW/dt = {b[2]}"]
    if kind in ("para", "math"):
        return [f"  {b[1]}"]
    if kind == "item":
        return [f"  - {b[1]}"]
    if kind == "claim":
        return ["", f"{'Law' if b[1].startswith('law ') else 'Claim'}: {b[1].removeprefix('law ')} -- {b[2].upper()}"]
    if kind == "step":
        _, i, text, how, statement, source = b
        lines = [f"  Step {i}. {text}"]
        if how == "lemma" and statement:
            lines.append(f"     lemma {statement}")
        elif how == "why":
            lines.append(f"     why: {statement}")
        if source:
            lines.append(f"     source: {source}")
        return lines
    if kind == "conclusion":
        return [f"  Conclusion: {b[1]}"]
    if kind == "laws":
        return ["", f"Laws of [{b[1]}], derived with SymPy:"]
    raise ValueError(kind)


def _explain_markdown(b: tuple) -> list[str]:
    kind = b[0]
    if kind == "title":
        return [f"# {b[1]}", "", f"$\\dot W = {b[3]}$", ""]
    if kind in ("para", "math"):
        return [b[1], ""]
    if kind == "item":
        return [f"- {b[1]}"]
    if kind == "claim":
        return ["", f"## {b[1]}: **{b[2]}**", ""]
    if kind == "step":
        _, i, text, how, statement, source = b
        head = f"{i}. {text}"
        extra = f" — lemma {statement}" if how == "lemma" and statement else f" — {statement}" if statement else ""
        return [head + extra + (f" _({source})_" if source else "")]
    if kind == "conclusion":
        return ["", f"**Conclusion:** $${b[1]}$$", ""]
    if kind == "laws":
        return ["", f"## Laws of [{b[1]}], derived with SymPy", ""]
    raise ValueError(kind)


def _explain_latex(b: tuple) -> list[str]:
    kind = b[0]
    if kind == "title":
        return [f"\\section*{{{_tex(b[1])}}}", f"Weight flow: $\\dot W = {b[3]}$.", ""]
    if kind == "para":
        return [_tex(b[1]), ""]
    if kind == "math":
        return [_tex_mixed(b[1]), ""]
    if kind == "item":
        return [f"\\noindent\\textbullet\\ {_tex(b[1])}\\par"]
    if kind == "claim":
        return [f"\\subsection*{{{_tex(b[1])}: {b[2]}}}"]
    if kind == "step":
        _, i, text, how, statement, source = b
        extra = f" --- lemma {_tex(statement)}" if how == "lemma" and statement else \
            f" --- {_tex(statement)}" if statement else ""
        return [f"\\noindent Step {i}. {text}{extra}" + (f" ({_tex(source)})" if source else "") + "\\par"]
    if kind == "conclusion":
        return [f"\\noindent\\textbf{{Conclusion:}} \\[ {b[1]} \\]", ""]
    if kind == "laws":
        return [f"\\subsection*{{Laws of [{_tex(b[1])}], derived with SymPy}}"]
    raise ValueError(kind)


def latex_document(bodies: list[str], title: str = "certify") -> str:
    """A standalone LaTeX document (compiles with pdflatex) around report or explain bodies."""
    return "\n".join(["\\documentclass{article}", "\\usepackage[utf8]{inputenc}", "\\usepackage{amsmath,amssymb}",
                      "\\usepackage[margin=2cm]{geometry}", f"\\title{{{_tex(title)}}}", "\\date{}",
                      "\\begin{document}", "\\maketitle", *bodies, "\\end{document}"]) + "\n"
