"""The routing-policy protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from sim.state import OrderView, StateView

Decision = int | Sequence[int]
"""An FC id for the whole order, or one FC id per order line (a split)."""


@runtime_checkable
class RoutingPolicy(Protocol):
    """Decides which FC fulfils each line of an order.

    ``route`` is called when the order is placed and again, for an order on hold, whenever
    stock of one of its SKUs arrives.  It returns one FC id (the whole order ships from there)
    or a sequence with one FC id per line (one shipment per distinct FC).  If the chosen FCs
    cannot allocate every line from stock on hand, the order goes on hold and is offered to the
    policy again later; the policy never moves stock itself.
    """

    def route(self, order: OrderView, state: StateView) -> Decision:
        ...
