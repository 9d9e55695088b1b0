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

The modules, one job each (and the order to read them in):
  fields.py           the fields: proofs, witnesses and network evidence written as JSON text and read back exactly;
                      the seal, the JSON Schema
  recheck_network.py  re-checking a `contracting` claim's network certificate through the kernel
  recheck_claim.py    re-checking one weight-flow claim (proof, counterexample, conditional) through the kernel
  recheck.py          re-checking a certificate file: read, schema, seal, rule and data files, claims, verdict
  render.py           Markdown of a certificate, the text `verify` prints
  store.py            building the document from a RuleReport and writing it (`certify prove`'s work per file)
  commands.py         `certify prove` and `certify verify`: loops over files, printing, exit codes
The re-check modules import only the parser and the kernel, never the derivation or the search.
"""

from __future__ import annotations

from .commands import run_prove as run_prove, run_verify as run_verify
from .fields import (CONDITIONAL_NOTE as CONDITIONAL_NOTE, FORMAT as FORMAT, LEMMA_ARGUMENTS as LEMMA_ARGUMENTS,
                     SCHEMA_FILE as SCHEMA_FILE, SCHEMA_VERSION as SCHEMA_VERSION, CertificateError as CertificateError,
                     certificate_view as certificate_view, contraction_summary as contraction_summary,
                     data_files as data_files, proof_dict as proof_dict, proof_from_dict as proof_from_dict,
                     schema as schema, schema_errors as schema_errors, seal as seal, witness_dict as witness_dict,
                     witness_from_dict as witness_from_dict)
from .recheck import (Verified as Verified, certificate_files as certificate_files, project_root as project_root,
                      read_certificate as read_certificate, verify_document as verify_document,
                      verify_file as verify_file)
from .recheck_claim import ClaimCheck as ClaimCheck, verify_claim as verify_claim
from .render import markdown as markdown, render_verified as render_verified
from .store import (Proved as Proved, build as build, claim_dict as claim_dict,
                    contraction_evidence as contraction_evidence, file_stem as file_stem, prove_file as prove_file,
                    versions as versions)

__all__ = ["CONDITIONAL_NOTE", "FORMAT", "LEMMA_ARGUMENTS", "SCHEMA_FILE", "SCHEMA_VERSION", "CertificateError",
           "ClaimCheck", "Proved", "Verified", "build", "certificate_files", "certificate_view", "claim_dict",
           "contraction_evidence", "contraction_summary", "data_files", "file_stem", "markdown", "project_root",
           "proof_dict", "proof_from_dict", "prove_file", "read_certificate", "render_verified", "run_prove",
           "run_verify", "schema", "schema_errors", "seal", "verify_claim", "verify_document", "verify_file",
           "versions", "witness_dict", "witness_from_dict"]
