"""Benchmark: writing a run's results directory against simulating it (issue 18).

Simulates the bundled baseline scenario once for each horizon (default 7 and 28 days), then
times :func:`sim.results.write_results` on that run ``--repeat`` times (default 5) into a
temporary directory, each time from a fresh copy of the event log (so the long events table
is rebuilt, as in ``fulfill run``).  With ``--old FILE``, a copy of an older
``sim/results.py`` (``git show HEAD~1:sim/results.py > /tmp/old_results.py``), and
``--old-tracking FILE``, the matching ``sim/tracking.py`` (so that it derives the scans as it
did), the old writer is timed as well, interleaved with the new one (new, old, old, new, ...)
so that drift in machine speed hits both equally.

Prints, per horizon: the simulate time, the median write time (and the old one), the
write/simulate share against the target (at most 25 %), the bytes written and, with
``--tables``, the time of building and writing each table on its own (one thread).

Usage::

    python benchmarks/bench_write.py
    python benchmarks/bench_write.py --days 7 28 --repeat 5 --tables
    python benchmarks/bench_write.py --old /tmp/old_results.py --old-tracking /tmp/old_tracking.py

The script always exits 0 (it measures, it does not test); the target is printed as PASS or
MISS.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim import results as R  # noqa: E402
from sim.eventlog import EventLog  # noqa: E402
from sim.runner import RunResult, run_scenario  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402

SHARE_TARGET = 0.25
"""Target: writing takes at most this share of the simulate time."""

Writer = Callable[[Path, EventLog, dict[str, float], dict[str, Any], dict[str, Any]], Path]


def _load_old(path: Path, name: str = "old_results") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fresh(log: EventLog) -> EventLog:
    """The log as ``simulate`` leaves it: nothing derived, cached or unpacked yet."""
    return EventLog(tables=dict(log.stored), meta=dict(log.meta), packed=dict(log.packed))


def _dir_bytes(d: Path) -> int:
    return sum(f.stat().st_size for f in d.iterdir() if f.is_file())


def _time_write(write: Writer, run: RunResult, sc_json: dict[str, Any], out: Path) -> float:
    log = _fresh(run.log)
    t0 = time.perf_counter()
    write(out, log, run.kpis, sc_json, run.manifest)
    return time.perf_counter() - t0


def _per_table(run: RunResult, work: Path) -> list[tuple[str, float, int, int]]:
    """(name, seconds to build and write it alone, rows, bytes) per file, largest first."""
    log = _fresh(run.log)
    t0 = time.perf_counter()
    disk = log.tables_for_disk()  # builds the long events table
    rows = [("(long events table built)", time.perf_counter() - t0, 0, 0)]
    jobs: list[tuple[str, Callable[[], Any]]] = [
        (name, partial(R.disk_table, name, cols, log.meta)) for name, cols in disk.items()]
    jobs.append(("tracking", partial(R._tracking_table, log)))
    if "purchase_orders" in log:
        jobs.append(("stock_daily", partial(R._stock_daily_table, log)))
    for name, build in jobs:
        f = work / f"{name}.parquet"
        t0 = time.perf_counter()
        table = build()
        R._write_parquet(table, f)
        rows.append((name, time.perf_counter() - t0, table.num_rows, f.stat().st_size))
    return sorted(rows, key=lambda r: -r[1])


def bench(days: float, repeat: int, old: ModuleType | None, tables: bool) -> dict[str, Any]:
    sc: Scenario = load_scenario(ROOT / "scenarios" / "baseline.toml")
    sc = sc.with_overrides(horizon_days=days)
    run = run_scenario(sc)
    sim_s = float(run.manifest["timings_s"]["simulate"])
    sc_json = sc.model_dump(mode="json")
    writers: dict[str, Writer] = {"new": R.write_results}
    if old is not None:
        writers["old"] = old.write_results
    times: dict[str, list[float]] = {k: [] for k in writers}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-write-") as tmp:
        order = list(writers)
        for i in range(repeat):
            for name in order if i % 2 == 0 else order[::-1]:
                out = Path(tmp) / name
                times[name].append(_time_write(writers[name], run, sc_json, out))
                sizes[name] = _dir_bytes(out)
                shutil.rmtree(out)
        per_table = _per_table(run, Path(tmp)) if tables else []
    return {"days": days, "orders": run.log.n_rows("orders"),
            "events": run.log.n_rows("events"), "simulate_s": sim_s,
            "write_s": {k: statistics.median(v) for k, v in times.items()},
            "all_write_s": times, "bytes": sizes, "per_table": per_table}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, nargs="+", default=[7.0, 28.0])
    ap.add_argument("--repeat", type=int, default=5, help="writes timed per horizon (>= 1)")
    ap.add_argument("--old", type=Path, help="an older sim/results.py to time as well")
    ap.add_argument("--old-tracking", type=Path,
                    help="the sim/tracking.py of that version (its tracking_events)")
    ap.add_argument("--tables", action="store_true", help="time each table alone as well")
    args = ap.parse_args(argv)
    old = _load_old(args.old) if args.old else None
    if old is not None and args.old_tracking:
        setattr(old, "tracking_events",  # noqa: B010 - a module loaded at run time
                _load_old(args.old_tracking, "old_tracking").tracking_events)
    for days in args.days:
        r = bench(days, max(1, args.repeat), old, args.tables)
        print(f"\nbaseline, {days:g} days: {r['orders']:,} orders, {r['events']:,} events; "
              f"simulate {r['simulate_s']:.3f} s")
        for name, w in r["write_s"].items():
            share = w / r["simulate_s"]
            verdict = "PASS" if share <= SHARE_TARGET else "MISS"
            runs = ", ".join(f"{t:.3f}" for t in r["all_write_s"][name])
            print(f"  write ({name}): median {w:.3f} s of [{runs}]; "
                  f"{100 * share:.1f} % of simulate "
                  f"({verdict if name == 'new' else 'target'} <= {100 * SHARE_TARGET:.0f} %); "
                  f"{r['bytes'][name] / 1e6:.2f} MB")
        if "old" in r["write_s"]:
            print(f"  new/old write time: {r['write_s']['new'] / r['write_s']['old']:.2f}")
        for name, s, rows, size in r["per_table"]:
            print(f"    {name:28s} {s:7.3f} s {rows:>10,} rows {size / 1e6:8.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
