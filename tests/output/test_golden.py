"""The CLI's output for the catalog, compared with the stored transcripts in tests/golden/.

Each case of tests/update_golden.py (`certify check -q rules/`, `certify check --expect rules/`) runs
in-process (certify.cli.main.main, output captured with capsys) from the repository root; stdout and exit
code must equal the stored transcript after the documented filter (timings, and contraction rates found
by floating-point search rounded to 4 digits; see tests/update_golden.py). On a mismatch the test prints a
unified diff and the command that regenerates the files. A rule added to rules/ changes the output:
regenerate, read the diff, commit it with the rule.
"""

from __future__ import annotations

import pytest

from tests.update_golden import (CASES, GOLDEN, REGENERATE, diff, golden_path, normalise, transcript)


@pytest.mark.parametrize("name", list(CASES))
def test_cli_output_matches_the_stored_transcript(name, capsys, monkeypatch):
    from certify.cli.main import main
    from tests.update_golden import ROOT

    path = golden_path(name)
    assert path.exists(), f"no golden file {path}; create it with: {REGENERATE}"
    monkeypatch.chdir(ROOT)
    code = main(list(CASES[name]))
    out, _ = capsys.readouterr()
    actual = normalise(transcript(CASES[name], out, code))
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        pytest.fail(f"`certify {' '.join(CASES[name])}` differs from {path.name}:\n"
                    f"{diff(expected, actual, name)}\n"
                    f"If the change is intended (a rule added or changed, a better report), regenerate with\n"
                    f"    {REGENERATE}\nand commit the new golden files with the change.", pytrace=False)


def test_golden_directory_holds_exactly_the_cases():
    stored = {p.stem for p in GOLDEN.glob("*.txt")}
    assert stored == set(CASES), f"stale or missing golden files; run {REGENERATE}"


def test_every_transcript_records_a_command_and_an_exit_code():
    for name, args in CASES.items():
        lines = golden_path(name).read_text(encoding="utf-8").splitlines()
        assert lines[0] == f"$ certify {' '.join(args)}"
        assert lines[-2] == "$ echo $?" and lines[-1] in {"0", "1", "2", "3"}
    # --expect documents that the catalog reproduces every documented verdict
    # in one line: --expect prints only what was not reproduced, then the total
    expect = golden_path("check-expect-rules").read_text(encoding="utf-8").splitlines()
    assert len(expect) == 4 and expect[-2:] == ["$ echo $?", "0"]
    assert expect[1].startswith("every documented verdict reproduced (")
    full = golden_path("check-expect-v-rules").read_text(encoding="utf-8").splitlines()
    assert full[-3].startswith("every documented verdict reproduced (") and "EXPECTATION MISMATCH" not in full


def test_the_filter_replaces_timings_and_searched_rates_only():
    text = ("18 verified, 0 failed (0.49 s)\n"
            "      contracts at rate 0.550816 in l2 metric (full P)\n"
            "      - weighted-linf (Perron weights): rate -1/2 (mismatched pairing (positive-part diagonal))\n"
            "      - weighted-linf (Perron weights): rate -0.5 (mismatched pairing (positive-part diagonal))\n"
            "      - weighted-l1 (unit weights): rate 3/10 (exact for this form)\n"
            "      contracts for t >= T = 1.38629 at rate 1/2 (from the l2 nonincreasing flow bound)\n")
    assert normalise(text).splitlines() == [
        "18 verified, 0 failed (<t> s)",
        "      contracts at rate ~0.5508 in l2 metric (full P)",
        "      - weighted-linf (Perron weights): rate ~-0.5 (mismatched pairing (positive-part diagonal))",
        "      - weighted-linf (Perron weights): rate ~-0.5 (mismatched pairing (positive-part diagonal))",
        "      - weighted-l1 (unit weights): rate 3/10 (exact for this form)",                 # exact: kept
        "      contracts for t >= T = 1.38629 at rate 1/2 (from the l2 nonincreasing flow bound)",  # kept
    ]
    assert normalise(normalise(text)) == normalise(text)


def test_transcript_form():
    assert transcript(("check", "x"), "a\nb\n", 3) == "$ certify check x\na\nb\n$ echo $?\n3\n"
    assert transcript(("check", "x"), "a", 0) == "$ certify check x\na\n$ echo $?\n0\n"
    assert transcript(("check",), "", 2) == "$ certify check\n$ echo $?\n2\n"


def test_a_mismatch_shows_a_unified_diff():
    text = diff("$ certify check -q rules/\nA: CERTIFIED\n", "$ certify check -q rules/\nA: REFUTED\n",
                "check-q-rules")
    assert "--- tests/golden/check-q-rules.txt (stored)" in text
    assert "-A: CERTIFIED\n" in text and "+A: REFUTED\n" in text
