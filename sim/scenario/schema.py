"""The scenario schema: one pydantic model per section and :class:`Scenario`, validated once
so that every later stage can trust its input (see :mod:`sim.scenario`)."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from sim.geo import zip3_of
from sim.scenario.carriers import Carrier, ServiceConfig, Shipping
from sim.scenario.intake import Intake
from sim.scenario.international import International
from sim.scenario.quality import Quality
from sim.scenario.types import (
    CV,
    MAX_CODES,
    MAX_DAYS,
    WEEKDAYS,
    Count,
    CountDist,
    Date,
    Days,
    Minutes,
    Money,
    Pos,
    ScenarioError,
    ServiceTime,
    Weight,
    _Model,
    _weekday_list,
)
from sim.shipping import check_policy

if TYPE_CHECKING:
    from sim.scenario.tables import ScenarioTables

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


class Shift(_Model):
    """A labor shift: who is on the floor, on which weekdays, from when to when.

    ``end_h`` may exceed 24 for a shift that runs past midnight (e.g. 22 to 30).
    ``start_date``/``end_date`` (inclusive, either may be left out) limit the shift to those
    dates, e.g. a temporary peak shift; an occurrence belongs to the date it starts on.
    """

    days: list[str]
    start_h: float = Field(ge=0, lt=24)
    end_h: float = Field(gt=0, le=48)
    pickers: Count
    packers: Count
    start_date: Date | None = None
    end_date: Date | None = None

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
        if self.start_date is not None and self.end_date is not None \
                and self.end_date < self.start_date:
            raise ValueError(f"end_date ({self.end_date}) must not be before start_date "
                             f"({self.start_date})")
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
    ``fixed_cost_per_day`` (rent, utilities, overhead) is charged for every day the FC is open
    (see the ``fixed_cost_per_order`` KPI).
    ``pickup_cutoffs_h``/``pickup_days`` are the FC's default carrier pickups;
    ``service_pickups.<service>`` overrides them for one service at this FC (e.g. a later
    air pickup), which in turn beats the service's own ``pickup_cutoffs_h``/``pickup_days``.
    """

    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    zip: str | None = None
    labor_cost_per_hour: Money
    fixed_cost_per_day: Money = 0.0  # rent, utilities, overhead: dollars per day open
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


StaffFactor = Annotated[float, Field(ge=0, le=1000)]  # a headcount multiplier


class StaffingChange(_Model):
    """Headcount from ``start`` to ``end`` (inclusive) of shifts ``shifts`` of FCs ``fcs``
    (default all): ``pickers``/``packers`` set (either alone keeps the other), or ``factor``
    scales both (0: closed, e.g. a holiday or a strike)."""

    start: Date
    end: Date
    fcs: list[str] | None = Field(default=None, min_length=1)
    shifts: list[str] | None = Field(default=None, min_length=1)
    pickers: Count | None = None
    packers: Count | None = None
    factor: StaffFactor | None = None

    @model_validator(mode="after")
    def _check(self) -> StaffingChange:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) must not be before start ({self.start})")
        set_heads = self.pickers is not None or self.packers is not None
        if self.factor is not None and set_heads:
            raise ValueError("give factor, or pickers/packers, not both")
        if self.factor is None and not set_heads:
            raise ValueError("give pickers and/or packers (headcounts), or factor")
        return self


class Staffing(_Model):
    """``factor`` scales every shift's pickers and packers (to the nearest whole person, halves
    up); then ``changes`` apply in order, a later one winning where they overlap.  A change's
    ``factor`` scales the headcount after the global factor, not an earlier change's."""

    factor: StaffFactor = 1.0
    changes: list[StaffingChange] = Field(default_factory=list)


def _nearest(name: str, names: list[str]) -> str:
    """``" (did you mean 'x'?)"`` for the names closest to ``name``, or nothing."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


class Channel(_Model):
    """An order channel: its share of orders and its delivery promise.  ``promise_days``
    counts calendar days after the order day (delivered by the end of that day); with
    ``promise_business_days = true`` it counts business days (Monday to Friday) after the
    first business day on or after the order day, as marketplaces state "3 business days"."""

    share: Pos
    promise_days: int = Field(ge=0, le=60)
    promise_business_days: bool = False


class Season(_Model):
    start: Date
    end: Date
    multiplier: float = Field(ge=0, le=1e6)

    @model_validator(mode="after")
    def _order(self) -> Season:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


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

    ``daily_dist = "gamma"`` (default): a gamma factor (mean 1, cv ``daily_cv``) on the day's
    rate; a day's count, expected ``m``, has variance ``m + (daily_cv m)^2``, never below the
    mean.  ``"normal"``: the day's count is Normal(``m``, sd ``daily_cv m``) truncated at 0 and
    rounded (variance below the mean if wanted), spread over the hours by the hour profile
    (multinomial), uniformly within each hour.
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
    daily_dist: Literal["gamma", "normal"] = "gamma"
    mode: Literal["synthetic", "replay"] = "synthetic"
    """``replay``: the orders of ``orders_file`` (written by ``fulfill import orders``) at their
    own times, lines and destinations, instead of the Poisson process above."""
    orders_file: str | None = None
    scale: float = Field(default=1.0, gt=0, le=100)
    """Replay only: volume factor.  Each order of the file is placed ``floor(scale)`` or
    ``ceil(scale)`` times (the fraction by a draw from the arrivals stream); a copy beyond the
    first goes at a uniform time within the same hour as the original."""

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

    @model_validator(mode="after")
    def _replay(self) -> Demand:
        if self.mode == "replay" and not self.orders_file:
            raise ValueError("mode 'replay' needs orders_file (a table written by "
                             "'fulfill import orders')")
        if self.mode == "synthetic" and self.scale != 1.0:
            raise ValueError("scale applies to mode 'replay' only; for synthetic demand "
                             "change orders_per_day")
        return self


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
    ``review_weekday`` places the reviews of a period of whole weeks (7, 14, ...: the first on
    that weekday on or after the start); other periods review from the first day of the run.
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
    quality: Quality = Quality()
    intake: Intake = Intake()
    international: International = International()
    carrier: Carrier
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    shipping: Shipping = Shipping()
    routing: Routing = Routing()
    staffing: Staffing = Staffing()

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
    def _staffing_names(self) -> Scenario:
        fc_names = list(self.fcs)
        for i, ch in enumerate(self.staffing.changes):
            where = f"staffing.changes.{i}"
            for n in ch.fcs or ():
                if n not in self.fcs:
                    raise ValueError(f"{where}.fcs: unknown FC {n!r}{_nearest(n, fc_names)}; "
                                     f"FCs are {fc_names}")
            targets = ch.fcs or fc_names
            shift_names = list(dict.fromkeys(s for n in targets for s in self.fcs[n].shifts))
            for n in ch.shifts or ():
                if n not in shift_names:
                    of = f"at FC(s) {list(targets)}" if ch.fcs else "at any FC"
                    raise ValueError(f"{where}.shifts: no shift {n!r} {of}"
                                     f"{_nearest(n, shift_names)}; shifts are {shift_names}")
        return self

    @model_validator(mode="after")
    def _intake_channels(self) -> Scenario:
        names = list(self.demand.channels)
        for n in self.intake.channels:
            if n not in self.demand.channels:
                raise ValueError(f"intake.channels: unknown channel {n!r}{_nearest(n, names)}; "
                                 f"channels are {names}")
        return self

    @model_validator(mode="after")
    def _international(self) -> Scenario:
        intl, names = self.international, list(self.demand.channels)
        for field, given in (("share", list(intl.share)), ("ddp_channels", intl.ddp_channels)):
            for n in given:
                if n not in self.demand.channels:
                    raise ValueError(f"international.{field}: unknown channel {n!r}"
                                     f"{_nearest(n, names)}; channels are {names}")
        groups = list(intl.groups)
        for name, svc in self.services.items():
            for g in svc.transit_days_by_group:
                if g not in intl.groups:
                    raise ValueError(f"services.{name}.transit_days_by_group: unknown country "
                                     f"group {g!r}{_nearest(g, groups)}; groups are {groups} "
                                     "(international.groups)")
        if not intl.on:
            return self
        if self.shipping.policy.startswith("fixed:"):
            raise ValueError(f"shipping.policy: '{self.shipping.policy}' sends every parcel "
                             "with one service, but [international] needs domestic and "
                             "international services")
        for g in groups:
            if not any(g in s.transit_days_by_group for s in self.services.values()
                       if s.international):
                raise ValueError(f"international.groups.{g}: no service carries parcels to "
                                 "it (give a [services.<name>] with international = true and "
                                 f"transit_days_by_group.{g})")
        if not any(not s.international for s in self.services.values()):
            raise ValueError("international: every service is international; domestic orders "
                             "need a domestic service")
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

    def with_policy_origins(self, moved: Mapping[str, Path]) -> Scenario:
        """A copy whose policy fields in ``moved`` are looked up beside other files (a Dask
        worker's copies of the policy files, see :mod:`sim.experiments.runs`)."""
        return self.model_copy().with_files(self._source, {**self._origins, **moved},
                                            self._tables)

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
        return self.with_data(data)

    def with_data(self, data: Mapping[str, Any]) -> Scenario:
        """A scenario validated from ``data`` (a changed :meth:`model_dump` of this one), with
        this one's files and tables: for changes that name no data file."""
        new = validate_scenario_dict(data, self._source or "<scenario>")
        return new.with_files(self._source, self._origins, self._tables)

    def with_files(self, source: Path | None, origins: Mapping[str, Path],
                   tables: ScenarioTables | None) -> Scenario:
        """This scenario bound to what was read with it: the file it came from, the file that
        named each policy field (:data:`sim.scenario.POLICY_FIELDS`), and its data tables.
        The one place these private attributes are set (:func:`load_scenario` calls it)."""
        self._source = source
        self._origins = dict(origins)
        self._tables = tables
        return self

    def digest(self) -> str:
        """SHA-256 of the resolved scenario and its data tables: identifies what was run."""
        h = hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode())
        if self._tables is not None:
            for arr in self._tables.hash_parts():
                h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()


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


def expected_units_per_order(sc: Scenario) -> float:
    """Forecast units per order (mean lines x mean units per line)."""
    return sc.demand.lines_per_order.expected() * sc.demand.units_per_line.expected()
