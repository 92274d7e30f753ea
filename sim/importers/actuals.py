"""The actual outcomes an order export carries, for the validation against history.

Some exports say what really happened to each order: Shopify's ``Fulfilled at`` and
``Shipping`` (charged to the customer), WooCommerce's ``shipping_total``, Olist's carrier
hand-over (``order_delivered_carrier_date``), delivery (``order_delivered_customer_date``) and
``freight_value`` per item, or a generic file's ``shipped_at``, ``delivered_at``,
``shipping_charged`` and ``freight`` columns (:mod:`sim.importers.formats`).  When the file has
a hand-over or delivery time for at least one imported order, ``fulfill import orders`` writes
them beside the replay scenario as ``<stem>.actuals.parquet``, one row per imported order with
an outcome:

- ``order_id`` (text), ``placed_h``: the order's time on the replay's clock (local hours since
  ``start_date`` 00:00, as in the order table);
- ``shipped_h``: the hand-over to the carrier (Olist) or fulfilment (Shopify) on that clock;
- ``delivered_h``: the delivery to the customer on that clock;
- ``shipping_charged``: what the order paid for shipping (Shopify ``Shipping``, the sum of
  Olist's ``freight_value`` over the order's items), in the export's currency.

Missing values are NaN.  Only orders the import keeps are considered.  An impossible or
unreadable value is left out (NaN) and counted under the first reason that applies
(:data:`EXCLUDED`): a hand-over time that cannot be read or comes before the order was placed;
a delivery time that cannot be read, comes before the order was placed, or before its
hand-over (then the hand-over is left out too: one of the two is wrong); a shipping charge that
is not a number of at least 0.  A blank is not an error (an order not yet shipped).  Nothing
but the order id, times and the charge is written: no names, addresses or ZIP codes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.importers.formats import RawOrders
from sim.importers.rules import parse_timestamps

__all__ = ["ACTUALS_COLUMNS", "EXCLUDED", "Actuals", "actuals_parquet", "extract_actuals"]

ACTUALS_COLUMNS = ("order_id", "placed_h", "shipped_h", "delivered_h", "shipping_charged")
EXCLUDED = ("hand-over time unreadable", "handed over before it was placed",
            "delivery time unreadable", "delivered before it was placed",
            "delivered before it was handed over", "shipping charge not a number >= 0")
"""Why an actual outcome is left out (counted by orders)."""


@dataclass
class Actuals:
    """The actual outcomes of the imported orders and what was left out (reason -> orders)."""

    table: pd.DataFrame
    excluded: dict[str, int]

    def lines(self) -> list[str]:
        t = self.table
        out = [f"Actual outcomes for the validation against history: "
               f"{int(t['shipped_h'].notna().sum()):,} hand-over times, "
               f"{int(t['delivered_h'].notna().sum()):,} delivery times, "
               f"{int(t['shipping_charged'].notna().sum()):,} shipping charges."]
        if self.excluded:
            out.append(f"Left out as impossible or unreadable ({sum(self.excluded.values()):,} "
                       "values):")
            out += [f"  {k}: {v:,}" for k, v in self.excluded.items()]
        return out


def _times(values: pd.Series, origin: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Hours since ``origin`` (NaN for blanks and unreadable values) and the unreadable mask."""
    local, bad = parse_timestamps(values)
    hours = (local - origin) / np.timedelta64(1, "h")
    return np.where(bad, np.nan, hours), bad & (values.str.strip() != "").to_numpy(bool)


def _money(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Amounts (NaN for blanks and bad values) and the mask of bad (non-blank) values."""
    text = values.str.strip()
    x = pd.to_numeric(text, errors="coerce").to_numpy(float)
    bad = (text != "").to_numpy(bool) & ~(np.isfinite(x) & (x >= 0))
    return np.where(bad, np.nan, x), bad


def extract_actuals(raw: RawOrders, kept: np.ndarray, placed_h: np.ndarray,
                    origin: np.datetime64) -> Actuals | None:
    """The actual outcomes of the ``kept`` orders (``placed_h`` on the replay's clock, whose
    00:00 of the first day is ``origin``), or None when the file has no hand-over or delivery
    time for any of them."""
    if "shipped_at" not in raw.columns and "delivered_at" not in raw.columns:
        return None
    o = raw.orders[kept]
    placed = placed_h[kept].astype(float)
    ship, ship_bad = _times(o["shipped_at"], origin)
    deliv, deliv_bad = _times(o["delivered_at"], origin)
    reason = np.zeros(len(o), np.int8)

    def rule(code: int, mask: np.ndarray) -> None:
        reason[(reason == 0) & mask] = code

    early_ship = ship < placed  # NaN compares False
    early_deliv = deliv < placed
    before_ship = ~early_ship & ~early_deliv & (deliv < ship)
    rule(1, ship_bad)
    rule(2, early_ship)
    rule(3, deliv_bad)
    rule(4, early_deliv)
    rule(5, before_ship)
    ship[ship_bad | early_ship | before_ship] = np.nan
    deliv[deliv_bad | early_deliv | before_ship] = np.nan
    charged, charge_bad = _money(o["shipping_charged"])
    if "freight" in raw.columns and "shipping_charged" not in raw.columns:
        lines = raw.lines
        mine = kept[lines["order"].to_numpy(np.int64)]
        per_line, line_bad = _money(lines["freight"][mine])
        order_of = lines["order"].to_numpy(np.int64)[mine]
        n = len(raw.orders)
        total = np.bincount(order_of, weights=np.nan_to_num(per_line), minlength=n)
        given = np.bincount(order_of, weights=np.isfinite(per_line), minlength=n) > 0
        bad = np.bincount(order_of, weights=line_bad, minlength=n) > 0
        charged = np.where(given & ~bad, total, np.nan)[kept]
        charge_bad = bad[kept]
    rule(6, charge_bad)
    has = np.isfinite(ship) | np.isfinite(deliv)
    if not has.any():
        return None
    has |= np.isfinite(charged)
    table = pd.DataFrame({"order_id": o["order_id"].to_numpy(object)[has],
                          "placed_h": placed[has], "shipped_h": ship[has],
                          "delivered_h": deliv[has], "shipping_charged": charged[has]})
    counts = np.bincount(reason, minlength=len(EXCLUDED) + 1)
    excluded = {EXCLUDED[c - 1]: int(n) for c, n in enumerate(counts) if c and n}
    return Actuals(table.sort_values(["placed_h", "order_id"], kind="stable")
                   .reset_index(drop=True), excluded)


def actuals_parquet(table: pd.DataFrame) -> bytes:
    """The actuals table as Parquet bytes (string id, float64 times and charge)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("order_id", pa.string()), *((c, pa.float64())
                                                      for c in ACTUALS_COLUMNS[1:])])
    arrays = [pa.array(table[c].to_numpy(), type=schema.field(c).type) for c in schema.names]
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buf)
    return buf.getvalue()
