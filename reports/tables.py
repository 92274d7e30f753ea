"""Terminal tables of KPIs, comparisons and zone agreement, and how their numbers read.

Every name shown here may come from a user's files (scenario, FC, service and channel names
are part of KPI names), so all of it goes through :func:`reports.text.markup_safe`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from rich.table import Table

from reports.compare import KpiColumn, comparison_rows, is_share
from reports.text import markup_safe

COUNTS = ("orders_", "shipments.", "backordered_", "purchase_orders", "lost_sales_units",
          "transfer_units")
"""KPIs that are counts (printed as whole numbers)."""


def fmt(name: str, v: float | None) -> str:
    """Format a KPI value for a table: rates as percentages, counts with separators."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if is_share(name):
        return f"{100 * v:.1f}%"
    if name.startswith(COUNTS):
        return f"{int(v):,}"
    return f"{v:,.2f}"


def fmt_delta(name: str, d: float, rel: float) -> str:
    """A difference: percentage points for proportions, else absolute and relative."""
    if math.isnan(d):
        return "–"
    if is_share(name):
        return f"{100 * d:+.1f} pp"
    if name.startswith(COUNTS):
        text = f"{int(d):+,}"
    else:
        text = f"{d:+,.2f}"
    return text if math.isnan(rel) else f"{text} ({100 * rel:+.1f}%)"


def kpi_table(title: str, kpis: dict[str, float], doc: Callable[[str], str]) -> Table:
    """A KPI table with each KPI's meaning (``doc``) for the run-level KPIs; ``title`` is plain
    text (escaped here), as are the KPI names."""
    table = Table(title=markup_safe(title), title_justify="left")
    table.add_column("KPI", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("meaning", style="dim")
    for name, v in kpis.items():
        table.add_row(markup_safe(name), fmt(name, v), markup_safe(doc(name)))
    return table


def comparison_table(cols: Sequence[KpiColumn]) -> Table:
    """KPIs side by side, with the difference of each column from the first."""
    table = Table(title=f"KPIs compared with {markup_safe(cols[0].label)}",
                  title_justify="left")
    table.add_column("KPI", no_wrap=True)
    for i, c in enumerate(cols):
        table.add_column(markup_safe(c.label)
                         + (f"\nseed {c.seed}" if c.seed is not None else ""), justify="right")
        if i:
            table.add_column("Δ", justify="right")
    for name, values, deltas in comparison_rows(list(cols)):
        row = [markup_safe(name), fmt(name, values[0])]
        for v, (d, rel) in zip(values[1:], deltas, strict=True):
            row += [fmt(name, v), fmt_delta(name, d, rel)]
        table.add_row(*row)
    return table


def zone_confusion_table(confusion: Any) -> Table:
    """Pairs of ZIP3s by a chart's zone (rows) and the distance bands' zone (columns)."""
    table = Table(title="pairs by chart zone (rows) and band zone (columns)",
                  title_justify="left")
    table.add_column("chart \\ bands")
    cols = list(confusion.columns)
    for c in cols:
        table.add_column(str(c), justify="right")
    for z, row in confusion.iterrows():
        table.add_row(str(z), *(f"{int(row[c]):,}" for c in cols))
    return table
