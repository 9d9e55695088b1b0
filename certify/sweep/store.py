"""The files of a sweep, in its output folder:

    sweep.json     what was swept (rule file and hash, the grid's exact values, the claim): a rerun compares it
    points.jsonl   one JSON object per point, appended (and flushed) as each result arrives, in completion order;
                   every row keeps the check's evidence (report_dict: derivation or counterexample, exact rationals)
    points.csv     the table, written at the end, sorted by point index (grid order): the same bytes whatever the
                   executor and the order of completion (no timings, no worker names)
    points.parquet the same table when pyarrow is installed (optional)

Resume: a rerun into the same folder reads points.jsonl and skips every point it already holds (a point with a
verdict, or an error unless retry_errors); a line cut short by a crash is dropped and that point is run again.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, TextIO

from certify.errors import InputError
from certify.output.atomic import output_folder, write_bytes_with, write_text

MANIFEST = "sweep.json"
ROWS = "points.jsonl"
TABLE = "points.csv"
PARQUET = "points.parquet"
FORMAT = 1

# the CSV columns after `index` and the swept parameters
COLUMNS = ("verdict", "rate", "rate_float", "T", "T_float", "summary", "condition", "mismatches", "error_kind",
           "error")


def manifest(rule_file: str | None, rule_hash: str, grid: list, measure: str | None,
             bound: str | None, expectations: bool) -> dict[str, Any]:
    return {"format": FORMAT, "rule_file": rule_file, "rule_hash": rule_hash, "grid": grid, "measure": measure,
            "bound": bound, "expectations": expectations}


_SAME = ("format", "rule_hash", "grid", "measure", "bound", "expectations")


@dataclass
class Store:
    """An output folder; `open()` checks it holds no other sweep and loads the rows of an earlier run."""

    folder: Path
    info: dict[str, Any]
    rows: dict[int, dict] = field(default_factory=dict)
    _fh: TextIO | None = None

    @staticmethod
    def open(folder: str | Path, info: dict[str, Any], fresh: bool = False) -> "Store":
        path = output_folder(folder, "--out", create=True)
        store = Store(path, info)
        old_manifest = path / MANIFEST
        if fresh:
            for name in (ROWS, TABLE, PARQUET):
                (path / name).unlink(missing_ok=True)
        elif old_manifest.exists():
            try:
                old = json.loads(old_manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                old = None
            differs = [k for k in _SAME if not isinstance(old, dict) or old.get(k) != info.get(k)]
            if differs:
                raise InputError(f"--out {folder} holds another sweep (its {', '.join(differs)} differ), so its "
                                 "points cannot be resumed", file=str(old_manifest), symbol="--out",
                                 hint="choose another --out folder, or pass --fresh to discard the old points")
            store.rows = load_rows(path / ROWS)
        elif (path / ROWS).exists():
            raise InputError(f"--out {folder} holds points.jsonl without {MANIFEST}", file=str(path / ROWS),
                             symbol="--out", hint="choose another --out folder, or pass --fresh")
        write_text(old_manifest, json.dumps(info, indent=2, sort_keys=True) + "\n")
        # the kept rows, compacted (one per point; a line cut short by a crash is gone), before appending more
        write_text(path / ROWS, "".join(_line(r) for _, r in sorted(store.rows.items())))
        return store

    def done(self, retry_errors: bool = False) -> set[int]:
        """Indexes of the points already recorded (errors only when not retried)."""
        return {i for i, r in self.rows.items() if r.get("verdict") and not (retry_errors and r["verdict"] == "error")}

    def add(self, row: dict) -> None:
        """Record one point's row at once (appended and flushed)."""
        self.rows[int(row["index"])] = row
        if self._fh is None:
            self._fh = open(self.folder / ROWS, "a", encoding="utf-8")
        self._fh.write(_line(row))
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def write_table(self, names: Iterable[str]) -> list[Path]:
        """points.csv (and points.parquet when pyarrow is there) from every row, sorted by index."""
        names = list(names)
        rows = [self.rows[i] for i in sorted(self.rows)]
        written = [self.folder / TABLE]
        write_text(written[0], table_csv(rows, names))
        try:   # deferred: pyarrow is optional (Parquet only when it is installed)
            import pyarrow  # noqa: F401
        except ImportError:
            return written
        written.append(_parquet(self.folder / PARQUET, rows, names))
        return written


def _line(row: dict) -> str:
    return json.dumps(row, sort_keys=True, separators=(",", ":")) + "\n"


def load_rows(path: Path) -> dict[int, dict]:
    """The rows of a points.jsonl (the last one per index); unreadable lines (a write cut short) are dropped."""
    rows: dict[int, dict] = {}
    if not path.exists():
        return rows
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and isinstance(row.get("index"), int) and row.get("verdict"):
                rows[row["index"]] = row
    return rows


def _float(text: str | None) -> str:
    return "" if text is None else repr(float(Fraction(text)))


def table_records(rows: Iterable[dict], names: list[str]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        rec: dict[str, Any] = {"index": r["index"]}
        rec.update({n: r["params"].get(n, "") for n in names})
        rec.update(verdict=r["verdict"], rate=r.get("rate") or "", rate_float=_float(r.get("rate")),
                   T=r.get("T") or "", T_float=_float(r.get("T")), summary=r.get("summary") or "",
                   condition=r.get("condition_text") or "", mismatches="; ".join(r.get("mismatches") or ()),
                   error_kind=r.get("error_kind") or "",
                   error=r.get("error") or "")
        out.append(rec)
    return out


def table_csv(rows: Iterable[dict], names: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["index", *names, *COLUMNS], lineterminator="\n")
    writer.writeheader()
    writer.writerows(table_records(rows, names))
    return buf.getvalue()


def _parquet(path: Path, rows: list[dict], names: list[str]) -> Path:   # pragma: no cover - pyarrow is optional
    # deferred: pyarrow is optional (this runs only when it is installed)
    import pyarrow as pa
    # deferred: needed only on this path
    import pyarrow.parquet as pq
    records = table_records(rows, names)
    columns = ["index", *names, *COLUMNS]
    table = pa.table({c: [rec[c] for rec in records] for c in columns})
    write_bytes_with(path, lambda fh: pq.write_table(table, fh))
    return path


__all__ = ["Store", "manifest", "load_rows", "table_csv", "table_records", "MANIFEST", "ROWS", "TABLE", "COLUMNS"]
