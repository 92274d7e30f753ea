"""Orders routed after the run's last shift with pickers (issue 18): nothing released then is
ever picked, so every price of an order with a promise is ``inf`` (late by inf hours), and
``optimal`` answers the first FC holding the order without pricing it
(:meth:`sim.policies.Optimal.route`); ``wave`` leaves the whole wave to it
(:meth:`optimize.wave.Wave.route_wave`).  The decisions are the full search's: the runs are
the same, table by table, with the shortcut turned off, with either estimate.
"""

from __future__ import annotations

import collections
import math
from typing import Any

import numpy as np
import pytest

from sim.eventlog import EventLog
from sim.labor import StaffingPlan
from sim.model import FulfillmentModel
from sim.network import build_network
from sim.policies import Optimal
from sim.policies.base import Decision
from sim.policies.builtin import planned_rank
from sim.state import OrderView, StateView
from tests.conftest import ALWAYS, MakeScenario

WEEKDAYS = {"days": ALWAYS[:5], "start_h": 6.0, "end_h": 22.0, "pickers": 3, "packers": 3}


def _short_saturday(make_scenario: MakeScenario, routing: dict[str, Any] | None = None,
                    **changes: Any) -> Any:
    """The small scenario over 6 days (Monday to Saturday), "west" moved next to east
    (similar costs); on Saturday east works 6:00-10:00 and west 6:00-12:00, so from
    12:00 on nobody picks."""
    def shifts(end_h: float) -> dict[str, Any]:
        return {"shifts": {"day": WEEKDAYS, "sat": {"days": ["sat"], "start_h": 6.0,
                                                   "end_h": end_h, "pickers": 3,
                                                   "packers": 3}}}
    return make_scenario({
        "run": {"horizon_days": 6, "warmup_days": 0},
        "routing": routing or {"policy": "nearest"},
        "fcs": {"east": shifts(10.0), "west": {"lat": 40.71, "lon": -74.0, **shifts(12.0)}},
        **changes})


def test_picking_ends_with_the_last_shift_with_pickers(make_scenario: MakeScenario) -> None:
    assert StaffingPlan(build_network(_short_saturday(make_scenario))).pickers_end_h == 132.0
    # the small scenario's 6:00-22:00 every day, 14 days: 13 * 24 + 22
    assert StaffingPlan(build_network(make_scenario())).pickers_end_h == 334.0
    # packers alone after that do not count
    packers = {"pack": {"days": ["sat"], "start_h": 12.0, "end_h": 14.0, "pickers": 0,
                        "packers": 2}}
    sc = _short_saturday(make_scenario)
    data = sc.model_dump()
    data["fcs"]["west"]["shifts"].update(packers)
    plan = StaffingPlan(build_network(sc.with_data(data)))
    at = plan.times[1].index(132.0)  # west from 12:00 on Saturday: packers only
    assert (plan.levels[1][0][at], plan.levels[1][1][at]) == (0, 2)
    assert plan.pickers_end_h == 132.0
    # a shift running past the horizon stops there
    night = {"shifts": {"night": {"days": ALWAYS, "start_h": 22.0, "end_h": 30.0,
                                  "pickers": 1, "packers": 1}}}
    net = build_network(make_scenario({"run": {"horizon_days": 2, "warmup_days": 0},
                                       "fcs": {"east": night}}))
    assert StaffingPlan(net).pickers_end_h == net.horizon_h == 48.0


def _digest(log: EventLog) -> dict[str, dict[str, bytes]]:
    return {name: {c: np.ascontiguousarray(v).tobytes() for c, v in log.table(name).items()}
            for name in log.names}


PRICES: dict[str, Any] = {"late_penalty_per_day": 25.0, "min_saving": 1.0}
OPTIMAL: dict[str, Any] = {"policy": "optimal", "params": {"max_shipments": 2, **PRICES}}
WAVE: dict[str, Any] = {"policy": "wave", "params": {"interval_min": 10, "horizon_h": 8,
                                                     "overflow_cost_per_h": 60.0, **PRICES}}
ROUTINGS = [OPTIMAL, WAVE, *({"policy": r["policy"], "params": {**r["params"],
                                                               "estimate": "calendar"}}
                             for r in (OPTIMAL, WAVE))]


AFTER_H = 132.0 + 1e-5
"""After the end of the last shift with pickers of :func:`_short_saturday` (12:00 on Saturday)
and the shortcut's margin of 2e-6 h."""


@pytest.mark.parametrize("routing", ROUTINGS,
                         ids=["optimal", "wave", "optimal-calendar", "wave-calendar"])
def test_orders_after_the_last_shift_get_the_full_searchs_answers(
        make_scenario: MakeScenario, monkeypatch: pytest.MonkeyPatch,
        routing: dict[str, Any]) -> None:
    net = build_network(_short_saturday(make_scenario, routing))
    kinds: collections.Counter[str] = collections.Counter()
    priced = [0]  # prices asked for after the end
    route = Optimal.route

    def counted(self: Optimal, order: OrderView, state: StateView) -> Decision:
        holder = state.first_with_stock(planned_rank(order, state), order.skus, order.units)
        got = route(self, order, state)
        if state.now >= AFTER_H:
            kinds["nearest" if holder == planned_rank(order, state)[0] else
                  "another" if holder >= 0 else "none"] += 1
            assert got == holder or holder < 0
        return got

    def watch(name: str) -> None:
        method = getattr(StateView, name)

        def watched(self: StateView, *args: Any, **kw: Any) -> Any:
            priced[0] += self.now >= AFTER_H
            return method(self, *args, **kw)
        monkeypatch.setattr(StateView, name, watched)

    for name in ("etas", "landed_cost", "queue_costs", "queue_choice", "queue_cost_rows",
                 "whole_order_costs", "calendar_costs", "calendar_choice", "calendar_cost_rows"):
        watch(name)
    monkeypatch.setattr(Optimal, "route", counted)
    fast = _digest(FulfillmentModel(net).run())
    # after 12:00 on Saturday, the first FC holding the order: the nearest, another (the
    # nearest out of stock), or none, for the fallback's split or hold (103, 100 and 143
    # for optimal, 99, 102 and 140 for wave, the same with the calendar); none priced
    assert kinds["nearest"] > 80 and kinds["another"] > 80 and kinds["none"] > 100
    assert priced[0] == 0
    monkeypatch.setattr(Optimal, "_ends_as_optimal", lambda self: False)  # the full search
    assert _digest(FulfillmentModel(net).run()) == fast
    assert priced[0] > 300  # (it prices them, all inf)


@pytest.mark.parametrize("routing", ROUTINGS,
                         ids=["optimal", "wave", "optimal-calendar", "wave-calendar"])
def test_the_shortcut_starts_when_the_last_shift_ends(make_scenario: MakeScenario,
                                                      routing: dict[str, Any]) -> None:
    """At 11:30 on Saturday east (done at 10:00) cannot ship an order in time, west can:
    the order nearest east goes west; from 12:00 on, nothing ships and the first FC holding
    it (east) keeps it, the wave leaving it to ``route``."""
    net = build_network(_short_saturday(make_scenario, routing))
    m = FulfillmentModel(net)
    state, policy = m.state, m.policy
    near_east = next(d for d, rank in enumerate(net.fc_rank_lists) if rank[0] == 0)
    wave = routing["policy"] == "wave"
    for until, whole in ((131.5, 1), (132.1, 0)):
        m.env.run(until=until)
        sku = int(np.flatnonzero(state.on_hand.min(axis=0) >= 1)[0])
        order = OrderView(10**6, state.now, 0, near_east, (sku,), (1,), state.now + 72.0)
        single: Optimal = policy.single if wave else policy  # type: ignore[attr-defined,assignment]
        etas = single.order_etas(order, state)
        assert min(etas[0]) == math.inf and (min(etas[1]) < math.inf) == (whole == 1)
        assert policy.route(order, state) == whole
        if wave:
            got = policy.route_wave([order], state)  # type: ignore[attr-defined]
            assert got == ([1] if whole == 1 else [None])
            # with an order without a promise (priced, finite) the wave is solved as usual
            free = OrderView(10**6 + 1, state.now, 0, near_east, (sku,), (1,), math.inf)
            got = policy.route_wave([order, free], state)  # type: ignore[attr-defined]
            assert got[0] == (1 if whole == 1 else None) and got[1] in (0, 1)


def test_an_order_without_a_promise_is_priced_after_the_last_shift(
        make_scenario: MakeScenario) -> None:
    """Without a promise nothing is late (``landed_cost``): prices stay finite after the end,
    and the cheapest FC wins (here west, whose labor costs 1 an hour to east's 20)."""
    sc = _short_saturday(make_scenario)
    data = sc.model_dump()
    data["fcs"]["west"]["labor_cost_per_hour"] = 1.0
    net = build_network(sc.with_data(data))
    m = FulfillmentModel(net)
    m.env.run(until=133.0)
    state, policy = m.state, Optimal(min_saving=0.0)
    near_east = next(d for d, rank in enumerate(net.fc_rank_lists) if rank[0] == 0)
    sku = int(np.flatnonzero(state.on_hand.min(axis=0) >= 5)[0])
    order = OrderView(10**6, state.now, 0, near_east, (sku,), (5,), math.inf)
    assert all(min(policy.order_etas(order, state)[f]) == math.inf for f in range(2))
    costs = [policy.price(f, (sku,), (5,), order, state) for f in range(2)]
    assert costs[1] < costs[0] < math.inf
    assert policy.route(order, state) == 1
    promised = OrderView(10**6, state.now, 0, near_east, (sku,), (5,), state.now + 72.0)
    assert policy.route(promised, state) == 0


class OwnEtas(Optimal):
    def order_etas(self, order: OrderView, state: StateView) -> Any:
        return super().order_etas(order, state)


class OwnSettled(Optimal):
    def _settled(self, *args: Any) -> bool:
        return super()._settled(*args)


def test_a_subclass_with_its_own_estimates_is_searched_as_usual() -> None:
    assert Optimal()._ends_as_optimal()
    assert not OwnEtas()._ends_as_optimal() and not OwnSettled()._ends_as_optimal()
