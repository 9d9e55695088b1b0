"""certify/sweep/catalog.py: the sweep's executor over catalogs gives what check / verify give, in file order."""

from __future__ import annotations

from pathlib import Path

from certify.check import check_rule
from certify.errors import InputError
from certify.lang.rule import Rule
from certify.output.certificate import verify_file
from certify.sweep.catalog import check_files, verify_files

ROOT = Path(__file__).resolve().parents[2]
RULES = [ROOT / "rules" / n for n in ("hebbian-decay.toml", "anti-hebbian-network.toml", "decay-only.toml")]
PROOFS = [ROOT / "proofs" / n for n in ("hebbian-decay.json", "decay-only.json")]


def test_check_files_on_the_pool_equals_check_rule_file_by_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[rule]\ndW = "W +"\n')
    got = check_files([str(p) for p in RULES] + [str(bad)], expectations=True, jobs=2)
    assert [p for p, _ in got] == RULES + [bad]
    for path, report in got[:3]:
        direct = check_rule(Rule.from_file(path), expectations=True)
        assert report.verdict == direct.verdict and report.mismatches == () == direct.mismatches
        assert [r.verdict for r in report.results] == [r.verdict for r in direct.results]
    assert isinstance(got[3][1], InputError) and "bad.toml" in str(got[3][1])


def test_verify_files_on_the_pool_equals_verify_file(dask_client):
    serial = [verify_file(p) for p in PROOFS]
    for run in (verify_files([str(p) for p in PROOFS], jobs=2), verify_files([str(p) for p in PROOFS],
                                                                             client=dask_client)):
        assert [v.path for v in run] == [str(p) for p in PROOFS]
        assert [v.status for v in run] == [v.status for v in serial]
        assert [v.problems() for v in run] == [v.problems() for v in serial]
        assert [[c.status for c in v.claims] for v in run] == [[c.status for c in v.claims] for v in serial]
