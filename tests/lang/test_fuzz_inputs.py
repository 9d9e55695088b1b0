"""Hypothesis fuzzer over the three kinds of input `certify` reads (issue 11): rule files (TOML), data files
(.npy / .csv for W0 and bias) and certificates (JSON, mutated and re-sealed).

Every example runs the command line in this process (`certify.cli.main.main`) and must end in one of two ways:

- exit 0, 1 or 3 and the output names a verdict (and, for `check`, the verdict printed agrees with the exit code);
- exit 2 and the message names the input file (for a rule file: `file:line`, unless the TOML is nested too deeply
  to have a line);

never exit 4 (an internal error: a bug), never a Python traceback, never more than 5 s. Inputs that are certainly
bad (complex data, an unknown key, a NaN range, ...) must end in exit 2: a verdict for them is a wrong verdict.

The strategies *construct* inputs (nothing is filtered): random mixtures of valid and invalid tables, keys and
values, expressions from a small typed grammar with deliberate breakage, .npy files of every dtype and shape with
corrupted headers and truncated data, CSV text, and real certificates from proofs/ with random fields changed.

Profiles (tests/conftest.py): `ci` (default, derandomized) runs the whole file in about a minute; `thorough`
(HYPOTHESIS_PROFILE=thorough) runs THOROUGH examples per test (2,000 or more in all). With FUZZ_CENSUS=FILE every
example appends one JSON line (class, exit code, seconds, problems, the input when it failed) to FILE and no test
stops at the first problem: the mode for counting a campaign (`python tests/lang/test_fuzz_inputs.py FILE` sums it).
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from certify.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 5.0                                   # seconds per example: the design promise
HARD_LIMIT = 20.0                             # an example still running then is stopped (and counted as a hang)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
THOROUGH = PROFILE == "thorough"
CENSUS = os.environ.get("FUZZ_CENSUS")


def budget(ci: int, thorough: int):
    """Examples for one test: `ci` under the default profile, `thorough` under HYPOTHESIS_PROFILE=thorough (any
    other profile keeps its own max_examples)."""
    kw = dict(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                     HealthCheck.data_too_large, HealthCheck.filter_too_much],
              deadline=None)
    if PROFILE == "ci":
        kw["max_examples"] = ci
    elif THOROUGH:
        kw["max_examples"] = thorough
    if os.environ.get("FUZZ_EXAMPLES", "").isdigit():   # a one-off size, e.g. for a census
        kw["max_examples"] = int(os.environ["FUZZ_EXAMPLES"])
    return settings(**kw)


# -- running the command line and judging the outcome ---------------------------------------------------------------

class Hang(BaseException):
    """Raised by the alarm: a BaseException, so that the command's own `except Exception` cannot turn a hang into
    an 'internal error'."""


@contextmanager
def alarm(seconds: float):
    def expired(signum, frame):
        raise Hang(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_cli(argv, capsys) -> tuple[int | None, str, float, str | None]:
    """(exit code, stdout + stderr, seconds, what escaped main or None). Warnings behave as for a user (printed,
    not raised as pytest's `filterwarnings = error` would) and are appended to the text as 'WARNING ...' lines."""
    capsys.readouterr()
    escaped = None
    code = None
    t0 = perf_counter()
    caught: list = []
    try:
        with alarm(HARD_LIMIT), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = main([str(a) for a in argv])
    except Hang as exc:
        escaped = f"Hang: {exc}"
    except (Exception, SystemExit, RecursionError) as exc:   # main must catch everything; this is a traceback
        import traceback
        escaped = "Traceback (escaped main):\n" + "".join(traceback.format_exception(exc))[-3000:]
    seconds = perf_counter() - t0
    out = capsys.readouterr()
    shown = "".join(f"\nWARNING {w.category.__name__}: {w.message} ({Path(w.filename).name}:{w.lineno})"
                    for w in caught or [])
    return code, out.out + out.err + shown, seconds, escaped


# `check --expect` prints only what was not reproduced, and a one-line total ("every documented verdict reproduced")
VERDICT = re.compile(r"\b(CERTIFIED|REFUTED|INCONCLUSIVE|VERIFIED|FAILED|STALE|certified|refuted|inconclusive|"
                     r"reproduced)\b")
CHECK_CODE = {"CERTIFIED": 0, "REFUTED": 1, "INCONCLUSIVE": 3}
DATA = "data: "              # a reason that concerns a data file (W0, bias) named by the rule
SOFT = ("warning:", "unread-data:")   # counted in a census, reported, but not failing: see the module docstring
UNLOCATED_OK = ("nested",)   # TOML too deep for the reader: no line to give (tests/lang/test_hostile.py, TOML_CASES)


def judge(outcome, *, files: list[str], must_fail: list[str], rule_file: str | None = None,
          command: str = "check", fmt: str = "text") -> list[str]:
    """The problems of one outcome, each 'class: detail' with class traceback | internal | hang | wrong | unlocated
    | no-verdict."""
    code, text, seconds, escaped = outcome
    problems = []
    if escaped:
        problems.append(("hang: " if escaped.startswith("Hang") else "traceback: ") + escaped[:2000])
    if "Traceback (most recent call last)" in text:
        problems.append("traceback: " + text[-2000:])
    if code == 4:
        problems.append("internal: " + text[-1500:])
    for line in re.findall(r"^WARNING .*$", text, re.M)[:1]:   # noise on the user's stderr: counted, not failed
        problems.append("warning: " + line)
    if seconds > LIMIT:
        problems.append(f"hang: {seconds:.1f} s")
    if code in (0, 1, 3):
        if must_fail and command != "prove" and all(w.startswith(DATA) for w in must_fail):
            problems.append(f"unread-data: exit {code} although a data file named by the rule is bad "
                            f"({'; '.join(must_fail)}): check and explain read W0 and bias only for a claim that "
                            "needs the network")
        elif must_fail:
            problems.append(f"wrong: exit {code} for an input that must be refused ({'; '.join(must_fail)}): "
                            + text[:600])
        if not VERDICT.search(text):
            problems.append(f"no-verdict: exit {code}: {text[:600]}")
        elif command == "check" and fmt == "text" and rule_file:
            m = re.search(re.escape(rule_file) + r": (CERTIFIED|REFUTED|INCONCLUSIVE)", text)
            if m and CHECK_CODE[m.group(1)] != code:
                problems.append(f"wrong: {m.group(1)} printed but exit {code}")
        elif command == "check" and fmt == "json":
            try:
                doc = json.loads(text)
                v = doc[0]["verdict"] if isinstance(doc, list) else doc["verdict"]
                if {"certified": 0, "refuted": 1, "inconclusive": 3}.get(v) != code:
                    problems.append(f"wrong: JSON verdict {v} but exit {code}")
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                problems.append(f"no-verdict: JSON output unreadable ({exc}): {text[:300]}")
    elif code == 2:
        if not any(f in text for f in files):
            problems.append(f"unlocated: the message names none of {files}: {text[:600]}")
        elif rule_file and not re.search(re.escape(rule_file) + r":\d+", text) \
                and not any(w in text for w in UNLOCATED_OK) and rule_file in text:
            problems.append(f"unlocated: no line in the rule file: {text[:600]}")
    elif code is not None and code != 4:
        problems.append(f"wrong: exit {code}")
    return problems


def settle(kind: str, outcome, problems: list[str], shown: str) -> None:
    """Assert (default) or, with FUZZ_CENSUS=FILE, record the example and go on."""
    if CENSUS:
        rec = {"class": kind, "code": outcome[0], "seconds": round(outcome[2], 3),
               "problems": [p[:1500] for p in problems]}
        if problems:
            rec["input"] = shown[:6000]
        with open(CENSUS, "a") as fh:
            fh.write(json.dumps(rec) + "\n")
        return
    hard = [p for p in problems if not p.startswith(SOFT)]
    assert not hard, "\n".join(hard) + "\n--- input ---\n" + shown[:4000]


# -- (a) rule files ------------------------------------------------------------------------------------------------

def wild(draw, chaos: int) -> bool:
    """True with probability chaos/8: each rule file draws its chaos level once, so that some files are almost
    all valid (and reach the derivation, the kernel and the counterexample search) and others are mostly broken."""
    return draw(st.integers(0, 7)) < chaos


def toml_str(s: str) -> str:
    """A TOML basic string (json.dumps escapes are TOML escapes for the BMP; other characters stay raw)."""
    return json.dumps(s, ensure_ascii=False)


NUMBER_TEXTS = ["0", "1", "2", "-1", "0.5", "1e-3", "1/2", "3/4", "1e300", "1e-300", "1e60", "1e-60", "1e61",
                "1/0", "0/0", "1e999999999", "9" * 70, "+1", ".5", "5.", "-0"]
BAD_NUMBER_TEXTS = ["1/0", "0/0", "1e999999999", "9" * 70, "1e61", "1e300", "1e-300"]


@st.composite
def scalar_expr(draw, depth=0):
    atoms = ["k", "gamma", "c", "n", "2", "0.5", "1/2", "3", "1e-3"]
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(atoms))
    a, b = draw(scalar_expr(depth + 1)), draw(scalar_expr(depth + 1))
    return draw(st.sampled_from([f"({a} + {b})", f"({a}*{b})", f"({a} - {b})", f"sqrt({a})", f"exp({a})",
                                 f"({a})^2", f"({a})^{draw(st.integers(-2, 4))}", f"tanh({a})", f"abs({a})"]))


@st.composite
def vector_expr(draw, depth=0):
    atoms = ["r", "x", "u", "g"]
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(atoms))
    v = draw(vector_expr(depth + 1))
    return draw(st.sampled_from([f"tanh({v})", f"relu({v})", f"sigmoid({v})", f"abs({v})",
                                 f"(W*{v})", f"({draw(scalar_expr(depth + 1))}*{v})", f"({v} + r)", f"({v} - x)",
                                 f"hadamard({v}, r)", f"({v}∘x)"]))


@st.composite
def matrix_expr(draw, depth=0):
    atoms = ["W", "I", "K", "W.T", "Wᵀ"]
    if depth >= 3 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(atoms))
    m1, m2 = draw(matrix_expr(depth + 1)), draw(matrix_expr(depth + 1))
    s, v, w = draw(scalar_expr(depth + 1)), draw(vector_expr(depth + 1)), draw(vector_expr(depth + 1))
    return "(" + draw(st.sampled_from([
        f"-{m1}", f"{m1} + {m2}", f"{m1} - {m2}", f"{s}*{m1}", f"-{s}*{m1}", f"{m1}*{m2}", f"{m1}/{s}",
        f"{v}*{w}.T", f"-{s}*{v}*{v}.T", f"diag({v})", f"sym({m1})", f"hadamard({m1}, {m2})", f"{m1}∘{m2}",
        f"{m1}^{draw(st.integers(0, 4))}", f"{m1}.T", f"{m1} - {m1}.T", "zeros(n, n)",
        f"{m1}*diag({v}) - diag({v})*{m1}", f"-{s}*W + {v}*{w}.T", f"-{s}*W", f"-W - {s}*{v}*{v}.T",
        f"{v}*{v}.T - {s}*W",
    ])) + ")"


BROKEN_EXPRS = ["", "   ", "-W +", "(W", "W)", "W**", "-gamma*W - k*r*r.T)", "__import__('os').system('true')",
                "W.__class__", "foo(W)", "r.T*r", "W + r", "W^-1", "W^(1/2)", "W^k", "inv(W)", "W @ W", "W[0]",
                "1 +* W", "lambda: W", "W;W", "W\nW", "ß*W", "tanh(relu(x))*W", "sqrt(W)", "exp(W)",
                "W^1000", "(W+I)^30", "-(k+1)^1000*W", "W" + "*W" * 300, "(" * 150 + "W" + ")" * 150,
                "-" * 300 + "W", "1e999999*W", "2^2^2^2^2^2*W", "W/0", "W/(k-k)", "diag(W)", "sym(r)",
                "hadamard(W)", "zeros(2, n)", "x" * 3000, "W" + " + W" * 600, "W.T.T.T" * 50, "W ^ 2.5"]


@st.composite
def dw_value(draw, chaos: int = 4) -> tuple[str, list[str]]:
    """(TOML value text for dW, reasons it must be refused)."""
    kind = draw(st.integers(0, 9)) if wild(draw, chaos) else 0
    if kind <= 5:
        e = draw(matrix_expr())
        return toml_str(e), []
    if kind == 6:   # a valid expression broken at a random place
        e = draw(matrix_expr())
        i = draw(st.integers(0, len(e)))
        junk = draw(st.sampled_from(["(", ")", "*", "+*", ",", "$", ".", "..", "^", "'", "\\", "é", "∘∘", "_x"]))
        return toml_str(e[:i] + junk + e[i:]), []    # some insertions stay valid (e.g. '+' before a term)
    if kind == 7:
        return toml_str(draw(st.sampled_from(BROKEN_EXPRS))), []   # several of these are errors, none certain
    if kind == 8:   # not a string at all
        return draw(st.sampled_from(["1", "1.5", "true", "[\"W\"]", "{a = 1}", "1979-05-27", "nan"])), \
            ["dW is not a string"]
    return toml_str(draw(st.text(min_size=0, max_size=40))), []


# range values: (TOML text, certainly bad?)
GOOD_RANGES = ['">= 0"', '"> 0"', '"<= 0"', '"< 0"', "1", "0.5", "[0, 2]", "[-1, 1]", '"[0, 1)"', '"(0, 1]"',
               '"(0, 1)"', '"real"', '"1/2"', "[0, 1e-3]", "[-1e60, 1e60]", '"[-inf, 1]"', '"(0, inf)"', "-3",
               '"any"', "[1, 1]", '">= -1e-60"']
BAD_RANGES = ["nan", "inf", "-inf", "[0, inf]", "[nan, 1]", "[2, 1]", '"(1, 1)"', '"[1, 1)"', '"banana"',
              "true", "[0]", "[0, 1, 2]", "[[0, 1]]", '["0", "1"]', "{lo = 0}", "1979-05-27T07:32:00Z",
              "07:32:00", "[0, 1e300]", "[0, 1e-300]", "1e400", '"[0, 1e999999999]"', '"1/0"', "[]",
              "9" * 70, "9" * 5000, '"> banana"', '">= 1e61"', "[true, false]", '""', '"(1, 0)"']


@st.composite
def range_value(draw, chaos: int = 4) -> tuple[str, list[str]]:
    if not wild(draw, chaos):
        return draw(st.sampled_from(GOOD_RANGES)), []
    if draw(st.integers(0, 4)) == 0:   # deep nesting
        d = draw(st.integers(2, 60 if not THOROUGH else 3000))
        inner = draw(st.sampled_from(["", "1", "{a = 1}"]))
        if inner == "{a = 1}":
            return "{a = " * d + "1" + "}" * d, [f"{d}-deep table"]
        return "[" * d + inner + "]" * d, [f"{d}-deep array"]
    if draw(st.integers(0, 3)) == 0:   # a random number in a random form
        x = draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**80, 10**80)))
        lo = draw(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
        text = repr(x) if isinstance(x, int) else ("nan" if x != x else "inf" if x == float("inf") else
                                                   "-inf" if x == float("-inf") else repr(x))
        form = draw(st.integers(0, 2))
        if form == 0:
            return f"[{lo!r}, {text}]", []
        if form == 1:
            return toml_str(f"[{lo!r}, {text}]"), []
        return text, []
    v = draw(st.sampled_from(BAD_RANGES))
    return v, [f"range {v[:30]}"]


NAME_KEYS = ["k", "gamma", "c", "tau", "eta", "alpha", "beta", "K", "r", "x", "u", "g", "W", "I", "n", "_x", "1a",
             "class", "a-b", "\"a b\"", "\"\"", "\"é\"", "lambda", "k2"]


MATRIX_PROPS = ['"psd"', '"nsd"', '"symmetric"', '"skew"', '"diagonal"', '"any"']
BAD_MATRIX_PROPS = ['"positive"', "1", "true", '["psd"]', '""', '"PSD"']


@st.composite
def inline_matrix(draw, chaos: int = 4) -> tuple[str, list[str]]:
    n = draw(st.integers(1, 3))
    m = n if not wild(draw, chaos) else draw(st.integers(1, 3))
    nums = st.sampled_from(["0", "1", "-1", "0.5", "2", '"1/2"', "1e-3", "-0.25", "3"])
    rows = [[draw(nums) for _ in range(m)] for _ in range(n)]
    if wild(draw, chaos):
        r, c = draw(st.integers(0, n - 1)), draw(st.integers(0, m - 1))
        rows[r][c] = draw(st.sampled_from(["nan", "inf", '"a"', "true", "[1]", "1e300", "{a = 1}"]))
        text = "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"
        return text, [f"W0 entry {rows[r][c]}"]
    text = "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"
    bad = [] if n == m else ["non-square W0"]
    if draw(st.integers(0, 4)) == 0:
        return toml_str(text.replace('"', "")), bad     # the same matrix written as text
    return text, bad


def pick(draw, chaos: int, good: list[str], bad: list[str], what: str) -> tuple[str, list[str]]:
    """A good value, or (with probability chaos/8) a bad one with its reason."""
    if bad and wild(draw, chaos):
        v = draw(st.sampled_from(bad))
        return v, [f"{what} = {v[:40]}"]
    return draw(st.sampled_from(good)), []


@st.composite
def network_entries(draw, files: dict, chaos: int) -> tuple[list[str], list[str]]:
    lines, bad = [], []

    def add(key: str, good: list[str], wrong: list[str]) -> None:
        v, why = pick(draw, chaos, good, wrong, f"[network].{key}")
        lines.append(f"{key} = {v}")
        bad.extend(why)

    if draw(st.booleans()):
        add("form", ['"H"', '"FR"'], ['"X"', "1", '"h"', '["H"]'])
    if draw(st.booleans()):
        add("activation", ['"tanh"', '"logistic"', '"relu"', '"leaky-relu"', '"softplus"', '"linear"'],
            ['"sin"', "0", '"TANH"', '""'])
    if draw(st.integers(0, 2)) == 0:
        add("slope", ["[0, 1]", "[0, 2]", '"[0, 1]"', "[0, 1.5]"],
            ["[0, 0]", "[1, 2]", "[0, inf]", "[0, nan]", "[0, -1]", '"x"', "[0]", "[0, 1e400]", '[0, "1"]',
             "[0, 1e300]", "[0, 1e-300]", "[false, 1]", '"[0, 1e999999999]"'])
        # a slope below the activation's own (e.g. [0, 0.25] with tanh) is refused too: not generated, so
        # `bad` stays exact
    kind = draw(st.integers(0, 4))
    if kind in (1, 2):
        v, why = draw(inline_matrix(chaos))
        lines.append(f"W0 = {v}")
        bad += why
    elif kind == 3:   # a data file (written by the caller from `files`)
        name, why = pick(draw, chaos, ["w.npy", "w.csv", "sub/w.npy"],
                         ["missing.npy", "../w.npy", "/etc/passwd", "w.txt", "w.npz", "w", "", ".", "sub",
                          "w.npy\u0000x", "sub/../../w.npy"], "W0 file")
        lines.append(f"W0 = {toml_str(name)}")
        bad += [DATA + w for w in why]
        if not why:
            content, why = draw(csv_file(True, False, chaos) if name == "w.csv" else npy_file(True, False, chaos))
            files[name] = content
            bad += [DATA + w for w in why]
    if draw(st.integers(0, 2)) == 0:
        kind = draw(st.integers(0, 3)) if wild(draw, chaos) else draw(st.integers(0, 1))
        if kind == 0:
            n = draw(st.integers(1, 4))
            lines.append("bias = [" + ", ".join(draw(st.sampled_from(["0", "1", "-0.5", '"1/3"']))
                                                for _ in range(n)) + "]")
        elif kind == 1:
            name = draw(st.sampled_from(["u.npy", "u.csv"]))
            content, why = draw(npy_file(False, True, chaos) if name == "u.npy" else csv_file(False, True, chaos))
            files[name] = content
            lines.append(f"bias = {toml_str(name)}")
            bad += [DATA + w for w in why]
        elif kind == 2:
            v = draw(st.sampled_from(["[[1, 2]]", "[nan]", "[]", '"[1, 2"', "1", '["a"]', "[1e400]"]))
            lines.append(f"bias = {v}")
            bad.append(f"bias {v}")
        else:
            lines.append(f"bias = {toml_str('missing-bias.npy')}")
            bad.append(DATA + "missing bias file")
    if draw(st.integers(0, 3)) == 0:
        v, why = draw(range_value(chaos))
        lines.append(f"input = {v}")
        bad += why
    return lines, bad


CLAIM_MEASURES = ["l1", "l2", "linf", "weighted-l1", "weighted-linf", "weighted-l2"]
CLAIM_BOUNDS = ["nonincreasing", "bounded", "contracting"]


@st.composite
def rule_file(draw) -> tuple[str, dict, list[str]]:
    """(TOML text, data files {name: bytes}, reasons it must be refused)."""
    chaos = draw(st.sampled_from([0, 0, 1, 1, 2, 3, 4, 8]))
    files: dict[str, bytes] = {}
    bad: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    # [rule]
    rule = []
    if not wild(draw, chaos) or draw(st.integers(0, 7)):
        v, why = draw(dw_value(chaos))
        rule.append(f"dW = {v}")
        bad += why
    else:
        bad.append("no dW")
    if draw(st.booleans()):
        v, why = pick(draw, chaos, ['"fuzz"', '"x"', '"a/b"', '"../../etc"', toml_str("y" * 300),
                                    '"\\u00e9t\\u00e9"', '"con"', '""', '" "', '"a\\tb"', '".."', '"."'],
                      ["1", "[1]", "true", "{a = 1}"], "name")
        rule.append(f"name = {v}")
        bad += why
    if draw(st.integers(0, 3)) == 0:
        rule.append(f"summary = {toml_str(draw(st.text(st.characters(blacklist_categories=('Cs',)), max_size=30)))}")
    if wild(draw, chaos) and draw(st.booleans()):
        k = draw(st.sampled_from(["dw", "DW", "reference2", "rate", '"dW "']))
        rule.append(f"{k} = 1")
        bad.append(f"unknown key {k}")
    rule_header = "[[rule]]" if wild(draw, chaos) and draw(st.integers(0, 5)) == 0 else "[rule]"
    if rule_header == "[[rule]]":
        bad.append("[[rule]]")
    sections.append((rule_header, rule))
    # [parameters] / [activity]
    for table in ("parameters", "activity"):
        if table == "parameters" and not wild(draw, chaos):   # the scalars of the grammar, and tau for balancing
            keys = ["k", "gamma", "c", "tau"]
        elif draw(st.integers(0, 3)):
            keys = draw(st.lists(st.sampled_from(NAME_KEYS if wild(draw, chaos) else ["r", "x", "u", "g"]),
                                 max_size=4, unique=True))
        else:
            continue
        lines = []
        for key in keys:
            v, why = draw(range_value(chaos))
            lines.append(f"{key} = {v}")
            bad += why
        sections.append((f"[{table}]", lines))
    if not wild(draw, chaos) or draw(st.booleans()):   # K is a matrix of the grammar
        lines = []
        for key in ["K"] + draw(st.lists(st.sampled_from(["M", "k", "W", "r", "K"] if wild(draw, chaos) else ["M"]),
                                         max_size=2, unique=True)):
            v, why = pick(draw, chaos, MATRIX_PROPS, BAD_MATRIX_PROPS, f"[matrices].{key}")
            lines.append(f"{key} = {v}")
            bad += why
        sections.append(("[matrices]", lines))
    if draw(st.integers(0, 2)) == 0:
        lines, why = draw(network_entries(files, chaos))
        sections.append(("[network]", lines))
        bad += why
    if draw(st.booleans()):
        lines = []
        if not wild(draw, chaos) or draw(st.booleans()):
            m, why = pick(draw, chaos, CLAIM_MEASURES, ["l3", "L2", "1", "weighted"], "measure")
            lines.append(f"measure = {toml_str(m) if m != '1' else m}")
            bad += why
        if not wild(draw, chaos) or draw(st.booleans()):
            b, why = pick(draw, chaos, CLAIM_BOUNDS, ["bound", "decreasing", ""], "bound")
            lines.append(f"bound = {toml_str(b)}")
            bad += why
        sections.append(("[claim]", lines))
    if draw(st.integers(0, 3)) == 0:
        m, why = pick(draw, chaos, CLAIM_MEASURES[:3], ["l7", "bogus"], "[expect.*]")
        bad += why
        b = draw(st.sampled_from(CLAIM_BOUNDS))
        v, why = pick(draw, chaos, ['"certified"', '"refuted"', '"inconclusive"'], ['"maybe"', "1", '"error"'],
                      "expectation")
        sections.append((f"[expect.{m}]", [f"{b} = {v}"]))
        bad += why
    if draw(st.integers(0, 4)) == 0:
        lines = []
        for key, good, wrong in [("p", ["2", "1", "0.5"], ["0", "-1", '"x"', "1e300", "nan", "true", "inf"]),
                                 ("alpha", ["1", "0.5"], ["0", "[1]"]),
                                 ("tau", ['"tau"', '"k"'], ["1", '"_t"', '"W"']),
                                 ("signal", ['"g"', '"r"'], ['"1g"', "2"]),
                                 ("activation", ['"relu"', '"tanh"', '"linear"', '"leaky-relu"'], ['"sin"', "3"])]:
            if draw(st.booleans()):
                v, why = pick(draw, chaos, good, wrong, f"[balancing].{key}")
                lines.append(f"{key} = {v}")
                bad += why
        sections.append(("[balancing]", lines))
    if draw(st.integers(0, 4)) == 0:
        lines = []
        for key, good, wrong in [("lagrangian", ['"relu"', '"logcosh"', '"softplus"', '"quadratic"'],
                                  ['"cubic"', "1"]),
                                 ("time_constants", ['"scalar"', '"diagonal"'], ['"matrix"', "[1]"]),
                                 ("layers", ["1", "2", '"2"'], ["3", '"three"', "1.5"])]:
            if draw(st.booleans()):
                v, why = pick(draw, chaos, good, wrong, f"[energy].{key}")
                lines.append(f"{key} = {v}")
                bad += why
        sections.append(("[energy]", lines))
    if wild(draw, chaos) and draw(st.integers(0, 3)) == 0:
        t = draw(st.sampled_from(["[rules]", "[parameter]", "[extra]", "[claim.sub]", "[network.W0]"]))
        sections.append((t, ["a = 1"]))
        bad.append(f"table {t}")
    order = draw(st.permutations(range(len(sections))))
    text = "\n".join("\n".join([sections[i][0]] + sections[i][1]) for i in order)
    if wild(draw, chaos) and draw(st.integers(0, 4)) == 0:   # a bare key before the first table
        text = draw(st.sampled_from(["parameters = 1", "rule = 2", "x = 1", 'claim = "l2"'])) + "\n" + text
        bad.append("top-level key")
    if wild(draw, chaos) and draw(st.integers(0, 4)) == 0:   # a random byte-level break
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(["\"", "[", "]", "=", "\n=", "\x00", "\\", "{"])) + text[i:]
        bad = []   # may or may not still be valid
    return text + "\n", files, bad


def _project(base: Path, rule_text: str, files: dict) -> Path:
    rules = base / "rules"
    (rules / "sub").mkdir(parents=True)
    for name, content in files.items():
        (rules / name).write_bytes(content)
    (base / "w.npy").write_bytes(_npy_bytes(np.array([[0.0, 0.5], [0.5, 0.0]])))   # outside the rule folder
    path = rules / "r.toml"
    path.write_text(rule_text, encoding="utf-8")
    return path


COMMANDS = st.sampled_from([("check", "text"), ("check", "text"), ("check", "json"), ("explain", "text"),
                            ("prove", "text"), ("check-expect", "text")])


def _argv(command: str, fmt: str, path: Path, base: Path) -> list:
    if command == "prove":
        return ["prove", path, "--out", base / "proofs", "--no-latex"]
    if command == "check-expect":
        return ["check", path, "--expect"]
    return [command, path] + (["--format", fmt] if fmt != "text" else [])


def _run_rule(capsys, text: str, files: dict, bad: list[str], command: str, fmt: str, kind: str = "toml") -> None:
    with tempfile.TemporaryDirectory(prefix="certify-fuzz-") as tmp:
        base = Path(tmp)
        path = _project(base, text, files)
        outcome = run_cli(_argv(command, fmt, path, base), capsys)
        problems = judge(outcome, files=[str(path)], must_fail=bad, rule_file=str(path),
                         command=command, fmt=fmt)   # check-expect: the exit code judges expectations
        if command == "prove" and outcome[0] in (0, 1) and not problems:    # and the certificate it wrote
            certs = sorted((base / "proofs").glob("*.json"))
            if certs:
                again = run_cli(["verify", *certs], capsys)
                problems += [p for p in judge(again, files=[str(c) for c in certs], must_fail=[],
                                              command="verify") if not p.startswith("unlocated")]
                if again[0] != 0:
                    problems.append(f"wrong: a certificate just written does not verify (exit {again[0]}): "
                                    + again[1][:800])
        shown = f"$ certify {command} ({fmt})\n{text}\nfiles: " + \
            ", ".join(f"{k}: {v[:200]!r}" for k, v in files.items())
        settle(kind, outcome, problems, shown)


@budget(ci=150, thorough=1400)
@given(case=rule_file(), command=COMMANDS)
@example(case=('[rule]\ndW = "-W"\n[parameters]\nk = [0, 1e300]\n', {}, ["range [0, 1e300]"]),
         command=("check", "text"))
def test_fuzz_rule_files(capsys, case, command):
    text, files, bad = case
    _run_rule(capsys, text, files, bad, *command)


# -- (b) data files: .npy and .csv ---------------------------------------------------------------------------------

def _npy_bytes(arr, **kw) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, **kw)
    return buf.getvalue()


def _npy_header(shape, descr="<f8", fortran=False, version=(1, 0)) -> bytes:
    buf = io.BytesIO()
    d = {"descr": descr, "fortran_order": fortran, "shape": shape}
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(buf, d)
    else:
        np.lib.format.write_array_header_2_0(buf, d)
    return buf.getvalue()


REAL_DTYPES = ["<f8", ">f8", "<f4", "<f2", "<i8", ">i4", "<i2", "|i1", "<u8", "|u1", "|b1", "<u4"]
BAD_DTYPES = ["<c16", "<c8", "<f16" if np.dtype(np.longdouble).itemsize > 8 else "<c16", "|S3", "<U2",
              "<M8[s]", "<m8[ms]", "|V8", [("a", "<f8"), ("b", "<i4")], [("a", "<f8", (2,))], ("<f8", (2,))]


def _random_values(rng, dtype: np.dtype, shape, special: bool):
    size = int(np.prod(shape)) if shape else 1
    if dtype.kind == "b":
        return rng.integers(0, 2, size).astype(bool).reshape(shape)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        vals = rng.integers(max(info.min, -4), min(info.max, 4) + 1, size).astype(dtype)
        if special and size:
            vals[0] = info.max      # e.g. 2**64 - 1 as uint64: read exactly, never rounded
        return vals.reshape(shape)
    if dtype.kind == "f":
        vals = rng.uniform(-2, 2, size)
        if special and size:
            vals[rng.integers(0, size)] = rng.choice([np.nan, np.inf, -np.inf, 1e300, 1e-300, 65504.0, -0.0, 5e-324])
        with np.errstate(over="ignore"):
            return vals.astype(dtype).reshape(shape)
    if dtype.kind == "c":
        return (rng.uniform(-1, 1, size) + 1j * rng.choice([0, 0.5], size)).astype(dtype).reshape(shape)
    if dtype.kind == "S":
        return np.array([b"ab"] * size, dtype=dtype).reshape(shape)
    if dtype.kind == "U":
        return np.array(["1"] * size, dtype=dtype).reshape(shape)
    return np.zeros(shape, dtype=dtype)


@st.composite
def npy_file(draw, square: bool = False, vector: bool = False, chaos: int = 2) -> tuple[bytes, list[str]]:
    """(content of a .npy file, reasons it must be refused as W0 (square) or bias (vector))."""
    bad: list[str] = []
    real = not wild(draw, chaos) or draw(st.integers(0, 2)) > 0
    spec = draw(st.sampled_from(REAL_DTYPES if real else BAD_DTYPES))
    dtype = np.dtype(spec)
    if not real:
        bad.append(f"dtype {dtype}")
    n = draw(st.integers(1, 3))
    shape_kind = draw(st.integers(0, 6)) if wild(draw, chaos) else 0
    shape = {0: (n, n), 1: (n, n), 2: (n,), 3: (n, n + 1), 4: (), 5: (n, n, 1), 6: (0, 0)}[shape_kind] \
        if not vector else {0: (n,), 1: (n,), 2: (n, n), 3: (1, n), 4: (), 5: (n, 1, 1), 6: (0,)}[shape_kind]
    if square and shape_kind not in (0, 1):
        bad.append(f"shape {shape}")
    if vector and shape_kind not in (0, 1, 3):
        bad.append(f"shape {shape}")
    if vector and shape_kind == 3 and n > 1:   # a (1, n) bias: 2-D, refused
        bad.append(f"shape {shape}")
    special = wild(draw, chaos) and draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    try:
        arr = _random_values(rng, dtype, shape, special)
    except (ValueError, TypeError):
        arr = np.zeros(shape, dtype=dtype)
    if dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad.append("non-finite")
    fortran = draw(st.integers(0, 5)) == 0 and arr.ndim == 2
    data = _npy_bytes(np.asfortranarray(arr) if fortran else arr)
    corruption = draw(st.integers(0, 6)) if wild(draw, chaos) else 0
    if corruption == 1:     # truncated data
        header_len = len(data) - arr.nbytes
        cut = draw(st.integers(0, len(data) - 1))
        data = data[:cut]
        if arr.nbytes or cut < header_len:
            bad.append(f"truncated at {cut}")
    elif corruption == 2:   # a header that lies about the shape
        big = draw(st.sampled_from([(10**6, 10**6), (10**30, 2), (-1, 2), (3, 3), (2, 2), (5, 5), (2,), (2**62, 4),
                                    (20001, 20001), (1, 1)]))
        data = _npy_header(big, descr=np.lib.format.dtype_to_descr(dtype)) + data[len(_npy_header(shape, np.lib.format.dtype_to_descr(dtype))):]
        bad = bad if big == shape else bad + [f"header shape {big}"]
        if big != shape and len(big) == len(shape) and np.prod(big) <= np.prod(shape) and min(big) > 0:
            bad.pop()   # a smaller honest-looking shape: the extra bytes are ignored
    elif corruption == 3:   # random bytes in the header
        i = draw(st.integers(0, min(len(data), 128) - 1))
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:]
        bad = []            # may still be readable
    elif corruption == 4:   # a header text of our choosing
        text = draw(st.sampled_from(["{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                                     "{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,2)}",
                                     "{'descr': '<f8', 'shape': (2, 2)}", "[1, 2, 3]", "{" * 500 + "}" * 500,
                                     "{'descr': '<f8', 'fortran_order': False, 'shape': (2," + "9" * 5000 + ")}",
                                     "{'descr': 'O', 'fortran_order': False, 'shape': (2, 2), }",
                                     "{'descr': '<f8', 'fortran_order': 'x', 'shape': (2, 2), }",
                                     "{'descr': '<f8', 'fortran_order': False, 'shape': (2.5, 2), }",
                                     "{'descr': '<f8', 'fortran_order': False, 'shape': 'aa', }",
                                     "\x00" * 20, "é" * 10]))
        body = text.encode("latin-1", "replace")
        body += b" " * ((-(len(body) + 11)) % 64) + b"\n"
        data = b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body + b"\x00" * 32
        if text != "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }":
            bad = ["hand-written header"]
        elif square:
            bad = []
        else:
            bad = ["a 2x2 matrix as a vector"]
    elif corruption == 5:   # another version / not npy at all
        data = draw(st.sampled_from([b"\x93NUMPY\x09\x00" + data[8:], b"", b"\x93NUMPY", b"PK\x03\x04" + data,
                                     b"hello", data[:6], b"\x93NUMPY\x02\x00" + data[8:],
                                     _npy_bytes(np.array([[1, None], [2, 3]], dtype=object), allow_pickle=True)]))
        bad = ["not a .npy file"]
    elif corruption == 6:   # trailing garbage: extra bytes after the data are harmless
        data = data + b"\x00" * draw(st.integers(1, 64))
    return data, bad


CSV_TOKENS = ["0", "1", "-1", "0.5", ".5", "5.", "1e-3", "+2", "-0", "1e300", "1e-300"]
BAD_CSV_TOKENS = ["1e400", "nan", "inf", "-inf", "1+2j", "(1+2j)", "3j", "j", "a", "0x10", "1_000", "1/2", "",
                  "__import__('os')", "1,5", "١", "１", "1e", "--1", "\x00", "NaN", "Infinity", "1 2"]


@st.composite
def csv_file(draw, square: bool = False, vector: bool = False, chaos: int = 2) -> tuple[bytes, list[str]]:
    bad: list[str] = []
    n = draw(st.integers(1, 3))
    if vector:
        rows, cols = draw(st.sampled_from([(n, 1), (1, n), (n, n)])) if wild(draw, chaos) else (n, 1)
    else:
        rows, cols = draw(st.sampled_from([(n, n), (n, n + 1), (n, 1)])) if wild(draw, chaos) else (n, n)
    grid = [[draw(st.sampled_from(CSV_TOKENS)) for _ in range(cols)] for _ in range(rows)]
    if square and rows != cols:
        bad.append(f"shape {rows}x{cols}")
    if vector and rows != 1 and cols != 1:
        bad.append(f"shape {rows}x{cols}")
    if wild(draw, chaos):
        r, c = draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1))
        grid[r][c] = draw(st.sampled_from(BAD_CSV_TOKENS))
        bad.append(f"token {grid[r][c]!r}")
    lines = [", ".join(row) for row in grid]
    if draw(st.integers(0, 4)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["# comment", "", "   ", "#,,,"])))
    if wild(draw, chaos) and draw(st.integers(0, 3)) == 0 and len(lines) > 1:
        lines[-1] = lines[-1] + ", 1"
        bad.append("ragged")
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n"]))
    data = text.encode("utf-8")
    enc = draw(st.integers(0, 5)) if wild(draw, chaos) else 9
    if enc == 0:
        data = b"\xef\xbb\xbf" + data      # a BOM: refused or read, never a traceback
        bad = []
    elif enc == 1:
        data = data + b"\xff\xfe"
        bad.append("not UTF-8")
    elif enc == 2:
        data = b""
        bad = ["empty"]
    return data, bad


W0_RULE = """[rule]
name = "w0"
dW = "{dw}"
[parameters]
gamma = ">= 0"
[network]
form = "{form}"
activation = "{activation}"
W0 = "{w0}"
{bias}
[claim]
measure = "{measure}"
bound = "{bound}"
"""


@budget(ci=100, thorough=700)
@given(data=st.data(), ext=st.sampled_from(["npy", "npy", "csv"]), bias=st.integers(0, 3), chaos=st.integers(1, 8),
       dw=st.sampled_from(["-W", "0", "-gamma*W", "-W - x*x.T"]), form=st.sampled_from(["H", "FR"]),
       activation=st.sampled_from(["tanh", "relu", "linear"]), measure=st.sampled_from(["l1", "l2", "linf"]),
       command=st.sampled_from(["check", "check", "prove"]))
def test_fuzz_data_files(capsys, data, ext, bias, chaos, dw, form, activation, measure, command):
    w0, bad = data.draw(npy_file(True, False, chaos) if ext == "npy" else csv_file(True, False, chaos))
    files = {f"w.{ext}": w0}
    bias_line = ""
    if bias == 0:
        name = data.draw(st.sampled_from(["u.npy", "u.csv"]))
        b, why = data.draw(npy_file(False, True, chaos) if name == "u.npy" else csv_file(False, True, chaos))
        files[name] = b
        bias_line = f'bias = "{name}"'
        bad = bad + why
    text = W0_RULE.format(dw=dw, form=form, activation=activation, w0=f"w.{ext}", bias=bias_line, measure=measure,
                          bound="contracting")
    # a bias whose length differs from W0's is refused; which one is first does not matter, but both valid files
    # of different sizes must not give a verdict
    _run_rule(capsys, text, files, bad + _size_mismatch(files), command, "text", kind=f"data-{ext}")


def _size_mismatch(files: dict) -> list[str]:
    """'bias length' when W0 and the bias are both readable and their sizes differ (so the rule must be refused)."""
    from certify.lang.datafiles import load_array
    sizes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in files.items():
            p = Path(tmp) / name
            p.write_bytes(content)
            try:
                arr = load_array(p, "x", ndims=(2,) if name.startswith("w") else (1,))
            except Exception:
                return []
            sizes[name[0]] = arr.shape[0]
    if len(sizes) == 2 and sizes["w"] != sizes["u"]:
        return ["bias length differs from W0"]
    return []


# -- (c) certificates ----------------------------------------------------------------------------------------------

CERTS = sorted((ROOT / "proofs").glob("*.json"))


def _paths(doc, prefix=()):
    """Every path into a JSON document (keys and list indices)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


def _get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


CRITICAL = re.compile(r"^(verdict|claims/\d+/(verdict|measure|bound)|rule/(hash|canonical_text|dW)|"
                      r"laws/\d+/verdict)$")

REPLACEMENTS = [None, True, False, 0, -1, 1, 2, 10**300, -10**300, 1e308, -1e308, 5e-324, 1.5, "", "x", "0", "1/0",
                "(gamma+k)^100000", "nan", "inf", "1e999999999", "9" * 5000, "gamma", "W", "-W", "r*r.T", "[[1]]",
                "__import__('os')", "../../../../etc/passwd", "/dev/zero", "rules/../rules/x.toml", [], {}, [[]],
                ["0"], ["x"], [[0, 1], [1, 0]], [["1/2", "0"], ["0", "1/2"]], {"a": 1}, "é" * 200,
                "certified", "refuted", "inconclusive", "error", "l2", "linf", "bounded", "contracting"]


@st.composite
def mutated_certificate(draw) -> tuple[Path, dict, list[str], list[str], bool]:
    """(source certificate, mutated document, list of mutation descriptions, critical mutations, re-seal?)."""
    src = draw(st.sampled_from(CERTS))
    doc = json.loads(src.read_text())
    original = copy.deepcopy(doc)
    done, critical = [], []
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p and p[0] != "seal"]
        strings = [p for p in paths if isinstance(_get(doc, p), str)]
        if strings and draw(st.booleans()):   # a string edited in place: the schema still holds, the kernel decides
            path, op = draw(st.sampled_from(strings)), 5
        else:
            path, op = draw(st.sampled_from(paths)), draw(st.integers(0, 7))
        parent, key = _get(doc, path[:-1]), path[-1]
        name = "/".join(map(str, path))
        old = parent[key]
        if op == 0:   # delete
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
            done.append(f"delete {name}")
        elif op in (1, 2, 3):   # replace
            new = copy.deepcopy(draw(st.sampled_from(REPLACEMENTS)))
            parent[key] = new
            done.append(f"{name} = {json.dumps(new)[:80]}")
        elif op == 4:   # deep nesting
            d = draw(st.integers(1, 80))
            v = old
            for _ in range(d):
                v = [v] if draw(st.booleans()) else {"a": v}
            parent[key] = v
            done.append(f"{name} nested {d} deeper")
        elif op == 5 and isinstance(old, str):   # a string edited in place
            i = draw(st.integers(0, len(old)))
            parent[key] = old[:i] + draw(st.sampled_from(["1", "-", "^99", "*W", "(", "x", "0", "/3", "e9", "9" * 80,
                                                          "^(10^9)", "*k", "+1", "-1/2", "/0", "e-99"])) + old[i:]
            done.append(f"{name} edited to {parent[key][:80]!r}")
        elif op == 6 and isinstance(old, (list, dict)) and old:   # duplicate or add an entry
            if isinstance(old, list):
                old.append(copy.deepcopy(old[draw(st.integers(0, len(old) - 1))]))
            else:
                old[draw(st.sampled_from(["extra", "x", "verdict", "proof", "counterexample"]))] = \
                    copy.deepcopy(draw(st.sampled_from(REPLACEMENTS)))
            done.append(f"{name} grew")
        else:   # a number as a string or a string as a number
            if isinstance(old, (int, float)) and not isinstance(old, bool):
                parent[key] = str(old)
            elif isinstance(old, str) and re.fullmatch(r"-?\d+", old) and len(old) < 100:
                parent[key] = int(old)
            else:
                parent[key] = copy.deepcopy(draw(st.sampled_from(REPLACEMENTS)))
            done.append(f"{name} type changed to {json.dumps(parent[key])[:80]}")
        if CRITICAL.match(name):
            critical.append(name)
    reseal = draw(st.integers(0, 5)) > 0
    if doc == original:
        critical = []
    return src, doc, done, critical, reseal


def _json_safe(doc) -> str:
    try:
        return json.dumps(doc)
    except ValueError:   # an int of more than 4300 digits cannot even be written
        return json.dumps(doc, default=str).replace("9" * 5000, "9" * 100)


@budget(ci=120, thorough=900)
@given(case=mutated_certificate())
def test_fuzz_certificates(capsys, case):
    from certify.output.certificate import seal
    src, doc, done, critical, reseal = case
    original = json.loads(src.read_text())
    with tempfile.TemporaryDirectory(prefix="certify-fuzz-") as tmp:
        base = Path(tmp)
        (base / "proofs").mkdir()
        (base / "rules").mkdir()
        rule_name = Path(original["rule"]["file"]).name
        shutil.copy(ROOT / "rules" / rule_name, base / "rules" / rule_name)
        for rec in original["rule"].get("data_files", {}).values():
            shutil.copy(ROOT / "rules" / rec["file"], base / "rules" / rec["file"])
        if reseal:
            try:
                doc["seal"] = seal(doc)
            except (ValueError, TypeError, RecursionError):   # a document `json` cannot write cannot be sealed
                pass
        cert = base / "proofs" / src.name
        cert.write_text(_json_safe(doc))
        outcome = run_cli(["verify", cert], capsys)
        must_fail = []
        if not reseal and doc != original:
            must_fail.append("edited without re-sealing")
        must_fail += [f"critical field {c} changed" for c in critical]
        problems = judge(outcome, files=[str(cert)], must_fail=[], command="verify")
        if outcome[0] == 0 and must_fail:
            problems.append(f"wrong: VERIFIED after {'; '.join(must_fail)}: {outcome[1][:600]}")
        settle("certificate", outcome, problems, f"{src.name}: {'; '.join(done)} (re-sealed: {reseal})")


@pytest.mark.parametrize("value", ["0/0", "1/0", "-7/0"])
def test_a_resealed_counterexample_number_with_a_zero_denominator_fails(capsys, value):
    """Found by the fuzzer: '0/0' matches the schema's rational pattern and crashed verify (exit 4)."""
    from certify.output.certificate import seal
    src = ROOT / "proofs" / "schur-anti-hebbian-indefinite.json"
    doc = json.loads(src.read_text())
    doc["claims"][0]["counterexample"]["allowed"] = value
    doc["seal"] = seal(doc)
    with tempfile.TemporaryDirectory(prefix="certify-fuzz-") as tmp:
        base = Path(tmp)
        shutil.copytree(ROOT / "rules", base / "rules")
        (base / "proofs").mkdir()
        (base / "proofs" / src.name).write_text(json.dumps(doc))
        code, text, seconds, escaped = run_cli(["verify", base / "proofs" / src.name], capsys)
        assert code == 1 and escaped is None and "FAILED" in text and "cannot be read" in text, text


def test_every_catalog_certificate_verifies_unchanged(capsys):
    """The baseline of the certificate fuzzer: each certificate, copied into a fresh project, verifies."""
    with tempfile.TemporaryDirectory(prefix="certify-fuzz-") as tmp:
        base = Path(tmp)
        shutil.copytree(ROOT / "rules", base / "rules")
        (base / "proofs").mkdir()
        for c in CERTS:
            shutil.copy(c, base / "proofs" / c.name)
        code, text, seconds, escaped = run_cli(["verify", base / "proofs"], capsys)
        assert code == 0 and escaped is None, text


# -- regressions: what the fuzzer found, fixed ------------------------------------------------------------------------

FOUND = {   # name: (rule text, data files, words the message must hold, line)
    "slope-inf": ('[rule]\ndW = "-W"\n[network]\nslope = [0, inf]\n', {}, "slope", 4),
    "slope-1e300": ('[rule]\ndW = "-W"\n[network]\nslope = [0, 1e300]\n', {}, "slope", 4),
    "bare-top-level-key": ('x = 1\n[rule]\ndW = "-W"\n', {}, "unknown table [x]", 1),
    "quoted-top-level-key": ('"a b" = 1\n[rule]\ndW = "-W"\n', {}, "unknown table [a b]", 1),
    "unterminated-string-at-end": ('[rule]\ndW = "-W"\nsummary = """\n', {}, "Unterminated string", 3),
    "contracting-without-network": ('[rule]\ndW = "-W"\n[claim]\nmeasure = "l2"\nbound = "contracting"\n', {},
                                    "needs a [network] table", 5),
    "expected-contracting-without-network": ('[rule]\ndW = "-W"\n[expect.l1]\ncontracting = "certified"\n', {},
                                             "needs a [network] table", 3),
    "contracting-without-W0": ('[rule]\ndW = "-W"\n[network]\nform = "H"\n[claim]\nbound = "contracting"\n',
                               {}, "needs numeric initial weights W0", 6),
    "lagrangian-vs-activation": ('[rule]\ndW = "0"\n[network]\nactivation = "softplus"\n[energy]\nlayers = 2\n', {},
                                 "the Lagrangian 'relu' has gradient relu", 5),
    "lagrangian-key-vs-activation": ('[rule]\ndW = "0"\n[network]\nactivation = "tanh"\n[energy]\n'
                                     'lagrangian = "softplus"\n', {}, "has gradient logistic", 6),
    "arabic-indic-digit-in-range": ('[rule]\ndW = "-k*W"\n[parameters]\nk = "[0, \u0661]"\n', {}, "not a number", 4),
    "fullwidth-digit-in-inline-W0": ('[rule]\ndW = "-W"\n[network]\nW0 = "[[\uff11]]"\n', {}, "not a number", 4),
    "arabic-indic-digit-in-csv": ('[rule]\ndW = "-W"\n[network]\nW0 = "w.csv"\n[claim]\nbound = "contracting"\n',
                                  {"w.csv": "\u0661\n".encode()}, "not a number", 4),
}


PROVE_FOUND = {   # prove wrote a certificate for a rule whose [network] cannot be read (check still ignores it)
    "missing-W0-file": ('[rule]\ndW = "-W"\n[network]\nW0 = "missing.npy"\n', {}, "no such file", 4),
    "complex-W0-file": ('[rule]\ndW = "-W"\n[network]\nW0 = "w.npy"\n', {"w.npy": _npy_bytes(np.eye(2) * 1j)},
                        "complex values are not allowed", 4),
    "bias-without-W0": ('[rule]\ndW = "-W"\n[network]\nbias = [1, 2]\n', {}, "W0 is missing", 4),
}


@pytest.mark.parametrize("case", sorted(PROVE_FOUND))
def test_prove_refuses_a_network_it_cannot_read(capsys, case):
    text, files, words, line = PROVE_FOUND[case]
    with tempfile.TemporaryDirectory(prefix="certify-fuzz-") as tmp:
        path = _project(Path(tmp), text, files)
        code, out, seconds, escaped = run_cli(_argv("prove", "text", path, Path(tmp)), capsys)
        assert code == 2 and escaped is None and f"{path}:{line}:" in out and words in out, out
        assert not (Path(tmp) / "proofs").exists() or not any((Path(tmp) / "proofs").iterdir())


@pytest.mark.parametrize("case", sorted(FOUND))
@pytest.mark.parametrize("command", ["check", "prove"])
def test_found_by_the_fuzzer(capsys, case, command):
    """Each was an internal error (exit 4), an error without a line, or a silently accepted input."""
    text, files, words, line = FOUND[case]
    with tempfile.TemporaryDirectory(prefix="certify-fuzz-") as tmp:
        path = _project(Path(tmp), text, files)
        code, out, seconds, escaped = run_cli(_argv(command, "text", path, Path(tmp)), capsys)
        assert code == 2 and escaped is None and seconds < LIMIT, out
        assert f"{path}:{line}:" in out and words in out, out


# -- census summary ------------------------------------------------------------------------------------------------

def summarize(path: str) -> dict:
    """Per class: inputs tried and how many had each kind of problem (from a FUZZ_CENSUS file)."""
    counts: dict[str, dict[str, int]] = {}
    for line in open(path):
        rec = json.loads(line)
        c = counts.setdefault(rec["class"], {"tried": 0, "traceback": 0, "internal": 0, "hang": 0, "wrong": 0,
                                             "unlocated": 0, "no-verdict": 0, "exit0": 0, "exit1": 0, "exit2": 0,
                                             "exit3": 0, "max_s": 0.0})
        c["tried"] += 1
        c["max_s"] = max(c["max_s"], rec["seconds"])
        if rec["code"] in (0, 1, 2, 3):
            c[f"exit{rec['code']}"] += 1
        for kind in {p.split(":", 1)[0] for p in rec["problems"]}:
            c[kind] = c.get(kind, 0) + 1
    return counts


if __name__ == "__main__":
    for cls, c in summarize(sys.argv[1]).items():
        print(cls, c)
