"""The cost-optimising routing policy ``optimal`` (per order; ``wave``, which routes orders
jointly with an OR-Tools model, builds on it and lives in :mod:`optimize.wave`).

It prices a shipment with :meth:`sim.state.StateView.landed_cost`: mean pick and pack labor at
the FC's wage, cartons, and the postage of the service the scenario's shipping policy would
choose given the FC's queued work, staffing plan and next pickups; a shipment expected after
the promise costs ``late_penalty_per_day`` per day late on top.  It never moves stock: an
order no FC (or FC set) can ship from stock on hand goes on hold at its nearest (or planned)
FC, as with :class:`~sim.policies.builtin.Assigned`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations, product
from typing import Literal

from sim.block_prices import line_halves, line_subsets
from sim.network import HoldMode
from sim.policies.base import Decision, checked_number
from sim.policies.builtin import Assigned, planned_rank
from sim.state import OrderView, StateView


class Optimal:
    """The FC, or set of FCs, of lowest expected landed cost that can ship the order now.

    Candidates are every FC holding the whole order and, when the scenario allows splits
    (``[hold] mode = "split"``) and the order has several lines, every assignment of lines to
    FCs holding them that uses at most ``max_shipments`` FCs: all of them while there are at
    most ``max_assignments``, otherwise those of the FC sets that cover the order with each
    line at the nearest FC of the set holding it.  Each shipment is priced on its own (a split
    pays a second carton, postage and handling).  Exact over the candidates: the policy is
    optimal for the order given the state, not for the run (it does not foresee later orders).

    Parameters
    ----------
    max_shipments : int
        Most shipments an order may be split into.
    late_penalty_per_day : float
        Cost charged per day a shipment is expected after the promise (lateness is a cost the
        planner prices, not a hard rule, so an order can still go late when nothing is on time).
    max_assignments : int
        Largest number of line-to-FC assignments enumerated for one order.
    min_saving : float
        The nearest FC holding the order (with a plan, ``[routing] assignment_file``, the
        planned FC: see :func:`~sim.policies.builtin.planned_rank`) keeps it unless another is
        cheaper by more than this (a split must beat it by as much): moving orders for cents
        of expected saving shifts demand away from where stock and labor were planned for it.
    ready_margin_h : float
        Hours added to the estimated time a shipment is packed before its delivery is
        estimated: task times vary, and a parcel expected minutes before a pickup misses it
        about half the time (then rate shopping may buy a faster, dearer service).
    estimate : str
        ``"queues"`` (the default): delivery estimated behind the work queued at each FC when
        the order is routed, and splits searched for every multi-line order, as above.  (A
        price depends on when the shipment would be packed only through the pickup each
        service would take it to: where the queues leave those as the day's calendar
        prices assume them, those prices are taken, the same numbers; see
        :meth:`StateView.queue_costs`.  Most orders are answered from the day's table at
        once, :meth:`StateView.queue_choice`: where the nearest FC holds the order, its
        price passes that check, and the day's lower bounds rule out every other FC and any
        split, the walk and the search below would answer it too.)
        ``"calendar"``: faster: prices estimate delivery from the staffing calendar and
        pickups alone, ignoring the work queued, so that each day's orders are priced
        together when placed (:mod:`sim.block_prices`): shipped whole, and, for orders of
        up to 6 lines, every part a split could ship (splits are searched among the same
        candidates as with ``"queues"``; parts of several parcels are priced one by one,
        behind the queues).  An order routed later than when placed (held, then offered
        again) is priced as with ``"queues"``.  Its speed, and its cost per order and
        on-time rate against the exact policy's over 10 seeds, are in
        ``benchmarks/README.md`` (``scenarios/experiments/optimal_estimates.toml``).
    """

    ESTIMATES = ("queues", "calendar")
    # reads the order and the state view only: the estimates it prices with are memos
    # whose values do not depend on when they are first asked for (delivery rows keyed by
    # the clock, the queued pick and pack hours and the shipment's task hours; the day's
    # block prices).  One exception: shipment_lower_bound tightens once the shipper has
    # packed a plan, and is safe here only because it prunes candidates that cannot win
    # (keep it that way).  See RoutingPolicy.
    route_is_pure = True

    def __init__(self, max_shipments: int = 2, late_penalty_per_day: float = 25.0,
                 max_assignments: int = 256, ready_margin_h: float = 1.0,
                 min_saving: float = 0.0, estimate: str = "queues") -> None:
        self.max_shipments = int(checked_number("max_shipments", max_shipments, lo=1, hi=100,
                                                integer=True))
        self.late_per_h = checked_number("late_penalty_per_day", late_penalty_per_day) / 24.0
        self.max_assignments = int(checked_number("max_assignments", max_assignments, lo=1,
                                                  hi=1e6, integer=True))
        self.ready_margin_h = checked_number("ready_margin_h", ready_margin_h, hi=24 * 365)
        self.min_saving = checked_number("min_saving", min_saving)
        if estimate not in self.ESTIMATES:
            raise ValueError(f"estimate must be one of {', '.join(map(repr, self.ESTIMATES))}, "
                             f"got {estimate!r}")
        self.estimate = estimate
        self._calendar = estimate == "calendar"
        self._fallback = Assigned(max_shipments)

    def price(self, fc: int, skus: tuple[int, ...], units: tuple[int, ...],
              order: OrderView, state: StateView, etas: Sequence[float] | None = None) -> float:
        """Landed cost of one shipment plus its lateness penalty."""
        cost, late_h = state.landed_cost(fc, skus, units, order.dest, order.promise_h, etas)
        return cost + self.late_per_h * late_h if late_h < math.inf else math.inf

    def _prices_bounded(self) -> bool:
        """True if :meth:`price` is this class's (landed cost plus lateness), which the
        lower bounds of :class:`~sim.state.StateView` bound; a subclass or instance pricing
        otherwise gets the plain exhaustive search."""
        return type(self).price is Optimal.price and "price" not in self.__dict__

    def order_etas(self, order: OrderView, state: StateView) -> Sequence[list[float]]:
        """Expected delivery by service of the whole order from each FC, with the ready margin
        (a split part's shorter tasks change them by minutes; one estimate per FC keeps the
        search cheap).  Computed for an FC when first asked for (the state does not change
        while a decision is made, so it is the same whenever it is asked)."""
        return _OrderEtas(state, order.dest, len(order.skus), sum(order.units),
                          self.ready_margin_h)

    def route(self, order: OrderView, state: StateView) -> Decision:
        net = state.network
        if net.hold_mode is HoldMode.BACKORDER:
            return self._fallback.route(order, state)
        skus, units = order.skus, order.units
        if state.picking_over and order.promise_h < math.inf and self._ends_as_optimal():
            # no shipment released now is ever picked: every price is inf (late by inf
            # hours), so the walk below keeps the first FC holding the order, and the split
            # search finds no part cheaper than inf
            f = state.first_with_stock(planned_rank(order, state), skus, units)
            return f if f >= 0 else self._fallback.route(order, state)
        bound = self._prices_bounded()
        if self._calendar and bound:
            hit = state.calendar_choice(order, self.late_per_h, self.ready_margin_h,
                                        self.min_saving)
            if hit is not None and self._walks_as_optimal() and self._settled(order, state,
                                                                               *hit):
                return hit[1]
            row = state.calendar_costs(order, self.late_per_h, self.ready_margin_h)
            if row is not None:
                return self._route_priced(order, state, row)
        etas: Sequence[list[float]] | None = None  # made when first needed
        # the same prices, where the day's calendar prices give them (NaN: price here)
        # (with the calendar estimate, an order it could not price has none of these either)
        known = None
        if bound and not self._calendar:
            if self._walks_as_optimal():  # the day's table may settle the walk and search
                f, known = state.queue_choice(
                    order, self.late_per_h, self.ready_margin_h, self.min_saving,
                    net.hold_mode is HoldMode.SPLIT and self.max_shipments > 1, _BOUND_TOL,
                    self.max_shipments == 2)
                if f >= 0:
                    return f
            else:
                known = state.queue_costs(order, self.late_per_h, self.ready_margin_h)
        best, best_cost = None, math.inf
        # a bound above limit: the FC cannot cost less than best_cost (inf until a best is
        # found, or if prices are not bounded)
        limit = math.inf
        lows: Sequence[float] | None = None  # the bounds of the day's table, if at hand
        for f in planned_rank(order, state):  # nearest (or planned) first: wins near-ties
            # an FC is priced if it holds the order and its lower bound does not rule it out
            # (the day's bounds, at hand, are read before the stock)
            if bound and best is not None:
                if lows is None:
                    lows = (state.whole_lower_bounds(order, self.late_per_h,
                                                     self.ready_margin_h)
                            if self._etas_as_optimal() else state.whole_lower_bounds(order)
                            ) or ()
                if lows and lows[f] > limit:
                    continue  # pricing it is useless
            if not state.has_stock(f, skus, units):
                continue
            if limit < math.inf and not lows and state.shipment_lower_bound(
                    f, skus, units, order.dest) > limit:
                continue  # (as above, the bound worked out here)
            c = math.nan if known is None else known[f]
            if c != c:  # not at hand: priced here
                if etas is None:
                    etas = self.order_etas(order, state)
                e = etas[f]
                # no delivery before the end of the run from f: price would give inf (late by
                # inf hours) after packing and pricing the parcel for nothing
                c = math.inf if bound and order.promise_h < math.inf and min(e) == math.inf \
                    else self.price(f, skus, units, order, state, e)
            if best is None:
                best, best_cost = f, c - self.min_saving
            elif c < best_cost:
                best, best_cost = f, c
            else:
                continue
            if bound:
                limit = best_cost + _BOUND_TOL * max(1.0, abs(best_cost))
        if (net.hold_mode is HoldMode.SPLIT and len(skus) > 1 and self.max_shipments > 1):
            split = self._best_split(order, state, best_cost, etas, known=known)
            if split is not None:
                return split
        if best is not None:
            return best
        return self._fallback.route(order, state)

    def _ends_as_optimal(self) -> bool:
        """True if the prices, the delivery estimates, the walk over the FCs, the calendar's
        settled answers and the split search are this class's, so that after the last shift
        with pickers (:attr:`StateView.picking_over`) every price of an order with a
        promise is ``inf`` and :meth:`route` answers the first FC holding it (a subclass or
        instance replacing any of them is asked as usual)."""
        cls = type(self)
        return self._prices_bounded() and self._walks_as_optimal() \
            and cls._settled is Optimal._settled and "_settled" not in self.__dict__

    def _walks_as_optimal(self) -> bool:
        """True if the walk over the FCs, the split search and the delivery estimates are
        this class's, whose answers :meth:`_settled` and the day's settled answers foresee
        (a subclass or instance replacing any of them gets them asked about every
        order)."""
        cls = type(self)
        return cls._route_priced is Optimal._route_priced \
            and cls._best_split is Optimal._best_split \
            and "_route_priced" not in self.__dict__ and "_best_split" not in self.__dict__ \
            and self._etas_as_optimal()

    def _etas_as_optimal(self) -> bool:
        """True if :meth:`order_etas` is this class's (the whole order's task hours, the
        ready margin on the pack), which the bounds with lateness assume
        (:meth:`StateView.whole_lower_bounds`, :meth:`StateView.queue_split_bound`)."""
        return type(self).order_etas is Optimal.order_etas and "order_etas" not in self.__dict__

    def _settled(self, order: OrderView, state: StateView, first: int, best: int,
                 cost: float, split: float) -> bool:
        """Whether :meth:`_route_priced` would answer ``best`` (see
        :meth:`StateView.calendar_choice`): the first and the best FC hold the order, so
        ``best`` is the cheapest holding it (the walk of :meth:`_route_priced` ends there:
        it moves on only to a strictly cheaper FC), and no split is searched or the split
        bound rules one out, as :meth:`_best_split` would find first."""
        skus, units = order.skus, order.units
        if not state.has_stock(first, skus, units) or (
                best != first and not state.has_stock(best, skus, units)):
            return False
        if len(skus) == 1 or self.max_shipments < 2 \
                or state.network.hold_mode is not HoldMode.SPLIT:
            return True
        return cost < math.inf and split > cost + _BOUND_TOL * max(1.0, abs(cost))

    def _route_priced(self, order: OrderView, state: StateView, row: Sequence[float]
                      ) -> Decision:
        """:meth:`route` given the order's whole-shipment cost at each FC (``estimate =
        "calendar"``): the cheapest FC holding it (the nearest or planned one keeps it
        unless another saves more than ``min_saving``), unless a split costs less (searched
        as :meth:`route` does, parts priced by :meth:`StateView.calendar_part_costs` where
        it can, the others behind the queues)."""
        skus, units = order.skus, order.units
        best, best_cost = None, math.inf
        has_stock = state.has_stock
        for f in planned_rank(order, state):
            if best is None:
                if has_stock(f, skus, units):
                    best, best_cost = f, row[f] - self.min_saving
            elif row[f] < best_cost and has_stock(f, skus, units):  # stock checked if cheaper
                best, best_cost = f, row[f]
        if (state.network.hold_mode is HoldMode.SPLIT and len(skus) > 1
                and self.max_shipments > 1):
            split = self._best_split(order, state, best_cost, calendar=True)
            if split is not None:
                return split
        if best is not None:
            return best
        return self._fallback.route(order, state)

    def _best_split(self, order: OrderView, state: StateView, to_beat: float,
                    etas: Sequence[Sequence[float]] | None = None, calendar: bool = False,
                    wave_h: float = 0.0, known: Sequence[float] | None = None
                    ) -> list[int] | None:
        """The cheapest assignment of lines to 2..max_shipments FCs, if cheaper than
        ``to_beat``.  ``etas``: :meth:`order_etas`, made here if not given.  ``calendar``:
        parts priced as :meth:`StateView.calendar_part_costs` prices them where it can
        (``estimate = "calendar"``; ``wave_h`` is passed on), the others with
        :meth:`price`.  ``known``: :meth:`StateView.queue_costs` of the order, if at hand:
        parts at the FCs where it gives a number are priced by
        :meth:`StateView.queue_part_costs` (the same prices as :meth:`price`'s)."""
        bound = self._prices_bounded()
        if bound and to_beat < math.inf:
            low = state.calendar_split_bound(order)  # (the same bound, for the block at once)
            if low is None:
                low = state.split_lower_bound(order.dest, order.skus, order.units)
            tol = _BOUND_TOL * max(1.0, abs(to_beat))
            if low > to_beat + tol:
                return None  # no split can cost less than to_beat (rounding allowed for)
            if calendar and self.max_shipments == 2:  # the same with the parts' prices
                pair = state.calendar_pair_bound(order, self.late_per_h, self.ready_margin_h,
                                                 wave_h)
                if pair is not None and pair > to_beat + tol:
                    return None
        oh = state.on_hand
        rank = state.network.fc_rank_lists[order.dest]
        holders = [[f for f in rank if oh[f, k] >= u] for k, u in
                   zip(order.skus, order.units, strict=True)]
        if any(not h for h in holders):
            return None
        rows: Sequence[Sequence[float]] | None = None
        if calendar:
            rows = state.calendar_part_costs(order, self.late_per_h, self.ready_margin_h,
                                             wave_h)
        if etas is None:
            etas = self.order_etas(order, state)
        if bound and rows is None and to_beat == math.inf and order.promise_h < math.inf \
                and all(min(etas[f]) == math.inf for f in {f for h in holders for f in h}):
            # no pickup left at any FC holding a line: with a promise every part costs inf
            # (late by inf hours), also as the day's table gives it behind the queues (the
            # same prices), so no part is priced (near the end of a run, where the queues
            # push orders past the last pickups); without one, landed_cost finds them on time
            return None
        if not calendar and known is not None and bound:
            if self.max_shipments == 2 and to_beat < math.inf and self._etas_as_optimal():
                # the same with bounds of the parts' prices behind the queues
                pair = state.queue_split_bound(order, self.late_per_h, self.ready_margin_h,
                                               wave_h)
                if pair is not None and pair > to_beat + _BOUND_TOL * max(1.0, abs(to_beat)):
                    return None
            rows = state.queue_part_costs(order, self.late_per_h, self.ready_margin_h,
                                          wave_h)
            if rows is not None:  # only at the FCs where the whole order's estimates hold
                # (those holding a line: no assignment searched uses another)
                off = [f for f in {f for h in holders for f in h} if known[f] != known[f]]
                if off:
                    rows = [[math.nan if f in off else c for f, c in enumerate(row)]
                            for row in rows]
        n_assign = math.prod(len(h) for h in holders)
        if rows is not None and self.max_shipments == 2 and n_assign <= self.max_assignments:
            found = _best_pair(holders, rows, to_beat)
            if found is not False:
                return found
        priced = None if rows is None else {  # (FC, lines) -> price, NaN left out
            (f, sub): c for sub, row in zip(line_subsets(len(holders)), rows, strict=True)
            for f, c in enumerate(row) if c == c}
        if n_assign <= min(self.max_assignments, _KEPT_ASSIGNMENTS):
            candidates = _split_candidates(tuple(map(tuple, holders)), self.max_shipments)
        elif n_assign <= self.max_assignments:
            candidates = _with_parts(list(product(*holders)), self.max_shipments)
        else:  # each line at the nearest FC holding it, within each FC set of 2..max
            candidates = _with_parts(
                [[next(f for f in h if f in chosen) if any(f in chosen for f in h)
                  else -1 for h in holders] for chosen in _fc_sets(rank, self.max_shipments)],
                self.max_shipments)
        memo: dict[Part, float] = {} if priced is None else priced  # (FC, lines) -> price
        bounds: dict[Part, float] = {}  # (FC, lines) -> lower bound
        # with the calendar's prices (all known but a few) bounds cost more than they save;
        # with those behind the queues, some FCs' parts may be priced here: a known price is
        # its own bound, the others are bounded
        bound_parts = bound and (priced is None or not calendar)
        best, best_cost = None, to_beat
        for assign, parts in candidates:
            if bound_parts and best_cost < math.inf:  # skip what cannot beat best_cost
                low = 0.0
                for part in parts:
                    b = memo.get(part)
                    if b is None:
                        b = bounds.get(part)
                    if b is None:
                        f, lines = part
                        b = bounds[part] = state.shipment_lower_bound(
                            f, [order.skus[j] for j in lines], [order.units[j] for j in lines],
                            order.dest)
                    low += b
                if low > best_cost + _BOUND_TOL * max(1.0, abs(best_cost)):
                    continue
            cost = 0.0
            for f, lines in parts:
                p = memo.get((f, lines))
                if p is None:
                    p = self.price(f, tuple(order.skus[j] for j in lines),
                                   tuple(order.units[j] for j in lines), order, state, etas[f])
                    memo[(f, lines)] = p
                cost += p
                if cost >= best_cost:
                    break
            else:
                best, best_cost = list(assign), cost
        return best


Part = tuple[int, tuple[int, ...]]
"""One shipment of a split: the FC and the order's line indices it ships."""


def _best_pair(holders: Sequence[Sequence[int]], rows: Sequence[Sequence[float]],
               to_beat: float) -> list[int] | Literal[False] | None:
    """:meth:`Optimal._best_split`'s answer for splits into two shipments, every line at an
    FC holding it (``holders[j]``, nearest first), from the price of every part (``rows``:
    by subset of the lines, in :func:`~sim.block_prices.line_subsets` order, and FC):
    the assignment of least cost below ``to_beat``, ties to the first in the order the
    search enumerates them (``itertools.product(*holders)``).  It walks the ways to split
    the lines in two and the FCs able to ship each half, instead of every assignment.
    ``False`` if a price it needs is NaN (the caller searches as usual)."""
    n = len(holders)
    held: dict[int, int] = {}  # FC -> bitmask of the lines it holds
    for j, h in enumerate(holders):
        for f in h:
            held[f] = held.get(f, 0) | 1 << j
    best: tuple[int, int, int] | None = None  # (lines at fa, fa, fb)
    best_cost = to_beat
    for mask, part, rest_mask, rest in _halves(n):
        at_a = [f for f, m in held.items() if m & mask == mask]
        if not at_a:
            continue
        at_b = [f for f, m in held.items() if m & rest_mask == rest_mask]
        row_a, row_b = rows[part], rows[rest]
        for fa in at_a:
            a = row_a[fa]
            if a != a:
                return False
            for fb in at_b:
                if fb == fa:
                    continue
                b = row_b[fb]
                if b != b:
                    return False
                c = a + b
                if c < best_cost or (c == best_cost and best is not None and _order_key(
                        holders, mask, fa, fb) < _order_key(holders, *best)):
                    best, best_cost = (mask, fa, fb), c
    if best is None:
        return None
    mask, fa, fb = best
    return [fa if mask >> j & 1 else fb for j in range(n)]


def _order_key(holders: Sequence[Sequence[int]], mask: int, fa: int, fb: int
               ) -> tuple[int, ...]:
    """The position of an assignment (lines of ``mask`` at ``fa``, the others at ``fb``)
    in ``itertools.product(*holders)`` order."""
    return tuple(h.index(fa if mask >> j & 1 else fb) for j, h in enumerate(holders))


@lru_cache(maxsize=16)
def _halves(n: int) -> tuple[tuple[int, int, int, int], ...]:
    """:func:`~sim.block_prices.line_halves` with each half's bitmask of lines: (mask of
    the half with line 0, its subset index, mask of the other, its index)."""
    subs = line_subsets(n)
    return tuple((_mask(subs[a]), a, _mask(subs[b]), b) for a, b in line_halves(n))


def _mask(lines: Sequence[int]) -> int:
    return sum(1 << j for j in lines)


def _with_parts(assignments: Sequence[Sequence[int]], most: int
                ) -> tuple[tuple[tuple[int, ...], tuple[Part, ...]], ...]:
    """The assignments of lines to FCs that use 2..``most`` FCs (none unassigned, ``-1``),
    in the given order, each with its parts in the order of ``set(assign)``, as the costs
    are summed."""
    out = []
    for assign in assignments:
        fcs = set(assign)
        if len(fcs) < 2 or len(fcs) > most or -1 in fcs:
            continue
        lines_of: dict[int, list[int]] = {}
        for j, g in enumerate(assign):
            lines_of.setdefault(g, []).append(j)
        out.append((tuple(assign), tuple((f, tuple(lines_of[f])) for f in fcs)))
    return tuple(out)


_KEPT_ASSIGNMENTS = 256
"""Patterns of at most this many assignments are kept (:func:`_split_candidates`), so the
cache stays under about 40 MB whatever ``max_assignments`` is."""


@lru_cache(maxsize=512)
def _split_candidates(holders: tuple[tuple[int, ...], ...], most: int
                      ) -> tuple[tuple[tuple[int, ...], tuple[Part, ...]], ...]:
    """:func:`_with_parts` of every assignment of each line to an FC holding it, in
    ``itertools.product`` order: they depend on nothing else, and orders share a few patterns
    (lines held everywhere, ranked by distance to the destination), so they are kept."""
    return _with_parts(list(product(*holders)), most)


_BOUND_TOL = 1e-6
"""Relative margin by which :meth:`StateView.split_lower_bound` must exceed the cost to beat
before the split search is skipped (the bound and the prices round differently)."""


class _OrderEtas(Sequence[list[float]]):
    """:meth:`Optimal.order_etas`, each FC's estimates made on first access."""

    __slots__ = ("_dest", "_margin", "_n_lines", "_n_units", "_out", "_state")

    def __init__(self, state: StateView, dest: int, n_lines: int, n_units: int,
                 margin: float) -> None:
        self._state, self._dest, self._margin = state, dest, margin
        self._n_lines, self._n_units = n_lines, n_units
        self._out: list[list[float] | None] = [None] * state.network.n_fcs

    def __len__(self) -> int:
        return len(self._out)

    def __getitem__(self, f: int) -> list[float]:  # type: ignore[override]
        hit = self._out[f]
        if hit is None:
            st = self._state
            pick_h, pack_h = st.task_hours(f, self._n_lines, self._n_units)
            hit = self._out[f] = st.etas(f, self._dest, pick_h, pack_h + self._margin)
        return hit


def _fc_sets(rank: Sequence[int], max_size: int) -> list[set[int]]:
    return [set(c) for size in range(2, min(max_size, len(rank)) + 1)
            for c in combinations(rank, size)]
