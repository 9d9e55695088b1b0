"""The notebook-first Python API (issue 14): the public names of `certify`, the results' renderings (repr, str,
Markdown and LaTeX for Jupyter), their numbers as arrays and Fractions, and `to_dict()` equal to what
`certify check --format json` prints. Every view reads a result that check.py decided; none of them decides."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import certify
from certify import ClaimResult, ExitCode, Rule, RuleReport, Verdict, check_rule
from certify.cli.main import main
from certify.kernel.objects import Claim, Witness
from certify.schema import validate_check_json

ROOT = Path(__file__).resolve().parents[1]

#: the public API as documented in certify/__init__.py and docs/api/index.rst
DOCUMENTED = ["Rule", "check_rule", "RuleReport", "ClaimResult", "Verdict", "ExitCode", "CertifyError",
              "InputError", "KernelError", "__version__"]


@pytest.fixture(scope="module")
def anti_hebbian():
    rule = Rule.create("-gamma*W - k*r*r.T", name="anti-hebbian-decay", parameters={"gamma": ">= 0", "k": [0, 2]},
                       activity={"r": [-1, 1]}, claim={"measure": "l2", "bound": "nonincreasing"})
    return rule, check_rule(rule), check_rule(rule, measure="linf")


@pytest.fixture(scope="module")
def four_neurons():
    W0 = np.array([[0, 1.5, 0, -0.2], [0.1, 0, 0.6, 0], [0, -0.3, 0, 0.7], [0.5, 0, 0.2, 0]])
    rule = Rule.create("0", name="four-neurons", network={"form": "H", "activation": "tanh", "W0": W0})
    return rule, check_rule(rule, bound="contracting")


# -- the public names --------------------------------------------------------------------------------------------

def test_all_is_the_documented_list():
    assert sorted(certify.__all__) == sorted(DOCUMENTED)
    for name in DOCUMENTED:
        assert f"``{name}``" in certify.__doc__, f"{name} is exported but not documented in certify/__init__.py"
        assert getattr(certify, name) is not None
    index = (ROOT / "docs" / "api" / "index.rst").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in DOCUMENTED:
        if name != "__version__":
            assert f"certify.{name}" in index, f"{name} is missing from the API reference (docs/api/index.rst)"
            assert f"`{name}" in guide, f"{name} is missing from docs/api.md"


def test_star_import_gives_exactly_the_public_names():
    namespace: dict = {}
    exec("from certify import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(DOCUMENTED)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'decide'"):
        certify.decide   # internal: certify.check.decide, not part of the API


def test_importing_certify_stays_light():
    """`certify --help` stays fast: the package imports neither SymPy nor the checker until a lazy name is used."""
    code = ("import sys, certify; assert 'sympy' not in sys.modules and 'certify.check' not in sys.modules; "
            "certify.RuleReport; assert 'certify.results' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- renderings --------------------------------------------------------------------------------------------------

def test_repr_is_the_quiet_text_report_not_a_dataclass_dump(anti_hebbian):
    _, rep, _ = anti_hebbian
    text = repr(rep)
    assert "RuleReport(" not in text and "Certificate(" not in text
    assert text.startswith("anti-hebbian-decay: CERTIFIED")
    assert "bound: mu_2(W(t)) <= exp(-gamma t) mu_2(W(0))" in text
    assert "[gronwall]" not in text                     # quiet: no steps
    assert "5. [gronwall]" in str(rep)                  # str: the steps as `certify check` prints them
    assert repr(rep.results[0]).startswith("[   CERTIFIED] l2 nonincreasing")
    assert "[l2-neg-gram]" in str(rep.results[0])


def test_markdown_view_has_a_badge_and_typeset_steps(anti_hebbian):
    _, rep, refuted = anti_hebbian
    md = rep._repr_markdown_()
    assert md.startswith("✅ **CERTIFIED**")
    assert r"$$\mu_2(W(t)) \le e^{- \gamma t} \mu_2(W(0))$$" in md
    assert "`l2-neg-gram`" in md and r"$\mu_2(-k r r^{T}) \le 0$" in md
    claim_md = rep.results[0]._repr_markdown_()
    assert claim_md.startswith("✅ **CERTIFIED** l2 nonincreasing")
    assert "`gronwall`" in claim_md
    ref = refuted.results[0]._repr_markdown_()
    assert ref.startswith("❌ **REFUTED** linf nonincreasing") and "Counterexample (kernel-checked, exact)" in ref


def test_latex_view_is_the_latex_report_with_a_badge(anti_hebbian):
    _, rep, refuted = anti_hebbian
    tex = rep._repr_latex_()
    assert tex.startswith(r"\fbox{\textbf{CERTIFIED}}")
    assert r"\[ \mu_2(W(t)) \le e^{- \gamma t} \mu_2(W(0)) \]" in tex
    assert r"\item \texttt{gronwall}" in tex
    assert refuted.results[0]._repr_latex_().startswith(r"\fbox{\textbf{REFUTED}} linf nonincreasing")


def test_ipython_formatters_pick_the_rich_views(anti_hebbian):
    formatters = pytest.importorskip("IPython.core.formatters")
    _, rep, _ = anti_hebbian
    fmt = formatters.DisplayFormatter()
    data, _ = fmt.format(rep)
    assert data["text/markdown"].startswith("✅ **CERTIFIED**")
    assert data["text/latex"].startswith(r"\fbox")
    assert data["text/plain"].startswith("anti-hebbian-decay: CERTIFIED")


# -- numbers -----------------------------------------------------------------------------------------------------

def test_flow_certificate_numbers(anti_hebbian):
    _, rep, refuted = anti_hebbian
    r = rep.results[0]
    assert str(r.rate) == "gamma" and r.norm == "l2"
    assert r.P is None and r.eta is None and r.T is None and r.witness is None
    w = refuted.results[0].witness
    assert isinstance(w, Witness) and w.n >= 2 and refuted.results[0].rate is None
    assert all(isinstance(x, Fraction) for x in w.parameters.values())


def test_fixed_network_metric_as_an_array(four_neurons):
    _, rep = four_neurons
    r = rep.results[0]
    assert r.verdict is Verdict.CERTIFIED
    assert isinstance(r.rate, Fraction) and r.rate > 0
    assert r.rate == rep.results[0].network.best.rate
    if r.norm.startswith("l2 metric"):
        P = r.P
        assert isinstance(P, np.ndarray) and P.shape == (4, 4) and P.dtype == np.float64
        assert np.array_equal(P, P.T) and np.all(np.linalg.eigvalsh(P) > 0)
        assert not P.flags.writeable                          # the certificate's numbers cannot be edited
        assert r.lam is not None and r.lam.shape == (4,)


def test_weights_eta_of_a_weighted_certificate(four_neurons):
    """eta is the array of binary64 weights the kernel used, and it proves the rate it is reported with."""
    from certify.check import ClaimResult as CR
    from certify.lang.network import network_of
    from certify.search.contraction import FixedResult, certify_fixed
    from certify.search.measures import mu1_weighted
    rule, _ = four_neurons
    net = network_of(rule)
    res = certify_fixed(net, use_lmi=False)
    perron = next(a for a in res.attempts if a.norm == "weighted-l1 (Perron weights)")
    r = CR(Claim("l2", "contracting"), Verdict.CERTIFIED, network=FixedResult(perron, res.attempts))
    eta = r.eta
    assert eta.shape == (4,) and np.all(eta > 0) and not eta.flags.writeable
    assert [Fraction(x) for x in eta] == [Fraction(float(x)) for x in perron.data["eta"]]
    W = net.W0_float()
    assert math.isclose(1 - max(0.0, mu1_weighted(W, eta)), float(r.rate), rel_tol=1e-9)
    assert r.P is None and r.norm == "weighted-l1 (Perron weights)"


def test_no_numbers_from_an_undecided_result(four_neurons):
    """The properties read certified evidence only: an INCONCLUSIVE result carrying a network search shows none."""
    _, rep = four_neurons
    net = rep.results[0].network
    r = ClaimResult(Claim("l2", "contracting"), Verdict.INCONCLUSIVE, reasons=("test",), network=net)
    assert r.rate is None and r.P is None and r.eta is None and r.norm is None and r.witness is None
    with pytest.raises(ValueError, match="CERTIFIED without kernel evidence"):
        ClaimResult(Claim("l2", "contracting"), Verdict.CERTIFIED, network=type(net)(None, net.attempts))


def test_plastic_network_onset_time_and_rate():
    rep = check_rule(Rule.from_file(ROOT / "rules" / "anti-hebbian-network.toml"))
    r = rep.results[0]
    assert r.verdict is Verdict.CERTIFIED
    assert r.rate == Fraction(1, 2) and isinstance(r.T, Fraction)
    assert math.log(4) <= float(r.T) < math.log(4) + 1e-9          # a rigorous upper bound on ln 4
    assert r.norm == "l2" and r.P is None


def test_refuted_network_witness_is_the_verified_equilibrium():
    rep = check_rule(Rule.from_file(ROOT / "rules" / "bistable-network.toml"))
    r = rep.results[0]
    assert r.verdict is Verdict.REFUTED and r.rate is None
    assert r.witness is r.network and "equilibri" in str(r.witness)


# -- to_dict: the JSON item of `certify check --format json` ----------------------------------------------------

@pytest.mark.parametrize("name", ["anti-hebbian-decay.toml", "bistable-network.toml", "anti-hebbian-network.toml"])
def test_to_dict_is_the_cli_json_item(name, capsys):
    path = str(ROOT / "rules" / name)
    code = main(["check", path, "--format", "json"])
    items = json.loads(capsys.readouterr().out)
    rep = check_rule(Rule.from_file(path))
    assert code == ExitCode.OK if rep.verdict is Verdict.CERTIFIED else code != ExitCode.OK
    assert json.loads(json.dumps(rep.to_dict())) == items[0]
    validate_check_json([rep.to_dict()])
    assert [r.to_dict() for r in rep.results] == items[0]["results"]


def test_to_dict_of_a_python_rule_validates(anti_hebbian, four_neurons):
    _, rep, refuted = anti_hebbian
    validate_check_json([rep.to_dict(), refuted.to_dict(), four_neurons[1].to_dict()])
    d = four_neurons[1].to_dict()
    assert d["file"] is None and d["rule"] == "four-neurons" and d["verdict"] == "certified"


# -- numpy W0, exactly -------------------------------------------------------------------------------------------

def test_numpy_W0_and_the_same_npy_file_agree(tmp_path):
    """The issue's discrepancy: the same float matrix through the API and through a .npy file gives the same verdict
    and the same kernel-checked rate (binary64 values are read as the rationals they are)."""
    rng = np.random.default_rng(14)
    W0 = rng.normal(0.0, 0.3, (12, 12))
    np.save(tmp_path / "w.npy", W0)
    (tmp_path / "net.toml").write_text('[rule]\nname = "net"\ndW = "0"\n[network]\nform = "H"\nactivation = "tanh"\n'
                                       'W0 = "w.npy"\n[claim]\nbound = "contracting"\n', encoding="utf-8")
    from_file = check_rule(Rule.from_file(tmp_path / "net.toml")).results[0]
    from_api = check_rule(Rule.create("0", name="net", network={"form": "H", "activation": "tanh", "W0": W0},
                                      claim={"measure": "l2", "bound": "contracting"})).results[0]
    assert from_api.verdict is from_file.verdict
    assert from_api.rate == from_file.rate and from_api.norm == from_file.norm


# -- the API reference -------------------------------------------------------------------------------------------

def test_api_reference_builds_without_warnings(tmp_path):
    """docs/api/ (Sphinx autodoc over the public docstrings) builds with -W: a docstring that makes a warning fails
    here. About 3 s; skipped where Sphinx is not installed (pip install -e ".[docs]")."""
    pytest.importorskip("sphinx")
    out = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                          str(ROOT / "docs" / "api"), str(tmp_path / "html")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    page = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    for name in ("certify.check_rule", "certify.RuleReport", "certify.ClaimResult", "to_dict", "witness"):
        assert name in page, name
