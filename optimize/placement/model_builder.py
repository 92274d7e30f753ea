"""OR-Tools' model builder for the placement models: solver names and parameters, loading a
model from sparse arrays, and a solve that returns values, objective and bound (where proven)."""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from optimize.placement.problem import FloatArray

# OR-Tools' model builder (numpy/scipy in, numpy out: no Python loop per variable).  Imported
# by name so that mypy does not read the typed ``ortools.linear_solver.python`` subpackage,
# which would hide the untyped ``ortools.linear_solver.pywraplp`` other modules use.
mbh: Any = importlib.import_module("ortools.linear_solver.python.model_builder_helper")


_SOLVER_NAMES = {"scip": "scip", "highs": "highs", "sat": "sat", "cp-sat": "sat",
                 "glop": "glop", "pdlp": "pdlp"}


def _solver_params(solver: str, gap: float, threads: int) -> str:
    if solver == "scip":
        return f"limits/gap = {gap:g}\nparallel/maxnthreads = {threads}"
    if solver == "highs":
        return f"mip_rel_gap={gap:g},threads={threads}"
    if solver == "sat":
        # catch_sigint_signal: CP-SAT would reset SIGINT to SIG_DFL after the solve (behind
        # Python's back), so that a later Ctrl-C kills the process without KeyboardInterrupt
        return (f"relative_gap_limit: {gap:g}, num_workers: {max(1, threads)}, "
                "catch_sigint_signal: false")
    return ""


def _load(model: Any, lb: FloatArray, ub: FloatArray, obj: FloatArray,
          lo: FloatArray, hi: FloatArray, a: sp.csr_matrix) -> None:
    """``fill_model_from_sparse_data`` (its stub types the vectors oddly, hence ``Any``)."""
    v: list[Any] = [np.asarray(x, np.float64) for x in (lb, ub, obj, lo, hi)]
    model.fill_model_from_sparse_data(v[0], v[1], v[2], v[3], v[4],
                                      sp.csr_matrix(a, dtype=np.float64))


@dataclass
class _MipOut:
    status: str
    values: FloatArray | None
    objective: float
    bound: float


def _solve_mb(model: Any, solver: str, time_limit: float, gap: float,
              threads: int = 1, verbose: bool = False) -> _MipOut:
    """Solve a model-builder model; the bound is ``nan`` where OR-Tools gives none.

    OR-Tools 9.15 passes HiGHS's objective as its "best bound" (and row activities as LP
    duals), so a HiGHS bound is only what its stopping rule certifies: within ``gap`` of the
    objective when it reports optimality.
    """
    s = mbh.ModelSolverHelper(_SOLVER_NAMES[solver])
    if not s.solver_is_supported():
        raise RuntimeError(f"solver {solver!r} is not available in this OR-Tools build")
    params = _solver_params(_SOLVER_NAMES[solver], gap, threads)
    if params:
        s.set_solver_specific_parameters(params)
    s.set_time_limit_in_seconds(max(0.05, float(time_limit)))
    s.enable_output(verbose)
    s.solve(model)
    st = s.status()
    name = {mbh.SolveStatus.OPTIMAL: "OPTIMAL", mbh.SolveStatus.FEASIBLE: "FEASIBLE",
            mbh.SolveStatus.INFEASIBLE: "INFEASIBLE"}.get(st, "NOT_SOLVED")
    if name in ("OPTIMAL", "FEASIBLE") and s.has_solution():
        obj = float(s.objective_value())
        bound = float(s.best_objective_bound())
        if _SOLVER_NAMES[solver] == "highs":
            bound = obj - gap * abs(obj) if name == "OPTIMAL" else math.nan
        return _MipOut(name, np.asarray(s.variable_values(), float), obj, bound)
    return _MipOut(name if name == "INFEASIBLE" else "NOT_SOLVED", None, math.nan, math.nan)
