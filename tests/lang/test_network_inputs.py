"""Issue 14's input items: a missing [network] data file is an input error whatever is asked (not only for
`contracting`), and `sigmoid` is accepted as `[network].activation` (the logistic function, slope bound 1/4)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from certify.check import check_rule
from certify.cli.main import main
from certify.errors import InputError
from certify.lang.network import network_of
from certify.lang.rule import Rule
from certify.verdict import Verdict

CLAIMS = [None, ("l2", "nonincreasing"), ("l1", "bounded"), ("linf", "nonincreasing"), ("l2", "contracting")]


def _rule_text(claim, data: str = 'W0 = "missing.npy"') -> str:
    text = f'[rule]\nname = "net"\ndW = "-W"\n[network]\nform = "FR"\nactivation = "tanh"\n{data}\n'
    if claim is not None:
        text += f'[claim]\nmeasure = "{claim[0]}"\nbound = "{claim[1]}"\n'
    return text


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: "explore" if c is None else " ".join(c))
def test_missing_W0_file_is_an_input_error_for_every_claim(tmp_path, claim):
    path = tmp_path / "rule.toml"
    path.write_text(_rule_text(claim))
    rule = Rule.from_file(path)
    with pytest.raises(InputError, match=r"cannot read W0 file .*missing\.npy") as info:
        check_rule(rule)
    assert info.value.symbol == "W0" and info.value.line == 7
    # a claim given on the call (the command line's --measure/--bound) is no different
    with pytest.raises(InputError, match="missing.npy"):
        check_rule(rule, measure="l2", bound="nonincreasing")


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: "explore" if c is None else " ".join(c))
def test_missing_W0_file_exits_2_on_the_command_line(tmp_path, capsys, claim):
    path = tmp_path / "rule.toml"
    path.write_text(_rule_text(claim))
    for command in (["check", str(path)], ["check", "--format", "json", str(path)], ["explain", str(path)]):
        assert main(command) == 2, command
        captured = capsys.readouterr()
        assert "missing.npy" in captured.err + captured.out


def test_missing_bias_file_is_an_input_error_for_a_flow_claim(tmp_path):
    path = tmp_path / "rule.toml"
    path.write_text(_rule_text(("l2", "nonincreasing"), 'W0 = [[0, 0.5], [0.5, 0]]\nbias = "nobias.npy"'))
    with pytest.raises(InputError, match="nobias.npy"):
        check_rule(Rule.from_file(path))


def test_present_W0_file_lets_a_flow_claim_be_decided(tmp_path):
    import numpy as np
    np.save(tmp_path / "W0.npy", np.array([[0.0, 0.5], [0.5, 0.0]]))
    path = tmp_path / "rule.toml"
    path.write_text(_rule_text(("l2", "nonincreasing"), 'W0 = "W0.npy"'))
    assert check_rule(Rule.from_file(path)).verdict is Verdict.CERTIFIED     # dW = -W: mu_2 decays as e^{-t}


def test_sigmoid_network_activation_is_the_logistic_function_end_to_end():
    """`activation = "sigmoid"` reads as `logistic` (slope bound 1/4) and is certified like it."""
    text = ('[rule]\nname = "net"\ndW = "0"\n[network]\nform = "FR"\nactivation = "{act}"\n'
            'W0 = [[0.5, 0], [0, 0.5]]\n[claim]\nbound = "contracting"\n')
    sig, logi = Rule.from_text(text.format(act="sigmoid")), Rule.from_text(text.format(act="logistic"))
    net = network_of(sig)
    assert net.activation == "logistic" and net.g == Fraction(1, 4)
    assert sig.hash == logi.hash                          # one canonical rule
    a, b = check_rule(sig).results[0], check_rule(logi).results[0]
    assert a.verdict is b.verdict is Verdict.CERTIFIED
    assert a.network.best.rate == b.network.best.rate == Fraction(7, 8)      # 1 - (1/4)(1/2)
