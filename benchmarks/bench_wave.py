"""Time :func:`optimize.routing.assign_wave` on random waves of realistic shape.

Each wave: ``n`` orders to ``F`` FCs placed at random in a unit square; an order's landed cost
is a zone-based postage (zone from distance) plus its labor at the FC's rate; a fifth of the
orders are "express" and may only ship from zones 1-4 (``inf`` elsewhere); 1-4 lines of
Zipf-popular SKUs (300 of them); labor hours = (2 min + 1 min/line + 0.3 min/unit) x an FC
productivity factor.  Stock: 10 % of FC-SKU pairs have none, 10 % 1-3 units, the rest 5 to 100
waves' worth of expected demand (``--scarce``: 50 units each, so the popular SKUs run out
within the wave and tens of orders compete for them).  Each FC's labor capacity for the wave
is the hours the wave would need if spread evenly, divided by ``--load``: above 1, FCs
overflow (overtime at ``--overflow`` $/h) or orders move.

Prints, per (n, F): the wall time of ``assign_wave`` (everything: validation, reduction, LP,
rounding, local search, CP-SAT if ``--dt`` > 0), its statuses and relative gap to its own
lower bound, and the time of ``assign_wave_greedy`` and its excess cost over ``assign_wave``.
The first call (imports of SciPy and OR-Tools) is made before timing.

Usage::

    python benchmarks/bench_wave.py                       # n = 100, 300; F = 4, 8; 20 waves
    python benchmarks/bench_wave.py --sizes 50 300 --fcs 6 --waves 50 --load 1.2
    python benchmarks/bench_wave.py --scarce --dt 0.02    # stock stress, CP-SAT polishing
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimize.routing import assign_wave, assign_wave_greedy  # noqa: E402


def random_wave(rng: np.random.Generator, n: int, F: int, *, n_skus: int = 300,
                load: float = 1.1, scarce: bool = False) -> dict[str, Any]:
    """A random wave as keyword arguments of :func:`assign_wave` (``overflow`` not included)."""
    fc_xy = rng.random((F, 2))
    xy = rng.random((n, 2))
    dist = np.linalg.norm(xy[:, None, :] - fc_xy[None, :, :], axis=2)  # (n, F), 0 .. 1.4
    zone = np.clip(2 + np.floor(dist * 6), 2, 8)
    n_lines = rng.integers(1, 5, n)
    ptr = np.concatenate([[0], np.cumsum(n_lines)])
    pop = 1.0 / np.arange(1, n_skus + 1)
    sku = rng.choice(n_skus, ptr[-1], p=pop / pop.sum())
    units = rng.integers(1, 4, ptr[-1])
    order_units = np.add.reduceat(units, ptr[:-1])
    minutes = 2.0 + 1.0 * n_lines + 0.3 * order_units
    productivity = rng.uniform(0.8, 1.25, F)
    hours = minutes[:, None] / 60.0 * productivity[None, :]
    labor_rate = rng.uniform(20.0, 30.0, F)
    cost = 5.0 + 1.4 * zone + 0.4 * order_units[:, None] + hours * labor_rate[None, :]
    cost = np.round(cost, 2)
    express = rng.random(n) < 0.2
    cost[express[:, None] & (zone > 4)] = np.inf
    if scarce:  # 50 units everywhere: the most popular SKUs run out within the wave
        stock = np.full((F, n_skus), 50, dtype=np.int64)
    else:  # 5 to 100 waves' worth of expected demand
        per_wave = pop / pop.sum() * units.size * 2.0
        stock = np.ceil(per_wave[None, :] * rng.uniform(5, 100, (F, n_skus))).astype(np.int64)
    r = rng.random((F, n_skus))
    stock[r < 0.1] = 0
    low = (r >= 0.1) & (r < 0.2)
    stock[low] = rng.integers(1, 4, int(low.sum()))
    capacity = np.full(F, hours.mean() * n / F / load)
    unassigned = float(np.nanmax(np.where(np.isfinite(cost), cost, np.nan))) + 50.0
    return {"cost": cost, "hours": hours, "capacity_h": capacity, "line_ptr": ptr,
            "line_sku": sku, "line_units": units, "stock": stock,
            "unassigned_cost": unassigned}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 300])
    ap.add_argument("--fcs", type=int, nargs="*", default=[4, 8])
    ap.add_argument("--waves", type=int, default=20)
    ap.add_argument("--load", type=float, default=1.1, help="wave hours / capacity")
    ap.add_argument("--overflow", type=float, default=40.0, help="overtime $/h")
    ap.add_argument("--dt", type=float, default=0.0, help="max_deterministic_time (CP-SAT)")
    ap.add_argument("--scarce", action="store_true", help="50 units per FC-SKU (stress)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    warm = random_wave(np.random.default_rng(0), 50, 4, load=args.load)
    assign_wave(**warm, overflow_cost_per_h=args.overflow, max_deterministic_time=args.dt)
    print(f"load {args.load}, overflow {args.overflow} $/h, max_deterministic_time {args.dt}, "
          f"{'scarce' if args.scarce else 'normal'} stock, {args.waves} waves each")
    print("| n | F | assign_wave ms: median | p90 | max | statuses | gap to bound: median | max "
          "| greedy ms: median | greedy excess: median | max |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        for F in args.fcs:
            rng = np.random.default_rng([args.seed, n, F])
            times, g_times, gaps, excess = [], [], [], []
            statuses: Counter[str] = Counter()
            for _ in range(args.waves):
                kw = random_wave(rng, n, F, load=args.load, scarce=args.scarce)
                t0 = time.perf_counter()
                r = assign_wave(**kw, overflow_cost_per_h=args.overflow,
                                max_deterministic_time=args.dt)
                times.append(1e3 * (time.perf_counter() - t0))
                statuses[r.status] += 1
                gaps.append((r.objective - r.bound) / r.objective)
                t0 = time.perf_counter()
                g = assign_wave_greedy(**kw, overflow_cost_per_h=args.overflow)
                g_times.append(1e3 * (time.perf_counter() - t0))
                excess.append((g.objective - r.objective) / r.objective)
            times.sort()
            p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
            st = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
            print(f"| {n} | {F} | {statistics.median(times):.1f} | {p90:.1f} | {max(times):.1f} "
                  f"| {st} | {100 * statistics.median(gaps):.3f} % | {100 * max(gaps):.3f} % "
                  f"| {statistics.median(g_times):.1f} | {100 * statistics.median(excess):.2f} % "
                  f"| {100 * max(excess):.2f} % |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
