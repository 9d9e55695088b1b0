"""The tokenizer of the expression language: names, exact number tokens, operators, and an `InputError` that says
where for anything else. Tokens are produced lazily, so that the first error from the left is the one reported."""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Iterator

from certify.errors import InputError
from certify.lang.limits import MAX_DECIMAL_EXPONENT
from certify.lang.symbols import DIGITS, NAME_CHARS

_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op", "end"
    text: str  # normalised: "**" -> "^", "−" -> "-", "ᵀ" -> ".T"
    column: int
    raw: str  # as written


_SIMPLE_OPS = {"+": "+", "-": "-", "−": "-", "/": "/", "^": "^", "(": "(", ")": ")", ",": ",", "∘": "∘",
               "ᵀ": ".T"}
_CHAR_HINTS = {
    "[": "indexing and lists are not supported; expressions work with whole matrices and vectors",
    "]": "indexing and lists are not supported; expressions work with whole matrices and vectors",
    "{": "braces are not part of the expression language; group with ( and )",
    "}": "braces are not part of the expression language; group with ( and )",
    ";": "an expression is a single formula; remove ';'",
    "=": "write only the right-hand side, without '='",
    "@": "write * for matrix products",
    "|": "write abs(x) for an absolute value",
    "#": "comments are not allowed inside an expression",
    ":": "slices and annotations are not supported",
    "\\": "line continuations are not needed; an expression may span lines",
}


def tokenize(text: str) -> Iterator[Token]:
    """Tokens of `text`, lazily, so that the first error from the left is the one reported."""
    i, size = 0, len(text)
    while True:
        while i < size and text[i] in _WHITESPACE:
            i += 1
        if i >= size:
            yield Token("end", "", size + 1, "")
            return
        ch, column = text[i], i + 1
        if ch in DIGITS:
            i = yield from _number(text, i)
        elif "A" <= ch <= "Z" or "a" <= ch <= "z":
            j = i
            while j < size and text[j] in NAME_CHARS:
                j += 1
            name = text[i:j]
            if keyword.iskeyword(name):
                raise InputError(f"'{name}' is a Python keyword; expressions have no keywords", column=column,
                                 symbol=name, hint="use only names, numbers, operators and the known functions")
            yield Token("name", name, column, name)
            i = j
        elif ch == "_":
            j = i
            while j < size and text[j] in NAME_CHARS:
                j += 1
            raise InputError("names must start with a letter, not '_'", column=column, symbol=text[i:j],
                             hint="rename it to start with a letter, e.g. x_1")
        elif ch == ".":
            j = i + 1
            while j < size and text[j] in NAME_CHARS:
                j += 1
            attribute = text[i + 1:j]
            if attribute == "T":
                yield Token("op", ".T", column, ".T")
                i = j
            elif attribute and attribute[0] in DIGITS:
                raise InputError("a number must start with a digit", column=column, symbol=text[i:j],
                                 hint=f"write 0{text[i:j]}")
            elif attribute:
                raise InputError(f"attribute access '.{attribute}' is not allowed; only .T (transpose) is",
                                 column=column, symbol=f".{attribute}",
                                 hint="use .T to transpose; use the known functions for anything else")
            else:
                raise InputError("unexpected '.'", column=column, symbol=".",
                                 hint="'.' appears only in decimal numbers (write 2.0, not 2.) and in .T")
        elif ch == "*":
            if text.startswith("**", i):
                yield Token("op", "^", column, "**")
                i += 2
            else:
                yield Token("op", "*", column, "*")
                i += 1
        elif ch in _SIMPLE_OPS:
            yield Token("op", _SIMPLE_OPS[ch], column, ch)
            i += 1
        elif ch in "'\"":
            raise InputError("strings are not allowed in expressions", column=column, symbol=ch,
                             hint="remove the quotes; names are written bare, e.g. gamma*W")
        else:
            if ch.isalpha():
                hint = "names use ASCII letters, digits and underscores (write gamma, not γ)"
            else:
                hint = _CHAR_HINTS.get(ch, "allowed are names, numbers, + - * / ^ ** ∘ .T ( ) and commas in "
                                           "function calls")
            raise InputError(f"unexpected character {ch!r}", column=column, symbol=ch, hint=hint)


def _number(text: str, i: int) -> Iterator[Token]:
    """Yield the number token starting at `i` and return the index after it (a sub-generator of `tokenize`)."""
    size, column = len(text), i + 1
    j = i
    while j < size and text[j] in DIGITS:
        j += 1
    if j + 1 < size and text[j] == "." and text[j + 1] in DIGITS:
        j += 1
        while j < size and text[j] in DIGITS:
            j += 1
    if j < size and text[j] in "eE":
        k = j + 1
        if k < size and text[k] in "+-":
            k += 1
        if k < size and text[k] in DIGITS:
            m = k
            while m < size and text[m] in DIGITS:
                m += 1
            digits = text[k:m].lstrip("0")
            if len(digits) > len(str(MAX_DECIMAL_EXPONENT)) or int(digits or "0") > MAX_DECIMAL_EXPONENT:
                raise InputError(f"number out of range: exponent larger than {MAX_DECIMAL_EXPONENT}",
                                 column=column, symbol=text[i:m], hint="use a smaller number")
            j = m
    token = text[i:j]
    if j < size and text[j] in NAME_CHARS:
        k = j
        while k < size and text[k] in NAME_CHARS:
            k += 1
        rest = text[j:k]
        hint = ("numbers are written without underscores, e.g. 1000 or 1e3" if rest[0] == "_" else
                f"write {token}*{rest} to multiply")
        raise InputError(f"missing operator between the number '{token}' and '{rest}'", column=column,
                         symbol=text[i:k], hint=hint)
    yield Token("number", token, column, token)
    return j
