"""Lagrangian relaxation of the demand constraints of the capacitated facility-location problem.

Relaxing ``sum_i x_ij = 1`` with multipliers ``u_j`` splits the strong formulation (see
:mod:`optimize.facility`) by warehouse.  For warehouse ``i`` opened, the best use of it is a
*continuous knapsack*::

    K_i(u) = min  sum_j (c_ij - u_j) x_ij   s.t.  sum_j d_j x_ij <= s_i,  0 <= x_ij <= 1

solved in closed form: take the customers with negative reduced cost in increasing order of
``(c_ij - u_j) / d_j`` until the capacity is used up (the last one fractionally).  With
``rho_i = f_i + K_i(u)`` the Lagrangian bound is::

    L(u) = sum_j u_j + min { sum_i rho_i y_i : sum_i s_i y_i >= D, y binary, fixings }

The total-capacity cover constraint ``sum_i s_i y_i >= D`` is kept in the subproblem, which
makes the bound stronger than the LP relaxation of the strong formulation.  With equal
capacities (OR-Library capa/capb/capc, most real candidate sets are not) it says "open at least
``k = ceil(D / s)`` warehouses" and is solved exactly by sorting; with unequal capacities its
LP relaxation (greedy by ``rho_i / s_i``) is used, still a valid bound.

Every ``L(u)`` is a valid lower bound on the optimum, for any ``u``.  That is what makes the
reduced-cost tests of :func:`fixing_tests` sound: if even the bound with ``y_i`` forced to 1
exceeds a known solution's cost, no better solution opens ``i``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimize.orlib import FacilityProblem

__all__ = [
    "CoverKnapsack",
    "LagrangianState",
    "fixing_tests",
    "knapsack_values",
    "lagrangian_bound",
    "subgradient",
]

Float = NDArray[np.float64]
Bool = NDArray[np.bool_]


def knapsack_values(reduced: Float, demands: Float, capacities: Float
                    ) -> tuple[Float, Float]:
    """Solve the continuous knapsack of every warehouse at once.

    Parameters
    ----------
    reduced : (m, n) reduced costs ``c_ij - u_j``
    demands : (n,) customer demands (zero allowed)
    capacities : (m,)

    Returns
    -------
    values : (m,) ``K_i(u)`` (<= 0)
    x : (m, n) the optimal fractions
    """
    m, n = reduced.shape
    neg = reduced < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(neg, reduced / np.where(demands > 0, demands, 1.0)[None, :], np.inf)
    ratio[neg & (demands <= 0)[None, :]] = -np.inf  # free profit: costs no capacity
    order = np.argsort(ratio, axis=1, kind="stable")
    rs = np.take_along_axis(reduced, order, axis=1)
    ds = demands[order]
    negs = rs < 0
    dn = np.where(negs, ds, 0.0)
    cum = np.cumsum(dn, axis=1)
    cap = capacities[:, None]
    full = negs & (cum <= cap * (1 + 1e-12))
    before = cum - dn
    part = negs & ~full & (before < cap)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(part, (cap - before) / np.where(dn > 0, dn, 1.0), 0.0)
    xs = np.where(full, 1.0, np.clip(frac, 0.0, 1.0))
    values = (rs * xs).sum(axis=1)
    x = np.empty((m, n))
    np.put_along_axis(x, order, xs, axis=1)
    return values, x


@dataclass
class CoverKnapsack:
    """``min sum_i rho_i y_i  s.t.  sum_i s_i y_i >= D`` (and ``sum_i y_i <= K``), ``y``
    binary with fixings: the part of the Lagrangian subproblem that couples warehouses.

    Exact when the free warehouses' capacities are equal (then both constraints are counts:
    open between ``k_min`` and ``K`` of them).  With unequal capacities it returns the larger
    of two relaxations, each a valid lower bound: the LP relaxation of the cover constraint
    alone (greedy by ``rho_i / s_i``), and the cardinality constraint alone (exact).
    A value of ``+inf`` means no ``y`` satisfies the fixings.
    """

    capacities: Float
    demand: float
    max_open: int | None = None

    def solve(self, rho: Float, fixed_open: Bool, fixed_closed: Bool) -> tuple[float, Float]:
        """Value and (possibly fractional) ``y``."""
        s = self.capacities
        free = ~(fixed_open | fixed_closed)
        n_open = int(fixed_open.sum())
        k_max = self.max_open if self.max_open is not None else len(s)
        room = k_max - n_open
        if room < 0 or float(s[~fixed_closed].sum()) < self.demand - 1e-9:
            return np.inf, fixed_open.astype(np.float64)
        need = self.demand - float(s[fixed_open].sum())
        cand = np.flatnonzero(free)
        order = cand[np.argsort(rho[cand], kind="stable")]
        sc = s[cand]
        uniform = len(cand) == 0 or np.ptp(sc) <= 1e-9 * max(1.0, float(sc.max()))
        if uniform:
            k_min = 0 if need <= 1e-9 else int(np.ceil(need / sc[0] - 1e-9))
            if k_min > min(room, len(cand)):
                return np.inf, fixed_open.astype(np.float64)
            k = min(room, int((rho[order] < 0).sum()))
            k = max(k, k_min)
            y = fixed_open.astype(np.float64)
            y[order[:k]] = 1.0
            return float(rho @ y), y
        # cardinality alone (exact)
        y_card = fixed_open.astype(np.float64)
        neg = order[rho[order] < 0][:room]
        y_card[neg] = 1.0
        # cover alone (LP relaxation, greedy)
        y_cov = fixed_open.astype(np.float64)
        take = free & (rho < 0)
        y_cov[take] = 1.0
        short = self.demand - float(s @ y_cov)
        if short > 1e-9:
            rest = np.flatnonzero(free & ~take)
            rest = rest[np.argsort(rho[rest] / np.maximum(s[rest], 1e-300), kind="stable")]
            cum = np.cumsum(s[rest])
            nfull = int(np.searchsorted(cum, short - 1e-9))
            y_cov[rest[:nfull]] = 1.0
            if nfull < len(rest):
                before = float(cum[nfull - 1]) if nfull else 0.0
                y_cov[rest[nfull]] = min(1.0, (short - before) / s[rest[nfull]])
        v_card, v_cov = float(rho @ y_card), float(rho @ y_cov)
        return (v_card, y_card) if v_card >= v_cov else (v_cov, y_cov)


@dataclass
class LagrangianState:
    """Outcome of :func:`subgradient`.

    ``bound`` is a lower bound on every solution cheaper than the cutoff in force when it was
    computed (so ``min(bound, incumbent)`` is a global lower bound); ``closed`` / ``opened``
    are the warehouses proven closed / open in every solution cheaper than the incumbent.
    """

    bound: float
    u: Float
    closed: Bool
    opened: Bool
    iterations: int
    y_average: Float  # smoothed relaxation y (a primal estimate that guides branching)


def fixing_tests(base: float, rho: Float, y: Float, cover: CoverKnapsack,
                 fixed_open: Bool, fixed_closed: Bool, cutoff: float) -> tuple[Bool, Bool]:
    """Warehouses that must be closed / opened in any solution costing less than ``cutoff``.

    ``base = sum_j u_j``.  For each free warehouse the coupling knapsack is re-solved with its
    ``y`` forced to the other value; if ``base + value >= cutoff``, that value is excluded.
    """
    m = len(rho)
    close = np.zeros(m, bool)
    open_ = np.zeros(m, bool)
    if not np.isfinite(cutoff):
        return close, open_
    for i in np.flatnonzero(~(fixed_open | fixed_closed)):
        if y[i] < 1.0 - 1e-9:  # force open
            fo = fixed_open.copy()
            fo[i] = True
            if base + cover.solve(rho, fo, fixed_closed)[0] >= cutoff:
                close[i] = True
        if y[i] > 1e-9:  # force closed
            fc = fixed_closed.copy()
            fc[i] = True
            if base + cover.solve(rho, fixed_open, fc)[0] >= cutoff:
                open_[i] = True
    return close, open_


def lagrangian_bound(problem: FacilityProblem, u: Float, cover: CoverKnapsack,
                     fixed_open: Bool, fixed_closed: Bool
                     ) -> tuple[float, Float, Float, Float]:
    """``L(u)`` with its ``rho``, coupling ``y`` and knapsack ``x`` (only warehouses not
    fixed closed are computed; the others get ``rho = 0`` and ``x = 0``, and ``y = 0``)."""
    rows = np.flatnonzero(~fixed_closed)
    if len(rows) == problem.m:
        kv, x = knapsack_values(problem.costs - u[None, :], problem.demands,
                                problem.capacities)
        rho = problem.fixed_costs + kv
    else:
        kv_r, x_r = knapsack_values(problem.costs[rows] - u[None, :], problem.demands,
                                    problem.capacities[rows])
        rho = np.zeros(problem.m)
        rho[rows] = problem.fixed_costs[rows] + kv_r
        x = np.zeros((problem.m, problem.n))
        x[rows] = x_r
    val, y = cover.solve(rho, fixed_open, fixed_closed)
    return float(u.sum()) + val, rho, y, x


def subgradient(problem: FacilityProblem, u0: Float, cutoff_fn: Callable[[], float], *,
                max_open: int | None = None, fixed_open: Bool | None = None,
                fixed_closed: Bool | None = None, max_iter: int = 600, step0: float = 2.0,
                patience: int = 25, min_step: float = 1e-4, fix_every: int = 5,
                target_gap: float = 1e-7, deadline: float = np.inf,
                on_y: Callable[[Float, Float], None] | None = None) -> LagrangianState:
    """Maximise ``L(u)`` by subgradient steps (Polyak step towards the incumbent's cost).

    ``cutoff_fn()`` returns the current incumbent cost (``inf`` if none); it may fall while
    we iterate, when ``on_y(y, x)`` (called every iteration with the relaxation's solution)
    turns the relaxation's ``y`` into a better solution.  Fixings found with any multipliers
    are kept, since every ``L(u)`` is a valid bound; ``fixed_open`` / ``fixed_closed`` are
    fixings given (a branch-and-bound node).  Stops after ``max_iter`` iterations, when
    the step has been halved below ``min_step``, at ``deadline`` (``time.perf_counter()``), or
    when the bound is within ``target_gap`` of the cutoff.
    """
    m = problem.m
    cover = CoverKnapsack(problem.capacities, float(problem.demands.sum()), max_open)
    fo = np.zeros(m, bool) if fixed_open is None else fixed_open.copy()
    fc = np.zeros(m, bool) if fixed_closed is None else fixed_closed.copy()
    u = u0.astype(np.float64).copy()
    y_avg = np.full(m, np.nan)
    best, best_u = -np.inf, u.copy()
    step, stall, it = step0, 0, 0
    for it in range(1, max_iter + 1):
        lb, rho, y, x = lagrangian_bound(problem, u, cover, fo, fc)
        if not np.isfinite(lb):
            best = lb  # fixings leave no solution cheaper than the incumbent
            break
        ub = cutoff_fn()
        if lb > best + 1e-12 * abs(lb):
            best, best_u, stall = lb, u.copy(), 0
        else:
            stall += 1
            if stall >= patience:
                step, stall = step * 0.5, 0
        y_avg = y.copy() if np.isnan(y_avg[0]) else 0.9 * y_avg + 0.1 * y
        if on_y is not None:
            on_y(y, x)
            ub = cutoff_fn()
        if it % fix_every == 0 or it == 1:
            cl, op = fixing_tests(float(u.sum()), rho, y, cover, fo, fc, ub)
            fc |= cl
            fo |= op
        closed = np.isfinite(ub) and ub - lb <= target_gap * abs(ub)
        if closed or step < min_step or time.perf_counter() > deadline:
            break
        g = 1.0 - (y[:, None] * x).sum(axis=0)
        gg = float(g @ g)
        if gg <= 1e-18:
            break  # the relaxation's solution is feasible, hence optimal for these fixings
        target = ub if np.isfinite(ub) else lb + 0.05 * max(abs(lb), 1.0)
        u += step * max(target - lb, 1e-9 * abs(target)) / gg * g
    # final fixing pass with the best multipliers and the final incumbent
    lb, rho, y, _ = lagrangian_bound(problem, best_u, cover, fo, fc)
    if np.isfinite(lb):
        cl, op = fixing_tests(float(best_u.sum()), rho, y, cover, fo, fc, cutoff_fn())
        fc |= cl
        fo |= op
    else:
        best = max(best, lb)
    if np.isnan(y_avg[0]):
        y_avg = fo.astype(np.float64)
    return LagrangianState(bound=best, u=best_u, closed=fc, opened=fo, iterations=it,
                           y_average=y_avg)
