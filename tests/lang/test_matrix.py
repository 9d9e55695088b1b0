"""W0 kept exactly however it arrives: float64 / integer / bool arrays, rows of rationals, scipy.sparse (lang/matrix.py,
lang/datafiles.py load_sparse, and numpy arrays through the Python API)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sps
from hypothesis import given

from certify.errors import InputError
from certify.lang.matrix import ExactMatrix
from certify.lang.network import load_matrix, network_of
from certify.lang.rule import Rule
from tests.strategies import square_matrices


@given(square_matrices(n_min=1, n_max=5))
def test_array_and_rows_are_the_same_exact_matrix(W):
    a = ExactMatrix.from_array(W)
    r = ExactMatrix.from_rows([[Fraction(x) for x in row] for row in W.tolist()])
    s = ExactMatrix.from_sparse(sps.csr_matrix(W))
    assert a == r and a.digest() == r.digest() and a.rows == r.rows == s.rows
    assert np.array_equal(r.exact_array(), W) and np.array_equal(a.kernel_input(), W)


def test_large_integers_are_not_rounded():
    W = np.array([[2**60 + 1, 0], [0, 1]], dtype=np.int64)
    m = ExactMatrix.from_array(W)
    assert m.rows[0][0] == 2**60 + 1 and m.exact_array() is None
    assert isinstance(m.kernel_input(), list)
    assert ExactMatrix.from_array(np.eye(2, dtype=bool)).rows == ((1, 0), (0, 1))


def test_an_exact_array_is_read_only():
    m = ExactMatrix.from_array(np.eye(3))
    with pytest.raises(ValueError):
        m.exact_array()[0, 0] = 5.0
    assert m.float_array().flags.writeable


def test_rationals_that_are_not_binary64_stay_rows():
    m = ExactMatrix.from_rows([[Fraction(1, 5), 0], [0, 1]])
    assert m.exact_array() is None and m.kernel_input() == [[Fraction(1, 5), 0], [0, 1]]
    assert m.float_array()[0, 0] == 0.2


def _rule(tmp_path, w0: str) -> Rule:
    (tmp_path / "r.toml").write_text(f'[rule]\nname = "x"\ndW = "0"\n[network]\nform = "H"\nactivation = "tanh"\n'
                                     f'W0 = "{w0}"\n')
    return Rule.from_file(tmp_path / "r.toml")


def test_sparse_npz_w0_loads_sparse(tmp_path):
    W = sps.random(50, 50, density=0.1, random_state=1, format="csr")
    sps.save_npz(tmp_path / "W.npz", W)
    net = network_of(_rule(tmp_path, "W.npz"))
    assert net.W0.is_sparse and net.n == 50
    assert np.array_equal(net.W0.exact_array(), W.toarray())
    sps.save_npz(tmp_path / "C.npz", W.tocsc())
    assert load_matrix(tmp_path / "C.npz", None) == net.W0


@pytest.mark.parametrize("damage,words", [
    (lambda d: d.update(indptr=d["indptr"][:-1]), "inconsistent"),
    (lambda d: d.update(indices=d["indices"] + 1000), "column indices outside"),
    (lambda d: d.update(shape=np.array([50, 49])), "not square"),
    (lambda d: d.update(format=np.array(b"coo")), "csr and csc are read"),
    (lambda d: d.pop("indices"), "missing indices"),
    (lambda d: d.update(data=d["data"].astype(np.complex128)), "complex"),
    (lambda d: d.update(data=np.where(np.arange(len(d["data"])) == 0, np.nan, d["data"])), "NaN"),
])
def test_damaged_sparse_files_are_input_errors(tmp_path, damage, words):
    W = sps.random(50, 50, density=0.1, random_state=1, format="csr")
    arrays = {"format": np.array(b"csr"), "shape": np.array(W.shape), "data": W.data, "indices": W.indices,
              "indptr": W.indptr}
    damage(arrays)
    np.savez(tmp_path / "W.npz", **arrays)
    with pytest.raises(InputError, match=words) as info:
        network_of(_rule(tmp_path, "W.npz"))
    assert info.value.symbol == "W0"


def test_numpy_w0_through_the_api_is_exact_and_matches_the_file(tmp_path):
    """The same binary64 matrix from a .npy file and as an array in Rule.create decides the same way, with the same
    rate (floats are not passed through decimal text)."""
    from certify.check import check_rule
    rng = np.random.default_rng(0)
    W = rng.normal(size=(12, 12))
    W = 0.7 * W / np.abs(W).sum(axis=1).max()
    np.save(tmp_path / "W.npy", W)
    from_file = check_rule(_rule(tmp_path, "W.npy"), measure="l1", bound="contracting")
    api = check_rule(Rule.create("0", name="x", network={"form": "H", "activation": "tanh", "W0": W}),
                     measure="l1", bound="contracting")
    assert from_file.verdict.value == "certified"
    assert from_file.verdict == api.verdict
    assert [r.network.best.rate for r in from_file.results] == [r.network.best.rate for r in api.results]


@pytest.mark.parametrize("bad,words", [(np.ones((2, 3)), "not square"), (np.array([[np.inf]]), "finite"),
                                      (np.ones((2, 2), dtype=complex), "complex"), (np.ones(3), "2-D")])
def test_bad_api_arrays_are_input_errors(bad, words):
    with pytest.raises(InputError, match=words) as info:
        Rule.create("0", network={"form": "H", "activation": "tanh", "W0": bad})
    assert info.value.symbol == "W0"


def test_api_rule_hash_follows_the_entries():
    a = Rule.create("0", network={"form": "H", "activation": "tanh", "W0": np.eye(2) / 2})
    b = Rule.create("0", network={"form": "H", "activation": "tanh", "W0": np.eye(2) / 4})
    assert a.hash != b.hash and "sha256" in a.canonical_text()
