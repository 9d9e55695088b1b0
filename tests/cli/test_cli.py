"""The `certify` command (certify/cli/main.py), in-process through `main(argv)`, plus one real subprocess.

DESIGN.md, "The user-facing contract": exit codes 0 all certified, 1 some refuted, 3 some inconclusive
(none refuted), 2 bad input or usage; JSON output with a top-level "verdict" per file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from certify.cli.main import main
from certify.schema import validate_check_json
from certify.kernel.lemmas import LEMMAS
from certify.verdict import ExitCode

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
CERTIFIED = str(RULES / "anti-hebbian-decay.toml")
HEBBIAN = str(RULES / "hebbian.toml")
INCONCLUSIVE = str(RULES / "gradient.toml")
VERDICTS = {"certified", "refuted", "inconclusive", "error"}

ANTI_HEBBIAN = """\
[rule]
name = "anti-hebbian"
dW = "-gamma*W - k*r*r.T"

[parameters]
gamma = ">= 0"
k = ">= 0"

[activity]
r = [-1, 1]

[claim]
measure = "l2"
bound = "nonincreasing"
"""

HEBBIAN_ONLY = """\
[rule]
dW = "k*r*r.T"

[parameters]
k = "> 0"

[activity]
r = [-1, 1]

[claim]
measure = "l2"
bound = "nonincreasing"
"""

HEBBIAN_DECAY_BOUNDED = """\
[rule]
dW = "-gamma*W + k*r*r.T"

[parameters]
gamma = "> 0"
k = "> 0"

[activity]
r = [-1, 1]

[claim]
measure = "l2"
bound = "bounded"
"""

DECAY = """\
[rule]
dW = "-W"

[claim]
measure = "l2"
bound = "nonincreasing"
"""

BAD = '[rule]\ndW = "W + r"\n'


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run_json(capsys, *argv: str):
    """(exit code, the JSON item) for one file, (exit code, the list) for several: the output is always a list
    (certify/schema/check.schema.json), validated here."""
    code = main(["check", *argv, "--format", "json"])
    items = json.loads(capsys.readouterr().out)
    assert isinstance(items, list)
    validate_check_json(items)
    return code, items[0] if len(items) == 1 else items


def frac(s: str) -> Fraction:
    assert isinstance(s, str)
    return Fraction(s)


# -- exit codes ------------------------------------------------------------------------------------

def test_certified_file_exits_0(capsys):
    assert main(["check", CERTIFIED]) == ExitCode.OK == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{CERTIFIED}: CERTIFIED")
    assert "[   CERTIFIED] l2 nonincreasing" in out
    assert "[measure-flow]" in out and "[gronwall]" in out


def test_refuted_claim_exits_1(capsys):
    assert main(["check", HEBBIAN, "--measure", "l2", "--bound", "nonincreasing"]) == ExitCode.REFUTED == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{HEBBIAN}: REFUTED")
    assert "counterexample (kernel-checked, exact)" in out


def test_inconclusive_claim_exits_3(capsys):
    assert main(["check", INCONCLUSIVE]) == ExitCode.INCONCLUSIVE == 3
    out = capsys.readouterr().out
    assert out.startswith(f"{INCONCLUSIVE}: INCONCLUSIVE")
    assert "[INCONCLUSIVE] l2 bounded" in out
    assert "      - " in out  # an inconclusive result says why


def test_bad_file_exits_2(tmp_path, capsys):
    path = write(tmp_path, "bad.toml", BAD)
    assert main(["check", path]) == ExitCode.USAGE_ERROR == 2
    out = capsys.readouterr().out
    assert out.startswith(f"ERROR {path}:2:9: cannot add an n×n matrix and an n×1 vector (symbol '+')")
    assert "hint: both sides of + and - must have the same shape" in out


def test_missing_path_exits_2(tmp_path, capsys):
    missing = str(tmp_path / "nope.toml")
    assert main(["check", missing]) == 2
    err = capsys.readouterr().err
    assert f"no such file or directory: {missing}" in err
    assert "hint: check the path" in err


def test_empty_directory_exits_2(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a rule", encoding="utf-8")
    assert main(["check", str(empty)]) == 2
    assert f"no rule files (*.toml) in directory {empty}" in capsys.readouterr().err


def test_missing_path_among_good_ones_exits_2(tmp_path, capsys):
    assert main(["check", CERTIFIED, str(tmp_path / "nope.toml")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


@pytest.mark.parametrize("argv, stderr_part", [
    (["check", "--bogus", CERTIFIED], "unrecognized arguments: --bogus"),
    (["check", CERTIFIED, "--measure", "l3"], "invalid choice: 'l3'"),
    (["check", CERTIFIED, "--bound", "forever"], "invalid choice: 'forever'"),
    (["check", CERTIFIED, "--format", "html"], "invalid choice: 'html'"),
    (["check"], "the following arguments are required: FILE|DIR"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
], ids=["unknown-option", "bad-measure", "bad-bound", "bad-format", "no-files", "unknown-command"])
def test_bad_usage_exits_2(capsys, argv, stderr_part):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert stderr_part in captured.err
    assert captured.err.startswith("usage: certify")


def test_no_command_exits_2_with_help(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: certify")
    assert "check" in err and "exit codes: 0 all certified, 1 some refuted, 2 bad input or usage" in err


def test_help_and_version_exit_0(capsys):
    assert main(["--help"]) == 0
    assert "usage: certify" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip().startswith("certify ")


@pytest.mark.parametrize("names, expected", [
    (("certified", "refuted"), 1),
    (("refuted", "certified"), 1),
    (("certified", "inconclusive"), 3),
    (("inconclusive", "refuted"), 1),
    (("certified", "inconclusive", "refuted"), 1),
    (("error", "refuted"), 2),
    (("certified", "error"), 2),
    (("inconclusive", "error", "certified"), 2),
    (("certified", "certified"), 0),
], ids=lambda x: "-".join(x) if isinstance(x, tuple) else str(x))
def test_mixed_files_worst_verdict_wins(tmp_path, capsys, names, expected):
    files = {"certified": CERTIFIED, "refuted": write(tmp_path, "hebb.toml", HEBBIAN_ONLY),
             "inconclusive": INCONCLUSIVE, "error": write(tmp_path, "bad.toml", BAD)}
    paths = [files[n] for n in names]
    code, doc = run_json(capsys, *paths)
    assert code == expected
    assert [item["verdict"] for item in doc] == list(names)
    assert [item["file"] for item in doc] == paths
    # the text format agrees and ends with the tally
    assert main(["check", *paths, "-q"]) == expected
    tally = capsys.readouterr().out.strip().splitlines()[-1]
    assert tally == ", ".join(f"{names.count(v)} {v}" for v in ("certified", "refuted", "inconclusive", "error"))


def test_directory_of_files(tmp_path, capsys):
    write(tmp_path, "a.toml", DECAY)
    write(tmp_path, "b.toml", HEBBIAN_ONLY)
    (tmp_path / "readme.txt").write_text("ignored", encoding="utf-8")
    code, doc = run_json(capsys, str(tmp_path))
    assert code == 1
    assert [(Path(d["file"]).name, d["verdict"]) for d in doc] == [("a.toml", "certified"), ("b.toml", "refuted")]


# -- JSON ------------------------------------------------------------------------------------------

def test_json_certified(capsys):
    code, doc = run_json(capsys, CERTIFIED)
    assert code == 0
    assert isinstance(doc, dict)  # one file: a list of one item (run_json unpacks it)
    assert doc["verdict"] == "certified" and doc["verdict"] in VERDICTS
    assert doc["rule"] == "anti-hebbian-decay"
    assert doc["dW"] == "-gamma*W - k*r*r.T"
    assert doc["assumptions"]["parameters"] == {"gamma": ">= 0", "k": "[0, 2]"}
    assert doc["assumptions"]["activity"] == {"r": "[-1, 1]"}
    assert len(doc["rule_hash"]) == 64
    (result,) = doc["results"]
    assert (result["measure"], result["bound"], result["verdict"]) == ("l2", "nonincreasing", "certified")
    steps = result["certificate"]["steps"]
    lemmas = [s["lemma"] for s in steps]
    assert lemmas[-2:] == ["measure-flow", "gronwall"]
    assert "l2-neg-gram" in lemmas
    assert all(name in LEMMAS or name == "split" for name in lemmas)
    assert all(s["statement"] and s["source"] for s in steps)
    assert result["certificate"]["rate"] == "gamma"
    assert "counterexample" not in result


def test_json_refuted(capsys):
    code, doc = run_json(capsys, HEBBIAN, "--measure", "l2", "--bound", "nonincreasing")
    assert code == 1
    assert doc["verdict"] == "refuted"
    (result,) = doc["results"]
    assert "certificate" not in result
    cx = result["counterexample"]
    n = cx["n"]
    assert isinstance(n, int) and n >= 1
    assert len(cx["W0"]) == n and all(len(row) == n for row in cx["W0"])
    assert all(isinstance(x, str) for row in cx["W0"] for x in row)
    [frac(x) for row in cx["W0"] for x in row]
    assert set(cx["activity"]) == {"r"}
    r = [frac(x) for x in cx["activity"]["r"]]
    assert len(r) == n and all(-1 <= x <= 1 for x in r)
    assert frac(cx["parameters"]["k"]) > 0
    assert frac(cx["growth_lower_bound"]) > frac(cx["allowed"])


def test_json_error(tmp_path, capsys):
    path = write(tmp_path, "bad.toml", '[rule]\nname = "x"\ndW = "-gama*W"\n\n[parameters]\ngamma = ">= 0"\n')
    code, doc = run_json(capsys, path)
    assert code == 2
    assert doc["verdict"] == "error"
    assert doc["file"] == path
    err = doc["error"]
    assert err["line"] == 3
    assert err["column"] == 'dW = "-gama*W"'.index("gama") + 1
    assert err["symbol"] == "gama"
    assert "did you mean 'gamma'?" in err["hint"]
    assert err["file"] == path
    assert "cannot multiply" in err["message"]


def test_json_is_a_list_for_several_files(tmp_path, capsys):
    code, doc = run_json(capsys, CERTIFIED, write(tmp_path, "decay.toml", DECAY))
    assert code == 0
    assert isinstance(doc, list) and len(doc) == 2
    assert [d["verdict"] for d in doc] == ["certified", "certified"]
    assert all(d["schema_version"] == 2 for d in doc)


# -- Markdown, LaTeX, --out ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, needles", [
    ("markdown", ["# anti-hebbian-decay: certified", "## l2, nonincreasing: **certified**", "`gronwall`"]),
    ("latex", ["\\section*{anti-hebbian-decay: certified}", "\\textbf{certified}", "\\texttt{gronwall}",
               "\\begin{enumerate}"]),
    ("text", ["anti-hebbian-decay.toml: CERTIFIED"]),
])
def test_document_formats(capsys, fmt, needles):
    assert main(["check", CERTIFIED, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out.strip()
    for needle in needles:
        assert needle in out


def test_document_formats_refuted(capsys):
    args = [HEBBIAN, "--measure", "l2", "--bound", "nonincreasing"]
    assert main(["check", *args, "--format", "markdown"]) == 1
    md = capsys.readouterr().out
    assert md.startswith("# hebbian: refuted") and "Counterexample (kernel-checked, exact): $n = " in md
    assert main(["check", *args, "--format", "latex"]) == 1
    assert "\\section*{hebbian: refuted}" in capsys.readouterr().out


@pytest.mark.parametrize("fmt, suffix", [("text", ".txt"), ("json", ".json"), ("markdown", ".md"),
                                         ("latex", ".tex")])
def test_out_dir_writes_one_file_per_rule(tmp_path, capsys, fmt, suffix):
    out = tmp_path / "reports" / "nested"
    decay = write(tmp_path, "decay.toml", DECAY)
    code = main(["check", CERTIFIED, decay, "--format", fmt, "--out", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([f"anti-hebbian-decay{suffix}", f"decay{suffix}"])
    body = (out / f"anti-hebbian-decay{suffix}").read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(body)[0]["verdict"] == "certified"          # always a list, even for one file
        assert json.loads((out / "decay.json").read_text(encoding="utf-8"))[0]["dW"] == "-W"
    elif fmt == "latex":   # each file is a standalone document; stdout is one document holding both bodies
        section = body[body.index("\\section*"):body.index("\\end{document}")].strip()
        assert body.startswith("\\documentclass") and "certified" in section
        assert section in capsys.readouterr().out
    else:
        assert "certified" in body.lower()
        assert body.strip() in capsys.readouterr().out


# -- --expect --------------------------------------------------------------------------------------

def test_expect_reproduces_the_catalog(capsys):
    assert main(["check", "--expect", str(RULES)]) == 0
    out = capsys.readouterr().out
    (line,) = out.strip().splitlines()            # by default --expect prints only what was not reproduced
    assert re.fullmatch(r"every documented verdict reproduced \(\d+ claim\(s\) and law\(s\) in \d+ file\(s\)\)", line)
    assert main(["check", "--expect", "-q", "-v", str(RULES)]) == 0
    out = capsys.readouterr().out
    assert "every documented verdict reproduced" in out.strip().splitlines()[-1]
    assert "EXPECTATION MISMATCH" not in out
    tally = [x for x in out.strip().splitlines() if x][-2].split(", ")     # e.g. "12 certified, 2 refuted, 1 inconclusive, 0 error"
    counts = {word: int(num) for num, word in (part.split() for part in tally)}
    assert set(counts) == {"certified", "refuted", "inconclusive", "error"}
    assert counts["error"] == 0
    assert sum(counts.values()) == len(list(RULES.glob("*.toml")))


def test_expect_reports_a_wrong_documented_verdict(tmp_path, capsys):
    text = (RULES / "anti-hebbian-decay.toml").read_text(encoding="utf-8")
    assert '[expect.linf]\nnonincreasing = "refuted"' in text
    wrong = text.replace('[expect.linf]\nnonincreasing = "refuted"', '[expect.linf]\nnonincreasing = "certified"')
    path = write(tmp_path, "anti-hebbian-decay.toml", wrong)
    assert main(["check", "--expect", path]) == 1
    out = capsys.readouterr().out
    assert "EXPECTATION MISMATCH: linf nonincreasing: expected certified, got refuted" in out
    assert "1 documented verdict(s) not reproduced" in out
    # the untouched file passes
    shutil.copy(RULES / "anti-hebbian-decay.toml", tmp_path / "good.toml")
    assert main(["check", "--expect", str(tmp_path / "good.toml")]) == 0
    assert "every documented verdict reproduced" in capsys.readouterr().out


def test_expect_with_a_bad_file_exits_2(tmp_path, capsys):
    assert main(["check", "--expect", CERTIFIED, write(tmp_path, "bad.toml", BAD)]) == 2
    assert "ERROR" in capsys.readouterr().out


# -- the cases every release must show -----------------------------------------------------------------

def test_anti_hebbian_is_certified_in_l2(tmp_path, capsys):
    code, doc = run_json(capsys, write(tmp_path, "ah.toml", ANTI_HEBBIAN))
    assert code == 0 and doc["verdict"] == "certified"
    cert = doc["results"][0]["certificate"]
    assert cert["norm"] == "l2" and cert["rate"] == "gamma"
    assert [s["lemma"] for s in cert["steps"]] == ["split", "l2-neg-gram", "subadditivity", "measure-flow",
                                                   "gronwall"]


def _mu_inf(A):
    return max(A[i][i] + sum(abs(A[i][j]) for j in range(len(A)) if j != i) for i in range(len(A)))


def test_anti_hebbian_is_refuted_in_linf(tmp_path, capsys):
    code, doc = run_json(capsys, write(tmp_path, "ah.toml", ANTI_HEBBIAN), "--measure", "linf")
    assert code == 1 and doc["verdict"] == "refuted"
    (result,) = doc["results"]
    assert (result["measure"], result["bound"]) == ("linf", "nonincreasing")
    cx = result["counterexample"]
    n = cx["n"]
    assert isinstance(n, int) and n >= 2
    assert cx["W0"] == [["0"] * n for _ in range(n)]
    lower, allowed = frac(cx["growth_lower_bound"]), frac(cx["allowed"])
    assert lower > allowed
    # re-check independently: from W0 = 0, mu_inf(W(t)) = t * mu_inf(dW/dt(0)) with dW/dt(0) = -k r r^T
    k, gamma = frac(cx["parameters"]["k"]), frac(cx["parameters"]["gamma"])
    r = [frac(x) for x in cx["activity"]["r"]]
    assert k >= 0 and gamma >= 0 and all(-1 <= x <= 1 for x in r)
    A = [[-k * r[i] * r[j] for j in range(n)] for i in range(n)]
    assert _mu_inf(A) >= lower > 0


def test_hebbian_is_refuted_in_l2(tmp_path, capsys):
    code, doc = run_json(capsys, write(tmp_path, "hebb.toml", HEBBIAN_ONLY))
    assert code == 1 and doc["verdict"] == "refuted"
    cx = doc["results"][0]["counterexample"]
    assert frac(cx["growth_lower_bound"]) > frac(cx["allowed"]) == 0
    assert frac(cx["parameters"]["k"]) > 0


def test_hebbian_with_decay_is_bounded_in_l2(tmp_path, capsys):
    code, doc = run_json(capsys, write(tmp_path, "hd.toml", HEBBIAN_DECAY_BOUNDED))
    assert code == 0 and doc["verdict"] == "certified"
    (result,) = doc["results"]
    assert (result["measure"], result["bound"], result["verdict"]) == ("l2", "bounded", "certified")
    cert = result["certificate"]
    assert cert["drive_bound"] == "k*n"
    assert cert["rate"] == "gamma"
    assert [s["lemma"] for s in cert["steps"]][-2:] == ["measure-flow", "gronwall"]
    assert "outer-bound" in [s["lemma"] for s in cert["steps"]]
    # and it is not nonincreasing: Hebbian growth wins near W0 = 0
    code, doc = run_json(capsys, str(tmp_path / "hd.toml"), "--bound", "nonincreasing")
    assert code == 1 and doc["verdict"] == "refuted"


def test_pure_decay_is_certified_in_l2(tmp_path, capsys):
    code, doc = run_json(capsys, write(tmp_path, "decay.toml", DECAY))
    assert code == 0 and doc["verdict"] == "certified"
    assert doc["dW"] == "-W"
    cert = doc["results"][0]["certificate"]
    assert cert["rate"] == "1"
    assert cert["drive_bound"] == "0"


# -- the module entry point ------------------------------------------------------------------------

def test_python_dash_m_certify(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "certify", "check", "rules/anti-hebbian-decay.toml"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("rules/anti-hebbian-decay.toml: CERTIFIED")
    assert proc.stderr == ""


def test_zero_denominator_range_is_an_error_verdict(tmp_path, capsys):
    path = write(tmp_path, "zero.toml", '[rule]\ndW = "-k*W"\n\n[parameters]\nk = "1/0"\n')
    code, doc = run_json(capsys, path)
    assert code == 2
    assert doc["verdict"] == "error" and doc["error"]["symbol"] == "k"


def test_balance_subcommand_is_wired_into_certify(tmp_path, capsys):
    import numpy as np
    from certify.cli.main import main as certify_main
    acyclic = tmp_path / "acyclic.npy"
    np.save(acyclic, np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]))
    assert certify_main(["balance", str(acyclic)]) == 1
    out = capsys.readouterr().out
    assert "no balanced state" in out and "0<-1" in out
    J = tmp_path / "J.npy"
    np.save(J, np.random.default_rng(0).normal(size=(20, 20)))
    assert certify_main(["balance", str(J), "--out", str(tmp_path / "b.npz")]) == 0
    assert (tmp_path / "b.npz").exists()


def test_explain_states_every_lemma_with_its_source(capsys):
    from certify.cli.main import main as certify_main
    from certify.kernel.lemmas import LEMMAS
    assert certify_main(["explain", "rules/hebbian-decay.toml"]) == 0
    out = capsys.readouterr().out
    for name in ("outer-bound", "subadditivity", "measure-flow", "gronwall"):
        assert f"lemma '{name}': {LEMMAS[name].statement}" in out
    assert "source: Kozachkov & Slotine, arXiv 2212.12639" in out
    assert certify_main(["explain", "rules/hebbian.toml", "--measure", "l2", "--bound", "nonincreasing"]) == 1
    assert "Every number above is exact" in capsys.readouterr().out
