"""Tutorial 4: synaptic balancing (Stock, Harvey, Ocko & Ganguli, PLOS Comput Biol 18:e1010418, 2022).

Give every neuron k a gain exp(h_k) and rescale the network x' = -x + J phi(x) + W_in u + b, y = W_out x:

    J -> D^-1 J D,   W_in -> D^-1 W_in,   b -> D^-1 b,   W_out -> W_out D,   D = diag(exp(h)).

This is a similarity transformation, so a lot is conserved: the eigenvalues, the diagonal of J, the
product of the weights around every directed cycle, the sign of every weight -- and, for an activation
with phi(a x) = a phi(x) for a > 0 (ReLU, linear), the network's whole input -> output map. What changes
are the norms and the matrix measures, which is why balancing matters for contraction (tutorial 3).

A synapse i <- j costs c_ij = |J_ij|^2. Neuron k's signal is its incoming minus its outgoing cost; the gain
flow h' = signal descends the convex total cost, and its fixed point -- incoming cost = outgoing cost at
every neuron -- is the *balanced* network. It exists exactly when every synapse lies on a directed cycle.
When one does not (a feed-forward synapse), the cost has no minimum: along the flow that weight decays to 0
while the gains diverge. `certify.families.balancing` then says so and names the synapses that block it.

Nothing here is kernel-checked: balancing is numerical linear algebra, and its results are measurements.

This script:
  1. balances a 5-neuron recurrent network and prints incoming/outgoing costs before and after;
  2. checks what is conserved (spectrum, diagonal, a cycle product, the ReLU input-output map) and what is
     not (norms, measures; the tanh input-output map);
  3. follows the gain flow: the cost decreases monotonically to the balanced cost;
  4. shows a network with no balanced state, the synapses that block it, and what the flow does there.

Run: python examples/04_synaptic_balancing.py   (writes the balanced network to $CERTIFY_EXAMPLES_OUT)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from certify.families import balancing as bal

from _tutorial import output_dir, section  # examples/_tutorial.py

# J[i, j] is the synapse from neuron j to neuron i. The ring 0 -> 4 -> 3 -> 2 -> 1 -> 0 (and other loops)
# makes the network strongly connected, so every synapse lies on a directed cycle.
J = np.array([[0.0, 3.0, 0.0, 0.0, 0.5],
              [0.2, 0.0, 1.5, 0.0, 0.0],
              [0.0, 0.0, -0.4, 2.0, 0.0],
              [0.0, -0.1, 0.0, 0.0, 4.0],
              [0.6, 0.0, 0.0, -0.3, 0.0]])
W_IN = np.array([[1.0], [0.0], [0.0], [0.0], [0.0]])      # the input drives neuron 0
W_OUT = np.array([[0.0, 0.0, 0.0, 1.0, 0.0]])             # the output reads neuron 3
BIAS = np.array([0.1, 0.0, 0.0, 0.0, 0.0])


RULES = Path(__file__).resolve().parents[1] / "rules"


def in_out(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Incoming and outgoing synaptic cost of every neuron (self-connections left out)."""
    c = bal.cost_matrix(A)
    np.fill_diagonal(c, 0.0)
    return c.sum(axis=1), c.sum(axis=0)


def balance_network(out: Path) -> bal.BalanceResult:
    section("1. Balancing a recurrent network")
    print(f"strongly connected components: {[c.tolist() for c in bal.strong_components(J)]}; "
          f"synapses on no cycle: {bal.edges_blocking_balance(J)}")
    res = bal.balance(J, W_in=W_IN, W_out=W_OUT, b=BIAS)
    print(f"converged: {res.converged} ({res.method}, {res.iterations} iterations); "
          f"relative imbalance {res.imbalance_before:.4f} -> {res.imbalance:.1e}")
    print(f"log gains h = {np.round(res.h, 4)} (mean zero: one free constant per component)")
    print("neuron   in-cost before  out-cost before   in-cost after  out-cost after")
    for k, (i0, o0, i1, o1) in enumerate(zip(*in_out(J), *in_out(res.J))):
        print(f"  {k}      {i0:12.4f}   {o0:14.4f}   {i1:13.4f}   {o1:13.4f}")
    print(f"balanced J =\n{np.round(res.J, 4)}")
    path = out / "04_balanced_network.npz"
    np.savez(path, J=res.J, W_in=res.W_in, W_out=res.W_out, b=res.b, h=res.h)
    print(f"(balanced network written to {path})")
    return res


def conserved(res: bal.BalanceResult) -> None:
    section("2. What balancing keeps, and what it changes")
    ev0, ev1 = np.sort_complex(np.linalg.eigvals(J)), np.sort_complex(np.linalg.eigvals(res.J))
    print(f"spectrum: largest change of an eigenvalue {np.max(np.abs(ev0 - ev1)):.1e} (rounding only)")
    print(f"diagonal identical bit for bit: {np.array_equal(np.diag(J), np.diag(res.J))}")
    # a cycle as synapses i <- j: the signal runs 0 -> 4 -> 3 -> 2 -> 1 -> 0; and two loops of length 2
    for name, cycle in (("0->4->3->2->1->0", [(4, 0), (3, 4), (2, 3), (1, 2), (0, 1)]),
                        ("0->1->0", [(1, 0), (0, 1)]), ("3->4->3", [(4, 3), (3, 4)])):
        before, after = (np.prod([A[i, j] for i, j in cycle]) for A in (J, res.J))
        print(f"product of the weights around the cycle {name}: {before:.6f} before, {after:.6f} after")
    print(f"sign pattern unchanged: {np.array_equal(np.sign(J), np.sign(res.J))}")
    for phi in ("relu", "tanh"):
        y0 = bal.io_map(J, W_IN, W_OUT, BIAS, phi, [1.0], t_end=5.0)
        y1 = bal.io_map(res.J, res.W_in, res.W_out, res.b, phi, [1.0], t_end=5.0)
        same = "the same" if np.allclose(y0, y1, rtol=1e-9, atol=1e-12) else "different"
        print(f"output y(5) for u = 1, phi = {phi}: {y0[0]:.6f} before, {y1[0]:.6f} after ({same})")
    report = bal.measures_report(J, res.J)
    print("                before     after")
    for key in ("mu1", "mu2", "muinf", "norm2"):
        print(f"  {key:<8} {report['before'][key]:10.4f} {report['after'][key]:9.4f}")
    print("(the measures of the Jacobian -I + J are these minus 1: balancing moves the network toward "
          "provable contraction without changing its spectrum)")


def gain_flow(res: bal.BalanceResult) -> None:
    section("3. The gain flow descends the cost")
    flow = bal.integrate_gain_flow(J, [0.0, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0])
    for t, c, imb in zip(flow.t, flow.cost, flow.imbalance):
        print(f"  t = {t:4.2f}   cost {c:9.5f}   relative imbalance {imb:.2e}")
    print(f"cost never increased: {bool(np.all(np.diff(flow.cost) <= 0))}; "
          f"the solver's balanced cost: {res.cost_after:.5f} (from {res.cost_before:.5f})")


def no_balanced_state() -> None:
    section("4. A network with no balanced state")
    # Neurons 1 and 2 form a loop; 0 only sends (to 1) and 3 only receives (from 2).
    C = np.array([[0.0, 0.0, 0.0, 0.0],
                  [1.0, 0.0, 0.5, 0.0],
                  [0.0, 2.0, 0.0, 0.0],
                  [0.0, 0.0, 0.7, 0.0]])
    print(f"strongly connected components: {[c.tolist() for c in bal.strong_components(C)]}")
    try:
        bal.balance(C)
    except bal.NoBalancedState as err:
        print(f"balance(C) raised NoBalancedState: blocking synapses (i <- j) {err.edges}")
        print(f"  hint: {err.hint}")
    # What the flow does instead: the feed-forward weights shrink toward 0 and the gains spread without
    # bound; the cost approaches 2 = 2 |J[1,2] J[2,1]|, the least cost the conserved loop product allows.
    flow = bal.integrate_gain_flow(C, [0.0, 1.0, 10.0, 100.0])
    for k, t in enumerate(flow.t):
        Jk = flow.J_at(C, k)
        print(f"  t = {t:5.0f}   J[1,0] = {Jk[1, 0]:.4f}   J[3,2] = {Jk[3, 2]:.4f}   "
              f"spread of h = {np.ptp(flow.h[k]):.3f}   cost {flow.cost[k]:.4f}")
    recurrent = C.copy()
    for i, j in bal.edges_blocking_balance(C):
        recurrent[i, j] = 0.0
    res = bal.balance(recurrent)
    print(f"without the blocking synapses the loop balances: converged {res.converged}, J[1,2] = {res.J[1, 2]:.4f}, "
          f"J[2,1] = {res.J[2, 1]:.4f} (both sqrt(0.5 * 2) = 1)")


def proved_for_every_n() -> None:
    section("5. The same laws, proved for every network size")
    # Sections 2-3 checked the laws on one network in floating point. A rule file with a [balancing] table asks
    # the trusted kernel instead: each law becomes an identity of matrix normal forms, valid for every n, and for
    # tanh the input-output law is refuted by a two-neuron network that the flow balances, whose steady outputs
    # before and after lie in disjoint verified boxes. (certify check --expect rules/synaptic-balancing-tanh.toml
    # prints the same.)
    from certify import Rule, check_rule

    rep = check_rule(Rule.from_file(RULES / "synaptic-balancing-tanh.toml"), expectations=True)
    for law in rep.laws[0].results:
        print(f"  {law.law:15s} {law.verdict.value:9s} {law.summary[:90]}")


def main() -> None:
    out = output_dir()
    res = balance_network(out)
    conserved(res)
    gain_flow(res)
    no_balanced_state()
    proved_for_every_n()


if __name__ == "__main__":
    main()
