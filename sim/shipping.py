"""Parcel economics: dimensional weight, rate tables, cartons and the choice of service.

Published rules used here (cite when changing them):

* Dimensional weight = L x W x H (inches) / divisor, rounded up to the next pound; billable
  weight = max(actual weight rounded up, dimensional weight).  Divisors: UPS and FedEx daily
  rates 139; USPS 166, applied only to parcels over 1,728 cubic inches.
* Ground services count business days (no weekend pickups or deliveries unless the carrier
  says so).

Everything here is plain numpy/Python so the simulation (and the optimizers) can call it; the
per-shipment work is cached by the shipment's contents, because a catalog's shipments repeat.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

Postage = Callable[[int, float], float]
"""Postage of one parcel given its carton type and actual weight (lb)."""

FILL_FACTOR = 0.9
"""Share of a carton's volume that items may fill (room for dunnage and imperfect packing)."""


def dim_weight_lb(length_in: float, width_in: float, height_in: float, divisor: float) -> int:
    """Dimensional weight in whole pounds: volume / divisor, rounded up."""
    return math.ceil(round(length_in * width_in * height_in / divisor, 9))


def billable_weight_lb(actual_lb: float, dims_in: Sequence[float], divisor: float,
                       dim_min_cubic_in: float = 0.0) -> int:
    """max(actual rounded up, dimensional) pounds; dimensional weight only above
    ``dim_min_cubic_in`` (1,728 for USPS) and never below 1 lb."""
    actual = max(1, math.ceil(round(actual_lb, 9)))
    volume = dims_in[0] * dims_in[1] * dims_in[2]
    if divisor <= 0 or volume <= dim_min_cubic_in:
        return actual
    return max(actual, dim_weight_lb(dims_in[0], dims_in[1], dims_in[2], divisor))


@dataclass(frozen=True, eq=False)
class Service:
    """A carrier service with its rate table (price by zone 1-8 and weight break).

    ``rates[z, w]`` is the base price for zone ``z`` (index 1-8; row 0 unused) and the ``w``-th
    weight break ``weight_breaks_lb[w]`` (the heaviest billable weight priced by that row).
    """

    name: str
    carrier: str
    weight_breaks_lb: np.ndarray  # (W,) increasing
    rates: np.ndarray  # (9, W)
    dim_divisor: float
    dim_min_cubic_in: float
    fuel_surcharge_pct: float
    residential_surcharge: float
    transit_days_by_zone: np.ndarray  # (9,), index = zone
    late_probability: float
    exception_probability: float
    business_days: bool
    pickup_cutoffs_h: tuple[float, ...] | None  # None: the FC's own cut-offs
    pickup_days: np.ndarray | None  # (7,) bool, or None: the FC's own days

    @property
    def max_weight_lb(self) -> float:
        return float(self.weight_breaks_lb[-1])

    def billable(self, actual_lb: float, dims_in: Sequence[float]) -> int:
        return billable_weight_lb(actual_lb, dims_in, self.dim_divisor, self.dim_min_cubic_in)

    def price(self, zone: int, billable_lb: float) -> float:
        """Price of one parcel: base rate x (1 + fuel surcharge) + residential surcharge.

        Returns ``inf`` above the service's heaviest weight break (it will not take it).
        """
        w = int(np.searchsorted(self.weight_breaks_lb, billable_lb - 1e-9, side="left"))
        if w >= len(self.weight_breaks_lb):
            return math.inf
        base = float(self.rates[zone, w])
        return round(base * (1 + self.fuel_surcharge_pct / 100) + self.residential_surcharge, 4)


@dataclass(frozen=True, eq=False)
class Cartons:
    """The carton catalog: inner dimensions (sorted, largest first), weight limit and cost."""

    names: tuple[str, ...]
    dims_in: np.ndarray  # (C, 3), each row sorted descending
    max_weight_lb: np.ndarray
    cost: np.ndarray

    @property
    def volume(self) -> np.ndarray:
        return np.prod(self.dims_in, axis=1)

    def fits_item(self, c: int, item_dims: Sequence[float]) -> bool:
        d = sorted(item_dims, reverse=True)
        return all(a <= b for a, b in zip(d, self.dims_in[c], strict=True))


@dataclass(frozen=True)
class Packing:
    """Cartons chosen for a shipment: carton type, actual weight of each parcel."""

    cartons: tuple[int, ...]
    weights_lb: tuple[float, ...]
    carton_cost: float


def _fits_one(cartons: Cartons, c: int, vols: Sequence[float], weights: Sequence[float],
              dims: Sequence[Sequence[float]]) -> bool:
    return (sum(vols) <= FILL_FACTOR * cartons.volume[c]
            and sum(weights) <= cartons.max_weight_lb[c]
            and all(cartons.fits_item(c, d) for d in dims))


def pack_items(cartons: Cartons, dims: Sequence[Sequence[float]], weights: Sequence[float],
               postage: Postage | None = None, time_limit_s: float = 2.0) -> Packing:
    """Put items (one entry per unit) in cartons at the lowest carton cost plus postage.

    One carton is tried first (every type that holds everything, priced with ``postage``);
    if none can, the items are bin-packed by volume (with the fill factor), weight and size
    with OR-Tools CP-SAT, minimising carton cost plus the postage each carton type costs when
    full to its dimensional weight (a greedy first-fit can need more cartons than necessary).
    """
    vols = [d[0] * d[1] * d[2] for d in dims]
    price: Postage = postage or (lambda c, w: 0.0)
    best: tuple[float, int] | None = None
    for c in range(len(cartons.names)):
        if _fits_one(cartons, c, vols, weights, dims):
            total = float(cartons.cost[c]) + price(c, sum(weights))
            if best is None or total < best[0]:
                best = (total, c)
    if best is not None:
        return Packing((best[1],), (float(sum(weights)),), float(cartons.cost[best[1]]))
    return _bin_pack(cartons, dims, weights, vols, price, time_limit_s)


def _bin_pack(cartons: Cartons, dims: Sequence[Sequence[float]], weights: Sequence[float],
              vols: Sequence[float], price: Postage, time_limit_s: float) -> Packing:
    n, C = len(vols), len(cartons.names)
    allowed = [[cartons.fits_item(c, dims[i]) and weights[i] <= cartons.max_weight_lb[c]
                for c in range(C)] for i in range(n)]
    for i in range(n):
        if not any(allowed[i]):
            raise ValueError(f"item {i} ({dims[i]} in, {weights[i]} lb) fits no carton")
    scale = 1000  # CP-SAT needs integers: volumes in 1/1000 in^3 of capacity
    cap = [int(FILL_FACTOR * cartons.volume[c] * scale) for c in range(C)]
    v = [math.ceil(x * scale) for x in vols]
    wcap = [int(cartons.max_weight_lb[c] * scale) for c in range(C)]
    w = [math.ceil(x * scale) for x in weights]
    # each carton type costs its price plus the postage of a half-full carton of that type
    full_cost = [float(cartons.cost[c]) + price(c, float(cartons.max_weight_lb[c]) / 2)
                 for c in range(C)]
    m = cp_model.CpModel()
    B = n  # at most one carton per item
    x = {(i, b): m.new_bool_var(f"x{i}_{b}") for i in range(n) for b in range(B)}
    y = {(b, c): m.new_bool_var(f"y{b}_{c}") for b in range(B) for c in range(C)}
    for i in range(n):
        m.add_exactly_one(x[i, b] for b in range(B))
    for b in range(B):
        m.add_at_most_one(y[b, c] for c in range(C))
        m.add(sum(v[i] * x[i, b] for i in range(n)) <= sum(cap[c] * y[b, c] for c in range(C)))
        m.add(sum(w[i] * x[i, b] for i in range(n)) <= sum(wcap[c] * y[b, c] for c in range(C)))
        for i in range(n):
            for c in range(C):
                if not allowed[i][c]:
                    m.add_implication(x[i, b], y[b, c].Not())
            m.add(x[i, b] <= sum(y[b, c] for c in range(C)))
        if b:  # symmetry: use cartons in order
            m.add(sum(y[b, c] for c in range(C)) <= sum(y[b - 1, c] for c in range(C)))
    m.minimize(sum(round(100 * full_cost[c]) * y[b, c] for b in range(B) for c in range(C)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise ValueError("cartonization found no packing")
    chosen, loads = [], []
    for b in range(B):
        for c in range(C):
            if solver.value(y[b, c]):
                load = sum(weights[i] for i in range(n) if solver.value(x[i, b]))
                chosen.append(c)
                loads.append(float(load))
    return Packing(tuple(chosen), tuple(loads), float(sum(cartons.cost[c] for c in chosen)))


def delivery_times_by_zone(start_date: np.datetime64, ship_h: float, transit_days: np.ndarray,
                           business_days: bool, delivery_hour: float) -> np.ndarray:
    """Delivery time (hours from the run's start) by zone for a parcel picked up at ``ship_h``.

    ``transit_days`` is indexed by zone (index 0 unused).  With business days a weekend pickup
    rolls to Monday before the count starts, and deliveries land on weekdays.  A delivery never
    precedes the pickup (same-day services deliver at the pickup time at the earliest).
    """
    day = int(ship_h // 24.0)
    if business_days:
        start = start_date + np.timedelta64(day, "D")
        dates = np.busday_offset(start, transit_days, roll="forward")
        days = (dates - start_date).astype(np.int64)
    else:
        days = day + np.asarray(transit_days, np.int64)
    return np.maximum(24.0 * days + delivery_hour, ship_h)


SHIPPING_POLICIES = ("rate_shop", "cheapest", "fastest")


def check_policy(policy: str, service_names: Sequence[str]) -> None:
    """Raise ValueError unless ``policy`` is a known service-selection rule."""
    if policy in SHIPPING_POLICIES:
        return
    if policy.startswith("fixed:"):
        if policy[6:] in service_names:
            return
        raise ValueError(f"'{policy}' names unknown service '{policy[6:]}' (services: "
                         f"{', '.join(service_names)})")
    raise ValueError(f"'{policy}' is not a shipping policy (expected one of "
                     f"{', '.join(SHIPPING_POLICIES)} or 'fixed:<service>')")


def choose_service(policy: str, prices: Sequence[float], arrive_h: Sequence[float],
                   promise_h: float, fixed: int = -1) -> int:
    """Pick a service index for a shipment.

    ``rate_shop``: the cheapest service whose expected delivery meets the promise, else the
    fastest (cheapest among equally fast); ``cheapest``; ``fastest`` (ties to the cheaper);
    ``fixed:<name>`` (``fixed`` is its index).  Services that cannot carry the parcel have an
    infinite price and are never chosen unless nothing else can.
    """
    n = len(prices)
    if fixed >= 0:
        return fixed
    if policy == "cheapest":
        return min(range(n), key=lambda s: (prices[s], arrive_h[s]))
    if policy == "rate_shop":
        ok = [s for s in range(n) if arrive_h[s] <= promise_h and prices[s] < math.inf]
        if ok:
            return min(ok, key=lambda s: (prices[s], arrive_h[s]))
    return min(range(n), key=lambda s: (prices[s] == math.inf, arrive_h[s], prices[s]))


@dataclass(frozen=True)
class Plan:
    """How a shipment travels: its parcels and, for each service, billable pounds and price.

    ``prices[s]`` is the postage of all parcels with service ``s`` (``inf`` if the service
    cannot carry one of them); ``carton_cost`` is paid whatever the service.
    """

    parcels: int
    billable_lb: tuple[float, ...]
    prices: tuple[float, ...]
    carton_cost: float


class Shipper:
    """Cartonization and price quotes for one run, cached by shipment contents and zone.

    Parameters
    ----------
    services : sequence of Service
    cartons : Cartons or None
        Without cartons a shipment is one parcel billed on its actual weight.
    sku_dims_in, sku_weight_lb : array
        Catalog dimensions (K, 3) and unit weights (K,).
    """

    def __init__(self, services: Sequence[Service], cartons: Cartons | None,
                 sku_dims_in: np.ndarray, sku_weight_lb: np.ndarray) -> None:
        self.services = tuple(services)
        self.cartons = cartons
        self.sku_dims = [tuple(float(x) for x in row) for row in sku_dims_in]
        self.sku_weight = [float(x) for x in sku_weight_lb]
        self._cache: dict[tuple[tuple[int, ...], tuple[int, ...], int], Plan] = {}

    @classmethod
    def for_network(cls, net: object) -> Shipper:
        return cls(net.services, net.cartons, net.sku_dims_in,  # type: ignore[attr-defined]
                   net.sku_weight_lb)  # type: ignore[attr-defined]

    def plan(self, skus: tuple[int, ...], units: tuple[int, ...], zone: int) -> Plan:
        key = (skus, units, zone)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._plan(skus, units, zone)
            self._cache[key] = hit
        return hit

    def _plan(self, skus: tuple[int, ...], units: tuple[int, ...], zone: int) -> Plan:
        weights = [self.sku_weight[k] for k, u in zip(skus, units, strict=True)
                   for _ in range(u)]
        if self.cartons is None:
            w = sum(weights)
            whole = [s.billable(w, (0.0, 0.0, 0.0)) for s in self.services]
            return Plan(1, tuple(float(b) for b in whole),
                        tuple(s.price(zone, b) for s, b in zip(self.services, whole,
                                                                strict=True)), 0.0)
        cartons = self.cartons
        dims = [self.sku_dims[k] for k, u in zip(skus, units, strict=True) for _ in range(u)]

        def cheapest_postage(c: int, w: float) -> float:
            d = cartons.dims_in[c]
            return min(s.price(zone, s.billable(w, d)) for s in self.services)

        packing = pack_items(cartons, dims, weights, cheapest_postage)
        bill: list[float] = []
        price: list[float] = []
        for s in self.services:
            b = [s.billable(w, cartons.dims_in[c])
                 for c, w in zip(packing.cartons, packing.weights_lb, strict=True)]
            bill.append(float(sum(b)))
            price.append(float(sum(s.price(zone, x) for x in b)))
        return Plan(len(packing.cartons), tuple(bill), tuple(price), packing.carton_cost)
