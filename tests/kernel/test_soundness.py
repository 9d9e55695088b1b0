"""Regression tests for the soundness holes of issue 10, one group per class, each checked in general (several forms,
norms and routes) and, where a claim is false, against an oracle that shares no code with the kernel.

1. plastic contraction when the decay rate can be <= 0;   2. declared facts that disagree (activation vs slope);
3. complex numbers (parser, kernel instantiations, data);  4. underflow in the kernel's float paths;
5. a crash is never a verdict (exit 4);                    6. the file verdict never hides a refuted law.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from certify.check import check_rule
from certify.cli.main import main
from certify.errors import InputError, KernelError
from certify.kernel import contraction as kc
from certify.kernel.intervals import Interval
from certify.kernel.objects import Assumptions, Claim, FlowProof, N, Use
from certify.kernel.reality import NotReal, require_real
from certify.kernel.verify import check_proof
from certify.lang.rule import Rule
from certify.verdict import ExitCode, Verdict

TINY = 2.0 ** -1074


def _rule(dW: str, *, params: str = "", form: str = "H", activation: str = "tanh", W0: str = "[[0.5, 0], [0, 0]]",
          measure: str = "l1", extra: str = "") -> str:
    return (f'[rule]\nname = "t"\ndW = "{dW}"\n' + (f"[parameters]\n{params}\n" if params else "")
            + f'[network]\nform = "{form}"\nactivation = "{activation}"\nW0 = {W0}\n{extra}'
            + f'[claim]\nmeasure = "{measure}"\nbound = "contracting"\n')


# -- 1. the decay rate's sign over the whole declared range -------------------------------------------------------

def _diverges(gamma: float, form: str, W0: np.ndarray, t_end: float = 6.0) -> bool:
    """Oracle: two trajectories of the network with W(t) = e^{-gamma t} W0, 0.02 apart at the origin, separate.
    Plain RK4 in numpy; at t = 6 the tanh network with gamma = -1 has them ~200 apart."""
    def f(t, x):
        W = np.exp(-gamma * t) * W0
        return -x + (W @ np.tanh(x) if form == "H" else np.tanh(W @ x))
    h = 1e-3
    xs = [np.array([0.01, 0.0]), np.array([-0.01, 0.0])]
    t = 0.0
    while t < t_end:
        for k, x in enumerate(xs):
            k1 = f(t, x)
            k2 = f(t + h / 2, x + h / 2 * k1)
            k3 = f(t + h / 2, x + h / 2 * k2)
            k4 = f(t + h, x + h * k3)
            xs[k] = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += h
    return np.linalg.norm(xs[0] - xs[1]) > 0.02


@pytest.mark.parametrize("dW, params, form, measure", [
    ("W", "", "H", "l1"),                              # gamma = -1 (the issue's example)
    ("-gamma*W", "gamma = [-1, 1]", "FR", "linf"),     # a range that crosses zero, FR in linf
    ("-gamma*W", "gamma = [-1, 0]", "H", "l1"),        # closed at zero from below
    ("W", "", "H", "l2"),                              # the l2 route (linear network below)
])
def test_growing_weights_are_never_certified(dW, params, form, measure):
    rule = Rule.from_text(_rule(dW, params=params, form=form, measure=measure,
                                activation="linear" if measure == "l2" else "tanh"))
    result = check_rule(rule).results[0]
    assert result.verdict is not Verdict.CERTIFIED, result.summary
    assert _diverges(-1.0, form, np.array([[0.5, 0.0], [0.0, 0.0]]))   # the oracle: gamma = -1 is admissible


def test_gamma_at_least_zero_still_certifies_and_the_oracle_agrees():
    rule = Rule.from_text(_rule("-gamma*W", params='gamma = ">= 0"'))
    result = check_rule(rule).results[0]
    assert result.verdict is Verdict.CERTIFIED
    assert not _diverges(0.0, "H", np.array([[0.5, 0.0], [0.0, 0.0]]))


def test_nonpositive_start_value_allows_any_gamma():
    # m(t) <= e^{-gamma t} m(0) <= 0 whatever the sign of gamma when m(0) = mu_1(W0) <= 0
    rule = Rule.from_text(_rule("-gamma*W", params="gamma = [-1, 1]", W0="[[-1, 0], [0, -1]]"))
    assert check_rule(rule).results[0].verdict is Verdict.CERTIFIED


def test_check_plastic_refuses_a_negative_rate_directly():
    gamma = sp.Symbol("gamma", real=True)
    W = sp.MatrixSymbol("W", N, N)
    asm = Assumptions({"gamma": Interval(Fraction(-1), Fraction(1))}, {}, {})
    proof = FlowProof("measure", "l1", gamma, (), ())
    with pytest.raises(KernelError, match="includes negative values"):
        kc.check_plastic(-gamma * W, asm, Claim("l1", "nonincreasing"), proof, [[Fraction(1, 2), 0], [0, 0]],
                         "H", 1, False)


# -- 2. declared facts that contradict each other --------------------------------------------------------------

@pytest.mark.parametrize("activation, slope", [("tanh", "0.5"), ("relu", "0.99"), ("logistic", "0.2"),
                                               ("linear", "0.5")])
def test_a_slope_below_the_activations_own_is_an_input_error(activation, slope):
    text = _rule("0*W", W0="[[1.5]]", activation=activation, extra=f"slope = [0, {slope}]\n")
    with pytest.raises(InputError, match="contradicts activation") as info:
        Rule.from_text(text, file="r.toml")
    assert info.value.line is not None and info.value.file == "r.toml" and info.value.symbol == "slope"


def test_a_larger_declared_slope_is_allowed():
    Rule.from_text(_rule("0*W", W0="[[0.25]]", extra="slope = [0, 2]\n"))


def test_the_issue_network_has_three_equilibria():
    # x' = -x + 1.5 tanh(x): the oracle finds three zeros, so no contraction certificate can be right
    f = lambda x: -x + 1.5 * np.tanh(x)
    xs = np.linspace(-3, 3, 6001)
    assert int(np.sum(np.sign(f(xs[:-1])) != np.sign(f(xs[1:])))) + int(np.sum(f(xs) == 0)) >= 3


# -- 3. complex numbers ---------------------------------------------------------------------------------------

def test_sqrt_of_a_parameter_that_can_be_negative_is_an_input_error():
    text = '[rule]\ndW = "-sqrt(g)*W"\n[parameters]\ng = [-1, 1]\n'
    with pytest.raises(InputError, match="not real") as info:
        Rule.from_text(text, file="r.toml")
    assert info.value.line == 2 and info.value.symbol == "g"
    Rule.from_text(text.replace("[-1, 1]", '">= 0"'))     # fine once g >= 0 is declared


def _gram_proof(A):
    return FlowProof("measure", "l2", sp.Integer(0), (), (Use.of("l2-neg-gram", c=sp.Integer(1), A=A),))


@pytest.mark.parametrize("case", ["sqrt-negative", "imaginary-unit", "sqrt-in-c"])
def test_kernel_requires_real_instantiations(case):
    g = sp.Symbol("g", real=True)
    r = sp.MatrixSymbol("r", N, 1)
    asm = Assumptions({"g": Interval(Fraction(-1), Fraction(0), True, False)}, {"r": Interval(Fraction(-1), Fraction(1))}, {})
    if case == "sqrt-negative":           # dW = -g r r^T with g < 0 is Hebbian growth
        dW, proof = -g * r * r.T, _gram_proof(sp.sqrt(g) * r)
    elif case == "imaginary-unit":        # dW = r r^T, "A = I r"
        dW, proof = r * r.T, _gram_proof(sp.I * r)
    else:                                 # dW = -(g - 1) r r^T, g - 1 < 0: "A = sqrt(g - 1) r"
        dW, proof = -(g - 1) * r * r.T, _gram_proof(sp.sqrt(g - 1) * r)
    with pytest.raises(KernelError, match="require_real"):
        check_proof(dW, asm, Claim("l2", "nonincreasing"), proof)
    # the oracle: at g = -1/2, r = (1, 0) the flow increases mu_2 at once
    rv = np.array([[1.0], [0.0]])
    G = (0.5 if case != "imaginary-unit" else 1.0) * rv @ rv.T
    assert np.linalg.eigvalsh((G + G.T) / 2).max() > 0


def test_require_real_accepts_the_real_forms():
    g, k = sp.Symbol("g", real=True), sp.Symbol("k", real=True)
    env = {g: Interval(Fraction(0), Fraction(1)), k: Interval(Fraction(1), Fraction(2)), N: Interval(Fraction(1), float("inf"))}
    r = sp.MatrixSymbol("r", N, 1)
    require_real(sp.sqrt(g) * r * r.T / k, env, "x")
    require_real(sp.Abs(g - 1) * sp.Max(g, k), env, "x")
    for bad in (sp.sqrt(g - 1), sp.I * g, 1 / (g - sp.Rational(1, 2)), sp.log(k), sp.Float(0.5) * g):
        with pytest.raises(NotReal):
            require_real(bad, env, "x")


@pytest.mark.parametrize("fn", ["lmi", "weighted", "pd"])
def test_kernel_float_paths_refuse_complex_data(fn):
    n = 41 if fn == "lmi" else 301
    W = np.zeros((n, n), dtype=complex)
    W[0, 1] = W[1, 0] = 5j
    with pytest.raises(KernelError, match="binary64|dtype"):
        if fn == "lmi":
            kc.check_lmi(W, 1, "H", np.eye(n), np.ones(n), Fraction(1, 2))
        elif fn == "weighted":
            kc.weighted_rate(W, 1, "H", "l1", np.ones(n))
        else:
            from certify.kernel.verified import is_pd_verified
            is_pd_verified(np.eye(3, dtype=complex))


def test_complex_W0_file_is_refused(tmp_path):
    np.save(tmp_path / "W0.npy", np.array([[0, 5j], [5j, 0]]))
    (tmp_path / "r.toml").write_text(_rule("-W", W0='"W0.npy"'))
    with pytest.raises(InputError, match="complex"):
        check_rule(Rule.from_file(tmp_path / "r.toml"))


# -- 4. underflow in the kernel's float paths -----------------------------------------------------------------

def test_subnormal_lmi_metric_is_refused():
    # 41 x 41, every entry 1/4, tanh, form H: the Jacobian at 0 has the eigenvalue -1 + 41/4 > 0 (no contraction)
    n = 41
    W = np.full((n, n), 0.25)
    assert np.linalg.eigvals(-np.eye(n) + W).real.max() > 0                          # the oracle
    for scale in (TINY, 2.0 ** -1060, 2.0 ** -1000):
        with pytest.raises(KernelError):
            kc.check_lmi(W, 1, "H", scale * np.eye(n), np.full(n, scale), Fraction(1, 100))


@pytest.mark.parametrize("form, norm", [("H", "l1"), ("FR", "linf"), ("H", "linf"), ("FR", "l1")])
def test_subnormal_weights_prove_nothing(form, norm):
    n = 301
    W = np.full((n, n), 0.25)
    eta = np.full(n, TINY)
    eta[0] = 1.0
    assert kc.weighted_rate(W, 1, form, norm, eta) <= 0
    # and honest weights still give the honest (negative) rate 1 - (n - 1)/4 - 1/4 in every mode
    assert kc.weighted_rate(W, 1, form, norm, np.ones(n)) <= 1 - Fraction(n - 1, 4)


def test_underflow_term_does_not_spoil_good_certificates():
    n = 301
    W = np.diag(np.full(n, -0.5)) + np.diag(np.full(n - 1, 2.0 ** -30), 1)
    assert kc.weighted_rate(W, 1, "H", "l1", np.ones(n)) > Fraction(99, 100)


# -- 5. an internal error is never a verdict ------------------------------------------------------------------

def test_a_crash_exits_with_the_internal_error_code(monkeypatch, capsys, tmp_path):
    import certify.check

    def boom(*args, **kwargs):
        raise ZeroDivisionError("boom")
    monkeypatch.setattr(certify.check, "check_rule", boom)
    rule = tmp_path / "r.toml"
    rule.write_text('[rule]\ndW = "-W"\n')
    assert main(["check", str(rule)]) == ExitCode.INTERNAL_ERROR == 4
    assert "bug in certify" in capsys.readouterr().out
    assert main(["check", "--format", "json", str(rule)]) == 4
    doc = json.loads(capsys.readouterr().out)[0]   # check --format json is a list, one item per file
    assert doc["verdict"] == "error" and doc["kind"] == "internal"


def test_a_crash_in_any_subcommand_exits_4(monkeypatch, capsys):
    import certify.output.certificate
    monkeypatch.setattr(certify.output.certificate, "run_verify", lambda args: 1 / 0)
    assert main(["verify", "proofs"]) == 4
    assert "not in your file" in capsys.readouterr().err


def test_input_errors_keep_their_kind(capsys, tmp_path):
    rule = tmp_path / "r.toml"
    rule.write_text('[rule]\ndW = "-W +"\n')
    assert main(["check", "--format", "json", str(rule)]) == 2
    assert json.loads(capsys.readouterr().out)[0]["kind"] == "input"


# -- 6. the file verdict, the exit code and JUnit agree --------------------------------------------------------

BALANCING = """\
[rule]
dW = "(W*diag(g) - diag(g)*W)/tau"
[parameters]
tau = "> 0"
[balancing]
activation = "{act}"
[network]
activation = "{act}"
"""


@pytest.mark.parametrize("act, code", [("logistic", 1), ("tanh", 1), ("relu", 0)])
def test_a_refuted_declared_law_is_never_exit_0(act, code, tmp_path, capsys):
    rule = tmp_path / "b.toml"
    rule.write_text(BALANCING.format(act=act))
    junit = tmp_path / "j.xml"
    assert main(["check", "-q", "--junit-xml", str(junit), str(rule)]) == code
    capsys.readouterr()
    failures = int(ET.parse(junit).getroot().get("failures"))
    assert (failures > 0) == (code == 1)
    assert main(["check", "--format", "json", str(rule)]) == code
    assert json.loads(capsys.readouterr().out)[0]["verdict"] == ("refuted" if code else "certified")


def test_exploration_without_a_claim_reports_findings_without_failures(tmp_path, capsys):
    rule = tmp_path / "h.toml"
    rule.write_text('[rule]\ndW = "-gamma*W + k*r*r.T"\n[parameters]\ngamma = "> 0"\nk = "> 0"\n'
                    '[activity]\nr = [-1, 1]\n')
    junit = tmp_path / "j.xml"
    code = main(["check", "-q", "--junit-xml", str(junit), str(rule)])
    capsys.readouterr()
    root = ET.parse(junit).getroot()
    assert code == 0 and root.get("failures") == "0"
    assert any(tc.get("name") == "exploration" for tc in root.iter("testcase"))


def test_linear_rate_refuses_what_it_cannot_prove():
    # seen to refuse (the kernel recorder found linear_rate only ever accepting): l2 has no row-sum formula, and
    # weights must be positive, in the exact and the binary64 path alike
    with pytest.raises(KernelError):
        kc.linear_rate([[Fraction(1, 2)]], "l2")
    with pytest.raises(KernelError):
        kc.linear_rate([[Fraction(1, 2), 0], [0, 0]], "l1", [1, 0])
    with pytest.raises(KernelError):
        kc.linear_rate(np.eye(301) / 2, "linf", np.r_[np.ones(300), -1.0])
