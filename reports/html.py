"""The consultant report: one self-contained HTML file (and, through :mod:`reports.pdf`, a PDF).

The document is rendered with Jinja2 with autoescape on, so every name that comes from a
user's files (scenario, variant, description, FC, channel, SKU class) is shown as text.  CSS is
inline, every chart and map is an SVG embedded as a ``data:`` URI, there is no JavaScript, and
a Content-Security-Policy forbids any request: the file opens the same way offline, attached
to an e-mail or printed.  The same inputs give the same bytes except the one line that says
when the report was made.
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports import charts
from reports.content import (
    assumptions,
    fmt_interval,
    fmt_value,
    headline,
    kpi_rows,
    method,
    unit_of,
)
from reports.dataset import ReportData
from reports.export import comparison_frame, to_csv_bytes, to_xlsx_bytes
from sim.experiments.stats import Interval, t_interval

__all__ = ["MARKER", "NotOurs", "check_outputs", "render_html"]

MARKER = "<!-- Written by fulfill report"
"""The first line of every report this tool writes (what may be replaced)."""

COST_PARTS = (("labor", "labor_cost_per_order"), ("postage", "postage_cost_per_order"),
              ("cartons", "carton_cost_per_order"), ("holding", "holding_cost_per_order"),
              ("returns", "returns_cost_per_order"), ("fixed", "fixed_cost_per_order"))


VARIANTS_PER_TABLE = 2
"""Variants beside the base in one KPI table (more variants: more tables)."""


class NotOurs(ValueError):
    """An output path holds something this tool did not write."""


def check_outputs(html: Path, companions: Sequence[Path]) -> None:
    """Refuse to write over anything the tool did not write: ``html`` may be new or a report
    written before (its first line is :data:`MARKER`); a companion (the exports, the PDF) may
    be new, or be replaced along with such a report whose first line names it."""
    first = ""
    if html.exists() or html.is_symlink():
        if html.is_symlink() or not html.is_file():
            raise NotOurs(f"{html} exists and is not a report written by fulfill; choose "
                          "another --out or remove it yourself.")
        with open(html, encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
        if not first.startswith(MARKER):
            raise NotOurs(f"{html} exists and was not written by fulfill report; choose "
                          "another --out or remove it yourself.")
    if any(c.resolve() == html.resolve() for c in companions):
        raise NotOurs(f"{html} would be written twice (as the report and as its PDF or an "
                      "export); give --pdf a different path.")
    for c in companions:
        if (c.exists() or c.is_symlink()) and not (
                first and c.is_file() and not c.is_symlink() and _companion_name(html, c)
                in first):
            raise NotOurs(f"{c} exists and was not written with the report {html.name}; "
                          "choose another path or remove it yourself.")


def _companion_name(html: Path, c: Path) -> str:
    """How the report's first line names a file written with it: relative to the report's
    folder (no absolute paths in a document handed to a client)."""
    import os

    return Path(os.path.relpath(c.resolve(), html.resolve().parent)).as_posix()


@dataclass(frozen=True)
class Figure:
    heading: str
    uri: str = ""
    alt: str = ""
    caption: str = ""
    width: int = 672
    missing: str = ""


def _split_pm(text: object) -> list[str]:
    """``"a ± b"`` -> ``["a", "b"]``; ``"a"`` -> ``["a", ""]``."""
    return ([*str(text).split(" ± ", 1), ""])[:2]


def _breakable(text: object) -> Any:
    """``text`` escaped, with a line-break opportunity after each ``_``, ``.`` and ``/`` (long
    variant and KPI names wrap at their parts, not mid-word)."""
    from markupsafe import Markup, escape

    out = escape(str(text))
    for ch in ("_", ".", "/"):
        out = out.replace(ch, Markup(f"{ch}<wbr>"))
    return out


def _uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _width_px(svg: str) -> int:
    """The SVG's width in CSS pixels (matplotlib writes points)."""
    head = svg[:400]
    i = head.find('width="')
    if i < 0:
        return 672
    val = head[i + 7:head.find('"', i + 7)]
    try:
        pts = float(val.removesuffix("pt"))
    except ValueError:
        return 672
    return max(1, round(pts * 96 / 72))


def _figure(heading: str, caption: str, draw: Callable[[], str], missing: str) -> Figure:
    try:
        svg = draw()
    except ValueError:  # the charts say "no data for ..." as ValueError
        return Figure(heading, missing=missing)
    return Figure(heading, _uri(svg), heading, caption, _width_px(svg))


def _mean_hw(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean and 95 % half-width of ``value`` over replications, by ``keys``."""
    rows = []
    for k, g in df.groupby(keys, sort=False, observed=True):
        iv = t_interval(g["value"].to_numpy(float))
        rows.append({**dict(zip(keys, k if isinstance(k, tuple) else (k,), strict=True)),
                     "value": iv.mean, "half_width": iv.half_width})
    return pd.DataFrame(rows, columns=[*keys, "value", "half_width"])


def _avg(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean of ``value`` over replications, by ``keys`` (NaN where every value is NaN)."""
    if df.empty:
        return pd.DataFrame(columns=[*keys, "value"])
    return df.groupby(keys, sort=False, observed=True)["value"].mean().reset_index()


def _cost_chart(data: ReportData) -> str:
    rows = []
    for v in data.variants:
        total = v.interval("total_cost_per_order")
        for part, kpi in COST_PARTS:
            m = v.mean(kpi)
            rows.append({"variant": v.name, "part": part, "mean": 0.0 if math.isnan(m) else m,
                         "total_half_width": total.half_width})
    return charts.cost_breakdown(pd.DataFrame(rows))


def _group_chart(data: ReportData, series: str, label: str, value_label: str) -> str:
    df = data.series(series)
    if df.empty:
        raise ValueError(f"no data for {series}")
    agg = _mean_hw(df, ["variant", "label"]).rename(columns={"label": "group"})
    order = {v.name: i for i, v in enumerate(data.variants)}
    agg = agg.sort_values("variant", key=lambda s: s.map(order), kind="stable")
    return charts.by_group(agg, label, value_label=value_label)


def _cdf_chart(data: ReportData) -> str:
    df = data.series("click_to_deliver_days")
    if df.empty:
        raise ValueError("no data for click-to-deliver")
    agg = _avg(df, ["variant", "x"]).rename(columns={"x": "q", "value": "days"})
    promise = _avg(data.series("promise_days")[lambda d: d["variant"] == data.base.name],
                   ["label"])
    return charts.cdf(agg, {str(r.label): float(r.value) for r in promise.itertuples()
                            if not math.isnan(r.value)})


def _per_day_chart(data: ReportData) -> str:
    df = data.series("shipments_per_day")
    df = df[df["variant"] == data.base.name]
    agg = _avg(df, ["fc", "x"]).rename(columns={"x": "day"})
    agg["day"] = agg["day"].astype(int)
    return charts.per_day(agg, warmup_days=data.base.warmup_days)


def _heatmap(data: ReportData) -> str:
    df = data.series("utilization_by_hour")
    df = df[df["variant"] == data.base.name]
    agg = _avg(df, ["fc", "label", "x"]).rename(columns={"label": "role", "x": "hour"})
    agg["hour"] = agg["hour"].astype(int)
    return charts.utilization_heatmap(agg)


def _headline_chart(data: ReportData) -> str:
    from sim.experiments.stats import verdict

    kpi = data.objective
    rows = [{"variant": data.base.name, "diff": 0.0, "half_width": math.nan,
             "verdict": "base"}]
    for v in data.variants[1:]:
        d = data.paired(kpi, v)
        rows.append({"variant": v.name, "diff": d.mean, "half_width": d.half_width,
                     "verdict": verdict(kpi, d) if d.n else ""})
    unit = unit_of(kpi)
    return charts.headline(pd.DataFrame(rows), kpi_label=kpi.replace("_", " ")
                           + (f", {unit}" if unit and unit != "%" else ""))


def _map(data: ReportData, by: str) -> str:
    from reports.usmap import us_map_svg

    meta = data.meta
    fcs = list(meta.get("fc_names") or [])
    n_dest = len(meta.get("dest_names") or [])
    if not fcs or not n_dest or not meta.get("dest_lat"):
        raise ValueError("no geography in these runs")
    ships = data.series("dest_shipments")
    ships = ships[ships["variant"] == data.base.name]
    if ships.empty:
        raise ValueError("no shipments")
    reps = max(1, ships["replication"].nunique())
    vol = np.zeros((len(fcs), n_dest))
    index = {n: i for i, n in enumerate(fcs)}
    for r in ships.itertuples():
        f = index.get(str(r.fc))
        x = int(r.x)
        if f is not None and 0 <= x < n_dest:
            vol[f, x] += float(r.value) / reps
    dest_volume = vol.sum(axis=0)
    kwargs: dict[str, Any] = {}
    if by == "fc":
        kwargs["dest_fc"] = np.where(dest_volume > 0, vol.argmax(axis=0), -1)
        title = f"Where {data.base.name} ships from: destinations coloured by serving FC"
    else:
        days = _avg(data.series("dest_delivery_days")[
            lambda d: d["variant"] == data.base.name], ["x"])
        dd = np.full(n_dest, np.nan)
        for r in days.itertuples():
            if 0 <= int(r.x) < n_dest:
                dd[int(r.x)] = float(r.value)
        kwargs["dest_days"] = dd
        title = f"Mean click-to-deliver days by destination: {data.base.name}"
    return us_map_svg(fc_names=fcs, fc_lat=np.asarray(meta["fc_lat"], float),
                      fc_lon=np.asarray(meta["fc_lon"], float), fc_volume=vol.sum(axis=1),
                      dest_lat=np.asarray(meta["dest_lat"], float),
                      dest_lon=np.asarray(meta["dest_lon"], float), dest_volume=dest_volume,
                      title=title, **kwargs)


def _sweep_charts(data: ReportData) -> list[Figure]:
    if not data.sweeps:
        return []
    kpis = [data.objective, *[c.split(">")[0].split("<")[0].split("=")[0].strip()
                              for c in data.constraints]]
    kpis += [k for k in data.kpis if k not in kpis]  # every KPI the experiment lists
    if "on_time_rate" not in kpis:
        kpis.append("on_time_rate")
    from reports.content import _flatten

    out = []
    swept = [v for v in data.variants if v.swept]
    base_values = _flatten(data.base.scenario)
    for key in data.sweeps:
        for kpi in dict.fromkeys(kpis):
            scale = 100.0 if unit_of(kpi) == "%" else 1.0
            rows = []
            points = [(v, v.swept) for v in swept if key in v.swept]
            if key in base_values and len(data.sweeps) == 1:  # the base is a point too
                points.append((data.base, {key: base_values[key]}))
            for v, values in points:
                iv = v.interval(kpi)
                other = ", ".join(f"{k}={values[k]}" for k in data.sweeps if k != key
                                  and k in values)
                rows.append({"value": values[key], "mean": iv.mean * scale,
                             "half_width": iv.half_width * scale, "series": other or kpi})
            label = kpi.replace("_", " ") + (", %" if scale == 100.0 else "")
            out.append(_figure(
                f"{kpi} against {key}", f"Mean and 95 % interval over replications of "
                f"{kpi} for each value of {key}.",
                partial(_sweep_svg, pd.DataFrame(rows), key, kpi, label),
                f"No runs with {key} swept."))
    return out


def _sweep_svg(df: pd.DataFrame, key: str, kpi: str, label: str) -> str:
    return charts.sweep(_by_value(df), key, kpi, label)


def _by_value(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of their swept value (as given when the values do not compare)."""
    try:
        return df.sort_values("value", kind="stable")
    except TypeError:
        return df


def _pareto(data: ReportData) -> Figure:
    rows = []
    for v in data.variants:
        c, s = v.interval("total_cost_per_order"), v.interval("on_time_rate")
        rows.append({"variant": v.name, "cost": c.mean, "cost_half_width": c.half_width,
                     "service": s.mean, "service_half_width": s.half_width})
    return _figure("Cost against service",
                   "Total cost per order against on-time rate, with 95 % intervals; the "
                   "Pareto front joins the variants no other variant beats on both.",
                   lambda: charts.pareto(pd.DataFrame(rows)), "No cost or service KPIs.")


_FIT_AXES = {"hour of day": ("hour of day", 0, None),
             "weekday": ("weekday", 0, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")),
             "lines per order": ("lines per order", 1, None),
             "units per line": ("units per line", 1, None)}


def _fit_section(data: ReportData) -> tuple[list[tuple[str, str, str]], list[Figure]]:
    """The demand-fit table (check, KS distance, note) and its charts."""
    if not data.fit:
        return [], []
    rows, figs = [], []
    for c in data.fit["checks"]:
        what = str(c.get("what", ""))
        ks = float(c.get("ks", math.nan))
        rows.append((what, f"{ks:.3f}", str(c.get("note", ""))))
        if what in _FIT_AXES:
            label, first, names = _FIT_AXES[what]
            figs.append(_figure(
                f"Demand fit: {what}", "Bars: the order history; line: the fitted model.",
                partial(charts.observed_fitted, what, list(c.get("observed") or []),
                        list(c.get("fitted") or []), x_label=label, ks=ks, first=first,
                        names=names, y_label="relative to mean day"
                        if what == "weekday" else "share"),
                f"No data for {what}."))
    return rows, figs


def _h(x: Any, digits: int = 1) -> str:
    x = float(x)
    return f"{x:,.{digits}f}" if math.isfinite(x) else "–"


def _history_section(data: ReportData) -> dict[str, Any] | None:
    """The base run against its order history's actual outcomes: counts, KS distances,
    quantiles, shipping per order, and a chart of each distribution."""
    h = data.history
    if not h:
        return None
    lo, hi = (float(x) for x in h["window_h"])
    words = [f"The base run ({data.base.name}) against the actual outcomes of the order "
             f"history it replays ({h.get('actuals_file') or 'actual outcomes'}): orders placed "
             f"from day {lo / 24:g} to day {hi / 24:g} of the run on both sides, an outcome "
             "counted if it happened before the horizon. KS: the Kolmogorov-Smirnov distance "
             "between the two distributions (0 identical, 1 disjoint); with thousands of "
             "orders even a small distance has a tiny p-value, so read the distance as the "
             "size of the difference."]
    rows, quantiles, figs = [], [], []
    for d in h["distributions"]:
        what, unit = str(d["what"]), str(d["unit"])
        p = float(d["p_value"])
        rows.append((what, unit, f"{int(d['n_sim']):,}", f"{int(d['n_actual']):,}",
                     _h(d["ks"], 3), f"{p:.2g}" if math.isfinite(p) else "–",
                     _h(d["mean_sim"]), _h(d["mean_actual"])))
        qs = [(int(q), s, a) for q, s, a in d["quantiles"]]
        quantiles.append((f"{what} ({unit}), simulated", [_h(s) for _, s, _ in qs]))
        quantiles.append((f"{what} ({unit}), actual", [_h(a) for _, _, a in qs]))
        figs.append(_figure(
            f"Validation: {what}", f"Share of orders with {what} up to x {unit}: the base run "
            "against the order history.",
            partial(charts.simulated_actual, what, unit, list(d.get("cdf_sim") or []),
                    list(d.get("cdf_actual") or []), ks=float(d["ks"])),
            f"No orders with {what} on either side."))
    heads = [f"p{int(q)}" for q, _, _ in h["distributions"][0]["quantiles"]] \
        if h["distributions"] else []
    if int(h.get("n_charged") or 0) or int(h.get("n_shipping_sim") or 0):
        words.append(f"Shipping per order: simulated cost (postage and cartons) "
                     f"{_h(h['shipping_sim_mean'], 2)} over {int(h['n_shipping_sim']):,} shipped "
                     f"orders; charged in the history {_h(h['charged_mean'], 2)} over "
                     f"{int(h['n_charged']):,} orders (in the export's currency: what the "
                     "customer paid or the marketplace's freight, not the carrier's cost).")
    return {"words": words, "rows": rows, "quantiles": quantiles, "heads": heads,
            "figs": figs}


def _short(v: Any) -> str:
    """A parameter value for people: floats to 4 significant digits (the exact value is in
    trials.parquet and in the scenario written)."""
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _tune_section(data: ReportData) -> dict[str, Any] | None:
    """The tuning study: what was searched and found, its history, parameter importances,
    the best trials, and the out-of-sample confirmation."""
    t = data.tune
    if not t:
        return None
    trials: pd.DataFrame = t["trials"]
    space = t.get("space") or {}
    best = t.get("best") or {}
    obj = str(space.get("objective", data.objective))
    n = len(trials)
    pruned = int(trials["pruned"].sum()) if "pruned" in trials else 0
    feasible = int(trials["feasible"].sum()) if "feasible" in trials else 0
    words = [f"{n} trials searched {', '.join(space.get('params', []))} with Optuna's "
             f"{'TPE' if space.get('sampler') == 'tpe' else 'CMA-ES'} sampler, each scored on "
             f"the same {space.get('reps')} replications (common random numbers); {pruned} "
             f"were pruned by a paired test against the best so far, {feasible} met every "
             "constraint" + (f" ({', '.join(space.get('constraints', []))})"
                             if space.get("constraints") else "") + "."]
    if best:
        start = t.get("start") or {}
        changes = ", ".join(f"{k}: {_short(start.get(k))} → {_short(v)}"
                            for k, v in best["values"].items())
        words.append(f"Best: trial {best['trial']} ({changes}), {obj} "
                     f"{fmt_value(obj, best['objective'])} on the search's replications.")
    conf = t.get("confirmation")
    rows = []
    cal = t.get("calibration")
    if cal:
        words[0] = words[0].replace(" trials searched ", " candidates searched ").replace(
            ", 0 met every constraint", "").replace(f", {feasible} met every constraint", "")
        words.insert(1, "Calibration to the targets " + ", ".join(
            f"{c['kpi']} = {fmt_value(c['kpi'], float(c['value']))}"
            + (f" (weight {c['weight']:g})" if c.get("weight", 1) != 1 else "")
            for c in cal.get("targets", [])) + ": the objective is the weighted mean "
            "relative error of the KPIs against them. Before the search each knob was run at "
            "both ends of its range; every target moved.")
        if isinstance(conf, pd.DataFrame) and not conf.empty and "target" in conf:
            for r in conf.itertuples():
                loss = bool(pd.isna(r.target))
                kpi = str(r.kpi)
                rows.append((kpi, "" if loss else fmt_value(kpi, float(r.target)),
                             fmt_interval(kpi, Interval(float(r.start),
                                                        float(r.start_half_width),
                                                        int(r.replications))),
                             fmt_interval(kpi, Interval(float(r.best),
                                                        float(r.best_half_width),
                                                        int(r.replications))),
                             "" if loss else ("yes" if r.reached else "no")))
            words.append("Target against achieved, on replications the search never saw "
                         "(95 % intervals); a target outside the achieved interval is not "
                         "reached:")
        words += [f"Not reached: {u}." for u in cal.get("unreached", [])]
        if cal.get("unreached") and cal.get("at_bounds"):
            words.append("Knobs that ended at an end of their range (widen it, or add a "
                          "knob): " + "; ".join(cal["at_bounds"]) + ".")
        conf = None
    if isinstance(conf, pd.DataFrame) and not conf.empty:
        for r in conf.itertuples():
            d = Interval(float(r.diff), float(r.diff_half_width), int(r.replications))
            rows.append((str(r.kpi), fmt_value(str(r.kpi), float(r.start)),
                         fmt_value(str(r.kpi), float(r.best)),
                         fmt_interval(str(r.kpi), d, signed=True), str(r.verdict)))
        words.append("Out of sample, on replications the search never saw, the best values "
                     "against the starting values (paired):")
    figs = [_figure("Search history", "Each trial's mean objective; crosses: pruned after "
                    "the first replications; the line: the best feasible value so far.",
                    partial(charts.search_history, trials,
                            objective_label=obj.replace("_", " "),
                            maximize=bool(space.get("maximize")),
                            constrained=bool(space.get("constraints"))), "No trial finished.")]
    imp = t.get("importances") or {}
    if imp:
        figs.append(_figure("Parameter importances", "How much of the objective's variation "
                            "over the trials each parameter explains (Optuna's default "
                            "evaluator).", partial(charts.importances, imp), ""))
    cols = [c for c in trials.columns if c.startswith("param.")]
    done = trials[trials["state"] == "complete"] if "state" in trials else trials
    top = done.sort_values("objective", ascending=not space.get("maximize", False)).head(10)
    table = [(str(int(r["trial"])), *[_short(r[c]) for c in cols],
              fmt_value(obj, float(r["objective"])),
              *(() if cal else ("yes" if r.get("feasible") else "no",)))
             for _, r in top.iterrows()]
    return {"words": words, "confirmation": rows, "figs": figs, "calibration": bool(cal),
            "columns": [c.removeprefix("param.") for c in cols], "top": table}


def render_html(data: ReportData, *, paper: str = "letter", export_name: str = "report",
                companions: Sequence[str] = (), stamp: str | None = None) -> str:
    """The report as HTML text.  ``stamp`` is the one line that changes between two renders
    of the same data (default: the local time)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("reports", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True)
    env.filters["breakable"] = _breakable
    rows = list(kpi_rows(data))
    others = list(range(1, len(data.variants)))
    tables = []
    for start in range(0, max(len(others), 1), VARIANTS_PER_TABLE):
        idx = [0, *others[start:start + VARIANTS_PER_TABLE]]
        groups = [(g, [{"kpi": r.kpi, "meaning": r.meaning, "unit": r.unit,
                        "cells": [(r.values[i], r.diffs[i], r.verdicts[i]) for i in idx]}
                       for r in rows if r.group == g])
                  for g in dict.fromkeys(r.group for r in rows)]
        tables.append({"variants": [data.variants[i] for i in idx], "groups": groups})
    df = comparison_frame(data)
    multi = len(data.variants) > 1
    figs = [
        _figure("Cost per order, broken down", "Mean cost per order of each variant by part; "
                "the label gives the total with its 95 % interval.",
                lambda: _cost_chart(data), "These runs have no cost KPIs."),
        _figure("Click to deliver", "Share of orders delivered within x days of being "
                "placed (mean percentiles over replications); dashed: each channel's promise.",
                lambda: _cdf_chart(data), "No order was delivered in the measurement window."),
        _figure("On-time rate by channel", "Orders due before the horizon that arrived by "
                "their promise, by sales channel.",
                lambda: _group_chart(data, "on_time_by_channel", "channel", "on-time rate, %"),
                "No orders were due before the horizon."),
        _figure("On-time rate by zone", "Shipments due before the horizon that arrived by "
                "the order's promise, by carrier zone.",
                lambda: _group_chart(data, "on_time_by_zone", "carrier zone", "on-time rate, %"),
                "No shipments were due before the horizon."),
        _figure(f"Shipments per day by FC: {data.base.name}", "Shipments handed to the "
                "carrier each day (mean over replications); grey: the warm-up.",
                lambda: _per_day_chart(data), "No shipments left an FC."),
        _figure(f"Picker and packer utilisation by hour: {data.base.name}",
                "Hours worked / hours paid in each hour of the day over the measurement "
                "window.", lambda: _heatmap(data), "No shifts in the measurement window."),
        _figure("Stock-outs by SKU class", "Share of SKU-FC time with nothing available, "
                "for the SKUs of each class (A: the most popular).",
                lambda: _group_chart(data, "stockout_share_by_class", "SKU class",
                                     "time out of stock, %"),
                "These runs have no inventory table: stock-outs are not reported."),
    ]
    maps = [_figure("Map", "Each dot a destination (size: shipments); squares: FCs (size: "
                    "shipments sent).", lambda: _map(data, "fc"),
                    "These runs carry no FC and destination positions: no map."),
            _figure("Map", "Each dot a destination, coloured by the mean days from order to "
                    "delivery.", lambda: _map(data, "days"),
                    "No deliveries to map.")]
    exp_figs = _sweep_charts(data)
    if len(data.variants) >= 3:
        exp_figs.append(_pareto(data))
    head = None
    if multi:
        caption = (f"Paired difference in {data.objective.replace('_', ' ')} against the "
                   "base with 95 % intervals: green better, red worse, grey no detectable "
                   "difference." if data.replications > 1 else
                   f"Difference in {data.objective.replace('_', ' ')} against the base in a "
                   "single replication: no interval, so no verdict.")
        h = _figure("Headline", caption, lambda: _headline_chart(data), "")
        head = h if not h.missing else None
    b = data.base
    subtitle = (f"{len(data.variants)} variant{'s' if multi else ''}, "
                f"{data.replications} replication{'s' if data.replications != 1 else ''} "
                f"each, {b.horizon_days:g} days (warm-up {b.warmup_days:g}); objective: "
                f"{data.objective.replace('_', ' ')} ({'higher' if data.maximize else 'lower'}"
                " is better)")
    verdict_class = {"better": "better", "worse": "worse"}
    fit_rows, fit_figs = _fit_section(data)
    tune = _tune_section(data)
    history = _history_section(data)
    html = env.get_template("report.html.j2").render(
        title=data.title, subtitle=subtitle,
        stamp=stamp if stamp is not None else time.strftime("Made %Y-%m-%d %H:%M %Z"),
        companions=list(companions), paper_css="A4" if paper.lower() == "a4" else "letter",
        warnings=data.warnings, notes=data.notes, headline=headline(data),
        headline_chart=head, variants=data.variants, base_name=b.name,
        assumptions=assumptions(data), kpi_tables=tables, n_variants=len(data.variants),
        verdict_class=lambda v: verdict_class.get(v, ""), export_name=export_name,
        pm=_split_pm,
        csv_uri="data:text/csv;base64," + base64.b64encode(to_csv_bytes(df)).decode(),
        xlsx_uri="data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;"
                 "base64," + base64.b64encode(to_xlsx_bytes(df)).decode(),
        charts=figs, maps=maps, experiment_charts=exp_figs, method=method(data),
        fit_rows=fit_rows, fit_figs=fit_figs, tune=tune, history=history,
        fit_file=Path(data.fit["file"]).name if data.fit else "",
        fmt_value=fmt_value)
    return html
