"""Re-checking a `contracting` claim: the stored network certificate (weights, l2 metric, plastic flow proof,
equilibrium boxes) handed to kernel/contraction.py or kernel/equilibria.py with the network read from the rule
file, and every derived number compared with what the certificate says. Imports only the parser and the kernel.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from certify.search.proposals import start_proposals
from certify.errors import InputError, KernelError
from certify.lang.parse import show

from .fields import REFUTATION_KINDS, _refutation_dict, _strs, contraction_summary, proof_from_dict


def _binary64(xs, name: str, why: str) -> None:
    """The kernel's floating-point paths read their inputs as binary64: refuse rationals that would be rounded."""
    for x in xs:
        if Fraction(float(x)) != x:
            raise KernelError(f"{name}: {x} is not a binary64 number ({why})")


def _weighted_rate(net, form: str, norm: str, eta: list[Fraction]) -> Fraction:
    """The rate the weights prove, as certify_fixed computes it: exact rationals, or (above
    EXACT_WEIGHTED_LIMIT) the kernel's rigorous binary64 bound, for which W0 and eta must be binary64."""
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
    from certify.kernel import contraction as kc
    W: Any = net.W0_kernel()      # the exact float64 array (or sparse CSR, or rows), as certify_fixed gives it
    if net.n > kc.EXACT_WEIGHTED_LIMIT:
        why = f"the weighted rate of n = {net.n} > {kc.EXACT_WEIGHTED_LIMIT} neurons is bounded in binary64"
        if isinstance(W, list):
            _binary64([x for row in W for x in row], "W0", why)
            W = net.W0_float()
        _binary64(eta, "contraction.eta", why)
        eta = np.array([float(x) for x in eta])
    return kc.linear_rate(W, norm, eta) if net.linear else kc.weighted_rate(W, net.g, form, norm, eta)


def _lmi_inputs(W0, P: list[list[Fraction]], lam: list[Fraction]):
    """(W, P, lam) as check_lmi takes them: exact rationals (n <= EXACT_LIMIT), or binary64 arrays for the
    verified Cholesky check, which must then hold W0, P and lam exactly (check_lmi rounds what it is given)."""
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
    from certify.kernel import contraction as kc
    n = len(P)
    if n <= kc.EXACT_LIMIT:
        return [list(r) for r in W0], P, lam
    why = f"the LMI of n = {n} > {kc.EXACT_LIMIT} neurons is checked by verified Cholesky in binary64"
    W = W0.exact_array() if hasattr(W0, "exact_array") else None     # an ExactMatrix: no Fractions made
    if W is None:
        _binary64([x for row in W0 for x in row], "W0", why)
        W = np.array([[float(x) for x in row] for row in W0])
    _binary64([x for row in P for x in row], "contraction.P", why)
    _binary64(lam, "contraction.lam", why)
    return W, np.array([[float(x) for x in row] for row in P]), np.array([float(x) for x in lam])


def _diff(stored: Any, derived: Any, where: str) -> list[str]:
    """Field-by-field differences between stored data and what the kernel derives from it."""
    if isinstance(derived, dict):
        if not isinstance(stored, dict) or set(stored) != set(derived):
            got = sorted(stored) if isinstance(stored, dict) else stored
            return [f"{where}: the certificate has the fields {got}, expected {sorted(derived)}"]
        return [p for k in derived for p in _diff(stored[k], derived[k], f"{where}.{k}")]
    if isinstance(derived, list):
        if not isinstance(stored, list) or len(stored) != len(derived):
            return [f"{where}: the certificate gives {len(stored) if isinstance(stored, list) else stored!r} "
                    f"entries, the kernel derives {len(derived)}"]
        return [p for i, (s, d) in enumerate(zip(stored, derived)) for p in _diff(s, d, f"{where}[{i}]")]
    if stored != derived:
        return [f"{where}: the certificate says {stored!r}, the kernel derives {derived!r}"]
    return []


def _fractions(xs, name: str) -> list[Fraction]:
    try:
        return [Fraction(x) for x in xs]
    except (ValueError, ZeroDivisionError):
        raise KernelError(f"{name}: not exact rationals") from None


def _recheck_weighted(d: dict[str, Any], net) -> dict[str, Any]:
    n = net.n
    if d["form"] != net.form:
        raise KernelError(f"contraction.form: the certificate says {d['form']!r}, the rule's network has form "
                          f"{net.form!r}")
    eta = _fractions(d["eta"], "contraction.eta")
    if len(eta) != n or any(x <= 0 for x in eta):
        raise KernelError(f"contraction.eta: the weights must be {n} positive numbers")
    if d["weights"] == "unit" and any(x != 1 for x in eta):
        raise KernelError("contraction.eta: unit weights must all be 1")
    if d["weights"] == "Perron" and max(eta) != 1:
        raise KernelError(f"contraction.eta: Perron weights are stored scaled to a largest weight of 1 (the "
                          f"largest is {max(eta)})")
    what = f"contraction.eta (weighted-{d['norm']} norm, form {d['form']})"
    try:
        rate = _weighted_rate(net, d["form"], d["norm"], eta)
    except (KernelError, InputError) as exc:
        raise KernelError(f"{what}: the kernel rejects the weights: {exc}") from None
    if rate <= 0:
        raise KernelError(f"{what}: the weights prove no contraction (rate {rate} <= 0)")
    if str(rate) != d["rate"]:
        raise KernelError(f"contraction.rate: the certificate says {d['rate']}, the kernel computes {rate} from the "
                          f"stored weights eta (weighted-{d['norm']}, form {d['form']})")
    return {**d, "eta": _strs(eta), "rate": str(rate)}


def _recheck_lmi(d: dict[str, Any], net) -> dict[str, Any]:
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
    from certify.kernel import contraction as kc
    n = net.n
    P = [_fractions(row, "contraction.P") for row in d["P"]]
    lam = _fractions(d["lam"], "contraction.lam")
    c = _fractions([d["rate"]], "contraction.rate")[0]
    if len(P) != n or any(len(r) != n for r in P) or len(lam) != n:
        raise KernelError(f"contraction.P, contraction.lam: the network has n = {n}; P must be n x n and lam have "
                          "n entries")
    diagonal = all(P[i][j] == 0 for i in range(n) for j in range(n) if i != j)
    if diagonal != (d["structure"] == "diag"):
        raise KernelError(f"contraction.structure: the certificate says {d['structure']!r}, but P is "
                          f"{'' if diagonal else 'not '}diagonal")
    if c <= 0:
        raise KernelError(f"contraction.rate: {c} is not a positive rate")
    g = Fraction(1) if net.linear else net.g
    try:
        W, Pk, lk = _lmi_inputs(net.W0, P, lam)
        method = kc.check_lmi(W, g, net.form, Pk, lk, c)
    except (KernelError, InputError) as exc:
        raise KernelError(f"contraction (P, lam, rate): the kernel rejects the l2 metric: {exc}") from None
    return {**d, "P": [_strs(r) for r in P], "lam": _strs(lam), "rate": str(c), "method": method}


def _recheck_plastic(d: dict[str, Any], net, rule) -> dict[str, Any]:
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
    from certify.kernel import contraction as kc
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.kernel.objects import Claim
    flow = Claim(d["flow_claim"]["measure"], d["flow_claim"]["bound"])
    try:
        # m(0) is derived again from proposals made as `prove` made them (untrusted floats, proved exactly), so a
        # start value edited in the file shows up as a difference below
        proposals = start_proposals(net.W0, flow.measure, d["proof"].get("route", "measure")
                                    if isinstance(d.get("proof"), dict) else "measure")
        cert, m0, c_all, T, c_after = kc.check_plastic(rule.dW, rule.assumptions(), flow,
                                                       proof_from_dict(d["proof"], rule), net.W0_kernel(),
                                                       net.form, net.g, net.linear, proposals)
    except (KernelError, InputError) as exc:
        raise KernelError(f"contraction.proof for contraction.flow_claim = {flow.measure} {flow.bound}: the kernel "
                          f"rejects the plastic contraction certificate: {exc}") from None
    return {**d, "flow_bound": cert.bound.render(show), "start_value": str(m0), "rate_all_t": str(c_all),
            "T": str(T), "rate_after_T": str(c_after)}


def _center_radius(box: dict[str, Any], where: str) -> tuple[list[Fraction], list[Fraction]]:
    lo, hi = _fractions(box["lo"], f"{where}.lo"), _fractions(box["hi"], f"{where}.hi")
    if len(lo) != len(hi):
        raise KernelError(f"{where}.lo, {where}.hi: different lengths")
    return [(a + b) / 2 for a, b in zip(lo, hi)], [(b - a) / 2 for a, b in zip(lo, hi)]


def _recheck_refutation(d: dict[str, Any], net):
    """Re-verify the equilibrium boxes with the network of the rule file; returns (data, kernel object)."""
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
    from certify.kernel import equilibria as ke
    from certify.kernel import instability as ki
    # deferred with the kernel: the untrusted Krawczyk preconditioners, proposed afresh (the kernel checks them)
    from certify.search.equilibria import box_preconditioner
    if net.activation is None:
        raise KernelError("the rule's network declares only a slope bound: no activation to verify equilibria of")
    W = [[str(x) for x in row] for row in net.W0]
    u = [str(x) for x in net.bias_exact()]
    try:
        if d["kind"] == "two-equilibria":
            boxes = [_center_radius(d[k], f"contraction.{k}") for k in ("first", "second")]
            Ys = tuple(box_preconditioner(W, u, net.form, net.activation, c, r) for c, r in boxes)
            try:
                obj = ke.verify_two_equilibria(W, u, net.form, net.activation, boxes[0], boxes[1], preconditioners=Ys)
            except KernelError as exc:
                for k, (c, r), Y in zip(("first", "second"), boxes, Ys):   # name the box the kernel rejects
                    try:
                        ke.verify_equilibrium_box(W, u, net.form, net.activation, c, r, preconditioner=Y)
                    except (KernelError, InputError) as err:
                        raise KernelError(f"contraction.{k} (lo, hi): the kernel rejects the equilibrium box: "
                                          f"{err}") from None
                raise KernelError(f"contraction.first, contraction.second (lo, hi): {exc}") from None
        else:
            c, r = _center_radius(d["equilibrium"], "contraction.equilibrium")
            ev = d["eigenvalue"]
            # the kernel's hints are untrusted; the stored bracket (or none, for Routh) makes it take the same path
            hint = tuple(ev) if ev is not None and ev[0] != ev[1] else ("0", "0")
            try:
                obj = ki.verify_unstable_equilibrium(W, u, net.form, net.activation, c, r, eigenvalue=hint,
                                                     preconditioner=box_preconditioner(W, u, net.form,
                                                                                       net.activation, c, r))
            except KernelError as exc:
                raise KernelError(f"contraction.equilibrium (lo, hi), contraction.eigenvalue: the kernel rejects "
                                  f"the unstable equilibrium: {exc}") from None
    except InputError as exc:
        raise KernelError(f"contraction: malformed equilibrium data: {exc.message}") from None
    return _refutation_dict(obj), obj


def _check_contracting(c: dict[str, Any], rule) -> tuple[list[str], str, bool]:
    """Re-check a `contracting` claim: (problems, message, re-checked by the kernel)."""
    # deferred: lang.network loads lang.rule and the kernel, needed only when a certificate is made or read
    from certify.lang.network import network_of
    problems: list[str] = []
    d = c.get("contraction")
    for key in ("proof", "certificate", "counterexample", "conditional"):
        if key in c:
            problems.append(f"a contracting claim stores no '{key}' (its evidence is under 'contraction')")
    if c["recheckable"] != (d is not None):
        problems.append("recheckable: a contracting claim is re-checkable exactly when it carries 'contraction' data")
    if d is None:
        if c["verdict"] != "inconclusive":
            problems.append(f"the certificate says '{c['verdict']}' but holds no network certificate ('contraction')")
        if not c.get("reasons"):
            problems.append("an inconclusive claim must give its reasons")
        return problems, "inconclusive: nothing for the kernel to re-check (" + "; ".join(c.get("reasons", [])) + ")", \
            False
    implied = "refuted" if d["kind"] in REFUTATION_KINDS else "certified"
    if c["verdict"] != implied:
        problems.append(f"the certificate says '{c['verdict']}' but holds a {d['kind']} network certificate "
                        f"(verdict {implied})")
    try:
        net = network_of(rule)
    except InputError as err:
        return problems + [f"the rule's network cannot be loaded: {err.message}"], "", False
    if net is None or net.W0 is None:
        return problems + ["the rule file declares no [network] with W0 to re-check the claim on"], "", False
    fixed = rule.is_fixed
    if fixed != (d["kind"] != "plastic"):
        problems.append(f"contraction.kind: a {d['kind']} certificate is for a network whose weights "
                        f"{'do not change' if d['kind'] != 'plastic' else 'follow dW'}, but the rule's dW is "
                        f"{'0' if fixed else 'not 0'}")
        return problems, "", False
    explanation = None
    try:
        if d["kind"] == "weighted":
            derived = _recheck_weighted(d, net)
        elif d["kind"] == "lmi":
            derived = _recheck_lmi(d, net)
        elif d["kind"] == "plastic":
            derived = _recheck_plastic(d, net, rule)
        else:
            derived, obj = _recheck_refutation(d, net)
            explanation = str(obj)
    except KernelError as exc:
        return problems + [str(exc)], "", False
    problems += _diff(d, derived, "contraction")
    summary = contraction_summary(derived, explanation)
    if c["summary"] != summary:
        problems.append(f"summary: the certificate says '{c['summary']}', the kernel derives '{summary}'")
    return problems, f"{implied}: {summary}", True
