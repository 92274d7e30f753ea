"""Lagrangian reduced-cost fixing, and the monolithic MIP restricted to what it leaves open:
how the decomposition closes its gap on small instances (``docs/placement.md``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optimize.placement.columns import _Duals
from optimize.placement.decomposition import _Decomposition
from optimize.placement.mip import _build_mip, _read_assignment
from optimize.placement.model_builder import _solve_mb
from optimize.placement.problem import BoolArray, IntArray


def _fixings(dec: _Decomposition, u: _Duals, delta: float) -> tuple[BoolArray, NDArray[np.int8]]:
    """Which variables of the monolithic MIP can still differ from 0 / 1 in a solution
    better than the incumbent (Lagrangian reduced-cost fixing).

    A solution costing less than ``L(u) + delta`` picks, for every SKU, a column whose
    reduced cost at ``u`` is within ``delta`` of the SKU's least.  The least reduced cost
    of a column with ``x_kfr = 1`` is ``a_fr + min over S containing f of
    (total(S) - min_{g in S} a_gr)``; if that is more than ``delta`` above the least,
    ``x_kfr = 0``.  Likewise ``y_fk`` is fixed to 0 (1) when every subset with (without)
    ``f`` is too expensive.  Returns ``x_free`` (E, F) over the demanded pairs in
    ``np.nonzero(has_demand)`` order and ``y_state`` (F, K): -1 free, 0 or 1 fixed.
    """
    F, K, R = dec.F, dec.K, dec.R
    nm = 1 << F
    member = ((np.arange(nm)[:, None] >> np.arange(F)[None, :]) & 1).astype(bool)
    member[0] = False
    x_ok = np.zeros((K, F, R), bool)
    y_state = np.full((F, K), -1, np.int8)
    step = max(1, 4_000_000 // (nm * R))
    for s0 in range(0, K, step):
        ks = slice(s0, min(K, s0 + step))
        a, phi = dec._reduced(ks, u)
        n = a.shape[0]
        total = dec._subset_totals(a, phi)
        rcmin = total.min(axis=1)
        limit = rcmin + delta + 1e-9 * (np.abs(rcmin) + 1.0)
        m = np.empty((n, nm, R))
        m[:, 0] = np.inf
        for S in range(1, nm):
            low = S & -S
            f = low.bit_length() - 1
            m[:, S] = a[:, f] if S == low else np.minimum(m[:, S ^ low], a[:, f])
        with np.errstate(invalid="ignore"):
            t = total[:, :, None] - m
        t[:, 0] = np.inf
        for f in range(F):
            best = t[:, member[:, f]].min(axis=1)  # (n, R)
            x_ok[ks, f] = a[:, f] + best <= limit[:, None]
            with_f = total[:, member[:, f]].min(axis=1)
            without = total[:, ~member[:, f] & (np.arange(nm) > 0)].min(axis=1,
                                                                      initial=np.inf)
            y_state[f, ks] = np.where(with_f > limit, 0, np.where(without > limit, 1, -1))
    kk, rr = np.nonzero(dec.d.has_demand)
    return x_ok[kk, :, rr], y_state


def _reduced_mip(dec: _Decomposition, state: dict[str, Any], incumbent: IntArray | None,
                 deadline: float, offer: Callable[[IntArray], None],
                 max_triples: int = 20_000_000, max_open: int = 20_000) -> None:
    """The monolithic MIP restricted to the variables that reduced-cost fixing leaves open
    (every solution better than the incumbent lies in it): exact where it is small, as on
    instances of a few dozen SKUs; skipped when more than ``max_open`` assignment variables
    stay open (tail SKUs with tiny demand leave almost all open at 1,000 SKUs)."""
    ub = float(state["ub"])
    if incumbent is None or dec.K * (1 << dec.F) * dec.R > max_triples:
        return
    x_free, y_state = _fixings(dec, dec.best_u, ub - dec.best_lb)
    n_open = x_free.sum(axis=1)
    if int(n_open[n_open > 1].sum()) > max_open:
        return
    try:
        mm = _build_mip(dec.d, x_free, y_state, hint=incumbent)
    except ValueError:  # pragma: no cover - the incumbent's own pairs are never fixed
        return
    out = _solve_mb(mm.model, dec.master_solver, deadline - time.perf_counter(),
                    dec.gap_tol / 10, dec.threads, dec.verbose)
    if out.values is not None:
        offer(_read_assignment(mm, out.values, dec.K, dec.R))
    if out.status == "INFEASIBLE":
        state["lb"] = max(state["lb"], state["ub"])  # nothing beats the incumbent
    elif not math.isnan(out.bound):
        state["lb"] = max(state["lb"], min(state["ub"], out.bound + mm.constant))
