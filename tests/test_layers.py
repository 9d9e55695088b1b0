"""The trusted kernel imports nothing of certify outside certify/kernel/ (a small AST check of every import,
at module level and inside functions), so what is trusted is exactly what is in that folder."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "certify"


def _without_type_checking_blocks(tree: ast.Module) -> ast.Module:
    """The module without the bodies of `if TYPE_CHECKING:` (imports for annotations only, never executed: not a
    dependency, so not part of an import cycle). The kernel's checks still read every import."""
    class Strip(ast.NodeTransformer):
        def visit_If(self, node: ast.If):
            test = node.test
            if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
                    (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
                return node.orelse or None
            return self.generic_visit(node)
    return Strip().visit(tree)


def _imports(path: Path, runtime_only: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a module of the package (`runtime_only`: not those under
    `if TYPE_CHECKING:`)."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1])
    out = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(_without_type_checking_blocks(tree) if runtime_only else tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
            out += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]   # `from . import report`
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


def _package_graph() -> dict[str, set[str]]:
    """module -> the certify modules it imports anywhere (module level or deferred inside a function)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if path.name == "__init__.py" else rel.parts)
        graph[name] = set()
        for _, imported in _imports(path, runtime_only=True):
            graph[name].add(imported)
    modules = set(graph)
    for name, targets in graph.items():
        # `from . import report` names the package; keep the module when it exists. The root package is the public
        # facade (its __init__ loads Rule and check_rule lazily) and `from . import __version__` is not a cycle.
        graph[name] = {t for t in targets if t in modules and t != name and t != "certify"}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_even_through_deferred_imports():
    assert _cycles(_package_graph()) == []


def test_type_checking_imports_are_not_dependencies():
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from certify.check import RuleReport\n"
              "else:\n    import json\nimport certify.verdict\n")
    tree = _without_type_checking_blocks(ast.parse(source))
    names = {n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in ast.walk(tree)
             if isinstance(n, (ast.Import, ast.ImportFrom))}
    assert names == {"typing", "json", "certify.verdict"}


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_output_never_imports_the_command_line():
    graph = _package_graph()
    outputs = [m for m in graph if m == "certify.output" or m.startswith("certify.output.")]
    assert "certify.output.certificate.recheck" in outputs
    for output in outputs:
        assert not any(m == "certify.cli" or m.startswith("certify.cli.") for m in graph[output]), output


def _deferred_imports_without_reason() -> list[str]:
    """Imports inside a function with no comment saying why: on the import's line, or on the comment line that opens
    the block of imports it belongs to (a group of deferred imports shares one reason)."""
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for sub in ast.walk(node):
                if not isinstance(sub, (ast.Import, ast.ImportFrom)):
                    continue
                i = sub.lineno - 1
                if "#" in lines[i]:
                    continue
                j = i - 1
                while j >= 0 and lines[j].strip().startswith(("import ", "from ")) and "#" not in lines[j]:
                    j -= 1
                if j < 0 or not lines[j].strip().startswith("#"):
                    missing.append(f"{path.relative_to(PACKAGE.parent)}:{sub.lineno}: {lines[i].strip()}")
    return missing


def test_every_deferred_import_says_why():
    """An import inside a function is a decision (startup time, an optional library, an import cycle); the reason is
    written next to it, so that nobody moves it to the top and breaks what it protected."""
    missing = _deferred_imports_without_reason()
    assert not missing, f"{len(missing)} deferred imports without a reason, e.g. {missing[:5]}"
