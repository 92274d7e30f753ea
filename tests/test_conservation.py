"""Conservation laws: no order and no unit of stock is lost or created, over seeds and policies."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.eventlog import EventLog, Status
from sim.kpis import compute_kpis, order_outcomes
from tests.conftest import MakeScenario, run

SHIPMENT_SEQUENCE = [Status.PICK_START, Status.PICKED, Status.PACK_START, Status.PACKED,
                     Status.SHIPPED, Status.DELIVERED]


def check_orders(log: EventLog) -> dict[str, int]:
    """Every order ends in exactly one of: fully shipped, cancelled, open."""
    ev = log["events"]
    n = log.n_rows("orders")
    placed = np.bincount(ev["order_id"][ev["status"] == Status.PLACED], minlength=n)
    assert np.all(placed == 1), "each order is placed exactly once"
    oc = order_outcomes(log)
    shipped = ~np.isnan(oc.shipped_h)
    cancelled = oc.cancelled
    open_ = ~shipped & ~cancelled
    assert not np.any(shipped & cancelled)
    assert shipped.sum() + cancelled.sum() + open_.sum() == n
    # a cancelled order never reached the floor; an order on the floor is never cancelled
    assert np.all(oc.n_shipments[cancelled] == 0)
    # open orders' latest status is not shipped/delivered/cancelled unless partly shipped
    partly = open_ & (oc.n_shipments > 1)
    assert np.all(np.isin(oc.last_status[open_ & ~partly],
                          [Status.PLACED, Status.ON_HOLD, Status.RELEASED, Status.PICK_START,
                           Status.PICKED, Status.PACK_START, Status.PACKED,
                           Status.INTAKE_HOLD, Status.INTAKE_RELEASED]))  # ([intake] only)
    # delivered implies shipped, and delivery never precedes shipping
    deliv = ~np.isnan(oc.delivered_h)
    assert np.all(shipped[deliv])
    assert np.all(oc.delivered_h[deliv] >= oc.shipped_h[deliv])
    assert np.all(oc.shipped_h[shipped] >= oc.placed_h[shipped])
    return {"shipped": int(shipped.sum()), "cancelled": int(cancelled.sum()),
            "open": int(open_.sum()), "held": int(oc.held.sum())}


def check_shipments(log: EventLog) -> None:
    """Each shipment moves through pick, pack, ship, deliver once each and in time order."""
    ev = log["events"]
    m = ev["shipment_id"] >= 0
    sid, st, t = ev["shipment_id"][m], ev["status"][m], ev["time_h"][m]
    n = log.n_rows("shipments")
    times = {}
    for s in SHIPMENT_SEQUENCE:
        sel = st == s
        assert np.bincount(sid[sel], minlength=n).max(initial=0) <= 1, f"{s.name} twice"
        arr = np.full(n, np.nan)
        arr[sid[sel]] = t[sel]
        times[s] = arr
    for a, b in itertools.pairwise(SHIPMENT_SEQUENCE):
        both = ~np.isnan(times[a]) & ~np.isnan(times[b])
        assert np.all(times[a][both] <= times[b][both]), f"{a.name} after {b.name}"
        # a later stage never happens without the earlier one
        assert not np.any(np.isnan(times[a]) & ~np.isnan(times[b]))
    # the order and FC of each event match the shipment's
    assert np.array_equal(ev["order_id"][m], log["shipments"]["order_id"][sid])
    assert np.array_equal(ev["fc"][m], log["shipments"]["fc"][sid])
    # nothing after the horizon
    assert ev["time_h"].max() <= log.horizon_h


def check_units(log: EventLog) -> None:
    """initial + received = on hand + allocated, per FC and SKU; shipped <= available."""
    st = log["stock"]
    F, K = len(log.fc_names), int(st["sku"].max()) + 1
    key = lambda fc, sku: fc.astype(np.int64) * K + sku  # noqa: E731
    initial = np.bincount(key(st["fc"], st["sku"]), weights=st["initial"], minlength=F * K)
    final = np.bincount(key(st["fc"], st["sku"]), weights=st["on_hand"], minlength=F * K)
    rc = log["receipts"]
    received = np.bincount(key(rc["fc"], rc["sku"]), weights=rc["units"], minlength=F * K)
    sl, sh = log["shipment_lines"], log["shipments"]
    line_fc = sh["fc"][sl["shipment_id"]]
    allocated = np.bincount(key(line_fc, sl["sku"]), weights=sl["units"], minlength=F * K)
    np.testing.assert_array_equal(initial + received, final + allocated)
    assert final.min() >= 0
    ev = log["events"]
    shipped_ids = ev["shipment_id"][ev["status"] == Status.SHIPPED]
    is_shipped = np.zeros(log.n_rows("shipments"), bool)
    is_shipped[shipped_ids] = True
    sel = is_shipped[sl["shipment_id"]]
    shipped_units = np.bincount(key(line_fc[sel], sl["sku"][sel]), weights=sl["units"][sel],
                                minlength=F * K)
    assert np.all(shipped_units <= initial + received)


def check_lines(log: EventLog) -> None:
    """A released order's shipment lines are exactly its order lines (no unit lost or added)."""
    ol, sl, sh = log["order_lines"], log["shipment_lines"], log["shipments"]
    K = int(max(ol["sku"].max(), sl["sku"].max())) + 1
    released = np.zeros(log.n_rows("orders"), bool)
    released[sh["order_id"]] = True
    sel = released[ol["order_id"]]
    want = np.bincount(ol["order_id"][sel].astype(np.int64) * K + ol["sku"][sel],
                       weights=ol["units"][sel])
    got = np.bincount(sh["order_id"][sl["shipment_id"]].astype(np.int64) * K + sl["sku"],
                      weights=sl["units"], minlength=len(want))
    np.testing.assert_array_equal(want, got[: len(want)])
    assert len(got) == len(want) or not got[len(want):].any()


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("policy", ["nearest", "nearest_ignoring_stock", "least_loaded"])
def test_conservation_with_stockouts(make_scenario: MakeScenario, seed: int, policy: str) -> None:
    sc = make_scenario(run={"seed": seed}, routing={"policy": policy})
    log = run(sc)
    counts = check_orders(log)
    check_shipments(log)
    check_units(log)
    check_lines(log)
    # the scenario is tight on stock: holds really happen
    assert counts["held"] > 0 and counts["shipped"] > 0
    k = compute_kpis(log)
    assert k["orders_placed"] == k["orders_shipped"] + k["orders_open"] + k["orders_cancelled"]


def test_conservation_without_replenishment(make_scenario: MakeScenario) -> None:
    """With no replenishment, shipped units are bounded by the initial stock alone."""
    sc = make_scenario(replenishment={"policy": "none"})
    log = run(sc)
    assert log.n_rows("receipts") == 0
    check_orders(log)
    check_units(log)
    check_lines(log)
    st = log["stock"]
    assert log["shipment_lines"]["units"].sum() <= st["initial"].sum()
    # stock runs out: orders wait on hold, and are cancelled after two days there
    assert (log["events"]["status"] == Status.ON_HOLD).sum() > 0
    assert (log["events"]["status"] == Status.CANCELLED).sum() > 0


def test_splits_and_cancellations_happen_and_conserve(make_scenario: MakeScenario) -> None:
    sc = make_scenario(run={"seed": 11})
    log = run(sc)
    n_ship = np.bincount(log["shipments"]["order_id"], minlength=log.n_rows("orders"))
    assert (n_ship > 1).sum() > 0, "the tight scenario should force some split shipments"
    counts = check_orders(log)
    assert counts["cancelled"] > 0
    check_lines(log)
    check_units(log)
