"""Staffing over time (``[staffing]``, shifts' ``start_date``/``end_date``): a headcount per
shift and day, resolved when the network is built; the model opens each shift with that day's
headcount and the shifts table records it, so paid hours (labor cost) follow."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sim.eventlog import EventLog, Status
from sim.kpis import compute_kpis
from sim.network import build_network, scale_heads
from sim.scenario import ScenarioError
from tests.conftest import ALWAYS, MakeScenario, run

WEEK = {"run": {"horizon_days": 7, "warmup_days": 1}}  # the small scenario starts on a Monday


def _picker_hours(log: EventLog) -> float:
    sh = log["shifts"]
    return float(((sh["end_h"] - sh["start_h"]) * sh["pickers"]).sum())


def test_factor_two_doubles_paid_hours_exactly(make_scenario: MakeScenario) -> None:
    base = run(make_scenario(WEEK))
    double = run(make_scenario(WEEK, staffing={"factor": 2}))
    # 2 FCs x 7 days x 16 h (06-22) x 3 pickers, then 6 pickers
    assert _picker_hours(base) == 2 * 7 * 16 * 3
    assert _picker_hours(double) == 2 * 7 * 16 * 6
    s0, s2 = base["shifts"], double["shifts"]
    assert np.array_equal(s0["start_h"], s2["start_h"]) and np.array_equal(s0["end_h"],
                                                                         s2["end_h"])
    assert np.array_equal(s2["pickers"], 2 * s0["pickers"])
    assert np.array_equal(s2["packers"], 2 * s0["packers"])
    k0, k2 = compute_kpis(base), compute_kpis(double)
    assert k0["orders_placed"] == k2["orders_placed"]  # demand does not depend on staffing
    assert k2["labor_cost_per_order"] == pytest.approx(2 * k0["labor_cost_per_order"],
                                                       rel=1e-12)


def test_factor_rounds_to_the_nearest_person(make_scenario: MakeScenario) -> None:
    assert scale_heads(np.array([3, 3, 3, 1, 0]), 1.5).tolist() == [5, 5, 5, 2, 0]  # halves up
    assert scale_heads(np.array([3, 10, 7]), 1.1).tolist() == [3, 11, 8]
    net = build_network(make_scenario(WEEK, staffing={"factor": 0.5}))
    assert (net.shift_pickers_by_day == 2).all() and (net.shift_packers_by_day == 2).all()
    assert net.shift_pickers.tolist() == [3, 3]  # the plan as written is kept


def test_closed_days_show_zero_and_nothing_is_worked(make_scenario: MakeScenario) -> None:
    """East closed on Wednesday and Thursday (days 2 and 3): its shift rows show 0, nobody
    starts a pick or a pack there from Tuesday's 22:00 until Friday's 06:00, when the backlog
    starts at once; west works as usual."""
    closed = {"start": "2026-03-04", "end": "2026-03-05", "fcs": ["east"],
              "pickers": 0, "packers": 0}
    log = run(make_scenario(WEEK, staffing={"changes": [closed]}))
    east, west = log.fc_names.index("east"), log.fc_names.index("west")
    sh = log["shifts"]
    day = (sh["start_h"] // 24).astype(int)
    off = (sh["fc"] == east) & np.isin(day, [2, 3])
    assert off.sum() == 2
    assert (sh["pickers"][off] == 0).all() and (sh["packers"][off] == 0).all()
    assert (sh["pickers"][~off] == 3).all() and (sh["packers"][~off] == 3).all()
    assert _picker_hours(log) == 2 * 7 * 16 * 3 - 2 * 16 * 3
    ev = log["events"]
    work = np.isin(ev["status"], [Status.PICK_START, Status.PACK_START])
    t = ev["time_h"]
    at_east = work & (ev["fc"] == east)
    assert not (at_east & (t > 24 + 22) & (t < 4 * 24 + 6)).any()
    assert t[at_east & (t >= 4 * 24 + 6)].min() == 4 * 24 + 6  # the backlog, at opening
    assert (work & (ev["fc"] == west) & (t > 2 * 24) & (t < 4 * 24)).sum() > 100
    # the same run without the closure picks at east on those days
    open_log = run(make_scenario(WEEK))
    ev0 = open_log["events"]
    assert ((ev0["status"] == Status.PICK_START) & (ev0["fc"] == east)
            & (ev0["time_h"] > 2 * 24) & (ev0["time_h"] < 4 * 24)).sum() > 100


def test_dated_shift_is_worked_only_on_its_days(make_scenario: MakeScenario) -> None:
    peak = {"days": ALWAYS, "start_h": 0.0, "end_h": 4.0, "pickers": 2, "packers": 1,
            "start_date": "2026-03-04", "end_date": "2026-03-05"}
    sc = make_scenario(WEEK, fcs={"east": {"shifts": {"peak": peak}}})
    net = build_network(sc)
    assert net.shift_worked.shape == (3, 7 + 2)  # days -1 .. 7
    assert np.flatnonzero(net.shift_worked[1]).tolist() == [3, 4]  # days 2 and 3
    log = run(sc)
    sh = log["shifts"]
    rows = (sh["end_h"] - sh["start_h"]) == 4.0
    assert sh["start_h"][rows].tolist() == [48.0, 72.0]
    assert sh["fc"][rows].tolist() == [0, 0]
    assert sh["pickers"][rows].tolist() == [2, 2] and sh["packers"][rows].tolist() == [1, 1]
    ev = log["events"]
    night = (ev["status"] == Status.PICK_START) & (ev["time_h"] % 24 < 4)
    assert set((ev["time_h"][night] // 24).astype(int).tolist()) <= {2, 3}


def test_later_changes_win_per_role_and_factor_scales_the_plan(
        make_scenario: MakeScenario) -> None:
    changes = [
        {"start": "2026-03-03", "end": "2026-03-06", "pickers": 7},  # days 1-4, packers kept
        {"start": "2026-03-05", "end": "2026-03-05", "fcs": ["west"], "factor": 0.0},  # day 3
        {"start": "2026-03-06", "end": "2026-03-07", "shifts": ["day"], "factor": 2.0},
    ]
    net = build_network(make_scenario(WEEK, staffing={"factor": 1.5, "changes": changes}))
    east, west = net.fc_names.index("east"), net.fc_names.index("west")
    # columns: day -1 .. 7; the plan is 3 x 1.5 = 4.5 -> 5
    assert net.shift_pickers_by_day[east].tolist() == [5, 5, 7, 7, 7, 10, 10, 5, 5]
    assert net.shift_packers_by_day[east].tolist() == [5, 5, 5, 5, 5, 10, 10, 5, 5]
    assert net.shift_pickers_by_day[west].tolist() == [5, 5, 7, 7, 0, 10, 10, 5, 5]
    assert net.shift_packers_by_day[west].tolist() == [5, 5, 5, 5, 0, 10, 10, 5, 5]
    assert net.warnings == ()


def test_dates_outside_the_run_warn(make_scenario: MakeScenario) -> None:
    late = {"start": "2026-12-24", "end": "2026-12-26", "factor": 0.0}
    peak = {"days": ALWAYS, "start_h": 0.0, "end_h": 4.0, "pickers": 2, "packers": 1,
            "start_date": "2025-11-01", "end_date": "2025-12-31"}
    sc = make_scenario(WEEK, staffing={"changes": [late]},
                       fcs={"west": {"shifts": {"peak": peak}}})
    net = build_network(sc)
    assert len(net.warnings) == 2
    assert net.warnings[0].startswith("fcs.west.shifts.peak: its dates (2025-11-01 to "
                                      "2025-12-31) lie outside the run (2026-03-02 to "
                                      "2026-03-08)")
    assert net.warnings[1].startswith("staffing.changes.0: 2026-12-24 to 2026-12-26 lies "
                                      "outside the run")
    assert (net.shift_pickers_by_day == [[3] * 9, [3] * 9, [2] * 9]).all()
    assert not net.shift_worked[2].any()


def test_closed_fcs_changes_warn(make_scenario: MakeScenario) -> None:
    sc = make_scenario(WEEK, network={"open_fcs": ["west"]}, staffing={"changes": [
        {"start": "2026-03-03", "end": "2026-03-03", "fcs": ["east"], "factor": 0.0}]})
    net = build_network(sc)
    assert net.warnings == ("staffing.changes.0: names no shift of an FC open in this run; "
                            "it changes nothing",)


def _change(**kw: Any) -> dict[str, Any]:
    return {"staffing": {"changes": [{"start": "2026-03-03", "end": "2026-03-04", **kw}]}}


@pytest.mark.parametrize(("changes", "message"), [
    (_change(fcs=["eats"], factor=0.0),
     r"staffing\.changes\.0\.fcs: unknown FC 'eats' \(did you mean 'east'\?\)"),
    (_change(shifts=["dya"], factor=0.0),
     r"staffing\.changes\.0\.shifts: no shift 'dya' at any FC \(did you mean 'day'\?\)"),
    (_change(fcs=["west"], shifts=["night"], factor=0.0),
     r"staffing\.changes\.0\.shifts: no shift 'night' at FC\(s\) \['west'\]"),
    ({"staffing": {"changes": [{"start": "2026-03-05", "end": "2026-03-04", "factor": 0.0}]}},
     r"field 'staffing\.changes\.0': end \(2026-03-04\) must not be before start"),
    (_change(factor=-1.0), r"field 'staffing\.changes\.0\.factor': input should be greater"),
    (_change(pickers=-2), r"field 'staffing\.changes\.0\.pickers': input should be greater"),
    (_change(packers=1.5), r"field 'staffing\.changes\.0\.packers'"),
    (_change(factor=0.5, pickers=2), r"field 'staffing\.changes\.0': give factor, or "
                                     r"pickers/packers, not both"),
    (_change(), r"field 'staffing\.changes\.0': give pickers and/or packers"),
    (_change(factor=0.0, shift=["day"]), r"field 'staffing\.changes\.0\.shift' is not a known"),
    ({"staffing": {"factor": -0.5}}, r"field 'staffing\.factor': input should be greater"),
    ({"fcs": {"east": {"shifts": {"day": {"start_date": "2026-03-05",
                                          "end_date": "2026-03-04"}}}}},
     r"field 'fcs\.east\.shifts\.day': end_date \(2026-03-04\) must not be before start_date"),
])
def test_bad_staffing_is_refused(make_scenario: MakeScenario, changes: dict[str, Any],
                                 message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        make_scenario(changes)
