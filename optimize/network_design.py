"""Network design: which fulfillment-center sites to open, as a capacitated facility-location MIP.

Given a scenario's demand (its destinations, weighted, times ``orders_per_day``) and a table of
candidate sites (``scenarios/data/candidate_sites.csv`` or your own), choose at most ``K`` sites
that minimise a day's cost::

    min   sum_i f_i y_i  +  sum_ij d_j (p(z_ij) + w_i h + r l(z_ij)) x_ij
    s.t.  every destination's demand d_j served (sum_i x_ij = 1), x_ij <= y_i,
          sum_j d_j x_ij <= s_i y_i (capacity, orders/day), sum_i y_i <= K,
          x binary (single sourcing: each destination from one site) or in [0, 1] (split)

where ``f_i`` is the site's fixed cost per day, ``s_i`` its capacity in orders/day, ``d_j`` the
orders per day of destination ``j``, ``z_ij`` the carrier zone between them (great-circle
distance through the scenario's zone bands), ``p(z)`` the expected postage plus carton cost of
one order at zone ``z`` with the chosen service (the scenario's first service by default:
ground), ``w_i h`` the pick-and-pack labor cost of an order at the site's wage, and ``r l(z)``
an optional penalty per order-day delivered after the promise.  The MIP itself is
:func:`optimize.facility.solve_facility_location` (SCIP, the disaggregated formulation checked
against the OR-Library optima).

Expected cost per order by zone.  ``p(z)`` is the mean, over a fixed sample of orders drawn
from the scenario's own order model (lines per order, SKU popularity, units per line; seed
``sample_seed``), of the postage of the order's parcel(s) with the service at zone ``z`` plus
the carton cost, cartonized as the simulation does (:func:`sim.shipping.quote_orders`,
:meth:`sim.shipping.Shipper.plan`).  An order the service cannot carry is priced with the
cheapest service that can.  Labor per order ``h`` is the first FC's pick and pack minutes per
order, line and unit at the mean lines and units per order.  Late days ``l(z)`` are the
channel-share-weighted days by which ``handling_days`` plus the service's transit days at zone
``z`` exceed each channel's promise; the penalty rate ``r`` is 0 unless given.

The bundled candidates (``scenarios/data/candidate_sites.csv``) are the 50 largest cities of
``scenarios/data/us_destinations.csv`` plus Wilkes-Barre, PA (the baseline's fourth FC), so the
current baseline network is one of the choices.  Their costs and capacities are ILLUSTRATIVE,
made up by a simple rule, not market data:

* regional cost index: 1.40 for the San Francisco Bay Area (San Jose, San Francisco, Oakland),
  1.25 for the other coastal states (CA, NY, MA, WA, OR, DC, MD, VA, FL), 0.90 for a group of
  low-cost interior states (TX, OK, KS, NE, TN, KY, IN, OH, MO, NM, AZ, NV, NC, GA), 1.00
  elsewhere (IL, PA, CO, MI, WI, MN);
* ``fixed_cost_per_day`` = 6,000 x index, rounded to $50 (building lease, equipment and site
  overhead of a mid-size FC);
* ``capacity_orders_per_day`` = 4,000 for the 10 largest cities, 3,500 for ranks 11-25, 3,000
  for ranks 26-40, 2,500 for ranks 41-50, 3,000 for Wilkes-Barre;
* ``labor_cost_per_hour`` = 21 x index rounded to $0.50, except the four current FC cities,
  which keep the baseline's wages (Chicago 23, Los Angeles 25, Dallas 20, Wilkes-Barre 22).

What the model leaves out: inventory (safety stock grows with the number of sites), inbound
freight from suppliers, service choice by promise (one service prices every order), zone charts
(zones come from distance bands even when the scenario has a chart, since candidate sites have
no ZIP), and queueing or shift limits (capacity is a flat orders/day).  Simulate the written
scenario to see those effects.

No SimPy import: this module reads the scenario through :mod:`sim.network` and prices parcels
with :mod:`sim.shipping`, both plain numpy.
"""

from __future__ import annotations

import csv
import math
import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
from numpy.typing import NDArray

from optimize.facility import (
    FacilityResult,
    InfeasibleFacilityProblem,
    solve_facility_location,
)
from optimize.orlib import FacilityProblem
from sim.demand import draw_counts
from sim.files import WRITTEN_BY, atomic_write_text, check_replaceable
from sim.geo import USPS_ZONE_MAX_MILES, great_circle_miles, zone_of
from sim.network import Network
from sim.shipping import Shipper, quote_orders

__all__ = [
    "Candidates",
    "CandidatesError",
    "CurrentNetwork",
    "DesignProgress",
    "InfeasibleNetworkDesign",
    "NetworkDesign",
    "NetworkProblem",
    "NoSolutionFound",
    "default_candidates_path",
    "design_from_files",
    "design_network",
    "evaluate_sites",
    "explain_infeasibility",
    "format_design",
    "network_problem",
    "read_candidates",
    "write_network_scenario",
]

REQUIRED_COLUMNS = ("site", "lat", "lon", "fixed_cost_per_day", "capacity_orders_per_day")
OPTIONAL_COLUMNS = ("state", "labor_cost_per_hour")


# --------------------------------------------------------------------------------------------
# Candidate sites
# --------------------------------------------------------------------------------------------
class CandidatesError(ValueError):
    """A candidate-sites CSV is malformed; the message names the file, line and column."""


def slugify(text: str) -> str:
    """A TOML-friendly FC name: lower case, runs of other characters as ``_``
    (``"Wilkes-Barre"`` -> ``"wilkes_barre"``)."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    return slug or "site"


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate FC sites (arrays aligned with ``sites``; all read-only).

    ``slugs`` are the FC names a written scenario uses (the site name, plus the state when two
    sites share a name).  ``labor_cost_per_hour`` is ``nan`` where the file gives none.
    """

    sites: tuple[str, ...]
    states: tuple[str, ...]
    slugs: tuple[str, ...]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    fixed_cost_per_day: NDArray[np.float64]
    capacity_orders_per_day: NDArray[np.float64]
    labor_cost_per_hour: NDArray[np.float64]
    source: Path | None = None

    def __post_init__(self) -> None:
        m = len(self.sites)
        for name in ("lat", "lon", "fixed_cost_per_day", "capacity_orders_per_day",
                     "labor_cost_per_hour"):
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if arr.shape != (m,):
                raise ValueError(f"Candidates.{name}: expected shape ({m},), got {arr.shape}")
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        if len(self.states) != m or len(self.slugs) != m:
            raise ValueError("Candidates: sites, states and slugs differ in length")

    def __len__(self) -> int:
        return len(self.sites)

    def label(self, i: int) -> str:
        """``"Dallas, TX"`` (or just the site when no state is given)."""
        return f"{self.sites[i]}, {self.states[i]}" if self.states[i] else self.sites[i]

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], source: Path | None = None
                  ) -> Candidates:
        """Build from dicts with the CSV's columns (tests and programmatic use); values are
        checked like :func:`read_candidates` does, rows numbered from 1."""
        parsed = [_parse_row(dict(r), source or Path("<rows>"), k + 1, "row")
                  for k, r in enumerate(rows)]
        return _build(parsed, source or Path("<rows>"), [f"row {k + 1}" for k in
                                                         range(len(rows))])


def default_candidates_path() -> Path:
    """The bundled candidates: the 50 largest US cities of the destinations plus Wilkes-Barre."""
    from importlib import resources

    return Path(str(resources.files("scenarios").joinpath("data/candidate_sites.csv")))


def _number(value: str, path: Path, where: str, column: str) -> float:
    text = str(value).strip()
    try:
        v = float(text)
    except ValueError:
        raise CandidatesError(f"{path}, {where}, column '{column}': expected a number, found "
                              f"{text!r}.") from None
    if not math.isfinite(v):
        raise CandidatesError(f"{path}, {where}, column '{column}': expected a finite number, "
                              f"found {text!r}.")
    return v


def _parse_row(row: dict[str, Any], path: Path, lineno: int, unit: str = "line"
               ) -> tuple[str, str, float, float, float, float, float]:
    where = f"{unit} {lineno}"
    for col in REQUIRED_COLUMNS:
        if col not in row:
            raise CandidatesError(f"{path}, {where}: column '{col}' is missing (required "
                                  f"columns: {', '.join(REQUIRED_COLUMNS)}).")
    site = str(row["site"] or "").strip()
    if not site:
        raise CandidatesError(f"{path}, {where}, column 'site': expected a site name, found "
                              "an empty cell.")
    state = str(row.get("state") or "").strip()
    lat = _number(row["lat"], path, where, "lat")
    if not -90 <= lat <= 90:
        raise CandidatesError(f"{path}, {where}, column 'lat': expected a latitude between -90 "
                              f"and 90, found {lat:g}.")
    lon = _number(row["lon"], path, where, "lon")
    if not -180 <= lon <= 180:
        raise CandidatesError(f"{path}, {where}, column 'lon': expected a longitude between "
                              f"-180 and 180, found {lon:g}.")
    fixed = _number(row["fixed_cost_per_day"], path, where, "fixed_cost_per_day")
    if fixed < 0:
        raise CandidatesError(f"{path}, {where}, column 'fixed_cost_per_day': expected a cost "
                              f">= 0, found {fixed:g}.")
    cap = _number(row["capacity_orders_per_day"], path, where, "capacity_orders_per_day")
    if cap <= 0:
        raise CandidatesError(f"{path}, {where}, column 'capacity_orders_per_day': expected a "
                              f"positive capacity (orders per day), found {cap:g}.")
    labor_text = str(row.get("labor_cost_per_hour") or "").strip()
    labor = math.nan
    if labor_text:
        labor = _number(labor_text, path, where, "labor_cost_per_hour")
        if labor < 0:
            raise CandidatesError(f"{path}, {where}, column 'labor_cost_per_hour': expected a "
                                  f"wage >= 0, found {labor:g}.")
    return site, state, lat, lon, fixed, cap, labor


def _build(parsed: Sequence[tuple[str, str, float, float, float, float, float]], path: Path,
           wheres: Sequence[str]) -> Candidates:
    if not parsed:
        raise CandidatesError(f"{path}: no candidate sites (the file has a header but no rows).")
    seen: dict[tuple[str, str], str] = {}
    for (site, state, *_), where in zip(parsed, wheres, strict=True):
        key = (site.lower(), state.lower())
        if key in seen:
            shown = f"{site}, {state}" if state else site
            raise CandidatesError(f"{path}, {where}, column 'site': duplicate site '{shown}' "
                                  f"(first on {seen[key]}); give each site once.")
        seen[key] = where
    names = [p[0] for p in parsed]
    slugs = [slugify(p[0]) if sum(slugify(n) == slugify(p[0]) for n in names) == 1
             else slugify(f"{p[0]}_{p[1]}") for p in parsed]
    dup = {s for s in slugs if slugs.count(s) > 1}
    if dup:
        s = sorted(dup)[0]
        rows = [w for w, x in zip(wheres, slugs, strict=True) if x == s]
        raise CandidatesError(f"{path}, {', '.join(rows)}, column 'site': these sites would all "
                              f"be named FC '{s}' in a scenario; give them distinct names.")
    cols = list(zip(*parsed, strict=True))
    return Candidates(
        sites=tuple(cols[0]), states=tuple(cols[1]), slugs=tuple(slugs),
        lat=np.array(cols[2], float), lon=np.array(cols[3], float),
        fixed_cost_per_day=np.array(cols[4], float),
        capacity_orders_per_day=np.array(cols[5], float),
        labor_cost_per_hour=np.array(cols[6], float), source=path)


def read_candidates(path: str | Path) -> Candidates:
    """Read a candidate-sites CSV.

    Columns (header names, any order, case-insensitive): ``site``, ``lat``, ``lon``,
    ``fixed_cost_per_day``, ``capacity_orders_per_day`` (required); ``state``,
    ``labor_cost_per_hour`` (optional; an empty cell means "the scenario's wage").

    Raises
    ------
    CandidatesError
        (a ``ValueError``) naming the file, line and column: a missing file or column, a
        non-numeric or non-finite number, a negative cost, a capacity <= 0, a latitude or
        longitude out of range, an empty or duplicate site, a row with too many or too few
        cells, or no rows at all.
    """
    path = Path(path)
    if not path.is_file():
        raise CandidatesError(f"{path}: candidate sites file does not exist.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CandidatesError(f"{path}: not a UTF-8 text file.") from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise CandidatesError(f"{path}: the file is empty; expected a header line with columns "
                              f"{', '.join(REQUIRED_COLUMNS)}.")
    reader = csv.reader(lines)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CandidatesError(f"{path}, line 1: column(s) {', '.join(repr(c) for c in missing)} "
                              f"missing; expected {', '.join(REQUIRED_COLUMNS)} (optional: "
                              f"{', '.join(OPTIONAL_COLUMNS)}); found {', '.join(header)}.")
    dups = sorted({h for h in header if header.count(h) > 1 and h})
    if dups:
        raise CandidatesError(f"{path}, line 1: column '{dups[0]}' appears more than once.")
    parsed, wheres = [], []
    for cells in reader:
        lineno = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) != len(header):
            raise CandidatesError(f"{path}, line {lineno}: expected {len(header)} cells (one "
                                  f"per header column), found {len(cells)}.")
        parsed.append(_parse_row(dict(zip(header, cells, strict=True)), path, lineno))
        wheres.append(f"line {lineno}")
    return _build(parsed, path, wheres)


# --------------------------------------------------------------------------------------------
# The problem: demand, costs per site and destination
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# Infeasibility explained in the planner's terms
# --------------------------------------------------------------------------------------------
class InfeasibleNetworkDesign(InfeasibleFacilityProblem):
    """No choice of sites can serve the demand; ``binding`` names the constraint.

    ``binding`` is one of ``"max_sites"`` (fewer than one site allowed, or the K largest
    candidates too small), ``"total_capacity"``, ``"single_sourcing"`` (a destination larger
    than any site, or demands that do not pack into K sites) or ``"sites"`` (an empty choice).
    A ``ValueError`` subclass (through :class:`InfeasibleFacilityProblem`).
    """

    def __init__(self, message: str, binding: str) -> None:
        super().__init__(message)
        self.binding = binding


class NoSolutionFound(RuntimeError):
    """The solver stopped (time limit) before finding any feasible choice of sites."""


def _n(v: float) -> str:
    return f"{v:,.0f}"


def _demand_text(p: NetworkProblem) -> str:
    text = f"demand is {_n(p.total_demand)} orders/day"
    if p.demand_factor != 1.0:
        text += (f" ({_n(p.total_demand / p.demand_factor)} x peak factor "
                 f"{p.demand_factor:g})")
    return text


def explain_infeasibility(p: NetworkProblem, max_sites: int, single_sourcing: bool) -> None:
    """Raise :class:`InfeasibleNetworkDesign` if the instance is infeasible for a reason that
    can be named before solving: max_sites < 1, total capacity below demand, the max_sites
    largest candidates below demand, or (single sourcing) a destination larger than every
    candidate.  Passing these checks does not prove feasibility with single sourcing."""
    c = p.candidates
    caps = c.capacity_orders_per_day
    total = p.total_demand
    if max_sites < 1:
        raise InfeasibleNetworkDesign(
            f"max_sites = {max_sites}: at least one site must open to serve "
            f"{_n(total)} orders/day.", "max_sites")
    if float(caps.sum()) < total:
        raise InfeasibleNetworkDesign(
            f"all {len(c)} candidates together hold {_n(float(caps.sum()))} orders/day, "
            f"{_demand_text(p)}: total capacity binds. Add candidate sites or capacity, or "
            f"lower the demand.", "total_capacity")
    order = np.argsort(-caps, kind="stable")
    if max_sites < len(c):
        top = order[:max_sites]
        held = float(caps[top].sum())
        if held < total:
            need = int(np.searchsorted(np.cumsum(caps[order]), total, side="left")) + 1
            largest = ", ".join(f"{c.label(int(i))} {_n(float(caps[i]))}" for i in top[:5])
            more = "" if max_sites <= 5 else f" and {max_sites - 5} more"
            what = (f"the largest candidate holds {_n(held)} orders/day ({largest})"
                    if max_sites == 1 else f"the {max_sites} largest candidates hold "
                    f"{_n(held)} orders/day ({largest}{more})")
            raise InfeasibleNetworkDesign(
                f"{what}, {_demand_text(p)}: "
                f"max_sites = {max_sites} binds. Allow at least {need} sites or raise "
                f"capacities.", "max_sites")
    if single_sourcing:
        j = int(np.argmax(p.demand))
        big = int(order[0])
        if p.demand[j] > caps[big]:
            raise InfeasibleNetworkDesign(
                f"single sourcing: destination {p.dest_names[j]} needs {_n(float(p.demand[j]))} "
                f"orders/day from one site, but the largest candidate ({c.label(big)}) holds "
                f"{_n(float(caps[big]))}. Allow split sourcing or raise capacities.",
                "single_sourcing")


# --------------------------------------------------------------------------------------------
# Solving
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DesignProgress:
    """A progress report: ``stage`` is ``"current"`` (pricing the current network),
    ``"solving"`` (every second while the MIP runs) or ``"done"``; ``elapsed_s`` is the time
    since the stage began."""

    stage: str
    elapsed_s: float
    time_limit_s: float | None


ProgressFn = Callable[[DesignProgress], None]


@dataclass(frozen=True)
class SiteMix:
    """Cost and service of a set of open sites under an assignment (money per day)."""

    fixed_cost: float
    transport_cost: float
    labor_cost: float
    late_cost: float
    orders_per_day: NDArray[np.float64]  # (m,) orders served by each candidate
    mean_zone: float
    share_within_2_days: float  # share of orders whose service transit is <= 2 days
    mean_transit_days: float

    @property
    def total(self) -> float:
        return self.fixed_cost + self.transport_cost + self.labor_cost + self.late_cost


def _mix(p: NetworkProblem, open_mask: NDArray[np.bool_], x: NDArray[np.float64]) -> SiteMix:
    flows = x * p.demand[None, :]  # orders/day from site i to destination j
    total = float(flows.sum()) or 1.0
    days = p.transit_days_by_zone[p.zone]
    return SiteMix(
        fixed_cost=float(p.candidates.fixed_cost_per_day[open_mask].sum()),
        transport_cost=float(np.sum(x * p.transport)),
        labor_cost=float(np.sum(x * p.labor)),
        late_cost=float(np.sum(x * p.late)),
        orders_per_day=flows.sum(axis=1),
        mean_zone=float(np.sum(flows * p.zone) / total),
        share_within_2_days=float(flows[days <= 2].sum() / total),
        mean_transit_days=float(np.sum(flows * days) / total),
    )


@dataclass(frozen=True)
class CurrentNetwork:
    """The scenario's current FCs priced on the same model (their matched candidates open,
    demand assigned optimally under the same capacities and sourcing rule)."""

    fc_names: tuple[str, ...]
    site_index: tuple[int, ...]  # matched candidate of each FC
    match_miles: tuple[float, ...]
    mix: SiteMix
    assignment: NDArray[np.float64]

    @property
    def objective(self) -> float:
        return self.mix.total


@dataclass(frozen=True)
class NetworkDesign:
    """The chosen network and how it compares with the scenario's current one.

    Money is per day.  ``objective = fixed_cost + transport_cost + labor_cost + late_cost``;
    ``bound`` is the solver's proven lower bound and ``gap`` the relative gap (0 = optimal).
    ``current`` is None when the current FCs cannot be priced (``current_note`` says why).
    """

    problem: NetworkProblem
    max_sites: int
    single_sourcing: bool
    site_index: tuple[int, ...]
    open_mask: NDArray[np.bool_]
    assignment: NDArray[np.float64]  # (m, n) share of destination j served by site i
    mix: SiteMix
    objective: float
    bound: float
    gap: float
    status: str
    solve_seconds: float
    build_seconds: float
    time_limit_s: float | None
    current: CurrentNetwork | None
    current_note: str
    kept_current: bool = False
    """True when the solver stopped (time limit) with no solution or one worse than the
    current network, which is returned instead (``bound`` and ``gap`` are the solver's,
    ``nan`` if it had none)."""
    result: FacilityResult | None = field(default=None, repr=False)

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(self.problem.candidates.sites[i] for i in self.site_index)

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(self.problem.candidates.slugs[i] for i in self.site_index)

    @property
    def orders_per_day(self) -> NDArray[np.float64]:
        """Orders per day served by each chosen site (aligned with ``site_index``)."""
        return self.mix.orders_per_day[list(self.site_index)]

    @property
    def demand_share(self) -> NDArray[np.float64]:
        """Share of demand served by each chosen site (aligned with ``site_index``)."""
        return self.orders_per_day / self.problem.total_demand

    @property
    def fixed_cost(self) -> float:
        return self.mix.fixed_cost

    @property
    def transport_cost(self) -> float:
        return self.mix.transport_cost

    @property
    def saving_per_day(self) -> float | None:
        """Current network's cost minus the design's (positive = the design is cheaper)."""
        return None if self.current is None else self.current.objective - self.objective


def _solve_with_ticks(problem: FacilityProblem, progress: ProgressFn | None, stage: str,
                      time_limit_s: float | None, **kw: Any) -> FacilityResult:
    """Solve, reporting progress every second from a helper thread (the solver releases the
    GIL, so the thread runs while SCIP works).  ``progress`` is called from that thread."""
    if progress is None:
        return solve_facility_location(problem, time_limit_s=time_limit_s, **kw)
    stop = threading.Event()
    t0 = time.perf_counter()

    def tick() -> None:
        while not stop.wait(1.0):
            progress(DesignProgress(stage, time.perf_counter() - t0, time_limit_s))

    progress(DesignProgress(stage, 0.0, time_limit_s))
    thread = threading.Thread(target=tick, name="network-design-progress", daemon=True)
    thread.start()
    try:
        return solve_facility_location(problem, time_limit_s=time_limit_s, **kw)
    finally:
        stop.set()
        thread.join()


def _subproblem(p: NetworkProblem, rows: Sequence[int]) -> FacilityProblem:
    f = p.facility
    idx = np.asarray(rows, np.int64)
    return FacilityProblem(capacities=f.capacities[idx].copy(),
                           fixed_costs=np.zeros(len(idx)),  # all open: fixed costs added after
                           demands=f.demands, costs=np.ascontiguousarray(f.costs[idx]),
                           name=f"{f.name} (fixed sites)")


def evaluate_sites(p: NetworkProblem, rows: Sequence[int], *, single_sourcing: bool = True,
                   time_limit_s: float | None = 60.0, backend: str = "SCIP",
                   progress: ProgressFn | None = None, stage: str = "current"
                   ) -> tuple[SiteMix, NDArray[np.float64]]:
    """Price a fixed set of open candidate sites (``y`` fixed): demand assigned at least cost
    within their capacities.  Returns the cost split and the (m, n) assignment.

    Raises
    ------
    InfeasibleNetworkDesign
        If the sites cannot hold the demand (capacity, or packing with single sourcing).
    NoSolutionFound
        If the time limit passes before any assignment is found.
    """
    rows = sorted(set(int(r) for r in rows))
    if not rows:
        raise InfeasibleNetworkDesign("no sites given to evaluate.", "sites")
    sub = _subproblem(p, rows)
    c = p.candidates
    held = float(sub.capacities.sum())
    if held < p.total_demand:
        names = ", ".join(f"{c.label(r)} {_n(float(c.capacity_orders_per_day[r]))}"
                          for r in rows)
        raise InfeasibleNetworkDesign(
            f"the sites ({names}) hold {_n(held)} orders/day, {_demand_text(p)}: their "
            f"capacity binds.", "total_capacity")
    try:
        res = _solve_with_ticks(sub, progress, stage, time_limit_s, capacitated=True,
                                single_sourcing=single_sourcing, backend=backend,
                                mip_gap=1e-9)
    except InfeasibleFacilityProblem as exc:
        raise InfeasibleNetworkDesign(
            f"with single sourcing the destinations' demands do not fit into the sites' "
            f"capacities ({exc})", "single_sourcing") from None
    if math.isnan(res.objective):
        raise NoSolutionFound(f"no assignment of demand to the sites found within "
                              f"{time_limit_s} s")
    x = np.zeros_like(p.facility.costs)
    x[rows] = res.assignment
    mask = np.zeros(len(c), bool)
    mask[rows] = True
    return _mix(p, mask, x), x


def match_current_fcs(net: Network, candidates: Candidates, max_miles: float = 10.0
                      ) -> tuple[tuple[int, ...], tuple[float, ...], str]:
    """The candidate nearest to each of the scenario's FCs; an FC with none within
    ``max_miles`` leaves the match empty and the note says which."""
    d = great_circle_miles(np.asarray(net.fc_lat)[:, None], np.asarray(net.fc_lon)[:, None],
                           candidates.lat[None, :], candidates.lon[None, :])
    best = np.argmin(d, axis=1)
    miles = d[np.arange(len(best)), best]
    far = [f"{net.fc_names[k]} (nearest candidate {candidates.label(int(best[k]))} is "
           f"{miles[k]:,.0f} mi away)" for k in range(len(best)) if miles[k] > max_miles]
    if far:
        return (), (), ("current network not priced: no candidate within "
                        f"{max_miles:g} mi of FC(s) " + "; ".join(far))
    if len(set(best.tolist())) < len(best):
        return (), (), "current network not priced: two FCs match the same candidate"
    return tuple(int(b) for b in best), tuple(float(m) for m in miles), ""


def design_network(
    net: Network,
    candidates: Candidates,
    max_sites: int,
    *,
    single_sourcing: bool = True,
    time_limit_s: float | None = 60.0,
    progress: ProgressFn | None = None,
    problem: NetworkProblem | None = None,
    mip_gap: float = 1e-4,
    backend: str = "SCIP",
    match_miles: float = 10.0,
    verbose: bool = False,
    **problem_kw: Any,
) -> NetworkDesign:
    """Choose at most ``max_sites`` candidate sites for the scenario's demand.

    Parameters
    ----------
    net, candidates
        The scenario's network and the candidate sites.
    max_sites : int
        At most this many sites open (fewer if cheaper).
    single_sourcing : bool, default True
        Each destination served by one site; False lets demand split between sites.
    time_limit_s : float or None, default 60
        Solver time limit for the design MIP (the current network's pricing gets its own
        short solve); on expiry the best solution so far is returned with its bound and gap.
    progress : callable, optional
        Called with :class:`DesignProgress` about once a second while solving (from a helper
        thread) and at the start and end of each stage.
    problem : NetworkProblem, optional
        A prebuilt instance (else built with :func:`network_problem` and ``problem_kw``,
        e.g. ``zone_max_miles``, ``demand_factor``, ``late_penalty_per_order_day``).
    mip_gap : float, default 1e-4
        Relative optimality gap at which the solver stops.

    Raises
    ------
    InfeasibleNetworkDesign
        With a sentence naming the binding constraint (max_sites, total capacity, single
        sourcing), before any solving when it can be told up front.
    NoSolutionFound
        If the time limit passes before any feasible network is found.
    """
    if problem is not None and problem_kw:
        raise TypeError(f"give either problem or network_problem options, not both "
                        f"({', '.join(problem_kw)})")
    p = problem if problem is not None else network_problem(net, candidates, **problem_kw)
    explain_infeasibility(p, max_sites, single_sourcing)

    # The current network on the same model, so the planner sees the saving.
    rows, miles, note = match_current_fcs(net, p.candidates, match_miles)
    current: CurrentNetwork | None = None
    if rows:
        try:
            mix, x_cur = evaluate_sites(p, rows, single_sourcing=single_sourcing,
                                        time_limit_s=time_limit_s, backend=backend,
                                        progress=progress, stage="current")
            current = CurrentNetwork(fc_names=tuple(net.fc_names), site_index=rows,
                                     match_miles=miles, mix=mix, assignment=x_cur)
        except (InfeasibleNetworkDesign, NoSolutionFound) as exc:
            note = f"current network not priced: {exc}"
        if current is not None and len(rows) > max_sites:
            note = (f"the current network has {len(rows)} FCs, more than max_sites = "
                    f"{max_sites}, so it is not one of the choices")

    try:
        res = _solve_with_ticks(p.facility, progress, "solving", time_limit_s,
                                capacitated=True, single_sourcing=single_sourcing,
                                max_open=max_sites, backend=backend, mip_gap=mip_gap,
                                verbose=verbose)
    except InfeasibleNetworkDesign:
        raise
    except InfeasibleFacilityProblem as exc:
        if single_sourcing:
            raise InfeasibleNetworkDesign(
                f"with single sourcing the destinations' demands cannot be packed into "
                f"{max_sites} sites' capacities ({_demand_text(p)}); allow split sourcing, "
                f"more sites or more capacity. Solver: {exc}", "single_sourcing") from None
        raise InfeasibleNetworkDesign(str(exc), "max_sites") from None
    if progress is not None:
        progress(DesignProgress("done", res.solve_seconds, time_limit_s))
    fits = current is not None and len(current.site_index) <= max_sites
    if math.isnan(res.objective) and not fits:
        raise NoSolutionFound(
            f"no feasible network found within the time limit of {time_limit_s} s "
            f"(solver status {res.status}); raise the time limit.")

    open_mask = np.asarray(res.open_facilities, bool)
    x = np.asarray(res.assignment, float)
    # A site with y = 1 but no demand is still paid for; one with demand has y = 1.
    site_index = tuple(int(i) for i in np.flatnonzero(open_mask))
    mix = _mix(p, open_mask, x)
    objective, bound, gap, kept = float(res.objective), float(res.bound), float(res.gap), False
    if current is not None and fits and (
            math.isnan(objective)
            or current.objective < objective - 1e-6 * max(1.0, abs(objective))):
        # Time limit hit with no solution or a worse one: the current network is the better
        # answer (and a feasible one).
        kept = True
        open_mask = np.zeros(len(p.candidates), bool)
        open_mask[list(current.site_index)] = True
        site_index = tuple(sorted(current.site_index))
        x, mix, objective = current.assignment, current.mix, current.objective
        gap = (math.nan if math.isnan(bound)
               else max(0.0, (objective - bound) / max(abs(objective), 1.0)))
    return NetworkDesign(
        problem=p, max_sites=max_sites, single_sourcing=single_sourcing,
        site_index=site_index, open_mask=open_mask, assignment=x, mix=mix,
        objective=objective, bound=bound, gap=gap, status=res.status,
        solve_seconds=res.solve_seconds, build_seconds=res.build_seconds,
        time_limit_s=time_limit_s, current=current, current_note=note, kept_current=kept,
        result=res)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------
def format_design(d: NetworkDesign) -> str:
    """A plain-text report: objective, bound, gap, solve time, the sites, the saving."""
    p = d.problem
    c = p.candidates
    sourcing = "single sourcing" if d.single_sourcing else "split sourcing"
    status = {"OPTIMAL": "optimal", "FEASIBLE": "time limit reached",
              "NOT_SOLVED": "time limit reached before any solution"}.get(d.status, d.status)
    lines = [
        f"Network design: {len(d.site_index)} of {len(c)} candidate sites "
        f"(max_sites = {d.max_sites}, {sourcing}), {_demand_text(p)}",
        f"  objective   ${d.objective:,.2f}/day  = fixed ${d.mix.fixed_cost:,.2f} "
        f"+ transport ${d.mix.transport_cost:,.2f} + labor ${d.mix.labor_cost:,.2f}"
        + (f" + late ${d.mix.late_cost:,.2f}" if p.late_penalty_per_order_day else ""),
        (f"  bound       ${d.bound:,.2f}/day   gap {100 * d.gap:.3f}%   ({status})"
         if math.isfinite(d.bound) else f"  bound       none   ({status})"),
        f"  solve time  {d.solve_seconds:.1f} s"
        + (f" (limit {d.time_limit_s:g} s)" if d.time_limit_s is not None else ""),
        f"  service     {p.service}: mean zone {d.mix.mean_zone:.2f}, "
        f"{100 * d.mix.share_within_2_days:.1f}% of orders within 2 transit days",
        "",
        f"  {'site':<24} {'orders/day':>10} {'share':>7} {'capacity':>9} {'fixed/day':>10}",
    ]
    for i, q in zip(d.site_index, d.orders_per_day, strict=True):
        lines.append(f"  {c.label(i):<24} {q:>10,.0f} {100 * q / p.total_demand:>6.1f}% "
                     f"{c.capacity_orders_per_day[i]:>9,.0f} {c.fixed_cost_per_day[i]:>10,.0f}")
    lines.append("")
    if d.current is not None:
        cur = d.current
        names = ", ".join(cur.fc_names)
        saving = d.saving_per_day or 0.0
        lines.append(f"  current network ({names}) on the same model: "
                     f"${cur.objective:,.2f}/day, mean zone {cur.mix.mean_zone:.2f}, "
                     f"{100 * cur.mix.share_within_2_days:.1f}% within 2 days")
        lines.append(f"  saving      ${saving:,.2f}/day ({100 * saving / cur.objective:.1f}%)")
    if d.current_note:
        lines.append(f"  note: {d.current_note}")
    if d.kept_current:
        lines.append("  note: the solver stopped before finding a network better than the "
                     "current one, so the current network is kept; raise the time limit")
    if p.zone_agreement < 0.999:
        lines.append(f"  note: the zone bands reproduce only {100 * p.zone_agreement:.1f}% of "
                     "the scenario's own zones (other bands or a zone chart?)")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Writing the chosen network as a scenario
# --------------------------------------------------------------------------------------------
def _scaled(count: Any, factor: float) -> int:
    n = int(count)
    return 0 if n <= 0 else max(1, round(n * factor))


def write_network_scenario(design: NetworkDesign, net: Network, scenario_path: str | Path,
                           out_path: str | Path, *, inventory_days: float | None = None
                           ) -> Path:
    """Write a scenario that ``extends`` the original with the chosen sites as its FCs.

    The new file sets ``replace = ["fcs", "inventory"]`` (the parent's FCs and inventory are
    replaced, not merged into), ``[network] open_fcs`` = the chosen sites, and one
    ``[fcs.<site>]`` per chosen site: its lat/lon (and the candidate's wage, if given) with
    everything else copied from the original's first open FC.  Headcounts are scaled so that
    each site gets the original network's total headcount times its share of the design's
    orders per day (at least 1 per shift where the template has any);
    receiving capacity likewise, but never below the template's.  ``[inventory]`` is
    ``rule = "days_of_demand"`` with the original's ``days`` (21 if it used a file).

    Written atomically (a temporary file in the target directory, then ``os.replace``), and
    only over a file this tool wrote (:func:`sim.files.check_replaceable`).  Returns
    ``out_path``.
    """
    from sim.scenario import _read_toml

    src = Path(scenario_path).resolve()
    out = Path(out_path).resolve()
    data = _read_toml(src)
    fcs = data.get("fcs") or {}
    template_name = net.fc_names[0]
    if template_name not in fcs:
        raise ValueError(f"{src}: FC '{template_name}' of the network is not in the file's "
                         "[fcs]; was the network built from another scenario?")
    template = fcs[template_name]
    inv = data.get("inventory") or {}
    days = inventory_days if inventory_days is not None else (
        inv.get("days") if inv.get("rule") == "days_of_demand" and inv.get("days") is not None
        else 21)

    total_heads = float(np.sum(net.shift_pickers) + np.sum(net.shift_packers))
    tmpl_heads = float(sum(int(s.get("pickers", 0)) + int(s.get("packers", 0))
                           for s in template.get("shifts", {}).values()))
    recv = (template.get("receiving") or {}).get("units_per_day")
    all_recv = np.asarray(net.receiving_units_per_day, float)
    c = design.problem.candidates
    base_orders = net.orders_per_day
    new_fcs: dict[str, Any] = {}
    for i, orders in zip(design.site_index, design.orders_per_day, strict=True):
        share = float(orders) / base_orders  # of the scenario's ordinary demand
        fc: dict[str, Any] = {"lat": round(float(c.lat[i]), 6), "lon": round(float(c.lon[i]), 6)}
        fc.update(_deep_copy({k: v for k, v in template.items()
                              if k not in ("lat", "lon", "zip")}))
        if not math.isnan(float(c.labor_cost_per_hour[i])):
            fc["labor_cost_per_hour"] = float(c.labor_cost_per_hour[i])
        factor = share * total_heads / tmpl_heads if tmpl_heads else 1.0
        for shift in fc.get("shifts", {}).values():
            for role in ("pickers", "packers"):
                if role in shift:
                    shift[role] = _scaled(shift[role], factor)
        if recv and np.all(all_recv > 0):
            rec = dict(fc.get("receiving") or {})
            rec["units_per_day"] = max(int(recv), math.ceil(float(all_recv.sum()) * share))
            fc["receiving"] = rec
        new_fcs[c.slugs[i]] = fc

    rel = os.path.relpath(src, out.parent)
    p = design.problem
    doc: dict[str, Any] = {
        "extends": Path(rel).as_posix(),
        "replace": ["fcs", "inventory"],
        "name": f"{data.get('name', src.stem)}_network_{len(design.site_index)}_sites",
        "description": (f"Network design: {len(design.site_index)} sites chosen from "
                        f"{len(c)} candidates, ${design.objective:,.0f}/day on the design "
                        f"model (optimize.network_design)."),
        "network": {"open_fcs": list(design.slugs)},
        "inventory": {"rule": "days_of_demand", "days": days},
        "fcs": new_fcs,
    }
    header = [
        f"{WRITTEN_BY} optimize network: the chosen FC sites replace the parent's FCs.",
        f"# Candidates: {c.source or 'given in code'}",
        f"# max_sites = {design.max_sites}, "
        f"{'single' if design.single_sourcing else 'split'} sourcing, demand "
        f"{_n(p.total_demand)} orders/day, service {p.service}",
        f"# objective ${design.objective:,.2f}/day (fixed ${design.mix.fixed_cost:,.2f}, "
        f"transport ${design.mix.transport_cost:,.2f}, labor ${design.mix.labor_cost:,.2f}), "
        f"bound ${design.bound:,.2f}, gap {100 * design.gap:.3f}%",
    ]
    if design.current is not None:
        header.append(f"# current network on the same model: ${design.current.objective:,.2f}"
                      "/day")
    header.append("# Headcounts: the original network's total scaled by each site's share of "
                  "demand; other FC settings copied from")
    header.append(f"# the original's FC '{template_name}'.")
    text = "\n".join(header) + "\n\n" + tomli_w.dumps(doc)
    check_replaceable(out)
    return atomic_write_text(out, text)


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------
# One call for the command line
# --------------------------------------------------------------------------------------------
def design_from_files(
    scenario_path: str | Path,
    candidates_path: str | Path | None,
    max_sites: int,
    out_path: str | Path | None = None,
    **kw: Any,
) -> NetworkDesign:
    """Load the scenario and candidates, design the network (``kw`` as for
    :func:`design_network` and :func:`network_problem`; the scenario's zone bands are used),
    and write ``out_path`` if given.  For ``fulfill optimize network``.

    Errors are ``ValueError`` subclasses with one-paragraph messages (``ScenarioError``,
    :class:`CandidatesError`, :class:`InfeasibleNetworkDesign`) or :class:`NoSolutionFound`.
    """
    from sim.network import build_network
    from sim.scenario import load_scenario

    sc = load_scenario(scenario_path)
    net = build_network(sc)
    cands = read_candidates(candidates_path or default_candidates_path())
    kw.setdefault("zone_max_miles", list(sc.carrier.zone_max_miles))
    design = design_network(net, cands, max_sites, **kw)
    if out_path is not None:
        write_network_scenario(design, net, scenario_path, out_path)
    return design
