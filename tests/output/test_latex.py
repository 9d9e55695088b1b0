"""LaTeX exports: standalone documents that compile.

The structural checks always run; compiling needs pdflatex, which CI machines may lack (those tests are skipped
there, and were run where it is installed: every certificate in proofs/ and the explanation of the whole catalog
compile)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from certify.cli.main import main
from certify.output.report import _tex

ROOT = Path(__file__).resolve().parents[2]
PDFLATEX = shutil.which("pdflatex")


#: every macro the LaTeX exports may use: the document frame, text markup, and what SymPy's LaTeX printer emits for
#: the catalog's formulas (Greek letters, \\frac, \\left/\\right, ...). A macro outside this list fails the test, so a
#: new one is a deliberate addition (and, where pdflatex exists, the compile test below checks it is defined).
KNOWN_MACROS = set("""
documentclass usepackage title date begin end maketitle section subsection paragraph par noindent item textbf
texttt textbullet textbackslash text emph
le ge leq geq lt gt neq in notin cdot circ times dot bar hat tilde frac left right max min operatorname mu infty
sqrt log exp tanh sin cos mathrm mathbf ldots cdots quad qquad
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda nu xi pi rho sigma tau upsilon
phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
""".split())
ENVIRONMENTS = {"document", "itemize", "enumerate", "pmatrix"}


def _structure_ok(text: str) -> None:
    """A standalone document whose LaTeX is balanced and uses only known macros: braces, $...$ and \\[...\\],
    \\left/\\right and \\begin/\\end nest properly; outside math no unescaped special character."""
    assert text.startswith("\\documentclass{article}") and text.rstrip().endswith("\\end{document}")
    stack: list[str] = []
    math = None                      # None, "$" or "\\["
    i, outside = 0, []
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", text[i:], re.S)
            name = m.group(1)
            if name.isalpha():
                assert name in KNOWN_MACROS, f"unknown macro \\{name} near {text[max(0, i - 60):i + 40]!r}"
                if name in ("begin", "end"):
                    env = re.match(r"\\(?:begin|end)\{(\w+)\}", text[i:]).group(1)
                    assert env in ENVIRONMENTS, f"unknown environment {env}"
                    if name == "begin":
                        stack.append("env:" + env)
                    else:
                        assert stack and stack.pop() == "env:" + env, f"\\end{{{env}}} closes something else"
                elif name == "left":
                    stack.append("left")
                elif name == "right":
                    assert stack and stack.pop() == "left", "\\right without \\left"
            elif name == "[":
                assert math is None, "\\[ inside math"
                math = "\\["
            elif name == "]":
                assert math == "\\[", "\\] without \\["
                math = None
            i += len(m.group(0))
            continue
        if ch == "$":
            assert math in (None, "$"), "$ inside display math"
            math = None if math == "$" else "$"
        elif ch == "{":
            stack.append("{")
        elif ch == "}":
            assert stack and stack.pop() == "{", f"unbalanced }} near {text[max(0, i - 60):i + 20]!r}"
        elif math is None:
            outside.append(ch)
        i += 1
    assert math is None, "math mode left open"
    assert not stack, f"unclosed: {stack[-3:]}"
    assert not re.search(r"[_%&#^~]", "".join(outside)), "unescaped special character in text"


def test_the_structure_check_catches_what_pdflatex_would_reject():
    frame = "\\documentclass{article}\n\\begin{document}\n%s\n\\end{document}\n"
    _structure_ok(frame % "$\\mu_2(W) \\le \\frac{k n}{\\gamma}$ and \\[ \\left(1 - e^{-t}\\right) \\]")
    for bad in ("$x_1", "a_b", "$\\left( x$", "{", "\\begin{itemize}", "\\foo{x}", "\\[ x"):
        with pytest.raises(AssertionError):
            _structure_ok(frame % bad)


def test_tex_escapes_every_special_character_once():
    assert _tex(r"a_b {x} 50% \ ^ <= 3 – $") == r"a\_b \{x\} 50\% \textbackslash{} \^{} $\le$ 3 -- \$"


def test_explain_latex_is_a_standalone_document(capsys):
    # exit 1: the tanh balancing rule declares the io-map law, which the kernel refutes (a file's verdict is
    # the worst of what it declares)
    assert main(["explain", "--format", "latex", str(ROOT / "rules" / "synaptic-balancing-tanh.toml"),
                 str(ROOT / "rules" / "oja.toml")]) == 1
    text = capsys.readouterr().out
    _structure_ok(text)
    assert "lemma 'subadditivity': mu(A + B) $\\le$ mu(A) + mu(B)" in text     # lemma statements, escaped
    assert "[cost-chain-rule]" in text and "law io-map: refuted" in text and "Conclusion:" in text
    # formulas are typeset by SymPy's LaTeX printer and simplified for display, in the rule's own names
    assert "\\mu_1(W(t)) \\le \\|W(t)\\|_{1} \\le e^{- \\frac{t}{4}} \\|W(0)\\|_{1}" in text or "e^{-" in text
    steps = [line.split(" --- ")[0] for line in text.splitlines() if line.startswith("\\noindent Step")]
    assert steps and not any("mu\\_" in x or "exp(-" in x for x in steps)   # step formulas are math, not ASCII


def test_explain_latex_of_the_catalog_reads_as_mathematics(capsys):
    main(["explain", "--format", "latex", str(ROOT / "rules")])
    text = capsys.readouterr().out
    _structure_ok(text)
    assert "\\mu_2(W(t)) \\le e^{- \\gamma t} \\mu_2(W(0)) + \\left(1 - e^{- \\gamma t}\\right) \\frac{k n}{\\gamma}" in text
    steps = [line.split(" --- ")[0] for line in text.splitlines() if line.startswith("\\noindent Step")
             and "[" not in line.split(" --- ")[0]]                                 # flow steps (laws are prose)
    assert steps and not any("mu\\_" in x or "exp(-" in x or "(1) t" in x for x in steps)   # no escaped ASCII
    assert "exp(-(" not in text and "(1) t" not in text
    assert "u_i" not in text and "v_j" not in text                                     # the rules' own names
    assert "k n \\le 0" not in text and "olds only when $k = 0$" in text           # no vacuous condition
    assert not re.search(r"\\d{12,}/\\d{12,}", text.split("Rounded values")[0])         # no 28-digit fractions inline


def test_certificate_tex_files_are_standalone_documents():
    files = sorted((ROOT / "proofs").glob("*.tex"))
    assert len(files) >= 20
    for f in files:
        _structure_ok(f.read_text(encoding="utf-8"))


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed on this machine")
def test_latex_exports_compile_to_pdf(tmp_path, capsys):
    assert main(["explain", "--format", "latex", str(ROOT / "rules")]) in (0, 1, 3)
    (tmp_path / "explain.tex").write_text(capsys.readouterr().out, encoding="utf-8")
    sources = [tmp_path / "explain.tex"] + sorted((ROOT / "proofs").glob("*.tex"))[:5]
    for src in sources:
        proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-output-directory",
                               str(tmp_path), str(src)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{src.name} does not compile:\n{proc.stdout[-2000:]}"
        assert (tmp_path / (src.stem + ".pdf")).stat().st_size > 1000
