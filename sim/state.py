"""What a policy may see: the order being decided and a read-only view of the simulation.

Policies get views rather than the model so that a user's policy cannot corrupt the state it is
judged on (arrays are read-only numpy views), and so the model can change its internals without
breaking anyone's policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.network import Network

if TYPE_CHECKING:
    from sim.estimates import Estimates


class OrderView:
    """The order a routing policy is asked about.

    Attributes
    ----------
    id : int
        Order id (0, 1, ... in order of arrival).
    placed_h : float
        Time the order was placed, hours from the start of the run.
    channel : int
        Sales channel id (index into ``Network.channel_names``).
    dest : int
        Destination id (index into ``Network.dest_names``).
    skus, units : tuple of int
        SKU id and quantity of each order line (SKUs are distinct within an order).
    promise_h : float
        Delivery deadline (end of the promised day), hours from the start of the run.
    """

    __slots__ = ("channel", "dest", "id", "placed_h", "promise_h", "skus", "units")

    def __init__(self, id: int, placed_h: float, channel: int, dest: int,
                 skus: tuple[int, ...], units: tuple[int, ...], promise_h: float) -> None:
        self.id = id
        self.placed_h = placed_h
        self.channel = channel
        self.dest = dest
        self.skus = skus
        self.units = units
        self.promise_h = promise_h

    def __repr__(self) -> str:
        return (f"OrderView(id={self.id}, placed_h={self.placed_h:.3f}, dest={self.dest}, "
                f"skus={self.skus}, units={self.units})")


class StateView:
    """Read-only view of the simulation state, handed to policies.

    It holds the run's stock (read-only views of it) and its :class:`~sim.estimates.Estimates`
    (clock, labor pools and plans), never the model itself.
    """

    __slots__ = ("_blocks", "_env", "_est", "_net", "_on_hand", "_over_h", "_rows", "_wip")

    def __init__(self, estimates: Estimates, on_hand: np.ndarray,
                 on_hand_rows: Sequence[memoryview], wip: Sequence[int]) -> None:
        """``on_hand`` (FCs, SKUs) and ``on_hand_rows`` (its rows as memoryviews) are the
        model's live stock, ``wip`` its live count of unpacked shipments by FC."""
        self._est = estimates
        self._blocks = estimates.blocks
        self._env = estimates.env
        self._net = estimates.net
        self._over_h = estimates.picking_over_h
        ro = on_hand.view()
        ro.flags.writeable = False
        self._on_hand = ro
        self._rows = on_hand_rows
        self._wip = wip

    @property
    def now(self) -> float:
        """Current simulated time in hours."""
        return float(self._env.now)

    @property
    def network(self) -> Network:
        """The immutable network (distances, zones, catalog, FC parameters)."""
        return self._net

    @property
    def on_hand(self) -> np.ndarray:
        """Units on hand and not yet allocated, shape (FCs, SKUs); read-only."""
        return self._on_hand

    def has_stock(self, fc: int, skus: tuple[int, ...], units: tuple[int, ...]) -> bool:
        """True if FC ``fc`` can allocate every line (``skus``, ``units``) right now."""
        row = self._rows[fc]
        for k, u in zip(skus, units, strict=True):
            if row[k] < u:
                return False
        return True

    def first_with_stock(self, fcs: Sequence[int], skus: tuple[int, ...],
                         units: tuple[int, ...]) -> int:
        """The first FC of ``fcs`` that can allocate every line right now, or -1."""
        rows = self._rows
        if len(skus) == 1:  # most orders: one line
            k, u = skus[0], units[0]
            for f in fcs:
                if rows[f][k] >= u:
                    return f
            return -1
        lines = tuple(zip(skus, units, strict=True))
        for f in fcs:
            row = rows[f]
            for k, u in lines:
                if row[k] < u:
                    break
            else:
                return f
        return -1

    def wip(self, fc: int) -> int:
        """Shipments released to ``fc`` and not yet packed (queued or in process)."""
        return self._wip[fc]

    def pick_queue(self, fc: int) -> int:
        """Shipments waiting for a picker at ``fc``."""
        return len(self._est.pickers[fc].queue)

    def pickers_on_shift(self, fc: int) -> int:
        return self._est.pickers[fc].capacity

    def queued_hours(self, fc: int) -> tuple[float, float]:
        """Hours of pick work and of pack work waiting (not started) at ``fc``."""
        return self._est.queued_hours(fc)

    def labor_hours(self, fc: int, start_h: float, end_h: float) -> tuple[float, float]:
        """Picker-hours and packer-hours that ``fc``'s shift plan gives in
        ``[start_h, end_h)``."""
        return self._est.labor_hours(fc, start_h, end_h)

    @property
    def picking_over(self) -> bool:
        """True once the run's last shift with pickers at any FC has ended (by more than
        the wave clock's tolerance, 2e-6 h): from then on no shipment released is picked,
        so none is delivered, every :meth:`etas` is ``inf``, and so is every price this
        view gives (behind the queues or from the calendar) of an order with a promise."""
        return self._env.now >= self._over_h

    def task_hours(self, fc: int, n_lines: int, n_units: int) -> tuple[float, float]:
        """Mean pick and pack hours at ``fc`` of a shipment of ``n_lines`` lines and
        ``n_units`` units."""
        return self._est.task_hours(fc, n_lines, n_units)

    def ready_h(self, fc: int, pick_h: float, pack_h: float) -> float:
        """Estimated time a shipment of ``pick_h`` and ``pack_h`` hours released to ``fc`` now
        would be packed, behind the work already queued there, at the planned staffing."""
        return self._est.ready_h(fc, pick_h, pack_h)

    def delivery_h(self, fc: int, service: int, dest: int, ready_h: float) -> float:
        """Expected delivery of a parcel ready at ``ready_h`` at ``fc``, shipped with
        ``service`` to ``dest``: next pickup, then the service's transit by zone."""
        return self._est.delivery_h(fc, service, dest, ready_h)

    def etas(self, fc: int, dest: int, pick_h: float, pack_h: float) -> list[float]:
        """Expected delivery time by service of a shipment of ``pick_h`` and ``pack_h``
        hours released to ``fc`` now, for destination ``dest``."""
        return self._est.etas(fc, dest, pick_h, pack_h)

    def shipment_lower_bound(self, fc: int, skus: Sequence[int], units: Sequence[int],
                             dest: int) -> float:
        """A lower bound on the cost :meth:`landed_cost` gives these lines shipped whole from
        ``fc`` to ``dest``, lateness excluded (``-inf`` if none applies); see
        :meth:`sim.estimates.Estimates.shipment_lower_bound`."""
        return self._est.shipment_lower_bound(fc, skus, units, dest)

    def split_lower_bound(self, dest: int, skus: Sequence[int], units: Sequence[int]
                          ) -> float:
        """A lower bound on the landed cost (lateness excluded) of any split of the lines
        ``skus``, ``units`` to ``dest`` into two or more shipments (``-inf`` if none applies);
        see :meth:`sim.estimates.Estimates.split_lower_bound`."""
        return self._est.split_lower_bound(dest, skus, units)

    def whole_order_costs(self, orders: Sequence[OrderView], late_per_h: float,
                          margin_h: float) -> np.ndarray:
        """For many orders at once, shape (orders, FCs): each order's :meth:`landed_cost`
        shipped whole from each FC plus ``late_per_h`` per hour late, the delivery estimated
        with ``margin_h`` more pack time; stock not considered; NaN rows for orders to price
        one by one.  See :meth:`sim.estimates.Estimates.whole_order_costs`."""
        return self._est.whole_order_costs(orders, late_per_h, margin_h)

    def whole_lower_bounds(self, order: OrderView, late_per_h: float | None = None,
                           margin_h: float = 0.0) -> list[float] | None:
        """:meth:`shipment_lower_bound` of the whole order from each FC, worked out with the
        rest of its day's orders (the same numbers); ``None`` when not at hand so (use
        :meth:`shipment_lower_bound`).  With ``late_per_h``, a tighter bound on its
        :meth:`landed_cost` plus ``late_per_h`` per hour late (delivery estimated with
        ``margin_h`` more pack time), lateness included as the staffing calendar alone
        gives it.  See :meth:`sim.block_prices.BlockPrices.whole_bounds`."""
        return self._blocks.whole_bounds(order, late_per_h, margin_h)

    def calendar_costs(self, order: OrderView, late_per_h: float, margin_h: float,
                       wave_h: float = 0.0) -> list[float] | None:
        """The order's landed cost shipped whole from each FC plus ``late_per_h`` per hour
        late, with delivery estimated from the staffing calendar and pickups alone (work
        queued at the FCs ignored), ``margin_h`` added to the pack time; stock not considered.
        Cheap: the day's orders are priced together.  ``wave_h``: the order is released at
        the first of the waves every ``wave_h`` hours after it is placed, not when placed.
        ``None`` when the order cannot be priced so (then use :meth:`landed_cost`).  See
        :meth:`sim.block_prices.BlockPrices.whole`."""
        return self._blocks.whole(order, late_per_h, margin_h, wave_h)

    def calendar_choice(self, order: OrderView, late_per_h: float, margin_h: float,
                        first_saving: float) -> tuple[int, int, float, float] | None:
        """From :meth:`calendar_costs` (no waves), worked out for the order's whole day at
        once: ``(first, best, cost, split)``: the first FC of its distance rank, the FC of
        least cost with ``first_saving`` taken off the first's (the first in the rank among
        equals), that cost, and :meth:`calendar_split_bound` (NaN where that gives
        ``None``).  Stock not considered: among the FCs holding the order, ``best`` is the
        cheapest so whenever it and ``first`` hold it.  ``None`` where
        :meth:`calendar_costs` gives ``None`` or a NaN at some FC, or when the scenario
        plans which FC ships what (``[routing] assignment_file``).  See
        :meth:`sim.block_prices.BlockPrices.choice`."""
        return self._blocks.choice(order, late_per_h, margin_h, first_saving)

    def queue_costs(self, order: OrderView, late_per_h: float, margin_h: float,
                    wave_h: float = 0.0) -> Sequence[float] | None:
        """The order's landed cost shipped whole from each FC plus ``late_per_h`` per hour
        late, delivery estimated behind the work queued now with ``margin_h`` added to the
        pack time: what :meth:`landed_cost` with :meth:`etas` gives, the same floats, at
        the FCs where it is at hand cheaply (from the day's calendar prices, where the
        queues do not change which pickups the shipment makes), NaN at the others (use
        :meth:`landed_cost`); ``None`` when not at hand for any FC; stock not considered.
        ``wave_h``: the order is routed at the first of the waves every ``wave_h`` hours
        after it is placed, as for :meth:`calendar_costs`.  See
        :meth:`sim.block_prices.BlockPrices.queue_whole`."""
        return self._blocks.queue_whole(order, late_per_h, margin_h, wave_h)

    def queue_choice(self, order: OrderView, late_per_h: float, margin_h: float,
                     first_saving: float, split_searched: bool, tol: float,
                     pairs: bool = False) -> tuple[int, Sequence[float] | None]:
        """The FC :class:`~sim.policies.optimized.Optimal` (exact, routing the order as it is
        placed) answers, where the day's table settles it at once (``first_saving``:
        its ``min_saving``; ``split_searched``: whether it searches splits; ``tol``: its
        bound's tolerance; ``pairs``: it splits into two shipments at most, so
        :meth:`queue_split_bound` applies), with ``None``; else ``-1`` and
        :meth:`queue_costs` (with any check made kept in it).  See
        :meth:`sim.block_prices.BlockPrices.queue_choice`."""
        return self._blocks.queue_choice(order, late_per_h, margin_h, first_saving,
                                         split_searched, tol, self._rows, pairs)

    def queue_cost_rows(self, orders: Sequence[OrderView], late_per_h: float,
                        margin_h: float, wave_h: float = 0.0) -> np.ndarray:
        """:meth:`queue_costs` of many orders routed now, shape (orders, FCs): NaN where it
        gives NaN or ``None`` (use :meth:`whole_order_costs`).  See
        :meth:`sim.block_prices.BlockPrices.queue_rows`."""
        return self._blocks.queue_rows(orders, late_per_h, margin_h, wave_h)

    def queue_part_costs(self, order: OrderView, late_per_h: float, margin_h: float,
                         wave_h: float = 0.0) -> list[list[float]] | None:
        """What the parts of a split of the order cost behind the queues, each with the
        whole order's delivery estimates (as :class:`~sim.policies.optimized.Optimal`
        prices them), for each subset of its lines (in the order of
        :func:`sim.block_prices.line_subsets`) and FC: the same floats as
        :meth:`landed_cost` with the whole order's :meth:`etas`, but only at the FCs where
        :meth:`queue_costs` gives a number: the caller must leave the others aside (and
        price NaN with :meth:`landed_cost`); ``None`` when not at hand (also for an order
        without a promise, and while the checks against the queues lately failed too
        often); ``wave_h`` as for :meth:`queue_costs`.  See
        :meth:`sim.block_prices.BlockPrices.queue_parts`."""
        return self._blocks.queue_parts(order, late_per_h, margin_h, self._on_hand, wave_h)

    def queue_split_bound(self, order: OrderView, late_per_h: float, margin_h: float,
                          wave_h: float = 0.0) -> float | None:
        """A lower bound on what a split of the order into two shipments costs behind the
        queues, its parts priced as :meth:`queue_part_costs` prices them (``-inf`` if some
        part is priced otherwise; ``None`` when :meth:`queue_part_costs` gives ``None``,
        and at waves, ``wave_h`` > 0).  See
        :meth:`sim.block_prices.BlockPrices.queue_pair_bound`."""
        return self._blocks.queue_pair_bound(order, late_per_h, margin_h, self._on_hand,
                                             wave_h)

    def calendar_part_costs(self, order: OrderView, late_per_h: float, margin_h: float,
                            wave_h: float = 0.0) -> list[list[float]] | None:
        """What a split of the order costs part by part: for each subset of its lines (in
        the order of :func:`sim.block_prices.line_subsets`) the cost from each FC,
        estimated as :meth:`calendar_costs` estimates whole orders (NaN: not priced so,
        use :meth:`landed_cost`), ``wave_h`` as for :meth:`calendar_costs`; ``None`` when
        the order cannot be priced so.  See
        :meth:`sim.block_prices.BlockPrices.parts`."""
        return self._blocks.parts(order, late_per_h, margin_h, self._on_hand, wave_h)

    def calendar_cost_rows(self, orders: Sequence[OrderView], late_per_h: float,
                           margin_h: float, wave_h: float = 0.0) -> np.ndarray:
        """:meth:`calendar_costs` of many orders, shape (orders, FCs), NaN rows where it
        gives ``None``."""
        return self._blocks.whole_rows(orders, late_per_h, margin_h, wave_h)

    def calendar_split_bounds(self, orders: Sequence[OrderView]) -> np.ndarray:
        """:meth:`calendar_split_bound` of many orders (NaN where it gives ``None``)."""
        return self._blocks.split_bounds_of(orders)

    def calendar_pair_bound(self, order: OrderView, late_per_h: float, margin_h: float,
                            wave_h: float = 0.0) -> float | None:
        """A lower bound on the cost of splitting the order into two shipments priced by
        :meth:`calendar_part_costs` (``-inf`` if a part is priced otherwise, ``None`` when
        that gives ``None``).  See :meth:`sim.block_prices.BlockPrices.pair_bound`."""
        return self._blocks.pair_bound(order, late_per_h, margin_h, self._on_hand, wave_h)

    def calendar_split_bound(self, order: OrderView) -> float | None:
        """:meth:`split_lower_bound` of the order, computed with its block's other orders
        (the same bound, rounding aside); ``None`` when it is not at hand so (use
        :meth:`split_lower_bound`).  See :meth:`sim.block_prices.BlockPrices.split_bound`."""
        return self._blocks.split_bound(order)

    def landed_cost(self, fc: int, skus: tuple[int, ...], units: tuple[int, ...], dest: int,
                    promise_h: float, etas: Sequence[float] | None = None
                    ) -> tuple[float, float]:
        """Expected landed cost of shipping these lines from ``fc`` as one shipment (mean
        pick and pack labor at the FC's rate, cartons, postage of the service the scenario's
        shipping policy would choose), and the hours its expected delivery misses
        ``promise_h`` by (0 if on time).  Pass ``etas`` (from :meth:`etas`) to price several
        shipments from one FC with the same delivery estimates."""
        return self._est.landed_cost(fc, skus, units, dest, promise_h, etas)
