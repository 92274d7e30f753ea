"""Speed and memory benchmark: the full fulfillment model against the idiomatic SimPy reference.

Measures, at each requested order count (default 100,000 and 1,000,000 orders):

* ``full``: ``simulate(build_network(scenario))`` on the bundled baseline scenario (or
  ``--scenario``), scaled to the order count by extending the horizon.  The number of days is
  solved from ``build_network(...).expected_orders()`` so the target holds if the scenario's
  demand changes.
* ``reference``: ``run_reference(net, n_orders)`` from ``benchmarks/reference_simpy.py``.

Every measurement runs in a fresh subprocess (``bench_sim.py --one MODEL N_ORDERS``) so that
peak memory is clean.  In the child, after the imports (including OR-Tools CP-SAT, which the
model's bin packing imports on first use: about 18 MB of library code, a fixed cost that is not
memory per order) and after building the network, the resident set size (``VmRSS``) is
read from ``/proc/self/status`` as the baseline and the peak
RSS counter is reset (``/proc/self/clear_refs``) where the kernel allows it; after the run the
peak (``VmHWM``) is read.  ``peak delta = VmHWM - baseline``.  MB here are MiB (2**20 bytes).

Repetitions alternate the two models, in ABBA order (full, reference, reference, full, ...), so
drift in machine speed hits both equally; the table reports medians and the speed ratio is the
ratio of the medians.  Results also go to ``benchmarks/out/bench-<timestamp>.json``.

Usage::

    python benchmarks/bench_sim.py                 # 100k and 1M orders, 3 repeats
    python benchmarks/bench_sim.py --quick         # smoke test: 20k orders, 1 repeat
    python benchmarks/bench_sim.py --sizes 50000 --repeat 5

The script always exits 0 (it measures, it does not test); each target is printed as PASS or
MISS.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "out"
MODELS = ("full", "reference")
RESULT_PREFIX = "BENCH_RESULT "
"""The child prints its result as one JSON line after this prefix."""

SPEED_RATIO_TARGET = 4.0
"""Target (issue 18; 2x before): full-model orders/s at least this multiple of the
reference's."""
BYTES_PER_ORDER_TARGET = 150.0
"""Target (issue 18; 300 before): full-model peak memory at most this many bytes per
order..."""
MEMORY_TARGET_ORDERS = 1_000_000
"""...at this order count."""

Record = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Child: one measurement
# --------------------------------------------------------------------------------------------
def read_status_kb(*keys: str) -> dict[str, int]:
    """Read fields of ``/proc/self/status`` given in kB (e.g. ``VmRSS``, ``VmHWM``).

    Parameters
    ----------
    *keys : str
        Field names without the colon.

    Returns
    -------
    dict of str to int
        Each requested field in kB.
    """
    out: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            name, _, value = line.partition(":")
            if name in keys:
                out[name] = int(value.split()[0])
    missing = set(keys) - out.keys()
    if missing:
        raise RuntimeError(f"/proc/self/status lacks {sorted(missing)} (Linux only)")
    return out


def reset_peak_rss() -> bool:
    """Reset the peak RSS counter (``VmHWM``) to the current RSS, if the kernel allows it.

    Returns
    -------
    bool
        True if ``VmHWM`` now equals ``VmRSS`` (the reset took effect).
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    st = read_status_kb("VmRSS", "VmHWM")
    return st["VmHWM"] <= st["VmRSS"]


def default_scenario_path() -> Path:
    """The bundled baseline scenario, as the CLI resolves it.

    Returns
    -------
    Path
        Path of ``scenarios/baseline.toml`` inside the installed package.
    """
    from sim.cli import default_scenario

    return default_scenario()


def horizon_days_for(sc: Any, n_orders: int) -> tuple[int, float]:
    """Whole number of days whose expected order count is closest to ``n_orders``.

    Starts from ``n_orders`` divided by the scenario's expected orders per day and steps to the
    nearest whole day, so weekly patterns and seasonal peaks inside the horizon are accounted
    for.

    Parameters
    ----------
    sc : sim.scenario.Scenario
        The loaded scenario.
    n_orders : int
        Target number of orders.

    Returns
    -------
    days : int
        Horizon in days.
    expected : float
        Expected orders over that horizon.
    """
    from sim.network import build_network

    cache: dict[int, float] = {}

    def expected(days: int) -> float:
        if days not in cache:
            cache[days] = build_network(sc.with_overrides(horizon_days=days)).expected_orders()
        return cache[days]

    per_day = build_network(sc).expected_orders() / float(sc.run.horizon_days)
    if per_day <= 0:
        raise ValueError("the scenario expects no orders; cannot scale it to an order count")
    d = max(1, round(n_orders / per_day))
    while expected(d) < n_orders:
        d += 1
    while d > 1 and expected(d - 1) >= n_orders:
        d -= 1
    # d is the first day count reaching the target; take d - 1 if it is closer
    if d > 1 and n_orders - expected(d - 1) < expected(d) - n_orders:
        d -= 1
    return d, expected(d)


def _load_reference() -> Callable[..., dict[str, float]]:
    """Import ``run_reference`` from ``reference_simpy.py`` next to this file."""
    spec = importlib.util.spec_from_file_location("reference_simpy", HERE / "reference_simpy.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {HERE / 'reference_simpy.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run: Callable[..., dict[str, float]] = module.run_reference
    return run


def _warm_cp_sat() -> None:
    """Import OR-Tools CP-SAT and solve one tiny model, as the model's first cartonization
    by CP-SAT would: its library code (about 8 MB of shared, file-backed pages, paged in by
    the first solve) is not per-order memory.  A 1M-order baseline run solves 4 models."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{i}") for i in range(8)]
    m.add(sum(3 * v for v in x) <= 10)
    m.maximize(sum(x))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.solve(m)


def measure_one(model: str, n_orders: int, scenario: Path | None) -> Record:
    """Run one measurement in this process (meant to be a fresh subprocess).

    Parameters
    ----------
    model : {"full", "reference"}
        Which model to run.
    n_orders : int
        Target order count.
    scenario : Path, optional
        Scenario file; the bundled baseline if None.

    Returns
    -------
    dict
        ``orders`` (simulated), ``wall_s`` (of the run call only), ``orders_per_s``,
        ``baseline_kb``, ``hwm_kb``, ``peak_delta_mb``, ``bytes_per_order``, ``hwm_reset``,
        and for the full model the event log's size (``log_nbytes``, ``log_bytes_per_order``,
        ``log_table_bytes``) and the model's own timing of ``env.run`` (``sim_wall_s``).
    """
    from sim.model import simulate
    from sim.network import build_network
    from sim.scenario import load_scenario

    run_reference = _load_reference()
    if model == "full":  # library code the model loads lazily: not per-order memory
        _warm_cp_sat()
    path = scenario if scenario is not None else default_scenario_path()
    sc = load_scenario(path)
    days, expected = horizon_days_for(sc, n_orders)
    net = build_network(sc.with_overrides(horizon_days=days))

    gc.collect()
    baseline_kb = read_status_kb("VmRSS")["VmRSS"]
    hwm_reset = reset_peak_rss()
    rec: Record = {"model": model, "target_orders": n_orders, "scenario": str(path),
                   "horizon_days": days, "expected_orders": expected}
    if model == "full":
        t0 = time.perf_counter()
        log = simulate(net)
        wall = time.perf_counter() - t0
        st = read_status_kb("VmRSS", "VmHWM")  # before anything below allocates
        orders = int(log.meta["orders"])  # type: ignore[call-overload]
        nbytes = log.nbytes()
        table_bytes = {t: log.packed[t].nbytes() if t in log.packed  # as kept
                       else sum(a.nbytes for a in log.stored[t].values()) for t in log.names}
        events_long = sum(a.nbytes for a in log["events"].values())  # built on first use
        rec.update(
            events_long_bytes_per_order=events_long / max(orders, 1),
            log_nbytes=nbytes,
            log_bytes_per_order=nbytes / max(orders, 1),
            log_table_bytes=table_bytes,
            log_rows={t: log.n_rows(t) for t in log.names},
            sim_wall_s=float(log.meta["sim_wall_s"]),  # type: ignore[arg-type]
        )
    elif model == "reference":
        t0 = time.perf_counter()
        stats = run_reference(net, n_orders)
        wall = time.perf_counter() - t0
        st = read_status_kb("VmRSS", "VmHWM")
        orders = n_orders
        rec.update(delivered=int(stats["delivered"]),
                   mean_click_to_deliver_h=float(stats["mean_click_to_deliver_h"]))
    else:
        raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")
    delta_kb = st["VmHWM"] - baseline_kb
    rec.update(
        orders=orders,
        wall_s=wall,
        orders_per_s=orders / wall,
        baseline_kb=baseline_kb,
        hwm_kb=st["VmHWM"],
        rss_after_kb=st["VmRSS"],
        hwm_reset=hwm_reset,
        peak_delta_mb=delta_kb / 1024.0,
        bytes_per_order=delta_kb * 1024.0 / max(orders, 1),
    )
    return rec


# --------------------------------------------------------------------------------------------
# Parent: schedule, summarise, report
# --------------------------------------------------------------------------------------------
def run_child(model: str, n_orders: int, scenario: Path | None) -> Record:
    """Run :func:`measure_one` in a fresh Python process and return its record.

    Parameters
    ----------
    model : {"full", "reference"}
        Which model to run.
    n_orders : int
        Target order count.
    scenario : Path, optional
        Scenario file; the bundled baseline if None.

    Returns
    -------
    dict
        The child's record, or ``{"model", "target_orders", "error"}`` if it failed.
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", model, str(n_orders)]
    if scenario is not None:
        cmd += ["--scenario", str(scenario)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            rec: Record = json.loads(line[len(RESULT_PREFIX):])
            return rec
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"model": model, "target_orders": n_orders,
            "error": f"exit code {proc.returncode}: {tail}"}


def schedule(sizes: Sequence[int], repeat: int) -> list[tuple[str, int, int]]:
    """The order of runs: per size, ``repeat`` pairs of (full, reference) in ABBA order.

    Parameters
    ----------
    sizes : sequence of int
        Order counts.
    repeat : int
        Repetitions per model and size.

    Returns
    -------
    list of (model, size, repetition)
    """
    runs: list[tuple[str, int, int]] = []
    for n in sizes:
        for r in range(repeat):
            pair = MODELS if r % 2 == 0 else MODELS[::-1]
            runs += [(m, n, r) for m in pair]
    return runs


def summarise(records: Sequence[Record], sizes: Sequence[int]) -> list[Record]:
    """Median of each measurement per (model, size), over the successful repetitions.

    Parameters
    ----------
    records : sequence of dict
        Records from :func:`run_child`.
    sizes : sequence of int
        Order counts, in the order to report them.

    Returns
    -------
    list of dict
        One row per (size, model) with ``orders``, ``orders_per_s`` (median, plus ``min`` and
        ``max``), ``peak_delta_mb``, ``bytes_per_order``, ``log_bytes_per_order`` (full model
        only, else None), ``n_ok`` and ``n_failed``.
    """
    rows: list[Record] = []
    for n in sizes:
        for m in MODELS:
            mine = [r for r in records if r["model"] == m and r["target_orders"] == n]
            ok = [r for r in mine if "error" not in r]
            row: Record = {"model": m, "target_orders": n, "n_ok": len(ok),
                           "n_failed": len(mine) - len(ok)}
            if ok:
                speeds = [r["orders_per_s"] for r in ok]
                row.update(
                    orders=int(statistics.median(r["orders"] for r in ok)),
                    horizon_days=ok[0]["horizon_days"],
                    orders_per_s=statistics.median(speeds),
                    orders_per_s_min=min(speeds),
                    orders_per_s_max=max(speeds),
                    peak_delta_mb=statistics.median(r["peak_delta_mb"] for r in ok),
                    bytes_per_order=statistics.median(r["bytes_per_order"] for r in ok),
                    log_bytes_per_order=(statistics.median(r["log_bytes_per_order"] for r in ok)
                                         if m == "full" else None),
                )
            rows.append(row)
    return rows


def speed_ratios(rows: Sequence[Record]) -> dict[int, float | None]:
    """Full / reference ratio of the median orders/s at each size (None if a side failed)."""
    by = {(r["model"], r["target_orders"]): r for r in rows}
    out: dict[int, float | None] = {}
    for n in dict.fromkeys(r["target_orders"] for r in rows):
        full, ref = by[("full", n)].get("orders_per_s"), by[("reference", n)].get("orders_per_s")
        out[n] = full / ref if full and ref else None
    return out


def check_targets(rows: Sequence[Record], ratios: dict[int, float | None]) -> list[Record]:
    """Evaluate the targets: speed ratio at each size, bytes/order of the full model at 1M.

    If 1M orders was not measured, the memory target is evaluated at the largest size measured
    (and says so).

    Parameters
    ----------
    rows : sequence of dict
        From :func:`summarise`.
    ratios : dict of int to float or None
        From :func:`speed_ratios`.

    Returns
    -------
    list of dict
        ``target``, ``value`` (None if not measured) and ``status`` ("PASS", "MISS" or
        "N/A").
    """
    out: list[Record] = []
    for n, ratio in ratios.items():
        out.append({"target": f"full >= {SPEED_RATIO_TARGET:g}x reference orders/s at {n:,} "
                              f"orders",
                    "value": ratio,
                    "shown": "–" if ratio is None else f"{ratio:.2f}x",
                    "status": "N/A" if ratio is None
                    else ("PASS" if ratio >= SPEED_RATIO_TARGET else "MISS")})
    full = {r["target_orders"]: r for r in rows if r["model"] == "full"}
    if full:
        n = MEMORY_TARGET_ORDERS if MEMORY_TARGET_ORDERS in full else max(full)
        bpo = full[n].get("bytes_per_order")
        note = "" if n == MEMORY_TARGET_ORDERS else \
            f" (target is defined at {MEMORY_TARGET_ORDERS:,}; not measured)"
        out.append({"target": f"full peak memory <= {BYTES_PER_ORDER_TARGET:g} bytes/order at "
                              f"{n:,} orders{note}",
                    "value": bpo,
                    "shown": "–" if bpo is None else f"{bpo:.0f} B/order",
                    "status": "N/A" if bpo is None
                    else ("PASS" if bpo <= BYTES_PER_ORDER_TARGET else "MISS")})
    return out


def _fmt(v: float | None, spec: str) -> str:
    return "–" if v is None else format(v, spec)


def format_report(rows: Sequence[Record], ratios: dict[int, float | None],
                  targets: Sequence[Record]) -> str:
    """The markdown report: main table, speed ratios, targets.

    Parameters
    ----------
    rows, ratios, targets
        From :func:`summarise`, :func:`speed_ratios` and :func:`check_targets`.

    Returns
    -------
    str
        Markdown text.
    """
    lines = ["| model | orders | orders/s (median) | peak delta MB | bytes/order "
             "| event-log bytes/order |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        fail = f" ({r['n_failed']} failed)" if r["n_failed"] else ""
        lines.append(
            f"| {r['model']}{fail} | {_fmt(r.get('orders'), ',d')} "
            f"| {_fmt(r.get('orders_per_s'), ',.0f')} | {_fmt(r.get('peak_delta_mb'), ',.1f')} "
            f"| {_fmt(r.get('bytes_per_order'), ',.0f')} "
            f"| {_fmt(r.get('log_bytes_per_order'), ',.0f')} |")
    lines += ["", "Speed ratio full/reference (ratio of median orders/s):", "",
              "| orders | ratio |", "|---:|---:|"]
    lines += [f"| {n:,} | {_fmt(x, '.2f')}{'' if x is None else 'x'} |"
              for n, x in ratios.items()]
    lines += ["", "Targets:", ""]
    lines += [f"- {t['status']}: {t['target']}: {t['shown']}" for t in targets]
    return "\n".join(lines)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` atomically (temporary file, then ``os.replace``).

    Parameters
    ----------
    path : Path
        Destination; its directory is created if needed.
    data : object
        JSON-serialisable data.
    """
    from sim.files import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def source_fingerprint(scenario: Path) -> str:
    """SHA-256 of the code and data measured: the ``sim`` package, the reference and scenario.

    Compared before and after a benchmark to detect sources edited while it ran.

    Parameters
    ----------
    scenario : Path
        The scenario file (its directory's data files are included too).

    Returns
    -------
    str
        Hex digest.
    """
    import sim

    files = sorted(Path(sim.__file__).resolve().parent.rglob("*.py"))
    files += [HERE / "reference_simpy.py", scenario]
    data_dir = scenario.parent / "data"
    if data_dir.is_dir():
        files += sorted(p for p in data_dir.iterdir() if p.suffix == ".csv")
    h = hashlib.sha256()
    for f in files:
        h.update(str(f).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def environment() -> Record:
    """Versions, machine, commit and uncommitted changes, to record with the results."""
    import numpy
    import simpy

    def git(*cmd: str) -> str | None:
        try:
            proc = subprocess.run(["git", *cmd], cwd=HERE, capture_output=True, text=True,
                                  check=False)
        except OSError:
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"python": platform.python_version(), "simpy": simpy.__version__,
            "numpy": numpy.__version__, "platform": platform.platform(),
            "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "git_commit": git("rev-parse", "HEAD"),
            "git_modified": status.splitlines() if status else []}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--sizes", default="100000,1000000",
                   help="comma-separated order counts (default: 100000,1000000)")
    p.add_argument("--repeat", type=int, default=3,
                   help="repetitions per model and size (default: 3)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 20000 orders, 1 repetition")
    p.add_argument("--scenario", type=Path, default=None,
                   help="scenario file (default: the bundled baseline)")
    p.add_argument("--one", nargs=2, metavar=("MODEL", "N_ORDERS"),
                   help="internal: run one measurement in this process and print its record")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = "20000", 1
    try:
        args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        p.error(f"--sizes: expected comma-separated integers, got {args.sizes!r}")
    if not args.size_list or min(args.size_list) <= 0:
        p.error("--sizes: expected positive order counts")
    if args.repeat < 1:
        p.error("--repeat: expected at least 1")
    if args.one and args.one[0] not in MODELS:
        p.error(f"--one: model must be one of {', '.join(MODELS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with ``--one``, a single measurement); always returns 0."""
    args = parse_args(argv)
    scenario = args.scenario.resolve() if args.scenario is not None else None
    if args.one:
        rec = measure_one(args.one[0], int(args.one[1]), scenario)
        print(RESULT_PREFIX + json.dumps(rec), flush=True)
        return 0

    started = datetime.now()
    scenario_path = scenario or default_scenario_path()
    env_start, fp_start = environment(), source_fingerprint(scenario_path)
    plan = schedule(args.size_list, args.repeat)
    records: list[Record] = []
    for i, (model, n, r) in enumerate(plan, 1):
        rec = run_child(model, n, scenario)
        rec["repetition"] = r
        records.append(rec)
        if "error" in rec:
            msg = f"FAILED: {rec['error']}"
        else:
            msg = (f"{rec['orders']:,} orders in {rec['horizon_days']} days, "
                   f"{rec['orders_per_s']:,.0f} orders/s, peak delta "
                   f"{rec['peak_delta_mb']:,.1f} MB ({rec['bytes_per_order']:,.0f} B/order)")
        print(f"[{i}/{len(plan)}] {model} {n:,} rep {r + 1}: {msg}", file=sys.stderr,
              flush=True)

    rows = summarise(records, args.size_list)
    ratios = speed_ratios(rows)
    targets = check_targets(rows, ratios)
    print(format_report(rows, ratios, targets))
    env_end, fp_end = environment(), source_fingerprint(scenario_path)
    if fp_end != fp_start:
        print("\nWARNING: the model, reference or scenario files changed while the benchmark "
              "ran (commit " f"{env_start['git_commit']} -> {env_end['git_commit']}); the runs "
              "may mix code versions.")

    out = OUT_DIR / f"bench-{started:%Y%m%d-%H%M%S}.json"
    write_json_atomic(out, {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "argv": sys.argv[1:], "sizes": args.size_list, "repeat": args.repeat,
        "scenario": str(scenario_path),
        "environment": env_start,
        "environment_at_end": env_end,
        "source_fingerprint": {"start": fp_start, "end": fp_end, "changed": fp_end != fp_start},
        "summary": rows,
        "speed_ratio_full_over_reference": {str(n): x for n, x in ratios.items()},
        "targets": targets,
        "runs": records,
    })
    print(f"\nResults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
