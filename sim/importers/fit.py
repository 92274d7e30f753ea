"""Fit the scenario's synthetic demand model to an order history, and measure how well it fits.

The model (:class:`sim.scenario.Demand`, drawn by :func:`sim.demand.generate_day`) is a
non-homogeneous Poisson process whose rate in hour ``h`` of day ``d`` (weekday ``w(d)``) is
``orders_per_day * weekday[w(d)] * season(d) * hour[h]``; every order draws its lines, SKUs and
units independently.  :func:`fit_demand` estimates each part from a line table (columns
``order_id, placed_h, channel, zip3, sku, units``; ``placed_h`` in local wall-clock hours since
``start_date`` 00:00).  Lines of one order with the same SKU are merged first, as the generator
merges them.  With ``n_d`` the orders placed on day ``d`` of the history (``d = 0 .. D-1``, up
to the day of the last order; days without orders count as zero):

* ``hour[h] = #orders placed in local hour h / #orders`` (sums to 1).
* ``weekday[w] = m_w / mean(m)`` where ``m_w`` is the mean of ``n_d / season(d)`` over the days
  of weekday ``w`` in the first ``7 * floor(D / 7)`` days (full weeks: every weekday counted
  equally often, so a partial week at either end biases nothing); mean 1.
* seasonality: the weekday-adjusted counts ``a_d = n_d / weekday[w(d)]`` are compared with a
  robust baseline ``b_d``, their centred rolling median over :data:`BASELINE_DAYS` days.  A run
  of at least :data:`PEAK_MIN_DAYS` consecutive days with ``a_d / b_d >= PEAK_RATIO`` whose
  excess is significant, ``(sum a - sum b) / sqrt(sum b) >= PEAK_MIN_Z`` (Poisson z-score),
  becomes a ``Season(start, end, multiplier = sum a / sum b')``, ``b'`` the same median with the
  hot days left out (so a peak does not lift its own baseline); the :data:`MAX_SEASONS` runs
  with the largest excess ``sum a - sum b`` are kept.  Only peaks are found (no dips), and a
  slow trend is absorbed by the baseline: the model has no trend (see the ``daily volume``
  check's note).  Weekday profile and seasons are estimated alternately, twice.
* ``orders_per_day = mean_d n_d / (weekday[w(d)] * season(d))``, the mean ordinary day (over
  the last ``level_days`` days only if given: the current level of a growing business).
* ``lines_per_order`` / ``units_per_line``: empirical ``CountDist`` on values ``1 .. c``, where
  ``c`` is the 99.9th percentile of the observed counts (the largest count in fewer than 1000
  observations); weights are the observed relative frequencies, counts above ``c`` folded into
  ``c`` (as the generator caps its draws at ``max = c``).
* ``sku_popularity``: each SKU's share of units; ``dest_weights``: each ZIP3's share of orders;
  channel shares: each channel's share of orders (promise settings kept from ``base_channels``).

Each :class:`FitCheck` gives a Kolmogorov-Smirnov distance ``KS = max_x |F_obs(x) - F_fit(x)|``:
between the two cumulative distributions of a profile (hour or weekday shares, in their natural
order; the observed weekday profile is the estimator above applied to the compared data, its
own peaks divided out, so a promotion shows in daily volume only), a count distribution (lines
per order, units per line, against the fitted pmf), the SKU unit shares (SKUs ordered by fitted
popularity, SKUs the fit never saw last), and for daily volume the two-sample KS between the
observed daily counts and counts simulated from the fitted model on the same dates (Poisson
with each day's fitted rate, :data:`SIM_REPS` draws per day, seed :data:`SEED`).
:func:`compare` does the same out of sample, against a held-out period.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

COLUMNS = ("order_id", "placed_h", "channel", "zip3", "sku", "units")
BASELINE_DAYS = 21
"""Window (days, centred) of the rolling median that seasonal peaks are measured against."""
PEAK_RATIO = 1.5
PEAK_MIN_DAYS = 2
PEAK_MIN_Z = 3.0
MAX_SEASONS = 6
COUNT_QUANTILE = 0.999
DEFAULT_PROMISE_DAYS = 5
"""``promise_days`` of a channel found in the data but not in ``base_channels``."""
SIM_REPS = 20
SEED = 12_345
TOP_SKUS = 20


@dataclass(frozen=True)
class FitCheck:
    """Observed vs fitted for one part of the model, with their Kolmogorov-Smirnov distance."""

    what: str
    observed: list[float]
    fitted: list[float]
    ks: float
    note: str = ""


@dataclass
class FitResult:
    """A fitted ``[demand]`` table (TOML-ready, validated by :class:`sim.scenario.Demand` once a
    ``destinations`` entry is added), the SKU and destination weights, and the in-sample checks."""

    demand: dict[str, Any]
    sku_popularity: dict[str, float]
    dest_weights: dict[str, float]
    checks: list[FitCheck]


@dataclass(frozen=True)
class _History:
    orders: pd.DataFrame  # one row per order: day, hour, channel, zip3, lines
    lines: pd.DataFrame  # one row per (order, sku): sku, units
    counts: np.ndarray  # orders per day, day 0 .. last day with an order
    weekday: np.ndarray  # weekday (0 = Monday) of each day


def _history(lines: pd.DataFrame, start_date: dt.date) -> _History:
    missing = [c for c in COLUMNS if c not in lines.columns]
    if missing:
        raise ValueError(f"order lines lack the column(s) {', '.join(missing)}; "
                         f"expected {', '.join(COLUMNS)}")
    if lines.empty:
        raise ValueError("no order lines to fit")
    placed = pd.to_numeric(lines["placed_h"], errors="coerce").to_numpy(float)
    if not np.isfinite(placed).all() or (placed < 0).any():
        raise ValueError("placed_h must be finite hours since the start date (not before it)")
    units = pd.to_numeric(lines["units"], errors="coerce").to_numpy(float)
    if not np.isfinite(units).all() or (units < 1).any() or (units != np.floor(units)).any():
        raise ValueError("units must be a whole number of at least 1 on every line")
    df = lines.loc[:, list(COLUMNS)].astype({"order_id": str, "sku": str, "channel": str,
                                             "zip3": str})
    df["placed_h"], df["units"] = placed, units.astype(np.int64)
    merged = df.groupby(["order_id", "sku"], sort=False, as_index=False)["units"].sum()
    orders = df.groupby("order_id", sort=False).agg(
        placed_h=("placed_h", "min"), channel=("channel", "first"), zip3=("zip3", "first"))
    orders["lines"] = merged.groupby("order_id", sort=False).size().reindex(orders.index)
    orders["day"] = (orders["placed_h"] // 24).astype(np.int64)
    orders["hour"] = np.minimum(orders["placed_h"] % 24 // 1, 23).astype(np.int64)
    counts = np.bincount(orders["day"].to_numpy(), minlength=1).astype(float)
    wd = (start_date.weekday() + np.arange(len(counts))) % 7
    return _History(orders, merged, counts, wd)


def _weekday_profile(daily: np.ndarray, wd: np.ndarray) -> np.ndarray:
    """Mean of ``daily`` per weekday over full weeks, normalised to mean 1 (ones if too short)."""
    n = 7 * (len(daily) // 7)
    if n == 0:
        return np.ones(7)
    m = np.bincount(wd[:n], weights=daily[:n], minlength=7) / (n // 7)
    return m / m.mean() if m.mean() > 0 else np.ones(7)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (first, last) index of each run of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(),
                    (np.flatnonzero(edges == -1) - 1).tolist(), strict=True))


def _baseline(adj: np.ndarray) -> np.ndarray:
    """Centred rolling median over BASELINE_DAYS days, NaN days skipped (NaN if under 7)."""
    roll = pd.Series(adj).rolling(BASELINE_DAYS, center=True, min_periods=7)
    return roll.median().to_numpy(float)


def _peaks(adj: np.ndarray) -> list[tuple[int, int, float]]:
    """Seasonal peaks of the weekday-adjusted daily counts ``adj``: (first, last, multiplier)."""
    b = _baseline(adj)
    ok = np.isfinite(b) & (b > 0) & np.isfinite(adj)  # NaN: a weekday that never has orders
    hot = np.divide(adj, b, out=np.zeros_like(adj), where=ok) >= PEAK_RATIO
    # the multiplier is measured against a baseline that leaves the hot days out
    clean = _baseline(np.where(hot, np.nan, adj))
    b = np.where(np.isfinite(clean) & (clean > 0), clean, b)
    found = []
    for i, j in _runs(hot):
        if j - i + 1 < PEAK_MIN_DAYS:
            continue
        a, e = adj[i:j + 1].sum(), b[i:j + 1].sum()
        if (a - e) / math.sqrt(e) >= PEAK_MIN_Z:
            found.append((a - e, i, j, a / e))
    found.sort(reverse=True)
    return sorted((i, j, m) for _, i, j, m in found[:MAX_SEASONS])


def _season_factor(n_days: int, seasons: Sequence[tuple[int, int, float]]) -> np.ndarray:
    f = np.ones(n_days)
    for i, j, m in seasons:
        lo, hi = max(i, 0), min(j, n_days - 1)
        if lo <= hi:
            f[lo:hi + 1] *= m
    return f


def _count_dist(x: np.ndarray) -> dict[str, Any]:
    """Empirical CountDist: values 1..cap (99.9th percentile), weights = relative frequencies."""
    cap = max(1, int(np.quantile(x, COUNT_QUANTILE, method="higher")))
    freq = np.bincount(np.minimum(x, cap), minlength=cap + 1)[1:] / len(x)
    return {"dist": "empirical", "values": list(range(1, cap + 1)),
            "weights": [float(w) for w in freq], "max": cap}


def _pmf(dist: Mapping[str, Any], upto: int) -> np.ndarray:
    """Probabilities of 1..upto under a CountDist table, capped at its ``max`` as the generator
    caps its draws (``upto`` must be at least that ``max``)."""
    cap, kind = int(dist.get("max", 50)), dist.get("dist", "fixed")
    mean = float(dist.get("mean", 1.0))
    k = np.arange(1, upto + 1)
    if kind == "empirical":
        e = np.zeros(upto)
        np.add.at(e, np.minimum(np.asarray(dist["values"], int), cap) - 1,
                  np.asarray(dist["weights"], float))
        return e / e.sum()
    p: np.ndarray
    if kind == "shifted_poisson" and mean > 1:
        lam = mean - 1.0
        p = np.exp((k - 1) * math.log(lam) - lam - np.array([math.lgamma(v) for v in k]))
    elif kind == "shifted_geometric":
        p = (1 - 1 / mean) ** (k - 1) / mean
    else:  # fixed (or a shifted Poisson with mean 1)
        p = (k == int(mean if kind == "fixed" else 1)).astype(float)
    p[cap - 1] = max(0.0, 1.0 - p[:cap - 1].sum())  # draws above max are capped at max
    p[cap:] = 0.0
    return p


def _ks_cdf(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """KS distance between two discrete distributions (weights in the same order)."""
    a, b = np.asarray(p, float), np.asarray(q, float)
    return float(np.abs(np.cumsum(a / a.sum()) - np.cumsum(b / b.sum())).max())


def _ks_2samp(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sample KS statistic (exact with ties: both CDFs evaluated at every observed value)."""
    xs, ys = np.sort(x), np.sort(y)
    v = np.concatenate([xs, ys])
    fx = np.searchsorted(xs, v, side="right") / len(xs)
    fy = np.searchsorted(ys, v, side="right") / len(ys)
    return float(np.abs(fx - fy).max())


def _shares(s: pd.Series) -> dict[str, float]:
    tot = float(s.sum())
    return {str(k): float(v) / tot for k, v in s.sort_values(ascending=False).items()}


def _channels(shares: Mapping[str, float], base: Mapping[str, Mapping[str, Any]] | None
              ) -> dict[str, dict[str, Any]]:
    out = {}
    for name, share in shares.items():
        spec = dict(base.get(name, {})) if base else {}
        spec.setdefault("promise_days", DEFAULT_PROMISE_DAYS)
        spec["share"] = share
        out[name] = spec
    return out


def _shape(counts: np.ndarray, wd: np.ndarray
           ) -> tuple[np.ndarray, list[tuple[int, int, float]], np.ndarray]:
    """Weekday profile, seasonal peaks and the adjusted daily counts ``n_d / (weekday *
    season)`` (NaN on a weekday without orders), estimated alternately, twice."""
    factor = np.ones(len(counts))
    seasons: list[tuple[int, int, float]] = []
    for _ in range(2):
        week = _weekday_profile(counts / factor, wd)
        wk = week[wd]
        adj = np.divide(counts, wk, out=np.full(len(counts), np.nan), where=wk > 0)
        seasons = _peaks(adj)
        factor = _season_factor(len(counts), seasons)
    return week, seasons, adj / factor


def fit_demand(lines: pd.DataFrame, start_date: dt.date, *,
               base_channels: Mapping[str, Mapping[str, Any]] | None = None,
               level_days: int | None = None) -> FitResult:
    """Fit the demand model to an order history (see the module docstring for the methods).

    ``base_channels`` gives the channels' other settings (``promise_days``, ...): only their
    ``share`` is replaced; base channels absent from the history are left out (a share must be
    positive), channels only in the history get ``promise_days = DEFAULT_PROMISE_DAYS``.
    ``level_days`` estimates ``orders_per_day`` on the last that many days only.
    """
    if level_days is not None and level_days < 1:
        raise ValueError("level_days must be at least 1 (or None for the whole history)")
    h = _history(lines, start_date)
    week, seasons, adj = _shape(h.counts, h.weekday)
    level = adj[-level_days:] if level_days else adj
    opd = float(np.nanmean(level)) if np.isfinite(level).any() else 0.0
    if opd <= 0:
        raise ValueError("no orders on the days the level is estimated from")
    hour = np.bincount(h.orders["hour"].to_numpy(), minlength=24) / len(h.orders)
    demand: dict[str, Any] = {
        "orders_per_day": opd,
        "hour_profile": [float(v) for v in hour],
        "weekday_profile": [float(v) for v in week],
        "seasonality": [{"start": start_date + dt.timedelta(days=i),
                         "end": start_date + dt.timedelta(days=j),
                         "multiplier": round(float(m), 3)} for i, j, m in seasons],
        "lines_per_order": _count_dist(h.orders["lines"].to_numpy()),
        "units_per_line": _count_dist(h.lines["units"].to_numpy(np.int64)),
        "channels": _channels(_shares(h.orders.groupby("channel").size()), base_channels),
    }
    fit = FitResult(demand=demand,
                    sku_popularity=_shares(h.lines.groupby("sku")["units"].sum()),
                    # US destinations only: orders abroad ("@<group>") follow [international]
                    dest_weights=_shares(h.orders[~h.orders["zip3"].str.startswith("@")]
                                         .groupby("zip3").size()), checks=[])
    trend = float(np.nanmean(adj[-28:])) / opd
    fit.checks = _checks(fit, h, start_date, "in sample", "" if abs(trend - 1) <= 0.2 else
                         f"; the last 28 days ran at {trend:.2f}x orders_per_day: a trend "
                         "the model does not hold")
    return fit


def _season_days(demand: Mapping[str, Any], start_date: dt.date
                 ) -> list[tuple[int, int, float]]:
    out = []
    for s in demand.get("seasonality", []):
        first, last = (dt.date.fromisoformat(str(s[k])) for k in ("start", "end"))
        out.append(((first - start_date).days, (last - start_date).days, float(s["multiplier"])))
    return out


def _checks(fit: FitResult, h: _History, start_date: dt.date, where: str, trend: str = ""
            ) -> list[FitCheck]:
    d = fit.demand
    n_days = len(h.counts)
    hour = np.asarray(d["hour_profile"], float)
    week = np.asarray(d["weekday_profile"], float)
    week = week / week.mean()
    rate = float(d["orders_per_day"]) * week[h.weekday] * _season_factor(
        n_days, _season_days(d, start_date))
    sim = np.random.default_rng(SEED).poisson(np.tile(rate, SIM_REPS)).astype(float)
    out = [FitCheck("daily volume", [float(v) for v in h.counts], [float(v) for v in sim],
                    _ks_2samp(h.counts, sim),
                    f"{where}: {n_days} days, observed mean {h.counts.mean():.1f}/day, "
                    f"fitted {rate.mean():.1f}/day{trend}")]
    obs_hour = np.bincount(h.orders["hour"].to_numpy(), minlength=24) / len(h.orders)
    out.append(FitCheck("hour of day", [float(v) for v in obs_hour],
                        [float(v) for v in hour / hour.sum()], _ks_cdf(obs_hour, hour),
                        f"{where}: {len(h.orders)} orders"))
    obs_week, peaks, _ = _shape(h.counts, h.weekday)
    note = (f"{where}: {n_days // 7} full weeks, {len(peaks)} peak(s) divided out"
            if n_days >= 7 else f"{where}: under a week of data")
    out.append(FitCheck("weekday", [float(v) for v in obs_week], [float(v) for v in week],
                        _ks_cdf(obs_week, week), note))
    for what, key, x in (("lines per order", "lines_per_order", h.orders["lines"].to_numpy()),
                         ("units per line", "units_per_line", h.lines["units"].to_numpy())):
        x = x.astype(np.int64)
        upto = max(int(x.max()), int(d[key].get("max", 1)))
        obs = np.bincount(x, minlength=upto + 1)[1:upto + 1] / len(x)
        p = _pmf(d[key], upto)
        mean_fit = float(np.dot(np.arange(1, upto + 1), p))
        out.append(FitCheck(what, [float(v) for v in obs], [float(v) for v in p],
                            _ks_cdf(obs, p), f"{where}: mean {x.mean():.3f} observed, "
                            f"{mean_fit:.3f} fitted"))
    out.append(_sku_check(fit.sku_popularity, h.lines.groupby("sku")["units"].sum(), where))
    return out


def _sku_check(popularity: Mapping[str, float], units: pd.Series, where: str) -> FitCheck:
    ranked = sorted(popularity, key=lambda k: -popularity[k])
    total = float(units.sum())
    obs = units.reindex(ranked, fill_value=0).to_numpy(float) / total
    fit = np.array([popularity[k] for k in ranked]) / sum(popularity.values())
    unseen = max(0.0, 1.0 - float(obs.sum()))
    ks = _ks_cdf(np.append(obs, unseen), np.append(fit, 0.0))
    k = min(TOP_SKUS, len(ranked))
    return FitCheck("top-SKU share", [float(v) for v in obs[:k]], [float(v) for v in fit[:k]], ks,
                    f"{where}: the fit's top {k} SKUs hold {obs[:k].sum():.1%} of units "
                    f"observed, {fit[:k].sum():.1%} fitted; {unseen:.1%} of units on SKUs "
                    "the fit never saw")


def compare(fit: FitResult, holdout: pd.DataFrame, start_date: dt.date) -> list[FitCheck]:
    """The fitted model against a held-out period (out of sample): the same checks as
    :attr:`FitResult.checks`, with ``start_date`` the first day of the held-out lines' clock."""
    return _checks(fit, _history(holdout, start_date), start_date, "out of sample")


def fit_report_lines(checks: Sequence[FitCheck]) -> list[str]:
    """Plain-text lines for the terminal: one per check, with its KS distance and note."""
    width = max((len(c.what) for c in checks), default=5)
    out = ["Demand fit: Kolmogorov-Smirnov distance, observed vs fitted "
           "(0 = identical, 1 = disjoint)"]
    out += [f"  {c.what:<{width}}  KS {c.ks:5.3f}  {c.note}".rstrip() for c in checks]
    return out
