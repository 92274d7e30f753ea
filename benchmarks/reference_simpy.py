"""An idiomatic SimPy fulfillment model: the speed reference for the full model.

Written the way SimPy's documentation teaches: one process per order, an intake timeout, a
choice of the nearest of the scenario's FCs, ``simpy.Resource`` pickers and packers (always on
shift, same headcount as the scenario's largest shift), a shared pickup event per FC at the
scenario's cut-offs, and a transit timeout.  It reads the same scenario (arrival rate, FC
locations, destinations, pick and pack standards) so both models do comparable work, but it has
no stock, no splits, no shifts and keeps no per-order records, as in the anchor figures of
``../shared/notes/performance.md``.
"""

from __future__ import annotations

import random

import numpy as np
import simpy

from sim.network import Network


def run_reference(net: Network, n_orders: int, seed: int = 1) -> dict[str, float]:
    """Simulate ``n_orders`` orders; return counts (delivered, mean click-to-deliver hours)."""
    rnd = random.Random(seed)
    env = simpy.Environment()
    F = net.n_fcs
    # the staffing of each FC's largest shift, always on
    pickers = [simpy.Resource(env, int(max(net.shift_pickers[net.shift_fc == f], default=1)))
               for f in range(F)]
    packers = [simpy.Resource(env, int(max(net.shift_packers[net.shift_fc == f], default=1)))
               for f in range(F)]
    pickup = [env.event() for _ in range(F)]
    nearest = net.fc_rank[:, 0].tolist()
    zone = net.zone.tolist()
    transit_h = (24.0 * net.services[0].transit_days_by_zone).tolist()
    dest_cdf = np.cumsum(net.dest_weight).tolist()
    rate_per_h = net.orders_per_day / 24.0
    pick_mean = float(net.pick_coef_h[:, :2].sum(axis=1).mean() + net.pick_coef_h[:, 1].mean())
    pack_mean = float(net.pack_coef_h[:, :2].sum(axis=1).mean())
    stats = {"delivered": 0, "c2d_sum_h": 0.0}

    def pickups(f: int):  # type: ignore[no-untyped-def]
        cutoffs = sorted(net.pickup_cutoffs_h[f])
        day = 0
        while True:
            for c in cutoffs:
                yield env.timeout(max(0.0, 24.0 * day + c - env.now))
                ev, pickup[f] = pickup[f], env.event()
                ev.succeed()
            day += 1

    def order(dest: int):  # type: ignore[no-untyped-def]
        placed = env.now
        yield env.timeout(0.05)  # intake / payment check
        f = nearest[dest]
        with pickers[f].request() as req:
            yield req
            yield env.timeout(rnd.expovariate(1.0 / pick_mean))
        with packers[f].request() as req:
            yield req
            yield env.timeout(rnd.expovariate(1.0 / pack_mean))
        yield pickup[f]
        yield env.timeout(transit_h[zone[f][dest]])
        stats["delivered"] += 1
        stats["c2d_sum_h"] += env.now - placed

    def source():  # type: ignore[no-untyped-def]
        import bisect

        for _ in range(n_orders):
            yield env.timeout(rnd.expovariate(rate_per_h))
            env.process(order(bisect.bisect(dest_cdf, rnd.random() * dest_cdf[-1])))

    for f in range(F):
        env.process(pickups(f))
    env.process(source())
    env.run(until=n_orders / rate_per_h + 24.0 * 10)
    return {"delivered": stats["delivered"],
            "mean_click_to_deliver_h": stats["c2d_sum_h"] / max(stats["delivered"], 1)}
