"""Synaptic balancing (docs/theory.md §4; Stock, Harvey, Ocko & Ganguli, PLOS Comput Biol 18:e1010418, 2022).

A network x' = -x + J phi(x) + W_in u + b, y = W_out x is rescaled neuron by neuron with gains
D = diag(e^h)::

    J -> D^-1 J D,   W_in -> D^-1 W_in,   b -> D^-1 b,   W_out -> W_out D,   x -> D^-1 x.

Synapse i <- j (the entry J[i, j]) costs c_ij = alpha_ij |J_ij|^p. Neuron k's *signal* is
incoming minus outgoing cost, g_k = sum_j c_kj - sum_i c_ik (row sum minus column sum; the diagonal
cancels). The gain flow h' = g / tau descends the convex cost C(h) = sum_ij c_ij e^{p (h_j - h_i)}
(grad C = -p g) and its fixed point -- incoming cost = outgoing cost at every neuron -- is the
*balanced* network. It exists iff every edge of the support graph lies on a directed cycle, and is
then unique up to one additive constant of h per strongly connected component (SCC).

Scale-free measure used everywhere here (the "relative imbalance")::

    imbalance = ||g||_2 / sum_{i != j} c_ij        (0 when there is no off-diagonal cost)

It is invariant under J -> s J and alpha -> s alpha, lies in [0, sqrt(2)], and is 0 exactly at
balance. `neuron_imbalance` gives the per-neuron |g_k| / (in_k + out_k) as well.

Solver (`balance`): vectorised Jacobi sweeps -- every gain jumps at once to its exact
single-coordinate minimiser h_k += ln(in_k / out_k) / (2p), computed with two matrix-vector products
and no copy of J -- while they contract fast; when a sweep shrinks the imbalance by less than a factor
0.3 (long cycles, bipartite graphs, heavy-tailed weights) it switches to damped Newton on C(h). The
Hessian is p^2 L, L the Laplacian of the symmetrised current cost graph; the Newton system is solved
matrix-free by Jacobi-preconditioned CG (inexact Newton), falling back to a dense Cholesky
factorisation with one node per SCC grounded (the gauge) when CG is slow on a dense network. Sparse
networks (n > 300, < 5% synapses) are held in CSR. The reported imbalance is recomputed from the
returned J, and `converged` is True only when that number is <= tol.

This package imports only numpy and scipy and does not depend on the kernel: nothing here is a proof.

Modules: `validate` (input checks), `graph` (strongly connected components, NoBalancedState), `costs` (costs,
signal, imbalance, the working cost graph), `solver` (`balance`: Jacobi sweeps, then Newton), `newton` (the Newton
step), `result` (BalanceResult), `flow` (the gain flow and its integration), `norms` (matrix measures), `simulate`
(the input -> output map).
"""

from __future__ import annotations

from certify.families.balancing.costs import (
    cost as cost,
    cost_matrix as cost_matrix,
    imbalance as imbalance,
    neuron_imbalance as neuron_imbalance,
    signal as signal,
)
from certify.families.balancing.flow import (
    gain_flow_rhs as gain_flow_rhs,
    GainFlowResult as GainFlowResult,
    integrate_gain_flow as integrate_gain_flow,
)
from certify.families.balancing.graph import (
    edges_blocking_balance as edges_blocking_balance,
    NoBalancedState as NoBalancedState,
    strong_components as strong_components,
)
from certify.families.balancing.norms import (
    measures as measures,
    measures_report as measures_report,
)
from certify.families.balancing.result import (
    BalanceResult as BalanceResult,
)
from certify.families.balancing.simulate import (
    io_map as io_map,
)
from certify.families.balancing.solver import (
    balance as balance,
)
from certify.families.balancing.solver import ProgressFn as ProgressFn  # noqa: F401 (public, never in __all__)

__all__ = [
    "BalanceResult",
    "GainFlowResult",
    "NoBalancedState",
    "balance",
    "cost",
    "cost_matrix",
    "edges_blocking_balance",
    "gain_flow_rhs",
    "imbalance",
    "integrate_gain_flow",
    "io_map",
    "measures",
    "measures_report",
    "neuron_imbalance",
    "signal",
    "strong_components",
]
