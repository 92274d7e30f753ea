"""Placements from the decomposition's columns: rounding the master LP, greedy repair of what
rounding violates, and the integer master over the columns reduced costs leave
(``docs/placement.md``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from optimize.placement.columns import _Columns, _Use
from optimize.placement.decomposition import _Decomposition
from optimize.placement.problem import FloatArray, IntArray


def _round_lambda(dec: _Decomposition, lam: FloatArray) -> IntArray:
    """The column with the largest weight for every SKU (columns added after the LP: 0)."""
    lam = np.concatenate([lam, np.zeros(len(dec.pool) - len(lam))])
    order = np.lexsort((-lam, dec.pool.sku))
    sku_sorted = dec.pool.sku[order]
    first = np.ones(len(order), bool)
    first[1:] = sku_sorted[1:] != sku_sorted[:-1]
    choice = np.full(dec.K, -1, np.int64)
    choice[sku_sorted[first]] = order[first]
    return choice


def _feasible_choice(dec: _Decomposition, choice: IntArray) -> bool:
    return _feasible_choice_cols(dec, dec.pool, choice)


def _feasible_choice_cols(dec: _Decomposition, cols: _Columns, choice: IntArray) -> bool:
    if len(choice) != dec.K or (choice < 0).any():
        return False
    c = cols.take(choice)
    d = dec.d
    if d.vcap is not None and (c.vol.sum(axis=0) > d.vcap * (1 + 1e-9) + 1e-9).any():
        return False
    if d.scap is not None and (c.slots(dec.F).sum(axis=0) > d.scap + 1e-9).any():
        return False
    if d.tcap is not None and (c.thr.sum(axis=0) > d.tcap * (1 + 1e-9) + 1e-9).any():
        return False
    return not (d.alpha is not None
                and c.serv.sum() < d.alpha * d.total_demand * (1 - 1e-9) - 1e-12)


def _repair(dec: _Decomposition, choice: IntArray, deadline: float = math.inf) -> IntArray | None:
    """Greedy: while a capacity or the service target is violated, switch the SKU whose
    move to another pool column removes the most (relative) violation per extra dollar.
    Gives up (None) at ``deadline``: each move scans the pool, and rounding that breaks
    the throughput rows of a large instance can take hundreds of moves."""
    d = dec.d
    F = dec.F
    pool = dec.pool
    use = pool.use(F)
    vcap = np.maximum(d.vcap, 1e-9) if d.vcap is not None else None
    scap = np.maximum(d.scap, 1e-9) if d.scap is not None else None
    tcap = np.maximum(d.tcap, 1e-9) if d.tcap is not None else None
    target = d.alpha * d.total_demand if d.alpha is not None else None

    def violation(x: _Use) -> FloatArray:
        v = np.zeros(x.vol.shape[:-1])
        for have, cap in ((x.vol, vcap), (x.slot, scap), (x.thr, tcap)):
            if cap is not None:
                v += (np.maximum(0.0, have - cap) / cap).sum(axis=-1)
        if target is not None:
            v += np.maximum(0.0, target - x.serv) / max(d.total_demand, 1e-9)
        return v

    choice = choice.copy()
    for _ in range(2 * dec.K + 100):
        if time.perf_counter() > deadline:
            return None
        cur = use.take(choice).total()
        now = float(violation(cur))
        if now <= 1e-12:
            return choice
        old = choice[pool.sku]
        new_v = violation(cur + use - use.take(old))
        gain = now - new_v
        cand = gain > 1e-12
        if not cand.any():
            return None
        dcost = np.maximum(pool.cost - pool.cost[old], 0.0)
        ratio = np.where(cand, dcost / np.where(cand, gain, 1.0), np.inf)
        j = int(np.argmin(ratio))
        choice[pool.sku[j]] = j
    return None


def _primal(dec: _Decomposition, lam: FloatArray,
            deadline: float = math.inf) -> IntArray | None:
    """Round the master solution (largest weight per SKU), repairing violations greedily
    until ``deadline``; the chosen pool column per SKU, or None."""
    if not len(lam):
        return None
    choice = _round_lambda(dec, lam)
    if _feasible_choice(dec, choice):
        return choice
    return _repair(dec, choice, deadline)


def _integer_master_phase(dec: _Decomposition, ub: float, hint: IntArray | None,
                          deadline: float,
                          offer: Callable[[_Columns, IntArray | None], None]) -> None:
    """Integer master (one pool column per SKU, binary) over the columns that reduced costs
    leave: a column whose reduced cost at the best multipliers exceeds its SKU's least by
    more than ``UB - LB`` cannot be in a better solution (SKUs left with one are fixed)."""
    rc_pool = dec.reduced_costs(dec.pool, dec.best_u)
    excess = rc_pool - dec.lb_rc[dec.pool.sku]
    delta = ub - dec.best_lb if ub < math.inf else math.inf
    keep = excess <= delta + 1e-9 * (abs(ub) if ub < math.inf else 1.0)
    keep_idx = np.nonzero(keep)[0]
    sub = dec.pool.take(keep_idx)
    sub_hint = np.searchsorted(keep_idx, hint) if hint is not None and keep[hint].all() \
        else None
    left = deadline - time.perf_counter()
    _, ch, _ = dec.integer_master(sub, left * (0.5 if ub == math.inf else 0.4), sub_hint)
    offer(sub, ch)
