"""certify.families.robustness: measures before/after balancing and the noise experiment (Stock et al. 2022), with the
numbers documented in docs/balancing.md ("Robustness")."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from certify.cli import balance as balance_cli
from certify.families import robustness as rb
from certify.families.balancing import balance
from certify.errors import InputError
from certify.verdict import ExitCode

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@lru_cache(maxsize=None)
def documented():
    """The network of docs/balancing.md: imbalanced_network() (n = 40, spread 1, seed 0), default grid and seeds."""
    return rb.noise_experiment(rb.imbalanced_network())


def readout_network(a: float = 2.0, n: int = 40) -> rb.ReluNetwork:
    """Only the readout neuron 0 is imbalanced (large incoming, small outgoing weights), and y reads it alone."""
    h0 = np.full(n, -a / (n - 1))
    h0[0] = a
    base = rb.imbalanced_network(n, log_gains=h0)
    W_out = np.zeros((1, n))
    W_out[0, 0] = np.exp(-a)
    return rb.ReluNetwork(base.J, W_out, base.W_in, base.b)


@st.composite
def strongly_connected(draw):
    """Dense n x n matrices (every entry nonzero, so one strongly connected component: a balanced state exists)
    with hidden neuron gains e^{h0}, h0 in [-3, 3]."""
    n = draw(st.integers(2, 6))
    mags = np.array(draw(st.lists(st.floats(0.05, 5.0), min_size=n * n, max_size=n * n))).reshape(n, n)
    signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n * n, max_size=n * n))).reshape(n, n)
    h0 = np.array(draw(st.lists(st.floats(-3.0, 3.0), min_size=n, max_size=n)))
    e = np.exp(h0)
    return mags * signs * e[:, None] / e[None, :]


# ---------------------------------------------------------------------------------------------------
# measures


@settings(max_examples=30)
@given(J=strongly_connected())
def test_balancing_keeps_the_spectral_abscissa_and_lowers_the_frobenius_norm(J):
    m = rb.measures_before_after(J)
    scale = 1 + np.abs(J).max()
    assert m.spectral_abscissa_change <= 1e-9 * scale
    assert m.after["frobenius"] <= m.before["frobenius"] * (1 + 1e-12)
    # p = 2, alpha = 1: the cost the solver minimises is exactly ||J||_F^2 ...
    assert m.after["frobenius"] ** 2 == pytest.approx(m.result.cost_after, rel=1e-10)
    assert m.before["frobenius"] ** 2 == pytest.approx(m.result.cost_before, rel=1e-10)
    # ... and every norm stays above the (conserved) spectral radius
    rho = np.max(np.abs(np.linalg.eigvals(J)))
    for key in ("norm1", "norm2", "norminf", "frobenius"):
        assert m.after[key] >= rho * (1 - 1e-9)


@settings(max_examples=20)
@given(J=strongly_connected(), seed=st.integers(0, 2**32 - 1), size=st.floats(1e-3, 1.0))
def test_balanced_J_minimises_the_frobenius_norm_over_diagonal_rescalings(J, seed, size):
    Jb = balance(J, tol=1e-12).J
    d = np.exp(size * np.random.default_rng(seed).normal(size=J.shape[0]))
    other = Jb * d[None, :] / d[:, None]
    assert np.linalg.norm(other, "fro") >= np.linalg.norm(Jb, "fro") * (1 - 1e-12)


def test_documented_measures():
    m = documented().measures
    assert m.before["frobenius"] == pytest.approx(36.964, abs=1e-3)
    assert m.after["frobenius"] == pytest.approx(4.83004, abs=1e-5)
    assert m.before["mu2"] == pytest.approx(16.3995, abs=1e-4) and m.after["mu2"] == pytest.approx(1.16418, abs=1e-5)
    for key in ("mu1", "mu2", "muinf", "norm1", "norm2", "norminf"):
        assert m.after[key] < m.before[key]
    assert m.after["spectral_abscissa"] == pytest.approx(0.834944, abs=1e-6)
    assert m.spectral_abscissa_change < 1e-12
    assert "conserved" in m.table()


# ---------------------------------------------------------------------------------------------------
# the noise experiment


def test_noiseless_outputs_agree():
    assert documented().clean_difference <= 1e-8
    assert np.abs(documented().unbalanced.y_clean).max() > 0.1       # a real output, not zero
    twin, res = readout_network().balanced()
    assert res.converged
    clean = rb.output_error(readout_network(), [0.0], [0])
    assert np.max(np.abs(clean.y_clean - rb.output_error(twin, [0.0], [0]).y_clean)) <= 1e-8
    assert np.all(clean.error == 0.0)                                   # sigma = 0: no error at all


def test_balanced_network_is_more_robust_at_every_sigma():
    """docs/balancing.md: ratio balanced / unbalanced 0.274 at sigma = 1e-3 ... 0.289 at sigma = 1."""
    res = documented()
    assert np.allclose(res.sigmas, np.logspace(-3, 0, 7))
    assert np.all(res.balanced.error < res.unbalanced.error)
    assert np.all((0.25 < res.ratio) & (res.ratio < 0.32))
    assert res.ratio[0] == pytest.approx(0.274, abs=2e-3)
    assert res.unbalanced.per_seed.shape == (7, 10)


def test_error_is_linear_in_small_noise():
    """The same noise draws scaled by sigma: while few ReLUs switch, the error is proportional to sigma
    (to 0.2 % up to sigma = 0.03, then the nonlinearity shows: 7 % off at sigma = 1 unbalanced)."""
    for run in (documented().balanced, documented().unbalanced):
        err = run.error
        assert np.allclose(err[:4] / err[0], run.sigmas[:4] / run.sigmas[0], rtol=2e-3)
    err = documented().unbalanced.error
    assert abs(err[-1] / err[0] / 1000 - 1) > 0.05


def test_claim_fails_when_the_readout_neuron_is_the_imbalanced_one():
    """The counterexample of docs/balancing.md: balancing makes this network less robust at every sigma."""
    res = rb.noise_experiment(readout_network(), sigmas=[1e-3, 1e-1, 1.0], seeds=range(4))
    assert res.clean_difference <= 1e-8
    assert np.all(res.ratio > 1.5)
    assert res.measures.after["frobenius"] < res.measures.before["frobenius"]   # while the norms still drop


def test_the_answer_depends_on_the_gauge():
    """Scaling every neuron of the balanced twin by c keeps J and the output but multiplies the error by c
    (exactly for a linear network; here to 0.1 %, the noise being small)."""
    net = rb.imbalanced_network(n=12, seed=2)
    twin, _ = net.balanced()
    c = 3.0
    scaled = rb.ReluNetwork(twin.J, twin.W_out * c, twin.W_in / c, twin.b / c)
    base = rb.output_error(twin, [1e-3], range(3), t_end=8.0, t_burn=2.0)
    other = rb.output_error(scaled, [1e-3], range(3), t_end=8.0, t_burn=2.0)
    assert np.allclose(base.y_clean, other.y_clean, atol=1e-12)
    assert other.error[0] == pytest.approx(c * base.error[0], rel=1e-3)     # (a few ReLUs switch)
    assert other.error[0] > 2.9 * base.error[0]


def test_bad_arguments():
    net = rb.imbalanced_network(n=4)
    with pytest.raises(InputError, match="sigmas"):
        rb.output_error(net, [-0.1])
    with pytest.raises(InputError, match="seed"):
        rb.output_error(net, [0.1], [])
    with pytest.raises(InputError, match="t_burn"):
        rb.output_error(net, [0.1], t_end=1.0, t_burn=2.0)
    big = rb.ReluNetwork(np.zeros((rb.MAX_N + 1, rb.MAX_N + 1)), np.ones((1, rb.MAX_N + 1)))
    with pytest.raises(InputError, match="up to n"):
        rb.output_error(big, [0.1])
    with pytest.raises(InputError, match="log_gains"):
        rb.imbalanced_network(n=4, log_gains=[0.0, 1.0])


def test_figure_is_written(tmp_path):
    fig = rb.robustness_figure(documented())
    fig.savefig(tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:8] == PNG_MAGIC
    assert [line.get_label().split()[0] for line in fig.axes[0].get_lines()] == ["unbalanced", "balanced"]


# ---------------------------------------------------------------------------------------------------
# certify balance --robustness


def test_cli_robustness(tmp_path, capsys):
    net = rb.imbalanced_network()
    path = tmp_path / "net.npz"
    np.savez(path, J=net.J, W_in=net.W_in, W_out=net.W_out, b=net.b)
    plot = tmp_path / "rob.png"
    assert balance_cli.main([str(path), "--robustness", str(plot)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert plot.read_bytes()[:8] == PNG_MAGIC
    assert "0.001       0.00299     0.0008193    0.274" in out
    assert "noiseless outputs agree" in out and "(conserved)" in out
    assert balance_cli.main([str(path), "--robustness", str(tmp_path / "r.pdf")]) == ExitCode.OK   # PDF for papers
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    capsys.readouterr()
    assert balance_cli.main([str(path), "--robustness", str(tmp_path / "r.bmp")]) == ExitCode.USAGE_ERROR
    assert "--robustness" in capsys.readouterr().err


def test_cli_robustness_json_and_identity_readout(tmp_path, capsys):
    import json
    path = tmp_path / "J.npy"
    np.save(path, rb.imbalanced_network(n=8, seed=1).J)
    assert balance_cli.main([str(path), "--robustness", str(tmp_path / "r.svg"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["robustness"]
    assert data["readout"] == "identity" and data["input"] == "none" and len(data["ratio"]) == 7
    assert data["clean_difference"] <= 1e-8
    assert data["frobenius"][1] <= data["frobenius"][0]
    assert (tmp_path / "r.svg").read_text().lstrip().startswith("<?xml")


def test_cli_without_the_option_is_unchanged(tmp_path, capsys):
    path = tmp_path / "J.npy"
    np.save(path, rb.imbalanced_network(n=5).J)
    assert balance_cli.main([str(path), "--format", "json"]) == 0
    assert "robustness" not in capsys.readouterr().out
