"""Random placement instances with a realistic shape, for benchmarks and tests
(:func:`synthetic_problem`)."""

from __future__ import annotations

import math

import numpy as np

from optimize.placement.evaluate import evaluate_assignment
from optimize.placement.problem import FloatArray, IntArray, PlacementProblem
from sim.geo import USPS_ZONE_MAX_MILES, great_circle_miles, zone_of

GROUND_DAYS_BY_ZONE = (0, 1, 1, 2, 2, 3, 4, 5, 5)
"""Ground transit days by zone (index 0 unused), as the bundled UPS ground service."""


def synthetic_problem(n_skus: int, n_fcs: int, n_regions: int, seed: int = 0, *,
                      units_per_sku_day: float = 2.0, capacity_factor: float = 1.05,
                      service_share: float | None = 0.0, slot_share: float | None = None,
                      throughput_factor: float | None = None) -> PlacementProblem:
    """A realistic random instance (all randomness from ``numpy.random.default_rng(seed)``).

    Regions are points in the contiguous US with heavy-tailed (lognormal) population weights;
    FCs are placed near populous regions.  Zones follow the USPS distance bands
    (:data:`sim.geo.USPS_ZONE_MAX_MILES`, great-circle miles), transit days the ground service
    (``GROUND_DAYS_BY_ZONE``), and the price per unit grows with the zone and the SKU's
    billable weight (max of actual and dimensional weight at divisor 139).
    Popularity is Zipf-like (``1 / rank^0.9``, shuffled), with a random regional affinity per
    SKU; unit costs are lognormal around $15, holding 25 % a year, fixed costs $0.20-0.60 a day
    per stocked FC-SKU.

    Parameters
    ----------
    units_per_sku_day : float
        Mean demand per SKU (units/day) over all regions.
    capacity_factor : float
        Each FC's volume relative to what it reserves when every region is served by its
        nearest FC (with ``throughput_factor``: its nearest FC with throughput left, see
        :func:`_nearest_with_room`).  With 1 or more that placement is feasible (so is the
        instance); close to 1 the FCs that cheap single-FC stocking would fill up are the
        ones that bind.
    service_share : float or None
        ``None``: no service constraint; ``0.0`` (default): 97 % of the share reached by the
        placement ``capacity_factor`` refers to; else the target itself.
    slot_share : float or None
        SKU slots of each FC as a share of the SKU count (None: unlimited).
    throughput_factor : float or None
        Units per day each FC can ship as a share of the total demand (None: unlimited).
        With ``F`` FCs, ``F x throughput_factor`` above 1 keeps the instance feasible, and
        near 1 it binds at the FCs that serve populous regions (e.g. 0.3 with 4 FCs: every
        FC may take at most 30 % of the demand, where the cheapest FC of each region gives
        the biggest one 49 % at 1,000 x 4 x 100, seed 0).  Draws no random numbers, so
        demand, costs and geography are those of the instance without it; the volume and
        the default service target are sized from a placement that obeys the throughput
        rows, so that the instance stays feasible.
    """
    rng = np.random.default_rng(seed)
    K, F, R = n_skus, n_fcs, n_regions
    lat = rng.uniform(26.0, 48.0, R)
    lon = rng.uniform(-122.0, -71.0, R)
    w = rng.lognormal(0.0, 1.2, R)
    w /= w.sum()
    hubs = rng.choice(R, size=F, replace=F > R, p=w)
    fc_lat = lat[hubs] + rng.normal(0.0, 0.5, F)
    fc_lon = lon[hubs] + rng.normal(0.0, 0.5, F)
    dist = great_circle_miles(fc_lat[:, None], fc_lon[:, None], lat[None, :], lon[None, :])
    zone = zone_of(dist, USPS_ZONE_MAX_MILES)
    transit = np.asarray(GROUND_DAYS_BY_ZONE, float)[zone]
    # SKUs: weight (lb), volume (cu ft), billable pounds
    weight = rng.lognormal(np.log(1.2), 0.8, K)
    cubic_in = weight * rng.lognormal(np.log(150.0), 0.5, K)
    volume = cubic_in / 1728.0
    billable = np.maximum(np.ceil(weight), np.ceil(cubic_in / 139.0)).astype(np.int64)
    zf = (zone - 1).astype(float)  # (F, R)
    lb = (billable - 1).astype(float)
    ship = (8.5 + 0.6 * zf[None, :, :] + (0.45 + 0.12 * zf[None, :, :]) * lb[:, None, None])
    pop = 1.0 / np.arange(1, K + 1) ** 0.9
    pop = rng.permutation(pop / pop.sum())
    affinity = rng.lognormal(0.0, 0.3, (K, R)) * w[None, :]
    affinity /= affinity.sum(axis=1, keepdims=True)
    demand = units_per_sku_day * K * pop[:, None] * affinity
    unit_cost = rng.lognormal(np.log(15.0), 0.6, K)
    fc_mult = rng.uniform(0.9, 1.1, F)
    holding = 0.25 * fc_mult[:, None] * unit_cost[None, :]
    fixed = rng.uniform(0.2, 0.6, K)[None, :] * rng.uniform(0.9, 1.1, F)[:, None]
    sd = np.sqrt(1.5 * demand)
    cover, lead, z = 14.0, 7.0, 1.645
    nearest = np.argmin(dist, axis=0)  # (R,)
    fast_near = transit[nearest, np.arange(R)] <= 2.0
    base = PlacementProblem(
        demand=demand, ship_cost=ship, transit_days=transit, unit_volume=volume,
        holding_cost=holding, fixed_cost=fixed, demand_sd=sd, days_of_cover=cover,
        lead_time_days=lead, z=z)
    thr = (None if throughput_factor is None
           else np.full(F, throughput_factor * float(demand.sum())))
    if thr is None:
        near_assign = np.where(demand > 0, nearest[None, :], -1).astype(np.int64)
        fast_share = float((demand[:, fast_near]).sum() / demand.sum())
    else:
        # the reference placement must obey the throughput rows too, or the volume and the
        # service target sized from it would leave the instance infeasible
        near_assign = _nearest_with_room(demand, dist, thr)
        near_assign[demand <= 0] = -1
        fast = transit[near_assign, np.arange(R)[None, :]] <= 2.0
        fast_share = float(demand[fast & (demand > 0)].sum() / demand.sum())
    vcap = capacity_factor * evaluate_assignment(base, near_assign)["volume"]
    vcap = np.maximum(vcap, 0.05 * vcap.mean())  # an FC nearest to no region still has room
    if service_share == 0.0:
        service: float | None = 0.97 * fast_share
    else:
        service = service_share
    slots = None if slot_share is None else np.full(F, math.ceil(slot_share * K), float)
    return PlacementProblem(
        demand=demand, ship_cost=ship, transit_days=transit, unit_volume=volume,
        holding_cost=holding, fixed_cost=fixed, volume_capacity=vcap, slot_capacity=slots,
        throughput_capacity=thr, demand_sd=sd, days_of_cover=cover, lead_time_days=lead, z=z,
        service_share=service, service_days=2.0, fc_names=tuple(f"FC{i}" for i in range(F)),
        sku_names=tuple(f"SKU{i:05d}" for i in range(K)),
        region_names=tuple(f"R{i:03d}" for i in range(R)))


def _nearest_with_room(demand: FloatArray, dist: FloatArray, cap: FloatArray) -> IntArray:
    """A placement (K, R) that obeys the throughput capacities ``cap`` (F,): regions, the
    biggest first, each wholly to the nearest FC that still has room for it; a region no FC
    can take whole is split by SKU (the biggest first) in the same way, and a pair no FC has
    room for goes to the FC with most room left (over capacity only if the capacities barely
    exceed the demand).  Deterministic, so :func:`synthetic_problem` stays reproducible."""
    K, R = demand.shape
    left = np.asarray(cap, float).copy()
    out = np.empty((K, R), np.int64)
    reg = demand.sum(axis=0)
    by_dist = np.argsort(dist, axis=0, kind="stable")  # (F, R)
    for r in np.argsort(-reg, kind="stable").tolist():
        fcs = by_dist[:, r].tolist()
        whole = [f for f in fcs if left[f] >= reg[r]]
        if whole:
            out[:, r] = whole[0]
            left[whole[0]] -= reg[r]
            continue
        for k in np.argsort(-demand[:, r], kind="stable").tolist():
            f = next((g for g in fcs if left[g] >= demand[k, r]), int(np.argmax(left)))
            out[k, r] = f
            left[f] -= demand[k, r]
    return out
