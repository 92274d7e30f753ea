"""Reproduce OR-Library warehouse-location optima with :func:`optimize.facility`.

Solves every capacitated instance cap41 ... cap134 (split demand, as in ``capopt.txt``) and the
uncapacitated set cap71-74, 101-104, 131-134 (``uncapopt.txt``); with ``--large`` also capa,
capb, capc: uncapacitated, and capacitated at each of OR-Library's four capacity values.
Prints a markdown table (instance, kind, m x n, objective, published optimum, relative error,
bound, gap, solve seconds) and writes JSON to ``benchmarks/out/orlib-<timestamp>.json``.

Usage::

    python benchmarks/bench_orlib.py                       # cap41-cap134, both kinds
    python benchmarks/bench_orlib.py --large --time-limit 120
    python benchmarks/bench_orlib.py --large --large-capacitated --only capa capb capc \\
        --kind CFLP --time-limit 300          # the 12 capacitated 100 x 1,000 instances
    python benchmarks/bench_orlib.py --large --large-capacitated --only capa \\
        --kind CFLP --time-limit 300 --method mip   # the same on the whole-model SCIP path
    python benchmarks/bench_orlib.py --data /path/to/orlib --backend HIGHS

``--method`` is passed to :func:`optimize.facility.solve_facility_location`: ``auto`` (default)
uses the Lagrangian method (:mod:`optimize.cflp`) for capacitated instances of at least
``LAGRANGIAN_MIN_SIZE`` variables (capa/capb/capc) and the whole MIP below; ``mip`` and
``lagrangian`` force one.  ``solve s`` is the whole solve (for the Lagrangian method its
Lagrangian phase included), model building excluded.

Exit code is 0 even if an instance misses its optimum: the table is the result (a miss shows as
a relative error above ``--tol`` and is listed at the end).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimize.facility import solve_facility_location  # noqa: E402
from optimize.orlib import ORLIB_CAPACITIES, read_optima, read_orlib  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "orlib"
CAPACITATED = [f"cap{g}{k}" for g in range(4, 14) for k in range(1, 5)]
UNCAPACITATED = [f"cap{g}{k}" for g in (7, 10, 13) for k in range(1, 5)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--time-limit", type=float, default=None, help="seconds per instance")
    ap.add_argument("--large", action="store_true", help="also capa/capb/capc")
    ap.add_argument("--large-capacitated", action="store_true",
                    help="with --large, also the 12 capacitated capa/b/c runs")
    ap.add_argument("--backend", default="SCIP")
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--only", nargs="*", default=None, help="restrict to these names")
    ap.add_argument("--kind", choices=["both", "CFLP", "UFLP"], default="both")
    ap.add_argument("--method", choices=["auto", "mip", "lagrangian"], default="auto",
                    help="solve_facility_location's method (lagrangian: CFLP only)")
    args = ap.parse_args(argv)

    cap_opt = read_optima(args.data / "capopt.txt")
    uncap_opt = read_optima(args.data / "uncapopt.txt")
    jobs: list[tuple[str, bool, float | None, float]] = []
    for name in CAPACITATED:
        if (args.data / "cap" / f"{name}.txt").exists():
            jobs.append((name, True, None, cap_opt.values[name]))
    for name in UNCAPACITATED:
        jobs.append((name, False, None, uncap_opt.values[name]))
    if args.large:
        for name, caps in ORLIB_CAPACITIES.items():
            jobs.append((name, False, caps[0], uncap_opt.values[name]))
        if args.large_capacitated:
            for name, caps in ORLIB_CAPACITIES.items():
                for c in caps:
                    jobs.append((name, True, c, cap_opt.by_capacity[(name, c)]))
    if args.only:
        jobs = [j for j in jobs if j[0] in args.only]
    if args.kind != "both":
        jobs = [j for j in jobs if j[1] == (args.kind == "CFLP")]

    rows: list[dict[str, Any]] = []
    print("| instance | kind | m x n | method | objective | published | rel. error | bound | gap "
          "| solve s |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for name, capacitated, cap, ref in jobs:
        # Capacity is irrelevant to the uncapacitated problem but must be substituted to parse.
        problem = read_orlib(args.data / "cap" / f"{name}.txt", capacity=cap)
        method = args.method if capacitated else "mip" if args.method == "lagrangian" \
            else args.method
        res = solve_facility_location(problem, capacitated=capacitated,
                                      time_limit_s=args.time_limit, backend=args.backend,
                                      method=method)
        rel = abs(res.objective - ref) / abs(ref)
        label = name if cap is None or not capacitated else f"{name} ({cap:g})"
        kind = "CFLP" if capacitated else "UFLP"
        rows.append({
            "instance": label, "kind": kind, "m": problem.m, "n": problem.n,
            "objective": res.objective, "published": ref, "rel_error": rel,
            "bound": res.bound, "gap": res.gap, "solve_s": res.solve_seconds,
            "build_s": res.build_seconds, "status": res.status,
            "open": int(res.open_facilities.sum()), "method": res.backend,
        })
        print(f"| {label} | {kind} | {problem.m} x {problem.n} | {res.backend} "
              f"| {res.objective:,.3f} "
              f"| {ref:,.3f} | {rel:.1e} | {res.bound:,.3f} | {res.gap:.1e} "
              f"| {res.solve_seconds:.2f} |", flush=True)

    misses = [r["instance"] + " " + r["kind"] for r in rows
              if not (r["rel_error"] <= args.tol) or r["status"] != "OPTIMAL"]
    total = sum(r["solve_s"] for r in rows)
    slowest = max((r["solve_s"] for r in rows), default=0.0)
    print(f"\n{len(rows)} runs, total solve {total:.1f} s (slowest {slowest:.1f} s), backend "
          f"{args.backend}, method {args.method}; "
          f"misses (rel. error > {args.tol:g} or not proven optimal): {misses or 'none'}")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"orlib-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"backend": args.backend, "method": args.method,
                                "time_limit_s": args.time_limit,
                                "rows": rows}, indent=1))
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
