"""Synapse costs c_ij = alpha_ij |J_ij|^p, the signal (incoming minus outgoing cost), the relative imbalance, and
the solvers' working cost graph K(h) evaluated by matrix-vector products."""

from __future__ import annotations

import numpy as np

from certify.families.balancing.validate import _exponent, _square, _weights


# Rebase the working cost matrix when p * (max h - min h) exceeds this, so e^{+-p h} never overflows.
_REBASE = 150.0


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

    def rebase_in_out(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """maybe_rebase(h), then in_out(h), with p (h - base) and its spread computed once (the per-sweep
        overhead counts for small networks: n = 100 balances in 12 sweeps of ~40 us)."""
        x = self.p * (h - self.base)
        if x.size:
            lo, hi = float(x.min()), float(x.max())
            if hi - lo > _REBASE:
                self.maybe_rebase(h)
                return self.in_out(h)
            x -= 0.5 * (hi + lo)
        e = np.exp(x)
        ei = 1.0 / e
        if self.sparse:
            return ei * (self.K @ e), e * (self.KT @ ei)
        return ei * _mv(self.K, e), e * _vm(ei, self.K)

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
