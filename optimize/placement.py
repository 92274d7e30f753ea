"""Inventory placement: which FCs stock each SKU, which FC serves each region, how much to hold.

The model (a MIP; every cost is per day)
-----------------------------------------
FCs ``f``, SKUs ``k``, destination regions ``r``; ``d_kr`` is the forecast demand (units/day).
Only SKU-region pairs with ``d_kr > 0`` carry variables.

* ``y_fk`` (binary): FC ``f`` stocks SKU ``k``.
* ``x_kfr`` (binary): FC ``f`` serves all of region ``r``'s demand for ``k`` (single sourcing,
  so the answer is "region-SKU -> FC", as a routing rule needs it).

::

    min  sum_fk P_fk y_fk + sum_kfr (c_kfr d_kr + H_kfr) x_kfr
    s.t. sum_f x_kfr = 1                          every k, r with d_kr > 0   (all demand served)
         x_kfr <= y_fk                                                       (serve from stock)
         sum_k v_k (Q_fk y_fk + sum_r s_kfr x_kfr) <= V_f   every f          (storage volume)
         sum_k y_fk <= N_f                                   every f          (SKU slots)
         sum_kr d_kr x_kfr <= T_f                            every f          (throughput)
         sum_kfr d_kr [t_kfr <= D] x_kfr >= alpha sum_kr d_kr                 (service share)

The throughput row caps the units per day an FC is planned to ship at what its staff can
pick and pack (:func:`problem_from_network` derives ``T_f`` from the shift plan): without
it the cheapest placement may send an FC more work than its pickers get through, and the
simulated orders then ship late on expensive air services.

Lost sales are not an option: every forecast unit must be served from some FC.  An instance
that cannot do so raises :class:`InfeasiblePlacement` with the constraint that binds.

Stock rule (the target levels the replenishment then uses)
-----------------------------------------------------------
For a stocked FC-SKU with assigned demand ``D_fk = sum_r d_kr x_kfr`` (units/day)::

    target_fk = ceil(min_units + days_of_cover_k * D_fk + z * sqrt(L_fk) * sigma_fk)
    sigma_fk  = sqrt(sum over assigned regions of var_kr)       (regions independent)

cycle stock (``days_of_cover`` days of the assigned demand) plus safety stock (``z`` standard
deviations of the demand over the lead time ``L``).  ``sigma_fk`` is concave in the assignment,
so the MIP uses its tangent at the SKU's total variance ``v_k``:
``sqrt(V) <= sqrt(v_k) / 2 + V / (2 sqrt(v_k))``.  The tangent is exact when one FC serves the
whole SKU and above the true value otherwise (1.06x for an even split of the variance, 1.25x
for a quarter), so the model keeps the risk-pooling reward of stocking fewer FCs (a fixed
``sqrt(v_k) / 2`` per stocked FC) and the volume it reserves always holds the real targets.
That gives ``Q_fk = min_units + z sqrt(L_fk) sqrt(v_k) / 2 + 1`` units per stocked pair (the
``+ 1`` reserves room for rounding the target up) and
``s_kfr = days_of_cover_k d_kr + z sqrt(L_fk) var_kr / (2 sqrt(v_k))`` units per region.
Holding cost is charged on the average stock, taken as minimum + safety stock + half the cycle
stock (``H``, and the stock part of ``P``); ``P_fk`` also holds the fixed cost of stocking.

Methods
-------
``method="mip"`` builds the monolithic MIP above from sparse arrays (SCIP, HiGHS or CP-SAT
through OR-Tools' model builder, which takes numpy/scipy arrays instead of one Python call
per variable); it is the reference for small instances.  On 1,000 SKUs x 4 FCs x 100 regions
none of the three has a solution after 120 s (``benchmarks/bench_placement.py``).

``method="decomposition"`` uses that the volume, slot, throughput and service rows are the
only ones coupling SKUs (``3F + 1`` rows).  Pricing them with multipliers
``u = (mu, nu, rho, pi) >= 0`` (``rho_f`` per unit/day shipped from FC ``f``, which adds
``rho_f d_kr`` to the cost of ``x_kfr``) splits the problem into one uncapacitated
facility-location problem per SKU, solved exactly for all ``2^F - 1`` FC subsets at once with
numpy (a zeta transform over the subset lattice, vectorised over SKUs, see
:meth:`_Decomposition._subset_totals`), so ``L(u)`` is a valid lower bound.  The multipliers
come from column generation: a restricted master LP over the generated per-SKU columns (GLOP;
written relative to each SKU's best column so the simplex starts from a good basis), with
Wentges dual smoothing (GLOP's dual simplex when there are throughput rows, see
:meth:`_Decomposition.solve_master_lp`).  Primal solutions: round the master's basic solution
(at most ``3F + 1`` SKUs are fractional), repair violations greedily, then an integer master
(SCIP) over the columns that reduced costs leave.  What gap remains is closed, as time
allows, by the monolithic MIP restricted by Lagrangian reduced-cost fixing (when few variables
stay open, as on small instances) and else by branch and price (branching on ``y_fk``, then
``x_kfr``, both compatible with the exact pricing; it also runs without an incumbent, and a
tree whose every node is infeasible raises :class:`InfeasiblePlacement`).  The reported bound is
always a proven one: the best Lagrangian bound, or the least bound of the open nodes.

No SimPy import: this module is usable without the simulation.
"""

from __future__ import annotations

import csv
import heapq
import importlib
import io
import itertools
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from sim.csvsafe import csv_safe_cell

if TYPE_CHECKING:
    from sim.network import Network

# OR-Tools' model builder (numpy/scipy in, numpy out: no Python loop per variable).  Imported
# by name so that mypy does not read the typed ``ortools.linear_solver.python`` subpackage,
# which would hide the untyped ``ortools.linear_solver.pywraplp`` other modules use.
mbh: Any = importlib.import_module("ortools.linear_solver.python.model_builder_helper")

__all__ = [
    "InfeasiblePlacement",
    "PlacementProblem",
    "PlacementProgress",
    "PlacementResult",
    "evaluate_assignment",
    "labor_throughput",
    "max_service_share",
    "peak_memory_mb",
    "placement_from_files",
    "problem_from_network",
    "solve_placement",
    "synthetic_problem",
    "target_units",
    "write_placement_scenario",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

ROUNDING_UNITS = 1.0
"""Units of room reserved per stocked FC-SKU so that the rounded-up target still fits."""

USPS_ZONE_MAX_MILES = (50.0, 150.0, 300.0, 600.0, 1000.0, 1400.0, 1800.0)
"""Upper distance bounds of zones 1-7 (zone 8 beyond), as in ``[carrier] zone_max_miles``."""

GROUND_DAYS_BY_ZONE = (0, 1, 1, 2, 2, 3, 4, 5, 5)
"""Ground transit days by zone (index 0 unused), as the bundled UPS ground service."""

TIE_BREAK_PER_MILE = 1e-6
"""$ per unit and mile added to a scenario's shipping cost so exact ties go to the nearer FC
(see :func:`problem_from_network`)."""


class InfeasiblePlacement(ValueError):
    """The placement instance cannot be feasible; the message names the binding constraint
    and its numbers.  Raised before (or instead of) a solver status, because "INFEASIBLE" does
    not tell a planner which capacity or target to change."""


# ------------------------------------------------------------------------------------ problem
@dataclass(frozen=True, eq=False)
class PlacementProblem:
    """A placement instance: demand, costs, transit times, capacities and the stock rule.

    Parameters
    ----------
    demand : array (K, R)
        Forecast units per day of SKU ``k`` to region ``r``.  Every unit must be served.
    ship_cost : array (F, R) or (K, F, R)
        Shipping cost per unit from FC ``f`` to region ``r`` (per SKU if 3-D).
    transit_days : array (F, R) or (K, F, R)
        Transit days; a unit counts towards the service share if ``<= service_days``.
    unit_volume : array (K,)
        Storage volume of one unit, cubic feet.
    holding_cost : scalar, (K,) or (F, K)
        Holding cost per unit and year ($), charged on the average stock.
    fixed_cost : scalar, (K,) or (F, K)
        Cost per day of stocking SKU ``k`` at FC ``f`` at all (slot rent, purchase orders).
    volume_capacity : array (F,), optional
        Storage volume of each FC, cubic feet (None: unlimited).
    slot_capacity : array (F,), optional
        Number of SKUs each FC can stock (None: unlimited).
    throughput_capacity : array (F,), optional
        Units per day each FC can pick and pack (None: unlimited).  Caps the demand assigned
        to the FC, ``sum_kr d_kr x_kfr``, because labor, unlike storage, is spent on every
        unit shipped: a placement that ignores it overloads the smallest crews.
    demand_sd : array (K, R), optional
        Standard deviation of daily demand per SKU-region (default ``sqrt(demand)``: Poisson).
    days_of_cover : scalar or (K,)
        Cycle stock in days of the assigned demand.
    lead_time_days : scalar, (K,) or (F, K)
        Replenishment lead time used for the safety stock.
    z : float
        Safety factor (1.645: 95 % cycle service level under normal demand).
    min_units : float
        Units held at a stocked FC on top of cycle and safety stock (a display minimum).
    service_share : float, optional
        At least this share of all units must be deliverable within ``service_days``.
    service_days : float
        The service constraint's delivery time, days (2 by default).
    fc_names, sku_names, region_names : sequence of str, optional
        Labels for messages and output files.
    """

    demand: FloatArray
    ship_cost: FloatArray
    transit_days: FloatArray
    unit_volume: FloatArray
    holding_cost: FloatArray | float
    fixed_cost: FloatArray | float
    volume_capacity: FloatArray | None = None
    slot_capacity: FloatArray | None = None
    throughput_capacity: FloatArray | None = None
    demand_sd: FloatArray | None = None
    days_of_cover: FloatArray | float = 14.0
    lead_time_days: FloatArray | float = 7.0
    z: float = 1.645
    min_units: float = 0.0
    service_share: float | None = None
    service_days: float = 2.0
    fc_names: tuple[str, ...] = ()
    sku_names: tuple[str, ...] = ()
    region_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        d = np.asarray(self.demand, float)
        if d.ndim != 2:
            raise ValueError(f"demand must be (SKUs, regions), got shape {d.shape}")
        K, R = d.shape
        c = np.asarray(self.ship_cost, float)
        if c.ndim not in (2, 3) or c.shape[-1] != R or (c.ndim == 3 and c.shape[0] != K):
            raise ValueError(f"ship_cost must be (FCs, {R}) or ({K}, FCs, {R}), got {c.shape}")
        F = c.shape[-2]
        t = np.asarray(self.transit_days, float)
        if t.shape not in ((F, R), (K, F, R)):
            raise ValueError(f"transit_days must be ({F}, {R}) or ({K}, {F}, {R}), got {t.shape}")

        def fk(name: str, v: ArrayLike) -> FloatArray:
            a = np.asarray(v, float)
            try:
                return np.ascontiguousarray(np.broadcast_to(a, (F, K)), float)
            except ValueError:
                raise ValueError(f"{name} must be a scalar, ({K},) or ({F}, {K}), "
                                 f"got {a.shape}") from None

        def vec(name: str, v: ArrayLike | None, n: int) -> FloatArray | None:
            if v is None:
                return None
            a = np.asarray(v, float)
            if a.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
            return a

        sd = np.sqrt(d) if self.demand_sd is None else np.asarray(self.demand_sd, float)
        if sd.shape != (K, R):
            raise ValueError(f"demand_sd must be ({K}, {R}), got {sd.shape}")
        vol = np.asarray(self.unit_volume, float)
        if vol.shape != (K,):
            raise ValueError(f"unit_volume must be ({K},), got {vol.shape}")
        cover = np.asarray(self.days_of_cover, float)
        try:
            cover = np.ascontiguousarray(np.broadcast_to(cover, (K,)), float)
        except ValueError:
            raise ValueError(f"days_of_cover must be a scalar or ({K},)") from None
        for name, a in (("demand", d), ("ship_cost", c), ("demand_sd", sd), ("unit_volume", vol),
                        ("days_of_cover", cover)):
            if not np.all(np.isfinite(a)) or (a < 0).any():
                raise ValueError(f"{name} must be finite and >= 0")
        if self.service_share is not None and not 0.0 <= self.service_share <= 1.0:
            raise ValueError(f"service_share must be in [0, 1], got {self.service_share}")
        s = object.__setattr__
        s(self, "demand", d)
        s(self, "ship_cost", c)
        s(self, "transit_days", t)
        s(self, "unit_volume", vol)
        s(self, "demand_sd", sd)
        s(self, "days_of_cover", cover)
        s(self, "holding_cost", fk("holding_cost", self.holding_cost))
        s(self, "fixed_cost", fk("fixed_cost", self.fixed_cost))
        s(self, "lead_time_days", fk("lead_time_days", self.lead_time_days))
        s(self, "volume_capacity", vec("volume_capacity", self.volume_capacity, F))
        s(self, "slot_capacity", vec("slot_capacity", self.slot_capacity, F))
        s(self, "throughput_capacity",
          vec("throughput_capacity", self.throughput_capacity, F))
        tcap = self.throughput_capacity
        if tcap is not None and (not np.all(np.isfinite(tcap)) or (tcap < 0).any()):
            raise ValueError("throughput_capacity must be finite and >= 0 (None: unlimited)")
        for name in ("holding_cost", "fixed_cost", "lead_time_days"):
            if (getattr(self, name) < 0).any():
                raise ValueError(f"{name} must be >= 0")
        s(self, "fc_names", tuple(self.fc_names) or tuple(f"FC{i}" for i in range(F)))
        s(self, "sku_names", tuple(self.sku_names) or tuple(f"SKU{i}" for i in range(K)))
        s(self, "region_names", tuple(self.region_names) or tuple(f"R{i}" for i in range(R)))
        if (len(self.fc_names), len(self.sku_names), len(self.region_names)) != (F, K, R):
            raise ValueError("fc_names, sku_names and region_names must match the array shapes")

    @property
    def n_fcs(self) -> int:
        return int(self.ship_cost.shape[-2])

    @property
    def cover(self) -> FloatArray:
        """``days_of_cover`` as a (K,) array."""
        return np.asarray(self.days_of_cover, float)

    @property
    def lead(self) -> FloatArray:
        """``lead_time_days`` as an (F, K) array."""
        return np.asarray(self.lead_time_days, float)

    @property
    def holding(self) -> FloatArray:
        """``holding_cost`` as an (F, K) array."""
        return np.asarray(self.holding_cost, float)

    @property
    def fixed(self) -> FloatArray:
        """``fixed_cost`` as an (F, K) array."""
        return np.asarray(self.fixed_cost, float)

    @property
    def n_skus(self) -> int:
        return int(self.demand.shape[0])

    @property
    def n_regions(self) -> int:
        return int(self.demand.shape[1])

    def ship_cost_k(self, ks: slice) -> FloatArray:
        """Shipping cost per unit for SKUs ``ks``: (k, F, R), a view where possible."""
        c = self.ship_cost
        if c.ndim == 2:
            n = len(range(*ks.indices(self.n_skus)))
            return np.broadcast_to(c, (n, *c.shape))
        return c[ks]

    def fast_k(self, ks: slice) -> BoolArray:
        """``transit_days <= service_days`` for SKUs ``ks``: (k, F, R) bool."""
        t = self.transit_days
        if t.ndim == 2:
            n = len(range(*ks.indices(self.n_skus)))
            return np.broadcast_to(t <= self.service_days + 1e-9, (n, *t.shape))
        return t[ks] <= self.service_days + 1e-9


# -------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class PlacementProgress:
    """What a progress callback receives, once per iteration of a solve phase."""

    iteration: int
    phase: str
    elapsed_s: float
    bound: float
    objective: float
    gap: float

    def __str__(self) -> str:
        best = f"{self.objective:,.2f}" if math.isfinite(self.objective) else "none yet"
        gap = f", gap {100 * self.gap:.4f}%" if math.isfinite(self.gap) else ""
        return (f"{self.phase} {self.iteration}: bound {self.bound:,.2f}, best {best}{gap} "
                f"({self.elapsed_s:.1f} s)")


ProgressFn = Callable[[PlacementProgress], None]


@dataclass(frozen=True)
class PlacementResult:
    """Outcome of :func:`solve_placement`.

    Attributes
    ----------
    objective : float
        Cost per day of the best placement found (model cost, see the module docstring);
        ``nan`` if none.
    bound : float
        Proven lower bound on the optimum (``nan`` if the solver gives none).
    gap : float
        ``(objective - bound) / max(|objective|, 1e-9)``.
    status : str
        ``"OPTIMAL"`` (gap within ``gap_tol``), ``"FEASIBLE"`` (time limit) or
        ``"NOT_SOLVED"``.
    solve_seconds : float
        Wall time of the whole solve, model building included.
    method : str
        E.g. ``"decomposition(glop+scip)"`` or ``"mip(scip)"``.
    stocked : bool array (F, K)
        FC ``f`` stocks SKU ``k``.
    assignment : int array (K, R)
        FC serving SKU ``k`` in region ``r``; -1 where there is no demand.
    target_units : int array (F, K)
        Target stock (cycle + safety stock, rounded up); 0 where not stocked.
    assigned_units_per_day : array (F, K)
        Forecast demand each FC serves.
    service_share : float
        Share of units deliverable within ``service_days`` under this assignment.
    cost : dict
        Cost per day split into ``shipping``, ``holding``, ``fixed``.
    peak_memory_mb : float or None
        Peak resident memory of the process when the solve ended (VmHWM).
    iterations : int
        Column-generation iterations (0 for the MIP).
    throughput_capacity : array (F,) or None
        The problem's units per day each FC can handle, so the report can set the planned
        load (``assigned_units_per_day`` summed over SKUs) against it.
    """

    objective: float
    bound: float
    gap: float
    status: str
    solve_seconds: float
    method: str
    stocked: BoolArray
    assignment: IntArray
    target_units: IntArray
    assigned_units_per_day: FloatArray
    service_share: float
    cost: dict[str, float]
    peak_memory_mb: float | None = None
    iterations: int = 0
    fc_names: tuple[str, ...] = ()
    service_target: float | None = None
    service_days: float = 2.0
    throughput_capacity: FloatArray | None = None

    @property
    def optimal(self) -> bool:
        return self.status == "OPTIMAL"

    def report(self) -> str:
        """Plain text: objective and its parts, bound, gap, time, memory, service, and per FC
        the SKUs stocked, units per day served (and the throughput capacity, if any) and
        target units."""
        status = {"OPTIMAL": "optimal within the gap tolerance", "FEASIBLE": "time limit reached",
                  "NOT_SOLVED": "no placement found"}.get(self.status, self.status)
        K = self.stocked.shape[1]
        lines = [f"Inventory placement: {K:,} SKUs, {self.stocked.shape[0]} FCs, {self.method}"]
        if not math.isfinite(self.objective):
            return "\n".join([*lines, f"  {status} after {self.solve_seconds:.1f} s"])
        c = self.cost
        lines += [
            f"  objective   ${self.objective:,.2f}/day = shipping ${c['shipping']:,.2f} "
            f"+ holding ${c['holding']:,.2f} + stocking ${c['fixed']:,.2f}",
            (f"  bound       ${self.bound:,.2f}/day   gap {100 * self.gap:.4f}%   ({status})"
             if math.isfinite(self.bound) else f"  bound       none   ({status})"),
            f"  solve time  {self.solve_seconds:.1f} s"
            + (f", {self.iterations} iterations" if self.iterations else "")
            + (f", peak memory {self.peak_memory_mb:,.0f} MB" if self.peak_memory_mb else ""),
            f"  service     {self.service_share:.2%} of units within {self.service_days:g} days"
            + (f" (target {self.service_target:.2%})" if self.service_target is not None
               else ""),
            f"  {'FC':<16} {'SKUs':>7} {'units/day':>11} "
            + (f"{'capacity':>11} " if self.throughput_capacity is not None else "")
            + f"{'target units':>13}",
        ]
        names = self.fc_names or tuple(f"FC{i}" for i in range(self.stocked.shape[0]))
        for f, name in enumerate(names):
            cap = ("" if self.throughput_capacity is None
                   else f"{float(self.throughput_capacity[f]):>11,.1f} ")
            lines.append(f"  {name:<16} {int(self.stocked[f].sum()):>7,} "
                         f"{float(self.assigned_units_per_day[f].sum()):>11,.1f} {cap}"
                         f"{int(self.target_units[f].sum()):>13,}")
        return "\n".join(lines)


def peak_memory_mb() -> float | None:
    """Peak resident set size of this process in MB (``VmHWM``, else ``ru_maxrss``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except (ImportError, OSError):  # pragma: no cover - non-Unix
        return None


# ------------------------------------------------------------------------- compiled data
class _Data:
    """Per-unit coefficients of the MIP, computed once (see the module docstring).

    ``base``, ``svol``, ``servd`` are (K, F, R): cost of serving a region (shipping + holding),
    volume it needs, units it counts towards the service share.  ``pair_cost`` and
    ``pair_vol`` are (F, K): cost and volume of stocking a pair at all.  The throughput a
    region takes from an FC is its demand ``d_kr`` whatever the FC, so it needs no (K, F, R)
    array of its own (``p.demand`` serves, broadcast over FCs).
    """

    def __init__(self, p: PlacementProblem) -> None:
        self.p = p
        K, F, R = p.n_skus, p.n_fcs, p.n_regions
        self.K, self.F, self.R = K, F, R
        d = p.demand
        assert p.demand_sd is not None
        var = p.demand_sd**2
        sigma = np.sqrt(var.sum(axis=1))
        self.sigma = sigma
        with np.errstate(divide="ignore", invalid="ignore"):
            vr = np.where(sigma[:, None] > 0, var / (2 * sigma[:, None]), 0.0)
        zsl = p.z * np.sqrt(p.lead)  # (F, K)
        self.zsl = zsl
        hday = p.holding / 365.0
        q = p.min_units + zsl * sigma[None, :] / 2  # (F, K) units of a stocked pair
        self.pair_cost = p.fixed + hday * q
        self.pair_vol = p.unit_volume[None, :] * (q + ROUNDING_UNITS)
        cover = p.cover
        self.base = np.empty((K, F, R))
        self.svol = np.empty((K, F, R))
        self.servd = np.empty((K, F, R))
        step = max(1, 2_000_000 // max(F * R, 1))
        for a in range(0, K, step):
            ks = slice(a, min(K, a + step))
            dk, vk, ck = d[ks][:, None, :], vr[ks][:, None, :], cover[ks][:, None, None]
            zk = zsl[:, ks].T[:, :, None]
            cyc = ck * dk
            ss = zk * vk
            self.base[ks] = self.p.ship_cost_k(ks) * dk + hday[:, ks].T[:, :, None] * (
                cyc / 2 + ss)
            self.svol[ks] = p.unit_volume[ks][:, None, None] * (cyc + ss)
            self.servd[ks] = np.where(p.fast_k(ks), dk, 0.0)
        self.has_demand = d > 0
        self.total_demand = float(d.sum())
        self.vcap = p.volume_capacity
        self.scap = p.slot_capacity
        self.tcap = p.throughput_capacity
        self.alpha = p.service_share


def _pair_stock_units(p: PlacementProblem, assignment: IntArray
                      ) -> tuple[FloatArray, FloatArray]:
    """Assigned demand (F, K) and assigned variance (F, K) of an assignment."""
    F, K = p.n_fcs, p.n_skus
    dem = np.zeros((F, K))
    var = np.zeros((F, K))
    kk, rr = np.nonzero(assignment >= 0)
    ff = assignment[kk, rr]
    assert p.demand_sd is not None
    np.add.at(dem, (ff, kk), p.demand[kk, rr])
    np.add.at(var, (ff, kk), p.demand_sd[kk, rr] ** 2)
    return dem, var


def target_units(problem: PlacementProblem, assignment: IntArray) -> IntArray:
    """Target stock per FC and SKU for an assignment (the exact rule, not the tangent).

    ``ceil(min_units + days_of_cover * D + z * sqrt(L) * sqrt(V))`` at every stocked pair,
    where ``D`` and ``V`` are the assigned daily demand and its variance.
    """
    dem, var = _pair_stock_units(problem, assignment)
    stocked = _stocked(assignment, problem.n_fcs)
    raw = (problem.min_units + problem.cover[None, :] * dem
           + problem.z * np.sqrt(problem.lead) * np.sqrt(var))
    return np.where(stocked, np.ceil(raw - 1e-9), 0).astype(np.int64)


def _stocked(assignment: IntArray, n_fcs: int) -> BoolArray:
    K = assignment.shape[0]
    out = np.zeros((n_fcs, K), bool)
    kk, rr = np.nonzero(assignment >= 0)
    out[assignment[kk, rr], kk] = True
    return out


def evaluate_assignment(problem: PlacementProblem, assignment: IntArray,
                        data: _Data | None = None) -> dict[str, Any]:
    """Cost, capacity use and service share of an assignment (K, R) of regions to FCs.

    Returns a dict with ``objective`` and its parts ``shipping``, ``holding``, ``fixed``
    (per day, the model's cost), ``volume`` (F,) cubic feet the model reserves,
    ``slots`` (F,), ``throughput`` (F,) units per day assigned to each FC, ``service_share``,
    ``stocked`` (F, K) and ``feasible`` (every demanded region served, capacities and the
    service target met, within 1e-6 relative).
    """
    data = data or _Data(problem)
    p = problem
    K, F = data.K, data.F
    a = np.asarray(assignment, np.int64)
    served = a >= 0
    ok_served = bool(np.all(served[data.has_demand]))
    kk, rr = np.nonzero(served)
    ff = a[kk, rr]
    ship = float((p.ship_cost_k(slice(None))[kk, ff, rr] * p.demand[kk, rr]).sum())
    region_cost = float(data.base[kk, ff, rr].sum())
    stocked = _stocked(a, F)
    fixed = float(p.fixed[stocked].sum())
    pair_cost = float(data.pair_cost[stocked].sum())
    holding = region_cost - ship + pair_cost - fixed
    vol = data.pair_vol.sum(axis=1, where=stocked) if K else np.zeros(F)
    vol = vol + np.bincount(ff, weights=data.svol[kk, ff, rr], minlength=F)
    slots = stocked.sum(axis=1).astype(float)
    thr = np.bincount(ff, weights=p.demand[kk, rr], minlength=F)
    fast = float(data.servd[kk, ff, rr].sum())
    share = fast / data.total_demand if data.total_demand > 0 else 1.0
    feasible = ok_served
    if data.vcap is not None:
        feasible &= bool(np.all(vol <= data.vcap * (1 + 1e-6) + 1e-9))
    if data.scap is not None:
        feasible &= bool(np.all(slots <= data.scap + 1e-9))
    if data.tcap is not None:
        feasible &= bool(np.all(thr <= data.tcap * (1 + 1e-6) + 1e-9))
    if data.alpha is not None:
        feasible &= share >= data.alpha * (1 - 1e-6) - 1e-12
    return {"objective": ship + holding + fixed, "shipping": ship, "holding": holding,
            "fixed": fixed, "volume": vol, "slots": slots, "throughput": thr,
            "service_share": share, "stocked": stocked, "feasible": feasible}


def max_service_share(problem: PlacementProblem) -> float:
    """The highest service share any placement reaches: every SKU stocked everywhere and each
    region served by its fastest FC (capacities ignored)."""
    total = float(problem.demand.sum())
    if total <= 0:
        return 1.0
    fast_any = np.zeros(problem.demand.shape, bool)
    step = max(1, 2_000_000 // max(problem.n_fcs * problem.n_regions, 1))
    for a in range(0, problem.n_skus, step):
        ks = slice(a, min(problem.n_skus, a + step))
        fast_any[ks] = problem.fast_k(ks).any(axis=1)
    return float(problem.demand[fast_any].sum() / total)


# --------------------------------------------------------------------- infeasibility checks
def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


def _check_feasible(data: _Data) -> None:
    """Raise :class:`InfeasiblePlacement` for infeasibility detectable without a solver.

    Necessary conditions only (each is a relaxation of the model): the total volume, slot
    counts and throughput, one SKU (or, for throughput, one region's demand for a SKU, which
    single sourcing sends to one FC) against every FC, and the service target against the best
    any placement reaches.  A combination (e.g. the FCs close enough for the service target
    are full) is reported after the LP relaxation, by the constraint its slack variables
    violate.
    """
    p = data.p
    K, F = data.K, data.F
    names = p.fc_names
    if data.scap is not None:
        total_slots = float(data.scap.sum())
        if total_slots < K:
            raise InfeasiblePlacement(
                f"slot capacity: every one of the {K:,} SKUs must be stocked somewhere, but "
                f"the FCs have {total_slots:,.0f} SKU slots in total ("
                + ", ".join(f"{n} {s:,.0f}" for n, s in zip(names, data.scap, strict=True))
                + ")")
    if data.vcap is not None and K:
        # least volume any placement needs per SKU: its cheapest pair volume plus each region
        # at its least-volume FC (a valid lower bound on sum over stocked pairs)
        min_vol = data.pair_vol.min(axis=0) + data.svol.min(axis=1).sum(axis=1)
        fits_any = (data.pair_vol <= data.vcap[:, None] + 1e-9).any(axis=0)
        if not fits_any.all():
            k = int(np.argmin(fits_any))
            need = float(data.pair_vol[:, k].min())
            raise InfeasiblePlacement(
                f"volume: SKU {p.sku_names[k]} is too large for any FC: stocking it anywhere "
                f"reserves at least {_fmt(need)} cu ft (its safety stock's fixed part, minimum "
                f"units and one unit for rounding, at {p.unit_volume[k]:.3g} cu ft a unit) but "
                f"the largest FC holds {_fmt(float(data.vcap.max()))} cu ft")
        total_cap = float(data.vcap.sum())
        need = float(min_vol.sum())
        if need > total_cap * (1 + 1e-9):
            raise InfeasiblePlacement(
                f"volume: holding the minimum stock of every SKU (cycle stock for "
                f"{_fmt(float(np.mean(p.cover)))} days of cover on average plus safety "
                f"stock, each SKU at one FC) needs {_fmt(need)} cu ft, but all {F} FCs "
                f"together hold {_fmt(total_cap)} cu ft ({total_cap / need:.0%} of that)")
    if data.tcap is not None and data.total_demand > 0:
        total_thr = float(data.tcap.sum())
        if data.total_demand > total_thr * (1 + 1e-9):
            raise InfeasiblePlacement(
                f"throughput: demand {_fmt(data.total_demand)} units/day exceeds the FCs' "
                f"total throughput capacity {_fmt(total_thr)} units/day ("
                + ", ".join(f"{n} {_fmt(float(t))}" for n, t in zip(names, data.tcap,
                                                                     strict=True))
                + "); raise capacity or staffing")
        kb, rb = (int(i) for i in np.unravel_index(int(np.argmax(p.demand)), p.demand.shape))
        largest = float(data.tcap.max())
        if float(p.demand[kb, rb]) > largest * (1 + 1e-9):
            raise InfeasiblePlacement(
                f"throughput: SKU {p.sku_names[kb]}'s demand in region {p.region_names[rb]} "
                f"({_fmt(float(p.demand[kb, rb]))} units/day) is served by a single FC, but "
                f"the largest FC handles {_fmt(largest)} units/day; raise capacity or staffing")
    if data.alpha is not None and data.total_demand > 0:
        best = max_service_share(p)
        if data.alpha > best + 1e-12:
            raise InfeasiblePlacement(
                f"service: the target of {data.alpha:.2%} of units within "
                f"{p.service_days:g} days is above the {best:.2%} reachable even if every SKU "
                f"were stocked at every FC (the other {1 - best:.2%} of demand is in regions no "
                f"FC reaches within {p.service_days:g} days)")


# ------------------------------------------------------------------------------ MIP helpers
_SOLVER_NAMES = {"scip": "scip", "highs": "highs", "sat": "sat", "cp-sat": "sat",
                 "glop": "glop", "pdlp": "pdlp"}


def _solver_params(solver: str, gap: float, threads: int) -> str:
    if solver == "scip":
        return f"limits/gap = {gap:g}\nparallel/maxnthreads = {threads}"
    if solver == "highs":
        return f"mip_rel_gap={gap:g},threads={threads}"
    if solver == "sat":
        # catch_sigint_signal: CP-SAT would reset SIGINT to SIG_DFL after the solve (behind
        # Python's back), so that a later Ctrl-C kills the process without KeyboardInterrupt
        return (f"relative_gap_limit: {gap:g}, num_workers: {max(1, threads)}, "
                "catch_sigint_signal: false")
    return ""


def _load(model: Any, lb: FloatArray, ub: FloatArray, obj: FloatArray,
          lo: FloatArray, hi: FloatArray, a: sp.csr_matrix) -> None:
    """``fill_model_from_sparse_data`` (its stub types the vectors oddly, hence ``Any``)."""
    v: list[Any] = [np.asarray(x, np.float64) for x in (lb, ub, obj, lo, hi)]
    model.fill_model_from_sparse_data(v[0], v[1], v[2], v[3], v[4],
                                      sp.csr_matrix(a, dtype=np.float64))


_TOGETHER = ("e.g. the FCs that reach the service target lack the volume, slots or throughput, "
             "or each region's demand for a SKU, which one FC must serve whole, does not pack "
             "into the FCs' throughput")
"""Why capacities that pass one by one can fail together, for the infeasibility messages."""


@dataclass
class _MipOut:
    status: str
    values: FloatArray | None
    objective: float
    bound: float


def _solve_mb(model: Any, solver: str, time_limit: float, gap: float,
              threads: int = 1, verbose: bool = False) -> _MipOut:
    """Solve a model-builder model; the bound is ``nan`` where OR-Tools gives none.

    OR-Tools 9.15 passes HiGHS's objective as its "best bound" (and row activities as LP
    duals), so a HiGHS bound is only what its stopping rule certifies: within ``gap`` of the
    objective when it reports optimality.
    """
    s = mbh.ModelSolverHelper(_SOLVER_NAMES[solver])
    if not s.solver_is_supported():
        raise RuntimeError(f"solver {solver!r} is not available in this OR-Tools build")
    params = _solver_params(_SOLVER_NAMES[solver], gap, threads)
    if params:
        s.set_solver_specific_parameters(params)
    s.set_time_limit_in_seconds(max(0.05, float(time_limit)))
    s.enable_output(verbose)
    s.solve(model)
    st = s.status()
    name = {mbh.SolveStatus.OPTIMAL: "OPTIMAL", mbh.SolveStatus.FEASIBLE: "FEASIBLE",
            mbh.SolveStatus.INFEASIBLE: "INFEASIBLE"}.get(st, "NOT_SOLVED")
    if name in ("OPTIMAL", "FEASIBLE") and s.has_solution():
        obj = float(s.objective_value())
        bound = float(s.best_objective_bound())
        if _SOLVER_NAMES[solver] == "highs":
            bound = obj - gap * abs(obj) if name == "OPTIMAL" else math.nan
        return _MipOut(name, np.asarray(s.variable_values(), float), obj, bound)
    return _MipOut(name if name == "INFEASIBLE" else "NOT_SOLVED", None, math.nan, math.nan)


# ------------------------------------------------------------------------- monolithic MIP
@dataclass
class _MipModel:
    """A (possibly reduced) monolithic MIP and how to read an assignment from its values."""

    model: Any
    kk: IntArray  # SKU of each demanded SKU-region pair e
    rr: IntArray  # region of e
    xvar: IntArray  # (E, F) variable index of x[e, f], -1 if fixed
    xfix: BoolArray  # (E, F) x fixed to 1
    constant: float


def _build_mip(data: _Data, x_free: BoolArray | None = None,
               y_state: NDArray[np.int8] | None = None,
               hint: IntArray | None = None) -> _MipModel:
    """The MIP of the module docstring from sparse arrays (no Python loop over rows).

    ``x_free`` (E, F) marks the assignment variables that may be 1 (the others are fixed to
    0) for the demanded pairs ``np.nonzero(data.has_demand)``; ``y_state`` (F, K) is -1
    (free), 0 or 1 (fixed).  A pair left with one allowed FC is fixed to it.  Fixed variables
    go into the constant and the right-hand sides.
    """
    K, F = data.K, data.F
    kk, rr = np.nonzero(data.has_demand)
    E = len(kk)
    xf = np.ones((E, F), bool) if x_free is None else x_free.copy()
    ys = np.full((F, K), -1, np.int8) if y_state is None else y_state.copy()
    xf &= ys[:, kk].T != 0
    if (xf.sum(axis=1) == 0).any():
        raise ValueError("a demanded SKU-region pair has no allowed FC")
    xfix = xf & (xf.sum(axis=1) == 1)[:, None]
    ee, ff = np.nonzero(xfix)
    ys[ff, kk[ee]] = 1  # a pair fixed to an FC makes it stock the SKU
    xfree = xf & ~xfix
    yfree = ys == -1
    ny = int(yfree.sum())
    yvar = np.full((F, K), -1, np.int64)
    yvar[yfree] = np.arange(ny)
    xvar = np.full((E, F), -1, np.int64)
    xvar[xfree] = ny + np.arange(int(xfree.sum()))
    n = ny + int(xfree.sum())
    xe, xfc = np.nonzero(xfree)
    xk, xr = kk[xe], rr[xe]
    yf, yk = np.nonzero(yfree)
    y1 = ys == 1
    fe_k, fe_r = kk[ee], rr[ee]
    obj = np.concatenate([data.pair_cost[yf, yk], data.base[xk, xfc, xr]])
    constant = float(data.pair_cost[y1].sum() + data.base[fe_k, ff, fe_r].sum())
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    lo: list[FloatArray] = []
    hi: list[FloatArray] = []
    r0 = 0
    # every pair with a choice is served once
    open_e = np.nonzero(xfree.any(axis=1))[0]
    row_of_e = np.full(E, -1, np.int64)
    row_of_e[open_e] = np.arange(len(open_e))
    rows.append(row_of_e[xe])
    cols.append(xvar[xe, xfc])
    vals.append(np.ones(len(xe)))
    lo.append(np.ones(len(open_e)))
    hi.append(np.ones(len(open_e)))
    r0 += len(open_e)
    # x <= y where y is free
    link = np.nonzero(yfree[xfc, xk])[0]
    lr = r0 + np.arange(len(link))
    rows += [lr, lr]
    cols += [xvar[xe[link], xfc[link]], yvar[xfc[link], xk[link]]]
    vals += [np.ones(len(link)), -np.ones(len(link))]
    lo.append(np.full(len(link), -np.inf))
    hi.append(np.zeros(len(link)))
    r0 += len(link)
    if data.vcap is not None:
        used = (np.where(y1, data.pair_vol, 0.0).sum(axis=1)
                + np.bincount(ff, weights=data.svol[fe_k, ff, fe_r], minlength=F))
        rows += [r0 + yf, r0 + xfc]
        cols += [yvar[yf, yk], xvar[xe, xfc]]
        vals += [data.pair_vol[yf, yk], data.svol[xk, xfc, xr]]
        lo.append(np.full(F, -np.inf))
        hi.append(data.vcap - used)
        r0 += F
    if data.scap is not None:
        rows.append(r0 + yf)
        cols.append(yvar[yf, yk])
        vals.append(np.ones(ny))
        lo.append(np.full(F, -np.inf))
        hi.append(data.scap - y1.sum(axis=1))
        r0 += F
    if data.tcap is not None:
        dem = data.p.demand
        rows.append(r0 + xfc)
        cols.append(xvar[xe, xfc])
        vals.append(dem[xk, xr])
        lo.append(np.full(F, -np.inf))
        hi.append(data.tcap - np.bincount(ff, weights=dem[fe_k, fe_r], minlength=F))
        r0 += F
    if data.alpha is not None:
        rows.append(np.full(len(xe), r0))
        cols.append(xvar[xe, xfc])
        vals.append(data.servd[xk, xfc, xr])
        lo.append(np.array([data.alpha * data.total_demand
                            - data.servd[fe_k, ff, fe_r].sum()]))
        hi.append(np.array([np.inf]))
        r0 += 1
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(r0, n))
    model = mbh.ModelBuilderHelper()
    _load(model, np.zeros(n), np.ones(n), obj, np.concatenate(lo),
                                      np.concatenate(hi), A)
    for j in range(n):
        model.set_var_integrality(j, True)
    if hint is not None:
        h = hint[kk, rr]
        for e_, f_ in zip(xe.tolist(), xfc.tolist(), strict=True):
            model.add_hint(int(xvar[e_, f_]), 1.0 if h[e_] == f_ else 0.0)
        stocked = _stocked(hint, F)
        for f_, k_ in zip(yf.tolist(), yk.tolist(), strict=True):
            model.add_hint(int(yvar[f_, k_]), 1.0 if stocked[f_, k_] else 0.0)
    return _MipModel(model, kk, rr, xvar, xfix, constant)


def _read_assignment(m: _MipModel, values: FloatArray, K: int, R: int) -> IntArray:
    padded = np.concatenate([values, [0.0]])  # index -1 (fixed variables) reads 0
    xv = padded[m.xvar]
    xv = np.where(m.xfix, 2.0, xv)  # fixed pairs win
    assignment = np.full((K, R), -1, np.int64)
    assignment[m.kk, m.rr] = np.argmax(xv, axis=1)
    return assignment


def _solve_mip(p: PlacementProblem, data: _Data, solver: str, time_limit: float, gap: float,
               threads: int, verbose: bool, t0: float,
               progress: ProgressFn | None) -> PlacementResult:
    """The whole MIP with one solver."""
    mm = _build_mip(data)
    remaining = time_limit - (time.perf_counter() - t0)
    out = _solve_mb(mm.model, solver, remaining, gap, threads, verbose)
    if out.status == "INFEASIBLE":
        raise InfeasiblePlacement(
            f"the MIP solver ({solver}) proved the placement infeasible although each capacity "
            f"and the service target pass on their own: they cannot be met together ({_TOGETHER})")
    label = f"mip({_SOLVER_NAMES[solver]})"
    if out.values is None:
        return _empty_result(p, data, label, t0, out.status)
    assignment = _read_assignment(mm, out.values, data.K, data.R)
    res = _result(p, data, assignment, out.bound + mm.constant, out.status, label, t0, gap, 0)
    if progress is not None:
        progress(PlacementProgress(1, "mip", res.solve_seconds, res.bound, res.objective,
                                   res.gap))
    return res


def _empty_result(p: PlacementProblem, data: _Data, method: str, t0: float,
                  status: str) -> PlacementResult:
    F, K, R = data.F, data.K, data.R
    return PlacementResult(
        objective=math.nan, bound=math.nan, gap=math.nan, status=status,
        solve_seconds=time.perf_counter() - t0, method=method,
        stocked=np.zeros((F, K), bool), assignment=np.full((K, R), -1, np.int64),
        target_units=np.zeros((F, K), np.int64), assigned_units_per_day=np.zeros((F, K)),
        service_share=math.nan, cost={}, peak_memory_mb=peak_memory_mb(),
        fc_names=p.fc_names, service_target=p.service_share, service_days=p.service_days,
        throughput_capacity=p.throughput_capacity)


def _result(p: PlacementProblem, data: _Data, assignment: IntArray, bound: float,
            status: str, method: str, t0: float, gap_tol: float,
            iterations: int) -> PlacementResult:
    ev = evaluate_assignment(p, assignment, data)
    obj = float(ev["objective"])
    if not math.isnan(bound) and bound > obj:
        bound = obj  # numerical noise of a proven-optimal solve
    gap = (obj - bound) / max(abs(obj), 1e-9) if not math.isnan(bound) else math.nan
    if status in ("OPTIMAL", "FEASIBLE"):
        status = "OPTIMAL" if not math.isnan(gap) and gap <= max(gap_tol, 1e-9) else (
            "OPTIMAL" if status == "OPTIMAL" else "FEASIBLE")
    dem, _ = _pair_stock_units(p, assignment)
    return PlacementResult(
        objective=obj, bound=bound, gap=max(gap, 0.0) if not math.isnan(gap) else gap,
        status=status, solve_seconds=time.perf_counter() - t0, method=method,
        stocked=ev["stocked"], assignment=assignment, target_units=target_units(p, assignment),
        assigned_units_per_day=dem, service_share=float(ev["service_share"]),
        cost={"shipping": ev["shipping"], "holding": ev["holding"], "fixed": ev["fixed"]},
        peak_memory_mb=peak_memory_mb(), iterations=iterations, fc_names=p.fc_names,
        service_target=p.service_share, service_days=p.service_days,
        throughput_capacity=p.throughput_capacity)


# ------------------------------------------------------------------------- decomposition
@dataclass
class _Use:
    """What columns take from the coupling rows: per column, (n, F) arrays and ``serv``
    (n,); or, after :meth:`total`, what a set of columns takes together, (F,) and ().

    One type for both, so the master LP, the integer master, the repair and the feasibility
    test read the rows from one place instead of repeating a line per kind of row.
    """

    vol: FloatArray  # cubic feet per FC
    slot: FloatArray  # SKU slots per FC
    thr: FloatArray  # units/day shipped per FC
    serv: FloatArray  # units/day within the service time

    def total(self) -> _Use:
        return _Use(self.vol.sum(axis=0), self.slot.sum(axis=0), self.thr.sum(axis=0),
                    np.asarray(self.serv.sum()))

    def __sub__(self, o: _Use) -> _Use:
        return _Use(self.vol - o.vol, self.slot - o.slot, self.thr - o.thr, self.serv - o.serv)

    def __add__(self, o: _Use) -> _Use:
        return _Use(self.vol + o.vol, self.slot + o.slot, self.thr + o.thr, self.serv + o.serv)

    def take(self, idx: IntArray) -> _Use:
        return _Use(self.vol[idx], self.slot[idx], self.thr[idx], self.serv[idx])


@dataclass
class _Columns:
    """Columns of the master problem: one SKU's stocked set and region assignment each."""

    sku: IntArray
    mask: IntArray
    cost: FloatArray
    vol: FloatArray  # (n, F) cubic feet
    thr: FloatArray  # (n, F) units/day shipped from each FC (the throughput rows)
    serv: FloatArray  # units/day within the service time
    assign: NDArray[np.int8]  # (n, R)

    @classmethod
    def empty(cls, F: int, R: int) -> _Columns:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0),
                   np.zeros((0, F)), np.zeros((0, F)), np.zeros(0), np.zeros((0, R), np.int8))

    def __len__(self) -> int:
        return len(self.sku)

    def extend(self, o: _Columns) -> None:
        self.sku = np.concatenate([self.sku, o.sku])
        self.mask = np.concatenate([self.mask, o.mask])
        self.cost = np.concatenate([self.cost, o.cost])
        self.vol = np.concatenate([self.vol, o.vol])
        self.thr = np.concatenate([self.thr, o.thr])
        self.serv = np.concatenate([self.serv, o.serv])
        self.assign = np.concatenate([self.assign, o.assign])

    def take(self, idx: IntArray) -> _Columns:
        return _Columns(self.sku[idx], self.mask[idx], self.cost[idx], self.vol[idx],
                        self.thr[idx], self.serv[idx], self.assign[idx])

    def slots(self, F: int) -> FloatArray:
        return ((self.mask[:, None] >> np.arange(F)[None, :]) & 1).astype(float)

    def use(self, F: int) -> _Use:
        """Each column's use of the coupling rows."""
        return _Use(self.vol, self.slots(F), self.thr, self.serv)


@dataclass
class _Duals:
    mu: FloatArray  # (F,) per cubic foot
    nu: FloatArray  # (F,) per slot
    rho: FloatArray  # (F,) per unit/day shipped
    pi: float  # per unit of service

    def combine(self, other: _Duals, a: float) -> _Duals:
        return _Duals(a * self.mu + (1 - a) * other.mu, a * self.nu + (1 - a) * other.nu,
                      a * self.rho + (1 - a) * other.rho, a * self.pi + (1 - a) * other.pi)


@dataclass(frozen=True)
class _Restriction:
    """A branch-and-price node's rules for one SKU: FCs that must / must not stock it
    (bit masks) and regions that must / must not be served by an FC."""

    must_in: int = 0
    must_out: int = 0
    x_fixed: tuple[tuple[int, int, bool], ...] = ()  # (region, FC, served by it)

    def add(self, *, must_in: int = 0, must_out: int = 0,
            x: tuple[int, int, bool] | None = None) -> _Restriction:
        return _Restriction(self.must_in | must_in, self.must_out | must_out,
                            self.x_fixed + ((x,) if x is not None else ()))


_BIG = 1e15
"""Reduced cost of a choice a branch forbids (finite, so sums and products stay defined)."""


class _MasterNotSolved(RuntimeError):
    """The master LP stopped without an optimum (time limit)."""


class _Decomposition:
    """Column generation on the per-SKU decomposition (see the module docstring)."""

    def __init__(self, p: PlacementProblem, data: _Data, lp_solver: str,
                 master_solver: str, gap_tol: float, threads: int, verbose: bool) -> None:
        self.p, self.d = p, data
        self.F, self.K, self.R = data.F, data.K, data.R
        self.lp_solver = lp_solver
        self.master_solver = master_solver
        self.gap_tol = gap_tol
        self.threads = threads
        self.verbose = verbose
        self.pool = _Columns.empty(self.F, self.R)
        self.best_lb = -math.inf
        self.best_u = self.zero_duals()
        self.lb_rc = np.zeros(0)  # per SKU min reduced cost at best_u
        self.chunk = max(1, 1_500_000 // max(self.F * self.R, 1))
        # coupling rows are scaled to O(1) (volume, slots and throughput as shares of the FC's
        # capacity, service as a share of demand); their slack variables cost ``penalty`` per
        # unit, set from the first bound once it is known and raised if the LP still needs slack
        self.penalty = 1.0
        self.row_vol = (np.maximum(data.vcap, max(1e-3 * float(data.vcap.mean()), 1e-9))
                        if data.vcap is not None else np.ones(self.F))
        self.row_slot = (np.maximum(data.scap, 1.0) if data.scap is not None
                         else np.ones(self.F))
        self.row_thr = (np.maximum(data.tcap, max(1e-3 * float(data.tcap.mean()), 1e-9))
                        if data.tcap is not None else np.ones(self.F))
        self.row_serv = max(data.total_demand, 1e-12)
        self.n_alt = 1
        self.last_support: IntArray = np.zeros(0, np.int64)
        self.escalations = 0
        self.restr: dict[int, _Restriction] = {}

    def zero_duals(self) -> _Duals:
        return _Duals(np.zeros(self.F), np.zeros(self.F), np.zeros(self.F), 0.0)

    def constant(self, u: _Duals) -> float:
        """``- u . b`` of the Lagrangian: capacity prices paid back, service price earned."""
        c = 0.0
        if self.d.vcap is not None:
            c -= float(u.mu @ self.d.vcap)
        if self.d.scap is not None:
            c -= float(u.nu @ self.d.scap)
        if self.d.tcap is not None:
            c -= float(u.rho @ self.d.tcap)
        if self.d.alpha is not None:
            c += u.pi * self.d.alpha * self.d.total_demand
        return c

    # -- pricing -----------------------------------------------------------------------
    def price(self, u: _Duals) -> tuple[float, _Columns, FloatArray]:
        """Exact per-SKU pricing at ``u``: the Lagrangian bound, the best column of every
        SKU and its reduced cost."""
        F, K = self.F, self.K
        cols = []
        rc_all = np.empty(K)
        for a in range(0, K, self.chunk):
            ks = slice(a, min(K, a + self.chunk))
            c, rc = self._price_chunk(ks, u)
            cols.append(c)
            rc_all[ks] = rc
        out = _Columns.empty(F, self.R)
        for c in cols:
            out.extend(c)
        lb = float(rc_all.sum()) + self.constant(u)
        return lb, out, rc_all

    def _reduced(self, ks: slice, u: _Duals) -> tuple[FloatArray, FloatArray]:
        d = self.d
        a = d.base[ks].copy()
        if d.vcap is not None and u.mu.any():
            a += u.mu[None, :, None] * d.svol[ks]
        if d.tcap is not None and u.rho.any():
            a += u.rho[None, :, None] * self.p.demand[ks][:, None, :]
        if d.alpha is not None and u.pi:
            a -= u.pi * d.servd[ks]
        phi = d.pair_cost[:, ks].T.copy()  # (k, F)
        if d.vcap is not None:
            phi += d.pair_vol[:, ks].T * u.mu[None, :]
        if d.scap is not None:
            phi += u.nu[None, :]
        for k, rule in self.restr.items():
            if ks.start <= k < ks.stop:
                i = k - ks.start
                for f in range(self.F):
                    if rule.must_out >> f & 1:
                        a[i, f, :] = _BIG
                        phi[i, f] = _BIG
                for r, f, served in rule.x_fixed:
                    if served:
                        keep = a[i, f, r]
                        a[i, :, r] = _BIG
                        a[i, f, r] = keep
                    else:
                        a[i, f, r] = _BIG
        return a, phi

    def _price_chunk(self, ks: slice, u: _Duals) -> tuple[_Columns, FloatArray]:
        """Best FC subset and assignment of every SKU in ``ks`` at ``u``."""
        a, phi = self._reduced(ks, u)
        total = self._subset_totals(a, phi)
        for k, rule in self.restr.items():
            if ks.start <= k < ks.stop and rule.must_in:
                masks = np.arange(total.shape[1])
                total[k - ks.start, (masks & rule.must_in) != rule.must_in] = np.inf
        best_mask = np.argmin(total, axis=1).astype(np.int64)
        cols = self._columns(ks, best_mask, a)
        rc = self.reduced_costs(cols, u)
        # a SKU whose every choice a branch forbids: no column, and an infinite bound
        rc[total[np.arange(len(best_mask)), best_mask] >= _BIG / 10] = np.inf
        return cols, rc

    def _subset_totals(self, a: FloatArray, phi: FloatArray) -> FloatArray:
        """Reduced cost (n, 2^F) of every FC subset (bit mask) of each SKU, all exactly.

        For a subset ``S``, region ``r`` goes to the first FC of ``S`` in its order of
        reduced cost ``a[:, r]``; so FC ``f`` serves ``r`` iff ``f`` is in ``S`` and the set
        ``P_fr`` of FCs cheaper than ``f`` for ``r`` avoids ``S``.  Summing ``a_fr`` by
        ``(f, P_fr)`` and then over all subsets of each complement (a zeta transform on the
        ``2^F`` lattice) gives every subset's assignment cost in ``O(F^2 R + F^2 2^F)`` per
        SKU instead of ``O(2^F F R)``.  Entry 0 (no FC) is ``inf``.
        """
        F = self.F
        n, _, R = a.shape
        nm = 1 << F
        # P[:, f, r]: FCs strictly ahead of f for region r (ties to the lower index); one
        # comparison per pair of FCs, its complement gives the other direction
        dt = np.uint8 if F <= 8 else np.uint16 if F <= 16 else np.uint32
        P = np.zeros((n, F, R), dt)
        for f in range(F):
            for g in range(f):
                g_ahead = (a[:, g, :] <= a[:, f, :]).astype(dt)
                np.bitwise_or(P[:, f, :], np.left_shift(g_ahead, g, dtype=dt), out=P[:, f, :])
                np.bitwise_or(P[:, g, :], np.left_shift(np.bitwise_xor(g_ahead, 1, dtype=dt), f,
                                                        dtype=dt), out=P[:, g, :])
        key = ((np.arange(n, dtype=np.int64)[:, None, None] * F
                + np.arange(F)[None, :, None]) << F) | P
        w = np.bincount(key.ravel(), weights=a.ravel(), minlength=n * F * nm)
        h = w.reshape(n, F, nm)
        for b in range(F):  # zeta transform: h[., f, Q] = sum over P within Q of w[., f, P]
            v = h.reshape(n, F, nm >> (b + 1), 2, 1 << b)
            v[:, :, :, 1, :] += v[:, :, :, 0, :]
        member = ((np.arange(nm)[:, None] >> np.arange(F)[None, :]) & 1).astype(float)
        comp = (nm - 1) ^ np.arange(nm)
        total = phi @ member.T  # (n, nm) fixed part
        for f in range(F):
            total += h[:, f, comp] * member[None, :, f]
        total[:, 0] = np.inf
        return total

    def _columns(self, ks: slice, masks: IntArray, a: FloatArray) -> _Columns:
        """Columns for SKUs ``ks`` stocking ``masks``, each region at its cheapest stocked FC
        under the reduced costs ``a``."""
        F = self.F
        n = a.shape[0]
        inset = ((masks[:, None] >> np.arange(F)[None, :]) & 1).astype(bool)  # (n, F)
        am = np.where(inset[:, :, None], a, np.inf)
        assign = np.argmin(am, axis=1)  # (n, R)
        return self._column_data(np.arange(ks.start, ks.start + n), masks, assign)

    def _column_data(self, skus: IntArray, masks: IntArray, assign: IntArray) -> _Columns:
        """Cost, volume and throughput per FC, and fast units of columns given by SKU, mask
        and assignment."""
        d = self.d
        F, R = self.F, self.R
        n = len(skus)
        inset = ((masks[:, None] >> np.arange(F)[None, :]) & 1).astype(bool)
        flat = ((skus[:, None] * F + assign) * R + np.arange(R)[None, :]).ravel()
        base = d.base.reshape(-1)[flat].reshape(n, R)
        svol = d.svol.reshape(-1)[flat]
        servd = d.servd.reshape(-1)[flat].reshape(n, R)
        pc = d.pair_cost[:, skus].T
        cost = base.sum(axis=1) + np.where(inset, pc, 0.0).sum(axis=1)
        vol = np.where(inset, d.pair_vol[:, skus].T, 0.0)
        where = (np.arange(n)[:, None] * F + assign).ravel()
        vol += np.bincount(where, weights=svol, minlength=n * F).reshape(n, F)
        thr = np.asarray(np.bincount(where, weights=self.p.demand[skus].ravel(),
                                     minlength=n * F), float).reshape(n, F)
        return _Columns(skus.astype(np.int64), masks.astype(np.int64), cost, vol, thr,
                        servd.sum(axis=1), assign.astype(np.int8))

    def reduced_costs(self, cols: _Columns, u: _Duals) -> FloatArray:
        rc = cols.cost.copy()
        if self.d.vcap is not None:
            rc += cols.vol @ u.mu
        if self.d.scap is not None:
            rc += cols.slots(self.F) @ u.nu
        if self.d.tcap is not None:
            rc += cols.thr @ u.rho
        if self.d.alpha is not None:
            rc -= u.pi * cols.serv
        return rc

    def add_columns(self, new: _Columns, new_rc: FloatArray, u: _Duals) -> int:
        """Add the priced columns that beat every pool column of their SKU at ``u``."""
        if len(self.pool):
            pool_rc = self.reduced_costs(self.pool, u)
            mins = np.full(self.K, np.inf)
            np.minimum.at(mins, self.pool.sku, pool_rc)
            cur = mins[new.sku]
        else:
            cur = np.full(len(new), np.inf)
        better = new_rc < cur - 1e-9 * (np.abs(cur) + 1.0)
        better &= ~np.isinf(new_rc)
        # a column equal to an existing one has the same reduced cost, so it never passes
        take = np.nonzero(better)[0]
        if len(take):
            self.pool.extend(new.take(take))
        return len(take)

    def initial_columns(self) -> None:
        """Columns that give the first master room: each SKU with every region at its
        fastest FC (the service target's best case) and, for small instances, each SKU
        wholly at each single FC (lets the master move SKUs away from full FCs)."""
        K, F, R = self.K, self.F, self.R
        d = self.d
        for a in range(0, K, self.chunk):
            ks = slice(a, min(K, a + self.chunk))
            n = ks.stop - ks.start
            skus = np.arange(ks.start, ks.stop)
            # fastest FC per region (most units within the service time), then cheapest
            score = d.base[ks] - d.servd[ks] * (np.abs(d.base[ks]).max() + 1.0) * 10
            assign = np.argmin(score, axis=1)
            assign[~d.has_demand[ks]] = assign[~d.has_demand[ks]].min(initial=0)
            masks = np.zeros(n, np.int64)
            for f in range(F):
                masks |= (assign == f).any(axis=1).astype(np.int64) << f
            self.pool.extend(self._column_data(skus, masks, assign))
            if K * F <= 20_000:
                for f in range(F):
                    self.pool.extend(self._column_data(skus, np.full(n, 1 << f, np.int64),
                                                       np.full((n, R), f, np.int64)))

    # -- master LP ---------------------------------------------------------------------
    def _coupling(self, use: _Use, used: _Use, r0: int, c0: int | None
                  ) -> tuple[list[IntArray], list[IntArray], list[FloatArray],
                             list[FloatArray], list[FloatArray], dict[str, slice], int]:
        """Coupling rows (scaled) for variables with usage ``use`` (per variable), the rest
        of the solution using ``used`` (totals); slack columns from index ``c0`` unless it is
        None.  Returns COO pieces, row bounds, row slices, next row.  Rows come in the order
        volume, slots, throughput, service (:func:`_raise_if_slack` reads slack in it)."""
        d = self.d
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        vals: list[FloatArray] = []
        lo: list[FloatArray] = []
        hi: list[FloatArray] = []
        slices: dict[str, slice] = {}
        blocks: list[tuple[str, FloatArray, FloatArray]] = []
        if d.vcap is not None:
            blocks.append(("vol", use.vol / self.row_vol, (d.vcap - used.vol) / self.row_vol))
        if d.scap is not None:
            blocks.append(("slot", use.slot / self.row_slot,
                           (d.scap - used.slot) / self.row_slot))
        if d.tcap is not None:
            blocks.append(("thr", use.thr / self.row_thr, (d.tcap - used.thr) / self.row_thr))
        if d.alpha is not None:
            # service as "<=" on the negated row keeps one sign convention for the slack
            blocks.append(("serv", -use.serv[:, None] / self.row_serv,
                           np.array([-(d.alpha * d.total_demand - float(used.serv))
                                     / self.row_serv])))
        for key, coef, rhs in blocks:
            m = coef.shape[1]
            rr, cc = np.nonzero(coef.T)
            rows.append(r0 + rr)
            cols.append(cc)
            vals.append(coef.T[rr, cc])
            if c0 is not None:
                rows.append(r0 + np.arange(m))
                cols.append(c0 + np.arange(m))
                vals.append(-np.ones(m))
                c0 += m
            lo.append(np.full(m, -np.inf))
            hi.append(rhs)
            slices[key] = slice(r0, r0 + m)
            r0 += m
        return rows, cols, vals, lo, hi, slices, r0

    def best_in_pool(self, u: _Duals) -> IntArray:
        """Index of each SKU's pool column of least reduced cost at ``u``."""
        rc = self.reduced_costs(self.pool, u)
        order = np.lexsort((rc, self.pool.sku))
        sku_sorted = self.pool.sku[order]
        first = np.ones(len(order), bool)
        first[1:] = sku_sorted[1:] != sku_sorted[:-1]
        best = np.full(self.K, -1, np.int64)
        best[sku_sorted[first]] = order[first]
        return best

    def _alternatives(self, u_ref: _Duals, is_ref: BoolArray) -> IntArray:
        """Pool columns offered to the master besides the references: per SKU the
        ``self.n_alt`` of least reduced cost at ``u_ref`` and every column the last master
        used.  A SKU with one alternative needs no convexity row, so the LP stays small."""
        pool = self.pool
        rc = self.reduced_costs(pool, u_ref)
        cand = np.nonzero(~is_ref)[0]
        order = cand[np.lexsort((rc[cand], pool.sku[cand]))]
        sku_sorted = pool.sku[order]
        start = np.ones(len(order), bool)
        start[1:] = sku_sorted[1:] != sku_sorted[:-1]
        first_pos = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
        rank = np.arange(len(order)) - first_pos
        keep = np.zeros(len(pool), bool)
        keep[order[rank < self.n_alt]] = True
        if len(self.last_support):
            keep[self.last_support] = True
        keep &= ~is_ref
        return np.nonzero(keep)[0]

    def solve_master_lp(self, time_limit: float, u_ref: _Duals
                        ) -> tuple[float, _Duals, FloatArray, FloatArray]:
        """Master LP over the pool: objective, duals, lambda of every pool column, slacks.

        Written relative to a reference column per SKU (its best at ``u_ref``):
        ``lambda_ref = 1 - sum of the SKU's other lambdas``, so the all-slack starting basis
        is the reference solution and the simplex only pivots in the SKUs that change.  (In
        the plain form every convexity row costs a pivot: 10,000 SKUs took GLOP 10-50 s per
        solve, against well under a second here.)  A SKU with two columns needs no row, only
        the bound ``lambda <= 1``.
        """
        pool = self.pool
        F = self.F
        ref = self.best_in_pool(u_ref)
        is_ref = np.zeros(len(pool), bool)
        is_ref[ref] = True
        var_idx = self._alternatives(u_ref, is_ref)
        r_of = ref[pool.sku[var_idx]]
        use = pool.use(F)
        nv = len(var_idx)
        per_sku = np.bincount(pool.sku[var_idx], minlength=self.K)
        row_skus = np.nonzero(per_sku >= 2)[0]
        nconv = len(row_skus)
        rows, cc, vals, lo, hi, slices, r0 = self._coupling(
            use.take(var_idx) - use.take(r_of), use.take(ref).total(), nconv, nv)
        nslack = r0 - nconv
        in_row = per_sku[pool.sku[var_idx]] >= 2
        rows.insert(0, np.searchsorted(row_skus, pool.sku[var_idx][in_row]))
        cc.insert(0, np.nonzero(in_row)[0])
        vals.insert(0, np.ones(int(in_row.sum())))
        lo.insert(0, np.full(nconv, -np.inf))
        hi.insert(0, np.ones(nconv))
        n = nv + nslack
        A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cc))),
                          shape=(r0, n))
        obj = np.concatenate([pool.cost[var_idx] - pool.cost[r_of],
                              np.full(nslack, self.penalty)])
        ub = np.concatenate([np.ones(nv), np.full(nslack, np.inf)])
        model = mbh.ModelBuilderHelper()
        _load(model, np.zeros(n), ub, obj, np.concatenate(lo),
                                          np.concatenate(hi), A)
        s = mbh.ModelSolverHelper(_SOLVER_NAMES[self.lp_solver])
        if self.d.tcap is not None and _SOLVER_NAMES[self.lp_solver] == "glop":
            # Throughput rows put up to F nonzeros in every column and move many SKUs at
            # once; GLOP's default (primal) simplex then took 3-6 s per master LP at 10,000
            # SKUs x 8 FCs x 300 regions, its dual simplex 0.1-0.3 s.  (Dual simplex is faster
            # without these rows too, 0.03 s against 0.1-1.6 s, but the primal simplex stays
            # there so that the results of instances without throughput rows stay as they
            # were.)
            s.set_solver_specific_parameters("use_dual_simplex: true")
        s.set_time_limit_in_seconds(max(0.5, time_limit))
        s.enable_output(self.verbose)
        s.solve(model)
        if s.status() != mbh.SolveStatus.OPTIMAL:
            raise _MasterNotSolved(s.status_string() or str(s.status()))
        val = np.asarray(s.variable_values(), float)
        dual = np.asarray(s.dual_values(), float)
        lam = np.zeros(len(pool))
        lam[var_idx] = val[:nv]
        moved = np.bincount(pool.sku[var_idx], weights=val[:nv], minlength=self.K)
        lam[ref] = 1.0 - moved
        self.last_support = np.nonzero(lam > 1e-12)[0]
        u = self.zero_duals()
        if "vol" in slices:
            u.mu = np.maximum(0.0, -dual[slices["vol"]]) / self.row_vol
        if "slot" in slices:
            u.nu = np.maximum(0.0, -dual[slices["slot"]]) / self.row_slot
        if "thr" in slices:
            u.rho = np.maximum(0.0, -dual[slices["thr"]]) / self.row_thr
        if "serv" in slices:
            u.pi = max(0.0, -float(dual[slices["serv"]][0])) / self.row_serv
        z = float(s.objective_value()) + float(pool.cost[ref].sum())
        return z, u, lam, val[nv:]

    # -- integer master ----------------------------------------------------------------
    def integer_master(self, cols: _Columns, time_limit: float,
                       hint: IntArray | None = None
                       ) -> tuple[str, IntArray | None, float]:
        """Pick one column per SKU from ``cols`` (binary), capacities and service hard.

        Returns status, the chosen column index per SKU (into ``cols``) and the bound over
        these columns."""
        F = self.F
        K = self.K
        counts = np.bincount(cols.sku, minlength=K)
        if (counts == 0).any():
            return "INFEASIBLE", None, math.nan
        multi = counts >= 2
        fixed_cols = np.nonzero(~multi[cols.sku])[0]
        var_idx = np.nonzero(multi[cols.sku])[0]
        vc = cols.take(var_idx)
        fx = cols.take(fixed_cols)
        skus = np.unique(vc.sku)
        nv = len(vc)
        rows_l, cols_l, vals_l, lo, hi, _, r0 = self._coupling(
            vc.use(F), fx.use(F).total(), len(skus), None)
        rows_l.insert(0, np.searchsorted(skus, vc.sku))
        cols_l.insert(0, np.arange(nv))
        vals_l.insert(0, np.ones(nv))
        lo.insert(0, np.ones(len(skus)))
        hi.insert(0, np.ones(len(skus)))
        const = float(fx.cost.sum())
        choice = np.full(K, -1, np.int64)
        choice[fx.sku] = fixed_cols
        if nv == 0:
            ok = bool(np.all(np.concatenate([np.zeros(0), *hi[1:]]) >= -1e-9))
            return ("OPTIMAL", choice, const) if ok else ("INFEASIBLE", None, math.nan)
        A = sp.csr_matrix((np.concatenate(vals_l), (np.concatenate(rows_l),
                                                    np.concatenate(cols_l))), shape=(r0, nv))
        model = mbh.ModelBuilderHelper()
        _load(model, np.zeros(nv), np.ones(nv), vc.cost,
                                          np.concatenate(lo), np.concatenate(hi), A)
        for j in range(nv):
            model.set_var_integrality(j, True)
        if hint is not None:
            pos = {int(g): i for i, g in enumerate(var_idx)}
            for k in skus.tolist():
                jj = pos.get(int(hint[k]))
                if jj is not None:
                    model.add_hint(jj, 1.0)
        out = _solve_mb(model, self.master_solver, time_limit, self.gap_tol / 10,
                        self.threads, self.verbose)
        if out.values is None:
            return out.status, None, math.nan
        chosen = np.nonzero(out.values > 0.5)[0]
        choice[vc.sku[chosen]] = var_idx[chosen]
        if (choice < 0).any():
            return "NOT_SOLVED", None, math.nan
        return out.status, choice, out.bound + const

    def assignment_of(self, cols: _Columns, choice: IntArray) -> IntArray:
        a = cols.assign[choice].astype(np.int64)
        a[~self.d.has_demand] = -1
        return a

    # -- repair ------------------------------------------------------------------------
    def repair(self, choice: IntArray, deadline: float = math.inf) -> IntArray | None:
        """Greedy: while a capacity or the service target is violated, switch the SKU whose
        move to another pool column removes the most (relative) violation per extra dollar.
        Gives up (None) at ``deadline``: each move scans the pool, and rounding that breaks
        the throughput rows of a large instance can take hundreds of moves."""
        d = self.d
        F = self.F
        pool = self.pool
        use = pool.use(F)
        vcap = np.maximum(d.vcap, 1e-9) if d.vcap is not None else None
        scap = np.maximum(d.scap, 1e-9) if d.scap is not None else None
        tcap = np.maximum(d.tcap, 1e-9) if d.tcap is not None else None
        target = d.alpha * d.total_demand if d.alpha is not None else None

        def violation(x: _Use) -> FloatArray:
            v = np.zeros(x.vol.shape[:-1])
            for have, cap in ((x.vol, vcap), (x.slot, scap), (x.thr, tcap)):
                if cap is not None:
                    v += (np.maximum(0.0, have - cap) / cap).sum(axis=-1)
            if target is not None:
                v += np.maximum(0.0, target - x.serv) / max(d.total_demand, 1e-9)
            return v

        choice = choice.copy()
        for _ in range(2 * self.K + 100):
            if time.perf_counter() > deadline:
                return None
            cur = use.take(choice).total()
            now = float(violation(cur))
            if now <= 1e-12:
                return choice
            old = choice[pool.sku]
            new_v = violation(cur + use - use.take(old))
            gain = now - new_v
            cand = gain > 1e-12
            if not cand.any():
                return None
            dcost = np.maximum(pool.cost - pool.cost[old], 0.0)
            ratio = np.where(cand, dcost / np.where(cand, gain, 1.0), np.inf)
            j = int(np.argmin(ratio))
            choice[pool.sku[j]] = j
        return None

    # -- reduced-cost fixing -------------------------------------------------------------
    def fixings(self, u: _Duals, delta: float) -> tuple[BoolArray, NDArray[np.int8]]:
        """Which variables of the monolithic MIP can still differ from 0 / 1 in a solution
        better than the incumbent (Lagrangian reduced-cost fixing).

        A solution costing less than ``L(u) + delta`` picks, for every SKU, a column whose
        reduced cost at ``u`` is within ``delta`` of the SKU's least.  The least reduced cost
        of a column with ``x_kfr = 1`` is ``a_fr + min over S containing f of
        (total(S) - min_{g in S} a_gr)``; if that is more than ``delta`` above the least,
        ``x_kfr = 0``.  Likewise ``y_fk`` is fixed to 0 (1) when every subset with (without)
        ``f`` is too expensive.  Returns ``x_free`` (E, F) over the demanded pairs in
        ``np.nonzero(has_demand)`` order and ``y_state`` (F, K): -1 free, 0 or 1 fixed.
        """
        F, K, R = self.F, self.K, self.R
        nm = 1 << F
        member = ((np.arange(nm)[:, None] >> np.arange(F)[None, :]) & 1).astype(bool)
        member[0] = False
        x_ok = np.zeros((K, F, R), bool)
        y_state = np.full((F, K), -1, np.int8)
        step = max(1, 4_000_000 // (nm * R))
        for s0 in range(0, K, step):
            ks = slice(s0, min(K, s0 + step))
            a, phi = self._reduced(ks, u)
            n = a.shape[0]
            total = self._subset_totals(a, phi)
            rcmin = total.min(axis=1)
            limit = rcmin + delta + 1e-9 * (np.abs(rcmin) + 1.0)
            m = np.empty((n, nm, R))
            m[:, 0] = np.inf
            for S in range(1, nm):
                low = S & -S
                f = low.bit_length() - 1
                m[:, S] = a[:, f] if S == low else np.minimum(m[:, S ^ low], a[:, f])
            with np.errstate(invalid="ignore"):
                t = total[:, :, None] - m
            t[:, 0] = np.inf
            for f in range(F):
                best = t[:, member[:, f]].min(axis=1)  # (n, R)
                x_ok[ks, f] = a[:, f] + best <= limit[:, None]
                with_f = total[:, member[:, f]].min(axis=1)
                without = total[:, ~member[:, f] & (np.arange(nm) > 0)].min(axis=1,
                                                                          initial=np.inf)
                y_state[f, ks] = np.where(with_f > limit, 0, np.where(without > limit, 1, -1))
        kk, rr = np.nonzero(self.d.has_demand)
        return x_ok[kk, :, rr], y_state

    # -- branching -----------------------------------------------------------------------
    def compatible(self, cols: _Columns) -> BoolArray:
        """Columns that obey the current node's restrictions."""
        ok = np.ones(len(cols), bool)
        for k, rule in self.restr.items():
            mine = cols.sku == k
            good = ((cols.mask & rule.must_in) == rule.must_in) & ((cols.mask & rule.must_out)
                                                                    == 0)
            for r, f, served in rule.x_fixed:
                good &= (cols.assign[:, r] == f) if served else (cols.assign[:, r] != f)
            ok &= ~mine | good
        return ok

    def branching(self, lam: FloatArray) -> list[dict[int, _Restriction]] | None:
        """Two children restricting the most fractional ``y_fk`` of the master solution (else
        the most fractional ``x_kfr``); None if the solution is integral."""
        pool = self.pool
        frac_cols = np.nonzero((lam > 1e-9) & (lam < 1 - 1e-9))[0]
        if not len(frac_cols):
            return None
        skus = np.unique(pool.sku[frac_cols])
        best: tuple[float, int, int, int] | None = None  # (distance to 1/2, k, f, r or -1)
        for k in skus.tolist():
            cols = np.nonzero((pool.sku == k) & (lam > 1e-12))[0]
            w = lam[cols]
            y = (((pool.mask[cols, None] >> np.arange(self.F)[None, :]) & 1) * w[:, None]
                 ).sum(axis=0)
            for f in range(self.F):
                if 1e-6 < y[f] < 1 - 1e-6 and (best is None or abs(y[f] - 0.5) < best[0]):
                    best = (abs(float(y[f]) - 0.5), k, f, -1)
        if best is None:
            for k in skus.tolist():
                cols = np.nonzero((pool.sku == k) & (lam > 1e-12))[0]
                w = lam[cols]
                for f in range(self.F):
                    x = ((pool.assign[cols] == f) * w[:, None]).sum(axis=0)
                    x[~self.d.has_demand[k]] = 0.0
                    r = int(np.argmin(np.abs(x - 0.5)))
                    if 1e-6 < x[r] < 1 - 1e-6 and (best is None or abs(x[r] - 0.5) < best[0]):
                        best = (abs(float(x[r]) - 0.5), k, f, r)
        if best is None:
            return None
        _, k, f, r = best
        rule = self.restr.get(k, _Restriction())
        if r < 0:
            return [{**self.restr, k: rule.add(must_in=1 << f)},
                    {**self.restr, k: rule.add(must_out=1 << f)}]
        return [{**self.restr, k: rule.add(x=(r, f, True))},
                {**self.restr, k: rule.add(x=(r, f, False))}]


@dataclass
class _CG:
    """Outcome of a column-generation run on the current node."""

    z: float  # master LP value (penalised slack included)
    lam: FloatArray  # weights of the pool's columns
    slack: FloatArray  # master slack (scaled units)
    iterations: int
    converged: bool
    failed: bool = False  # the master LP stopped without an optimum


def _column_generation(dec: _Decomposition, deadline: float, lp_tol: float,
                       max_iterations: int, report: Callable[[str, int], None],
                       it0: int = 0, escalate: bool = True,
                       stop_bound: float = math.inf) -> _CG:
    """Master LP and exact pricing until the LP value meets the Lagrangian bound within
    ``lp_tol`` (relative), no column improves, or ``deadline``.

    Pricing is at a Wentges-smoothed point between the best multipliers so far and the
    master's duals (at the duals themselves when that finds nothing new).  If the master
    still uses slack at the end, the slack price is raised (twice at most) in case it was
    only too cheap (``escalate``, at the root; inside branch and price a node whose LP needs
    slack at 1,000 times the root bound per unit of violation is taken as infeasible, as a
    higher price only makes the LP numerically fragile).  It stops early once the bound
    reaches ``stop_bound`` (a branch-and-price node that cannot beat the incumbent).
    """
    alpha = 0.5
    it = it0
    z, lam, slack = math.inf, np.zeros(0), np.zeros(0)
    u_last = dec.best_u
    converged = False
    while it < max_iterations and time.perf_counter() < deadline:
        it += 1
        try:
            z, u_m, lam, slack = dec.solve_master_lp(deadline - time.perf_counter(), u_last)
        except _MasterNotSolved:
            return _CG(z, lam, slack, it, False, failed=True)
        converged = (z - dec.best_lb) <= lp_tol * max(abs(z), 1e-9)
        if not converged:
            u_s = dec.best_u.combine(u_m, alpha)
            u_last = u_s
            lb, cols, rc = dec.price(u_s)
            if lb > dec.best_lb:
                dec.best_lb, dec.best_u, dec.lb_rc = lb, u_s, rc
            added = dec.add_columns(cols, rc, u_s)
            if added == 0:  # mispricing: the smoothed point found nothing for the master
                u_last = u_m
                lb, cols, rc = dec.price(u_m)
                if lb > dec.best_lb:
                    dec.best_lb, dec.best_u, dec.lb_rc = lb, u_m, rc
                added = dec.add_columns(cols, rc, u_m)
            if dec.best_lb >= stop_bound:
                return _CG(z, lam, slack, it, True)
            if added == 0 and dec.n_alt < len(dec.pool):
                # nothing new to price, so the master needs more of the pool than it was shown
                dec.n_alt = len(dec.pool)
                continue
            converged = added == 0
        report("column generation", it)
        if converged:
            if escalate and slack.max(initial=0.0) > 1e-9 and dec.escalations < 2:
                dec.penalty *= 1e3  # the LP still uses slack: it may only be too cheap
                dec.escalations += 1
                continue
            break
    return _CG(z, lam, slack, it, converged)


def _primal(dec: _Decomposition, lam: FloatArray,
            deadline: float = math.inf) -> IntArray | None:
    """Round the master solution (largest weight per SKU), repairing violations greedily
    until ``deadline``; the chosen pool column per SKU, or None."""
    if not len(lam):
        return None
    choice = _round_lambda(dec, lam)
    if _feasible_choice(dec, choice):
        return choice
    return dec.repair(choice, deadline)


def _decompose(p: PlacementProblem, data: _Data, time_limit: float, gap_tol: float,
               lp_solver: str, master_solver: str, threads: int, verbose: bool,
               t0: float, progress: ProgressFn | None, max_iterations: int) -> PlacementResult:
    dec = _Decomposition(p, data, lp_solver, master_solver, gap_tol, threads, verbose)
    label = f"decomposition({_SOLVER_NAMES[lp_solver]}+{_SOLVER_NAMES[master_solver]})"
    deadline = t0 + time_limit
    state = {"ub": math.inf, "lb": -math.inf, "it": 0}
    best_assign: IntArray | None = None
    lp_tol = max(gap_tol / 10, 1e-10)

    def report(phase: str, it: int) -> None:
        state["it"] = it
        if progress is not None:
            # inside branch and price dec.best_lb is a node's bound, state["lb"] the global one
            ub = state["ub"]
            lb = state["lb"] if state.get("tree") else max(state["lb"], dec.best_lb)
            g = (ub - lb) / max(abs(ub), 1e-9) if ub < math.inf else math.inf
            progress(PlacementProgress(it, phase, time.perf_counter() - t0, lb, ub, g))

    def offer(cols: _Columns, choice: IntArray | None) -> None:
        nonlocal best_assign
        if choice is None or not _feasible_choice_cols(dec, cols, choice):
            return
        cand = float(cols.cost[choice].sum())
        if cand < state["ub"] - 1e-12 * abs(cand):
            state["ub"], best_assign = cand, dec.assignment_of(cols, choice)

    def offer_assignment(assign: IntArray) -> None:
        nonlocal best_assign
        ev = evaluate_assignment(p, assign, data)
        if ev["feasible"] and ev["objective"] < state["ub"] - 1e-12 * abs(ev["objective"]):
            state["ub"], best_assign = float(ev["objective"]), assign

    def closed() -> bool:
        ub = state["ub"]
        return ub < math.inf and ub - max(state["lb"], dec.best_lb) <= gap_tol * abs(ub)

    # u = 0: the uncapacitated optimum of every SKU; a valid bound, and often the answer
    u0 = dec.zero_duals()
    lb, cols, rc = dec.price(u0)
    dec.best_lb, dec.best_u, dec.lb_rc = lb, u0, rc
    dec.pool.extend(cols)
    offer(dec.pool, np.arange(dec.K))
    report("pricing", 0)
    if not closed():
        dec.initial_columns()
        dec.penalty = 1e3 * (abs(dec.best_lb) + 1.0)
        # the root LP gets most of the time; the rest is for primal solutions and branching
        cg = _column_generation(dec, t0 + 0.7 * time_limit, lp_tol, max_iterations, report)
        if cg.converged and dec.escalations == 2 and cg.slack.max(initial=0.0) > 1e-9:
            _raise_if_slack(dec, cg.slack)  # even the LP relaxation cannot do without slack
        choice = _primal(dec, cg.lam, deadline)
        offer(dec.pool, choice)
        report("rounding", cg.iterations)
        if not closed() and time.perf_counter() < deadline - 0.5:
            _integer_master_phase(dec, state["ub"], choice, deadline, offer)
            report("integer master", cg.iterations)
        state["lb"] = dec.best_lb
        if not closed() and time.perf_counter() < deadline - 0.5:
            _reduced_mip(dec, state, best_assign, deadline, offer_assignment)
            report("reduced MIP", cg.iterations)
        if not closed() and cg.converged and time.perf_counter() < deadline - 0.5:
            _branch_and_price(dec, state, offer, deadline, lp_tol, gap_tol, max_iterations,
                              report, cg.iterations)
    if not state.get("tree"):
        state["lb"] = max(state["lb"], dec.best_lb)
    if best_assign is None:
        if state.get("tree") and state["lb"] == math.inf:
            # every branch-and-price node was closed as infeasible: no placement exists
            raise InfeasiblePlacement(
                "branch and price proved the placement infeasible although each capacity and "
                f"the service target pass on their own: they cannot be met together ({_TOGETHER})")
        return _empty_result(p, data, label, t0, "NOT_SOLVED")
    return _result(p, data, best_assign, state["lb"], "FEASIBLE", label, t0, gap_tol,
                   int(state["it"]))


def _integer_master_phase(dec: _Decomposition, ub: float, hint: IntArray | None,
                          deadline: float,
                          offer: Callable[[_Columns, IntArray | None], None]) -> None:
    """Integer master (one pool column per SKU, binary) over the columns that reduced costs
    leave: a column whose reduced cost at the best multipliers exceeds its SKU's least by
    more than ``UB - LB`` cannot be in a better solution (SKUs left with one are fixed)."""
    rc_pool = dec.reduced_costs(dec.pool, dec.best_u)
    excess = rc_pool - dec.lb_rc[dec.pool.sku]
    delta = ub - dec.best_lb if ub < math.inf else math.inf
    keep = excess <= delta + 1e-9 * (abs(ub) if ub < math.inf else 1.0)
    keep_idx = np.nonzero(keep)[0]
    sub = dec.pool.take(keep_idx)
    sub_hint = np.searchsorted(keep_idx, hint) if hint is not None and keep[hint].all() \
        else None
    left = deadline - time.perf_counter()
    _, ch, _ = dec.integer_master(sub, left * (0.5 if ub == math.inf else 0.4), sub_hint)
    offer(sub, ch)


def _reduced_mip(dec: _Decomposition, state: dict[str, Any], incumbent: IntArray | None,
                 deadline: float, offer: Callable[[IntArray], None],
                 max_triples: int = 20_000_000, max_open: int = 20_000) -> None:
    """The monolithic MIP restricted to the variables that reduced-cost fixing leaves open
    (every solution better than the incumbent lies in it): exact where it is small, as on
    instances of a few dozen SKUs; skipped when more than ``max_open`` assignment variables
    stay open (tail SKUs with tiny demand leave almost all open at 1,000 SKUs)."""
    ub = float(state["ub"])
    if incumbent is None or dec.K * (1 << dec.F) * dec.R > max_triples:
        return
    x_free, y_state = dec.fixings(dec.best_u, ub - dec.best_lb)
    n_open = x_free.sum(axis=1)
    if int(n_open[n_open > 1].sum()) > max_open:
        return
    try:
        mm = _build_mip(dec.d, x_free, y_state, hint=incumbent)
    except ValueError:  # pragma: no cover - the incumbent's own pairs are never fixed
        return
    out = _solve_mb(mm.model, dec.master_solver, deadline - time.perf_counter(),
                    dec.gap_tol / 10, dec.threads, dec.verbose)
    if out.values is not None:
        offer(_read_assignment(mm, out.values, dec.K, dec.R))
    if out.status == "INFEASIBLE":
        state["lb"] = max(state["lb"], state["ub"])  # nothing beats the incumbent
    elif not math.isnan(out.bound):
        state["lb"] = max(state["lb"], min(state["ub"], out.bound + mm.constant))


def _branch_and_price(dec: _Decomposition, state: dict[str, Any],
                      offer: Callable[[_Columns, IntArray | None], None], deadline: float,
                      lp_tol: float, gap_tol: float, max_iterations: int,
                      report: Callable[[str, int], None], it: int) -> None:
    """Close the remaining gap by branch and price (best bound first).

    A node restricts a few SKUs: FCs that must (not) stock it, regions that must (not) go to
    an FC.  Both fit the pricing (forbidden choices get a huge reduced cost; subsets lacking
    a required FC are skipped), so every node has an exact Lagrangian bound.  Branching is on
    the most fractional ``y_fk`` of the master solution, else on the most fractional
    ``x_kfr``.  The global bound is the least bound of the open nodes; it replaces the root
    bound in ``state["lb"]`` as nodes close.
    """
    full = dec.pool
    counter = itertools.count()
    heap: list[tuple[float, int, dict[int, _Restriction], _Duals]] = [
        (dec.best_lb, next(counter), {}, dec.best_u)]
    closed = math.inf  # least bound of the nodes closed so far (pruned or solved)

    def done(bound: float) -> bool:
        # without an incumbent nothing is done (inf - bound <= inf would close every node)
        ub = state["ub"]
        return ub < math.inf and ub - bound <= max(gap_tol, 1e-9) * abs(ub)

    state["tree"] = True
    try:
        while heap and time.perf_counter() < deadline:
            state["lb"] = min(closed, heap[0][0], state["ub"])
            bound, _, restr, u_parent = heapq.heappop(heap)
            if done(bound):
                closed = min(closed, bound)
                continue
            # the node: compatible pool columns, bound at the parent's multipliers, then CG
            dec.restr = restr
            dec.pool = full.take(np.nonzero(dec.compatible(full))[0])
            n_old = len(dec.pool)
            dec.last_support = np.zeros(0, np.int64)
            dec.n_alt = 1
            lb, cols, rc = dec.price(u_parent)
            dec.best_lb, dec.best_u, dec.lb_rc = max(lb, bound), u_parent, rc
            dec.add_columns(cols, rc, u_parent)
            branched = reopen = False
            if not done(dec.best_lb):
                cg = _column_generation(
                    dec, deadline, lp_tol, max_iterations + it, report, it, escalate=False,
                    stop_bound=(state["ub"] - max(gap_tol, 1e-9) * abs(state["ub"])
                                if state["ub"] < math.inf else math.inf))
                it = cg.iterations
                if done(dec.best_lb):
                    pass  # the bound rose above the incumbent during column generation
                elif cg.converged and cg.slack.max(initial=0.0) > 1e-9:
                    dec.best_lb = math.inf  # no placement obeys this node's rules
                elif cg.failed or not cg.converged or not len(cg.lam):
                    reopen = True  # out of time inside the node: it stays open
                else:
                    offer(dec.pool, _primal(dec, cg.lam, deadline))
                    if not done(dec.best_lb):
                        children = dec.branching(cg.lam) or []
                        for child in children:
                            heapq.heappush(heap, (dec.best_lb, next(counter), child,
                                                  dec.best_u))
                        branched = bool(children)
                        # no children: the LP is integral and its solution was offered above
            if reopen:
                heapq.heappush(heap, (dec.best_lb, next(counter), restr, dec.best_u))
            elif not branched:
                closed = min(closed, dec.best_lb)
            full.extend(dec.pool.take(np.arange(n_old, len(dec.pool))))
            report("branch and price", it)
            if reopen:
                break  # out of time (or the LP failed): the open nodes keep the bound
        state["lb"] = min(closed, min((h[0] for h in heap), default=math.inf), state["ub"])
    finally:
        dec.restr = {}
        dec.pool = full


def _round_lambda(dec: _Decomposition, lam: FloatArray) -> IntArray:
    """The column with the largest weight for every SKU (columns added after the LP: 0)."""
    lam = np.concatenate([lam, np.zeros(len(dec.pool) - len(lam))])
    order = np.lexsort((-lam, dec.pool.sku))
    sku_sorted = dec.pool.sku[order]
    first = np.ones(len(order), bool)
    first[1:] = sku_sorted[1:] != sku_sorted[:-1]
    choice = np.full(dec.K, -1, np.int64)
    choice[sku_sorted[first]] = order[first]
    return choice


def _feasible_choice(dec: _Decomposition, choice: IntArray) -> bool:
    return _feasible_choice_cols(dec, dec.pool, choice)


def _feasible_choice_cols(dec: _Decomposition, cols: _Columns, choice: IntArray) -> bool:
    if len(choice) != dec.K or (choice < 0).any():
        return False
    c = cols.take(choice)
    d = dec.d
    if d.vcap is not None and (c.vol.sum(axis=0) > d.vcap * (1 + 1e-9) + 1e-9).any():
        return False
    if d.scap is not None and (c.slots(dec.F).sum(axis=0) > d.scap + 1e-9).any():
        return False
    if d.tcap is not None and (c.thr.sum(axis=0) > d.tcap * (1 + 1e-9) + 1e-9).any():
        return False
    return not (d.alpha is not None
                and c.serv.sum() < d.alpha * d.total_demand * (1 - 1e-9) - 1e-12)


def _raise_if_slack(dec: _Decomposition, slack: FloatArray) -> None:
    """The converged LP relaxation still needs slack: name the rows that cannot be met.

    Slack is in the master's scaled units (a share of the FC's capacity, of total demand),
    in the row order of :meth:`_Decomposition._coupling`."""
    d = dec.d
    p = dec.p
    F = dec.F
    pos = 0
    msgs = []
    if d.vcap is not None:
        v = slack[pos:pos + F] * dec.row_vol
        pos += F
        for f in np.nonzero(v > 1e-6 * dec.row_vol)[0]:
            msgs.append(f"FC {p.fc_names[f]} would need {_fmt(float(v[f]))} cu ft more than "
                        f"its {_fmt(float(d.vcap[f]))} cu ft")
    if d.scap is not None:
        v = slack[pos:pos + F] * dec.row_slot
        pos += F
        for f in np.nonzero(v > 1e-6)[0]:
            msgs.append(f"FC {p.fc_names[f]} would need {float(v[f]):,.1f} SKU slots more "
                        f"than its {float(d.scap[f]):,.0f}")
    if d.tcap is not None:
        v = slack[pos:pos + F] * dec.row_thr
        pos += F
        for f in np.nonzero(v > 1e-6 * dec.row_thr)[0]:
            msgs.append(f"FC {p.fc_names[f]} would need to ship {_fmt(float(v[f]))} units/day "
                        f"more than its throughput capacity of {_fmt(float(d.tcap[f]))}")
    if d.alpha is not None:
        short = float(slack[pos])
        if short > 1e-6:
            msgs.append(f"the service target of {d.alpha:.2%} of units within "
                        f"{p.service_days:g} days would fall short by {short:.2%} of demand")
    if msgs:
        raise InfeasiblePlacement(
            "no placement meets the capacities and the service target together (even the LP "
            "relaxation, which may split a SKU between placements, cannot): "
            + "; ".join(msgs))


# ------------------------------------------------------------------------------ front door
def solve_placement(problem: PlacementProblem, *,
                    method: Literal["auto", "decomposition", "mip"] = "auto",
                    time_limit_s: float = 60.0, gap_tol: float = 1e-4,
                    progress: ProgressFn | None = None, mip_solver: str = "scip",
                    lp_solver: str = "glop", master_solver: str = "scip", threads: int = 1,
                    max_iterations: int = 500, verbose: bool = False) -> PlacementResult:
    """Decide which FCs stock each SKU, which FC serves each region, and the stock targets.

    Every unit of forecast demand is served (there are no lost sales in this model); an
    instance that cannot be served within the capacities and the service target raises
    :class:`InfeasiblePlacement`.

    Parameters
    ----------
    problem : PlacementProblem
    method : {"auto", "decomposition", "mip"}
        ``"mip"``: the monolithic MIP (``mip_solver``: ``"scip"``, ``"highs"`` or ``"sat"``),
        for small instances (a few hundred SKU-FC-region triples solve in well under a
        second; 1,000 x 4 x 100 gets no solution in 120 s).  ``"decomposition"``: Lagrangian
        column generation (master LP ``lp_solver``: ``"glop"``, or ``"pdlp"``, much slower
        here; integer master ``master_solver``: ``"scip"`` or ``"sat"``), then branch and
        price.  ``"auto"``: the MIP up to 20,000 SKU-FC-region triples, else the
        decomposition.
    time_limit_s : float
        Wall-time budget; the best placement and bound so far are returned at expiry.
        Building the coefficients and the first pricing are not interrupted (about 4 s at
        10,000 x 8 x 300), and HiGHS may overrun the limit while solving its root LP.
    gap_tol : float
        Relative gap at which a solution counts as optimal (1e-4, HiGHS's and the OR-Tools
        linear solver's default); 0 asks for a proof to 1e-9.
    progress : callable, optional
        Called with a :class:`PlacementProgress` after each iteration (``str()`` of it is a
        one-line summary).
    threads : int
        Solver threads (1 by default, to leave the other core free).  numpy's BLAS may use
        more unless ``OPENBLAS_NUM_THREADS=1`` is set.
    max_iterations : int
        Column-generation iterations at the root (and per branch-and-price node).

    Returns
    -------
    PlacementResult

    Raises
    ------
    InfeasiblePlacement
        When the volume or slots cannot hold the minimum stock, a SKU fits no FC, the demand
        exceeds the FCs' total throughput (or one region's demand for a SKU exceeds every
        FC's), the service target exceeds the share reachable with every SKU everywhere, or
        (found by the LP relaxation, the MIP or branch and price) the constraints cannot be
        met together.
    """
    t0 = time.perf_counter()
    data = _Data(problem)
    _check_feasible(data)
    if method == "auto":
        method = "mip" if data.K * data.F * data.R <= 20_000 else "decomposition"
    if data.total_demand <= 0:
        a = np.full((data.K, data.R), -1, np.int64)
        return _result(problem, data, a, 0.0, "OPTIMAL", method, t0, gap_tol, 0)
    if method == "mip":
        return _solve_mip(problem, data, mip_solver, time_limit_s, gap_tol, threads, verbose,
                          t0, progress)
    if method == "decomposition":
        return _decompose(problem, data, time_limit_s, gap_tol, lp_solver, master_solver,
                          threads, verbose, t0, progress, max_iterations)
    raise ValueError(f"unknown method {method!r} (expected 'auto', 'decomposition' or 'mip')")


# ------------------------------------------------------------------------------ instances
def _haversine_miles(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray,
                     lon2: FloatArray) -> FloatArray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 3958.8 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def synthetic_problem(n_skus: int, n_fcs: int, n_regions: int, seed: int = 0, *,
                      units_per_sku_day: float = 2.0, capacity_factor: float = 1.05,
                      service_share: float | None = 0.0, slot_share: float | None = None,
                      throughput_factor: float | None = None) -> PlacementProblem:
    """A realistic random instance (all randomness from ``numpy.random.default_rng(seed)``).

    Regions are points in the contiguous US with heavy-tailed (lognormal) population weights;
    FCs are placed near populous regions.  Zones follow the USPS distance bands, transit days
    the ground service (``GROUND_DAYS_BY_ZONE``), and the price per unit grows with the zone
    and the SKU's billable weight (max of actual and dimensional weight at divisor 139).
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
    dist = _haversine_miles(fc_lat[:, None], fc_lon[:, None], lat[None, :], lon[None, :])
    zone = 1 + np.searchsorted(np.asarray(USPS_ZONE_MAX_MILES), dist, side="left")
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


def _second_moment(dist: Any) -> float:
    """E[U^2] of a :class:`sim.scenario.CountDist` (uncapped), for compound-Poisson variance."""
    m = float(dist.expected())
    if dist.dist == "empirical":
        v = np.asarray(dist.values, float)
        wt = np.asarray(dist.weights, float)
        return float((v**2 * wt).sum() / wt.sum())
    if dist.dist == "shifted_poisson":
        return (m - 1.0) + m * m
    if dist.dist == "shifted_geometric":
        return 2 * m * m - m
    return m * m


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
    from sim.shipping import REFERENCE_ZONE, Shipper, choose_service

    shipper = Shipper.for_network(net)
    services = net.services
    S = len(services)
    K = net.n_skus
    cost = np.zeros((K, 9))
    promise = np.asarray(net.channel_promise_days, float)
    share = np.asarray(net.channel_share, float)
    share = share / share.sum() if share.sum() > 0 else np.ones(1)
    policy = net.shipping_policy
    fixed = net.service_names.index(policy[6:]) if policy.startswith("fixed:") else -1
    for k in range(K):
        for z in range(1, 9):
            plan = shipper.plan((k,), (1,), z)
            prices = list(plan.prices)
            days = [float(s.transit_days_by_zone[z]) for s in services]
            total = 0.0
            for c, wt in enumerate(share):
                budget = float(promise[c]) - 1.0 if len(promise) else math.inf
                s = choose_service(policy, prices, days, budget, fixed)
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
    var = demand * _second_moment(net.units_per_line) / max(u1, 1e-12)
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


# ------------------------------------------------------------------------------- scenario
def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (:func:`sim.files.atomic_write_text`)."""
    from sim.files import atomic_write_text

    atomic_write_text(path, text)


def write_placement_scenario(result: PlacementResult, net: Network, scenario_path: str | Path,
                             out_path: str | Path, *, name: str | None = None,
                             description: str | None = None) -> Path:
    """Write a scenario that runs the placement: it ``extends`` the original and replaces
    its ``[inventory]`` and ``[routing]`` wholesale.

    Next to ``out_path`` go ``<name>_inventory.csv`` (``fc, sku, units``: the target stock as
    initial stock, nonzero rows only), ``<name>_forecast.csv`` (``fc, sku, units_per_day``:
    the demand each FC serves under the placement, for replenishment levels in days) and
    ``<name>_routing.csv`` (``region, sku, fc``: the FC the placement assigns a destination's
    demand for a SKU, for the ``assigned`` routing policy).  The routing file lists only the
    pairs with demand whose FC is not the destination's nearest (``net.fc_rank[d][0]``); the
    policy serves the rest from the nearest FC, and most pairs are there, so the file stays
    small.  Routing by this map is what makes the stock and forecast land where the orders go:
    the forecast file is the same assignment summed per FC and SKU.  Regions are named by
    ``net.dest_names`` (unique: the scenario loader writes a repeated city name with its
    state, e.g. ``Arlington (TX)``).

    The TOML sets ``replace = ["inventory", "routing"]`` so the parent's ``rule``/``days`` and
    routing ``policy``/``params`` do not merge in, and ``[routing] policy = "assigned"``.  All
    four files are written atomically (each via a temporary file and a rename), and only over
    files this tool wrote (:func:`sim.files.check_replaceable`: the TOML starts with
    ``# Written by fulfill``).  FC, SKU and
    region names that a spreadsheet would take for a formula (``=...``, ``+``, ``-``, ``@``)
    are written with a leading ``'`` (:func:`sim.csvsafe.csv_safe_cell`); the scenario reader
    removes it.

    Parameters
    ----------
    result : PlacementResult
        A placement of ``net``'s SKUs and destinations.
    net : sim.network.Network
        The network the placement was computed for.
    scenario_path : str or Path
        The scenario ``net`` was built from (the new one ``extends`` it, by relative path).
    out_path : str or Path
        The scenario file to write.
    name, description : str, optional
        Of the new scenario (default: ``out_path``'s stem, a summary of the result).

    Returns
    -------
    Path
        ``out_path``.
    """
    import tomli_w

    from sim.files import WRITTEN_BY, check_replaceable

    out = Path(out_path)
    F, K = len(net.fc_names), len(net.sku_ids)
    if result.target_units.shape != (F, K):
        raise ValueError(f"the result is for {result.target_units.shape[0]} FCs x "
                         f"{result.target_units.shape[1]} SKUs, the network has {F} x {K}")
    D = len(net.dest_names)
    if result.assignment.shape != (K, D):
        raise ValueError(f"the result assigns {result.assignment.shape[1]} regions, the network "
                         f"has {D} destinations")
    stem = name or out.stem
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)
    inv_name, fc_name = f"{safe}_inventory.csv", f"{safe}_forecast.csv"
    route_name = f"{safe}_routing.csv"
    rel = os.path.relpath(Path(scenario_path).resolve(), out.resolve().parent)
    # names as spreadsheet-safe text (sim.csvsafe; the scenario reader undoes it)
    fcs = [csv_safe_cell(x) for x in net.fc_names]
    skus = [csv_safe_cell(x) for x in net.sku_ids]
    inv = io.StringIO()
    w = csv.writer(inv, lineterminator="\n")
    w.writerow(["fc", "sku", "units"])
    ff, kk = np.nonzero(result.target_units > 0)
    for f, k in zip(ff.tolist(), kk.tolist(), strict=True):
        w.writerow([fcs[f], skus[k], int(result.target_units[f, k])])
    fcst = io.StringIO()
    w = csv.writer(fcst, lineterminator="\n")
    w.writerow(["fc", "sku", "units_per_day"])
    ff, kk = np.nonzero(result.assigned_units_per_day > 0)
    for f, k in zip(ff.tolist(), kk.tolist(), strict=True):
        w.writerow([fcs[f], skus[k], f"{float(result.assigned_units_per_day[f, k]):.6g}"])
    routing = io.StringIO()
    w = csv.writer(routing, lineterminator="\n")
    w.writerow(["region", "sku", "fc"])
    nearest = np.asarray(net.fc_rank, np.int64)[:, 0]  # (D,)
    a = np.asarray(result.assignment, np.int64)
    dd, kk = np.nonzero(((a >= 0) & (a != nearest[None, :])).T)  # region-major order
    for d, k in zip(dd.tolist(), kk.tolist(), strict=True):
        w.writerow([csv_safe_cell(net.dest_names[d]), skus[k], fcs[int(a[k, d])]])
    doc = {
        "extends": Path(rel).as_posix(),
        "replace": ["inventory", "routing"],
        "name": stem,
        "description": description or (
            f"Inventory placement of {net.name}: {int(result.stocked.sum())} FC-SKU pairs "
            f"stocked, {result.service_share:.1%} of units within {result.service_days:g} days, "
            f"{result.method}, cost {result.objective:,.2f}/day (gap {result.gap:.3%})"),
        "inventory": {"file": inv_name, "forecast_file": fc_name},
        "routing": {"policy": "assigned", "assignment_file": route_name},
    }
    header = f"{WRITTEN_BY} optimize placement from {Path(scenario_path).name}.\n"
    check_replaceable(out, (inv_name, fc_name, route_name))
    _atomic_write(out.parent / inv_name, inv.getvalue())
    _atomic_write(out.parent / fc_name, fcst.getvalue())
    _atomic_write(out.parent / route_name, routing.getvalue())
    _atomic_write(out, header + tomli_w.dumps(doc))
    return out


def placement_from_files(scenario_path: str | Path, out_path: str | Path | None = None, *,
                         time_limit_s: float = 60.0, service_days: float = 2.0,
                         service_share: float | None = None,
                         progress: ProgressFn | None = None,
                         method: Literal["auto", "decomposition", "mip"] = "auto",
                         **problem_kw: Any) -> PlacementResult:
    """Load a scenario, place its inventory and write ``out_path`` (if given) with
    :func:`write_placement_scenario`.  For ``fulfill optimize placement``.

    ``problem_kw`` goes to :func:`problem_from_network` (capacities, costs, ``z`` ...).
    Errors are ``ValueError`` subclasses with one-paragraph messages (``ScenarioError``,
    :class:`InfeasiblePlacement`).
    """
    from sim.network import build_network
    from sim.scenario import load_scenario

    net = build_network(load_scenario(scenario_path))
    problem = problem_from_network(net, service_share=service_share, service_days=service_days,
                                   **problem_kw)
    result = solve_placement(problem, method=method, time_limit_s=time_limit_s,
                             progress=progress)
    if out_path is not None and result.status != "NOT_SOLVED":
        write_placement_scenario(result, net, scenario_path, out_path)
    return result
