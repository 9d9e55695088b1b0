"""Tests of the whitelisting expression parser: DESIGN examples, bad inputs with their messages, no code execution,
and round trips through `format_expression` for random well-shaped SymPy expressions."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
from fractions import Fraction
from types import ModuleType

import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

import certify.lang.parse as parse_module
from certify.errors import InputError
from certify.kernel.activations import ACTIVATIONS, activation_by_sympy
from certify.lang.parse import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    RESERVED,
    N,
    ParsedExpression,
    Symbols,
    W,
    apply_activation,
    canonical,
    check_name,
    format_expression,
    parse_expression,
    parse_weight_flow,
)

SYMBOLS = Symbols(parameters=frozenset({"gamma", "k", "a"}), matrices=frozenset({"K"}))
gamma, k, a = (sp.Symbol(name, real=True) for name in ("gamma", "k", "a"))
K = sp.MatrixSymbol("K", N, N)
I = sp.Identity(N)  # noqa: E741 - the grammar's name for the identity
r, rbar, u, v, x = (sp.MatrixSymbol(name, N, 1) for name in ("r", "rbar", "u", "v", "x"))


def parse(text: str) -> ParsedExpression:
    return parse_expression(text, SYMBOLS)


# ------------------------------------------------------------------------------------------- DESIGN examples


def test_design_examples_parse_to_the_objects_sympy_operators_build() -> None:
    assert parse("-gamma*W - k*r*r.T").expr == -gamma * W - k * r * r.T
    assert parse("k*(r - rbar)*(r - rbar).T").expr == k * (r - rbar) * (r - rbar).T
    # diag/hadamard nodes are canonicalised with .doit(), as SymPy's operators do with their operands
    assert parse("-diag(hadamard(r, r))*W").expr == -sp.DiagMatrix(sp.HadamardPower(r, 2)) * W
    assert parse("-diag(hadamard(r, r))*W").expr == -sp.DiagMatrix(sp.HadamardProduct(r, r).doit()) * W
    assert parse("-hadamard(K, r*r.T)").expr == -sp.HadamardProduct(K, r * r.T)
    assert parse("u*v.T - v*u.T").expr == u * v.T - v * u.T
    assert parse_weight_flow("0", SYMBOLS).expr == sp.ZeroMatrix(N, N)
    t = apply_activation("tanh", x)
    assert parse("tanh(x)*tanh(x).T").expr == t * t.T


def test_design_example_shapes_and_names() -> None:
    parsed = parse("-gamma*W - k*r*r.T")
    assert parsed.shape == "matrix"
    assert parsed.parameters == {"gamma", "k"} and parsed.matrices == frozenset() and parsed.vectors == {"r"}
    parsed = parse("-hadamard(K, r*r.T)")
    assert parsed.matrices == {"K"} and parsed.vectors == {"r"} and parsed.parameters == frozenset()
    flow = parse_weight_flow("0", SYMBOLS)
    assert flow.shape == "matrix" and isinstance(flow.expr, sp.ZeroMatrix)


def test_k_r_rT_is_exactly_sympys_matmul_with_the_scalar_coefficient() -> None:
    expr = parse("k*r*r.T").expr
    assert expr == k * r * r.T
    assert isinstance(expr, sp.MatMul) and expr.args == (k, r, sp.Transpose(r))


def test_elementwise_activation_structure() -> None:
    expr = parse("tanh(x)").expr
    assert isinstance(expr, ElementwiseApplyFunction) and expr.expr == x
    assert activation_by_sympy(expr.function) is ACTIVATIONS["tanh"]
    assert parse("tanh(x)").expr == parse("tanh(x)").expr  # a fixed bound variable: equal across parses
    for name, act in ACTIVATIONS.items():
        assert activation_by_sympy(parse(f"{name}(r)").expr.function) is act
        assert parse(f"{name}(k)").expr == act.sympy(k)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", sp.Integer(2)),
        ("0.5", sp.Rational(1, 2)),
        ("1e-3", sp.Rational(1, 1000)),
        ("2.5E2", sp.Integer(250)),
        ("-k^2", -(k**2)),
        ("2^-1", sp.Rational(1, 2)),
        ("a^k^2", a ** (k**2)),
        ("a**2", a**2),
        ("k/2/a", k / 2 / a),
        ("n", N),
        ("sqrt(a)", sp.sqrt(a)),
        ("sqrt(9/4)", sp.Rational(3, 2)),
        ("8^(1/3)", sp.Integer(2)),
        ("exp(0) + tanh(0) + abs(-2)", sp.Integer(3)),
        ("exp(k) + abs(a)", sp.exp(k) + sp.Abs(a)),
        ("W.T^2", W.T**2),
        ("(W^2).T", (W**2).T),
        ("Wᵀ", W.T),
        ("W − W.T", W - W.T),
        ("W/2", W / 2),
        ("n*I", N * I),
        ("sym(K)", (K + K.T) / 2),
        ("r∘u", sp.HadamardProduct(r, u)),
        ("hadamard(r, u, x)", sp.HadamardProduct(r, u, x).doit()),
        ("diag(2*r)", 2 * sp.DiagMatrix(r)),
        ("x.T*(r*r.T)", x.T * (r * r.T)),
        ("+W", W),
        ("zeros(n, 1)", sp.ZeroMatrix(N, 1)),
        ("r - r", sp.ZeroMatrix(N, 1)),
        ("(a + k)*W*W", (a + k) * W * W),
        ("\tW\n + K ", W + K),
    ],
)
def test_valid_expressions(text: str, expected: sp.Basic) -> None:
    assert parse(text).expr == expected


def test_shapes_are_reported() -> None:
    assert parse("k + 1").shape == "scalar"
    assert parse("W*r").shape == "vector"
    assert parse("r.T*W").shape == "covector"
    assert parse("r*u.T").shape == "matrix"


# ----------------------------------------------------------------------------------------------- bad inputs

BAD_INPUTS = [
    # (text, substring of the message, column, symbol)
    ("", "empty expression", 1, None),
    ("   ", "empty expression", 1, None),
    ("(x", "missing ')'", 1, "("),
    ("x)", "unmatched ')'", 2, ")"),
    ("(x))", "unmatched ')'", 4, ")"),
    ("'x'", "strings are not allowed", 1, "'"),
    ('W + "x"', "strings are not allowed", 5, '"'),
    ("_x", "must start with a letter", 1, "_x"),
    ("r.shape", "attribute access '.shape'", 2, ".shape"),
    ("x.t", "attribute access '.t'", 2, ".t"),
    ("W.Tx", "attribute access '.Tx'", 2, ".Tx"),
    ("lambda", "keyword", 1, "lambda"),
    ("W + import", "keyword", 5, "import"),
    ("x[0]", "unexpected character '['", 2, "["),
    ("x]", "unexpected character ']'", 2, "]"),
    ("{x}", "unexpected character '{'", 1, "{"),
    ("x; y", "unexpected character ';'", 2, ";"),
    ("x = y", "unexpected character '='", 3, "="),
    ("x@W", "unexpected character '@'", 2, "@"),
    ("γ*W", "unexpected character 'γ'", 1, "γ"),
    ("x, y", "comma", 2, ","),
    ("(x, y)", "comma", 3, ","),
    ("foo(x)", "unknown function 'foo'", 1, "foo"),
    ("k(x)", "unknown function 'k'", 1, "k"),
    ("tanh", "is a function", 1, "tanh"),
    ("diag(r, u)", "diag takes exactly 1 argument (2 given)", 1, "diag"),
    ("hadamard(r)", "hadamard takes at least 2 arguments (1 given)", 1, "hadamard"),
    ("sqrt()", "sqrt takes exactly 1 argument (0 given)", 1, "sqrt"),
    ("x y", "unexpected name 'y'", 3, "y"),
    ("W 2", "unexpected number '2'", 3, "2"),
    ("2x", "missing operator between the number '2' and 'x'", 1, "2x"),
    ("1_000", "missing operator", 1, "1_000"),
    ("r.T()", "unexpected '('", 4, "("),
    ("x +", "ends after '+'", 3, "+"),
    ("x**", "ends after '**'", 2, "**"),
    ("*x", "expected an operand", 1, "*"),
    ("x ^ ^ 2", "expected an operand", 5, "^"),
    ("()", "empty parentheses", 1, "()"),
    ("diag(r,)", "missing argument after ','", 7, ","),
    ("diag(,r)", "comma", 6, ","),
    ("2.", "unexpected '.'", 2, "."),
    (".5", "must start with a digit", 1, ".5"),
    ("1e99999", "out of range", 1, "1e99999"),
    ("W + r", "cannot add an n×n matrix and an n×1 vector", 3, "+"),
    ("W - r", "cannot subtract an n×1 vector from an n×n matrix", 3, "-"),
    ("W + 1", "cannot add an n×n matrix and a scalar", 3, "+"),
    ("r + r.T", "cannot add an n×1 vector and a 1×n covector", 3, "+"),
    ("r.T*r", "inner products", 4, "*"),
    ("k*r.T*W*r", "inner products", 8, "*"),
    ("W*r.T", "cannot multiply an n×n matrix by a 1×n covector", 2, "*"),
    ("r*u", "cannot multiply an n×1 vector by an n×1 vector", 2, "*"),
    ("r/W", "only division by a scalar", 2, "/"),
    ("k/0", "division by zero", 2, "/"),
    ("W/(k - k)", "division by zero", 2, "/"),
    ("0^(-1)", "division by zero", 2, "^"),
    ("(-1)^(1/2)", "not a real number", 5, "^"),
    ("sqrt(-2)", "not a real number", 1, "sqrt"),
    ("sqrt(2)*W", "the constant sqrt(2) is not a rational number", 1, "sqrt"),
    ("2^(1/3)", "the constant 2^(1/3) is not a rational number", 2, "^"),
    ("exp(1)", "the constant exp(1) is not a rational number", 1, "exp"),
    ("k*tanh(1/2)", "not a rational number", 3, "tanh"),
    ("sqrt(2*k)", "the constant sqrt(2)", 1, "sqrt"),
    ("2^100000", "constant too large", 2, "^"),
    ("W^(1/2)", "positive integer exponent", 2, "^"),
    ("W^0", "positive integer exponent", 2, "^"),
    ("W^k", "positive integer exponent", 2, "^"),
    ("W^r", "exponent must be a scalar", 2, "^"),
    ("r^2", "cannot raise an n×1 vector to a power", 2, "^"),
    ("k.T", "cannot transpose a scalar", 2, ".T"),
    ("diag(W)", "diag takes an n×1 vector, not an n×n matrix", 1, "diag"),
    ("diag(r.T)", "not a 1×n covector", 1, "diag"),
    ("sym(r)", "sym takes an n×n matrix", 1, "sym"),
    ("sqrt(r)", "scalars only", 1, "sqrt"),
    ("exp(W)", "scalars only", 1, "exp"),
    ("tanh(W)", "scalars and n×1 vectors", 1, "tanh"),
    ("tanh(relu(x))", "compositions", 1, "tanh"),
    ("r ∘ W", "element-wise product of an n×1 vector and an n×n matrix", 3, "∘"),
    ("hadamard(k, k)", "not a scalar", 1, "hadamard"),
    ("zeros(n, k)", "n or 1", 1, "zeros"),
    ("zeros(1, 1)", "scalar", 1, "zeros"),
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "nested too deeply", MAX_DEPTH + 1, "("),
    ("-" * (MAX_DEPTH + 5) + "x", "nested too deeply", MAX_DEPTH + 1, "-"),
    ("x" * (MAX_LENGTH + 1), "too long", MAX_LENGTH + 1, None),
    ("*".join(["W∘K"] * 60), "nested too deeply", 1, None),  # no parentheses, but SymPy's tree nests
    ("k*(K + " * 9 + "W" + ")" * 9, "matrix expression nested too deeply", 8, None),
]


@pytest.mark.parametrize(("text", "message", "column", "symbol"), BAD_INPUTS)
def test_bad_input_is_an_input_error_with_position_and_hint(text: str, message: str, column: int,
                                                           symbol: str | None) -> None:
    with pytest.raises(InputError) as info:
        parse(text)
    error = info.value
    assert message in error.message
    assert error.column == column
    assert error.symbol == symbol
    assert error.hint  # every error says how to fix it


def test_unknown_function_hint_lists_the_known_functions() -> None:
    with pytest.raises(InputError) as info:
        parse("tahn(x)")
    assert "did you mean 'tanh'?" in info.value.hint
    for name in FUNCTIONS:
        assert name in info.value.hint


def test_misspelt_parameter_taken_as_vector_gets_a_did_you_mean_hint() -> None:
    with pytest.raises(InputError) as info:
        parse("-gama*W - k*r*r.T")
    error = info.value
    assert "cannot multiply an n×1 vector by an n×n matrix" in error.message
    assert error.hint == ("did you mean 'gamma'? Names not declared under [parameters] or [matrices] are activity "
                          "vectors of length n.")
    assert error.symbol == "gama" and error.column == 2
    with pytest.raises(InputError) as info:
        parse("W + k*Gamma")
    assert info.value.hint.startswith("did you mean 'gamma'?") and info.value.column == 7
    with pytest.raises(InputError) as info:
        parse_expression("W*Kmatrx + W", Symbols(matrices=frozenset({"Kmatrix"})))
    assert info.value.hint.startswith("did you mean 'Kmatrix'?")


def test_shape_error_without_a_near_name_keeps_the_operator_hint() -> None:
    with pytest.raises(InputError) as info:
        parse("W + 1")
    assert "c*I" in info.value.hint and info.value.symbol == "+"


def test_code_injection_is_rejected_and_runs_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for text in ["__import__('os').system('touch pwned')", "os.system('touch pwned')",
                 "exec('open(\"pwned\", \"w\")')", "eval('1')"]:
        with pytest.raises(InputError):
            parse(text)
    assert not (tmp_path / "pwned").exists()
    assert os.listdir(tmp_path) == []
    with pytest.raises(InputError) as info:
        parse("__import__('os').system('touch pwned')")
    assert info.value.column == 1 and info.value.symbol == "__import__"


def _parser_modules() -> list[ModuleType]:
    """certify.lang.parse and every certify.lang module it imports, directly or through another."""
    seen: dict[str, ModuleType] = {}
    todo = [parse_module.__name__]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen[name] = module = importlib.import_module(name)
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("certify.lang."):
                todo.append(node.module)
    return list(seen.values())


def test_the_parser_never_calls_a_code_parser() -> None:
    modules = _parser_modules()
    assert {m.__name__.rsplit(".", 1)[1] for m in modules} >= {"parse", "tokens", "grammar", "operations", "printing"}
    banned = {"eval", "exec", "sympify", "_sympify", "parse_expr", "__import__", "S", "literal_eval", "lambdify",
              "import_module"}
    for module in modules:
        where = module.__name__
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name):
                    assert func.id not in banned | {"compile"}, f"{where} calls {func.id} at line {node.lineno}"
                elif isinstance(func, ast.Attribute):  # re.compile is fine; sp.sympify, sp.S("...") are not
                    assert func.attr not in banned, f"{where} calls {func.attr} at line {node.lineno}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [n.name for n in node.names]
                assert not any("parsing" in m for m in names), f"{where} imports {names}"


def test_non_string_input_is_an_input_error() -> None:
    with pytest.raises(InputError, match="must be a string"):
        parse_expression(0, SYMBOLS)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- weight flows


@pytest.mark.parametrize("text", ["0", "0.0", "(0)", " 0 ", "2*0", "k - k"])
def test_weight_flow_zero_is_the_zero_matrix(text: str) -> None:
    assert parse_weight_flow(text, SYMBOLS).expr == sp.ZeroMatrix(N, N)


def test_weight_flow_rejects_other_scalars_with_a_c_times_I_hint() -> None:
    with pytest.raises(InputError) as info:
        parse_weight_flow("gamma", SYMBOLS)
    assert "n×n matrix" in info.value.message and "write gamma*I" in info.value.hint
    with pytest.raises(InputError) as info:
        parse_weight_flow("a + k", SYMBOLS)
    assert "write (a + k)*I" in info.value.hint


@pytest.mark.parametrize(("text", "shape"), [("r", "n×1 vector"), ("r.T*W", "1×n covector")])
def test_weight_flow_rejects_vectors(text: str, shape: str) -> None:
    with pytest.raises(InputError, match=shape):
        parse_weight_flow(text, SYMBOLS)


def test_weight_flow_keeps_matrices() -> None:
    assert parse_weight_flow("-gamma*W", SYMBOLS).expr == -gamma * W


# -------------------------------------------------------------------------------------------- names, Symbols


@pytest.mark.parametrize("name", ["gamma", "k", "K2", "r_bar", "T", "x1"])
def test_check_name_accepts_identifiers(name: str) -> None:
    check_name(name, "parameter")


@pytest.mark.parametrize(("name", "message"), [
    ("", "empty"), ("_x", "start with an ASCII letter"), ("1x", "start with an ASCII letter"),
    ("x-y", "contains '-'"), ("γ", "start with an ASCII letter"), ("W", "reserved"), ("I", "reserved"),
    ("n", "reserved"), ("tanh", "reserved"), ("diag", "reserved"), ("lambda", "keyword"), ("None", "keyword"),
])
def test_check_name_rejects(name: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        check_name(name, "parameter")
    assert info.value.hint


def test_reserved_names() -> None:
    assert {"W", "I", "n", "tanh", "sigmoid", "relu", "abs", "diag", "hadamard", "sym", "sqrt", "exp"} <= RESERVED


def test_symbols_validate_their_names() -> None:
    with pytest.raises(InputError, match="both as a parameter and as a matrix"):
        Symbols(parameters=frozenset({"K"}), matrices=frozenset({"K"}))
    with pytest.raises(InputError, match="reserved"):
        Symbols(parameters=frozenset({"W"}))
    with pytest.raises(TypeError):
        Symbols(parameters="gamma")  # type: ignore[arg-type]
    assert Symbols(parameters={"a"}).parameters == frozenset({"a"})  # type: ignore[arg-type]


def test_declared_names_resolve_to_their_kinds() -> None:
    assert parse("K").expr == K and parse("K").shape == "matrix"
    assert parse("gamma").expr == gamma and parse("gamma").shape == "scalar"
    assert parse("q").expr == sp.MatrixSymbol("q", N, 1) and parse("q").vectors == {"q"}


# ---------------------------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(("text", "canonical"), [
    ("-gamma*W - k*r*r.T", "-gamma*W - k*r*r.T"),
    ("k*(r - rbar)*(r - rbar).T", "k*(r - rbar)*(r.T - rbar.T)"),
    ("u*v.T - v*u.T", "u*v.T - v*u.T"),
    ("1e-3*W", "1/1000*W"),
    ("0*W", "zeros(n, n)"),
    ("W∘K", "hadamard(K, W)"),
    ("x.T*W*(r*r.T)", "x.T*(W*r*r.T)"),
    ("sqrt(k)/(a + 1)", "sqrt(k)/(a + 1)"),
    ("exp(2*k)*a^(1/2)", "sqrt(a)*exp(2*k)"),
    ("k/(a*gamma)*W", "k/a/gamma*W"),
])
def test_canonical_text(text: str, canonical: str) -> None:
    assert format_expression(parse(text).expr) == canonical


@pytest.mark.parametrize(("expr", "canonical_text"), [
    (sp.Mul(-1, 1 / gamma, gamma + k), "-1/gamma*(gamma + k)"),  # not -(gamma + k)/gamma: -(...) distributes
    (sp.Mul(2, a + 1, k + 1), "2*((a + 1)*(k + 1))"),  # not 2*(a + 1)*(k + 1): 2*(a + 1) distributes
    (sp.Mul(-1, a + 1, k + 1), "-((a + 1)*(k + 1))"),
    (sp.Mul(sp.Rational(-1, 2), a + 1, k + 1), "-1/2*((a + 1)*(k + 1))"),
    (sp.Mul(-1, a, k + 1), "-a*(k + 1)"),
])
def test_products_with_sums_are_written_so_that_they_read_back(expr: sp.Expr, canonical_text: str) -> None:
    assert format_expression(expr) == canonical_text
    assert parse(canonical_text).expr == expr


def test_format_rejects_objects_outside_the_language() -> None:
    for expr in [sp.Float(0.5), sp.Symbol("k"), sp.pi, sp.sin(k), sp.MatrixSymbol("A", 3, 3), sp.Inverse(W)]:
        with pytest.raises(ValueError):
            format_expression(expr)


# ----------------------------------------------------------------------------------- random SymPy expressions

SCALAR, MATRIX, VECTOR, COVECTOR = "scalar", "matrix", "vector", "covector"
SHAPES = [SCALAR, MATRIX, VECTOR, COVECTOR]
VECTORS = [r, u, x]

small_rationals = st.fractions(min_value=-4, max_value=4, max_denominator=3).map(
    lambda f: sp.Rational(f.numerator, f.denominator))


def leaves(shape: str) -> st.SearchStrategy[sp.Basic]:
    if shape == SCALAR:
        return st.one_of(small_rationals, st.sampled_from([gamma, k, a, N]))
    if shape == MATRIX:
        return st.sampled_from([W, K, I])
    if shape == VECTOR:
        return st.sampled_from(VECTORS)
    return st.sampled_from([vec.T for vec in VECTORS])


def rational_constants(expr: sp.Basic) -> bool:
    return all(node.is_Rational for node in sp.preorder_traversal(expr) if isinstance(node, sp.Expr) and node.is_number)


def diag(vec: sp.Basic) -> sp.Basic:
    """The documented meaning of diag(v)."""
    return sp.ZeroMatrix(N, N) if isinstance(vec, sp.ZeroMatrix) else sp.DiagMatrix(vec).doit()


def hadamard(*args: sp.Basic) -> sp.Basic:
    return sp.HadamardProduct(*args).doit()


def transpose(expr: sp.Basic) -> sp.Basic:
    return expr.T.doit()


@st.composite
def expressions(draw, shape: str, depth: int = 3) -> sp.Basic:
    """Well-shaped SymPy expressions built with SymPy's operators and the documented constructors."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(leaves(shape))

    def sub(sub_shape: str) -> sp.Basic:
        return draw(expressions(sub_shape, depth - 1))

    def nonzero_scalar() -> sp.Basic:
        value = sub(SCALAR)
        return value if value != 0 else sp.Integer(3)

    if shape == SCALAR:
        op = draw(st.sampled_from(["add", "sub", "mul", "div", "neg", "pow", "act", "exp", "sqrt"]))
        if op == "add":
            return sub(SCALAR) + sub(SCALAR)
        if op == "sub":
            return sub(SCALAR) - sub(SCALAR)
        if op == "mul":
            return sub(SCALAR) * sub(SCALAR)
        if op == "div":
            return sub(SCALAR) / nonzero_scalar()
        if op == "neg":
            return -sub(SCALAR)
        if op == "pow":
            base = nonzero_scalar()
            exponent = draw(st.one_of(st.integers(-3, 3).map(sp.Integer), st.sampled_from([k, N])))
            return base**exponent
        if op == "act":
            value = draw(st.sampled_from(list(ACTIVATIONS.values()))).sympy(sub(SCALAR))
        elif op == "exp":
            value = sp.exp(sub(SCALAR))
        else:
            value = sub(SCALAR)
            value = sp.sqrt(-value if value.is_number and value.is_negative else value)
        assume(not value.has(sp.I))  # the parser rejects values that are not real, e.g. sqrt(-n),
        assume(rational_constants(value))  # and irrational constants such as sqrt(2) or tanh(1)
        return value
    if shape == MATRIX:
        op = draw(st.sampled_from(["add", "sub", "scale", "scale_right", "mul", "outer", "transpose", "diag",
                                   "hadamard", "sym", "pow", "neg", "div"]))
        if op == "add":
            return sub(MATRIX) + sub(MATRIX)
        if op == "sub":
            return sub(MATRIX) - sub(MATRIX)
        if op == "scale":
            return sub(SCALAR) * sub(MATRIX)
        if op == "scale_right":
            return sub(MATRIX) * sub(SCALAR)
        if op == "mul":
            return sub(MATRIX) * sub(MATRIX)
        if op == "outer":
            return sub(VECTOR) * sub(COVECTOR)
        if op == "transpose":
            return transpose(sub(MATRIX))
        if op == "diag":
            return diag(sub(VECTOR))
        if op == "hadamard":
            return hadamard(sub(MATRIX), sub(MATRIX))
        if op == "sym":
            matrix = sub(MATRIX)
            return (matrix + transpose(matrix)) / 2
        if op == "pow":
            return sub(MATRIX) ** draw(st.integers(1, 3))
        if op == "neg":
            return -sub(MATRIX)
        return sub(MATRIX) / nonzero_scalar()
    if shape == VECTOR:
        op = draw(st.sampled_from(["add", "sub", "scale", "apply", "hadamard", "act", "neg", "transpose", "div"]))
        if op == "add":
            return sub(VECTOR) + sub(VECTOR)
        if op == "sub":
            return sub(VECTOR) - sub(VECTOR)
        if op == "scale":
            return sub(SCALAR) * sub(VECTOR)
        if op == "apply":
            return sub(MATRIX) * sub(VECTOR)
        if op == "hadamard":
            return hadamard(sub(VECTOR), sub(VECTOR))
        if op == "act":
            arg = sub(VECTOR)
            assume(not isinstance(arg, ElementwiseApplyFunction))  # compositions are rejected by design
            return apply_activation(draw(st.sampled_from(sorted(ACTIVATIONS))), arg)
        if op == "neg":
            return -sub(VECTOR)
        if op == "transpose":
            return transpose(sub(COVECTOR))
        return sub(VECTOR) / nonzero_scalar()
    op = draw(st.sampled_from(["add", "scale", "apply", "hadamard", "neg", "transpose"]))
    if op == "add":
        return sub(COVECTOR) + sub(COVECTOR)
    if op == "scale":
        return sub(SCALAR) * sub(COVECTOR)
    if op == "apply":
        return sub(COVECTOR) * sub(MATRIX)
    if op == "hadamard":
        return hadamard(sub(COVECTOR), sub(COVECTOR))
    if op == "neg":
        return -sub(COVECTOR)
    return transpose(sub(VECTOR))


@given(shape=st.sampled_from(SHAPES), data=st.data())
def test_format_then_parse_gives_back_the_same_object(shape: str, data: st.DataObject) -> None:
    expr = canonical(data.draw(expressions(shape)))  # what the parser builds: SymPy's operators, then canonical
    text = format_expression(expr)
    parsed = parse(text)
    assert parsed.expr == expr, (text, sp.srepr(expr), sp.srepr(parsed.expr))
    assert parsed.shape == shape
    assert format_expression(parsed.expr) == text


TOKENS = ["W", "I", "n", "K", "k", "gamma", "r", "x", "0", "1", "2", "0.5", "1e-3", "+", "-", "*", "/", "^", "**",
          "∘", ".T", "ᵀ", "(", ")", ",", " ", "tanh(", "relu(", "abs(", "sigmoid(", "diag(", "hadamard(", "sym(",
          "sqrt(", "exp(", "zeros(", ".", "_", "'", "[", "e", "−"]


@given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(TOKENS), max_size=24).map("".join)))
def test_any_text_parses_or_raises_input_error(text: str) -> None:
    try:
        parsed = parse(text)
    except InputError as error:
        assert error.message and not error.message.startswith("internal error"), error
        assert error.column is not None and 1 <= error.column <= len(text) + 1
        assert error.hint
        return
    assert parsed.shape in SHAPES
    assert canonical(parsed.expr) == parsed.expr
    text = format_expression(parsed.expr)  # whatever the parser produces can be printed and read back
    assert parse(text).expr == parsed.expr


@given(shape=st.sampled_from(SHAPES), data=st.data())
def test_the_strategy_builds_expressions_of_the_shape_asked_for(shape: str, data: st.DataObject) -> None:
    expr = data.draw(expressions(shape))
    dims = {MATRIX: (N, N), VECTOR: (N, 1), COVECTOR: (1, N)}
    if shape == SCALAR:
        assert not getattr(expr, "is_Matrix", False)
    else:
        assert tuple(expr.shape) == dims[shape]
    assert not expr.atoms(sp.Float)


def test_canonical_makes_equal_texts_equal_objects() -> None:
    assert -(r - u) != u - r  # SymPy's operators: the sign is distributed, the sum left unsorted
    assert canonical(-(r - u)) == u - r
    assert parse("-(r - u)").expr == parse("u - r").expr == u - r
    assert canonical(0 * (W + K)) == sp.ZeroMatrix(N, N)
    assert parse("0*(W + K)").expr == sp.ZeroMatrix(N, N)
    assert canonical(-gamma * W - k * r * r.T) == -gamma * W - k * r * r.T


def test_numbers_are_exact_rationals_never_floats() -> None:
    value = parse("0.1").expr
    assert value == sp.Rational(1, 10) and isinstance(value, sp.Rational)
    assert not parse("1.5e-2*W").expr.atoms(sp.Float)
    assert parse("0.1").expr == sp.Rational(Fraction("0.1").numerator, Fraction("0.1").denominator)


def test_long_flat_sums_stay_fast() -> None:
    text = " + ".join(f"diag(r{i})*W" for i in range(60))
    parsed = parse(text)
    assert len(parsed.vectors) == 60
    assert parse(format_expression(parsed.expr)).expr == parsed.expr
