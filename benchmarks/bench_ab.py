"""Interleaved A/B timing of two checkouts of this project on the same ``fulfill run``.

    git worktree add /tmp/old <commit>
    python benchmarks/bench_ab.py --old /tmp/old --new . --repeat 5 -- --days 28

Each repetition runs ``fulfill run ARGS`` once with each checkout's code, in ABBA order
(old, new, new, old, ...), each in a fresh process with that checkout first on ``sys.path``,
into a fresh results directory.  From each run's manifest it takes the simulation time and the
write time, and the process's wall time; it prints the medians and the ratio old/new of the
medians (above 1: the new code is faster).  It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys
sys.path.insert(0, {root!r})
from sim.cli import main
sys.exit(main({argv!r}))
"""


def one(root: Path, args: list[str], out: Path) -> dict[str, float]:
    argv = ["run", *args, "--quiet", "--out", str(out)]
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD.format(root=str(root.resolve()), argv=argv)],
                   check=True, stdout=subprocess.DEVNULL, cwd=root)
    wall = time.perf_counter() - t0
    m = json.loads((out / "manifest.json").read_text())
    return {"simulate_s": m["timings_s"]["simulate"], "write_s": m["write_s"], "wall_s": wall}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", type=Path, required=True, help="checkout A (the reference)")
    ap.add_argument("--new", type=Path, required=True, help="checkout B")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("args", nargs="*", help="arguments of fulfill run (after --)")
    a = ap.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    order = ["old", "new", "new", "old"]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.repeat * 2):
            which = order[i % 4]
            root = a.old if which == "old" else a.new
            r = one(root, list(a.args), Path(tmp) / f"r{i}")
            runs[which].append(r)
            print(f"{which}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items()),
                  file=sys.stderr)
    print(f"{'':12}{'old':>10}{'new':>10}{'old/new':>10}")
    for key in ("simulate_s", "write_s", "wall_s"):
        o = statistics.median(r[key] for r in runs["old"])
        n = statistics.median(r[key] for r in runs["new"])
        print(f"{key:12}{o:10.3f}{n:10.3f}{o / n:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
