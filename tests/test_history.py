"""Validation against history (sim.history, sim.importers.actuals, the report section).

Fixtures: ``tests/data/olist_2017_slice/`` holds 35 real orders of
``../shared/data/olist_2017_10k`` (Olist, CC BY-NC-SA 4.0; test fixture only) with their
items and customers, original columns: the first 30 orders, one delivered before its carrier
hand-over (a1abeb65...), the first shipped-not-delivered, canceled and unavailable orders and
a delivered order of three items.  ``tests/data/import/shopify_fulfilled.csv`` is
``shopify_orders.csv`` with ``Fulfilled at`` filled in (made-up times, one unreadable, one
before the order was placed).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.history import (
    QUANTILES,
    HistoryComparison,
    actuals_beside,
    compare_history,
    compare_results,
    compare_samples,
    history_lines,
)
from sim.importers import import_orders
from sim.importers.actuals import ACTUALS_COLUMNS
from tests.test_kpis import hand_log

DATA = Path(__file__).parent / "data"
OLIST = DATA / "olist_2017_slice"
SHOPIFY = DATA / "import" / "shopify_fulfilled.csv"
PLAIN = DATA / "import" / "shopify_orders.csv"


def _actuals(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(ACTUALS_COLUMNS[1:])).assign(
        order_id=[f"o{i}" for i in range(len(rows))])


def test_known_ks_distance_and_quantiles() -> None:
    """The hand log (tests/test_kpis.py: horizon 100 h, warm-up 10 h) ships its window's
    orders 10 h and 20 h after they were placed and delivers them after 40 h and 60 h (1.667
    and 2.5 days); orders 3 and 4 never ship.  The history below: one order before the
    window, three shipped after 5, 15 and 25 h, one shipped after the horizon (not counted),
    deliveries after 2 and 3 days and one after the horizon."""
    nan = math.nan
    act = _actuals([(5.0, 8.0, 30.0, 100.0),  # placed in the warm-up: left out
                    (15.0, 20.0, 63.0, 10.0),
                    (25.0, 40.0, 97.0, 20.0),
                    (50.0, 75.0, 130.0, 30.0),  # delivered after the horizon
                    (60.0, 105.0, nan, nan),  # shipped after the horizon
                    (70.0, nan, nan, nan)])
    c = compare_history(hand_log(), act, "x.actuals.parquet")
    ship, deliv = c.distributions
    assert (ship.what, ship.unit, deliv.what, deliv.unit) == \
        ("click to ship", "hours", "click to deliver", "days")
    assert (ship.n_sim, ship.n_actual, deliv.n_sim, deliv.n_actual) == (2, 3, 2, 2)
    # by hand: F_sim and F_actual at 5, 10, 15, 20, 25 differ by 1/3, 1/6, 1/6, 1/3, 0
    assert ship.ks == pytest.approx(1 / 3)
    # simulated {1.667, 2.5} days against actual {2, 3}: 1/2 at 1.667 and at 2.5
    assert deliv.ks == pytest.approx(0.5)
    assert 0 < ship.p_value <= 1 and 0 < deliv.p_value <= 1
    # linear interpolation between order statistics, by hand: {10, 20} and {5, 15, 25}
    assert [q for q, _, _ in ship.quantiles] == list(QUANTILES)
    assert [s for _, s, _ in ship.quantiles] == pytest.approx([11, 12.5, 15, 17.5, 19, 19.5])
    assert [a for _, _, a in ship.quantiles] == pytest.approx([7, 10, 15, 20, 23, 24])
    assert [s for _, s, _ in deliv.quantiles][2] == pytest.approx((40 / 24 + 60 / 24) / 2)
    assert [a for _, _, a in deliv.quantiles][2] == pytest.approx(2.5)
    assert (ship.mean_sim, ship.mean_actual) == pytest.approx((15.0, 15.0))
    # shipping: the window's shipped orders cost 8 and 9 + 11 (hand log); charged 10, 20, 30
    assert (c.shipping_sim_mean, c.n_shipping_sim) == (pytest.approx(14.0), 2)
    assert (c.charged_mean, c.n_charged) == (pytest.approx(20.0), 3)
    assert c.window_h == (10.0, 100.0)
    assert len(ship.cdf_sim) == 101 and ship.cdf_actual[0] == 5 and ship.cdf_actual[-1] == 25
    assert HistoryComparison.from_dict(c.to_dict()) == c
    text = "\n".join(history_lines(c))
    assert "KS 0.333" in text and "KS 0.500" in text and "p50 15.0 / 15.0" in text


def test_ks_and_quantiles_against_an_independent_computation() -> None:
    rng = np.random.default_rng(3)
    a = rng.gamma(2.0, 10.0, 700).round(1)  # rounded: ties within and across the samples
    b = np.append(rng.gamma(2.5, 9.0, 500).round(1), [np.nan, np.nan])
    d = compare_samples(a, b, "click to ship", "hours")
    bb = np.sort(b[np.isfinite(b)])
    aa = np.sort(a)
    x = np.concatenate([aa, bb])
    ks = np.abs(np.searchsorted(aa, x, "right") / len(aa)
                - np.searchsorted(bb, x, "right") / len(bb)).max()
    assert d.ks == pytest.approx(ks, abs=1e-12)
    assert (d.n_sim, d.n_actual) == (700, 500)

    def pct(s: np.ndarray, q: float) -> float:  # linear interpolation, by its definition
        pos = q / 100 * (len(s) - 1)
        lo = math.floor(pos)
        return float(s[lo] + (pos - lo) * (s[min(lo + 1, len(s) - 1)] - s[lo]))

    for q, s, act in d.quantiles:
        assert s == pytest.approx(pct(aa, q)) and act == pytest.approx(pct(bb, q))
    empty = compare_samples(np.array([]), b, "click to deliver", "days")
    assert empty.n_sim == 0 and math.isnan(empty.ks) and empty.cdf_sim == []


def test_olist_slice_actual_outcomes(tmp_path: Path) -> None:
    out = tmp_path / "olist.toml"
    s = import_orders(OLIST / "orders.csv", fmt="olist", out=out)
    f = tmp_path / "olist.actuals.parquet"
    assert f in s.files and s.actuals is not None
    assert "olist.actuals.parquet" in out.read_text(encoding="utf-8")
    assert any("Brazilian postcode" in w for w in s.warnings)
    t = pq.read_table(f).to_pandas()
    assert tuple(t.columns) == ACTUALS_COLUMNS  # no ZIP, city or customer ids
    raw = f.read_bytes()
    customers = pd.read_csv(OLIST / "customers.csv", dtype=str)
    assert not any(c.encode() in raw for c in customers["customer_city"])
    assert not any(c.encode() in raw for c in customers["customer_id"])
    assert s.actuals.excluded == {"delivered before it was handed over": 1}
    # against the CSVs, read independently
    o = pd.read_csv(OLIST / "orders.csv", parse_dates=[
        "order_purchase_timestamp", "order_delivered_carrier_date",
        "order_delivered_customer_date"]).set_index("order_id")
    items = pd.read_csv(OLIST / "order_items.csv")
    t = t.set_index("order_id")
    assert len(t) == s.orders_kept == 30
    kept = o.loc[t.index]
    c2s = (kept["order_delivered_carrier_date"] - kept["order_purchase_timestamp"]) \
        / pd.Timedelta(hours=1)
    c2d = (kept["order_delivered_customer_date"] - kept["order_purchase_timestamp"]) \
        / pd.Timedelta(hours=1)
    bad = "a1abeb653a4d4cd1e142ccb8c82cd069"
    assert kept.loc[bad, "order_delivered_customer_date"] < \
        kept.loc[bad, "order_delivered_carrier_date"]
    assert t.loc[bad, ["shipped_h", "delivered_h"]].isna().all()
    good = t.index != bad
    np.testing.assert_allclose((t["shipped_h"] - t["placed_h"])[good], c2s[good], atol=1e-6)
    np.testing.assert_allclose((t["delivered_h"] - t["placed_h"])[good], c2d[good], atol=1e-6)
    shipped_only = kept.index[(kept["order_status"] == "shipped").to_numpy()]
    assert len(shipped_only) == 1 and math.isnan(t.loc[shipped_only[0], "delivered_h"])
    freight = items.groupby("order_id")["freight_value"].sum()
    np.testing.assert_allclose(t["shipping_charged"], freight.loc[t.index], atol=1e-9)
    assert (items.groupby("order_id").size().loc[t.index] == 3).any()  # a multi-item order
    # the same clock as the order table
    lines = pq.read_table(tmp_path / "olist.orders.parquet").to_pandas()
    placed = lines.groupby("order_id")["placed_h"].first()
    np.testing.assert_allclose(t["placed_h"], placed.loc[t.index])
    assert s.actuals.lines()[0].startswith(
        "Actual outcomes for the validation against history: 28 hand-over times, 27 delivery")


def test_shopify_fulfilled_at_and_bad_values_counted(tmp_path: Path) -> None:
    s = import_orders(SHOPIFY, fmt="shopify", out=tmp_path / "shop.toml")
    assert s.actuals is not None
    assert s.actuals.excluded == {"hand-over time unreadable": 1,
                                  "handed over before it was placed": 1}
    t = pq.read_table(tmp_path / "shop.actuals.parquet").to_pandas().set_index("order_id")
    c2s = (t["shipped_h"] - t["placed_h"]).dropna()
    assert c2s.to_dict() == pytest.approx({"#1001": 20.0, "#1006": 12.0, "#1009": 6.0})
    assert t.loc[["#1004", "#1005"], "shipped_h"].isna().all()
    assert (t["shipping_charged"] == 5.0).all() and t["delivered_h"].isna().all()
    assert "#1002" not in t.index and "#1008" not in t.index  # cancelled, outside the US
    assert not any(b"Quigley" in (tmp_path / n).read_bytes()
                   for n in ("shop.actuals.parquet", "shop.toml"))
    lines = "\n".join(s.lines())
    assert "handed over before it was placed: 1" in lines and "shop.actuals.parquet" in lines


def test_generic_file_impossible_values_are_left_out_and_counted(tmp_path: Path) -> None:
    f = tmp_path / "orders.csv"
    f.write_text(
        "id,when,item,zip,shipped,delivered,freight\n"
        "A,2024-03-05 10:00,S1,60614,2024-03-05 20:00,2024-03-08 10:00,4.5\n"
        "A,2024-03-05 10:00,S2,60614,,,1.5\n"
        "B,2024-03-05 11:00,S1,10001,2024-03-06 11:00,2024-03-04 11:00,2\n"
        "C,2024-03-05 12:00,S1,10001,2024-03-07 12:00,soon,-3\n"
        "D,2024-03-05 13:00,S1,10001,2024-03-07 12:00,2024-03-07 11:00,x\n"
        "E,2024-03-05 14:00,S1,10001,,,\n", encoding="utf-8")
    mapping = {"id": "order_id", "when": "created_at", "item": "sku", "shipped": "shipped_at",
               "delivered": "delivered_at", "freight": "freight"}
    s = import_orders(f, fmt="csv", out=tmp_path / "g.toml", mapping=mapping)
    assert s.actuals is not None and s.orders_kept == 5
    assert s.actuals.excluded == {"delivery time unreadable": 1,
                                  "delivered before it was placed": 1,
                                  "delivered before it was handed over": 1}
    t = pq.read_table(tmp_path / "g.actuals.parquet").to_pandas().set_index("order_id")
    # E has no outcome at all; D none left (both times out, its freight unreadable)
    assert list(t.index) == ["A", "B", "C"]
    assert t.loc["A", "shipping_charged"] == pytest.approx(6.0)  # summed over the lines
    assert t.loc["A", "delivered_h"] - t.loc["A", "placed_h"] == pytest.approx(72.0)
    assert t.loc["B", "shipped_h"] - t.loc["B", "placed_h"] == pytest.approx(24.0)
    assert math.isnan(t.loc["B", "delivered_h"])
    assert t.loc["C", "shipped_h"] - t.loc["C", "placed_h"] == pytest.approx(48.0)
    assert math.isnan(t.loc["C", "shipping_charged"])  # negative


def test_no_outcomes_no_file_and_an_old_one_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "season.toml"
    import_orders(SHOPIFY, fmt="shopify", out=out)
    assert (tmp_path / "season.actuals.parquet").is_file()
    assert actuals_beside(out) == tmp_path / "season.actuals.parquet"
    assert actuals_beside(tmp_path / "season.fitted.toml") == tmp_path / \
        "season.actuals.parquet"
    s = import_orders(PLAIN, fmt="shopify", out=out)  # 'Fulfilled at' blank throughout
    assert s.actuals is None and not (tmp_path / "season.actuals.parquet").exists()
    assert actuals_beside(out) is None
    assert "actuals" not in out.read_text(encoding="utf-8")
    # a file of that name the scenario does not name is not taken for its outcomes
    (tmp_path / "season.actuals.parquet").write_bytes(b"not ours")
    assert actuals_beside(out) is None


def test_report_section_with_actuals_and_without(tmp_path: Path) -> None:
    out = tmp_path / "season.toml"
    assert main(["import", "orders", str(SHOPIFY), "--format", "shopify", "--out",
                 str(out)]) == 0
    assert main(["run", str(out), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert main(["report", str(tmp_path / "r"), "--out", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    c = compare_results(tmp_path / "r")
    ship = c.distributions[0]
    assert ship.n_actual >= 1 and ship.n_sim >= 1
    assert 'id="history"' in html and "<h2>Validation against history</h2>" in html
    assert "season.actuals.parquet" in html
    assert (f'<td>click to ship</td><td>hours</td><td class="num">{ship.n_sim:,}</td>'
            f'<td class="num">{ship.n_actual:,}</td><td class="num">{ship.ks:.3f}</td>') in html
    assert ("<tr><td>click to ship (hours), actual</td>"
            + "".join(f'<td class="num">{a:,.1f}</td>' for _, _, a in ship.quantiles)) in html
    assert 'alt="Validation: click to ship"' in html  # the chart was drawn
    deliv = c.distributions[1]  # Shopify has no delivery times: simulated only, no KS
    assert deliv.n_actual == 0 and math.isnan(deliv.ks)
    assert '<td>click to deliver</td><td>days</td>' in html
    # the same replay without outcomes: no section
    plain = tmp_path / "plain.toml"
    assert main(["import", "orders", str(PLAIN), "--format", "shopify", "--out",
                 str(plain)]) == 0
    assert main(["run", str(plain), "--out", str(tmp_path / "p"), "--quiet"]) == 0
    assert main(["report", str(tmp_path / "p"), "--out", str(tmp_path / "p.html")]) == 0
    assert 'id="history"' not in (tmp_path / "p.html").read_text(encoding="utf-8")


def test_history_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``fulfill history``: import with outcomes, replay, compare; the actual side is the
    fixture's own (2 orders with a fulfilment time, 4 with shipping charged)."""
    from sim.cli import main

    src = Path(__file__).parent / "data" / "import" / "shopify_fulfilled.csv"
    scen = tmp_path / "s.toml"
    assert main(["import", "orders", str(src), "--format", "shopify", "--out", str(scen)]) == 0
    assert main(["run", str(scen), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["history", str(tmp_path / "r")]) == 0
    said = capsys.readouterr().out.replace("\n", " ")
    assert "click to ship (hours):" in said and "simulated, 2 actual" in said
    assert "charged in the history 5.00 (4 orders" in said
    assert main(["history", str(tmp_path / "missing")]) == 2
