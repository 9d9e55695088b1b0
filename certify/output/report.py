"""Rendering reports: text, JSON, Markdown, LaTeX. Printing only; no mathematics happens here."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import Any

import sympy as sp

from certify import __version__
from certify.check import ClaimResult, RuleReport
from certify.errors import InputError
from certify.kernel.lemmas import LEMMAS
from certify.lang.parse import show
from certify.output.numbers import q
from certify.verdict import Verdict

JSON_SCHEMA_VERSION = 1


def latex(obj) -> str:
    """SymPy's LaTeX, with its '+ -' for negative terms of matrix sums tidied to '-'."""
    return re.sub(r"\+ -\s*", "- ", sp.latex(obj))


def _frac(x: Fraction | None) -> str | None:
    return None if x is None else str(x)


def _matrix(rows) -> list[list[str]]:
    return [[str(Fraction(x)) for x in row] for row in rows]


BULK_DATA = ("P", "lam", "eta_exact")   # certificate data (arrays) kept by contraction.py: not for reports


def network_dict(net) -> dict[str, Any] | None:
    from certify.search.contraction import FixedResult, PlasticResult
    if isinstance(net, PlasticResult):
        return {"kind": "plastic", "flow_claim": f"{net.claim.measure} {net.claim.bound}",
                "flow_bound": net.flow_statement, "rate_all_t": str(net.c_all), "T": str(net.T),
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
    if r.network is not None:
        out["network"] = network_dict(r.network)
    if r.certificate is not None:
        c = r.certificate
        out["certificate"] = {
            "route": c.route, "norm": c.norm, "rate": show(c.gamma), "rate_latex": latex(c.gamma),
            "drive_bound": show(c.beta), "drive_bound_latex": latex(c.beta),
            "positive_part": c.positive_part, "statement": c.bound.render(show),
            "conditions_checked": [show(x) for x in c.conditions],
            "steps": [{"lemma": s.lemma, "statement": s.render(show),
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
                              "note": "kernel-checked under the declared ranges narrowed by these conditions"}
    return out


def report_dict(rep: RuleReport) -> dict[str, Any]:
    rule = rep.rule
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
    }


def error_dict(err: InputError, path: str | None) -> dict[str, Any]:
    """An input error (kind 'input', exit 2) or an internal error (kind 'internal', exit 4)."""
    detail = err.to_dict()
    detail.setdefault("kind", "input")
    return {"schema_version": JSON_SCHEMA_VERSION, "file": err.file or path, "verdict": Verdict.ERROR.value,
            "kind": detail["kind"], "error": detail, "message": str(err)}


def to_json(items: list[dict[str, Any]]) -> str:
    return json.dumps(items[0] if len(items) == 1 else items, indent=2)


# -- text ---------------------------------------------------------------------------------------------

MEASURE_NAMES = {"l1": "l1", "l2": "l2", "linf": "linf", "weighted-l1": "weighted l1",
                 "weighted-linf": "weighted linf", "weighted-l2": "weighted l2"}


def text_report(rep: RuleReport, verbose: bool = True) -> str:
    rule = rep.rule
    lines = [f"{rule.source or rule.name}: {rep.verdict.value.upper()}",
             f"  rule      {rule.name}: dW/dt = {rule.dW_text}"]
    if rule.parameters or rule.activity or rule.matrices:
        decl = [f"{k} {r.text()}" if not r.text()[0].isdigit() and r.text()[0] not in "[(" else f"{k} in {r.text()}"
                for k, r in rule.parameters]
        decl += [f"{k}_i in {r.text()}" for k, r in rule.activity]
        decl += [f"{k} {v}" for k, v in rule.matrices]
        lines.append(f"  assuming  {', '.join(decl)}")
    if rep.note:
        lines.append(f"  note      {rep.note}")
    for r in rep.results:
        if r.claim.bound == "contracting":
            lines.append(f"  [{r.verdict.value.upper():>12}] the network contracts")
            lines.extend(_network_lines(r, verbose))
            continue
        lines.append(f"  [{r.verdict.value.upper():>12}] {MEASURE_NAMES[r.claim.measure]} {r.claim.bound}")
        if r.certificate is not None:
            lines.append(f"      bound: {r.certificate.bound.render(show)}")
            if verbose:
                for i, s in enumerate(r.certificate.steps, 1):
                    lines.append(f"      {i}. [{s.lemma}] {s.render(show)}")
        elif r.refutation is not None:
            w = r.refutation.witness
            lines.append(f"      counterexample (kernel-checked, exact): n = {w.n}, "
                         + ", ".join(f"{k} = {v}" for k, v in w.parameters.items()))
            for k, v in w.activity.items():
                lines.append(f"        {k} = ({', '.join(str(x) for x in v)})")
            for k, v in w.matrices.items():
                lines.append(f"        {k} = {_matrix(v)}")
            if any(x != 0 for row in w.W0 for x in row):
                lines.append(f"        W0 = {_matrix(w.W0)}")
            else:
                lines.append("        W0 = 0")
            lines.append(f"      {r.refutation.explanation}")
        else:
            for reason in r.reasons:
                lines.append(f"      - {reason}")
        if r.conditional is not None:
            conds = ", ".join(show(c) for c in r.conditions)
            lines.append(f"      holds under the extra condition {conds} (kernel-checked): "
                         f"{r.conditional.bound.render(show)}")
    lines.extend(_law_lines(rep, verbose))
    for m in rep.mismatches:
        lines.append(f"  EXPECTATION MISMATCH: {m}")
    return "\n".join(lines)


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




def _network_lines(r: ClaimResult, verbose: bool) -> list[str]:
    from certify.search.contraction import FixedResult, PlasticResult
    d = r.network
    lines = [f"      {r.summary}"]
    if isinstance(d, PlasticResult):
        lines.append(f"      weight flow (kernel-checked): {d.flow_statement}")
        lines.append("      network condition: contraction rate c(t) = 1 - g max(0, m(t)), m(t) the flow bound")
    elif isinstance(d, FixedResult) and (verbose or r.verdict is not Verdict.CERTIFIED):
        for a in d.attempts:
            rate = "not verified" if a.rate is None else f"rate {q(a.rate)}"
            lines.append(f"      - {a.norm}: {rate}{' (' + a.note + ')' if a.note else ''}")
    if r.verdict is Verdict.INCONCLUSIVE:
        lines += [f"      - {reason}" for reason in r.reasons if not isinstance(d, FixedResult)
                  or reason == "no verified refutation found"]
    elif r.verdict is Verdict.REFUTED:
        lines += [f"      evidence: {reason}" for reason in r.reasons]
    return lines


def text_error(err: InputError) -> str:
    return f"ERROR {err}"


# -- markdown / latex ----------------------------------------------------------------------------------

def markdown_report(rep: RuleReport) -> str:
    rule = rep.rule
    out = [f"# {rule.name}: {rep.verdict.value}", ""]
    if rule.summary:
        out += [rule.summary, ""]
    if rule.reference:
        out += [f"Reference: {rule.reference}", ""]
    out += [f"Weight flow: $\\dot W = {latex(rule.dW)}$", ""]
    for r in rep.results:
        out += [f"## {MEASURE_NAMES[r.claim.measure]}, {r.claim.bound}: **{r.verdict.value}**", ""]
        if r.certificate is not None:
            for i, s in enumerate(r.certificate.steps, 1):
                src = LEMMAS[s.lemma].source if s.lemma in LEMMAS else "normal-form identity"
                out.append(f"{i}. `{s.lemma}` — {s.render(show)} _({src})_")
            out.append("")
        elif r.refutation is not None:
            out += [f"Counterexample: {r.refutation.explanation}", ""]
        else:
            out += [f"- {x}" for x in r.reasons] + [""]
    for lr in rep.laws:
        out += [f"## Laws of [{lr.section}]", ""] + [f"- {a}: `{b}`" for a, b in lr.derivation] + [""]
        for r in lr.results:
            out += [f"### {r.law}: **{r.verdict.value}**", "", r.summary, ""]
            out += [f"{i}. `{a}` — {b} _({c})_" for i, (a, b, c) in enumerate(r.steps, 1)] + [""]
    return "\n".join(out)


def latex_report(rep: RuleReport) -> str:
    rule = rep.rule
    out = [f"\\section*{{{_tex(rule.name)}: {rep.verdict.value}}}",
           f"Weight flow: $\\dot W = {latex(rule.dW)}$.", "\\begin{itemize}"]
    for r in rep.results:
        out.append(f"\\item {_tex(MEASURE_NAMES[r.claim.measure])}, {r.claim.bound}: \\textbf{{{r.verdict.value}}}.")
        if r.certificate is not None:
            c = r.certificate
            out.append("\\begin{enumerate}")
            out += [f"\\item \\texttt{{{_tex(s.lemma)}}}: {_tex(s.render(show))}" for s in c.steps]
            out.append("\\end{enumerate}")
            out.append(f"Rate $\\gamma = {latex(c.gamma)}$, drive bound $\\beta = {latex(c.beta)}$.")
        elif r.refutation is not None:
            out.append(_tex(r.refutation.explanation))
        else:
            out.append(_tex("; ".join(r.reasons)))
    for lr in rep.laws:
        for r in lr.results:
            out.append(f"\\item {_tex(lr.section)} law {_tex(r.law)}: \\textbf{{{r.verdict.value}}}. {_tex(r.summary)}")
            if r.steps:
                out.append("\\begin{enumerate}")
                out += [f"\\item \\texttt{{{_tex(a)}}}: {_tex(b)} ({_tex(c)})" for a, b, c in r.steps]
                out.append("\\end{enumerate}")
    out.append("\\end{itemize}")
    return "\n".join(out)


_TEX = {"\\": "\\textbackslash{}", "_": "\\_", "&": "\\&", "%": "\\%", "#": "\\#", "^": "\\^{}", "{": "\\{",
        "}": "\\}", "$": "\\$", "~": "\\~{}", "–": "--", "<=": "$\\le$", ">=": "$\\ge$", "<": "$<$", ">": "$>$"}
_TEX_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(_TEX, key=len, reverse=True)))


def _tex(s: str) -> str:
    """Plain text for LaTeX: every special character escaped in one pass (so escapes are never re-escaped)."""
    return _TEX_PATTERN.sub(lambda m: _TEX[m.group(0)], s)


def _explain_blocks(rep: RuleReport) -> list[tuple]:
    """The derivations for a reader as format-neutral blocks (kind, ...) rendered by explain_report."""
    rule = rep.rule
    blocks: list[tuple] = [("title", rule.name, rule.dW_text, latex(rule.dW))]
    if rule.summary:
        blocks.append(("para", rule.summary))
    if rule.reference:
        blocks.append(("para", f"source of the rule: {rule.reference}"))
    for r in rep.results:
        blocks.append(("claim", f"{MEASURE_NAMES[r.claim.measure]} {r.claim.bound}", r.verdict.value))
        if r.certificate is not None:
            for i, s in enumerate(r.certificate.steps, 1):
                lemma = LEMMAS.get(s.lemma)
                why = (("lemma", f"'{lemma.name}': {lemma.statement}", lemma.source) if lemma is not None else
                       ("why", "both sides expand to the same non-commutative polynomial (kernel normal form)", ""))
                blocks.append(("step", i, s.render(show)) + why)
            bound = r.certificate.bound
            blocks.append(("conclusion", bound.render(show)))
        elif r.refutation is not None:
            w = r.refutation.witness
            blocks.append(("para", f"A counterexample with n = {w.n}: "
                           + ", ".join(f"{k} = {v}" for k, v in w.parameters.items())))
            blocks.append(("para", r.refutation.explanation))
            blocks.append(("para", "Every number above is exact; the kernel re-computed the growth rate in "
                                   "rational arithmetic."))
        else:
            blocks.append(("para", r.summary))
            blocks += [("item", x) for x in r.reasons]
    for lr in rep.laws:
        blocks.append(("laws", lr.section))
        blocks += [("item", f"{a}: {b}") for a, b in lr.derivation]
        for r in lr.results:
            blocks.append(("claim", f"law {r.law}", r.verdict.value))
            blocks.append(("para", r.summary))
            blocks += [("step", i, f"[{lemma}] {text}", "lemma", "", source)
                       for i, (lemma, text, source) in enumerate(r.steps, 1)]
    return blocks


def explain_report(rep: RuleReport, fmt: str = "text") -> str:
    """The derivations for a reader: every step with the lemma it uses, stated in full, and its source;
    as text, Markdown, or a LaTeX document body (wrap it with latex_document)."""
    render = {"text": _explain_text, "markdown": _explain_markdown, "latex": _explain_latex}[fmt]
    return "\n".join(line for block in _explain_blocks(rep) for line in render(block))


def _explain_text(b: tuple) -> list[str]:
    kind = b[0]
    if kind == "title":
        return [f"{b[1]}: dW/dt = {b[2]}"]
    if kind == "para":
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
    if kind == "para":
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
        return ["", f"**Conclusion:** {b[1]}", ""]
    if kind == "laws":
        return ["", f"## Laws of [{b[1]}], derived with SymPy", ""]
    raise ValueError(kind)


def _explain_latex(b: tuple) -> list[str]:
    kind = b[0]
    if kind == "title":
        return [f"\\section*{{{_tex(b[1])}}}", f"Weight flow: $\\dot W = {b[3]}$.", ""]
    if kind == "para":
        return [_tex(b[1]), ""]
    if kind == "item":
        return [f"\\noindent\\textbullet\\ {_tex(b[1])}\\par"]
    if kind == "claim":
        return [f"\\subsection*{{{_tex(b[1])}: {b[2]}}}"]
    if kind == "step":
        _, i, text, how, statement, source = b
        head = _tex(text)
        extra = f" --- lemma {_tex(statement)}" if how == "lemma" and statement else \
            f" --- {_tex(statement)}" if statement else ""
        return [f"\\noindent Step {i}. {head}{extra}" + (f" ({_tex(source)})" if source else "") + "\\par"]
    if kind == "conclusion":
        return [f"\\noindent\\textbf{{Conclusion:}} {_tex(b[1])}\\par", ""]
    if kind == "laws":
        return [f"\\subsection*{{Laws of [{_tex(b[1])}], derived with SymPy}}"]
    raise ValueError(kind)


def latex_document(bodies: list[str], title: str = "certify") -> str:
    """A standalone LaTeX document (compiles with pdflatex) around report or explain bodies."""
    return "\n".join(["\\documentclass{article}", "\\usepackage[utf8]{inputenc}", "\\usepackage{amsmath,amssymb}",
                      "\\usepackage[margin=2cm]{geometry}", f"\\title{{{_tex(title)}}}", "\\date{}",
                      "\\begin{document}", "\\maketitle", *bodies, "\\end{document}"]) + "\n"
