"""The immutable, array-based form of a scenario that the simulation and the solvers share.

A :class:`Network` replaces names by integer ids and lists by read-only numpy arrays, once, so
the hot loops of the simulation index arrays instead of looking up names, and so the optimizers
in ``optimize/`` can read the same distances, zones and forecasts without importing SimPy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from sim.geo import great_circle_miles, load_zip3, zone_of
from sim.scenario import (
    CLASS_NAMES,
    FC,
    WEEKDAYS,
    CountDist,
    ReplayOrders,
    Returns,
    Scenario,
    ScenarioTables,
    ServiceTime,
    Shift,
    Transfers,
    expected_units_per_order,
    sku_classes,
)
from sim.scenario.intake import INTAKE_REASONS
from sim.shipping import Cartons, Service, ShippingChoice, shipping_choice

DIST_CODES = {"deterministic": 0, "exponential": 1, "lognormal": 2, "gamma": 3}


class HoldMode(StrEnum):
    """What the built-in routing policies do with an order no FC can ship whole right now
    (``[hold] mode``).  Members equal their scenario names (``HoldMode.SPLIT == "split"``)."""

    SPLIT = "split"  # the nearest FC with all of it, else split across FCs, else hold
    REROUTE = "reroute"  # the nearest FC with all of it, else hold at the nearest
    BACKORDER = "backorder"  # always the nearest FC: hold there until stock arrives


HOLD_MODES = tuple(m.value for m in HoldMode)


@dataclass(frozen=True, eq=False)
class Network:
    """Everything the model needs, with integer ids: FCs ``0..F-1``, SKUs ``0..K-1``,
    destinations ``0..D-1``, channels ``0..C-1``.  All arrays are read-only.

    Times are hours from midnight of ``start_date``; weekday 0 is Monday.
    """

    name: str
    start_date: dt.date
    horizon_h: float
    warmup_h: float
    seed: int
    # facilities
    fc_names: tuple[str, ...]
    fc_lat: np.ndarray
    fc_lon: np.ndarray
    labor_cost_per_hour: np.ndarray
    fc_fixed_cost_per_day: np.ndarray  # (F,) dollars per day the FC is open
    pick_coef_h: np.ndarray  # (F, 3): hours per order, per line, per unit
    pick_dist: np.ndarray  # (F,) code in DIST_CODES
    pick_cv: np.ndarray
    pack_coef_h: np.ndarray
    pack_dist: np.ndarray
    pack_cv: np.ndarray
    shift_fc: np.ndarray  # (S,) FC of each shift
    shift_days: np.ndarray  # (S, 7) bool
    shift_start_h: np.ndarray
    shift_end_h: np.ndarray
    shift_pickers: np.ndarray  # (S,) as planned (before [staffing])
    shift_packers: np.ndarray
    # by day, with [staffing] and the shifts' dates applied: (S, n_days + 2), column d + 1 is
    # simulated day d (column 0 the day before the start: its overnight shifts run into day 0)
    shift_worked: np.ndarray  # bool: the shift is worked that day (weekday and dates)
    shift_pickers_by_day: np.ndarray  # int64 headcounts of each occurrence
    shift_packers_by_day: np.ndarray
    pickup_cutoffs_h: tuple[tuple[float, ...], ...]
    pickup_days: np.ndarray  # (F, 7) bool
    # geography and carrier
    dest_names: tuple[str, ...]
    dest_lat: np.ndarray
    dest_lon: np.ndarray
    dest_weight: np.ndarray
    dist_mi: np.ndarray  # (F, D)
    zone: np.ndarray  # (F, D) int8, 1..8
    fc_rank: np.ndarray  # (D, F): FC ids by increasing distance from each destination
    services: tuple[Service, ...]
    service_names: tuple[str, ...]
    service_pickups: tuple[tuple[tuple[tuple[float, ...], np.ndarray], ...], ...]
    # ^ [fc][service] -> (cut-off hours, (7,) bool weekdays)
    cartons: Cartons | None
    oversize: str
    shipping_policy: str
    # ^ as the scenario names it; resolved against the services in ``shipping_choice``
    delivery_hour: float
    # catalog and demand
    sku_ids: tuple[str, ...]
    sku_weight_lb: np.ndarray
    sku_dims_in: np.ndarray
    sku_unit_price: np.ndarray
    sku_popularity: np.ndarray
    orders_per_day: float
    hour_profile: np.ndarray  # (24,), sums to 1
    weekday_profile: np.ndarray  # (7,), mean 1
    season_start_day: np.ndarray  # day offsets from start_date (inclusive)
    season_end_day: np.ndarray  # inclusive
    season_mult: np.ndarray
    channel_names: tuple[str, ...]
    channel_share: np.ndarray
    channel_promise_days: np.ndarray
    # (C, 7) calendar days from the order day to the promised day, by the order's weekday
    # (Monday = 0): promise_days for calendar promises, more for business-day promises
    channel_promise_offset: np.ndarray
    lines_per_order: CountDist
    units_per_line: CountDist
    forecast_units_per_day: np.ndarray  # (F, K) under nearest-FC routing
    replay: ReplayOrders | None  # demand.mode = "replay": the file's orders, else None
    replay_scale: float
    # stock and policies
    initial_stock: np.ndarray  # (F, K) int64
    sku_class: np.ndarray  # (K,) 0 = A, 1 = B, 2 = C
    sku_unit_cost: np.ndarray  # (K,)
    sku_supplier: np.ndarray  # (K,) index into suppliers, -1 if none
    sku_return_probability: np.ndarray  # (K,)
    suppliers: tuple[SupplierSpec, ...]
    repl_classes: tuple[ClassSpec, ...]  # policy of SKU classes A, B, C
    repl_s: np.ndarray  # (F, K) int64 reorder point (sS, rQ)
    repl_S: np.ndarray  # (F, K) int64 order-up-to level (sS, RS, base_stock)
    repl_Q: np.ndarray  # (F, K) int64 order quantity (rQ)
    holding_cost_rate: float
    receiving_units_per_day: np.ndarray  # (F,) 0 = unlimited
    putaway_h: np.ndarray  # (F,)
    hold_mode: HoldMode
    cancel_after_h: float | None
    transfers: Transfers
    returns: Returns
    daily_cv: float
    daily_dist: str  # "gamma" or "normal" (see sim.scenario.Demand)
    routing_policy: str
    routing_params: MappingProxyType[str, Any]
    assigned_fc: np.ndarray  # (D, K) FC serving each destination's demand for each SKU
    routing_policy_origin: Path | None  # the scenario file naming the routing policy
    warnings: tuple[str, ...] = ()  # what the scenario asks for that changes nothing
    quality: QualitySpec | None = None  # order errors ([quality]); None: none modelled
    intake: IntakeSpec | None = None  # intake reviews ([intake]); None: no order is held
    international: IntlSpec | None = None  # orders abroad ([international]); None: none
    shipping_choice: ShippingChoice = field(init=False, repr=False)  # from shipping_policy

    def __post_init__(self) -> None:
        # names become objects once, here, so the model never compares strings
        object.__setattr__(self, "hold_mode", HoldMode(self.hold_mode))
        object.__setattr__(self, "shipping_choice",
                           shipping_choice(self.shipping_policy, self.service_names))
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v.flags.writeable = False

    @cached_property
    def fc_rank_lists(self) -> tuple[tuple[int, ...], ...]:
        """``fc_rank`` as tuples of Python ints (fast to iterate in policies)."""
        return tuple(tuple(r) for r in self.fc_rank.tolist())

    @cached_property
    def assigned_fc_lists(self) -> tuple[tuple[int, ...], ...] | None:
        """``assigned_fc`` as tuples of Python ints by destination (fast in policies), or
        None when every pair is at its nearest FC (no plan to follow)."""
        if np.array_equal(self.assigned_fc, self.fc_rank[:, :1].repeat(self.n_skus, axis=1)):
            return None
        return tuple(tuple(r) for r in self.assigned_fc.tolist())

    @property
    def n_fcs(self) -> int:
        return len(self.fc_names)

    @property
    def n_skus(self) -> int:
        return len(self.sku_ids)

    @property
    def n_dests(self) -> int:
        return len(self.dest_names)

    def weekday(self, day: int) -> int:
        """Weekday (0 = Monday) of simulated day ``day``."""
        return (self.start_date.weekday() + day) % 7

    def day_rate_multiplier(self, day: int) -> float:
        """Weekday x seasonal multiplier of the order rate on simulated day ``day``."""
        m = float(self.weekday_profile[self.weekday(day)])
        hit = (self.season_start_day <= day) & (day <= self.season_end_day)
        if hit.any():
            m *= float(np.prod(self.season_mult[hit]))
        return m

    def expected_orders(self) -> float:
        """Expected number of orders over the horizon (for preallocation and progress)."""
        total = 0.0
        full_days = int(self.horizon_h // 24)
        for d in range(full_days):
            total += self.day_rate_multiplier(d)
        frac_h = self.horizon_h - 24 * full_days
        if frac_h > 0:
            hp = np.concatenate([np.cumsum(self.hour_profile), [1.0]])
            part = float(np.interp(frac_h, np.arange(25), np.concatenate([[0.0], hp[:24]])))
            total += self.day_rate_multiplier(full_days) * part
        return total * self.orders_per_day


@dataclass(frozen=True, eq=False)
class QualitySpec:
    """Order errors compiled from ``[quality]`` and the services' damage and fees (see
    :class:`sim.scenario.Quality`): probabilities by SKU and by service, times in hours."""

    sku_mispick: np.ndarray  # (K,) probability that a line of the SKU is mis-picked
    catch_share: float  # share of mis-picks the pack check catches (0 without the check)
    scan_h_per_unit: float  # packing hours the check adds per unit (0 without the check)
    repick_h_per_line: float
    contact_h: float  # delivery -> the customer reports the error, the reship is released
    wrong_back_h: float  # delivery -> the wrong units are back at the FC
    wrong_restock_probability: float
    address_error: float
    address_corrected_share: float
    correction_delay_h: float
    service_damage: np.ndarray  # (S,)
    service_correction_fee: np.ndarray  # (S,)
    service_rts_fee: np.ndarray  # (S,)
    return_label_cost: float  # the wrong item's return label (returns.label_cost)

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v.flags.writeable = False


def build_quality(sc: Scenario, sku_class: np.ndarray) -> QualitySpec | None:
    """The scenario's order errors, or None when nothing can go wrong (no probability above
    zero and no pack check): the model then draws nothing and runs as without them."""
    q = sc.quality
    svcs = list(sc.services.values())
    damage = np.array([s.damage_probability for s in svcs] or [0.0], float)
    by_name: dict[str, float] = {str(c): p for c, p in q.mispick_by_class.items()}
    by_class = np.array([by_name.get(c, q.mispick_probability) for c in CLASS_NAMES])
    sku_mispick = by_class[sku_class]
    if not (sku_mispick.any() or q.address_error_probability > 0 or damage.any()
            or q.pack_check):
        return None
    return QualitySpec(
        sku_mispick=sku_mispick,
        catch_share=q.pack_check_catch_share if q.pack_check else 0.0,
        scan_h_per_unit=q.pack_check_sec_per_unit / 3600.0 if q.pack_check else 0.0,
        repick_h_per_line=q.repick_min_per_line / 60.0,
        contact_h=24.0 * q.contact_delay_days, wrong_back_h=24.0 * q.wrong_item_return_days,
        wrong_restock_probability=q.wrong_item_restock_probability,
        address_error=q.address_error_probability,
        address_corrected_share=q.address_corrected_share,
        correction_delay_h=24.0 * q.address_correction_delay_days,
        service_damage=damage,
        service_correction_fee=np.array([s.address_correction_fee for s in svcs] or [0.0]),
        service_rts_fee=np.array([s.return_to_sender_fee for s in svcs] or [0.0]),
        return_label_cost=sc.returns.label_cost)


@dataclass(frozen=True, eq=False)
class IntakeSpec:
    """Intake verification compiled from ``[intake]`` (see :class:`sim.scenario.Intake`)."""

    channel_probability: np.ndarray  # (C,) probability that an order is held, by channel
    reason_cum: np.ndarray  # (3,) cumulative shares of the reasons (IntakeReason order)
    corrected: np.ndarray  # (3,) probability of each outcome, by reason
    cancelled: np.ndarray  # (3,)
    review_mean_h: float  # reviewer work per order
    review_dist: int  # DIST_CODES
    review_cv: float
    hours: tuple[float, float]  # staffed from start to end (end may pass midnight)
    staffed_days: tuple[bool, ...]  # by weekday, Monday first

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v.flags.writeable = False


def build_intake(sc: Scenario) -> IntakeSpec | None:
    """The scenario's intake reviews, or None when no order can be held (the model then draws
    nothing and runs as without them)."""
    ik = sc.intake
    if not ik.on:
        return None
    p = [ik.channels[c].review_probability if c in ik.channels else ik.review_probability
         for c in sc.demand.channels]
    reasons = [ik.reasons.get(r) for r in INTAKE_REASONS]  # type: ignore[call-overload]
    share = np.array([r.share if r else 0.0 for r in reasons])
    cum = np.cumsum(share) / share.sum()
    cum[-1] = 1.0
    return IntakeSpec(
        channel_probability=np.array(p, float), reason_cum=cum,
        corrected=np.array([r.corrected if r else 0.0 for r in reasons]),
        cancelled=np.array([r.cancelled if r else 0.0 for r in reasons]),
        review_mean_h=ik.review_min.mean / 60.0, review_dist=DIST_CODES[ik.review_min.dist],
        review_cv=ik.review_min.cv, hours=(ik.hours[0], ik.hours[1]),
        staffed_days=tuple(d in ik.days for d in WEEKDAYS))


@dataclass(frozen=True, eq=False)
class IntlSpec:
    """International orders compiled from ``[international]`` (see
    :class:`sim.scenario.International`).  Group ``g`` is destination ``first_dest + g`` (after
    the domestic ones) and carrier zone ``9 + g`` (rows of the services' rate tables)."""

    group_names: tuple[str, ...]
    first_dest: int  # destination index of group 0 (the number of domestic destinations)
    channel_share: np.ndarray  # (C,) probability that an order of the channel goes abroad
    group_cum: np.ndarray  # (G,) cumulative weights of the groups (last 1)
    customs_mean_h: np.ndarray  # (G,)
    customs_dist: np.ndarray  # (G,) DIST_CODES
    customs_cv: np.ndarray  # (G,)
    duty_rate: np.ndarray  # (G,) share of the goods' value above de_minimis
    de_minimis: np.ndarray  # (G,)
    promise_extra_h: np.ndarray  # (G,) hours added to the channel's promise
    return_label_cost: np.ndarray  # (G,) nan: returns.label_cost
    ddp: np.ndarray  # (C,) bool: the shipper pays duties and taxes
    exception_by_zone: np.ndarray  # (S, 9 + G) exception probability by service and zone

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v.flags.writeable = False


def build_international(sc: Scenario, services: Sequence[Service], first_dest: int
                        ) -> IntlSpec | None:
    """The scenario's international orders, or None when no order goes abroad (the model then
    draws nothing and runs as without them)."""
    intl = sc.international
    if not intl.on:
        return None
    gs = list(intl.groups.values())
    cum = np.cumsum([g.weight for g in gs])
    cum /= cum[-1]
    cum[-1] = 1.0
    exc = np.array([[s.exception_probability] * len(s.transit_days_by_zone) for s in services])
    for j, g in enumerate(gs):
        if g.exception_probability is not None:
            exc[:, 9 + j] = g.exception_probability
    chans = list(sc.demand.channels)
    return IntlSpec(
        group_names=tuple(intl.groups), first_dest=first_dest,
        channel_share=np.array([intl.share.get(c, 0.0) for c in chans], float),
        group_cum=cum,
        customs_mean_h=np.array([g.customs_h.mean for g in gs], float),
        customs_dist=np.array([DIST_CODES[g.customs_h.dist] for g in gs], np.int64),
        customs_cv=np.array([g.customs_h.cv for g in gs], float),
        duty_rate=np.array([g.duty_rate for g in gs], float),
        de_minimis=np.array([g.de_minimis for g in gs], float),
        promise_extra_h=np.array([24.0 * g.promise_extra_days for g in gs], float),
        return_label_cost=np.array([np.nan if g.return_label_cost is None
                                    else g.return_label_cost for g in gs], float),
        ddp=np.array([c in intl.ddp_channels for c in chans], bool),
        exception_by_zone=exc)


@dataclass(frozen=True)
class SupplierSpec:
    """A supplier as the model uses it: lead time in days and ordering rules."""

    name: str
    lead_time_mean_days: float
    lead_time_dist: int  # DIST_CODES
    lead_time_cv: float
    business_days: bool
    moq_units: int
    case_pack: int
    fixed_cost_per_po: float


@dataclass(frozen=True)
class ClassSpec:
    """The replenishment policy of one SKU class: a built-in name or ``module:Class`` with
    its parameters, and when its periodic reviews happen (if it reviews periodically)."""

    name: str  # "A", "B", "C"
    policy: str
    params: MappingProxyType[str, Any]
    review_period_days: int | None
    review_weekday: int
    review_hour: float
    field: str = "replenishment.policy"  # the scenario field that sets it
    origin: Path | None = None  # the scenario file that names it (its folder holds the module)


@dataclass(frozen=True)
class Review:
    """A periodic review: the SKUs ``skus`` at every FC, every ``period_days`` at ``hour``,
    from the first ``weekday`` of the run if the period is a whole number of weeks, else from
    the first day."""

    skus: np.ndarray
    period_days: int
    weekday: int
    hour: float


def _levels(sc: Scenario, forecast: np.ndarray, sku_class: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[ClassSpec, ...]]:
    """Levels s, S, Q per FC and SKU (units) and each class's policy."""
    F, K = forecast.shape
    lv = {n: np.zeros((F, K), np.int64) for n in ("s", "S", "Q")}
    specs = []
    for c, cname in enumerate(CLASS_NAMES):
        m = sku_class == c
        cp = sc.replenishment.for_class(cname)
        field = (f"replenishment.classes.{cname}.policy" if cname in sc.replenishment.classes
                 else "replenishment.policy")
        specs.append(ClassSpec(cname, cp.policy, MappingProxyType(dict(cp.params)),
                               cp.period_days, WEEKDAYS.index(cp.review_weekday),
                               cp.review_hour, field, sc.policy_origin(field)))
        for n in ("s", "S", "Q"):
            level = cp.level(n)
            if level is None or not m.any():
                continue
            kind, v = level
            lv[n][:, m] = np.ceil(forecast[:, m] * v - 1e-9) if kind == "days" else int(v)
    lv["Q"] = np.maximum(lv["Q"], 1)
    return lv["s"], lv["S"], lv["Q"], tuple(specs)


def _service(st: ServiceTime) -> tuple[list[float], int, float]:
    return ([st.per_order_min / 60, st.per_line_min / 60, st.per_unit_min / 60],
            DIST_CODES[st.dist], st.cv)


def _fc_coordinates(fcs: list[FC]) -> tuple[np.ndarray, np.ndarray]:
    """FC positions: their own lat/lon, else the centroid of their ZIP3."""
    need = [f.zip for f in fcs if f.lat is None and f.zip is not None]
    found = iter(zip(*load_zip3().locate(need, "fcs.*.zip"), strict=True)) if need else iter(())
    lat, lon = [], []
    for f in fcs:
        if f.lat is not None and f.lon is not None:
            lat.append(f.lat)
            lon.append(f.lon)
        else:
            a, b = next(found)
            lat.append(float(a))
            lon.append(float(b))
    return np.array(lat), np.array(lon)


def _chart_zones(band: np.ndarray, fc_zip3: list[str | None], dest_zip3: tuple[str, ...],
                 chart: dict[tuple[str, str], int]) -> np.ndarray:
    """Zones from the chart where both ZIP3s are known and listed; bands elsewhere."""
    zone = band.copy()
    if not dest_zip3:
        return zone
    for i, o in enumerate(fc_zip3):
        if o is None:
            continue
        for j, d in enumerate(dest_zip3):
            z = chart.get((o, d)) if d else None
            if z is not None:
                zone[i, j] = z
    return zone


def _pickups(fc: FC, svc: Service) -> tuple[tuple[float, ...], np.ndarray]:
    """Cut-off hours and weekday mask of service ``svc`` at ``fc``: the FC's setting for the
    service, else the service's own, else the FC's default pickups."""
    own = fc.service_pickups.get(svc.name)
    cutoffs = (own.pickup_cutoffs_h if own is not None and own.pickup_cutoffs_h is not None
               else svc.pickup_cutoffs_h or fc.pickup_cutoffs_h)
    if own is not None and own.pickup_days is not None:
        days = np.array([w in own.pickup_days for w in WEEKDAYS], bool)
    elif svc.pickup_days is not None:
        days = svc.pickup_days
    else:
        days = np.array([w in fc.pickup_days for w in WEEKDAYS], bool)
    return tuple(sorted(set(cutoffs))), days


def build_services(sc: Scenario) -> tuple[Service, ...]:
    """The scenario's carrier services; without ``[services]``, one flat-rate service built from
    ``[carrier]`` (a price per parcel by zone, whatever its weight)."""
    t = sc.tables
    if not sc.services:
        c = sc.carrier
        assert c.transit_days_by_zone is not None and c.cost_by_zone is not None
        rates = np.zeros((9, 1))
        rates[1:, 0] = c.cost_by_zone
        return (Service(name=c.name, carrier=c.name, weight_breaks_lb=np.array([1e6]),
                        rates=rates, dim_divisor=0.0, dim_min_cubic_in=0.0,
                        fuel_surcharge_pct=0.0, residential_surcharge=0.0,
                        transit_days_by_zone=np.array([0, *c.transit_days_by_zone], np.int64),
                        late_probability=0.0, exception_probability=0.0,
                        business_days=c.business_days, pickup_cutoffs_h=None,
                        pickup_days=None),)
    out = []
    groups = list(sc.international.groups) if sc.international.on else []
    for name, s in sc.services.items():
        assert t.service_rates is not None
        breaks, rates = t.service_rates[name]
        if s.international:  # zones 9 + g: the groups (see sim.scenario.International)
            transit = [0] * 8 + [s.transit_days_by_group.get(g, 0) for g in groups]
            rates = rates[:9 + len(groups)]  # no order goes abroad: zones 1-8 (all inf)
        else:
            assert s.transit_days_by_zone is not None
            transit = list(s.transit_days_by_zone)
            if groups:  # a domestic service carries no parcel abroad
                rates = np.vstack([rates, np.full((len(groups), rates.shape[1]), np.inf)])
                transit += [0] * len(groups)
        out.append(Service(
            name=name, carrier=s.carrier or name, weight_breaks_lb=breaks, rates=rates,
            dim_divisor=s.dim_divisor or 0.0, dim_min_cubic_in=s.dim_min_cubic_in,
            fuel_surcharge_pct=s.fuel_surcharge_pct, residential_surcharge=s.residential_surcharge,
            transit_days_by_zone=np.array([0, *transit], np.int64),
            late_probability=s.late_probability, exception_probability=s.exception_probability,
            business_days=s.business_days, discount_pct=s.discount_pct,
            surcharge_discount_pct=s.surcharge_discount_pct,
            pickup_cutoffs_h=None if s.pickup_cutoffs_h is None
            else tuple(sorted(set(s.pickup_cutoffs_h))),
            pickup_days=None if s.pickup_days is None
            else np.array([w in s.pickup_days for w in WEEKDAYS], bool)))
    return tuple(out)


def _assigned_fc(t: ScenarioTables, names: Sequence[str], fc_rank: np.ndarray
                 ) -> np.ndarray:
    """FC of each destination-SKU pair: the nearest, unless ``routing.assignment_file``
    names another open FC (pairs assigned to an FC not open in this scenario keep the
    nearest, as their forecast does)."""
    out = np.repeat(fc_rank[:, :1], len(t.sku_ids), axis=1)
    if t.assign_dest is not None and t.assign_sku is not None:
        for d, k, fc in zip(t.assign_dest.tolist(), t.assign_sku.tolist(), t.assign_fc,
                            strict=True):
            if fc in names:
                out[d, k] = names.index(fc)
    return out


def _promise_offsets(days: int, business: bool) -> list[int]:
    """Calendar days from an order placed on each weekday (Monday first) to its promised day:
    ``days`` itself, or with business days the ``days``-th weekday after the first weekday on
    or after the order day (a Saturday order with 3 business days: Thursday, 5 days later)."""
    if not business:
        return [days] * 7
    monday = np.datetime64("2024-01-01")  # a Monday; weekdays repeat, holidays are not modelled
    week = monday + np.arange(7)
    due = np.busday_offset(week, days, roll="forward")
    return [int(x) for x in (due - week).astype(np.int64)]


def scale_heads(heads: np.ndarray, factor: float) -> np.ndarray:
    """Headcounts times ``factor``, to the nearest whole person (halves up), never below 0."""
    return np.maximum(np.floor(np.asarray(heads, float) * factor + 0.5 + 1e-9), 0).astype(
        np.int64)


def _staffing(sc: Scenario, names: Sequence[str], shifts: Sequence[tuple[int, str, Shift]]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Each shift's occurrences over the run: worked or not (weekdays, the shift's dates) and
    its pickers and packers (``[staffing]``), by day from the day before the start (see
    :attr:`Network.shift_worked`); and warnings for dates that lie outside the run."""
    start = sc.run.start_date
    n_days = int(np.ceil(24.0 * sc.run.horizon_days / 24.0))
    day = np.arange(-1, n_days + 1)
    date = start.toordinal() + day
    weekday = (start.weekday() + day) % 7
    first, last = start, start + dt.timedelta(days=n_days - 1)
    warnings = []

    def outside(a: dt.date | None, b: dt.date | None) -> bool:
        return (b is not None and b < first) or (a is not None and a > last)

    worked = np.zeros((len(shifts), len(day)), bool)
    for j, (f, name, s) in enumerate(shifts):
        on = np.array([w in s.days for w in WEEKDAYS], bool)[weekday]
        if s.start_date is not None:
            on &= date >= s.start_date.toordinal()
        if s.end_date is not None:
            on &= date <= s.end_date.toordinal()
        worked[j] = on
        if outside(s.start_date, s.end_date):
            warnings.append(f"fcs.{names[f]}.shifts.{name}: its dates ({s.start_date or '...'} "
                            f"to {s.end_date or '...'}) lie outside the run ({first} to {last}); "
                            "the shift is never worked")
    st = sc.staffing
    plan_pk = scale_heads(np.array([s.pickers for _, _, s in shifts]), st.factor)
    plan_pa = scale_heads(np.array([s.packers for _, _, s in shifts]), st.factor)
    pickers = np.repeat(plan_pk[:, None], len(day), axis=1)
    packers = np.repeat(plan_pa[:, None], len(day), axis=1)
    for i, ch in enumerate(st.changes):
        where = f"staffing.changes.{i}"
        if outside(ch.start, ch.end):
            warnings.append(f"{where}: {ch.start} to {ch.end} lies outside the run ({first} to "
                            f"{last}); it changes nothing")
            continue
        rows = np.array([(ch.fcs is None or names[f] in ch.fcs)
                         and (ch.shifts is None or name in ch.shifts)
                         for f, name, _ in shifts], bool)
        if not rows.any():
            warnings.append(f"{where}: names no shift of an FC open in this run; it changes "
                            "nothing")
            continue
        cols = (date >= ch.start.toordinal()) & (date <= ch.end.toordinal())
        sel = np.ix_(rows, cols)
        if ch.factor is not None:
            pickers[sel] = scale_heads(plan_pk[rows], ch.factor)[:, None]
            packers[sel] = scale_heads(plan_pa[rows], ch.factor)[:, None]
        if ch.pickers is not None:
            pickers[sel] = ch.pickers
        if ch.packers is not None:
            packers[sel] = ch.packers
    return worked, pickers, packers, tuple(warnings)


def _demand_weights(sc: Scenario, dest_weight: np.ndarray) -> np.ndarray:
    """Expected share of orders by destination (domestic ones, then the groups abroad), for
    the forecast: the domestic weights scaled by the share of orders that stays home."""
    intl = sc.international
    w = dest_weight / dest_weight.sum()
    if not intl.on:
        return dest_weight
    rp = sc.tables.replay
    if rp is not None and rp.has_groups:  # the history's own destinations, abroad included
        return np.bincount(rp.dest, minlength=len(dest_weight)) / rp.n_orders
    chans = sc.demand.channels
    abroad = sum(c.share * intl.share.get(n, 0.0) for n, c in chans.items()) / sum(
        c.share for c in chans.values())
    g = np.array([x.weight for x in intl.groups.values()], float)
    n_dom = len(w) - len(g)
    return np.concatenate([w[:n_dom] * (1 - abroad), g / g.sum() * abroad])


def build_network(sc: Scenario) -> Network:
    """Compile a validated scenario into a :class:`Network` (open FCs only)."""
    t = sc.tables
    names = sc.open_fc_names
    fcs = [sc.fcs[n] for n in names]
    fc_lat, fc_lon = _fc_coordinates(fcs)
    intl = sc.international
    groups = list(intl.groups.values()) if intl.on else []
    n_dom = len(t.dest_names)
    dest_lat = np.concatenate([t.dest_lat, [g.lat for g in groups]])
    dest_lon = np.concatenate([t.dest_lon, [g.lon for g in groups]])
    dest_weight = np.concatenate([t.dest_weight, np.zeros(len(groups))])  # drawn apart
    dist = great_circle_miles(fc_lat[:, None], fc_lon[:, None], dest_lat[None, :],
                              dest_lon[None, :])
    zone = zone_of(dist, np.asarray(sc.carrier.zone_max_miles))
    if t.zone_chart is not None:
        zone = _chart_zones(zone, [f.zip for f in fcs], t.dest_zip3, t.zone_chart)
    if groups:  # group g is zone 9 + g (international services price it)
        zone[:, n_dom:] = 9 + np.arange(len(groups))
    fc_rank = np.argsort(dist.T, axis=1, kind="stable").astype(np.int64)

    pick = [_service(f.pick_time) for f in fcs]
    pack = [_service(f.pack_time) for f in fcs]
    shifts = [(i, n, s) for i, f in enumerate(fcs) for n, s in f.shifts.items()]
    worked, pickers_by_day, packers_by_day, warnings = _staffing(sc, names, shifts)

    d = sc.demand
    hour = np.asarray(d.hour_profile, float)
    week = np.asarray(d.weekday_profile, float)
    start = sc.run.start_date
    chans = list(d.channels.items())

    units_per_order = expected_units_per_order(sc)
    orders_per_day = d.orders_per_day
    if t.replay is not None:  # stock and replenishment follow the replayed demand
        units_per_order = t.replay.units_per_order()
        orders_per_day = t.replay.n_orders * d.scale / t.replay.days_covered()
    catchment = np.bincount(fc_rank[:, 0], weights=_demand_weights(sc, dest_weight),
                            minlength=len(fcs))
    forecast = orders_per_day * units_per_order * catchment[:, None] * t.sku_popularity[None, :]
    if t.forecast_units is not None and t.forecast_sku is not None:  # e.g. from a placement
        forecast = np.zeros_like(forecast)
        for fc, k, r in zip(t.forecast_fc, t.forecast_sku, t.forecast_units, strict=True):
            if fc in names:  # FCs not open in this scenario forecast nothing
                forecast[names.index(fc), k] += r

    if sc.inventory.file is not None:
        assert t.stock_units is not None and t.stock_sku is not None
        stock = np.zeros((len(fcs), len(t.sku_ids)), np.int64)
        for fc, k, u in zip(t.stock_fc, t.stock_sku, t.stock_units, strict=True):
            if fc in names:
                stock[names.index(fc), k] += u
    else:
        assert sc.inventory.days is not None
        stock = np.ceil(forecast * sc.inventory.days).astype(np.int64)
    rep = sc.replenishment
    services = build_services(sc)
    sku_class = sku_classes(t.sku_popularity, rep.a_share, rep.b_share)
    s_lv, S_lv, Q_lv, class_specs = _levels(sc, forecast, sku_class)
    sup_table = sc.supplier_table()
    sup_names = list(sup_table)
    by_class = {c: sup_names.index(n) for n, sp in sup_table.items() for c in sp.classes}
    sku_supplier = np.array([sup_names.index(own) if own else by_class.get(CLASS_NAMES[c], -1)
                             for own, c in zip(t.sku_supplier or ("",) * len(t.sku_ids),
                                               sku_class.tolist(), strict=True)], np.int64)
    share = np.array([sup_table[sup_names[i]].unit_cost_share if i >= 0 else 0.5
                      for i in sku_supplier.tolist()])
    ret = sc.returns
    cats = t.sku_category or ("",) * len(t.sku_ids)
    ret_p = np.array([ret.by_category.get(c, ret.probability) for c in cats], float)

    return Network(
        name=sc.name,
        start_date=start,
        horizon_h=24.0 * sc.run.horizon_days,
        warmup_h=24.0 * sc.run.warmup_days,
        seed=sc.run.seed,
        fc_names=tuple(names),
        fc_lat=fc_lat,
        fc_lon=fc_lon,
        labor_cost_per_hour=np.array([f.labor_cost_per_hour for f in fcs]),
        fc_fixed_cost_per_day=np.array([f.fixed_cost_per_day for f in fcs], float),
        pick_coef_h=np.array([p[0] for p in pick]),
        pick_dist=np.array([p[1] for p in pick], np.int64),
        pick_cv=np.array([p[2] for p in pick]),
        pack_coef_h=np.array([p[0] for p in pack]),
        pack_dist=np.array([p[1] for p in pack], np.int64),
        pack_cv=np.array([p[2] for p in pack]),
        shift_fc=np.array([i for i, _, _ in shifts], np.int64),
        shift_days=np.array([[w in s.days for w in WEEKDAYS] for _, _, s in shifts], bool)
        .reshape(-1, 7),
        shift_start_h=np.array([s.start_h for _, _, s in shifts]),
        shift_end_h=np.array([s.end_h for _, _, s in shifts]),
        shift_pickers=np.array([s.pickers for _, _, s in shifts], np.int64),
        shift_packers=np.array([s.packers for _, _, s in shifts], np.int64),
        shift_worked=worked,
        shift_pickers_by_day=pickers_by_day,
        shift_packers_by_day=packers_by_day,
        pickup_cutoffs_h=tuple(tuple(sorted(set(f.pickup_cutoffs_h))) for f in fcs),
        pickup_days=np.array([[w in f.pickup_days for w in WEEKDAYS] for f in fcs], bool),
        dest_names=(*t.dest_names, *intl.groups) if groups else t.dest_names,
        dest_lat=dest_lat,
        dest_lon=dest_lon,
        dest_weight=dest_weight,
        dist_mi=dist,
        zone=zone,
        fc_rank=fc_rank,
        services=services,
        service_names=tuple(s.name for s in services),
        service_pickups=tuple(tuple(_pickups(fc, s) for s in services) for fc in fcs),
        cartons=t.cartons,
        oversize=sc.shipping.oversize,
        shipping_policy=sc.shipping.policy,
        delivery_hour=sc.carrier.delivery_hour,
        sku_ids=t.sku_ids,
        sku_weight_lb=t.sku_weight_lb,
        sku_dims_in=t.sku_dims_in,
        sku_unit_price=t.sku_unit_price,
        sku_popularity=t.sku_popularity,
        orders_per_day=orders_per_day,
        hour_profile=hour / hour.sum(),
        weekday_profile=week / week.mean(),
        season_start_day=np.array([(s.start - start).days for s in d.seasonality], np.int64),
        season_end_day=np.array([(s.end - start).days for s in d.seasonality], np.int64),
        season_mult=np.array([s.multiplier for s in d.seasonality], float),
        channel_names=tuple(n for n, _ in chans),
        channel_share=np.array([c.share for _, c in chans]),
        channel_promise_days=np.array([c.promise_days for _, c in chans], np.int64),
        channel_promise_offset=np.array([_promise_offsets(c.promise_days,
                                                          c.promise_business_days)
                                         for _, c in chans], np.int64).reshape(-1, 7),
        lines_per_order=d.lines_per_order,
        units_per_line=d.units_per_line,
        forecast_units_per_day=forecast,
        replay=t.replay,
        replay_scale=d.scale,
        initial_stock=stock,
        sku_class=sku_class,
        sku_unit_cost=share * t.sku_unit_price,
        sku_supplier=sku_supplier,
        sku_return_probability=ret_p,
        suppliers=tuple(SupplierSpec(
            name=n, lead_time_mean_days=sp.lead_time_days.mean,
            lead_time_dist=DIST_CODES[sp.lead_time_days.dist], lead_time_cv=sp.lead_time_days.cv,
            business_days=sp.lead_time_days.business_days, moq_units=sp.moq_units,
            case_pack=sp.case_pack, fixed_cost_per_po=sp.fixed_cost_per_po)
            for n, sp in sup_table.items()),
        repl_classes=class_specs,
        repl_s=s_lv,
        repl_S=S_lv,
        repl_Q=Q_lv,
        holding_cost_rate=rep.holding_cost_rate,
        receiving_units_per_day=np.array([f.receiving.units_per_day for f in fcs], np.int64),
        putaway_h=np.array([f.receiving.putaway_h for f in fcs], float),
        hold_mode=HoldMode(sc.hold.mode),
        cancel_after_h=None if sc.hold.cancel_after_days is None
        else 24.0 * sc.hold.cancel_after_days,
        transfers=sc.transfers,
        returns=sc.returns,
        daily_cv=d.daily_cv,
        daily_dist=d.daily_dist,
        routing_policy=sc.routing.policy,
        routing_params=MappingProxyType(dict(sc.routing.params)),
        assigned_fc=_assigned_fc(t, names, fc_rank),
        routing_policy_origin=sc.policy_origin("routing.policy"),
        warnings=warnings,
        quality=build_quality(sc, sku_class),
        intake=build_intake(sc),
        international=build_international(sc, services, n_dom),
    )
