"""Replaying an order history (``[demand] mode = "replay"``): exactly the file's orders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.eventlog import Status
from sim.model import simulate
from sim.network import build_network
from sim.scenario import ScenarioError, load_scenario

from .conftest import SMALL, deep_merge, write_scenario

# 6 orders over two days, to 4 ZIP3s (Boston, New York, Los Angeles, Chicago), on 2 channels;
# order "o3" has the same SKU twice (one line of 3 units in the run)
LINES = pd.DataFrame({
    "order_id": ["o1", "o1", "o2", "o3", "o3", "o4", "o5", "o6", "o6"],
    "placed_h": [1.5, 1.5, 9.25, 13.0, 13.0, 20.0, 30.5, 40.0, 40.0],
    "channel": ["web", "web", "market", "web", "web", "web", "market", "web", "web"],
    "zip3": ["021", "021", "100", "900", "900", "606", "021", "100", "100"],
    "sku": ["A", "B", "C", "A", "A", "B", "D", "A", "E"],
    "units": [1, 2, 1, 1, 2, 4, 1, 1, 1],
})


def _replay(folder: Path, lines: pd.DataFrame = LINES, **demand: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(lines, preserve_index=False), folder / "orders.parquet")
    data = deep_merge(SMALL, {"run": {"start_date": "2026-03-02", "horizon_days": 4,
                                      "warmup_days": 0},
                              "demand": {"mode": "replay", "orders_file": "orders.parquet",
                                         **demand}})
    return write_scenario(folder, data)


def test_replay_places_exactly_the_files_orders(tmp_path: Path) -> None:
    sc = load_scenario(_replay(tmp_path))
    net = build_network(sc)
    assert net.dest_names == ("021", "100", "606", "900")
    log = simulate(net)
    orders, ol = log["orders"], log["order_lines"]
    np.testing.assert_array_equal(orders["placed_h"], [1.5, 9.25, 13.0, 20.0, 30.5, 40.0])
    np.testing.assert_array_equal(orders["n_lines"], [2, 1, 1, 1, 1, 2])
    np.testing.assert_array_equal(orders["n_units"], [3, 1, 3, 4, 1, 2])
    channels = [net.channel_names[c] for c in orders["channel"]]
    assert channels == ["web", "market", "web", "web", "market", "web"]
    assert [net.dest_names[d] for d in orders["dest"]] == ["021", "100", "900", "606", "021",
                                                           "100"]
    sku = [net.sku_ids[k] for k in ol["sku"]]
    assert sorted(zip(ol["order_id"].tolist(), sku, ol["units"].tolist(), strict=True)) == [
        (0, "A", 1), (0, "B", 2), (1, "C", 1), (2, "A", 3), (3, "B", 4), (4, "D", 1),
        (5, "A", 1), (5, "E", 1)]
    # every unit of the file is ordered once; every order ends shipped, held or open
    assert int(ol["units"].sum()) == int(LINES["units"].sum())
    ev = log["events"]
    assert (ev["status"] == Status.PLACED).sum() == 6


def test_stock_and_forecasts_follow_the_replayed_demand(tmp_path: Path) -> None:
    net = build_network(load_scenario(_replay(tmp_path)))
    assert net.orders_per_day == pytest.approx(6 / 2)  # 6 orders over 2 days
    units = LINES.groupby("sku")["units"].sum()
    pop = dict(zip(net.sku_ids, net.sku_popularity, strict=True))
    for k in net.sku_ids:
        assert pop[k] == pytest.approx(units.get(k, 0) / units.sum())
    # the forecast is the file's units per day, split among FCs by their nearest destinations
    assert net.forecast_units_per_day.sum() == pytest.approx(units.sum() / 2)
    np.testing.assert_allclose(net.dest_weight, [2 / 6, 2 / 6, 1 / 6, 1 / 6])


def test_scale_resamples_with_the_seed(tmp_path: Path) -> None:
    many = pd.concat([LINES.assign(order_id=LINES["order_id"] + f"-{i}",
                                   placed_h=LINES["placed_h"] + (i % 40) * 0.01)
                      for i in range(200)], ignore_index=True)
    n = many["order_id"].nunique()
    two = simulate(build_network(load_scenario(_replay(tmp_path / "a", many, scale=2.0))))
    assert two.n_rows("orders") == 2 * n  # every order exactly twice
    half = build_network(load_scenario(_replay(tmp_path / "b", many, scale=1.5)))
    got = simulate(half).n_rows("orders")
    # n orders once, each again with probability 1/2: mean 1.5 n, sd sqrt(n / 4)
    assert abs(got - 1.5 * n) < 4 * np.sqrt(n / 4)
    assert simulate(half).n_rows("orders") == got  # same seed, same draws
    placed = simulate(half)["orders"]["placed_h"]
    # copies stay in their original's hour: the hour profile is the file's
    assert set(np.floor(placed).astype(int)) <= set(np.floor(many["placed_h"]).astype(int))


def test_bad_replay_tables_name_file_column_and_rows(tmp_path: Path) -> None:
    cases = {
        "sku": (LINES.assign(sku=LINES["sku"].where(LINES.index != 3, "NOPE")), "'NOPE'"),
        "channel": (LINES.assign(channel="phone"), "'phone'"),
        "zip3": (LINES.assign(zip3=LINES["zip3"].where(LINES.index != 0, "000")), "rows 1"),
        "units": (LINES.assign(units=LINES["units"].where(LINES.index != 2, 0)), "rows 3"),
        "placed_h": (LINES.assign(placed_h=LINES["placed_h"].where(LINES.index != 1, 2.0)),
                     "disagree"),
    }
    for i, (col, (lines, text)) in enumerate(cases.items()):
        with pytest.raises(ScenarioError, match=f"orders.parquet.*column '{col}'") as exc:
            load_scenario(_replay(tmp_path / str(i), lines))
        assert text in str(exc.value)
    with pytest.raises(ScenarioError, match="needs orders_file"):
        load_scenario(write_scenario(tmp_path / "x", deep_merge(SMALL, {
            "demand": {"mode": "replay"}})))
    with pytest.raises(ScenarioError, match="no such file"):
        (tmp_path / "y").mkdir()
        load_scenario(write_scenario(tmp_path / "y", deep_merge(SMALL, {
            "demand": {"mode": "replay", "orders_file": "missing.parquet"}})))
