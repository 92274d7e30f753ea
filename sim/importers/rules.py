"""The import rules, vectorised: timestamps, ZIP codes, the contiguous-US test, statuses,
quantities and duplicate order ids.

Every function works on whole columns (pandas/numpy); values that need parsing (timestamps,
ZIPs, quantities) are parsed once per distinct value.  Problems with the file are raised as
:class:`OrdersImportError`, naming the file, the column and the first ten row numbers; a row
number counts the header as row 1, as a spreadsheet shows the file.  Messages never quote
cell values, so nothing personal from a misaligned column can end up in an error.

The rules (module :mod:`sim.importers` states them for the user):

- **Timestamps** are read as the local wall-clock time they show: ``2024-03-05 14:22:10
  -0500`` is 14:22:10 on 5 March (the UTC offset is dropped, so a file that crosses a
  daylight-saving change keeps its local hours).  Accepted: ISO dates with an optional time
  (``T`` or a space), seconds, fraction and offset (``Z``, ``UTC``, ``+0100``, ``-05:00``),
  and the US spreadsheet form ``3/5/2024 2:22 PM`` (month first).
- **ZIP codes**: a leading apostrophe (Shopify's guard for spreadsheets) and a trailing
  ``.0`` are removed; ZIP+4 (``02108-1234``, ``021081234``) keeps its first five digits;
  4-digit ZIPs lost a leading zero (``2108`` -> ``02108``).  A 3-digit value is a 3-digit
  ZIP prefix when the whole column holds no longer ZIP, else a ZIP that lost two zeros
  (``501`` -> ``00501``).  6-8 digits are a ZIP+4 that lost leading zeros.  Anything else is
  unreadable.
- **Outside the contiguous US**: a country other than the United States, a state or
  province of Alaska, Hawaii, a territory or an armed-forces address, or a ZIP prefix of
  those (:data:`OUTSIDE_ZIP3`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["OUTSIDE_ZIP3", "TIMESTAMP_EXPECTED", "ZIP_BLANK", "ZIP_OK", "ZIP_UNREADABLE",
           "OrdersImportError", "cancelled", "fail", "is_outside_us", "no_shipping",
           "parse_quantity", "parse_timestamps", "rows_text", "unpaid", "zip3_of_column"]


class OrdersImportError(ValueError):
    """An order file cannot be imported; the message (for the user) names the file, the
    column, the first ten rows and what was expected."""


def rows_text(rows: Sequence[int] | np.ndarray) -> str:
    """``row 5`` / ``rows 2, 3, 9`` / ``rows 2, 3, ... (first ten of 31)``: file rows."""
    rows = np.unique(np.asarray(rows, np.int64))
    shown = ", ".join(str(int(r)) for r in rows[:10])
    if len(rows) == 1:
        return f"row {shown}"
    return f"rows {shown}" + (f" (first ten of {len(rows):,})" if len(rows) > 10 else "")


def fail(path: Path, column: str, rows: np.ndarray, expected: str) -> OrdersImportError:
    """The error for bad values in ``column`` at file ``rows``."""
    return OrdersImportError(f"{path}, column '{column}', {rows_text(rows)}: expected "
                             f"{expected}.")


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    codes, uniques = pd.factorize(values)
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype="str")


_FAST_TAIL = re.compile(r"^(?:[.,](\d{1,9}))?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
                        re.IGNORECASE)
_ISO = (r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
        r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<frac>\d+))?)?)?"
        r"\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$")
_US = (r"^(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
       r"(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AP]M)?)?$")

TIMESTAMP_EXPECTED = ("a date and time such as 2024-03-05 14:22:10 -0500, 2024-03-05T14:22:10Z "
                      "or 3/5/2024 2:22 PM")


def _from_parts(m: pd.DataFrame) -> pd.Series:
    """Naive timestamps from extracted regex groups (NaT where a group is invalid)."""
    num = {k: pd.to_numeric(m[k], errors="coerce") for k in ("year", "month", "day")}
    hour = pd.to_numeric(m["hour"], errors="coerce").fillna(0)
    if "ampm" in m:
        ampm = m["ampm"].fillna("").str.upper()
        bad12 = (ampm != "") & ((hour < 1) | (hour > 12))
        hour = hour.mask(ampm == "AM", hour % 12).mask(ampm == "PM", hour % 12 + 12)
        hour = hour.mask(bad12, np.nan)
    minute = pd.to_numeric(m["minute"], errors="coerce").fillna(0)
    second = pd.to_numeric(m["second"], errors="coerce").fillna(0)
    frac = m["frac"].fillna("") if "frac" in m else pd.Series("", index=m.index)
    us = pd.to_numeric(frac.str.ljust(6, "0").str.slice(0, 6), errors="coerce").fillna(0)
    ok = (hour <= 23) & (minute <= 59) & (second <= 59)
    parts = pd.DataFrame({"year": num["year"], "month": num["month"], "day": num["day"],
                          "hour": hour, "minute": minute, "second": second, "us": us})
    parts = parts.where(ok)
    return pd.to_datetime(parts, errors="coerce")


def parse_timestamps(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Local wall-clock times (``datetime64[ns]``, offsets dropped) and a mask of the values
    that are not a readable timestamp (blank included)."""
    codes, u = _distinct(values.str.strip())
    # the common case, one C-speed pass: 'YYYY-MM-DD HH:MM:SS' and an optional offset
    head = pd.to_datetime(u.str.slice(0, 19), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    tcodes, tails = _distinct(u.str.slice(19))
    tail_match = tails.str.extract(_FAST_TAIL.pattern, flags=re.IGNORECASE)
    tail_ok = (tails.str.fullmatch(_FAST_TAIL.pattern, case=False)).to_numpy(bool)[tcodes]
    frac = tail_match[0].fillna("").str.ljust(9, "0").str.slice(0, 9)
    frac_ns = pd.to_numeric(frac, errors="coerce").fillna(0).to_numpy(np.int64)[tcodes]
    out = head.to_numpy("datetime64[ns]").copy()
    fast = ~np.isnat(out) & tail_ok
    out[fast] += frac_ns[fast].astype("timedelta64[ns]")
    out[~fast] = np.datetime64("NaT")
    slow = np.flatnonzero(~fast)
    if len(slow):
        rest = u.iloc[slow].reset_index(drop=True)
        parsed = _from_parts(rest.str.extract(_ISO, flags=re.IGNORECASE))
        us_form = parsed.isna()
        if us_form.any():
            alt = _from_parts(rest[us_form].str.extract(_US, flags=re.IGNORECASE))
            parsed = parsed.where(~us_form, alt)
        out[slow] = parsed.to_numpy("datetime64[ns]")
    result = out[codes]
    return result, np.isnat(result)


def parse_quantity(values: pd.Series, limit: int = 1_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Whole quantities (int64) and a mask of values that are not a whole number from 1 to
    ``limit`` (``2.0`` is accepted: spreadsheets write whole numbers that way)."""
    codes, u = _distinct(values.str.strip())
    q = pd.to_numeric(u, errors="coerce").to_numpy(float)
    ok = np.isfinite(q) & (q >= 1) & (q <= limit) & (q == np.round(q))
    qi = np.where(ok, q, 0).astype(np.int64)
    return qi[codes], ~ok[codes]


_FALSE = {"false", "no", "n", "f", "0", "0.0"}


def no_shipping(values: pd.Series) -> np.ndarray:
    """Lines whose ``requires shipping`` value says no (false, no, 0); blank means yes."""
    codes, u = _distinct(values.str.strip().str.lower())
    return u.isin(_FALSE).to_numpy(bool)[codes]


CANCELLED = {"cancelled", "canceled", "failed"}
"""Order statuses (WooCommerce, a generic file's status column) that mean cancelled."""
UNPAID = {"pending", "pending-payment", "checkout-draft", "draft", "trash"}
"""WooCommerce statuses of orders never paid (abandoned checkouts) or deleted."""


def _status(values: pd.Series) -> pd.Series:
    s = values.str.strip().str.lower().str.replace(" ", "-", regex=False)
    return s.str.removeprefix("wc-")


def cancelled(status: pd.Series, cancelled_at: pd.Series | None = None) -> np.ndarray:
    """Cancelled orders: a ``Cancelled at`` time (Shopify), or a status cancelled/canceled/
    failed.  A refunded order is not cancelled."""
    out = _status(status).isin(CANCELLED).to_numpy(bool)
    if cancelled_at is not None:
        out = out | (cancelled_at.str.strip() != "").to_numpy(bool)
    return out


def unpaid(status: pd.Series) -> np.ndarray:
    """Orders with a status of an unpaid or deleted order (pending, checkout-draft, trash)."""
    return _status(status).isin(UNPAID).to_numpy(bool)


def _range(a: int, b: int) -> set[str]:
    return {f"{z:03d}" for z in range(a, b + 1)}


OUTSIDE_ZIP3 = frozenset(
    _range(6, 9)           # Puerto Rico, US Virgin Islands
    | _range(90, 98)       # APO/FPO Europe (AE)
    | {"340"}              # APO/FPO Americas (AA)
    | _range(962, 966)     # APO/FPO Pacific (AP)
    | _range(967, 968)     # Hawaii
    | {"969"}              # Guam, Northern Mariana Islands, Palau, Micronesia, Marshall Is.
    | _range(995, 999))    # Alaska
"""3-digit ZIP prefixes outside the contiguous US (the model ships by ground within it)."""

OUTSIDE_STATES = frozenset({
    "AK", "HI", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "UM", "AA", "AE", "AP",
    "ALASKA", "HAWAII", "PUERTO RICO", "VIRGIN ISLANDS", "U.S. VIRGIN ISLANDS", "GUAM",
    "AMERICAN SAMOA", "NORTHERN MARIANA ISLANDS", "ARMED FORCES AMERICAS",
    "ARMED FORCES EUROPE", "ARMED FORCES PACIFIC"})
US_NAMES = frozenset({"US", "USA", "UNITEDSTATES", "UNITEDSTATESOFAMERICA", "AMERICA"})


def normalise_country(country: pd.Series) -> pd.Series:
    """Country names or codes in one form: upper case, letters only (``"U.S.A."`` -> ``USA``)."""
    return country.astype(str).str.strip().str.upper().str.replace(r"[^A-Z]", "", regex=True)


def is_outside_us(zip3: pd.Series, country: pd.Series, province: pd.Series) -> np.ndarray:
    """Orders to another country (a country given and not the US), to Alaska, Hawaii, a
    territory or an armed-forces address (by state or by ZIP prefix)."""
    c = normalise_country(country)
    foreign = ((c != "") & ~c.isin(US_NAMES)).to_numpy(bool)
    state = province.str.strip().str.upper().isin(OUTSIDE_STATES).to_numpy(bool)
    return foreign | state | zip3.isin(OUTSIDE_ZIP3).to_numpy(bool)


ZIP_OK, ZIP_BLANK, ZIP_UNREADABLE = 0, 1, 2


def zip3_of_column(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The 3-digit ZIP prefix of each value ("" where there is none) and its status:
    :data:`ZIP_OK`, :data:`ZIP_BLANK` or :data:`ZIP_UNREADABLE` (rules: module docstring)."""
    codes, u = _distinct(values)
    z = u.str.strip().str.lstrip("'").str.strip().str.replace(r"\.0+$", "", regex=True)
    m = z.str.extract(r"^(\d+)(?:\s*[- ]\s*(\d{4}))?$")
    main = m[0].fillna("")
    plus4 = m[1].notna().to_numpy(bool)
    n = main.str.len().to_numpy(np.int64)
    prefixes_only = not bool((n >= 4).any())  # a column of 3-digit prefixes
    five = np.where((n >= 6) & (n <= 9), main.str.zfill(9).str.slice(0, 5),
                    main.str.zfill(5)).astype(object)
    zip3 = pd.Series(five, dtype="str").str.slice(0, 3)
    if prefixes_only:
        zip3 = zip3.where(n != 3, main)
    readable = (n >= 3) & (n <= 9) & ~(plus4 & (n > 5))
    status = np.where(z.to_numpy(object) == "", ZIP_BLANK,
                      np.where(readable, ZIP_OK, ZIP_UNREADABLE)).astype(np.int8)
    zip3 = zip3.where(status == ZIP_OK, "")
    return pd.Series(zip3.to_numpy(object)[codes], index=values.index, dtype="str"), \
        status[codes]
