"""Experiment engine speed: runs per hour serial, with a process pool and on a Dask
LocalCluster, and what the store costs per run.

    python benchmarks/bench_experiments.py [--runs 12] [--days 7] [--repeat 3]

Each repetition runs the same set of runs (the baseline, ``--days`` days, replications 0..N-1)
into a fresh store once per executor, in rotating order (serial, pool, dask; pool, dask,
serial; ...), so drift in machine speed hits each alike.  Reports the medians of runs per hour,
the speed-up against serial, the per-run overhead (wall time per run x workers minus the
run's own simulate-and-KPI time), and the store's writing time as a share of simulate time.
It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.experiments import Experiment, ExperimentSpec, Variant  # noqa: E402
from sim.experiments import store as store_mod  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def experiment(runs: int, days: float) -> Experiment:
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=days)
    spec = ExperimentSpec(name="bench", base=str(sc.source), replications=runs,
                          kpis=["total_cost_per_order"])
    return Experiment(spec, [Variant("base", sc)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-serial", action="store_true", help="only the pool and Dask")
    a = ap.parse_args()
    w = a.workers
    modes = {"serial": {"jobs": 1}, f"pool:{w}": {"jobs": w},
             f"dask local:{w}": {"dask": f"local:{w}"}}
    if a.no_serial:
        del modes["serial"]
    names = list(modes)
    wall: dict[str, list[float]] = {m: [] for m in names}
    inside: dict[str, list[float]] = {m: [] for m in names}
    write: dict[str, list[float]] = {m: [] for m in names}
    sim: dict[str, list[float]] = {m: [] for m in names}
    real_add = store_mod.Store.add
    spent = [0.0]

    def timed_add(self: store_mod.Store, row: dict, kpis: dict,  # type: ignore[type-arg]
                  *rest: object) -> None:
        t = time.perf_counter()
        real_add(self, row, kpis, *rest)  # type: ignore[arg-type]
        spent[0] += time.perf_counter() - t

    store_mod.Store.add = timed_add  # type: ignore[method-assign]
    for rep in range(a.repeat):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for m in order:
            exp = experiment(a.runs, a.days)
            with tempfile.TemporaryDirectory() as tmp:
                spent[0] = 0.0
                t0 = time.perf_counter()
                res = exp.run(Path(tmp) / "store", **modes[m])  # type: ignore[arg-type]
                wall[m].append(time.perf_counter() - t0)
                inside[m].append(float(res.runs["wall_s"].sum()))
                sim[m].append(float(res.runs["simulate_s"].sum()))
                write[m].append(spent[0])
            print(f"{m}: {wall[m][-1]:.1f} s for {a.runs} runs", file=sys.stderr)
    base = statistics.median(wall[names[0]])
    print(f"{a.runs} runs of the baseline, {a.days:g} days each; medians of {a.repeat}")
    print(f"| executor | wall s | runs/hour | vs {names[0]} | overhead s/run | "
          "store write / simulate |")
    print("|---|---:|---:|---:|---:|---:|")
    for m in names:
        wm = statistics.median(wall[m])
        workers = 1 if m == "serial" else w  # overhead: worker-seconds not spent in runs
        over = (wm * workers - statistics.median(inside[m])) / a.runs
        frac = statistics.median(write[m]) / statistics.median(sim[m])
        print(f"| {m} | {wm:.1f} | {3600 * a.runs / wm:,.0f} | {base / wm:.2f}x | "
              f"{over:.2f} | {100 * frac:.1f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
