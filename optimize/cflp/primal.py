"""Primal side: the transportation LP for a fixed set of open warehouses, and the reduced MIP.

Both are loaded in bulk from sparse arrays (OR-Tools' model builder, or scipy's HiGHS for the
LP), so no Python loop runs per variable: a 1,000-customer LP over 15 warehouses builds in a few
milliseconds.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog

from optimize.orlib import FacilityProblem

# Imported by name, as in optimize.placement.model_builder (keeps mypy off the typed subpackage).
mbh: Any = importlib.import_module("ortools.linear_solver.python.model_builder_helper")

__all__ = ["MipOutcome", "TransportSolution", "solve_reduced_mip", "transport"]

Float = NDArray[np.float64]
Bool = NDArray[np.bool_]


@dataclass(frozen=True)
class TransportSolution:
    """Cheapest assignment for fixed open warehouses (``objective`` includes fixed costs)."""

    objective: float
    open_mask: Bool
    assignment: Float  # (m, n)
    duals: Float  # (n,) demand-row duals, a good start for Lagrangian multipliers


def transport(problem: FacilityProblem, open_mask: Bool) -> TransportSolution | None:
    """Solve ``min sum c_ij x_ij`` over the open warehouses, demand met, capacities kept.

    Returns None when the open warehouses cannot hold the demand.
    """
    rows = np.flatnonzero(open_mask)
    k, n = len(rows), problem.n
    d = problem.demands
    if k == 0 or float(problem.capacities[rows].sum()) < float(d.sum()) - 1e-9:
        return None
    c = problem.costs[rows].ravel()
    # demand rows: x_{r j} for r = 0..k-1 at column r*n + j
    cols = np.arange(k * n)
    a_eq = sp.csr_array((np.ones(k * n), (np.tile(np.arange(n), k), cols)), shape=(n, k * n))
    a_ub = sp.csr_array((np.tile(d, k), (np.repeat(np.arange(k), n), cols)), shape=(k, k * n))
    res = linprog(c, A_ub=a_ub, b_ub=problem.capacities[rows], A_eq=a_eq, b_eq=np.ones(n),
                  bounds=(0.0, 1.0), method="highs")
    if res.status != 0:
        return None
    x = np.zeros((problem.m, n))
    x[rows] = np.clip(res.x.reshape(k, n), 0.0, 1.0)
    obj = float(problem.fixed_costs[rows].sum() + (problem.costs * x).sum())
    duals = np.asarray(res.eqlin.marginals, np.float64)
    return TransportSolution(objective=obj, open_mask=open_mask.copy(), assignment=x,
                             duals=duals)


@dataclass(frozen=True)
class MipOutcome:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, NOT_SOLVED
    objective: float
    bound: float
    open_mask: Bool | None
    assignment: Float | None
    seconds: float


def solve_reduced_mip(problem: FacilityProblem, free: Bool, opened: Bool,
                      hint: TransportSolution | None, *, time_limit_s: float,
                      max_open: int | None = None,
                      gap: float = 1e-9, solver: str = "scip", verbose: bool = False,
                      ) -> MipOutcome:
    """The strong formulation restricted to warehouses not proven closed.

    ``opened`` warehouses are fixed open (their ``y`` is a constant, their links
    ``x_ij <= y_i`` drop out), ``free`` ones keep a binary ``y`` and their links, the
    total-capacity cover cut and (with ``max_open``) the cardinality row.  The hint (a known
    solution) is passed to the solver as a starting point.  Variables:
    ``y`` of the free warehouses, then ``x`` of every usable warehouse, row by row.
    """
    m, n = problem.m, problem.n
    d, s = problem.demands, problem.capacities
    free_rows = np.flatnonzero(free)
    use = np.flatnonzero(free | opened)
    nf, k = len(free_rows), len(use)
    nx = k * n
    nv = nf + nx
    pos_of = -np.ones(m, np.int64)
    pos_of[use] = np.arange(k)
    obj = np.concatenate([problem.fixed_costs[free_rows], problem.costs[use].ravel()])
    lb = np.zeros(nv)
    ub = np.ones(nv)
    xcol = nf + np.arange(nx).reshape(k, n)
    r_i: list[NDArray[np.int64]] = []
    c_i: list[NDArray[np.int64]] = []
    v_i: list[Float] = []
    lo: list[Float] = []
    hi: list[Float] = []
    nrow = 0
    # demand rows
    r_i.append(np.tile(np.arange(n), k))
    c_i.append(xcol.ravel())
    v_i.append(np.ones(nx))
    lo.append(np.ones(n))
    hi.append(np.ones(n))
    nrow += n
    # capacity rows: sum_j d_j x_ij - s_i y_i <= 0 (free) or <= s_i (opened)
    r_i.append(nrow + np.repeat(np.arange(k), n))
    c_i.append(xcol.ravel())
    v_i.append(np.tile(d, k))
    is_free = free[use]
    fpos = -np.ones(m, np.int64)
    fpos[free_rows] = np.arange(nf)
    fr = np.flatnonzero(is_free)
    r_i.append(nrow + fr)
    c_i.append(fpos[use[fr]])
    v_i.append(-s[use[fr]])
    lo.append(np.full(k, -np.inf))
    hi.append(np.where(is_free, 0.0, s[use]))
    nrow += k
    # links x_ij - y_i <= 0 for free warehouses
    if nf:
        fx = xcol[fr]  # (nf, n)
        r_link = nrow + np.arange(nf * n)
        r_i.append(r_link)
        c_i.append(fx.ravel())
        v_i.append(np.ones(nf * n))
        r_i.append(r_link)
        c_i.append(np.repeat(fpos[use[fr]], n))
        v_i.append(-np.ones(nf * n))
        lo.append(np.full(nf * n, -np.inf))
        hi.append(np.zeros(nf * n))
        nrow += nf * n
        # total capacity cover: sum_free s_i y_i >= D - sum_opened s_i
        need = float(d.sum()) - float(s[opened].sum())
        r_i.append(np.full(nf, nrow))
        c_i.append(np.arange(nf))
        v_i.append(s[free_rows].astype(np.float64))
        lo.append(np.array([need]))
        hi.append(np.array([np.inf]))
        nrow += 1
        if max_open is not None:
            r_i.append(np.full(nf, nrow))
            c_i.append(np.arange(nf))
            v_i.append(np.ones(nf))
            lo.append(np.array([-np.inf]))
            hi.append(np.array([float(max_open - int(opened.sum()))]))
            nrow += 1
    a = sp.csr_matrix((np.concatenate(v_i), (np.concatenate(r_i), np.concatenate(c_i))),
                      shape=(nrow, nv))
    model = mbh.ModelBuilderHelper()
    model.fill_model_from_sparse_data(lb, ub, obj, np.concatenate(lo), np.concatenate(hi), a)
    for v in range(nf):
        model.set_var_integrality(v, True)
    model.set_objective_offset(float(problem.fixed_costs[opened].sum()))
    if hint is not None and solver == "scip":  # (OR-Tools 9.15 crashes on HiGHS with hints)
        for v, i in enumerate(free_rows):
            model.add_hint(v, 1.0 if hint.open_mask[i] else 0.0)
        hx = hint.assignment[use].ravel()  # a complete hint: SCIP ignores sparse ones
        for v in range(nx):
            model.add_hint(nf + v, float(hx[v]))
    helper = mbh.ModelSolverHelper(solver)
    if solver == "scip":
        helper.set_solver_specific_parameters(f"limits/gap = {gap:g}\nlimits/absgap = 0")
    elif solver == "highs":
        helper.set_solver_specific_parameters(f"mip_rel_gap={gap:g}")
    helper.set_time_limit_in_seconds(max(0.05, float(time_limit_s)))
    helper.enable_output(verbose)
    helper.solve(model)
    st = helper.status()
    name = {mbh.SolveStatus.OPTIMAL: "OPTIMAL", mbh.SolveStatus.FEASIBLE: "FEASIBLE",
            mbh.SolveStatus.INFEASIBLE: "INFEASIBLE"}.get(st, "NOT_SOLVED")
    secs = float(helper.wall_time())
    if name in ("OPTIMAL", "FEASIBLE") and helper.has_solution():
        vals = np.asarray(helper.variable_values(), np.float64)
        mask = opened.copy()
        mask[free_rows] = vals[:nf] > 0.5
        x = np.zeros((m, n))
        x[use] = np.clip(vals[nf:].reshape(k, n), 0.0, 1.0)
        bound = float(helper.best_objective_bound())
        if solver == "highs":
            bound = float(helper.objective_value()) * (1 - gap) if name == "OPTIMAL" \
                else math.nan
        return MipOutcome(name, float(helper.objective_value()), bound, mask, x, secs)
    bound = float(helper.best_objective_bound()) if name == "INFEASIBLE" else math.nan
    return MipOutcome(name, math.nan, bound, None, None, secs)
