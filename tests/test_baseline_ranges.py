"""The baseline against published figures: each KPI's 95 % interval over 5 replications lies
inside the range that ``scenarios/data/README.md`` states and cites (the test reads that
table, so the document and the check cannot drift apart)."""

from __future__ import annotations

import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from sim.experiments.stats import t_interval

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "scenarios" / "data" / "README.md"
REPS = 5


def ranges() -> dict[str, tuple[float, float, str]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- baseline-ranges", 1)[1].split("<!-- end baseline-ranges", 1)[0]
    out = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not re.fullmatch(r"[a-z_.]+", cells[0]) or cells[0] == "KPI":
            continue
        out[cells[0]] = (float(cells[1]), float(cells[2]), cells[3])
    return out


def test_the_table_states_a_source_for_every_range() -> None:
    r = ranges()
    assert {"shipping_cost_per_shipment", "labor_cost_per_order", "on_time_rate",
            "click_to_deliver_days_mean", "service_share.next_day",
            "service_share.two_day", "dim_weight_share"} <= set(r)
    for kpi, (low, high, source) in r.items():
        assert low < high, kpi
        assert len(source) > 20, f"{kpi}: no source"


def _kpis(rep: int) -> dict[str, float]:
    from sim.runner import run_scenario
    from sim.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    return run_scenario(sc, replication=rep).kpis


@pytest.mark.slow
def test_baseline_inside_the_published_ranges() -> None:
    with ProcessPoolExecutor(2) as pool:
        runs = list(pool.map(_kpis, range(REPS)))
    bad = []
    for kpi, (low, high, _) in ranges().items():
        iv = t_interval([r[kpi] for r in runs])
        lo, hi = iv.mean - iv.half_width, iv.mean + iv.half_width
        print(f"{kpi}: {iv.mean:.4g} ± {iv.half_width:.3g} in [{low:g}, {high:g}]")
        if not (low <= lo and hi <= high):
            bad.append(f"{kpi}: {iv.mean:.4g} ± {iv.half_width:.3g} outside [{low:g}, {high:g}]")
    assert not bad, "; ".join(bad)
