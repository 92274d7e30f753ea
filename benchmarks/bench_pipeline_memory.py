"""Peak memory per order of a whole run as ``fulfill run`` does it: simulate, compute the
KPIs (which unpack the log's packed tables and build the long events table), write the
results.  ``bench_sim.py`` measures the simulation alone.

    python benchmarks/bench_pipeline_memory.py [--orders 1000000] [--root CHECKOUT]

``--root`` measures another checkout of this project (e.g. a worktree of an older commit)
with the same method, for before/after comparisons; alternate the two in separate runs.
Linux only (``/proc/self/status``).  Prints bytes per order of ``VmHWM`` above the baseline
taken after the network is built, after the KPIs and after writing.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                    help="checkout whose code is measured (default: this one)")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    sys.path[:0] = [str(root), str(Path(__file__).resolve().parent)]
    from bench_sim import _warm_cp_sat, horizon_days_for, read_status_kb, reset_peak_rss

    from sim.results import write_results
    from sim.runner import run_scenario
    from sim.scenario import load_scenario

    _warm_cp_sat()
    sc = load_scenario(root / "scenarios" / "baseline.toml")
    days, _ = horizon_days_for(sc, args.orders)
    sc = sc.with_overrides(horizon_days=days)
    gc.collect()
    base = read_status_kb("VmRSS")["VmRSS"]
    reset_peak_rss()
    run = run_scenario(sc)
    after_kpis = read_status_kb("VmHWM")["VmHWM"]
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        write_results(Path(tmp) / "out", run.log, run.kpis, sc.model_dump(mode="json"),
                      run.manifest)
    after_write = read_status_kb("VmHWM")["VmHWM"]
    n = int(run.log.meta["orders"])  # type: ignore[call-overload]
    print(f"{root}: {n:,} orders; peak after the KPIs {(after_kpis - base) * 1024 / n:.0f} "
          f"B/order, after writing {(after_write - base) * 1024 / n:.0f} B/order")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
