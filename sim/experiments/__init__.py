"""Experiments: several scenarios, or one with swept parameters, run over common replications,
kept in a run store, summarised with paired intervals.

``Experiment.from_file("scenarios/experiments/shifts.toml").run(store="results/shifts",
jobs=2)`` returns pandas DataFrames of every run and of the summary; ``fulfill experiment``
and ``fulfill compare --reps`` are the same engine from the command line.
"""

from sim.experiments.engine import Experiment, ExperimentResult, default_jobs, run_tasks
from sim.experiments.spec import ExperimentError, ExperimentSpec, Variant, load_experiment
from sim.experiments.stats import Interval, direction, t_interval, verdict

__all__ = ["Experiment", "ExperimentError", "ExperimentResult", "ExperimentSpec", "Interval",
           "Variant", "default_jobs", "direction", "load_experiment", "run_tasks",
           "t_interval", "verdict"]
