"""Interleaved A/B of ``simulate()`` CPU time between two checkouts, in two warm processes.

    git worktree add /tmp/old <commit>
    python benchmarks/bench_ab_sim.py --old /tmp/old --new . --days 28 --rounds 8
    python benchmarks/bench_ab_sim.py --old . --new . --new-scenario optimal_calendar
    python benchmarks/bench_ab_sim.py --old . --new . --days 60 --scenario peak_season \
        --new-scenario benchmarks/experiments/peak_optimal.toml

Each checkout gets one long-lived process, with that checkout first on ``sys.path``, that
builds the scenario's network once (``scenarios/<name>.toml`` of its own checkout, or a
scenario file given by its path, at ``--days``; ``--new-scenario`` gives B another scenario,
to compare two policies), runs ``simulate`` once untimed, then again each time it is asked,
and reports the process's CPU time (``time.process_time``) of that run.  Rounds alternate
the order (A, B; B, A; ...).  It prints the medians, their ratio old/new (above 1: B is
faster) and the median and range of the rounds' own ratios, with a 95 % interval for the
latter's median from order statistics (distribution-free: rounds are taken as independent;
"no detectable difference" when it contains 1).  Steadier than ``bench_ab.py``
for small differences: no imports, no writing, no process start per run.  It measures; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from scipy.stats import binom

WORKER = r"""
import gc, sys, time
root = sys.argv[1]
sys.path.insert(0, root)
from sim.model import simulate
from sim.network import build_network
from sim.scenario import load_scenario
name = sys.argv[2]
sc = load_scenario(name if name.endswith(".toml") else f"{root}/scenarios/{name}.toml")
net = build_network(sc.with_overrides(horizon_days=float(sys.argv[3])))
simulate(net)
print("ready", flush=True)
for _ in sys.stdin:
    gc.collect()
    t0 = time.process_time()
    simulate(net)
    print(time.process_time() - t0, flush=True)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", type=Path, required=True, help="checkout A (the reference)")
    ap.add_argument("--new", type=Path, required=True, help="checkout B")
    ap.add_argument("--scenario", default="baseline",
                    help="bundled scenario name (each checkout's own), or a scenario "
                         "file (ending in .toml: the same file for both)")
    ap.add_argument("--new-scenario", help="B's scenario (name or file), if not --scenario")
    ap.add_argument("--days", type=float, default=28.0)
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args()
    procs = {}
    scenarios = {"old": args.scenario, "new": args.new_scenario or args.scenario}
    for name, sc in scenarios.items():  # a file (e.g. benchmarks/experiments/...): absolute
        if sc.endswith(".toml"):
            scenarios[name] = str(Path(sc).resolve())
    for name, root in (("old", args.old), ("new", args.new)):
        p = subprocess.Popen([sys.executable, "-c", WORKER, str(root.resolve()),
                              scenarios[name], str(args.days)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=root)
        assert p.stdin is not None and p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            raise SystemExit(f"{name}: the worker did not start")
        procs[name] = p
    times: dict[str, list[float]] = {"old": [], "new": []}
    for r in range(args.rounds):
        for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
            p = procs[name]
            p.stdin.write("run\n")  # type: ignore[union-attr]
            p.stdin.flush()  # type: ignore[union-attr]
            times[name].append(float(p.stdout.readline()))  # type: ignore[union-attr]
    for p in procs.values():
        p.stdin.close()  # type: ignore[union-attr]
        p.wait()
    old, new = statistics.median(times["old"]), statistics.median(times["new"])
    ratios = [o / n for o, n in zip(times["old"], times["new"], strict=True)]
    print(f"{scenarios['old']} / {scenarios['new']}, {args.days:g} days, {args.rounds} rounds "
          "(CPU s of simulate)")
    print(f"old {old:.3f} s   new {new:.3f} s   old/new {old / new:.3f}   per round: median "
          f"{statistics.median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f})")
    ci = median_interval(ratios)
    if ci is None:
        print("too few rounds for a 95 % interval of the rounds' median ratio (6 or more)")
    else:
        lo, hi, cover = ci
        verdict = "no detectable difference" if lo <= 1.0 <= hi else (
            "new faster" if lo > 1.0 else "new slower")
        print(f"rounds' median ratio, {cover:.1%} interval (order statistics): "
              f"{lo:.3f}-{hi:.3f}: {verdict}")
    return 0


def median_interval(values: list[float], level: float = 0.95
                    ) -> tuple[float, float, float] | None:
    """A distribution-free interval for the median of ``values`` (independent draws):
    the j-th smallest and j-th largest, j the largest with coverage ``1 - 2 P(B < j)``
    of at least ``level``, B ~ Binomial(n, 1/2); with that coverage.  ``None`` when even
    the smallest and largest do not reach it (fewer than 6 values at 95 %)."""
    n, xs = len(values), sorted(values)
    j = 0
    while j < n // 2 and 1.0 - 2.0 * float(binom.cdf(j, n, 0.5)) >= level:
        j += 1  # (x_(j+1), x_(n-j)) still covers
    if j == 0:
        return None
    return xs[j - 1], xs[n - j], 1.0 - 2.0 * float(binom.cdf(j - 1, n, 0.5))


if __name__ == "__main__":
    sys.exit(main())
