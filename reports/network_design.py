"""The text summary of a network design that ``fulfill optimize network`` prints."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimize.network_design import NetworkDesign

__all__ = ["format_design"]


def format_design(d: NetworkDesign) -> str:
    """A plain-text report: objective, bound, gap, solve time, the sites, the saving."""
    p = d.problem
    c = p.candidates
    sourcing = "single sourcing" if d.single_sourcing else "split sourcing"
    status = {"OPTIMAL": "optimal", "FEASIBLE": "time limit reached",
              "NOT_SOLVED": "time limit reached before any solution"}.get(d.status, d.status)
    lines = [
        f"Network design: {len(d.site_index)} of {len(c)} candidate sites "
        f"(max_sites = {d.max_sites}, {sourcing}), {p.demand_text}",
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

