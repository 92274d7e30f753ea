"""Inventory placement (``optimize/placement.py``): hand-checked optima, the decomposition
against the monolithic MIP, infeasibility messages, the network adapter and the scenario
writer."""

from __future__ import annotations

import csv
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimize.placement import (
    InfeasiblePlacement,
    PlacementProblem,
    PlacementProgress,
    evaluate_assignment,
    max_service_share,
    placement_from_files,
    problem_from_network,
    solve_placement,
    synthetic_problem,
    target_units,
    write_placement_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
METHODS = ["mip", "decomposition"]


def two_by_two(**changes: Any) -> PlacementProblem:
    """FC A next to region r0, FC B next to r1; SKUs s0 and s1 each sell 1 unit/day in each
    region.  Shipping costs 1 to the near region and 3 to the far one; stocking a SKU at an FC
    costs 1.5/day.  No holding cost and no demand variance (so no safety stock), 10 days of
    cover and 1 cu ft per unit: a stocked pair reserves 1 cu ft (the rounding unit) plus
    10 cu ft per region it serves.  Transit: 1 day near, 4 days far."""
    base: dict[str, Any] = {
        "demand": np.ones((2, 2)),
        "ship_cost": np.array([[1.0, 3.0], [3.0, 1.0]]),
        "transit_days": np.array([[1.0, 4.0], [4.0, 1.0]]),
        "unit_volume": np.ones(2),
        "holding_cost": 0.0,
        "fixed_cost": 1.5,
        "demand_sd": np.zeros((2, 2)),
        "days_of_cover": 10.0,
        "fc_names": ("A", "B"),
        "sku_names": ("s0", "s1"),
        "region_names": ("r0", "r1"),
    }
    base.update(changes)
    return PlacementProblem(**base)


@pytest.mark.parametrize("method", METHODS)
def test_uncapacitated_two_by_two(method: str) -> None:
    # per SKU: one FC costs 1.5 + 1 + 3 = 5.5, both FCs 3.0 + 1 + 1 = 5.0 -> both, 10.0 in all
    r = solve_placement(two_by_two(), method=method, gap_tol=1e-9)
    assert r.objective == pytest.approx(10.0)
    assert r.status == "OPTIMAL" and r.bound == pytest.approx(10.0)
    assert r.stocked.all()
    assert r.assignment.tolist() == [[0, 1], [0, 1]]
    assert r.target_units.tolist() == [[10, 10], [10, 10]]
    assert r.service_share == pytest.approx(1.0)
    assert r.bound <= r.objective + 1e-9


@pytest.mark.parametrize("method", METHODS)
def test_capacity_binds_two_by_two(method: str) -> None:
    # B holds 11 cu ft: one SKU at both FCs (B: 1 + 10 cu ft), the other only at A.
    # A then holds 1 + 10 (shared SKU, r0) + 1 + 20 (the other SKU, both regions) = 32.
    # Cost 5.0 + 5.5 = 10.5 (both SKUs at A alone would need 42 cu ft there).
    p = two_by_two(volume_capacity=np.array([32.0, 11.0]))
    r = solve_placement(p, method=method, gap_tol=1e-9)
    assert r.objective == pytest.approx(10.5)
    assert r.status == "OPTIMAL" and r.bound == pytest.approx(10.5)
    assert sorted(r.stocked.sum(axis=0).tolist()) == [1, 2]
    ev = evaluate_assignment(p, r.assignment)
    assert ev["volume"].tolist() == pytest.approx([32.0, 11.0])
    both = int(np.argmax(r.stocked.sum(axis=0)))
    assert r.target_units[:, both].tolist() == [10, 10]
    assert r.target_units[:, 1 - both].tolist() == [20, 0]


@pytest.mark.parametrize("method", METHODS)
def test_service_binds_two_by_two(method: str) -> None:
    # stocking costs 3.0: one FC per SKU costs 3 + 1 + 3 = 7, both FCs 6 + 1 + 1 = 8.
    # Unconstrained: 14 with half the units within 2 days.  75 % needs one SKU at both FCs
    # (15); 76 % needs both SKUs at both (16).
    assert solve_placement(two_by_two(fixed_cost=3.0), method=method,
                           gap_tol=1e-9).objective == pytest.approx(14.0)
    r = solve_placement(two_by_two(fixed_cost=3.0, service_share=0.75), method=method,
                        gap_tol=1e-9)
    assert r.objective == pytest.approx(15.0)
    assert r.service_share == pytest.approx(0.75)
    r = solve_placement(two_by_two(fixed_cost=3.0, service_share=0.76), method=method,
                        gap_tol=1e-9)
    assert r.objective == pytest.approx(16.0)
    assert r.service_share == pytest.approx(1.0)


def test_target_rule_by_hand() -> None:
    # 4 units/day, variance 4 (sd 2), 7 days of cover, lead time 4 days, z = 1.645:
    # 7 * 4 + 1.645 * sqrt(4) * 2 = 34.58 -> 35 units; 2 units of display minimum on top -> 37
    p = PlacementProblem(demand=np.array([[4.0]]), ship_cost=np.array([[1.0]]),
                         transit_days=np.array([[1.0]]), unit_volume=np.ones(1),
                         holding_cost=0.0, fixed_cost=0.0, demand_sd=np.array([[2.0]]),
                         days_of_cover=7.0, lead_time_days=4.0, z=1.645)
    assert target_units(p, np.array([[0]])).tolist() == [[35]]
    assert solve_placement(p).target_units.tolist() == [[35]]
    q = PlacementProblem(**{**p.__dict__, "min_units": 2.0})
    assert target_units(q, np.array([[0]])).tolist() == [[37]]


def test_safety_stock_pools_when_one_fc_serves() -> None:
    # two regions with variance 4 each: one FC holds z sqrt(L) sqrt(8), two FCs sqrt(4) each
    p = PlacementProblem(demand=np.array([[4.0, 4.0]]), ship_cost=np.zeros((2, 2)),
                         transit_days=np.ones((2, 2)), unit_volume=np.ones(1),
                         holding_cost=0.0, fixed_cost=0.0, demand_sd=np.full((1, 2), 2.0),
                         days_of_cover=0.0, lead_time_days=1.0, z=1.0)
    assert target_units(p, np.array([[0, 0]]))[:, 0].tolist() == [math.ceil(math.sqrt(8)), 0]
    assert target_units(p, np.array([[0, 1]]))[:, 0].tolist() == [2, 2]


@pytest.mark.parametrize("seed", range(5))
def test_decomposition_matches_mip(seed: int) -> None:
    p = synthetic_problem(12, 3, 6, seed)
    mip = solve_placement(p, method="mip", gap_tol=1e-9)
    dec = solve_placement(p, method="decomposition", gap_tol=1e-9)
    assert mip.status == dec.status == "OPTIMAL"
    assert dec.objective == pytest.approx(mip.objective, rel=1e-7)
    for r in (mip, dec):
        assert r.bound <= r.objective + 1e-9 * abs(r.objective)
        ev = evaluate_assignment(p, r.assignment)
        assert ev["feasible"]
        assert ev["objective"] == pytest.approx(r.objective)


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_branch_and_price_matches_mip(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # without the reduced-MIP shortcut the decomposition closes the gap by branch and price
    import optimize.placement as placement

    monkeypatch.setattr(placement, "_reduced_mip", lambda *a, **k: None)
    p = synthetic_problem(12, 3, 6, seed)
    mip = solve_placement(p, method="mip", gap_tol=1e-9)
    dec = solve_placement(p, method="decomposition", gap_tol=1e-9, time_limit_s=60)
    assert dec.status == "OPTIMAL"
    assert dec.objective == pytest.approx(mip.objective, rel=1e-7)
    assert dec.bound <= dec.objective + 1e-9 * abs(dec.objective)


def test_constraints_bind_in_random_instances() -> None:
    # the random instances above are not trivial: capacity and service change the optimum
    p = synthetic_problem(12, 3, 6, 0)
    free = PlacementProblem(**{**p.__dict__, "volume_capacity": None, "service_share": None})
    assert solve_placement(p, gap_tol=1e-9).objective > solve_placement(
        free, gap_tol=1e-9).objective * (1 + 1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_bound_never_above_objective_with_slots(seed: int) -> None:
    p = synthetic_problem(20, 4, 8, seed, slot_share=1.0)
    for method in METHODS:
        r = solve_placement(p, method=method, gap_tol=1e-6)
        assert r.bound <= r.objective + 1e-9 * abs(r.objective)
        assert evaluate_assignment(p, r.assignment)["feasible"]


def test_progress_callback_and_fields() -> None:
    seen: list[PlacementProgress] = []
    p = synthetic_problem(200, 4, 30, 1)
    r = solve_placement(p, method="decomposition", progress=seen.append, time_limit_s=30)
    assert seen and all(isinstance(s.iteration, int) for s in seen)
    bounds = [s.bound for s in seen]
    assert bounds == sorted(bounds)  # the best bound never falls
    assert r.method.startswith("decomposition")
    assert r.peak_memory_mb is None or r.peak_memory_mb > 0
    assert r.stocked.shape == r.target_units.shape == (4, 200)
    assert r.assignment.shape == (200, 30)
    assert (r.target_units[~r.stocked] == 0).all() and (r.target_units[r.stocked] > 0).all()
    assert r.gap <= 1e-4 and r.status == "OPTIMAL"


def test_synthetic_is_reproducible() -> None:
    a, b = synthetic_problem(30, 3, 10, 5), synthetic_problem(30, 3, 10, 5)
    assert np.array_equal(a.demand, b.demand) and np.array_equal(a.ship_cost, b.ship_cost)
    assert not np.array_equal(a.demand, synthetic_problem(30, 3, 10, 6).demand)


# ----------------------------------------------------------------------------- infeasible
def test_total_volume_too_small() -> None:
    # each SKU needs at least 1 + 10 + 10 = 21 cu ft, 42 in all; the FCs hold 10
    with pytest.raises(InfeasiblePlacement, match=r"needs 42.00 cu ft.*hold 10.00 cu ft"):
        solve_placement(two_by_two(volume_capacity=np.array([5.0, 5.0])))


def test_sku_too_large_for_any_fc() -> None:
    with pytest.raises(InfeasiblePlacement, match="SKU s1 is too large for any FC"):
        solve_placement(two_by_two(unit_volume=np.array([1.0, 100.0]),
                                   volume_capacity=np.array([32.0, 11.0])))


def test_service_target_above_reachable() -> None:
    # nobody reaches r1 within 2 days: at most 50 % of units
    p = two_by_two(transit_days=np.array([[1.0, 4.0], [4.0, 4.0]]), service_share=0.6)
    assert max_service_share(p) == pytest.approx(0.5)
    with pytest.raises(InfeasiblePlacement, match=r"60\.00%.*above the 50\.00% reachable"):
        solve_placement(p)


def test_too_few_slots() -> None:
    with pytest.raises(InfeasiblePlacement, match=r"2 SKUs must be stocked.*1 SKU slots"):
        solve_placement(two_by_two(slot_capacity=np.array([0.0, 1.0])))


@pytest.mark.parametrize("method", METHODS)
def test_capacity_and_service_together(method: str) -> None:
    # every unit within 2 days needs both SKUs at B for r1 (22 cu ft), B holds 11; each
    # constraint alone is satisfiable, so only the solve can tell
    p = two_by_two(volume_capacity=np.array([32.0, 11.0]), service_share=1.0)
    with pytest.raises(InfeasiblePlacement, match="together"):
        solve_placement(p, method=method)


def test_bad_shapes() -> None:
    with pytest.raises(ValueError, match="ship_cost"):
        two_by_two(ship_cost=np.ones((2, 3)))
    with pytest.raises(ValueError, match="service_share"):
        two_by_two(service_share=1.5)


# ------------------------------------------------------------------------------- network
@pytest.fixture(scope="module")
def baseline_net() -> Any:
    from sim.network import build_network
    from sim.scenario import load_scenario

    return build_network(load_scenario(BASELINE))


def test_problem_from_network(baseline_net: Any) -> None:
    net = baseline_net
    p = problem_from_network(net, capacity_factor=1.2, service_share=0.8)
    assert p.demand.shape == (net.n_skus, net.n_dests)
    assert p.ship_cost.shape == (net.n_skus, net.n_fcs, net.n_dests)
    forecast = np.asarray(net.forecast_units_per_day).sum(axis=0)
    assert np.allclose(p.demand.sum(axis=1), forecast)
    assert (p.ship_cost > 0).all() and np.isfinite(p.ship_cost).all()
    r = solve_placement(p, method="decomposition", time_limit_s=60)
    assert r.status == "OPTIMAL"
    assert (r.assignment[p.demand > 0] >= 0).all()  # every SKU's demand is assigned
    assert np.allclose(r.assigned_units_per_day.sum(axis=0), forecast)  # conservation
    assert r.service_share >= 0.8 - 1e-9
    assert evaluate_assignment(p, r.assignment)["feasible"]


def test_write_placement_scenario(baseline_net: Any, tmp_path: Path) -> None:
    net = baseline_net
    p = problem_from_network(net)
    r = solve_placement(p, method="decomposition")
    out = write_placement_scenario(r, net, BASELINE, tmp_path / "placed.toml")
    doc = tomllib.loads(out.read_text(encoding="utf-8"))
    assert (tmp_path / doc["extends"]).resolve() == BASELINE.resolve()
    assert doc["replace"] == ["inventory"]
    assert doc["name"] == "placed" and doc["description"]
    assert doc["inventory"] == {"file": "placed_inventory.csv",
                                "forecast_file": "placed_forecast.csv"}
    with open(tmp_path / "placed_inventory.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sum(int(x["units"]) for x in rows) == int(r.target_units.sum())
    assert all(int(x["units"]) > 0 for x in rows)
    assert {x["fc"] for x in rows} <= set(net.fc_names)
    with open(tmp_path / "placed_forecast.csv", newline="") as fh:
        fc_rows = list(csv.DictReader(fh))
    assert sum(float(x["units_per_day"]) for x in fc_rows) == pytest.approx(
        float(r.assigned_units_per_day.sum()), rel=1e-5)
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind

    from sim.scenario import InitialStock, load_scenario

    if "forecast_file" not in InitialStock.model_fields:
        pytest.skip("round trip needs the scenario loader's top-level 'replace' list and "
                    "[inventory] forecast_file (not in sim/scenario.py yet)")
    from sim.network import build_network

    placed = build_network(load_scenario(out))
    assert np.array_equal(placed.initial_stock, r.target_units)


def test_placement_from_files_report(tmp_path: Path) -> None:
    seen: list[str] = []
    r = placement_from_files(BASELINE, tmp_path / "p.toml", time_limit_s=60, service_share=0.8,
                             progress=lambda s: seen.append(str(s)))
    text = r.report()
    assert "objective" in text and "chicago" in text and "target 80.00%" in text
    assert seen and "bound" in seen[0]
    assert (tmp_path / "p.toml").exists() and (tmp_path / "p_inventory.csv").exists()


@pytest.mark.slow
def test_scale_1k_skus_4_fcs_100_regions() -> None:
    r = solve_placement(synthetic_problem(1000, 4, 100, 0), method="decomposition",
                        time_limit_s=60)
    assert r.status == "OPTIMAL" and r.gap <= 1e-4
    assert r.bound <= r.objective
