"""Untrusted search: derivations (derive), counterexamples (falsify), metrics (lmi), weights (measures),
equilibria, network certificates to propose (contraction), law proposals (laws), simulation. Whatever it finds
goes to the kernel, which alone decides.
"""
