"""The exact reduction: dominated pairs dropped, orders with one sure option fixed, and only
the stock and labor rows that can still bind kept, as sparse rows over the remaining pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimize.routing.model import _per_order_count, _Wave


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
