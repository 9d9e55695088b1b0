"""Trained feedback networks (Mastrogiuseppe & Ostojic, Neural Comput 31:1139, 2019; docs/theory.md section 6).

The network (form H of certify/lang/network.py, phi = tanh, constant input u = I):

    x' = -x + chi phi(x) + m z + I,   z = (1/N) n^T phi(x),   i.e.  x' = -x + W phi(x) + I,  W = chi + m n^T / N

with a random bulk chi_ij ~ N(0, g^2 / N) and a rank-one feedback loop: the output z is fed back along m and
read out along n. The task is stationary: for the input I the network should sit at a fixed point whose
output is the target z* = A.

Training (`train`), the least-squares formulation used here, as in the paper's open-loop training:
  1. teacher forcing: the fed-back output is clamped to the target, z = A, and the open-loop network
     x' = -x + chi phi(x) + m A + I settles at its fixed point x0 (found by Newton with continuation in the
     drive s (m A + I), s = 0 -> 1; unique when the bulk alone is contracting, e.g. g < 1 in practice);
  2. the readout n solves the one linear equation (1/N) phi(x0)^T n = A in the least-squares sense; it is
     under-determined, and the minimum-norm (Moore-Penrose) solution is n = N A phi(x0) / |phi(x0)|^2;
  3. closing the loop, x0 is a fixed point of x' = -x + W phi(x) + I with output exactly A. W is stored in
     binary64, so the trained fixed point x* of the stored network is x0 polished by Newton (|x* - x0| is at
     rounding level), and z* = (1/N) n^T phi(x*) = A up to rounding.

Three separate questions (`analyze`), each decided by the trusted kernel, never by a float:
  (a) local stability of the trained fixed point: kernel/equilibria.py encloses x* (Krawczyk in Arb) and
      kernel/stability.py proves the Jacobian Hurwitz over the box with a float Lyapunov matrix as witness;
  (b) global contraction: certify.search.contraction.certify_fixed (Perron-weighted l1/linf, multiplier LMI);
  (c) refutation of global contraction: the pipeline's refute_fixed, and a second attractor searched here
      by continuation along z (below), verified by verify_two_equilibria and kernel/stability.py.

The search along z: for each z the open-loop fixed point x(z) of x' = -x + chi phi(x) + m z + I is followed
by Newton continuation, and closed-loop equilibria are the zeros of F(z) - z, F(z) = (1/N) n^T phi(x(z)).
Since |tanh| <= 1, every equilibrium has |z| <= (1/N) sum |n_i|, so the scan covers all equilibria on the
followed branch (it can miss others when the open loop itself has several fixed points). Everything in this
module -- training, geometry, search -- is UNTRUSTED floating point; only the kernel's objects are proofs.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from certify.errors import InputError, KernelError
from certify.kernel import equilibria as keq
from certify.kernel import stability as kst
from certify.search.equilibria import preconditioner

FORM, ACTIVATION = "H", "tanh"
RADII = (1e-10, 1e-9, 1e-8, 1e-7, 1e-6)   # Krawczyk box half-widths tried, times 1 + max |x|


def phi(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def dphi(x: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(x) ** 2


# ---------------------------------------------------------------------------------------------------
# construction and training


@dataclass(frozen=True)
class Instance:
    """The untrained network: bulk chi (N x N), feedback vector m, input I; drawn in that order from
    numpy's default_rng(seed): chi ~ N(0, g^2/N), m ~ feedback_scale N(0, 1), I ~ input_scale N(0, 1)."""
    N: int
    g: float
    seed: int
    input_scale: float
    feedback_scale: float
    chi: np.ndarray = field(repr=False)
    m: np.ndarray = field(repr=False)
    I: np.ndarray = field(repr=False)


def build(N: int, g: float, seed: int, *, input_scale: float = 0.5, feedback_scale: float = 1.0) -> Instance:
    """The random bulk and the vectors m, I of a feedback network (seeded, reproducible)."""
    if not isinstance(N, int) or isinstance(N, bool) or N < 2:
        raise InputError(f"N must be an integer >= 2, got {N!r}", symbol="N")
    for name, v in (("g", g), ("input_scale", input_scale), ("feedback_scale", feedback_scale)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise InputError(f"{name} must be a finite number >= 0, got {v!r}", symbol=name)
    rng = np.random.default_rng(seed)
    chi = rng.normal(0.0, g / math.sqrt(N), size=(N, N))
    m = feedback_scale * rng.normal(size=N)
    I = input_scale * rng.normal(size=N)
    return Instance(N, float(g), int(seed), float(input_scale), float(feedback_scale), chi, m, I)


CATALOG = {   # the instances behind rules/feedback-*.toml (examples/feedback_network.py --write-catalog)
    "feedback-bistable": {"N": 64, "g": 0.5, "seed": 1, "input_scale": 0.5, "target": 2.0},
    "feedback-weak": {"N": 64, "g": 0.3, "seed": 3, "input_scale": 1.0, "target": 0.3},
}


def catalog_instance(name: str) -> "Trained":
    """The trained network of the catalog entry `name` (see CATALOG), rebuilt from its parameters."""
    if name not in CATALOG:
        raise InputError(f"unknown feedback catalog entry {name!r}", symbol="name",
                         hint=f"use one of: {', '.join(CATALOG)}")
    p = CATALOG[name]
    return train(build(p["N"], p["g"], p["seed"], input_scale=p["input_scale"]), p["target"])


def _newton(F, J, x: np.ndarray, tol: float = 1e-13, steps: int = 60) -> np.ndarray | None:
    """Newton's method (float); None when it does not converge."""
    with np.errstate(all="ignore"):
        for _ in range(steps):
            try:
                dx = np.linalg.solve(J(x), -F(x))
            except np.linalg.LinAlgError:
                return None
            x = x + dx
            if not np.all(np.isfinite(x)):
                return None
            if np.max(np.abs(dx)) <= tol * (1.0 + np.max(np.abs(x))):
                return x
    return None


def open_loop(inst: Instance, z: float, x0: np.ndarray | None = None, *, substeps: int = 8) -> np.ndarray | None:
    """The fixed point of the open loop x' = -x + chi phi(x) + m z + I (float): Newton from x0, or, without
    x0, continuation in the drive s (m z + I) from s = 0 (where x = 0 is a fixed point)."""
    eye = np.eye(inst.N)
    drive = inst.m * z + inst.I

    def solve(d, start):
        return _newton(lambda x: -x + inst.chi @ phi(x) + d, lambda x: -eye + inst.chi * dphi(x), start)

    if x0 is not None:
        return solve(drive, x0)
    x = np.zeros(inst.N)
    for s in np.linspace(0.0, 1.0, substeps + 1)[1:]:
        x = solve(s * drive, x)
        if x is None:
            return None
    return x


@dataclass(frozen=True)
class Trained:
    """A trained network: readout n, weights W = chi + m n^T/N (binary64, as stored in a catalog .npy),
    input u = I, the open-loop point x0, the trained fixed point x* of the stored W and its output z*."""
    instance: Instance
    target: float
    n: np.ndarray = field(repr=False)
    W: np.ndarray = field(repr=False)
    u: np.ndarray = field(repr=False)
    x_open: np.ndarray = field(repr=False)
    x_star: np.ndarray = field(repr=False)
    z_star: float = 0.0
    residual: float = 0.0

    def f(self, x: np.ndarray) -> np.ndarray:
        return -x + self.W @ phi(x) + self.u

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        return -np.eye(self.instance.N) + self.W * dphi(x)

    def readout(self, x: np.ndarray) -> float:
        return float(self.n @ phi(x) / self.instance.N)


def train(inst: Instance, target: float) -> Trained:
    """Least-squares training of the readout n for the target output z* = target (see the module docstring)."""
    if not (isinstance(target, (int, float)) and math.isfinite(target)):
        raise InputError(f"the target must be a finite number, got {target!r}", symbol="target")
    x0 = open_loop(inst, float(target))
    if x0 is None:
        raise InputError("the open-loop network (z clamped to the target) has no fixed point Newton can follow",
                         symbol="g", hint="use a weaker bulk (g < 1) or a smaller target")
    r = phi(x0)
    if not r @ r > 0:
        raise InputError("phi(x0) = 0: no readout can produce a nonzero target", symbol="target",
                         hint="give a nonzero input or target")
    N = inst.N
    n = N * float(target) * r / (r @ r)
    W = inst.chi + np.outer(inst.m, n) / N
    u = inst.I.copy()
    eye = np.eye(N)
    xs = _newton(lambda x: -x + W @ phi(x) + u, lambda x: -eye + W * dphi(x), x0)
    if xs is None:   # pragma: no cover - x0 is already an equilibrium up to rounding
        raise InputError("Newton does not converge to the trained fixed point", symbol="W")
    res = float(np.max(np.abs(-xs + W @ phi(xs) + u)))
    return Trained(inst, float(target), n, W, u, x0, xs, float(n @ phi(xs) / N), res)


# ---------------------------------------------------------------------------------------------------
# geometry (float, untrusted)


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """The normalised dot product a.b / (|a| |b|) (0 when either vector is 0)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return 0.0 if na == 0 or nb == 0 else float(a @ b) / (na * nb)


@dataclass(frozen=True)
class Geometry:
    """UNTRUSTED floats: overlaps of the readout n, the feedback m, the input I and the activity phi(x*);
    the paper's mean-field local stability quantities at x*; the float spectral abscissa of J(x*)."""
    overlaps: dict
    bulk_radius: float          # g sqrt(<phi'(x*)^2>): radius of the bulk eigenvalues of chi diag(phi')
    outlier: float              # <m_i n_i phi'(x*_i)>: the outlier of the rank-one part
    spectral_abscissa: float    # max Re eig J(x*) (numpy)
    norms: dict
    note: str = "float, untrusted: the paper's mean-field quantities, not proofs"

    def lines(self) -> list[str]:
        out = [f"geometry ({self.note}):"]
        out.append("  overlaps  " + ", ".join(f"{a}.{b} = {v:+.3f}" for (a, b), v in self.overlaps.items()))
        out.append("  norms/sqrt(N)  " + ", ".join(f"|{k}| = {v:.3f}" for k, v in self.norms.items()))
        out.append(f"  bulk radius g sqrt(<phi'^2>) = {self.bulk_radius:.3f} (< 1 for local stability)")
        out.append(f"  outlier <m n phi'> = {self.outlier:.3f} (< 1 for local stability)")
        out.append(f"  spectral abscissa of J(x*) = {self.spectral_abscissa:.3f} (numpy eigenvalues)")
        return out


def geometry(tr: Trained) -> Geometry:
    inst = tr.instance
    r = phi(tr.x_star)
    d = dphi(tr.x_star)
    vecs = {"n": tr.n, "m": inst.m, "I": inst.I, "phi": r}
    names = list(vecs)
    ov = {(a, b): overlap(vecs[a], vecs[b]) for i, a in enumerate(names) for b in names[i + 1:]}
    norms = {k: float(np.linalg.norm(v)) / math.sqrt(inst.N) for k, v in vecs.items()}
    with np.errstate(all="ignore"):
        absc = float(np.max(np.linalg.eigvals(tr.jacobian(tr.x_star)).real))
    return Geometry(ov, inst.g * math.sqrt(float(np.mean(d ** 2))), float(np.mean(inst.m * tr.n * d)), absc, norms)


# ---------------------------------------------------------------------------------------------------
# the search along z (float, untrusted)


@dataclass(frozen=True)
class FoundEquilibrium:
    """UNTRUSTED: a closed-loop equilibrium found by the search, its output z and float spectral abscissa."""
    x: np.ndarray = field(repr=False)
    z: float = 0.0
    abscissa: float = 0.0

    @property
    def stable(self) -> bool:
        return self.abscissa < 0


def readout_curve(tr: Trained, *, steps: int = 400) -> tuple[np.ndarray, np.ndarray, list]:
    """(z, F(z), x(z)) on a grid of steps + 1 points over |z| <= 1.05 (1/N) sum |n_i|: the open-loop fixed
    point x(z) followed by Newton continuation from the left end, and the readout F(z) = (1/N) n^T phi(x(z))
    (NaN where Newton fails). Closed-loop equilibria are the zeros of F(z) - z. Float, untrusted."""
    inst = tr.instance
    zmax = 1.05 * float(np.sum(np.abs(tr.n))) / inst.N + 1e-9
    zs = np.linspace(-zmax, zmax, steps + 1)
    xs, F = [], []
    x = open_loop(inst, float(zs[0]))
    for z in zs:
        x = None if x is None else open_loop(inst, float(z), x)
        if x is None:
            x = open_loop(inst, float(z))
        xs.append(x)
        F.append(np.nan if x is None else tr.readout(x))
    return zs, np.array(F), xs


def equilibria_along_z(tr: Trained, *, steps: int = 400) -> list[FoundEquilibrium]:
    """Closed-loop equilibria from the zeros of F(z) - z along `readout_curve` (refined by Brent's method),
    plus Newton from x* and -x*; each polished by Newton on the closed loop. Sorted by z."""
    # deferred: SciPy is loaded only when this runs
    from scipy.optimize import brentq

    inst, N = tr.instance, tr.instance.N
    zs, F, xs = readout_curve(tr, steps=steps)
    gaps = F - zs
    starts = [tr.x_star, -tr.x_star]
    for k in range(steps):
        a, b = gaps[k], gaps[k + 1]
        if not (np.isfinite(a) and np.isfinite(b)) or a * b > 0:
            continue
        x_near = xs[k]

        def gap(z, x_near=x_near):
            y = open_loop(inst, z, x_near)
            return np.nan if y is None else tr.readout(y) - z
        try:
            zr = brentq(gap, zs[k], zs[k + 1], xtol=1e-14) if a * b < 0 else float(zs[k] if a == 0 else zs[k + 1])
        except (ValueError, RuntimeError):
            continue
        y = open_loop(inst, zr, x_near)
        if y is not None:
            starts.append(y)
    eye = np.eye(N)
    found: list[FoundEquilibrium] = []
    for s in starts:
        y = _newton(tr.f, tr.jacobian, s)
        if y is None or any(np.max(np.abs(y - e.x)) < 1e-7 * (1 + np.max(np.abs(y))) for e in found):
            continue
        with np.errstate(all="ignore"):
            absc = float(np.max(np.linalg.eigvals(-eye + tr.W * dphi(y)).real))
        found.append(FoundEquilibrium(y, tr.readout(y), absc))
    return sorted(found, key=lambda e: e.z)


# ---------------------------------------------------------------------------------------------------
# kernel calls


def lyapunov_matrix(J: np.ndarray) -> np.ndarray:
    """UNTRUSTED witness: the exactly symmetric float solution P of J^T P + P J = -I (scipy)."""
    # deferred: SciPy is loaded only when this runs
    from scipy.linalg import solve_continuous_lyapunov

    P = solve_continuous_lyapunov(J.T, -np.eye(J.shape[0]))
    return (P + P.T) / 2


def _radii(x: np.ndarray) -> list[float]:
    return [r * (1.0 + float(np.max(np.abs(x)))) for r in RADII]


def verify_point(tr: Trained, x: np.ndarray) -> keq.EquilibriumBox:
    """The kernel's enclosure of the equilibrium near the float point x (first radius that passes)."""
    last = None
    for r in _radii(x):
        try:
            return keq.verify_equilibrium_box(tr.W, tr.u, FORM, ACTIVATION, x, r,
                                              preconditioner=preconditioner(tr.W, tr.u, FORM, ACTIVATION, x))
        except KernelError as err:
            last = err
    raise KernelError(f"no Krawczyk box around the point was verified: {last}")


def verify_stable(tr: Trained, box: keq.EquilibriumBox, x: np.ndarray) -> kst.StableEquilibrium:
    """kernel/stability.py with the Lyapunov witness of the float Jacobian at x."""
    center = [(a + b) / 2 for a, b in zip(box.lower(), box.upper())]
    return kst.verify_stable_equilibrium(tr.W, tr.u, FORM, ACTIVATION, box, lyapunov_matrix(tr.jacobian(x)),
                                         preconditioner=preconditioner(tr.W, tr.u, FORM, ACTIVATION, center))


def network(tr: Trained):
    """The trained network as a certify.lang.network.Network (W and u read exactly from binary64)."""
    # deferred: loads SymPy only when this runs
    from certify.lang.network import Network

    W0 = tuple(tuple(Fraction(float(v)) for v in row) for row in tr.W)
    return Network(FORM, Fraction(1), ACTIVATION, W0, tuple(Fraction(float(v)) for v in tr.u))


# ---------------------------------------------------------------------------------------------------
# the three answers


@dataclass(frozen=True)
class LocalAnswer:
    """(a) VERIFIED when `stable` is a kernel StableEquilibrium for the trained fixed point."""
    box: keq.EquilibriumBox | None
    stable: kst.StableEquilibrium | None
    reason: str = ""

    @property
    def verdict(self) -> str:
        return "verified" if self.stable is not None else "not verified"


@dataclass(frozen=True)
class ContractionAnswer:
    """(b) "certified" (kernel-checked rate > 0 in `norm`) or "not certified"."""
    verdict: str
    rate: Fraction | None
    norm: str
    attempts: tuple = ()


@dataclass(frozen=True)
class RefutationAnswer:
    """(c) "refuted" when the kernel verified two equilibria (a second attractor, or the pipeline's
    refutation); `second_stable` is the kernel's proof that the second equilibrium is an attractor."""
    verdict: str
    second: keq.TwoEquilibria | None = None
    second_found: FoundEquilibrium | None = None
    second_stable: kst.StableEquilibrium | None = None
    pipeline: object = None
    pipeline_run: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Analysis:
    trained: Trained
    geometry: Geometry
    local: LocalAnswer
    contraction: ContractionAnswer
    refutation: RefutationAnswer
    found: tuple[FoundEquilibrium, ...]

    def render(self) -> str:
        return render(self)


def _local(tr: Trained) -> LocalAnswer:
    try:
        box = verify_point(tr, tr.x_star)
    except KernelError as err:
        return LocalAnswer(None, None, str(err))
    try:
        return LocalAnswer(box, verify_stable(tr, box, tr.x_star))
    except KernelError as err:
        return LocalAnswer(box, None, str(err))


def _contraction(tr: Trained, net) -> ContractionAnswer:
    # deferred: loads SymPy only when this runs
    from certify.search.contraction import certify_fixed

    res = certify_fixed(net)
    if res.best is not None:
        return ContractionAnswer("certified", res.best.rate, res.best.norm, res.attempts)
    return ContractionAnswer("not certified", None, "", res.attempts)


def _refutation(tr: Trained, local: LocalAnswer, found: list[FoundEquilibrium], net, pipeline: bool
                ) -> RefutationAnswer:
    piped = None
    if pipeline:
        # deferred: loads SymPy only when this runs
        from certify.search.contraction import refute_fixed
        piped = refute_fixed(net)
    if local.box is None:
        return RefutationAnswer("refuted" if piped else "not refuted", pipeline=piped, pipeline_run=pipeline,
                                reason="the trained fixed point itself was not enclosed")
    lo, hi = local.box.lower(), local.box.upper()
    others = [e for e in found if e.stable and not all(a <= v <= b for a, b, v in zip(lo, hi, e.x))]
    others.sort(key=lambda e: -float(np.max(np.abs(e.x - tr.x_star))))
    reasons = []
    for e in others:
        try:
            box = verify_point(tr, e.x)
            c1 = [(a + b) / 2 for a, b in zip(lo, hi)]
            r1 = [(b - a) / 2 for a, b in zip(lo, hi)]
            c2 = [(a + b) / 2 for a, b in zip(box.lower(), box.upper())]
            r2 = [(b - a) / 2 for a, b in zip(box.lower(), box.upper())]
            two = keq.verify_two_equilibria(tr.W, tr.u, FORM, ACTIVATION, (c1, r1), (c2, r2),
                                            preconditioners=tuple(preconditioner(tr.W, tr.u, FORM, ACTIVATION, c)
                                                                  for c in (c1, c2)))
        except KernelError as err:
            reasons.append(str(err))
            continue
        try:
            stable = verify_stable(tr, box, e.x)
        except KernelError as err:
            stable = None
            reasons.append(f"second equilibrium not verified stable: {err}")
        return RefutationAnswer("refuted", two, e, stable, piped, pipeline, "; ".join(reasons))
    if piped is not None:
        return RefutationAnswer("refuted", pipeline=piped, pipeline_run=True,
                                reason="no second attractor verified; the pipeline's "
                                "refutation stands")
    why = "; ".join(reasons) or ("the search found no second stable equilibrium" if not others else "")
    return RefutationAnswer("not refuted", pipeline=piped, pipeline_run=pipeline, reason=why)


def analyze(tr: Trained, *, pipeline: bool = True, contraction: bool = True) -> Analysis:
    """The three answers, kept separate: (a) local stability of x* (kernel), (b) global contraction
    (certify_fixed; skipped with contraction=False), (c) refutation (pipeline refute_fixed when pipeline=True,
    and the second attractor from `equilibria_along_z`, verified by the kernel)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = equilibria_along_z(tr)
    geo = geometry(tr)
    local = _local(tr)
    net = network(tr)
    contr = _contraction(tr, net) if contraction else ContractionAnswer("not attempted", None, "")
    if contr.verdict == "certified":   # contraction rules out a second equilibrium: nothing to refute
        refu = RefutationAnswer("not refuted", reason="global contraction is certified (one equilibrium)")
    else:
        refu = _refutation(tr, local, found, net, pipeline)
    return Analysis(tr, geo, local, contr, refu, tuple(found))


# ---------------------------------------------------------------------------------------------------
# text


def _box_text(box: keq.EquilibriumBox) -> str:
    width = max(float(b - a) / 2 for a, b in zip(box.lower(), box.upper()))
    return f"{box.method} box of half-width <= {width:.2g} in all {len(box.lo)} coordinates"


def _x_text(x: np.ndarray, k: int = 4) -> str:
    head = ", ".join(f"{v:.4f}" for v in x[:k])
    return f"({head}{', ...' if len(x) > k else ''})"


def render(a: Analysis) -> str:
    tr, inst = a.trained, a.trained.instance
    out = [f"trained feedback network: N = {inst.N}, g = {inst.g}, seed = {inst.seed}, input scale "
           f"{inst.input_scale}, feedback scale {inst.feedback_scale}, target z* = {tr.target}",
           f"  training: open loop with z clamped to the target, minimum-norm least-squares readout n; "
           f"closed-loop z* = {tr.z_star:.12g} (float), max |f(x*)| = {tr.residual:.1e} (float)"]
    out.append(f"(a) local stability of the trained fixed point: {a.local.verdict.upper()}")
    if a.local.box is not None:
        out.append(f"    x* = {_x_text(tr.x_star)} enclosed by the kernel: {_box_text(a.local.box)}")
    if a.local.stable is not None:
        out.append(f"    {a.local.stable.statement} (Lyapunov P {a.local.stable.lyapunov})")
    elif a.local.reason:
        out.append(f"    {a.local.reason}")
    c = a.contraction
    if c.verdict == "certified":
        out.append(f"(b) global contraction: CERTIFIED at rate {float(c.rate):.6g} in {c.norm} (kernel-checked)")
    else:
        out.append(f"(b) global contraction: {c.verdict.upper()}")
        for t in c.attempts:
            rate = f"not verified ({t.note[:100]})" if t.rate is None else f"rate {float(t.rate):.6g}"
            out.append(f"    - {t.norm}: {rate}")
    r = a.refutation
    out.append(f"(c) refutation of global contraction: {r.verdict.upper()}")
    if r.second is not None and r.second_found is not None:
        e = r.second_found
        state = "locally exponentially stable (kernel/stability.py)" if r.second_stable else "stability not verified"
        dist = float(np.max(np.abs(e.x - tr.x_star)))
        out.append(f"    not globally contracting: second attractor at z = {e.z:.6g} (float readout), x = "
                   f"{_x_text(e.x)}, max |x - x*| = {dist:.3g}")
        out.append(f"    two equilibria in disjoint boxes (separated along coordinate "
                   f"{r.second.separating_coordinate}), verified by the kernel; the second is {state}")
    if r.pipeline is not None:
        text = str(r.pipeline)
        out.append(f"    pipeline (refute_fixed): {text[:160]}{' ...' if len(text) > 160 else ''}")
    elif r.pipeline_run:
        out.append("    pipeline (refute_fixed): no verified refutation")
    if r.reason:
        out.append(f"    {r.reason}")
    out += a.geometry.lines()
    out.append("equilibria found along z (float, untrusted):")
    for e in a.found:
        out.append(f"  z = {e.z:+.6f}  spectral abscissa {e.abscissa:+.3f}  ({'stable' if e.stable else 'unstable'})")
    return "\n".join(out)
