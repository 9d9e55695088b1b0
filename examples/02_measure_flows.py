"""Tutorial 2: matrix measure flows -- what a plasticity rule does to mu(W(t)).

When synapses change while the network runs, W(t) follows a rule dW/dt = F(W, activity, parameters).
The key inequality (Kozachkov & Slotine, arXiv 2212.12639) is that for any matrix measure

    D+ mu(W(t)) <= mu(dW/dt)          (D+ = upper right Dini derivative),

and, for a rule with decay dW/dt = -gamma W + G(t), applied to exp(gamma t) W:

    D+ mu(W) <= -gamma mu(W) + mu(G),  hence  mu(W(t)) <= exp(-gamma t) mu(W(0)) + (1 - exp(-gamma t)) beta/gamma

whenever mu(G) <= beta. So a bound on the measure of the *drive* G, valid for every admissible activity,
becomes a bound on mu(W(t)) for all t -- and, with the drive bound written with n symbolic, for every
network size n.

`certify` builds such a derivation (untrusted SymPy), and its kernel re-checks every step: the split of
dW/dt into -gamma W + pieces as an identity of non-commutative polynomials, each piece against a named
lemma with its side conditions over the declared ranges, then the flow and Groenwall steps. When the
claim is false it searches small instances for a counterexample and re-checks it in exact rationals.

This script:
  1. declares anti-Hebbian plasticity with decay in Python (Rule.create) and certifies it in l2, step by step;
  2. shows the same rule refuted in linf, with the kernel's exact counterexample;
  3. loads Hebbian plasticity with decay from rules/hebbian-decay.toml, certifies an explicit bound
     mu_2(W(t)) <= exp(-gamma t) mu_2(W0) + (1 - exp(-gamma t)) k n / gamma, and compares it with
     simulations (certify.search.simulate, floating point: evidence, not proof), including one where it is tight.

Run: python examples/02_measure_flows.py   (writes a CSV and a plot to $CERTIFY_EXAMPLES_OUT)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from certify import Rule, check_rule
from certify.kernel.lemmas import LEMMAS
from certify.search.measures import mu
from certify.lang.parse import show
from certify.search.simulate import certified_bound, certified_quantity, simulate

from _tutorial import output_dir, section  # examples/_tutorial.py

RULES = Path(__file__).resolve().parents[1] / "rules"


def certify_anti_hebbian() -> Rule:
    section("1. Anti-Hebbian plasticity with decay, certified in l2")
    # dW/dt = -gamma W - k r r^T: the drive -k r r^T is negative semi-definite whatever r is, so its l2
    # measure is <= 0 and mu_2(W(t)) can only decay.
    rule = Rule.create("-gamma*W - k*r*r.T", name="anti-hebbian-decay",
                       parameters={"gamma": ">= 0", "k": [0, 2]}, activity={"r": [-1, 1]})
    print("the rule as a file (canonical TOML):")
    print("   " + rule.canonical_text().strip().replace("\n", "\n   "))
    report = check_rule(rule, measure="l2", bound="nonincreasing")
    result = report.results[0]
    print(f"verdict: {result.verdict}")
    print(f"certified bound: {result.summary}")
    print("the derivation the kernel accepted (each step names a lemma of the library):")
    for i, step in enumerate(result.certificate.steps, 1):
        print(f"  {i}. [{step.lemma}] {step.render(show)}")
    print("two of the lemmas, stated in full:")
    for name in ("measure-flow", "subadditivity"):
        lemma = LEMMAS[name]
        print(f"  {name}: {lemma.statement}  ({lemma.source})")
    return rule


def refute_in_linf(rule: Rule) -> None:
    section("2. The same rule in linf: refuted")
    report = check_rule(rule, measure="linf", bound="nonincreasing")
    result = report.results[0]
    witness = result.refutation.witness
    print(f"verdict: {result.verdict}")
    print(f"counterexample (exact rationals): n = {witness.n}, "
          + ", ".join(f"{k} = {v}" for k, v in witness.parameters.items())
          + ", " + ", ".join(f"{k} = ({', '.join(map(str, v))})" for k, v in witness.activity.items())
          + ", W0 = 0")
    print(f"kernel: {result.refutation.explanation}")
    # An untrusted illustration with floats: at W0 = 0, dW/dt = -k r r^T, whose linf measure is positive
    # because the off-diagonal entries count with their absolute values.
    k = float(witness.parameters["k"])
    r = np.array([float(x) for x in witness.activity["r"]])
    drive = -k * np.outer(r, r)
    print(f"float check: mu_inf(-k r r^T) = {mu(drive, 'linf'):.4f} > 0, while mu_2(-k r r^T) = "
          f"{mu(drive, 'l2'):.4f} <= 0: anti-Hebbian decay is an l2 statement")


def hebbian_bound_and_simulation(out: Path) -> None:
    section("3. Hebbian plasticity with decay: an explicit bound, checked against simulations")
    rule = Rule.from_file(RULES / "hebbian-decay.toml")
    report = check_rule(rule)               # the file's own claim: l2 bounded
    result = report.results[0]
    cert = result.certificate
    print(f"{rule.name}: dW/dt = {rule.dW_text}; claim l2 {result.claim.bound}: {result.verdict}")
    print(f"certified bound: {result.summary}")
    print(f"  decay rate gamma = {show(cert.gamma)}, drive bound beta = {show(cert.beta)} (valid for every n)")

    params, n, t_end, dt = {"gamma": 1.0, "k": 0.5}, 4, 6.0, 0.01
    rng = np.random.default_rng(7)
    W0 = rng.normal(size=(n, n))
    segments = [rng.uniform(-1, 1, size=n) for _ in range(12)]       # activity, piecewise constant

    def activity(t: float) -> dict[str, np.ndarray]:
        return {"r": segments[min(int(t / 0.5), len(segments) - 1)]}

    times, traj = simulate(rule, W0, activity, params, t_end, dt)
    values = np.array([certified_quantity(cert, W) for W in traj])
    bound = certified_bound(cert, params, n, W0, times)
    print(f"simulation (RK4, untrusted): n = {n}, gamma = 1, k = 1/2, random W0, random r(t) in [-1, 1]^n")
    print("     t   mu_2(W(t))   certified bound")
    for t in (0.0, 1.0, 2.0, 3.0, 4.0, 6.0):
        i = int(round(t / dt))
        print(f"  {t:4.1f}   {values[i]:10.4f}   {bound[i]:15.4f}")
    excess = values - bound
    print(f"at t = 0 both equal mu_2(W0); largest mu_2(W(t)) - bound for 0 < t <= {t_end:g}: "
          f"{np.max(excess[1:]):+.4f} (< 0: the bound holds along this run)")

    # Is the bound loose? With r = (1, ..., 1) held constant, W(t) -> (k/gamma) r r^T, whose mu_2 is
    # exactly k n / gamma: the certified limit is attained.
    _, flat = simulate(rule, np.zeros((n, n)), lambda t: {"r": np.ones(n)}, params, 12.0, 0.02)
    limit = params["k"] * n / params["gamma"]
    print(f"r = (1, ..., 1), W0 = 0: mu_2(W(12)) = {mu(flat[-1], 'l2'):.6f}, certified limit k n / gamma = "
          f"{limit:.6f}: the bound is tight")

    csv = out / "02_hebbian_decay.csv"
    np.savetxt(csv, np.column_stack([times, values, bound]), delimiter=",", header="t,mu2_W,certified_bound",
               comments="", fmt="%.8g")
    png = plot(times, values, bound, out / "02_hebbian_decay.png")
    print(f"(trajectory written to {csv}; plot to {png})")


def plot(times: np.ndarray, values: np.ndarray, bound: np.ndarray, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(times, values, label="mu_2(W(t)), simulated (untrusted)")
    ax.plot(times, bound, "--", label="certified bound (kernel-checked)")
    ax.set_xlabel("t")
    ax.set_title("Hebbian plasticity with decay")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main() -> None:
    out = output_dir()
    rule = certify_anti_hebbian()
    refute_in_linf(rule)
    hebbian_bound_and_simulation(out)


if __name__ == "__main__":
    main()
