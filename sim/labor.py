"""Labor pools, the staffing plan, and the model's direct use of SimPy's event queue.

The model waits for time to pass and then calls one function; a full ``simpy.Timeout`` per
task (constructor, ``Environment.schedule``) is more than that needs, so the functions here put
a minimal event (:class:`Wake`) on SimPy's own queue exactly as ``Timeout`` would (same time,
NORMAL priority, next event id): events keep the order they would have had.  This module is the
only one that touches SimPy's private queue, event ids and clock (``env._queue``, ``env._eid``,
``env._now``).

Labor pools are counters with FIFO queues driven by callbacks (:class:`LaborPool`), which
behave as ``simpy.Resource`` with FIFO requests (validated against Erlang C in the tests) at a
fraction of the cost.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from heapq import heappush
from typing import TYPE_CHECKING, Any

import simpy

if TYPE_CHECKING:
    from sim.network import Network

NORMAL = 1  # simpy.events.NORMAL


class Wake:
    """The least a SimPy event needs to be processed: its callbacks, an ok flag and a value."""

    __slots__ = ("_value", "callbacks")
    _ok = True  # never fails: one attribute fewer to set per event

    def __init__(self, value: Any, callback: Callable[[Any], None]) -> None:
        self._value = value
        self.callbacks: list[Callable[[Any], None]] | None = [callback]


def push_event(env: simpy.Environment, t: float, event: Any) -> None:
    """Put ``event`` on SimPy's queue at time ``t`` as a NORMAL event with the next id."""
    queue: list[Any] = env._queue
    heappush(queue, (t, NORMAL, next(env._eid), event))


def _calling(fn: Callable[[Any], None], value: Any) -> Wake:
    """An event that calls ``fn(value)``."""
    return Wake(value, lambda ev: fn(ev._value))


def call_at(env: simpy.Environment, t: float, fn: Callable[[Any], None],
            value: Any = None) -> None:
    """Call ``fn(value)`` at time ``t`` (not before now)."""
    now = env._now
    if t < now:
        raise ValueError(f"cannot schedule at {t} h, before now ({now} h)")
    push_event(env, now + (t - now), _calling(fn, value))


class Agenda:
    """Calls known from the start of a run (shift changes, carrier pickups), put on SimPy's
    queue a day or more ahead rather than all at once.

    Each call takes its event id when it is added, as :func:`call_at` would have given it
    then, and is queued (:meth:`feed`) before the clock can reach it: SimPy processes every
    event in the same order as if all had been queued at the start, ties included, while its
    queue stays short (a few dozen calendar events instead of every pickup and shift change
    of the horizon), which makes each of the run's events cheaper to queue and pop.
    """

    __slots__ = ("_env", "_i", "_items", "_sorted", "_until")

    def __init__(self, env: simpy.Environment) -> None:
        self._env = env
        self._items: list[tuple[float, int, int, Callable[[Any], None], Any]] = []
        self._i = 0
        self._sorted = True
        self._until = -math.inf  # calls due before this are queued

    def add(self, t: float, fn: Callable[[Any], None], value: Any = None) -> None:
        """Call ``fn(value)`` at time ``t`` (not before now)."""
        now = self._env._now
        if t < now:
            raise ValueError(f"cannot schedule at {t} h, before now ({now} h)")
        t, eid = now + (t - now), next(self._env._eid)
        if t < self._until:  # due within what was fed already: queued now
            queue: list[Any] = self._env._queue
            heappush(queue, (t, NORMAL, eid, _calling(fn, value)))
            return
        self._items.append((t, NORMAL, eid, fn, value))
        self._sorted = False

    def feed(self, until: float) -> None:
        """Queue the calls due before ``until`` (hours), which must be later than any event
        SimPy has processed.  The owner feeds ahead of the clock until every call added is
        queued (the model: two days at the start, then a day ahead at each day's start)."""
        items = self._items
        if not self._sorted:  # by time, then id: the order of SimPy's queue
            items[self._i:] = sorted(items[self._i:], key=lambda it: (it[0], it[2]))
            self._sorted = True
        queue: list[Any] = self._env._queue
        i, n = self._i, len(items)
        while i < n and items[i][0] < until:
            t, prio, eid, fn, value = items[i]
            heappush(queue, (t, prio, eid, _calling(fn, value)))
            items[i] = None  # type: ignore[call-overload]  # (queued: let it go)
            i += 1
        self._i = i
        self._until = max(self._until, until)


def wake_at(env: simpy.Environment, t: float, callback: Callable[[Any], None]) -> None:
    """Call ``callback(event)`` at time ``t`` (the clock reaches ``now + (t - now)``)."""
    now = env._now
    queue: list[Any] = env._queue
    item = (now + (t - now), NORMAL, next(env._eid), Wake(None, callback))
    heappush(queue, item)  # as push_event, one call fewer (once per order arrival)


def due_now(env: simpy.Environment, times: Sequence[float], i: int) -> Iterator[int]:
    """Yield ``i`` (due now), then each following index whose time ``times[j]`` comes strictly
    before SimPy's next event, with the clock moved to it.

    Nothing can happen between two scheduled events, so work due strictly before the head of
    the event queue can be done at once, with the clock at its time, in the same order and
    state as if it had been a Timeout of its own; this saves a heap push and pop each.  The
    queue head is read after the caller has done the previous index (which may queue events);
    work tying with a queued event (or beyond the run's end, whose stop event is queued) is
    left to go through the queue as usual.
    """
    queue = env._queue
    n = len(times)
    yield i
    i += 1
    while i < n:
        t = times[i]
        if queue and queue[0][0] <= t:
            return
        env._now = t
        yield i
        i += 1


class LaborPool:
    """Workers whose number follows the shift calendar, serving one FIFO queue of tasks.

    A task in progress when a shift ends is finished (workers do not drop a tote mid-pick), but
    no task starts while every worker on shift is busy or nobody is on shift.  The pool records
    the start and end time of each task (a shipment) in the shipment's timeline columns, then
    hands the task on with ``done(task, fc)``.
    """

    __slots__ = ("_done", "_done_h", "_eid", "_fc", "_fin", "_hours", "_next", "_queue",
                 "_start_h", "busy", "capacity", "env", "queue", "queued_h")

    def __init__(self, env: simpy.Environment, fc: int, start_h: Any,
                 done_h: Any, done: Callable[[int, int], None] | None,
                 next_pool: LaborPool | None = None, hours: dict[int, float] | None = None
                 ) -> None:
        self.env = env
        self.capacity = 0
        self.busy = 0
        self.queue: deque[tuple[int, float]] = deque()
        self.queued_h = 0.0  # hours of the tasks waiting in the queue (for policies' estimates)
        self._fc = fc
        # shipment id -> time (nan until then): memoryviews of the shipment timeline
        # (sim.recorder.Column.mv)
        self._start_h, self._done_h = start_h, done_h
        self._done = done
        # a pool whose finished tasks go straight to another pool's queue (pick -> pack),
        # with the task's hours there
        self._next, self._hours = next_pool, hours if hours is not None else {}
        self._fin = self._finish  # one bound method for every task
        self._queue: list[Any] = env._queue  # SimPy's event queue and ids (see push_event)
        self._eid = env._eid

    def submit(self, task: int, duration_h: float) -> None:
        if self.busy < self.capacity:  # as self._start(task, duration_h), one call fewer
            self.busy += 1
            now = self.env._now
            self._start_h[task] = now
            heappush(self._queue, (now + duration_h, NORMAL, next(self._eid),
                                   Wake(task, self._fin)))
        else:
            self.queue.append((task, duration_h))
            self.queued_h += duration_h

    def set_capacity(self, capacity: int) -> None:
        self.capacity = capacity
        self._dispatch()

    def _start(self, task: int, duration_h: float) -> None:
        self.busy += 1
        now = self.env._now
        self._start_h[task] = now
        item: tuple[float, int, int, Any] = (now + duration_h, NORMAL, next(self._eid),
                                             Wake(task, self._fin))
        heappush(self._queue, item)  # as push_event(env, now + duration_h, ...)

    def _finish(self, event: Wake) -> None:
        self.busy -= 1
        task = event._value
        now = self.env._now
        self._done_h[task] = now
        if self.queue and self.busy < self.capacity:
            task_h = self.queue.popleft()
            self.queued_h -= task_h[1]
            self._start(*task_h)
        nxt = self._next
        if nxt is None:
            self._done(task, self._fc)  # type: ignore[misc]  # set when there is no next pool
        elif nxt.busy < nxt.capacity:  # as nxt._start(task, hours), one call fewer
            nxt.busy += 1
            nxt._start_h[task] = now
            heappush(self._queue, (now + self._hours.pop(task), NORMAL, next(self._eid),
                                   Wake(task, nxt._fin)))
        else:
            hours = self._hours.pop(task)
            nxt.queue.append((task, hours))
            nxt.queued_h += hours

    def _dispatch(self) -> None:
        queue = self.queue
        while queue and self.busy < self.capacity:
            task_h = queue.popleft()
            self.queued_h -= task_h[1]
            self._start(*task_h)
        if not queue:
            self.queued_h = 0.0  # no drift from float rounding


class StaffingPlan:
    """The shift calendars of a network's FCs over its horizon, as staffing levels.

    ``shifts`` lists each worked shift ``(fc, start_h, end_h, pickers, packers)`` with that
    occurrence's headcount (the event log's shifts table); ``changes`` each change of an FC's
    staffing ``(time_h, fc, pickers, packers)`` in time order (the model's staffing events);
    :meth:`segments` walks the plan (for policies' estimates; nobody works after the end of
    the run).  ``pickers_end_h``: the end of the last shift in which any FC has pickers
    (``-inf`` if none ever has): work released from then on is never picked.
    """

    __slots__ = ("changes", "levels", "pickers_end_h", "shifts", "times")

    def __init__(self, net: Network) -> None:
        horizon = net.horizon_h
        # the network's shift calendar by day covers days -1 .. n_days (columns 0 .. n_days + 1)
        n_days = net.shift_worked.shape[1] - 2
        worked = net.shift_worked.tolist()
        pickers, packers = net.shift_pickers_by_day.tolist(), net.shift_packers_by_day.tolist()
        self.shifts: list[tuple[int, float, float, int, int]] = []
        deltas: dict[tuple[float, int], list[int]] = {}
        for s in range(len(net.shift_fc)):
            f = int(net.shift_fc[s])
            for day in range(-1, n_days + 1):
                if not worked[s][day + 1]:
                    continue
                a = max(0.0, 24.0 * day + float(net.shift_start_h[s]))
                b = min(horizon, 24.0 * day + float(net.shift_end_h[s]))
                if b <= a:
                    continue
                # this occurrence's headcount ([staffing]); 0 and 0: a closed shift, paid nothing
                pk, pa = pickers[s][day + 1], packers[s][day + 1]
                self.shifts.append((f, a, b, pk, pa))
                for t, sign in ((a, 1), (b, -1)):
                    d = deltas.setdefault((t, f), [0, 0])
                    d[0] += sign * pk
                    d[1] += sign * pa
        self.changes: list[tuple[float, int, int, int]] = []
        # by FC: times of change, and pickers (pool 0) and packers (1) from then on
        self.times: list[list[float]] = [[] for _ in range(net.n_fcs)]
        self.levels: list[tuple[list[int], list[int]]] = [([], []) for _ in range(net.n_fcs)]
        level = [[0, 0] for _ in range(net.n_fcs)]
        for (t, f), (dpk, dpa) in sorted(deltas.items()):
            level[f][0] += dpk
            level[f][1] += dpa
            if (dpk == 0 and dpa == 0) or t >= horizon:
                continue
            self.changes.append((t, f, level[f][0], level[f][1]))
            self._add(f, t, level[f][0], level[f][1])
        for f in range(net.n_fcs):
            self._add(f, horizon, 0, 0)
        # after an FC's last change to a positive number of pickers, the next change (at the
        # latest the horizon's) ends their work for good
        self.pickers_end_h = -math.inf
        for times, (pickers, _) in zip(self.times, self.levels, strict=True):
            last = max((i for i, n in enumerate(pickers) if n > 0), default=-1)
            if last >= 0:
                self.pickers_end_h = max(self.pickers_end_h, times[last + 1])

    def _add(self, f: int, t: float, pickers: int, packers: int) -> None:
        self.times[f].append(t)
        self.levels[f][0].append(pickers)
        self.levels[f][1].append(packers)

    def segments(self, f: int, pool: int, start_h: float) -> Iterator[tuple[float, float, int]]:
        """FC ``f``'s pickers (``pool`` 0) or packers (1) from ``start_h``: ``(from_h, to_h,
        workers)`` segments, the last one open-ended."""
        times, levels = self.times[f], self.levels[f][pool]
        i = bisect_right(times, start_h) - 1
        t = start_h
        while True:
            end = times[i + 1] if i + 1 < len(times) else math.inf
            yield t, end, levels[i] if i >= 0 else 0
            if end == math.inf:
                return
            t, i = end, i + 1
