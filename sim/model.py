"""The SimPy fulfillment model.

The model schedules a SimPy event only where a decision or a shared resource needs one: an
order's arrival (routing), the end of each pick and pack task (labor pools,
:mod:`sim.labor`), each carrier pickup (one event per FC, service and cut-off ships every
parcel labelled for it), shift changes, purchase-order receipts and hold time-outs.  Delivery
follows from the ship time by arithmetic.

Stock is allocated when an order is released to its FCs: an order is released only when every
line can be allocated from stock on hand, otherwise it is held (status ``ON_HOLD``) and offered
to the routing policy again whenever stock of one of its SKUs arrives (unless some line is
short at every FC and the policy declares ``route_is_pure``: no answer could release it).

Shipping: each shipment is packed (cartons, billable weight per service) when it is released —
whole orders a day at a time, vectorised — and labelled when packing ends, with the service the
shipping policy picks from each service's next pickup, transit days and the order's promise.

Policies see the run through :class:`~sim.state.StateView` and its
:class:`~sim.estimates.Estimates`, never through the model.
"""

from __future__ import annotations

import array
import gc
import itertools
import math
import reprlib
import time
from collections.abc import Callable, Sequence
from operator import attrgetter, index
from typing import Any, NamedTuple

import numpy as np
import simpy

from sim import __version__
from sim.block_prices import BlockOrders
from sim.demand import STREAM_NAMES, generate_day, service_factor
from sim.estimates import Estimates
from sim.eventlog import EventLog, Status
from sim.intake import INTAKE_TABLES, IntakeProcesses
from sim.international import INTERNATIONAL_TABLES, InternationalProcesses
from sim.labor import Agenda, LaborPool, StaffingPlan, call_at, due_now, wake_at
from sim.network import DIST_CODES, Network
from sim.policies import Decision, RoutingPolicy, build_policies
from sim.policies.base import PolicyError, Urgent, WavePolicy, declares_pure
from sim.quality import QUALITY_TABLES, OrderErrors, QualityProcesses
from sim.recorder import Column, Recorder
from sim.rng import stream
from sim.shipping import Plan, Quote, Shipper, quote_orders, records
from sim.state import OrderView, StateView
from sim.supply import MAX_ORDER_UNITS, TRANSFER_REVIEWS, SupplyProcesses, in_stock_somewhere

__all__ = ["MAX_ORDER_UNITS", "TRANSFER_REVIEWS", "FulfillmentModel", "Placed", "PolicyError",
           "ProgressFn", "Quote", "simulate"]


class Placed(NamedTuple):
    """What the model keeps of an order from its placement until it ships.

    Its pick and pack hours at each FC if it ships whole there (a split shipment takes its share
    by the same time model) are in the day's flat (order, FC) arrays, from index ``base`` (this
    order's FC 0); one float object is made only for the FC that ships it.
    """

    pick_h: array.array
    pack_h: array.array
    base: int
    quote: Quote  # the whole order as one shipment
    weight_lb: float
    units: int
    returns: dict[int, int] | None  # units of each SKU the customer will send back
    quality: OrderErrors | None  # what will go wrong (None: nothing can, see sim.quality)


ProgressFn = Callable[[float, float, int], None]
"""Called with (simulated hours done, horizon hours, orders so far) once per simulated day."""


def _wave_settings(policy: RoutingPolicy, name: str
                   ) -> tuple[float | None, Callable[[OrderView, StateView], bool] | None]:
    """A wave policy's interval (``wave_interval_h`` with ``route_wave``; None for a policy
    that routes orders one at a time) and its optional ``route_now(order, state)``, which
    routes an order at once instead of queueing it for the next wave."""
    if not isinstance(policy, WavePolicy) or policy.wave_interval_h is None:
        if getattr(policy, "wave_interval_h", None) is not None:
            raise PolicyError(f"routing policy {name!r} has wave_interval_h but "
                              "no method route_wave(orders, state)")
        return None, None
    wave_h = policy.wave_interval_h
    if not (isinstance(wave_h, int | float) and wave_h > 0):
        raise PolicyError(f"routing policy {name!r}: wave_interval_h must be "
                          f"a positive number of hours, got {wave_h!r}")
    return float(wave_h), policy.route_now if isinstance(policy, Urgent) else None


class FulfillmentModel(InternationalProcesses, IntakeProcesses, QualityProcesses,
                       SupplyProcesses):
    """One replication of a scenario.

    Parameters
    ----------
    net : Network
        The compiled scenario.
    replication : int
        Replication index: selects independent random streams under the same seed.
    policy : RoutingPolicy, optional
        Overrides the scenario's routing policy (e.g. an object built in a notebook).
    progress : callable, optional
        See :data:`ProgressFn`.
    """

    def __init__(self, net: Network, *, replication: int = 0,
                 policy: RoutingPolicy | None = None, progress: ProgressFn | None = None) -> None:
        self.net = net
        self.replication = replication
        self.env = simpy.Environment()
        self._agenda = Agenda(self.env)  # shift changes and pickups (_schedule_calendar)
        self.policy, self.replenishment = build_policies(net, policy)
        self.progress = progress
        # a wave policy routes queued orders jointly (see _wave)
        self._wave_h, self._route_now = _wave_settings(self.policy, net.routing_policy)
        self._wave_buf: list[tuple[OrderView, Placed]] = []
        # a policy without side effects is not asked about held orders no answer can release
        # (worked out when the run starts, after any change to the policy)
        self._skip_hopeless = False
        self.rec = Recorder(net.expected_orders(),
                            (QUALITY_TABLES if net.quality is not None else frozenset())
                            | (INTAKE_TABLES if net.intake is not None else frozenset())
                            | (INTERNATIONAL_TABLES if net.international is not None
                               else frozenset()))
        self.rngs = {n: stream(net.seed, n, replication) for n in STREAM_NAMES}
        F = self._n_fcs = net.n_fcs
        self._n_services = len(net.services)
        self.on_hand = np.array(net.initial_stock, dtype=np.int64)
        # memoryviews share the array's memory and index twice as fast as numpy scalars
        self.on_hand_rows = [memoryview(row) for row in self.on_hand]
        # Python lists where only the model reads them (faster than numpy scalars)
        self.on_order = [[0] * net.n_skus for _ in range(F)]
        self.backordered = [[0] * net.n_skus for _ in range(F)]
        self.in_inspection = [[0] * net.n_skus for _ in range(F)]
        self.wip = [0] * F
        self._init_floor()
        self.shipper = Shipper.for_network(net)
        self.staffing = StaffingPlan(net)
        self.estimates = Estimates(net, self.env, self.pickers, self.packers, self.staffing,
                                   self.shipper)
        self.state = StateView(self.estimates, self.on_hand, self.on_hand_rows, self.wip)
        self._init_replenishment()
        self._init_quality()
        self._init_intake()
        self._init_international()
        self._sku_price = net.sku_unit_price.tolist()
        self._sku_weight = net.sku_weight_lb.tolist()
        self._zone = net.zone.tolist()
        self._pick_coef = [tuple(r) for r in net.pick_coef_h.tolist()]
        self._pack_coef = [tuple(r) for r in net.pack_coef_h.tolist()]
        self._start_day64 = np.datetime64(net.start_date)
        # held order -> its data; and SKU -> held orders containing it (insertion = FCFS)
        self.held: dict[int, tuple[OrderView, int, Placed]] = {}
        self.held_by_sku: dict[int, dict[int, None]] = {}
        self.n_orders = 0
        self.n_shipments = 0
        # the day's orders, their times and what is known of them (see _start_day)
        self._day_times: list[float] = []
        self._day_views: list[OrderView] = []
        self._day_placed: list[Placed] = []
        self._i = 0
        self.wall_s = 0.0

    def _init_floor(self) -> None:
        """Labor pools, the queues of shipments between them and the carrier, and the columns
        the hot loop writes to."""
        F, S = self._n_fcs, self._n_services
        # released shipment -> its pack hours (until picked) and its Quote or Plan (until
        # labelled); everything else about a shipment is in the shipments table
        self._pack_h: dict[int, float] = {}
        self._quote: dict[int, Quote | Plan] = {}
        # shipments packed at each FC since its last pickup event, waiting for their label
        self._pending: list[list[int]] = [[] for _ in range(F)]
        big = self.rec.big
        sh, sl = big["shipments"], big["shipment_lines"]
        self.packers = [LaborPool(self.env, f, sh["pack_start_h"].mv, sh["packed_h"].mv,
                                  self._packed) for f in range(F)]
        self.pickers = [LaborPool(self.env, f, sh["pick_start_h"].mv, sh["picked_h"].mv,
                                  None, self.packers[f], self._pack_h)
                        for f in range(F)]
        # labelled shipments by FC and service, waiting for the carrier (arrays of ids)
        self.outbound: list[list[list[np.ndarray]]] = [[[] for _ in range(S)] for _ in range(F)]
        # the next pickup of each FC and service, and the expected delivery by (service, zone)
        # of a label made now at each FC (from that pickup)
        self._pickup_idx = [[-1] * S for _ in range(F)]
        Z = self.net.services[0].n_zones  # 9, more with [international] (zone 9 + group)
        self._next_arrival = [np.full((S, Z), math.inf) for _ in range(F)]
        self._never = np.full(Z, math.inf)
        # shipments are written by id (row = shipment id) through memoryviews; the timeline
        # columns are filled with nan a block at a time, ahead of the shipments (see _ship)
        self._sh_all = tuple(sh.values())
        self._timeline = tuple(sh[c] for c in ("pick_start_h", "picked_h", "pack_start_h",
                                               "packed_h"))
        self._timeline_len = 0
        self._sl_all = (sl["shipment_id"], sl["sku"], sl["units"])
        self._sl_n = 0  # shipment lines written
        self._bind_floor()

    def _bind_floor(self) -> None:
        """Bind the memoryviews the hot loop writes shipments through (again after a column
        has grown past its reservation, see :meth:`sim.recorder.Column.reserve`)."""
        sh = self.rec.big["shipments"]
        self._sh_mv = tuple(sh[c].mv for c in ("order_id", "fc", "zone", "weight_lb"))
        self._sl_mv = tuple(c.mv for c in self._sl_all)
        self._sl_cap = self._sl_all[0].capacity
        for f in range(self._n_fcs):
            self.pickers[f]._start_h, self.pickers[f]._done_h = sh["pick_start_h"].mv, \
                sh["picked_h"].mv
            self.packers[f]._start_h, self.packers[f]._done_h = sh["pack_start_h"].mv, \
                sh["packed_h"].mv

    def _grow_shipments(self) -> None:
        """Room and nan timelines for the next block of 4096 shipments."""
        a = self._timeline_len
        b = a + 4096
        moved = False
        for col in self._sh_all:
            moved |= col.reserve(b)
        for col in self._timeline:
            col.buf[a:b] = np.nan
        self._timeline_len = b
        if moved:
            self._bind_floor()

    def run(self) -> EventLog:
        """Run to the horizon and return the event log."""
        t0 = time.perf_counter()
        net = self.net
        self._skip_hopeless = declares_pure(self.policy)
        self._schedule_calendar()
        self._review_all()
        if self._wave_h is not None:
            self._at(self._wave_h, self._wave, None)
        self._at(0.0, self._start_day, 0)
        # The run allocates many short-lived, acyclic objects (events, tuples); the cyclic
        # garbage collector would rescan the long-lived state again and again for nothing.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=net.horizon_h)
        finally:
            if gc_was_enabled:
                gc.enable()
        for f in range(net.n_fcs):  # packed after the FC's last pickup: labelled, not shipped
            self._label(f)
        for col in self._sh_all:  # rows written by shipment id (the nan block beyond: unused)
            col.n = self.n_shipments
        for col in self._sl_all:
            col.n = self._sl_n
        self.wall_s = time.perf_counter() - t0
        self._record_stock()
        log = self.rec.finish({
            "scenario": net.name, "horizon_h": net.horizon_h, "warmup_h": net.warmup_h,
            "seed": net.seed, "replication": self.replication,
            "fc_names": list(net.fc_names), "channel_names": list(net.channel_names),
            "sku_ids_count": net.n_skus, "labor_cost_per_hour": net.labor_cost_per_hour.tolist(),
            "fc_fixed_cost_per_day": net.fc_fixed_cost_per_day.tolist(),
            "policy": net.routing_policy, "package_version": __version__,
            "service_names": list(net.service_names),
            "shipping_policy": net.shipping_policy,
            # geography and SKU classes, for maps and per-class charts (sim.series)
            "fc_lat": net.fc_lat.tolist(), "fc_lon": net.fc_lon.tolist(),
            "dest_names": list(net.dest_names), "dest_lat": net.dest_lat.tolist(),
            "dest_lon": net.dest_lon.tolist(), "sku_class": net.sku_class.tolist(),
            "sku_ids": list(net.sku_ids), "supplier_names": [s.name for s in net.suppliers],
            "sim_wall_s": self.wall_s, "orders": self.n_orders,
            "sku_unit_cost": net.sku_unit_cost.tolist(),
            "holding_cost_rate": net.holding_cost_rate,
            "returns_label_cost": net.returns.label_cost,
            "returns_inspect_min_per_unit": net.returns.inspect_min_per_unit,
            "returns_restock_after_h": net.returns.restock_after_h,
        })
        return log

    def _at(self, t: float, fn: Callable[[Any], None], value: Any = None) -> None:
        call_at(self.env, t, fn, value)

    def _log(self, t: float, status: int, order: int, fc: int, shipment: int) -> None:
        self.rec.events.row(t, status, order, fc, shipment)  # (not bound: see Recorder.finish)

    def _schedule_calendar(self) -> None:
        """Shift changes and carrier pickups, known in advance from the calendars."""
        shifts = self.rec.cols["shifts"]
        for row in self.staffing.shifts:
            for col, v in zip(("fc", "start_h", "end_h", "pickers", "packers"), row,
                              strict=True):
                shifts[col].append(v)
        agenda = self._agenda
        for t, f, pickers, packers in self.staffing.changes:
            agenda.add(t, self._set_staff, (f, pickers, packers))
        horizon = self.net.horizon_h
        for f, by_service in enumerate(self.estimates.pickup_times):
            for s, times in enumerate(by_service):
                for t in times:
                    if t < horizon:
                        agenda.add(t, self._pickup, (f, s))
                self._pickup_idx[f][s] = -1
                self._advance_pickup(f, s)
        agenda.feed(48.0)  # then a day ahead, each day (_start_day)

    def _set_staff(self, value: tuple[int, int, int]) -> None:
        f, pickers, packers = value
        self.pickers[f].set_capacity(pickers)
        self.packers[f].set_capacity(packers)

    def _start_day(self, day: int) -> None:
        net = self.net
        if self.progress is not None:
            self.progress(24.0 * day, net.horizon_h, self.n_orders)
        if 24.0 * (day + 1) < net.horizon_h:
            self._at(24.0 * (day + 1), self._start_day, day + 1)
        self._agenda.feed(24.0 * (day + 2))  # the calendar of tomorrow, ahead of it
        self.estimates.forget_before(self.env.now)
        blk = generate_day(net, day, self.rngs)
        n = len(blk)
        if n == 0:
            return
        # Everything known at the moment of ordering is recorded for the whole day at once.
        base = self.n_orders
        n_lines = np.diff(blk.line_ptr)
        n_units = np.add.reduceat(blk.line_units, blk.line_ptr[:-1]) if len(blk.line_units) \
            else np.zeros(n, np.int64)
        order_day = np.floor(blk.time_h / 24.0)
        weekday = (order_day.astype(np.int64) + net.start_date.weekday()) % 7
        promise_h = 24.0 * (order_day + 1 + net.channel_promise_offset[blk.channel, weekday])
        dest = blk.dest
        if net.international is not None:  # orders going abroad (see sim.international)
            dest, promise_h = self._abroad(blk, base, dest, promise_h)
        big = self.rec.big
        _extend(big["orders"], placed_h=blk.time_h, channel=blk.channel, dest=dest,
                n_lines=n_lines, n_units=n_units, promise_h=promise_h)
        self.rec.day_starts.append((base, len(big["order_lines"]["sku"])))
        _extend(big["order_lines"], sku=blk.line_sku, units=blk.line_units)  # order: implied
        self.rec.events.placed(base, n)
        # Per-FC task-time factors (by inversion of the same uniforms, see service_factor),
        # one row per order.
        F = net.n_fcs
        pick = _factors_by_fc(blk.pick_u, net.pick_dist, net.pick_cv)
        pack = _factors_by_fc(blk.pack_u, net.pack_dist, net.pack_cv)
        q = quote_orders(self.shipper, blk.line_ptr, blk.line_sku, blk.line_units)
        # pick and pack hours of the whole order at each FC (most orders ship whole)
        pick_h = (net.pick_coef_h[:, 0] + n_lines[:, None] * net.pick_coef_h[:, 1]
                  + n_units[:, None] * net.pick_coef_h[:, 2]) * pick
        pack_h = (net.pack_coef_h[:, 0] + n_lines[:, None] * net.pack_coef_h[:, 1]
                  + n_units[:, None] * net.pack_coef_h[:, 2]) * pack
        # which lines the customer will return if delivered (decided now: common random
        # numbers whatever the routing)
        p_ret = net.sku_return_probability[blk.line_sku]
        returns: Any = itertools.repeat(None, n)
        if p_ret.any():
            hit = self.rngs["returns"].random(len(p_ret)) < p_ret
            returns = [None] * n
            owner = np.repeat(np.arange(n), n_lines)[hit].tolist()
            for i, k, u in zip(owner, blk.line_sku[hit].tolist(), blk.line_units[hit].tolist(),
                               strict=True):
                if returns[i] is None:
                    returns[i] = {}
                returns[i][k] = u
        errors: Any = itertools.repeat(None, n)
        if net.quality is not None:
            errors = self._draw_quality(n, n_lines, blk.line_sku, blk.line_units)
        if net.intake is not None:  # which orders are held for review (see sim.intake)
            self._day_intake = self._draw_intake(blk.channel)
        # the day's orders as policies will see them (ids are given in order of arrival)
        ptr, sku_l, units_l = blk.line_ptr.tolist(), blk.line_sku.tolist(), \
            blk.line_units.tolist()
        sku_t, units_t = tuple(sku_l), tuple(units_l)  # slices of a tuple are tuples
        skus = [sku_t[a:b] for a, b in itertools.pairwise(ptr)]
        units = [units_t[a:b] for a, b in itertools.pairwise(ptr)]
        times = blk.time_h.tolist()
        self._day_times = times
        self._day_views = list(map(OrderView, range(base, base + n), times,
                                   blk.channel.tolist(), dest.tolist(), skus, units,
                                   promise_h.tolist()))
        pick_a, pack_a = array.array("d", pick_h.tobytes()), array.array("d", pack_h.tobytes())
        quotes = q.quotes()
        self.shipper.remember_quotes(skus, units, quotes, q.borderline)
        self.estimates.remember_block(self._day_views, BlockOrders(
            blk.time_h, dest, promise_h, blk.line_ptr, blk.line_sku, blk.line_units, q))
        self._day_placed = records(Placed, itertools.repeat(pick_a, n),
                                   itertools.repeat(pack_a, n), range(0, n * F, F), quotes,
                                   q.weight_lb.tolist(), n_units.tolist(), returns, errors)
        self._i = 0
        wake_at(self.env, float(blk.time_h[0]), self._arrive)

    def _arrive(self, _event: Any) -> None:
        """Route the arriving order, and every later one due before SimPy's next event (see
        :func:`sim.labor.due_now`: this saves a heap push and pop per order)."""
        times, views, placed = self._day_times, self._day_views, self._day_placed
        route = self._route if self._wave_h is None else self._enqueue
        i = j = self._i
        held = self._day_intake  # orders held for review at intake (empty: none)
        for j in due_now(self.env, times, i):
            if held and j in held:
                self._intake_hold(views[j], placed[j], held[j])
            else:
                route(views[j], placed[j], False)
        self.n_orders += j + 1 - i
        self._i = i = j + 1
        if i < len(times):
            wake_at(self.env, times[i], self._arrive)

    def _enqueue(self, view: OrderView, placed: Placed, held: bool) -> bool:
        """A wave policy decides later: the order waits for the next wave, unless the
        policy's ``route_now`` says waiting would cost it (then it is routed alone now)."""
        if self._route_now is not None and self._route_now(view, self.state):
            return self._route(view, placed, held)
        self._wave_buf.append((view, placed))
        return False

    def _wave(self, _: Any = None) -> None:
        """Every ``wave_interval_h``: the policy routes the orders queued since the last wave
        jointly; each is then released or held as if routed alone, in order of arrival, and
        the orders it leaves undecided (``None``) are offered to ``route`` after the rest."""
        now = self.env.now
        if now + self._wave_h < self.net.horizon_h:  # type: ignore[operator]
            self._at(now + self._wave_h, self._wave, None)  # type: ignore[operator]
        buf, self._wave_buf = self._wave_buf, []
        if not buf:
            return
        views = [v for v, _ in buf]
        decisions = list(self.policy.route_wave(views, self.state))  # type: ignore[attr-defined]
        if len(decisions) != len(views):
            raise PolicyError(f"routing policy {self.net.routing_policy!r}: route_wave returned "
                              f"{len(decisions)} decisions for {len(views)} orders")
        later = []
        for (view, placed), decision in zip(buf, decisions, strict=True):
            if decision is None:  # the policy routes it alone, after the others took stock
                later.append((view, placed))
            else:
                self._route(view, placed, False, decision)
        for view, placed in later:
            self._route(view, placed, False)

    def _route(self, view: OrderView, placed: Placed, held: bool,
               decision: Decision | None = None) -> bool:
        """Ask the policy (unless a wave decided already), allocate and release if stock
        allows, else hold. True if released.  ``held``: the order is on hold (offered again)
        and leaves the hold only if released."""
        if decision is None:
            decision = self.policy.route(view, self.state)
        skus, units = view.skus, view.units
        if type(decision) is int and 0 <= decision < self._n_fcs:
            # the common case, kept short: the whole order from one FC
            row = self.on_hand_rows[decision]
            for k, u in zip(skus, units, strict=True):
                if row[k] < u:
                    break
            else:
                if held:
                    self._unhold(view.id)
                self._ship(view, decision, skus, units, placed, held)
                return True
            first = decision
        else:
            assign = self._check_decision(decision, view)
            rows = self.on_hand_rows
            for f, k, u in zip(assign, skus, units, strict=True):
                if rows[f][k] < u:
                    break
            else:
                if held:
                    self._unhold(view.id)
                by_fc: dict[int, tuple[list[int], list[int]]] = {}
                for f, k, u in zip(assign, skus, units, strict=True):
                    ks, us = by_fc.setdefault(f, ([], []))
                    ks.append(k)
                    us.append(u)
                for f, (ks, us) in by_fc.items():
                    self._ship(view, f, ks, us, placed, held)
                return True
            first = assign[0]
        if not held:
            self._hold(view, first, placed)
        return False

    def _check_decision(self, decision: int | Sequence[int], view: OrderView) -> list[int]:
        n = len(view.skus)
        F = self._n_fcs
        try:
            assign = [int(decision)] * n if isinstance(decision, int | np.integer) \
                else [index(f) for f in decision]  # TypeError for anything but whole numbers
        except TypeError:
            raise PolicyError(f"{self.net.routing_policy_origin or '<scenario>'}: routing "
                              f"policy {self.net.routing_policy!r} returned "
                              f"{reprlib.repr(decision)} for order {view.id}; expected an FC "
                              "id (a whole number) or a list of one per order line") from None
        if len(assign) != n:
            raise PolicyError(f"routing policy {self.net.routing_policy!r} returned "
                              f"{len(assign)} FCs for order {view.id}, which has {n} lines")
        for f in assign:
            if not 0 <= f < F:
                raise PolicyError(f"routing policy {self.net.routing_policy!r} returned FC {f} "
                                  f"for order {view.id}; valid FC ids are 0..{F - 1}")
        return assign

    def _ship(self, view: OrderView, f: int, skus: Sequence[int], units: Sequence[int],
              placed: Placed, held: bool) -> None:
        """Allocate the lines ``skus``/``units`` at FC ``f`` and send them to the pickers as
        one shipment."""
        oid = view.id
        sid = self.n_shipments
        self.n_shipments = sid + 1
        row = self.on_hand_rows[f]
        replenish = self._replenish
        if replenish:
            on_order, back, rop = self.on_order[f], self.backordered[f], self._trigger[f]
        for k, u in zip(skus, units):  # noqa: B905  (equal lengths by construction; hot loop)
            left = row[k] - u
            row[k] = left
            if replenish and left + on_order[k] - back[k] <= rop[k]:
                self._review(f, k)
        if skus is not view.skus or units is not view.units:  # part of an order, or a reship:
            self._write_lines(sid, skus, units)  # (a whole order's lines are its order's)
        if held:
            self._log(self.env.now, Status.RELEASED, oid, f, sid)
        n_lines = len(skus)
        zone = self._zone[f][view.dest]
        returns = placed.returns
        if returns is not None:
            returned = [(k, returns[k]) for k in skus if k in returns]
            if returned:
                self._to_return[sid] = returned
        quote: Quote | Plan = placed.quote
        if n_lines == len(view.skus):  # the whole order: known since it was placed
            j = placed.base + f
            pick_h, pack_h = placed.pick_h[j], placed.pack_h[j]
            weight, n_units = placed.weight_lb, placed.units
            if not quote.parcels:
                quote = self.shipper.plan(tuple(skus), tuple(units), zone)
        else:  # part of a split order: its share of the whole order's task times
            n_units, weight, sku_weight = 0, 0.0, self._sku_weight
            for k, u in zip(skus, units, strict=True):
                n_units += u
                weight += u * sku_weight[k]
            n_all, u_all = len(view.skus), placed.units
            a, b, c = self._pick_coef[f]
            whole = a + b * n_all + c * u_all
            j = placed.base + f
            pick_h = (a + b * n_lines + c * n_units) * placed.pick_h[j] / whole if whole else 0.0
            a, b, c = self._pack_coef[f]
            whole = a + b * n_all + c * u_all
            pack_h = (a + b * n_lines + c * n_units) * placed.pack_h[j] / whole if whole else 0.0
            quote = self.shipper.plan(tuple(skus), tuple(units), zone)
        if placed.quality is not None:
            pick_h, pack_h = self._quality_release(sid, view, placed, skus, units, pick_h,
                                                   pack_h)
        if sid >= self._timeline_len:
            self._grow_shipments()
        sh_order, sh_fc, sh_zone, sh_weight = self._sh_mv  # (its lines and units: implied)
        sh_order[sid] = oid
        sh_fc[sid] = f
        sh_zone[sid] = zone
        sh_weight[sid] = weight
        self._pack_h[sid] = pack_h
        self._quote[sid] = quote
        self.wip[f] += 1
        self.pickers[f].submit(sid, pick_h)

    def _write_lines(self, sid: int, skus: Sequence[int], units: Sequence[int]) -> None:
        """Write the lines of shipment ``sid`` (one that does not carry a whole order, see
        :class:`sim.recorder.PackedShipmentLines`)."""
        p = self._sl_n
        if p + len(skus) > self._sl_cap:
            for col in self._sl_all:
                col.reserve(p + len(skus))
            self._bind_floor()
        sl_sid, sl_sku, sl_units = self._sl_mv
        for k, u in zip(skus, units, strict=True):
            sl_sid[p] = sid
            sl_sku[p] = k
            sl_units[p] = u
            p += 1
        self._sl_n = p

    def _hold(self, view: OrderView, f: int, placed: Placed) -> None:
        oid = view.id
        self._log(self.env.now, Status.ON_HOLD, oid, f, -1)
        self.held[oid] = (view, f, placed)
        for k, u in zip(view.skus, view.units, strict=True):
            self.held_by_sku.setdefault(k, {})[oid] = None
            self.backordered[f][k] += u
            if self._replenish:
                self._review(f, k)
        if self.net.cancel_after_h is not None:
            self._at(self.env.now + self.net.cancel_after_h, self._cancel, oid)

    def _unhold(self, oid: int) -> tuple[OrderView, int, Placed]:
        entry = self.held.pop(oid)
        view, f, _ = entry
        for k, u in zip(view.skus, view.units, strict=True):
            del self.held_by_sku[k][oid]
            self.backordered[f][k] -= u
        return entry

    def _cancel(self, oid: int) -> None:
        if oid in self.held:
            self._unhold(oid)
            self._log(self.env.now, Status.CANCELLED, oid, -1, -1)

    def _retry_held(self, sku: int) -> None:
        """Offer held orders containing ``sku`` to the policy again, first come first served.

        An order stays on hold, where it is, unless released: the policy cannot see holds or
        backorders (:class:`sim.state.StateView`), and a release takes the order off hold
        before its stock is allocated, as if it had left the hold first.  A policy whose
        ``route_is_pure`` is true is not asked about an order that no answer could release
        (a line short at every FC): it would answer the same, with no effect (nor would a
        wrong answer about such an order raise :class:`PolicyError`).
        """
        waiting = self.held_by_sku.get(sku)
        if not waiting:
            return
        held, route = self.held, self._route
        rows = self.on_hand_rows if self._skip_hopeless else None
        for oid in sorted(waiting):
            view, _, placed = held[oid]
            if rows is not None and not in_stock_somewhere(rows, view.skus, view.units):
                continue
            route(view, placed, True)

    def _packed(self, sid: int, f: int) -> None:
        """Packed: the label waits for the FC's next pickup event (see :meth:`_label`)."""
        self.wip[f] -= 1
        self._pending[f].append(sid)

    def _label(self, f: int) -> None:
        """Label every shipment packed at FC ``f`` since its last pickup event.

        The service a label gets depends only on the shipment and on each service's next
        pickup at ``f``, which changes only at ``f``'s pickup events; so labelling the batch
        just before each of them (and at the end of the run) gives every shipment the service
        it would have got at the moment it was packed, with one numpy pass per batch.
        """
        sids = self._pending[f]
        if not sids:
            return
        self._pending[f] = []
        quote_of = self._quote
        quotes = list(map(quote_of.pop, sids))
        n, S = len(sids), self._n_services
        ids = np.array(sids, dtype=np.int64)
        sh = self.rec.big["shipments"]
        zone = _gather(sh["zone"], ids).astype(np.intp)
        parcels = np.fromiter(map(_parcels, quotes), np.int64, n)
        carton = np.fromiter(map(_carton_cost, quotes), np.float64, n)
        bill = np.fromiter(itertools.chain.from_iterable(map(_billable, quotes)), np.float64,
                           n * S).reshape(n, S)
        prices = self.shipper.prices_batch(zone, bill)
        # several parcels (or a split order): a Plan, priced when it was made (a Plan has one
        # field more than a Quote)
        plans = np.flatnonzero(np.fromiter(map(len, quotes), np.intp, n) == _PLAN_FIELDS)
        if len(plans):
            prices[plans] = [quotes[j].prices for j in plans.tolist()]  # type: ignore[union-attr]
            parcels[plans] = [quotes[j].parcels for j in plans.tolist()]
        rows = np.arange(n)
        choice = self.net.shipping_choice
        if choice.fixed >= 0:
            s = np.full(n, choice.fixed)
        elif S == 1:
            s = np.zeros(n, np.intp)
        else:
            arrive = self._next_arrival[f][:, zone].T  # (n, S)
            promise = _gather(self.rec.big["orders"]["promise_h"], _gather(sh["order_id"], ids))
            s = choice.choose_batch(prices, arrive, promise)
        self.rec.labels.batch(ids, service=s, postage=prices[rows, s], parcels=parcels,
                              billable_lb=bill[rows, s], carton_cost=carton)
        out = self.outbound[f]
        if S == 1:
            out[0].append(ids)
        else:
            for k in np.unique(s).tolist():
                out[k].append(ids[s == k])

    def _advance_pickup(self, f: int, s: int) -> None:
        """Point (f, s) at its next pickup: labels created from now on expect that one."""
        i = self._pickup_idx[f][s] + 1
        self._pickup_idx[f][s] = i
        times = self.estimates.pickup_times[f][s]
        self._next_arrival[f][s] = self.estimates.arrival(f, s, times[i])[0] \
            if i < len(times) else self._never

    def _pickup(self, value: tuple[int, int]) -> None:
        """The carrier collects every parcel labelled for service ``s`` at FC ``f``; each is
        delivered (on time or a day late) or ends in an exception, computed now."""
        f, s = value
        self._label(f)  # before the pickup moves on: these labels expect this pickup
        self._advance_pickup(f, s)
        chunks = self.outbound[f][s]
        if not chunks:
            return
        self.outbound[f][s] = []
        ids = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        n = len(ids)
        now = self.env.now
        on_time, late = self.estimates.arrival(f, s, now)
        svc = self.net.services[s]
        late_u, exc_u = self.rngs["transit"].random((2, n))
        sh = self.rec.big["shipments"]
        zone = _gather(sh["zone"], ids).astype(np.intp)
        oid = _gather(sh["order_id"], ids)
        exc = self._intl_exc
        exception = exc_u < (svc.exception_probability if exc is None else exc[s][zone])
        t = np.where(late_u < svc.late_probability, late[zone], on_time[zone])
        t[exception] = on_time[zone[exception]]
        if self._customs:  # customs clearance of parcels abroad ([international])
            t = t + self._customs_hours(oid)
        status = np.where(exception, int(Status.EXCEPTION), int(Status.DELIVERED))
        gone = self._quality_transit(ids, oid, t, status, exception, f, s) if self._q_ship \
            else exception
        self.rec.events.pickup(now, f, ids, t, status, t <= self.net.horizon_h)
        if self._to_return:
            self._send_back(ids, oid, t, gone, f)

    def _send_back(self, ids: np.ndarray, oid: np.ndarray, t: np.ndarray,
                   exception: np.ndarray, f: int) -> None:
        """Schedule the returns of the parcels just shipped: each comes back to ``f`` its
        delay after delivery (parcels lost in an exception never do)."""
        to_return = self._to_return
        mine = np.flatnonzero(np.fromiter(map(to_return.__contains__, ids.tolist()), bool,
                                          len(ids)))
        if not len(mine):
            return
        ret = self.net.returns
        dist = DIST_CODES[ret.delay_days.dist]
        delay = np.full(len(mine), ret.delay_days.mean)
        if dist != 0:
            delay *= service_factor(self.rngs["return_delay"].random(len(mine)), dist,
                                    ret.delay_days.cv)
        # back at the FC with the first inbound carrier (dock_hour) after delivery + delay
        back_h = t[mine] + 24.0 * delay
        day = np.ceil((back_h - ret.dock_hour) / 24.0).astype(np.int64)
        bucket = self._return_bucket
        for sid, o, lost, d in zip(ids[mine].tolist(), oid[mine].tolist(),
                                   exception[mine].tolist(), day.tolist(), strict=True):
            lines = to_return.pop(sid)
            if lost:
                continue
            key = (f, d)
            waiting = bucket.get(key)
            if waiting is None:
                waiting = bucket[key] = []
                self._at(24.0 * d + ret.dock_hour, self._returns_dock, key)
            waiting.append((sid, o, lines))

    def _record_stock(self) -> None:
        st = self.rec.cols["stock"]
        F, K = self.on_hand.shape
        st["fc"].extend(np.repeat(np.arange(F), K).tolist())
        st["sku"].extend(np.tile(np.arange(K), F).tolist())
        st["initial"].extend(self.net.initial_stock.ravel().tolist())
        st["on_hand"].extend(self.on_hand.ravel().tolist())
        st["on_order"].extend(np.ravel(self.on_order).tolist())
        st["backordered"].extend(np.ravel(self.backordered).tolist())
        st["in_inspection"].extend(np.ravel(self.in_inspection).tolist())


_parcels, _billable, _carton_cost = (attrgetter("parcels"), attrgetter("billable_lb"),
                                     attrgetter("carton_cost"))
_PLAN_FIELDS = len(Plan._fields)
"""A Plan has one field more than a Quote: :meth:`FulfillmentModel._label` tells a batch's
plans from its quotes by their length, in one C loop (tested)."""


def _factors_by_fc(u: np.ndarray, dist: np.ndarray, cv: np.ndarray) -> np.ndarray:
    """Task-time factors (n, F) from the uniforms ``u``, computed once per distinct
    (distribution, cv) rather than once per FC (FCs usually share one)."""
    cols: dict[tuple[int, float], np.ndarray] = {}
    for key in zip(dist.tolist(), cv.tolist(), strict=True):
        if key not in cols:
            cols[key] = service_factor(u, int(key[0]), float(key[1]))
    return np.column_stack([cols[key] for key in zip(dist.tolist(), cv.tolist(), strict=True)])


def _gather(col: Column, idx: np.ndarray) -> np.ndarray:
    """``col[idx]`` for rows already written."""
    return col.buf[idx]


def _extend(cols: dict[str, Column], **values: np.ndarray) -> None:
    """Append numpy columns to a table's columns (one cast and copy each)."""
    for name, v in values.items():
        cols[name].extend(v)


def simulate(net: Network, *, replication: int = 0, policy: RoutingPolicy | None = None,
             progress: ProgressFn | None = None) -> EventLog:
    """Run one replication of ``net`` and return its event log."""
    return FulfillmentModel(net, replication=replication, policy=policy,
                            progress=progress).run()
