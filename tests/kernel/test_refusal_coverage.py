"""Every kernel refusal branch has fired (as Hypothesis shows for its validators): the recorder of
tests/kernel_audit.py runs this folder's tests in a subprocess (about 40 s on one core) and lists the
`raise KernelError(...)` sites (and subclasses) that no test drove. Each site must fire, or be in ALLOWED with a
reason. A new refusal branch without a test that drives it fails here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# file:first words of the message -> why no test in tests/kernel drives it. Line numbers move with edits, so
# entries name the check by its message.
DEFENSIVE = {   # unreachable through the public signature; kept because they re-check a trusted result or guard
                # an internal helper against a future caller
    "equilibria.py:affine_piece: the affine zero is not a zero of f": "re-checks FLINT's solve with the true phi",
    "stability.py:symmetric_enclosure:": "Arb products of the finite balls checked before are finite",
    "netmodel.py:{a} is not smooth": "Krawczyk and the interval Jacobian run only for smooth activations",
    "verified.py:check_lmi: P must be": "check_lmi checks the shapes before lmi_matrix_float",
    "verified.py:lmi_matrix_float: P must be exactly symmetric": "check_lmi's is_pd_verified(P) refuses first",
    "verified.py:is_pd_verified: matrix too large": "n > 67108860 does not fit in memory",
    "verify.py:check_witness: a growth witness needs gamma = 0": "implied by the W-independence check before it",
    "contraction.py:check_plastic: a 'bounded' flow bound needs": "check_proof refuses it first (rate > 0)",
    "verify.py:check_proof: unknown lemma": "the steps are built from the lemma table",
    "lemmas.py:check_term: no check for lemma": "the lemma table and the checks agree",
    "laws.py:check_lax_flow: W(t) = D^-1 W(0) D does not solve": "holds for every Lax flow (identity)",
    "laws.py:check_cost_descent: (p/tau)": "an identity of scalar forms, for every C",
    "laws.py:check_io_map: the balanced network does not map": "an identity for homogeneous phi",
    "laws.py:check_io_map: the balanced readout differs": "an identity (D D^-1 = I)",
    "laws.py:check_strict_lyapunov: d/dt (x'^T T x'/2) differs": "an identity of scalar forms",
    "evaluate.py:atom: unknown atom": "atoms come from the normaliser's own constructors",
    "forms.py:atom_shape: unknown atom": "atoms come from the normaliser's own constructors",
    "forms.py:atom_derivative: unknown atom": "atoms come from the normaliser's own constructors",
    "forms.py:atom_substitute: unknown atom": "atoms come from the normaliser's own constructors",
    "algebra.py:transpose_atom: unknown atom": "atoms come from the normaliser's own constructors",
    "laws.py:check_strict_lyapunov: the Hessian bound": "every Lagrangian a descent certificate can name has one",
    "exact.py:norm1_exact:": "its one caller (_start_value) reads W0 through exact._square, which refuses it first",
    "exact.py:norminf_exact:": "its one caller (_start_value) reads W0 through exact._square, which refuses it first",
    "intervals.py:to_fraction: expected an exact rational": "enclose and reality call it only for SymPy Rationals",
    "verified.py:{name} changed when read as binary64": "float16/32 widen exactly and NaN compares equal (equal_nan)",
}
NOT_YET_DRIVEN = {   # reachable; no test in tests/kernel constructs the input yet (issue 12 leftover)
    "algebra.py:nf: '{name}' is declared a scalar": "needs a law check with a non-1x1 scalar leaf",
    "algebra.py:nf: matrix power with exponent": "require_real refuses non-integer powers first",
    "algebra.py:nf: diag() of something": "SymPy's DiagMatrix refuses non-vectors first",
    "algebra.py:nf: Hadamard power with exponent": "require_real refuses non-integer powers first",
    "algebra.py:nf: unknown element-wise function": "the parser builds only known activations",
    "algebra.py:nf: an activation of the zero vector": "needs a hand-built activation of ZeroMatrix",
    "algebra.py:nf: an activation of a 1 x 1": "needs a hand-built activation of a 1x1 product",
    "algebra.py:nf: activations apply to vectors only": "needs a hand-built activation of a matrix",
    "evaluate.py:nf: cannot infer the shape": "needs a witness whose dW normalises to 0",
    "evaluate.py:matmul: shape mismatch": "shapes are checked by the witness reader first",
    "evaluate.py:{name}({x}) is not rational": "needs a witness with tanh at a non-zero activity",
    "evaluate.py:coeff: coefficient": "needs a coefficient irrational at rational parameters",
    "evaluate.py:atom: the witness gives no value": "the witness reader checks activities first",
    "evaluate.py:atom: diag() of a non-vector": "SymPy's DiagMatrix refuses non-vectors first",
    "evaluate.py:atom: Hadamard product of different shapes": "SymPy refuses mismatched shapes first",
    "forms.py:consistent: the value given for the scalar": "needs a law substitution fixture",
    "forms.py:consistent: the value given for '{atom[1]}' is not a product": "needs a law substitution fixture",
    "forms.py:consistent: the value given for '{atom[1]}' does not have": "needs a law substitution fixture",
    "forms.py:atom_derivative: no chain rule": "needs an energy with an activation of a moving vector",
    "forms.py:atom_substitute: an activation of the zero": "needs a hand-built substitution",
    "forms.py:word_shape: shape mismatch": "SymPy refuses mismatched shapes first",
    "forms.py:scalar_factors: the word": "needs a non-scalar energy",
    "forms.py:trace_form: the trace of the non-square": "needs a hand-built trace of a vector word",
    "laws.py:check_spectrum: a trace of a power": "needs a Lax certificate of another flow",
    "laws.py:check_energy_descent: dE/dt differs": "needs an energy-descent fixture",
    "laws.py:check_energy_descent: dE/dt along solutions": "needs an energy-descent fixture",
    "netmodel.py:exact: ball": "needs an Arb enclosure that blows up to infinity",
}
ALLOWED = DEFENSIVE | NOT_YET_DRIVEN


def _message_start(path: Path, line: int) -> str:
    """The first words of the refusal's message, as written in the source (f-string fields included)."""
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    quote = min((text.index(q) for q in ('"', "'") if q in text), default=len(text))
    return text[quote + 1:].lstrip('"')


def _allowed(site: str) -> str | None:
    """The ALLOWED key that covers this refusal site, or None."""
    name, line = site.split(":")
    start = _message_start(ROOT / "certify" / "kernel" / name, int(line))
    for key in ALLOWED:
        file, words = key.split(":", 1)
        if file == name and start.startswith(words):
            return key
    return None


@pytest.mark.skipif(bool(os.environ.get("CERTIFY_KERNEL_AUDIT")), reason="this test runs the recorder itself")
def test_every_kernel_refusal_branch_fires(tmp_path):
    report = tmp_path / "audit.json"
    env = dict(os.environ, CERTIFY_KERNEL_AUDIT=str(report))
    run = subprocess.run([sys.executable, "-m", "pytest", "tests/kernel", "-q", "-p", "no:cacheprovider",
                          "-p", "no:randomly", "--deselect", "tests/kernel/test_refusal_coverage.py"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    doc = json.loads(report.read_text(encoding="utf-8"))
    missing = [site for site in doc["never_fired"] if _allowed(site) is None]
    assert not missing, ("kernel refusal branches no test drives (drive each in tests/kernel/"
                         f"test_refusal_branches.py, or allow-list it with a reason): {missing}")
    used = {_allowed(site) for site in doc["never_fired"]}
    stale = [key for key in ALLOWED if key not in used]
    assert not stale, f"allow-listed branches that now fire (or are gone): drop them from ALLOWED: {stale}"
