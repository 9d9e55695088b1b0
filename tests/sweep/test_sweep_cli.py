"""certify/cli/sweep.py: `certify sweep` prints the counts, the boundary check and the files; bad input exits 2."""

from __future__ import annotations

import json

from sweep_faults import RULE

from certify.cli.main import main


def test_sweep_command_writes_table_and_figure(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["sweep", str(RULE), "--param", "k=0:1:3", "--param", "gamma=2", "--jobs", "1", "--out", str(out),
                 "-v"])
    captured = capsys.readouterr()
    assert code == 0
    assert "3 points (k: 3 values in [0, 1], gamma: 1 value in [2, 2]); claim l1 contracting" in captured.out
    assert "executor: serial (this process); 3 run, 0 resumed" in captured.out
    assert "verdicts: 2 certified, 0 refuted, 1 inconclusive, 0 error" in captured.out
    assert ", 2*k/gamma) < 1" in captured.out and "certified points outside it: 0" in captured.out
    assert "[3/3] k = " in captured.err and "(certified 2, inconclusive 1)" in captured.err   # progress per verdict
    assert {p.name for p in out.iterdir()} >= {"sweep.json", "points.jsonl", "points.csv", "phase.png"}
    code = main(["sweep", str(RULE), "--param", "k=0:1:3", "--param", "gamma=2", "--jobs", "1", "--out", str(out),
                 "-q"])
    assert code == 0 and "0 run, 3 resumed" in capsys.readouterr().out
    code = main(["sweep", str(RULE), "--param", "k=0:1:3", "--param", "gamma=2", "--jobs", "1", "--out", str(out),
                 "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["verdicts"] == {"certified": 2, "refuted": 0, "inconclusive": 1, "error": 0}
    assert doc["order"] == ["k", "gamma"] and doc["grid"]["k"] == ["0", "1/2", "1"] and doc["resumed"] == 3
    assert doc["boundary"]["certified_outside"] == 0 and doc["errors"] == []


def test_bad_param_specs_exit_2_with_a_clear_message(tmp_path, capsys):
    for spec, words in (("k=0:1", "has 2 parts; LO:HI:COUNT has 3"),
                        ("kk=0:1:2", "the rule declares no parameter 'kk' (declared parameters: gamma, k)"),
                        ("gamma=-1:1:3", "lies outside the range > 0 declared for 'gamma'"),
                        ("k=0:1:x", "not a positive whole number")):
        code = main(["sweep", str(RULE), "--param", spec, "--jobs", "1", "--out", str(tmp_path / "o"), "-q"])
        err = capsys.readouterr().err
        assert code == 2 and words in err, (spec, err)
    assert not (tmp_path / "o").exists()                      # nothing ran, nothing was written
    assert main(["sweep", str(RULE), "--jobs", "0", "--param", "k=1"]) == 2
    assert main(["sweep", str(tmp_path / "missing.toml"), "--param", "k=1"]) == 2


def test_scheduler_address_runs_the_points_on_the_dask_cluster(tmp_path, capsys, dask_client):
    address = dask_client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    code = main(["sweep", str(RULE), "--param", "k=0:1:3", "--param", "gamma=2", "--scheduler", address,
                 "--out", str(tmp_path / "o"), "--no-figure", "-q"])
    out = capsys.readouterr().out
    assert code == 0 and "executor: Dask cluster; 3 run" in out and "2 certified" in out
    assert not (tmp_path / "o" / "phase.png").exists()
    serial = tmp_path / "s"
    assert main(["sweep", str(RULE), "--param", "k=0:1:3", "--param", "gamma=2", "--jobs", "1", "--out", str(serial),
                 "--no-figure", "-q"]) == 0
    assert (tmp_path / "o" / "points.csv").read_text() == (serial / "points.csv").read_text()


def test_an_unreachable_scheduler_is_an_input_error(tmp_path, capsys, monkeypatch):
    import socket

    from certify.sweep import run as run_module
    monkeypatch.setattr(run_module, "CONNECT_TIMEOUT", 1)
    with socket.socket() as s:            # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["sweep", str(RULE), "--param", "k=0", "--param", "gamma=2", "--scheduler", f"tcp://127.0.0.1:{port}",
                 "--out", str(tmp_path / "o"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err
