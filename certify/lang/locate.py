"""Where things are in a rule file's raw TOML text: the line and column of a table or a key (for errors that name
them), the error for text that is not TOML, the nesting depth, and a "did you mean" for misspelt names."""

from __future__ import annotations

import difflib
import re
from typing import Any, Mapping

from certify.errors import InputError
from certify.lang.parse import check_name
from certify.lang.ranges import MAX_NUMBER_DIGITS

def _suggest(word: str, choices) -> str | None:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"did you mean '{close[0]}'?" if close else None

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
