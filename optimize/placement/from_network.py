"""The placement problem of a compiled scenario (:func:`problem_from_network`): demand, unit
shipping cost, transit, stock parameters and the FCs' labor throughput
(:func:`labor_throughput`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from optimize.placement.problem import FloatArray, PlacementProblem

if TYPE_CHECKING:
    from sim.network import Network


TIE_BREAK_PER_MILE = 1e-6
"""$ per unit and mile added to a scenario's shipping cost so exact ties go to the nearer FC
(see :func:`problem_from_network`)."""


def _unit_shipping(net: Network, ground_service: str | None
                   ) -> tuple[FloatArray, FloatArray]:
    """Price of a one-unit parcel by SKU and zone (K, 9) and transit days by zone (9,).

    The parcel is packed by the scenario's carton rules (:class:`sim.shipping.Shipper`) and
    priced like the scenario's ``[shipping] policy`` for an order of each channel: for
    ``rate_shop`` the cheapest service whose transit meets the channel's promise less one day
    of handling, else the fastest, weighted by the channels' shares.  Transit days (for the
    service constraint, "2-day ground coverage") are those of the ground service:
    ``ground_service``, else the service named ``ground``, else the one with the cheapest
    1-lb parcel at zone 5.
    """
    from sim.shipping import REFERENCE_ZONE, Shipper

    shipper = Shipper.for_network(net)
    services = net.services
    S = len(services)
    K = net.n_skus
    cost = np.zeros((K, 9))
    promise = np.asarray(net.channel_promise_days, float)
    share = np.asarray(net.channel_share, float)
    share = share / share.sum() if share.sum() > 0 else np.ones(1)
    for k in range(K):
        for z in range(1, 9):
            plan = shipper.plan((k,), (1,), z)
            prices = list(plan.prices)
            days = [float(s.transit_days_by_zone[z]) for s in services]
            total = 0.0
            for c, wt in enumerate(share):
                budget = float(promise[c]) - 1.0 if len(promise) else math.inf
                s = net.shipping_choice.choose(prices, days, budget)
                total += wt * prices[s]
            cost[k, z] = total + plan.carton_cost
    if ground_service is None and "ground" in net.service_names:
        ground_service = "ground"
    if ground_service is None:
        ground = min(range(S), key=lambda s: services[s].price(REFERENCE_ZONE, 1.0))
    elif ground_service in net.service_names:
        ground = net.service_names.index(ground_service)
    else:
        raise ValueError(f"ground_service {ground_service!r} is not a service of the scenario "
                         f"(services: {', '.join(net.service_names)})")
    return cost, np.asarray(services[ground].transit_days_by_zone, float)


def labor_throughput(net: Network) -> tuple[FloatArray, FloatArray]:
    """Units per day each FC's pickers and its packers get through on an average day, if busy
    all their paid hours.

    Labor hours per day: ``(end_h - start_h) x people`` of every shift, summed over the
    weekdays it runs, divided by 7 (the placement's demand is an average day, so is its
    capacity).  Hours per unit: the time model's mean for the scenario's average order,
    ``(per_order + L per_line + U per_unit) / U`` with ``L`` mean lines per order and
    ``U = L x`` mean units per line, because the order and line terms are shared by all the
    units of an order.

    Parameters
    ----------
    net : sim.network.Network

    Returns
    -------
    pick, pack : array (F,)
        Units per day (0 for an FC with no pickers, or no packers).
    """
    F = net.n_fcs
    hours = (np.asarray(net.shift_end_h, float) - np.asarray(net.shift_start_h, float)) \
        * np.asarray(net.shift_days, bool).sum(axis=1) / 7.0
    fc = np.asarray(net.shift_fc, np.int64)
    pick_h = np.bincount(fc, weights=hours * np.asarray(net.shift_pickers, float), minlength=F)
    pack_h = np.bincount(fc, weights=hours * np.asarray(net.shift_packers, float), minlength=F)
    lines = float(net.lines_per_order.expected())
    upo = lines * float(net.units_per_line.expected())
    per_order = np.array([1.0, lines, upo])

    def per_unit(coef: ArrayLike) -> FloatArray:
        return np.asarray(coef, float).reshape(F, 3) @ per_order / upo

    return pick_h / per_unit(net.pick_coef_h), pack_h / per_unit(net.pack_coef_h)


def problem_from_network(net: Network, *, volume_capacity: ArrayLike | None = None,
                         capacity_factor: float = 1.5, slot_capacity: ArrayLike | None = None,
                         fixed_cost_per_day: ArrayLike | None = None,
                         days_of_cover: ArrayLike | None = None, z: float = 1.645,
                         service_share: float | None = None, service_days: float = 2.0,
                         ground_service: str | None = None,
                         throughput_capacity: ArrayLike | None = None,
                         max_utilization: float = 0.85,
                         tie_break_per_mile: float = TIE_BREAK_PER_MILE) -> PlacementProblem:
    """The placement problem of a compiled scenario (:class:`sim.network.Network`).

    * Regions are the network's destinations.  Demand per SKU and destination is
      ``orders_per_day x units per order x popularity x destination weight``, the same
      product that gives ``net.forecast_units_per_day`` (there summed by nearest FC).
    * Shipping cost per unit: a one-unit parcel of the SKU, packed and priced by the
      scenario's cartons and services at zone(FC, destination) under its shipping policy
      (see :func:`_unit_shipping`); transit days by zone of the ground service.
    * Holding cost: ``holding_cost_rate x unit cost`` per unit-year.
    * Demand variance per destination: compound Poisson (lines Poisson, units per line from
      the scenario) plus the day-to-day factor ``daily_cv`` (taken as independent across
      destinations, which understates it).
    * Lead time: the mean lead time of each SKU's supplier (7 days without one).
    * Days of cover: the scenario's order-up-to level in days (``repl_S``, or ``s + Q`` for
      ``rQ``) relative to the forecast, unless given; 14 where there is none.
    * Fixed cost per stocked FC-SKU and day: the supplier's ``fixed_cost_per_po`` over the days
      of cover (one more purchase order per cycle), unless given.
    * Storage volume: the scenario has no FC capacity yet, so ``volume_capacity`` (cu ft per
      FC) may be given; by default each FC gets ``capacity_factor`` (1.5) times the volume of
      the scenario's whole initial stock divided evenly among the FCs.
    * Throughput (units/day per FC): ``max_utilization`` times what the FC's shift plan can
      pick and pack on an average day (:func:`labor_throughput`), the smaller of the two,
      unless ``throughput_capacity`` is given.  Without this row the cheapest placement sends
      the smallest crew more units than it can pick (baseline: 2,893 units/day to Chicago,
      whose pickers manage about 2,240), and the simulated orders then ship late on air
      services that cost more than the shipping the placement saved.
    * Ties: many destination-SKU pairs cost exactly the same from two FCs (same zone, same
      one-unit parcel price), and a solver would break them arbitrarily.  Each unit's shipping
      cost gets ``tie_break_per_mile`` (1e-6 $) per mile from the FC to the destination, so
      ties go to the nearer FC, as the simulation's nearest-FC routing does.  Per unit it is
      at most ``tie_break_per_mile x max distance`` ($0.0026 at the baseline's 2,600 miles,
      against $0.56, the least nonzero difference between two FCs' prices for a unit there),
      so it decides only exact ties.  It moves a placement's cost by at most
      ``tie_break_per_mile x max distance x total demand`` per day ($27 on the baseline's
      10,200 units/day, 0.013 % of its $205,000; $3 for the placement chosen, whose units
      travel 290 miles on average), so the placement it picks costs at most
      ``tie_break_per_mile x (max - min distance) x total demand`` more than the true
      optimum.  The reported costs include it.  The decomposition's exact per-SKU pricing
      honours it fully; the final choice among columns only within ``gap_tol``.

    Parameters
    ----------
    net : sim.network.Network
        The compiled scenario.
    volume_capacity : array (F,), optional
        Storage cubic feet per FC (default: ``capacity_factor`` x the initial stock's volume
        over the FCs).
    capacity_factor : float
        See ``volume_capacity``.
    slot_capacity : array (F,), optional
        SKU slots per FC (None: unlimited).
    fixed_cost_per_day, days_of_cover : array (K,), optional
        Override the values derived from the suppliers and the replenishment levels.
    z : float
        Safety factor of the stock rule.
    service_share, service_days : float
        Service constraint (None: none): this share of units within ``service_days``.
    ground_service : str, optional
        Service whose transit days count for the service constraint.
    throughput_capacity : array (F,), optional
        Units per day each FC can pick and pack; default from the shift plan (see above).
    max_utilization : float
        Share of the shift plan's labor capacity the placement may fill (0.85).  Headroom,
        because the plan is an average day: Mondays bring 15 % more orders than the mean,
        orders arrive in hourly peaks, and pickers queued near 100 % utilisation miss the
        carrier cut-offs.  Ignored when ``throughput_capacity`` is given.
    tie_break_per_mile : float
        $ per unit and mile added to shipping cost so that equal costs go to the nearer FC
        (0 to switch off).

    Returns
    -------
    PlacementProblem
    """
    if not 0.0 < max_utilization <= 1.0:
        raise ValueError(f"max_utilization must be in (0, 1], got {max_utilization}")
    if tie_break_per_mile < 0 or not math.isfinite(tie_break_per_mile):
        raise ValueError(f"tie_break_per_mile must be finite and >= 0, got {tie_break_per_mile}")
    K, F = net.n_skus, net.n_fcs
    upo = float(net.lines_per_order.expected() * net.units_per_line.expected())
    demand = net.orders_per_day * upo * np.outer(net.sku_popularity, net.dest_weight)
    u1 = float(net.units_per_line.expected())
    var = demand * net.units_per_line.second_moment() / max(u1, 1e-12)
    var = var + (net.daily_cv * demand) ** 2
    cost_kz, days_z = _unit_shipping(net, ground_service)
    zone = np.asarray(net.zone, np.int64)
    ship = cost_kz[:, zone]  # (K, F, D)
    if tie_break_per_mile > 0:
        ship = ship + tie_break_per_mile * np.asarray(net.dist_mi, float)[None, :, :]
    transit = days_z[zone]  # (F, D)
    volume = np.prod(np.asarray(net.sku_dims_in, float), axis=1) / 1728.0
    holding = net.holding_cost_rate * np.asarray(net.sku_unit_cost, float)
    lead = np.array([net.suppliers[s].lead_time_mean_days if s >= 0 else 7.0
                     for s in np.asarray(net.sku_supplier).tolist()], float)
    if days_of_cover is None:
        level = np.where(net.repl_S > 0, net.repl_S, net.repl_s + net.repl_Q).sum(axis=0)
        fc_sum = np.asarray(net.forecast_units_per_day).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(fc_sum > 0, level / fc_sum, 14.0)
        cover = np.where(cover > 0, cover, 14.0)
    else:
        cover = np.broadcast_to(np.asarray(days_of_cover, float), (K,)).copy()
    if fixed_cost_per_day is None:
        po = np.array([net.suppliers[s].fixed_cost_per_po if s >= 0 else 0.0
                       for s in np.asarray(net.sku_supplier).tolist()], float)
        fixed = po / np.maximum(cover, 1.0)
    else:
        fixed = np.asarray(fixed_cost_per_day, float)
    if volume_capacity is None:
        stock_vol = float((np.asarray(net.initial_stock, float) * volume[None, :]).sum())
        vcap = np.full(F, capacity_factor * stock_vol / F)
    else:
        vcap = np.broadcast_to(np.asarray(volume_capacity, float), (F,)).copy()
    scap = None if slot_capacity is None else np.broadcast_to(
        np.asarray(slot_capacity, float), (F,)).copy()
    if throughput_capacity is None:
        pick, pack = labor_throughput(net)
        tcap = max_utilization * np.minimum(pick, pack)
    else:
        tcap = np.broadcast_to(np.asarray(throughput_capacity, float), (F,)).copy()
    return PlacementProblem(
        demand=demand, ship_cost=ship, transit_days=transit, unit_volume=volume,
        holding_cost=holding, fixed_cost=fixed, volume_capacity=vcap, slot_capacity=scap,
        throughput_capacity=tcap, demand_sd=np.sqrt(var), days_of_cover=cover,
        lead_time_days=lead, z=z, service_share=service_share, service_days=service_days,
        fc_names=tuple(net.fc_names), sku_names=tuple(net.sku_ids),
        region_names=tuple(net.dest_names))
