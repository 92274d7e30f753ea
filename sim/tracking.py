"""Carrier tracking events, derived from the event log (no simulation events needed).

Each labelled shipment gets a tracking number and the scans a customer would see: label
created (at packing), picked up (carrier pickup), in transit (departure scan, one hour after
pickup), out for delivery (08:00 on the delivery day, or at pickup for same-day services),
then delivered or exception.  They follow deterministically from the times the model already
recorded, so they cost nothing while simulating and are written with the results.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sim.eventlog import EventLog, Status

SCANS = ("label_created", "picked_up", "in_transit", "out_for_delivery", "delivered",
         "exception")


def _number_prefix(log: EventLog) -> str:
    digest = str(log.meta.get("scenario_sha256", "0" * 6))[:6].upper()
    rep = int(log.meta.get("replication", 0))  # type: ignore[call-overload]
    return f"FW{digest}{rep:02d}"


def _number_bytes(prefix: str, shipment_ids: np.ndarray) -> np.ndarray | None:
    """The tracking numbers as one ``(n, width)`` array of UTF-8 bytes (prefix, then the
    shipment id in 10 zero-padded digits), built without a Python loop; None where an id does
    not fit in 10 digits (then the numbers are formatted one by one)."""
    ids = np.asarray(shipment_ids, np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= 10**10):
        return None
    # each run of equal ids (a shipment's scans) is formatted once
    start = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else ids
    head = np.frombuffer(prefix.encode(), np.uint8)
    out = np.empty((len(start), len(head) + 10), np.uint8)
    out[:, :len(head)] = head
    rest = ids[start]
    for k in range(len(head) + 9, len(head) - 1, -1):
        out[:, k] = ord("0") + rest % 10
        rest = rest // 10
    return np.repeat(out, np.diff(np.r_[start, len(ids)]), axis=0)


def tracking_numbers(log: EventLog, shipment_ids: np.ndarray) -> np.ndarray:
    """Stable tracking numbers: ``FW`` + 6 hex digits of the scenario digest + replication
    (2 digits) + shipment id (10 digits)."""
    prefix = _number_prefix(log)
    raw = _number_bytes(prefix, shipment_ids)
    if raw is None or not prefix.isascii():
        return np.array([f"{prefix}{int(s):010d}" for s in shipment_ids])
    return raw.view(f"S{raw.shape[1]}").ravel().astype(f"U{raw.shape[1]}")


def tracking_number_array(log: EventLog, shipment_ids: np.ndarray) -> pa.Array:
    """:func:`tracking_numbers` as an Arrow string array, built straight from the bytes (for
    writing ``tracking.parquet``)."""
    prefix = _number_prefix(log)
    raw = _number_bytes(prefix, shipment_ids)
    if raw is None:
        return pa.array([f"{prefix}{int(s):010d}" for s in shipment_ids], pa.string())
    n, width = raw.shape
    offsets = (np.arange(n + 1, dtype=np.int64) * width).astype(np.int32) \
        if n * width < 2**31 else None
    if offsets is None:  # pragma: no cover - over 100 million scans
        return pa.array(raw.view(f"S{width}").ravel().astype(object), pa.string())
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(raw.ravel()))


def tracking_scans(log: EventLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scans as three columns ``shipment_id, scan, time_h`` (``scan`` the position in
    :data:`SCANS`), sorted by shipment, time and scan."""
    ev = log["events"]
    n = log.n_rows("shipments")

    def at(status: Status) -> np.ndarray:
        out = np.full(n, np.nan)
        m = ev["status"] == status
        out[ev["shipment_id"][m]] = ev["time_h"][m]
        return out

    label, pickup = at(Status.PACKED), at(Status.SHIPPED)
    delivered, exception = at(Status.DELIVERED), at(Status.EXCEPTION)
    end = np.where(np.isnan(delivered), exception, delivered)
    out_for_delivery = np.maximum(np.floor(end / 24.0) * 24.0 + 8.0, pickup)
    in_transit = np.minimum(pickup + 1.0, out_for_delivery)
    in_transit = np.where(np.isnan(in_transit), pickup + 1.0, in_transit)
    labelled = np.sort(log["labels"]["shipment_id"], kind="stable")
    # one row per labelled shipment, one column per scan; a scan that did not happen by the
    # horizon is +inf, and sorting each row (stable: ties keep the scans' order) puts the
    # shipment's scans in time order; the rows are in shipment order
    times = np.stack([t[labelled] for t in (label, pickup, in_transit, out_for_delivery,
                                            delivered, exception)], axis=1)
    times[~(times <= log.horizon_h)] = np.inf  # (NaN compares false: not happened)
    scans = np.argsort(times, axis=1, kind="stable")
    times = np.take_along_axis(times, scans, axis=1)
    ok = times != np.inf
    sids = np.broadcast_to(labelled[:, None], times.shape)[ok]
    return sids, scans[ok].astype(np.int8), times[ok]


def tracking_events(log: EventLog) -> dict[str, np.ndarray]:
    """Long table of scans: ``tracking_number, shipment_id, scan, time_h`` (sorted by
    shipment, then time)."""
    sids, scans, times = tracking_scans(log)
    return {"tracking_number": tracking_numbers(log, sids), "shipment_id": sids,
            "scan": np.array(SCANS, dtype=object)[scans], "time_h": times}
