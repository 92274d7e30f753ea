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
from typing import Any

from sim.policies.base import Decision, RoutingPolicy
from sim.policies.builtin import LeastLoaded, Nearest, NearestIgnoringStock

BUILTIN: dict[str, type] = {
    "nearest": Nearest,
    "nearest_ignoring_stock": NearestIgnoringStock,
    "least_loaded": LeastLoaded,
}

__all__ = ["BUILTIN", "Decision", "LeastLoaded", "Nearest", "NearestIgnoringStock",
           "RoutingPolicy", "resolve_policy"]


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
