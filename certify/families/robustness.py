"""Effect of synaptic balancing on robustness (docs/theory.md §4; Stock, Harvey, Ocko & Ganguli 2022).

Two questions about a ReLU rate network x' = -x + J relu(x) + W_in u(t) + b, y = W_out x and its balanced twin
(J -> D^-1 J D, W_in -> D^-1 W_in, b -> D^-1 b, W_out -> W_out D; certify.families.balancing):

- `measures_before_after(J)`: mu_1, mu_2, mu_inf, the induced 1-, 2-, inf-norms, the Frobenius norm and the
  spectral abscissa of J before and after balancing. The spectral abscissa is a conserved quantity (a
  similarity keeps the spectrum): its change is reported as a numerical residual, not as an effect. For p = 2
  and alpha = 1 the balancing cost C(h) = sum_ij J_ij^2 e^{2 (h_j - h_i)} is ||D^-1 J D||_F^2, so the balanced
  J has the smallest Frobenius norm among all diagonal rescalings; the other norms usually drop too, but
  nothing guarantees it.
- `noise_experiment(net)`: the paper's qualitative claim that a balanced network is more robust to noise injected
  into its neurons at equal task output. Both networks are driven by the same input; white noise of standard
  deviation sigma enters every neuron in the network's own coordinates (Euler-Maruyama, seeded, the same noise
  realisation for both networks); the output error is the RMS of y_noisy - y_clean after a burn-in, averaged
  over seeds, on a grid of sigma. The noiseless outputs of the two networks agree up to rounding (ReLU is
  positively homogeneous), which is checked and reported.

The answer depends on the gauge: scaling every neuron by the same c keeps J and the output map but multiplies
the noise-induced error by c. The gains here are those of `balance` (mean log gain zero on each strongly
connected component), which is what the balancing flow itself conserves (sum_k h_k' = sum_k g_k = 0).

Everything here is floating-point simulation and measurement: nothing is kernel-checked, nothing is a proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from certify.errors import InputError

DEFAULT_SIGMAS = tuple(float(s) for s in np.logspace(-3, 0, 7))
DEFAULT_SEEDS = tuple(range(10))
MEASURE_KEYS = ("mu1", "mu2", "muinf", "norm1", "norm2", "norminf", "frobenius", "spectral_abscissa")
MEASURE_LABELS = {"mu1": "mu_1(J)", "mu2": "mu_2(J)", "muinf": "mu_inf(J)", "norm1": "||J||_1",
                  "norm2": "||J||_2", "norminf": "||J||_inf", "frobenius": "||J||_F",
                  "spectral_abscissa": "alpha(J)"}
#: the largest network the noise experiment runs on (its cost grows like n^2 x steps x sigmas x seeds)
MAX_N = 500


# ---------------------------------------------------------------------------------------------------
# networks


@dataclass(frozen=True, eq=False)
class ReluNetwork:
    """x' = -x + J relu(x) + W_in u(t) + b, y = W_out x. W_in may be None (no input); b None means 0."""

    J: np.ndarray
    W_out: np.ndarray
    W_in: np.ndarray | None = None
    b: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.J.shape[0])

    def balanced(self, *, p: float = 2.0, tol: float = 1e-12):
        """(the balanced twin, the BalanceResult). Raises NoBalancedState when no balanced state exists."""
        # deferred: loaded only when this path runs (keeps this module's import light)
        from certify.families.balancing import balance
        res = balance(self.J, W_in=self.W_in, W_out=self.W_out, b=self.b, p=p, tol=tol)
        return ReluNetwork(res.J, res.W_out, res.W_in, res.b), res


def imbalanced_network(n: int = 40, *, spread: float = 1.0, seed: int = 0, gain: float = 0.8,
                       log_gains: Sequence[float] | None = None) -> ReluNetwork:
    """A random ReLU network with a task (two sinusoidal inputs, one linear readout, a positive bias) whose
    neurons carry hidden gains: J = D0 G D0^-1, W_in = D0 W_in0, b = D0 b0, W_out = W_out0 D0^-1 with
    D0 = diag(e^{h0}), h0 = spread x N(0, 1) (or `log_gains`), centred to mean 0. Neuron i with large h0_i has
    large incoming and small outgoing weights. G has zero diagonal and N(0, gain^2 / n) entries."""
    if n < 2:
        raise InputError(f"n must be at least 2, got {n}", symbol="n")
    rng = np.random.default_rng(seed)
    G = rng.normal(size=(n, n)) * gain / np.sqrt(n)
    np.fill_diagonal(G, 0.0)
    W_in0 = rng.normal(size=(n, 2))
    b0 = rng.uniform(0.2, 1.0, size=n)
    W_out0 = rng.normal(size=(1, n)) / np.sqrt(n)
    h0 = spread * rng.normal(size=n) if log_gains is None else np.asarray(log_gains, float)
    if h0.shape != (n,) or not np.all(np.isfinite(h0)):
        raise InputError(f"log_gains must be {n} finite numbers", symbol="log_gains")
    e = np.exp(h0 - h0.mean())
    return ReluNetwork(G * e[:, None] / e[None, :], W_out0 / e[None, :], W_in0 * e[:, None], b0 * e)


def default_input(m: int) -> Callable[[float], np.ndarray]:
    """u_k(t) = sin((1 + 0.6 k) t + k), k = 0..m-1: m sinusoids of different frequencies and phases."""
    freq = 1.0 + 0.6 * np.arange(m)
    phase = np.arange(m, dtype=float)
    return lambda t: np.sin(freq * t + phase)


# ---------------------------------------------------------------------------------------------------
# measures


@dataclass(frozen=True, eq=False)
class MeasuresBeforeAfter:
    """Matrix measures and norms of J before and after balancing (floats; see MEASURE_KEYS).

    spectral_abscissa_change = |alpha(J_after) - alpha(J_before)|: zero in exact arithmetic (a conserved
    quantity), so only a numerical residual. frobenius_minimal: the p = 2, alpha = 1 cost is ||J||_F^2."""

    before: dict[str, float]
    after: dict[str, float]
    spectral_abscissa_change: float
    result: Any                      # the BalanceResult
    p: float = 2.0

    def table(self) -> str:
        lines = [f"  {'':12s}{'before':>14s}{'after':>14s}"]
        for key in MEASURE_KEYS:
            lines.append(f"  {MEASURE_LABELS[key]:12s}{self.before[key]:>14.6g}{self.after[key]:>14.6g}")
        lines.append(f"  alpha(J) is conserved by balancing (a similarity): numerical change "
                     f"{self.spectral_abscissa_change:.1e}")
        return "\n".join(lines)


def matrix_measures(A: np.ndarray) -> dict[str, float]:
    """mu_1, mu_2, mu_inf, the induced norms, the Frobenius norm and the spectral abscissa (floats)."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.families.balancing import measures
    # deferred: loads SciPy only when this runs
    from certify.search.measures import spectral_abscissa
    out = dict(measures(A))
    out["frobenius"] = float(np.linalg.norm(A, "fro"))
    out["spectral_abscissa"] = spectral_abscissa(A)
    return out


def measures_before_after(J: object, *, p: float = 2.0, alpha: object = None, tol: float = 1e-12,
                          result: Any = None) -> MeasuresBeforeAfter:
    """Balance J (or take the given BalanceResult) and measure it before and after."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.families.balancing import balance
    res = result if result is not None else balance(J, p=p, alpha=alpha, tol=tol)   # validates J
    A = np.asarray(J, dtype=float)
    before, after = matrix_measures(A), matrix_measures(res.J)
    change = abs(after["spectral_abscissa"] - before["spectral_abscissa"])
    return MeasuresBeforeAfter(before, after, change, res, p)


# ---------------------------------------------------------------------------------------------------
# noise


@dataclass(frozen=True, eq=False)
class NoiseRun:
    """error[s] = mean over seeds of the RMS output error at sigmas[s]; per_seed[s, r] the RMS for seed r;
    y_clean the noiseless output at `times` (rows)."""

    sigmas: np.ndarray
    error: np.ndarray
    per_seed: np.ndarray
    times: np.ndarray
    y_clean: np.ndarray


def output_error(net: ReluNetwork, sigmas: Sequence[float] = DEFAULT_SIGMAS, seeds: Sequence[int] = DEFAULT_SEEDS,
                 *, t_end: float = 20.0, dt: float = 0.01, t_burn: float = 5.0,
                 u: Callable[[float], np.ndarray] | None = None) -> NoiseRun:
    """Euler-Maruyama from x(0) = 0:  x_{k+1} = x_k + dt F(t_k, x_k) + sigma sqrt(dt) xi_k,  xi_k ~ N(0, I)
    drawn from numpy's default_rng(seed), the same draws for every sigma (and for every network given the same
    seeds). RMS of y_noisy - y_clean over t > t_burn and all outputs, per seed; then averaged over seeds. A
    run that overflows gives error inf."""
    sig = np.asarray(sigmas, dtype=float)
    if sig.ndim != 1 or sig.size == 0 or np.any(sig < 0) or not np.all(np.isfinite(sig)):
        raise InputError("sigmas must be a non-empty list of finite numbers >= 0", symbol="sigmas")
    seeds = list(seeds)
    if not seeds:
        raise InputError("need at least one seed", symbol="seeds")
    if not (dt > 0 and t_end > t_burn >= 0):
        raise InputError(f"need dt > 0 and t_end > t_burn >= 0, got dt={dt}, t_end={t_end}, t_burn={t_burn}",
                         symbol="t_end")
    n = net.n
    if n > MAX_N:
        raise InputError(f"the noise experiment runs on networks up to n = {MAX_N}, got n = {n}", symbol="J",
                         hint="try a subnetwork (a strongly connected component) or a smaller model")
    J = np.asarray(net.J, float)
    W_out = np.atleast_2d(np.asarray(net.W_out, float))
    b = np.zeros(n) if net.b is None else np.asarray(net.b, float).reshape(n)
    W_in = None if net.W_in is None else np.asarray(net.W_in, float).reshape(n, -1)
    if u is None and W_in is not None:
        u = default_input(W_in.shape[1])
    steps = int(round(t_end / dt))
    burn = int(round(t_burn / dt))
    scale = np.concatenate([[0.0], sig])[:, None, None] * np.sqrt(dt)
    gens = [np.random.default_rng(s) for s in seeds]
    X = np.zeros((sig.size + 1, len(seeds), n))            # slot 0: the noiseless run
    sq = np.zeros((sig.size, len(seeds)))
    ys = [W_out @ X[0, 0]]
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            t = k * dt
            drive = b if W_in is None else W_in @ np.asarray(u(t), float) + b
            xi = np.stack([g.standard_normal(n) for g in gens])
            X = X + dt * (-X + np.maximum(X, 0.0) @ J.T + drive) + scale * xi[None]
            Y = X @ W_out.T
            ys.append(Y[0, 0])
            if k + 1 > burn:
                sq += ((Y[1:] - Y[:1]) ** 2).sum(axis=-1)
    count = (steps - burn) * W_out.shape[0]
    per_seed = np.sqrt(sq / count)
    per_seed[~np.isfinite(per_seed)] = np.inf
    times = np.arange(steps + 1) * dt
    return NoiseRun(sig, per_seed.mean(axis=1), per_seed, times, np.array(ys))


@dataclass(frozen=True, eq=False)
class RobustnessResult:
    """The noise experiment on a network and its balanced twin.

    clean_difference: max |y_unbalanced - y_balanced| of the noiseless runs (rounding only, for ReLU);
    ratio = balanced error / unbalanced error per sigma (< 1: balancing helped)."""

    unbalanced: NoiseRun
    balanced: NoiseRun
    clean_difference: float
    measures: MeasuresBeforeAfter
    balance: Any

    @property
    def sigmas(self) -> np.ndarray:
        return self.unbalanced.sigmas

    @property
    def ratio(self) -> np.ndarray:
        return self.balanced.error / self.unbalanced.error

    def table(self) -> str:
        lines = [f"  {'sigma':>10s}{'unbalanced':>14s}{'balanced':>14s}{'ratio':>9s}"]
        for s, a, c, r in zip(self.sigmas, self.unbalanced.error, self.balanced.error, self.ratio):
            lines.append(f"  {s:>10.3g}{a:>14.4g}{c:>14.4g}{r:>9.3f}")
        return "\n".join(lines)


def noise_experiment(net: ReluNetwork, sigmas: Sequence[float] = DEFAULT_SIGMAS,
                     seeds: Sequence[int] = DEFAULT_SEEDS, *, t_end: float = 20.0, dt: float = 0.01,
                     t_burn: float = 5.0, p: float = 2.0, tol: float = 1e-12, result: Any = None,
                     u: Callable[[float], np.ndarray] | None = None) -> RobustnessResult:
    """Balance `net` (or use the given BalanceResult of it: its W_out, or net.W_out D when it was balanced
    without W_out), run `output_error` on both networks with the same input, seeds and sigmas, and compare.
    Raises NoBalancedState when no balanced state exists."""
    if result is None:
        twin, result = net.balanced(p=p, tol=tol)
    else:
        W_out = result.W_out if result.W_out is not None else np.atleast_2d(net.W_out) * result.gains[None, :]
        twin = ReluNetwork(result.J, W_out, result.W_in, result.b)
    a = output_error(net, sigmas, seeds, t_end=t_end, dt=dt, t_burn=t_burn, u=u)
    c = output_error(twin, sigmas, seeds, t_end=t_end, dt=dt, t_burn=t_burn, u=u)
    diff = float(np.max(np.abs(a.y_clean - c.y_clean)))
    return RobustnessResult(a, c, diff, measures_before_after(net.J, p=p, result=result), result)


def robustness_figure(res: RobustnessResult, title: str = ""):
    """Output error vs sigma, unbalanced vs balanced, log-log (a matplotlib Figure; Agg backend)."""
    # deferred: matplotlib is loaded only when this runs
    import matplotlib
    matplotlib.use("Agg")
    # deferred: matplotlib is loaded only when this runs
    from matplotlib.figure import Figure
    fig = Figure(figsize=(6.5, 4.8), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for run, label, style in ((res.unbalanced, "unbalanced", "o-"), (res.balanced, "balanced", "s-")):
        lo = np.percentile(run.per_seed, 10, axis=1)
        hi = np.percentile(run.per_seed, 90, axis=1)
        seeds = run.per_seed.shape[1]
        ax.loglog(run.sigmas, run.error, style, label=f"{label} (mean over {seeds} seeds; band 10-90%)")
        ax.fill_between(run.sigmas, lo, hi, alpha=0.2)
    ax.set_xlabel(r"noise standard deviation $\sigma$ (per neuron)")
    ax.set_ylabel(r"RMS output error $\|y_{\mathrm{noisy}} - y_{\mathrm{clean}}\|$")
    head = (title or f"ReLU network, n = {res.balance.J.shape[0]}").replace("$", r"\$")
    ax.set_title(f"{head}: noise, unbalanced vs balanced", fontsize=11)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.text(0.01, 0.012, f"same noiseless output (max difference {res.clean_difference:.1e}); simulation in "
             "floats, untrusted", fontsize=8, color="0.25", ha="left", va="bottom")
    fig.tight_layout(rect=(0.0, 0.05, 1.0, 1.0))
    return fig


__all__ = ["DEFAULT_SEEDS", "DEFAULT_SIGMAS", "MeasuresBeforeAfter", "NoiseRun", "ReluNetwork", "RobustnessResult",
           "default_input", "imbalanced_network", "matrix_measures", "measures_before_after", "noise_experiment",
           "output_error", "robustness_figure"]
