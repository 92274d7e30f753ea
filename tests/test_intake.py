"""Intake verification (``[intake]``, :mod:`sim.intake`): orders held for review when placed,
reviewed during staffed hours, then routed or cancelled; conservation of orders, hand-computed
review ends and event logs, and the held and cancelled shares against their expectations."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim.eventlog import EventLog, IntakeOutcome, IntakeReason, Status
from sim.intake import review_end
from sim.kpis import compute_kpis, open_orders_by_status
from sim.model import simulate
from sim.network import build_network
from sim.scenario import load_scenario
from tests.conftest import MakeScenario, deep_merge, run, write_scenario
from tests.test_conservation import check_orders, check_shipments, check_units
from tests.test_quality import _events, _ground, _timeline, one_order_data

S = Status
WEEKDAYS5 = (True, True, True, True, True, False, False)  # Monday to Friday


# ------------------------------------------------------------------ the staffed calendar
@pytest.mark.parametrize(("t0", "work_h", "hours", "end"), [
    (1.0, 1.5, (8.0, 20.0), 9.5),  # Mon 01:00: waits for 08:00
    (10.0, 1.5, (8.0, 20.0), 11.5),  # inside the staffed hours
    (19.0, 1.5, (8.0, 20.0), 32.5),  # Mon 19:00: 1 h on Monday, 0.5 h from Tue 08:00
    (18.0, 14.0, (8.0, 20.0), 24.0 + 20.0),  # 2 h Mon + 12 h Tue: ends Tue 20:00 exactly
    (115.0, 2.0, (8.0, 20.0), 177.0),  # Fri 19:00: 1 h Fri, 1 h from Mon 08:00 (176)
    (130.0, 0.0, (8.0, 20.0), 176.0),  # Sat 10:00, no work: still waits for Monday 08:00
    (29.0, 0.5, (22.0, 30.0), 29.5),  # Tue 05:00 inside Monday's night period (22-06)
    (31.0, 1.0, (22.0, 30.0), 47.0),  # Tue 07:00: Tuesday's period starts at 46
    (0.0, 48.0, (0.0, 24.0), 48.0),  # staffed around the clock (weekdays)
])
def test_review_end_by_hand(t0: float, work_h: float, hours: tuple[float, float],
                            end: float) -> None:
    # day 0 is a Monday; staffed Monday to Friday
    assert review_end(t0, work_h, hours, WEEKDAYS5, 0) == pytest.approx(end)


def test_review_end_weekday_offset_and_limit() -> None:
    # day 0 a Saturday (weekday 5): Sunday 10:00 waits for Monday (day 2) 08:00
    assert review_end(34.0, 1.0, (8.0, 20.0), WEEKDAYS5, 5) == pytest.approx(57.0)
    # work that would end past the limit never ends within the run
    assert review_end(1.0, 30.0, (8.0, 20.0), WEEKDAYS5, 0, limit=40.0) == math.inf


# ------------------------------------------------------------------ absent changes nothing
def test_intake_section_at_zero_changes_nothing(make_scenario: MakeScenario) -> None:
    plain = make_scenario({"run": {"horizon_days": 5}})
    zero = make_scenario({"run": {"horizon_days": 5},
                          "intake": {"review_probability": 0.0, "hours": [9.0, 17.0],
                                     "channels": {"market": {"review_probability": 0.0}}}})
    assert build_network(zero).intake is None
    a, b = run(plain), run(zero)
    assert a.equals(b)
    assert "intake" not in a.tables
    assert not any(k.startswith("intake") for k in compute_kpis(a))


# ------------------------------------------------------------------ hand-computed logs
def _hand(tmp_path: Path, intake: dict[str, Any], placed_h: float = 1.0,
          quality: dict[str, Any] | None = None, **svc: Any) -> EventLog:
    """One order (SKU A, 1 unit, channel web) placed Monday at ``placed_h`` to New York (1
    transit day), one picker and one packer around the clock, 1 h to pick, 0.5 h to pack, a
    carrier pickup a day at 18:00, deliveries at 17:00; reviews deterministic 90 minutes,
    staffed 08:00-20:00 every day."""
    folder = tmp_path / "hand"
    data = one_order_data(folder, placed_h=placed_h, horizon_days=10,
                          intake={"review_probability": 1.0, "hours": [8.0, 20.0],
                                  "review_min": {"mean": 90.0}, **intake})
    if quality:
        data["quality"] = quality
    data["services"] = _ground(**svc)
    return simulate(build_network(load_scenario(write_scenario(folder, data))))


def _intake_rows(log: EventLog) -> list[tuple[float, int, int, int, float]]:
    ik = log["intake"]
    return list(zip(ik["time_h"].tolist(), ik["order_id"].tolist(), ik["reason"].tolist(),
                    ik["outcome"].tolist(), ik["review_h"].tolist(), strict=True))


@pytest.mark.parametrize(("placed", "end", "ship", "deliver"), [
    # Mon 01:00: reviewed 08:00-09:30; picked 9.5-10.5, packed 10.5-11, Mon 18:00 pickup,
    # delivered Tue 17:00 (41)
    (1.0, 9.5, 18.0, 41.0),
    # Mon 19:00: 1 h of review on Monday, 0.5 h from Tue 08:00 (ends 32.5); picked 32.5-33.5,
    # packed 33.5-34, Tue 18:00 pickup (42), delivered Wed 17:00 (65)
    (19.0, 32.5, 42.0, 65.0),
])
def test_hand_log_released_after_review(tmp_path: Path, placed: float, end: float,
                                        ship: float, deliver: float) -> None:
    log = _hand(tmp_path, {"reasons": {"fraud": {"share": 1.0}}}, placed_h=placed)
    assert _events(log) == _timeline(
        (placed, -1, S.PLACED), (placed, -1, S.INTAKE_HOLD), (end, -1, S.INTAKE_RELEASED),
        (end, 0, S.PICK_START), (end + 1.0, 0, S.PICKED), (end + 1.0, 0, S.PACK_START),
        (end + 1.5, 0, S.PACKED), (ship, 0, S.SHIPPED), (deliver, 0, S.DELIVERED))
    assert _intake_rows(log) == [(end, 0, IntakeReason.FRAUD, IntakeOutcome.RELEASED, 1.5)]
    # cut at the review's end, the order is being picked (INTAKE_RELEASED and PICK_START at
    # the same time: the intake status ranks first)
    ev = log.tables["events"]  # (the floor's events are the shipments' timeline columns)
    keep = ev["time_h"] <= end
    sh = {c: (np.full_like(a, np.nan) if c in ("picked_h", "pack_start_h", "packed_h") else a)
          for c, a in log.tables["shipments"].items()}
    cut = EventLog(tables={**log.tables, "events": {c: a[keep] for c, a in ev.items()},
                           "shipments": sh}, meta=log.meta)
    assert open_orders_by_status(cut) == {"pick_start": 1}
    k = compute_kpis(log)
    assert k["intake_hold_rate"] == 1.0 and k["intake_cancel_rate"] == 0.0
    assert k["intake_review_h_mean"] == pytest.approx(end - placed)
    assert k["intake_in_review"] == 0
    # click-to-ship and click-to-deliver count from the order's placement, review included
    assert k["click_to_ship_h_mean"] == pytest.approx(ship - placed)
    assert k["click_to_deliver_days_mean"] == pytest.approx((deliver - placed) / 24)


def test_hand_log_cancelled_at_intake(tmp_path: Path) -> None:
    log = _hand(tmp_path, {"reasons": {"payment": {"share": 1.0, "cancelled": 1.0}}})
    assert _events(log) == _timeline((1.0, -1, S.PLACED), (1.0, -1, S.INTAKE_HOLD),
                                     (9.5, -1, S.CANCELLED))
    assert _intake_rows(log) == [(9.5, 0, IntakeReason.PAYMENT, IntakeOutcome.CANCELLED, 1.5)]
    assert log.n_rows("shipments") == 0
    st = log["stock"]
    assert np.array_equal(st["on_hand"], st["initial"])  # no stock taken
    k = compute_kpis(log)
    assert k["orders_cancelled"] == 1 and k["intake_cancel_rate"] == 1.0
    assert k["intake_cancelled.payment"] == 1
    assert k["intake_cancelled.fraud"] == 0 and k["intake_cancelled.address"] == 0
    assert k["orders_shipped"] == 0 and k["orders_open"] == 0


def test_hand_log_still_in_review_at_the_horizon(tmp_path: Path) -> None:
    # 10,000 minutes (166.7 h) of review, 12 h a day from Mon 08:00: it would end on day 13,
    # after the horizon of 10 days; the order stays open, its latest status INTAKE_HOLD
    log = _hand(tmp_path, {"reasons": {"fraud": {"share": 1.0}},
                           "review_min": {"mean": 10_000.0}})
    assert _events(log)[:2] == _timeline((1.0, -1, S.PLACED), (1.0, -1, S.INTAKE_HOLD))
    assert log.n_rows("intake") == 0 and log.n_rows("shipments") == 0
    k = compute_kpis(log)
    assert k["intake_in_review"] == 1 and k["orders_open"] == 1
    assert math.isnan(k["intake_review_h_mean"])
    assert open_orders_by_status(log) == {"intake_hold": 1}
    check_orders(log)


def test_hand_log_address_corrected_at_intake(tmp_path: Path) -> None:
    """With [quality] the order's address is wrong (its parcel would be returned to sender);
    corrected at intake, it ships and is delivered like any other."""
    quality = {"address_error_probability": 1.0, "address_corrected_share": 0.0}
    log = _hand(tmp_path, {"reasons": {"address": {"share": 1.0, "corrected": 1.0}}},
                quality=quality, return_to_sender_fee=10.0)
    assert _events(log)[-2:] == _timeline((18.0, 0, S.SHIPPED), (41.0, 0, S.DELIVERED))
    assert _intake_rows(log) == [(9.5, 0, IntakeReason.ADDRESS, IntakeOutcome.CORRECTED, 1.5)]
    assert log.n_rows("quality_shipments") == 0
    k = compute_kpis(log)
    assert k["accurate_documentation_rate"] == 1.0 and k["quality_cost_per_order"] == 0.0
    # released as it was, the wrong address goes out: returned to sender
    log = _hand(tmp_path, {"reasons": {"address": {"share": 1.0}}}, quality=quality,
                return_to_sender_fee=10.0)
    assert S.RETURNED_TO_SENDER.name in {e[2] for e in _events(log)}


# ------------------------------------------------------------------ conservation, expectation
INTAKE = {"channels": {"web": {"review_probability": 0.1}, "market": {"review_probability": 0.3}},
          "reasons": {"address": {"share": 0.5, "corrected": 0.6, "cancelled": 0.1},
                      "fraud": {"share": 0.3, "cancelled": 0.5},
                      "payment": {"share": 0.2, "cancelled": 0.25}},
          "review_min": {"mean": 60.0, "dist": "exponential"},
          "hours": [9.0, 17.0], "days": ["mon", "tue", "wed", "thu", "fri"]}


def _intake_scenario(make_scenario: MakeScenario, **over: Any) -> Any:
    return make_scenario({"run": {"horizon_days": 20, "warmup_days": 2},
                          "inventory": {"rule": "days_of_demand", "days": 8},
                          "intake": {**INTAKE, **over}})


def check_intake(log: EventLog) -> dict[str, int]:
    """Every order held at intake is held once, when placed; it is then reviewed (routed or
    cancelled) at the review's end, computed from the staffed calendar, or still in review at
    the horizon with nothing else recorded; an order cancelled at intake never reaches the
    floor, and no order is routed before its review ends."""
    ev, ik, orders = log["events"], log["intake"], log["orders"]
    n = log.n_rows("orders")
    o, st, t = ev["order_id"], ev["status"], ev["time_h"]
    hold = st == S.INTAKE_HOLD
    assert np.bincount(o[hold], minlength=n).max() <= 1
    held = np.zeros(n, bool)
    held[o[hold]] = True
    assert np.array_equal(t[hold], orders["placed_h"][o[hold]])  # held when placed
    # one review row per reviewed order, each a held one
    assert len(np.unique(ik["order_id"])) == len(ik["order_id"])
    assert held[ik["order_id"]].all()
    reviewed = np.zeros(n, bool)
    reviewed[ik["order_id"]] = True
    # the review ends when the staffed calendar says
    wd0 = 0  # the small scenario starts on Monday 2026-03-02
    for tt, oid, work in zip(ik["time_h"].tolist(), ik["order_id"].tolist(),
                             ik["review_h"].tolist(), strict=True):
        assert tt == pytest.approx(review_end(float(orders["placed_h"][oid]), work, (9.0, 17.0),
                                              WEEKDAYS5, wd0))
    # released orders: INTAKE_RELEASED at the review's end, nothing on the floor before it
    rel = ik["outcome"] != IntakeOutcome.CANCELLED
    can = ~rel
    released_at = np.full(n, np.nan)
    released_at[ik["order_id"][rel]] = ik["time_h"][rel]
    m = st == S.INTAKE_RELEASED
    assert np.array_equal(np.sort(o[m]), np.sort(ik["order_id"][rel]))
    assert np.array_equal(t[m], released_at[o[m]])
    floor = (ev["shipment_id"] >= 0) | (st == S.ON_HOLD)
    late = held[o] & floor
    assert (t[late] >= released_at[o[late]]).all()  # nan (never released) compares False
    # cancelled at intake: CANCELLED at the review's end, no shipment ever
    cancelled_ids = ik["order_id"][can]
    c = st == S.CANCELLED
    cancel_t = dict(zip(o[c].tolist(), t[c].tolist(), strict=True))
    for oid, tt in zip(cancelled_ids.tolist(), ik["time_h"][can].tolist(), strict=True):
        assert cancel_t[oid] == tt
    assert not np.isin(log["shipments"]["order_id"], cancelled_ids).any()
    # still in review: nothing recorded after INTAKE_HOLD
    pending = held & ~reviewed
    assert np.array_equal(np.bincount(o[pending[o]], minlength=n)[pending], np.full(
        int(pending.sum()), 2))  # PLACED and INTAKE_HOLD only
    # orders not held never see an intake status
    assert not ((st == S.INTAKE_RELEASED) & ~held[o]).any()
    return {"held": int(held.sum()), "released": int(rel.sum()), "cancelled": int(can.sum()),
            "pending": int(pending.sum())}


@pytest.mark.parametrize("seed", [1, 2])
def test_every_order_is_routed_cancelled_or_in_review(make_scenario: MakeScenario,
                                                      seed: int) -> None:
    sc = _intake_scenario(make_scenario).with_overrides(seed=seed)
    log = run(sc)
    counts = check_orders(log)
    check_shipments(log)
    check_units(log)
    seen = check_intake(log)
    assert min(seen.values()) > 5, seen
    # orders placed = routed (released to the floor or on hold for stock) + cancelled + still
    # in review (+ waiting for their first route: none, orders are routed when they arrive)
    n = log.n_rows("orders")
    ev = log["events"]
    routed = np.zeros(n, bool)
    routed[log["shipments"]["order_id"]] = True
    routed[ev["order_id"][ev["status"] == S.ON_HOLD]] = True
    cancelled = np.zeros(n, bool)
    cancelled[ev["order_id"][ev["status"] == S.CANCELLED]] = True
    in_review = np.zeros(n, bool)
    in_review[ev["order_id"][ev["status"] == S.INTAKE_HOLD]] = True
    in_review[log["intake"]["order_id"]] = False
    assert not (routed & in_review).any() and not (cancelled & in_review).any()
    assert int((routed | cancelled | in_review).sum()) == n
    assert counts["cancelled"] == int(cancelled.sum())


def test_held_and_cancelled_shares_match_their_expectation(make_scenario: MakeScenario) -> None:
    """Held with the channel's probability (web 0.7 x 0.1 + market 0.3 x 0.3 = 0.16); a
    review cancels with 0.5 x 0.1 + 0.3 x 0.5 + 0.2 x 0.25 = 0.25, corrects with 0.5 x 0.6 =
    0.3; reviewer work is exponential with mean 1 h."""
    sc = _intake_scenario(make_scenario)
    log = run(sc)
    k = compute_kpis(log)
    n = k["orders_placed"]
    assert n > 5000

    def close(got: float, p: float, m: int) -> None:
        assert abs(got - p) < 4 * math.sqrt(p * (1 - p) / m), (got, p, m)

    close(k["intake_hold_rate"], 0.16, n)
    ik = log["intake"]
    m = len(ik["order_id"])
    close(float(np.mean(ik["outcome"] == IntakeOutcome.CANCELLED)), 0.25, m)
    close(float(np.mean(ik["outcome"] == IntakeOutcome.CORRECTED)), 0.3, m)
    for r, share in ((IntakeReason.ADDRESS, 0.5), (IntakeReason.FRAUD, 0.3),
                     (IntakeReason.PAYMENT, 0.2)):
        close(float(np.mean(ik["reason"] == r)), share, m)
    # by channel: market orders are held three times as often as web orders
    ch = log["orders"]["channel"]
    held = np.isin(np.arange(log.n_rows("orders")),
                   log["events"]["order_id"][log["events"]["status"] == S.INTAKE_HOLD])
    market = log.meta["channel_names"].index("market")
    close(float(held[ch == market].mean()), 0.3, int((ch == market).sum()))
    close(float(held[ch != market].mean()), 0.1, int((ch != market).sum()))
    assert abs(float(ik["review_h"].mean()) - 1.0) < 4 / math.sqrt(m)
    # an order reviewed off hours waits: the mean review takes far longer than its work
    assert k["intake_review_h_mean"] > 3.0 and k["intake_review_h_p90"] > 10.0
    assert k["intake_cancel_rate"] == pytest.approx(
        int((ik["outcome"] == IntakeOutcome.CANCELLED)
            [log["orders"]["placed_h"][ik["order_id"]] >= log.warmup_h].sum()) / n)


def test_same_orders_held_whatever_the_routing(make_scenario: MakeScenario) -> None:
    sc = _intake_scenario(make_scenario).with_overrides(horizon_days=8)
    a, b = run(sc), run(sc)
    assert a.equals(b)
    other = simulate(build_network(sc.with_data(deep_merge(
        sc.model_dump(), {"routing": {"policy": "least_loaded"}}))))

    def reviews(log: EventLog) -> set[tuple[int, ...]]:
        ik = log["intake"]
        return set(zip(ik["order_id"].tolist(), ik["time_h"].tolist(), ik["reason"].tolist(),
                       ik["outcome"].tolist(), strict=True))

    assert reviews(a) == reviews(other) and len(reviews(a)) > 100
    # the other streams are untouched: the orders themselves are the same as without [intake]
    plain = run(sc.with_data(deep_merge(sc.model_dump(), {"intake": {"review_probability": 0.0,
                                                                     "channels": {}}})))
    for c, v in plain["orders"].items():
        np.testing.assert_array_equal(a["orders"][c], v)


def test_wave_policy_routes_released_orders_in_the_next_wave(
        make_scenario: MakeScenario) -> None:
    sc = _intake_scenario(make_scenario, review_probability=0.2).with_overrides(horizon_days=6)
    sc = sc.with_data(deep_merge(sc.model_dump(), {"routing": {"policy": "wave"}}))
    log = run(sc)
    check_orders(log)
    check_intake(log)


def test_results_directory_round_trip(make_scenario: MakeScenario, tmp_path: Path) -> None:
    """The intake table is written and read back (``reason`` and ``outcome`` labelled), and
    the KPIs recomputed from the directory are the run's."""
    from sim.results import load_kpis, read_results, write_results
    from sim.runner import run_scenario

    sc = _intake_scenario(make_scenario).with_overrides(horizon_days=6)
    result = run_scenario(sc)
    res = write_results(tmp_path / "res", result.log, result.kpis, sc.model_dump(mode="json"),
                        result.manifest)
    back = read_results(res)
    for c, a in result.log["intake"].items():
        np.testing.assert_array_equal(back["intake"][c], a)
    labels = pq.read_table(res / "intake.parquet").column("reason").to_pylist()
    assert set(labels) <= {"address", "fraud", "payment"} and labels
    kpis = load_kpis(res)[1]
    for name in ("intake_hold_rate", "intake_review_h_mean", "intake_cancel_rate",
                 "intake_cancelled.fraud"):
        assert kpis[name] == pytest.approx(result.kpis[name])


# ------------------------------------------------------------------ KPIs on a hand-built log
def test_intake_kpis_on_a_hand_built_log() -> None:
    """The KPI test's hand-built log (tests/test_kpis.py) with intake reviews added:

    order 0 (warm-up): held at 5, released at 5.5 (fraud) — outside the window
    order 1: held at 20, address corrected at 20.75, then on the floor at 21
    order 5: placed 60, held, cancelled for payment at 70
    order 6: placed 90, held, still in review at the horizon (100)
    """
    from tests.test_kpis import hand_log

    base = hand_log()
    tables = {t: dict(cols) for t, cols in base.tables.items()}
    ev = tables["events"]
    rows = [(5.0, 0, S.INTAKE_HOLD), (5.5, 0, S.INTAKE_RELEASED), (20.0, 1, S.INTAKE_HOLD),
            (20.75, 1, S.INTAKE_RELEASED), (60.0, 5, S.PLACED), (60.0, 5, S.INTAKE_HOLD),
            (70.0, 5, S.CANCELLED), (90.0, 6, S.PLACED), (90.0, 6, S.INTAKE_HOLD)]
    t, o, s = zip(*rows, strict=True)
    for c, new in (("time_h", np.array(t)), ("order_id", np.array(o, np.int32)),
                   ("status", np.array(s, np.int8)), ("fc", np.full(len(t), -1, np.int8)),
                   ("shipment_id", np.full(len(t), -1, np.int32))):
        ev[c] = np.concatenate([ev[c], new])
    orders = tables["orders"]
    for c, new in (("placed_h", [60.0, 90.0]), ("promise_h", [120.0, 150.0])):
        orders[c] = np.concatenate([orders[c], np.array(new, orders[c].dtype)])
    for c in ("channel", "dest", "n_lines", "n_units"):
        orders[c] = np.concatenate([orders[c], orders[c][:2]])
    tables["intake"] = {
        "time_h": np.array([5.5, 20.75, 70.0]), "order_id": np.array([0, 1, 5], np.int32),
        "reason": np.array([IntakeReason.FRAUD, IntakeReason.ADDRESS, IntakeReason.PAYMENT],
                           np.int8),
        "outcome": np.array([IntakeOutcome.RELEASED, IntakeOutcome.CORRECTED,
                             IntakeOutcome.CANCELLED], np.int8),
        "review_h": np.array([0.5, 0.75, 0.5])}
    log = EventLog(tables=tables, meta=base.meta)
    k = compute_kpis(log)
    assert k["orders_placed"] == 6  # orders 1-6
    assert k["intake_hold_rate"] == pytest.approx(3 / 6)  # orders 1, 5, 6
    assert k["intake_review_h_mean"] == pytest.approx((0.75 + 10.0) / 2)
    assert k["intake_review_h_p90"] == pytest.approx(0.75 + 0.9 * 9.25)
    assert k["intake_cancel_rate"] == pytest.approx(1 / 6)
    assert k["intake_cancelled.payment"] == 1 and k["intake_cancelled.fraud"] == 0
    assert k["intake_in_review"] == 1
    assert k["orders_cancelled"] == 2  # order 3 (on hold too long) and order 5 (intake)
    assert k["orders_open"] == 2  # order 4 (on the floor) and order 6 (in review)
    # open: order 4 (picked) and order 6 (waiting in review)
    assert open_orders_by_status(log) == {"picked": 1, "intake_hold": 1}
    check_orders(log)
