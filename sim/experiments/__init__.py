"""Experiments: several scenarios, or one with swept parameters, run over common replications,
kept in a run store, summarised with paired intervals.

``Experiment.from_file("scenarios/experiments/shifts.toml").run(store="results/shifts",
jobs=2)`` returns pandas DataFrames of every run and of the summary; ``fulfill experiment``
and ``fulfill compare --reps`` are the same engine from the command line.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.experiments.engine import Experiment, ExperimentResult, run_tasks
    from sim.experiments.runs import default_jobs
    from sim.experiments.spec import ExperimentError, ExperimentSpec, Variant, load_experiment
    from sim.experiments.stats import Interval, direction, t_interval, verdict

_WHERE = {"Experiment": "engine", "ExperimentResult": "engine", "default_jobs": "runs",
          "run_tasks": "engine", "ExperimentError": "spec", "ExperimentSpec": "spec",
          "Variant": "spec", "load_experiment": "spec", "Interval": "stats",
          "direction": "stats", "t_interval": "stats", "verdict": "stats"}

__all__ = ["Experiment", "ExperimentError", "ExperimentResult", "ExperimentSpec", "Interval",
           "Variant", "default_jobs", "direction", "load_experiment", "run_tasks",
           "t_interval", "verdict"]


def __getattr__(name: str) -> Any:
    """Names are imported on first use, so that ``sim.experiments.stats`` (used by reports)
    does not import the engine and with it the SimPy model."""
    if name in _WHERE:
        value = getattr(import_module(f"sim.experiments.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim.experiments' has no attribute {name!r}")
