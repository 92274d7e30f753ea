"""KPIs on a hand-built event log, where every figure can be checked with a pencil."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.eventlog import OPTIONAL_TABLES, SCHEMA, EventLog, Status
from sim.kpis import KPI_DOC, compute_kpis, kpi_doc, open_orders_by_status, order_outcomes
from sim.results import ResultsError, load_kpis, write_results
from sim.runner import run_scenario
from sim.scenario import ScenarioError
from tests.conftest import MakeScenario, run

S = Status


def hand_log() -> EventLog:
    """Two FCs, horizon 100 h, warm-up 10 h.

    order 0: placed at 5 h (inside the warm-up: excluded from window KPIs)
    order 1: placed 20 h, FC0, picked 21-22, packed 22-23, shipped 30, delivered 60; promise 70
    order 2: placed 30 h, split FC0 + FC1; FC0 ships 40 / delivers 90; FC1 ships 50 / delivers
             80; promise 72 -> late (last delivery 90)
    order 3: placed 40 h, on hold at FC1, cancelled at 88
    order 4: placed 95 h, FC1, picked 96-97 h, not packed by the horizon (open); promise 150
    """
    ev_rows = [
        # time, order, status, fc, shipment
        (5.0, 0, S.PLACED, -1, -1), (6.0, 0, S.PICK_START, 0, 0), (7.0, 0, S.PICKED, 0, 0),
        (7.0, 0, S.PACK_START, 0, 0), (8.0, 0, S.PACKED, 0, 0), (12.0, 0, S.SHIPPED, 0, 0),
        (20.0, 1, S.PLACED, -1, -1), (21.0, 1, S.PICK_START, 0, 1), (22.0, 1, S.PICKED, 0, 1),
        (22.0, 1, S.PACK_START, 0, 1), (23.0, 1, S.PACKED, 0, 1), (30.0, 1, S.SHIPPED, 0, 1),
        (60.0, 1, S.DELIVERED, 0, 1),
        (30.0, 2, S.PLACED, -1, -1),
        (31.0, 2, S.PICK_START, 0, 2), (33.0, 2, S.PICKED, 0, 2), (33.0, 2, S.PACK_START, 0, 2),
        (34.0, 2, S.PACKED, 0, 2), (40.0, 2, S.SHIPPED, 0, 2), (90.0, 2, S.DELIVERED, 0, 2),
        (32.0, 2, S.PICK_START, 1, 3), (35.0, 2, S.PICKED, 1, 3), (35.0, 2, S.PACK_START, 1, 3),
        (36.0, 2, S.PACKED, 1, 3), (50.0, 2, S.SHIPPED, 1, 3), (80.0, 2, S.DELIVERED, 1, 3),
        (40.0, 3, S.PLACED, -1, -1), (40.0, 3, S.ON_HOLD, 1, -1), (88.0, 3, S.CANCELLED, -1, -1),
        (95.0, 4, S.PLACED, -1, -1), (96.0, 4, S.PICK_START, 1, 4), (97.0, 4, S.PICKED, 1, 4),
    ]
    t, o, s, f, sh = zip(*ev_rows, strict=True)
    tables = {name: {c: np.array([], dtype=code) for c, code in cols.items()}
              for name, cols in SCHEMA.items() if name not in OPTIONAL_TABLES}
    tables["events"] = {"time_h": np.array(t), "order_id": np.array(o, np.int32),
                        "status": np.array(s, np.int8), "fc": np.array(f, np.int8),
                        "shipment_id": np.array(sh, np.int32)}
    tables["orders"] = {"placed_h": np.array([5.0, 20, 30, 40, 95]),
                        "promise_h": np.array([48.0, 70, 72, 96, 150]),
                        "channel": np.zeros(5, np.int8), "dest": np.zeros(5, np.int32),
                        "n_lines": np.ones(5, np.int16), "n_units": np.ones(5, np.int32)}
    tables["shipments"] = {"order_id": np.array([0, 1, 2, 2, 4], np.int32),
                           "fc": np.array([0, 0, 0, 1, 1], np.int8),
                           "zone": np.array([2, 4, 5, 3, 2], np.int8),
                           "n_units": np.ones(5, np.int32),
                           "weight_lb": np.array([1.0, 2.0, 0.5, 3.0, 1.0], np.float32)}
    # shipments 0-3 were labelled at packing (shipment 4 was not packed); cost = postage +
    # carton: 5, 8, 9, 11
    tables["labels"] = {"shipment_id": np.array([0, 1, 3, 2], np.int32),
                        "service": np.zeros(4, np.int8), "parcels": np.ones(4, np.int8),
                        "billable_lb": np.array([1, 3, 3, 4], np.float32),
                        "postage": np.array([4.5, 7.5, 10.5, 8.5], np.float32),
                        "carton_cost": np.full(4, 0.5, np.float32)}
    # FC0: 2 pickers + 1 packer for 0-100 h; FC1: 1 picker + 1 packer for 50-100 h
    tables["shifts"] = {"fc": np.array([0, 1], np.int8), "start_h": np.array([0.0, 50.0]),
                        "end_h": np.array([100.0, 100.0]), "pickers": np.array([2, 1]),
                        "packers": np.array([1, 1])}
    meta = {"horizon_h": 100.0, "warmup_h": 10.0, "fc_names": ["a", "b"],
            "labor_cost_per_hour": [10.0, 20.0], "service_names": ["ground"]}
    return EventLog(tables=tables, meta=meta)


def test_order_outcomes() -> None:
    oc = order_outcomes(hand_log())
    np.testing.assert_array_equal(oc.n_shipments, [1, 1, 2, 0, 1])
    np.testing.assert_array_equal(oc.shipped_h, [12, 30, 50, np.nan, np.nan])
    np.testing.assert_array_equal(oc.delivered_h, [np.nan, 60, 90, np.nan, np.nan])
    np.testing.assert_array_equal(oc.cancelled, [False, False, False, True, False])
    np.testing.assert_array_equal(oc.held, [False, False, False, True, False])
    assert oc.last_status[4] == S.PICKED


def test_kpis_by_hand() -> None:
    k = compute_kpis(hand_log())
    assert k["orders_placed"] == 4  # order 0 is in the warm-up
    assert k["orders_shipped"] == 2 and k["orders_delivered"] == 2
    assert k["orders_cancelled"] == 1 and k["orders_open"] == 1
    # click-to-ship: order 1 10 h, order 2 20 h
    assert k["click_to_ship_h_mean"] == pytest.approx(15.0)
    assert k["click_to_ship_h_p50"] == pytest.approx(15.0)
    assert k["click_to_ship_h_p90"] == pytest.approx(19.0)  # linear interpolation
    # click-to-deliver: 40 h and 60 h
    assert k["click_to_deliver_days_mean"] == pytest.approx(50.0 / 24)
    # due before the horizon: orders 1, 2, 3 (promises 70, 72, 96); only order 1 on time
    assert k["on_time_rate"] == pytest.approx(1 / 3)
    # labor in window [10, 100]: FC0 (2+1) x 90 h x 10 = 2700; FC1 (1+1) x 50 h x 20 = 2000
    assert k["labor_cost_per_order"] == pytest.approx(4700 / 4)
    # shipping of fully shipped window orders: order 1: 8, order 2: 9 + 11 = 20 -> mean 14
    assert k["shipping_cost_per_order"] == pytest.approx(14.0)
    assert k["cost_per_order"] == pytest.approx(4700 / 4 + 14.0)
    # released window orders 1, 2, 4 with 1, 2, 1 shipments
    assert k["shipments_per_order"] == pytest.approx(4 / 3)
    assert k["split_shipment_rate"] == pytest.approx(1 / 3)
    assert k["hold_rate"] == pytest.approx(1 / 4)
    # picking inside [10, 100]: FC0 1 h (order 1) + 2 h (order 2) = 3 of 180 paid;
    # FC1 3 h (order 2) + 1 h (order 4) = 4 of 50 paid
    assert k["picker_utilization.a"] == pytest.approx(3 / 180)
    assert k["picker_utilization.b"] == pytest.approx(4 / 50)
    # packing: FC0 1 + 1 = 2 of 90; FC1 1 of 50
    assert k["packer_utilization.a"] == pytest.approx(2 / 90)
    assert k["packer_utilization.b"] == pytest.approx(1 / 50)
    # shipments of window orders: FC0 2 (orders 1, 2), FC1 2 (orders 2, 4)
    assert k["shipment_share.a"] == pytest.approx(0.5)
    assert k["shipments.a"] == 2 and k["shipments.b"] == 2


def test_shipping_kpis_by_hand() -> None:
    """Shipped shipments of window orders: 1 (order 1), 2 and 3 (order 2)."""
    k = compute_kpis(hand_log())
    assert k["shipping_cost_per_shipment"] == pytest.approx((8 + 9 + 11) / 3)
    assert k["shipping_cost_per_unit"] == pytest.approx(28 / 3)
    # billable 3 + 4 + 3 pounds against 2.0 + 0.5 + 3.0 actual
    assert k["billable_to_actual_weight"] == pytest.approx(10 / 5.5)
    # dimensional: shipment 1 (3 > 2) and 2 (4 > 1), not 3 (3 = 3)
    assert k["dim_weight_share"] == pytest.approx(2 / 3)
    # transit 30 h, 50 h, 30 h
    assert k["transit_days_p50"] == pytest.approx(30 / 24)
    assert k["zone_share.4"] == pytest.approx(1 / 3) and k["zone_share.8"] == 0
    assert k["service_share.ground"] == pytest.approx(1.0)
    # due: order 1 (promise 70, delivered 60) on time; order 2's two shipments (80, 90) late
    assert k["service_on_time_rate.ground"] == pytest.approx(1 / 3)
    assert k["exception_rate"] == 0


def test_open_orders_by_status() -> None:
    assert open_orders_by_status(hand_log()) == {"picked": 1}


def test_empty_window_gives_nan_not_error() -> None:
    log = hand_log()
    log.meta["warmup_h"] = 99.0
    k = compute_kpis(log)
    assert k["orders_placed"] == 0
    assert math.isnan(k["click_to_ship_h_mean"]) and math.isnan(k["on_time_rate"])


def test_tracking_scans_by_hand() -> None:
    from sim.tracking import tracking_events

    log = hand_log()
    log.meta["scenario_sha256"] = "abcdef0123"
    t = tracking_events(log)
    one = t["shipment_id"] == 1  # packed 23, picked up 30, delivered 60 (day 2)
    assert list(t["scan"][one]) == ["label_created", "picked_up", "in_transit",
                                    "out_for_delivery", "delivered"]
    np.testing.assert_allclose(t["time_h"][one], [23, 30, 31, 56, 60])
    zero = t["shipment_id"] == 0  # shipped, not delivered within the horizon
    assert list(t["scan"][zero]) == ["label_created", "picked_up", "in_transit"]
    assert set(t["tracking_number"][one]) == {"FWABCDEF000000000001"}
    assert 4 not in set(t["shipment_id"].tolist())  # never packed: no label, no scans


# -- total cost per order -----------------------------------------------------------------------

COST_PARTS = ("labor_cost_per_order", "postage_cost_per_order", "carton_cost_per_order",
              "holding_cost_per_order", "returns_cost_per_order", "fixed_cost_per_order")


def test_total_cost_by_hand() -> None:
    """Window [10, 100): labor 2700 + 2000; shipments handed to the carrier in it: 0 (12 h, an
    order of the warm-up), 1, 2, 3 with postage 4.5 + 7.5 + 8.5 + 10.5 and cartons 4 x 0.5; no
    stock, returns or fixed costs (the meta has no ``fc_fixed_cost_per_day``, as old runs)."""
    k = compute_kpis(hand_log())
    assert k["labor_cost_per_order"] == pytest.approx(4700 / 4)
    assert k["postage_cost_per_order"] == pytest.approx(31 / 4)
    assert k["carton_cost_per_order"] == pytest.approx(2 / 4)
    assert k["holding_cost_per_order"] == 0 and k["returns_cost_per_order"] == 0
    assert k["fixed_cost_per_order"] == 0
    assert k["total_cost_per_order"] == pytest.approx((4700 + 31 + 2) / 4)
    assert k["cost_per_order"] == pytest.approx(4700 / 4 + 14.0)  # unchanged


def test_fixed_cost_is_window_days_times_open_fcs() -> None:
    """100 a day at each of the two FCs over the 90 h (3.75 day) window: 750, over 4 orders."""
    base = compute_kpis(hand_log())
    log = hand_log()
    log.meta["fc_fixed_cost_per_day"] = [100.0, 100.0]
    k = compute_kpis(log)
    assert k["fixed_cost_per_order"] == pytest.approx(200 * 3.75 / 4)
    assert k["total_cost_per_order"] - base["total_cost_per_order"] == pytest.approx(750 / 4)
    others = [n for n in k if n not in ("total_cost_per_order", "fixed_cost_per_order")]
    assert [k[n] for n in others] == pytest.approx([base[n] for n in others], nan_ok=True)
    log.meta["fc_fixed_cost_per_day"] = [100.0, 0.0]  # only what is charged counts
    assert compute_kpis(log)["fixed_cost_per_order"] == pytest.approx(100 * 3.75 / 4)


def test_cost_kpis_are_documented_and_total_comes_first() -> None:
    k = compute_kpis(hand_log())
    for names in (k, KPI_DOC):  # the table prints KPIs in the order compute_kpis gives them
        assert next(n for n in names if "cost" in n) == "total_cost_per_order"
    for name in (*COST_PARTS, "total_cost_per_order"):
        assert kpi_doc(name), name


SMALL_COSTS: dict[str, Any] = {
    "run": {"horizon_days": 6, "warmup_days": 1},
    "returns": {"probability": 0.3, "delay_days": {"mean": 1.0}, "label_cost": 5.0,
                "inspect_min_per_unit": 2.0},
}


def _fixed(per_day: float) -> dict[str, Any]:
    return {"fcs": {"east": {"fixed_cost_per_day": per_day},
                    "west": {"fixed_cost_per_day": per_day}}}


def test_total_cost_is_the_sum_of_its_parts_on_a_simulated_run(make_scenario: MakeScenario,
                                                               tmp_path: Path) -> None:
    """Each part recomputed from the tables (holding and returns: the inventory KPIs)."""
    shutil.copy(Path(__file__).parents[1] / "scenarios" / "data" / "cartons.csv", tmp_path)
    costs = {**SMALL_COSTS,
             "shipping": {"cartons": {"file": "cartons.csv"}, "oversize": "own_box"}}
    log = run(make_scenario({**costs, **_fixed(100.0)}))
    assert log.meta["fc_fixed_cost_per_day"] == [100.0, 100.0]
    k = compute_kpis(log)
    lo, hi = log.warmup_h, log.horizon_h
    days = (hi - lo) / 24
    assert days == 5.0
    orders = int(((log["orders"]["placed_h"] >= lo) & (log["orders"]["placed_h"] < hi)).sum())
    assert orders == k["orders_placed"] > 0
    # labor: paid hours of every shift row inside the window x (pickers + packers) x wage
    sh = log["shifts"]
    hours = np.clip(np.minimum(sh["end_h"], hi) - np.maximum(sh["start_h"], lo), 0, None)
    wage = np.array(log.meta["labor_cost_per_hour"])[sh["fc"].astype(int)]
    labor = float((hours * (sh["pickers"] + sh["packers"]) * wage).sum())
    # postage and cartons of the shipments whose SHIPPED event falls inside the window
    ev, lb = log["events"], log["labels"]
    sent = {int(s) for s, st, t in zip(ev["shipment_id"], ev["status"], ev["time_h"],
                                       strict=True)
            if st == S.SHIPPED and lo <= t < hi}
    in_win = np.array([int(s) in sent for s in lb["shipment_id"]], bool)
    postage = float(lb["postage"][in_win].astype(float).sum())
    cartons = float(lb["carton_cost"][in_win].astype(float).sum())
    holding, returns = k["holding_cost"], k["returns_cost"]  # the inventory KPIs' own figures
    fixed = 2 * 100.0 * days
    assert min(labor, postage, cartons, holding, returns) > 0
    parts = (labor, postage, cartons, holding, returns, fixed)
    for name, total in zip(COST_PARTS, parts, strict=True):
        assert k[name] == pytest.approx(total / orders, rel=1e-9), name
    assert k["total_cost_per_order"] == pytest.approx(sum(parts) / orders, rel=1e-12)
    assert k["total_cost_per_order"] == pytest.approx(sum(k[n] for n in COST_PARTS), rel=1e-12)

    # the fixed cost changes no event, only the meta: exactly 200 x W / orders more
    free = run(make_scenario({**costs, **_fixed(0.0)}))
    assert free.meta["fc_fixed_cost_per_day"] == [0.0, 0.0]
    assert all(np.array_equal(free[t][c], log[t][c]) for t in log.tables for c in log[t])
    k0 = compute_kpis(free)
    assert k0["fixed_cost_per_order"] == 0
    assert k["total_cost_per_order"] - k0["total_cost_per_order"] == pytest.approx(
        200 * days / orders, rel=1e-9)


def test_results_without_fixed_costs_still_load(make_scenario: MakeScenario,
                                                tmp_path: Path) -> None:
    """Results written before FCs had fixed costs lack the meta key: fixed cost 0; a present
    key must be one finite number per FC."""
    sc = make_scenario({"run": {"horizon_days": 2, "warmup_days": 0.5}, **_fixed(100.0)})
    result = run_scenario(sc)
    res = write_results(tmp_path / "res", result.log, result.kpis, sc.model_dump(mode="json"),
                        result.manifest)
    kpis = load_kpis(res)[1]
    assert kpis["fixed_cost_per_order"] == pytest.approx(200 * 1.5 / kpis["orders_placed"])
    mf = res / "manifest.json"
    manifest = json.loads(mf.read_text())

    def with_meta(**meta: Any) -> None:
        mf.write_text(json.dumps({**manifest, "meta": {**manifest["meta"], **meta}}))

    old = {n: v for n, v in manifest["meta"].items() if n != "fc_fixed_cost_per_day"}
    mf.write_text(json.dumps({**manifest, "meta": old}))
    k_old = load_kpis(res)[1]
    assert k_old["fixed_cost_per_order"] == 0
    assert k_old["total_cost_per_order"] == pytest.approx(
        kpis["total_cost_per_order"] - kpis["fixed_cost_per_order"])
    for bad in ([float("nan"), 1.0], [float("inf"), 1.0], [100.0], "100", None, [True, 1.0]):
        with_meta(fc_fixed_cost_per_day=bad)
        with pytest.raises(ResultsError, match=r"meta\.fc_fixed_cost_per_day"):
            load_kpis(res)


@pytest.mark.parametrize("bad", [-1.0, float("inf"), float("nan"), 1e10, "100"])
def test_fixed_cost_per_day_must_be_a_finite_non_negative_amount(make_scenario: MakeScenario,
                                                                 bad: Any) -> None:
    assert make_scenario().fcs["east"].fixed_cost_per_day == 0.0  # the default
    with pytest.raises(ScenarioError, match="fixed_cost_per_day"):
        make_scenario({"fcs": {"east": {"fixed_cost_per_day": bad}}})
