"""certify: symbolic-numeric verification of neural networks whose synapses change while they run.

Public API (everything in ``__all__``; every other module and name is internal and may change):

- ``Rule``: a declared plasticity rule, from a TOML file (``Rule.from_file``) or from Python (``Rule.create``;
  numpy and scipy.sparse arrays are read exactly as W0)
- ``check_rule``: decide the rule's claim(s); returns a ``RuleReport``
- ``RuleReport``: the file's verdict and one ``ClaimResult`` per claim, with notebook display and ``to_dict()``
- ``ClaimResult``: one claim's verdict, the kernel evidence behind it and its numbers (``rate``, ``T``, ``P``,
  ``eta``, ``witness``)
- ``Verdict``, ``ExitCode``: the four verdicts and the command-line exit codes
- ``CertifyError``, ``InputError``, ``KernelError``: the exceptions (``InputError``: the input is wrong;
  ``KernelError``: the trusted kernel rejected a proof or a number)
- ``__version__``

``Rule``, ``check_rule``, ``RuleReport`` and ``ClaimResult`` load SymPy and are imported on first use, so that
``certify --help`` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

from certify.errors import CertifyError as CertifyError
from certify.errors import InputError as InputError
from certify.errors import KernelError as KernelError
from certify.verdict import ExitCode as ExitCode
from certify.verdict import Verdict as Verdict

#: public names loaded on first use (they import SymPy)
_LAZY = ("Rule", "check_rule", "RuleReport", "ClaimResult")


def __getattr__(name: str):
    # Rule and check_rule import SymPy; load them on first use so `certify --help` stays fast.
    if name == "Rule":
        # deferred: certify.lang.rule imports this module (an import cycle at load time)
        from certify.lang.rule import Rule as value
    elif name == "check_rule":
        # deferred: certify.check imports this module (an import cycle at load time)
        from certify.check import check_rule as value
    elif name == "RuleReport":
        # deferred: certify.results imports this module (an import cycle at load time)
        from certify.results import RuleReport as value
    elif name == "ClaimResult":
        # deferred: certify.results imports this module (an import cycle at load time)
        from certify.results import ClaimResult as value
    else:
        raise AttributeError(f"module 'certify' has no attribute {name!r}")
    globals()[name] = value   # later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["Rule", "check_rule", "RuleReport", "ClaimResult", "Verdict", "ExitCode", "CertifyError", "InputError",
           "KernelError", "__version__"]
