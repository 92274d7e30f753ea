"""What a report is made of, read from results directories, a run store or an experiment run.

A report compares *variants* (the first is the base) over *replications*: each variant has one
row of KPIs per replication and the long series of :mod:`sim.series` per replication.  Three
sources give that shape:

- results directories written by ``fulfill run --out`` (each one variant, one replication; its
  event log is read and its KPIs and series recomputed, so they equal ``kpis.json``);
- a run store written by ``fulfill experiment --store`` (``runs.parquet``,
  ``runs/<run key>.series.parquet``, ``experiment.json``);
- an experiment just run in memory (``fulfill report scenario.toml ...``).

Nothing here draws or formats: :mod:`reports.content` turns a :class:`ReportData` into
sentences and tables, :mod:`reports.html` into the document.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.stats import Interval, t_interval

__all__ = ["ReportData", "ReportError", "VariantData", "from_experiment", "from_results_dirs",
           "from_store", "is_store"]


class ReportError(ValueError):
    """A source that cannot be reported on (a message for the user; the CLI exits 2)."""


@dataclass(frozen=True)
class VariantData:
    """One variant: its KPIs (one row per replication, indexed by replication), its series
    (long, with a ``replication`` column) and what it ran."""

    name: str
    kpis: pd.DataFrame
    series: pd.DataFrame
    scenario: dict[str, Any]
    seed: int | None
    horizon_days: float
    warmup_days: float
    digest: str = ""
    source: str = ""
    swept: dict[str, Any] = field(default_factory=dict)

    @property
    def replications(self) -> int:
        return len(self.kpis)

    @property
    def description(self) -> str:
        return str(self.scenario.get("description") or "")

    @property
    def scenario_name(self) -> str:
        return str(self.scenario.get("name") or self.name)

    def mean(self, kpi: str) -> float:
        if kpi not in self.kpis.columns:
            return math.nan
        x = self.kpis[kpi].to_numpy(float)
        x = x[~np.isnan(x)]
        return float(x.mean()) if len(x) else math.nan

    def interval(self, kpi: str) -> Interval:
        if kpi not in self.kpis.columns:
            return Interval(math.nan, math.nan, 0)
        return t_interval(self.kpis[kpi].to_numpy(float))


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows.  ``kind`` is ``"runs"`` (results directories or scenario
    files) or ``"experiment"`` (a run store)."""

    kind: str
    title: str
    variants: list[VariantData]
    meta: dict[str, Any]  # the base run's metadata: FC, channel, destination names, positions
    objective: str = "total_cost_per_order"
    maximize: bool = False
    constraints: list[str] = field(default_factory=list)
    sweeps: list[str] = field(default_factory=list)  # swept keys, in order
    kpis: list[str] = field(default_factory=list)  # the experiment's own KPI list, if any
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    package_version: str = ""
    code_versions: list[str] = field(default_factory=list)
    tune: dict[str, Any] | None = None
    """A tuning study (``fulfill tune``): its trials, best values, importances and the
    out-of-sample confirmation; the variants are then the confirmation runs."""
    fit: dict[str, Any] | None = None
    """The checks of a demand model fitted to an order history (``<scenario>.fit.json``
    beside the base's scenario file, written by ``fulfill import orders --fit``)."""
    history: dict[str, Any] | None = None
    """The base run against the actual outcomes of its order history
    (:meth:`sim.history.HistoryComparison.to_dict`), when its scenario has
    ``<name>.actuals.parquet`` beside it; results directories only (the comparison needs the
    run's event log)."""

    @property
    def base(self) -> VariantData:
        return self.variants[0]

    @property
    def replications(self) -> int:
        return min(v.replications for v in self.variants)

    def paired(self, kpi: str, variant: VariantData) -> Interval:
        """Paired difference ``variant - base`` over the replications both have."""
        if kpi not in variant.kpis.columns or kpi not in self.base.kpis.columns:
            return Interval(math.nan, math.nan, 0)
        d = (variant.kpis[kpi] - self.base.kpis[kpi]).dropna()
        return t_interval(d.to_numpy(float))

    def series(self, name: str) -> pd.DataFrame:
        """One series of every variant (columns of :func:`sim.series.run_series` plus
        ``variant`` and ``replication``)."""
        parts = [v.series[v.series["series"] == name].assign(variant=v.name)
                 for v in self.variants if not v.series.empty]
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame(columns=["series", "fc", "label", "x", "value", "replication",
                                         "variant"])
        return pd.concat(parts, ignore_index=True)


def fit_beside(scenario_file: str | Path | None) -> dict[str, Any] | None:
    """The fit checks written beside a replay or fitted scenario (``X.toml`` or
    ``X.fitted.toml`` -> ``X.fit.json``), if there are any."""
    if not scenario_file:
        return None
    p = Path(scenario_file)
    stem = p.name.removesuffix(".toml").removesuffix(".fitted")
    f = p.with_name(f"{stem}.fit.json")
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        return None
    return {"file": str(f), "checks": [c for c in data["checks"] if isinstance(c, dict)]}


def history_beside(scenario_file: str | Path | None, log: Any
                   ) -> tuple[dict[str, Any] | None, list[str]]:
    """The run ``log`` against the actual outcomes beside its scenario (``X.toml`` or
    ``X.fitted.toml`` -> ``X.actuals.parquet``), if any, and a warning if they cannot be
    read."""
    from sim.history import HistoryError, actuals_beside, compare_history, read_actuals

    f = actuals_beside(scenario_file)
    if f is None:
        return None, []
    try:
        return compare_history(log, read_actuals(f), f.name).to_dict(), []
    except HistoryError as exc:
        return None, [f"The actual outcomes beside the scenario were not compared: {exc}"]


def _mixed(variants: Sequence[VariantData]) -> list[str]:
    """Warnings for variants run on different horizons, warm-ups or seeds."""
    out = []
    horizons = sorted({(v.horizon_days, v.warmup_days) for v in variants})
    if len(horizons) > 1:
        shown = ", ".join(f"{v.name}: {v.horizon_days:g} days (warm-up {v.warmup_days:g})"
                          for v in variants)
        out.append("The runs cover different horizons or warm-ups, so their KPIs describe "
                   f"different periods and are not comparable as they stand ({shown}).")
    seeds = {v.seed for v in variants}
    if len(seeds) > 1:
        shown = ", ".join(f"{v.name}: seed {v.seed}" for v in variants)
        out.append("The runs used different seeds, so they did not see the same orders: part "
                   f"of every difference is sampling noise ({shown}).")
    return out


def _unique_names(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, n in enumerate(names):
        out.append(n if n not in out else f"{n} ({i + 1})")
    return out


def from_results_dirs(paths: Sequence[Path], title: str | None = None) -> ReportData:
    """Each results directory a variant of one replication (KPIs and series recomputed from
    its event log)."""
    from sim.kpis import compute_kpis
    from sim.results import ResultsError, read_manifest, read_results
    from sim.series import run_series

    loaded = []
    for p in paths:
        try:
            manifest = read_manifest(p)
            log = read_results(p)
            kpis = compute_kpis(log)
            series = run_series(log)
        except ResultsError as exc:
            raise ReportError(str(exc)) from None
        scen: dict[str, Any] = {}
        try:
            scen = json.loads((Path(p) / "scenario.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            scen = {}
        loaded.append((p, manifest, log, kpis, series, scen if isinstance(scen, dict) else {}))
    names = _unique_names([str(m.get("scenario") or Path(p).name)
                           for p, m, *_ in loaded])
    variants = []
    for name, (p, m, log, kpis, series, scen) in zip(names, loaded, strict=True):
        rep = int(m.get("replication") or 0)
        variants.append(VariantData(
            name=name, kpis=pd.DataFrame([kpis], index=pd.Index([rep], name="replication")),
            series=series.assign(replication=rep), scenario=scen,
            seed=m.get("seed"), horizon_days=log.horizon_h / 24.0,
            warmup_days=log.warmup_h / 24.0, digest=str(m.get("scenario_sha256") or ""),
            source=str(p)))
    meta = dict(loaded[0][2].meta)
    versions = sorted({str(m.get("package_version", "")) for _, m, *_ in loaded})
    # results directories hold one replication each: pair them by position
    variants = [_reindex(v, 0) for v in variants]
    scenario_file = loaded[0][1].get("scenario_file")
    history, trouble = history_beside(scenario_file, loaded[0][2])
    return ReportData(kind="runs", title=title or _default_title(variants), variants=variants,
                      meta=meta, warnings=_mixed(variants) + trouble,
                      package_version=versions[-1], code_versions=versions,
                      fit=fit_beside(scenario_file), history=history)


def _reindex(v: VariantData, rep: int) -> VariantData:
    """One-replication variants from separate runs count as replication ``rep`` each."""
    return VariantData(v.name, v.kpis.set_axis(pd.Index([rep], name="replication")),
                       v.series.assign(replication=rep), v.scenario, v.seed, v.horizon_days,
                       v.warmup_days, v.digest, v.source, v.swept)


def _default_title(variants: Sequence[VariantData]) -> str:
    if len(variants) == 1:
        return f"Fulfillment report: {variants[0].name}"
    return f"Fulfillment comparison: {', '.join(v.name for v in variants[:4])}" + (
        f" and {len(variants) - 4} more" if len(variants) > 4 else "")


def is_store(path: Path) -> bool:
    """True for a folder written by ``fulfill experiment --store``."""
    path = Path(path)
    return (path / "experiment.json").is_file() and (path / "runs.parquet").is_file()


def _series_of(store: Path, keys: Sequence[str], reps: Sequence[int]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    parts = []
    for key, rep in zip(keys, reps, strict=True):
        f = store / "runs" / f"{key}.series.parquet"
        if f.is_file():
            parts.append(pq.read_table(f).to_pandas().assign(replication=int(rep)))
    if not parts:
        return pd.DataFrame(columns=["series", "fc", "label", "x", "value", "replication"])
    return pd.concat(parts, ignore_index=True)


def from_store(path: Path, title: str | None = None) -> ReportData:
    """The variants of an experiment store, in the experiment's order."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not is_store(path):
        raise ReportError(f"{path}: not a run store (no experiment.json and runs.parquet); "
                          "give results directories, scenario files or a folder written by "
                          "'fulfill experiment --store'.")
    try:
        design = json.loads((path / "experiment.json").read_text(encoding="utf-8"))
        runs = pq.read_table(path / "runs.parquet").to_pandas()
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: the store cannot be read ({exc}).") from None
    if not isinstance(design, dict) or runs.empty:
        raise ReportError(f"{path}: the store holds no finished runs.")
    spec = design.get("spec") or {}
    listed = design.get("variants") or []
    tune = _tune_of(path)
    if tune is not None:  # the report compares the confirmation runs: start against best
        runs = runs[runs["replication"] >= 10_000]
        if runs.empty:
            raise ReportError(f"{path}: the tuning study has no confirmation runs yet (no "
                              "trial met every constraint, or it was interrupted).")
    order = [v["name"] for v in listed if isinstance(v, dict) and "name" in v]
    order += [n for n in dict.fromkeys(runs["variant"].astype(str)) if n not in order]
    info = {v["name"]: v for v in listed if isinstance(v, dict) and "name" in v}
    kpi_cols = [c for c in runs.columns if c not in _RUN_COLUMNS
                and not c.startswith(("sweep.", "param."))]
    variants = []
    notes = []
    for name in order:
        mine = runs[runs["variant"].astype(str) == name]
        if name in info:  # only runs of the variant as the experiment defines it now
            mine = mine[mine["scenario_digest"] == info[name].get("scenario_digest")]
        if mine.empty:
            notes.append(f"variant '{name}' has no finished run in the store")
            continue
        mine = mine.sort_values("replication").drop_duplicates("replication", keep="last")
        kp = mine.set_index("replication")[kpi_cols].astype(float)
        d = info.get(name, {})
        variants.append(VariantData(
            name=name, kpis=kp, series=_series_of(path, list(mine["run_key"]),
                                                  list(mine["replication"])),
            scenario=d.get("scenario") or {}, seed=_int(mine["seed"].iloc[0]),
            horizon_days=float(d.get("horizon_days") or math.nan),
            warmup_days=float(d.get("warmup_days") or 0.0),
            digest=str(mine["scenario_digest"].iloc[0]), source=str(path),
            swept=dict(d.get("swept") or {})))
    if not variants:
        raise ReportError(f"{path}: the store holds no finished run of its variants.")
    meta = dict((listed[0].get("geo") if listed and isinstance(listed[0], dict) else None)
                or {})
    sweeps = [str(s.get("key")) for s in spec.get("sweeps", []) if isinstance(s, dict)]
    counts = {v.name: v.replications for v in variants}
    if len(set(counts.values())) > 1:
        notes.append("variants have different numbers of finished replications ("
                     + ", ".join(f"{k}: {n}" for k, n in counts.items())
                     + "); paired differences use the replications both have")
    return ReportData(
        kind="experiment", title=title or f"Experiment: {design.get('experiment', path.name)}",
        variants=variants, meta=meta, objective=str(spec.get("objective",
                                                             "total_cost_per_order")),
        maximize=bool(spec.get("maximize", False)),
        constraints=[str(c) for c in spec.get("constraints", [])], sweeps=sweeps,
        kpis=[str(k) for k in spec.get("kpis", [])],
        warnings=_mixed(variants), notes=notes,
        package_version="", code_versions=sorted(set(runs["code_version"].astype(str))),
        fit=fit_beside(listed[0].get("scenario_file") if listed and isinstance(listed[0], dict)
                       else None), tune=tune)


def _tune_of(path: Path) -> dict[str, Any] | None:
    """A tuning study's files in a store (``tune.json``, ``trials.parquet``,
    ``confirmation.parquet``), if it is one."""
    import pyarrow.parquet as pq

    f = path / "tune.json"
    if not f.is_file():
        return None
    try:
        info = json.loads(f.read_text(encoding="utf-8"))
        trials = pq.read_table(path / "trials.parquet").to_pandas()
        conf = (pq.read_table(path / "confirmation.parquet").to_pandas()
                if (path / "confirmation.parquet").is_file() else pd.DataFrame())
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: the tuning study cannot be read ({exc}).") from None
    cal = None
    if (path / "calibration.json").is_file():  # fulfill calibrate: targets, knobs, screening
        try:
            cal = json.loads((path / "calibration.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReportError(f"{path}: the calibration cannot be read ({exc}).") from None
    return {**info, "trials": trials, "confirmation": conf, "calibration": cal}


_RUN_COLUMNS = {"experiment", "variant", "replication", "seed", "scenario_digest",
                "code_version", "policy_digests", "run_key", "wall_s", "simulate_s", "orders"}


def _int(x: Any) -> int | None:
    try:
        return int(x)
    except (TypeError, ValueError):
        return None


def from_experiment(exp: Any, res: Any, title: str | None = None) -> ReportData:
    """An experiment run in memory (:class:`sim.experiments.Experiment` and its result)."""
    runs: pd.DataFrame = res.runs
    series = res.series if res.series is not None else pd.DataFrame(
        columns=["series", "fc", "label", "x", "value", "replication", "variant"])
    kpi_cols = [c for c in runs.columns if c not in _RUN_COLUMNS
                and not c.startswith(("sweep.", "param."))]
    variants = []
    design = exp.design()
    for d in design:
        mine = runs[runs["variant"].astype(str) == d["name"]]
        kp = mine.set_index("replication")[kpi_cols].astype(float).sort_index()
        ser = series[series["variant"] == d["name"]].drop(columns="variant")
        variants.append(VariantData(
            name=d["name"], kpis=kp, series=ser.reset_index(drop=True), scenario=d["scenario"],
            seed=d["seed"], horizon_days=d["horizon_days"], warmup_days=d["warmup_days"],
            digest=d["scenario_digest"], source=str(exp.variants[0].scenario.source or ""),
            swept=d["swept"]))
    meta = dict(design[0].get("geo") or {})
    spec = exp.spec
    return ReportData(
        kind="experiment" if spec.sweeps or len(variants) > 2 else "runs",
        title=title or _default_title(variants), variants=variants, meta=meta,
        objective=spec.objective, maximize=spec.maximize, constraints=list(spec.constraints),
        sweeps=[s.key for s in spec.sweeps], kpis=list(spec.kpis), warnings=_mixed(variants),
        notes=[res.note] if res.note else [], code_versions=[str(runs["code_version"].iloc[0])]
        if len(runs) else [], fit=fit_beside(exp.variants[0].scenario.source))
