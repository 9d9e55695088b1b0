"""Element-wise activation functions that rule expressions may apply to activity vectors.

Each entry gives the SymPy function used in parsed expressions and a sound rational enclosure of
its image of an interval (used by the kernel's interval arithmetic on activity bounds). Enclosures
are deliberately simple (e.g. tanh maps into [-1, 1]) so that they are exact in rationals.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import sympy as sp

Bound = Fraction | float  # float only for +-inf


@dataclass(frozen=True)
class Activation:
    name: str
    sympy: object  # a SymPy function class usable in ElementwiseApplyFunction
    image: Callable[[Bound, Bound], tuple[Bound, Bound]]
    doc: str


INF = float("inf")


def _tanh_image(lo: Bound, hi: Bound) -> tuple[Bound, Bound]:
    return (Fraction(0) if lo >= 0 else Fraction(-1), Fraction(0) if hi <= 0 else Fraction(1))


def _sigmoid_image(lo: Bound, hi: Bound) -> tuple[Bound, Bound]:
    return (Fraction(1, 2) if lo >= 0 else Fraction(0), Fraction(1, 2) if hi <= 0 else Fraction(1))


def _relu_image(lo: Bound, hi: Bound) -> tuple[Bound, Bound]:
    return (max(Fraction(0), lo), max(Fraction(0), hi))


def _abs_image(lo: Bound, hi: Bound) -> tuple[Bound, Bound]:
    if lo >= 0:
        return (lo, hi)
    if hi <= 0:
        return (-hi, -lo)
    return (Fraction(0), max(-lo, hi))


relu = sp.Function("relu")
sigmoid = sp.Function("sigmoid")

ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", sp.tanh, _tanh_image, "hyperbolic tangent, image in (-1, 1)"),
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_image, "logistic 1/(1+exp(-x)), image in (0, 1)"),
    "relu": Activation("relu", relu, _relu_image, "max(0, x)"),
    "abs": Activation("abs", sp.Abs, _abs_image, "absolute value |x|"),
}


def activation_by_sympy(func: object) -> Activation | None:
    """The activation applied by `func`, the function of an ElementwiseApplyFunction.

    SymPy stores it as `Lambda(d, f(d))`; only that exact shape with a registered `f` is recognised.
    """
    if isinstance(func, sp.Lambda) and len(func.variables) == 1:
        (var,) = func.variables
        body = func.expr
        if isinstance(body, sp.Function) and body.args == (var,):
            for act in ACTIVATIONS.values():
                if body.func == act.sympy:
                    return act
        return None
    for act in ACTIVATIONS.values():
        if func == act.sympy:
            return act
    return None


# The activations of networks ([network].activation), with the true bound g of each slope: phi'(x) in [0, g] for
# every x (linear: phi' = 1 exactly). One table for the whole package: the rule reader, the network model of the
# equilibrium checks and the searches all read it from here.
NETWORK_SLOPES: dict[str, Fraction] = {
    "tanh": Fraction(1), "logistic": Fraction(1, 4), "relu": Fraction(1), "leaky-relu": Fraction(1),
    "softplus": Fraction(1), "linear": Fraction(1),
}
NETWORK_ACTIVATIONS: tuple[str, ...] = tuple(NETWORK_SLOPES)
# other names people write for them; the rule reader turns each into its name above
NETWORK_ALIASES: dict[str, str] = {"sigmoid": "logistic", "leaky_relu": "leaky-relu", "identity": "linear"}

