"""The consultant report: structure, numbers, escaping, exports, a real browser and the PDF."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from reports.content import fmt_interval, fmt_value
from reports.dataset import from_results_dirs, from_store
from reports.html import render_html
from sim.cli import main
from sim.experiments.stats import Interval
from tests.browser import (
    check_in_browser,
    pdf_page_count,
    pdf_page_sizes_pts,
    pdf_pages_to_png,
    png_is_blank,
    requires_browser,
    requires_chromium,
    requires_poppler,
)

from .conftest import SMALL, deep_merge, write_scenario

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / ".artifacts"
HOSTILE = "<script>alert(1)</script> Smith & Sons ü"
SECTIONS = ("summary", "assumptions", "kpis", "charts", "map", "method")


def _scenarios(folder: Path, **base_changes: object) -> tuple[Path, Path]:
    base = deep_merge(SMALL, {"run": {"horizon_days": 4, "warmup_days": 1},
                              "description": HOSTILE, **base_changes})
    a = write_scenario(folder, base, "base.toml")
    b = write_scenario(folder, deep_merge(base, {
        "name": "more $staff$", "fcs": {"east": {"shifts": {"day": {"pickers": 6}}}}}),
        "more.toml")
    return a, b


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two results directories written by ``fulfill run``."""
    d = tmp_path_factory.mktemp("runs")
    a, b = _scenarios(d)
    assert main(["run", str(a), "--out", str(d / "ra"), "--quiet"]) == 0
    assert main(["run", str(b), "--out", str(d / "rb"), "--quiet"]) == 0
    return d / "ra", d / "rb"


@pytest.fixture(scope="module")
def report(runs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(runs[0]), str(runs[1]), "--out", str(out)]) == 0
    return out


class _Cells(HTMLParser):
    """Text of every table cell, and ids and image sources."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.ids: list[str] = []
        self.images: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(str(a.get("src", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(path: Path) -> _Cells:
    p = _Cells()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_every_section_and_the_numbers_equal_kpis_json(runs: tuple[Path, Path],
                                                       report: Path) -> None:
    doc = _parse(report)
    assert set(SECTIONS) <= set(doc.ids)
    kpis = [json.loads((r / "kpis.json").read_text(encoding="utf-8")) for r in runs]
    rows = {r[0].split(" (")[0].split(" ")[0]: r for r in doc.rows if r}
    for name in ("total_cost_per_order", "on_time_rate", "orders_placed",
                 "click_to_deliver_days_mean", "labor_cost_per_order"):
        row = rows[name]
        # base value, variant value, variant minus base (one replication: no interval)
        assert row[1] == fmt_interval(name, Interval(kpis[0][name], math.nan, 1),
                                      suffix=False)
        assert row[2] == fmt_interval(name, Interval(kpis[1][name], math.nan, 1),
                                      suffix=False)
        assert row[3] == fmt_interval(name, Interval(kpis[1][name] - kpis[0][name], math.nan,
                                                     1), signed=True, suffix=False)
    # the CSV export carries the exact values
    csv_rows = list(csv.DictReader(io.StringIO(
        report.with_name("report.kpis.csv").read_text(encoding="utf-8-sig"))))
    got = {(r["variant"], r["kpi"]): r for r in csv_rows}
    for i, variant in enumerate(["small", "more $staff$"]):
        for k in ("total_cost_per_order", "on_time_rate", "picker_utilization.east"):
            assert float(got[(variant, k)]["mean"]) == pytest.approx(kpis[i][k], rel=1e-12)
    assert all(len(src) > 100 and src.startswith("data:image/svg+xml;base64,")
               for src in doc.images)
    assert len(doc.images) >= 8


def test_one_replication_says_it_cannot_tell_a_change_from_noise(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "one replication cannot separate a change from noise" in text


def test_user_text_is_escaped_everywhere(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Smith &amp; Sons ü" in html
    assert "more $staff$" in html  # shown as typed


def test_same_inputs_give_the_same_bytes(runs: tuple[Path, Path]) -> None:
    data = from_results_dirs(list(runs))
    a = render_html(data, stamp="fixed")
    b = render_html(from_results_dirs(list(runs)), stamp="fixed")
    assert a == b
    c = render_html(data)
    diff = [(x, y) for x, y in zip(a.splitlines(), c.splitlines(), strict=True) if x != y]
    assert len(diff) == 1 and diff[0][0] == '<p class="sub">fixed</p>'


def test_exports_are_safe_against_formula_injection(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    base = deep_merge(SMALL, {"run": {"horizon_days": 3, "warmup_days": 1}})
    a = write_scenario(folder, base, "a.toml")
    b = write_scenario(folder, deep_merge(base, {"name": '=HYPERLINK("http://x","y")'}),
                       "b.toml")
    for src, out in ((a, "ra"), (b, "rb")):
        assert main(["run", str(src), "--out", str(tmp_path / out), "--quiet"]) == 0
    out = tmp_path / "r.html"
    assert main(["report", str(tmp_path / "ra"), str(tmp_path / "rb"), "--out",
                 str(out)]) == 0
    text = out.with_name("r.kpis.csv").read_text(encoding="utf-8-sig")
    assert '\'=HYPERLINK(""http://x"",""y"")' in text
    assert not re.search(r'(^|,)=HYPERLINK', text, re.M)
    with zipfile.ZipFile(out.with_name("r.kpis.xlsx")) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere
    from openpyxl import load_workbook

    ws = load_workbook(out.with_name("r.kpis.xlsx")).active
    names = {c.value for c in ws["D"]}
    assert '=HYPERLINK("http://x","y")' in names
    assert all(c.data_type == "s" for c in ws["D"])


def test_store_report_shows_the_stores_numbers(tmp_path: Path) -> None:
    _scenarios(tmp_path)
    exp = tmp_path / "exp.toml"
    exp.write_text('name = "e"\nbase = "base.toml"\nreplications = 3\n'
                   'constraints = ["on_time_rate >= 0.5"]\n'
                   '[[variants]]\nname = "more"\nscenario = "more.toml"\n'
                   '[[sweeps]]\nkey = "fcs.west.shifts.day.packers"\nvalues = [2, 4]\n',
                   encoding="utf-8")
    store = tmp_path / "store"
    assert main(["experiment", str(exp), "--store", str(store), "--jobs", "1",
                 "--quiet"]) == 0
    data = from_store(store)
    assert [v.name for v in data.variants][:2] == ["base", "more"] and len(data.variants) == 4
    assert data.replications == 3 and data.sweeps == ["fcs.west.shifts.day.packers"]
    summary = pq.read_table(store / "summary.parquet").to_pandas().set_index(["variant",
                                                                              "kpi"])
    out = tmp_path / "r.html"
    assert main(["report", str(store), "--out", str(out)]) == 0
    frame = pd.read_csv(out.with_name("r.kpis.csv"), encoding="utf-8-sig")
    frame = frame.set_index(["variant", "kpi"])
    for (variant, kpi), row in summary.iterrows():
        assert frame.loc[(variant, kpi), "mean"] == pytest.approx(row["mean"], rel=1e-12)
        assert frame.loc[(variant, kpi), "half_width"] == pytest.approx(row["half_width"],
                                                                        rel=1e-9)
        if variant != "base":
            assert frame.loc[(variant, kpi), "diff"] == pytest.approx(row["diff"], abs=1e-12)
            assert frame.loc[(variant, kpi), "verdict"] == row["verdict"]
    html = out.read_text(encoding="utf-8")
    assert "3 replications of 4 days each" in html
    assert "common random numbers" in html
    doc = _parse(out)
    assert "experiment" in doc.ids  # the sweep and cost-against-service charts
    assert "against fcs.west.shifts.day.packers" in html and "Cost against service" in html
    assert "FC west · day shift · packers: 3 → 4" in html  # the assumptions, readable


def test_bad_sources_and_mixed_horizons(tmp_path: Path, runs: tuple[Path, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "x.txt").write_text("x", encoding="utf-8")
    assert main(["report", str(junk), "--out", str(tmp_path / "r.html")]) == 2
    assert "not a results directory" in capsys.readouterr().err
    assert main(["report", str(junk / "x.txt"), "--out", str(tmp_path / "r.html")]) == 2
    assert main(["report", str(tmp_path / "nope"), "--out", str(tmp_path / "r.html")]) == 2
    # a file of the user's at --out is never replaced
    mine = tmp_path / "mine.html"
    mine.write_text("my notes", encoding="utf-8")
    assert main(["report", str(runs[0]), "--out", str(mine)]) == 2
    assert mine.read_text(encoding="utf-8") == "my notes"
    assert "was not written by fulfill" in capsys.readouterr().err
    # runs over different horizons: warned in the terminal and in the report
    s = tmp_path / "long.toml"
    write_scenario(tmp_path, deep_merge(SMALL, {"run": {"horizon_days": 5,
                                                        "warmup_days": 1}}), "long.toml")
    assert main(["run", str(s), "--out", str(tmp_path / "long"), "--quiet"]) == 0
    out = tmp_path / "mixed.html"
    assert main(["report", str(runs[0]), str(tmp_path / "long"), "--out", str(out)]) == 0
    assert "different horizons" in capsys.readouterr().err
    assert "different horizons" in out.read_text(encoding="utf-8")
    # and a second report to the same path replaces the first (it wrote it)
    assert main(["report", str(runs[0]), "--out", str(out)]) == 0


def test_missing_optional_tables_are_said_not_failed(runs: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    """Results written before inventory was modelled have no stock, receipts, purchase
    orders, transfers or returns tables: the report says so where they would be shown."""
    from sim.results import CORE_TABLES

    old = tmp_path / "old"
    shutil.copytree(runs[0], old)
    mf = old / "manifest.json"
    manifest = json.loads(mf.read_text(encoding="utf-8"))
    gone = [t for t in manifest["rows"] if t not in CORE_TABLES]
    assert {"stock", "returns"} <= set(gone)
    for t in gone:
        (old / f"{t}.parquet").unlink()
    manifest["rows"] = {t: n for t, n in manifest["rows"].items() if t in CORE_TABLES}
    manifest["files"] = [f for f in manifest["files"]
                         if f.removesuffix(".parquet") not in gone and f != "stock_daily.parquet"]
    (old / "stock_daily.parquet").unlink(missing_ok=True)
    mf.write_text(json.dumps(manifest), encoding="utf-8")
    out = tmp_path / "r.html"
    assert main(["report", str(old), "--out", str(out)]) == 0
    assert "no inventory table" in out.read_text(encoding="utf-8")


@requires_browser
def test_the_report_in_a_real_browser(report: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    check = check_in_browser(report, shot)
    assert check.console_errors == []
    assert check.network_requests == [] and check.failed_requests == []
    assert check.images >= 8 and check.broken_images == []
    assert HOSTILE in check.text
    assert "Executive summary" in check.text and "Network map" in check.text
    assert shot.is_file() and not png_is_blank(shot)


@requires_chromium
@requires_poppler
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_pdf_of_the_report(report: Path, tmp_path: Path, paper: str) -> None:
    from reports.pdf import PAPER_SIZES_PT, html_to_pdf

    pdf = tmp_path / f"report-{paper}.pdf"
    html_to_pdf(report, pdf, paper=paper)  # type: ignore[arg-type]
    n = pdf_page_count(pdf)
    assert n >= 5  # a page per section at least
    w, h = PAPER_SIZES_PT[paper]
    assert all(abs(a - w) < 1.0 and abs(b - h) < 1.0 for a, b in pdf_page_sizes_pts(pdf))
    pages = pdf_pages_to_png(pdf, tmp_path / paper, dpi=40)
    assert len(pages) == n and not any(png_is_blank(p) for p in pages)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pages[0], ARTIFACTS / f"report-{paper}-page1.png")


def test_fmt_value_units() -> None:
    assert fmt_value("total_cost_per_order", -4595.83, signed=True) == "−$4,595.83"
    assert fmt_value("on_time_rate", 0.9312) == "93.1 %"
    assert fmt_value("on_time_rate", 0.012, signed=True) == "+1.2 pp"
    assert fmt_interval("total_cost_per_order", Interval(0.2943, 0.0039, 3),
                        signed=True) == "+$0.2943 ± $0.0039"


def test_pdf_path_equal_to_the_html_is_refused(runs: tuple[Path, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "z.html"
    assert main(["report", str(runs[0]), "--out", str(out), "--pdf", str(out)]) == 2
    assert "written twice" in capsys.readouterr().err and not out.exists()
    assert main(["report", str(runs[0]), "--out", str(out)]) == 0
    first = out.read_text(encoding="utf-8").splitlines()[0]
    assert str(tmp_path) not in first and "z.kpis.csv" in first  # no absolute paths


def test_units_of_the_order_error_and_international_kpis() -> None:
    from reports.content import fmt_value, unit_of

    assert fmt_value("intake_cancelled.fraud", 22.0) == "22 orders"
    assert fmt_value("intake_in_review", 78.0) == "78 orders"
    assert fmt_value("international_orders", 1615.0) == "1,615 orders"
    assert fmt_value("duties_paid_per_international_order", 11.8399) == "$11.84"
    assert unit_of("international_return_label_extra") == "$"
    assert unit_of("customs_h_mean") == "h" and unit_of("perfect_order_rate") == "%"
