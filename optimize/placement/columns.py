"""The decomposition's data: columns (one SKU's stocked FCs and region assignment each), what
they take from the coupling rows, the rows' multipliers, and a branch-and-price node's rules
for a SKU (``docs/placement.md``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimize.placement.problem import FloatArray, IntArray


@dataclass
class _Use:
    """What columns take from the coupling rows: per column, (n, F) arrays and ``serv``
    (n,); or, after :meth:`total`, what a set of columns takes together, (F,) and ().

    One type for both, so the master LP, the integer master, the repair and the feasibility
    test read the rows from one place instead of repeating a line per kind of row.
    """

    vol: FloatArray  # cubic feet per FC
    slot: FloatArray  # SKU slots per FC
    thr: FloatArray  # units/day shipped per FC
    serv: FloatArray  # units/day within the service time

    def total(self) -> _Use:
        return _Use(self.vol.sum(axis=0), self.slot.sum(axis=0), self.thr.sum(axis=0),
                    np.asarray(self.serv.sum()))

    def __sub__(self, o: _Use) -> _Use:
        return _Use(self.vol - o.vol, self.slot - o.slot, self.thr - o.thr, self.serv - o.serv)

    def __add__(self, o: _Use) -> _Use:
        return _Use(self.vol + o.vol, self.slot + o.slot, self.thr + o.thr, self.serv + o.serv)

    def take(self, idx: IntArray) -> _Use:
        return _Use(self.vol[idx], self.slot[idx], self.thr[idx], self.serv[idx])


@dataclass
class _Columns:
    """Columns of the master problem: one SKU's stocked set and region assignment each."""

    sku: IntArray
    mask: IntArray
    cost: FloatArray
    vol: FloatArray  # (n, F) cubic feet
    thr: FloatArray  # (n, F) units/day shipped from each FC (the throughput rows)
    serv: FloatArray  # units/day within the service time
    assign: NDArray[np.int8]  # (n, R)

    @classmethod
    def empty(cls, F: int, R: int) -> _Columns:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0),
                   np.zeros((0, F)), np.zeros((0, F)), np.zeros(0), np.zeros((0, R), np.int8))

    def __len__(self) -> int:
        return len(self.sku)

    def extend(self, o: _Columns) -> None:
        self.sku = np.concatenate([self.sku, o.sku])
        self.mask = np.concatenate([self.mask, o.mask])
        self.cost = np.concatenate([self.cost, o.cost])
        self.vol = np.concatenate([self.vol, o.vol])
        self.thr = np.concatenate([self.thr, o.thr])
        self.serv = np.concatenate([self.serv, o.serv])
        self.assign = np.concatenate([self.assign, o.assign])

    def take(self, idx: IntArray) -> _Columns:
        return _Columns(self.sku[idx], self.mask[idx], self.cost[idx], self.vol[idx],
                        self.thr[idx], self.serv[idx], self.assign[idx])

    def slots(self, F: int) -> FloatArray:
        return ((self.mask[:, None] >> np.arange(F)[None, :]) & 1).astype(float)

    def use(self, F: int) -> _Use:
        """Each column's use of the coupling rows."""
        return _Use(self.vol, self.slots(F), self.thr, self.serv)


@dataclass
class _Duals:
    mu: FloatArray  # (F,) per cubic foot
    nu: FloatArray  # (F,) per slot
    rho: FloatArray  # (F,) per unit/day shipped
    pi: float  # per unit of service

    def combine(self, other: _Duals, a: float) -> _Duals:
        return _Duals(a * self.mu + (1 - a) * other.mu, a * self.nu + (1 - a) * other.nu,
                      a * self.rho + (1 - a) * other.rho, a * self.pi + (1 - a) * other.pi)


@dataclass(frozen=True)
class _Restriction:
    """A branch-and-price node's rules for one SKU: FCs that must / must not stock it
    (bit masks) and regions that must / must not be served by an FC."""

    must_in: int = 0
    must_out: int = 0
    x_fixed: tuple[tuple[int, int, bool], ...] = ()  # (region, FC, served by it)

    def add(self, *, must_in: int = 0, must_out: int = 0,
            x: tuple[int, int, bool] | None = None) -> _Restriction:
        return _Restriction(self.must_in | must_in, self.must_out | must_out,
                            self.x_fixed + ((x,) if x is not None else ()))


_BIG = 1e15
"""Reduced cost of a choice a branch forbids (finite, so sums and products stay defined)."""
