"""The network a rule acts in: form, activation slope bound, initial weights (from [network]).

    form H:  x' = -x + W phi(x) + u        form FR: x' = -x + phi(W x + u)

Activations and their slope bounds g (phi' in [0, g]); `linear` has phi' = 1 exactly.
W0 is an inline matrix ("[[0, 1/2], [1, 0]]"), or a .npy / .csv file named relative to the rule file.
`bias` (optional) is the constant input u of the network, inline ("[1, 0, -1/2]") or a .npy / .csv file; it does
not change contraction, but it does change the equilibria used to refute it. Default: u = 0.
Floats are read exactly (every binary64 number is a rational).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from certify.errors import InputError
from certify.lang.matrix import ExactMatrix
from certify.lang.rule import ACTIVATION_SLOPES, Rule, parse_matrix_text, parse_range, parse_vector_text

SLOPES: dict[str, Fraction] = ACTIVATION_SLOPES


@dataclass(frozen=True)
class Network:
    form: str
    g: Fraction
    activation: str | None
    W0: ExactMatrix | None          # exact; rows of Fractions on demand, a binary64 array when it is one
    bias: tuple[Fraction, ...] | None = None

    def __post_init__(self) -> None:
        # rows of numbers (code and tests that build a Network by hand) or an array become an ExactMatrix
        if self.W0 is not None and not isinstance(self.W0, ExactMatrix):
            W0 = (ExactMatrix.from_array(self.W0) if isinstance(self.W0, np.ndarray)
                  else ExactMatrix.from_rows(self.W0))
            object.__setattr__(self, "W0", W0)

    def bias_exact(self) -> list[Fraction]:
        """The constant input u (zero when none was declared); needs W0."""
        return list(self.bias) if self.bias is not None else [Fraction(0)] * (self.n or 0)

    @property
    def linear(self) -> bool:
        return self.activation == "linear"

    @property
    def n(self) -> int | None:
        return None if self.W0 is None else len(self.W0)

    def W0_float(self) -> np.ndarray:
        """A float64 copy of W0 for numerical search (exact when every entry is binary64)."""
        return self.W0.float_array()

    def W0_kernel(self):
        """W0 as the kernel's checks take it: the exact float64 array when every entry is binary64, else rows."""
        return self.W0.kernel_input()

    def describe(self) -> str:
        eq = "x' = -x + W phi(x) + u" if self.form == "H" else "x' = -x + phi(W x + u)"
        act = self.activation or "slope-restricted phi"
        return f"{eq}, {act} (phi' in [0, {self.g}]){'' if self.W0 is None else f', n = {self.n}'}"


def _array(path: Path, file: str | None, symbol: str, line: int | None) -> np.ndarray:
    """A W0 (2-D, square) or bias (1-D, or one row or column) array file named in [network], checked."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.datafiles import load_array
    arr = load_array(path, symbol, ndims=(2,) if symbol == "W0" else (1, 2), file=file, line=line, symbol=symbol)
    if symbol == "W0" and arr.shape[0] != arr.shape[1]:
        raise InputError(f"W0 file {path}: W0 must be a square matrix, got shape {arr.shape}", file=file, line=line,
                         symbol="W0", hint="store an n x n array")
    if symbol == "bias":
        if arr.ndim == 2 and 1 not in arr.shape:
            raise InputError(f"bias file {path}: bias must be a vector, got shape {arr.shape}", file=file, line=line,
                             symbol="bias", hint="store an array of n numbers (one row or one column)")
        arr = arr.reshape(-1)
    return arr


def load_matrix(path: Path, file: str | None, line: int | None = None) -> ExactMatrix:
    """A square W0 from .npy, .csv or (sparse) .npz, read exactly: floats are binary64 rationals and stay a float64
    array, integers are not rounded."""
    if str(path).lower().endswith(".npz"):
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.lang.datafiles import load_sparse
        try:
            return ExactMatrix.from_sparse(load_sparse(path, "W0", file=file, line=line, symbol="W0"))
        except ValueError as exc:
            raise InputError(f"W0 file {path}: {exc}", file=file or str(path), line=line, symbol="W0",
                             hint="store each entry once: scipy.sparse.save_npz(path, W.tocsr()) after "
                                  "W.sum_duplicates()") from None
    return ExactMatrix.from_array(_array(path, file, "W0", line))


def load_vector(path: Path, file: str | None, line: int | None = None) -> list[Fraction]:
    """A bias vector from .npy or .csv (one row or one column), read exactly."""
    return [Fraction(x) for x in _array(path, file, "bias", line).tolist()]   # Python ints and floats: exact


def _position(rule: Rule, key: str) -> tuple[int | None, int | None]:
    """Line and column of `key` under [network] in the rule file (None when it cannot be read)."""
    if not rule.source:
        return None, None
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.datafiles import read_text
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.rule import _Locator
    try:
        return _Locator(read_text(rule.source, "rule file"), rule.source).position("network", key)
    except InputError:
        return None, None


def _declared(text: str, rule: Rule, inline, from_file, key: str):
    """An inline value ('[...]') read exactly, or a data file named relative to the rule file (and inside its
    folder tree unless --allow-outside-paths)."""
    if not isinstance(text, str):
        return text          # an array given through the Python API, read by the caller
    if text.lstrip().startswith("["):
        return inline(text)
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.paths import confined
    base = Path(rule.source).parent if rule.source else Path.cwd()
    line, column = _position(rule, key)
    path = confined(text, base, f"the {key} file", file=rule.source, line=line, column=column, symbol=key)
    return from_file(path, rule.source, line)


def network_of(rule: Rule) -> Network | None:
    spec = dict(rule.network)
    if not spec:
        return None
    form = spec.get("form", "H")
    activation = spec.get("activation")
    if "slope" in spec:
        g = parse_range(spec["slope"]).hi
        g = Fraction(g)
    elif activation is not None:
        g = SLOPES[activation]
    else:
        g = Fraction(1)
    W0 = None
    if "W0" in spec:
        W0 = _declared(spec["W0"], rule, parse_matrix_text, load_matrix, "W0")
        if not isinstance(W0, ExactMatrix):
            rows = W0
            if any(len(r) != len(rows) for r in rows):
                line, column = _position(rule, "W0")
                raise InputError(f"W0 must be square: it has {len(rows)} rows of lengths "
                                 f"{sorted({len(r) for r in rows})}", file=rule.source, line=line, column=column,
                                 symbol="W0", hint="give n rows of n numbers")
            W0 = ExactMatrix.from_rows(rows)
    bias = None
    if "bias" in spec:
        values = _declared(spec["bias"], rule, parse_vector_text, load_vector, "bias")
        if W0 is None or len(values) != len(W0):
            line, column = _position(rule, "bias")
            raise InputError(f"bias has {len(values)} entries but W0 is "
                             f"{'missing' if W0 is None else f'{len(W0)} x {len(W0)}'}", file=rule.source,
                             line=line, column=column,
                             symbol="bias", hint="declare W0 and give one bias entry per neuron")
        bias = tuple(values)
    return Network(form, g, activation, W0, bias)
