"""Replenishment policies: how much each FC buys of each SKU, and when.

A replenishment policy is any object with the two methods of :class:`ReplenishmentPolicy`.
Each SKU class (A, B, C) has one; built-ins are chosen in the scenario by name (``sS``,
``rQ``, ``RS``, ``base_stock``, ``none``), a user's class by ``"module:Class"`` (constructed
as ``Class(net=network, skus=array_of_the_class_skus, **params)``).

Continuous review asks :meth:`~ReplenishmentPolicy.order_quantity` whenever the inventory
position (on hand + on order - backordered) of an FC and SKU falls to or below
:meth:`~ReplenishmentPolicy.reorder_point`; periodic review (``review_period_days`` set) asks
it for every SKU of the class at each review.  The model rounds the quantity up to the
supplier's minimum order and case pack.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from sim.state import StateView


@runtime_checkable
class ReplenishmentPolicy(Protocol):
    """Decides purchase orders for the SKUs of one class at every FC."""

    review_period_days: int | None
    """Days between periodic reviews, or None for continuous review."""

    def reorder_point(self, fc: int, sku: int) -> int | None:
        """Continuous review: position at or below which :meth:`order_quantity` is asked
        (None: never between reviews)."""
        ...

    def order_quantity(self, fc: int, sku: int, position: int, state: StateView) -> int:
        """Units to order now at inventory position ``position`` (0 for none)."""
        ...


class _Levels:
    """Levels per FC and SKU (arrays of shape (F, K)) as Python lists for fast lookups."""

    def __init__(self, review_period_days: int | None, **levels: np.ndarray) -> None:
        self.review_period_days = review_period_days
        for name, arr in levels.items():
            setattr(self, name, np.asarray(arr, np.int64).tolist())


class SS(_Levels):
    """(s, S): at or below ``s`` order up to ``S``."""

    s: list[list[int]]
    S: list[list[int]]

    def __init__(self, s: np.ndarray, S: np.ndarray, review_period_days: int | None = None
                 ) -> None:
        super().__init__(review_period_days, s=s, S=S)

    def reorder_point(self, fc: int, sku: int) -> int | None:
        return None if self.review_period_days else self.s[fc][sku]

    def order_quantity(self, fc: int, sku: int, position: int, state: StateView) -> int:
        return self.S[fc][sku] - position if position <= self.s[fc][sku] else 0


class RQ(_Levels):
    """(r, Q): at or below ``r`` order as many multiples of ``Q`` as lift the position above
    ``r``."""

    r: list[list[int]]
    Q: list[list[int]]

    def __init__(self, r: np.ndarray, Q: np.ndarray, review_period_days: int | None = None
                 ) -> None:
        super().__init__(review_period_days, r=r, Q=np.maximum(Q, 1))

    def reorder_point(self, fc: int, sku: int) -> int | None:
        return None if self.review_period_days else self.r[fc][sku]

    def order_quantity(self, fc: int, sku: int, position: int, state: StateView) -> int:
        r, q = self.r[fc][sku], self.Q[fc][sku]
        return 0 if position > r else q * ((r - position) // q + 1)


class OrderUpTo(_Levels):
    """Base stock / (R, S): order up to ``S`` whenever below it (one for one under continuous
    review, at each review otherwise)."""

    S: list[list[int]]

    def __init__(self, S: np.ndarray, review_period_days: int | None = None) -> None:
        super().__init__(review_period_days, S=S)

    def reorder_point(self, fc: int, sku: int) -> int | None:
        return None if self.review_period_days else self.S[fc][sku] - 1

    def order_quantity(self, fc: int, sku: int, position: int, state: StateView) -> int:
        return max(0, self.S[fc][sku] - position)


class NoReplenishment:
    """Never buys: stock only falls (initial stock, transfers and returns aside)."""

    review_period_days: int | None = None

    def reorder_point(self, fc: int, sku: int) -> int | None:
        return None

    def order_quantity(self, fc: int, sku: int, position: int, state: StateView) -> int:
        return 0
