"""Writing and reading a run's results directory.

A results directory holds one Parquet file per table of the event log, ``kpis.json`` and
``manifest.json`` (scenario name and SHA-256, seed, package version, timings, row counts), and
``tracking.parquet`` (carrier scans derived from the log, see :mod:`sim.tracking`),
``scenario.json`` (the fully resolved scenario, so a run can be understood without its source
files).  It is written to a temporary sibling directory and renamed into place, so a reader never
sees half a result and an interrupted run leaves the previous result intact.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__
from sim.eventlog import EventLog
from sim.files import atomic_write_text, make_temp_dir
from sim.inventory import stock_series
from sim.tracking import tracking_events

MANIFEST = "manifest.json"


class ResultsError(ValueError):
    """A results directory is missing or incomplete; the message is meant for the user."""


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot serialise {type(o).__name__}")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and a rename."""
    atomic_write_text(path, json.dumps(data, indent=2, default=_json_default,
                                       allow_nan=True) + "\n")


def write_results(out: Path, log: EventLog, kpis: dict[str, float], scenario_json: dict[str, Any],
                  manifest: dict[str, Any]) -> Path:
    """Write a run to ``out`` atomically (replacing an earlier result there)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(out)
    try:
        t0 = time.perf_counter()
        rows = {}
        for name, cols in log.tables_for_disk().items():
            table = pa.table({c: pa.array(a) for c, a in cols.items()})
            pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
            rows[name] = table.num_rows
        if "purchase_orders" in log.tables:  # daily stock per FC, for charts and reports
            pq.write_table(pa.Table.from_pandas(stock_series(log), preserve_index=False),
                           tmp / "stock_daily.parquet", compression="zstd")
        track = tracking_events(log)
        pq.write_table(pa.table({c: pa.array(v) for c, v in track.items()}),
                       tmp / "tracking.parquet", compression="zstd")
        write_json_atomic(tmp / "kpis.json", kpis)
        write_json_atomic(tmp / "scenario.json", scenario_json)
        full = {"format": 1, "package_version": __version__, "rows": rows,
                "meta": log.meta, **manifest,
                "write_s": round(time.perf_counter() - t0, 3)}
        write_json_atomic(tmp / MANIFEST, full)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_manifest(path: Path) -> dict[str, Any]:
    mf = Path(path) / MANIFEST
    if not mf.is_file():
        raise ResultsError(f"{path}: not a results directory (no {MANIFEST}); give a directory "
                           "written by 'fulfill run --out' or a scenario file.")
    return json.loads(mf.read_text(encoding="utf-8"))


def read_results(path: Path) -> EventLog:
    """Load the event log of a results directory."""
    path = Path(path)
    manifest = read_manifest(path)
    tables: dict[str, dict[str, np.ndarray]] = {}
    for name in manifest["rows"]:
        f = path / f"{name}.parquet"
        if not f.is_file():
            raise ResultsError(f"{path}: results incomplete, {f.name} is missing.")
        t = pq.read_table(f)
        tables[name] = {c: t.column(c).to_numpy() for c in t.column_names}
    return EventLog(tables=tables, meta=manifest["meta"])
