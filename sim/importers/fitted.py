"""``fulfill import orders --fit``: a synthetic-demand scenario fitted to the imported history.

Beside the replay scenario ``replay.toml`` this writes ``replay.fitted.toml``, which
``extends`` it with ``[demand] mode = "synthetic"`` and the demand model fitted by
:func:`sim.importers.fit.fit_demand` (orders per day, hour and weekday profiles, seasons,
lines per order, units per line, channel shares), ``replay.fitted.destinations.csv`` (ZIP3
weights: each 3-digit ZIP's share of orders) and ``replay.fitted.catalog.csv`` (the catalog
with each SKU's share of the units ordered as its popularity), and ``replay.fit.json``: the
checks of the fit (observed against fitted, with Kolmogorov-Smirnov distances).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.importers.fit import FitCheck, fit_demand
from sim.scenario import load_scenario, write_scenario

__all__ = ["write_fitted"]


def _stem(out: Path) -> str:
    return out.name.removesuffix(".toml")


def write_fitted(replay: Path) -> tuple[list[Path], list[FitCheck]]:
    """Fit the demand model to the replay scenario's orders and write the fitted scenario and
    its files beside it; return the files written and the checks."""
    import pyarrow.parquet as pq

    from sim.files import atomic_write_text, check_replaceable

    sc = load_scenario(replay)
    assert sc.demand.orders_file is not None
    lines = pq.read_table(Path(sc.demand.orders_file)).to_pandas()
    base_channels = {n: c.model_dump(mode="json") for n, c in sc.demand.channels.items()}
    fit = fit_demand(lines, sc.run.start_date, base_channels=base_channels)
    stem = _stem(replay)
    out = replay.with_name(f"{stem}.fitted.toml")
    dest_name, cat_name = f"{stem}.fitted.destinations.csv", f"{stem}.fitted.catalog.csv"
    json_path = replay.with_name(f"{stem}.fit.json")
    check_replaceable(out, (dest_name, cat_name))
    if json_path.exists():
        check_replaceable(out)  # only with a fitted scenario of ours beside it
    dest = pd.DataFrame({"zip": list(fit.dest_weights), "weight": list(fit.dest_weights.values())})
    t = sc.tables
    cat = pd.DataFrame({
        "sku": t.sku_ids, "category": t.sku_category, "weight_lb": t.sku_weight_lb,
        "length_in": t.sku_dims_in[:, 0], "width_in": t.sku_dims_in[:, 1],
        "height_in": t.sku_dims_in[:, 2], "unit_price": t.sku_unit_price,
        "popularity": [fit.sku_popularity.get(k, 0.0) for k in t.sku_ids]})
    # the whole [demand] section is replaced: channels without orders in the history go
    demand: dict[str, Any] = {**sc.demand.model_dump(mode="json", exclude_none=True),
                              **fit.demand, "mode": "synthetic", "scale": 1.0,
                              "destinations": {"file": dest_name}}
    demand.pop("orders_file", None)
    files = {dest_name: _csv(dest), cat_name: _csv(cat)}
    atomic_write_text(json_path, json.dumps(
        {"scenario": out.name, "checks": [c.__dict__ for c in fit.checks]}, indent=1,
        default=str) + "\n")
    write_scenario(out, extends=replay, patch={
        "name": f"{sc.name} (fitted)",
        "description": f"Synthetic demand fitted to the orders of {replay.name}.",
        "catalog": {"file": cat_name}, "demand": demand}, replace=["catalog", "demand"],
        header=["by 'fulfill import orders --fit': demand fitted to an order history.",
                f"The checks of the fit: {json_path.name}."], data_files=files)
    return [out, replay.with_name(dest_name), replay.with_name(cat_name), json_path], \
        list(fit.checks)


def _csv(df: pd.DataFrame) -> str:
    from sim.csvsafe import csv_safe_cell

    buf = io.StringIO()
    df.map(lambda v: csv_safe_cell(v) if isinstance(v, str) else v).to_csv(
        buf, index=False, lineterminator="\n")
    return buf.getvalue()
