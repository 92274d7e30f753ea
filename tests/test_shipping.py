"""Parcel economics with hand-computed values: dimensional weight, rates, cartons, services."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.shipping import (
    FILL_FACTOR,
    SHIPPING_CHOICES,
    SHIPPING_POLICIES,
    Cartons,
    Service,
    billable_weight_lb,
    choose_service,
    delivery_times_by_zone,
    dim_weight_lb,
    pack_items,
    shipping_choice,
)


def service(**kw: object) -> Service:
    rates = np.zeros((9, 5))
    rates[1:] = np.array([8.0, 9.0, 10.0, 12.0, 15.0]) + np.arange(8)[:, None]  # zone 1..8
    base = dict(name="ground", carrier="X", weight_breaks_lb=np.array([1, 2, 3, 5, 10.0]),
                rates=rates, dim_divisor=139.0, dim_min_cubic_in=0.0, fuel_surcharge_pct=12.5,
                residential_surcharge=4.95, transit_days_by_zone=np.array([0, 1, 1, 2, 2, 3, 4,
                                                                           5, 5]),
                late_probability=0.0, exception_probability=0.0, business_days=True,
                pickup_cutoffs_h=None, pickup_days=None)
    base.update(kw)
    return Service(**base)  # type: ignore[arg-type]


def test_dimensional_weight_rounds_up() -> None:
    assert dim_weight_lb(12, 12, 12, 139) == 13  # 1728 / 139 = 12.43
    assert dim_weight_lb(10, 10, 10, 166) == 7  # 1000 / 166 = 6.02
    assert dim_weight_lb(13.9, 10, 1, 139) == 1  # exactly 1.0: no rounding up
    assert dim_weight_lb(10, 10, 10, 100) == 10


def test_billable_weight_rules() -> None:
    # carrier divisor 139: a light big box bills its dimensional weight
    assert billable_weight_lb(2.0, (12, 12, 12), 139) == 13
    # heavy small box bills actual weight, rounded up to the next pound
    assert billable_weight_lb(14.2, (6, 6, 6), 139) == 15
    # USPS: dimensional weight only over 1,728 cubic inches
    assert billable_weight_lb(2.0, (12, 12, 12), 166, 1728) == 2
    assert billable_weight_lb(2.0, (12, 12, 12.5), 166, 1728) == 11  # 1800 / 166 = 10.8
    # never below one pound
    assert billable_weight_lb(0.1, (4, 4, 2), 139) == 1


def test_price_with_surcharges_and_weight_breaks() -> None:
    s = service()
    # zone 1, 1 lb: 8.00 x 1.125 + 4.95 = 13.95
    assert s.price(1, 1) == pytest.approx(13.95)
    # zone 3 (base +2), 4 lb -> the 5 lb break: 12 + 2 = 14 -> 15.75 + 4.95
    assert s.price(3, 4) == pytest.approx(14 * 1.125 + 4.95)
    # exactly on a break uses that break
    assert s.price(1, 3) == pytest.approx(10 * 1.125 + 4.95)
    # over the heaviest break: the service cannot take it
    assert s.price(1, 11) == math.inf
    assert service(fuel_surcharge_pct=0.0, residential_surcharge=0.0).price(8, 10) == 22.0


def test_contract_discounts() -> None:
    # zone 1, 1 lb list 8.00: 40 % off -> 4.80, fuel 12.5 % of that -> 5.40; residential
    # 4.95 with 30 % off -> 3.465; together 8.865
    s = service(discount_pct=40.0, surcharge_discount_pct=30.0)
    assert s.price(1, 1) == pytest.approx(8.0 * 0.6 * 1.125 + 4.95 * 0.7)
    assert s.price(1, 1) == pytest.approx(8.865)
    # no discount: the list price as before
    assert service().price(1, 1) == pytest.approx(13.95)


def test_delivery_dates_business_days() -> None:
    monday = np.datetime64("2026-11-02")
    transit = np.array([0, 1, 1, 2, 2, 3, 4, 5, 5])
    # picked up Monday 18:00, one business day: Tuesday 17:00 (day 1)
    assert delivery_times_by_zone(monday, 18.0, transit, True, 17.0)[1] == 24 + 17
    # Friday 18:00 (day 4), one business day: Monday (day 7)
    assert delivery_times_by_zone(monday, 4 * 24 + 18.0, transit, True, 17.0)[1] == 7 * 24 + 17
    # Saturday pickup rolls to Monday first: +1 business day = Tuesday (day 8)
    assert delivery_times_by_zone(monday, 5 * 24 + 12.0, transit, True, 17.0)[1] == 8 * 24 + 17
    # calendar days: Friday + 1 = Saturday
    assert delivery_times_by_zone(monday, 4 * 24 + 18.0, transit, False, 17.0)[1] == 5 * 24 + 17
    # Friday + 5 business days (zone 8) = next Friday (day 11)
    assert delivery_times_by_zone(monday, 4 * 24 + 10.0, transit, True, 17.0)[8] == 11 * 24 + 17
    # same-day service picked up after the delivery hour delivers at pickup, not before
    assert delivery_times_by_zone(monday, 18.0, np.zeros(9, int), False, 17.0)[1] == 18.0


def test_rate_shop_edges() -> None:
    prices = [7.0, 12.0, 25.0]  # ground, 2-day, overnight
    arrive = [100.0, 60.0, 40.0]
    # promise exactly met by ground: ground
    assert choose_service("rate_shop", prices, arrive, promise_h=100.0) == 0
    # ground misses by a hair: the cheapest that meets it is 2-day
    assert choose_service("rate_shop", prices, arrive, promise_h=99.99) == 1
    # nothing meets the promise: the fastest
    assert choose_service("rate_shop", prices, arrive, promise_h=10.0) == 2
    assert choose_service("cheapest", prices, arrive, promise_h=10.0) == 0
    assert choose_service("fastest", prices, arrive, promise_h=1e9) == 2
    assert choose_service("rate_shop", prices, arrive, promise_h=1e9, fixed=1) == 1
    # a service that cannot carry the parcel is skipped
    assert choose_service("rate_shop", [math.inf, 12.0, 25.0], arrive, promise_h=200.0) == 1


@pytest.mark.parametrize("policy", ["rate_shop", "cheapest", "fastest", "fixed:air"])
def test_resolved_choice_matches_the_rule_by_name(policy: str) -> None:
    """A policy resolved once (as the network does) picks what the rule by name picks, for
    one shipment and for a batch (the vectorised rate shop included): ties, services that
    cannot carry the parcel, and promises nothing meets."""
    names = ("ground", "air", "overnight")
    choice = shipping_choice(policy, names)
    fixed = names.index("air") if policy.startswith("fixed:") else -1
    assert choice.fixed == fixed and choice.policy == policy
    rng = np.random.default_rng(7)
    prices = rng.choice([7.0, 12.0, 25.0, math.inf], (500, 3))
    arrive = rng.choice([40.0, 60.0, 100.0], (500, 3))
    promise = rng.choice([10.0, 60.0, 99.99, 100.0, 1e9], 500)
    batch = choice.choose_batch(prices, arrive, promise)
    for j in range(500):
        p, a, h = prices[j].tolist(), arrive[j].tolist(), float(promise[j])
        want = choose_service(policy, p, a, h, fixed)
        assert choice.choose(p, a, h) == want == batch[j], (policy, p, a, h)


def test_shipping_policies_are_one_registry() -> None:
    assert set(SHIPPING_POLICIES) | {"fixed"} == set(SHIPPING_CHOICES)
    for bad, msg in (("fixed", "is not a shipping policy"),
                     ("cheapest:air", "is not a shipping policy"),
                     ("fixed:rail", "names unknown service 'rail'"),
                     ("slowest", "or 'fixed:<service>'")):
        with pytest.raises(ValueError, match=msg):
            shipping_choice(bad, ("ground", "air"))


def cartons() -> Cartons:
    dims = np.array([[10, 8, 4], [14, 12, 6], [20, 16, 12]], float)
    return Cartons(names=("S", "M", "L"), dims_in=dims, max_weight_lb=np.array([10, 30, 50.0]),
                   cost=np.array([0.30, 0.60, 1.20]))


def test_single_carton_cheapest_with_postage() -> None:
    c = cartons()
    # a 6x5x3 item fits S (cheapest carton); without postage S wins
    p = pack_items(c, [(6, 5, 3)], [1.0])
    assert p.cartons == (0,) and p.carton_cost == pytest.approx(0.30)
    # if postage made S dearer than M (say S lands in a worse weight break), M wins
    p = pack_items(c, [(6, 5, 3)], [1.0], postage=lambda k, w: 5.0 if k == 0 else 1.0)
    assert p.cartons == (1,)
    # an item too long for S goes to M
    assert pack_items(c, [(13, 3, 3)], [1.0]).cartons == (1,)


def test_multi_carton_bin_packing_is_minimal() -> None:
    c = Cartons(names=("B",), dims_in=np.array([[10.0, 10.0, 10.0]]),
                max_weight_lb=np.array([100.0]), cost=np.array([1.0]))
    cap = FILL_FACTOR * 1000  # usable volume per carton: 900 in^3
    # volumes 500, 500, 400, 400, 300, 300 (total 2,400 > 2 x 900): three cartons is the
    # optimum (500+400, 500+400, 300+300)
    vols = [500, 500, 400, 400, 300, 300]
    dims = [(v / 100, 10, 10) for v in vols]
    p = pack_items(c, dims, [1.0] * 6)
    assert len(p.cartons) == 3
    assert sum(p.weights_lb) == pytest.approx(6.0)
    assert 2 * cap < sum(vols) <= 3 * cap


def test_weight_limit_forces_more_cartons() -> None:
    c = Cartons(names=("B",), dims_in=np.array([[20.0, 20.0, 20.0]]),
                max_weight_lb=np.array([20.0]), cost=np.array([1.0]))
    p = pack_items(c, [(5, 5, 5)] * 3, [8.0] * 3)  # 24 lb: volume fits one, weight needs two
    assert len(p.cartons) == 2 and max(p.weights_lb) <= 20.0


def test_item_that_fits_no_carton_is_an_error() -> None:
    with pytest.raises(ValueError, match="fits no carton"):
        pack_items(cartons(), [(30, 30, 30), (1, 1, 1)], [1.0, 1.0])


def test_day_level_packing_matches_per_shipment_packing() -> None:
    """The vectorised whole-order packing (used for speed) equals pack_items' choice."""
    from sim.network import build_network
    from sim.scenario import load_scenario
    from sim.shipping import Shipper, quote_orders

    net = build_network(load_scenario("scenarios/baseline.toml"))
    shipper = Shipper.for_network(net)
    rng = np.random.default_rng(4)
    n = 400
    lines = rng.integers(1, 4, n)
    ptr = np.concatenate([[0], np.cumsum(lines)])
    sku = np.concatenate([rng.choice(net.n_skus, k, replace=False) for k in lines])
    units = rng.integers(1, 3, len(sku))
    q = quote_orders(shipper, ptr, sku, units)
    assert sum(q.single) > 300
    # the array the day's price tables read is the lists', read-only
    assert q.billable_arr.shape == (n, len(net.services))
    assert q.billable_arr.tolist() == q.billable and not q.billable_arr.flags.writeable
    for i in range(n):
        a, b = ptr[i], ptr[i + 1]
        plan = shipper.plan(tuple(sku[a:b].tolist()), tuple(units[a:b].tolist()), 5)
        if q.single[i]:
            assert plan.parcels == 1
            assert q.carton_cost[i] == pytest.approx(plan.carton_cost)
            assert q.billable[i] == pytest.approx(list(plan.billable_lb))
        else:
            assert plan.parcels > 1


def test_labels_price_plans_as_planned_and_quotes_by_their_weight() -> None:
    """``FulfillmentModel._label`` tells a batch's plans (several parcels, or split parts)
    from its quotes by their number of fields: a shipment of several parcels is labelled with
    its plan's price for the service chosen, a quoted one with that service's price of its
    billable weight."""
    from pathlib import Path

    from sim.model import _PLAN_FIELDS, FulfillmentModel
    from sim.network import build_network
    from sim.scenario import load_scenario
    from sim.shipping import Plan, Quote

    assert len(Plan(2, (3.0, 4.0), (9.0, 8.0), 1.0)) == _PLAN_FIELDS != len(Quote(1, [3], 0.5))
    root = Path(__file__).resolve().parents[1]
    net = build_network(load_scenario(root / "scenarios" / "baseline.toml")
                        .with_overrides(horizon_days=3))
    m = FulfillmentModel(net)
    log = m.run()
    lab, sh = log.table("labels"), log.table("shipments")
    lines = log.table("shipment_lines")
    by_sid: dict[int, tuple[list[int], list[int]]] = {}
    for sid, k, u in zip(lines["shipment_id"].tolist(), lines["sku"].tolist(),
                         lines["units"].tolist(), strict=True):
        by_sid.setdefault(sid, ([], []))[0].append(k)
        by_sid[sid][1].append(u)
    zone = sh["zone"].tolist()
    several = 0
    for sid, s, post, parcels, bill in zip(lab["shipment_id"].tolist(), lab["service"].tolist(),
                                           lab["postage"].tolist(), lab["parcels"].tolist(),
                                           lab["billable_lb"].tolist(), strict=True):
        skus, units = by_sid[sid]
        if parcels > 1:
            several += 1
            plan = m.shipper.plan(tuple(skus), tuple(units), zone[sid])
            assert post == np.float32(plan.prices[s]) and parcels == plan.parcels
        else:  # (the table keeps postage as float32)
            assert post == np.float32(
                m.shipper.prices(zone[sid], [int(bill)] * len(net.services))[s])
    assert several > 10
