"""Dense associative memories with dead neurons: energy, flat regions, equilibria, stability (docs/theory.md section 5).

The model (Krotov-Hopfield form, separable Lagrangian L(x) = sum_i l(x_i), g = grad L, W = W^T):

    tau_i x_i' = (W g(x) - x + b)_i =: F_i(x)          energy  E = (x - b).g - L(x) - 1/2 g^T W g

    relu    l = 1/2 relu(x)^2   g = relu   Hess = diag(1[x > 0])   (singular: "dead" neurons)
    tanh    l = log cosh x      g = tanh   Hess = diag(sech^2 x)   (positive, tends to 0)
    linear  l = x^2 / 2         g = x      Hess = I

Along solutions dE/dt = -sum_i tau_i Hess_ii x_i'^2 <= 0 (the symbolic identity is derived in
certify/energy.py; here it is evaluated in floating point and tested along simulations).

What this module establishes, and how far each statement is trusted:

* ENERGY OF RELU = A QUADRATIC OF relu(x) (exact algebra): with p = relu(x),
  E(x) = Q(p) = 1/2 p^T (I - W) p - b^T p. So E is constant along every dead coordinate: on the region
  R_S = {x_S > 0, x_D <= 0} (S the active set, D its complement) E does not depend on x_D. These are the
  flat regions. The vector field there has tau_D x_D' = W_DS x_S + b_D - x_D, which vanishes at ONE point
  per x_S, so a flat region is not a set of equilibria; `flat_region` returns an explicit rational point
  of R_S with its exact, nonzero velocity.

* EQUILIBRIA OF RELU (exact rational enumeration, outside the kernel; each point re-checked by the kernel):
  x is an equilibrium iff, with S = {x_i > 0}, (I - W_SS) x_S = b_S, x_S > 0 and
  x_D = W_DS x_S + b_D <= 0. Every equilibrium has exactly one such S, so solving one linear system per S
  (FLINT fmpq_mat, exact) over all 2^n sets finds every equilibrium whose I - W_SS is nonsingular; a
  singular I - W_SS whose system is consistent is reported as "degenerate" (its equilibria, if any, are
  not isolated and are not analysed). Equivalently p = relu(x) is a KKT point of min Q(p) over p >= 0,
  and x = W p + b. For n > `MAX_ENUMERATION` candidates come from simulations and pattern iteration
  (untrusted) and each one is solved and checked exactly; the list is then not known to be complete.
  Every reported equilibrium is also verified by certify.kernel.equilibria (exact point, f(x*) = 0).

* STABILITY (decided exactly with the kernel's leading-minor test, certify.kernel.exact.is_pd_exact):
  - interior equilibrium (no x_i = 0): f is affine near x*, with Jacobian T^-1 (-I + W diag(1_S)); its
    eigenvalues are those of T_S^-1 (-I + W_SS) and -1/tau_i on the dead block. W_SS is symmetric, so by
    Sylvester's inertia theorem x* is exponentially stable iff I - W_SS is positive definite, and
    unstable (a real eigenvalue > 0) iff it is not (it is nonsingular here).
  - boundary equilibrium (Z = {x_i = 0} nonempty), adjacent pieces S + A, A a subset of Z:
    stable if I - W_(S+Z) is positive definite (then every adjacent piece is, p* = relu(x*) is a strict
    local minimum of Q on p >= 0, and U = E - E(x*) + strict-Lyapunov term below is a local Lyapunov
    function); unstable if I - W_SS is not positive semi-definite and every I - W_(S+A) is nonsingular
    (then E < E(x*) at points arbitrarily close to x*, x* is isolated, and by LaSalle with the strict
    Lyapunov function a solution staying near x* would converge to it, contradicting E decreasing);
    otherwise "undecided".
  - linear: the one piece S = all neurons. tanh: equilibria are irrational; the kernel verifies Krawczyk
    boxes, stability is proved only when kernel/stability.py accepts a Lyapunov matrix for every Jacobian
    of the box (stable) or the kernel proves an eigenvalue > 0 (unstable); otherwise "undecided" with the
    floating-point eigenvalue labelled untrusted.

* A LYAPUNOV FUNCTION WITHOUT FLAT REGIONS (derived here; evaluated exactly; checked along simulations
  in tests): for 0 <= Hess <= I diagonal (all three Lagrangians), with k = min(1, 2 / ||W||_F^2),
  kappa = k tau_min and  V(x) = E(x) + (kappa / 2) sum_i tau_i x_i'^2,
      dV/dt <= -delta tau_min |x'|^2,   delta = k (2 - k) / 4 > 0,
  strictly negative off equilibria (proof in docs/memory.md). V changes along every dead coordinate
  (its second term does), so it has no flat regions. This is our own construction for the SAME system;
  the modified system of Fanaskov & Oseledets is not implemented (docs/memory.md says why).

* CONTRACTION: two equilibria refute contraction in every norm; the refutation is verified by the
  kernel (verify_two_equilibria on exact points for relu/linear, Krawczyk boxes for tanh). With a single
  equilibrium the fixed-network pipeline (certify.search.contraction.certify_fixed, kernel-checked rates) is
  asked for a certificate when all time constants are equal.

Floating-point quantities (energy along a trajectory, eigenvalues shown for comparison, simulations)
are untrusted and labelled so. Two-layer (feature/hidden) networks are the one-layer form with
W = [[0, xi], [xi^T, 0]] and b = (b_v, b_h): `two_layer` builds them and everything above applies.

Modules: `inputs` (Lagrangian names, W, b, tau, the two-layer form), `dynamics` (energy, vector field, energy rate,
simulation; exact E and F), `lyapunov` (the strict Lyapunov function), `flat` (flat regions), `equilibria` (exact
solves on affine pieces, enumeration), `stability` (exact stability on active sets), `tanh` (Krawczyk-box
equilibria), `report` (result types and renderings), `analysis` (`analyze`).
"""

from __future__ import annotations

from certify.families.memory.analysis import (
    analyze as analyze,
    analyze_two_layer as analyze_two_layer,
    FLAT_SHOWN as FLAT_SHOWN,
    MAX_ENUMERATION as MAX_ENUMERATION,
)
from certify.families.memory.dynamics import (
    energy as energy,
    energy_exact as energy_exact,
    energy_rate as energy_rate,
    field_exact as field_exact,
    g as g,
    hessian_diag as hessian_diag,
    lagrangian_value as lagrangian_value,
    simulate as simulate,
    vector_field as vector_field,
    velocity as velocity,
)
from certify.families.memory.equilibria import (
    solve_active_set as solve_active_set,
    solve_active_set_linear as solve_active_set_linear,
)
from certify.families.memory.flat import (
    flat_region as flat_region,
    FlatRegion as FlatRegion,
)
from certify.families.memory.inputs import (
    ALIASES as ALIASES,
    lagrangian_name as lagrangian_name,
    LAGRANGIANS as LAGRANGIANS,
    read_network as read_network,
    read_tau as read_tau,
    two_layer as two_layer,
)
from certify.families.memory.lyapunov import (
    lyapunov_value as lyapunov_value,
    strict_lyapunov as strict_lyapunov,
    StrictLyapunov as StrictLyapunov,
)
from certify.families.memory.report import (
    Equilibrium as Equilibrium,
    MemoryReport as MemoryReport,
    render as render,
    report_dict as report_dict,
)
from certify.families.memory.stability import (
    classify as classify,
)

__all__ = [
    "ALIASES",
    "analyze",
    "analyze_two_layer",
    "classify",
    "energy",
    "energy_exact",
    "energy_rate",
    "Equilibrium",
    "field_exact",
    "flat_region",
    "FLAT_SHOWN",
    "FlatRegion",
    "g",
    "hessian_diag",
    "lagrangian_name",
    "lagrangian_value",
    "LAGRANGIANS",
    "lyapunov_value",
    "MAX_ENUMERATION",
    "MemoryReport",
    "read_network",
    "read_tau",
    "render",
    "report_dict",
    "simulate",
    "solve_active_set",
    "solve_active_set_linear",
    "strict_lyapunov",
    "StrictLyapunov",
    "two_layer",
    "vector_field",
    "velocity",
]
