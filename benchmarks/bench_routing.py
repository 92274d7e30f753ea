"""Speed of the cost-based routing policies against nearest-FC routing (issue 18).

Runs ``simulate(net)`` for five scenarios on the same orders: ``scenarios/baseline.toml``
(``routing.policy = "nearest"``), ``scenarios/optimal_routing.toml`` and
``scenarios/optimal_calendar.toml`` (``optimal`` with ``estimate = "calendar"``),
``scenarios/wave_routing.toml`` and ``scenarios/wave_calendar.toml`` (``wave`` with
``estimate = "calendar"``), at ``--days`` days.

Each policy runs in a process of its own, as a user runs one scenario per ``fulfill run``
(``--worker``): it builds its network once, outside the timing, runs ``simulate`` once untimed
(imports of SciPy and OR-Tools, caches), then again each time it is asked, and reports the
run's CPU time (``time.process_time``: steadier on a shared machine) and wall time.  One
process running all five in turn, as this script did before 2026-12-01, timed nearest-FC
routing about 20 % slower than a process of its own did (0.73 s against 0.58-0.64 s at 7
days), so its ratios to nearest were too low.  Rounds are interleaved (ABC, CBA, ABC, ...), one
policy at a time, so drift in machine speed hits every policy alike.  Prints the median time
of each and, against nearest-FC routing, the ratio of the medians and the median and range
of the per-round ratios (each policy's run over nearest's run of the same round; targets:
optimal at most 2x, wave at most 3x).

Usage::

    python benchmarks/bench_routing.py                  # 7 days, 3 repeats
    python benchmarks/bench_routing.py --days 28 --repeat 3
    python benchmarks/bench_routing.py --base scenarios/peak_season.toml --days 60
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
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


def networks(days: float, base: Path | None = None, only: str | None = None
             ) -> dict[str, Network]:
    """The five policies' networks at ``days`` (``only``: that one's); with ``base`` (a
    scenario file), that scenario with each policy's ``[routing]`` section instead of the
    baseline."""
    out = {}
    base_sc = None if base is None else load_scenario(base)
    for name, file in SCENARIOS.items():
        if only is not None and name != only:
            continue
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


def worker(name: str, days: float, base: Path | None) -> int:
    """The child: build ``name``'s network, run once untimed, then once per line on stdin,
    printing ``CPU_S WALL_S`` of each run."""
    net = networks(days, base, only=name)[name]
    simulate(net)
    print("ready", flush=True)
    for _ in sys.stdin:
        t0, c0 = time.perf_counter(), time.process_time()
        simulate(net)
        print(time.process_time() - c0, time.perf_counter() - t0, flush=True)
    return 0


def _ask(name: str, p: subprocess.Popen[str], expect: str | None = None) -> str:
    """The worker's next line (``expect``, or two numbers: its timings); exits naming the
    policy if the worker ended or printed something else."""
    line = p.stdout.readline().strip()  # type: ignore[union-attr]
    if not line:
        raise SystemExit(f"{name}: the worker ended (exit code {p.wait()})")
    try:
        ok = line == expect if expect is not None else len(list(map(float, line.split()))) == 2
    except ValueError:
        ok = False
    if not ok:
        raise SystemExit(f"{name}: the worker printed {line!r}")
    return line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=7.0, help="horizon in days (default 7)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (default 3)")
    ap.add_argument("--base", type=Path, default=None,
                    help="run the policies on this scenario instead of the baseline (e.g. "
                         "scenarios/peak_season.toml with --days 60)")
    ap.add_argument("--worker", choices=list(SCENARIOS), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.days, args.base)
    names = list(SCENARIOS)
    procs: dict[str, subprocess.Popen[str]] = {}
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    try:
        for name in names:
            cmd = [sys.executable, __file__, "--worker", name, "--days", str(args.days)]
            if args.base is not None:
                cmd += ["--base", str(args.base.resolve())]
            procs[name] = p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                               stdout=subprocess.PIPE, text=True)
            _ask(name, p, expect="ready")
        for r in range(args.repeat):
            for name in (names if r % 2 == 0 else names[::-1]):
                p = procs[name]
                p.stdin.write("run\n")  # type: ignore[union-attr]
                p.stdin.flush()  # type: ignore[union-attr]
                c, w = map(float, _ask(name, p).split())
                cpu[name].append(c)
                times[name].append(w)
                print(f"  run {r + 1} {name:8s} {w:8.3f} s wall {c:8.3f} s CPU", flush=True)
    finally:
        for p in procs.values():  # a worker ends when its input does
            p.stdin.close()  # type: ignore[union-attr]
        for p in procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    print(f"\n{args.days:g} days, {args.repeat} repeats, a process per policy (medians)")
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
