"""Fitting the demand model to an order history: known answers, a round trip through the
generator, the scenario schema, and an out-of-sample check on real orders (Olist 2017)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import tomli_w

from sim.demand import STREAM_NAMES, draw_counts, generate_day
from sim.importers.fit import (
    DEFAULT_PROMISE_DAYS,
    FitCheck,
    FitResult,
    _ks_2samp,
    _ks_cdf,
    _pmf,
    compare,
    fit_demand,
    fit_report_lines,
)
from sim.network import build_network
from sim.rng import stream
from sim.scenario import CountDist, ScenarioError, load_scenario, validate_scenario_dict
from tests.conftest import MakeScenario

START = dt.date(2026, 3, 2)  # a Monday
HOUR = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 3.0, 4.5, 5.5, 6.0,
                 6.0, 5.8, 5.5, 5.2, 5.0, 5.2, 5.8, 6.5, 7.0, 6.0, 4.0, 1.5])
HOUR = HOUR / HOUR.sum()
WEEK = np.array([1.25, 1.15, 1.05, 1.0, 0.95, 0.7, 0.9])
WEEK = WEEK / WEEK.mean()
SHARED = Path(__file__).resolve().parents[2] / "shared"
OLIST = SHARED / "data" / "olist_2017_10k"


def _history(days: int, opd: float, *, seed: int = 1, peak: tuple[int, int, float] | None = None,
             start: dt.date = START) -> pd.DataFrame:
    """Orders drawn from known profiles: Poisson days, hours from HOUR, 1 + geometric lines."""
    rng = np.random.default_rng(seed)
    wd = (start.weekday() + np.arange(days)) % 7
    rate = opd * WEEK[wd]
    if peak is not None:
        rate[peak[0]:peak[1] + 1] *= peak[2]
    counts = rng.poisson(rate)
    day = np.repeat(np.arange(days), counts)
    placed = 24.0 * day + rng.choice(24, len(day), p=HOUR) + rng.random(len(day))
    n_lines = rng.geometric(1 / 1.4, len(day))
    order = np.repeat(np.arange(len(day)), n_lines)
    return pd.DataFrame({
        "order_id": [f"o{i}" for i in order], "placed_h": placed[order],
        "channel": np.where(rng.random(len(day)) < 0.7, "webstore", "marketplace")[order],
        "zip3": rng.choice(["100", "606", "900"], len(day), p=[0.5, 0.3, 0.2])[order],
        "sku": [f"S{k}" for k in rng.choice(50, len(order))],
        "units": 1 + rng.poisson(0.3, len(order)),
    })


def test_recovers_known_hour_and_weekday_profiles() -> None:
    fit = fit_demand(_history(60, 400.0), START)
    d = fit.demand
    # 24,000 orders: an hour's share has a standard error under 0.002
    assert np.abs(np.array(d["hour_profile"]) - HOUR).max() < 0.007
    assert sum(d["hour_profile"]) == pytest.approx(1.0)
    # 8 full weeks of ~3,200 orders per weekday: about 2 % standard error per weekday
    assert np.abs(np.array(d["weekday_profile"]) - WEEK).max() < 0.07
    assert np.mean(d["weekday_profile"]) == pytest.approx(1.0)
    assert d["orders_per_day"] == pytest.approx(400.0, rel=0.03)
    assert d["seasonality"] == []  # no peak in a flat history
    assert fit.dest_weights["100"] == pytest.approx(0.5, abs=0.02)
    assert d["channels"]["webstore"]["share"] == pytest.approx(0.7, abs=0.02)
    assert sum(c["share"] for c in d["channels"].values()) == pytest.approx(1.0)
    # the in-sample checks: profiles match, the simulated daily volume resembles the observed
    checks = {c.what: c for c in fit.checks}
    assert set(checks) == {"daily volume", "hour of day", "weekday", "lines per order",
                           "units per line", "top-SKU share"}
    assert checks["hour of day"].ks < 1e-12 and checks["top-SKU share"].ks < 1e-12
    assert checks["daily volume"].ks < 0.25


def test_a_five_day_triple_peak_becomes_one_season() -> None:
    fit = fit_demand(_history(84, 300.0, seed=3, peak=(40, 44, 3.0)), START)
    (season,) = fit.demand["seasonality"]
    assert season["start"] == START + dt.timedelta(days=40)
    assert season["end"] == START + dt.timedelta(days=44)
    assert season["multiplier"] == pytest.approx(3.0, rel=0.08)
    # the peak is divided out of the level and of the weekday profile
    assert fit.demand["orders_per_day"] == pytest.approx(300.0, rel=0.03)
    assert np.abs(np.array(fit.demand["weekday_profile"]) - WEEK).max() < 0.07


def test_a_short_blip_is_not_a_season() -> None:
    """One day at 3x is not a run of two; the rule needs at least two days."""
    fit = fit_demand(_history(84, 300.0, seed=4, peak=(40, 40, 3.0)), START)
    assert fit.demand["seasonality"] == []


def test_empirical_weights_are_the_observed_frequencies() -> None:
    lines = pd.DataFrame({
        "order_id": ["a", "b", "b", "c", "c", "c", "d", "e", "e"],
        "placed_h": [1.0, 2.0, 2.0, 30.5, 30.5, 30.5, 50.0, 70.0, 70.0],
        "channel": ["web"] * 9, "zip3": ["100"] * 9,
        "sku": ["x", "x", "y", "x", "y", "z", "y", "z", "z"],  # e: one SKU twice = one line
        "units": [1, 2, 1, 1, 1, 4, 1, 1, 2],
    })
    d = fit_demand(lines, START).demand
    # orders a..e have 1, 2, 3, 1, 1 distinct SKUs
    assert d["lines_per_order"] == {"dist": "empirical", "values": [1, 2, 3],
                                    "weights": [3 / 5, 1 / 5, 1 / 5], "max": 3}
    # merged lines carry 1, 2, 1, 1, 1, 4, 1, 3 units
    assert d["units_per_line"] == {"dist": "empirical", "values": [1, 2, 3, 4],
                                   "weights": [5 / 8, 1 / 8, 1 / 8, 1 / 8], "max": 4}
    assert fit_demand(lines, START).sku_popularity == pytest.approx(
        {"x": 4 / 14, "y": 3 / 14, "z": 7 / 14})
    assert d["hour_profile"][1] == d["hour_profile"][6] == d["hour_profile"][22] == 0.2
    assert d["hour_profile"][2] == 0.4


def test_counts_are_capped_at_the_999th_percentile() -> None:
    rng = np.random.default_rng(0)
    lines = _history(30, 400.0, seed=5)
    lines.loc[rng.choice(len(lines), 5, replace=False), "units"] = 500  # five absurd lines
    d = fit_demand(lines, START).demand["units_per_line"]
    assert d["max"] < 10 and d["values"] == list(range(1, d["max"] + 1))
    assert sum(d["weights"]) == pytest.approx(1.0)


def test_round_trip_through_the_generator(make_scenario: MakeScenario) -> None:
    """Orders drawn by the simulator's own generator give back the scenario's parameters."""
    sc = make_scenario(demand={
        "orders_per_day": 600, "hour_profile": HOUR.tolist(),
        "seasonality": [{"start": "2026-04-13", "end": "2026-04-16", "multiplier": 2.5}]},
        run={"horizon_days": 70, "warmup_days": 0})
    net = build_network(sc)
    rngs = {n: stream(11, n) for n in STREAM_NAMES}
    rows = []
    for day in range(70):
        o = generate_day(net, day, rngs)
        n_lines = np.diff(o.line_ptr)
        owner = np.repeat(np.arange(len(o)), n_lines)
        rows.append(pd.DataFrame({
            "order_id": [f"{day}-{i}" for i in owner], "placed_h": o.time_h[owner],
            "channel": np.array(net.channel_names)[o.channel[owner]],
            "zip3": np.array(net.dest_names)[o.dest[owner]],
            "sku": np.array(net.sku_ids)[o.line_sku], "units": o.line_units}))
    fit = fit_demand(pd.concat(rows, ignore_index=True), sc.run.start_date,
                     base_channels=sc.model_dump(mode="json")["demand"]["channels"])
    d = fit.demand
    assert d["orders_per_day"] == pytest.approx(600, rel=0.03)
    assert np.abs(np.array(d["weekday_profile"]) - net.weekday_profile).max() < 0.06
    assert np.abs(np.array(d["hour_profile"]) - HOUR).max() < 0.005
    (season,) = d["seasonality"]
    assert (season["start"], season["end"]) == (dt.date(2026, 4, 13), dt.date(2026, 4, 16))
    assert season["multiplier"] == pytest.approx(2.5, rel=0.06)
    # the base channels' other settings carry over (here calendar-day promises)
    assert d["channels"] == {"web": {"share": pytest.approx(0.7, abs=0.01), "promise_days": 4,
                                     "promise_business_days": False},
                             "market": {"share": pytest.approx(0.3, abs=0.01),
                                        "promise_days": 2, "promise_business_days": False}}
    pop = sc.tables.sku_popularity / sc.tables.sku_popularity.sum()
    for sku, p in zip(sc.tables.sku_ids, pop, strict=True):
        assert fit.sku_popularity[sku] == pytest.approx(p, abs=0.01)
    checks = {c.what: c for c in fit.checks}
    # lines per order are distinct SKUs: the scenario's geometric draws lose a few duplicates
    # on the small catalog, which is what the data shows and the empirical fit keeps
    assert checks["lines per order"].ks < 0.01 and checks["units per line"].ks < 0.01
    assert checks["daily volume"].ks < 0.2


def _baseline_dict() -> dict[str, Any]:
    path = Path(str(resources.files("scenarios") / "baseline.toml"))
    return load_scenario(path).model_dump(mode="json")


def test_the_fitted_table_is_a_valid_demand_section(tmp_path: Path) -> None:
    data = _baseline_dict()
    fit = fit_demand(_history(63, 250.0, seed=2, peak=(20, 23, 2.5)), START,
                     base_channels=data["demand"]["channels"])
    data["demand"] = {**data["demand"], **fit.demand}
    data["run"]["start_date"] = START.isoformat()
    sc = validate_scenario_dict(data)
    assert sc.demand.orders_per_day == fit.demand["orders_per_day"]
    assert len(sc.demand.seasonality) == 1
    assert set(sc.demand.channels) == {"webstore", "marketplace"}  # 'social' never ordered
    assert sc.demand.channels["marketplace"].promise_days == 3  # the base's promise is kept
    assert sc.demand.lines_per_order.dist == "empirical"
    # and it is TOML as it stands (dates are TOML dates)
    text = tomli_w.dumps({"demand": fit.demand})
    assert "seasonality" in text and "2026-03-" in text
    data["demand"]["hour_profile"] = [0.0] * 24
    with pytest.raises(ScenarioError):
        validate_scenario_dict(data)


def test_channels_keep_the_base_promises() -> None:
    lines = _history(14, 100.0)
    lines.loc[lines.index[:40], "channel"] = "app"
    base = {"webstore": {"share": 0.5, "promise_days": 2},
            "marketplace": {"share": 0.3, "promise_days": 1},
            "social": {"share": 0.2, "promise_days": 9}}
    ch = fit_demand(lines, START, base_channels=base).demand["channels"]
    assert set(ch) == {"webstore", "marketplace", "app"}
    assert ch["webstore"]["promise_days"] == 2 and ch["marketplace"]["promise_days"] == 1
    assert ch["app"]["promise_days"] == DEFAULT_PROMISE_DAYS
    assert base["webstore"]["share"] == 0.5  # the caller's mapping is not changed


def test_level_days_measure_the_current_level() -> None:
    early, late = _history(56, 100.0, seed=6), _history(56, 200.0, seed=7)
    late = late.assign(order_id="L" + late["order_id"], placed_h=late["placed_h"] + 56 * 24)
    both = pd.concat([early, late], ignore_index=True)
    whole = fit_demand(both, START)
    assert whole.demand["orders_per_day"] == pytest.approx(150, rel=0.05)
    assert "trend" in whole.checks[0].note
    assert fit_demand(both, START, level_days=28).demand["orders_per_day"] == pytest.approx(
        200, rel=0.05)


def test_ks_distances() -> None:
    assert _ks_cdf([1, 1, 1], [2, 2, 2]) == 0.0
    assert _ks_cdf([1, 0, 0], [0, 0, 1]) == 1.0
    assert _ks_cdf([0.5, 0.5, 0], [0.25, 0.25, 0.5]) == pytest.approx(0.5)
    x = np.array([1.0, 2, 3, 4])
    assert _ks_2samp(x, x) == 0.0
    assert _ks_2samp(x, x + 10) == 1.0
    assert _ks_2samp(np.array([1.0, 1, 2, 2]), np.array([1.0, 2, 2, 2])) == pytest.approx(0.25)


@pytest.mark.parametrize("dist", [
    {"dist": "shifted_geometric", "mean": 1.5, "max": 12},
    {"dist": "shifted_poisson", "mean": 2.5, "max": 6},
    {"dist": "fixed", "mean": 2, "max": 5},
    {"dist": "empirical", "values": [1, 2, 3, 9], "weights": [70, 20, 5, 5], "max": 4},
])
def test_fitted_pmf_is_what_the_generator_draws(dist: dict[str, Any]) -> None:
    """The checks compare data with the probabilities the simulator actually draws from."""
    upto = 15
    p = _pmf(dist, upto)
    draws = draw_counts(np.random.default_rng(0), CountDist.model_validate(dist), 200_000)
    freq = np.bincount(draws, minlength=upto + 1)[1:] / len(draws)
    assert p.sum() == pytest.approx(1.0)
    assert np.abs(p - freq).max() < 0.005


def test_report_lines() -> None:
    checks = [FitCheck("hour of day", [0.5, 0.5], [0.4, 0.6], 0.1, "n = 2"),
              FitCheck("weekday", [1.0], [1.0], 0.0)]
    out = fit_report_lines(checks)
    assert out[0].startswith("Demand fit")
    assert out[1] == "  hour of day  KS 0.100  n = 2" and out[2] == "  weekday      KS 0.000"


def test_bad_input_is_refused() -> None:
    good = _history(7, 20.0)
    with pytest.raises(ValueError, match="column"):
        fit_demand(good.drop(columns="zip3"), START)
    with pytest.raises(ValueError, match="placed_h"):
        fit_demand(good.assign(placed_h=-1.0), START)
    for bad in (0, 1.5, "two"):
        with pytest.raises(ValueError, match="units"):
            fit_demand(good.assign(units=bad), START)
    with pytest.raises(ValueError, match="level_days"):
        fit_demand(good, START, level_days=0)
    with pytest.raises(ValueError, match="no order"):
        fit_demand(good.iloc[:0], START)


def _olist_lines() -> tuple[pd.DataFrame, pd.Series]:
    """Olist's order lines (canceled and unavailable orders dropped): sku = product, units =
    items of that product in the order; zip3 is a placeholder (destinations are Brazilian)."""
    orders = pd.read_csv(OLIST / "orders.csv", usecols=["order_id", "order_status",
                                                         "order_purchase_timestamp"])
    orders = orders[~orders["order_status"].isin(["canceled", "unavailable"])]
    items = pd.read_csv(OLIST / "order_items.csv",
                        usecols=["order_id", "order_item_id", "product_id"])
    lines = (items.groupby(["order_id", "product_id"], as_index=False)["order_item_id"].count()
             .rename(columns={"product_id": "sku", "order_item_id": "units"}))
    placed = pd.to_datetime(orders.set_index("order_id")["order_purchase_timestamp"])
    lines = lines[lines["order_id"].isin(placed.index)]
    return lines.assign(channel="marketplace", zip3="000"), placed


def _clocked(lines: pd.DataFrame, placed: pd.Series, start: dt.date) -> pd.DataFrame:
    hours = (placed.reindex(lines["order_id"]).to_numpy() - np.datetime64(start)) \
        / np.timedelta64(1, "h")
    return lines.assign(placed_h=hours)


def _naive(fit: FitResult) -> FitResult:
    """The same level, but a flat hour and weekday profile and one line per order."""
    return dataclasses.replace(fit, demand={
        **fit.demand, "hour_profile": [1.0] * 24, "weekday_profile": [1.0] * 7,
        "lines_per_order": {"dist": "fixed", "mean": 1, "max": 1}})


@pytest.mark.skipif(not OLIST.is_dir() and not os.environ.get("CI"),
                    reason="the shared Olist data is not beside the repository")
def test_olist_out_of_sample() -> None:
    """Fit January-September 2017, compare with October-December (see docs/demand_fit.md
    for the bounds: about twice the two-sample sampling noise, and better than naive)."""
    lines, placed = _olist_lines()
    cut = pd.Timestamp("2017-10-01")
    first = placed.min().date()
    train_ids, hold_ids = placed.index[placed < cut], placed.index[placed >= cut]
    train = _clocked(lines[lines["order_id"].isin(train_ids)], placed, first)
    hold = _clocked(lines[lines["order_id"].isin(hold_ids)], placed, cut.date())
    fit = fit_demand(train, first, level_days=28)
    got = {c.what: c for c in compare(fit, hold, cut.date())}
    naive = {c.what: c for c in compare(_naive(fit), hold, cut.date())}
    whole = {c.what: c for c in compare(fit_demand(train, first), hold, cut.date())}
    print("\nOlist 2017, fitted Jan-Sep, compared with Oct-Dec (KS fit / naive):")
    for what in got:
        print(f"  {what:<16} {got[what].ks:.3f} / {naive[what].ks:.3f}  {got[what].note}")
    print(f"  daily volume with the whole-history level: {whole['daily volume'].ks:.3f}")
    bounds = {"hour of day": 0.05, "weekday": 0.035, "lines per order": 0.01,
              "units per line": 0.015, "daily volume": 0.40}
    for what, bound in bounds.items():
        assert got[what].ks < bound, (what, got[what].ks)
    for what in ("hour of day", "weekday", "lines per order", "daily volume"):
        assert got[what].ks < naive[what].ks, (what, got[what].ks, naive[what].ks)
    assert got["hour of day"].ks < naive["hour of day"].ks / 5
    assert got["daily volume"].ks < whole["daily volume"].ks  # the current level is closer
