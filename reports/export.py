"""The KPI comparison as CSV and XLSX, safe to open in a spreadsheet.

Variant, FC, channel and service names are user text: in the CSV every text cell goes through
:func:`sim.csvsafe.csv_safe_cell` (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return
gets a quote, so it is shown, not run); in the XLSX every text cell is written as a string
cell (``data_type = "s"``), which a spreadsheet never evaluates, whatever it starts with.
Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from reports.content import unit_of
from reports.dataset import ReportData
from sim.csvsafe import csv_safe_cell
from sim.experiments.stats import verdict
from sim.kpis import kpi_doc

__all__ = ["comparison_frame", "to_csv_bytes", "to_xlsx_bytes"]

COLUMNS = ("group", "kpi", "unit", "variant", "replications", "mean", "half_width", "diff",
           "diff_half_width", "verdict", "meaning")


def comparison_frame(data: ReportData) -> pd.DataFrame:
    """One row per KPI and variant: mean and 95 % half-width over replications, the paired
    difference against the base with its half-width, and the verdict."""
    from reports.content import kpi_rows

    rows = []
    for row in kpi_rows(data):
        k = row.kpi
        for i, v in enumerate(data.variants):
            iv = v.interval(k)
            d = data.paired(k, v) if i else None
            rows.append({
                "group": row.group, "kpi": k, "unit": unit_of(k), "variant": v.name,
                "replications": iv.n, "mean": iv.mean, "half_width": iv.half_width,
                "diff": d.mean if d else math.nan,
                "diff_half_width": d.half_width if d else math.nan,
                "verdict": (verdict(k, d) if d and d.n else "") if i else "base",
                "meaning": kpi_doc(k)})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _cell(v: object) -> object:
    if isinstance(v, str):
        return csv_safe_cell(v)
    if isinstance(v, float) and math.isnan(v):
        return ""
    return v


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a byte-order mark, so spreadsheets read the names right)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_safe_cell(str(c)) for c in df.columns])
    for rec in df.itertuples(index=False):
        w.writerow([_cell(x) for x in rec])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "KPI comparison") -> bytes:
    """An XLSX workbook with one sheet; text cells are strings, never formulas.  The file's
    timestamps are fixed, so the same table gives the same bytes."""
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    fixed = dt.datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "fulfill"
    for j, name in enumerate(df.columns, start=1):
        c = ws.cell(row=1, column=j)
        c.value = str(name)
        c.data_type = "s"
    for i, rec in enumerate(df.itertuples(index=False), start=2):
        for j, x in enumerate(rec, start=1):
            c = ws.cell(row=i, column=j)
            if isinstance(x, str):
                c.value = x
                c.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(x, float) and math.isnan(x):
                c.value = None
            else:
                c.value = x
    widths = {"group": 10, "kpi": 34, "unit": 7, "variant": 24, "verdict": 26, "meaning": 60}
    for j, name in enumerate(df.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(str(name), 13)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip_times(buf.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The XLSX (a ZIP) with every member's timestamp set to 1980-01-01 and the document's
    created and modified times fixed, so the bytes depend only on the content."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>2000-01-01T00:00:00Z", body)
            dst.writestr(fixed, body)
    return out.getvalue()


def write_exports(data: ReportData, stem: Path) -> list[Path]:
    """``<stem>.kpis.csv`` and ``<stem>.kpis.xlsx`` (written atomically); their paths."""
    from sim.files import atomic_write_bytes

    df = comparison_frame(data)
    csv_path = stem.with_name(stem.name + ".kpis.csv")
    xlsx_path = stem.with_name(stem.name + ".kpis.xlsx")
    atomic_write_bytes(csv_path, to_csv_bytes(df))
    atomic_write_bytes(xlsx_path, to_xlsx_bytes(df))
    return [csv_path, xlsx_path]
