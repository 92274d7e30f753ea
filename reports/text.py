"""User text made safe to show in a terminal.

Scenario, FC, channel, service and SKU names, file paths and error messages come from files
that someone else may have written.  Shown as they are, ``[link=...]`` is rich markup (a
hidden link), an ESC byte starts a terminal escape sequence (cursor moves, screen clears,
OSC 8 links), and bidirectional overrides reorder what the reader sees.  Both functions here
keep the text readable and make every such character visible instead.
"""

from __future__ import annotations

import re

from rich.markup import escape

__all__ = ["markup_safe", "printable"]

# C0 controls but tab and newline, DEL, C1 controls, bidirectional embeddings and isolates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with control and bidi-override characters written as ``\\xNN`` / ``\\uNNNN``."""
    return _UNSAFE.sub(_visible, str(text))


def markup_safe(text: object) -> str:
    """``text`` for a rich console: :func:`printable`, with markup brackets escaped."""
    return escape(printable(text))
