"""Equilibria of tanh networks: numerical candidates in kernel-verified Krawczyk boxes, stability proved by the
kernel when it can be."""

from __future__ import annotations

import numpy as np

from certify.errors import KernelError
from certify.families.feedback import lyapunov_matrix
from certify.kernel import equilibria as keq
from certify.kernel import instability as kin
from certify.kernel.stability import verify_stable_equilibrium
from certify.search import equilibria as numeric
from certify.families.memory.dynamics import _floats
from certify.families.memory.report import Equilibrium
from certify.families.memory.stability import _numeric_abscissa


def _tanh_stable(Wq, bq, Wf: np.ndarray, x: np.ndarray, box, Y) -> str | None:
    """Ask the kernel (kernel/stability.py) to prove the tanh equilibrium in `box` locally exponentially stable,
    with a float Lyapunov matrix of the Jacobian at x and the Krawczyk preconditioner Y as untrusted data; the
    statement, or None."""
    J = -np.eye(len(x)) + Wf * (1.0 - np.tanh(x) ** 2)[None, :]
    try:
        P = lyapunov_matrix(J)
        return str(verify_stable_equilibrium(Wq, bq, "H", "tanh", box, P, preconditioner=Y))
    except (KernelError, ValueError, np.linalg.LinAlgError):
        return None


def _tanh_equilibria(Wq, bq, tau, starts: int, seed: int) -> list[Equilibrium]:
    """Numerical tanh equilibria; the kernel verifies a Krawczyk box around each; stability proved when
    possible (kernel/stability.py: a Lyapunov matrix over the box; kernel: an eigenvalue > 0), else undecided."""
    Wf, bf = _floats(Wq, bq)
    tf = np.array([float(t) for t in tau])
    out = []
    for x in numeric.find_equilibria(Wf, bf, "H", "tanh", starts=starts, seed=seed):
        box = None
        Y = numeric.preconditioner(Wf, bf, "H", "tanh", x)      # untrusted: the kernel checks the box with it
        for r in (1e-12, 1e-10, 1e-8, 1e-6):
            try:
                box = keq.verify_equilibrium_box(Wq, bq, "H", "tanh", [float(v) for v in x],
                                                 r * (1.0 + float(np.max(np.abs(x)))), preconditioner=Y)
                break
            except KernelError:
                continue
        if box is None:
            continue      # not verified: not reported as an equilibrium
        abscissa = _numeric_abscissa(Wf, x, tf, "tanh")
        lo, hi = box.lower(), box.upper()
        center = [(a + c) / 2 for a, c in zip(lo, hi)]
        radius = [(c - a) / 2 for a, c in zip(lo, hi)]
        stable = _tanh_stable(Wq, bq, Wf, np.asarray(x, dtype=float), box, Y)
        if stable is not None:
            st, why = "stable", f"kernel: {stable}"
        else:
            try:
                hints = numeric.unstable_brackets(Wf, bf, "H", "tanh", x)
                st, why = "unstable", str(kin.verify_unstable_equilibrium(Wq, bq, "H", "tanh", center, radius,
                                                                          eigenvalue=hints, preconditioner=Y))
            except KernelError:
                st, why = "undecided", f"not proved either way (numeric spectral abscissa {abscissa:.3g}, untrusted)"
        out.append(Equilibrium(tuple(float(v) for v in x), tuple(int(i) for i in np.flatnonzero(x > 0)), (),
                               st, why, box.describe(), abscissa, exact=False, box=(tuple(center), tuple(radius))))
    return out
