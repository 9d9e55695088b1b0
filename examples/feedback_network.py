"""Worked example: trained feedback networks (Mastrogiuseppe & Ostojic, Neural Comput 31:1139, 2019).

The construction (certify/families/feedback.py has the details):

    x' = -x + chi phi(x) + m z + I,   z = (1/N) n^T phi(x),   phi = tanh,
    chi_ij ~ N(0, g^2/N), m ~ N(0, 1), I ~ input_scale N(0, 1)   (numpy default_rng(seed), in that order),

and the readout n is trained for a stationary target output z* = A: with the fed-back output clamped to A
(open loop) the network settles at x0, and n is the minimum-norm least-squares solution of
(1/N) phi(x0)^T n = A, i.e. n = N A phi(x0) / |phi(x0)|^2. Closing the loop gives the fixed network
W = chi + m n^T / N with constant input u = I, stored in binary64.

For each catalog instance (certify.families.feedback.CATALOG) this script prints the three separate answers --
(a) local stability of the trained fixed point (kernel-verified), (b) global contraction (kernel-checked
rates), (c) refutation by a second attractor (kernel-verified) -- and the geometry (float, untrusted).
It writes the report text and a plot of the readout curve F(z) against z (equilibria are its crossings with
the diagonal) into $CERTIFY_EXAMPLES_OUT (default: a fresh temporary directory). With --write-catalog it
also regenerates rules/feedback-<name>-W0.npy and rules/feedback-<name>-bias.npy; nothing else is written
into the repository.

    python examples/feedback_network.py                  # analyses, files in $CERTIFY_EXAMPLES_OUT
    python examples/feedback_network.py --write-catalog  # also rewrite the catalog's .npy files
    python examples/feedback_network.py --no-pipeline    # skip the pipeline's own refutation search
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))   # the checkout this example belongs to, installed or not
from certify.families import feedback  # noqa: E402

from _tutorial import output_dir  # examples/_tutorial.py

RULES = REPO / "rules"


def plot_readout(tr: feedback.Trained, found, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    zs, F, _ = feedback.readout_curve(tr)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(zs, F, label="F(z) = n.phi(x(z)) / N (open loop)")
    ax.plot(zs, zs, "k--", lw=0.8, label="z")
    for e in found:
        ax.plot([e.z], [e.z], "o" if e.stable else "x", color="C3" if e.stable else "C1",
                label=f"{'stable' if e.stable else 'unstable'} equilibrium")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=8)
    ax.set_xlabel("z")
    ax.set_title(f"N = {tr.instance.N}, g = {tr.instance.g}, target {tr.target} (float, untrusted)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-catalog", action="store_true",
                        help="regenerate rules/feedback-*-W0.npy and -bias.npy")
    parser.add_argument("--no-pipeline", action="store_true", help="skip certify.search.contraction.refute_fixed")
    args = parser.parse_args(argv)
    out = output_dir("certify-feedback-")
    for name, params in feedback.CATALOG.items():
        tr = feedback.catalog_instance(name)
        analysis = feedback.analyze(tr, pipeline=not args.no_pipeline)
        text = analysis.render()
        print(f"== {name}: {params}")
        print(text)
        print()
        (out / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
        plot_readout(tr, analysis.found, out / f"{name}-readout.png")
        if args.write_catalog:
            np.save(RULES / f"{name}-W0.npy", tr.W)
            np.save(RULES / f"{name}-bias.npy", tr.u)
            print(f"wrote {RULES / f'{name}-W0.npy'} and {RULES / f'{name}-bias.npy'}")
    print(f"report text and plots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
