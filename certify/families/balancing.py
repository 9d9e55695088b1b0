"""Synaptic balancing (THEORY.md §4; Stock, Harvey, Ocko & Ganguli, PLOS Comput Biol 18:e1010418, 2022).

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

This module imports only numpy and scipy and does not depend on the kernel: nothing here is a proof.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from certify.errors import InputError

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

ProgressFn = Callable[[str, int, float], None]
"""progress(phase, iteration, imbalance): phase is "start", "jacobi", "newton" or "done"."""

# Rebase the working cost matrix when p * (max h - min h) exceeds this, so e^{+-p h} never overflows.
_REBASE = 150.0


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


# --------------------------------------------------------------------------------------------
# validation


def _matrix(x: object, name: str, *, ndim: int | tuple[int, ...] = 2) -> np.ndarray:
    if x is None:
        raise InputError(f"{name} is missing", symbol=name)
    if hasattr(x, "toarray") and not isinstance(x, np.ndarray):  # scipy.sparse
        x = x.toarray()
    if np.iscomplexobj(x):
        raise InputError(f"{name} holds complex values; complex values are not allowed (dropping the imaginary "
                         "part would change the network)", symbol=name, hint="pass the real array")
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array, got {type(x).__name__}: {exc}",
                         symbol=name) from None
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if a.ndim not in dims:
        want = " or ".join(f"{d}-D" for d in dims)
        raise InputError(f"{name} must be {want}, got shape {a.shape}", symbol=name)
    if not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise InputError(f"{name} contains NaN or Inf (first at index {tuple(int(k) for k in bad)}: "
                         f"{a[tuple(bad)]})", symbol=name, hint="replace non-finite weights")
    return a


def _square(J: object) -> np.ndarray:
    a = _matrix(J, "J")
    if a.shape[0] != a.shape[1]:
        raise InputError(f"J must be square (n x n), got shape {a.shape}", symbol="J",
                         hint="J[i, j] is the synapse from neuron j to neuron i")
    return a


def _exponent(p: object) -> float:
    try:
        pf = float(p)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"p must be a number > 0, got {p!r}", symbol="p") from None
    if not math.isfinite(pf) or pf <= 0:
        raise InputError(f"p must be a finite number > 0, got {p!r}", symbol="p",
                         hint="p = 2 (default) is 2-norm (Osborne) balancing, p = 1 the 1-norm")
    return pf


def _weights(alpha: object, n: int) -> np.ndarray | float:
    if alpha is None:
        return 1.0
    if np.isscalar(alpha):
        a = float(alpha)  # type: ignore[arg-type]
        if not math.isfinite(a) or a <= 0:
            raise InputError(f"alpha must be > 0, got {alpha!r}", symbol="alpha")
        return a
    a = _matrix(alpha, "alpha")
    if a.shape != (n, n):
        raise InputError(f"alpha must have the shape of J, {(n, n)}, got {a.shape}", symbol="alpha")
    if np.any(a <= 0):
        bad = np.argwhere(a <= 0)[0]
        raise InputError(f"alpha must be > 0 everywhere; alpha[{bad[0]},{bad[1]}] = {a[tuple(bad)]}",
                         symbol="alpha", hint="cost weights are positive; zero cost means no synapse")
    return a


def _tolerance(tol: object) -> float:
    try:
        t = float(tol)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"tol must be a number > 0, got {tol!r}", symbol="tol") from None
    if not (t > 0 and math.isfinite(t)):
        raise InputError(f"tol must be a finite number > 0, got {tol!r}", symbol="tol")
    return t


def _io(n: int, W_in: object, W_out: object, b: object) -> tuple[np.ndarray | None, ...]:
    Wi = Wo = bb = None
    if W_in is not None:
        Wi = _matrix(W_in, "W_in", ndim=(1, 2))
        if Wi.shape[0] != n:
            raise InputError(f"W_in must have {n} rows (one per neuron, like J), got shape {Wi.shape}",
                             symbol="W_in")
    if W_out is not None:
        Wo = _matrix(W_out, "W_out", ndim=(1, 2))
        if Wo.shape[-1] != n:
            raise InputError(f"W_out must have {n} columns (one per neuron, like J), got shape {Wo.shape}",
                             symbol="W_out")
    if b is not None:
        bb = _matrix(b, "b", ndim=(1, 2))
        if bb.shape[0] != n or (bb.ndim == 2 and bb.shape[1] != 1):
            raise InputError(f"b must be a vector of length {n}, got shape {bb.shape}", symbol="b")
    return Wi, Wo, bb


# --------------------------------------------------------------------------------------------
# costs, signal, imbalance


def cost_matrix(J: object, p: float = 2.0, alpha: object = None) -> np.ndarray:
    """c_ij = alpha_ij |J_ij|^p (diagonal included)."""
    a = _square(J)
    pf = _exponent(p)
    al = _weights(alpha, a.shape[0])
    return al * np.abs(a) ** pf


def cost(J: object, p: float = 2.0, alpha: object = None) -> float:
    """Total cost sum_ij alpha_ij |J_ij|^p (diagonal included; it is constant under balancing)."""
    return float(cost_matrix(J, p, alpha).sum())


def _in_out(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = c.copy()
    np.fill_diagonal(c, 0.0)
    return c.sum(axis=1), c.sum(axis=0)


def signal(J: object, p: float = 2.0, alpha: object = None) -> np.ndarray:
    """g_k = incoming cost - outgoing cost = sum_j c_kj - sum_i c_ik (the diagonal cancels)."""
    c = cost_matrix(J, p, alpha)
    return c.sum(axis=1) - c.sum(axis=0)


def imbalance(J: object, p: float = 2.0, alpha: object = None) -> float:
    """||g||_2 / (total off-diagonal cost); 0 if there is none. Scale-free, 0 exactly at balance."""
    rin, rout = _in_out(cost_matrix(J, p, alpha))
    total = rin.sum()
    return float(np.linalg.norm(rin - rout) / total) if total > 0 else 0.0


def neuron_imbalance(J: object, p: float = 2.0, alpha: object = None) -> np.ndarray:
    """Per neuron |in_k - out_k| / (in_k + out_k) (0 for a neuron without off-diagonal synapses)."""
    rin, rout = _in_out(cost_matrix(J, p, alpha))
    s = rin + rout
    return np.divide(np.abs(rin - rout), s, out=np.zeros_like(s), where=s > 0)


# --------------------------------------------------------------------------------------------
# graph structure


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
    from scipy.sparse import csr_matrix
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


# --------------------------------------------------------------------------------------------
# the solver


@dataclass(frozen=True, eq=False)
class BalanceResult:
    """A balanced network and how it was obtained.

    `J`, `W_in`, `W_out`, `b` are the transformed weights (W_in / W_out / b are None when not
    given); `h` the log gains (D = diag(e^h)), mean zero on each strongly connected component;
    `imbalance` the relative imbalance of the returned J (recomputed from it, not the solver's
    running estimate); `converged` is True iff imbalance <= tol; `message` says why it stopped;
    `history` lists (phase, imbalance) after every accepted iteration."""

    J: np.ndarray
    W_in: np.ndarray | None
    W_out: np.ndarray | None
    b: np.ndarray | None
    h: np.ndarray
    iterations: int
    imbalance: float
    cost_before: float
    cost_after: float
    components: list[np.ndarray]
    method: str
    converged: bool
    imbalance_before: float = 0.0
    tol: float = 1e-10
    p: float = 2.0
    message: str = ""
    seconds: float = 0.0
    history: list[tuple[str, float]] = field(default_factory=list)

    @property
    def gains(self) -> np.ndarray:
        """e^h: neuron k's balanced activity is its original activity divided by gains[k]."""
        return np.exp(self.h)

    def summary(self) -> dict[str, object]:
        """JSON-ready description (no matrices)."""
        sizes = sorted((int(c.size) for c in self.components), reverse=True)
        return {
            "status": "balanced" if self.converged else "not_converged",
            "converged": self.converged,
            "n": int(self.J.shape[0]),
            "p": self.p,
            "tol": self.tol,
            "method": self.method,
            "iterations": self.iterations,
            "imbalance_before": self.imbalance_before,
            "imbalance": self.imbalance,
            "cost_before": self.cost_before,
            "cost_after": self.cost_after,
            "components": len(self.components),
            "largest_components": sizes[:10],
            "log_gain_range": [float(self.h.min()), float(self.h.max())] if self.h.size else [0.0, 0.0],
            "seconds": self.seconds,
            "message": self.message,
        }


def _scale_matrix(M: np.ndarray, h: np.ndarray) -> np.ndarray:
    """D^-1 M D with D = diag(e^h), i.e. M_ij e^{h_j - h_i}, without overflow for widely spread h;
    the diagonal is copied exactly."""
    if h.size == 0:
        return M.copy()
    lo, hi = float(h.min()), float(h.max())
    if hi - lo < 600.0:
        s = h - 0.5 * (hi + lo)
        out = np.exp(-s)[:, None] * M
        out *= np.exp(s)[None, :]
    else:
        out = np.zeros_like(M)
        i, j = np.nonzero(M)
        out[i, j] = M[i, j] * np.exp(h[j] - h[i])
    # the diagonal is unchanged in exact arithmetic: keep it bit for bit
    idx = np.arange(M.shape[0])
    out[idx, idx] = M[idx, idx]
    return out


def _mv(K: np.ndarray, v: np.ndarray) -> np.ndarray:
    """K @ v. numpy's own single-threaded loop, not BLAS: a matrix-vector product is memory-bound,
    and multi-threaded BLAS gemv slows down 20-100x when the cores are shared with other work."""
    return np.einsum("ij,j->i", K, v)


def _vm(v: np.ndarray, K: np.ndarray) -> np.ndarray:
    """v @ K (see _mv)."""
    return np.einsum("i,ij->j", v, K)


class _Costs:
    """The off-diagonal cost graph, normalised: K(h)_ij = K_ij e^{p(h_j - h_i)}, evaluated with
    matrix-vector products and never copied per iteration. K is a dense ndarray or CSR."""

    def __init__(self, K, p: float, sparse: bool) -> None:
        self.p = p
        self.sparse = sparse
        self._set(K)
        self.base = np.zeros(K.shape[0])

    def _set(self, K) -> None:
        self.K = K
        self.KT = K.T.tocsr() if self.sparse else None

    def scalings(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(e^{x}, e^{-x}), x = p (h - base) shifted to centre 0 (products e_j/e_i do not change)."""
        x = self.p * (h - self.base)
        if x.size:
            x = x - 0.5 * (x.max() + x.min())
        e = np.exp(x)
        return e, 1.0 / e

    def in_out(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(incoming, outgoing) cost of every neuron at gains h."""
        e, ei = self.scalings(h)
        if self.sparse:
            return ei * (self.K @ e), e * (self.KT @ ei)
        return ei * _mv(self.K, e), e * _vm(ei, self.K)

    def sym_matvec(self, e: np.ndarray, ei: np.ndarray, v: np.ndarray) -> np.ndarray:
        """(W + W^T) v for the current cost matrix W = diag(ei) K diag(e)."""
        if self.sparse:
            return ei * (self.K @ (e * v)) + e * (self.KT @ (ei * v))
        return ei * _mv(self.K, e * v) + e * _vm(ei * v, self.K)

    def weights(self, h: np.ndarray) -> np.ndarray:
        """The current cost matrix, dense."""
        K = self.K.toarray() if self.sparse else self.K
        return _scale_matrix(K, self.p * (h - self.base))

    def maybe_rebase(self, h: np.ndarray) -> None:
        """Fold the gains into K when they spread so far that e^{p h} could overflow."""
        x = self.p * (h - self.base)
        if x.size and float(x.max() - x.min()) > _REBASE:
            if self.sparse:
                W = self.K.tocoo(copy=True)
                W.data = W.data * np.exp(x[W.col] - x[W.row])
                self._set(W.tocsr())
            else:
                self._set(_scale_matrix(self.K, x))
            self.base = h.copy()


def _diag_cost(A: np.ndarray, pf: float, al: np.ndarray | float) -> float:
    da = np.diag(al) if isinstance(al, np.ndarray) else al
    return float(np.sum(da * np.abs(np.diag(A)) ** pf))


def _center(h: np.ndarray, labels: np.ndarray, ncomp: int) -> np.ndarray:
    """Subtract each strongly connected component's mean."""
    if ncomp <= 1:
        return h - h.mean() if h.size else h
    sums = np.bincount(labels, weights=h, minlength=ncomp)
    counts = np.bincount(labels, minlength=ncomp)
    return h - (sums / counts)[labels]


def balance(
    J: object,
    *,
    W_in: object = None,
    W_out: object = None,
    b: object = None,
    p: float = 2.0,
    alpha: object = None,
    tol: float = 1e-10,
    max_iter: int = 500,
    progress: ProgressFn | None = None,
    method: str = "auto",
) -> BalanceResult:
    """Balance the network: find gains h with incoming = outgoing cost at every neuron.

    Returns a `BalanceResult` with the transformed J, W_in, W_out, b (D = diag(e^h); J -> D^-1 J D,
    W_in -> D^-1 W_in, b -> D^-1 b, W_out -> W_out D). Raises `NoBalancedState` (an `InputError`)
    when some synapse lies on no directed cycle, and `InputError` naming the argument for malformed
    input. If the relative imbalance (module docstring) does not reach `tol` within `max_iter`
    iterations (Jacobi sweeps plus Newton steps), the result has converged=False and a message.

    method: "auto" (Jacobi sweeps while they contract fast, then Newton), "jacobi" or "newton".
    progress: called as progress(phase, iteration, imbalance): ("start", 0, initial imbalance), then
    once per iteration (the solver's running estimate; a rejected step repeats the last value), then
    ("done", iterations, the imbalance of the returned J).
    """
    t0 = time.perf_counter()
    A = _square(J)
    n = A.shape[0]
    pf = _exponent(p)
    al = _weights(alpha, n)
    tol = _tolerance(tol)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise InputError(f"max_iter must be an integer >= 0, got {max_iter!r}", symbol="max_iter")
    if method not in ("auto", "jacobi", "newton"):
        raise InputError(f"method must be 'auto', 'jacobi' or 'newton', got {method!r}", symbol="method")
    Wi, Wo, bb = _io(n, W_in, W_out, b)

    support = A != 0
    np.fill_diagonal(support, False)
    labels = _labels(support)
    blocking = _blocking(support, labels)
    if len(blocking):
        raise NoBalancedState(blocking, n=n)
    comps = _groups(labels)
    ncomp = len(comps)

    off = np.abs(A)
    np.fill_diagonal(off, 0.0)
    m = float(off.max()) if n else 0.0
    diag_cost = _diag_cost(A, pf, al)
    if m == 0.0:  # no off-diagonal synapse: balanced as it is
        res = _result(A, Wi, Wo, bb, np.zeros(n), 0, pf, al, comps, "none", tol, diag_cost, 0.0, t0,
                      "no off-diagonal synapses: the network is balanced as it is", [])
        if progress:
            progress("done", 0, res.imbalance)
        return res
    # normalised costs: the largest off-diagonal |J| becomes 1, so |J|^p cannot overflow
    off /= m
    K = al * (np.square(off) if pf == 2.0 else off ** pf)
    del off
    log_scale = pf * math.log(m)
    nnz = int(np.count_nonzero(support))
    sparse = n > 300 and nnz < 0.05 * n * n
    if sparse:
        from scipy.sparse import csr_matrix

        K = csr_matrix(K)
    work = _Costs(K, pf, sparse)
    del K
    h = np.zeros(n)
    rin, rout = work.in_out(h)
    total = float(rin.sum())
    imb = imb0 = float(np.linalg.norm(rin - rout) / total)
    cost0 = total * math.exp(log_scale) + diag_cost if log_scale < 700 else math.inf
    history: list[tuple[str, float]] = []
    if progress:
        progress("start", 0, imb0)

    it = 0
    phase = "newton" if method == "newton" else "jacobi"
    used: list[str] = []
    message = ""
    omega = 1.0
    ratios: list[float] = []
    stall = slow = 0
    current = phase
    # iterate to a margin below tol: the imbalance recomputed from the returned J (the number that
    # decides `converged`) carries the rounding of the final rescaling
    target = 0.25 * tol
    while imb > target and it < max_iter:
        if phase not in used:
            used.append(phase)
        it += 1
        if progress and it > 1:
            progress(current, it - 1, imb)
        current = phase
        if phase == "jacobi":
            # every gain jumps to its exact single-coordinate minimiser: in_k e^{-p d} = out_k e^{p d}
            live = (rin > 0) & (rout > 0)
            step = np.zeros(n)
            step[live] = (omega / (2.0 * pf)) * np.log(rin[live] / rout[live])
            h_new = h + step
            work.maybe_rebase(h_new)
            rin_n, rout_n = work.in_out(h_new)
            tot_n = float(rin_n.sum())
            imb_n = float(np.linalg.norm(rin_n - rout_n) / tot_n) if tot_n > 0 else 0.0
            if not math.isfinite(imb_n) or imb_n > imb:
                # overshoot (e.g. the alternating mode of a bipartite graph): damp, retry
                omega *= 0.5
                stall += 1
                if method == "auto":
                    phase = "newton"
                elif omega < 1e-3:
                    message = "Jacobi sweeps stopped making progress"
                    break
                continue
            ratios.append(imb_n / imb)
            h, rin, rout, imb = h_new, rin_n, rout_n, imb_n
            history.append(("jacobi", imb))
            if len(ratios) >= 2 and imb > target:
                rho = max(ratios[-2:])
                remaining = math.log(target / imb) / math.log(rho) if rho < 1.0 else math.inf
                if method == "auto" and rho > _JACOBI_SLOW and remaining > 3:
                    phase = "newton"
                elif method == "jacobi" and rho > 1 - 1e-4:
                    stall += 1
                    if stall >= 20:
                        message = "Jacobi sweeps stopped making progress"
                        break
                else:
                    stall = 0
        else:
            c_now = float(rin.sum())
            ok, h_new, rin_n, rout_n, imb_n = _newton_step(work, h, rin, rout, imb, labels, ncomp, target)
            if not ok:
                stall += 1
                if stall >= 3:
                    message = (f"Newton steps stopped improving at relative imbalance {imb:.3g} "
                               "(the floating-point limit for this network)")
                    break
                continue
            # quadratic convergence ends at rounding level: stop after 5 steps in a row that neither
            # halve the imbalance nor lower the cost measurably (far from balance the cost drops)
            flat = float(rin_n.sum()) >= c_now * (1.0 - 1e-12)
            slow = slow + 1 if (imb_n > 0.5 * imb and flat) else 0
            stall = 0
            h, rin, rout, imb = h_new, rin_n, rout_n, imb_n
            history.append(("newton", imb))
            if slow >= 5 and imb > target:
                message = (f"Newton steps stopped improving at relative imbalance {imb:.3g} "
                           "(the floating-point limit for this network)")
                break

    if progress and it > 0:
        progress(current, it, imb)
    h = _center(h, labels, ncomp)
    res = _result(A, Wi, Wo, bb, h, it, pf, al, comps, "+".join(used) if used else "none", tol, cost0,
                  imb0, t0, message, history, reached=imb <= target)
    if progress:
        progress("done", it, res.imbalance)
    return res


# Jacobi sweeps hand over to Newton when one sweep shrinks the imbalance by less than this factor.
_JACOBI_SLOW = 0.3


def _pcg(matvec, rhs: np.ndarray, pre: np.ndarray, rtol: float, maxiter: int) -> tuple[np.ndarray, bool]:
    """Preconditioned conjugate gradients from 0 (every iterate is a descent direction)."""
    x = np.zeros_like(rhs)
    r = rhs.copy()
    z = pre * r
    d = z.copy()
    rz = float(r @ z)
    target = rtol * float(np.linalg.norm(rhs))
    for _ in range(maxiter):
        q = matvec(d)
        dq = float(d @ q)
        if not dq > 0:
            return x, False
        a = rz / dq
        x += a * d
        r -= a * q
        if float(np.linalg.norm(r)) <= target:
            return x, True
        z = pre * r
        rz_new = float(r @ z)
        d = z + (rz_new / rz) * d
        rz = rz_new
    return x, False


def _project(v: np.ndarray, labels: np.ndarray, ncomp: int, live: np.ndarray) -> np.ndarray:
    """Remove each component's mean over its live nodes (the Laplacian's null space)."""
    v = np.where(live, v, 0.0)
    if ncomp <= 1:
        k = int(live.sum())
        return np.where(live, v - v.sum() / k, 0.0) if k else v
    sums = np.bincount(labels, weights=v, minlength=ncomp)
    counts = np.bincount(labels, weights=live.astype(float), minlength=ncomp)
    mean = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return np.where(live, v - mean[labels], 0.0)


def _newton_step(work: _Costs, h, rin, rout, imb, labels, ncomp, target):
    """One damped Newton step on C(h); returns (accepted, h, in, out, imbalance).

    grad C = -p g and Hessian = p^2 L, L the Laplacian of W + W^T (W the current cost matrix), so
    the step solves L d = g / p. Solved matrix-free by Jacobi-preconditioned CG to a relative
    residual min(0.1, imbalance) (superlinear convergence), but no tighter than needed to land below
    `target` (the next imbalance is about residual * imbalance + imbalance^2); if CG is slow on a dense network it falls back to a Cholesky
    factorisation with one node per component grounded (the gauge)."""
    pf = work.p
    n = h.size
    e, ei = work.scalings(h)
    deg = rin + rout
    live = deg > 0
    rhs = _project((rin - rout) / pf, labels, ncomp, live)
    pre = np.divide(1.0, deg, out=np.zeros(n), where=live)

    def lap(v):
        return deg * v - work.sym_matvec(e, ei, v)

    rtol = min(0.1, max(imb, 0.5 * target / imb, 1e-14))
    cg_max = max(30, n // 25) if not work.sparse else max(200, min(5 * n, 20000))
    delta, ok = _pcg(lap, rhs, pre, rtol, cg_max)
    if not ok and not work.sparse and n <= 6000:
        from scipy.linalg import LinAlgError, cho_factor, cho_solve

        W = work.weights(h)
        L = -(W + W.T)
        L[np.diag_indices(n)] = deg
        ground = np.ones(n, dtype=bool)
        ground[live] = False
        first = np.unique(labels[live], return_index=True)[1]
        ground[np.flatnonzero(live)[first]] = True
        L[ground, :] = 0.0
        L[:, ground] = 0.0
        L[ground, ground] = 1.0
        b = np.where(ground, 0.0, rhs)
        try:
            delta = cho_solve(cho_factor(L, check_finite=False), b, check_finite=False)
        except (LinAlgError, ValueError):
            pass
    delta = _project(delta, labels, ncomp, live)
    if not np.all(np.isfinite(delta)):
        return False, h, rin, rout, imb
    # backtracking: accept when the cost decreases (Armijo), or -- near the optimum, where C is flat
    # to rounding -- when the imbalance halves
    c_now = float(rin.sum())
    slope = -pf * float((rin - rout) @ delta)
    t = 1.0
    for _ in range(40):
        h_new = h + t * delta
        work.maybe_rebase(h_new)
        rin_n, rout_n = work.in_out(h_new)
        c_new = float(rin_n.sum())
        imb_n = float(np.linalg.norm(rin_n - rout_n) / c_new) if c_new > 0 else 0.0
        if math.isfinite(imb_n) and (c_new <= c_now + 1e-4 * t * slope or imb_n < 0.5 * imb):
            return True, h_new, rin_n, rout_n, imb_n
        t *= 0.5
    return False, h, rin, rout, imb


def _result(A, Wi, Wo, bb, h, it, pf, al, comps, method, tol, cost0, imb0, t0, message, history,
            reached=False):
    Jb = _scale_matrix(A, h)
    e = np.exp(h)
    Wi_b = None if Wi is None else (Wi / e[:, None] if Wi.ndim == 2 else Wi / e)
    bb_b = None if bb is None else (bb / e[:, None] if bb.ndim == 2 else bb / e)
    Wo_b = None if Wo is None else Wo * e
    c = np.abs(Jb)
    c = np.square(c, out=c) if pf == 2.0 else np.power(c, pf, out=c)
    if isinstance(al, np.ndarray):
        c *= al
    elif al != 1.0:
        c *= al
    cost1 = float(c.sum())
    np.fill_diagonal(c, 0.0)  # exactly as imbalance() computes it
    rin, rout = c.sum(axis=1), c.sum(axis=0)
    tot = float(rin.sum())
    imb = float(np.linalg.norm(rin - rout) / tot) if tot > 0 else 0.0
    if not math.isfinite(cost0):
        cost0 = cost(A, pf, al)
    converged = imb <= tol
    if converged:
        message = message if message.startswith("no off-diagonal") else "balanced"
    elif not message and reached:
        message = (f"the solver's estimate reached the target but the imbalance recomputed from the "
                   f"returned weights is {imb:.3g} > tol {tol:g}: tol is at the floating-point floor "
                   f"for this network")
    elif not message:
        message = (f"did not reach relative imbalance {tol:g} in {it} iterations (max_iter; reached "
                   f"{imb:.3g}); increase max_iter or tol")
    else:
        message += f"; not balanced to tol {tol:g} (reached {imb:.3g})"
    return BalanceResult(
        J=Jb, W_in=Wi_b, W_out=Wo_b, b=bb_b, h=h, iterations=it, imbalance=imb,
        cost_before=float(cost0), cost_after=cost1, components=comps, method=method,
        converged=converged, imbalance_before=float(imb0), tol=tol, p=pf, message=message,
        seconds=time.perf_counter() - t0, history=history)


# --------------------------------------------------------------------------------------------
# the gain flow (baseline and reference for the tests)


def gain_flow_rhs(t: float, h: np.ndarray, J: object, p: float = 2.0, alpha: object = None,
                  tau: float = 1.0) -> np.ndarray:
    """dh/dt = g(h) / tau, the signal of J(h) = D^-1 J D (signature fits scipy.integrate.solve_ivp)."""
    A = _square(J)
    c = cost_matrix(_scale_matrix(A, np.asarray(h, dtype=float)), p, alpha)
    return (c.sum(axis=1) - c.sum(axis=0)) / tau


@dataclass(frozen=True, eq=False)
class GainFlowResult:
    """Samples of the gain flow: t[k], h[k] (log gains), cost[k] (total cost, diagonal included) and
    imbalance[k] at each recorded time; J is D^-1 J0 D at the final time."""

    t: np.ndarray
    h: np.ndarray
    cost: np.ndarray
    imbalance: np.ndarray
    J: np.ndarray
    steps: int
    converged: bool
    method: str

    def J_at(self, J0: object, k: int) -> np.ndarray:
        return _scale_matrix(_square(J0), self.h[k])


def integrate_gain_flow(
    J: object,
    t: float | Sequence[float],
    *,
    p: float = 2.0,
    alpha: object = None,
    tau: float = 1.0,
    tol: float | None = None,
    method: str = "euler",
    max_steps: int = 1_000_000,
    safety: float = 0.9,
) -> GainFlowResult:
    """Integrate h' = g(h)/tau from h = 0, J(t) = D^-1 J D.

    `t` is the final time (float, may be inf when `tol` is given) or an increasing sequence of
    times >= 0 at which to record. "euler": explicit Euler with step dt = safety * tau / (p *
    max_k(in_k + out_k)) -- the gradient-descent stability limit, since the Hessian of C is p^2
    times a graph Laplacian with eigenvalues <= 2 max degree -- halved whenever the cost would rise,
    so the recorded cost is non-increasing. "rk45": scipy's solve_ivp (records at `t`, or at every
    accepted step when t = inf; `max_steps` caps the right-hand-side evaluations).
    With `tol`, stops as soon as the relative imbalance is <= tol (the last sample is then that
    time)."""
    A = _square(J)
    n = A.shape[0]
    pf = _exponent(p)
    al = _weights(alpha, n)
    if not (isinstance(tau, (int, float)) and tau > 0 and math.isfinite(tau)):
        raise InputError(f"tau must be a finite number > 0, got {tau!r}", symbol="tau")
    times = np.atleast_1d(np.asarray(t, dtype=float))
    if times.ndim != 1 or np.any(np.isnan(times)) or np.any(times < 0) or np.any(np.diff(times) < 0):
        raise InputError(f"t must be a time >= 0 or an increasing sequence of them, got {t!r}", symbol="t")
    if np.any(np.isinf(times)) and tol is None:
        raise InputError("t = inf needs a stopping tolerance tol", symbol="t")
    tol_f = None if tol is None else _tolerance(tol)
    off = np.abs(A)
    np.fill_diagonal(off, 0.0)
    m = float(off.max()) if n else 0.0
    if m == 0.0:
        zero = np.zeros((times.size, n))
        c = cost(A, pf, al)
        return GainFlowResult(times, zero, np.full(times.size, c), np.zeros(times.size), A.copy(), 0,
                              True, method)
    K = al * (off / m) ** pf
    np.fill_diagonal(K, 0.0)
    scale = m ** pf
    diag_cost = _diag_cost(A, pf, al)
    work = _Costs(K, pf, False)

    def state(hh):
        rin, rout = work.in_out(hh)
        tot = float(rin.sum())
        return rin, rout, tot, (float(np.linalg.norm(rin - rout) / tot) if tot > 0 else 0.0)

    ts, hs, cs, ims = [], [], [], []

    def record(tt, hh, tot, im):
        ts.append(tt)
        hs.append(hh.copy())
        cs.append(tot * scale + diag_cost)
        ims.append(im)

    if method == "rk45":
        from scipy.integrate import solve_ivp

        class _Budget(Exception):
            pass

        evals = [0]
        last = [np.zeros(n)]

        def rhs(_t, hh):
            evals[0] += 1
            if evals[0] > max_steps:
                raise _Budget
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                rin, rout = work.in_out(hh)  # a wild trial step may overflow: RK45 rejects it
            return rin - rout  # in the time unit tau / scale, where the costs are O(1)

        events = None
        if tol_f is not None:
            def hit(_t, hh):  # evaluated on accepted steps
                last[0] = np.array(hh)
                with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                    return state(hh)[3] - 0.99 * tol_f
            hit.terminal = True
            events = [hit]
        unit = tau / scale  # solve in s = t / unit
        s_end = float(times[-1]) / unit if math.isfinite(times[-1]) else 1e12
        finite = times[np.isfinite(times)] / unit
        try:
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                sol = solve_ivp(rhs, (0.0, s_end), np.zeros(n), method="RK45", rtol=1e-10, atol=1e-12,
                                t_eval=finite if finite.size else None, events=events)
        except _Budget:  # out of right-hand-side evaluations: report where it got, not converged
            _, _, tot, im = state(last[0])
            record(float("nan"), last[0], tot, im)
            return GainFlowResult(np.array(ts), np.array(hs), np.array(cs), np.array(ims),
                                  _scale_matrix(A, last[0]), evals[0] - 1, False, "rk45")
        for k in range(len(sol.t)):
            _, _, tot, im = state(sol.y[:, k])
            record(float(sol.t[k]) * unit, sol.y[:, k], tot, im)
        if tol_f is not None and sol.t_events and sol.t_events[0].size:
            he = sol.y_events[0][0]
            _, _, tot, im = state(he)
            record(float(sol.t_events[0][0]) * unit, he, tot, im)
        conv = bool(tol_f is not None and ims and ims[-1] <= tol_f)
        hfin = np.array(hs[-1]) if hs else np.zeros(n)
        return GainFlowResult(np.array(ts), np.array(hs), np.array(cs), np.array(ims),
                              _scale_matrix(A, hfin), int(sol.nfev), conv, "rk45")
    if method != "euler":
        raise InputError(f"method must be 'euler' or 'rk45', got {method!r}", symbol="method")

    h = np.zeros(n)
    now = 0.0
    rin, rout, tot, im = state(h)
    steps = 0
    converged = tol_f is not None and im <= tol_f
    k = 0
    if times[0] == 0.0:
        record(0.0, h, tot, im)
        k = 1
    while k < times.size and not converged and steps < max_steps:
        target = times[k]
        deg_max = float(np.max(rin + rout))
        dt = safety * tau / (pf * deg_max * scale)
        g = (rin - rout) * scale
        if now + dt >= target:
            dt = target - now
        while True:
            h_new = h + dt * g / tau
            work.maybe_rebase(h_new)
            rin_n, rout_n, tot_n, im_n = state(h_new)
            if tot_n <= tot * (1 + 1e-15) or dt < 1e-300:
                break
            dt *= 0.5
        h, rin, rout, tot, im = h_new, rin_n, rout_n, tot_n, im_n
        now += dt
        steps += 1
        if tol_f is not None and im <= tol_f:
            converged = True
            record(now, h, tot, im)
            break
        if now >= target:
            record(now, h, tot, im)
            k += 1
    if not ts or ts[-1] != now:
        record(now, h, tot, im)
    return GainFlowResult(np.array(ts), np.array(hs), np.array(cs), np.array(ims), _scale_matrix(A, h),
                          steps, bool(converged), "euler")


# --------------------------------------------------------------------------------------------
# matrix measures and norms (inline; certify.search.measures is independent)


def measures(A: object) -> dict[str, float]:
    """mu_1, mu_2, mu_inf (logarithmic norms) and the induced 1-, 2-, inf-norms of A."""
    a = _square(A)
    if a.size == 0:
        return {k: 0.0 for k in ("mu1", "mu2", "muinf", "norm1", "norm2", "norminf")}
    d = np.diag(a)
    ab = np.abs(a)
    off_col = ab.sum(axis=0) - np.abs(d)
    off_row = ab.sum(axis=1) - np.abs(d)
    return {
        "mu1": float(np.max(d + off_col)),
        "mu2": float(np.linalg.eigvalsh((a + a.T) / 2.0)[-1]),
        "muinf": float(np.max(d + off_row)),
        "norm1": float(ab.sum(axis=0).max()),
        "norm2": float(np.linalg.norm(a, 2)),
        "norminf": float(ab.sum(axis=1).max()),
    }


def measures_report(J_before: object, J_after: object) -> dict[str, dict[str, float]]:
    """{"before": measures(J_before), "after": measures(J_after)} -- balancing keeps the spectrum but
    changes (typically lowers) norms and matrix measures; those of the Jacobian -I + J are these
    minus 1 (for the measures)."""
    return {"before": measures(J_before), "after": measures(J_after)}


# --------------------------------------------------------------------------------------------
# input -> output map


def _activation(phi: str | Callable[[np.ndarray], np.ndarray], slope: float) -> Callable:
    if callable(phi):
        return phi
    table = {
        "relu": lambda x: np.maximum(x, 0.0),
        "leaky_relu": lambda x: np.where(x > 0, x, slope * x),
        "linear": lambda x: x,
        "tanh": np.tanh,
    }
    if phi not in table:
        raise InputError(f"phi must be one of {sorted(table)} or a callable, got {phi!r}", symbol="phi")
    return table[phi]


def io_map(
    J: object,
    W_in: object,
    W_out: object,
    b: object,
    phi: str | Callable[[np.ndarray], np.ndarray],
    u: object,
    *,
    t_end: float = 10.0,
    dt: float = 0.01,
    x0: object = None,
    trajectory: bool = False,
    leak_slope: float = 0.1,
) -> np.ndarray:
    """Simulate x' = -x + J phi(x) + W_in u(t) + b, y = W_out x with classical RK4 (fixed step dt)
    from x0 (default 0) and return y(t_end), or the array of y at every step (first row t = 0) when
    `trajectory`. `u` is a constant input vector or a callable t -> vector; `b` may be None.

    For positively homogeneous phi (relu, leaky_relu, linear) the balanced network (same u, x0
    transformed as D^-1 x0) gives the same y; for tanh it generally does not."""
    A = _square(J)
    n = A.shape[0]
    Wi, Wo, bb = _io(n, W_in, W_out, b)
    if Wo is None:
        raise InputError("W_out is missing", symbol="W_out")
    f = _activation(phi, leak_slope)
    Wi2 = None if Wi is None else (Wi if Wi.ndim == 2 else Wi[:, None])
    bias = np.zeros(n) if bb is None else bb.reshape(n)
    if callable(u):
        ufun = u
    else:
        uc = None if u is None else np.atleast_1d(np.asarray(u, dtype=float))
        ufun = lambda _t: uc  # noqa: E731
    if not (dt > 0 and t_end >= 0):
        raise InputError(f"need dt > 0 and t_end >= 0, got dt={dt!r}, t_end={t_end!r}", symbol="dt")

    def drive(tt):
        if Wi2 is None:
            return bias
        uu = np.atleast_1d(np.asarray(ufun(tt), dtype=float))
        if uu.shape != (Wi2.shape[1],):
            raise InputError(f"u must have length {Wi2.shape[1]} (columns of W_in), got shape {uu.shape}",
                             symbol="u")
        return Wi2 @ uu + bias

    def F(tt, x):
        return -x + A @ f(x) + drive(tt)

    x = np.zeros(n) if x0 is None else np.asarray(x0, dtype=float).reshape(n)
    steps = int(round(t_end / dt))
    ys = [Wo @ x] if trajectory else None
    tt = 0.0
    for _ in range(steps):
        k1 = F(tt, x)
        k2 = F(tt + dt / 2, x + dt / 2 * k1)
        k3 = F(tt + dt / 2, x + dt / 2 * k2)
        k4 = F(tt + dt, x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        tt += dt
        if trajectory:
            ys.append(Wo @ x)
    return np.array(ys) if trajectory else Wo @ x
