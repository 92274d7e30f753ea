"""Checks of a day's calendar prices against the queues, for the exact policies
(``optimal`` and ``wave`` with ``estimate = "queues"``; see :mod:`sim.block_prices`).

A price from the day's table is the price behind the queues where the ready time behind
them lies within the order's window at that FC (every service's first pickup where the
table put it).  :class:`QueueCosts` makes that check FC by FC, when a cost is first read;
:func:`settled_firsts` finds, for a day's orders at once, those whose answer from
:class:`~sim.policies.optimized.Optimal` the table settles once their nearest FC holds
them and passes its check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np


class QueueTable(NamedTuple):
    """:meth:`sim.block_prices.BlockPrices._queue_table`: by order of the block, and FC
    where by FC (lists: an order's checks read a few numbers each)."""

    cost: list[list[float]]  # whole's costs (a NaN row: not priced)
    lo: list[list[float]]
    hi: list[list[float]]
    pick: list[list[float]]
    pack: list[list[float]]
    promise_h: list[float]

    def check(self, i: int, f: int, ready: Callable[[int, float, float], float],
              held: list[int]) -> bool:
        """Whether order ``i``'s cost at FC ``f`` (a number) is its cost behind the queues:
        its ready time there now (``ready``) lies within its window; counted in ``held``
        (checks made, checks that held)."""
        held[0] += 1
        if self.lo[i][f] < ready(f, self.pick[i][f], self.pack[i][f]) <= self.hi[i][f]:
            held[1] += 1
            return True
        return False


class QueueCosts(Sequence[float]):
    """:meth:`sim.block_prices.BlockPrices.queue_whole` of the order ``i`` of ``table``,
    each FC's cost checked when first read (``held``: the count of checks and of those that
    held, added to; ``failed``: an FC whose check was made and failed, NaN)."""

    __slots__ = ("_held", "_i", "_out", "_ready", "_table")

    def __init__(self, table: QueueTable, i: int, ready: Callable[[int, float, float], float],
                 held: list[int], failed: int = -1) -> None:
        self._table, self._i, self._ready, self._held = table, i, ready, held
        self._out: list[float | None] = [None] * len(table.cost[i])
        if failed >= 0:  # that FC's check was made, and failed
            self._out[failed] = math.nan

    def __len__(self) -> int:
        return len(self._out)

    def __getitem__(self, f: int) -> float:  # type: ignore[override]
        c = self._out[f]
        if c is None:
            t, i = self._table, self._i
            c = t.cost[i][f]
            # inf (no pickup left) is the same cost only with a promise: without one,
            # landed_cost finds such a shipment late by no hours (inf - inf), the table by NaN
            if not (c < math.inf or (c == math.inf and t.promise_h[i] < math.inf)) \
                    or not t.check(i, f, self._ready, self._held):
                c = math.nan
            self._out[f] = c
        return c


def settled_firsts(cost: np.ndarray, lows: np.ndarray, rank: np.ndarray,
                   split: np.ndarray | None, n_lines: np.ndarray, first_saving: float,
                   split_searched: bool, tol: float) -> np.ndarray:
    """For each order (row), the first FC of its rank (``rank``, (orders, FCs)) where
    :class:`~sim.policies.optimized.Optimal`'s walk over the FCs and its split search end
    once that FC holds the order and its cost (``cost``, (orders, FCs), the day's table) is
    checked, else -1: the cost there less ``first_saving`` is finite, and every other FC's
    lower bound (``lows``) and, if the order has several lines and splits are searched
    (``split_searched``), its split bound (``split``; ``None``: none at hand) exceed it by
    more than ``tol`` relative (at least ``tol``).  Then the walk prices no other FC and
    the search stops at its bound.  The same floats and comparisons as the policy's (numpy's
    float64 arithmetic is Python's); a NaN compares false, so an order without costs or
    bounds is never settled here."""
    n = len(cost)
    first = rank[:, 0]
    best = cost[np.arange(n), first] - first_saving
    limit = best + tol * np.maximum(1.0, np.abs(best))
    ok = (best < math.inf) & ~np.isnan(lows[:, 0]) \
        & (np.take_along_axis(lows, rank[:, 1:], axis=1) > limit[:, None]).all(axis=1)
    if split_searched:
        single = n_lines < 2
        ok &= single if split is None else single | (split > limit)
    return np.where(ok, first, -1)
