"""The console summary of an experiment or a replicated comparison: each KPI's mean ± the
half-width of its 95 % interval per variant, and the paired difference against the base with
its interval and verdict ("no detectable difference" whenever the interval holds zero)."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from reports.compare import is_share
from reports.text import markup_safe


def _pm(kpi: str, mean: float, hw: float, delta: bool = False) -> str:
    """``mean ± hw``: shares in percent (differences in percentage points), others with
    three decimals; no ``±`` without an interval."""
    if math.isnan(mean):
        return "–"
    sign = "+" if delta else ""
    if is_share(kpi):
        unit = " pp" if delta else "%"
        text = f"{100 * mean:{sign}.2f}{unit}"
        return text if math.isnan(hw) else f"{text} ± {100 * hw:.2f} pp"
    text = f"{mean:{sign},.3f}"
    return text if math.isnan(hw) else f"{text} ± {hw:,.3f}"


def experiment_table(summary: Any, title: str) -> Table:
    """``summary``: the DataFrame of :meth:`sim.experiments.Experiment.summary`."""
    table = Table(title=markup_safe(title), title_justify="left")
    table.add_column("variant")
    table.add_column("KPI", no_wrap=True)
    table.add_column("mean ± 95 %", justify="right")
    table.add_column("vs base (paired)", justify="right")
    table.add_column("verdict")
    last = None
    for r in summary.itertuples(index=False):
        first = r.variant != last
        last = r.variant
        table.add_row(markup_safe(r.variant) if first else "", markup_safe(r.kpi),
                      _pm(r.kpi, r.mean, r.half_width),
                      "" if r.verdict == "base" else _pm(r.kpi, r.diff, r.diff_half_width,
                                                          delta=True),
                      "" if r.verdict == "base" else r.verdict,
                      end_section=False)
    return table


def calibration_table(confirmation: Any, title: str) -> Table:
    """``confirmation``: the DataFrame of a calibration's out-of-sample runs (rows: the
    calibration loss, then each target KPI with its target, start and achieved intervals)."""
    table = Table(title=markup_safe(title), title_justify="left")
    table.add_column("KPI", no_wrap=True)
    table.add_column("target", justify="right")
    table.add_column("start ± 95 %", justify="right")
    table.add_column("achieved ± 95 %", justify="right")
    table.add_column("reached")
    for r in confirmation.itertuples(index=False):
        loss = math.isnan(r.target)
        table.add_row(markup_safe(r.kpi), "" if loss else _pm(r.kpi, r.target, math.nan),
                      _pm(r.kpi, r.start, r.start_half_width),
                      _pm(r.kpi, r.best, r.best_half_width),
                      "" if loss else ("yes" if r.reached else "NO"))
    return table
