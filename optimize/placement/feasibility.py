"""Infeasibility a solver need not find: necessary conditions checked before any solve, each
raised as :class:`~optimize.placement.problem.InfeasiblePlacement` naming the constraint and
its numbers (``docs/placement.md``)."""

from __future__ import annotations

import numpy as np

from optimize.placement.evaluate import _Data, max_service_share
from optimize.placement.problem import InfeasiblePlacement

_TOGETHER = ("e.g. the FCs that reach the service target lack the volume, slots or throughput, "
             "or each region's demand for a SKU, which one FC must serve whole, does not pack "
             "into the FCs' throughput")
"""Why capacities that pass one by one can fail together, for the infeasibility messages."""


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
