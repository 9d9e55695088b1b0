"""The Markdown beside a certificate typesets its mathematics ($...$ through certify/output/mathtex.py) while the
JSON certificate keeps the kernel's exact text: display never changes what `verify` reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from certify.check import check_rule
from certify.lang.rule import Rule
from certify.output.certificate import markdown
from certify.output.certificate.store import build, prove_file

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


def _proved(tmp_path, name: str) -> tuple[dict, str]:
    out = prove_file(RULES / f"{name}.toml", tmp_path)
    assert out.error is None, out.error
    return (json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8")),
            (tmp_path / f"{name}.md").read_text(encoding="utf-8"))


def test_bound_and_steps_are_latex_not_ascii_code_spans(tmp_path):
    doc, md = _proved(tmp_path, "hebbian-decay")
    assert r"$$\mu_2(W(t)) \le e^{- \gamma t} \mu_2(W(0)) + \left(1 - e^{- \gamma t}\right) \frac{k n}{\gamma}$$" in md
    assert r"Weight flow: $\dot W = - \gamma W + k r r^{T}$, assuming $\gamma > 0$, $k > 0$, $r_i \in [-1, 1]$." in md
    assert r"4. `measure-flow` — $D^+ \mu_2(W) \le - \gamma \mu_2(W) + k n$" in md
    assert r"**Counterexample** (exact, kernel-checked; kind `derivative`): $n = 1$, $\gamma = 1$, $k = 1$" in md
    # no formula is left as ASCII in a code span; the kernel's data for re-checking stays quoted exactly
    spans = re.findall(r"`([^`\n]*)`", md)
    assert spans and not [x for x in spans if re.search(r"mu_|exp\(|<=", x)]
    assert "Proof data for the kernel: route `measure`, norm `l2`, gamma = `gamma`" in md
    # the JSON keeps the kernel's text forms
    cert = doc["claims"][3]["certificate"]
    assert cert["statement"] == "mu_2(W(t)) <= exp(-(gamma) t) mu_2(W(0)) + (1 - exp(-(gamma) t)) (k*n)/(gamma)"


def test_plastic_network_and_rounded_values(tmp_path):
    _, md = _proved(tmp_path, "anti-hebbian-network")
    assert r"**contracts for $t \ge T = 1.387$ at rate $\frac{1}{2}$" in md
    assert (r"Weight flow (l2 nonincreasing, kernel-checked): $\mu_2(W(t)) \le e^{- t} \mu_2(W(0))$; $m(0) = 2$; "
            r"rate for all $t$: $0$; after $T = 1.387$: $\frac{1}{2}$.") in md
    assert "- $1.387$ stands for 3351854093488005457117185/2417851639229258349412352" in md


def test_conditional_bound_is_typeset(tmp_path):
    _, md = _proved(tmp_path, "anti-hebbian-decay")
    assert (r"Holds only when $k = 0$ (a single point of the declared range; kernel-checked there): "
            r"$\mu_\infty(W(t)) \le e^{- \gamma t} \mu_\infty(W(0))$.") in md


def test_without_the_report_the_json_text_is_quoted(tmp_path):
    """A certificate read back from disk has no report: the Markdown quotes its text forms; a report of another
    rule is never used."""
    doc, typeset = _proved(tmp_path, "hebbian-decay")
    plain = markdown(doc)
    assert "**Bound:** `mu_2(W(t)) <= exp(-(gamma) t) mu_2(W(0))" in plain and "$$" not in plain
    other = check_rule(Rule.from_file(RULES / "anti-hebbian-decay.toml"), expectations=True)
    assert markdown(doc, other) == plain
    assert typeset != plain


def test_markdown_never_changes_the_certificate(tmp_path):
    rule = Rule.from_file(RULES / "oja.toml")
    rep = check_rule(rule, expectations=True)
    doc = build(rule, rep, RULES / "oja.toml", tmp_path)
    before = json.dumps(doc, sort_keys=True)
    markdown(doc, rep)
    assert json.dumps(doc, sort_keys=True) == before


def test_shipped_certificate_markdown_is_typeset():
    for md in sorted((ROOT / "proofs").glob("*.md")):
        text = md.read_text(encoding="utf-8")
        assert "Weight flow: $\\dot W = " in text, md.name
        assert "**Bound:** `" not in text, md.name
