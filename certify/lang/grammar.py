"""The recursive-descent parser of the expression language (grammar in `certify.lang.parse`): it reads the tokens,
reports syntax errors with their column and a hint, and leaves building each value to `certify.lang.operations`."""

from __future__ import annotations

import difflib
from fractions import Fraction
from typing import NoReturn

import sympy as sp

from certify.errors import InputError
from certify.lang.limits import MAX_DEPTH, MAX_LENGTH
from certify.lang.operations import Builder, Node
from certify.lang.printing import format_factor
from certify.lang.symbols import (COVECTOR, FUNCTIONS, MATRIX, SCALAR, VECTOR, WORDS, N, ParsedExpression, Symbols,
                                  W)
from certify.lang.tokens import Token, tokenize

_TRANSPOSED = {MATRIX: MATRIX, VECTOR: COVECTOR, COVECTOR: VECTOR}


def parse_expression(text: str, symbols: Symbols) -> ParsedExpression:
    """Parse `text` in the expression grammar (`certify.lang.parse`) into a SymPy object; `InputError` if invalid."""
    if not isinstance(text, str):
        raise InputError(f"an expression must be a string, not {type(text).__name__}", symbol=repr(text)[:40],
                         hint='write it in quotes, e.g. dW = "0" or dW = "-gamma*W"')
    if not isinstance(symbols, Symbols):
        raise TypeError(f"symbols must be a Symbols, not {type(symbols).__name__}")
    if len(text) > MAX_LENGTH:
        raise InputError(f"expression too long: {len(text)} characters (the limit is {MAX_LENGTH})",
                         column=MAX_LENGTH + 1, hint="split the rule into shorter terms or declare constants")
    parser = _Parser(text, symbols)
    try:
        node = parser.parse()
    except InputError:
        raise
    except RecursionError:
        raise InputError("expression nested too deeply to process", column=1,
                         hint=f"use fewer nested parentheses and functions (at most {MAX_DEPTH} levels)") from None
    except Exception as exc:  # SymPy refused something the checks above let through: report, never crash
        raise InputError(f"internal error while building the expression: {type(exc).__name__}: {exc}",
                         column=parser.column, hint="this is a bug in certify; please report the expression"
                         ) from exc
    return ParsedExpression(node.expr, node.shape, node.parameters, node.matrices, node.vectors)


def parse_weight_flow(text: str, symbols: Symbols) -> ParsedExpression:
    """Parse a weight flow dW/dt: an n×n matrix expression. A scalar equal to 0 (e.g. "0") is ``ZeroMatrix(n, n)``."""
    parsed = parse_expression(text, symbols)
    if parsed.shape == MATRIX:
        return parsed
    if parsed.shape == SCALAR:
        if parsed.expr == 0:
            return ParsedExpression(sp.ZeroMatrix(N, N), MATRIX, parsed.parameters, parsed.matrices,
                                    parsed.vectors)
        scalar = format_factor(parsed.expr)
        raise InputError("the weight flow dW must be an n×n matrix, but this is a scalar", column=1,
                         hint=f"for a multiple of the identity write {scalar}*I")
    hint = ("an outer product such as r*r.T is an n×n matrix" if parsed.shape == VECTOR else
            "an outer product such as r*r.T is an n×n matrix; a covector r.T is 1×n")
    raise InputError(f"the weight flow dW must be an n×n matrix, but this is {WORDS[parsed.shape]}", column=1,
                     hint=hint)


class _Parser(Builder):
    def __init__(self, text: str, symbols: Symbols) -> None:
        super().__init__(symbols)
        self._tokens = tokenize(text)
        self._tok = next(self._tokens)
        self._prev: Token | None = None
        self._depth = 0

    @property
    def column(self) -> int:
        return self._tok.column

    # --- token helpers

    def _is_op(self, *texts: str) -> bool:
        return self._tok.kind == "op" and self._tok.text in texts

    def _advance(self) -> Token:
        tok = self._tok
        self._prev = tok
        self._tok = next(self._tokens)
        return tok

    # --- grammar

    def parse(self) -> Node:
        if self._tok.kind == "end":
            raise InputError("empty expression", column=1, hint='write a formula, e.g. "-gamma*W - k*r*r.T"')
        node = self._sum()
        if self._tok.kind != "end":
            self._unexpected_after_expression()
        return node

    def _sum(self) -> Node:
        first = self._product()
        terms = [first]
        while self._is_op("+", "-"):
            op = self._advance()
            right = self._product()
            self._check_addable(first, right, op, terms)
            terms.append(right if op.text == "+" else right.with_expr(-right.expr, right.shape))
        if len(terms) == 1:
            return first
        if first.shape == SCALAR:
            expr = terms[0].expr
            for term in terms[1:]:
                expr = expr + term.expr
        else:
            # One MatAdd(...).doit() for the whole chain gives what the operators give term by term (both flatten
            # and canonicalise), without re-simplifying the partial sum after every term: that costs time
            # quadratic in the number of terms (DiagMatrix.doit consults SymPy's assumption system).
            expr = sp.MatAdd(*(term.expr for term in terms)).doit()
        return first.with_expr(expr, first.shape, *terms[1:])

    def _product(self) -> Node:
        factors = [self._unary()]  # operands of a run of '*', multiplied when the run ends
        shape = factors[0].shape
        while self._is_op("*", "/", "∘"):
            op = self._advance()
            right = self._unary()
            if op.text == "*":
                shape = self._product_shape(shape, right, op, factors)
                factors.append(right)
                continue
            node = self._multiply(factors, shape)
            factors = [self._divide(node, right, op) if op.text == "/" else self._hadamard([node, right], op)]
            shape = factors[0].shape
        return self._multiply(factors, shape)

    def _unary(self) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise InputError(f"expression nested too deeply (more than {MAX_DEPTH} levels)",
                                 column=self._tok.column, symbol=self._tok.raw or None,
                                 hint="use fewer nested parentheses, signs, exponents and function calls")
            if self._is_op("+", "-"):
                op = self._advance()
                operand = self._unary()
                if op.text == "+":
                    return Node(operand.expr, operand.shape, op.column, operand.parameters, operand.matrices,
                                 operand.vectors)
                return operand.with_expr(-operand.expr, operand.shape, column=op.column)
            return self._power()
        finally:
            self._depth -= 1

    def _power(self) -> Node:
        base = self._postfix()
        if self._is_op("^"):
            op = self._advance()
            return self._raise(base, self._unary(), op)
        return base

    def _postfix(self) -> Node:
        node = self._atom()
        while self._is_op(".T"):
            op = self._advance()
            if node.shape == SCALAR:
                self._fail("cannot transpose a scalar", op, hint="remove the .T; only matrices and vectors have "
                           "transposes", operands=(node,))
            node = node.with_expr(sp.transpose(node.expr).doit(), _TRANSPOSED[node.shape])
        return node

    def _atom(self) -> Node:
        tok = self._tok
        if tok.kind == "number":
            self._advance()
            value = Fraction(tok.text)  # matches digits[.digits][e[+-]digits]: exact, never a float
            return Node(sp.Rational(value.numerator, value.denominator), SCALAR, tok.column)
        if tok.kind == "name":
            self._advance()
            if self._is_op("("):
                return self._call(tok)
            return self._name(tok)
        if self._is_op("("):
            opening = self._advance()
            inner = self._sum()
            if not self._is_op(")"):
                self._expect_closing(opening)
            self._advance()
            return Node(inner.expr, inner.shape, opening.column, inner.parameters, inner.matrices, inner.vectors)
        self._expected_operand()

    def _name(self, tok: Token) -> Node:
        name = tok.text
        if name in FUNCTIONS:
            example = "diag(r)" if name == "diag" else f"{name}(x)"
            raise InputError(f"'{name}' is a function and needs an argument in parentheses", column=tok.column,
                             symbol=name, hint=f"call it, e.g. {example}")
        if name == "W":
            return Node(W, MATRIX, tok.column)
        if name == "I":
            return Node(sp.Identity(N), MATRIX, tok.column)
        if name == "n":
            return Node(N, SCALAR, tok.column)
        if name in self._symbols.parameters:
            return Node(sp.Symbol(name, real=True), SCALAR, tok.column, parameters=frozenset({name}))
        if name in self._symbols.matrices:
            return Node(sp.MatrixSymbol(name, N, N), MATRIX, tok.column, matrices=frozenset({name}))
        self._first_column.setdefault(name, tok.column)
        return Node(sp.MatrixSymbol(name, N, 1), VECTOR, tok.column, vectors=frozenset({name}))

    def _call(self, name_tok: Token) -> Node:
        name = name_tok.text
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, sorted(FUNCTIONS), n=1, cutoff=0.75)
            known = ", ".join(sorted(FUNCTIONS))
            if close:
                hint = f"did you mean '{close[0]}'? Known functions: {known}"
            else:
                hint = f"known functions: {known}; to multiply, write {name}*(...)"
            raise InputError(f"unknown function '{name}'", column=name_tok.column, symbol=name, hint=hint)
        opening = self._advance()
        args: list[Node] = []
        if self._is_op(")"):
            self._advance()
        else:
            while True:
                args.append(self._sum())
                if self._is_op(","):
                    self._advance()
                    continue
                if self._is_op(")"):
                    self._advance()
                    break
                self._expect_closing(opening, function=name)
        return self._apply(name_tok, args)



    def _expect_closing(self, opening: Token, function: str | None = None) -> NoReturn:
        tok = self._tok
        if tok.kind == "end":
            raise InputError(f"missing ')' to close the '(' at column {opening.column}", column=opening.column,
                             symbol="(", hint="add the closing parenthesis")
        if function is not None:
            raise InputError(f"expected ',' or ')' in the arguments of {function}, found '{tok.raw}'",
                             column=tok.column, symbol=tok.raw,
                             hint="separate arguments with commas; write * between factors")
        if tok.text == ",":
            raise InputError("a comma is only allowed between the arguments of a function call",
                             column=tok.column, symbol=",", hint="tuples are not supported; remove the comma")
        raise InputError(f"expected ')' or an operator, found '{tok.raw}'", column=tok.column, symbol=tok.raw,
                         hint="insert an operator such as * (implicit multiplication is not supported)")

    def _expected_operand(self) -> NoReturn:
        tok, prev = self._tok, self._prev
        if tok.kind == "end":
            if prev is None:
                raise InputError("empty expression", column=1, hint="write a formula")
            raise InputError(f"the expression ends after '{prev.raw}' where an operand was expected",
                             column=prev.column, symbol=prev.raw, hint=f"complete the expression after '{prev.raw}'")
        if tok.text == ",":
            raise InputError("a comma is only allowed between the arguments of a function call",
                             column=tok.column, symbol=",",
                             hint="tuples are not supported; in a call, write an argument on both sides of ','")
        if tok.text == ")":
            if prev is not None and prev.text == ",":
                raise InputError("missing argument after ','", column=prev.column, symbol=",",
                                 hint="remove the trailing comma or add the missing argument")
            if prev is not None and prev.text == "(":
                raise InputError("empty parentheses", column=prev.column, symbol="()",
                                 hint="put an expression inside the parentheses")
            raise InputError("unexpected ')' where an operand was expected", column=tok.column, symbol=")",
                             hint="remove it, or complete the expression before it")
        if tok.text == ".T":
            raise InputError(f"'{tok.raw}' must follow a matrix or a vector", column=tok.column, symbol=tok.raw,
                             hint="write it right after what it transposes, e.g. r.T")
        raise InputError(f"expected an operand (a number, a name or '(') but found '{tok.raw}'",
                         column=tok.column, symbol=tok.raw, hint=f"'{tok.raw}' needs an operand on each side")

    def _unexpected_after_expression(self) -> NoReturn:
        tok = self._tok
        if tok.text == ")":
            raise InputError("unmatched ')'", column=tok.column, symbol=")",
                             hint="remove it or add a matching '(' before it")
        if tok.text == ",":
            raise InputError("a comma is only allowed between the arguments of a function call",
                             column=tok.column, symbol=",", hint="an expression is a single formula")
        if tok.kind in ("name", "number"):
            raise InputError(f"unexpected {tok.kind} '{tok.raw}' after a complete expression", column=tok.column,
                             symbol=tok.raw, hint="insert an operator such as * (implicit multiplication is not "
                             "supported)")
        if tok.text == "(":
            raise InputError("unexpected '('", column=tok.column, symbol="(",
                             hint="write * to multiply, e.g. 2*(x + y); only the known functions can be called")
        raise InputError(f"unexpected '{tok.raw}'", column=tok.column, symbol=tok.raw,
                         hint="check the operators around it")
