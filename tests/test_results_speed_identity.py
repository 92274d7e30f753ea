"""Writing results fast changes nothing read back: a written run reads back as the in-memory
log, table by table and KPI by KPI (on a run with holds, cancellations, returns and
transfers); the carrier scans are those of :func:`sim.tracking.tracking_events`; the files
are the same whatever the number of writer threads; DuckDB reads the encodings used; and a
format 2 directory written with pyarrow's default options still reads."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sim.results
from sim.eventlog import EventLog, Status
from sim.kpis import compute_kpis
from sim.results import FORMAT, load_kpis, read_manifest, read_results, write_results
from sim.runner import RunResult, run_scenario
from sim.scenario import load_scenario
from sim.tracking import (
    SCANS,
    tracking_events,
    tracking_number_array,
    tracking_numbers,
    tracking_scans,
)
from tests.conftest import SMALL, deep_merge, write_scenario

BUSY = {"run": {"horizon_days": 8, "warmup_days": 1},
        "inventory": {"rule": "days_of_demand", "days": 2},
        "replenishment": {"reorder_point_days": 0.5, "order_up_to_days": 6,
                          "lead_time_days": 4},
        "returns": {"probability": 0.2, "delay_days": {"mean": 0.5}},
        "transfers": {"policy": "rebalance", "review_hour": 1.0, "trigger_days": 1,
                      "target_days": 2, "donor_keep_days": 2.5, "lead_time_days": 1,
                      "cost_per_unit": 0.5}}
"""The small scenario short of stock: holds, cancellations, returns and transfers."""


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Any, Path]:
    d = tmp_path_factory.mktemp("busy")
    sc = load_scenario(write_scenario(d, deep_merge(SMALL, BUSY)))
    result = run_scenario(sc)
    return result, sc, _write(result, sc, d / "res")


def _write(result: RunResult, sc: Any, out: Path) -> Path:
    return write_results(out, result.log, result.kpis, sc.model_dump(mode="json"),
                         result.manifest)


def _same_kpis(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def test_the_run_has_what_the_identity_is_about(busy: tuple[RunResult, Any, Path]) -> None:
    log = busy[0].log
    status = log["events"]["status"]
    for s in (Status.ON_HOLD, Status.CANCELLED, Status.RETURNED, Status.PICK_START,
              Status.DELIVERED):
        assert (status == s).any(), s
    for t in ("returns", "transfers", "receipts", "purchase_orders", "labels"):
        assert log.n_rows(t) > 0, t


def test_read_back_equals_the_log_table_by_table_and_kpi_by_kpi(
        busy: tuple[RunResult, Any, Path]) -> None:
    result, _, res = busy
    back = read_results(res)
    written = EventLog(tables=result.log.tables_for_disk(), meta=result.log.meta)
    assert back.equals(written)
    for t, cols in written.tables.items():
        assert back.tables[t].keys() == cols.keys(), t
        for c, a in cols.items():
            b = back.tables[t][c]
            assert b.dtype == a.dtype, (t, c)
            np.testing.assert_array_equal(b, a, err_msg=f"{t}.{c}")
    assert _same_kpis(compute_kpis(back), result.kpis)
    assert _same_kpis(load_kpis(res)[1], result.kpis)
    manifest = read_manifest(res)
    assert manifest["format"] == FORMAT
    assert manifest["rows"] == {t: written.n_rows(t) for t in written.tables}


def test_tracking_file_is_the_tracking_events(busy: tuple[RunResult, Any, Path]) -> None:
    result, _, res = busy
    want = tracking_events(result.log)
    got = pq.read_table(res / "tracking.parquet")
    assert got.column_names == list(want)
    assert got.column("tracking_number").to_pylist() == want["tracking_number"].tolist()
    assert got.column("scan").type.index_type == pa.int8()
    assert got.column("scan").to_pylist() == want["scan"].tolist()
    assert got.column("scan").combine_chunks().dictionary.to_pylist() == list(SCANS)
    np.testing.assert_array_equal(got.column("shipment_id").to_numpy(), want["shipment_id"])
    np.testing.assert_array_equal(got.column("time_h").to_numpy(), want["time_h"])


def _scans_one_by_one(log: EventLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scans as first written: each scan's column filtered, then sorted by shipment,
    time and scan with ``np.lexsort``."""
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
    ofd = np.maximum(np.floor(end / 24.0) * 24.0 + 8.0, pickup)
    in_transit = np.where(np.isnan(np.minimum(pickup + 1.0, ofd)), pickup + 1.0,
                          np.minimum(pickup + 1.0, ofd))
    labelled = log["labels"]["shipment_id"]
    sid, scan, time = [], [], []
    for k, t in enumerate((label, pickup, in_transit, ofd, delivered, exception)):
        ok = ~np.isnan(t[labelled]) & (t[labelled] <= log.horizon_h)
        sid.append(labelled[ok])
        scan.append(np.full(int(ok.sum()), k, np.int8))
        time.append(t[labelled][ok])
    s, c, t = np.concatenate(sid), np.concatenate(scan), np.concatenate(time)
    order = np.lexsort((c, t, s))
    return s[order], c[order], t[order]


def test_scans_are_sorted_as_by_lexsort(busy: tuple[RunResult, Any, Path]) -> None:
    log = busy[0].log
    for got, want in zip(tracking_scans(log), _scans_one_by_one(log), strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("digest", "rep"), [
    ("abcdef0123", 0), ("0f1e2d", 7), ("ABCDEF", 123), ("ÿé12345", 2), (None, 0)])
def test_tracking_numbers_are_formatted_as_before(digest: str | None, rep: int) -> None:
    meta: dict[str, object] = {"replication": rep}
    if digest is not None:
        meta["scenario_sha256"] = digest
    log = EventLog(tables={}, meta=meta)
    ids = np.array([0, 0, 1, 5, 5, 5, 42, 42, 999_999, 2**31 - 1, 7], np.int32)
    prefix = f"FW{str(digest or '000000')[:6].upper()}{rep:02d}"
    want = [f"{prefix}{int(s):010d}" for s in ids]
    assert tracking_numbers(log, ids).tolist() == want
    assert tracking_number_array(log, ids).to_pylist() == want
    assert tracking_numbers(log, ids[:0]).tolist() == []
    assert tracking_number_array(log, ids[:0]).to_pylist() == []
    odd = np.array([-1, 10**10], np.int64)  # not 10 digits: formatted one by one
    assert tracking_number_array(log, odd).to_pylist() == [f"{prefix}{s:010d}" for s in odd]


def _parquet_bytes(res: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(res.glob("*.parquet"))}


def test_files_do_not_depend_on_the_writer_threads(
        busy: tuple[RunResult, Any, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    result, sc, res = busy
    monkeypatch.setattr(sim.results, "WRITE_THREADS", 1)
    one = _write(result, sc, tmp_path / "one")
    assert _parquet_bytes(one) == _parquet_bytes(res)


def test_duckdb_reads_the_values_written(busy: tuple[RunResult, Any, Path]) -> None:
    result, _, res = busy
    log = result.log
    con = duckdb.connect()
    for table, cols in (("events", ("time_h", "order_id", "shipment_id")),
                        ("orders", ("placed_h", "promise_h", "n_units")),
                        ("labels", ("postage", "billable_lb")),
                        ("returns", ("time_h", "refund"))):
        got = con.execute(f"SELECT {', '.join(cols)} FROM '{res / table}.parquet'").fetchnumpy()
        for c in cols:
            np.testing.assert_array_equal(np.asarray(got[c]), log[table][c],
                                          err_msg=f"{table}.{c}")
    status = con.execute(f"SELECT status FROM '{res}/events.parquet'").fetchnumpy()["status"]
    names = [s.name.lower() for s in Status]
    assert [names.index(s) for s in status] == log["events"]["status"].tolist()


def test_a_format_2_directory_written_with_default_options_still_reads(
        busy: tuple[RunResult, Any, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As format 2 was first written: pyarrow's default encodings (dictionaries everywhere,
    statistics, zstd)."""
    result, sc, _ = busy
    monkeypatch.setattr(sim.results, "parquet_options",
                        lambda table: {"compression": "zstd"})
    res = _write(result, sc, tmp_path / "defaults")
    encodings = pq.ParquetFile(res / "events.parquet").metadata.row_group(0).column(0)
    assert "BYTE_STREAM_SPLIT" not in encodings.encodings
    monkeypatch.undo()
    back = read_results(res)
    assert back.equals(EventLog(tables=result.log.tables_for_disk(), meta=result.log.meta))
    assert _same_kpis(load_kpis(res)[1], result.kpis)


def test_times_are_written_split_and_labels_as_dictionaries(
        busy: tuple[RunResult, Any, Path]) -> None:
    md = pq.ParquetFile(busy[2] / "events.parquet").metadata.row_group(0)
    by_name = {md.column(i).path_in_schema: md.column(i).encodings
               for i in range(md.num_columns)}
    assert "BYTE_STREAM_SPLIT" in by_name["time_h"]
    assert any("DICTIONARY" in e for e in by_name["status"])
    assert not any("DICTIONARY" in e for e in by_name["order_id"])
