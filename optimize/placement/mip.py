"""The monolithic placement MIP (``method="mip"``), built from sparse arrays; also, with
variables fixed, the reduced MIP that closes a decomposition's gap.  The model:
``docs/placement.md``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from optimize.placement.evaluate import _Data, _empty_result, _result, _stocked
from optimize.placement.feasibility import _TOGETHER
from optimize.placement.model_builder import _SOLVER_NAMES, _load, _solve_mb, mbh
from optimize.placement.problem import (
    BoolArray,
    FloatArray,
    InfeasiblePlacement,
    IntArray,
    PlacementProblem,
    PlacementProgress,
    PlacementResult,
    ProgressFn,
)


@dataclass
class _MipModel:
    """A (possibly reduced) monolithic MIP and how to read an assignment from its values."""

    model: Any
    kk: IntArray  # SKU of each demanded SKU-region pair e
    rr: IntArray  # region of e
    xvar: IntArray  # (E, F) variable index of x[e, f], -1 if fixed
    xfix: BoolArray  # (E, F) x fixed to 1
    constant: float


def _build_mip(data: _Data, x_free: BoolArray | None = None,
               y_state: NDArray[np.int8] | None = None,
               hint: IntArray | None = None) -> _MipModel:
    """The MIP of ``docs/placement.md`` from sparse arrays (no Python loop over rows).

    ``x_free`` (E, F) marks the assignment variables that may be 1 (the others are fixed to
    0) for the demanded pairs ``np.nonzero(data.has_demand)``; ``y_state`` (F, K) is -1
    (free), 0 or 1 (fixed).  A pair left with one allowed FC is fixed to it.  Fixed variables
    go into the constant and the right-hand sides.
    """
    K, F = data.K, data.F
    kk, rr = np.nonzero(data.has_demand)
    E = len(kk)
    xf = np.ones((E, F), bool) if x_free is None else x_free.copy()
    ys = np.full((F, K), -1, np.int8) if y_state is None else y_state.copy()
    xf &= ys[:, kk].T != 0
    if (xf.sum(axis=1) == 0).any():
        raise ValueError("a demanded SKU-region pair has no allowed FC")
    xfix = xf & (xf.sum(axis=1) == 1)[:, None]
    ee, ff = np.nonzero(xfix)
    ys[ff, kk[ee]] = 1  # a pair fixed to an FC makes it stock the SKU
    xfree = xf & ~xfix
    yfree = ys == -1
    ny = int(yfree.sum())
    yvar = np.full((F, K), -1, np.int64)
    yvar[yfree] = np.arange(ny)
    xvar = np.full((E, F), -1, np.int64)
    xvar[xfree] = ny + np.arange(int(xfree.sum()))
    n = ny + int(xfree.sum())
    xe, xfc = np.nonzero(xfree)
    xk, xr = kk[xe], rr[xe]
    yf, yk = np.nonzero(yfree)
    y1 = ys == 1
    fe_k, fe_r = kk[ee], rr[ee]
    obj = np.concatenate([data.pair_cost[yf, yk], data.base[xk, xfc, xr]])
    constant = float(data.pair_cost[y1].sum() + data.base[fe_k, ff, fe_r].sum())
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    lo: list[FloatArray] = []
    hi: list[FloatArray] = []
    r0 = 0
    # every pair with a choice is served once
    open_e = np.nonzero(xfree.any(axis=1))[0]
    row_of_e = np.full(E, -1, np.int64)
    row_of_e[open_e] = np.arange(len(open_e))
    rows.append(row_of_e[xe])
    cols.append(xvar[xe, xfc])
    vals.append(np.ones(len(xe)))
    lo.append(np.ones(len(open_e)))
    hi.append(np.ones(len(open_e)))
    r0 += len(open_e)
    # x <= y where y is free
    link = np.nonzero(yfree[xfc, xk])[0]
    lr = r0 + np.arange(len(link))
    rows += [lr, lr]
    cols += [xvar[xe[link], xfc[link]], yvar[xfc[link], xk[link]]]
    vals += [np.ones(len(link)), -np.ones(len(link))]
    lo.append(np.full(len(link), -np.inf))
    hi.append(np.zeros(len(link)))
    r0 += len(link)
    if data.vcap is not None:
        used = (np.where(y1, data.pair_vol, 0.0).sum(axis=1)
                + np.bincount(ff, weights=data.svol[fe_k, ff, fe_r], minlength=F))
        rows += [r0 + yf, r0 + xfc]
        cols += [yvar[yf, yk], xvar[xe, xfc]]
        vals += [data.pair_vol[yf, yk], data.svol[xk, xfc, xr]]
        lo.append(np.full(F, -np.inf))
        hi.append(data.vcap - used)
        r0 += F
    if data.scap is not None:
        rows.append(r0 + yf)
        cols.append(yvar[yf, yk])
        vals.append(np.ones(ny))
        lo.append(np.full(F, -np.inf))
        hi.append(data.scap - y1.sum(axis=1))
        r0 += F
    if data.tcap is not None:
        dem = data.p.demand
        rows.append(r0 + xfc)
        cols.append(xvar[xe, xfc])
        vals.append(dem[xk, xr])
        lo.append(np.full(F, -np.inf))
        hi.append(data.tcap - np.bincount(ff, weights=dem[fe_k, fe_r], minlength=F))
        r0 += F
    if data.alpha is not None:
        rows.append(np.full(len(xe), r0))
        cols.append(xvar[xe, xfc])
        vals.append(data.servd[xk, xfc, xr])
        lo.append(np.array([data.alpha * data.total_demand
                            - data.servd[fe_k, ff, fe_r].sum()]))
        hi.append(np.array([np.inf]))
        r0 += 1
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(r0, n))
    model = mbh.ModelBuilderHelper()
    _load(model, np.zeros(n), np.ones(n), obj, np.concatenate(lo),
                                      np.concatenate(hi), A)
    for j in range(n):
        model.set_var_integrality(j, True)
    if hint is not None:
        h = hint[kk, rr]
        for e_, f_ in zip(xe.tolist(), xfc.tolist(), strict=True):
            model.add_hint(int(xvar[e_, f_]), 1.0 if h[e_] == f_ else 0.0)
        stocked = _stocked(hint, F)
        for f_, k_ in zip(yf.tolist(), yk.tolist(), strict=True):
            model.add_hint(int(yvar[f_, k_]), 1.0 if stocked[f_, k_] else 0.0)
    return _MipModel(model, kk, rr, xvar, xfix, constant)


def _read_assignment(m: _MipModel, values: FloatArray, K: int, R: int) -> IntArray:
    padded = np.concatenate([values, [0.0]])  # index -1 (fixed variables) reads 0
    xv = padded[m.xvar]
    xv = np.where(m.xfix, 2.0, xv)  # fixed pairs win
    assignment = np.full((K, R), -1, np.int64)
    assignment[m.kk, m.rr] = np.argmax(xv, axis=1)
    return assignment


def _solve_mip(p: PlacementProblem, data: _Data, solver: str, time_limit: float, gap: float,
               threads: int, verbose: bool, t0: float,
               progress: ProgressFn | None) -> PlacementResult:
    """The whole MIP with one solver."""
    mm = _build_mip(data)
    remaining = time_limit - (time.perf_counter() - t0)
    out = _solve_mb(mm.model, solver, remaining, gap, threads, verbose)
    if out.status == "INFEASIBLE":
        raise InfeasiblePlacement(
            f"the MIP solver ({solver}) proved the placement infeasible although each capacity "
            f"and the service target pass on their own: they cannot be met together ({_TOGETHER})")
    label = f"mip({_SOLVER_NAMES[solver]})"
    if out.values is None:
        return _empty_result(p, data, label, t0, out.status)
    assignment = _read_assignment(mm, out.values, data.K, data.R)
    res = _result(p, data, assignment, out.bound + mm.constant, out.status, label, t0, gap, 0)
    if progress is not None:
        progress(PlacementProgress(1, "mip", res.solve_seconds, res.bound, res.objective,
                                   res.gap))
    return res
