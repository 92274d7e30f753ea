"""The exact ``optimal`` and ``wave`` take prices from the day's calendar table where the queues
do not change them (issue 18): the same floats as pricing behind the queues, the same decisions.

A shipment's landed cost depends on when it would be packed only through the pickup each
service would take it to.  The day's table (``estimate = "calendar"``) prices every order as
if nothing were queued; :meth:`sim.estimates.Estimates.calendar_windows` gives, for each
order and FC, the ready times that keep every service's pickup where the table put it, and
:meth:`sim.state.StateView.queue_costs` uses the table's price only when the ready time behind
the queues falls within them.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_left
from pathlib import Path

import numpy as np
import pytest

import sim.block_prices as block_prices
from sim.block_prices import BlockPrices, line_subsets
from sim.eventlog import EventLog
from sim.model import FulfillmentModel
from sim.network import build_network
from sim.policies import Optimal
from sim.queue_checks import QueueCosts, QueueTable
from sim.scenario import load_scenario
from sim.state import OrderView, StateView
from tests.conftest import AlsoAsking, deep_merge

ROOT = Path(__file__).resolve().parents[1]


def _network(name: str, days: float):  # type: ignore[no-untyped-def]
    sc = load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(horizon_days=days)
    return build_network(sc)


class QueueChecking(Optimal):
    """The exact ``optimal`` that, for each order, compares every number
    :meth:`StateView.queue_costs` and :meth:`StateView.queue_part_costs` give (the latter
    where the former gives one) with :meth:`Optimal.price` behind the queues, with the
    whole order's delivery estimates worked out anew (as the policy prices whole orders and
    split parts), at every FC."""

    def __init__(self) -> None:
        super().__init__()
        self.whole = self.parts = self.off = self.inf = 0
        self.mismatches: list[tuple[int, int, tuple[int, ...], float, float]] = []

    def _check(self, order: OrderView, state: StateView, f: int, lines: tuple[int, ...],
               got: float) -> None:
        skus = tuple(order.skus[j] for j in lines)
        units = tuple(order.units[j] for j in lines)
        pick_h, pack_h = state.task_hours(f, len(order.skus), sum(order.units))
        # the estimates worked out anew, without the kept ready times and delivery rows
        ready = state.ready_h(f, pick_h, pack_h + self.ready_margin_h)
        etas = [state.delivery_h(f, s, order.dest, ready)
                for s in range(len(state.network.services))]
        assert etas == state.etas(f, order.dest, pick_h, pack_h + self.ready_margin_h)
        want = self.price(f, skus, units, order, state, etas)
        if want != got:
            self.mismatches.append((order.id, f, lines, want, got))

    def route(self, order: OrderView, state: StateView):  # type: ignore[no-untyped-def]
        known = state.queue_costs(order, self.late_per_h, self.ready_margin_h)
        if known is not None:
            everything = tuple(range(len(order.skus)))
            for f in range(state.network.n_fcs):
                if known[f] == known[f]:
                    self.whole += 1
                    self.inf += known[f] == math.inf
                    self._check(order, state, f, everything, known[f])
                else:
                    self.off += 1
            rows = state.queue_part_costs(order, self.late_per_h, self.ready_margin_h) \
                if len(order.skus) > 1 else None
            for sub, row in zip(line_subsets(len(order.skus)) if rows else (), rows or (),
                                strict=True):
                for f, c in enumerate(row):
                    if c == c and known[f] == known[f]:
                        self.parts += 1
                        self._check(order, state, f, sub, c)
        return super().route(order, state)


def test_prices_from_the_day_table_are_the_prices_behind_the_queues() -> None:
    policy = QueueChecking()
    m = FulfillmentModel(_network("optimal_routing", 3), policy=policy)
    log = m.run()
    assert policy.mismatches == []
    assert policy.whole > 40_000 and policy.parts > 50_000
    # the queues moved some pickups (then the table is not used), and the run's last hours
    # have none left (inf, with a promise: as price gives it)
    assert 0.01 * policy.whole < policy.off < 0.2 * policy.whole
    assert policy.inf > 300
    shipped = set(log["shipments"]["order_id"].tolist())  # every order accounted for once
    assert shipped | set(m.held) == set(range(log.n_rows("orders")))
    assert not shipped & set(m.held)


def _digest(log: EventLog) -> dict[str, dict[str, bytes]]:
    return {name: {c: np.ascontiguousarray(v).tobytes() for c, v in log.table(name).items()}
            for name in log.names}


@pytest.mark.parametrize("scenario", ["optimal_routing", "wave_routing"])
def test_decisions_are_those_of_pricing_every_shipment_behind_the_queues(
        scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the day's table never used (every price worked out behind the queues, no order
    settled by it), every table of the run is the same; and it is used for most prices (a
    settled order counts one price, its nearest FC's: the others were ruled out by their
    bounds, not priced)."""
    net = _network(scenario, 2)
    log = FulfillmentModel(net).run()
    fast = _digest(log)
    used = [0, 0]  # prices from the table, prices asked for
    queue_costs, queue_cost_rows = StateView.queue_costs, StateView.queue_cost_rows
    queue_choice = StateView.queue_choice

    def counted(self, order, *args):  # type: ignore[no-untyped-def]
        got = queue_costs(self, order, *args)
        used[0] += 0 if got is None else sum(c == c for c in got)
        used[1] += self.network.n_fcs
        return got

    def counted_choice(self, order, *args):  # type: ignore[no-untyped-def]
        f, got = queue_choice(self, order, *args)
        if f >= 0:  # settled: one price asked for, the table's at f (the others bounded)
            used[0] += 1
            used[1] += 1
        else:
            used[0] += 0 if got is None else sum(c == c for c in got)
            used[1] += self.network.n_fcs
        return f, got

    def counted_rows(self, orders, *args):  # type: ignore[no-untyped-def]
        got = queue_cost_rows(self, orders, *args)
        used[0] += int((got == got).sum())
        used[1] += got.size
        return got

    monkeypatch.setattr(StateView, "queue_costs", counted)
    monkeypatch.setattr(StateView, "queue_cost_rows", counted_rows)
    monkeypatch.setattr(StateView, "queue_choice", counted_choice)
    FulfillmentModel(net).run()
    assert used[0] > 0.8 * used[1] > 8_000, used
    monkeypatch.setattr(StateView, "queue_costs", lambda self, *args: None)
    monkeypatch.setattr(StateView, "queue_choice", lambda self, *args: (-1, None))
    monkeypatch.setattr(StateView, "queue_cost_rows",
                        lambda self, orders, *args: np.full((len(orders), net.n_fcs), np.nan))
    assert _digest(FulfillmentModel(net).run()) == fast
    assert log.n_rows("shipments") >= 0.95 * log.n_rows("orders")


def test_calendar_windows_are_the_ready_times_that_keep_every_pickup() -> None:
    """Within ``(lo, hi]`` every service's first pickup is the one of the calendar's ready
    time; just outside, some service's is not.  Random release times and task hours, and
    shipments ready exactly at a pickup (released then, with no work: it takes them)."""
    m = FulfillmentModel(_network("optimal_routing", 7))
    m.run()
    est = m.estimates
    F, S = est.net.n_fcs, len(est.net.services)
    pickups = [[list(map(float, est.pickup_times[f][s])) for s in range(S)] for f in range(F)]
    rng = np.random.default_rng(7)
    at_pickup = np.unique([t for f in range(F) for s in range(S) for t in pickups[f][s]])
    batches = [(np.sort(rng.uniform(0.0, 7 * 24.0, 400)), rng.uniform(0.0, 3.0, (400, F)),
                rng.uniform(0.0, 3.0, (400, F))),
               (at_pickup, np.zeros((len(at_pickup), F)), np.zeros((len(at_pickup), F)))]
    inner = edges = ties = 0
    for start, pick, pack in batches:
        lo, hi = est.calendar_windows(start, pick, pack)
        for f in range(F):
            ready = est._calendar_ready(f, start, pick[:, f], pack[:, f])
            for i in range(len(start)):
                r, a, b = float(ready[i]), float(lo[i, f]), float(hi[i, f])
                assert a < r <= b
                want = [bisect_left(t, r) for t in pickups[f]]
                ties += any(r in t for t in pickups[f])
                for x in (b, (a + r) / 2, math.nextafter(a, math.inf)):
                    if a < x <= b:
                        assert [bisect_left(t, x) for t in pickups[f]] == want
                        inner += 1
                for x in (a, math.nextafter(b, math.inf)):
                    if math.isfinite(x):
                        assert [bisect_left(t, x) for t in pickups[f]] != want
                        edges += 1
    assert inner > 2.5 * 400 * F and edges > 400 * F and ties > 50, (inner, edges, ties)


def test_no_pickup_left_is_inf_only_with_a_promise() -> None:
    """With a promise, a shipment with no pickup left costs inf both ways; without one,
    ``landed_cost`` finds it late by no hours (inf - inf) and the table by NaN: not taken.
    A ready time outside the window is not taken either."""
    # the block's orders 0..3: (cost at FC 0, promise)
    table = QueueTable([[math.inf, 5.0], [math.inf, 5.0], [math.nan, 5.0], [7.25, 5.0]],
                        [[10.0, 10.0]] * 4, [[20.0, 20.0]] * 4, [[1.0, 1.0]] * 4,
                        [[0.5, 0.5]] * 4, [48.0, math.inf, 48.0, math.inf])

    def ready(f: int, pick_h: float, pack_h: float) -> float:
        return 14.5 + 10.0 * f + pick_h + pack_h  # FC 0: 16.0 (inside); FC 1: 26.0 (after)

    held = [0, 0]  # checks made, checks that held
    with_promise = QueueCosts(table, 0, ready, held)
    assert with_promise[0] == math.inf
    assert math.isnan(with_promise[1])
    assert held == [2, 1]
    assert with_promise[0] == math.inf and held == [2, 1]  # checked once
    without = QueueCosts(table, 1, ready, held)
    assert math.isnan(without[0])
    assert math.isnan(QueueCosts(table, 2, ready, held)[0])
    assert held == [2, 1]  # no cost to check
    assert QueueCosts(table, 3, ready, held)[0] == 7.25
    assert held == [3, 2]


def test_the_table_is_left_alone_while_the_checks_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the queues often move the pickups (peak season), split parts and a wave's whole
    orders are priced behind the queues without the table, which saves the work of
    pricing the table's parts; only the work changes, not the run."""
    net = _network("wave_routing", 2)
    usual = _digest(FulfillmentModel(net).run())
    monkeypatch.setattr(block_prices, "PARTS_WHEN_HELD", 1.5)  # never enough, once counted
    parts: list[bool] = []
    rows: list[bool] = []
    queue_parts, queue_rows = BlockPrices.queue_parts, BlockPrices.queue_rows

    def counted_parts(self, *args):  # type: ignore[no-untyped-def]
        got = queue_parts(self, *args)
        parts.append(got is None)
        return got

    def counted_rows(self, *args):  # type: ignore[no-untyped-def]
        got = queue_rows(self, *args)
        rows.append(bool(np.isnan(got).all()))
        return got

    monkeypatch.setattr(BlockPrices, "queue_parts", counted_parts)
    monkeypatch.setattr(BlockPrices, "queue_rows", counted_rows)
    assert _digest(FulfillmentModel(net).run()) == usual
    # used only until 200 were checked, then refused for the rest of the run (the wave asks
    # for an order's parts only where its own checks found the whole order's cost, so once
    # they are refused, hardly ever)
    assert not parts[0] and True in parts
    assert all(parts[parts.index(True):])
    assert 0.8 * len(rows) < sum(rows) < len(rows)


def test_the_share_of_checks_that_held_decides() -> None:
    blocks = BlockPrices.__new__(BlockPrices)
    assert block_prices.PARTS_WHEN_HELD == 0.5
    for checked, held, use in [(0, 0, True), (199, 0, True), (200, 100, True),
                               (200, 99, False), (1000, 500, True), (1000, 499, False)]:
        blocks._held = [checked, held]
        assert blocks._checks_hold() is use, (checked, held)


def test_parts_of_an_order_without_a_promise_are_not_taken_from_the_table() -> None:
    blocks = BlockPrices.__new__(BlockPrices)
    blocks._held = [0, 0]
    order = OrderView(0, 0.0, 0, 0, (1, 2), (1, 1), math.inf)
    assert blocks.queue_parts(order, 1.0, 1.0) is None


@pytest.mark.parametrize("scenario", ["optimal_routing", "wave_routing"])
def test_no_parts_are_priced_where_no_pickup_is_left(scenario: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Near the end of a run the queues push some orders past the last pickups of every FC
    holding their lines: every part of a split would cost inf, so none is priced (each such
    order used to price its parts in a batch of its own); the counting leaves the run as it
    is (identity with the code before the change: the event-log digests of
    benchmarks/README.md)."""
    net = _network(scenario, 3)
    plain = _digest(FulfillmentModel(net).run())
    margin = Optimal().ready_margin_h

    def no_pickup_left(state: StateView, order: OrderView) -> bool:
        """No delivery by any service from any FC holding one of the order's lines, the
        whole order's task hours behind the queues now (as the policy estimates parts)."""
        lines = zip(order.skus, order.units, strict=True)
        holders = {f for k, u in lines for f in range(state.network.n_fcs)
                   if state.on_hand[f, k] >= u}
        n, units = len(order.skus), sum(order.units)
        return all(min(state.etas(f, order.dest, state.task_hours(f, n, units)[0],
                                  state.task_hours(f, n, units)[1] + margin)) == math.inf
                   for f in holders)

    asked, hopeless, searched = [0], [0], [0]
    queue_part_costs, best_split = StateView.queue_part_costs, Optimal._best_split

    def counted(self, order, *args):  # type: ignore[no-untyped-def]
        asked[0] += 1
        hopeless[0] += no_pickup_left(self, order)
        return queue_part_costs(self, order, *args)

    def watched(self, order, state, to_beat, *args, **kw):  # type: ignore[no-untyped-def]
        searched[0] += to_beat == math.inf and no_pickup_left(state, order)
        return best_split(self, order, state, to_beat, *args, **kw)

    monkeypatch.setattr(StateView, "queue_part_costs", counted)
    monkeypatch.setattr(Optimal, "_best_split", watched)
    # (most such orders come after the last shift, where route() no longer searches:
    # tests/test_after_last_shift.py; this test is about the search's own check)
    monkeypatch.setattr(Optimal, "_ends_as_optimal", lambda self: False)
    assert _digest(FulfillmentModel(net).run()) == plain
    assert asked[0] > 100 and hopeless[0] == 0
    assert searched[0] > 20  # such orders were searched for splits


def _against_exhaustive() -> AlsoAsking:
    """The exact ``optimal`` that also asks, about every order, the same policy with nothing
    bounded, skipped or taken from a table (an instance with its own ``price``: the plain
    search, every FC holding the order and every split priced behind the queues)."""
    params = {"max_shipments": 2, "late_penalty_per_day": 25.0, "min_saving": 1.0}
    plain = Optimal(**params)  # type: ignore[arg-type]
    plain.price = functools.partial(Optimal.price, plain)  # type: ignore[method-assign]
    return AlsoAsking(plain, **params)


@pytest.mark.parametrize("stock_days", [None, 2])
def test_exact_optimal_answers_as_the_plain_search(stock_days: int | None) -> None:
    """The bounds, the day's tables and the shortcuts that skip pricing only save work:
    every order of three days (with the scenario's stock, and with two days of it, where
    FCs run out) gets the answer of the same policy without any of them (its plain
    search; what both share, such as skipping FCs without stock, is tested elsewhere)."""
    sc = load_scenario(ROOT / "scenarios" / "optimal_routing.toml").with_overrides(
        horizon_days=3)
    if stock_days is not None:
        sc = sc.with_data(deep_merge(sc.model_dump(), {"inventory": {"days": stock_days}}))
    policy = _against_exhaustive()
    assert not policy.plain._prices_bounded() and policy._prices_bounded()
    m = FulfillmentModel(build_network(sc), policy=policy)
    log = m.run()
    assert policy.mismatches == []
    assert policy.asked >= log.n_rows("orders") > 14_000
    if stock_days is not None:
        assert len(m.held) > 0.05 * log.n_rows("orders")
