"""The words and tables of a report, computed from a :class:`~reports.dataset.ReportData`.

Every sentence is generated from the numbers: the headline names the best variant on the
objective with its paired interval against the base, and says "no detectable difference"
whenever that interval holds zero; with one replication it says that a single run cannot
separate a change from noise.  Text here is plain (the HTML template escapes it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reports.compare import is_share
from reports.dataset import ReportData, VariantData
from sim.experiments.stats import Interval, direction, verdict
from sim.kpis import kpi_doc

__all__ = ["GROUPS", "KpiRow", "assumptions", "fmt_interval", "fmt_value", "group_of",
           "headline", "kpi_rows", "method", "unit_of"]

GROUPS = ("service", "cost", "inventory", "labor", "network")
"""KPI groups in the order the report shows them."""

_COST = ("cost", "postage", "billable", "dim_weight", "parcels_per", "purchase_cost",
         "holding_cost", "returns_cost", "transfer_cost", "refund")
_INVENTORY = ("avg_on_hand", "avg_inventory", "stockout", "days_of_supply", "inventory_turn",
              "fill_rate", "backordered", "lost_sales", "purchase_orders", "transfer_units",
              "return_rate", "restock_rate", "written_off", "returned_units", "on_order")
_LABOR = ("picker_utilization", "packer_utilization", "labor_")
_NETWORK = ("zone_share", "service_share", "shipments.", "shipment_share")


def group_of(kpi: str) -> str:
    """The group a KPI is shown in: service, cost, inventory, labor or network."""
    if kpi.startswith(_LABOR):
        return "labor"
    if kpi.startswith(_NETWORK):
        return "network"
    if kpi.startswith(_INVENTORY):
        return "inventory"
    if any(p in kpi for p in _COST):
        return "cost"
    return "service"


def unit_of(kpi: str) -> str:
    """``$``, ``%``, ``days``, ``h``, ``units``, ``orders`` or ``""`` (a plain number)."""
    base = kpi.split(".", 1)[0]
    if is_share(kpi) or base in ("return_rate", "restock_rate"):
        return "%"
    if "cost" in base or base.startswith("duties_") or base in (
            "avg_inventory_value", "purchase_cost", "refunds",
            "international_return_label_extra"):
        return "$"
    if "_days" in base or base.endswith("days_of_supply"):
        return "days"
    if "_h_" in base or base.endswith("_h"):
        return "h"
    if base.startswith("orders_") or base in ("backordered_orders", "intake_in_review",
                                              "intake_cancelled", "international_orders"):
        return "orders"
    if base.endswith("_units"):
        return "units"
    return ""


def _decimals(a: float, least: int) -> int:
    """Decimals that show ``a`` to two significant digits, at least ``least``, at most 6."""
    if a == 0 or math.isnan(a) or math.isinf(a):
        return least
    return int(min(6, max(least, 1 - math.floor(math.log10(abs(a))))))


def fmt_value(kpi: str, v: float, *, signed: bool = False, decimals: int | None = None,
              suffix: bool = True) -> str:
    """A KPI value (or a difference, ``signed``) in its unit: ``$1,234.56``, ``93.1 %``,
    ``2.41 days``; differences of shares in percentage points.  ``decimals`` overrides the
    unit's usual number of decimals (see :func:`fmt_interval`)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    unit = unit_of(kpi)
    sign = "+" if signed and v > 0 else ("−" if v < 0 else "")
    a = abs(v)
    if unit == "%":
        d = 1 if decimals is None else max(1, decimals - 2)
        return f"{sign}{100 * a:.{d}f} {'pp' if signed else '%'}"
    if unit == "$":
        d = (2 if a < 1e5 else 0) if decimals is None else decimals
        return f"{sign}${a:,.{d}f}"
    tail = f" {unit}" if unit and suffix else ""
    if decimals is None and (unit in ("orders", "units") or (float(a).is_integer()
                                                            and a >= 100)):
        return f"{sign}{a:,.0f}{tail}"
    d = (2 if a < 100 else 1) if decimals is None else decimals
    return f"{sign}{a:,.{d}f}{tail}"


def fmt_interval(kpi: str, iv: Interval, *, signed: bool = False, suffix: bool = True) -> str:
    """``mean ± half-width`` (the half-width in the value's unit, no sign), both to the
    decimals that show the half-width (or a small difference) to two significant digits.
    ``suffix=False`` leaves out a trailing unit (days, h, orders, units: a table's column
    says it once); ``$`` and ``%`` stay on the mean."""
    if iv.n == 0 or math.isnan(iv.mean):
        return "–"
    has_hw = iv.n >= 2 and not math.isnan(iv.half_width)
    unit = unit_of(kpi)
    least = 1 + 2 if unit == "%" else (0 if unit in ("orders", "units")
                                       or abs(iv.mean) >= 1e4 else 2)
    decimals = None
    if has_hw and iv.half_width > 0:
        decimals = _decimals(iv.half_width, least)
    elif signed and iv.mean != 0:
        decimals = _decimals(iv.mean, least)
    text = fmt_value(kpi, iv.mean, signed=signed, decimals=decimals, suffix=suffix)
    if not has_hw:
        return text
    hw = fmt_value(kpi, iv.half_width, decimals=decimals, suffix=suffix)
    if not suffix:
        hw = hw.replace("$", "").replace(" %", "")
    elif signed:
        hw = hw.replace(" %", " pp")
    return f"{text} ± {hw.lstrip('+')}"


@dataclass(frozen=True)
class KpiRow:
    """One KPI across the variants: values (mean ± interval) and, for every variant but the
    base, the paired difference and its verdict (better/worse/no detectable difference)."""

    kpi: str
    group: str
    unit: str
    meaning: str
    values: list[str]
    diffs: list[str]  # "" for the base
    verdicts: list[str]  # "base" for the base
    means: list[float]


MAIN_KPIS = ("total_cost_per_order", "cost_per_order", "labor_cost_per_order",
             "postage_cost_per_order",
             "carton_cost_per_order", "holding_cost_per_order", "returns_cost_per_order",
             "fixed_cost_per_order", "shipping_cost_per_order", "shipping_cost_per_shipment",
             "dim_weight_share", "billable_to_actual_weight", "on_time_rate",
             "click_to_deliver_days_mean", "click_to_deliver_days_p90", "click_to_ship_h_mean",
             "click_to_ship_h_p90", "orders_placed", "orders_delivered", "orders_open",
             "orders_cancelled", "split_shipment_rate", "hold_rate", "exception_rate",
             "transit_days_p50", "fill_rate_orders", "fill_rate_units", "stockout_share",
             "avg_inventory_value", "days_of_supply", "inventory_turnover", "return_rate",
             "lost_sales_units")
"""KPIs every report shows first in their group (when the runs have them); the other KPIs
follow, then the per-FC, zone and service breakdowns."""


def _all_kpis(data: ReportData) -> list[str]:
    seen: dict[str, None] = {}
    for v in data.variants:
        for c in v.kpis.columns:
            seen.setdefault(c, None)
    main = [k for k in MAIN_KPIS if k in seen]
    rest = [k for k in seen if k not in main and "." not in k]
    per = [k for k in seen if "." in k]
    return main + rest + per


def kpi_rows(data: ReportData) -> Iterator[KpiRow]:
    """The KPI table's rows, group by group (see :data:`GROUPS`)."""
    kpis = _all_kpis(data)
    for group in GROUPS:
        for k in kpis:
            if group_of(k) != group:
                continue
            values, diffs, verdicts, means = [], [], [], []
            for i, v in enumerate(data.variants):
                values.append(fmt_interval(k, v.interval(k), suffix=False))
                means.append(v.mean(k))
                if i == 0:
                    diffs.append("")
                    verdicts.append("base")
                    continue
                d = data.paired(k, v)
                diffs.append(fmt_interval(k, d, signed=True, suffix=False))
                verdicts.append(verdict(k, d) if d.n else "")
            yield KpiRow(k, group, unit_of(k), kpi_doc(k), values, diffs, verdicts, means)


def _best(data: ReportData) -> tuple[VariantData | None, list[str]]:
    """The variant with the best mean objective among those meeting the constraints."""
    from sim.experiments.spec import parse_constraint

    kpi = data.objective
    cons = []
    for c in data.constraints:
        try:
            cons.append(parse_constraint(c))
        except Exception:
            continue
    ok = [v for v in data.variants
          if not math.isnan(v.mean(kpi)) and all(
              not math.isnan(v.mean(c.kpi)) and c.holds(v.mean(c.kpi)) for c in cons)]
    failed = [v.name for v in data.variants if v not in ok]
    if not ok:
        return None, failed
    sign = -1.0 if data.maximize else 1.0
    return min(ok, key=lambda v: sign * v.mean(kpi)), failed


def headline(data: ReportData) -> list[str]:
    """The executive summary's sentences."""
    kpi = data.objective
    base = data.base
    n = data.replications
    out = []
    names = ", ".join(f"“{v.name}”" for v in data.variants[1:])
    if len(data.variants) == 1:
        out.append(f"This report describes one strategy, “{base.name}”, over {n} "
                   f"replication{'s' if n != 1 else ''} of {base.horizon_days:g} days.")
    else:
        out.append(f"This report compares {len(data.variants) - 1} "
                   f"strateg{'ies' if len(data.variants) > 2 else 'y'} ({names}) with the base "
                   f"“{base.name}”, over {n} replication{'s' if n != 1 else ''} of "
                   f"{base.horizon_days:g} days each"
                   + (", every strategy seeing the same orders in a replication (common "
                      "random numbers)." if n > 1 else "."))
    label = kpi.replace("_", " ")
    base_iv = base.interval(kpi)
    out.append(f"The base's {label} is {fmt_interval(kpi, base_iv)}"
               + (" (mean ± 95 % interval half-width)." if base_iv.n > 1 else "."))
    if len(data.variants) == 1:
        return out + _service_sentence(data, base)
    best, failed = _best(data)
    if failed and data.constraints:
        out.append("Not meeting " + " and ".join(data.constraints) + ": "
                   + ", ".join(f"“{f}”" for f in failed) + ".")
    if best is None:
        out.append("No strategy meets every constraint.")
        return out
    if n < 2:
        d = data.paired(kpi, best) if best is not base else None
        if d is not None:
            out.append(f"“{best.name}” has the best {label} in this single replication "
                       f"({fmt_value(kpi, d.mean, signed=True)} against the base), but one "
                       "replication cannot separate a change from noise: run more "
                       "replications (fulfill compare --reps 5, or an experiment) before "
                       "acting on it.")
        else:
            out.append(f"The base has the best {label} in this single replication, but one "
                       "replication cannot separate a change from noise.")
        return out + _service_sentence(data, best)
    if best is base:
        others = [v for v in data.variants[1:]]
        undetectable = [v.name for v in others if data.paired(kpi, v).contains_zero()]
        out.append(f"No strategy beats the base on {label}" + (
            f"; for {', '.join(f'“{u}”' for u in undetectable)} there is no detectable "
            "difference (the 95 % interval of the paired difference holds zero)."
            if undetectable else "."))
        sign = -1.0 if data.maximize else 1.0
        near = min(others, key=lambda v: sign * data.paired(kpi, v).mean
                   if not math.isnan(data.paired(kpi, v).mean) else math.inf)
        d = data.paired(kpi, near)
        if d.n >= 2 and not math.isnan(d.mean):
            out.append(f"The closest alternative, “{near.name}”, differs by "
                       f"{fmt_interval(kpi, d, signed=True)} ({verdict(kpi, d)}).")
        return out + _service_sentence(data, base)
    d = data.paired(kpi, best)
    v = verdict(kpi, d)
    if v == "no detectable difference":
        out.append(f"“{best.name}” has the best mean {label} "
                   f"({fmt_interval(kpi, d, signed=True)} against the base), but there is no "
                   "detectable difference: the 95 % interval of the paired difference holds "
                   "zero.")
    else:
        out.append(f"“{best.name}” is best on {label}: {fmt_interval(kpi, d, signed=True)} "
                   f"against the base (95 % paired interval over {d.n} replications), "
                   f"{v}.")
    return out + _service_sentence(data, best)


def _service_sentence(data: ReportData, v: VariantData) -> list[str]:
    parts = []
    for kpi in ("on_time_rate", "click_to_deliver_days_mean"):
        if kpi not in v.kpis.columns:
            continue
        label = "on-time rate" if kpi == "on_time_rate" else "mean click-to-deliver"
        text = f"{label} {fmt_interval(kpi, v.interval(kpi))}"
        if v is not data.base:
            d = data.paired(kpi, v)
            if d.n >= 2:
                verdict_text = verdict(kpi, d)
                text += (f" ({fmt_interval(kpi, d, signed=True)} against the base: "
                         f"{verdict_text})")
            elif d.n == 1:
                text += f" ({fmt_value(kpi, d.mean, signed=True)} against the base)"
        parts.append(text)
    if not parts:
        return []
    who = "the base" if v is data.base else f"“{v.name}”"
    return [f"Service of {who}: " + "; ".join(parts) + "."]


_SKIP = ("name", "description")


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def readable_key(key: str) -> str:
    """``fcs.chicago.shifts.day.pickers`` -> ``chicago · day shift · pickers``."""
    parts = key.split(".")
    out: list[str] = []
    i = 0
    while i < len(parts):
        p = parts[i]
        if p == "fcs" and i + 1 < len(parts):
            out.append(f"FC {parts[i + 1]}")
            i += 2
            continue
        if p == "shifts" and i + 1 < len(parts):
            out.append(f"{parts[i + 1]} shift")
            i += 2
            continue
        out.append(p.replace("_", " "))
        i += 1
    return " · ".join(out)


def _show(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list | tuple):
        text = ", ".join(_show(x) for x in v[:6])
        return f"[{text}{', …' if len(v) > 6 else ''}]"
    return str(v)


def assumptions(data: ReportData, limit: int = 40) -> list[tuple[str, list[str]]]:
    """For each variant but the base: what differs from the base's scenario, readable
    (``"FC chicago · day shift · pickers: 10 → 14"``)."""
    base = _flatten(data.base.scenario)
    out = []
    for v in data.variants[1:]:
        mine = _flatten(v.scenario)
        lines = []
        for k in sorted(set(base) | set(mine)):
            if k.split(".")[0] in _SKIP or k == "extends":
                continue
            a, b = base.get(k, "(not set)"), mine.get(k, "(not set)")
            if a != b:
                lines.append(f"{readable_key(k)}: {_show(a)} → {_show(b)}")
        if not v.scenario or not data.base.scenario:
            lines = ["(the scenario of this run was not recorded)"]
        elif not lines:
            lines = ["same scenario as the base"]
        if len(lines) > limit:
            lines = [*lines[:limit], f"… and {len(lines) - limit} more differences"]
        out.append((v.name, lines))
    return out


def method(data: ReportData) -> list[tuple[str, str]]:
    """The method appendix: (what, value) pairs."""
    base = data.base
    reps = sorted({v.replications for v in data.variants})
    seeds = sorted({str(v.seed) for v in data.variants})
    rows = [
        ("Replications", ", ".join(str(r) for r in reps) + " per variant"),
        ("Seed", ", ".join(seeds) + (" (replication r of every variant uses the same seed "
                                    "and stream keys: common random numbers)"
                                    if len(seeds) == 1 and data.replications > 1 else "")),
        ("Horizon", ", ".join(sorted({f"{v.horizon_days:g} days" for v in data.variants}))),
        ("Warm-up", ", ".join(sorted({f"{v.warmup_days:g} days" for v in data.variants}))
         + " (KPIs describe the orders placed after it)"),
        ("Intervals", "95 % Student-t intervals over replications; a difference is paired: "
                      "computed replication by replication against the base, then its "
                      "interval; 'no detectable difference' when that interval holds zero"),
        ("Model version", ", ".join(data.code_versions) or data.package_version or "unknown"),
    ]
    for v in data.variants:
        rows.append((f"Scenario “{v.name}”", (v.digest[:16] or "unknown") + (
            f" (from {v.source})" if v.source else "")))
    if base.swept or data.sweeps:
        rows.append(("Swept keys", ", ".join(data.sweeps)))
    return rows


def direction_word(kpi: str) -> str:
    d = direction(kpi)
    return "lower is better" if d < 0 else ("higher is better" if d > 0 else "")
