"""Column generation on the per-SKU decomposition (``method="decomposition"``): exact pricing
of every FC subset, the master LP, the integer master, and the column-generation loop.  The
method: ``docs/placement.md``."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optimize.placement.columns import _BIG, _Columns, _Duals, _Restriction, _Use
from optimize.placement.evaluate import _Data
from optimize.placement.feasibility import _fmt
from optimize.placement.model_builder import _SOLVER_NAMES, _load, _solve_mb, mbh
from optimize.placement.problem import (
    BoolArray,
    FloatArray,
    InfeasiblePlacement,
    IntArray,
    PlacementProblem,
)


class _MasterNotSolved(RuntimeError):
    """The master LP stopped without an optimum (time limit)."""


class _Decomposition:
    """Column generation on the per-SKU decomposition (see ``docs/placement.md``)."""

    def __init__(self, p: PlacementProblem, data: _Data, lp_solver: str,
                 master_solver: str, gap_tol: float, threads: int, verbose: bool) -> None:
        self.p, self.d = p, data
        self.F, self.K, self.R = data.F, data.K, data.R
        self.lp_solver = lp_solver
        self.master_solver = master_solver
        self.gap_tol = gap_tol
        self.threads = threads
        self.verbose = verbose
        self.pool = _Columns.empty(self.F, self.R)
        self.best_lb = -math.inf
        self.best_u = self.zero_duals()
        self.lb_rc = np.zeros(0)  # per SKU min reduced cost at best_u
        self.chunk = max(1, 1_500_000 // max(self.F * self.R, 1))
        # coupling rows are scaled to O(1) (volume, slots and throughput as shares of the FC's
        # capacity, service as a share of demand); their slack variables cost ``penalty`` per
        # unit, set from the first bound once it is known and raised if the LP still needs slack
        self.penalty = 1.0
        self.row_vol = (np.maximum(data.vcap, max(1e-3 * float(data.vcap.mean()), 1e-9))
                        if data.vcap is not None else np.ones(self.F))
        self.row_slot = (np.maximum(data.scap, 1.0) if data.scap is not None
                         else np.ones(self.F))
        self.row_thr = (np.maximum(data.tcap, max(1e-3 * float(data.tcap.mean()), 1e-9))
                        if data.tcap is not None else np.ones(self.F))
        self.row_serv = max(data.total_demand, 1e-12)
        self.n_alt = 1
        self.last_support: IntArray = np.zeros(0, np.int64)
        self.escalations = 0
        self.restr: dict[int, _Restriction] = {}

    def zero_duals(self) -> _Duals:
        return _Duals(np.zeros(self.F), np.zeros(self.F), np.zeros(self.F), 0.0)

    def constant(self, u: _Duals) -> float:
        """``- u . b`` of the Lagrangian: capacity prices paid back, service price earned."""
        c = 0.0
        if self.d.vcap is not None:
            c -= float(u.mu @ self.d.vcap)
        if self.d.scap is not None:
            c -= float(u.nu @ self.d.scap)
        if self.d.tcap is not None:
            c -= float(u.rho @ self.d.tcap)
        if self.d.alpha is not None:
            c += u.pi * self.d.alpha * self.d.total_demand
        return c

    def price(self, u: _Duals) -> tuple[float, _Columns, FloatArray]:
        """Exact per-SKU pricing at ``u``: the Lagrangian bound, the best column of every
        SKU and its reduced cost."""
        F, K = self.F, self.K
        cols = []
        rc_all = np.empty(K)
        for a in range(0, K, self.chunk):
            ks = slice(a, min(K, a + self.chunk))
            c, rc = self._price_chunk(ks, u)
            cols.append(c)
            rc_all[ks] = rc
        out = _Columns.empty(F, self.R)
        for c in cols:
            out.extend(c)
        lb = float(rc_all.sum()) + self.constant(u)
        return lb, out, rc_all

    def _reduced(self, ks: slice, u: _Duals) -> tuple[FloatArray, FloatArray]:
        d = self.d
        a = d.base[ks].copy()
        if d.vcap is not None and u.mu.any():
            a += u.mu[None, :, None] * d.svol[ks]
        if d.tcap is not None and u.rho.any():
            a += u.rho[None, :, None] * self.p.demand[ks][:, None, :]
        if d.alpha is not None and u.pi:
            a -= u.pi * d.servd[ks]
        phi = d.pair_cost[:, ks].T.copy()  # (k, F)
        if d.vcap is not None:
            phi += d.pair_vol[:, ks].T * u.mu[None, :]
        if d.scap is not None:
            phi += u.nu[None, :]
        for k, rule in self.restr.items():
            if ks.start <= k < ks.stop:
                i = k - ks.start
                for f in range(self.F):
                    if rule.must_out >> f & 1:
                        a[i, f, :] = _BIG
                        phi[i, f] = _BIG
                for r, f, served in rule.x_fixed:
                    if served:
                        keep = a[i, f, r]
                        a[i, :, r] = _BIG
                        a[i, f, r] = keep
                    else:
                        a[i, f, r] = _BIG
        return a, phi

    def _price_chunk(self, ks: slice, u: _Duals) -> tuple[_Columns, FloatArray]:
        """Best FC subset and assignment of every SKU in ``ks`` at ``u``."""
        a, phi = self._reduced(ks, u)
        total = self._subset_totals(a, phi)
        for k, rule in self.restr.items():
            if ks.start <= k < ks.stop and rule.must_in:
                masks = np.arange(total.shape[1])
                total[k - ks.start, (masks & rule.must_in) != rule.must_in] = np.inf
        best_mask = np.argmin(total, axis=1).astype(np.int64)
        cols = self._columns(ks, best_mask, a)
        rc = self.reduced_costs(cols, u)
        # a SKU whose every choice a branch forbids: no column, and an infinite bound
        rc[total[np.arange(len(best_mask)), best_mask] >= _BIG / 10] = np.inf
        return cols, rc

    def _subset_totals(self, a: FloatArray, phi: FloatArray) -> FloatArray:
        """Reduced cost (n, 2^F) of every FC subset (bit mask) of each SKU, all exactly.

        For a subset ``S``, region ``r`` goes to the first FC of ``S`` in its order of
        reduced cost ``a[:, r]``; so FC ``f`` serves ``r`` iff ``f`` is in ``S`` and the set
        ``P_fr`` of FCs cheaper than ``f`` for ``r`` avoids ``S``.  Summing ``a_fr`` by
        ``(f, P_fr)`` and then over all subsets of each complement (a zeta transform on the
        ``2^F`` lattice) gives every subset's assignment cost in ``O(F^2 R + F^2 2^F)`` per
        SKU instead of ``O(2^F F R)``.  Entry 0 (no FC) is ``inf``.
        """
        F = self.F
        n, _, R = a.shape
        nm = 1 << F
        # P[:, f, r]: FCs strictly ahead of f for region r (ties to the lower index); one
        # comparison per pair of FCs, its complement gives the other direction
        dt = np.uint8 if F <= 8 else np.uint16 if F <= 16 else np.uint32
        P = np.zeros((n, F, R), dt)
        for f in range(F):
            for g in range(f):
                g_ahead = (a[:, g, :] <= a[:, f, :]).astype(dt)
                np.bitwise_or(P[:, f, :], np.left_shift(g_ahead, g, dtype=dt), out=P[:, f, :])
                np.bitwise_or(P[:, g, :], np.left_shift(np.bitwise_xor(g_ahead, 1, dtype=dt), f,
                                                        dtype=dt), out=P[:, g, :])
        key = ((np.arange(n, dtype=np.int64)[:, None, None] * F
                + np.arange(F)[None, :, None]) << F) | P
        w = np.bincount(key.ravel(), weights=a.ravel(), minlength=n * F * nm)
        h = w.reshape(n, F, nm)
        for b in range(F):  # zeta transform: h[., f, Q] = sum over P within Q of w[., f, P]
            v = h.reshape(n, F, nm >> (b + 1), 2, 1 << b)
            v[:, :, :, 1, :] += v[:, :, :, 0, :]
        member = ((np.arange(nm)[:, None] >> np.arange(F)[None, :]) & 1).astype(float)
        comp = (nm - 1) ^ np.arange(nm)
        total = phi @ member.T  # (n, nm) fixed part
        for f in range(F):
            total += h[:, f, comp] * member[None, :, f]
        total[:, 0] = np.inf
        return total

    def _columns(self, ks: slice, masks: IntArray, a: FloatArray) -> _Columns:
        """Columns for SKUs ``ks`` stocking ``masks``, each region at its cheapest stocked FC
        under the reduced costs ``a``."""
        F = self.F
        n = a.shape[0]
        inset = ((masks[:, None] >> np.arange(F)[None, :]) & 1).astype(bool)  # (n, F)
        am = np.where(inset[:, :, None], a, np.inf)
        assign = np.argmin(am, axis=1)  # (n, R)
        return self._column_data(np.arange(ks.start, ks.start + n), masks, assign)

    def _column_data(self, skus: IntArray, masks: IntArray, assign: IntArray) -> _Columns:
        """Cost, volume and throughput per FC, and fast units of columns given by SKU, mask
        and assignment."""
        d = self.d
        F, R = self.F, self.R
        n = len(skus)
        inset = ((masks[:, None] >> np.arange(F)[None, :]) & 1).astype(bool)
        flat = ((skus[:, None] * F + assign) * R + np.arange(R)[None, :]).ravel()
        base = d.base.reshape(-1)[flat].reshape(n, R)
        svol = d.svol.reshape(-1)[flat]
        servd = d.servd.reshape(-1)[flat].reshape(n, R)
        pc = d.pair_cost[:, skus].T
        cost = base.sum(axis=1) + np.where(inset, pc, 0.0).sum(axis=1)
        vol = np.where(inset, d.pair_vol[:, skus].T, 0.0)
        where = (np.arange(n)[:, None] * F + assign).ravel()
        vol += np.bincount(where, weights=svol, minlength=n * F).reshape(n, F)
        thr = np.asarray(np.bincount(where, weights=self.p.demand[skus].ravel(),
                                     minlength=n * F), float).reshape(n, F)
        return _Columns(skus.astype(np.int64), masks.astype(np.int64), cost, vol, thr,
                        servd.sum(axis=1), assign.astype(np.int8))

    def reduced_costs(self, cols: _Columns, u: _Duals) -> FloatArray:
        rc = cols.cost.copy()
        if self.d.vcap is not None:
            rc += cols.vol @ u.mu
        if self.d.scap is not None:
            rc += cols.slots(self.F) @ u.nu
        if self.d.tcap is not None:
            rc += cols.thr @ u.rho
        if self.d.alpha is not None:
            rc -= u.pi * cols.serv
        return rc

    def add_columns(self, new: _Columns, new_rc: FloatArray, u: _Duals) -> int:
        """Add the priced columns that beat every pool column of their SKU at ``u``."""
        if len(self.pool):
            pool_rc = self.reduced_costs(self.pool, u)
            mins = np.full(self.K, np.inf)
            np.minimum.at(mins, self.pool.sku, pool_rc)
            cur = mins[new.sku]
        else:
            cur = np.full(len(new), np.inf)
        better = new_rc < cur - 1e-9 * (np.abs(cur) + 1.0)
        better &= ~np.isinf(new_rc)
        # a column equal to an existing one has the same reduced cost, so it never passes
        take = np.nonzero(better)[0]
        if len(take):
            self.pool.extend(new.take(take))
        return len(take)

    def initial_columns(self) -> None:
        """Columns that give the first master room: each SKU with every region at its
        fastest FC (the service target's best case) and, for small instances, each SKU
        wholly at each single FC (lets the master move SKUs away from full FCs)."""
        K, F, R = self.K, self.F, self.R
        d = self.d
        for a in range(0, K, self.chunk):
            ks = slice(a, min(K, a + self.chunk))
            n = ks.stop - ks.start
            skus = np.arange(ks.start, ks.stop)
            # fastest FC per region (most units within the service time), then cheapest
            score = d.base[ks] - d.servd[ks] * (np.abs(d.base[ks]).max() + 1.0) * 10
            assign = np.argmin(score, axis=1)
            assign[~d.has_demand[ks]] = assign[~d.has_demand[ks]].min(initial=0)
            masks = np.zeros(n, np.int64)
            for f in range(F):
                masks |= (assign == f).any(axis=1).astype(np.int64) << f
            self.pool.extend(self._column_data(skus, masks, assign))
            if K * F <= 20_000:
                for f in range(F):
                    self.pool.extend(self._column_data(skus, np.full(n, 1 << f, np.int64),
                                                       np.full((n, R), f, np.int64)))

    def _coupling(self, use: _Use, used: _Use, r0: int, c0: int | None
                  ) -> tuple[list[IntArray], list[IntArray], list[FloatArray],
                             list[FloatArray], list[FloatArray], dict[str, slice], int]:
        """Coupling rows (scaled) for variables with usage ``use`` (per variable), the rest
        of the solution using ``used`` (totals); slack columns from index ``c0`` unless it is
        None.  Returns COO pieces, row bounds, row slices, next row.  Rows come in the order
        volume, slots, throughput, service (:func:`_raise_if_slack` reads slack in it)."""
        d = self.d
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        vals: list[FloatArray] = []
        lo: list[FloatArray] = []
        hi: list[FloatArray] = []
        slices: dict[str, slice] = {}
        blocks: list[tuple[str, FloatArray, FloatArray]] = []
        if d.vcap is not None:
            blocks.append(("vol", use.vol / self.row_vol, (d.vcap - used.vol) / self.row_vol))
        if d.scap is not None:
            blocks.append(("slot", use.slot / self.row_slot,
                           (d.scap - used.slot) / self.row_slot))
        if d.tcap is not None:
            blocks.append(("thr", use.thr / self.row_thr, (d.tcap - used.thr) / self.row_thr))
        if d.alpha is not None:
            # service as "<=" on the negated row keeps one sign convention for the slack
            blocks.append(("serv", -use.serv[:, None] / self.row_serv,
                           np.array([-(d.alpha * d.total_demand - float(used.serv))
                                     / self.row_serv])))
        for key, coef, rhs in blocks:
            m = coef.shape[1]
            rr, cc = np.nonzero(coef.T)
            rows.append(r0 + rr)
            cols.append(cc)
            vals.append(coef.T[rr, cc])
            if c0 is not None:
                rows.append(r0 + np.arange(m))
                cols.append(c0 + np.arange(m))
                vals.append(-np.ones(m))
                c0 += m
            lo.append(np.full(m, -np.inf))
            hi.append(rhs)
            slices[key] = slice(r0, r0 + m)
            r0 += m
        return rows, cols, vals, lo, hi, slices, r0

    def best_in_pool(self, u: _Duals) -> IntArray:
        """Index of each SKU's pool column of least reduced cost at ``u``."""
        rc = self.reduced_costs(self.pool, u)
        order = np.lexsort((rc, self.pool.sku))
        sku_sorted = self.pool.sku[order]
        first = np.ones(len(order), bool)
        first[1:] = sku_sorted[1:] != sku_sorted[:-1]
        best = np.full(self.K, -1, np.int64)
        best[sku_sorted[first]] = order[first]
        return best

    def _alternatives(self, u_ref: _Duals, is_ref: BoolArray) -> IntArray:
        """Pool columns offered to the master besides the references: per SKU the
        ``self.n_alt`` of least reduced cost at ``u_ref`` and every column the last master
        used.  A SKU with one alternative needs no convexity row, so the LP stays small."""
        pool = self.pool
        rc = self.reduced_costs(pool, u_ref)
        cand = np.nonzero(~is_ref)[0]
        order = cand[np.lexsort((rc[cand], pool.sku[cand]))]
        sku_sorted = pool.sku[order]
        start = np.ones(len(order), bool)
        start[1:] = sku_sorted[1:] != sku_sorted[:-1]
        first_pos = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
        rank = np.arange(len(order)) - first_pos
        keep = np.zeros(len(pool), bool)
        keep[order[rank < self.n_alt]] = True
        if len(self.last_support):
            keep[self.last_support] = True
        keep &= ~is_ref
        return np.nonzero(keep)[0]

    def solve_master_lp(self, time_limit: float, u_ref: _Duals
                        ) -> tuple[float, _Duals, FloatArray, FloatArray]:
        """Master LP over the pool: objective, duals, lambda of every pool column, slacks.

        Written relative to a reference column per SKU (its best at ``u_ref``):
        ``lambda_ref = 1 - sum of the SKU's other lambdas``, so the all-slack starting basis
        is the reference solution and the simplex only pivots in the SKUs that change.  (In
        the plain form every convexity row costs a pivot: 10,000 SKUs took GLOP 10-50 s per
        solve, against well under a second here.)  A SKU with two columns needs no row, only
        the bound ``lambda <= 1``.
        """
        pool = self.pool
        F = self.F
        ref = self.best_in_pool(u_ref)
        is_ref = np.zeros(len(pool), bool)
        is_ref[ref] = True
        var_idx = self._alternatives(u_ref, is_ref)
        r_of = ref[pool.sku[var_idx]]
        use = pool.use(F)
        nv = len(var_idx)
        per_sku = np.bincount(pool.sku[var_idx], minlength=self.K)
        row_skus = np.nonzero(per_sku >= 2)[0]
        nconv = len(row_skus)
        rows, cc, vals, lo, hi, slices, r0 = self._coupling(
            use.take(var_idx) - use.take(r_of), use.take(ref).total(), nconv, nv)
        nslack = r0 - nconv
        in_row = per_sku[pool.sku[var_idx]] >= 2
        rows.insert(0, np.searchsorted(row_skus, pool.sku[var_idx][in_row]))
        cc.insert(0, np.nonzero(in_row)[0])
        vals.insert(0, np.ones(int(in_row.sum())))
        lo.insert(0, np.full(nconv, -np.inf))
        hi.insert(0, np.ones(nconv))
        n = nv + nslack
        A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cc))),
                          shape=(r0, n))
        obj = np.concatenate([pool.cost[var_idx] - pool.cost[r_of],
                              np.full(nslack, self.penalty)])
        ub = np.concatenate([np.ones(nv), np.full(nslack, np.inf)])
        model = mbh.ModelBuilderHelper()
        _load(model, np.zeros(n), ub, obj, np.concatenate(lo),
                                          np.concatenate(hi), A)
        s = mbh.ModelSolverHelper(_SOLVER_NAMES[self.lp_solver])
        if self.d.tcap is not None and _SOLVER_NAMES[self.lp_solver] == "glop":
            # Throughput rows put up to F nonzeros in every column and move many SKUs at
            # once; GLOP's default (primal) simplex then took 3-6 s per master LP at 10,000
            # SKUs x 8 FCs x 300 regions, its dual simplex 0.1-0.3 s.  (Dual simplex is faster
            # without these rows too, 0.03 s against 0.1-1.6 s, but the primal simplex stays
            # there so that the results of instances without throughput rows stay as they
            # were.)
            s.set_solver_specific_parameters("use_dual_simplex: true")
        s.set_time_limit_in_seconds(max(0.5, time_limit))
        s.enable_output(self.verbose)
        s.solve(model)
        if s.status() != mbh.SolveStatus.OPTIMAL:
            raise _MasterNotSolved(s.status_string() or str(s.status()))
        val = np.asarray(s.variable_values(), float)
        dual = np.asarray(s.dual_values(), float)
        lam = np.zeros(len(pool))
        lam[var_idx] = val[:nv]
        moved = np.bincount(pool.sku[var_idx], weights=val[:nv], minlength=self.K)
        lam[ref] = 1.0 - moved
        self.last_support = np.nonzero(lam > 1e-12)[0]
        u = self.zero_duals()
        if "vol" in slices:
            u.mu = np.maximum(0.0, -dual[slices["vol"]]) / self.row_vol
        if "slot" in slices:
            u.nu = np.maximum(0.0, -dual[slices["slot"]]) / self.row_slot
        if "thr" in slices:
            u.rho = np.maximum(0.0, -dual[slices["thr"]]) / self.row_thr
        if "serv" in slices:
            u.pi = max(0.0, -float(dual[slices["serv"]][0])) / self.row_serv
        z = float(s.objective_value()) + float(pool.cost[ref].sum())
        return z, u, lam, val[nv:]

    def integer_master(self, cols: _Columns, time_limit: float,
                       hint: IntArray | None = None
                       ) -> tuple[str, IntArray | None, float]:
        """Pick one column per SKU from ``cols`` (binary), capacities and service hard.

        Returns status, the chosen column index per SKU (into ``cols``) and the bound over
        these columns."""
        F = self.F
        K = self.K
        counts = np.bincount(cols.sku, minlength=K)
        if (counts == 0).any():
            return "INFEASIBLE", None, math.nan
        multi = counts >= 2
        fixed_cols = np.nonzero(~multi[cols.sku])[0]
        var_idx = np.nonzero(multi[cols.sku])[0]
        vc = cols.take(var_idx)
        fx = cols.take(fixed_cols)
        skus = np.unique(vc.sku)
        nv = len(vc)
        rows_l, cols_l, vals_l, lo, hi, _, r0 = self._coupling(
            vc.use(F), fx.use(F).total(), len(skus), None)
        rows_l.insert(0, np.searchsorted(skus, vc.sku))
        cols_l.insert(0, np.arange(nv))
        vals_l.insert(0, np.ones(nv))
        lo.insert(0, np.ones(len(skus)))
        hi.insert(0, np.ones(len(skus)))
        const = float(fx.cost.sum())
        choice = np.full(K, -1, np.int64)
        choice[fx.sku] = fixed_cols
        if nv == 0:
            ok = bool(np.all(np.concatenate([np.zeros(0), *hi[1:]]) >= -1e-9))
            return ("OPTIMAL", choice, const) if ok else ("INFEASIBLE", None, math.nan)
        A = sp.csr_matrix((np.concatenate(vals_l), (np.concatenate(rows_l),
                                                    np.concatenate(cols_l))), shape=(r0, nv))
        model = mbh.ModelBuilderHelper()
        _load(model, np.zeros(nv), np.ones(nv), vc.cost,
                                          np.concatenate(lo), np.concatenate(hi), A)
        for j in range(nv):
            model.set_var_integrality(j, True)
        if hint is not None:
            pos = {int(g): i for i, g in enumerate(var_idx)}
            for k in skus.tolist():
                jj = pos.get(int(hint[k]))
                if jj is not None:
                    model.add_hint(jj, 1.0)
        out = _solve_mb(model, self.master_solver, time_limit, self.gap_tol / 10,
                        self.threads, self.verbose)
        if out.values is None:
            return out.status, None, math.nan
        chosen = np.nonzero(out.values > 0.5)[0]
        choice[vc.sku[chosen]] = var_idx[chosen]
        if (choice < 0).any():
            return "NOT_SOLVED", None, math.nan
        return out.status, choice, out.bound + const

    def assignment_of(self, cols: _Columns, choice: IntArray) -> IntArray:
        a = cols.assign[choice].astype(np.int64)
        a[~self.d.has_demand] = -1
        return a


@dataclass
class _CG:
    """Outcome of a column-generation run on the current node."""

    z: float  # master LP value (penalised slack included)
    lam: FloatArray  # weights of the pool's columns
    slack: FloatArray  # master slack (scaled units)
    iterations: int
    converged: bool
    failed: bool = False  # the master LP stopped without an optimum


def _column_generation(dec: _Decomposition, deadline: float, lp_tol: float,
                       max_iterations: int, report: Callable[[str, int], None],
                       it0: int = 0, escalate: bool = True,
                       stop_bound: float = math.inf) -> _CG:
    """Master LP and exact pricing until the LP value meets the Lagrangian bound within
    ``lp_tol`` (relative), no column improves, or ``deadline``.

    Pricing is at a Wentges-smoothed point between the best multipliers so far and the
    master's duals (at the duals themselves when that finds nothing new).  If the master
    still uses slack at the end, the slack price is raised (twice at most) in case it was
    only too cheap (``escalate``, at the root; inside branch and price a node whose LP needs
    slack at 1,000 times the root bound per unit of violation is taken as infeasible, as a
    higher price only makes the LP numerically fragile).  It stops early once the bound
    reaches ``stop_bound`` (a branch-and-price node that cannot beat the incumbent).
    """
    alpha = 0.5
    it = it0
    z, lam, slack = math.inf, np.zeros(0), np.zeros(0)
    u_last = dec.best_u
    converged = False
    while it < max_iterations and time.perf_counter() < deadline:
        it += 1
        try:
            z, u_m, lam, slack = dec.solve_master_lp(deadline - time.perf_counter(), u_last)
        except _MasterNotSolved:
            return _CG(z, lam, slack, it, False, failed=True)
        converged = (z - dec.best_lb) <= lp_tol * max(abs(z), 1e-9)
        if not converged:
            u_s = dec.best_u.combine(u_m, alpha)
            u_last = u_s
            lb, cols, rc = dec.price(u_s)
            if lb > dec.best_lb:
                dec.best_lb, dec.best_u, dec.lb_rc = lb, u_s, rc
            added = dec.add_columns(cols, rc, u_s)
            if added == 0:  # mispricing: the smoothed point found nothing for the master
                u_last = u_m
                lb, cols, rc = dec.price(u_m)
                if lb > dec.best_lb:
                    dec.best_lb, dec.best_u, dec.lb_rc = lb, u_m, rc
                added = dec.add_columns(cols, rc, u_m)
            if dec.best_lb >= stop_bound:
                return _CG(z, lam, slack, it, True)
            if added == 0 and dec.n_alt < len(dec.pool):
                # nothing new to price, so the master needs more of the pool than it was shown
                dec.n_alt = len(dec.pool)
                continue
            converged = added == 0
        report("column generation", it)
        if converged:
            if escalate and slack.max(initial=0.0) > 1e-9 and dec.escalations < 2:
                dec.penalty *= 1e3  # the LP still uses slack: it may only be too cheap
                dec.escalations += 1
                continue
            break
    return _CG(z, lam, slack, it, converged)


def _raise_if_slack(dec: _Decomposition, slack: FloatArray) -> None:
    """The converged LP relaxation still needs slack: name the rows that cannot be met.

    Slack is in the master's scaled units (a share of the FC's capacity, of total demand),
    in the row order of :meth:`_Decomposition._coupling`."""
    d = dec.d
    p = dec.p
    F = dec.F
    pos = 0
    msgs = []
    if d.vcap is not None:
        v = slack[pos:pos + F] * dec.row_vol
        pos += F
        for f in np.nonzero(v > 1e-6 * dec.row_vol)[0]:
            msgs.append(f"FC {p.fc_names[f]} would need {_fmt(float(v[f]))} cu ft more than "
                        f"its {_fmt(float(d.vcap[f]))} cu ft")
    if d.scap is not None:
        v = slack[pos:pos + F] * dec.row_slot
        pos += F
        for f in np.nonzero(v > 1e-6)[0]:
            msgs.append(f"FC {p.fc_names[f]} would need {float(v[f]):,.1f} SKU slots more "
                        f"than its {float(d.scap[f]):,.0f}")
    if d.tcap is not None:
        v = slack[pos:pos + F] * dec.row_thr
        pos += F
        for f in np.nonzero(v > 1e-6 * dec.row_thr)[0]:
            msgs.append(f"FC {p.fc_names[f]} would need to ship {_fmt(float(v[f]))} units/day "
                        f"more than its throughput capacity of {_fmt(float(d.tcap[f]))}")
    if d.alpha is not None:
        short = float(slack[pos])
        if short > 1e-6:
            msgs.append(f"the service target of {d.alpha:.2%} of units within "
                        f"{p.service_days:g} days would fall short by {short:.2%} of demand")
    if msgs:
        raise InfeasiblePlacement(
            "no placement meets the capacities and the service target together (even the LP "
            "relaxation, which may split a SKU between placements, cannot): "
            + "; ".join(msgs))
