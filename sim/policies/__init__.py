"""Routing policies: where each order (or each of its lines) is fulfilled from.

A routing policy is any object with a ``route(order, state)`` method (see
:class:`RoutingPolicy`).  Built-ins are chosen in a scenario by name; a user's class by
``"module:Class"``: ``module.py`` in the folder of the scenario file that names it (see
:mod:`sim.policies.loading` for the rules), with ``[routing.params]`` passed to its
constructor as keyword arguments.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.policies.base import Decision, RoutingPolicy
from sim.policies.builtin import Assigned, LeastLoaded, Nearest, NearestIgnoringStock
from sim.policies.loading import check_class, is_class_spec, load_class, policy_file
from sim.policies.optimized import Optimal
from sim.policies.replenishment import (
    RQ,
    SS,
    NoReplenishment,
    OrderUpTo,
    ReplenishmentPolicy,
)
from sim.scenario import CLASS_NAMES, Scenario, ScenarioError

if TYPE_CHECKING:
    from sim.network import ClassSpec, Network

BUILTIN: dict[str, type] = {
    "nearest": Nearest,
    "nearest_ignoring_stock": NearestIgnoringStock,
    "least_loaded": LeastLoaded,
    "assigned": Assigned,
    "optimal": Optimal,
}
"""Built-in routing policies by name.  Policies that live outside ``sim`` (``wave``, in
:mod:`optimize.wave`, needs OR-Tools) are registered under the entry point group
:data:`ROUTING_ENTRY_POINTS` in ``pyproject.toml`` and found by :func:`routing_class`."""

ROUTING_ENTRY_POINTS = "fulfillment_workbench.routing"


def routing_class(name: str) -> type | None:
    """The built-in routing policy class called ``name``, or None."""
    if name in BUILTIN:
        return BUILTIN[name]
    for ep in entry_points(group=ROUTING_ENTRY_POINTS, name=name):
        cls: type = ep.load()
        BUILTIN[name] = cls  # resolved once
        return cls
    return None


def __getattr__(name: str) -> type:
    """``sim.policies.Wave`` (it moved to :mod:`optimize.wave`), through the registry."""
    if name == "Wave":
        cls = routing_class("wave")
        if cls is not None:
            return cls
    raise AttributeError(f"module 'sim.policies' has no attribute {name!r}")


def routing_names() -> list[str]:
    """Names of every built-in routing policy."""
    return sorted({*BUILTIN, *(ep.name for ep in entry_points(group=ROUTING_ENTRY_POINTS))})

__all__ = [
    "BUILTIN",
    "REPLENISHMENT",
    "Assigned",
    "Decision",
    "LeastLoaded",
    "Nearest",
    "NearestIgnoringStock",
    "Optimal",
    "ReplenishmentPolicy",
    "RoutingPolicy",
    "build_policies",
    "check_policies",
    "resolve_policy",
    "resolve_replenishment",
    "routing_class",
    "routing_names",
]


REPLENISHMENT: dict[str, Callable[[Network, int | None], ReplenishmentPolicy]] = {
    "sS": lambda net, period: SS(net.repl_s, net.repl_S, period),
    "min_max": lambda net, period: SS(net.repl_s, net.repl_S, period),
    "rQ": lambda net, period: RQ(net.repl_s, net.repl_Q, period),
    "RS": lambda net, period: OrderUpTo(net.repl_S, period),
    "base_stock": lambda net, period: OrderUpTo(net.repl_S, period),
    "none": lambda net, period: NoReplenishment(),
}
"""Built-in replenishment policies by name, built from the network's levels and the class's
review period (the scenario schema lists the same names: ``REPLENISHMENT_BUILTINS``)."""

ROUTE_METHODS = {"route": ("order", "state")}
WAVE_METHODS = {"route": ("order", "state"), "route_wave": ("orders", "state")}
REPLENISHMENT_METHODS = {"reorder_point": ("fc", "sku"),
                         "order_quantity": ("fc", "sku", "position", "state")}


def _not_builtin(name: str) -> ValueError:
    return ValueError(f"'{name}' is neither a built-in policy ({', '.join(routing_names())}) "
                      "nor of the form 'module:Class'")


def _user_class(spec: str, origin: Path | None) -> type:
    if origin is None:
        raise ValueError(f"policy '{spec}' names a user's module, which is looked up beside "
                         "the scenario file; this scenario was not loaded from a file")
    return load_class(spec, origin.parent)


def _build(cls: type, spec: str, kwargs: Mapping[str, Any]) -> Any:
    """``cls(**kwargs)``; any exception its constructor raises becomes a ValueError."""
    try:
        return cls(**kwargs)
    except (Exception, SystemExit) as exc:  # Ctrl-C stays an interruption
        shown = reprlib.repr({k: v for k, v in kwargs.items() if k not in ("net", "skus")})
        raise ValueError(f"policy '{spec}' could not be built with parameters {shown}: "
                         f"{type(exc).__name__}: {exc}") from None


def resolve_policy(name: str, params: Mapping[str, Any] | None = None,
                   origin: Path | None = None) -> RoutingPolicy:
    """Build the routing policy ``name`` with ``params``.

    ``name`` is a built-in name or ``module:Class``, a class defined in ``module.py`` in the
    folder of ``origin`` (the scenario file that names it) or below it: see
    :mod:`sim.policies.loading`.

    Raises
    ------
    ValueError
        With a message for the user if the name is unknown, the class cannot be imported, the
        parameters do not fit its constructor, or it lacks the protocol's methods.
    """
    params = dict(params or {})
    builtin = None if is_class_spec(name) else routing_class(name)
    if builtin is not None:
        cls = builtin
    elif is_class_spec(name):
        cls = _user_class(name, origin)
        check_class(cls, name, ROUTE_METHODS, params)
    else:
        raise _not_builtin(name)
    policy = _build(cls, name, params)
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
    builtin = REPLENISHMENT.get(spec.policy)
    if builtin is not None:
        return builtin(net, spec.review_period_days)
    cls = _user_class(spec.policy, spec.origin)
    skus = np.flatnonzero(net.sku_class == CLASS_NAMES.index(spec.name))
    args = {"net": net, "skus": skus, **spec.params}
    check_class(cls, spec.policy, REPLENISHMENT_METHODS, args)
    policy = _build(cls, spec.policy, args)
    days: object = getattr(policy, "review_period_days", "missing")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool)
                             or not 1 <= days <= 3650):
        raise ValueError(f"replenishment policy '{spec.policy}': attribute review_period_days "
                         f"is {days!r}; expected None (continuous review) or whole days "
                         "from 1 to 3650")
    return policy


def build_policies(net: Network, routing: RoutingPolicy | None = None
                   ) -> tuple[RoutingPolicy, list[ReplenishmentPolicy]]:
    """Build the routing policy (unless ``routing`` is given) and each SKU class's
    replenishment policy of ``net``: the model does at the start of a run, and ``fulfill
    validate`` after :func:`check_policies`.

    Raises
    ------
    ScenarioError
        Naming the scenario file and field of a policy that cannot be built.
    """
    try:
        if routing is None:
            routing = resolve_policy(net.routing_policy, net.routing_params,
                                     net.routing_policy_origin)
    except ValueError as exc:
        raise ScenarioError(f"{net.routing_policy_origin or '<scenario>'}: field "
                            f"'routing.policy': {exc}") from None
    repl = []
    for spec in net.repl_classes:
        try:
            repl.append(resolve_replenishment(spec, net))
        except ValueError as exc:
            raise ScenarioError(f"{spec.origin or '<scenario>'}: field '{spec.field}': "
                                f"{exc}") from None
    return routing, repl


def check_policies(sc: Scenario) -> list[Path]:
    """Check every policy a scenario names, before a run; return the user's files imported.

    Built-in routing policies are built (to check their parameters).  A user's class is
    imported from its file and checked with ``inspect`` (methods, constructor parameters)
    without being built: the model builds it when the run starts.

    Raises
    ------
    ScenarioError
        Naming the scenario file that names the policy, the field, and what is wrong.
    """
    files: list[Path] = []
    for field, spec, origin in sc.policy_specs():
        where = origin or sc.source or "<scenario>"
        try:
            if field == "routing.policy" and not is_class_spec(spec):
                resolve_policy(spec, sc.routing.params)
            elif is_class_spec(spec):
                assert origin is not None or sc.source is None
                cls = _user_class(spec, origin)
                if field == "routing.policy":
                    methods = WAVE_METHODS if hasattr(cls, "wave_interval_h") else ROUTE_METHODS
                    check_class(cls, spec, methods, sc.routing.params)
                else:
                    cp = sc.replenishment.for_class(field.split(".")[-2]) \
                        if ".classes." in field else sc.replenishment
                    check_class(cls, spec, REPLENISHMENT_METHODS,
                                {"net": None, "skus": None, **cp.params})
                path = policy_file(spec, origin.parent)  # type: ignore[union-attr]
                if path not in files:
                    files.append(path)
        except ValueError as exc:
            raise ScenarioError(f"{where}: field '{field}': {exc}") from None
    return files
