"""The trusted kernel imports nothing of certify outside certify/kernel/ (a small AST check of every import,
at module level and inside functions), so what is trusted is exactly what is in that folder."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "certify"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a module of the package."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
    return out


def test_the_kernel_imports_only_itself_and_trusted_libraries():
    allowed_outside = {"__future__", "dataclasses", "fractions", "typing", "math", "hashlib", "sys", "numpy",
                       "sympy", "flint", "collections", "itertools", "functools", "re", "enum",
                       "importlib"}
    bad = []
    for path in sorted((PACKAGE / "kernel").glob("*.py")):
        for line, name in _imports(path):
            top = name.split(".")[0]
            if top == "certify":
                if not name.startswith("certify.kernel"):
                    bad.append(f"{path.name}:{line} imports {name}")
            elif top not in allowed_outside and not name.startswith("sympy"):
                bad.append(f"{path.name}:{line} imports {name} (not in the kernel's trusted base)")
    assert not bad, "\n".join(bad)


def test_the_kernel_never_imports_the_solvers():
    for path in (PACKAGE / "kernel").glob("*.py"):
        names = {name.split(".")[0] for _, name in _imports(path)}
        assert not names & {"cvxpy", "scs", "clarabel", "scipy"}, path.name


def test_the_kernel_signature_names_real_entry_points():
    import certify.kernel as kernel
    for name in kernel.__all__:
        assert callable(getattr(kernel, name)), name
        assert name in kernel.__doc__, f"{name} is exported but not in the signature (kernel/__init__.py docstring)"
