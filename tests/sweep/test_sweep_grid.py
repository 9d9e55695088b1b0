"""certify/sweep/grid.py: --param specs read as exact rationals, with clear input errors."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sweep_faults import RULE

from certify.errors import InputError
from certify.sweep.driver import tasks_for
from certify.sweep.grid import Grid, parse_param


def test_lo_hi_count_gives_exact_evenly_spaced_values():
    spec = parse_param("k=0:1:3")
    assert spec.name == "k" and spec.values == (Fraction(0), Fraction(1, 2), Fraction(1))
    assert parse_param("g=1/20:2:40").values[1] == Fraction(1, 20) + Fraction(39, 20) / 39
    assert parse_param("g=0.1:0.3:3").values == (Fraction(1, 10), Fraction(1, 5), Fraction(3, 10))   # no 0.30000004
    assert parse_param("g=1e-3:1e-3:1").values == (Fraction(1, 1000),)
    assert parse_param("gamma=1/2,1,2").values == (Fraction(1, 2), Fraction(1), Fraction(2))


def test_grid_order_first_parameter_slowest():
    grid = Grid.parse(["k=0:1:3", "gamma=1,2"])
    assert grid.shape == (3, 2) and grid.size == 6
    pts = grid.points()
    assert [p.index for p in pts] == list(range(6))
    assert pts[3].texts() == {"k": "1/2", "gamma": "2"}
    assert grid.describe() == [["k", ["0", "1/2", "1"]], ["gamma", ["1", "2"]]]


@pytest.mark.parametrize("text, words", [
    ("k", "expected NAME=LO:HI:COUNT"),
    ("1k=0:1:2", "is not a parameter name"),
    ("k=0:1", "has 2 parts"),
    ("k=0:1:2:3", "has 4 parts"),
    ("k=0:1:0", "not between 1 and"),
    ("k=0:1:-2", "not a positive whole number"),
    ("k=0:1:2.5", "not a positive whole number"),
    ("k=a:1:2", "'a' is not a number"),
    ("k=2:1:3", "LO 2 is above HI 1"),
    ("k=0:1:1", "ambiguous"),
    ("k=1:1:3", "repeat one value"),
    ("k=", "no value given"),
    ("k=1,,2", "an empty value"),
    ("k=1,1", "listed twice"),
    ("k=1/0:1:2", "zero denominator"),
    ("k=nan:1:2", "is not a number"),
    ("k=inf:1:2", "is not a number"),
    ("k=1e999:1e999:1", "exponent"),
    ("k=__import__('os').system('true'):1:2", "is not a number"),
    ("k=0:1:99999999", "not between 1 and"),
])
def test_bad_specs_are_input_errors_saying_why(text, words):
    with pytest.raises(InputError) as info:
        parse_param(text)
    assert words in str(info.value)
    assert "NAME=LO:HI:COUNT" in str(info.value) or info.value.hint


def test_a_parameter_given_twice_is_an_input_error():
    with pytest.raises(InputError, match="given twice"):
        Grid.parse(["k=0:1:2", "k=1,2"])


def test_an_undeclared_name_is_named_with_the_declared_ones():
    with pytest.raises(InputError) as info:
        tasks_for(RULE, ["gama=1:2:2"])
    msg = str(info.value)
    assert "no parameter 'gama'" in msg and "declared parameters: gamma, k" in msg and "did you mean 'gamma'" in msg


def test_a_value_outside_the_declared_range_is_an_input_error():
    with pytest.raises(InputError, match=r"the value 0 lies outside the range > 0 declared for 'gamma'"):
        tasks_for(RULE, ["gamma=0:1:3"])


def test_a_grid_too_large_is_refused_before_anything_runs():
    with pytest.raises(InputError, match="points; at most"):
        Grid.parse(["a=0:1:10000", "b=0:1:10000"])
