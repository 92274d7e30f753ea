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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np

if TYPE_CHECKING:
    from ortools.sat.python.cp_model import CpSolver

    from sim.network import Network

_T = TypeVar("_T", bound=tuple[Any, ...])

Postage = Callable[[int, float], float]
"""Postage of one parcel given its carton type and actual weight (lb)."""

REFERENCE_ZONE = 5
"""Cartons are chosen for the postage of a mid-distance zone, so one packing serves a shipment's
contents wherever it goes (zone 5 is the median zone of US e-commerce parcels)."""

FILL_FACTOR = 0.9
"""Share of a carton's volume that items may fill (room for dunnage and imperfect packing)."""

MAX_BIN_PACK_TERMS = 10_000
"""Largest CP-SAT cartonization model built: items x candidate cartons (one per item) x carton
types.  Building the model takes about 3 microseconds per term (27 units with 13 carton types,
9,477 terms: about 30 ms; 3,000 units: 117 million terms, several minutes), and CP-SAT's time
limit does not cover the build.  Larger shipments keep their first-fit-decreasing packing
(ordinary orders stay far below: the bundled scenarios never send more than 14 units to
CP-SAT)."""


def cp_sat_solver() -> CpSolver:
    """A CP-SAT solver that leaves Ctrl-C to Python (every CP-SAT solve should use one).

    By default CP-SAT installs its own SIGINT handler for a solve and afterwards resets SIGINT
    to SIG_DFL at the C level (``signal.getsignal`` still shows Python's handler), so that any
    later Ctrl-C kills the process with no KeyboardInterrupt and no clean-up.  With
    ``catch_sigint_signal`` off Python's handler stays in place: a Ctrl-C during a solve
    raises KeyboardInterrupt as soon as the solve returns (at its time limit at the latest).
    """
    from ortools.sat.python import cp_model  # heavy import, only when a model is solved

    solver = cp_model.CpSolver()
    solver.parameters.catch_sigint_signal = False
    return solver


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
    discount_pct: float = 0.0  # contract discount off the rate table (base charge)
    surcharge_discount_pct: float = 0.0  # contract discount off the residential surcharge
    _price: list[list[float]] = field(init=False, repr=False)
    _every_pound: bool = field(init=False, repr=False)

    @property
    def max_weight_lb(self) -> float:
        return float(self.weight_breaks_lb[-1])

    @property
    def n_zones(self) -> int:
        """Rows of the rate table: 9 (zones 1-8), more with international groups (zone
        ``9 + g``, see :class:`sim.network.IntlSpec`)."""
        return len(self.rates)

    def billable(self, actual_lb: float, dims_in: Sequence[float]) -> int:
        return billable_weight_lb(actual_lb, dims_in, self.dim_divisor, self.dim_min_cubic_in)

    def __post_init__(self) -> None:
        # prices with discounts and surcharges, as Python lists by zone (looked up once per
        # parcel); the fuel surcharge is a share of the discounted base charge, as carriers bill
        base = self.rates * (1 - self.discount_pct / 100)
        total = (base * (1 + self.fuel_surcharge_pct / 100)
                 + self.residential_surcharge * (1 - self.surcharge_discount_pct / 100))
        object.__setattr__(self, "_price", np.round(total, 4).tolist())
        breaks = self.weight_breaks_lb
        object.__setattr__(self, "_every_pound", bool(
            np.array_equal(breaks, np.arange(1, len(breaks) + 1))))

    def price(self, zone: int, billable_lb: float) -> float:
        """Price of one parcel: base rate x (1 - discount) x (1 + fuel surcharge) + residential
        surcharge x (1 - surcharge discount).

        The rate row is the first weight break at or above the billable weight; ``inf`` above
        the service's heaviest break (it will not take the parcel).
        """
        if self._every_pound and billable_lb == int(billable_lb):
            w = int(billable_lb) - 1
        else:
            w = int(np.searchsorted(self.weight_breaks_lb, billable_lb - 1e-9, side="left"))
        if w >= len(self.weight_breaks_lb):
            return math.inf
        return float(self._price[zone][max(w, 0)])


@dataclass(frozen=True, eq=False)
class Cartons:
    """The carton catalog: inner dimensions (sorted, largest first), weight limit and cost."""

    names: tuple[str, ...]
    dims_in: np.ndarray  # (C, 3), each row sorted descending
    max_weight_lb: np.ndarray
    cost: np.ndarray
    dims: list[tuple[float, ...]] = field(init=False, repr=False)
    volumes: list[float] = field(init=False, repr=False)
    max_weights: list[float] = field(init=False, repr=False)
    costs: list[float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # plain-Python copies for the per-shipment loops
        object.__setattr__(self, "dims", [tuple(float(x) for x in r) for r in self.dims_in])
        object.__setattr__(self, "volumes", [a * b * c for a, b, c in self.dims])
        object.__setattr__(self, "max_weights", [float(x) for x in self.max_weight_lb])
        object.__setattr__(self, "costs", [float(x) for x in self.cost])

    @property
    def volume(self) -> np.ndarray:
        return np.prod(self.dims_in, axis=1)

    def fits_item(self, c: int, item_dims: Sequence[float]) -> bool:
        d = sorted(item_dims, reverse=True)
        return all(a <= b for a, b in zip(d, self.dims_in[c], strict=True))


@dataclass(frozen=True)
class Packing:
    """Cartons chosen for a shipment: carton type, actual weight of each parcel.

    Carton ``-1`` is an item that fits no carton and ships in its own box; ``own_dims`` gives
    that parcel's dimensions (``None`` for real cartons).
    """

    cartons: tuple[int, ...]
    weights_lb: tuple[float, ...]
    carton_cost: float
    own_dims: tuple[tuple[float, ...] | None, ...] = ()

    def with_own_boxes(self, dims: Sequence[Sequence[float]],
                       weights: Sequence[float]) -> Packing:
        """Add parcels shipped in their own box."""
        base = self.own_dims or (None,) * len(self.cartons)
        return Packing((*self.cartons, *(-1,) * len(dims)), (*self.weights_lb, *weights),
                       self.carton_cost, (*base, *(tuple(d) for d in dims)))


def _fits_one(cartons: Cartons, c: int, vols: Sequence[float], weights: Sequence[float],
              dims: Sequence[Sequence[float]]) -> bool:
    """Every item fits carton ``c`` by size (each sorted dimension), volume and weight.

    Items fit one by one iff the largest first, second and third dimensions over all items fit
    the carton's sorted dimensions (the conditions are independent per dimension).
    """
    big = [max(x) for x in zip(*(sorted(d, reverse=True) for d in dims), strict=True)]
    return _fits_totals(cartons, c, sum(vols), sum(weights), big)


def _fits_totals(cartons: Cartons, c: int, volume: float, weight: float,
                 big: Sequence[float]) -> bool:
    """:func:`_fits_one` given the items' total volume and weight and the largest of their
    sorted dimensions."""
    if volume > FILL_FACTOR * cartons.volumes[c] or weight > cartons.max_weights[c]:
        return False
    a, b, h = cartons.dims[c]
    return big[0] <= a and big[1] <= b and big[2] <= h


def pack_items(cartons: Cartons, dims: Sequence[Sequence[float]], weights: Sequence[float],
               postage: Postage | None = None, time_limit_s: float = 0.05,
               own_box: bool = False) -> Packing:
    """Put items (one entry per unit) in cartons at the lowest carton cost plus postage.

    With ``own_box`` an item that fits no carton ships alone in its own packaging (as large
    items do); otherwise such an item is an error.

    One carton is tried first (every type that holds everything, priced with ``postage``);
    if none can, the items are bin-packed by volume (with the fill factor), weight and size
    with OR-Tools CP-SAT, minimising carton cost plus the postage each carton type costs when
    full to its dimensional weight (a greedy first-fit can need more cartons than necessary),
    starting from the first-fit packing.  ``time_limit_s`` is CP-SAT's *deterministic* time
    (its own work units, about a second each on this machine class), not wall time, so the
    packing found never depends on the machine's speed or load: same scenario, same cartons.

    CP-SAT is skipped, and the first-fit-decreasing packing kept, when the first-fit packing
    provably uses as few cartons as possible, or when the model would be too large to build
    quickly: more than :data:`MAX_BIN_PACK_TERMS` items x candidate cartons (one per item) x
    carton types (e.g. an order line of a few hundred units).  CP-SAT's time limit covers only
    its search, not the model's construction, which grows with the square of the units.
    """
    if own_box:
        holds = [any(cartons.fits_item(c, d) and w <= cartons.max_weights[c]
                     for c in range(len(cartons.names))) for d, w in zip(dims, weights,
                                                                      strict=True)]
        if not all(holds):
            keep = [i for i, h in enumerate(holds) if h]
            own = [i for i, h in enumerate(holds) if not h]
            inner = pack_items(cartons, [dims[i] for i in keep], [weights[i] for i in keep],
                               postage, time_limit_s) if keep else Packing((), (), 0.0)
            return inner.with_own_boxes([dims[i] for i in own], [weights[i] for i in own])
    vols = [d[0] * d[1] * d[2] for d in dims]
    price: Postage = postage or (lambda c, w: 0.0)
    best: tuple[float, int] | None = None
    total_w = float(sum(weights))
    total_v = float(sum(vols)) / FILL_FACTOR
    big = [max(x) for x in zip(*(sorted(d, reverse=True) for d in dims), strict=True)]
    for c, (a, b, h) in enumerate(cartons.dims):
        if (total_v <= cartons.volumes[c] and total_w <= cartons.max_weights[c]
                and big[0] <= a and big[1] <= b and big[2] <= h):
            total = cartons.costs[c] + price(c, total_w)
            if best is None or total < best[0]:
                best = (total, c)
    if best is not None:
        return Packing((best[1],), (total_w,), cartons.costs[best[1]])
    ffd = _ffd_bins(cartons, dims, weights, vols)
    greedy = None if ffd is None else Packing(
        tuple(ffd[0]), tuple(float(sum(weights[j] for j in items)) for items in ffd[1]),
        float(sum(cartons.cost[c] for c in ffd[0])))
    if greedy is not None and len(greedy.cartons) <= _min_cartons(cartons, vols, weights):
        return greedy  # provably as few cartons as possible
    if len(vols) * len(vols) * len(cartons.names) > MAX_BIN_PACK_TERMS:
        if greedy is None:  # as _bin_pack would: an item fits no carton
            raise ValueError(_no_carton_message(cartons, dims, weights, vols))
        return greedy  # the CP-SAT model would take too long to build
    try:
        return _bin_pack(cartons, dims, weights, vols, price, time_limit_s, hint=ffd)
    except ValueError:
        if greedy is None:
            raise
        return greedy


def _no_carton_message(cartons: Cartons, dims: Sequence[Sequence[float]],
                       weights: Sequence[float], vols: Sequence[float]) -> str:
    """Why first-fit decreasing found no packing: the first item no carton holds alone."""
    for i in range(len(vols)):
        if not any(_fits_one(cartons, c, [vols[i]], [weights[i]], [dims[i]])
                   for c in range(len(cartons.names))):
            return (f"item {i} ({tuple(dims[i])} in, {weights[i]} lb) fits no carton "
                    f"(with the {FILL_FACTOR:.0%} fill factor)")
    return "cartonization found no packing"


def _min_cartons(cartons: Cartons, vols: Sequence[float], weights: Sequence[float]) -> int:
    """A lower bound on the number of cartons: by volume and by weight."""
    return max(math.ceil(sum(vols) / (FILL_FACTOR * float(cartons.volume.max()))),
               math.ceil(sum(weights) / float(cartons.max_weight_lb.max())), 1)


def _first_fit_decreasing(cartons: Cartons, dims: Sequence[Sequence[float]],
                          weights: Sequence[float], vols: Sequence[float]) -> Packing | None:
    """Largest items first, each into the first open carton it fits, else a new carton of the
    largest type that holds it; finally each carton is shrunk to the cheapest type that still
    holds its load.  None if an item fits no carton."""
    ffd = _ffd_bins(cartons, dims, weights, vols)
    if ffd is None:
        return None
    kinds, bins = ffd
    return Packing(tuple(kinds), tuple(float(sum(weights[j] for j in items)) for items in bins),
                   float(sum(cartons.cost[c] for c in kinds)))


def _ffd_bins(cartons: Cartons, dims: Sequence[Sequence[float]], weights: Sequence[float],
              vols: Sequence[float]) -> tuple[list[int], list[list[int]]] | None:
    """First-fit decreasing: the carton type of each bin and the items in it (see
    :func:`_first_fit_decreasing`).

    Each bin keeps running totals, so a shipment of thousands of units packs in a fraction of
    a second.  The decisions are exactly :func:`_fits_one`'s: a running total only rules a bin
    out when it exceeds the capacity by more than any rounding of the sum could explain
    (``tol``); an item is put in a bin only after the exact check on the bin's items.  A bin
    that not even the smallest item could join any more is no longer scanned.
    """
    n, C = len(vols), len(cartons.names)
    order = sorted(range(n), key=lambda i: -vols[i])
    by_size = sorted(range(C), key=lambda c: -cartons.volume[c])
    # rounding of a float sum of at most n terms is below n * 2**-53 * sum(|terms|) (twice that
    # between two summation orders): 1e-9 * sum covers n up to a few million items
    tol_v = 1e-9 * sum(abs(float(v)) for v in vols)
    tol_w = 1e-9 * sum(abs(float(w)) for w in weights)
    min_v = min(vols, default=0.0)
    min_w = min(weights, default=0.0)
    sdims = [sorted(d, reverse=True) for d in dims]
    bins: list[list[int]] = []
    kinds: list[int] = []
    bin_vols: list[list[float]] = []  # the bin's item volumes and weights, in item order
    bin_weights: list[list[float]] = []
    run_v: list[float] = []  # running totals
    run_w: list[float] = []
    open_bins: list[int] = []  # bins some item might still join, in order
    for i in order:
        v, w, (d0, d1, d2) = vols[i], weights[i], sdims[i]
        chosen = -1
        for b in open_bins:
            c = kinds[b]
            a, bb, h = cartons.dims[c]
            if (run_v[b] + v > FILL_FACTOR * cartons.volumes[c] + tol_v
                    or run_w[b] + w > cartons.max_weights[c] + tol_w
                    or d0 > a or d1 > bb or d2 > h):
                continue
            # the exact test of _fits_one (the bin's items already fit the carton's sizes)
            if (sum([*bin_vols[b], v]) > FILL_FACTOR * cartons.volumes[c]
                    or sum([*bin_weights[b], w]) > cartons.max_weights[c]):
                continue
            chosen = b
            break
        if chosen < 0:
            new = next((c for c in by_size if _fits_one(cartons, c, [v], [w], [dims[i]])), None)
            if new is None:
                return None
            chosen = len(bins)
            bins.append([])
            kinds.append(new)
            bin_vols.append([])
            bin_weights.append([])
            run_v.append(0.0)
            run_w.append(0.0)
            open_bins.append(chosen)
        bins[chosen].append(i)
        bin_vols[chosen].append(v)
        bin_weights[chosen].append(w)
        run_v[chosen] += v
        run_w[chosen] += w
        c = kinds[chosen]
        if (run_v[chosen] + min_v > FILL_FACTOR * cartons.volumes[c] + tol_v
                or run_w[chosen] + min_w > cartons.max_weights[c] + tol_w):
            open_bins.remove(chosen)
    for b, items in enumerate(bins):
        volume, weight = sum(bin_vols[b]), sum(bin_weights[b])
        big = [max(x) for x in zip(*(sdims[j] for j in items), strict=True)]
        fits = [c for c in range(C) if _fits_totals(cartons, c, volume, weight, big)]
        kinds[b] = min(fits, key=lambda c: float(cartons.cost[c]))
    return kinds, bins


def _bin_pack(cartons: Cartons, dims: Sequence[Sequence[float]], weights: Sequence[float],
              vols: Sequence[float], price: Postage, time_limit_s: float,
              hint: tuple[list[int], list[list[int]]] | None = None) -> Packing:
    """CP-SAT bin packing (see :func:`pack_items`), started from ``hint`` (carton types and
    items of a feasible packing, e.g. first-fit decreasing), so it never returns worse."""
    from ortools.sat.python import cp_model  # only a few shipments ever need it

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
    if hint is not None:
        kinds, bins = hint
        for b in range(B):
            for c in range(C):
                m.add_hint(y[b, c], b < len(kinds) and kinds[b] == c)
            for i in range(n):
                m.add_hint(x[i, b], b < len(bins) and i in bins[b])
    solver = cp_sat_solver()
    # a deterministic work limit, so that the packing found (and the run's results) do not
    # depend on the machine's speed or load; the wall-clock limit is only a safety net
    solver.parameters.max_deterministic_time = time_limit_s
    solver.parameters.max_time_in_seconds = 20 * time_limit_s
    solver.parameters.random_seed = 0  # reproducible packings
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


ServiceRule = Callable[[Sequence[float], Sequence[float], float], int]
"""Picks a service index for one shipment from each service's price and expected delivery and
the shipment's promise (prices are ``inf`` where a service cannot carry the parcel)."""

BatchRule = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""A :data:`ServiceRule` for many shipments at once: prices and arrivals (n, S), promises
(n,) -> service of each row."""


def cheapest(prices: Sequence[float], arrive_h: Sequence[float], promise_h: float) -> int:
    """The cheapest service (ties to the earlier arrival)."""
    return min(range(len(prices)), key=lambda s: (prices[s], arrive_h[s]))


def fastest(prices: Sequence[float], arrive_h: Sequence[float], promise_h: float) -> int:
    """The earliest arrival among services that can carry the parcel (ties to the cheaper)."""
    return min(range(len(prices)), key=lambda s: (prices[s] == math.inf, arrive_h[s], prices[s]))


def rate_shop(prices: Sequence[float], arrive_h: Sequence[float], promise_h: float) -> int:
    """The cheapest service whose expected delivery meets the promise (ties to the earlier
    arrival), else the fastest."""
    # one pass, as ``min`` over the services on time by (price, arrival) would choose (the
    # first of equals): they have no NaN, so the tuple order is these comparisons (tested)
    best, best_p, best_a = -1, math.inf, math.inf
    for s, p in enumerate(prices):
        a = arrive_h[s]
        if a <= promise_h and p < math.inf and (
                best < 0 or p < best_p or (p == best_p and a < best_a)):
            best, best_p, best_a = s, p, a
    return best if best >= 0 else fastest(prices, arrive_h, promise_h)


def _fixed(service: int, prices: Sequence[float], arrive_h: Sequence[float],
           promise_h: float) -> int:
    """``fixed:<service>``: always that service (bound to its index by :func:`shipping_choice`)."""
    return service


def rate_shop_batch(prices: np.ndarray, arrive: np.ndarray, promise: np.ndarray) -> np.ndarray:
    """:func:`rate_shop` for each row, vectorised (the same choice, ties included): the
    cheapest service meeting the promise, ties to the earlier arrival and then the first;
    where none meets it, the earliest arrival among services that can carry the parcel
    (any service if none can), ties to the cheaper and then the first.  Rows with a NaN
    price or arrival go to :func:`rate_shop` itself."""
    # by service, then row: numpy reduces over the few services fast this way round
    p, a = np.ascontiguousarray(prices.T), np.ascontiguousarray(arrive.T)
    ok = (a <= promise) & (p < math.inf)
    # rows with a service on time: least price, then least arrival, among those on time
    p_ok = np.where(ok, p, math.inf)
    tie = ok & (p_ok == p_ok.min(axis=0))
    a_tie = np.where(tie, a, math.inf)
    on_time = tie & (a_tie == a_tie.min(axis=0))
    # the others: fastest among those that can carry it (all, if none can)
    can = p < math.inf
    can |= ~can.any(axis=0)
    a_can = np.where(can, a, math.inf)
    fast = can & (a == a_can.min(axis=0))
    p_fast = np.where(fast, p, math.inf)
    fast &= p_fast == p_fast.min(axis=0)
    pick = np.where(ok.any(axis=0), on_time, fast).argmax(axis=0)
    for j in np.flatnonzero(np.isnan(p).any(axis=0) | np.isnan(a).any(axis=0)).tolist():
        pick[j] = rate_shop(prices[j].tolist(), arrive[j].tolist(), float(promise[j]))
    return pick


class ShippingRule(NamedTuple):
    """One kind of ``[shipping] policy``: its rule for one shipment and, where it has one, a
    vectorised form; ``takes_service`` for kinds written ``<kind>:<service>`` (the shipment
    always gets that service)."""

    choose: ServiceRule | None = None
    batch: BatchRule | None = None
    takes_service: bool = False


SHIPPING_CHOICES: dict[str, ShippingRule] = {
    "rate_shop": ShippingRule(rate_shop, rate_shop_batch),
    "cheapest": ShippingRule(cheapest),
    "fastest": ShippingRule(fastest),
    "fixed": ShippingRule(takes_service=True),  # fixed:<service>
}
"""Every shipping policy a scenario may name (``[shipping] policy``), by kind."""

SHIPPING_POLICIES = tuple(k for k, r in SHIPPING_CHOICES.items() if not r.takes_service)
"""The policies written as a bare name (the others name a service: ``fixed:<service>``)."""


@dataclass(frozen=True, slots=True)
class ShippingChoice:
    """A shipping policy resolved once against a network's services (see
    :func:`shipping_choice`): the model and the estimates call it without looking at names."""

    policy: str  # as the scenario writes it
    rule: ServiceRule  # the service of one shipment
    batch: BatchRule | None = None  # the same for many at once, if vectorised
    fixed: int = -1  # the one service every shipment gets (``fixed:<service>``), else -1

    def choose(self, prices: Sequence[float], arrive_h: Sequence[float],
               promise_h: float) -> int:
        """The service of one shipment."""
        return self.rule(prices, arrive_h, promise_h)

    def choose_batch(self, prices: np.ndarray, arrive: np.ndarray,
                     promise: np.ndarray) -> np.ndarray:
        """The service of each row: prices and arrivals (n, S), promises (n,)."""
        if self.fixed >= 0:
            return np.full(len(prices), self.fixed)
        if self.batch is not None:
            return self.batch(prices, arrive, promise)
        s = np.zeros(len(prices), np.intp)
        rule = self.rule
        for j in range(len(prices)):
            s[j] = rule(prices[j].tolist(), arrive[j].tolist(), float(promise[j]))
        return s


def shipping_choice(policy: str, service_names: Sequence[str]) -> ShippingChoice:
    """Resolve ``policy`` (a key of :data:`SHIPPING_CHOICES`, ``fixed:<service>`` for kinds
    that take a service) against the services; ValueError if it is not one."""
    kind, sep, service = policy.partition(":")
    entry = SHIPPING_CHOICES.get(kind)
    if entry is None or entry.takes_service != bool(sep):
        takes = " or ".join(f"'{k}:<service>'" for k, r in SHIPPING_CHOICES.items()
                            if r.takes_service)
        raise ValueError(f"'{policy}' is not a shipping policy (expected one of "
                         f"{', '.join(SHIPPING_POLICIES)} or {takes})")
    if entry.takes_service:
        if service not in service_names:
            raise ValueError(f"'{policy}' names unknown service '{service}' (services: "
                             f"{', '.join(service_names)})")
        fixed = list(service_names).index(service)
        return ShippingChoice(policy, partial(_fixed, fixed), fixed=fixed)
    assert entry.choose is not None
    return ShippingChoice(policy, entry.choose, entry.batch)


def check_policy(policy: str, service_names: Sequence[str]) -> None:
    """Raise ValueError unless ``policy`` is a known service-selection rule."""
    shipping_choice(policy, service_names)


def choose_service(policy: str, prices: Sequence[float], arrive_h: Sequence[float],
                   promise_h: float, fixed: int = -1) -> int:
    """Pick a service index for a shipment by the policy's name (see :data:`SHIPPING_CHOICES`;
    a resolved :class:`ShippingChoice` does this without the name).

    ``rate_shop``: the cheapest service whose expected delivery meets the promise, else the
    fastest (cheapest among equally fast); ``cheapest``; ``fastest`` (ties to the cheaper);
    ``fixed:<name>`` (``fixed`` is its index).  Services that cannot carry the parcel have an
    infinite price and are never chosen unless nothing else can.
    """
    if fixed >= 0:
        return fixed
    entry = SHIPPING_CHOICES.get(policy)
    rule = entry.choose if entry is not None and entry.choose is not None else fastest
    return rule(prices, arrive_h, promise_h)


class Plan(NamedTuple):
    """How a shipment travels: its parcels and, for each service, billable pounds and price.

    ``prices[s]`` is the postage of all parcels with service ``s`` (``inf`` if the service
    cannot carry one of them); ``carton_cost`` is paid whatever the service.
    """

    parcels: int
    billable_lb: Sequence[float]
    prices: Sequence[float]
    carton_cost: float


class Quote(NamedTuple):
    """An order as one shipment, packed and weighed when it is placed (:meth:`DayQuotes.quotes`).

    ``parcels`` is 1 (one carton, or no carton catalog), or 0 when the order needs several
    cartons: a :class:`Plan` is then made when it is released.  The fields are named as
    :class:`Plan`'s, so labels read either the same way (a quote has no prices: they follow
    from the zone, :meth:`Shipper.prices_batch`).
    """

    parcels: int
    billable_lb: Sequence[int]  # whole pounds by service
    carton_cost: float


def records(cls: type[_T], *columns: Iterable[Any]) -> list[_T]:
    """``[cls(*row) for row in zip(*columns)]`` for a NamedTuple ``cls``, without a Python
    call per row (the per-order records of a day are built in one C loop)."""
    return list(map(partial(tuple.__new__, cls), zip(*columns, strict=True)))


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
                 sku_dims_in: np.ndarray, sku_weight_lb: np.ndarray,
                 own_box: bool = False) -> None:
        self.own_box = own_box
        self.services = tuple(services)
        self.cartons = cartons
        self.sku_dims = [tuple(float(x) for x in row) for row in sku_dims_in]
        self.sku_weight = [float(x) for x in sku_weight_lb]
        self.sku_weight_arr = np.asarray(sku_weight_lb, float)
        self.sku_sorted_dims = -np.sort(-np.asarray(sku_dims_in, float), axis=1)
        self.sku_volume = np.prod(self.sku_sorted_dims, axis=1)
        self._cache: dict[tuple[tuple[int, ...], tuple[int, ...], int], Plan] = {}
        self._packings: dict[tuple[tuple[int, ...], tuple[int, ...]], Packing] = {}
        self._block_quotes: tuple[Sequence[tuple[int, ...]], Sequence[tuple[int, ...]],
                                  Sequence[Quote], np.ndarray | None] = ((), (), (), None)
        self._quoted: dict[tuple[tuple[int, ...], tuple[int, ...]], Quote] | None = None
        # price by zone and whole billable pound (index = pounds), for quick lookups
        self._by_pound = [[[s.price(z, b) if b else math.inf
                            for b in range(int(s.max_weight_lb) + 1 if s.max_weight_lb < 1e5
                                           else 1001)] for z in range(s.n_zones)]
                          for s in self.services]
        # the same as arrays (zone, pounds) with a last column of inf for "too heavy", so that
        # a batch of parcels is priced with one fancy index per service
        self._by_pound_arr = [np.array([[*row, math.inf] for row in table])
                              for table in self._by_pound]
        # dimensional weight of each carton under each service (0 where it does not apply);
        # arrays for the day-level vectorised packing (:func:`quote_orders`)
        self._dimw = [[0 if cartons is None or s.dim_divisor <= 0
                       or cartons.volumes[c] <= s.dim_min_cubic_in
                       else dim_weight_lb(cartons.dims[c][0], cartons.dims[c][1],
                                          cartons.dims[c][2], s.dim_divisor)
                       for c in range(0 if cartons is None else len(cartons.names))]
                      for s in self.services]
        if cartons is not None:
            self._dimw_arr = np.asarray(self._dimw, float).reshape(len(self.services), -1)
            self._carton_dims = np.asarray(cartons.dims, float)
            self._carton_vol = np.asarray(cartons.volumes, float)
            self._carton_maxw = np.asarray(cartons.max_weights, float)
            self._carton_cost = np.asarray(cartons.costs, float)
            heaviest = int(self._carton_maxw.max()) + 1
            # the cheapest postage of carton c at the reference zone for a whole number of
            # actual pounds (index), as pack_items prices candidate cartons
            self._ref_post = [[min(s.price(REFERENCE_ZONE, max(a, self._dimw[i][c]))
                                   for i, s in enumerate(self.services)) if a else math.inf
                               for a in range(heaviest + 1)]
                              for c in range(len(cartons.names))]
            # by whole pound (rows) and carton (columns): a day's orders take their rows
            self._ref_cost_by_lb = np.ascontiguousarray(np.array(
                [[cartons.costs[c] + p for p in row] for c, row in enumerate(self._ref_post)]).T)

    @classmethod
    def for_network(cls, net: Network) -> Shipper:
        return cls(net.services, net.cartons, net.sku_dims_in, net.sku_weight_lb,
                   own_box=net.oversize == "own_box")

    def prices(self, zone: int, billable: Sequence[int]) -> list[float]:
        """Price of one parcel of ``billable[s]`` whole pounds with each service ``s``."""
        out = []
        for table, b in zip(self._by_pound, billable, strict=True):
            row = table[zone]
            out.append(row[b] if b < len(row) else math.inf)
        return out

    def prices_batch(self, zone: np.ndarray, billable: np.ndarray) -> np.ndarray:
        """Price of one parcel for each row: ``zone`` (n,) and whole ``billable`` pounds by
        service (n, S); ``inf`` where a service cannot carry it."""
        out = np.empty(billable.shape)
        for s, table in enumerate(self._by_pound_arr):
            heaviest = table.shape[1] - 1
            out[:, s] = table[zone, np.minimum(billable[:, s], heaviest).astype(np.intp)]
        return out

    def remember_quotes(self, skus: Sequence[tuple[int, ...]], units: Sequence[tuple[int, ...]],
                        quotes: Sequence[Quote], borderline: np.ndarray | None = None) -> None:
        """The orders of a block as one shipment each (:func:`quote_orders`), so that
        :meth:`whole_plan` prices a whole single-parcel order by table lookups instead of
        packing it again (the same plan; the ``borderline`` orders, see
        :attr:`DayQuotes.borderline`, are left out and packed).  Replaces the previous
        block's; looked up by contents only once a policy asks (nearest-FC routing never
        does)."""
        self._block_quotes = (skus, units, quotes, borderline)
        self._quoted = None

    def _quotes(self) -> dict[tuple[tuple[int, ...], tuple[int, ...]], Quote]:
        quoted = self._quoted
        if quoted is None:
            skus, units, quotes, borderline = self._block_quotes
            quoted = self._quoted = dict(zip(zip(skus, units, strict=True), quotes,
                                             strict=True))
            if borderline is not None:
                for i in borderline.tolist():
                    quoted.pop((skus[i], units[i]), None)
        return quoted

    def _quote_prices(self, quote: Quote, zone: int) -> list[float]:
        """Each service's price of a single-parcel quote at ``zone`` (as :meth:`_plan`)."""
        out = []
        for i, b in enumerate(quote.billable_lb):
            table = self._by_pound[i][zone]
            out.append(float(table[b]) if b < len(table) else
                       float(self.services[i].price(zone, b)))
        return out

    def least_price(self, quote: Quote, zone: int) -> float:
        """``min(whole_plan(...).prices)`` for a quoted order, without keeping the plan."""
        return min(self._quote_prices(quote, zone))

    def quote_of(self, skus: tuple[int, ...], units: tuple[int, ...]) -> Quote | None:
        """The current block's quote of a whole order with these lines, if any."""
        return self._quotes().get((skus, units))

    def known_plan(self, skus: Sequence[int], units: Sequence[int], zone: int) -> Plan | None:
        """:meth:`plan` if it has been made already (nothing is packed or priced here)."""
        return self._cache.get((tuple(skus), tuple(units), zone))

    def plan(self, skus: tuple[int, ...], units: tuple[int, ...], zone: int) -> Plan:
        key = (skus, units, zone)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._plan(skus, units, zone)
        return hit

    def whole_plan(self, skus: tuple[int, ...], units: tuple[int, ...], zone: int) -> Plan:
        """:meth:`plan`, from the quote when these are the lines of a whole single-parcel
        order of the current block (the same plan, without packing again)."""
        key = (skus, units, zone)
        hit = self._cache.get(key)
        if hit is None:
            q = self._quotes().get((skus, units))
            if q is not None and q.parcels:
                hit = self._plan_of_quote(q, zone)
            else:
                hit = self._plan(skus, units, zone)
            self._cache[key] = hit
        return hit

    def _plan_of_quote(self, quote: Quote, zone: int) -> Plan:
        """:meth:`_plan` of a single-parcel order from its quote: the same carton (the
        same choice rule, :func:`quote_orders`), billable pounds and prices."""
        return Plan(1, tuple(float(b) for b in quote.billable_lb),
                    tuple(self._quote_prices(quote, zone)), quote.carton_cost)

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
        packing = self._packings.get((skus, units))
        if packing is None:
            dims = [self.sku_dims[k] for k, u in zip(skus, units, strict=True)
                    for _ in range(u)]

            ref_post = self._ref_post

            def cheapest_postage(c: int, w: float) -> float:
                actual = max(1, math.ceil(round(w, 9)))
                row = ref_post[c]
                if actual < len(row):  # looked up: the same value as computed below
                    return row[actual]
                return min(s.price(REFERENCE_ZONE, max(actual, self._dimw[i][c]))
                           for i, s in enumerate(self.services))

            packing = pack_items(cartons, dims, weights, cheapest_postage, own_box=self.own_box)
            self._packings[(skus, units)] = packing
        bill: list[float] = []
        price: list[float] = []
        own = packing.own_dims or (None,) * len(packing.cartons)
        for i, s in enumerate(self.services):
            b = [max(1, math.ceil(round(w, 9)), self._dimw[i][c]) if d is None
                 else s.billable(w, d)
                 for c, w, d in zip(packing.cartons, packing.weights_lb, own, strict=True)]
            bill.append(float(sum(b)))
            table = self._by_pound[i][zone]  # s.price(zone, x) for every whole pound
            price.append(float(sum(table[x] if x < len(table) else s.price(zone, x)
                                   for x in b)))
        return Plan(len(packing.cartons), tuple(bill), tuple(price), packing.carton_cost)


@dataclass(frozen=True)
class DayQuotes:
    """Whole-order packings and prices for a block of orders, computed with numpy.

    ``single[i]`` is true when order ``i`` travels as one parcel (one carton, or no carton
    catalog); the others need several cartons and go through :meth:`Shipper.plan`.
    ``billable[i][s]`` is the parcel's billable weight with service ``s``; prices follow from
    the zone once the order is routed (:meth:`Shipper.prices`).
    """

    single: list[bool]
    carton_cost: list[float]
    billable: list[list[int]]
    weight_lb: np.ndarray
    billable_arr: np.ndarray  # ``billable`` as an array (read-only): the day's tables read it
    borderline: np.ndarray | None = None
    """Orders whose weight or volume lies within rounding of a carton's limit (or of a
    rounding step of the billable weight): there :func:`pack_items`, which adds up the units
    one by one, may choose otherwise than these sums by line, so policies price them by
    packing (:meth:`Shipper.remember_quotes`).  Indices, or None for none."""

    def quotes(self) -> list[Quote]:
        """The orders' :class:`Quote` records."""
        return records(Quote, self.single, self.billable, self.carton_cost)


def quote_orders(shipper: Shipper, line_ptr: np.ndarray, line_sku: np.ndarray,
                 line_units: np.ndarray) -> DayQuotes:
    """Pack every order of a block as one shipment and weigh it for every service.

    Gives the same single-carton choice as :func:`pack_items` (cheapest carton cost plus the
    cheapest service's postage at :data:`REFERENCE_ZONE`), for a whole day of orders at once.
    """
    n = len(line_ptr) - 1
    services = shipper.services
    S = len(services)
    w_line = line_units * shipper.sku_weight_arr[line_sku]
    starts = line_ptr[:-1]
    weight = np.add.reduceat(w_line, starts) if n else np.zeros(0)
    actual = np.maximum(1, np.ceil(np.round(weight, 9)))
    # within rounding of a 9-decimal midpoint (round(w, 9) could go either way)
    frac = np.mod(weight * 1e9, 1.0)
    near = np.abs(frac - 0.5) < 1e-3
    cartons = shipper.cartons
    if cartons is None:
        single = np.ones(n, bool)
        bill = np.repeat(actual[:, None], S, axis=1)
        ccost = np.zeros(n)
    else:
        vol = np.add.reduceat(line_units * shipper.sku_volume[line_sku], starts) / FILL_FACTOR
        big = np.maximum.reduceat(shipper.sku_sorted_dims[line_sku], starts, axis=0)
        cd = shipper._carton_dims  # (C, 3) sorted
        fits = ((vol[:, None] <= shipper._carton_vol)
                & (weight[:, None] <= shipper._carton_maxw)
                & (big[:, 0:1] <= cd[:, 0]) & (big[:, 1:2] <= cd[:, 1])
                & (big[:, 2:3] <= cd[:, 2]))
        # carton cost + cheapest postage at the reference zone, by carton and whole pound
        ref = shipper._ref_cost_by_lb  # (A + 1, C)
        a = np.minimum(actual, ref.shape[0] - 1).astype(np.int64)
        total = ref.take(a, axis=0)
        np.copyto(total, np.inf, where=~fits)
        carton = np.argmin(total, axis=1)
        rows = np.arange(n)
        single = np.isfinite(total[rows, carton])
        dimw = shipper._dimw_arr  # (S, C)
        bill = np.maximum(actual[:, None], dimw[:, carton].T)
        ccost = np.where(single, shipper._carton_cost[carton], 0.0)
        # a sum in another order may land on the other side of a carton's limit
        maxw, cvol = shipper._carton_maxw, shipper._carton_vol
        near |= (np.abs(weight[:, None] - maxw) <= 1e-9 * (1.0 + maxw)).any(axis=1)
        near |= (np.abs(vol[:, None] - cvol) <= 1e-9 * (1.0 + cvol)).any(axis=1)
    bill = bill.astype(np.intp)
    bill.flags.writeable = False
    return DayQuotes(single=single.tolist(), carton_cost=ccost.tolist(),
                     billable=bill.tolist(), weight_lb=weight,
                     borderline=np.flatnonzero(near) if near.any() else None,
                     billable_arr=bill)
