"""The text summary of an inventory placement that ``fulfill optimize placement`` prints."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimize.placement import PlacementResult

__all__ = ["placement_report"]


def placement_report(result: PlacementResult) -> str:
    """Plain text: objective and its parts, bound, gap, time, memory, service, and per FC
    the SKUs stocked, units per day served (and the throughput capacity, if any) and
    target units."""
    r = result
    status = {"OPTIMAL": "optimal within the gap tolerance", "FEASIBLE": "time limit reached",
              "NOT_SOLVED": "no placement found"}.get(r.status, r.status)
    K = r.stocked.shape[1]
    lines = [f"Inventory placement: {K:,} SKUs, {r.stocked.shape[0]} FCs, {r.method}"]
    if not math.isfinite(r.objective):
        return "\n".join([*lines, f"  {status} after {r.solve_seconds:.1f} s"])
    c = r.cost
    lines += [
        f"  objective   ${r.objective:,.2f}/day = shipping ${c['shipping']:,.2f} "
        f"+ holding ${c['holding']:,.2f} + stocking ${c['fixed']:,.2f}",
        (f"  bound       ${r.bound:,.2f}/day   gap {100 * r.gap:.4f}%   ({status})"
         if math.isfinite(r.bound) else f"  bound       none   ({status})"),
        f"  solve time  {r.solve_seconds:.1f} s"
        + (f", {r.iterations} iterations" if r.iterations else "")
        + (f", peak memory {r.peak_memory_mb:,.0f} MB" if r.peak_memory_mb else ""),
        f"  service     {r.service_share:.2%} of units within {r.service_days:g} days"
        + (f" (target {r.service_target:.2%})" if r.service_target is not None else ""),
        f"  {'FC':<16} {'SKUs':>7} {'units/day':>11} "
        + (f"{'capacity':>11} " if r.throughput_capacity is not None else "")
        + f"{'target units':>13}",
    ]
    names = r.fc_names or tuple(f"FC{i}" for i in range(r.stocked.shape[0]))
    for f, name in enumerate(names):
        cap = ("" if r.throughput_capacity is None
               else f"{float(r.throughput_capacity[f]):>11,.1f} ")
        lines.append(f"  {name:<16} {int(r.stocked[f].sum()):>7,} "
                     f"{float(r.assigned_units_per_day[f].sum()):>11,.1f} {cap}"
                     f"{int(r.target_units[f].sum()):>13,}")
    return "\n".join(lines)
