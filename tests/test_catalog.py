"""Meta-tests over every rule of the built-in catalog (rules/*.toml).

- every file loads, round-trips through its canonical text, and has a stable hash;
- `check --expect` reproduces every documented verdict;
- every certified bound holds along simulated trajectories with random admissible activity;
- every counterexample really violates its claim when the flow is simulated from it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from certify.check import check_rule
from certify.kernel.intervals import INF
from certify.search.measures import mu
from certify.lang.rule import Rule
from certify.search.simulate import certified_bound, certified_quantity, simulate
from certify.verdict import Verdict

RULES = sorted((Path(__file__).resolve().parent.parent / "rules").glob("*.toml"))
IDS = [p.stem for p in RULES]


@lru_cache(maxsize=None)
def report(path: Path):
    return check_rule(Rule.from_file(path), expectations=True)


def test_catalog_is_not_empty():
    assert len(RULES) >= 10


@pytest.mark.parametrize("path", RULES, ids=IDS)
def test_round_trip(path):
    rule = Rule.from_file(path)
    again = Rule.from_text(rule.canonical_text())
    assert again == rule
    assert again.hash == rule.hash
    assert again.canonical_text() == rule.canonical_text()
    assert rule.reference or rule.name in ("fixed",)
    assert rule.expect or rule.law_expect, "every catalog rule documents its expected verdicts"


@pytest.mark.parametrize("path", RULES, ids=IDS)
def test_documented_verdicts_are_reproduced(path):
    rep = report(path)
    assert rep.mismatches == ()
    rule = Rule.from_file(path)
    documented = {(m, b) for m, b, _ in rule.expect}
    assert documented <= {(r.claim.measure, r.claim.bound) for r in rep.results}
    laws = {(sec, law) for sec, law, _ in rule.law_expect}
    assert laws <= {(r.section, r.law) for lr in rep.laws for r in lr.results}


def _sample(iv, rng, n=None):
    lo = -3.0 if iv.lo == -INF else float(iv.lo)
    hi = 3.0 if iv.hi == INF else float(iv.hi)
    if not iv.lo_closed:
        lo = lo + 1e-3 * max(1.0, hi - lo)
    if not iv.hi_closed:
        hi = hi - 1e-3 * max(1.0, hi - lo)
    return rng.uniform(lo, hi, size=n)


def _matrix(prop, n, rng):
    B = rng.normal(size=(n, n))
    return {"psd": B @ B.T, "nsd": -B @ B.T, "symmetric": B + B.T, "skew": B - B.T,
            "diagonal": np.diag(np.diag(B))}.get(prop, B)


CERTIFIED = [(p, i) for p in RULES for i, r in enumerate(report(p).results)
             if r.verdict is Verdict.CERTIFIED and r.certificate is not None]
REFUTED = [(p, i) for p in RULES for i, r in enumerate(report(p).results)
           if r.verdict is Verdict.REFUTED and r.refutation is not None]


@pytest.mark.parametrize("path, index", CERTIFIED,
                         ids=[f"{p.stem}-{report(p).results[i].claim.measure}-{report(p).results[i].claim.bound}"
                              for p, i in CERTIFIED])
@settings(max_examples=8)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5))
def test_certified_bound_holds_along_simulated_flows(path, index, seed, n):
    rule = Rule.from_file(path)
    cert = report(path).results[index].certificate
    rng = np.random.default_rng(seed)
    params = {k: float(_sample(r.interval, rng)) for k, r in rule.parameters}
    asm = rule.assumptions()
    segments = [{v: _sample(asm.activity_interval(v), rng, n) for v in rule.vectors} for _ in range(6)]
    matrices = {k: _matrix(p, n, rng) for k, p in rule.matrices}
    W0 = rng.normal(size=(n, n)) * 2
    t_end, dt = 3.0, 0.01
    times, traj = simulate(rule, W0, lambda t: segments[min(int(t / 0.5), 5)], params, t_end, dt,
                           matrices=matrices)
    bound = certified_bound(cert, params, n, W0, times)
    values = np.array([certified_quantity(cert, W) for W in traj])
    slack = 1e-6 * (1 + np.abs(bound))
    assert np.all(values <= bound + slack), f"max excess {np.max(values - bound)} with params {params}"


@pytest.mark.parametrize("path, index", REFUTED,
                         ids=[f"{p.stem}-{report(p).results[i].claim.measure}-{report(p).results[i].claim.bound}"
                              for p, i in REFUTED])
def test_counterexample_really_violates_its_claim(path, index):
    rule = Rule.from_file(path)
    res = report(path).results[index]
    w = res.refutation.witness
    params = {k: float(v) for k, v in w.parameters.items()}
    W0 = np.array([[float(x) for x in row] for row in w.W0])
    act = {k: np.array([float(x) for x in v]) for k, v in w.activity.items()}
    mats = {k: np.array([[float(x) for x in row] for row in m]) for k, m in w.matrices.items()}
    weighted = res.claim.measure.startswith("weighted-")
    norm = res.claim.measure.removeprefix("weighted-")
    if weighted:
        # every weighted measure is at least the spectral abscissa of the Metzler majorant (l1, linf)
        # or of the matrix itself (l2); check that with a few random weights
        rng = np.random.default_rng(0)
        h = 1e-3
        _, traj = simulate(rule, W0, lambda t: act, params, h, h, matrices=mats)
        for _ in range(5):
            eta = rng.uniform(0.2, 5, size=w.n)
            D = np.diag(eta)
            A = traj[-1] / h
            if norm == "linf":
                value = mu(np.linalg.inv(D) @ A @ D, "linf")
            elif norm == "l1":
                value = mu(D @ A @ np.linalg.inv(D), "l1")
            else:
                value = mu(D @ A @ np.linalg.inv(D), "l2")
            assert value > float(res.refutation.allowed) + 1e-6
        return
    if w.kind == "derivative":
        gamma = -_w_coefficient(rule, params, w.n)
        h = 1e-5
        _, traj = simulate(rule, W0, lambda t: act, params, h, h / 10, matrices=mats)
        mu0 = mu(W0, norm)
        rate = (mu(traj[-1], norm) - mu0) / h
        assert rate > -gamma * mu0 + 1e-3 * float(res.refutation.lower - res.refutation.allowed)
    else:
        _, traj = simulate(rule, W0, lambda t: act, params, 50.0, 0.5, matrices=mats)
        values = [mu(W, norm) for W in traj]
        assert values[-1] > values[0] + 10 and values[-1] > 1.9 * values[len(values) // 2] - 1


def _w_coefficient(rule, params, n):
    """The coefficient of W in dW (numerically: apply the flow to W = I with zero activity...)."""
    from certify.kernel.algebra import Normalizer
    from certify.kernel.lemmas import gamma_of
    import sympy as sp
    g = gamma_of(Normalizer(dict(rule.matrices)).nf(rule.dW))
    return -float(sp.sympify(g).subs({sp.Symbol(k, real=True): v for k, v in params.items()}))  # safe
