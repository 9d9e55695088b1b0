"""kernel/stability.py verify_measure_below: mu_P(W) < b, proved; never for b at or below the true measure."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from certify.errors import KernelError
from certify.kernel.stability import verify_measure_below
from certify.search.measures import mu2

from strategies import square_matrices


@settings(deadline=None)
@given(square_matrices(n_min=1, n_max=6, elements=st.floats(-3, 3)))
def test_measure_bound_is_proved_above_and_refused_below_the_true_value(W):
    m = mu2(W)
    above = Fraction(m) + Fraction(1, 10**6) * (1 + abs(Fraction(m)))
    assert verify_measure_below(W, None, above).jacobian == "exact"
    below = Fraction(m) - Fraction(1, 10**6) * (1 + abs(Fraction(m)))
    with pytest.raises(KernelError):
        verify_measure_below(W, None, below)


def test_weighted_measure_with_a_metric():
    """mu_2(W) = 2, but with P = diag(1, 64) mu_P(W) = mu_2(P^1/2 W P^-1/2) = mu_2([[0, 1/2], [0, 0]]) = 1/4."""
    W = np.array([[0.0, 4.0], [0.0, 0.0]])
    P = np.diag([1.0, 64.0])
    assert mu2(W) == pytest.approx(2.0)
    verify_measure_below(W, P, Fraction(3, 10))
    for bad in ((P, Fraction(1, 4)), (None, Fraction(3, 10))):   # the exact value itself; the plain l2 measure
        with pytest.raises(KernelError):
            verify_measure_below(W, *bad)
