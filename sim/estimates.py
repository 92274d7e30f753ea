"""What a routing policy may ask the simulation to estimate (through :class:`sim.state.StateView`).

Labor (mean task hours, queued work, the staffing plan's hours), when a shipment released now
would be packed, when each service would deliver it, and its landed cost.  The estimates read
the live labor pools and the plans (shift calendar, carrier pickups) but change nothing, so a
policy's questions never alter the run.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import cast

import numpy as np
import simpy

from sim.block_prices import WAVE_CLOCK_TOL_H, BlockOrders, BlockPrices
from sim.labor import LaborPool, StaffingPlan
from sim.network import Network
from sim.shipping import Shipper, delivery_times_by_zone
from sim.state import OrderView

PICKUP_DAYS_PAST_HORIZON = 8
"""Carrier pickups are listed this many days past the run's end: labels made near the end
still expect one."""


def pickup_times(net: Network) -> list[list[list[float]]]:
    """Every carrier pickup of each FC and service ``[fc][service]``, in hours (past the
    horizon too, :data:`PICKUP_DAYS_PAST_HORIZON`)."""
    n_days = int(np.ceil(net.horizon_h / 24.0))
    out: list[list[list[float]]] = []
    for f in range(net.n_fcs):
        row = []
        for cutoffs, days in net.service_pickups[f]:
            week = days.tolist()
            row.append([24.0 * day + c for day in range(n_days + PICKUP_DAYS_PAST_HORIZON)
                        if week[net.weekday(day)] for c in cutoffs])
        out.append(row)
    return out


class Estimates:
    """Estimates for policies from the live pools and the run's plans.

    Parameters
    ----------
    net : Network
    env : simpy.Environment
        The run's clock.
    pickers, packers : sequence of LaborPool
        Each FC's pools (their queued work).
    staffing : StaffingPlan
    shipper : Shipper
        Cartons and prices (shared with the model, so quotes are cached once).
    """

    __slots__ = (
        "_arrivals",
        "_choice",
        "_done_now",
        "_labor_rate",
        "_n_services",
        "_on_time",
        "_pack_coef",
        "_pick_coef",
        "_pickups_np",
        "_rows_at",
        "_set_post",
        "_set_unit",
        "_set_unit_lists",
        "_shipper",
        "_split_fixed",
        "_split_line",
        "_split_post",
        "_split_unit",
        "_staff_np",
        "_staffed",
        "_start_day64",
        "_unit_post",
        "_weight",
        "_zone",
        "_zone_post",
        "_zone_set",
        "_zone_set_of",
        "blocks",
        "env",
        "net",
        "packers",
        "pickers",
        "picking_over_h",
        "pickup_times",
        "staffing",
    )

    def __init__(self, net: Network, env: simpy.Environment, pickers: Sequence[LaborPool],
                 packers: Sequence[LaborPool], staffing: StaffingPlan,
                 shipper: Shipper) -> None:
        self.net = net
        self.env = env
        self.pickers, self.packers = pickers, packers
        self.staffing = staffing
        # from when no shipment released is ever picked, so every delivery estimate is inf:
        # the end of the last shift with pickers, plus twice the wave clock's tolerance (the
        # calendar's prices of a wave release its orders at the wave's time, which the clock
        # may pass by that much: they too must release them after that end)
        self.picking_over_h = staffing.pickers_end_h + 2.0 * WAVE_CLOCK_TOL_H
        self.pickup_times = pickup_times(net)
        self._arrivals: dict[tuple[int, int, float], tuple[np.ndarray, np.ndarray]] = {}
        self._on_time: dict[tuple[int, int, float], list[float]] = {}  # arrival()[0] as list
        self._done_now = -math.inf  # the clock time _rows_at holds results for
        # (FC, queued pick h, queued pack h, pick h, pack h) -> delivery by zone per service
        self._rows_at: dict[tuple[int, float, float, float, float], list[list[float] | None]] = {}
        self.blocks = BlockPrices(self)
        self._pickups_np: dict[tuple[int, int], np.ndarray] = {}
        self._staff_np: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._staffed: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._shipper = shipper
        self._choice = net.shipping_choice
        self._n_services = len(net.services)
        self._zone = net.zone.tolist()
        self._pick_coef = [tuple(r) for r in net.pick_coef_h.tolist()]
        self._pack_coef = [tuple(r) for r in net.pack_coef_h.tolist()]
        self._labor_rate = net.labor_cost_per_hour.tolist()
        self._start_day64 = np.datetime64(net.start_date)
        self._split_bound_tables(net, shipper)

    def _split_bound_tables(self, net: Network, shipper: Shipper) -> None:
        """Tables of :meth:`split_lower_bound`: the least per-shipment labor cost over the
        FCs and the least labor cost per line and per unit; by destination, lines
        ``(a, b)`` (``a, b >= 0``) with ``a + b * w`` at most the price of one parcel of
        billable weight ``w`` for every service, weight and zone of an FC to it.  Disabled
        (``None``) when a negative cost or coefficient would make them invalid."""
        self._split_fixed = -math.inf
        self._split_line = self._split_unit = 0.0
        self._split_post: list[list[tuple[float, float]]] | None = None
        self._set_unit: np.ndarray | None = None
        self._weight = shipper.sku_weight
        rate = self._labor_rate
        coef = [(*p, *q) for p, q in zip(self._pick_coef, self._pack_coef, strict=True)]
        cartons = shipper.cartons
        if (net.n_fcs == 0 or any(x < 0 for x in rate) or any(x < 0 for row in coef for x in row)
                or (cartons is not None and any(c < 0 for c in cartons.costs))
                or any(w < 0 for w in shipper.sku_weight)):
            return
        # least parcel price by zone and billable pounds (at each weight break)
        by_zone: list[dict[float, float]] = []
        n_zones = shipper.services[0].n_zones
        for z in range(n_zones):
            least: dict[float, float] = {}
            for svc in shipper.services:
                for b in svc.weight_breaks_lb.tolist():
                    p = svc.price(z, float(b))
                    least[b] = min(least.get(b, math.inf), p)
            by_zone.append(least)
        if any(p < 0 or math.isnan(p) for d in by_zone for p in d.values()):
            return
        lines_of: dict[tuple[int, ...], list[tuple[float, float]]] = {}  # by set of zones
        post, zone_set = [], []
        for d in range(len(self._zone[0])):
            zones = tuple(sorted({self._zone[f][d] for f in range(net.n_fcs)}))
            if zones not in lines_of:
                least = {}
                for z in zones:
                    for b, p in by_zone[z].items():
                        least[b] = min(least.get(b, math.inf), p)
                lines_of[zones] = _under_lines(least)
            post.append(lines_of[zones])
            zone_set.append(list(lines_of).index(zones))
        self._split_post = post
        self._zone_post = [_under_lines(by_zone[z]) for z in range(n_zones)]
        self._unit_post = _unit_parcel_bounds(shipper)
        # by set of zones, as arrays (for _split_bounds): the post lines padded with
        # (-inf, 0), and each SKU's least unit parcel over the set's zones
        self._zone_set = np.array(zone_set, np.intp)
        width = max(len(v) for v in lines_of.values())
        pad = [v + [(-math.inf, 0.0)] * (width - len(v)) for v in lines_of.values()]
        arr = np.array(pad, float).reshape(len(pad), width, 2)
        self._set_post = (arr[:, :, 0], arr[:, :, 1])
        unit = np.asarray(self._unit_post, float)
        self._set_unit = np.array([unit[list(zones)].min(axis=0) for zones in lines_of])
        self._set_unit_lists = self._set_unit.tolist()
        self._zone_set_of = self._zone_set.tolist()
        self._split_fixed = min((c[0] + c[3]) * r for c, r in zip(coef, rate, strict=True))
        self._split_line = min((c[1] + c[4]) * r for c, r in zip(coef, rate, strict=True))
        self._split_unit = min((c[2] + c[5]) * r for c, r in zip(coef, rate, strict=True))

    def arrival(self, f: int, s: int, pickup_h: float) -> tuple[np.ndarray, np.ndarray]:
        """Delivery time by zone of parcels of service ``s`` picked up at FC ``f`` at
        ``pickup_h``: on time, and one transit day late (cached: the model's pickups and
        labels use it too)."""
        key = (f, s, pickup_h)
        hit = self._arrivals.get(key)
        if hit is None:
            net = self.net
            svc = net.services[s]
            args = (self._start_day64, pickup_h)
            on_time = delivery_times_by_zone(*args, svc.transit_days_by_zone, svc.business_days,
                                             net.delivery_hour)
            late = delivery_times_by_zone(*args, svc.transit_days_by_zone + 1,
                                          svc.business_days, net.delivery_hour)
            hit = (np.asarray(on_time, float), np.asarray(late, float))
            self._arrivals[key] = hit
        return hit

    def queued_hours(self, f: int) -> tuple[float, float]:
        """Hours of pick work and of pack work waiting (not started) at FC ``f``."""
        return self.pickers[f].queued_h, self.packers[f].queued_h

    def work_done_h(self, f: int, pool: int, start_h: float, work_h: float) -> float:
        """When the pickers (``pool`` 0) or packers (1) of FC ``f``, working as the staffing
        plan allows from ``start_h``, have got through ``work_h`` hours of work and a worker is
        free (``inf`` if not before the end of the run)."""
        times = self.staffing.times[f]
        i = bisect_right(times, start_h)  # the staffing segment of start_h, + 1
        if 0 < i < len(times):  # done within it: the walk's first step, by itself
            level = self.staffing.levels[f][pool][i - 1]
            if level > 0 and work_h <= level * (times[i] - start_h):
                return start_h + work_h / level
        return self._work_done_walk(f, pool, start_h, work_h)

    def _work_done_walk(self, f: int, pool: int, start_h: float, work_h: float) -> float:
        """:meth:`work_done_h`, walking the staffing plan segment by segment."""
        left = work_h
        for t, end, level in self.staffing.segments(f, pool, start_h):
            if level > 0:
                if left <= level * (end - t):
                    return t + left / level
                left -= level * (end - t)
        return math.inf

    def labor_hours(self, f: int, start_h: float, end_h: float) -> tuple[float, float]:
        """Picker-hours and packer-hours the staffing plan of FC ``f`` gives in
        ``[start_h, end_h)``."""
        times = self.staffing.times[f]
        i = bisect_right(times, start_h)  # the staffing segment of start_h, + 1
        if start_h < end_h and (i == len(times) or times[i] >= end_h):  # within it: the
            levels = self.staffing.levels[f]  # walk's first step, by itself
            pickers, packers = (levels[0][i - 1], levels[1][i - 1]) if i else (0, 0)
            return 0.0 + pickers * (end_h - start_h), 0.0 + packers * (end_h - start_h)
        return self._labor_hours_walk(f, start_h, end_h)

    def _labor_hours_walk(self, f: int, start_h: float, end_h: float) -> tuple[float, float]:
        """:meth:`labor_hours`, walking the staffing plan segment by segment."""
        out = [0.0, 0.0]
        for pool in (0, 1):
            for t, end, level in self.staffing.segments(f, pool, start_h):
                if t >= end_h:
                    break
                out[pool] += level * (min(end, end_h) - t)
        return out[0], out[1]

    def task_hours(self, f: int, n_lines: int, n_units: int) -> tuple[float, float]:
        """Mean pick and pack hours at FC ``f`` of a shipment of ``n_lines`` lines and
        ``n_units`` units (the time model without its random factor)."""
        a, b, c = self._pick_coef[f]
        d, e, g = self._pack_coef[f]
        return a + b * n_lines + c * n_units, d + e * n_lines + g * n_units

    def ready_h(self, f: int, pick_h: float, pack_h: float) -> float:
        """Estimated time a shipment released now to FC ``f`` would be packed: after the work
        queued ahead of it at the pickers, its own pick, the work queued at the packers, and
        its own pack, all at the staffing the plan gives (tasks in progress are ignored)."""
        now = self.env.now
        start = self.work_done_h(f, 0, now, self.pickers[f].queued_h)
        start = self.work_done_h(f, 1, start + pick_h, self.packers[f].queued_h)
        return start + pack_h

    def delivery_h(self, f: int, s: int, dest: int, ready_h: float) -> float:
        """Expected delivery (on time) of a parcel ready at ``ready_h`` at FC ``f`` shipped
        with service ``s`` to ``dest``: the first pickup at or after ``ready_h``, plus transit."""
        times = self.pickup_times[f][s]
        j = bisect_left(times, ready_h)
        if j == len(times):
            return math.inf
        return float(self.arrival(f, s, times[j])[0][self._zone[f][dest]])

    def etas(self, f: int, dest: int, pick_h: float, pack_h: float) -> list[float]:
        """Expected delivery by service of a shipment released to FC ``f`` now (see
        :meth:`ready_h`, :meth:`delivery_h`; the same arithmetic, the delivery times by
        zone kept while the clock and queues stay)."""
        rows = self._delivery_rows(f, pick_h, pack_h)
        zone = self._zone[f][dest]
        return [math.inf if row is None else row[zone] for row in rows]

    def _delivery_rows(self, f: int, pick_h: float, pack_h: float) -> list[list[float] | None]:
        """:meth:`etas` by zone: for each service the delivery time by zone (``None``: no
        pickup left).  They depend on the destination only through its zone, so they are
        kept for the shipment's size while the clock and queues stay (a wave prices all its
        orders at one instant)."""
        if self.env.now != self._done_now:
            self._new_now()
        rows_key = (f, self.pickers[f].queued_h, self.packers[f].queued_h, pick_h, pack_h)
        rows = self._rows_at.get(rows_key)
        if rows is None:
            ready = self.ready_h(f, pick_h, pack_h)
            rows = []
            on_time = self._on_time
            pickups = self.pickup_times[f]
            for s in range(self._n_services):
                times = pickups[s]
                j = bisect_left(times, ready)
                if j == len(times):
                    rows.append(None)
                    continue
                k = (f, s, times[j])
                row = on_time.get(k)
                if row is None:
                    row = on_time[k] = self.arrival(f, s, times[j])[0].tolist()
                rows.append(row)
            self._rows_at[rows_key] = rows
        return rows

    def _new_now(self) -> None:
        """The clock moved: what :meth:`_delivery_rows` keeps is for another time."""
        self._done_now = self.env.now
        self._rows_at.clear()

    def whole_order_costs(self, orders: Sequence[OrderView], late_per_h: float,
                          margin_h: float) -> np.ndarray:
        """:meth:`landed_cost` of each order shipped whole from each FC, plus ``late_per_h``
        per hour late (``inf`` when it cannot be delivered), with ``margin_h`` added to the
        pack time of the delivery estimates: what :class:`~sim.policies.optimized.Optimal`'s
        ``price`` gives, the same numbers, for many orders at once; shape (orders, FCs),
        stock not considered.  Rows are NaN for orders this cannot price (several parcels, or
        not among the current block's quotes): price those one by one."""
        return self._whole_costs(orders, late_per_h, margin_h)

    def forget_before(self, t: float) -> None:
        """Drop the kept delivery times of pickups before ``t`` (kept only to save work:
        the model asks for pickups from now on), so the cache stays a few days long."""
        self._arrivals = {k: v for k, v in self._arrivals.items() if k[2] >= t}

    def remember_block(self, views: Sequence[OrderView], arrays: BlockOrders) -> None:
        """The orders of the current block (placed in it, in order of arrival), as views
        and as arrays, for the calendar prices of :attr:`blocks`."""
        self.blocks.remember(views, arrays)

    @property
    def split_bounds_apply(self) -> bool:
        """True if :meth:`split_lower_bound` bounds anything (see its tables)."""
        return self._set_unit is not None

    @property
    def shipper(self) -> Shipper:
        """The run's cartons and prices."""
        return self._shipper

    def split_bounds(self, dest: np.ndarray, n_lines: np.ndarray, line_sku: np.ndarray,
                     line_units: np.ndarray) -> np.ndarray:
        """:meth:`split_lower_bound` of many orders at once (the same bound, rounding
        aside; only when :attr:`split_bounds_apply`): their destinations and numbers of
        lines, and their lines one after another."""
        unit = self._set_unit
        assert unit is not None, "split bounds do not apply"
        sets = self._zone_set[dest]
        ptr = np.concatenate(([0], np.cumsum(n_lines)))[:-1]
        units = line_units.astype(float)
        weight = np.add.reduceat(units * self._shipper.sku_weight_arr[line_sku], ptr)
        a, b = self._set_post[0][sets], self._set_post[1][sets]  # (orders, lines)
        parcels = (2.0 * a + b * weight[:, None]).max(axis=1)
        each = unit[np.repeat(sets, n_lines), line_sku]
        parcels = np.maximum(parcels, np.maximum.reduceat(each, ptr)
                             + np.minimum.reduceat(each, ptr))
        return (2.0 * self._split_fixed + self._split_line * n_lines
                + self._split_unit * np.add.reduceat(units, ptr) + parcels)

    def _whole_costs(self, orders: Sequence[OrderView], late_per_h: float, margin_h: float
                     ) -> np.ndarray:
        net = self.net
        n, F = len(orders), net.n_fcs
        out = np.full((n, F), np.nan)
        quote_of = self._shipper.quote_of
        quotes = [quote_of(o.skus, o.units) for o in orders]
        # single-parcel quotes within every service's price table (its last column is
        # inf: "too heavy")
        quoted = [(i, q) for i, q in enumerate(quotes) if q is not None and q.parcels]
        if not quoted or F == 0:
            return out
        bill = np.array([q.billable_lb for _, q in quoted], np.intp)
        longest = np.array([t.shape[1] - 1 for t in self._shipper._by_pound_arr])
        ok = (bill < longest).all(axis=1)
        fits = cast(list[bool], ok.tolist())
        kept = [iq for iq, k in zip(quoted, fits, strict=True) if k]
        if not kept:
            return out
        idx = [i for i, _ in kept]
        sel = [orders[i] for i in idx]
        out[idx] = self.shipment_costs(
            np.array([len(o.skus) for o in sel], float),
            np.array([sum(o.units) for o in sel], float),
            np.array([o.dest for o in sel], np.intp),
            np.array([o.promise_h for o in sel], float),
            None,
            bill[ok], np.array([q.carton_cost for _, q in kept], float),
            late_per_h, margin_h)
        return out

    def task_hours_of(self, n_lines: np.ndarray, n_units: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`task_hours` of many shipments (their lines and units, as floats) at every
        FC: mean pick and pack hours, each shape (shipments, FCs)."""
        pk, pc = self.net.pick_coef_h, self.net.pack_coef_h
        return (pk[:, 0] + n_lines[:, None] * pk[:, 1] + n_units[:, None] * pk[:, 2],
                pc[:, 0] + n_lines[:, None] * pc[:, 1] + n_units[:, None] * pc[:, 2])

    def shipment_costs(self, n_lines: np.ndarray, n_units: np.ndarray, dest: np.ndarray,
                        promise: np.ndarray, placed: np.ndarray | None, bill: np.ndarray,
                        carton: np.ndarray, late_per_h: float, margin_h: float,
                        eta_of: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Landed cost plus ``late_per_h`` per hour late (``inf`` when it cannot be
        delivered) of single-parcel shipments (their lines and units, destinations,
        promises, billable pounds by service and carton cost) from each FC, shape
        (shipments, FCs): delivery estimated behind the work queued now, or, given the
        times ``placed``, from the staffing calendar alone as if released then.  ``eta_of``:
        the lines and units whose pick and pack hours the delivery is estimated with, if
        not the shipments' own (a split's part, estimated as its whole order)."""
        return self.shipment_costs_and_bounds(n_lines, n_units, dest, promise, placed, bill,
                                              carton, late_per_h, margin_h, eta_of)[0]

    def shipment_costs_and_bounds(
            self, n_lines: np.ndarray, n_units: np.ndarray, dest: np.ndarray,
            promise: np.ndarray, placed: np.ndarray | None, bill: np.ndarray,
            carton: np.ndarray, late_per_h: float, margin_h: float,
            eta_of: tuple[np.ndarray, np.ndarray] | None = None, bounds: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`shipment_costs`, and with ``bounds`` (and ``placed``) a lower bound of
        each on its cost behind any queues when released at ``placed``: the labor and
        carton, and the least over the services of price plus ``late_per_h`` per hour late
        with delivery estimated from the calendar (as the costs are; ``None`` without
        ``bounds``).  Work queued ahead, or a release after ``placed``, only delays a
        shipment's ready time (each step of :meth:`ready_h` is at least the calendar's:
        rounding is monotone; up to the few 1e-16 hours a pool's queued hours can end below
        zero), so its first pickups and deliveries, by service, only come later, whatever
        service the shipping policy then chooses.  Not for waves: the clock may be a hair
        before a wave's time."""
        net = self.net
        m, F, S = len(n_lines), net.n_fcs, self._n_services
        tables = self._shipper._by_pound_arr
        pick, pack = self.task_hours_of(n_lines, n_units)  # (m, F)
        e_pick, e_pack = (pick, pack) if eta_of is None else self.task_hours_of(*eta_of)
        ready_pack = e_pack + margin_h
        zone = net.zone[:, dest].T  # (m, F)
        arrive = np.empty((m, F, S))
        price = np.empty((m, F, S))
        for f in range(F):
            if placed is not None:
                self._calendar_arrivals(f, placed, e_pick[:, f], ready_pack[:, f], zone[:, f],
                                        arrive[:, f, :])
            else:
                self._queue_arrivals(f, e_pick[:, f], ready_pack[:, f], zone[:, f],
                                     arrive[:, f, :])
            for s in range(S):
                price[:, f, s] = tables[s][zone[:, f], bill[:, s]]
        flat_p, flat_a = price.reshape(m * F, S), arrive.reshape(m * F, S)
        choice = self._choice.choose_batch(flat_p, flat_a, np.repeat(promise, F))
        rows_all = np.arange(m * F)
        chosen_p = flat_p[rows_all, choice].reshape(m, F)
        chosen_a = flat_a[rows_all, choice].reshape(m, F)
        rate = np.asarray(self._labor_rate, float)
        fixed = (pick + pack) * rate + carton[:, None]
        cost = fixed + chosen_p
        late = np.maximum(0.0, chosen_a - promise[:, None])
        with np.errstate(invalid="ignore"):
            cost = np.where(late < math.inf, cost + late_per_h * late, math.inf)
            if not bounds or placed is None:
                return cost, None
            # as landed_cost: max(0, arrive - promise) is 0 where that is NaN (no promise,
            # no pickup left), and a shipment late by inf hours costs inf
            d = arrive - promise[:, None, None]
            late_s = np.where(d > 0.0, d, 0.0)
            each = np.where(late_s < math.inf, price + late_per_h * late_s, math.inf)
        return cost, fixed + each.min(axis=2)

    def _calendar_arrivals(self, f: int, start_h: np.ndarray, pick_h: np.ndarray,
                           pack_h: np.ndarray, zone: np.ndarray, out: np.ndarray) -> None:
        """Expected delivery by service (into ``out``, (orders, services)) of shipments
        released to FC ``f`` at ``start_h`` with no work queued ahead: picked from the first
        staffed moment, packed from the first staffed moment after that, then the first
        pickup and the service's transit to the zone (:meth:`etas` with empty queues)."""
        self._arrivals_by_ready(f, self._calendar_ready(f, start_h, pick_h, pack_h), zone, out)

    def _calendar_ready(self, f: int, start_h: np.ndarray, pick_h: np.ndarray,
                        pack_h: np.ndarray) -> np.ndarray:
        """When shipments released to FC ``f`` at ``start_h`` with no work queued ahead are
        packed: picked from the first staffed moment, packed from the first staffed moment
        after that."""
        return self._next_staffed(f, 1, self._next_staffed(f, 0, start_h) + pick_h) + pack_h

    def calendar_windows(self, start_h: np.ndarray, pick_h: np.ndarray, pack_h: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
        """For shipments released at ``start_h`` (shipments,) with these pick and pack hours
        (shipments, FCs), the ready times ``(lo, hi]`` at each FC in which every service's
        first pickup is the one :meth:`shipment_costs` finds from the staffing calendar
        (``placed``): a shipment ready within them, behind whatever queue, gets the same
        pickups, so the same delivery estimates and price.  Two arrays (shipments, FCs)."""
        m, F = len(start_h), self.net.n_fcs
        lo, hi = np.full((m, F), -math.inf), np.full((m, F), math.inf)
        for f in range(F):
            ready = self._calendar_ready(f, start_h, pick_h[:, f], pack_h[:, f])
            for s in range(self._n_services):
                times = self._pickup_arr(f, s)
                j = np.searchsorted(times, ready, side="left")  # as _arrivals_by_ready
                ext = np.concatenate(([-math.inf], times, [math.inf]))  # ext[j] = times[j-1]
                np.maximum(lo[:, f], ext[j], out=lo[:, f])
                np.minimum(hi[:, f], ext[j + 1], out=hi[:, f])
        return lo, hi

    def _queue_arrivals(self, f: int, pick_h: np.ndarray, pack_h: np.ndarray,
                        zone: np.ndarray, out: np.ndarray) -> None:
        """:meth:`etas` of shipments released to FC ``f`` now (their task hours), by
        service, into ``out`` (shipments, services): the same floats, with numpy."""
        self._arrivals_by_ready(f, self.ready_now(f, pick_h, pack_h), zone, out)

    def ready_now(self, f: int, pick_h: np.ndarray, pack_h: np.ndarray) -> np.ndarray:
        """When shipments released to FC ``f`` now, of these pick and pack hours, would be
        packed, as :meth:`etas` estimates it, the same floats, with numpy: the packers' queue
        is done within the segment of the staffing plan where each pick ends, as
        :meth:`work_done_h` finds first, or is walked one by one.  (A wave's orders mostly
        end their picks in one segment, where the queue fits after each: then that segment
        is found once, from the earliest and the latest pick.)"""
        start = self.work_done_h(f, 0, self.env.now, self.pickers[f].queued_h)
        q_pack = self.packers[f].queued_h
        picked = start + pick_h
        if len(picked):  # most often every pick ends in one segment, where the queue fits
            staffing = self.staffing
            t = staffing.times[f]
            last = float(picked.max())
            seg = bisect_right(t, last)  # the segment of the last pick's end, + 1
            # n * (t[seg] - p) only grows as p falls (rounding is monotone): the queue
            # fits after every pick if it fits after the last
            if 0 < seg < len(t) and t[seg - 1] <= float(picked.min()) \
                    and (n := staffing.levels[f][1][seg - 1]) > 0 \
                    and q_pack <= n * (t[seg] - last):
                return picked + q_pack / n + pack_h
        times, levels = self._staff_arr(f, 1)
        i = np.searchsorted(times, picked, side="right")  # the segment, + 1
        inside = (i > 0) & (i < len(times))
        done = np.full(len(picked), math.nan)
        if inside.any():  # (then there are two staffing times or more)
            i = np.where(inside, i, 1)  # (a valid index; those rows are not used)
            level = levels[i - 1]
            with np.errstate(invalid="ignore", divide="ignore"):
                inside &= (level > 0) & (q_pack <= level * (times[i] - picked))
                done = np.where(inside, picked + q_pack / level, math.nan)
        for j in np.flatnonzero(~inside).tolist():  # (work_done_h's shortcut fails too)
            done[j] = self._work_done_walk(f, 1, float(picked[j]), q_pack)
        return done + pack_h

    def _staff_arr(self, f: int, pool: int) -> tuple[np.ndarray, np.ndarray]:
        """FC ``f``'s staffing changes and the pickers' (``pool`` 0) or packers' (1) level
        from each, as arrays."""
        key = (f, pool)
        arrs = self._staff_np.get(key)
        if arrs is None:
            arrs = self._staff_np[key] = (np.asarray(self.staffing.times[f], float),
                                          np.asarray(self.staffing.levels[f][pool], float))
        return arrs

    def _arrivals_by_ready(self, f: int, ready: np.ndarray, zone: np.ndarray,
                           out: np.ndarray) -> None:
        """Expected delivery by service (into ``out``) of parcels ready at ``ready`` at FC
        ``f`` for ``zone``: the first pickup at or after it, then the service's transit
        (:meth:`delivery_h`); ``inf`` with no pickup left."""
        if not len(ready):
            return
        never = np.full(self.net.services[0].n_zones, math.inf)  # no pickup left
        for s, times in enumerate(self.pickup_times[f]):
            j = np.searchsorted(self._pickup_arr(f, s), ready, side="left")
            lo, hi = int(j.min()), int(j.max())
            if hi - lo < 32:  # a few pickups: their rows by zone, one gather
                rows = np.array([self.arrival(f, s, times[k])[0] if k < len(times) else never
                                 for k in range(lo, hi + 1)])
                out[:, s] = rows[j - lo, zone]
                continue
            col = np.full(len(ready), math.inf)
            for k in np.unique(j[j < len(times)]).tolist():
                hit = j == k
                col[hit] = self.arrival(f, s, times[k])[0][zone[hit]]
            out[:, s] = col

    def _pickup_arr(self, f: int, s: int) -> np.ndarray:
        key = (f, s)
        arr = self._pickups_np.get(key)
        if arr is None:
            arr = self._pickups_np[key] = np.asarray(self.pickup_times[f][s], float)
        return arr

    def _next_staffed(self, f: int, pool: int, t: np.ndarray) -> np.ndarray:
        """The first time at or after each ``t`` when FC ``f``'s pickers (``pool`` 0) or
        packers (1) are at work (``inf`` if never again): :meth:`work_done_h` of no work."""
        key = (f, pool)
        plan = self._staffed.get(key)
        if plan is None:
            times, levels = self._staff_arr(f, pool)
            # for segment i (-1: before the first change), the start of the first staffed
            # segment at or after it
            nxt = np.full(len(times) + 1, math.inf)
            later = math.inf
            for i in range(len(times) - 1, -1, -1):
                if levels[i] > 0:
                    later = float(times[i])
                nxt[i + 1] = later
            nxt[0] = later
            staffed = np.concatenate(([False], levels > 0))
            plan = self._staffed[key] = (times, staffed, nxt)
        times, staffed, nxt = plan
        seg = np.searchsorted(times, t, side="right")  # segment index + 1
        return np.where(staffed[seg], t, nxt[seg])

    def split_lower_bound(self, dest: int, skus: Sequence[int], units: Sequence[int]) -> float:
        """A lower bound on the total landed cost (lateness penalties excluded, they are >= 0)
        of shipping these lines to ``dest`` as two or more shipments from any FCs (``-inf``
        if no bound applies).  Each shipment pays at least the least per-shipment labor;
        each line and unit the least labor per line and per unit; cartons cost >= 0; each
        parcel of billable weight ``w`` (at least its actual weight) at least ``a + b * w``
        for every under-estimating line ``(a, b)`` of the destination's zones, so all
        parcels (at least two) at least ``2 a + b W``, ``W`` the order's weight.  Callers
        compare it with a tolerance for rounding."""
        post = self._split_post
        if post is None:
            return -math.inf
        weight = self._weight
        w = sum(weight[k] * u for k, u in zip(skus, units, strict=True))
        parcels = max(2.0 * a + b * w for a, b in post[dest])
        if len(skus) > 1:  # the parcel of each line's unit, by its carton's weight and size:
            # the dearest line's parcel, and another (at least the cheapest line's)
            least = self._set_unit_lists[self._zone_set_of[dest]]
            each = [least[k] for k in skus]
            parcels = max(parcels, max(each) + min(each))
        return (2.0 * self._split_fixed + self._split_line * len(units)
                + self._split_unit * sum(units) + parcels)

    def shipment_lower_bound(self, f: int, skus: Sequence[int], units: Sequence[int],
                             dest: int) -> float:
        """A lower bound on :meth:`landed_cost`'s cost of these lines shipped whole from FC
        ``f`` to ``dest`` (``-inf`` if none applies): its exact mean labor cost, cartons
        >= 0, and postage at least that of the parcel of its heaviest-bounded unit
        (:func:`_unit_parcel_bounds`) and at least ``a + b * W`` for the under-estimating
        lines of its zone (``W`` its weight).  Callers compare it with a tolerance.

        For a whole order of the current block that travels as one parcel (its quote is at
        hand, :meth:`sim.shipping.Shipper.remember_quotes`), or lines whose shipping plan to
        that zone is known already, the bound is tighter and as cheap: the same labor, the
        plan's cartons and the least of its prices over the services."""
        if self._split_post is None:
            return -math.inf
        a, b, c = self._pick_coef[f]
        d, e, g = self._pack_coef[f]
        n_lines, n_units = len(skus), sum(units)
        labor = ((a + b * n_lines + c * n_units) + (d + e * n_lines + g * n_units)) \
            * self._labor_rate[f]
        z = self._zone[f][dest]
        shipper = self._shipper
        if type(skus) is tuple and type(units) is tuple:
            quote = shipper.quote_of(skus, units)
            if quote is not None and quote.parcels:
                return labor + quote.carton_cost + shipper.least_price(quote, z)
        known = shipper.known_plan(skus, units, z)  # packed before: as cheap and tighter
        if known is not None:
            return labor + known.carton_cost + min(known.prices)
        q = self._unit_post[z]
        weight = self._weight
        w = sum(weight[k] * u for k, u in zip(skus, units, strict=True))
        post = max(max(q[k] for k in skus), max(a + b * w for a, b in self._zone_post[z]))
        return labor + post

    def landed_cost(self, f: int, skus: tuple[int, ...], units: tuple[int, ...], dest: int,
                    promise_h: float, etas: Sequence[float] | None = None
                    ) -> tuple[float, float]:
        """Expected cost of shipping these lines from FC ``f`` as one shipment (mean pick and
        pack labor, cartons, postage of the service the shipping policy would choose) and the
        hours by which its expected delivery misses ``promise_h`` (0 if on time).  ``etas``
        (from :meth:`etas`) saves recomputing the delivery estimates for several shipments
        from the same FC."""
        pick_h, pack_h = self.task_hours(f, len(skus), sum(units))
        plan = self._shipper.whole_plan(skus, units, self._zone[f][dest])
        arrive = self.etas(f, dest, pick_h, pack_h) if etas is None else etas
        s = self._choice.choose(plan.prices, arrive, promise_h)
        cost = (pick_h + pack_h) * self._labor_rate[f] + plan.carton_cost + plan.prices[s]
        return cost, max(0.0, arrive[s] - promise_h)


def _under_lines(least: dict[float, float]) -> list[tuple[float, float]]:
    """Lines ``(a, b)`` with ``a, b >= 0`` and ``a + b * w <= least[w]`` at every weight
    break ``w`` (so, ``b`` being >= 0, at every billable weight up to the break that prices
    it): the constant least price, the ray through the origin, and the edges of the lower
    convex hull of the points, each lowered by a small margin for rounding."""
    pts = sorted((b, p) for b, p in least.items() if math.isfinite(p))
    if not pts:
        return [(0.0, 0.0)]
    out = [(min(p for _, p in pts), 0.0)]
    ray = min(p / b for b, p in pts if b > 0) if any(b > 0 for b, _ in pts) else 0.0
    out.append((0.0, max(0.0, ray)))
    hull: list[tuple[float, float]] = []
    for q in pts:
        while len(hull) >= 2 and ((hull[-1][0] - hull[-2][0]) * (q[1] - hull[-2][1])
                                  - (hull[-1][1] - hull[-2][1]) * (q[0] - hull[-2][0])) <= 0:
            hull.pop()
        hull.append(q)
    for (x0, y0), (x1, y1) in itertools.pairwise(hull):
        b = (y1 - y0) / (x1 - x0)
        a = y0 - b * x0
        if a >= 0 and b >= 0 and all(a + b * x <= y for x, y in pts):
            out.append((a, b))
    return [(max(0.0, a - 1e-9), b * (1 - 1e-12)) for a, b in out]


def _unit_parcel_bounds(shipper: Shipper) -> list[list[float]]:
    """``[zone][sku]``: a lower bound on the price of any parcel holding a unit of the SKU,
    whatever the service: it weighs at least the unit, and its carton is one the unit fits
    (by sorted dimensions and weight limit; the unit's own box if none does), so its
    billable weight is at least the least over those cartons of the carton's dimensional
    weight and the unit's rounded-up weight; a service charges at least its least price at
    that billable weight or above.  Lowered by a small margin for rounding."""
    weight = shipper.sku_weight_arr
    actual = np.maximum(1, np.ceil(np.round(weight, 9)))
    n_s = len(shipper.services)
    cartons = shipper.cartons
    bill = np.empty((n_s, len(weight)))
    if cartons is None:
        bill[:] = actual
    else:
        fits = (np.all(shipper.sku_sorted_dims[:, None, :] <= cartons.dims_in[None, :, :] + 0,
                       axis=2) & (weight[:, None] <= cartons.max_weight_lb[None, :]))
        none = ~fits.any(axis=1)
        for i, svc in enumerate(shipper.services):
            dimw = np.asarray(shipper._dimw[i], float)
            per = np.where(fits, np.maximum(actual[:, None], dimw[None, :]), np.inf)
            bill[i] = per.min(axis=1)
            for k in np.flatnonzero(none).tolist():  # own box (or no carton at all)
                bill[i, k] = float(svc.billable(float(weight[k]), shipper.sku_dims[k]))
    out = []
    for z in range(shipper.services[0].n_zones):
        least = np.full(len(weight), np.inf)
        for i, table in enumerate(shipper._by_pound):
            row = np.asarray(table[z], float)
            suffix = np.minimum.accumulate(row[::-1])[::-1]  # least price at >= b pounds
            suffix = np.append(suffix, np.inf)
            b = np.minimum(np.ceil(bill[i] - 1e-9), len(row)).astype(np.intp)
            least = np.minimum(least, suffix[np.maximum(b, 0)])
        out.append(np.maximum(0.0, least - 1e-9).tolist())
    return out
