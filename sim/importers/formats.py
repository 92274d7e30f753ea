"""Reading order exports: Shopify, WooCommerce (both layouts), a generic CSV; CSV or Excel.

Columns are found by their header names (case and surrounding spaces ignored), never by
position, and only the columns the import needs are read: names, e-mails, addresses and
phone numbers never enter memory.  Each layout is turned into the same two tables
(:class:`RawOrders`): one row per order with its order-level fields, one row per line item.

- **Shopify** orders export: ``Name`` (order id), ``Created at``, ``Lineitem quantity``,
  ``Lineitem sku`` (``Lineitem name`` where the SKU is blank) and ``Shipping Zip`` are
  required; ``Cancelled at``, ``Lineitem price``, ``Lineitem requires shipping``, ``Shipping
  Country``, ``Shipping Province`` and ``Source`` (the channel) are used when present.  An
  order of several items spans several rows; the later rows leave the order's fields blank,
  so each order-level field is the first non-blank value among the order's rows.
- **WooCommerce** Customer/Order CSV Export: the *one row per item* layout (``item_sku``,
  ``item_name``, ``item_quantity``, ``item_price``) and the *default* layout, one row per
  order with the items packed into ``line_items`` (JSON, or ``key:value`` pairs separated by
  ``|`` with items separated by ``;``) or spread over ``Item #1``, ``Item #2`` ... (or
  ``line_item_1`` ...) columns in the ``key:value`` form.  Order fields: ``order_id``,
  ``date``, ``status``, ``shipping_postcode``, ``shipping_country``, ``shipping_state``.
- **Generic CSV**: headers named after the fields (``order_id, created_at, sku, quantity,
  zip, country, channel, status, requires_shipping, price``), or any headers mapped to them
  with ``mapping`` (``--map "Order Number=order_id"``).  ``order_id``, ``created_at``,
  ``sku`` and ``zip`` are required; without ``quantity`` each row is one unit.
- **Olist** (the public Brazilian marketplace dataset, original Kaggle column names): FILE is
  its ``orders.csv`` (or the folder holding it); ``order_items.csv`` (one row per unit:
  ``product_id`` the SKU, ``price``, ``freight_value``) and ``customers.csv``
  (``customer_zip_code_prefix``) are read from the same folder.  Olist's postcode prefixes
  are Brazilian: they are read as US ZIPs, a stand-in spread of destinations (a warning says
  so).

Actual outcomes, read when present (for the validation against history,
:mod:`sim.history`): ``shipped_at`` (Shopify ``Fulfilled at``, Olist
``order_delivered_carrier_date``), ``delivered_at`` (Olist ``order_delivered_customer_date``),
``shipping_charged`` (per order: Shopify ``Shipping``, WooCommerce ``shipping_total``) and
``freight`` (per line, summed over the order: Olist ``freight_value``).

A mapping works with every format: it names the column to use for a field.  ``.xlsx`` files
(the first sheet) are read like CSV files.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from sim.importers.rules import OrdersImportError, fail, rows_text

__all__ = ["FIELDS", "FORMATS", "RawOrders", "read_orders"]

Format = Literal["shopify", "woocommerce", "csv", "olist"]
FORMATS: tuple[str, ...] = ("shopify", "woocommerce", "csv", "olist")
FIELDS = ("order_id", "created_at", "sku", "quantity", "zip", "country", "channel", "status",
          "requires_shipping", "price", "shipped_at", "delivered_at", "shipping_charged",
          "freight")
"""Fields a ``--map COLUMN=FIELD`` may name."""
OUTCOME_FIELDS = ("shipped_at", "delivered_at", "shipping_charged")
ORDER_FIELDS = ("created_at", "cancelled_at", "status", "zip", "country", "province",
                "channel", *OUTCOME_FIELDS)
LINE_FIELDS = ("sku", "item_name", "quantity", "requires_shipping", "price", "freight")

SHOPIFY = {"order_id": ("Name",), "created_at": ("Created at",),
           "cancelled_at": ("Cancelled at",), "quantity": ("Lineitem quantity",),
           "sku": ("Lineitem sku",), "item_name": ("Lineitem name",),
           "price": ("Lineitem price",), "requires_shipping": ("Lineitem requires shipping",),
           "zip": ("Shipping Zip",), "country": ("Shipping Country",),
           "province": ("Shipping Province", "Shipping Province Name"),
           "channel": ("Source",), "shipped_at": ("Fulfilled at",),
           "shipping_charged": ("Shipping",)}
"""Field -> the Shopify header names for it (the first found is used)."""
WOO_ORDER = {"order_id": ("order_id", "order_number"), "created_at": ("date", "order_date"),
             "status": ("status", "order_status"), "zip": ("shipping_postcode",),
             "country": ("shipping_country",), "province": ("shipping_state",),
             "shipping_charged": ("shipping_total",)}
WOO_ITEM = {"sku": ("item_sku",), "item_name": ("item_name",),
            "quantity": ("item_quantity",), "price": ("item_price",)}
GENERIC = {f: (f,) for f in FIELDS}
OLIST_ORDERS = {"order_id": "order_id", "customer_id": "customer_id",
                "status": "order_status", "created_at": "order_purchase_timestamp",
                "shipped_at": "order_delivered_carrier_date",
                "delivered_at": "order_delivered_customer_date"}
OLIST_ITEMS = {"order_id": "order_id", "sku": "product_id", "price": "price",
               "freight": "freight_value"}
OLIST_CUSTOMERS = {"customer_id": "customer_id", "zip": "customer_zip_code_prefix"}
ITEM_COLUMN = re.compile(r"^(?:item\s*#\s*\d+|line_item_\d+)$")


class RawOrders(NamedTuple):
    """What a file says, before the rules.

    ``lines``: one row per line item, columns ``order`` (index into ``orders``), ``row`` (the
    file row, header = 1), ``sku`` (the item's name where its SKU is blank), ``quantity``,
    ``requires_shipping``, ``price``, ``name`` (the product's name) and ``freight`` (text, ""
    when the file has no such column).  ``orders``: one row per order in file order,
    columns ``order_id``, ``row`` (its first row), ``created_at``, ``cancelled_at``,
    ``status``, ``zip``, ``country``, ``province``, ``channel``, ``shipped_at``,
    ``delivered_at``, ``shipping_charged`` (text, "" when absent).
    ``columns``: the file's column name of each field found; ``rows_read``: data rows.
    """

    lines: pd.DataFrame
    orders: pd.DataFrame
    rows_read: int
    columns: dict[str, str]


def _csv_header(path: Path) -> tuple[list[str], str, str]:
    """The header row as written, the delimiter (comma, semicolon or tab) and the
    encoding."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            with path.open(encoding=encoding, newline="") as fh:
                first = fh.readline(1_000_000)
        except UnicodeDecodeError:
            continue
        except OSError as exc:
            raise OrdersImportError(f"{path}: cannot be read: {exc.strerror or exc}.") from None
        if not first.strip():
            raise OrdersImportError(f"{path}: the file is empty (expected a header row).")
        sep = max((",", ";", "\t"), key=first.count)
        header = next(csv.reader([first], delimiter=sep), [])
        return header, sep, "utf-8" if encoding == "utf-8-sig" else encoding
    raise OrdersImportError(f"{path}: not a text file (neither UTF-8 nor Windows-1252).")


def _is_excel(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def _header(path: Path) -> list[str]:
    if not path.is_file():
        raise OrdersImportError(f"{path}: no such file.")
    if _is_excel(path):
        try:
            cols = pd.read_excel(path, sheet_name=0, nrows=0).columns
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise OrdersImportError(f"{path}: not a readable Excel workbook "
                                    f"({type(exc).__name__}).") from None
        return [str(c).strip() for c in cols]
    return [h.strip() for h in _csv_header(path)[0]]


def _read(path: Path, cols: Mapping[str, str], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The file's columns of the fields ``cols`` (field -> column), named by field, and the
    ``extra`` columns under their own names; stripped text, "" for blanks.  No other column
    is read."""
    columns = list(dict.fromkeys([*cols.values(), *extra]))
    if _is_excel(path):
        wanted = set(columns)
        try:
            df = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False,
                               usecols=lambda c: str(c).strip() in wanted)
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise OrdersImportError(f"{path}: not a readable Excel workbook "
                                    f"({type(exc).__name__}).") from None
        df.columns = [str(c).strip() for c in df.columns]
    else:
        header, sep, encoding = _csv_header(path)
        raw = [h for h in header if h.strip() in set(columns)]
        kw = {"sep": sep, "dtype": str, "keep_default_na": False, "usecols": raw}
        try:
            df = pd.read_csv(path, engine="pyarrow", encoding=encoding, **kw)
        except Exception:  # the C parser below says where the problem is
            try:
                df = pd.read_csv(path, engine="c", encoding=encoding, encoding_errors="replace",
                                 **kw)
            except (pd.errors.ParserError, ValueError, OSError) as exc:
                msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
                msg = msg.replace("Error tokenizing data. C error: ", "")
                raise OrdersImportError(f"{path}: not a readable CSV file: {msg}.") from None
        df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise OrdersImportError(f"{path}: no orders (a header row and nothing else).")
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for name, c in [*cols.items(), *((e, e) for e in extra)]:
        out[name] = df[c].fillna("").astype("str").str.strip()
    return out


def _resolve(path: Path, header: list[str], layout: Mapping[str, tuple[str, ...]],
             mapping: Mapping[str, str]) -> dict[str, str]:
    """Field -> the file's column: the mapping first, then the layout's header names."""
    by_lower: dict[str, str] = {}
    for h in header:
        by_lower.setdefault(h.lower(), h)
    out: dict[str, str] = {}
    for column, field in mapping.items():
        f = str(field).strip().lower()
        if f not in FIELDS:
            raise OrdersImportError(f"--map {column}={field}: unknown field '{field}'; fields "
                                    f"are {', '.join(FIELDS)}.")
        actual = by_lower.get(str(column).strip().lower())
        if actual is None:
            raise OrdersImportError(f"{path}: --map {column}={field}: the file has no column "
                                    f"'{column}'.")
        if f in out:
            raise OrdersImportError(f"--map: field '{f}' is mapped twice ('{out[f]}' and "
                                    f"'{column}').")
        out[f] = actual
    for field, names in layout.items():
        if field not in out:
            found = next((by_lower[n.lower()] for n in names if n.lower() in by_lower), None)
            if found is not None:
                out[field] = found
    return out


def _require(path: Path, cols: dict[str, str], layout: Mapping[str, tuple[str, ...]],
             required: tuple[str, ...], what: str) -> None:
    missing = [layout[f][0] if f in layout else f for f in required if f not in cols]
    if "sku" in required and "sku" not in cols and "item_name" in cols:
        missing.remove(layout["sku"][0] if "sku" in layout else "sku")
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        raise OrdersImportError(f"{path}: not a {what}: missing column(s) {names} (header "
                                "names are matched ignoring case; --map COLUMN=FIELD names "
                                "another column for a field).")


def _blank_frame(df: pd.DataFrame, fields: tuple[str, ...]) -> pd.DataFrame:
    for f in fields:
        if f not in df:
            df[f] = ""
    return df


def _line_level(path: Path, df: pd.DataFrame, cols: dict[str, str],
                contiguous: bool) -> RawOrders:
    """Orders and lines of a layout with one row per line item."""
    df = _blank_frame(df, (*ORDER_FIELDS, *LINE_FIELDS))
    oid = df["order_id"]
    blank = (oid == "").to_numpy(bool)
    if blank.any():
        raise fail(path, cols["order_id"], np.flatnonzero(blank) + 2, "an order id")
    codes, uniq = pd.factorize(oid)
    codes = codes.astype(np.int64)
    first = np.unique(codes, return_index=True)[1]
    sub = df[list(ORDER_FIELDS)]
    per_order = sub.mask(sub == "").groupby(codes, sort=True).first().fillna("")
    orders = pd.DataFrame({"order_id": pd.Series(np.asarray(uniq, object), dtype="str"),
                           "row": first.astype(np.int64) + 2})
    for f in ORDER_FIELDS:
        orders[f] = per_order[f].to_numpy(object) if len(per_order) else ""
        orders[f] = orders[f].astype("str")
    created = df["created_at"].to_numpy(object)
    differs = (created != "") & (created != orders["created_at"].to_numpy(object)[codes])
    reason = f"different '{cols['created_at']}'"
    if contiguous:  # an order's rows follow each other; a second group is another order
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        groups = np.bincount(codes[starts], minlength=len(orders))
        if (groups > 1).any() and not differs.any():
            reason = "rows apart from each other"
        differs |= groups[codes] > 1
    if differs.any():
        bad = np.isin(codes, np.unique(codes[differs]))
        raise OrdersImportError(
            f"{path}, column '{cols['order_id']}', {rows_text(np.flatnonzero(bad) + 2)}: "
            f"expected each order id once, found one used by more than one order ({reason}); "
            "give each order its own id, or remove the repeated rows.")
    sku = df["sku"].where(df["sku"] != "", df["item_name"])
    lines = pd.DataFrame({"order": codes, "row": np.arange(len(df), dtype=np.int64) + 2,
                          "sku": sku, "quantity": df["quantity"] if "quantity" in cols else "1",
                          "requires_shipping": df["requires_shipping"],
                          "price": df["price"], "name": df["item_name"],
                          "freight": df["freight"]})
    return RawOrders(lines, orders, len(df), cols)


def _pipe_items(texts: pd.Series) -> pd.DataFrame:
    """Items in the ``key:value|key:value`` form, several separated by ``;``."""
    items = texts.str.split(";").explode()
    items = items[items.str.strip() != ""]

    def key(pattern: str) -> pd.Series:
        return items.str.extract(r"(?:^|\|)\s*(?:" + pattern + r")\s*:([^|]*)", expand=False
                                 ).fillna("").str.strip()

    qty, total, price = key("quantity|qty"), key("total"), key("price|item_price")
    unit = pd.to_numeric(total, errors="coerce") / pd.to_numeric(qty, errors="coerce")
    price = price.where(price != "", unit.map(lambda v: "" if pd.isna(v) else f"{v:.6g}"))
    return pd.DataFrame({"order": items.index.to_numpy(np.int64), "sku": key("sku"),
                         "item_name": key("name"), "quantity": qty, "price": price})


def _json_items(path: Path, texts: pd.Series, column: str) -> pd.DataFrame:
    rows: list[tuple[int, str, str, str, str]] = []
    for i, text in zip(texts.index.to_numpy(np.int64), texts.to_numpy(object), strict=True):
        try:
            data = json.loads(text)
        except ValueError:
            raise fail(path, column, np.array([i + 2]),
                       "line items as JSON or as key:value pairs") from None
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item, dict):
                continue
            get = {str(k).lower(): "" if v is None else str(v).strip() for k, v in item.items()}
            price = get.get("price", "")
            if not price:
                try:
                    price = f"{float(get.get('total', '')) / float(get.get('quantity', '')):.6g}"
                except (ValueError, ZeroDivisionError):
                    price = ""
            rows.append((int(i), get.get("sku", ""), get.get("name", ""),
                         get.get("quantity", get.get("qty", "")), price))
    return pd.DataFrame(rows, columns=["order", "sku", "item_name", "quantity", "price"])


def _woo_default(path: Path, df: pd.DataFrame, cols: dict[str, str],
                 item_cols: list[str]) -> RawOrders:
    """WooCommerce's default layout: one row per order, its items packed into cells."""
    df = _blank_frame(df, ORDER_FIELDS)
    oid = df["order_id"]
    blank = (oid == "").to_numpy(bool)
    if blank.any():
        raise fail(path, cols["order_id"], np.flatnonzero(blank) + 2, "an order id")
    dup = oid.duplicated(keep=False).to_numpy(bool)
    if dup.any():
        raise OrdersImportError(
            f"{path}, column '{cols['order_id']}', {rows_text(np.flatnonzero(dup) + 2)}: "
            "expected each order id once (one row per order), found repeated ids; remove the "
            "repeated rows.")
    parts = []
    for c in item_cols:
        texts = df[c][df[c] != ""]
        is_json = texts.str.startswith("[") | texts.str.startswith("{")
        parts.append(_pipe_items(texts[~is_json]))
        parts.append(_json_items(path, texts[is_json], c))
    items = pd.concat(parts, ignore_index=True)
    items = items.astype({"order": np.int64}).sort_values("order", kind="stable")
    orders = pd.DataFrame({"order_id": oid, "row": np.arange(len(df), dtype=np.int64) + 2})
    for f in ORDER_FIELDS:
        orders[f] = df[f]
    sku = items["sku"].where(items["sku"] != "", items["item_name"])
    lines = pd.DataFrame({"order": items["order"].to_numpy(np.int64),
                          "row": items["order"].to_numpy(np.int64) + 2,
                          "sku": sku.astype("str").to_numpy(object),
                          "quantity": items["quantity"].astype("str").to_numpy(object),
                          "requires_shipping": "",
                          "price": items["price"].astype("str").to_numpy(object),
                          "name": items["item_name"].astype("str").to_numpy(object),
                          "freight": ""})
    lines = lines.astype({c: "str" for c in ("sku", "quantity", "requires_shipping", "price",
                                             "name", "freight")})
    packed = ", ".join(item_cols[:3]) + (", ..." if len(item_cols) > 3 else "")
    cols = {**cols, "sku": packed, "quantity": packed, "price": packed}
    return RawOrders(lines.reset_index(drop=True), orders.reset_index(drop=True), len(df), cols)


def _olist_table(path: Path, cols: Mapping[str, str], what: str) -> pd.DataFrame:
    """One of Olist's tables: only the columns ``cols`` (field -> column), named by field."""
    header = _header(path)
    missing = [c for c in cols.values() if c not in header]
    if missing:
        raise OrdersImportError(f"{path}: not Olist's {what}: missing column(s) "
                                f"{', '.join(repr(m) for m in missing)}.")
    return _read(path, dict(cols))


def _olist(path: Path) -> RawOrders:
    """Olist's orders, order items and customers (three files in one folder) joined."""
    folder = path if path.is_dir() else path.parent
    orders_file = folder / "orders.csv" if path.is_dir() else path
    o = _olist_table(orders_file, OLIST_ORDERS, "orders table (orders.csv)")
    it = _olist_table(folder / "order_items.csv", OLIST_ITEMS,
                      "order items table (order_items.csv)")
    cu = _olist_table(folder / "customers.csv", OLIST_CUSTOMERS,
                      "customers table (customers.csv)")
    blank = (o["order_id"] == "").to_numpy(bool)
    if blank.any():
        raise fail(orders_file, "order_id", np.flatnonzero(blank) + 2, "an order id")
    dup = o["order_id"].duplicated(keep=False).to_numpy(bool)
    if dup.any():
        raise OrdersImportError(
            f"{orders_file}, column 'order_id', {rows_text(np.flatnonzero(dup) + 2)}: "
            "expected each order id once (one row per order), found repeated ids.")
    zips = cu.drop_duplicates("customer_id").set_index("customer_id")["zip"]
    orders = pd.DataFrame({"order_id": o["order_id"],
                           "row": np.arange(len(o), dtype=np.int64) + 2})
    orders = _blank_frame(orders, ORDER_FIELDS)
    for f in ("created_at", "status", *OUTCOME_FIELDS[:2]):
        orders[f] = o[f]
    orders["zip"] = o["customer_id"].map(zips).fillna("").astype("str").to_numpy(object)
    index = pd.Series(np.arange(len(o), dtype=np.int64), index=o["order_id"].to_numpy(object))
    order_of = it["order_id"].map(index)
    known = order_of.notna().to_numpy(bool)  # items of orders outside the file: ignored
    it = it[known]
    lines = pd.DataFrame({"order": order_of[known].to_numpy(np.int64),
                          "row": np.flatnonzero(known).astype(np.int64) + 2,
                          "sku": it["sku"].to_numpy(object), "quantity": "1",
                          "requires_shipping": "", "price": it["price"].to_numpy(object),
                          "name": "", "freight": it["freight"].to_numpy(object)})
    lines = lines.sort_values("order", kind="stable").reset_index(drop=True)
    lines = lines.astype({c: "str" for c in ("sku", "quantity", "requires_shipping", "price",
                                             "name", "freight")})
    cols = {**OLIST_ORDERS, **OLIST_ITEMS, "zip": OLIST_CUSTOMERS["zip"], "quantity": "1"}
    return RawOrders(lines, orders.reset_index(drop=True), len(o), cols)


def read_orders(path: Path, fmt: Format, mapping: Mapping[str, str] | None = None
                ) -> RawOrders:
    """Read an order export (``fmt``: shopify, woocommerce, csv or olist) into
    :class:`RawOrders`.

    Raises
    ------
    OrdersImportError
        A missing file or column, a malformed file, a blank order id, a repeated order id
        (an id on orders with different times, on rows apart from each other in a Shopify
        export, or twice in a one-row-per-order layout).
    """
    path = Path(path)
    mapping = dict(mapping or {})
    if fmt not in FORMATS:
        raise OrdersImportError(f"unknown format '{fmt}'; formats are {', '.join(FORMATS)}.")
    if fmt == "olist":
        return _olist(path)
    header = _header(path)
    if fmt == "shopify":
        cols = _resolve(path, header, SHOPIFY, mapping)
        _require(path, cols, SHOPIFY, ("order_id", "created_at", "quantity", "sku", "zip"),
                 "Shopify orders export")
        return _line_level(path, _read(path, cols), cols, contiguous=True)
    if fmt == "woocommerce":
        cols = _resolve(path, header, {**WOO_ORDER, **WOO_ITEM}, mapping)
        what = "WooCommerce Customer/Order CSV export"
        _require(path, cols, WOO_ORDER, ("order_id", "created_at", "zip"), what)
        if "sku" in cols or "item_name" in cols:  # one row per item
            _require(path, cols, WOO_ITEM, ("sku", "quantity"), what)
            return _line_level(path, _read(path, cols), cols, contiguous=False)
        item_cols = [h for h in header if h.lower() == "line_items" or ITEM_COLUMN.match(h.lower())]
        if not item_cols:
            raise OrdersImportError(f"{path}: not a {what}: no items found (expected "
                                    "'line_items', 'Item #1' ... columns, or 'item_sku' and "
                                    "'item_quantity' of the one-row-per-item layout).")
        return _woo_default(path, _read(path, cols, tuple(item_cols)), cols, item_cols)
    cols = _resolve(path, header, GENERIC, mapping)
    _require(path, cols, GENERIC, ("order_id", "created_at", "sku", "zip"),
             "generic order CSV (or --map COLUMN=FIELD)")
    return _line_level(path, _read(path, cols), cols, contiguous=False)
