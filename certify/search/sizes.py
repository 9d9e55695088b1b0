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
