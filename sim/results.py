"""Writing and reading a run's results directory.

A results directory holds one Parquet file per table of the event log, ``kpis.json`` and
``manifest.json`` (scenario name and SHA-256, seed, package version, timings, row counts, the
list of files written), and ``tracking.parquet`` (carrier scans derived from the log, see
:mod:`sim.tracking`), ``scenario.json`` (the fully resolved scenario, so a run can be
understood without its source files).  ``docs/results.md`` documents every file and column.

Columns holding codes (event status, FC, channel, destination, carrier service, receipt kind,
and SKU when the run's metadata lists the SKU ids) are written as Arrow dictionary columns
whose dictionary is the full list of labels, so pandas reads them as categories ("delivered",
"chicago") and DuckDB as text; ``orders.order_id`` and ``shipments.shipment_id`` number the
rows so that the tables join on them.  The in-memory log keeps its integer codes; reading
turns the labels back into them (results of format 1, plain integer codes, read as well).

It is written to a temporary sibling directory and swapped into place, so a reader never sees
half a result and an interrupted run leaves the previous result intact.  Writing only ever
replaces a directory this tool wrote (or an empty one), holds a lock beside it so two runs
cannot write the same directory at once, and cleans up what an interrupted run left.

Reading checks everything the KPIs rely on (format version, tables, columns, types, row
counts, references between tables, run metadata), so a damaged directory gives a
:class:`ResultsError` saying what is wrong instead of a traceback or wrong numbers.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__
from sim.eventlog import (
    FLOOR,
    OPTIONAL_TABLES,
    SCHEMA,
    EventLog,
    IntakeOutcome,
    IntakeReason,
    Issue,
    Source,
    Status,
)
from sim.files import atomic_write_text, make_temp_dir, remove_tree, replace_dir
from sim.inventory import stock_series
from sim.tracking import SCANS, tracking_number_array, tracking_scans

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
FORMAT = 2
"""Format written.  2: code columns as dictionaries of their labels (:data:`LABELLED`), row
keys (:data:`ROW_KEYS`).  1: plain integer codes, no row keys (format 1 manifests written
before ``files`` was added lack it)."""
SUPPORTED_FORMATS = (1, 2)
STATUS_LABELS = tuple(s.name.lower() for s in Status)
"""Labels of ``events.status`` (``Status`` names in lower case: code 0 is "placed")."""
SOURCE_LABELS = tuple(s.name.lower() for s in Source)
"""Labels of ``receipts.kind`` (``Source`` names in lower case: code 0 is "supplier")."""
ISSUE_LABELS = tuple(s.name.lower() for s in Issue)
"""Labels of the ``issue`` column of the quality tables (``Issue`` names in lower case)."""
REASON_LABELS = tuple(s.name.lower() for s in IntakeReason)
OUTCOME_LABELS = tuple(s.name.lower() for s in IntakeOutcome)
"""Labels of the ``reason`` and ``outcome`` columns of the ``intake`` table."""
_VOCABULARY: dict[str, str | tuple[str, ...]] = {
    "status": STATUS_LABELS, "kind": SOURCE_LABELS, "issue": ISSUE_LABELS,
    "reason": REASON_LABELS, "outcome": OUTCOME_LABELS,
    "fc": "fc_names", "from_fc": "fc_names", "to_fc": "fc_names",
    "channel": "channel_names", "dest": "dest_names", "service": "service_names",
    "sku": "sku_ids", "supplier": "supplier_names",
}
LABELLED: dict[str, dict[str, str | tuple[str, ...]]] = {
    t: {c: _VOCABULARY[c] for c in cols if c in _VOCABULARY} for t, cols in SCHEMA.items()}
"""Per table, the columns written with labels: fixed labels, or the run-metadata key listing
them (code ``i`` is ``meta[key][i]``).  A column whose metadata list is absent (``sku_ids``
and ``supplier_names`` where the run does not record them) or not a list of distinct names is
written as plain integer codes."""
NULLABLE = frozenset({("events", "fc")})
"""Labelled columns where code -1 (no FC: an order event) is written as a missing value."""
ROW_KEYS = {"orders": "order_id", "shipments": "shipment_id"}
"""Tables written with their row number as a first column (format 2), so that they join."""
EXTRA_FILES = frozenset({"kpis.json", "scenario.json", MANIFEST, "tracking.parquet",
                         "stock_daily.parquet"})
"""Files of a results directory besides the event-log tables."""
KNOWN_FILES = EXTRA_FILES | {f"{t}.parquet" for t in SCHEMA}
"""Every file name this tool writes into a results directory."""
MARKER = ".fulfill-partial"
"""Created first in every temporary directory, so leftovers can be told from others' files."""
CORE_TABLES = ("events", "orders", "shipments", "shifts", "labels")
"""Tables the KPIs need; with ``returns`` (inventory modelled) every table of SCHEMA is."""
_MAX_MANIFEST_BYTES = 64 << 20


class ResultsError(ValueError):
    """A results directory is missing, damaged or may not be written; the message is meant for
    the user."""


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot serialise {type(o).__name__}")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and a rename."""
    atomic_write_text(path, json.dumps(data, indent=2, default=_json_default,
                                       allow_nan=True) + "\n")


# -- where results go -------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_NAME_MAX = 80


def _safe_name(name: str) -> str:
    """``name`` as one harmless path component: only ``[A-Za-z0-9._-]``, no leading dot or
    dash, at most 80 characters, never empty, ``.`` or ``..``."""
    s = _UNSAFE.sub("_", str(name)).lstrip(".-")[:_NAME_MAX]
    return s or "run"


def _days(x: float) -> str:
    s = f"{float(x):.6f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def default_results_dir(name: str, seed: int, horizon_days: float, warmup_days: float,
                        root: Path = Path("results")) -> Path:
    """``root/<name>-seed<seed>-<days>d`` (``-w<warm-up>d`` added when there is a warm-up: it
    changes the KPIs), with the scenario name made safe: the result is always a direct child
    of ``root``, whatever ``name`` holds (``../x``, ``/etc/x``, spaces, non-ASCII)."""
    base = f"{_safe_name(name)}-seed{int(seed)}-{_days(horizon_days)}d"
    if warmup_days:
        base += f"-w{_days(warmup_days)}d"
    return Path(root) / base


# -- writing ----------------------------------------------------------------------------------


def _not_ours(out: Path, why: str) -> ResultsError:
    return ResultsError(f"{out} is not a results directory written by fulfill ({why}); "
                        "choose another --out or remove it yourself.")


def _owned_files(manifest: Any) -> set[str] | None:
    """The file names a results directory with this manifest may hold (None: not a manifest
    of a format this version knows)."""
    if not isinstance(manifest, dict) or not _known_format(manifest.get("format")):
        return None
    files = manifest.get("files")
    if isinstance(files, list):
        names = {f for f in files if isinstance(f, str)}
    else:  # written before "files" was recorded: the tables listed and the extra files
        rows = manifest.get("rows")
        names = {f"{t}.parquet" for t in rows} if isinstance(rows, dict) else set()
        names |= EXTRA_FILES
    return (names & KNOWN_FILES) | {MANIFEST}


def _known_format(fmt: Any) -> bool:
    return isinstance(fmt, int) and not isinstance(fmt, bool) and fmt in SUPPORTED_FORMATS


def _check_replaceable(out: Path) -> None:
    """Raise unless ``out`` is absent, an empty directory or a results directory this tool
    wrote with nothing else in it."""
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ResultsError(f"cannot write results to {out}: {exc.strerror}.") from exc
    if stat.S_ISLNK(st.st_mode):
        raise _not_ours(out, "it is a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise _not_ours(out, "it is a file")
    try:
        entries = {e.name: e for e in os.scandir(out)}
    except OSError as exc:
        raise ResultsError(f"cannot write results to {out}: {exc.strerror}.") from exc
    if not entries:
        return
    mf = entries.get(MANIFEST)
    if mf is None or not mf.is_file(follow_symlinks=False):
        raise _not_ours(out, f"it is not empty and has no {MANIFEST}")
    try:
        if os.lstat(mf.path).st_size > _MAX_MANIFEST_BYTES:
            raise ValueError("too large")
        manifest = json.loads(Path(mf.path).read_bytes())
    except (OSError, ValueError, RecursionError):
        raise _not_ours(out, f"its {MANIFEST} cannot be read") from None
    owned = _owned_files(manifest)
    if owned is None:
        raise _not_ours(out, f"its {MANIFEST} is not one this version of fulfill writes")
    foreign = sorted(n for n, e in entries.items()
                     if n not in owned or not e.is_file(follow_symlinks=False))
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise _not_ours(out, "it also holds " + ", ".join(map(repr, foreign[:3])) + more)


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return "?"
    return text if text.isdigit() else "?"


@contextmanager
def _writer_lock(out: Path) -> Iterator[bool]:
    """Hold ``.<name>.lock`` beside ``out`` (``flock``, not waiting): refuses with a
    ResultsError while another run writes to ``out``.  Yields False where the file system
    cannot lock (then nothing that might belong to another writer is cleaned up).

    The lock file is removed on release; a writer that locked a file already unlinked (or
    replaced) by the previous holder notices by its inode and locks the new one instead.
    """
    path = out.with_name(f".{out.name}.lock")
    if fcntl is None:  # pragma: no cover
        yield False
        return
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise ResultsError(f"cannot create the lock file {path}: {exc.strerror}.") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise ResultsError(f"another fulfill run is writing results to {out} (pid {pid}); "
                               "wait for it or choose another --out.") from None
        except OSError:  # no locking on this file system
            os.close(fd)
            yield False
            return
        try:
            now = os.stat(path, follow_symlinks=False)
            mine = os.fstat(fd)
            same = (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)
        except OSError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield True
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
        os.close(fd)


def _leftover_pattern(out: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(out.name)}\.(?:tmp|old)-[A-Za-z0-9_]{{8}}")


def _clean_leftovers(out: Path) -> None:
    """Delete the temporary and swapped-out directories an interrupted write to ``out`` left:
    siblings named ``.<name>.tmp-*`` / ``.<name>.old-*`` holding the marker file (call only
    while holding the lock)."""
    pattern = _leftover_pattern(out)
    try:
        entries = list(os.scandir(out.parent))
    except OSError:
        return
    for e in entries:
        if pattern.fullmatch(e.name) and e.is_dir(follow_symlinks=False):
            try:
                marked = stat.S_ISREG(os.lstat(Path(e.path) / MARKER).st_mode)
            except OSError:
                marked = False
            if marked:
                remove_tree(Path(e.path), last=MARKER)


def _mark(d: Path) -> None:
    try:
        (d / MARKER).touch()
    except OSError:
        pass


def write_results(out: Path, log: EventLog, kpis: dict[str, float], scenario_json: dict[str, Any],
                  manifest: dict[str, Any]) -> Path:
    """Write a run to ``out``: a new directory, an empty one, or one this tool wrote before
    (replaced).  Anything else at ``out`` (a file, a symbolic link, a directory with other
    files, another run writing there) raises :class:`ResultsError` and nothing is touched.

    The result is written into a marked temporary sibling and swapped with ``out`` in one
    step (see :func:`sim.files.replace_dir`; where the system cannot swap, two renames leave
    ``out`` missing for a moment).  An exception or interrupt at any point leaves the previous
    result in place and no temporary directory; a crash leaves marked directories that the
    next write to ``out`` deletes.
    """
    out = Path(out)
    if out.name in ("", ".", ".."):
        raise ResultsError(f"{out} cannot be a results directory; give a directory name.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot write results to {out}: {exc}") from exc
    with _writer_lock(out) as locked:
        _check_replaceable(out)
        if locked:
            _clean_leftovers(out)
        try:
            _write_and_swap(out, log, kpis, scenario_json, manifest)
        except OSError as exc:
            raise ResultsError(f"cannot write results to {out}: {exc}") from exc
    return out


def _labels(table: str, col: str, meta: dict[str, Any]) -> tuple[str, ...] | None:
    """The labels of the codes in ``table.col`` (None: the column has none, or the run's
    metadata does not list them as distinct names)."""
    vocab = LABELLED.get(table, {}).get(col)
    if vocab is None or isinstance(vocab, tuple):
        return vocab
    names = meta.get(vocab)
    if (not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names)
            or len(set(names)) != len(names)):
        return None
    return tuple(names)


def _encode(table: str, col: str, a: np.ndarray, meta: dict[str, Any]) -> pa.Array:
    """Column ``table.col`` as written: a dictionary of its labels where it has them (codes
    the labels do not cover are written as they are, for reading to report)."""
    labels = _labels(table, col, meta)
    if labels is None:
        return pa.array(a)
    lo = -1 if (table, col) in NULLABLE else 0
    if len(a) and (int(a.min()) < lo or int(a.max()) >= len(labels)):
        return pa.array(a)
    indices = pa.array(a, mask=a < 0) if lo < 0 else pa.array(a)
    return pa.DictionaryArray.from_arrays(indices, pa.array(labels, pa.string()))


def disk_table(name: str, cols: dict[str, np.ndarray], meta: dict[str, Any]) -> pa.Table:
    """Table ``name`` of an event log as written to ``<name>.parquet``: its row key first
    (:data:`ROW_KEYS`), labelled columns as dictionaries (:data:`LABELLED`)."""
    arrays: dict[str, pa.Array] = {}
    key = ROW_KEYS.get(name)
    if key is not None:
        n = len(next(iter(cols.values()))) if cols else 0
        arrays[key] = pa.array(np.arange(n, dtype=np.dtype(SCHEMA["events"][key])))
    for c, a in cols.items():
        arrays[c] = _encode(name, c, a, meta)
    return pa.table(arrays)


def _tracking_table(log: EventLog) -> pa.Table:
    """The carrier scans (:func:`sim.tracking.tracking_events`) as written: ``scan`` as a
    dictionary of :data:`sim.tracking.SCANS`, tracking numbers built straight into Arrow."""
    sids, scans, times = tracking_scans(log)
    return pa.table({
        "tracking_number": tracking_number_array(log, sids),
        "shipment_id": pa.array(sids),
        "scan": pa.DictionaryArray.from_arrays(  # (typed: no scans at all is no error)
            pa.array(scans, pa.int8()), pa.array(SCANS, pa.string())),
        "time_h": pa.array(times)})


def _stock_daily_table(log: EventLog) -> pa.Table:
    return pa.Table.from_pandas(stock_series(log), preserve_index=False)


WRITE_THREADS = 4
"""Tables are built and written by this many threads (pyarrow's Parquet writer and most of
numpy release the GIL), largest first."""


def parquet_options(table: pa.Table) -> dict[str, Any]:
    """How a table is written: zstd (level 1); Parquet dictionary encoding only for the
    labelled (dictionary) columns and single-precision floats (few distinct values: prices,
    weights, whole days), byte-stream-split for double-precision times (many distinct values,
    where a dictionary costs time and saves nothing), plain encoding for integers (ids and
    counts).  About twice as fast to write as pyarrow's defaults and a quarter smaller; every
    encoding is standard Parquet that pandas (pyarrow) and DuckDB read, and the values read
    back are unchanged."""
    dictionary, split = [], []
    for f in table.schema:
        if pa.types.is_dictionary(f.type) or f.type == pa.float32():
            dictionary.append(f.name)
        elif f.type == pa.float64():
            split.append(f.name)
    return {"compression": "zstd", "compression_level": 1, "use_dictionary": dictionary,
            "use_byte_stream_split": split or False}


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **parquet_options(table))


def _size_hint(log: EventLog, name: str) -> int:
    """Rough size of what is written as ``name`` (to start the largest first)."""
    if name == "tracking":
        return 5 * log.n_rows("labels")
    if name == "stock_daily":  # computed from the lines and events: start it early
        return log.n_rows("order_lines") + log.n_rows("shipment_lines")
    if name == "events":  # the long table: one row per floor event besides the stored rows
        sh = log.table("shipments") if "shipments" in log else {}
        return len(log.table("events")["time_h"]) + 4 * len(sh.get("order_id", ()))
    return log.n_rows(name)


def _write_and_swap(out: Path, log: EventLog, kpis: dict[str, float],
                    scenario_json: dict[str, Any], manifest: dict[str, Any]) -> None:
    tmp: Path | None = None
    old = out.with_name(f".{out.name}.old-{secrets.token_hex(4)}")
    try:
        tmp = make_temp_dir(out, marker=MARKER)
        t0 = time.perf_counter()
        jobs: list[tuple[str, Callable[[], pa.Table]]] = [
            (name, partial(disk_table, name, cols, log.meta))
            for name, cols in log.tables_for_disk().items()]
        jobs.append(("tracking", partial(_tracking_table, log)))
        if "purchase_orders" in log:  # daily stock per FC, for charts and reports
            jobs.append(("stock_daily", partial(_stock_daily_table, log)))
        jobs.sort(key=lambda job: -_size_hint(log, job[0]))  # largest first

        def build_and_write(job: tuple[str, Callable[[], pa.Table]]) -> int:
            table = job[1]()
            _write_parquet(table, tmp / f"{job[0]}.parquet")
            return table.num_rows

        pool = ThreadPoolExecutor(max_workers=WRITE_THREADS, thread_name_prefix="write")
        try:  # a failure or an interrupt cancels the tables not started, waits for the others
            futures = [pool.submit(build_and_write, job) for job in jobs]
            json_files = [pool.submit(write_json_atomic, tmp / "kpis.json", kpis),
                          pool.submit(write_json_atomic, tmp / "scenario.json", scenario_json)]
            written = {name: f.result() for (name, _), f in zip(jobs, futures, strict=True)}
            for f in json_files:
                f.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        rows = {name: written[name] for name in log.names}
        files = [MANIFEST, "kpis.json", "scenario.json", *(f"{n}.parquet" for n in written)]
        full = {"format": FORMAT, "package_version": __version__, "rows": rows,
                "meta": log.meta, **manifest, "files": sorted(files),
                "write_s": round(time.perf_counter() - t0, 3)}
        write_json_atomic(tmp / MANIFEST, full)
        _check_replaceable(out)  # again: the user may have put something there meanwhile
        (tmp / MARKER).unlink()
        displaced = replace_dir(tmp, out, old)
        if displaced is not None:  # the previous result, or the empty directory
            _mark(displaced)
            remove_tree(displaced, last=MARKER)
    except BaseException:
        if not os.path.lexists(out) and os.path.isdir(old):  # cut between the two renames
            os.rename(old, out)
        for d in (tmp, old):  # partial result, or the previous one once the new is in place
            if d is not None and os.path.isdir(d) and not os.path.islink(d):
                remove_tree(d, last=MARKER)
        raise


# -- reading ----------------------------------------------------------------------------------


def _damaged(path: Path, what: str) -> ResultsError:
    return ResultsError(f"results directory {path} is damaged: {what}.")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first if len(first) <= 160 else first[:157] + "..."


def _regular_file(path: Path, f: Path) -> bool:
    """Whether ``f`` is a regular file (not a link); raises if it is something else."""
    try:
        st = os.lstat(f)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _damaged(path, f"{f.name} cannot be read ({exc.strerror})") from exc
    if not stat.S_ISREG(st.st_mode):
        raise _damaged(path, f"{f.name} is not a regular file")
    return True


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _check_meta(path: Path, meta: Any) -> None:
    """The run metadata the KPIs read: present, of the right kind and finite."""
    if not isinstance(meta, dict):
        raise _damaged(path, f"{MANIFEST} has no 'meta' object (the run's metadata)")

    def bad(key: str, want: str) -> ResultsError:
        got = repr(meta[key])[:40] if key in meta else "missing"
        return _damaged(path, f"meta.{key} should be {want} (it is {got})")

    for key in ("horizon_h", "warmup_h"):
        if not _is_number(meta.get(key)):
            raise bad(key, "a finite number")
    if not 0 <= meta["warmup_h"] < meta["horizon_h"]:
        raise _damaged(path, f"meta.warmup_h ({meta['warmup_h']}) should be at least 0 and "
                             f"less than meta.horizon_h ({meta['horizon_h']})")
    fcs = meta.get("fc_names")
    if not isinstance(fcs, list) or not all(isinstance(f, str) for f in fcs):
        raise bad("fc_names", "a list of FC names")
    wage = meta.get("labor_cost_per_hour")
    if not isinstance(wage, list) or len(wage) != len(fcs) or not all(map(_is_number, wage)):
        raise bad("labor_cost_per_hour", f"a list of {len(fcs)} finite numbers (one per FC)")
    fixed = meta.get("fc_fixed_cost_per_day", [])  # older runs lack it: no fixed cost
    if "fc_fixed_cost_per_day" in meta and (
            not isinstance(fixed, list) or len(fixed) != len(fcs)
            or not all(map(_is_number, fixed))):
        raise bad("fc_fixed_cost_per_day", f"a list of {len(fcs)} finite numbers (one per FC)")
    names = meta.get("service_names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad("service_names", "a list of service names")
    cost = meta.get("sku_unit_cost", [])
    if not isinstance(cost, list) or not all(map(_is_number, cost)):
        raise bad("sku_unit_cost", "a list of finite numbers")
    for key in ("holding_cost_rate", "returns_label_cost", "returns_inspect_min_per_unit"):
        if key in meta and not _is_number(meta[key]):
            raise bad(key, "a finite number")


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of results directory ``path``, checked: format version, table list, run
    metadata.  Raises :class:`ResultsError` if it is not a results directory or damaged."""
    path = Path(path)
    mf = path / MANIFEST
    if not path.is_dir():
        raise ResultsError(f"{path}: no such results directory.")
    if not _regular_file(path, mf):
        raise ResultsError(f"{path}: not a results directory (no {MANIFEST}); give a directory "
                           "written by 'fulfill run --out' or a scenario file.")
    try:
        if mf.stat().st_size > _MAX_MANIFEST_BYTES:
            raise _damaged(path, f"{MANIFEST} is implausibly large")
        raw = mf.read_bytes()
    except OSError as exc:
        raise _damaged(path, f"{MANIFEST} cannot be read ({exc.strerror})") from exc
    if not raw.strip():
        raise _damaged(path, f"{MANIFEST} is empty")
    try:
        manifest = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise _damaged(path, f"{MANIFEST} is not valid JSON ({_short(exc)})") from None
    except RecursionError:
        raise _damaged(path, f"{MANIFEST} is not valid JSON (nested too deeply)") from None
    if not isinstance(manifest, dict):
        raise _damaged(path, f"{MANIFEST} is not a JSON object")
    fmt = manifest.get("format")
    if fmt is None:
        raise _damaged(path, f"{MANIFEST} has no format version")
    if not _known_format(fmt):
        raise _damaged(path, f"format {fmt!r} is not one this version of fulfill reads "
                             f"({', '.join(map(str, SUPPORTED_FORMATS))}); written by a "
                             "newer version?")
    rows = manifest.get("rows")
    if not isinstance(rows, dict):
        raise _damaged(path, f"{MANIFEST} has no 'rows' object (the tables and their sizes)")
    for name, n in rows.items():
        if name not in SCHEMA:
            raise _damaged(path, f"{MANIFEST} lists an unknown table {name[:40]!r}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise _damaged(path, f"{MANIFEST} gives {n!r} rows for table {name!r}")
    need = [t for t in SCHEMA if t not in OPTIONAL_TABLES] if "returns" in rows \
        else CORE_TABLES
    missing = [t for t in need if t not in rows]
    if missing:
        raise _damaged(path, f"{MANIFEST} lists no {', '.join(missing)} table")
    files = manifest.get("files")
    if files is not None and (not isinstance(files, list)
                              or not all(isinstance(f, str) and f in KNOWN_FILES
                                         for f in files)):
        raise _damaged(path, f"{MANIFEST} has an invalid 'files' list")
    _check_meta(path, manifest.get("meta"))
    return manifest


def disk_schema(table: str) -> dict[str, np.dtype]:
    """Columns of ``table`` read from its Parquet file and the dtypes of their codes
    (``shipments`` without the in-memory floor timeline, see
    :meth:`EventLog.tables_for_disk`).  The file may also hold the table's row key
    (:data:`ROW_KEYS`, format 2), and labelled columns are written as dictionaries
    (:data:`LABELLED`)."""
    return {c: np.dtype(code) for c, code in SCHEMA[table].items()
            if not (table == "shipments" and c in FLOOR)}


def _widens(typ: pa.DataType, dt: np.dtype) -> bool:
    """A signed integer column narrower than the schema's (written when the schema's type was
    narrower, e.g. ``labels.parcels`` as int8): read as it is, every value fits."""
    return (pa.types.is_signed_integer(typ) and dt.kind == "i"
            and typ.bit_width < 8 * dt.itemsize)


def _what(table: str, col: str) -> str:
    vocab = LABELLED[table][col]
    return "the statuses" if vocab is STATUS_LABELS else (
        "the receipt kinds" if vocab is SOURCE_LABELS else f"meta.{vocab}")


def _decode(path: Path, table: str, col: str, column: pa.ChunkedArray, dt: np.dtype,
            meta: dict[str, Any]) -> np.ndarray:
    """The codes of a labelled column written as a dictionary: each label's position in the
    column's labels (:func:`_labels`), -1 for a missing value where :data:`NULLABLE`."""
    where = f"column {table}.{col}"
    labels = _labels(table, col, meta)
    if labels is None:
        raise _damaged(path, f"{where} holds labels, but {_what(table, col)} does not list "
                             "them as distinct names")
    code_of = {name: i for i, name in enumerate(labels)}
    nullable = (table, col) in NULLABLE
    out = np.empty(len(column), dt)
    pos = 0
    for chunk in column.chunks:
        dictionary = chunk.dictionary.to_pylist()
        unknown = [d for d in dictionary if d not in code_of]
        if unknown:
            raise _damaged(path, f"{where} holds {str(unknown[0])[:40]!r}, which is not one "
                                 f"of {_what(table, col)}")
        codes = np.array([code_of[d] for d in dictionary], np.int64)
        missing = chunk.is_null().to_numpy(zero_copy_only=False)
        if missing.any() and not nullable:
            raise _damaged(path, f"{where} has missing values")
        ix = chunk.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        if not len(ix):
            continue
        if ix.min() < 0 or ix.max() >= len(codes):
            bad = int(ix.min()) if ix.min() < 0 else int(ix.max())
            raise _damaged(path, f"{where} refers to label {bad}, outside its "
                                 f"{len(codes)} labels")
        out[pos:pos + len(ix)] = np.where(missing, -1, codes[ix])
        pos += len(ix)
    return out


def _read_table(path: Path, name: str, n_rows: int,
                meta: dict[str, Any]) -> dict[str, np.ndarray]:
    f = path / f"{name}.parquet"
    if not _regular_file(path, f):
        raise _damaged(path, f"{f.name} is missing")
    try:
        t = pq.read_table(f)
    except Exception as exc:  # any failure to parse means a damaged file
        raise _damaged(path, f"{f.name} cannot be read as Parquet ({_short(exc)})") from None
    want = disk_schema(name)
    have = set(t.column_names)
    missing = [c for c in want if c not in have]
    if missing:
        raise _damaged(path, f"{f.name} lacks column(s) {', '.join(missing)}")
    key = ROW_KEYS.get(name)
    extra = [c for c in t.column_names if c not in want and c != key]
    if extra:
        raise _damaged(path, f"{f.name} has unexpected column(s) "
                             f"{', '.join(c[:40] for c in extra[:5])}")
    if t.num_rows != n_rows:
        raise _damaged(path, f"{f.name} has {t.num_rows} rows, the manifest says {n_rows}")
    if key is not None and key in have:  # format 2: the row number
        col = t.column(key)
        if (not pa.types.is_integer(col.type) or col.null_count
                or not np.array_equal(col.to_numpy(), np.arange(t.num_rows))):
            raise _damaged(path, f"column {name}.{key} should number the rows 0, 1, 2, ...")
    out = {}
    for c, dt in want.items():
        typ = t.schema.field(c).type
        if (pa.types.is_dictionary(typ) and c in LABELLED[name]
                and pa.types.is_integer(typ.index_type)
                and (pa.types.is_string(typ.value_type)
                     or pa.types.is_large_string(typ.value_type))):
            out[c] = _decode(path, name, c, t.column(c), dt, meta)
            continue
        if typ != pa.from_numpy_dtype(dt) and not _widens(typ, dt):
            labelled = " or its labels" if c in LABELLED[name] else ""
            raise _damaged(path, f"column {name}.{c} has type {typ}, expected "
                                 f"{pa.from_numpy_dtype(dt)}{labelled}")
        if t.column(c).null_count:
            raise _damaged(path, f"column {name}.{c} has missing values")
        out[c] = t.column(c).to_numpy()
    return out


def _check_refs(path: Path, tables: dict[str, dict[str, np.ndarray]],
                meta: dict[str, Any]) -> None:
    """Every column used as an index (order, shipment, FC, SKU, status, kind) is in range."""
    n = {t: len(next(iter(cols.values()))) if cols else 0 for t, cols in tables.items()}
    n_fc = len(meta["fc_names"])
    n_sku = len(meta["sku_unit_cost"]) if meta.get("sku_unit_cost") else None
    rules: dict[str, tuple[int, int | None, str]] = {
        "order_id": (0, n.get("orders", 0), "orders"),
        "shipment_id": (0, n.get("shipments", 0), "shipments"),
        "fc": (0, n_fc, "FCs"), "from_fc": (0, n_fc, "FCs"), "to_fc": (0, n_fc, "FCs"),
        "sku": (0, n_sku, "SKUs"),
    }
    special: dict[tuple[str, str], tuple[int, int | None, str]] = {
        ("events", "shipment_id"): (-1, n.get("shipments", 0), "shipments"),  # -1: order event
        ("events", "fc"): (-1, n_fc, "FCs"),
        ("events", "status"): (0, len(Status), "statuses"),
        ("receipts", "kind"): (0, len(Source), "receipt kinds"),
        ("quality_lines", "issue"): (0, len(Issue), "issues"),
        ("quality_shipments", "issue"): (0, len(Issue), "issues"),
        ("intake", "reason"): (0, len(IntakeReason), "intake reasons"),
        ("intake", "outcome"): (0, len(IntakeOutcome), "intake outcomes"),
        ("shipments", "zone"): (0, None, "zones"),
        ("labels", "service"): (0, None, "services"),
    }
    for t, cols in tables.items():
        for c, a in cols.items():
            rule = special.get((t, c)) or rules.get(c)
            if rule is None or not len(a):
                continue
            lo, hi, what = rule
            amin, amax = int(a.min()), int(a.max())
            if amin < lo or (hi is not None and amax >= hi):
                bad = amin if amin < lo else amax
                raise _damaged(path, f"column {t}.{c} holds {bad}, outside {lo}..{hi - 1} "
                                     f"({hi} {what})" if hi is not None else
                               f"column {t}.{c} holds {bad}, which is negative")


def _read_log(path: Path, manifest: dict[str, Any]) -> EventLog:
    tables = {name: _read_table(path, name, n, manifest["meta"])
              for name, n in manifest["rows"].items()}
    _check_refs(path, tables, manifest["meta"])
    return EventLog(tables=tables, meta=manifest["meta"])


def read_results(path: Path) -> EventLog:
    """Load the event log of a results directory (checked: see :func:`read_manifest`; raises
    :class:`ResultsError` if it is damaged)."""
    path = Path(path)
    return _read_log(path, read_manifest(path))


def load_kpis(path: Path) -> tuple[dict[str, Any], dict[str, float]]:
    """The manifest of results directory ``path`` and the KPIs recomputed from its event log
    (:func:`sim.kpis.compute_kpis`).  Raises :class:`ResultsError` if it is not a results
    directory or is damaged, including any failure while computing the KPIs."""
    from sim.kpis import compute_kpis

    path = Path(path)
    manifest = read_manifest(path)
    log = _read_log(path, manifest)
    try:
        kpis = compute_kpis(log)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # last resort: checks above missed something
        raise _damaged(path, f"its KPIs cannot be computed ({type(exc).__name__}: "
                             f"{_short(exc)})") from exc
    return manifest, kpis
