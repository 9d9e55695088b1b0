"""A spectral report for people: the text (`render`) and the picture of the spectrum (`plot_spectrum`, with the
boundary of the numerical range). Floating point; the labels say what is trusted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from certify.errors import InputError
from certify.families.spectra.quantities import KERNEL, NUMERICAL_RANGE_MAX_N, TRUST_TEXT, SpectralReport, Value

def _fmt(v: Value | None, digits: int = 6) -> str:
    if v is None:
        return "-"
    return f"{v.value:+.{digits}g}"


def render(rep: SpectralReport) -> str:
    """The report for people (numbers rounded; JSON keeps the exact rationals)."""
    act = rep.activation or "slope-restricted phi"
    eq = "x' = -x + W phi(x) + u" if rep.form == "H" else "x' = -x + phi(W x + u)"
    lines = [f"Spectrum of a fixed network: {eq}, {act} (phi' in [0, {rep.g}]), n = {rep.n}",
             "labels: exact = exact rational arithmetic (kernel); kernel = bound verified by the kernel; "
             "float = floating point, UNTRUSTED",
             "",
             "Measures of W (gap = value - alpha(W), float)",
             f"  {'quantity':<52}{'value':>12}{'gap':>10}  label"]

    def row(name: str, v: Value | None, gap: bool = True, extra: str = "") -> None:
        if v is None:
            return
        g = f"{v.value - rep.alpha.value:+.4g}" if gap else ""
        lines.append(f"  {name:<52}{_fmt(v):>12}{g:>10}  {TRUST_TEXT[v.trust]}{extra}")

    row("alpha(W)  spectral abscissa", rep.alpha, gap=False)
    row("mu_1(W)", rep.mu1)
    row("mu_inf(W)", rep.muinf)
    row("mu_2(W)", rep.mu2)
    if rep.mu2_bound is not None:
        row("  mu_2(W) <= (upper bound)", rep.mu2_bound)
    row("alpha(ceil(W)) = inf_eta mu_1,eta = inf mu_inf,eta", rep.alpha_majorant)
    row("mu_1,eta(W) at the left Perron weights", rep.weighted_l1)
    row("mu_inf,eta(W) at the right Perron weights", rep.weighted_linf)
    if rep.lyapunov is not None:
        name = "mu_P(W) <= (Lyapunov metric P)" if rep.lyapunov.trust == KERNEL else "mu_P(W) (Lyapunov metric P)"
        row(name, rep.lyapunov)
        lines.append("    inf over metrics P of mu_P(W) = alpha(W) (Lyapunov): the l2 gap closes for the linear map")
    lines += ["", f"Network: Jacobians {'-I + W D' if rep.form == 'H' else '-I + D W'}, D = diag(d), "
                  f"d_i in [0, {rep.g}]" + (" (linear: D = I exactly)" if rep.activation == "linear" else "")]
    if rep.jacobian_at_zero is not None:
        s0 = f"phi'(0) = {rep.slope_at_zero:g}" if rep.slope_at_zero is not None else "phi' at u"
        eqtxt = "an equilibrium" if rep.zero_is_equilibrium else "not an equilibrium"
        lines.append(f"  alpha(J(0)) = {_fmt(rep.jacobian_at_zero)} (float; {s0}; x = 0 is {eqtxt})")
    lines.append(f"  spectral ceiling: no norm proves a rate above {_fmt(rep.ceiling)} (float)")
    lines.append("  rates c (mu(J) <= -c for every admissible D; c > 0 proves contraction):")
    for r in rep.rates:
        if r.value is None:
            val = "none"
        else:
            val = _fmt(r.value)
        up = f"; best possible <= {r.float_upper:+.4g} (float dual bound)" if r.float_upper is not None else ""
        label = TRUST_TEXT[r.value.trust] if r.value is not None else "not verified"
        lines.append(f"    {r.norm:<34}{val:>12}  {label}: {r.note}{up}")
        if r.value is not None:
            lines.append(f"      gap to the spectral ceiling: {rep.ceiling.value - r.value.value:+.4g} (float)")
    lines.append(f"  circular-law reference radius ||W||_F / sqrt(n) = {rep.bulk_radius:.4g} (float)")
    if rep.verdict is not None:
        lines += ["", f"Verdict (check_rule, bound = contracting): {rep.verdict}", f"  {rep.verdict_summary}"]
        lines += [f"  - {w}" for w in rep.why]
    if rep.notes:
        lines += ["", "Notes:"] + [f"  - {x}" for x in rep.notes]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Plot


def numerical_range(W: Any, points: int = 181) -> np.ndarray:
    """Boundary points of the numerical range {x* W x : |x| = 1} (floating point, UNTRUSTED): for each angle
    t the top eigenvector v of the Hermitian part of e^{it} W gives the point v* W v. The first point (t = 0)
    has real part mu_2(W), the largest of the range."""
    A = np.asarray(W, dtype=np.float64)
    out = []
    for t in np.linspace(0.0, 2 * np.pi, points):
        H = (np.exp(1j * t) * A + np.exp(-1j * t) * A.T) / 2
        _, V = np.linalg.eigh(H)
        v = V[:, -1]
        out.append(np.vdot(v, A @ v))
    return np.array(out)


def plot_spectrum(rep: SpectralReport, path: str | Path, W: Any = None, *, title: str | None = None) -> Path:
    """Eigenvalues of W in the complex plane (float, UNTRUSTED) with the unit circle, the line
    Re lambda = 1 / phi'(0) (the origin of form H is linearly stable iff every eigenvalue lies left of it), the
    bulk reference circle ||W||_F / sqrt(n), vertical marks at alpha(W), alpha(ceil(W)) and mu_2(W), and (with W,
    n <= NUMERICAL_RANGE_MAX_N) the boundary of the numerical range, whose rightmost point is mu_2(W).
    Writes .png, .svg or .pdf (by the suffix of path); the title is one line, the details a caption below."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise InputError(f"plot file {path.name} must end in .png, .svg or .pdf", file=str(path), symbol="plot",
                         hint="e.g. --plot spectrum.pdf")
    # deferred: matplotlib costs about 0.5 s to import and only plots use it; Agg is chosen before pyplot loads
    import matplotlib
    matplotlib.use("Agg")
    # deferred: matplotlib is loaded only when this runs
    import matplotlib.pyplot as plt

    eig = rep.eigenvalues
    fig, ax = plt.subplots(figsize=(9.0, 5.4))
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color="0.6", lw=0.8, ls="--", label="unit circle")
    r = rep.bulk_radius
    ax.plot(r * np.cos(t), r * np.sin(t), color="C2", lw=0.8,
            label=rf"circular-law reference $\|W\|_F/\sqrt{{n}} = {r:.3g}$")
    if W is not None and rep.n <= NUMERICAL_RANGE_MAX_N:
        fov = numerical_range(W)
        ax.plot(fov.real, fov.imag, color="C4", lw=1.0, label=r"numerical range ($\max\,\mathrm{Re} = \mu_2(W)$)")
    ax.scatter(eig.real, eig.imag, s=12, color="C0", zorder=3, label=f"eigenvalues of $W$ ($n = {rep.n}$)")
    if rep.slope_at_zero:
        x1 = 1.0 / rep.slope_at_zero
        ax.axvline(x1, color="k", lw=1.0, label=rf"$\mathrm{{Re}}\,\lambda = {x1:g}$: $J(0) = -I + W\varphi'(0)$ loses stability")
    for x, name, color in ((rep.alpha.value, r"\alpha(W)", "C1"),
                           (rep.alpha_majorant.value, r"\alpha(\lceil W\rceil)", "C3"), (rep.mu2.value, r"\mu_2(W)", "C4")):
        ax.axvline(x, color=color, lw=0.9, ls=":", label=f"${name} = {x:+.3f}$")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(r"$\mathrm{Re}\,\lambda$")
    ax.set_ylabel(r"$\mathrm{Im}\,\lambda$")
    ax.set_title(title or f"spectrum of $W$, contraction {rep.verdict or 'not decided'}", fontsize=11)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    fig.text(0.01, 0.012, "eigenvalues, numerical range and marks computed in floats (untrusted, display only); "
             "the verdict is the kernel's", fontsize=8, color="0.25", ha="left", va="bottom")
    fig.tight_layout(rect=(0.0, 0.04, 1.0, 1.0))
    metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None} if fmt == "pdf" else {}
    fig.savefig(path, dpi=120, format=fmt, metadata=metadata)
    plt.close(fig)
    return path
