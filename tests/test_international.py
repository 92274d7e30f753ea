"""International orders (``[international]``, :mod:`sim.international`): orders going to
destination groups abroad, shipped only with international services, cleared through customs,
with duties and taxes; conservation of orders and units, hand-computed event logs, the share
abroad against its expectation, common random numbers, the results directory and KPIs on a
hand-built log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.eventlog import EventLog, Status
from sim.kpis import compute_kpis
from sim.model import simulate
from sim.network import build_network
from sim.scenario import load_scenario
from tests.conftest import MakeScenario, deep_merge, run, write_scenario
from tests.test_conservation import check_orders, check_shipments, check_units
from tests.test_quality import _events, _ground, _rates, _timeline, one_order_data

S = Status


def _intl_rates(folder: Path, groups: dict[str, float]) -> str:
    """A flat international rate table: a price per group, whatever the weight (to 20 lb)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["weight_lb," + ",".join(groups)] + [
        f"{w}," + ",".join(f"{p:.2f}" for p in groups.values()) for w in range(1, 21)]
    (folder / "rates_intl.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return "rates_intl.csv"


def _intl_service(groups: dict[str, int], **kw: Any) -> dict[str, Any]:
    return {"intl": {"rates": "rates_intl.csv", "international": True,
                     "transit_days_by_group": groups, "business_days": False, **kw}}


GROUPS = {"canada": {"weight": 0.6, "lat": 43.7, "lon": -79.4,
                     "customs_h": {"mean": 20.0, "dist": "lognormal", "cv": 0.8},
                     "duty_rate": 0.13, "de_minimis": 29.0, "exception_probability": 0.05,
                     "return_label_cost": 18.0, "promise_extra_days": 3},
          "uk": {"weight": 0.4, "lat": 51.5, "lon": -0.1,
                 "customs_h": {"mean": 30.0, "dist": "exponential"}, "duty_rate": 0.2,
                 "promise_extra_days": 5}}


OFF = {"international": {"share": {"web": 0.0, "market": 0.0}}}
"""Merged into a scenario: no order goes abroad."""


# ------------------------------------------------------------------ absent changes nothing
def test_international_section_at_zero_changes_nothing(make_scenario: MakeScenario,
                                                       tmp_path: Path) -> None:
    plain = make_scenario({"run": {"horizon_days": 5}})
    zero = make_scenario({"run": {"horizon_days": 5},
                          "international": {"share": {"web": 0.0}, "groups": {
                              "canada": {"weight": 1.0, "lat": 43.7, "lon": -79.4}}}})
    assert build_network(zero).international is None
    assert build_network(zero).n_dests == build_network(plain).n_dests
    a, b = run(plain), run(zero)
    assert a.equals(b)
    assert "international" not in a.tables
    assert not any(k.startswith(("international", "customs", "duties")) for k in compute_kpis(a))


# ------------------------------------------------------------------ hand-computed logs
def _hand(tmp_path: Path, group: dict[str, Any], channel: str = "web",
          ddp: tuple[str, ...] = ("web",), units: int = 1, **svc: Any) -> EventLog:
    """One order (SKU A at $20 a unit, channel ``channel``) placed Monday 01:00, always going
    to Canada; one picker and one packer around the clock, 1 h to pick, 0.5 h to pack, a
    carrier pickup a day at 18:00, deliveries at 17:00, calendar days.  Ground ships domestic
    parcels at $8; the international service ships to Canada at $20 in 3 days."""
    folder = tmp_path / "hand"
    data = one_order_data(
        folder, channel=channel, units=units, horizon_days=10,
        international={"share": {"web": 1.0, "market": 1.0}, "ddp_channels": list(ddp),
                       "groups": {"canada": {"weight": 1.0, "lat": 43.7, "lon": -79.4,
                                             **group}}})
    _intl_rates(folder, {"canada": 20.0})
    data["services"] = {**_ground(), **_intl_service({"canada": 3}, **svc)}
    return simulate(build_network(load_scenario(write_scenario(folder, data))))


def _intl_rows(log: EventLog) -> list[tuple[float, ...]]:
    it = log["international"]
    return list(zip(*(it[c].tolist() for c in ("time_h", "order_id", "group", "customs_h",
                                               "goods_value", "duties", "ddp",
                                               "return_label_cost")), strict=True))


def test_hand_log_order_abroad_clears_customs(tmp_path: Path) -> None:
    log = _hand(tmp_path, {"customs_h": {"mean": 10.0}, "duty_rate": 0.1,
                           "promise_extra_days": 2, "return_label_cost": 18.0})
    # picked 1-2, packed 2-2.5, Mon 18:00 pickup with the international service, 3 calendar
    # days: Thu 17:00 (89), then 10 h in customs: delivered at 99
    assert _events(log) == _timeline(
        (1.0, -1, S.PLACED), (1.0, 0, S.PICK_START), (2.0, 0, S.PICKED),
        (2.0, 0, S.PACK_START), (2.5, 0, S.PACKED), (18.0, 0, S.SHIPPED),
        (99.0, 0, S.DELIVERED))
    lb = log["labels"]
    assert lb["service"].tolist() == [1] and lb["postage"].tolist() == [20.0]
    # promise: 4 days after the order day (120) + 2 extra days = 168
    orders = log["orders"]
    assert orders["promise_h"].tolist() == [168.0]
    names = log.meta["dest_names"]
    assert isinstance(names, list) and names[orders["dest"][0]] == "canada"  # after the US ones
    assert log["shipments"]["zone"].tolist() == [9]
    # goods $20, duties 10 % paid by the shipper (web is delivered duty paid)
    assert _intl_rows(log) == [(1.0, 0, 0, 10.0, 20.0, 2.0, 1, 18.0)]
    k = compute_kpis(log)
    assert k["international_share"] == 1.0 and k["customs_h_mean"] == 10.0
    assert k["duties_paid"] == pytest.approx(2.0) and k["duties_customer_paid"] == 0.0
    assert k["international_on_time_rate"] == 1.0
    assert k["international_shipping_cost_per_order"] == pytest.approx(20.0)


def test_hand_log_below_de_minimis_and_customer_pays(tmp_path: Path) -> None:
    # 1 unit ($20) under a $29 de minimis: no duties
    log = _hand(tmp_path, {"duty_rate": 0.13, "de_minimis": 29.0})
    assert _intl_rows(log)[0][4:7] == (20.0, 0.0, 1)
    # 2 units ($40) above it, on a channel that is not delivered duty paid: the customer pays
    log = _hand(tmp_path / "b", {"duty_rate": 0.13, "de_minimis": 29.0}, units=2, ddp=())
    assert _intl_rows(log)[0][4:7] == (40.0, pytest.approx(5.2), 0)
    k = compute_kpis(log)
    assert k["duties_paid"] == 0.0 and k["duties_customer_paid"] == pytest.approx(5.2)
    # no return label override: returns.label_cost
    assert _intl_rows(log)[0][7] == pytest.approx(log.meta["returns_label_cost"])


def test_hand_log_exception_probability_of_the_group(tmp_path: Path) -> None:
    # the service never fails, the group always does: an exception when customs are done
    log = _hand(tmp_path, {"customs_h": {"mean": 5.0}, "exception_probability": 1.0},
                exception_probability=0.0)
    ev = _events(log)
    assert ev[-1] == (94.0, 0, "EXCEPTION", 0)
    assert "DELIVERED" not in {e[2] for e in ev}


# ------------------------------------------------------------------ conservation, shares
def _intl_scenario(make_scenario: MakeScenario, tmp_path: Path, **over: Any) -> Any:
    _rates(tmp_path)
    _intl_rates(tmp_path, {"canada": 22.0, "uk": 35.0})
    return make_scenario(
        {"run": {"horizon_days": 16, "warmup_days": 2},
         "inventory": {"rule": "days_of_demand", "days": 8},
         "returns": {"probability": 0.1, "delay_days": {"mean": 2.0}},
         "international": {"share": {"web": 0.2, "market": 0.05}, "ddp_channels": ["web"],
                           "groups": GROUPS, **over}},
        services={**_ground(), **_intl_service({"canada": 4, "uk": 6})},
        carrier={"business_days": False})


def check_international(log: EventLog, n_dom: int) -> dict[str, int]:
    """Each order abroad has one row, its destination is its group's, its parcels travel with
    the international service and arrive its customs hours after the transit, and no domestic
    order goes abroad."""
    it, orders, sh, lb = log["international"], log["orders"], log["shipments"], log["labels"]
    n = log.n_rows("orders")
    assert len(np.unique(it["order_id"])) == len(it["order_id"])
    abroad = np.zeros(n, bool)
    abroad[it["order_id"]] = True
    np.testing.assert_array_equal(orders["dest"][it["order_id"]], n_dom + it["group"])
    assert (orders["dest"][~abroad] < n_dom).all()
    np.testing.assert_array_equal(it["time_h"], orders["placed_h"][it["order_id"]])
    assert (it["customs_h"] >= 0).all()
    # a parcel too heavy for every service that could carry it costs inf, as at home; every
    # other one abroad travels with the international service ("intl", service 1), every
    # domestic one with ground (service 0)
    service = np.full(log.n_rows("shipments"), -1)
    service[lb["shipment_id"]] = lb["service"]
    priced = np.zeros(log.n_rows("shipments"), bool)
    priced[lb["shipment_id"]] = np.isfinite(lb["postage"])
    on = abroad[sh["order_id"]]
    assert (service[on & priced] == 1).all() and (on & priced).any()
    assert (service[~on & priced] == 0).all()
    np.testing.assert_array_equal(sh["zone"][on], 9 + it["group"][
        np.searchsorted(it["order_id"], sh["order_id"][on])])
    return {"abroad": int(abroad.sum()), "orders": n}


@pytest.mark.parametrize("seed", [1, 2])
def test_conservation_with_orders_abroad(make_scenario: MakeScenario, tmp_path: Path,
                                         seed: int) -> None:
    sc = _intl_scenario(make_scenario, tmp_path).with_overrides(seed=seed)
    log = run(sc)
    check_orders(log)
    check_shipments(log)
    check_units(log)
    n_dom = len(sc.tables.dest_names)
    counts = check_international(log, n_dom)
    # expected share abroad: 0.7 x 0.2 + 0.3 x 0.05 = 0.155 (binomial, 4 sd)
    n = counts["orders"]
    p = 0.7 * 0.2 + 0.3 * 0.05
    assert abs(counts["abroad"] - n * p) < 4 * np.sqrt(n * p * (1 - p))
    # group shares 0.6 / 0.4
    g = log["international"]["group"]
    assert abs(float((g == 0).mean()) - 0.6) < 4 * np.sqrt(0.24 / len(g))


def test_customs_delay_in_delivery_times(make_scenario: MakeScenario, tmp_path: Path) -> None:
    """Every delivered parcel abroad arrives its customs hours after the transit would end:
    delivery - customs falls on the delivery hour (17:00), transit counted in whole days."""
    sc = _intl_scenario(make_scenario, tmp_path).with_overrides(horizon_days=10)
    log = run(sc)
    it, ev, sh = log["international"], log["events"], log["shipments"]
    customs = dict(zip(it["order_id"].tolist(), it["customs_h"].tolist(), strict=True))
    d = ev["status"] == S.DELIVERED
    rows = [(t, customs[o]) for t, o in zip(ev["time_h"][d].tolist(),
                                             ev["order_id"][d].tolist(), strict=True)
            if o in customs]
    assert len(rows) > 50
    for t, c in rows:
        assert (t - c) % 24.0 == pytest.approx(17.0)
    assert (sh["zone"] >= 9).sum() > 0


def test_same_orders_abroad_whatever_the_routing(make_scenario: MakeScenario,
                                                 tmp_path: Path) -> None:
    sc = _intl_scenario(make_scenario, tmp_path).with_overrides(horizon_days=8)
    a, b = run(sc), run(sc)
    assert a.equals(b)
    other = simulate(build_network(sc.with_data(deep_merge(
        sc.model_dump(), {"routing": {"policy": "least_loaded"}}))))
    for c, v in a["international"].items():
        np.testing.assert_array_equal(other["international"][c], v)
    # the other streams are untouched: the orders' lines are the same as without the section
    plain = run(sc.with_data(deep_merge(sc.model_dump(), OFF)))
    for c in ("placed_h", "channel", "n_lines", "n_units"):
        np.testing.assert_array_equal(a["orders"][c], plain["orders"][c])


def test_forecast_sends_stock_toward_the_groups(make_scenario: MakeScenario,
                                                tmp_path: Path) -> None:
    """The groups get their expected share of the forecast (initial stock), through their
    nearest FC; the total is unchanged."""
    sc = _intl_scenario(make_scenario, tmp_path)
    net = build_network(sc)
    plain = build_network(sc.with_data(deep_merge(sc.model_dump(), OFF)))
    assert net.forecast_units_per_day.sum() == pytest.approx(
        plain.forecast_units_per_day.sum())
    east = net.fc_names.index("east")
    assert net.forecast_units_per_day[east].sum() > plain.forecast_units_per_day[east].sum()


def test_results_directory_round_trip(make_scenario: MakeScenario, tmp_path: Path) -> None:
    from sim.results import load_kpis, read_results, write_results
    from sim.runner import run_scenario

    sc = _intl_scenario(make_scenario, tmp_path).with_overrides(horizon_days=6)
    result = run_scenario(sc)
    res = write_results(tmp_path / "res", result.log, result.kpis, sc.model_dump(mode="json"),
                        result.manifest)
    back = read_results(res)
    for c, a in result.log["international"].items():
        np.testing.assert_array_equal(back["international"][c], a)
    kpis = load_kpis(res)[1]
    for name in ("international_share", "customs_h_mean", "duties_paid_per_order",
                 "international_shipping_cost_per_order"):
        assert kpis[name] == pytest.approx(result.kpis[name])


# ------------------------------------------------------------------ KPIs on a hand-built log
def test_international_kpis_on_a_hand_built_log() -> None:
    """The KPI test's hand-built log (tests/test_kpis.py) with two orders abroad:

    order 0 (warm-up, abroad): outside the window
    order 1 (abroad, DDP): customs 12 h, duties $3, return label $20 (delivered at 60 <= 70)
    order 2 (abroad, not DDP): customs 30 h, duties $5 paid by the customer
    """
    from tests.test_kpis import hand_log

    base = hand_log()
    tables = {t: dict(cols) for t, cols in base.tables.items()}
    tables["international"] = {
        "time_h": np.array([5.0, 20.0, 30.0]), "order_id": np.array([0, 1, 2], np.int32),
        "group": np.array([0, 0, 1], np.int8), "customs_h": np.array([1.0, 12.0, 30.0]),
        "goods_value": np.array([10.0, 30.0, 50.0]), "duties": np.array([1.0, 3.0, 5.0]),
        "ddp": np.array([1, 1, 0], np.int8), "return_label_cost": np.array([20.0, 20.0, 25.0])}
    log = EventLog(tables=tables, meta=base.meta)
    k = compute_kpis(log)
    n = k["orders_placed"]
    assert k["international_orders"] == 2
    assert k["international_share"] == pytest.approx(2 / n)
    assert k["customs_h_mean"] == pytest.approx(21.0)
    assert k["duties_paid"] == pytest.approx(3.0)
    assert k["duties_paid_per_order"] == pytest.approx(3.0 / n)
    assert k["duties_paid_per_international_order"] == pytest.approx(1.5)
    assert k["duties_customer_paid"] == pytest.approx(5.0)
    assert k["international_cost_per_order"] == pytest.approx(
        (3.0 + k["international_return_label_extra"]) / n)


# ------------------------------------------------------------------ imported histories
def test_import_keeps_orders_to_a_group_country(tmp_path: Path) -> None:
    """With a base scenario that has [international] (countries listed per group), an
    imported order to Canada is kept as ``@canada`` instead of dropped, and the replay sends
    it abroad (the history decides, not the channel shares)."""
    from sim.importers import import_orders
    from tests.test_import import OUTSIDE, SHOPIFY

    base = Path(__file__).resolve().parents[1] / "scenarios" / "international.toml"
    out = tmp_path / "replay.toml"
    s = import_orders(SHOPIFY, fmt="shopify", out=out, base=base)
    plain = import_orders(SHOPIFY, fmt="shopify", out=tmp_path / "plain.toml")
    assert s.orders_kept == plain.orders_kept + 1  # #1008, shipped to Ontario, CA
    assert s.left_out[OUTSIDE] == plain.left_out[OUTSIDE] - 1
    df = pq.read_table(tmp_path / "replay.orders.parquet").to_pandas()
    assert df.loc[df["order_id"] == "#1008", "zip3"].tolist() == ["@canada"]
    sc = load_scenario(out)
    log = simulate(build_network(sc))
    it = log["international"]
    assert len(it["order_id"]) == 1 and it["group"].tolist() == [0]  # canada
    names = log.meta["dest_names"]
    assert isinstance(names, list)
    assert names[log["orders"]["dest"][it["order_id"][0]]] == "canada"
    check_orders(log)


def test_replay_names_an_unknown_country_group(tmp_path: Path) -> None:
    from sim.scenario.replay import read_replay
    from sim.scenario.types import ScenarioError

    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(pd.DataFrame({
        "order_id": ["o1", "o2"], "placed_h": [1.0, 2.0], "channel": ["web", "web"],
        "zip3": ["100", "@mars"], "sku": ["A", "A"], "units": [1, 1]}), preserve_index=False),
        path)
    with pytest.raises(ScenarioError, match=r"'@mars' is not a destination group.*canada"):
        read_replay(path, ("A",), ["web"], ("canada",))
    rp = read_replay(path, ("A",), ["web"], ("canada", "mars"))
    assert rp.has_groups and rp.dest.tolist() == [0, 1 + 1]  # ZIP3 100, then group 1 (mars)
    assert rp.dest_weight().tolist() == [1.0]
