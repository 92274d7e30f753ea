"""Reading the order table of a replay scenario (``[demand] mode = "replay"``).

The table is a Parquet file with one row per order line, as ``fulfill import orders`` writes
it (:mod:`sim.importers`): ``order_id`` (text), ``placed_h`` (hours since the scenario's
``start_date``, 00:00), ``channel`` (a channel of the scenario), ``zip3`` (a US 3-digit ZIP
prefix, or ``@<group>`` for an order to a destination group abroad of ``[international]``),
``sku`` (a SKU of the catalog) and ``units`` (whole, at least 1).  Every problem is
reported naming the file, the column and the first rows concerned.

A replayed run's destinations are the file's 3-digit ZIPs (at their centroids), weighted by
their share of orders, and SKU popularity is each SKU's share of the units ordered, so that
initial stock, replenishment levels and forecasts follow the replayed demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.geo import load_zip3
from sim.scenario.types import ScenarioError

__all__ = ["ReplayOrders", "read_replay"]

COLUMNS = ("order_id", "placed_h", "channel", "zip3", "sku", "units")
MAX_LINES = 50_000_000


@dataclass(frozen=True)
class ReplayOrders:
    """The orders of a file, sorted by time, lines in CSR form (as :class:`DayOrders`):
    order ``i`` has the lines ``line_ptr[i]:line_ptr[i + 1]``.  ``dest`` indexes ``zip3``."""

    placed_h: np.ndarray
    channel: np.ndarray
    dest: np.ndarray
    line_ptr: np.ndarray
    line_sku: np.ndarray
    line_units: np.ndarray
    zip3: tuple[str, ...]
    dest_lat: np.ndarray
    dest_lon: np.ndarray
    has_groups: bool = False  # some orders go abroad: dest len(zip3) + g is group g

    @property
    def n_orders(self) -> int:
        return len(self.placed_h)

    def days_covered(self) -> int:
        """Whole days from the start to the day of the last order, inclusive."""
        return int(self.placed_h.max() // 24.0) + 1 if self.n_orders else 1

    def units_per_order(self) -> float:
        return float(self.line_units.sum()) / max(self.n_orders, 1)

    def sku_units(self, n_skus: int) -> np.ndarray:
        return np.bincount(self.line_sku, weights=self.line_units, minlength=n_skus)

    def dest_weight(self) -> np.ndarray:
        w = np.bincount(self.dest[self.dest < len(self.zip3)],
                        minlength=len(self.zip3)).astype(float)
        return w / max(w.sum(), 1.0)

    def hash_parts(self) -> list[np.ndarray]:
        return [self.placed_h, self.channel, self.dest, self.line_ptr, self.line_sku,
                self.line_units, np.frombuffer("\n".join(self.zip3).encode(), np.uint8)]


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)[:10] + 1
    return ", ".join(str(r) for r in rows) + (" ..." if mask.sum() > 10 else "")


def read_replay(path: Path, sku_ids: tuple[str, ...], channels: list[str],
                groups: tuple[str, ...] = ()) -> ReplayOrders:
    """The order table at ``path``, checked against the catalog, the channels and the
    destination groups abroad (``groups``: those of ``[international]`` when it is on)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    where = f"{path} (demand.orders_file)"
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise ScenarioError(f"{where}: no such file; write one with 'fulfill import "
                            "orders'.") from None
    except (OSError, pa.ArrowException) as exc:
        raise ScenarioError(f"{where}: not a readable Parquet file ({exc}).") from None
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise ScenarioError(f"{where}: missing column(s) {', '.join(missing)}; expected "
                            f"{', '.join(COLUMNS)} (as 'fulfill import orders' writes).")
    if table.num_rows == 0:
        raise ScenarioError(f"{where}: no order lines.")
    if table.num_rows > MAX_LINES:
        raise ScenarioError(f"{where}: {table.num_rows:,} lines; at most {MAX_LINES:,}.")
    df = table.select(list(COLUMNS)).to_pandas()
    for col in ("order_id", "channel", "zip3", "sku"):
        df[col] = df[col].astype(str).str.strip()
    placed = pd.to_numeric(df["placed_h"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(placed) | (placed < 0)
    if bad.any():
        raise ScenarioError(f"{where}, column 'placed_h': expected hours >= 0 since the start "
                            f"date; rows {_rows(bad)}.")
    units = pd.to_numeric(df["units"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(units) | (units < 1) | (units != np.round(units)) | (units > 1e9)
    if bad.any():
        raise ScenarioError(f"{where}, column 'units': expected whole units >= 1; rows "
                            f"{_rows(bad)}.")
    sku_index = {s: i for i, s in enumerate(sku_ids)}
    sku = df["sku"].map(sku_index)
    if sku.isna().any():
        unknown = list(dict.fromkeys(df.loc[sku.isna(), "sku"]))
        raise ScenarioError(f"{where}, column 'sku': {len(unknown)} SKU(s) not in the catalog "
                            f"(first: {', '.join(map(repr, unknown[:10]))}); rows "
                            f"{_rows(sku.isna().to_numpy())}.")
    chan_index = {c: i for i, c in enumerate(channels)}
    chan = df["channel"].map(chan_index)
    if chan.isna().any():
        unknown = list(dict.fromkeys(df.loc[chan.isna(), "channel"]))
        raise ScenarioError(f"{where}, column 'channel': {', '.join(map(repr, unknown[:10]))} "
                            f"not a channel of the scenario ({', '.join(channels)}); rows "
                            f"{_rows(chan.isna().to_numpy())}.")
    zip3_table = load_zip3()
    known = set(zip3_table.zip3)
    abroad = df["zip3"].str.startswith("@").to_numpy(bool)
    group_of = df["zip3"].str[1:].map({g: i for i, g in enumerate(groups)})
    bad = abroad & group_of.isna().to_numpy(bool)
    if bad.any():
        name = str(df["zip3"].to_numpy(str)[bad][0])
        raise ScenarioError(f"{where}, column 'zip3': {name!r} is not a destination group "
                            f"of [international] (unknown country group; groups are "
                            f"{list(groups)}); rows {_rows(bad)}.")
    bad = ~abroad & ~df["zip3"].isin(known).to_numpy()
    if bad.any():
        raise ScenarioError(f"{where}, column 'zip3': not a known US 3-digit ZIP prefix; rows "
                            f"{_rows(bad)}.")
    # one row per line; an order's lines share its time, channel and destination
    codes, order = np.unique(df["order_id"].to_numpy(str), return_inverse=True)
    first = np.full(len(codes), len(df), np.int64)  # each order's first row
    np.minimum.at(first, order, np.arange(len(df)))
    for col, values in (("placed_h", placed), ("channel", chan.to_numpy()),
                        ("zip3", df["zip3"].to_numpy(str))):
        differs = values != values[first[order]]
        if differs.any():
            raise ScenarioError(f"{where}, column '{col}': the lines of one order disagree "
                                f"(an order's lines share its time, channel and ZIP); rows "
                                f"{_rows(differs)}.")
    zips, dest_of_line = np.unique(df["zip3"].to_numpy(str)[~abroad], return_inverse=True)
    lat, lon = zip3_table.locate(list(zips), where)
    dest_all = np.empty(len(df), np.int64)  # group g abroad: after the ZIP3s
    dest_all[~abroad] = dest_of_line
    dest_all[abroad] = len(zips) + group_of.to_numpy()[abroad].astype(np.int64)
    # orders by time (ties: by id), their lines by SKU
    t_order = placed[first]
    by_time = np.lexsort((codes, t_order))
    rank = np.empty(len(codes), np.int64)
    rank[by_time] = np.arange(len(codes))
    line_order = np.lexsort((sku.to_numpy(np.int64), rank[order]))
    owner = rank[order][line_order]
    line_sku = sku.to_numpy(np.int64)[line_order]
    line_units = units[line_order].astype(np.int64)
    # the same SKU twice in an order: one line, units added
    key, inverse = np.unique(owner * len(sku_ids) + line_sku, return_inverse=True)
    line_units = np.bincount(inverse, weights=line_units).astype(np.int64)
    owner, line_sku = key // len(sku_ids), key % len(sku_ids)
    line_ptr = np.zeros(len(codes) + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=len(codes)), out=line_ptr[1:])
    f_sorted = first[by_time]
    return ReplayOrders(
        placed_h=t_order[by_time], channel=chan.to_numpy(np.int64)[f_sorted],
        dest=dest_all[f_sorted], line_ptr=line_ptr,
        line_sku=line_sku.astype(np.int64), line_units=line_units,
        zip3=tuple(str(z) for z in zips), dest_lat=np.asarray(lat, float),
        dest_lon=np.asarray(lon, float), has_groups=bool(abroad.any()))
