"""The run store: a folder that keeps every finished run of an experiment.

``DIR/experiment.json`` names the experiment that owns the store (another experiment is
refused unless forced), its settings and each variant's resolved scenario;
``DIR/runs.parquet`` holds one row per finished run (variant, swept values, replication, seed,
digests, timings and one column per KPI, named as in ``kpis.json``);
``DIR/runs/<run key>.json`` each run's full KPI set and ``DIR/runs/<run key>.series.parquet``
its series (:mod:`sim.series`: per day, hour, channel, zone, SKU class and destination);
``DIR/summary.parquet`` the intervals.
Each file is replaced atomically, and a run enters ``runs.parquet`` only once it has finished,
so a run killed mid-way is simply not there and the next invocation does it again.  A lock
(``DIR/.lock``) keeps two invocations from writing one store at the same time.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.spec import ExperimentError
from sim.files import atomic_write_text, make_temp_dir

RUNS = "runs.parquet"
SUMMARY = "summary.parquet"
IDENTITY = "experiment.json"


def write_parquet_atomic(path: Path, df: pd.DataFrame) -> None:
    tmp = make_temp_dir(path)
    try:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp / path.name)
        os.replace(tmp / path.name, path)
    finally:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()


class Store:
    """An open run store (use as a context manager: it holds the store's lock)."""

    def __init__(self, path: str | Path, experiment: str, *, force: bool = False) -> None:
        self.path = Path(path)
        self.experiment = experiment
        self.force = force
        self._lock: IO[str] | None = None
        self.rows: list[dict[str, Any]] = []

    def __enter__(self) -> Store:
        if self.path.exists() and not self.path.is_dir():
            raise ExperimentError(f"{self.path} is not a folder; choose another --store.")
        if self.path.is_dir() and not (self.path / IDENTITY).is_file() \
                and any(p.name != ".lock" for p in self.path.iterdir()):
            raise ExperimentError(
                f"{self.path} is a folder with other files in it, not a run store; choose a "
                "new or empty folder for --store (nothing in it was touched).")
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "runs").mkdir(exist_ok=True)
        self._lock = open(self.path / ".lock", "w")  # held until __exit__
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ExperimentError(f"{self.path}: another experiment is writing this store; "
                                  "wait for it or choose another --store.") from None
        self._check_identity()
        if (self.path / RUNS).is_file():
            try:
                self.rows = pq.read_table(self.path / RUNS).to_pandas().to_dict("records")
            except Exception as exc:
                raise ExperimentError(f"{self.path / RUNS} cannot be read ({exc}); move it "
                                      "away to start the store afresh.") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

    def _check_identity(self) -> None:
        f = self.path / IDENTITY
        if f.is_file():
            try:
                owner = json.loads(f.read_text(encoding="utf-8")).get("experiment")
            except (ValueError, AttributeError):
                owner = None
            if owner != self.experiment and not self.force:
                raise ExperimentError(
                    f"{self.path} holds the runs of experiment '{owner}', not "
                    f"'{self.experiment}'; choose another --store, or pass --force to add "
                    "to it anyway.")
        elif any(self.path.iterdir()) and not (self.path / "runs").is_dir():
            raise ExperimentError(f"{self.path} is not an experiment store; choose another "
                                  "--store.")
        atomic_write_text(f, json.dumps({"experiment": self.experiment}) + "\n")

    def done(self) -> set[str]:
        """Run keys already in the store."""
        return {str(r["run_key"]) for r in self.rows}

    def add(self, row: dict[str, Any], kpis: dict[str, float],
            series: pd.DataFrame | None = None) -> None:
        """Record a finished run (its KPI and series files first, then its row)."""
        if series is not None:
            write_parquet_atomic(self.path / "runs" / f"{row['run_key']}.series.parquet",
                                 series)
        atomic_write_text(self.path / "runs" / f"{row['run_key']}.json",
                          json.dumps(kpis, indent=1, allow_nan=True) + "\n")
        self.rows.append(row)
        write_parquet_atomic(self.path / RUNS, pd.DataFrame(self.rows))

    def write_design(self, spec: dict[str, Any], variants: list[dict[str, Any]]) -> None:
        """Record the experiment's settings and each variant's resolved scenario in
        ``experiment.json`` (what a report needs to say what was compared)."""
        atomic_write_text(self.path / IDENTITY, json.dumps(
            {"experiment": self.experiment, "spec": spec, "variants": variants},
            indent=1, allow_nan=True, default=str) + "\n")

    def write_summary(self, summary: pd.DataFrame) -> None:
        write_parquet_atomic(self.path / SUMMARY, summary)
