"""Order generation follows the scenario's rates and profiles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.demand import STREAM_NAMES, draw_counts, generate_day, service_factor
from sim.network import DIST_CODES, build_network
from sim.rng import stream
from sim.scenario import CountDist
from tests.conftest import MakeScenario


def test_daily_counts_follow_weekday_and_season(make_scenario: MakeScenario) -> None:
    sc = make_scenario(demand={"seasonality": [{"start": "2026-03-09", "end": "2026-03-10",
                                                "multiplier": 2.0}]})
    net = build_network(sc)
    # 2026-03-02 is a Monday; day 7-8 are Mon/Tue of the season
    assert net.day_rate_multiplier(0) == pytest.approx(1.2 / np.mean(
        [1.2, 1.1, 1.0, 1.0, 0.9, 0.8, 1.0]))
    assert net.day_rate_multiplier(7) == pytest.approx(2 * net.day_rate_multiplier(0))
    rngs = {n: stream(5, n) for n in STREAM_NAMES}
    counts = np.array([len(generate_day(net, d, rngs)) for d in range(14)])
    expected = np.array([net.orders_per_day * net.day_rate_multiplier(d) for d in range(14)])
    # Poisson counts: chi-square goodness of fit at the 0.1 % level
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < stats.chi2.ppf(0.999, len(counts))
    assert net.expected_orders() == pytest.approx(expected.sum())


def test_hour_profile_shapes_arrivals(make_scenario: MakeScenario) -> None:
    profile = [0.0] * 8 + [3.0] * 4 + [1.0] * 12  # nothing at night, a morning peak
    net = build_network(make_scenario(demand={"hour_profile": profile, "orders_per_day": 5000}))
    rngs = {n: stream(1, n) for n in STREAM_NAMES}
    day = generate_day(net, 3, rngs)
    hours = (day.time_h - 72.0).astype(int)
    per_hour = np.bincount(hours, minlength=24)
    assert per_hour[:8].sum() == 0
    assert per_hour[8:12].mean() == pytest.approx(3 * per_hour[12:].mean(), rel=0.15)
    assert np.all(np.diff(day.time_h) >= 0) and day.time_h.min() >= 72.0


def test_order_lines_are_distinct_skus(make_scenario: MakeScenario) -> None:
    net = build_network(make_scenario(demand={"lines_per_order": {"dist": "shifted_poisson",
                                                                  "mean": 3.0}}))
    day = generate_day(net, 0, {n: stream(2, n) for n in STREAM_NAMES})
    for i in range(len(day)):
        skus = day.line_sku[day.line_ptr[i]:day.line_ptr[i + 1]]
        assert len(skus) == len(set(skus.tolist())) >= 1
    assert day.line_units.min() >= 1


@pytest.mark.parametrize(("dist", "mean"), [("shifted_poisson", 2.5), ("shifted_geometric", 1.8),
                                            ("fixed", 3.0)])
def test_count_distributions_have_their_mean(dist: str, mean: float) -> None:
    x = draw_counts(np.random.default_rng(3), CountDist(dist=dist, mean=mean), 200_000)
    assert x.min() >= 1
    assert x.mean() == pytest.approx(mean, rel=0.01)


def test_empirical_count_distribution() -> None:
    d = CountDist(dist="empirical", values=[1, 5], weights=[3, 1])
    x = draw_counts(np.random.default_rng(3), d, 100_000)
    assert set(np.unique(x).tolist()) == {1, 5}
    assert x.mean() == pytest.approx(d.expected(), rel=0.02)
    assert d.expected() == pytest.approx(2.0)


@pytest.mark.parametrize(("dist", "cv"), [("exponential", 1.0), ("lognormal", 0.5),
                                          ("gamma", 0.3), ("deterministic", 0.0)])
def test_service_factor_mean_one_and_cv(dist: str, cv: float) -> None:
    u = np.random.default_rng(9).random(400_000)
    x = service_factor(u, DIST_CODES[dist], cv)
    assert x.mean() == pytest.approx(1.0, rel=0.01)
    assert x.std() == pytest.approx(cv, abs=0.01)
