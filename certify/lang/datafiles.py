"""Safe reading of data files: rule files, certificates, W0 / bias arrays and `balance` inputs.

One loader for every array `certify` reads (.npy, .csv, and .npz for `balance`), so that every command refuses the
same hostile inputs the same way, with an `InputError` that names the file and says how to fix it:

- only regular files are opened: FIFOs, devices and folders are refused from `os.stat` before any open (and the
  opened file is checked again), so nothing waits on a pipe or reads /dev/zero forever;
- a `.npy` header is read and checked before the data: the dtype must be real and numeric (bool, int, uint,
  float16/32/64; complex, longdouble, object, strings, bytes, structured, datetime and timedelta are refused), the
  shape must be what the caller asked for and within `max_n()` per axis, and the file must be long enough to hold
  what the header claims, all before anything is allocated; pickles are never allowed;
- a `.csv` file must be UTF-8 text of real numbers within a size limit (complex text is refused);
- every value must be finite.

The size limit is `max_n()`: MAX_N (20000) per axis unless the environment variable CERTIFY_MAX_N says otherwise.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from pathlib import Path
from typing import Any

from certify.errors import InputError

MAX_N = 20000                 #: largest size of an array axis (n for an n x n W0); CERTIFY_MAX_N overrides it
MAX_N_ENV = "CERTIFY_MAX_N"
MAX_TEXT_BYTES = 1 << 20      #: rule files and certificates: at most 1 MiB of text
MAX_CSV_BYTES = 1 << 30       #: a .csv data file: at most 1 GiB
MAX_NPZ_MEMBERS = 16
_LIFT_HINT = f"arrays larger than {{n}} per axis are refused; set the environment variable {MAX_N_ENV} to a larger n"


def max_n() -> int:
    """The largest axis length accepted in a data file (MAX_N, or the environment variable CERTIFY_MAX_N)."""
    raw = os.environ.get(MAX_N_ENV, "")
    if raw.strip().isdigit() and len(raw.strip()) < 10 and int(raw) > 0:
        return int(raw)
    return MAX_N


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: str | Path, what: str, *, file: str | None = None, line: int | None = None,
                  symbol: str | None = None) -> os.stat_result:
    """The stat of `path` when it is a regular file (symlinks followed); InputError otherwise. Nothing is opened."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"cannot read {what} {path}: no such file", file=file or str(path), line=line, symbol=symbol,
                         hint="check the path") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{what} {path}: cannot read it: {exc}", file=file or str(path), line=line, symbol=symbol,
                         hint="check the path and its permissions") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{what} {path} is {_kind_of(st.st_mode)}, not a regular file", file=file or str(path),
                         line=line, symbol=symbol, hint="name a regular file (FIFOs, devices and folders are refused)")
    return st


def _open_regular(path: str | Path, what: str, **where: Any):
    """A binary file object for a regular file: checked by stat before opening, and by fstat after (the name could
    have been swapped for a FIFO in between; O_NONBLOCK keeps that open from waiting)."""
    check_regular(path, what, **where)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot open it: {exc}", file=where.get("file") or str(path),
                         line=where.get("line"), symbol=where.get("symbol"), hint="check its permissions") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise InputError(f"{what} {path} is {_kind_of(st.st_mode)}, not a regular file",
                         file=where.get("file") or str(path), line=where.get("line"), symbol=where.get("symbol"),
                         hint="name a regular file")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb"), st


def read_bytes(path: str | Path, what: str, limit: int, **where: Any) -> bytes:
    """The bytes of a regular file of at most `limit` bytes."""
    fh, st = _open_regular(path, what, **where)
    with fh:
        if st.st_size > limit:
            raise InputError(f"{what} {path} is {st.st_size} bytes; the limit is {limit}",
                             file=where.get("file") or str(path), line=where.get("line"), symbol=where.get("symbol"),
                             hint="a file this large is not one certify reads; check the path")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"{what} {path} is over {limit} bytes", file=where.get("file") or str(path),
                         line=where.get("line"), hint="check the path")
    return data


def read_text(path: str | Path, what: str, limit: int = MAX_TEXT_BYTES, **where: Any) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes (rule files, certificates)."""
    data = read_bytes(path, what, limit, **where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path} is not UTF-8 text: {exc}", file=where.get("file") or str(path),
                         line=where.get("line"), hint="save the file as UTF-8") from None


def file_sha256(path: str | Path, what: str = "data file", **where: Any) -> str:
    """SHA-256 of a regular file; '' when it does not exist; InputError when it is not a regular file."""
    if not os.path.lexists(path):
        return ""
    try:
        os.stat(path)
    except OSError:
        return ""          # a dangling symlink: the file does not exist
    fh, _ = _open_regular(path, what, **where)
    digest = hashlib.sha256()
    with fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- arrays ----------------------------------------------------------------------------------------------------

def _dtype_problem(dtype: np.dtype) -> str | None:
    """Why an array of this dtype is refused, or None for a real numeric dtype read without loss."""
    if dtype.fields is not None or dtype.subdtype is not None or dtype.kind == "V":
        return f"it holds a structured dtype ({dtype}); only plain numeric arrays are read"
    if dtype.kind == "c":
        return (f"it holds complex values (dtype {dtype}); complex values are not allowed (dropping the imaginary "
                "part would change the network)")
    if dtype.kind == "f" and dtype.itemsize > 8:
        return (f"it holds extended-precision floats (dtype {dtype}); they would be rounded to binary64, so they "
                "are not allowed")
    if dtype.kind in "biuf":
        return None
    names = {"O": "Python objects", "U": "text strings", "S": "bytes", "M": "datetimes", "m": "timedeltas"}
    return f"it holds {names.get(dtype.kind, 'non-numeric values')} (dtype {dtype}); only real numbers are read"


def _shape_problem(shape: tuple[int, ...], ndims: tuple[int, ...], limit: int | None = None) -> str | None:
    if len(shape) not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        return f"its shape {shape} is not {want}"
    if any(s < 0 for s in shape):
        return f"its header claims a negative shape {shape}"
    if any(s == 0 for s in shape):
        return f"it is empty (shape {shape})"
    limit = limit or max_n()
    if any(s > limit for s in shape):
        return f"its shape {shape} is over the size limit of {limit} per axis"
    return None


def _hint_for(problem: str) -> str:
    if "size limit" in problem:
        return _LIFT_HINT.format(n=max_n())
    if "complex" in problem:
        return "store the real matrix (e.g. np.save(path, W.real) if the imaginary part is truly zero)"
    if "extended-precision" in problem:
        return "store float64 values (np.save(path, W.astype(np.float64))) and check nothing is lost"
    return "store a real numeric array, e.g. np.save(path, np.asarray(W, dtype=np.float64))"


def _read_npy_header(fh, what: str, path: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran_order, dtype, data offset) of the .npy stream at fh's position; ValueError with a reason."""
    # deferred: NumPy is loaded only when this runs
    from numpy.lib import format as npy_format
    start = fh.tell()
    head = fh.read(6)
    if not head:
        raise ValueError("the file is empty")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        raise ValueError("it is a zip archive (.npz), not a .npy array")
    if not head.startswith(b"\x93NUMPY"):
        raise ValueError("it is not a .npy file (no NumPy magic string)")
    fh.seek(start)
    try:
        version = npy_format.read_magic(fh)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ValueError(f"unknown .npy format version {version}")
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(fh)
        else:
            # deferred: NumPy is loaded only when this runs
            from numpy.lib import _format_impl
            shape, fortran, dtype = _format_impl._read_array_header(fh, version)
    except Exception as exc:   # the header is untrusted text: numpy's reader raises many kinds (TokenError too)
        raise ValueError(f"its .npy header cannot be read ({type(exc).__name__}: {str(exc)[:200]})") from None
    return tuple(int(s) for s in shape), bool(fortran), dtype, fh.tell() - start


def _check_header(shape, dtype, ndims, available: int | None, limit: int | None = None) -> None:
    # deferred: NumPy is loaded only when this runs
    import numpy as np
    problem = _dtype_problem(dtype) or _shape_problem(shape, ndims, limit)
    if problem:
        raise ValueError(problem)
    if available is not None:
        need = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if available < need:
            raise ValueError(f"it is truncated: the header announces shape {shape} ({need} bytes of data) but only "
                             f"{available} bytes follow")


def _finish(arr: np.ndarray, ndims, limit: int | None = None) -> np.ndarray:
    # deferred: NumPy is loaded only when this runs
    import numpy as np
    problem = _dtype_problem(arr.dtype) or _shape_problem(arr.shape, ndims, limit)
    if problem:
        raise ValueError(problem)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError("it holds NaN or infinite values; every value must be finite")
    return arr


def _load_npy(fh, size: int, what: str, path: str, ndims) -> np.ndarray:
    # deferred: NumPy is loaded only when this runs
    from numpy.lib import format as npy_format
    # deferred: NumPy is loaded only when this runs
    import numpy as np
    shape, _, dtype, offset = _read_npy_header(fh, what, path)
    _check_header(shape, dtype, ndims, size - offset)
    fh.seek(0)
    arr = npy_format.read_array(fh, allow_pickle=False)
    return _finish(np.asarray(arr), ndims)


_CSV_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)   # not '١' or '１' (float() reads them)
_CSV_COMPLEX = re.compile(r"[0-9.)]\s*[jJ]\s*\)?$|^\(?[+-]?[jJ]$")


def _load_csv(data: bytes, ndims) -> np.ndarray:
    # deferred: NumPy is loaded only when this runs
    import numpy as np
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"it is not UTF-8 text ({exc})") from None
    rows = []
    limit = max_n()
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        tokens = [t.strip() for t in body.split(",")]
        if len(tokens) > limit or len(rows) >= limit:
            raise ValueError(f"it has more than {limit} {'columns' if len(tokens) > limit else 'rows'}, over the "
                             "size limit")
        for col, tok in enumerate(tokens, start=1):
            if not _CSV_NUMBER.fullmatch(tok):
                if _CSV_COMPLEX.search(tok):
                    raise ValueError(f"line {number}, column {col}: {tok!r} is a complex number; complex values "
                                     "are not allowed")
                if tok.lower().lstrip("+-") in ("nan", "inf", "infinity"):
                    raise ValueError(f"line {number}, column {col}: {tok!r}; every value must be finite")
                raise ValueError(f"line {number}, column {col}: {tok[:40]!r} is not a number")
        if rows and len(tokens) != len(rows[0]):
            raise ValueError(f"line {number} has {len(tokens)} values but the first row has {len(rows[0])}")
        rows.append(tokens)
    if not rows:
        raise ValueError("it is empty (no numbers)")
    arr = np.array([[float(t) for t in r] for r in rows], dtype=np.float64)
    if 1 in ndims and 2 not in ndims:
        if 1 not in arr.shape:
            raise ValueError(f"its shape {arr.shape} is not one row or one column")
        arr = arr.reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise ValueError("it holds numbers too large for binary64 (they would become infinite); every value must be "
                         "finite")
    return _finish(arr, ndims)


def _load_npz(fh, what: str, path: str, ndims, text_members: tuple[str, ...] = (),
              limit: int | None = None) -> dict[str, np.ndarray]:
    # deferred: NumPy is loaded only when this runs
    from numpy.lib import format as npy_format
    # deferred: NumPy is loaded only when this runs
    import numpy as np
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ValueError(f"it is not a valid .npz archive ({exc})") from None
    out = {}
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_NPZ_MEMBERS:
            raise ValueError(f"it holds {len(infos)} arrays; at most {MAX_NPZ_MEMBERS} are read")
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise ValueError(f"its member {info.filename!r} is not a .npy array")
            key = info.filename[:-4]
            try:
                with zf.open(info) as member:
                    shape, _, dtype, offset = _read_npy_header(member, what, path)
                    if key in text_members:      # a short label such as scipy.sparse's b'csr'
                        if dtype.kind != "S" or shape != () or dtype.itemsize > 16:
                            raise ValueError(f"array {key!r}: expected a short byte string, got {dtype} {shape}")
                        with zf.open(info) as label:
                            out[key] = npy_format.read_array(label, allow_pickle=False)
                        continue
                    try:
                        _check_header(shape, dtype, ndims, info.file_size - offset, limit)
                    except ValueError as exc:
                        raise ValueError(f"array {key!r}: {exc}") from None
                with zf.open(info) as member:
                    arr = npy_format.read_array(member, allow_pickle=False)
            except ValueError as exc:
                raise ValueError(str(exc) if str(exc).startswith("array ") else f"array {key!r}: {exc}") from None
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                raise ValueError(f"array {key!r} cannot be read ({exc})") from None
            if key in text_members:
                continue
            try:
                out[key] = _finish(np.asarray(arr), ndims, limit)
            except ValueError as exc:
                raise ValueError(f"array {key!r}: {exc}") from None
    if not out:
        raise ValueError("it holds no arrays")
    return out


def load_array(path: str | Path, what: str, *, ndims: tuple[int, ...] = (2,), npz: bool = False,
               file: str | None = None, line: int | None = None, symbol: str | None = None,
               text_members: tuple[str, ...] = (), limit: int | None = None):
    """A finite real array (or, with npz=True and a .npz file, a dict of them) from a .npy / .csv (/ .npz) file.

    `what` names the array for messages ("W0", "--bias"); `ndims` are the accepted numbers of axes; `file` and `line`
    place the error where the file was named (a rule file) when that is not the data file itself. Integer and bool
    arrays keep their dtype (read them with `.item()` for exact values); floats are float16/32/64."""
    path = str(path)
    ext = os.path.splitext(path)[1].lower()
    known = (".npy", ".csv", ".txt") + ((".npz",) if npz else ())
    where = {"file": file, "line": line, "symbol": symbol}

    def fail(reason: str, hint: str | None = None) -> InputError:
        named = f"{what} file {path}" if file else what   # the file is in the location when it names itself
        return InputError(f"{named}: {reason}", file=file or path, line=line, symbol=symbol,
                          hint=hint or _hint_for(reason))

    if ext not in known:
        raise fail(f"unsupported file type {ext or '(none)'!r}",
                   hint=f"use {', '.join(known)}" + (" or an inline array in the rule file" if file else ""))
    fh, st = _open_regular(path, f"{what} file", **where)
    with fh:
        try:
            if ext == ".npy":
                return _load_npy(fh, st.st_size, what, path, ndims)
            if ext == ".npz":
                return _load_npz(fh, what, path, ndims, text_members, limit)
            if st.st_size > MAX_CSV_BYTES:
                raise ValueError(f"it is {st.st_size} bytes, over the limit of {MAX_CSV_BYTES} for text data")
            return _load_csv(fh.read(MAX_CSV_BYTES + 1), ndims)
        except InputError:
            raise
        except (ValueError, EOFError, OSError, MemoryError, OverflowError, TypeError) as exc:
            raise fail(str(exc)) from None


def check_array(arr: np.ndarray, shape: tuple[int, ...], ndims: tuple[int, ...]) -> str | None:
    """Why an in-memory array (given through the Python API) is refused, or None: the same dtype, shape, size and
    finiteness rules as a data file (`shape` is the logical shape, e.g. a sparse matrix's)."""
    # deferred: NumPy is loaded only when this runs
    import numpy as np
    problem = _dtype_problem(arr.dtype) or _shape_problem(tuple(shape), ndims)
    if problem is None and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        problem = "it holds NaN or infinite values; every value must be finite"
    return problem


MAX_SPARSE_N = 10_000_000    #: a sparse W0 (.npz) may have up to this many rows; its size is its nonzeros
MAX_NNZ = 50_000_000         #: and at most this many stored entries (about 0.6 GB of values and indices)
SPARSE_MEMBERS = ("format", "shape", "data", "indices", "indptr")   # what scipy.sparse.save_npz writes (CSR/CSC)


def load_sparse(path: str | Path, what: str, *, file: str | None = None, line: int | None = None,
                symbol: str | None = None):
    """A square scipy.sparse CSR matrix from a .npz file written by scipy.sparse.save_npz (CSR or CSC), read with the
    checks of `load_array` (no pickles, real finite values, sizes within `max_n()`) and a structural check of the
    index arrays before scipy sees them."""
    # deferred: SciPy is loaded only when this runs
    import scipy.sparse as sps
    where = {"file": file, "line": line, "symbol": symbol}

    def fail(reason: str, hint: str = "write it with scipy.sparse.save_npz(path, W.tocsr())") -> InputError:
        return InputError(f"{what} file {path}: {reason}", file=file or str(path), line=line, symbol=symbol, hint=hint)

    # deferred: NumPy is loaded only when this runs
    import numpy as np
    arrays = load_array(path, what, ndims=(1,), npz=True, text_members=("format",), limit=MAX_NNZ + 1, **where)
    missing = [k for k in SPARSE_MEMBERS if k not in arrays]
    if missing:
        raise fail(f"it is not a scipy.sparse .npz file (missing {', '.join(missing)})")
    fmt = arrays["format"]
    fmt = fmt.item() if fmt.ndim == 0 else None
    fmt = fmt.decode("ascii", "replace") if isinstance(fmt, bytes) else fmt
    if fmt not in ("csr", "csc"):
        raise fail(f"its sparse format is {fmt!r}; csr and csc are read")
    shape = tuple(int(x) for x in arrays["shape"].reshape(-1).tolist())
    data, indices, indptr = arrays["data"], arrays["indices"], arrays["indptr"]
    if len(shape) != 2 or shape[0] != shape[1]:
        raise fail(f"its shape {shape} is not square")
    n = shape[0]
    problem = _shape_problem(shape, (2,), MAX_SPARSE_N) or _dtype_problem(data.dtype)
    if problem:
        raise fail(problem, _hint_for(problem))
    if data.dtype.kind == "f" and not np.all(np.isfinite(data)):
        raise fail("it holds NaN or infinite values; every value must be finite")
    if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu" or data.ndim != 1 or indices.ndim != 1 \
            or indptr.ndim != 1:
        raise fail("its index arrays are not integer vectors")
    if len(indptr) != n + 1 or len(indices) != len(data) or (len(indptr) and (indptr[0] != 0 or indptr[-1] != len(data)
                                                                             or np.any(np.diff(indptr) < 0))):
        raise fail("its index arrays are inconsistent (indptr must run from 0 to nnz without decreasing)")
    if len(indices) and (indices.min() < 0 or indices.max() >= n):
        raise fail(f"it has column indices outside 0..{n - 1}")
    cls = sps.csr_matrix if fmt == "csr" else sps.csc_matrix
    return cls((data, indices, indptr), shape=shape)


def exact_values(arr: np.ndarray) -> list:
    """The array's entries as exact Python numbers (int for bool/int dtypes, float for floats), nested like the
    array: every binary64 float and every integer is kept exactly (int64 values above 2**53 are not rounded)."""
    return arr.tolist()
