"""``[demand] daily_dist = "normal"`` (day-to-day variance below the mean) and the start of
periodic replenishment reviews (a daily review starts on the first day, a weekly one on the
first review weekday on or after the start)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.demand import STREAM_NAMES, generate_day
from sim.network import build_network
from sim.rng import stream
from sim.scenario import ScenarioError
from tests.conftest import MakeScenario, run

FLAT = {"weekday_profile": [1.0] * 7, "hour_profile": [1.0] * 24}


def _daily_counts(make_scenario: MakeScenario, days: int, **demand: Any) -> np.ndarray:
    sc = make_scenario(run={"horizon_days": days, "warmup_days": 1},
                       demand={**FLAT, "orders_per_day": 200, **demand})
    net = build_network(sc)
    rngs = {n: stream(net.seed, n, 0) for n in STREAM_NAMES}
    return np.array([len(generate_day(net, d, rngs)) for d in range(days)])


def test_normal_daily_counts_vary_less_than_poisson(make_scenario: MakeScenario) -> None:
    n = _daily_counts(make_scenario, 400, daily_cv=0.02, daily_dist="normal")
    # Normal(200, sd 4) rounded: variance about 16, far below the mean (Poisson: 200)
    assert n.mean() == pytest.approx(200, rel=0.02)
    assert n.var() / n.mean() < 0.2
    assert 8 < n.var() < 28
    gamma = _daily_counts(make_scenario, 400, daily_cv=0.02)  # the default: over-dispersed
    assert gamma.var() / gamma.mean() > 0.7


def test_normal_with_no_cv_places_exactly_the_mean(make_scenario: MakeScenario) -> None:
    n = _daily_counts(make_scenario, 20, daily_dist="normal", orders_per_day=200.4)
    assert n.tolist() == [200] * 20


def test_normal_follows_the_hour_profile(make_scenario: MakeScenario) -> None:
    hours = [0.0] * 9 + [1.0] * 8 + [0.0] * 7  # 09:00 to 17:00 only
    sc = make_scenario(run={"horizon_days": 30, "warmup_days": 1},
                       demand={"hour_profile": hours, "daily_cv": 0.1, "daily_dist": "normal"})
    net = build_network(sc)
    rngs = {n: stream(net.seed, n, 0) for n in STREAM_NAMES}
    t = np.concatenate([generate_day(net, d, rngs).time_h for d in range(30)])
    h = np.floor(t % 24).astype(int)
    assert h.min() == 9 and h.max() == 16
    per_hour = np.bincount(h, minlength=24)[9:17]
    assert per_hour.min() > 0.8 * per_hour.mean()  # uniform over the eight hours


def test_daily_dist_is_checked(make_scenario: MakeScenario) -> None:
    assert make_scenario().demand.daily_dist == "gamma"
    with pytest.raises(ScenarioError, match=r"field 'demand\.daily_dist'"):
        make_scenario(demand={"daily_dist": "poisson"})


def _first_po_days(make_scenario: MakeScenario, start: str, **policy: Any) -> np.ndarray:
    sc = make_scenario(run={"start_date": start, "horizon_days": 14, "warmup_days": 1},
                       replace={"replenishment": {"policy": "RS", "S_days": 10.0,
                                                  "lead_time_days": 2.0, **policy}})
    po = run(sc)["purchase_orders"]
    assert len(po["time_h"]) > 0
    return np.unique(po["time_h"])


def test_daily_review_starts_on_the_first_day(make_scenario: MakeScenario) -> None:
    """Period 1, the run starting on a Tuesday: the first review (stock 3 days, order up to
    10) is on day 0 at the review hour, not on the following Monday (day 6)."""
    t = _first_po_days(make_scenario, "2026-03-03", review_period_days=1, review_hour=6.0)
    assert t[0] == 6.0
    assert np.array_equal(np.unique(t // 24), np.arange(14))  # every day
    assert (t % 24 == 6.0).all()


def test_review_of_three_days_starts_on_the_first_day(make_scenario: MakeScenario) -> None:
    t = _first_po_days(make_scenario, "2026-03-03", review_period_days=3)
    assert set((t // 24).tolist()) <= {0, 3, 6, 9, 12} and t[0] == 0.0


def test_weekly_review_waits_for_its_weekday(make_scenario: MakeScenario) -> None:
    """Period 7 on Fridays, the run starting on a Tuesday: the first review is day 3."""
    t = _first_po_days(make_scenario, "2026-03-03", review_weekday="fri", review_hour=2.0)
    assert sorted(set((t // 24).tolist())) == [3, 10]
    assert t[0] == 3 * 24 + 2.0
