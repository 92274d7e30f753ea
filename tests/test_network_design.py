"""Network design (optimize.network_design): candidates CSV, the model, infeasibility, output.

The tiny instance is checked by hand; the baseline test solves the bundled candidates for the
default scenario (a few seconds, split sourcing); single sourcing over K = 2..6 is ``slow``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimize.network_design import (
    Candidates,
    CandidatesError,
    DesignProgress,
    InfeasibleNetworkDesign,
    NetworkDesign,
    default_candidates_path,
    design_from_files,
    design_network,
    network_problem,
    read_candidates,
    write_network_scenario,
)
from reports.network_design import format_design
from sim.network import Network, build_network
from sim.scenario import load_scenario
from tests.conftest import SMALL, _fc, deep_merge, write_scenario

ROOT = Path(__file__).resolve().parents[1]
# the old baseline, a fixed instance (tests/data/baseline_2026_11.toml: same event logs)
BASELINE = ROOT / "tests" / "data" / "baseline_2026_11.toml"

# ------------------------------------------------------------------------------ tiny instance
# Four destinations on the equator, 100 orders/day each (400 orders/day, equal weights):
#   D1 lon 0, D2 lon 1, D3 lon 10, D4 lon 11   (1 degree of longitude = 69.1 mi)
# Three candidates:
#   A lon 0.5:  D1, D2 at 34.5 mi (zone 1);   D3 656 mi, D4 725 mi (zone 5)
#   B lon 10.5: mirror image of A
#   C lon 5.5:  D1 380, D2 311, D3 311, D4 380 mi (all zone 4)
# Flat carrier price per order by zone 1..8 = 6, 6.5, 7, 7.5, 8, ... (no cartons, labor off),
# fixed costs A 300, B 300, C 50 per day, capacity 1,000 each.  Cost per day:
#   {C}      = 50  + 400 x 7.5                  = 3,050   <- best with max_sites = 1
#   {A}      = 300 + 200 x 6 + 200 x 8          = 3,100
#   {A, B}   = 600 + 400 x 6                    = 3,000   <- optimum for max_sites >= 2
#   {A, C}   = 350 + 200 x 6 + 200 x 7.5        = 3,050   (the scenario's current FCs a, c)
#   {A, B, C}= 650 + 400 x 6                    = 3,050
ZONE_PRICE = [6.0, 6.5, 7.0, 7.5, 8.0, 9.0, 10.0, 11.0]
DESTS = [("D1", 0.0, 0.0), ("D2", 0.0, 1.0), ("D3", 0.0, 10.0), ("D4", 0.0, 11.0)]


def _site(site: str, lon: float, fixed: float, cap: float = 1000.0, **kw: Any) -> dict[str, Any]:
    return {"site": site, "state": "", "lat": 0.0, "lon": lon, "fixed_cost_per_day": fixed,
            "capacity_orders_per_day": cap, **kw}


A = _site("A", 0.5, 300.0)
B = _site("B", 10.5, 300.0)
C = _site("C", 5.5, 50.0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Network]:
    d = tmp_path_factory.mktemp("tiny")
    with open(d / "dest.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "lat", "lon", "weight"])
        for name, lat, lon in DESTS:
            w.writerow([name, lat, lon, 1])
    data = deep_merge(SMALL, {"name": "tiny", "demand": {"orders_per_day": 400},
                              "carrier": {"cost_by_zone": ZONE_PRICE}})
    data["fcs"] = {"a": _fc(0.0, 0.5), "c": _fc(0.0, 5.5, pickers=2, packers=2)}
    path = write_scenario(d, data, "tiny.toml")
    return path, build_network(load_scenario(path))


def _design(net: Network, rows: list[dict[str, Any]], k: int, **kw: Any) -> NetworkDesign:
    kw.setdefault("include_labor", False)
    kw.setdefault("time_limit_s", 30.0)
    return design_network(net, Candidates.from_rows(rows), k, **kw)


def test_tiny_cost_model_is_the_flat_zone_price(tiny: tuple[Path, Network]) -> None:
    _, net = tiny
    p = network_problem(net, Candidates.from_rows([A, B, C]), include_labor=False)
    assert p.cost_per_order_by_zone[1:] == pytest.approx(ZONE_PRICE)
    assert p.demand == pytest.approx([100.0] * 4)
    assert p.zone.tolist() == [[1, 1, 5, 5], [5, 5, 1, 1], [4, 4, 4, 4]]
    assert p.zone_agreement == 1.0


@pytest.mark.parametrize("sourcing", [True, False])
def test_tiny_optimum_by_hand(tiny: tuple[Path, Network], sourcing: bool) -> None:
    _, net = tiny
    d = _design(net, [A, B, C], 3, single_sourcing=sourcing)
    assert d.sites == ("A", "B")
    assert d.objective == pytest.approx(3000.0)
    assert d.bound == pytest.approx(3000.0, rel=1e-6)
    assert d.gap == pytest.approx(0.0, abs=1e-6)
    assert d.status == "OPTIMAL"
    assert d.mix.fixed_cost == pytest.approx(600.0)
    assert d.mix.transport_cost == pytest.approx(2400.0)
    assert d.demand_share == pytest.approx([0.5, 0.5])
    assert d.mix.mean_zone == pytest.approx(1.0)
    assert d.mix.share_within_2_days == pytest.approx(1.0)
    # the scenario's FCs (a at lon 0.5, c at lon 5.5) are candidates A and C
    assert d.current is not None
    assert d.current.site_index == (0, 2)
    assert d.current.objective == pytest.approx(3050.0)
    assert d.saving_per_day == pytest.approx(50.0)


def test_max_sites_binds(tiny: tuple[Path, Network]) -> None:
    _, net = tiny
    d = _design(net, [A, B, C], 1)
    assert d.sites == ("C",)
    assert d.objective == pytest.approx(3050.0)
    assert d.mix.mean_zone == pytest.approx(4.0)
    # the current network has 2 FCs: priced, but not a choice with one site
    assert d.current is not None and "more than max_sites = 1" in d.current_note


def test_split_sourcing_beats_single_sourcing_when_capacity_binds(
        tiny: tuple[Path, Network]) -> None:
    _, net = tiny
    # A holds 150, B 250 (total 400 = demand); C is big but costs 5,000 a day.
    rows = [{**A, "capacity_orders_per_day": 150}, {**B, "capacity_orders_per_day": 250},
            {**C, "fixed_cost_per_day": 5000.0}]
    split = _design(net, rows, 3, single_sourcing=False)
    # A: D1 + half of D2 at zone 1; B: the other half of D2 at zone 5, D3 and D4 at zone 1
    #   600 + 150 x 6 + 50 x 8 + 200 x 6 = 3,100
    assert split.sites == ("A", "B")
    assert split.objective == pytest.approx(3100.0)
    assert split.assignment[:, 1] == pytest.approx([0.5, 0.5, 0.0])
    # Single sourcing cannot fit D1..D4 into A (one destination) + B (two), so C opens:
    #   {C} = 5,000 + 400 x 7.5 = 8,000 (= {B, C}: 5,300 + 200 x 6 + 200 x 7.5)
    single = _design(net, rows, 3, single_sourcing=True)
    assert single.objective == pytest.approx(8000.0)
    assert set(np.unique(single.assignment.round(6))) <= {0.0, 1.0}


def test_single_sourcing_packing_infeasible_is_explained(tiny: tuple[Path, Network]) -> None:
    _, net = tiny
    rows = [{**A, "capacity_orders_per_day": 150}, {**B, "capacity_orders_per_day": 250}]
    split = _design(net, rows, 2, single_sourcing=False)
    assert split.objective == pytest.approx(3100.0)
    # FC c (lon 5.5) is no candidate now: the current network is not priced, and says why
    assert split.current is None and "no candidate within 10 mi of FC(s) c" in split.current_note
    with pytest.raises(InfeasibleNetworkDesign, match="single sourcing") as exc:
        _design(net, rows, 2, single_sourcing=True)
    assert exc.value.binding == "single_sourcing"
    assert "split sourcing" in str(exc.value)


def test_infeasibility_messages(tiny: tuple[Path, Network]) -> None:
    _, net = tiny
    with pytest.raises(InfeasibleNetworkDesign, match=r"max_sites = 0") as exc:
        _design(net, [A, B, C], 0)
    assert exc.value.binding == "max_sites"
    assert isinstance(exc.value, ValueError)

    small = [{**r, "capacity_orders_per_day": 100} for r in (A, B, C)]
    with pytest.raises(InfeasibleNetworkDesign,
                       match=r"all 3 candidates together hold 300 orders/day, demand is 400 "
                             r"orders/day: total capacity binds") as exc:
        _design(net, small, 3)
    assert exc.value.binding == "total_capacity"

    rows = [{**A, "capacity_orders_per_day": 200}, {**B, "capacity_orders_per_day": 150},
            {**C, "capacity_orders_per_day": 180}]
    with pytest.raises(InfeasibleNetworkDesign,
                       match=r"the 2 largest candidates hold 380 orders/day \(A 200, C 180\), "
                             r"demand is 400 orders/day: max_sites = 2 binds. Allow at least "
                             r"3 sites"):
        _design(net, rows, 2)
    with pytest.raises(InfeasibleNetworkDesign,
                       match=r"the largest candidate holds 200 orders/day \(A 200\), demand "
                             r"is 400 orders/day: max_sites = 1 binds"):
        _design(net, rows, 1)

    # a peak factor shows in the message
    with pytest.raises(InfeasibleNetworkDesign,
                       match=r"demand is 800 orders/day \(400 x peak factor 2\)"):
        _design(net, [{**r, "capacity_orders_per_day": 250} for r in (A, B, C)], 3,
                demand_factor=2.0)

    # every candidate smaller than one destination's 100 orders/day
    many = [_site(f"S{k}", 0.5 + k, 10.0, cap=95.0) for k in range(5)]
    with pytest.raises(InfeasibleNetworkDesign,
                       match=r"single sourcing: destination D\d needs 100 orders/day from one "
                             r"site, but the largest candidate \(S0\) holds 95") as exc:
        _design(net, many, 5, single_sourcing=True)
    assert exc.value.binding == "single_sourcing"
    assert _design(net, many, 5, single_sourcing=False).objective > 0


def test_progress_and_report(tiny: tuple[Path, Network]) -> None:
    _, net = tiny
    events: list[DesignProgress] = []
    d = _design(net, [A, B, C], 2, progress=events.append)
    stages = [e.stage for e in events]
    assert "solving" in stages and stages[-1] == "done"
    text = format_design(d)
    for word in ("objective", "bound", "gap", "solve time", "saving", "A", "B"):
        assert word in text


def test_write_scenario_tiny(tiny: tuple[Path, Network], tmp_path: Path) -> None:
    path, net = tiny
    d = _design(net, [A, B, C], 2)
    out = tmp_path / "designs" / "tiny_ab.toml"
    write_network_scenario(d, net, path, out)
    assert [p.name for p in out.parent.iterdir()] == ["tiny_ab.toml"]  # no temp file left
    import tomllib

    doc = tomllib.loads(out.read_text(encoding="utf-8"))
    assert doc["replace"] == ["fcs", "inventory"]
    assert (out.parent / doc["extends"]).resolve() == path.resolve()
    assert doc["network"]["open_fcs"] == ["a", "b"]
    assert doc["inventory"] == {"rule": "days_of_demand", "days": 3}  # the original's days
    # template: the first FC (a: 3 pickers, 3 packers); the network has 3 + 3 + 2 + 2 = 10
    # people; each site serves half the demand, so 5 people, i.e. 2.5 -> 2 per role
    for name, lon in (("a", 0.5), ("b", 10.5)):
        fc = doc["fcs"][name]
        assert (fc["lat"], fc["lon"]) == (0.0, lon)
        assert fc["shifts"]["day"]["pickers"] == 2 and fc["shifts"]["day"]["packers"] == 2
        assert fc["labor_cost_per_hour"] == 20.0


def test_design_from_files(tiny: tuple[Path, Network], tmp_path: Path) -> None:
    path, _ = tiny
    f = tmp_path / "cands.csv"
    with open(f, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(A))
        w.writeheader()
        w.writerows([A, B, C])
    out = tmp_path / "new.toml"
    d = design_from_files(path, f, 2, out, include_labor=False, time_limit_s=30)
    assert d.sites == ("A", "B") and d.objective == pytest.approx(3000.0)
    assert out.is_file()
    new = build_network(load_scenario(out))
    assert new.fc_names == ("a", "b")


# ------------------------------------------------------------------------------ candidates CSV
HEADER = "site,state,lat,lon,fixed_cost_per_day,capacity_orders_per_day,labor_cost_per_hour\n"
GOOD = "Dallas,TX,32.78,-96.80,5400,4000,20\nChicago,IL,41.85,-87.65,6000,4000,\n"


def test_read_candidates_ok(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(HEADER + GOOD)
    c = read_candidates(f)
    assert c.sites == ("Dallas", "Chicago") and c.slugs == ("dallas", "chicago")
    assert c.capacity_orders_per_day.tolist() == [4000.0, 4000.0]
    assert c.labor_cost_per_hour[0] == 20.0 and np.isnan(c.labor_cost_per_hour[1])
    # same name in two states: slugs carry the state
    f.write_text(HEADER + "Columbus,OH,39.96,-83.0,5000,3000,\nColumbus,GA,32.46,-84.99,5000,"
                 "3000,\n")
    assert read_candidates(f).slugs == ("columbus_oh", "columbus_ga")


@pytest.mark.parametrize(("text", "pattern"), [
    ("site,lat,lon,fixed_cost_per_day\nA,1,2,3\n",
     r"line 1: column\(s\) 'capacity_orders_per_day' missing"),
    (HEADER + "Dallas,TX,32.78,-96.80,lots,4000,20\n",
     r"line 2, column 'fixed_cost_per_day': expected a number, found 'lots'"),
    (HEADER + GOOD + "Austin,TX,30.27,-97.74,5400,-10,20\n",
     r"line 4, column 'capacity_orders_per_day': expected a positive capacity"),
    (HEADER + "Austin,TX,95,-97.74,5400,3000,20\n",
     r"line 2, column 'lat': expected a latitude between -90 and 90, found 95"),
    (HEADER + "Austin,TX,30.27,-197.74,5400,3000,20\n",
     r"line 2, column 'lon': expected a longitude between -180 and 180"),
    (HEADER + GOOD + "Dallas,TX,32.7,-96.8,1,1,1\n",
     r"line 4, column 'site': duplicate site 'Dallas, TX' \(first on line 2\)"),
    (HEADER + "Austin,TX,30.27,-97.74,5400,3000\n", r"line 2: expected 7 cells"),
    (HEADER + ",TX,30.27,-97.74,5400,3000,20\n", r"line 2, column 'site': expected a site"),
    (HEADER + "Austin,TX,30.27,-97.74,-1,3000,20\n",
     r"line 2, column 'fixed_cost_per_day': expected a cost >= 0"),
    (HEADER + "Austin,TX,30.27,-97.74,5,nan,20\n",
     r"line 2, column 'capacity_orders_per_day': expected a finite number"),
    (HEADER, r"no candidate sites"),
    ("", r"the file is empty"),
])
def test_read_candidates_errors(tmp_path: Path, text: str, pattern: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(CandidatesError, match=pattern) as exc:
        read_candidates(f)
    assert str(f) in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_read_candidates_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CandidatesError, match="does not exist"):
        read_candidates(tmp_path / "nope.csv")


def test_bundled_candidates() -> None:
    c = read_candidates(default_candidates_path())
    with open(ROOT / "scenarios" / "data" / "us_destinations.csv") as f:
        top50 = [(r["name"], r["state"]) for r in csv.DictReader(f)][:50]
    assert list(zip(c.sites, c.states, strict=True))[:50] == top50
    assert len(c) == 51 and c.label(50) == "Wilkes-Barre, PA"
    assert c.capacity_orders_per_day.min() >= 2500 and c.capacity_orders_per_day.max() <= 4000
    assert np.all(c.fixed_cost_per_day > 0) and not np.isnan(c.labor_cost_per_hour).any()


# ------------------------------------------------------------------------------ baseline
@pytest.fixture(scope="module")
def baseline_design() -> tuple[Network, NetworkDesign, list[DesignProgress]]:
    sc = load_scenario(BASELINE)
    net = build_network(sc)
    events: list[DesignProgress] = []
    d = design_network(net, read_candidates(default_candidates_path()), 4,
                       single_sourcing=False, time_limit_s=120,
                       zone_max_miles=sc.carrier.zone_max_miles, progress=events.append)
    return net, d, events


def test_baseline_four_sites(baseline_design: tuple[Network, NetworkDesign, Any]) -> None:
    net, d, events = baseline_design
    assert len(d.site_index) == 4
    assert d.assignment.sum(axis=0) == pytest.approx(np.ones(net.n_dests))
    assert d.orders_per_day.sum() == pytest.approx(net.orders_per_day)
    cap = d.problem.candidates.capacity_orders_per_day[list(d.site_index)]
    assert np.all(d.orders_per_day <= cap + 1e-6)
    assert d.current is not None and d.current.fc_names == net.fc_names
    assert d.objective <= d.current.objective + 1e-6
    assert d.bound <= d.objective + 1e-6
    assert d.objective == pytest.approx(d.mix.total)
    assert [e.stage for e in events][-1] == "done"


def test_baseline_round_trip(baseline_design: tuple[Network, NetworkDesign, Any],
                             tmp_path: Path) -> None:
    net, d, _ = baseline_design
    out = tmp_path / "out" / "designed.toml"
    write_network_scenario(d, net, BASELINE, out)
    new = build_network(load_scenario(out))
    c = d.problem.candidates
    assert new.fc_names == d.slugs
    assert new.fc_lat == pytest.approx(c.lat[list(d.site_index)])
    assert new.fc_lon == pytest.approx(c.lon[list(d.site_index)])
    assert new.shift_pickers.min() >= 1 and new.shift_packers.min() >= 1
    assert new.orders_per_day == net.orders_per_day
    assert new.initial_stock.sum() > 0


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
def test_baseline_single_sourcing_sweep(k: int) -> None:
    sc = load_scenario(BASELINE)
    net = build_network(sc)
    cands = read_candidates(default_candidates_path())
    p = network_problem(net, cands, zone_max_miles=sc.carrier.zone_max_miles)
    d = design_network(net, cands, k, problem=p, single_sourcing=True, time_limit_s=300)
    split = design_network(net, cands, k, problem=p, single_sourcing=False, time_limit_s=300)
    assert 1 <= len(d.site_index) <= k
    assert d.objective >= split.objective - 1e-6 * split.objective
    assert set(np.unique(d.assignment.round(6))) <= {0.0, 1.0}
    if k >= 4:
        assert d.current is not None and d.objective <= d.current.objective + 1e-6
