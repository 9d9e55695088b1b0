"""Searching for counterexamples to contraction of a fixed network (UNTRUSTED).

Networks as in `certify.kernel.equilibria`: f(x) = -x + W phi(x) + u (form "H") or f(x) = -x + phi(W x + u)
(form "FR"). This module only SEARCHES, in floating point, and may be wrong: `find_equilibria` runs Newton
(scipy.optimize.root) from many starts (or, for relu / leaky-relu / linear, solves the affine pieces), and
`refute` turns what it finds into a `Candidate` (boxes, exact points, eigenvalue hints) for the trusted
kernel. The kernel makes no float guesses: `preconditioner` proposes the Krawczyk matrix Y of a box and
`eigenvalue_brackets` the brackets where a positive eigenvalue may lie; the kernel checks both. Only the kernel's answer (`Candidate.verify()`) is a refutation. `diverging_pair` simulates two
trajectories for people to look at; it proves nothing.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable

import numpy as np
from certify.errors import InputError, KernelError
from certify.kernel import equilibria as kernel
from certify.kernel import instability
from certify.search.sizes import EQUILIBRIA_ENUMERATION_MAX_N

ACTIVATIONS = kernel.ACTIVATIONS
PIECEWISE_LINEAR = kernel.PIECEWISE_LINEAR
BOUNDED = {"tanh": (-1.0, 1.0), "logistic": (0.0, 1.0)}   # the image of phi, for saturation corners
MAX_ENUMERATION = EQUILIBRIA_ENUMERATION_MAX_N   # all 2^n affine pieces up to this n (search/sizes.py)
RADII = (1e-10, 1e-8, 1e-6, 1e-4, 1e-2)


# ---------------------------------------------------------------------------------------------------
# the network in floating point


def _norm_activation(activation: str) -> str:
    act = kernel.ALIASES.get(activation, activation)
    if act not in ACTIVATIONS:
        raise InputError(f"unknown activation {activation!r}", symbol="activation",
                         hint=f"use one of: {', '.join(ACTIVATIONS)}")
    return act


def _leak(activation: str, leak: object) -> float:
    if activation != "leaky-relu":
        return 0.0
    return float(kernel.DEFAULT_LEAK if leak is None else Fraction(leak) if isinstance(leak, str) else leak)


def _arrays(W: object, u: object, form: str) -> tuple[np.ndarray, np.ndarray]:
    if form not in kernel.FORMS:
        raise InputError(f"unknown network form {form!r}", symbol="form", hint="'H' or 'FR'")
    if (isinstance(W, np.ndarray) and isinstance(u, np.ndarray) and W.dtype == np.float64 and u.dtype == np.float64
            and u.ndim == 1 and u.size > 0 and W.shape == (u.size, u.size)
            and np.all(np.isfinite(W)) and np.all(np.isfinite(u))):
        return W, u   # already what the search works with (the common case inside the search loops)

    def num(v: object) -> float:
        return float(Fraction(v) if isinstance(v, str) else v)

    rows = W.tolist() if hasattr(W, "tolist") else W
    uf = np.array([num(v) for v in (u.tolist() if hasattr(u, "tolist") else u)], dtype=float)
    n = uf.size
    if n == 0 or len(rows) != n or any(len(r) != n for r in rows):
        raise InputError(f"W must be n x n and u of length n >= 1; got {len(rows)} row(s), len(u) = {n}",
                         symbol="W")
    Wf = np.array([[num(v) for v in row] for row in rows], dtype=float).reshape(n, n)
    if Wf.shape != (n, n):
        raise InputError(f"W must be n x n and u of length n >= 1; got W {Wf.shape}, u ({n},)", symbol="W")
    if not (np.all(np.isfinite(Wf)) and np.all(np.isfinite(uf))):
        raise InputError("W and u must be finite", symbol="W")
    return Wf, uf



def _quiet_floats(fn):
    """Floating-point overflow in this untrusted search only means it finds nothing there (the kernel re-checks
    whatever it proposes in exact or ball arithmetic), so numpy's overflow and invalid-value warnings are off."""
    # deferred: needed only on this path
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return fn(*args, **kwargs)
    return wrapper


def phi(activation: str, z: np.ndarray, leak: float = 0.0) -> np.ndarray:
    """The activation, elementwise, computed without overflow."""
    a = _norm_activation(activation)
    z = np.asarray(z, dtype=float)
    if a == "tanh":
        return np.tanh(z)
    if a == "logistic":
        return 0.5 * (1.0 + np.tanh(z / 2))
    if a == "softplus":
        return np.logaddexp(0.0, z)
    if a == "linear":
        return z.copy()
    return np.where(z >= 0, z, (leak if a == "leaky-relu" else 0.0) * z)


def dphi(activation: str, z: np.ndarray, leak: float = 0.0) -> np.ndarray:
    """phi' elementwise (at a relu kink: the right derivative)."""
    a = _norm_activation(activation)
    z = np.asarray(z, dtype=float)
    if a == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if a == "logistic":
        t = np.tanh(z / 2)
        return 0.25 * (1.0 - t * t)
    if a == "softplus":
        return 0.5 * (1.0 + np.tanh(z / 2))
    if a == "linear":
        return np.ones_like(z)
    return np.where(z >= 0, 1.0, leak if a == "leaky-relu" else 0.0)


def _pre(W: np.ndarray, x: np.ndarray, u: np.ndarray, form: str) -> np.ndarray:
    return x if form == "H" else W @ x + u


def vector_field(W: object, u: object, form: str, activation: str, *, leak: object = None):
    """x -> f(x) as a float function."""
    act = _norm_activation(activation)
    Wf, uf = _arrays(W, u, form)
    lk = _leak(act, leak)
    if form == "H":
        return lambda x: -x + Wf @ phi(act, x, lk) + uf
    return lambda x: -x + phi(act, Wf @ x + uf, lk)


def jacobian(W: object, x: object, u: object, form: str, activation: str, *, leak: object = None) -> np.ndarray:
    """The Jacobian of f at x: -I + W diag(phi'(x)) (H) or -I + diag(phi'(W x + u)) W (FR)."""
    act = _norm_activation(activation)
    Wf, uf = _arrays(W, u, form)
    xf = np.asarray(x, dtype=float)
    d = dphi(act, _pre(Wf, xf, uf, form), _leak(act, leak))
    n = uf.size
    return -np.eye(n) + (Wf * d[None, :] if form == "H" else d[:, None] * Wf)


# ---------------------------------------------------------------------------------------------------
# equilibria


def _starts(Wf: np.ndarray, uf: np.ndarray, form: str, act: str, starts: int | Iterable, seed: int) -> list:
    n = uf.size
    rng = np.random.default_rng(seed)
    if not isinstance(starts, (int, np.integer)):
        return [np.asarray(s, dtype=float).reshape(n) for s in starts]
    pts = [np.zeros(n)]
    if form == "FR":
        pts.append(phi(act, uf))
    # corners of the saturation region: phi at its extremes
    if act in BOUNDED:
        lo, hi = BOUNDED[act]
        if n <= MAX_ENUMERATION:
            signs = [np.array(s) for s in itertools.product((lo, hi), repeat=n)]
        else:
            signs = [np.where(rng.random(n) < 0.5, lo, hi) for _ in range(256)]
        pts += [(Wf @ s + uf) if form == "H" else s for s in signs]
    scale = 1.0 + np.abs(uf).max() + np.abs(Wf).sum(axis=1).max()
    for k in (1.0, 3.0, 10.0):
        pts += [k * scale * np.ones(n), -k * scale * np.ones(n)]
    pts += [scale * rng.normal(size=n) for _ in range(int(starts))]
    pts += [0.1 * rng.normal(size=n) for _ in range(max(1, int(starts) // 4))]
    return pts


def _dedupe(points: list[np.ndarray], tol: float) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for p in points:
        if all(np.max(np.abs(p - q)) > tol * (1.0 + np.max(np.abs(q))) for q in out):
            out.append(p)
    return sorted(out, key=lambda p: tuple(p))


def _affine_zero(Wf, uf, form, slopes) -> np.ndarray | None:
    n = uf.size
    if form == "H":
        A, b = -np.eye(n) + Wf * slopes[None, :], -uf
    else:
        A, b = -np.eye(n) + slopes[:, None] * Wf, -slopes * uf
    try:
        with np.errstate(all="ignore"):
            x = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        return None
    return x if np.all(np.isfinite(x)) else None


def _pl_equilibria(Wf, uf, form, act, lk, pts) -> list[np.ndarray]:
    """relu / leaky-relu / linear: zeros of the affine pieces whose sign pattern is consistent."""
    n = uf.size
    neg = lk if act == "leaky-relu" else 0.0
    if act == "linear":
        x = _affine_zero(Wf, uf, form, np.ones(n))
        return [] if x is None else [x]
    patterns = []
    if n <= MAX_ENUMERATION:
        patterns = [np.array(p) for p in itertools.product((1.0, neg), repeat=n)]
    found = []
    for s in patterns:
        x = _affine_zero(Wf, uf, form, s)
        if x is not None:
            z = _pre(Wf, x, uf, form)
            if np.all(np.where(s == 1.0, z >= -1e-12, z <= 1e-12)):
                found.append(x)
    for x0 in pts:  # pattern iteration (a semismooth Newton method) for larger n
        x = x0
        for _ in range(50):
            s = np.where(_pre(Wf, x, uf, form) >= 0, 1.0, neg)
            y = _affine_zero(Wf, uf, form, s)
            if y is None:
                break
            if np.array_equal(np.where(_pre(Wf, y, uf, form) >= 0, 1.0, neg), s):
                found.append(y)
                break
            x = y
    return found


def _newton(f, J, x0: np.ndarray, tol: float) -> np.ndarray | None:
    # deferred: SciPy (~0.45 s) is needed only to search, not to propose preconditioners and brackets for a re-check
    from scipy.optimize import root
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        sol = root(f, x0, jac=J, method="hybr", tol=1e-13)
        x = sol.x
        for _ in range(3):  # polish
            if not np.all(np.isfinite(x)):
                return None
            try:
                x = x - np.linalg.solve(J(x), f(x))
            except np.linalg.LinAlgError:
                break
    if not np.all(np.isfinite(x)):
        return None
    return x if np.max(np.abs(f(x))) <= tol * (1.0 + np.max(np.abs(x))) else None


@_quiet_floats
def find_equilibria(W: object, u: object, form: str, activation: str, *, leak: object = None,
                    starts: int | Iterable = 64, seed: int = 0, tol: float = 1e-10) -> list[np.ndarray]:
    """Numerical equilibria (zeros of f), deduplicated and sorted. `starts` is a number of random starts
    (added to zero, phi(u), saturation corners and +-large constant vectors) or an explicit list of starts.
    relu / leaky-relu: every affine piece for n <= MAX_ENUMERATION, plus pattern iteration from the starts."""
    act = _norm_activation(activation)
    Wf, uf = _arrays(W, u, form)
    lk = _leak(act, leak)
    pts = _starts(Wf, uf, form, act, starts, seed)
    if act in PIECEWISE_LINEAR:
        found = _pl_equilibria(Wf, uf, form, act, lk, pts)
    else:
        f = vector_field(Wf, uf, form, act)
        J = lambda x: jacobian(Wf, x, uf, form, act)  # noqa: E731
        found = [x for x in (_newton(f, J, x0, tol) for x0 in pts) if x is not None]
    return _dedupe(found, 1e-7)


def spectrum(W: object, x: object, u: object, form: str, activation: str, *, leak: object = None) -> np.ndarray:
    """Floating-point eigenvalues of the Jacobian at x, largest real part first."""
    lam = np.linalg.eigvals(jacobian(W, x, u, form, activation, leak=leak))
    return lam[np.argsort(-lam.real)]


# ---------------------------------------------------------------------------------------------------
# untrusted data the kernel checks: Krawczyk preconditioners and eigenvalue brackets


def _floats(x: object) -> np.ndarray:
    return np.array([float(Fraction(v)) if isinstance(v, str) else float(v) for v in
                     (x.tolist() if hasattr(x, "tolist") else x)], dtype=float)


@_quiet_floats
def preconditioner(W: object, u: object, form: str, activation: str, center: object, *,
                   leak: object = None) -> np.ndarray | None:
    """The preconditioner Y for the kernel's Krawczyk test of a box around `center`: the float inverse of the
    Jacobian at the center (UNTRUSTED: Krawczyk is sound for any real Y, and this one makes I - Y F'(X) small
    on a small box). None when that Jacobian is singular in floating point."""
    J = jacobian(W, _floats(center), u, form, activation, leak=leak)
    try:
        Y = np.linalg.inv(J)
    except np.linalg.LinAlgError:
        return None
    return Y if np.all(np.isfinite(Y)) else None


def eigenvalue_brackets(eigenvalues: Iterable[complex]) -> list[tuple[Fraction, Fraction]]:
    """Brackets (a, b), 0 < a < b, around each (numerically) real positive eigenvalue, largest first and
    narrowest first (UNTRUSTED: the kernel proves a sign change of the characteristic polynomial on one)."""
    out = []
    for lam in sorted((complex(z) for z in eigenvalues), key=lambda z: -z.real):
        if np.isfinite(lam.real) and lam.real > 0 and abs(lam.imag) <= 1e-9 * max(1.0, abs(lam)):
            x = Fraction(float(lam.real))
            for k in (40, 30, 20, 12, 6):
                d = x / 2**k
                out.append((x - d, x + d))
    return out


@_quiet_floats
def unstable_brackets(W: object, u: object, form: str, activation: str, center: object, *,
                      leak: object = None) -> list[tuple[Fraction, Fraction]]:
    """eigenvalue_brackets of the float Jacobian at `center` (UNTRUSTED hints for verify_unstable_equilibrium)."""
    J = jacobian(W, _floats(center), u, form, activation, leak=leak)
    return eigenvalue_brackets(np.linalg.eigvals(J)) if np.all(np.isfinite(J)) else []


def box_preconditioner(W: object, u: object, form: str, activation: str, center: object, radius: object, *,
                       leak: object = None) -> np.ndarray | None:
    """`preconditioner` when the kernel will run Krawczyk on this box (a smooth activation, some radius > 0),
    else None (exact points and affine pieces need none)."""
    radii = radius.tolist() if hasattr(radius, "tolist") else radius
    radii = radii if isinstance(radii, (list, tuple)) else [radii]
    act = _norm_activation(activation)
    if act in PIECEWISE_LINEAR or all(Fraction(r) == 0 if isinstance(r, str) else r == 0 for r in radii):
        return None
    return preconditioner(W, u, form, act, center, leak=leak)


# ---------------------------------------------------------------------------------------------------
# candidates for the kernel


@dataclass(frozen=True)
class Candidate:
    """An UNTRUSTED proposed refutation: `kind` "unstable" (one box, centers[0]) or "two-equilibria" (two
    boxes). A radius 0 asks for an exact rational point. `verify()` hands it to the trusted kernel."""
    kind: str
    form: str
    activation: str
    W: tuple
    u: tuple
    leak: object
    centers: tuple[tuple[float, ...], ...]
    radii: tuple[float, ...]
    eigenvalue: complex | None = None
    note: str = field(default="")

    @property
    def exact(self) -> bool:
        return self.activation in PIECEWISE_LINEAR or all(r == 0 for r in self.radii)

    def verify(self) -> "kernel.UnstableEquilibrium | kernel.TwoEquilibria":
        """The kernel's verdict: a verified result, or KernelError."""
        Ys = tuple(box_preconditioner(self.W, self.u, self.form, self.activation, c, r, leak=self.leak)
                   for c, r in zip(self.centers, self.radii))
        if self.kind == "unstable":
            hints = [] if self.eigenvalue is None else eigenvalue_brackets([self.eigenvalue])
            hints += unstable_brackets(self.W, self.u, self.form, self.activation, self.centers[0], leak=self.leak)
            return instability.verify_unstable_equilibrium(self.W, self.u, self.form, self.activation, self.centers[0],
                                                      self.radii[0], leak=self.leak, eigenvalue=hints,
                                                      preconditioner=Ys[0])
        if self.kind == "two-equilibria":
            return kernel.verify_two_equilibria(self.W, self.u, self.form, self.activation,
                                                (self.centers[0], self.radii[0]), (self.centers[1], self.radii[1]),
                                                leak=self.leak, preconditioners=Ys)
        raise InputError(f"unknown candidate kind {self.kind!r}", symbol="kind")


def _exact_guess(Wf, uf, form, act, x: np.ndarray) -> tuple[float, ...] | None:
    """The rational point the kernel can evaluate exactly near x (tanh/logistic with zero pre-activations)."""
    if act not in ("tanh", "logistic"):
        return None
    p = np.zeros_like(x) if form == "H" else np.full_like(x, 0.0 if act == "tanh" else 0.5)
    if np.max(np.abs(x - p)) > 1e-8:
        return None
    z = _pre(Wf, p, uf, form)
    f = (-p + Wf @ phi(act, p) + uf) if form == "H" else -p + phi(act, z)
    return tuple(p) if np.all(z == 0) and np.all(f == 0) else None


def _pl_radius(Wf, uf, form, x: np.ndarray) -> float:
    """A radius small enough that no pre-activation changes sign on the box (for relu pieces)."""
    z = np.abs(_pre(Wf, x, uf, form))
    zmin = z[z > 0].min() if np.any(z > 0) else 1.0
    gain = 1.0 if form == "H" else max(1.0, np.abs(Wf).sum(axis=1).max())
    return float(min(1e-6 * (1.0 + np.max(np.abs(x))), 0.25 * zmin / gain))


@_quiet_floats
def candidates(W: object, u: object, form: str, activation: str, *, leak: object = None,
               equilibria: list[np.ndarray] | None = None, starts: int | Iterable = 64,
               seed: int = 0) -> list[Candidate]:
    """Proposed refutations, simplest first: exact unstable point; two exact points; two Krawczyk boxes;
    a Krawczyk box around an unstable equilibrium. Every radius choice is a separate candidate."""
    act = _norm_activation(activation)
    Wf, uf = _arrays(W, u, form)
    Wt = tuple(tuple(r) for r in (W.tolist() if hasattr(W, "tolist") else W))
    ut = tuple(u.tolist() if hasattr(u, "tolist") else u)
    eqs = equilibria if equilibria is not None else find_equilibria(W, u, form, act, leak=leak, starts=starts,
                                                                      seed=seed)
    info = []
    for x in eqs:
        lam = spectrum(Wf, x, uf, form, act, leak=_leak(act, leak))
        if act in PIECEWISE_LINEAR:
            exact_pt, radii = None, (_pl_radius(Wf, uf, form, x),)
        else:
            exact_pt = _exact_guess(Wf, uf, form, act, x)
            radii = tuple(r * (1.0 + float(np.max(np.abs(x)))) for r in RADII)
        info.append((x, lam, exact_pt, radii))

    def make(kind, centers, radii, lam=None, note=""):
        return Candidate(kind, form, act, Wt, ut, leak, tuple(tuple(float(v) for v in c) for c in centers),
                         tuple(float(r) for r in radii), None if lam is None else complex(lam), note)

    exact_unstable, exact_two, box_two, box_unstable = [], [], [], []
    for x, lam, ex, radii in info:
        if lam[0].real > 0:
            if ex is not None:
                exact_unstable.append(make("unstable", [ex], [0.0], lam[0], "exact rational equilibrium"))
            if act in PIECEWISE_LINEAR:
                exact_unstable.append(make("unstable", [x], radii, lam[0], "affine piece"))
            else:
                box_unstable += [make("unstable", [x], [r], lam[0], "Krawczyk box") for r in radii]
    pairs = sorted(itertools.combinations(range(len(info)), 2),
                   key=lambda ij: -np.max(np.abs(info[ij[0]][0] - info[ij[1]][0])))
    for i, j in pairs[:6]:
        (x1, _, e1, r1), (x2, _, e2, r2) = info[i], info[j]
        sep = float(np.max(np.abs(x1 - x2)))
        if act in PIECEWISE_LINEAR:
            exact_two.append(make("two-equilibria", [x1, x2], [r1[0], r2[0]], note="affine pieces"))
            continue
        if e1 is not None and e2 is not None:
            exact_two.append(make("two-equilibria", [e1, e2], [0.0, 0.0], note="exact rational equilibria"))
        for a, b in zip(r1, r2):
            if a + b < sep:
                box_two.append(make("two-equilibria", [x1 if e1 is None else e1, x2 if e2 is None else e2],
                                    [a if e1 is None else 0.0, b if e2 is None else 0.0], note="Krawczyk boxes"))
    return exact_unstable + exact_two + box_two + box_unstable


@_quiet_floats
def refute(W: object, u: object, form: str, activation: str, *, leak: object = None,
           starts: int | Iterable = 64, seed: int = 0, verified_only: bool = True) -> Candidate | None:
    """The simplest candidate refutation of contraction that the kernel accepts (or, with
    verified_only=False, the simplest one found numerically, unchecked); None when there is none, e.g. when
    the search finds a single stable equilibrium. The verdict itself is `candidate.verify()`."""
    cands = candidates(W, u, form, activation, leak=leak, starts=starts, seed=seed)
    if not verified_only:
        return cands[0] if cands else None
    for cand in cands:
        try:
            cand.verify()
        except KernelError:
            continue
        return cand
    return None


@_quiet_floats
def refute_verified(W: object, u: object, form: str, activation: str, *, leak: object = None,
                    starts: int | Iterable = 64, seed: int = 0
                    ) -> "kernel.UnstableEquilibrium | kernel.TwoEquilibria | None":
    """The kernel's verified refutation for the simplest candidate it accepts, or None."""
    cand = refute(W, u, form, activation, leak=leak, starts=starts, seed=seed)
    return None if cand is None else cand.verify()


# ---------------------------------------------------------------------------------------------------
# evidence for people


@dataclass(frozen=True)
class DivergingPair:
    """UNTRUSTED numerical evidence: two trajectories that start `initial_distance` apart and end
    `final_distance` apart (near `limits`, when they settle at equilibria). Not a proof."""
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    initial_distance: float
    final_distance: float
    limits: tuple[np.ndarray | None, np.ndarray | None]
    note: str = "UNTRUSTED: floating-point simulation (scipy solve_ivp, RK45), supporting evidence only"


@_quiet_floats
def diverging_pair(W: object, u: object, form: str, activation: str, t_end: float = 100.0, *,
                   leak: object = None, delta: float = 1e-3, starts: int | Iterable = 64,
                   seed: int = 0) -> DivergingPair | None:
    """Two trajectories starting 2*delta apart, on either side of an unstable equilibrium along its most
    unstable eigen-direction (or, without one, near two different equilibria), simulated to t_end.
    None when the search finds neither an unstable equilibrium nor two equilibria."""
    act = _norm_activation(activation)
    Wf, uf = _arrays(W, u, form)
    lk = _leak(act, leak)
    eqs = find_equilibria(Wf, uf, form, act, leak=leak, starts=starts, seed=seed)
    f = vector_field(Wf, uf, form, act, leak=lk if act == "leaky-relu" else None)
    x0 = y0 = None
    for e in eqs:
        lam, vec = np.linalg.eig(jacobian(Wf, e, uf, form, act, leak=lk if act == "leaky-relu" else None))
        k = int(np.argmax(lam.real))
        if lam[k].real > 0:
            v = np.real(vec[:, k]) if np.linalg.norm(np.real(vec[:, k])) > 1e-8 else np.imag(vec[:, k])
            v = v / np.max(np.abs(v))
            x0, y0 = e + delta * v, e - delta * v
            break
    if x0 is None:
        if len(eqs) < 2:
            return None
        d = np.ones(uf.size) * delta
        x0, y0 = eqs[0] + d, eqs[-1] - d
    # deferred: SciPy (~0.45 s) is needed only for this picture, not by the search for refutations
    from scipy.integrate import solve_ivp
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ts = np.linspace(0.0, t_end, 201)
        sx = solve_ivp(lambda _t, z: f(z), (0.0, t_end), x0, t_eval=ts, rtol=1e-9, atol=1e-12)
        sy = solve_ivp(lambda _t, z: f(z), (0.0, t_end), y0, t_eval=ts, rtol=1e-9, atol=1e-12)
    X, Y = sx.y.T, sy.y.T
    m = min(len(X), len(Y))
    X, Y, ts = X[:m], Y[:m], ts[:m]

    def limit(z):
        for e in eqs:
            if np.max(np.abs(z - e)) < 1e-4 * (1 + np.max(np.abs(e))):
                return e
        return None

    return DivergingPair(ts, X, Y, float(np.linalg.norm(x0 - y0)), float(np.linalg.norm(X[-1] - Y[-1])),
                         (limit(X[-1]), limit(Y[-1])))


__all__ = ["Candidate", "DivergingPair", "box_preconditioner", "candidates", "diverging_pair", "dphi",
           "eigenvalue_brackets", "find_equilibria", "jacobian", "phi", "preconditioner", "refute", "refute_verified",
           "spectrum", "unstable_brackets", "vector_field"]
