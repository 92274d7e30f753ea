"""Cost-optimising routing (``optimal``, ``wave``): landed costs by hand, decisions, and the
wave's place in the model (orders wait for their wave, nothing is lost)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.eventlog import Status
from sim.model import FulfillmentModel
from sim.network import build_network
from sim.policies import Optimal, RoutingPolicy
from sim.state import OrderView
from tests.conftest import MakeScenario, run

# SMALL has FCs east (Wilkes-Barre, PA) and west (Los Angeles), one ground service priced
# by zone (6, 6.5, 7, 7.5, 8, 9, 10, 11) and no cartons; pick 1 + 0.5/line + 0.1/unit min,
# pack 1 + 0.2/line min.  One unit of one SKU: 1.6 + 1.2 = 2.8 min = 0.046667 h of labor.
LABOR_H = 2.8 / 60


def ready_model(sc) -> FulfillmentModel:  # type: ignore[no-untyped-def]
    m = FulfillmentModel(build_network(sc))
    m._schedule_calendar()  # staffing plan and pickups, as at the start of a run
    return m


def view(m: FulfillmentModel, dest: str, sku: str, units: int = 1,
         promise_h: float = 500.0) -> OrderView:
    net = m.net
    return OrderView(0, 0.0, 0, net.dest_names.index(dest), (net.sku_ids.index(sku),),
                     (units,), promise_h)


def test_landed_cost_by_hand(make_scenario: MakeScenario) -> None:
    m = ready_model(make_scenario())
    o = view(m, "New York City", "A")
    east, west = m.net.fc_names.index("east"), m.net.fc_names.index("west")
    assert m.net.zone[east, o.dest] == 2 and m.net.zone[west, o.dest] == 8
    cost, late = m.state.landed_cost(east, o.skus, o.units, o.dest, o.promise_h)
    assert cost == pytest.approx(6.5 + 20.0 * LABOR_H) and late == 0.0
    cost, late = m.state.landed_cost(west, o.skus, o.units, o.dest, o.promise_h)
    assert cost == pytest.approx(11.0 + 20.0 * LABOR_H) and late == 0.0
    # a promise nothing can meet: hours late = expected delivery - promise
    eta = m.state.etas(east, o.dest, 1.6 / 60, 1.2 / 60)[0]
    _, late = m.state.landed_cost(east, o.skus, o.units, o.dest, 1.0)
    assert late == pytest.approx(eta - 1.0)
    # ready at 06:02.8 (shift starts at 6, empty queues), first pickup 12:00 on Monday,
    # zone 2 = 1 business day, delivered at the scenario's delivery hour on Tuesday
    assert m.state.ready_h(east, 1.6 / 60, 1.2 / 60) == pytest.approx(6 + LABOR_H)
    assert eta == pytest.approx(24 + m.net.delivery_hour)


def test_optimal_chooses_lowest_landed_cost(make_scenario: MakeScenario) -> None:
    # east's labor at 300/h: 6.5 + 14.0 = 20.5 > west's 11.0 + 0 -> the far FC wins
    sc = make_scenario({"fcs": {"east": {"labor_cost_per_hour": 300.0},
                                "west": {"labor_cost_per_hour": 0.0}}})
    m = ready_model(sc)
    o = view(m, "New York City", "A")
    assert Optimal().route(o, m.state) == m.net.fc_names.index("west")
    # at equal wages the near FC wins (6.5 + 0.93 < 11 + 0.93)
    m = ready_model(make_scenario())
    assert Optimal().route(o, m.state) == m.net.fc_names.index("east")
    # lateness is priced: a promise only east can meet and a penalty larger than the wage gap
    m = ready_model(sc)
    east, west = m.net.fc_names.index("east"), m.net.fc_names.index("west")
    eta_e = m.state.etas(east, o.dest, 1.6 / 60, 1.2 / 60 + 1.0)[0]
    eta_w = m.state.etas(west, o.dest, 1.6 / 60, 1.2 / 60 + 1.0)[0]
    assert eta_e < eta_w
    tight = view(m, "New York City", "A", promise_h=eta_e)
    assert Optimal(late_penalty_per_day=1000.0).route(tight, m.state) == east
    assert Optimal(late_penalty_per_day=0.0).route(tight, m.state) == west


def test_optimal_skips_fcs_without_stock_and_splits(make_scenario: MakeScenario) -> None:
    m = ready_model(make_scenario())
    net = m.net
    east, west = net.fc_names.index("east"), net.fc_names.index("west")
    a, b = net.sku_ids.index("A"), net.sku_ids.index("B")
    m.on_hand[:] = 0
    m.on_hand[west, a] = 5  # only west holds A
    o = view(m, "New York City", "A")
    assert Optimal().route(o, m.state) == west
    # A only at west, B only at east: the only way is a split, one line from each
    m.on_hand[east, b] = 5
    two = OrderView(1, 0.0, 0, o.dest, (a, b), (1, 1), 500.0)
    assert list(Optimal().route(two, m.state)) == [west, east]  # type: ignore[arg-type]
    # max_shipments = 1 forbids it: the order is held at its nearest FC
    assert Optimal(max_shipments=1).route(two, m.state) == east


def test_optimal_runs_and_conserves_orders(make_scenario: MakeScenario) -> None:
    sc = make_scenario({"routing": {"policy": "optimal"}})
    log = run(sc)
    ev = log["events"]
    placed = np.unique(ev["order_id"][ev["status"] == Status.PLACED])
    assert len(placed) == len(log["orders"]["placed_h"]) > 1000
    # every unit of a released order is in exactly one of its shipments, splits included
    ol, sl, sh = log["order_lines"], log["shipment_lines"], log["shipments"]
    released = np.unique(sh["order_id"])
    assert 0 < len(released) <= len(placed)
    ordered = np.bincount(ol["order_id"], weights=ol["units"], minlength=len(placed))
    shipped = np.bincount(sh["order_id"][sl["shipment_id"]], weights=sl["units"],
                          minlength=len(placed))
    assert np.array_equal(shipped[released], ordered[released])
    assert not shipped[np.setdiff1d(placed, released)].any()
    assert (np.bincount(sh["order_id"])[released] > 1).any()  # some orders were split


class _EveryOtherFC:
    """A wave policy for the test: every order of a wave to FC (wave number mod 2)."""

    wave_interval_h = 0.5

    def __init__(self) -> None:
        self.waves: list[tuple[float, int]] = []

    def route(self, order: OrderView, state) -> int:  # type: ignore[no-untyped-def]
        return 0

    def route_wave(self, orders, state):  # type: ignore[no-untyped-def]
        self.waves.append((state.now, len(orders)))
        return [len(self.waves) % 2] * len(orders)


def test_wave_policy_orders_wait_for_their_wave(make_scenario: MakeScenario) -> None:
    sc = make_scenario(run={"horizon_days": 3, "warmup_days": 0})
    policy = _EveryOtherFC()
    assert isinstance(policy, RoutingPolicy)
    m = FulfillmentModel(build_network(sc), policy=policy)
    log = m.run()
    times = np.array([t for t, _ in policy.waves])
    # one wave every 30 minutes from 00:30 (waves with no orders are not offered)
    assert np.allclose(times / 0.5, np.round(times / 0.5)) and times[0] >= 0.5
    orders = log["orders"]
    # every order placed before the last wave was offered to exactly one wave
    last = times[-1]
    assert sum(n for _, n in policy.waves) == int((orders["placed_h"] <= last).sum())
    sh = log["shipments"]
    ev = log["events"]
    pick_start = ev["time_h"][ev["status"] == Status.PICK_START]
    assert len(pick_start) > 0
    # a shipment is released at its wave: the first pick starts no earlier than the wave
    # after the order was placed; each wave's orders all went to one FC
    placed = orders["placed_h"][sh["order_id"]]
    wave_of = np.ceil(placed / 0.5 + 1e-12) * 0.5
    idx = {round(t, 6): i + 1 for i, (t, _) in enumerate(policy.waves)}
    expected_fc = np.array([idx[round(w, 6)] % 2 for w in wave_of])
    held = np.isin(sh["order_id"], ev["order_id"][ev["status"] == Status.ON_HOLD])
    assert np.array_equal(sh["fc"][~held], expected_fc[~held])
    assert not math.isnan(float(np.nanmax(log.tables["shipments"]["pick_start_h"])))
    first_pick = log.tables["shipments"]["pick_start_h"]
    ok = ~np.isnan(first_pick) & ~held
    assert np.all(first_pick[ok] >= wave_of[ok] - 1e-9)


def test_wave_splits_first_and_the_joint_problem_sees_the_stock_it_took(
        make_scenario: MakeScenario) -> None:
    from optimize.wave import Wave

    m = ready_model(make_scenario())
    net = m.net
    east, west = net.fc_names.index("east"), net.fc_names.index("west")
    a, b = net.sku_ids.index("A"), net.sku_ids.index("B")
    ny = net.dest_names.index("New York City")
    m.on_hand[:] = 0
    m.on_hand[west, a] = 1  # one unit of A, at west only
    m.on_hand[east, b] = 5
    m.on_hand[west, b] = 5
    two = OrderView(0, 0.0, 0, ny, (a, b), (1, 1), 500.0)
    one_a = OrderView(1, 0.0, 0, ny, (a,), (1,), 500.0)
    one_b = OrderView(2, 0.0, 0, ny, (b,), (1,), 500.0)
    w = Wave(interval_min=10, min_saving=1.0)
    # a split (A west 11 + B east 6.5, each with its labor) is dearer than the first order
    # whole from west, so no split; the two orders wanting the only A compete in the joint
    # problem, where either leaves the other waiting at the same cost: the cheaper to ship
    # (one line) gets it and the first waits for route() (None)
    assert w.route_wave([two, one_a, one_b], m.state) == [None, west, east]
    # hand-set prices: whole orders 20 at west (A, B) and 4 (B alone at east), one line 5
    # anywhere: the split (A west, B east: 10) beats shipping whole from west (20) by more
    # than min_saving, so it is taken before the joint problem, which then has no A left
    def price(f, skus, units, order, state, etas=None):  # type: ignore[no-untyped-def]
        return 20.0 if len(skus) == 2 else (4.0 if order.id == 2 else 5.0)

    w.single.price = price  # type: ignore[method-assign]
    out = w.route_wave([two, one_a, one_b], m.state)
    assert list(out[0]) == [west, east]  # type: ignore[arg-type]
    assert out[1:] == [None, east]


def test_wave_routes_at_once_an_order_that_waiting_would_make_late(
        make_scenario: MakeScenario) -> None:
    from optimize.wave import Wave

    m = ready_model(make_scenario())
    east = m.net.fc_names.index("east")
    w = Wave(interval_min=10, route_urgent=True)
    # Monday 16:51: ready at 16:51 + 2.8 min of work + the 1 h margin = 17:53.8, in time for
    # east's 18:00 pickup -> delivered Tuesday 17:00 (41 h, zone 2, one business day); the
    # next wave is at 17:00 (9 minutes on), ready 18:02.8: Tuesday's 12:00 pickup,
    # Wednesday 17:00 (65 h).  A promise of 48 h is met only by routing now.
    m.env._now = 16.85
    o = view(m, "New York City", "A", promise_h=48.0)
    pick_h, pack_h = m.state.task_hours(east, 1, 1)
    assert min(m.state.etas(east, o.dest, pick_h, pack_h + 1.0)) == pytest.approx(41.0)
    assert min(m.state.etas(east, o.dest, pick_h, pack_h + 1.15)) == pytest.approx(65.0)
    assert w.route_now(o, m.state)
    # with a promise both meet, or earlier in the day (both catch 18:00), it waits
    assert not w.route_now(view(m, "New York City", "A", promise_h=100.0), m.state)
    m.env._now = 10.0
    assert not w.route_now(o, m.state)
    m.env._now = 16.85
    assert w.route_now(o, m.state)
    assert not Wave(interval_min=10).route_now(o, m.state)  # off by default


class _OddNow(_EveryOtherFC):
    """Odd order ids skip the wave (route_now) and are routed alone, to FC 0."""

    def route_now(self, order: OrderView, state) -> bool:  # type: ignore[no-untyped-def]
        return order.id % 2 == 1


def test_route_now_orders_skip_the_wave(make_scenario: MakeScenario) -> None:
    sc = make_scenario(run={"horizon_days": 2, "warmup_days": 0})
    policy = _OddNow()
    log = FulfillmentModel(build_network(sc), policy=policy).run()
    orders, sh = log["orders"], log["shipments"]
    last = max(t for t, _ in policy.waves)
    even = np.arange(len(orders["placed_h"])) % 2 == 0
    # only the even orders placed before the last wave were offered to waves
    assert sum(n for _, n in policy.waves) == int((even & (orders["placed_h"] <= last)).sum())
    odd = sh["order_id"] % 2 == 1
    assert odd.any() and np.all(sh["fc"][odd] == 0)
    # released when placed, not at a wave: many odd orders start picking before the wave
    # that would have taken them, which no even order can
    placed = orders["placed_h"][sh["order_id"]]
    next_wave = np.ceil(placed / 0.5 + 1e-12) * 0.5
    early = log.tables["shipments"]["pick_start_h"] < next_wave - 1e-9
    assert early[odd].sum() > 100 and not early[~odd].any()
