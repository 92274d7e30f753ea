"""The calendar's calls queued a day ahead (:class:`sim.labor.Agenda`) run in the order they
would have run had every one been queued at the start, ties included."""

from __future__ import annotations

import hashlib
import math
import random
from pathlib import Path

import pytest
import simpy

from sim.eventlog import EventLog
from sim.labor import Agenda, call_at
from sim.model import FulfillmentModel, simulate
from sim.network import build_network
from sim.scenario import load_scenario
from tests.conftest import MakeScenario

ROOT = Path(__file__).resolve().parents[1]


def _calls(lazy: bool, seed: int) -> list[tuple[float, str]]:
    """Run a day-by-day schedule: calendar calls known at the start (many at equal times),
    and calls made while running (some at those same times), queued eagerly with
    ``call_at`` or through an :class:`Agenda` fed a day ahead, as the model feeds it."""
    rnd = random.Random(seed)
    env = simpy.Environment()
    seen: list[tuple[float, str]] = []
    agenda = Agenda(env)

    def note(name: str) -> None:
        seen.append((env.now, name))
        if name.startswith("cal") and rnd.random() < 0.5:  # a call made now, for later:
            later = env.now + rnd.choice([0.0, 1.0, 2.0, 24.0, 30.0])  # often on the hour
            call_at(env, later, note, f"run{len(seen)}")

    def start_day(day: int) -> None:
        seen.append((env.now, f"day{day}"))
        if day < 9:
            call_at(env, 24.0 * (day + 1), start_day, day + 1)
        if lazy:
            agenda.feed(24.0 * (day + 2))

    times = [float(rnd.randrange(0, 240)) for _ in range(300)]  # whole hours: many ties
    for i, t in enumerate(times):
        if lazy:
            agenda.add(t, note, f"cal{i}")
        else:
            call_at(env, t, note, f"cal{i}")
    if lazy:
        agenda.feed(48.0)
    call_at(env, 0.0, start_day, 0)
    env.run(until=240.0)
    return seen


@pytest.mark.parametrize("seed", range(5))
def test_agenda_keeps_the_order_of_eager_scheduling(seed: int) -> None:
    eager, lazy = _calls(False, seed), _calls(True, seed)
    assert len(eager) > 300
    assert lazy == eager


def test_agenda_queues_only_what_is_due_before_the_feed() -> None:
    env = simpy.Environment()
    agenda = Agenda(env)
    for t in (5.0, 50.0, 30.0, 47.9, 48.0):
        agenda.add(t, print)
    agenda.feed(48.0)
    assert sorted(item[0] for item in env._queue) == [5.0, 30.0, 47.9]
    agenda.feed(100.0)
    assert sorted(item[0] for item in env._queue) == [5.0, 30.0, 47.9, 48.0, 50.0]
    env.run(until=10.0)
    with pytest.raises(ValueError, match="before now"):
        agenda.add(9.0, print)


def test_model_queue_holds_two_days_of_calendar(make_scenario: MakeScenario) -> None:
    """A 40-day run queues the pickups and shift changes of its first two days only (the
    others as the days come), and still makes every one of them."""
    net = build_network(make_scenario(run={"horizon_days": 40}))
    first = FulfillmentModel(net)
    first._schedule_calendar()
    assert first.env._queue and max(item[0] for item in first.env._queue) < 48.0
    m = FulfillmentModel(net)
    made = {"pickup": 0, "staff": 0}
    pickup, set_staff = m._pickup, m._set_staff

    def counted_pickup(value: tuple[int, int]) -> None:
        made["pickup"] += 1
        pickup(value)

    def counted_staff(value: tuple[int, int, int]) -> None:
        made["staff"] += 1
        set_staff(value)

    m._pickup, m._set_staff = counted_pickup, counted_staff  # type: ignore[method-assign]
    n_pickups = sum(t < net.horizon_h for by_service in m.estimates.pickup_times
                    for times in by_service for t in times)
    assert n_pickups > 40 * net.n_fcs and len(m.staffing.changes) > 40
    m.run()
    assert made == {"pickup": n_pickups, "staff": len(m.staffing.changes)}


def test_a_call_added_within_what_was_fed_is_queued_at_once() -> None:
    env = simpy.Environment()
    agenda = Agenda(env)
    seen: list[tuple[float, str]] = []
    agenda.add(10.0, lambda v: seen.append((env.now, v)), "a")
    agenda.feed(48.0)
    agenda.add(5.0, lambda v: seen.append((env.now, v)), "b")  # before the fed horizon
    agenda.add(60.0, lambda v: seen.append((env.now, v)), "c")  # after it: waits for a feed
    assert sorted(item[0] for item in env._queue) == [5.0, 10.0]
    agenda.feed(72.0)
    env.run()
    assert seen == [(5.0, "b"), (10.0, "a"), (60.0, "c")]


def _digest(log: EventLog) -> dict[str, str]:
    out = {}
    for table in log.names:
        for col, arr in log.table(table).items():
            out[f"{table}.{col}"] = hashlib.sha256(arr.tobytes()).hexdigest()
    return out


def test_model_keeps_ties_of_midnight_pickups_with_day_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A carrier pickup at midnight ties with the day's start (new orders, prices): the run
    with the calendar fed a day ahead is the run with every call queued at the start."""
    sc = tmp_path / "midnight.toml"
    sc.write_text(
        f'extends = "{(ROOT / "scenarios" / "optimal_calendar.toml").as_posix()}"\n'
        'name = "midnight"\nreplace = ["services"]\n[services.next_day]\ncarrier = "UPS"\n'
        f'rates = "{(ROOT / "scenarios" / "data" / "rates_next_day.csv").as_posix()}"\n'
        "dim_divisor = 139\ntransit_days_by_zone = [1, 1, 1, 1, 1, 1, 1, 1]\n"
        "pickup_cutoffs_h = [0.0]\n")
    net = build_network(load_scenario(sc).with_overrides(horizon_days=3.5))
    lazy = _digest(simulate(net))
    feed = Agenda.feed
    monkeypatch.setattr(Agenda, "feed", lambda self, until: feed(self, math.inf))
    assert _digest(simulate(net)) == lazy  # everything queued at the start, as before
