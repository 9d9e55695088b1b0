"""Tutorial 3: contraction of neural networks, with fixed and with plastic synapses.

A network is *contracting* in a norm when any two of its trajectories approach each other exponentially:
||x(t) - y(t)|| <= exp(-c t) ||x(0) - y(0)|| with rate c > 0. A contracting network forgets its initial
state, has exactly one equilibrium (for constant input), and tracks its input robustly. The test is a
matrix measure of the Jacobian: if mu(Jacobian) <= -c at every state, the network contracts at rate c.

For the Hopfield form  x' = -x + W phi(x) + u  with slopes phi' in [0, g], the Jacobian is -I + W D,
D = diag(phi'(x)). In the l1 norm weighted by eta > 0 the worst case over D is exact (Davydov, Proskurnikov,
Bullo, arXiv 2110.08298):

    sup_D mu_1,eta(-I + W D) = -1 + g max(0, mu_1,eta(W)),

and the best weights are the left Perron vector of the Metzler majorant of W. For the l2 norm, a metric
P and a multiplier Lambda solve a linear matrix inequality (LMI). Either way `certify` searches in floating
point (untrusted) and its kernel re-computes each rate exactly or with a verified Cholesky factorisation.

With plastic synapses, W(t) moves. If a kernel-checked flow bound (tutorial 2) gives m(t) >= mu(W(t)),
the network contracts at rate c(t) = 1 - g max(0, m(t)) -- possibly only after some time T.

This script:
  1. certifies a fixed 4-neuron tanh network: every norm the tool tries, its weights and exact rate,
     recomputed here in floats, and a simulation of two trajectories;
  2. treats the anti-Hebbian plastic network of Kozachkov, Lundqvist, Slotine & Miller (PLOS Comput Biol
     2020), rules/anti-hebbian-network.toml: unstable at t = 0, certified contracting from T = ln 4 on;
     a simulation shows trajectories separating before T and converging at rate >= 1/2 after it.

Run: python examples/03_plastic_contraction.py   (writes a CSV and a plot to $CERTIFY_EXAMPLES_OUT)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import sympy as sp

from certify import Rule, check_rule
from certify.search.contraction import certify_fixed
from certify.search.measures import mu, mu1_weighted, norm2, spectral_abscissa, metzler_majorant
from certify.lang.network import network_of

from _tutorial import output_dir, section  # examples/_tutorial.py

RULES = Path(__file__).resolve().parents[1] / "rules"


def rk4(f: Callable[[float, np.ndarray], np.ndarray], z0: np.ndarray, t_end: float, dt: float):
    """Classical Runge-Kutta with a fixed step (floating point: evidence for people, never a proof)."""
    z, out = np.array(z0, float), [np.array(z0, float)]
    for i in range(int(round(t_end / dt))):
        t = i * dt
        k1 = f(t, z)
        k2 = f(t + dt / 2, z + dt / 2 * k1)
        k3 = f(t + dt / 2, z + dt / 2 * k2)
        k4 = f(t + dt, z + dt * k3)
        z = z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(z.copy())
    return np.arange(len(out)) * dt, np.array(out)


def fixed_network() -> None:
    section("1. A fixed network: which norm proves contraction, and at what rate?")
    # dW = "0": the weights do not change. [network] gives the form, the activation (slope bound g = 1 for
    # tanh) and the weights W0, written exactly (0.3 means 3/10 to the kernel).
    W0 = "[[0, 1.5, 0, -0.2], [0.1, 0, 0.6, 0], [0, -0.3, 0, 0.7], [0.5, 0, 0.2, 0]]"
    rule = Rule.create("0", name="four-neurons", network={"form": "H", "activation": "tanh", "W0": W0})
    net = network_of(rule)
    W = net.W0_float()
    print(f"network: {net.describe()}")
    print(f"  mu_1(W) = {mu(W, 'l1'):.3f}, mu_inf(W) = {mu(W, 'linf'):.3f}, ||W||_2 = {norm2(W):.3f}: "
          "all > 1, so no unweighted test and not the crude bound -1 + g ||W||_2 proves anything")
    print(f"  alpha(Metzler majorant of W) = {spectral_abscissa(metzler_majorant(W)):.4f} < 1: "
          "weights exist that prove contraction")
    result = certify_fixed(net)
    print("every attempt (rate = kernel-checked contraction rate; <= 0 proves nothing):")
    for a in result.attempts:
        rate = "not verified" if a.rate is None else f"{float(a.rate):+.6f}"
        print(f"  {a.norm:<30} rate {rate:>10}   {a.note}")
    best = result.best
    print(f"best: {best.norm}, rate {float(best.rate):.6f} (exactly {best.rate})")

    # Recompute the Perron-weighted l1 rate in floats: 1 - g max(0, mu_1,eta(W)).
    perron = next(a for a in result.attempts if a.norm == "weighted-l1 (Perron weights)")
    eta = np.array([float(x) for x in perron.data["eta"]])
    again = 1 - float(net.g) * max(0.0, mu1_weighted(W, eta))
    print(f"weighted l1 with eta = {np.round(eta, 4)}: kernel rate {float(perron.rate):.12f}, "
          f"float recomputation {again:.12f}")

    # The same verdict through check_rule, as `certify check` would print it.
    report = check_rule(rule, bound="contracting")
    print(f"check_rule(..., bound='contracting'): {report.verdict}: {report.results[0].summary}")

    # Two trajectories with the same input: their eta-weighted l1 distance shrinks at least like
    # exp(-c t) with the Perron rate c (the l2 metric promises a faster rate in its own norm).
    u = np.array([0.5, -1.0, 0.3, 0.8])
    times, z = rk4(lambda t, x2: np.concatenate([-x2[:4] + W @ np.tanh(x2[:4]) + u,
                                                -x2[4:] + W @ np.tanh(x2[4:]) + u]),
                   np.concatenate([np.full(4, 3.0), np.full(4, -3.0)]), 8.0, 0.01)
    dist = np.abs(z[:, :4] - z[:, 4:]) @ eta
    c = float(perron.rate)
    promised = dist[0] * np.exp(-c * times)
    print(f"simulated (untrusted): distance {dist[0]:.3f} -> {dist[-1]:.2e} at t = 8; promised at most "
          f"{promised[-1]:.3f}; the promise held at every step: {bool(np.all(dist <= promised * (1 + 1e-9)))}")


def plastic_network(out: Path) -> None:
    section("2. The anti-Hebbian plastic network: contracting from a time T on")
    rule = Rule.from_file(RULES / "anti-hebbian-network.toml")
    net = network_of(rule)
    W0 = net.W0_float()
    print(f"{rule.name}: dW/dt = {rule.dW_text}; network {net.describe()}")
    print(f"  W0 = {W0.tolist()}: sym(W0) = 2 I, so mu_2(W0) = {mu(W0, 'l2'):.1f} and the Jacobian -I + W0 has "
          f"mu_2 = {mu(-np.eye(2) + W0, 'l2'):.1f} > 0: at t = 0 the network expands")
    report = check_rule(rule)
    result = report.results[0]
    plastic = result.network
    print(f"verdict: {result.verdict}: {result.summary}")
    print(f"  weight flow (kernel-checked): {plastic.flow_statement}")
    # The reasoning: mu_2(W(t)) <= 2 exp(-t), so mu_2(-I + W(t)) <= -1 + 2 exp(-t) <= -1/2 as soon as
    # 2 exp(-t) <= 1/2, i.e. t >= ln 4. The kernel's T is an exact rational no smaller than ln 4.
    print(f"  rate after T: {plastic.c_after}; rate for all t >= 0: {plastic.c_all}")
    gap = (sp.Rational(plastic.T.numerator, plastic.T.denominator) - sp.log(4)).evalf(40)
    print(f"  T = {float(plastic.T):.12f}, an exact rational with a {len(str(plastic.T.denominator))}-digit "
          f"denominator; T - ln 4 = {float(gap):.2e} (evaluated to 40 digits): an upper bound, as promised")

    # Simulate: one trajectory (x, W) of the joint system gives the signal W(t); a second state y is driven
    # by the same W(t). The certificate treats W(t) as a signal: y and x must converge after T.
    u = np.array([1.0, -0.5])

    def joint(t: float, z: np.ndarray) -> np.ndarray:
        x, W, y = z[:2], z[2:6].reshape(2, 2), z[6:]
        return np.concatenate([-x + W @ x + u, (-W - np.outer(x, x)).ravel(), -y + W @ y + u])

    dt = 0.001
    times, z = rk4(joint, np.concatenate([[0.5, 0.0], W0.ravel(), [-0.5, 0.3]]), 6.0, dt)
    Ws = z[:, 2:6].reshape(-1, 2, 2)
    mu_W = np.array([mu(W, "l2") for W in Ws])
    mu_J = np.array([mu(-np.eye(2) + W, "l2") for W in Ws])
    dist = np.linalg.norm(z[:, :2] - z[:, 6:], axis=1)
    print("simulated (untrusted):")
    print("     t   mu_2(W(t))   bound 2 e^-t   mu_2(-I + W(t))   |x(t) - y(t)|")
    for t in (0.0, 0.5, 1.0, 1.386, 2.0, 3.0, 4.0, 6.0):
        i = int(round(t / dt))
        print(f"  {t:5.3f}   {mu_W[i]:10.4f}   {2 * math.exp(-t):12.4f}   {mu_J[i]:15.4f}   {dist[i]:13.5f}")
    iT = int(math.ceil(float(plastic.T) / dt))
    promised = dist[iT] * np.exp(-float(plastic.c_after) * (times[iT:] - times[iT]))
    print(f"before T the distance grew from {dist[0]:.4f} to {dist[:iT + 1].max():.4f}; after T it stayed below "
          f"|x(T) - y(T)| exp(-(t - T)/2): {bool(np.all(dist[iT:] <= promised * (1 + 1e-9)))}")
    print(f"mu_2(W(t)) <= 2 exp(-t) at every step: {bool(np.all(mu_W <= 2 * np.exp(-times) + 1e-9))}")

    csv = out / "03_anti_hebbian_network.csv"
    np.savetxt(csv, np.column_stack([times, mu_W, 2 * np.exp(-times), mu_J, dist])[::10], delimiter=",",
               header="t,mu2_W,flow_bound,mu2_jacobian,distance", comments="", fmt="%.8g")
    png = plot(times, mu_J, dist, float(plastic.T), out / "03_anti_hebbian_network.png")
    print(f"(trajectory written to {csv}; plot to {png})")


def plot(times: np.ndarray, mu_J: np.ndarray, dist: np.ndarray, T: float, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(times, mu_J, label="mu_2(-I + W(t)), simulated")
    a.plot(times, -1 + 2 * np.exp(-times), "--", label="-1 + 2 exp(-t), certified")
    a.axhline(-0.5, color="gray", lw=0.8)
    a.axvline(T, color="gray", ls=":", label=f"T = {T:.3f}")
    a.set_xlabel("t")
    a.legend(fontsize=8)
    b.semilogy(times, dist, label="|x(t) - y(t)|, simulated")
    b.axvline(T, color="gray", ls=":")
    b.set_xlabel("t")
    b.legend(fontsize=8)
    fig.suptitle("Anti-Hebbian plastic network (Kozachkov et al. 2020)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main() -> None:
    out = output_dir()
    fixed_network()
    plastic_network(out)


if __name__ == "__main__":
    main()
