"""The Dask executor (sim/experiments/dask_exec.py) on loopback clusters.

Worker processes import the functions they run by module name, so those are module-level in
this file (workers are spawned with this process's sys.path, where ``tests`` is importable).
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from sim.experiments.dask_exec import DaskUnavailable, dask_map, parse_dask_address, task_keys

pytest.importorskip("distributed")


def square(x: int) -> int:
    return x * x


def slow_square_with_pid(x: int) -> tuple[int, int]:
    """``(x * x, the worker's pid)`` after half a second."""
    time.sleep(0.5)
    return x * x, os.getpid()


def fail_on_three(x: int) -> int:
    time.sleep(0.05)
    if x == 3:
        raise ArithmeticError("three is not allowed")
    return x


def worker_environ(name: str) -> str | None:
    return os.environ.get(name)


def power(x: int, exponent: int) -> int:
    return int(x**exponent)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children() -> set[int]:
    """Live child processes, without multiprocessing's resource tracker (lives as long as we)."""
    out = set()
    for c in psutil.Process().children(recursive=True):
        try:
            if c.status() == psutil.STATUS_ZOMBIE or "resource_tracker" in " ".join(c.cmdline()):
                continue
        except psutil.Error:
            continue
        out.add(c.pid)
    return out


def _no_new_children(before: set[int], within_s: float = 15.0) -> set[int]:
    deadline = time.monotonic() + within_s
    while (left := _children() - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.fixture
def children_before() -> Iterator[set[int]]:
    before = _children()
    yield before
    assert not _no_new_children(before), "worker processes outlived the cluster"


@pytest.mark.parametrize(("text", "expected"), [
    ("local:1", "local:1"), (" local:4 ", "local:4"), ("LOCAL:02", "local:2"),
    ("tcp://127.0.0.1:8786", "tcp://127.0.0.1:8786"),
    ("tcp://sched-01.lan:9000/", "tcp://sched-01.lan:9000"),
    ("TCP://LocalHost:8786", "tcp://localhost:8786"), ("tcp://[::1]:8786", "tcp://[::1]:8786"),
])
def test_parse_good_addresses(text: str, expected: str) -> None:
    assert parse_dask_address(text) == expected


@pytest.mark.parametrize("text", [
    "", "local", "local:", "local:0", "local:-1", "local:2.5", "local:two", "local:１",
    "local:100000", "local2", "127.0.0.1:8786", "tcp://127.0.0.1", "tcp://:8786",
    "tcp://127.0.0.1:0", "tcp://127.0.0.1:65536", "tcp://127.0.0.1:port", "tls://127.0.0.1:8786",
    "inproc://x", "tcp://127.0.0.1:8786/path", "tcp://u@127.0.0.1:8786", "tcp://bad host:8786",
    "tcp://[::zz]:8786", "tcp://127.0.0.1:8786?x=1",
])
def test_parse_bad_addresses(text: str) -> None:
    with pytest.raises(DaskUnavailable, match="bad Dask address"):
        parse_dask_address(text)


def test_bad_address_and_unpicklable_fn_fail_at_the_call() -> None:
    with pytest.raises(DaskUnavailable):
        dask_map(square, [1], "local:0")
    with pytest.raises(TypeError, match="module-level"):
        dask_map(lambda x: x, [1], "local:1")


def test_task_keys_are_deterministic_and_distinct() -> None:
    items = [3, 3, 4, "3"]
    keys = task_keys(square, items)
    assert keys == task_keys(square, items)
    assert len(set(keys)) == len(keys)
    assert all(k.startswith(f"run-{i}-") for i, k in enumerate(keys))
    assert task_keys(functools.partial(power, exponent=2), items) != keys


def test_local_cluster_matches_serial_map(children_before: set[int]) -> None:
    items = list(range(20))
    got = list(dask_map(square, items, "local:2"))
    assert sorted(i for i, _ in got) == items  # every index exactly once
    assert [r for _, r in sorted(got)] == list(map(square, items))


def test_local_workers_keep_glibc_default_trimming(children_before: set[int],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Dask's nanny would start them with MALLOC_TRIM_THRESHOLD_=65536 (slower KPIs); the
    # thread-count settings it adds stay
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    got = dict(dask_map(worker_environ, ["MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS"],
                        "local:1"))
    assert got == {0: None, 1: "1"}
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ  # nor set in this process by the nanny


def test_unreachable_scheduler_raises_quickly() -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    with pytest.raises(DaskUnavailable, match=r"127\.0\.0\.1") as err:
        list(dask_map(square, [1, 2], address, timeout_s=3))
    assert time.monotonic() - start < 15
    assert "dask scheduler" in str(err.value)


def test_consumer_exception_closes_the_cluster(children_before: set[int]) -> None:
    seen = []
    with pytest.raises(RuntimeError, match="consumer"):
        for index, _ in dask_map(slow_square_with_pid, list(range(20)), "local:2"):
            seen.append(index)
            assert _children() - children_before  # the workers are up while we iterate
            raise RuntimeError("consumer gave up")
    assert len(seen) == 1


@pytest.mark.slow
def test_unreachable_scheduler_default_timeout() -> None:
    start = time.monotonic()
    with pytest.raises(DaskUnavailable):
        list(dask_map(square, [1], f"tcp://127.0.0.1:{_free_port()}"))
    assert time.monotonic() - start < 15 + 5  # 15 s budget, plus slack for a loaded machine


@pytest.mark.slow
def test_killed_worker_costs_only_time(children_before: set[int]) -> None:
    items = list(range(20))
    got: dict[int, int] = {}
    pids_after: set[int] = set()
    killed: int | None = None
    for index, (value, pid) in dask_map(slow_square_with_pid, items, "local:2"):
        assert index not in got, f"index {index} yielded twice"
        got[index] = value
        if killed is None:
            killed = pid
            os.kill(pid, signal.SIGKILL)
        else:
            pids_after.add(pid)
    assert got == {i: i * i for i in items}
    assert killed is not None and killed not in _children()
    # what the dead worker had computed but not handed over was computed again elsewhere
    assert pids_after and killed not in pids_after


@pytest.mark.slow
def test_keyboard_interrupt_closes_the_cluster(children_before: set[int]) -> None:
    gen = dask_map(slow_square_with_pid, list(range(20)), "local:2")
    with pytest.raises(KeyboardInterrupt):
        for _ in gen:
            raise KeyboardInterrupt
    gen.close()  # the consumer holds a reference: closing it is what tears the cluster down


@pytest.mark.slow
def test_task_exception_propagates_and_closes(children_before: set[int]) -> None:
    with pytest.raises(ArithmeticError, match="three"):
        list(dask_map(fail_on_three, list(range(8)), "local:1"))


@pytest.fixture
def external_cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        yield cluster


@pytest.mark.slow
def test_tcp_scheduler(external_cluster: Any) -> None:
    items = list(range(12))
    got = dict(dask_map(functools.partial(power, exponent=3), items,
                        external_cluster.scheduler_address))
    assert got == {i: i**3 for i in items}
    # the same items again, on the same scheduler: fresh tasks, same answers
    assert dict(dask_map(square, items, external_cluster.scheduler_address)) == \
        {i: i * i for i in items}


@pytest.mark.slow
def test_tcp_scheduler_without_workers() -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as cluster:
        start = time.monotonic()
        with pytest.raises(DaskUnavailable, match="no workers"):
            list(dask_map(square, [1], cluster.scheduler_address, timeout_s=2))
        assert time.monotonic() - start < 15
