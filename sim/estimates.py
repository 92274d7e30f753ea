"""What a routing policy may ask the simulation to estimate (through :class:`sim.state.StateView`).

Labor (mean task hours, queued work, the staffing plan's hours), when a shipment released now
would be packed, when each service would deliver it, and its landed cost.  The estimates read
the live labor pools and the plans (shift calendar, carrier pickups) but change nothing, so a
policy's questions never alter the run.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence

import numpy as np
import simpy

from sim.labor import LaborPool, StaffingPlan
from sim.network import Network
from sim.shipping import Shipper, delivery_times_by_zone

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

    __slots__ = ("_arrivals", "_choice", "_labor_rate", "_n_services", "_pack_coef",
                 "_pick_coef", "_shipper", "_start_day64", "_zone", "env", "net", "packers",
                 "pickers", "pickup_times", "staffing")

    def __init__(self, net: Network, env: simpy.Environment, pickers: Sequence[LaborPool],
                 packers: Sequence[LaborPool], staffing: StaffingPlan,
                 shipper: Shipper) -> None:
        self.net = net
        self.env = env
        self.pickers, self.packers = pickers, packers
        self.staffing = staffing
        self.pickup_times = pickup_times(net)
        self._arrivals: dict[tuple[int, int, float], tuple[np.ndarray, np.ndarray]] = {}
        self._shipper = shipper
        self._choice = net.shipping_choice
        self._n_services = len(net.services)
        self._zone = net.zone.tolist()
        self._pick_coef = [tuple(r) for r in net.pick_coef_h.tolist()]
        self._pack_coef = [tuple(r) for r in net.pack_coef_h.tolist()]
        self._labor_rate = net.labor_cost_per_hour.tolist()
        self._start_day64 = np.datetime64(net.start_date)

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
        :meth:`ready_h`, :meth:`delivery_h`)."""
        ready = self.ready_h(f, pick_h, pack_h)
        return [self.delivery_h(f, s, dest, ready) for s in range(self._n_services)]

    def landed_cost(self, f: int, skus: tuple[int, ...], units: tuple[int, ...], dest: int,
                    promise_h: float, etas: Sequence[float] | None = None
                    ) -> tuple[float, float]:
        """Expected cost of shipping these lines from FC ``f`` as one shipment (mean pick and
        pack labor, cartons, postage of the service the shipping policy would choose) and the
        hours by which its expected delivery misses ``promise_h`` (0 if on time).  ``etas``
        (from :meth:`etas`) saves recomputing the delivery estimates for several shipments
        from the same FC."""
        pick_h, pack_h = self.task_hours(f, len(skus), sum(units))
        plan = self._shipper.plan(skus, units, self._zone[f][dest])
        arrive = self.etas(f, dest, pick_h, pack_h) if etas is None else etas
        s = self._choice.choose(plan.prices, arrive, promise_h)
        cost = (pick_h + pack_h) * self._labor_rate[f] + plan.carton_cost + plan.prices[s]
        return cost, max(0.0, arrive[s] - promise_h)
