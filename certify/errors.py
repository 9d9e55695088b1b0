"""The package's exceptions. They live in the trusted kernel (certify/kernel/errors.py), which imports nothing of
certify outside itself; this module re-exports them for everything else."""

from .kernel.errors import CertifyError as CertifyError
from .kernel.errors import InputError as InputError
from .kernel.errors import InternalError as InternalError
from .kernel.errors import KernelError as KernelError
from .kernel.errors import SideConditionError as SideConditionError

__all__ = ["CertifyError", "InputError", "InternalError", "KernelError", "SideConditionError"]
