"""The exact ``optimal`` answers most orders from the day's table (issue 18):
:meth:`sim.state.StateView.queue_choice` settles an order at its nearest FC when that FC
holds it, its price from the table passes the check against the queues, every other FC's
lower bound rules that FC out and no split can win; the answer is the one the FC-by-FC walk
and the split search (:meth:`Optimal.route` without it) give, with the same checks counted.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.block_prices import BlockPrices
from sim.eventlog import EventLog
from sim.model import FulfillmentModel
from sim.network import build_network
from sim.policies import Optimal
from sim.policies.optimized import _BOUND_TOL
from sim.queue_checks import QueueCosts, settled_firsts
from sim.scenario import load_scenario
from sim.state import StateView
from tests.conftest import AlsoAsking, assert_each_order_once, deep_merge

ROOT = Path(__file__).resolve().parents[1]


def test_settled_firsts_by_hand() -> None:
    """Each order's first FC, or -1, against hand-worked limits: the first's cost less the
    saving (1.0), plus 1e-6 of it (at least 1e-6); other FCs' bounds and the split bound
    must exceed it."""
    tol, saving = 1e-6, 1.0
    lim4 = 4.0 + tol * 4.0  # a cost of 5.0 less the saving
    above = math.nextafter(lim4, math.inf)
    nan, inf = math.nan, math.inf
    # (rank, cost, lows, lines, split bound, answer with splits searched, and without)
    rows = [
        ([0, 1, 2], [5.0, 9.0, 9.0], [4.0, 4.1, 7.0], 1, nan, 0, 0),
        ([0, 1, 2], [5.0, 9.0, 9.0], [4.0, lim4, 7.0], 1, nan, -1, -1),  # not above: priced
        ([0, 1, 2], [5.0, 9.0, 9.0], [4.0, above, 7.0], 1, nan, 0, 0),
        ([2, 0, 1], [5.0, 9.0, inf], [4.0, 7.0, 4.0], 1, nan, -1, -1),  # no pickup left
        ([1, 0, 2], [5.0, nan, 9.0], [4.0, 7.0, 7.0], 1, nan, -1, -1),  # not priced
        ([0, 1, 2], [5.0, 9.0, 9.0], [nan, nan, nan], 1, nan, -1, -1),  # no bounds at hand
        ([0, 1, 2], [5.0, 9.0, 9.0], [4.0, 7.0, 7.0], 2, 4.5, 0, 0),
        ([0, 1, 2], [5.0, 9.0, 9.0], [4.0, 7.0, 7.0], 2, lim4, -1, 0),  # a split may win
        ([0, 1, 2], [5.0, 9.0, 9.0], [4.0, 7.0, 7.0], 3, nan, -1, 0),  # no split bound
        ([1, 2, 0], [9.0, 0.5, 9.0], [7.0, 0.0, -0.5 + 2e-6], 1, nan, 1, 1),  # at least tol
        ([1, 2, 0], [9.0, 0.5, 9.0], [7.0, 0.0, -0.5 + 1e-6], 1, nan, -1, -1),
        ([0, 1, 2], [2001.0, 9e9, 9e9], [0.0, 2000.0019, 2000.0021], 1, nan, -1, -1),  # rel.
        ([0, 1, 2], [2001.0, 9e9, 9e9], [0.0, 2000.0021, 2000.0021], 1, nan, 0, 0),
    ]
    rank = np.array([r[0] for r in rows], np.intp)
    cost = np.array([r[1] for r in rows])
    lows = np.array([r[2] for r in rows])
    lines = np.array([r[3] for r in rows])
    split = np.array([r[4] for r in rows])
    args = (cost, lows, rank)
    assert settled_firsts(*args, split, lines, saving, True, tol).tolist() == [r[5] for r in rows]
    assert settled_firsts(*args, split, lines, saving, False, tol).tolist() == [r[6] for r in rows]
    # no split bound at hand: only single lines are settled while splits are searched
    assert settled_firsts(*args, None, lines, saving, True, tol).tolist() == [
        r[5] if r[3] == 1 else -1 for r in rows]


def _checking(**params: float) -> AlsoAsking:
    """The exact ``optimal`` that, about every order, also asks the same policy without the
    day's settled answers (an instance with its own split search: the walk and the search
    as before, with the checks of :meth:`StateView.queue_costs`)."""
    plain = Optimal(**params)  # type: ignore[arg-type]
    plain._best_split = plain._best_split  # type: ignore[method-assign]
    return AlsoAsking(plain, **params)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """StateView.queue_choice, counting its answers: [asked, settled, a check failed,
    asked about an order offered again later (held), which the day's table does not
    price: it must answer (-1, None), asked about an order of the day the table does not
    price (several parcels: queue_costs gives None): (-1, None) too]."""
    counts = [0, 0, 0, 0, 0]
    queue_choice = StateView.queue_choice

    def spy(self, order, *args):  # type: ignore[no-untyped-def]
        f, known = queue_choice(self, order, *args)
        counts[0] += 1
        counts[1] += f >= 0
        counts[2] += isinstance(known, QueueCosts) and any(
            c is not None for c in known._out)  # (a check made here, failed)
        if order.placed_h != self.now:
            counts[3] += 1
            assert (f, known) == (-1, None)
        elif self.queue_costs(order, *args[:2]) is None:
            counts[4] += 1
            assert (f, known) == (-1, None)
        return f, known

    monkeypatch.setattr(StateView, "queue_choice", spy)
    return counts


def _scenario(days: float, stock_days: int | None = None,
              scenario: str = "optimal_routing"):  # type: ignore[no-untyped-def]
    sc = load_scenario(ROOT / "scenarios" / f"{scenario}.toml").with_overrides(
        horizon_days=days)
    if stock_days is not None:
        sc = sc.with_data(deep_merge(sc.model_dump(), {"inventory": {"days": stock_days}}))
    return sc


@pytest.mark.parametrize(("params", "stock_days", "least"), [
    ({"max_shipments": 2, "late_penalty_per_day": 25.0, "min_saving": 1.0}, None, 0.75),
    ({"max_shipments": 3, "late_penalty_per_day": 200.0, "min_saving": 0.0}, None, 0.5),
    ({"max_shipments": 1, "late_penalty_per_day": 25.0, "min_saving": 1.0}, None, 0.75),
    # two days of stock: first FCs run out, orders go farther, split or wait
    ({"max_shipments": 2, "late_penalty_per_day": 25.0, "min_saving": 1.0}, 2, 0.4),
    ({"max_shipments": 2, "late_penalty_per_day": 25.0, "min_saving": 0.0}, 2, 0.3),
])
def test_settled_orders_get_the_walks_answer(params: dict[str, float], stock_days: int | None,
                                             least: float, counted: list[int]) -> None:
    policy = _checking(**params)
    assert policy._walks_as_optimal() and not policy.plain._walks_as_optimal()
    m = FulfillmentModel(build_network(_scenario(3, stock_days)), policy=policy)
    log = m.run()
    assert policy.mismatches == []
    n = log.n_rows("orders")
    asked, settled, failed, later, unpriced = counted
    # most orders are settled; some are not (a first FC out of stock or failing its check,
    # another FC or a split that may cost less), and the checks failed for a few
    assert least * n < settled < asked <= policy.asked
    assert failed > 20 and unpriced > 20, counted
    if stock_days is not None:
        assert len(m.held) > 0.05 * n and later > 20, counted
    assert_each_order_once(log, m.held)


def _digest(log: EventLog) -> dict[str, dict[str, bytes]]:
    return {name: {c: np.ascontiguousarray(v).tobytes() for c, v in log.table(name).items()}
            for name in log.names}


@pytest.mark.parametrize("scenario", ["optimal_routing", "peak_season"])
def test_the_run_and_the_checks_counted_are_the_same_without_it(
        scenario: str, monkeypatch: pytest.MonkeyPatch, counted: list[int]) -> None:
    """Without the settled answers (queue_choice answering as queue_costs), the run is the
    same table by table, and so are the counts of checks made and held, which decide whether
    split parts are taken from the table (a check queue_choice made is kept, not made
    again).  In peak season the queues move many pickups."""
    sc = _scenario(3, scenario=scenario)
    if scenario == "peak_season":
        data = sc.model_dump()
        data["routing"] = {"policy": "optimal", "params": {"min_saving": 1.0}}
        sc = sc.with_data(data)
    net = build_network(sc)
    held: list[list[int]] = []
    remember = BlockPrices.remember

    def counts(self, *args):  # type: ignore[no-untyped-def]
        held.append(list(self._held))  # the day's counts, before they are halved
        remember(self, *args)

    monkeypatch.setattr(BlockPrices, "remember", counts)
    m = FulfillmentModel(net)
    fast = _digest(m.run())
    fast_held = [*held, list(m.estimates.blocks._held)]
    assert counted[1] > 1000 and counted[2] > 20, counted
    held.clear()

    def as_queue_costs(self, order, late_per_h, margin_h, *rest):  # type: ignore[no-untyped-def]
        return -1, self.queue_costs(order, late_per_h, margin_h)

    monkeypatch.setattr(StateView, "queue_choice", as_queue_costs)
    m = FulfillmentModel(net)
    assert _digest(m.run()) == fast
    assert [*held, list(m.estimates.blocks._held)] == fast_held
    assert fast_held[-1][0] > 5000 and fast_held[-1][1] < fast_held[-1][0]


def test_a_subclass_with_its_own_search_is_not_settled(counted: list[int]) -> None:
    class OwnSearch(Optimal):
        def _best_split(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return super()._best_split(*args, **kwargs)

    policy = OwnSearch(min_saving=1.0)
    log = FulfillmentModel(build_network(_scenario(1)), policy=policy).run()
    assert log.n_rows("orders") > 3000 and counted[0] == 0
    assert Optimal()._walks_as_optimal() and _BOUND_TOL == 1e-6
