"""The certificate's fields: what each one holds, written and read back exactly (both `store` and `recheck` use them).

SymPy objects (a proof's gamma and lemma instantiations) are written in the rule grammar and read back with the
whitelisting parser (never `sympify`/`eval`); rationals are written as strings. The layout is published as a JSON
Schema (certify/schema/certificate.schema.json); `seal` is a checksum over every other field.
"""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import sympy as sp

from certify.errors import CertifyError, InputError, KernelError
from certify.lang.datafiles import file_sha256
from certify.lang.parse import Symbols, format_expression, parse_expression, show
from certify.lang.paths import confined

SCHEMA_VERSION = 2
SCHEMA_FILE = Path(__file__).resolve().parent.parent.parent / "schema" / "certificate.schema.json"
FORMAT = "certify-certificate"

CONDITIONAL_NOTE = "kernel-checked under the declared ranges narrowed by these conditions"


class CertificateError(CertifyError):
    """A certificate file cannot be read or does not follow the schema (exit code 2)."""

# -- printing and parsing SymPy objects in the rule grammar ---------------------------------------------------


def _expr_text(obj: Any, what: str) -> str:
    """Exact text of a SymPy object in the rule grammar; refuses anything the parser could not read back."""
    try:
        return format_expression(obj)
    except ValueError as exc:
        raise CertificateError(f"{what} = {obj} cannot be written in the rule grammar ({exc}); the certificate "
                               "would not be re-checkable") from None


def _symbols(rule):
    return Symbols(parameters=frozenset(k for k, _ in rule.parameters),
                   matrices=frozenset(k for k, _ in rule.matrices))


def _parse(text: str, rule, what: str):
    try:
        return parse_expression(text, _symbols(rule)).expr
    except InputError as err:
        raise KernelError(f"{what}: cannot read {text!r}: {err.message}") from None


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
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
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
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
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
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
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
#   unstable-equilibrium  one box and the eigenvalue evidence      -> kernel.instability.verify_unstable_equilibrium
# The network (W0, bias, form, activation, slope bound) is always read from the rule file, never from the
# certificate. Everything derived from the data is stored too and compared with a fresh kernel run.

FIXED_KINDS = ("weighted", "lmi")
REFUTATION_KINDS = ("two-equilibria", "unstable-equilibrium")
DATA_KEYS = ("W0", "bias")      # [network] keys that may name a .npy / .csv file


def data_files(rule) -> dict[str, dict[str, str]]:
    """SHA-256 of every data file the rule's [network] names (W0, bias given as .npy / .csv): the rule hash
    covers the file name only, so a certificate records what the file held. A missing file has sha256 ''."""
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
    # deferred: the kernel loads when a certificate is made or read, not when cli/main.py builds its parser
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



# -- verify -------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    # deferred: jsonschema loads on the first schema check, not when cli/main.py builds its parser
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
