"""Solving the design: infeasibility explained up front, the facility-location MIP with
progress reports, and the current network priced on the same model for comparison."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optimize.facility import (
    FacilityResult,
    InfeasibleFacilityProblem,
    solve_facility_location,
)
from optimize.network_design.candidates import Candidates
from optimize.network_design.problem import NetworkProblem, network_problem, thousands
from optimize.network_design.result import (
    CurrentNetwork,
    DesignProgress,
    NetworkDesign,
    ProgressFn,
    SiteMix,
    site_mix,
)
from optimize.orlib import FacilityProblem
from sim.geo import great_circle_miles
from sim.network import Network

__all__ = [
    "InfeasibleNetworkDesign",
    "NoSolutionFound",
    "design_network",
    "evaluate_sites",
    "explain_infeasibility",
    "match_current_fcs",
]


class InfeasibleNetworkDesign(InfeasibleFacilityProblem):
    """No choice of sites can serve the demand; ``binding`` names the constraint.

    ``binding`` is one of ``"max_sites"`` (fewer than one site allowed, or the K largest
    candidates too small), ``"total_capacity"``, ``"single_sourcing"`` (a destination larger
    than any site, or demands that do not pack into K sites) or ``"sites"`` (an empty choice).
    A ``ValueError`` subclass (through :class:`InfeasibleFacilityProblem`).
    """

    def __init__(self, message: str, binding: str) -> None:
        super().__init__(message)
        self.binding = binding


class NoSolutionFound(RuntimeError):
    """The solver stopped (time limit) before finding any feasible choice of sites."""



def explain_infeasibility(p: NetworkProblem, max_sites: int, single_sourcing: bool) -> None:
    """Raise :class:`InfeasibleNetworkDesign` if the instance is infeasible for a reason that
    can be named before solving: max_sites < 1, total capacity below demand, the max_sites
    largest candidates below demand, or (single sourcing) a destination larger than every
    candidate.  Passing these checks does not prove feasibility with single sourcing."""
    c = p.candidates
    caps = c.capacity_orders_per_day
    total = p.total_demand
    if max_sites < 1:
        raise InfeasibleNetworkDesign(
            f"max_sites = {max_sites}: at least one site must open to serve "
            f"{thousands(total)} orders/day.", "max_sites")
    if float(caps.sum()) < total:
        raise InfeasibleNetworkDesign(
            f"all {len(c)} candidates together hold {thousands(float(caps.sum()))} orders/day, "
            f"{p.demand_text}: total capacity binds. Add candidate sites or capacity, or "
            f"lower the demand.", "total_capacity")
    order = np.argsort(-caps, kind="stable")
    if max_sites < len(c):
        top = order[:max_sites]
        held = float(caps[top].sum())
        if held < total:
            need = int(np.searchsorted(np.cumsum(caps[order]), total, side="left")) + 1
            largest = ", ".join(f"{c.label(int(i))} {thousands(float(caps[i]))}" for i in top[:5])
            more = "" if max_sites <= 5 else f" and {max_sites - 5} more"
            what = (f"the largest candidate holds {thousands(held)} orders/day ({largest})"
                    if max_sites == 1 else f"the {max_sites} largest candidates hold "
                    f"{thousands(held)} orders/day ({largest}{more})")
            raise InfeasibleNetworkDesign(
                f"{what}, {p.demand_text}: "
                f"max_sites = {max_sites} binds. Allow at least {need} sites or raise "
                f"capacities.", "max_sites")
    if single_sourcing:
        j = int(np.argmax(p.demand))
        big = int(order[0])
        if p.demand[j] > caps[big]:
            raise InfeasibleNetworkDesign(
                f"single sourcing: destination {p.dest_names[j]} needs "
                f"{thousands(float(p.demand[j]))} orders/day from one site, but the largest "
                f"candidate ({c.label(big)}) holds "
                f"{thousands(float(caps[big]))}. Allow split sourcing or raise capacities.",
                "single_sourcing")



def _solve_with_ticks(problem: FacilityProblem, progress: ProgressFn | None, stage: str,
                      time_limit_s: float | None, **kw: Any) -> FacilityResult:
    """Solve, reporting progress every second from a helper thread (the solver releases the
    GIL, so the thread runs while SCIP works).  ``progress`` is called from that thread."""
    if progress is None:
        return solve_facility_location(problem, time_limit_s=time_limit_s, **kw)
    stop = threading.Event()
    t0 = time.perf_counter()

    def tick() -> None:
        while not stop.wait(1.0):
            progress(DesignProgress(stage, time.perf_counter() - t0, time_limit_s))

    progress(DesignProgress(stage, 0.0, time_limit_s))
    thread = threading.Thread(target=tick, name="network-design-progress", daemon=True)
    thread.start()
    try:
        return solve_facility_location(problem, time_limit_s=time_limit_s, **kw)
    finally:
        stop.set()
        thread.join()


def _subproblem(p: NetworkProblem, rows: Sequence[int]) -> FacilityProblem:
    f = p.facility
    idx = np.asarray(rows, np.int64)
    return FacilityProblem(capacities=f.capacities[idx].copy(),
                           fixed_costs=np.zeros(len(idx)),  # all open: fixed costs added after
                           demands=f.demands, costs=np.ascontiguousarray(f.costs[idx]),
                           name=f"{f.name} (fixed sites)")


def evaluate_sites(p: NetworkProblem, rows: Sequence[int], *, single_sourcing: bool = True,
                   time_limit_s: float | None = 60.0, backend: str = "SCIP",
                   progress: ProgressFn | None = None, stage: str = "current"
                   ) -> tuple[SiteMix, NDArray[np.float64]]:
    """Price a fixed set of open candidate sites (``y`` fixed): demand assigned at least cost
    within their capacities.  Returns the cost split and the (m, n) assignment.

    Raises
    ------
    InfeasibleNetworkDesign
        If the sites cannot hold the demand (capacity, or packing with single sourcing).
    NoSolutionFound
        If the time limit passes before any assignment is found.
    """
    rows = sorted(set(int(r) for r in rows))
    if not rows:
        raise InfeasibleNetworkDesign("no sites given to evaluate.", "sites")
    sub = _subproblem(p, rows)
    c = p.candidates
    held = float(sub.capacities.sum())
    if held < p.total_demand:
        names = ", ".join(f"{c.label(r)} {thousands(float(c.capacity_orders_per_day[r]))}"
                          for r in rows)
        raise InfeasibleNetworkDesign(
            f"the sites ({names}) hold {thousands(held)} orders/day, {p.demand_text}: their "
            f"capacity binds.", "total_capacity")
    try:
        res = _solve_with_ticks(sub, progress, stage, time_limit_s, capacitated=True,
                                single_sourcing=single_sourcing, backend=backend,
                                mip_gap=1e-9)
    except InfeasibleFacilityProblem as exc:
        raise InfeasibleNetworkDesign(
            f"with single sourcing the destinations' demands do not fit into the sites' "
            f"capacities ({exc})", "single_sourcing") from None
    if math.isnan(res.objective):
        raise NoSolutionFound(f"no assignment of demand to the sites found within "
                              f"{time_limit_s} s")
    x = np.zeros_like(p.facility.costs)
    x[rows] = res.assignment
    mask = np.zeros(len(c), bool)
    mask[rows] = True
    return site_mix(p, mask, x), x


def match_current_fcs(net: Network, candidates: Candidates, max_miles: float = 10.0
                      ) -> tuple[tuple[int, ...], tuple[float, ...], str]:
    """The candidate nearest to each of the scenario's FCs; an FC with none within
    ``max_miles`` leaves the match empty and the note says which."""
    d = great_circle_miles(np.asarray(net.fc_lat)[:, None], np.asarray(net.fc_lon)[:, None],
                           candidates.lat[None, :], candidates.lon[None, :])
    best = np.argmin(d, axis=1)
    miles = d[np.arange(len(best)), best]
    far = [f"{net.fc_names[k]} (nearest candidate {candidates.label(int(best[k]))} is "
           f"{miles[k]:,.0f} mi away)" for k in range(len(best)) if miles[k] > max_miles]
    if far:
        return (), (), ("current network not priced: no candidate within "
                        f"{max_miles:g} mi of FC(s) " + "; ".join(far))
    if len(set(best.tolist())) < len(best):
        return (), (), "current network not priced: two FCs match the same candidate"
    return tuple(int(b) for b in best), tuple(float(m) for m in miles), ""


def design_network(
    net: Network,
    candidates: Candidates,
    max_sites: int,
    *,
    single_sourcing: bool = True,
    time_limit_s: float | None = 60.0,
    progress: ProgressFn | None = None,
    problem: NetworkProblem | None = None,
    mip_gap: float = 1e-4,
    backend: str = "SCIP",
    match_miles: float = 10.0,
    verbose: bool = False,
    **problem_kw: Any,
) -> NetworkDesign:
    """Choose at most ``max_sites`` candidate sites for the scenario's demand.

    Parameters
    ----------
    net, candidates
        The scenario's network and the candidate sites.
    max_sites : int
        At most this many sites open (fewer if cheaper).
    single_sourcing : bool, default True
        Each destination served by one site; False lets demand split between sites.
    time_limit_s : float or None, default 60
        Solver time limit for the design MIP (the current network's pricing gets its own
        short solve); on expiry the best solution so far is returned with its bound and gap.
    progress : callable, optional
        Called with :class:`DesignProgress` about once a second while solving (from a helper
        thread) and at the start and end of each stage.
    problem : NetworkProblem, optional
        A prebuilt instance (else built with :func:`network_problem` and ``problem_kw``,
        e.g. ``zone_max_miles``, ``demand_factor``, ``late_penalty_per_order_day``).
    mip_gap : float, default 1e-4
        Relative optimality gap at which the solver stops.

    Raises
    ------
    InfeasibleNetworkDesign
        With a sentence naming the binding constraint (max_sites, total capacity, single
        sourcing), before any solving when it can be told up front.
    NoSolutionFound
        If the time limit passes before any feasible network is found.
    """
    if problem is not None and problem_kw:
        raise TypeError(f"give either problem or network_problem options, not both "
                        f"({', '.join(problem_kw)})")
    p = problem if problem is not None else network_problem(net, candidates, **problem_kw)
    explain_infeasibility(p, max_sites, single_sourcing)

    # The current network on the same model, so the planner sees the saving.
    rows, miles, note = match_current_fcs(net, p.candidates, match_miles)
    current: CurrentNetwork | None = None
    if rows:
        try:
            mix, x_cur = evaluate_sites(p, rows, single_sourcing=single_sourcing,
                                        time_limit_s=time_limit_s, backend=backend,
                                        progress=progress, stage="current")
            current = CurrentNetwork(fc_names=tuple(net.fc_names), site_index=rows,
                                     match_miles=miles, mix=mix, assignment=x_cur)
        except (InfeasibleNetworkDesign, NoSolutionFound) as exc:
            note = f"current network not priced: {exc}"
        if current is not None and len(rows) > max_sites:
            note = (f"the current network has {len(rows)} FCs, more than max_sites = "
                    f"{max_sites}, so it is not one of the choices")

    try:
        res = _solve_with_ticks(p.facility, progress, "solving", time_limit_s,
                                capacitated=True, single_sourcing=single_sourcing,
                                max_open=max_sites, backend=backend, mip_gap=mip_gap,
                                verbose=verbose)
    except InfeasibleNetworkDesign:
        raise
    except InfeasibleFacilityProblem as exc:
        if single_sourcing:
            raise InfeasibleNetworkDesign(
                f"with single sourcing the destinations' demands cannot be packed into "
                f"{max_sites} sites' capacities ({p.demand_text}); allow split sourcing, "
                f"more sites or more capacity. Solver: {exc}", "single_sourcing") from None
        raise InfeasibleNetworkDesign(str(exc), "max_sites") from None
    if progress is not None:
        progress(DesignProgress("done", res.solve_seconds, time_limit_s))
    fits = current is not None and len(current.site_index) <= max_sites
    if math.isnan(res.objective) and not fits:
        raise NoSolutionFound(
            f"no feasible network found within the time limit of {time_limit_s} s "
            f"(solver status {res.status}); raise the time limit.")

    open_mask = np.asarray(res.open_facilities, bool)
    x = np.asarray(res.assignment, float)
    # A site with y = 1 but no demand is still paid for; one with demand has y = 1.
    site_index = tuple(int(i) for i in np.flatnonzero(open_mask))
    mix = site_mix(p, open_mask, x)
    objective, bound, gap, kept = float(res.objective), float(res.bound), float(res.gap), False
    if current is not None and fits and (
            math.isnan(objective)
            or current.objective < objective - 1e-6 * max(1.0, abs(objective))):
        # Time limit hit with no solution or a worse one: the current network is the better
        # answer (and a feasible one).
        kept = True
        open_mask = np.zeros(len(p.candidates), bool)
        open_mask[list(current.site_index)] = True
        site_index = tuple(sorted(current.site_index))
        x, mix, objective = current.assignment, current.mix, current.objective
        gap = (math.nan if math.isnan(bound)
               else max(0.0, (objective - bound) / max(abs(objective), 1.0)))
    return NetworkDesign(
        problem=p, max_sites=max_sites, single_sourcing=single_sourcing,
        site_index=site_index, open_mask=open_mask, assignment=x, mix=mix,
        objective=objective, bound=bound, gap=gap, status=res.status,
        solve_seconds=res.solve_seconds, build_seconds=res.build_seconds,
        time_limit_s=time_limit_s, current=current, current_note=note, kept_current=kept,
        result=res)

