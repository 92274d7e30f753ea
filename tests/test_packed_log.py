"""The tables a run keeps packed in memory (sim.recorder) unpack to exactly what was written,
row for row and bit for bit, on hand-built input covering every kind of segment; and a real
run keeps its log small."""

from __future__ import annotations

import weakref
from pathlib import Path

import numpy as np
import pytest

import sim.recorder as R
from sim.eventlog import SCHEMA, EventLog, Status
from sim.model import FulfillmentModel
from sim.network import build_network
from sim.scenario import load_scenario

S = Status
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
EV = SCHEMA["events"]


def _plain(rows: list[tuple[float, int, int, int, int]]) -> dict[str, np.ndarray]:
    """Event rows as the table they should unpack to."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * 5
    return {c: np.array(v, dtype=np.dtype(code)) for (c, code), v in zip(EV.items(), cols,
                                                                          strict=True)}


def _log(packed: dict[str, object], **tables: dict[str, np.ndarray]) -> EventLog:
    return EventLog(tables=dict(tables), meta={"horizon_h": 100.0, "warmup_h": 0.0},
                    packed=packed)  # type: ignore[arg-type]


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for c in a:
        assert a[c].dtype == b[c].dtype, c
        assert a[c].tobytes() == b[c].tobytes(), c  # bit for bit


def test_events_unpack_row_for_row_with_every_kind_of_segment() -> None:
    placed = np.array([0.5, 1.25, 2.0, 30.0, 31.0, 47.5])  # 6 orders, 2 days
    sh_order = np.array([1, 0, 2, 4, 3, 5], np.int32)  # shipment -> order
    orders = {"placed_h": placed}
    rec = R.EventRecorder(10)
    want: list[tuple[float, int, int, int, int]] = []

    rec.placed(0, 3)
    want += [(placed[i], i, S.PLACED, -1, -1) for i in range(3)]
    rec.row(3.0, S.ON_HOLD, 2, 1, -1)
    rec.row(4.0, S.RELEASED, 2, 1, 2)
    want += [(3.0, 2, S.ON_HOLD, 1, -1), (4.0, 2, S.RELEASED, 1, 2)]
    # a pickup: one parcel lost, one returned to sender, one delivered after the horizon
    ids = np.array([1, 0, 2])
    t = np.array([50.0, 60.0, 150.0])
    status = np.array([S.EXCEPTION, S.RETURNED_TO_SENDER, S.DELIVERED])
    seen = t <= 100.0
    rec.pickup(20.0, 1, ids, t, status, seen)
    want += [(20.0, int(sh_order[i]), S.SHIPPED, 1, int(i)) for i in ids]
    want += [(float(t[j]), int(sh_order[ids[j]]), int(status[j]), 1, int(ids[j]))
             for j in range(3) if seen[j]]
    rec.placed(3, 3)
    want += [(placed[i], i, S.PLACED, -1, -1) for i in range(3, 6)]
    rec.pickup(40.0, 0, np.array([3, 4, 5]), np.array([70.0, -0.0, 0.0]),
               np.array([S.DELIVERED] * 3), np.array([True, True, True]))
    want += [(40.0, int(sh_order[i]), S.SHIPPED, 0, i) for i in (3, 4, 5)]
    want += [(v, int(sh_order[i]), S.DELIVERED, 0, i)
             for v, i in ((70.0, 3), (-0.0, 4), (0.0, 5))]
    rec.row(99.0, S.RETURNED, 1, 0, 1)
    want.append((99.0, 1, S.RETURNED, 0, 1))

    packed = rec.finish(sh_order)
    got = packed.columns(_log({}, orders=orders))
    _same(got, _plain(want))
    assert np.signbit(got["time_h"][-3])  # -0.0 kept apart from 0.0 (codes by bits)
    assert packed.raw_t.size == 0  # both pickups coded


def test_a_pickup_with_many_delivery_times_is_kept_raw() -> None:
    n = 200  # 200 distinct times x 2 statuses: more than one byte of codes
    ids = np.arange(n)
    t = 10.0 + np.arange(n) / 7.0
    status = np.where(ids % 3 == 0, S.EXCEPTION, S.DELIVERED)
    seen = ids % 5 != 0
    rec = R.EventRecorder(n)
    rec.pickup(5.0, 2, ids, t, status, seen)
    rec.pickup(6.0, 2, ids[:4], t[:4], status[:4], seen[:4])  # coded again
    sh_order = (ids[::-1] * 3).astype(np.int32)
    packed = rec.finish(sh_order)
    assert packed.raw_t.size == n and packed.codes.size == 4
    want = [(5.0, int(sh_order[i]), S.SHIPPED, 2, i) for i in range(n)]
    want += [(float(t[i]), int(sh_order[i]), int(status[i]), 2, i) for i in range(n) if seen[i]]
    want += [(6.0, int(sh_order[i]), S.SHIPPED, 2, i) for i in range(4)]
    want += [(float(t[i]), int(sh_order[i]), int(status[i]), 2, i) for i in range(4) if seen[i]]
    got = packed.columns(_log({}, orders={"placed_h": np.zeros(0)}))
    _same(got, _plain(want))


@pytest.mark.parametrize("limit", [1 << 16, 3])
def test_labels_unpack_exactly_coded_or_raw(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    monkeypatch.setattr(R, "_MAX_LABEL_CODES", limit)  # 3: the dictionary fills up
    rng = np.random.default_rng(7)
    rec = R.LabelRecorder(100)
    want: dict[str, list[np.ndarray]] = {c: [] for c in SCHEMA["labels"]}
    first = 0
    for n in (5, 1, 12, 7):
        batch = {"service": rng.integers(0, 3, n),
                 "postage": rng.choice([7.25, 9.5, 12.125, 7.250000001], n),  # cast to float32
                 "parcels": rng.integers(1, 3, n),
                 "billable_lb": rng.choice([1.0, 2.0, 5.0], n),
                 "carton_cost": rng.choice([0.1, 0.35], n)}
        ids = np.arange(first, first + n)[::-1]
        first += n
        rec.batch(ids, **batch)
        want["shipment_id"].append(ids)
        for c, v in batch.items():
            want[c].append(v)
    packed = rec.finish()
    assert packed.coded.all() == (limit > 3)
    expect = {c: np.concatenate(v).astype(np.dtype(code))
              for (c, code), v in zip(SCHEMA["labels"].items(), want.values(), strict=True)}
    _same(packed.columns(_log({})), expect)


@pytest.mark.parametrize("step", [1 << 16, 4, 1])
def test_lines_and_shipment_counts_are_implied_exactly(monkeypatch: pytest.MonkeyPatch,
                                                       step: int) -> None:
    monkeypatch.setattr(R, "_LINES_STEP", step)  # unpacked a few shipments at a time
    # orders 0..2: 2, 1 and 3 lines; shipment 0 ships order 1 whole, 1 and 2 split order 2,
    # 3 ships order 0 whole, 4 reships order 0's two lines (as written), 5 ships order 2's
    # lines all together but written (a split decision that sends every line to one FC)
    order_lines = {"sku": np.array([10, 11, 20, 30, 31, 32], np.int32),
                   "units": np.array([1, 2, 5, 1, 1, 4], np.int16)}
    orders = {"n_lines": np.array([2, 1, 3], np.int16)}
    sh_order = np.array([1, 2, 2, 0, 0, 2], np.int32)
    written = {"shipment_id": np.array([1, 1, 2, 4, 4, 5, 5, 5], np.int32),
               "sku": np.array([30, 32, 31, 10, 11, 30, 31, 32], np.int32),
               "units": np.array([1, 4, 1, 1, 2, 1, 1, 4], np.int16)}
    shipments = R.PackedShipments({"order_id": sh_order, "fc": np.zeros(6, np.int8),
                                   "zone": np.zeros(6, np.int8),
                                   "weight_lb": np.ones(6, np.float32)})
    log = _log({"order_lines": R.PackedOrderLines(order_lines), "shipments": shipments,
                "shipment_lines": R.PackedShipmentLines(written, sh_order)},
               orders=orders)
    assert log.names == ["orders", "order_lines", "shipments", "shipment_lines"]
    _same(log.table("order_lines"), {"order_id": np.array([0, 0, 1, 2, 2, 2], np.int32),
                                     **order_lines})
    _same(log.table("shipment_lines"), {
        "shipment_id": np.array([0, 1, 1, 2, 3, 3, 4, 4, 5, 5, 5], np.int32),
        "sku": np.array([20, 30, 32, 31, 10, 11, 10, 11, 30, 31, 32], np.int32),
        "units": np.array([5, 1, 4, 1, 1, 2, 1, 2, 1, 1, 4], np.int16)})
    sh = log.table("shipments")
    assert list(sh) == list(SCHEMA["shipments"])[:6]
    assert sh["n_lines"].tolist() == [1, 2, 1, 2, 2, 3] and sh["n_lines"].dtype == np.int16
    assert sh["n_units"].tolist() == [5, 5, 1, 3, 3, 6] and sh["n_units"].dtype == np.int32
    assert not log.packed  # all unpacked, in the order of the schema
    assert list(log.stored) == ["orders", "order_lines", "shipments", "shipment_lines"]


def test_a_run_keeps_its_log_small_and_its_lines_readable_during_the_run(tmp_path: Path
                                                                        ) -> None:
    """Order errors read a shipment's lines during the run (reships, returns to sender):
    from the rows written or, for a whole order, from its order's lines; both must agree
    with the unpacked table.  And the packed log stays small."""
    path = tmp_path / "errors_and_splits.toml"  # order errors, frequent, with split orders
    path.write_text(f'extends = "{(SCENARIOS / "order_errors.toml").as_posix()}"\n'
                    'name = "errors_and_splits"\n'
                    '[routing]\npolicy = "optimal"\n'
                    'params = { max_shipments = 2, late_penalty_per_day = 25.0 }\n'
                    '[quality]\nmispick_probability = 0.05\naddress_error_probability = 0.1\n'
                    '[services.ground]\ndamage_probability = 0.05\n', encoding="utf-8")
    sc = load_scenario(path).with_overrides(horizon_days=4)
    model = FulfillmentModel(build_network(sc))
    read: list[tuple[int, bool, list[tuple[int, int]]]] = []  # shipment, rows written?, lines
    lines_of = model._lines

    def spy(sid: int) -> list[tuple[int, int]]:
        col = model.rec.big["shipment_lines"]["shipment_id"]
        read.append((sid, sid in col.buf[:model._sl_n].tolist(), lines_of(sid)))
        return read[-1][2]

    model._lines = spy  # type: ignore[method-assign]
    log = model.run()
    n = int(log.meta["orders"])  # type: ignore[call-overload]
    assert set(log.packed) == {"events", "order_lines", "shipments", "shipment_lines",
                               "labels"}
    assert log.nbytes() / n < 110  # 18 bytes an event row alone used to take 38 per order
    lines = log.table("shipment_lines")
    sid = lines["shipment_id"]
    for s, _, got in read:
        rows = np.flatnonzero(sid == s)
        assert got == list(zip(lines["sku"][rows].tolist(), lines["units"][rows].tolist(),
                               strict=True))
    assert sum(not written for _, written, _ in read) > 10  # whole orders: their order's lines
    assert any(written for _, written, _ in read)  # reships, parts of split orders


def test_unpacked_log_equals_itself_packed_and_tables_keeps_working() -> None:
    sc = load_scenario(SCENARIOS / "optimal_routing.toml").with_overrides(horizon_days=2)
    net = build_network(sc)
    model = FulfillmentModel(net)
    written = weakref.ref(model.rec.events)
    a, b = model.run(), FulfillmentModel(net).run()
    assert written() is None  # the finished model keeps no second copy of the packed events
    long = a["events"]  # the long table: no other table unpacked for it
    assert set(a.packed) == {"order_lines", "shipments", "shipment_lines", "labels"}
    assert len(long["time_h"]) > len(a.table("events")["time_h"])
    _ = a.tables  # the old way: every table, unpacked
    assert not a.packed and b.packed
    assert a.equals(b) and b.equals(a)
    # split orders: shipments with lines of their own, and the rest implied
    assert (a.table("shipments")["n_lines"] < a.table("orders")["n_lines"][
        a.table("shipments")["order_id"]]).any()
