"""Running an experiment: every (variant, replication) once, in parallel, into a store.

Replication ``r`` of every variant uses the same seed and replication number, so all variants
see the same orders in it (common random numbers).  Runs go to a serial loop, a process pool
(``jobs``) or a Dask cluster (``dask``); whichever, a run's KPIs are the same bit for bit,
because each depends only on its scenario, seed and replication.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.runs import (
    RunTask,
    code_version,
    default_jobs,
    execute,
    policy_digests,
    policy_sources,
    run_key,
)
from sim.experiments.selection import kn_select
from sim.experiments.spec import (
    ExperimentError,
    ExperimentSpec,
    Variant,
    load_experiment,
    parse_constraint,
)
from sim.experiments.stats import Interval, t_interval, verdict
from sim.experiments.store import Store

ProgressFn = Callable[[int, int], None]
"""Called with (runs done, runs planned) after each run."""

DEFAULT_REPS = 5
"""Replications when an experiment names neither replications, precision nor select."""

DEFAULT_KPIS = ("total_cost_per_order", "cost_per_order", "on_time_rate",
                "click_to_deliver_days_mean", "click_to_ship_h_mean", "split_shipment_rate",
                "hold_rate")


def _serial(tasks: Sequence[RunTask]) -> Iterator[tuple[int, dict[str, Any]]]:
    for i, t in enumerate(tasks):
        yield i, execute(t)


def _pool(tasks: Sequence[RunTask], jobs: int) -> Iterator[tuple[int, dict[str, Any]]]:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: dict[Future[dict[str, Any]], int] = {}
        todo = iter(enumerate(tasks))
        try:
            for i, t in todo:  # keep the pool a little ahead, not everything queued at once
                pending[pool.submit(execute, t)] = i
                if len(pending) >= 2 * jobs:
                    break
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    yield pending.pop(f), f.result()
                    nxt = next(todo, None)
                    if nxt is not None:
                        pending[pool.submit(execute, nxt[1])] = nxt[0]
        finally:
            for f in pending:
                f.cancel()


def run_tasks(tasks: Sequence[RunTask], *, jobs: int = 1, dask: str | None = None
              ) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(index, result)`` of each task as it finishes."""
    if dask is not None:
        from sim.experiments.dask_exec import dask_map

        return dask_map(execute, tasks, dask)
    if jobs <= 1 or len(tasks) <= 1:
        return _serial(tasks)
    return _pool(tasks, min(jobs, len(tasks)))


@dataclass
class ExperimentResult:
    """Every run (one row each) and the summary (per variant and KPI)."""

    runs: pd.DataFrame
    summary: pd.DataFrame
    replications: int
    note: str = ""
    series: pd.DataFrame | None = None
    """Without a store: every run's series (:mod:`sim.series`) with ``variant`` and
    ``replication`` columns; with one, they are in ``runs/<run key>.series.parquet``."""


class Experiment:
    """An experiment: variants (the first is the base) run over common replications.

    ``Experiment.from_file(path).run(store="results/exp", jobs=2)`` returns an
    :class:`ExperimentResult`; the store keeps every finished run (see
    :mod:`sim.experiments.store`).
    """

    def __init__(self, spec: ExperimentSpec, variants: list[Variant]) -> None:
        self.spec = spec
        self.variants = variants
        self._code = code_version()
        self._policies = [policy_digests(v.scenario) for v in variants]
        self._sources = [policy_sources(v.scenario) for v in variants]
        self._digests = [v.scenario.digest() for v in variants]

    @classmethod
    def from_file(cls, path: str | Path) -> Experiment:
        spec, variants = load_experiment(path)
        return cls(spec, variants)

    def kpis(self) -> list[str]:
        return list(self.spec.kpis) or [*DEFAULT_KPIS]

    def _tasks(self, reps: Sequence[int], done: set[str], keep_logs: Path | None
               ) -> list[RunTask]:
        tasks: list[RunTask] = []
        for vi, v in enumerate(self.variants):
            for r in reps:
                key = run_key(self._digests[vi], v.scenario.run.seed, r, self._code,
                              self._policies[vi])
                if key in done:
                    continue
                keep = None if keep_logs is None else str(keep_logs / "runs" / key)
                tasks.append(RunTask(len(tasks), v.name, r, v.scenario, key, keep,
                                     self._sources[vi]))
        return tasks

    def _row(self, task: RunTask, res: dict[str, Any], vi: int) -> dict[str, Any]:
        v = self.variants[vi]
        row: dict[str, Any] = {
            "experiment": self.spec.name, "variant": v.name,
            **{f"sweep.{k}": str(val) for k, val in v.swept.items()},
            "replication": task.replication, "seed": v.scenario.run.seed,
            "scenario_digest": self._digests[vi], "code_version": self._code,
            "policy_digests": str(sorted(self._policies[vi].items())),
            "run_key": task.key, "wall_s": res["wall_s"], "simulate_s": res["simulate_s"],
            "orders": res["orders"]}
        row.update({k: float(x) for k, x in res["kpis"].items()})
        return row

    def run(self, store: str | Path | None = None, *, jobs: int = 1, dask: str | None = None,
            keep_logs: bool = False, force: bool = False,
            progress: ProgressFn | None = None) -> ExperimentResult:
        """Run what is missing and summarise.  Without ``store`` nothing is kept on disk."""
        if jobs < 1:
            raise ExperimentError(f"jobs must be at least 1, got {jobs}")
        if dask is not None:
            from sim.experiments.dask_exec import parse_dask_address

            dask = parse_dask_address(dask)  # a malformed address fails before any run
        if store is None:
            return self._run(None, jobs, dask, progress)
        with Store(store, self.spec.name, force=force) as st:
            st.write_design(self.spec.model_dump(mode="json"), self.design())
            return self._run(st, jobs, dask, progress, keep_logs)

    def design(self) -> list[dict[str, Any]]:
        """Each variant: name, swept values, scenario digest, seed, horizon, warm-up and the
        resolved scenario (as JSON); the first (the base) also its network's names and
        positions (``geo``: FCs, destinations, channels, services) for maps and charts."""
        from sim.network import build_network

        net = build_network(self.variants[0].scenario)
        geo = {"fc_names": list(net.fc_names), "fc_lat": net.fc_lat.tolist(),
               "fc_lon": net.fc_lon.tolist(), "dest_names": list(net.dest_names),
               "dest_lat": net.dest_lat.tolist(), "dest_lon": net.dest_lon.tolist(),
               "channel_names": list(net.channel_names),
               "service_names": list(net.service_names)}
        out = self._design()
        out[0]["geo"] = geo
        return out

    def _design(self) -> list[dict[str, Any]]:
        return [{"name": v.name, "swept": {k: val for k, val in v.swept.items()},
                 "scenario_digest": self._digests[i], "seed": v.scenario.run.seed,
                 "horizon_days": v.scenario.run.horizon_days,
                 "warmup_days": v.scenario.run.warmup_days,
                 "scenario_name": v.scenario.name,
                 "scenario_file": str(v.scenario.source) if v.scenario.source else None,
                 "scenario": v.scenario.model_dump(mode="json")}
                for i, v in enumerate(self.variants)]

    def _run(self, st: Store | None, jobs: int, dask: str | None,
             progress: ProgressFn | None, keep_logs: bool = False) -> ExperimentResult:
        rows: list[dict[str, Any]] = []
        self._series: list[pd.DataFrame] = []
        index = {v.name: i for i, v in enumerate(self.variants)}
        if self.spec.select is not None:
            return self._select(st, jobs, dask, progress, keep_logs)
        prec = self.spec.precision
        n = prec.first_replications if prec else (self.spec.replications or DEFAULT_REPS)
        note = ""
        planned, finished = 0, 0
        have = 0
        while True:
            tasks = self._tasks(range(have, n), st.done() if st else set(),
                                st.path if (st and keep_logs) else None)
            planned += len(tasks)
            for i, res in run_tasks(tasks, jobs=jobs, dask=dask):
                t = tasks[i]
                row = self._row(t, res, index[t.variant])
                if st is not None:
                    st.add(row, res["kpis"], res.get("series"))
                else:
                    rows.append(row)
                    self._keep_series(t, res)
                finished += 1
                if progress:
                    progress(finished, planned)
            have = n
            runs = self._frame(st.rows if st else rows, n)
            if prec is None:
                break
            width = self._worst_width(runs, prec.kpi, prec.relative)
            if width <= prec.half_width:
                note = (f"precision reached: the widest paired interval of {prec.kpi} is "
                        f"{width:.4g} after {n} replications")
                break
            if n >= prec.max_replications:
                note = (f"precision NOT reached: the widest paired interval of {prec.kpi} is "
                        f"{width:.4g} (target {prec.half_width:g}) after the maximum of "
                        f"{n} replications")
                break
            n = min(prec.max_replications, 2 * n)
        summary = self.summary(runs)
        if st is not None:
            st.write_summary(summary)
        return ExperimentResult(runs, summary, n, note, self._series_frame(st))

    def _keep_series(self, task: RunTask, res: dict[str, Any]) -> None:
        series = res.get("series")
        if series is not None:
            self._series.append(series.assign(variant=task.variant,
                                              replication=task.replication))

    def _series_frame(self, st: Store | None) -> pd.DataFrame | None:
        if st is not None or not self._series:
            return None
        return pd.concat(self._series, ignore_index=True)

    def _select(self, st: Store | None, jobs: int, dask: str | None,
                progress: ProgressFn | None, keep_logs: bool) -> ExperimentResult:
        """Replication after replication of every variant until the KN procedure has
        eliminated all but one on the objective."""
        rule = self.spec.select
        assert rule is not None
        self._series = []
        kpi = self.spec.objective
        rows: list[dict[str, Any]] = []
        index = {v.name: i for i, v in enumerate(self.variants)}
        done = [0]

        def sample(r: int) -> list[float]:
            tasks = self._tasks([r], st.done() if st else set(),
                                st.path if (st and keep_logs) else None)
            for i, res in run_tasks(tasks, jobs=jobs, dask=dask):
                row = self._row(tasks[i], res, index[tasks[i].variant])
                if st is not None:
                    st.add(row, res["kpis"], res.get("series"))
                else:
                    rows.append(row)
                    self._keep_series(tasks[i], res)
                done[0] += 1
                if progress:
                    progress(done[0], done[0] + len(tasks) - 1 - i)
            runs = self._frame(st.rows if st else rows, r + 1)
            this = runs[runs["replication"] == r].set_index("variant", drop=False)
            if kpi not in this.columns:
                raise ExperimentError(f"objective '{kpi}' is not a KPI of these runs")
            return [float(this.loc[v.name, kpi]) for v in self.variants]

        sel = kn_select(sample, len(self.variants), delta=rule.delta, alpha=rule.alpha,
                        n0=rule.first_replications, max_replications=rule.max_replications,
                        minimize=not self.spec.maximize)
        n = max(sel.replications)
        runs = self._frame(st.rows if st else rows, n)
        summary = self.summary(runs)
        if st is not None:
            st.write_summary(summary)
        note = sel.describe([v.name for v in self.variants]) + (
            f" (indifference zone {rule.delta:g} on {kpi}; {sel.total_replications} runs)")
        return ExperimentResult(runs, summary, n, note, self._series_frame(st))

    def _frame(self, rows: list[dict[str, Any]], n: int) -> pd.DataFrame:
        """This experiment's runs (variants by name, replications below ``n``), in order."""
        df = pd.DataFrame(rows)
        if df.empty:
            return df
        mine = [v.name for v in self.variants]
        keys = {run_key(self._digests[i], v.scenario.run.seed, r, self._code,
                        self._policies[i]) for i, v in enumerate(self.variants)
                for r in range(n)}
        df = df[df["run_key"].isin(keys)].copy()
        df["variant"] = pd.Categorical(df["variant"], categories=mine, ordered=True)
        return df.sort_values(["variant", "replication"]).reset_index(drop=True)

    def _paired(self, runs: pd.DataFrame, kpi: str, variant: str) -> Interval:
        base = runs[runs["variant"] == self.variants[0].name].set_index("replication")
        other = runs[runs["variant"] == variant].set_index("replication")
        if kpi not in runs.columns:
            return Interval(math.nan, math.nan, 0)
        d = (other[kpi] - base[kpi]).dropna()
        return t_interval(d.to_numpy(float))

    def _worst_width(self, runs: pd.DataFrame, kpi: str, relative: bool) -> float:
        if kpi not in runs.columns:
            raise ExperimentError(f"precision.kpi '{kpi}' is not a KPI of these runs")
        base_mean = float(runs.loc[runs["variant"] == self.variants[0].name, kpi].mean())
        widths = []
        for v in self.variants[1:] or self.variants[:1]:
            iv = self._paired(runs, kpi, v.name) if len(self.variants) > 1 else \
                t_interval(runs.loc[runs["variant"] == v.name, kpi].to_numpy(float))
            w = iv.half_width / abs(base_mean) if relative and base_mean else iv.half_width
            widths.append(w)
        return max(widths) if widths else math.inf

    def summary(self, runs: pd.DataFrame) -> pd.DataFrame:
        """Per variant and KPI: mean and interval, and the paired difference against the base
        with its interval and verdict."""
        out = []
        for v in self.variants:
            mine = runs[runs["variant"] == v.name]
            for kpi in self.kpis():
                if kpi not in runs.columns:
                    continue
                iv = t_interval(mine[kpi].to_numpy(float))
                d = self._paired(runs, kpi, v.name) if v is not self.variants[0] else None
                out.append({
                    "variant": v.name, "kpi": kpi, "n": iv.n, "mean": iv.mean,
                    "half_width": iv.half_width,
                    "diff": d.mean if d else math.nan,
                    "diff_half_width": d.half_width if d else math.nan,
                    "verdict": verdict(kpi, d) if d else "base"})
        return pd.DataFrame(out)

    def best(self, runs: pd.DataFrame) -> tuple[str | None, str]:
        """The best variant by the objective among those meeting every constraint (means),
        and a sentence saying how sure that is (the paired interval against the runner-up)."""
        kpi = self.spec.objective
        if kpi not in runs.columns:
            return None, f"objective '{kpi}' is not a KPI of these runs"
        cons = [parse_constraint(c) for c in self.spec.constraints]
        means = runs.groupby("variant", observed=True).mean(numeric_only=True)
        ok = [v.name for v in self.variants
              if all(c.kpi in means.columns and c.holds(float(means.loc[v.name, c.kpi]))
                     for c in cons)]
        if not ok:
            return None, "no variant meets every constraint"
        sign = -1.0 if self.spec.maximize else 1.0
        ranked = sorted(ok, key=lambda name: sign * float(means.loc[name, kpi]))
        best = ranked[0]
        if len(ranked) == 1:
            return best, f"{best} is the only variant meeting every constraint"
        second = ranked[1]
        a = runs[runs["variant"] == best].set_index("replication")[kpi]
        b = runs[runs["variant"] == second].set_index("replication")[kpi]
        d = t_interval((a - b).dropna().to_numpy(float))
        if d.n < 2 or d.contains_zero():
            return best, (f"{best} has the best mean {kpi}, but its paired interval against "
                          f"the runner-up {second} ({d.mean:+.4g} ± {d.half_width:.3g}) holds "
                          "zero: no detectable difference between them")
        return best, (f"{best} is best on {kpi}: {d.mean:+.4g} ± {d.half_width:.3g} against "
                      f"the runner-up {second} (95 % paired interval over {d.n} replications)")


__all__ = ["Experiment", "ExperimentResult", "default_jobs", "run_tasks"]
