"""Routing policies: where each order (or each of its lines) is fulfilled from.

A routing policy is any object with a ``route(order, state)`` method (see
:class:`RoutingPolicy`).  Built-ins are chosen in a scenario by name; a user's class by
``"module:Class"`` (the module is looked up beside the scenario file first, then on
``sys.path``), with ``[routing.params]`` passed to its constructor as keyword arguments.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.policies.base import Decision, RoutingPolicy
from sim.policies.builtin import Assigned, LeastLoaded, Nearest, NearestIgnoringStock
from sim.policies.optimized import Optimal, Wave
from sim.policies.replenishment import (
    RQ,
    SS,
    NoReplenishment,
    OrderUpTo,
    ReplenishmentPolicy,
)

if TYPE_CHECKING:
    from sim.network import ClassSpec, Network

BUILTIN: dict[str, type] = {
    "nearest": Nearest,
    "nearest_ignoring_stock": NearestIgnoringStock,
    "least_loaded": LeastLoaded,
    "assigned": Assigned,
    "optimal": Optimal,
    "wave": Wave,
}

__all__ = [
    "BUILTIN",
    "Assigned",
    "Decision",
    "LeastLoaded",
    "Nearest",
    "NearestIgnoringStock",
    "Optimal",
    "ReplenishmentPolicy",
    "RoutingPolicy",
    "Wave",
    "resolve_policy",
    "resolve_replenishment",
]


def _load_class(spec: str, base_dir: Path | None) -> type:
    module_name, _, cls_name = spec.partition(":")
    if not module_name or not cls_name:
        raise ValueError(f"'{spec}' is neither a built-in policy ({', '.join(BUILTIN)}) "
                         "nor of the form 'module:Class'")
    added = base_dir is not None and str(base_dir) not in sys.path
    if added:
        sys.path.insert(0, str(base_dir))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import module '{module_name}' for policy '{spec}': {exc}") \
            from None
    except Exception as exc:  # a user's module that fails while importing
        raise ValueError(f"error while importing module '{module_name}' for policy '{spec}': "
                         f"{type(exc).__name__}: {exc}") from None
    finally:
        if added:
            sys.path.remove(str(base_dir))
    cls = getattr(module, cls_name, None)
    if cls is None or not inspect.isclass(cls):
        raise ValueError(f"module '{module_name}' has no class '{cls_name}'")
    return cls


def resolve_policy(name: str, params: Mapping[str, Any] | None = None,
                   base_dir: Path | None = None) -> RoutingPolicy:
    """Instantiate the routing policy ``name`` with ``params``.

    Raises
    ------
    ValueError
        With a message for the user if the name is unknown, the class cannot be imported, the
        parameters do not fit its constructor, or it has no ``route`` method.
    """
    cls = BUILTIN.get(name) or _load_class(name, base_dir)
    try:
        policy = cls(**dict(params or {}))
    except TypeError as exc:
        raise ValueError(f"policy '{name}' does not accept parameters {dict(params or {})}: "
                         f"{exc}") from None
    except ValueError as exc:
        raise ValueError(f"policy '{name}': invalid parameters: {exc}") from None
    if not callable(getattr(policy, "route", None)):
        raise ValueError(f"policy '{name}' has no method route(order, state)")
    return policy


def resolve_replenishment(spec: ClassSpec, net: Network) -> ReplenishmentPolicy:
    """The replenishment policy of one SKU class: a built-in with the network's levels, or a
    user's ``module:Class`` built as ``Class(net=net, skus=..., **params)``.

    Raises
    ------
    ValueError
        With a message for the user if the class cannot be imported or built, or lacks the
        protocol's methods.
    """
    period = spec.review_period_days
    if spec.policy in ("sS", "min_max"):
        return SS(net.repl_s, net.repl_S, period)
    if spec.policy == "rQ":
        return RQ(net.repl_s, net.repl_Q, period)
    if spec.policy in ("RS", "base_stock"):
        return OrderUpTo(net.repl_S, period)
    if spec.policy == "none":
        return NoReplenishment()
    cls = _load_class(spec.policy, net.base_dir)
    skus = np.flatnonzero(net.sku_class == "ABC".index(spec.name))
    try:
        policy = cls(net=net, skus=skus, **dict(spec.params))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"replenishment policy '{spec.policy}' for class {spec.name}: "
                         f"cannot be built with parameters {dict(spec.params)}: {exc}") from None
    for method in ("reorder_point", "order_quantity"):
        if not callable(getattr(policy, method, None)):
            raise ValueError(f"replenishment policy '{spec.policy}' has no method {method}()")
    if not hasattr(policy, "review_period_days"):
        raise ValueError(f"replenishment policy '{spec.policy}' has no attribute "
                         "review_period_days (None for continuous review)")
    return policy
