"""Branch and bound over the warehouses' ``y``, with a Lagrangian bound at every node.

A node fixes some warehouses open or closed; its bound comes from
:func:`optimize.cflp.lagrangian.subgradient` warm-started from the parent's multipliers, which
also fixes more warehouses by reduced cost (with the node's fixings the tests bite much
harder than at the root).  Nodes are explored best bound first.  A node with few warehouses
left free is a *leaf*: the strong formulation restricted to it goes to the MIP solver
(:func:`optimize.cflp.primal.solve_reduced_mip`), which closes such small models in seconds.

Branching picks the free warehouse whose smoothed relaxation ``y`` (a primal estimate) is
closest to 1/2; both children are solved at once so that the better bound is explored first.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from optimize.cflp.lagrangian import LagrangianState, subgradient
from optimize.cflp.primal import TransportSolution, solve_reduced_mip
from optimize.orlib import FacilityProblem

__all__ = ["BranchStats", "branch_and_bound"]

Float = NDArray[np.float64]
Bool = NDArray[np.bool_]


class IncumbentLike(Protocol):
    """The part of ``optimize.cflp.solve._Incumbent`` used here."""

    best: TransportSolution | None

    @property
    def cost(self) -> float: ...  # pragma: no cover

    def offer(self, y: Float, rho: Float | None = None) -> None: ...  # pragma: no cover


@dataclass(order=True)
class _Node:
    bound: float
    seq: int
    state: LagrangianState = field(compare=False)
    depth: int = field(compare=False)


@dataclass
class BranchStats:
    """What the search did: nodes solved, leaves given to the MIP, and the proof status."""

    nodes: int = 0
    leaves: int = 0
    leaf_seconds: float = 0.0
    max_depth: int = 0
    complete: bool = False  # True: the tree was exhausted, the incumbent is optimal
    bound: float = -math.inf  # global lower bound when the search stopped


def _closed_gap(bound: float, cutoff: float, gap: float) -> bool:
    return bound >= cutoff - gap * max(abs(cutoff), 1.0)


def branch_and_bound(problem: FacilityProblem, root: LagrangianState, inc: IncumbentLike, *,
                     max_open: int | None, deadline: float, gap: float, mip_solver: str,
                     leaf_free: int = 6, node_iter: int = 150,
                     log: Callable[[str], None] | None = None) -> BranchStats:
    """Search from the root's state until the gap closes or ``deadline`` passes."""
    stats = BranchStats()
    heap: list[_Node] = [_Node(root.bound, 0, root, 0)]
    seq = 1
    counter = [0]

    def on_y(y: Float, x: Float) -> None:
        counter[0] += 1
        if counter[0] % 10 == 0:
            inc.offer(y)

    def solve_child(parent: LagrangianState, fo: Bool, fc: Bool) -> LagrangianState:
        return subgradient(problem, parent.u, lambda: inc.cost, max_open=max_open,
                           fixed_open=fo, fixed_closed=fc, max_iter=node_iter, step0=0.5,
                           patience=10, min_step=1e-3, deadline=deadline,
                           target_gap=gap, on_y=on_y)

    while heap:
        if time.perf_counter() > deadline:
            break
        node = heapq.heappop(heap)
        if _closed_gap(node.bound, inc.cost, gap):
            heap.clear()  # best first: every other node is pruned as well
            break
        st = node.state
        free = np.flatnonzero(~(st.opened | st.closed))
        if len(free) == 0:
            inc.offer(st.opened.astype(np.float64))
            continue
        i = int(free[np.argmin(np.abs(st.y_average[free] - 0.5))])
        for value in (1, 0):
            fo, fc = st.opened.copy(), st.closed.copy()
            (fo if value else fc)[i] = True
            child = solve_child(st, fo, fc)
            stats.nodes += 1
            stats.max_depth = max(stats.max_depth, node.depth + 1)
            bound = max(child.bound, node.bound)
            if _closed_gap(bound, inc.cost, gap):
                continue
            cfree = ~(child.opened | child.closed)
            if not cfree.any():
                inc.offer(child.opened.astype(np.float64))
                continue
            if int(cfree.sum()) <= leaf_free:
                t = time.perf_counter()
                out = solve_reduced_mip(problem, cfree, child.opened, inc.best,
                                        time_limit_s=max(0.05, deadline - t),
                                        max_open=max_open, gap=gap, solver=mip_solver)
                stats.leaves += 1
                stats.leaf_seconds += time.perf_counter() - t
                if out.open_mask is not None and out.assignment is not None:
                    x = out.assignment
                    obj = float(problem.fixed_costs[out.open_mask].sum()
                                + (problem.costs * x).sum())
                    if obj < inc.cost:
                        inc.best = TransportSolution(obj, out.open_mask, x,
                                                     np.zeros(problem.n))
                if out.status in ("OPTIMAL", "INFEASIBLE"):
                    continue
                bound = max(bound, out.bound if not math.isnan(out.bound) else bound)
            heapq.heappush(heap, _Node(bound, seq, child, node.depth + 1))
            seq += 1
        if log is not None and stats.nodes % 20 < 2:
            lo = min([n.bound for n in heap], default=inc.cost)
            log(f"  nodes {stats.nodes}, open {len(heap)}, leaves {stats.leaves} "
                f"({stats.leaf_seconds:.0f} s), bound {lo:,.3f}, incumbent {inc.cost:,.3f}")
    stats.complete = not heap
    stats.bound = min([n.bound for n in heap], default=inc.cost)
    stats.bound = min(stats.bound, inc.cost)
    return stats
