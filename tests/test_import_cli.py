"""``fulfill import orders`` end to end: import, replay in the model, fit, and bad input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.model import simulate
from sim.network import build_network
from sim.scenario import load_scenario

from .test_import import PERSONAL

DATA = Path(__file__).parent / "data" / "import"


def test_import_then_replay_conserves_every_order_and_unit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "season.toml"
    assert main(["import", "orders", str(DATA / "shopify_orders.csv"), "--format", "shopify",
                 "--out", str(out), "--fit"]) == 0
    text = capsys.readouterr().out
    assert "Kept 5 orders (6 lines, 10 units)" in text and "cancelled: 1" in text
    table = pq.read_table(tmp_path / "season.orders.parquet").to_pandas()
    sc = load_scenario(out)
    assert sc.demand.mode == "replay"
    log = simulate(build_network(sc))
    # every kept order is placed once, at its time, with its units
    assert log.n_rows("orders") == table["order_id"].nunique() == 5
    np.testing.assert_array_equal(np.sort(log["orders"]["placed_h"]),
                                  np.sort(table.groupby("order_id")["placed_h"].first()))
    assert int(log["order_lines"]["units"].sum()) == int(table["units"].sum()) == 10
    # the fitted scenario: synthetic demand, the history's hour profile and ZIP3 weights
    fitted = load_scenario(tmp_path / "season.fitted.toml")
    assert fitted.demand.mode == "synthetic"
    hours = np.bincount(np.floor(table.groupby("order_id")["placed_h"].first() % 24)
                        .astype(int), minlength=24)
    np.testing.assert_allclose(fitted.demand.hour_profile, hours / hours.sum())
    assert set(fitted.tables.dest_zip3) == set(table["zip3"])
    assert set(fitted.demand.channels) == set(table["channel"])  # channels with orders only
    assert simulate(build_network(fitted.with_overrides(horizon_days=3))).n_rows("orders") > 0
    doc = tomllib.loads((tmp_path / "season.fitted.toml").read_text(encoding="utf-8"))
    assert doc["replace"] == ["catalog", "demand"]
    # nothing personal in any file written
    for f in tmp_path.iterdir():
        body = f.read_bytes()
        for p in PERSONAL:
            assert p.encode() not in body, (f.name, p)


def test_bad_import_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x.toml")
    assert main(["import", "orders", str(DATA / "shopify_orders.csv"), "--format", "csv",
                 "--map", "nonsense", "--out", out]) == 2
    assert "expected COLUMN=FIELD" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text((DATA / "shopify_orders.csv").read_text(encoding="utf-8").splitlines()[0]
                     + "\n", encoding="utf-8")
    assert main(["import", "orders", str(empty), "--format", "shopify", "--out", out]) == 2
    mine = tmp_path / "mine.toml"
    mine.write_text("# my own scenario\n", encoding="utf-8")
    assert main(["import", "orders", str(DATA / "shopify_orders.csv"), "--format", "shopify",
                 "--out", str(mine)]) == 2
    assert mine.read_text(encoding="utf-8") == "# my own scenario\n"
    with pytest.raises(SystemExit):
        main(["import", "orders", "f.csv", "--format", "shopify", "--start", "2024-13-01",
              "--out", out])


def test_report_shows_the_demand_fit(tmp_path: Path) -> None:
    import json

    out = tmp_path / "season.toml"
    assert main(["import", "orders", str(DATA / "shopify_orders.csv"), "--format", "shopify",
                 "--out", str(out), "--fit"]) == 0
    assert main(["run", str(tmp_path / "season.fitted.toml"), "--days", "3", "--out",
                 str(tmp_path / "r"), "--quiet"]) == 0
    assert main(["report", str(tmp_path / "r"), "--out", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    checks = json.loads((tmp_path / "season.fit.json").read_text(encoding="utf-8"))["checks"]
    assert 'id="fit"' in html and "season.fit.json" in html
    for c in checks:  # every check with its distance, as in the fit file
        assert f"<td>{c['what']}</td><td class=\"num\">{c['ks']:.3f}</td>" in html
