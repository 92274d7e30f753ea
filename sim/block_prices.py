"""Prices of a block's orders estimated from the staffing calendar alone (``optimal``'s
``estimate = "calendar"``).

The model hands the estimates each block of orders (a day's, in order of arrival, with the
quotes it made of them) before it places them.  On the first question about a block,
:class:`BlockPrices` prices all its single-parcel orders shipped whole from every FC at once,
with numpy, as if each were released when placed (or at its wave) with no work queued ahead
(:meth:`sim.estimates.Estimates.shipment_costs`).  The parts a split could ship are priced
the same way, in batches: every proper subset of an order's lines at every FC, for the
orders whose split search is likely to need them.  Which orders those are changes nothing
but the work done: an order asked about that no batch priced yet starts a new batch, and
every price is the same whichever batch computed it (each is computed from its own order
alone).

The exact policies (``estimate = "queues"``) use the same table where it gives their numbers:
a shipment's price depends on when it would be packed only through the pickup each service
would take it to, so where the work queued at an FC leaves every service's pickup where the
table put it (the ready time behind the queues lies within the order's window at that FC,
:meth:`sim.estimates.Estimates.calendar_windows`), the table's price is the price behind the
queues, the same float (:meth:`BlockPrices.queue_whole`, :meth:`BlockPrices.queue_rows`; split
parts with the whole order's delivery estimates, as those policies price them,
:meth:`BlockPrices.queue_parts`).  Elsewhere they price as before.  The checks, and the day's
answers of the exact ``optimal`` where the table settles them at once
(:meth:`BlockPrices.queue_choice`), are in :mod:`sim.queue_checks`.

The same tables bound those policies' prices from below whenever the order is routed:
a shipment's labor and carton do not depend on when it is packed, and queued work, or a
later release, only delays it, so each service's delivery only comes later
(:meth:`BlockPrices.whole_bounds` with lateness, :meth:`BlockPrices.queue_pair_bound`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from itertools import combinations
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.queue_checks import QueueCosts, QueueTable, settled_firsts
from sim.shipping import DayQuotes, quote_orders
from sim.state import OrderView

if TYPE_CHECKING:
    from sim.estimates import Estimates

PART_PRICED_LINES = 6
"""Orders of at most this many lines get the parts of their splits priced in batches (62
parts at 6 lines); larger ones are priced one part at a time by the policy."""

Part = tuple[int, tuple[int, ...]]
"""A shipment of part of an order: the FC and the order's line indices it ships."""

_Key = tuple[float, float, float]
"""What the prices depend on besides the orders: lateness cost per hour, the ready margin
and the wave interval (0: released when placed)."""

_Arrays4 = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

PARTS_WHEN_HELD = 0.5
""":meth:`BlockPrices.queue_parts` prices split parts from the day's table, and
:meth:`BlockPrices.queue_rows` takes whole orders' prices from it, while at least this share
of the recent checks against the queues held (:meth:`BlockPrices.queue_whole`'s, and
:meth:`BlockPrices.queue_rows`' own, which in a wave's run are most of them)."""

_MIN_CHECKS = 200
"""Checks needed before that share is trusted."""

_PartKey = tuple[float, float, float, bool]
""":data:`_Key`, and whether parts are priced with the whole order's delivery estimates
(:meth:`BlockPrices.queue_parts`) rather than their own (:meth:`BlockPrices.parts`)."""


@cache
def line_subsets(n: int) -> tuple[tuple[int, ...], ...]:
    """Every proper non-empty subset of the line indices ``0..n-1``, as increasing tuples,
    smallest first."""
    return tuple(sub for size in range(1, n) for sub in combinations(range(n), size))


@cache
def line_halves(n: int) -> tuple[tuple[int, int], ...]:
    """The ways to split lines ``0..n-1`` in two, each once: the index in
    :func:`line_subsets` of the half holding line 0 and of the other half."""
    subs = line_subsets(n)
    index = {sub: j for j, sub in enumerate(subs)}
    return tuple((j, index[tuple(k for k in range(n) if k not in sub)])
                 for j, sub in enumerate(subs) if 0 in sub)


class BlockOrders(NamedTuple):
    """A block's orders as the model draws them, as arrays (in order of arrival)."""

    placed_h: np.ndarray  # (n,)
    dest: np.ndarray  # (n,)
    promise_h: np.ndarray  # (n,)
    line_ptr: np.ndarray  # (n + 1,): order i's lines are line_ptr[i]:line_ptr[i + 1]
    line_sku: np.ndarray
    line_units: np.ndarray
    quotes: DayQuotes  # each order as one shipment

    @property
    def n_lines(self) -> np.ndarray:
        return np.diff(self.line_ptr)

    @property
    def n_units(self) -> np.ndarray:
        return np.add.reduceat(self.line_units, self.line_ptr[:-1]) if len(self.line_units) \
            else np.zeros(len(self.placed_h), np.int64)

    def lines(self, orders: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """SKUs and units (len(orders), n) of these orders, each of ``n`` lines."""
        at = self.line_ptr[orders][:, None] + np.arange(n)
        return self.line_sku[at], self.line_units[at]


class _Parts:
    """What :meth:`BlockPrices.parts` keeps for one block and one pricing key: the priced
    parts of each order so far (block index -> (table, first row, bound of pairs of its
    prices, bound of pairs behind the queues)) and, for choosing the
    next batch, the block's orders of 2..:data:`PART_PRICED_LINES` lines with their lines
    and whether their split bound is likely to let a search through."""

    __slots__ = ("done", "index", "likely", "line_near", "line_ptr", "line_sku", "line_units",
                 "multi")

    def __init__(self, est: Estimates, block: BlockOrders, whole: np.ndarray,
                 bounds: np.ndarray | None) -> None:
        # table, first row, and the bounds of pair_bound and queue_pair_bound (-inf: none)
        self.index: dict[int, tuple[np.ndarray, int, float, float]] = {}
        n = block.n_lines
        is_multi = (n >= 2) & (n <= PART_PRICED_LINES)
        self.multi = np.flatnonzero(is_multi)
        self.done = np.zeros(len(self.multi), bool)
        on_line = np.repeat(is_multi, n)
        self.line_sku = block.line_sku[on_line]
        self.line_units = block.line_units[on_line]
        n_m = n[self.multi]
        self.line_ptr = np.concatenate(([0], np.cumsum(n_m)))[:-1].astype(np.intp)
        near = est.net.fc_rank[block.dest[self.multi], 0]
        self.line_near = np.repeat(near, n_m)
        # the whole order's cost from the nearest FC: when that FC holds the order, the cost
        # a split must beat is at most this (less any saving the policy asks of a split), so
        # an order whose split bound exceeds it is settled by the bound
        if len(self.multi) and bounds is not None:
            cost = whole[self.multi, near]
            bound = bounds[self.multi]
            self.likely = ~(bound > cost + 1e-6 * np.maximum(1.0, np.abs(cost)))
        else:
            self.likely = np.ones(len(self.multi), bool)


class BlockPrices:
    """Calendar prices of the current block's orders, whole and in parts.

    Parameters
    ----------
    est : Estimates
        Their numbers (:meth:`~sim.estimates.Estimates.shipment_costs`).
    """

    __slots__ = ("_arrays", "_block", "_bounds", "_checked_rows", "_choices", "_est", "_firsts",
                 "_held", "_late_lows", "_lows", "_parts", "_whole", "_window_arr")

    def __init__(self, est: Estimates) -> None:
        self._est = est
        self._block: Sequence[OrderView] = ()
        self._arrays: BlockOrders | None = None
        # by key (a policy may ask with two: per order, and at waves)
        self._whole: dict[_Key, tuple[np.ndarray, list[list[float]]]] = {}
        self._choices: dict[_Key, list[_Choice | None]] = {}
        self._parts: dict[_PartKey, _Parts] = {}
        self._bounds: tuple[np.ndarray, list[float]] | None = None
        self._lows: tuple[np.ndarray, list[list[float]]] | None = None
        # by lateness cost and margin: whole_bounds with lateness
        self._late_lows: dict[tuple[float, float], np.ndarray] = {}
        # by _Key: the block's QueueCosts inputs
        self._checked_rows: dict[_Key, QueueTable] = {}
        # by queue_choice's key: the check table and _first_table
        self._firsts: dict[tuple[float, float, float, bool, float, bool],
                           tuple[QueueTable, list[int]]] = {}
        self._window_arr: dict[tuple[float, float], _Arrays4] = {}
        # of the checks against the queues lately (queue_whole's, FC by FC, and queue_rows',
        # every order and FC of a wave): how many, how many held (the counts are halved at
        # each block, so they tell of the last few days)
        self._held = [0, 0]

    def remember(self, views: Sequence[OrderView], arrays: BlockOrders) -> None:
        """The orders of the next block (placed in it, in order of arrival), as the views
        policies get and as arrays."""
        self._block, self._arrays = views, arrays
        self._whole, self._parts = {}, {}
        self._choices = {}
        self._bounds = None
        self._lows = None
        self._late_lows = {}
        self._checked_rows = {}
        self._firsts = {}
        self._window_arr = {}
        self._held[0] //= 2
        self._held[1] //= 2

    def _index(self, order: OrderView, wave_h: float | None) -> int:
        """The order's index in the block if it is the block's and being routed at the
        moment these prices describe (as it is placed; with ``wave_h``, at the first wave
        after that; ``None``: at any time), else -1."""
        block = self._block
        i = order.id - block[0].id if block else -1
        if not 0 <= i < len(block) or block[i] is not order:
            return -1
        return i if wave_h is None or _on_time(order.placed_h, self._est.env.now, wave_h) \
            else -1

    def _whole_table(self, key: _Key) -> tuple[np.ndarray, list[list[float]]]:
        hit = self._whole.get(key)
        if hit is None:
            arr, lows = self._whole_costs(*key)
            hit = self._whole[key] = (arr, arr.tolist())
            if lows is not None:
                self._late_lows[key[:2]] = lows
        return hit

    def _released(self, wave_h: float) -> np.ndarray:
        """When the block's orders are released to an FC: as placed, or at the first wave
        (every ``wave_h`` hours from the start) after that."""
        b = self._arrays
        assert b is not None
        if wave_h == 0:
            return b.placed_h
        return (np.floor(b.placed_h / wave_h) + 1.0) * wave_h

    def _whole_costs(self, late_per_h: float, margin_h: float, wave_h: float
                     ) -> tuple[np.ndarray, np.ndarray | None]:
        """Each order of the block shipped whole from each FC (orders, FCs): NaN for those
        that travel as several parcels, lie within rounding of a carton's limit, or weigh
        more than a service's price table lists; and, released when placed (``wave_h``
        0), the bounds of :meth:`whole_bounds` with lateness (else ``None``, also where
        bounds do not apply: a negative cost or lateness cost)."""
        b = self._arrays
        assert b is not None
        est = self._est
        out = np.full((len(b.placed_h), est.net.n_fcs), np.nan)
        bounded = wave_h == 0 and self._late_bounded(late_per_h)
        lows = np.full_like(out, np.nan) if bounded else None
        q = b.quotes
        bill = q.billable_arr
        ok = _single(est, q, bill)
        idx = np.flatnonzero(ok)
        if idx.size and est.net.n_fcs:
            out[idx], low = est.shipment_costs_and_bounds(
                b.n_lines[idx].astype(float), b.n_units[idx].astype(float), b.dest[idx],
                b.promise_h[idx], self._released(wave_h)[idx], bill[idx],
                np.asarray(q.carton_cost, float)[idx], late_per_h, margin_h, bounds=bounded)
            if lows is not None and low is not None:
                lows[idx] = low
        return out, lows

    def whole_bounds(self, order: OrderView, late_per_h: float | None = None,
                     margin_h: float = 0.0) -> list[float] | None:
        """:meth:`~sim.estimates.Estimates.shipment_lower_bound` of the order shipped whole
        from each FC (the same numbers: its labor, carton and least price over the
        services), worked out for the whole block at once; ``None`` for an order not of the
        block, not a single parcel as :meth:`whole` prices them, or where no bound applies
        (use that method).  With ``late_per_h`` (>= 0), a bound on the order's cost plus
        ``late_per_h`` per hour late, delivery estimated with ``margin_h`` more pack time,
        whenever it is routed (not before it is placed): its labor and carton and the least
        over the services of price plus lateness, delivery estimated from the calendar as
        if released when placed (:meth:`~sim.estimates.Estimates.shipment_costs_and_bounds`:
        released later, or behind queued work, a shipment is only ready later)."""
        i = self._index(order, None)  # the bounds hold at any time after placing
        if i < 0:
            return None
        late = None if late_per_h is None else self._lows_late(late_per_h, margin_h)
        if late is not None:
            row = late[i].tolist()  # (few are read)
        else:
            lows = self._lows
            if lows is None:
                self._whole_bounds()
                lows = self._lows
                assert lows is not None
            row = lows[1][i]
        return None if not row or row[0] != row[0] else row  # NaN: not at hand

    def _late_bounded(self, late_per_h: float) -> bool:
        """Whether the bounds with lateness apply: no negative lateness cost (lateness only
        grows as a shipment is delayed), and bounds at all
        (:attr:`~sim.estimates.Estimates.split_bounds_apply`: no negative cost)."""
        return late_per_h >= 0 and self._est.split_bounds_apply

    def _lows_late(self, late_per_h: float, margin_h: float) -> np.ndarray | None:
        """:meth:`whole_bounds` with lateness of the block's orders, NaN rows where none
        (kept with the whole table of the same key), or ``None`` where they do not apply
        (:meth:`_late_bounded`)."""
        if not self._late_bounded(late_per_h):
            return None
        hit = self._late_lows.get((late_per_h, margin_h))
        if hit is None:
            self._whole_table((late_per_h, margin_h, 0.0))
            hit = self._late_lows[(late_per_h, margin_h)]
        return hit

    def _whole_bounds(self) -> np.ndarray:
        """:meth:`whole_bounds` of the block's orders (orders, FCs), NaN rows where none
        (kept, with its rows as lists)."""
        if self._lows is not None:
            return self._lows[0]
        b = self._arrays
        assert b is not None
        est = self._est
        F = est.net.n_fcs
        out = np.full((len(b.placed_h), F), np.nan)
        if est.split_bounds_apply and F:
            q = b.quotes
            bill = q.billable_arr
            idx = np.flatnonzero(_single(est, q, bill))
            pick, pack = est.task_hours_of(b.n_lines[idx].astype(float),
                                           b.n_units[idx].astype(float))
            # as shipment_lower_bound: (pick hours + pack hours) * rate + carton + least
            labor = (pick + pack) * np.asarray(est.net.labor_cost_per_hour, float)
            zone = est.net.zone[:, b.dest[idx]].T  # (orders, FCs)
            least = np.full(zone.shape, np.inf)
            for s, table in enumerate(est.shipper._by_pound_arr):
                np.minimum(least, table[zone, bill[idx, s][:, None]], out=least)
            out[idx] = labor + np.asarray(q.carton_cost, float)[idx, None] + least
        self._lows = (out, out.tolist())
        return out

    def whole(self, order: OrderView, late_per_h: float, margin_h: float,
              wave_h: float = 0.0) -> list[float] | None:
        """The order's landed cost shipped whole from each FC plus ``late_per_h`` per hour
        late, as :meth:`~sim.estimates.Estimates.whole_order_costs` gives but with delivery
        estimated from the staffing calendar and the pickups alone, ignoring the work queued
        at the FC (``margin_h`` added to the pack time), so that the whole block's orders are
        priced together at their own arrival times (on the first request of a block), or
        with ``wave_h``, each as released at the first wave after it is placed (waves every
        ``wave_h`` hours from the start of the run).  ``None`` for an order this cannot
        price: not the block's, not being routed at that moment (an order held, then offered
        again, is priced otherwise), or not a single parcel."""
        block = self._block  # _index, inlined: this is asked once per order
        i = order.id - block[0].id if block else -1
        if not 0 <= i < len(block) or block[i] is not order \
                or not _on_time(order.placed_h, self._est.env.now, wave_h):
            return None
        key = (late_per_h, margin_h, wave_h)
        w = self._whole.get(key)
        row = (w[1] if w is not None else self._whole_table(key)[1])[i]
        return None if not row or row[0] != row[0] else row  # NaN: not priced

    def choice(self, order: OrderView, late_per_h: float, margin_h: float,
               first_saving: float) -> _Choice | None:
        """The FC of least :meth:`whole` cost for the order (released as placed), with
        ``first_saving`` taken off the cost of the first FC of its distance rank: ``(first,
        best, cost, split)``, the first FC, the FC of least such cost (the first in the rank
        among equals), that cost, and the order's :meth:`split_bound` (NaN: none at hand),
        worked out for the whole block at once.  Among the FCs holding the order, ``best``
        is the cheapest whenever it and ``first`` hold it.  ``None`` where :meth:`whole`
        gives ``None`` or a NaN at some FC, and for every order when a plan ranks the FCs
        (``Network.assigned_fc_lists``: the rank is not the distance rank)."""
        block = self._block
        i = order.id - block[0].id if block else -1
        if not 0 <= i < len(block) or block[i] is not order \
                or order.placed_h != self._est.env.now:  # (as _on_time with no waves)
            return None
        key = (late_per_h, margin_h, first_saving)
        table = self._choices.get(key)
        if table is None:
            table = self._choices[key] = self._choice_table(late_per_h, margin_h, first_saving)
        return table[i]

    def _choice_table(self, late_per_h: float, margin_h: float, first_saving: float
                      ) -> list[_Choice | None]:
        """:meth:`choice` of each order of the block."""
        b = self._arrays
        assert b is not None
        net = self._est.net
        cost = self._whole_table((late_per_h, margin_h, 0.0))[0]
        n, F = cost.shape
        if not F or net.assigned_fc_lists is not None:
            return [None] * n
        rank = net.fc_rank[b.dest]  # (orders, FCs)
        ranked = np.take_along_axis(cost, rank, axis=1)  # (a copy)
        ranked[:, 0] -= first_saving  # as the policy's walk takes it off: the same floats
        j = ranked.argmin(axis=1)  # the first least in the rank
        rows = np.arange(n)
        split = self._split_bounds()
        if split is None:
            split = np.full(n, np.nan)
        ok = ~np.isnan(cost).any(axis=1)
        # plain tuples from zip (a NamedTuple each took about 10 ms a day, by line profile)
        return [t if k else None for k, t in zip(
            ok.tolist(), zip(rank[:, 0].tolist(), rank[rows, j].tolist(),
                             ranked[rows, j].tolist(), split.tolist(), strict=True),
            strict=True)]

    def queue_whole(self, order: OrderView, late_per_h: float, margin_h: float,
                    wave_h: float = 0.0) -> Sequence[float] | None:
        """The order's landed cost shipped whole from each FC plus ``late_per_h`` per hour
        late, with delivery estimated behind the work queued at each FC now, as
        :meth:`~sim.estimates.Estimates.landed_cost` and
        :meth:`~sim.estimates.Estimates.etas` (``margin_h`` added to the pack time) give it,
        the same floats: :meth:`whole`'s cost at the FCs where the queues leave every
        service's first pickup where the calendar put it (the price depends on the ready
        time only through them), NaN at the others (price those one by one), and where the
        cost is inf (no pickup left) but the order has no promise (then
        :meth:`~sim.estimates.Estimates.landed_cost` finds it on time).  ``None`` when
        :meth:`whole` gives ``None``.  ``wave_h``: as for :meth:`whole` (the order is
        being routed at its wave)."""
        i = self._index(order, wave_h)
        table = self._checked(i, late_per_h, margin_h, wave_h)
        return None if table is None else QueueCosts(table, i, self._est.ready_h, self._held)

    def _checked(self, i: int, late_per_h: float, margin_h: float, wave_h: float
                 ) -> QueueTable | None:
        """The check table of :meth:`queue_whole`, if order ``i`` (-1: none) has a row of
        costs in it."""
        if i < 0:
            return None
        table = self._check_table(late_per_h, margin_h, wave_h)
        row = table.cost[i]
        return None if not row or row[0] != row[0] else table  # NaN: whole does not price it

    def _check_table(self, late_per_h: float, margin_h: float, wave_h: float) -> QueueTable:
        key = (late_per_h, margin_h, wave_h)
        table = self._checked_rows.get(key)
        if table is None:
            table = self._checked_rows[key] = self._queue_table(*key)
        return table

    def queue_choice(self, order: OrderView, late_per_h: float, margin_h: float,
                     first_saving: float, split_searched: bool, tol: float,
                     rows: Sequence[memoryview], pairs: bool = False
                     ) -> tuple[int, Sequence[float] | None]:
        """The answer of :class:`~sim.policies.optimized.Optimal`'s walk over the FCs and
        split search (exact, released now) where the day's table settles it, and else
        :meth:`queue_whole` of the order: ``(f, None)``, the first FC of the order's
        distance rank, when that FC holds the order (``rows``: stock on hand by FC), its
        :meth:`queue_whole` cost is checked and finite, every other FC's
        :meth:`whole_bounds` with lateness exceeds that cost less ``first_saving`` by more
        than the policy's tolerance (``tol`` relative, at least ``tol``: then the walk, which
        reads the same bounds, prices none of them), and the order has one line, or no split
        is searched (``split_searched`` false), or its :meth:`split_bound`, or with ``pairs``
        (splits into two shipments at most) its :meth:`queue_pair_bound` (priced for the
        day's orders when the table is made), exceeds that cost as much (then the split
        search finds no split cheaper: it stops at that bound, or, if the day's part prices
        are no longer used, searches in vain); else ``(-1,
        queue_whole(...))``, with any check made here kept in it (so checks are counted
        once, as the walk would count them).  Not for a plan's rank
        (``Network.assigned_fc_lists``)."""
        i = self._index(order, 0.0)
        if i < 0:
            return -1, None
        key = (late_per_h, margin_h, first_saving, split_searched, tol, pairs)
        hit = self._firsts.get(key)
        if hit is None:
            hit = self._firsts[key] = (self._check_table(late_per_h, margin_h, 0.0),
                                       self._first_table(*key))
        table, firsts = hit
        f = firsts[i]
        if f < 0:  # -2: no row of costs (as _checked finds)
            return -1, None if f == -2 else QueueCosts(table, i, self._est.ready_h, self._held)
        row = rows[f]
        for k, u in zip(order.skus, order.units, strict=True):
            if row[k] < u:  # the walk goes on to the next FC
                return -1, QueueCosts(table, i, self._est.ready_h, self._held)
        if table.check(i, f, self._est.ready_h, self._held):  # (f's cost is finite)
            return f, None
        return -1, QueueCosts(table, i, self._est.ready_h, self._held, f)

    def _first_table(self, late_per_h: float, margin_h: float, first_saving: float,
                     split_searched: bool, tol: float, pairs: bool) -> list[int]:
        """:func:`~sim.queue_checks.settled_firsts` of the block's orders, and -2 for those
        without a row of costs in the table (not priced there).  With ``pairs`` (splits
        into two shipments at most), an order the split bound alone leaves unsettled gets
        its parts priced, and the larger of that bound and :meth:`queue_pair_bound`."""
        b = self._arrays
        assert b is not None
        net = self._est.net
        cost = self._whole_table((late_per_h, margin_h, 0.0))[0]
        if not net.n_fcs:
            return [-2] * len(cost)
        unpriced = np.isnan(cost[:, 0])
        if net.assigned_fc_lists is not None:
            return np.where(unpriced, -2, -1).tolist()
        lows = self._lows_late(late_per_h, margin_h)
        args = (cost, self._whole_bounds() if lows is None else lows, net.fc_rank[b.dest])
        split = self._split_bounds() if split_searched else None
        first = settled_firsts(*args, split, b.n_lines, first_saving, split_searched, tol)
        if split_searched and pairs and split is not None and self._checks_hold():
            # the orders settled but for the split bound: their bound of pairs of parts
            left = (first < 0) & (settled_firsts(*args, None, b.n_lines, first_saving, False,
                                                 tol) >= 0) & (b.promise_h < math.inf)
            key = (late_per_h, margin_h, 0.0, True)
            kept = self._parts_of(key)
            want = left[kept.multi]
            if want.any():
                self._price_chosen(kept, want.copy(), key)
                idx = kept.multi[want]
                split = split.copy()
                split[idx] = np.fmax(split[idx], [kept.index[j][3] for j in idx.tolist()])
                first = settled_firsts(*args, split, b.n_lines, first_saving, True, tol)
        return np.where(unpriced, -2, first).tolist()

    def _queue_table(self, late_per_h: float, margin_h: float, wave_h: float
                     ) -> QueueTable:
        """What :meth:`queue_whole` checks, for the orders of the block: :meth:`whole`'s
        costs (released when placed, or at the wave), the ready times ``(lo, hi]`` at each
        FC within which every service's first pickup is the one they assume
        (:meth:`~sim.estimates.Estimates.calendar_windows`), the pick and pack hours (with
        ``margin_h``) whose ready time behind the queues is compared with them, and the
        promises."""
        b = self._arrays
        assert b is not None
        lo, hi, pick, pack = self._windows(margin_h, wave_h)
        return QueueTable(self._whole_table((late_per_h, margin_h, wave_h))[1], lo.tolist(),
                           hi.tolist(), pick.tolist(), pack.tolist(), b.promise_h.tolist())

    def _windows(self, margin_h: float, wave_h: float) -> _Arrays4:
        """The block's orders' ready-time windows ``lo``, ``hi`` and their pick and pack
        hours (with ``margin_h``), each (orders, FCs): see :meth:`_queue_table`."""
        key = (margin_h, wave_h)
        hit = self._window_arr.get(key)
        if hit is None:
            b = self._arrays
            assert b is not None
            est = self._est
            pick, pack = est.task_hours_of(b.n_lines.astype(float), b.n_units.astype(float))
            pack = pack + margin_h
            lo, hi = est.calendar_windows(self._released(wave_h), pick, pack)
            hit = self._window_arr[key] = (lo, hi, pick, pack)
        return hit

    def queue_rows(self, orders: Sequence[OrderView], late_per_h: float, margin_h: float,
                   wave_h: float = 0.0) -> np.ndarray:
        """:meth:`queue_whole` of many orders routed at one moment (a wave), shape (orders,
        FCs), NaN where it gives NaN or ``None``; the ready times behind the queues with
        numpy (:meth:`~sim.estimates.Estimates.ready_now`, the same floats).  All NaN
        while the checks lately failed too often (see :meth:`queue_parts`): a row with a NaN
        is priced anew, whole."""
        est = self._est
        F = est.net.n_fcs
        out = np.full((len(orders), F), np.nan)
        idx = self._indices(orders, wave_h)
        ok = np.flatnonzero(idx >= 0)
        if not ok.size or not F or not self._checks_hold():
            return out
        rows = idx[ok]
        b = self._arrays
        assert b is not None
        cost = self._whole_table((late_per_h, margin_h, wave_h))[0][rows]
        lo, hi, pick, pack = (a[rows] for a in self._windows(margin_h, wave_h))
        # inf (no pickup left) only with a promise, as QueueCosts takes it
        take = (cost < math.inf) | ((cost == math.inf) & (b.promise_h[rows] < math.inf)[:, None])
        checked = int(take.sum())
        ready = np.empty_like(pick)
        for f in range(F):
            ready[:, f] = est.ready_now(f, pick[:, f], pack[:, f])
        take &= (lo < ready) & (ready <= hi)
        self._held[0] += checked
        self._held[1] += int(take.sum())
        out[ok] = np.where(take, cost, np.nan)
        return out

    def whole_rows(self, orders: Sequence[OrderView], late_per_h: float, margin_h: float,
                   wave_h: float = 0.0) -> np.ndarray:
        """:meth:`whole` of many orders at once, shape (orders, FCs): NaN rows for the
        orders it gives ``None``."""
        out = np.full((len(orders), self._est.net.n_fcs), np.nan)
        idx = self._indices(orders, wave_h)
        ok = idx >= 0
        if ok.any():
            out[ok] = self._whole_table((late_per_h, margin_h, wave_h))[0][idx[ok]]
        return out

    def split_bounds_of(self, orders: Sequence[OrderView]) -> np.ndarray:
        """:meth:`split_bound` of many orders at once (NaN for ``None``)."""
        out = np.full(len(orders), np.nan)
        bounds = self._split_bounds()
        if bounds is not None:
            idx = self._indices(orders, None)  # the bound holds at any time
            ok = idx >= 0
            out[ok] = bounds[idx[ok]]
        return out

    def _indices(self, orders: Sequence[OrderView], wave_h: float | None) -> np.ndarray:
        """:meth:`_index` of each order."""
        block = self._block
        if not block:
            return np.full(len(orders), -1, np.intp)
        first, n, now = block[0].id, len(block), self._est.env.now
        out = []
        for o in orders:
            i = o.id - first
            out.append(i if 0 <= i < n and block[i] is o and (
                wave_h is None or _on_time(o.placed_h, now, wave_h)) else -1)
        return np.asarray(out, np.intp)

    def parts(self, order: OrderView, late_per_h: float, margin_h: float,
              on_hand: np.ndarray | None = None, wave_h: float = 0.0
              ) -> list[list[float]] | None:
        """The cost of each part a split of the order could ship: one row per subset of its
        lines (in the order of :func:`line_subsets`), one cost per FC, priced as
        :meth:`whole` prices whole orders, for the part's own pick and pack hours.  NaN for
        parts that travel as several parcels or lie within rounding of a carton's limit
        (price them one by one).  ``None`` when :meth:`whole` would give ``None`` or the
        order has fewer than 2 or more than :data:`PART_PRICED_LINES` lines.  ``wave_h``:
        as for :meth:`whole`.

        ``on_hand`` (FCs, SKUs), the stock now, only guides which orders' parts are priced
        in the same batch as this one's: the later orders of the block whose split bound
        does not settle them at their nearest FC's whole cost, or whose nearest FC lacks
        one of their lines."""
        return self._part_rows(order, (late_per_h, margin_h, wave_h, False), on_hand)

    def queue_parts(self, order: OrderView, late_per_h: float, margin_h: float,
                    on_hand: np.ndarray | None = None, wave_h: float = 0.0
                    ) -> list[list[float]] | None:
        """:meth:`parts`, but each part priced with the delivery estimates of the whole
        order (its pick and pack hours), as :class:`~sim.policies.optimized.Optimal` prices
        a split's parts behind the queues: at an FC where :meth:`queue_whole` gives the
        whole order's cost, the queues leave the whole order's pickups, so these
        estimates, where the calendar put them, and these are the parts' costs behind the
        queues, the same floats; not at the others (the caller checks).  ``None`` and
        ``wave_h`` as for :meth:`parts`; ``None`` too for an order without a promise, and
        while fewer than :data:`PARTS_WHEN_HELD` of the whole orders checked lately kept
        their pickups (then most of these prices would go unused, and pricing them in
        batches, cartons included, costs more than it saves: in peak season's last weeks
        the queues moved nearly every pickup, and the exact ``optimal`` ran the 60 days at
        0.851 of the old code's speed with these prices and 1.026 without them, one round
        each, while at 7 days of the baseline, where 2 % of the checks failed, they made it
        1.117x as fast (6 rounds); the baseline's worst days, after a weekend, kept about
        65 %; measured while a wave counted the checks of the orders it searched for splits
        twice, before 3b20e35).  Only the work done depends on it, not the prices."""
        if not self._checks_hold() or not order.promise_h < math.inf:
            # (without a promise, rate shopping may send a part by a service with no pickup
            # left, which landed_cost finds on time and the table inf)
            return None
        return self._part_rows(order, (late_per_h, margin_h, wave_h, True), on_hand)

    def queue_pair_bound(self, order: OrderView, late_per_h: float, margin_h: float,
                         on_hand: np.ndarray | None = None, wave_h: float = 0.0
                         ) -> float | None:
        """A lower bound on the cost behind the queues of any split of the order into two
        shipments, each priced as :meth:`queue_parts` prices it (with the whole order's
        pick and pack hours): the least, over the ways to split its lines in two, of each
        half's least bound over the FCs (stock and distinct FCs ignored), the bounds those
        of :meth:`~sim.estimates.Estimates.shipment_costs_and_bounds` (queued work only
        delays a shipment); ``-inf`` if a part is not priced here (NaN), ``None`` when
        :meth:`queue_parts` gives ``None`` and at waves (``wave_h`` > 0: the clock may be a
        hair before the wave's time, which the calendar's release would assume)."""
        if wave_h or not self._checks_hold() or not order.promise_h < math.inf:
            return None
        found = self._priced(order, (late_per_h, margin_h, wave_h, True), on_hand)
        return None if found is None else found[3]

    def _checks_hold(self) -> bool:
        """Whether the queues lately left the table's pickups for at least
        :data:`PARTS_WHEN_HELD` of the whole orders checked (or too few were checked to
        tell)."""
        checked, held = self._held
        return checked < _MIN_CHECKS or held >= PARTS_WHEN_HELD * checked

    def _part_rows(self, order: OrderView, key: _PartKey, on_hand: np.ndarray | None
                   ) -> list[list[float]] | None:
        found = self._priced(order, key, on_hand)
        if found is None:
            return None
        table, first = found[0], found[1]
        rows: list[list[float]] = table[first:first + (1 << len(order.skus)) - 2].tolist()
        return rows

    def pair_bound(self, order: OrderView, late_per_h: float, margin_h: float,
                   on_hand: np.ndarray | None = None, wave_h: float = 0.0) -> float | None:
        """A lower bound on any split of the order into two shipments priced by
        :meth:`parts`: the least, over the ways to split its lines in two, of each half's
        least price over the FCs (stock and distinct FCs ignored); ``-inf`` if a part is
        not priced (NaN), ``None`` when :meth:`parts` gives ``None``."""
        found = self._priced(order, (late_per_h, margin_h, wave_h, False), on_hand)
        return None if found is None else found[2]

    def _priced(self, order: OrderView, key: _PartKey, on_hand: np.ndarray | None
                ) -> tuple[np.ndarray, int, float, float] | None:
        """The order's entry in its batch of parts (pricing a batch if needed)."""
        i = self._index(order, key[2])
        if i < 0 or not 2 <= len(order.skus) <= PART_PRICED_LINES:
            return None
        kept = self._parts_of(key)
        found = kept.index.get(i)
        if found is None:
            self._price_batch(kept, i, key, on_hand)
            found = kept.index[i]
        return found

    def _parts_of(self, key: _PartKey) -> _Parts:
        kept = self._parts.get(key)
        if kept is None:
            assert self._arrays is not None
            kept = self._parts[key] = _Parts(self._est, self._arrays,
                                             self._whole_table(key[:3])[0],
                                             self._split_bounds())
        return kept

    def split_bound(self, order: OrderView) -> float | None:
        """:meth:`~sim.estimates.Estimates.split_lower_bound` of an order of the block with
        several lines, computed for the whole block at once (the same bound, rounding
        aside); ``None`` for other orders, or where the bound does not apply."""
        i = self._index(order, None)
        if i < 0 or self._split_bounds() is None:
            return None
        low = self._bounds[1][i]  # type: ignore[index]
        return None if low != low else low

    def _split_bounds(self) -> np.ndarray | None:
        """The split bound of each order of the block (NaN: a single line), or ``None``
        where no bound applies."""
        est, b = self._est, self._arrays
        if not est.split_bounds_apply or b is None:
            return None
        if self._bounds is None:
            n = b.n_lines
            multi = np.flatnonzero(n >= 2)
            out = np.full(len(n), np.nan)
            if len(multi):
                on_line = np.repeat(n >= 2, n)
                out[multi] = est.split_bounds(b.dest[multi], n[multi], b.line_sku[on_line],
                                              b.line_units[on_line])
            self._bounds = (out, out.tolist())
        return self._bounds[0]

    def _price_batch(self, kept: _Parts, i: int, key: _PartKey, on_hand: np.ndarray | None
                     ) -> None:
        """Price the parts of order ``i`` and of the later orders of the block likely to
        need theirs (see :meth:`parts`) that are not priced yet."""
        multi = kept.multi
        pos = int(np.searchsorted(multi, i))
        want = kept.likely.copy()
        if on_hand is not None and len(multi):
            has = on_hand[kept.line_near, kept.line_sku] >= kept.line_units
            want |= ~np.logical_and.reduceat(has, kept.line_ptr)
        want[:pos] = False
        want[pos] = True  # order i itself
        self._price_chosen(kept, want, key)

    def _price_chosen(self, kept: _Parts, want: np.ndarray, key: _PartKey) -> None:
        """Price the parts of the orders ``want`` marks (by position in ``kept.multi``) that
        are not priced yet."""
        want &= ~kept.done
        chosen = np.flatnonzero(want)
        if not chosen.size:
            return
        kept.done[chosen] = True
        rows = kept.multi[chosen]
        first, table, lows = self._part_costs(rows, *key)
        assert self._arrays is not None
        n_lines = self._arrays.n_lines[rows]
        start = np.asarray(first, np.intp)
        # the bound of a pair of prices (parts as parts() prices them), or of bounds
        # (queue_parts' parts, released when placed), -inf where none
        none = [-math.inf] * len(first)
        bounds = none if key[3] else _pair_bounds(table, start, n_lines).tolist()
        floors = none if lows is None else _pair_bounds(lows, start, n_lines).tolist()
        for j, at, low, floor in zip(rows.tolist(), first, bounds, floors, strict=True):
            kept.index[j] = (table, at, low, floor)

    def _part_costs(self, orders: np.ndarray, late_per_h: float, margin_h: float,
                    wave_h: float, whole_eta: bool = False
                    ) -> tuple[list[int], np.ndarray, np.ndarray | None]:
        """The parts of these orders of the block (indices; each of
        2..:data:`PART_PRICED_LINES` lines): for each order, the index of its first part's
        row, and the rows (parts, FCs), in the order of :func:`line_subsets`, NaN where not
        priced.  ``whole_eta``: delivery estimated from the whole order's pick and pack
        hours (:meth:`queue_parts`), not the part's; then, released when placed
        (``wave_h`` 0), also the rows' bounds of :meth:`queue_pair_bound` (else ``None``)."""
        b = self._arrays
        assert b is not None
        est = self._est
        F = est.net.n_fcs
        n_of = b.n_lines[orders]
        first = np.zeros(len(orders), np.intp)
        skus, units, sizes, owners = [], [], [], []
        n_rows = 0
        for n in np.unique(n_of).tolist():
            group = np.flatnonzero(n_of == n)
            subs = line_subsets(n)
            mask = np.zeros((len(subs), n), bool)
            for j, sub in enumerate(subs):
                mask[j, list(sub)] = True
            sel = np.broadcast_to(mask, (len(group), *mask.shape))
            grid = (len(group), len(subs), n)
            sku_g, units_g = b.lines(orders[group], n)
            skus.append(np.broadcast_to(sku_g[:, None, :], grid)[sel])
            units.append(np.broadcast_to(units_g[:, None, :], grid)[sel])
            sizes.append(np.tile(mask.sum(axis=1), len(group)))
            owners.append(np.repeat(orders[group], len(subs)))
            first[group] = n_rows + np.arange(len(group)) * len(subs)
            n_rows += len(group) * len(subs)
        out = np.full((n_rows, F), np.nan)
        # bounds only as released when placed: at a wave the clock may be a hair before
        # the wave's time (it adds up the intervals), when the calendar may still have a
        # shift that the wave's time has ended
        bounded = whole_eta and wave_h == 0 and self._late_bounded(late_per_h)
        lows = np.full((n_rows, F), np.nan) if bounded else None
        if not n_rows or F == 0:
            return first.tolist(), out, lows
        size = np.concatenate(sizes)
        ptr = np.concatenate(([0], np.cumsum(size)))
        line_units = np.concatenate(units)
        q = quote_orders(est.shipper, ptr, np.concatenate(skus), line_units)
        bill = q.billable_arr
        idx = np.flatnonzero(_single(est, q, bill))
        if idx.size:
            owner = np.concatenate(owners)[idx]
            eta = (b.n_lines[owner].astype(float), b.n_units[owner].astype(float)) \
                if whole_eta else None
            cost, low = est.shipment_costs_and_bounds(
                size[idx].astype(float),
                np.add.reduceat(line_units, ptr[:-1])[idx].astype(float),
                b.dest[owner], b.promise_h[owner], self._released(wave_h)[owner],
                bill[idx], np.asarray(q.carton_cost, float)[idx], late_per_h, margin_h,
                eta, bounds=bounded)
            out[idx] = cost
            if lows is not None and low is not None:
                lows[idx] = low
        return first.tolist(), out, lows


_Choice = tuple[int, int, float, float]
"""One order's :meth:`BlockPrices.choice`: the first FC of its rank, the FC of least cost
(first_saving off the first's), that cost, and the order's split bound (NaN: none)."""


def _single(est: Estimates, q: DayQuotes, bill: np.ndarray) -> np.ndarray:
    """Which quoted shipments these prices cover: one parcel, within every service's price
    table (its last column is inf: "too heavy"), and not within rounding of a carton's
    limit (those are packed one by one, see :attr:`DayQuotes.borderline`)."""
    longest = np.array([t.shape[1] - 1 for t in est.shipper._by_pound_arr])
    ok = np.asarray(q.single, bool) & (bill < longest).all(axis=1)
    if q.borderline is not None:
        ok[q.borderline] = False
    return ok


def _pair_bounds(table: np.ndarray, first: np.ndarray, n_lines: np.ndarray) -> np.ndarray:
    """:meth:`BlockPrices.pair_bound` of orders whose parts are ``table``'s rows from
    ``first`` on (in :func:`line_subsets` order), ``n_lines`` lines each (with the parts'
    bounds as ``table``, :meth:`BlockPrices.queue_pair_bound`)."""
    out = np.full(len(first), -math.inf)
    for n in np.unique(n_lines).tolist():
        group = np.flatnonzero(n_lines == n)
        subs = line_subsets(n)
        least = table[first[group][:, None] + np.arange(len(subs))].min(axis=2)  # NaN stays
        a, b = np.array(line_halves(n), np.intp).T
        low = (least[:, a] + least[:, b]).min(axis=1)
        out[group] = np.where(np.isnan(low), -math.inf, low)
    return out


WAVE_CLOCK_TOL_H = 1e-6
"""How far the clock may be from a wave's time (it adds up the intervals) for the block's
prices, which release an order at the wave's time, to apply (:func:`_on_time`)."""


def _on_time(placed_h: float, now: float, wave_h: float) -> bool:
    """Is an order placed at ``placed_h`` routed ``now`` at the moment the block's prices
    describe: as it is placed, or (``wave_h`` > 0) at the first wave after that, waves every
    ``wave_h`` hours from the start (to within :data:`WAVE_CLOCK_TOL_H`)."""
    if not wave_h:
        return placed_h == now
    return abs((math.floor(placed_h / wave_h) + 1.0) * wave_h - now) <= WAVE_CLOCK_TOL_H
