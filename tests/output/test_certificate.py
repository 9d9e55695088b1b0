"""Certificates (certify/output/certificate/): `certify prove`, `certify verify`, the JSON Schema, tampering,
stale rules and JUnit XML (issue 6, items 1, 2 and 5).

The committed catalog certificates in proofs/ must all validate against the schema and re-verify; edits
to a copy must make verify fail with a reason: any edit breaks the seal, and semantic edits (a number, a
lemma, a statement, a parameter range, a verdict) are caught by the kernel re-check even when the seal is
recomputed.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest

from certify.output import certificate as C
from certify.cli.main import main
from certify.lang.rule import Rule

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
PROOFS = REPO / "proofs"
CERTIFICATES = sorted(PROOFS.glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def dump(doc: dict, path: Path, reseal: bool = True) -> None:
    if reseal:
        doc["seal"] = C.seal(doc)
    Path(path).write_text(json.dumps(doc, indent=2), encoding="utf-8")


def claim(doc: dict, measure: str, bound: str) -> dict:
    return next(c for c in doc["claims"] if (c["measure"], c["bound"]) == (measure, bound))


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A copy of rules/ and the committed certificates with the same relative layout."""
    shutil.copytree(RULES, tmp_path / "rules")
    (tmp_path / "proofs").mkdir()
    for f in CERTIFICATES:
        shutil.copy(f, tmp_path / "proofs" / f.name)
    return tmp_path


# -- the committed catalog ----------------------------------------------------------------------------------

def test_catalog_certificates_verify_from_the_command_line(capsys):
    assert main(["verify", str(PROOFS)]) == 0
    out = capsys.readouterr().out
    assert f"{len(CERTIFICATES)} verified, 0 failed, 0 stale, 0 error" in out


def test_every_catalog_rule_has_a_certificate():
    names = {Rule.from_file(f).name for f in RULES.glob("*.toml")}
    have = {f.stem for f in CERTIFICATES}
    assert names <= have, f"run `certify prove rules/ --out proofs/`: missing {sorted(names - have)}"
    for name in names:
        assert (PROOFS / f"{name}.md").exists() and (PROOFS / f"{name}.tex").exists()


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(C.schema())


@pytest.mark.parametrize("path", CERTIFICATES, ids=[f.stem for f in CERTIFICATES])
def test_each_certificate_validates_against_the_schema_and_reverifies(path: Path):
    doc = load(path)
    jsonschema.validate(doc, C.schema(), cls=jsonschema.Draft202012Validator)
    assert doc["schema_version"] == C.SCHEMA_VERSION
    assert set(doc["created_by"]) >= {"certify", "sympy", "numpy", "python-flint", "python"}
    assert (path.parent / doc["rule"]["file"]).resolve().parent == RULES
    result = C.verify_file(path)
    assert result.ok, result.problems()
    for c, check in zip(doc["claims"], result.claims):
        if "proof" in c or "counterexample" in c or "contraction" in c:
            assert check.status == "verified", check.message          # re-checked by the kernel
            assert c["recheckable"] is True
        else:
            assert check.status == "skipped"                           # inconclusive: nothing to re-check
            assert c["verdict"] == "inconclusive"
    assert f"`{doc['rule']['hash']}`" in path.with_suffix(".md").read_text(encoding="utf-8")


def test_certificates_store_proofs_and_witnesses_as_text_and_exact_rationals():
    doc = load(PROOFS / "oja.json")
    c = claim(doc, "l2", "bounded")
    assert c["proof"]["route"] == "norm" and c["proof"]["decays"][0]["with"] == {
        "c": "k", "side": "left", "v": "hadamard(y, y)"}
    assert c["certificate"]["drive_bound"] == "k*n" and c["certificate"]["rate"] == "k/4"
    w = claim(load(PROOFS / "bcm.json"), "l2", "nonincreasing")["counterexample"]
    assert all(re.fullmatch(r"-?\d+(/\d+)?", x) for x in w["vector"] + [w["value"], w["growth_lower_bound"]])
    contracting = claim(load(PROOFS / "anti-hebbian-network.json"), "l2", "contracting")
    assert contracting["recheckable"] is True and "note" not in contracting and "proof" not in contracting
    data = contracting["contraction"]
    assert data["kind"] == "plastic" and data["flow_claim"] == {"measure": "l2", "bound": "nonincreasing"}
    assert data["start_value"] == "2" and data["rate_all_t"] == "0" and data["rate_after_T"] == "1/2"
    assert 1.386 < float(Fraction(data["T"])) < 1.3863            # ln 4 = 1.38629..., rounded up
    lmi = claim(load(PROOFS / "small-gain-network.json"), "l2", "contracting")["contraction"]
    assert lmi["kind"] == "lmi" and len(lmi["P"]) == 3 and lmi["method"] == "exact"
    assert all(re.fullmatch(r"-?\d+(/\d+)?", x) for x in sum(lmi["P"], []) + lmi["lam"] + [lmi["rate"]])
    unstable = claim(load(PROOFS / "bistable-network.json"), "l2", "contracting")["contraction"]
    assert unstable["kind"] == "unstable-equilibrium" and unstable["eigenvalue"] == ["1/5", "1/5"]
    assert unstable["equilibrium"]["point"] == ["0", "0"] and unstable["charpoly"] == ["-11/25", "2", "1"]


# -- tampering ----------------------------------------------------------------------------------------------

def _leaves(x, path=()):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _leaves(v, path + (i,))
    else:
        yield path, x


SWAPS = {"certified": "refuted", "refuted": "inconclusive", "inconclusive": "certified", "left": "right",
         "right": "left", "measure": "norm", "norm": "measure", "l1": "linf", "linf": "l2", "l2": "l1",
         "derivative": "growth", "growth": "derivative", "outer-bound": "l2-neg-gram", "l2-neg-gram": "outer-bound",
         "diagonal-decay": "gram-decay", "gram-decay": "psd-decay", "split": "subadditivity",
         "subadditivity": "split", "measure-flow": "norm-flow", "norm-flow": "measure-flow",
         "gronwall": "measure-flow", "l2-neg-schur": "l2-neg-congruence"}


def _mutated(value, key):
    """A different value of the same kind: numbers + 1, names swapped, flags flipped, texts edited."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if value is None:
        return "0"
    if isinstance(key, str) and key in ("lemma", "verdict", "expected", "side", "route", "norm", "kind") \
            and value in SWAPS:
        return SWAPS[value]
    if re.fullmatch(r"-?\d+(/\d+)?", value):
        return str(Fraction(value) + 1)
    return value + " + 1" if key in ("gamma", "c", "rate", "drive_bound") else value + " (edited)"


def _set(doc, path, value):
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value


def test_any_edit_of_a_certificate_fails_with_a_reason():
    """Without resealing, every field's edit is caught (the seal), whatever the field."""
    path = PROOFS / "anti-hebbian-decay.json"
    doc = load(path)
    edits = 0
    for leaf, value in _leaves(doc):
        if leaf == ("seal",):
            continue
        bad = copy.deepcopy(doc)
        _set(bad, leaf, _mutated(value, leaf[-1]))
        edits += 1
        if C.schema_errors(bad):
            continue  # exit 2 with the schema violation as the reason
        result = C.verify_document(bad, path.parent, str(path))
        assert not result.ok, leaf
        assert any("seal" in p for p in result.problems()), leaf
    assert edits > 60


CHECKED_BY_SEAL_ONLY = ("reasons", "created_by")   # for people; documented in docs/ci.md
WITNESS_DATA = ("parameters", "W0", "activity", "matrices", "vector", "value")


@pytest.mark.parametrize("name", ["anti-hebbian-decay", "oja", "schur-anti-hebbian", "gradient",
                                  "anti-hebbian-network", "small-gain-network", "bistable-network"])
def test_semantic_edits_are_caught_by_the_kernel_even_with_a_recomputed_seal(name):
    """Edit every field of every claim and recompute the seal: verify still fails, except on fields that are
    for people only, and on witness data whose edit leaves a counterexample the kernel accepts with the same
    growth bound (a valid refutation stays valid)."""
    path = PROOFS / f"{name}.json"
    doc = load(path)
    rule = Rule.from_file(path.parent / doc["rule"]["file"])
    survivors = []
    for index, c in enumerate(doc["claims"]):
        for leaf, value in _leaves(c):
            bad = copy.deepcopy(c)
            _set(bad, leaf, _mutated(value, leaf[-1]))
            if C.schema_errors({**doc, "claims": [bad]}):
                continue
            check = C.verify_claim(bad, rule)
            if check.status == "failed":
                assert check.message
                continue
            survivors.append((index, leaf))
    unexpected = [(i, leaf) for i, leaf in survivors
                  if not (leaf[0] in CHECKED_BY_SEAL_ONLY
                          or (leaf[0] == "counterexample" and leaf[1] in WITNESS_DATA))]
    assert not unexpected


def _tamper_cases():
    def edit(file, fn, reason):
        return pytest.param(file, fn, reason, id=f"{file}:{reason[:40]}")

    def term(m, b, key, value, i=0):
        return lambda d: claim(d, m, b)["proof"]["terms"][i]["with"].__setitem__(key, value)

    return [
        edit("anti-hebbian-decay", term("l2", "nonincreasing", "c", "2*k"), "the proposed split does not add up"),
        edit("anti-hebbian-decay", lambda d: claim(d, "l2", "nonincreasing")["proof"]["terms"][0].update(
            lemma="outer-bound"), "the kernel rejects the proof"),
        edit("anti-hebbian-decay", lambda d: claim(d, "l2", "nonincreasing")["proof"].update(gamma="2*gamma"),
             "the kernel rejects the proof"),
        edit("anti-hebbian-decay", lambda d: claim(d, "l2", "nonincreasing")["certificate"]["steps"][1].update(
            lemma="l2-skew"), "step 2 lemma"),
        edit("anti-hebbian-decay", lambda d: claim(d, "l2", "nonincreasing")["certificate"].update(
            statement="mu_2(W(t)) <= exp(-(2*gamma) t) mu_2(W(0))"), "bound: the certificate says"),
        edit("anti-hebbian-decay", lambda d: claim(d, "l2", "nonincreasing")["certificate"]["steps"][1].update(
            statement="mu_2(-(k) (r)(r)^T) <= -1 since k >= 0"), "step 2 statement"),
        edit("hebbian-decay", lambda d: claim(d, "l2", "bounded")["certificate"].update(drive_bound="k*n/2"),
             "drive bound beta"),
        edit("hebbian-decay", lambda d: claim(d, "l2", "bounded")["certificate"].update(rate="2*gamma"),
             "rate gamma"),
        edit("hebbian-decay", lambda d: claim(d, "l2", "bounded")["certificate"].update(
            conditions_checked=["gamma >= 0"]), "side conditions"),
        edit("oja", lambda d: claim(d, "linf", "bounded")["certificate"].update(positive_part=False),
             "positive_part"),
        edit("oja", lambda d: claim(d, "l2", "bounded")["proof"]["decays"][0]["with"].update(side="right"),
             "the kernel rejects the proof"),
        edit("gradient-decay", lambda d: claim(d, "l2", "bounded")["proof"].update(route="measure"),
             "the kernel rejects the proof"),
        edit("hebbian-decay", term("l2", "bounded", "w", "k"), "'outer-bound' takes ['c', 'u', 'v']"),
        # verdicts
        edit("anti-hebbian-decay", lambda d: claim(d, "l2", "nonincreasing").update(verdict="refuted"),
             "holds a proof"),
        edit("hebbian", lambda d: claim(d, "l2", "bounded").update(verdict="certified"), "holds a counterexample"),
        edit("gradient", lambda d: claim(d, "l2", "bounded").update(verdict="refuted"), "neither a proof"),
        edit("hebbian", lambda d: d.update(verdict="certified"), "overall verdict"),
        edit("anti-hebbian-network", lambda d: claim(d, "l2", "contracting").update(verdict="refuted"),
             "differs from the verdict documented"),
        edit("anti-hebbian-network", lambda d: claim(d, "l2", "contracting").update(verdict="inconclusive"),
             "holds a plastic network certificate"),
        # network certificates
        edit("anti-hebbian-network", lambda d: claim(d, "l2", "contracting")["contraction"].update(T="1"),
             "contraction.T: the certificate says '1'"),
        edit("anti-hebbian-network", lambda d: claim(d, "l2", "contracting")["contraction"].update(
            start_value="1"), "contraction.start_value"),
        edit("anti-hebbian-network", lambda d: claim(d, "l2", "contracting")["contraction"]["proof"].update(
            gamma="2"), "contraction.proof"),
        edit("anti-hebbian-network", lambda d: claim(d, "l2", "contracting").update(summary="contracts"),
             "summary: the certificate says 'contracts'"),
        edit("small-gain-network", lambda d: claim(d, "l2", "contracting")["contraction"].update(rate="1"),
             "the kernel rejects the l2 metric"),
        edit("small-gain-network", lambda d: claim(d, "l2", "contracting")["contraction"]["lam"].__setitem__(
            0, "0"), "the kernel rejects the l2 metric"),
        edit("small-gain-network", lambda d: claim(d, "l2", "contracting")["contraction"].update(
            method="verified-cholesky"), "contraction.method"),
        edit("bistable-network", lambda d: claim(d, "l2", "contracting")["contraction"]["equilibrium"].update(
            lo=["1/10", "0"], hi=["1/10", "0"], point=["1/10", "0"]), "contraction.equilibrium (lo, hi)"),
        edit("bistable-network", lambda d: claim(d, "l2", "contracting")["contraction"].update(
            eigenvalue=["1/4", "1/4"]), "contraction.eigenvalue[0]"),
        edit("bistable-network", lambda d: claim(d, "l2", "contracting")["contraction"].update(
            fingerprint="0123456789abcdef"), "contraction.fingerprint"),
        edit("hebbian", lambda d: claim(d, "l2", "bounded").update(expected="certified"), "documented verdict"),
        # counterexamples
        edit("anti-hebbian-decay", lambda d: claim(d, "linf", "nonincreasing")["counterexample"].update(
            growth_lower_bound="1"), "growth_lower_bound"),
        edit("anti-hebbian-decay", lambda d: claim(d, "linf", "nonincreasing")["counterexample"]["activity"][
            "r"].__setitem__(0, "5"), "outside its declared bound"),
        edit("anti-hebbian-decay", lambda d: claim(d, "linf", "nonincreasing")["counterexample"]["parameters"]
             .update(k="3"), "outside its declared range"),
        edit("anti-hebbian-decay", lambda d: claim(d, "linf", "nonincreasing")["counterexample"].update(n=3),
             "must be 3 x"),
        edit("bcm", lambda d: claim(d, "l2", "nonincreasing")["counterexample"].update(value="1"),
             "the kernel rejects the counterexample"),
        edit("schur-anti-hebbian-indefinite", lambda d: claim(d, "l2", "nonincreasing")["counterexample"]
             ["matrices"]["K"].__setitem__(0, ["-5"]), "growth_lower_bound"),
        edit("hebbian", lambda d: claim(d, "l2", "bounded")["counterexample"].update(
            explanation="mu(W'(0)) >= 2 > 0"), "counterexample explanation"),
        # parameter ranges and the rule
        edit("anti-hebbian-decay", lambda d: d["rule"]["assumptions"]["parameters"].update(k="[0, 3]"),
             "assumptions"),
        edit("anti-hebbian-decay", lambda d: d["rule"].update(
            canonical_text=d["rule"]["canonical_text"].replace('k = "[0, 2]"', 'k = "[0, 3]"')),
             "does not have the recorded hash"),
        edit("anti-hebbian-decay", lambda d: claim(d, "linf", "nonincreasing")["conditional"]["parameters"]
             .update(k="[0, 1]"), "does not hold on the narrowed ranges"),
        edit("anti-hebbian-decay", lambda d: claim(d, "linf", "nonincreasing")["conditional"]["parameters"]
             .update(k="-1"), "not inside the declared range"),
        edit("anti-hebbian-decay", lambda d: d["rule"].update(dW="-gamma*W"), "rule dW"),
        # claims removed or repeated
        edit("hebbian", lambda d: d["claims"].pop(), "is missing"),
        edit("hebbian", lambda d: d["claims"].append(copy.deepcopy(d["claims"][0])), "more than once"),
    ]


@pytest.mark.parametrize("name, tamper, reason", _tamper_cases())
def test_tampered_certificates_fail_with_the_reason(lab, capsys, name, tamper, reason):
    path = lab / "proofs" / f"{name}.json"
    doc = load(path)
    tamper(doc)
    dump(doc, path, reseal=True)
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and reason in out, out


def test_an_edit_without_resealing_names_the_seal(lab, capsys):
    path = lab / "proofs" / "hebbian-decay.json"
    doc = load(path)
    claim(doc, "l2", "bounded")["certificate"]["drive_bound"] = "k*n/2"
    dump(doc, path, reseal=False)
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "seal does not match" in out and "drive bound beta: the certificate says 'k*n/2'" in out


# -- stale certificates ---------------------------------------------------------------------------------------

def test_an_edited_rule_makes_its_certificate_stale(lab, capsys):
    rule = lab / "rules" / "anti-hebbian-decay.toml"
    rule.write_text(rule.read_text().replace("k = [0, 2]", "k = [0, 3]"))
    assert main(["verify", str(lab / "proofs")]) == 1
    out = capsys.readouterr().out
    assert "anti-hebbian-decay.json: STALE" in out
    assert 'changed since the certificate was made' in out and '+k = "[0, 3]"' in out
    assert "certify prove" in out
    assert f"{len(CERTIFICATES) - 1} verified, 0 failed, 1 stale" in out


def test_comments_and_layout_do_not_make_a_certificate_stale(lab):
    rule = lab / "rules" / "hebbian-decay.toml"
    rule.write_text("# a new comment\n\n" + rule.read_text())
    assert C.verify_file(lab / "proofs" / "hebbian-decay.json").ok


def test_a_missing_rule_file_fails(lab, capsys):
    (lab / "rules" / "fixed.toml").unlink()
    assert main(["verify", str(lab / "proofs" / "fixed.json")]) == 1
    assert "does not exist" in capsys.readouterr().out


# -- bad input: exit 2 ------------------------------------------------------------------------------------------

def test_unreadable_and_schema_violating_files_are_bad_input(lab, capsys):
    bad = lab / "proofs" / "broken.json"
    bad.write_text("{not json")
    assert main(["verify", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().out
    doc = load(lab / "proofs" / "oja.json")
    claim(doc, "l2", "bounded")["proof"]["route"] = "sideways"
    del doc["created_by"]
    dump(doc, bad)
    assert main(["verify", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "does not follow the certificate schema" in out and "'created_by' is a required property" in out
    assert re.search(r"at claims/\d+/proof/route: 'sideways' is not one of", out)
    assert main(["verify", str(lab / "nowhere")]) == 2
    (lab / "empty").mkdir()
    assert main(["verify", str(lab / "empty")]) == 2
    assert "no certificates (*.json)" in capsys.readouterr().err


# -- prove --------------------------------------------------------------------------------------------------

CLAIMED = """\
[rule]
name = "claimed"
dW = "-gamma*W - k*r*r.T"

[parameters]
gamma = ">= 0"
k = [0, 1]

[activity]
r = [-1, 1]

[claim]
measure = "l2"
bound = "nonincreasing"
"""

EXPLORED = """\
[rule]
name = "explored"
dW = "-W + k*r*r.T"

[parameters]
k = [0, 1]

[activity]
r = [-1, 1]
"""


def test_prove_writes_json_markdown_latex_that_verify_accepts(tmp_path, capsys):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "claimed.toml").write_text(CLAIMED)
    (tmp_path / "rules" / "explored.toml").write_text(EXPLORED)
    out = tmp_path / "proofs"
    assert main(["prove", str(tmp_path / "rules"), "--out", str(out)]) == 0
    assert "2 certificate(s) written" in capsys.readouterr().out
    for name in ("claimed", "explored"):
        for suffix in (".json", ".md", ".tex"):
            assert (out / f"{name}{suffix}").exists()
    claimed, explored = load(out / "claimed.json"), load(out / "explored.json")
    assert claimed["mode"] == "claim" and [c["measure"] for c in claimed["claims"]] == ["l2"]
    assert claimed["rule"]["file"] == "../rules/claimed.toml"
    assert explored["mode"] == "explore" and len(explored["claims"]) >= 6
    assert main(["verify", str(out)]) == 0
    # deterministic: proving again gives the same files
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    assert main(["prove", str(tmp_path / "rules"), "--out", str(out)]) == 0
    assert before == {f.name: f.read_bytes() for f in out.iterdir()}


def test_prove_writes_no_certificate_when_a_documented_verdict_is_not_reproduced(tmp_path, capsys):
    rule = tmp_path / "wrong.toml"
    rule.write_text(CLAIMED.replace('name = "claimed"', 'name = "wrong"')
                    + '\n[expect.linf]\nnonincreasing = "certified"\n')
    assert main(["prove", str(rule), "--out", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    assert "EXPECTATION MISMATCH: linf nonincreasing: expected certified, got refuted" in err
    assert "no certificate written" in err and not (tmp_path / "p").exists()


def test_prove_on_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[rule]\ndW = "W +"\n')
    assert main(["prove", str(bad), "--out", str(tmp_path / "p")]) == 2
    assert "ERROR" in capsys.readouterr().err
    (tmp_path / "a.toml").write_text(CLAIMED)
    (tmp_path / "b.toml").write_text(CLAIMED)
    bad.unlink()
    assert main(["prove", str(tmp_path), "--out", str(tmp_path / "p")]) == 2
    assert "give each rule its own [rule].name" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


# -- JUnit XML ------------------------------------------------------------------------------------------------

def _cases(xml_path: Path) -> dict[tuple[str, str], str]:
    root = ET.parse(xml_path).getroot()
    assert root.tag == "testsuites"
    out = {}
    for case in root.iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        out[(Path(case.get("classname")).name, case.get("name"))] = kinds[0] if kinds else "passed"
    return out


def test_check_junit_xml(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[rule]\ndW = "W +"\n')
    report = tmp_path / "check.xml"
    files = [str(RULES / "anti-hebbian-decay.toml"), str(RULES / "gradient.toml"), str(bad)]
    assert main(["check", *files, "-q", "--measure", "linf", "--junit-xml", str(report)]) == 2
    cases = _cases(report)
    assert cases == {("anti-hebbian-decay.toml", "linf nonincreasing"): "failure",
                     ("gradient.toml", "linf bounded"): "skipped",
                     ("bad.toml", "load"): "error"}
    assert main(["check", "--expect", str(RULES / "anti-hebbian-decay.toml"), "--junit-xml", str(report)]) == 0
    assert set(_cases(report).values()) == {"passed"}   # refuted as documented passes
    root = ET.parse(report).getroot()
    assert root.get("tests") == "2" and root.get("failures") == "0"


def test_verify_junit_xml(lab, capsys):
    doc = load(lab / "proofs" / "oja.json")
    claim(doc, "l2", "bounded")["certificate"]["rate"] = "k/2"
    dump(doc, lab / "proofs" / "oja.json")
    rule = lab / "rules" / "fixed.toml"
    rule.write_text(rule.read_text().replace('dW = "0"', 'dW = "0*W"').replace("[rule]", "[rule]\nsummary = \"x\""))
    report = lab / "verify.xml"
    assert main(["verify", str(lab / "proofs"), "-q", "--junit-xml", str(report)]) == 1
    cases = _cases(report)
    assert cases[("oja.json", "l2 bounded")] == "failure"
    assert cases[("oja.json", "l2 nonincreasing")] == "passed"
    assert cases[("fixed.json", "certificate")] == "failure"          # stale
    assert cases[("gradient.json", "l2 bounded")] == "skipped"        # inconclusive: nothing to re-check
    assert cases[("small-gain-network.json", "l2 contracting")] == "passed"       # the kernel re-checked it
    assert cases[("hebbian.json", "certificate")] == "passed"
    text = report.read_text()
    assert "STALE: the rule file" in text and "rate gamma: the certificate says" in text


def test_verify_runs_only_the_parser_and_the_kernel():
    """No derivation and no counterexample search: those modules are not even imported."""
    code = ("import sys; from certify.cli.main import main; rc = main(['verify', 'proofs', '-q']); "
            "loaded = [m for m in ('certify.search.derive', 'certify.search.falsify', 'certify.check') if m in sys.modules]; "
            "print(rc, loaded)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"


def test_certificate_files_are_named_safely_after_rules():
    assert C.file_stem("hebbian-decay") == "hebbian-decay"
    assert C.file_stem("../../etc/x y") == "etc-x-y"
    assert C.file_stem("///") == "rule"


def test_lemma_arguments_cover_the_library():
    from certify.kernel.lemmas import DECAY_LEMMAS, TERM_LEMMAS
    assert set(C.LEMMA_ARGUMENTS) == set(TERM_LEMMAS) | set(DECAY_LEMMAS)


# -- network certificates (contracting claims) ------------------------------------------------------------------

NETWORK_RULES = {
    # H, tanh, a nonnegative non-symmetric W0 in a .npy file, bias in a .csv file: the Perron-weighted l1 norm
    # is optimal for it (rate 1 - spectral radius), so it beats the l2 metric
    "perron-npy": ('form = "H"\nactivation = "tanh"\nW0 = "perron-w.npy"\nbias = "perron-u.csv"\n', "certified"),
    # FR, tanh, symmetric excitation with a small input: two stable equilibria in Krawczyk boxes
    "two-equilibria": ('form = "FR"\nactivation = "tanh"\nW0 = "[[0, 2], [2, 0]]"\nbias = "[1/10, 0]"\n', "refuted"),
    # FR, tanh, a rotation with gain: one equilibrium (not a rational point), an unstable focus (Routh)
    "spiral": ('form = "FR"\nactivation = "tanh"\nW0 = "[[3/2, -2], [2, 3/2]]"\nbias = "[1/10, -1/5]"\n', "refuted"),
}


def _network_rule(name: str, network: str, verdict: str) -> str:
    return (f'[rule]\nname = "{name}"\ndW = "0"\n\n[network]\n{network}\n[claim]\nbound = "contracting"\n\n'
            f'[expect.l2]\ncontracting = "{verdict}"\n')


def _write_network_lab(root: Path) -> Path:
    import numpy as np
    (root / "rules").mkdir(parents=True)
    np.save(root / "rules" / "perron-w.npy", np.array([[0.0, 0.5, 0.0], [0.25, 0.0, 0.125], [0.0, 0.375, 0.0]]))
    (root / "rules" / "perron-u.csv").write_text("0.5\n-1\n0\n")
    for name, (network, verdict) in NETWORK_RULES.items():
        (root / "rules" / f"{name}.toml").write_text(_network_rule(name, network, verdict))
    return root


@pytest.fixture(scope="module")
def network_lab(tmp_path_factory) -> Path:
    """Rules for the kinds of network certificate the catalog lacks, proved once (about 1-2 s)."""
    root = _write_network_lab(tmp_path_factory.mktemp("networks"))
    for name in NETWORK_RULES:
        res = C.prove_file(root / "rules" / f"{name}.toml", root / "proofs", latex=False)
        assert res.error is None, res.error
    return root


def _network_doc(name: str, lab: Path | None) -> tuple[Path, dict]:
    path = (PROOFS if name in ("anti-hebbian-network", "small-gain-network", "bistable-network")
            else lab / "proofs") / f"{name}.json"
    return path, load(path)


KIND_OF = {"perron-npy": "weighted", "small-gain-network": "lmi", "anti-hebbian-network": "plastic",
           "two-equilibria": "two-equilibria", "bistable-network": "unstable-equilibrium",
           "spiral": "unstable-equilibrium"}


@pytest.mark.parametrize("name", list(KIND_OF))
def test_network_certificates_of_every_kind_are_rechecked_by_the_kernel(network_lab, name):
    path, doc = _network_doc(name, network_lab)
    c = claim(doc, "l2", "contracting")
    assert c["contraction"]["kind"] == KIND_OF[name] and c["recheckable"] is True
    result = C.verify_file(path)
    assert result.ok, result.problems()
    check = next(x for x in result.claims if x.bound == "contracting")
    assert check.status == "verified" and check.message == f"{c['verdict']}: {c['summary']}"


def test_what_the_network_certificates_store(network_lab):
    perron = claim(load(network_lab / "proofs" / "perron-npy.json"), "l2", "contracting")["contraction"]
    assert perron["norm"] in ("l1", "linf") and perron["weights"] == "Perron" and perron["form"] == "H"
    eta = [Fraction(x) for x in perron["eta"]]
    assert max(eta) == 1 and min(eta) > 0 and len(set(eta)) == 3
    rate = Fraction(perron["rate"])
    assert abs(float(rate) - (1 - (0.25 * 0.5 + 0.125 * 0.375) ** 0.5)) < 1e-9   # 1 - spectral radius of W0
    two = claim(load(network_lab / "proofs" / "two-equilibria.json"), "l2", "contracting")["contraction"]
    assert two["first"]["method"] == two["second"]["method"] == "krawczyk"
    assert Fraction(two["first"]["hi"][0]) < 0 < Fraction(two["second"]["lo"][0])
    spiral = claim(load(network_lab / "proofs" / "spiral.json"), "l2", "contracting")["contraction"]
    assert (spiral["jacobian"], spiral["method"], spiral["unstable_count"]) == ("interval", "routh", 2)
    doc = load(network_lab / "proofs" / "perron-npy.json")
    assert set(doc["rule"]["data_files"]) == {"W0", "bias"}
    assert doc["rule"]["data_files"]["W0"]["file"] == "perron-w.npy"
    assert re.fullmatch(r"[0-9a-f]{64}", doc["rule"]["data_files"]["bias"]["sha256"])


ENUM_SWAPS = {"kind": {"weighted": "lmi", "lmi": "weighted", "plastic": "lmi", "two-equilibria": "unstable-equilibrium",
                       "unstable-equilibrium": "two-equilibria"},
              "structure": {"diag": "full", "full": "diag"},
              "method": {"exact": "verified-cholesky", "verified-cholesky": "exact", "exact-root": "sign-change",
                         "sign-change": "routh", "routh": "exact-root", "krawczyk": "affine-piece",
                         "affine-piece": "krawczyk", "exact-point": "krawczyk"},
              "jacobian": {"exact": "interval", "interval": "exact"}, "form": {"H": "FR", "FR": "H"},
              "activation": {"tanh": "logistic", "logistic": "tanh"}, "weights": {"Perron": "unit", "unit": "Perron"}}


def _network_mutation(value, key):
    """Edits that keep the file valid under the schema where possible (enum swaps, nulls filled in)."""
    if isinstance(value, str) and value in ENUM_SWAPS.get(key, {}):
        return ENUM_SWAPS[key][value]
    if key == "fingerprint":
        return "0123456789abcdef"
    if value is None:
        return {"unstable_count": 1, "eigenvalue": ["1", "2"], "leak": "1/2"}.get(key, ["0", "0"])
    return _mutated(value, key)


@pytest.mark.parametrize("name", list(KIND_OF))
def test_any_edit_of_a_network_certificate_fails_naming_the_field(network_lab, name):
    """Every number, name and text of the stored network certificate (and the summary), edited with the seal
    recomputed: verify rejects the claim (or the schema the file) with a reason that names the edited field."""
    path, doc = _network_doc(name, network_lab)
    rule = Rule.from_file(path.parent / doc["rule"]["file"])
    index = next(i for i, c in enumerate(doc["claims"]) if c["bound"] == "contracting")
    c = doc["claims"][index]
    leaves = [(("contraction",) + leaf, v) for leaf, v in _leaves(c["contraction"])] + [(("summary",), c["summary"])]
    for leaf, value in leaves:
        bad = copy.deepcopy(c)
        _set(bad, leaf, _network_mutation(value, leaf[-1]))
        claims = doc["claims"][:index] + [bad] + doc["claims"][index + 1:]
        errors = C.schema_errors({**doc, "claims": claims})
        message = "; ".join(errors) if errors else C.verify_claim(bad, rule).message
        if not errors:
            assert C.verify_claim(bad, rule).status == "failed", leaf
        names = [str(k) for k in leaf if isinstance(k, str)]
        assert any(k in message for k in names), (leaf, message)
    assert len(leaves) >= 8


def test_a_changed_data_file_makes_the_certificate_stale(tmp_path, capsys):
    import numpy as np
    root = _write_network_lab(tmp_path)
    rule, weights = root / "rules" / "perron-npy.toml", root / "rules" / "perron-w.npy"
    assert main(["prove", str(rule), "--out", str(root / "proofs"), "--no-latex"]) == 0
    cert = root / "proofs" / "perron-npy.json"
    assert main(["verify", str(cert)]) == 0
    original = weights.read_bytes()
    W = np.load(weights)
    W[0, 1] = 0.75                                     # the rule file itself is unchanged: same Rule.hash
    np.save(weights, W)
    capsys.readouterr()
    assert main(["verify", str(cert)]) == 1
    out = capsys.readouterr().out
    assert "perron-npy.json: STALE" in out and "perron-w.npy (W0 of the rule's [network]) changed since" in out
    assert "certify prove" in out and "0 verified, 0 failed, 1 stale" in out
    weights.write_bytes(original)
    assert C.verify_file(cert).ok
    (root / "rules" / "perron-u.csv").write_text("0.5\n-1\n1\n")          # the bias file
    result = C.verify_file(cert)
    assert result.status == "stale" and "perron-u.csv (bias of the rule's [network]) changed" in result.problems()[0]
    (root / "rules" / "perron-u.csv").unlink()
    assert "no longer exists" in C.verify_file(cert).problems()[0]
    (root / "rules" / "perron-u.csv").write_text("0.5\n-1\n0\n")
    assert C.verify_file(cert).ok
    doc = load(cert)                                   # the recorded list itself edited (seal recomputed)
    doc["rule"]["data_files"]["W0"]["file"] = "other.npy"
    dump(doc, cert)
    result = C.verify_file(cert)
    assert result.status == "failed" and "data_files: the certificate records" in result.problems()[0]


def test_inline_networks_record_no_data_files():
    assert load(PROOFS / "small-gain-network.json")["rule"]["data_files"] == {}


def test_a_certificate_for_the_wrong_kind_of_network_fails(network_lab):
    """A fixed-W certificate re-labelled onto a plastic rule (or the reverse) is refused, not re-checked."""
    path, doc = _network_doc("anti-hebbian-network", network_lab)
    rule = Rule.from_file(path.parent / doc["rule"]["file"])
    lmi = claim(load(PROOFS / "small-gain-network.json"), "l2", "contracting")
    bad = copy.deepcopy(claim(doc, "l2", "contracting"))
    bad.update(contraction=lmi["contraction"], summary=lmi["summary"])
    check = C.verify_claim(bad, rule)
    assert check.status == "failed" and "contraction.kind: a lmi certificate" in check.message


# -- progress on stderr -----------------------------------------------------------------------------------------

def test_verify_and_prove_show_progress_on_stderr_only_when_asked(network_lab, tmp_path, capsys):
    from argparse import Namespace
    proofs = [str(PROOFS / "small-gain-network.json"), str(PROOFS / "bistable-network.json")]
    assert C.run_verify(Namespace(paths=proofs, quiet=False, junit_xml=None)) == 0
    plain = capsys.readouterr()
    assert plain.err == ""                                        # not a terminal, not --verbose: silent
    assert C.run_verify(Namespace(paths=proofs, quiet=False, verbose=True, junit_xml=None)) == 0
    loud = capsys.readouterr()
    lines = loud.err.splitlines()
    assert re.fullmatch(r"\[1/2\] .*small-gain-network\.json \.\.\. VERIFIED \(\d+\.\d\d s\)", lines[0])
    assert re.fullmatch(r"    l2 contracting: verified \(\d+\.\d\d s\)", lines[1])
    assert lines[2].startswith("[2/2] ") and "bistable-network.json ... VERIFIED" in lines[2]
    strip = lambda s: re.sub(r"\d+\.\d\d s", "T s", s)             # noqa: E731
    assert strip(loud.out) == strip(plain.out)                    # the report on stdout is unchanged
    rule = str(network_lab / "rules" / "two-equilibria.toml")
    out = tmp_path / "p"
    assert C.run_prove(Namespace(paths=[rule], out=str(out), no_latex=True, verbose=True)) == 0
    got = capsys.readouterr()
    assert re.fullmatch(r"\[1/1\] .*two-equilibria\.toml \.\.\. refuted, 1 claim \(\d+\.\d\d s\)\n", got.err)
    assert "wrote" in got.out
    assert C.run_prove(Namespace(paths=[rule], out=str(out), no_latex=True, quiet=True)) == 0
    got = capsys.readouterr()
    assert got.err == "" and got.out == f"1 certificate(s) written to {out}\n"     # -q: the summary line only


def test_an_inconclusive_network_claim_stores_reasons_only(tmp_path):
    """A strong rotation: one stable equilibrium (nothing to refute with), but no norm or metric certifies it."""
    rule = tmp_path / "rotation.toml"
    rule.write_text(_network_rule("rotation", 'form = "FR"\nactivation = "tanh"\nW0 = "[[0, -3], [3, 0]]"\n',
                                  "inconclusive"))
    res = C.prove_file(rule, tmp_path / "p", latex=False)
    assert res.error is None and res.verdict == "inconclusive"
    doc = load(tmp_path / "p" / "rotation.json")
    c = claim(doc, "l2", "contracting")
    assert c["recheckable"] is False and "contraction" not in c
    assert "no verified refutation found" in c["reasons"]
    check = C.verify_file(tmp_path / "p" / "rotation.json").claims[0]
    assert check.status == "skipped" and check.message.startswith("inconclusive: nothing for the kernel to re-check")
    r = Rule.from_file(rule)
    assert "recheckable" in C.verify_claim({**c, "recheckable": True}, r).message
    forged = {**c, "contraction": claim(load(PROOFS / "small-gain-network.json"), "l2", "contracting")["contraction"]}
    assert "holds a lmi network certificate (verdict certified)" in C.verify_claim(forged, r).message
