"""Hebbian sequence couplings (Jiang, Chen, Hou & Huang, Phys Rev Research 5:013090, 2023) and the catalog
instances rules/hebbian-sequence-*.toml: J = sum_d c_d (1/N) sum_mu xi^(mu+d) xi^(mu)^T. Floating point (numpy)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from certify.errors import InputError

#: the catalog instances rules/hebbian-sequence-*.toml (examples/sequence_network.py --write-catalog).
#: N = 64 keeps 1/N and the c_d binary fractions, so every coupling is an exact binary64 number.
CATALOG: dict[str, dict[str, Any]] = {
    "hebbian-sequence-weak": {"N": 64, "P": 5, "seed": 2023, "lags": {1: 0.5}, "cyclic": True},
    "hebbian-sequence-open": {"N": 64, "P": 5, "seed": 2023, "lags": {1: 1.5}, "cyclic": False},
    "hebbian-sequence-strong": {"N": 64, "P": 5, "seed": 2023, "lags": {0: 0.5, 1: 0.75}, "cyclic": True},
}


def random_patterns(N: int, P: int, seed: int) -> np.ndarray:
    """P patterns of N entries +-1 (a P x N float array, row mu is xi^mu), drawn as
    numpy.random.default_rng(seed).choice([-1.0, 1.0], size=(P, N))."""
    for name, v in (("N", N), ("P", P), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise InputError(f"random_patterns: argument {name!r} must be an integer, got {v!r}", symbol=name)
    if N < 1 or P < 1 or seed < 0:
        raise InputError(f"random_patterns: need N >= 1, P >= 1 and seed >= 0; got N = {N}, P = {P}, seed = {seed}",
                         symbol="N" if N < 1 else "P" if P < 1 else "seed")
    return np.random.default_rng(int(seed)).choice(np.array([-1.0, 1.0]), size=(int(P), int(N)))


def _patterns(patterns: Any) -> np.ndarray:
    if isinstance(patterns, tuple) and len(patterns) == 3 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in patterns):
        return random_patterns(*patterns)
    try:
        xi = np.array(patterns, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("sequence_couplings: 'patterns' must be a P x N array of numbers or a tuple (N, P, seed)",
                         symbol="patterns") from None
    if xi.ndim != 2 or xi.size == 0:
        raise InputError(f"sequence_couplings: 'patterns' must be a non-empty P x N array (row mu = pattern mu); "
                         f"got shape {xi.shape}", symbol="patterns",
                         hint="or pass (N, P, seed) for random +-1 patterns")
    if not np.all(np.isfinite(xi)):
        raise InputError("sequence_couplings: 'patterns' has NaN or infinite entries", symbol="patterns")
    return xi


def _lags(lags: Mapping[int, Any] | None) -> dict[int, float]:
    if lags is None:
        return {1: 1.0}
    if not isinstance(lags, Mapping) or not lags:
        raise InputError("sequence_couplings: 'lags' must be a non-empty mapping {d: c_d}", symbol="lags",
                         hint="e.g. lags={1: 0.5} (forward lag 1) or {0: 0.5, 1: 0.75}")
    out = {}
    for d, c in lags.items():
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise InputError(f"sequence_couplings: lag {d!r} must be an integer", symbol="lags")
        try:
            cf = float(Fraction(c)) if isinstance(c, str) else float(c)
        except (TypeError, ValueError):
            raise InputError(f"sequence_couplings: the coefficient of lag {d} must be a number, got {c!r}",
                             symbol="lags") from None
        if not math.isfinite(cf):
            raise InputError(f"sequence_couplings: the coefficient of lag {d} is not finite", symbol="lags")
        out[int(d)] = cf
    return out


def lag_matrix(P: int, lags: Mapping[int, Any] | None = None, cyclic: bool = True) -> np.ndarray:
    """S (P x P) with S[nu, mu] = sum of c_d over the lags d with nu = mu + d (mod P when cyclic; otherwise
    only 0 <= mu + d < P), so that J = Xi^T S Xi / N for the P x N pattern matrix Xi."""
    S = np.zeros((P, P))
    for d, c in _lags(lags).items():
        for mu in range(P):
            nu = mu + d
            if cyclic:
                nu %= P
            elif not 0 <= nu < P:
                continue
            S[nu, mu] += c
    return S


def sequence_couplings(patterns: Any, lags: Mapping[int, Any] | None = None, cyclic: bool = True) -> np.ndarray:
    """J = sum_d c_d (1/N) sum_mu xi^(mu+d) xi^(mu)^T, an N x N float64 array (J_ij: from neuron j to i).

    patterns: a P x N array (row mu is xi^mu) or a tuple (N, P, seed) for `random_patterns(N, P, seed)`.
    lags: {d: c_d} with integer lags d (default {1: 1}: each pattern drives the next). cyclic: indices mu + d
    taken mod P (a closed sequence, the last pattern drives the first); otherwise terms with mu + d outside
    0..P-1 are left out (an open chain). Floating point; exact whenever every c_d * (integer <= P) / N is a
    binary64 number (e.g. N a power of two and c_d short binary fractions), as in CATALOG."""
    xi = _patterns(patterns)
    P, N = xi.shape
    S = lag_matrix(P, lags, cyclic)
    return (xi.T @ (S @ xi)) / N


def catalog_couplings(name: str) -> np.ndarray:
    """The couplings of a catalog instance (CATALOG[name])."""
    if name not in CATALOG:
        raise InputError(f"unknown catalog instance {name!r}", symbol="name", hint=f"one of: {', '.join(CATALOG)}")
    spec = CATALOG[name]
    return sequence_couplings((spec["N"], spec["P"], spec["seed"]), spec["lags"], spec["cyclic"])
