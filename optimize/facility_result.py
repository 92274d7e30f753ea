"""The result of a facility-location solve (:mod:`optimize.facility`, :mod:`optimize.cflp`).

A module of its own so that both solvers can return it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["FacilityResult"]


@dataclass(frozen=True)
class FacilityResult:
    """Outcome of :func:`solve_facility_location`.

    Attributes
    ----------
    objective : float
        Cost of the best solution found (``nan`` if none).
    bound : float
        Best proven lower bound on the optimum.
    gap : float
        Relative gap ``(objective - bound) / max(|objective|, 1)``; 0 means proven optimal.
    solve_seconds : float
        Wall time of the solver call (model building excluded).
    build_seconds : float
        Wall time spent building the model.
    status : str
        ``"OPTIMAL"``, ``"FEASIBLE"`` (time limit hit with a solution), ``"INFEASIBLE"``,
        ``"NOT_SOLVED"`` ...: the ``pywraplp`` status name.
    open_facilities : ndarray of bool, shape (m,)
        ``y_i`` rounded.
    assignment : ndarray, shape (m, n)
        ``x_ij``: fraction of customer ``j``'s demand served from ``i`` (columns sum to 1).
    backend : str
        Solver used.
    """

    objective: float
    bound: float
    gap: float
    solve_seconds: float
    build_seconds: float
    status: str
    open_facilities: NDArray[np.bool_]
    assignment: NDArray[np.float64]
    backend: str

    @property
    def optimal(self) -> bool:
        """True when the solver proved optimality (within its gap tolerance)."""
        return self.status == "OPTIMAL"
