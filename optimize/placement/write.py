"""The scenario that runs a placement (:func:`write_placement_scenario`): stock, forecast and
routing files beside a TOML that ``extends`` the original."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from optimize.placement.problem import PlacementResult
from sim.csvsafe import csv_safe_cell

if TYPE_CHECKING:
    from sim.network import Network


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
    routing ``policy``/``params`` do not merge in, and ``[routing] policy = "assigned"``.  The
    files are written by :func:`sim.scenario.write_scenario`: each atomically, the CSV files
    first, and only over files this tool wrote (the TOML starts with ``# Written by
    fulfill``).  FC, SKU and region names that a spreadsheet would take for a formula
    (``=...``, ``+``, ``-``, ``@``) are written with a leading ``'``
    (:func:`sim.csvsafe.csv_safe_cell`); the scenario reader removes it.

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

    Raises
    ------
    sim.files.NotOurs
        If ``out_path`` or one of the CSV files exists and was not written by this tool.
    """
    from sim.scenario import write_scenario

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
    patch = {
        "name": stem,
        "description": description or (
            f"Inventory placement of {net.name}: {int(result.stocked.sum())} FC-SKU pairs "
            f"stocked, {result.service_share:.1%} of units within {result.service_days:g} days, "
            f"{result.method}, cost {result.objective:,.2f}/day (gap {result.gap:.3%})"),
        "inventory": {"file": inv_name, "forecast_file": fc_name},
        "routing": {"policy": "assigned", "assignment_file": route_name},
    }
    return write_scenario(
        out, extends=scenario_path, patch=patch, replace=["inventory", "routing"],
        header=[f"optimize placement from {Path(scenario_path).name}."],
        data_files={inv_name: inv.getvalue(), fc_name: fcst.getvalue(),
                    route_name: routing.getvalue()})
