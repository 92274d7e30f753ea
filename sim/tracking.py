"""Carrier tracking events, derived from the event log (no simulation events needed).

Each labelled shipment gets a tracking number and the scans a customer would see: label
created (at packing), picked up (carrier pickup), in transit (departure scan, one hour after
pickup), out for delivery (08:00 on the delivery day, or at pickup for same-day services),
then delivered or exception.  They follow deterministically from the times the model already
recorded, so they cost nothing while simulating and are written with the results.
"""

from __future__ import annotations

import numpy as np

from sim.eventlog import EventLog, Status

SCANS = ("label_created", "picked_up", "in_transit", "out_for_delivery", "delivered",
         "exception")


def tracking_numbers(log: EventLog, shipment_ids: np.ndarray) -> np.ndarray:
    """Stable tracking numbers: ``FW`` + 6 hex digits of the scenario digest + shipment id."""
    digest = str(log.meta.get("scenario_sha256", "0" * 6))[:6].upper()
    rep = int(log.meta.get("replication", 0))  # type: ignore[call-overload]
    return np.array([f"FW{digest}{rep:02d}{int(s):010d}" for s in shipment_ids])


def tracking_events(log: EventLog) -> dict[str, np.ndarray]:
    """Long table of scans: ``tracking_number, shipment_id, scan, time_h`` (sorted by time)."""
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
    labelled = log["labels"]["shipment_id"]
    cols = (label, pickup, in_transit, out_for_delivery, delivered, exception)
    sid, scan, time = [], [], []
    for k, t in enumerate(cols):
        ok = ~np.isnan(t[labelled]) & (t[labelled] <= log.horizon_h)
        sid.append(labelled[ok])
        scan.append(np.full(int(ok.sum()), k, np.int8))
        time.append(t[labelled][ok])
    sids = np.concatenate(sid)
    times = np.concatenate(time)
    scans = np.concatenate(scan)
    order = np.lexsort((scans, times, sids))
    sids, times, scans = sids[order], times[order], scans[order]
    return {"tracking_number": tracking_numbers(log, sids), "shipment_id": sids,
            "scan": np.array(SCANS, dtype=object)[scans], "time_h": times}
