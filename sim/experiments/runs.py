"""One run of an experiment: what identifies it, and the function a worker process calls.

A run is identified by its scenario's digest (the resolved scenario and its data tables), the
seed, the replication, the code version (a digest of this package's source files) and the
digests of the user policy files the scenario names: change any of them and the run is new;
change none and a store already holding it skips it (:mod:`sim.experiments.store`).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sim.kpis import compute_kpis
from sim.model import simulate
from sim.network import build_network
from sim.policies import check_policies
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]


@cache
def code_version() -> str:
    """SHA-256 (16 hex digits) of every ``.py`` file of ``sim/`` and ``optimize/``."""
    h = hashlib.sha256()
    for pkg in ("sim", "optimize"):
        for p in sorted((ROOT / pkg).rglob("*.py")):
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def policy_digests(sc: Scenario) -> dict[str, str]:
    """The user policy files a scenario names (imported and checked), by path: their
    SHA-256 (16 hex digits)."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()[:16]
            for p in check_policies(sc)}


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run: the scenario travels whole (its data tables
    included), so a worker needs no copy of the data files."""

    index: int
    variant: str
    replication: int
    scenario: Scenario
    key: str
    keep_log_dir: str | None = None


def run_key(digest: str, seed: int, replication: int, code: str,
            policies: dict[str, str]) -> str:
    text = json.dumps([digest, seed, replication, code, sorted(policies.values())])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def execute(task: RunTask) -> dict[str, Any]:
    """Run one replication and return its KPIs and timings (called in worker processes)."""
    t0 = time.perf_counter()
    net = build_network(task.scenario)
    t1 = time.perf_counter()
    log = simulate(net, replication=task.replication)
    t2 = time.perf_counter()
    kpis = compute_kpis(log)
    out: dict[str, Any] = {"kpis": kpis, "orders": log.n_rows("orders"),
                           "build_s": t1 - t0, "simulate_s": t2 - t1}
    if task.keep_log_dir is not None:
        from sim.results import write_results

        write_results(Path(task.keep_log_dir), log, kpis,
                      task.scenario.model_dump(mode="json"),
                      {"scenario": task.scenario.name, "seed": task.scenario.run.seed,
                       "replication": task.replication, "run_key": task.key})
    out["wall_s"] = time.perf_counter() - t0
    return out
