"""Time the inventory-placement optimizer (:mod:`optimize.placement`) at the issue's scales.

Cases (each in its own subprocess, so every peak-memory figure is that case's own):

* 1,000 SKUs x 4 FCs x 100 regions: the decomposition (Lagrangian column generation with a
  GLOP master, SCIP integer master, branch and price) at gap tolerances 1e-4, 1e-6 and 0 (proven
  optimal to 1e-9), with CP-SAT as integer master and PDLP as master LP for comparison, and the
  monolithic MIP with SCIP, HiGHS and CP-SAT under ``--mip-time-limit``.
* 10,000 SKUs x 8 FCs x 300 regions: the decomposition with a 60 s limit, gap tolerances 1e-4
  and 1e-2.
* The same decomposition runs with per-FC throughput rows that bind (``throughput_factor``:
  no FC may ship more than 30 % of the demand at 4 FCs, 15 % at 8, where the cheapest
  placement gives the biggest FC 49 % and 21 %), to time the extra coupling rows.

Instances come from :func:`optimize.placement.synthetic_problem` (seed 0): volume and the
2-day service share both bind.  Prints a markdown table (case, method, objective, bound, gap,
status, solve seconds, instance seconds, peak memory) and writes JSON to
``benchmarks/out/placement-<timestamp>.json`` (not with ``--quick``).  Subprocesses run with
one BLAS thread and single-threaded solvers (one core).

Usage::

    python benchmarks/bench_placement.py              # full run (about 25 min)
    python benchmarks/bench_placement.py --quick      # smoke run for CI, a few seconds
    python benchmarks/bench_placement.py --only 10k --time-limit 60
    python benchmarks/bench_placement.py --only 1k --settings glop+scip "gap_tol 0.0001"

A case that overruns its limit by far (HiGHS does not honour the limit during its root LP)
is killed and listed as ``killed``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.quick:
        small = {"size": [40, 3, 10]}
        mid = {"size": [300, 4, 40]}
        return [
            {**small, "name": "40x3x10", "method": "decomposition", "time_limit": 20},
            {**small, "name": "40x3x10", "method": "mip", "mip_solver": "scip",
             "time_limit": 20},
            {**mid, "name": "300x4x40", "method": "decomposition", "time_limit": 20},
            {**mid, "name": "300x4x40", "method": "decomposition", "time_limit": 20,
             "throughput_factor": 0.3},
        ]
    one_k = {"size": [1000, 4, 100], "name": "1k x 4 x 100"}
    ten_k = {"size": [10000, 8, 300], "name": "10k x 8 x 300"}
    mtl = args.mip_time_limit
    dec = {"method": "decomposition", "time_limit": 60}
    cases = [
        {**one_k, **dec, "gap_tol": 1e-4},
        {**one_k, **dec, "gap_tol": 1e-4, "throughput_factor": 0.3},
        {**one_k, **dec, "gap_tol": 1e-6},
        {**one_k, **dec, "gap_tol": 1e-6, "master_solver": "sat"},
        {**one_k, **dec, "gap_tol": 1e-4, "lp_solver": "pdlp"},
        {**one_k, **dec, "gap_tol": 0.0, "time_limit": args.exact_time_limit},
        {**one_k, "method": "mip", "mip_solver": "scip", "time_limit": mtl},
        {**one_k, "method": "mip", "mip_solver": "highs", "time_limit": mtl},
        {**one_k, "method": "mip", "mip_solver": "sat", "time_limit": mtl},
        {**ten_k, **dec, "time_limit": args.time_limit, "gap_tol": 1e-4},
        {**ten_k, **dec, "time_limit": args.time_limit, "gap_tol": 1e-4,
         "throughput_factor": 0.15},
        {**ten_k, **dec, "time_limit": args.time_limit, "gap_tol": 1e-2},
        {**ten_k, **dec, "time_limit": args.time_limit, "gap_tol": 1e-2,
         "throughput_factor": 0.15},
    ]
    if args.only:
        cases = [c for c in cases if any(o in c["name"].replace(" ", "") for o in args.only)]
    if args.settings:
        cases = [c for c in cases if all(t in _settings(c) for t in args.settings)]
    return cases


def _settings(case: dict[str, Any]) -> str:
    """The settings column of a case (also what ``--settings`` matches)."""
    settings = f"limit {case['time_limit']:g} s"
    if case["method"] == "decomposition":
        settings += (f", {case.get('lp_solver', 'glop')}+"
                     f"{case.get('master_solver', 'scip')}")
    if "gap_tol" in case:
        settings += f", gap_tol {case['gap_tol']:g}"
    if case.get("throughput_factor") is not None:
        settings += f", throughput {case['throughput_factor']:g} x demand per FC"
    return settings


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Build the instance and solve it in this process; returns the figures."""
    from optimize.placement import peak_memory_mb, solve_placement, synthetic_problem

    t0 = time.perf_counter()
    problem = synthetic_problem(*case["size"], seed=case.get("seed", 0),
                                throughput_factor=case.get("throughput_factor"))
    t1 = time.perf_counter()
    res = solve_placement(problem, method=case["method"], time_limit_s=case["time_limit"],
                          gap_tol=case.get("gap_tol", 1e-4),
                          mip_solver=case.get("mip_solver", "scip"),
                          lp_solver=case.get("lp_solver", "glop"),
                          master_solver=case.get("master_solver", "scip"))
    return {"objective": res.objective, "bound": res.bound, "gap": res.gap,
            "status": res.status, "method": res.method, "solve_s": res.solve_seconds,
            "instance_s": t1 - t0, "iterations": res.iterations,
            "service_share": res.service_share, "target": problem.service_share,
            "stocked_pairs": int(res.stocked.sum()), "peak_mb": peak_memory_mb(),
            "max_fc_share": float(res.assigned_units_per_day.sum(axis=1).max()
                                  / max(float(problem.demand.sum()), 1e-12))}


def _spawn(case: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--run-case", json.dumps(case)]
    limit = 3 * float(case["time_limit"]) + 120
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=limit,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"status": f"killed after {limit:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"status": f"error: {tail[0][:120]}"}
    out: dict[str, Any] = json.loads(lines[-1])
    return out


def _fmt(v: Any, spec: str) -> str:
    return "-" if v is None or (isinstance(v, float) and v != v) else format(v, spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small smoke run (a few seconds)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="10k case limit, s")
    ap.add_argument("--mip-time-limit", type=float, default=120.0,
                    help="limit of each monolithic MIP on the 1k instance, s")
    ap.add_argument("--exact-time-limit", type=float, default=600.0,
                    help="limit of the 1k decomposition run with gap_tol 0, s")
    ap.add_argument("--only", nargs="*", default=None, help="e.g. 1k 10k (case name parts)")
    ap.add_argument("--settings", nargs="*", default=None,
                    help='keep cases whose settings contain all of these, e.g. glop+scip '
                         '"gap_tol 0.0001" throughput')
    ap.add_argument("--run-case", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.run_case is not None:
        print(json.dumps(run_case(json.loads(args.run_case))), flush=True)
        return 0

    rows: list[dict[str, Any]] = []
    print("| instance | method | settings | objective | bound | gap | status | solve s "
          "| instance s | peak MB |")
    print("|---|---|---|---:|---:|---:|---|---:|---:|---:|")
    for case in _cases(args):
        res = _spawn(case)
        settings = _settings(case)
        row = {**case, **res}
        rows.append(row)
        print(f"| {case['name']} | {res.get('method', case['method'])} | {settings} "
              f"| {_fmt(res.get('objective'), ',.2f')} | {_fmt(res.get('bound'), ',.2f')} "
              f"| {_fmt(res.get('gap'), '.2e')} | {res['status']} "
              f"| {_fmt(res.get('solve_s'), '.1f')} | {_fmt(res.get('instance_s'), '.1f')} "
              f"| {_fmt(res.get('peak_mb'), ',.0f')} |", flush=True)
    if not args.quick:  # a smoke run leaves nothing behind
        out = ROOT / "benchmarks" / "out"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"placement-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps({"rows": rows, "python": sys.version.split()[0]},
                                   indent=1))
        print(f"wrote {path.relative_to(ROOT)}")
    bad = [r for r in rows if r["status"] not in ("OPTIMAL", "FEASIBLE")]
    return 1 if args.quick and bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
