"""Worked example: non-normal Hebbian sequence networks (Jiang, Chen, Hou & Huang, Phys Rev Research 5:013090, 2023).

A sequence of P random patterns xi^1 -> xi^2 -> ... -> xi^P (entries +-1, N neurons) is stored by time-lagged
Hebbian couplings

    J = sum_d c_d (1/N) sum_mu xi^(mu+d) xi^(mu)^T          (certify.families.spectra.sequence_couplings)

so that J xi^mu is close to sum_d c_d xi^(mu+d): lag d = 1 pushes the state from each pattern to the next, a
lag-0 term is the symmetric Hopfield part. The network is x' = -x + J tanh(x) (form H).

Such a J is far from normal. Its eigenvalues (alpha = the largest real part) decide the fate of the
linearisation at x = 0 for long times, but every matrix measure mu(J) >= alpha(J), and contraction certificates
are statements about measures. This script prints, for the three catalog instances (certify.families.spectra.CATALOG,
rules/hebbian-sequence-*.toml) and for one instance at extensive load (P = N/2), the gaps between

  - alpha(J) and mu_1, mu_2, mu_inf (what the plain norms see),
  - alpha(J) and alpha(ceil(J)) (the best that any diagonal weighting of l1 / linf can do),
  - alpha(J) and the Lyapunov metric (for the LINEAR map the l2 gap closes: inf_P mu_P(J) = alpha(J)),
  - the spectral ceiling 1 - max(0, alpha(J)) and the kernel-checked network rates (the slope box D in [0, 1]^n
    is what a nonlinear certificate has to cover, so even the best l2 metric may fall short),

and the verdict of the pipeline (check_rule, bound "contracting") with its reasons. It writes a spectrum plot
per instance into $CERTIFY_EXAMPLES_OUT (default: a fresh temporary directory).

    python examples/sequence_network.py                  # reports and plots
    python examples/sequence_network.py --write-catalog  # also rewrite rules/hebbian-sequence-*-W0.npy
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))   # the checkout this example belongs to, installed or not
from certify.families import spectra  # noqa: E402

from _tutorial import output_dir  # examples/_tutorial.py

RULES = REPO / "rules"


def explicit_double_sum(xi: np.ndarray, lags: dict, cyclic: bool) -> np.ndarray:
    """The definition written out term by term, to check sequence_couplings against it."""
    P, N = xi.shape
    J = np.zeros((N, N))
    for d, c in lags.items():
        for mu in range(P):
            nu = (mu + d) % P if cyclic else mu + d
            if 0 <= nu < P:
                J += c * np.outer(xi[nu], xi[mu]) / N
    return J


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-catalog", action="store_true", help="regenerate rules/hebbian-sequence-*-W0.npy")
    args = parser.parse_args(argv)
    out = output_dir("certify-sequence-")

    for name, spec in spectra.CATALOG.items():
        # The catalog instance: random +-1 patterns from numpy default_rng(seed), couplings from the lags.
        xi = spectra.random_patterns(spec["N"], spec["P"], spec["seed"])
        W = spectra.sequence_couplings(xi, spec["lags"], spec["cyclic"])
        same = np.array_equal(W, explicit_double_sum(xi, spec["lags"], spec["cyclic"]))
        kind = "closed (cyclic)" if spec["cyclic"] else "open chain"
        print(f"=== {name}: N = {spec['N']}, P = {spec['P']}, seed = {spec['seed']}, lags {spec['lags']}, {kind}")
        print(f"couplings equal the explicit double sum bit for bit: {same}")
        if args.write_catalog:
            np.save(RULES / f"{name}-W0.npy", W)
            print(f"wrote {RULES / f'{name}-W0.npy'}")
        # The report. Reading the gaps:
        #  * mu_2(W) - alpha(W) > 0 measures non-normality: for a normal W it is 0. The open chain (a shift
        #    along the sequence, nearly nilpotent) has the widest gap: the identity metric sees a matrix that
        #    pushes states along the chain with gain about c_1, while its eigenvalues are much smaller.
        #  * alpha(ceil(W)) - alpha(W): the random signs of the Hebbian couplings cancel in the spectrum but not
        #    in the majorant, so no diagonal weighting brings l1 / linf near alpha.
        #  * the Lyapunov metric closes the gap for the LINEAR map (the kernel checks it exactly): the
        #    linearisation at 0 is fine whenever alpha(-I + W) < 0. A contraction certificate for tanh must hold
        #    for every slope pattern D in [0, 1]^n at once, and that is where the open chain fails.
        rep = spectra.spectral_report(W, "H", "tanh")
        print(spectra.render(rep))
        png = spectra.plot_spectrum(rep, out / f"{name}-spectrum.png", W)
        print(f"spectrum plot: {png}\n")

    # Extensive load (P = N / 2, as in the paper's random-matrix theory): the eigenvalues of an open chain fill
    # a bulk. Measures only (no LMI, no pipeline: n = 200 would take a while); numbers are float unless labelled.
    # The Lyapunov bound is checked by the kernel's verified Lyapunov test (kernel/stability.py) at this size.
    N, P = 200, 100
    W = spectra.sequence_couplings((N, P, 7), {1: 1.0}, cyclic=False)
    rep = spectra.spectral_report(W, "H", "tanh", decide=False, lmi=False)
    print(f"=== extensive load: N = {N}, P = {P}, seed = 7, lags {{1: 1.0}}, open chain")
    print(f"alpha(W) = {rep.alpha.value:+.4f} (float), mu_2(W) = {rep.mu2.value:+.4f} (float), "
          f"alpha(ceil(W)) = {rep.alpha_majorant.value:+.4f} (float), mu_1(W) = {rep.mu1.value:+.4f} (exact)")
    lyap = rep.lyapunov
    print(f"Lyapunov metric: mu_P(W) {'<=' if lyap.trust == 'kernel' else '='} {lyap.value:+.6f} "
          f"({spectra.TRUST_TEXT[lyap.trust]}), within {lyap.value - rep.alpha.value:.1e} of alpha(W)")
    print(f"gap mu_2 - alpha = {rep.gap('mu2'):+.4f}; "
          f"circular-law reference radius ||W||_F/sqrt(N) = {rep.bulk_radius:.4f}")
    png = spectra.plot_spectrum(rep, out / "extensive-load-spectrum.png", W,
                                title=f"open Hebbian chain, N = {N}, P = {P} (float, untrusted)")
    print(f"spectrum plot: {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
