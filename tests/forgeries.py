"""Semantically forged certificates (the generator behind tests/output/test_forgeries.py).

A certificate's `seal` is a checksum anyone can recompute, so the only defence against an edited
certificate is the kernel re-deriving everything from the stored evidence. This module takes the real
certificates in proofs/, edits one piece of evidence or one claimed number at a time (scaled by 2, 1/2,
10^+-300; replaced by subnormals, zero, negatives, 1e308; pushed just past what the evidence proves;
lemma names swapped; side conditions dropped; imaginary parts inserted; W0 changed; verdicts flipped),
re-seals the file like an attacker would, and runs the verifier the CLI runs (schema check, then
`verify_document`, exactly what `verify_file` does, without writing the file).

Every forgery carries an `expect` decided independently of the kernel:

  'reject'  the forged claim is false (checked here with numpy / exact rationals / a closed form), or the
            edited evidence is not evidence for it (a lemma instantiation that no longer reproduces dW,
            an LMI that does not hold, weights that do not give the stated rate): verify must reject it;
  'accept'  the claim is still true and the evidence still proves it (e.g. P and lambda scaled
            together): verify may accept it;
  'judge'   junk evidence for a claim that stays true (e.g. an edited witness of a refutation that is
            true anyway): acceptance is not unsound, but means the kernel accepted that evidence; the
            lead judges.

Attacker model: after an edit of *evidence* the forger also rewrites every derived field (the kernel's
statement, rates, summaries) with what the kernel itself derives from the forged evidence (`complete`),
so a rejection must come from the kernel refusing the evidence, not from a stale text comparison. After
an edit of a *claimed number* (a rate, T, a bound, a verdict) nothing else is touched.

`python tests/forgeries.py` runs the whole catalogue and prints the counts and every forgery that was
accepted although `expect` is 'reject' (with a one-line reproduction).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import numpy as np

from certify.output.certificate import seal, schema_errors, verify_document

ROOT = Path(__file__).resolve().parents[1]
PROOFS = ROOT / "proofs"
RULES = ROOT / "rules"

SUB = Fraction(2) ** -1074          # the smallest subnormal binary64 number, exactly
SUB_STR = str(SUB)                   # '1/2024022533...' (325 digits: fits the schema's rationals)


# -- running the verifier -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    rejected: bool
    status: str          # verified | failed | stale | error | crash
    reason: str


def reseal(doc: dict[str, Any]) -> dict[str, Any]:
    doc["seal"] = seal(doc)
    return doc


def verify(doc: dict[str, Any], base: Path = PROOFS) -> Outcome:
    """What `certify verify` decides for this document placed in `base` (verify_file minus the disk read)."""
    try:
        errors = schema_errors(doc)
        if errors:
            return Outcome(True, "error", "does not follow the certificate schema: " + "; ".join(errors))
        v = verify_document(copy.deepcopy(doc), Path(base), "<forged>")
    except Exception as exc:          # noqa: BLE001 - a crash is a finding, never a silent pass
        return Outcome(True, "crash", f"verify crashed: {type(exc).__name__}: {exc}")
    return Outcome(v.status != "verified", v.status, "; ".join(v.problems()))


# -- certificates and rules -----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _load_text(stem: str) -> str:
    return (PROOFS / f"{stem}.json").read_text(encoding="utf-8")


def load(stem: str) -> dict[str, Any]:
    return json.loads(_load_text(stem))


def stems() -> list[str]:
    return sorted(p.stem for p in PROOFS.glob("*.json"))


@functools.lru_cache(maxsize=None)
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="certify-forgeries-"))


def rule_section(rule_path: Path, base: Path) -> dict[str, Any]:
    """The certificate's "rule" block for a rule file, as `certify prove` writes it (the forger's rebuild)."""
    from certify.output.certificate import fields
    from certify.lang.rule import Rule
    rule = Rule.from_file(rule_path)
    rel = Path(rule_path).resolve().relative_to(Path(base).resolve()).as_posix()
    return {"name": rule.name, "file": rel, "hash": rule.hash, "canonical_text": rule.canonical_text(),
            "dW": rule.dW_text, "assumptions": fields._assumptions(rule), "data_files": fields.data_files(rule)}


def skeleton(rule_path: Path, base: Path, claims: list[dict[str, Any]], verdict: str) -> dict[str, Any]:
    """A certificate for `rule_path` holding the given claims, without running `certify prove` (the n = 301
    rule takes minutes to prove: the forger needs only the layout)."""
    from certify.output import certificate as C
    from certify.lang.rule import Rule
    rule = Rule.from_file(rule_path)
    doc = {"format": C.FORMAT, "schema_version": C.SCHEMA_VERSION, "created_by": C.versions(),
           "rule": rule_section(rule_path, base),
           "mode": "expect" if rule.expect else "claim" if rule.claim else "explore", "verdict": verdict,
           "claims": claims}
    return reseal(doc)


def _rule_of(doc: dict[str, Any], base: Path):
    from certify.lang.rule import Rule
    return Rule.from_file(Path(base) / doc["rule"]["file"])


# -- completing derived fields the way the kernel derives them (the attacker's best effort) ------------------

def complete_flow(claim: dict[str, Any], rule) -> bool:
    """Rewrite claim['certificate'] and claim['summary'] from the kernel's run on claim['proof']. Returns
    False (leaving the claim as it is) when the kernel refuses the proof."""
    from certify.output.certificate import certificate_view, proof_from_dict
    from certify.kernel.objects import Claim
    from certify.kernel.verify import check_proof
    try:
        cert = check_proof(rule.dW, rule.assumptions(), Claim(claim["measure"], claim["bound"]),
                           proof_from_dict(claim["proof"], rule))
        view = certificate_view(cert)
    except Exception:                 # noqa: BLE001 - the kernel refused: nothing to copy
        return False
    claim["certificate"] = view
    claim["summary"] = view["statement"]
    return True


def complete_contraction(claim: dict[str, Any], rule) -> bool:
    """Rewrite claim['contraction'] (derived numbers) and claim['summary'] from the kernel's re-check."""
    from certify.output.certificate import recheck_network as R
    from certify.output.certificate import contraction_summary
    from certify.lang.network import network_of
    d = claim["contraction"]
    try:
        net = network_of(rule)
        explanation = None
        if d["kind"] == "weighted":
            derived = R._recheck_weighted(d, net)
        elif d["kind"] == "lmi":
            derived = R._recheck_lmi(d, net)
        elif d["kind"] == "plastic":
            derived = R._recheck_plastic(d, net, rule)
        else:
            derived, obj = R._recheck_refutation(d, net)
            explanation = str(obj)
        claim["contraction"] = derived
        claim["summary"] = contraction_summary(derived, explanation)
    except Exception:                 # noqa: BLE001
        return False
    return True


def complete_witness(claim: dict[str, Any], rule) -> bool:
    from certify.output.certificate.fields import _frac, witness_from_dict
    from certify.kernel.objects import Claim
    from certify.kernel.verify import check_witness
    w = claim["counterexample"]
    try:
        ref = check_witness(rule.dW, rule.assumptions(), witness_from_dict(w, Claim(claim["measure"],
                                                                                    claim["bound"])))
    except Exception:                 # noqa: BLE001
        return False
    w["growth_lower_bound"], w["allowed"], w["explanation"] = _frac(ref.lower), _frac(ref.allowed), ref.explanation
    claim["summary"] = ref.explanation
    return True


def complete_laws(doc: dict[str, Any], rule) -> bool:
    """Rewrite the laws' derived text (verdict, statement, reason) from the kernel's run on the stored witness."""
    from certify.search.laws import LawReport, _balancing_results, _energy_results, law_dicts
    witnesses = {d["law"]: d.get("witness") for d in doc["laws"] if d.get("section") == "balancing"}
    try:
        fresh = []
        if rule.balancing:
            fresh += _balancing_results(rule, lambda activation: witnesses.get("io-map") or {})
        if rule.energy:
            fresh += _energy_results(rule)
        want = {(d["section"], d["law"]): d for d in law_dicts(rule, (LawReport("", (), tuple(fresh)),))}
    except Exception:                 # noqa: BLE001
        return False
    for d in doc["laws"]:
        w = want.get((d["section"], d["law"]))
        if w is not None:
            for key in ("verdict", "statement", "reason", "steps"):
                d[key] = w[key]
    return True


# -- mutations --------------------------------------------------------------------------------------------------

def _q(s: str) -> Fraction | None:
    try:
        return Fraction(s)
    except (ValueError, ZeroDivisionError, TypeError):
        return None


# exact-rational fields: name -> (new text from old, direction) ; direction: +1 larger, -1 smaller, 0 junk
NUMBER_MUTATIONS: dict[str, Callable[[Fraction], str]] = {
    "x2": lambda x: str(2 * x),
    "half": lambda x: str(x / 2),
    "x1e300": lambda x: str(x * 10**300),
    "x1e-300": lambda x: str(x / 10**300),
    "subnormal": lambda x: SUB_STR,
    "subnormal-literal": lambda x: "5e-324",
    "zero": lambda x: "0",
    "negate": lambda x: str(-x),
    "negative-one": lambda x: "-1",
    "huge": lambda x: str(Fraction(1e308)),
    "huge-literal": lambda x: "1e308",
    "plus-rel-1e-9": lambda x: str(x * (1 + Fraction(1, 10**9))),
    "minus-rel-1e-9": lambda x: str(x * (1 - Fraction(1, 10**9))),
    "plus-1e-12": lambda x: str(x + Fraction(1, 10**12)),
    "minus-1e-12": lambda x: str(x - Fraction(1, 10**12)),
    "imag-sqrt": lambda x: "sqrt(-1)",
    "imag-I": lambda x: f"{x}+I",
    "complex": lambda x: f"({float(x)}+1j)",
    "complex-zero-imag": lambda x: f"{x}+0j",
    "nan": lambda x: "nan",
    "inf": lambda x: "inf",
}

# expressions in the rule grammar (gamma, lemma instantiations)
EXPR_MUTATIONS: dict[str, Callable[[str], str]] = {
    "x2": lambda t: f"2*({t})",
    "half": lambda t: f"({t})/2",
    "x1e300": lambda t: f"10^300*({t})",
    "x1e-300": lambda t: f"({t})/10^300",
    "subnormal": lambda t: f"({t})/2^1074",
    "subnormal-literal": lambda t: "5e-324",
    "zero": lambda t: "0",
    "negate": lambda t: f"-({t})",
    "huge-literal": lambda t: "1e308",
    "plus-1e-12": lambda t: f"({t}) + 1/10^12",
    "imag-sqrt": lambda t: f"sqrt(-1)*({t})",
    "imag-I": lambda t: f"I*({t})",
    "complex": lambda t: f"(1+2j)*({t})",
    "sqrt-of-negative-param": lambda t: f"sqrt(-1 - ({t})^2)",
}


@dataclass
class Forgery:
    name: str                          # source:field:mutation
    source: str
    field: str
    mutation: str
    expect: str                        # 'reject' | 'accept' | 'judge'
    keywords: tuple[str, ...]          # the reason must mention one of these (case-insensitive)
    why: str
    make: Callable[[], tuple[dict[str, Any], Path]] = field(repr=False)
    decide: Callable[[dict[str, Any], Path], str] | None = field(default=None, repr=False)

    def build(self) -> tuple[dict[str, Any], Path]:
        return self.make()

    def run(self) -> Outcome:
        """Build, decide `expect` independently (when it depends on the forged numbers), verify."""
        doc, base = self.make()
        if self.decide is not None:
            try:
                self.expect = self.decide(copy.deepcopy(doc), base)
            except Exception:         # noqa: BLE001 - unreadable numbers: junk data is no evidence
                self.expect = "reject"
            self.decide = None
        return verify(doc, base)

    def repro(self) -> str:
        return f"python -c \"import tests.forgeries as F; print(F.by_name()[{self.name!r}].run())\""


def _get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def _set(doc, path, value):
    _get(doc, path[:-1])[path[-1]] = value


def _label(path) -> str:
    out = ""
    for k in path:
        out += f"[{k}]" if isinstance(k, int) else (("." if out else "") + k)
    return out


# -- independent truth checks (never the kernel) ----------------------------------------------------------------

def _net_arrays(rule_path: Path):
    """(W0, g, form, linear) of a rule's network, read with numpy."""
    from certify.lang.network import network_of
    from certify.lang.rule import Rule
    net = network_of(Rule.from_file(rule_path))
    W = np.array([[float(x) for x in r] for r in net.W0])
    return W, (1.0 if net.linear else float(net.g)), net.form, net.linear


def spectral_rate_bound(W: np.ndarray, g: float, form: str, samples: int = 20) -> float:
    """An upper bound on any contraction rate of the network: min over slope matrices D (vertices and random
    ones) of -max Re eig(Jacobian). A claimed rate above it is false in every norm."""
    n = len(W)
    rng = np.random.default_rng(0)
    best = math.inf
    Ds = [np.full(n, g), np.zeros(n)] + [rng.uniform(0, g, n) for _ in range(samples)]
    for d in Ds:
        J = -np.eye(n) + (W * d[None, :] if form == "H" else d[:, None] * W)
        best = min(best, -float(np.max(np.linalg.eigvals(J).real)))
    return best


def weighted_rate_exact(W: list[list[Fraction]], g: Fraction, form: str, norm: str, eta: list[Fraction],
                        linear: bool) -> Fraction:
    """The rate 1 - g * sup_D mu_eta(...) in exact rationals, written here from Davydov et al. (2025)."""
    n = len(W)
    if linear:
        # mu_{inf,eta}(A) = max_i a_ii + sum_{j != i} |a_ij| eta_j / eta_i ; mu_{1,eta}(A) = mu_{inf,1/eta}(A^T)
        A = W if norm == "linf" else [list(r) for r in zip(*W)]
        e = eta if norm == "linf" else [1 / x for x in eta]
        mu = max(A[i][i] + sum(abs(A[i][j]) * e[j] for j in range(n) if j != i) / e[i] for i in range(n))
        return 1 - mu
    if norm == "linf":
        rows, e = W, eta
    else:
        rows, e = [list(r) for r in zip(*W)], [1 / x for x in eta]
    positive = (form, norm) in (("H", "linf"), ("FR", "l1"))
    if not positive:
        rows_e = rows if norm == "linf" else rows
        mu = max(rows_e[i][i] + sum(abs(rows_e[i][j]) * e[j] for j in range(n) if j != i) / e[i]
                 for i in range(n))
        return 1 - g * max(Fraction(0), mu)
    # mismatched: rows of W for linf (eta_j / eta_i), columns for l1 (eta_i / eta_j)
    if norm == "linf":
        worst = max(max(W[i][i], Fraction(0)) + sum(abs(W[i][j]) * eta[j] for j in range(n) if j != i) / eta[i]
                    for i in range(n))
    else:
        worst = max(max(W[j][j], Fraction(0)) + sum(abs(W[i][j]) * eta[i] for i in range(n) if i != j) / eta[j]
                    for j in range(n))
    return 1 - g * worst


def lmi_holds(W: np.ndarray, g: float, form: str, P: list[list[Fraction]], lam: list[Fraction],
              c: Fraction) -> bool | None:
    """Does -M(c) > 0 and P > 0 hold? Decided in floating point after scaling P and lam by one positive
    power of two (which scales -M as a whole, so definiteness is unchanged); None when too close to call."""
    n = len(W)
    top = max([abs(x) for r in P for x in r] + [abs(x) for x in lam])
    if top == 0:
        return False
    s = Fraction(2) ** (-math.floor(math.log2(top)))
    Pf = np.array([[float(x * s) for x in r] for r in P])
    lf = np.array([float(x * s) for x in lam])
    if np.any(lf < 0):
        return False
    if form == "H":
        B = Pf @ W + g * np.diag(lf)
    else:
        B = Pf + g * (W.T * lf[None, :])
    minusM = np.block([[2 * float(1 - c) * Pf, -B], [-B.T, np.diag(2 * lf)]])
    scale = max(1.0, float(np.max(np.abs(minusM))))
    e_p = float(np.linalg.eigvalsh((Pf + Pf.T) / 2).min())
    e_m = float(np.linalg.eigvalsh((minusM + minusM.T) / 2).min())
    tol = 1e-9 * scale
    if e_p < -tol or e_m < -tol:
        return False
    if e_p > tol and e_m > tol:
        return True
    return None


# -- the catalogue ---------------------------------------------------------------------------------------------

def _forgery(name, source, fieldname, mutation, expect, keywords, why, make) -> Forgery:
    f = Forgery(name=f"{source}:{fieldname}:{mutation}", source=source, field=fieldname, mutation=mutation,
                expect=expect, keywords=tuple(keywords), why=why, make=make)
    edit = getattr(make, "edit", None)
    if edit is not None and expect == "reject":     # flow proof edits: a semantic no-op may be accepted
        f.decide = _decide_flow(*edit, default=expect)
    return f


def _flow_forgeries() -> list[Forgery]:
    """Flow proofs (route, norm, gamma, lemma uses and their instantiations) and the kernel's stated bound."""
    out = []
    swaps = {"l2-neg-gram": "gram-decay", "l2-neg-congruence": "l2-neg-schur", "l2-neg-schur": "l2-neg-congruence",
             "outer-bound": "diagonal", "diagonal": "scaled-identity", "scaled-identity": "diagonal",
             "l2-skew": "l2-neg-gram", "diagonal-decay": "psd-decay", "gram-decay": "l2-neg-gram",
             "psd-decay": "gram-decay"}
    for stem in stems():
        doc0 = load(stem)
        for ci, c in enumerate(doc0["claims"]):
            if "proof" not in c:
                continue
            base_path = ("claims", ci, "proof")
            uses = [("decays", i, u) for i, u in enumerate(c["proof"]["decays"])] + \
                   [("terms", i, u) for i, u in enumerate(c["proof"]["terms"])]
            # instantiations
            for part, ui, u in uses:
                for key, text in sorted(u["with"].items()):
                    path = base_path + (part, ui, "with", key)
                    if key == "side":
                        muts = {"swap-side": lambda t: "right" if t == "left" else "left", "imag-side": lambda t: "I"}
                    else:
                        muts = EXPR_MUTATIONS
                    for mname, fn in muts.items():
                        new = fn(text)
                        if new == text:
                            continue
                        out.append(_forgery(None, stem, _label(path), mname, "reject",
                                            ("proof", u["lemma"], key),
                                            f"{u['lemma']}.{key} = {text!r} -> {new!r}: the lemma's template no "
                                            "longer sums with the other pieces to dW (or is not real)",
                                            _edit_flow(stem, path, new)))
                # swap lemma name
                new = swaps.get(u["lemma"])
                if new:
                    equiv = {u["lemma"], new} == {"l2-neg-congruence", "l2-neg-schur"}
                    out.append(_forgery(None, stem, _label(base_path + (part, ui, "lemma")), f"swap-{new}",
                                        "accept" if equiv else "reject", ("proof", u["lemma"], new, "lemma"),
                                        "equivalent lemma (diag(v) K diag(v) = K o v v^T)" if equiv else
                                        f"{u['lemma']} -> {new}: a different lemma with other arguments / template",
                                        _edit_flow(stem, base_path + (part, ui, "lemma"), new)))
                # drop the use
                out.append(_forgery(None, stem, _label(base_path + (part, ui)), "drop-use", "reject",
                                    ("proof", "dW", "normal form", "identity", "lemma"),
                                    "a term of dW no longer accounted for", _drop_use(stem, base_path + (part, ui))))
            # gamma, norm, route
            for mname, fn in EXPR_MUTATIONS.items():
                new = fn(c["proof"]["gamma"])
                out.append(_forgery(None, stem, _label(base_path + ("gamma",)), mname, "reject",
                                    ("gamma", "proof", "rate"),
                                    f"gamma {c['proof']['gamma']!r} -> {new!r}: -gamma W is not dW's W-term",
                                    _edit_flow(stem, base_path + ("gamma",), new)))
            for key, new in (("norm", {"l1": "l2", "l2": "linf", "linf": "l1"}[c["proof"]["norm"]]),
                             ("route", {"measure": "norm", "norm": "measure"}[c["proof"]["route"]])):
                out.append(_forgery(None, stem, _label(base_path + (key,)), f"swap-{new}", "reject",
                                    (key, "proof", "lemma", "norm", "route"),
                                    f"proof {key} changed: the bound is about another quantity than the claim",
                                    _edit_flow(stem, base_path + (key,), new)))
            # claimed numbers of the kernel's statement (no completion: the claim itself is edited)
            cert = c["certificate"]
            for key, label in (("rate", "rate"), ("drive_bound", "drive bound")):
                for mname, fn in (("x2", lambda t: f"2*({t})"), ("plus-1e-12", lambda t: f"({t}) + 1/10^12"),
                                  ("zero", lambda t: "0"), ("half", lambda t: f"({t})/2"),
                                  ("imag-I", lambda t: f"({t}) + sqrt(-1)")):
                    new = fn(cert[key])
                    if new == cert[key]:
                        continue
                    stronger = (key == "rate" and mname in ("x2", "plus-1e-12")) or \
                               (key == "drive_bound" and mname in ("zero", "half"))
                    out.append(_forgery(None, stem, _label(("claims", ci, "certificate", key)), mname,
                                        "reject" if stronger else "judge", (label, key),
                                        "a stronger bound than the proof gives" if stronger else
                                        "a weaker or junk restatement of the bound",
                                        _edit_plain(stem, ("claims", ci, "certificate", key), new)))
            if cert["conditions_checked"]:
                out.append(_forgery(None, stem, _label(("claims", ci, "certificate", "conditions_checked")),
                                    "drop-side-condition", "reject", ("side condition", "conditions"),
                                    "a side condition the kernel checked is no longer listed",
                                    _edit_plain(stem, ("claims", ci, "certificate", "conditions_checked"),
                                                cert["conditions_checked"][1:])))
            # verdict certified -> refuted (claim false: the kernel proved it)
            out.append(_forgery(None, stem, _label(("claims", ci, "verdict")), "certified-to-refuted", "reject",
                                ("verdict", "refuted", "certified"), "the claim was proved",
                                _edit_plain(stem, ("claims", ci, "verdict"), "refuted", overall=True)))
        # conditional proofs: widen the narrowed range, drop a condition, edit the proof
        for ci, c in enumerate(doc0["claims"]):
            cond = c.get("conditional")
            if not cond:
                continue
            for name, rng in cond["parameters"].items():
                declared = doc0["rule"]["assumptions"]["parameters"][name]
                if rng != declared:
                    out.append(_forgery(None, stem, _label(("claims", ci, "conditional", "parameters", name)),
                                        "widen-to-declared", "reject", ("conditional", name, "condition"),
                                        f"{name} {rng} -> the declared {declared}: the refutation's witness lies "
                                        "in the widened range, so the conditional bound is false there",
                                        _edit_plain(stem, ("claims", ci, "conditional", "parameters", name),
                                                    declared)))
            out.append(_forgery(None, stem, _label(("claims", ci, "conditional", "conditions")),
                                "drop-side-condition", "judge", ("conditional", "condition"),
                                "the narrowed ranges still imply the bound; only the condition shown to people "
                                "is gone", _edit_plain(stem, ("claims", ci, "conditional", "conditions"),
                                                       cond["conditions"][1:])))
            for ui, u in enumerate(cond["proof"]["terms"]):
                for key, text in sorted(u["with"].items()):
                    for mname in ("x2", "imag-sqrt", "imag-I", "subnormal"):
                        new = EXPR_MUTATIONS[mname](text)
                        path = ("claims", ci, "conditional", "proof", "terms", ui, "with", key)
                        out.append(_forgery(None, stem, _label(path), mname, "reject",
                                            ("conditional", "proof", key),
                                            "the conditional proof's instantiation no longer reproduces dW",
                                            _edit_plain(stem, path, new)))
    return out


def _parsed(text: str, rule):
    from certify.output.certificate.fields import _parse
    return _parse(text, rule, "forgery")


def _same_value(old: str, new: str, rule, sign_free: bool = False) -> bool:
    """Independent of the kernel's checks: do two texts in the rule grammar denote the same object (up to sign
    when `sign_free`: A -> -A leaves A A^T, v -> -v leaves v v^T and diag(v) K diag(v) unchanged)?"""
    import sympy as sp
    try:
        a, b = _parsed(old, rule), _parsed(new, rule)
    except Exception:                 # noqa: BLE001 - unreadable: not the same
        return False
    cands = [b, -b] if sign_free else [b]
    for c in cands:
        if a == c:
            return True
        try:
            diff = a - c
            if getattr(diff, "is_Matrix", False):
                diff = sp.expand(diff.doit())
                if diff == 0 or isinstance(diff, sp.ZeroMatrix):
                    return True
            elif sp.simplify(diff) == 0:
                return True
        except Exception:             # noqa: BLE001
            pass
    return False


def _decide_flow(stem, path, value, default):
    """'accept' when the edit does not change what the proof says (a no-op in the rule grammar, e.g. I*(x) = x
    with I the identity matrix, 2*(0) = 0, A -> -A in a Gram term); 'judge' for a route swap (the norm route
    proves a different, still true, bound); else `default`."""
    def decide(doc, base):
        orig = load(stem)
        old = _get(orig, path)
        rule = _rule_of(orig, PROOFS)
        if path[-1] == "route":
            return "judge"
        if isinstance(old, str) and isinstance(value, str) and path[-1] not in ("lemma", "norm", "side"):
            use = _get(orig, path[:-2]) if len(path) >= 2 and path[-2] == "with" else {}
            sign_free = path[-1] in ("A", "v") and use.get("lemma") in ("l2-neg-gram", "gram-decay",
                                                                          "l2-neg-congruence", "l2-neg-schur")
            if _same_value(old, value, rule, sign_free):
                return "accept"
        return default
    return decide


def _edit_flow(stem, path, value):
    def make():
        doc = load(stem)
        _set(doc, path, value)
        ci = path[1]
        rule = _rule_of(doc, PROOFS)
        if path[2] == "proof":
            complete_flow(doc["claims"][ci], rule)
        elif path[2] == "contraction":
            complete_contraction(doc["claims"][ci], rule)
        return reseal(doc), PROOFS
    make.edit = (stem, path, value)
    return make


def _drop_use(stem, path):
    def make():
        doc = load(stem)
        del _get(doc, path[:-1])[path[-1]]
        complete_flow(doc["claims"][path[1]], _rule_of(doc, PROOFS))
        return reseal(doc), PROOFS
    return make


def _edit_plain(stem, path, value, overall=False):
    def make():
        doc = load(stem)
        _set(doc, path, value)
        if overall:
            _fix_overall(doc)
        return reseal(doc), PROOFS
    if "certificate" in path or "conditional" in path:
        make.edit = (stem, path, value)
    return make


def _fix_overall(doc):
    """Keep the top-level verdict consistent with the claims (as _overall computes it)."""
    from certify.output.certificate.recheck import _overall
    try:
        doc["verdict"] = _overall(_rule_of(doc, PROOFS), doc["claims"], doc.get("laws", []))
    except Exception:                 # noqa: BLE001
        pass


def _witness_forgeries() -> list[Forgery]:
    out = []
    for stem in stems():
        doc0 = load(stem)
        for ci, c in enumerate(doc0["claims"]):
            w = c.get("counterexample")
            if not w:
                continue
            paths = [("parameters", k) for k in w["parameters"]]
            paths += [("W0", i, j) for i in range(len(w["W0"])) for j in range(len(w["W0"][i]))][:2]
            paths += [("activity", k, i) for k, v in w["activity"].items() for i in range(len(v))][:2]
            paths += [("matrices", k, 0, 0) for k in w["matrices"]]
            if w["vector"] is not None:
                paths += [("vector", 0)]
            for p in paths:
                for mname in ("x2", "half", "x1e300", "subnormal", "zero", "negate", "huge", "imag-I", "complex",
                              "subnormal-literal"):
                    old = _get(w, p)
                    new = NUMBER_MUTATIONS[mname](Fraction(old))
                    if new == old:
                        continue
                    path = ("claims", ci, "counterexample") + p
                    out.append(_forgery(None, stem, _label(path), mname, "judge",
                                        ("counterexample", p[0], "witness"),
                                        "an edited witness of a refutation that is true anyway: acceptance means "
                                        "the kernel re-derived the refutation from the edited witness",
                                        _edit_witness(stem, path, new)))
            for key in ("growth_lower_bound", "allowed"):
                for mname in ("x2", "plus-1e-12", "zero", "negate", "subnormal"):
                    old = w[key]
                    new = NUMBER_MUTATIONS[mname](Fraction(old))
                    if new == old:
                        continue
                    path = ("claims", ci, "counterexample", key)
                    out.append(_forgery(None, stem, _label(path), mname,
                                        "reject" if key == "allowed" and Fraction(new) >= Fraction(w["growth_lower_bound"])
                                        else "judge", (key, "counterexample"),
                                        "the claimed growth / allowance differs from what the witness proves",
                                        _edit_plain(stem, path, new)))
            out.append(_forgery(None, stem, _label(("claims", ci, "verdict")), "refuted-to-certified", "reject",
                                ("verdict", "certified", "refuted", "counterexample"),
                                "the stored witness refutes the claim",
                                _edit_plain(stem, ("claims", ci, "verdict"), "certified", overall=True)))
    return out


def _edit_witness(stem, path, value):
    def make():
        doc = load(stem)
        _set(doc, path, value)
        complete_witness(doc["claims"][path[1]], _rule_of(doc, PROOFS))
        return reseal(doc), PROOFS
    return make


# network certificates -------------------------------------------------------------------------------------------

def _truth_weighted(stem, ci):
    """expect for a completed weighted certificate: false iff the stated rate exceeds the exact rate of the
    stated weights, or the weights are not positive numbers."""
    def decide(doc) -> str:
        d = doc["claims"][ci]["contraction"]
        from certify.lang.network import network_of
        net = network_of(_rule_of(doc, PROOFS))
        eta = [_q(x) for x in d["eta"]]
        rate = _q(d["rate"])
        if any(x is None or x <= 0 for x in eta) or rate is None or len(eta) != net.n:
            return "reject"
        true = weighted_rate_exact([list(r) for r in net.W0], Fraction(1) if net.linear else net.g, d["form"],
                                   d["norm"], eta, net.linear)
        return "reject" if rate > true or rate <= 0 else "accept"
    return decide


def _network_forgeries() -> list[Forgery]:
    out = []
    for stem in stems():
        doc0 = load(stem)
        for ci, c in enumerate(doc0["claims"]):
            d = c.get("contraction")
            if not d:
                continue
            cp = ("claims", ci, "contraction")
            kind = d["kind"]
            if kind == "weighted":
                for i in sorted({0, len(d["eta"]) - 1}):
                    for mname in ("x2", "half", "x1e300", "x1e-300", "subnormal", "zero", "negate", "huge",
                                  "imag-I", "complex", "nan", "inf"):
                        new = NUMBER_MUTATIONS[mname](Fraction(d["eta"][i]))
                        out.append(_net_forgery(stem, ci, cp + ("eta", i), mname, new, ("eta", "weights"),
                                                "weights edited; the rate restated from the kernel",
                                                _truth_weighted(stem, ci)))
                for mname in ("plus-rel-1e-9", "plus-1e-12", "x2", "huge", "subnormal", "half", "minus-1e-12",
                              "imag-sqrt", "negate"):
                    new = NUMBER_MUTATIONS[mname](Fraction(d["rate"]))
                    stronger = mname in ("plus-rel-1e-9", "plus-1e-12", "x2", "huge")
                    out.append(_net_forgery(stem, ci, cp + ("rate",), mname, new, ("rate",),
                                            "a rate past the exact rate of the weights (false in that norm)" if
                                            stronger else "a weaker or junk rate (the kernel compares exactly)",
                                            "reject" if stronger else "judge", complete=False))
                out.append(_net_forgery(stem, ci, cp + ("weights",), "unit-perron-swap",
                                        "Perron" if d["weights"] == "unit" else "unit", ("weights", "eta"),
                                        "the weights' label", "judge", complete=False))
                out.append(_net_forgery(stem, ci, cp + ("form",), "swap-form",
                                        "FR" if d["form"] == "H" else "H", ("form",),
                                        "the rule's network has the other form", "reject", complete=False))
            elif kind == "lmi":
                n = len(d["P"])
                for target in (("P", 0, 0), ("P", 0, n - 1), ("lam", 0), ("lam", n - 1)):
                    for mname in ("x2", "half", "x1e300", "x1e-300", "subnormal", "zero", "negate", "huge",
                                  "imag-I", "complex"):
                        old = Fraction(_get(d, target))
                        new = NUMBER_MUTATIONS[mname](old)
                        if new == str(old):
                            continue
                        symmetric = target[0] == "P" and target[1] != target[2]
                        out.append(_net_forgery(stem, ci, cp + target, mname, new, (target[0], "lmi", "metric"),
                                                "one entry of the metric / multiplier edited (kept symmetric)",
                                                _truth_lmi(ci), mirror=symmetric))
                for mname, fn in (("both-x2", lambda x: 2 * x), ("both-x1e-300", lambda x: x / 10**300),
                                  ("both-subnormal-scale", lambda x: x * SUB)):
                    out.append(_forgery(None, stem, _label(cp + ("P+lam",)), mname, "accept" if n <= 40 else "judge",
                                        ("P", "lam", "lmi"),
                                        "P and lambda scaled together: -M(c) scales as a whole, the LMI still holds "
                                        "(in the verified float path underflow may make this unprovable)",
                                        _scale_lmi(stem, ci, fn)))
                out.append(_forgery(None, stem, _label(cp + ("P+lam",)), "subnormal-identity", "reject",
                                    ("P", "lam", "lmi", "metric"),
                                    "P = 2^-1074 I, lam = 2^-1074: the LMI then says what P = I, lam = 1 say",
                                    _subnormal_lmi(stem, ci)))
                for mname in ("plus-rel-1e-9", "plus-1e-12", "x2", "huge", "half", "zero", "negate", "subnormal",
                              "imag-sqrt"):
                    new = NUMBER_MUTATIONS[mname](Fraction(d["rate"]))
                    out.append(_net_forgery(stem, ci, cp + ("rate",), mname, new, ("rate", "lmi"),
                                            "the claimed rate moved; true iff the LMI still holds at the new rate",
                                            _truth_lmi(ci), complete=True))
            elif kind == "plastic":
                for key in ("start_value", "rate_all_t", "T", "rate_after_T"):
                    for mname in ("x2", "half", "plus-rel-1e-9", "minus-rel-1e-9", "plus-1e-12", "minus-1e-12",
                                  "zero", "negate", "subnormal", "huge", "imag-I"):
                        new = NUMBER_MUTATIONS[mname](Fraction(d[key]))
                        if new == d[key]:
                            continue
                        out.append(_net_forgery(stem, ci, cp + (key,), mname, new, (key, "T" if key == "T" else key),
                                                "a derived number of the plastic certificate restated",
                                                _truth_plastic(ci, key), complete=False))
                for ui, u in enumerate(d["proof"]["terms"]):
                    for key, text in sorted(u["with"].items()):
                        for mname in ("x2", "half", "imag-sqrt", "imag-I", "subnormal", "zero", "negate"):
                            new = EXPR_MUTATIONS[mname](text)
                            out.append(_net_forgery(stem, ci, cp + ("proof", "terms", ui, "with", key), mname, new,
                                                    ("proof", u["lemma"], key),
                                                    "the plastic certificate's flow proof edited", "reject"))
                for mname in ("x2", "half", "imag-I"):
                    new = EXPR_MUTATIONS[mname](d["proof"]["gamma"])
                    out.append(_net_forgery(stem, ci, cp + ("proof", "gamma"), mname, new, ("gamma", "proof"),
                                            "the plastic certificate's flow rate edited", "reject"))
            else:   # refutations: boxes, eigenvalue evidence
                boxes = ["first", "second"] if kind == "two-equilibria" else ["equilibrium"]
                for b in boxes:
                    for i in (0,):
                        for end in ("lo", "hi"):
                            for mname in ("x2", "half", "x1e300", "subnormal", "zero", "negate", "huge", "imag-I",
                                          "plus-1e-12"):
                                old = Fraction(d[b][end][i])
                                new = NUMBER_MUTATIONS[mname](old)
                                if new == str(old):
                                    continue
                                out.append(_net_forgery(stem, ci, cp + (b, end, i), mname, new,
                                                        (b, "equilibri", "box"),
                                                        "an edited equilibrium box of a refutation that is true "
                                                        "anyway", "judge"))
                if kind == "unstable-equilibrium" and d["eigenvalue"] is not None:
                    for mname in ("negate", "zero", "x2", "subnormal", "imag-I"):
                        new = [NUMBER_MUTATIONS[mname](Fraction(x)) for x in d["eigenvalue"]]
                        if new == d["eigenvalue"]:
                            continue
                        out.append(_net_forgery(stem, ci, cp + ("eigenvalue",), mname, new,
                                                ("eigenvalue", "equilibrium", "unstable"),
                                                "edited eigenvalue evidence of a refutation that is true anyway",
                                                "judge"))
                out.append(_forgery(None, stem, _label(("claims", ci, "verdict")), "refuted-to-certified", "reject",
                                    ("verdict", "certified", "refuted"),
                                    "the network is not contracting (the equilibrium evidence refutes it)",
                                    _edit_plain(stem, ("claims", ci, "verdict"), "certified", overall=True)))
    return out


def _net_forgery(stem, ci, path, mname, new, keywords, why, expect, complete=True, mirror=False) -> Forgery:
    def make():
        doc = load(stem)
        _set(doc, path, new)
        if mirror:                    # keep P symmetric: edit P[j][i] too
            _set(doc, path[:-2] + (path[-1], path[-2]), new)
        if complete:
            complete_contraction(doc["claims"][ci], _rule_of(doc, PROOFS))
        return reseal(doc), PROOFS
    f = _forgery(None, stem, _label(path), mname, expect if isinstance(expect, str) else "reject", keywords, why,
                 make)
    if callable(expect):             # decided on the forged document itself, when it is run
        f.decide = lambda doc, base: expect(doc)
    elif "proof" in path and expect == "reject":     # the plastic certificate's flow proof: no-ops may pass
        f.decide = _decide_flow(stem, path, new, default="reject")
    return f


def _truth_lmi(ci):
    def decide(doc) -> str:
        d = doc["claims"][ci]["contraction"]
        W, g, form, linear = _net_arrays(PROOFS / doc["rule"]["file"])
        P = [[_q(x) for x in r] for r in d["P"]]
        lam = [_q(x) for x in d["lam"]]
        c = _q(d["rate"])
        if c is None or c <= 0 or any(x is None for r in P for x in r) or any(x is None for x in lam):
            return "reject"
        if float(c) > spectral_rate_bound(W, g, form) + 1e-12:
            return "reject"
        holds = lmi_holds(W, g, form, P, lam, c)
        return "accept" if holds else "reject" if holds is False else "judge"
    return decide


def _truth_plastic(ci, key):
    """anti-hebbian-network-like: linear network, flow bound mu_2(W(t)) <= e^{-gamma t} mu_2(W0), tight for the
    trajectory x = 0 (then W(t) = e^{-gamma t} W0). The network -I + W(t) then contracts at rate exactly
    1 - m(t) and not faster; a claimed rate above that at the claimed time is false."""
    def decide(doc) -> str:
        import mpmath
        d = doc["claims"][ci]["contraction"]
        vals = {k: _q(d[k]) for k in ("start_value", "rate_all_t", "T", "rate_after_T")}
        if any(v is None for v in vals.values()):
            return "reject"
        W, g, form, linear = _net_arrays(PROOFS / doc["rule"]["file"])
        gamma = mpmath.mpf(_q(d["proof"]["gamma"]) or 0)
        mpmath.mp.prec = 200
        m0 = mpmath.mpf(float(np.linalg.eigvalsh((W + W.T) / 2).max()))   # exact here: mu_2([[2,1],[-1,2]]) = 2
        T, c_after, c_all = (mpmath.mpf(vals["T"].numerator) / vals["T"].denominator,
                             mpmath.mpf(vals["rate_after_T"].numerator) / vals["rate_after_T"].denominator,
                             mpmath.mpf(vals["rate_all_t"].numerator) / vals["rate_all_t"].denominator)
        if c_all > 0 and c_all > 1 - m0:
            return "reject"
        if c_all <= 0:
            if T < 0 or c_after <= 0 or c_after > 1 - m0 * mpmath.exp(-gamma * T):
                return "reject"
        return "accept" if key == "rate_after_T" or key == "T" else "judge"
    return decide


def _scale_lmi(stem, ci, fn):
    def make():
        doc = load(stem)
        d = doc["claims"][ci]["contraction"]
        d["P"] = [[str(fn(Fraction(x))) for x in r] for r in d["P"]]
        d["lam"] = [str(fn(Fraction(x))) for x in d["lam"]]
        complete_contraction(doc["claims"][ci], _rule_of(doc, PROOFS))
        return reseal(doc), PROOFS
    return make


def _subnormal_lmi(stem, ci, rate: str | None = None, base: Path = PROOFS, doc_fn=None):
    def make():
        doc = doc_fn() if doc_fn else load(stem)
        d = doc["claims"][ci]["contraction"]
        n = len(d["P"])
        d["P"] = [[SUB_STR if i == j else "0" for j in range(n)] for i in range(n)]
        d["lam"] = [SUB_STR] * n
        d["structure"] = "diag"
        if rate is not None:
            d["rate"] = rate
        if not complete_contraction(doc["claims"][ci], _rule_of(doc, base)):
            d["method"] = "verified-cholesky" if n > 40 else "exact"
            doc["claims"][ci]["summary"] = f"contracts at rate {rate or d['rate']} in l2 metric (diag P)"
            from certify.output.certificate import contraction_summary
            doc["claims"][ci]["summary"] = contraction_summary(d)
        return reseal(doc), base
    return make


# laws, top-level verdicts, W0 data ----------------------------------------------------------------------------

def _law_forgeries() -> list[Forgery]:
    out = []
    for stem in stems():
        doc0 = load(stem)
        for li, law in enumerate(doc0.get("laws", [])):
            lp = ("laws", li)
            if law["verdict"] in ("certified", "refuted"):
                new = "refuted" if law["verdict"] == "certified" else "certified"
                out.append(_forgery(None, stem, _label(lp + ("verdict",)), f"{law['verdict']}-to-{new}", "reject",
                                    ("verdict", law["law"], "laws"), "the kernel decides this law the other way",
                                    _edit_plain(stem, lp + ("verdict",), new, overall=True)))
            # constants written in the statement (energy: kappa, delta, tau; balancing: p/tau)
            nums = re.findall(r"(?<![\w/.])(\d+/\d+|\d+)(?![\w/.])", law["statement"])
            for num in sorted(set(nums))[:3]:
                for mname in ("x2", "plus-1e-12", "subnormal", "zero", "negate", "imag-I"):
                    new_num = NUMBER_MUTATIONS[mname](Fraction(num))
                    new = re.sub(rf"(?<![\w/.]){re.escape(num)}(?![\w/.])", new_num, law["statement"], count=1)
                    if new == law["statement"]:
                        continue
                    out.append(_forgery(None, stem, _label(lp + ("statement",)) + f"[{num}]", mname, "judge",
                                        ("statement", law["law"]),
                                        "a constant of the law's statement restated (the kernel derives it from "
                                        "the rule; a stronger constant may be false)",
                                        _edit_plain(stem, lp + ("statement",), new)))
            w = law.get("witness")
            if w:
                targets = [("J", 0, 1), ("J", 1, 0), ("u", 0), ("c", 0), ("d", 0), ("d", 1), ("centers", 0, 0),
                           ("centers", 1, 0), ("radius",)]
                for t in targets:
                    for mname in ("x2", "half", "x1e300", "x1e-300", "subnormal", "zero", "negate", "huge",
                                  "imag-I", "complex", "plus-1e-12"):
                        old = _get(w, t)
                        try:
                            new = NUMBER_MUTATIONS[mname](Fraction(old))
                        except (ValueError, ZeroDivisionError):
                            continue
                        if new == old:
                            continue
                        path = lp + ("witness",) + t
                        out.append(_forgery(None, stem, _label(path), mname, "judge",
                                            ("witness", "io-map", t[0], "law"),
                                            "an edited I/O witness of a refutation that is true anyway (tanh is "
                                            "not homogeneous)", _edit_law_witness(stem, path, new)))
                # the witness removed: the law then cannot be refuted
                out.append(_forgery(None, stem, _label(lp + ("witness",)), "drop", "reject",
                                    ("witness", "io-map", "law"), "a refutation without its witness",
                                    _edit_plain(stem, lp + ("witness",), {})))
        # top-level verdict
        v = doc0["verdict"]
        if v in ("certified", "refuted"):
            new = "certified" if v == "refuted" else "refuted"
            out.append(_forgery(None, stem, "verdict", f"{v}-to-{new}", "reject", ("verdict", "overall"),
                                "the overall verdict is decided by the claims", _edit_plain(stem, ("verdict",), new)))
    return out


def _edit_law_witness(stem, path, value):
    def make():
        doc = load(stem)
        _set(doc, path, value)
        complete_laws(doc, _rule_of(doc, PROOFS))
        return reseal(doc), PROOFS
    return make


def _w0_forgeries() -> list[Forgery]:
    """Change the rule's W0 (inline, or the .npy it names) so that the claim becomes false, and rebuild the
    certificate's rule block (hash, canonical text, data file SHA-256) like `certify prove` would; keep the
    evidence. Independent truth: the spectral abscissa of the new network."""
    out = []
    cases = [("small-gain-network", 10, "reject"), ("memory-weak-relu", 10, "reject"),
             ("feedback-weak", 10, "reject"), ("hebbian-sequence-weak", 10, "reject"),
             ("anti-hebbian-network", 10, "reject"), ("bistable-network", Fraction(1, 10), "reject"),
             ("hebbian-sequence-strong", Fraction(1, 10), "reject"), ("feedback-bistable", Fraction(1, 100), "reject"),
             ("memory-hebbian-relu", Fraction(1, 10), "reject")]
    for stem, factor, expect in cases:
        if not (PROOFS / f"{stem}.json").exists():
            continue
        out.append(_forgery(None, stem, "rule.W0", f"x{factor}", expect, ("W0", "contraction", "eta", "P", "lam",
                                                                           "equilibri", "proof", "rate", "T",
                                                                           "start_value", "data"),
                            f"W0 scaled by {factor}: the claimed verdict is then false (spectral check)",
                            _scaled_w0(stem, factor)))
    return out


def _scaled_w0(stem, factor):
    def make():
        doc = load(stem)
        src = ROOT / "rules" / Path(doc["rule"]["file"]).name
        d = _scratch() / f"w0-{stem}-{str(factor).replace('/', '_')}"
        d.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="utf-8")
        m = re.search(r'^W0\s*=\s*"([^"]+\.npy)"', text, re.M)
        if m:
            W = np.load(src.parent / m.group(1)) * float(factor)
            np.save(d / m.group(1), W)
            for other in re.findall(r'"([^"]+\.(?:npy|csv))"', text):
                if other != m.group(1):
                    shutil.copy(src.parent / other, d / other)
        else:
            m = re.search(r"^W0\s*=\s*(\[.*\])\s*$", text, re.M)
            rows = json.loads(m.group(1))
            scaled = [[float(Fraction(str(x)) * Fraction(factor)) for x in r] for r in rows]
            text = text[:m.start(1)] + json.dumps(scaled) + text[m.end(1):]
        (d / src.name).write_text(text, encoding="utf-8")
        doc["rule"] = rule_section(d / src.name, d)
        return reseal(doc), d
    return make


def _truth_w0(doc: dict[str, Any], base: Path) -> str:
    W, g, form, linear = _net_arrays(base / doc["rule"]["file"])
    bound = spectral_rate_bound(W, g, form)
    if doc["claims"][0]["verdict"] == "certified":
        return "reject" if bound <= 0 else "judge"
    return "reject" if bound > 0 else "judge"     # refuted claim; the scaled network contracts


# the known holes --------------------------------------------------------------------------------------------------

HOLE_A_SQRT = """[rule]
name = "forged-l2-neg-gram-sqrt"
summary = "dW = -g r r^T with g in [-1, 0): Hebbian growth written as a decay"
dW = "-g*r*r.T"

[parameters]
g = "[-1, 0)"

[activity]
r = [-1, 1]

[claim]
measure = "l2"
bound = "nonincreasing"
"""

HOLE_A_IMAG = """[rule]
name = "forged-l2-neg-gram-imaginary"
summary = "Hebbian dW = r r^T"
dW = "r*r.T"

[activity]
r = [-1, 1]

[claim]
measure = "l2"
bound = "nonincreasing"
"""

HOLE_NETWORK = """[rule]
name = "{name}"
summary = "{summary}"
dW = "0"

[network]
form = "H"
activation = "tanh"
W0 = "{npy}"

[claim]
bound = "contracting"
"""


def _hole_dir(tag: str) -> Path:
    d = _scratch() / tag
    d.mkdir(parents=True, exist_ok=True)
    return d


def hole_a(which: str) -> tuple[dict[str, Any], Path]:
    """(a) l2-neg-gram with A = sqrt(g)*r for dW = -g r r^T, g in [-1, 0) ('sqrt'), or A = I*r for dW = r r^T
    ('imag', I = SymPy's imaginary unit as the parser reads 'I' in a scalar position, or sqrt(-1))."""
    d = _hole_dir(f"hole-a-{which}")
    text = HOLE_A_SQRT if which == "sqrt" else HOLE_A_IMAG
    rule_path = d / "rule.toml"
    rule_path.write_text(text, encoding="utf-8")
    A = {"sqrt": "sqrt(g)*r", "imag": "I*r", "imag-sqrt": "sqrt(-1)*r"}[which]
    proof = {"route": "measure", "norm": "l2", "gamma": "0", "decays": [],
             "terms": [{"lemma": "l2-neg-gram", "with": {"A": A, "c": "1"}}]}
    statement = "mu_2(W(t)) <= exp(-(0) t) mu_2(W(0))"
    claim = {"measure": "l2", "bound": "nonincreasing", "verdict": "certified", "expected": None,
             "recheckable": True, "summary": statement, "proof": proof,
             "certificate": {"statement": statement, "rate": "0", "drive_bound": "0", "positive_part": False,
                             "conditions_checked": ["1 >= 0"],
                             "steps": [{"lemma": "l2-neg-gram", "statement": "", "source": ""}]}}
    doc = skeleton(rule_path, d, [claim], "certified")
    complete_flow(doc["claims"][0], _rule_of(doc, d))     # the kernel's own words, when it accepts the proof
    return reseal(doc), d


def hole_a_truth(which: str) -> bool:
    """Independent: is 'mu_2(W(t)) nonincreasing' false for the rule? dW = |g| r r^T (g < 0) or r r^T: from
    W0 = 0, W(t) = t |g| r r^T has mu_2 = t |g| |r|^2 > 0 = mu_2(W0)."""
    g = -1.0 if which == "sqrt" else 1.0
    r = np.array([1.0, 0.5])
    t = 0.1
    W = t * (-g if which == "sqrt" else g) * np.outer(r, r)
    return float(np.linalg.eigvalsh((W + W.T) / 2).max()) > 0      # True: the claim is false


def hole_b(n: int = 41) -> tuple[dict[str, Any], Path]:
    """(b) LMI certificate for the n x n all-1/4 tanh network (form H), P = 2^-1074 I, lambda = 2^-1074."""
    d = _hole_dir(f"hole-b-{n}")
    np.save(d / "W0.npy", np.full((n, n), 0.25))
    rule_path = d / "rule.toml"
    rule_path.write_text(HOLE_NETWORK.format(name=f"forged-lmi-subnormal-{n}",
                                             summary=f"{n} x {n} all 1/4, tanh, form H: not contracting",
                                             npy="W0.npy"), encoding="utf-8")
    lmi = {"kind": "lmi", "structure": "diag", "P": [[SUB_STR if i == j else "0" for j in range(n)] for i in range(n)],
           "lam": [SUB_STR] * n, "rate": "1/2", "method": "verified-cholesky" if n > 40 else "exact"}
    from certify.output.certificate import contraction_summary
    claim = {"measure": "l2", "bound": "contracting", "verdict": "certified", "expected": None, "recheckable": True,
             "summary": contraction_summary(lmi), "contraction": lmi}
    doc = skeleton(rule_path, d, [claim], "certified")
    complete_contraction(doc["claims"][0], _rule_of(doc, d))
    return reseal(doc), d


def hole_c(n: int = 301, norm: str = "l1") -> tuple[dict[str, Any], Path]:
    """(c) weighted l1 / linf certificate with eta = (1, 2^-1074, ..., 2^-1074) for n > 300: W0 = 1/4 on the
    block of neurons 1..n-1 (neuron 0 decoupled), which has the eigenvalue (n-1)/4: not contracting. In binary64
    every product |w_ij| eta_j = 2^-1076 rounds to 0, so the rounded row sums miss (n-2)/4 of the true sum."""
    d = _hole_dir(f"hole-c-{n}-{norm}")
    W = np.full((n, n), 0.25)
    W[0, 1:] = 0
    W[1:, 0] = 0
    np.save(d / "W0.npy", W)
    rule_path = d / "rule.toml"
    rule_path.write_text(HOLE_NETWORK.format(name=f"forged-weighted-subnormal-{n}-{norm}",
                                             summary=f"{n} x {n}, 1/4 on a block: not contracting",
                                             npy="W0.npy"), encoding="utf-8")
    eta = ["1"] + [SUB_STR] * (n - 1)
    weighted = {"kind": "weighted", "norm": norm, "form": "H", "weights": "Perron", "eta": eta, "rate": "3/4"}
    from certify.output.certificate import contraction_summary
    claim = {"measure": "l2", "bound": "contracting", "verdict": "certified", "expected": None, "recheckable": True,
             "summary": contraction_summary(weighted), "contraction": weighted}
    doc = skeleton(rule_path, d, [claim], "certified")
    complete_contraction(doc["claims"][0], _rule_of(doc, d))
    return reseal(doc), d


def network_claim_false(doc: dict[str, Any], base: Path) -> bool:
    """Independent: the stated rate exceeds the spectral bound of some Jacobian of the rule's network."""
    W, g, form, linear = _net_arrays(base / doc["rule"]["file"])
    rate = float(Fraction(doc["claims"][0]["contraction"]["rate"]))
    return rate > spectral_rate_bound(W, g, form, samples=2)


# -- the whole catalogue ------------------------------------------------------------------------------------------

FAMILIES = {"flow": _flow_forgeries, "witness": _witness_forgeries, "network": _network_forgeries,
            "laws": _law_forgeries, "w0": _w0_forgeries}


@functools.lru_cache(maxsize=None)
def catalogue(family: str | None = None) -> tuple[Forgery, ...]:
    if family is None:
        return tuple(f for fam in FAMILIES for f in catalogue(fam))
    out = FAMILIES[family]()
    if family == "w0":
        for f in out:
            f.decide = _truth_w0
    return tuple(out)


@functools.lru_cache(maxsize=None)
def by_name() -> dict[str, Forgery]:
    return {f.name: f for f in catalogue()}


def mentions(reason: str, keywords, field: str | None = None) -> bool:
    """Does the reason name the quantity? A schema violation counts when it points at the edited field or at
    the object holding it (e.g. 'at claims/1/contraction: ... is not valid under any of the given schemas')."""
    low = reason.lower()
    if any(k.lower() in low for k in keywords):
        return True
    if field and reason.startswith("does not follow the certificate schema"):
        slash = re.sub(r"\[(\d+)\]", r"/\1", field).replace(".", "/")
        return any(slash.startswith(p) for p in re.findall(r"at ([\w/]+):", reason))
    return False


def main(argv: list[str]) -> int:
    families = argv or list(FAMILIES)
    counts = {"generated": 0, "rejected": 0, "accepted": 0, "crash": 0}
    bad, judged, no_reason = [], [], []
    for fam in families:
        for f in catalogue(fam):
            o = f.run()
            counts["generated"] += 1
            counts["rejected" if o.rejected else "accepted"] += 1
            counts["crash"] += o.status == "crash"
            if not o.rejected and f.expect == "reject":
                bad.append((f, o))
            elif not o.rejected and f.expect == "judge":
                judged.append((f, o))
            elif o.rejected and f.expect == "reject" and o.status != "crash" and \
                    not mentions(o.reason, f.keywords, f.field):
                no_reason.append((f, o))
            if o.status == "crash":
                print(f"CRASH {f.name}: {o.reason}")
    print(json.dumps(counts))
    print(f"\nACCEPTED ALTHOUGH THE CLAIM IS FALSE / THE EVIDENCE INVALID ({len(bad)}):")
    for f, o in bad:
        print(f"  {f.name}  ({f.why})\n    {f.repro()}")
    print(f"\nACCEPTED, FOR THE LEAD TO JUDGE ({len(judged)}):")
    for f, o in judged:
        print(f"  {f.name}  ({f.why})")
    print(f"\nREJECTED WITHOUT NAMING THE QUANTITY ({len(no_reason)}):")
    for f, o in no_reason:
        print(f"  {f.name}: {o.reason[:200]}")
    for tag, build, truth in (("hole-a sqrt", lambda: hole_a("sqrt"), None), ("hole-a imag", lambda: hole_a("imag"), None),
                              ("hole-b", hole_b, None), ("hole-c l1", lambda: hole_c(301, "l1"), None),
                              ("hole-c linf", lambda: hole_c(301, "linf"), None)):
        doc, base = build()
        o = verify(doc, base)
        print(f"{tag}: {'REJECTED' if o.rejected else 'ACCEPTED'} {o.reason[:300]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
