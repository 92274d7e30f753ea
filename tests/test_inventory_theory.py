"""Inventory policies in the simulation against closed-form inventory theory.

One FC, one SKU, one unit per order, backorders held first come first served:

* periodic base stock (review every day, fixed lead time L = 2 days) with daily demand of mean
  50 and variance 64 (the worked example in ``../shared/README.md``: N(50, 8^2), h = 0.18,
  p = 0.70, S* = 161.438).  The model's daily demand is negative binomial with that mean and
  variance (Poisson orders with a gamma day factor), so the exact oracle is computed for it with
  scipy; the normal-demand figures of the worked example are checked to be close to it.
  Period accounting: the order placed at the start of day t arrives at the start of day
  t + L, so end-of-day net inventory is S minus L + 1 days of demand (stockpyl's
  ``lead_time=2``).
* periodic (s, S) with zero lead time and Poisson(6) demand, h = 1, p = 4, K = 5: Zheng and
  Federgruen's optimum s = 4, S = 10 costs 8.0341 per period (``s_s_discrete_exact``); an order
  is placed when the position is at or below s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.inventory import backorder_changes, levels_at, on_hand_changes
from sim.network import build_network
from sim.scenario import load_scenario
from tests.conftest import ALWAYS, SMALL, _fc, deep_merge, run, write_scenario

H, P = 0.18, 0.70
MEAN, VAR, LEAD = 50.0, 64.0, 2
S_STAR = 161


def one_sku(tmp_path: Path, changes: dict[str, Any], initial: int) -> Any:
    (tmp_path / "one.csv").write_text("sku,weight_lb,length_in,width_in,height_in,unit_price,"
                                      "popularity\nX,1,6,4,2,0,1\n")
    (tmp_path / "inv.csv").write_text(f"fc,sku,units\nonly,X,{initial}\n")
    fc = _fc(41.25, -75.88, pickers=20, packers=20)
    fc["shifts"] = {"all": {"days": ALWAYS, "start_h": 0.0, "end_h": 24.0, "pickers": 20,
                            "packers": 20}}
    data = deep_merge(SMALL, {
        "catalog": {"file": "one.csv"},
        "demand": {"weekday_profile": [1.0] * 7, "channels": {"web": {"share": 1.0,
                                                                      "promise_days": 4}},
                   "lines_per_order": {"dist": "fixed", "mean": 1},
                   "units_per_line": {"dist": "fixed", "mean": 1}},
        "routing": {"policy": "nearest"},
    })
    data = deep_merge(data, changes)
    data["demand"]["channels"] = {"web": {"share": 1.0, "promise_days": 4}}
    data["replenishment"] = changes["replenishment"]
    data["fcs"] = {"only": fc}
    data["inventory"] = {"file": "inv.csv"}
    data["hold"] = {"mode": "backorder"}
    return load_scenario(write_scenario(tmp_path, data))


def end_of_day(log: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Available units and backordered units at the end of each day of the window."""
    days = np.arange(int(log.warmup_h // 24), int(log.horizon_h // 24))
    times = 24.0 * (days + 1)
    return days, levels_at(on_hand_changes(log), times)[:, 0], \
        levels_at(backorder_changes(log), times)[:, 0]


def ci99(x: list[float]) -> tuple[float, float]:
    a = np.asarray(x)
    half = stats.t.ppf(0.995, len(a) - 1) * a.std(ddof=1) / np.sqrt(len(a))
    return float(a.mean() - half), float(a.mean() + half)


def nbinom_days(days: int) -> Any:
    """Demand over ``days`` independent days: negative binomial with the daily mean and
    variance (sum of gamma-mixed Poisson days)."""
    r = MEAN**2 / (VAR - MEAN)  # per day
    return stats.nbinom(days * r, r / (r + MEAN))


def expected_excess(dist: Any, s: int) -> tuple[float, float]:
    """E[(S - D)+] and E[(D - S)+] for an integer-valued demand distribution."""
    d = np.arange(0, int(dist.ppf(1 - 1e-12)) + 1)
    pmf = dist.pmf(d)
    return float((np.maximum(s - d, 0) * pmf).sum()), float((np.maximum(d - s, 0) * pmf).sum())


@pytest.fixture(scope="module")
def base_stock_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    tmp = tmp_path_factory.mktemp("base_stock")
    cv = np.sqrt(VAR - MEAN) / MEAN  # gamma day factor: Var = mean + cv^2 mean^2
    sc = one_sku(tmp, {
        "run": {"horizon_days": 420, "warmup_days": 20, "seed": 11},
        "demand": {"orders_per_day": MEAN, "daily_cv": float(cv)},
        "replenishment": {"policy": "base_stock", "S_units": S_STAR, "review_period_days": 1},
        "suppliers": {"acme": {"lead_time_days": {"mean": LEAD}}},
    }, initial=S_STAR)
    return [run(sc, replication=r) for r in range(8)]


def test_base_stock_cost_fill_rate_and_service(base_stock_runs: list[Any]) -> None:
    d3, d2 = nbinom_days(LEAD + 1), nbinom_days(LEAD)
    over, short = expected_excess(d3, S_STAR)
    cost = H * over + P * short
    fill = 1 - (short - expected_excess(d2, S_STAR)[1]) / MEAN
    type1 = float(d3.cdf(S_STAR))
    # the normal-demand worked example (stockpyl newsvendor_normal) is close to the exact
    # negative-binomial figures
    assert cost == pytest.approx(3.4600, rel=0.03)
    assert fill == pytest.approx(0.9682, abs=0.004)
    assert type1 == pytest.approx(0.7955, abs=0.02)
    costs, fills, type1s = [], [], []
    for log in base_stock_runs:
        _, on_hand, back = end_of_day(log)
        assert (np.minimum(on_hand, back) == 0).all()  # one unit per order: never both
        costs.append(float((H * on_hand + P * back).mean()))
        type1s.append(float((back == 0).mean()))
        o = log["orders"]
        win = o["placed_h"] >= log.warmup_h
        held = np.zeros(len(win), bool)
        ev = log["events"]
        held[ev["order_id"][ev["status"] == 1]] = True
        fills.append(float((win & ~held).sum() / win.sum()))
    for name, got, want in (("cost", costs, cost), ("fill rate", fills, fill),
                            ("type-1 service", type1s, type1)):
        lo, hi = ci99(got)
        assert lo <= want <= hi, f"{name}: theory {want:.4f} outside 99% CI ({lo:.4f}, {hi:.4f})"


def test_base_stock_orders_exactly_the_days_demand(base_stock_runs: list[Any]) -> None:
    """Each daily purchase order replaces the previous day's demand (one for one)."""
    log = base_stock_runs[0]
    po, orders = log["purchase_orders"], log["orders"]
    assert np.all(po["time_h"] % 24 == 0)
    placed_day = (orders["placed_h"] // 24).astype(int)
    demand = np.bincount(placed_day, minlength=420)
    day = (po["time_h"] // 24).astype(int)
    assert np.array_equal(po["units"], demand[day - 1])
    assert np.allclose(po["due_h"] - po["time_h"], 24.0 * LEAD)


def test_s_S_cost_matches_zheng_federgruen(tmp_path: Path) -> None:
    K_FIXED = 5.0
    sc = one_sku(tmp_path, {
        "run": {"horizon_days": 2520, "warmup_days": 20, "seed": 5},
        "demand": {"orders_per_day": 6.0},
        "replenishment": {"policy": "sS", "s_units": 4, "S_units": 10, "review_period_days": 1},
        "suppliers": {"acme": {"lead_time_days": {"mean": 0}, "fixed_cost_per_po": K_FIXED}},
    }, initial=10)
    net = build_network(sc)
    assert net.repl_classes[0].review_period_days == 1
    costs = []
    for r in range(6):
        log = run(sc, replication=r)
        days, on_hand, back = end_of_day(log)
        po = log["purchase_orders"]
        in_win = po["time_h"] >= log.warmup_h
        assert np.all(po["cost"] == K_FIXED)
        assert np.all(po["units"] >= 6)  # ordered only at or below s = 4, up to S = 10
        costs.append(float((1.0 * on_hand + 4.0 * back).mean()
                           + K_FIXED * in_win.sum() / len(days)))
    lo, hi = ci99(costs)
    assert lo <= 8.0341 <= hi, (lo, hi)
