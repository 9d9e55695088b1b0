"""Hypothesis profiles: `ci` (default: fast and derandomized, so a CI run is reproducible) and `thorough`
(HYPOTHESIS_PROFILE=thorough: many random examples, for deep runs that hunt for new counterexamples)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=40, deadline=None, print_blob=True, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The kernel recorder (tests/kernel_audit.py): CERTIFY_KERNEL_AUDIT=report.json python -m pytest
if os.environ.get("CERTIFY_KERNEL_AUDIT"):
    from tests import kernel_audit as _kernel_audit

    _kernel_audit.install()

    def pytest_terminal_summary(terminalreporter):
        terminalreporter.write_line(_kernel_audit.report(os.environ["CERTIFY_KERNEL_AUDIT"]))
