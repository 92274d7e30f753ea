"""The ``wave`` routing policy: every few minutes the orders placed since the last wave are
routed jointly by :func:`optimize.routing.assign_wave`.

It prices orders as :class:`~sim.policies.optimized.Optimal` does (through
:class:`sim.state.StateView`) and holds no SimPy state: the model calls it at each wave.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import numpy as np

from optimize.routing import assign_wave
from sim.network import HoldMode
from sim.policies.base import Decision, checked_number
from sim.policies.builtin import planned_rank
from sim.policies.optimized import _BOUND_TOL, Optimal
from sim.state import OrderView, StateView

__all__ = ["Wave"]


class Wave:
    """Every ``interval_min`` minutes, the orders placed since the last wave go to FCs jointly.

    Each order goes whole to one FC (cost: :meth:`Optimal.price` with the delivery estimates
    of :meth:`Optimal.order_etas`, ready margin included, as ``optimal`` prices it), subject
    to the stock on hand at each FC (summed over the wave's orders) and to the labor each FC
    has in the next ``horizon_h`` hours after the work already queued there (hours beyond it
    cost ``overflow_cost_per_h``).  The assignment is solved (to optimality or a small proven
    gap: LP relaxation, rounding, local search) by
    :func:`optimize.routing.assign_wave`.  An order that a split into at most
    ``max_shipments`` ships for less than any whole shipment (by ``min_saving``) is split as
    :class:`Optimal` would, before the joint problem, whose stock it then reduces; orders the
    assignment cannot place whole (no FC holds them) are routed one by one like
    :class:`Optimal` (split, or hold).  Orders wait for their wave,
    which is the price of deciding jointly: compare it with ``optimal`` in the simulation.

    The model calls ``route_wave(orders, state)`` every ``wave_interval_h`` hours with the
    orders placed since the last wave; it returns one decision per order, or ``None`` for an
    order the model should offer to ``route`` alone once the wave's other orders are placed.

    Parameters
    ----------
    interval_min : float
        Minutes between waves.
    horizon_h : float
        Hours of labor capacity a wave may fill at each FC (from now).
    overflow_cost_per_h : float
        Cost per hour of work assigned beyond an FC's capacity in the horizon (the order
        waits longer there; the lateness it causes is not otherwise priced).
    late_penalty_per_day, max_shipments, min_saving : see :class:`Optimal` (here
        ``min_saving`` is added to the cost of every FC but the nearest holding the order).
    estimate : str
        ``"queues"`` (the default): each wave's orders are priced behind the work queued
        at each FC when the wave is routed (the prices the queues leave as the day's
        calendar prices assume them are taken from those, the same numbers, as
        :class:`Optimal` does).  ``"calendar"``: faster: as
        :class:`Optimal`'s ``"calendar"`` estimate, from the staffing calendar and pickups
        alone, each order as released at its wave, the day's orders priced together when
        placed (whole, and the parts of their splits).  Its speed, and its cost per order
        and on-time rate against the exact policy's over 10 seeds, are in
        ``benchmarks/README.md`` (``scenarios/experiments/wave_estimates.toml``).
    route_urgent : bool
        Route an order at once, alone (:meth:`route_now`), when waiting for the next wave
        would raise its expected landed cost at the FC that would ship it (it would miss a
        pickup and need a faster service, or arrive late).  Off by default: on the baseline
        (28 days, seeds 4-17, 10-minute waves) it changed neither the on-time rate (-0.052
        against -0.054 pp relative to ``nearest``) nor the cost per order measurably, and
        made the run 30 % slower (two more cost estimates per order).
    """

    def __init__(self, interval_min: float = 30.0, horizon_h: float = 8.0,
                 overflow_cost_per_h: float = 60.0, late_penalty_per_day: float = 25.0,
                 max_shipments: int = 2, min_saving: float = 0.0,
                 route_urgent: bool = False, estimate: str = "queues") -> None:
        self.wave_interval_h = checked_number("interval_min", interval_min, lo=0.5,
                                              hi=24 * 60) / 60.0
        self.horizon_h = checked_number("horizon_h", horizon_h, hi=24 * 365, lo_open=True)
        self.overflow_cost_per_h = checked_number("overflow_cost_per_h", overflow_cost_per_h)
        self.single = Optimal(max_shipments, late_penalty_per_day, min_saving=min_saving,
                              estimate=estimate)
        self.estimate = estimate
        self._calendar = estimate == "calendar"
        self.min_saving = self.single.min_saving
        if not isinstance(route_urgent, bool):
            raise ValueError(f"route_urgent must be true or false, got {route_urgent!r}")
        self.route_urgent = route_urgent

    route_is_pure = True  # ``route`` is its Optimal's (see Optimal.route_is_pure)

    def route(self, order: OrderView, state: StateView) -> Decision:
        """Held orders offered again (stock arrived), and urgent ones, are routed alone."""
        return self.single.route(order, state)

    def route_now(self, order: OrderView, state: StateView) -> bool:
        """True if the order should not wait for the next wave: at the first FC (nearest or
        planned) holding it, its expected landed cost if released when the next wave comes
        exceeds the cost if released now.  The wait is modelled as that much later a ready
        time (an upper bound: work queued there meanwhile would delay it less)."""
        if not self.route_urgent:
            return False
        f = state.first_with_stock(planned_rank(order, state), order.skus, order.units)
        if f < 0:
            return False
        iv = self.wave_interval_h
        wait_h = (math.floor(state.now / iv) + 1) * iv - state.now
        single = self.single
        pick_h, pack_h = state.task_hours(f, len(order.skus), sum(order.units))
        pack_h += single.ready_margin_h
        now = single.price(f, order.skus, order.units, order, state,
                           state.etas(f, order.dest, pick_h, pack_h))
        later = single.price(f, order.skus, order.units, order, state,
                             state.etas(f, order.dest, pick_h, pack_h + wait_h))
        return later > now + 1e-9

    def route_wave(self, orders: Sequence[OrderView],
                   state: StateView) -> list[Decision | None]:
        net = state.network
        n, F = len(orders), net.n_fcs
        single = self.single
        if state.picking_over and all(o.promise_h < math.inf for o in orders) \
                and single._ends_as_optimal():
            # no shipment released now is ever picked: every price below would be inf (late
            # by inf hours), no order assigned and no split found, so each is left to route()
            return [None] * n
        n_lines = np.fromiter((len(o.skus) for o in orders), np.int64, n)
        n_units = np.fromiter((sum(o.units) for o in orders), np.int64, n)
        ptr = np.concatenate(([0], np.cumsum(n_lines)))
        # mean pick + pack hours of each whole order at each FC
        pk, pc, nl, nu = net.pick_coef_h, net.pack_coef_h, n_lines[:, None], n_units[:, None]
        hours = pk[:, 0] + nl * pk[:, 1] + nu * pk[:, 2] + pc[:, 0] + nl * pc[:, 1] + nu * pc[:, 2]
        stock = np.array(state.on_hand)  # less what the splits below take
        line_sku = np.fromiter((k for o in orders for k in o.skus), np.int64, int(ptr[-1]))
        line_units = np.fromiter((u for o in orders for u in o.units), np.int64, int(ptr[-1]))
        can = _holds(stock, ptr, line_sku, line_units)  # (n, F): FC can ship it whole now
        if net.assigned_fc_lists is None:
            near = np.asarray(_first_holder(can, net.fc_rank[[o.dest for o in orders]]))
        else:
            near = np.array([state.first_with_stock(planned_rank(o, state), o.skus, o.units)
                             for o in orders], np.int64)
        # whole-order prices of the orders that can be priced together (the same numbers
        # as single.price); NaN rows are priced one by one
        bounded = single._prices_bounded()
        calendar = self._calendar and bounded
        late, margin, wave_h = single.late_per_h, single.ready_margin_h, self.wave_interval_h
        # the rows of queue_cost_rows that have a NaN, as its checks left them (the other
        # rows are whole's): the prices the split search below may take as at hand
        checked: dict[int, list[float]] = {}
        if calendar:
            whole = state.calendar_cost_rows(orders, late, margin, wave_h)
        elif bounded:  # from the day's table where the queues keep its pickups
            whole = state.queue_cost_rows(orders, late, margin, wave_h)
            redo = np.flatnonzero(np.isnan(whole).any(axis=1)).tolist()
            if redo:
                checked = dict(zip(redo, whole[redo].tolist(), strict=True))
                whole[redo] = state.whole_order_costs([orders[i] for i in redo], late, margin)
        else:
            whole = np.full((n, F), np.nan)
        # min_saving on every FC but the nearest holding the order; inf where it cannot ship
        extra = np.where(np.arange(F) == near[:, None], 0.0, self.min_saving)
        cost = np.where(can & (near >= 0)[:, None], whole + extra, math.inf)
        for i in np.flatnonzero(np.isnan(whole[:, 0]) & (near >= 0)).tolist():
            o, etas = orders[i], single.order_etas(orders[i], state)
            for f in np.flatnonzero(can[i]).tolist():
                cost[i, f] = single.price(f, o.skus, o.units, o, state, etas[f]) + extra[i, f]
        splits: dict[int, list[int]] = {}
        if net.hold_mode is HoldMode.SPLIT and single.max_shipments > 1:
            # a split that beats every whole shipment by min_saving is taken as Optimal
            # would take it, outside the joint problem (which ships orders whole)
            to_beat = cost.min(axis=1) - self.min_saving
            ask = (n_lines > 1) & (near >= 0)
            if bounded:  # skip what the split bound settles (as _best_split would)
                low = state.calendar_split_bounds(orders)
                ask &= ~((to_beat < math.inf) & (low > to_beat + _BOUND_TOL * np.maximum(
                    1.0, np.abs(to_beat))))
            for i in np.flatnonzero(ask).tolist():
                o = orders[i]
                # exact: parts priced from the day's table where the queues keep the pickups,
                # known from the wave's checks above instead of StateView.queue_costs (the
                # same numbers where both check; a row with none at hand passes None, where
                # queue_costs would give all NaN, and while the checks are refused the rows
                # are all NaN where queue_costs would check each FC: either way
                # _best_split then prices every part itself, since queue_part_costs refuses
                # its table under the same rule, BlockPrices._checks_hold; the same
                # decisions, only the work differs, and so do the checks counted)
                known = None
                if bounded and not calendar:
                    known = checked.get(i)
                    if known is None:
                        known = whole[i].tolist()
                    elif all(c != c for c in known):
                        known = None
                split = single._best_split(o, state, float(to_beat[i]), None, calendar, wave_h,
                                           known)
                if split is not None and all(stock[f, k] >= u for f, k, u in
                                             zip(split, o.skus, o.units, strict=True)):
                    splits[i] = split
                    cost[i] = math.inf
                    for f, k, u in zip(split, o.skus, o.units, strict=True):
                        stock[f, k] -= u
        now = state.now
        capacity = [0.0] * F
        for f in range(F):
            pick_h, pack_h = state.labor_hours(f, now, now + self.horizon_h)
            q_pick, q_pack = state.queued_hours(f)
            capacity[f] = max(0.0, pick_h - q_pick) + max(0.0, pack_h - q_pack)
        finite = cost[np.isfinite(cost)]
        unassigned = 10.0 * (float(finite.max()) if finite.size else 1.0) + 1000.0
        rate = self.overflow_cost_per_h
        fc = _cheapest_if_feasible(cost, hours, np.array(capacity), ptr, line_sku, line_units,
                                   stock, unassigned, rate > 0)
        if fc is None and rate > 0 and not any(capacity):  # no labor free at any FC
            fc = _least_with_overflow(cost, hours, rate, ptr, line_sku, line_units, stock,
                                      unassigned)
        if fc is None:  # the joint problem
            fc = assign_wave(cost, hours, np.array(capacity), ptr, line_sku, line_units,
                             np.maximum(stock, 0), overflow_cost_per_h=self.overflow_cost_per_h,
                             unassigned_cost=unassigned).fc.tolist()
        # None: the model asks route() for that order once the wave's others are placed
        out: list[Decision | None] = [int(f) if f >= 0 else None for f in fc]
        for i, split in splits.items():
            out[i] = split
        return out


def _cheapest_if_feasible(cost: np.ndarray, hours: np.ndarray, capacity: np.ndarray,
                          ptr: np.ndarray, line_sku: np.ndarray, line_units: np.ndarray,
                          stock: np.ndarray, unassigned: float, overflow_priced: bool
                          ) -> list[int] | None:
    """Each order's cheapest FC (``cost`` (orders, FCs); the first of equals; -1 where none
    costs at most ``unassigned``, the cost of leaving it for a later wave), if those choices
    together fit each FC's ``stock`` (FCs, SKUs) and, when overflow is priced, its labor
    ``capacity`` (``hours`` (orders, FCs); to :func:`assign_wave`'s tolerance): then they
    are :func:`assign_wave`'s answer (its ``"TRIVIAL"`` case: no assignment costs less),
    found without building its instance.  ``None`` otherwise.  Most waves are such."""
    if np.isnan(cost).any() or (cost == -math.inf).any():
        return None  # let assign_wave refuse it
    n = len(cost)
    best = cost.argmin(axis=1)
    chosen = np.where(cost[np.arange(n), best] <= unassigned, best, -1)
    line_fc = np.repeat(chosen, ptr[1:] - ptr[:-1])
    on = line_fc >= 0
    if on.any():  # the units each (FC, SKU) is asked for, against its stock
        key = line_fc[on] * stock.shape[1] + line_sku[on]
        order = np.argsort(key, kind="stable")  # (np.unique with bincount: twice the time)
        key = key[order]
        first = np.empty(len(key), bool)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        at = np.flatnonzero(first)
        units = np.add.reduceat(line_units[on][order], at)
        if (units > stock.reshape(-1)[key[at]]).any():
            return None
    if overflow_priced:
        idx = np.flatnonzero(chosen >= 0)
        load = np.bincount(chosen[idx], weights=hours[idx, chosen[idx]], minlength=len(capacity))
        if (load - capacity > _OVERFLOW_TOL_H).any():
            return None
    return cast(list[int], chosen.tolist())


_OVERFLOW_TOL_H = 1e-9
"""Load above capacity by less than this is no overflow (as in :mod:`optimize.routing`)."""


def _least_with_overflow(cost: np.ndarray, hours: np.ndarray, rate: float, ptr: np.ndarray,
                         line_sku: np.ndarray, line_units: np.ndarray, stock: np.ndarray,
                         unassigned: float) -> list[int] | None:
    """A wave in which no FC has labor free (every hour is overflow, at ``rate`` per hour):
    each order's FC of least ``cost + rate * hours`` (the first of equals; -1 where none
    costs at most ``unassigned``), if those choices together fit the ``stock``, as
    :func:`assign_wave` answers it without its LP (see ``docs/routing.md``); ``None``
    otherwise.  (Called when :func:`_cheapest_if_feasible` found no overflow-free answer:
    then, with every order's hours above the overflow tolerance, as task hours are, it is
    ``assign_wave``'s answer.)"""
    return _cheapest_if_feasible(cost + rate * hours, hours, np.zeros(len(stock)), ptr,
                                 line_sku, line_units, stock, unassigned, False)


def _holds(stock: np.ndarray, ptr: np.ndarray, line_sku: np.ndarray, line_units: np.ndarray
           ) -> np.ndarray:
    """For each order (lines ``ptr[i]:ptr[i + 1]``), whether each FC has every line in
    ``stock`` (FCs, SKUs), shape (orders, FCs): :meth:`StateView.has_stock` for a whole wave
    at once (an order without lines: everywhere)."""
    short = stock[:, line_sku] < line_units  # (F, lines)
    count = np.zeros((len(stock), len(line_sku) + 1), np.int64)
    np.cumsum(short, axis=1, out=count[:, 1:])
    return (count[:, ptr[1:]] == count[:, ptr[:-1]]).T


def _first_holder(holds: np.ndarray, rank: np.ndarray) -> list[int]:
    """For each order, the first FC of its ``rank`` row that :func:`_holds` says can ship
    it (``-1``: none), as :meth:`StateView.first_with_stock` finds it."""
    ranked = np.take_along_axis(holds, rank, axis=1)
    first = rank[np.arange(len(rank)), ranked.argmax(axis=1)]
    return cast(list[int], np.where(ranked.any(axis=1), first, -1).tolist())
