"""The front door: :func:`solve_placement` (the MIP, or the decomposition's phases in turn) and
:func:`placement_from_files` (scenario in, placement scenario out).  The methods:
``docs/placement.md``."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np

from optimize.placement.branch_and_price import _branch_and_price
from optimize.placement.columns import _Columns
from optimize.placement.decomposition import _column_generation, _Decomposition, _raise_if_slack
from optimize.placement.evaluate import _Data, _empty_result, _result, evaluate_assignment
from optimize.placement.feasibility import _TOGETHER, _check_feasible
from optimize.placement.from_network import problem_from_network
from optimize.placement.mip import _solve_mip
from optimize.placement.model_builder import _SOLVER_NAMES
from optimize.placement.primal import (
    _feasible_choice_cols,
    _integer_master_phase,
    _primal,
)
from optimize.placement.problem import (
    InfeasiblePlacement,
    IntArray,
    PlacementProblem,
    PlacementProgress,
    PlacementResult,
    ProgressFn,
)
from optimize.placement.reduced_mip import _reduced_mip
from optimize.placement.write import write_placement_scenario


def _decompose(p: PlacementProblem, data: _Data, time_limit: float, gap_tol: float,
               lp_solver: str, master_solver: str, threads: int, verbose: bool,
               t0: float, progress: ProgressFn | None, max_iterations: int) -> PlacementResult:
    """The decomposition's phases in turn, each only while the gap is open and time is left:
    pricing at ``u = 0``, column generation, rounding and repair, the integer master, the
    reduced MIP, branch and price (``docs/placement.md``, Methods)."""
    dec = _Decomposition(p, data, lp_solver, master_solver, gap_tol, threads, verbose)
    label = f"decomposition({_SOLVER_NAMES[lp_solver]}+{_SOLVER_NAMES[master_solver]})"
    deadline = t0 + time_limit
    state = {"ub": math.inf, "lb": -math.inf, "it": 0}
    best_assign: IntArray | None = None
    lp_tol = max(gap_tol / 10, 1e-10)

    def report(phase: str, it: int) -> None:
        state["it"] = it
        if progress is not None:
            # inside branch and price dec.best_lb is a node's bound, state["lb"] the global one
            ub = state["ub"]
            lb = state["lb"] if state.get("tree") else max(state["lb"], dec.best_lb)
            g = (ub - lb) / max(abs(ub), 1e-9) if ub < math.inf else math.inf
            progress(PlacementProgress(it, phase, time.perf_counter() - t0, lb, ub, g))

    def offer(cols: _Columns, choice: IntArray | None) -> None:
        nonlocal best_assign
        if choice is None or not _feasible_choice_cols(dec, cols, choice):
            return
        cand = float(cols.cost[choice].sum())
        if cand < state["ub"] - 1e-12 * abs(cand):
            state["ub"], best_assign = cand, dec.assignment_of(cols, choice)

    def offer_assignment(assign: IntArray) -> None:
        nonlocal best_assign
        ev = evaluate_assignment(p, assign, data)
        if ev["feasible"] and ev["objective"] < state["ub"] - 1e-12 * abs(ev["objective"]):
            state["ub"], best_assign = float(ev["objective"]), assign

    def closed() -> bool:
        ub = state["ub"]
        return ub < math.inf and ub - max(state["lb"], dec.best_lb) <= gap_tol * abs(ub)

    # u = 0: the uncapacitated optimum of every SKU; a valid bound, and often the answer
    u0 = dec.zero_duals()
    lb, cols, rc = dec.price(u0)
    dec.best_lb, dec.best_u, dec.lb_rc = lb, u0, rc
    dec.pool.extend(cols)
    offer(dec.pool, np.arange(dec.K))
    report("pricing", 0)
    if not closed():
        dec.initial_columns()
        dec.penalty = 1e3 * (abs(dec.best_lb) + 1.0)
        # the root LP gets most of the time; the rest is for primal solutions and branching
        cg = _column_generation(dec, t0 + 0.7 * time_limit, lp_tol, max_iterations, report)
        if cg.converged and dec.escalations == 2 and cg.slack.max(initial=0.0) > 1e-9:
            _raise_if_slack(dec, cg.slack)  # even the LP relaxation cannot do without slack
        choice = _primal(dec, cg.lam, deadline)
        offer(dec.pool, choice)
        report("rounding", cg.iterations)
        if not closed() and time.perf_counter() < deadline - 0.5:
            _integer_master_phase(dec, state["ub"], choice, deadline, offer)
            report("integer master", cg.iterations)
        state["lb"] = dec.best_lb
        if not closed() and time.perf_counter() < deadline - 0.5:
            _reduced_mip(dec, state, best_assign, deadline, offer_assignment)
            report("reduced MIP", cg.iterations)
        if not closed() and cg.converged and time.perf_counter() < deadline - 0.5:
            _branch_and_price(dec, state, offer, deadline, lp_tol, gap_tol, max_iterations,
                              report, cg.iterations)
    if not state.get("tree"):
        state["lb"] = max(state["lb"], dec.best_lb)
    if best_assign is None:
        if state.get("tree") and state["lb"] == math.inf:
            # every branch-and-price node was closed as infeasible: no placement exists
            raise InfeasiblePlacement(
                "branch and price proved the placement infeasible although each capacity and "
                f"the service target pass on their own: they cannot be met together ({_TOGETHER})")
        return _empty_result(p, data, label, t0, "NOT_SOLVED")
    return _result(p, data, best_assign, state["lb"], "FEASIBLE", label, t0, gap_tol,
                   int(state["it"]))


def solve_placement(problem: PlacementProblem, *,
                    method: Literal["auto", "decomposition", "mip"] = "auto",
                    time_limit_s: float = 60.0, gap_tol: float = 1e-4,
                    progress: ProgressFn | None = None, mip_solver: str = "scip",
                    lp_solver: str = "glop", master_solver: str = "scip", threads: int = 1,
                    max_iterations: int = 500, verbose: bool = False) -> PlacementResult:
    """Decide which FCs stock each SKU, which FC serves each region, and the stock targets.

    Every unit of forecast demand is served (there are no lost sales in this model); an
    instance that cannot be served within the capacities and the service target raises
    :class:`InfeasiblePlacement`.

    Parameters
    ----------
    problem : PlacementProblem
    method : {"auto", "decomposition", "mip"}
        ``"mip"``: the monolithic MIP (``mip_solver``: ``"scip"``, ``"highs"`` or ``"sat"``),
        for small instances (a few hundred SKU-FC-region triples solve in well under a
        second; 1,000 x 4 x 100 gets no solution in 120 s).  ``"decomposition"``: Lagrangian
        column generation (master LP ``lp_solver``: ``"glop"``, or ``"pdlp"``, much slower
        here; integer master ``master_solver``: ``"scip"`` or ``"sat"``), then branch and
        price.  ``"auto"``: the MIP up to 20,000 SKU-FC-region triples, else the
        decomposition.
    time_limit_s : float
        Wall-time budget; the best placement and bound so far are returned at expiry.
        Building the coefficients and the first pricing are not interrupted (about 4 s at
        10,000 x 8 x 300), and HiGHS may overrun the limit while solving its root LP.
    gap_tol : float
        Relative gap at which a solution counts as optimal (1e-4, HiGHS's and the OR-Tools
        linear solver's default); 0 asks for a proof to 1e-9.
    progress : callable, optional
        Called with a :class:`PlacementProgress` after each iteration (``str()`` of it is a
        one-line summary).
    threads : int
        Solver threads (1 by default, to leave the other core free).  numpy's BLAS may use
        more unless ``OPENBLAS_NUM_THREADS=1`` is set.
    max_iterations : int
        Column-generation iterations at the root (and per branch-and-price node).

    Returns
    -------
    PlacementResult

    Raises
    ------
    InfeasiblePlacement
        When the volume or slots cannot hold the minimum stock, a SKU fits no FC, the demand
        exceeds the FCs' total throughput (or one region's demand for a SKU exceeds every
        FC's), the service target exceeds the share reachable with every SKU everywhere, or
        (found by the LP relaxation, the MIP or branch and price) the constraints cannot be
        met together.
    """
    t0 = time.perf_counter()
    data = _Data(problem)
    _check_feasible(data)
    if method == "auto":
        method = "mip" if data.K * data.F * data.R <= 20_000 else "decomposition"
    if data.total_demand <= 0:
        a = np.full((data.K, data.R), -1, np.int64)
        return _result(problem, data, a, 0.0, "OPTIMAL", method, t0, gap_tol, 0)
    if method == "mip":
        return _solve_mip(problem, data, mip_solver, time_limit_s, gap_tol, threads, verbose,
                          t0, progress)
    if method == "decomposition":
        return _decompose(problem, data, time_limit_s, gap_tol, lp_solver, master_solver,
                          threads, verbose, t0, progress, max_iterations)
    raise ValueError(f"unknown method {method!r} (expected 'auto', 'decomposition' or 'mip')")


def placement_from_files(scenario_path: str | Path, out_path: str | Path | None = None, *,
                         time_limit_s: float = 60.0, service_days: float = 2.0,
                         service_share: float | None = None,
                         progress: ProgressFn | None = None,
                         method: Literal["auto", "decomposition", "mip"] = "auto",
                         **problem_kw: Any) -> PlacementResult:
    """Load a scenario, place its inventory and write ``out_path`` (if given) with
    :func:`write_placement_scenario`.  For ``fulfill optimize placement``.

    ``problem_kw`` goes to :func:`problem_from_network` (capacities, costs, ``z`` ...).
    Errors are ``ValueError`` subclasses with one-paragraph messages (``ScenarioError``,
    :class:`InfeasiblePlacement`).
    """
    from sim.network import build_network
    from sim.scenario import load_scenario

    net = build_network(load_scenario(scenario_path))
    problem = problem_from_network(net, service_share=service_share, service_days=service_days,
                                   **problem_kw)
    result = solve_placement(problem, method=method, time_limit_s=time_limit_s,
                             progress=progress)
    if out_path is not None and result.status != "NOT_SOLVED":
        write_placement_scenario(result, net, scenario_path, out_path)
    return result
