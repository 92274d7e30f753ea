"""A user's replenishment policy for the tests: every ``period`` days, order enough to cover
``cover_days`` of the FC's forecast plus what is backordered (a planner's rule of thumb)."""

from __future__ import annotations

import numpy as np


class WeeklyCover:
    def __init__(self, net, skus: np.ndarray, cover_days: float = 10.0,  # type: ignore[no-untyped-def]
                 period: int = 7) -> None:
        self.review_period_days = period
        self.target = np.ceil(net.forecast_units_per_day * cover_days).astype(int).tolist()
        self.calls = 0

    def reorder_point(self, fc: int, sku: int) -> int | None:
        return None  # periodic only

    def order_quantity(self, fc: int, sku: int, position: int, state) -> int:  # type: ignore[no-untyped-def]
        self.calls += 1
        return max(0, self.target[fc][sku] - position)
