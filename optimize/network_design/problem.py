"""The design instance: a scenario's demand and each candidate's cost of serving it.

Costs per order come from the scenario's own :class:`~sim.network.Network` (its order model,
cartons, rate tables and labor); see ``docs/network_design.md`` for how each part is priced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimize.network_design.candidates import Candidates
from optimize.orlib import FacilityProblem
from sim.demand import draw_counts
from sim.geo import USPS_ZONE_MAX_MILES, great_circle_miles, zone_of
from sim.network import Network
from sim.shipping import Shipper, quote_orders

__all__ = ["NetworkProblem", "cost_per_order_by_zone", "network_problem", "thousands"]


@dataclass(frozen=True, eq=False)
class NetworkProblem:
    """A network-design instance built from a scenario's :class:`~sim.network.Network`.

    ``facility`` is the :class:`~optimize.orlib.FacilityProblem` the MIP solves (rows =
    candidates, columns = destinations, ``costs[i, j]`` = cost per day of serving all of
    destination ``j`` from site ``i``; money per day, demand in orders per day).  The cost
    parts (``transport``, ``labor``, ``late``) are kept apart to report the objective's split.
    """

    facility: FacilityProblem
    candidates: Candidates
    demand: NDArray[np.float64]  # (n,) orders per day by destination
    zone: NDArray[np.int8]  # (m, n)
    transport: NDArray[np.float64]  # (m, n) postage + carton per day
    labor: NDArray[np.float64]  # (m, n) pick/pack labor per day
    late: NDArray[np.float64]  # (m, n) late-delivery penalty per day
    cost_per_order_by_zone: NDArray[np.float64]  # (9,) index = zone, [0] unused
    transit_days_by_zone: NDArray[np.int64]  # (9,)
    labor_hours_per_order: float
    wage: NDArray[np.float64]  # (m,) wage used per site
    service: str
    zone_max_miles: NDArray[np.float64]
    demand_factor: float
    late_penalty_per_order_day: float
    handling_days: float
    zone_agreement: float
    """Share of the scenario's own FC-destination pairs whose zone the bands reproduce (1.0
    unless the scenario uses other bands or a zone chart)."""
    dest_names: tuple[str, ...]

    @property
    def total_demand(self) -> float:
        return float(self.demand.sum())

    @property
    def demand_text(self) -> str:
        """``"demand is 5,000 orders/day"``, with the peak factor when one applies: the
        demand as error messages and reports state it."""
        text = f"demand is {thousands(self.total_demand)} orders/day"
        if self.demand_factor != 1.0:
            text += (f" ({thousands(self.total_demand / self.demand_factor)} x peak factor "
                     f"{self.demand_factor:g})")
        return text


def thousands(v: float) -> str:
    """``v`` rounded to a whole number, with thousands separators (``"5,000"``)."""
    return f"{v:,.0f}"


def _sample_orders(net: Network, n_orders: int, seed: int
                   ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Orders drawn from the scenario's order model (CSR: line_ptr, line_sku, line_units)."""
    rng = np.random.default_rng(seed)
    n_lines = draw_counts(rng, net.lines_per_order, n_orders)
    owner = np.repeat(np.arange(n_orders), n_lines)
    sku = rng.choice(net.n_skus, len(owner), p=net.sku_popularity)
    units = draw_counts(rng, net.units_per_line, len(owner))
    key, inverse = np.unique(owner * net.n_skus + sku, return_inverse=True)
    units = np.bincount(inverse, weights=units).astype(np.int64)
    owner, sku = key // net.n_skus, key % net.n_skus
    ptr = np.zeros(n_orders + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=n_orders), out=ptr[1:])
    return ptr, sku.astype(np.int64), units


def cost_per_order_by_zone(net: Network, service: str | None = None, n_orders: int = 4000,
                           seed: int = 0) -> tuple[NDArray[np.float64], str]:
    """Mean postage + carton cost of one order by zone (index 1-8) with ``service``.

    Orders are a fixed sample from the scenario's order model, packed as the simulation packs
    them; an order the service cannot carry is priced with the cheapest service that can.
    Returns the (9,) array and the service's name.
    """
    names = list(net.service_names)
    if service is None:
        s = 0
    elif service in names:
        s = names.index(service)
    else:
        raise ValueError(f"service '{service}' is not one of the scenario's services "
                         f"({', '.join(names)})")
    ptr, sku, units = _sample_orders(net, n_orders, seed)
    shipper = Shipper.for_network(net)
    quotes = quote_orders(shipper, ptr, sku, units)
    single = np.asarray(quotes.single, bool)
    bill = np.asarray(quotes.billable, np.int64)
    carton = np.asarray(quotes.carton_cost, float)
    multi = np.flatnonzero(~single)
    out = np.zeros(9)
    for z in range(1, 9):
        prices = shipper.prices_batch(np.full(n_orders, z, np.intp), bill)  # (N, S)
        for i in multi.tolist():
            lo, hi = int(ptr[i]), int(ptr[i + 1])
            plan = shipper.plan(tuple(sku[lo:hi].tolist()), tuple(units[lo:hi].tolist()), z)
            prices[i] = plan.prices
            carton[i] = plan.carton_cost
        chosen = prices[:, s]
        fallback = np.min(prices, axis=1)
        cost = np.where(np.isfinite(chosen), chosen, fallback)
        ok = np.isfinite(cost)  # an order no service carries is left out (oversize "error")
        out[z] = float(np.mean(cost[ok] + carton[ok])) if ok.any() else math.nan
    if not np.all(np.isfinite(out[1:])):
        raise ValueError("no service can carry any sampled order; check the rate tables")
    return out, names[s]


def _labor_hours_per_order(net: Network) -> float:
    lines = net.lines_per_order.expected()
    units = lines * net.units_per_line.expected()
    per = np.array([1.0, lines, units])
    return float(per @ net.pick_coef_h[0] + per @ net.pack_coef_h[0])


def network_problem(
    net: Network,
    candidates: Candidates,
    *,
    zone_max_miles: Sequence[float] | NDArray[np.float64] | None = None,
    demand_factor: float = 1.0,
    service: str | None = None,
    include_labor: bool = True,
    late_penalty_per_order_day: float = 0.0,
    handling_days: float = 1.0,
    sample_orders: int = 4000,
    sample_seed: int = 0,
) -> NetworkProblem:
    """Build the network-design instance for a scenario's demand and a set of candidates.

    Parameters
    ----------
    net : Network
        The compiled scenario (:func:`sim.network.build_network`); its destinations are the
        demand points, ``orders_per_day x dest_weight`` their orders per day.
    candidates : Candidates
        Candidate sites (:func:`read_candidates`).
    zone_max_miles : sequence of 7 floats, optional
        The scenario's zone bands (``Scenario.carrier.zone_max_miles``; the Network does not
        keep them).  Default: the USPS bands.  ``zone_agreement`` on the result tells whether
        they reproduce the scenario's own FC zones.
    demand_factor : float, default 1.0
        Multiplies demand (e.g. a seasonal peak of 1.6 to size capacity for the peak).
    service : str, optional
        The carrier service that prices every order (default: the scenario's first service).
    include_labor : bool, default True
        Add pick-and-pack labor per order at each site's wage (the candidate's
        ``labor_cost_per_hour``, else the scenario's first FC's).
    late_penalty_per_order_day : float, default 0
        Cost per order per day delivered after its channel's promise (expected: handling
        days + the service's transit days at the zone).
    handling_days : float, default 1.0
        Days from order to carrier pickup used for the late-delivery estimate.
    sample_orders, sample_seed : int
        Size and seed of the order sample that prices a typical order by zone.
    """
    if demand_factor <= 0 or not math.isfinite(demand_factor):
        raise ValueError(f"demand_factor must be a positive number, got {demand_factor}")
    if late_penalty_per_order_day < 0:
        raise ValueError("late_penalty_per_order_day must be >= 0")
    bands = np.asarray(USPS_ZONE_MAX_MILES if zone_max_miles is None else zone_max_miles,
                       dtype=np.float64)
    if bands.shape != (7,) or np.any(np.diff(bands) <= 0):
        raise ValueError(f"zone_max_miles needs 7 increasing distances, got {bands.tolist()}")
    w = np.asarray(net.dest_weight, float)
    demand = net.orders_per_day * demand_factor * w / w.sum()
    dist = great_circle_miles(candidates.lat[:, None], candidates.lon[:, None],
                              np.asarray(net.dest_lat)[None, :], np.asarray(net.dest_lon)[None, :])
    zone = zone_of(dist, bands)
    own = zone_of(np.asarray(net.dist_mi), bands)
    agreement = float(np.mean(own == np.asarray(net.zone))) if own.size else 1.0

    per_order, svc_name = cost_per_order_by_zone(net, service, sample_orders, sample_seed)
    svc = net.services[list(net.service_names).index(svc_name)]
    transit = np.asarray(svc.transit_days_by_zone, np.int64)
    transport = demand[None, :] * per_order[zone]

    hours = _labor_hours_per_order(net) if include_labor else 0.0
    default_wage = float(net.labor_cost_per_hour[0])
    wage = np.where(np.isnan(candidates.labor_cost_per_hour), default_wage,
                    candidates.labor_cost_per_hour)
    labor = np.outer(wage * hours, demand)

    share = np.asarray(net.channel_share, float)
    promise = np.asarray(net.channel_promise_days, float)
    late_by_zone = np.array([
        float(np.sum(share * np.maximum(0.0, handling_days + transit[z] - promise)))
        for z in range(9)])
    late = late_penalty_per_order_day * demand[None, :] * late_by_zone[zone]

    name = f"{net.name}: {len(candidates)} candidates x {net.n_dests} destinations"
    facility = FacilityProblem(
        capacities=candidates.capacity_orders_per_day.astype(np.float64).copy(),
        fixed_costs=candidates.fixed_cost_per_day.astype(np.float64).copy(),
        demands=demand.astype(np.float64),
        costs=np.ascontiguousarray(transport + labor + late, dtype=np.float64),
        name=name,
    )
    return NetworkProblem(
        facility=facility, candidates=candidates, demand=demand, zone=zone, transport=transport,
        labor=labor, late=late, cost_per_order_by_zone=per_order, transit_days_by_zone=transit,
        labor_hours_per_order=hours, wage=wage, service=svc_name, zone_max_miles=bands,
        demand_factor=demand_factor, late_penalty_per_order_day=late_penalty_per_order_day,
        handling_days=handling_days, zone_agreement=agreement,
        dest_names=tuple(net.dest_names))

