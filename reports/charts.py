"""The charts of the consultant report: small pandas tables in, inline SVG text out.

Every function draws one chart in the look of :mod:`reports.style` (7 in wide, 8-9 pt text)
and returns :func:`reports.style.fig_to_svg` text.  Variants (and FCs) keep the order they
first appear in and the colour of that position; names are user text, drawn literally
(``$`` is a dollar sign) and wrapped to two lines or cut with an ellipsis so ten variants with
long names still read.  Intervals are 95 % t half-widths over replications; a NaN half-width
(one replication) draws no error bar, and NaN values are left out.  An empty table raises
``ValueError("no data for <chart>")``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from reports.style import (
    BETTER,
    LITERAL,
    NEUTRAL,
    WORSE,
    chart,
    color_for,
    fig_to_svg,
    literal_legend,
)

__all__ = ["PARTS", "by_group", "cdf", "cost_breakdown", "headline", "pareto", "pareto_front",
           "per_day", "simulated_actual", "sweep", "utilization_heatmap"]

PARTS = ("labor", "postage", "cartons", "holding", "returns", "fixed")
"""The parts of the cost per order, in the order they are stacked."""

WIDTH = 7.0
_PT_PER_CHAR = 4.5  # mean advance of an 8 pt DejaVu Sans character, points
_AXES_IN = 6.0  # rough width of the plotting area of a 7 in chart, inches
_INK = "#333333"
_NO_SHIFT = "#e9e9e9"
_BREAK = re.compile(r"(?<=[ _/-])")
_VERDICTS = {"better": BETTER, "worse": WORSE, "no detectable difference": NEUTRAL}


def _table(df: pd.DataFrame | None, name: str, spec: str, finite: str = "") -> pd.DataFrame:
    """The columns of ``df`` that ``spec`` names (``"variant:s value half_width?"``): ``:s``
    as text, ``:r`` as they are, the others as floats (non-numbers are NaN); ``?`` marks an
    optional column (a float one is all NaN when absent).  Rows with a NaN in a column of
    ``finite`` are left out; ValueError when no row is left or a column is missing."""
    if df is None or len(df) == 0:
        raise ValueError(f"no data for {name}")
    out: dict[str, Any] = {}
    for item in spec.split():
        col, _, kind = item.rstrip("?").partition(":")
        if col in df.columns:
            raw = list(df[col])
            out[col] = [str(v) for v in raw] if kind == "s" else raw if kind == "r" else _num(raw)
        elif not item.endswith("?"):
            raise ValueError(f"{name}: missing column {col!r}")
        elif not kind:
            out[col] = np.full(len(df), np.nan)
    d = pd.DataFrame(out)
    for col in finite.split():
        d = d[np.isfinite(d[col])]
    if d.empty:
        raise ValueError(f"no data for {name}")
    return d.reset_index(drop=True)


def _num(values: Any) -> np.ndarray:
    """Floats, with anything non-numeric as NaN."""
    return np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)


def _names(values: Iterable[Any]) -> list[str]:
    """Distinct names in order of first appearance."""
    return list(dict.fromkeys(str(v) for v in values))


def _wrap(name: Any, width: int = 22, lines: int = 2, tail: str = "") -> str:
    """``name`` on at most ``lines`` lines of about ``width`` characters; the rest is cut
    and marked with an ellipsis (``tail`` is added and never cut)."""
    if tail:  # on the last line, which may run 4 characters long for it
        head = _wrap(name, width, lines)
        if len(head.split("\n")[-1]) + len(tail) + 1 > width + 4:
            head = _wrap(name, width - len(tail) - 1, lines)
        return f"{head} {tail}"
    text = " ".join(str(name).split())
    width = max(width, 4)
    if len(text) <= width:
        return text
    rows: list[str] = []
    line = ""
    for token in _BREAK.split(text):  # break after a space, "_", "-" or "/" where possible
        if line and len((line + token).rstrip()) > width:
            rows.append(line)
            line = ""
        while len(token.rstrip()) > width:  # a word longer than a line
            rows.append(token[:width])
            token = token[width:]
        line += token
    rows.append(line)
    rows = [r.strip() for r in rows if r.strip()]
    if len(rows) > lines:
        rest = "".join(r if r.endswith(("_", "/", "-")) else r + " " for r in rows[lines - 1:])
        rows = [*rows[:lines - 1], rest[:width - 1].rstrip() + "…"]
    return "\n".join(rows)


def _fmt_num(x: float) -> str:
    """A number without a useless ``.0``."""
    return f"{x:g}" if float(x).is_integer() else f"{x:.3g}"


def _decimals(values: Iterable[float]) -> int:
    """Decimals that show the largest of these numbers to about three significant digits."""
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
    scale = max(finite, default=1.0)
    return int(min(4, max(0, 2 - math.floor(math.log10(scale)))))


def _height(rows: int, per_row: float = 0.3, base: float = 1.0) -> float:
    """A figure height for ``rows`` horizontal rows, kept within 2.6-3.6 in."""
    return min(3.6, max(2.6, base + per_row * rows))


def _legend_layout(labels: Sequence[str], wrap: int) -> tuple[list[str], int, int]:
    """Labels wrapped at ``wrap`` characters, the most columns (filled top to bottom) that
    fit the width, and the lines of text that takes."""
    shown = [_wrap(lab, wrap) for lab in labels]
    chars = [max(len(row) for row in lab.split("\n")) for lab in shown]
    lines = [lab.count("\n") + 1 for lab in shown]
    ncol = len(shown)
    while ncol > 1:
        rows = -(-len(shown) // ncol)
        cols = [max(chars[c * rows:(c + 1) * rows], default=0) for c in range(ncol)]
        if sum(_PT_PER_CHAR * c + 30 for c in cols) <= WIDTH * 72 * 0.95:
            break
        ncol -= 1
    rows = -(-len(shown) // ncol)
    ncol = -(-len(shown) // rows)  # the same rows in the fewest columns
    height = sum(max(lines[r::rows]) for r in range(rows))
    return shown, ncol, height


def _legend_top(fig: Any, handles: Sequence[Any], labels: Sequence[str], *,
                wrap: int = 34) -> Any:
    """A legend above the plot: names wrapped and laid out in columns so that it takes the
    fewest lines; a legend of more than two lines makes the figure taller (up to 3.6 in)."""
    layouts = [_legend_layout(labels, w) for w in (wrap, 26, 20, 16) if w <= wrap]
    shown, ncol, height = min(layouts, key=lambda lay: lay[2])
    if height > 2:
        fig.set_figheight(min(3.6, fig.get_figheight() + 0.14 * (height - 2)))
    return literal_legend(fig.legend(list(handles), shown, loc="outside upper center",
                                     ncol=ncol, frameon=False, columnspacing=1.4,
                                     handlelength=1.6))


def _category_ticks(ax: Any, labels: Sequence[str], axis: str = "x") -> None:
    """Category names as ticks 0..n-1: wrapped to the room each gets, else slanted."""
    per = _AXES_IN * 72 / max(len(labels), 1) / _PT_PER_CHAR
    pos = range(len(labels))
    if axis == "y":
        ax.set_yticks(pos, [_wrap(s, 22) for s in labels], **LITERAL)
    elif per >= 14:
        ax.set_xticks(pos, [_wrap(s, int(per) - 1) for s in labels], **LITERAL)
    else:
        ax.set_xticks(pos, [_wrap(s, 32, lines=1) for s in labels], rotation=30,
                      ha="right", rotation_mode="anchor", **LITERAL)


def _errbars(ax: Any, x: Any, y: Any, *, xerr: Any = None, yerr: Any = None,
             color: str = _INK, capsize: float = 2.5) -> None:
    """Error bars where the half-width is finite and positive (none for NaN)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    for kw, err in (("xerr", xerr), ("yerr", yerr)):
        e = np.full(len(x), np.nan) if err is None else np.asarray(err, dtype=float)
        keep = ok & np.isfinite(e) & (e > 0)
        if keep.any():
            ax.errorbar(x[keep], y[keep], **{kw: e[keep]}, fmt="none", ecolor=color,
                        elinewidth=1.0, capsize=capsize, zorder=4)


def _rows_frame(ax: Any, n: int) -> None:
    """Rows 0..n-1 from the top; fewer than three rows stay thin and centred."""
    pad = max(0.0, (3 - n) / 2)
    ax.set_ylim(n - 0.5 + pad, -0.5 - pad)
    ax.grid(False, axis="y")


def _fit_texts_x(fig: Any, ax: Any, texts: Sequence[Any]) -> None:
    """Widen the x limits until every text lies inside the axes (they are anchored in data
    and offset in points, so this converges in a few rounds)."""
    if not texts:
        return
    for _ in range(5):
        fig.draw_without_rendering()  # lays out and places text
        box = ax.get_window_extent()
        lo, hi = ax.get_xlim()
        per_px = (hi - lo) / max(box.width, 1.0)
        ext = [t.get_window_extent() for t in texts]
        right = max(e.x1 for e in ext) - box.x1 + 4
        left = box.x0 - min(e.x0 for e in ext) + 4
        if right <= 0.5 and left <= 0.5:
            return
        ax.set_xlim(lo - max(left, 0) * per_px * 1.1, hi + max(right, 0) * per_px * 1.1)


def _visible_parts(df: pd.DataFrame) -> list[str]:
    """Cost parts that are not zero (or missing) for every variant: the known parts in
    stacking order, then any other part in order of appearance."""
    m = _num(df["mean"])
    nonzero = set(_names(df["part"][np.isfinite(m) & (m != 0)]))
    return [p for p in dict.fromkeys((*PARTS, *_names(df["part"]))) if p in nonzero]


def cost_breakdown(df: pd.DataFrame) -> str:
    """Horizontal stacked bars of the cost per order by part, one bar per variant, the
    total (with its interval) written at the end of each bar."""
    d = _table(df, "cost_breakdown", "variant:s part:s mean total_half_width?")
    variants = _names(d["variant"])
    parts = _visible_parts(d)
    known = list(PARTS) + [p for p in _names(d["part"]) if p not in PARTS]
    cost = d.assign(mean=d["mean"].fillna(0.0)).groupby(["variant", "part"], sort=False)[
        "mean"].sum()
    by_variant = d.groupby("variant", sort=False)
    has_value, half = by_variant["mean"].count() > 0, by_variant["total_half_width"].first()
    n = len(variants)
    y = np.arange(n)
    with chart(WIDTH, _height(n), layout="constrained") as (fig, ax):
        left = np.zeros(n)
        for p in parts:
            w = np.array([cost.get((v, p), 0.0) for v in variants])
            ax.barh(y, w, left=left, height=0.62, color=color_for(known.index(p)),
                    label=p, edgecolor="white", linewidth=0.5)
            left += w
        texts = []
        for i, v in enumerate(variants):
            hw, total = float(half[v]), float(left[i])
            if not has_value[v]:
                continue
            _errbars(ax, [total], [i], xerr=[hw])
            label = f"${total:,.2f}" + (f" ± {hw:.2f}" if math.isfinite(hw) else "")
            end = total + (hw if math.isfinite(hw) and hw > 0 else 0.0)
            texts.append(ax.annotate(label, (end, i), xytext=(4, 0), textcoords="offset points",
                                     va="center", ha="left", fontsize=8, **LITERAL))
        _category_ticks(ax, variants, axis="y")
        _rows_frame(ax, n)
        ax.set_xlim(0, max(float(left.max()), 1e-9) * 1.02)
        ax.set_xlabel("cost per order, $", **LITERAL)
        ax.tick_params(axis="y", length=0)
        if parts:
            _legend_top(fig, *ax.get_legend_handles_labels())
        _fit_texts_x(fig, ax, texts)
        return fig_to_svg(fig, title="Cost per order by part and variant")


def cdf(df: pd.DataFrame, promise_days: Mapping[str, float] | None = None) -> str:
    """The distribution of click-to-deliver days, one step line per variant, with the
    channels' delivery promises as dashed vertical lines."""
    d = _table(df, "cdf", "variant:s q days", finite="q days")
    variants = _names(d["variant"])
    promises: dict[float, list[str]] = {}
    for channel, days in (promise_days or {}).items():
        if days is not None and math.isfinite(float(days)):
            promises.setdefault(float(days), []).append(str(channel))
    with chart(WIDTH, 3.2, layout="constrained") as (fig, ax):
        for i, v in enumerate(variants):
            s = d[d["variant"] == v].sort_values(["q", "days"], kind="stable")
            ax.plot(s["days"], s["q"], color=color_for(i), lw=1.6, label=v,
                    drawstyle="steps-post" if len(s) < 30 else "default")
        hi = max([float(d["days"].max()), *promises])
        lo = min(0.0, float(d["days"].min()))
        right = hi + 0.04 * (hi - lo or 1.0)
        per_pt = (right - lo) / (_AXES_IN * 72)
        shelves: list[list[tuple[float, float]]] = []  # label spans (data) on each level
        for x, channels in sorted(promises.items()):
            ax.axvline(x, color=_INK, lw=1.0, ls="--", zorder=1)
            text = _wrap(f"promise: {', '.join(channels)}", 26, tail=f"{_fmt_num(x)} d")
            wide = (max(len(r) for r in text.split("\n")) * _PT_PER_CHAR + 8) * per_pt
            after = x + wide <= right  # text to the right of its line, else to the left
            span = (x, x + wide) if after else (x - wide, x)
            level = next((k for k, spans in enumerate(shelves)
                          if all(span[1] <= a or span[0] >= b for a, b in spans)), len(shelves))
            if level == len(shelves):
                shelves.append([])
            shelves[level].append(span)
            ax.annotate(text, (x, 0), xycoords=ax.get_xaxis_transform(),
                        xytext=(3 if after else -3, 4 + 26 * level), textcoords="offset points",
                        ha="left" if after else "right", va="bottom", fontsize=8, color=_INK,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85,
                              "pad": 1}, **LITERAL)
        ax.set_xlim(lo, right)
        ax.set_ylim(0, 100)
        ax.set_yticks(range(0, 101, 20))
        ax.set_xlabel("click to deliver, days")
        ax.set_ylabel("orders delivered, %")
        _legend_top(fig, *ax.get_legend_handles_labels())
        return fig_to_svg(fig, title="Click-to-deliver time distribution by variant")


def _ylim_from_zero(ax: Any, values: Any, room: float) -> None:
    """y from 0 (or below the lowest negative value) to ``room`` times the highest value."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    lo, hi = min(0.0, float(v.min(initial=0.0))), float(v.max(initial=0.0))
    ax.set_ylim(lo * 1.1, hi * room if hi > 0 else 1.0)


def by_group(df: pd.DataFrame, group_label: str, *, value_label: str = "on-time rate, %",
             as_percent: bool = True) -> str:
    """Grouped bars: a group (channel, zone, SKU class) on x, one bar per variant, with the
    interval as an error bar."""
    d = _table(df, "by_group", "variant:s group:s value half_width?", finite="value")
    d[["value", "half_width"]] *= 100.0 if as_percent else 1.0
    variants, groups = _names(d["variant"]), _names(d["group"])
    n = len(variants)
    width = min(0.8 / n, 0.45)
    bar_in = _AXES_IN * width / len(groups)
    first = d.drop_duplicates(["variant", "group"]).set_index(["variant", "group"])
    labelled = bar_in >= 0.3
    with chart(WIDTH, 3.2, layout="constrained") as (fig, ax):
        for i, v in enumerate(variants):
            rows = [(gi, first.loc[(v, g)]) for gi, g in enumerate(groups) if (v, g) in first.index]
            x = np.array([gi + (i - (n - 1) / 2) * width for gi, _ in rows])
            val = np.array([float(r["value"]) for _, r in rows])
            err = np.array([float(r["half_width"]) for _, r in rows])
            ax.bar(x, val, width=width * 0.9, color=color_for(i), label=v, zorder=2)
            _errbars(ax, x, val, yerr=err, capsize=min(2.5, 0.25 * bar_in * 72))
            if labelled:
                dec = 1 if as_percent else _decimals(d["value"])
                for xi, vi, ei in zip(x, val, err, strict=True):
                    top = vi + (ei if math.isfinite(ei) else 0.0)
                    ax.annotate(f"{vi:.{dec}f}", (xi, max(top, 0.0)), xytext=(0, 2),
                                textcoords="offset points", ha="center", va="bottom",
                                fontsize=8, color=_INK)
        upper = d["value"] + d["half_width"].fillna(0.0)
        _ylim_from_zero(ax, [*d["value"], *upper], 1.14 if labelled else 1.06)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        if as_percent:
            ticks = [t for t in ax.get_yticks() if -1e-9 <= t <= 100 + 1e-9]
            ax.set_yticks(ticks)
        _category_ticks(ax, groups)
        ax.set_xlim(-0.5, len(groups) - 0.5)
        ax.grid(False, axis="x")
        ax.tick_params(axis="x", length=0)
        ax.set_xlabel(group_label, **LITERAL)
        ax.set_ylabel(value_label, **LITERAL)
        _legend_top(fig, *ax.get_legend_handles_labels())
        return fig_to_svg(fig, title=f"{value_label} by {group_label} and variant")


def per_day(df: pd.DataFrame, *, warmup_days: float = 0.0,
            value_label: str = "shipments per day") -> str:
    """One line per FC over the days of the run; the warm-up days shaded."""
    d = _table(df, "per_day", "fc:s day value", finite="day")
    if not np.isfinite(d["value"]).any():
        raise ValueError("no data for per_day")
    fcs = _names(d["fc"])
    first, last = float(d["day"].min()), float(d["day"].max())
    with chart(WIDTH, 3.0, layout="constrained") as (fig, ax):
        for i, fc in enumerate(fcs):
            s = d[d["fc"] == fc].sort_values("day", kind="stable")
            ax.plot(s["day"], s["value"], color=color_for(i), lw=1.4, label=fc,
                    marker="o" if len(s) == 1 else None, ms=3)
        ax.set_xlim(first - 0.5, last + 0.5)
        _ylim_from_zero(ax, d["value"], 1.15)
        if warmup_days > 0:
            end = min(first + warmup_days, last + 1) - 0.5
            ax.axvspan(first - 0.5, end, color="#e6e6e6", zorder=0, lw=0)
            span_in = _AXES_IN * (end - first + 0.5) / (last - first + 1)
            ax.text((first - 0.5 + end) / 2, 0.97, "warm-up", ha="center", va="top",
                    rotation=0 if span_in >= 0.55 else 90, fontsize=8, color="#555555",
                    transform=ax.get_xaxis_transform())
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("day of run (0 = first day)")
        ax.set_ylabel(value_label, **LITERAL)
        _legend_top(fig, *ax.get_legend_handles_labels())
        return fig_to_svg(fig, title=f"{value_label} by FC and day")


def utilization_heatmap(df: pd.DataFrame) -> str:
    """Utilisation by FC (rows) and hour of day (columns), pickers and packers side by side;
    hours nobody is paid for are grey and hatched."""
    d = _table(df, "utilization_heatmap", "fc:s role:s hour value", finite="hour")
    d = d[(d["hour"] >= 0) & (d["hour"] < 24)]
    if d.empty:
        raise ValueError("no data for utilization_heatmap")
    fcs = _names(d["fc"])
    roles = sorted(_names(d["role"]), key=lambda r: {"picker": 0, "packer": 1}.get(r, 2))
    cmap = mpl.colormaps["viridis"].with_extremes(bad=(0, 0, 0, 0))
    with chart(WIDTH, _height(len(fcs), 0.25, 1.4), ncols=len(roles), sharey=True,
               squeeze=False, layout="constrained") as (fig, axes):
        images = []
        for ax, role in zip(axes[0], roles, strict=True):
            grid = np.full((len(fcs), 24), np.nan)
            for fc, hour, value in d.loc[d["role"] == role, ["fc", "hour", "value"]].itertuples(
                    index=False):
                grid[fcs.index(fc), int(hour)] = 100.0 * value
            ax.add_patch(Rectangle((-0.5, -0.5), 24, len(fcs), facecolor=_NO_SHIFT,
                                   edgecolor="#b0b0b0", hatch="////", lw=0, zorder=0))
            images.append(ax.imshow(grid, cmap=cmap, vmin=0, vmax=100, aspect="auto",
                                    interpolation="nearest", zorder=1))
            ax.set_xticks(range(0, 24, 3))
            ax.set_xticks(range(24), minor=True)
            ax.tick_params(axis="x", which="minor", length=2)
            ax.grid(False)
            ax.set_xlabel("hour of day")
            title = {"picker": "pickers", "packer": "packers"}.get(role, role)
            ax.set_title(_wrap(title, 30, 1), fontsize=9, **LITERAL)
        axes[0][0].set_yticks(range(len(fcs)), [_wrap(f, 20) for f in fcs], **LITERAL)
        bar = fig.colorbar(images[0], ax=list(axes[0]), fraction=0.04, pad=0.02, aspect=18)
        bar.set_label("utilisation, %")
        note = Patch(facecolor=_NO_SHIFT, edgecolor="#b0b0b0", hatch="////", lw=0)
        fig.legend([note], ["grey: no shift"], loc="outside lower right", frameon=False,
                   handlelength=1.4)
        return fig_to_svg(fig, title="Utilisation by FC and hour of day")


def _axis_values(values: Sequence[Any]) -> tuple[np.ndarray, list[str] | None]:
    """x positions of swept values: the numbers themselves when all are numeric (bools are
    not), else 0..k-1 in order of first appearance with their names."""
    nums = _num(list(values))
    if all(not isinstance(v, bool | np.bool_) for v in values) and np.isfinite(nums).all():
        return nums, None
    cats = _names(values)
    return np.array([cats.index(str(v)) for v in values], dtype=float), cats


def sweep(df: pd.DataFrame, key: str, kpi: str, kpi_label: str) -> str:
    """A KPI against a swept setting: line with markers and a shaded interval band, one line
    per ``series`` when the table has that column."""
    d = _table(df, "sweep", "value:r mean half_width? series:s?", finite="mean")
    x, cats = _axis_values(list(d["value"]))
    d = d.assign(x=x)
    series = _names(d["series"]) if "series" in d.columns else [""]
    with chart(WIDTH, 3.0, layout="constrained") as (fig, ax):
        for i, name in enumerate(series):
            s = d if "series" not in d.columns else d[[str(v) == name for v in d["series"]]]
            s = s.sort_values("x", kind="stable")
            c = color_for(i)
            xs, m, e = s["x"].to_numpy(), s["mean"].to_numpy(), s["half_width"].to_numpy()
            ax.plot(xs, m, color=c, lw=1.5, marker="o", ms=4, label=name, zorder=3)
            ax.fill_between(xs, m - e, m + e, color=c, alpha=0.18, lw=0, zorder=2)
            lonely = np.isfinite(e) & ~(np.isfinite(np.r_[np.nan, e[:-1]])
                                        | np.isfinite(np.r_[e[1:], np.nan]))
            _errbars(ax, xs[lonely], m[lonely], yerr=e[lonely], color=c)
        if cats is not None:
            _category_ticks(ax, cats)
            ax.set_xlim(-0.5, len(cats) - 0.5)
        elif np.all(np.mod(x, 1) == 0):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(key, **LITERAL)
        ax.set_ylabel(kpi_label, **LITERAL)
        if "series" in d.columns:
            _legend_top(fig, *ax.get_legend_handles_labels())
        return fig_to_svg(fig, title=f"{kpi} against {key}")


def pareto_front(cost: Any, service: Any) -> np.ndarray:
    """Which points are Pareto-efficient (lower cost and higher service are better): no other
    point has cost <= and service >= with at least one strict.  Equal points are all
    efficient; a point with a NaN is neither efficient nor dominates."""
    c = np.asarray(cost, dtype=float).ravel()
    s = np.asarray(service, dtype=float).ravel()
    if c.shape != s.shape:
        raise ValueError("cost and service must have the same length")
    ok = np.isfinite(c) & np.isfinite(s)
    cj, sj = c[None, :], s[None, :]
    ci, si = c[:, None], s[:, None]
    dominated = ((cj <= ci) & (sj >= si) & ((cj < ci) | (sj > si)) & ok[None, :]).any(axis=1)
    return np.asarray(ok & ~dominated, dtype=bool)


_SPOTS = [(6, 4, "left", "bottom"), (6, -4, "left", "top"), (-6, 4, "right", "bottom"),
          (-6, -4, "right", "top"), (0, 9, "center", "bottom"), (0, -9, "center", "top"),
          (14, 16, "left", "bottom"), (14, -16, "left", "top"), (-14, 16, "right", "bottom"),
          (-14, -16, "right", "top"), (0, 26, "center", "bottom"), (0, -26, "center", "top"),
          (24, 0, "left", "center"), (-24, 0, "right", "center")]


def _overlap(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0.0) * max(h, 0.0)


def _place_labels(fig: Any, ax: Any, xs: np.ndarray, ys: np.ndarray, labels: list[str],
                  xerr: np.ndarray, yerr: np.ndarray) -> None:
    """Label each point at the first of a few spots around it that hits no other label, point
    or error bar and stays inside the axes (else the spot that overlaps least)."""
    from matplotlib.transforms import Bbox

    fig.draw_without_rendering()  # lays out and places text
    fig.set_layout_engine("none")  # keep the axes where the layout put them
    frame = ax.get_window_extent()
    pts = ax.transData.transform(np.c_[xs, ys])
    taken = [Bbox.from_extents(px - 5, py - 5, px + 5, py + 5) for px, py in pts]
    for x, y, ex, ey in zip(xs, ys, np.nan_to_num(xerr), np.nan_to_num(yerr), strict=True):
        (x0, y0), (x1, y1) = ax.transData.transform([(x - ex, y - ey), (x + ex, y + ey)])
        cx, cy = ax.transData.transform((x, y))
        taken += [Bbox.from_extents(x0, cy - 3, x1, cy + 3),
                  Bbox.from_extents(cx - 3, y0, cx + 3, y1)]
    scale = fig.dpi / 72
    for i in np.lexsort((ys, xs)):
        best: tuple[float, int] | None = None
        for k, (dx, dy, ha, va) in enumerate(_SPOTS):
            t = ax.annotate(labels[i], (xs[i], ys[i]), xytext=(dx, dy),
                            textcoords="offset points", ha=ha, va=va, fontsize=8, **LITERAL)
            box = t.get_window_extent().padded(1.5 * scale)
            t.remove()
            outside = box.width * box.height - _overlap(box, frame)
            score = sum(_overlap(box, b) for b in taken) + 2 * outside + 0.01 * k
            if best is None or score < best[0]:
                best = (score, k)
            if score < 0.02 * len(_SPOTS):
                break
        assert best is not None
        dx, dy, ha, va = _SPOTS[best[1]]
        far = best[1] >= 6
        t = ax.annotate(labels[i], (xs[i], ys[i]), xytext=(dx, dy), textcoords="offset points",
                        ha=ha, va=va, fontsize=8, color=_INK, zorder=5,
                        arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6,
                                    "shrinkA": 0, "shrinkB": 3} if far else None,
                        **LITERAL)
        taken.append(t.get_window_extent())


def pareto(df: pd.DataFrame, *, cost_label: str = "total cost per order, $",
           service_label: str = "on-time rate, %", service_is_percent: bool = True) -> str:
    """Cost against service, one labelled point per variant with both intervals; the
    Pareto-efficient variants joined and coloured."""
    d = _table(df, "pareto", "variant:s cost cost_half_width? service service_half_width?",
               finite="cost service")
    d[["service", "service_half_width"]] *= 100.0 if service_is_percent else 1.0
    front = pareto_front(d["cost"], d["service"])
    x, y = d["cost"].to_numpy(), d["service"].to_numpy()
    with chart(WIDTH, 3.4, layout="constrained") as (fig, ax):
        handles: list[Any] = []
        names: list[str] = []
        for mask, colour, label in ((front, color_for(0), "Pareto front"),
                                    (~front, "#9aa3a9", "dominated")):
            if not mask.any():
                continue
            _errbars(ax, x[mask], y[mask], xerr=d["cost_half_width"].to_numpy()[mask],
                     yerr=d["service_half_width"].to_numpy()[mask], color=colour, capsize=2)
            ax.scatter(x[mask], y[mask], s=28, color=colour, zorder=5, edgecolor="white",
                       linewidth=0.6)
            handles.append(Line2D([], [], color=colour, marker="o", ms=5,
                                  lw=1.4 if label == "Pareto front" else 0))
            names.append(label)
        order = np.lexsort((-y[front], x[front]))
        ax.plot(x[front][order], y[front][order], color=color_for(0), lw=1.4, zorder=4)
        ax.margins(x=0.14, y=0.16)
        ax.set_xlabel(cost_label, **LITERAL)
        ax.set_ylabel(service_label, **LITERAL)
        literal_legend(ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.01, 1),
                                 frameon=False, title="better: up and left",
                                 title_fontsize=8, alignment="left"))
        _place_labels(fig, ax, x, y, [_wrap(v, 20) for v in d["variant"]],
                      d["cost_half_width"].to_numpy(), d["service_half_width"].to_numpy())
        return fig_to_svg(fig, title="Cost against service by variant")


def headline(df: pd.DataFrame, *, kpi_label: str) -> str:
    """The paired difference of each variant against the base with its interval, coloured
    by verdict (better, worse, no detectable difference); the base itself is left out."""
    d = _table(df, "headline", "variant:s diff half_width? verdict:s")
    bases = d.loc[d["verdict"] == "base", "variant"]
    base = str(bases.iloc[0]) if len(bases) else "base"
    d = d[(d["verdict"] != "base") & np.isfinite(d["diff"])].reset_index(drop=True)
    if d.empty:
        raise ValueError("no data for headline")
    n = len(d)
    y = np.arange(n)
    diff, hw = d["diff"].to_numpy(), d["half_width"].to_numpy()
    colours = [_VERDICTS.get(v, NEUTRAL) for v in d["verdict"]]
    widths = [h for h in hw if math.isfinite(h) and h > 0]  # half-widths to 2 digits
    dec = _decimals([min(widths) * 10]) if widths else _decimals(diff)
    with chart(WIDTH, _height(n), layout="constrained") as (fig, ax):
        ax.barh(y, diff, height=0.5, color=colours, alpha=0.3, zorder=2)
        for colour in dict.fromkeys(colours):
            m = np.array([c == colour for c in colours])
            _errbars(ax, diff[m], y[m], xerr=hw[m], color=colour, capsize=3)
        ax.scatter(diff, y, s=30, color=colours, zorder=5, edgecolor="white", linewidth=0.6)
        ax.axvline(0, color=_INK, lw=1.0, zorder=3)
        fin = np.where(np.isfinite(hw), hw, 0.0)
        lo, hi = min(0.0, float(np.min(diff - fin))), max(0.0, float(np.max(diff + fin)))
        pad = 0.05 * ((hi - lo) or 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        texts = []
        for i in range(n):
            label = f"{diff[i]:+,.{dec}f}".replace("-", "−") + (
                f" ± {hw[i]:.{dec}f}" if math.isfinite(hw[i]) else "")
            right = diff[i] >= 0
            at = diff[i] + (fin[i] if right else -fin[i])
            texts.append(ax.annotate(label, (at, i), xytext=(5 if right else -5, 0),
                                     textcoords="offset points", va="center",
                                     ha="left" if right else "right", fontsize=8,
                                     color=_INK, **LITERAL))
        _category_ticks(ax, list(d["variant"]), axis="y")
        _rows_frame(ax, n)
        ax.tick_params(axis="y", length=0)
        what, _, unit = str(kpi_label).rpartition(", ")  # the unit goes last
        what, unit = (what, f", {unit}") if what and len(unit) <= 8 else (str(kpi_label), "")
        ax.set_xlabel(f"difference in {what} vs {_wrap(base, 30, 1)}{unit}", **LITERAL)
        verdicts = [v for v in (*_VERDICTS, *_names(d["verdict"])) if v in set(d["verdict"])]
        handles = [Patch(color=_VERDICTS.get(v, NEUTRAL)) for v in dict.fromkeys(verdicts)]
        _legend_top(fig, handles, list(dict.fromkeys(verdicts)), wrap=30)
        _fit_texts_x(fig, ax, texts)
        return fig_to_svg(fig, title=f"Difference in {kpi_label} against {base}")


def observed_fitted(what: str, observed: Sequence[float], fitted: Sequence[float], *,
                    x_label: str, ks: float, first: int = 0,
                    names: Sequence[str] | None = None, y_label: str = "share") -> str:
    """An order history's distribution or profile (bars) against the fitted model's (line),
    with their Kolmogorov-Smirnov distance in the title."""
    obs, fit = np.asarray(observed, float), np.asarray(fitted, float)
    n = max(len(obs), len(fit))
    if n == 0 or not (np.isfinite(obs).any() or np.isfinite(fit).any()):
        raise ValueError(f"no data for {what}")
    obs = np.pad(obs, (0, n - len(obs)), constant_values=np.nan)
    fit = np.pad(fit, (0, n - len(fit)), constant_values=np.nan)
    x = np.arange(n)
    with chart(WIDTH, 2.6, layout="constrained") as (fig, ax):
        ax.bar(x, obs, width=0.8, color=color_for(0), alpha=0.45, label="observed")
        ax.plot(x, fit, color=color_for(1), marker="o", ms=3, lw=1.4, label="fitted")
        ax.set_xlabel(x_label, **LITERAL)
        ax.set_ylabel(y_label)
        if names is not None and len(names) == n:
            ax.set_xticks(x, list(names), **LITERAL)
        elif first:
            step = max(1, n // 10)
            ax.set_xticks(x[::step], [str(int(v) + first) for v in x[::step]])
        ax.set_title(f"{what}: Kolmogorov-Smirnov distance {ks:.3f}", **LITERAL)
        literal_legend(ax.legend(frameon=False, loc="upper right"))
        return fig_to_svg(fig, title=f"{what}, observed against fitted")


def search_history(df: pd.DataFrame, *, objective_label: str, maximize: bool = False,
                   constrained: bool = True) -> str:
    """A tuning study, trial by trial: the objective of each complete trial (filled when it
    meets every constraint, hollow when not), pruned trials (crosses, at the mean of the
    replications they ran) and the best feasible value so far (a step line).

    ``df`` columns: ``trial``, ``objective``, ``state`` (complete / pruned / fail),
    ``feasible`` (bool)."""
    d = _table(df, "search history", "trial objective state:s feasible:r",
               finite="objective").sort_values("trial")
    x, y = d["trial"].to_numpy(float), d["objective"].to_numpy(float)
    complete = (d["state"] == "complete").to_numpy()
    feasible = d["feasible"].to_numpy(bool) & complete
    with chart(WIDTH, 3.0, layout="constrained") as (fig, ax):
        # a legend entry only for the kinds of trial there are
        ax.scatter(x[feasible], y[feasible], s=22, color=color_for(0), zorder=3,
                   label="complete, meets the constraints" if constrained else "complete")
        if (complete & ~feasible).any():
            ax.scatter(x[complete & ~feasible], y[complete & ~feasible], s=22,
                       facecolor="none", edgecolor=color_for(0), zorder=3,
                       label="complete, violates a constraint")
        pruned = (d["state"] == "pruned").to_numpy()
        if pruned.any():
            ax.scatter(x[pruned], y[pruned], s=22, marker="x", color=NEUTRAL, zorder=3,
                       label="pruned (paired test)")
        if feasible.any():
            best = np.where(feasible, y, np.nan)
            acc = np.fmax.accumulate(np.nan_to_num(best, nan=-np.inf)) if maximize else \
                np.fmin.accumulate(np.nan_to_num(best, nan=np.inf))
            ok = np.isfinite(acc)
            ax.step(x[ok], acc[ok], where="post", color=color_for(1), lw=1.4,
                    label="best so far")
        ax.set_xlabel("trial")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(objective_label, **LITERAL)
        _legend_top(fig, *ax.get_legend_handles_labels())
        return fig_to_svg(fig, title="Search history")


def importances(values: Mapping[str, float]) -> str:
    """Parameter importances of a tuning study (horizontal bars, largest on top)."""
    items = sorted(((str(k), float(v)) for k, v in values.items() if np.isfinite(v)),
                   key=lambda kv: kv[1])
    if not items:
        raise ValueError("no data for importances")
    with chart(WIDTH, _height(len(items), 0.35, 1.0), layout="constrained") as (fig, ax):
        y = np.arange(len(items))
        ax.barh(y, [v for _, v in items], color=color_for(0), height=0.55)
        _category_ticks(ax, [k for k, _ in items], axis="y")
        ax.set_xlabel("importance (share of the objective's variation)")
        ax.set_xlim(0, max(1.0, max(v for _, v in items)))
        return fig_to_svg(fig, title="Parameter importances")


def simulated_actual(what: str, unit: str, simulated: Sequence[float],
                     actual: Sequence[float], *, ks: float) -> str:
    """The distribution of one outcome, simulated against the order history's actual
    outcomes: each line the percentiles 0..100 of one sample (x) against the share of orders
    (y), with their Kolmogorov-Smirnov distance in the title; the x axis stops at the larger
    99th percentile."""
    sim, act = np.asarray(simulated, float), np.asarray(actual, float)
    if not (np.isfinite(sim).any() or np.isfinite(act).any()):
        raise ValueError(f"no data for {what}")
    with chart(WIDTH, 2.8, layout="constrained") as (fig, ax):
        for i, (label, x) in enumerate((("simulated", sim), ("actual (history)", act))):
            if np.isfinite(x).any():
                ax.plot(x, np.linspace(0, 100, len(x)), color=color_for(i), lw=1.6,
                        label=label)
        ax.set_ylim(0, 100)
        ax.set_yticks(range(0, 101, 20))
        p99 = [float(x[99]) for x in (sim, act) if len(x) == 101 and np.isfinite(x[99])]
        top = max(p99, default=math.nan)
        if math.isfinite(top) and top > 0:  # the last percent's long tail would hide the rest
            ax.set_xlim(min(0.0, float(np.nanmin(np.r_[sim, act]))), top * 1.05)
        ax.set_xlabel(f"{what}, {unit} (up to the 99th percentile)", **LITERAL)
        ax.set_ylabel("orders, %")
        ks_text = f"{ks:.3f}" if math.isfinite(ks) else "n/a"
        ax.set_title(f"{what}: Kolmogorov-Smirnov distance {ks_text}", **LITERAL)
        literal_legend(ax.legend(frameon=False, loc="lower right"))
        return fig_to_svg(fig, title=f"{what}, simulated against actual")
