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

from .errors import InputError
from .rule import Rule, parse_matrix_text, parse_range, parse_vector_text

SLOPES: dict[str, Fraction] = {
    "tanh": Fraction(1), "logistic": Fraction(1, 4), "relu": Fraction(1), "leaky-relu": Fraction(1),
    "softplus": Fraction(1), "linear": Fraction(1),
}


@dataclass(frozen=True)
class Network:
    form: str
    g: Fraction
    activation: str | None
    W0: tuple[tuple[Fraction, ...], ...] | None
    bias: tuple[Fraction, ...] | None = None

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
        return np.array([[float(x) for x in row] for row in self.W0])

    def describe(self) -> str:
        eq = "x' = -x + W phi(x) + u" if self.form == "H" else "x' = -x + phi(W x + u)"
        act = self.activation or "slope-restricted phi"
        return f"{eq}, {act} (phi' in [0, {self.g}]){'' if self.W0 is None else f', n = {self.n}'}"


def _load_array(path: Path, file: str | None, symbol: str, what: str, inline: str) -> np.ndarray:
    """A finite array from a .npy or .csv file named in [network] (floats are exact binary64 numbers)."""
    try:
        if path.suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif path.suffix == ".csv":
            arr = np.loadtxt(path, delimiter=",", ndmin=2 if symbol == "W0" else 1)
        else:
            raise InputError(f"{symbol} file {path.name} has an unknown type", file=file, symbol=symbol,
                             hint=f"use a .npy or .csv file, or an inline {inline}")
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {symbol} from {path}: {exc}", file=file, symbol=symbol,
                         hint="check the path (relative to the rule file) and the format") from None
    arr = np.asarray(arr)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise InputError(f"{symbol} in {path.name} must be a finite non-empty {what}", file=file, symbol=symbol,
                         hint=f"store {'an n x n array' if symbol == 'W0' else 'an array of n numbers'}")
    return arr


def load_matrix(path: Path, file: str | None) -> list[list[Fraction]]:
    arr = _load_array(path, file, "W0", "matrix", "matrix [[...], [...]]")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise InputError(f"W0 in {path.name} must be a finite square matrix, got shape {arr.shape}", file=file,
                         symbol="W0", hint="store an n x n array")
    return [[Fraction(float(x)) for x in row] for row in arr]


def load_vector(path: Path, file: str | None) -> list[Fraction]:
    """A bias vector from .npy or .csv (one row or one column), read exactly."""
    arr = _load_array(path, file, "bias", "vector", "vector [...]")
    if not (arr.ndim == 1 or (arr.ndim == 2 and 1 in arr.shape)):
        raise InputError(f"bias in {path.name} must be a finite vector, got shape {arr.shape}", file=file,
                         symbol="bias", hint="store an array of n numbers")
    return [Fraction(float(x)) for x in arr.reshape(-1)]


def _declared(text: str, rule: Rule, inline, from_file):
    """An inline value ('[...]') read exactly, or a data file named relative to the rule file."""
    if text.lstrip().startswith("["):
        return inline(text)
    base = Path(rule.source).parent if rule.source else Path.cwd()
    return from_file(base / text, rule.source)


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
        rows = _declared(spec["W0"], rule, parse_matrix_text, load_matrix)
        if any(len(r) != len(rows) for r in rows):
            raise InputError("W0 must be square", file=rule.source, symbol="W0", hint="give n rows of n numbers")
        W0 = tuple(tuple(r) for r in rows)
    bias = None
    if "bias" in spec:
        values = _declared(spec["bias"], rule, parse_vector_text, load_vector)
        if W0 is None or len(values) != len(W0):
            raise InputError(f"bias has {len(values)} entries but W0 is "
                             f"{'missing' if W0 is None else f'{len(W0)} x {len(W0)}'}", file=rule.source,
                             symbol="bias", hint="declare W0 and give one bias entry per neuron")
        bias = tuple(values)
    return Network(form, g, activation, W0, bias)
