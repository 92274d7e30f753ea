"""Capacitated and uncapacitated facility location as a MIP (OR-Tools ``pywraplp``).

Model (the strong, disaggregated formulation; ``x_ij`` = fraction of customer ``j``'s demand
served from warehouse ``i``, ``y_i`` = 1 if warehouse ``i`` opens)::

    min   sum_i f_i y_i + sum_ij c_ij x_ij
    s.t.  sum_i x_ij = 1                       for every customer j   (demand met)
          x_ij <= y_i                          for every i, j         (disaggregated link)
          sum_j d_j x_ij <= s_i y_i            for every i            (capacity, if capacitated)
          sum_i s_i y_i >= sum_j d_j                                  (valid cut, if capacitated)
          sum_i y_i <= max_open                                       (if given)
          0 <= x_ij <= 1 (binary if single sourcing), y_i binary

Why this form: the aggregated link ``sum_j x_ij <= n y_i`` is implied by the capacity row but
gives a weak LP relaxation (``y_i`` can be a tiny fraction); the ``m*n`` rows ``x_ij <= y_i``
make the LP bound close to the optimum, so branch and bound on OR-Library instances closes in
seconds.  The total-capacity cut is implied by the integer model but not by its LP relaxation
with fractional ``y``; it is a cover-type cut that solvers otherwise have to discover.

The solver is SCIP through ``pywraplp`` (``backend="HIGHS"`` or ``"CBC"`` also accepted).
At 100 warehouses x 1,000 customers SCIP's root LP alone takes minutes; capacitated
split-demand instances that large go to :mod:`optimize.cflp` instead (Lagrangian bound,
reduced-cost fixing, branch and bound over ``y``: same model, proven optimum, seconds), see
``method`` of :func:`solve_facility_location`.
No SimPy import: this module is usable without the simulation.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp

from optimize.cflp import solve_cflp_lagrangian
from optimize.facility_result import FacilityResult
from optimize.orlib import FacilityProblem

__all__ = [
    "LAGRANGIAN_MIN_SIZE",
    "FacilityResult",
    "InfeasibleFacilityProblem",
    "solve_facility_location",
]

#: ``method="auto"`` uses the Lagrangian method from this many ``x`` variables (``m * n``) on:
#: below it (OR-Library cap41-cap134 are 2,500 to 5,000) SCIP on the whole model takes a
#: second or less, and the Lagrangian phase's fixed few seconds would not pay.
LAGRANGIAN_MIN_SIZE = 20_000


class InfeasibleFacilityProblem(ValueError):
    """The instance cannot be feasible; the message names the binding constraint.

    Raised before calling the solver, so callers see *why* (e.g. total capacity below total
    demand) instead of a solver status code.
    """


_STATUS = {
    pywraplp.Solver.OPTIMAL: "OPTIMAL",
    pywraplp.Solver.FEASIBLE: "FEASIBLE",
    pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
    pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
    pywraplp.Solver.ABNORMAL: "ABNORMAL",
    pywraplp.Solver.MODEL_INVALID: "MODEL_INVALID",
    pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
}


def _fmt(v: float) -> str:
    """Thousands-separated, no decimals for whole numbers (``1,200``), else two decimals."""
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def _check_feasible(
    problem: FacilityProblem, capacitated: bool, single_sourcing: bool, max_open: int | None
) -> None:
    """Raise :class:`InfeasibleFacilityProblem` for the infeasibilities detectable up front.

    These are the ones a user can cause by editing data (too little capacity, too few
    warehouses allowed, a customer bigger than any warehouse); naming them beats an opaque
    ``INFEASIBLE`` from the solver.  Checks are necessary conditions only: a single-sourcing
    instance that passes them can still be infeasible (bin packing), which the solver reports.
    """
    name = problem.name
    if max_open is not None and max_open < 1:
        raise InfeasibleFacilityProblem(
            f"{name}: max_open={max_open} < 1 but {problem.n} customers must be served"
        )
    if not capacitated:
        return
    caps = problem.capacities
    total_demand = float(problem.demands.sum())
    total_cap = float(caps.sum())
    if total_cap < total_demand:
        raise InfeasibleFacilityProblem(
            f"{name}: total capacity {_fmt(total_cap)} < total demand {_fmt(total_demand)} "
            f"(sum of capacities over all {problem.m} warehouses cannot cover demand)"
        )
    if max_open is not None and max_open < problem.m:
        best = float(np.sort(caps)[::-1][:max_open].sum())
        if best < total_demand:
            raise InfeasibleFacilityProblem(
                f"{name}: capacity of the {max_open} largest warehouses {_fmt(best)} < total "
                f"demand {_fmt(total_demand)} (max_open={max_open} binds)"
            )
    if single_sourcing:
        j = int(np.argmax(problem.demands))
        if problem.demands[j] > caps.max():
            raise InfeasibleFacilityProblem(
                f"{name}: single sourcing: customer {j} demand {_fmt(problem.demands[j])} > "
                f"largest warehouse capacity {_fmt(caps.max())}"
            )


def solve_facility_location(
    problem: FacilityProblem,
    *,
    capacitated: bool = True,
    single_sourcing: bool = False,
    time_limit_s: float | None = None,
    max_open: int | None = None,
    backend: str = "SCIP",
    mip_gap: float = 1e-9,
    verbose: bool = False,
    method: str = "auto",
) -> FacilityResult:
    """Solve a (capacitated) facility-location problem to optimality or a time limit.

    Parameters
    ----------
    problem : FacilityProblem
        Instance (see :func:`optimize.orlib.read_orlib`).
    capacitated : bool, default True
        Enforce warehouse capacities.  ``False`` gives the uncapacitated problem (UFLP): the
        capacity rows and the total-capacity cut are dropped.
    single_sourcing : bool, default False
        Each customer is served by exactly one warehouse (binary ``x``).  OR-Library's
        published capacitated optima assume split demand, i.e. ``False``; with ``True`` the
        optimum can only be higher or equal.  For the uncapacitated problem the two coincide.
    time_limit_s : float, optional
        Solver wall-time limit; on expiry the best solution and bound are returned with status
        ``"FEASIBLE"`` (or ``"NOT_SOLVED"`` with ``objective = nan`` if none was found).
    max_open : int, optional
        At most this many warehouses may open.
    backend : str, default "SCIP"
        ``pywraplp`` solver id (``"SCIP"``, ``"HIGHS"``, ``"CBC"``).
    mip_gap : float, default 1e-9
        Relative MIP gap.  ``pywraplp``'s own default is 1e-4, too loose to reproduce the
        published optima to 1e-6, hence the tighter default.
    verbose : bool, default False
        Print the solver log.
    method : {"auto", "mip", "lagrangian"}, default "auto"
        ``"mip"``: the strong formulation above, whole, to ``backend``.  ``"lagrangian"``:
        :func:`optimize.cflp.solve_cflp_lagrangian` (Lagrangian bound, heuristic,
        reduced-cost fixing, then a much smaller MIP to ``backend``; same model and optimum,
        capacitated split-demand problems only, backend SCIP or HiGHS).  ``"auto"`` picks
        ``"lagrangian"`` where it pays: capacitated, split demand, SCIP/HiGHS, and at least
        :data:`LAGRANGIAN_MIN_SIZE` ``x`` variables (OR-Library capa, 100 x 1,000: about 10 s
        instead of minutes); else ``"mip"``.

    Returns
    -------
    FacilityResult

    Raises
    ------
    InfeasibleFacilityProblem
        (a ``ValueError``) when total capacity is below total demand, when the ``max_open``
        largest warehouses cannot cover demand, or, with single sourcing, when some customer's
        demand exceeds every capacity.
    RuntimeError
        If the backend is not available in this OR-Tools build.
    """
    _check_feasible(problem, capacitated, single_sourcing, max_open)
    if method not in ("auto", "mip", "lagrangian"):
        raise ValueError(f"method {method!r}: expected 'auto', 'mip' or 'lagrangian'")
    fits = capacitated and not single_sourcing and backend.upper() in ("SCIP", "HIGHS")
    if method == "lagrangian" and not fits:
        raise ValueError("method 'lagrangian' needs capacitated=True, single_sourcing=False "
                         "and backend 'SCIP' or 'HIGHS'")
    if method == "lagrangian" or (
            method == "auto" and fits and problem.m * problem.n >= LAGRANGIAN_MIN_SIZE):
        return solve_cflp_lagrangian(problem, time_limit_s=time_limit_s, max_open=max_open,
                                     backend=backend.upper(), mip_gap=mip_gap,
                                     verbose=verbose)
    t0 = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise RuntimeError(f"OR-Tools pywraplp backend {backend!r} is not available")
    if verbose:
        solver.EnableOutput()
    if solver.SolverVersion().startswith("CP-SAT"):  # backend "SAT" or "CP-SAT"
        # CP-SAT would reset SIGINT to SIG_DFL after the solve (behind Python's back), so that
        # a later Ctrl-C kills the process without KeyboardInterrupt; SCIP, HiGHS and CBC
        # restore Python's handler themselves
        solver.SetSolverSpecificParametersAsString("catch_sigint_signal: false")
    m, n = problem.m, problem.n
    inf = solver.infinity()
    # Single sourcing makes x binary.  (For the uncapacitated problem some optimum has integral x
    # anyway, but with ties a continuous x could come back fractional, so honour the request.)
    x_integer = single_sourcing
    costs = problem.costs.tolist()
    fixed = problem.fixed_costs.tolist()
    caps = problem.capacities.tolist()
    dem = problem.demands.tolist()

    objective = solver.Objective()
    objective.SetMinimization()
    y = [solver.BoolVar(f"y{i}") for i in range(m)]
    for i in range(m):
        objective.SetCoefficient(y[i], fixed[i])
    x: list[list[pywraplp.Variable]] = []
    for i in range(m):
        row = [
            solver.IntVar(0.0, 1.0, f"x{i}_{j}") if x_integer else solver.NumVar(0.0, 1.0, "")
            for j in range(n)
        ]
        ci = costs[i]
        for j in range(n):
            objective.SetCoefficient(row[j], ci[j])
        x.append(row)
    for j in range(n):
        ct = solver.Constraint(1.0, 1.0)
        for i in range(m):
            ct.SetCoefficient(x[i][j], 1.0)
    for i in range(m):
        yi, row = y[i], x[i]
        for j in range(n):
            ct = solver.Constraint(-inf, 0.0)
            ct.SetCoefficient(row[j], 1.0)
            ct.SetCoefficient(yi, -1.0)
    if capacitated:
        for i in range(m):
            ct = solver.Constraint(-inf, 0.0)
            row = x[i]
            for j in range(n):
                if dem[j]:
                    ct.SetCoefficient(row[j], dem[j])
            ct.SetCoefficient(y[i], -caps[i])
        cut = solver.Constraint(float(sum(dem)), inf)
        for i in range(m):
            cut.SetCoefficient(y[i], caps[i])
    if max_open is not None and max_open < m:
        ct = solver.Constraint(-inf, float(max_open))
        for i in range(m):
            ct.SetCoefficient(y[i], 1.0)
    if time_limit_s is not None:
        solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, mip_gap)
    build_seconds = time.perf_counter() - t0

    t1 = time.perf_counter()
    code = solver.Solve(params)
    solve_seconds = time.perf_counter() - t1
    status = _STATUS.get(code, f"UNKNOWN({code})")

    if code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        # One bulk copy instead of m*n solution_value() calls.
        response = linear_solver_pb2.MPSolutionResponse()
        solver.FillSolutionResponseProto(response)
        values = np.asarray(response.variable_value, dtype=np.float64)
        y_val = values[:m]
        assignment = values[m : m + m * n].reshape(m, n)
        obj = float(objective.Value())
        bound = float(objective.BestBound())
        if code == pywraplp.Solver.OPTIMAL and bound > obj:
            bound = obj  # LP-only / rounding: bound may read a hair above the objective
        gap = max(0.0, (obj - bound) / max(abs(obj), 1.0))
        open_facilities = y_val > 0.5
    else:
        obj = bound = gap = float("nan")
        assignment = np.zeros((m, n))
        open_facilities = np.zeros(m, dtype=bool)
        if code == pywraplp.Solver.INFEASIBLE:
            raise InfeasibleFacilityProblem(
                f"{problem.name}: solver proved the model infeasible although total capacity "
                f"covers demand (with single sourcing the demands may not pack into the "
                f"warehouses; max_open={max_open})"
            )
    return FacilityResult(
        objective=obj, bound=bound, gap=gap, solve_seconds=solve_seconds,
        build_seconds=build_seconds, status=status, open_facilities=open_facilities,
        assignment=assignment, backend=backend,
    )
