"""What a network design returns: the cost split of a set of open sites, the current network
priced on the same model, the chosen network, and the progress reports sent while solving."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from optimize.facility import FacilityResult
from optimize.network_design.problem import NetworkProblem

__all__ = [
    "CurrentNetwork",
    "DesignProgress",
    "NetworkDesign",
    "ProgressFn",
    "SiteMix",
    "site_mix",
]


@dataclass(frozen=True)
class DesignProgress:
    """A progress report: ``stage`` is ``"current"`` (pricing the current network),
    ``"solving"`` (every second while the MIP runs) or ``"done"``; ``elapsed_s`` is the time
    since the stage began."""

    stage: str
    elapsed_s: float
    time_limit_s: float | None


ProgressFn = Callable[[DesignProgress], None]


@dataclass(frozen=True)
class SiteMix:
    """Cost and service of a set of open sites under an assignment (money per day)."""

    fixed_cost: float
    transport_cost: float
    labor_cost: float
    late_cost: float
    orders_per_day: NDArray[np.float64]  # (m,) orders served by each candidate
    mean_zone: float
    share_within_2_days: float  # share of orders whose service transit is <= 2 days
    mean_transit_days: float

    @property
    def total(self) -> float:
        return self.fixed_cost + self.transport_cost + self.labor_cost + self.late_cost


def site_mix(p: NetworkProblem, open_mask: NDArray[np.bool_], x: NDArray[np.float64]) -> SiteMix:
    flows = x * p.demand[None, :]  # orders/day from site i to destination j
    total = float(flows.sum()) or 1.0
    days = p.transit_days_by_zone[p.zone]
    return SiteMix(
        fixed_cost=float(p.candidates.fixed_cost_per_day[open_mask].sum()),
        transport_cost=float(np.sum(x * p.transport)),
        labor_cost=float(np.sum(x * p.labor)),
        late_cost=float(np.sum(x * p.late)),
        orders_per_day=flows.sum(axis=1),
        mean_zone=float(np.sum(flows * p.zone) / total),
        share_within_2_days=float(flows[days <= 2].sum() / total),
        mean_transit_days=float(np.sum(flows * days) / total),
    )


@dataclass(frozen=True)
class CurrentNetwork:
    """The scenario's current FCs priced on the same model (their matched candidates open,
    demand assigned optimally under the same capacities and sourcing rule)."""

    fc_names: tuple[str, ...]
    site_index: tuple[int, ...]  # matched candidate of each FC
    match_miles: tuple[float, ...]
    mix: SiteMix
    assignment: NDArray[np.float64]

    @property
    def objective(self) -> float:
        return self.mix.total


@dataclass(frozen=True)
class NetworkDesign:
    """The chosen network and how it compares with the scenario's current one.

    Money is per day.  ``objective = fixed_cost + transport_cost + labor_cost + late_cost``;
    ``bound`` is the solver's proven lower bound and ``gap`` the relative gap (0 = optimal).
    ``current`` is None when the current FCs cannot be priced (``current_note`` says why).
    """

    problem: NetworkProblem
    max_sites: int
    single_sourcing: bool
    site_index: tuple[int, ...]
    open_mask: NDArray[np.bool_]
    assignment: NDArray[np.float64]  # (m, n) share of destination j served by site i
    mix: SiteMix
    objective: float
    bound: float
    gap: float
    status: str
    solve_seconds: float
    build_seconds: float
    time_limit_s: float | None
    current: CurrentNetwork | None
    current_note: str
    kept_current: bool = False
    """True when the solver stopped (time limit) with no solution or one worse than the
    current network, which is returned instead (``bound`` and ``gap`` are the solver's,
    ``nan`` if it had none)."""
    result: FacilityResult | None = field(default=None, repr=False)

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(self.problem.candidates.sites[i] for i in self.site_index)

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(self.problem.candidates.slugs[i] for i in self.site_index)

    @property
    def orders_per_day(self) -> NDArray[np.float64]:
        """Orders per day served by each chosen site (aligned with ``site_index``)."""
        return self.mix.orders_per_day[list(self.site_index)]

    @property
    def demand_share(self) -> NDArray[np.float64]:
        """Share of demand served by each chosen site (aligned with ``site_index``)."""
        return self.orders_per_day / self.problem.total_demand

    @property
    def fixed_cost(self) -> float:
        return self.mix.fixed_cost

    @property
    def transport_cost(self) -> float:
        return self.mix.transport_cost

    @property
    def saving_per_day(self) -> float | None:
        """Current network's cost minus the design's (positive = the design is cheaper)."""
        return None if self.current is None else self.current.objective - self.objective
