"""The optimizers in the simulation loop: each variant against the baseline, same demand.

Runs the baseline and each variant scenario with the same seeds (common random numbers:
orders, their lines and task-time draws come from the same named streams, whatever the
policy), then reports for each KPI the mean over seeds and the paired difference to the
baseline with a 95 % t interval.  Runs go to a local process pool (``--workers``); results
do not depend on the number of workers.

Usage::

    python benchmarks/compare_optimizers.py                       # the bundled variants
    python benchmarks/compare_optimizers.py --seeds 5 --days 28 scenarios/wave_routing.toml

Each run's KPIs are cached in ``benchmarks/out/loop-<name>-<digest>-<code>-<seed>-<days>.json``
(written atomically; ``code`` hashes the model's and optimizers' source), so an interrupted
study resumes where it stopped and a changed policy is run again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
# run this checkout's code (the one code_digest hashes), whatever the environment installed;
# the pool's workers inherit the path
sys.path.insert(0, str(ROOT))
OUT = Path(__file__).resolve().parent / "out"
VARIANTS = ("scenarios/optimal_routing.toml", "scenarios/wave_routing.toml",
            "scenarios/placement_optimized.toml", "scenarios/placement_optimal_routing.toml")
KPIS = ("cost_per_order", "labor_cost_per_order", "shipping_cost_per_order",
        "holding_cost_per_order", "click_to_deliver_days_mean", "click_to_deliver_days_p90",
        "on_time_rate", "split_shipment_rate", "hold_rate", "fill_rate_orders",
        "stockout_share", "avg_on_hand_units")


def code_digest() -> str:
    """Hash of the model's and optimizers' source, so cached runs of older code are not
    reused after a change to a policy."""
    h = hashlib.sha256()
    for f in sorted([*(ROOT / "sim").rglob("*.py"), *(ROOT / "optimize").rglob("*.py")]):
        h.update(f.relative_to(ROOT).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:8]


def one_run(path: str, seed: int, days: float, code: str) -> dict[str, float]:
    """KPIs of one run (cached on disk by scenario name and digest, code, seed and days)."""
    from sim.files import atomic_write_text
    from sim.runner import run_scenario
    from sim.scenario import load_scenario

    sc = load_scenario(ROOT / path).with_overrides(seed=seed, horizon_days=days)
    cache = OUT / f"loop-{sc.name}-{sc.digest()[:12]}-{code}-{seed}-{days:g}.json"
    if cache.exists():
        return dict(json.loads(cache.read_text()))
    res = run_scenario(sc)
    kpis = {k: float(v) for k, v in res.kpis.items() if isinstance(v, int | float)}
    kpis["sim_wall_s"] = float(res.manifest["timings_s"]["simulate"])
    atomic_write_text(cache, json.dumps(kpis))
    return kpis


def paired(base: list[float], other: list[float]) -> tuple[float, float]:
    """Mean paired difference and the half-width of its 95 % t interval."""
    d = [b - a for a, b in zip(base, other, strict=True)]
    if len(d) < 2:
        return statistics.fmean(d), float("nan")
    half = stats.t.ppf(0.975, len(d) - 1) * statistics.stdev(d) / len(d) ** 0.5
    return statistics.fmean(d), float(half)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("variants", nargs="*", default=list(VARIANTS))
    p.add_argument("--baseline", default="scenarios/baseline.toml")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=1)
    p.add_argument("--days", type=float, default=28.0)
    p.add_argument("--workers", type=int, default=2)
    a = p.parse_args(argv)
    seeds = list(range(a.first_seed, a.first_seed + a.seeds))
    names = [a.baseline, *a.variants]
    jobs = [(n, s) for n in names for s in seeds]
    code = code_digest()  # taken once: the workers import the code as it is now
    with ProcessPoolExecutor(a.workers) as pool:
        futures = {job: pool.submit(one_run, job[0], job[1], a.days, code) for job in jobs}
        runs = {job: f.result() for job, f in futures.items()}
        for job in jobs:
            print(f"done {job[0]} seed {job[1]}: {runs[job]['sim_wall_s']:.1f} s",
                  file=sys.stderr)
    print(f"{len(seeds)} seeds ({seeds[0]}..{seeds[-1]}), {a.days:g} days each; "
          "difference = variant - baseline, paired by seed, 95 % t interval")
    for kpis in runs.values():  # holding is not in cost_per_order (labor + shipping)
        kpis["holding_cost_per_order"] = kpis["holding_cost"] / max(kpis["orders_placed"], 1)
    for k in KPIS:
        base = [runs[(a.baseline, s)].get(k, float("nan")) for s in seeds]
        print(f"\n{k}: baseline {statistics.fmean(base):.4f}")
        for n in a.variants:
            vals = [runs[(n, s)].get(k, float("nan")) for s in seeds]
            d, h = paired(base, vals)
            print(f"  {Path(n).stem:<22} {statistics.fmean(vals):10.4f}   "
                  f"diff {d:+.4f} ± {h:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
