"""The columnar record of a run: every status change of every order, plus the tables that
give those events their quantities (orders, lines, shipments, shifts, receipts, stock).

Columns are appended to :class:`array.array` buffers while the simulation runs (compact:
18 bytes per event, amortised growth) and become numpy arrays without copying when the run
ends.  KPIs are pure functions of an :class:`EventLog`, so they can be recomputed from files on
disk at any time and never depend on the model's internals.
"""

from __future__ import annotations

import array
from dataclasses import dataclass, field
from enum import IntEnum

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
    # the model's own end-of-run state (the log recomputes it: see the conservation tests)
    "stock": {"fc": "b", "sku": "i", "initial": "q", "on_hand": "q", "on_order": "q",
              "backordered": "q", "in_inspection": "q"},
}
"""Row ``i`` of ``orders`` is order ``i``; row ``j`` of ``shipments`` is shipment ``j``."""


class Recorder:
    """Growable columns for each table of :data:`SCHEMA` (used while a run is in progress)."""

    def __init__(self) -> None:
        self.cols: dict[str, dict[str, array.array]] = {
            t: {c: array.array(code) for c, code in cols.items()} for t, cols in SCHEMA.items()
        }

    def finish(self, meta: dict[str, object]) -> EventLog:
        tables = {t: {c: np.frombuffer(a, dtype=np.dtype(a.typecode)) for c, a in cols.items()}
                  for t, cols in self.cols.items()}
        return EventLog(tables=tables, meta=dict(meta))


FLOOR = {"pick_start_h": Status.PICK_START, "picked_h": Status.PICKED,
         "pack_start_h": Status.PACK_START, "packed_h": Status.PACKED}
"""Shipment timeline columns and the floor status each one records."""


@dataclass
class EventLog:
    """The result of one run: named tables of equal-length numpy columns, and metadata
    (network names such as FC and channel names, horizon, warm-up, scenario digest, seed).

    A run in memory keeps each shipment's floor events (pick start, picked, pack start,
    packed) as four time columns of ``shipments`` (one store per event, 8 bytes instead of an
    18-byte event row); ``log["events"]`` is always the complete long table, with those
    events added as rows (built on first use), and that long table is what is written to
    disk.
    """

    tables: dict[str, dict[str, np.ndarray]]
    meta: dict[str, object]
    _events: dict[str, np.ndarray] | None = field(default=None, repr=False, compare=False)
    derived: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    """Figures derived from the tables, kept by the functions that compute them (the tables
    never change once a run has finished)."""

    def __getitem__(self, table: str) -> dict[str, np.ndarray]:
        if table == "events":
            return self.events()
        if table == "shipments":
            return {c: a for c, a in self.tables[table].items() if c not in FLOOR}
        return self.tables[table]

    def events(self) -> dict[str, np.ndarray]:
        """Every status change, floor events included, as one long table."""
        sh = self.tables.get("shipments", {})
        if "pick_start_h" not in sh:
            return self.tables["events"]
        if self._events is None:
            base = self.tables["events"]
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

    def tables_for_disk(self) -> dict[str, dict[str, np.ndarray]]:
        """The tables as written to files: events long, shipments without the timeline."""
        return {name: self[name] for name in self.tables}

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
        return sum(a.nbytes for cols in self.tables.values() for a in cols.values())

    def equals(self, other: EventLog) -> bool:
        """Same tables with identical values (metadata such as timings is not compared)."""
        if self.tables.keys() != other.tables.keys():
            return False
        for t, cols in self.tables.items():
            if cols.keys() != other.tables[t].keys():
                return False
            for c, a in cols.items():
                if not np.array_equal(a, other.tables[t][c], equal_nan=a.dtype.kind == "f"):
                    return False
        return True
