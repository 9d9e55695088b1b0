"""Worked example: a ReLU dense associative memory and its dead neurons (docs/theory.md section 5, docs/memory.md).

The network (Krotov-Hopfield form, Lagrangian L = 1/2 sum relu(x)^2, so g = relu and Hess L = diag(1[x > 0])):

    x' = W relu(x) - x + b,   W = (eta1 eta1^T + eta2 eta2^T)/2 - 2 I,   b = 1,
    eta1 = (1,1,1,1,-1,-1,-1,-1),  eta2 = (1,1,-1,-1,1,1,-1,-1)          (rules/memory-hebbian-relu.toml)

This script
  1. prints the full analysis (certify.families.memory.analyze / render): nine equilibria found by exact enumeration of
     all 2^8 active sets, four of them stable (the stored memories relu(+-eta1), relu(+-eta2)), 255 flat regions
     with explicit non-equilibrium points, the strict Lyapunov function and the kernel-verified refutation of
     contraction;
  2. walks along a flat direction: E stays exactly the same while the velocity is nonzero, so the flat region is
     not a set of equilibria; a simulation from that point returns to the memory;
  3. simulates from a random start and prints E and the strict Lyapunov function V along the way (floats,
     untrusted), showing where E stalls (dead neurons moving) while V keeps decreasing;
  4. shows the contrast: the weak network (one stable state, certified contracting), the smooth Lagrangian
     (log cosh, no flat regions), and a two-layer (feature/hidden) network.
Files (the text report, a CSV of the trajectory, a plot of E and V) go to $CERTIFY_EXAMPLES_OUT, or to a fresh
temporary directory; nothing is written into the repository.

    python examples/memory_network.py
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))   # the checkout this example belongs to, installed or not
from certify.families import memory  # noqa: E402

from _tutorial import output_dir  # examples/_tutorial.py

ETA1 = np.array([1, 1, 1, 1, -1, -1, -1, -1])
ETA2 = np.array([1, 1, -1, -1, 1, 1, -1, -1])


def hebbian(gain: Fraction, decay: int) -> list[list[Fraction]]:
    """W = gain (eta1 eta1^T + eta2 eta2^T) - decay I, exactly."""
    n = ETA1.size
    return [[gain * int(ETA1[i] * ETA1[j] + ETA2[i] * ETA2[j]) - decay * (i == j) for j in range(n)]
            for i in range(n)]


def q(v) -> str:
    return "(" + ", ".join(str(x) for x in v) + ")"


def plot(ts, E, V, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ts, E, label="E (Krotov-Hopfield energy)")
    ax.plot(ts, V, label="V = E + kappa/2 |x'|^2 (no flat regions)")
    ax.set_xlabel("t")
    ax.set_ylabel("value (float, untrusted)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> int:
    out = output_dir("certify-memory-")
    W = hebbian(Fraction(1, 2), 2)
    b = [Fraction(1)] * 8

    print("== 1. The analysis ==")
    rep = memory.analyze(W, b)
    text = memory.render(rep)
    print(text)
    (out / "memory_report.txt").write_text(text + "\n", encoding="utf-8")

    print("\n== 2. A flat region is not a set of equilibria ==")
    star = rep.equilibria[rep.memories[0]]
    S = star.active
    print(f"memory x* = {q(star.point)}, active set S = {set(S)}, E(x*) = {memory.energy_exact(W, b, star.point)}")
    for shift in (Fraction(1), Fraction(10), Fraction(1000)):
        x = [v - shift if i not in S else v for i, v in enumerate(star.point)]
        F = memory.field_exact(W, b, x)
        print(f"  dead coordinates lowered by {shift}: E = {memory.energy_exact(W, b, x)} (exact, unchanged), "
              f"x' = {q(F)} (nonzero)")
    x0 = star.floats()
    x0[[i for i in range(8) if i not in S]] -= 1000.0
    _, xs = memory.simulate(W, b, x0, t_end=40.0, dt=0.01)
    print(f"  simulated from the farthest point for t = 40: distance to x* = {np.max(np.abs(xs[-1] - star.floats())):.2e} "
          "(float, untrusted); the active block never moved: "
          f"{bool(np.all(xs[:, list(S)] == star.floats()[list(S)]))}")

    print("\n== 3. E and the strict Lyapunov function along a trajectory (floats, untrusted) ==")
    kappa = float(rep.lyapunov.kappa)
    rng = np.random.default_rng(7)
    start = -3 + 0.5 * rng.normal(size=8)        # every neuron dead: E = 0 until the first one wakes up
    ts, xs = memory.simulate(W, b, start, t_end=12.0, dt=0.01)
    E = np.array([memory.energy(W, b, x) for x in xs])
    V = np.array([memory.lyapunov_value(W, b, x, 1, "relu", kappa) for x in xs])
    speed = np.array([np.linalg.norm(memory.velocity(W, b, x)) for x in xs])
    rate = np.array([memory.energy_rate(W, b, x) for x in xs])
    stall = (rate == 0) & (speed > 1e-3)          # dE/dt = 0 exactly (all moving neurons dead), x' != 0
    print(f"start {np.array2string(start, precision=2)}; ends at {np.array2string(xs[-1], precision=4)}")
    print(f"largest increase of E over one step: {np.max(np.diff(E)):.2e}; of V: {np.max(np.diff(V)):.2e}")
    print(f"time points where the state moves (|x'| > 1e-3) but dE/dt = 0 (only dead neurons move): "
          f"{int(stall.sum())} of {len(ts)}, up to t = {ts[stall].max():.2f}; E at all of them: "
          + (f"{E[stall][0]:g}" if E[stall].min() == E[stall].max() else f"{E[stall].min():g} .. {E[stall].max():g}"))
    print(f"V decreases over every step that starts at one of them: {bool(np.all(np.diff(V)[stall[:-1]] < 0))}")
    print(f"E: {E[0]:.4f} -> {E[-1]:.4f};  V: {V[0]:.4f} -> {V[-1]:.4f}")
    np.savetxt(out / "memory_trajectory.csv", np.column_stack([ts, xs, E, V]), delimiter=",",
               header="t," + ",".join(f"x{i}" for i in range(8)) + ",E,V", comments="")
    plot(ts, E, V, out / "memory_energy.png")

    print("\n== 4. Contrasts ==")
    weak = memory.analyze(hebbian(Fraction(1, 4), 2), b)
    print(f"weak Hebbian gain 1/4: {len(weak.equilibria)} equilibrium {q(weak.equilibria[0].point)} "
          f"({weak.equilibria[0].stability}); contraction {weak.contraction}: {weak.contraction_detail}")
    smooth = memory.analyze([[0, 2], [2, 0]], [0, 0], lagrangian="tanh")
    print(f"log cosh Lagrangian, W = [[0, 2], [2, 0]]: {len(smooth.equilibria)} equilibria in kernel-verified boxes, "
          f"{len(smooth.memories)} verified stable; flat regions: {smooth.flat_count}; contraction {smooth.contraction}")
    xi = [[1, 0], [1, 0], [0, 1], [0, 1]]
    two = memory.analyze_two_layer(xi, [Fraction(-1, 2)] * 4, [0, 0], tau_v=1, tau_h=Fraction(1, 5))
    print(f"two-layer form, xi = {xi}, b_v = -1/2, tau_h = 1/5: {len(two.equilibria)} equilibria, stabilities "
          f"{[e.stability for e in two.equilibria]}")
    print("  (a ReLU feature/hidden block is stable only where every singular value of the active xi block is < 1)")
    print(f"\nfiles: {out / 'memory_report.txt'}, {out / 'memory_trajectory.csv'}, {out / 'memory_energy.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
