"""Where the files named inside an input may be: a rule's data files stay in the rule file's folder tree, and the
files a certificate names stay in the project it belongs to (symlinks resolved; absolute paths and ../ escapes
refused), unless the user passes --allow-outside-paths.
"""

from __future__ import annotations

import contextvars
import os
from pathlib import Path
from typing import Iterable, Sequence

from certify.errors import InputError

OPTION = "--allow-outside-paths"
_allow_outside: contextvars.ContextVar[bool] = contextvars.ContextVar("allow_outside_paths", default=False)


def allow_outside(value: bool) -> contextvars.Token:
    """Allow (or forbid, the default) files outside the folder of the file that names them; returns the token that
    `reset` takes."""
    return _allow_outside.set(bool(value))


def reset(token: contextvars.Token) -> None:
    _allow_outside.reset(token)


def outside_allowed() -> bool:
    return _allow_outside.get()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def confined(name: str, base: str | Path, what: str, *, roots: Iterable[str | Path] | None = None,
             file: str | None = None, line: int | None = None, column: int | None = None,
             symbol: str | None = None) -> Path:
    """The path of `name` (relative to the folder `base`), refused unless it resolves (symlinks followed) inside
    one of `roots` (default: `base`) or outside paths are allowed. The path returned is `base / name` unresolved,
    so that messages show what the user wrote."""
    path = Path(base) / name
    if outside_allowed():
        return path
    roots = [Path(base)] if roots is None else [Path(r) for r in roots]
    try:
        real = Path(os.path.realpath(path))
        real_roots = [Path(os.path.realpath(r)) for r in roots]
    except (OSError, ValueError) as exc:
        raise InputError(f"{what} {name!r} cannot be resolved: {exc}", file=file, line=line, column=column,
                         symbol=symbol, hint="check the path") from None
    if any(_inside(real, r) for r in real_roots):
        return path
    why = ("it is an absolute path" if Path(name).is_absolute() else
           "it climbs out with '..'" if ".." in Path(name).parts else f"a symbolic link leads to {real}")
    folders = " or ".join(str(r) for r in roots)
    raise InputError(f"{what} {name!r} is outside {folders} ({why})", file=file, line=line, column=column,
                     symbol=symbol,
                     hint=f"move the file into {folders} and name it relative to it, or pass {OPTION} if you "
                          "trust this input")


def collect_files(paths: Sequence[str], pattern: str, what: str, hint: str) -> list[Path]:
    """Files named on the command line, directories expanded to their `pattern` files (sorted)."""
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(path.glob(pattern))
            if not found:
                raise InputError(f"no {what} ({pattern}) in directory {p}", file=p, hint=hint)
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"no such file or directory: {p}", file=p, hint="check the path")
    return files


def rule_files(paths: Sequence[str]) -> list[Path]:
    """The rule files (*.toml) named on the command line or held by the folders named there."""
    return collect_files(paths, "*.toml", "rule files", "pass rule files or a directory that holds them")
