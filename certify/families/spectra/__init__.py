"""Spectra against matrix measures for fixed networks, and Hebbian sequence couplings (docs/theory.md sections 1, 3, 7).

For a weight matrix W the spectral abscissa alpha(W) = max Re lambda(W) is a lower bound of every matrix measure,
mu(W) >= alpha(W), and for a non-normal W the gap can be wide. `spectral_report` puts the numbers side by side:

- alpha(W), and alpha of the Jacobian at x = 0 (-I + W phi'(0) for form H, -I + phi'(u) W for form FR);
- mu_1, mu_2, mu_inf of W and their gaps to alpha(W);
- the best weighted l1 / linf measures: their infimum over weights is alpha of the Metzler majorant ceil(W)
  (diagonal kept, off-diagonal entries replaced by their absolute values), approached at its Perron vectors
  (`certify.search.contraction.perron_weights`); the measure at those weights is computed by the kernel
  (`kernel.contraction.linear_rate`), exactly in rationals (rigorously bounded from above when n > 300);
- the best weighted l2 measure: for the LINEAR map W the infimum over metrics P of mu_P(W) is alpha(W)
  (Lyapunov); a metric from the Lyapunov equation at s = alpha(W) + delta is rounded to short binary fractions
  and the kernel checks mu_P(W) <= s (`verify_measure_below`: exact LDL^T for n <= EXACT_LDL_MAX_N, the kernel's
  verified Lyapunov check of kernel/stability.py up to VERIFIED_MAX_N);
- the network rates: Jacobians -I + W D (H) or -I + D W (FR), D = diag(d), d_i in [0, g]; no norm proves a
  rate above the spectral ceiling 1 - g max(0, alpha(W)) (D = 0 and D = g I are admissible); the kernel computes
  the rate of the Perron weights (`kernel.contraction.weighted_rate`) and checks the multiplier LMI found by
  `certify.search.lmi.search_metric` (`kernel.contraction.check_lmi`);
- the verdict of the pipeline, `certify.check.check_rule` with bound "contracting": certified / refuted /
  inconclusive exactly as it says, with the reasons.

What is trusted: every number carries its label. EXACT: exact rational arithmetic on the exact entries of W
(the kernel's functions). KERNEL: a bound the kernel verified (exact LDL^T, verified Cholesky, rigorous float
error bounds). FLOAT: NumPy/SciPy floating point, UNTRUSTED: eigenvalues, alpha, mu_2, Perron values, gaps, the
spectral ceiling, the plot. Only the verdict of check_rule, which comes from the kernel, decides anything.

`sequence_couplings` builds the time-lagged Hebbian couplings of Jiang, Chen, Hou & Huang (Phys Rev Research
5:013090, 2023): J = sum_d c_d (1/N) sum_mu xi^(mu+d) xi^(mu)^T, from given patterns or random +-1 patterns.
"""

from certify.families.spectra.couplings import CATALOG as CATALOG
from certify.families.spectra.couplings import catalog_couplings as catalog_couplings
from certify.families.spectra.couplings import lag_matrix as lag_matrix
from certify.families.spectra.couplings import random_patterns as random_patterns
from certify.families.spectra.couplings import sequence_couplings as sequence_couplings
from certify.families.spectra.quantities import EXACT as EXACT
from certify.families.spectra.quantities import EXACT_LDL_MAX_N as EXACT_LDL_MAX_N
from certify.families.spectra.quantities import FLOAT as FLOAT
from certify.families.spectra.quantities import FORMS as FORMS
from certify.families.spectra.quantities import FULL_LMI_MAX_N as FULL_LMI_MAX_N
from certify.families.spectra.quantities import KERNEL as KERNEL
from certify.families.spectra.quantities import NUMERICAL_RANGE_MAX_N as NUMERICAL_RANGE_MAX_N
from certify.families.spectra.quantities import SLOPE_AT_ZERO as SLOPE_AT_ZERO
from certify.families.spectra.quantities import TRUST_TEXT as TRUST_TEXT
from certify.families.spectra.quantities import VERIFIED_MAX_N as VERIFIED_MAX_N
from certify.families.spectra.quantities import ZERO_AT_ZERO as ZERO_AT_ZERO
from certify.families.spectra.quantities import Rate as Rate
from certify.families.spectra.quantities import SpectralReport as SpectralReport
from certify.families.spectra.quantities import Value as Value
from certify.families.spectra.rates import lyapunov_metric as lyapunov_metric
from certify.families.spectra.rates import verify_measure_below as verify_measure_below
from certify.families.spectra.render import numerical_range as numerical_range
from certify.families.spectra.render import plot_spectrum as plot_spectrum
from certify.families.spectra.render import render as render
from certify.families.spectra.report import spectral_report as spectral_report

__all__ = ["CATALOG", "Rate", "SpectralReport", "Value", "catalog_couplings", "lag_matrix", "lyapunov_metric",
           "numerical_range", "plot_spectrum", "random_patterns", "render", "sequence_couplings", "spectral_report",
           "verify_measure_below"]
