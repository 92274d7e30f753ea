"""Order errors in the model: mis-picks and the pack-station check, wrong addresses, damage in
transit, and the reships, replacements and returns that follow (``[quality]``, see
:class:`sim.scenario.Quality`).

:class:`QualityProcesses` is a part of :class:`sim.model.FulfillmentModel` (a base class, as
:class:`sim.supply.SupplyProcesses` is).  Everything random is drawn when the order is placed,
a day at a time, from streams of its own (:data:`QUALITY_STREAMS`), so the same orders meet
the same errors whatever the routing (common random numbers) and a scenario without errors
draws nothing and runs exactly as before.  The model calls three hooks:

* :meth:`~QualityProcesses._draw_quality` when the day's orders are placed: which lines are
  mis-picked and caught, whether the address is wrong (corrected in transit or returned to
  sender), and a uniform that decides damage once the service is known (one per order: the
  shipments of a split order share its address and its damage draw);
* :meth:`~QualityProcesses._quality_release` when a shipment is released: the re-pick and scan
  labor, the lines that ship wrong;
* :meth:`~QualityProcesses._quality_transit` at the carrier pickup: delays, returns to sender,
  damage, and the reships, replacements and wrong-item returns they cause.

Units: a mis-picked line ships units taken from the ordered SKU's stock (a look-alike kept in
the same location: the catalog has no separate SKU for it); they come back to the FC and are
restocked (``wrong_item_restock_probability``) or written off.  A damaged parcel's units are
written off.  A parcel returned to sender comes back unopened: its units are restocked.
Reships and replacements are new shipments of the same order (allocated from stock at the FC
that shipped, else the nearest FC with all of it, else retried a day later); they are assumed
free of errors, and the customer returns nothing of an order whose parcel was damaged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from sim.eventlog import Issue, Source, Status
from sim.rng import stream

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import simpy

    from sim.network import Network
    from sim.recorder import Recorder
    from sim.state import OrderView

QUALITY_STREAMS = ("mispick", "address", "damage", "quality_restock")
"""Random streams of order errors (new names: the other streams' draws are unchanged)."""

QUALITY_TABLES = frozenset({"quality_lines", "quality_shipments"})

ADDRESS_OK, ADDRESS_CORRECTED, ADDRESS_RTS = 0, 1, 2


class OrderErrors(NamedTuple):
    """What will go wrong with an order, drawn when it is placed."""

    wrong: dict[int, int] | None  # SKU -> units of a mis-picked line that ships wrong
    caught: dict[int, int] | None  # SKU -> units of a mis-picked line caught at the check
    address: int  # ADDRESS_OK, ADDRESS_CORRECTED or ADDRESS_RTS
    damage_u: float  # damaged in transit if below the service's damage probability


class QualityProcesses:
    """Order errors (see the module docstring)."""

    if TYPE_CHECKING:  # provided by FulfillmentModel and SupplyProcesses
        net: Network
        env: simpy.Environment
        rec: Recorder
        rngs: dict[str, np.random.Generator]
        replication: int
        on_hand_rows: list[memoryview]
        in_inspection: list[list[int]]
        n_shipments: int
        _sl_n: int
        _to_return: dict[int, list[tuple[int, int]]]

        def _at(self, t: float, fn: Callable[[Any], None], value: Any = None) -> None: ...
        def _receive(self, value: tuple[int, int, int, int, int]) -> None: ...
        def _ship(self, view: OrderView, f: int, skus: Sequence[int], units: Sequence[int],
                  placed: Any, held: bool) -> None: ...

    def _init_quality(self) -> None:
        # shipment -> (its order's errors, lines shipped wrong, order view, placed record)
        self._q_ship: dict[int, tuple[OrderErrors, list[tuple[int, int]], OrderView, Any]] = {}
        if self.net.quality is not None:
            net = self.net
            self.rngs.update({n: stream(net.seed, n, self.replication) for n in QUALITY_STREAMS})
            self._ql = self.rec.cols["quality_lines"]
            self._qs = self.rec.cols["quality_shipments"]

    def _draw_quality(self, n: int, n_lines: np.ndarray, line_sku: np.ndarray,
                      line_units: np.ndarray) -> list[OrderErrors]:
        """The errors of the day's ``n`` orders (a fixed number of draws per line and order,
        whatever their outcome)."""
        qs = self.net.quality
        assert qs is not None
        u = self.rngs["mispick"].random((2, len(line_sku)))
        mis = u[0] < qs.sku_mispick[line_sku]
        caught = mis & (u[1] < qs.catch_share)
        a = self.rngs["address"].random((2, n))
        address = np.where(a[0] < qs.address_error,
                           np.where(a[1] < qs.address_corrected_share, ADDRESS_CORRECTED,
                                    ADDRESS_RTS), ADDRESS_OK).tolist()
        damage = self.rngs["damage"].random(n).tolist()
        wrong: list[dict[int, int] | None] = [None] * n
        fixed: list[dict[int, int] | None] = [None] * n
        owner = np.repeat(np.arange(n), n_lines)
        for sel, out in ((mis & ~caught, wrong), (caught, fixed)):
            for i, k, units in zip(owner[sel].tolist(), line_sku[sel].tolist(),
                                   line_units[sel].tolist(), strict=True):
                d = out[i]
                if d is None:
                    d = out[i] = {}
                d[k] = d.get(k, 0) + units
        return list(map(OrderErrors, wrong, fixed, address, damage))

    def _line_row(self, t: float, oid: int, sid: int, issue: Issue, k: int, u: int,
                  restocked: int = 0, written_off: int = 0) -> None:
        for c, v in (("time_h", t), ("order_id", oid), ("shipment_id", sid),
                     ("issue", int(issue)), ("sku", k), ("units", u), ("restocked", restocked),
                     ("written_off", written_off)):
            self._ql[c].append(v)

    def _ship_row(self, t: float, oid: int, sid: int, issue: Issue, ref: int = -1,
                  fee: float = 0.0) -> None:
        for c, v in (("time_h", t), ("order_id", oid), ("shipment_id", sid),
                     ("issue", int(issue)), ("ref", ref), ("fee", fee)):
            self._qs[c].append(v)

    def _quality_release(self, sid: int, view: OrderView, placed: Any, skus: Sequence[int],
                         units: Sequence[int], pick_h: float, pack_h: float
                         ) -> tuple[float, float]:
        """Shipment ``sid`` is released: the pick and pack hours it takes with re-picks and
        the pack check, and the lines it will ship wrong."""
        qs = self.net.quality
        q: OrderErrors = placed.quality
        assert qs is not None
        now, oid = self.env.now, view.id
        lines = dict.fromkeys(skus)  # each SKU once (an order's lines name distinct SKUs)
        if q.caught is not None:
            for k in lines:
                if k in q.caught:
                    self._line_row(now, oid, sid, Issue.MISPICK_CAUGHT, k, q.caught[k])
                    pick_h += qs.repick_h_per_line
        pack_h += qs.scan_h_per_unit * sum(units)
        wrong = []
        if q.wrong is not None:
            wrong = [(k, q.wrong[k]) for k in lines if k in q.wrong]
            for k, u in wrong:
                self._line_row(now, oid, sid, Issue.MISPICK_SHIPPED, k, u)
            back = self._to_return.get(sid)
            if back is not None and wrong:  # the customer sends the wrong item back instead
                left = [(k, u) for k, u in back if k not in q.wrong]
                if left:
                    self._to_return[sid] = left
                else:
                    del self._to_return[sid]
        self._q_ship[sid] = (q, wrong, view, placed)
        return pick_h, pack_h

    def _quality_transit(self, ids: np.ndarray, oid: np.ndarray, t: np.ndarray,
                         status: np.ndarray, exception: np.ndarray, f: int, s: int
                         ) -> np.ndarray:
        """Parcels just picked up at FC ``f`` with service ``s``: wrong addresses delay their
        delivery (``t``, changed in place) or send them back (``status``), damage and wrong
        lines lead to reships.  Returns the parcels whose voluntary returns never happen."""
        qs = self.net.quality
        assert qs is not None
        now, horizon = self.env.now, self.net.horizon_h
        gone = exception.copy()
        for j, sid in enumerate(ids.tolist()):
            entry = self._q_ship.pop(sid, None)
            if entry is None or exception[j]:
                continue
            q, wrong, view, placed = entry
            o = int(oid[j])
            if q.address == ADDRESS_CORRECTED:
                t[j] += qs.correction_delay_h
                self._ship_row(now, o, sid, Issue.ADDRESS_CORRECTED,
                               fee=float(qs.service_correction_fee[s]))
            elif q.address == ADDRESS_RTS:
                back = float(t[j] + (t[j] - now))  # as long again as the way out
                t[j] = back
                status[j] = int(Status.RETURNED_TO_SENDER)
                gone[j] = True
                if back <= horizon:
                    self._at(back, self._rts_back, (sid, o, f, s, view, placed))
                continue
            lines = self._lines(sid)
            arrive = float(t[j])
            if q.damage_u < qs.service_damage[s]:
                gone[j] = True
                if arrive <= horizon:
                    self._ship_row(arrive, o, sid, Issue.DAMAGED)
                    for k, u in lines:
                        self._line_row(arrive, o, sid, Issue.DAMAGED, k, u, 0, u)
                self._later(arrive + qs.contact_h, (o, f, lines, sid, view, placed))
            elif wrong:
                self._later(arrive + qs.contact_h, (o, f, wrong, sid, view, placed))
                if arrive + qs.wrong_back_h <= horizon:
                    self._at(arrive + qs.wrong_back_h, self._wrong_back, (sid, o, f, wrong))
        return gone

    def _later(self, t: float, value: tuple[Any, ...]) -> None:
        if t < self.net.horizon_h:
            self._at(t, self._reship, value)

    def _restock(self, f: int, k: int, u: int, sid: int) -> None:
        """Units back at FC ``f`` go straight into stock (a receipt of kind ``RETURN``)."""
        self.in_inspection[f][k] += u
        self._receive((f, k, u, int(Source.RETURN), sid))

    def _rts_back(self, value: tuple[int, int, int, int, Any, Any]) -> None:
        """A parcel returned to sender is back at its FC: its units are restocked and the
        order is reshipped to the corrected address."""
        sid, oid, f, s, view, placed = value
        qs = self.net.quality
        assert qs is not None
        now = self.env.now
        self._ship_row(now, oid, sid, Issue.RETURN_TO_SENDER, fee=float(qs.service_rts_fee[s]))
        lines = self._lines(sid)
        for k, u in lines:
            self._line_row(now, oid, sid, Issue.RETURN_TO_SENDER, k, u, u, 0)
            self._restock(f, k, u, sid)
        self._reship((oid, f, lines, sid, view, placed))

    def _wrong_back(self, value: tuple[int, int, int, list[tuple[int, int]]]) -> None:
        """The wrong units of a mis-picked shipment are back at its FC."""
        sid, oid, f, wrong = value
        qs = self.net.quality
        assert qs is not None
        now = self.env.now
        rng = self.rngs["quality_restock"]
        for k, u in wrong:
            b = int(rng.binomial(u, qs.wrong_restock_probability))
            self._line_row(now, oid, sid, Issue.WRONG_ITEM_BACK, k, u, b, u - b)
            if b:
                self._restock(f, k, b, sid)

    def _reship(self, value: tuple[int, int, list[tuple[int, int]], int, Any, Any]) -> None:
        """Send ``lines`` of order ``oid`` again, replacing shipment ``ref``: from FC ``f`` if
        it has them all, else from the nearest FC that does, else try again a day later."""
        oid, f, lines, ref, view, placed = value
        rows = self.on_hand_rows
        net = self.net
        for g in (f, *net.fc_rank_lists[view.dest]):
            if all(rows[g][k] >= u for k, u in lines):
                break
        else:
            self._later(self.env.now + 24.0, value)
            return
        skus = [k for k, _ in lines]
        units = [u for _, u in lines]
        self._ship(view, g, skus, units, placed._replace(quality=None, returns=None), True)
        self._ship_row(self.env.now, oid, self.n_shipments - 1, Issue.RESHIP, ref=ref)


    def _lines(self, sid: int) -> list[tuple[int, int]]:
        """The lines (SKU, units) of shipment ``sid``: those written for it (a shipment's
        lines are written together, in order of shipment id), or if none were, its order's
        (it carries the whole order, see :mod:`sim.recorder`)."""
        big = self.rec.big
        sl = big["shipment_lines"]
        ids = sl["shipment_id"].buf[:self._sl_n]
        lo = int(np.searchsorted(ids, sid, side="left"))
        hi = int(np.searchsorted(ids, sid, side="right"))
        if hi == lo:
            sl = big["order_lines"]
            lo, hi = self.rec.order_lines_of(int(big["shipments"]["order_id"].buf[sid]))
        return list(zip(sl["sku"].buf[lo:hi].tolist(), sl["units"].buf[lo:hi].tolist(),
                        strict=True))
