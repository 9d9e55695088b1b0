"""Progress lines (certify/output/progress.py and the -v/-q flags of `check` and `explain`).

The contract: progress goes to stderr only, so stdout is byte-identical with and without --verbose;
--quiet prints no progress even on a terminal; every status line has the form `[i/N] item ... status (t s)`.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certify.output import progress as progress_mod
from certify.cli.main import main
from certify.output.progress import Progress, note, progress_enabled

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
# fast files with three different verdicts (certified, certified, refuted)
FILES = [str(RULES / name) for name in ("anti-hebbian-decay.toml", "hebbian-decay.toml",
                                        "schur-anti-hebbian-indefinite.toml")]
STATUS = re.compile(r"^\[(\d+)/(\d+)\] (.+) \.\.\. (certified|refuted|inconclusive|error)(, .*)? \((\d+\.\d\d) s\)$")
DETAIL = re.compile(r"^    (l1|l2|linf|weighted-l1|weighted-linf|weighted-l2) "
                    r"(nonincreasing|bounded|contracting): (certified|refuted|inconclusive)$")


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def status_lines(err: str) -> list[re.Match]:
    return [m for m in map(STATUS.match, err.splitlines()) if m]


# -- the command line ---------------------------------------------------------------------------------------

def test_check_verbose_keeps_stdout_and_numbers_every_file(capsys):
    code, out, err = run(capsys, ["check", *FILES])
    code_v, out_v, err_v = run(capsys, ["check", "--verbose", *FILES])
    assert code == code_v == 1                       # one file is refuted
    assert out_v == out                              # stdout byte-identical
    assert err == ""                                 # stderr is not a terminal: no progress by default
    lines = err_v.splitlines()
    statuses = status_lines(err_v)
    assert [(int(m[1]), int(m[2])) for m in statuses] == [(1, 3), (2, 3), (3, 3)]
    assert [m[3] for m in statuses] == FILES
    assert [m[4] for m in statuses] == ["certified", "certified", "refuted"]
    details = [line for line in lines if not STATUS.match(line)]
    assert all(DETAIL.match(line) for line in details), details
    assert [line.strip() for line in details] == ["l2 nonincreasing: certified", "l2 bounded: certified",
                                                  "l2 nonincreasing: refuted"]
    assert "[1/3]" not in out_v and "..." not in out_v     # nothing of it leaks into the report


def test_quiet_silences_progress_even_on_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert main(["check", "-q", *FILES[:2]]) == 0
    assert sys.stderr.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert main(["check", *FILES[:2]]) == 0          # a terminal without -q: progress, no details
    shown = sys.stderr.getvalue().splitlines()
    assert [STATUS.match(line)[1] for line in shown] == ["1", "2"]
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert main(["explain", "--quiet", FILES[0]]) == 0
    assert sys.stderr.getvalue() == ""


def test_quiet_and_verbose_give_the_short_report_with_progress(capsys):
    _, out_q, err_q = run(capsys, ["check", "-q", *FILES[:2]])
    _, out_qv, err_qv = run(capsys, ["check", "-q", "-v", *FILES[:2]])
    assert out_qv == out_q and "1. [" not in out_q   # -q still omits the derivation steps
    assert err_q == ""
    assert len(status_lines(err_qv)) == 2


def test_explain_verbose_keeps_stdout(capsys):
    _, out, err = run(capsys, ["explain", *FILES[:2]])
    _, out_v, err_v = run(capsys, ["explain", "-v", *FILES[:2]])
    assert out_v == out and "lemma" in out
    assert err == ""
    assert [m[4] for m in status_lines(err_v)] == ["certified", "certified"]


def test_a_bad_file_is_reported_as_error_in_progress(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[rule]\ndW = "-W +"\n', encoding="utf-8")
    code, out, err = run(capsys, ["check", "-v", FILES[0], str(bad)])
    assert code == 2
    assert [(m[1], m[3], m[4]) for m in status_lines(err)] == [("1", FILES[0], "certified"),
                                                               ("2", str(bad), "error")]
    assert "bad.toml" in out                         # the error itself is in the report, as before


def test_expectation_mismatch_is_named_in_the_status(capsys, tmp_path):
    rule = tmp_path / "wrong.toml"
    rule.write_text('[rule]\ndW = "-W"\n\n[expect.l2]\nnonincreasing = "refuted"\n', encoding="utf-8")
    code, _, err = run(capsys, ["check", "--expect", "-v", str(rule)])
    assert code == 1
    [m] = status_lines(err)
    assert m[4] == "certified" and m[5] == ", 1 expectation(s) not reproduced"


def test_subprocess_stdout_is_byte_identical_with_verbose():
    """The real process: stdout the same bytes, progress only on stderr (a pipe, not a terminal)."""
    def proc(*flags):
        return subprocess.run([sys.executable, "-m", "certify", "check", *flags, *FILES[:2]], cwd=ROOT,
                              capture_output=True, check=False)
    plain, verbose = proc(), proc("--verbose")
    assert plain.returncode == verbose.returncode == 0
    assert plain.stdout == verbose.stdout and b"CERTIFIED" in plain.stdout
    assert plain.stderr == b""
    assert [m[1] for m in status_lines(verbose.stderr.decode())] == ["1", "2"]


# -- the Progress object ------------------------------------------------------------------------------------

def test_progress_enabled_rules():
    class Args:
        verbose = False
        quiet = False
    args = Args()
    assert progress_enabled(args, io.StringIO()) is False
    assert progress_enabled(args, Terminal()) is True
    args.quiet = True
    assert progress_enabled(args, Terminal()) is False
    args.verbose = True                              # -v wins over -q
    assert progress_enabled(args, io.StringIO()) is True
    assert progress_enabled(object(), Terminal()) is True     # commands without the flags


def test_details_inside_an_item_close_its_line_and_the_status_repeats_the_item():
    stream = io.StringIO()
    p = Progress(2, enabled=True, verbose=True, stream=stream)
    with p:
        p.start("a.toml")
        note("LMI solve 1: rate 0.5")                # from deep code, through the active Progress
        p.done("certified")
        p.start("b.toml")
        p.done("refuted")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[1/2] a.toml ..."
    assert lines[1] == "    LMI solve 1: rate 0.5"
    assert STATUS.match(lines[2])[3] == "a.toml" and lines[2].startswith("[1/2] a.toml ... certified (")
    assert STATUS.match(lines[3])[4] == "refuted" and len(lines) == 4


def test_note_outside_a_with_block_or_without_verbose_prints_nothing(capsys):
    note("nobody listens")                           # no active Progress
    stream = io.StringIO()
    p = Progress(1, enabled=True, verbose=False, stream=stream)
    with p:
        p.start("x")
        note("hidden without --verbose")
        p.done("certified")
    note("after the block")
    assert progress_mod._ACTIVE.get() is None
    assert "hidden" not in stream.getvalue() and "after" not in stream.getvalue()
    assert len(stream.getvalue().splitlines()) == 1
    assert capsys.readouterr() == ("", "")


def test_disabled_progress_prints_nothing():
    stream = io.StringIO()
    p = Progress(3, enabled=False, verbose=True, stream=stream)
    with p:
        for item in "abc":
            p.start(item)
            p.detail("x")
            p.done("certified")
    assert stream.getvalue() == "" and p.index == 3


@given(st.lists(st.tuples(st.text(alphabet="abc./_-", min_size=1, max_size=8), st.integers(0, 3)),
                min_size=1, max_size=6), st.booleans())
def test_every_item_gets_exactly_one_numbered_status_line(items, verbose):
    stream = io.StringIO()
    p = Progress(len(items), enabled=True, verbose=verbose, stream=stream)
    with p:
        for name, details in items:
            p.start(name)
            for k in range(details):
                note(f"step {k}")
            p.done("inconclusive")
    lines = stream.getvalue().splitlines()
    statuses = status_lines(stream.getvalue())
    assert [(int(m[1]), int(m[2]), m[3]) for m in statuses] == [(i + 1, len(items), name)
                                                               for i, (name, _) in enumerate(items)]
    expected_details = sum(d for _, d in items) if verbose else 0
    assert sum(line.startswith("    step ") for line in lines) == expected_details
    # every line is either a complete status, a detail, or an item line a detail interrupted
    assert all(STATUS.match(x) or x.startswith("    step ") or re.match(r"^\[\d+/\d+\] .+ \.\.\.$", x)
               for x in lines)


@pytest.mark.parametrize("flag", ["-v", "--verbose", "-q", "--quiet"])
def test_flags_are_documented_in_help(flag, capsys):
    assert main(["check", "--help"]) == 0
    assert flag in capsys.readouterr().out
    assert main(["explain", "--help"]) == 0
    assert flag in capsys.readouterr().out
