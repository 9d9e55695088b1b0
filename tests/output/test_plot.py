"""`certify plot`: the plotted data obey the certificates they are drawn against, the files are real PNG/SVG,
and the command line reports bad input (2) and nothing to plot (3)."""

from __future__ import annotations

import argparse
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from certify.output import plot

from certify.cli import plot as plot_cli
from certify.errors import InputError
from certify.search.measures import mu
from certify.lang.rule import Rule
from certify.verdict import Verdict

RULES = Path(__file__).resolve().parents[2] / "rules"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def rule(name: str) -> Rule:
    return Rule.from_file(RULES / f"{name}.toml")


def fixed_network(form: str, activation: str, W0: str) -> Rule:
    return Rule.from_text(f'[rule]\nname = "net"\ndW = "0"\n[network]\nform = "{form}"\n'
                          f'activation = "{activation}"\nW0 = {W0}\n[claim]\nbound = "contracting"\n')


def slack(bound: np.ndarray) -> np.ndarray:
    """RK4 at dt = 0.01 on these flows: 1e-6 relative is far above the integration error."""
    return 1e-6 * (1 + np.abs(bound))


# ---------------------------------------------------------------------------------------------------
# measure plots


@settings(max_examples=6)
@given(seed=st.integers(0, 2**32 - 1), gamma=st.floats(0, 3), k=st.floats(0, 2), n=st.integers(1, 6))
def test_anti_hebbian_decay_stays_below_its_certified_bound(seed, gamma, k, n):
    res = plot.measure_flow(rule("anti-hebbian-decay"), measure="l2", n=n, t_end=2.0, seed=seed, trajectories=2,
                            params={"gamma": gamma, "k": k})
    assert res.verdict is Verdict.CERTIFIED and res.claim.bound == "nonincreasing"
    assert res.values.shape == (2, len(res.times)) and res.times[-1] == pytest.approx(2.0)
    start = mu(res.W0, "l2")
    assert res.bound[0] == pytest.approx(start) and np.allclose(res.values[:, 0], start)
    assert np.allclose(res.bound, start * np.exp(-gamma * res.times))      # mu_2(W0) e^{-gamma t}
    assert np.all(res.values <= res.bound + slack(res.bound))


def test_bounded_claim_and_its_drive_term():
    """hebbian-decay: mu_2(W(t)) <= e^{-gamma t} mu_2(W0) + (1 - e^{-gamma t}) k n / gamma at gamma = k = 1."""
    res = plot.measure_flow(rule("hebbian-decay"), n=4, t_end=3.0, trajectories=3)
    assert res.verdict is Verdict.CERTIFIED and res.claim.bound == "bounded"
    assert res.params == {"gamma": 1.0, "k": 1.0}
    t = res.times
    expected = np.exp(-t) * mu(res.W0, "l2") + (1 - np.exp(-t)) * 4
    assert np.allclose(res.bound, expected)
    assert np.all(res.values <= res.bound + slack(res.bound))
    assert "CERTIFIED" in res.title and "k*n" in res.statement


def test_refuted_claim_has_trajectories_and_no_bound():
    res = plot.measure_flow(rule("anti-hebbian-decay"), measure="linf", n=5, t_end=3.0, trajectories=2)
    assert res.verdict is Verdict.REFUTED and res.bound is None
    assert "REFUTED" in res.title and "no certified bound" in res.title
    # what the refutation says: mu_inf(W(t)) is not nonincreasing; the simulation shows it rising somewhere
    assert np.max(np.diff(res.values, axis=1)) > 1e-3


def test_declared_W0_is_used_and_n_ignored():
    res = plot.measure_flow(rule("anti-hebbian-network"), n=7, t_end=1.0, trajectories=1)
    assert np.array_equal(res.W0, [[2.0, 1.0], [-1.0, 2.0]])
    assert res.bound[0] == pytest.approx(2.0)          # mu_2(W0) = 2
    assert np.all(res.values <= res.bound + slack(res.bound))


def test_measure_plot_rejects_weighted_measures_and_bad_times():
    with pytest.raises(InputError, match="weighted"):
        plot.measure_flow(rule("anti-hebbian-decay"), measure="weighted-l2")
    with pytest.raises(InputError, match="end time"):
        plot.measure_flow(rule("anti-hebbian-decay"), t_end=0.0)


# ---------------------------------------------------------------------------------------------------
# distance plots


def test_plastic_network_pairs_stay_inside_the_certified_envelope():
    """anti-hebbian-network: linear, mu_2(W(t)) <= 2 e^{-t}, so c(t) = 1 - 2 e^{-t} and
    ratio <= exp(-t + 2 (1 - e^{-t})); after T = ln 4 the kernel's rate 1/2."""
    res = plot.distance_pairs(rule("anti-hebbian-network"), trajectories=3, seed=1)
    assert res.verdict is Verdict.CERTIFIED and res.norm == "l2"
    assert res.rate == 0.5 and math.log(4) <= res.T <= math.log(4) + 1e-12
    t = res.times
    assert np.allclose(res.envelope, np.exp(-t + 2 * (1 - np.exp(-t))), rtol=1e-4)
    assert np.all(res.ratios <= res.envelope * (1 + 1e-6))
    after = t >= res.T
    assert np.all(np.isnan(res.bound[~after])) and not np.any(np.isnan(res.bound[after]))
    assert np.all(res.ratios[:, after] <= res.bound[after] * (1 + 1e-6))
    assert res.ratios[:, -1].max() < 1e-3               # they really contract
    assert np.array_equal(res.ratios, res.l2_ratios) and res.equivalence == 1.0


def test_fixed_network_in_the_lmi_metric():
    res = plot.distance_pairs(rule("small-gain-network"), trajectories=3, t_end=6.0)
    assert res.verdict is Verdict.CERTIFIED and res.T == 0.0 and res.envelope is None
    assert "P" in res.norm and res.rate == pytest.approx(0.5508175, abs=1e-6)
    assert np.allclose(res.bound, np.exp(-res.rate * res.times))
    assert np.all(res.ratios <= res.bound * (1 + 1e-6))
    assert 1 < res.equivalence < 10                      # sqrt(cond P)
    assert np.all(res.l2_ratios <= res.equivalence * res.bound * (1 + 1e-6))


@pytest.mark.parametrize("form, activation, W0, label", [
    ("H", "tanh", "[[0.2, 0.5], [0.3, 0.1]]", "weighted linf"),
    ("FR", "linear", "[[-0.5, 0.4, 0], [0, -0.3, 0.6], [0.2, 0, -0.4]]", None),
])
def test_fixed_network_pairs_contract_at_the_certified_rate(form, activation, W0, label):
    res = plot.distance_pairs(fixed_network(form, activation, W0), trajectories=2, seed=3, t_end=4.0)
    assert res.verdict is Verdict.CERTIFIED and res.rate > 0
    if label:
        assert res.norm.startswith(label)
    assert np.all(res.ratios <= np.exp(-res.rate * res.times) * (1 + 1e-6))
    assert np.all(res.l2_ratios <= res.equivalence * np.exp(-res.rate * res.times) * (1 + 1e-6))


def test_refuted_network_has_no_bound_and_a_pair_that_does_not_converge():
    res = plot.distance_pairs(rule("bistable-network"), trajectories=5, t_end=10.0)
    assert res.verdict is Verdict.REFUTED and res.bound is None and res.rate is None
    assert res.norm == "l2" and "REFUTED" in res.title
    assert res.ratios[:, -1].max() > 0.1                 # two equilibria: some pair stays apart


def test_distance_plot_needs_a_network():
    with pytest.raises(plot.NothingToPlot, match="network"):
        plot.distance_pairs(rule("anti-hebbian-decay"))


# ---------------------------------------------------------------------------------------------------
# inputs


def test_default_parameters_and_overrides():
    r = Rule.create("-gamma*W - k*r*r.T + c*W - d*W", parameters={"gamma": ">= 0", "k": [0, 2], "c": "< 1",
                                                                      "d": "real"}, activity={"r": [-1, 1]})
    assert plot.default_parameters(r) == {"gamma": 1.0, "k": 1.0, "c": 0.0, "d": 1.0}
    assert plot.default_parameters(r, {"k": 2})["k"] == 2.0
    with pytest.raises(InputError, match="outside its declared range"):
        plot.default_parameters(r, {"k": 2.5})
    with pytest.raises(InputError, match="unknown parameter 'z'"):
        plot.default_parameters(r, {"z": 1})


@settings(max_examples=20)
@given(lo=st.integers(-5, 4), width=st.integers(1, 5), seed=st.integers(0, 1000), corners=st.booleans())
def test_activity_stays_inside_the_declared_range(lo, width, seed, corners):
    hi = lo + width
    r = Rule.create("-W - r*r.T", activity={"r": [lo, hi]})
    act = plot.activity_schedule(r, 6, 5.0, np.random.default_rng(seed), corners=corners)
    values = np.concatenate([act(t)["r"] for t in np.linspace(0, 5, 23)])
    assert values.min() >= lo and values.max() <= hi
    if corners:
        assert set(values.tolist()) <= {float(lo), float(hi)}


# ---------------------------------------------------------------------------------------------------
# files and the command line


def test_png_svg_and_pdf_files_are_valid(tmp_path):
    res = plot.measure_flow(rule("anti-hebbian-decay"), n=3, t_end=1.0, trajectories=1)
    png = plot.save_figure(res.figure, tmp_path / "m.png")
    assert png.read_bytes()[:8] == PNG_MAGIC
    svg = plot.save_figure(res.figure, tmp_path / "m.SVG")
    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    pdf = plot.save_figure(res.figure, tmp_path / "m.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    with pytest.raises(InputError, match="FILE.png, FILE.svg or FILE.pdf"):
        plot.save_figure(res.figure, tmp_path / "m.eps")
    with pytest.raises(InputError, match="does not exist"):
        plot.save_figure(res.figure, tmp_path / "missing" / "m.png")


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="certify")
    plot_cli.add_parser(parser.add_subparsers(dest="command")).set_defaults(func=plot_cli.run)
    args = parser.parse_args(["plot", *argv])
    return args.func(args)


def test_cli_writes_both_plots_with_default_names(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = cli(str(RULES / "anti-hebbian-network.toml"), "--trajectories", "2", "--t-end", "4")
    out = capsys.readouterr().out
    assert code == 0
    for kind in ("measure", "distance"):
        path = tmp_path / f"anti-hebbian-network-{kind}.png"
        assert path.read_bytes()[:8] == PNG_MAGIC
        assert f"wrote anti-hebbian-network-{kind}.png" in out
    assert "rate 0.5 after T = 1.386" in out


def test_cli_svg_out_and_kind(tmp_path, capsys):
    target = tmp_path / "flow.svg"
    assert cli(str(RULES / "anti-hebbian-decay.toml"), "--kind", "measure", "--out", str(target),
               "--n", "3", "--t-end", "1") == 0
    assert ET.parse(target).getroot().tag.endswith("svg")
    assert "l2 nonincreasing: certified" in capsys.readouterr().out


def test_cli_exit_codes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    decay = str(RULES / "anti-hebbian-decay.toml")
    assert cli(decay, "--kind", "distance") == 3
    assert "no distance plot" in capsys.readouterr().err
    assert cli(decay, "--out", "x.eps") == 2
    assert "FILE.png, FILE.svg or FILE.pdf" in capsys.readouterr().err
    assert cli(decay, "--param", "k=3") == 2
    assert "outside its declared range" in capsys.readouterr().err
    assert cli(decay, "--param", "k") == 2
    assert cli(str(tmp_path / "none.toml")) == 2
    assert cli(decay, "--trajectories", "0") == 2
    assert list(tmp_path.iterdir()) == []               # nothing written on any of these


# ---------------------------------------------------------------------------------------------------
# ready for print: mathtext labels, one-line titles, legends for every marker, units, PDF


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _drawable(fig) -> None:
    """Every text of the figure parses as matplotlib mathtext (a bad label raises when drawn)."""
    fig.canvas.draw()


def test_measure_plot_labels_title_and_caption_are_typeset():
    res = plot.measure_flow(rule("hebbian-decay"), n=3, t_end=1.0, trajectories=2)
    (ax,) = res.figure.axes
    assert ax.get_ylabel() == r"$\mu_2(W(t))$"
    assert ax.get_xlabel() == plot.TIME_FLOW and "unit" in ax.get_xlabel()
    title = ax.get_title()
    assert "\n" not in title and title == res.title and title.endswith("bounded, CERTIFIED")
    assert r"$\mu_2$" in title
    assert _legend(ax) == [r"simulated $\mu_2(W(t))$ (2 trajectories)", "kernel-certified bound"]
    caption = [t.get_text() for t in res.figure.texts]
    assert caption == [res.caption] and caption[0].count("\n") <= 2
    assert r"\leq e^{- \gamma t}" in res.caption and r"\frac{k n}{\gamma}" in res.caption     # the certified bound
    assert r"$\gamma = 1$" in res.caption and "untrusted" in res.caption
    _drawable(res.figure)


def test_measure_plot_of_a_network_rule_counts_time_in_neuron_time_constants():
    res = plot.measure_flow(rule("anti-hebbian-network"), t_end=0.5, trajectories=1)
    assert res.figure.axes[0].get_xlabel() == plot.TIME_NETWORK == r"$t$ (units of the neuron time constant $\tau$)"


def test_positive_part_and_linf_labels():
    res = plot.measure_flow(rule("anti-hebbian-decay"), measure="linf", n=3, t_end=1.0, trajectories=1)
    ax = res.figure.axes[0]
    assert ax.get_ylabel() == r"$\mu_\infty(W(t))$" and "REFUTED (no certified bound)" in ax.get_title()
    assert _legend(ax) == [r"simulated $\mu_\infty(W(t))$ (1 trajectories)"]
    _drawable(res.figure)


def test_distance_plot_has_a_legend_entry_for_the_onset_time():
    res = plot.distance_pairs(rule("anti-hebbian-network"), trajectories=2, t_end=4.0)
    (ax,) = res.figure.axes
    assert "\n" not in ax.get_title() and "CERTIFIED" in ax.get_title() and "$T = 1.386$" in ax.get_title()
    assert ax.get_xlabel() == plot.TIME_NETWORK
    assert ax.get_ylabel() == r"$\|x(t)-\tilde x(t)\|_{2} \,/\, \|x(0)-\tilde x(0)\|_{2}$"
    legend = _legend(ax)
    assert legend[0] == "simulated pairs (2)"
    assert any(x.startswith(r"$\exp(-\int_0^t c(s)\,ds)$") for x in legend)
    assert r"certified $e^{-0.5\,(t - T)}$, $t \geq T$" in legend
    onset = [x for x in legend if x.startswith("onset time")]
    assert onset == [r"onset time $T = 1.386$ (kernel: rigorous upper bound)"]
    # the marker the entry names is the vertical line at T
    line = [ln for ln in ax.get_lines() if ln.get_label() == onset[0]]
    assert len(line) == 1 and line[0].get_xdata()[0] == pytest.approx(res.T)
    _drawable(res.figure)


def test_distance_plot_in_the_certificate_norm_names_it():
    res = plot.distance_pairs(rule("small-gain-network"), trajectories=2)
    assert res.figure.axes[0].get_ylabel().startswith(r"$\|x(t)-\tilde x(t)\|_{P}")
    assert "LMI metric" in res.caption


def test_refuted_network_draws_the_equilibria_that_refute_it():
    """bistable-network: the kernel's unstable equilibrium x* = 0 is marked in the state plane, and the pairs
    are drawn converging to the two other (stable) states, on both sides of it."""
    res = plot.distance_pairs(rule("bistable-network"), trajectories=5, t_end=10.0)
    assert res.verdict is Verdict.REFUTED
    assert len(res.equilibria) == 1 and np.array_equal(res.equilibria[0], [0.0, 0.0])
    assert res.equilibrium_labels == ("kernel-verified unstable equilibrium $x^*$",)
    dist, state = res.figure.axes
    assert "\n" not in res.figure._suptitle.get_text() and "REFUTED" in res.figure._suptitle.get_text()
    assert (state.get_xlabel(), state.get_ylabel()) == ("$x_1$", "$x_2$")
    legend = _legend(state)
    assert "kernel-verified unstable equilibrium $x^*$" in legend and "simulated end states (float)" in legend
    marker = [ln for ln in state.get_lines() if ln.get_label() == res.equilibrium_labels[0]][0]
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (0.0, 0.0)
    # trajectories end near the two stable equilibria +-(a, a), a = tanh(1.2 a) ~ 0.66: both are reached
    ends = res.endpoints.reshape(-1, 2)
    assert ends[:, 0].max() > 0.5 and ends[:, 0].min() < -0.5
    assert res.ratios[:, -1].max() > 0.1
    _drawable(res.figure)


def test_two_equilibria_refutation_marks_both():
    from fractions import Fraction
    from types import SimpleNamespace

    def box(lo, hi, point=None):     # what refuting_equilibria reads of the kernel's EquilibriumBox
        return SimpleNamespace(point=point, lower=lambda: tuple(map(Fraction, lo)),
                               upper=lambda: tuple(map(Fraction, hi)))
    two = SimpleNamespace(first=box(("1", "2"), ("1", "2"), ("1", "2")), second=box(("-1", "0"), ("-1/2", "1")))
    eqs, labels = plot.refuting_equilibria(two)
    assert [e.tolist() for e in eqs] == [[1.0, 2.0], [-0.75, 0.5]]
    assert labels == ("kernel-verified equilibrium $x^*_1$", "kernel-verified equilibrium $x^*_2$")


def test_certified_network_has_no_state_panel():
    res = plot.distance_pairs(rule("anti-hebbian-network"), trajectories=1, t_end=2.0)
    assert len(res.figure.axes) == 1 and res.equilibria == ()


def test_pdf_is_written_by_the_command_line_and_is_deterministic(tmp_path, capsys):
    target = tmp_path / "net.pdf"
    assert cli(str(RULES / "bistable-network.toml"), "--out", str(target), "--trajectories", "2",
               "--t-end", "3") == 0
    out = capsys.readouterr().out
    for kind in ("measure", "distance"):
        path = tmp_path / f"net-{kind}.pdf"
        assert path.read_bytes()[:5] == b"%PDF-" and f"wrote {path}" in out
    first = (tmp_path / "net-distance.pdf").read_bytes()
    assert cli(str(RULES / "bistable-network.toml"), "--kind", "distance", "--out", str(tmp_path / "again.pdf"),
               "--trajectories", "2", "--t-end", "3") == 0
    assert (tmp_path / "again.pdf").read_bytes() == first          # seeded, no creation date


def test_mathtext_fallback_for_what_it_cannot_draw():
    assert plot.to_mathtext(r"a \le b \ge c \operatorname{diag}(x)") == r"$a \leq b \geq c \mathrm{diag}(x)$"
    assert plot.to_mathtext(r"\begin{pmatrix}1\end{pmatrix}") is None
    assert plot.plain("cost$") == r"cost\$"
