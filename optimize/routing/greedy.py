"""The heuristic: regret-ordered greedy assignment, then local search (single moves and
ejections).  :func:`assign_wave_greedy` is it alone; :func:`~optimize.routing.assign_wave`
uses it to complete and improve the LP's rounding."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optimize.routing.model import WaveResult, _is_trivial, _prepare, _result, _Wave

__all__ = ["assign_wave_greedy"]


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
    (single moves and ejections, see ``docs/routing.md``).  Respects stock; capacity is soft
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
