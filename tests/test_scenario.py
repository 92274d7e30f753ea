"""Scenario files: extends/merge semantics, network compilation, zones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.network import build_network, great_circle_miles, zone_of
from sim.scenario import ScenarioError, load_scenario
from tests.conftest import SMALL, deep_merge, write_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_extends_merges_tables_by_key(tmp_path: Path) -> None:
    write_scenario(tmp_path, SMALL, "base.toml")
    (tmp_path / "child.toml").write_text(
        'extends = "base.toml"\nname = "child"\n[fcs.east.shifts.day]\npickers = 9\n')
    child = load_scenario(tmp_path / "child.toml")
    assert child.name == "child"
    assert child.fcs["east"].shifts["day"].pickers == 9
    assert child.fcs["east"].shifts["day"].packers == 3  # kept from the parent
    assert child.fcs["west"].shifts["day"].pickers == 3


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.toml")


def test_variant_single_fc_keeps_all_demand() -> None:
    base = build_network(load_scenario(ROOT / "scenarios" / "baseline.toml"))
    one = build_network(load_scenario(ROOT / "scenarios" / "single_fc_chicago.toml"))
    assert one.fc_names == ("chicago",)
    assert one.forecast_units_per_day.sum() == pytest.approx(base.forecast_units_per_day.sum())
    assert one.expected_orders() == pytest.approx(base.expected_orders())


def test_great_circle_and_zones() -> None:
    # Chicago -> New York: about 711 miles (great circle)
    d = great_circle_miles(np.array(41.85), np.array(-87.65), np.array(40.7143),
                           np.array(-74.006))
    assert float(d) == pytest.approx(711, abs=5)
    bands = np.array([50, 150, 300, 600, 1000, 1400, 1800], float)
    z = zone_of(np.array([0, 50, 50.01, 150, 600, 999, 1800, 1800.1, 3000]), bands)
    assert z.tolist() == [1, 1, 2, 2, 4, 5, 7, 8, 8]


def test_network_is_read_only(tmp_path: Path) -> None:
    net = build_network(load_scenario(write_scenario(tmp_path, SMALL)))
    with pytest.raises(ValueError):
        net.dist_mi[0, 0] = 1.0
    assert net.fc_rank.shape == (net.n_dests, net.n_fcs)
    # each destination's first FC is its nearest
    assert np.all(net.dist_mi[net.fc_rank[:, 0], np.arange(net.n_dests)]
                  == net.dist_mi.min(axis=0))


def test_days_of_demand_inventory(tmp_path: Path) -> None:
    net = build_network(load_scenario(write_scenario(tmp_path, SMALL)))
    # 400 orders/day x E[lines] 1.8 x E[units] 1.4, split by catchment, times 3 days
    total = 400 * 1.8 * 1.4
    assert net.forecast_units_per_day.sum() == pytest.approx(total)
    assert net.initial_stock.sum() == pytest.approx(3 * total, abs=net.initial_stock.size)


def test_catalog_with_column_map_and_metric_units(tmp_path: Path) -> None:
    """A real product export (Olist: grams, centimetres, its own column names)."""
    import shutil

    shutil.copy(Path(__file__).parent / "data" / "olist_products_slice.csv", tmp_path / "p.csv")
    data = deep_merge(SMALL, {"catalog": {
        "file": "p.csv", "weight_unit": "g", "length_unit": "cm", "drop_incomplete": True,
        "columns": {"sku": "product_id", "weight": "product_weight_g",
                    "length": "product_length_cm", "width": "product_width_cm",
                    "height": "product_height_cm"}}})
    sc = load_scenario(write_scenario(tmp_path, data))
    t = sc.tables
    i = t.sku_ids.index("7bb6f29c2be57716194f96496660c7c2")  # 600 g, 68 x 13 x 11 cm
    assert t.sku_weight_lb[i] == pytest.approx(600 / 453.59237)
    assert t.sku_dims_in[i].tolist() == pytest.approx([68 / 2.54, 13 / 2.54, 11 / 2.54])
    assert len(t.sku_ids) == 300  # no incomplete rows in this slice
    assert t.sku_popularity == pytest.approx(np.full(300, 1 / 300))  # no popularity column
    # the same file without the column map is refused with the missing columns named
    bad = deep_merge(SMALL, {"catalog": {"file": "p.csv"}})
    with pytest.raises(ScenarioError, match="weight_lb"):
        load_scenario(write_scenario(tmp_path, bad, "bad.toml"))


def test_destinations_weighted_by_state(tmp_path: Path) -> None:
    (tmp_path / "cities.csv").write_text(
        "name,state,lat,lon,weight\nNYC,NY,40.71,-74.01,8\nBuffalo,NY,42.89,-78.88,2\n"
        "LA,CA,34.05,-118.24,4\nSF,CA,37.77,-122.42,1\nAustin,TX,30.27,-97.74,1\n")
    data = deep_merge(SMALL, {"demand": {"destinations": {
        "file": "cities.csv", "state_weights": {"ny": 1, "CA": 3}}}})
    t = load_scenario(write_scenario(tmp_path, data)).tables
    # NY gets 1/4 split 8:2, CA 3/4 split 4:1, TX nothing
    assert t.dest_weight.tolist() == pytest.approx([0.2, 0.05, 0.6, 0.15, 0.0])
    bad = deep_merge(SMALL, {"demand": {"destinations": {
        "file": "cities.csv", "state_weights": {"WA": 1}}}})
    with pytest.raises(ScenarioError, match=r"\['WA'\] have no destination"):
        load_scenario(write_scenario(tmp_path, bad, "bad.toml"))


def test_replace_drops_the_parents_section(tmp_path: Path) -> None:
    write_scenario(tmp_path, SMALL, "base.toml")
    sku = load_scenario(tmp_path / "base.toml").tables.sku_ids[0]
    (tmp_path / "stock.csv").write_text(f"fc,sku,units\nwest,{sku},40\n")
    (tmp_path / "child.toml").write_text(
        'extends = "base.toml"\nname = "child"\nreplace = ["fcs", "inventory"]\n'
        '[inventory]\nfile = "stock.csv"\n'
        '[fcs.west]\nlat = 34.05\nlon = -118.24\nlabor_cost_per_hour = 20.0\n'
        'pickup_cutoffs_h = [17.0]\n'
        'pick_time = { per_order_min = 1.0 }\npack_time = { per_order_min = 1.0 }\n'
        '[fcs.west.shifts.day]\ndays = ["mon", "tue"]\nstart_h = 8.0\nend_h = 16.0\n'
        'pickers = 2\npackers = 2\n')
    net = build_network(load_scenario(tmp_path / "child.toml"))
    assert net.fc_names == ("west",)  # the parent's other FC is gone, not merged in
    assert net.initial_stock.sum() == 40 and net.initial_stock[0, 0] == 40
    # without replace the parent's rule and the child's file clash: a clear error
    (tmp_path / "clash.toml").write_text(
        'extends = "base.toml"\nname = "clash"\n[inventory]\nfile = "stock.csv"\n')
    with pytest.raises(ScenarioError, match="inventory"):
        load_scenario(tmp_path / "clash.toml")
    (tmp_path / "bad.toml").write_text('extends = "base.toml"\nname = "b"\nreplace = ["fcs"]\n')
    with pytest.raises(ScenarioError, match=r"replace.*'fcs' is not defined"):
        load_scenario(tmp_path / "bad.toml")


def test_forecast_file_overrides_the_nearest_fc_forecast(tmp_path: Path) -> None:
    base = build_network(load_scenario(write_scenario(tmp_path, SMALL, "base.toml")))
    k0, k1 = base.sku_ids[0], base.sku_ids[1]
    (tmp_path / "fc.csv").write_text(f"fc,sku,units_per_day\neast,{k0},12.5\nwest,{k1},3\n")
    (tmp_path / "child.toml").write_text(
        'extends = "base.toml"\nname = "child"\n[inventory]\nforecast_file = "fc.csv"\n')
    net = build_network(load_scenario(tmp_path / "child.toml"))
    east, west = net.fc_names.index("east"), net.fc_names.index("west")
    assert net.forecast_units_per_day[east, 0] == 12.5
    assert net.forecast_units_per_day[west, 1] == 3.0
    assert net.forecast_units_per_day.sum() == 15.5  # pairs not listed forecast zero
    # days-of-demand stock follows the file's forecast (3 days in SMALL)
    assert net.initial_stock[east, 0] == 38 and net.initial_stock[west, 0] == 0
    (tmp_path / "fc.csv").write_text("fc,sku,units_per_day\nnorth,SKU-1,1\n")
    with pytest.raises(ScenarioError, match=r"fc\.csv, line 2, column 'fc': unknown FC 'north'"):
        load_scenario(tmp_path / "child.toml")


def test_assignment_file_names_are_checked(tmp_path: Path) -> None:
    write_scenario(tmp_path, SMALL, "base.toml")
    (tmp_path / "child.toml").write_text(
        'extends = "base.toml"\nname = "child"\n[routing]\npolicy = "assigned"\n'
        'assignment_file = "plan.csv"\n')
    base = load_scenario(tmp_path / "base.toml")
    cases = {
        "region,sku,fc\nAtlantis,A,east\n": r"plan\.csv, line 2, column 'region': unknown "
                                              r"destination 'Atlantis'",
        "region,sku,fc\nPhiladelphia,ZZ,east\n": r"line 2, column 'sku': unknown SKU 'ZZ'",
        "region,sku,fc\nPhiladelphia,A,north\n": r"line 2, column 'fc': unknown FC 'north'",
        "region,sku,fc\nPhiladelphia,A,east\nPhiladelphia,A,west\n":
            r"line 3: region 'Philadelphia' and SKU 'A' are assigned twice",
        "region,sku\nPhiladelphia,A\n": r"lacks column\(s\) \['fc'\]",
    }
    for text, msg in cases.items():
        (tmp_path / "plan.csv").write_text(text)
        with pytest.raises(ScenarioError, match=msg):
            load_scenario(tmp_path / "child.toml")
    # a header alone is a valid plan: everything goes to the nearest FC
    (tmp_path / "plan.csv").write_text("region,sku,fc\n")
    child = load_scenario(tmp_path / "child.toml")
    net = build_network(child)
    assert np.array_equal(net.assigned_fc, np.repeat(net.fc_rank[:, :1], net.n_skus, axis=1))
    (tmp_path / "plan.csv").write_text("region,sku,fc\nPhiladelphia,A,west\n")
    planned = load_scenario(tmp_path / "child.toml")
    net = build_network(planned)
    assert net.assigned_fc[net.dest_names.index("Philadelphia"), 0] == net.fc_names.index("west")
    assert (net.assigned_fc != net.fc_rank[:, :1]).sum() == 1
    # the plan is part of the scenario's identity (cached results are keyed by it)
    assert len({base.digest(), child.digest(), planned.digest()}) == 3


def test_repeated_destination_names_get_their_state(tmp_path: Path) -> None:
    net = build_network(load_scenario(ROOT / "scenarios" / "baseline.toml"))
    assert len(set(net.dest_names)) == net.n_dests == 313
    assert {"Columbus (OH)", "Columbus (GA)", "Springfield (IL)"} <= set(net.dest_names)
    assert "New York City" in net.dest_names and "Columbus" not in net.dest_names
    # without a state column the line tells them apart
    write_scenario(tmp_path, SMALL)
    (tmp_path / "dest.csv").write_text("name,lat,lon,weight\nA,40.7,-74.0,1\nB,34.0,-118.2,1\n"
                                       "A,41.8,-87.6,1\n")
    net = build_network(load_scenario(tmp_path / "scenario.toml"))
    assert net.dest_names == ("A (line 2)", "B", "A (line 4)")
