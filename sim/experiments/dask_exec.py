"""Run one function over many items on a Dask cluster (the experiment engine's Dask executor).

``dask_map(fn, items, address)`` yields ``(index, fn(items[index]))`` in the order the
tasks finish. Two kinds of address (``parse_dask_address`` checks them):

``local:N``
    A ``LocalCluster`` of N worker processes, one thread each, on 127.0.0.1 with the dashboard
    off, started on the first ``next()`` and closed when the iteration ends, fails, or is
    abandoned (its worker processes end with it).
``tcp://HOST:PORT``
    A running scheduler (``dask scheduler`` plus one or more ``dask worker tcp://HOST:PORT``).
    The workers must be able to import ``fn``'s module (same code installed) and the scheduler
    should allow several worker deaths per task: start it with
    ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=10 dask scheduler`` (the client cannot
    change that setting on a running scheduler; Dask's default is 3).

``fn`` must be a module-level function (or a ``functools.partial`` of one) that the standard
``pickle`` can serialise: Dask sends it by reference, so each worker imports its module. The
items and results must pickle too. Local workers are started with ``spawn``: a script that calls
``dask_map`` at top level needs an ``if __name__ == "__main__":`` guard (``python -m sim`` and
the ``fulfill`` console script are fine).

Each task is submitted with ``pure=False`` and an explicit key ``run-<index>-<token>``, where the
token hashes ``fn`` and the item: deterministic for a given call, and two different items (or
the same item at two positions) never share a key, so Dask never merges two of them.

A worker that dies mid-run (killed, out of memory, segfault) costs only time: the scheduler
reruns its tasks elsewhere (a local cluster's nanny also restarts the worker). A task that kills
more than ``allowed-failures`` workers fails with ``distributed.KilledWorker``. An exception
raised by ``fn`` is re-raised by the iterator. Whenever the iteration stops before the end
(consumer exception, ``KeyboardInterrupt``, ``break`` and the iterator dropped or closed) the
remaining tasks are cancelled, the client closes and a local cluster shuts down. A task already
running on a remote worker cannot be interrupted: it finishes there and its result is dropped.

Ctrl-C in a terminal reaches the local worker processes as well (same process group); they do
not install a handler of their own, so a task running there (OR-Tools included) may be
interrupted too, which is harmless because the whole cluster is being torn down at that point.
"""

from __future__ import annotations

import ipaddress
import logging
import pickle
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sim.experiments.spec import ExperimentError

__all__ = ["ALLOWED_FAILURES", "DaskUnavailable", "dask_map", "parse_dask_address", "task_keys"]

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

ALLOWED_FAILURES = 10  # worker deaths a task may see before it is failed (Dask's default: 3)
CLOSE_TIMEOUT_S = 20.0
LOCAL_WORKERS_MAX = 512

LOCAL_QUIET = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.tick.limit": "30s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}
"""Dask settings for a ``local:N`` cluster (its scheduler and its workers): the event loops'
housekeeping wakes every second instead of every 20 ms, the system monitor every 5 s, and
the statistical profiler is off.  Each wake takes the GIL from the run in the worker's
thread; with the defaults, runs in Dask workers took 10-40 % longer than in the process pool
(``benchmarks/README.md``).  Workers also start with glibc's default ``malloc`` trimming, as the
pool's do: Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536``, and setting it switches off
glibc's adaptive ``mmap`` threshold, so every large array the KPIs and series build was a fresh
``mmap`` with page faults (0.40 s per 28-day run after the simulation, against 0.23 s).  A
cluster of your own (``tcp://``) keeps its configuration."""


class DaskUnavailable(ExperimentError):
    """A Dask address that is malformed, unreachable or has no workers (a message for the user)."""


def parse_dask_address(text: str) -> str:
    """The normalised address: ``"local:N"`` (N >= 1) or ``"tcp://HOST:PORT"``.

    Raises ``DaskUnavailable`` saying what is wrong and what is accepted.
    """
    s = str(text).strip()
    accepted = 'use "local:N" (N worker processes on this machine) or "tcp://HOST:PORT"'
    head, _, count = s.partition(":")
    if head.strip().lower() == "local":
        count = count.strip()
        if not count.isdigit() or not count.isascii():
            raise DaskUnavailable(
                f"bad Dask address {text!r}: the worker count after 'local:' must be a whole "
                f"number >= 1, e.g. local:4")
        n = int(count)
        if not 1 <= n <= LOCAL_WORKERS_MAX:
            raise DaskUnavailable(
                f"bad Dask address {text!r}: the worker count must be 1 to {LOCAL_WORKERS_MAX}")
        return f"local:{n}"
    if "://" not in s:
        raise DaskUnavailable(f"bad Dask address {text!r}: {accepted}")
    try:
        parts = urlsplit(s)
    except ValueError as exc:  # e.g. a malformed [IPv6] host
        raise DaskUnavailable(f"bad Dask address {text!r}: {exc}; {accepted}") from exc
    if parts.scheme.lower() != "tcp":
        raise DaskUnavailable(
            f"bad Dask address {text!r}: only the tcp:// scheme is supported; {accepted}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise DaskUnavailable(
            f"bad Dask address {text!r}: expected just tcp://HOST:PORT, nothing after the port")
    try:
        port = parts.port
    except ValueError:  # not a number, or out of 0..65535
        port = None
    host = parts.hostname
    if not host or port is None or port == 0:
        raise DaskUnavailable(
            f"bad Dask address {text!r}: give a host and a port 1-65535, "
            f"e.g. tcp://127.0.0.1:8786 (the port `dask scheduler` prints)")
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            host = ""
    elif not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", host):
        host = ""
    if not host:
        raise DaskUnavailable(
            f"bad Dask address {text!r}: the host must be a name or an IP address")
    shown = f"[{host}]" if ":" in host else host
    return f"tcp://{shown}:{port}"


def dask_map(fn: Callable[[T], R], items: Sequence[T], address: str, *,
             timeout_s: float = 15.0) -> Iterator[tuple[int, R]]:
    """Run ``fn(item)`` for every item on a Dask cluster, yielding ``(index, result)`` as each
    finishes; every index exactly once.

    ``address`` is ``"local:N"`` (a ``LocalCluster`` of N single-thread worker processes on
    127.0.0.1, dashboard off, started for this iteration and closed after it) or
    ``"tcp://HOST:PORT"`` (a running ``dask scheduler`` with ``dask worker``s). The address
    and ``fn`` are checked at the call; the cluster is started or connected to on the first
    ``next()``. An unreachable scheduler, or one without workers, raises ``DaskUnavailable``
    within about ``timeout_s``.

    ``fn`` must be a module-level function (or a partial of one) that ``pickle`` accepts; the
    workers import its module. Stopping early cancels the remaining tasks and closes the
    client and any local cluster (see the module docstring).
    """
    target = parse_dask_address(address)
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
    _check_picklable(fn)
    return _run(fn, list(items), target, float(timeout_s))


def _check_picklable(fn: Callable[..., Any]) -> None:
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise TypeError(
            f"dask_map needs a module-level function (or a functools.partial of one) that "
            f"pickle accepts, so that Dask workers can import it; got {fn!r}: {exc}") from exc


def task_keys(fn: Callable[..., Any], items: Sequence[Any]) -> list[str]:
    """The Dask keys of ``fn`` over ``items``: ``run-<index>-<token(fn, item)>``."""
    from dask.tokenize import tokenize

    return [f"run-{i}-{tokenize(fn, item)}" for i, item in enumerate(items)]


def _run(fn: Callable[[T], R], items: list[T], target: str,
         timeout_s: float) -> Iterator[tuple[int, R]]:
    if not items:
        return
    try:
        import dask
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise DaskUnavailable(
            f"Dask is not installed ({exc}); install it with: pip install 'dask[distributed]'"
        ) from exc

    cluster: Any = None
    client: Any = None
    pending: dict[str, tuple[int, Any]] = {}
    try:
        if target.startswith("local:"):
            n = int(target.partition(":")[2])
            allowed = max(ALLOWED_FAILURES,
                          int(dask.config.get("distributed.scheduler.allowed-failures")))
            try:
                with dask.config.set(LOCAL_QUIET):  # read by the scheduler and the nannies
                    cluster = LocalCluster(
                        n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address=None, worker_dashboard_address=None,
                        # the scheduler always serves /health and /metrics over HTTP; keep
                        # that on loopback and on a free port (the default, 8787, clashes
                        # with other clusters)
                        scheduler_kwargs={"allowed_failures": allowed, "dashboard": False,
                                          "dashboard_address": "127.0.0.1:0"})
                client = Client(cluster, set_as_default=False, timeout=timeout_s)
            except (OSError, TimeoutError, RuntimeError) as exc:
                # RuntimeError: "Nanny failed to start", e.g. a worker process could not
                # re-import the main script (spawn start method; see the module docstring)
                raise DaskUnavailable(
                    f"could not start a local Dask cluster of {n} worker process(es) on "
                    f"127.0.0.1: {exc}") from exc
        else:
            client = _connect(Client, target, timeout_s)

        keys = task_keys(fn, items)
        futures = client.map(fn, items, key=keys, pure=False)
        pending = {f.key: (i, f) for i, f in enumerate(futures)}
        del futures
        seen: set[int] = set()
        for future in as_completed([f for _, f in pending.values()], loop=client.loop):
            index, _ = pending.pop(future.key, (None, None))
            if index is None or index in seen:  # defensive: never yield an index twice
                continue
            result = future.result()  # re-raises fn's exception; waits if the data was lost
            seen.add(index)
            del future  # release it: the scheduler can drop the result from the worker
            yield index, result
    finally:
        _shutdown(client, cluster, [f for _, f in pending.values()])


def _connect(client_cls: Any, target: str, timeout_s: float) -> Any:
    start = time.monotonic()
    try:
        client = client_cls(target, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailable(
            f"no Dask scheduler answered at {target} within {timeout_s:g} s ({exc}). Check that "
            f"`dask scheduler` is running on that host and port, that the port is reachable "
            f"from here (firewall, host name), and that the address is the one it printed"
        ) from exc
    try:
        remaining = max(1.0, timeout_s - (time.monotonic() - start))
        client.wait_for_workers(1, timeout=remaining)
    except (OSError, TimeoutError) as exc:
        with suppress(Exception):
            client.close(timeout=CLOSE_TIMEOUT_S)
        raise DaskUnavailable(
            f"the Dask scheduler at {target} has no workers ({exc}). Start at least one with "
            f"`dask worker {target}` on a machine that has this project installed") from exc
    except BaseException:
        with suppress(Exception):
            client.close(timeout=CLOSE_TIMEOUT_S)
        raise
    return client


def _shutdown(client: Any, cluster: Any, remaining: list[Any]) -> None:
    """Cancel what is left, close the client, then the local cluster; never raise."""
    if client is not None:
        if remaining:
            try:
                client.cancel(remaining)
            except Exception:
                log.debug("cancelling %d Dask task(s) failed", len(remaining), exc_info=True)
        remaining.clear()
        try:
            client.close(timeout=CLOSE_TIMEOUT_S)
        except Exception:
            log.debug("closing the Dask client failed", exc_info=True)
    if cluster is not None:
        try:
            cluster.close(timeout=CLOSE_TIMEOUT_S)
        except Exception:
            log.warning("closing the local Dask cluster failed", exc_info=True)
