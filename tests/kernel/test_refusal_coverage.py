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
    "netmodel.py:phi_ball: {a} is not smooth": "Krawczyk and the interval Jacobian run only for smooth activations",
    "verified.py:check_lmi: P must be": "check_lmi checks the shapes before lmi_matrix_float",
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
    "verified.py:float_array: {name} changed when read as binary64": "float16/32 widen exactly and NaN compares equal (equal_nan)",
    "evaluate.py:nf: cannot infer the shape": "check_witness passes (n, n); a fun atom's inner form is never empty "
                                              "(algebra.nf refuses an activation of the zero vector)",
    "forms.py:consistent: the value given for the scalar": "the one scalar leaf with a rate is L (energy descent), "
                                                           "rate g^T v, 1 x 1",
    "forms.py:consistent: the value given for '{atom[1]}' is not a product": "the diagonal leaves with rates are D_h, "
                                                                            "D_h_inv: D G/tau, G D^-1/tau",
    "forms.py:consistent: the value given for '{atom[1]}' does not have": "no law check gives a rate or value to a "
                                                                         "symmetric, skew or symmetric-W leaf",
    "forms.py:atom_substitute: an activation of the zero": "substitute runs on kernel-built forms with no activation "
                                                           "(lax, cost, dE after it equals the gradient form)",
    "forms.py:trace_form: the trace of the non-square": "its words are W^i w W^j, w a word of the n x n dW: a 1 at "
                                                        "a word's end is a SymPy row/column, so consistent => square",
    "laws.py:check_energy_descent: dE/dt along solutions": "once dE/dt equals the kernel's gradient form, the "
                                                          "substitution is a fixed kernel identity",
    "netmodel.py:exact: ball": "_low/_high run only on balls checked is_finite(); a finite arb's lower()/upper() "
                               "are exact and finite",
}
NOT_YET_DRIVEN: dict[str, str] = {   # reachable; no test in tests/kernel constructs the input yet
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
