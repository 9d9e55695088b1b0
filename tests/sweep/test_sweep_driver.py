"""certify/sweep/driver.py, point.py, store.py, figure.py: a sweep is one full check per point; the table does not
depend on the executor; results are written as they arrive and a rerun resumes; faults are error rows with reasons."""

from __future__ import annotations

import functools
import json
import time
from fractions import Fraction

import pytest
import sweep_faults
from sweep_faults import RULE

from certify.budget import stage
from certify.check import check_rule
from certify.errors import InputError
from certify.lang.rule import Rule
from certify.sweep import point as point_module
from certify.sweep import sweep
from certify.sweep.driver import exit_code
from certify.sweep.store import load_rows

GRID = ["k=0:1:3", "gamma=1/2,2"]


@pytest.fixture(scope="module")
def serial():
    return sweep(RULE, GRID, jobs=1, figure=False)


def test_each_point_is_the_check_of_the_rule_with_the_values_fixed(serial):
    assert [r["params"] for r in serial.rows][:2] == [{"k": "0", "gamma": "1/2"}, {"k": "0", "gamma": "2"}]
    data = Rule.from_file(RULE)
    assert dict((k, r.text()) for k, r in data.parameters) == {"gamma": "> 0", "k": ">= 0"}   # declared ranges
    fixed = Rule.from_text(RULE.read_text().replace('gamma = "> 0"', 'gamma = "2"').replace('k = ">= 0"', 'k = "1/2"'),
                           file=str(RULE))
    direct = check_rule(fixed)
    row = serial.rows[3]
    assert row["params"] == {"k": "1/2", "gamma": "2"}
    assert row["verdict"] == direct.verdict.value == "certified"
    assert row["rate"] == "1/2" and row["T"] == "0"                 # 1 - max(1/4, 2k/gamma) = 1/2, for all t
    assert row["evidence"]["assumptions"]["parameters"] == {"gamma": "2", "k": "1/2"}
    assert row["evidence"]["results"][0]["network"]["rate_all_t"] == "1/2"
    assert serial.counts() == {"certified": 3, "refuted": 0, "inconclusive": 3, "error": 0}
    assert exit_code(serial) == 0


def test_no_certified_point_outside_the_symbolic_boundary(serial):
    agree = serial.agreement
    # m(0) = mu_1(W0) = 1/4 as the kernel proves it (exactly 1/4, or a rational just above it)
    assert agree.condition.startswith("max(") and agree.condition.endswith(", 2*k/gamma) < 1")
    assert agree.certified_outside == 0 and agree.inside_not_certified == 0 and agree.inside == 3


def test_serial_process_pool_and_dask_cluster_give_identical_tables(serial, dask_client):
    pool = sweep(RULE, GRID, jobs=2, figure=False)
    cluster = sweep(RULE, GRID, client=dask_client, figure=False)
    assert serial.table() == pool.table() == cluster.table()
    assert pool.executor == "process" and cluster.executor == "dask"
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("seconds", "attempts")} for r in rows]  # noqa: E731
    assert strip(serial.rows) == strip(pool.rows) == strip(cluster.rows)      # evidence included


def test_dask_worker_killed_in_a_real_sweep_loses_no_point(serial, dask_client, tmp_path):
    killed = sweep(RULE, GRID, client=dask_client, figure=False,
                   point_function=functools.partial(sweep_faults.die_once_real, str(tmp_path)))
    assert (tmp_path / "died-1").exists()
    assert killed.table() == serial.table()


def test_rows_are_written_as_they_arrive_and_a_rerun_skips_finished_points(tmp_path):
    out = tmp_path / "out"
    first = sweep(RULE, ["k=0:1:3", "gamma=2"], jobs=1, out=out, figure=False)
    rows = load_rows(out / "points.jsonl")
    assert sorted(rows) == [0, 1, 2] and (out / "points.csv").read_text() == first.table()
    calls = []

    def counting(task):
        calls.append(task.index)
        return point_module.run_point(task)
    again = sweep(RULE, ["k=0:1:3", "gamma=2"], jobs=1, out=out, figure=False, point_function=counting)
    assert calls == [] and again.resumed == 3 and again.ran == 0 and again.table() == first.table()
    # a crash while writing the last line: that point (and only it) runs again
    lines = (out / "points.jsonl").read_text().splitlines(keepends=True)
    (out / "points.jsonl").write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    last = json.loads(lines[-1])["index"]
    resumed = sweep(RULE, ["k=0:1:3", "gamma=2"], jobs=1, out=out, figure=False, point_function=counting)
    assert calls == [last] and resumed.resumed == 2 and resumed.table() == first.table()
    assert len((out / "points.jsonl").read_text().splitlines()) == 3     # compacted: one line per point


def test_a_different_sweep_in_the_same_folder_is_refused_unless_fresh(tmp_path):
    out = tmp_path / "out"
    sweep(RULE, ["k=0", "gamma=2"], jobs=1, out=out, figure=False)
    with pytest.raises(InputError, match="holds another sweep .*grid differ"):
        sweep(RULE, ["k=1", "gamma=2"], jobs=1, out=out, figure=False)
    with pytest.raises(InputError, match="holds another sweep .*grid differ"):   # same values, another order
        sweep(RULE, ["gamma=2", "k=0"], jobs=1, out=out, figure=False)
    fresh = sweep(RULE, ["k=1", "gamma=2"], jobs=1, out=out, figure=False, fresh=True)
    assert fresh.ran == 1 and sorted(load_rows(out / "points.jsonl")) == [0]


def test_an_exception_in_a_point_is_retried_once_then_an_error_row_with_its_reason(monkeypatch, tmp_path):
    calls = []

    def broken(rule, task):
        calls.append(task.index)
        raise ZeroDivisionError("a bug at this point")
    monkeypatch.setattr(point_module, "_check", broken)
    result = sweep(RULE, ["k=0,1", "gamma=2"], jobs=1, out=tmp_path / "o", figure=False)
    assert calls == [0, 0, 1, 1]
    for row in result.rows:
        assert row["verdict"] == "error" and row["error_kind"] == "internal" and row["attempts"] == 2
        assert "ZeroDivisionError: a bug at this point" in row["error"] and "bug in certify" in row["error"]
    assert exit_code(result) == 4
    assert "internal" in (tmp_path / "o" / "points.csv").read_text()
    # a rerun keeps error rows unless asked to retry them
    monkeypatch.undo()
    assert sweep(RULE, ["k=0,1", "gamma=2"], jobs=1, out=tmp_path / "o", figure=False).ran == 0
    retried = sweep(RULE, ["k=0,1", "gamma=2"], jobs=1, out=tmp_path / "o", figure=False, retry_errors=True)
    assert retried.ran == 2 and retried.counts()["error"] == 0


def test_a_point_past_its_time_budget_is_retried_once_then_a_timeout_error(monkeypatch):
    def slow(rule, task):
        with stage("a deliberately slow step"):
            time.sleep(5)
    monkeypatch.setattr(point_module, "_check", slow)
    started = time.perf_counter()
    result = sweep(RULE, ["k=0", "gamma=2"], jobs=1, figure=False, timeout=0.2)
    assert time.perf_counter() - started < 3
    row = result.rows[0]
    assert row["verdict"] == "error" and row["error_kind"] == "timeout" and row["attempts"] == 2
    assert "time budget of 0.2 s ran out during a deliberately slow step" in row["error"]
    assert exit_code(result) == 3


def test_the_real_check_under_a_tiny_budget_is_a_timeout_not_a_verdict():
    row = sweep(RULE, ["k=1/2", "gamma=1/2"], jobs=1, figure=False, timeout=0.001).rows[0]
    assert row["verdict"] == "error" and row["error_kind"] == "timeout" and "time budget" in row["error"]


def test_the_phase_diagram_is_drawn_for_one_and_two_parameters(serial, tmp_path):
    two = sweep(RULE, GRID, jobs=1, out=tmp_path / "two")
    assert (tmp_path / "two" / "phase.png").stat().st_size > 10_000 and tmp_path / "two" / "phase.png" in two.files
    rule = tmp_path / "gamma-one.toml"
    rule.write_text(RULE.read_text().replace('gamma = "> 0"', 'gamma = "1"'))
    one = sweep(rule, ["k=0:1:5"], jobs=1, figure=tmp_path / "one.svg")
    assert (tmp_path / "one.svg").read_text().startswith("<?xml")
    assert [r["verdict"] for r in one.rows] == ["certified"] * 2 + ["inconclusive"] * 3     # 2k < 1
    assert one.agreement.certified_outside == 0 and one.agreement.inside == 2


def test_refuted_points_are_recorded_with_the_kernel_checked_witness(tmp_path):
    rule = tmp_path / "anti.toml"
    rule.write_text('[rule]\ndW = "-gamma*W - k*r*r.T"\n[parameters]\ngamma = ">= 0"\nk = [0, 2]\n'
                    '[activity]\nr = [-1, 1]\n[claim]\nmeasure = "linf"\nbound = "nonincreasing"\n')
    result = sweep(rule, ["k=0,1"], jobs=1, out=tmp_path / "o")
    assert [r["verdict"] for r in result.rows] == ["certified", "refuted"]
    refuted = result.rows[1]["evidence"]["results"][0]
    assert refuted["verdict"] == "refuted" and "counterexample" in json.dumps(refuted)
    assert exit_code(result) == 0 and (tmp_path / "o" / "phase.png").exists()


def test_values_are_exact_rationals_in_every_output(tmp_path):
    result = sweep(RULE, ["k=0:1/3:2", "gamma=1/3"], jobs=1, out=tmp_path / "o", figure=False)
    assert [r["params"]["k"] for r in result.rows] == ["0", "1/3"]
    assert abs(Fraction(result.rows[0]["rate"]) - Fraction(3, 4)) < Fraction(1, 10**9)   # 1 - mu_1(W0)
    csv = (tmp_path / "o" / "points.csv").read_text().splitlines()
    assert csv[0].startswith("index,k,gamma,verdict,rate,rate_float,T,T_float") and csv[2].startswith("1,1/3,1/3,")


def test_expect_mode_records_the_documented_verdicts_not_reproduced_at_each_point(tmp_path):
    rule = tmp_path / "documented.toml"
    rule.write_text(RULE.read_text() + '\n[expect.l1]\ncontracting = "certified"\n')
    result = sweep(rule, ["k=0,1", "gamma=1"], jobs=1, expectations=True, out=tmp_path / "o", figure=False)
    assert [r["mismatches"] for r in result.rows] == [[], ["l1 contracting: expected certified, got inconclusive"]]
    assert "expected certified, got inconclusive" in (tmp_path / "o" / "points.csv").read_text()
