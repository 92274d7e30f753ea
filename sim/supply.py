"""The model's inbound side: replenishment reviews and purchase orders, the receiving dock,
transfers between FCs and customer returns.

:class:`SupplyProcesses` is a part of :class:`sim.model.FulfillmentModel` (its base class),
kept apart because it is a seam: these processes change stock and the on-order and
in-inspection counts, and the outbound hot loop (routing, picking, packing, shipping) in
:mod:`sim.model` only reads them.
"""

from __future__ import annotations

import math
import reprlib
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.eventlog import Source, Status
from sim.network import DIST_CODES, Review
from sim.policies.base import PolicyError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import simpy

    from sim.network import Network
    from sim.policies.replenishment import ReplenishmentPolicy
    from sim.recorder import Recorder
    from sim.state import StateView

MAX_ORDER_UNITS = 10**9
"""Most units one purchase order may ask for (a policy asking for more has a bug)."""

TRANSFER_REVIEWS: dict[str, str | None] = {"none": None, "rebalance": "_rebalance"}
"""Transfer policies by name: the model's daily review that carries each one out (the
scenario schema lists the same names: ``Transfers.policy``)."""

_NEVER = -(2**62)
"""Reorder point of SKUs without continuous review: no position is ever that low."""


class SupplyProcesses:
    """Replenishment, receiving, transfers and returns (see the module docstring)."""

    if TYPE_CHECKING:  # provided by FulfillmentModel
        net: Network
        env: simpy.Environment
        rec: Recorder
        rngs: dict[str, np.random.Generator]
        state: StateView
        replenishment: list[ReplenishmentPolicy]
        on_hand: np.ndarray
        on_hand_rows: list[memoryview]
        on_order: list[list[int]]
        backordered: list[list[int]]
        in_inspection: list[list[int]]
        _n_fcs: int
        _sku_price: list[float]
        _start_day64: np.datetime64

        def _at(self, t: float, fn: Callable[[Any], None], value: Any = None) -> None: ...
        def _log(self, t: float, status: int, order: int, fc: int, shipment: int) -> None: ...
        def _retry_held(self, sku: int) -> None: ...

    def _init_replenishment(self) -> None:
        """One policy per SKU class; continuous review asks it when the position falls to its
        reorder point (never reached for periodic review or no replenishment)."""
        net, F = self.net, self._n_fcs
        self._cls = net.sku_class.tolist()
        self._reviews = tuple(
            Review(np.flatnonzero(net.sku_class == c), int(p.review_period_days),
                   spec.review_weekday, spec.review_hour)
            for c, (p, spec) in enumerate(zip(self.replenishment, net.repl_classes,
                                              strict=True))
            if p.review_period_days and (net.sku_class == c).any())
        self._trigger = [[_NEVER if (r := self.replenishment[c].reorder_point(f, k)) is None
                          else int(r) for k, c in enumerate(self._cls)] for f in range(F)]
        self._replenish = any(r > _NEVER for row in self._trigger for r in row)
        self._dock_booked: list[dict[int, int]] = [{} for _ in range(F)]  # day -> units
        # shipment -> its lines that the customer will send back once delivered
        self._to_return: dict[int, list[tuple[int, int]]] = {}
        # (FC, day) -> returns reaching the FC's dock that day: (shipment, order, lines)
        self._return_bucket: dict[tuple[int, int], list[tuple[int, int,
                                                              list[tuple[int, int]]]]] = {}

    def _review_all(self) -> None:
        """Start of the run: continuous review of every FC and SKU, and the periodic reviews'
        calendars."""
        net = self.net
        if self._replenish:
            for f in range(self._n_fcs):
                for k in range(net.n_skus):
                    self._review(f, k)
        for i, rv in enumerate(self._reviews):
            self._at(self._next_review(rv, 0.0), self._periodic, i)
        review = TRANSFER_REVIEWS[net.transfers.policy]
        if review is not None:
            self._at(net.transfers.review_hour, getattr(self, review))

    def _next_review(self, rv: Review, after_h: float) -> float:
        """First review time at or after ``after_h`` (hours): on the review's weekday if the
        period is a whole number of weeks, else on the first day (a daily review starts at
        once, not on the next Monday)."""
        day = int(after_h // 24)
        weekly = rv.period_days % 7 == 0
        while True:
            t = 24.0 * day + rv.hour
            if (not weekly or self.net.weekday(day) == rv.weekday) and t >= after_h:
                return t
            day += 1

    def _position(self, f: int, k: int) -> int:
        return self.on_hand_rows[f][k] + self.on_order[f][k] - self.backordered[f][k]

    def _quantity(self, f: int, k: int, position: int) -> int:
        """Units the SKU's policy orders at inventory position ``position`` (0: none)."""
        policy = self.replenishment[self._cls[k]]
        qty = policy.order_quantity(f, k, position, self.state)
        if type(qty) is not int or not 0 <= qty <= MAX_ORDER_UNITS:
            if not isinstance(qty, int | np.integer) or isinstance(qty, bool) \
                    or not 0 <= qty <= MAX_ORDER_UNITS:
                spec = self.net.repl_classes[self._cls[k]]
                raise PolicyError(
                    f"{spec.origin or '<scenario>'}: field '{spec.field}': replenishment "
                    f"policy '{spec.policy}' returned {reprlib.repr(qty)} from order_quantity "
                    f"for FC {f}, SKU {k}; expected whole units from 0 to {MAX_ORDER_UNITS:,}")
            qty = int(qty)
        return qty

    def _review(self, f: int, k: int) -> None:
        """Continuous review: the position fell to the trigger, ask the policy."""
        position = self._position(f, k)
        if position <= self._trigger[f][k]:
            qty = self._quantity(f, k, position)
            if qty > 0:
                self._order(f, k, qty)

    def _periodic(self, i: int) -> None:
        """A periodic review of one SKU class at every FC."""
        rv = self._reviews[i]
        self._at(self.env.now + 24.0 * rv.period_days, self._periodic, i)
        for f in range(self._n_fcs):
            for k in rv.skus.tolist():
                qty = self._quantity(f, k, self._position(f, k))
                if qty > 0:
                    self._order(f, k, qty)

    def _order(self, f: int, k: int, qty: int) -> None:
        """Place a purchase order with the SKU's supplier (MOQ, case pack, lead time)."""
        net = self.net
        j = int(net.sku_supplier[k])
        if j < 0:
            return
        sup = net.suppliers[j]
        qty = max(qty, sup.moq_units)
        qty = -(-qty // sup.case_pack) * sup.case_pack
        now = self.env.now
        lt = sup.lead_time_mean_days
        if sup.lead_time_dist != 0 and lt > 0:  # a mean-one factor with the supplier's cv
            cv2 = sup.lead_time_cv ** 2
            if sup.lead_time_dist == DIST_CODES["gamma"]:
                lt *= float(self.rngs["supply"].gamma(1.0 / cv2, cv2))
            else:  # lognormal
                s2 = math.log1p(cv2)
                lt *= float(self.rngs["supply"].lognormal(-s2 / 2, math.sqrt(s2)))
        if sup.business_days:
            day = int(now // 24)
            date = self._start_day64 + np.timedelta64(day, "D")
            to = np.busday_offset(date, math.ceil(lt - 1e-9), roll="forward")
            due = now + 24.0 * float((to - date) / np.timedelta64(1, "D"))
        else:
            due = now + 24.0 * lt
        self.on_order[f][k] += qty
        po = self.rec.cols["purchase_orders"]
        po_id = len(po["time_h"])
        for c, v in (("time_h", now), ("fc", f), ("sku", k), ("units", qty), ("supplier", j),
                     ("due_h", due), ("cost", qty * float(net.sku_unit_cost[k])
                                      + sup.fixed_cost_per_po)):
            po[c].append(v)
        self._at(due, self._dock, (f, k, qty, po_id))

    def _dock(self, value: tuple[int, int, int, int]) -> None:
        """A purchase order reaches the FC's dock: received as the daily capacity allows (first
        come, first served), each part available after put-away."""
        f, k, qty, po_id = value
        cap = int(self.net.receiving_units_per_day[f])
        putaway = float(self.net.putaway_h[f])
        now = self.env.now
        if cap <= 0:
            self._at(now + putaway, self._receive, (f, k, qty, Source.SUPPLIER, po_id))
            return
        booked = self._dock_booked[f]
        day, t, left = int(now // 24), now, qty
        while left > 0:
            take = min(left, cap - booked.get(day, 0))
            if take > 0:
                booked[day] = booked.get(day, 0) + take
                left -= take
                self._at(t + putaway, self._receive, (f, k, take, Source.SUPPLIER, po_id))
            day += 1
            t = 24.0 * day

    def _receive(self, value: tuple[int, int, int, int, int]) -> None:
        f, k, qty, kind, ref = value
        if kind != Source.RETURN:
            self.on_order[f][k] -= qty
        else:
            self.in_inspection[f][k] -= qty
        self.on_hand_rows[f][k] += qty
        r = self.rec.cols["receipts"]
        for c, v in (("time_h", self.env.now), ("fc", f), ("sku", k), ("units", qty),
                     ("kind", int(kind)), ("ref", ref)):
            r[c].append(v)
        self._retry_held(k)

    def _rebalance(self, _: Any = None) -> None:
        """Daily transfer review: FCs short of a SKU get it from the FC with most to spare."""
        net, tr = self.net, self.net.transfers
        self._at(self.env.now + 24.0, self._rebalance)
        fc_demand = net.forecast_units_per_day
        on_hand = self.on_hand
        position = on_hand + np.asarray(self.on_order) - np.asarray(self.backordered)
        need = np.where(position < tr.trigger_days * fc_demand,
                        np.ceil(tr.target_days * fc_demand) - position, 0).astype(np.int64)
        spare = np.maximum(on_hand - np.ceil(tr.donor_keep_days * fc_demand), 0).astype(np.int64)
        now = self.env.now
        arrive = now + 24.0 * tr.lead_time_days
        tcols = self.rec.cols["transfers"]
        for k in np.flatnonzero((need > 0).any(axis=0) & (spare > 0).any(axis=0)).tolist():
            for to in np.argsort(-need[:, k], kind="stable").tolist():
                want = int(need[to, k])
                while want > 0:
                    frm = int(np.argmax(spare[:, k]))
                    qty = min(want, int(spare[frm, k]))
                    if qty <= 0 or frm == to:
                        break
                    spare[frm, k] -= qty
                    want -= qty
                    self.on_hand_rows[frm][k] -= qty
                    self.on_order[to][k] += qty
                    t_id = len(tcols["time_h"])
                    for c, v in (("time_h", now), ("from_fc", frm), ("to_fc", to), ("sku", k),
                                 ("units", qty), ("arrive_h", arrive),
                                 ("cost", qty * tr.cost_per_unit)):
                        tcols[c].append(v)
                    self._at(arrive, self._receive, (to, k, qty, Source.TRANSFER, t_id))
                    if self._replenish and self._position(frm, k) <= self._trigger[frm][k]:
                        self._review(frm, k)

    def _returns_dock(self, value: tuple[int, int]) -> None:
        """The day's returns reach FC ``f`` with the inbound carrier: customers are refunded,
        each unit is inspected, then restocked (all at once, ``restock_after_h`` later) or
        written off."""
        f, day = value
        batch = self._return_bucket.pop((f, day))
        ret = self.net.returns
        now = self.env.now
        ready = now + ret.restock_after_h
        cols = self.rec.cols["returns"]
        rng = self.rngs["restock"]
        units = [u for _, _, lines in batch for _, u in lines]
        back = rng.binomial(units, ret.restock_probability).tolist()
        restock: dict[int, int] = {}
        i = 0
        for sid, oid, lines in batch:
            self._log(now, Status.RETURNED, oid, f, sid)
            for k, u in lines:
                b = back[i]
                i += 1
                for c, v in (("time_h", now), ("shipment_id", sid), ("order_id", oid),
                             ("fc", f), ("sku", k), ("units", u), ("restocked", b),
                             ("written_off", u - b), ("refund", u * self._sku_price[k])):
                    cols[c].append(v)
                if b:
                    restock[k] = restock.get(k, 0) + b
                    self.in_inspection[f][k] += b
        for k, b in sorted(restock.items()):
            self._at(ready, self._receive, (f, k, b, Source.RETURN, -1))


def in_stock_somewhere(rows: Sequence[memoryview], skus: Sequence[int],
                        units: Sequence[int]) -> bool:
    """True if every line (``skus``, ``units``) is on hand in full at some FC (``rows``: on
    hand by FC): else no routing decision can release the order now."""
    for k, u in zip(skus, units):  # noqa: B905  (an order's lines: equal lengths)
        for row in rows:
            if row[k] >= u:
                break
        else:
            return False
    return True
