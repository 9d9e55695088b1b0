"""Every script in examples/ runs and exits 0; the four tutorials print their key numbers.

Each script runs in a fresh interpreter (sys.executable) from the repository root, with MPLBACKEND=Agg and
CERTIFY_EXAMPLES_OUT pointing at a temporary directory, exactly as a reader would run it. Scripts added
to examples/ later are picked up by the glob.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))   # _tutorial.py: helpers

# script -> (lines or regular expressions that must appear in stdout, files it must write)
EXPECTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "01_matrix_measures.py": (
        (r"mu_1\(A\)   = \+0\.800000",
         r"mu_inf\(A\) = \+0\.000000",
         r"mu_2\(A\)   = -0\.322769",
         r"alpha\(A\)  = -0\.373590",
         r"alpha\(ceil\(A\)\) = -0\.166015",
         r"mu_inf weighted by eta = -0\.166015",
         r"l2: min \(mu\(A\) - alpha\(A\)\) = \+\d\.\d{3}e-\d\d   max \(mu\(A\+B\) - mu\(A\) - mu\(B\)\) = [+-]",
         r"mu_2\(-A\) = \+1\.0",
         r"float mu_2\(A\) = 1\.0, so a float test says mu_2\(A\) <= 1: True",
         r"kernel: mu_2\(A\) <= 1 exactly\? False;  <= 1 \+ 2\^-59\? True;  <= 1 \+ 2\^-61\? False",
         r"kernel: mu_2\(P\) <= 1 exactly\? True",
         r"mu_1\(B\) = 1/15 exactly .* mu_inf\(B\) = -1/10"),
        ("01_exact_vs_float.txt",)),
    "02_measure_flows.py": (
        (r"certified bound: mu_2\(W\(t\)\) <= exp\(-\(gamma\) t\) mu_2\(W\(0\)\)",
         r"\[l2-neg-gram\] mu_2\(-\(k\) \(r\)\(r\)\^T\) <= 0 since k >= 0",
         r"== 2\. The same rule in linf: refuted ==\nverdict: refuted",
         r"mu_inf\(-k r r\^T\) = \d\.\d{4} > 0, while mu_2\(-k r r\^T\) = -?0\.0000 <= 0",
         r"hebbian-decay: dW/dt = k\*r\*r\.T - gamma\*W; claim l2 bounded: certified",
         r"\(1 - exp\(-\(gamma\) t\)\) \(k\*n\)/\(gamma\)",
         r"largest mu_2\(W\(t\)\) - bound for 0 < t <= 6: -\d\.\d{4}",
         r"mu_2\(W\(12\)\) = 1\.9999\d\d, certified limit k n / gamma = 2\.000000"),
        ("02_hebbian_decay.csv", "02_hebbian_decay.png")),
    "03_plastic_contraction.py": (
        (r"weighted-l1 \(unit weights\)\s+rate\s+-0\.800000",
         r"weighted-l1 \(Perron weights\)\s+rate\s+\+0\.059954",
         r"kernel rate 0\.0599542\d+, float recomputation 0\.0599542",
         r"check_rule\(\.\.\., bound='contracting'\): certified",
         r"the promise held at every step: True",
         r"mu_2\(W0\) = 2\.0 and the Jacobian -I \+ W0 has mu_2 = 1\.0 > 0",
         r"verdict: certified: contracts for t >= T = 1\.38629 at rate 1/2",
         r"rate after T: 1/2; rate for all t >= 0: 0",
         r"T = 1\.3862943611\d\d, .*T - ln 4 = \d\.\d\de-\d\d",
         r"after T it stayed below \|x\(T\) - y\(T\)\| exp\(-\(t - T\)/2\): True",
         r"mu_2\(W\(t\)\) <= 2 exp\(-t\) at every step: True"),
        ("03_anti_hebbian_network.csv", "03_anti_hebbian_network.png")),
    "04_synaptic_balancing.py": (
        (r"converged: True .* relative imbalance 0\.7114 -> ",
         r"diagonal identical bit for bit: True",
         r"cycle 0->4->3->2->1->0: 21\.600000 before, 21\.600000 after",
         r"cycle 3->4->3: -1\.200000 before, -1\.200000 after",
         r"phi = relu: (\d+\.\d+) before, \1 after \(the same\)",
         r"phi = tanh: .* \(different\)",
         r"mu1\s+4\.5000\s+2\.4462",
         r"cost never increased: True; the solver's balanced cost: 17\.79457 \(from 32\.16000\)",
         r"blocking synapses \(i <- j\) \[\(1, 0\), \(3, 2\)\]",
         r"cycle-products  certified",
         r"io-map          refuted   the balancing flow takes the 2-neuron network",
         r"t =   100   J\[1,0\] = 0\.07\d\d",
         r"the loop balances: converged True, J\[1,2\] = 1\.0000, J\[2,1\] = 1\.0000"),
        ("04_balanced_network.npz",)),
    "memory_network.py": ((r"equilibria: 9 \(exact enumeration of all 2\^8 active sets\); stable \(stored memories\): 4",
                           r"global contraction: REFUTED"),
                          ("memory_report.txt", "memory_trajectory.csv", "memory_energy.png")),
    "feedback_network.py": ((r"second attractor at z = -1\.30123",),
                            ("feedback-bistable.txt", "feedback-bistable-readout.png")),
}


def run_example(path: Path, out: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg", CERTIFY_EXAMPLES_OUT=str(out))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    return subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_tutorials_are_there():
    names = {p.name for p in EXAMPLES}
    assert set(EXPECTED) <= names, f"missing examples: {sorted(set(EXPECTED) - names)}"
    readme = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, tmp_path):
    proc = run_example(path, tmp_path)
    assert proc.returncode == 0, f"{path.name} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    patterns, files = EXPECTED.get(path.name, ((), ()))
    missing = [p for p in patterns if not re.search(p, proc.stdout)]
    assert not missing, f"{path.name}: expected output not found: {missing}\nstdout:\n{proc.stdout}"
    for name in files:
        written = tmp_path / name
        assert written.is_file() and written.stat().st_size > 0, f"{path.name} did not write {name}"
