"""Reading a dense associative memory: the Lagrangian's name, W (exactly symmetric) and b, time constants, and the
two-layer network as the one-layer form."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from certify.errors import InputError
from certify.kernel import exact


LAGRANGIANS = ("relu", "tanh", "linear")


ALIASES = {"logcosh": "tanh", "log-cosh": "tanh", "quadratic": "linear", "identity": "linear"}


def lagrangian_name(name: str) -> str:
    """The canonical Lagrangian name ("relu", "tanh" = log cosh, "linear" = x^2/2), or InputError."""
    key = ALIASES.get(str(name), str(name))
    if key not in LAGRANGIANS:
        raise InputError(f"unknown Lagrangian / activation {name!r}", symbol="lagrangian",
                         hint="use relu (L = 1/2 relu^2), tanh (L = log cosh) or linear (L = x^2/2)")
    return key


def read_network(W: object, b: object = None) -> tuple[list[list[Fraction]], list[Fraction]]:
    """W (square, exactly symmetric) and b as exact rationals; b defaults to zero. InputError otherwise."""
    Wq = exact.to_fraction_matrix(W, "W")
    n = len(Wq)
    if n == 0 or any(len(r) != n for r in Wq):
        raise InputError(f"W must be a non-empty square matrix, got {n} row(s)", symbol="W",
                         hint="give n rows of n numbers")
    for i in range(n):
        for j in range(i + 1, n):
            if Wq[i][j] != Wq[j][i]:
                raise InputError(f"W must be symmetric (the energy needs W = W^T): entry ({i}, {j}) = {Wq[i][j]} "
                                 f"but entry ({j}, {i}) = {Wq[j][i]}", symbol="W",
                                 hint="use (W + W^T) / 2, or a Hebbian sum of outer products of stored patterns")
    bq = [Fraction(0)] * n if b is None else exact.to_fraction_vector(b, "b")
    if len(bq) != n:
        raise InputError(f"b has {len(bq)} entries but W is {n} x {n}", symbol="b", hint="one bias per neuron")
    return Wq, bq


def read_tau(tau: object, n: int) -> list[Fraction]:
    """Time constants: one positive number for all neurons, or n of them (exact)."""
    if isinstance(tau, (list, tuple, np.ndarray)):
        t = exact.to_fraction_vector(tau, "tau")
    else:
        t = [exact.to_fraction(tau, "tau")] * n
    if len(t) != n or any(x <= 0 for x in t):
        raise InputError("tau must be a positive number or n positive numbers", symbol="tau",
                         hint="e.g. tau = 1, or one time constant per neuron")
    return t


def two_layer(xi: object, b_v: object = None, b_h: object = None) -> tuple[list[list[Fraction]], list[Fraction]]:
    """The two-layer network  tau_v v' = xi g(h) - v + b_v,  tau_h h' = xi^T g(v) - h + b_h  (xi: N_v x N_h,
    Krotov & Hopfield 2021) as the one-layer form x = (v, h), W = [[0, xi], [xi^T, 0]], b = (b_v, b_h).
    Its energy is the one-layer E with this W (the cross term -g_h^T xi^T g_v appears once: -1/2 g^T W g)."""
    X = exact.to_fraction_matrix(xi, "xi")
    nv = len(X)
    nh = len(X[0]) if X else 0
    if nv == 0 or nh == 0:
        raise InputError("xi must be a non-empty N_v x N_h matrix", symbol="xi")
    bv = [Fraction(0)] * nv if b_v is None else exact.to_fraction_vector(b_v, "b_v")
    bh = [Fraction(0)] * nh if b_h is None else exact.to_fraction_vector(b_h, "b_h")
    if len(bv) != nv or len(bh) != nh:
        raise InputError(f"b_v needs {nv} entries and b_h {nh}", symbol="b_v")
    z = Fraction(0)
    W = [[z] * nv + list(X[i]) for i in range(nv)] + [[X[i][j] for i in range(nv)] + [z] * nh for j in range(nh)]
    return W, bv + bh
