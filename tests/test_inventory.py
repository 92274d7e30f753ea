"""Inventory in the model: units conserved with purchases, receiving limits, transfers and
returns; stockout rules (re-route, backorder released first come first served); stock levels
recomputed from the log equal the model's own state."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.eventlog import EventLog, Source, Status
from sim.inventory import (
    backorder_changes,
    inventory_kpis,
    levels_at,
    on_hand_changes,
    on_order_changes,
    stock_series,
)
from sim.model import FulfillmentModel
from sim.network import build_network
from tests.conftest import MakeScenario, run
from tests.test_conservation import check_lines, check_orders, check_shipments
from tests.test_inventory_theory import one_sku


def _by_key(log: EventLog, table: str, fc: str, units: str = "units") -> np.ndarray:
    F, K = len(log.fc_names), int(log["stock"]["sku"].max()) + 1
    t = log[table]
    return np.bincount(t[fc].astype(np.int64) * K + t["sku"], weights=t[units],
                       minlength=F * K).astype(np.int64)


def check_unit_balance(log: EventLog) -> None:
    """Per FC and SKU: initial + receipts + transfers in + returned
    = shipped + written off + transfers out + final stock (available, allocated and not yet
    shipped, in inspection)."""
    st, ev = log["stock"], log["events"]
    F, K = len(log.fc_names), int(st["sku"].max()) + 1
    key = st["fc"].astype(np.int64) * K + st["sku"]
    initial = np.zeros(F * K, np.int64)
    final = np.zeros(F * K, np.int64)
    inspecting = np.zeros(F * K, np.int64)
    initial[key], final[key], inspecting[key] = st["initial"], st["on_hand"], st["in_inspection"]
    rc = log["receipts"]
    supplier = rc["kind"] == Source.SUPPLIER
    received = np.bincount((rc["fc"].astype(np.int64) * K + rc["sku"])[supplier],
                           weights=rc["units"][supplier], minlength=F * K).astype(np.int64)
    transfers_in = np.bincount((rc["fc"].astype(np.int64) * K + rc["sku"])[rc["kind"] == 1],
                               weights=rc["units"][rc["kind"] == 1], minlength=F * K)
    transfers_out = _by_key(log, "transfers", "from_fc")
    returned = _by_key(log, "returns", "fc")
    written_off = _by_key(log, "returns", "fc", "written_off")
    sl, sh = log["shipment_lines"], log["shipments"]
    shipped_sid = np.zeros(log.n_rows("shipments"), bool)
    shipped_sid[ev["shipment_id"][ev["status"] == Status.SHIPPED]] = True
    line_key = sh["fc"][sl["shipment_id"]].astype(np.int64) * K + sl["sku"]
    gone = shipped_sid[sl["shipment_id"]]
    shipped = np.bincount(line_key[gone], weights=sl["units"][gone], minlength=F * K)
    allocated = np.bincount(line_key[~gone], weights=sl["units"][~gone], minlength=F * K)
    lhs = initial + received + transfers_in + returned
    rhs = shipped + written_off + transfers_out + final + allocated + inspecting
    np.testing.assert_array_equal(lhs, rhs)
    # every transfer sent has arrived or is still on its way
    tr = log["transfers"]
    assert transfers_in.sum() + tr["units"][tr["arrive_h"] > log.horizon_h].sum() \
        >= tr["units"].sum() - tr["units"][tr["arrive_h"] == log.horizon_h].sum()
    # the levels recomputed from the log are the model's own final state
    end = np.array([log.horizon_h + 1.0])
    np.testing.assert_array_equal(levels_at(on_hand_changes(log), end)[0], final)
    back = np.zeros(F * K, np.int64)
    back[key] = st["backordered"]
    np.testing.assert_array_equal(levels_at(backorder_changes(log), end)[0], back)
    on_order = np.zeros(F * K, np.int64)
    on_order[key] = st["on_order"]
    np.testing.assert_array_equal(levels_at(on_order_changes(log), end)[0], on_order)
    assert final.min() >= 0


RICH: dict[str, Any] = {
    "replenishment": {"policy": "none",
                      "classes": {"A": {"policy": "sS", "s_days": 1.0, "S_days": 3.0},
                                  "B": {"policy": "rQ", "s_days": 1.0, "Q_days": 2.0},
                                  "C": {"policy": "RS", "S_days": 6.0, "review_weekday": "wed"}}},
    "suppliers": {
        "fast": {"lead_time_days": {"mean": 2.0, "dist": "gamma", "cv": 0.4},
                 "classes": ["A"], "moq_units": 20, "case_pack": 6, "fixed_cost_per_po": 40},
        "slow": {"lead_time_days": {"mean": 4.0, "business_days": True},
                 "classes": ["B", "C"], "unit_cost_share": 0.4},
    },
    "returns": {"probability": 0.25, "delay_days": {"mean": 3.0, "dist": "gamma", "cv": 0.5},
                "label_cost": 6.0, "inspect_min_per_unit": 4.0, "restock_probability": 0.7},
    "transfers": {"policy": "rebalance", "trigger_days": 2.0, "target_days": 3.0,
                  "donor_keep_days": 3.0, "lead_time_days": 1.0},
    "fcs": {"east": {"receiving": {"units_per_day": 150, "putaway_h": 6.0}}},
}


def _rich(make_scenario: MakeScenario, tmp_path: Path, mode: str, seed: int) -> Any:
    """West starts with plenty, east with little: transfers have work to do."""
    rows = [f"{fc},{k},{u}" for fc, u in (("east", 100), ("west", 3000)) for k in "ABCDEF"]
    (tmp_path / "inv_rich.csv").write_text("fc,sku,units\n" + "\n".join(rows) + "\n")
    replace = {"replenishment": RICH["replenishment"], "inventory": {"file": "inv_rich.csv"},
               "hold": {"mode": mode, "cancel_after_days": 3.0}}
    return make_scenario({k: v for k, v in RICH.items() if k != "replenishment"},
                         run={"seed": seed, "horizon_days": 21}, replace=replace)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("mode", ["split", "reroute", "backorder"])
def test_units_conserved_with_purchases_transfers_and_returns(make_scenario: MakeScenario,
                                                               tmp_path: Path, mode: str,
                                                               seed: int) -> None:
    sc = _rich(make_scenario, tmp_path, mode, seed)
    log = run(sc)
    check_orders(log)
    check_shipments(log)
    check_lines(log)
    check_unit_balance(log)
    # everything the scenario asks for really happened
    po, rt, rc, tr = log["purchase_orders"], log["returns"], log["receipts"], log["transfers"]
    assert len(po["units"]) > 10 and len(rt["units"]) > 10 and len(tr["units"]) > 0
    fast = po["supplier"] == 0
    assert np.all(po["units"][fast] >= 20) and np.all(po["units"][fast] % 6 == 0)
    assert np.all(po["cost"][fast] >= 40)
    slow = ~fast
    due_day = (po["due_h"][slow] // 24).astype(int)
    assert all(build_network(sc).weekday(d) < 5 for d in due_day)  # business days
    assert rt["written_off"].sum() > 0 and rt["restocked"].sum() > 0
    assert np.all(rc["units"][rc["kind"] == Source.RETURN] > 0)
    # receiving at east: at most 150 units a day are received (made available 6 h later)
    east = build_network(sc).fc_names.index("east")
    sel = (rc["fc"] == east) & (rc["kind"] == Source.SUPPLIER)
    per_day = np.bincount(((rc["time_h"][sel] - 6.0) // 24).astype(int))
    assert per_day.max() <= 150
    k = inventory_kpis(log)
    assert 0 < k["return_rate"] < 0.5
    assert k["restock_rate"] + k["write_off_rate"] == pytest.approx(1.0)
    assert k["purchase_cost"] > 0 and k["holding_cost"] > 0


def test_stock_series_is_daily_per_fc(make_scenario: MakeScenario, tmp_path: Path) -> None:
    log = run(_rich(make_scenario, tmp_path, "split", 3))
    df = stock_series(log)
    assert set(df["fc"]) == set(log.fc_names)
    assert len(df) == len(log.fc_names) * int(log.horizon_h // 24)
    last = df[df["time_h"] == df["time_h"].max()]
    st = log["stock"]
    for f, name in enumerate(log.fc_names):
        row = last[last["fc"] == name].iloc[0]
        assert row["on_hand"] == st["on_hand"][st["fc"] == f].sum()
    assert (df[["on_hand", "reserved", "backordered", "on_order"]] >= 0).all().all()
    # reserved at the end = allocated units whose shipment has not been picked up
    ev, sl = log["events"], log["shipment_lines"]
    gone = np.zeros(log.n_rows("shipments"), bool)
    gone[ev["shipment_id"][ev["status"] == Status.SHIPPED]] = True
    assert last["reserved"].sum() == sl["units"][~gone[sl["shipment_id"]]].sum()


def _two_fc_stock(tmp_path: Path, east_units: int, mode: str) -> Any:
    (tmp_path / "one.csv").write_text("sku,weight_lb,length_in,width_in,height_in,unit_price,"
                                      "popularity\nX,1,6,4,2,10,1\n")
    (tmp_path / "inv.csv").write_text(f"fc,sku,units\neast,X,{east_units}\nwest,X,100000\n")
    return {"catalog": {"file": "one.csv"}, "inventory": {"file": "inv.csv"},
            "hold": {"mode": mode}, "replenishment": {"policy": "none"}}


ONE_LINE = {"demand": {"lines_per_order": {"dist": "fixed", "mean": 1}}}


def test_stockout_at_nearest_fc_routes_to_the_next(make_scenario: MakeScenario,
                                                   tmp_path: Path) -> None:
    """East runs out after 30 units: from then on its customers are served by west, with no
    order held (``reroute``); with ``backorder`` they wait at east instead."""
    sc = make_scenario(ONE_LINE, replace=_two_fc_stock(tmp_path, 30, "reroute"))
    log = run(sc)
    net = build_network(sc)
    east, west = net.fc_names.index("east"), net.fc_names.index("west")
    sh, orders = log["shipments"], log["orders"]
    near_east = net.fc_rank[orders["dest"][sh["order_id"]], 0] == east
    from_east = near_east & (sh["fc"] == east)
    from_west = near_east & (sh["fc"] == west)
    assert log["shipment_lines"]["units"][from_east].sum() <= 30
    assert from_west.sum() > 100  # the rest of east's customers went to west
    assert (log["events"]["status"] == Status.ON_HOLD).sum() == 0
    # and the first of them came after east's stock ran out
    assert sh["order_id"][from_west].min() > sh["order_id"][from_east].max() - 5

    sc = make_scenario(ONE_LINE, replace=_two_fc_stock(tmp_path, 30, "backorder"))
    log = run(sc)
    sh = log["shipments"]
    near_east = net.fc_rank[log["orders"]["dest"][sh["order_id"]], 0] == east
    assert not np.any(near_east & (sh["fc"] == west))
    assert (log["events"]["status"] == Status.ON_HOLD).sum() > 100


def test_backorders_released_first_come_first_served(tmp_path: Path) -> None:
    """Stock arrives in lots smaller than the backlog: each lot releases the oldest held
    orders, in the order they were placed."""
    sc = one_sku(tmp_path, {
        "run": {"horizon_days": 20, "warmup_days": 1, "seed": 4},
        "demand": {"orders_per_day": 50.0},
        "replenishment": {"policy": "RS", "S_units": 120, "review_period_days": 2},
        "suppliers": {"acme": {"lead_time_days": {"mean": 3}}},
    }, initial=0)
    log = run(sc)
    ev = log["events"]
    held = ev["order_id"][ev["status"] == Status.ON_HOLD]
    rel = ev["status"] == Status.RELEASED
    released, t_rel = ev["order_id"][rel], ev["time_h"][rel]
    assert len(held) > 200 and len(released) > 100
    # released in placement order, never overtaking an older order still on hold
    assert np.all(np.diff(released) > 0)
    placed = log["orders"]["placed_h"]
    for t in np.unique(t_rel):
        still_held = np.setdiff1d(held[placed[held] < t], released[t_rel <= t])
        batch = released[t_rel == t]
        assert not len(still_held) or still_held.min() > batch.max()
    # new orders never jump the queue: an order placed while others wait is itself held
    assert np.all(np.isin(np.arange(len(placed))[placed < 24.0], held))


def test_user_replenishment_policy_from_a_module(make_scenario: MakeScenario,
                                                 tmp_path: Path) -> None:
    """``module:Class`` (beside the scenario file) replenishes every class at its own period:
    purchase orders only at its reviews (Tuesdays 06:00, every 7 days)."""
    shutil.copy(Path(__file__).parent / "data" / "policies" / "weekly_cover.py", tmp_path)
    sc = make_scenario(replace={"replenishment": {
        "policy": "weekly_cover:WeeklyCover", "params": {"cover_days": 8.0, "period": 7},
        "review_weekday": "tue", "review_hour": 6.0, "lead_time_days": 0.0}})
    net = build_network(sc)
    model = FulfillmentModel(net)
    assert all(type(p).__name__ == "WeeklyCover" for p in model.replenishment)
    log = model.run()
    po = log["purchase_orders"]
    assert len(po["time_h"]) > 0
    days = (po["time_h"] // 24).astype(int)
    assert {net.weekday(d) for d in days} == {1}  # Tuesday
    assert np.allclose(po["time_h"] % 24, 6.0)
    assert sum(p.calls for p in model.replenishment) >= len(po["time_h"])
    check_unit_balance(log)
