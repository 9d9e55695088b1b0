"""certify: symbolic-numeric verification of neural networks whose synapses change while they run.

Public API (re-exported here):
    Rule                 a declared plasticity rule (TOML file or Python)
    check_rule           decide its claim(s): a RuleReport with kernel-checked verdicts
    Verdict, ExitCode    the four verdicts and the command-line exit codes
    InputError, KernelError
"""

from __future__ import annotations

__version__ = "0.1.0"

from certify.errors import CertifyError as CertifyError
from certify.errors import InputError as InputError
from certify.errors import KernelError as KernelError
from certify.verdict import ExitCode as ExitCode
from certify.verdict import Verdict as Verdict


def __getattr__(name: str):
    # Rule and check_rule import SymPy; load them on first use so `certify --help` stays fast.
    if name == "Rule":
        from certify.lang.rule import Rule
        return Rule
    if name == "check_rule":
        from certify.check import check_rule
        return check_rule
    raise AttributeError(f"module 'certify' has no attribute {name!r}")


__all__ = ["Rule", "check_rule", "Verdict", "ExitCode", "InputError", "KernelError", "CertifyError",
           "__version__"]
