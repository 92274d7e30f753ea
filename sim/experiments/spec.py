"""Experiment files: which scenarios to run, how many replications, what to sweep.

An experiment file is TOML::

    name = "shifts"
    base = "../baseline.toml"          # the first column: every difference is against it
    replications = 10                  # or: precision = { kpi = "cost_per_order",
                                       #        half_width = 0.01, relative = true,
                                       #        max_replications = 50 }
    days = 14                          # optional horizon override
    kpis = ["total_cost_per_order", "on_time_rate"]
    objective = "total_cost_per_order" # lower is better unless maximize = true
    constraints = ["on_time_rate >= 0.93"]

    [[variants]]                       # other scenario files
    name = "more pickers"
    scenario = "../more_pickers.toml"

    [[sweeps]]                         # the base with one key set to each value
    key = "fcs.chicago.shifts.day.pickers"
    values = [4, 6, 8]

Several sweeps form a grid (every combination), or with ``sweep_mode = "zip"`` are taken
value by value.  Every variant runs the same seeds and replication numbers, so the same
replication sees the same orders in every variant (common random numbers) and differences are
paired.  Everything is checked before the first run: files, sweep keys (an unknown key is
refused naming the closest valid ones), each value against the scenario schema.
"""

from __future__ import annotations

import difflib
import itertools
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.scenario import Scenario, ScenarioError, load_scenario

_FILE_KEYS = ("file", "rates", "zone_chart", "assignment_file", "forecast_file", "extends")


class ExperimentError(ValueError):
    """An experiment file, or the store it writes to, is invalid (message for the user)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class Precision(_Model):
    """Add replications until the paired intervals of ``kpi`` are narrower than ``half_width``
    (relative to the base's mean if ``relative``), up to ``max_replications``."""

    kpi: str
    half_width: float = Field(gt=0)
    relative: bool = False
    max_replications: int = Field(default=50, ge=2, le=10_000)
    first_replications: int = Field(default=5, ge=2, le=10_000)


class SelectRule(_Model):
    """Choose the best variant on the objective with the KN fully sequential procedure
    (:mod:`sim.experiments.selection`): correct with probability at least ``1 - alpha``
    whenever the best is at least ``delta`` better than the rest."""

    delta: float = Field(gt=0)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    first_replications: int = Field(default=10, ge=2, le=1000)
    max_replications: int = Field(default=200, ge=2, le=10_000)


class VariantRef(_Model):
    name: str = Field(min_length=1)
    scenario: str


class Sweep(_Model):
    key: str = Field(min_length=1)
    values: list[Any] = Field(min_length=1)


class ExperimentSpec(_Model):
    """A validated experiment file (see the module docstring)."""

    name: str = Field(min_length=1)
    base: str
    replications: int | None = Field(default=None, ge=1, le=10_000)
    precision: Precision | None = None
    select: SelectRule | None = None
    days: float | None = Field(default=None, gt=0, le=36_500)
    seed: int | None = Field(default=None, ge=0, lt=2**63)
    variants: list[VariantRef] = Field(default_factory=list)
    sweeps: list[Sweep] = Field(default_factory=list)
    sweep_mode: Literal["grid", "zip"] = "grid"
    kpis: list[str] = Field(default_factory=list)
    objective: str = "total_cost_per_order"
    maximize: bool = False
    constraints: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_rule(self) -> ExperimentSpec:
        if sum(x is not None for x in (self.replications, self.precision, self.select)) > 1:
            raise ValueError("give one of replications, precision or select, not both")
        if self.sweep_mode == "zip" and len({len(s.values) for s in self.sweeps}) > 1:
            raise ValueError("sweep_mode 'zip' needs sweeps with the same number of values")
        names = [v.name for v in self.variants]
        if len(set(names)) < len(names):
            raise ValueError("two variants have the same name")
        return self


@dataclass(frozen=True)
class Variant:
    """One column of the experiment: a scenario, with the swept keys' values if any."""

    name: str
    scenario: Scenario
    swept: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Constraint:
    kpi: str
    op: str
    value: float

    def holds(self, v: float) -> bool:
        return v >= self.value if self.op == ">=" else v <= self.value


def parse_constraint(text: str) -> Constraint:
    """``"on_time_rate >= 0.93"`` (``>=`` or ``<=``)."""
    for op in (">=", "<="):
        if op in text:
            kpi, _, value = text.partition(op)
            try:
                return Constraint(kpi.strip(), op, float(value))
            except ValueError:
                break
    raise ExperimentError(f"constraint {text!r}: expected 'KPI >= number' or 'KPI <= number'")


def _dotted_keys(data: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(data, Mapping):
        for k, v in data.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            yield key
            yield from _dotted_keys(v, key)


def with_values(sc: Scenario, values: Mapping[str, Any], where: str) -> Scenario:
    """``sc`` with each dotted key set to its value, validated as a scenario is."""
    data = sc.model_dump()
    known = set(_dotted_keys(data))
    for key, value in values.items():
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ExperimentError(f"{where}: sweep key '{key}' is not a key of the base "
                                  f"scenario{hint}")
        if key.rsplit(".", 1)[-1] in _FILE_KEYS:
            raise ExperimentError(f"{where}: sweep key '{key}' names a file; sweep over "
                                  "scenario files with [[variants]] instead")
        node = data
        *parents, last = key.split(".")
        for p in parents:
            node = node[p]
        node[last] = value
    try:
        return sc.with_data(data)
    except ScenarioError as exc:
        raise ExperimentError(f"{where}: with {dict(values)}: {exc}") from None


def load_experiment(path: str | Path) -> tuple[ExperimentSpec, list[Variant]]:
    """Read and check an experiment file, and build every variant's scenario.

    Raises
    ------
    ExperimentError, ScenarioError
        With a message naming the file and field, before anything runs.
    """
    path = Path(path).resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExperimentError(f"{path}: experiment file does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ExperimentError(f"{path}: not a readable TOML file: {exc}.") from None
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        parts = [f"field '{'.'.join(map(str, e['loc'])) or '(top level)'}': {e['msg']}"
                 for e in exc.errors()]
        raise ExperimentError(f"{path}: invalid experiment: " + "; ".join(parts) + ".") \
            from None
    for c in spec.constraints:
        parse_constraint(c)
    return spec, build_variants(spec, path.parent, str(path))


def _override(sc: Scenario, days: float | None, seed: int) -> Scenario:
    if days is None and seed == sc.run.seed:
        return sc
    return sc.with_overrides(horizon_days=days, seed=seed)


def build_variants(spec: ExperimentSpec, folder: Path, where: str) -> list[Variant]:
    """The base first, then the scenario variants, then the sweep's points; all with the
    experiment's seed (else the base's), so that replication ``r`` of every variant sees the
    same orders."""
    base = load_scenario(folder / spec.base)
    seed = base.run.seed if spec.seed is None else spec.seed
    base = _override(base, spec.days, seed)
    out = [Variant("base", base)]
    for v in spec.variants:
        out.append(Variant(v.name, _override(load_scenario(folder / v.scenario), spec.days,
                                             seed)))
    if spec.sweeps:
        keys = [s.key for s in spec.sweeps]
        rows = zip(*(s.values for s in spec.sweeps), strict=True) if spec.sweep_mode == "zip" \
            else itertools.product(*(s.values for s in spec.sweeps))
        for row in rows:
            values = dict(zip(keys, row, strict=True))
            label = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in values.items())
            out.append(Variant(label, with_values(base, values, where), values))
    names = [v.name for v in out]
    if len(set(names)) < len(names):
        raise ExperimentError(f"{where}: two variants are both called "
                              f"'{next(n for n in names if names.count(n) > 1)}'")
    return out
