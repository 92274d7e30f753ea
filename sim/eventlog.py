"""The columnar record of a run: every status change of every order, plus the tables that
give those events their quantities (orders, lines, shipments, shifts, receipts, stock).

While the simulation runs, :mod:`sim.recorder` writes the tables (the events packed, a few
bytes per shipment rather than 18 per event); they become an :class:`EventLog` without
copying when the run ends.  KPIs are pure functions of an :class:`EventLog`, so they can be
recomputed from files on disk at any time and never depend on the model's internals.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import IntEnum
from typing import Protocol

import numpy as np


class Status(IntEnum):
    """Order status changes recorded in the event log (column ``status``)."""

    PLACED = 0
    ON_HOLD = 1
    RELEASED = 2
    PICK_START = 3
    PICKED = 4
    PACK_START = 5
    PACKED = 6
    SHIPPED = 7
    DELIVERED = 8
    CANCELLED = 9
    EXCEPTION = 10  # delivery exception: the carrier never delivered the parcel
    RETURNED = 11  # a return of (some of) the shipment's units reached its FC
    RETURNED_TO_SENDER = 12  # a parcel with a wrong address came back to its FC, undelivered
    INTAKE_HOLD = 13  # held for review when placed ([intake]; then reviewed or cancelled)
    INTAKE_RELEASED = 14  # its intake review ended and the order went on to routing


class IntakeReason(IntEnum):
    """Why an order was held at intake (column ``reason`` of ``intake``)."""

    ADDRESS = 0  # address validation failed
    FRAUD = 1  # fraud screen
    PAYMENT = 2  # payment (authorisation, verification)


class IntakeOutcome(IntEnum):
    """How an intake review ended (column ``outcome`` of ``intake``)."""

    RELEASED = 0  # released as it was
    CORRECTED = 1  # released after the address was fixed
    CANCELLED = 2  # cancelled: never routed, no stock taken (event ``CANCELLED``)


class Issue(IntEnum):
    """What went wrong (column ``issue`` of ``quality_lines`` and ``quality_shipments``)."""

    MISPICK_CAUGHT = 0  # a line mis-picked, caught at the pack check and re-picked
    MISPICK_SHIPPED = 1  # a line mis-picked and shipped wrong
    WRONG_ITEM_BACK = 2  # the wrong units of a mis-picked line came back to the FC
    DAMAGED = 3  # delivered damaged (lines: the units written off)
    RETURN_TO_SENDER = 4  # wrong address, parcel sent back (lines: the units restocked)
    ADDRESS_CORRECTED = 5  # wrong address, corrected by the carrier in transit
    RESHIP = 6  # a new shipment (``shipment_id``) replacing (part of) shipment ``ref``


class Source(IntEnum):
    """Where the units of a receipt (column ``kind`` of ``receipts``) come from."""

    SUPPLIER = 0
    TRANSFER = 1
    RETURN = 2


# table -> column -> array.array typecode
SCHEMA: dict[str, dict[str, str]] = {
    "events": {"time_h": "d", "order_id": "i", "status": "b", "fc": "b", "shipment_id": "i"},
    "orders": {"placed_h": "d", "channel": "b", "dest": "i", "n_lines": "h", "n_units": "i",
               "promise_h": "f"},  # whole days in hours: exact in float32
    "order_lines": {"order_id": "i", "sku": "i", "units": "h"},
    "shipments": {"order_id": "i", "fc": "b", "zone": "b", "n_lines": "h", "n_units": "i",
                  "weight_lb": "f",
                  # the shipment's floor timeline (nan until it happens): while a run is in
                  # memory these stand for its PICK_START ... PACKED events (see EventLog)
                  "pick_start_h": "d", "picked_h": "d", "pack_start_h": "d", "packed_h": "d"},
    "shipment_lines": {"shipment_id": "i", "sku": "i", "units": "h"},
    # one row per shipment labelled (at packing): the service chosen and what it costs
    "labels": {"shipment_id": "i", "service": "b", "postage": "f", "parcels": "i",
               "billable_lb": "f", "carton_cost": "f"},
    "shifts": {"fc": "b", "start_h": "d", "end_h": "d", "pickers": "i", "packers": "i"},
    # units made available to pick (after receiving and put-away, or after return inspection);
    # ``ref`` is the purchase order, transfer or shipment they came with
    "receipts": {"time_h": "d", "fc": "b", "sku": "i", "units": "i", "kind": "b", "ref": "i"},
    "purchase_orders": {"time_h": "d", "fc": "b", "sku": "i", "units": "i", "supplier": "h",
                        "due_h": "d", "cost": "d"},
    "transfers": {"time_h": "d", "from_fc": "b", "to_fc": "b", "sku": "i", "units": "i",
                  "arrive_h": "d", "cost": "d"},
    # one row per returned line, when it reaches the FC (restocked units are received
    # ``returns_restock_after_h`` later, see the run's metadata; written-off units never come
    # back into stock); the customer's refund
    "returns": {"time_h": "d", "shipment_id": "i", "order_id": "i", "fc": "b", "sku": "i",
                "units": "h", "restocked": "h", "written_off": "h", "refund": "f"},
    # order errors (only in runs that model them, see OPTIONAL_TABLES and sim.quality): one
    # row per line mis-picked (caught or shipped), per wrong line back at the FC, per line
    # damaged or returned to sender, with the units restocked and written off
    "quality_lines": {"time_h": "d", "order_id": "i", "shipment_id": "i", "issue": "b",
                      "sku": "i", "units": "h", "restocked": "h", "written_off": "h"},
    # one row per shipment damaged, returned to sender, corrected in transit or reshipped:
    # ``ref`` the shipment it replaces (reships), ``fee`` the carrier's fee
    "quality_shipments": {"time_h": "d", "order_id": "i", "shipment_id": "i", "issue": "b",
                          "ref": "i", "fee": "f"},
    # intake reviews (only in runs with [intake], see sim.intake): one row per review ended by
    # the horizon, at its end; ``review_h`` the reviewer's work (hours), the time between
    # ``INTAKE_HOLD`` and ``time_h`` also counts the unstaffed hours in between
    "intake": {"time_h": "d", "order_id": "i", "reason": "b", "outcome": "b",
               "review_h": "d"},
    # international orders (only in runs with [international], see sim.international): one row
    # per order going abroad, when it is placed: its destination group, customs clearance
    # hours (added to its parcels' transit), goods value, duties and taxes, whether the shipper
    # pays them (delivered duty paid), and the label cost of a return
    "international": {"time_h": "d", "order_id": "i", "group": "b", "customs_h": "d",
                      "goods_value": "d", "duties": "d", "ddp": "b", "return_label_cost": "d"},
    # the model's own end-of-run state (the log recomputes it: see the conservation tests)
    "stock": {"fc": "b", "sku": "i", "initial": "q", "on_hand": "q", "on_order": "q",
              "backordered": "q", "in_inspection": "q"},
}
"""Row ``i`` of ``orders`` is order ``i``; row ``j`` of ``shipments`` is shipment ``j``."""

OPTIONAL_TABLES = frozenset({"quality_lines", "quality_shipments", "intake", "international"})
"""Tables recorded only by runs that model them (absent otherwise, so that the logs of runs
without order errors or intake reviews are unchanged)."""


FLOOR = {"pick_start_h": Status.PICK_START, "picked_h": Status.PICKED,
         "pack_start_h": Status.PACK_START, "packed_h": Status.PACKED}
"""Shipment timeline columns and the floor status each one records."""


class Packed(Protocol):
    """A table kept packed while a finished run is in memory (see :mod:`sim.recorder`)."""

    def nbytes(self) -> int: ...

    def columns(self, log: EventLog) -> dict[str, np.ndarray]:
        """The table as written (it may need the log's other tables)."""
        ...


class EventLog:
    """The result of one run: named tables of equal-length numpy columns, and metadata
    (network names such as FC and channel names, horizon, warm-up, scenario digest, seed).

    A run in memory keeps each shipment's floor events (pick start, picked, pack start,
    packed) as four time columns of ``shipments`` (one store per event, 8 bytes instead of an
    18-byte event row), and some of its tables packed (``packed``, see :mod:`sim.recorder`:
    the events, the order and shipment lines, the shipments' line and unit counts, the
    labels); ``log["events"]`` is always the complete long table,
    with the floor's events added as rows (built on first use), and that long table is what
    is written to disk.

    :attr:`names` lists every table, packed or not; :meth:`table` gives one as the run keeps
    it, unpacked on first use (then kept in :attr:`stored`, no longer in :attr:`packed`);
    :attr:`tables` unpacks them all.
    """

    def __init__(self, tables: dict[str, dict[str, np.ndarray]], meta: dict[str, object],
                 packed: dict[str, Packed] | None = None) -> None:
        self.stored = tables
        """The tables kept as they are (packed ones are not among them)."""
        self.meta = meta
        self.packed: dict[str, Packed] = {} if packed is None else packed
        self._events: dict[str, np.ndarray] | None = None
        self.derived: dict[str, object] = {}
        """Figures derived from the tables, kept by the functions that compute them (the
        tables never change once a run has finished)."""

    def __repr__(self) -> str:
        return f"EventLog(tables={self.names}, orders={self.meta.get('orders')})"

    @property
    def tables(self) -> dict[str, dict[str, np.ndarray]]:
        """Every table as the run keeps it (see :meth:`table`), packed ones unpacked."""
        for name in list(self.packed):
            self.table(name)
        return self.stored

    @property
    def names(self) -> list[str]:
        """Every table of the run, packed or not (in :data:`SCHEMA` order, then any other)."""
        if not self.packed:
            return list(self.stored)
        have = self.stored.keys() | self.packed.keys()
        return [t for t in SCHEMA if t in have] + [t for t in self.stored if t not in SCHEMA]

    def __contains__(self, table: object) -> bool:
        return table in self.stored or table in self.packed

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def table(self, name: str) -> dict[str, np.ndarray]:
        """Table ``name`` as the run keeps it: ``events`` without the floor's events,
        ``shipments`` with their timeline columns (see the class docstring)."""
        stored = self.stored
        if name not in stored and name in self.packed:
            names = self.names
            stored[name] = self.packed[name].columns(self)
            del self.packed[name]
            for t in names:  # in the order of names, as before unpacking
                if t in stored:
                    stored[t] = stored.pop(t)
        return stored[name]

    def __getitem__(self, table: str) -> dict[str, np.ndarray]:
        if table == "events":
            return self.events()
        if table == "shipments":
            return {c: a for c, a in self.table(table).items() if c not in FLOOR}
        return self.table(table)

    def events(self) -> dict[str, np.ndarray]:
        """Every status change, floor events included, as one long table."""
        sh = self._shipment_columns()
        if "pick_start_h" not in sh:
            return self.table("events")
        if self._events is None:
            base = self.table("events")
            parts = [base]
            for col, status in FLOOR.items():
                t = sh[col]
                sid = np.flatnonzero(~np.isnan(t))
                parts.append({"time_h": t[sid], "order_id": sh["order_id"][sid],
                              "status": np.full(len(sid), int(status), base["status"].dtype),
                              "fc": sh["fc"][sid], "shipment_id": sid})
            self._events = {c: np.concatenate([p[c].astype(base[c].dtype, copy=False)
                                               for p in parts]) for c in base}
        return self._events

    def _shipment_columns(self) -> Mapping[str, np.ndarray]:
        """The columns of ``shipments`` kept as written (without unpacking the table: those
        it implies come from the lines)."""
        if "shipments" in self.stored:
            return self.stored["shipments"]
        packed = self.packed.get("shipments")
        return getattr(packed, "written", {}) if packed is not None else {}

    def tables_for_disk(self) -> dict[str, dict[str, np.ndarray]]:
        """The tables as written to files: events long, shipments without the timeline."""
        return {name: self[name] for name in self.names}

    def n_rows(self, table: str) -> int:
        cols = self[table]
        return len(next(iter(cols.values()))) if cols else 0

    @property
    def horizon_h(self) -> float:
        return float(self.meta["horizon_h"])  # type: ignore[arg-type]

    @property
    def warmup_h(self) -> float:
        return float(self.meta["warmup_h"])  # type: ignore[arg-type]

    @property
    def fc_names(self) -> list[str]:
        return list(self.meta["fc_names"])  # type: ignore[call-overload]

    def nbytes(self) -> int:
        """Bytes of the tables as kept (packed ones packed; the long events table, built on
        first use, not counted)."""
        return sum(a.nbytes for cols in self.stored.values() for a in cols.values()) \
            + sum(p.nbytes() for p in self.packed.values())

    def equals(self, other: EventLog) -> bool:
        """Same tables with identical values (metadata such as timings is not compared)."""
        if set(self.names) != set(other.names):
            return False
        for t in self.names:
            cols, theirs = self.table(t), other.table(t)
            if cols.keys() != theirs.keys():
                return False
            for c, a in cols.items():
                if not np.array_equal(a, theirs[c], equal_nan=a.dtype.kind == "f"):
                    return False
        return True
