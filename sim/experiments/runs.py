"""One run of an experiment: what identifies it, and the function a worker process calls.

A run is identified by its scenario's digest (the resolved scenario and its data tables), the
seed, the replication, the code version (a digest of this package's source files) and the
digests of the user policy files the scenario names: change any of them and the run is new;
change none and a store already holding it skips it (:mod:`sim.experiments.store`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sim.files import atomic_write_bytes
from sim.kpis import compute_kpis
from sim.model import simulate
from sim.network import build_network
from sim.policies import check_policies
from sim.policies.loading import is_class_spec, policy_file
from sim.scenario import Scenario
from sim.series import run_series

ROOT = Path(__file__).resolve().parents[2]


def default_jobs() -> int:
    """Runs at once by default: the CPUs this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


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
class PolicySource:
    """A user policy file a scenario names, by content: the policy field, the scenario file
    naming it, the file's path below that file's folder, its bytes and their SHA-256."""

    field: str
    origin: str
    relative: str
    data: bytes
    sha256: str


def policy_sources(sc: Scenario) -> tuple[PolicySource, ...]:
    """The user policy files of a scenario (checked with :func:`check_policies` first)."""
    out = []
    for field, spec, origin in sc.policy_specs():
        if origin is None or not is_class_spec(spec):
            continue
        path = policy_file(spec, origin.parent)
        data = path.read_bytes()
        out.append(PolicySource(field, str(origin), str(path.relative_to(
            origin.parent.resolve())), data, hashlib.sha256(data).hexdigest()))
    return tuple(out)


def localised(sc: Scenario, sources: tuple[PolicySource, ...]) -> Scenario:
    """``sc`` with its policy files where this machine can load them.

    On the machine that made the task (or one sharing its files) every file is found at its
    own path with the same content, and ``sc`` is returned as it is.  Elsewhere (a Dask worker
    on another machine) each file the task carries is written, once, below a folder of this
    user's in the temporary directory named by the content's digest, and the scenario's policy
    origins point there: the worker runs exactly the code the experiment was started with.
    """
    moved: dict[str, Path] = {}
    for src in sources:
        here = Path(src.origin).parent / src.relative
        try:
            same = hashlib.sha256(here.read_bytes()).hexdigest() == src.sha256
        except OSError:
            same = False
        if same:
            continue
        root = Path(tempfile.gettempdir()) / f"fulfill-policies-{os.getuid()}" / src.sha256[:20]
        target = root / src.relative
        if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != src.sha256:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write_bytes(target, src.data)
        moved[src.field] = root / Path(src.origin).name
    return sc.with_policy_origins(moved) if moved else sc


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run: the scenario travels whole (its data tables
    included) and so do its policy files (by content), so a worker needs no copy of the
    data or policy files."""

    index: int
    variant: str
    replication: int
    scenario: Scenario
    key: str
    keep_log_dir: str | None = None
    policies: tuple[PolicySource, ...] = ()


def run_key(digest: str, seed: int, replication: int, code: str,
            policies: dict[str, str]) -> str:
    text = json.dumps([digest, seed, replication, code, sorted(policies.values())])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def execute(task: RunTask) -> dict[str, Any]:
    """Run one replication and return its KPIs, series (:func:`sim.series.run_series`) and
    timings (called in worker processes)."""
    t0 = time.perf_counter()
    net = build_network(localised(task.scenario, task.policies))
    t1 = time.perf_counter()
    log = simulate(net, replication=task.replication)
    t2 = time.perf_counter()
    kpis = compute_kpis(log)
    out: dict[str, Any] = {"kpis": kpis, "series": run_series(log),
                           "orders": log.n_rows("orders"), "build_s": t1 - t0,
                           "simulate_s": t2 - t1}
    if task.keep_log_dir is not None:
        from sim.results import write_results

        write_results(Path(task.keep_log_dir), log, kpis,
                      task.scenario.model_dump(mode="json"),
                      {"scenario": task.scenario.name, "seed": task.scenario.run.seed,
                       "replication": task.replication, "run_key": task.key})
    out["wall_s"] = time.perf_counter() - t0
    return out
