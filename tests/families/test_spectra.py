"""certify.families.spectra and `certify spectrum`: Hebbian sequence couplings against their definition, every spectral
quantity against NumPy, soundness of every kernel-labelled number, the catalog instances' real numbers and
verdicts, and the command line."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from certify.families import spectra
from certify.errors import InputError
from certify.search.measures import mu1_weighted, mu2_weighted, muinf_weighted
from certify.cli.main import main as certify_main
from certify.cli.spectrum import add_parser, run
from tests.strategies import floats, square_matrices


def main(argv):
    """`certify spectrum ARGV...` in-process."""
    return certify_main(["spectrum", *argv])


ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


def explicit_double_sum(xi: np.ndarray, lags: dict, cyclic: bool) -> np.ndarray:
    P, N = xi.shape
    J = np.zeros((N, N))
    for d, c in lags.items():
        for mu in range(P):
            nu = (mu + d) % P if cyclic else mu + d
            if 0 <= nu < P:
                for i in range(N):
                    for j in range(N):
                        J[i, j] += c * xi[nu, i] * xi[mu, j] / N
    return J


def report(W, **kw):
    kw.setdefault("decide", False)
    kw.setdefault("lmi", False)
    return spectra.spectral_report(W, **kw)


# ---------------------------------------------------------------------------------------------------
# sequence couplings


lag_maps = st.dictionaries(st.integers(-3, 3), floats(-2.0, 2.0), min_size=1, max_size=3)


@given(N=st.integers(1, 9), P=st.integers(1, 6), seed=st.integers(0, 10**6), lags=lag_maps, cyclic=st.booleans())
def test_couplings_equal_the_explicit_double_sum(N, P, seed, lags, cyclic):
    xi = spectra.random_patterns(N, P, seed)
    J = spectra.sequence_couplings(xi, lags, cyclic)
    assert J.shape == (N, N)
    np.testing.assert_allclose(J, explicit_double_sum(xi, lags, cyclic), rtol=0, atol=1e-12)
    # (N, P, seed) draws the same patterns
    assert np.array_equal(J, spectra.sequence_couplings((N, P, seed), lags, cyclic))


@given(P=st.integers(1, 7), cyclic=st.booleans(), lags=lag_maps)
def test_lag_matrix_structure(P, cyclic, lags):
    S = spectra.lag_matrix(P, lags, cyclic)
    for nu, mu in itertools.product(range(P), repeat=2):
        want = sum(c for d, c in lags.items()
                   if (cyclic and (mu + d) % P == nu) or (not cyclic and mu + d == nu))
        assert S[nu, mu] == pytest.approx(want, abs=1e-12)


def test_patterns_are_plus_minus_one_from_default_rng():
    xi = spectra.random_patterns(64, 5, 2023)
    assert xi.shape == (5, 64) and set(np.unique(xi)) == {-1.0, 1.0}
    assert np.array_equal(xi, np.random.default_rng(2023).choice(np.array([-1.0, 1.0]), size=(5, 64)))


def test_orthogonal_patterns_make_a_shift():
    """With exactly orthogonal patterns (rows of a Hadamard matrix) J xi^mu = c xi^(mu+1): a scaled cyclic shift
    (normal, eigenvalues c times the P-th roots of unity) or an open chain (nilpotent)."""
    H = np.array([[1.0]])
    while H.shape[0] < 8:
        H = np.block([[H, H], [H, -H]])
    xi = H[1:5]                      # 4 orthogonal +-1 patterns of length 8
    J = spectra.sequence_couplings(xi, {1: 0.5}, cyclic=True)
    for mu in range(4):
        np.testing.assert_array_equal(J @ xi[mu], 0.5 * xi[(mu + 1) % 4])
    eig = np.linalg.eigvals(J)
    top = np.sort(np.abs(eig))[-4:]
    np.testing.assert_allclose(top, 0.5, atol=1e-12)
    Jo = spectra.sequence_couplings(xi, {1: 0.5}, cyclic=False)
    assert np.abs(np.linalg.matrix_power(Jo, 4)).max() == 0.0          # nilpotent: alpha = 0
    rep = report(Jo, lyapunov=False)
    assert rep.mu2.value == pytest.approx(0.5 * math.cos(math.pi / 5), abs=1e-12)   # path graph of 4 nodes


@pytest.mark.parametrize("bad, symbol", [
    ([[1.0, float("nan")]], "patterns"), (np.zeros((0, 3)), "patterns"), ("abc", "patterns"),
    ((3, 0, 1), "P")])
def test_bad_patterns_are_input_errors(bad, symbol):
    with pytest.raises(InputError) as err:
        spectra.sequence_couplings(bad)
    assert err.value.symbol == symbol


@pytest.mark.parametrize("lags", [{}, {1.5: 1.0}, {1: "x"}, {1: float("inf")}, [1, 2]])
def test_bad_lags_are_input_errors(lags):
    with pytest.raises(InputError) as err:
        spectra.sequence_couplings((4, 2, 0), lags)
    assert err.value.symbol == "lags"


# ---------------------------------------------------------------------------------------------------
# spectral quantities against NumPy; soundness of the kernel numbers


small = square_matrices(1, 6, elements=floats(-3.0, 3.0))


@given(W=small)
def test_spectral_quantities_agree_with_numpy(W):
    rep = report(W, lyapunov=False)
    scale = max(1.0, float(np.abs(W).max()))
    tol = 1e-9 * scale * W.shape[0]
    # eigenvalues of non-normal matrices move by up to cond(V) * |rounding| (Bauer-Fike): two float algorithms
    # (ours rescales first) may differ that much; for defective matrices cond(V) is huge (found by the thorough
    # profile: a 6 x 6 matrix with a Jordan block at 0, 3e-17 against 4.7e-8)
    cond = np.linalg.cond(np.linalg.eig(W)[1])
    tol_alpha = max(tol, min(10 * W.shape[0] * cond * np.finfo(float).eps * scale, 2 * scale * W.shape[0]))
    assert rep.alpha.value == pytest.approx(float(np.max(np.linalg.eigvals(W).real)), abs=tol_alpha)
    assert rep.mu2.value == pytest.approx(float(np.linalg.eigvalsh((W + W.T) / 2)[-1]), abs=tol)
    d = np.diag(W)
    off = np.abs(W) - np.diag(np.abs(d))
    assert rep.mu1.value == pytest.approx(float(np.max(d + off.sum(axis=0))), abs=tol)
    assert rep.muinf.value == pytest.approx(float(np.max(d + off.sum(axis=1))), abs=tol)
    M = np.abs(W)
    np.fill_diagonal(M, d)
    cond_m = np.linalg.cond(np.linalg.eig(M)[1])
    tol_m = max(tol, min(10 * W.shape[0] * cond_m * np.finfo(float).eps * scale, 2 * scale * W.shape[0]))
    assert rep.alpha_majorant.value == pytest.approx(float(np.max(np.linalg.eigvals(M).real)), abs=tol_m)
    Q = [[F(float(x)) for x in row] for row in W]
    n = len(Q)
    assert rep.mu1.trust == spectra.EXACT and rep.mu1.exact == max(
        Q[j][j] + sum(abs(Q[i][j]) for i in range(n) if i != j) for j in range(n))
    assert rep.muinf.exact == max(Q[i][i] + sum(abs(Q[i][j]) for j in range(n) if j != i) for i in range(n))
    assert rep.bulk_radius == pytest.approx(float(np.linalg.norm(W) / np.sqrt(W.shape[0])), rel=1e-12)
    np.testing.assert_allclose(np.sort_complex(rep.eigenvalues), np.sort_complex(np.linalg.eigvals(W)), atol=tol)


@given(W=small)
def test_every_measure_is_at_least_alpha(W):
    rep = report(W)
    tol = 1e-9 * max(1.0, float(np.abs(W).max())) * W.shape[0]
    for v in (rep.mu1, rep.mu2, rep.muinf, rep.mu2_bound, rep.alpha_majorant, rep.weighted_l1, rep.weighted_linf):
        assert v is not None
        assert v.value >= rep.alpha.value - tol
    # a Lyapunov metric need not exist near alpha in floating point (defective W: the thorough profile found a
    # nilpotent 5 x 5 one, where P blows up like s^-2k); when one is reported it must be sound
    if rep.lyapunov is not None:
        assert rep.lyapunov.value >= rep.alpha.value - tol
    # the weighted infimum is no smaller than alpha(W) and no larger than the plain measures
    assert rep.alpha_majorant.value <= min(rep.mu1.value, rep.muinf.value) + tol
    assert rep.mu2_bound.value >= rep.mu2.value - tol     # the kernel's bound is an upper bound


@settings(max_examples=25)
@given(W=small, seed=st.integers(0, 2**32 - 1))
def test_kernel_weighted_measures_are_sound_and_near_the_perron_value(W, seed):
    """The exact measure at the Perron weights equals the float measure at those weights (it IS that measure),
    is >= the infimum alpha(ceil(W)) and within a small gap of it; the network rates bound mu(-I + W D) at
    every corner D (hence every D)."""
    rep = report(W, lyapunov=False)
    n = W.shape[0]
    scale = max(1.0, float(np.abs(W).max())) * n
    for norm, v, fmu in (("l1", rep.weighted_l1, mu1_weighted), ("linf", rep.weighted_linf, muinf_weighted)):
        eta = next(r.data["eta"] for r in rep.rates if r.norm.startswith(f"weighted-{norm} "))
        assert v.trust == spectra.EXACT and v.exact is not None
        assert float(v.exact) == pytest.approx(fmu(W, eta), abs=1e-9 * scale)
        assert v.value >= rep.alpha_majorant.value - 1e-9 * scale
        assert v.value - rep.alpha_majorant.value <= 1e-4 * scale        # Perron weights (floor 1e-6) nearly attain
    rng = np.random.default_rng(seed)
    for rate in rep.rates:
        eta = rate.data["eta"]
        norm = "l1" if rate.norm.startswith("weighted-l1") else "linf"
        fmu = mu1_weighted if norm == "l1" else muinf_weighted
        corners = list(itertools.product([0.0, 1.0], repeat=n)) + [tuple(rng.uniform(0, 1, n))]
        worst = max(fmu(-np.eye(n) + W @ np.diag(c), eta) for c in corners)
        assert worst <= -float(rate.value.exact) + 1e-9 * scale


@settings(max_examples=10)
@given(W=square_matrices(2, 4, elements=floats(-1.5, 1.5)))
def test_lmi_rate_is_sound_at_every_corner(W):
    rep = report(W, lmi=True, lyapunov=False)
    n = W.shape[0]
    checked = [r for r in rep.rates if r.norm.startswith("l2") and r.value is not None]
    assert checked, [r.note for r in rep.rates]
    for rate in checked:
        assert rate.value.trust == spectra.KERNEL
        P = rate.data["P"]
        for corner in itertools.product([0.0, 1.0], repeat=n):
            J = -np.eye(n) + W @ np.diag(corner)
            assert mu2_weighted(J, P) <= -rate.value.value + 1e-7
        assert rate.value.value <= rep.ceiling.value + 1e-7   # nothing beats the spectral ceiling
        if rate.float_upper is not None:
            assert rate.value.value <= rate.float_upper + 1e-7


@settings(max_examples=25)
@given(W=small)
def test_lyapunov_metric_closes_the_l2_gap(W):
    """inf_P mu_P(W) = alpha(W): the kernel-checked bound b (exact) is >= the float mu_P(W) >= alpha(W), and
    b - alpha(W) <= 0.1 max(1, |alpha(W)|) (the largest shift tried)."""
    rep = report(W)
    v = rep.lyapunov
    a = rep.alpha.value
    assert v is not None and v.trust == spectra.KERNEL and v.exact is not None
    assert v.value >= a - 1e-9
    assert v.value - a <= 0.1 * max(1.0, abs(a)) + 1e-9
    P = spectra.lyapunov_metric(W, float(v.exact))
    assert mu2_weighted(W, P) <= float(v.exact) + 1e-9 * max(1.0, abs(a))


@pytest.mark.parametrize("n", [5, 48])
def test_verify_measure_below_accepts_true_and_rejects_false_bounds(n):
    """Both kernel routes (exact LDL^T for n <= 40, kernel/stability.py above): mu_2 and a Lyapunov mu_P."""
    from certify.errors import KernelError

    W = spectra.sequence_couplings((n, 3, 11), {1: 1.25}, cyclic=False)
    Wq = [[F(float(x)) for x in row] for row in W]
    m2 = float(np.linalg.eigvalsh((W + W.T) / 2)[-1])
    assert "LDL" in spectra.verify_measure_below(Wq, None, F(m2) + F(1, 10**6)) or n > spectra.EXACT_LDL_MAX_N
    with pytest.raises(KernelError):
        spectra.verify_measure_below(Wq, None, F(m2) - F(1, 10**3))
    a = float(np.max(np.linalg.eigvals(W).real))
    s = F(a + 0.01)
    P = spectra.lyapunov_metric(W, float(s))
    how = spectra.verify_measure_below(Wq, P, s)
    assert ("stability" in how) == (n > spectra.EXACT_LDL_MAX_N)
    assert mu2_weighted(W, P) <= float(s)
    with pytest.raises(KernelError):                      # P proves nothing below its own measure
        spectra.verify_measure_below(Wq, P, F(mu2_weighted(W, P)) - F(1, 10**4))


def test_linear_activation_rates_are_one_minus_the_measure():
    W = np.array([[0.25, -0.5], [0.125, 0.0]])
    rep = report(W, activation="linear", lyapunov=False)
    for r in rep.rates:
        norm_mu = rep.weighted_l1 if r.norm.startswith("weighted-l1") else rep.weighted_linf
        assert r.value.exact == 1 - norm_mu.exact
    assert rep.ceiling.value == pytest.approx(1 - rep.alpha.value)


def test_slope_only_network_and_fr_form():
    W = np.array([[0.0, 0.5], [-0.5, 0.25]])
    rep = report(W, form="FR", activation=None, g="1/2", lyapunov=False)
    assert rep.g == F(1, 2) and rep.jacobian_at_zero is None and rep.zero_is_equilibrium is None
    assert rep.ceiling.value == pytest.approx(1 - 0.5 * max(0.0, rep.alpha.value))
    rep = report(W, form="FR", activation="logistic", bias=[0.5, -1.0], lyapunov=False)
    assert rep.g == F(1, 4) and rep.zero_is_equilibrium is False
    d = 0.25 * (1 - np.tanh(np.array([0.5, -1.0]) / 2) ** 2)
    J0 = -np.eye(2) + d[:, None] * W
    assert rep.jacobian_at_zero.value == pytest.approx(float(np.max(np.linalg.eigvals(J0).real)))


@pytest.mark.parametrize("kw, symbol", [
    ({"form": "X"}, "form"), ({"activation": "cubic"}, "activation"), ({"activation": None}, "g"),
    ({"activation": None, "g": -1}, "g"), ({"activation": "tanh", "g": 2}, "g"), ({"bias": [1.0]}, "bias")])
def test_bad_arguments_are_input_errors(kw, symbol):
    with pytest.raises(InputError) as err:
        report(np.eye(2), **kw)
    assert err.value.symbol == symbol


def test_non_square_w_is_an_input_error():
    with pytest.raises(InputError) as err:
        report([[1.0, 2.0]])
    assert err.value.symbol == "W"


# ---------------------------------------------------------------------------------------------------
# the catalog instances: real numbers


@pytest.fixture(scope="module")
def catalog():
    return {name: (spectra.catalog_couplings(name), report(spectra.catalog_couplings(name), lyapunov=False))
            for name in spectra.CATALOG}


def test_catalog_npy_files_are_the_documented_calls(catalog):
    for name, (W, _) in catalog.items():
        assert np.array_equal(np.load(RULES / f"{name}-W0.npy"), W), name
        text = (RULES / f"{name}.toml").read_text(encoding="utf-8")
        spec = spectra.CATALOG[name]
        call = (f"sequence_couplings(({spec['N']}, {spec['P']}, {spec['seed']}), {spec['lags']}, "
                f"cyclic={spec['cyclic']})")
        assert call in text, f"{name}.toml must document {call}"
        # every coupling is an exact binary64 number, so the double sum is exact too
        xi = spectra.random_patterns(spec["N"], spec["P"], spec["seed"])
        assert np.array_equal(W, explicit_double_sum(xi, spec["lags"], spec["cyclic"]))


def test_catalog_numbers(catalog):
    weak, open_, strong = (catalog[f"hebbian-sequence-{k}"][1] for k in ("weak", "open", "strong"))
    assert weak.alpha.value == pytest.approx(0.488233, abs=1e-6)
    assert weak.mu2.value == pytest.approx(0.506697, abs=1e-6)
    assert weak.mu1.exact == F(67, 64) and weak.muinf.exact == F(67, 64)
    assert weak.alpha_majorant.value == pytest.approx(0.919013, abs=1e-6)
    assert open_.alpha.value == pytest.approx(0.638409, abs=1e-6)
    assert open_.mu2.value == pytest.approx(1.376662, abs=1e-6)
    assert open_.mu1.exact == F(165, 64) and open_.muinf.exact == F(81, 32)
    assert open_.alpha_majorant.value == pytest.approx(2.202699, abs=1e-6)
    assert strong.alpha.value == pytest.approx(1.228820, abs=1e-6)
    assert strong.mu2.value == pytest.approx(1.300730, abs=1e-6)
    # the origin: stable for weak and open, unstable for strong (tanh'(0) = 1)
    assert weak.jacobian_at_zero.value == pytest.approx(weak.alpha.value - 1)
    assert open_.jacobian_at_zero.value < 0 < strong.jacobian_at_zero.value
    for rep in (weak, open_, strong):
        assert rep.zero_is_equilibrium is True and rep.slope_at_zero == 1.0


def test_non_normality_of_the_open_chain(catalog):
    """The documented instance: mu_2(W) - alpha(W) > 0.7 for the open chain, < 0.02 for the closed weak one."""
    weak, open_ = catalog["hebbian-sequence-weak"][1], catalog["hebbian-sequence-open"][1]
    assert open_.gap("mu2") > 0.7
    assert weak.gap("mu2") < 0.02
    # and the transient amplification at the origin: mu_2(-I + W) > 0 > alpha(-I + W)
    assert open_.mu2.value - 1 > 0 > open_.alpha.value - 1


def test_weak_instance_rates_and_verdict():
    W = spectra.catalog_couplings("hebbian-sequence-weak")
    rep = spectra.spectral_report(W, "H", "tanh")
    l1 = next(r for r in rep.rates if r.norm == "weighted-l1 (Perron weights)")
    assert l1.value.exact == 1 - rep.weighted_l1.exact          # form H in weighted l1: exact, 1 - mu
    assert l1.value.value == pytest.approx(0.080987, abs=1e-6)
    diag = next(r for r in rep.rates if r.norm == "l2 metric (diag P)")
    assert diag.value.trust == spectra.KERNEL and 0.5 < diag.value.value <= rep.ceiling.value
    assert rep.verdict == "certified" and "l2 metric" in rep.verdict_summary
    # the Lyapunov metric: exact, within 1e-3 of alpha(W) (the first shift tried)
    assert rep.lyapunov.trust == spectra.KERNEL
    assert 0 < rep.lyapunov.value - rep.alpha.value <= 1.001e-3


def test_small_unstable_network_is_refuted_with_the_kernel_reason():
    rep = spectra.spectral_report([[0, "6/5"], ["6/5", 0]], "FR", "tanh", lmi=False)
    assert rep.verdict == "refuted"
    assert "x* = 0" in rep.verdict_summary and "kernel-verified" in rep.verdict_summary
    assert rep.jacobian_at_zero.value == pytest.approx(0.2)


# ---------------------------------------------------------------------------------------------------
# the command line


def _args(argv):
    import argparse
    parser = argparse.ArgumentParser(prog="certify")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["spectrum", *argv])


def test_cli_json_and_plot_for_the_open_chain(tmp_path, capsys):
    plot = tmp_path / "open.svg"
    assert run(_args([str(RULES / "hebbian-sequence-open.toml"), "--format", "json", "--plot", str(plot)])) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "inconclusive" and out["rule"] == "hebbian-sequence-open"
    assert out["measures_of_W"]["mu1"]["exact"] == "165/64"
    assert out["measures_of_W"]["mu2"]["trust"] == "float, untrusted"
    assert out["measures_of_W"]["weighted_l2_lyapunov"]["trust"] == "kernel-verified"
    assert out["gaps_float"]["mu2"] == pytest.approx(0.738253, abs=1e-5)
    assert any("transient amplification" in w for w in out["why"])
    assert plot.is_file() and plot.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_cli_text_without_verdict(tmp_path, capsys):
    rule = tmp_path / "r.toml"
    rule.write_text('[rule]\ndW = "0"\n[network]\nform = "H"\nactivation = "tanh"\n'
                    'W0 = [[0.2, -0.9, 0], [0.1, -0.5, 0.6], [0.4, 0, 0.1]]\n', encoding="utf-8")
    png = tmp_path / "s.png"
    assert main([str(rule), "--no-verdict", "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "mu_1(W)" in text and "float, untrusted" in text and "Verdict" not in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("content, extra, needle", [
    ('[rule]\ndW = "0"\n', [], "no [network] W0"),
    ('[rule]\ndW = "0"\n[network]\nW0 = [[1]]\n', ["--plot", "x.eps"], ".png, .svg or .pdf"),
    ('[rule]\ndW = "0"\n[network]\nW0 = "missing.npy"\n', [], "cannot read W0")])
def test_cli_bad_input_exits_2(tmp_path, capsys, content, extra, needle):
    rule = tmp_path / "bad.toml"
    rule.write_text(content, encoding="utf-8")
    assert main([str(rule), *extra]) == 2
    assert needle in capsys.readouterr().err
