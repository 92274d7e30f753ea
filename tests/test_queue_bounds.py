"""The exact ``optimal``'s bounds with lateness, behind the queues (issue 18).

A shipment's labor and carton do not depend on when it is packed, and its postage plus
lateness is at least the least, over the services, of price plus lateness with delivery
estimated from the staffing calendar alone, as if released when the order was placed:
released later, or behind queued work, it is only ready later, so every service's first
pickup and delivery only come later, whatever service the shipping policy then buys.

- :meth:`sim.state.StateView.whole_lower_bounds` with ``late_per_h`` bounds so the cost of
  the whole order from each FC; the walk over the FCs and the day's settled answers read it
  instead of the bound without lateness.
- :meth:`sim.state.StateView.queue_split_bound` bounds what any split into two shipments
  costs, each part priced with the whole order's delivery estimates (as
  :class:`~sim.policies.optimized.Optimal` prices them): the day's table settles the orders
  whose other bounds hold but for the split bound when it rules their splits out, and the
  split search stops at it.

The decisions stay those of the walk and the search without them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.block_prices import BlockPrices, line_halves, line_subsets
from sim.eventlog import EventLog
from sim.model import FulfillmentModel
from sim.network import build_network
from sim.policies import Optimal
from sim.scenario import load_scenario
from sim.state import OrderView, StateView

ROOT = Path(__file__).resolve().parents[1]


def _network(name: str, days: float):  # type: ignore[no-untyped-def]
    sc = load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(horizon_days=days)
    return build_network(sc)


class PairChecking(Optimal):
    """The exact ``optimal`` that, for multi-line orders with a bound at hand, works out the
    least cost of every split into two shipments (every way to halve the lines, every pair
    of distinct FCs, stock ignored as the bound ignores it) with :meth:`Optimal.price`
    behind the queues and the whole order's delivery estimates, and keeps it beside the
    bound and the old split bound."""

    def __init__(self, most: int) -> None:
        super().__init__(max_shipments=2, late_penalty_per_day=25.0, min_saving=1.0)
        self.most = most
        self.seen: list[tuple[float, float, float]] = []  # (bound, least split, old bound)
        self.queued = 0  # orders asked about with work queued at some FC

    def route(self, order: OrderView, state: StateView):  # type: ignore[no-untyped-def]
        n = len(order.skus)
        if len(self.seen) < self.most and 2 <= n <= 6:
            low = state.queue_split_bound(order, self.late_per_h, self.ready_margin_h)
            if low is not None:
                F = state.network.n_fcs
                etas = self.order_etas(order, state)
                part = [[self.price(f, tuple(order.skus[j] for j in sub),
                                    tuple(order.units[j] for j in sub), order, state, etas[f])
                         for f in range(F)] for sub in line_subsets(n)]
                least = min(part[a][fa] + part[b][fb] for a, b in line_halves(n)
                            for fa in range(F) for fb in range(F) if fa != fb)
                old = state.split_lower_bound(order.dest, order.skus, order.units)
                self.seen.append((low, least, old))
                self.queued += any(sum(state.queued_hours(f)) > 0 for f in range(F))
        return super().route(order, state)


def test_the_bound_is_below_every_split_and_tighter_than_the_old_one() -> None:
    policy = PairChecking(most=1500)
    FulfillmentModel(_network("optimal_routing", 2), policy=policy).run()
    seen = np.array(policy.seen)
    low, least, old = seen.T
    assert len(seen) == 1500 and policy.queued > 1000  # behind real queues
    finite = np.isfinite(low)
    assert finite.mean() > 0.9  # (-inf: some part not priced by the table)
    # a bound: never above the least split (rounding aside)
    assert (low[finite] <= least[finite] + 1e-9 * np.maximum(1.0, np.abs(least[finite]))).all()
    # and tighter than the old bound (labor, and postage by weight over every zone of
    # the destination): above it by more than 10 cents for most orders, and most of the
    # way to the least split (measured: the median at 0.91 of it, the old bound's
    # median 1.66 dollars below)
    assert (low[finite] > old[finite] + 0.1).mean() > 0.8
    assert np.median(low[finite] / least[finite]) > 0.85


class WholeChecking(Optimal):
    """The exact ``optimal`` that compares, for each order it is asked about (held orders
    offered again too), the bounds with lateness at every FC with :meth:`Optimal.price`
    behind the queues, and with the bounds without lateness."""

    def __init__(self) -> None:
        super().__init__(max_shipments=2, late_penalty_per_day=25.0, min_saving=1.0)
        self.seen: list[tuple[float, float, float]] = []  # (bound, price, old bound)
        self.later = 0  # of them, orders routed after they were placed

    def route(self, order: OrderView, state: StateView):  # type: ignore[no-untyped-def]
        low = state.whole_lower_bounds(order, self.late_per_h, self.ready_margin_h)
        if low is not None:
            old = state.whole_lower_bounds(order)
            assert old is not None
            etas = self.order_etas(order, state)
            for f in range(state.network.n_fcs):
                self.seen.append((low[f], self.price(f, order.skus, order.units, order, state,
                                                     etas[f]), old[f]))
            self.later += order.placed_h < state.now
        return super().route(order, state)


def test_the_whole_order_bound_is_below_every_price_whenever_routed() -> None:
    # orders held for review at intake are routed hours after they are placed, the same day
    sc = load_scenario(ROOT / "scenarios" / "order_errors.toml").with_overrides(
        horizon_days=3)
    data = sc.model_dump()
    data["routing"] = {"policy": "optimal", "params": {"min_saving": 1.0}}
    policy = WholeChecking()
    FulfillmentModel(build_network(sc.with_data(data)), policy=policy).run()
    low, price, old = np.array(policy.seen).T
    assert len(low) > 40_000 and policy.later > 500, policy.later
    # a bound (rounding aside), at least the one without lateness
    assert (low <= price + 1e-9 * np.maximum(1.0, np.abs(price))).all()
    assert (low >= old).all()
    # lateness counts: the bound is inf where the calendar leaves no pickup in time for
    # any service (measured: 520 of 63,432), and above the old bound by more than a dollar
    # at a third of the FCs (23,599: late, or a dearer service bought to be on time)
    assert (low == np.inf).sum() > 300 and (price == np.inf)[low == np.inf].all()
    finite = np.isfinite(low)
    assert ((low > old + 1.0) & finite).sum() > 10_000
    # and the same number as the price wherever the calendar's first pickups are the
    # queues' and the cheapest service is on time (measured: 89 % of the finite ones)
    assert (low[finite] == price[finite]).mean() > 0.8


def _digest(log: EventLog) -> dict[str, dict[str, bytes]]:
    return {name: {c: np.ascontiguousarray(v).tobytes() for c, v in log.table(name).items()}
            for name in log.names}


@pytest.mark.parametrize(("scenario", "days"), [("optimal_routing", 3), ("wave_routing", 2),
                                                ("peak_season", 2)])
def test_the_same_decisions_without_them(scenario: str, days: float,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the bounds (the whole order's without lateness, no split bound of pairs:
    fewer orders settled, the walk prices more FCs, every search run in full) every table
    of the run is the same; with them, more orders are settled by the day's table, and
    searches stop at the split bound."""
    sc = load_scenario(ROOT / "scenarios" / f"{scenario}.toml").with_overrides(
        horizon_days=days)
    if scenario == "peak_season":
        data = sc.model_dump()
        data["routing"] = {"policy": "optimal", "params": {"min_saving": 1.0}}
        sc = sc.with_data(data)
    net = build_network(sc)
    counts = [0, 0]  # searches stopped by the split bound of pairs, orders settled
    queue_split_bound, queue_choice = StateView.queue_split_bound, StateView.queue_choice
    best_split, first_table = Optimal._best_split, BlockPrices._first_table
    asked: list[float] = []
    given = [0, 0]  # bounds asked for, given

    def bound(self, order, late_per_h, margin_h, wave_h=0.0):  # type: ignore[no-untyped-def]
        low = queue_split_bound(self, order, late_per_h, margin_h, wave_h)
        asked.append(-math.inf if low is None else low)
        given[0] += 1
        given[1] += low is not None
        return low

    def search(self, order, state, to_beat, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.clear()
        got = best_split(self, order, state, to_beat, *args, **kwargs)
        counts[0] += bool(asked) and asked[0] > to_beat + 1e-6 * max(1.0, abs(to_beat))
        return got

    def settled(self, *args):  # type: ignore[no-untyped-def]
        f, known = queue_choice(self, *args)
        counts[1] += f >= 0
        return f, known

    monkeypatch.setattr(StateView, "queue_split_bound", bound)
    monkeypatch.setattr(Optimal, "_best_split", search)
    monkeypatch.setattr(StateView, "queue_choice", settled)
    fast = _digest(FulfillmentModel(net).run())
    stopped, with_them = counts
    counts[1] = 0
    monkeypatch.setattr(StateView, "queue_split_bound", lambda *args, **kw: None)
    monkeypatch.setattr(BlockPrices, "_first_table",
                        lambda self, *args: first_table(self, *args[:-1], False))
    monkeypatch.setattr(BlockPrices, "_lows_late", lambda self, *args: None)
    assert _digest(FulfillmentModel(net).run()) == fast
    # measured: 34 and 12 searches stopped; 15,699 orders settled against 13,800, and
    # 9,872 against 8,678 in peak season.  The wave's searches (at waves) get no bound:
    # its clock, which adds up the intervals, may be a hair before the wave's time, when
    # the calendar may still see a shift the wave's time has ended
    if scenario == "wave_routing":
        assert stopped == 0 and given[0] > 300 and given[1] == 0, given
    else:
        assert stopped > 5 and with_them > counts[1] + 500


def test_a_subclass_with_its_own_delivery_estimates_gets_no_bound_with_lateness(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The bounds with lateness assume Optimal's delivery estimates: a subclass replacing
    them is walked with the bounds without lateness, searched without the bound of pairs,
    and not settled by the day's table."""
    class OwnEtas(Optimal):
        def order_etas(self, order, state):  # type: ignore[no-untyped-def]
            return super().order_etas(order, state)

    asked: list[object] = []
    for name in ("queue_choice", "queue_split_bound"):
        monkeypatch.setattr(StateView, name, lambda *args, name=name: asked.append(name))
    whole = StateView.whole_lower_bounds
    monkeypatch.setattr(StateView, "whole_lower_bounds", lambda self, order, *args: (
        asked.append(args), whole(self, order, *args))[1])
    policy = OwnEtas(min_saving=1.0)
    assert not policy._etas_as_optimal() and not policy._walks_as_optimal()
    log = FulfillmentModel(_network("optimal_routing", 1), policy=policy).run()
    assert log.n_rows("orders") > 3000 and len(asked) > 1000 and set(asked) == {()}
    assert Optimal()._etas_as_optimal() and Optimal()._walks_as_optimal()
