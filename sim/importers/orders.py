"""``import_orders``: an order export in, a replay scenario out (the order table, a catalog
when needed, and a scenario that ``extends`` the base).  The rules are listed in
:mod:`sim.importers`."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from sim.csvsafe import DANGEROUS_PREFIXES, csv_safe_cell
from sim.importers.actuals import Actuals, actuals_parquet, extract_actuals
from sim.importers.catalog import DEFAULTS_RULE, build_catalog, read_products
from sim.importers.formats import FORMATS, Format, RawOrders, read_orders
from sim.importers.rules import (
    TIMESTAMP_EXPECTED,
    ZIP_BLANK,
    ZIP_UNREADABLE,
    OrdersImportError,
    cancelled,
    fail,
    is_outside_us,
    no_shipping,
    normalise_country,
    parse_quantity,
    parse_timestamps,
    unpaid,
    zip3_of_column,
)

__all__ = ["LEFT_OUT", "LINE_NO_SHIPPING", "ImportSummary", "import_orders"]

LEFT_OUT = ("cancelled", "unpaid or draft (pending payment, checkout-draft, trash)",
            "outside --start/--end", "nothing to ship",
            "outside the contiguous US (AK, HI, territories, other countries)",
            "no shipping ZIP", "unreadable ZIP", "unknown 3-digit ZIP")
"""Why an order is left out, in the order the rules apply (an order counts under the first)."""
(CANCELLED, UNPAID, WINDOW, NOTHING, OUTSIDE, NO_ZIP, BAD_ZIP, UNKNOWN_ZIP) = range(1, 9)
LINE_NO_SHIPPING = "needs no shipping (gift card, digital)"
OUTSIDE_US_POLICIES = ("drop",)


@dataclass
class ImportSummary:
    """What an import read, kept, left out (and why) and wrote."""

    rows_read: int
    orders_read: int
    orders_kept: int
    lines_kept: int
    units_kept: int
    left_out: dict[str, int]
    lines_left_out: dict[str, int]
    warnings: list[str]
    new_skus: int
    first_order: str
    last_order: str
    days: int
    files: list[Path] = field(default_factory=list)
    actuals: Actuals | None = None
    """The orders' actual outcomes, when the file has hand-over or delivery times."""

    def lines(self) -> list[str]:
        """The printed summary, one line each."""
        out = [f"Read {_n(self.rows_read, 'row')}: {_n(self.orders_read, 'order')}.",
               f"Kept {_n(self.orders_kept, 'order')} ({_n(self.lines_kept, 'line')}, "
               f"{_n(self.units_kept, 'unit')}), placed {self.first_order} to "
               f"{self.last_order}; the replay covers {_n(self.days, 'day')}."]
        if self.left_out:
            out.append(f"Left out {_n(sum(self.left_out.values()), 'order')}:")
            out += [f"  {reason}: {n:,}" for reason, n in self.left_out.items()]
        if self.lines_left_out:
            out.append(f"Left out {_n(sum(self.lines_left_out.values()), 'order line')}:")
            out += [f"  {reason}: {n:,}" for reason, n in self.lines_left_out.items()]
        if self.new_skus:
            out.append(f"{_n(self.new_skus, 'SKU')} not in the base scenario's catalog.")
        out += [f"Warning: {w}" for w in self.warnings]
        if self.actuals is not None:
            out += self.actuals.lines()
        out += [f"Wrote {f}" for f in self.files]
        return out


def _n(count: int, word: str) -> str:
    """``1 order``, ``2 orders``, ``1,234 SKUs``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def default_base() -> Path:
    """The bundled baseline scenario."""
    return Path(str(resources.files("scenarios").joinpath("baseline.toml")))


def _csv_safe_ids(values: pd.Series) -> pd.Series:
    """SKU ids as the catalog CSV can hold them: one starting with ``=``, ``+``, ``-``, ``@``
    (a spreadsheet formula) gets a leading ``'`` (:func:`sim.csvsafe.csv_safe_cell`), in the
    order table too, so the two agree."""
    risky = values.str.slice(0, 1).isin([*DANGEROUS_PREFIXES, "'"]).to_numpy(bool)
    if not risky.any():
        return values
    out = values.copy()
    out[risky] = [csv_safe_cell(v) for v in values[risky]]
    return out


def _left_out_error(path: Path, raw: RawOrders, counts: dict[str, int]) -> OrdersImportError:
    why = "; ".join(f"{k}: {v:,}" for k, v in counts.items()) or "the file has no orders"
    return OrdersImportError(f"{path}: no order left to replay: of {len(raw.orders):,} orders "
                             f"read, all were left out ({why}).")


def _channels(kept: pd.Series, base: list[str], column: str | None
              ) -> tuple[np.ndarray, str | None]:
    """Each kept order's channel (a base channel name) and the warning about the others."""
    lookup = {c.strip().lower(): c for c in base}
    value = kept.str.strip()
    mapped = value.str.lower().map(lookup)
    other = mapped.isna().to_numpy(bool)
    out = mapped.fillna(base[0]).to_numpy(object)
    if column is None or not other.any():
        return out, None
    # the values themselves are not shown: a column mapped to channel by mistake could hold
    # e-mails or names, and no message quotes a cell (see the module docstring)
    distinct = int(value[other].nunique())
    many = int(other.sum()) != 1
    return out, (f"{_n(int(other.sum()), 'order')} {'have' if many else 'has'} a '{column}' "
                 f"that is not a channel of the base scenario ({', '.join(base)}); "
                 f"{'they go' if many else 'it goes'} to '{base[0]}' ({_n(distinct, 'value')} "
                 f"of '{column}' in all; name them after the scenario's channels to keep "
                 "them apart).")


def _reasons(path: Path, raw: RawOrders, fmt: str, local: np.ndarray, start: dt.date | None,
             end: dt.date | None, countries: Mapping[str, str] | None = None
             ) -> tuple[np.ndarray, np.ndarray, pd.Series, np.ndarray, int]:
    """Each order's reason to be left out (0: kept), which lines ship, the orders' ZIP3s
    (``@<group>`` for an order to a country of a destination group abroad: ``countries``,
    normalised country -> group, from the base scenario's ``[international]``), the lines'
    quantities and the number of lines that need no shipping (of orders not cancelled, unpaid
    or outside the dates)."""
    o, lines, cols = raw.orders, raw.lines, raw.columns
    reason = np.zeros(len(o), np.int8)

    def rule(code: int, mask: np.ndarray) -> None:
        reason[(reason == 0) & mask] = code

    rule(CANCELLED, cancelled(o["status"], o["cancelled_at"]))
    if fmt == "woocommerce":
        rule(UNPAID, unpaid(o["status"]))
    day = local.astype("datetime64[D]")
    if start is not None:
        rule(WINDOW, day < np.datetime64(start, "D"))
    if end is not None:
        rule(WINDOW, day > np.datetime64(end, "D"))
    order_of = lines["order"].to_numpy(np.int64)
    empty = ((lines["sku"] == "") & (lines["quantity"] == "")).to_numpy(bool)  # no item
    live = (reason[order_of] == 0) & ~empty
    free = live & no_shipping(lines["requires_shipping"])
    ship = live & ~free
    blank_sku = ship & (lines["sku"] == "").to_numpy(bool)
    if blank_sku.any():
        col = cols.get("sku", cols.get("item_name", "sku"))
        raise fail(path, col, lines["row"].to_numpy()[blank_sku], "a SKU (or an item name)")
    qty, bad_qty = parse_quantity(lines["quantity"])
    bad_qty &= ship
    if bad_qty.any():
        col = cols.get("quantity", "line_items")
        raise fail(path, col, lines["row"].to_numpy()[bad_qty],
                   "a whole number of units from 1 to 1,000,000")
    rule(NOTHING, np.bincount(order_of[ship], minlength=len(o)) == 0)
    zip3, status = zip3_of_column(o["zip"])
    group = normalise_country(o["country"]).map(countries or {})
    abroad = group.notna().to_numpy(bool)  # kept for its destination group abroad
    rule(OUTSIDE, is_outside_us(zip3, o["country"], o["province"]) & ~abroad)
    rule(NO_ZIP, (status == ZIP_BLANK) & ~abroad)
    rule(BAD_ZIP, (status == ZIP_UNREADABLE) & ~abroad)
    from sim.geo import load_zip3

    rule(UNKNOWN_ZIP, ~zip3.isin(set(load_zip3().index())).to_numpy(bool) & ~abroad)
    if abroad.any():
        zip3 = zip3.where(~abroad, "@" + group.fillna(""))
    return reason, ship, zip3, qty, int(free.sum())


def _table(path: Path, raw: RawOrders, reason: np.ndarray, ship: np.ndarray, qty: np.ndarray,
           placed_h: np.ndarray, zip3: pd.Series, channel: np.ndarray) -> pd.DataFrame:
    """The order lines of the kept orders, an order's SKU once, sorted by time, id, SKU."""
    lines = raw.lines
    order_of = lines["order"].to_numpy(np.int64)
    keep = ship & (reason[order_of] == 0)
    sku = _csv_safe_ids(lines["sku"][keep].reset_index(drop=True))
    sku_code, sku_names = pd.factorize(sku, sort=True)
    order_k = order_of[keep]
    key = order_k * len(sku_names) + sku_code
    ukey, inverse = np.unique(key, return_inverse=True)
    units = np.bincount(inverse, weights=qty[keep]).astype(np.int64)
    if units.max(initial=0) > np.iinfo(np.int32).max:
        raise fail(path, raw.columns.get("quantity", "quantity"),
                   lines["row"].to_numpy()[keep][units[inverse] > np.iinfo(np.int32).max],
                   "fewer units of one SKU in one order")
    o_idx, s_idx = ukey // len(sku_names), ukey % len(sku_names)
    oid_rank = pd.factorize(raw.orders["order_id"], sort=True)[0]
    order_sort = np.lexsort((s_idx, oid_rank[o_idx], placed_h[o_idx]))
    o_idx, s_idx, units = o_idx[order_sort], s_idx[order_sort], units[order_sort]
    return pd.DataFrame({
        "order_id": raw.orders["order_id"].to_numpy(object)[o_idx],
        "placed_h": placed_h[o_idx].astype(np.float64),
        "channel": channel[o_idx], "zip3": zip3.to_numpy(object)[o_idx],
        "sku": np.asarray(sku_names, dtype=object)[s_idx], "units": units.astype(np.int32)})


def _parquet_bytes(table: pd.DataFrame) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("order_id", pa.string()), ("placed_h", pa.float64()),
                        ("channel", pa.string()), ("zip3", pa.string()), ("sku", pa.string()),
                        ("units", pa.int32())])
    arrays = [pa.array(table[c].to_numpy(), type=schema.field(c).type) for c in schema.names]
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buf)
    return buf.getvalue()


def _catalog_inputs(raw: RawOrders, keep: np.ndarray, qty: np.ndarray
                    ) -> tuple[pd.Series, pd.Series, pd.Series]:
    lines = raw.lines[keep]
    sku = _csv_safe_ids(lines["sku"].reset_index(drop=True))
    units = pd.Series(qty[keep]).groupby(sku.to_numpy(object)).sum()
    price = pd.to_numeric(lines["price"].reset_index(drop=True), errors="coerce")
    median = price.groupby(sku.to_numpy(object)).median()
    names = lines["name"].reset_index(drop=True)
    first_name = names[names != ""].groupby(sku[names != ""].to_numpy(object)).first()
    return units, median, first_name


def import_orders(path: Path, *, fmt: str, out: Path, base: Path | None = None,
                  mapping: Mapping[str, str] | None = None, catalog: Path | None = None,
                  start: dt.date | None = None, end: dt.date | None = None,
                  outside_us: str = "drop") -> ImportSummary:
    """Read an order export and write a replay scenario ``out`` beside its order table
    (``<stem>.orders.parquet``) and, when the file has SKUs the base does not know or
    ``catalog`` is given, its catalog (``<stem>.catalog.csv``); when it has actual hand-over
    or delivery times, the actual outcomes (``<stem>.actuals.parquet``,
    :mod:`sim.importers.actuals`).

    Raises
    ------
    OrdersImportError
        For every problem with the file, the options or the output files (message for the
        user); :class:`sim.scenario.ScenarioError` for a bad base scenario.
    """
    from sim.files import NotOurs, atomic_write_bytes, check_replaceable
    from sim.scenario import load_scenario, write_scenario

    path, out = Path(path), Path(out)
    if fmt not in FORMATS:
        raise OrdersImportError(f"unknown format '{fmt}'; formats are {', '.join(FORMATS)}.")
    if outside_us not in OUTSIDE_US_POLICIES:
        raise OrdersImportError(f"--outside-us {outside_us}: expected one of "
                                f"{', '.join(OUTSIDE_US_POLICIES)}.")
    if start is not None and end is not None and end < start:
        raise OrdersImportError(f"--end {end} is before --start {start}.")
    parquet_name, catalog_name = f"{out.stem}.orders.parquet", f"{out.stem}.catalog.csv"
    actuals_name = f"{out.stem}.actuals.parquet"
    try:
        check_replaceable(out, (parquet_name,))
    except NotOurs as exc:
        raise OrdersImportError(str(exc)) from None
    base = Path(base) if base is not None else default_base()
    sc = load_scenario(base)
    channels = list(sc.demand.channels)
    products = read_products(catalog) if catalog is not None else None
    raw = read_orders(path, cast(Format, fmt), mapping or {})
    local, bad_time = parse_timestamps(raw.orders["created_at"])
    if bad_time.any():
        raise fail(path, raw.columns["created_at"], raw.orders["row"].to_numpy()[bad_time],
                   TIMESTAMP_EXPECTED)
    intl = sc.international  # orders to its groups' countries are kept (else dropped)
    countries = {c: name for name, g in intl.groups.items()
                 for c in normalise_country(pd.Series(g.countries, dtype=object))} \
        if intl.on else None
    reason, ship, zip3, qty, not_shipped = _reasons(path, raw, fmt, local, start, end,
                                                    countries)
    counts = {LEFT_OUT[c - 1]: int(n) for c, n in enumerate(np.bincount(reason, minlength=9))
              if c and n}
    order_of = raw.lines["order"].to_numpy(np.int64)
    kept = reason == 0
    if not kept.any():
        raise _left_out_error(path, raw, counts)
    day = local.astype("datetime64[D]")
    first_day = start or pd.Timestamp(day[kept].min()).date()
    last_day = end or pd.Timestamp(day[kept].max()).date()
    days = (last_day - first_day).days + 1
    placed_h = (local - np.datetime64(first_day, "ns")) / np.timedelta64(1, "h")
    channel = np.full(len(kept), channels[0], dtype=object)
    channel[kept], chan_warning = _channels(raw.orders["channel"][kept], channels,
                                            raw.columns.get("channel"))
    table = _table(path, raw, reason, ship, qty, placed_h, zip3, channel)
    warnings = [chan_warning] if chan_warning else []
    if fmt == "olist":
        warnings.append("Olist's destinations are Brazilian postcode prefixes, read here as "
                        "US ZIP codes: a stand-in spread of destinations, not their geography.")
    actuals = extract_actuals(raw, kept, placed_h, np.datetime64(first_day, "ns"))
    keep_line = ship & kept[order_of]
    units, price, names = _catalog_inputs(raw, keep_line, qty)
    if "price" not in raw.columns:
        price = price.iloc[0:0]
    new_skus = int((~units.index.isin(set(sc.tables.sku_ids))).sum())
    data_files: dict[str, str] = {}
    patch: dict[str, Any] = {}
    if new_skus or products is not None:
        text, defaulted = build_catalog(sc, units, price, names, products)
        data_files[catalog_name] = text
        patch["catalog"] = {"file": catalog_name}
        if defaulted:
            shown = ", ".join(defaulted[:10]) + (", ..." if len(defaulted) > 10 else "")
            where = "the base catalog or --catalog" if products is not None else \
                "the base catalog"
            warnings.append(f"{_n(len(defaulted), 'SKU')} not in {where} got default sizes "
                            f"({DEFAULTS_RULE}): {shown}.")
    try:
        check_replaceable(out, (parquet_name, *data_files,
                                *([actuals_name] if actuals is not None else [])))
    except NotOurs as exc:
        raise OrdersImportError(str(exc)) from None
    t_first, t_last = local[kept].min(), local[kept].max()
    fmt_t = "%Y-%m-%d %H:%M"
    summary = ImportSummary(
        rows_read=raw.rows_read, orders_read=len(raw.orders), orders_kept=int(kept.sum()),
        lines_kept=len(table), units_kept=int(table["units"].sum()), left_out=counts,
        lines_left_out={LINE_NO_SHIPPING: not_shipped} if not_shipped else {},
        warnings=warnings, new_skus=new_skus,
        first_order=pd.Timestamp(t_first).strftime(fmt_t),
        last_order=pd.Timestamp(t_last).strftime(fmt_t), days=days, actuals=actuals)
    warmup = min(sc.run.warmup_days, days / 4)
    patch.update({
        "name": f"{path.stem} replay",
        "description": f"The {summary.orders_kept:,} orders of {path.name} replayed at their "
                       f"own times ({summary.first_order} to {summary.last_order}).",
        "run": {"start_date": first_day, "horizon_days": days,
                "warmup_days": int(warmup) if float(warmup).is_integer() else warmup},
        "demand": {"mode": "replay", "orders_file": parquet_name, "scale": 1.0}})
    shown_name = "".join(c if c.isprintable() else "?" for c in path.name)
    header = [f"import orders from {shown_name} ({fmt}).",
              f"{summary.orders_kept:,} of {summary.orders_read:,} orders kept; "
              + ("left out: " + "; ".join(f"{k} {v:,}" for k, v in counts.items())
                 if counts else "none left out") + ".",
              "Demand replays the order table; the base's synthetic demand settings are unused."]
    if actuals is not None:
        header.append(f"Actual outcomes (validation against history): {actuals_name}.")
    stale = out.parent / actuals_name
    # outcomes an earlier import wrote beside this scenario (it names them) are not this file's
    drop_stale = actuals is None and stale.is_file() and not stale.is_symlink() \
        and out.is_file() and actuals_name in out.read_text(encoding="utf-8", errors="replace")
    atomic_write_bytes(out.parent / parquet_name, _parquet_bytes(table))
    if actuals is not None:
        atomic_write_bytes(stale, actuals_parquet(actuals.table))
    write_scenario(out, extends=base, patch=patch, replace=["catalog"] if data_files else (),
                   header=header, data_files=data_files)
    if drop_stale:
        stale.unlink(missing_ok=True)
    summary.files = [out, out.parent / parquet_name, *(out.parent / n for n in data_files)]
    if actuals is not None:
        summary.files.append(out.parent / actuals_name)
    return summary
