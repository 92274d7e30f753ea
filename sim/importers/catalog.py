"""The catalog of a replay scenario: the base scenario's SKUs plus the file's new ones.

Rule for a SKU's sizes, name, category and price: a ``--catalog`` products file (columns
``sku, weight_lb, length_in, width_in, height_in``, optional ``name, category, unit_price``)
wins, then the base catalog; a SKU known to neither gets the defaults
:data:`DEFAULT_WEIGHT_LB` (1.0 lb), :data:`DEFAULT_DIMS_IN` (10 x 8 x 4 in), category
``imported`` and a unit price equal to the median line price of that SKU in the order file
(0 when the file has no price column).  Popularity: base SKUs keep theirs; every other SKU
gets its share of the units in the file.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.csvsafe import csv_safe_cell
from sim.importers.rules import OrdersImportError, fail
from sim.scenario import Scenario

__all__ = [
    "DEFAULTS_RULE",
    "DEFAULT_CATEGORY",
    "DEFAULT_DIMS_IN",
    "DEFAULT_WEIGHT_LB",
    "build_catalog",
    "read_products",
]

DEFAULT_WEIGHT_LB = 1.0
DEFAULT_DIMS_IN = (10.0, 8.0, 4.0)
DEFAULT_CATEGORY = "imported"
DEFAULTS_RULE = ("1.0 lb, 10 x 8 x 4 in, category 'imported', unit price the median line "
                 "price of the SKU in the file, else 0")
SIZE_COLUMNS = ("weight_lb", "length_in", "width_in", "height_in")
COLUMNS = ("sku", "name", "category", *SIZE_COLUMNS, "unit_price", "popularity")
MAX_SIZE = {"weight_lb": 10_000.0, "length_in": 1_000.0, "width_in": 1_000.0,
            "height_in": 1_000.0, "unit_price": 1e9}


def read_products(path: Path) -> pd.DataFrame:
    """A products file, indexed by SKU: sizes (pounds, inches) and ``name``, ``category``,
    ``unit_price`` (NaN / "" where not given)."""
    path = Path(path)
    if not path.is_file():
        raise OrdersImportError(f"{path} (--catalog): no such file.")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError) as exc:
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise OrdersImportError(f"{path} (--catalog): not a readable CSV file: {msg}.") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ("sku", *SIZE_COLUMNS) if c not in df.columns]
    if missing:
        raise OrdersImportError(f"{path} (--catalog): missing column(s) {', '.join(missing)}; "
                                "expected sku, weight_lb, length_in, width_in, height_in and "
                                "optionally name, category, unit_price.")
    out = pd.DataFrame({"sku": df["sku"].str.strip()})
    blank = (out["sku"] == "").to_numpy(bool)
    if blank.any():
        raise fail(path, "sku", np.flatnonzero(blank) + 2, "a SKU")
    dup = out["sku"].duplicated(keep=False).to_numpy(bool)
    if dup.any():
        raise fail(path, "sku", np.flatnonzero(dup) + 2, "each SKU once")
    for c in (*SIZE_COLUMNS, "unit_price"):
        if c not in df.columns:
            out[c] = np.nan
            continue
        v = pd.to_numeric(df[c].str.strip(), errors="coerce").to_numpy(float)
        bad = ~np.isfinite(v) | (v > MAX_SIZE[c]) | ((v <= 0) if c != "unit_price" else (v < 0))
        if bad.any():
            what = "a non-negative price" if c == "unit_price" else "a positive number"
            raise fail(path, c, np.flatnonzero(bad) + 2, f"{what} up to {MAX_SIZE[c]:,g}")
        out[c] = v
    for c in ("name", "category"):
        out[c] = df[c].str.strip() if c in df.columns else ""
    return out.set_index("sku")


def _base_names(sc: Scenario) -> dict[str, str]:
    """SKU -> name from the base catalog file's ``name`` column (none if it has none)."""
    try:
        raw = pd.read_csv(Path(sc.catalog.file), dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError):
        return {}
    raw.columns = [str(c).strip() for c in raw.columns]
    sku_col = sc.catalog.column("sku")
    if "name" not in raw.columns or sku_col not in raw.columns:
        return {}
    return dict(zip(raw[sku_col].str.strip(), raw["name"].str.strip(), strict=True))


def build_catalog(sc: Scenario, units: pd.Series, price: pd.Series, names: pd.Series,
                  products: pd.DataFrame | None) -> tuple[str, list[str]]:
    """The catalog CSV text and the SKUs that got default sizes.

    ``units``, ``price`` (median line price, NaN where unknown) and ``names`` are indexed by
    the file's SKUs (kept lines only); ``products`` is :func:`read_products` or None.
    """
    t = sc.tables
    base = pd.DataFrame({
        "sku": list(t.sku_ids), "weight_lb": t.sku_weight_lb,
        "length_in": t.sku_dims_in[:, 0], "width_in": t.sku_dims_in[:, 1],
        "height_in": t.sku_dims_in[:, 2], "unit_price": t.sku_unit_price,
        "popularity": t.sku_popularity,
        "category": list(t.sku_category) if t.sku_category else [""] * len(t.sku_ids)})
    base_names = _base_names(sc)
    base["name"] = [base_names.get(s, "") for s in t.sku_ids]
    if t.sku_supplier and any(t.sku_supplier):
        base["supplier"] = list(t.sku_supplier)
    known = set(t.sku_ids)
    new_ids = [s for s in units.index if s not in known]
    share = units / max(float(units.sum()), 1.0)
    new = pd.DataFrame({
        "sku": new_ids, "weight_lb": DEFAULT_WEIGHT_LB, "length_in": DEFAULT_DIMS_IN[0],
        "width_in": DEFAULT_DIMS_IN[1], "height_in": DEFAULT_DIMS_IN[2],
        "unit_price": price.reindex(new_ids).fillna(0.0).to_numpy(float),
        "popularity": share.reindex(new_ids).to_numpy(float),
        "category": DEFAULT_CATEGORY,
        "name": names.reindex(new_ids).fillna("").to_numpy(object)})
    if "supplier" in base:
        new["supplier"] = ""
    cat = pd.concat([base, new], ignore_index=True)
    given = np.zeros(len(cat), bool)
    if products is not None:
        hit = cat["sku"].isin(products.index).to_numpy(bool)
        given = hit
        p = products.reindex(cat["sku"][hit])
        for c in SIZE_COLUMNS:
            cat.loc[hit, c] = p[c].to_numpy(float)
        for c in ("unit_price",):
            v = p[c].to_numpy(float)
            cat.loc[hit, c] = np.where(np.isnan(v), cat.loc[hit, c].to_numpy(float), v)
        for c in ("name", "category"):
            v = p[c].to_numpy(object)
            cat.loc[hit, c] = np.where(v != "", v, cat.loc[hit, c].to_numpy(object))
        cat.loc[hit & (cat["category"] == "").to_numpy(bool), "category"] = DEFAULT_CATEGORY
    defaulted = [s for s, g in zip(cat["sku"][len(base):], given[len(base):], strict=True)
                 if not g]
    for c in ("name", "category"):
        cat[c] = [csv_safe_cell(str(v)) for v in cat[c]]
    cols = [*COLUMNS, *(["supplier"] if "supplier" in cat else [])]
    buf = io.StringIO()
    cat[cols].to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue(), defaulted
