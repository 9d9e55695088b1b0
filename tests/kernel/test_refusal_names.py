"""Every kernel refusal names the check that refused: each `raise KernelError(...)` in certify/kernel/ starts its
message with `name: ` (read from the source, so a new refusal without a name fails here, not in a user's report)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

KERNEL = Path(__file__).resolve().parents[2] / "certify" / "kernel"
NAMED = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*: ")


def _message_start(call: ast.Call) -> str | None:
    """The literal start of the first argument (a string, an f-string's first text, or a concatenation's left end)."""
    if not call.args:
        return None
    node = call.args[0]
    while isinstance(node, ast.BinOp):
        node = node.left
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return node.values[0].value
    return None


def test_every_kernel_refusal_starts_with_its_check_name():
    unnamed = []
    for path in sorted(KERNEL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                    getattr(node.exc.func, "id", None) == "KernelError":
                start = _message_start(node.exc)
                if start is None or not NAMED.match(start):
                    unnamed.append(f"{path.name}:{node.lineno}: {start!r}")
    assert not unnamed, unnamed
