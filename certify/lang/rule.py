"""Rules: the TOML file format of DESIGN.md and an equivalent Python API.

A `Rule` is immutable and canonical: `rule.canonical_text()` is a TOML document that loads back to
an equal rule, and `rule.hash` is the SHA-256 of that text. Every error in a file is an
`InputError` naming the file, line, column, symbol and a fix; expressions go through the
whitelisting parser in parse.py and are never evaluated.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import sympy as sp

from certify.errors import InputError
from certify.kernel.algebra import Normalizer
from certify.kernel.objects import BOUNDS, MEASURES, Assumptions, Claim
from certify.lang.datafiles import read_text
from certify.lang.locate import MAX_NESTING, _depth, _long_number_line, _suggest, _toml_error
from certify.lang.parse import Symbols, format_expression, parse_weight_flow
from certify.lang.ranges import MAX_NUMBER_DIGITS
from certify.lang.tables import CLAIM_BOUNDS, MATRIX_PROPERTIES, MAX_NAMES, TABLES, VERDICT_NAMES, \
    _balancing, _contracting_needs_network, _energy, _law_expectations, _network, _ranges, _require_real_flow
# names other modules import from here (rule.py stays the public face of the rule-file reader)
from certify.lang.locate import _Locator as _Locator
from certify.lang.ranges import Range as Range
from certify.lang.ranges import parse_matrix_text as parse_matrix_text
from certify.lang.ranges import parse_range as parse_range
from certify.lang.ranges import parse_vector_text as parse_vector_text
from certify.lang.tables import ACTIVATION_SLOPES as ACTIVATION_SLOPES
from certify.lang.tables import LAGRANGIAN_ACTIVATION as LAGRANGIAN_ACTIVATION
from certify.lang.tables import LAW_NAMES as LAW_NAMES


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
            lines += ["", "[network]"] + [f"{k} = {_q(v if isinstance(v, str) else _array_label(v))}"
                                          for k, v in self.network]
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


def _array_label(m) -> str:
    """How a W0 given as an array through the Python API appears in the canonical text: its size and the digest of
    its exact entries (the rule's hash then changes with every entry; the text cannot be read back as a file)."""
    return f"array {m.n} x {m.n}, {'sparse, ' if m.is_sparse else ''}sha256 {m.digest()}"


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key(s: str) -> str:
    return s if re.fullmatch(r"[A-Za-z0-9_-]+", s) else _q(s)
