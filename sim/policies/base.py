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

    A policy may set the class attribute ``route_is_pure = True`` when ``route`` has no side
    effects and its answer depends only on the order and the state view (caches allowed if
    they never change a later answer; every built-in policy sets it): the model then does
    not ask it about a held order that no answer could release (a line short at every FC).
    The attribute counts only on the policy's own class, not inherited, and not for an
    instance that replaces one of its class's methods (:func:`declares_pure`): a subclass
    that may add effects (counting, learning) is asked every time unless it sets it itself.
    Without it, every held order is offered whenever its stock arrives.
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


def declares_pure(policy: object, _seen: frozenset[int] = frozenset()) -> bool:
    """True if ``policy``'s own class sets ``route_is_pure = True`` (a subclass may add
    effects: it is not inherited), the instance replaces none of the class's methods (a
    ``price`` of its own, say), and every policy it keeps and may hand an order to (an
    attribute with a ``route``, such as ``Wave.single`` or a fallback) declares it too:
    see :class:`RoutingPolicy`."""
    cls = type(policy)
    if id(policy) in _seen or vars(cls).get("route_is_pure", False) is not True:
        return False
    own = getattr(policy, "__dict__", {})
    if any(callable(v) and hasattr(cls, k) for k, v in own.items()):
        return False
    seen = _seen | {id(policy)}
    return all(declares_pure(v, seen) for v in own.values()
               if not isinstance(v, type) and callable(getattr(v, "route", None)))
