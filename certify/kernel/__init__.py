"""The trusted kernel of certify: the only code that may turn a proposal into CERTIFIED or REFUTED.

Everything else in the package searches (derivations, counterexamples, metrics, equilibria) and is untrusted;
it hands its proposals to the entry points below, which re-check them and raise KernelError when they cannot.
The kernel imports nothing of certify outside this folder (tests/test_layers.py), never uses `assert`, and
never imports a solver. docs/kernel.md states, for every entry point, the theorem and each of its hypotheses
with the condition that checks it.

Entry points (one line each: name(arguments) -> what it returns on success; KernelError otherwise)
  weight flows
    check_proof(dW, asm, claim, proof) -> Certificate            a flow bound mu(W(t)) <= ..., every n
    check_witness(dW, asm, witness) -> Refutation                 an exact counterexample to a flow bound
  networks with fixed weights
    weighted_rate(W, g, form, norm, eta) -> Fraction              rate proved by weights eta (l1/linf)
    linear_rate(W, norm, eta=None) -> Fraction                    rate of a linear network (l1/linf)
    check_lmi(W, g, form, P, lam, c) -> str                       the multiplier LMI at rate c (l2 metric P)
    prove_weighted_rate / prove_linear_rate / prove_lmi_rate(...) -> NetworkRate   the same, as evidence
  networks with plastic weights
    check_plastic(dW, asm, claim, proof, W0, form, g, linear) -> (Certificate, m0, c_all, T, c_after)
    prove_plastic(...) -> PlasticRate                             the same, as evidence
  evidence (made only by the kernel; verdicts CERTIFIED and REFUTED must hold one)
    Certificate, Refutation (objects), NetworkRate, PlasticRate (evidence), LawCertificate, IORefutation,
    EquilibriumBox, TwoEquilibria, UnstableEquilibrium, StableEquilibrium; network_fingerprint(W, g, form, linear)
  equilibria and stability
    verify_equilibrium_box(...) -> EquilibriumBox                 exactly one equilibrium in a box
    verify_two_equilibria(...) -> TwoEquilibria                   two equilibria: no contraction in any norm
    verify_unstable_equilibrium(...) -> UnstableEquilibrium       an unstable equilibrium: no contraction
    verify_stable_equilibrium(...) -> StableEquilibrium           a Lyapunov matrix over an equilibrium box
    verify_measure_below(W, P, b) -> StableEquilibrium            mu_P(W) < b
  conservation laws and energies
    check_lax_flow, check_spectrum, check_entrywise, check_cost_descent, check_io_map,
    check_energy_descent, check_strict_lyapunov -> LawCertificate; check_io_refutation -> IORefutation
  building blocks the entry points share (also used by search code to ask exact questions)
    is_pd_verified(A, radius) -> bool                             Rump's verified positive definiteness
    require_real(expr, env, what) -> None                         every value real over the declared ranges
    enclose(expr, env) -> Interval                                exact interval bound over the ranges
  exceptions
    KernelError (a refusal: its message starts with the check that refused), InputError (bad input data)

Reading order for an audit: errors, evidence, intervals, activations, reality, algebra, evaluate, objects, lemmas, verify
(flow proofs); exact, verified, contraction (fixed and plastic networks); netmodel, equilibria, instability,
stability (equilibria); forms, laws, io_refutation (conservation laws and energies).
"""

from __future__ import annotations

_ENTRY_POINTS = {
    "check_proof": "verify", "check_witness": "verify",
    "weighted_rate": "contraction", "linear_rate": "contraction", "check_lmi": "contraction",
    "check_plastic": "contraction", "prove_weighted_rate": "contraction", "prove_linear_rate": "contraction",
    "prove_lmi_rate": "contraction", "prove_plastic": "contraction", "network_fingerprint": "evidence",
    "verify_equilibrium_box": "equilibria", "verify_two_equilibria": "equilibria",
    "verify_unstable_equilibrium": "instability",
    "verify_stable_equilibrium": "stability", "verify_measure_below": "stability",
    "check_lax_flow": "laws", "check_spectrum": "laws", "check_entrywise": "laws", "check_cost_descent": "laws",
    "check_io_map": "laws", "check_energy_descent": "laws", "check_strict_lyapunov": "laws",
    "check_io_refutation": "io_refutation",
    "is_pd_verified": "verified", "require_real": "reality", "enclose": "intervals",
    "KernelError": "errors", "InputError": "errors",
}


def __getattr__(name: str):
    # Entry points load on first use: importing certify.kernel.errors (which every module does) must not pull in
    # SymPy, FLINT and numpy for `certify --help`.
    module = _ENTRY_POINTS.get(name)
    if module is None:
        raise AttributeError(f"module 'certify.kernel' has no attribute {name!r}")
    # deferred: the signature loads a kernel module on first use (lazy exports keep `import certify.kernel` light)
    import importlib
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = sorted(_ENTRY_POINTS)
