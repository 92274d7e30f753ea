"""Key performance indicators: pure functions of an :class:`~sim.eventlog.EventLog`.

Nothing here looks at the model; every figure can be recomputed from the files a run wrote.

Steady-state KPIs describe the orders placed in the *measurement window*
``[warm-up, horizon)``, so that the empty-network start does not flatter the results.  Labor
figures use the shift hours and task times that fall inside the window; ``total_cost_per_order``
and its parts divide the costs incurred inside the window (paid hours, postage and cartons of
shipments handed to the carrier, holding, returns, FC fixed costs) by the orders placed in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.eventlog import EventLog, IntakeOutcome, IntakeReason, Issue, Status

# (KPI name, what it means) — also the order in which KPIs are printed
KPI_DOC: dict[str, str] = {
    "orders_placed": "orders placed in the measurement window (after warm-up)",
    "orders_shipped": "orders placed in the window whose every shipment left the FC "
                      "(delivered included)",
    "orders_delivered": "orders placed in the window whose every shipment was delivered by "
                        "the horizon",
    "orders_open": "orders placed in the window, not fully shipped and not cancelled at the "
                   "horizon",
    "orders_cancelled": "orders placed in the window, cancelled after waiting on hold longer "
                        "than the scenario allows (or at intake review, runs with [intake])",
    "click_to_ship_h_mean": "hours from order to last shipment handed to the carrier (shipped)",
    "click_to_ship_h_p50": "median hours from order to last shipment handed to the carrier",
    "click_to_ship_h_p90": "90th percentile of hours from order to last shipment handed to "
                           "the carrier",
    "click_to_ship_h_p95": "95th percentile of hours from order to last shipment handed to "
                           "the carrier",
    "click_to_deliver_days_mean": "days from order to last shipment delivered (delivered)",
    "click_to_deliver_days_p50": "median days from order to last shipment delivered",
    "click_to_deliver_days_p90": "90th percentile of days from order to last shipment "
                                 "delivered",
    "click_to_deliver_days_p95": "95th percentile of days from order to last shipment "
                                 "delivered",
    "on_time_rate": "share delivered by the promised date, among orders due before the horizon",
    "total_cost_per_order": "labor + postage + cartons + holding + returns + FC fixed costs "
                            "of the window, per order placed (the sum of the next six)",
    "labor_cost_per_order": "paid shift hours x wage in the window, per order placed",
    "postage_cost_per_order": "postage of shipments handed to the carrier in the window, per "
                              "order placed",
    "carton_cost_per_order": "cartons of shipments handed to the carrier in the window, per "
                             "order placed",
    "holding_cost_per_order": "cost of holding the window's stock (holding_cost), per order "
                              "placed",
    "returns_cost_per_order": "return labels and inspection labor of the window's returns "
                              "(returns_cost), per order placed",
    "fixed_cost_per_order": "window days x fixed cost per day of the open FCs, per order placed",
    "shipping_cost_per_order": "postage + cartons of a fully shipped order's shipments, mean",
    "cost_per_order": "labor_cost_per_order + shipping_cost_per_order (no holding, returns "
                      "or fixed costs: see total_cost_per_order; its shipping part is per "
                      "fully shipped order, not per order placed, so it can exceed the total)",
    "shipments_per_order": "shipments per released order (1 = never split; reships not "
                           "counted)",
    "split_shipment_rate": "share of released orders sent in more than one shipment (reships "
                           "not counted)",
    "hold_rate": "share of orders that waited on hold for stock at least once",
    "picker_utilization": "picking hours worked / picker hours paid, per FC",
    "packer_utilization": "packing hours worked / packer hours paid, per FC",
    "shipping_cost_per_shipment": "postage + carton of a shipped shipment, mean",
    "shipping_cost_per_unit": "postage + cartons of shipped shipments per unit shipped",
    "billable_to_actual_weight": "billable pounds / actual pounds, over shipped shipments",
    "dim_weight_share": "share of shipped shipments billed on dimensional weight",
    "parcels_per_shipment": "cartons per shipped shipment",
    "transit_days_p50": "median calendar days from carrier pickup to delivery",
    "transit_days_p90": "90th percentile of calendar days from carrier pickup to delivery",
    "exception_rate": "share of shipped shipments ending in a delivery exception",
    "zone_share": "share of shipped shipments by carrier zone",
    "service_share": "share of shipped shipments by carrier service",
    "service_on_time_rate": "share of a service's shipments due before the horizon that "
                            "arrived by the order's promise",
    "shipments": "shipments of the window's orders sent from each FC",
    "shipment_share": "share of the window's shipments sent from each FC",
    # order errors (runs with [quality] only): SCOR perfect order fulfillment and its parts,
    # over the window's orders due before the horizon (see docs/results.md)
    "perfect_order_rate": "share of orders due before the horizon delivered in full, on time, "
                          "undamaged and to an accurate address (SCOR perfect order "
                          "fulfillment: all four components below)",
    "in_full_rate": "share of due orders whose original shipments were all delivered, with no "
                    "line shipped wrong",
    "on_time_component_rate": "share of due orders whose original shipments were all "
                              "delivered by the promise (reships not counted)",
    "perfect_condition_rate": "share of due orders with no parcel damaged in transit",
    "accurate_documentation_rate": "share of due orders with a correct address (none corrected "
                                   "in transit or returned to sender)",
    "mispick_rate": "lines shipped wrong / lines of shipped original shipments",
    "mispicks_caught_share": "share of mis-picked lines caught at the pack check",
    "reship_rate": "share of orders placed with a reship or replacement shipment",
    "address_error_rate": "share of shipped orders with a wrong address",
    "damage_rate": "damaged / delivered original shipments",
    "reship_cost_per_order": "postage + cartons of reships and replacements handed to the "
                             "carrier in the window, per order placed (part of "
                             "postage_cost_per_order and carton_cost_per_order)",
    "quality_cost_per_order": "carrier address-correction and return-to-sender fees, wrong-item "
                              "return labels and units written off (at unit cost) in the "
                              "window, per order placed",
    "cost_to_serve_per_order": "total_cost_per_order + quality_cost_per_order",
    # international orders (runs with [international] only, see sim.international)
    "international_share": "share of the window's orders going abroad ([international])",
    "international_orders": "orders placed in the window going abroad",
    "customs_h_mean": "mean customs clearance hours of the window's orders abroad (added to "
                      "their parcels' transit)",
    "customs_h_p90": "90th percentile of customs clearance hours of the window's orders abroad",
    "duties_paid": "duties and taxes the shipper pays for the window's orders abroad "
                   "(delivered-duty-paid channels)",
    "duties_paid_per_order": "duties_paid per order placed in the window",
    "duties_paid_per_international_order": "duties_paid per order abroad placed in the window",
    "duties_customer_paid": "duties and taxes the customers pay for the window's orders abroad "
                            "(channels not delivered duty paid; not a shipper cost)",
    "international_shipping_cost_per_order": "postage + cartons of a fully shipped order "
                                             "abroad, mean",
    "international_on_time_rate": "share of orders abroad due before the horizon delivered by "
                                  "their promise (the channel's plus the group's extra days)",
    "international_return_label_extra": "return labels of orders abroad above "
                                        "returns.label_cost (returns reaching the FC in the "
                                        "window)",
    "international_cost_per_order": "(duties_paid + international_return_label_extra) per "
                                    "order placed in the window: not in total_cost_per_order",
    # intake reviews (runs with [intake] only, see sim.intake and docs/results.md)
    "intake_hold_rate": "share of the window's orders held for review at intake",
    "intake_review_h_mean": "hours from order to the end of its intake review (staffed and "
                            "unstaffed hours), over the window's orders whose review ended by "
                            "the horizon",
    "intake_review_h_p90": "90th percentile of hours from order to the end of its intake review",
    "intake_cancel_rate": "share of the window's orders cancelled at intake review (part of "
                          "orders_cancelled)",
    "intake_in_review": "orders placed in the window still in intake review at the horizon "
                        "(part of orders_open)",
    "intake_cancelled": "orders placed in the window cancelled at intake review, by reason",
}


@dataclass(frozen=True)
class OrderOutcomes:
    """Per-order facts derived from the log (arrays indexed by order id)."""

    placed_h: np.ndarray
    promise_h: np.ndarray
    n_shipments: np.ndarray
    shipped_h: np.ndarray  # time the last shipment shipped; nan if not fully shipped
    delivered_h: np.ndarray  # nan if not fully delivered
    held: np.ndarray  # bool
    cancelled: np.ndarray  # bool
    last_status: np.ndarray  # latest status recorded (by time, then by status order)


def _last_per_order(n: int, order: np.ndarray, times: np.ndarray) -> np.ndarray:
    out = np.full(n, -np.inf)
    np.maximum.at(out, order, times)
    return out


def order_outcomes(log: EventLog) -> OrderOutcomes:
    """Derive each order's shipped and delivered times and flags from the event log (kept in
    ``log.derived``: the KPIs and the series of one run share it)."""
    kept = log.derived.get("order_outcomes")
    if isinstance(kept, OrderOutcomes):
        return kept
    oc = _order_outcomes(log)
    log.derived["order_outcomes"] = oc
    return oc


def _order_outcomes(log: EventLog) -> OrderOutcomes:
    ev = log["events"]
    n = log.n_rows("orders")
    status, order, t = ev["status"], ev["order_id"].astype(np.int64), ev["time_h"]
    n_ship = np.bincount(log["shipments"]["order_id"], minlength=n)
    shipped = status == Status.SHIPPED
    delivered = status == Status.DELIVERED
    n_shipped = np.bincount(order[shipped], minlength=n)
    n_delivered = np.bincount(order[delivered], minlength=n)
    # a parcel returned to sender never arrives (its order is reshipped): not waited for
    n_rts = np.bincount(order[status == Status.RETURNED_TO_SENDER], minlength=n)
    ship_t = _last_per_order(n, order[shipped], t[shipped])
    deliv_t = _last_per_order(n, order[delivered], t[delivered])
    full_ship = (n_ship > 0) & (n_shipped == n_ship)
    full_deliv = (n_delivered > 0) & (n_delivered == n_ship - n_rts)
    held = np.zeros(n, bool)
    held[order[status == Status.ON_HOLD]] = True
    cancelled = np.zeros(n, bool)
    cancelled[order[status == Status.CANCELLED]] = True
    # latest status: sort by (order, time, status) and take each order's last row (the
    # intake statuses rank before the floor's: an order routed as its review ends is routed)
    idx = np.lexsort((_STATUS_RANK[status], t, order))
    last = np.full(n, -1, np.int64)
    last[order[idx]] = status[idx]
    return OrderOutcomes(
        placed_h=log["orders"]["placed_h"],
        promise_h=log["orders"]["promise_h"],
        n_shipments=n_ship,
        shipped_h=np.where(full_ship, ship_t, np.nan),
        delivered_h=np.where(full_deliv, deliv_t, np.nan),
        held=held,
        cancelled=cancelled,
        last_status=last,
    )


_STATUS_RANK = np.array([float(s) for s in Status])
_STATUS_RANK[Status.INTAKE_HOLD] = 0.25
_STATUS_RANK[Status.INTAKE_RELEASED] = 0.5
"""Order of statuses recorded at the same time (the lifecycle's, not the codes')."""


def _pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if len(x) else float("nan")


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else float("nan")


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _overlap(a: np.ndarray, b: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Length of each interval [a, b] inside [lo, hi]."""
    return np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0.0, None)


def task_intervals(log: EventLog, start: Status, end: Status
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each shipment's task from its ``start`` event to its ``end`` event: start times (NaN
    if the task never began) and end times (the horizon if it had not ended)."""
    began = _event_time(log, start)
    ended = _event_time(log, end)
    return began, np.where(np.isnan(ended), log.horizon_h, ended)


def task_busy_hours(log: EventLog, start: Status, end: Status, lo: float,
                    hi: float) -> np.ndarray:
    """Hours each FC's workers spent on tasks (``start`` to ``end`` events) inside [lo, hi].

    A task still in progress at the horizon counts up to the horizon.
    """
    fcs = log["shipments"]["fc"].astype(np.int64)
    began, ended = task_intervals(log, start, end)
    ok = ~np.isnan(began)
    busy = _overlap(began[ok], ended[ok], lo, hi)
    return np.bincount(fcs[ok], weights=busy, minlength=len(log.fc_names))


def paid_hours(log: EventLog, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Picker and packer hours paid per FC inside [lo, hi], from the shift table."""
    sh = log["shifts"]
    F = len(log.fc_names)
    hours = _overlap(sh["start_h"], sh["end_h"], lo, hi)
    fc = sh["fc"].astype(np.int64)
    return (np.bincount(fc, weights=hours * sh["pickers"], minlength=F),
            np.bincount(fc, weights=hours * sh["packers"], minlength=F))


def shipping_cost_by_shipment(log: EventLog) -> np.ndarray:
    """Postage plus carton cost of each shipment (NaN until it is labelled at packing)."""
    lb = log["labels"]
    cost = np.full(log.n_rows("shipments"), np.nan)
    cost[lb["shipment_id"]] = lb["postage"].astype(float) + lb["carton_cost"]
    return cost


def shipping_cost_by_order(log: EventLog) -> np.ndarray:
    """Shipping cost of each order (sum over its shipments; NaN if one is not labelled)."""
    sh = log["shipments"]
    return np.bincount(sh["order_id"], weights=shipping_cost_by_shipment(log),
                       minlength=log.n_rows("orders"))


def fixed_cost(log: EventLog) -> float:
    """FC fixed costs of the measurement window: its days x the open FCs' cost per day.

    Runs written before FCs had a fixed cost lack ``fc_fixed_cost_per_day``: no fixed cost.
    """
    per_day = np.asarray(log.meta.get("fc_fixed_cost_per_day", []), float)
    return (log.horizon_h - log.warmup_h) / 24.0 * float(per_day.sum())


def _event_time(log: EventLog, status: Status) -> np.ndarray:
    """Time of ``status`` for each shipment (NaN if it did not happen)."""
    ev = log["events"]
    out = np.full(log.n_rows("shipments"), np.nan)
    m = ev["status"] == status
    out[ev["shipment_id"][m]] = ev["time_h"][m]
    return out


def shipping_kpis(log: EventLog, win: np.ndarray, oc: OrderOutcomes) -> dict[str, float]:
    """Parcel economics of the shipped shipments of the window's orders."""
    k: dict[str, float] = {}
    sh, lb = log["shipments"], log["labels"]
    shipped_h = _event_time(log, Status.SHIPPED)
    delivered_h = _event_time(log, Status.DELIVERED)
    exception_h = _event_time(log, Status.EXCEPTION)
    sel = win[sh["order_id"]] & ~np.isnan(shipped_h)  # shipments, shipped, of window orders
    cost = shipping_cost_by_shipment(log)
    n_sel = int(sel.sum())
    k["shipping_cost_per_shipment"] = _mean(cost[sel])
    k["shipping_cost_per_unit"] = _ratio(float(np.nansum(cost[sel])),
                                         float(sh["n_units"][sel].sum()))
    billable = np.full(log.n_rows("shipments"), np.nan)
    billable[lb["shipment_id"]] = lb["billable_lb"]
    parcels = np.zeros(log.n_rows("shipments"))
    parcels[lb["shipment_id"]] = lb["parcels"]
    actual = sh["weight_lb"].astype(float)
    k["billable_to_actual_weight"] = _ratio(float(np.nansum(billable[sel])),
                                            float(actual[sel].sum()))
    rounded = np.maximum(parcels, np.ceil(np.round(actual, 6)))
    k["dim_weight_share"] = _mean((billable[sel] > rounded[sel]).astype(float))
    k["parcels_per_shipment"] = _mean(parcels[sel])
    transit = (delivered_h - shipped_h)[sel] / 24.0
    transit = transit[~np.isnan(transit)]
    k["transit_days_p50"] = _pct(transit, 50)
    k["transit_days_p90"] = _pct(transit, 90)
    k["exception_rate"] = _ratio(int((~np.isnan(exception_h[sel])).sum()), n_sel)
    zones = np.bincount(sh["zone"][sel].astype(np.int64), minlength=9)
    for z in range(1, 9):
        k[f"zone_share.{z}"] = _ratio(int(zones[z]), n_sel)
    service = np.full(log.n_rows("shipments"), -1)
    service[lb["shipment_id"]] = lb["service"]
    promise = oc.promise_h[sh["order_id"]]
    due = sel & (promise <= log.horizon_h)
    names = list(log.meta.get("service_names", []))  # type: ignore[call-overload]
    for s, name in enumerate(names):
        mine = sel & (service == s)
        k[f"service_share.{name}"] = _ratio(int(mine.sum()), n_sel)
        d = due & (service == s)
        k[f"service_on_time_rate.{name}"] = _ratio(
            int((delivered_h[d] <= promise[d]).sum()), int(d.sum()))
    return k


def compute_kpis(log: EventLog) -> dict[str, float]:
    """All KPIs of one run, for orders placed in the measurement window.

    Per-FC KPIs are keyed ``"<kpi>.<fc name>"``.  See :data:`KPI_DOC` for definitions.
    """
    lo, hi = log.warmup_h, log.horizon_h
    oc = order_outcomes(log)
    win = (oc.placed_h >= lo) & (oc.placed_h < hi)
    shipped = win & ~np.isnan(oc.shipped_h)
    delivered = win & ~np.isnan(oc.delivered_h)
    cancelled = win & oc.cancelled
    released = win & (oc.n_shipments > 0)
    k: dict[str, float] = {}
    n_win = int(win.sum())
    k["orders_placed"] = n_win
    k["orders_shipped"] = int(shipped.sum())
    k["orders_delivered"] = int(delivered.sum())
    k["orders_open"] = n_win - int(shipped.sum()) - int(cancelled.sum())
    k["orders_cancelled"] = int(cancelled.sum())
    c2s = oc.shipped_h[shipped] - oc.placed_h[shipped]
    c2d = (oc.delivered_h[delivered] - oc.placed_h[delivered]) / 24.0
    for name, x in (("click_to_ship_h", c2s), ("click_to_deliver_days", c2d)):
        k[f"{name}_mean"] = _mean(x)
        for q in (50, 90, 95):
            k[f"{name}_p{q}"] = _pct(x, q)
    due = win & (oc.promise_h <= hi)
    on_time = due & (oc.delivered_h <= oc.promise_h)  # nan compares False: late or undelivered
    k["on_time_rate"] = _ratio(int(on_time.sum()), int(due.sum()))

    pick_paid, pack_paid = paid_hours(log, lo, hi)
    wage = np.asarray(log.meta["labor_cost_per_hour"], float)
    labor_cost = float(np.dot(pick_paid + pack_paid, wage))
    sh, lb = log["shipments"], log["labels"]
    # postage and cartons of the shipments handed to the carrier inside the window: costs of
    # the window, as labor, holding, returns and fixed costs are (orders still in the FC at the
    # horizon would otherwise leave their postage out while their labor is counted)
    sent_h = _event_time(log, Status.SHIPPED)[lb["shipment_id"]]
    sent = (sent_h >= lo) & (sent_h < hi)
    postage = float(lb["postage"][sent].astype(float).sum())
    cartons = float(lb["carton_cost"][sent].astype(float).sum())
    inv: dict[str, float] = {}
    if "returns" in log:  # logs written before inventory was modelled lack the tables
        from sim.inventory import inventory_kpis

        inv = inventory_kpis(log)
    # the inventory KPIs' own figures (no inventory modelled: none)
    holding = inv.get("holding_cost", 0.0)
    returns = inv.get("returns_cost", 0.0)
    fixed = fixed_cost(log)
    k["total_cost_per_order"] = _ratio(labor_cost + postage + cartons + holding + returns
                                       + fixed, n_win)
    k["labor_cost_per_order"] = _ratio(labor_cost, n_win)
    k["postage_cost_per_order"] = _ratio(postage, n_win)
    k["carton_cost_per_order"] = _ratio(cartons, n_win)
    k["holding_cost_per_order"] = _ratio(holding, n_win)
    k["returns_cost_per_order"] = _ratio(returns, n_win)
    k["fixed_cost_per_order"] = _ratio(fixed, n_win)
    k["shipping_cost_per_order"] = _mean(shipping_cost_by_order(log)[shipped])
    k["cost_per_order"] = k["labor_cost_per_order"] + k["shipping_cost_per_order"]
    n_ship = oc.n_shipments
    if "quality_shipments" in log:  # reships and replacements are not splits
        qs = log["quality_shipments"]
        n_ship = n_ship - np.bincount(qs["order_id"][qs["issue"] == Issue.RESHIP],
                                      minlength=len(n_ship))
    k["shipments_per_order"] = _mean(n_ship[released].astype(float))
    k["split_shipment_rate"] = _mean((n_ship[released] > 1).astype(float))
    k["hold_rate"] = _mean(oc.held[win].astype(float))

    k.update(shipping_kpis(log, win, oc))

    pick_busy = task_busy_hours(log, Status.PICK_START, Status.PICKED, lo, hi)
    pack_busy = task_busy_hours(log, Status.PACK_START, Status.PACKED, lo, hi)
    in_win = win[sh["order_id"]]
    per_fc = np.bincount(sh["fc"][in_win].astype(np.int64), minlength=len(log.fc_names))
    for f, name in enumerate(log.fc_names):
        k[f"picker_utilization.{name}"] = _ratio(float(pick_busy[f]), float(pick_paid[f]))
        k[f"packer_utilization.{name}"] = _ratio(float(pack_busy[f]), float(pack_paid[f]))
        k[f"shipments.{name}"] = int(per_fc[f])
        k[f"shipment_share.{name}"] = _ratio(float(per_fc[f]), float(per_fc.sum()))
    k.update(inv)
    if "quality_shipments" in log:  # only runs that model order errors have it
        k.update(quality_kpis(log, win, oc, k["total_cost_per_order"]))
    if "intake" in log:  # only runs with intake reviews have it
        k.update(intake_kpis(log, win, oc))
    if "international" in log:  # only runs with international orders have it
        k.update(international_kpis(log, win, oc))
    return k


def international_kpis(log: EventLog, win: np.ndarray, oc: OrderOutcomes) -> dict[str, float]:
    """Orders abroad: their share, customs clearance, duties and taxes, shipping cost, on-time
    rate and extra return label cost (see :data:`KPI_DOC`)."""
    it = log["international"]
    n = log.n_rows("orders")
    mine = win[it["order_id"]]
    abroad = np.zeros(n, bool)
    abroad[it["order_id"][mine]] = True
    n_win, n_abroad = int(win.sum()), int(abroad.sum())
    ddp = mine & (it["ddp"] == 1)
    paid = float(it["duties"][ddp].sum())
    shipped = abroad & ~np.isnan(oc.shipped_h)
    due = abroad & (oc.promise_h <= log.horizon_h)
    on_time = due & (oc.delivered_h <= oc.promise_h)
    # return labels abroad cost more than returns.label_cost: the difference, per returned
    # shipment of an order abroad (returns reaching the FC in the window, as returns_cost)
    extra = 0.0
    if "returns" in log:
        rt = log["returns"]
        rw = (rt["time_h"] >= log.warmup_h) & (rt["time_h"] < log.horizon_h)
        label = np.full(n, np.nan)
        label[it["order_id"]] = it["return_label_cost"]
        sids, first = np.unique(rt["shipment_id"][rw], return_index=True)
        oid = rt["order_id"][rw][first]
        base = float(log.meta.get("returns_label_cost", 0.0))  # type: ignore[arg-type]
        extra = float(np.nansum(label[oid] - base)) if len(sids) else 0.0
    return {
        "international_share": _ratio(n_abroad, n_win),
        "international_orders": n_abroad,
        "customs_h_mean": _mean(it["customs_h"][mine]),
        "customs_h_p90": _pct(it["customs_h"][mine], 90),
        "duties_paid": paid,
        "duties_paid_per_order": _ratio(paid, n_win),
        "duties_paid_per_international_order": _ratio(paid, n_abroad),
        "duties_customer_paid": float(it["duties"][mine & (it["ddp"] == 0)].sum()),
        "international_shipping_cost_per_order": _mean(shipping_cost_by_order(log)[shipped]),
        "international_on_time_rate": _ratio(int(on_time.sum()), int(due.sum())),
        "international_return_label_extra": extra,
        "international_cost_per_order": _ratio(paid + extra, n_win),
    }


def intake_kpis(log: EventLog, win: np.ndarray, oc: OrderOutcomes) -> dict[str, float]:
    """Orders held for review at intake, the review's length and its cancellations (see
    :data:`KPI_DOC`)."""
    n = log.n_rows("orders")
    ev, ik = log["events"], log["intake"]
    held = np.zeros(n, bool)
    held[ev["order_id"][ev["status"] == Status.INTAKE_HOLD]] = True
    reviewed = np.zeros(n, bool)
    reviewed[ik["order_id"]] = True
    mine = win[ik["order_id"]]
    review_h = ik["time_h"][mine] - oc.placed_h[ik["order_id"][mine]]
    cancel = mine & (ik["outcome"] == IntakeOutcome.CANCELLED)
    n_win = int(win.sum())
    k: dict[str, float] = {
        "intake_hold_rate": _ratio(int((win & held).sum()), n_win),
        "intake_review_h_mean": _mean(review_h),
        "intake_review_h_p90": _pct(review_h, 90),
        "intake_cancel_rate": _ratio(int(cancel.sum()), n_win),
        "intake_in_review": int((win & held & ~reviewed).sum()),
    }
    by_reason = np.bincount(ik["reason"][cancel], minlength=len(IntakeReason))
    for r in IntakeReason:
        k[f"intake_cancelled.{r.name.lower()}"] = int(by_reason[r])
    return k


def quality_kpis(log: EventLog, win: np.ndarray, oc: OrderOutcomes,
                 total_cost_per_order: float) -> dict[str, float]:
    """SCOR perfect order fulfillment, its components, and the error rates and costs of
    mis-picks, wrong addresses and damage (see :data:`KPI_DOC` and docs/results.md)."""
    lo, hi = log.warmup_h, log.horizon_h
    n, n_sh = log.n_rows("orders"), log.n_rows("shipments")
    sh, sl = log["shipments"], log["shipment_lines"]
    ql, qs = log["quality_lines"], log["quality_shipments"]
    sh_order = sh["order_id"].astype(np.int64)
    reship = np.zeros(n_sh, bool)
    reship[qs["shipment_id"][qs["issue"] == Issue.RESHIP]] = True
    shipped_h = _event_time(log, Status.SHIPPED)
    delivered_h = _event_time(log, Status.DELIVERED)
    original = ~reship

    def orders_with(ids: np.ndarray) -> np.ndarray:
        out = np.zeros(n, bool)
        out[ids] = True
        return out

    wrong_line = ql["issue"] == Issue.MISPICK_SHIPPED
    wrong_line &= ~np.isnan(shipped_h[ql["shipment_id"]])
    wrong = orders_with(ql["order_id"][wrong_line])
    damaged = orders_with(qs["order_id"][qs["issue"] == Issue.DAMAGED])
    ev = log["events"]
    address = orders_with(np.concatenate([
        qs["order_id"][qs["issue"] == Issue.ADDRESS_CORRECTED],
        ev["order_id"][ev["status"] == Status.RETURNED_TO_SENDER]]).astype(np.int64))
    n_orig = np.bincount(sh_order[original], minlength=n)
    got = original & ~np.isnan(delivered_h)
    n_got = np.bincount(sh_order[got], minlength=n)
    last_got = np.full(n, -np.inf)
    np.maximum.at(last_got, sh_order[got], delivered_h[got])
    all_got = (n_orig > 0) & (n_got == n_orig)
    due = win & (oc.promise_h <= hi)
    in_full = all_got & ~wrong
    on_time = all_got & (last_got <= oc.promise_h)
    parts = {"in_full_rate": in_full, "on_time_component_rate": on_time,
             "perfect_condition_rate": ~damaged, "accurate_documentation_rate": ~address}
    k: dict[str, float] = {"perfect_order_rate": _ratio(
        int((due & in_full & on_time & ~damaged & ~address).sum()), int(due.sum()))}
    for name, ok in parts.items():
        k[name] = _ratio(int((due & ok).sum()), int(due.sum()))
    # lines of the window's original shipments handed to the carrier
    sent = original & ~np.isnan(shipped_h) & win[sh_order]
    line_sent = sent[sl["shipment_id"]]
    mine = sent[ql["shipment_id"]]
    n_wrong = int((wrong_line & mine).sum())
    n_caught = int(((ql["issue"] == Issue.MISPICK_CAUGHT) & mine).sum())
    k["mispick_rate"] = _ratio(n_wrong, int(line_sent.sum()))
    k["mispicks_caught_share"] = _ratio(n_caught, n_caught + n_wrong)
    n_win = int(win.sum())
    k["reship_rate"] = _ratio(int((win & orders_with(sh_order[reship])).sum()), n_win)
    shipped_orders = orders_with(sh_order[sent])
    k["address_error_rate"] = _ratio(int((shipped_orders & address & win).sum()),
                                     int((shipped_orders & win).sum()))
    dmg_ship = np.zeros(n_sh, bool)
    dmg_ship[qs["shipment_id"][qs["issue"] == Issue.DAMAGED]] = True
    arrived = original & ~np.isnan(delivered_h) & win[sh_order]
    k["damage_rate"] = _ratio(int((arrived & dmg_ship).sum()), int(arrived.sum()))
    # costs incurred inside the window, per order placed (as total_cost_per_order)
    cost = shipping_cost_by_shipment(log)
    in_window = reship & (shipped_h >= lo) & (shipped_h < hi)
    k["reship_cost_per_order"] = _ratio(float(np.nansum(cost[in_window])), n_win)
    qw = (qs["time_h"] >= lo) & (qs["time_h"] < hi)
    lw = (ql["time_h"] >= lo) & (ql["time_h"] < hi)
    unit_cost = np.asarray(log.meta.get("sku_unit_cost", []), float)
    written = ql["written_off"][lw].astype(float)
    write_off = float((written * unit_cost[ql["sku"][lw]]).sum()) if written.any() else 0.0
    back = lw & (ql["issue"] == Issue.WRONG_ITEM_BACK)
    labels = len(np.unique(ql["shipment_id"][back])) \
        * float(log.meta.get("returns_label_cost", 0.0))  # type: ignore[arg-type]
    quality = float(qs["fee"][qw].astype(float).sum()) + write_off + labels
    k["quality_cost_per_order"] = _ratio(quality, n_win)
    k["cost_to_serve_per_order"] = total_cost_per_order + k["quality_cost_per_order"]
    return k


def open_orders_by_status(log: EventLog) -> dict[str, int]:
    """Orders (all, warm-up included) neither fully shipped nor cancelled, by latest status."""
    oc = order_outcomes(log)
    open_ = np.isnan(oc.shipped_h) & ~oc.cancelled
    counts = np.bincount(oc.last_status[open_], minlength=len(Status))
    return {s.name.lower(): int(counts[s]) for s in Status if counts[s]}


ROW_DOC: dict[str, str] = {
    "zone_share": "share of shipped shipments that went to carrier zone {}",
    "service_share": "share of shipped shipments sent with carrier service {}",
    "service_on_time_rate": "share of service {}'s shipments due before the horizon that "
                            "arrived by the order's promise",
    "picker_utilization": "picking hours worked / picker hours paid at FC {}",
    "packer_utilization": "packing hours worked / packer hours paid at FC {}",
    "shipments": "shipments of the window's orders sent from FC {}",
    "shipment_share": "share of the window's shipments sent from FC {}",
    "intake_cancelled": "orders placed in the window cancelled at intake review for reason {}",
}
"""Meaning of one row of a KPI with one row per zone, service or FC (``<kpi>.<which>``)."""


def kpi_doc(name: str) -> str:
    """Definition of a KPI; a per-zone, per-service or per-FC row (``picker_utilization.
    chicago``, ``zone_share.3``) gets its own, naming the zone, service or FC."""
    from sim.inventory import INVENTORY_KPI_DOC

    base, dot, which = name.partition(".")
    if dot and base in ROW_DOC:
        return ROW_DOC[base].format(which)
    return KPI_DOC.get(base) or INVENTORY_KPI_DOC.get(base, "")
