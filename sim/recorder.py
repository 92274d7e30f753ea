"""What a run writes while it is in progress: growable columns for the tables of
:data:`sim.eventlog.SCHEMA`, and the status changes kept packed.

The large tables (one or more rows per order) are numpy columns in anonymous memory reserved
up front from the expected order count (:class:`Column`: pages are only resident once
written, so a generous reservation costs nothing and the columns never move or leave holes in
the heap); the small tables are :class:`array.array` buffers.  Both become numpy arrays without
copying when the run ends.

The ``events`` table is not kept row by row (18 bytes an event).  Nearly all of its rows are
implied by other tables or shared by a whole batch, so :class:`EventRecorder` keeps segments
in the order they were written (:class:`PackedEvents`):

- the day's ``PLACED`` events: nothing per order (time, order and the -1s are the orders'
  own rows);
- a carrier pickup: the ids of the shipments it takes (4 bytes each) and, per shipment, one
  byte coding its delivery time, delivery status and whether that event falls inside the
  horizon, against the pickup's few distinct delivery times; its time, FC and orders are the
  pickup's and the shipments' own (a pickup whose shipments have too many distinct delivery
  times keeps them as they are);
- anything else (holds, releases, returns, cancellations, intake reviews): as it is.

Other tables are kept packed too: a shipment that carries a whole order writes no lines of its
own (:class:`PackedShipmentLines`), lines carry no order id (:class:`PackedOrderLines`),
shipments no line or unit counts (:class:`PackedShipments`), and labels are codes into the
run's dictionary of price combinations (:class:`LabelRecorder`).  Each packed table's
``columns`` gives back the table exactly as written, row for row, bit for bit (the event logs
are compared table by table in ``benchmarks/eventlog_digest.py``); an
:class:`~sim.eventlog.EventLog` unpacks a table on first use.
"""

from __future__ import annotations

import array
import bisect
import math
import mmap
from typing import Any

import numpy as np

from sim.eventlog import OPTIONAL_TABLES, SCHEMA, EventLog, Status

ROWS_PER_ORDER: dict[str, float] = {"orders": 1.5, "order_lines": 4.0, "shipments": 2.0,
                                    "shipment_lines": 4.0}
"""The large tables, kept as :class:`Column` while a run is in progress, and the rows per
expected order reserved for each (address space only: a column grows, by copying, past it)."""


_RECORDED_PACKED = ("events", "labels")
"""Tables written packed while a run is in progress (:class:`EventRecorder`,
:class:`LabelRecorder`)."""

_IMPLIED = {("order_lines", "order_id"), ("shipments", "n_lines"), ("shipments", "n_units")}
"""Columns not written while a run is in progress (see :class:`PackedOrderLines` and
:class:`PackedShipments`)."""


class Column:
    """A numpy column with room reserved for ``capacity`` rows in anonymous memory.

    Rows ``0 .. n - 1`` hold data.  ``buf`` is the whole reservation and ``mv`` a memoryview of
    it (item assignment through a memoryview is as fast as ``array.array.append``); both change
    when the column grows past its reservation, so code holding them must bind them again
    (:meth:`reserve` returns True then).
    """

    __slots__ = ("buf", "mv", "n")
    mv: Any  # memoryview: typeshed types its items as int only

    def __init__(self, typecode: str, capacity: int) -> None:
        self.n = 0
        self.buf = _reserve(np.dtype(typecode), capacity)
        self.mv = memoryview(self.buf)  # type: ignore[arg-type]  # numpy exports a buffer

    def __len__(self) -> int:
        return self.n

    @property
    def capacity(self) -> int:
        return len(self.buf)

    def reserve(self, rows: int) -> bool:
        """Make room for ``rows`` rows in all; True if the column moved."""
        if rows <= len(self.buf):
            return False
        buf = _reserve(self.buf.dtype, max(rows, len(self.buf) * 3 // 2))
        buf[:self.n] = self.buf[:self.n]
        self.mv.release()
        self.buf, self.mv = buf, memoryview(buf)  # type: ignore[arg-type]
        return True

    def extend(self, values: np.ndarray) -> None:
        """Append ``values`` (converted to the column's dtype)."""
        n, k = self.n, len(values)
        self.reserve(n + k)
        self.buf[n:n + k] = values
        self.n = n + k

    def append(self, value: float) -> None:
        """Append one value (slower than writing through :attr:`mv`)."""
        n = self.n
        self.reserve(n + 1)
        self.mv[n] = value
        self.n = n + 1

    def values(self) -> np.ndarray:
        """Rows ``0 .. n - 1`` (a view of the reservation, no copy)."""
        return self.buf[:self.n]


def _array(a: array.array) -> np.ndarray:
    """``a``'s values as a numpy array (no copy)."""
    return np.frombuffer(a, dtype=np.dtype(a.typecode))


def _reserve(dtype: np.dtype, rows: int) -> np.ndarray:
    """Zeroed room for ``rows`` values of ``dtype`` in fresh anonymous memory (a page is only
    resident once written).  Private where the platform has it, so a forked process gets
    its own copy on write, as with ordinary memory."""
    rows = max(int(rows), 1024)
    private = getattr(mmap, "MAP_PRIVATE", None)
    mem = mmap.mmap(-1, rows * dtype.itemsize) if private is None else \
        mmap.mmap(-1, rows * dtype.itemsize, flags=private | mmap.MAP_ANONYMOUS)
    return np.frombuffer(mem, dtype=dtype)


# segment kinds of PackedEvents
_PLACED, _ROWS, _PICKUP = 0, 1, 2
_MAX_CODES = 256
_EVENT_COLS = tuple(SCHEMA["events"])  # time_h, order_id, status, fc, shipment_id
_EVENT_DTYPES = {c: np.dtype(code) for c, code in SCHEMA["events"].items()}


class EventRecorder:
    """The ``events`` table while a run is in progress, kept packed (see the module's
    docstring): :meth:`placed` for a day's orders, :meth:`pickup` for a carrier pickup and
    :meth:`row` for any other event."""

    def __init__(self, expected_orders: float = 0.0) -> None:
        # segments, in the order written: kind, first (order, row or pickup), count
        self.kind, self.first, self.count = array.array("b"), array.array("q"), array.array("q")
        # rows kept as they are
        self.rows: tuple[Any, ...] = tuple(array.array(code) for code in SCHEMA["events"].values())
        # pickups: time, FC, first of its shipments in `ids` and of its codes (or raw rows),
        # first and number of its distinct delivery times and statuses (-1: raw rows)
        self.p_time, self.p_fc = array.array("d"), array.array("b")
        self.p_ids, self.p_code = array.array("q"), array.array("q")
        self.p_t0, self.p_nt = array.array("q"), array.array("q")
        self.p_s0, self.p_ns = array.array("q"), array.array("q")
        self.t_values, self.s_values = array.array("d"), array.array("b")
        cap = int(1.2 * expected_orders) + 4096
        self.ids = Column("i", cap)  # shipments picked up, pickup after pickup
        self.codes = Column("B", cap)  # per shipment: (time, status) code * 2 + in horizon
        self.raw_t, self.raw_s = array.array("d"), array.array("b")  # (status * 2 + in horizon)

    def row(self, t: float, status: int, order: int, fc: int, shipment: int) -> None:
        """One event as it is."""
        rows = self.rows
        rows[0].append(t)
        rows[1].append(order)
        rows[2].append(status)
        rows[3].append(fc)
        rows[4].append(shipment)
        if len(self.kind) and self.kind[-1] == _ROWS:
            self.count[-1] += 1
        else:
            self._segment(_ROWS, len(rows[0]) - 1, 1)

    def placed(self, first_order: int, n: int) -> None:
        """``PLACED`` events of orders ``first_order .. + n - 1``, at their ``placed_h``."""
        self._segment(_PLACED, first_order, n)

    def pickup(self, now: float, fc: int, ids: np.ndarray, t: np.ndarray, status: np.ndarray,
               seen: np.ndarray) -> None:
        """A pickup at ``now`` from ``fc`` of shipments ``ids``: their ``SHIPPED`` events, then
        the delivery events (time ``t``, ``status``) of those ``seen`` (inside the horizon)."""
        n = len(ids)
        self._segment(_PICKUP, len(self.p_time), n)
        self.p_time.append(now)
        self.p_fc.append(fc)
        self.p_ids.append(self.ids.n)
        self.ids.extend(ids)
        bits = np.ascontiguousarray(t, dtype=np.float64).view(np.int64)  # exact: by bits
        ut, it = np.unique(bits, return_inverse=True)
        us, is_ = np.unique(np.asarray(status, dtype=np.int8), return_inverse=True)
        seen_bit = np.asarray(seen, dtype=np.uint8)
        if 2 * len(ut) * len(us) <= _MAX_CODES:
            self.p_code.append(self.codes.n)
            self.p_t0.append(len(self.t_values))
            self.p_nt.append(len(ut))
            self.p_s0.append(len(self.s_values))
            self.p_ns.append(len(us))
            self.t_values.frombytes(ut.view(np.float64).tobytes())
            self.s_values.frombytes(us.astype(np.int8).tobytes())
            self.codes.extend(((it.ravel() * len(us) + is_.ravel()) * 2 + seen_bit)
                              .astype(np.uint8))
        else:
            self.p_code.append(len(self.raw_t))
            self.p_t0.append(-1)
            self.p_nt.append(0)
            self.p_s0.append(-1)
            self.p_ns.append(0)
            self.raw_t.frombytes(np.ascontiguousarray(t, dtype=np.float64).tobytes())
            self.raw_s.frombytes((np.asarray(status, dtype=np.int8) * 2 + seen_bit)
                                 .astype(np.int8).tobytes())

    def _segment(self, kind: int, first: int, n: int) -> None:
        self.kind.append(kind)
        self.first.append(first)
        self.count.append(n)

    def finish(self, shipment_order: np.ndarray) -> PackedEvents:
        """The packed table (``shipment_order``: the order of each shipment, by id)."""
        arr = _array
        return PackedEvents(
            shipment_order=shipment_order,
            segments=(arr(self.kind), arr(self.first), arr(self.count)),
            rows={c: arr(a) for c, a in zip(_EVENT_COLS, self.rows, strict=True)},
            pickups={"time": arr(self.p_time), "fc": arr(self.p_fc), "ids": arr(self.p_ids),
                     "code": arr(self.p_code), "t0": arr(self.p_t0), "nt": arr(self.p_nt),
                     "s0": arr(self.p_s0), "ns": arr(self.p_ns)},
            t_values=arr(self.t_values), s_values=arr(self.s_values),
            ids=self.ids.values(), codes=self.codes.values(),
            raw_t=arr(self.raw_t), raw_s=arr(self.raw_s))


class PackedEvents:
    """The ``events`` table of a finished run, packed (see the module's docstring); an
    :class:`~sim.eventlog.EventLog` unpacks it with :meth:`columns` on first use."""

    def __init__(self, *, shipment_order: np.ndarray,
                 segments: tuple[np.ndarray, np.ndarray, np.ndarray],
                 rows: dict[str, np.ndarray], pickups: dict[str, np.ndarray],
                 t_values: np.ndarray, s_values: np.ndarray, ids: np.ndarray,
                 codes: np.ndarray, raw_t: np.ndarray, raw_s: np.ndarray) -> None:
        self.shipment_order = shipment_order  # the shipments' own column (not counted here)
        self.segments, self.rows, self.pickups = segments, rows, pickups
        self.t_values, self.s_values, self.ids, self.codes = t_values, s_values, ids, codes
        self.raw_t, self.raw_s = raw_t, raw_s

    def nbytes(self) -> int:
        arrays = [*self.segments, *self.rows.values(), *self.pickups.values(), self.t_values,
                  self.s_values, self.ids, self.codes, self.raw_t, self.raw_s]
        return sum(a.nbytes for a in arrays)

    def _pickup(self, p: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                               np.ndarray]:
        """Pickup ``p`` (of ``n`` shipments): ids, delivery times, statuses, in-horizon."""
        pk = self.pickups
        a = int(pk["ids"][p])
        ids = self.ids[a:a + n]
        c = int(pk["code"][p])
        if pk["t0"][p] < 0:
            s2 = self.raw_s[c:c + n].astype(np.int16)
            return ids, self.raw_t[c:c + n], (s2 >> 1).astype(np.int8), (s2 & 1).astype(bool)
        code = self.codes[c:c + n].astype(np.intp)
        t0, s0, ns = int(pk["t0"][p]), int(pk["s0"][p]), int(pk["ns"][p])
        pair, seen = code >> 1, (code & 1).astype(bool)
        return (ids, self.t_values[t0:t0 + int(pk["nt"][p])][pair // ns],
                self.s_values[s0:s0 + ns][pair % ns], seen)

    def columns(self, log: EventLog) -> dict[str, np.ndarray]:
        """The table as written (from the log's ``orders`` and ``shipments`` besides)."""
        placed_h = log.table("orders")["placed_h"]
        sh_order = self.shipment_order
        kind, first, count = (a.tolist() for a in self.segments)
        pk_time, pk_fc = self.pickups["time"].tolist(), self.pickups["fc"].tolist()
        pickups = {a: self._pickup(a, n) for k, a, n in zip(kind, first, count, strict=True)
                   if k == _PICKUP}
        total = sum(n + int(pickups[a][3].sum()) if k == _PICKUP else n
                    for k, a, n in zip(kind, first, count, strict=True))
        out = {c: np.empty(total, dtype) for c, dtype in _EVENT_DTYPES.items()}
        cols = [out[c] for c in _EVENT_COLS]  # time, order, status, fc, shipment
        i = 0

        def put(*values: Any) -> None:
            nonlocal i
            n = len(values[0])
            for col, v in zip(cols, values, strict=True):
                col[i:i + n] = v
            i += n

        for k, a, n in zip(kind, first, count, strict=True):
            if k == _PLACED:
                put(placed_h[a:a + n], np.arange(a, a + n), int(Status.PLACED), -1, -1)
            elif k == _ROWS:
                put(*(self.rows[c][a:a + n] for c in _EVENT_COLS))
            else:
                ids, t, status, seen = pickups[a]
                f = pk_fc[a]
                put(np.full(n, pk_time[a]), sh_order[ids], int(Status.SHIPPED), f, ids)
                ids = ids[seen]
                put(t[seen], sh_order[ids], status[seen], f, ids)
        return out


class _Written:
    """A packed table that keeps the columns written during the run (``written``) and
    derives the others when unpacked."""

    def __init__(self, written: dict[str, np.ndarray]) -> None:
        self.written = written

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.written.values())


class PackedOrderLines(_Written):
    """The ``order_lines`` table of a finished run, packed: its ``order_id`` column is implied
    (orders' lines are written order after order, ``n_lines`` each)."""

    def columns(self, log: EventLog) -> dict[str, np.ndarray]:
        n_lines = log.table("orders")["n_lines"]
        order = np.repeat(np.arange(len(n_lines), dtype=np.dtype(SCHEMA["order_lines"]
                                                                  ["order_id"])), n_lines)
        return {"order_id": order, **self.written}


class PackedShipments(_Written):
    """The ``shipments`` table of a finished run, packed: its ``n_lines`` and ``n_units`` are
    implied by ``shipment_lines`` (its rows and their units)."""

    def columns(self, log: EventLog) -> dict[str, np.ndarray]:
        S = len(self.written["order_id"])
        lines = log.table("shipment_lines")
        sid, units = lines["shipment_id"], lines["units"]
        implied = {"n_lines": np.empty(S, np.dtype(SCHEMA["shipments"]["n_lines"])),
                   "n_units": np.empty(S, np.dtype(SCHEMA["shipments"]["n_units"]))}
        step = _LINES_STEP
        for a in range(0, S, step):  # a block of shipments at a time (lines by shipment id)
            b = min(a + step, S)
            lo, hi = np.searchsorted(sid, [a, b])
            block = sid[lo:hi] - a
            implied["n_lines"][a:b] = np.bincount(block, minlength=b - a)
            implied["n_units"][a:b] = np.bincount(block, weights=units[lo:hi], minlength=b - a)
        return {c: self.written[c] if c in self.written else implied[c]
                for c in SCHEMA["shipments"] if c in self.written or c in implied}


class PackedShipmentLines(_Written):
    """The ``shipment_lines`` table of a finished run, packed: a shipment that carries a
    whole order (nearly all do) has no rows of its own, its lines are its order's
    (``order_lines``, in the same order); the rows of the others (parts of split orders,
    reships) are kept as written.  Rows are in order of shipment id either way."""

    def __init__(self, written: dict[str, np.ndarray], shipment_order: np.ndarray) -> None:
        super().__init__(written)
        self.shipment_order = shipment_order

    def columns(self, log: EventLog) -> dict[str, np.ndarray]:
        w = self.written
        order = self.shipment_order
        n_lines = log.table("orders")["n_lines"].astype(np.int64)
        S = len(order)
        sid = w["shipment_id"]  # rows written, by shipment id
        first_line = np.zeros(len(n_lines) + 1, np.int64)  # each order's first line
        np.cumsum(n_lines, out=first_line[1:])
        lines = log.table("order_lines")
        has_rows = np.zeros(S, bool)
        has_rows[sid] = True
        total = len(sid) + int(n_lines[order[~has_rows]].sum())
        out = {c: np.empty(total, w[c].dtype) for c in ("shipment_id", "sku", "units")}
        at = 0  # rows filled
        step = _LINES_STEP
        for a in range(0, S, step):  # a block of shipments at a time: small index arrays
            b = min(a + step, S)
            lo, hi = (int(x) for x in np.searchsorted(sid, [a, b]))
            own = np.bincount(sid[lo:hi] - a, minlength=b - a)
            written = own > 0
            count = np.where(written, own, n_lines[order[a:b]])
            start = first_line[order[a:b]]  # first row in order_lines, or among those written
            start[written] = lo + (np.cumsum(own) - own)[written]
            ends = np.cumsum(count)
            n = int(ends[-1])
            src = np.repeat(start - (ends - count), count)
            src += np.arange(n)
            mine = np.repeat(written, count)
            out["shipment_id"][at:at + n] = np.repeat(np.arange(a, b), count)
            for c in ("sku", "units"):
                col = out[c][at:at + n]
                col[mine] = w[c][src[mine]]
                col[~mine] = lines[c][src[~mine]]
            at += n
        return out


_LINES_STEP = 1 << 16
"""Shipments unpacked at a time (see :class:`PackedShipmentLines`)."""

_LABEL_VALUES = tuple(SCHEMA["labels"])[1:]  # service, postage, parcels, billable_lb, ...
_LABEL_RECORD = np.dtype([(c, SCHEMA["labels"][c]) for c in _LABEL_VALUES])  # packed
_MAX_LABEL_CODES = 1 << 16


class LabelRecorder:
    """The ``labels`` table while a run is in progress, kept packed: the shipment id of each
    label as it is, and its other columns (service, postage, parcels, billable weight, carton
    cost: a handful of distinct combinations, from the rate tables and cartons) as a 2-byte
    code into a dictionary of the combinations met, batch by batch (once the dictionary is
    full, a batch's rows are kept as they are)."""

    def __init__(self, expected_orders: float = 0.0) -> None:
        cap = int(2.0 * expected_orders) + 4096
        self.ids, self.codes = Column("i", cap), Column("H", cap)
        self.coded, self.count = array.array("b"), array.array("q")  # per batch
        self.lookup: dict[bytes, int] = {}
        self.values = bytearray()  # the combinations, in order of code (_LABEL_RECORD)
        self.raw = bytearray()  # rows of batches not coded (_LABEL_RECORD)

    def batch(self, ids: np.ndarray, **values: np.ndarray) -> None:
        """Labels for shipments ``ids``; ``values``: their other columns (cast as a column of
        the table would be)."""
        n = len(ids)
        rec = np.empty(n, _LABEL_RECORD)
        for c in _LABEL_VALUES:
            rec[c] = values[c]
        self.ids.extend(ids)
        self.count.append(n)
        keys, at = np.unique(rec.view(f"V{_LABEL_RECORD.itemsize}"), return_inverse=True)
        lookup = self.lookup
        code: list[int] = []
        for k in keys.tolist():
            got = lookup.get(k)
            if got is None:
                if len(lookup) >= _MAX_LABEL_CODES:
                    self.coded.append(0)
                    self.raw += rec.tobytes()
                    return
                got = lookup[k] = len(lookup)
                self.values += k
            code.append(got)
        self.coded.append(1)
        self.codes.extend(np.array(code, np.uint16)[at.ravel()])

    def finish(self) -> PackedLabels:
        return PackedLabels(ids=self.ids.values(), codes=self.codes.values(),
                            coded=_array(self.coded).astype(bool), count=_array(self.count),
                            values=np.frombuffer(bytes(self.values), _LABEL_RECORD),
                            raw=np.frombuffer(bytes(self.raw), _LABEL_RECORD))


class PackedLabels:
    """The ``labels`` table of a finished run, packed (see :class:`LabelRecorder`)."""

    def __init__(self, *, ids: np.ndarray, codes: np.ndarray, coded: np.ndarray,
                 count: np.ndarray, values: np.ndarray, raw: np.ndarray) -> None:
        self.ids, self.codes, self.coded, self.count = ids, codes, coded, count
        self.values, self.raw = values, raw

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.ids, self.codes, self.coded, self.count,
                                      self.values, self.raw))

    def columns(self, log: EventLog) -> dict[str, np.ndarray]:
        out = {"shipment_id": self.ids}
        from_code = None if self.coded.all() else np.repeat(self.coded, self.count)
        for c in _LABEL_VALUES:
            values = np.ascontiguousarray(self.values[c])
            if from_code is None:
                out[c] = values[self.codes]
            else:  # rows by batch: from the dictionary, or kept as they were
                col = out[c] = np.empty(len(self.ids), values.dtype)
                col[from_code] = values[self.codes]
                col[~from_code] = self.raw[c]
        return out


class Recorder:
    """Growable columns for each table of :data:`~sim.eventlog.SCHEMA` (used while a run is
    in progress): :class:`Column` for the large tables (:data:`ROWS_PER_ORDER`, in ``big``),
    reserved from ``expected_orders``; :class:`array.array` for the others (in ``cols``);
    the events and labels packed (:class:`EventRecorder` in ``events``,
    :class:`LabelRecorder` in ``labels``).  :meth:`finish` packs the lines and shipments
    too."""

    def __init__(self, expected_orders: float = 0.0, optional: frozenset[str] = frozenset()
                 ) -> None:
        self.cols: dict[str, dict[str, array.array]] = {
            t: {c: array.array(code) for c, code in cols.items()} for t, cols in SCHEMA.items()
            if t not in ROWS_PER_ORDER and t not in _RECORDED_PACKED
            and (t not in OPTIONAL_TABLES or t in optional)
        }
        self.big: dict[str, dict[str, Column]] = {
            t: {c: Column(code, int(ROWS_PER_ORDER[t] * expected_orders) + 4096)
                for c, code in SCHEMA[t].items() if (t, c) not in _IMPLIED}
            for t in ROWS_PER_ORDER
        }
        self.events = EventRecorder(expected_orders)
        # each day's first order and first row of order_lines (see order_lines_of)
        self.day_starts: list[tuple[int, int]] = []
        self.labels = LabelRecorder(expected_orders)

    def order_lines_of(self, order: int) -> tuple[int, int]:
        """The rows of ``order_lines`` written for ``order`` (first, end)."""
        day = bisect.bisect_right(self.day_starts, (order, math.inf)) - 1
        first_order, row = self.day_starts[day]
        n_lines = self.big["orders"]["n_lines"].buf
        row += int(n_lines[first_order:order].sum(dtype=np.int64))
        return row, row + int(n_lines[order])

    def finish(self, meta: dict[str, object]) -> EventLog:
        tables: dict[str, dict[str, np.ndarray]] = {}
        for t in SCHEMA:
            if t in _RECORDED_PACKED or (t in OPTIONAL_TABLES and t not in self.cols):
                continue
            if t in self.big:
                tables[t] = {c: col.values() for c, col in self.big[t].items()}
            else:
                tables[t] = {c: _array(a) for c, a in self.cols[t].items()}
        shipments = PackedShipments(tables.pop("shipments"))
        lines = PackedShipmentLines(tables.pop("shipment_lines"),
                                    shipments.written["order_id"])
        order_lines = PackedOrderLines(tables.pop("order_lines"))
        log = EventLog(tables=tables, meta=dict(meta),
                       packed={"events": self.events.finish(shipments.written["order_id"]),
                               "order_lines": order_lines,
                               "shipments": shipments, "shipment_lines": lines,
                               "labels": self.labels.finish()})
        # The log owns the columns now: the recorder lets go of them, so that a table
        # unpacked later is not kept twice while the finished model waits for the collector.
        self.cols, self.big, self.day_starts = {}, {}, []
        self.events, self.labels = EventRecorder(), LabelRecorder()
        return log
