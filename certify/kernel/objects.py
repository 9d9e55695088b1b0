"""The objects the kernel checks (TRUSTED definitions; the data inside comes from untrusted code).

A `FlowProof` is what the derivation proposes: how the weight flow splits into a decay, structured
decays and terms, and which lemma bounds each term. A `Witness` is what the falsifier proposes: a
concrete instance where a claim fails. The kernel turns a proof into a `Certificate` or a witness
into a `Refutation`, or raises `KernelError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

import sympy as sp

from .intervals import Interval
from .evidence import only_kernel

N = sp.Symbol("n", integer=True, positive=True)

MEASURES = ("l1", "l2", "linf", "weighted-l1", "weighted-linf", "weighted-l2")
BOUNDS = ("nonincreasing", "bounded")           # claims about the weight flow
CLAIM_KINDS = BOUNDS + ("contracting",)          # plus: the network contracts


def base_norm(measure: str) -> str:
    """'weighted-l2' -> 'l2' and so on."""
    return measure.removeprefix("weighted-")


@dataclass(frozen=True)
class Assumptions:
    """What the rule declares: parameter ranges, activity bounds (componentwise), matrix properties."""

    parameters: Mapping[str, Interval]
    activity: Mapping[str, Interval]
    matrices: Mapping[str, str]

    def symbol_env(self) -> dict[sp.Symbol, Interval]:
        env = {sp.Symbol(name, real=True): iv for name, iv in self.parameters.items()}
        env[N] = Interval(Fraction(1), float("inf"), True, False)
        return env

    def activity_interval(self, name: str) -> Interval:
        return self.activity.get(name, Interval.everything())


@dataclass(frozen=True)
class Claim:
    measure: str  # one of MEASURES
    bound: str    # one of BOUNDS

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ValueError(f"unknown measure {self.measure!r}; expected one of {', '.join(MEASURES)}")
        if self.bound not in CLAIM_KINDS:
            raise ValueError(f"unknown bound {self.bound!r}; expected one of {', '.join(CLAIM_KINDS)}")


@dataclass(frozen=True)
class Use:
    """One use of a lemma: its name and its instantiation (name -> SymPy object)."""

    lemma: str
    data: tuple[tuple[str, sp.Basic], ...]

    def get(self, key: str) -> sp.Basic:
        for k, v in self.data:
            if k == key:
                return v
        # deferred: loaded only when this path runs (keeps this module's import light)
        from .errors import KernelError
        raise KernelError(f"get: lemma '{self.lemma}' needs '{key}' in its instantiation")

    @staticmethod
    def of(lemma: str, **data: sp.Basic) -> "Use":
        return Use(lemma, tuple(sorted(data.items())))


@dataclass(frozen=True)
class FlowProof:
    """route 'measure': bound mu(W(t)); route 'norm': bound the induced norm ||W(t)|| >= mu(W(t))."""

    route: str
    norm: str          # 'l1' | 'l2' | 'linf'
    gamma: sp.Basic    # the scalar decay: dW = -gamma W + ...
    decays: tuple[Use, ...]
    terms: tuple[Use, ...]


@dataclass(frozen=True)
class Step:
    """One step of a checked derivation: the lemma used and what it states here. `template` is a
    str.format pattern whose fields are filled with `args` (SymPy objects checked by the kernel);
    reports choose how to print them (plain SymPy by default, the rule grammar, LaTeX)."""

    lemma: str
    template: str
    args: tuple = ()

    def render(self, show=None) -> str:
        show = show or sp.sstr
        return self.template.format(*(show(a) if isinstance(a, sp.Basic) else str(a) for a in self.args))

    @property
    def statement(self) -> str:
        return self.render()


@dataclass(frozen=True)
class Certificate:
    claim: Claim
    route: str
    norm: str
    gamma: sp.Basic          # decay rate used in the bound (gamma + delta from diagonal decays)
    beta: sp.Basic           # bound on mu(G) (or ||G||), an expression in parameters and n
    positive_part: bool      # the statement is about max(mu, 0)
    bound: Step              # the certified inequality (the last step's conclusion)
    steps: tuple[Step, ...]
    conditions: tuple = ()   # the side conditions verified over the declared ranges (SymPy relations)

    @property
    def bound_text(self) -> str:
        return self.bound.render()

    def __post_init__(self) -> None:
        only_kernel("Certificate")

@dataclass(frozen=True)
class Witness:
    """A concrete instance. kind 'derivative': the right derivative of mu(W(t)) at t = 0 exceeds the
    claim's allowance -gamma mu(W0). kind 'growth': the flow is W-independent and mu grows linearly."""

    claim: Claim
    kind: str
    n: int
    parameters: Mapping[str, Fraction]
    W0: tuple[tuple[Fraction, ...], ...]
    activity: Mapping[str, tuple[Fraction, ...]]
    matrices: Mapping[str, tuple[tuple[Fraction, ...], ...]] = field(default_factory=dict)
    vector: tuple[Fraction, ...] | None = None      # l2: eigenvector; weighted-l1/linf: positive vector
    value: Fraction | None = None                   # l2: the eigenvalue that goes with `vector`


@dataclass(frozen=True)
class Refutation:
    witness: Witness
    lower: Fraction          # a rigorous lower bound on the growth rate at the witness
    allowed: Fraction        # what the claim allows
    explanation: str

    def __post_init__(self) -> None:
        only_kernel("Refutation")
