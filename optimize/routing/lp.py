"""The LP relaxation of the reduced wave (HiGHS dual simplex through SciPy), with cardinality
cuts on the stock rows: its optimum is the bound, its solution the start of the rounding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimize.routing.model import _Wave
from optimize.routing.reduction import _Model


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
