"""Results directories: --out never destroys what fulfill did not write, replacement is atomic
and interrupt-safe, concurrent writers are refused, and damaged results give a ResultsError
saying so instead of a traceback or wrong numbers."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sim.files
import sim.kpis
import sim.results
from sim.cli import main
from sim.files import make_temp_dir, rename_exchange
from sim.results import (
    MARKER,
    ResultsError,
    default_results_dir,
    load_kpis,
    read_manifest,
    read_results,
    write_results,
)
from sim.runner import RunResult, run_scenario
from sim.scenario import Scenario, load_scenario
from tests.conftest import SMALL, deep_merge, write_scenario

NOT_OURS = "is not a results directory written by fulfill"


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Scenario]:
    d = tmp_path_factory.mktemp("scenario")
    path = write_scenario(d, deep_merge(SMALL, {"run": {"horizon_days": 2, "warmup_days": 0.5},
                                                "demand": {"orders_per_day": 150}}))
    sc = load_scenario(path)
    return run_scenario(sc), sc


@pytest.fixture(scope="module")
def master(small_run: tuple[RunResult, Scenario],
           tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results directory written once per module; tests work on copies."""
    return _write(tmp_path_factory.mktemp("master") / "res", small_run, seed=1)


def _write(out: Path, small_run: tuple[RunResult, Scenario], seed: int) -> Path:
    res, sc = small_run
    return write_results(out, res.log, res.kpis, sc.model_dump(mode="json"),
                         {**res.manifest, "seed": seed})


@pytest.fixture
def res(master: Path, tmp_path: Path) -> Path:
    out = tmp_path / "res"
    shutil.copytree(master, out)
    return out


def _seed(out: Path) -> int:
    return int(json.loads((out / "manifest.json").read_text())["seed"])


def _snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def _listing(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


# -- what --out may replace ---------------------------------------------------------------------


def test_foreign_directory_is_not_touched(small_run: Any, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.docx").write_text("x")
    pattern = f"{re.escape(str(precious))} {NOT_OURS}.*choose another --out"
    with pytest.raises(ResultsError, match=pattern):
        _write(precious, small_run, seed=2)
    assert _snapshot(precious) == {"thesis.docx": b"x"}
    assert _listing(tmp_path) == ["precious"]


def test_file_as_out_is_not_touched(small_run: Any, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    with pytest.raises(ResultsError, match=f"{NOT_OURS} \\(it is a file\\)"):
        _write(notes, small_run, seed=2)
    assert notes.is_file() and notes.read_text() == "keep me"
    assert _listing(tmp_path) == ["notes.txt"]


def test_results_with_a_user_file_are_not_touched(small_run: Any, res: Path) -> None:
    (res / "my_notes.md").write_text("mine")
    before = _snapshot(res)
    with pytest.raises(ResultsError, match=r"also holds 'my_notes\.md'"):
        _write(res, small_run, seed=2)
    assert _snapshot(res) == before
    sub = res / "charts"
    (res / "my_notes.md").unlink()
    sub.mkdir()  # a directory inside is not ours either
    with pytest.raises(ResultsError, match="'charts'"):
        _write(res, small_run, seed=2)
    assert sub.is_dir() and _seed(res) == 1


def test_symlink_as_out_is_refused(small_run: Any, res: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(res, target_is_directory=True)
    before = _snapshot(res)
    with pytest.raises(ResultsError, match="symbolic link"):
        _write(link, small_run, seed=2)
    assert link.is_symlink() and _snapshot(res) == before


def test_unknown_or_unreadable_manifest_is_refused(small_run: Any, res: Path) -> None:
    mf = res / "manifest.json"
    m = json.loads(mf.read_text())
    mf.write_text(json.dumps({**m, "format": 99}))
    with pytest.raises(ResultsError, match=NOT_OURS):
        _write(res, small_run, seed=2)
    mf.write_text("{not json")
    with pytest.raises(ResultsError, match=NOT_OURS):
        _write(res, small_run, seed=2)
    assert mf.read_text() == "{not json"


def test_old_manifest_without_files_list(small_run: Any, res: Path) -> None:
    mf = res / "manifest.json"
    m = json.loads(mf.read_text())
    del m["files"]
    mf.write_text(json.dumps(m))
    (res / "extra.parquet").write_bytes(b"user data")  # not a table in "rows"
    with pytest.raises(ResultsError, match=r"'extra\.parquet'"):
        _write(res, small_run, seed=2)
    (res / "extra.parquet").unlink()
    _write(res, small_run, seed=2)  # only known names: replaced
    assert _seed(res) == 2 and "files" in json.loads(mf.read_text())


def test_new_and_empty_directories_are_used(small_run: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    _write(empty, small_run, seed=3)
    _write(tmp_path / "deep" / "new", small_run, seed=4)
    assert _seed(empty) == 3 and _seed(tmp_path / "deep" / "new") == 4
    files = json.loads((empty / "manifest.json").read_text())["files"]
    assert sorted(files) == _listing(empty) and MARKER not in files
    assert _listing(tmp_path) == ["deep", "empty"]


def test_replacement_swaps_in_one_step(small_run: Any, res: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Path, Path]] = []
    real = sim.files.rename_exchange

    def spy(a: Path, b: Path) -> None:
        real(a, b)
        calls.append((Path(a), Path(b)))  # only once it has succeeded

    monkeypatch.setattr(sim.files, "rename_exchange", spy)
    _write(res, small_run, seed=2)
    assert len(calls) == 1 and calls[0][1] == res
    assert calls[0][0].name.startswith(".res.tmp-")
    assert _seed(res) == 2
    assert read_results(res).meta["horizon_h"] == 48.0
    assert _listing(tmp_path) == ["res"]  # no temporary, old copy or lock file left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux only")
def test_rename_exchange_swaps_two_directories(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from_a").touch()
    (b / "from_b").touch()
    rename_exchange(a, b)
    assert _listing(a) == ["from_b"] and _listing(b) == ["from_a"]
    with pytest.raises(OSError) as info:
        rename_exchange(a, tmp_path / "missing")
    assert info.value.errno == errno.ENOENT


def test_fallback_when_exchange_is_unsupported(small_run: Any, res: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(a: Path, b: Path) -> None:
        raise OSError(errno.EINVAL, "Invalid argument")

    renames: list[str] = []
    real_rename = os.rename

    def rename(a: Any, b: Any) -> None:
        renames.append(Path(a).name)
        real_rename(a, b)

    monkeypatch.setattr(sim.files, "rename_exchange", unsupported)
    monkeypatch.setattr(os, "rename", rename)
    _write(res, small_run, seed=2)
    assert _seed(res) == 2
    assert renames[0] == "res" and renames[1].startswith(".res.tmp-")
    assert _listing(tmp_path) == ["res"]


def test_other_exchange_errors_are_not_swallowed(small_run: Any, res: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(a: Path, b: Path) -> None:
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(sim.files, "rename_exchange", denied)
    with pytest.raises(ResultsError, match=r"cannot write results to .*Permission denied"):
        _write(res, small_run, seed=2)
    assert _seed(res) == 1 and _listing(tmp_path) == ["res"]


def test_marked_leftovers_are_cleaned_and_look_alikes_kept(small_run: Any, res: Path,
                                                           tmp_path: Path) -> None:
    def leftover(name: str, marked: bool) -> Path:
        d = tmp_path / name
        d.mkdir()
        (d / "events.parquet").write_bytes(b"partial")
        if marked:
            (d / MARKER).touch()
        return d

    leftover(".res.tmp-abcd1234", marked=True)
    leftover(".res.old-0f0f0f0f", marked=True)
    keep = [leftover(".res.tmp-userdir1", marked=False),  # no marker: not ours
            leftover(".res.tmp-x.tmp-abcd1234", marked=True),  # another out's name
            leftover(".other.tmp-abcd1234", marked=True),
            leftover("res.tmp-abcd1234", marked=True)]  # not hidden: not our pattern
    fake = tmp_path / ".res.tmp-marklink"
    fake.symlink_to(keep[0], target_is_directory=True)
    _write(res, small_run, seed=2)
    assert _seed(res) == 2
    assert _listing(tmp_path) == sorted(["res", fake.name, *(d.name for d in keep)])
    assert all((d / "events.parquet").read_bytes() == b"partial" for d in keep)


def test_temp_dir_is_marked_first(tmp_path: Path) -> None:
    d = make_temp_dir(tmp_path / "res", marker=MARKER)
    assert d.name.startswith(".res.tmp-") and _listing(d) == [MARKER]


@pytest.fixture
def held_lock(res: Path) -> Iterator[Path]:
    """The writer lock of ``res`` held as another fulfill run (pid 4242) would hold it."""
    lock = res.with_name(".res.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"4242\n")
    try:
        yield lock
    finally:
        os.close(fd)


def test_concurrent_writer_is_refused(small_run: Any, res: Path, tmp_path: Path,
                                      held_lock: Path) -> None:
    stale = tmp_path / ".res.tmp-abcd1234"  # the other run's temporary directory
    stale.mkdir()
    (stale / MARKER).touch()
    before = _snapshot(res)
    with pytest.raises(ResultsError, match=r"another fulfill run is writing results to "
                                           r".*res \(pid 4242\); wait for it"):
        _write(res, small_run, seed=2)
    assert _snapshot(res) == before
    assert held_lock.read_text() == "4242\n" and stale.is_dir()


def test_lock_is_released_after_a_refusal(small_run: Any, tmp_path: Path) -> None:
    (tmp_path / "res").write_text("a file")
    with pytest.raises(ResultsError, match=NOT_OURS):
        _write(tmp_path / "res", small_run, seed=2)
    (tmp_path / "res").unlink()
    _write(tmp_path / "res", small_run, seed=2)
    assert _listing(tmp_path) == ["res"]


# -- interruptions ------------------------------------------------------------------------------


def _fail_on_call(n: int, real: Callable[..., Any], before: bool = True,
                  when: Callable[..., bool] = lambda *a: True) -> Callable[..., Any]:
    """``real``, but the ``n``-th matching call raises KeyboardInterrupt (before or after doing
    its work)."""
    count = [0]

    def wrapper(*args: Any, **kw: Any) -> Any:
        if when(*args):
            count[0] += 1
            if count[0] == n and before:
                raise KeyboardInterrupt
            result = real(*args, **kw)
            if count[0] == n:
                raise KeyboardInterrupt
            return result
        return real(*args, **kw)

    return wrapper


def _unsupported(a: Path, b: Path) -> None:
    raise OSError(errno.ENOSYS, "Function not implemented")


INTERRUPTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "first_table": lambda mp: mp.setattr(sim.results.pq, "write_table",
                                         _fail_on_call(1, pq.write_table)),
    "fifth_table": lambda mp: mp.setattr(sim.results.pq, "write_table",
                                         _fail_on_call(5, pq.write_table)),
    "manifest": lambda mp: mp.setattr(
        sim.results, "write_json_atomic",
        _fail_on_call(1, sim.results.write_json_atomic,
                      when=lambda p, *a: Path(p).name == "manifest.json")),
    "exchange": lambda mp: mp.setattr(sim.files, "rename_exchange",
                                      _fail_on_call(1, rename_exchange)),
    "after_exchange": lambda mp: mp.setattr(sim.files, "rename_exchange",
                                            _fail_on_call(1, rename_exchange, before=False)),
    "fallback_first_rename_done": lambda mp: (
        mp.setattr(sim.files, "rename_exchange", _unsupported),
        mp.setattr(os, "rename", _fail_on_call(1, os.rename, before=False))),
    "fallback_second_rename": lambda mp: (
        mp.setattr(sim.files, "rename_exchange", _unsupported),
        mp.setattr(os, "rename", _fail_on_call(2, os.rename))),
    "removing_old_copy": lambda mp: mp.setattr(
        sim.results, "remove_tree", _fail_on_call(1, sim.files.remove_tree)),
}
COMMITTED = {"after_exchange", "removing_old_copy"}  # the new result was already in place


@pytest.mark.parametrize("point", list(INTERRUPTS))
def test_interrupt_leaves_a_whole_result_and_no_temporary(
        point: str, small_run: Any, res: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(res)
    with monkeypatch.context() as mp:
        INTERRUPTS[point](mp)
        with pytest.raises(KeyboardInterrupt):
            _write(res, small_run, seed=2)
    assert _listing(tmp_path) == ["res"], "temporary, old copy or lock left behind"
    if point in COMMITTED:
        assert _seed(res) == 2
    else:
        assert _snapshot(res) == before
    read_results(res)  # whole either way
    _write(res, small_run, seed=3)  # and the next run can replace it
    assert _seed(res) == 3


def test_interrupted_first_write_leaves_nothing(small_run: Any, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.results.pq, "write_table", _fail_on_call(2, pq.write_table))
    with pytest.raises(KeyboardInterrupt):
        _write(tmp_path / "new", small_run, seed=2)
    assert _listing(tmp_path) == []


# -- default results directory ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("baseline", "baseline-seed7-14d"),
    ("../../x", "_.._x-seed7-14d"),
    ("/etc/x", "_etc_x-seed7-14d"),
    ("..", "run-seed7-14d"),
    (".", "run-seed7-14d"),
    ("", "run-seed7-14d"),
    (".hidden", "hidden-seed7-14d"),
    ("-rf", "rf-seed7-14d"),
    ("a b\\c:d\n", "a_b_c_d_-seed7-14d"),
    ("Lagerhaus Süd", "Lagerhaus_S_d-seed7-14d"),
])
def test_default_results_dir_is_a_safe_child_of_root(name: str, expected: str,
                                                     tmp_path: Path) -> None:
    p = default_results_dir(name, 7, 14.0, 0.0, root=tmp_path)
    assert p.parent == tmp_path and p.name == expected
    assert p.resolve().parent == tmp_path.resolve()


def test_default_results_dir_tells_runs_apart() -> None:
    assert default_results_dir("b", 7, 14, 0) == Path("results/b-seed7-14d")
    assert default_results_dir("b", 8, 14, 0) != default_results_dir("b", 7, 14, 0)
    assert default_results_dir("b", 7, 0.5, 0).name == "b-seed7-0.5d"
    assert default_results_dir("b", 7, 28.0, 7.0).name == "b-seed7-28d-w7d"
    assert default_results_dir("b", 7, 28, 3.5).name == "b-seed7-28d-w3.5d"
    long = default_results_dir("x" * 500, 7, 14, 0)
    assert len(long.name) < 120 and long.name.endswith("-seed7-14d")


# -- damaged results ----------------------------------------------------------------------------


def _edit_manifest(res: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    mf = res / "manifest.json"
    m = json.loads(mf.read_text())
    change(m)
    mf.write_text(json.dumps(m))


def _rewrite(res: Path, table: str, change: Callable[[pa.Table], pa.Table]) -> None:
    f = res / f"{table}.parquet"
    pq.write_table(change(pq.read_table(f)), f)


def _set_rows(res: Path, table: str, n: int) -> None:
    _edit_manifest(res, lambda m: m["rows"].__setitem__(table, n))


def _empty_orders(res: Path) -> None:
    _rewrite(res, "orders", lambda t: t.slice(0, 0))
    _set_rows(res, "orders", 0)


def _outside_table(res: Path) -> None:
    shutil.copy(res / "orders.parquet", res.parent / "x.parquet")
    _edit_manifest(res, lambda m: m["rows"].__setitem__("../x", 5))


def _set_column(res: Path, table: str, col: str, values: Callable[[np.ndarray], np.ndarray]
                ) -> None:
    def change(t: pa.Table) -> pa.Table:
        i = t.column_names.index(col)
        c = t.column(col)
        if pa.types.is_dictionary(c.type):  # a labelled column: change its codes
            c = pa.chunked_array([ch.indices for ch in c.chunks])
        return t.set_column(i, col, pa.array(values(c.to_numpy())))
    _rewrite(res, table, change)


DAMAGE: dict[str, tuple[Callable[[Path], Any], str]] = {
    "truncated_parquet": (lambda r: (r / "orders.parquet").write_bytes(
        (r / "orders.parquet").read_bytes()[:300]), "orders.parquet cannot be read"),
    "empty_parquet": (lambda r: (r / "events.parquet").write_bytes(b""),
                      "events.parquet cannot be read"),
    "garbage_parquet": (lambda r: (r / "shipments.parquet").write_bytes(os.urandom(4000)),
                        "shipments.parquet cannot be read"),
    "missing_parquet": (lambda r: (r / "labels.parquet").unlink(), "labels.parquet is missing"),
    "parquet_is_a_directory": (lambda r: ((r / "labels.parquet").unlink(),
                                          (r / "labels.parquet").mkdir()), "not a regular file"),
    "empty_manifest": (lambda r: (r / "manifest.json").write_text(""), "manifest.json is empty"),
    "manifest_not_json": (lambda r: (r / "manifest.json").write_text("{'rows': 1"),
                          "not valid JSON"),
    "manifest_not_utf8": (lambda r: (r / "manifest.json").write_bytes(b'{"a": "\xff"}'),
                          "not valid JSON"),
    "manifest_not_object": (lambda r: (r / "manifest.json").write_text("[1, 2]"),
                            "not a JSON object"),
    "no_rows": (lambda r: _edit_manifest(r, lambda m: m.pop("rows")), "no 'rows'"),
    "no_meta": (lambda r: _edit_manifest(r, lambda m: m.pop("meta")), "no 'meta'"),
    "no_format": (lambda r: _edit_manifest(r, lambda m: m.pop("format")), "no format version"),
    "format_99": (lambda r: _edit_manifest(r, lambda m: m.__setitem__("format", 99)),
                  "format 99 is not one this version"),
    "format_string": (lambda r: _edit_manifest(r, lambda m: m.__setitem__("format", "1")),
                      "format '1'"),
    "rows_not_a_count": (lambda r: _set_rows(r, "orders", -3), "-3 rows"),
    "table_outside": (_outside_table, "unknown table '../x'"),
    "unknown_table": (lambda r: _set_rows(r, "secrets", 1), "unknown table 'secrets'"),
    "table_not_listed": (lambda r: _edit_manifest(r, lambda m: m["rows"].pop("orders")),
                         "lists no orders table"),
    "bad_files_list": (lambda r: _edit_manifest(r, lambda m: m.__setitem__("files", ["/etc"])),
                       "invalid 'files'"),
    "missing_column": (lambda r: _rewrite(r, "orders", lambda t: t.drop_columns(["placed_h"])),
                       "orders.parquet lacks column(s) placed_h"),
    "extra_column": (lambda r: _rewrite(r, "orders", lambda t: t.append_column(
        "x", pa.array(np.zeros(t.num_rows)))), "unexpected column(s) x"),
    "wrong_dtype": (lambda r: _rewrite(r, "orders", lambda t: t.cast(pa.schema(
        [pa.field(f.name, pa.float32() if f.name == "placed_h" else f.type)
         for f in t.schema]))), "orders.placed_h has type float, expected double"),
    "promise_as_double": (lambda r: _rewrite(r, "orders", lambda t: t.cast(pa.schema(
        [pa.field(f.name, pa.float64() if f.name == "promise_h" else f.type)
         for f in t.schema]))), "orders.promise_h has type double, expected float"),
    "wrong_table": (lambda r: shutil.copy(r / "events.parquet", r / "orders.parquet"),
                    "orders.parquet lacks column"),
    "nulls": (lambda r: _set_column(r, "orders", "dest", lambda a: pa.array(
        [None, *a[1:].tolist()], pa.int32())), "orders.dest has missing values"),
    "row_count": (lambda r: _set_rows(r, "events", 5), "the manifest says 5"),
    "empty_orders": (_empty_orders, "events.order_id holds"),
    "order_out_of_range": (lambda r: _set_column(r, "shipments", "order_id",
                                                 lambda a: a + 10**6), "shipments.order_id"),
    "negative_fc": (lambda r: _set_column(r, "shifts", "fc", lambda a: a - 5), "shifts.fc"),
    "bad_status": (lambda r: _set_column(r, "events", "status", lambda a: a + 40),
                   "events.status holds"),
    "horizon_nan": (lambda r: _edit_manifest(r, lambda m: m["meta"].__setitem__(
        "horizon_h", float("nan"))), "meta.horizon_h should be a finite number"),
    "horizon_missing": (lambda r: _edit_manifest(r, lambda m: m["meta"].pop("horizon_h")),
                        "meta.horizon_h"),
    "warmup_string": (lambda r: _edit_manifest(r, lambda m: m["meta"].__setitem__(
        "warmup_h", "12")), "meta.warmup_h"),
    "warmup_after_horizon": (lambda r: _edit_manifest(r, lambda m: m["meta"].__setitem__(
        "warmup_h", 1e9)), "less than meta.horizon_h"),
    "no_fc_names": (lambda r: _edit_manifest(r, lambda m: m["meta"].pop("fc_names")),
                    "meta.fc_names"),
    "wages_short": (lambda r: _edit_manifest(r, lambda m: m["meta"].__setitem__(
        "labor_cost_per_hour", [20.0])), "meta.labor_cost_per_hour"),
    "unit_cost_inf": (lambda r: _edit_manifest(r, lambda m: m["meta"].__setitem__(
        "sku_unit_cost", [float("inf")] * 6)), "meta.sku_unit_cost"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_results_raise_results_error(case: str, res: Path) -> None:
    damage, what = DAMAGE[case]
    damage(res)
    pattern = f"results directory {re.escape(str(res))} is damaged: "
    with pytest.raises(ResultsError, match=pattern) as info:
        load_kpis(res)
    assert what in str(info.value)
    assert "\n" not in str(info.value)
    with pytest.raises(ResultsError, match="damaged"):
        read_results(res)


def test_kpi_failure_is_reported_as_damage(res: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(log: Any) -> dict[str, float]:
        raise IndexError("index 9 is out of bounds")

    monkeypatch.setattr(sim.kpis, "compute_kpis", broken)
    with pytest.raises(ResultsError, match="damaged: its KPIs cannot be computed "
                                           r"\(IndexError: index 9"):
        load_kpis(res)


def test_intact_results_load(res: Path, small_run: tuple[RunResult, Scenario]) -> None:
    manifest, kpis = load_kpis(res)
    assert manifest["seed"] == 1 and manifest["format"] == sim.results.FORMAT
    assert kpis["orders_placed"] == small_run[0].kpis["orders_placed"] > 0
    assert read_results(res).equals(
        read_results(res))  # read twice: nothing is consumed or changed
    m = read_manifest(res)
    del m["files"]  # a manifest from before "files" is still read
    (res / "manifest.json").write_text(json.dumps(m))
    assert load_kpis(res)[1].keys() == kpis.keys()


def test_not_a_results_directory(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not a results directory"):
        read_manifest(tmp_path)
    with pytest.raises(ResultsError, match="no such results directory"):
        load_kpis(tmp_path / "nope")


@pytest.mark.parametrize("case", ["format_99", "horizon_nan", "garbage_parquet"])
def test_compare_on_damaged_results_exits_2(case: str, res: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    DAMAGE[case][0](res)
    assert main(["compare", str(res), str(res), "--quiet"]) == 2
    assert "damaged" in capsys.readouterr().err
