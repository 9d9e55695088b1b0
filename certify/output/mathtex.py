"""Mathematics for people: the kernel's checked steps and bounds typeset as LaTeX (SymPy's LaTeX printer) or as
plain text, simplified for display.

Display only. Every function here reads the objects the kernel checked (a Certificate's steps and their SymPy
arguments) and prints them; nothing here is ever handed back to the kernel, and no verdict depends on it. The
simplifications (`-(1) W` printed as `-W`, `(eta*n)/(eta/4)` as `4 n`, `exp(-(0) t) mu(W(0))` as `mu(W(0))`) are
SymPy's `cancel` on the printed copy: the certificate keeps the kernel's own expressions (JSON output and stored
certificates print those, exactly).

Long rationals (a denominator above 10^4, e.g. a rate found by a floating-point search and checked exactly) print
as 4 significant decimals marked as rounded; `Printer.exact` collects each exact value so that a report can give it
(a LaTeX footnote, a text line, the JSON output).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import sympy as sp

from certify.lang.parse import show

N = sp.Symbol("n", positive=True, integer=True)
T = sp.Symbol("t")
SHORT_DENOMINATOR = 10**4        # rationals with a larger denominator print as rounded decimals
DIGITS = 4

MU_TEXT = {"l1": "mu_1", "l2": "mu_2", "linf": "mu_inf"}
MU_TEX = {"l1": r"\mu_1", "l2": r"\mu_2", "linf": r"\mu_\infty"}
NORM_SUB = {"l1": "1", "l2": "2", "linf": "inf"}
NORM_TEX_SUB = {"l1": "1", "l2": "2", "linf": r"\infty"}


def is_long(x: Any) -> bool:
    """Whether a rational is too long to read (denominator above 10^4)."""
    try:
        return Fraction(x).denominator > SHORT_DENOMINATOR
    except (TypeError, ValueError):
        return False


def rounded(x: Fraction) -> str:
    """A long rational as 4 significant decimals (display only)."""
    return f"{float(Fraction(x)):.{DIGITS}g}"


def directed_decimal(x: Fraction, direction: str, digits: int = DIGITS) -> str:
    """x rounded to `digits` significant decimals, up (ceiling) or down (floor): a safe display of a bound."""
    # deferred: needed only on this path
    import math
    x = Fraction(x)
    if x == 0:
        return "0"
    exponent = math.floor(math.log10(abs(float(x))))
    scale = Fraction(10) ** (digits - 1 - exponent)
    scaled = x * scale
    k = math.ceil(scaled) if direction == "up" else math.floor(scaled)
    value = Fraction(k) / scale
    places = max(0, digits - 1 - exponent)
    text = f"{float(value):.{places}f}" if places else str(int(value))
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(x: Any) -> str:
    """A rational for people: exact when short, else 4 significant decimals followed by '~' (rounded)."""
    x = Fraction(x)
    return str(x) if not is_long(x) else f"{rounded(x)}~"


@dataclass
class Printer:
    """Prints SymPy objects as text (`show`, the rule grammar) or LaTeX (`sympy.latex`), display-simplified.
    `exact` collects (rounded text, exact text) for every long rational that was rounded."""

    fmt: str = "text"                # 'text' or 'latex'
    exact: list[tuple[str, str]] = field(default_factory=list)

    @property
    def tex(self) -> bool:
        return self.fmt == "latex"

    # -- expressions ------------------------------------------------------------------------------------------
    def _shorten(self, e: sp.Basic) -> sp.Basic:
        longs = {r for r in e.atoms(sp.Rational) if is_long(Fraction(int(r.p), int(r.q)))}
        if not longs:
            return e
        subs = {}
        for r in longs:
            value = Fraction(int(r.p), int(r.q))
            subs[r] = sp.Float(float(value), DIGITS)
            pair = (rounded(value), str(value))
            if pair not in self.exact:
                self.exact.append(pair)
        return e.xreplace(subs)

    def expr(self, e: Any, simplify: bool = True) -> str:
        """An expression (scalar or matrix), simplified for display, long rationals rounded."""
        if isinstance(e, Fraction):
            e = sp.Rational(e.numerator, e.denominator)
        if isinstance(e, int) and not isinstance(e, bool):
            e = sp.Integer(e)
        if not isinstance(e, sp.Basic):
            return self.words(str(e))
        if simplify and not getattr(e, "is_Matrix", False) and isinstance(e, sp.Expr):
            try:
                e = sp.cancel(e)
            except Exception:  # display only: print the kernel's expression unchanged
                pass
        e = self._shorten(e)
        if self.tex:
            return _latex(e)
        text = show(e)
        return re.sub(r"(\d\.\d*?)0*\b", r"\1", text) if e.atoms(sp.Float) else text

    def directed(self, x: Any, direction: str) -> str:
        """A number that is a bound: exact when short, else 4 significant decimals rounded in the safe direction
        ('up' for an upper bound such as the onset time T, 'down' for a lower bound such as a contraction rate),
        its exact value recorded in `exact`."""
        x = Fraction(x)
        if not is_long(x):
            return self.expr(x)
        text = directed_decimal(x, direction)
        pair = (text, str(x))
        if pair not in self.exact:
            self.exact.append(pair)
        return text

    def factor(self, e: Any) -> str:
        """An expression as a factor: parenthesised when it is a sum."""
        s = self.expr(e)
        if isinstance(e, sp.Basic) and (e.is_Add or getattr(e, "is_MatAdd", False) or isinstance(e, sp.MatAdd)):
            return rf"\left({s}\right)" if self.tex else f"({s})"
        return s

    def words(self, s: str) -> str:
        return rf"\text{{{_escape_text(s)}}}" if self.tex else s

    # -- pieces of notation -----------------------------------------------------------------------------------
    def mu(self, norm: str, arg: str, route: str = "measure") -> str:
        if route == "norm":
            return rf"\|{arg}\|_{{{NORM_TEX_SUB[norm]}}}" if self.tex else f"||{arg}||_{NORM_SUB[norm]}"
        return f"{MU_TEX[norm]}({arg})" if self.tex else f"{MU_TEXT[norm]}({arg})"

    def rel(self, op: str) -> str:
        return {"<=": r" \le ", ">=": r" \ge ", "=": " = ", "<": " < ", ">": " > "}[op] if self.tex else f" {op} "

    def exp(self, rate: sp.Basic) -> str | None:
        """e^{-rate t}; None when it is 1 (rate 0)."""
        e = sp.exp(-sp.cancel(rate) * T)
        e = self._shorten(e)
        if e == 1:
            return None
        return _latex(e) if self.tex else sp.sstr(e).replace("*", " ")

    def linear(self, terms: list[tuple[sp.Basic, str]], constant: sp.Basic = sp.Integer(0)) -> str:
        """c1 x1 + c2 x2 + ... + constant, with zero terms dropped and unit coefficients not printed."""
        out: list[str] = []
        for coef, thing in terms:
            coef = sp.cancel(coef)
            if coef == 0:
                continue
            if coef == 1:
                piece = thing
            elif coef == -1:
                piece = f"-{thing}"
            else:
                c = self.factor(coef)
                piece = f"{c} {thing}"
            out.append(piece)
        constant = sp.cancel(constant)
        if constant != 0 or not out:
            out.append(self.expr(constant))
        text = out[0]
        for piece in out[1:]:
            text += f" - {piece[1:]}" if piece.startswith("-") else f" + {piece}"
        return text

    def component(self, vec: sp.Basic, index: str) -> str:
        """The i-th component of a vector expression in its real names: r_i, (y - theta)_i."""
        if isinstance(vec, sp.MatrixSymbol):
            name = _latex(sp.Symbol(vec.name)) if self.tex else vec.name
            return f"{name}_{index}" if not self.tex or "_" not in name else f"({name})_{index}"
        inner = self.expr(vec)
        return rf"\left({inner}\right)_{index}" if self.tex else f"({inner})_{index}"

    def math(self, s: str) -> str:
        """Inline math in a mixed line: $...$ in LaTeX, unchanged in text."""
        return f"${s}$" if self.tex else s

    def footnote_lines(self) -> list[str]:
        """The exact values of the rationals printed rounded (text: one line each)."""
        return [f"{a} stands for {b}" for a, b in self.exact]


def _latex(e: sp.Basic) -> str:
    """SymPy's LaTeX, with '+ -' in matrix sums tidied to '-'."""
    text = re.sub(r"\+ -\s*", "- ", sp.latex(e))
    return text.replace(r"\operatorname{DiagMatrix}", r"\operatorname{diag}")


def _escape_text(s: str) -> str:
    return "".join({"\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#", "{": r"\{",
                    "}": r"\}", "$": r"\$", "^": r"\^{}", "~": r"\~{}"}.get(ch, ch) for ch in s)


# -- the kernel's steps ----------------------------------------------------------------------------------------

def step(s, norm: str, route: str, p: Printer) -> str:
    """One step of a certificate, in the real names of the rule, for text or LaTeX (a line that mixes words
    and inline math: `$...$` in LaTeX). Falls back to the kernel's own wording for a step it does not know."""
    fn = _STEPS.get(s.lemma)
    if fn is not None:
        try:
            return fn(s, norm, route, p)
        except Exception:  # display only: an unexpected argument shape prints the kernel's wording
            pass
    text = s.render(show)
    return p.words(text) if not p.tex else _escape_text(text)


def _split(s, norm, route, p):
    gamma, count = s.args
    rhs = p.linear([(-gamma, "W")], sp.Integer(0))
    if count == 0:
        return p.math(("\\dot W = " if p.tex else "dW/dt = ") + rhs) + ": no other terms"
    rhs = "G" if rhs == "0" else f"{rhs} + G"
    terms = f"the {count} term{'s' if count != 1 else ''} below"
    if p.tex:
        return (rf"$\dot W = {rhs}$, $G$ the sum of {terms}: an identity of non-commutative polynomials, "
                r"valid for every $n$")
    return f"dW/dt = {rhs}, G the sum of {terms}: an identity of non-commutative polynomials, valid for every n"


def _outer(s, norm, route, p):
    c, u, v, beta, ru, rv = s.args
    prod = _product(p, c, [u, v.T])
    lhs = p.mu(norm, prod, route)
    ui, vj = p.component(u, "i"), p.component(v, "j")
    cabs = rf"\left|{p.expr(c)}\right|" if p.tex else f"|{p.expr(c)}|"
    if p.tex:
        return (rf"${lhs} \le {cabs}\, n \max_i |{ui}| \max_j |{vj}| = {p.expr(beta)}$ since "
                rf"$|{ui}| \le {p.expr(ru)}$, $|{vj}| \le {p.expr(rv)}$")
    return (f"{lhs} <= {cabs} n max_i |{ui}| max_j |{vj}| = {p.expr(beta)}  since |{ui}| <= {p.expr(ru)}, "
            f"|{vj}| <= {p.expr(rv)}")


def _product(p: Printer, c, factors) -> str:
    """c u v^T with the coefficient and each factor printed on its own (the kernel's instantiation)."""
    body = " ".join(p.factor(f) for f in factors)
    c = sp.cancel(c)
    if c == 1:
        return body
    if c == -1:
        return f"-{body}"
    return f"{p.factor(c)} {body}"


def _gram(s, norm, route, p):
    c, A = s.args
    inner = "-" + _product(p, c, [A, A.T]) if sp.cancel(c) != -1 else _product(p, 1, [A, A.T])
    inner = inner.replace("--", "")
    head = p.mu("l2", inner)
    if getattr(sp.cancel(c), "is_number", False):
        return p.math(f"{head}{p.rel('<=')}0")
    return f"{p.math(head + p.rel('<=') + '0')} since {p.math(p.expr(c) + p.rel('>=') + '0')}"


def _congruence(s, norm, route, p):
    template, c, K = s.args
    head = p.math(p.mu("l2", p.expr(template, simplify=False)) + p.rel("<=") + "0")
    why = [] if getattr(sp.cancel(c), "is_number", False) else [p.math(p.expr(c) + p.rel(">=") + "0")]
    return f"{head} since " + " and ".join(why + [f"{p.math(p.expr(K))} is positive semidefinite"])


def _skew(s, norm, route, p):
    (S,) = s.args
    return f"{p.math(p.mu('l2', p.expr(S, simplify=False)) + p.rel('=') + '0')} since it is skew-symmetric"


def _scaled_identity(s, norm, route, p):
    c = s.args[0]
    lhs = p.mu(norm, f"{p.factor(c)} I", route)
    value = s.args[1] if len(s.args) > 1 else c
    return p.math(lhs + p.rel("=") + p.expr(value))


def _diagonal(s, norm, route, p):
    c, v, beta, iv = s.args
    diag = rf"\operatorname{{diag}}\left({p.expr(v)}\right)" if p.tex else f"diag({p.expr(v)})"
    lhs = p.mu(norm, f"{p.factor(c)} {diag}" if sp.cancel(c) != 1 else diag, route)
    where = str(iv)
    if p.tex:
        where = where.replace("inf", r"\infty")
        return rf"${lhs} \le {p.expr(beta)}$ since ${p.expr(v)} \in {where}$ componentwise"
    return f"{lhs} <= {p.expr(beta)}  since {p.expr(v)} in {where} componentwise"


def _decay(s, norm, route, p):
    M, delta = s.args
    left = not s.template.startswith("-W")
    m = rf"\left({p.expr(M)}\right)" if p.tex else f"({p.expr(M)})"
    term = f"-{m} W" if left else f"-W {m}"
    bound = (r"$\ge " + p.expr(delta) + "$") if p.tex else ">= " + p.expr(delta)
    return f"{p.math(term)}: a decay by a positive semidefinite matrix with smallest eigenvalue {bound}"


def _subadditivity(s, norm, route, p):
    (beta,) = s.args
    return f"the drive {p.math('G')} (the terms above) satisfies {p.math(p.mu(norm, 'G', route) + p.rel('<=') + p.expr(beta))}"


def _flow(s, norm, route, p):
    rate, beta = s.args
    m = p.mu(norm, "W", "norm" if s.lemma == "norm-flow" else "measure")
    dplus = rf"D^+ {m}" if p.tex else f"D+ {m}"
    body = dplus + p.rel("<=") + p.linear([(-rate, m)], beta)
    if s.lemma in ("row-scaling-decay", "column-scaling-decay"):
        return f"while {p.math(m + p.rel('>=') + '0')}: {p.math(body)}"
    return p.math(body)


def _below(s, norm, route, p):
    if p.tex:
        return r"$\mu(W) \le \|W\|$ in every induced norm"
    return "mu(W) <= ||W|| in every induced norm"


def _gronwall(s, norm, route, p):
    return p.math(bound_of(s, norm, p))


def _unit(s, norm, route, p):
    return "the bound holds for the weighted norm with unit weights"


_STEPS: dict[str, Callable] = {
    "split": _split, "outer-bound": _outer, "l2-neg-gram": _gram, "l2-neg-congruence": _congruence,
    "l2-neg-schur": _congruence, "l2-skew": _skew, "scaled-identity": _scaled_identity, "diagonal": _diagonal,
    "diagonal-decay": _decay, "gram-decay": _decay, "psd-decay": _decay, "subadditivity": _subadditivity,
    "measure-flow": _flow, "norm-flow": _flow, "row-scaling-decay": _flow, "column-scaling-decay": _flow,
    "measure-below-norm": _below, "gronwall": _gronwall, "unit-weights": _unit,
}


def bound_of(bound_step, norm: str, p: Printer) -> str:
    """The certified inequality (the kernel's 'gronwall' step), simplified for display, as math (no $...$)."""
    tmpl = bound_step.template
    args = bound_step.args
    mu_t, mu_0 = p.mu(norm, "W(t)"), p.mu(norm, "W(0)")
    le = p.rel("<=")
    if len(args) == 1:                                   # nonincreasing: mu(W(t)) <= e^{-gamma t} mu(W(0))
        e = p.exp(args[0])
        return mu_t + le + (f"{e} {mu_0}" if e else mu_0)
    rate, beta = args
    e = p.exp(rate)
    one_minus = (rf"\left(1 - {e}\right)" if p.tex else f"(1 - {e})") if e else None
    if "||W(t)||" in tmpl:                               # the norm route
        n_t, n_0 = p.mu(norm, "W(t)", "norm"), p.mu(norm, "W(0)", "norm")
        return (mu_t + le + n_t + le + (f"{e} {n_0}" if e else n_0)
                + (f" + {one_minus} {_paren(p, beta / rate)}" if one_minus else ""))
    if tmpl.startswith("max("):                          # the positive part
        mx = (lambda a: rf"\max\left({a}, 0\right)") if p.tex else (lambda a: f"max({a}, 0)")
        return (mx(mu_t) + le + (f"{e} {mx(mu_0)}" if e else mx(mu_0))
                + (f" + {one_minus} {_paren(p, sp.Max(beta, 0) / rate)}" if one_minus else ""))
    return mu_t + le + (f"{e} {mu_0}" if e else mu_0) + (f" + {one_minus} {_paren(p, beta / rate)}"
                                                           if one_minus else "")


def _paren(p: Printer, e) -> str:
    return p.factor(sp.cancel(e))


def certificate_bound(cert, p: Printer) -> str:
    """The certificate's bound as math (no $...$), simplified for display."""
    if cert.bound.lemma == "gronwall":
        try:
            return bound_of(cert.bound, cert.norm, p)
        except Exception:   # display only
            pass
    text = cert.bound.render(show)
    return p.words(text)


def relation(rel, p: Printer) -> str:
    """A SymPy relation (a side condition), display-simplified."""
    try:
        lhs, rhs = rel.lhs, rel.rhs
        op = {sp.LessThan: "<=", sp.GreaterThan: ">=", sp.StrictLessThan: "<", sp.StrictGreaterThan: ">",
              sp.Equality: "="}[type(rel)]
    except (AttributeError, KeyError):
        return p.expr(rel)
    return p.expr(lhs) + p.rel(op) + p.expr(rhs)


def conditional_text(r, p: Printer) -> str | None:
    """What a conditional certificate (ClaimResult.conditional) honestly says, or None when it says nothing.

    The decision step narrows a parameter's declared range by the failed side condition and asks the kernel again.
    When the narrowed range is a single point (k*n <= 0 with k >= 0 leaves k = 0), the 'condition' is a degenerate
    case, not a regime: it is reported as 'holds only when k = 0'."""
    if r.conditional is None or r.conditional_assumptions is None:
        return None
    declared = r.conditional_assumptions.parameters
    narrowed = {str(s) for c in r.conditions for s in c.free_symbols} & set(declared)
    points = {k: declared[k].lo for k in narrowed if declared[k].lo == declared[k].hi}
    bound = p.math(certificate_bound(r.conditional, p))
    if points and points.keys() == narrowed:
        where = ", ".join(p.math(f"{_name(k, p)} = {p.expr(v)}") for k, v in sorted(points.items()))
        return f"holds only when {where} (a single point of the declared range; kernel-checked there): {bound}"
    conds = ", ".join(p.math(relation(c, p)) for c in r.conditions)
    return f"holds under the extra condition {conds} (kernel-checked): {bound}"


def _name(k: str, p: Printer) -> str:
    return _latex(sp.Symbol(k)) if p.tex else k


def witness_lines(w, p: Printer) -> list[str]:
    """A counterexample's instance, one way everywhere: 'n = 2, k = 1', then one line per vector and matrix."""
    head = ", ".join([p.math(f"n = {w.n}")] + [p.math(f"{_name(k, p)} = {p.expr(v)}")
                                                 for k, v in w.parameters.items()])
    lines = [head]
    for k, v in w.activity.items():
        lines.append(p.math(f"{_name(k, p)} = {vector(v, p)}"))
    for k, M in w.matrices.items():
        lines.append(p.math(f"{_name(k, p)} = {matrix(M, p)}"))
    zero = all(x == 0 for row in w.W0 for x in row)
    lines.append(p.math("W_0 = 0" if p.tex else "W0 = 0") if zero else p.math(("W_0 = " if p.tex else "W0 = ")
                                                                              + matrix(w.W0, p)))
    return lines


def vector(v, p: Printer) -> str:
    items = [p.expr(x) for x in v]
    return (r"\left(" + ", ".join(items) + r"\right)^{T}") if p.tex else "(" + ", ".join(items) + ")"


def matrix(M, p: Printer) -> str:
    rows = [[p.expr(x) for x in row] for row in M]
    if p.tex:
        return r"\begin{pmatrix}" + r" \\ ".join(" & ".join(r) for r in rows) + r"\end{pmatrix}"
    return "[" + "; ".join(", ".join(r) for r in rows) + "]"


__all__ = ["Printer", "step", "certificate_bound", "conditional_text", "witness_lines", "relation", "number",
           "is_long", "rounded"]
