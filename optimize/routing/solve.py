"""The main entry: :func:`assign_wave` goes from the trivial bound through the reduction and
the LP relaxation to the optional CP-SAT polish, stopping as soon as optimality is proven."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optimize.routing.cpsat import _solve_cpsat
from optimize.routing.greedy import _greedy_fc, _improve
from optimize.routing.lp import _solve_lp
from optimize.routing.model import (
    WaveResult,
    _evaluate,
    _is_trivial,
    _prepare,
    _result,
    _separable,
    _stock_ok,
)
from optimize.routing.reduction import _reduce

__all__ = ["assign_wave"]

_LP_TOL = 1e-7  # relative: an incumbent this close to the LP bound is called optimal


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
    """Assign a wave of orders to FCs at least total cost (see ``docs/routing.md``).

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
    if w.rate > 0 and not w.cap.any():  # no labor free anywhere: every hour is overflow
        found = _separable(w)
        if found is not None:
            return _result(w, found[0], max(lower, found[1]), "OPTIMAL")
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
