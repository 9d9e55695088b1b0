"""certify/sweep/condition.py: the check's symbolic condition as a tree, exact and float values, no eval."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from certify.sweep import condition as cond


def test_tree_round_trip_exact_and_float():
    k, g = sp.Symbol("k", real=True), sp.Symbol("gamma", real=True)
    tree = cond.to_tree(sp.Max(sp.Rational(1, 4), 2 * k / g) < 1)
    assert cond.symbols(tree) == {"k", "gamma"}
    assert cond.text(tree) == "max(1/4, 2*k/gamma) < 1"
    assert cond.holds(tree, {"k": Fraction(1, 3), "gamma": Fraction(1)}) is True
    assert cond.holds(tree, {"k": Fraction(1, 2), "gamma": Fraction(1)}) is False     # 2k/gamma = 1: on the boundary
    m = cond.margin(tree, {"k": np.array([0.0, 0.5, 1.0]), "gamma": np.array([1.0, 1.0, 1.0])})
    assert np.allclose(m, [0.75, 0.0, -1.0])


def test_unknown_functions_give_no_tree_and_missing_values_no_answer():
    x = sp.Symbol("x")
    assert cond.to_tree(sp.sin(x) < 1) is None
    assert cond.to_tree(sp.Float(0.5) * x < 1) is None       # floats are not exact: no curve
    tree = cond.to_tree(x ** 2 < 1)
    assert cond.holds(tree, {}) is None
    assert cond.holds(cond.to_tree(1 / x < 1), {"x": Fraction(0)}) is None


def test_greater_than_and_conjunctions():
    x, y = sp.symbols("x y")
    tree = cond.to_tree(sp.And(x > 1, y >= x))
    assert cond.holds(tree, {"x": Fraction(2), "y": Fraction(2)}) is True
    assert cond.holds(tree, {"x": Fraction(2), "y": Fraction(1)}) is False
    assert float(cond.margin(tree, {"x": 2.0, "y": 5.0})) == 1.0
