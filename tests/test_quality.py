"""Order errors (``[quality]``, :mod:`sim.quality`): mis-picks and the pack check, wrong
addresses, damage in transit, reships; their conservation, hand-computed event logs, and the
perfect-order rate against its analytic expectation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.eventlog import EventLog, Issue, Source, Status
from sim.kpis import compute_kpis
from sim.model import simulate
from sim.network import build_network
from sim.scenario import load_scenario
from tests.conftest import ALWAYS, SMALL, MakeScenario, deep_merge, run, write_scenario
from tests.test_conservation import check_orders, check_shipments, check_units

S = Status


def _rates(folder: Path) -> str:
    """A flat rate table: $8 a parcel up to 20 lb, any zone."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["weight_lb,1,2,3,4,5,6,7,8"] + [f"{w}," + ",".join(["8.00"] * 8)
                                            for w in range(1, 21)]
    (folder / "rates_flat.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return "rates_flat.csv"


def _ground(**kw: Any) -> dict[str, Any]:
    return {"ground": {"rates": "rates_flat.csv", "transit_days_by_zone": [1, 1, 2, 2, 3, 4, 5, 5],
                       "business_days": False, **kw}}


ERRORS = {"mispick_probability": 0.15, "address_error_probability": 0.1,
          "address_corrected_share": 0.5, "contact_delay_days": 1.0,
          "wrong_item_return_days": 3.0, "wrong_item_restock_probability": 0.7}


def _errors_scenario(make_scenario: MakeScenario, tmp_path: Path, **quality: Any) -> Any:
    _rates(tmp_path)
    return make_scenario(
        {"quality": {**ERRORS, **quality}, "returns": {"probability": 0.2,
                                                       "delay_days": {"mean": 2.0}},
         "inventory": {"rule": "days_of_demand", "days": 8},
         "replenishment": {"reorder_point_days": 6.0, "order_up_to_days": 12.0}},
        services=_ground(damage_probability=0.1, address_correction_fee=23.5,
                         return_to_sender_fee=10.0),
        carrier={"business_days": False})


# ------------------------------------------------------------------ defaults change nothing
def test_quality_section_at_zero_changes_nothing(make_scenario: MakeScenario) -> None:
    plain = make_scenario({"run": {"horizon_days": 5}})
    zero = make_scenario({"run": {"horizon_days": 5},
                          "quality": {"mispick_probability": 0.0, "pack_check": False,
                                      "address_error_probability": 0.0}})
    assert build_network(zero).quality is None
    a, b = run(plain), run(zero)
    assert a.equals(b)
    assert "quality_lines" not in a.tables and "quality_shipments" not in a.tables
    assert not any(k.startswith("perfect_order") for k in compute_kpis(a))


# ------------------------------------------------------------------ conservation
def _lines(log: EventLog) -> dict[int, list[tuple[int, int]]]:
    sl = log["shipment_lines"]
    out: dict[int, list[tuple[int, int]]] = {}
    for s, k, u in zip(sl["shipment_id"].tolist(), sl["sku"].tolist(), sl["units"].tolist(),
                       strict=True):
        out.setdefault(s, []).append((k, u))
    return out


def check_quality(log: EventLog, contact_h: float, back_h: float) -> dict[str, int]:
    """Every reship is a shipment of the same order; every unit shipped wrong comes back
    (restocked or written off) or is still with the customer at the horizon; damaged units
    are written off, returned-to-sender units restocked."""
    sh, ql, qs = log["shipments"], log["quality_lines"], log["quality_shipments"]
    hi = log.horizon_h
    lines = _lines(log)
    ev = log["events"]
    t_of: dict[Status, np.ndarray] = {}
    for st in (S.SHIPPED, S.DELIVERED, S.RETURNED_TO_SENDER):
        t = np.full(log.n_rows("shipments"), np.nan)
        m = ev["status"] == st
        t[ev["shipment_id"][m]] = ev["time_h"][m]
        t_of[st] = t
    # reships: same order, lines taken from the shipment they replace, released at contact
    re = qs["issue"] == Issue.RESHIP
    new, ref = qs["shipment_id"][re], qs["ref"][re]
    assert np.array_equal(sh["order_id"][new], qs["order_id"][re])
    assert np.array_equal(sh["order_id"][ref], qs["order_id"][re])
    assert len(np.unique(new)) == len(new)
    reshipped = set(ref.tolist())
    for n_, r_ in zip(new.tolist(), ref.tolist(), strict=True):
        assert set(lines[n_]) <= set(lines[r_])
    # the original shipments of each released order hold exactly its lines
    ol = log["order_lines"]
    original = np.ones(log.n_rows("shipments"), bool)
    original[new] = False
    want: dict[int, list[tuple[int, int]]] = {}
    for o, k, u in zip(ol["order_id"].tolist(), ol["sku"].tolist(), ol["units"].tolist(),
                       strict=True):
        want.setdefault(o, []).append((k, u))
    got: dict[int, list[tuple[int, int]]] = {}
    for s in np.flatnonzero(original).tolist():
        got.setdefault(int(sh["order_id"][s]), []).extend(lines[s])
    for o, ls in got.items():
        assert sorted(ls) == sorted(want[o])
    # wrong lines: back (restocked + written off) when due, else still out
    wrong = ql["issue"] == Issue.MISPICK_SHIPPED
    back = ql["issue"] == Issue.WRONG_ITEM_BACK
    back_of = {(s, k): (u, r, w) for s, k, u, r, w in zip(
        ql["shipment_id"][back].tolist(), ql["sku"][back].tolist(), ql["units"][back].tolist(),
        ql["restocked"][back].tolist(), ql["written_off"][back].tolist(), strict=True)}
    damaged = set(qs["shipment_id"][qs["issue"] == Issue.DAMAGED].tolist())
    n_due = 0
    for s, k, u in zip(ql["shipment_id"][wrong].tolist(), ql["sku"][wrong].tolist(),
                       ql["units"][wrong].tolist(), strict=True):
        d = t_of[S.DELIVERED][s]
        if np.isnan(d) or s in damaged:  # not delivered, or damaged (all written off)
            assert (s, k) not in back_of
            continue
        if d + back_h <= hi:
            bu, r, w = back_of[(s, k)]
            assert bu == u and r + w == u
            n_due += 1
        else:
            assert (s, k) not in back_of
        if d + contact_h < hi - 24.0:  # reported in time, and stock is ample
            assert s in reshipped
    assert n_due == len(back_of)
    # damaged lines: the whole shipment, written off; returned to sender: all restocked
    for issue, restocked in ((Issue.DAMAGED, False), (Issue.RETURN_TO_SENDER, True)):
        m = ql["issue"] == issue
        ships = set(ql["shipment_id"][m].tolist())
        rows = sorted(zip(ql["shipment_id"][m].tolist(), ql["sku"][m].tolist(),
                          ql["units"][m].tolist(), strict=True))
        assert rows == sorted((s, k, u) for s in ships for k, u in lines[s])
        kept = ql["restocked"][m] if restocked else ql["written_off"][m]
        assert np.array_equal(kept, ql["units"][m])
    rts = qs["issue"] == Issue.RETURN_TO_SENDER
    assert np.array_equal(np.sort(qs["shipment_id"][rts]),
                          np.flatnonzero(t_of[S.RETURNED_TO_SENDER] <= hi))
    # every unit restocked by the quality flows is a return receipt naming its shipment
    rc = log["receipts"]
    q_restock = ql["restocked"].astype(np.int64)
    ret = (rc["kind"] == Source.RETURN) & (rc["ref"] >= 0)
    assert int(rc["units"][ret].sum()) == int(q_restock.sum())
    # a damaged or returned-to-sender parcel is never returned by the customer as well
    rt = log["returns"]
    assert not set(rt["shipment_id"].tolist()) & (damaged | set(qs["shipment_id"][rts]
                                                                 .tolist()))
    return {"wrong": int(wrong.sum()), "back": n_due, "damaged": len(damaged),
            "rts": int(rts.sum()), "reships": int(re.sum()),
            "corrected": int((qs["issue"] == Issue.ADDRESS_CORRECTED).sum())}


@pytest.mark.parametrize("seed", [1, 2])
def test_every_order_and_unit_is_accounted_for(make_scenario: MakeScenario, tmp_path: Path,
                                               seed: int) -> None:
    sc = _errors_scenario(make_scenario, tmp_path, pack_check=True,
                          pack_check_catch_share=0.5).with_overrides(seed=seed)
    log = run(sc)
    check_orders(log)
    check_shipments(log)
    check_units(log)
    seen = check_quality(log, contact_h=24.0, back_h=72.0)
    assert min(seen.values()) > 10, seen  # every flow happened, many times


def test_same_seed_same_log_and_common_random_numbers(make_scenario: MakeScenario,
                                                      tmp_path: Path) -> None:
    sc = _errors_scenario(make_scenario, tmp_path)
    a, b = run(sc), run(sc)
    assert a.equals(b)
    # another routing policy meets the same errors on the same orders and lines
    other = simulate(build_network(sc.with_data(deep_merge(
        sc.model_dump(), {"routing": {"policy": "least_loaded"}}))))

    # (orders released under both policies: a line's error is recorded at its release)
    both = set(a["shipments"]["order_id"].tolist()) & set(other["shipments"]["order_id"]
                                                         .tolist())

    def mispicked(log: EventLog) -> set[tuple[int, int]]:
        ql = log["quality_lines"]
        m = ql["issue"] == Issue.MISPICK_SHIPPED
        return {(o, k) for o, k in zip(ql["order_id"][m].tolist(), ql["sku"][m].tolist(),
                                       strict=True) if o in both}

    assert mispicked(a) == mispicked(other)
    assert len(mispicked(a)) > 50
    assert a.n_rows("shipments") != other.n_rows("shipments") or not a.equals(other)


# ------------------------------------------------------------------ hand-computed logs
def one_order_data(folder: Path, *, placed_h: float = 1.0, channel: str = "web",
                   units: int = 1, horizon_days: float = 20, **sections: Any) -> dict[str, Any]:
    """The hand-computed logs' scenario: one order (SKU A, ``units`` units, ``channel``)
    placed Monday 2026-03-02 at ``placed_h`` to New York (zone 2 from the east FC, 1 transit
    day); one picker and one packer around the clock, 1 h to pick, 0.5 h to pack, one carrier
    pickup a day at 18:00, deliveries at 17:00, calendar days; ``sections`` merged on top.
    Writes the flat rate table and the orders file into ``folder``; the caller adds services
    and writes the scenario."""
    _rates(folder)
    pq.write_table(pa.Table.from_pandas(pd.DataFrame({
        "order_id": ["o1"], "placed_h": [placed_h], "channel": [channel], "zip3": ["100"],
        "sku": ["A"], "units": [units]}), preserve_index=False), folder / "orders.parquet")
    fc = {"lat": 41.25, "lon": -75.88, "labor_cost_per_hour": 20.0,
          "pickup_cutoffs_h": [18.0], "pickup_days": ALWAYS,
          "pick_time": {"per_order_min": 60.0}, "pack_time": {"per_order_min": 30.0},
          "shifts": {"all": {"days": ALWAYS, "start_h": 0.0, "end_h": 24.0, "pickers": 1,
                             "packers": 1}}}
    data = deep_merge(SMALL, {
        "run": {"start_date": "2026-03-02", "horizon_days": horizon_days, "warmup_days": 0},
        "demand": {"mode": "replay", "orders_file": "orders.parquet"},
        "inventory": {"rule": "days_of_demand", "days": 5},
        "replenishment": {"policy": "none"},
        "carrier": {"business_days": False, "delivery_hour": 17}, **sections})
    data["fcs"] = {"east": fc}
    return data


def _hand(tmp_path: Path, quality: dict[str, Any], **svc: Any) -> EventLog:
    """One order (SKU A, 1 unit) placed Monday 01:00 to New York (zone 2 from the east FC,
    1 transit day), one picker and one packer around the clock, 1 h to pick, 0.5 h to pack,
    one carrier pickup a day at 18:00, deliveries at 17:00, calendar days."""
    folder = tmp_path / "hand"
    data = one_order_data(folder, quality={"contact_delay_days": 2.0,
                                           "wrong_item_return_days": 10.0, **quality})
    data["services"] = _ground(**svc)
    return simulate(build_network(load_scenario(write_scenario(folder, data))))


def _events(log: EventLog) -> list[tuple[float, int, str, int]]:
    ev = log["events"]
    rows = sorted(zip(ev["time_h"].tolist(), ev["shipment_id"].tolist(), ev["status"].tolist(),
                      strict=True), key=lambda r: (r[0], r[2]))
    return [(t, s, S(st).name, 0) for t, s, st in rows]


def _timeline(*rows: tuple[float, int, S]) -> list[tuple[float, int, str, int]]:
    return [(t, s, st.name, 0) for t, s, st in sorted(rows, key=lambda r: (r[0], int(r[2])))]


def test_hand_log_mispicked_order(tmp_path: Path) -> None:
    log = _hand(tmp_path, {"mispick_probability": 1.0, "wrong_item_restock_probability": 1.0},
                damage_probability=0.0)
    # shipment 0: picked 1-2, packed 2-2.5, picked up Mon 18:00 (18), delivered Tue 17:00
    # (41) with the wrong item; the customer reports it 2 days later (89 = Thu 17:00): the
    # reship (shipment 1) is released, picked 89-90, packed 90-90.5: too late for Thu's
    # 18:00 pickup (90), so Fri 18:00 (114), delivered Sat 17:00 (137); the wrong unit is
    # back 10 days after delivery (41 + 240 = 281), restocked
    assert _events(log) == _timeline(
        (1.0, -1, S.PLACED), (1.0, 0, S.PICK_START), (2.0, 0, S.PICKED),
        (2.0, 0, S.PACK_START), (2.5, 0, S.PACKED), (18.0, 0, S.SHIPPED),
        (41.0, 0, S.DELIVERED), (89.0, 1, S.RELEASED), (89.0, 1, S.PICK_START),
        (90.0, 1, S.PICKED), (90.0, 1, S.PACK_START), (90.5, 1, S.PACKED),
        (114.0, 1, S.SHIPPED), (137.0, 1, S.DELIVERED))
    ql, qs = log["quality_lines"], log["quality_shipments"]
    assert list(zip(ql["time_h"].tolist(), ql["shipment_id"].tolist(), ql["issue"].tolist(),
                    ql["units"].tolist(), ql["restocked"].tolist(),
                    ql["written_off"].tolist(), strict=True)) == [
        (1.0, 0, Issue.MISPICK_SHIPPED, 1, 0, 0), (281.0, 0, Issue.WRONG_ITEM_BACK, 1, 1, 0)]
    assert list(zip(qs["time_h"].tolist(), qs["shipment_id"].tolist(), qs["issue"].tolist(),
                    qs["ref"].tolist(), strict=True)) == [(89.0, 1, Issue.RESHIP, 0)]
    assert log["shipments"]["order_id"].tolist() == [0, 0]
    rc = log["receipts"]
    assert list(zip(rc["time_h"].tolist(), rc["units"].tolist(), rc["kind"].tolist(),
                    rc["ref"].tolist(), strict=True)) == [(281.0, 1, Source.RETURN, 0)]
    # 1 unit of stock sent twice, one back: the FC ends with initial - 1
    st = log["stock"]
    a = int(np.flatnonzero(np.array(log.meta["sku_ids"]) == "A")[0])
    assert int(st["on_hand"][a]) == int(st["initial"][a]) - 1
    k = compute_kpis(log)
    assert k["perfect_order_rate"] == 0.0 and k["in_full_rate"] == 0.0
    assert k["on_time_component_rate"] == 1.0  # the original parcel arrived by the promise
    assert k["mispick_rate"] == 1.0 and k["reship_rate"] == 1.0
    assert k["split_shipment_rate"] == 0.0 and k["shipments_per_order"] == 1.0  # not a split
    assert k["click_to_deliver_days_mean"] == pytest.approx((137.0 - 1.0) / 24)
    # postage $8 twice; a return label ($0 here); nothing written off
    assert k["reship_cost_per_order"] == pytest.approx(8.0)
    assert k["quality_cost_per_order"] == 0.0


def test_hand_log_wrong_address_returned_to_sender(tmp_path: Path) -> None:
    log = _hand(tmp_path, {"address_error_probability": 1.0, "address_corrected_share": 0.0},
                return_to_sender_fee=10.0, address_correction_fee=23.5)
    # shipment 0 picked up at 18, due at 41: undeliverable, back at the FC as long again
    # later (41 + 23 = 64), restocked; the reship (shipment 1) is released at once, picked
    # 64-65, packed 65-65.5, picked up Wed 18:00 (66), delivered Thu 17:00 (89)
    assert _events(log) == _timeline(
        (1.0, -1, S.PLACED), (1.0, 0, S.PICK_START), (2.0, 0, S.PICKED),
        (2.0, 0, S.PACK_START), (2.5, 0, S.PACKED), (18.0, 0, S.SHIPPED),
        (64.0, 0, S.RETURNED_TO_SENDER), (64.0, 1, S.RELEASED), (64.0, 1, S.PICK_START),
        (65.0, 1, S.PICKED), (65.0, 1, S.PACK_START), (65.5, 1, S.PACKED),
        (66.0, 1, S.SHIPPED), (89.0, 1, S.DELIVERED))
    qs, ql = log["quality_shipments"], log["quality_lines"]
    assert list(zip(qs["time_h"].tolist(), qs["shipment_id"].tolist(), qs["issue"].tolist(),
                    qs["ref"].tolist(), qs["fee"].tolist(), strict=True)) == [
        (64.0, 0, Issue.RETURN_TO_SENDER, -1, 10.0), (64.0, 1, Issue.RESHIP, 0, 0.0)]
    assert list(zip(ql["issue"].tolist(), ql["units"].tolist(), ql["restocked"].tolist(),
                    strict=True)) == [(Issue.RETURN_TO_SENDER, 1, 1)]
    st = log["stock"]
    a = int(np.flatnonzero(np.array(log.meta["sku_ids"]) == "A")[0])
    assert int(st["on_hand"][a]) == int(st["initial"][a]) - 1  # one out, one back, one out
    k = compute_kpis(log)
    assert k["orders_delivered"] == 1
    assert k["click_to_deliver_days_mean"] == pytest.approx((89.0 - 1.0) / 24)
    assert k["accurate_documentation_rate"] == 0.0 and k["in_full_rate"] == 0.0
    assert k["perfect_condition_rate"] == 1.0
    assert k["address_error_rate"] == 1.0
    assert k["quality_cost_per_order"] == pytest.approx(10.0)
    assert k["cost_to_serve_per_order"] == pytest.approx(k["total_cost_per_order"] + 10.0)


def test_hand_log_wrong_address_corrected_in_transit(tmp_path: Path) -> None:
    log = _hand(tmp_path, {"address_error_probability": 1.0, "address_corrected_share": 1.0,
                           "address_correction_delay_days": 1.0},
                address_correction_fee=23.5)
    ev = _events(log)
    assert ev[-2:] == _timeline((18.0, 0, S.SHIPPED), (65.0, 0, S.DELIVERED))  # 41 + 24
    qs = log["quality_shipments"]
    assert list(zip(qs["time_h"].tolist(), qs["issue"].tolist(), qs["fee"].tolist(),
                    strict=True)) == [(18.0, Issue.ADDRESS_CORRECTED, 23.5)]
    k = compute_kpis(log)
    assert k["quality_cost_per_order"] == pytest.approx(23.5) and k["reship_rate"] == 0.0


# ------------------------------------------------------------------ analytic expectation
@pytest.mark.parametrize("pack_check", [False, True])
def test_perfect_order_rate_matches_its_expectation(make_scenario: MakeScenario,
                                                    tmp_path: Path, pack_check: bool) -> None:
    """One line per order, stock for the whole run, promises no parcel can miss: an order is
    perfect unless its line ships wrong (p_m (1 - c)), its address is wrong (p_a) or its
    parcel is damaged (p_d), independently."""
    p_m, c, p_a, p_d = 0.1, 0.6 if pack_check else 0.0, 0.05, 0.08
    _rates(tmp_path)
    sc = make_scenario(
        {"run": {"horizon_days": 20, "warmup_days": 2},
         "demand": {"lines_per_order": {"dist": "fixed", "mean": 1},
                    "channels": {"web": {"share": 0.7, "promise_days": 9},
                                 "market": {"share": 0.3, "promise_days": 9}}},
         "inventory": {"rule": "days_of_demand", "days": 40},
         "quality": {"mispick_probability": p_m, "pack_check": pack_check,
                     "pack_check_catch_share": 0.6, "address_error_probability": p_a,
                     "address_corrected_share": 1.0}},
        services=_ground(damage_probability=p_d), carrier={"business_days": False})
    log = run(sc)
    k = compute_kpis(log)
    oc_due = (log["orders"]["placed_h"] >= log.warmup_h) \
        & (log["orders"]["promise_h"] <= log.horizon_h)
    n = int(oc_due.sum())
    assert n > 2000

    def close(got: float, p: float) -> None:
        assert abs(got - p) < 4 * math.sqrt(p * (1 - p) / n) + 1e-9, (got, p)

    assert k["on_time_component_rate"] == 1.0
    close(k["in_full_rate"], 1 - p_m * (1 - c))
    close(k["accurate_documentation_rate"], 1 - p_a)
    close(k["perfect_condition_rate"], 1 - p_d)
    close(k["perfect_order_rate"], (1 - p_m * (1 - c)) * (1 - p_a) * (1 - p_d))
    close(k["mispick_rate"], p_m * (1 - c))
    if pack_check:
        assert 0.5 < k["mispicks_caught_share"] < 0.7
    else:
        assert k["mispicks_caught_share"] == 0.0


def test_results_directory_round_trip(make_scenario: MakeScenario, tmp_path: Path) -> None:
    """The quality tables are written and read back (labelled ``issue``), and the KPIs
    recomputed from the directory are the run's."""
    from sim.results import load_kpis, read_results, write_results
    from sim.runner import run_scenario

    sc = _errors_scenario(make_scenario, tmp_path).with_overrides(horizon_days=6)
    result = run_scenario(sc)
    res = write_results(tmp_path / "res", result.log, result.kpis, sc.model_dump(mode="json"),
                        result.manifest)
    back = read_results(res)
    for t in ("quality_lines", "quality_shipments"):
        for c, a in result.log[t].items():
            np.testing.assert_array_equal(back[t][c], a)
    kpis = load_kpis(res)[1]
    assert kpis["perfect_order_rate"] == pytest.approx(result.kpis["perfect_order_rate"])
    assert kpis["cost_to_serve_per_order"] == pytest.approx(
        result.kpis["cost_to_serve_per_order"])


def _digest(path: str, replication: int) -> dict[str, str]:
    import hashlib

    log = simulate(build_network(load_scenario(Path(path))), replication=replication)
    return {f"{t}.{c}": hashlib.sha256(a.tobytes()).hexdigest()
            for t, cols in log.tables.items() for c, a in cols.items()}


def test_serial_and_parallel_runs_are_identical(make_scenario: MakeScenario,
                                                tmp_path: Path) -> None:
    """A replication with order errors is the same in this process and in a worker."""
    from concurrent.futures import ProcessPoolExecutor

    sc = _errors_scenario(make_scenario, tmp_path).with_overrides(horizon_days=6)
    path = str(sc.source)
    here = [_digest(path, r) for r in (0, 1)]
    with ProcessPoolExecutor(2) as pool:
        there = list(pool.map(_digest, [path, path], [1, 0]))
    assert there == here[::-1]
    assert here[0] != here[1] and "quality_lines.issue" in here[0]
