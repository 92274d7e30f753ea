"""Scenario files: TOML on disk, validated into a typed :class:`Scenario`.

A scenario is everything a planner may change: the network, labor, demand, stock, carrier and
policies.  It is validated once, here, so that every later stage can trust its input.  Every
error names the file, the field path and what was expected, because the person reading it is a
planner editing a text file, not a developer reading a traceback.

Scenario files may ``extends = "other.toml"``: the parent is loaded first and the child's tables
are merged into it key by key (arrays and scalars are replaced).  Collections a planner tweaks
(FCs, shifts, channels) are tables keyed by name so that a variant can change one number.  A
child that must drop what its parent defines (a different set of FCs, a stock file instead of a
rule) lists those sections in ``replace = ["fcs", "inventory"]``: they replace the parent's.

The package: :mod:`~sim.scenario.types` (bounded number types, the strict base model, small
distributions), :mod:`~sim.scenario.schema` (the sections and :class:`Scenario`),
:mod:`~sim.scenario.tables` (the CSV files it names), :mod:`~sim.scenario.loading` (TOML,
``extends``, :func:`load_scenario`) and :mod:`~sim.scenario.writing` (:func:`write_scenario`).
"""

from sim.scenario.intake import Intake
from sim.scenario.international import International
from sim.scenario.loading import MAX_EXTENDS, POLICY_FIELDS, load_scenario, read_toml
from sim.scenario.quality import Quality
from sim.scenario.replay import ReplayOrders
from sim.scenario.schema import (
    CLASS_NAMES,
    FC,
    REPLENISHMENT_BUILTINS,
    CatalogRef,
    Channel,
    ClassPolicy,
    Demand,
    Hold,
    InitialStock,
    LeadTime,
    Replenishment,
    Returns,
    Routing,
    Scenario,
    ServiceConfig,
    Shift,
    Shipping,
    Supplier,
    Transfers,
    expected_units_per_order,
    sku_classes,
    validate_scenario_dict,
)
from sim.scenario.tables import ScenarioTables
from sim.scenario.types import WEEKDAYS, CountDist, ScenarioError, ServiceTime
from sim.scenario.writing import write_scenario

__all__ = [
    "CLASS_NAMES",
    "FC",
    "MAX_EXTENDS",
    "POLICY_FIELDS",
    "REPLENISHMENT_BUILTINS",
    "WEEKDAYS",
    "CatalogRef",
    "Channel",
    "ClassPolicy",
    "CountDist",
    "Demand",
    "Hold",
    "InitialStock",
    "Intake",
    "International",
    "LeadTime",
    "Quality",
    "ReplayOrders",
    "Replenishment",
    "Returns",
    "Routing",
    "Scenario",
    "ScenarioError",
    "ScenarioTables",
    "ServiceConfig",
    "ServiceTime",
    "Shift",
    "Shipping",
    "Supplier",
    "Transfers",
    "expected_units_per_order",
    "load_scenario",
    "read_toml",
    "sku_classes",
    "validate_scenario_dict",
    "write_scenario",
]
