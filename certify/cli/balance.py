"""`certify balance`: balance a network's weights from files (see docs/balancing.md).

Stand-alone: ``python -m certify.cli.balance WEIGHTS [options]``; inside the main CLI, call
`add_parser(subparsers)` and dispatch to `run(args)`.

Exit codes (certify.verdict.ExitCode): 0 balanced to the tolerance; 1 no balanced state exists, or
the solver did not reach the tolerance; 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any, Sequence

import numpy as np

from certify.errors import InputError
from certify.verdict import ExitCode

#: networks at least this large report progress on stderr (smaller ones only with --verbose)
PROGRESS_MIN_N = 2000
#: at most this many blocking edges are listed in JSON output (blocking_edge_count has the total)
MAX_JSON_EDGES = 1000
#: mu_2 and the 2-norm need an eigen/singular value computation; skipped above this size
SPECTRAL_MAX_N = 2000

_KEYS = ("J", "W_in", "W_out", "b")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `balance` subcommand to an argparse subparsers object; returns its parser."""
    p = subparsers.add_parser(
        "balance",
        help="synaptically balance a network (incoming = outgoing cost at every neuron)",
        description=(
            "Rescale neurons by gains D = diag(e^h): J -> D^-1 J D, W_in -> D^-1 W_in, b -> D^-1 b, "
            "W_out -> W_out D, until every neuron's incoming synaptic cost sum_j alpha_ij |J_ij|^p equals "
            "its outgoing cost. Keeps the spectrum, the diagonal, cycle products and sign pattern, and - "
            "for ReLU / leaky ReLU / linear units - the input-output map. Exit 0 balanced, 1 no balanced "
            "state or not converged, 2 bad input."),
    )
    _configure(p)
    return p


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("weights", metavar="WEIGHTS",
                   help="J as .npy, .csv, or .npz with keys J and optionally W_in, W_out, b")
    p.add_argument("--w-in", dest="w_in", metavar="FILE", help="input weights W_in (n x m), .npy/.csv")
    p.add_argument("--w-out", dest="w_out", metavar="FILE", help="output weights W_out (k x n), .npy/.csv")
    p.add_argument("--bias", dest="bias", metavar="FILE", help="bias b (length n), .npy/.csv")
    p.add_argument("--p", dest="p", type=float, default=2.0, help="cost exponent p > 0 (default 2)")
    p.add_argument("--alpha", dest="alpha", metavar="FILE",
                   help="cost weights alpha (n x n, all > 0), .npy/.csv/.npz (default: all ones)")
    p.add_argument("--tol", dest="tol", type=float, default=1e-10,
                   help="target relative imbalance ||g||_2 / total cost (default 1e-10)")
    p.add_argument("--max-iter", dest="max_iter", type=int, default=500,
                   help="iteration limit: Jacobi sweeps + Newton steps (default 500)")
    p.add_argument("--format", dest="format", choices=("text", "json"), default="text")
    p.add_argument("--out", dest="out", metavar="FILE.npz",
                   help="write the balanced J, W_in, W_out, b and the log gains h to this .npz")
    p.add_argument("--robustness", dest="robustness", metavar="FILE.png|FILE.svg|FILE.pdf",
                   help="also run the noise experiment of certify.families.robustness on the network read as ReLU (output "
                        "error vs noise, unbalanced vs balanced; W_out defaults to the identity) and plot it to "
                        "FILE (n <= 500; untrusted simulation)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quiet", "-q", action="store_true", help="print nothing on success; errors only")
    g.add_argument("--verbose", "-v", action="store_true", help="progress lines on stderr for any n")


# ------------------------------------------------------------------------------------------------
# reading


def _load_any(path: str, what: str, *, vector: bool = False) -> np.ndarray | dict[str, np.ndarray]:
    """An array (or the arrays of a .npz) through the one safe loader (certify/lang/datafiles.py): regular files only,
    real numeric dtypes, the .npy header and size checked before anything is allocated, no pickles."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.lang.datafiles import load_array
    return load_array(path, what, ndims=(1, 2), npz=True)


def _load_array(path: str, what: str, *, vector: bool = False) -> np.ndarray:
    data = _load_any(path, what)
    if isinstance(data, dict):
        if len(data) != 1:
            raise InputError(f"{what}: expected one array in the .npz, found keys {sorted(data)}", file=path,
                             hint="save one array per file, e.g. np.save(path, array)")
        data = next(iter(data.values()))
    a = np.asarray(data)
    if vector and a.ndim == 2 and 1 in a.shape:
        a = a.reshape(-1)
    return a


def load_network(args: argparse.Namespace) -> dict[str, np.ndarray | None]:
    """J, W_in, W_out, b, alpha from the files named in `args` (InputError names the file)."""
    net: dict[str, np.ndarray | None] = {k: None for k in _KEYS}
    data = _load_any(args.weights, "weights")
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(_KEYS) - {"alpha", "h"})
        if "J" not in data:
            raise InputError(f"weights: the .npz has no array 'J' (keys: {sorted(data)})", file=args.weights,
                             symbol="J", hint="save with np.savez(path, J=J, W_in=..., W_out=..., b=...)")
        if unknown:
            raise InputError(f"weights: unknown key(s) {unknown} in the .npz; expected {list(_KEYS)}",
                             file=args.weights, symbol=unknown[0])
        for k in _KEYS:
            net[k] = data.get(k)
        if net["b"] is not None and net["b"].ndim == 2 and 1 in net["b"].shape:
            net["b"] = net["b"].reshape(-1)
    else:
        net["J"] = np.asarray(data)
    for key, opt in (("W_in", "w_in"), ("W_out", "w_out"), ("b", "bias")):
        path = getattr(args, opt, None)
        if path is not None:
            net[key] = _load_array(path, f"--{opt.replace('_', '-')}", vector=(key == "b"))
    net["alpha"] = None if args.alpha is None else _load_array(args.alpha, "--alpha")
    return net


def _files_of(args: argparse.Namespace) -> dict[str, str]:
    """The file each array came from, to name it in messages about that array."""
    files = {k: args.weights for k in (*_KEYS, "alpha")}
    for key, opt in (("W_in", "w_in"), ("W_out", "w_out"), ("b", "bias"), ("alpha", "alpha")):
        if getattr(args, opt, None):
            files[key] = getattr(args, opt)
    return files


# ------------------------------------------------------------------------------------------------
# running


def _usage_error(report: dict, err: InputError, args, out) -> int:
    """Report an input error (in the JSON report, or on stderr) and return exit code 2."""
    report.update(status="error", error=err.to_dict())
    if args.format == "json":
        _emit_json(report, out)
    else:
        print(f"error: {err}", file=sys.stderr)
    return int(ExitCode.USAGE_ERROR)


def run(args: argparse.Namespace) -> int:
    """Execute `certify balance` for parsed `args`; returns the exit code."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.families.balancing import NoBalancedState, balance, measures_report

    out = sys.stdout
    report: dict[str, Any] = {"command": "balance", "input": args.weights}
    try:
        net = load_network(args)
        J = net["J"]
        n = int(np.asarray(J).shape[0]) if np.asarray(J).ndim >= 1 else 0
        if getattr(args, "robustness", None):
            _check_robustness_target(args.robustness, n)
        show_progress = (not args.quiet) and (args.verbose or n >= PROGRESS_MIN_N)
        res = balance(J, W_in=net["W_in"], W_out=net["W_out"], b=net["b"], p=args.p, alpha=net["alpha"],
                      tol=args.tol, max_iter=args.max_iter,
                      progress=_progress_printer() if show_progress else None)
    except NoBalancedState as exc:
        reason = exc.message.removeprefix("no balanced state: ")
        report.update(status="no_balanced_state", reason=reason, hint=exc.hint, n=exc.n,
                      blocking_edge_count=int(len(exc.edge_array)),
                      blocking_edges=exc.edge_array[:MAX_JSON_EDGES].tolist())
        if args.format == "json":
            _emit_json(report, out)
        elif args.quiet:
            print(f"no balanced state: {args.weights}: {len(exc.edge_array)} synapse(s) on no directed cycle",
                  file=sys.stderr)
        else:
            print(f"no balanced state: {args.weights} (n = {exc.n})", file=out)
            print(f"  reason: {reason}", file=out)
            print(f"  blocking synapses (i <- j): {_edge_list(exc.edge_array[:11].tolist(), len(exc.edge_array))}",
                  file=out)
            print(f"  hint: {exc.hint}", file=out)
        return int(ExitCode.REFUTED)
    except InputError as exc:
        if exc.file is None:    # an array's shape or values: name the file it came from
            exc = exc.located(file=_files_of(args).get(exc.symbol or "J", args.weights))
        return _usage_error(report, exc, args, out)

    report.update(res.summary())
    n = res.J.shape[0]
    meas = measures_report(J, res.J) if n <= SPECTRAL_MAX_N else _cheap_measures(np.asarray(J, float), res.J)
    report["measures"] = meas
    if args.out and res.converged:
        try:
            path = _write(args.out, res)
        except OSError as exc:
            err = InputError(f"--out: cannot write: {exc}", file=args.out)
            return _usage_error(report, err, args, out)
        report["out"] = path
    elif args.out:
        report["out"] = None
    if getattr(args, "robustness", None):
        try:
            report["robustness"] = _robustness(args.robustness, net, res) if res.converged else None
        except (OSError, InputError) as exc:
            err = exc if isinstance(exc, InputError) else InputError(f"--robustness: cannot write: {exc}",
                                                                     file=args.robustness)
            return _usage_error(report, err, args, out)
    code = ExitCode.OK if res.converged else ExitCode.REFUTED
    if args.format == "json":
        _emit_json(report, out)
    elif not args.quiet:
        _print_text(report, res, args, out)
    elif not res.converged:
        print(f"not balanced: {args.weights}: {res.message}", file=sys.stderr)
    return int(code)


def _check_robustness_target(path: str, n: int) -> None:
    # deferred: loads SymPy only when this runs
    from certify.output.plot import output_format
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.families.robustness import MAX_N
    output_format(path, symbol="--robustness")
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        raise InputError(f"--robustness: the directory of {path!r} does not exist", file=path,
                         symbol="--robustness", hint="create the directory first")
    if n > MAX_N:
        raise InputError(f"--robustness: the noise experiment runs on networks up to n = {MAX_N}, got n = {n}",
                         file=path, symbol="--robustness", hint="drop --robustness for this network")


def _robustness(path: str, net: dict[str, Any], res) -> dict[str, Any]:
    """Run the noise experiment (ReLU; W_out = I when not given) and write its plot to `path`."""
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.families.robustness import ReluNetwork, noise_experiment, robustness_figure
    J = np.asarray(net["J"], float)
    W_out = np.eye(J.shape[0]) if net["W_out"] is None else np.atleast_2d(np.asarray(net["W_out"], float))
    relu = ReluNetwork(J, W_out, None if net["W_in"] is None else np.asarray(net["W_in"], float),
                       None if net["b"] is None else np.asarray(net["b"], float))
    exp = noise_experiment(relu, result=res)
    # deferred: loads SymPy only when this runs
    from certify.output.plot import save_figure
    save_figure(robustness_figure(exp, title=f"{os.path.basename(path)}: ReLU network, n = {J.shape[0]}"), path)
    m = exp.measures
    return {"plot": path, "activation": "relu", "readout": "W_out" if net["W_out"] is not None else "identity",
            "input": "sinusoids" if net["W_in"] is not None else "none",
            "seeds": int(exp.unbalanced.per_seed.shape[1]), "sigmas": exp.sigmas.tolist(),
            "error_unbalanced": exp.unbalanced.error.tolist(), "error_balanced": exp.balanced.error.tolist(),
            "ratio": exp.ratio.tolist(), "clean_difference": exp.clean_difference,
            "frobenius": [m.before["frobenius"], m.after["frobenius"]],
            "spectral_abscissa": [m.before["spectral_abscissa"], m.after["spectral_abscissa"]]}


def _progress_printer():
    def show(phase: str, iteration: int, imb: float) -> None:
        if phase == "start":
            print(f"balance: start, relative imbalance {imb:.3e}", file=sys.stderr, flush=True)
        elif phase == "done":
            print(f"balance: done after {iteration} iteration(s), relative imbalance {imb:.3e}",
                  file=sys.stderr, flush=True)
        else:
            print(f"balance: {phase} iteration {iteration}, relative imbalance {imb:.3e}",
                  file=sys.stderr, flush=True)
    return show


def _cheap_measures(before: np.ndarray, after: np.ndarray) -> dict[str, dict[str, float | None]]:
    def m(a: np.ndarray) -> dict[str, float | None]:
        d = np.diag(a)
        ab = np.abs(a)
        return {"mu1": float(np.max(d + ab.sum(axis=0) - np.abs(d))), "mu2": None,
                "muinf": float(np.max(d + ab.sum(axis=1) - np.abs(d))),
                "norm1": float(ab.sum(axis=0).max()), "norm2": None, "norminf": float(ab.sum(axis=1).max())}
    return {"before": m(before), "after": m(after)}


def _write(path: str, res) -> str:
    if not path.endswith(".npz"):
        path += ".npz"
    arrays = {"J": res.J, "h": res.h}
    for k in ("W_in", "W_out", "b"):
        v = getattr(res, k)
        if v is not None:
            arrays[k] = v
    # deferred: loaded only when this path runs (keeps this module's import light)
    from certify.output.atomic import write_bytes_with
    write_bytes_with(path, lambda fh: np.savez(fh, **arrays))   # whole or not at all
    return path


def _edge_list(edges: Sequence[Sequence[int]], total: int, shown: int = 10) -> str:
    text = ", ".join(f"{i}<-{j}" for i, j in edges[:shown])
    if total > shown:
        text += f", ... ({total} in all)"
    return text


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.6g}"


def _print_text(report: dict[str, Any], res, args: argparse.Namespace, stream) -> None:
    w = stream.write
    status = "balanced" if res.converged else "NOT balanced"
    w(f"{status}: {args.weights} (n = {report['n']}, p = {res.p:g})\n")
    if not res.converged:
        w(f"  {res.message}\n")
    w(f"  relative imbalance: {res.imbalance_before:.3e} -> {res.imbalance:.3e} (tol {res.tol:g})\n")
    w(f"  method: {res.method}, {res.iterations} iteration(s), {res.seconds:.3f} s\n")
    w(f"  total cost: {_fmt(res.cost_before)} -> {_fmt(res.cost_after)}\n")
    sizes = report["largest_components"]
    w(f"  strongly connected components: {report['components']} (largest: "
      f"{', '.join(str(s) for s in sizes[:5])})\n")
    lo, hi = report["log_gain_range"]
    w(f"  log gains h: min {lo:.4g}, max {hi:.4g}\n")
    meas = report["measures"]
    names = [("mu1", "mu_1(J)"), ("mu2", "mu_2(J)"), ("muinf", "mu_inf(J)"),
             ("norm1", "||J||_1"), ("norm2", "||J||_2"), ("norminf", "||J||_inf")]
    w(f"  {'':12s}{'before':>14s}{'after':>14s}\n")
    for key, label in names:
        w(f"  {label:12s}{_fmt(meas['before'][key]):>14s}{_fmt(meas['after'][key]):>14s}\n")
    if meas["before"]["mu2"] is None:
        w(f"  (mu_2 and ||J||_2 skipped for n > {SPECTRAL_MAX_N})\n")
    if report.get("out"):
        w(f"  wrote {report['out']} (J, h" + "".join(
            f", {k}" for k in ("W_in", "W_out", "b") if getattr(res, k) is not None) + ")\n")
    elif "out" in report:
        w("  nothing written (not converged)\n")
    if "robustness" in report:
        _print_robustness(report["robustness"], w)


def _print_robustness(rob: dict[str, Any] | None, w) -> None:
    if rob is None:
        w("  robustness: skipped (not balanced)\n")
        return
    fro, alpha = rob["frobenius"], rob["spectral_abscissa"]
    w(f"  ||J||_F {_fmt(fro[0])} -> {_fmt(fro[1])}; spectral abscissa {_fmt(alpha[0])} -> {_fmt(alpha[1])} "
      "(conserved)\n")
    w(f"  robustness (untrusted simulation): ReLU, input {rob['input']}, readout {rob['readout']};\n"
      f"  white noise of std sigma in every neuron, RMS output error, mean over {rob['seeds']} seeds\n")
    w(f"  {'sigma':>10s}{'unbalanced':>14s}{'balanced':>14s}{'ratio':>9s}\n")
    for s, a, c, r in zip(rob["sigmas"], rob["error_unbalanced"], rob["error_balanced"], rob["ratio"]):
        w(f"  {s:>10.3g}{a:>14.4g}{c:>14.4g}{r:>9.3f}\n")
    w(f"  noiseless outputs agree to {rob['clean_difference']:.1e}; wrote {rob['plot']}\n")


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    return obj


def _emit_json(report: dict[str, Any], stream) -> None:
    json.dump(_clean(report), stream, indent=2)
    stream.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m certify.cli.balance WEIGHTS [options]``."""
    parser = argparse.ArgumentParser(
        prog="certify balance",
        description="Synaptic balancing: rescale neurons until incoming = outgoing synaptic cost.")
    _configure(parser)
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse: usage error (2) or --help (0)
        return int(exc.code) if isinstance(exc.code, int) else int(ExitCode.USAGE_ERROR)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
