"""The PDF printer (reports.pdf) and the real-browser test helpers (tests.browser), on a small
page built like a report: a heading, a chart as a data: SVG image, a 60-row table and page
breaks."""

from __future__ import annotations

import base64
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reports.pdf import PAPER_SIZES_PT, PdfError, find_chromium, html_to_pdf
from reports.style import chart, fig_to_svg
from tests.browser import (
    check_in_browser,
    pdf_page_count,
    pdf_page_size_pts,
    pdf_page_sizes_pts,
    pdf_page_text,
    pdf_pages_to_png,
    png_is_blank,
    requires_browser,
    requires_chromium,
    requires_poppler,
)

ROWS = 60

CSS = """
@page { size: letter; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #222; }
h1 { color: #1f5fa8; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 3px 6px; vertical-align: top; }
th { background: #e8eef7; }
tr { break-inside: avoid; }
section { break-before: page; }
img.chart { width: 100%; max-width: 640px; }
"""


def chart_data_uri() -> str:
    with chart(6, 2.6) as (fig, ax):
        x = np.arange(10)
        ax.plot(x, x ** 1.5, label="cost")
        ax.bar(x, np.sqrt(x) * 3, alpha=0.4, label="orders")
        ax.set_title("Cost per order")
        ax.legend()
        svg = fig_to_svg(fig, title="Cost per order")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def row_markers(i: int) -> tuple[str, str, str]:
    return f"R{i:03d}-A", f"R{i:03d}-B", f"R{i:03d}-C"


def report_html(*, keep_rows: bool = True, head_extra: str = "", body_extra: str = "") -> str:
    """A page shaped like a consultant report.  Each table row is three lines high (markers
    ``Rnnn-A``/``-B``/``-C``), so a row split by a page break shows in ``pdftotext``."""
    css = CSS if keep_rows else CSS.replace("tr { break-inside: avoid; }", "")
    rows = "\n".join(
        f"<tr><td>{a}</td><td>{a.replace('-A', '')} east<br>{b}<br>{c}</td>"
        f"<td>{i * 3.5:.2f}</td></tr>"
        for i in range(1, ROWS + 1) for a, b, c in [row_markers(i)])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fixture report</title>
<style>{css}</style>{head_extra}</head>
<body>
<h1>Fulfillment network review</h1>
<p>Summary paragraph: the two-FC network ships 41% of orders in one day.</p>
<img class="chart" alt="Cost per order" src="{chart_data_uri()}">
<section><h2>Orders by destination</h2>
<table><thead><tr><th>Row</th><th>Detail</th><th>Cost</th></tr></thead>
<tbody>
{rows}
</tbody></table></section>
<section><h2>Method</h2><p>Fourteen paired replications; warm-up of two days.</p></section>
{body_extra}
</body></html>
"""


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(report_html(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pdfs(report_file: Path) -> dict[str, Path]:
    """The fixture report printed on letter and on A4 (only when a test asks for it)."""
    out = {}
    for paper in ("letter", "a4"):
        pdf = report_file.with_name(f"report-{paper}.pdf")
        html_to_pdf(report_file, pdf, paper=paper)
        out[paper] = pdf
    return out


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    seen: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


# ---- helpers that need no browser ---------------------------------------------------------

def test_png_is_blank(tmp_path: Path) -> None:
    white = np.full((300, 200, 3), 255, dtype=np.uint8)
    Image.fromarray(white).save(tmp_path / "white.png")
    assert png_is_blank(tmp_path / "white.png")
    inked = white.copy()
    inked[100:110, 20:120] = 0  # one short line of "text": 1000 of 60000 pixels
    Image.fromarray(inked).save(tmp_path / "inked.png")
    assert not png_is_blank(tmp_path / "inked.png")
    speck = white.copy()
    speck[5, 5] = 0  # a single stray pixel is still a blank page
    Image.fromarray(speck).save(tmp_path / "speck.png")
    assert png_is_blank(tmp_path / "speck.png")


def test_find_chromium_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FULFILL_CHROMIUM", "/opt/my/chrome")
    assert find_chromium() == "/opt/my/chrome"
    monkeypatch.delenv("FULFILL_CHROMIUM")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_chromium() is None


def test_missing_chromium_is_a_readable_error(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    html = tmp_path / "r.html"
    html.write_text("<html><body>x</body></html>")
    monkeypatch.setenv("FULFILL_CHROMIUM", "/nonexistent")
    with pytest.raises(PdfError, match="apt-get install chromium") as err:
        html_to_pdf(html, tmp_path / "r.pdf")
    assert "FULFILL_CHROMIUM" in str(err.value)
    monkeypatch.delenv("FULFILL_CHROMIUM")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PdfError, match="apt-get install chromium"):
        html_to_pdf(html, tmp_path / "r.pdf")
    assert list(tmp_path.iterdir()) == [html]


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="paper"):
        html_to_pdf(tmp_path / "r.html", tmp_path / "r.pdf", paper="legal")  # type: ignore[arg-type]
    with pytest.raises(PdfError, match="No HTML file"):
        html_to_pdf(tmp_path / "missing.html", tmp_path / "r.pdf")


# ---- the page in a real browser ------------------------------------------------------------

@requires_browser
def test_report_page_loads_clean_in_browser(report_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    check = check_in_browser(report_file, shot)
    assert check.console_errors == []
    assert check.failed_requests == []
    assert check.network_requests == []
    assert check.images == 1
    assert check.broken_images == []
    assert check.title == "Fixture report"
    assert "Fulfillment network review" in check.text
    assert "R060-C" in check.text
    assert shot.is_file()
    with Image.open(shot) as im:
        assert im.width == 1200
        assert im.height == check.page_height_px > 2000  # full page, not just the viewport
    assert not png_is_blank(shot)


@requires_browser
def test_browser_check_sees_broken_pages(tmp_path: Path, local_server: tuple[str, list[str]]
                                         ) -> None:
    """The blocker works, and the check fails a page that reaches out or has a broken image:
    remote image, remote script, remote stylesheet (even on this machine's loopback), a
    broken data: image and a script error."""
    base, seen = local_server
    head = (f'<link rel="stylesheet" href="{base}/style.css">'
            '<script src="http://example.invalid/app.js"></script>')
    body = ('<img src="https://example.invalid/x.png">'
            f'<img src="{base}/y.png">'
            '<img src="data:image/png;base64,AAAA">'
            '<script>undefinedFunction();</script>')
    page = tmp_path / "bad.html"
    page.write_text(report_html(head_extra=head, body_extra=body), encoding="utf-8")
    check = check_in_browser(page)
    assert sorted(check.network_requests) == sorted([
        "http://example.invalid/app.js", "https://example.invalid/x.png", f"{base}/y.png",
        f"{base}/style.css"])
    assert seen == []  # blocked before leaving the browser
    assert len(check.failed_requests) >= 4
    assert check.images == 4
    assert len(check.broken_images) == 3
    assert any("undefinedFunction" in e for e in check.console_errors)


# ---- PDF -----------------------------------------------------------------------------------

@requires_chromium
@requires_poppler
def test_pdf_letter(pdfs: dict[str, Path], tmp_path: Path) -> None:
    pdf = pdfs["letter"]
    assert pdf.read_bytes().startswith(b"%PDF-")
    w, h = pdf_page_size_pts(pdf)
    assert (w, h) == pytest.approx(PAPER_SIZES_PT["letter"], abs=1.0)
    n = pdf_page_count(pdf)
    assert n >= 3  # the intro, the table (two pages or more) and the method section
    assert all(s == pytest.approx(PAPER_SIZES_PT["letter"], abs=1.0)
               for s in pdf_page_sizes_pts(pdf))
    pngs = pdf_pages_to_png(pdf, tmp_path / "letter")
    assert len(pngs) == n
    assert [png_is_blank(p) for p in pngs] == [False] * n
    # section { break-before: page }: each section starts a page
    assert "Orders by destination" in pdf_page_text(pdf, 2)
    assert "Method" in pdf_page_text(pdf, n)
    assert not list(pdf.parent.glob(".*.part"))


@requires_chromium
@requires_poppler
def test_pdf_a4_overrides_the_report_page_size(pdfs: dict[str, Path], tmp_path: Path) -> None:
    pdf = pdfs["a4"]  # the report's CSS says letter
    assert pdf_page_count(pdf) >= 3
    assert all(s == pytest.approx(PAPER_SIZES_PT["a4"], abs=1.0)
               for s in pdf_page_sizes_pts(pdf))
    assert not any(png_is_blank(p) for p in pdf_pages_to_png(pdf, tmp_path / "a4"))


@requires_chromium
@requires_poppler
def test_pdf_keeps_each_table_row_on_one_page(pdfs: dict[str, Path]) -> None:
    for pdf in pdfs.values():
        assert _split_rows(pdf) == []


@requires_chromium
def test_pdf_printing_makes_no_network_request(tmp_path: Path,
                                               local_server: tuple[str, list[str]]) -> None:
    base, seen = local_server
    port = base.rsplit(":", 1)[1]
    page = tmp_path / "net.html"
    page.write_text(f'<html><head><link rel="stylesheet" href="{base}/a.css"></head><body>'
                    f'<img src="{base}/b.png"><img src="http://localhost:{port}/c.png">'
                    "hello</body></html>")
    html_to_pdf(page, tmp_path / "net.pdf")
    assert (tmp_path / "net.pdf").read_bytes().startswith(b"%PDF-")
    assert seen == []


@requires_chromium
def test_pdf_replaces_atomically_and_cleans_up(tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    html.write_text("<html><head><title>t</title></head><body><p>one</p></body></html>")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"old")
    html_to_pdf(html, pdf, paper="a4")
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf"]


# ---- slow ----------------------------------------------------------------------------------

def _split_rows(pdf: Path) -> list[int]:
    """Rows whose three lines are not all on one page."""
    page_of: dict[str, set[int]] = {}
    for page in range(1, pdf_page_count(pdf) + 1):
        for marker in re.findall(r"R\d{3}-[ABC]", pdf_page_text(pdf, page)):
            page_of.setdefault(marker, set()).add(page)
    split = []
    for i in range(1, ROWS + 1):
        pages = set().union(*(page_of.get(m, set()) for m in row_markers(i)))
        assert pages, f"row {i} is missing from the PDF"
        if len(pages) > 1:
            split.append(i)
    return split


@pytest.mark.slow
@requires_chromium
@requires_poppler
def test_row_split_check_can_fail(tmp_path: Path) -> None:
    """Without ``tr { break-inside: avoid }`` Chromium splits rows across pages, and
    :func:`_split_rows` sees it: the check above is not vacuous."""
    html = tmp_path / "loose.html"
    html.write_text(report_html(keep_rows=False), encoding="utf-8")
    found = []
    for paper in ("letter", "a4"):
        pdf = tmp_path / f"loose-{paper}.pdf"
        html_to_pdf(html, pdf, paper=paper)
        found += _split_rows(pdf)
    assert found


@pytest.mark.slow
@requires_chromium
def test_pdf_timeout_kills_chromium_and_keeps_the_old_file(tmp_path: Path) -> None:
    html = tmp_path / "hang.html"
    html.write_text("<html><body><p>x</p><script>for (;;) {}</script></body></html>")
    pdf = tmp_path / "hang.pdf"
    pdf.write_bytes(b"old")
    with pytest.raises(PdfError, match="did not finish"):
        html_to_pdf(html, pdf, timeout_s=3)
    assert pdf.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hang.html", "hang.pdf"]
