"""Hostile and malformed input (issue 11): every bad input gives exit 2 with a message that names the file (and the
line of the rule file where a TOML location exists), within 5 s; no traceback, no hang, no silent change.

Table-driven: each table is a corpus of one class of bad input; `test_campaign_counts` prints how many were tried.
"""

from __future__ import annotations

import io
import json
import os
import signal
import zipfile
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter

import numpy as np
import pytest

from certify.cli.main import main

LIMIT = 5.0          # seconds: the design promise

RULE = '''[rule]
name = "{name}"
dW = "-W"

[network]
form = "H"
activation = "tanh"
W0 = "{w0}"
{extra}
[claim]
measure = "l1"
bound = "contracting"
'''
W0_LINE = 8          # the line of W0 = ... in RULE


@contextmanager
def deadline(seconds: float = LIMIT):
    """Fail (instead of hanging) when the block runs past `seconds` + 1."""
    def expired(signum, frame):
        raise TimeoutError(f"over {seconds} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds + 1)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run(argv, capsys) -> tuple[int, str, float]:
    """main(argv) in this process: (exit code, stdout + stderr, seconds). A traceback fails the test."""
    capsys.readouterr()
    t0 = perf_counter()
    with deadline():
        code = main([str(a) for a in argv])
    seconds = perf_counter() - t0
    out = capsys.readouterr()
    return code, out.out + out.err, seconds


def assert_error(result, *texts: str) -> None:
    code, text, seconds = result
    assert code == 2, text
    assert "Traceback" not in text
    assert seconds < LIMIT, f"{seconds:.1f} s"
    for t in texts:
        assert t in text, (t, text)


# -- data files: .npy ---------------------------------------------------------------------------------------------

def _npy_header(shape, descr="<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _save(path: Path, arr, **kw) -> None:
    with open(path, "wb") as fh:
        np.save(fh, arr, **kw)


def _npz_as_npy(path: Path) -> None:
    buf = io.BytesIO()
    np.savez(buf, a=np.eye(2))
    path.write_bytes(buf.getvalue())


def _truncated(path: Path) -> None:
    _save(path, np.eye(50))
    path.write_bytes(path.read_bytes()[:400])


NPY_CASES = {   # name: (writer, words the message must hold)
    "complex128": (lambda p: _save(p, np.array([[1 + 1j, 0], [0, 1]])), "complex values are not allowed"),
    "complex-zero-imag": (lambda p: _save(p, np.eye(2, dtype=complex)), "complex values are not allowed"),
    "complex64": (lambda p: _save(p, np.eye(2, dtype=np.complex64)), "complex values are not allowed"),
    "longdouble": (lambda p: _save(p, np.eye(2, dtype=np.longdouble)), "would be rounded"),
    "object": (lambda p: _save(p, np.array([[1, None], [2, 3]], dtype=object), allow_pickle=True), "Python objects"),
    "strings": (lambda p: _save(p, np.array([["a", "b"], ["c", "d"]])), "text strings"),
    "bytes": (lambda p: _save(p, np.array([[b"a", b"b"], [b"c", b"d"]])), "bytes"),
    "structured": (lambda p: _save(p, np.zeros((2, 2), dtype=[("x", "f8"), ("y", "i4")])), "structured"),
    "subarray": (lambda p: p.write_bytes(_npy_header((2, 2), descr=("<f8", (2,)))), "structured"),
    "datetime": (lambda p: _save(p, np.zeros((2, 2), dtype="datetime64[s]")), "datetimes"),
    "timedelta": (lambda p: _save(p, np.zeros((2, 2), dtype="timedelta64[s]")), "timedeltas"),
    "npz-named-npy": (_npz_as_npy, "zip archive"),
    "empty-file": (lambda p: p.write_bytes(b""), "empty"),
    "not-npy": (lambda p: p.write_bytes(b"hello, world\n"), "not a .npy file"),
    "magic-only": (lambda p: p.write_bytes(b"\x93NUMPY\x01\x00"), "header cannot be read"),
    "bad-header": (lambda p: p.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': __import__('os')}\n"),
                   "header cannot be read"),
    "truncated": (_truncated, "truncated"),
    "lying-header-7TiB": (lambda p: p.write_bytes(_npy_header((10**6, 10**6))), "size limit"),
    "lying-header-huge": (lambda p: p.write_bytes(_npy_header((10**30, 2))), "size limit"),
    "negative-shape": (lambda p: p.write_bytes(_npy_header((-1, 2))), "shape"),
    "zero-size": (lambda p: _save(p, np.zeros((0, 0))), "empty"),
    "three-d": (lambda p: _save(p, np.zeros((2, 2, 2))), "not 2-D"),
    "one-d": (lambda p: _save(p, np.zeros(3)), "not 2-D"),
    "scalar": (lambda p: _save(p, np.float64(1.0)), "not 2-D"),
    "non-square": (lambda p: _save(p, np.zeros((2, 3))), "square"),
    "nan": (lambda p: _save(p, np.array([[np.nan, 0], [0, 1]])), "finite"),
    "inf": (lambda p: _save(p, np.array([[np.inf, 0], [0, 1]])), "finite"),
    "float16-inf": (lambda p: _save(p, np.array([[np.inf, 0], [0, 1]], dtype=np.float16)), "finite"),
}

CSV_CASES = {
    "complex": ("1+2j,0\n0,1\n", "complex"),
    "complex-paren": ("(1+2j),0\n0,1\n", "complex"),
    "complex-j": ("3j,0\n0,1\n", "complex"),
    "nan": ("nan,0\n0,1\n", "finite"),
    "inf": ("inf,0\n0,1\n", "finite"),
    "overflow": ("1e400,0\n0,1\n", "finite"),
    "text": ("a,b\nc,d\n", "not a number"),
    "python-code": ("__import__('os').system('true'),0\n0,1\n", "not a number"),
    "ragged": ("1,2\n3\n", "line 2"),
    "empty": ("", "empty"),
    "comments-only": ("# nothing\n", "empty"),
    "non-square": ("1,2,3\n4,5,6\n", "square"),
    "underscore-number": ("1_000,0\n0,1\n", "not a number"),
    "hex": ("0x10,0\n0,1\n", "not a number"),
}


def _rule(tmp_path: Path, w0: str, extra: str = "", name: str = "hostile") -> Path:
    path = tmp_path / "rule.toml"
    path.write_text(RULE.format(name=name, w0=w0, extra=extra))
    return path


@pytest.mark.parametrize("case", sorted(NPY_CASES))
@pytest.mark.parametrize("command", ["check", "prove"])
def test_bad_npy_w0(tmp_path, capsys, case, command):
    writer, words = NPY_CASES[case]
    writer(tmp_path / "w.npy")
    rule = _rule(tmp_path, "w.npy")
    argv = [command, rule] + (["--out", tmp_path / "proofs"] if command == "prove" else [])
    assert_error(run(argv, capsys), f"{rule}:{W0_LINE}", "w.npy", words)
    assert not (tmp_path / "proofs").exists() or not any((tmp_path / "proofs").iterdir())


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_bad_csv_w0(tmp_path, capsys, case):
    text, words = CSV_CASES[case]
    (tmp_path / "w.csv").write_text(text)
    rule = _rule(tmp_path, "w.csv")
    assert_error(run(["check", rule], capsys), f"{rule}:{W0_LINE}", "w.csv", words)


BIAS_CASES = {
    "complex": (lambda p: _save(p, np.array([1j, 0])), "complex values are not allowed"),
    "matrix": (lambda p: _save(p, np.eye(2)), "vector"),
    "wrong-length": (lambda p: _save(p, np.zeros(3)), "bias has 3 entries"),
    "strings": (lambda p: _save(p, np.array(["a", "b"])), "text strings"),
    "lying-header": (lambda p: p.write_bytes(_npy_header((10**9,))), "size limit"),
}


@pytest.mark.parametrize("case", sorted(BIAS_CASES))
def test_bad_bias(tmp_path, capsys, case):
    writer, words = BIAS_CASES[case]
    _save(tmp_path / "w.npy", np.array([[0, 0.5], [0.5, 0]]))
    writer(tmp_path / "u.npy")
    rule = _rule(tmp_path, "w.npy", extra='bias = "u.npy"\n')
    assert_error(run(["check", rule], capsys), f"{rule}:9", words)


def test_good_files_still_load_exactly(tmp_path, capsys):
    """The safe loader keeps what the old one read: float64, float32, int and bool arrays, CSV, exact values."""
    from fractions import Fraction

    from certify.lang.network import load_matrix
    for i, arr in enumerate([np.array([[0, 0.1], [0.1, 0]]), np.array([[0, 0.1], [0.1, 0]], dtype=np.float32),
                             np.array([[0, 2**60 + 1], [1, 0]], dtype=np.int64), np.eye(2, dtype=bool)]):
        _save(tmp_path / f"g{i}.npy", arr)
        rows = load_matrix(tmp_path / f"g{i}.npy", None)
        assert rows == [[Fraction(x.item()) for x in row] for row in arr]   # 2**60 + 1 is not rounded
    (tmp_path / "g.csv").write_text("0, 0.1 # a comment\n0.1, 0\n")
    assert load_matrix(tmp_path / "g.csv", None) == [[0, Fraction(0.1)], [Fraction(0.1), 0]]
    _save(tmp_path / "w.npy", np.array([[0, 0.5], [0.5, 0]]))
    code, text, seconds = run(["check", _rule(tmp_path, "w.npy")], capsys)
    assert code in (0, 1, 3) and seconds < LIMIT, text


# -- special files ------------------------------------------------------------------------------------------------

def _fifo(path: Path) -> None:
    os.mkfifo(path)


SPECIAL = {
    "fifo": (_fifo, "FIFO"),
    "folder": (lambda p: p.mkdir(), "folder"),
}


@pytest.mark.parametrize("case", sorted(SPECIAL))
def test_special_files_as_w0_are_refused_at_once(tmp_path, capsys, case):
    make, words = SPECIAL[case]
    make(tmp_path / "w.npy")
    rule = _rule(tmp_path, "w.npy")
    assert_error(run(["check", rule], capsys), f"{rule}:{W0_LINE}", words, "not a regular file")


def test_a_device_as_w0_is_refused_even_when_outside_paths_are_allowed(tmp_path, capsys):
    rule = _rule(tmp_path, "/dev/zero")
    assert_error(run(["check", rule], capsys), f"{rule}:{W0_LINE}", "outside")
    (tmp_path / "w.npy").symlink_to("/dev/zero")
    rule = _rule(tmp_path, "w.npy")
    assert_error(run(["check", rule, "--allow-outside-paths"], capsys), "device", "not a regular file")


@pytest.mark.parametrize("case", ["fifo", "device", "too-big", "not-utf8"])
def test_special_rule_files(tmp_path, capsys, case):
    path = tmp_path / "r.toml"
    if case == "fifo":
        os.mkfifo(path)
    elif case == "device":
        path.symlink_to("/dev/zero")
    elif case == "too-big":
        path.write_text("# " + "x" * (1 << 20) + "\n")
    else:
        path.write_bytes(b"[rule]\ndW = \"\xff\xfe\"\n")
    words = {"fifo": "FIFO", "device": "device", "too-big": "limit", "not-utf8": "UTF-8"}[case]
    for command in ("check", "prove", "explain", "memory", "spectrum", "plot"):
        out = {"prove": ["--out", tmp_path / "o"], "plot": ["--out", tmp_path / "p.png"]}.get(command, [])
        assert_error(run([command, path] + out, capsys), str(path), words)


# -- paths --------------------------------------------------------------------------------------------------------

def test_data_files_stay_in_the_rule_folder(tmp_path, capsys):
    project = tmp_path / "project"
    project.mkdir()
    _save(tmp_path / "outside.npy", np.array([[0, 0.5], [0.5, 0]]))
    (project / "link.npy").symlink_to(tmp_path / "outside.npy")
    (project / "sub").mkdir()
    _save(project / "sub" / "inside.npy", np.array([[0, 0.5], [0.5, 0]]))
    for w0, why in [(str(tmp_path / "outside.npy"), "absolute path"), ("../outside.npy", "'..'"),
                    ("link.npy", "symbolic link"), ("sub/../../outside.npy", "'..'")]:
        rule = _rule(project, w0)
        assert_error(run(["check", rule], capsys), f"{rule}:{W0_LINE}", "outside", why, "--allow-outside-paths")
        for command in ("prove", "memory", "spectrum"):
            assert run([command, rule] + (["--out", tmp_path / "p"] if command == "prove" else []),
                       capsys)[0] == 2
        code, text, _ = run(["check", rule, "--allow-outside-paths"], capsys)
        assert code in (0, 1, 3), text
    code, text, _ = run(["check", _rule(project, "sub/inside.npy")], capsys)     # inside: fine
    assert code in (0, 1, 3), text


def _certificate(tmp_path: Path, capsys) -> Path:
    (tmp_path / "rules").mkdir()
    rule = tmp_path / "rules" / "decay.toml"
    rule.write_text('[rule]\nname = "decay"\ndW = "-gamma*W"\n[parameters]\ngamma = ">= 0"\n'
                    '[claim]\nmeasure = "l2"\nbound = "nonincreasing"\n')
    code, text, _ = run(["prove", rule, "--out", tmp_path / "proofs", "--no-latex"], capsys)
    assert code == 0, text
    return tmp_path / "proofs" / "decay.json"


def _reseal(cert: Path, **rule_fields) -> None:
    from certify.output.certificate import seal
    doc = json.loads(cert.read_text())
    doc["rule"].update(rule_fields)
    doc["seal"] = seal(doc)
    cert.write_text(json.dumps(doc))


def test_verify_opens_rule_files_only_inside_the_project(tmp_path, capsys):
    cert = _certificate(tmp_path, capsys)
    assert run(["verify", cert], capsys)[0] == 0
    os.mkfifo(tmp_path / "rules" / "fifo.toml")
    cases = [("../../../../../../etc/passwd", "outside"), ("/dev/zero", "outside"), ("../rules/fifo.toml", "FIFO")]
    for name, words in cases:
        _reseal(cert, file=name)
        assert_error(run(["verify", cert], capsys), str(cert), words)


def test_verify_refuses_hostile_certificate_files(tmp_path, capsys):
    cert = _certificate(tmp_path, capsys)
    bad = tmp_path / "proofs"
    (bad / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (bad / "deepobj.json").write_text('{"a":' * 50_000 + "1" + "}" * 50_000)
    (bad / "bigint.json").write_text("9" * 5000)
    os.mkfifo(bad / "fifo.json")
    cert.unlink()
    for name, words in [("deep.json", "nested"), ("deepobj.json", "nested"), ("bigint.json", "JSON"),
                        ("fifo.json", "FIFO")]:
        assert_error(run(["verify", bad / name], capsys), name, words)


# -- balance ------------------------------------------------------------------------------------------------------

def _npz(path: Path, **arrays) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for key, value in arrays.items():
            zf.writestr(key + ".npy", value if isinstance(value, bytes) else _npy_bytes(value))


def _npy_bytes(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


BALANCE_NPZ = {
    "complex-J": (dict(J=np.array([[0, 1j], [1, 0]])), "complex values are not allowed"),
    "object-J": (dict(J=np.array([[0, None], [1, 0]], dtype=object)), "Python objects"),
    "lying-header": (dict(J=_npy_header((10**6, 10**6))), "size limit"),
    "too-many-members": ({f"a{i}": np.eye(2) for i in range(40)}, "at most"),
}


@pytest.mark.parametrize("case", sorted(NPY_CASES))
@pytest.mark.parametrize("option", ["weights", "--w-in", "--bias", "--alpha"])
def test_balance_refuses_bad_npy(tmp_path, capsys, case, option):
    writer, words = NPY_CASES[case]
    if option in ("--bias", "--w-in") and case in ("one-d", "non-square"):
        return    # a legal shape for a bias or an input matrix
    writer(tmp_path / "bad.npy")
    _save(tmp_path / "J.npy", np.array([[0, 1.0], [2.0, 0]]))
    argv = ["balance", tmp_path / "bad.npy"] if option == "weights" else \
        ["balance", tmp_path / "J.npy", option, tmp_path / "bad.npy"]
    code, text, seconds = run(argv, capsys)
    assert code == 2 and seconds < LIMIT and "bad.npy" in text, text
    if case not in ("one-d", "non-square", "three-d", "scalar"):   # those are worded by the balancer
        assert words in text, text


@pytest.mark.parametrize("case", sorted(BALANCE_NPZ))
def test_balance_refuses_bad_npz(tmp_path, capsys, case):
    arrays, words = BALANCE_NPZ[case]
    _npz(tmp_path / "net.npz", **arrays)
    assert_error(run(["balance", tmp_path / "net.npz"], capsys), "net.npz", words)


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_balance_refuses_bad_csv(tmp_path, capsys, case):
    text, words = CSV_CASES[case]
    (tmp_path / "J.csv").write_text(text)
    code, out, seconds = run(["balance", tmp_path / "J.csv"], capsys)
    if case == "non-square":
        words = "square"
    assert code == 2 and seconds < LIMIT and "J.csv" in out and words in out, out


@pytest.mark.parametrize("case", ["fifo", "device", "folder"])
def test_balance_refuses_special_files(tmp_path, capsys, case):
    path = tmp_path / "J.npy"
    {"fifo": lambda: os.mkfifo(path), "device": lambda: path.symlink_to("/dev/zero"),
     "folder": lambda: path.mkdir()}[case]()
    assert_error(run(["balance", path], capsys), "J.npy", "not a regular file")


def test_balancer_api_refuses_complex():
    from certify.families.balancing import balance
    from certify.errors import InputError
    with pytest.raises(InputError, match="complex values are not allowed"):
        balance(np.array([[0, 1j], [1, 0]]))


# -- TOML: numbers, nesting, messages -----------------------------------------------------------------------------

TOML_CASES = {   # name: (rule text, words, line or None)
    "deep-arrays": ("[rule]\ndW = \"-W\"\n[parameters]\nk = " + "[" * 5000 + "]" * 5000 + "\n", "nested", None),
    "deep-tables": ("[rule]\ndW = \"-W\"\n[parameters]\nk = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
                    "nested", None),
    "moderately-deep": ("[rule]\ndW = \"-W\"\n[matrices]\nk = " + "[" * 50 + "]" * 50 + "\n", "nested", None),
    "5000-digit-int": ("[rule]\ndW = \"-k*W\"\n[parameters]\nk = " + "9" * 5000 + "\n", "digits", 4),
    "rule-array-of-tables": ("[[rule]]\ndW = \"-W\"\n", "must be a table", 1),
    "parameters-number": ("parameters = 1\n[rule]\ndW = \"-W\"\n", "must be a table", 1),
    "network-array-of-tables": ("[rule]\ndW = \"-W\"\n[[network]]\nform = \"H\"\n", "must be a table", 3),
    "non-square-inline-W0": ("[rule]\ndW = \"-W\"\n[network]\nW0 = [[1, 2], [3, 4], [5, 6]]\n", "square", 4),
    "ragged-inline-W0": ("[rule]\ndW = \"-W\"\n[network]\nW0 = [[1, 2], [3]]\n", "different lengths", 4),
    "bias-length": ("[rule]\ndW = \"-W\"\n[network]\nW0 = [[1, 2], [3, 4]]\nbias = [1, 2, 3]\n",
                    "bias has 3 entries", 5),
    "inf-range": ("[rule]\ndW = \"-k*W\"\n[parameters]\nk = [0, inf]\n", "infinity", 4),
    "nan-range": ("[rule]\ndW = \"-k*W\"\n[parameters]\nk = nan\n", "NaN", 4),
    "1e300-range": ("[rule]\ndW = \"-k*W\"\n[parameters]\nk = [0, 1e300]\n", "", 4),
    "1e-300-range": ("[rule]\ndW = \"-k*W\"\n[parameters]\nk = [0, 1e-300]\n", "", 4),
    "huge-exponent-text": ("[rule]\ndW = \"-k*W\"\n[parameters]\nk = \"[0, 1e999999999]\"\n", "exponent", 4),
}


@pytest.mark.parametrize("case", sorted(TOML_CASES))
def test_bad_toml(tmp_path, capsys, case):
    text, words, line = TOML_CASES[case]
    path = tmp_path / "r.toml"
    path.write_text(text)
    result = run(["check", path], capsys)
    assert_error(result, str(path) + (f":{line}" if line else ""), words)


# -- blow-ups in expressions: limits decided before expanding -------------------------------------------------------

BLOWUPS = {   # dW: (parameters and matrices, words)
    "-(k+1)^1000*W": ("k = [0, 1]", "degree"),
    "-(W+I)^30": ("", "terms"),
    "-(W+K)^12": ('[matrices]\nK = "any"', "terms"),
    "-(W+K)^9": ('[matrices]\nK = "any"', "terms"),
    "-W^1000": ("", "degree"),
    "-W^101": ("", "degree"),
    "W^1000*W^1000": ("", "degree"),
    "W^999": ("", "degree"),
    "-" + "*".join(["W"] * 995): ("", "degree"),
    "-(k+g+1)^200*W": ("k = [0, 1]\ng = [0, 1]", "degree"),
    "-(k+g+h+1)^20*W": ("k = [0, 1]\ng = [0, 1]\nh = [0, 1]", "terms"),
    "-k^1000*W": ("k = [0, 2]", "degree"),
    "-(k+1)^(10^999)*W": ("k = [0, 1]", "degree"),
    "-(W + r*r.T)^5 * (W + K)^5": ('[matrices]\nK = "any"', "terms"),
}


@pytest.mark.parametrize("dW", sorted(BLOWUPS))
def test_expression_blowups_are_refused_before_expanding(tmp_path, capsys, dW):
    decl, words = BLOWUPS[dW]
    path = tmp_path / "r.toml"
    if decl.startswith("[matrices]"):
        decl = "[parameters]\n" + decl
    else:
        decl = "[parameters]\n" + decl
    path.write_text(f'[rule]\ndW = "{dW}"\n{decl}\n[claim]\nmeasure = "l2"\nbound = "nonincreasing"\n')
    assert_error(run(["check", path], capsys), f"{path}:2:", words, "limit")


def test_expressions_within_the_limits_still_work(tmp_path, capsys):
    for dW in ("-W^3", "-(k+1)^99*W", "-(W+K)^8", "-W^100"):
        path = tmp_path / "r.toml"
        path.write_text(f'[rule]\ndW = "{dW}"\n[parameters]\nk = [0, 1]\n[matrices]\nK = "any"\n'
                        '[claim]\nmeasure = "l2"\nbound = "nonincreasing"\n')
        code, text, seconds = run(["check", path], capsys)
        assert code in (0, 1, 3) and seconds < LIMIT, text


@pytest.mark.parametrize("table", ["parameters", "activity", "matrices"])
def test_too_many_names(tmp_path, capsys, table):
    value = '"any"' if table == "matrices" else "[0, 1]"
    names = "\n".join(f"a{i} = {value}" for i in range(1000))
    path = tmp_path / "r.toml"
    path.write_text(f'[rule]\ndW = "-W"\n[{table}]\n{names}\n')
    assert_error(run(["check", path], capsys), f"{path}:3", "at most 100")


def test_a_resealed_certificate_with_a_huge_power_fails_fast(tmp_path, capsys):
    from certify.output.certificate import seal
    cert = _certificate(tmp_path, capsys)
    doc = json.loads(cert.read_text())
    for field in ("rate", "drive_bound"):
        bad = json.loads(json.dumps(doc))
        bad["claims"][0]["certificate"][field] = "(gamma+k)^100000"
        bad["seal"] = seal(bad)
        cert.write_text(json.dumps(bad))
        code, text, seconds = run(["verify", cert], capsys)
        assert code in (1, 2) and seconds < LIMIT and "Traceback" not in text, text
        assert "FAILED" in text or "ERROR" in text


# -- outputs ------------------------------------------------------------------------------------------------------

GOOD = '[rule]\nname = "{name}"\ndW = "-gamma*W"\n[parameters]\ngamma = ">= 0"\n[claim]\nmeasure = "l2"\n' \
       'bound = "nonincreasing"\n'


def _good(folder: Path, name: str = "decay", file: str = "r.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file).write_text(GOOD.format(name=name))
    return folder / file


@pytest.mark.parametrize("command", ["check", "prove"])
def test_out_naming_a_file_or_an_unwritable_place(tmp_path, capsys, command):
    rule = _good(tmp_path)
    (tmp_path / "afile").write_text("keep me\n")
    for out, words in [(tmp_path / "afile", "is a file"), (tmp_path / "afile" / "sub", "cannot create"),
                       ("/proc/certify-out", "cannot")]:   # root may pass access(): refused at the write
        assert_error(run([command, rule, "--out", out], capsys), str(out), words)
    assert (tmp_path / "afile").read_text() == "keep me\n"


@pytest.mark.parametrize("command", ["check", "verify"])
def test_junit_xml_naming_a_folder(tmp_path, capsys, command):
    rule = _good(tmp_path / "rules")
    target = rule
    if command == "verify":
        assert run(["prove", rule, "--out", tmp_path / "proofs"], capsys)[0] == 0
        target = tmp_path / "proofs"
    (tmp_path / "folder").mkdir()
    assert_error(run([command, target, "--junit-xml", tmp_path / "folder"], capsys), "folder", "not a file")
    (tmp_path / "afile").write_text("x")
    assert_error(run([command, target, "--junit-xml", tmp_path / "afile" / "r.xml"], capsys), "cannot create")


def test_two_rules_one_report_name_in_one_out_folder(tmp_path, capsys):
    a, b = _good(tmp_path / "a", name="one"), _good(tmp_path / "b", name="two")
    code, text, seconds = run(["check", a, b, "--out", tmp_path / "out"], capsys)
    assert_error((code, text, seconds), str(a), str(b), "would both write")
    assert not (tmp_path / "out").exists()


def test_two_rules_with_one_name_in_prove(tmp_path, capsys):
    a, b = _good(tmp_path / "a", name="same"), _good(tmp_path / "b", name="same", file="other.toml")
    assert_error(run(["prove", a, b, "--out", tmp_path / "out"], capsys), str(a), str(b))
    assert not (tmp_path / "out").exists()


def test_a_300_character_rule_name(tmp_path, capsys):
    rule = _good(tmp_path / "rules", name="x" * 300)
    code, text, seconds = run(["prove", rule, "--out", tmp_path / "proofs"], capsys)
    assert code == 0 and seconds < LIMIT, text
    (cert,) = (tmp_path / "proofs").glob("*.json")
    assert len(cert.name) < 140
    assert run(["verify", cert], capsys)[0] == 0


def test_writes_are_atomic(tmp_path, monkeypatch):
    """A failure in the middle of a write leaves the old file and no temporary file behind."""
    from certify.output import atomic
    target = tmp_path / "cert.json"
    target.write_text("old\n")

    class Boom(Exception):
        pass

    def failing_fsync(fd):
        raise Boom()
    monkeypatch.setattr(atomic.os, "fsync", failing_fsync)
    with pytest.raises(Boom):
        atomic.write_text(target, "new\n" * 1000)
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["cert.json"]
    monkeypatch.undo()
    atomic.write_text(target, "new\n")
    assert target.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["cert.json"]


def test_prove_and_check_write_through_the_atomic_writer(tmp_path, capsys, monkeypatch):
    from certify.output import atomic
    written = []
    real = atomic.write_text
    monkeypatch.setattr(atomic, "write_text", lambda path, text: (written.append(Path(path).name), real(path, text)))
    rule = _good(tmp_path / "rules")
    assert run(["prove", rule, "--out", tmp_path / "proofs"], capsys)[0] == 0
    assert run(["check", rule, "--out", tmp_path / "reports"], capsys)[0] == 0
    assert written == ["decay.json", "decay.md", "decay.tex", "r.txt"]


# -- the campaign -------------------------------------------------------------------------------------------------

def test_campaign_counts():
    """How many bad inputs each table tries (reported in the closing note of issue 11)."""
    counts = {"npy (check, prove)": 2 * len(NPY_CASES), "csv": len(CSV_CASES), "bias": len(BIAS_CASES),
              "special files": len(SPECIAL) + 2 + 4 * 6, "paths": 4 * 5 + 3, "certificates": 3 + 4 + 2,
              "balance npy": 4 * len(NPY_CASES) - 4, "balance npz": len(BALANCE_NPZ),
              "balance csv": len(CSV_CASES), "balance special": 3, "toml": len(TOML_CASES),
              "blow-ups": len(BLOWUPS) + 3, "outputs": 2 * 3 + 2 * 2 + 2 + 1}
    assert all(v > 0 for v in counts.values())
    print(counts, sum(counts.values()))
