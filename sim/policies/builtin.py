"""Built-in routing policies."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from sim.network import HoldMode
from sim.policies.base import Decision, checked_number
from sim.state import OrderView, StateView


def fewest_shipments_split(order: OrderView, state: StateView, rank: Sequence[int],
                           max_shipments: int) -> list[int] | None:
    """Assign each line to an FC with stock, using the fewest FCs (then the nearest ones).

    FC sets are tried by size and, within a size, in lexicographic order of distance rank, so
    the first set that covers every line is a minimum split that prefers near FCs; each line
    then goes to the nearest FC of the set that holds it.  This is exact set cover, cheap for
    the handful of FCs a network has.  Returns ``None`` if no set of at most ``max_shipments``
    FCs covers the order.
    """
    oh = state.on_hand
    holders = [[f for f in rank if oh[f, k] >= u] for k, u in
               zip(order.skus, order.units, strict=True)]
    if any(not h for h in holders):
        return None
    for size in range(2, min(max_shipments, len(rank)) + 1):
        for combo in combinations(rank, size):
            chosen = set(combo)
            assignment = []
            for h in holders:
                f = next((f for f in h if f in chosen), None)
                if f is None:
                    break
                assignment.append(f)
            else:
                if len(set(assignment)) == size:
                    return assignment
    return None


class Nearest:
    """ShipBob's rule: the nearest FC that holds the whole order; else the fewest shipments.

    If no FC or set of at most ``max_shipments`` FCs can ship the order from stock, it is
    assigned to the nearest FC and goes on hold until stock arrives somewhere.  The scenario's
    stockout rule (``[hold] mode``) narrows this: ``reroute`` never splits, ``backorder``
    always waits at the nearest FC.
    """

    route_is_pure = True  # reads the state view only (see RoutingPolicy)

    def __init__(self, max_shipments: int = 10) -> None:
        self.max_shipments = int(checked_number("max_shipments", max_shipments, lo=1, hi=1000,
                                                integer=True))

    def rank(self, order: OrderView, state: StateView) -> tuple[int, ...]:
        """FCs in order of preference for ``order``: here nearest first."""
        return state.network.fc_rank_lists[order.dest]

    def route(self, order: OrderView, state: StateView) -> Decision:
        net = state.network
        rank = self.rank(order, state)
        mode = net.hold_mode
        if mode is HoldMode.BACKORDER:  # the scenario's stockout rule: wait at the first FC
            return rank[0]
        f = state.first_with_stock(rank, order.skus, order.units)
        if f >= 0:
            return f
        if mode is HoldMode.SPLIT and self.max_shipments > 1 and len(order.skus) > 1:
            split = fewest_shipments_split(order, state, rank, self.max_shipments)
            if split is not None:
                return split
        return rank[0]


def planned_rank(order: OrderView, state: StateView) -> tuple[int, ...]:
    """FCs in the order a plan prefers them for ``order``: the FC that
    ``Network.assigned_fc`` names for most of its units (ties: the nearer), then the others
    nearest first.  Without a plan (``[routing] assignment_file``) it is the distance rank."""
    net = state.network
    rank = net.fc_rank_lists[order.dest]
    plans = net.assigned_fc_lists
    if plans is None:
        return rank
    plan = plans[order.dest]
    if len(order.skus) == 1:
        planned = plan[order.skus[0]]
    else:
        units = [0] * net.n_fcs
        for k, u in zip(order.skus, order.units, strict=True):
            units[plan[k]] += u
        planned = max(rank, key=lambda f: units[f])  # first maximum: the nearer FC
    if planned == rank[0]:
        return rank
    return (planned, *(f for f in rank if f != planned))


class Assigned(Nearest):
    """Follow a plan: the FC that ``Network.assigned_fc`` names for the order's destination.

    The plan maps each destination-SKU pair to an FC (``[routing] assignment_file``, which
    ``fulfill optimize placement`` writes; nearest FC where it is silent).  An order goes to
    the FC planned for most of its units (ties: the nearer FC) if that FC holds all of it:
    the placement stocked and forecast each FC for the demand it plans there, so routing
    elsewhere would strand that stock and starve the FC it lands on.  Otherwise the order is
    routed as :class:`Nearest` does, with the planned FC tried first and held at if nothing
    can ship it.  Without a plan it is :class:`Nearest`.
    """

    route_is_pure = True  # reads the state view only (see RoutingPolicy)

    def rank(self, order: OrderView, state: StateView) -> tuple[int, ...]:
        """The planned FC first, then the others nearest first (:func:`planned_rank`)."""
        return planned_rank(order, state)


class NearestIgnoringStock:
    """Always the nearest FC; the order waits there if stock is short (no split, no re-route)."""

    route_is_pure = True  # reads the state view only (see RoutingPolicy)

    def route(self, order: OrderView, state: StateView) -> Decision:
        return int(state.network.fc_rank[order.dest, 0])


class LeastLoaded:
    """The FC with the fewest shipments in process among those holding the whole order.

    Ties go to the nearer FC; ``max_zone`` (optional) excludes FCs too far from the customer.
    Falls back to :class:`Nearest` when no eligible FC holds the whole order.
    """

    route_is_pure = True  # reads the state view only (see RoutingPolicy)

    def __init__(self, max_zone: int = 8, max_shipments: int = 10) -> None:
        self.max_zone = int(checked_number("max_zone", max_zone, lo=1, hi=8, integer=True))
        self._fallback = Nearest(max_shipments)

    def route(self, order: OrderView, state: StateView) -> Decision:
        net = state.network
        best, best_load = -1, 0
        for f in net.fc_rank_lists[order.dest]:
            if net.zone[f, order.dest] > self.max_zone:
                continue
            if state.has_stock(f, order.skus, order.units):
                load = state.wip(f)
                if best < 0 or load < best_load:
                    best, best_load = f, load
        if best >= 0:
            return best
        return self._fallback.route(order, state)
