"""Certificate files (proofs/*.json): `certify prove` writes them, `certify verify` re-checks them.

A certificate stores, for every claim the rule file asks about, the verdict and everything the trusted
kernel needs to re-check it *without searching*: for a certified weight-flow claim the `FlowProof` (route,
norm, gamma, decays and terms as lemma name + instantiation, SymPy objects written as text in the rule
grammar), for a refuted claim the `Witness` (exact rationals as strings). What the kernel derived from
them (the bound, the rate, the drive bound, the steps, the counterexample's growth rate) is stored as text
too, for people and for tamper detection. The layout is published as a JSON Schema
(certify/schema/certificate.schema.json); docs/ci.md describes the fields.

`verify` never derives or searches: it validates the file against the schema, re-loads the rule from the
recorded path (STALE when its hash changed), parses the stored expressions with the whitelisting parser
(never `sympify`/`eval`), hands the rebuilt `FlowProof`/`Witness` to `check_proof`/`check_witness` and
compares what the kernel derives with what the file says. Any difference is a failure with a reason.

Claims about the network (`bound = "contracting"`) store their network certificate under "contraction" in
exact rationals: Perron / unit weights (weighted l1/linf), the metric P and multiplier Lambda (l2), the flow
proof with m(0), the rates and T (plastic W), or the equilibrium boxes of a refutation. `verify` hands them
to kernel/contraction.py or kernel/equilibria.py with the network (W0, bias) read from the rule file, and
compares every derived number. A W0 or bias kept in a .npy/.csv file is covered by its SHA-256 (`data_files`):
the certificate is STALE when the file changes. Inconclusive claims store their reasons only.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import platform
import re
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from certify import __version__
from certify.errors import CertifyError, InputError, KernelError

SCHEMA_VERSION = 2
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "certificate.schema.json"
FORMAT = "certify-certificate"

CONDITIONAL_NOTE = "kernel-checked under the declared ranges narrowed by these conditions"


class CertificateError(CertifyError):
    """A certificate file cannot be read or does not follow the schema (exit code 2)."""


# -- printing and parsing SymPy objects in the rule grammar ---------------------------------------------------

from certify.lang.parse import show  # noqa: E402  (one printer for people)


def _expr_text(obj: Any, what: str) -> str:
    """Exact text of a SymPy object in the rule grammar; refuses anything the parser could not read back."""
    from certify.lang.parse import format_expression
    try:
        return format_expression(obj)
    except ValueError as exc:
        raise CertificateError(f"{what} = {obj} cannot be written in the rule grammar ({exc}); the certificate "
                               "would not be re-checkable") from None


def _symbols(rule):
    from certify.lang.parse import Symbols
    return Symbols(parameters=frozenset(k for k, _ in rule.parameters),
                   matrices=frozenset(k for k, _ in rule.matrices))


def _parse(text: str, rule, what: str):
    from certify.lang.parse import parse_expression
    try:
        return parse_expression(text, _symbols(rule)).expr
    except InputError as err:
        raise KernelError(f"{what}: cannot read {text!r}: {err.message}") from None


# -- versions, seal -----------------------------------------------------------------------------------------

def versions() -> dict[str, str]:
    from importlib import metadata
    out = {"certify": __version__, "python": platform.python_version()}
    for dist in ("sympy", "numpy", "python-flint"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
            out[dist] = "not installed"
    return out


def seal(doc: dict[str, Any]) -> str:
    """SHA-256 of the certificate's content (every field but `seal`, keys sorted). It detects edits made
    after `certify prove` wrote the file; it is a checksum, not a signature (anyone can recompute it)."""
    body = {k: v for k, v in doc.items() if k != "seal"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- serialising proofs and witnesses ---------------------------------------------------------------------

def proof_dict(proof) -> dict[str, Any]:
    def use(u) -> dict[str, Any]:
        return {"lemma": u.lemma,
                "with": {k: (str(v) if k == "side" else _expr_text(v, f"{u.lemma}.{k}")) for k, v in u.data}}
    return {"route": proof.route, "norm": proof.norm, "gamma": _expr_text(proof.gamma, "gamma"),
            "decays": [use(u) for u in proof.decays], "terms": [use(u) for u in proof.terms]}


# the instantiation each lemma of the library takes (kernel/lemmas.py reads exactly these keys)
LEMMA_ARGUMENTS = {
    "scaled-identity": {"c"}, "diagonal": {"c", "v"}, "outer-bound": {"c", "u", "v"}, "l2-neg-gram": {"c", "A"},
    "l2-neg-congruence": {"c", "v", "K"}, "l2-neg-schur": {"c", "v", "K"}, "l2-skew": {"S"},
    "diagonal-decay": {"side", "c", "v"}, "gram-decay": {"side", "c", "A"}, "psd-decay": {"side", "c", "K"},
}


def proof_from_dict(d: dict[str, Any], rule):
    import sympy as sp

    from certify.kernel.objects import FlowProof, Use

    def use(u: dict[str, Any], where: str) -> Use:
        wanted = LEMMA_ARGUMENTS.get(u["lemma"])
        if wanted is not None and set(u["with"]) != wanted:
            raise KernelError(f"{where} '{u['lemma']}' takes {sorted(wanted)}, the certificate gives "
                              f"{sorted(u['with'])}")
        data = {}
        for key, text in u["with"].items():
            data[key] = sp.Symbol(text) if key == "side" else _parse(text, rule, f"{where} '{u['lemma']}', {key}")
        return Use(u["lemma"], tuple(sorted(data.items())))
    return FlowProof(d["route"], d["norm"], _parse(d["gamma"], rule, "proof gamma"),
                     tuple(use(u, "decay") for u in d["decays"]), tuple(use(u, "term") for u in d["terms"]))


def _frac(x) -> str:
    return str(Fraction(x))


def witness_dict(ref) -> dict[str, Any]:
    w = ref.witness
    return {"kind": w.kind, "n": w.n, "parameters": {k: _frac(v) for k, v in sorted(w.parameters.items())},
            "W0": [[_frac(x) for x in row] for row in w.W0],
            "activity": {k: [_frac(x) for x in v] for k, v in sorted(w.activity.items())},
            "matrices": {k: [[_frac(x) for x in row] for row in v] for k, v in sorted(w.matrices.items())},
            "vector": None if w.vector is None else [_frac(x) for x in w.vector],
            "value": None if w.value is None else _frac(w.value),
            "growth_lower_bound": _frac(ref.lower), "allowed": _frac(ref.allowed),
            "explanation": ref.explanation}


def witness_from_dict(d: dict[str, Any], claim):
    from certify.kernel.objects import Witness

    def vec(xs):
        return tuple(Fraction(x) for x in xs)

    def mat(rows):
        return tuple(vec(r) for r in rows)
    return Witness(claim, d["kind"], d["n"], {k: Fraction(v) for k, v in d["parameters"].items()}, mat(d["W0"]),
                   {k: vec(v) for k, v in d["activity"].items()}, {k: mat(v) for k, v in d["matrices"].items()},
                   None if d["vector"] is None else vec(d["vector"]),
                   None if d["value"] is None else Fraction(d["value"]))


def certificate_view(cert) -> dict[str, Any]:
    """What the kernel derived from a proof, as text (compared field by field by `verify`)."""
    from certify.kernel.lemmas import LEMMAS
    return {"statement": cert.bound.render(show), "rate": show(cert.gamma), "drive_bound": show(cert.beta),
            "positive_part": cert.positive_part, "conditions_checked": [show(c) for c in cert.conditions],
            "steps": [{"lemma": s.lemma, "statement": s.render(show), "source": _source(s.lemma, LEMMAS)}
                      for s in cert.steps]}


def _source(lemma: str, lemmas) -> str:
    return lemmas[lemma].source if lemma in lemmas else "identity of normal forms"


def _assumptions(rule) -> dict[str, dict[str, str]]:
    return {"parameters": {k: r.text() for k, r in rule.parameters},
            "activity": {k: r.text() for k, r in rule.activity},
            "matrices": dict(rule.matrices)}


# -- network contraction claims ---------------------------------------------------------------------------
#
# A certified or refuted `contracting` claim stores, under "contraction", the exact data the kernel needs:
#   weighted              fixed W, weighted l1/linf: norm, form, weights eta, rate
#                           -> kernel.contraction.weighted_rate (linear_rate for a linear activation)
#   lmi                   fixed W, l2 metric: P, Lambda = diag(lam), rate c, method  -> kernel.contraction.check_lmi
#   plastic               the flow proof, the flow claim, m(0), rates and T          -> kernel.contraction.check_plastic
#   two-equilibria        two boxes (lo, hi) holding zeros of f    -> kernel.equilibria.verify_two_equilibria
#   unstable-equilibrium  one box and the eigenvalue evidence      -> kernel.equilibria.verify_unstable_equilibrium
# The network (W0, bias, form, activation, slope bound) is always read from the rule file, never from the
# certificate. Everything derived from the data is stored too and compared with a fresh kernel run.

FIXED_KINDS = ("weighted", "lmi")
REFUTATION_KINDS = ("two-equilibria", "unstable-equilibrium")
DATA_KEYS = ("W0", "bias")      # [network] keys that may name a .npy / .csv file


def data_files(rule) -> dict[str, dict[str, str]]:
    """SHA-256 of every data file the rule's [network] names (W0, bias given as .npy / .csv): the rule hash
    covers the file name only, so a certificate records what the file held. A missing file has sha256 ''."""
    from certify.lang.datafiles import file_sha256
    from certify.lang.paths import confined
    base = Path(rule.source).parent if rule.source else Path.cwd()
    out = {}
    for key, value in rule.network:
        if key in DATA_KEYS and not value.lstrip().startswith("["):
            # inside the rule's folder tree, a regular file (InputError otherwise): never a FIFO or /dev/zero
            path = confined(value, base, f"the {key} file", file=rule.source, symbol=key)
            try:
                digest = file_sha256(path, f"the {key} file", file=rule.source, symbol=key)
            except InputError as err:
                if "cannot open" not in err.message:
                    raise
                digest = ""
            out[key] = {"file": value, "sha256": digest}
    return out


def _q(x) -> str:
    """A rational for people: exact when short, else 6 significant digits (the data keep the exact value)."""
    x = Fraction(x)
    return str(x) if x.denominator <= 10**4 else f"{float(x):.6g}"


def contraction_summary(d: dict[str, Any], explanation: str | None = None) -> str:
    """The one-line summary of a stored network certificate (what `verify` re-derives and compares)."""
    kind = d["kind"]
    if kind == "weighted":
        return f"contracts at rate {_q(d['rate'])} in weighted-{d['norm']} ({d['weights']} weights)"
    if kind == "lmi":
        return f"contracts at rate {_q(d['rate'])} in l2 metric ({d['structure']} P)"
    if kind == "plastic":
        src = f"from the {d['flow_claim']['measure']} {d['flow_claim']['bound']} flow bound"
        if Fraction(d["rate_all_t"]) > 0:
            return f"contracts for all t >= 0 at rate {_q(d['rate_all_t'])} ({src})"
        return (f"contracts for t >= T = {_q(d['T'])} at rate {_q(d['rate_after_T'])} ({src}; T is a rigorous "
                "upper bound)")
    return f"not contracting: {explanation}"


def _strs(xs) -> list[str]:
    return [str(Fraction(x)) for x in xs]


def _box_dict(b) -> dict[str, Any]:
    return {"lo": list(b.lo), "hi": list(b.hi), "method": b.method,
            "point": None if b.point is None else list(b.point), "unique": b.unique, "statement": b.statement}


def _refutation_dict(obj) -> dict[str, Any]:
    """A kernel refutation object (TwoEquilibria / UnstableEquilibrium) as plain data."""
    from certify.kernel.equilibria import TwoEquilibria
    box = obj.first if isinstance(obj, TwoEquilibria) else obj.equilibrium
    head = {"fingerprint": box.network, "form": box.form, "activation": box.activation, "leak": box.leak}
    if isinstance(obj, TwoEquilibria):
        return {"kind": "two-equilibria", **head, "first": _box_dict(obj.first), "second": _box_dict(obj.second),
                "separating_coordinate": obj.separating_coordinate, "statement": obj.statement}
    return {"kind": "unstable-equilibrium", **head, "equilibrium": _box_dict(obj.equilibrium),
            "jacobian": obj.jacobian, "method": obj.method,
            "eigenvalue": None if obj.eigenvalue is None else list(obj.eigenvalue),
            "unstable_count": obj.unstable_count, "charpoly": None if obj.charpoly is None else list(obj.charpoly),
            "statement": obj.statement}


def _binary64(xs, name: str, why: str) -> None:
    """The kernel's floating-point paths read their inputs as binary64: refuse rationals that would be rounded."""
    for x in xs:
        if Fraction(float(x)) != x:
            raise KernelError(f"{name}: {x} is not a binary64 number ({why})")


def _weighted_rate(net, form: str, norm: str, eta: list[Fraction]) -> Fraction:
    """The rate the weights prove, as certify_fixed computes it: exact rationals, or (above
    EXACT_WEIGHTED_LIMIT) the kernel's rigorous binary64 bound, for which W0 and eta must be binary64."""
    from certify.kernel import contraction as kc
    W: Any = [list(r) for r in net.W0]
    if net.n > kc.EXACT_WEIGHTED_LIMIT:
        import numpy as np
        why = f"the weighted rate of n = {net.n} > {kc.EXACT_WEIGHTED_LIMIT} neurons is bounded in binary64"
        _binary64([x for row in net.W0 for x in row], "W0", why)
        _binary64(eta, "contraction.eta", why)
        W, eta = net.W0_float(), np.array([float(x) for x in eta])
    return kc.linear_rate(W, norm, eta) if net.linear else kc.weighted_rate(W, net.g, form, norm, eta)


def _lmi_inputs(W0, P: list[list[Fraction]], lam: list[Fraction]):
    """(W, P, lam) as check_lmi takes them: exact rationals (n <= EXACT_LIMIT), or binary64 arrays for the
    verified Cholesky check, which must then hold W0, P and lam exactly (check_lmi rounds what it is given)."""
    from certify.kernel import contraction as kc
    n = len(P)
    if n <= kc.EXACT_LIMIT:
        return [list(r) for r in W0], P, lam
    import numpy as np
    why = f"the LMI of n = {n} > {kc.EXACT_LIMIT} neurons is checked by verified Cholesky in binary64"
    _binary64([x for row in W0 for x in row], "W0", why)
    _binary64([x for row in P for x in row], "contraction.P", why)
    _binary64(lam, "contraction.lam", why)
    return (np.array([[float(x) for x in row] for row in W0]), np.array([[float(x) for x in row] for row in P]),
            np.array([float(x) for x in lam]))


def _fixed_evidence(net, best) -> dict[str, Any]:
    """The stored data of the best fixed-W certificate, re-checked by the kernel here (prove side)."""
    from certify.kernel import contraction as kc
    n = net.n
    if best.norm.startswith("weighted-"):
        norm = "linf" if best.norm.startswith("weighted-linf") else "l1"
        perron = "Perron" in best.norm
        form = net.form if net.linear else best.data.get("form", net.form)   # linear phi: the form is irrelevant
        if not perron:
            eta = [Fraction(1)] * n
        elif best.data.get("eta_exact") is not None:     # the weights the kernel was given, when kept
            eta = [Fraction(x) if isinstance(x, (int, Fraction)) else Fraction(float(x))
                   for x in best.data["eta_exact"]]
        elif isinstance(best.data.get("eta"), list) and len(best.data["eta"]) == n:
            eta = [Fraction(float(x)) for x in best.data["eta"]]      # repr of binary64: exact round trip
        else:   # not listed for large n: the same deterministic computation as certify_fixed
            from certify.search.contraction import perron_weights
            eta = [Fraction(float(x)) for x in perron_weights(net.W0_float(), norm)]
        if perron and max(eta) != 1:
            top = max(eta)
            eta = [x / top for x in eta]
        rate = _weighted_rate(net, form, norm, eta)
        if rate != best.rate:
            raise CertificateError(f"the weights of {best.norm} give rate {rate}, not the reported {best.rate}")
        return {"kind": "weighted", "norm": norm, "form": form, "weights": "Perron" if perron else "unit",
                "eta": _strs(eta), "rate": str(rate)}
    if best.norm.startswith("l2 metric"):
        P, lam = best.data.get("P"), best.data.get("lam")
        g = Fraction(1) if net.linear else net.g
        if P is None or lam is None:   # the search result does not keep (P, lam): search again
            from certify.search import lmi
            res = lmi.search_metric(net.W0_float(), float(g), net.form, structure=best.data.get("structure", "diag"))
            if res.P is None:
                raise CertificateError(f"{best.norm}: the metric search did not reproduce a metric")
            P, lam = res.P, res.lam
        Pq = [[Fraction(float(x)) for x in row] for row in P]
        lq = [Fraction(float(x)) for x in lam]
        try:
            W, Pk, lk = _lmi_inputs(net.W0, Pq, lq)
            method = kc.check_lmi(W, g, net.form, Pk, lk, best.rate)
        except KernelError as err:
            raise CertificateError(f"{best.norm}: the kernel rejects the metric for the exact W0: {err}") from None
        diagonal = all(Pq[i][j] == 0 for i in range(n) for j in range(n) if i != j)
        return {"kind": "lmi", "structure": "diag" if diagonal else "full", "P": [_strs(r) for r in Pq],
                "lam": _strs(lq), "rate": str(best.rate), "method": method}
    raise CertificateError(f"no stored form for the network certificate '{best.norm}'")


def _plastic_evidence(rule, net, res) -> dict[str, Any]:
    """The flow proof behind a PlasticResult (the one certify_plastic's kernel call accepted) and its numbers."""
    if res.proof is None or res.flow_certificate is None:
        raise CertificateError("the plastic contraction result does not carry the flow proof it came from")
    return {"kind": "plastic", "flow_claim": {"measure": res.claim.measure, "bound": res.claim.bound},
            "proof": proof_dict(res.proof), "flow_bound": res.flow_certificate.bound.render(show),
            "start_value": str(res.start_value), "rate_all_t": str(res.c_all), "T": str(res.T),
            "rate_after_T": str(res.c_after)}


def contraction_evidence(rule, result) -> dict[str, Any] | None:
    """What a certified or refuted `contracting` claim stores for the kernel (None when inconclusive)."""
    from certify.search.contraction import FixedResult, PlasticResult
    from certify.lang.network import network_of
    from certify.verdict import Verdict
    if result.verdict is Verdict.INCONCLUSIVE:
        return None
    net = network_of(rule)
    if result.verdict is Verdict.REFUTED:
        return _refutation_dict(result.network)
    if isinstance(result.network, PlasticResult):
        return _plastic_evidence(rule, net, result.network)
    if isinstance(result.network, FixedResult) and result.network.best is not None:
        return _fixed_evidence(net, result.network.best)
    raise CertificateError(f"a {result.verdict.value} contracting claim without a network certificate")


# verify side

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
    from certify.kernel import contraction as kc
    from certify.kernel.objects import Claim
    flow = Claim(d["flow_claim"]["measure"], d["flow_claim"]["bound"])
    try:
        cert, m0, c_all, T, c_after = kc.check_plastic(rule.dW, rule.assumptions(), flow,
                                                       proof_from_dict(d["proof"], rule), [list(r) for r in net.W0],
                                                       net.form, net.g, net.linear)
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
    from certify.kernel import equilibria as ke
    if net.activation is None:
        raise KernelError("the rule's network declares only a slope bound: no activation to verify equilibria of")
    W = [[str(x) for x in row] for row in net.W0]
    u = [str(x) for x in net.bias_exact()]
    try:
        if d["kind"] == "two-equilibria":
            boxes = [_center_radius(d[k], f"contraction.{k}") for k in ("first", "second")]
            try:
                obj = ke.verify_two_equilibria(W, u, net.form, net.activation, boxes[0], boxes[1])
            except KernelError as exc:
                for k, (c, r) in zip(("first", "second"), boxes):   # name the box the kernel rejects
                    try:
                        ke.verify_equilibrium_box(W, u, net.form, net.activation, c, r)
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
                obj = ke.verify_unstable_equilibrium(W, u, net.form, net.activation, c, r, eigenvalue=hint)
            except KernelError as exc:
                raise KernelError(f"contraction.equilibrium (lo, hi), contraction.eigenvalue: the kernel rejects "
                                  f"the unstable equilibrium: {exc}") from None
    except InputError as exc:
        raise KernelError(f"contraction: malformed equilibrium data: {exc.message}") from None
    return _refutation_dict(obj), obj


def _check_contracting(c: dict[str, Any], rule) -> tuple[list[str], str, bool]:
    """Re-check a `contracting` claim: (problems, message, re-checked by the kernel)."""
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


# -- prove ----------------------------------------------------------------------------------------------------

def claim_dict(rule, result) -> dict[str, Any]:
    from certify.lang.rule import Range
    from certify.verdict import Verdict
    claim = result.claim
    expected = {(m, b): v for m, b, v in rule.expect}.get((claim.measure, claim.bound))
    out: dict[str, Any] = {"measure": claim.measure, "bound": claim.bound, "verdict": result.verdict.value,
                           "expected": expected, "recheckable": True, "summary": result.summary}
    if claim.bound == "contracting":
        data = contraction_evidence(rule, result)
        out["recheckable"] = data is not None
        if data is not None:
            out["contraction"] = data
            explanation = str(result.network) if data["kind"] in REFUTATION_KINDS else None
            out["summary"] = contraction_summary(data, explanation)
        if result.reasons:
            out["reasons"] = list(result.reasons)
        return out
    if result.verdict is Verdict.CERTIFIED:
        if result.proof is None:
            raise CertificateError(f"{claim.measure} {claim.bound}: the certified result carries no proof")
        out["proof"] = proof_dict(result.proof)
        out["certificate"] = certificate_view(result.certificate)
    elif result.verdict is Verdict.REFUTED:
        out["counterexample"] = witness_dict(result.refutation)
    if result.reasons:
        out["reasons"] = list(result.reasons)
    if result.conditional is not None:
        asm = result.conditional_assumptions
        out["conditional"] = {
            "conditions": [show(c) for c in result.conditions],
            "parameters": {k: Range(asm.parameters[k]).text() for k, _ in rule.parameters},
            "proof": proof_dict(result.conditional_proof), "statement": result.conditional.bound.render(show),
            "note": CONDITIONAL_NOTE}
    return out


def build(rule, rep, rule_path: Path, out_dir: Path) -> dict[str, Any]:
    """The certificate of a checked rule (a RuleReport from check_rule(rule, expectations=True))."""
    rel = Path(os.path.relpath(Path(rule_path).resolve(), Path(out_dir).resolve())).as_posix()
    doc: dict[str, Any] = {
        "format": FORMAT, "schema_version": SCHEMA_VERSION, "created_by": versions(),
        "rule": {"name": rule.name, "file": rel, "hash": rule.hash, "canonical_text": rule.canonical_text(),
                 "dW": rule.dW_text, "assumptions": _assumptions(rule), "data_files": data_files(rule)},
        "mode": "expect" if rule.expect else "claim" if rule.claim else "explore", "verdict": rep.verdict.value,
        "claims": [claim_dict(rule, r) for r in rep.results],
    }
    if rep.laws:
        from certify.search.laws import law_dicts
        doc["laws"] = law_dicts(rule, rep.laws)
    doc["seal"] = seal(doc)
    return doc


def file_stem(name: str) -> str:
    """The certificate's file name (without suffix): the rule's name, made safe as a file name. A name longer than
    MAX_STEM characters is cut and given 8 hex digits of its SHA-256, so it stays unique and fits a file system."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip(".-") or "rule"
    if len(stem) > MAX_STEM:
        stem = stem[:MAX_STEM - 9].rstrip(".-") + "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return stem


MAX_STEM = 120   # characters of a certificate's file name before .json (file systems allow 255 bytes)


@dataclass
class Proved:
    source: Path
    name: str | None = None
    files: list[Path] = field(default_factory=list)
    verdict: str = "error"
    claims: int = 0
    mismatches: tuple[str, ...] = ()
    error: str | None = None
    bad_input: bool = False      # the error is in the rule file (exit 2), not in the certificate (exit 1)
    seconds: float = 0.0


def prove_file(path: Path, out_dir: Path, latex: bool = True) -> Proved:
    """Decide every claim of one rule file, write <name>.json (+ .md, .tex) into out_dir and re-verify it."""
    from certify.output import report
    from certify.check import check_rule
    from certify.lang.rule import Rule
    t0 = time.perf_counter()
    out = Proved(Path(path))
    try:
        rule = Rule.from_file(path)
        if rule.network:   # a certificate records (and hashes) the network: its W0 and bias files must be readable
            from certify.lang.network import network_of
            network_of(rule)
        rep = check_rule(rule, expectations=True)
        out.name, out.verdict, out.claims = rule.name, rep.verdict.value, len(rep.results)
        out.mismatches = rep.mismatches
        if rep.mismatches:
            raise CertificateError("documented verdicts not reproduced; no certificate written: fix the rule or "
                                   "its [expect]")
        doc = build(rule, rep, Path(path), out_dir)
        problems = schema_errors(doc) or verify_document(doc, rule_base=out_dir, rule=rule).problems()
        if problems:
            raise CertificateError("the certificate does not re-check: " + "; ".join(problems))
    except InputError as err:
        out.error, out.bad_input = report.text_error(err), True
        return out
    except (CertificateError, KernelError) as err:
        out.error = f"FAILED {path}: {err}"
        return out
    from certify.output.atomic import write_text
    stem = file_stem(rule.name)
    bodies = [(out_dir / f"{stem}.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n"),
              (out_dir / f"{stem}.md", markdown(doc))]
    if latex:
        bodies.append((out_dir / f"{stem}.tex",
                       report.latex_document([report.latex_report(rep)], f"certificate: {rule.name}")))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for target, body in bodies:     # each file whole or not at all (temporary file + rename)
            write_text(target, body)
            out.files.append(target)
    except OSError as exc:
        out.error = report.text_error(InputError(f"cannot write the certificate into {out_dir}: "
                                                 f"{exc.strerror or exc}", file=str(out_dir), symbol="--out",
                                                 hint="name a folder you can write to"))
        out.bad_input = True
        return out
    out.seconds = time.perf_counter() - t0
    return out


# -- verify -------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    import jsonschema
    jsonschema.Draft202012Validator.check_schema(schema())
    return jsonschema.Draft202012Validator(schema())


def schema_errors(doc: Any) -> list[str]:
    """Readable schema violations ('at claims/0/proof/gamma: ...'), empty when the document is valid."""
    out = []
    for err in sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        message = err.message if len(err.message) <= 300 else err.message[:300] + "..."
        out.append(f"at {where}: {message}")
    return out


@dataclass
class ClaimCheck:
    measure: str
    bound: str
    verdict: str
    status: str                 # 'verified' | 'failed' | 'skipped'
    message: str
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.measure} {self.bound}"


@dataclass
class Verified:
    """The outcome of verifying one certificate file."""

    path: str
    status: str = "verified"     # 'verified' | 'failed' | 'stale' | 'error'
    rule_file: str | None = None
    file_problems: list[str] = field(default_factory=list)
    claims: list[ClaimCheck] = field(default_factory=list)
    seconds: float = 0.0

    def problems(self) -> list[str]:
        return self.file_problems + [f"{c.name}: {c.message}" for c in self.claims if c.status == "failed"]

    @property
    def ok(self) -> bool:
        return self.status == "verified"


def _same_expr(stored: str, derived, rule) -> bool:
    """Stored text equals the kernel's value: the same text, or (if the printer differs) the same rational
    function, decided by SymPy's polynomial arithmetic on the parsed text."""
    import sympy as sp
    if stored == show(derived):
        return True
    try:
        value = _parse(stored, rule, "value")
        return sp.cancel(value - derived) == 0
    except Exception:
        return False


def _compare_view(stored: dict[str, Any], cert, rule, what: str) -> list[str]:
    derived = certificate_view(cert)
    out = []
    if stored["statement"] != derived["statement"]:
        out.append(f"{what}bound: the certificate says '{stored['statement']}', the kernel derives "
                   f"'{derived['statement']}'")
    for key, label in (("rate", "rate gamma"), ("drive_bound", "drive bound beta")):
        if not _same_expr(stored[key], cert.gamma if key == "rate" else cert.beta, rule):
            out.append(f"{what}{label}: the certificate says '{stored[key]}', the kernel derives '{derived[key]}'")
    if stored["positive_part"] != derived["positive_part"]:
        out.append(f"{what}positive_part: the certificate says {stored['positive_part']}, the kernel derives "
                   f"{derived['positive_part']}")
    if stored["conditions_checked"] != derived["conditions_checked"]:
        out.append(f"{what}side conditions: the certificate says {stored['conditions_checked']}, the kernel "
                   f"checked {derived['conditions_checked']}")
    s_steps, d_steps = stored["steps"], derived["steps"]
    if len(s_steps) != len(d_steps):
        out.append(f"{what}the certificate lists {len(s_steps)} steps, the kernel's derivation has {len(d_steps)}")
    for i, (s, d) in enumerate(zip(s_steps, d_steps), 1):
        for key in ("lemma", "statement", "source"):
            if s[key] != d[key]:
                out.append(f"{what}step {i} {key}: the certificate says '{s[key]}', the kernel derives '{d[key]}'")
    return out


def _subset(inner, outer) -> bool:
    def lo_ok():
        return inner.lo > outer.lo or (inner.lo == outer.lo and (outer.lo_closed or not inner.lo_closed))

    def hi_ok():
        return inner.hi < outer.hi or (inner.hi == outer.hi and (outer.hi_closed or not inner.hi_closed))
    return lo_ok() and hi_ok()


_RELATION = re.compile(r"^(.*?)\s*(<=|>=|<|>)\s*(.*)$")


def _check_conditional(cond: dict[str, Any], rule, claim) -> list[str]:
    """Re-check a conditional result: narrowed ranges inside the declared ones, the stated conditions true on
    them (exact interval arithmetic), the proof accepted by the kernel under them."""
    from certify.kernel.intervals import enclose
    from certify.kernel.objects import Assumptions
    from certify.kernel.verify import check_proof
    from certify.lang.rule import parse_range
    asm = rule.assumptions()
    out = []
    if set(cond["parameters"]) != set(asm.parameters):
        return [f"conditional: narrowed ranges are given for {sorted(cond['parameters'])}, the rule declares "
                f"{sorted(asm.parameters)}"]
    narrowed = {}
    for name, text in cond["parameters"].items():
        try:
            iv = parse_range(text)
        except (ValueError, KernelError) as exc:
            return [f"conditional: cannot read the range of {name}: {exc}"]
        if not _subset(iv, asm.parameters[name]):
            out.append(f"conditional: the range {text} of {name} is not inside the declared range "
                       f"{dict(rule.parameters)[name].text()}")
        narrowed[name] = iv
    if out:
        return out
    n_asm = Assumptions(narrowed, asm.activity, asm.matrices)
    env = n_asm.symbol_env()
    for text in cond["conditions"]:
        m = _RELATION.match(text)
        try:
            if m is None:
                raise KernelError("not a relation a <= b, a < b, a >= b or a > b")
            lhs, op, rhs = m.groups()
            iv = enclose(_parse(lhs, rule, "condition") - _parse(rhs, rule, "condition"), env)
            holds = {"<=": iv.is_nonpos, "<": iv.is_negative, ">=": iv.is_nonneg, ">": iv.is_positive}[op]()
        except KernelError as exc:
            out.append(f"conditional: cannot check the condition '{text}': {exc}")
            continue
        if not holds:
            out.append(f"conditional: the condition '{text}' does not hold on the narrowed ranges")
    try:
        cert = check_proof(rule.dW, n_asm, claim, proof_from_dict(cond["proof"], rule))
    except KernelError as exc:
        return out + [f"conditional: the kernel rejects the proof under the narrowed ranges: {exc}"]
    if cert.bound.render(show) != cond["statement"]:
        out.append(f"conditional: the certificate says '{cond['statement']}', the kernel derives "
                   f"'{cert.bound.render(show)}'")
    return out


def verify_claim(c: dict[str, Any], rule) -> ClaimCheck:
    """Re-check one stored claim with the kernel only."""
    from certify.kernel.objects import Claim
    from certify.kernel.verify import check_proof, check_witness
    t0 = time.perf_counter()
    res = ClaimCheck(c["measure"], c["bound"], c["verdict"], "verified", "")
    problems: list[str] = []
    expected = {(m, b): v for m, b, v in rule.expect}.get((c["measure"], c["bound"]))
    if c["expected"] != expected:
        problems.append(f"the certificate records the documented verdict {c['expected']!r}, the rule file "
                        f"documents {expected!r}")
    if expected is not None and c["verdict"] != expected:
        problems.append(f"verdict '{c['verdict']}' differs from the verdict documented in the rule: '{expected}'")
    if c["bound"] == "contracting":
        found, message, rechecked = _check_contracting(c, rule)
        problems += found
        if problems:
            res.status, res.message = "failed", "; ".join(problems)
        else:
            res.status, res.message = ("verified" if rechecked else "skipped"), message
        res.seconds = time.perf_counter() - t0
        return res
    if not c["recheckable"]:
        problems.append("recheckable: claims about the weight flow are always re-checkable")
    if "contraction" in c:
        problems.append("only 'contracting' claims carry a network certificate ('contraction')")
    claim = Claim(c["measure"], c["bound"])
    has_proof, has_witness = "proof" in c, "counterexample" in c
    derived = "certified" if has_proof else "refuted" if has_witness else "inconclusive"
    if has_proof and has_witness:
        problems.append("the certificate holds both a proof and a counterexample")
    elif c["verdict"] != derived:
        problems.append(f"the certificate says '{c['verdict']}' but holds "
                        + ("a proof (verdict certified)" if has_proof else
                           "a counterexample (verdict refuted)" if has_witness else
                           "neither a proof nor a counterexample (verdict inconclusive)"))
    message = ""
    if has_proof:
        if "certificate" not in c:
            problems.append("a proof without the kernel's statement ('certificate') to compare with")
        else:
            try:
                cert = check_proof(rule.dW, rule.assumptions(), claim, proof_from_dict(c["proof"], rule))
            except KernelError as exc:
                problems.append(f"the kernel rejects the proof: {exc}")
            else:
                problems += _compare_view(c["certificate"], cert, rule, "")
                if c["summary"] != cert.bound.render(show):
                    problems.append(f"summary: the certificate says '{c['summary']}', the kernel derives "
                                    f"'{cert.bound.render(show)}'")
                message = f"certified: {cert.bound.render(show)}"
    elif "certificate" in c:
        problems.append("the kernel's statement ('certificate') is given without the proof it came from")
    if has_witness:
        w = c["counterexample"]
        try:
            ref = check_witness(rule.dW, rule.assumptions(), witness_from_dict(w, claim))
        except (KernelError, ValueError, ZeroDivisionError) as exc:
            problems.append(f"the kernel rejects the counterexample: {exc}")
        else:
            for key, value in (("growth_lower_bound", ref.lower), ("allowed", ref.allowed)):
                if Fraction(w[key]) != value:
                    problems.append(f"counterexample {key}: the certificate says {w[key]}, the kernel derives "
                                    f"{_frac(value)}")
            if w["explanation"] != ref.explanation:
                problems.append(f"counterexample explanation: the certificate says '{w['explanation']}', the "
                                f"kernel derives '{ref.explanation}'")
            if c["summary"] != ref.explanation:
                problems.append(f"summary: the certificate says '{c['summary']}', the kernel derives "
                                f"'{ref.explanation}'")
            message = f"refuted: {ref.explanation}"
    if not has_proof and not has_witness:
        reasons = c.get("reasons", [])
        if not reasons:
            problems.append("an inconclusive claim must give its reasons")
        elif c["summary"] != "; ".join(reasons):
            problems.append("summary: an inconclusive claim's summary must be its reasons joined by '; '")
        message = "inconclusive: nothing for the kernel to re-check (" + "; ".join(reasons) + ")"
    if "conditional" in c:
        if c["conditional"]["note"] != CONDITIONAL_NOTE:
            problems.append(f"conditional note: expected '{CONDITIONAL_NOTE}'")
        problems += _check_conditional(c["conditional"], rule, claim)
    res.seconds = time.perf_counter() - t0
    if problems:
        res.status, res.message = "failed", "; ".join(problems)
    elif not has_proof and not has_witness:
        res.status, res.message = "skipped", message
    else:
        res.message = message
    return res


def _required_claims(rule, claims: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The claims a certificate of this rule must hold (as check_rule(rule, expectations=True) decides them)."""
    from certify.kernel.objects import MEASURES as EXPLORED_MEASURES   # as check.EXPLORED_MEASURES
    pairs = [(m, b) for m, b, _ in rule.expect]
    if rule.claim is not None and tuple(rule.claim) not in pairs:
        pairs.insert(0, tuple(rule.claim))
    if pairs:
        return pairs
    if rule.laws_only:
        return []
    verdicts = {(c["measure"], c["bound"]): c["verdict"] for c in claims}
    out = []
    for m in EXPLORED_MEASURES:
        out.append((m, "nonincreasing"))
        if verdicts.get((m, "nonincreasing")) != "certified":
            out.append((m, "bounded"))
    return out


def _overall(rule, claims: list[dict[str, Any]], laws: list[dict[str, Any]] = ()) -> str:
    """The file's verdict as check.check_rule decides it: the worst of the stated claim and the declared laws; the
    declared laws alone without a stated claim; the exploration's finding when neither exists."""
    from certify.verdict import Verdict, worst
    verdicts = {(c["measure"], c["bound"]): c["verdict"] for c in claims}
    law_verdicts = [Verdict(d["verdict"]) for d in laws]
    if rule.claim is not None and tuple(rule.claim) in verdicts:
        return worst([Verdict(verdicts[tuple(rule.claim)])] + law_verdicts).value
    if law_verdicts:
        return worst(law_verdicts).value
    values = list(verdicts.values())
    if "certified" in values:
        return "certified"
    if values and all(v == "refuted" for v in values):
        return "refuted"
    return "inconclusive"


def project_root(certificate_folder: str | Path) -> Path:
    """The project a certificate belongs to: the folder above the certificate's folder (proofs/ next to rules/).
    `verify` opens the rule file a certificate names only inside it (unless --allow-outside-paths)."""
    return Path(os.path.abspath(certificate_folder)).parent


def verify_document(doc: dict[str, Any], rule_base: Path, path: str = "<certificate>", rule=None) -> Verified:
    """Verify a certificate already read and schema-checked. `rule_base` is the directory the recorded rule
    path is relative to (the certificate's directory)."""
    from certify.lang.rule import Rule
    t0 = time.perf_counter()
    out = Verified(path)
    problems = out.file_problems
    if doc.get("seal") != seal(doc):
        problems.append("the file was edited after `certify prove` wrote it: its seal does not match its content")
    rec = doc["rule"]
    rule_file = (Path(rule_base) / rec["file"])
    out.rule_file = os.path.normpath(rule_file)
    if rule is None:
        from certify.lang.datafiles import check_regular
        from certify.lang.paths import confined
        try:   # only inside the project (the folder above the certificate's), and only a regular file
            confined(rec["file"], rule_base, "the rule file", roots=[project_root(rule_base)], file=path,
                     symbol="rule.file")
            if rule_file.exists():
                check_regular(rule_file, "the rule file", file=path, symbol="rule.file")
        except InputError as err:
            out.status = "error"
            problems.append(f"{err.message}; hint: {err.hint}")
            out.seconds = time.perf_counter() - t0
            return out
    try:
        recorded = Rule.from_text(rec["canonical_text"])
        if recorded.hash != rec["hash"] or rec["canonical_text"] != recorded.canonical_text():
            problems.append("the recorded canonical text of the rule does not have the recorded hash")
    except InputError as err:
        problems.append(f"the recorded canonical text of the rule is not a valid rule: {err.message}")
    if rule is None:
        if not rule_file.exists():
            out.status = "failed"
            problems.append(f"the rule file {out.rule_file} recorded in the certificate does not exist")
            out.seconds = time.perf_counter() - t0
            return out
        try:
            rule = Rule.from_file(rule_file)
        except InputError as err:
            out.status = "stale"
            problems.append(f"the rule file {out.rule_file} no longer loads: {err}")
            out.seconds = time.perf_counter() - t0
            return out
    if rule.hash != rec["hash"]:
        out.status = "stale"
        diff = [line for line in difflib.unified_diff(rec["canonical_text"].splitlines(),
                                                      rule.canonical_text().splitlines(), lineterm="", n=0)
                if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        problems.append(f"the rule file {out.rule_file} changed since the certificate was made (recorded "
                        f"hash {rec['hash'][:12]}..., now {rule.hash[:12]}...): "
                        + ", ".join(diff[:6]) + (" ..." if len(diff) > 6 else "")
                        + f"; regenerate it with `certify prove {out.rule_file} --out {os.path.normpath(rule_base)}`")
        out.seconds = time.perf_counter() - t0
        return out
    try:
        stale_data = _data_file_problems(rec["data_files"], rule, out.rule_file, rule_base)
    except InputError as err:   # a data file outside the rule's folder, a FIFO, a device
        out.status = "error"
        problems.append(f"{err.message}; hint: {err.hint}")
        out.seconds = time.perf_counter() - t0
        return out
    if stale_data:
        out.status = "stale" if not any(p.startswith("data_files") for p in stale_data) else "failed"
        problems += stale_data
        out.seconds = time.perf_counter() - t0
        return out
    if rec["name"] != rule.name:
        problems.append(f"rule name: the certificate says '{rec['name']}', the rule file says '{rule.name}'")
    if rec["dW"] != rule.dW_text:
        problems.append(f"rule dW: the certificate says '{rec['dW']}', the rule file says '{rule.dW_text}'")
    if rec["assumptions"] != _assumptions(rule):
        problems.append(f"assumptions: the certificate says {rec['assumptions']}, the rule file declares "
                        f"{_assumptions(rule)}")
    claims = doc["claims"]
    seen = [(c["measure"], c["bound"]) for c in claims]
    required = _required_claims(rule, claims)
    for pair in required:
        if pair not in seen:
            problems.append(f"the claim {pair[0]} {pair[1]} that the rule asks about is missing")
    for pair in seen:
        if pair not in required:
            problems.append(f"the claim {pair[0]} {pair[1]} is not one the rule asks about")
        elif seen.count(pair) > 1:
            problems.append(f"the claim {pair[0]} {pair[1]} appears more than once")
    laws = doc.get("laws", [])
    if doc["verdict"] != _overall(rule, claims, laws):
        problems.append(f"overall verdict: the certificate says '{doc['verdict']}', its claims give "
                        f"'{_overall(rule, claims, laws)}'")
    if rule.balancing or rule.energy or laws:
        from certify.search.laws import recheck_laws
        try:
            problems += recheck_laws(rule, laws)
        except InputError:
            raise
        except (ValueError, ArithmeticError) as exc:   # a stored witness number such as '1/0' (schema-valid)
            problems.append(f"laws: a number in a stored witness cannot be read ({type(exc).__name__}: "
                            f"{str(exc)[:200]})")
    for c in claims:
        try:
            out.claims.append(verify_claim(c, rule))
        except (KernelError, CertificateError) as exc:  # defensive: a reason, never a crash
            out.claims.append(ClaimCheck(c["measure"], c["bound"], c["verdict"], "failed", str(exc)))
        except InputError:
            raise
        except (ValueError, ArithmeticError) as exc:   # a number the schema lets through but no value has: '1/0'
            out.claims.append(ClaimCheck(c["measure"], c["bound"], c["verdict"], "failed",
                                         f"a number in the claim cannot be read ({type(exc).__name__}: "
                                         f"{str(exc)[:200]})"))
    if problems or any(c.status == "failed" for c in out.claims):
        out.status = "failed"
    out.seconds = time.perf_counter() - t0
    return out


def _data_file_problems(recorded: dict[str, Any], rule, rule_file: str, rule_base) -> list[str]:
    """The data files (W0, bias) the rule names must still hold what they held when the certificate was made
    (STALE otherwise); the recorded list must name exactly the rule's data files (else the file was edited)."""
    now = data_files(rule)
    if {k: v["file"] for k, v in recorded.items()} != {k: v["file"] for k, v in now.items()}:
        return [f"data_files: the certificate records {sorted((k, v['file']) for k, v in recorded.items())}, the "
                f"rule file names {sorted((k, v['file']) for k, v in now.items())}"]
    out = []
    for key, rec in recorded.items():
        cur = now[key]["sha256"]
        if cur == rec["sha256"]:
            continue
        where = os.path.normpath(Path(rule_file).parent / rec["file"])
        what = "no longer exists" if not cur else (f"changed since the certificate was made (recorded sha256 "
                                                    f"{rec['sha256'][:12]}..., now {cur[:12]}...)")
        out.append(f"the data file {where} ({key} of the rule's [network]) {what}; regenerate the certificate with "
                   f"`certify prove {rule_file} --out {os.path.normpath(rule_base)}`")
    return out


MAX_CERTIFICATE_BYTES = 64 << 20   # a certificate file is at most 64 MiB
MAX_JSON_NESTING = 64              # levels of JSON objects and arrays (certificates need about 10)


def _json_depth(text: str) -> int:
    """The deepest nesting of [ and { outside JSON strings, without parsing (so without recursion)."""
    depth = deepest = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        c = m.group()
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def read_certificate(path: Path) -> dict[str, Any]:
    from certify.lang.datafiles import read_text
    try:
        text = read_text(path, "certificate", MAX_CERTIFICATE_BYTES)   # regular files only, size-limited
    except InputError as err:
        raise CertificateError(f"cannot read the certificate: {err.message}") from None
    depth = _json_depth(text)
    if depth > MAX_JSON_NESTING:
        raise CertificateError(f"not a certificate: its JSON is nested {depth} levels deep (certificates need at most "
                               f"{MAX_JSON_NESTING})")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CertificateError(f"not valid JSON: {exc}") from None
    except (RecursionError, ValueError) as exc:   # ValueError: an integer with more than 4300 digits
        raise CertificateError(f"not valid JSON: {type(exc).__name__}: {str(exc)[:200]}") from None
    errors = schema_errors(doc)
    if errors:
        raise CertificateError("does not follow the certificate schema (certify/schema/certificate.schema.json): "
                               + "; ".join(errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""))
    return doc


def verify_file(path: str | Path) -> Verified:
    """Read, schema-check and verify one certificate file."""
    t0 = time.perf_counter()
    try:
        doc = read_certificate(Path(path))
    except CertificateError as err:
        out = Verified(str(path), status="error", file_problems=[str(err)])
        out.seconds = time.perf_counter() - t0
        return out
    return verify_document(doc, Path(path).parent, str(path))


def certificate_files(paths: Sequence[str]) -> list[Path]:
    from certify.lang.paths import collect_files
    return collect_files(paths, "*.json", "certificates",
                         "write them with `certify prove rules/ --out proofs/`")


# -- rendering for people ------------------------------------------------------------------------------------

def _md_claim(c: dict[str, Any]) -> list[str]:
    out = [f"## {c['measure']} {c['bound']}: **{c['verdict']}**", ""]
    if c.get("expected"):
        out += [f"Documented in the rule file: {c['expected']}.", ""]
    if "certificate" in c:
        cert, proof = c["certificate"], c["proof"]
        out += [f"**Bound:** `{cert['statement']}`", ""]
        out += [f"{i}. `{s['lemma']}` — {s['statement']} _({s['source']})_" for i, s in enumerate(cert["steps"], 1)]
        uses = [f"`{u['lemma']}` with " + ", ".join(f"{k} = `{v}`" for k, v in u["with"].items())
                for u in proof["decays"] + proof["terms"]]
        out += ["", f"Proof data for the kernel: route `{proof['route']}`, norm `{proof['norm']}`, "
                    f"gamma = `{proof['gamma']}`" + ("; " + "; ".join(uses) if uses else "") + ".", ""]
    elif "counterexample" in c:
        w = c["counterexample"]
        params = ", ".join(f"{k} = {v}" for k, v in w["parameters"].items())
        out += [f"**Counterexample** (exact, kernel-checked; kind `{w['kind']}`): n = {w['n']}"
                + (f", {params}" if params else ""), ""]
        out += [f"- {k} = ({', '.join(v)})" for k, v in w["activity"].items()]
        out += [f"- {k} = {v}" for k, v in w["matrices"].items()]
        zero = all(x == "0" for row in w["W0"] for x in row)
        out += ["- W0 = 0" if zero else f"- W0 = {w['W0']}"]
        if w["vector"] is not None:
            out += [f"- vector = ({', '.join(w['vector'])})" + (f", value = {w['value']}" if w["value"] else "")]
        out += ["", w["explanation"], ""]
    elif "contraction" in c:
        out += _md_contraction(c)
    else:
        out += [f"- {r}" for r in c.get("reasons", [])] + [""]
    if "conditional" in c:
        cond = c["conditional"]
        out += [f"Under the extra condition(s) {', '.join(cond['conditions'])} (ranges "
                + ", ".join(_decl(k, v) for k, v in cond["parameters"].items())
                + f"), kernel-checked: `{cond['statement']}`", ""]
    return out


MD_EVIDENCE = {"weighted": "network weights η", "lmi": "network metric P, Λ", "plastic": "flow proof + network",
               "two-equilibria": "two equilibria", "unstable-equilibrium": "unstable equilibrium"}


def _md_contraction(c: dict[str, Any]) -> list[str]:
    d = c["contraction"]
    out = [f"**{c['summary']}** (kernel-checked, exact data in the JSON file).", ""]
    kind = d["kind"]
    if kind == "weighted":
        out += [f"Weighted {d['norm']} norm (form {d['form']}, {d['weights']} weights), rate {_q(d['rate'])}; weights "
                f"η = ({', '.join(_q(x) for x in d['eta'])}).", ""]
    elif kind == "lmi":
        out += [f"Metric P ({len(d['P'])} × {len(d['P'])}, {d['structure']}) and multiplier Λ = diag("
                f"{', '.join(_q(x) for x in d['lam'])}) satisfy the multiplier LMI at rate c = {_q(d['rate'])} "
                f"(checked {d['method']}).", ""]
    elif kind == "plastic":
        f = d["flow_claim"]
        out += [f"Weight flow ({f['measure']} {f['bound']}, kernel-checked): `{d['flow_bound']}`; m(0) = "
                f"{_q(d['start_value'])}; rate for all t: {_q(d['rate_all_t'])}; after T = {_q(d['T'])}: "
                f"{_q(d['rate_after_T'])}.", ""]
    else:
        out += [f"{d['statement']}.", ""]
    out += [f"- evidence: {r}" for r in c.get("reasons", [])]
    return out + ([""] if c.get("reasons") else [])


def _decl(name: str, text: str) -> str:
    """'k >= 0', 'k = 1/2', 'k in [0, 2]' from a range's canonical text."""
    if text[:1] in "[(":
        return f"{name} in {text}"
    if text[:1] in "<>" or text == "real":
        return f"{name} {text}"
    return f"{name} = {text}"


def markdown(doc: dict[str, Any]) -> str:
    r = doc["rule"]
    v = doc["created_by"]
    asm = r["assumptions"]
    decl = [_decl(k, x) for k, x in asm["parameters"].items()]
    decl += [_decl(f"{k}_i", x) for k, x in asm["activity"].items()]
    decl += [f"{k} {x}" for k, x in asm["matrices"].items()]
    out = [f"# Certificate: {r['name']} ({doc['verdict']})", "",
           f"Generated by `certify prove` from [`{r['file']}`]({r['file']}) (rule SHA-256 `{r['hash']}`) with "
           + ", ".join(f"{k} {x}" for k, x in v.items()) + ". Re-check with "
           "`certify verify` on the JSON file beside this one: it runs only the trusted kernel.", "",
           f"Weight flow: `dW/dt = {r['dW']}`" + (f", assuming {', '.join(decl)}" if decl else "") + ".", "",
           "| claim | verdict | documented | re-checked by `verify` |", "|---|---|---|---|"]
    for c in doc["claims"]:
        how = ("proof" if "proof" in c else "counterexample" if "counterexample" in c else
               MD_EVIDENCE[c["contraction"]["kind"]] if "contraction" in c else "nothing to re-check")
        out.append(f"| {c['measure']} {c['bound']} | {c['verdict']} | {c['expected'] or '—'} | {how} |")
    out.append("")
    for c in doc["claims"]:
        out += _md_claim(c)
    if doc.get("laws"):
        out += ["## Laws (re-checked by `verify` from the rule file)", "", "| law | verdict | documented |",
                "|---|---|---|"]
        out += [f"| {d['section']} {d['law']} | {d['verdict']} | {d['expected'] or '—'} |" for d in doc["laws"]]
        out.append("")
        for d in doc["laws"]:
            out += [f"### {d['section']} {d['law']}: {d['verdict']}", "", d["reason"] or d["statement"], ""]
            out += [f"{i}. `{st['lemma']}` — {st['statement']} _({st['source']})_"
                    for i, st in enumerate(d["steps"], 1)] + [""]
    return "\n".join(out).rstrip() + "\n"


# -- command line ---------------------------------------------------------------------------------------------

def run_prove(args) -> int:
    """`certify prove FILE|DIR... --out DIR`: exit 0 when every certificate was written and every documented
    verdict reproduced, 1 when a documented verdict was not reproduced or a certificate does not re-check,
    2 on bad input."""
    from certify.lang.paths import rule_files
    from certify.output.report import text_error
    from certify.lang.rule import Rule
    from certify.output.atomic import output_folder
    try:
        files = rule_files(args.paths)
        output_folder(args.out)           # a folder that can be written, before any work
    except InputError as err:
        print(text_error(err), file=sys.stderr)
        return 2
    out_dir = Path(args.out)
    names: dict[str, Path] = {}
    for path in files:   # certificates are named after rules: two rules with one name would overwrite
        try:
            stem = file_stem(Rule.from_file(path).name)
        except InputError:
            continue     # reported below
        if stem in names:
            print(f"ERROR {path}: its certificate would be {out_dir / stem}.json, like that of {names[stem]}; give "
                  "each rule its own [rule].name", file=sys.stderr)
            return 2
        names[stem] = path
    results = []
    code = 0
    quiet = getattr(args, "quiet", False)
    progress = _progress(args, len(files))
    for path in files:
        progress.start(str(path))
        res = prove_file(path, out_dir, latex=not getattr(args, "no_latex", False))
        progress.done("FAILED" if res.error else f"{res.verdict}, {res.claims} claim{'s' * (res.claims != 1)}")
        results.append(res)
        if res.error:
            print(res.error, file=sys.stderr)
            for m in res.mismatches:
                print(f"  EXPECTATION MISMATCH: {m}", file=sys.stderr)
            code = max(code, 2 if res.bad_input else 1)
            continue
        if not quiet:
            line = f"{path}: wrote {res.files[0]} ({res.claims} claim{'s' * (res.claims != 1)}, {res.verdict}"
            print(line + f", {res.seconds:.2f} s)")
    written = sum(1 for r in results if not r.error)
    failed = len(results) - written
    print(f"{written} certificate(s) written to {out_dir}" + (f", {failed} failed" if failed else ""))
    return code


def run_verify(args) -> int:
    """`certify verify FILE|DIR...`: 0 all verified, 1 some certificate failed or is stale, 2 bad input.
    Imports neither the derivation nor the counterexample search: only the parser and the kernel."""
    t0 = time.perf_counter()
    from certify.output.atomic import output_file
    try:
        files = certificate_files(args.paths)
        if getattr(args, "junit_xml", None):
            output_file(args.junit_xml, "--junit-xml")
    except InputError as err:
        print(f"ERROR {err}", file=sys.stderr)
        return 2
    progress = _progress(args, len(files))
    results = []
    for f in files:
        progress.start(str(f))
        r = _verify_within_budget(f)
        progress.done(r.status.upper())
        for c in r.claims:
            progress.note(f"{c.name}: {c.status} ({c.seconds:.2f} s)")
        results.append(r)
    for r in results:
        print(render_verified(r, verbose=not getattr(args, "quiet", False)))
    counts = {s: sum(r.status == s for r in results) for s in ("verified", "failed", "stale", "error")}
    print(", ".join(f"{n} {s}" for s, n in counts.items()) + f" ({time.perf_counter() - t0:.2f} s)")
    if getattr(args, "junit_xml", None):
        from certify.output.junit import verify_xml, write
        write(args.junit_xml, verify_xml(results))
    if counts["error"]:
        return 2
    return 1 if counts["failed"] or counts["stale"] else 0


def _verify_within_budget(path) -> Verified:
    """verify_file under the per-certificate time budget (--timeout, certify/budget.py): a certificate whose re-check
    runs out of time is FAILED with the reason, never VERIFIED."""
    from certify.budget import BudgetExceeded, limit, stage
    with limit() as spent:
        try:
            with stage(f"the kernel re-check of {path}"):
                result = verify_file(path)
        except BudgetExceeded as exc:
            reason = exc.reason
        else:
            if not spent.expired:
                return result
            reason = spent.reason
    return Verified(str(path), status="failed",
                    file_problems=[f"not verified: {reason}; rerun with a larger --timeout"])


def _progress(args, total: int):
    """Progress lines on stderr (certify/output/progress.py): on with -v/--verbose, off with -q/--quiet, otherwise
    only when stderr is a terminal; the report on stdout is the same either way."""
    from certify.output.progress import Progress, progress_enabled
    return Progress(total, enabled=progress_enabled(args), verbose=getattr(args, "verbose", False))


def render_verified(r: Verified, verbose: bool = True) -> str:
    head = {"verified": "VERIFIED", "failed": "FAILED", "stale": "STALE", "error": "ERROR"}[r.status]
    n_kernel = sum(c.status == "verified" for c in r.claims)
    lines = [f"{r.path}: {head}" + (f" (rule {r.rule_file}; {n_kernel} of {len(r.claims)} claims re-checked by "
                                    f"the kernel, {r.seconds:.2f} s)" if r.claims else "")]
    lines += [f"  - {p}" for p in r.file_problems]
    for c in r.claims:
        if verbose or c.status == "failed":
            lines.append(f"  [{c.status.upper():>8}] {c.name}: {c.message}")
    return "\n".join(lines)


__all__ = ["build", "prove_file", "verify_file", "verify_document", "verify_claim", "contraction_evidence",
           "contraction_summary", "data_files", "schema", "schema_errors",
           "seal", "markdown", "CertificateError", "SCHEMA_VERSION"]
