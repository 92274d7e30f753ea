"""The chosen network written as a scenario that ``extends`` the original, and the one call
``fulfill optimize network`` makes (read the files, design, write)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from optimize.network_design.candidates import default_candidates_path, read_candidates
from optimize.network_design.problem import thousands
from optimize.network_design.result import NetworkDesign
from optimize.network_design.solve import design_network
from sim.network import Network, build_network
from sim.scenario import load_scenario, read_toml, write_scenario

__all__ = ["design_from_files", "write_network_scenario"]


def _scaled(count: Any, factor: float) -> int:
    n = int(count)
    return 0 if n <= 0 else max(1, round(n * factor))


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


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

    Written by :func:`sim.scenario.write_scenario`: atomically, and only over a file this
    tool wrote.  Returns ``out_path`` (resolved).
    """
    src = Path(scenario_path).resolve()
    out = Path(out_path).resolve()
    data = read_toml(src)
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

    p = design.problem
    patch: dict[str, Any] = {
        "name": f"{data.get('name', src.stem)}_network_{len(design.site_index)}_sites",
        "description": (f"Network design: {len(design.site_index)} sites chosen from "
                        f"{len(c)} candidates, ${design.objective:,.0f}/day on the design "
                        f"model (optimize.network_design)."),
        "network": {"open_fcs": list(design.slugs)},
        "inventory": {"rule": "days_of_demand", "days": days},
        "fcs": new_fcs,
    }
    header = [
        "optimize network: the chosen FC sites replace the parent's FCs.",
        f"Candidates: {c.source or 'given in code'}",
        f"max_sites = {design.max_sites}, "
        f"{'single' if design.single_sourcing else 'split'} sourcing, demand "
        f"{thousands(p.total_demand)} orders/day, service {p.service}",
        f"objective ${design.objective:,.2f}/day (fixed ${design.mix.fixed_cost:,.2f}, "
        f"transport ${design.mix.transport_cost:,.2f}, labor ${design.mix.labor_cost:,.2f}), "
        f"bound ${design.bound:,.2f}, gap {100 * design.gap:.3f}%",
    ]
    if design.current is not None:
        header.append(f"current network on the same model: ${design.current.objective:,.2f}"
                      "/day")
    header.append("Headcounts: the original network's total scaled by each site's share of "
                  "demand; other FC settings copied from")
    header.append(f"the original's FC '{template_name}'.")
    return write_scenario(out, extends=src, patch=patch, replace=["fcs", "inventory"],
                          header=header)


def design_from_files(
    scenario_path: str | Path,
    candidates_path: str | Path | None,
    max_sites: int,
    out_path: str | Path | None = None,
    **kw: Any,
) -> NetworkDesign:
    """Load the scenario and candidates, design the network (``kw`` as for
    :func:`~optimize.network_design.design_network` and
    :func:`~optimize.network_design.network_problem`; the scenario's zone bands are used),
    and write ``out_path`` if given.  For ``fulfill optimize network``.

    Errors are ``ValueError`` subclasses with one-paragraph messages (``ScenarioError``,
    :class:`~optimize.network_design.CandidatesError`,
    :class:`~optimize.network_design.InfeasibleNetworkDesign`) or
    :class:`~optimize.network_design.NoSolutionFound`.
    """
    sc = load_scenario(scenario_path)
    net = build_network(sc)
    cands = read_candidates(candidates_path or default_candidates_path())
    kw.setdefault("zone_max_miles", list(sc.carrier.zone_max_miles))
    design = design_network(net, cands, max_sites, **kw)
    if out_path is not None:
        write_network_scenario(design, net, scenario_path, out_path)
    return design
