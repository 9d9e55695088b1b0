"""`analyze`: energy, flat regions, equilibria with their stability, the strict Lyapunov function and the contraction
verdict of one network, put together in a MemoryReport."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from certify.errors import KernelError
from certify.kernel import equilibria as keq
from certify.kernel import exact
from certify.search import equilibria as numeric
from certify.search.sizes import MEMORY_ENUMERATION_MAX_N
from certify.families.memory.dynamics import _floats
from certify.families.memory.equilibria import _enumerate, _search, solve_active_set_linear
from certify.families.memory.flat import FlatRegion, flat_region
from certify.families.memory.inputs import lagrangian_name, read_network, read_tau, two_layer
from certify.families.memory.lyapunov import strict_lyapunov
from certify.families.memory.report import Equilibrium, MemoryReport
from certify.families.memory.stability import _numeric_abscissa, _unstable_statement, _verify_point, classify
from certify.families.memory.tanh import _tanh_equilibria


MAX_ENUMERATION = MEMORY_ENUMERATION_MAX_N   # all 2^n active sets up to this n (search/sizes.py)


FLAT_SHOWN = 8                # flat regions listed in a report (the count covers all of them)


def _contraction(Wq, bq, lag, eqs: list[Equilibrium], tau) -> tuple[str, str]:
    if len(eqs) >= 2:
        stable = [e for e in eqs if e.stability == "stable"]
        pick = (stable + [e for e in eqs if e.stability != "stable"])[:2]
        try:
            if lag == "tanh":
                Ys = tuple(numeric.preconditioner(Wq, bq, "H", "tanh", e.box[0]) for e in pick)
                two = keq.verify_two_equilibria(Wq, bq, "H", "tanh", pick[0].box, pick[1].box, preconditioners=Ys)
            else:
                two = keq.verify_two_equilibria(Wq, bq, "H", lag, (list(pick[0].point), 0), (list(pick[1].point), 0))
        except KernelError as err:
            return "not decided", f"two equilibria found but the kernel did not verify them: {err}"
        which = "two stable equilibria (stored memories)" if len(stable) >= 2 else "two equilibria"
        return "refuted", f"{which}, verified by the kernel: {two}"
    unstable = [e for e in eqs if e.stability == "unstable"]
    if unstable and unstable[0].exact:
        text = _unstable_statement(Wq, bq, lag, list(unstable[0].point))
        if not text.startswith("(kernel"):
            return "refuted", text
    if len(set(tau)) != 1:
        return "not decided", "a single equilibrium; contraction certificates are tried only for equal time constants"
    # deferred: the contraction search and the rule language take ~0.35 s to import, needed only for one equilibrium
    from certify.search.contraction import certify_fixed
    # deferred with certify_fixed above (it loads this module too), for the same reason
    from certify.lang.network import Network
    net = Network("H", Fraction(1), lag, tuple(tuple(r) for r in Wq), tuple(bq))
    try:
        res = certify_fixed(net, use_lmi=False)
    except (KernelError, ValueError, np.linalg.LinAlgError) as err:   # pragma: no cover - defensive
        return "not decided", f"contraction search failed: {err}"
    if res.best is not None:
        rate = res.best.rate / tau[0]
        return "certified", f"contracting at rate {rate} in {res.best.norm} (kernel-checked; rate scaled by 1/tau)"
    return "not decided", "a single equilibrium found, but no contraction certificate (weighted l1/linf)"


def analyze(W: object, b: object = None, tau: object = 1, lagrangian: str = "relu", *,
            max_enumeration: int = MAX_ENUMERATION, starts: int = 64, seed: int = 0,
            flat_shown: int = FLAT_SHOWN, two_layer_sizes: tuple[int, int] | None = None) -> MemoryReport:
    """Energy, flat regions, equilibria with exact stability, a strict Lyapunov function and the contraction
    verdict of  tau x' = W g(x) - x + b  (W symmetric; see the module docstring for what is trusted)."""
    lag = lagrangian_name(lagrangian)
    Wq, bq = read_network(W, b)
    n = len(Wq)
    t = read_tau(tau, n)
    notes: list[str] = []
    degenerate: list[tuple[int, ...]] = []
    if lag == "tanh":
        eqs = _tanh_equilibria(Wq, bq, t, starts, seed)
        method, complete = "krawczyk", False
        notes.append("tanh: equilibria from an untrusted numerical search, each enclosed in a kernel-verified "
                     "Krawczyk box; the list need not be complete")
    else:
        if lag == "linear":
            kind, x = solve_active_set_linear(Wq, bq)
            points = [x] if kind == "equilibrium" else []
            if kind == "degenerate":
                degenerate.append(tuple(range(n)))
            method, complete = "linear", True
        elif n <= max_enumeration:
            points, degenerate = _enumerate(Wq, bq)
            method, complete = "enumeration", True
        else:
            points, degenerate = _search(Wq, bq, t, starts, seed)
            method, complete = "search", False
            notes.append(f"n = {n} > {max_enumeration}: active sets from simulations and pattern iteration "
                         "(untrusted), each solved and checked exactly; other equilibria may exist")
        points.sort(key=lambda x: (-sum(1 for v in x if v > 0), [-v for v in x]))
        tf = np.array([float(v) for v in t])
        Wf, _ = _floats(Wq, bq)
        eqs = []
        for x in points:
            st, why = classify(Wq, x, lag)
            Z = tuple(i for i in range(n) if x[i] == 0) if lag == "relu" else ()
            S = tuple(i for i in range(n) if x[i] > 0)
            xf = np.array([float(v) for v in x])
            ab = None if Z else _numeric_abscissa(Wf, xf, tf, lag if lag == "linear" else "relu")
            if st == "unstable" and not Z:
                why += "; kernel: " + _unstable_statement(Wq, bq, lag, x)
            eqs.append(Equilibrium(tuple(x), S, Z, st, why, _verify_point(Wq, bq, lag, x), ab))
        rank = {"stable": 0, "undecided": 1, "unstable": 2}
        eqs.sort(key=lambda e: rank[e.stability])      # stable sort: memories first, then the given order
        if degenerate:
            complete = False
            notes.append(f"{len(degenerate)} active set(s) with singular I - W_SS and a consistent system: "
                         "equilibria there (if any) are not isolated and are not analysed")
    flat: list[FlatRegion] = []
    flat_count = 0
    if lag == "relu":
        flat_count = 2 ** n - 1
        order = sorted(range(len(eqs)), key=lambda i: eqs[i].stability != "stable")
        wanted: list[tuple[tuple[int, ...], int | None]] = [(eqs[i].active, i) for i in order
                                                            if eqs[i].exact and len(eqs[i].active) < n]
        wanted.insert(sum(1 for i in order if eqs[i].stability == "stable" and len(eqs[i].active) < n), ((), None))
        for r in range(1, n):
            if len(wanted) >= 2 * flat_shown:
                break
            wanted += [(S, None) for S in itertools.combinations(range(n), r)][: 2 * flat_shown]
        for S, i in wanted:
            if len(flat) >= flat_shown:
                break
            if any(f.active == S for f in flat):
                continue
            if i is not None:
                flat.append(flat_region(Wq, bq, S, t, equilibrium=eqs[i].point, index=i))
            else:
                inside = [j for j, e in enumerate(eqs) if e.active == S]
                flat.append(flat_region(Wq, bq, S, t, equilibrium=eqs[inside[0]].point if inside else None,
                                        index=inside[0] if inside else None))
    lyap = strict_lyapunov(Wq, t)
    verdict, detail = _contraction(Wq, bq, lag, eqs, t)
    return MemoryReport(n, lag, tuple(t), tuple(tuple(r) for r in Wq), tuple(bq), tuple(eqs), method, complete,
                        tuple(degenerate), tuple(flat), flat_count, lyap, verdict, detail, two_layer_sizes,
                        tuple(notes))


def analyze_two_layer(xi: object, b_v: object = None, b_h: object = None, tau_v: object = 1, tau_h: object = 1,
                      lagrangian: str = "relu", **kw) -> MemoryReport:
    """`analyze` of the two-layer network (see `two_layer`); neurons 0..N_v-1 are features, the rest hidden."""
    W, b = two_layer(xi, b_v, b_h)
    nv = len(exact.to_fraction_matrix(xi, "xi"))
    nh = len(W) - nv
    tau = [exact.to_fraction(tau_v, "tau_v")] * nv + [exact.to_fraction(tau_h, "tau_h")] * nh
    return analyze(W, b, tau, lagrangian, two_layer_sizes=(nv, nh), **kw)
