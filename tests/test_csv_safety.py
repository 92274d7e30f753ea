"""CSV injection: names written into CSV for spreadsheets never start a formula, and the
simulator reads its own files back unchanged (``sim/csvsafe.py``, ``optimize/placement/``)."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tomli_w

from optimize.placement import PlacementResult, write_placement_scenario
from sim.csvsafe import DANGEROUS_PREFIXES, csv_safe_cell, csv_unsafe_cell

DATA = Path(__file__).parent / "data" / "small"
EVIL_SKU = '=HYPERLINK("http://evil")'
EVIL_REGION = "@Philadelphia"
EVIL_FC = "+east"


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil")', "=1+2", "+1+2", "-1+2",
                                  "-cmd|' /C calc'!A0", "@SUM(A1:A2)", "\t=1", "\r=1",
                                  "--", "-", "+", "=", "@", "-inf", "-x1"])
def test_dangerous_text_gets_a_quote(text: str) -> None:
    assert csv_safe_cell(text) == "'" + text
    assert csv_unsafe_cell(csv_safe_cell(text)) == text


@pytest.mark.parametrize("text", ["SKU-0001", "New York City", "east", "A", "", " =x",
                                  "'", "'quoted'", "x=1", "42", "3.5", "1e-3"])
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert csv_safe_cell(text) == text
    assert csv_unsafe_cell(text) == text


@pytest.mark.parametrize("number", [-3.5, -1, -0.25, 2, 1e-3, -1e5, 1.5e-7])
def test_numbers_are_not_escaped(number: float) -> None:
    # numbers written as text: a spreadsheet reads them as the same number, not a formula
    for text in (str(number), repr(number), f"{number:.6g}", f"{number:+g}"):
        assert csv_safe_cell(text) == text
        assert csv_unsafe_cell(text) == text


def test_escape_round_trips_every_string() -> None:
    # quotes already in front of a dangerous character get one more, so that reading back
    # removes exactly what writing added
    starts = ["", "'", "''", "'''", *DANGEROUS_PREFIXES, "a", " ", "-3", "1"]
    rests = ["", "x", "=1", "'", "'=1", "-2", "5"]
    for a in starts:
        for b in starts:
            for c in rests:
                s = a + b + c
                safe = csv_safe_cell(s)
                assert csv_unsafe_cell(safe) == s, repr(s)
                assert not (safe[:1] in DANGEROUS_PREFIXES
                            and csv_safe_cell(safe) != safe), repr(s)
    assert csv_safe_cell("'=1") == "''=1" and csv_unsafe_cell("''=1") == "'=1"
    assert csv_unsafe_cell("'x") == "'x"  # a quote before ordinary text is data


def evil_scenario(directory: Path) -> Path:
    """Two FCs (one named ``+east``), four SKUs (one named ``=HYPERLINK(...)``) and four
    regions (one named ``@Philadelphia``), with stock read from a file."""
    directory.mkdir(parents=True, exist_ok=True)
    skus = (DATA / "skus.csv").read_text(encoding="utf-8").replace(
        "\nA,", '\n"=HYPERLINK(""http://evil"")",')
    (directory / "skus.csv").write_text(skus, encoding="utf-8")
    dest = (DATA / "dest.csv").read_text(encoding="utf-8").replace("Philadelphia", EVIL_REGION)
    (directory / "dest.csv").write_text(dest, encoding="utf-8")
    from tests.conftest import SMALL, _fc

    data: dict[str, Any] = {**SMALL, "fcs": {EVIL_FC: _fc(41.25, -75.88),
                                              "west": _fc(34.05, -118.24)}}
    path = directory / "evil.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def evil(tmp_path: Path) -> tuple[Any, Path, PlacementResult]:
    """The network of :func:`evil_scenario` and a placement of it that serves every region
    from its nearest FC except the evil SKU in the evil region, from the other FC."""
    from sim.network import build_network
    from sim.scenario import load_scenario

    scenario = evil_scenario(tmp_path / "in")
    net = build_network(load_scenario(scenario))
    F, K, D = len(net.fc_names), len(net.sku_ids), len(net.dest_names)
    k, d = net.sku_ids.index(EVIL_SKU), net.dest_names.index(EVIL_REGION)
    nearest = np.asarray(net.fc_rank, np.int64)[:, 0]
    a = np.repeat(nearest[None, :], K, axis=0)
    a[k, d] = net.fc_rank[d][1]
    served = np.zeros((F, K))
    np.add.at(served, (a, np.arange(K)[:, None].repeat(D, axis=1)), 1.0)
    result = PlacementResult(
        objective=1.0, bound=math.nan, gap=math.nan, status="FEASIBLE", solve_seconds=0.0,
        method="hand", stocked=served > 0, assignment=a,
        target_units=np.where(served > 0, 5, 0).astype(np.int64),
        assigned_units_per_day=served, service_share=1.0, cost={},
        fc_names=tuple(net.fc_names))
    return net, scenario, result


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_placement_files_escape_formula_names(evil: tuple[Any, Path, PlacementResult],
                                              tmp_path: Path) -> None:
    net, scenario, result = evil
    write_placement_scenario(result, net, scenario, tmp_path / "placed.toml")
    inventory = read_rows(tmp_path / "placed_inventory.csv")
    forecast = read_rows(tmp_path / "placed_forecast.csv")
    routing = read_rows(tmp_path / "placed_routing.csv")
    for rows in (inventory, forecast, routing):
        cells = [v for row in rows for v in row.values()]
        assert "'" + EVIL_SKU in cells  # shown as text by a spreadsheet
        assert "'" + EVIL_FC in cells or rows is routing  # (its row goes to "west")
        assert not any(v[:1] in DANGEROUS_PREFIXES for v in cells)
    other = net.fc_names[net.fc_rank[net.dest_names.index(EVIL_REGION)][1]]
    assert routing == [{"region": "'" + EVIL_REGION, "sku": "'" + EVIL_SKU,
                        "fc": csv_safe_cell(other)}]
    # quantities stay numbers
    assert all(int(r["units"]) == 5 for r in inventory)
    assert all(float(r["units_per_day"]) > 0 for r in forecast)
    text = (tmp_path / "placed_inventory.csv").read_text(encoding="utf-8")
    assert "\n'=HYPERLINK(" not in text  # the SKU is the second column
    assert ",\"'=HYPERLINK(\"\"http://evil\"\")\"," in text


def test_placement_files_read_back_unchanged(evil: tuple[Any, Path, PlacementResult],
                                             tmp_path: Path) -> None:
    from sim.network import build_network
    from sim.scenario import load_scenario

    net, scenario, result = evil
    out = write_placement_scenario(result, net, scenario, tmp_path / "placed.toml")
    placed = build_network(load_scenario(out))
    assert placed.sku_ids == net.sku_ids and placed.fc_names == net.fc_names
    assert np.array_equal(placed.initial_stock, result.target_units)
    assert np.allclose(placed.forecast_units_per_day, result.assigned_units_per_day)
    assert np.array_equal(placed.assigned_fc, result.assignment.T)
