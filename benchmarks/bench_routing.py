"""Speed of the cost-based routing policies against nearest-FC routing (issue 18).

Runs ``simulate(net)`` for five scenarios on the same orders: ``scenarios/baseline.toml``
(``routing.policy = "nearest"``), ``scenarios/optimal_routing.toml`` and
``scenarios/optimal_calendar.toml`` (``optimal`` with ``estimate = "calendar"``),
``scenarios/wave_routing.toml`` and ``scenarios/wave_calendar.toml`` (``wave`` with
``estimate = "calendar"``), at ``--days`` days.  The networks are built once, outside the
timing; only ``simulate(...)`` is timed.  Repetitions are interleaved (ABC, CBA, ABC, ...) so
drift in machine speed hits every policy alike.  One untimed warm-up run of each comes first
(imports of SciPy and OR-Tools, caches).  Prints the median time of each and, against
nearest-FC routing, the ratio of the medians and the median of the per-round ratios (each
policy's run over nearest's run of the same round; targets: optimal at most 2x, wave at most
3x), by wall time and by the process's CPU time (``time.process_time``: steadier on a shared
machine, where other jobs slow wall time).

Usage::

    python benchmarks/bench_routing.py                  # 7 days, 3 repeats
    python benchmarks/bench_routing.py --days 28 --repeat 3
    python benchmarks/bench_routing.py --base scenarios/peak_season.toml --days 60
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model import simulate  # noqa: E402
from sim.network import Network, build_network  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

SCENARIOS = {
    "nearest": "baseline.toml",
    "optimal": "optimal_routing.toml",
    "calendar": "optimal_calendar.toml",
    "wave": "wave_routing.toml",
    "wave_cal": "wave_calendar.toml",
}
TARGETS = {"optimal": 2.0, "calendar": 2.0, "wave": 3.0, "wave_cal": 3.0}


def networks(days: float, base: Path | None = None) -> dict[str, Network]:
    """The five policies' networks at ``days``; with ``base`` (a scenario file), that
    scenario with each policy's ``[routing]`` section instead of the baseline."""
    out = {}
    base_sc = None if base is None else load_scenario(base)
    for name, file in SCENARIOS.items():
        sc = load_scenario(ROOT / "scenarios" / file)
        if base_sc is not None:
            data = base_sc.model_dump()
            data["routing"] = sc.model_dump()["routing"]
            sc = base_sc.with_data(data)
        sc = sc.with_overrides(horizon_days=days)
        if name == "nearest":
            data = sc.model_dump()
            data["routing"]["policy"] = "nearest"
            data["routing"]["params"] = {}
            sc = sc.with_data(data)
        out[name] = build_network(sc)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=7.0, help="horizon in days (default 7)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (default 3)")
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed first runs")
    ap.add_argument("--base", type=Path, default=None,
                    help="run the policies on this scenario instead of the baseline (e.g. "
                         "scenarios/peak_season.toml with --days 60)")
    args = ap.parse_args(argv)
    nets = networks(args.days, args.base)
    names = list(nets)
    if not args.no_warmup:
        for name in names:
            simulate(nets[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.repeat):
        for name in (names if r % 2 == 0 else names[::-1]):
            t0, c0 = time.perf_counter(), time.process_time()
            simulate(nets[name])
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            print(f"  run {r + 1} {name:8s} {times[name][-1]:8.3f} s wall"
                  f" {cpu[name][-1]:8.3f} s CPU", flush=True)
    print(f"\n{args.days:g} days, {args.repeat} repeats (medians)")
    for label, data in (("wall", times), ("CPU", cpu)):
        med = {name: statistics.median(ts) for name, ts in data.items()}
        for name in names:
            print(f"  {label:4s} {name:8s} {med[name]:8.3f} s   (min {min(data[name]):.3f})")
        for name, target in TARGETS.items():
            ratio = med[name] / med["nearest"]
            rounds = [t / n for t, n in zip(data[name], data["nearest"], strict=True)]
            per_round = statistics.median(rounds)
            verdict = "PASS" if max(ratio, per_round) <= target else "MISS"
            print(f"  {label:4s} {name}/nearest = {ratio:5.2f}x, per round: median "
                  f"{per_round:5.2f}x ({min(rounds):.2f}-{max(rounds):.2f})"
                  f"   (target <= {target:g}x)  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
