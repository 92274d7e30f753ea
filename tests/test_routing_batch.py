"""The fast paths of cost-based routing give the numbers of the slow ones, exactly.

``Estimates.whole_order_costs`` prices many whole orders at once for the wave policy, and
``Shipper.plan`` prices a whole single-parcel order from its quote; both must equal, bit for
bit, what ``Optimal.price`` and a fresh packing give (decisions and event logs depend on it).
"""

from __future__ import annotations

import itertools
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


def test_orders_at_a_carton_limit_are_packed_not_quoted() -> None:
    # Every two-SKU order of 1-3 units each whose weight or volume sums to within rounding of
    # a carton's limit: the quote (sums by line) and a fresh packing (unit by unit) may then
    # choose different cartons, so those orders are left out of the quotes and packed; all
    # the others price the same from the quote as from packing.
    from sim.shipping import quote_orders

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=1)
    m = FulfillmentModel(build_network(sc))
    shipper = m.shipper
    K = len(m.net.sku_ids)
    a, b = np.triu_indices(K, 1)
    ua, ub = np.meshgrid(np.arange(1, 4), np.arange(1, 4))
    pairs = [(int(x), int(y), int(u), int(v)) for x, y in zip(a, b, strict=True)
             for u, v in zip(ua.ravel(), ub.ravel(), strict=True)]
    skus = np.array([k for x, y, _, _ in pairs for k in (x, y)])
    units = np.array([u for _, _, u, v in pairs for u in (u, v)])
    q = quote_orders(shipper, np.arange(0, 2 * len(pairs) + 1, 2), skus, units)
    assert q.borderline is not None
    flagged = set(q.borderline.tolist())
    keys = [((x, y), (u, v)) for x, y, u, v in pairs]
    shipper.remember_quotes([k for k, _ in keys], [u for _, u in keys], q.quotes(),
                            q.borderline)
    quotes = q.quotes()
    differs = 0
    for i in sorted(flagged):
        (k, u), quote = keys[i], quotes[i]
        assert shipper.quote_of(k, u) is None
        assert shipper.whole_plan(k, u, 5) == shipper._plan(k, u, 5)
        if quote.parcels:
            differs += shipper._plan_of_quote(quote, 5) != shipper._plan(k, u, 5)
    assert differs > 0  # the reason they are left out
    rng = np.random.default_rng(3)
    for i in rng.choice(len(pairs), 3000, replace=False).tolist():
        if i in flagged or not quotes[i].parcels:
            continue
        k, u = keys[i]
        assert shipper._plan_of_quote(quotes[i], 5) == shipper._plan(k, u, 5)


class EtaChecking(Optimal):
    """``optimal`` that compares the kept delivery estimates with ready time and delivery
    computed afresh, for every FC, at every decision (orders routed at the same instant
    change the queues between them)."""

    def __init__(self) -> None:
        super().__init__()
        self.compared = self.queued = 0
        self.mismatches: list[tuple[int, int]] = []

    def route(self, order: OrderView, state: StateView):  # type: ignore[no-untyped-def]
        n_lines, n_units = len(order.skus), sum(order.units)
        for f in range(state.network.n_fcs):
            pick_h, pack_h = state.task_hours(f, n_lines, n_units)
            got = state.etas(f, order.dest, pick_h, pack_h)
            ready = state.ready_h(f, pick_h, pack_h)
            want = [state.delivery_h(f, s, order.dest, ready) for s in range(len(got))]
            self.compared += 1
            self.queued += state.queued_hours(f) != (0.0, 0.0)
            if got != want:
                self.mismatches.append((order.id, f))
        return super().route(order, state)


def test_kept_delivery_estimates_follow_the_queues() -> None:
    sc = load_scenario(ROOT / "scenarios" / "optimal_routing.toml").with_overrides(
        horizon_days=2)
    policy = EtaChecking()
    FulfillmentModel(build_network(sc), policy=policy).run()
    assert policy.mismatches == []
    assert policy.queued > 10_000 and policy.compared > 40_000


def test_lower_bound_accepts_any_sequences() -> None:
    sc = load_scenario(ROOT / "scenarios" / "optimal_routing.toml").with_overrides(
        horizon_days=1)
    m = FulfillmentModel(build_network(sc))
    m.run()
    (skus, units), _ = next(iter(m.shipper._quotes().items()))
    state = m.state
    for f in range(m.net.n_fcs):
        whole = state.shipment_lower_bound(f, skus, units, 0)
        assert state.shipment_lower_bound(f, skus, list(units), 0) <= whole
        assert state.shipment_lower_bound(f, list(skus), list(units), 0) <= whole
        assert whole <= state.landed_cost(f, skus, units, 0, math.inf)[0]


def test_kept_delivery_estimates_change_with_either_queue_at_one_instant() -> None:
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=7)
    m = FulfillmentModel(build_network(sc))
    m._schedule_calendar()  # staffing plan and pickups, as at the start of a run
    state, f, dest = m.state, 0, 5
    pick_h, pack_h = state.task_hours(f, 2, 3)
    seen = []
    for q_pick, q_pack in ((0.0, 0.0), (40.0, 0.0), (40.0, 60.0), (0.0, 60.0), (0.0, 0.0)):
        m.pickers[f].queued_h, m.packers[f].queued_h = q_pick, q_pack
        got = state.etas(f, dest, pick_h, pack_h)
        ready = state.ready_h(f, pick_h, pack_h)
        assert got == [state.delivery_h(f, s, dest, ready) for s in range(len(got))]
        seen.append(tuple(got))
    # each change of either queue moved the estimate; back to empty, as at first
    assert all(x != y for x, y in itertools.pairwise(seen))
    assert seen[0] == seen[-1]
