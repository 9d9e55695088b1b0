"""Network contraction (UNTRUSTED search; every verdict comes from kernel/contraction.py).

Fixed weights: try every norm -- Perron weights of the Metzler majorant for weighted l1 (form H) and
weighted linf (form FR), unit weights, the mismatched pairings, and the multiplier LMI (cvxpy/SCS,
when `certify.search.lmi` is available) -- let the kernel compute or verify each rate, keep the best.
Plastic weights: combine a kernel-checked flow bound with the network condition (check_plastic).
Refutation of a fixed network: two equilibria or an unstable one (certify.search.equilibria, when present).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from certify.search import derive, sizes
from certify.search.proposals import start_proposals
from certify.errors import KernelError
from certify.kernel import contraction as kc
from certify.kernel.objects import Claim
from certify.lang.network import Network
from certify.lang.rule import Rule


@dataclass(frozen=True)
class Attempt:
    norm: str                    # e.g. "weighted-l1 (Perron)", "l2 metric (diagonal P)"
    rate: Fraction | None        # kernel-checked rate (None: not verified)
    note: str = ""
    data: dict = field(default_factory=dict)
    evidence: object = None      # the kernel's NetworkRate behind `rate` (a CERTIFIED verdict needs it)


@dataclass(frozen=True)
class FixedResult:
    best: Attempt | None
    attempts: tuple[Attempt, ...]


def _rational_weights(eta) -> list[Fraction]:
    return [Fraction(float(x)) for x in eta]


def perron_weights(W, norm: str) -> np.ndarray:
    """Positive weights near the Perron vector of the Metzler majorant: right vector for weighted
    linf, left for weighted l1 (a dense eigen-decomposition for small n, ARPACK above, on the sparse majorant when W
    is sparse; a small positive floor for reducible matrices). Untrusted: the kernel computes the rate the weights
    prove."""
    # deferred: SciPy is loaded only when this runs
    from scipy.sparse.linalg import ArpackNoConvergence, eigs

    if hasattr(W, "indptr"):
        M = abs(W).tocsr()
        M.setdiag(W.diagonal())
    else:
        M = np.abs(W)
        np.fill_diagonal(M, np.diag(W))
    if norm == "l1":
        M = M.T
    n = M.shape[0]
    if n <= sizes.DENSE_EIG_MAX_N and not hasattr(M, "indptr"):
        vals, vecs = np.linalg.eig(M)
        v = vecs[:, int(np.argmax(vals.real))].real
    else:
        try:
            _, vecs = eigs(M, k=1, which="LR", tol=1e-10, maxiter=5000)
            v = vecs[:, 0].real
        except ArpackNoConvergence as exc:
            v = exc.eigenvectors[:, 0].real if exc.eigenvectors.size else np.ones(n)
    v = np.abs(v)
    top = v.max() if v.size and v.max() > 0 else 1.0
    return np.maximum(v / top, 1e-6)


def _kernel_weights(W, n: int):
    """W as the kernel takes it (the exact float64 array, a sparse CSR, or rows of Fractions) and a float copy (or
    the CSR itself) for the search."""
    if isinstance(W, np.ndarray):
        Wf = W.astype(np.float64)
        return (Wf if n > kc.EXACT_WEIGHTED_LIMIT else [[Fraction(float(x)) for x in r] for r in Wf]), Wf
    if hasattr(W, "indptr"):
        return W, W
    Wq = [list(r) for r in W]
    Wf = np.array([[float(x) for x in r] for r in Wq])
    if n > kc.EXACT_WEIGHTED_LIMIT and all(Fraction(float(x)) == x for r in Wq for x in r):
        Wq = Wf   # the fast rigorous float path certifies exactly this matrix (entries are binary64)
    return Wq, Wf


def certify_fixed(net: Network, W=None, *, use_lmi: bool = True) -> FixedResult:
    """Every certificate the tools can find for the network with weights W (default: W0). Metrics that cannot pay
    off are not tried: no l2 metric for a sparse W above lang.matrix.DENSE_MAX_N (it would need dense n x n
    matrices), and above sizes.LMI_OPTIONAL_N only when no weighted l1/linf certificate was found (the diagonal
    metric search costs minutes there, and contraction is already proved)."""
    if W is None:
        W = net.W0.kernel_input()
    n = W.shape[0] if hasattr(W, "shape") else len(W)
    Wq, Wf = _kernel_weights(W, n)
    dense_rows = isinstance(Wq, list)
    g = Fraction(1) if net.linear else net.g
    attempts: list[Attempt] = []
    forms = ("H", "FR") if net.linear else (net.form,)
    for form in forms:
        for norm in ("l1", "linf"):
            candidates = [("unit weights", [1] * n if dense_rows else np.ones(n))]
            try:
                eta = perron_weights(Wf, norm)
                candidates.append(("Perron weights", _rational_weights(eta) if dense_rows else eta))
            except Exception as exc:  # numeric trouble: just fewer candidates
                attempts.append(Attempt(f"weighted-{norm}", None, f"Perron weights failed: {exc}"))
            for label, eta in candidates:
                try:
                    proved = (kc.prove_linear_rate(Wq, norm, eta) if net.linear
                              else kc.prove_weighted_rate(Wq, g, form, norm, eta))
                except KernelError as err:
                    attempts.append(Attempt(f"weighted-{norm} ({label})", None, str(err)))
                    continue
                exact_pair = net.linear or (form, norm) in (("H", "l1"), ("FR", "linf"))
                how = "exact for this form" if exact_pair else "mismatched pairing (positive-part diagonal)"
                shown = [repr(float(x)) for x in eta] if n <= sizes.SHOW_WEIGHTS_MAX_N else f"{n} weights"
                attempts.append(Attempt(f"weighted-{norm} ({label})", proved.rate, how,
                                        {"eta": shown, "form": form, "eta_exact": eta}, proved))
    proved_already = any(a.rate is not None and a.rate > 0 for a in attempts)
    if use_lmi and hasattr(Wf, "indptr"):
        attempts.append(Attempt("l2 metric", None, f"not tried: W is sparse with n = {n} (the metric search and its "
                                                   "check need dense n x n matrices)"))
    elif use_lmi and n > sizes.LMI_OPTIONAL_N and proved_already:
        attempts.append(Attempt("l2 metric", None, f"not tried: n = {n} > {sizes.LMI_OPTIONAL_N} and a weighted "
                                                   "certificate already proves contraction"))
    elif use_lmi:
        rates = [a.rate for a in attempts if a.rate is not None]
        attempts.extend(_lmi_attempts(net, Wf, g, Wq if isinstance(Wq, list) else Wf, max(rates, default=None)))
    good = [a for a in attempts if a.rate is not None and a.rate > 0]
    best = max(good, key=lambda a: a.rate) if good else None
    return FixedResult(best, tuple(attempts))


def _full_metric_ceiling(Wf: np.ndarray, g: Fraction) -> float:
    """An upper bound (in floating point: a search heuristic, not a proof) on the rate any metric can prove: at the
    slopes D = g I both forms have the Jacobian -I + g W, and no norm contracts faster than -alpha(J), so every
    rate is <= 1 - g alpha(W)."""
    # deferred: SciPy is loaded only when this runs (the metric search that follows loads it anyway)
    from certify.search.measures import spectral_abscissa
    return 1.0 - float(g) * spectral_abscissa(Wf)


def _lmi_attempts(net: Network, Wf: np.ndarray, g: Fraction, W_exact, rate_so_far: Fraction | None = None
                  ) -> list[Attempt]:
    """The search runs on the float copy Wf; the kernel checks the candidate on the exact W. A full metric is not
    searched when the spectral ceiling shows it can neither prove contraction nor beat `rate_so_far` (the best rate
    proved before) or the diagonal metric's rate."""
    try:
        # deferred: loads SciPy only when this runs
        from certify.search import lmi
    except ImportError:
        return [Attempt("l2 metric", None, "the LMI search module is not available")]
    out = []
    form = net.form
    n = Wf.shape[0]
    for structure in ("diag",) + (("full",) if n <= sizes.FULL_METRIC_MAX_N else ()):
        if structure == "full":
            best = max([float(a.rate) for a in out if a.rate is not None] +
                       ([float(rate_so_far)] if rate_so_far is not None else []) + [0.0])
            ceiling = _full_metric_ceiling(Wf, g)
            if ceiling <= best - 1e-9 * max(1.0, abs(best)):
                out.append(Attempt("l2 metric (full P)", None, f"not tried: at the slopes D = g I no metric "
                                   f"contracts faster than 1 - g alpha(W) = {ceiling:.4g} (float), which is not "
                                   f"above {'0' if best == 0 else f'the rate {best:.4g} already proved'}"))
                continue
        try:
            res = lmi.search_metric(Wf, float(g), form, structure=structure)
        except Exception as exc:  # solver failure is "not certified", never a verdict
            out.append(Attempt(f"l2 metric ({structure} P)", None, f"search failed: {exc}"))
            continue
        if res.P is None or res.c is None or res.c <= 0:
            out.append(Attempt(f"l2 metric ({structure} P)", None, f"no positive rate found ({res.status})"))
            continue
        c = Fraction(float(res.c))
        try:
            proved = kc.prove_lmi_rate(W_exact, g, form, np.asarray(res.P, float), np.asarray(res.lam, float), c)
        except KernelError as err:
            out.append(Attempt(f"l2 metric ({structure} P)", None, f"kernel rejected the candidate: {err}"))
            continue
        out.append(Attempt(f"l2 metric ({structure} P)", proved.rate, f"multiplier LMI, {proved.method}",
                           {"structure": structure, "P": np.asarray(res.P, float), "lam": np.asarray(res.lam, float)},
                           proved))
    return out


def diverging_evidence(net: Network) -> str | None:
    """UNTRUSTED supporting evidence for a refutation: two simulated trajectories that separate."""
    try:
        # deferred: loads python-flint only when this runs
        from certify.search import equilibria
        u = np.array([float(b) for b in net.bias_exact()])
        pair = equilibria.diverging_pair(net.W0_float(), u, net.form, net.activation or "tanh", t_end=50.0)
    except Exception:  # evidence only: never let it change a verdict
        return None
    if pair is None:
        return None
    return (f"two simulated trajectories starting {pair.initial_distance:.1e} apart end {pair.final_distance:.3g} "
            "apart (untrusted floating-point simulation, supporting evidence only)")


def refute_fixed(net: Network):
    """A kernel-verified refutation (two equilibria or an unstable one) or None."""
    try:
        # deferred: loads python-flint only when this runs
        from certify.search import equilibria
    except ImportError:
        return None
    if net.activation is None:
        return None   # only a slope bound: no particular activation to find equilibria of
    try:
        exact_W = [[str(x) for x in row] for row in net.W0]   # the kernel reads "6/5" exactly
        return equilibria.refute_verified(exact_W, [str(b) for b in net.bias_exact()], net.form, net.activation)
    except (KernelError, AttributeError, ValueError):
        return None


@dataclass(frozen=True)
class PlasticResult:
    claim: Claim
    c_all: Fraction
    T: Fraction
    c_after: Fraction
    flow_statement: str
    all_t_condition: object = None   # SymPy relation: sufficient for contraction at every t >= 0
    proof: object = None             # the FlowProof the kernel accepted (certificates store it)
    flow_certificate: object = None  # the kernel's Certificate of the flow bound
    start_value: Fraction | None = None   # m(0), exact
    evidence: object = None          # the kernel's PlasticRate (a CERTIFIED verdict needs it)


PLASTIC_ORDER = ("nonincreasing", "bounded")


def certify_plastic(rule: Rule, net: Network) -> tuple[PlasticResult | None, list[str]]:
    """Try flow bounds in the norms the network condition accepts; the kernel decides each."""
    asm = rule.assumptions()
    reasons: list[str] = []
    if net.linear:
        norms = ("l2", "l1", "linf")
    else:
        norms = ("l1",) if net.form == "H" else ("linf",)
        norms = norms + ("l2",)
    best: PlasticResult | None = None
    for norm in norms:
        for bound in PLASTIC_ORDER:
            claim = Claim(norm, bound)
            for prop in derive.propose(rule, claim):
                if prop.proof is None:
                    continue
                try:
                    proved = kc.prove_plastic(rule.dW, asm, claim, prop.proof, net.W0_kernel(), net.form,
                                              net.g, net.linear, start_proposals(net.W0, norm, prop.proof.route))
                except KernelError as err:
                    reasons.append(f"{norm} {bound} ({prop.proof.route} route): {err}")
                    region = _region_hint(rule, asm, claim, prop.proof, net)
                    if region:
                        reasons.append(region)
                    continue
                # deferred: loaded only when this path runs (keeps this module's import light)
                from certify.lang.parse import show
                cert, m0 = proved.flow, proved.start_value
                cand = PlasticResult(claim, proved.c_all, proved.T, proved.c_after, cert.bound.render(show),
                                     _all_t_condition(cert, net, m0), prop.proof, cert, m0, proved)
                if best is None or (cand.c_all, -cand.T, cand.c_after) > (best.c_all, -best.T, best.c_after):
                    best = cand
    return best, reasons


def _all_t_condition(cert, net: Network, m0: Fraction | None = None):
    """g max(m(0), beta/gamma) < 1 (bounded) or g m(0) < 1 (nonincreasing), with n = size of W0: the
    parameter region in which the network contracts at every t >= 0 (sufficient, from the flow bound)."""
    # deferred: SymPy is loaded only when this runs
    import sympy as sp

    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.kernel.objects import N
    if m0 is None:
        m0 = kc._start_value(net.W0_kernel(), cert.norm, cert.route,
                             start_proposals(net.W0, cert.norm, cert.route))
    m0 = sp.Rational(m0.numerator, m0.denominator)
    g = 1 if net.linear else sp.Rational(net.g.numerator, net.g.denominator)
    if cert.claim.bound == "nonincreasing":
        expr = g * sp.Max(m0, 0)
    else:
        expr = g * sp.Max(m0, cert.beta / cert.gamma, 0)
    return sp.Lt(expr.subs(N, net.n), 1)


def _region_hint(rule: Rule, asm, claim, proof, net: Network) -> str:
    """When the declared ranges are too wide, the parameter region (a SymPy relation) in which the same
    kernel-checked flow bound gives contraction at every t -- or '' when there is none to report."""
    # deferred: SymPy is loaded only when this runs
    import sympy as sp

    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.kernel.verify import check_proof
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.parse import show
    valid = proof.route == "norm" or net.linear or (net.form, proof.norm) in (("H", "l1"), ("FR", "linf"))
    if not valid:
        return ""
    try:
        cert = check_proof(rule.dW, asm, claim, proof)
        cond = _all_t_condition(cert, net)
    except (KernelError, ValueError, TypeError):
        return ""
    if not getattr(cond, "free_symbols", None):
        return ""
    short = cond.xreplace({x: sp.Float(x, 6) for x in cond.atoms(sp.Rational) if x.q > 10**4})
    return (f"contracts at every t >= 0 in the parameter region {show(short)} "
            f"(from the kernel-checked {claim.measure} {claim.bound} flow bound)")
