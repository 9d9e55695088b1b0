"""Contraction certificates of a network with fixed weights (TRUSTED).

Networks (docs/theory.md section 3), activation slopes in [0, g], D = diag(d), d_i in [0, g]:
    form H:  x' = -x + W phi(x) + u      Jacobian -I + W D
    form FR: x' = -x + phi(W x + u)      Jacobian -I + D W
A certificate proves  mu(J) <= -c  for every such Jacobian, in a stated norm, with c > 0; then
every two trajectories approach each other at rate c in that norm (Lohmiller & Slotine 1998).

Non-Euclidean (Davydov, Proskurnikov, Bullo, IEEE TAC 2025, arXiv 2110.08298), eta > 0:
    H in weighted l1:    sup_D mu_{1,eta}(-I + W D)  = -1 + g max(0, mu_{1,eta}(W))
    FR in weighted linf: sup_D mu_{inf,eta}(-I + D W) = -1 + g max(0, mu_{inf,eta}(W))
    H in weighted linf / FR in weighted l1 (mismatched): -1 + g max_i [(w_ii)_+ + sum_{j != i} |w_ij| eta_j / eta_i]
    (rows for linf, columns for l1). The rate is computed exactly in rationals.
Linear activation (D = I exactly): mu(-I + W) = -1 + mu(W) in every norm.
Euclidean (multiplier LMI, incremental sector condition), P > 0, Lambda = diag(lam) >= 0:
    H:  M = [[-2(1-c)P, PW + g Lambda], [W^T P + g Lambda, -2 Lambda]]  <  0
    FR: M = [[-2(1-c)P, P + g W^T Lambda], [P + g Lambda W, -2 Lambda]] <  0
proves contraction at rate c in the metric P. -M is proved positive definite exactly (rationals,
small n) or by the verified floating-point Cholesky of verified.py with a rigorous bound on the
rounding errors made while forming M in floating point (large n). All binary64 reasoning, with its error model,
is in verified.py; this module decides what to prove and in which arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .errors import KernelError
from .evidence import NetworkRate, PlasticRate, network_fingerprint, read_once, weights_digest
from . import exact
from .sparse import weighted_sparse_bound
from .verified import (binary64_exactly, float_array, is_pd_verified, lmi_matrix_float, mu2_below_verified,
                       norm2_below_verified, weighted_row_bound)

EXACT_LIMIT = 40   # n up to which the LMI is checked in exact rationals


def _weights(eta, n: int) -> list[Fraction]:
    w = exact.to_fraction_vector(eta, "eta")
    if len(w) != n or any(x <= 0 for x in w):
        raise KernelError(f"weights: weights must be {n} positive numbers")
    return w


EXACT_WEIGHTED_LIMIT = 300  # n above which weighted measures are bounded in floating point (rigorously)


def _slope(g) -> Fraction:
    """The slope bound g of the activation: every slope lies in [0, g], so g >= 0 is part of the theorem."""
    g = exact.to_fraction(g, "g")
    if g < 0:
        raise KernelError(f"slope: the slope bound g = {g} must be >= 0 (slopes lie in [0, g])")
    return g


def _weighted_rate_float(W, g: Fraction, form: str, norm: str, eta) -> Fraction:
    g = _slope(g)
    W = float_array(W, "W", 2)
    eta = float_array(eta, "eta", 1)
    n = W.shape[0]
    if W.shape != (n, n) or eta.shape != (n,) or not np.all(np.isfinite(W)) or not np.all(np.isfinite(eta)):
        raise KernelError("weighted_rate_float: W must be a finite square float64 matrix and eta a finite "
                          "vector of length n")
    if np.any(eta <= 0):
        raise KernelError("weighted_rate_float: weights must be positive")
    rows = W if norm == "linf" else W.T          # l1 measures are linf measures of the transpose
    positive = (form, norm) in (("H", "linf"), ("FR", "l1"))
    worst = weighted_row_bound(rows, eta, positive)
    return 1 - g * (worst if positive else max(Fraction(0), worst))


def _is_sparse(W) -> bool:
    return hasattr(W, "indptr") and hasattr(W, "indices")


def weighted_rate(W, g, form: str, norm: str, eta) -> Fraction:
    """The contraction rate c = -sup_D mu(Jacobian) proved by the weights eta (may be <= 0, in which
    case nothing is proved): exact for n <= EXACT_WEIGHTED_LIMIT, else a rigorous lower bound. W may be sparse
    (compressed sparse rows, sparse.csr_parts): then always the rigorous lower bound."""
    if _is_sparse(W):
        if (form, norm) not in (("H", "l1"), ("FR", "linf"), ("H", "linf"), ("FR", "l1")):
            raise KernelError(f"weighted_rate: no non-Euclidean rule for form {form!r} in {norm!r}")
        g = _slope(g)
        positive = (form, norm) in (("H", "linf"), ("FR", "l1"))
        worst = weighted_sparse_bound(W, eta, positive, norm == "l1")
        return 1 - g * (worst if positive else max(Fraction(0), worst))
    if not isinstance(W, list) and np.asarray(W).ndim == 2 and len(W) > EXACT_WEIGHTED_LIMIT:
        if (form, norm) not in (("H", "l1"), ("FR", "linf"), ("H", "linf"), ("FR", "l1")):
            raise KernelError(f"weighted_rate: no non-Euclidean rule for form {form!r} in {norm!r}")
        return _weighted_rate_float(W, Fraction(g), form, norm, eta)
    A = exact.to_fraction_matrix(W, "W")
    n = len(A)
    if n == 0 or any(len(r) != n for r in A):
        raise KernelError("weighted_rate: W must be a non-empty square matrix")
    g = Fraction(g)
    if g < 0:
        raise KernelError("weighted_rate: the slope bound g must be >= 0")
    w = _weights(eta, n)
    if (form, norm) == ("H", "l1"):
        mu = exact.mu1_weighted_exact(A, w)
        return 1 - g * max(Fraction(0), mu)
    if (form, norm) == ("FR", "linf"):
        mu = exact.muinf_weighted_exact(A, w)
        return 1 - g * max(Fraction(0), mu)
    if (form, norm) == ("H", "linf"):
        worst = max(max(A[i][i], Fraction(0)) + sum(abs(A[i][j]) * w[j] for j in range(n) if j != i) / w[i]
                    for i in range(n))
        return 1 - g * worst
    if (form, norm) == ("FR", "l1"):
        worst = max(max(A[j][j], Fraction(0)) + sum(abs(A[i][j]) * w[i] for i in range(n) if i != j) / w[j]
                    for j in range(n))
        return 1 - g * worst
    raise KernelError(f"weighted_rate: no non-Euclidean rule for form {form!r} in {norm!r}")


def linear_rate(W, norm: str, eta=None) -> Fraction:
    """Linear activation: J = -I + W exactly, rate 1 - mu(W) (l1, linf with weights eta; W dense or sparse)."""
    if _is_sparse(W):
        if norm not in ("l1", "linf"):
            raise KernelError("linear_rate: linear_rate handles l1 and linf with positive weights")
        n = int(W.shape[0])
        w = float_array(eta if eta is not None else np.ones(n), "eta", 1)
        return 1 - weighted_sparse_bound(W, w, False, norm == "l1")
    if not isinstance(W, list) and np.asarray(W).ndim == 2 and len(W) > EXACT_WEIGHTED_LIMIT:
        Wf = float_array(W, "W", 2)
        w = float_array(eta if eta is not None else np.ones(len(Wf)), "eta", 1)
        if Wf.shape != (len(w), len(w)):
            raise KernelError("linear_rate: W must be n x n and eta of length n")
        if norm not in ("l1", "linf") or np.any(w <= 0):
            raise KernelError("linear_rate: linear_rate handles l1 and linf with positive weights")
        return 1 - weighted_row_bound(Wf if norm == "linf" else Wf.T, w, False)
    A = exact.to_fraction_matrix(W, "W")
    n = len(A)
    w = _weights(eta if eta is not None else [1] * n, n)
    if norm == "l1":
        return 1 - exact.mu1_weighted_exact(A, w)
    if norm == "linf":
        return 1 - exact.muinf_weighted_exact(A, w)
    raise KernelError(f"linear_rate: linear_rate handles l1 and linf; use check_lmi for l2 (got {norm!r})")


def _exact_product(X: list[list[Fraction]], Y: list[list[Fraction]]) -> list[list[Fraction]]:
    """X Y in exact rationals by FLINT's fmpq_mat (n^3 products in C instead of Python Fractions)."""
    # deferred: python-flint is loaded only when this runs
    from flint import fmpq, fmpq_mat

    def mat(Z):
        return fmpq_mat(len(Z), len(Z[0]), [fmpq(x.numerator, x.denominator) for row in Z for x in row])

    XY = mat(X) * mat(Y)
    return [[Fraction(int(XY[i, j].p), int(XY[i, j].q)) for j in range(XY.ncols())] for i in range(XY.nrows())]


def _lmi_exact(W, g: Fraction, form: str, P, lam, c: Fraction) -> list[list[Fraction]]:
    """-M(c) in exact rationals."""
    A = exact.to_fraction_matrix(W, "W")
    Pm = exact.to_fraction_matrix(P, "P")
    lv = exact.to_fraction_vector(lam, "lam")
    n = len(A)
    if form == "H":
        PW = _exact_product(Pm, A)
        B = [[PW[i][j] + (g * lv[i] if i == j else 0) for j in range(n)] for i in range(n)]
    else:
        # P + g W^T Lambda: entry (i, j) = P_ij + g W_ji lam_j
        B = [[Pm[i][j] + g * A[j][i] * lv[j] for j in range(n)] for i in range(n)]
    s = 2 * (1 - c)
    top = [[s * Pm[i][j] for j in range(n)] + [-B[i][j] for j in range(n)] for i in range(n)]
    bottom = [[-B[j][i] for j in range(n)] + [2 * lv[i] if i == j else Fraction(0) for j in range(n)]
              for i in range(n)]
    return top + bottom


def check_lmi(W, g, form: str, P, lam, c) -> str:
    """Prove that (P, lam) certifies contraction at rate c: -M(c) positive definite, P > 0, lam >= 0.
    Returns the method used ('exact' or 'verified-cholesky'); raises KernelError otherwise."""
    if form not in ("H", "FR"):
        raise KernelError(f"check_lmi: unknown network form {form!r}")
    g = _slope(g)
    c = exact.to_fraction(c, "c")
    W, P, lam = read_once(W, "W"), read_once(P, "P"), read_once(lam, "lam", vector=True)   # each read once
    Wf = float_array(W, "W", 2) if not isinstance(W, list) else None
    n = len(W)
    if n == 0 or (Wf is not None and Wf.shape != (n, n)) or \
            (Wf is None and any(not hasattr(r, "__len__") or len(r) != n for r in W)):
        raise KernelError("check_lmi: W must be a non-empty square matrix")
    if len(P) != n or any(len(r) != n for r in P):
        raise KernelError(f"check_lmi: P must be {n} x {n}")
    lam_list = exact.to_fraction_vector(lam, "lam")
    if len(lam_list) != n or any(x < 0 for x in lam_list):
        raise KernelError("check_lmi: the multiplier must be n non-negative numbers")
    if not c < 1:
        raise KernelError(f"check_lmi: the rate c = {c} must be < 1 (the block -2(1 - c) P of M must be negative "
                          "definite)")
    if n <= EXACT_LIMIT:
        if not exact.is_pd_exact(exact.to_fraction_matrix(P, "P")):
            raise KernelError("check_lmi: P is not positive definite")
        if not exact.is_pd_exact(_lmi_exact(W, g, form, P, lam_list, c)):
            raise KernelError(f"check_lmi: the LMI does not hold at rate c = {c}: -M(c) is not positive definite")
        return "exact"
    if Wf is None:
        Wf = binary64_exactly(W)
    P = float_array(P, "P", 2)
    lam = float_array(lam, "lam", 1)
    # P > 0 needs no check of its own: the verified test below proves -M(c) > 0 for s~ = round_down(2(1 - c)) > 0,
    # and its top-left block s~ P is a principal submatrix of a positive definite matrix.
    minusM, R = lmi_matrix_float(Wf, g, form, P, lam, c)
    if not is_pd_verified(minusM, R, overwrite=True):
        raise KernelError(f"check_lmi: the LMI could not be verified at rate c = {c} (verified Cholesky failed)")
    return "verified-cholesky"


# -- plastic weights: the flow bound meets the network condition ----------------------------------------

def _arb_upper(ball) -> Fraction:
    """An exact rational upper bound of a python-flint arb ball (mid + rad, both exact binary)."""
    m, e = ball.mid().man_exp()
    r, f = ball.rad().man_exp()
    return Fraction(int(m)) * Fraction(2) ** int(e) + Fraction(int(r)) * Fraction(2) ** int(f)


def _log_upper(x: Fraction) -> Fraction:
    # deferred: python-flint is loaded only when this runs
    import flint
    ball = flint.arb(flint.fmpq(x.numerator, x.denominator)).log()
    return _arb_upper(ball)


def _start_value(W0, norm: str, route: str, proposals=()) -> Fraction:
    """An upper bound of mu(W0) (measure route) or ||W0|| (norm route); the flow bounds and the onset time T only
    grow with it, so any upper bound is sound.

    Rows of exact numbers: exactly for l1/linf; for l2 the first proposed b with b I - sym(W0) >= 0 (or
    b^2 I - W0^T W0 >= 0), proved exactly. A float64 array (exact binary64 data, what large W0 files are): the
    rigorous binary64 row-sum bound for l1/linf above EXACT_WEIGHTED_LIMIT, and for l2 above EXACT_LIMIT the first
    proposed b proved by verified floating point (verified.mu2_below_verified / norm2_below_verified); smaller arrays
    take the exact path."""
    if isinstance(W0, np.ndarray) and len(W0) > (EXACT_WEIGHTED_LIMIT if norm in ("l1", "linf") else EXACT_LIMIT):
        return _start_value_float(W0, norm, route, proposals)
    A = exact._square(W0, "W0")
    n = len(A)
    if norm == "l1":
        return exact.mu1_exact(A) if route == "measure" else exact.norm1_exact(A)
    if norm == "linf":
        return exact.muinf_exact(A) if route == "measure" else exact.norminf_exact(A)
    AtA = ([[sum(A[k][i] * A[k][j] for k in range(n)) for j in range(n)] for i in range(n)] if route == "norm"
           else None)

    def holds(b: Fraction) -> bool:
        if route == "measure":
            return exact.mu2_le_exact(A, b)
        return b >= 0 and exact.is_psd_exact([[b * b * (i == j) - AtA[i][j] for j in range(n)] for i in range(n)])

    # the kernel makes no float guess of its own: the search side proposes upper bounds (e.g. an eigenvalue plus a
    # margin), the kernel proves the first one that holds, exactly
    for b in (exact.to_fraction(x, "start value proposal") for x in proposals):
        if holds(b):
            return b
    raise KernelError(f"start_value: none of the {len(proposals)} proposed bounds is >= the l2 "
                      f"{'measure' if route == 'measure' else 'norm'} of W0 (proved exactly)")


_START_MEMO: dict = {}     # (digest of W0's exact entries, norm, route, proposals) -> proved value: a pure function


def _start_value_float(W0: np.ndarray, norm: str, route: str, proposals) -> Fraction:
    """The binary64 path of _start_value. Results are remembered by the digest of W0's exact entries: a decision asks again per flow proof."""
    W = float_array(W0, "W0", 2)
    key = (weights_digest(W), norm, route, tuple(exact.to_fraction(x, "start value proposal") for x in proposals))
    if key not in _START_MEMO:
        if len(_START_MEMO) > 256:
            _START_MEMO.clear()
        _START_MEMO[key] = _start_value_binary64(W, norm, route, key[3])
    return _START_MEMO[key]


def _start_value_binary64(W: np.ndarray, norm: str, route: str, proposals) -> Fraction:
    n = W.shape[0]
    if W.shape != (n, n) or n == 0:
        raise KernelError("start_value: W0 must be a non-empty square matrix")
    if norm in ("l1", "linf"):
        rows = W if norm == "linf" else W.T
        if route == "measure":
            return weighted_row_bound(rows, np.ones(n), False)
        return weighted_row_bound(np.abs(rows), np.ones(n), True)     # |w_ii| + sum_j |w_ij|
    proved = mu2_below_verified if route == "measure" else norm2_below_verified
    for b in proposals:
        if proved(W, b):
            return b
    raise KernelError(f"start_value: none of the {len(proposals)} proposed bounds is verified >= the l2 "
                      f"{'measure' if route == 'measure' else 'norm'} of W0 (verified floating point)")


def check_plastic(dW, asm, claim, proof, W0, form: str, g, linear: bool, start_proposals=()):
    """Contraction of the network while W(t) follows dW/dt, for every admissible activity and every
    parameter in the declared ranges, from the given W0 (n = size of W0).

    The flow bound m(t) >= mu(W(t)) (or ||W(t)||, or max(mu, 0)) comes from check_proof (re-run here).
    Network condition, exact per norm: H with mu_1 and FR with mu_inf (Davydov et al.), any measure for
    a linear activation, any induced norm via mu(-I + W D) <= -1 + g ||W||. Then the network
    contracts at rate c(t) = 1 - g max(0, m(t)). Returns (c_all, T, c_after): c_all > 0 means
    contraction for all t >= 0 at rate c_all; otherwise contraction at rate c_after for t >= T
    (T an exact rational upper bound); raises KernelError if neither can be shown. Also returns the
    flow Certificate and the start value m0 it was evaluated at, for the report.
    """
    # deferred: loads SymPy only when this runs
    from .intervals import enclose
    # deferred: loads SymPy only when this runs
    from .objects import N
    from .verify import check_proof
    # deferred: SymPy is loaded only when this runs
    import sympy as sp

    if form not in ("H", "FR"):
        raise KernelError(f"check_plastic: unknown network form {form!r}")
    g = _slope(g)
    cert = check_proof(dW, asm, claim, proof)
    norm, route = cert.norm, cert.route
    valid = (route == "norm" or linear or (form, norm) in (("H", "l1"), ("FR", "linf")))
    if not valid:
        raise KernelError(f"check_plastic: a {route} bound in {norm} does not control the Jacobian of form {form} "
                          "(mu_2(W) <= 0 is not sufficient for nonlinear activations)")
    g = Fraction(g)
    gl = Fraction(1) if linear else g
    n = len(W0)
    env = asm.symbol_env()
    env[N] = type(env[N])(Fraction(n), Fraction(n))
    m0 = _start_value(W0, norm, route, start_proposals)
    if cert.positive_part:
        m0 = max(m0, Fraction(0))
    rate = enclose(cert.gamma, env)
    if claim.bound == "nonincreasing":
        # m(t) <= e^{-gamma t} m0 holds for every real constant gamma (variation of constants). Its supremum
        # over t >= 0 is max(m0, 0) only when gamma >= 0 over the whole declared range, or when m0 <= 0;
        # a gamma that can be negative with m0 > 0 lets the bound grow without limit.
        if rate.is_positive():
            m_inf_hi = Fraction(0)
        elif rate.is_nonneg() or m0 <= 0:
            m_inf_hi = max(m0, Fraction(0))
        else:
            raise KernelError(f"check_plastic: the decay rate gamma = {cert.gamma} ranges over {rate}, which "
                              f"includes negative values, and the start value m(0) = {m0} is > 0: the flow "
                              "bound e^(-gamma t) m(0) grows without limit, so no contraction follows from it")
    else:
        if not rate.is_positive():
            raise KernelError(f"check_plastic: a 'bounded' flow bound needs a decay rate > 0; gamma = "
                              f"{cert.gamma} ranges over {rate}")
        m_inf = enclose(cert.beta * (1 / cert.gamma) if cert.beta != 0 else sp.Integer(0), env)
        if m_inf.hi == float("inf"):
            raise KernelError("check_plastic: the drive bound over the decay rate is unbounded over the "
                              "declared ranges")
        m_inf_hi = Fraction(m_inf.hi)
        if cert.positive_part:
            m_inf_hi = max(m_inf_hi, Fraction(0))
    worst = max(m0, m_inf_hi, Fraction(0))
    if 1 - gl * worst > 0:
        return cert, m0, 1 - gl * worst, Fraction(0), 1 - gl * worst
    if not (1 - gl * max(m_inf_hi, Fraction(0)) > 0):
        raise KernelError(f"check_plastic: the asymptotic bound g m_inf = {gl * m_inf_hi} is not < 1: no contraction "
                          "follows from this flow bound")
    if not rate.is_positive() or rate.lo <= 0:
        raise KernelError("check_plastic: the decay rate has no positive lower bound over the declared ranges")
    c_after = (1 - gl * max(m_inf_hi, Fraction(0))) / 2
    L = (1 - c_after) / gl                   # need m(t) <= L
    T = _log_upper((m0 - m_inf_hi) / (L - m_inf_hi)) / Fraction(rate.lo)
    return cert, m0, Fraction(0), T, c_after


# -- evidence: the same checks, returning results that only the kernel can make -----------------------------

# Every prove_* reads all its inputs once (evidence.read_once) before its first check: rate and fingerprint agree.

def prove_weighted_rate(W, g, form: str, norm: str, eta) -> NetworkRate:
    """weighted_rate as evidence: the rate that the weights eta prove for the network (W, g, form)."""
    W, g, eta = read_once(W, "W"), _slope(g), read_once(eta, "eta", vector=True)
    rate = weighted_rate(W, g, form, norm, eta)
    return NetworkRate(network_fingerprint(W, g, form, False), f"weighted-{norm}", rate, "weights")


def prove_linear_rate(W, norm: str, eta=None) -> NetworkRate:
    """linear_rate as evidence (linear activation: J = -I + W exactly)."""
    W, eta = read_once(W, "W"), None if eta is None else read_once(eta, "eta", vector=True)
    rate = linear_rate(W, norm, eta)
    return NetworkRate(network_fingerprint(W, 1, "H", True), f"weighted-{norm}", rate, "linear")


def prove_lmi_rate(W, g, form: str, P, lam, c) -> NetworkRate:
    """check_lmi as evidence: the metric P and multiplier lam prove contraction at rate c in the metric P."""
    W, g, c = read_once(W, "W"), _slope(g), exact.to_fraction(c, "c")
    method = check_lmi(W, g, form, P, lam, c)
    return NetworkRate(network_fingerprint(W, g, form, False), "l2-metric", c, method)


def prove_plastic(dW, asm, claim, proof, W0, form: str, g, linear: bool, start_proposals=()) -> PlasticRate:
    """check_plastic as evidence, fingerprinted to (W0, g, form, linear) and carrying the flow certificate."""
    W0, g = read_once(W0, "W0"), _slope(g)
    start_proposals = tuple(exact.to_fraction(x, "start value proposal") for x in start_proposals)
    cert, m0, c_all, T, c_after = check_plastic(dW, asm, claim, proof, W0, form, g, linear, start_proposals)
    return PlasticRate(network_fingerprint(W0, g, form, linear), c_all, T, c_after, m0, cert)
