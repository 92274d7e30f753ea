"""Routing policies: hand-checkable decisions, stock-outs, and user policies from files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.eventlog import Status
from sim.model import FulfillmentModel, PolicyError
from sim.network import build_network
from sim.policies import Assigned, LeastLoaded, Nearest, NearestIgnoringStock, RoutingPolicy
from sim.scenario import Scenario, load_scenario
from sim.state import OrderView
from tests.conftest import SMALL, MakeScenario, _fc, deep_merge, run, write_scenario

ROOT = Path(__file__).resolve().parents[1]
THREE_FCS = {"fcs": {"central": _fc(32.78, -96.80)}}  # east (PA), west (LA), central (Dallas)


def model_with_stock(make: MakeScenario, stock: dict[str, dict[str, int]]) -> FulfillmentModel:
    sc = make(THREE_FCS)
    net = build_network(sc)
    m = FulfillmentModel(net)
    m.on_hand[:] = 0
    for fc, skus in stock.items():
        for sku, units in skus.items():
            m.on_hand[net.fc_names.index(fc), net.sku_ids.index(sku)] = units
    return m


def order(m: FulfillmentModel, dest: str, lines: dict[str, int]) -> OrderView:
    net = m.net
    return OrderView(0, 0.0, 0, net.dest_names.index(dest),
                     tuple(net.sku_ids.index(s) for s in lines), tuple(lines.values()), 96.0)


def fc(m: FulfillmentModel, name: str) -> int:
    return m.net.fc_names.index(name)


def test_builtins_satisfy_protocol() -> None:
    for p in (Nearest(), NearestIgnoringStock(), LeastLoaded()):
        assert isinstance(p, RoutingPolicy)


def test_nearest_with_whole_order_in_stock(make_scenario: MakeScenario) -> None:
    m = model_with_stock(make_scenario, {"east": {"A": 5, "B": 5}, "west": {"A": 9, "B": 9},
                                         "central": {"A": 9, "B": 9}})
    o = order(m, "New York City", {"A": 2, "B": 1})
    assert Nearest().route(o, m.state) == fc(m, "east")
    m.on_hand[fc(m, "east"), m.net.sku_ids.index("B")] = 0
    # east lacks B: the next nearest FC holding the whole order is central (Dallas), not west
    assert Nearest().route(o, m.state) == fc(m, "central")
    assert NearestIgnoringStock().route(o, m.state) == fc(m, "east")


def test_nearest_splits_into_fewest_shipments(make_scenario: MakeScenario) -> None:
    m = model_with_stock(make_scenario, {"east": {"A": 5}, "central": {"B": 5, "C": 5},
                                         "west": {"A": 5, "B": 5}})
    o = order(m, "New York City", {"A": 1, "B": 1, "C": 1})
    # no FC has all three; {east, central} covers them in two shipments, and is nearest
    assert Nearest().route(o, m.state) == [fc(m, "east"), fc(m, "central"), fc(m, "central")]
    # with max_shipments = 1 the order is sent to the nearest FC (and will wait there)
    assert Nearest(max_shipments=1).route(o, m.state) == fc(m, "east")


def test_nearest_holds_when_nothing_covers(make_scenario: MakeScenario) -> None:
    m = model_with_stock(make_scenario, {"west": {"A": 1}})
    o = order(m, "Los Angeles", {"A": 2})
    assert Nearest().route(o, m.state) == fc(m, "west")  # nearest; short, so it will be held


def test_least_loaded_prefers_idle_fc(make_scenario: MakeScenario) -> None:
    m = model_with_stock(make_scenario, {"east": {"A": 5}, "central": {"A": 5}})
    o = order(m, "New York City", {"A": 1})
    assert LeastLoaded().route(o, m.state) == fc(m, "east")
    m.wip[fc(m, "east")] = 10
    assert LeastLoaded().route(o, m.state) == fc(m, "central")
    assert LeastLoaded(max_zone=4).route(o, m.state) == fc(m, "east")  # Dallas is zone 6+


def east_without_a(make: MakeScenario, tmp_path: Path, **changes: object) -> Scenario:
    """Single-line orders; plenty of every SKU everywhere except SKU A at east (none)."""
    rows = ["fc,sku,units"] + [f"{f},{s},100000" for f in ("east", "west")
                               for s in "ABCDEF" if (f, s) != ("east", "A")]
    (tmp_path / "stock.csv").write_text("\n".join(rows) + "\n")
    return make(replace={"inventory": {"file": "stock.csv"}}, replenishment={"policy": "none"},
                demand={"lines_per_order": {"dist": "fixed", "mean": 1}}, **changes)


def test_stockout_at_nearest_routes_to_next_fc(make_scenario: MakeScenario,
                                               tmp_path: Path) -> None:
    """East has no A at all: every A line ships from west; everything else from the nearest."""
    sc = east_without_a(make_scenario, tmp_path)
    log = run(sc)
    net = build_network(sc)
    sl, sh = log["shipment_lines"], log["shipments"]
    line_fc = sh["fc"][sl["shipment_id"]]
    is_a = sl["sku"] == net.sku_ids.index("A")
    assert is_a.sum() > 100
    assert np.all(line_fc[is_a] == net.fc_names.index("west"))
    nearest = net.fc_rank[log["orders"]["dest"][sh["order_id"]], 0]
    not_a = np.bincount(sl["shipment_id"][is_a], minlength=len(nearest)) == 0
    np.testing.assert_array_equal(sh["fc"][not_a], nearest[not_a])
    assert (log["events"]["status"] == Status.ON_HOLD).sum() == 0


def test_nearest_ignoring_stock_holds_then_cancels(make_scenario: MakeScenario,
                                                   tmp_path: Path) -> None:
    sc = east_without_a(make_scenario, tmp_path, routing={"policy": "nearest_ignoring_stock"})
    log = run(sc)
    net = build_network(sc)
    ev, ol = log["events"], log["order_lines"]
    held = ev["order_id"][ev["status"] == Status.ON_HOLD]
    # exactly the A orders to east-side destinations are held, and each is cancelled 48 h later
    a_orders = ol["order_id"][ol["sku"] == net.sku_ids.index("A")]
    east_side = net.fc_rank[log["orders"]["dest"], 0] == net.fc_names.index("east")
    expected = np.intersect1d(a_orders, np.flatnonzero(east_side))
    np.testing.assert_array_equal(np.sort(held), expected)
    cancel = ev["status"] == Status.CANCELLED
    t_cancel = dict(zip(ev["order_id"][cancel], ev["time_h"][cancel], strict=True))
    placed = log["orders"]["placed_h"]
    for o in held:
        if placed[o] + 48 <= log.horizon_h:
            assert t_cancel[o] == pytest.approx(placed[o] + 48.0)


POLICY_MODULE = '''
class AlwaysFc:
    """Send every order to one FC, by name."""

    def __init__(self, fc: str = "west") -> None:
        self.fc = fc

    def route(self, order, state):
        return state.network.fc_names.index(self.fc)


class Broken:
    def route(self, order, state):
        return 99
'''


def test_user_policy_from_module_next_to_scenario(tmp_path: Path) -> None:
    (tmp_path / "my_policies.py").write_text(POLICY_MODULE)
    data = deep_merge(SMALL, {"routing": {"policy": "my_policies:AlwaysFc",
                                          "params": {"fc": "east"}},
                              "inventory": {"days": 60}})
    path = write_scenario(tmp_path, data)
    log = run(load_scenario(path))
    assert set(np.unique(log["shipments"]["fc"]).tolist()) == {0}  # east is FC 0


def test_user_policy_bad_decision_is_a_clear_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "my_policies.py").write_text(POLICY_MODULE)
    data = deep_merge(SMALL, {"routing": {"policy": "my_policies:Broken"}})
    path = write_scenario(tmp_path, data)
    rc = main(["run", str(path), "--quiet", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "returned FC 99" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(PolicyError):
        run(load_scenario(path))


def test_readme_example_policy_runs(tmp_path: Path) -> None:
    """The policy shown in README.md, loaded by name from the bundled variant."""
    sc = load_scenario(ROOT / "scenarios" / "cheapest_zone.toml").with_overrides(horizon_days=3)
    log = run(sc)
    net = build_network(sc)
    sh = log["shipments"]
    zone = net.zone[sh["fc"], log["orders"]["dest"][sh["order_id"]]]
    assert log.n_rows("shipments") > 10_000
    # every shipment's zone is the lowest among FCs within zone 6 (stock is ample early on)
    best = np.where(net.zone <= 6, net.zone, 99).min(axis=0)[log["orders"]["dest"][sh["order_id"]]]
    assert np.mean(zone == best) > 0.99


def model_with_plan(make: MakeScenario, tmp_path: Path, rows: str,
                    stock: dict[str, dict[str, int]]) -> FulfillmentModel:
    """The three-FC model with ``[routing] assignment_file`` rows (region,sku,fc) and stock."""
    make(THREE_FCS)  # writes the data files beside the scenarios
    (tmp_path / "plan.csv").write_text("region,sku,fc\n" + rows)
    sc = make(THREE_FCS, routing={"policy": "assigned", "assignment_file": "plan.csv"})
    m = FulfillmentModel(build_network(sc))
    m.on_hand[:] = 0
    for name, skus in stock.items():
        for sku, units in skus.items():
            m.on_hand[fc(m, name), m.net.sku_ids.index(sku)] = units
    return m


def test_assigned_follows_the_plan_by_units(make_scenario: MakeScenario, tmp_path: Path) -> None:
    full = {f: {"A": 9, "B": 9, "C": 9} for f in ("east", "west", "central")}
    m = model_with_plan(make_scenario, tmp_path,
                        "New York City,A,central\nNew York City,B,west\n", full)
    p = m.policy
    assert isinstance(p, Assigned)
    A, C = (m.net.sku_ids.index(k) for k in "AC")
    ny = m.net.dest_names.index("New York City")
    assert m.net.assigned_fc[ny, A] == fc(m, "central")
    assert m.net.assigned_fc[ny, C] == fc(m, "east")  # not listed: the nearest FC
    assert p.route(order(m, "New York City", {"A": 1}), m.state) == fc(m, "central")
    assert p.route(order(m, "New York City", {"C": 1}), m.state) == fc(m, "east")
    # units planned: central 1 (A), west 2 (B) -> west; a tie (1 A, 1 B) goes to the nearer
    # of the two planned FCs (central is nearer New York than west)
    assert p.route(order(m, "New York City", {"A": 1, "B": 2}), m.state) == fc(m, "west")
    assert p.route(order(m, "New York City", {"A": 1, "B": 1}), m.state) == fc(m, "central")
    # other destinations are untouched: Los Angeles ships from west
    assert p.route(order(m, "Los Angeles", {"A": 1}), m.state) == fc(m, "west")


def test_assigned_falls_back_to_stock_then_holds_at_the_plan(make_scenario: MakeScenario,
                                                            tmp_path: Path) -> None:
    m = model_with_plan(make_scenario, tmp_path, "New York City,A,central\n",
                        {"east": {"A": 5}, "west": {"A": 5}})
    p = m.policy
    # central is planned but empty: the nearest FC holding it (east) ships it
    assert p.route(order(m, "New York City", {"A": 1}), m.state) == fc(m, "east")
    m.on_hand[:] = 0
    # nothing anywhere: the order waits at the planned FC, where its replenishment is planned
    assert p.route(order(m, "New York City", {"A": 1}), m.state) == fc(m, "central")


def test_assigned_run_ships_planned_demand_from_the_planned_fc(make_scenario: MakeScenario,
                                                               tmp_path: Path) -> None:
    make_scenario()
    # plenty of everything at both FCs; the plan sends the east coast's A and B west
    (tmp_path / "stock.csv").write_text("fc,sku,units\n" + "".join(
        f"{f},{k},100000\n" for f in ("east", "west") for k in "ABCDEF"))
    (tmp_path / "plan.csv").write_text("region,sku,fc\n" + "".join(
        f"{d},{k},west\n" for d in ("New York City", "Philadelphia") for k in "AB"))
    sc = make_scenario(routing={"policy": "assigned", "assignment_file": "plan.csv"},
                       replace={"inventory": {"file": "stock.csv"}})
    net = build_network(sc)
    log = run(sc)
    orders, ship, lines = log["orders"], log["shipments"], log["order_lines"]
    east_coast = np.isin(orders["dest"], [net.dest_names.index("New York City"),
                                          net.dest_names.index("Philadelphia")])
    A, B = net.sku_ids.index("A"), net.sku_ids.index("B")
    # per order: units of A/B (planned west) and of the rest (nearest: east)
    n = len(orders["dest"])
    ab = np.bincount(lines["order_id"], np.isin(lines["sku"], [A, B]) * lines["units"], n)
    rest = np.bincount(lines["order_id"], ~np.isin(lines["sku"], [A, B]) * lines["units"], n)
    nearest = net.fc_rank[orders["dest"], 0]
    want = np.where(east_coast & (ab > rest), net.fc_names.index("west"),
                    np.where(east_coast, net.fc_names.index("east"), nearest))
    # no stock-outs, so no splits: one shipment per shipped order, from the planned FC
    assert len(ship["order_id"]) == len(np.unique(ship["order_id"])) > 1000
    assert np.array_equal(ship["fc"], want[ship["order_id"]])
    assert (ship["fc"][east_coast[ship["order_id"]]] == net.fc_names.index("west")).any()
