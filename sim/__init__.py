"""Fulfillment Workbench: simulation of multi-FC e-commerce fulfillment (SimPy).

Data flows one way: scenario file -> :class:`~sim.scenario.Scenario` ->
:class:`~sim.network.Network` -> :class:`~sim.model.FulfillmentModel` ->
:class:`~sim.eventlog.EventLog` -> :mod:`sim.kpis`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fulfillment-workbench")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
