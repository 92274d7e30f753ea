"""Geography: ZIP prefixes, ZIP3 centroids, zone charts and the distance-band model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.geo import (
    USPS_ZONE_MAX_MILES,
    GeoError,
    load_zip3,
    read_zone_chart,
    zip3_of,
    zone_agreement,
)
from sim.network import build_network
from sim.scenario import ScenarioError, load_scenario
from tests.conftest import SMALL, deep_merge, write_scenario

DATA = Path(__file__).parent / "data"
SHARED_CHART = Path(__file__).resolve().parents[2] / "shared/data/usps_zones/" \
    "usps_zips_zones_sample_2019.csv.gz"


@pytest.mark.parametrize(("text", "zip3"), [("60614", "606"), ("606xx", "606"), ("606", "606"),
                                            ("2134", "021"), ("02134-1234", "021"), ("5", "005"),
                                            (60614, "606"), ("606XX", "606")])
def test_zip3_of(text: object, zip3: str) -> None:
    assert zip3_of(text) == zip3


@pytest.mark.parametrize("bad", ["abc", "", "1234567", "6061a"])
def test_zip3_of_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="not a ZIP"):
        zip3_of(bad)


def test_zip3_centroids_are_plausible() -> None:
    t = load_zip3()
    assert len(t.zip3) > 880
    i = t.index()
    # 606 is Chicago, 100 Manhattan, 900 Los Angeles
    for z, (lat, lon) in {"606": (41.88, -87.63), "100": (40.75, -73.99),
                          "900": (34.05, -118.28)}.items():
        assert t.lat[i[z]] == pytest.approx(lat, abs=0.3)
        assert t.lon[i[z]] == pytest.approx(lon, abs=0.3)


def test_band_model_agreement_on_chart_slice() -> None:
    """The distance bands against a slice of the real USPS chart (6,000 rows)."""
    chart, skipped = read_zone_chart(DATA / "usps_zones_slice.csv")
    assert len(chart) == 6000 and skipped == 0
    a = zone_agreement(chart, load_zip3(), USPS_ZONE_MAX_MILES)
    assert a.pairs == 5677
    assert a.exact == pytest.approx(0.843, abs=0.002)
    assert a.within_one == pytest.approx(0.9986, abs=0.0005)
    assert int(a.confusion.to_numpy().sum()) == a.pairs


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_CHART.is_file(), reason="../shared chart not present")
def test_band_model_agreement_on_full_sample() -> None:
    chart, _ = read_zone_chart(SHARED_CHART)
    a = zone_agreement(chart, load_zip3())
    assert a.pairs == 217_926
    assert a.exact == pytest.approx(0.849, abs=0.001)
    assert a.within_one == pytest.approx(0.9986, abs=0.0002)


def test_zones_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zones", str(DATA / "usps_zones_slice.csv")]) == 0
    text = capsys.readouterr().out
    assert "84.3%" in text and "99.86%" in text


def test_bad_zone_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "chart.csv"
    bad.write_text("origin_zip,dest_zip,zone\n606,100,4\n606,900,x\n")
    with pytest.raises(GeoError, match=r"line 3, column 'zone'"):
        read_zone_chart(bad)
    assert main(["zones", str(bad)]) == 2
    assert "chart.csv" in capsys.readouterr().err
    (tmp_path / "nozone.csv").write_text("origin,dest\n606,100\n")
    with pytest.raises(GeoError, match="lacks column"):
        read_zone_chart(tmp_path / "nozone.csv")


def test_scenario_with_zips_and_zone_chart(tmp_path: Path) -> None:
    """FCs and destinations placed by ZIP; the chart's zones replace the bands."""
    (tmp_path / "zipdest.csv").write_text("zip,weight\n10001,5\n60614,3\n90012,2\n")
    (tmp_path / "chart.csv").write_text(
        "origin_zip,dest_zip,zone\n187,100,3\n187,606,6\n187,900,8\n900,100,8\n900,606,7\n")
    data = deep_merge(SMALL, {
        "demand": {"destinations": {"file": "zipdest.csv"}},
        "carrier": {"zone_chart": "chart.csv"},
        "fcs": {"east": {"zip": "18702"}, "west": {"zip": "90001"}}})
    for fc in ("east", "west"):
        del data["fcs"][fc]["lat"], data["fcs"][fc]["lon"]
    net = build_network(load_scenario(write_scenario(tmp_path, data)))
    east, west = net.fc_names.index("east"), net.fc_names.index("west")
    assert net.zone[east].tolist() == [3, 6, 8]
    # west -> 900 is not in the chart: the band model decides (same ZIP3: zone 1)
    assert net.zone[west].tolist() == [8, 7, 1]
    assert net.fc_lat[east] == pytest.approx(load_zip3().lat[load_zip3().index()["187"]])
    assert np.all(net.dest_lat > 33)


def test_unknown_fc_zip_is_a_scenario_error(tmp_path: Path) -> None:
    data = deep_merge(SMALL, {"fcs": {"east": {"zip": "00000"}}})
    del data["fcs"]["east"]["lat"], data["fcs"]["east"]["lon"]
    with pytest.raises(ScenarioError, match=r"fcs\.east\.zip"):
        load_scenario(write_scenario(tmp_path, data))
