"""Side-by-side comparison of the KPIs of several runs (differences against the first)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class KpiColumn:
    """The KPIs of one run, labelled for a comparison table."""

    label: str
    kpis: dict[str, float]
    seed: int | None = None
    scenario: str | None = None


def is_share(name: str) -> bool:
    """KPIs that are proportions (compared in percentage points, not relative change)."""
    base = name.split(".", 1)[0]
    return base.endswith(("_rate", "utilization", "share")) or base.startswith("fill_rate")


def comparison_rows(cols: list[KpiColumn]) -> Iterator[tuple[str, list[float], list[tuple[float,
                                                                                           float]]]]:
    """Yield ``(kpi, values, [(difference, relative difference) vs the first column, ...])``.

    KPIs missing from a run (e.g. an FC it does not have) are NaN.
    """
    names: list[str] = []
    for c in cols:
        names += [n for n in c.kpis if n not in names]
    for name in names:
        values = [float(c.kpis.get(name, math.nan)) for c in cols]
        base = values[0]
        deltas = []
        for v in values[1:]:
            d = v - base
            rel = d / abs(base) if base and not math.isnan(base) else math.nan
            deltas.append((d, rel))
        yield name, values, deltas
