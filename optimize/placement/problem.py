"""An inventory-placement instance (:class:`PlacementProblem`), what a solve reports
(:class:`PlacementProgress`, :class:`PlacementResult`) and the error for an instance that cannot
be served (:class:`InfeasiblePlacement`).  The model: ``docs/placement.md``."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class InfeasiblePlacement(ValueError):
    """The placement instance cannot be feasible; the message names the binding constraint
    and its numbers.  Raised before (or instead of) a solver status, because "INFEASIBLE" does
    not tell a planner which capacity or target to change."""


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
        Cost per day of the best placement found (model cost, see ``docs/placement.md``);
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
