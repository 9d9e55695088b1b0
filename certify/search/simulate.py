"""Numeric simulation of weight flows (UNTRUSTED; for tests, plots and people, never for verdicts).

`FlowFunction(rule)` compiles dW/dt into a NumPy function of (W, activity, parameters) through the
kernel's normal form; `simulate` integrates it with classical Runge-Kutta under piecewise-constant
activity; `certified_bound` evaluates a certificate's inequality numerically so that tests can
check it along trajectories.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import sympy as sp

from certify.kernel.algebra import Normalizer
from certify.kernel.objects import N, Certificate
from certify.search.measures import induced_norm, mu
from certify.lang.rule import Rule

_ACT = {"tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "relu": lambda x: np.maximum(x, 0),
        "abs": np.abs}


class FlowFunction:
    def __init__(self, rule: Rule):
        self.rule = rule
        self.params = [k for k, _ in rule.parameters]
        self.symbols = [sp.Symbol(k, real=True) for k in self.params] + [N]
        nz = Normalizer(dict(rule.matrices))
        self._compiled: dict = {}
        self.terms = [(self._compile(c), w) for w, c in nz.nf(rule.dW).items()]

    def _compile(self, c):
        """A NumPy function of (parameters, n) for the scalar coefficient c, compiled once."""
        if c not in self._compiled:
            self._compiled[c] = sp.lambdify(self.symbols, c, "numpy")
        return self._compiled[c]

    def _atom(self, atom, env, n):
        tag = atom[0]
        if tag == "leaf":
            value = env[atom[1]]
            return value.T if atom[3] else value
        if tag == "diag":
            return np.diag(self._word(atom[1], env, n).ravel())
        if tag == "had":
            return self._word(atom[1], env, n) * self._word(atom[2], env, n)
        raise ValueError(f"unexpected atom {atom!r}")

    def _word(self, word, env, n):
        out = np.eye(n)
        for atom in word:
            if atom[0] == "fun":
                inner = np.zeros((n, 1))
                for w, c in atom[2]:
                    inner = inner + float(self._compile(c)(*self._vals)) * self._word(w, env, n)
                val = _ACT[atom[1]](inner)
                out = out @ (val.T if atom[3] else val)
            else:
                out = out @ self._atom(atom, env, n)
        return out

    def __call__(self, W: np.ndarray, activity: Mapping[str, np.ndarray], params: Mapping[str, float],
                 matrices: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        n = W.shape[0]
        env = {"W": W, **{k: np.asarray(v, float).reshape(n, 1) for k, v in activity.items()},
               **(matrices or {})}
        self._vals = [float(params[k]) for k in self.params] + [n]
        out = np.zeros((n, n))
        for f, word in self.terms:
            out = out + float(f(*self._vals)) * self._word(word, env, n)
        return out


def simulate(rule: Rule, W0: np.ndarray, activity: Callable[[float], Mapping[str, np.ndarray]],
             params: Mapping[str, float], t_end: float, dt: float = 1e-2,
             matrices: Mapping[str, np.ndarray] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """RK4 with the activity held at its value at the start of each step."""
    f = FlowFunction(rule)
    steps = int(round(t_end / dt))
    W = np.array(W0, float)
    times, traj = [0.0], [W.copy()]
    for i in range(steps):
        t = i * dt
        act = activity(t)
        k1 = f(W, act, params, matrices)
        k2 = f(W + dt / 2 * k1, act, params, matrices)
        k3 = f(W + dt / 2 * k2, act, params, matrices)
        k4 = f(W + dt * k3, act, params, matrices)
        W = W + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        times.append(t + dt)
        traj.append(W.copy())
    return np.array(times), traj


def certified_bound(cert: Certificate, params: Mapping[str, float], n: int, W0: np.ndarray,
                    t: np.ndarray) -> np.ndarray:
    """The certificate's right-hand side at times t (for the quantity `certified_quantity` measures)."""
    subs = {sp.Symbol(k, real=True): v for k, v in params.items()}
    subs[N] = n
    rate = float(sp.sympify(cert.gamma).subs(subs))  # safe: a kernel-built SymPy object
    beta = float(sp.sympify(cert.beta).subs(subs))   # safe: a kernel-built SymPy object
    norm = cert.norm
    start = induced_norm(W0, norm) if cert.route == "norm" else mu(W0, norm)
    if cert.positive_part:
        start, beta = max(start, 0.0), max(beta, 0.0)
    decay = np.exp(-rate * t)
    if cert.claim.bound == "nonincreasing":
        return decay * start
    return decay * start + (1 - decay) * beta / rate


def certified_quantity(cert: Certificate, W: np.ndarray) -> float:
    value = mu(W, cert.norm)
    return max(value, 0.0) if cert.positive_part else value
