"""The per-run series behind the report's charts: by hand, and against the KPIs of a run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.eventlog import Status
from sim.kpis import compute_kpis, task_busy_hours
from sim.series import SERIES_DOC, busy_by_hour, run_series
from tests.conftest import MakeScenario, run
from tests.test_kpis import hand_log


def one(df: pd.DataFrame, series: str, **where: object) -> pd.DataFrame:
    m = df["series"] == series
    for k, v in where.items():
        m &= df[k] == v
    return df[m]


def test_busy_by_hour_splits_intervals_at_whole_hours() -> None:
    got = busy_by_hour(np.array([0.5, 1.0, 2.9]), np.array([2.25, 1.5, 7.0]),
                       np.array([1.0, 2.0, 1.0]), 0.0, 3.0)
    # hour 0: 0.5; hour 1: 1 + 2 x 0.5; hour 2: 0.25 + 0.1 (the third, clipped at 3)
    np.testing.assert_allclose(got, [0.5, 2.0, 0.35])
    assert busy_by_hour(np.array([1.0]), np.array([2.0]), np.ones(1), 5.0, 5.0).size == 0


def test_series_of_the_hand_built_log() -> None:
    log = hand_log()
    log.meta["channel_names"] = ["web"]
    df = run_series(log)
    assert set(df["series"]) <= set(SERIES_DOC)
    # orders placed at 5, 20, 30, 40, 95 h; horizon 100 h = days 0-4
    np.testing.assert_array_equal(one(df, "orders_placed_per_day")["value"], [2, 2, 0, 1, 0])
    # shipped: FC a at 12, 30, 40 h; FC b at 50 h
    np.testing.assert_array_equal(one(df, "shipments_per_day", fc="a")["value"],
                                  [1, 2, 0, 0, 0])
    np.testing.assert_array_equal(one(df, "shipments_per_day", fc="b")["value"],
                                  [0, 0, 1, 0, 0])
    # FC a pickers (2 paid over [10, 100)): picking 21-22 h and 31-33 h (hours 7 and 8 of
    # day 1); hour 21 is paid on 4 days, hours 7 and 8 on 3
    util = one(df, "utilization_by_hour", fc="a", label="picker").set_index("x")["value"]
    assert util[21.0] == pytest.approx(1 / 8)
    assert util[7.0] == pytest.approx(1 / 6) and util[8.0] == pytest.approx(1 / 6)
    assert util[12.0] == 0.0
    # FC b has 1 picker paid from 50 h: hour 0 of the day is paid at 72 h and 96 h (not at
    # 24 h or 48 h), and worked at 96-97 h
    b = one(df, "utilization_by_hour", fc="b", label="picker").set_index("x")["value"]
    assert b[0.0] == pytest.approx(1 / 2)
    # click to deliver: 40 h and 60 h
    c2d = one(df, "click_to_deliver_days").set_index("x")["value"]
    assert c2d[50.0] == pytest.approx(50 / 24) and c2d[0.0] == pytest.approx(40 / 24)
    assert one(df, "on_time_by_channel", label="web")["value"].item() == pytest.approx(1 / 3)
    assert one(df, "promise_days", label="web")["value"].item() == pytest.approx(203 / 96)
    zones = one(df, "on_time_by_zone").set_index("label")["value"]
    assert zones.to_dict() == {"3": 0.0, "4": 1.0, "5": 0.0}
    ships = one(df, "dest_shipments").set_index("fc")["value"]
    assert ships.to_dict() == {"a": 2.0, "b": 1.0}
    assert one(df, "dest_delivery_days")["value"].item() == pytest.approx(50 / 24)
    assert one(df, "stockout_share_by_class").empty  # the log has no stock table rows


def test_series_agree_with_the_kpis_of_a_run(make_scenario: MakeScenario) -> None:
    sc = make_scenario({"run": {"horizon_days": 6, "warmup_days": 1}})
    log = run(sc)
    df = run_series(log)
    k = compute_kpis(log)
    lo, hi = log.warmup_h, log.horizon_h
    # every order is counted on the day it was placed, every shipment on the day it shipped
    assert one(df, "orders_placed_per_day")["value"].sum() == log.n_rows("orders")
    shipped = (log["events"]["status"] == Status.SHIPPED).sum()
    assert one(df, "shipments_per_day")["value"].sum() == shipped
    # the hourly split of picking time adds up to the utilisation KPI's numerator
    busy = task_busy_hours(log, Status.PICK_START, Status.PICKED, lo, hi)
    ev, sh = log["events"], log["shipments"]
    for f, name in enumerate(log.fc_names):
        began = np.full(log.n_rows("shipments"), np.nan)
        ended = np.full(log.n_rows("shipments"), hi)
        m = ev["status"] == Status.PICK_START
        began[ev["shipment_id"][m]] = ev["time_h"][m]
        m = ev["status"] == Status.PICKED
        ended[ev["shipment_id"][m]] = ev["time_h"][m]
        mine = (sh["fc"] == f) & ~np.isnan(began)
        hours = busy_by_hour(began[mine], ended[mine], np.ones(int(mine.sum())), lo, hi)
        assert hours.sum() == pytest.approx(busy[f])
        assert k[f"picker_utilization.{name}"] > 0
    # the median of the percentiles is the KPI's median
    c2d = one(df, "click_to_deliver_days").set_index("x")["value"]
    assert c2d[50.0] == pytest.approx(k["click_to_deliver_days_p50"])
    assert c2d[90.0] == pytest.approx(k["click_to_deliver_days_p90"])
    # on time by channel, weighted by each channel's due orders, is the on-time rate
    orders = log["orders"]
    win = (orders["placed_h"] >= lo) & (orders["placed_h"] < hi)
    due = win & (orders["promise_h"] <= hi)
    rates = one(df, "on_time_by_channel").set_index("label")["value"]
    weights = {name: int((due & (orders["channel"] == c)).sum())
               for c, name in enumerate(log.meta["channel_names"])}  # type: ignore[arg-type]
    total = sum(rates[n] * w for n, w in weights.items() if w)
    assert total / sum(weights.values()) == pytest.approx(k["on_time_rate"])
    # stock-outs by class, weighted by SKU counts, are the stock-out share
    cls = np.asarray(log.meta["sku_class"])
    by_class = one(df, "stockout_share_by_class").set_index("label")["value"]
    weighted = sum(by_class[n] * (cls == c).sum() for c, n in enumerate("ABC")
                   if n in by_class.index)
    assert weighted / len(cls) == pytest.approx(k["stockout_share"])
    # shipments to destinations: the shipped shipments of the window's orders, by FC
    dests = one(df, "dest_shipments")
    assert dests["x"].max() < len(log.meta["dest_names"])  # type: ignore[arg-type]
    assert dests["value"].sum() <= sum(k[f"shipments.{n}"] for n in log.fc_names)
    assert dests["value"].sum() >= 0.9 * sum(k[f"shipments.{n}"] for n in log.fc_names)
