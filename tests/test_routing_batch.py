"""The fast paths of cost-based routing give the numbers of the slow ones, exactly.

``Estimates.whole_order_costs`` prices many whole orders at once for the wave policy, and
``Shipper.plan`` prices a whole single-parcel order from its quote; both must equal, bit for
bit, what ``Optimal.price`` and a fresh packing give (decisions and event logs depend on it).
"""

from __future__ import annotations

import bisect
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from sim.estimates import Estimates
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


def test_work_done_is_the_walk_over_the_staffing_segments() -> None:
    # the shortcut for work done within the current segment gives the walk's very floats:
    # at and around every staffing change, before the first and past the last, with work
    # ending exactly at a segment's end and crossing several segments
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=9)
    est = FulfillmentModel(build_network(sc)).estimates
    rng = np.random.default_rng(8)
    shortcut = 0
    for f in range(est.net.n_fcs):
        changes = est.staffing.times[f]
        starts = np.concatenate((rng.uniform(-5.0, 24 * 10, 600), changes,
                                 np.nextafter(changes, -math.inf))).tolist()
        for pool in (0, 1):
            levels = est.staffing.levels[f][pool]
            for t in starts:
                i = bisect.bisect_right(changes, t)
                room = levels[i - 1] * (changes[i] - t) if 0 < i < len(changes) else 0.0
                for work in (0.0, room, room * 0.5, room + 1e-9, float(rng.uniform(0, 200))):
                    want = est._work_done_walk(f, pool, t, work)
                    assert est.work_done_h(f, pool, t, work) == want, (f, pool, t, work)
                    shortcut += 0 < work <= room
    assert shortcut > 1000


def test_labor_hours_are_the_walk_over_the_staffing_segments() -> None:
    # windows within one segment (the shortcut), across several, empty, reversed, before
    # the first change and past the last: the walk's very floats
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=9)
    est = FulfillmentModel(build_network(sc)).estimates
    rng = np.random.default_rng(11)
    inside = 0
    for f in range(est.net.n_fcs):  # packers unlike pickers, so a mix-up shows
        pickers, packers = est.staffing.levels[f]
        est.staffing.levels[f] = (pickers, [3 * n + (i % 2) for i, n in enumerate(packers)])
    for f in range(est.net.n_fcs):
        changes = est.staffing.times[f]
        starts = np.concatenate((rng.uniform(-5.0, 24 * 10, 400), changes)).tolist()
        for t in starts:
            for length in (0.0, -1.0, 0.25, 2.0, 8.0, 30.0, float(rng.uniform(0, 300))):
                want = est._labor_hours_walk(f, t, t + length)
                assert est.labor_hours(f, t, t + length) == want, (f, t, length)
                i = bisect.bisect_right(changes, t)
                inside += length > 0 and (i == len(changes) or changes[i] >= t + length)
    assert inside > 500


def _ready_one_by_one(est: Estimates, f: int, q_pick: float, q_pack: float,
                      pick: np.ndarray, pack: np.ndarray) -> list[float]:
    """The ready times ``etas`` estimates, shipment by shipment."""
    start = est.work_done_h(f, 0, est.env.now, q_pick)
    return [est.work_done_h(f, 1, start + p, q_pack) + q
            for p, q in zip(pick.tolist(), pack.tolist(), strict=True)]


@pytest.mark.parametrize("days", [9, 0.2])  # 0.2: the run ends before any shift starts
def test_ready_times_by_numpy_are_the_scalar_estimate(days: float,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # the ready times wave batches price by (Estimates.ready_now) are those of etas, float
    # for float: clocks inside and outside shifts and at staffing changes, queues from
    # empty to days of work, tasks of any length, picks ending at a staffing change
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=days)
    m = FulfillmentModel(build_network(sc))
    est = m.estimates
    for f in range(est.net.n_fcs):  # packers unlike pickers, so a mix-up shows
        pickers, packers = est.staffing.levels[f]
        est.staffing.levels[f] = (pickers, [3 * n + (i % 2) for i, n in enumerate(packers)])
    est._staff_np.clear()
    general: list[int] = []  # ready_now's calls that took the general way (not the shortcut)
    staff_arr = Estimates._staff_arr

    def counted(self: Estimates, f: int, pool: int) -> tuple[np.ndarray, np.ndarray]:
        general.append(pool)
        return staff_arr(self, f, pool)

    monkeypatch.setattr(Estimates, "_staff_arr", counted)
    rng = np.random.default_rng(9)
    walked = shortcut = at_change = one_segment = straddle = 0
    for trial in range(300):
        # the last 150: a wave's batch (short picks, queues of hours), often just before a
        # staffing change, so that its picks end in one segment or straddle the change
        wave = trial >= 150
        f = int(rng.integers(est.net.n_fcs))
        changes = est.staffing.times[f]
        m.env._now = float(rng.choice([rng.uniform(0, 24 * days), rng.choice(changes)]))
        if wave and rng.random() < 0.5:
            m.env._now = max(0.0, float(rng.choice(changes)) - float(rng.uniform(0, 0.3)))
        q_pick = m.pickers[f].queued_h = float(rng.choice([0.0, rng.exponential(5.0),
                                                           rng.exponential(200.0)]))
        q_pack = m.packers[f].queued_h = float(rng.choice([0.0, rng.exponential(5.0),
                                                           rng.exponential(200.0)]))
        if wave:
            m.pickers[f].queued_h = q_pick = 0.0
            q_pack = m.packers[f].queued_h = float(rng.choice([0.0, rng.exponential(2.0)]))
        pick = rng.uniform(0.0, 0.2, 50) if wave else rng.exponential(
            rng.choice([0.05, 2.0, 20.0]), 50)
        pack = rng.exponential(rng.choice([0.05, 2.0, 20.0]), 50)
        start = est.work_done_h(f, 0, m.env.now, q_pick)
        later = [c for c in changes if c > start]
        if later and not wave:  # picks that end exactly at a staffing change (a shift's
            pick[:10] = rng.choice(later, 10) - start  # end or start)
            at_change += sum(start + p in changes for p in pick[:10].tolist())
        want = _ready_one_by_one(est, f, q_pick, q_pack, pick, pack)
        assert est.ready_now(f, pick, pack).tolist() == want
        segments, fits = set(), True
        for p in (start + pick).tolist():  # which way each went
            i = bisect.bisect_right(changes, p)
            level = est.staffing.levels[f][1][i - 1] if 0 < i < len(changes) else 0
            inside = level > 0 and q_pack <= level * (changes[i] - p)
            shortcut += inside
            walked += not inside
            segments.add(i)
            fits &= inside
        # the whole batch in one segment where the queue fits after each pick: ready_now
        # finds the segment once (from the earliest and latest pick)
        one_segment += len(segments) == 1 and fits
        straddle += len(segments) > 1 and wave
    # the whole batch took the shortcut exactly when every pick ends in one segment where
    # the queue fits after it
    assert general == [1] * (300 - one_segment)
    if days > 1:
        assert shortcut > 1000 and walked > 1000 and at_change > 500
        assert one_segment > 40 and straddle > 20, (one_segment, straddle)
    else:  # no staffing change before the end: every shipment is walked (and never ready)
        assert all(len(est.staffing.times[f]) == 1 for f in range(est.net.n_fcs))
        assert shortcut == 0 and walked == 300 * 50 and one_segment == 0


def test_a_wave_run_ending_before_any_shift_prices_behind_the_queues() -> None:
    # no FC has a staffing change before the end (its plan is one time: the end): the
    # wave's batch prices walk the plan; every order is released or held, none lost
    sc = load_scenario(ROOT / "scenarios" / "wave_routing.toml").with_overrides(
        horizon_days=0.2)
    m = FulfillmentModel(build_network(sc))
    log = m.run()
    assert all(len(m.staffing.times[f]) == 1 for f in range(m.net.n_fcs))
    shipped = set(log["shipments"]["order_id"].tolist())
    assert log.n_rows("orders") > 100
    assert shipped | set(m.held) | {int(v.id) for v, _ in m._wave_buf} == set(
        range(log.n_rows("orders")))


def test_ready_time_of_a_pick_ending_at_a_shift_end_waits_for_the_next_shift() -> None:
    # by hand: a pick that ends exactly when the packers' shift ends is packed when the
    # next shift starts, not at once
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=9)
    m = FulfillmentModel(build_network(sc))
    est = m.estimates
    f = 0
    times, packers = est.staffing.times[f], est.staffing.levels[f][1]
    k = next(i for i in range(1, len(times) - 1) if packers[i - 1] > 0 and packers[i] == 0)
    nxt = next(t for t, n in zip(times[k:], packers[k:], strict=False) if n > 0)
    m.env._now = times[k] - 1.0  # staffed now; the pickers' queue is empty
    pick, pack = np.array([1.0]), np.array([0.1])
    assert est.work_done_h(f, 0, m.env.now, 0.0) + 1.0 == times[k]
    assert est.ready_now(f, pick, pack).tolist() == [nxt + 0.1]


def test_arrivals_by_ready_time_are_each_pickups_delivery() -> None:
    # a few pickups apart (gathered from their rows) or many (looked up pickup by pickup),
    # with no pickup left (inf), at a pickup's very time (that pickup) and just after it
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=20)
    est = FulfillmentModel(build_network(sc)).estimates
    rng = np.random.default_rng(10)
    n_zones = est.net.services[0].n_zones
    spans = set()
    for f in range(est.net.n_fcs):
        times = est.pickup_times[f][0]
        last = times[-1]
        for lo, hi, n_inf, m in ((24.0, 27.0, 0, 200), (0.0, 24.0, 0, 200),
                                 (last - 30.0, last, 5, 200), (0.0, 24.0 * 30, 5, 200),
                                 (0.0, 24.0, 0, 1)):  # and one shipment alone
            ready = rng.uniform(lo, hi, m)
            if m > 1:
                near = [t for t in times if lo <= t <= hi] or [times[-1]]
                ready[:20] = rng.choice(near, 20)
                ready[20:30] = np.nextafter(ready[:10], math.inf)
                ready[30:30 + n_inf] = math.inf
            j = np.searchsorted(np.asarray(times), ready, side="left")
            spans.add(int(j.max() - j.min()) < 32)
            zone = rng.integers(1, n_zones, m)
            out = np.full((m, len(est.pickup_times[f])), -1.0)  # (all overwritten)
            est._arrivals_by_ready(f, ready, zone, out)
            for s, ts in enumerate(est.pickup_times[f]):
                want = []
                for r, z in zip(ready.tolist(), zone.tolist(), strict=True):
                    j = bisect.bisect_left(ts, r)
                    want.append(math.inf if j == len(ts) else
                                float(est.arrival(f, s, ts[j])[0][z]))
                assert out[:, s].tolist() == want
    assert spans == {True, False}  # both ways (service 0's span; the others' are alike)


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
