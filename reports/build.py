"""Writing a report: the HTML file, its CSV and XLSX exports beside it, and the PDF.

Nothing is written over a file this tool did not write (:func:`reports.html.check_outputs`,
checked before any work), and each file is written atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from reports.dataset import ReportData
from reports.export import write_exports
from reports.html import check_outputs, render_html
from sim.files import atomic_write_text

__all__ = ["planned_outputs", "write_report"]


def planned_outputs(out: Path, pdf: Path | None, exports: bool = True) -> list[Path]:
    """The files a report to ``out`` writes besides ``out`` itself."""
    stem = out.with_suffix("")
    files = [stem.with_name(stem.name + ".kpis.csv"),
             stem.with_name(stem.name + ".kpis.xlsx")] if exports else []
    return files + ([pdf] if pdf is not None else [])


def write_report(data: ReportData, out: Path, *, pdf: Path | None = None, paper: str = "letter",
                 exports: bool = True, stamp: str | None = None,
                 say: Callable[[str], None] = lambda s: None) -> dict[str, object]:
    """Write the report (and exports, and the PDF if asked); return the paths and timings."""
    out = Path(out)
    companions = planned_outputs(out, pdf, exports)
    check_outputs(out, companions)
    t0 = time.perf_counter()
    from reports.html import _companion_name

    html = render_html(data, paper=paper, export_name=out.with_suffix("").name,
                       companions=[_companion_name(out, c) for c in companions], stamp=stamp)
    atomic_write_text(out, html)
    written: list[Path] = [out]
    if exports:
        written += write_exports(data, out.with_suffix(""))
    t1 = time.perf_counter()
    say(f"report written in {t1 - t0:.1f} s")
    timings = {"html_s": t1 - t0}
    if pdf is not None:
        from reports.pdf import html_to_pdf

        html_to_pdf(out, pdf, paper="a4" if paper.lower() == "a4" else "letter")
        written.append(pdf)
        timings["pdf_s"] = time.perf_counter() - t1
    return {"files": written, "timings": timings}
