"""Per-run series behind the report's charts: pure functions of an :class:`EventLog`.

:func:`run_series` returns one long table with the columns ``series`` (which one, see
:data:`SERIES_DOC`), ``fc`` (an FC name or ``""``), ``label`` (a channel, zone, role or SKU
class, or ``""``), ``x`` (a day, hour, percentile or destination index) and ``value``.  An
experiment keeps it for each run (``runs/<run key>.series.parquet``); a report averages it
over replications.  Like :mod:`sim.kpis`, it describes the orders placed in the measurement
window, except the per-day series, which cover every day of the horizon (warm-up included,
so that a chart can show it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.eventlog import EventLog, Status
from sim.kpis import _event_time, order_outcomes, task_intervals

__all__ = ["SERIES_DOC", "busy_by_hour", "run_series"]

SERIES_DOC: dict[str, str] = {
    "orders_placed_per_day": "orders placed on day x (x = 0 is the first day of the run)",
    "shipments_per_day": "shipments the FC handed to the carrier on day x",
    "utilization_by_hour": "busy hours / paid hours of the FC's pickers or packers (label) in "
                           "hour x of the day (0-23), over the window; NaN: nobody paid then",
    "click_to_deliver_days": "x-th percentile (0-100) of days from order to last delivery",
    "promise_days": "mean days promised to the channel's (label) orders",
    "on_time_by_channel": "share of the channel's (label) orders due before the horizon that "
                          "arrived by the promise",
    "on_time_by_zone": "share of shipments to zone (label) due before the horizon that "
                       "arrived by the order's promise",
    "stockout_share_by_class": "share of SKU-FC time with nothing available, SKUs of class "
                               "(label) A, B or C",
    "dest_shipments": "shipments from the FC to destination x (index into the run's "
                      "dest_names)",
    "dest_delivery_days": "mean days from order to last delivery of orders to destination x",
}

_CLASSES = ("A", "B", "C")


def _frame(series: str, value: np.ndarray, *, fc: object = "", label: object = "",
           x: np.ndarray | None = None) -> pd.DataFrame:
    n = len(value)
    return pd.DataFrame({
        "series": series,
        "fc": np.broadcast_to(np.asarray(fc, dtype=object), n),
        "label": np.broadcast_to(np.asarray(label, dtype=object), n),
        "x": np.arange(n, dtype=float) if x is None else np.asarray(x, float),
        "value": np.asarray(value, float)})


def _cumulative(points: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                weights: np.ndarray) -> np.ndarray:
    """``F(t) = sum_i w_i * |[s_i, e_i] ∩ (-inf, t]|`` at each of ``points``."""
    order_s = np.argsort(starts, kind="stable")
    order_e = np.argsort(ends, kind="stable")
    s, ws = starts[order_s], weights[order_s]
    e, we = ends[order_e], weights[order_e]
    cw_s, cws_s = np.r_[0.0, np.cumsum(ws)], np.r_[0.0, np.cumsum(ws * s)]
    cw_e, cws_e = np.r_[0.0, np.cumsum(we)], np.r_[0.0, np.cumsum(we * e)]
    i = np.searchsorted(s, points, side="right")
    j = np.searchsorted(e, points, side="right")
    return (cw_s[i] * points - cws_s[i]) - (cw_e[j] * points - cws_e[j])


def busy_by_hour(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, lo: float,
                 hi: float) -> np.ndarray:
    """Weighted hours of the intervals ``[start, end]`` inside each whole hour of
    ``[floor(lo), ceil(hi))``, clipped to ``[lo, hi]``; element ``k`` is hour
    ``floor(lo) + k``."""
    first, last = int(np.floor(lo)), int(np.ceil(hi))
    if last <= first:
        return np.zeros(0)
    s = np.clip(starts.astype(float), lo, hi)
    e = np.clip(ends.astype(float), lo, hi)
    ok = e > s
    grid = np.arange(first, last + 1, dtype=float)
    f = _cumulative(grid, s[ok], e[ok], weights[ok].astype(float))
    return np.diff(f)


def _utilization(log: EventLog, lo: float, hi: float) -> list[pd.DataFrame]:
    shifts = log["shifts"]
    fcs = log["shipments"]["fc"].astype(np.int64)
    first = int(np.floor(lo))
    out = []
    roles = (("picker", Status.PICK_START, Status.PICKED, "pickers"),
             ("packer", Status.PACK_START, Status.PACKED, "packers"))
    for role, start, end, column in roles:
        began, ended = task_intervals(log, start, end)
        for f, name in enumerate(log.fc_names):
            mine = (fcs == f) & ~np.isnan(began)
            busy = busy_by_hour(began[mine], ended[mine], np.ones(int(mine.sum())), lo, hi)
            sf = shifts["fc"] == f
            paid = busy_by_hour(shifts["start_h"][sf], shifts["end_h"][sf],
                                shifts[column][sf].astype(float), lo, hi)
            hour = (np.arange(len(busy)) + first) % 24
            b = np.bincount(hour, weights=busy, minlength=24)
            p = np.bincount(hour, weights=paid, minlength=24)
            with np.errstate(invalid="ignore", divide="ignore"):
                u = np.where(p > 1e-9, b / np.where(p > 1e-9, p, 1.0), np.nan)
            out.append(_frame("utilization_by_hour", u, fc=name, label=role))
    return out


def _stockout_by_class(log: EventLog, lo: float, hi: float) -> pd.DataFrame | None:
    classes = log.meta.get("sku_class")
    if "stock" not in log or classes is None or not log.n_rows("stock"):
        return None
    from sim.inventory import _shape, on_hand_changes, time_weighted

    F, K = _shape(log)
    cls = np.asarray(classes, np.int64)
    if len(cls) < K:
        return None
    _, zero_h = time_weighted(on_hand_changes(log), lo, hi)
    zero = zero_h.reshape(F, K)
    span = max(hi - lo, 1e-12)
    values, labels = [], []
    for c, name in enumerate(_CLASSES):
        m = cls[:K] == c
        if m.any():
            values.append(float(zero[:, m].sum() / (F * int(m.sum()) * span)))
            labels.append(name)
    return pd.DataFrame({"series": "stockout_share_by_class", "fc": "", "label": labels,
                         "x": np.arange(len(values), dtype=float), "value": values})


def run_series(log: EventLog) -> pd.DataFrame:
    """Every series of :data:`SERIES_DOC` for one run, as one long table."""
    lo, hi = log.warmup_h, log.horizon_h
    days = max(int(np.ceil(hi / 24.0 - 1e-9)), 1)
    orders, sh = log["orders"], log["shipments"]
    parts: list[pd.DataFrame] = []

    placed_day = np.minimum((orders["placed_h"] // 24).astype(np.int64), days - 1)
    parts.append(_frame("orders_placed_per_day",
                        np.bincount(placed_day, minlength=days).astype(float)))
    shipped_h = _event_time(log, Status.SHIPPED)
    sent = ~np.isnan(shipped_h)
    sent_day = np.minimum((shipped_h[sent] // 24).astype(np.int64), days - 1)
    sent_fc = sh["fc"][sent].astype(np.int64)
    for f, name in enumerate(log.fc_names):
        parts.append(_frame("shipments_per_day", np.bincount(
            sent_day[sent_fc == f], minlength=days).astype(float), fc=name))

    parts.extend(_utilization(log, lo, hi))

    oc = order_outcomes(log)
    win = (oc.placed_h >= lo) & (oc.placed_h < hi)
    delivered = win & ~np.isnan(oc.delivered_h)
    c2d = (oc.delivered_h[delivered] - oc.placed_h[delivered]) / 24.0
    q = np.arange(101, dtype=float)
    parts.append(_frame("click_to_deliver_days",
                        np.percentile(c2d, q) if len(c2d) else np.full(101, np.nan), x=q))

    channels = list(log.meta.get("channel_names", []))  # type: ignore[call-overload]
    ch = orders["channel"].astype(np.int64)
    due = win & (oc.promise_h <= hi)
    on_time = due & (oc.delivered_h <= oc.promise_h)
    promise_days = (oc.promise_h - oc.placed_h) / 24.0
    for c, name in enumerate(channels):
        mine = win & (ch == c)
        d = due & (ch == c)
        parts.append(_frame("promise_days", np.array([
            float(promise_days[mine].mean()) if mine.any() else np.nan]), label=name))
        parts.append(_frame("on_time_by_channel", np.array([
            float(on_time[d].sum() / d.sum()) if d.any() else np.nan]), label=name))

    ship_win = win[sh["order_id"]] & sent
    delivered_h = _event_time(log, Status.DELIVERED)
    promise = oc.promise_h[sh["order_id"]]
    ship_due = ship_win & (promise <= hi)
    ship_ok = ship_due & (delivered_h <= promise)
    zone = sh["zone"].astype(np.int64)
    for z in range(1, 9):
        d = ship_due & (zone == z)
        if d.any():
            parts.append(_frame("on_time_by_zone", np.array([
                float(ship_ok[d].sum() / d.sum())]), label=str(z), x=np.array([z])))

    stock = _stockout_by_class(log, lo, hi)
    if stock is not None:
        parts.append(stock)

    n_dest = len(log.meta.get("dest_names", [])) or (  # type: ignore[arg-type]
        int(orders["dest"].max()) + 1 if len(orders["dest"]) else 0)
    dest = orders["dest"].astype(np.int64)
    ship_dest = dest[sh["order_id"]]
    for f, name in enumerate(log.fc_names):
        counts = np.bincount(ship_dest[ship_win & (sh["fc"] == f)], minlength=n_dest)
        nz = np.flatnonzero(counts)
        parts.append(_frame("dest_shipments", counts[nz].astype(float), fc=name, x=nz))
    if delivered.any():
        total = np.bincount(dest[delivered], weights=(oc.delivered_h - oc.placed_h)[delivered]
                            / 24.0, minlength=n_dest)
        count = np.bincount(dest[delivered], minlength=n_dest)
        nz = np.flatnonzero(count)
        parts.append(_frame("dest_delivery_days", total[nz] / count[nz], x=nz))
    out = pd.concat(parts, ignore_index=True)
    out["series"] = out["series"].astype(str)
    out["fc"] = out["fc"].astype(str)
    out["label"] = out["label"].astype(str)
    return out
