"""The routing-policy protocols (:class:`RoutingPolicy`, :class:`WavePolicy`) and the check of a
built-in policy's numeric parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from sim.state import OrderView, StateView

Decision = int | Sequence[int]
"""An FC id for the whole order, or one FC id per order line (a split)."""


class PolicyError(RuntimeError):
    """A policy returned a decision the model cannot carry out (message for the user)."""


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


@runtime_checkable
class WavePolicy(RoutingPolicy, Protocol):
    """A routing policy that routes the orders placed since its last call jointly, every
    ``wave_interval_h`` hours (``optimize.wave.Wave`` is one).

    ``route_wave`` returns one decision per order, or None for an order to be routed alone
    with ``route``; ``route`` also serves orders on hold offered again.  Optionally
    ``route_now(order, state) -> bool`` sends an order at once instead of waiting (see
    :class:`Urgent`).
    """

    wave_interval_h: float

    def route_wave(self, orders: Sequence[OrderView], state: StateView
                   ) -> Sequence[Decision | None]:
        ...


@runtime_checkable
class Urgent(Protocol):
    """A wave policy's optional ``route_now``: True sends the order alone, now."""

    def route_now(self, order: OrderView, state: StateView) -> bool:
        ...


def checked_number(name: str, value: object, *, lo: float = 0.0, hi: float = 1e9,
                   integer: bool = False, lo_open: bool = False) -> float:
    """A built-in policy's numeric parameter, checked: a finite number (a whole one if
    ``integer``) in ``[lo, hi]`` (``(lo, hi]`` if ``lo_open``); raises ValueError naming it."""
    x = float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else math.nan
    ok = math.isfinite(x) and (not integer or x.is_integer()) \
        and (lo < x if lo_open else lo <= x) and x <= hi
    if not ok:
        kind = "a whole number" if integer else "a number"
        low = f"above {lo:g}" if lo_open else f"at least {lo:g}"
        raise ValueError(f"{name} must be {kind} {low} and at most {hi:g}, got {value!r}")
    return x
