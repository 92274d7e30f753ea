"""An example of a user-written routing policy (see README, "Routing policies")."""

from __future__ import annotations

from sim.state import OrderView, StateView


class CheapestZoneWithStock:
    """Lowest zone among FCs that hold the whole order; ties to the least busy."""

    def __init__(self, max_zone: int = 8) -> None:
        self.max_zone = max_zone

    def route(self, order: OrderView, state: StateView) -> int:
        net = state.network
        candidates = [f for f in range(net.n_fcs)
                      if net.zone[f, order.dest] <= self.max_zone
                      and state.has_stock(f, order.skus, order.units)]
        if not candidates:
            return int(net.fc_rank[order.dest, 0])  # wait at the nearest FC
        return min(candidates, key=lambda f: (int(net.zone[f, order.dest]), state.wip(f)))
