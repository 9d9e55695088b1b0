"""The tables of a rule file and their validation: the names of the tables and keys, [matrices] properties,
[network] (form, activation, slope, inline W0 and bias), [claim] and [expect] names, [balancing] and [energy],
and the checks that need the whole file (a real dW, a network for a 'contracting' claim)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping

import numpy as np
import sympy as sp

from certify.kernel.activations import NETWORK_ACTIVATIONS, NETWORK_ALIASES, NETWORK_SLOPES
from certify.errors import InputError
from certify.kernel.objects import BOUNDS, Assumptions
from certify.kernel.reality import NotReal, require_real
from certify.lang.locate import _Locator, _suggest
from certify.lang.parse import check_name
from certify.lang.ranges import Range, _fmt, _number, matrix_text, parse_matrix_text, parse_range, \
    parse_vector_text, vector_text

MATRIX_PROPERTIES = ("any", "symmetric", "psd", "nsd", "skew", "diagonal")
VERDICT_NAMES = ("certified", "refuted", "inconclusive")
CLAIM_BOUNDS = BOUNDS + ("contracting",)
NETWORK_KEYS = ("form", "activation", "slope", "W0", "input", "bias")  # see certify/lang/network.py

BALANCING_KEYS = ("p", "alpha", "tau", "signal", "activation")   # see certify/search/laws.py
ENERGY_KEYS = ("lagrangian", "time_constants", "layers")
LAW_NAMES = {
    "balancing": ("lax-flow", "spectrum", "diagonal", "cycle-products", "sign-pattern", "cost-descent", "io-map"),
    "energy": ("descent", "strict-lyapunov"),
}
BALANCING_ACTIVATIONS = ("relu", "leaky-relu", "linear", "tanh", "logistic")
LAGRANGIAN_NAMES = ("relu", "logcosh", "softplus", "quadratic")
# the gradient of each Lagrangian, i.e. the activation of the network it belongs to
LAGRANGIAN_ACTIVATION = {"relu": "relu", "logcosh": "tanh", "softplus": "logistic", "quadratic": "linear"}

TABLES = {
    "rule": ("name", "summary", "reference", "dW"),
    "parameters": None,   # free keys: parameter names
    "activity": None,     # free keys: vector names
    "matrices": None,     # free keys: matrix names
    "network": NETWORK_KEYS,
    "claim": ("measure", "bound"),
    "expect": None,       # free keys: measures -> {bound: verdict}, or balancing/energy -> {law: verdict}
    "balancing": BALANCING_KEYS,
    "energy": ENERGY_KEYS,
}
MAX_NAMES = 100    # names declared in one of [parameters], [activity], [matrices]


def _require_real_flow(expr: Any, parameters: list, loc: "_Locator") -> None:
    """dW must be real for every declared parameter value: sqrt(g) with g ranging below 0 is imaginary there."""
    env = Assumptions({k: r.interval for k, r in parameters}, {}, {}).symbol_env()
    try:
        require_real(expr, env, "dW")
    except NotReal as err:
        node = err.node
        base = node.args[0] if isinstance(node, sp.Pow) else node
        hint = (f"declare the range of {base} so that it stays >= 0 (e.g. {base} = \">= 0\"), or rewrite dW "
                "without the root" if isinstance(node, sp.Pow) and isinstance(base, sp.Symbol)
                else "rewrite dW with real operations only (see docs/rules.md)")
        raise loc.error(f"dW is not real for every declared parameter value: {err}".replace("require_real: ", ""),
                        "rule", "dW", symbol=str(base), hint=hint) from None


def _contracting_needs_network(claim, expect: list, network: Mapping[str, str], loc: "_Locator") -> None:
    """A stated or documented 'contracting' claim is about the network of [network] from its W0: without them
    it cannot be decided, which is an error at the line that states the claim (not later, where no line is known)."""
    where = [("claim", "bound")] if claim is not None and claim[1] == "contracting" else []
    where += [("expect", measure) for measure, bound, _ in expect if bound == "contracting"]
    if not where or "W0" in network:
        return
    table, key = where[0]
    if not network:
        raise loc.error("claim 'contracting' needs a [network] table", table, key, symbol="network",
                        hint='add [network] with form = "H" or "FR", an activation and W0 = [[...]]')
    raise loc.error("claim 'contracting' needs numeric initial weights W0 in [network]", table, key, symbol="W0",
                    hint='add W0 = [[0, 1], [1, 0]] or W0 = "weights.npy" under [network]')


def _law_expectations(section: str, table: Any, loc: "_Locator", data: Mapping[str, Any]) -> list:
    if section not in data:
        raise loc.error(f"[expect.{section}] without a [{section}] table", "expect", section, symbol=section,
                        hint=f"declare [{section}] (see docs/laws.md) or remove [expect.{section}]")
    if not isinstance(table, Mapping):
        raise loc.error(f"[expect.{section}] must be a table of law = verdict", "expect", section, symbol=section,
                        hint=f'write  [expect.{section}]  then  {LAW_NAMES[section][0]} = "certified"')
    out = []
    for law, verdict in table.items():
        if law not in LAW_NAMES[section] or verdict not in VERDICT_NAMES:
            raise loc.error(f"bad expectation {law} = {verdict!r} in [expect.{section}]", "expect", law,
                            symbol=str(law), hint=_suggest(str(law), LAW_NAMES[section])
                            or f"laws: {', '.join(LAW_NAMES[section])}; verdicts: {', '.join(VERDICT_NAMES)}")
        out.append((section, law, verdict))
    return out


def _positive_number(value: Any, table: str, key: str, loc: "_Locator") -> str:
    try:
        x = _number(value)
    except (ValueError, TypeError):
        x = None
    if isinstance(value, bool) or x is None or x <= 0:
        raise loc.error(f"[{table}].{key} must be a number > 0, got {value!r}", table, key, symbol=key,
                        hint=f"write {key} = 2")
    return _fmt(x)


def _choice(value: Any, choices: tuple, table: str, key: str, loc: "_Locator") -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) not in choices:
        raise loc.error(f"unknown {key} {value!r} in [{table}]", table, key, symbol=str(value),
                        hint=_suggest(str(value), choices) or f"use one of: {', '.join(choices)}")
    return str(value)


def _balancing(table: Mapping[str, Any] | None, loc: "_Locator", pnames: set,
               network_activation: str | None) -> tuple[tuple[str, str], ...]:
    """[balancing]: cost exponent p > 0, cost weight alpha > 0, the time-constant parameter (declared under
    [parameters]), the signal vector's name in dW, and the network's activation (for the I/O law; default: the
    [network] activation, else relu; it must agree with [network])."""
    if table is None:
        return ()
    out = {"p": "2", "alpha": "1", "tau": "tau", "signal": "g", "activation": network_activation or "relu"}
    for key, value in table.items():
        if key in ("p", "alpha"):
            out[key] = _positive_number(value, "balancing", key, loc)
        elif key == "activation":
            out[key] = _choice(value, BALANCING_ACTIVATIONS, "balancing", key, loc)
        else:
            if not isinstance(value, str):
                raise loc.error(f"[balancing].{key} must be a name", "balancing", key, symbol=key,
                                hint=f'write {key} = "{out[key]}"')
            try:
                check_name(value, "parameter" if key == "tau" else "vector")
            except InputError as err:
                raise loc.error(err.message, "balancing", key, symbol=value, hint=err.hint) from None
            out[key] = value
    if network_activation is not None and out["activation"] != network_activation:
        raise loc.error(f"[balancing].activation is {out['activation']} but the network's activation is "
                        f"{network_activation}", "balancing", "activation", symbol=out["activation"],
                        hint=f'write activation = "{network_activation}" or leave it out')
    if out["activation"] not in BALANCING_ACTIVATIONS:
        raise loc.error(f"the I/O law of balancing is not decided for the activation {out['activation']}",
                        "balancing", "activation" if "activation" in table else None, symbol=out["activation"],
                        hint=f"use one of: {', '.join(BALANCING_ACTIVATIONS)}")
    if out["tau"] not in pnames:
        raise loc.error(f"the time constant '{out['tau']}' of [balancing] is not a declared parameter",
                        "balancing", "tau" if "tau" in table else None, symbol=out["tau"],
                        hint=f'declare it:  [parameters]  {out["tau"]} = "> 0"')
    return tuple(sorted(out.items()))


def _energy(table: Mapping[str, Any] | None, loc: "_Locator",
            network_activation: str | None = None) -> tuple[tuple[str, str], ...]:
    """[energy]: the convex Lagrangian, scalar or per-neuron time constants, one or two layers. The Lagrangian's
    gradient must be the [network] activation when one is named (checked here, where the line is known)."""
    if table is None:
        return ()
    out = {"lagrangian": "relu", "time_constants": "scalar", "layers": "1"}
    for key, value in table.items():
        choices = {"lagrangian": LAGRANGIAN_NAMES, "time_constants": ("scalar", "diagonal"),
                   "layers": ("1", "2")}[key]
        out[key] = _choice(value, choices, "energy", key, loc)
    if network_activation is not None:
        expected = LAGRANGIAN_ACTIVATION[out["lagrangian"]]
        if network_activation != expected:
            raise loc.error(f"the Lagrangian '{out['lagrangian']}' has gradient {expected}, but the network's "
                            f"activation is {network_activation}", "energy",
                            "lagrangian" if "lagrangian" in table else None, symbol="lagrangian",
                            hint=f"use the Lagrangian whose gradient is {network_activation} ("
                                 + ", ".join(f"{k} -> {v}" for k, v in LAGRANGIAN_ACTIVATION.items()) + ")")
    return tuple(sorted(out.items()))


NETWORK_FORMS = ("H", "FR")
# the one table of network activations and their true slope bounds lives in the kernel (kernel/activations.py)
ACTIVATION_SLOPES = NETWORK_SLOPES


def _inline_array(key: str, value: Any, loc: "_Locator") -> str:
    """The canonical text of an inline W0 (matrix) or bias (vector), from a TOML list or from its text."""
    fmt, parse, example = INLINE_ARRAYS[key]
    try:
        text = fmt(value if isinstance(value, list) else parse(value))
        if key == "W0":
            rows = parse_matrix_text(text)
            if len(rows) != len(rows[0]):
                raise ValueError(f"W0 must be square, but it has {len(rows)} rows of {len(rows[0])} numbers")
        return text
    except ValueError as exc:
        where = " or a .npy/.csv file name" if isinstance(value, list) else ""
        raise loc.error(f"bad inline {key}: {exc}", "network", key, symbol=key,
                        hint=f"write {key} = {example}{where}") from None


def _is_array(value: Any) -> bool:
    """A numpy array, a scipy.sparse matrix or an ExactMatrix, given as W0 through the Python API."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.matrix import ExactMatrix
    return isinstance(value, (np.ndarray, ExactMatrix)) or type(value).__module__.startswith("scipy.sparse")


def _api_matrix(value: Any, loc: "_Locator"):
    """W0 given as an array through the Python API, read exactly (binary64 values are the rationals they are; no
    decimal text in between): an ExactMatrix, after the checks a W0 file gets (real, finite, square, size)."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.datafiles import check_array
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.matrix import ExactMatrix
    if isinstance(value, ExactMatrix):
        return value
    sparse = not isinstance(value, np.ndarray)
    data = value.tocsr().data if sparse else value
    problem = check_array(data if not sparse else data.reshape(1, -1), value.shape, (2,))
    if problem is None and value.shape[0] != value.shape[1]:
        problem = f"it is not square (shape {value.shape})"
    if problem is not None:
        raise loc.error(f"bad W0 array: {problem}", "network", "W0", symbol="W0",
                        hint="pass a finite real n x n numpy array (float64 or integer) or a scipy.sparse matrix")
    try:
        return ExactMatrix.from_sparse(value) if sparse else ExactMatrix.from_array(value)
    except ValueError as exc:
        raise loc.error(f"bad W0 array: {exc}", "network", "W0", symbol="W0",
                        hint="call W.sum_duplicates() before passing a sparse W0") from None


def _api_vector(value: np.ndarray, loc: "_Locator") -> str:
    """A bias given as a numpy array: its exact values as canonical text."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.datafiles import check_array
    problem = check_array(value, value.shape, (1,))
    if problem is not None:
        raise loc.error(f"bad bias array: {problem}", "network", "bias", symbol="bias",
                        hint="pass a finite real vector of n numbers")
    return vector_text([Fraction(x) for x in value.tolist()])


def _same_size(out: list[tuple[str, str]], loc: "_Locator") -> None:
    """An inline bias has one entry per row of an inline W0 (or of a W0 array)."""
    spec = dict(out)
    W0, bias = spec.get("W0", ""), spec.get("bias", "")
    if not isinstance(W0, str):
        if not bias.startswith("["):
            return
        n, m = W0.n, len(parse_vector_text(bias))
        if n != m:
            raise loc.error(f"bias has {m} entries but W0 is {n} x {n}", "network", "bias", symbol="bias",
                            hint=f"give one bias entry per neuron ({n} numbers)")
        return
    if W0.startswith("[") and bias.startswith("["):
        n, m = len(parse_matrix_text(W0)), len(parse_vector_text(bias))
        if n != m:
            raise loc.error(f"bias has {m} entries but W0 is {n} x {n}", "network", "bias", symbol="bias",
                            hint=f"give one bias entry per neuron ({n} numbers)")


def _network(table: Mapping[str, Any], loc: "_Locator") -> tuple[tuple[str, str], ...]:
    """[network] is kept for the network analysis; its values are validated now."""
    out = []
    for key, value in table.items():
        if key == "slope":
            if isinstance(value, str):   # the canonical text writes it as a string "[0, g]"
                try:
                    iv = parse_range(value)
                except ValueError:
                    iv = None
                if iv is not None and iv.lo == 0 and iv.lo_closed and iv.hi_closed and 0 < iv.hi < float("inf"):
                    out.append((key, f"[0, {_fmt(iv.hi)}]"))
                    continue
            ok = (isinstance(value, list) and len(value) == 2 and value[0] == 0
                  and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value) and value[1] > 0)
            if not ok:
                raise loc.error("slope must be [0, g] with g > 0", "network", key, symbol=key,
                                hint="write slope = [0, 1]")
            try:   # g = inf or 1e300 is a number the rule file cannot hold, not a bug
                g = _number(value[1])
            except ValueError as exc:
                raise loc.error(f"slope must be [0, g] with g > 0: {exc}", "network", key, symbol=key,
                                hint="write slope = [0, 1]") from None
            out.append((key, f"[0, {_fmt(g)}]"))
            continue
        if key == "W0" and _is_array(value):
            out.append((key, _api_matrix(value, loc)))
            continue
        if key == "bias" and isinstance(value, np.ndarray):
            value = _api_vector(value, loc)
        if key in INLINE_ARRAYS and (isinstance(value, list) or (isinstance(value, str) and value.lstrip()[:1] == "[")):
            value = _inline_array(key, value, loc)
        elif key == "input":
            try:
                value = Range(parse_range(value)).text()
            except ValueError as exc:
                raise loc.error(f"bad input bound: {exc}", "network", key, symbol=key,
                                hint="write input = [-1, 1] (a componentwise bound on u)") from None
        if not isinstance(value, str):
            raise loc.error(f"[network].{key} must be a string", "network", key, symbol=key,
                            hint=f'write {key} = "..."')
        if key == "form" and value not in NETWORK_FORMS:
            raise loc.error(f"unknown network form {value!r}", "network", key, symbol=key,
                            hint="form = \"H\" (x' = -x + W phi(x) + u) or \"FR\" (x' = -x + phi(W x + u))")
        if key == "activation":
            value = NETWORK_ALIASES.get(value, value)     # sigmoid -> logistic, as in expressions
        if key == "activation" and value not in NETWORK_ACTIVATIONS:
            raise loc.error(f"unknown activation {value!r}", "network", key, symbol=key,
                            hint=f"use one of: {', '.join(NETWORK_ACTIVATIONS)}, or slope = [0, g]")
        out.append((key, value))
    _agree(dict(out), loc)
    _same_size(out, loc)
    return tuple(sorted(out))


def _agree(spec: Mapping[str, str], loc: "_Locator") -> None:
    """A named activation and a declared slope bound are two facts about one function: a slope bound below the
    activation's true slope contradicts it (certifying with it would be unsound), so it is an input error."""
    activation, slope = spec.get("activation"), spec.get("slope")
    if activation is None or slope is None:
        return
    g = Fraction(parse_range(slope).hi)
    true = ACTIVATION_SLOPES[activation]
    if g < true:
        raise loc.error(f"slope = [0, {_fmt(g)}] contradicts activation = \"{activation}\", whose slope reaches "
                        f"{_fmt(true)}", "network", "slope", symbol="slope",
                        hint=f"remove slope (the activation's own bound {_fmt(true)} is used), write slope = "
                             f"[0, {_fmt(true)}] or more, or remove activation to declare a slope-restricted phi")


def _ranges(table: Mapping[str, Any], name: str, loc: _Locator) -> list[tuple[str, Range]]:
    out = []
    for key, value in table.items():
        try:
            out.append((key, Range(parse_range(value))))
        except ValueError as exc:
            line, col = loc.position(name, key)
            raise InputError(f"bad range for '{key}' in [{name}]: {exc}", file=loc.file, line=line, column=col,
                             symbol=key, hint='write ">= 0", "> 0", "<= 0", a number, [lo, hi] or "(lo, hi]"') \
                from None
    return out


# [network] keys written inline as arrays: (canonical text, reader of that text, an example for hints)
INLINE_ARRAYS = {
    "W0": (matrix_text, parse_matrix_text, "[[0, 1], [1, 0]] (rows of numbers)"),
    "bias": (vector_text, parse_vector_text, "[1, 0, -1/2] (one number per neuron)"),
}
