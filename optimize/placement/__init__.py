"""Inventory placement: which FCs stock each SKU, which FC serves each region, how much to hold.

The model, the stock rule and the solution methods are described in ``docs/placement.md``.
The package: :mod:`~optimize.placement.problem` (the instance and the result),
:mod:`~optimize.placement.evaluate` (coefficients, cost of an assignment, stock targets),
:mod:`~optimize.placement.feasibility` (infeasibility found before solving),
:mod:`~optimize.placement.model_builder` (OR-Tools plumbing), :mod:`~optimize.placement.mip`
(the monolithic MIP), :mod:`~optimize.placement.columns` and
:mod:`~optimize.placement.decomposition` (column generation),
:mod:`~optimize.placement.primal` (placements from the columns),
:mod:`~optimize.placement.reduced_mip` (reduced-cost fixing),
:mod:`~optimize.placement.branch_and_price`, :mod:`~optimize.placement.solve`
(:func:`solve_placement`, :func:`placement_from_files`),
:mod:`~optimize.placement.from_network` (the problem of a scenario),
:mod:`~optimize.placement.synthetic` (benchmark instances) and
:mod:`~optimize.placement.write` (the scenario that runs a placement).

No SimPy import: the package is usable without the simulation.
"""

from optimize.placement.evaluate import evaluate_assignment, max_service_share, target_units
from optimize.placement.from_network import labor_throughput, problem_from_network
from optimize.placement.problem import (
    InfeasiblePlacement,
    PlacementProblem,
    PlacementProgress,
    PlacementResult,
    peak_memory_mb,
)
from optimize.placement.solve import placement_from_files, solve_placement
from optimize.placement.synthetic import synthetic_problem
from optimize.placement.write import write_placement_scenario

__all__ = [
    "InfeasiblePlacement",
    "PlacementProblem",
    "PlacementProgress",
    "PlacementResult",
    "evaluate_assignment",
    "labor_throughput",
    "max_service_share",
    "peak_memory_mb",
    "placement_from_files",
    "problem_from_network",
    "solve_placement",
    "synthetic_problem",
    "target_units",
    "write_placement_scenario",
]
