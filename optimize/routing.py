"""Joint "wave" order routing: assign a batch of orders to FCs at least total cost.

Every few minutes the simulation collects the orders queued since the last wave and routes them
together, so that two orders competing for the last unit of a SKU, or for the last labor hours
of a cheap FC, are settled by what each would lose by moving rather than by arrival order.
This module is the pure solver: numpy arrays in, numpy arrays out, no SimPy import.

The model
---------
Orders ``i`` (``n``), FCs ``f`` (``F``), SKUs ``k``; ``x_if = 1`` if order ``i`` ships whole
from ``f`` (no splits), ``ov_f >= 0`` the labor hours assigned beyond ``f``'s capacity::

    min   sum_if c_if x_if + p * sum_f ov_f + sum_i U_i (1 - sum_f x_if)
    s.t.  sum_f x_if <= 1                            every order    (0 = left for a later wave)
          sum_i u_ik x_if <= s_fk                    every FC, SKU  (stock on hand)
          sum_i h_if x_if <= H_f + ov_f              every FC       (soft labor capacity)
          x_if = 0  unless c_if < inf and s_fk >= u_ik for every line of i

``c`` = landed cost, ``U`` = cost of leaving the order unassigned, ``p`` =
``overflow_cost_per_h``, ``h`` = labor hours, ``H`` = capacity, ``u``/``s`` = units ordered /
on hand.  Leaving an order is always feasible, so every instance has a solution.  ``U`` is
meant to exceed every assignment cost; nothing enforces it: an order whose every FC costs more
than ``U`` (including the overflow it would cause) is simply left, and it waits.

The method
----------
The problem is a generalized assignment problem (GAP, NP-hard: order hours differ by FC, so it
is no transportation problem and min-cost flow is not exact) plus multi-knapsack stock rows.
Most waves are easy, so :func:`assign_wave` goes from cheap to expensive and stops as soon as
it can prove optimality:

1. **Trivial.** Each order's cheapest option (``min(min_f c_if, U_i)``, lowest FC index on
   ties, shipping before waiting) gives a lower bound on every solution (overflow >= 0).  If
   that argmin assignment respects stock and has no overflow, it is optimal: status
   ``"TRIVIAL"``, no solver.
2. **Reduction** (exact).  A stock or labor row is *binding* if all the orders that could use
   it together would exceed it.  Pair ``(i, f)`` is *safe* if none of ``i``'s stock rows at
   ``f`` binds; its pessimistic cost is ``c_if`` plus the overflow cost of all its hours if
   ``f``'s labor row binds.  Any other pair of ``i`` costing at least the least pessimistic
   safe pair is dominated (moving there never costs more) and is dropped; orders left with a
   single pair cheaper than waiting are fixed; rows that no longer bind are dropped.
3. **LP relaxation** of the rest (HiGHS dual simplex through SciPy), with one cardinality cut
   per stock row whose demands exceed one unit (a row of ``s`` units holds at most as many
   orders as its smallest demands fit in ``s``): its optimum is the reported ``bound``.  A
   basic solution has few fractional orders (at most one per binding row); the orders it
   ships whole are kept, the others completed by the greedy below, then improved by local
   search: single moves (an order to another FC, or to/from waiting) and ejections (an
   order takes the stock another holds at a cheaper FC, which goes to its best other
   option), with a fixed budget of trials.  Within ``1e-7`` (relative) of the LP bound the
   result is optimal (``"OPTIMAL"``).
4. **CP-SAT** (only if ``max_deterministic_time > 0``): pairs whose LP reduced cost exceeds
   the remaining gap cannot be in a better solution and are fixed; CP-SAT solves what is
   left, one worker, ``linearization_level=2``, hinted with the incumbent, under
   ``max_deterministic_time`` (a count of work, not wall time), and proves optimality
   (``"OPTIMAL"``) or returns the best found.

:func:`assign_wave_greedy` is the heuristic alone (no LP, no CP-SAT): orders in decreasing
*regret* (second-cheapest minus cheapest option), each to the option of least marginal cost
(cost plus the overflow it adds) whose stock still holds it, then the same local search.

Why CP-SAT is off by default, measured with ``benchmarks/bench_wave.py`` on the 2-core CI
machine (medians over 20 random waves with every FC's labor binding): steps 1-3 take 12-15 ms
for 100 orders and 20-32 ms for 300 orders x 4-8 FCs, with a median gap to the bound of
0.04-0.2 % (worst 3 %: a 100-order wave where freeing the stock for one order takes a chain of
four moves).  CP-SAT costs about 10 ms to start plus 3-7 s of wall time per unit of
deterministic time here; with 0.02 units a wave takes 60-120 ms and the median gap becomes
0-0.12 %.  It is a polishing option for callers who can afford it.

Determinism: every step is deterministic (stable sorts, first-index ties, the dual simplex,
CP-SAT with one worker, a fixed seed and a deterministic-time limit), so the same input gives
the same assignment on any machine load; no wall-clock limit is used anywhere.

Integer scaling (CP-SAT needs integer coefficients)
---------------------------------------------------
Costs are in units of ``1 / COST_SCALE`` (1e-10 of the currency unit, reduced by powers of 10
if the objective could exceed 2**52 units) and hours in units of ``1 / HOURS_SCALE`` h
(1 ms).  Costs, hours and the overflow price per unit are rounded *down* and capacities *up*,
so the integer objective of any assignment is at most its true cost: CP-SAT's bound,
converted back, is a valid lower bound on the true optimum.  The reported ``objective`` and
``overflow_h`` are always recomputed in floating point from the chosen assignment, and the
CP-SAT answer is kept only if it is no worse than the incumbent in those true units.  A
CP-SAT ``"OPTIMAL"`` is optimal for the rounded model; its true gap ``objective - bound`` is
at most the rounding, ``n / COST_SCALE + p * (n + F) / HOURS_SCALE`` plus
``HOURS_SCALE / COST_SCALE`` per overflow hour (``p = 40`` $/h, 300 orders, 8 FCs, 10 h of
overflow: under 0.008 currency units).

No SimPy import: this module is usable without the simulation.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "COST_SCALE",
    "HOURS_SCALE",
    "WaveResult",
    "assign_wave",
    "assign_wave_greedy",
]

COST_SCALE = 10.0**10
"""Integer cost units per currency unit in the CP-SAT model (lowered if it could overflow)."""
HOURS_SCALE = 3_600_000.0
"""Integer labor units per hour in the CP-SAT model (1 ms)."""
_MAX_UNITS = 2.0**52  # keep every integer sum exactly representable as a double
_OVERFLOW_TOL_H = 1e-9  # load - capacity below this (float noise) is no overflow
_LP_TOL = 1e-7  # relative: an incumbent this close to the LP bound is called optimal


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
        tolerance (``1e-7`` relative) or the CP-SAT rounding (module docstring).
    status : str
        ``"TRIVIAL"`` (every order got its cheapest option: optimal, no solver),
        ``"OPTIMAL"`` (proven by the reduction, the LP bound or CP-SAT), ``"FEASIBLE"``
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


# ---------------------------------------------------------------------------------- validation


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


def _per_order_count(flags: NDArray[np.bool_], ptr: NDArray[np.int64]) -> NDArray[np.int64]:
    """``flags`` (rows, L) per line -> (rows, n): how many of each order's lines are set."""
    cs = np.zeros((flags.shape[0], flags.shape[1] + 1), dtype=np.int64)
    np.cumsum(flags, axis=1, out=cs[:, 1:])
    return cs[:, ptr[1:]] - cs[:, ptr[:-1]]


# ---------------------------------------------------------------------------------- evaluation


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


# ---------------------------------------------------------------------------------- heuristics


class _State:
    """Residual stock and labor load of a (partial) assignment, in plain Python lists: the
    per-order loops below touch a handful of entries each, where numpy's call overhead would
    dominate."""

    def __init__(self, w: _Wave, fc: NDArray[np.int64]) -> None:
        self.cost, self.hours = w.cost.tolist(), w.hours.tolist()
        self.unassigned = w.unassigned.tolist()
        ptr, sku, units = w.ptr.tolist(), w.sku.tolist(), w.units.tolist()
        self.lines = [list(zip(sku[a:b], units[a:b], strict=True))
                      for a, b in itertools.pairwise(ptr)]
        self.cap = w.cap.tolist()
        self.rate = w.rate
        self.fc = fc.tolist()
        self.resid = w.stock.tolist()
        self.load = [0.0] * w.F
        for i, f in enumerate(self.fc):
            if f >= 0:
                self.move(i, -1, f)

    def fits(self, i: int, f: int) -> bool:
        r = self.resid[f]
        for k, u in self.lines[i]:
            if r[k] < u:
                return False
        return True

    def added(self, i: int, f: int) -> float:
        """Marginal cost of adding order ``i`` to FC ``f`` (cost + extra overflow cost)."""
        c = self.cost[i][f]
        if self.rate > 0:
            ld, cap = self.load[f], self.cap[f]
            c += self.rate * (max(0.0, ld + self.hours[i][f] - cap) - max(0.0, ld - cap))
        return c

    def removed(self, i: int, f: int) -> float:
        """Cost saved by taking order ``i`` (now at ``f``) out of ``f``."""
        c = self.cost[i][f]
        if self.rate > 0:
            ld, cap = self.load[f], self.cap[f]
            c += self.rate * (max(0.0, ld - cap) - max(0.0, ld - self.hours[i][f] - cap))
        return c

    def move(self, i: int, a: int, b: int) -> None:
        """Move order ``i`` from ``a`` to ``b`` (``-1`` = unassigned)."""
        if a >= 0:
            self.load[a] -= self.hours[i][a]
            r = self.resid[a]
            for k, u in self.lines[i]:
                r[k] += u
        if b >= 0:
            self.load[b] += self.hours[i][b]
            r = self.resid[b]
            for k, u in self.lines[i]:
                r[k] -= u
        self.fc[i] = b


def _greedy_fc(w: _Wave, start: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
    """Regret-ordered greedy completion of ``start`` (default: nothing assigned).

    Unassigned orders in decreasing regret (second-cheapest minus cheapest option, waiting
    included), each to the option of least marginal cost whose remaining stock holds it.
    """
    fc0 = np.full(w.n, -1, dtype=np.int64) if start is None else start
    s = _State(w, fc0)
    if w.n == 0:
        return fc0.copy()
    opts = np.sort(np.concatenate([w.cost, w.unassigned[:, None]], axis=1), axis=1)
    regret = opts[:, 1] - opts[:, 0]
    todo = np.flatnonzero((fc0 < 0) & (w.best_f >= 0))  # waiting-is-best orders stay waiting
    order = todo[np.argsort(-regret[todo], kind="stable")].tolist()
    cand = np.argsort(w.cost, axis=1, kind="stable").tolist()
    ncand = w.useful.sum(axis=1).tolist()
    for i in order:
        best, best_f = s.unassigned[i], -1
        ci = s.cost[i]
        for f in cand[i][: ncand[i]]:
            if ci[f] > best or (ci[f] == best and best_f >= 0):
                break  # sorted by cost and marginal >= cost: nothing further can win
            if not s.fits(i, f):
                continue
            m = s.added(i, f)
            if m < best or (m == best and best_f < 0):
                best, best_f = m, f
        if best_f >= 0:
            s.move(i, -1, best_f)
    return np.asarray(s.fc, dtype=np.int64)


def _improve(w: _Wave, fc: NDArray[np.int64], pairs: NDArray[np.bool_] | None = None,
             max_rounds: int = 20) -> NDArray[np.int64]:
    """Local search from ``fc`` over the FCs of ``pairs`` (default: all allowed) and waiting.

    *Single moves* (one order to another FC or to/from waiting), first improvement, orders in
    index order, until a pass finds none; then *ejections* (order ``i`` takes the stock an
    order ``j`` holds at a cheaper FC, ``j`` goes to its best other option); repeated while
    either finds an improvement, with at most ``_EJECT_TRIALS * n + 100`` ejection trials in
    all (a count, so the result does not depend on the machine's speed).
    """
    s = _State(w, fc)
    pairs = w.useful if pairs is None else pairs
    cand = [np.flatnonzero(row).tolist() for row in pairs]
    cheapest = np.argmin(np.where(pairs, w.cost, np.inf), axis=1).tolist() if w.n else []
    budget = [_EJECT_TRIALS * w.n + 100]
    for _ in range(max_rounds):
        moved = False
        while _single_moves(s, cand, cheapest):
            moved = True
        if not _ejections(s, cand, budget) and not moved:
            break
    return np.asarray(s.fc, dtype=np.int64)


_TOL = 1e-9  # a move must gain more than this
_EJECT_TRIALS = 5  # ejection trials per order and pass (bounds the local search's time)


def _single_moves(s: _State, cand: list[list[int]], cheapest: list[int]) -> bool:
    """One pass of improving single moves; True if any was made."""
    improved = False
    for i in range(len(cand)):
        a = s.fc[i]
        if not cand[i] or (a == cheapest[i] and s.load[a] <= s.cap[a]):
            continue  # at its cheapest FC, which has no overflow to relieve
        gain = s.removed(i, a) if a >= 0 else s.unassigned[i]
        best, best_f = gain - _TOL, a
        if a >= 0 and s.unassigned[i] < best:
            best, best_f = s.unassigned[i], -1
        ci = s.cost[i]
        for f in cand[i]:
            if f == a or ci[f] >= best or not s.fits(i, f):
                continue
            m = s.added(i, f)
            if m < best:
                best, best_f = m, f
        if best_f != a:
            s.move(i, a, best_f)
            improved = True
    return improved


def _ejections(s: _State, cand: list[list[int]], budget: list[int]) -> bool:
    """One pass of improving ejections (see :func:`_improve`); True if any was made.
    ``budget[0]`` is the number of trials left (decremented in place)."""
    n, F = len(cand), len(s.load)
    members: list[list[int]] = [[] for _ in range(F)]
    for j, f in enumerate(s.fc):
        if f >= 0:
            members[f].append(j)
    skus = [{k for k, _ in lines} for lines in s.lines]
    rate, cap = s.rate, s.cap

    def overflow_cost() -> float:
        return rate * sum(max(0.0, ld - c) for ld, c in zip(s.load, cap, strict=True))

    improved = False
    for i in range(n):
        a = s.fc[i]
        cur = s.cost[i][a] if a >= 0 else s.unassigned[i]
        for g in cand[i]:
            if g == a or s.cost[i][g] >= cur:
                continue
            rg = s.resid[g]
            blocking = {k for k, u in s.lines[i] if rg[k] < u}
            if not blocking:
                continue  # it fits: a single move's business
            done = False
            for j in members[g]:
                if s.fc[j] != g or j == i or not (skus[j] & blocking):
                    continue
                if budget[0] <= 0:
                    return improved
                budget[0] -= 1
                before = overflow_cost()
                s.move(j, g, -1)
                if not s.fits(i, g):
                    s.move(j, -1, g)
                    continue
                s.move(i, a, g)
                best, h = s.unassigned[j], -1
                for f in cand[j]:
                    if f != g and s.cost[j][f] < best and s.fits(j, f):
                        m = s.added(j, f)
                        if m < best:
                            best, h = m, f
                if h >= 0:
                    s.move(j, -1, h)
                cj = s.cost[j][h] if h >= 0 else s.unassigned[j]
                delta = s.cost[i][g] - cur + cj - s.cost[j][g] + overflow_cost() - before
                if delta < -_TOL:
                    members[g].append(i)
                    if h >= 0:
                        members[h].append(j)
                    improved = done = True
                    break
                if h >= 0:
                    s.move(j, h, -1)
                s.move(i, g, a)
                s.move(j, -1, g)
            if done:
                break
    return improved


def _is_trivial(w: _Wave) -> bool:
    """Does every order's cheapest option respect stock and capacity?"""
    if not _stock_ok(w, w.best_f):
        return False
    if w.rate == 0:
        return True
    _, overflow = _evaluate(w, w.best_f)
    return not overflow.any()


def assign_wave_greedy(
    cost: ArrayLike,
    hours: ArrayLike,
    capacity_h: ArrayLike,
    line_ptr: ArrayLike,
    line_sku: ArrayLike,
    line_units: ArrayLike,
    stock: ArrayLike,
    *,
    overflow_cost_per_h: float,
    unassigned_cost: float | ArrayLike,
) -> WaveResult:
    """Fast heuristic assignment of a wave (same arguments as :func:`assign_wave`).

    Orders are taken in decreasing regret (second-cheapest minus cheapest option, waiting
    included), each to the FC of least *marginal* cost (its cost plus the overflow cost it
    adds) whose remaining stock holds it, or left if waiting is cheaper; then local search
    (single moves and ejections, see the module docstring).  Respects stock; capacity is soft
    as in :func:`assign_wave`.  Status ``"TRIVIAL"`` when every order got its cheapest option
    without overflow (then it is optimal), else ``"FEASIBLE"`` with ``bound`` = the sum of each
    order's cheapest option.  No LP, no CP-SAT.
    """
    w = _prepare(cost, hours, capacity_h, line_ptr, line_sku, line_units, stock,
                 overflow_cost_per_h, unassigned_cost)
    lower = float(w.lower.sum())
    if _is_trivial(w):
        return _result(w, w.best_f, lower, "TRIVIAL")
    return _result(w, _improve(w, _greedy_fc(w)), lower, "FEASIBLE")


# ---------------------------------------------------------------------------------- the model


@dataclass
class _Model:
    """The wave after the reduction: pairs of the orders still open, binding rows only."""

    base_fc: NDArray[np.int64]  # (n,) orders fixed by the reduction; -1 for the rest
    rest: NDArray[np.bool_]  # (n,) orders the model decides
    const: float  # true cost of the fixed part + waiting cost of the rest
    pi: NDArray[np.int64]  # (P,) order of each pair (sorted by order, then FC)
    pf: NDArray[np.int64]  # (P,) FC of each pair
    rel: NDArray[np.float64]  # (P,) cost - waiting cost (<= 0)
    h: NDArray[np.float64]  # (P,) hours
    # stock rows sum coef * x <= rhs, CSR over pairs
    s_ptr: NDArray[np.int64]
    s_var: NDArray[np.int64]
    s_coef: NDArray[np.int64]
    s_rhs: NDArray[np.int64]
    # labor rows sum h * x - ov <= cap, CSR over pairs
    c_ptr: NDArray[np.int64]
    c_var: NDArray[np.int64]
    c_cap: NDArray[np.float64]  # capacity left after the fixed orders (may be < 0)
    pairs: NDArray[np.bool_]  # (n, F) the pairs not dominated (fixed and open orders)

    @property
    def P(self) -> int:
        return int(self.pi.size)


def _binding(w: _Wave, pairs: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Rows that the orders could exceed if all the ``pairs`` (n, F) were used together:
    stock rows (F, K) and labor rows (F,) (never binding when overflow is free)."""
    lu = pairs[w.line_order]  # (L, F)
    pot_units = np.zeros((w.F, w.K))
    for f in range(w.F):
        pot_units[f] = np.bincount(w.sku, weights=w.units * lu[:, f], minlength=w.K)
    pot_hours = np.where(pairs, w.hours, 0.0).sum(axis=0)
    bind_cap = (pot_hours > w.cap) if w.rate > 0 else np.zeros(w.F, dtype=bool)
    return pot_units > w.stock, bind_cap


def _reduce(w: _Wave) -> _Model:
    """Drop dominated pairs, fix the orders left with one sure option, keep binding rows.

    Pair ``(i, f)`` is *safe* if no stock row of ``f`` that order ``i`` uses is binding (then
    ``i`` can always move to ``f``); its *pessimistic* cost is ``c_if`` plus, if ``f``'s labor
    row is binding, the overflow cost of all its hours.  With ``D_i`` the least pessimistic
    cost of a safe pair, every other pair with ``c_ig >= D_i`` is dominated: moving ``i`` from
    ``g`` to that pair never costs more and stays feasible.  An order left with a single pair
    that is cheaper than waiting is fixed there (its hours still count against the labor row).
    Repeated while pairs disappear (fewer pairs can make more rows non-binding).
    """
    n, F = w.n, w.F
    rows_n = np.arange(n)
    pairs = w.useful.copy()
    for _ in range(5):
        bind_stock, bind_cap = _binding(w, pairs)
        touches = (_per_order_count(bind_stock[:, w.sku], w.ptr) > 0).T  # (n, F)
        pen = w.cost + np.where(bind_cap, w.rate * w.hours, 0.0)
        safe_pen = np.where(pairs & ~touches, pen, np.inf)
        fd = np.argmin(safe_pen, axis=1) if n else np.zeros(0, dtype=np.int64)
        d = safe_pen[rows_n, fd]
        new = pairs & (w.cost < d[:, None])
        has_d = np.isfinite(d)
        new[rows_n[has_d], fd[has_d]] = True
        if (new == pairs).all():
            break
        pairs = new
    bind_stock, bind_cap = _binding(w, pairs)
    count = pairs.sum(axis=1)
    only = np.argmax(pairs, axis=1) if n else np.zeros(0, dtype=np.int64)
    sure = (count == 1) & (w.unassigned >= d)  # one pair left, and waiting costs more
    base = np.where(sure, only, -1).astype(np.int64)
    rest = (count > 0) & ~sure
    const = float(w.cost[sure, only[sure]].sum()) + float(w.unassigned[~sure].sum())
    fixed_h = np.bincount(only[sure], weights=w.hours[sure, only[sure]], minlength=F)

    pi, pf = np.nonzero(pairs & rest[:, None])
    pi, pf = pi.astype(np.int64), pf.astype(np.int64)
    P, K = pi.size, w.K
    pid = np.full((n, F), -1, dtype=np.int64)
    pid[pi, pf] = np.arange(P)

    # stock rows still binding among the open pairs (the fixed orders use none of them)
    lines = np.flatnonzero(rest[w.line_order])
    lp = pid[w.line_order[lines]]  # (Lr, F)
    li, lf = np.nonzero((lp >= 0) & bind_stock[:, w.sku[lines]].T)
    key = lf * K + w.sku[lines[li]]
    srt = np.argsort(key, kind="stable")
    key, var, coef = key[srt], lp[li, lf][srt], w.units[lines[li]][srt]
    uk, first = np.unique(key, return_index=True)
    ptr = np.append(first, key.size).astype(np.int64)
    tot = np.add.reduceat(coef, first) if uk.size else np.zeros(0, dtype=np.int64)
    rhs = w.stock.ravel()[uk]
    keep_row = tot > rhs
    keep_entry = np.repeat(keep_row, np.diff(ptr))
    s_ptr = np.concatenate([[0], np.cumsum(np.diff(ptr)[keep_row])]).astype(np.int64)

    # labor rows, against the capacity the fixed orders leave
    c_rows, c_vars = [], []
    for f in np.flatnonzero(bind_cap).tolist():
        v = np.flatnonzero(pf == f)
        cap = float(w.cap[f]) - float(fixed_h[f])
        if float(w.hours[pi[v], f].sum()) > cap:
            c_rows.append((f, cap))
            c_vars.append(v)
        elif cap < 0:  # the fixed orders alone overflow
            const += w.rate * -cap
    c_ptr = np.concatenate([[0], np.cumsum([v.size for v in c_vars])]).astype(np.int64)
    return _Model(
        base_fc=base, rest=rest, const=const, pi=pi, pf=pf,
        rel=w.cost[pi, pf] - w.unassigned[pi], h=w.hours[pi, pf],
        s_ptr=s_ptr, s_var=var[keep_entry], s_coef=coef[keep_entry], s_rhs=rhs[keep_row],
        c_ptr=c_ptr,
        c_var=np.concatenate(c_vars).astype(np.int64) if c_vars else np.zeros(0, np.int64),
        c_cap=np.array([c for _, c in c_rows], dtype=np.float64),
        pairs=pairs,
    )


@dataclass
class _LP:
    x: NDArray[np.float64]  # (P,)
    z: float  # LP optimum in true units (a lower bound on the wave's optimum)
    d_low: NDArray[np.float64]  # (P,) reduced cost of pairs at 0 (>= 0)
    d_up: NDArray[np.float64]  # (P,) reduced cost of pairs at 1 (<= 0)


def _solve_lp(w: _Wave, md: _Model) -> _LP | None:
    """LP relaxation of the reduced model (HiGHS dual simplex through SciPy)."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_array

    P, R = md.P, md.c_ptr.size - 1
    order_row = np.cumsum(np.r_[True, md.pi[1:] != md.pi[:-1]]) - 1  # AMO row per pair
    n_amo = int(order_row[-1]) + 1
    n_s = md.s_ptr.size - 1
    s_rows = np.repeat(np.arange(n_s), np.diff(md.s_ptr))
    # cardinality cuts: a stock row of s units holds at most k orders, k = how many of its
    # smallest demands fit in s (valid for integer x; the LP alone would split orders)
    card_vars, card_rhs = [], []
    for r in range(n_s):
        co = md.s_coef[md.s_ptr[r]:md.s_ptr[r + 1]]
        if co.max() > 1:
            k = int(np.searchsorted(np.cumsum(np.sort(co)), md.s_rhs[r], side="right"))
            if k < co.size:
                card_vars.append(md.s_var[md.s_ptr[r]:md.s_ptr[r + 1]])
                card_rhs.append(k)
    n_k = len(card_rhs)
    k_rows = np.repeat(np.arange(n_k), [v.size for v in card_vars])
    c_rows = np.repeat(np.arange(R), np.diff(md.c_ptr))
    base = n_amo + n_s + n_k
    rows = np.concatenate([order_row, n_amo + s_rows, n_amo + n_s + k_rows, base + c_rows,
                           base + np.arange(R)])
    cols = np.concatenate([np.arange(P), md.s_var, *card_vars, md.c_var, P + np.arange(R)])
    vals = np.concatenate([np.ones(P), md.s_coef, np.ones(k_rows.size), md.h[md.c_var],
                           -np.ones(R)])
    a = csr_array((vals, (rows, cols)), shape=(base + R, P + R))
    b = np.concatenate([np.ones(n_amo), md.s_rhs, card_rhs, md.c_cap])
    c = np.concatenate([md.rel, np.full(R, w.rate)])
    bounds = np.zeros((P + R, 2))
    bounds[:P, 1] = 1.0
    bounds[P:, 1] = np.inf
    res = linprog(c, A_ub=a, b_ub=b, bounds=bounds, method="highs-ds")
    if res.status != 0:
        return None
    return _LP(np.clip(res.x[:P], 0.0, 1.0), md.const + float(res.fun),
               np.asarray(res.lower.marginals[:P]), np.asarray(res.upper.marginals[:P]))


def _solve_cpsat(
    w: _Wave, md: _Model, keep: NDArray[np.bool_], one: NDArray[np.bool_],
    hint: NDArray[np.int64], max_dt: float,
) -> tuple[NDArray[np.int64] | None, float, str]:
    """CP-SAT on the pairs ``keep`` with the pairs ``one`` fixed to 1 (all others to 0).

    Returns the assignment (``None`` if CP-SAT found none), a lower bound in true units valid
    for the reduced model (``-inf`` if none) and CP-SAT's status name.
    """
    from ortools.sat.python import cp_model, cp_model_helper  # heavy import, only when needed

    from sim.shipping import cp_sat_solver

    P = md.P
    fc = md.base_fc.copy()
    fc[md.pi[one]] = md.pf[one]
    var = keep & ~one & (fc[md.pi] < 0)
    const = md.const + float(md.rel[one].sum())
    vid = np.full(P, -1, dtype=np.int64)
    V = int(var.sum())
    vid[var] = np.arange(V)
    sel = np.flatnonzero(var)
    if V == 0:  # the fixings decide everything
        return fc, _evaluate(w, fc)[0], "OPTIMAL"

    # integer scales (see the module docstring)
    rel_v = md.rel[sel]
    h_units = np.floor(md.h * HOURS_SCALE).astype(np.int64)
    worst = float(np.abs(rel_v).sum()) + w.rate * float(md.h.sum()) + 1.0
    scale = COST_SCALE
    while worst * scale > _MAX_UNITS:
        scale /= 10.0
    coef_ov = math.floor(w.rate * scale / HOURS_SCALE)

    m = cp_model.CpModel()
    p = m.proto
    boolean = cp_model_helper.IntegerVariableProto()
    boolean.domain.extend([0, 1])
    p.variables.extend([boolean] * V)
    hint_x = (hint[md.pi[sel]] == md.pf[sel]).astype(np.int64)
    obj_vars, obj_coefs = list(range(V)), np.floor(rel_v * scale).astype(np.int64).tolist()
    hint_vars, hint_vals = list(range(V)), hint_x.tolist()

    vi = md.pi[sel]  # sorted
    cuts = np.flatnonzero(np.diff(vi)) + 1
    for a, b in zip(np.r_[0, cuts].tolist(), np.r_[cuts, V].tolist(), strict=True):
        if b - a > 1:
            p.constraints.add().at_most_one.literals.extend(range(a, b))

    for r in range(md.s_ptr.size - 1):
        e = slice(int(md.s_ptr[r]), int(md.s_ptr[r + 1]))
        v, co = md.s_var[e], md.s_coef[e]
        rhs = int(md.s_rhs[r]) - int(co[one[v]].sum())
        on = var[v]
        if int(co[on].sum()) <= rhs:
            continue
        lin = p.constraints.add().linear
        lin.vars.extend(vid[v[on]].tolist())
        lin.coeffs.extend(co[on].tolist())
        lin.domain.extend([min(0, rhs), rhs])

    if w.rate > 0:
        for r in range(md.c_ptr.size - 1):
            v = md.c_var[int(md.c_ptr[r]):int(md.c_ptr[r + 1])]
            on = var[v]
            cap = math.ceil(float(md.c_cap[r]) * HOURS_SCALE) - int(h_units[v[one[v]]].sum())
            hv = h_units[v[on]]
            total = int(hv.sum())
            if total <= cap:
                continue
            ov, ub = len(p.variables), total - cap
            p.variables.add().domain.extend([0, ub])
            lin = p.constraints.add().linear
            lin.vars.extend([*vid[v[on]].tolist(), ov])
            lin.coeffs.extend([*hv.tolist(), -1])
            lin.domain.extend([-ub, cap])
            obj_vars.append(ov)
            obj_coefs.append(coef_ov)
            hint_vars.append(ov)
            hint_vals.append(max(0, int(hv @ hint_x[vid[v[on]]]) - cap))

    p.objective.vars.extend(obj_vars)
    p.objective.coeffs.extend(obj_coefs)
    p.solution_hint.vars.extend(hint_vars)
    p.solution_hint.values.extend(hint_vals)

    solver = cp_sat_solver()  # leaves Ctrl-C to Python
    prm = solver.parameters
    prm.num_workers = 1
    prm.max_deterministic_time = max_dt
    prm.random_seed = 0
    prm.linearization_level = 2  # the LP of the assignment rows is what proves optimality
    st = solver.solve(m)
    bnd = solver.best_objective_bound
    lower = const + bnd / scale if math.isfinite(bnd) else -math.inf
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, lower if st != cp_model.INFEASIBLE else -math.inf, solver.status_name(st)
    x = np.asarray(solver.response_proto.solution, dtype=np.int64)[:V].astype(bool)
    fc[md.pi[sel[x]]] = md.pf[sel[x]]
    return fc, lower, solver.status_name(st)


# ---------------------------------------------------------------------------------- main entry


def assign_wave(
    cost: ArrayLike,
    hours: ArrayLike,
    capacity_h: ArrayLike,
    line_ptr: ArrayLike,
    line_sku: ArrayLike,
    line_units: ArrayLike,
    stock: ArrayLike,
    *,
    overflow_cost_per_h: float,
    unassigned_cost: float | ArrayLike,
    max_deterministic_time: float = 0.0,
) -> WaveResult:
    """Assign a wave of orders to FCs at least total cost (see the module docstring).

    Parameters
    ----------
    cost : array (n, F) of float
        Landed cost of shipping order ``i`` whole from FC ``f``; ``inf`` = not allowed
        (promise, zone...).  No NaN or ``-inf``.
    hours : array (n, F) of float
        Labor hours order ``i`` needs at FC ``f`` (finite and >= 0 where ``cost`` is finite;
        ignored elsewhere).
    capacity_h : array (F,) of float
        Labor hours each FC has free for this wave (>= 0; ``inf`` = unlimited).
    line_ptr, line_sku, line_units : arrays (n+1,), (L,), (L,) of int
        Order lines in CSR form: order ``i``'s lines are ``line_ptr[i]:line_ptr[i+1]``.  A SKU
        may appear on several lines of an order (the units add up).  Units >= 1.
    stock : array (F, K) of int
        Units on hand and unallocated, ``K`` > every ``line_sku``.
    overflow_cost_per_h : float, keyword-only
        Cost of each labor hour beyond ``capacity_h`` (soft capacity; finite, >= 0; use a large
        value for an almost hard limit).
    unassigned_cost : float or array (n,), keyword-only
        Cost of leaving an order for a later wave.  Meant to exceed any assignment cost (then
        orders are left only for lack of stock); an order costing more than this everywhere
        is left.
    max_deterministic_time : float, default 0.0
        Work limit of the optional CP-SAT step, in CP-SAT's deterministic time units (a
        count of work, independent of the machine and its load; on the 2-core CI machine
        about 10 ms + 3-7 s of wall time per unit).  ``0`` (the default) skips CP-SAT: the
        answer is the LP-rounded solution, ``"OPTIMAL"`` only if the LP bound proves it.
        With a positive limit CP-SAT runs on what reduced-cost fixing leaves, and the best
        solution found is returned (``"OPTIMAL"`` if CP-SAT proves it).

    Returns
    -------
    WaveResult

    Raises
    ------
    ValueError
        Wrong shapes, NaN, negative capacity/stock/hours, SKU out of range, bad ``line_ptr``.
    """
    if not (math.isfinite(max_deterministic_time) and max_deterministic_time >= 0):
        raise ValueError(f"max_deterministic_time must be >= 0, got {max_deterministic_time}")
    w = _prepare(cost, hours, capacity_h, line_ptr, line_sku, line_units, stock,
                 overflow_cost_per_h, unassigned_cost)
    lower = float(w.lower.sum())
    if _is_trivial(w):
        return _result(w, w.best_f, lower, "TRIVIAL")
    md = _reduce(w)
    if md.P == 0:  # every order fixed: the reduction alone is optimal
        return _result(w, md.base_fc, math.inf, "OPTIMAL")

    lp = _solve_lp(w, md)
    best: NDArray[np.int64] | None = None
    if lp is not None:
        lower = max(lower, lp.z)
        # LP rounding: keep the orders the LP sends whole, complete greedily, improve
        start = md.base_fc.copy()
        whole = lp.x > 1.0 - 1e-6
        start[md.pi[whole]] = md.pf[whole]
        if _stock_ok(w, start):
            best = _improve(w, _greedy_fc(w, start), md.pairs)
    if best is None:  # no LP (numerical trouble): greedy from scratch
        best = _improve(w, _greedy_fc(w, md.base_fc), md.pairs)
    best_obj, _ = _evaluate(w, best)
    keep, one = np.ones(md.P, dtype=bool), np.zeros(md.P, dtype=bool)
    if lp is not None:
        gap = best_obj - lp.z
        tol = _LP_TOL * max(1.0, abs(best_obj))
        if gap <= tol:
            return _result(w, best, lower, "OPTIMAL")
        # reduced-cost fixing: a pair whose reduced cost exceeds the gap is in no solution
        # better than ``best`` (at 0: it stays 0; at 1: it stays 1)
        keep = ~((lp.x <= 1e-9) & (lp.d_low > gap + tol))
        one = (lp.x >= 1.0 - 1e-9) & (-lp.d_up > gap + tol)
    if max_deterministic_time == 0:
        return _result(w, best, lower, "FEASIBLE")

    fc, cp_lower, st = _solve_cpsat(w, md, keep, one, best, max_deterministic_time)
    lower = max(lower, cp_lower)
    status = "OPTIMAL" if st == "OPTIMAL" else "FEASIBLE"
    if fc is not None and _stock_ok(w, fc):
        obj, _ = _evaluate(w, fc)
        if obj <= best_obj:
            best = fc
    return _result(w, best, lower, status)
