"""Held orders offered again when stock arrives: the model's shortcuts change nothing.

Two shortcuts (issue 18, peak-season speed): a held order stays on hold unless it is
released (it used to leave the hold and come back), and a policy that declares
``route_is_pure`` is not asked about an order some line of which is short at every FC.  The
event log must be the same, table by table, as when every held order is asked; a policy
that does not declare it must be asked every time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimize.wave import Wave
from sim.eventlog import EventLog, Status
from sim.model import FulfillmentModel, simulate
from sim.network import build_network
from sim.policies import (
    Assigned,
    LeastLoaded,
    Nearest,
    NearestIgnoringStock,
    routing_class,
    routing_names,
)
from sim.policies.base import declares_pure
from sim.policies.optimized import Optimal
from sim.scenario import Scenario, load_scenario
from sim.state import OrderView, StateView
from sim.supply import in_stock_somewhere
from tests.conftest import MakeScenario

ROOT = Path(__file__).resolve().parents[1]

SHORT = {  # stock for half a day, reorders that take three: most orders wait for stock
    "inventory": {"rule": "days_of_demand", "days": 0.5},
    "replenishment": {"policy": "min_max", "reorder_point_days": 0.5,
                      "order_up_to_days": 1.5, "lead_time_days": 3.0},
    "hold": {"cancel_after_days": 4.0},
    "run": {"horizon_days": 10},
}


def counting(base: type, pure: bool) -> Any:
    """``base`` with a count of ``route`` calls; ``route_is_pure`` declared only if ``pure``
    (the attribute is not inherited: the model reads it from the policy's own class)."""
    attrs: dict[str, Any] = {"calls": 0}
    if pure:
        attrs["route_is_pure"] = True

    def route(self: Any, order: OrderView, state: StateView) -> Any:
        type(self).calls += 1
        return base.route(self, order, state)

    attrs["route"] = route
    return type(f"Counting{base.__name__}{'Pure' if pure else ''}", (base,), attrs)


def tables_equal(a: EventLog, b: EventLog) -> None:
    for name in a.tables:
        for col in a[name]:
            np.testing.assert_array_equal(a[name][col], b[name][col], err_msg=f"{name}.{col}")


@pytest.mark.parametrize("policy, params", [
    (Nearest, {}), (Assigned, {}), (LeastLoaded, {}), (NearestIgnoringStock, {}),
    (Optimal, {"max_shipments": 2, "late_penalty_per_day": 25.0}),
    (Optimal, {"max_shipments": 2, "late_penalty_per_day": 25.0, "estimate": "calendar"}),
    (Wave, {"interval_min": 10, "estimate": "queues"}),
    (Wave, {"interval_min": 10, "estimate": "calendar"}),
], ids=["nearest", "assigned", "least_loaded", "nearest_ignoring_stock", "optimal",
        "optimal_calendar", "wave", "wave_calendar"])
def test_skipping_hopeless_retries_changes_nothing(make_scenario: MakeScenario,
                                                   policy: type, params: dict[str, Any]
                                                   ) -> None:
    sc: Scenario = make_scenario(SHORT)
    net = build_network(sc)
    asked_all, asked_some = counting(policy, False), counting(policy, True)
    log_all = simulate(net, policy=asked_all(**params))
    log_some = simulate(net, policy=asked_some(**params))
    tables_equal(log_all, log_some)
    ev = log_all["events"]
    held = int((ev["status"] == Status.ON_HOLD).sum())
    released = int((ev["status"] == Status.RELEASED).sum())
    assert held > 200 and released > 100, (held, released)  # the shortcut is exercised...
    # ...and skips calls (held orders are asked again on receipts; a per-order policy is
    # also asked about each order when placed, a wave policy through route_wave)
    n_orders = len(log_all["orders"]["placed_h"])
    if policy is not Wave:
        assert asked_some.calls >= n_orders
    assert asked_all.calls > asked_some.calls + 100, (asked_all.calls, asked_some.calls)


class LeaveAndComeBack(FulfillmentModel):
    """The model as it was: every held order offered again leaves the hold, and goes back
    on it where it was if it is still short."""

    def _unhold(self, oid: int) -> Any:
        # the model's release takes a held order off hold: here it has left already
        return super()._unhold(oid) if oid in self.held else None

    def _retry_held(self, sku: int) -> None:
        waiting = self.held_by_sku.get(sku)
        if not waiting:
            return
        for oid in sorted(waiting):
            view, f, placed = self._unhold(oid)
            if not self._route(view, placed, held=True):
                self.held[oid] = (view, f, placed)
                for k, u in zip(view.skus, view.units, strict=True):
                    self.held_by_sku[k][oid] = None
                    self.backordered[f][k] += u


@pytest.mark.parametrize("policy", ["nearest", "least_loaded", "optimal", "wave"])
def test_staying_on_hold_is_leaving_and_coming_back(make_scenario: MakeScenario,
                                                    policy: str) -> None:
    """Same log as the old loop (leaving the hold on every offer and asking the policy about
    every held order; it ignores the shortcut) with the new loop and the shortcut (every
    built-in declares ``route_is_pure``; without it, see the test above); reorders read the
    backorders, so a release that did not take the order off hold would show."""
    net = build_network(make_scenario(SHORT, routing={"policy": policy}))
    before, now = LeaveAndComeBack(net), FulfillmentModel(net)
    tables_equal(before.run(), now.run())
    assert now._skip_hopeless
    assert [list(r) for r in before.backordered] == [list(r) for r in now.backordered]
    assert sorted(before.held) == sorted(now.held) and len(now.held) > 0


def test_a_subclass_is_asked_every_time_unless_it_declares_it(make_scenario: MakeScenario
                                                             ) -> None:
    net = build_network(make_scenario(SHORT))
    assert declares_pure(FulfillmentModel(net, policy=Nearest()).policy)
    assert not declares_pure(counting(Nearest, False)())
    assert declares_pure(counting(Nearest, True)())
    for name in ("optimal", "wave", "least_loaded"):  # as the scenario names them
        sc = make_scenario(SHORT, routing={"policy": name})
        assert declares_pure(FulfillmentModel(build_network(sc)).policy)
    sc = load_scenario(ROOT / "scenarios" / "cheapest_zone.toml")  # a user's policy file
    assert not declares_pure(FulfillmentModel(build_network(sc)).policy)  # asked, unless it says
    # an instance that replaces a method of its class (a price with a counter, say) is asked
    opt = Optimal()
    assert declares_pure(opt)
    opt.price = lambda *a: 0.0  # type: ignore[method-assign]
    assert not declares_pure(opt)
    assert not declares_pure(object())
    # a policy it hands orders to counts too: wave routes held orders with its Optimal
    wave = Wave()
    assert declares_pure(wave)
    wave.single.price = lambda *a: 0.0  # type: ignore[method-assign]
    assert not declares_pure(wave)
    least = LeastLoaded()
    least._fallback = counting(Nearest, False)()
    assert not declares_pure(least)


@pytest.mark.parametrize("name", routing_names())
def test_every_builtin_declares_it(name: str) -> None:
    cls = routing_class(name)
    assert cls is not None and vars(cls).get("route_is_pure") is True
    assert declares_pure(cls())


def test_in_stock_somewhere() -> None:
    rows = [memoryview(np.array(r, np.int64)) for r in ([0, 5, 1], [2, 0, 1])]
    assert in_stock_somewhere(rows, (0, 1), (2, 5))  # each line in full at some FC
    assert not in_stock_somewhere(rows, (0, 1), (3, 1))  # 3 of SKU 0: nowhere
    assert in_stock_somewhere(rows, (2, 2), (1, 1))  # lines are checked one by one
    assert not in_stock_somewhere(rows, (1, 2), (1, 2))
    assert in_stock_somewhere(rows, (), ())
