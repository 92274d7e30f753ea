"""Shared fixtures: a small two-FC scenario built in a temporary directory."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from sim.eventlog import EventLog
from sim.model import simulate
from sim.network import build_network
from sim.policies import Optimal
from sim.policies.base import Decision
from sim.scenario import Scenario, load_scenario
from sim.state import OrderView, StateView

DATA = Path(__file__).parent / "data"

ALWAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _fc(lat: float, lon: float, pickers: int = 3, packers: int = 3) -> dict[str, Any]:
    return {
        "lat": lat, "lon": lon, "labor_cost_per_hour": 20.0,
        "pickup_cutoffs_h": [12.0, 18.0], "pickup_days": ALWAYS[:6],
        "pick_time": {"per_order_min": 1.0, "per_line_min": 0.5, "per_unit_min": 0.1,
                      "dist": "exponential"},
        "pack_time": {"per_order_min": 1.0, "per_line_min": 0.2, "dist": "gamma", "cv": 0.5},
        "shifts": {"day": {"days": ALWAYS, "start_h": 6.0, "end_h": 22.0,
                           "pickers": pickers, "packers": packers}},
    }


SMALL: dict[str, Any] = {
    "name": "small",
    "run": {"start_date": "2026-03-02", "horizon_days": 14, "warmup_days": 2, "seed": 7},
    "catalog": {"file": "skus.csv"},
    "demand": {
        "orders_per_day": 400,
        "weekday_profile": [1.2, 1.1, 1.0, 1.0, 0.9, 0.8, 1.0],
        "channels": {"web": {"share": 0.7, "promise_days": 4},
                     "market": {"share": 0.3, "promise_days": 2}},
        "lines_per_order": {"dist": "shifted_geometric", "mean": 1.8, "max": 6},
        "units_per_line": {"dist": "empirical", "values": [1, 2, 3], "weights": [7, 2, 1]},
        "destinations": {"file": "dest.csv"},
    },
    "inventory": {"rule": "days_of_demand", "days": 3},
    "replenishment": {"policy": "min_max", "reorder_point_days": 1.0, "order_up_to_days": 3.0,
                      "lead_time_days": 2.0},
    "hold": {"cancel_after_days": 2.0},
    "carrier": {"transit_days_by_zone": [1, 1, 2, 2, 3, 4, 5, 5],
                "cost_by_zone": [6, 6.5, 7, 7.5, 8, 9, 10, 11]},
    "routing": {"policy": "nearest"},
    "fcs": {"east": _fc(41.25, -75.88), "west": _fc(34.05, -118.24)},
}


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def write_scenario(directory: Path, data: Mapping[str, Any], name: str = "scenario.toml") -> Path:
    """Write ``data`` as TOML next to copies of the small catalog and destinations."""
    directory.mkdir(parents=True, exist_ok=True)
    for f in ("skus.csv", "dest.csv"):
        if not (directory / f).exists():
            shutil.copy(DATA / "small" / f, directory / f)
    path = directory / name
    path.write_text(tomli_w.dumps(dict(data)), encoding="utf-8")
    return path


MakeScenario = Callable[..., Scenario]


@pytest.fixture
def make_scenario(tmp_path: Path) -> MakeScenario:
    """Build the small scenario with changes, written to ``tmp_path``."""
    counter = iter(range(1_000_000))

    def make(changes: Mapping[str, Any] | None = None, *,
             replace: Mapping[str, Any] | None = None, **kw: Any) -> Scenario:
        """``changes``/keywords are merged into the small scenario; ``replace`` swaps whole
        top-level sections."""
        data = {**deep_merge(SMALL, {**(changes or {}), **kw}), **(replace or {})}
        path = write_scenario(tmp_path, data, f"s{next(counter)}.toml")
        return load_scenario(path)

    return make


def run(sc: Scenario, replication: int = 0) -> EventLog:
    return simulate(build_network(sc), replication=replication)


class AlsoAsking(Optimal):
    """The exact ``optimal`` (``params``) that also asks ``plain`` about every order and
    records any other answer (``mismatches``: the order, its answer, ``plain``'s)."""

    def __init__(self, plain: Optimal, **params: Any) -> None:
        super().__init__(**params)
        self.plain = plain
        self.asked = 0
        self.mismatches: list[tuple[int, object, object]] = []

    def route(self, order: OrderView, state: StateView) -> Decision:
        got = super().route(order, state)
        want = self.plain.route(order, state)
        self.asked += 1
        if (got if isinstance(got, int) else list(got)) != (
                want if isinstance(want, int) else list(want)):
            self.mismatches.append((order.id, got, want))
        return got


def assert_each_order_once(log: EventLog, held: Mapping[int, Any]) -> None:
    """Every order of the run shipped or still held, and none both."""
    shipped = set(log["shipments"]["order_id"].tolist())
    assert shipped | set(held) == set(range(log.n_rows("orders")))
    assert not shipped & set(held)
