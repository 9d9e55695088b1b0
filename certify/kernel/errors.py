"""Exceptions with enough context for a user to fix the input.

`InputError` is the ERROR verdict's carrier: it names the file, line, column and symbol where the
input is wrong and suggests a fix. `KernelError` is raised by the trusted kernel when it cannot
verify something it was handed; it is never a user error and never silently ignored.
"""

from __future__ import annotations


class CertifyError(Exception):
    """Base class of every exception this package raises on purpose."""


class InputError(CertifyError, ValueError):
    """Bad input: a rule file, an expression, a matrix or a command-line argument.

    The message always says what is wrong; `file`, `line`, `column` (1-based), `symbol` and `hint`
    say where and how to fix it when they are known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        symbol: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.symbol = symbol
        self.hint = hint
        super().__init__(self.__str__())

    def located(self, *, file: str | None = None, line: int | None = None,
                column_offset: int | None = None) -> "InputError":
        """A copy placed inside a file: `column_offset` shifts a column counted within a string value."""
        column = self.column
        if column_offset is not None:
            column = column_offset + (column or 1) - 1
        return InputError(self.message, file=file or self.file, line=line or self.line,
                          column=column, symbol=self.symbol, hint=self.hint)

    def where(self) -> str:
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.symbol is not None:
            text += f" (symbol '{self.symbol}')"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {"message": self.message, "file": self.file, "line": self.line,
                "column": self.column, "symbol": self.symbol, "hint": self.hint}


class KernelError(CertifyError):
    """The trusted kernel refused a certificate or a counterexample; the message gives the reason."""


class SideConditionError(KernelError):
    """A lemma's side condition is not implied by the declared ranges. `relation` is the condition as a
    SymPy relation (e.g. k >= 0), so that a caller can ask the kernel again under narrower ranges."""

    def __init__(self, message: str, relation: object):
        super().__init__(message)
        self.relation = relation


class InternalError(CertifyError):
    """An unexpected exception inside certify: a bug in certify, never a verdict about the user's file.

    The command line exits with ExitCode.INTERNAL_ERROR (4); JSON reports it as verdict `error`, kind `internal`.
    """

    def __init__(self, exc: BaseException, *, file: str | None = None) -> None:
        self.exc_type = type(exc).__name__
        self.detail = str(exc).splitlines()[0][:300] if str(exc) else ""
        self.file = file
        self.message = (f"internal error in certify ({self.exc_type}: {self.detail}); this is a bug in certify, "
                        "not in your file -- please report it with the file that triggered it")
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.file}: {self.message}" if self.file else self.message

    def to_dict(self) -> dict[str, object]:
        return {"kind": "internal", "message": self.message, "file": self.file, "exception": self.exc_type}
