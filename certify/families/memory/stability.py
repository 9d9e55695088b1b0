"""Stability of an exact equilibrium on its active set (and the adjacent pieces at the boundary), decided with the
kernel's exact tests (leading principal minors, LDL^T); the kernel's statements that a point is an equilibrium, or an unstable one."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Sequence

import numpy as np

from certify.errors import KernelError
from certify.kernel import equilibria as keq
from certify.kernel import instability as kin
from certify.kernel import exact
from certify.search import equilibria as numeric
from certify.families.memory.dynamics import hessian_diag
from certify.families.memory.equilibria import _fmpq_solve, _i_minus
from certify.families.memory.inputs import lagrangian_name


def _pd(M: list[list[Fraction]]) -> bool:
    return True if not M else exact.is_pd_exact(M)


def _psd(M: list[list[Fraction]]) -> bool:
    return True if not M else exact.is_psd_exact(M)


def _numeric_abscissa(Wf: np.ndarray, x: np.ndarray, tau: np.ndarray, lag: str) -> float:
    J = (-np.eye(x.size) + Wf * hessian_diag(x, lag)[None, :]) / tau[:, None]
    return float(np.max(np.linalg.eigvals(J).real))


def classify(W: list[list[Fraction]], x: Sequence[Fraction], lagrangian: str = "relu") -> tuple[str, str]:
    """(stability, reason) of the exact equilibrium x of the relu (or linear) network, decided exactly."""
    lag = lagrangian_name(lagrangian)
    n = len(W)
    if lag == "linear":
        S, Z = list(range(n)), []
    else:
        S = [i for i in range(n) if x[i] > 0]
        Z = [i for i in range(n) if x[i] == 0]
    if not Z:
        if _pd(_i_minus(W, S)):
            return "stable", (f"I - W_SS is positive definite (exact leading minors, S = {_set(S)}): the Jacobian "
                              "(-I + W diag(1_S))/tau has only negative eigenvalues (dead block: -1/tau)")
        return "unstable", (f"I - W_SS (S = {_set(S)}) is nonsingular but not positive definite (exact leading minors): "
                            "the Jacobian has a real eigenvalue > 0")
    big = S + Z
    if _pd(_i_minus(W, sorted(big))):
        return "stable", (f"boundary equilibrium (x_i = 0 for i in {_set(Z)}); I - W on S + Z = {_set(sorted(big))} "
                          "is positive definite (exact), so every adjacent piece is stable and relu(x*) is a strict "
                          "local minimum of the energy on p >= 0")
    pieces_regular = all(_fmpq_solve(_i_minus(W, sorted(S + list(A))), [Fraction(0)] * (len(S) + len(A)))
                         is not None for r in range(len(Z) + 1) for A in itertools.combinations(Z, r))
    if not _psd(_i_minus(W, S)) and pieces_regular:
        return "unstable", (f"boundary equilibrium (x_i = 0 for i in {_set(Z)}); I - W_SS is not positive "
                            "semi-definite (exact), every adjacent piece is nonsingular: the energy drops below "
                            "E(x*) arbitrarily close to the isolated x*")
    return "undecided", (f"boundary equilibrium (x_i = 0 for i in {_set(Z)}): the adjacent pieces do not agree "
                         "(not decided)")


def _set(idx: Sequence[int]) -> str:
    return "{" + ", ".join(str(i) for i in idx) + "}"


def _verify_point(Wq, bq, lag, x) -> str:
    try:
        return keq.verify_equilibrium_box(Wq, bq, "H", lag, x, 0).statement
    except KernelError as err:   # pragma: no cover - the enumeration checks the same equations
        return f"kernel did not verify: {err}"


def _unstable_statement(Wq, bq, lag, x) -> str:
    try:
        # untrusted brackets from the float spectrum; the kernel proves a sign change on one (or uses Routh)
        hints = numeric.unstable_brackets([[float(v) for v in r] for r in Wq], [float(v) for v in bq], "H", lag, x)
        return str(kin.verify_unstable_equilibrium(Wq, bq, "H", lag, x, 0, eigenvalue=hints))
    except KernelError as err:
        return f"(kernel unstable-equilibrium check not completed: {err})"
