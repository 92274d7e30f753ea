"""``fulfill optimize``: the commands write a scenario that loads, and bad input exits 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.network import build_network
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"


def test_optimize_network_writes_a_scenario(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "net3.toml"
    assert main(["optimize", "network", str(BASELINE), "--max-sites", "3", "--out", str(out),
                 "--time-limit", "60", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "objective" in text and "bound" in text and "gap" in text and "solve time" in text
    net = build_network(load_scenario(out))
    assert len(net.fc_names) <= 3
    assert net.forecast_units_per_day.sum() == pytest.approx(
        build_network(load_scenario(BASELINE)).forecast_units_per_day.sum())


def test_optimize_network_bad_input_exits_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "cands.csv"
    bad.write_text("site,state,lat,lon,fixed_cost_per_day,capacity_orders_per_day\n"
                   "Here,XX,95.0,-80.0,100,1000\n")
    assert main(["optimize", "network", str(BASELINE), "--candidates", str(bad),
                 "--max-sites", "2", "--out", str(tmp_path / "x.toml"), "--quiet"]) == 2
    msg = capsys.readouterr().err
    assert "cands.csv" in msg and "lat" in msg and "Traceback" not in msg
    # capacity below demand: explained, not a solver status
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("site,state,lat,lon,fixed_cost_per_day,capacity_orders_per_day\n"
                    "A,IL,41.85,-87.65,100,1000\nB,TX,32.78,-96.80,100,1000\n")
    assert main(["optimize", "network", str(BASELINE), "--candidates", str(tiny),
                 "--max-sites", "2", "--out", str(tmp_path / "y.toml"), "--quiet"]) == 2
    msg = capsys.readouterr().err
    assert "capacit" in msg and "demand" in msg
    assert not (tmp_path / "y.toml").exists()


def test_optimize_placement_writes_a_scenario(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "placed.toml"
    assert main(["optimize", "placement", str(BASELINE), "--out", str(out),
                 "--time-limit", "60", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "objective" in text and "bound" in text and "gap" in text and "solve time" in text
    base = build_network(load_scenario(BASELINE))
    net = build_network(load_scenario(out))
    # every unit of forecast demand is assigned to some FC, and stock sits where it is served
    assert net.forecast_units_per_day.sum() == pytest.approx(
        base.forecast_units_per_day.sum(), rel=1e-6)  # CSV rounding
    assert np.all(net.initial_stock[net.forecast_units_per_day == 0] == 0)
    assert np.all(net.initial_stock[net.forecast_units_per_day > 0] > 0)


def test_optimize_placement_impossible_service_target_exits_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "placed.toml"
    assert main(["optimize", "placement", str(BASELINE), "--out", str(out),
                 "--service-days", "1", "--service-share", "0.99", "--quiet"]) == 2
    msg = capsys.readouterr().err
    assert "service" in msg and "Traceback" not in msg
    assert not out.exists()


def test_optimize_placement_throughput_moves_demand_and_routing_follows(tmp_path: Path) -> None:
    from optimize.placement import labor_throughput

    out = tmp_path / "placed.toml"
    assert main(["optimize", "placement", str(BASELINE), "--out", str(out),
                 "--max-utilization", "0.8", "--quiet"]) == 0
    base = build_network(load_scenario(BASELINE))
    net = build_network(load_scenario(out))  # the map names repeated cities with their state
    moved = net.assigned_fc != base.fc_rank[:, :1]
    rows = (tmp_path / "placed_routing.csv").read_text().splitlines()
    assert rows[0] == "region,sku,fc" and moved.sum() == len(rows) - 1 > 0
    # the plan keeps every FC within 80 % of what its shift plan can pick and pack
    pick, pack = labor_throughput(base)
    planned = net.forecast_units_per_day.sum(axis=1)
    assert np.all(planned <= 0.8 * np.minimum(pick, pack) * (1 + 1e-6))
    # and the forecast each FC replenishes for is the demand the map sends it
    demand = (base.orders_per_day * base.lines_per_order.expected()
              * base.units_per_line.expected()
              * np.outer(base.dest_weight, base.sku_popularity))  # (D, K)
    by_plan = np.zeros_like(net.forecast_units_per_day)
    np.add.at(by_plan, (net.assigned_fc, np.arange(net.n_skus)[None, :]), demand)
    assert np.allclose(by_plan, net.forecast_units_per_day, rtol=1e-5, atol=1e-4)
