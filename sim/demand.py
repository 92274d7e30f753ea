"""Order generation: one simulated day of orders at a time, fully vectorised.

Arrivals follow a non-homogeneous Poisson process whose rate is constant within each hour:
the count in each hour is Poisson and, given the count, the times are uniform in the hour,
which is exact for a piecewise-constant rate.  With ``daily_dist = "normal"`` the day's count
is drawn first and spread over the hours by the hour profile (multinomial), uniformly within
each hour.  Every attribute comes from its own named stream (:mod:`sim.rng`), drawn in
blocks of one day, so the orders of a run depend only on the scenario and the seed, never on
routing or on how the simulation advanced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from sim.network import DIST_CODES, Network
from sim.scenario import CountDist


@dataclass(frozen=True)
class DayOrders:
    """The orders of one day, sorted by time.  Lines are in CSR form: the lines of order ``i``
    are ``line_sku[line_ptr[i]:line_ptr[i + 1]]``."""

    time_h: np.ndarray
    channel: np.ndarray
    dest: np.ndarray
    line_ptr: np.ndarray
    line_sku: np.ndarray
    line_units: np.ndarray
    pick_u: np.ndarray  # uniform(0, 1) quantile of each order's pick-time factor
    pack_u: np.ndarray

    def __len__(self) -> int:
        return len(self.time_h)


STREAM_NAMES = ("arrivals", "channel", "destination", "lines", "skus", "units", "pick", "pack",
                "transit", "demand_noise", "supply", "returns", "return_delay", "restock")


def draw_counts(rng: np.random.Generator, dist: CountDist, n: int) -> np.ndarray:
    """Draw ``n`` positive integers from ``dist`` (capped at ``dist.max``)."""
    if dist.dist == "fixed":
        out = np.full(n, int(dist.mean), np.int64)
    elif dist.dist == "shifted_poisson":
        out = 1 + rng.poisson(dist.mean - 1.0, n)
    elif dist.dist == "shifted_geometric":
        out = rng.geometric(1.0 / dist.mean, n)
    else:
        assert dist.values is not None and dist.weights is not None
        w = np.asarray(dist.weights, float)
        out = np.asarray(dist.values, np.int64)[rng.choice(len(w), n, p=w / w.sum())]
    return np.minimum(out, dist.max).astype(np.int64)


def service_factor(u: np.ndarray, dist_code: int, cv: float) -> np.ndarray:
    """Mean-one random factor with the given distribution, by inversion of uniform ``u``.

    Inversion (rather than drawing from the distribution directly) means an order keeps the
    same quantile of work content whichever FC serves it: common random numbers across
    routing policies even when FCs differ in their time distributions.
    """
    if dist_code == DIST_CODES["deterministic"]:
        return np.ones_like(u)
    if dist_code == DIST_CODES["exponential"]:
        return -np.log1p(-u)
    if dist_code == DIST_CODES["lognormal"]:
        s2 = np.log1p(cv * cv)
        return np.exp(-s2 / 2 + np.sqrt(s2) * special.ndtri(u))
    shape = 1.0 / (cv * cv)
    return special.gammaincinv(shape, u) / shape


def generate_day(net: Network, day: int, rngs: dict[str, np.random.Generator]) -> DayOrders:
    """The orders placed on simulated day ``day`` (truncated at the horizon)."""
    if net.replay is not None:
        return replay_day(net, day, rngs)
    if net.daily_dist == "normal":  # the day's count, then its hours (see Demand.daily_dist)
        mean = net.orders_per_day * net.day_rate_multiplier(day)
        n_day = mean + net.daily_cv * mean * rngs["demand_noise"].standard_normal() \
            if net.daily_cv > 0 else mean
        counts = rngs["arrivals"].multinomial(max(int(np.floor(n_day + 0.5)), 0),
                                              net.hour_profile)
    else:
        rate = net.orders_per_day * net.day_rate_multiplier(day) * net.hour_profile
        if net.daily_cv > 0:  # day-to-day noise: a gamma factor with mean 1 on the whole day
            shape = 1.0 / net.daily_cv**2
            rate = rate * rngs["demand_noise"].gamma(shape, 1.0 / shape)
        counts = rngs["arrivals"].poisson(rate)
    hours = np.repeat(np.arange(24, dtype=float), counts)
    t = 24.0 * day + hours + rngs["arrivals"].random(len(hours))
    t.sort()
    # keep every arrival strictly inside its day, whatever the rounding, so days never overlap
    np.minimum(t, np.nextafter(24.0 * (day + 1), 0.0), out=t)
    t = t[t < net.horizon_h]
    n = len(t)
    channel = rngs["channel"].choice(len(net.channel_share), n, p=net.channel_share)
    dest = rngs["destination"].choice(net.n_dests, n, p=net.dest_weight)
    n_lines = draw_counts(rngs["lines"], net.lines_per_order, n)
    owner = np.repeat(np.arange(n), n_lines)
    sku = rngs["skus"].choice(net.n_skus, len(owner), p=net.sku_popularity)
    units = draw_counts(rngs["units"], net.units_per_line, len(owner))
    # A SKU drawn twice for one order becomes one line with the units added up.
    key, inverse = np.unique(owner * net.n_skus + sku, return_inverse=True)
    units = np.bincount(inverse, weights=units).astype(np.int64)
    owner, sku = key // net.n_skus, key % net.n_skus
    line_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=line_ptr[1:])
    return DayOrders(
        time_h=t,
        channel=channel.astype(np.int64),
        dest=dest.astype(np.int64),
        line_ptr=line_ptr,
        line_sku=sku,
        line_units=units,
        pick_u=rngs["pick"].random(n),
        pack_u=rngs["pack"].random(n),
    )


def replay_day(net: Network, day: int, rngs: dict[str, np.random.Generator]) -> DayOrders:
    """The orders of the replayed file placed on day ``day`` (``[demand] mode = "replay"``).

    With ``scale`` s, each order is placed ``floor(s)`` times plus once more with probability
    ``s - floor(s)`` (a uniform draw from the arrivals stream per order): the expected volume
    is s times the file's, each copy keeps the order's lines, channel and destination.  The
    first copy keeps the order's own time; further copies go at a uniform time within the
    same hour, so the hour and weekday profiles are the file's.  With s = 1 every order is
    placed once, at its time.
    """
    rp = net.replay
    assert rp is not None
    lo, hi = np.searchsorted(rp.placed_h, [24.0 * day, min(24.0 * (day + 1), net.horizon_h)],
                             side="left")
    idx = np.arange(lo, hi, dtype=np.int64)
    s = net.replay_scale
    t = rp.placed_h[idx]
    if s != 1.0:
        whole = int(np.floor(s))
        copies = whole + (rngs["arrivals"].random(len(idx)) < s - whole)
        src = np.repeat(idx, copies)
        nth = np.arange(len(src)) - np.repeat(np.cumsum(copies) - copies, copies)
        jitter = np.floor(rp.placed_h[src]) + rngs["arrivals"].random(len(src))
        t = np.where(nth == 0, rp.placed_h[src], jitter)
        t = np.clip(t, 24.0 * day, np.nextafter(24.0 * (day + 1), 0.0))
        keep = t < net.horizon_h
        order = np.argsort(t[keep], kind="stable")
        idx, t = src[keep][order], t[keep][order]
    n = len(idx)
    counts = rp.line_ptr[idx + 1] - rp.line_ptr[idx]
    starts = np.repeat(rp.line_ptr[idx], counts)
    lines = starts + (np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts))
    line_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=line_ptr[1:])
    return DayOrders(
        time_h=np.ascontiguousarray(t, float),
        channel=rp.channel[idx],
        dest=rp.dest[idx],
        line_ptr=line_ptr,
        line_sku=rp.line_sku[lines],
        line_units=rp.line_units[lines],
        pick_u=rngs["pick"].random(n),
        pack_u=rngs["pack"].random(n),
    )
