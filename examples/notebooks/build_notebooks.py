"""Build the tutorial notebooks of examples/notebooks/ from the tutorial scripts of examples/.

    python examples/notebooks/build_notebooks.py          # rewrite the .ipynb files
    python examples/notebooks/build_notebooks.py --check  # exit 1 when a committed notebook is out of date

The scripts stay the source: each notebook runs its script's code unchanged, cut into cells -- the imports and
helpers first, then for every step that the script's main() runs, a heading (the script's section title), the
step's function and the call, and the plot it wrote shown inline. `05_python_api.ipynb` is written here in full:
the Python API in a notebook (a 100-neuron network from numpy, certified, its report displayed, the metric as an
array). Notebooks are written without outputs (a diff shows code only); tests/test_notebooks.py executes each one
with nbclient. Only the standard library is used, so that building needs no Jupyter.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent
SCRIPTS = ("01_matrix_measures.py", "02_measure_flows.py", "03_plastic_contraction.py",
           "04_synaptic_balancing.py")

SETUP = """\
# Setup: the tutorial's code below runs unchanged from this notebook (examples/notebooks/).
import sys
from pathlib import Path

EXAMPLES = Path.cwd().resolve().parent          # examples/: the script and _tutorial.py
sys.path.insert(0, str(EXAMPLES))
__file__ = str(EXAMPLES / "{script}")   # the script's own path, which its code reads
%matplotlib inline"""

SHOW_PNG = """\
from IPython.display import Image

Image(filename=str(out / "{png}"))   # the plot the step wrote"""


def _markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _code(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def _notebook(cells: list[dict], stem: str) -> dict:
    for i, cell in enumerate(cells):
        cell["id"] = f"{stem[:2]}-{i:02d}"                          # stable ids: rebuilding changes nothing
        cell["source"] = cell["source"].splitlines(keepends=True)
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}}}


def _intro(doc: str, script: str) -> str:
    """The module docstring as Markdown: the title as a heading, the formulas as code blocks (already indented)."""
    title, _, rest = doc.partition("\n")
    rest = re.sub(r"\n*Run: python .*$", "", rest.rstrip(), flags=re.S)
    note = (f"*This notebook runs the code of [`examples/{script}`](../{script}), the same tutorial as a script, "
            "cell by cell; it is generated from the script by `examples/notebooks/build_notebooks.py`. Numbers "
            "labelled \"simulated\" or \"float\" are untrusted evidence; \"certified\", \"refuted\" and \"kernel\" "
            "results come from the trusted kernel.*")
    return f"# {title.strip()}\n{rest}\n\n{note}\n"


def _section_title(fn: ast.FunctionDef) -> str | None:
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "section" \
                and node.args and isinstance(node.args[0], ast.Constant):
            return str(node.args[0].value)
    return None


def _called(stmt: ast.stmt) -> str | None:
    value = getattr(stmt, "value", None)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id
    return None


def script_notebook(script: str) -> dict:
    path = EXAMPLES / script
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    doc = ast.get_docstring(tree) or script

    def segment(node: ast.stmt, start: int) -> str:
        """The node's source with the comment lines above it (from line `start` on, 1-based)."""
        return "\n".join(lines[start - 1:node.end_lineno]).strip("\n")

    body = tree.body[1:] if ast.get_docstring(tree) else tree.body
    defs = {n.name: n for n in body if isinstance(n, ast.FunctionDef)}
    main = defs.get("main")
    steps = [s for s in main.body] if main else []
    step_functions = {_called(s) for s in steps} & set(defs)

    cells = [_markdown(_intro(doc, script)), _code(SETUP.format(script=script))]
    preamble: list[str] = []
    previous_end = (tree.body[0].end_lineno if ast.get_docstring(tree) else 0)
    starts: dict[str, int] = {}
    for node in body:
        start = previous_end + 1
        previous_end = node.end_lineno
        if isinstance(node, ast.If):                       # if __name__ == "__main__": main()
            continue
        if isinstance(node, ast.FunctionDef) and (node.name in step_functions or node.name == "main"):
            starts[node.name] = start
            continue
        if isinstance(node, ast.FunctionDef):               # a helper: its own cell, where the script has it
            if preamble:
                cells.append(_code("\n".join(preamble).strip("\n")))
                preamble = []
            cells.append(_code(segment(node, start)))
            continue
        preamble.append("\n".join(lines[start - 1:node.end_lineno]))   # imports, constants: a cell per run
    if preamble:
        cells.append(_code("\n".join(preamble).strip("\n")))

    for stmt in steps:
        name = _called(stmt)
        call = "\n".join(lines[stmt.lineno - 1:stmt.end_lineno]).strip()
        call = "\n".join(line[4:] if line.startswith("    ") else line for line in call.splitlines())
        if name in step_functions:
            fn = defs[name]
            title = _section_title(fn) or f"`{name}()`"
            cells.append(_markdown(f"## {title}"))
            cells.append(_code(segment(fn, starts[name])))
            cells.append(_code(call))
            for png in dict.fromkeys(re.findall(r'"([\w.-]+\.png)"', ast.get_source_segment(source, fn) or "")):
                cells.append(_code(SHOW_PNG.format(png=png)))
        else:
            cells.append(_code(call))
    return _notebook(cells, script)


# -- 05: the Python API ------------------------------------------------------------------------------------------

API_CELLS = [
    ("markdown", """\
# Tutorial 5: the Python API in a notebook

Everything `certify check` does is one function away in Python, and the results display themselves: a verdict
badge and the derivation with its formulas typeset (Markdown and LaTeX views for Jupyter), the certificate's
numbers as exact fractions and numpy arrays, and the same JSON item as `certify check --format json`.

This notebook builds a 100-neuron network from numpy, certifies that it contracts, plots what the certificate
promises against a simulation, shows that the API and a `.npy` file give the same answer, and ends with a
plasticity rule whose derivation is certified for every network size (and refuted in another norm).

Only the trusted kernel can say *certified* or *refuted*; every display below is a view of its decision."""),
    ("code", """\
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

import certify
from certify import Rule, check_rule

certify.__all__"""),
    ("markdown", """\
## 1. A network from numpy

A Hopfield network x' = -x + W phi(x) + u with phi = tanh (slopes in [0, 1]) and 100 neurons with random weights.
`W0` is passed as the numpy array itself: every binary64 number is a rational, and the kernel checks exactly this
matrix (no decimal text in between)."""),
    ("code", """\
rng = np.random.default_rng(1)
n = 100
W0 = rng.normal(0.0, 0.6 / np.sqrt(n), (n, n))

rule = Rule.create("0", name="random-100", summary="a random tanh network with fixed weights",
                   network={"form": "H", "activation": "tanh", "W0": W0},
                   claim={"measure": "l2", "bound": "contracting"})
report = check_rule(rule)
report          # the rich display: verdict badge, the claim, the certified rate"""),
    ("markdown", """\
`repr` gives the quiet text report of `certify check -q`, `print` the full one:"""),
    ("code", """\
print(repr(report))"""),
    ("markdown", """\
## 2. The certificate's numbers

`report.results` holds one `ClaimResult` per claim. Its properties read the kernel-checked certificate: the rate
as an exact `Fraction`, the norm it holds in, and for an l2 certificate the metric `P` and the LMI multiplier as
(read-only) numpy arrays -- the very binary64 numbers the kernel checked."""),
    ("code", """\
result = report.results[0]
print("verdict:", result.verdict)
print("norm:   ", result.norm)
print("rate:   ", result.rate, "=", float(result.rate))
P = result.P
print("P:", P.shape, "diagonal" if np.count_nonzero(P - np.diag(np.diag(P))) == 0 else "full",
      "min eigenvalue", np.linalg.eigvalsh(P).min())"""),
    ("code", """\
fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
im = a.imshow(W0, cmap="RdBu_r", vmin=-0.15, vmax=0.15)
a.set_title(rf"$W_0$ ({n} $\\times$ {n})")
fig.colorbar(im, ax=a, fraction=0.046)
b.plot(np.diag(P), ".", ms=3)
b.set_xlabel("neuron $i$")
b.set_title(r"the certified metric: $P_{ii}$")
fig.tight_layout()"""),
    ("markdown", """\
## 3. What the certificate promises, and a simulation

Contraction at rate c in the metric P: any two trajectories with the same input approach each other at least like
e^{-ct} in the norm |v|_P = sqrt(v^T P v). A simulation (floating point: evidence for people, never a proof) shows
it on one pair of trajectories."""),
    ("code", """\
def simulate(x0, u, t_end=6.0, dt=0.01):
    \"\"\"Classical Runge-Kutta for x' = -x + W0 tanh(x) + u (untrusted floating point).\"\"\"
    f = lambda x: -x + W0 @ np.tanh(x) + u
    xs = [np.array(x0, float)]
    for _ in range(int(round(t_end / dt))):
        x = xs[-1]
        k1 = f(x); k2 = f(x + dt / 2 * k1); k3 = f(x + dt / 2 * k2); k4 = f(x + dt * k3)
        xs.append(x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
    return np.arange(len(xs)) * dt, np.array(xs)

u = rng.normal(0.0, 1.0, n)
t, x = simulate(rng.normal(0, 3, n), u)
_, y = simulate(rng.normal(0, 3, n), u)
d = x - y
dist = np.sqrt(np.einsum("ti,ij,tj->t", d, P, d))
c = float(result.rate)
promised = dist[0] * np.exp(-c * t)
print("the promise held at every step:", bool(np.all(dist <= promised * (1 + 1e-9))))

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.semilogy(t, dist, label=r"$|x(t) - y(t)|_P$, simulated")
ax.semilogy(t, promised, "--", label=rf"$e^{{-ct}}\\,|x(0) - y(0)|_P$, certified ($c = {c:.3f}$)")
ax.set_xlabel("time $t$ (units of the neurons' time constant)")
ax.legend()
fig.tight_layout()"""),
    ("markdown", """\
## 4. The same network from a `.npy` file, and the JSON item

A rule file can name the weights as a `.npy` file. Both ways read the same binary64 numbers, so the verdict and
the kernel-checked rate are identical. `to_dict()` is exactly the item `certify check --format json` prints for
the rule; it follows the published schema."""),
    ("code", """\
import tempfile
from pathlib import Path

folder = Path(tempfile.mkdtemp())
np.save(folder / "W0.npy", W0)
(folder / "random-100.toml").write_text('''
[rule]
name = "random-100"
dW = "0"

[network]
form = "H"
activation = "tanh"
W0 = "W0.npy"

[claim]
bound = "contracting"
''')
from_file = check_rule(Rule.from_file(folder / "random-100.toml")).results[0]
print(from_file.verdict, from_file.rate == result.rate, from_file.norm == result.norm)"""),
    ("code", """\
from certify.schema import validate_check_json

item = report.to_dict()
validate_check_json([item])          # raises on a mismatch
{key: item[key] for key in ("rule", "verdict", "mode")}, item["results"][0]["network"]["best"]["rate"]"""),
    ("markdown", """\
## 5. A plasticity rule: a derivation for every network size

Anti-Hebbian plasticity with decay, dW/dt = -gamma W - k r r^T. In l2 the kernel accepts a derivation whose every
step names a lemma; the display typesets each step. In linf the same claim is false, and the kernel checks an
exact counterexample (`witness`)."""),
    ("code", """\
anti = Rule.create("-gamma*W - k*r*r.T", name="anti-hebbian-decay",
                   parameters={"gamma": ">= 0", "k": [0, 2]}, activity={"r": [-1, 1]},
                   claim={"measure": "l2", "bound": "nonincreasing"})
l2 = check_rule(anti)
l2.results[0]"""),
    ("code", """\
linf = check_rule(anti, measure="linf").results[0]
w = linf.witness
print("counterexample: n =", w.n, {k: str(v) for k, v in w.parameters.items()},
      {k: [str(x) for x in v] for k, v in w.activity.items()})
linf"""),
]


def api_notebook() -> dict:
    return _notebook([(_markdown if kind == "markdown" else _code)(text) for kind, text in API_CELLS],
                     "05_python_api")


def notebooks() -> dict[str, dict]:
    """file name -> notebook (as JSON data) for every tutorial."""
    out = {Path(s).stem + ".ipynb": script_notebook(s) for s in SCRIPTS}
    out["05_python_api.ipynb"] = api_notebook()
    return out


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, nb in notebooks().items():
        path = HERE / name
        text = dumps(nb)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(EXAMPLES.parent)}")
    if stale:
        print("out of date (run python examples/notebooks/build_notebooks.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
