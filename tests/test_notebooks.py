"""The tutorial notebooks (examples/notebooks/) are up to date with their scripts and run.

Each notebook is executed with nbclient in a fresh kernel, from examples/notebooks/ as Jupyter would, with
CERTIFY_EXAMPLES_OUT pointing at a temporary directory. A script notebook must print the same key numbers as its
script (tests/test_examples.py EXPECTED) and show the plot the script wrote inline; the Python API notebook must
display a certified report (Markdown view with its badge) and its plots. Skipped where nbclient, nbformat or
ipykernel are not installed (pip install -e ".[test]" installs them).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "examples" / "notebooks"
NAMES = ["01_matrix_measures", "02_measure_flows", "03_plastic_contraction", "04_synaptic_balancing",
         "05_python_api"]


def test_the_notebooks_are_built_from_the_scripts():
    """The committed notebooks are what build_notebooks.py makes of the current scripts (rebuild after an edit)."""
    proc = subprocess.run([sys.executable, str(NOTEBOOKS / "build_notebooks.py"), "--check"], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


def _outputs(nb) -> tuple[str, list[dict]]:
    """(all printed text, every rich output's data) of an executed notebook."""
    text, rich = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text.append(out["text"])
            elif "data" in out:
                rich.append(out["data"])
                text.append(out["data"].get("text/plain", ""))
    return "".join(text), rich


def _execute(name: str, tmp_path: Path, monkeypatch) -> tuple[str, list[dict], float]:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("CERTIFY_EXAMPLES_OUT", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    text, rich = _outputs(nb)
    return text, rich, time.perf_counter() - start


@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # jupyter_client / zmq, not certify
@pytest.mark.parametrize("name", NAMES[:4])
def test_script_notebook_runs_and_prints_what_the_script_prints(name, tmp_path, monkeypatch):
    from test_examples import EXPECTED
    text, rich, _ = _execute(name, tmp_path, monkeypatch)
    patterns, files = EXPECTED[f"{name}.py"]
    missing = [p for p in patterns if not re.search(p, text)]
    assert not missing, f"{name}.ipynb: expected output not found: {missing}\n{text}"
    for file in files:
        assert (tmp_path / file).is_file(), f"{name}.ipynb did not write {file}"
    if any(f.endswith(".png") for f in files):
        assert any("image/png" in d for d in rich), f"{name}.ipynb shows no plot inline"


@pytest.mark.slow   # about 10-15 s: two 100-neuron certificates (the API and a .npy file) and a simulation
@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # jupyter_client / zmq, not certify
def test_python_api_notebook(tmp_path, monkeypatch):
    text, rich, _ = _execute("05_python_api", tmp_path, monkeypatch)
    markdown = [d["text/markdown"] for d in rich if "text/markdown" in d]
    assert any(m.startswith("✅ **CERTIFIED**") and "random-100" in m for m in markdown), markdown
    assert any(m.startswith("✅ **CERTIFIED** l2 nonincreasing") and "`gronwall`" in m for m in markdown)
    assert any(m.startswith("❌ **REFUTED** linf nonincreasing") for m in markdown)
    assert all("text/latex" in d for d in rich if "text/markdown" in d)
    assert sum("image/png" in d for d in rich) >= 2, "the notebook's plots are not inline"
    assert "the promise held at every step: True" in text
    assert "certified True True" in text                     # the .npy file: same verdict, rate and norm
    assert re.search(r"P: \(100, 100\) full min eigenvalue \d", text)      # a full metric beats the diagonal here
