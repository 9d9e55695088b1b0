"""Euclidean contraction metrics from the multiplier LMI (docs/theory.md section 3): UNTRUSTED search.

Network forms, activation slopes in [0, g], D = diag(d) with d_i in [0, g]:

    H :  x' = -x + W phi(x) + u,   Jacobian -I + W D
    FR:  x' = -x + phi(W x + u),   Jacobian -I + D W

A metric P > 0, a multiplier Lambda = diag(lam) >= 0 and a rate c with

    M_H(c)  = [[-2(1-c) P, P W + g Lambda], [W^T P + g Lambda, -2 Lambda]]   <= 0
    M_FR(c) = [[-2(1-c) P, P + g W^T Lambda], [P + g Lambda W, -2 Lambda]]   <= 0

prove mu_P(J) <= -c for every Jacobian J the slope bounds allow, i.e. contraction at rate c in the norm
sqrt(x^T P x). Everything here is a search: the trusted kernel re-checks what it returns (is -M(c)
positive definite?) without cvxpy. What this module promises is only that its candidates have margin:
`search_metric` returns (P, lam, c) with -M(c) positive definite by a margin that a verified
floating-point Cholesky (`certify.kernel.verified.is_pd_verified`) confirms before the result is returned.

Algorithms
----------
* `best_rate_for(P, lam)`: the largest c with M(c) <= 0 for a given (P, Lambda), exactly (up to floating
  point): with B the off-diagonal block and Lambda > 0, M(c) <= 0 iff 2(1-c)P - B (2 Lambda)^-1 B^T >= 0,
  i.e. c <= lambda_min(S, 2P) with S = 2P - B (2 Lambda)^-1 B^T (a generalised eigenvalue). A zero
  lambda_i needs column i of B to vanish (then the index drops out); a negative one admits no c.
* The best rate over (P, Lambda) is a quasi-convex generalised eigenvalue problem (GEVP): M(c) = M(0) +
  c diag(2P, 0) is linear in (P, Lambda) for fixed c and increasing in c. `search_metric` solves it by
  Dinkelbach-type iterations: with the best (P_k, Lambda_k) so far and its exact rate c_k,

      maximise t  s.t.  M(c_k; P, Lambda) + t diag(2 P_k, 2 kappa Lambda_k) <= 0,  P >= 0,
                        <P_k^-1, P> = n,

  then c_{k+1} = best_rate_for(new P, Lambda) (about c_k + t). kappa = 1 puts margin in the multiplier
  block too, so each solve starts well inside the feasible set although (P_k, Lambda_k) lies on the
  boundary at c_k (kappa = 0 made the first solve 3x longer: Newton crawled along the boundary). The
  inner solves stop early (after the first centring with t >= the tolerance): Dinkelbach only needs
  progress. When the gains shrink superlinearly and the next one is predicted below the tolerance, the
  bound step below comes at once (it improves the rate too when the prediction was wrong). 3-5 solves suffice. Solvers:

  - "BARRIER" (default for diagonal P, and for full P with n <= 16): a primal log-barrier
    path-following method written here for this LMI (barrier -log det(-M - tE) - log det P, Newton with
    the normalisation as an equality constraint, tau x16 per centring). The Hessian tr(G A_i G A_j) is
    assembled from a few n x n products of the blocks of G = (-M - tE)^-1 (every basis matrix A_i is
    X_i + X_i^T with X_i a sum of rank-one terms), so a Newton step costs O(n^3) for diagonal P (there -M - tE = [[D1, -B], [-B^T, D2]] with D1, D2
    diagonal is factored through its n x n Schur complement, and G's blocks come from its inverse): about
    15 ms at n = 200, where one SCS iteration (an eigendecomposition of the 400 x 400 matrix) costs
    about as much and SCS needs hundreds;
  - "FREQUENCY" (full P only; the default above n = 16): the state matrix of the LMI is -(1 - c) I, so the
    Kalman-Yakubovich-Popov lemma reduces "some P works" to a condition on Lambda alone at every angle phi
    in [0, pi/2]: Herm(Lambda ((1 - c) I - g cos(phi) e^{i phi} W)) > 0 (see `frequency`). The Dinkelbach
    iteration then runs over the n multipliers with the angles sampled (each solve a barrier path with an
    (n + 1) x (n + 1) Newton system and one complex n x n block per angle; the angle where the new
    multiplier's rate is attained is added, angles without dual weight dropped), and P comes from one
    Riccati solve at the end. n = 200 in about 5 s, n = 500 in about a minute, where the full-LMI barrier
    (n(n+1)/2 + n unknowns) takes 13 s at n = 40. Its dual matrices give an upper bound on the best
    full-P rate, since the sampled condition is implied by the LMI (a congruence, no theorem needed);
  - "SCS" or "CLARABEL" through cvxpy, with c, P_k, Lambda_k as cp.Parameter (no recompilation), the
    diagonal block written as cp.multiply(p[:, None], W), capped iterations; solver statuses are never
    trusted: every candidate is re-evaluated with `best_rate_for`, failures count as "no progress".

  An upper bound on the best rate comes from duality: any Z = [[X, Y], [Y^T, V]] >= 0 with
  g Y_ii >= V_ii (H; g (W Y)_ii >= V_ii for FR) gives <Z, M(c)> = <P, G(c)> + 2 sum_i lam_i (...),
  G_H(c) = 2(c-1) X + Y W^T + W Y^T (G_FR(c) = 2(c-1) X + Y + Y^T); so if G(c0) >= 0 (diag(G(c0)) >= 0
  for diagonal P) and X != 0, no certificate has a rate above c0. The barrier's dual matrix
  Z = (-M - tE)^-1 / tau of the margin SDP solved just above the optimum (c_k + rel_tol c_k / 2, where
  t < 0), centred to Newton decrement 1e-12 and followed until the duality gap is below |t|/4, yields
  such a Z after a congruence repair (Y -> Y diag(s) scales column i down until the lam_i condition
  holds; for diagonal P coordinates of the P block may be dropped as well). `search_metric` stops when
  the best rate found and this bound are within `rel_tol` and reports both. Bounds from SCS's dual are
  valid but often poor (its dual residual is large next to the slack the bound needs).
* The returned rate is lowered slightly below the proved one, c = c_proved - margin, so that -M(c) is
  positive definite with room for rounding; P is scaled to lambda_min(P) = 1.
* `corner_lmi_search`: the exact test for one quadratic metric, (-I + W D)^T P + P (-I + W D) <= -2cP at
  all 2^n corners D in {0, g}^n (n <= 10), with the same Dinkelbach iteration in cvxpy.
* `reference_bisection`: the plain cvxpy + SCS bisection at default settings (no margin, no
  normalisation, the solver's "optimal" taken at face value): the baseline of benchmarks/bench_lmi.py.

Modules
-------
* `problem`: the LMI as data -- argument checks, M(c), the exact rate of (P, Lambda), the scaling identity;
* `dual_bound`: the upper bound on the best rate from a dual matrix;
* `barrier`: our own log-barrier solver of the margin SDP;
* `frequency`: the frequency-domain condition on the multiplier, its rate, the Riccati metric and the bound;
* `full_metric`: the full-P search over the multiplier (solver "FREQUENCY");
* `cvxpy_bridge`: the margin SDP through SCS or Clarabel, and the plain bisection baseline;
* `corners`: the corner test for one quadratic metric;
* `driver`: `search_metric`, the Dinkelbach iteration, the stopping rule and the returned margin;
* `blas_threads`: OpenBLAS pinned to one thread during a search, and large products split over two threads of our own
  (decided by n and the core count only, so a search is reproducible bit for bit).

Nothing here is a proof. cvxpy is imported lazily (it costs about 0.8 s).
"""

from __future__ import annotations

from certify.search.lmi.corners import CORNER_MAX_N as CORNER_MAX_N
from certify.search.lmi.corners import CornerResult as CornerResult
from certify.search.lmi.corners import corner_lmi_search as corner_lmi_search
from certify.search.lmi.corners import corner_rate as corner_rate
from certify.search.lmi.cvxpy_bridge import ReferenceResult as ReferenceResult
from certify.search.lmi.cvxpy_bridge import reference_bisection as reference_bisection
from certify.search.lmi.driver import BARRIER_FULL_MAX_N as BARRIER_FULL_MAX_N
from certify.search.lmi.driver import MARGIN_REL as MARGIN_REL
from certify.search.lmi.driver import SOLVERS as SOLVERS
from certify.search.lmi.driver import MetricResult as MetricResult
from certify.search.lmi.driver import search_metric as search_metric
from certify.search.lmi.dual_bound import lmi_upper_bound as lmi_upper_bound
from certify.search.lmi.problem import FORMS as FORMS
from certify.search.lmi.problem import STRUCTURES as STRUCTURES
from certify.search.lmi.problem import Form as Form
from certify.search.lmi.problem import Structure as Structure
from certify.search.lmi.problem import best_rate_for as best_rate_for
from certify.search.lmi.problem import lmi_matrix as lmi_matrix
from certify.search.lmi.problem import verify_margin as verify_margin

__all__ = [
    "FORMS", "STRUCTURES", "SOLVERS", "MetricResult", "CornerResult", "ReferenceResult",
    "lmi_matrix", "best_rate_for", "lmi_upper_bound", "search_metric", "corner_rate",
    "corner_lmi_search", "reference_bisection", "verify_margin",
]
