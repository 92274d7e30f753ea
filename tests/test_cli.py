"""The command line end to end: run, results on disk, compare, validate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.cli import default_scenario, main
from sim.kpis import compute_kpis
from sim.results import read_results
from sim.scenario import load_scenario
from tests.conftest import SMALL, deep_merge, write_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_path(tmp_path: Path) -> Path:
    return write_scenario(tmp_path, SMALL, "small.toml")


def test_run_writes_results_that_reproduce_kpis(small_path: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "res"
    assert main(["run", str(small_path), "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "on_time_rate" in printed and "results written to" in printed
    for f in ("events", "orders", "order_lines", "shipments", "shipment_lines", "shifts",
              "receipts", "stock", "purchase_orders", "transfers", "returns", "stock_daily",
              "labels", "tracking"):
        assert (out / f"{f}.parquet").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and len(manifest["scenario_sha256"]) == 64
    assert manifest["package_version"] and manifest["timings_s"]["simulate"] > 0
    saved = json.loads((out / "kpis.json").read_text())
    again = compute_kpis(read_results(out))
    assert saved.keys() == again.keys()
    for k, v in saved.items():
        assert v == pytest.approx(again[k], nan_ok=True), k
    assert not list(tmp_path.glob(".res.tmp-*")), "temporary directory left behind"


def test_seed_and_days_override(small_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert main(["run", str(small_path), "--quiet", "--seed", "99", "--days", "5",
                 "--out", str(out)]) == 0
    log = read_results(out)
    assert log.meta["seed"] == 99 and log.horizon_h == 120.0
    assert log["orders"]["placed_h"].max() < 120.0


def test_rerun_replaces_results_atomically(small_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    main(["run", str(small_path), "--quiet", "--seed", "1", "--out", str(out)])
    first = read_results(out)
    main(["run", str(small_path), "--quiet", "--seed", "2", "--out", str(out)])
    second = read_results(out)
    assert first.meta["seed"] == 1 and second.meta["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest.csv", "r", "skus.csv",
                                                           "small.toml"]


def test_compare_results_and_scenarios(small_path: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    more = write_scenario(tmp_path, deep_merge(SMALL, {
        "name": "more_staff", "fcs": {"east": {"shifts": {"day": {"pickers": 6}}}}}),
        "more.toml")
    res = tmp_path / "base_res"
    main(["run", str(small_path), "--quiet", "--out", str(res)])
    capsys.readouterr()
    assert main(["compare", str(res), str(more), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "base_res" in text and "more_staff" in text
    assert "picker_utilization.east" in text and " pp" in text


def test_validate_ok(small_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(small_path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_compare_missing_path_is_exit_2(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(tmp_path / "nope")]) == 2
    assert "no such results directory" in capsys.readouterr().err


def test_bundled_scenarios_validate() -> None:
    assert default_scenario().is_file()
    for path in sorted((ROOT / "scenarios").glob("*.toml")):  # all of them, ../shared or not
        sc = load_scenario(path)
        assert sc.run.horizon_days > 0, path


def test_baseline_matches_the_brief() -> None:
    sc = load_scenario(default_scenario())
    assert set(sc.open_fc_names) == {"chicago", "los_angeles", "dallas", "wilkes_barre"}
    assert len(sc.tables.sku_ids) >= 200
    assert sc.demand.orders_per_day == 5000 and sc.run.horizon_days == 28
    assert np.ptp(sc.demand.weekday_profile) > 0  # a weekly pattern


def test_python_dash_m_entry_point(small_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "sim", "validate", str(small_path)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout
