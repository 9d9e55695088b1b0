"""Size thresholds of the untrusted search, in one place: when to enumerate, when to try an exact or a full search.

Each is policy (how much work a search spends), never soundness: the kernel re-checks whatever the search proposes,
whichever path proposed it. The kernel's own size constants (exact vs. binary64 checks, the limits of its error
model) stay in certify/kernel/ (contraction.py, verified.py), since the kernel imports nothing outside itself.
"""

from __future__ import annotations

# search/equilibria.py: all 2^n sign patterns of a relu / leaky-relu network up to this n (1,024 linear solves);
# above it, pattern iteration from the starts.
EQUILIBRIA_ENUMERATION_MAX_N = 10

# families/memory/analysis.py: all 2^n active sets of a dense associative memory up to this n (4,096 exact
# solves, each small); above it, candidates from simulations and pattern iteration.
MEMORY_ENUMERATION_MAX_N = 12

# search/contraction.py perron_weights: a dense eigen-decomposition of the Metzler majorant up to this n (about
# 0.1 s); above it ARPACK, which needs only products with the (possibly sparse) majorant.
DENSE_EIG_MAX_N = 200

# search/contraction.py: the weights eta are shown in reports up to this n; above it only their number.
SHOW_WEIGHTS_MAX_N = 50

# search/contraction.py certify_fixed: above this n the l2 metric (LMI) search runs only when no weighted l1/linf
# certificate was found: each of its ~100 Newton steps factors a dense 2n x 2n matrix (minutes at n = 1000), and
# contraction is already proved by then.
LMI_OPTIONAL_N = 200

# search/contraction.py: a full (non-diagonal) metric P is searched up to this n. The search over the multiplier
# (search/lmi/full_metric.py) takes about 5 s at n = 200 and a minute at n = 500 (benchmarks/bench_full_metric.py);
# a check of a fixed network should not spend minutes on a better rate, so larger networks get the diagonal metric
# and users call search_metric(..., structure="full") themselves.
FULL_METRIC_MAX_N = 200

# search/proposals.py: the largest eigenvalue / singular value of W0 by Lanczos (ARPACK) from this n on, instead of
# a full O(n^3) decomposition.
LANCZOS_MIN_N = 300

# search/proposals.py: above this n (kernel/contraction.py EXACT_LIMIT) the kernel proves an l2 start value of a
# binary64 W0 by verified floating point, so proposals start at the margin that test needs.
VERIFIED_START_MIN_N = 40
