"""What-ifs in a few lines: FC templates (``like``) and ``remove`` (issue 16)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tomli_w

from sim.model import simulate
from sim.network import build_network
from sim.scenario import Scenario, ScenarioError, load_scenario, read_toml
from sim.scenario.edits import apply_remove, resolve_like
from tests.conftest import SMALL, MakeScenario, deep_merge, write_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
EDITS = Path(__file__).parent / "data" / "edits"


def child(tmp_path: Path, text: str, name: str = "child.toml",
          extends: Path = BASELINE) -> Path:
    """A scenario file extending ``extends`` (the baseline) with ``text``."""
    path = tmp_path / name
    path.write_text(f'extends = "{extends.as_posix()}"\nname = "{path.stem}"\n{text}',
                    encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, **kw: Any) -> Scenario:
    return load_scenario(child(tmp_path, text, **kw))


def error(tmp_path: Path, text: str, **kw: Any) -> str:
    with pytest.raises(ScenarioError) as exc:
        load(tmp_path, text, **kw)
    return str(exc.value)


def shifts(sc: Scenario, fc: str) -> dict[str, tuple[int, int]]:
    return {n: (s.pickers, s.packers) for n, s in sc.fcs[fc].shifts.items()}


def test_like_copies_everything_but_the_position() -> None:
    sc = load_scenario(EDITS / "atlanta.toml")
    atl, dal = sc.fcs["atlanta"], sc.fcs["dallas"]
    net = build_network(sc)
    assert net.fc_names == ("chicago", "los_angeles", "dallas", "wilkes_barre", "atlanta")
    i = net.fc_names.index("atlanta")
    assert abs(net.fc_lat[i] - 33.7) < 0.5 and abs(net.fc_lon[i] + 84.4) < 0.5
    assert atl.zip == "303" and atl.lat is None and dal.lat == 32.78
    # every setting but the position (and the one override) is Dallas's
    same = ("labor_cost_per_hour", "fixed_cost_per_day", "pick_time", "pack_time",
            "pickup_cutoffs_h", "pickup_days", "service_pickups", "receiving")
    assert all(getattr(atl, f) == getattr(dal, f) for f in same)
    assert shifts(sc, "atlanta") == {**shifts(sc, "dallas"), "day": (6, 4)}
    assert atl.shifts["day"].start_h == dal.shifts["day"].start_h


def test_like_alone_copies_the_headcounts(tmp_path: Path) -> None:
    sc = load(tmp_path, '[fcs.atlanta]\nlike = "dallas"\nlat = 33.75\nlon = -84.39\n')
    assert shifts(sc, "atlanta") == shifts(sc, "dallas")
    assert (sc.fcs["atlanta"].lat, sc.fcs["atlanta"].lon) == (33.75, -84.39)
    net = build_network(sc)
    fc = net.fc_names.index("atlanta"), net.fc_names.index("dallas")
    for heads in (net.shift_pickers, net.shift_packers):
        assert sorted(heads[net.shift_fc == fc[0]]) == sorted(heads[net.shift_fc == fc[1]])


def test_like_overrides_merge_key_by_key(tmp_path: Path) -> None:
    sc = load(tmp_path, '[fcs.atlanta]\nlike = "los_angeles"\nzip = "303"\n'
                        'labor_cost_per_hour = 18.5\n'
                        '[fcs.atlanta.shifts.evening]\npackers = 9\n'
                        '[fcs.atlanta.service_pickups.next_day]\npickup_cutoffs_h = [20.0]\n')
    atl, la = sc.fcs["atlanta"], sc.fcs["los_angeles"]
    assert atl.labor_cost_per_hour == 18.5 and la.labor_cost_per_hour == 25.0
    assert shifts(sc, "atlanta") == {"day": (5, 5), "evening": (4, 9)}
    assert shifts(sc, "los_angeles") == {"day": (5, 5), "evening": (4, 4)}
    assert atl.service_pickups["next_day"].pickup_cutoffs_h == [20.0]
    assert la.service_pickups["next_day"].pickup_cutoffs_h == [19.0]


def test_like_chains_resolve_in_order(tmp_path: Path) -> None:
    sc = load(tmp_path, '[fcs.b]\nlike = "dallas"\nzip = "303"\nlabor_cost_per_hour = 30.0\n'
                        '[fcs.b.shifts.day]\npickers = 7\n'
                        '[fcs.a]\nlike = "b"\nzip = "972"\n[fcs.a.shifts.evening]\npickers = 1\n')
    assert sc.fcs["a"].labor_cost_per_hour == 30.0
    assert shifts(sc, "a") == {"day": (7, 4), "evening": (1, 3)}
    assert sc.fcs["a"].zip == "972" and sc.fcs["b"].zip == "303"


def test_like_may_name_a_parents_fc_and_follows_a_childs_change(tmp_path: Path) -> None:
    parent = child(tmp_path, '[fcs.atlanta]\nlike = "dallas"\nzip = "303"\n', "parent.toml")
    sc = load(tmp_path, '[fcs.dallas]\nlabor_cost_per_hour = 21.0\n', extends=parent)
    assert sc.fcs["atlanta"].labor_cost_per_hour == 21.0  # resolved after the whole merge


def test_like_unknown_fc_names_the_nearest(tmp_path: Path) -> None:
    msg = error(tmp_path, '[fcs.atlanta]\nlike = "dalas"\nzip = "303"\n')
    assert "field 'fcs.atlanta.like'" in msg and "no FC 'dalas'" in msg
    assert "nearest: dallas" in msg and str(tmp_path / "child.toml") in msg


def test_like_cycle_is_named(tmp_path: Path) -> None:
    msg = error(tmp_path, '[fcs.a]\nlike = "b"\nzip = "303"\n'
                          '[fcs.b]\nlike = "c"\nzip = "304"\n'
                          '[fcs.c]\nlike = "a"\nzip = "305"\n')
    assert "forms a cycle: a -> b -> c -> a" in msg
    assert "a -> a" in error(tmp_path, '[fcs.a]\nlike = "a"\nzip = "303"\n')


def test_like_needs_a_position(tmp_path: Path) -> None:
    msg = error(tmp_path, '[fcs.atlanta]\nlike = "dallas"\n[fcs.atlanta.shifts.day]\n'
                          'pickers = 6\n')
    assert ("fcs.atlanta: a new FC needs its own position: give zip or lat and lon" in msg)


def test_like_must_be_a_name(tmp_path: Path) -> None:
    msg = error(tmp_path, '[fcs.atlanta]\nlike = 3\nzip = "303"\n')
    assert "field 'fcs.atlanta.like': expected the name of another FC" in msg


def test_like_outside_fcs_is_the_schemas_unknown_field(tmp_path: Path) -> None:
    msg = error(tmp_path, '[services.air]\nlike = "next_day"\n')
    assert "services.air.like" in msg and "not a known field" in msg


def test_the_schema_never_sees_like_or_remove() -> None:
    data = read_toml(EDITS / "atlanta.toml")
    assert "like" not in data["fcs"]["atlanta"] and "remove" not in data
    assert "lat" not in data["fcs"]["atlanta"] and data["fcs"]["atlanta"]["zip"] == "303"
    assert "next_day" not in read_toml(EDITS / "without_next_day.toml")["services"]


def test_resolve_like_is_pure() -> None:
    data = {"fcs": {"a": {"lat": 1.0, "lon": 2.0, "shifts": {"d": {"pickers": 1}}},
                    "b": {"like": "a", "zip": "303", "shifts": {"d": {"packers": 2}}}}}
    before = copy.deepcopy(data)
    out = resolve_like(data)
    assert data == before
    assert out["fcs"]["b"] == {"zip": "303", "shifts": {"d": {"pickers": 1, "packers": 2}}}
    out["fcs"]["b"]["shifts"]["d"]["pickers"] = 5
    assert out["fcs"]["a"]["shifts"]["d"]["pickers"] == 1  # a copy, not shared


def test_without_next_day_in_one_line() -> None:
    """The what-if of the issue: it used to fail with 'fcs.los_angeles.service_pickups:
    unknown service 'next_day''."""
    sc = load_scenario(EDITS / "without_next_day.toml")
    assert list(sc.services) == ["ground", "ground_advantage", "two_day"]
    assert all("next_day" not in fc.service_pickups for fc in sc.fcs.values())
    assert "next_day" not in build_network(sc).service_names
    assert load_scenario(BASELINE).fcs["los_angeles"].service_pickups  # the baseline has one


def test_the_issues_what_if_without_remove_still_fails(tmp_path: Path) -> None:
    data = read_toml(BASELINE)
    del data["services"]["next_day"]
    path = tmp_path / "no_next_day.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    with pytest.raises(ScenarioError, match="unknown service 'next_day'"):
        load_scenario(path)


def test_remove_an_fc_drops_it_from_open_fcs(tmp_path: Path) -> None:
    sc = load(tmp_path, 'remove = ["fcs.dallas"]\n'
                        '[network]\nopen_fcs = ["dallas", "chicago", "los_angeles"]\n')
    assert "dallas" not in sc.fcs and sc.open_fc_names == ["chicago", "los_angeles"]
    assert build_network(sc).fc_names == ("chicago", "los_angeles")


def test_move_an_fc_like_then_remove(tmp_path: Path) -> None:
    """Dallas moved to Atlanta: the template may be removed, ``like`` is resolved first."""
    sc = load(tmp_path, 'remove = ["fcs.dallas", "fcs.atlanta.shifts.evening"]\n'
                        '[fcs.atlanta]\nlike = "dallas"\nzip = "303"\n')
    assert list(sc.fcs) == ["chicago", "los_angeles", "wilkes_barre", "atlanta"]
    assert shifts(sc, "atlanta") == {"day": (4, 4)}


def test_remove_a_channel_spreads_its_share(tmp_path: Path) -> None:
    sc = load(tmp_path, 'remove = ["demand.channels.social"]\n')
    shares = {n: c.share for n, c in sc.demand.channels.items()}
    assert shares == pytest.approx({"webstore": 0.55 / 0.85, "marketplace": 0.30 / 0.85})
    assert sc.demand.orders_per_day == 5000


def test_remove_a_setting_restores_its_default(tmp_path: Path) -> None:
    sc = load(tmp_path, 'remove = ["hold.cancel_after_days", "returns"]\n')
    assert sc.hold.cancel_after_days is None and sc.returns.probability == 0.0


def test_remove_a_misspelled_path_names_the_nearest(tmp_path: Path) -> None:
    msg = error(tmp_path, 'remove = ["services.nex_day"]\n')
    assert "field 'remove': 'services.nex_day' does not exist" in msg
    assert "nearest: services.next_day" in msg
    msg = error(tmp_path, 'remove = ["fcs.dallas.labor_cost_per_hr"]\n')
    assert "nearest: fcs.dallas.labor_cost_per_hour" in msg
    msg = error(tmp_path, 'remove = ["fcs.zzzzzzzz"]\n')
    assert "'fcs' has: chicago, los_angeles, dallas, wilkes_barre" in msg


@pytest.mark.parametrize("value", ['"services.next_day"', '[1, 2]', '{ a = 1 }'])
def test_remove_must_be_a_list_of_names(tmp_path: Path, value: str) -> None:
    msg = error(tmp_path, f"remove = {value}\n")
    assert "field 'remove': expected a list of dotted names" in msg


def test_remove_a_service_a_field_still_needs(tmp_path: Path) -> None:
    text = 'remove = ["services.next_day"]\n[shipping]\npolicy = "fixed:next_day"\n'
    msg = error(tmp_path, text)
    assert "removing service(s) next_day" in msg
    assert "shipping.policy = 'fixed:next_day'" in msg
    # removing the field too (it takes its default, rate_shop) is fine
    sc = load(tmp_path, text.replace('"services.next_day"', '"services.next_day", '
                                                            '"shipping.policy"'))
    assert sc.shipping.policy == "rate_shop"


def test_remove_a_required_section_is_the_schemas_error(tmp_path: Path) -> None:
    assert "field 'demand' is missing" in error(tmp_path, 'remove = ["demand"]\n')


def test_removals_accumulate_down_the_chain(tmp_path: Path) -> None:
    parent = child(tmp_path, 'remove = ["services.next_day"]\n', "parent.toml")
    sc = load(tmp_path, 'remove = ["fcs.dallas"]\n', extends=parent)
    assert "next_day" not in sc.services and "dallas" not in sc.fcs
    # a child cannot bring back what its parent removed
    sc = load(tmp_path, '[services.next_day]\nfuel_surcharge_pct = 3.0\n', extends=parent)
    assert "next_day" not in sc.services


def test_a_parents_removal_is_checked_in_the_parent(tmp_path: Path) -> None:
    parent = child(tmp_path, 'remove = ["fcs.dalas"]\n', "parent.toml")
    msg = error(tmp_path, "", extends=parent)
    assert msg.startswith(f"{parent}: field 'remove': 'fcs.dalas' does not exist")


def test_a_parents_removal_of_what_a_child_replaced_is_skipped(tmp_path: Path) -> None:
    """The optimizers write children with ``replace = ["fcs"]``."""
    parent = child(tmp_path, 'remove = ["fcs.dallas"]\n', "parent.toml")
    fc = read_toml(BASELINE)["fcs"]["chicago"]
    sc = load(tmp_path, 'replace = ["fcs"]\n' + tomli_w.dumps({"fcs": {"only": fc}}),
              extends=parent)
    assert list(sc.fcs) == ["only"]


def test_remove_on_the_small_scenario(tmp_path: Path) -> None:
    data = deep_merge(SMALL, {"fcs": {"north": {"like": "east", "lat": 45.0, "lon": -93.0}},
                              "remove": ["fcs.west", "demand.channels.market"]})
    sc = load_scenario(write_scenario(tmp_path, data))
    assert list(sc.fcs) == ["east", "north"] and list(sc.demand.channels) == ["web"]
    assert sc.demand.channels["web"].share == 1.0


def test_apply_remove_is_pure_and_cleans_staffing_changes() -> None:
    data: dict[str, Any] = {
        "fcs": {"a": {"shifts": {"day": {}, "night": {}}}, "b": {"shifts": {"day": {}}}},
        "network": {"open_fcs": ["a", "b"]},
        "staffing": {"changes": [{"fcs": ["a"], "factor": 0.0},
                                 {"fcs": ["a", "b"], "factor": 2.0},
                                 {"shifts": ["night"], "factor": 0.5},
                                 {"shifts": ["day", "night"], "factor": 0.5}]},
        "remove": ["fcs.a"],
    }
    before = copy.deepcopy(data)
    out = apply_remove(data)
    assert data == before and "remove" not in out
    assert out["network"]["open_fcs"] == ["b"]
    assert out["staffing"]["changes"] == [{"fcs": ["b"], "factor": 2.0},
                                          {"shifts": ["day"], "factor": 0.5}]


def test_make_scenario_with_remove(make_scenario: MakeScenario) -> None:
    sc = make_scenario({"remove": ["demand.channels.web"]})
    assert list(sc.demand.channels) == ["market"]


def test_an_edited_scenario_simulates(tmp_path: Path) -> None:
    path = child(tmp_path, 'remove = ["services.next_day", "fcs.dallas"]\n'
                           '[fcs.atlanta]\nlike = "dallas"\nzip = "303"\n')
    sc = load_scenario(path).with_overrides(horizon_days=2)
    net = build_network(sc)
    log = simulate(net)
    ships, labels = log.table("shipments"), log.table("labels")
    assert len(ships["fc"]) > 1000
    used = {net.fc_names[int(f)] if np.issubdtype(np.asarray(f).dtype, np.integer) else str(f)
            for f in np.unique(ships["fc"])}
    assert "atlanta" in used and "dallas" not in used
    assert "next_day" not in {str(s) for s in np.unique(labels["service"])}


def test_remove_refuses_a_promise_no_remaining_service_can_meet(tmp_path: Path) -> None:
    """Removing the air services while a channel promises one day: exit 2 naming the
    channel's promise (the fastest ground service needs more than a day)."""
    base = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
    f = tmp_path / "fast.toml"
    f.write_text(f'extends = "{base}"\nremove = ["services.next_day", "services.two_day"]\n'
                 '[demand.channels.marketplace]\npromise_days = 0\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"demand\.channels\.marketplace\.promise_days"):
        load_scenario(f)
