"""International orders in the model: orders going to destination groups outside the US
(``[international]``, see :class:`sim.scenario.International`).

:class:`InternationalProcesses` is a part of :class:`sim.model.FulfillmentModel` (a base class,
as :class:`sim.intake.IntakeProcesses` is).  Which orders go abroad, to which group, and how
long their customs clearance takes are drawn when the day's orders are placed, from a stream of
its own (:data:`INTERNATIONAL_STREAMS`: the other streams' draws are unchanged), three draws per
order whatever its fate: the same orders go abroad, to the same groups, whatever the routing
(common random numbers), and a scenario without ``[international]`` draws nothing and runs
exactly as before.

An order going abroad replaces the destination drawn for it by its group's destination
(``first_dest + g``, carrier zone ``9 + g``), and its promise gets the group's extra days.  It
is routed like any other order (to the FC nearest the group's representative point under the
nearest-FC policies), and its parcels can only travel with international services (domestic
services price zone ``9 + g`` at ``inf``, so the shipping policy never picks them).  When it is
picked up, the group's ``exception_probability`` replaces the service's, and its delivery comes
the order's customs clearance hours later.  Duties and taxes are ``duty_rate`` of the goods'
value (units x unit price) when that value is above the group's ``de_minimis``, else 0; the
shipper pays them when the channel promises delivered duty paid (``ddp`` in the
``international`` table), the customer otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.demand import service_factor
from sim.rng import stream

if TYPE_CHECKING:
    from sim.demand import DayOrders
    from sim.network import Network
    from sim.recorder import Recorder

INTERNATIONAL_STREAMS = ("international",)
"""Random stream of international orders (a new name: the other streams' draws are
unchanged)."""

INTERNATIONAL_TABLES = frozenset({"international"})

_COLS = ("time_h", "order_id", "group", "customs_h", "goods_value", "duties", "ddp",
         "return_label_cost")


def draw_international(net: Network, rng: np.random.Generator, blk: DayOrders
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The orders of ``blk`` going abroad (indices in the day), their group and their customs
    clearance hours (three uniforms per order, whatever its fate).  A replayed history that
    names groups (``@<group>`` destinations, :mod:`sim.scenario.replay`) decides itself which
    orders go abroad and where; otherwise they are drawn by channel share and group weight."""
    it = net.international
    assert it is not None
    u = rng.random((3, len(blk)))
    if net.replay is not None and net.replay.has_groups:  # the history says which and where
        abroad = np.flatnonzero(blk.dest >= it.first_dest)
        g = blk.dest[abroad] - it.first_dest
    else:
        abroad = np.flatnonzero(u[0] < it.channel_share[blk.channel])
        g = np.minimum(np.searchsorted(it.group_cum, u[1, abroad], side="right"),
                       len(it.group_names) - 1)
    customs = it.customs_mean_h[g].copy()
    for j in np.unique(g).tolist():  # one pass per group (its distribution and cv)
        code = int(it.customs_dist[j])
        if code != 0:
            m = g == j
            customs[m] *= service_factor(u[2, abroad[m]], code, float(it.customs_cv[j]))
    return abroad, g, customs


class InternationalProcesses:
    """International orders (see the module docstring)."""

    if TYPE_CHECKING:  # provided by FulfillmentModel
        net: Network
        rec: Recorder
        rngs: dict[str, np.random.Generator]
        replication: int

    def _init_international(self) -> None:
        # order id -> customs clearance hours (orders abroad only; empty: none)
        self._customs: dict[int, float] = {}
        self._intl_exc: list[np.ndarray] | None = None
        it = self.net.international
        if it is not None:
            self.rngs.update({n: stream(self.net.seed, n, self.replication)
                              for n in INTERNATIONAL_STREAMS})
            self._it_cols = [self.rec.cols["international"][c] for c in _COLS]
            self._intl_exc = list(it.exception_by_zone)

    def _abroad(self, blk: DayOrders, base: int, dest: np.ndarray, promise_h: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
        """The day's destinations and promises with the orders going abroad (one row each of
        the ``international`` table); ``base`` is the id of the day's first order."""
        net = self.net
        it = net.international
        assert it is not None
        abroad, g, customs = draw_international(net, self.rngs["international"], blk)
        if not len(abroad):
            return dest, promise_h
        dest, promise_h = dest.copy(), promise_h.copy()
        dest[abroad] = it.first_dest + g
        promise_h[abroad] += it.promise_extra_h[g]
        value_line = blk.line_units * net.sku_unit_price[blk.line_sku]
        value = np.add.reduceat(value_line, blk.line_ptr[:-1])[abroad] if len(value_line) \
            else np.zeros(len(abroad))
        duties = np.where(value > it.de_minimis[g], it.duty_rate[g] * value, 0.0)
        ddp = it.ddp[blk.channel[abroad]]
        label = np.where(np.isnan(it.return_label_cost[g]), net.returns.label_cost,
                         it.return_label_cost[g])
        ids = base + abroad
        for col, v in zip(self._it_cols, (blk.time_h[abroad], ids, g, customs, value, duties,
                                          ddp.astype(np.int64), label), strict=True):
            col.extend(np.asarray(v).astype(np.dtype(col.typecode)).tolist())
        self._customs.update(zip(ids.tolist(), customs.tolist(), strict=True))
        return dest, promise_h

    def _customs_hours(self, oid: np.ndarray) -> np.ndarray:
        """Customs clearance hours of each order (0 for domestic orders)."""
        get = self._customs.get
        return np.fromiter((get(o, 0.0) for o in oid.tolist()), np.float64, len(oid))
