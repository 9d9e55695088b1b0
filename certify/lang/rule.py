"""Rules: the TOML file format of DESIGN.md and an equivalent Python API.

A `Rule` is immutable and canonical: `rule.canonical_text()` is a TOML document that loads back to
an equal rule, and `rule.hash` is the SHA-256 of that text. Every error in a file is an
`InputError` naming the file, line, column, symbol and a fix; expressions go through the
whitelisting parser in parse.py and are never evaluated.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

import sympy as sp

from certify.errors import InputError
from certify.kernel.intervals import INF, Interval
from certify.kernel.objects import BOUNDS, MEASURES, Assumptions, Claim
from certify.lang.parse import Symbols, check_name, format_expression, parse_weight_flow

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

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/\d+)?$", re.ASCII)   # ASCII digits only, as in dW
_RELATION = re.compile(r"^\s*(>=|>|<=|<)\s*(\S+)\s*$")
_BRACKETS = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^\])\s]+)\s*([\])])\s*$")


@dataclass(frozen=True)
class Range:
    """A scalar range as declared: the interval plus the text it was written as (canonicalised)."""

    interval: Interval

    def text(self) -> str:
        iv = self.interval
        lo = None if iv.lo == -INF else iv.lo
        hi = None if iv.hi == INF else iv.hi
        if lo is not None and hi is not None and lo == hi:
            return _fmt(lo)
        if hi is None and lo is None:
            return "real"
        if hi is None:
            return f"{'>=' if iv.lo_closed else '>'} {_fmt(lo)}"
        if lo is None:
            return f"{'<=' if iv.hi_closed else '<'} {_fmt(hi)}"
        return f"{'[' if iv.lo_closed else '('}{_fmt(lo)}, {_fmt(hi)}{']' if iv.hi_closed else ')'}"


def _fmt(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


@dataclass(frozen=True)
class Rule:
    dW: sp.Basic
    name: str = "rule"
    summary: str = ""
    reference: str = ""
    parameters: tuple[tuple[str, Range], ...] = ()
    activity: tuple[tuple[str, Range], ...] = ()
    matrices: tuple[tuple[str, str], ...] = ()
    network: tuple[tuple[str, str], ...] = ()
    claim: tuple[str, str] | None = None          # (measure, bound)
    expect: tuple[tuple[str, str, str], ...] = ()  # (measure, bound, verdict)
    balancing: tuple[tuple[str, str], ...] = ()    # [balancing]: synaptic balancing laws (certify/search/laws.py)
    energy: tuple[tuple[str, str], ...] = ()       # [energy]: energy of a Krotov-Hopfield network
    law_expect: tuple[tuple[str, str, str], ...] = ()  # (section, law, verdict) from [expect.balancing/energy]
    source: str | None = field(default=None, compare=False)

    # -- views ------------------------------------------------------------------------------------
    @property
    def vectors(self) -> frozenset[str]:
        return frozenset(s.name for s in self.dW.atoms(sp.MatrixSymbol)
                         if s.shape[1] == 1 and str(s.name) not in dict(self.matrices))

    def assumptions(self) -> Assumptions:
        return Assumptions(parameters={k: r.interval for k, r in self.parameters},
                           activity={k: r.interval for k, r in self.activity},
                           matrices=dict(self.matrices))

    def claim_object(self, measure: str | None = None, bound: str | None = None) -> Claim | None:
        if self.claim is None and measure is None:
            return None
        m = measure or (self.claim[0] if self.claim else "l2")
        b = bound or (self.claim[1] if self.claim else "nonincreasing")
        return Claim(m, b)

    @property
    def is_fixed(self) -> bool:
        """dW/dt = 0 identically (kernel normal form): the network's weights stay at W0."""
        from certify.kernel.algebra import Normalizer
        return not Normalizer(dict(self.matrices)).nf(self.dW)

    @property
    def laws_only(self) -> bool:
        """A fixed network declared for its laws alone: check_rule decides the laws and no measure claim."""
        return bool(self.balancing or self.energy) and self.claim is None and not self.expect and self.is_fixed

    @property
    def dW_text(self) -> str:
        return format_expression(self.dW)

    # -- canonical text and hash ----------------------------------------------------------------------
    def canonical_text(self) -> str:
        lines = ["[rule]", f"name = {_q(self.name)}"]
        if self.summary:
            lines.append(f"summary = {_q(self.summary)}")
        if self.reference:
            lines.append(f"reference = {_q(self.reference)}")
        lines.append(f"dW = {_q(self.dW_text)}")
        for table, items in (("parameters", self.parameters), ("activity", self.activity)):
            if items:
                lines += ["", f"[{table}]"] + [f"{k} = {_q(r.text())}" for k, r in items]
        if self.matrices:
            lines += ["", "[matrices]"] + [f"{k} = {_q(v)}" for k, v in self.matrices]
        if self.network:
            lines += ["", "[network]"] + [f"{k} = {_q(v)}" for k, v in self.network]
        if self.claim:
            lines += ["", "[claim]", f"measure = {_q(self.claim[0])}", f"bound = {_q(self.claim[1])}"]
        if self.expect:
            measures = sorted({m for m, _, _ in self.expect}, key=MEASURES.index)
            for m in measures:
                lines += ["", f"[expect.{_key(m)}]"]
                lines += [f"{b} = {_q(v)}" for mm, b, v in self.expect if mm == m]
        for table, items in (("balancing", self.balancing), ("energy", self.energy)):
            if items:
                lines += ["", f"[{table}]"] + [f"{k} = {_q(v)}" for k, v in items]
        for section in LAW_NAMES:
            laws = [(law, v) for sec, law, v in self.law_expect if sec == section]
            if laws:
                lines += ["", f"[expect.{section}]"] + [f"{law} = {_q(v)}" for law, v in laws]
        return "\n".join(lines) + "\n"

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.canonical_text().encode()).hexdigest()

    # -- construction ---------------------------------------------------------------------------------
    @staticmethod
    def from_file(path: str | Path) -> "Rule":
        from certify.lang.datafiles import read_text
        path = Path(path)
        text = read_text(path, "rule file")   # regular files only, at most 1 MiB of UTF-8 text
        return Rule.from_text(text, file=str(path))

    @staticmethod
    def from_text(text: str, file: str | None = None) -> "Rule":
        try:
            data = tomllib.loads(text)
        except RecursionError:
            raise InputError("the TOML is nested too deeply to read (arrays or inline tables inside each other)",
                             file=file, hint=f"rule files need at most {MAX_NESTING} levels of nesting") from None
        except ValueError as exc:
            if isinstance(exc, tomllib.TOMLDecodeError):
                raise _toml_error(exc, file, text) from None
            # int() refuses integers with more than sys.get_int_max_str_digits() digits
            raise InputError("a number has too many digits to read (more than 4300)", file=file,
                             line=_long_number_line(text),
                             hint=f"numbers in rule files have at most {MAX_NUMBER_DIGITS} digits") from None
        depth = _depth(data)
        if depth > MAX_NESTING:
            raise InputError(f"the TOML is nested {depth} levels deep; at most {MAX_NESTING} are read", file=file,
                             hint="rule files need a few levels: [table], key = value, [[row], [row]]")
        return Rule.from_dict(data, file=file, text=text)

    @staticmethod
    def create(dW: str, **sections: Any) -> "Rule":
        """Python API: `Rule.create("-gamma*W - k*r*r.T", parameters={"gamma": ">= 0"}, ...)`.
        Keyword arguments: name, summary, reference, parameters, activity, matrices, network,
        claim (a dict with measure/bound), expect."""
        rule_keys = {k: sections.pop(k) for k in ("name", "summary", "reference") if k in sections}
        data: dict[str, Any] = {"rule": {"dW": dW, **rule_keys}}
        for key, value in sections.items():
            data[key] = value
        return Rule.from_dict(data)

    @staticmethod
    def from_dict(data: Mapping[str, Any], file: str | None = None, text: str | None = None) -> "Rule":
        loc = _Locator(text, file)
        for table in data:
            if table not in TABLES:
                line, col = loc.position(table, None)
                if line is None:   # not a [table] header: a bare `name = value` above the first table
                    line, col = loc.table_position(table)
                raise InputError(f"unknown table [{table}]", file=loc.file, line=line, column=col, symbol=table,
                                 hint=_suggest(table, TABLES) or f"known tables: {', '.join(TABLES)}")
            if not isinstance(data[table], Mapping):
                line, col = loc.table_position(table)
                what = ("an array of tables [[...]]" if isinstance(data[table], list) else
                        {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
                            type(data[table]), "a value"))
                raise InputError(f"[{table}] must be a table, not {what}", file=loc.file, line=line, column=col,
                                 symbol=table, hint=f"write a header [{table}] with key = value lines under it")
            allowed = TABLES[table]
            if allowed is not None:
                for key in data[table]:
                    if key not in allowed:
                        raise loc.error(f"unknown key '{key}' in [{table}]", table, key, symbol=key,
                                        hint=_suggest(key, allowed) or f"allowed keys: {', '.join(allowed)}")
        for table in ("parameters", "activity", "matrices"):
            if len(data.get(table, {})) > MAX_NAMES:
                raise loc.error(f"[{table}] declares {len(data[table])} names; at most {MAX_NAMES} are read", table,
                                None, symbol=table, hint="a rule needs a few names; declare only those dW uses")
        rule_t = data.get("rule")
        if rule_t is None or "dW" not in rule_t:
            raise loc.error("the rule has no weight flow: [rule].dW is required", "rule", None,
                            hint='add  dW = "-gamma*W - k*r*r.T"  (a matrix expression) under [rule]')
        strings = {}
        for key in ("name", "summary", "reference", "dW"):
            if key in rule_t and not isinstance(rule_t[key], str):
                raise loc.error(f"[rule].{key} must be a string", "rule", key, symbol=key,
                                hint=f'write {key} = "..."')
            strings[key] = rule_t.get(key, "")
        name = strings["name"] or (Path(file).stem if file else "rule")

        parameters = _ranges(data.get("parameters", {}), "parameters", loc)
        activity = _ranges(data.get("activity", {}), "activity", loc)
        matrices = []
        for key, prop in data.get("matrices", {}).items():
            loc.name(key, "matrices", "matrix")
            if prop not in MATRIX_PROPERTIES:
                raise loc.error(f"unknown matrix property {prop!r} for '{key}'", "matrices", key, symbol=key,
                                hint=f"use one of: {', '.join(MATRIX_PROPERTIES)}")
            matrices.append((key, prop))
        for key, _ in parameters:
            loc.name(key, "parameters", "parameter")
        for key, _ in activity:
            loc.name(key, "activity", "vector")
        pnames = {k for k, _ in parameters}
        mnames = {k for k, _ in matrices}
        for key, _ in activity:
            if key in pnames or key in mnames:
                raise loc.error(f"'{key}' is declared both as an activity vector and as a "
                                f"{'parameter' if key in pnames else 'matrix'}", "activity", key, symbol=key,
                                hint="give each name one role")
        clash = pnames & mnames
        if clash:
            key = sorted(clash)[0]
            raise loc.error(f"'{key}' is declared both as a parameter and as a matrix", "matrices", key,
                            symbol=key, hint="give each name one role")

        symbols = Symbols(parameters=frozenset(pnames), matrices=frozenset(mnames))
        try:
            parsed = parse_weight_flow(strings["dW"], symbols)
        except InputError as err:
            line, col = loc.value_position("rule", "dW")
            if col is None:  # the column inside the string cannot be placed in the file: say where instead
                message = f"{err.message} (column {err.column} of the dW expression)" if err.column else err.message
                raise InputError(message, file=file, line=line, symbol=err.symbol, hint=err.hint) from None
            raise err.located(file=file, line=line, column_offset=col) from None
        _require_real_flow(parsed.expr, parameters, loc)
        network = _network(data.get("network", {}), loc)
        claim = None
        if "claim" in data:
            c = data["claim"]
            measure = c.get("measure", "l2")
            bound = c.get("bound", "nonincreasing")
            if measure not in MEASURES:
                raise loc.error(f"unknown measure {measure!r}", "claim", "measure", symbol=str(measure),
                                hint=_suggest(str(measure), MEASURES) or f"use one of: {', '.join(MEASURES)}")
            if bound not in CLAIM_BOUNDS:
                raise loc.error(f"unknown bound {bound!r}", "claim", "bound", symbol=str(bound),
                                hint=_suggest(str(bound), CLAIM_BOUNDS) or f"use one of: {', '.join(CLAIM_BOUNDS)}")
            claim = (measure, bound)
        expect = []
        law_expect = []
        for measure, table in data.get("expect", {}).items():
            if measure in LAW_NAMES:
                law_expect += _law_expectations(measure, table, loc, data)
                continue
            if measure not in MEASURES:
                raise loc.error(f"unknown measure {measure!r} in [expect]", "expect", measure, symbol=measure,
                                hint=_suggest(measure, MEASURES) or f"use one of: {', '.join(MEASURES)}")
            if not isinstance(table, Mapping):
                raise loc.error(f"[expect.{measure}] must be a table of bound = verdict", "expect", measure,
                                symbol=measure, hint=f'write  [expect.{measure}]  then  nonincreasing = "certified"')
            for bound, verdict in table.items():
                if bound not in CLAIM_BOUNDS or verdict not in VERDICT_NAMES:
                    raise loc.error(f"bad expectation {bound} = {verdict!r} in [expect.{measure}]", "expect",
                                    bound, symbol=str(bound),
                                    hint=f"bounds: {', '.join(BOUNDS)}; verdicts: {', '.join(VERDICT_NAMES)}")
                expect.append((measure, bound, verdict))
        expect.sort(key=lambda e: (MEASURES.index(e[0]), CLAIM_BOUNDS.index(e[1])))
        _contracting_needs_network(claim, expect, dict(network), loc)
        law_expect.sort(key=lambda e: (list(LAW_NAMES).index(e[0]), LAW_NAMES[e[0]].index(e[1])))
        balancing = _balancing(data.get("balancing"), loc, pnames, dict(network).get("activation"))
        energy = _energy(data.get("energy"), loc, dict(network).get("activation"))
        return Rule(dW=parsed.expr, name=name, summary=strings["summary"], reference=strings["reference"],
                    parameters=tuple(sorted(parameters)), activity=tuple(sorted(activity)),
                    matrices=tuple(sorted(matrices)), network=network, claim=claim,
                    expect=tuple(expect), balancing=balancing, energy=energy, law_expect=tuple(law_expect),
                    source=file)


def _require_real_flow(expr: Any, parameters: list, loc: "_Locator") -> None:
    """dW must be real for every declared parameter value: sqrt(g) with g ranging below 0 is imaginary there."""
    from certify.kernel.objects import Assumptions
    from certify.kernel.reality import NotReal, require_real
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


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key(s: str) -> str:
    return s if re.fullmatch(r"[A-Za-z0-9_-]+", s) else _q(s)


def _suggest(word: str, choices) -> str | None:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"did you mean '{close[0]}'?" if close else None


MAX_NAMES = 100    # names declared in one of [parameters], [activity], [matrices]
MAX_NESTING = 20   # levels of TOML tables and arrays inside each other (a rule file needs about 4)


def _toml_error(exc: Exception, file: str | None, text: str = "") -> InputError:
    m = re.search(r"line (\d+), column (\d+)", str(exc))
    line, column = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    if m is None and "end of document" in str(exc):   # tomllib gives no position there: the last line
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    return InputError(f"not valid TOML: {exc}", file=file, line=line, column=column,
                      hint="rule files are TOML: key = \"value\" lines under [table] headers")


def _long_number_line(text: str) -> int | None:
    """The line of the first run of more than MAX_NUMBER_DIGITS digits (for the error on a too-long integer)."""
    m = re.search(r"\d{%d,}" % (MAX_NUMBER_DIGITS + 1), text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _depth(value: Any, limit: int = MAX_NESTING + 1) -> int:
    """Nesting depth of tables and arrays (counting stops just past the limit: no recursion on deep data)."""
    depth, level = 0, [value]
    while level and depth <= limit:
        nxt = []
        for v in level:
            if isinstance(v, Mapping):
                nxt.extend(v.values())
            elif isinstance(v, list):
                nxt.extend(v)
        if not nxt:
            break
        depth += 1
        level = nxt
    return depth


class _Locator:
    """Finds the line and column of `key = value` inside `[table]` in the raw TOML text."""

    def __init__(self, text: str | None, file: str | None):
        self.lines = text.splitlines() if text else []
        self.file = file

    def position(self, table: str, key: str | None) -> tuple[int | None, int | None]:
        current = None
        for i, line in enumerate(self.lines, start=1):
            stripped = line.strip()
            m = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
            if m:
                parts = [p.strip().strip('"') for p in m.group(1).split(".")]
                current = parts[0]
                if current == table and (key is None or (len(parts) > 1 and parts[1] == key)):
                    return i, line.index("[") + 1
                continue
            if current == table and key is not None:
                m = re.match(r'^\s*"?' + re.escape(key) + r'"?\s*=\s*', line)
                if m:
                    return i, m.end() + 1
        return None, None

    def table_position(self, table: str) -> tuple[int | None, int | None]:
        """Where `table` is defined other than as a [table] header: [[table]], or table = ... at the top."""
        for i, line in enumerate(self.lines, start=1):
            m = re.match(r'^\s*\[\[\s*"?' + re.escape(table) + r'"?\s*\]\]', line)
            if m:
                return i, line.index("[") + 1
            if re.match(r"^\s*\[", line):
                break
            m = re.match(r'^\s*"?' + re.escape(table) + r'"?\s*=', line)
            if m:
                return i, len(line) - len(line.lstrip()) + 1
        for i, line in enumerate(self.lines, start=1):   # [[table]] after other headers
            if re.match(r'^\s*\[\[\s*"?' + re.escape(table) + r'"?\s*\]\]', line):
                return i, line.index("[") + 1
        return self.position(table, None)

    def value_position(self, table: str, key: str) -> tuple[int | None, int | None]:
        """Line and column of the first character inside the string value of `key`. The column is
        None when columns inside the value do not map onto the file: escape sequences in a basic
        string, or a string that spans several lines."""
        line, col = self.position(table, key)
        if line is None or col is None:
            return None, None
        rest = self.lines[line - 1][col - 1:]
        for quote in ('"' * 3, "'" * 3, '"', "'"):
            if rest.startswith(quote):
                body = rest[len(quote):]
                if quote not in body:
                    return line, None
                if quote[0] == '"' and "\\" in body.split(quote)[0]:
                    return line, None
                return line, col + len(quote)
        return line, None

    def error(self, message: str, table: str, key: str | None, **kw: Any) -> InputError:
        line, col = self.position(table, key)
        return InputError(message, file=self.file, line=line, column=col, **kw)

    def name(self, key: str, table: str, what: str) -> None:
        try:
            check_name(key, what)
        except InputError as err:
            line, col = self.position(table, key)
            raise InputError(err.message, file=self.file, line=line, column=col, symbol=key,
                             hint=err.hint) from None


NETWORK_FORMS = ("H", "FR")
NETWORK_ACTIVATIONS = ("tanh", "logistic", "relu", "leaky-relu", "softplus", "linear")
# The true slope bound g of each named activation: phi'(x) in [0, g] for every x (linear: phi' = 1 exactly).
ACTIVATION_SLOPES: dict[str, Fraction] = {
    "tanh": Fraction(1), "logistic": Fraction(1, 4), "relu": Fraction(1), "leaky-relu": Fraction(1),
    "softplus": Fraction(1), "linear": Fraction(1),
}


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


def _same_size(out: list[tuple[str, str]], loc: "_Locator") -> None:
    """An inline bias has one entry per row of an inline W0."""
    spec = dict(out)
    W0, bias = spec.get("W0", ""), spec.get("bias", "")
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


def matrix_text(rows: Any) -> str:
    """Canonical text of a rectangular matrix of exact numbers: '[[0, 1/2], [1, 0]]'."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) and r for r in rows):
        raise ValueError("a matrix is a non-empty list of non-empty rows")
    if any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("rows have different lengths")
    return "[" + ", ".join("[" + ", ".join(_fmt(_number(x)) for x in r) + "]" for r in rows) + "]"


def vector_text(values: Any) -> str:
    """Canonical text of a non-empty vector of exact numbers: '[1, -1/2, 0]'."""
    if not isinstance(values, list) or not values or any(isinstance(v, list) for v in values):
        raise ValueError("a vector is a non-empty list of numbers")
    return "[" + ", ".join(_fmt(_number(x)) for x in values) + "]"


def parse_vector_text(text: str) -> list[Fraction]:
    """Read '[1, -1/2, 0]' without evaluating anything."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")) or "[" in body[1:-1] or "]" in body[1:-1]:
        raise ValueError("an inline vector is [a, b, ...]")
    return [_number(tok.strip()) for tok in body[1:-1].split(",")]


def parse_matrix_text(text: str) -> list[list[Fraction]]:
    """Read '[[0, 1/2], [1, 0]]' (numbers: integers, decimals, fractions) without evaluating anything."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        raise ValueError("an inline matrix starts with '[[' and ends with ']]'")
    rows = re.findall(r"\[([^\[\]]*)\]", body[1:-1])
    if not rows or re.sub(r"\[[^\[\]]*\]", "", body[1:-1]).strip(" ,") != "":
        raise ValueError("an inline matrix is a list of rows [a, b, ...] separated by commas")
    return [[_number(tok.strip()) for tok in row.split(",")] for row in rows]


def parse_range(value: Any) -> Interval:
    """'>= 0', '> 0', '<= 1', '< 1', a number, '[lo, hi]', '(lo, hi]', 'real', or a TOML list [lo, hi]."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a range")
    if isinstance(value, (int, float)):
        x = _number(value)
        return Interval(x, x)
    if isinstance(value, list):
        if len(value) != 2 or any(isinstance(v, (bool, str)) or not isinstance(v, (int, float)) for v in value):
            raise ValueError("a list range must be two numbers [lo, hi]")
        lo, hi = _number(value[0]), _number(value[1])
        if lo > hi:
            raise ValueError(f"empty range: lower end {value[0]} is above upper end {value[1]}")
        return Interval(lo, hi)
    if not isinstance(value, str):
        raise ValueError(f"unsupported range {value!r}")
    text = value.strip()
    if text in ("real", "any"):
        return Interval.everything()
    if _NUMBER.match(text):
        x = _number(text)
        return Interval(x, x)
    m = _RELATION.match(text)
    if m:
        op, num = m.groups()
        x = _number(num)
        if op in (">=", ">"):
            return Interval(x, INF, op == ">=", False)
        return Interval(-INF, x, False, op == "<=")
    m = _BRACKETS.match(text)
    if m:
        left, lo_t, hi_t, right = m.groups()
        lo = -INF if lo_t in ("-inf", "-oo") else _number(lo_t)
        hi = INF if hi_t in ("inf", "oo", "+inf") else _number(hi_t)
        if lo > hi or (lo == hi and (left == "(" or right == ")")):
            raise ValueError(f"empty range {text}")
        return Interval(lo, hi, left == "[", right == "]")
    raise ValueError(f"cannot read the range {value!r}")


MAX_NUMBER_DIGITS = 60  # decimal digits allowed in the numbers of a range (and in their exponents)


def _number(x: Any) -> Fraction:
    if isinstance(x, float):
        if x != x or x in (INF, -INF):
            raise ValueError("NaN and infinity are not allowed as numbers")
        value = Fraction(repr(x))
    elif isinstance(x, (int, Fraction)) and not isinstance(x, bool):
        value = Fraction(x)
    elif isinstance(x, str) and _NUMBER.match(x.strip()):
        text = x.strip()
        exponent = re.search(r"[eE]([+-]?\d+)", text)
        if exponent and abs(int(exponent.group(1)[:8])) > MAX_NUMBER_DIGITS:
            raise ValueError(f"the exponent of {text} is out of range (at most {MAX_NUMBER_DIGITS})")
        try:
            value = Fraction(text)
        except ZeroDivisionError:
            raise ValueError(f"{text} has a zero denominator") from None
    else:
        raise ValueError(f"{x!r} is not a number")
    if max(abs(value.numerator), value.denominator).bit_length() > 4 * MAX_NUMBER_DIGITS:
        raise ValueError(f"{x!r} has too many digits or is too large or too small: numbers in rule files have "
                         f"at most about {MAX_NUMBER_DIGITS} digits (so 1e-60 to 1e60 in size)")
    return value


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
