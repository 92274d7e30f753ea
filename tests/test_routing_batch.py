"""The fast paths of cost-based routing give the numbers of the slow ones, exactly.

``Estimates.whole_order_costs`` prices many whole orders at once for the wave policy, and
``Shipper.plan`` prices a whole single-parcel order from its quote; both must equal, bit for
bit, what ``Optimal.price`` and a fresh packing give (decisions and event logs depend on it).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.model import FulfillmentModel
from sim.network import build_network
from sim.policies import Optimal
from sim.scenario import load_scenario
from sim.state import OrderView, StateView

ROOT = Path(__file__).resolve().parents[1]


class CheckingOptimal(Optimal):
    """``optimal`` that, before each decision, compares the batch prices of the order (and of
    the previous few orders, priced together) with ``price`` for every FC."""

    def __init__(self) -> None:
        super().__init__()
        self.recent: list[OrderView] = []
        self.compared = self.batch_rows = self.multi_parcel = 0
        self.mismatches: list[tuple[int, int, float, float]] = []

    def _prices_bounded(self) -> bool:  # the subclass prices as Optimal does
        return True

    def route(self, order: OrderView, state: StateView):  # type: ignore[no-untyped-def]
        batch = [*self.recent[-7:], order]
        got = state.whole_order_costs(batch, self.late_per_h, self.ready_margin_h)
        for o, row in zip(batch, got.tolist(), strict=True):
            if math.isnan(row[0]):
                self.multi_parcel += 1
                continue
            self.batch_rows += 1
            etas = self.order_etas(o, state)
            for f in range(state.network.n_fcs):
                want = self.price(f, o.skus, o.units, o, state, etas[f])
                self.compared += 1
                if not (want == row[f] or (math.isinf(want) and math.isinf(row[f]))):
                    self.mismatches.append((o.id, f, want, row[f]))
        self.recent.append(order)
        return super().route(order, state)


def test_batch_prices_equal_one_by_one() -> None:
    sc = load_scenario(ROOT / "scenarios" / "optimal_routing.toml").with_overrides(
        horizon_days=1.5)
    policy = CheckingOptimal()
    m = FulfillmentModel(build_network(sc), policy=policy)
    m.run()
    assert policy.mismatches == []
    # most of the baseline's orders travel in one carton; some need several
    assert policy.batch_rows > 20_000 and policy.compared == 4 * policy.batch_rows
    assert policy.multi_parcel > 0


def test_plan_from_quote_equals_packing() -> None:
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=1)
    m = FulfillmentModel(build_network(sc))
    m.run()
    shipper = m.shipper
    quoted = list(shipper._quotes().items())
    assert len(quoted) > 1000
    singles = 0
    for (skus, units), q in quoted:
        if not q.parcels:
            continue
        singles += 1
        for zone in (1, 4, 8):
            assert shipper._plan_of_quote(q, zone) == shipper._plan(skus, units, zone)
    assert singles > 0.9 * len(quoted)
    # a whole order's lower bound is at most its landed cost, for every FC
    state = m.state
    for (skus, units), q in quoted[:300]:
        if not q.parcels:
            continue
        for f in range(m.net.n_fcs):
            low = state.shipment_lower_bound(f, skus, units, 0)
            cost, _ = state.landed_cost(f, skus, units, 0, math.inf)
            assert low <= cost
            assert np.isfinite(low)


class CalendarChecking(Optimal):
    """``optimal`` with ``estimate = "calendar"`` that checks the calendar price of each FC
    with no work queued against the queue-aware one (with an empty queue they are the same
    estimate, so the same numbers)."""

    def __init__(self) -> None:
        super().__init__(estimate="calendar")
        self.compared = self.calendar_rows = 0
        self.mismatches: list[tuple[int, float, float]] = []

    def _prices_bounded(self) -> bool:
        return True

    def route(self, order: OrderView, state: StateView):  # type: ignore[no-untyped-def]
        row = state.calendar_costs(order, self.late_per_h, self.ready_margin_h)
        if row is not None:
            self.calendar_rows += 1
            idle = [f for f in range(state.network.n_fcs)
                    if state.queued_hours(f) == (0.0, 0.0)]
            if idle:
                want = state.whole_order_costs([order], self.late_per_h,
                                               self.ready_margin_h)[0].tolist()
                for f in idle:
                    self.compared += 1
                    if want[f] != row[f]:
                        self.mismatches.append((order.id, want[f], row[f]))
        return super().route(order, state)


def test_calendar_prices_equal_queue_aware_ones_when_nothing_is_queued() -> None:
    sc = load_scenario(ROOT / "scenarios" / "optimal_routing.toml").with_overrides(
        horizon_days=3)
    policy = CalendarChecking()
    m = FulfillmentModel(build_network(sc), policy=policy)
    log = m.run()
    assert policy.mismatches == []
    assert policy.compared > 500 and policy.calendar_rows > 10_000
    # every order is accounted for: released (whole or in parts) or on hold, never both
    shipped = set(log["shipments"]["order_id"].tolist())
    held = set(m.held)
    assert shipped | held == set(range(log.n_rows("orders")))
    assert not shipped & held


def test_next_staffed_is_work_done_of_no_work() -> None:
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=9)
    m = FulfillmentModel(build_network(sc))
    m.run()
    est = m.estimates
    rng = np.random.default_rng(7)
    times = np.concatenate((rng.uniform(-5.0, 24 * 10, 2000),
                            np.asarray(est.staffing.times[0], float)))  # the changes too
    for f in range(m.net.n_fcs):
        for pool in (0, 1):
            got = est._next_staffed(f, pool, times).tolist()
            want = [est.work_done_h(f, pool, float(t), 0.0) for t in times]
            assert got == want


def test_unknown_estimate_is_refused() -> None:
    with pytest.raises(ValueError, match="one of 'queues', 'calendar', got 'fast'"):
        Optimal(estimate="fast")
