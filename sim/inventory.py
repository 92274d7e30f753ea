"""Stock over time, recomputed from the event log alone (pure functions, like :mod:`sim.kpis`).

Every change of an FC's stock of a SKU is in the log with its time:

* available on hand (unallocated): ``+`` initial stock (table ``stock``) and receipts
  (``receipts``: supplier deliveries after put-away, transfers in, restocked returns), ``-``
  allocations (``shipment_lines`` at the shipment's release: the order's placement, or its
  ``RELEASED`` event after a hold) and transfers out (``transfers``);
* reserved: allocated units until their shipment is ``SHIPPED``;
* backordered: the units of an order put ``ON_HOLD`` at an FC, until it is released or
  cancelled;
* on order: ``+`` purchase orders and transfers in flight, ``-`` their receipts.

So time-weighted averages, stock-out time and daily series are computations over these
records, never model internals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.eventlog import EventLog, Source, Status


@dataclass(frozen=True)
class Changes:
    """Changes of one stock quantity: ``key = fc * n_skus + sku``, sorted by time."""

    time_h: np.ndarray
    key: np.ndarray
    delta: np.ndarray
    initial: np.ndarray  # (F * K,) level at time 0


def _sorted(time_h: np.ndarray, key: np.ndarray, delta: np.ndarray,
            initial: np.ndarray) -> Changes:
    order = np.argsort(time_h, kind="stable")
    return Changes(time_h[order], key[order].astype(np.int64), delta[order].astype(np.int64),
                   initial.astype(np.int64))


def _shape(log: EventLog) -> tuple[int, int]:
    st = log["stock"]
    return int(st["fc"].max()) + 1 if len(st["fc"]) else 0, int(st["sku"].max()) + 1 \
        if len(st["sku"]) else 0


def release_times(log: EventLog) -> np.ndarray:
    """Time each shipment was released (its stock allocated): the RELEASED event of a held
    order's shipment, else the order's placement."""
    sh, ev = log["shipments"], log["events"]
    t = log["orders"]["placed_h"][sh["order_id"]].astype(float)
    rel = ev["status"] == Status.RELEASED
    t[ev["shipment_id"][rel]] = ev["time_h"][rel]
    return t


def on_hand_changes(log: EventLog) -> Changes:
    """Available (unallocated) units on hand."""
    F, K = _shape(log)
    st, rc, tr = log["stock"], log["receipts"], log["transfers"]
    initial = np.zeros(F * K, np.int64)
    initial[st["fc"].astype(np.int64) * K + st["sku"]] = st["initial"]
    sl, sh = log["shipment_lines"], log["shipments"]
    sid = sl["shipment_id"]
    alloc_t = release_times(log)[sid]
    alloc_key = sh["fc"][sid].astype(np.int64) * K + sl["sku"]
    return _sorted(
        np.concatenate([rc["time_h"], alloc_t, tr["time_h"]]),
        np.concatenate([rc["fc"].astype(np.int64) * K + rc["sku"], alloc_key,
                        tr["from_fc"].astype(np.int64) * K + tr["sku"]]),
        np.concatenate([rc["units"], -sl["units"].astype(np.int64), -tr["units"]]),
        initial)


def backorder_changes(log: EventLog) -> Changes:
    """Units of held orders, at the FC they wait for."""
    F, K = _shape(log)
    ev, ol = log["events"], log["order_lines"]
    n = log.n_rows("orders")
    hold = ev["status"] == Status.ON_HOLD
    hold_fc = np.full(n, -1, np.int64)
    hold_t = np.full(n, np.nan)
    hold_fc[ev["order_id"][hold]] = ev["fc"][hold]
    hold_t[ev["order_id"][hold]] = ev["time_h"][hold]
    end_t = np.full(n, np.inf)
    ends = (ev["status"] == Status.RELEASED) | (ev["status"] == Status.CANCELLED)
    np.minimum.at(end_t, ev["order_id"][ends], ev["time_h"][ends])
    line = hold_fc[ol["order_id"]] >= 0
    o, k, u = ol["order_id"][line], ol["sku"][line], ol["units"][line].astype(np.int64)
    key = hold_fc[o] * K + k
    done = np.isfinite(end_t[o])
    return _sorted(np.concatenate([hold_t[o], end_t[o][done]]),
                   np.concatenate([key, key[done]]),
                   np.concatenate([u, -u[done]]), np.zeros(F * K, np.int64))


def reserved_changes(log: EventLog) -> Changes:
    """Units allocated to released shipments that have not left the FC yet."""
    F, K = _shape(log)
    sl, sh, ev = log["shipment_lines"], log["shipments"], log["events"]
    sid = sl["shipment_id"]
    key = sh["fc"][sid].astype(np.int64) * K + sl["sku"]
    units = sl["units"].astype(np.int64)
    shipped = ev["status"] == Status.SHIPPED
    t_ship = np.full(log.n_rows("shipments"), np.inf)
    t_ship[ev["shipment_id"][shipped]] = ev["time_h"][shipped]
    gone = np.isfinite(t_ship[sid])
    return _sorted(np.concatenate([release_times(log)[sid], t_ship[sid][gone]]),
                   np.concatenate([key, key[gone]]), np.concatenate([units, -units[gone]]),
                   np.zeros(F * K, np.int64))


def on_order_changes(log: EventLog) -> Changes:
    """Units bought or transferred and not yet available."""
    F, K = _shape(log)
    po, tr, rc = log["purchase_orders"], log["transfers"], log["receipts"]
    inbound = rc["kind"] != Source.RETURN
    return _sorted(
        np.concatenate([po["time_h"], tr["time_h"], rc["time_h"][inbound]]),
        np.concatenate([po["fc"].astype(np.int64) * K + po["sku"],
                        tr["to_fc"].astype(np.int64) * K + tr["sku"],
                        rc["fc"][inbound].astype(np.int64) * K + rc["sku"][inbound]]),
        np.concatenate([po["units"], tr["units"], -rc["units"][inbound].astype(np.int64)]),
        np.zeros(F * K, np.int64))


def levels_at(ch: Changes, times_h: np.ndarray) -> np.ndarray:
    """Level of every key just before each time in ``times_h`` (sorted): shape (T, F * K)."""
    times_h = np.asarray(times_h, float)
    grid = np.zeros((len(times_h) + 1, len(ch.initial)), np.int64)
    row = np.searchsorted(times_h, ch.time_h, side="right")  # first evaluation after it
    np.add.at(grid, (row, ch.key), ch.delta)
    return (np.cumsum(grid, axis=0)[:-1] + ch.initial).astype(np.int64)


def time_weighted(ch: Changes, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Time-average level of each key over ``[lo, hi)`` and the hours it spent at or below
    zero."""
    n = len(ch.initial)
    before = ch.time_h < lo
    start = ch.initial + np.bincount(ch.key[before], weights=ch.delta[before], minlength=n)
    inside = (ch.time_h >= lo) & (ch.time_h < hi)
    t, k, d = ch.time_h[inside], ch.key[inside], ch.delta[inside]
    order = np.lexsort((t, k))
    t, k, d = t[order], k[order], d[order]
    # segments: [lo, first change), then change to change, last change to hi, per key
    level_after = start[k] + _group_cumsum(k, d)
    nxt = np.append(t[1:], hi)
    last = np.append(k[1:] != k[:-1], True)
    nxt[last] = hi
    dur = nxt - t
    first_t = np.full(n, hi)
    np.minimum.at(first_t, k, t)
    area = start * (first_t - lo) + np.bincount(k, weights=level_after * dur, minlength=n)
    zero = np.where(start <= 0, first_t - lo, 0.0) + np.bincount(
        k, weights=np.where(level_after <= 0, dur, 0.0), minlength=n)
    span = max(hi - lo, 1e-12)
    return area / span, zero


def _group_cumsum(key: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Running sum of ``delta`` within runs of equal ``key`` (``key`` grouped)."""
    c = np.cumsum(delta)
    if not len(c):
        return c
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    offset = np.repeat(np.r_[0, c[starts[1:] - 1]], np.diff(np.r_[starts, len(c)]))
    return c - offset


def stock_series(log: EventLog, step_h: float = 24.0) -> pd.DataFrame:
    """Stock per FC at the end of each period of ``step_h`` hours: available on hand,
    reserved (allocated, not yet shipped), backordered and on-order units (summed over
    SKUs)."""
    F, K = _shape(log)
    times = np.arange(step_h, log.horizon_h + 1e-9, step_h)
    names = log.fc_names
    out = []
    for col, ch in (("on_hand", on_hand_changes(log)), ("reserved", reserved_changes(log)),
                    ("backordered", backorder_changes(log)),
                    ("on_order", on_order_changes(log))):
        lv = levels_at(ch, times).reshape(len(times), F, K).sum(axis=2)
        out.append(pd.DataFrame(lv, columns=names).assign(time_h=times)
                   .melt(id_vars="time_h", var_name="fc", value_name=col))
    df = out[0]
    for other in out[1:]:
        df = df.merge(other, on=["time_h", "fc"])
    return df.sort_values(["fc", "time_h"], kind="stable").reset_index(drop=True)


INVENTORY_KPI_DOC: dict[str, str] = {
    "fill_rate_orders": "share of orders released whole at once when placed (never held)",
    "fill_rate_units": "share of ordered units in orders released whole at once when placed",
    "backordered_orders": "orders that waited on hold for stock",
    "lost_sales_units": "units of orders cancelled while on hold",
    "avg_on_hand_units": "time-weighted available units on hand, all FCs and SKUs",
    "avg_inventory_value": "time-weighted value of available units on hand at unit cost",
    "stockout_days_per_sku_fc": "mean days a SKU had nothing available at an FC",
    "stockout_share": "share of SKU-FC time with nothing available",
    "days_of_supply": "average units on hand / units shipped per day",
    "inventory_turnover": "annualised cost of units shipped / average inventory value",
    "holding_cost": "annual holding rate x average inventory value x window length",
    "purchase_cost": "purchase orders placed in the window (units x cost + fixed cost)",
    "purchase_orders": "purchase orders placed in the window",
    "transfer_units": "units moved between FCs in the window",
    "transfer_cost": "cost of the units moved between FCs in the window",
    "return_rate": "returned units / units shipped, in the window",
    "restock_rate": "share of returned units put back into stock",
    "write_off_rate": "share of returned units written off",
    "refunds": "refunds of units returned in the window",
    "returns_cost": "return labels and inspection labor of returns in the window",
}


def inventory_kpis(log: EventLog) -> dict[str, float]:
    """Inventory KPIs over the measurement window ``[warm-up, horizon)``."""
    lo, hi = log.warmup_h, log.horizon_h
    days = (hi - lo) / 24.0
    meta = log.meta
    F, K = _shape(log)
    cost = np.asarray(meta.get("sku_unit_cost", np.zeros(K)), float)
    rate = float(meta.get("holding_cost_rate", 0.0))  # type: ignore[arg-type]
    orders, ev = log["orders"], log["events"]
    win = (orders["placed_h"] >= lo) & (orders["placed_h"] < hi)
    held = np.zeros(log.n_rows("orders"), bool)
    held[ev["order_id"][ev["status"] == Status.ON_HOLD]] = True
    cancelled = np.zeros_like(held)
    cancelled[ev["order_id"][ev["status"] == Status.CANCELLED]] = True
    units = orders["n_units"].astype(float)
    out: dict[str, float] = {
        "fill_rate_orders": float((win & ~held).sum() / max(win.sum(), 1)),
        "fill_rate_units": float(units[win & ~held].sum() / max(units[win].sum(), 1)),
        "backordered_orders": float((win & held).sum()),
        "lost_sales_units": float(units[win & cancelled].sum()),
    }
    avg, zero_h = time_weighted(on_hand_changes(log), lo, hi)
    avg = np.maximum(avg, 0.0)
    value = float((avg.reshape(F, K) * cost[None, :]).sum()) if F * K else 0.0
    shipped = ev["status"] == Status.SHIPPED
    sl = log["shipment_lines"]
    t_ship = np.full(log.n_rows("shipments"), np.nan)
    t_ship[ev["shipment_id"][shipped]] = ev["time_h"][shipped]
    ts = t_ship[sl["shipment_id"]]
    in_win = (ts >= lo) & (ts < hi)
    units_shipped = float(sl["units"][in_win].sum())
    cogs = float((sl["units"][in_win] * cost[sl["sku"][in_win]]).sum()) if K else 0.0
    years = (hi - lo) / (24.0 * 365.0)
    out.update({
        "avg_on_hand_units": float(avg.sum()),
        "avg_inventory_value": value,
        "stockout_days_per_sku_fc": float(zero_h.mean() / 24.0) if len(zero_h) else 0.0,
        "stockout_share": float(zero_h.sum() / max(len(zero_h) * (hi - lo), 1e-12)),
        "days_of_supply": float(avg.sum() / (units_shipped / days)) if units_shipped else
        float("nan"),
        "inventory_turnover": float(cogs / years / value) if value > 0 else float("nan"),
        "holding_cost": rate * value * years,
    })
    po = log["purchase_orders"]
    pw = (po["time_h"] >= lo) & (po["time_h"] < hi)
    tr = log["transfers"]
    tw = (tr["time_h"] >= lo) & (tr["time_h"] < hi)
    rt = log["returns"]
    rw = (rt["time_h"] >= lo) & (rt["time_h"] < hi)
    labor = np.asarray(meta.get("labor_cost_per_hour", [0.0] * max(F, 1)), float)
    returned = float(rt["units"][rw].sum())
    out.update({
        "purchase_cost": float(po["cost"][pw].sum()),
        "purchase_orders": float(pw.sum()),
        "transfer_units": float(tr["units"][tw].sum()),
        "transfer_cost": float(tr["cost"][tw].sum()),
        "return_rate": returned / units_shipped if units_shipped else float("nan"),
        "restock_rate": float(rt["restocked"][rw].sum()) / returned if returned else
        float("nan"),
        "write_off_rate": float(rt["written_off"][rw].sum()) / returned if returned else
        float("nan"),
        "refunds": float(rt["refund"][rw].sum()),
        # a label per returned shipment; inspection labor per unit at the FC's wage
        "returns_cost": float(len(np.unique(rt["shipment_id"][rw]))
                              * float(meta.get("returns_label_cost", 0.0))  # type: ignore[arg-type]
                              + (rt["units"][rw] * labor[rt["fc"][rw]]).sum()
                              * float(meta.get("returns_inspect_min_per_unit", 0.0))  # type: ignore[arg-type]
                              / 60.0),
    })
    return out
