"""Routing policies: hand-checkable decisions, stock-outs, and user policies from files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.eventlog import Status
from sim.model import FulfillmentModel, PolicyError
from sim.network import build_network
from sim.policies import LeastLoaded, Nearest, NearestIgnoringStock, RoutingPolicy
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
