"""Calibration: fit scenario knobs so that simulated KPIs match a client's actual figures.

``fulfill calibrate SCENARIO --target KPI=VALUE[:WEIGHT] ... --knob KEY=LOW:HIGH ...`` is a
tuning study (:class:`sim.experiments.tune.Tuner`: Optuna TPE or CMA-ES, every candidate
scored on the same replications, common random numbers, paired-test pruning, resumable
store, out-of-sample confirmation) whose objective is the calibration loss

    loss = sum_i w_i |KPI_i - target_i| / |target_i|  /  sum_i w_i

computed per replication (the absolute error where a target is 0) and averaged over the
replications.  A knob key may hold ``*`` for one path segment (``fcs.*.pick_time.
per_order_min``): one value for every matching key, e.g. the same pick time at every FC.

Before the search, each knob is run at its low and its high end (replication 0, the others
at their starting values).  A target whose KPI is bit-for-bit the same in all these runs is
moved by no knob (common random numbers make an unaffected KPI exactly equal), and the
calibration stops there naming it.  After the search the best values are re-run on fresh
replications; a target outside the achieved 95 % interval is reported as not reached, with
the knobs that ended at an end of their range.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.spec import ExperimentError, _dotted_keys, with_values
from sim.experiments.stats import t_interval
from sim.experiments.store import Store
from sim.experiments.tune import (
    Param,
    Tuner,
    TuneResult,
    _known_kpi,
    _kpi_names,
    _number,
    nested,
)
from sim.scenario import Scenario

__all__ = ["LOSS", "Calibrator", "Target", "parse_target", "rate_like", "write_calibrated"]

LOSS = "calibration_loss"
"""The objective's name in the study's tables."""

_RATE_WORDS = ("_rate", "_share", "utilization")


@dataclass(frozen=True)
class Target:
    kpi: str
    value: float
    weight: float = 1.0

    def error(self, x: float) -> float:
        """The weighted relative error of ``x`` (absolute where the target is 0)."""
        scale = abs(self.value) if self.value != 0 else 1.0
        return self.weight * abs(x - self.value) / scale


def rate_like(kpi: str) -> bool:
    """KPIs that are shares or rates: their values lie in [0, 1]."""
    base = kpi.split(".", 1)[0]
    return any(w in base for w in _RATE_WORDS)


def parse_target(text: str) -> Target:
    """``KPI=VALUE`` or ``KPI=VALUE:WEIGHT``; the KPI must exist and VALUE be one it can
    take (a rate or share in [0, 1], anything else at least 0)."""
    kpi, eq, spec = text.partition("=")
    kpi, spec = kpi.strip(), spec.strip()
    where = f"--target {text!r}"
    if not eq or not kpi or not spec:
        raise ExperimentError(f"{where}: expected KPI=VALUE or KPI=VALUE:WEIGHT")
    if not _known_kpi(kpi):
        close = difflib.get_close_matches(kpi, sorted(_kpi_names()), n=3)
        raise ExperimentError(f"{where}: {kpi!r} is not a KPI"
                              + (f"; did you mean {', '.join(close)}?" if close else
                                 "; see the KPI table in the README"))
    value_s, _, weight_s = spec.partition(":")
    value = _number(value_s, f"{where}: VALUE")
    weight = _number(weight_s or "1", f"{where}: WEIGHT")
    if weight <= 0:
        raise ExperimentError(f"{where}: WEIGHT must be above 0 (got {weight:g})")
    if rate_like(kpi) and not 0 <= value <= 1:
        raise ExperimentError(f"{where}: {kpi} is a rate or share between 0 and 1; "
                              f"{value:g} is outside it (write 95 % as 0.95)")
    if value < 0:
        raise ExperimentError(f"{where}: {kpi} cannot be negative (got {value:g})")
    return Target(kpi, value, weight)


def expand_knob(key: str, known: Sequence[str]) -> list[str]:
    """The scenario keys a knob sets: itself, or every key matching its ``*`` segments."""
    if "*" not in key:
        return [key]
    depth = key.count(".")
    return [k for k in known if k.count(".") == depth and fnmatch.fnmatchcase(k, key)]


def _patterned(key: str, known: Sequence[str]) -> list[str]:
    """The known keys with ``*`` where ``key`` has it (the names a ``*`` knob could mean)."""
    stars = [i for i, part in enumerate(key.split(".")) if part == "*"]
    out = []
    for k in known:
        parts = k.split(".")
        if len(parts) == key.count(".") + 1:
            for i in stars:
                parts[i] = "*"
            out.append(".".join(parts))
    return sorted(set(out))


class Calibrator(Tuner):
    """A tuning study whose objective is the calibration loss over ``targets``."""

    def __init__(self, base: Scenario, knobs: Sequence[Param], targets: Sequence[Target], *,
                 trials: int = 30, reps: int = 3, sampler: str = "tpe",
                 confirm_reps: int | None = None, name: str = "calibrate") -> None:
        if not targets:
            raise ExperimentError("give at least one --target KPI=VALUE")
        if len({t.kpi for t in targets}) < len(targets):
            raise ExperimentError("--target: the same KPI twice")
        if not knobs:
            raise ExperimentError("give at least one --knob KEY=LOW:HIGH")
        for k in knobs:
            if k.kind == "choice":
                raise ExperimentError(f"--knob {k.key!r}: give a range LOW:HIGH, not choices")
        data = base.model_dump()
        known = sorted(_dotted_keys(data))
        self.expanded: dict[str, list[str]] = {}
        concrete: list[Param] = []
        for k in knobs:
            keys = expand_knob(k.key, known)
            if not keys:
                close = difflib.get_close_matches(k.key, _patterned(k.key, known), n=3,
                                                  cutoff=0.5)
                raise ExperimentError(f"--knob: {k.key!r} matches no key of the scenario"
                                      + (f"; nearest: {', '.join(close)}" if close else ""))
            self.expanded[k.key] = keys
            concrete.append(Param(keys[0], k.kind, k.low, k.high))
        # the Tuner checks the first key of each knob (numeric, present) and records its
        # starting value; the objective is replaced below
        super().__init__(base, concrete, objective=targets[0].kpi, trials=trials, reps=reps,
                         sampler=sampler, confirm_reps=confirm_reps, name=name)
        for k, c in zip(knobs, concrete, strict=True):
            for key in self.expanded[k.key]:
                node: Any = data
                for part in key.split("."):
                    node = node[part]
                if isinstance(node, bool) or not isinstance(node, int | float):
                    raise ExperimentError(f"--knob: {key!r} is {node!r}, not a number")
            self.start[k.key] = self.start.pop(c.key)
        self.knobs = list(knobs)
        self.params = list(knobs)  # trials suggest values under the knobs' own names
        self.targets = list(targets)
        self.objective = LOSS
        self.screen: pd.DataFrame = pd.DataFrame()

    # -- identity and values --------------------------------------------------------------------
    def space(self) -> dict[str, Any]:
        return {**super().space(), "objective": LOSS,
                "targets": [f"{t.kpi}={t.value:g}:{t.weight:g}" for t in self.targets]}

    def _scenario(self, values: Mapping[str, Any]) -> Scenario:
        return with_values(self.base, self.concrete(values), "--knob")

    def concrete(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Knob values as scenario keys (a ``*`` knob sets every key it matches)."""
        return {key: v for k, v in values.items() for key in self.expanded.get(k, [k])}

    def loss(self, kpis: Mapping[str, float]) -> float:
        total = sum(t.weight for t in self.targets)
        return sum(t.error(float(kpis.get(t.kpi, math.nan))) for t in self.targets) / total

    def _value(self, kpis: Mapping[int, Mapping[str, float]], kpi: str) -> list[float]:
        if kpi != LOSS:
            return super()._value(kpis, kpi)
        return [self.loss(kpis[r]) for r in sorted(kpis)]

    # -- before the search --------------------------------------------------------------------
    def screen_knobs(self, st: Store, jobs: int = 1, dask: str | None = None) -> pd.DataFrame:
        """Each knob at its low and high end (replication 0); raises when a target's KPI is
        the same in every run (no knob moves it)."""
        rows = []
        base = self._score(st, "screen: start", self.base, [0], jobs, dask, self.start)[0]
        rows.append({"run": "start", **{t.kpi: base.get(t.kpi, math.nan)
                                        for t in self.targets}})
        for k in self.knobs:
            for end, v in (("low", k.low), ("high", k.high)):
                value = int(v) if k.kind == "int" else v
                values = {**self.start, k.key: value}
                try:
                    sc = self._scenario(values)
                except ExperimentError as exc:
                    raise ExperimentError(f"--knob {k.key}: the scenario refuses its {end} "
                                          f"end {value:g}: {exc}") from None
                got = self._score(st, f"screen: {k.key}={value:g}", sc, [0], jobs, dask,
                                  values)[0]
                rows.append({"run": f"{k.key}={value:g}",
                             **{t.kpi: got.get(t.kpi, math.nan) for t in self.targets}})
        frame = pd.DataFrame(rows)
        stuck = []
        for t in self.targets:
            col = frame[t.kpi].to_numpy(float)
            if all(math.isnan(x) for x in col):
                raise ExperimentError(f"--target {t.kpi}: the KPI is not defined in these runs "
                                      "(NaN); lengthen --days")
            if all(x == col[0] or (math.isnan(x) and math.isnan(col[0])) for x in col):
                stuck.append(f"{t.kpi} (it was {col[0]:.6g} in every run)")
        if stuck:
            raise ExperimentError(
                "no knob moves " + "; ".join(stuck) + ": each knob was run at its low and "
                "high end with the same random numbers and the KPI did not change. Add a knob "
                "that affects it, or drop the target (knobs: "
                + ", ".join(k.key for k in self.knobs) + ")")
        self.screen = frame
        return frame

    def screening_warnings(self) -> list[str]:
        """Targets outside every value the screening runs reached (a hint, not a proof)."""
        out = []
        for t in self.targets:
            col = self.screen[t.kpi].dropna()
            if col.empty:
                continue
            lo, hi = float(col.min()), float(col.max())
            if not lo <= t.value <= hi:
                out.append(f"{t.kpi} target {t.value:.4g} lies outside {lo:.4g}-{hi:.4g}, "
                           "the values reached with each knob at an end of its range; it may "
                           "be unreachable within these ranges")
        return out

    def run(self, store: str | Path, *, jobs: int = 1, dask: str | None = None,
            force: bool = False, progress: Callable[[str], None] | None = None) -> TuneResult:
        say = progress or (lambda s: None)
        with Store(Path(store), f"tune:{self.name}", force=force) as st:
            self._check_space(Path(store), force)
            say(f"screening {len(self.knobs)} knob(s) at both ends of their ranges "
                f"({1 + 2 * len(self.knobs)} runs)")
            self.screen_knobs(st, jobs, dask)
        for w in self.screening_warnings():
            say(f"warning: {w}")
        res = super().run(store, jobs=jobs, dask=dask, force=force, progress=progress)
        self._write_calibration(Path(store), res)
        return res

    # -- after the search ---------------------------------------------------------------------
    def _confirm(self, st: Store, best: Mapping[str, Any], jobs: int,
                 dask: str | None) -> pd.DataFrame:
        a, b = self._confirmation_runs(st, best, jobs, dask)
        rows = []
        for t in [Target(LOSS, 0.0), *self.targets]:
            ia, ib = t_interval(self._value(a, t.kpi)), t_interval(self._value(b, t.kpi))
            reached = (t.kpi != LOSS and ib.n >= 2
                       and ib.mean - ib.half_width <= t.value <= ib.mean + ib.half_width)
            rows.append({"kpi": t.kpi, "target": t.value if t.kpi != LOSS else math.nan,
                         "weight": t.weight if t.kpi != LOSS else math.nan,
                         "start": ia.mean, "start_half_width": ia.half_width,
                         "best": ib.mean, "best_half_width": ib.half_width,
                         "reached": bool(reached), "replications": ib.n})
        return pd.DataFrame(rows)

    def at_bounds(self, values: Mapping[str, Any]) -> list[str]:
        """Knobs whose best value lies in the outer 2 % of their range."""
        out = []
        for k in self.knobs:
            v = float(values[k.key])
            span = k.high - k.low
            if v <= k.low + 0.02 * span:
                out.append(f"{k.key} at its low end {k.low:g}")
            elif v >= k.high - 0.02 * span:
                out.append(f"{k.key} at its high end {k.high:g}")
        return out

    def unreached(self, res: TuneResult) -> list[str]:
        """A line for each target outside the confirmation's 95 % interval."""
        c = res.confirmation
        if c.empty:
            return []
        out = []
        for row in c[c["kpi"] != LOSS].itertuples():
            if not row.reached:
                out.append(f"{row.kpi}: target {row.target:.4g} not reached (achieved "
                           f"{row.best:.4g} ± {row.best_half_width:.3g})")
        return out

    def _write_calibration(self, path: Path, res: TuneResult) -> None:
        """``calibration.json`` in the store: targets, knobs, screening, confirmation (for
        the report's calibration section)."""
        import json

        from sim.files import atomic_write_text

        info = {
            "targets": [{"kpi": t.kpi, "value": t.value, "weight": t.weight}
                        for t in self.targets],
            "knobs": [{"key": k.key, "low": k.low, "high": k.high, "kind": k.kind,
                       "keys": self.expanded[k.key], "start": self.start[k.key]}
                      for k in self.knobs],
            "best": res.best, "screen": self.screen.to_dict(orient="records"),
            "confirmation": res.confirmation.to_dict(orient="records"),
            "at_bounds": self.at_bounds(res.best["values"]) if res.best else [],
            "unreached": self.unreached(res),
        }
        atomic_write_text(path / "calibration.json",
                          json.dumps(info, indent=1, default=_json_number) + "\n")


def _json_number(o: Any) -> Any:
    try:
        return float(o)
    except (TypeError, ValueError):
        return str(o)


def write_calibrated(cal: Calibrator, result: TuneResult, scenario: Path, out: Path) -> Path:
    """``out``: a scenario that ``extends`` ``scenario`` with the calibrated knob values, and
    target against achieved (fresh replications) in its header."""
    from sim.scenario import write_scenario

    if result.best is None:
        raise ExperimentError("no trial completed: nothing to write")
    head = [f"calibrate: trial {result.best['trial']} of {len(result.trials)}, "
            "the lowest calibration loss on the search's replications."]
    for row in result.confirmation.itertuples():
        if row.kpi == LOSS:
            head.append(f"Calibration loss (weighted mean relative error): {row.start:.4g} -> "
                        f"{row.best:.4g} over {row.replications} fresh replications.")
        else:
            head.append(f"{row.kpi}: target {row.target:.4g}, achieved {row.best:.4g} ± "
                        f"{row.best_half_width:.3g} (start {row.start:.4g})"
                        + ("" if row.reached else ": NOT reached"))
    return write_scenario(out, extends=scenario, patch=nested(cal.concrete(result.best["values"])),
                          header=head)
