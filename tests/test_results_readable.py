"""A results directory reads as labels (pandas categories, DuckDB text) and joins on row
keys, while reading it back gives the run's integer codes and KPIs exactly; format 1
directories (plain integer codes) still load."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.eventlog import SCHEMA, EventLog, Source, Status
from sim.kpis import compute_kpis
from sim.results import (
    FORMAT,
    LABELLED,
    ROW_KEYS,
    SUPPORTED_FORMATS,
    ResultsError,
    disk_schema,
    load_kpis,
    read_results,
    write_results,
)
from sim.runner import RunResult, run_scenario
from sim.tracking import SCANS
from tests.conftest import MakeScenario


def _write(result: RunResult, sc: Any, out: Path) -> Path:
    return write_results(out, result.log, result.kpis, sc.model_dump(mode="json"),
                         result.manifest)


@pytest.fixture
def written(make_scenario: MakeScenario, tmp_path: Path) -> tuple[RunResult, Path]:
    sc = make_scenario({"run": {"horizon_days": 4, "warmup_days": 1},
                        "returns": {"probability": 0.3, "delay_days": {"mean": 0.5}}})
    result = run_scenario(sc)
    return result, _write(result, sc, tmp_path / "res")


def _same_kpis(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def _as_written(log: EventLog) -> EventLog:
    """The tables a results directory holds (events long, shipments without the timeline)."""
    return EventLog(tables=log.tables_for_disk(), meta=log.meta)


def test_codes_are_written_with_their_labels(written: tuple[RunResult, Path]) -> None:
    result, res = written
    meta = result.log.meta
    assert json.loads((res / "manifest.json").read_text())["format"] == FORMAT == 2
    ev = pd.read_parquet(res / "events.parquet")
    assert isinstance(ev["status"].dtype, pd.CategoricalDtype)
    assert list(ev["status"].cat.categories) == [s.name.lower() for s in Status]
    assert list(ev["fc"].cat.categories) == meta["fc_names"]
    codes = result.log["events"]
    assert ev["status"].tolist() == [Status(int(s)).name.lower() for s in codes["status"]]
    order_event = codes["fc"] < 0  # -1: no FC, a missing value on disk
    assert order_event.any() and ev["fc"][order_event].isna().all()
    assert ev["fc"][~order_event].tolist() == [meta["fc_names"][int(f)]  # type: ignore[index]
                                              for f in codes["fc"][~order_event]]
    assert "delivered" in set(ev["status"])

    orders = pd.read_parquet(res / "orders.parquet")
    assert orders["order_id"].tolist() == list(range(len(orders)))
    assert list(orders["dest"].cat.categories) == meta["dest_names"]
    assert orders["dest"].tolist() == [meta["dest_names"][int(d)]  # type: ignore[index]
                                       for d in result.log["orders"]["dest"]]
    assert set(orders["channel"]) <= set(meta["channel_names"])  # type: ignore[arg-type]

    labels = pd.read_parquet(res / "labels.parquet")
    assert list(labels["service"].cat.categories) == meta["service_names"]
    receipts = pd.read_parquet(res / "receipts.parquet")
    assert list(receipts["kind"].cat.categories) == [s.name.lower() for s in Source]
    transfers = pd.read_parquet(res / "transfers.parquet")
    assert isinstance(transfers["to_fc"].dtype, pd.CategoricalDtype)  # (no rows here)
    shipments = pd.read_parquet(res / "shipments.parquet")
    assert shipments["zone"].dtype == np.int8  # a zone is a number, not a code
    assert list(shipments["fc"].cat.categories) == meta["fc_names"]
    scans = pd.read_parquet(res / "tracking.parquet")["scan"]
    assert list(scans.cat.categories) == list(SCANS)


def test_sku_is_labelled_with_the_runs_ids_and_an_integer_code_without_them(
        written: tuple[RunResult, Path], tmp_path: Path, make_scenario: MakeScenario) -> None:
    result, res = written
    ids = list(result.log.meta["sku_ids"])  # type: ignore[call-overload]
    assert list(pd.read_parquet(res / "order_lines.parquet")["sku"].cat.categories) == ids
    # a run written before the SKU ids were in its metadata keeps integer codes
    log = result.log
    del log.meta["sku_ids"]
    sc0 = make_scenario({"run": {"horizon_days": 4, "warmup_days": 1}})
    old = write_results(tmp_path / "old", log, result.kpis, sc0.model_dump(mode="json"), {})
    assert pd.read_parquet(old / "order_lines.parquet")["sku"].dtype == np.int32
    assert read_results(old).equals(_as_written(log))
    ids = [f"SKU-{i:03d}" for i in range(int(log.meta["sku_ids_count"]))]  # type: ignore[call-overload]
    log.meta["sku_ids"] = ids
    sc = make_scenario({"run": {"horizon_days": 4, "warmup_days": 1}})
    out = write_results(tmp_path / "ids", log, result.kpis, sc.model_dump(mode="json"), {})
    lines = pd.read_parquet(out / "order_lines.parquet")
    assert list(lines["sku"].cat.categories) == ids
    assert read_results(out).equals(_as_written(log))


def test_shipments_join_labels_and_orders_on_their_keys(written: tuple[RunResult, Path]
                                                         ) -> None:
    result, res = written
    assert ROW_KEYS == {"orders": "order_id", "shipments": "shipment_id"}
    sh = pd.read_parquet(res / "shipments.parquet")
    assert sh.columns[0] == "shipment_id"
    assert sh["shipment_id"].tolist() == list(range(len(sh)))
    lb = pd.read_parquet(res / "labels.parquet")
    joined = sh.merge(lb, on="shipment_id", suffixes=("", "_label"))
    assert len(joined) == len(lb) > 0
    cost = np.full(len(sh), np.nan)
    cost[lb["shipment_id"]] = lb["postage"].astype(float) + lb["carton_cost"]
    assert np.allclose(joined["postage"].astype(float) + joined["carton_cost"],
                       cost[joined["shipment_id"]])
    orders = pd.read_parquet(res / "orders.parquet")
    with_dest = sh.merge(orders[["order_id", "dest"]], on="order_id")
    assert len(with_dest) == len(sh)
    assert set(with_dest["dest"]) <= set(result.log.meta["dest_names"])  # type: ignore[arg-type]


def test_duckdb_reads_labels_as_text(written: tuple[RunResult, Path]) -> None:
    result, res = written
    [(delivered,)] = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{res / 'events.parquet'}') "
        "WHERE status = 'delivered'").fetchall()
    codes = result.log["events"]["status"]
    assert delivered == int((codes == Status.DELIVERED).sum()) > 0
    by_fc = dict(duckdb.sql(
        f"SELECT fc, count(*) FROM read_parquet('{res / 'shipments.parquet'}') "
        "GROUP BY fc").fetchall())
    fcs = result.log["shipments"]["fc"]
    assert by_fc == {name: int((fcs == f).sum())
                     for f, name in enumerate(result.log.fc_names) if (fcs == f).any()}


def test_reading_back_gives_the_codes_and_kpis_of_the_run(written: tuple[RunResult, Path]
                                                          ) -> None:
    result, res = written
    back = read_results(res)
    assert back.equals(_as_written(result.log))
    for table, cols in back.tables.items():  # the codes' own dtypes, as in memory
        for c, a in cols.items():
            assert a.dtype == result.log[table][c].dtype, (table, c)
    assert _same_kpis(compute_kpis(back), result.kpis)
    assert _same_kpis(load_kpis(res)[1], result.kpis)


def _to_format_1(res: Path) -> None:
    """Rewrite a results directory as format 1 wrote it: integer codes, no row keys."""
    mf = res / "manifest.json"
    manifest = json.loads(mf.read_text())
    for table in manifest["rows"]:
        f = res / f"{table}.parquet"
        t = pq.read_table(f)
        if table in ROW_KEYS:
            t = t.drop_columns([ROW_KEYS[table]])
        for i, name in enumerate(t.column_names):
            col = t.column(name)
            if pa.types.is_dictionary(col.type):
                codes = pa.chunked_array([ch.indices.fill_null(-1) for ch in col.chunks])
                t = t.set_column(i, name, codes)
        assert not any(pa.types.is_dictionary(f.type) for f in t.schema)
        pq.write_table(t, f)
    manifest["format"] = 1
    mf.write_text(json.dumps(manifest))


def test_format_1_directories_still_load(written: tuple[RunResult, Path]) -> None:
    assert 1 in SUPPORTED_FORMATS
    result, res = written
    _to_format_1(res)
    assert pq.read_table(res / "events.parquet").schema.field("status").type == pa.int8()
    back = read_results(res)
    assert back.equals(_as_written(result.log))
    assert _same_kpis(load_kpis(res)[1], result.kpis)


def test_labels_in_another_order_decode_by_name(written: tuple[RunResult, Path]) -> None:
    """A file rewritten by another tool (categories reordered, unused ones dropped) still
    reads as the run's codes: labels are matched by name, not position."""
    result, res = written
    for table in ("events", "orders"):
        f = res / f"{table}.parquet"
        df = pd.read_parquet(f)
        for c in LABELLED[table]:
            used = [x for x in df[c].cat.categories if x in set(df[c].dropna())]
            df[c] = df[c].cat.set_categories(used[::-1])
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), f)
    assert read_results(res).equals(_as_written(result.log))


def _dict(indices: list[int | None], labels: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int8()), pa.array(labels))


def test_damaged_labels_are_reported(written: tuple[RunResult, Path]) -> None:
    result, res = written
    n_ev, n_orders = result.log.n_rows("events"), result.log.n_rows("orders")
    n_sh = result.log.n_rows("shipments")

    def damaged(table: str, col: str, arr: Any, match: str) -> None:
        f = res / f"{table}.parquet"
        good = pq.read_table(f)
        pq.write_table(good.set_column(good.column_names.index(col), col, arr), f)
        with pytest.raises(ResultsError, match="is damaged: column " + match):
            read_results(res)
        pq.write_table(good, f)

    damaged("events", "status", _dict([0] * n_ev, ["placed_typo"]),
            r"events\.status holds 'placed_typo', which is not one of the statuses")
    damaged("events", "status", _dict([None] * n_ev, ["placed"]),
            r"events\.status has missing values")
    damaged("orders", "channel", _dict([0] * n_orders, ["telephone"]),
            r"orders\.channel holds 'telephone', which is not one of meta\.channel_names")
    damaged("orders", "order_id", pa.array(np.arange(n_orders, dtype=np.int32)[::-1]),
            r"orders\.order_id should number the rows")
    damaged("shipments", "shipment_id", pa.array(np.zeros(n_sh, np.int32)),
            r"shipments\.shipment_id should number the rows")
    damaged("shipments", "zone", _dict([0] * n_sh, ["1"]),  # a number, never labels
            r"shipments\.zone has type dictionary.*expected int8")
    damaged("shipments", "fc", pa.array(["east"] * n_sh),  # names, but not as a dictionary
            r"shipments\.fc has type string, expected int8 or its labels")
    assert read_results(res).equals(_as_written(result.log))  # every file restored

    mf = res / "manifest.json"
    manifest = json.loads(mf.read_text())
    manifest["meta"]["dest_names"] = ["same", "same"]
    mf.write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match=r"orders\.dest holds labels, but "
                                           r"meta\.dest_names does not list them"):
        read_results(res)


def test_every_code_column_is_labelled_or_documented() -> None:
    labelled = {(t, c) for t, cols in LABELLED.items() for c in cols}
    assert ("events", "status") in labelled and ("receipts", "kind") in labelled
    assert ("purchase_orders", "supplier") in labelled  # where the run lists the names
    for t, cols in SCHEMA.items():
        for c in cols:
            if c in ("fc", "from_fc", "to_fc", "channel", "dest", "service", "sku"):
                assert (t, c) in labelled, (t, c)
    assert ("shipments", "zone") not in labelled  # a zone is a number
    doc = (Path(__file__).parents[1] / "docs" / "results.md").read_text(encoding="utf-8")
    for t in SCHEMA:
        assert f"`{t}.parquet`" in doc, t
        for c in (*disk_schema(t), *([ROW_KEYS[t]] if t in ROW_KEYS else [])):
            assert f"`{c}`" in doc, (t, c)
    for s in Status:
        assert f"`{s.name.lower()}`" in doc, s


def test_a_run_with_nothing_shipped_round_trips(make_scenario: MakeScenario,
                                                tmp_path: Path) -> None:
    """Empty tables (no labels, no scans, no transfers) are written and read back."""
    sc = make_scenario({"run": {"horizon_days": 0.25, "warmup_days": 0}})
    result = run_scenario(sc)
    assert result.log.n_rows("labels") == 0 < result.log.n_rows("orders")
    res = _write(result, sc, tmp_path / "res")
    assert pq.read_table(res / "tracking.parquet").num_rows == 0
    assert read_results(res).equals(_as_written(result.log))
    assert _same_kpis(load_kpis(res)[1], result.kpis)
