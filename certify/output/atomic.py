"""Output files written whole or not at all, and output paths checked before any work is done.

`write_text` writes a temporary file in the target's folder and renames it over the target (`os.replace`), so a crash
or Ctrl-C leaves either the old file or the new one, never half a file. `output_folder` and `output_file` check an
`--out DIR` / `--junit-xml FILE` argument up front: a file where a folder is wanted, a folder where a file is wanted
or a folder that cannot be created or written is an `InputError` (exit 2), not a traceback after minutes of work.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from certify.errors import InputError


def write_text(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically: a temporary file next to it, then os.replace."""
    write_bytes_with(path, lambda fh: fh.write(text.encode("utf-8")))


def write_bytes_with(path: str | Path, writer) -> None:
    """Atomically write `path` through `writer(binary file object)` (e.g. np.savez): a temporary file in the same
    folder, flushed to disk, then renamed over the target; on any failure the temporary file is removed."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def output_folder(name: str | Path, option: str = "--out", create: bool = False) -> Path:
    """The folder `name` (created with create=True; otherwise only checked, and made by the first write); InputError
    when it is a file, or it or the folder it would be made in is not a writable folder."""
    path = Path(name)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {name} is a file, not a folder", file=str(name), symbol=option,
                         hint=f"name a folder for {option} (it is created when missing)")
    existing = Path(os.path.abspath(path))
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{option} {name}: cannot create the folder, {existing} is a file", file=str(name),
                         symbol=option, hint="name a folder you can write to")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"{option} {name}: cannot create the folder or write into it ({existing} is not writable)",
                         file=str(name), symbol=option, hint="name a folder you can write to")
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{option} {name}: cannot create the folder ({exc.strerror or exc})", file=str(name),
                             symbol=option, hint="name a folder you can write to") from None
    return path


def output_file(name: str | Path, option: str) -> Path:
    """The file `name` to be written; InputError when it is a folder or its folder cannot be created or written."""
    path = Path(name)
    if path.is_dir() or str(name).endswith(os.sep):
        raise InputError(f"{option} {name} is a folder, not a file", file=str(name), symbol=option,
                         hint=f"name a file, e.g. {option} {Path(name) / 'report.xml'}")
    if path.exists() and not path.is_file():
        raise InputError(f"{option} {name} is not a regular file", file=str(name), symbol=option,
                         hint="name a regular file")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise InputError(f"{option} {name}: cannot create its folder, {parent} is a file", file=str(name),
                         symbol=option, hint="name a file in a folder you can write to")
    output_folder(parent, option, create=True)
    return path
