"""CSV cells that a spreadsheet will not run as formulas (CSV injection, OWASP's rule).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula (or becomes one) when a spreadsheet opens the CSV: a SKU id ``=HYPERLINK("http://x")``
would be a live link.  :func:`csv_safe_cell` prefixes such a cell with a single quote, which
spreadsheets show as text; :func:`csv_unsafe_cell` removes it again, for the files the
simulator reads back (the optimizers' inventory, forecast and routing files).

The pair round-trips every string: ``csv_unsafe_cell(csv_safe_cell(s)) == s``.  To keep that
true, a cell that already starts with a quote followed by a dangerous character or by another
quote gets one more quote, and only those cells lose one when read.  Plain numbers written as
text (``-3.5``, ``+2``, ``1e-3``) are left alone: a spreadsheet reads them as the same number.
Apply these to text cells only; numbers written as numbers need nothing.
"""

from __future__ import annotations

import re

__all__ = ["DANGEROUS_PREFIXES", "csv_safe_cell", "csv_unsafe_cell"]

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""

_QUOTED = (*DANGEROUS_PREFIXES, "'")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def csv_safe_cell(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as text: a leading ``'`` before ``=``,
    ``+``, ``-``, ``@``, tab or carriage return (and before a ``'`` that precedes one of
    those or another ``'``).  Plain numbers such as ``-3.5`` are returned unchanged."""
    first = text[:1]
    if first in DANGEROUS_PREFIXES and not _NUMBER.fullmatch(text):
        return "'" + text
    if first == "'" and text[1:2] in _QUOTED:
        return "'" + text
    return text


def csv_unsafe_cell(text: str) -> str:
    """The original of a cell written by :func:`csv_safe_cell` (one leading ``'`` removed
    where :func:`csv_safe_cell` adds one); any other text is returned unchanged."""
    if text[:1] == "'" and text[1:2] in _QUOTED:
        return text[1:]
    return text
