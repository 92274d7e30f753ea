"""Branch and price: the decomposition's last way to close its gap, branching on ``y_fk``,
then ``x_kfr`` (``docs/placement.md``)."""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from optimize.placement.columns import _Columns, _Duals, _Restriction
from optimize.placement.decomposition import _column_generation, _Decomposition
from optimize.placement.primal import _primal
from optimize.placement.problem import BoolArray, FloatArray, IntArray


def _compatible(dec: _Decomposition, cols: _Columns) -> BoolArray:
    """Columns that obey the current node's restrictions."""
    ok = np.ones(len(cols), bool)
    for k, rule in dec.restr.items():
        mine = cols.sku == k
        good = ((cols.mask & rule.must_in) == rule.must_in) & ((cols.mask & rule.must_out)
                                                                == 0)
        for r, f, served in rule.x_fixed:
            good &= (cols.assign[:, r] == f) if served else (cols.assign[:, r] != f)
        ok &= ~mine | good
    return ok


def _branching(dec: _Decomposition, lam: FloatArray) -> list[dict[int, _Restriction]] | None:
    """Two children restricting the most fractional ``y_fk`` of the master solution (else
    the most fractional ``x_kfr``); None if the solution is integral."""
    pool = dec.pool
    frac_cols = np.nonzero((lam > 1e-9) & (lam < 1 - 1e-9))[0]
    if not len(frac_cols):
        return None
    skus = np.unique(pool.sku[frac_cols])
    best: tuple[float, int, int, int] | None = None  # (distance to 1/2, k, f, r or -1)
    for k in skus.tolist():
        cols = np.nonzero((pool.sku == k) & (lam > 1e-12))[0]
        w = lam[cols]
        y = (((pool.mask[cols, None] >> np.arange(dec.F)[None, :]) & 1) * w[:, None]
             ).sum(axis=0)
        for f in range(dec.F):
            if 1e-6 < y[f] < 1 - 1e-6 and (best is None or abs(y[f] - 0.5) < best[0]):
                best = (abs(float(y[f]) - 0.5), k, f, -1)
    if best is None:
        for k in skus.tolist():
            cols = np.nonzero((pool.sku == k) & (lam > 1e-12))[0]
            w = lam[cols]
            for f in range(dec.F):
                x = ((pool.assign[cols] == f) * w[:, None]).sum(axis=0)
                x[~dec.d.has_demand[k]] = 0.0
                r = int(np.argmin(np.abs(x - 0.5)))
                if 1e-6 < x[r] < 1 - 1e-6 and (best is None or abs(x[r] - 0.5) < best[0]):
                    best = (abs(float(x[r]) - 0.5), k, f, r)
    if best is None:
        return None
    _, k, f, r = best
    rule = dec.restr.get(k, _Restriction())
    if r < 0:
        return [{**dec.restr, k: rule.add(must_in=1 << f)},
                {**dec.restr, k: rule.add(must_out=1 << f)}]
    return [{**dec.restr, k: rule.add(x=(r, f, True))},
            {**dec.restr, k: rule.add(x=(r, f, False))}]


def _branch_and_price(dec: _Decomposition, state: dict[str, Any],
                      offer: Callable[[_Columns, IntArray | None], None], deadline: float,
                      lp_tol: float, gap_tol: float, max_iterations: int,
                      report: Callable[[str, int], None], it: int) -> None:
    """Close the remaining gap by branch and price (best bound first).

    A node restricts a few SKUs: FCs that must (not) stock it, regions that must (not) go to
    an FC.  Both fit the pricing (forbidden choices get a huge reduced cost; subsets lacking
    a required FC are skipped), so every node has an exact Lagrangian bound.  Branching is on
    the most fractional ``y_fk`` of the master solution, else on the most fractional
    ``x_kfr``.  The global bound is the least bound of the open nodes; it replaces the root
    bound in ``state["lb"]`` as nodes close.
    """
    full = dec.pool
    counter = itertools.count()
    heap: list[tuple[float, int, dict[int, _Restriction], _Duals]] = [
        (dec.best_lb, next(counter), {}, dec.best_u)]
    closed = math.inf  # least bound of the nodes closed so far (pruned or solved)

    def done(bound: float) -> bool:
        # without an incumbent nothing is done (inf - bound <= inf would close every node)
        ub = state["ub"]
        return ub < math.inf and ub - bound <= max(gap_tol, 1e-9) * abs(ub)

    state["tree"] = True
    try:
        while heap and time.perf_counter() < deadline:
            state["lb"] = min(closed, heap[0][0], state["ub"])
            bound, _, restr, u_parent = heapq.heappop(heap)
            if done(bound):
                closed = min(closed, bound)
                continue
            # the node: compatible pool columns, bound at the parent's multipliers, then CG
            dec.restr = restr
            dec.pool = full.take(np.nonzero(_compatible(dec, full))[0])
            n_old = len(dec.pool)
            dec.last_support = np.zeros(0, np.int64)
            dec.n_alt = 1
            lb, cols, rc = dec.price(u_parent)
            dec.best_lb, dec.best_u, dec.lb_rc = max(lb, bound), u_parent, rc
            dec.add_columns(cols, rc, u_parent)
            branched = reopen = False
            if not done(dec.best_lb):
                cg = _column_generation(
                    dec, deadline, lp_tol, max_iterations + it, report, it, escalate=False,
                    stop_bound=(state["ub"] - max(gap_tol, 1e-9) * abs(state["ub"])
                                if state["ub"] < math.inf else math.inf))
                it = cg.iterations
                if done(dec.best_lb):
                    pass  # the bound rose above the incumbent during column generation
                elif cg.converged and cg.slack.max(initial=0.0) > 1e-9:
                    dec.best_lb = math.inf  # no placement obeys this node's rules
                elif cg.failed or not cg.converged or not len(cg.lam):
                    reopen = True  # out of time inside the node: it stays open
                else:
                    offer(dec.pool, _primal(dec, cg.lam, deadline))
                    if not done(dec.best_lb):
                        children = _branching(dec, cg.lam) or []
                        for child in children:
                            heapq.heappush(heap, (dec.best_lb, next(counter), child,
                                                  dec.best_u))
                        branched = bool(children)
                        # no children: the LP is integral and its solution was offered above
            if reopen:
                heapq.heappush(heap, (dec.best_lb, next(counter), restr, dec.best_u))
            elif not branched:
                closed = min(closed, dec.best_lb)
            full.extend(dec.pool.take(np.arange(n_old, len(dec.pool))))
            report("branch and price", it)
            if reopen:
                break  # out of time (or the LP failed): the open nodes keep the bound
        state["lb"] = min(closed, min((h[0] for h in heap), default=math.inf), state["ub"])
    finally:
        dec.restr = {}
        dec.pool = full
