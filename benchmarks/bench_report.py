"""Report speed: ``fulfill report`` from 2 results directories and from a 10-variant x
10-replication run store, whole command (process start to exit) and its parts.

    python benchmarks/bench_report.py [--days 28] [--store-days 7] [--repeat 3] [--pdf]

Builds its inputs once in a temporary folder (2 baseline runs of ``--days`` days; a store of
the baseline and 9 swept variants, 10 replications each, of ``--store-days`` days), then times
the report command ``--repeat`` times for each source, alternating the two, and prints the
medians.  It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXPERIMENT = """
name = "bench-report"
base = "{base}"
replications = 10
days = {days}
[[sweeps]]
key = "fcs.chicago.shifts.day.pickers"
values = [1, 2, 4, 5, 6, 7, 8, 9, 10]
"""


def fulfill(*args: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", *args], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=28.0)
    ap.add_argument("--store-days", type=float, default=7.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pdf", action="store_true", help="also print the PDF")
    a = ap.parse_args()
    base = ROOT / "scenarios" / "baseline.toml"
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for i, sc in enumerate(("baseline.toml", "optimal_routing.toml")):
            fulfill("run", str(ROOT / "scenarios" / sc), "--days", f"{a.days:g}", "--out",
                    str(d / f"run{i}"), "--quiet")
        exp = d / "exp.toml"
        exp.write_text(EXPERIMENT.format(base=base, days=a.store_days), encoding="utf-8")
        t = fulfill("experiment", str(exp), "--store", str(d / "store"), "--quiet")
        print(f"inputs: 2 runs of {a.days:g} days; store of 10 x 10 runs of "
              f"{a.store_days:g} days ({t:.0f} s)")
        sources = {"2 runs": [str(d / "run0"), str(d / "run1")],
                   "10 x 10 store": [str(d / "store")]}
        times: dict[str, list[float]] = {k: [] for k in sources}
        for r in range(a.repeat):
            for name in (list(sources) if r % 2 == 0 else list(reversed(sources))):
                extra = ["--pdf", str(d / "r.pdf")] if a.pdf else []
                times[name].append(fulfill("report", *sources[name], "--out",
                                           str(d / "r.html"), *extra))
        sys.path.insert(0, str(ROOT))
        from reports.build import write_report
        from reports.dataset import from_results_dirs, from_store

        for name, src in sources.items():
            t0 = time.perf_counter()
            data = (from_store(Path(src[0])) if "store" in name
                    else from_results_dirs([Path(s) for s in src]))
            t1 = time.perf_counter()
            write_report(data, d / "parts.html")
            t2 = time.perf_counter()
            print(f"{name}: whole command median {statistics.median(times[name]):.2f} s "
                  f"(runs {', '.join(f'{x:.2f}' for x in times[name])}); in process: "
                  f"reading {t1 - t0:.2f} s, rendering and writing {t2 - t1:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
