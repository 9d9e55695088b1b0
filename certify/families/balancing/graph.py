"""The support graph of J: strongly connected components and the synapses on no directed cycle, which block
balance (NoBalancedState)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from certify.errors import InputError
from certify.families.balancing.validate import _square


class NoBalancedState(InputError):
    """The support graph has edges on no directed cycle, so no balanced state exists.

    `edges` lists them as (i, j) pairs meaning the synapse i <- j, i.e. the entry J[i, j] (row-major
    order); `edge_array` is the same as an (k, 2) integer array."""

    def __init__(self, edges: Sequence[tuple[int, int]] | np.ndarray, *, n: int) -> None:
        self.edge_array = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        self.n = n
        k = len(self.edge_array)
        shown = ", ".join(f"{i}<-{j} (J[{i},{j}])" for i, j in self.edge_array[:5].tolist())
        more = f" and {k - 5} more" if k > 5 else ""
        message = (
            f"no balanced state: {k} synapse(s) of the {n}-neuron network lie on no directed "
            f"cycle: {shown}{more}. Along the balancing flow these weights decay to 0 while the gains "
            f"diverge (||h|| -> infinity), so the cost infimum is not attained"
        )
        hint = ("remove the listed feed-forward synapses (edges_blocking_balance(J) lists all of them) and "
                "balance the recurrent part; each strongly connected component (strong_components(J)) "
                "can be balanced on its own")
        super().__init__(message, symbol="J", hint=hint)

    @property
    def edges(self) -> list[tuple[int, int]]:
        return [(int(i), int(j)) for i, j in self.edge_array.tolist()]


def strong_components(J: object) -> list[np.ndarray]:
    """Strongly connected components of the support graph (edge j -> i where J[i, j] != 0), each a
    sorted index array; ordered by their smallest index."""
    a = _square(J)
    return _groups(_labels(a != 0))


def _labels(support: np.ndarray) -> np.ndarray:
    """SCC label of each node of the support graph (diagonal ignored)."""
    n = support.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    offdiag = int(np.count_nonzero(support)) - int(np.count_nonzero(np.diagonal(support)))
    if offdiag == n * (n - 1):  # complete graph: one component (fast path for dense J)
        return np.zeros(n, dtype=np.int64)
    # deferred: SciPy's sparse graphs take ~0.25 s to import; complete graphs (above) never need them
    from scipy.sparse import csr_matrix
    # deferred, as csr_matrix above
    from scipy.sparse.csgraph import connected_components

    r, c = np.nonzero(support)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    graph = csr_matrix((np.ones(r.size, dtype=np.int8), c, indptr), shape=(n, n))
    # csgraph's edge u -> v is entry [u, v], ours j -> i is J[i, j]: the transposed graph, which has
    # the same strongly connected components.
    _, labels = connected_components(graph, directed=True, connection="strong")
    return labels.astype(np.int64)


def _groups(labels: np.ndarray) -> list[np.ndarray]:
    if labels.size == 0:
        return []
    if not labels.any():  # one component (dense networks)
        return [np.arange(labels.size)]
    order = np.argsort(labels, kind="stable")
    splits = np.flatnonzero(np.diff(labels[order])) + 1
    comps = [np.sort(g) for g in np.split(order, splits)]
    comps.sort(key=lambda g: int(g[0]))
    return comps


def _blocking(support: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(k, 2) array of the support edges (i, j), i != j, joining different SCCs, row-major."""
    if labels.size == 0 or not np.any(labels != labels[0]):
        return np.zeros((0, 2), dtype=np.int64)
    bad = support & (labels[:, None] != labels[None, :])
    np.fill_diagonal(bad, False)
    return np.argwhere(bad)


def edges_blocking_balance(J: object) -> list[tuple[int, int]]:
    """Support edges (i, j) -- the synapse i <- j, J[i, j] != 0, i != j -- on no directed cycle.

    An edge lies on a directed cycle iff its two ends are in the same strongly connected component.
    A balanced state exists iff this list is empty. Sorted row-major."""
    a = _square(J)
    support = a != 0
    return [(int(i), int(j)) for i, j in _blocking(support, _labels(support)).tolist()]
