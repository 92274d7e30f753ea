"""Exact capacitated facility location (split demand) for large instances: Lagrangian bound,
heuristic, reduced-cost fixing, then a much smaller MIP.  See :mod:`optimize.cflp.solve`."""

from optimize.cflp.solve import solve_cflp_lagrangian

__all__ = ["solve_cflp_lagrangian"]
