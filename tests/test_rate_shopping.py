"""Rate shopping inside the model: every label's service is the one the rule picks from the
next pickup, the business-day calendar and the order's promise (checked independently)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.eventlog import Status
from sim.network import build_network
from sim.scenario import load_scenario
from sim.shipping import choose_service, delivery_times_by_zone
from tests.conftest import ALWAYS, SMALL, deep_merge, run, write_scenario


def rates(path: Path, base: float, per_lb: float) -> None:
    rows = ["weight_lb,1,2,3,4,5,6,7,8"]
    rows += [",".join([str(lb)] + [f"{base + z + per_lb * lb:.2f}" for z in range(8)])
             for lb in range(1, 71)]
    path.write_text("\n".join(rows) + "\n")


@pytest.fixture
def two_service_log(tmp_path: Path):  # type: ignore[no-untyped-def]
    rates(tmp_path / "ground.csv", 6.0, 0.5)
    rates(tmp_path / "air.csv", 25.0, 2.0)
    data = deep_merge(SMALL, {
        "run": {"horizon_days": 21, "seed": 3},
        "inventory": {"days": 60},
        "demand": {"orders_per_day": 300},
        "carrier": {"delivery_hour": 17.0},
        "services": {
            "ground": {"rates": "ground.csv", "transit_days_by_zone": [1, 1, 2, 2, 3, 4, 5, 5],
                       "business_days": True},
            "air": {"rates": "air.csv", "transit_days_by_zone": [1] * 8, "business_days": True,
                    "pickup_cutoffs_h": [16.0], "pickup_days": ALWAYS[:5]},
        },
        "shipping": {"policy": "rate_shop"},
        # west has a later air pickup of its own (FC x service beats the service's 16:00)
        "fcs": {"east": {"pickup_cutoffs_h": [12.0], "pickup_days": ALWAYS[:5]},
                "west": {"pickup_cutoffs_h": [12.0], "pickup_days": ALWAYS[:5],
                         "service_pickups": {"air": {"pickup_cutoffs_h": [19.0]}}}},
    })
    del data["carrier"]["transit_days_by_zone"], data["carrier"]["cost_by_zone"]
    sc = load_scenario(write_scenario(tmp_path, data))
    return build_network(sc), run(sc)


def test_each_label_is_the_rate_shopping_choice(two_service_log) -> None:  # type: ignore[no-untyped-def]
    net, log = two_service_log
    ev, lb, sh = log["events"], log["labels"], log["shipments"]
    packed = np.full(log.n_rows("shipments"), np.nan)
    m = ev["status"] == Status.PACKED
    packed[ev["shipment_id"][m]] = ev["time_h"][m]
    start = np.datetime64(net.start_date)
    weekday = [net.weekday(d) for d in range(30)]
    # pickups Mon-Fri: ground at 12:00 at both FCs, air at 16:00 at east and 19:00 at west
    east, west = net.fc_names.index("east"), net.fc_names.index("west")

    def at(hour: float) -> list[float]:
        return [24.0 * d + hour for d in range(30) if weekday[d] < 5]

    pickups = {(east, 0): at(12), (west, 0): at(12), (east, 1): at(16), (west, 1): at(19)}
    zone, fc = sh["zone"], sh["fc"]
    promise = log["orders"]["promise_h"][sh["order_id"]]
    checked = friday_late = 0
    for sid, service, postage in zip(lb["shipment_id"], lb["service"], lb["postage"],
                                     strict=True):
        t = packed[sid]
        arrive, prices = [], []
        for s in (0, 1):
            nxt = next(p for p in pickups[int(fc[sid]), s] if p > t)
            svc = net.services[s]
            arrive.append(delivery_times_by_zone(start, nxt, svc.transit_days_by_zone, True,
                                                 17.0)[zone[sid]])
            prices.append(svc.price(int(zone[sid]), float(lb["billable_lb"][lb["shipment_id"]
                                                                          == sid][0])))
        want = choose_service("rate_shop", prices, arrive, promise[sid])
        assert service == want, (sid, t, arrive, prices, promise[sid])
        assert postage == pytest.approx(prices[want], rel=1e-6)
        checked += 1
        day = int(t // 24)
        friday_late += weekday[day] == 4 and t % 24 > 12
    assert checked > 3000
    assert friday_late > 50  # parcels packed on Friday after the ground cut-off are covered
    # both services are used: the rule really trades price for speed
    assert 0 < (lb["service"] == 1).mean() < 0.5


def test_pickups_per_fc_and_service(two_service_log) -> None:  # type: ignore[no-untyped-def]
    """Each parcel leaves at a pickup of its own FC and service: west's air at 19:00, east's
    at the service's 16:00, ground at the FCs' 12:00; never on a weekend."""
    net, log = two_service_log
    ev, lb, sh = log["events"], log["labels"], log["shipments"]
    east, west = net.fc_names.index("east"), net.fc_names.index("west")
    assert net.service_pickups[west][1][0] == (19.0,)
    assert net.service_pickups[east][1][0] == (16.0,)
    assert net.service_pickups[west][0][0] == net.service_pickups[east][0][0] == (12.0,)
    shipped = ev["status"] == Status.SHIPPED
    sid, t = ev["shipment_id"][shipped], ev["time_h"][shipped]
    service = np.full(log.n_rows("shipments"), -1)
    service[lb["shipment_id"]] = lb["service"]
    hours = {}
    for f in (east, west):
        for s in (0, 1):
            m = (sh["fc"][sid] == f) & (service[sid] == s)
            assert m.sum() > 50, (f, s)
            hours[f, s] = set(np.round(t[m] % 24, 9).tolist())
            assert {net.weekday(int(d)) for d in t[m] // 24} <= {0, 1, 2, 3, 4}
    assert hours == {(east, 0): {12.0}, (west, 0): {12.0}, (east, 1): {16.0},
                     (west, 1): {19.0}}


def test_delivery_follows_the_calendar(two_service_log) -> None:  # type: ignore[no-untyped-def]
    """With no late deliveries configured, each parcel arrives on its computed date."""
    net, log = two_service_log
    ev, lb, sh = log["events"], log["labels"], log["shipments"]
    shipped = ev["status"] == Status.SHIPPED
    deliv = ev["status"] == Status.DELIVERED
    t_ship = dict(zip(ev["shipment_id"][shipped], ev["time_h"][shipped], strict=True))
    t_del = dict(zip(ev["shipment_id"][deliv], ev["time_h"][deliv], strict=True))
    service = dict(zip(lb["shipment_id"], lb["service"], strict=True))
    start = np.datetime64(net.start_date)
    n = 0
    for sid, t in t_del.items():
        svc = net.services[service[sid]]
        want = delivery_times_by_zone(start, t_ship[sid], svc.transit_days_by_zone, True,
                                      17.0)[sh["zone"][sid]]
        assert t == pytest.approx(want)
        assert net.weekday(int(t // 24)) < 5  # business days only
        n += 1
    assert n > 3000
