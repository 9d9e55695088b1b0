"""Tutorial 1: matrix measures (logarithmic norms).

The matrix measure of a square matrix A for an induced norm is

    mu(A) = lim_{h -> 0+} (||I + h A|| - 1) / h.

It is the number that decides how fast solutions of x' = A x can grow in that norm:
||exp(A t)|| <= exp(mu(A) t). If mu(A) < 0, every solution shrinks in that norm; for a nonlinear system
x' = f(x), mu(Jacobian) <= -c < 0 everywhere means any two solutions approach each other at rate c
(contraction). Unlike eigenvalues, measures depend on the norm, can be positive although every
eigenvalue is negative, and are cheap to compute:

    l1:   mu_1(A)   = max over columns j of  a_jj + sum_{i != j} |a_ij|
    linf: mu_inf(A) = max over rows i of     a_ii + sum_{j != i} |a_ij|
    l2:   mu_2(A)   = largest eigenvalue of (A + A^T) / 2

This script shows, with numbers:
  1. the three measures of one matrix and its spectral abscissa alpha(A) = max Re(eigenvalue);
  2. weighted measures: the right diagonal weights bring mu_inf down to alpha of the Metzler majorant;
  3. properties every measure has: mu(A) >= alpha(A), subadditivity, and the trap mu(-A) != -mu(A);
  4. why a floating-point measure is not a proof, and what the trusted kernel does instead.

Run: python examples/01_matrix_measures.py   (files, if any, go to $CERTIFY_EXAMPLES_OUT)
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from certify.search import measures as m

from _tutorial import output_dir, section  # examples/_tutorial.py


def three_measures() -> np.ndarray:
    section("1. Three norms, three answers")
    # A linear system x' = A x. All eigenvalues have negative real part, so x(t) -> 0 -- but does the
    # distance to 0 shrink at every instant, and in which norm?
    A = np.array([[-2.0, 1.5, 0.0],
                  [0.2, -1.0, 0.8],
                  [1.0, -0.3, -1.5]])
    print("A =\n", A)
    print(f"mu_1(A)   = {m.mu1(A):+.6f}   (column sums: column 2 has -1.0 + 1.5 + 0.3)")
    print(f"mu_inf(A) = {m.muinf(A):+.6f}   (row sums: row 2 has 0.2 - 1.0 + 0.8)")
    print(f"mu_2(A)   = {m.mu2(A):+.6f}   (largest eigenvalue of sym(A))")
    print(f"alpha(A)  = {m.spectral_abscissa(A):+.6f}   (largest real part of an eigenvalue)")
    # mu_2 < 0: the Euclidean distance to 0 shrinks at least like exp(mu_2 t). mu_1 > 0: the l1 norm may
    # grow for a while. mu_inf = 0: the linf norm never grows, but no rate is guaranteed.
    x0 = np.array([0.0, 1.0, 0.0])
    h = 1e-4
    x1 = x0 + h * (A @ x0)          # one tiny Euler step from a point where l1 grows
    print(f"from x0 = {x0}: d/dt ||x||_1 ~ {(np.abs(x1).sum() - 1.0) / h:+.4f} > 0 although alpha(A) < 0")
    return A


def weighted_measures(A: np.ndarray) -> None:
    section("2. Weighted norms: choosing the norm")
    # With positive weights eta, ||x|| = max_i |x_i| / eta_i has measure mu_inf(diag(eta)^-1 A diag(eta)).
    # The best weights are the Perron vector of the Metzler majorant ceil(A) (diagonal kept, off-diagonal
    # entries replaced by their absolute values), and the best value is alpha(ceil(A)).
    alpha_M, eta = m.best_weighted_linf(A)
    print(f"Metzler majorant ceil(A):\n{m.metzler_majorant(A)}")
    print(f"alpha(ceil(A)) = {alpha_M:+.6f}  (>= alpha(A) = {m.spectral_abscissa(A):+.6f})")
    print(f"best weights eta = {np.round(eta, 4)}")
    print(f"mu_inf weighted by eta = {m.muinf_weighted(A, eta):+.6f}  (unweighted: {m.muinf(A):+.6f})")
    alpha_l1, eta1 = m.best_weighted_l1(A)
    print(f"mu_1 weighted by the left Perron vector {np.round(eta1, 4)} = {m.mu1_weighted(A, eta1):+.6f}"
          f"  (unweighted: {m.mu1(A):+.6f})")
    # A quadratic norm sqrt(x^T P x): mu_2 with metric P. P = I gives mu_2; another P can do better.
    P = np.diag([1.0, 1.6, 1.2])
    print(f"mu_2 with metric P = diag(1, 1.6, 1.2): {m.mu2_weighted(A, P):+.6f}  (P = I: {m.mu2(A):+.6f})")


def properties() -> None:
    section("3. Properties of every matrix measure, tested on 2000 random pairs")
    rng = np.random.default_rng(2024)
    worst_gap = {norm: np.inf for norm in m.NORMS}      # min over samples of mu(A) - alpha(A)
    worst_sub = {norm: -np.inf for norm in m.NORMS}     # max over samples of mu(A+B) - mu(A) - mu(B)
    for _ in range(2000):
        n = int(rng.integers(2, 6))
        A, B = rng.normal(size=(n, n)), rng.normal(size=(n, n))
        alpha = m.spectral_abscissa(A)
        for norm in m.NORMS:
            worst_gap[norm] = min(worst_gap[norm], m.mu(A, norm) - alpha)
            worst_sub[norm] = max(worst_sub[norm], m.mu(A + B, norm) - m.mu(A, norm) - m.mu(B, norm))
    for norm in m.NORMS:
        print(f"{norm:>4}: min (mu(A) - alpha(A)) = {worst_gap[norm]:+.3e}   "
              f"max (mu(A+B) - mu(A) - mu(B)) = {worst_sub[norm]:+.3e}")
    # Both columns say: mu(A) >= alpha(A) and mu(A+B) <= mu(A) + mu(B), up to rounding (~1e-15).
    # The trap in plasticity proofs: mu(-A) is NOT -mu(A). For W' = -gamma W + G one may not bound
    # mu(W') by -gamma mu(W) + mu(G) term by term; tutorial 2 shows the correct route.
    A = np.array([[0.0, 2.0], [0.0, 0.0]])
    print(f"A = [[0, 2], [0, 0]]: mu_2(A) = {m.mu2(A):+.1f}, mu_2(-A) = {m.mu2(-A):+.1f}, "
          f"so mu_2(-A) != -mu_2(A) = {-m.mu2(A):+.1f}")


def exact_versus_float(out: Path) -> None:
    section("4. A floating-point measure is not a proof")
    # The trusted kernel decides "mu_2(A) <= b" exactly: b I - sym(A) is positive semi-definite, tested by
    # exact rational LDL^T elimination. Floats are read by their exact binary value.
    e = 2.0 ** -30
    A = [[1.0, e], [e, 0.0]]        # every entry is exact in binary; mu_2(A) = 1 + 2^-60 + ...
    print(f"A = [[1, 2^-30], [2^-30, 0]]: float mu_2(A) = {m.mu2(A)!r}, so a float test says mu_2(A) <= 1: "
          f"{m.mu2(A) <= 1}")
    print(f"  kernel: mu_2(A) <= 1 exactly? {m.mu2_le_exact(A, 1)};  "
          f"<= 1 + 2^-59? {m.mu2_le_exact(A, Fraction(1) + Fraction(1, 2**59))};  "
          f"<= 1 + 2^-61? {m.mu2_le_exact(A, Fraction(1) + Fraction(1, 2**61))}")
    # The other way round: a true bound that floating point rejects. P = u u^T / (u^T u) is an orthogonal
    # projection, so mu_2(P) = 1 exactly; the float eigenvalue comes out a hair above 1.
    u = [7, 1, 2]
    P = [[Fraction(a * b, sum(x * x for x in u)) for b in u] for a in u]
    print(f"P = u u^T / |u|^2, u = {u}: float mu_2(P) = {m.mu2(P)!r} > 1: {m.mu2(P) > 1};  "
          f"kernel: mu_2(P) <= 1 exactly? {m.mu2_le_exact(P, 1)}")
    # l1 and linf measures are closed formulas: the kernel evaluates them exactly.
    B = [[Fraction(-1, 3), Fraction(1, 7)], [Fraction(2, 5), Fraction(-1, 2)]]
    print(f"B = [[-1/3, 1/7], [2/5, -1/2]]: mu_1(B) = {m.mu1_exact(B)} exactly "
          f"(float: {m.mu1([[float(x) for x in row] for row in B])!r}), mu_inf(B) = {m.muinf_exact(B)}")
    (out / "01_exact_vs_float.txt").write_text(
        f"float mu_2([[1, 2^-30], [2^-30, 0]]) = {m.mu2(A)!r}; exact mu_2 <= 1: {m.mu2_le_exact(A, 1)}\n"
        f"float mu_2(u u^T/|u|^2) = {m.mu2(P)!r}; exact mu_2 <= 1: {m.mu2_le_exact(P, 1)}\n", encoding="utf-8")
    print(f"(summary written to {out / '01_exact_vs_float.txt'})")


def main() -> None:
    out = output_dir()
    A = three_measures()
    weighted_measures(A)
    properties()
    exact_versus_float(out)


if __name__ == "__main__":
    main()
