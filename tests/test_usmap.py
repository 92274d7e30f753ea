"""The offline US map of the reports: projection, shipped outlines, the SVG it draws."""

from __future__ import annotations

import csv
import itertools
import json
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.text import Annotation, Text

import reports.usmap as usmap
from reports.usmap import DAYS_LABEL, STATES_FILE, albers_usa, load_states, us_map_svg

ROOT = Path(__file__).resolve().parents[1]
SVG_NS = "{http://www.w3.org/2000/svg}"

FC_NAMES = ["chicago", "los_angeles", "dallas", "wilkes_barre"]
FC_LAT = np.array([41.85, 34.05, 32.78, 41.25])
FC_LON = np.array([-87.65, -118.24, -96.80, -75.88])

LOWER_48_AND_DC = {
    "Alabama", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
    "District of Columbia", "Florida", "Georgia", "Idaho", "Illinois", "Indiana", "Iowa",
    "Kansas", "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan",
    "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire",
    "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota",
    "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington", "West Virginia",
    "Wisconsin", "Wyoming"}


def _demo() -> dict[str, Any]:
    """The baseline's 313 destination cities, each served by its nearest FC."""
    with open(ROOT / "scenarios" / "data" / "us_destinations.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    lat = np.array([float(r["lat"]) for r in rows])
    lon = np.array([float(r["lon"]) for r in rows])
    w = np.array([float(r["weight"]) for r in rows])
    vol = np.round(20000 * w / w.sum())
    fx, fy = albers_usa(FC_LAT, FC_LON)
    dx, dy = albers_usa(lat, lon)
    dist = np.hypot(dx[:, None] - fx, dy[:, None] - fy)
    fc = dist.argmin(axis=1)
    return {"fc_names": FC_NAMES, "fc_lat": FC_LAT, "fc_lon": FC_LON,
            "fc_volume": np.bincount(fc, weights=vol, minlength=4),
            "dest_lat": lat, "dest_lon": lon, "dest_volume": vol,
            "_fc": fc, "_days": 1.2 + dist.min(axis=1) / 600.0}


DEMO = _demo()
BASE = {k: v for k, v in DEMO.items() if not k.startswith("_")}


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What each us_map_svg call drew: its text objects (text, parse_math, window extent)."""
    calls: list[dict[str, Any]] = []
    real = usmap.fig_to_svg

    def spy(fig: Any, *, title: str | None = None) -> str:
        svg = real(fig, title=title)  # lays the figure out
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
        calls.append({"texts": texts, "strings": [t.get_text() for t in texts]})
        return svg

    monkeypatch.setattr(usmap, "fig_to_svg", spy)
    return calls


# --- projection ------------------------------------------------------------------------

def test_origin_projects_to_zero() -> None:
    x, y = albers_usa(np.array([37.5]), np.array([-96.0]))
    assert abs(x[0]) < 1e-9 and abs(y[0]) < 1e-9


def test_snyder_worked_example_sphere() -> None:
    # Snyder, Map Projections: A Working Manual (USGS PP 1395, 1987), pp. 291-292: Albers on
    # the sphere, R = 1, parallels 29.5 and 45.5 N, origin 23 N 96 W; 35 N 75 W ->
    # x = 0.2952720, y = 0.2416774 (printed to 7 decimals).
    x, y = usmap._albers(35.0, -75.0, lat0=23.0, lon0=-96.0, lat1=29.5, lat2=45.5, radius=1.0)
    assert float(x) == pytest.approx(0.2952720, abs=1e-7)
    assert float(y) == pytest.approx(0.2416774, abs=1e-7)


def test_albers_usa_is_equal_area_and_true_on_standard_parallels() -> None:
    r = 6371.0
    # a 1-degree cell: its projected area equals the area of the cell on the sphere
    for lat0, lon0 in [(30.0, -120.0), (44.0, -70.0), (37.0, -96.0)]:
        # the parallels project to circular arcs: follow the cell's edges in fine steps
        t = np.linspace(0, 1, 2001)
        ring_lat = np.concatenate([np.full_like(t, lat0), lat0 + t, np.full_like(t, lat0 + 1),
                                   lat0 + 1 - t])
        ring_lon = np.concatenate([lon0 + t, np.full_like(t, lon0 + 1), lon0 + 1 - t,
                                   np.full_like(t, lon0)])
        x, y = albers_usa(ring_lat, ring_lon)
        area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
        sphere = r * r * math.radians(1) * (math.sin(math.radians(lat0 + 1))
                                            - math.sin(math.radians(lat0)))
        assert area == pytest.approx(sphere, rel=1e-5)
    # scale is true along the standard parallels: a short arc keeps its length on the sphere
    for lat1 in (29.5, 45.5):
        x, y = albers_usa(np.array([lat1, lat1]), np.array([-96.0, -95.99]))
        arc = r * math.cos(math.radians(lat1)) * math.radians(0.01)
        assert math.hypot(x[1] - x[0], y[1] - y[0]) == pytest.approx(arc, rel=1e-6)
    # the central meridian maps to x = 0, north up; east is +x
    x, y = albers_usa(np.array([25.0, 49.0, 37.5, 37.5]), np.array([-96.0, -96.0, -80, -112]))
    assert abs(x[0]) < 1e-9 and abs(x[1]) < 1e-9 and y[0] < 0 < y[1]
    assert x[2] > 0 > x[3] and x[2] == pytest.approx(-x[3])
    # Cape Flattery to Eastport, Maine: about 4,360 km apart east-west on the map
    x, _ = albers_usa(np.array([48.4]), np.array([-124.7]))
    xe, _ = albers_usa(np.array([44.8]), np.array([-66.95]))
    assert 4300 < xe[0] - x[0] < 4420


# --- the shipped outlines ---------------------------------------------------------------

def test_outline_file_holds_the_lower_48_and_dc() -> None:
    gj = json.loads(STATES_FILE.read_text(encoding="utf-8"))
    feats = gj["features"]
    assert len(feats) == 49
    assert {f["properties"]["name"] for f in feats} == LOWER_48_AND_DC
    fips = [f["properties"]["fips"] for f in feats]
    assert len(set(fips)) == 49 and "11" in fips and "02" not in fips and "15" not in fips
    assert STATES_FILE.stat().st_size < 150_000
    pts = np.array([p for f in feats for poly in f["geometry"]["coordinates"]
                    for ring in poly for p in ring])
    assert pts[:, 0].min() >= -125.0 and pts[:, 0].max() <= -66.9
    assert pts[:, 1].min() >= 24.4 and pts[:, 1].max() <= 49.4
    for f in feats:
        for poly in f["geometry"]["coordinates"]:
            for ring in poly:
                assert len(ring) >= 4 and ring[0] == ring[-1]


def test_neighbouring_states_share_identical_borders() -> None:
    """The simplification kept topology: e.g. Colorado's edges appear in its neighbours."""
    gj = json.loads(STATES_FILE.read_text(encoding="utf-8"))
    users: dict[tuple, set[str]] = {}
    for f in gj["features"]:
        for poly in f["geometry"]["coordinates"]:
            for ring in poly:
                for p, q in itertools.pairwise(map(tuple, ring)):
                    users.setdefault((min(p, q), max(p, q)), set()).add(f["properties"]["name"])
    pairs = {tuple(sorted(s)) for s in users.values() if len(s) == 2}
    assert max(len(s) for s in users.values()) == 2
    for pair in [("Colorado", "Utah"), ("Colorado", "Kansas"), ("Maryland", "Virginia"),
                 ("District of Columbia", "Maryland"), ("District of Columbia", "Virginia"),
                 ("Michigan", "Wisconsin"), ("New York", "Vermont"), ("Texas", "Oklahoma")]:
        assert tuple(sorted(pair)) in pairs
    assert len(pairs) == 107


def test_outlines_are_loaded_once_and_projected() -> None:
    states = load_states()
    assert load_states() is states
    assert len(states) == 49
    xy = np.vstack([r for _, _, rings in states for r in rings])
    assert -2500 < xy[:, 0].min() < -2200 and 2100 < xy[:, 0].max() < 2400
    assert -1400 < xy[:, 1].min() < -1250 and 1300 < xy[:, 1].max() < 1600  # Maine's tip
    with pytest.raises(ValueError):
        states[0][2][0][0, 0] = 0.0  # read-only: the cache cannot be corrupted


# --- the map ----------------------------------------------------------------------------

def test_map_by_serving_fc(drawn: list[dict[str, Any]]) -> None:
    svg = us_map_svg(**BASE, dest_fc=DEMO["_fc"], title="Destinations by serving FC")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg" and root.get("aria-label") == "Destinations by serving FC"
    states = [g for g in root.iter(f"{SVG_NS}g") if g.get("id", "").startswith("PolyCollection")]
    assert len(states) == 1
    paths = states[0].findall(f"{SVG_NS}path")
    assert len(paths) == sum(len(r) for _, _, r in load_states())  # every ring drawn
    assert sum(p.get("d", "").count("L") for p in paths) > 4000
    (call,) = drawn
    strings = call["strings"]
    for name in FC_NAMES:
        assert strings.count(name) == 2  # the label on the map and the legend entry
    assert "serving FC" in strings and DAYS_LABEL not in strings
    assert "dot area \u221d shipments" in strings  # every destination is on the map
    assert not any("outside the map" in s for s in strings)


def test_map_by_days_has_a_colorbar(drawn: list[dict[str, Any]]) -> None:
    svg = us_map_svg(**BASE, dest_days=DEMO["_days"])
    ET.fromstring(svg)
    strings = drawn[0]["strings"]
    assert DAYS_LABEL == "mean click-to-deliver, days" and DAYS_LABEL in strings
    assert "serving FC" not in strings
    assert all(strings.count(n) == 1 for n in FC_NAMES)  # labels only, no legend
    assert svg != us_map_svg(**BASE, dest_days=DEMO["_days"] + 1.0)  # colorbar ticks move


def test_the_map_is_deterministic() -> None:
    a = us_map_svg(**BASE, dest_fc=DEMO["_fc"], title="t")
    assert us_map_svg(**BASE, dest_fc=DEMO["_fc"], title="t") == a
    code = ("import sys, numpy as np; sys.path.insert(0, 'tests'); from test_usmap import *; "
            "sys.stdout.write(us_map_svg(**BASE, dest_fc=DEMO['_fc'], title='t'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out == a  # the same bytes in another process too


def test_fc_labels_do_not_overlap(drawn: list[dict[str, Any]]) -> None:
    us_map_svg(**BASE, dest_fc=DEMO["_fc"])
    labels = [t for t in drawn[0]["texts"]
              if isinstance(t, Annotation) and t.get_text() in FC_NAMES]
    assert len(labels) == 4
    boxes = [t.get_window_extent() for t in labels]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    fig_box = labels[0].get_figure().bbox
    assert all(b.x0 >= 0 and b.y0 >= 0 and b.x1 <= fig_box.x1 and b.y1 <= fig_box.y1
               for b in boxes)


def test_mathtext_is_off_for_user_text(drawn: list[dict[str, Any]]) -> None:
    names = ["$5 off$", "los_angeles", "dallas", "wilkes_barre"]
    svg = us_map_svg(**{**BASE, "fc_names": names}, dest_fc=DEMO["_fc"], title="$x$ plan")
    plain = us_map_svg(**{**BASE, "fc_names": ["5 off", *names[1:]]}, dest_fc=DEMO["_fc"],
                       title="$x$ plan")
    assert svg != plain
    ET.fromstring(svg)
    texts = drawn[0]["texts"]
    dollars = [t for t in texts if "$" in t.get_text()]
    assert {t.get_text() for t in dollars} == {"$5 off$", "$x$ plan"}
    assert len(dollars) == 3  # label, legend entry, title
    assert not any(t.get_parse_math() for t in dollars)


def test_points_outside_the_map_are_counted_not_drawn(drawn: list[dict[str, Any]]) -> None:
    lat = np.r_[DEMO["dest_lat"], 61.22, 21.31, 18.47, np.nan, 40.0]
    lon = np.r_[DEMO["dest_lon"], -149.90, -157.86, -66.11, -80.0, np.nan]
    n = len(lat)
    svg = us_map_svg(fc_names=[*FC_NAMES, "anchorage"], fc_lat=np.r_[FC_LAT, 61.2],
                     fc_lon=np.r_[FC_LON, -149.9], fc_volume=np.r_[DEMO["fc_volume"], 10],
                     dest_lat=lat, dest_lon=lon, dest_volume=np.r_[DEMO["dest_volume"], [5] * 5],
                     dest_fc=np.r_[DEMO["_fc"], 4, 1, 3, 0, -1], title="")
    ET.fromstring(svg)
    assert n == 318
    strings = drawn[0]["strings"]
    note = next(s for s in strings if s.startswith("dot area"))
    assert note.splitlines()[1:] == ["5 destinations outside the map not drawn",
                                     "1 FC outside the map not drawn"]
    assert "anchorage (off map)" in strings and "anchorage" not in strings
    assert "no FC" not in strings  # the only -1 destination has no coordinates


def test_empty_destinations_still_draw_states_and_fcs(drawn: list[dict[str, Any]]) -> None:
    for mode in ({"dest_fc": np.array([], dtype=int)}, {"dest_days": np.array([])}):
        svg = us_map_svg(fc_names=FC_NAMES, fc_lat=FC_LAT, fc_lon=FC_LON, fc_volume=[0] * 4,
                         dest_lat=[], dest_lon=[], dest_volume=[], **mode)
        root = ET.fromstring(svg)
        assert any(g.get("id", "").startswith("PolyCollection") for g in root.iter(f"{SVG_NS}g"))
    for call in drawn:
        assert all(n in call["strings"] for n in FC_NAMES)
        assert not any(s.startswith("dot area") for s in call["strings"])
        assert DAYS_LABEL not in call["strings"]  # no colorbar without any days
    ET.fromstring(us_map_svg(fc_names=[], fc_lat=[], fc_lon=[], fc_volume=[], dest_lat=[],
                             dest_lon=[], dest_volume=[], dest_days=np.array([])))


def test_missing_days_are_grey_and_noted(drawn: list[dict[str, Any]]) -> None:
    days = DEMO["_days"].copy()
    days[:7] = np.nan
    us_map_svg(**BASE, dest_days=days)
    note = next(s for s in drawn[0]["strings"] if s.startswith("dot area"))
    assert note.splitlines() == ["dot area \u221d shipments",
                                 "7 destinations without delivery times (grey)"]
    assert DAYS_LABEL in drawn[0]["strings"]


def test_exactly_one_colouring_and_consistent_lengths() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        us_map_svg(**BASE)
    with pytest.raises(ValueError, match="exactly one"):
        us_map_svg(**BASE, dest_fc=DEMO["_fc"], dest_days=DEMO["_days"])
    with pytest.raises(ValueError, match="dest_lon"):
        us_map_svg(**{**BASE, "dest_lon": DEMO["dest_lon"][:-1]}, dest_fc=DEMO["_fc"])
    with pytest.raises(ValueError, match="fc_volume"):
        us_map_svg(**{**BASE, "fc_volume": [1, 2]}, dest_fc=DEMO["_fc"])
    with pytest.raises(ValueError, match="dest_days"):
        us_map_svg(**BASE, dest_days=DEMO["_days"][:5])
    bad = DEMO["_fc"].copy()
    bad[0] = 4
    with pytest.raises(ValueError, match="FC indices"):
        us_map_svg(**BASE, dest_fc=bad)

