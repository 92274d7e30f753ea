"""The wave instance: arguments checked and precomputed, an assignment's true cost, and the
result type."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["WaveResult"]

_OVERFLOW_TOL_H = 1e-9  # load - capacity below this (float noise) is no overflow


@dataclass(frozen=True)
class WaveResult:
    """Outcome of :func:`assign_wave` / :func:`assign_wave_greedy`.

    Attributes
    ----------
    fc : ndarray of int64, shape (n,)
        Chosen FC per order; ``-1`` = not assigned this wave (no FC can ship it from stock, or
        the stock went to orders that lose more by moving, or every FC costs more than
        waiting).
    objective : float
        True cost of this assignment: assigned costs + ``overflow_cost_per_h * overflow_h.sum()``
        + unassigned costs, in the input's units.
    bound : float
        Lower bound on the optimum (``<= objective``): the larger of the sum of each order's
        cheapest option, the LP relaxation's optimum and CP-SAT's bound.  Equal to
        ``objective`` when ``status`` is ``"TRIVIAL"``; for ``"OPTIMAL"`` equal up to the LP
        tolerance (``1e-7`` relative) or the CP-SAT rounding (``docs/routing.md``), or, with
        no capacity at any FC, up to ``overflow_cost_per_h * F * 1e-9`` (absolute).
    status : str
        ``"TRIVIAL"`` (every order got its cheapest option: optimal, no solver),
        ``"OPTIMAL"`` (proven by the reduction, the LP bound or CP-SAT, or, with no
        capacity at any FC, by each order's least cost with all its hours as overflow),
        ``"FEASIBLE"``
        (a solution with a gap: heuristic, LP rounding, or CP-SAT stopped by its work
        limit).
    overflow_h : ndarray of float64, shape (F,)
        Labor hours assigned beyond each FC's ``capacity_h``.
    """

    fc: NDArray[np.int64]
    objective: float
    bound: float
    status: str
    overflow_h: NDArray[np.float64]

    @property
    def optimal(self) -> bool:
        """True when the assignment is proven optimal (``"TRIVIAL"`` or ``"OPTIMAL"``)."""
        return self.status in ("TRIVIAL", "OPTIMAL")

    @property
    def n_unassigned(self) -> int:
        """Number of orders left for a later wave."""
        return int(np.count_nonzero(self.fc < 0))


@dataclass
class _Wave:
    """A validated instance, SKUs renumbered to those the wave's lines use (``0..K-1``)."""

    n: int
    F: int
    K: int
    cost: NDArray[np.float64]  # (n, F), inf where not allowed
    hours: NDArray[np.float64]  # (n, F), 0 where not allowed
    cap: NDArray[np.float64]  # (F,)
    rate: float
    unassigned: NDArray[np.float64]  # (n,)
    ptr: NDArray[np.int64]  # (n+1,) CSR over aggregated lines (one per order and SKU)
    sku: NDArray[np.int64]  # (L,)
    units: NDArray[np.int64]  # (L,)
    line_order: NDArray[np.int64]  # (L,)
    stock: NDArray[np.int64]  # (F, K)
    useful: NDArray[np.bool_]  # (n, F): allowed (finite cost, stock holds it) and c <= U
    best_f: NDArray[np.int64]  # (n,): cheapest option, -1 = waiting
    lower: NDArray[np.float64]  # (n,): cost of the cheapest option


def _int_array(name: str, a: ArrayLike, ndim: int) -> NDArray[np.int64]:
    arr = np.asarray(a)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if arr.size and not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _prepare(
    cost: ArrayLike,
    hours: ArrayLike,
    capacity_h: ArrayLike,
    line_ptr: ArrayLike,
    line_sku: ArrayLike,
    line_units: ArrayLike,
    stock: ArrayLike,
    overflow_cost_per_h: float,
    unassigned_cost: float | ArrayLike,
) -> _Wave:
    """Check shapes and values (``ValueError`` naming the argument) and precompute."""
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost must be a 2-D array (orders x FCs), got shape {c.shape}")
    n, F = c.shape
    if F < 1:
        raise ValueError("cost must have at least one FC column, got shape (n, 0)")
    if np.isnan(c).any() or (c == -np.inf).any():
        raise ValueError("cost must not contain NaN or -inf (use +inf for 'not allowed')")
    h = np.asarray(hours, dtype=np.float64)
    if h.shape != (n, F):
        raise ValueError(f"hours must have the shape of cost {(n, F)}, got {h.shape}")
    finite = np.isfinite(c)
    if not np.all(np.isfinite(h[finite]) & (h[finite] >= 0)):
        raise ValueError("hours must be finite and >= 0 wherever cost is finite")
    h = np.where(finite, h, 0.0)
    cap = np.asarray(capacity_h, dtype=np.float64)
    if cap.shape != (F,):
        raise ValueError(f"capacity_h must have shape ({F},) (one per FC), got {cap.shape}")
    if np.isnan(cap).any() or (cap < 0).any():
        raise ValueError("capacity_h must be >= 0 (inf = unlimited), got NaN or a negative")
    rate = float(overflow_cost_per_h)
    if not (math.isfinite(rate) and rate >= 0):
        raise ValueError(f"overflow_cost_per_h must be finite and >= 0, got {rate}")
    u = np.asarray(unassigned_cost, dtype=np.float64)
    if u.ndim == 0:
        u = np.full(n, float(u))
    if u.shape != (n,):
        raise ValueError(f"unassigned_cost must be a scalar or shape ({n},), got {u.shape}")
    if not np.isfinite(u).all():
        raise ValueError("unassigned_cost must be finite")

    ptr = _int_array("line_ptr", line_ptr, 1)
    if ptr.shape != (n + 1,):
        raise ValueError(f"line_ptr must have shape ({n + 1},) (orders + 1), got {ptr.shape}")
    sku = _int_array("line_sku", line_sku, 1)
    units = _int_array("line_units", line_units, 1)
    if sku.shape != units.shape:
        raise ValueError(
            f"line_sku and line_units must have the same length, got {sku.size} and {units.size}"
        )
    if ptr[0] != 0 or ptr[-1] != sku.size or (np.diff(ptr) < 0).any():
        raise ValueError(
            f"line_ptr must start at 0, never decrease and end at the number of lines "
            f"({sku.size}), got {ptr[0]} ... {ptr[-1]}"
        )
    s = _int_array("stock", stock, 2)
    if s.shape[0] != F:
        raise ValueError(f"stock must have shape ({F}, K) (FCs x SKUs), got {s.shape}")
    if (s < 0).any():
        raise ValueError("stock must be >= 0")
    if sku.size and (sku.min() < 0 or sku.max() >= s.shape[1]):
        raise ValueError(
            f"line_sku must be in [0, {s.shape[1]}) (stock's SKU columns), "
            f"got {sku.min()} ... {sku.max()}"
        )
    if (units < 1).any():
        raise ValueError("line_units must be >= 1")

    # one line per (order, SKU), SKUs renumbered to the wave's own
    order = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    kept, local = np.unique(sku, return_inverse=True)
    K = kept.size
    key, inv = np.unique(order * max(K, 1) + local, return_inverse=True)
    units_agg = np.bincount(inv, weights=units, minlength=key.size).astype(np.int64)
    line_order = key // max(K, 1)
    sku_agg = key % max(K, 1)
    ptr_agg = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(line_order, minlength=n), out=ptr_agg[1:])
    st = s[:, kept]

    # allowed: finite cost and every line fits the FC's stock on its own
    short = st[:, sku_agg] < units_agg  # (F, L)
    short_count = _per_order_count(short, ptr_agg)  # (F, n)
    useful = finite & (short_count.T == 0) & (c <= u[:, None])
    masked = np.where(useful, c, np.inf)
    arg = np.argmin(masked, axis=1) if n else np.zeros(0, dtype=np.int64)
    cmin = masked[np.arange(n), arg]
    take = cmin <= u  # ties: ship rather than wait
    best_f = np.where(take, arg, -1).astype(np.int64)
    lower = np.where(take, cmin, u)
    return _Wave(
        n, F, K, np.where(useful, c, np.inf), h, cap, rate, u, ptr_agg, sku_agg, units_agg,
        line_order, st, useful, best_f, lower,
    )


def _separable(w: _Wave) -> tuple[NDArray[np.int64], float] | None:
    """With no capacity at any FC every assigned hour is overflow, so the objective is the
    sum over the orders of ``c_if + rate * h_if`` (or ``U_i``): each order's least such
    option (lowest FC index on ties, shipping before waiting), if together they respect
    stock, is optimal, and the sum of those least costs is a lower bound on every solution.
    (An FC's load of at most ``_OVERFLOW_TOL_H`` hours counts as no overflow in
    :func:`_evaluate`: the bound is low by at most ``rate * F * _OVERFLOW_TOL_H``.)  Returns
    the assignment and the bound, or ``None`` if stock rules it out."""
    n = w.n
    pen = w.cost + w.rate * w.hours  # inf where the pair is not allowed (hours 0 there)
    arg = np.argmin(pen, axis=1) if n else np.zeros(0, dtype=np.int64)
    least = pen[np.arange(n), arg]
    take = least <= w.unassigned  # ties: ship rather than wait
    fc = np.where(take, arg, -1).astype(np.int64)
    if not _stock_ok(w, fc):
        return None
    return fc, float(np.where(take, least, w.unassigned).sum()) - w.rate * w.F * _OVERFLOW_TOL_H


def _per_order_count(flags: NDArray[np.bool_], ptr: NDArray[np.int64]) -> NDArray[np.int64]:
    """``flags`` (rows, L) per line -> (rows, n): how many of each order's lines are set."""
    cs = np.zeros((flags.shape[0], flags.shape[1] + 1), dtype=np.int64)
    np.cumsum(flags, axis=1, out=cs[:, 1:])
    return cs[:, ptr[1:]] - cs[:, ptr[:-1]]


def _evaluate(w: _Wave, fc: NDArray[np.int64]) -> tuple[float, NDArray[np.float64]]:
    """True objective and overflow hours of an assignment (stock is not checked here)."""
    on = fc >= 0
    idx = np.flatnonzero(on)
    load = np.bincount(fc[idx], weights=w.hours[idx, fc[idx]], minlength=w.F)
    over = load - w.cap
    overflow = np.where(over > _OVERFLOW_TOL_H, over, 0.0)
    obj = float(w.cost[idx, fc[idx]].sum()) + float(w.unassigned[~on].sum())
    if w.rate > 0:
        obj += w.rate * float(overflow.sum())
    return obj, overflow


def _stock_ok(w: _Wave, fc: NDArray[np.int64]) -> bool:
    """Do the orders assigned to each FC fit its stock?"""
    lf = fc[w.line_order]
    on = lf >= 0
    used = np.bincount(lf[on] * w.K + w.sku[on], weights=w.units[on], minlength=w.F * w.K)
    return bool((used.reshape(w.F, w.K) <= w.stock).all()) if w.K else True


def _result(w: _Wave, fc: NDArray[np.int64], bound: float, status: str) -> WaveResult:
    obj, overflow = _evaluate(w, fc)
    return WaveResult(fc.astype(np.int64), obj, min(bound, obj), status, overflow)


def _is_trivial(w: _Wave) -> bool:
    """Does every order's cheapest option respect stock and capacity?"""
    if not _stock_ok(w, w.best_f):
        return False
    if w.rate == 0:
        return True
    _, overflow = _evaluate(w, w.best_f)
    return not overflow.any()
