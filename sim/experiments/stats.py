"""Intervals over replications, paired differences under common random numbers, verdicts.

Replication ``r`` of every variant sees the same orders (same seed and stream keys, see
:mod:`sim.rng`), so the difference of a KPI between a variant and the base is computed
replication by replication and its 95 % Student-t interval is much narrower than that of two
independent means.  A verdict says "no detectable difference" whenever the interval holds zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

LOWER_IS_BETTER = ("cost", "click_to_", "transit_days", "hold_rate", "split_shipment_rate",
                   "orders_cancelled", "orders_open", "exception_rate", "lost_sales",
                   "backordered", "shipments_per_order", "stockout", "mispick_rate",
                   "reship_rate", "address_error_rate", "damage_rate", "intake_")
HIGHER_IS_BETTER = ("on_time_rate", "fill_rate", "orders_delivered", "orders_shipped",
                    "perfect_order_rate", "in_full_rate", "on_time_component_rate",
                    "perfect_condition_rate", "accurate_documentation_rate",
                    "mispicks_caught_share")


def direction(kpi: str) -> int:
    """-1 if lower is better, +1 if higher is better, 0 if neither (e.g. utilization)."""
    base = kpi.split(".", 1)[0]
    if base.startswith(HIGHER_IS_BETTER) or base.endswith("on_time_rate"):
        return 1
    if any(p in base for p in LOWER_IS_BETTER):
        return -1
    return 0


@dataclass(frozen=True)
class Interval:
    """A mean and the half-width of its two-sided ``level`` Student-t interval (NaN half-width
    from fewer than two replications)."""

    mean: float
    half_width: float
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def contains_zero(self) -> bool:
        return not (self.low > 0 or self.high < 0)


def t_interval(x: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Mean of ``x`` (NaNs dropped) with its Student-t interval."""
    a = np.asarray(x, float)
    a = a[~np.isnan(a)]
    n = len(a)
    if n == 0:
        return Interval(math.nan, math.nan, 0)
    if n == 1:
        return Interval(float(a[0]), math.nan, 1)
    hw = float(stats.t.ppf(0.5 + level / 2, n - 1) * a.std(ddof=1) / math.sqrt(n))
    return Interval(float(a.mean()), hw, n)


def verdict(kpi: str, diff: Interval) -> str:
    """``better`` / ``worse`` (by the KPI's direction), ``no detectable difference`` when the
    interval of the paired difference holds zero, ``one replication`` when there is no
    interval, or ``higher`` / ``lower`` for a KPI with no better direction."""
    if diff.n < 2 or math.isnan(diff.half_width):
        return "one replication: cannot tell a change from noise"
    if diff.contains_zero():
        return "no detectable difference"
    sign = 1 if diff.mean > 0 else -1
    d = direction(kpi)
    if d == 0:
        return "higher" if sign > 0 else "lower"
    return "better" if sign == d else "worse"
