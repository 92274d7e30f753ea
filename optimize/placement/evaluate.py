"""The model's coefficients, computed once per instance (:class:`_Data`), and what an
assignment of regions to FCs costs, holds and reserves (:func:`evaluate_assignment`,
:func:`target_units`), as a :class:`~optimize.placement.problem.PlacementResult`.  The cost
terms and the stock rule: ``docs/placement.md``."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from optimize.placement.problem import (
    BoolArray,
    FloatArray,
    IntArray,
    PlacementProblem,
    PlacementResult,
    peak_memory_mb,
)

ROUNDING_UNITS = 1.0
"""Units of room reserved per stocked FC-SKU so that the rounded-up target still fits."""


class _Data:
    """Per-unit coefficients of the MIP, computed once (see ``docs/placement.md``).

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
