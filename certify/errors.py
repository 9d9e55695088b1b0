"""The package's exceptions. They live in the trusted kernel (certify/kernel/errors.py), which imports nothing of
certify outside itself; this module re-exports them for everything else."""

from certify.kernel.errors import CertifyError as CertifyError
from certify.kernel.errors import InputError as InputError
from certify.kernel.errors import InternalError as InternalError
from certify.kernel.errors import KernelError as KernelError
from certify.kernel.errors import SideConditionError as SideConditionError

__all__ = ["CertifyError", "InputError", "InternalError", "KernelError", "SideConditionError"]
