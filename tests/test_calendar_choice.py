"""``optimal`` with ``estimate = "calendar"`` answers most orders from the day's choice table
(issue 18): :meth:`sim.state.StateView.calendar_choice` gives each order's first FC, the FC of
least calendar cost (``min_saving`` off the first's), that cost and the split bound, worked
out for the day at once; when the first and the best FC hold the order and no split can
win, the answer is the best FC, the one the FC-by-FC walk (:meth:`Optimal._route_priced`)
finds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sim.block_prices import BlockPrices
from sim.eventlog import EventLog
from sim.model import FulfillmentModel
from sim.network import HoldMode, build_network
from sim.policies import Optimal
from sim.policies.base import Decision
from sim.scenario import load_scenario
from sim.state import OrderView, StateView
from tests.conftest import assert_each_order_once, deep_merge

ROOT = Path(__file__).resolve().parents[1]


class _Walk:
    """What :meth:`Optimal._route_priced` and :func:`sim.policies.builtin.planned_rank` read
    of the state for single-line orders: the network's ranks and hold mode, and stock."""

    def __init__(self, rank: list[list[int]], stocked: list[bool]) -> None:
        self.network = SimpleNamespace(fc_rank_lists=tuple(map(tuple, rank)),
                                       assigned_fc_lists=None, hold_mode=HoldMode.SPLIT)
        self.stocked = stocked

    def has_stock(self, f: int, skus: tuple[int, ...], units: tuple[int, ...]) -> bool:
        return self.stocked[f]


def _block_prices(cost: np.ndarray, dest: np.ndarray, rank: np.ndarray,
                  key: tuple[float, float], plan: object = None
                  ) -> tuple[BlockPrices, list[OrderView], SimpleNamespace]:
    """A block whose calendar table is ``cost`` (orders, FCs), all orders placed at 0, and
    the clock (``now``) it reads."""
    clock = SimpleNamespace(now=0.0)
    est = SimpleNamespace(net=SimpleNamespace(fc_rank=rank, assigned_fc_lists=plan),
                          split_bounds_apply=False, env=clock)
    blocks = BlockPrices(est)  # type: ignore[arg-type]
    views = [OrderView(i, 0.0, 0, int(d), (0,), (1,), 48.0) for i, d in enumerate(dest)]
    blocks._block, blocks._arrays = views, SimpleNamespace(dest=dest)  # type: ignore[assignment]
    blocks._whole[(*key, 0.0)] = (cost, cost.tolist())
    return blocks, views, clock


@pytest.mark.parametrize("saving", [0.0, 0.5, 1.0, 2.0])
def test_the_choice_is_the_walks_answer_whenever_first_and_best_hold_the_order(
        saving: float) -> None:
    """Random tables with many ties and infinite costs, random stock: wherever the first
    and the best FC hold the order, the walk answers the best; ties go to the first in the
    rank, and the saving only to the first FC."""
    rng = random.Random(7)
    F, D, n = 4, 6, 400
    rank = np.array([rng.sample(range(F), F) for _ in range(D)], np.int64)
    dest = np.array([rng.randrange(D) for _ in range(n)], np.int64)
    cost = np.array([[rng.choice([3.0, 3.5, 4.0, 4.0, 5.0, math.inf]) for _ in range(F)]
                     for _ in range(n)])
    cost[5] = math.inf  # no pickup left anywhere: the first FC
    cost[6, 2] = math.nan  # not priced: no choice
    key = (25.0 / 24.0, 0.5)
    blocks, views, _ = _block_prices(cost, dest, rank, key)
    policy = Optimal(min_saving=saving, estimate="calendar")
    compared = moved = 0
    for order, row in zip(views, cost.tolist(), strict=True):
        got = blocks.choice(order, *key, saving)
        if order.id == 6:
            assert got is None
            continue
        assert got is not None
        first, best, best_cost, split = got
        r = rank[order.dest].tolist()
        assert first == r[0] and math.isnan(split)
        adjusted = [row[f] - (saving if f == first else 0.0) for f in r]
        assert best_cost == min(adjusted) and best == r[adjusted.index(best_cost)]
        for _ in range(6):
            stocked = [rng.random() < 0.7 for _ in range(F)]
            if not (stocked[first] and stocked[best]):
                continue
            state = _Walk(rank.tolist(), stocked)
            assert policy._route_priced(order, state, row) == best  # type: ignore[arg-type]
            assert policy._settled(order, state, *got)  # type: ignore[arg-type]
            compared += 1
            moved += best != first
    assert compared > 1000 and moved > 100


def test_no_choice_for_an_order_not_being_placed_or_with_a_plan() -> None:
    cost = np.array([[4.0, 3.0], [2.0, 5.0]])
    rank = np.array([[0, 1], [1, 0]], np.int64)
    key = (1.0, 0.0)
    blocks, views, clock = _block_prices(cost, np.array([0, 1]), rank, key)
    got = blocks.choice(views[0], *key, 0.0)
    assert got is not None and got[:3] == (0, 1, 3.0) and math.isnan(got[3])
    # order 1 ranks FC 1 first: 5.0 less the saving against FC 0's 2.0; equal: the first
    assert blocks.choice(views[1], *key, 2.5)[:3] == (1, 0, 2.0)  # type: ignore[index]
    assert blocks.choice(views[1], *key, 3.0)[:3] == (1, 1, 2.0)  # type: ignore[index]
    clock.now = 1.0  # offered again later
    assert blocks.choice(views[0], *key, 0.0) is None
    clock.now = 0.0
    other = OrderView(0, 0.0, 0, 0, (0,), (1,), 48.0)  # not the block's order
    assert blocks.choice(other, *key, 0.0) is None
    planned, views, _ = _block_prices(cost, np.array([0, 1]), rank, key, plan=((0, 0),))
    assert planned.choice(views[0], *key, 0.0) is None


class ChoiceChecking(Optimal):
    """The calendar ``optimal`` that, wherever the choice table settles an order, also walks
    it FC by FC and searches splits as before, and records any other answer."""

    def __init__(self, **params: float) -> None:
        super().__init__(estimate="calendar", **params)  # type: ignore[arg-type]
        self.settled = self.asked = 0
        self.mismatches: list[tuple[int, object, object]] = []

    def _settled(self, order: OrderView, state: StateView, first: int, best: int,
                 cost: float, split: float) -> bool:
        self.asked += 1
        ok = super()._settled(order, state, first, best, cost, split)
        if ok:
            self.settled += 1
            row = state.calendar_costs(order, self.late_per_h, self.ready_margin_h)
            assert row is not None
            want = self._route_priced(order, state, row)
            if want != best:
                self.mismatches.append((order.id, want, best))
        return ok


@pytest.mark.parametrize(("params", "stock_days"), [
    ({"max_shipments": 2, "late_penalty_per_day": 25.0, "min_saving": 1.0}, None),  # its own
    ({"max_shipments": 3, "late_penalty_per_day": 200.0, "min_saving": 0.0}, None),
    # two days of stock: first FCs run out, orders go farther, split or wait
    ({"max_shipments": 2, "late_penalty_per_day": 25.0, "min_saving": 1.0}, 2),
    ({"max_shipments": 2, "late_penalty_per_day": 25.0, "min_saving": 0.0}, 2),
])
def test_orders_settled_by_the_table_get_the_walks_answer(params: dict[str, float],
                                                          stock_days: int | None) -> None:
    sc = load_scenario(ROOT / "scenarios" / "optimal_calendar.toml").with_overrides(
        horizon_days=3)
    if stock_days is not None:
        sc = sc.with_data(deep_merge(sc.model_dump(), {"inventory": {"days": stock_days}}))
    policy = ChoiceChecking(**params)
    m = FulfillmentModel(build_network(sc), policy=policy)
    log = m.run()
    assert policy.mismatches == []
    n = log.n_rows("orders")
    # most orders are settled (half with short stock); some are not (a first FC out of
    # stock, a split to search)
    assert (0.75 if stock_days is None else 0.5) * n < policy.settled < policy.asked <= n
    if stock_days is not None:
        assert len(m.held) > 0.2 * n
    assert_each_order_once(log, m.held)


def _digest(log: EventLog) -> dict[str, dict[str, bytes]]:
    return {name: {c: np.ascontiguousarray(v).tobytes() for c, v in log.table(name).items()}
            for name in log.names}


def test_the_run_is_the_same_without_the_choice_table(monkeypatch: pytest.MonkeyPatch) -> None:
    net = build_network(load_scenario(ROOT / "scenarios" / "optimal_calendar.toml")
                        .with_overrides(horizon_days=2))
    fast = _digest(FulfillmentModel(net).run())
    monkeypatch.setattr(StateView, "calendar_choice", lambda self, *a: None)
    assert _digest(FulfillmentModel(net).run()) == fast


class OwnWalk(Optimal):
    """A subclass walking the FCs its own way: the table's answer is not its answer."""

    def __init__(self) -> None:
        super().__init__(estimate="calendar", min_saving=1.0)
        self.walked = 0

    def _route_priced(self, order: OrderView, state: StateView,
                      row: Sequence[float]) -> Decision:
        self.walked += 1
        return super()._route_priced(order, state, row)


def test_a_subclass_with_its_own_walk_is_asked_about_every_order() -> None:
    net = build_network(load_scenario(ROOT / "scenarios" / "optimal_calendar.toml")
                        .with_overrides(horizon_days=1))
    policy = OwnWalk()
    log = FulfillmentModel(net, policy=policy).run()
    assert policy.walked > 0.9 * log.n_rows("orders")
    plain = Optimal(estimate="calendar", min_saving=1.0)
    plain._best_split = plain._best_split  # type: ignore[method-assign]  # (an instance's own)
    assert not plain._walks_as_optimal() and not policy._walks_as_optimal()
    assert Optimal(estimate="calendar")._walks_as_optimal()
