"""Running a scenario end to end: scenario -> network -> model -> event log -> KPIs."""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim import __version__
from sim.eventlog import EventLog
from sim.kpis import compute_kpis
from sim.model import ProgressFn, simulate
from sim.network import build_network
from sim.results import write_results
from sim.scenario import Scenario


@dataclass
class RunResult:
    """A finished run: its event log, KPIs and manifest (provenance and timings)."""

    log: EventLog
    kpis: dict[str, float]
    manifest: dict[str, Any] = field(default_factory=dict)


def run_scenario(sc: Scenario, *, replication: int = 0,
                 progress: ProgressFn | None = None) -> RunResult:
    """Simulate a loaded scenario once and compute its KPIs."""
    t0 = time.perf_counter()
    net = build_network(sc)
    t1 = time.perf_counter()
    log = simulate(net, replication=replication, progress=progress)
    t2 = time.perf_counter()
    kpis = compute_kpis(log)
    t3 = time.perf_counter()
    log.meta["scenario_sha256"] = sc.digest()
    manifest = {
        "scenario": sc.name,
        "scenario_file": str(sc.source) if sc.source else None,
        "scenario_sha256": log.meta["scenario_sha256"],
        "seed": sc.run.seed,
        "replication": replication,
        "package_version": __version__,
        "python": platform.python_version(),
        "orders": log.n_rows("orders"),
        "events": log.n_rows("events"),
        "timings_s": {"build_network": round(t1 - t0, 3), "simulate": round(t2 - t1, 3),
                      "kpis": round(t3 - t2, 3)},
        "orders_per_s": round(log.n_rows("orders") / max(t2 - t1, 1e-9), 1),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return RunResult(log=log, kpis=kpis, manifest=manifest)


def save_run(result: RunResult, sc: Scenario, out: Path) -> Path:
    """Write a run's results directory atomically."""
    return write_results(out, result.log, result.kpis, sc.model_dump(mode="json"),
                         result.manifest)
