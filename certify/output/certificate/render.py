"""Renderings of certificates for people: the Markdown file written beside each certificate, and the text
`certify verify` prints per certificate. (The LaTeX rendering is certify/output/report.py's.)

The Markdown typesets its mathematics ($...$, SymPy's LaTeX printer through certify/output/mathtex.py) from the
checked results it was built from (`markdown(doc, report)`, what `certify prove` does): the bound, every step, the
counterexample, the conditional bound and the plastic network's weight flow. Display only: the JSON certificate
beside it keeps the kernel's exact strings, and `verify` reads only those. Without the report (a certificate read
back from disk) the Markdown quotes the JSON's text forms in code spans.
"""

from __future__ import annotations

from typing import Any

from .fields import _q
from .recheck import Verified


def _md_claim(c: dict[str, Any], r: Any = None, p: Any = None) -> list[str]:
    out = [f"## {c['measure']} {c['bound']}: **{c['verdict']}**", ""]
    if c.get("expected"):
        out += [f"Documented in the rule file: {c['expected']}.", ""]
    if r is not None and "certificate" in c and r.certificate is not None:
        # deferred: only `certify prove` typesets (report loads certify.check, which `verify` must not load)
        from certify.output import mathtex
        cert, proof = r.certificate, c["proof"]
        out += ["**Bound:**", "", f"$${mathtex.certificate_bound(cert, p)}$$", ""]
        out += [f"{i}. `{s['lemma']}` — {mathtex.step(st, cert.norm, cert.route, p)} _({s['source']})_"
                for i, (s, st) in enumerate(zip(c["certificate"]["steps"], cert.steps), 1)]
        out += ["", _proof_data(proof), ""]
    elif r is not None and "counterexample" in c and r.refutation is not None:
        # deferred: only `certify prove` typesets (report loads certify.check, which `verify` must not load)
        from certify.output import mathtex
        w = c["counterexample"]
        head, *rest = mathtex.witness_lines(r.refutation.witness, p)
        out += [f"**Counterexample** (exact, kernel-checked; kind `{w['kind']}`): {head}", ""]
        out += [f"- {x}" for x in rest]
        if r.refutation.witness.vector is not None:
            vec = f"v = {mathtex.vector(r.refutation.witness.vector, p)}"
            if r.refutation.witness.value is not None:
                vec += f", \\quad \\text{{value}} = {p.expr(r.refutation.witness.value)}"
            out += [f"- vector ${vec}$"]
        out += ["", w["explanation"], ""]
    elif "certificate" in c:
        cert, proof = c["certificate"], c["proof"]
        out += [f"**Bound:** `{cert['statement']}`", ""]
        out += [f"{i}. `{s['lemma']}` — {s['statement']} _({s['source']})_" for i, s in enumerate(cert["steps"], 1)]
        out += ["", _proof_data(proof), ""]
    elif "counterexample" in c:
        w = c["counterexample"]
        params = ", ".join(f"{k} = {v}" for k, v in w["parameters"].items())
        out += [f"**Counterexample** (exact, kernel-checked; kind `{w['kind']}`): n = {w['n']}"
                + (f", {params}" if params else ""), ""]
        out += [f"- {k} = ({', '.join(v)})" for k, v in w["activity"].items()]
        out += [f"- {k} = {v}" for k, v in w["matrices"].items()]
        zero = all(x == "0" for row in w["W0"] for x in row)
        out += ["- W0 = 0" if zero else f"- W0 = {w['W0']}"]
        if w["vector"] is not None:
            out += [f"- vector = ({', '.join(w['vector'])})" + (f", value = {w['value']}" if w["value"] else "")]
        out += ["", w["explanation"], ""]
    elif "contraction" in c:
        out += _md_contraction(c, r, p)
    else:
        out += [f"- {x}" for x in c.get("reasons", [])] + [""]
    if "conditional" in c and r is not None and r.conditional is not None:
        # deferred: only `certify prove` typesets (report loads certify.check, which `verify` must not load)
        from certify.output import mathtex
        text = mathtex.conditional_text(r, p)
        if text:
            out += [text[0].upper() + text[1:] + ".", ""]
    elif "conditional" in c:
        cond = c["conditional"]
        out += [f"Under the extra condition(s) {', '.join(cond['conditions'])} (ranges "
                + ", ".join(_decl(k, v) for k, v in cond["parameters"].items())
                + f"), kernel-checked: `{cond['statement']}`", ""]
    return out


def _proof_data(proof: dict[str, Any]) -> str:
    """The proof's data for the kernel, quoted as stored (exact strings of the JSON file)."""
    uses = [f"`{u['lemma']}` with " + ", ".join(f"{k} = `{v}`" for k, v in u["with"].items())
            for u in proof["decays"] + proof["terms"]]
    return (f"Proof data for the kernel: route `{proof['route']}`, norm `{proof['norm']}`, "
            f"gamma = `{proof['gamma']}`" + ("; " + "; ".join(uses) if uses else "") + ".")


MD_EVIDENCE = {"weighted": "network weights η", "lmi": "network metric P, Λ", "plastic": "flow proof + network",
               "two-equilibria": "two equilibria", "unstable-equilibrium": "unstable equilibrium"}


def _md_contraction(c: dict[str, Any], r: Any = None, p: Any = None) -> list[str]:
    d = c["contraction"]
    summary = c["summary"]
    if r is not None and c["verdict"] == "certified":
        # deferred: only `certify prove` typesets (report loads certify.check, which `verify` must not load)
        from certify.output.report import network_summary
        summary = network_summary(r, p)
    out = [f"**{summary}** (kernel-checked, exact data in the JSON file).", ""]
    kind = d["kind"]
    if kind == "weighted":
        out += [f"Weighted {d['norm']} norm (form {d['form']}, {d['weights']} weights), rate {_q(d['rate'])}; weights "
                f"η = ({', '.join(_q(x) for x in d['eta'])}).", ""]
    elif kind == "lmi":
        out += [f"Metric P ({len(d['P'])} × {len(d['P'])}, {d['structure']}) and multiplier Λ = diag("
                f"{', '.join(_q(x) for x in d['lam'])}) satisfy the multiplier LMI at rate c = {_q(d['rate'])} "
                f"(checked {d['method']}).", ""]
    elif kind == "plastic":
        f = d["flow_claim"]
        flow = getattr(getattr(r, "network", None), "flow_certificate", None)
        if flow is not None:
            # deferred: only `certify prove` typesets (report loads certify.check, which `verify` must not load)
            from certify.output import mathtex
            bound = f"${mathtex.certificate_bound(flow, p)}$"
        else:
            bound = f"`{d['flow_bound']}`"
        if flow is not None:
            # deferred: only `certify prove` typesets (report loads certify.check, which `verify` must not load)
            from fractions import Fraction as _F
            nums = (p.math(f"m(0) = {p.expr(_F(d['start_value']))}"), p.math("t"),
                    p.math(p.directed(_F(d["rate_all_t"]), "down")),
                    p.math(f"T = {p.directed(_F(d['T']), 'up')}"), p.math(p.directed(_F(d["rate_after_T"]), "down")))
        else:
            nums = (f"m(0) = {_q(d['start_value'])}", "t", _q(d["rate_all_t"]), f"T = {_q(d['T'])}",
                    _q(d["rate_after_T"]))
        out += [f"Weight flow ({f['measure']} {f['bound']}, kernel-checked): {bound}; {nums[0]}; rate for all "
                f"{nums[1]}: {nums[2]}; after {nums[3]}: {nums[4]}.", ""]
    else:
        out += [f"{d['statement']}.", ""]
    out += [f"- evidence: {r}" for r in c.get("reasons", [])]
    return out + ([""] if c.get("reasons") else [])


def _decl(name: str, text: str) -> str:
    """'k >= 0', 'k = 1/2', 'k in [0, 2]' from a range's canonical text."""
    if text[:1] in "[(":
        return f"{name} in {text}"
    if text[:1] in "<>" or text == "real":
        return f"{name} {text}"
    return f"{name} = {text}"


def _decl_tex(name: str, text: str, index: str = "") -> str:
    """'$\\gamma \\ge 0$', '$k \\in [0, 2]$', '$r_i \\in [-1, 1]$' from a range's canonical text (display only)."""
    # deferred: only `certify prove` typesets (report loads certify.check, which `verify` must not load)
    import sympy as sp
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.output.mathtex import _latex
    sym = _latex(sp.Symbol(name)) + index
    t = text.replace("inf", r"\infty")
    if t[:1] in "[(":
        return f"${sym} \\in {t}$"
    if t == "real":
        return f"${sym} \\in \\mathbb{{R}}$"
    for op, tex in ((">=", r"\ge"), ("<=", r"\le"), (">", ">"), ("<", "<")):
        if t.startswith(op):
            return f"${sym} {tex} {t[len(op):].strip()}$"
    return f"${sym} = {t}$"


def markdown(doc: dict[str, Any], report: Any = None) -> str:
    """The certificate for people. With `report` (the RuleReport the certificate was built from) its mathematics
    is typeset ($...$); without, the JSON's text forms are quoted in code spans."""
    p = results = None
    if report is not None:
        # deferred: only `certify prove` typesets (report loads certify.check, which `verify` must not load)
        from certify.output.mathtex import Printer
        p = Printer("latex")
        results = list(report.results)
        if len(results) != len(doc["claims"]) or any(
                (x.claim.measure, x.claim.bound) != (c["measure"], c["bound"]) for x, c in zip(results, doc["claims"])):
            results = None          # not the report of this certificate: quote the JSON
    r = doc["rule"]
    v = doc["created_by"]
    asm = r["assumptions"]
    decl = [_decl(k, x) for k, x in asm["parameters"].items()]
    decl += [_decl(f"{k}_i", x) for k, x in asm["activity"].items()]
    if results is not None:
        decl = [_decl_tex(k, x) for k, x in asm["parameters"].items()]
        decl += [_decl_tex(k, x, "_i") for k, x in asm["activity"].items()]
    decl += [f"{k} {x}" for k, x in asm["matrices"].items()]
    out = [f"# Certificate: {r['name']} ({doc['verdict']})", "",
           f"Generated by `certify prove` from [`{r['file']}`]({r['file']}) (rule SHA-256 `{r['hash']}`) with "
           + ", ".join(f"{k} {x}" for k, x in v.items()) + ". Re-check with "
           "`certify verify` on the JSON file beside this one: it runs only the trusted kernel.", "",
           f"Weight flow: {_flow(r, report if results is not None else None)}"
           + (f", assuming {', '.join(decl)}" if decl else "") + ".", "",
           "| claim | verdict | documented | re-checked by `verify` |", "|---|---|---|---|"]
    for c in doc["claims"]:
        how = ("proof" if "proof" in c else "counterexample" if "counterexample" in c else
               MD_EVIDENCE[c["contraction"]["kind"]] if "contraction" in c else "nothing to re-check")
        out.append(f"| {c['measure']} {c['bound']} | {c['verdict']} | {c['expected'] or '—'} | {how} |")
    out.append("")
    for i, c in enumerate(doc["claims"]):
        out += _md_claim(c, results[i] if results is not None else None, p)
    if doc.get("laws"):
        out += ["## Laws (re-checked by `verify` from the rule file)", "", "| law | verdict | documented |",
                "|---|---|---|"]
        out += [f"| {d['section']} {d['law']} | {d['verdict']} | {d['expected'] or '—'} |" for d in doc["laws"]]
        out.append("")
        for d in doc["laws"]:
            out += [f"### {d['section']} {d['law']}: {d['verdict']}", "", d["reason"] or d["statement"], ""]
            out += [f"{i}. `{st['lemma']}` — {st['statement']} _({st['source']})_"
                    for i, st in enumerate(d["steps"], 1)] + [""]
    if p is not None and p.exact:
        out += ["Rounded values (display only; the JSON file keeps them exact):", ""]
        out += [f"- ${a}$ stands for {b}" for a, b in p.exact] + [""]
    return "\n".join(out).rstrip() + "\n"


def _flow(rule: dict[str, Any], report: Any) -> str:
    """dW/dt typeset from the rule (with a report), else quoted from the JSON."""
    if report is None:
        return f"`dW/dt = {rule['dW']}`"
    # deferred: only `certify prove` typesets (report loads certify.check, which `verify` must not load)
    from certify.output.report import latex
    return f"$\\dot W = {latex(report.rule.dW)}$"



def render_verified(r: Verified, verbose: bool = True) -> str:
    head = {"verified": "VERIFIED", "failed": "FAILED", "stale": "STALE", "error": "ERROR"}[r.status]
    n_kernel = sum(c.status == "verified" for c in r.claims)
    lines = [f"{r.path}: {head}" + (f" (rule {r.rule_file}; {n_kernel} of {len(r.claims)} claims re-checked by "
                                    f"the kernel, {r.seconds:.2f} s)" if r.claims else "")]
    lines += [f"  - {p}" for p in r.file_problems]
    for c in r.claims:
        if verbose or c.status == "failed":
            lines.append(f"  [{c.status.upper():>8}] {c.name}: {c.message}")
    return "\n".join(lines)
