"""The shortcuts of the routing policies' speed work (issue 18) give what the long ways give.

- ``estimate = "calendar"`` prices split parts by the day (``sim.block_prices``): each part's
  price is the landed cost and lateness of that part alone with nothing queued, the same
  whichever batch computed it;
- the vectorised split bound is the scalar one, the vectorised rate shopping the scalar rule;
- two-shipment splits searched by halves (``_best_pair``) pick what the search over every
  assignment picks, ties included;
- a wave whose cheapest choices fit stock and labor is answered without the solver, as the
  solver answers it;
- splits are not priced when no FC holding a line has a pickup left, whole shipments not
  when their FC has none.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

import sim.block_prices as block_prices
from optimize.routing import assign_wave
from optimize.wave import _cheapest_if_feasible, _least_with_overflow
from sim.block_prices import PART_PRICED_LINES, line_subsets
from sim.eventlog import EventLog
from sim.model import FulfillmentModel, simulate
from sim.network import build_network
from sim.policies import Optimal
from sim.policies.optimized import _best_pair
from sim.scenario import load_scenario
from sim.shipping import fastest, rate_shop, rate_shop_batch
from sim.state import OrderView, StateView
from tests.conftest import MakeScenario

ROOT = Path(__file__).resolve().parents[1]


def _scenario(name: str, days: float):  # type: ignore[no-untyped-def]
    return load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(horizon_days=days)


class PartChecking(Optimal):
    """``optimal`` with the calendar estimate that, for each order routed while some FC has
    no work queued, compares the calendar price of every part at those FCs with the part
    priced alone by :meth:`Optimal.price` behind the (empty) queue, for the part's own pick
    and pack hours: with nothing queued the two estimates are the same arithmetic."""

    def __init__(self) -> None:
        super().__init__(estimate="calendar")
        self.compared = self.not_priced = self.orders = 0
        self.mismatches: list[tuple[int, int, tuple[int, ...], float, float]] = []

    def route(self, order: OrderView, state: StateView):  # type: ignore[no-untyped-def]
        rows = state.calendar_part_costs(order, self.late_per_h, self.ready_margin_h)
        if rows is not None:
            self.orders += 1
            idle = [f for f in range(state.network.n_fcs)
                    if state.queued_hours(f) == (0.0, 0.0)]
            for sub, row in zip(line_subsets(len(order.skus)), rows, strict=True):
                skus = tuple(order.skus[j] for j in sub)
                units = tuple(order.units[j] for j in sub)
                for f in idle:
                    if row[f] != row[f]:
                        self.not_priced += 1
                        continue
                    pick_h, pack_h = state.task_hours(f, len(skus), sum(units))
                    etas = state.etas(f, order.dest, pick_h, pack_h + self.ready_margin_h)
                    want = self.price(f, skus, units, order, state, etas)
                    self.compared += 1
                    if want != row[f]:
                        self.mismatches.append((order.id, f, sub, want, row[f]))
        return super().route(order, state)


def test_calendar_part_prices_are_each_part_priced_alone_with_nothing_queued() -> None:
    policy = PartChecking()
    m = FulfillmentModel(build_network(_scenario("optimal_routing", 3)), policy=policy)
    log = m.run()
    assert policy.mismatches == []
    assert policy.orders > 2_000 and policy.compared > 500
    assert policy.not_priced < 0.05 * policy.compared
    shipped = set(log["shipments"]["order_id"].tolist())  # every order accounted for once
    assert shipped | set(m.held) == set(range(log.n_rows("orders")))
    assert not shipped & set(m.held)


def _digest(log: EventLog) -> dict[str, dict[str, bytes]]:
    """Each column of the tables routing decides, as bytes (NaN equal to NaN)."""
    return {name: {c: np.ascontiguousarray(v).tobytes() for c, v in log.table(name).items()}
            for name in ("shipments", "shipment_lines", "events", "labels")}


@pytest.mark.parametrize("scenario", ["optimal_calendar", "wave_calendar"])
def test_part_prices_do_not_depend_on_the_batch(scenario: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Which orders a batch prices together only saves work: with every order's parts priced
    on its own (none thought likely to be searched), the run is the same."""
    net = build_network(_scenario(scenario, 2))
    m = FulfillmentModel(net)
    log = m.run()
    usual = _digest(log)
    shipped = set(log["shipments"]["order_id"].tolist())  # every order accounted for once
    assert shipped | set(m.held) == set(range(log.n_rows("orders")))
    assert not shipped & set(m.held)
    assert len(shipped) > 0.95 * log.n_rows("orders")
    batches: list[int] = []
    part_costs = block_prices.BlockPrices._part_costs
    init = block_prices._Parts.__init__

    def alone(self, *args):  # type: ignore[no-untyped-def]
        init(self, *args)
        self.likely[:] = False

    def counted(self, orders, *args):  # type: ignore[no-untyped-def]
        batches.append(len(orders))
        return part_costs(self, orders, *args)

    monkeypatch.setattr(block_prices._Parts, "__init__", alone)
    monkeypatch.setattr(block_prices.BlockPrices, "_part_costs", counted)
    assert _digest(FulfillmentModel(net).run()) == usual
    assert len(batches) > 50 and sum(batches) < 3 * len(batches)  # mostly one order each


def test_vectorised_split_bounds_equal_the_scalar_bound() -> None:
    m = FulfillmentModel(build_network(_scenario("optimal_routing", 1)))
    est = m.estimates
    rng = np.random.default_rng(5)
    n_sku, n_dest = m.net.n_skus, len(m.net.dest_names)
    orders = []
    for _ in range(2_000):
        n = int(rng.integers(2, 7))
        orders.append((int(rng.integers(n_dest)),
                       tuple(rng.choice(n_sku, n, replace=False).tolist()),
                       tuple(rng.integers(1, 6, n).tolist())))
    got = est.split_bounds(np.array([d for d, _, _ in orders]),
                           np.array([len(s) for _, s, _ in orders]),
                           np.array([k for _, s, _ in orders for k in s]),
                           np.array([u for _, _, us in orders for u in us]))
    want = np.array([est.split_lower_bound(d, s, u) for d, s, u in orders])
    assert np.isfinite(want).all()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


@pytest.mark.parametrize("scenario", ["optimal_routing", "olist_products"])
def test_day_table_of_whole_order_bounds_is_the_scalar_bound(scenario: str) -> None:
    """``optimal`` skips FCs by their lower bound, read from the day's table: the very
    numbers of ``shipment_lower_bound``, for every order of the day it covers."""
    m = FulfillmentModel(build_network(_scenario(scenario, 2)))
    m._schedule_calendar()
    m._review_all()
    m._at(0.0, m._start_day, 0)
    m.env.run(until=1.0)  # the day's block is placed
    est, state = m.estimates, m.state
    views = m._day_views
    covered = 0
    for v in views:
        row = state.whole_lower_bounds(v)
        if row is None:
            continue
        covered += 1
        assert row == [est.shipment_lower_bound(f, v.skus, v.units, v.dest)
                       for f in range(m.net.n_fcs)], v
    assert covered > 0.8 * len(views) > 1000
    v = views[5]
    stranger = OrderView(v.id, v.placed_h, v.channel, v.dest, v.skus, v.units, v.promise_h)
    assert state.whole_lower_bounds(stranger) is None  # not the block's own order
    m.env.run(until=25.0)  # the next day's block: its own table
    assert m._day_views[0].id > views[-1].id
    tomorrow = [state.whole_lower_bounds(v) for v in m._day_views[:300]]
    assert state.whole_lower_bounds(views[5]) is None  # yesterday's: no longer at hand
    assert sum(r is not None for r in tomorrow) > 200
    for v, row in zip(m._day_views, tomorrow, strict=False):
        if row is not None:
            assert row == [est.shipment_lower_bound(f, v.skus, v.units, v.dest)
                           for f in range(m.net.n_fcs)]


def test_vectorised_rate_shopping_is_the_scalar_rule_ties_included() -> None:
    rng = np.random.default_rng(11)
    for _ in range(200):
        n, S = 300, int(rng.integers(1, 5))
        prices = rng.choice([1.0, 2.0, 3.0, math.inf], size=(n, S))
        arrive = rng.choice([10.0, 20.0, 30.0, math.inf], size=(n, S))
        promise = rng.choice([5.0, 15.0, 25.0, 35.0], size=n)
        want = [rate_shop(prices[i].tolist(), arrive[i].tolist(), float(promise[i]))
                for i in range(n)]
        assert rate_shop_batch(prices, arrive, promise).tolist() == want


def _rate_shop_by_definition(prices: list[float], arrive: list[float], promise: float) -> int:
    """The rate-shopping rule as its docstring says it: among services on time that can
    carry the parcel, the least (price, arrival), the first of equals; else the fastest."""
    ok = [s for s in range(len(prices)) if arrive[s] <= promise and prices[s] < math.inf]
    if ok:
        return min(ok, key=lambda s: (prices[s], arrive[s]))
    return fastest(prices, arrive, promise)


def test_rate_shopping_is_its_definition_ties_nan_and_signed_zero_included() -> None:
    rng = np.random.default_rng(13)
    values_p = [0.0, -0.0, 1.0, 2.0, math.nan, math.inf]
    values_a = [-0.0, 0.0, 10.0, 20.0, math.nan, math.inf]
    seen_on_time = seen_tie = 0
    for _ in range(20000):
        S = int(rng.integers(1, 6))
        prices = [values_p[i] for i in rng.integers(0, 6, S)]
        arrive = [values_a[i] for i in rng.integers(0, 6, S)]
        promise = float(rng.choice([-1.0, 0.0, 15.0, 25.0, math.inf, math.nan]))
        want = _rate_shop_by_definition(prices, arrive, promise)
        assert rate_shop(prices, arrive, promise) == want, (prices, arrive, promise)
        on_time = [s for s in range(S) if arrive[s] <= promise and prices[s] < math.inf]
        seen_on_time += bool(on_time)
        seen_tie += len({prices[s] for s in on_time}) < len(on_time)
    assert seen_on_time > 5000 and seen_tie > 1000  # the cases that matter were drawn


def _search_every_assignment(holders: list[list[int]], rows: list[list[float]],
                             to_beat: float) -> list[int] | None:
    """What ``Optimal._best_split`` does for two shipments: every assignment in
    ``itertools.product`` order, the first of least cost below ``to_beat``."""
    index = {sub: j for j, sub in enumerate(line_subsets(len(holders)))}
    best, best_cost = None, to_beat
    for assign in itertools.product(*holders):
        fcs = set(assign)
        if len(fcs) != 2:
            continue
        cost = 0.0
        for f in fcs:
            cost += rows[index[tuple(j for j, g in enumerate(assign) if g == f)]][f]
        if cost < best_cost:
            best, best_cost = list(assign), cost
    return best


def test_two_shipment_search_by_halves_is_the_search_over_every_assignment() -> None:
    rng = np.random.default_rng(3)
    F = 5
    checked = ties = 0
    for _ in range(3_000):
        n = int(rng.integers(2, PART_PRICED_LINES + 1))
        rank = rng.permutation(F).tolist()
        holders = [[f for f in rank if rng.random() < 0.7] for _ in range(n)]
        if any(not h for h in holders):
            continue
        # whole dollars: many exact ties between assignments
        rows = rng.integers(1, 6, size=(len(line_subsets(n)), F)).astype(float).tolist()
        to_beat = float(rng.choice([math.inf, 6.0, 4.0]))
        want = _search_every_assignment(holders, rows, to_beat)
        assert _best_pair(holders, rows, to_beat) == want
        checked += 1
        ties += want is not None
    assert checked > 2_000 and ties > 1_000
    # a price it lacks (NaN) sends the search back to the usual way
    assert _best_pair([[0, 1], [1, 0]], [[math.nan, 1.0], [1.0, 1.0]], math.inf) is False


def _wave_lines(rng: np.random.Generator, n: int, K: int, cost: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``n`` random orders of 1-2 distinct SKUs of ``K``, one unit each, as ``route_wave``
    passes them (line pointers, SKUs, units), and its cost of waiting for ``cost``."""
    orders = []
    for i in range(n):
        skus = tuple(sorted(rng.choice(K, int(rng.integers(1, 3)), replace=False).tolist()))
        orders.append(OrderView(i, 0.0, 0, 0, skus, (1,) * len(skus), 24.0))
    ptr = np.concatenate(([0], np.cumsum([len(o.skus) for o in orders])))
    finite = cost[np.isfinite(cost)]
    unassigned = 10.0 * (float(finite.max()) if finite.size else 1.0) + 1000.0
    line_sku = np.array([k for o in orders for k in o.skus])
    line_units = np.array([u for o in orders for u in o.units])
    return ptr, line_sku, line_units, unassigned


def test_a_wave_of_cheapest_choices_that_fit_is_answered_as_the_solver_answers() -> None:
    rng = np.random.default_rng(8)
    shortcuts = solved = 0
    for _ in range(400):
        n, F, K = int(rng.integers(1, 12)), 3, 6
        cost = rng.choice([1.0, 2.0, 3.0, math.inf], size=(n, F))
        hours = rng.uniform(0.1, 1.0, size=(n, F))
        capacity = rng.uniform(0.5, 6.0, size=F).tolist()
        stock = rng.integers(0, 5, size=(F, K))
        ptr, line_sku, line_units, unassigned = _wave_lines(rng, n, K, cost)
        for priced in (True, False):
            fast = _cheapest_if_feasible(cost, hours, np.array(capacity), ptr, line_sku,
                                         line_units, stock, unassigned, priced)
            res = assign_wave(cost, hours, np.array(capacity), ptr, line_sku, line_units, stock,
                              overflow_cost_per_h=60.0 if priced else 0.0,
                              unassigned_cost=unassigned)
            if fast is not None:
                shortcuts += 1
                assert res.status == "TRIVIAL" and fast == res.fc.tolist()
            else:
                solved += 1
    assert shortcuts > 100 and solved > 100


def test_a_wave_with_no_labor_free_is_answered_as_the_solver_answers() -> None:
    # no capacity at any FC (a Saturday evening): every hour is overflow, and each order's
    # least cost with its hours' overflow, where stock allows, is assign_wave's answer (the
    # LP is not needed); whole-dollar costs and hours in quarters make exact ties common
    rng = np.random.default_rng(9)
    shortcuts = solved = ties = 0
    rate = 4.0
    for _ in range(400):
        n, F, K = int(rng.integers(1, 12)), 3, 6
        cost = rng.choice([1.0, 2.0, 3.0, math.inf], size=(n, F))
        hours = rng.choice([0.25, 0.5], size=(n, F))
        capacity = np.zeros(F)
        stock = rng.integers(0, 5, size=(F, K))
        ptr, line_sku, line_units, unassigned = _wave_lines(rng, n, K, cost)
        pen = cost + rate * hours
        fast = _least_with_overflow(cost, hours, rate, ptr, line_sku, line_units, stock,
                                    unassigned)
        res = assign_wave(cost, hours, capacity, ptr, line_sku, line_units, stock,
                          overflow_cost_per_h=rate, unassigned_cost=unassigned)
        if fast is not None:
            shortcuts += 1
            assert res.status in ("OPTIMAL", "TRIVIAL") and fast == res.fc.tolist()
            least = np.sort(pen, axis=1)
            ties += int((least[:, 0] == least[:, 1]).any())
        else:
            solved += 1
    assert shortcuts > 60 and solved > 50 and ties > 30


def test_waves_with_no_labor_free_get_the_solvers_answers_in_a_run(
        make_scenario: MakeScenario, monkeypatch: pytest.MonkeyPatch) -> None:
    # task times that differ by FC (the bundled scenarios' are the same at every FC, so
    # there the overflow term cannot change an order's choice): east picks slowly but its
    # labor is cheap, "west" moved next to it (similar postage); one shift (6:00-14:00)
    # and a 2-hour horizon leave many waves with no labor free at any FC
    import optimize.wave as wave_module

    inner = wave_module._least_with_overflow
    changed: list[bool] = []

    def checked(cost, hours, rate, ptr, sku, units, stock, unassigned):  # type: ignore[no-untyped-def]
        got = inner(cost, hours, rate, ptr, sku, units, stock, unassigned)
        if got is not None:
            res = assign_wave(cost, hours, np.zeros(len(stock)), ptr, sku, units,
                              np.maximum(stock, 0), overflow_cost_per_h=rate,
                              unassigned_cost=unassigned)
            assert got == res.fc.tolist() and res.status == "OPTIMAL"
            cheapest = np.where(cost.min(axis=1) <= unassigned, cost.argmin(axis=1), -1)
            changed.append(got != cheapest.tolist())
        return got

    monkeypatch.setattr(wave_module, "_least_with_overflow", checked)
    day = {"day": {"start_h": 6.0, "end_h": 14.0}}
    sc = make_scenario({
        "run": {"horizon_days": 3, "warmup_days": 0},
        "routing": {"policy": "wave", "params": {"interval_min": 30, "horizon_h": 2,
                                                 "overflow_cost_per_h": 200.0}},
        "fcs": {"east": {"pick_time": {"per_order_min": 6.0}, "labor_cost_per_hour": 1.0,
                         "shifts": day},
                "west": {"lat": 40.71, "lon": -74.0, "shifts": day}}})  # near: similar costs
    simulate(build_network(sc))
    assert len(changed) > 20 and sum(changed) > 20  # (66 and 65) the overflow moved orders


class PriceCounting(Optimal):
    def __init__(self) -> None:
        super().__init__()
        self.prices = 0

    def price(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.prices += 1
        return super().price(*args, **kwargs)

    def _prices_bounded(self) -> bool:  # prices as Optimal does
        return True


def test_no_split_is_priced_when_no_fc_holding_a_line_has_a_pickup_left() -> None:
    net = build_network(_scenario("optimal_routing", 1))
    m = FulfillmentModel(net)
    m.env.run(until=net.horizon_h + 100.0)  # past every pickup the run lists
    state = m.state
    policy = PriceCounting()
    skus = tuple(int(k) for k in np.flatnonzero(state.on_hand.min(axis=0) >= 1)[:2])
    order = OrderView(0, m.env.now, 0, 0, skus, (1, 1), m.env.now + 48.0)
    etas = policy.order_etas(order, state)
    assert all(min(etas[f]) == math.inf for f in range(net.n_fcs))
    assert policy._best_split(order, state, math.inf, etas) is None
    assert policy.prices == 0


def test_parts_of_an_order_without_a_promise_are_priced_where_no_pickup_is_left() -> None:
    """Without a promise a shipment with no pickup left is not late (``landed_cost``): its
    parts have prices, so the split search goes on, as the plain search does."""
    net = build_network(_scenario("optimal_routing", 1))
    m = FulfillmentModel(net)
    m.env.run(until=net.horizon_h + 100.0)  # past every pickup the run lists
    state = m.state
    skus = tuple(int(k) for k in np.flatnonzero(state.on_hand.min(axis=0) >= 1)[:3])
    m.on_hand[0, skus[0]] = 0  # (a split is the only way to ship from FC 0)
    order = OrderView(0, m.env.now, 0, 0, skus, (1, 1, 1), math.inf)
    policy, plain = PriceCounting(), Optimal()
    plain.price = lambda *a, **k: Optimal.price(plain, *a, **k)  # type: ignore[method-assign]
    etas = policy.order_etas(order, state)
    assert all(min(etas[f]) == math.inf for f in range(net.n_fcs))
    got = policy._best_split(order, state, math.inf, etas)
    assert got is not None and got == plain._best_split(order, state, math.inf, etas)
    assert policy.prices > 0


def test_whole_shipments_without_a_delivery_before_the_end_are_not_priced() -> None:
    """``optimal`` routes an order without pricing the shipments that cannot be delivered
    before the end of the run (they would cost inf): to the first FC holding it, as pricing
    each at inf would."""
    net = build_network(_scenario("optimal_routing", 1))
    m = FulfillmentModel(net)
    est = m.estimates
    last = max(t[-1] for by_service in est.pickup_times for t in by_service if t)
    m.env.run(until=last + 0.5)  # past every pickup the run lists: no delivery anywhere
    for f in range(net.n_fcs):
        assert est.etas(f, 3, 0.2, 0.1) == [math.inf] * len(net.services)
    state = m.state
    policy = PriceCounting()
    k = int(np.flatnonzero(state.on_hand.min(axis=0) >= 1)[0])
    order = OrderView(0, m.env.now, 0, 3, (k,), (1,), m.env.now + 48.0)
    expected = net.fc_rank_lists[3][0]  # every FC holds it; all cost inf: the nearest
    assert policy.route(order, state) == expected
    assert policy.prices == 0
    plain = Optimal()  # the same answer with nothing skipped: a subclass pricing its own way
    plain.price = lambda *a, **k: math.inf  # type: ignore[method-assign]
    assert not plain._prices_bounded()
    assert plain.route(order, state) == expected


def test_a_wave_prices_by_the_calendar_only_orders_routed_at_their_own_wave(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Orders held for review at intake reach a later wave: the calendar prices (as released
    at the first wave after placement) do not describe them, so they are priced otherwise."""
    import optimize.wave as wave

    path = tmp_path / "wave_intake.toml"
    path.write_text(f'extends = "{(ROOT / "scenarios" / "order_errors.toml").as_posix()}"\n'
                    'name = "wave_intake"\n[routing]\npolicy = "wave"\n'
                    'params = { interval_min = 10, estimate = "calendar", min_saving = 1.0 }\n')
    seen = {"late": 0, "on_time": 0, "wrong": 0}
    route_wave = wave.Wave.route_wave

    def spy(self, orders, state):  # type: ignore[no-untyped-def]
        wave_h = self.wave_interval_h
        rows = state.calendar_cost_rows(orders, self.single.late_per_h,
                                        self.single.ready_margin_h, wave_h)
        for o, row in zip(orders, rows, strict=True):
            late = state.now - (math.floor(o.placed_h / wave_h) + 1) * wave_h > 1e-6
            seen["late" if late else "on_time"] += 1
            seen["wrong"] += late and not np.isnan(row[0])
        return route_wave(self, orders, state)

    monkeypatch.setattr(wave.Wave, "route_wave", spy)
    m = FulfillmentModel(build_network(load_scenario(path).with_overrides(horizon_days=2)))
    m.run()
    assert seen["wrong"] == 0
    assert seen["late"] > 20 and seen["on_time"] > 5_000


def test_block_prices_are_computed_once_per_block_and_pricing_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``route_urgent``, orders are priced both when placed and at waves: each table is
    kept for its key, not recomputed at every switch."""
    path = tmp_path / "urgent.toml"
    path.write_text(f'extends = "{(ROOT / "scenarios" / "wave_calendar.toml").as_posix()}"\n'
                    'name = "urgent"\n[routing]\npolicy = "wave"\n'
                    'params = { interval_min = 10, estimate = "calendar", min_saving = 1.0, '
                    'route_urgent = true }\n')
    keys: list[tuple[float, float, float]] = []
    whole_costs = block_prices.BlockPrices._whole_costs

    def counted(self, *key):  # type: ignore[no-untyped-def]
        keys.append(key)
        return whole_costs(self, *key)

    monkeypatch.setattr(block_prices.BlockPrices, "_whole_costs", counted)
    FulfillmentModel(build_network(load_scenario(path).with_overrides(horizon_days=2))).run()
    assert len({k[2] for k in keys}) == 2  # when placed (0) and at waves
    assert len(keys) <= 4  # 2 days x 2 keys


def test_wave_shortcuts_handle_orders_without_lines_and_refuse_bad_costs() -> None:
    from optimize.wave import _holds

    stock = np.array([[1, 0], [2, 2]])
    ptr = np.array([0, 1, 1, 2, 2])  # orders: [sku 0], [], [sku 1], []
    got = _holds(stock, ptr, np.array([0, 1]), np.array([2, 1]))
    assert got.tolist() == [[False, True], [True, True], [False, True], [True, True]]
    cost = np.array([[1.0, 2.0], [np.nan, 1.0]])
    args = (np.ones((2, 2)), np.array([5.0, 5.0]), np.array([0, 1, 2]), np.array([0, 1]),
            np.array([1, 1]), stock, 1000.0, True)
    assert _cheapest_if_feasible(cost, *args) is None  # NaN: assign_wave refuses it
    cost[1, 0] = -math.inf
    assert _cheapest_if_feasible(cost, *args) is None
    with pytest.raises(ValueError, match="NaN or -inf"):
        assign_wave(cost, *args[:6], overflow_cost_per_h=60.0, unassigned_cost=1000.0)


def test_vectorised_rate_shopping_sends_rows_with_nan_to_the_scalar_rule() -> None:
    rng = np.random.default_rng(12)
    prices = rng.choice([1.0, 2.0, math.nan, math.inf], size=(500, 3))
    arrive = rng.choice([10.0, 20.0, math.nan, math.inf], size=(500, 3))
    promise = rng.choice([5.0, 15.0, 25.0], size=500)
    want = [rate_shop(prices[i].tolist(), arrive[i].tolist(), float(promise[i]))
            for i in range(500)]
    assert rate_shop_batch(prices, arrive, promise).tolist() == want


class PairBoundChecking(Optimal):
    """``optimal`` with the calendar estimate that checks, for each multi-line order, the
    two-shipment bound against its parts' prices worked out by hand."""

    def __init__(self) -> None:
        super().__init__(estimate="calendar")
        self.checked = self.unpriced = 0
        self.wrong: list[tuple[int, float, float]] = []

    def route(self, order: OrderView, state: StateView):  # type: ignore[no-untyped-def]
        rows = state.calendar_part_costs(order, self.late_per_h, self.ready_margin_h)
        if rows is not None:
            subs = line_subsets(len(order.skus))
            index = {sub: j for j, sub in enumerate(subs)}
            n = len(order.skus)
            want = math.inf
            for j, sub in enumerate(subs):
                if 0 in sub:
                    rest = index[tuple(k for k in range(n) if k not in sub)]
                    want = min(want, min(rows[j]) + min(rows[rest]))
            if any(c != c for row in rows for c in row):
                want = -math.inf
                self.unpriced += 1
            got = state.calendar_pair_bound(order, self.late_per_h, self.ready_margin_h)
            self.checked += 1
            if got != want:
                self.wrong.append((order.id, got, want))  # type: ignore[arg-type]
        return super().route(order, state)


def test_pair_bound_is_the_least_two_shipment_price_of_the_parts() -> None:
    """Every two-shipment split costs at least this (each half at least its least price
    over the FCs), so a split search it rules out could not have found a split."""
    policy = PairBoundChecking()
    FulfillmentModel(build_network(_scenario("optimal_routing", 2)), policy=policy).run()
    assert policy.wrong == []
    assert policy.checked > 1_000 and 0 < policy.unpriced < policy.checked
