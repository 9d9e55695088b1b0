"""A recorder for the kernel: which entry points were seen to accept and to refuse, and which refusal branches
(`raise KernelError(...)` and its subclasses, by file and line) fired during a test run.

Off by default. `CERTIFY_KERNEL_AUDIT=report.json python -m pytest` turns it on: tests/conftest.py installs it
before any test imports certify, and at the end of the session the report is written and summarised. The
recorder wraps the entry points named in certify/kernel/__init__.py and records where each KernelError was
constructed; it changes no result.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import sys
from collections import Counter
from pathlib import Path

KERNEL = Path(__file__).resolve().parent.parent / "certify" / "kernel"
ERRORS = ("KernelError", "SideConditionError", "NotReal")

accepted: Counter = Counter()
refused: Counter = Counter()
fired: Counter = Counter()


def refusal_sites() -> set[tuple[str, int]]:
    """(file, line) of every `raise KernelError(...)` (or a subclass) in the kernel, from its source."""
    sites = set()
    for path in KERNEL.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in ERRORS:
                    sites.add((path.name, node.lineno))
    return sites


def _wrap(name: str, fn):
    @functools.wraps(fn)
    def recorded(*args, **kwargs):
        from certify.kernel.errors import KernelError
        try:
            out = fn(*args, **kwargs)
        except KernelError:
            refused[name] += 1
            raise
        if out is False:          # is_pd_verified answers False for "not verified"
            refused[name] += 1
        else:
            accepted[name] += 1
        return out
    return recorded


def install() -> None:
    import certify.kernel as kernel
    from certify.kernel.errors import KernelError

    original = KernelError.__init__

    def init(self, *args, **kwargs):
        frame = sys._getframe(1)
        while frame is not None:
            path = Path(frame.f_code.co_filename)
            # the first kernel frame that is not building this exception (KernelError's subclasses' __init__): the
            # raise site, also when it sits in a kernel class's own __init__ (e.g. Normalizer)
            if path.parent == KERNEL and frame.f_locals.get("self") is not self:
                fired[(path.name, frame.f_lineno)] += 1
                break
            frame = frame.f_back
        original(self, *args, **kwargs)
    KernelError.__init__ = init
    for name in kernel.__all__:
        obj = getattr(kernel, name)
        if isinstance(obj, type):
            continue
        module = importlib.import_module(obj.__module__)
        wrapped = _wrap(name, obj)
        setattr(module, name, wrapped)
        for other in list(sys.modules.values()):     # kernel modules that imported it by name already
            if getattr(other, "__name__", "").startswith("certify.kernel") and getattr(other, name, None) is obj:
                setattr(other, name, wrapped)


def report(path: str) -> str:
    import certify.kernel as kernel
    entries = [n for n in kernel.__all__ if not isinstance(getattr(kernel, n), type)]
    sites = refusal_sites()
    seen = {site for site in fired if site in sites}
    doc = {"entry_points": {n: {"accepted": accepted[n], "refused": refused[n]} for n in entries},
           "refusal_sites": len(sites), "refusal_sites_fired": len(seen),
           "never_fired": sorted(f"{f}:{line}" for f, line in sites - seen)}
    Path(path).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    both = [n for n in entries if accepted[n] and refused[n]]
    return (f"kernel audit: {len(both)} of {len(entries)} entry points seen to accept and to refuse; "
            f"{len(seen)} of {len(sites)} refusal branches fired (report: {path})")
