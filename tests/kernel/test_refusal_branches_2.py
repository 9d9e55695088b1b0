"""More kernel refusal branches driven through the kernel's public signature by realistic malformed or false inputs
(the ones tests/kernel/test_refusal_coverage.py listed as "not yet driven"); each message starts with the name of the
check that refused."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp

import certify.kernel as k
from certify.kernel.intervals import INF, Interval
from certify.kernel.objects import N, Assumptions, Claim, FlowProof, Use

W = sp.MatrixSymbol("W", N, N)
r = sp.MatrixSymbol("r", N, 1)
gamma, c = sp.symbols("gamma c", real=True)
POSITIVE = Interval(F(0), INF, False, False)     # (0, oo): the third argument is lo_closed
UNIT = Interval(F(-1), F(1))


def refuses(prefix: str, fn, *args, **kwargs) -> None:
    with pytest.raises(k.KernelError) as err:
        fn(*args, **kwargs)
    assert str(err.value).startswith(prefix), str(err.value)


# -- energy descent and the strict Lyapunov function -------------------------------------------------------------

def _energy():
    x, b, g = (sp.MatrixSymbol(name, N, 1) for name in ("x", "b", "g"))
    L = sp.MatrixSymbol("L", 1, 1)
    return (x - b).T * g - L - sp.Rational(1, 2) * g.T * W * g


def test_strict_lyapunov_refusals():
    Z = sp.ZeroMatrix(N, N)
    relu = k.check_energy_descent("relu", _energy(), "scalar", Z, {})
    diagonal = k.check_energy_descent("relu", _energy(), "diagonal", Z, {})
    W0 = [[0, F(1, 4)], [F(1, 4), 0]]
    # a certificate of another Lagrangian (or another law) is not this energy's
    refuses("check_strict_lyapunov: the strict Lyapunov law needs", k.check_strict_lyapunov, relu, "softplus", W0, 1,
            1, F(1, 2))
    lax = k.check_lax_flow((W * sp.DiagMatrix(r) - sp.DiagMatrix(r) * W) / gamma, {}, "r", gamma, POSITIVE)
    refuses("check_strict_lyapunov: the strict Lyapunov law needs", k.check_strict_lyapunov, lax, "relu", W0, 1, 1,
            F(1, 2))
    # declared diagonal time constants, or a tau_min other than the unit time constants of form H
    refuses("check_strict_lyapunov: the bound needs T", k.check_strict_lyapunov, diagonal, "relu", W0, 1, 1, F(1, 2))
    refuses("check_strict_lyapunov: the bound needs T", k.check_strict_lyapunov, relu, "relu", W0, 2, 1, F(1, 2))
    refuses("check_strict_lyapunov: W0 is not symmetric", k.check_strict_lyapunov, relu, "relu",
            [[0, F(1, 4)], [0, 0]], 1, 1, F(1, 2))
    refuses("check_strict_lyapunov: tau_min, kappa", k.check_strict_lyapunov, relu, "relu", W0, 1, 0, F(1, 2))
    refuses("check_strict_lyapunov: tau_min, kappa", k.check_strict_lyapunov, relu, "relu", W0, 1, 1, 0)
    # kappa^2 |W|_F^2 = 100 * 1/8 > 4 (10 - 1/2)? no: 12.5 <= 38; a large W breaks it
    refuses("check_strict_lyapunov: kappa^2", k.check_strict_lyapunov, relu, "relu", [[0, 5], [5, 0]], 1, 1,
            F(1, 2))
    assert k.check_strict_lyapunov(relu, "relu", W0, 1, 1, F(1, 2)).law == "strict-lyapunov"


def test_law_certificate_of_another_flow():
    """A Lax certificate is about one flow: presenting it for another (or a cost-descent one) is refused."""
    lax = k.check_lax_flow((W * sp.DiagMatrix(r) - sp.DiagMatrix(r) * W) / gamma, {}, "r", gamma, POSITIVE)
    refuses("require: the spectrum law needs", k.check_spectrum, 2 * W, {}, lax)
    cost = k.check_cost_descent(POSITIVE, POSITIVE)
    refuses("require: the spectrum law needs", k.check_spectrum,
            (W * sp.DiagMatrix(r) - sp.DiagMatrix(r) * W) / gamma, {}, cost)


# -- float data on the binary64 paths ---------------------------------------------------------------------------

def test_float_path_data_refusals():
    n = 41
    If = np.eye(n)
    # P given as exact rationals binary64 cannot hold, on the verified path (n > 40)
    refuses("float_array: P has entries that are not binary64", k.check_lmi, np.zeros((n, n)), 1, "H",
            [[F(1, 5) * (i == j) for j in range(n)] for i in range(n)], np.ones(n), F(1, 2))
    # weights whose weighted row sums overflow binary64 (n > 300: the rigorous float bound)
    m = 301
    big = np.full((m, m), 1e308)
    with np.errstate(over="ignore"):
        refuses("weighted_rate: overflow", k.weighted_rate, big, 1, "H", "linf", np.ones(m))
        refuses("weighted_rate: overflow", k.linear_rate, big, "l1", np.ones(m))
    del If


# -- plastic networks --------------------------------------------------------------------------------------------

ASM = Assumptions({"gamma": POSITIVE, "c": Interval(F(0), F(1))}, {"r": UNIT}, {})
BOUNDED = Claim("linf", "bounded")
L2N = Claim("l2", "bounded")


def _outer(norm="linf", g=gamma):
    return FlowProof("measure", norm, g, (), (Use.of("outer-bound", c=c, u=r, v=r),))


def test_plastic_refusals():
    dW = -gamma * W + c * r * r.T
    W0 = [[F(1, 10), 0], [0, 0]]
    # gamma in (0, oo): beta / gamma = c n / gamma is unbounded as gamma -> 0
    refuses("check_plastic: the drive bound over the decay rate is unbounded", k.check_plastic, dW, ASM, BOUNDED,
            _outer(), W0, "FR", 1, False)
    # gamma in [1, 2], c in [0, 1]: m_inf = c n / gamma <= 2 (n = 2), g m_inf = 2 >= 1
    asm = Assumptions({"gamma": Interval(F(1), F(2)), "c": Interval(F(0), F(1))}, {"r": UNIT}, {})
    refuses("check_plastic: the asymptotic bound", k.check_plastic, dW, asm, BOUNDED, _outer(), W0, "FR", 1, False)
    # the l2 norm route on an exact W0: no proposed bound holds (||W0|| = 1/10 > 1/20)
    refuses("start_value: none of the 1 proposed bounds", k.check_plastic, dW, asm, L2N,
            FlowProof("norm", "l2", gamma, (), (Use.of("outer-bound", c=c, u=r, v=r),)), W0, "H", 1, False,
            [F(1, 20)])


def test_plastic_decay_rate_without_a_positive_lower_bound():
    """No drive (beta = 0) and gamma in (0, oo): the asymptotic bound is 0, but mu_inf(W0) = 2 needs a finite onset
    time, and gamma has no positive lower bound to give one."""
    refuses("check_plastic: the decay rate has no positive lower bound", k.check_plastic, -gamma * W, ASM, BOUNDED,
            FlowProof("measure", "linf", gamma, (), ()), [[2, 0], [0, 0]], "FR", 1, False)


# -- the input-output refutation of balancing --------------------------------------------------------------------

def test_io_refutation_with_outputs_that_do_not_differ():
    """A readout c = 0 sees neither equilibrium: both verified boxes give the output 0, so nothing is refuted."""
    from certify.search.equilibria import preconditioner
    J = [[F(0), F(1, 2)], [F(1, 32), F(0)]]
    u, d = [F(1), F(1)], [F(2), F(1, 2)]
    Jt = [[J[i][j] * d[j] / d[i] for j in range(2)] for i in range(2)]
    ut = [u[i] / d[i] for i in range(2)]

    def center(M, v):
        Mf, vf, x = np.array(M, dtype=float), np.array(v, dtype=float), np.zeros(2)
        for _ in range(200):
            x = Mf @ np.tanh(x) + vf
        return [F(float(t)) for t in x]
    c1, c2 = center(J, u), center(Jt, ut)
    Ys = (preconditioner(J, u, "H", "tanh", c1), preconditioner(Jt, ut, "H", "tanh", c2))
    refuses("check_io_refutation: the two steady outputs are not separated", k.check_io_refutation, "tanh", 2, J, u,
            [0, 0], d, centers=(c1, c2), radius=F(1, 10 ** 6), preconditioners=Ys)
    assert k.check_io_refutation("tanh", 2, J, u, [1, 0], d, centers=(c1, c2), radius=F(1, 10 ** 6),
                                 preconditioners=Ys).activation == "tanh"
