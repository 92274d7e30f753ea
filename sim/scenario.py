"""Scenario files: TOML on disk, validated into a typed :class:`Scenario`.

A scenario is everything a planner may change: the network, labor, demand, stock, carrier and
policies.  It is validated once, here, so that every later stage can trust its input.  Every
error names the file, the field path and what was expected, because the person reading it is a
planner editing a text file, not a developer reading a traceback.

Scenario files may ``extends = "other.toml"``: the parent is loaded first and the child's tables
are merged into it key by key (arrays and scalars are replaced).  Collections a planner tweaks
(FCs, shifts, channels) are tables keyed by name so that a variant can change one number.  A
child that must drop what its parent defines (a different set of FCs, a stock file instead of a
rule) lists those sections in ``replace = ["fcs", "inventory"]``: they replace the parent's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.csvsafe import csv_unsafe_cell
from sim.geo import GeoError, load_zip3, read_zone_chart, zip3_of
from sim.shipping import Cartons, check_policy

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Date = Annotated[dt.date, Field(strict=False, ge=dt.date(1900, 1, 1), le=dt.date(2200, 12, 31))]
"""A calendar date: a TOML date or ISO text (``2026-10-05``), years 1900-2200."""

NonNeg = Annotated[float, Field(ge=0)]
Weight = Annotated[float, Field(ge=0, le=1e12)]
"""A relative weight (profiles, shares): normalised, so its scale does not matter."""
Minutes = Annotated[float, Field(ge=0, le=10_000)]
Pos = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=0, le=10**9)]
"""Headcounts, units and other whole amounts: large values overflow the model's arrays."""
Money = Annotated[float, Field(ge=0, le=1e9)]
"""A price or cost in dollars (per hour, parcel, unit or order)."""
CV = Annotated[float, Field(ge=0, le=10)]
"""A coefficient of variation."""
MAX_DAYS = 36_500.0
"""Longest horizon, lead time or delay in days (100 years)."""
Days = Annotated[float, Field(ge=0, le=MAX_DAYS)]
MAX_CODES = 127
"""At most this many FCs, channels and carrier services: the event log stores them as int8."""


class ScenarioError(ValueError):
    """A scenario (or one of its data files) is invalid; the message is meant for the user."""


class _Model(BaseModel):
    # inf and nan are valid TOML but never a valid amount here: refuse them everywhere; strict:
    # no true for 1, no "5" for 5 (dates alone may be written as text, see Date)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------
class ServiceTime(_Model):
    """Work content of a pick or pack task.

    ``(per_order_min + per_line_min * lines + per_unit_min * units) * X`` minutes, where ``X`` is
    a random factor with mean 1 drawn from ``dist`` (``cv`` is its coefficient of variation).
    Keeping the mean structure separate from the noise lets engineered standards (seconds per
    line, per unit) be entered as they are measured on the floor.
    """

    per_order_min: Minutes = 0.0
    per_line_min: Minutes = 0.0
    per_unit_min: Minutes = 0.0
    dist: Literal["exponential", "lognormal", "gamma", "deterministic"] = "deterministic"
    cv: CV = 0.0

    @model_validator(mode="after")
    def _cv_needed(self) -> ServiceTime:
        if self.dist in ("lognormal", "gamma") and self.cv <= 0:
            raise ValueError(f"dist '{self.dist}' needs cv > 0 (coefficient of variation)")
        return self


class CountDist(_Model):
    """A distribution of a positive integer (lines per order, units per line).

    ``shifted_poisson``: 1 + Poisson(mean - 1); ``shifted_geometric``: geometric on 1, 2, ...
    with the given mean; ``fixed``: always ``mean``; ``empirical``: ``values`` with ``weights``.
    Draws are capped at ``max``.
    """

    dist: Literal["fixed", "shifted_poisson", "shifted_geometric", "empirical"] = "fixed"
    mean: float = Field(default=1.0, ge=1.0, le=10_000)
    values: list[Annotated[int, Field(ge=1, le=10_000)]] | None = None
    weights: list[Weight] | None = None
    max: int = Field(default=50, ge=1, le=10_000)

    @model_validator(mode="after")
    def _empirical(self) -> CountDist:
        if self.dist == "empirical":
            if not self.values or not self.weights or len(self.values) != len(self.weights):
                raise ValueError("dist 'empirical' needs 'values' and 'weights' of equal length")
            if sum(self.weights) <= 0:
                raise ValueError("'weights' must not all be zero")
        elif self.dist == "fixed" and self.mean != int(self.mean):
            raise ValueError("dist 'fixed' needs an integer 'mean'")
        return self

    def expected(self) -> float:
        """Mean of the (uncapped) distribution, used for forecasts."""
        if self.dist == "empirical":
            assert self.values is not None and self.weights is not None
            w = np.asarray(self.weights, float)
            return float(np.dot(self.values, w) / w.sum())
        return float(self.mean)


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------
class RunConfig(_Model):
    start_date: Date
    horizon_days: float = Field(gt=0, le=MAX_DAYS)
    warmup_days: Days = 0.0
    seed: int = Field(default=0, ge=0, lt=2**63)

    @model_validator(mode="after")
    def _warmup(self) -> RunConfig:
        if self.warmup_days >= self.horizon_days:
            raise ValueError("warmup_days must be smaller than horizon_days")
        return self


def _weekday_list(v: list[str] | None) -> list[str] | None:
    if v is None:
        return None
    out = []
    for d in v:
        key = str(d).strip().lower()
        if key in WEEKDAY_NAMES:
            key = key[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"'{d}' is not a weekday (expected one of {', '.join(WEEKDAYS)}, "
                             "or the full name)")
        out.append(key)
    return out


class Shift(_Model):
    """A labor shift: who is on the floor, on which weekdays, from when to when.

    ``end_h`` may exceed 24 for a shift that runs past midnight (e.g. 22 to 30).
    """

    days: list[str]
    start_h: float = Field(ge=0, lt=24)
    end_h: float = Field(gt=0, le=48)
    pickers: Count
    packers: Count

    _days = field_validator("days")(_weekday_list)

    @field_validator("days")
    @classmethod
    def _some_days(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("a shift needs at least one weekday")
        return v

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if not self.start_h < self.end_h <= self.start_h + 24:
            raise ValueError("end_h must be after start_h and at most 24 hours later")
        return self


class Receiving(_Model):
    """Inbound dock of an FC: units it can receive per day (0 = unlimited) and the hours from
    receipt until the stock can be picked (put-away)."""

    units_per_day: Count = 0
    putaway_h: float = Field(default=0.0, ge=0, le=24 * MAX_DAYS)


class Pickups(_Model):
    """One carrier service's pickups at one FC: cut-off hours and weekdays (either may be
    left out to keep the service's or the FC's own)."""

    pickup_cutoffs_h: list[Annotated[float, Field(ge=0, lt=24)]] | None = Field(
        default=None, min_length=1)
    pickup_days: list[str] | None = Field(default=None, min_length=1)

    _days = field_validator("pickup_days")(_weekday_list)


class FC(_Model):
    """A fulfillment center, placed by ``lat``/``lon`` or by its ``zip`` (ZIP3 centroid).

    With a ``zip`` the FC's zones can come from a real zone chart (``carrier.zone_chart``).
    ``pickup_cutoffs_h``/``pickup_days`` are the FC's default carrier pickups;
    ``service_pickups.<service>`` overrides them for one service at this FC (e.g. a later
    air pickup), which in turn beats the service's own ``pickup_cutoffs_h``/``pickup_days``.
    """

    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    zip: str | None = None
    labor_cost_per_hour: Money
    pick_time: ServiceTime
    pack_time: ServiceTime
    pickup_cutoffs_h: list[Annotated[float, Field(ge=0, lt=24)]] = Field(min_length=1)
    pickup_days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]), min_length=1)
    service_pickups: dict[str, Pickups] = Field(default_factory=dict)
    receiving: Receiving = Receiving()
    shifts: dict[str, Shift]

    _days = field_validator("pickup_days")(_weekday_list)

    @field_validator("zip")
    @classmethod
    def _zip(cls, v: str | None) -> str | None:
        return None if v is None else zip3_of(v)

    @model_validator(mode="after")
    def _placed(self) -> FC:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither (and a zip)")
        if self.lat is None and self.zip is None:
            raise ValueError("give lat and lon, or a zip")
        return self

    @field_validator("shifts")
    @classmethod
    def _has_shifts(cls, v: dict[str, Shift]) -> dict[str, Shift]:
        if not v:
            raise ValueError("an FC needs at least one shift (nobody would ever pick or pack)")
        if not any(s.pickers for s in v.values()) or not any(s.packers for s in v.values()):
            raise ValueError("no shift has any pickers, or none has any packers: orders sent "
                             "to this FC could never ship")
        return v


class Channel(_Model):
    share: Pos
    promise_days: int = Field(ge=0, le=60)


class Season(_Model):
    start: Date
    end: Date
    multiplier: float = Field(ge=0, le=1e6)

    @model_validator(mode="after")
    def _order(self) -> Season:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class FileRef(_Model):
    file: str


WEIGHT_TO_LB = {"lb": 1.0, "oz": 1 / 16, "kg": 2.20462262, "g": 0.00220462262}
LENGTH_TO_IN = {"in": 1.0, "cm": 1 / 2.54, "mm": 1 / 25.4}
CATALOG_FIELDS = ("sku", "weight", "length", "width", "height", "unit_price", "popularity",
                  "category", "supplier")


class CatalogRef(_Model):
    """The SKU catalog file and how to read it.

    By default the columns are ``sku, weight_lb, length_in, width_in, height_in, unit_price,
    popularity``.  A shop's own export can be read as it is: ``columns`` maps the fields
    (sku, weight, length, width, height, unit_price, popularity) to its column names, and
    ``weight_unit`` / ``length_unit`` convert (g, kg, oz, lb; mm, cm, in).  Without a
    popularity column every SKU is equally popular; without a price column prices are 0.
    ``drop_incomplete`` skips rows with a missing weight or dimension (and says how many)
    instead of refusing the file.
    """

    file: str
    columns: dict[Literal["sku", "weight", "length", "width", "height", "unit_price",
                          "popularity", "category", "supplier"], str] = Field(
        default_factory=dict)
    weight_unit: Literal["lb", "oz", "kg", "g"] = "lb"
    length_unit: Literal["in", "cm", "mm"] = "in"
    drop_incomplete: bool = False

    def column(self, name: str) -> str:
        default = {"weight": "weight_lb", "length": "length_in", "width": "width_in",
                   "height": "height_in"}.get(name, name)
        return self.columns.get(name, default)  # type: ignore[call-overload]


class Destinations(_Model):
    """Where orders go: a CSV of demand points (``lat, lon`` or ``zip``, and ``weight``).

    ``state_weights`` (e.g. ``{ CA = 30, TX = 20, NY = 15 }``) re-weights them by state: each
    listed state gets that share of orders, spread over its points in proportion to their own
    weights; unlisted states get none.  The CSV then needs a ``state`` column.
    """

    file: str
    state_weights: dict[str, Weight] | None = None

    @field_validator("state_weights")
    @classmethod
    def _states(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None and sum(v.values()) <= 0:
            raise ValueError("state weights must not all be zero")
        return None if v is None else {k.strip().upper(): w for k, w in v.items()}


class Demand(_Model):
    """Order arrivals: a non-homogeneous Poisson process with hourly, weekday and seasonal shape.

    The rate in hour ``h`` of a day with weekday ``w`` and date ``d`` is
    ``orders_per_day * weekday[w] * season(d) * hour[h]`` where the hour profile is normalised
    to sum to one and the weekday profile to mean one, so ``orders_per_day`` is the average
    ordinary day.
    """

    orders_per_day: Pos  # any finite rate: a run too large for memory is refused by the CLI
    hour_profile: list[Weight] = Field(default_factory=lambda: [1.0] * 24)
    weekday_profile: list[Weight] = Field(default_factory=lambda: [1.0] * 7)
    seasonality: list[Season] = Field(default_factory=list)
    channels: dict[str, Channel] = Field(min_length=1)
    lines_per_order: CountDist = CountDist()
    units_per_line: CountDist = CountDist()
    destinations: Destinations
    daily_cv: CV = 0.0

    @field_validator("hour_profile")
    @classmethod
    def _hours(cls, v: list[float]) -> list[float]:
        if len(v) != 24 or sum(v) <= 0:
            raise ValueError("expected 24 non-negative weights (hours 0-23), not all zero")
        return v

    @field_validator("weekday_profile")
    @classmethod
    def _weekdays(cls, v: list[float]) -> list[float]:
        if len(v) != 7 or sum(v) <= 0:
            raise ValueError("expected 7 non-negative weights (Monday first), not all zero")
        return v

    @field_validator("channels")
    @classmethod
    def _shares(cls, v: dict[str, Channel]) -> dict[str, Channel]:
        total = sum(c.share for c in v.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"channel shares must sum to 1, they sum to {total:g}")
        return v


class InitialStock(_Model):
    """Either ``rule = "days_of_demand"`` with ``days`` or ``file`` (columns fc, sku, units).

    ``days_of_demand`` stocks every FC with ``days`` of the forecast demand of the destinations
    nearest to it: the usual starting point of a planner with no better data.
    """

    rule: Literal["days_of_demand"] | None = None
    days: Days | None = None
    file: str | None = None
    forecast_file: str | None = None
    """Optional CSV (columns fc, sku, units_per_day) replacing the nearest-FC forecast of
    daily demand per FC and SKU, which the replenishment levels in days and the transfers use;
    an optimizer's placement writes one (FC-SKU pairs not listed forecast zero)."""

    @model_validator(mode="after")
    def _one(self) -> InitialStock:
        if (self.file is None) == (self.rule is None):
            raise ValueError("give either rule = 'days_of_demand' (with days) or file")
        if self.rule is not None and self.days is None:
            raise ValueError("rule 'days_of_demand' needs 'days'")
        return self


class LeadTime(_Model):
    """A supplier's procurement lead time in days: ``mean`` with ``dist`` (``deterministic``,
    ``gamma`` or ``lognormal`` with ``cv``), counted in business days (Mon-Fri) if
    ``business_days``."""

    mean: Days
    dist: Literal["deterministic", "gamma", "lognormal"] = "deterministic"
    cv: CV = 0.0
    business_days: bool = False

    @model_validator(mode="after")
    def _cv_needed(self) -> LeadTime:
        if self.dist != "deterministic" and self.cv <= 0:
            raise ValueError(f"dist '{self.dist}' needs cv > 0 (coefficient of variation)")
        return self


class Supplier(_Model):
    """Where SKUs are bought: lead time, minimum order quantity, case pack and costs.

    ``classes`` lists the SKU classes this supplier serves (``["A", "B", "C"]`` by default;
    see :class:`Replenishment`); each SKU class needs exactly one supplier.  A SKU's unit cost
    is ``unit_cost_share`` of its catalog ``unit_price``.
    """

    lead_time_days: LeadTime
    classes: list[str] = Field(default_factory=lambda: ["A", "B", "C"], min_length=1)
    moq_units: Count = 0
    case_pack: Annotated[int, Field(ge=1, le=10**9)] = 1
    fixed_cost_per_po: Money = 0.0
    unit_cost_share: float = Field(default=0.5, gt=0, le=1)


REPLENISHMENT_BUILTINS = ("none", "sS", "min_max", "rQ", "RS", "base_stock")
MAX_PARAMS_DEPTH = 8


def _depth(v: Any) -> int:
    """Nesting depth of tables and arrays in ``v`` (stops counting past the limit)."""
    stack, deepest = [(v, 1)], 0
    while stack:
        x, d = stack.pop()
        if isinstance(x, dict | list):
            deepest = max(deepest, d)
            if d <= MAX_PARAMS_DEPTH:
                stack.extend((y, d + 1) for y in (x.values() if isinstance(x, dict) else x))
    return deepest


def _check_params(v: dict[str, Any]) -> dict[str, Any]:
    if _depth(v) > MAX_PARAMS_DEPTH:
        raise ValueError(f"tables and arrays nested more than {MAX_PARAMS_DEPTH} deep")
    return v


class ClassPolicy(_Model):
    """Replenishment of one SKU class at every FC.

    ``sS`` (alias ``min_max``): when the inventory position (on hand + on order - backordered)
    is at or below ``s`` order up to ``S``.  ``rQ``: at or below ``r`` order ``Q`` (as many
    times as needed to rise above ``r``).  ``RS``: every ``review_period_days`` on
    ``review_weekday`` order up to ``S``.  ``base_stock``: order up to ``S`` whenever the
    position is below it (one for one; at each review if ``review_period_days`` is set).
    ``sS``, ``rQ`` and ``base_stock`` review continuously unless ``review_period_days`` is set.
    Levels are in days of the FC's forecast demand (``*_days``) or in units (``*_units``).
    """

    policy: str = "none"
    params: dict[str, Any] = Field(default_factory=dict)
    s_days: Days | None = None
    s_units: Count | None = None
    S_days: Days | None = None
    S_units: Count | None = None
    Q_days: Days | None = None
    Q_units: Annotated[int, Field(ge=1, le=10**9)] | None = None
    review_period_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    review_weekday: str = "mon"
    review_hour: float = Field(default=0.0, ge=0, lt=24)

    _params = field_validator("params", mode="before")(_check_params)

    @field_validator("policy")
    @classmethod
    def _name(cls, v: str) -> str:
        if v not in REPLENISHMENT_BUILTINS and ":" not in v:
            raise ValueError(f"'{v}' is neither a built-in replenishment policy "
                             f"({', '.join(REPLENISHMENT_BUILTINS)}) nor 'module:Class'")
        return v

    @field_validator("review_weekday")
    @classmethod
    def _weekday(cls, v: str) -> str:
        days = _weekday_list([v])
        assert days is not None
        return days[0]

    def _one(self, name: str) -> tuple[str, float] | None:
        days, units = getattr(self, f"{name}_days"), getattr(self, f"{name}_units")
        if days is not None and units is not None:
            raise ValueError(f"give {name}_days or {name}_units, not both")
        if days is not None:
            return ("days", float(days))
        return None if units is None else ("units", float(units))

    @model_validator(mode="after")
    def _levels(self) -> ClassPolicy:
        s, S, Q = self._one("s"), self._one("S"), self._one("Q")
        need = {"sS": ("s", "S"), "min_max": ("s", "S"), "rQ": ("s", "Q"), "RS": ("S",),
                "base_stock": ("S",)}.get(self.policy, ())
        given = {"s": s, "S": S, "Q": Q}
        if self.params and ":" not in self.policy:
            raise ValueError(f"params are the keyword arguments of a user's 'module:Class' "
                             f"policy; built-in '{self.policy}' takes its levels as fields "
                             "(s_days, S_units, ...)")
        missing = [n for n in need if given[n] is None]
        if missing:
            raise ValueError(f"policy '{self.policy}' needs " + " and ".join(
                f"{n}_days or {n}_units" for n in missing))
        if s is not None and S is not None and self.policy in ("sS", "min_max") \
                and s[0] == S[0] and s[1] >= S[1]:
            raise ValueError(f"s ({s[1]:g}) must be below S ({S[1]:g}): with s >= S the "
                             "policy would order nothing or keep ordering")
        return self

    @property
    def period_days(self) -> int | None:
        """Days between reviews (None: continuous review); ``RS`` reviews weekly by default."""
        if self.review_period_days is None and self.policy == "RS":
            return 7
        return self.review_period_days

    def level(self, name: str) -> tuple[str, float] | None:
        """``("days" | "units", value)`` of level ``s``, ``S`` or ``Q``, or None."""
        return self._one(name)


class Replenishment(ClassPolicy):
    """How each FC restocks each SKU, by SKU class.

    SKUs fall into classes ``A``/``B``/``C`` by forecast demand (``A``: the most popular
    SKUs making ``a_share`` of demand, ``B`` the next up to ``b_share``, ``C`` the rest).
    ``policy`` and its levels (see :class:`ClassPolicy`) apply to every class unless
    ``[replenishment.classes.<class>]`` sets that class's own.  The old form
    ``policy = "min_max"`` with ``reorder_point_days``/``order_up_to_days``/``lead_time_days``
    still works (one supplier with a fixed lead time).  ``holding_cost_rate`` is the annual
    cost of holding stock as a share of its unit cost.
    """

    reorder_point_days: Days | None = None
    order_up_to_days: Days | None = None
    lead_time_days: Days | None = None
    classes: dict[Literal["A", "B", "C"], ClassPolicy] = Field(default_factory=dict)
    a_share: float = Field(default=0.8, gt=0, le=1)
    b_share: float = Field(default=0.95, gt=0, le=1)
    holding_cost_rate: float = Field(default=0.25, ge=0, le=100)

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for old, new in (("reorder_point_days", "s_days"), ("order_up_to_days", "S_days")):
                if data.get(old) is not None and data.get(new) is None:
                    data[new] = data[old]
        return data

    @model_validator(mode="after")
    def _shares(self) -> Replenishment:
        if self.a_share > self.b_share:
            raise ValueError("a_share must not exceed b_share")
        return self

    def for_class(self, name: str) -> ClassPolicy:
        """The policy of SKU class ``name`` (its own, else the section's default)."""
        if name in self.classes:
            return self.classes[name]
        return ClassPolicy(**{f: getattr(self, f) for f in ClassPolicy.model_fields})


class Hold(_Model):
    """What happens when the FC an order is routed to lacks stock (``mode``).

    ``split``: the nearest FC with all of it, else split across FCs, else hold (the ShipBob
    rule).  ``reroute``: the nearest FC with all of it, else hold at the nearest.
    ``backorder``: always the nearest FC; hold there until stock arrives.  Held orders are
    released first come, first served when stock arrives, and cancelled (a lost sale) after
    ``cancel_after_days`` on hold.  Built-in routing policies follow ``mode``.
    """

    mode: Literal["split", "reroute", "backorder"] = "split"
    cancel_after_days: float | None = Field(default=None, gt=0, le=MAX_DAYS)


class Transfers(_Model):
    """Rebalancing between FCs, reviewed daily at ``review_hour``.

    An FC whose inventory position of a SKU is below ``trigger_days`` of its forecast is
    brought up to ``target_days`` from the FC with the most stock above ``donor_keep_days``;
    the units arrive after ``lead_time_days`` and cost ``cost_per_unit``.
    """

    policy: Literal["none", "rebalance"] = "none"
    review_hour: float = Field(default=1.0, ge=0, lt=24)
    trigger_days: Days = 2.0
    target_days: Days = 6.0
    donor_keep_days: Days = 10.0
    lead_time_days: Days = 2.0
    cost_per_unit: Money = 0.5

    @model_validator(mode="after")
    def _levels(self) -> Transfers:
        if self.policy != "none" and not self.trigger_days < self.target_days \
                <= self.donor_keep_days:
            raise ValueError("need trigger_days < target_days <= donor_keep_days")
        return self


class Returns(_Model):
    """Customer returns: each delivered line comes back with ``probability`` (by catalog
    ``category`` in ``by_category``), ``delay_days`` after delivery, at a ``label_cost`` per
    returned shipment, to the FC that shipped it.  Returns reach the FC once a day with the
    inbound carrier at ``dock_hour``; inspection takes ``inspect_min_per_unit`` of labor and
    the day's restocked units (each with ``restock_probability``, else written off) are
    available ``restock_after_h`` later.  The customer is refunded the unit price."""

    probability: float = Field(default=0.0, ge=0, le=1)
    by_category: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    delay_days: LeadTime = LeadTime(mean=10.0)
    label_cost: Money = 0.0
    inspect_min_per_unit: Minutes = 0.0
    restock_probability: float = Field(default=1.0, ge=0, le=1)
    dock_hour: float = Field(default=10.0, ge=0, lt=24)
    restock_after_h: float = Field(default=6.0, ge=0, le=24 * MAX_DAYS)


ZoneDays = list[Annotated[int, Field(ge=0, le=30)]]


class Carrier(_Model):
    """The zone model, and a simple flat-rate ground service when no ``[services]`` are given.

    ``zone_max_miles`` are the upper bounds of zones 1-7 (zone 8 beyond); defaults are the
    published USPS bands.  ``zone_chart`` (CSV ``origin_zip, dest_zip, zone``) replaces the
    bands for every FC-destination pair whose ZIP3s it lists.  ``transit_days_by_zone`` and
    ``cost_by_zone`` (a flat price per parcel) list zones 1 to 8.
    """

    name: str = "Ground"
    zone_max_miles: list[Annotated[float, Field(gt=0, le=25_000)]] = Field(
        default_factory=lambda: [50.0, 150.0, 300.0, 600.0, 1000.0, 1400.0, 1800.0]
    )
    transit_days_by_zone: ZoneDays | None = None
    cost_by_zone: list[Money] | None = None
    business_days: bool = True
    delivery_hour: float = Field(default=17.0, ge=0, lt=24)
    zone_chart: str | None = None

    @model_validator(mode="after")
    def _lengths(self) -> Carrier:
        if len(self.zone_max_miles) != 7 or sorted(self.zone_max_miles) != self.zone_max_miles:
            raise ValueError("zone_max_miles needs 7 increasing distances (zones 1-7)")
        for name in ("transit_days_by_zone", "cost_by_zone"):
            v = getattr(self, name)
            if v is not None and len(v) != 8:
                raise ValueError(f"{name} needs 8 values (zones 1-8)")
        return self


class ServiceConfig(_Model):
    """A carrier service: its rate table, dimensional-weight rule, surcharges and transit.

    ``rates`` is a CSV with a ``weight_lb`` column (every whole pound from 1 up to the
    service's maximum) and one price column per zone ``1`` to ``8``.  ``dim_divisor`` 139 is
    UPS/FedEx daily rates, 166 USPS (with ``dim_min_cubic_in = 1728``: dimensional weight only
    for parcels over one cubic foot); leave it out for no dimensional weight.  A parcel is late (one
    more transit day) with ``late_probability``; it ends in a delivery exception (never
    delivered) with ``exception_probability``.  Pickups follow each FC's cut-offs unless the
    service sets its own.
    """

    carrier: str = ""
    rates: str
    dim_divisor: float | None = Field(default=None, gt=0, le=1e6)
    dim_min_cubic_in: float = Field(default=0.0, ge=0, le=1e9)
    fuel_surcharge_pct: float = Field(default=0.0, ge=0, le=1000)
    residential_surcharge: Money = 0.0
    transit_days_by_zone: ZoneDays
    late_probability: float = Field(default=0.0, ge=0, le=1)
    exception_probability: float = Field(default=0.0, ge=0, le=1)
    business_days: bool = True
    pickup_cutoffs_h: list[Annotated[float, Field(ge=0, lt=24)]] | None = Field(
        default=None, min_length=1)
    pickup_days: list[str] | None = Field(default=None, min_length=1)

    _days = field_validator("pickup_days")(_weekday_list)

    @field_validator("transit_days_by_zone")
    @classmethod
    def _eight(cls, v: list[int]) -> list[int]:
        if len(v) != 8:
            raise ValueError("needs 8 values (zones 1-8)")
        return v


class Shipping(_Model):
    """How each shipment's service is chosen and what it is packed in.

    ``policy``: ``rate_shop`` (cheapest service whose expected delivery meets the order's
    promise, else the fastest), ``cheapest``, ``fastest`` or ``fixed:<service>``.
    ``cartons``: CSV ``carton, length_in, width_in, height_in, max_weight_lb, cost``; without it
    parcels bill their actual weight (no dimensional weight, no carton cost).  ``oversize``:
    a SKU that fits no carton is an ``error`` (the default), or ships in its ``own_box``.
    """

    policy: str = "rate_shop"
    cartons: FileRef | None = None
    oversize: Literal["error", "own_box"] = "error"


class Routing(_Model):
    """``policy``: a built-in name or ``module:Class``; ``params``: its keyword arguments.

    ``assignment_file``: optional CSV (columns region, sku, fc) naming the FC that serves a
    destination's demand for a SKU, for the ``assigned`` policy (an inventory placement
    writes one); pairs not listed are served by the destination's nearest FC.
    """

    policy: str = "nearest"
    params: dict[str, Any] = Field(default_factory=dict)
    assignment_file: str | None = None

    _params = field_validator("params", mode="before")(_check_params)


class NetworkConfig(_Model):
    open_fcs: list[str] | None = None

    @field_validator("open_fcs")
    @classmethod
    def _once(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and len(set(v)) < len(v):
            twice = next(n for n in v if v.count(n) > 1)
            raise ValueError(f"FC '{twice}' is listed twice")
        return v


class Scenario(_Model):
    """A validated scenario. Use :func:`load_scenario` to build one from a file."""

    name: str
    description: str = ""
    extends: str | None = None
    replace: list[str] = Field(default_factory=list)
    run: RunConfig
    network: NetworkConfig = NetworkConfig()
    fcs: dict[str, FC] = Field(min_length=1)
    catalog: CatalogRef
    demand: Demand
    inventory: InitialStock
    replenishment: Replenishment = Replenishment()
    suppliers: dict[str, Supplier] = Field(default_factory=dict)
    hold: Hold = Hold()
    transfers: Transfers = Transfers()
    returns: Returns = Returns()
    carrier: Carrier
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    shipping: Shipping = Shipping()
    routing: Routing = Routing()

    _tables: ScenarioTables | None = PrivateAttr(default=None)
    _source: Path | None = PrivateAttr(default=None)
    _origins: dict[str, Path] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _shipping(self) -> Scenario:
        if not self.services and (self.carrier.transit_days_by_zone is None
                                  or self.carrier.cost_by_zone is None):
            raise ValueError("without [services], carrier.transit_days_by_zone and "
                             "carrier.cost_by_zone are required")
        names = list(self.services) or [self.carrier.name]
        try:
            check_policy(self.shipping.policy, names)
        except ValueError as exc:
            raise ValueError(f"shipping.policy: {exc}") from None
        return self

    @model_validator(mode="after")
    def _suppliers(self) -> Scenario:
        seen: dict[str, str] = {}
        for name, sup in self.suppliers.items():
            for c in sup.classes:
                if c not in ("A", "B", "C"):
                    raise ValueError(f"suppliers.{name}.classes: unknown SKU class {c!r}; "
                                     "classes are A, B, C")
                if c in seen:
                    raise ValueError(f"suppliers.{name}.classes: class {c!r} already has "
                                     f"supplier {seen[c]!r}; give each class one supplier")
                seen[c] = name
        if self.suppliers and self.replenishment.lead_time_days is not None:
            raise ValueError("replenishment.lead_time_days: with [suppliers] the lead time "
                             "is each supplier's lead_time_days")
        replenished = [c for c in ("A", "B", "C")
                       if self.replenishment.for_class(c).policy != "none"]
        if replenished and not self.suppliers and self.replenishment.lead_time_days is None:
            raise ValueError(f"suppliers: SKU class(es) {', '.join(replenished)} are "
                             "replenished but no lead time is given: add [suppliers.<name>] "
                             "with lead_time_days, or replenishment.lead_time_days")
        return self

    def supplier_table(self) -> dict[str, Supplier]:
        """The suppliers, with the implicit one of the short form (``replenishment.
        lead_time_days``, fixed lead time, every class) when none is given."""
        if self.suppliers:
            return dict(self.suppliers)
        lt = self.replenishment.lead_time_days
        return {"default": Supplier(lead_time_days=LeadTime(mean=lt or 0.0))}

    @model_validator(mode="after")
    def _service_pickups(self) -> Scenario:
        names = list(self.services) or [self.carrier.name]
        for fc_name, fc in self.fcs.items():
            for svc in fc.service_pickups:
                if svc not in names:
                    raise ValueError(f"fcs.{fc_name}.service_pickups: unknown service {svc!r}; "
                                     f"services are {names}")
        return self

    @model_validator(mode="after")
    def _counts(self) -> Scenario:
        for what, n in (("open FCs", len(self.open_fc_names)),
                        ("demand.channels", len(self.demand.channels)),
                        ("services", len(self.services))):
            if n > MAX_CODES:
                raise ValueError(f"{what}: {n} given, at most {MAX_CODES} are supported")
        return self

    @model_validator(mode="after")
    def _open(self) -> Scenario:
        if self.network.open_fcs is not None:
            unknown = [n for n in self.network.open_fcs if n not in self.fcs]
            if unknown:
                raise ValueError(f"network.open_fcs names unknown FCs {unknown}")
            if not self.network.open_fcs:
                raise ValueError("network.open_fcs must name at least one FC")
        return self

    @property
    def open_fc_names(self) -> list[str]:
        return list(self.network.open_fcs) if self.network.open_fcs is not None else list(self.fcs)

    @property
    def tables(self) -> ScenarioTables:
        if self._tables is None:
            raise RuntimeError("scenario data tables not loaded; use load_scenario()")
        return self._tables

    @property
    def source(self) -> Path | None:
        return self._source

    def policy_specs(self) -> list[tuple[str, str, Path | None]]:
        """``(field, policy, file that names it)`` for the routing policy and each SKU class's
        replenishment policy in effect (the file is None for a scenario built in memory)."""
        out: list[tuple[str, str, Path | None]] = [
            ("routing.policy", self.routing.policy, self.policy_origin("routing.policy"))]
        for c in ("A", "B", "C"):
            f = (f"replenishment.classes.{c}.policy" if c in self.replenishment.classes
                 else "replenishment.policy")
            out.append((f, self.replenishment.for_class(c).policy, self.policy_origin(f)))
        return out

    def policy_origin(self, field: str) -> Path | None:
        """The scenario file whose value of ``field`` (one of :data:`POLICY_FIELDS`) is in
        effect: the file that named it, else the scenario's own file."""
        return self._origins.get(field, self._source)

    def with_overrides(self, *, seed: int | None = None, horizon_days: float | None = None,
                       warmup_days: float | None = None) -> Scenario:
        """Return a copy with run settings replaced (the CLI's ``--seed`` and ``--days``)."""
        run = self.run.model_dump()
        if seed is not None:
            run["seed"] = seed
        if horizon_days is not None:
            run["horizon_days"] = horizon_days
            run["warmup_days"] = min(self.run.warmup_days, horizon_days / 4)
        if warmup_days is not None:
            run["warmup_days"] = warmup_days
        data = self.model_dump()
        data["run"] = run
        new = validate_scenario_dict(data, self._source or "<scenario>")
        new._tables = self._tables
        new._source = self._source
        new._origins = self._origins
        return new

    def digest(self) -> str:
        """SHA-256 of the resolved scenario and its data tables: identifies what was run."""
        h = hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode())
        if self._tables is not None:
            for arr in self._tables.hash_parts():
                h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Data tables (CSV)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScenarioTables:
    """Data loaded from the CSV files a scenario points to, as numpy arrays."""

    sku_ids: tuple[str, ...]
    sku_weight_lb: np.ndarray
    sku_dims_in: np.ndarray  # (K, 3) length, width, height
    sku_unit_price: np.ndarray
    sku_popularity: np.ndarray
    dest_names: tuple[str, ...]
    dest_lat: np.ndarray
    dest_lon: np.ndarray
    dest_weight: np.ndarray
    dest_zip3: tuple[str, ...] = ()
    zone_chart: dict[tuple[str, str], int] | None = None
    service_rates: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    cartons: Cartons | None = None
    stock_fc: tuple[str, ...] = ()
    stock_sku: np.ndarray | None = None
    stock_units: np.ndarray | None = None
    forecast_fc: tuple[str, ...] = ()
    forecast_sku: np.ndarray | None = None
    forecast_units: np.ndarray | None = None
    sku_category: tuple[str, ...] = ()
    sku_supplier: tuple[str, ...] = ()  # "" where the SKU's class decides
    assign_dest: np.ndarray | None = None  # routing.assignment_file: destination ids,
    assign_sku: np.ndarray | None = None   # SKU ids
    assign_fc: tuple[str, ...] = ()        # and FC names, row by row

    def hash_parts(self) -> list[np.ndarray]:
        parts = [self.sku_weight_lb, self.sku_dims_in, self.sku_unit_price, self.sku_popularity,
                 self.dest_lat, self.dest_lon, self.dest_weight,
                 np.frombuffer("\n".join(self.sku_ids).encode(), np.uint8)]
        if self.stock_units is not None and self.stock_sku is not None:
            parts += [self.stock_sku, self.stock_units]
        if self.forecast_units is not None and self.forecast_sku is not None:
            parts += [self.forecast_sku, self.forecast_units,
                      np.frombuffer("\n".join(self.forecast_fc).encode(), np.uint8)]
        if self.assign_dest is not None and self.assign_sku is not None:
            parts += [self.assign_dest, self.assign_sku,
                      np.frombuffer("\n".join(self.assign_fc).encode(), np.uint8)]
        for w, r in (self.service_rates or {}).values():
            parts += [w, r]
        if self.cartons is not None:
            parts += [self.cartons.dims_in, self.cartons.max_weight_lb, self.cartons.cost]
        if self.zone_chart is not None:
            text = "\n".join(f"{o},{d},{z}" for (o, d), z in sorted(self.zone_chart.items()))
            parts.append(np.frombuffer(text.encode(), np.uint8))
        return parts


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the OS refuses (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


MAX_CSV_BYTES = 512 * 2**20


def _load_csv(path: Path, field: str) -> pd.DataFrame:
    """Read a CSV as text columns, with a clear error for a missing or malformed file.

    A missing file is reported as ``'field': ...`` (the loader puts the scenario file in front,
    see :func:`load_scenario`); problems inside the file name the file."""
    if not _is_file(path):
        what = "is a directory, not a CSV file" if path.is_dir() else "does not exist"
        raise ScenarioError(f"'{field}': {path} {what}.")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ScenarioError(f"{path}: CSV for {field} is larger than "
                            f"{MAX_CSV_BYTES // 2**20} MiB.")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError,
            ValueError, OSError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScenarioError(f"{path}: malformed CSV for {field}: {msg}.") from None
    df.columns = [str(c).strip() for c in df.columns]
    bad = [c for c in df.columns if not c.isprintable()]
    if bad:
        raise ScenarioError(f"{path}: CSV for {field}: column name {bad[0]!r} contains "
                            "control characters.")
    return df


def _read_csv(path: Path, field: str, required: Mapping[str, str],
              df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read a CSV (or take ``df``, read from ``path`` earlier) and check it has ``required``
    columns of the given kinds ('str', 'num', 'nonneg', 'pos'; numbers are finite and at most
    :data:`MAX_CSV_NUMBER` in size); error lines count from the file's header, so rows
    dropped earlier keep their line numbers."""
    if df is None:
        df = _load_csv(path, field)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ScenarioError(
            f"{path}: CSV for {field} lacks column(s) {missing}; expected columns "
            f"{list(required)}, found {list(df.columns)}."
        )
    if df.empty:
        raise ScenarioError(f"{path}: CSV for {field} has no rows.")
    for col, kind in required.items():
        if kind == "str":
            blank = df.index[df[col].str.strip() == ""]
            if len(blank):
                raise ScenarioError(
                    f"{path}, line {blank[0] + 2}, column '{col}': expected a value, found blank."
                )
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(float, na_value=np.nan)) \
            | (values.abs() > MAX_CSV_NUMBER)
        if kind == "nonneg":
            bad |= values < 0
        elif kind == "pos":
            bad |= values <= 0
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            expected = {"num": "a number", "nonneg": "a non-negative number",
                        "pos": "a positive number"}[kind] + f" up to {MAX_CSV_NUMBER:g}"
            raise ScenarioError(
                f"{path}, line {df.index[i] + 2}, column '{col}': expected {expected}, "
                f"found '{df[col].iloc[i]}'."
            )
        df[col] = values
    return df


MAX_CSV_NUMBER = 1e9
"""Largest number a data file may hold (units, prices, weights, dimensions, rates)."""
MAX_ITEM_IN = 1_000.0
MAX_ITEM_LB = 10_000.0
"""Largest SKU or carton dimension (inches) and weight (pounds): larger is a unit mix-up."""

ZONE_COLUMNS = tuple(str(z) for z in range(1, 9))


def _too_large(path: Path, df: pd.DataFrame, cols: list[str], limit: float, unit: str,
               field: str, scale: float | pd.Series = 1.0) -> None:
    for c in cols:
        over = np.flatnonzero((df[c] * scale).to_numpy(float) > limit)
        if len(over):
            i = int(over[0])
            raise ScenarioError(f"{path}, line {df.index[i] + 2}, column '{c}': {df[c].iloc[i]:g}"
                                f" is more than {limit:,g} {unit}; check the units ({field}).")


def _unique(path: Path, df: pd.DataFrame, cols: list[str], what: str) -> None:
    dup = np.flatnonzero(df.duplicated(subset=cols).to_numpy())
    if len(dup):
        i = int(dup[0])
        key = ", ".join(f"{c} '{df[c].iloc[i]}'" for c in cols)
        raise ScenarioError(f"{path}, line {df.index[i] + 2}: {what} {key} is listed twice.")


def _load_rates(path: Path, field: str) -> tuple[np.ndarray, np.ndarray]:
    """A rate table: ``weight_lb`` 1, 2, ... N and a price column per zone 1-8."""
    df = _read_csv(path, field, {"weight_lb": "pos", **{z: "nonneg" for z in ZONE_COLUMNS}})
    w = df["weight_lb"].to_numpy(float)
    expected = np.arange(1, len(w) + 1, dtype=float)
    if not np.array_equal(w, expected):
        i = int(np.flatnonzero(w != expected)[0])
        raise ScenarioError(f"{path}, line {i + 2}, column 'weight_lb': expected the weight break "
                            f"{i + 1} lb (every whole pound from 1 up), found {w[i]:g}; "
                            f"weight break {i + 1} lb is missing or out of order.")
    rates = np.zeros((9, len(w)))
    rates[1:] = df[list(ZONE_COLUMNS)].to_numpy(float).T
    return w, rates


def _load_cartons(path: Path, sc_tables: tuple[tuple[str, ...], np.ndarray, np.ndarray],
                  oversize_ok: bool = False) -> Cartons:
    """The carton catalog; every SKU must fit (alone) in at least one carton."""
    df = _read_csv(path, "shipping.cartons.file", {
        "carton": "str", "length_in": "pos", "width_in": "pos", "height_in": "pos",
        "max_weight_lb": "pos", "cost": "nonneg"})
    _too_large(path, df, ["length_in", "width_in", "height_in"], MAX_ITEM_IN, "inches",
               "shipping.cartons.file")
    _too_large(path, df, ["max_weight_lb"], MAX_ITEM_LB, "lb", "shipping.cartons.file")
    df["carton"] = df["carton"].str.strip()
    _unique(path, df, ["carton"], "carton")
    dims = -np.sort(-df[["length_in", "width_in", "height_in"]].to_numpy(float), axis=1)
    cartons = Cartons(names=tuple(df["carton"].str.strip()), dims_in=dims,
                      max_weight_lb=df["max_weight_lb"].to_numpy(float),
                      cost=df["cost"].to_numpy(float))
    sku_ids, sku_dims, sku_weight = sc_tables
    item = -np.sort(-sku_dims, axis=1)
    fits = np.all(item[:, None, :] <= dims[None, :, :] * (1 + 1e-9), axis=2) \
        & (sku_weight[:, None] <= cartons.max_weight_lb[None, :])
    bad = np.flatnonzero(~fits.any(axis=1))
    if len(bad) and not oversize_ok:
        k = int(bad[0])
        big = int(np.argmax(cartons.volume))
        raise ScenarioError(
            f"{path}: no carton holds SKU '{sku_ids[k]}' ({' x '.join(f'{d:g}' for d in item[k])}"
            f" in, {sku_weight[k]:g} lb); the largest carton '{cartons.names[big]}' is "
            f"{' x '.join(f'{d:g}' for d in dims[big])} in, up to "
            f"{cartons.max_weight_lb[big]:g} lb. Add a larger carton.")
    return cartons


def _read_fc_sku_table(path: Path, field: str, value: str, sc: Scenario,
                       sku_ids: tuple[str, ...], cat_path: Path
                       ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Read a table of (fc, sku, ``value``) rows, checking every FC and SKU name exists."""
    df = _read_csv(path, field, {"fc": "str", "sku": "str", value: "nonneg"})
    for c in ("fc", "sku"):
        df[c] = df[c].str.strip()
    _unique(path, df, ["fc", "sku"], "the pair")
    index = {s: i for i, s in enumerate(sku_ids)}
    # names as the optimizers write them for spreadsheets (sim.csvsafe)
    fcs, skus = (tuple(map(csv_unsafe_cell, df[c].str.strip())) for c in ("fc", "sku"))
    for i, (fc, sku) in enumerate(zip(fcs, skus, strict=True)):
        if fc not in sc.fcs:
            raise ScenarioError(f"{path}, line {i + 2}, column 'fc': unknown FC '{fc}' "
                                f"(scenario FCs: {', '.join(sc.fcs)}).")
        if sku not in index:
            raise ScenarioError(f"{path}, line {i + 2}, column 'sku': unknown SKU '{sku}' "
                                f"(not in catalog {cat_path.name}).")
    return fcs, np.array([index[k] for k in skus], np.int64), df[value].to_numpy(float)


def _read_assignment(path: Path, sc: Scenario, dest_names: tuple[str, ...],
                     sku_ids: tuple[str, ...], cat_path: Path, dest_path: Path
                     ) -> dict[str, Any]:
    """Read ``routing.assignment_file`` (region, sku, fc), checking every name and that no
    region-SKU pair is listed twice.  A file with a header and no rows is valid: every pair
    then goes to its nearest FC."""
    field = "routing.assignment_file"
    cols = ["region", "sku", "fc"]
    raw = _load_csv(path, field)
    if raw.empty and set(cols) <= set(raw.columns):
        return {"assign_dest": np.zeros(0, np.int64), "assign_sku": np.zeros(0, np.int64),
                "assign_fc": ()}
    df = _read_csv(path, field, dict.fromkeys(cols, "str"), raw)
    dest_index = {name: i for i, name in enumerate(dest_names)}  # unique: _dest_names
    sku_index = {s: i for i, s in enumerate(sku_ids)}
    dests, skus, fcs = (tuple(map(csv_unsafe_cell, df[c].str.strip())) for c in cols)
    seen: set[tuple[str, str]] = set()
    for i, (d, k, f) in enumerate(zip(dests, skus, fcs, strict=True)):
        where = f"{path}, line {i + 2}"
        if d not in dest_index:
            raise ScenarioError(f"{where}, column 'region': unknown destination '{d}' "
                                f"(not in {dest_path.name}; a name that repeats there is "
                                "written with its state, e.g. 'Columbus (OH)').")
        if k not in sku_index:
            raise ScenarioError(f"{where}, column 'sku': unknown SKU '{k}' "
                                f"(not in catalog {cat_path.name}).")
        if f not in sc.fcs:
            raise ScenarioError(f"{where}, column 'fc': unknown FC '{f}' "
                                f"(scenario FCs: {', '.join(sc.fcs)}).")
        if (d, k) in seen:
            raise ScenarioError(f"{where}: region '{d}' and SKU '{k}' are assigned twice.")
        seen.add((d, k))
    return {"assign_dest": np.array([dest_index[d] for d in dests], np.int64),
            "assign_sku": np.array([sku_index[k] for k in skus], np.int64),
            "assign_fc": fcs}


def _read_catalog(path: Path, ref: CatalogRef) -> pd.DataFrame:
    """The catalog with standard column names, in pounds and inches."""
    col = ref.column
    required = {col("sku"): "str", col("weight"): "pos", col("length"): "pos",
                col("width"): "pos", col("height"): "pos"}
    raw = _load_csv(path, "catalog.file")
    if ref.drop_incomplete:
        dims = [col(f) for f in ("weight", "length", "width", "height") if col(f) in raw]
        nums = raw[dims].apply(pd.to_numeric, errors="coerce")
        raw = raw[(nums > 0).all(axis=1)]
    for optional in ("unit_price", "popularity"):
        if col(optional) in raw.columns:
            required[col(optional)] = "nonneg"
    df = _read_csv(path, "catalog.file", required, raw)
    _too_large(path, df, [col("weight")], MAX_ITEM_LB, "lb", "catalog.file",
               WEIGHT_TO_LB[ref.weight_unit])
    _too_large(path, df, [col("length"), col("width"), col("height")], MAX_ITEM_IN, "inches",
               "catalog.file", LENGTH_TO_IN[ref.length_unit])
    out = pd.DataFrame({
        "sku": df[col("sku")].str.strip(),
        "weight_lb": df[col("weight")] * WEIGHT_TO_LB[ref.weight_unit],
        "length_in": df[col("length")] * LENGTH_TO_IN[ref.length_unit],
        "width_in": df[col("width")] * LENGTH_TO_IN[ref.length_unit],
        "height_in": df[col("height")] * LENGTH_TO_IN[ref.length_unit],
        "unit_price": df[col("unit_price")] if col("unit_price") in df else 0.0,
        "popularity": df[col("popularity")] if col("popularity") in df else 1.0,
    })
    for optional in ("category", "supplier"):
        out[optional] = (raw.loc[df.index, col(optional)].fillna("").astype(str).str.strip()
                         if col(optional) in raw.columns else "")
    dup = out["sku"][out["sku"].duplicated()]
    if len(dup):
        raise ScenarioError(f"{path}: column '{col('sku')}': SKU '{dup.iloc[0]}' appears twice.")
    if out["popularity"].sum() <= 0:
        raise ScenarioError(f"{path}: column '{col('popularity')}': all zero; nothing can be "
                            "ordered.")
    return out


def _weights_by_state(dest: pd.DataFrame, states: Mapping[str, float],
                      path: Path) -> np.ndarray:
    """Destination weights re-scaled so each state's total is its given share."""
    if "state" not in dest.columns:
        raise ScenarioError(f"{path}: demand.destinations.state_weights needs a 'state' column "
                            f"in the destinations CSV; found {list(dest.columns)}.")
    state = dest["state"].str.strip().str.upper()
    unknown = sorted(set(states) - set(state))
    if unknown:
        raise ScenarioError(f"'demand.destinations.state_weights': state(s) {unknown} have "
                            f"no destination in {path.name}.")
    w = dest["weight"].to_numpy(float)
    out = np.zeros(len(dest))
    for st, share in states.items():
        m = (state == st).to_numpy()
        total = w[m].sum()
        out[m] = share * (w[m] / total if total > 0 else 1.0 / m.sum())
    return out


def _dest_names(dest: pd.DataFrame) -> tuple[str, ...]:
    """Destination names, made unique so that files can name a destination (a routing plan,
    a report): a name that repeats gets its state, ``Columbus (OH)``, where the file has a
    ``state`` column, else its line, ``Columbus (line 12)``; without a ``name`` column,
    ``dest0``, ``dest1``, ..."""
    if "name" not in dest.columns:
        return tuple(f"dest{i}" for i in range(len(dest)))
    names = dest["name"].str.strip()
    dup = names.duplicated(keep=False).to_numpy()
    if not dup.any():
        return tuple(names)
    if "state" in dest.columns:
        tagged = names + " (" + dest["state"].str.strip() + ")"
    else:
        tagged = names + [f" (line {i + 2})" for i in range(len(dest))]
    out = np.where(dup, tagged, names)
    if len(set(out.tolist())) < len(out):  # the same name twice in one state: use lines
        out = np.where(dup, names + [f" (line {i + 2})" for i in range(len(dest))], names)
    return tuple(out.tolist())


def _load_tables(sc: Scenario, base: Path) -> ScenarioTables:
    cat_path = (base / sc.catalog.file).resolve()
    cat = _read_catalog(cat_path, sc.catalog)
    pop = cat["popularity"].to_numpy(float)
    dest_path = (base / sc.demand.destinations.file).resolve()
    dest = _read_csv(dest_path, "demand.destinations.file", {"weight": "nonneg"})
    if "zip" in dest.columns and not {"lat", "lon"} <= set(dest.columns):
        try:
            zips = [zip3_of(z) for z in dest["zip"]]
            lat, lon = load_zip3().locate(zips, f"{dest_path}, column 'zip'")
        except (ValueError, GeoError) as exc:
            raise ScenarioError(f"{dest_path}, column 'zip': {exc}.") from None
        dest["lat"], dest["lon"] = lat, lon
    else:
        dest = _read_csv(dest_path, "demand.destinations.file",
                         {"lat": "num", "lon": "num", "weight": "nonneg"})
        zips = [zip3_of(z) if str(z).strip() else "" for z in dest["zip"]] \
            if "zip" in dest.columns else []
    for col, lim in (("lat", 90), ("lon", 180)):
        out = np.flatnonzero(np.abs(dest[col].to_numpy(float)) > lim)
        if len(out):
            raise ScenarioError(f"{dest_path}, line {out[0] + 2}, column '{col}': expected a "
                                f"{'latitude' if col == 'lat' else 'longitude'} within ±{lim}.")
    if dest["weight"].sum() <= 0:
        raise ScenarioError(f"{dest_path}: column 'weight': all zero; no order has a destination.")
    zip3 = load_zip3().index()
    for name, fc in sc.fcs.items():
        if fc.zip is not None and fc.zip not in zip3:
            raise ScenarioError(f"'fcs.{name}.zip': '{fc.zip}' is not a known US 3-digit ZIP "
                                "prefix.")
    rates = {name: _load_rates((base / svc.rates).resolve(), f"services.{name}.rates")
             for name, svc in sc.services.items()}
    if rates:  # a service takes parcels up to its heaviest weight break; some service must
        heaviest = max(float(w[-1]) for w, _ in rates.values())  # take each SKU alone
        k = int(np.argmax(cat["weight_lb"].to_numpy(float)))
        if math.ceil(cat["weight_lb"].iloc[k] - 1e-9) > heaviest:
            raise ScenarioError(
                f"'services': no service takes SKU '{cat['sku'].iloc[k]}' "
                f"({cat['weight_lb'].iloc[k]:g} lb): the heaviest weight break of any rate "
                f"table is {heaviest:g} lb; extend a rate table (services.<name>.rates).")
    cartons = None if sc.shipping.cartons is None else _load_cartons(
        (base / sc.shipping.cartons.file).resolve(),
        (tuple(cat["sku"]), cat[["length_in", "width_in", "height_in"]].to_numpy(float),
         cat["weight_lb"].to_numpy(float)), sc.shipping.oversize == "own_box")
    chart = None
    if sc.carrier.zone_chart is not None:
        try:
            df, _ = read_zone_chart((base / sc.carrier.zone_chart).resolve())
        except GeoError as exc:
            raise ScenarioError(f"'carrier.zone_chart': {exc}") from None
        chart = dict(zip(zip(df["origin"], df["dest"], strict=True),
                         np.minimum(df["zone"], 8).tolist(), strict=True))
    if sc.demand.destinations.state_weights is not None:
        dest["weight"] = _weights_by_state(dest, sc.demand.destinations.state_weights, dest_path)
    names = _dest_names(dest)
    sku_ids = tuple(cat["sku"])
    kw: dict[str, Any] = {}
    if sc.inventory.file is not None:
        fc_col, sku_col, units = _read_fc_sku_table(
            (base / sc.inventory.file).resolve(), "inventory.file", "units", sc, sku_ids,
            cat_path)
        if np.any(units != np.round(units)):
            i = int(np.flatnonzero(units != np.round(units))[0])
            raise ScenarioError(f"{(base / sc.inventory.file).resolve()}, line {i + 2}, "
                                "column 'units': expected whole units.")
        kw = {"stock_fc": fc_col, "stock_sku": sku_col, "stock_units": units.astype(np.int64)}
    if sc.inventory.forecast_file is not None:
        fc_col, sku_col, rate = _read_fc_sku_table(
            (base / sc.inventory.forecast_file).resolve(), "inventory.forecast_file",
            "units_per_day", sc, sku_ids, cat_path)
        kw |= {"forecast_fc": fc_col, "forecast_sku": sku_col, "forecast_units": rate}
    if sc.routing.assignment_file is not None:
        kw |= _read_assignment((base / sc.routing.assignment_file).resolve(), sc, names,
                               sku_ids, cat_path, dest_path)
    return ScenarioTables(
        sku_ids=sku_ids,
        sku_weight_lb=cat["weight_lb"].to_numpy(float),
        sku_dims_in=cat[["length_in", "width_in", "height_in"]].to_numpy(float),
        sku_unit_price=cat["unit_price"].to_numpy(float),
        sku_popularity=pop / pop.sum(),
        sku_category=tuple(cat["category"]),
        sku_supplier=tuple(cat["supplier"]),
        dest_names=names,
        dest_lat=dest["lat"].to_numpy(float),
        dest_lon=dest["lon"].to_numpy(float),
        dest_weight=dest["weight"].to_numpy(float) / dest["weight"].sum(),
        dest_zip3=tuple(zips),
        zone_chart=chart,
        service_rates=rates,
        cartons=cartons,
        **kw,
    )


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(dict(out[k]), v)
        else:
            out[k] = v
    return out


MAX_EXTENDS = 32
"""Longest ``extends`` chain (a scenario and its ancestors) that is read."""

POLICY_FIELDS = ("routing.policy", "replenishment.policy",
                 *(f"replenishment.classes.{c}.policy" for c in ("A", "B", "C")))
"""Fields that may name a user's ``module:Class``, looked up beside the file naming it."""


def _get(data: Mapping[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data


def _read_toml(path: Path, chain: tuple[Path, ...] = (),
               origins: dict[str, Path] | None = None) -> dict[str, Any]:
    """Read a scenario file, resolving ``extends``; relative data paths stay relative to it.

    ``origins`` (if given) receives, for each of :data:`POLICY_FIELDS`, the file whose value
    won the merge: a policy module is looked up beside the file that names it.
    """
    if path in chain:
        raise ScenarioError(f"{path}: 'extends' forms a cycle: "
                            + " -> ".join(str(p) for p in (*chain, path)))
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(f"{chain[0]}: field 'extends': the chain of files it extends is "
                            f"longer than {MAX_EXTENDS} files (at {path}); flatten it.")
    if not _is_file(path):
        if chain:
            raise ScenarioError(f"{chain[-1]}: field 'extends': scenario file {path} "
                                "does not exist (or is not a regular file).")
        raise ScenarioError(f"{path}: scenario file does not exist (or is not a regular "
                            "file).")
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SCENARIO_BYTES + 1)
        if len(raw) > MAX_SCENARIO_BYTES:
            raise ScenarioError(f"{path}: larger than {MAX_SCENARIO_BYTES // 2**20} MiB; a "
                                "scenario file is a short text file (data goes in CSV files).")
        data = tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}.") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file.") from None
    except RecursionError:
        raise ScenarioError(f"{path}: arrays or tables nested too deeply.") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc.strerror or exc}.") from None
    # Data files named in this file are relative to this file.
    fields = [("catalog", "file"), ("inventory", "file"), ("inventory", "forecast_file"),
              ("carrier", "zone_chart"), ("routing", "assignment_file"),
              ("shipping", "cartons", "file"), ("demand", "destinations", "file")]
    services = data.get("services")
    if isinstance(services, dict):
        fields += [("services", name, "rates") for name in services]
    for keys in fields:
        table: Any = data
        for k in keys[:-1]:
            table = table.get(k) if isinstance(table, dict) else None
        if isinstance(table, dict) and isinstance(table.get(keys[-1]), str):
            table[keys[-1]] = str(_relative(path, table[keys[-1]], ".".join(keys)))
    parent = data.get("extends")
    if parent is None:
        _note_policies(data, path, origins)
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: field 'extends': expected a file name (string).")
    base = _read_toml(_relative(path, parent, "extends"), (*chain, path), origins)
    replace = data.get("replace", [])
    if not isinstance(replace, list) or not all(isinstance(r, str) for r in replace):
        raise ScenarioError(f"{path}: field 'replace': expected a list of section names "
                            "(e.g. [\"fcs\", \"inventory\"]).")
    for section in replace:  # these sections replace the parent's instead of merging into it
        if section not in data:
            raise ScenarioError(f"{path}: field 'replace': section '{section}' is not defined "
                                "in this file, so there is nothing to replace it with.")
        base.pop(section, None)
    _note_policies(data, path, origins)
    return _deep_merge(base, data)


def _relative(path: Path, name: str, field: str) -> Path:
    """``name`` (a file named in scenario ``path``) resolved against the folder of ``path``."""
    if not name.strip() or "\x00" in name or not name.isprintable():
        raise ScenarioError(f"{path}: field '{field}': {name!r} is not a usable file name.")
    try:
        return (path.parent / name).resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise ScenarioError(f"{path}: field '{field}': {name!r} is not a usable file name "
                            f"({exc}).") from None


def _note_policies(data: Mapping[str, Any], path: Path, origins: dict[str, Path] | None
                   ) -> None:
    if origins is None:
        return
    for f in POLICY_FIELDS:
        if isinstance(_get(data, f), str):
            origins[f] = path


MAX_SCENARIO_BYTES = 4 * 2**20


def _describe(err: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    msg = msg[:1].lower() + msg[1:]
    if err["type"] == "missing":
        return f"field '{loc}' is missing"
    if err["type"] == "extra_forbidden":
        return f"field '{loc}' is not a known field (check its spelling)"
    given = err.get("input")
    shown = "" if isinstance(given, dict | list) else f" (got {given!r})"
    if not err["loc"]:  # a check across sections: the message names its fields itself
        return f"field {msg}" if msg.startswith("shipping.") else msg
    return f"field '{loc}': {msg}{shown}"


def validate_scenario_dict(data: Mapping[str, Any], path: Path | str = "<scenario>") -> Scenario:
    """Validate a parsed scenario mapping; raise :class:`ScenarioError` with a readable message."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        parts = [_describe(e) for e in exc.errors()]
        raise ScenarioError(f"{path}: invalid scenario: " + "; ".join(parts) + ".") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge, validate and load a scenario file with its data tables.

    Loading imports no policy code: ``sim.policies.check_policies`` does that (``fulfill
    validate`` and ``run`` call it), and the model builds the policies.

    Raises
    ------
    ScenarioError
        With a one-paragraph message naming the file and field, for any problem.
    """
    path = Path(path).resolve()
    origins: dict[str, Path] = {}
    try:
        data = _read_toml(path, origins=origins)
        sc = validate_scenario_dict(data, path)
    except RecursionError:
        raise ScenarioError(f"{path}: arrays or tables nested too deeply.") from None
    sc._source = path
    sc._origins = origins
    try:
        sc._tables = _load_tables(sc, path.parent)
    except ScenarioError as exc:  # a data file named by a field that is missing or a folder
        if str(exc).startswith("'"):
            raise ScenarioError(f"{path}: field {exc}") from None
        raise
    _check_suppliers(sc, path)
    return sc


def sku_classes(popularity: np.ndarray, a_share: float, b_share: float) -> np.ndarray:
    """ABC class of each SKU (0 = A, 1 = B, 2 = C) by its share of demand: A are the most
    popular SKUs that make up ``a_share`` of demand, B the next ones up to ``b_share``."""
    pop = np.asarray(popularity, float)
    order = np.argsort(-pop, kind="stable")
    before = np.cumsum(pop[order]) - pop[order]  # demand share of the more popular SKUs
    total = pop.sum()
    cls = np.where(before < a_share * total - 1e-12, 0,
                   np.where(before < b_share * total - 1e-12, 1, 2))
    out = np.empty(len(pop), np.int64)
    out[order] = cls
    return out


CLASS_NAMES = ("A", "B", "C")


def _check_suppliers(sc: Scenario, path: Path) -> None:
    """Every SKU that is replenished needs a supplier (named in the catalog's ``supplier``
    column, else the one serving its class)."""
    t = sc.tables
    cat_file = sc.catalog.file
    suppliers = sc.supplier_table()
    for sku, sup in zip(t.sku_ids, t.sku_supplier, strict=True):
        if sup and sup not in suppliers:
            raise ScenarioError(f"{cat_file}: column 'supplier': SKU '{sku}' names supplier "
                                f"'{sup}', which is not in [suppliers] ({', '.join(suppliers)}).")
    rep = sc.replenishment
    by_class = {c: n for n, s in suppliers.items() for c in s.classes}
    cls = sku_classes(t.sku_popularity, rep.a_share, rep.b_share)
    for sku, sup, c in zip(t.sku_ids, t.sku_supplier, cls.tolist(), strict=True):
        name = CLASS_NAMES[c]
        if sup or rep.for_class(name).policy == "none" or name in by_class:
            continue
        raise ScenarioError(
            f"{path}: field 'suppliers': SKU '{sku}' (class {name}) is replenished "
            f"('{rep.for_class(name).policy}') but has no supplier: list class '{name}' in "
            "some [suppliers.<name>] classes, or name its supplier in the catalog's "
            "'supplier' column.")


def expected_units_per_order(sc: Scenario) -> float:
    """Forecast units per order (mean lines x mean units per line)."""
    return sc.demand.lines_per_order.expected() * sc.demand.units_per_line.expected()
