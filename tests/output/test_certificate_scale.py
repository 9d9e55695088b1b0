"""Certificates of large and sparse networks: prove, verify, forgeries refused, and an oracle that shares no code with
the kernel (numpy / scipy.sparse measures of the Jacobians at slope vertices, numpy eigenvalues for start values)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sps

from certify.check import check_rule
from certify.cli.main import main
from certify.lang.matrix import DENSE_MAX_N
from certify.lang.rule import Rule


def _sparse_network(n: int, k: int = 6, seed: int = 0) -> sps.csr_matrix:
    rng = np.random.default_rng(seed)
    rows, cols = np.repeat(np.arange(n), k), rng.integers(0, n, size=n * k)
    A = sps.csr_matrix((rng.normal(size=n * k), (rows, cols)), shape=(n, n))
    A.sum_duplicates()
    return (A * (0.8 / abs(A).sum(axis=0).max())).tocsr()     # column sums < 1: weighted l1 contracts


RULE = '[rule]\nname = "sparse-net"\ndW = "0"\n[network]\nform = "H"\nactivation = "tanh"\nW0 = "W.npz"\n' \
       '[claim]\nmeasure = "l1"\nbound = "contracting"\n'


@pytest.fixture(scope="module")
def sparse_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("sparse")
    W = _sparse_network(DENSE_MAX_N + 500)
    sps.save_npz(root / "W.npz", W)
    (root / "r.toml").write_text(RULE)
    return root, W


def _measure_l1(A: sps.csr_matrix, eta: np.ndarray) -> float:
    """mu_{1,eta}(A) = max_j (a_jj + sum_{i != j} eta_i |a_ij| / eta_j), by scipy.sparse in floats."""
    diag = A.diagonal()
    off = abs(A - sps.diags(diag))
    return float(np.max(diag + (off.T @ eta) / eta))


def test_sparse_certificate_is_proved_verified_and_holds_at_every_sampled_slope(sparse_project, capsys):
    root, W = sparse_project
    assert main(["prove", str(root / "r.toml"), "--out", str(root / "proofs")]) == 0
    assert main(["verify", str(root / "proofs")]) == 0
    assert "rate" in (root / "proofs" / "sparse-net.json").read_text()
    rep = check_rule(Rule.from_file(root / "r.toml"))
    best = rep.results[0].network.best
    rate, eta = float(best.rate), np.asarray(best.data["eta_exact"], dtype=float)
    rng = np.random.default_rng(1)
    n = W.shape[0]
    # slopes in [0, 1] (tanh): the vertices are the extreme cases of the measure; sample 20 of them plus 0 and 1
    for d in [np.zeros(n), np.ones(n)] + [rng.integers(0, 2, size=n).astype(float) for _ in range(20)]:
        J = (-sps.identity(n) + W @ sps.diags(d)).tocsr()
        # float error of the oracle: n u times the entries' size, far below 1e-9
        assert _measure_l1(J, eta) <= -rate + 1e-9


def test_forged_sparse_certificates_are_refused(sparse_project, capsys):
    root, _ = sparse_project
    src = root / "proofs" / "sparse-net.json"
    if not src.exists():
        assert main(["prove", str(root / "r.toml"), "--out", str(root / "proofs")]) == 0
    text = src.read_text()
    doc = json.loads(text)

    def forged(mutate) -> int:
        d = json.loads(text)
        mutate(d)
        out = root / "forged"
        out.mkdir(exist_ok=True)
        (out / "sparse-net.json").write_text(json.dumps(d))
        return main(["verify", str(out)])

    def find(d, key):
        if isinstance(d, dict):
            if key in d:
                return d
            for v in d.values():
                r = find(v, key)
                if r is not None:
                    return r
        if isinstance(d, list):
            for v in d:
                r = find(v, key)
                if r is not None:
                    return r
        return None

    def smaller_weight(d):
        c = find(d, "eta")
        c["eta"][0] = str(Fraction(c["eta"][0]) / 1000)

    def better_rate(d):
        c = find(d, "eta")
        c["rate"] = str(Fraction(c["rate"]) + Fraction(1, 10))

    assert find(doc, "eta") is not None
    for mutate in (smaller_weight, better_rate):
        assert forged(mutate) != 0


@pytest.mark.parametrize("route", ["measure", "norm"])
def test_verified_start_value_of_a_large_plastic_network_bounds_the_true_one(tmp_path, route):
    """Oracle for the binary64 start value (n > EXACT_LIMIT): the certified m(0) is at least numpy's mu_2(W0) or
    ||W0||_2 (their error is about n u ||W0|| < 1e-13 here), and the decision is certified."""
    from certify.kernel import contraction as kc
    from certify.search.proposals import start_proposals
    n = kc.EXACT_LIMIT + 20
    W = np.random.default_rng(5).normal(size=(n, n)) / (4 * np.sqrt(n))
    m0 = kc._start_value(W, "l2", route, start_proposals(W, "l2", route))
    true = np.linalg.eigvalsh((W + W.T) / 2).max() if route == "measure" else np.linalg.norm(W, 2)
    assert float(m0) >= true - 1e-13
    assert float(m0) <= true + 1e-6 * (1 + abs(true))
    np.save(tmp_path / "W0.npy", W)
    (tmp_path / "r.toml").write_text('[rule]\nname = "p"\ndW = "-gamma*W - k*x*x.T"\n[parameters]\ngamma = [1, 2]\n'
                                     'k = "[0, 1/1000]"\n[activity]\nx = [-1, 1]\n[network]\nform = "H"\n'
                                     'activation = "linear"\nW0 = "W0.npy"\n[claim]\nmeasure = "l2"\n'
                                     'bound = "contracting"\n')
    assert check_rule(Rule.from_file(tmp_path / "r.toml")).verdict.value == "certified"
