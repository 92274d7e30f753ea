"""The report's charts: Pareto front, well-formed deterministic SVG, hostile and long names."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from reports import charts
from reports.charts import _axis_values, _legend_layout, _visible_parts, _wrap, pareto_front

SHORT = ["baseline", "optimal routing", "more pickers in Chicago", "wave routing"]
LONG = [f"strategy {i} with a rather long name"[:30].ljust(30, "x") for i in range(10)]
HOSTILE = ["$5 off$ <script>", r"$\oops{$ & </svg>"]
FCS = ["chicago", "los_angeles", "dallas", "wilkes_barre"]
PARTS = {"labor": 4.0, "postage": 9.0, "cartons": 0.6, "holding": 0.3, "returns": 0.5,
         "fixed": 1.5}


def _cost(variants: list[str], hw: float = 0.2, zero: str | None = None) -> pd.DataFrame:
    return pd.DataFrame([(v, p, 0.0 if p == zero else m * (1 + 0.03 * i), hw)
                         for i, v in enumerate(variants) for p, m in PARTS.items()],
                        columns=["variant", "part", "mean", "total_half_width"])


def _cdf(variants: list[str]) -> pd.DataFrame:
    q = np.arange(0, 101, 5)
    return pd.DataFrame([(v, qq, 1 + 7 * (qq / 100) ** (1.5 + 0.1 * i))
                         for i, v in enumerate(variants) for qq in q],
                        columns=["variant", "q", "days"])


def _groups(variants: list[str], groups: list[str], hw: float = 0.01) -> pd.DataFrame:
    return pd.DataFrame([(v, g, 0.97 - 0.02 * j - 0.005 * i, hw)
                         for i, v in enumerate(variants) for j, g in enumerate(groups)],
                        columns=["variant", "group", "value", "half_width"])


def _per_day(fcs: list[str]) -> pd.DataFrame:
    return pd.DataFrame([(f, d, (300 + 100 * i) * min(1.0, (d + 1) / 3))
                         for i, f in enumerate(fcs) for d in range(28)],
                        columns=["fc", "day", "value"])


def _heat(fcs: list[str]) -> pd.DataFrame:
    return pd.DataFrame([(f, r, h, np.nan if h < 6 or h >= 22 else 0.5 + 0.02 * (h - 6))
                         for f in fcs for r in ("picker", "packer") for h in range(24)],
                        columns=["fc", "role", "hour", "value"])


def _sweep(values: Sequence[object], series: list[str] | None = None) -> pd.DataFrame:
    rows = [(v, 10.0 + 0.1 * k + j, 0.2, s) for j, s in enumerate(series or [""])
            for k, v in enumerate(values)]
    df = pd.DataFrame(rows, columns=["value", "mean", "half_width", "series"])
    return df if series else df.drop(columns="series")


def _pareto(variants: list[str], hw: float = 0.2) -> pd.DataFrame:
    return pd.DataFrame([(v, 16.0 - 0.3 * i + 0.2 * (i % 3), hw, 0.93 + 0.004 * (i % 4), hw / 30)
                         for i, v in enumerate(variants)],
                        columns=["variant", "cost", "cost_half_width", "service",
                                 "service_half_width"])


def _headline(variants: list[str], hw: float = 0.15) -> pd.DataFrame:
    verdicts = ["better", "worse", "no detectable difference"]
    rows = [(variants[0], 0.0, np.nan, "base")]
    rows += [(v, (-0.5, 0.3, 0.05)[i % 3], hw, verdicts[i % 3])
             for i, v in enumerate(variants[1:])]
    return pd.DataFrame(rows, columns=["variant", "diff", "half_width", "verdict"])


def _renders(variants: list[str], fcs: list[str], hw: float = 0.2
             ) -> dict[str, Callable[[], str]]:
    """Every chart (the headline needs two variants) on data naming ``variants``/``fcs``."""
    out: dict[str, Callable[[], str]] = {
        "cost_breakdown": lambda: charts.cost_breakdown(_cost(variants, hw)),
        "cdf": lambda: charts.cdf(_cdf(variants), {variants[-1]: 4, "web": 2, "b2b": 4}),
        "by_channel": lambda: charts.by_group(_groups(variants, [*variants[:3], "web"], hw / 10),
                                              variants[0]),
        "by_zone": lambda: charts.by_group(_groups(variants, [str(z) for z in range(1, 9)]),
                                           "zone"),
        "per_day": lambda: charts.per_day(_per_day(fcs), warmup_days=3,
                                          value_label=f"{fcs[0]} orders per day"),
        "heatmap": lambda: charts.utilization_heatmap(_heat(fcs)),
        "sweep_numeric": lambda: charts.sweep(_sweep([2, 4, 6], variants[:2]), "pickers",
                                              "cost", "cost per order, $"),
        "sweep_names": lambda: charts.sweep(_sweep(variants), variants[0], "cost", "$ per order"),
        "pareto": lambda: charts.pareto(_pareto(variants, hw)),
    }
    if len(variants) > 1:
        out["headline"] = lambda: charts.headline(_headline(variants, hw),
                                                  kpi_label="total cost per order, $")
    return out


CHARTS = sorted(_renders(SHORT, FCS))


def _size_in(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return (float(root.attrib["width"].removesuffix("pt")) / 72,
            float(root.attrib["height"].removesuffix("pt")) / 72)


def _check(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.attrib.get("role") == "img" and root.attrib.get("aria-label")
    assert "<script" not in svg.lower()
    assert len(svg) > 2000
    return root


@pytest.mark.parametrize("name", CHARTS)
def test_chart_is_well_formed_and_deterministic(name: str) -> None:
    render = _renders(SHORT, FCS)[name]
    svg = render()
    _check(svg)
    assert render() == svg
    w, h = _size_in(svg)
    assert 6.0 <= w <= 7.4 and 2.0 <= h <= 4.2, (w, h)


@pytest.mark.parametrize("name", CHARTS)
def test_hostile_names_are_drawn_literally(name: str) -> None:
    # "$\oops{$" would raise in mathtext: drawing it proves user text bypasses mathtext
    svg = _renders([*HOSTILE, "plain"], [*HOSTILE, "reno"])[name]()
    _check(svg)


@pytest.mark.parametrize("name", CHARTS)
def test_ten_variants_with_long_names_fit_the_page(name: str) -> None:
    svg = _renders(LONG, [f"fc_{c}_regional_distribution_ctr" for c in FCS])[name]()
    _check(svg)
    w, h = _size_in(svg)
    assert w <= 7.4 and h <= 4.2, (w, h)


@pytest.mark.parametrize("name", [n for n in CHARTS if n != "headline"])
def test_one_variant_and_nan_half_widths(name: str) -> None:
    _check(_renders(["baseline"], ["chicago"], hw=np.nan)[name]())


def test_nan_half_width_draws_no_error_bar() -> None:
    df = _groups(SHORT[:2], ["web", "market"])
    nan = charts.by_group(df.assign(half_width=np.nan), "channel")
    assert nan == charts.by_group(df.drop(columns="half_width"), "channel")
    assert nan != charts.by_group(df, "channel")
    rows = _pareto(SHORT)
    assert charts.pareto(rows.assign(cost_half_width=np.nan, service_half_width=np.nan)) == \
        charts.pareto(rows.drop(columns=["cost_half_width", "service_half_width"]))


def test_nan_values_are_skipped() -> None:
    df = _groups(SHORT, ["web", "market"])
    df.loc[0, "value"] = np.nan
    _check(charts.by_group(df, "channel"))
    cdf = _cdf(SHORT)
    cdf.loc[3, "days"] = np.nan
    assert charts.cdf(cdf) == charts.cdf(cdf.drop(index=3))
    _check(charts.headline(_headline(SHORT).assign(diff=[0.0, np.nan, 0.2, 0.1]),
                           kpi_label="cost, $"))


@pytest.mark.parametrize(("func", "name"), [
    (charts.cost_breakdown, "cost_breakdown"), (charts.cdf, "cdf"),
    (lambda df: charts.by_group(df, "zone"), "by_group"), (charts.per_day, "per_day"),
    (charts.utilization_heatmap, "utilization_heatmap"),
    (lambda df: charts.sweep(df, "k", "kpi", "kpi"), "sweep"), (charts.pareto, "pareto"),
    (lambda df: charts.headline(df, kpi_label="x"), "headline")])
def test_empty_input_raises(func: Callable[[pd.DataFrame], str], name: str) -> None:
    with pytest.raises(ValueError, match=f"^no data for {name}$"):
        func(pd.DataFrame())


def test_all_nan_or_base_only_raises() -> None:
    with pytest.raises(ValueError, match="no data for by_group"):
        charts.by_group(_groups(SHORT, ["web"]).assign(value=np.nan), "channel")
    with pytest.raises(ValueError, match="no data for headline"):
        charts.headline(_headline(SHORT).iloc[:1], kpi_label="x")
    with pytest.raises(ValueError, match="missing column 'days'"):
        charts.cdf(_cdf(SHORT).drop(columns="days"))


def test_visible_parts_leave_out_parts_that_are_zero_everywhere() -> None:
    df = _cost(SHORT, zero="holding")
    assert _visible_parts(df) == ["labor", "postage", "cartons", "returns", "fixed"]
    df.loc[(df["variant"] == SHORT[2]) & (df["part"] == "holding"), "mean"] = 0.1
    assert _visible_parts(df) == list(PARTS)
    odd = pd.DataFrame({"part": ["fixed", "energy", "labor", "returns"],
                        "mean": [1.0, 0.5, np.nan, 0.0]})
    assert _visible_parts(odd) == ["fixed", "energy"]
    assert charts.cost_breakdown(_cost(SHORT, zero="holding")) != charts.cost_breakdown(
        _cost(SHORT))


def test_pareto_front_hand_built_cases() -> None:
    def front(c: list[float], s: list[float]) -> list[bool]:
        return pareto_front(np.array(c), np.array(s)).tolist()

    assert front([1, 2, 3], [0.90, 0.95, 0.80]) == [True, True, False]
    assert front([1, 1], [0.9, 0.8]) == [True, False]  # same cost, less service
    assert front([1, 2], [0.9, 0.9]) == [True, False]  # same service, more cost
    assert front([1, 1], [0.9, 0.9]) == [True, True]  # duplicates dominate neither
    assert front([1, 2, 2], [0.9, 0.8, 0.8]) == [True, False, False]
    assert front([3, 2, 1], [0.7, 0.8, 0.9]) == [False, False, True]
    assert front([1, np.nan, 2], [0.9, 0.99, 0.95]) == [True, False, True]  # NaN out
    assert front([5], [0.5]) == [True]
    assert front([], []) == []
    assert pareto_front([1, 2], [0.9, 0.95]).dtype == bool
    with pytest.raises(ValueError):
        pareto_front([1, 2], [0.9])


def test_pareto_front_matches_the_definition() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        c, s = rng.integers(0, 4, 7).astype(float), rng.integers(0, 4, 7).astype(float)
        want = [not any(c[j] <= c[i] and s[j] >= s[i] and (c[j] < c[i] or s[j] > s[i])
                        for j in range(7)) for i in range(7)]
        assert pareto_front(c, s).tolist() == want


def test_cdf_draws_one_promise_line_per_value() -> None:
    df = _cdf(SHORT[:1])
    dashes = lambda svg: len(re.findall(r"stroke-dasharray", svg))  # noqa: E731
    none = dashes(charts.cdf(df))
    assert dashes(charts.cdf(df, {"web": 4, "b2b": 4})) == none + 1
    assert dashes(charts.cdf(df, {"web": 4, "b2b": 4, "market": 2})) == none + 2


def test_wrap_keeps_names_readable() -> None:
    assert _wrap("short", 20) == "short"
    wrapped = _wrap("fc_chicago_regional_distribution_center_north", 20)
    rows = wrapped.split("\n")
    assert len(rows) == 2 and all(len(r) <= 20 for r in rows)
    assert rows[0] == "fc_chicago_regional_" and rows[1].endswith("…")
    assert _wrap("more pickers in Chicago", 20) == "more pickers in\nChicago"
    assert _wrap("a" * 50, 10, lines=1) == "a" * 9 + "…"
    assert _wrap("promise: web, marketplace, wholesale", 20, tail="4 d").endswith(" 4 d")


def test_legend_of_ten_long_names_fits_the_width() -> None:
    for labels in (LONG, SHORT, ["x"]):
        shown, ncol, lines = _legend_layout(labels, 34)
        rows = -(-len(shown) // ncol)
        widest = [max(len(r) for lab in shown[c * rows:(c + 1) * rows] for r in lab.split("\n"))
                  for c in range(ncol)]
        assert sum(4.5 * w + 30 for w in widest) <= 7 * 72
        assert lines >= rows


@pytest.mark.parametrize(("values", "numeric"), [
    ([1, 2.5, 4], True), (["nearest", "optimal"], False), ([1, "two"], False),
    ([True, False], False)])
def test_sweep_axis_is_numeric_only_for_numbers(values: list[object], numeric: bool) -> None:
    x, cats = _axis_values(values)
    assert (cats is None) == numeric
    if not numeric:
        assert cats == list(dict.fromkeys(str(v) for v in values))
        assert x.tolist() == [float(cats.index(str(v))) for v in values]


def test_variant_colours_follow_first_appearance() -> None:
    svg = charts.by_group(_groups(SHORT, ["web"]), "channel")
    assert all(charts.color_for(i) in svg for i in range(4))
    assert charts.color_for(4) not in svg
