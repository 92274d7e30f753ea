"""The look of every chart in a report, and turning a matplotlib figure into SVG text.

Charts are drawn with matplotlib's Agg-free SVG backend and embedded in the report's HTML as
inline ``<svg>``.  Text is drawn as glyph outlines (``svg.fonttype = "path"``) in DejaVu Sans,
which matplotlib ships, so a chart looks the same on every machine and in the PDF; ids are
salted with a fixed string and the date is left out, so the same data give the same bytes.

User text (scenario, variant, FC, channel and SKU names) goes into a chart only through
:data:`LITERAL` and :func:`literal_legend`, which turn off mathtext: a name such as
``$5 off$`` is drawn as it is written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["BETTER", "LITERAL", "NEUTRAL", "PALETTE", "WORSE", "chart", "color_for",
           "fig_to_svg", "literal_legend"]

PALETTE = ("#1f5fa8", "#e07b17", "#2e8b57", "#b8324b", "#7b5ea7", "#8c6d31", "#c2549c",
           "#5f6b73", "#17a2b8", "#9aa83a")
"""Colours of series (variants, FCs) in order: distinguishable in print and for the common
forms of colour blindness (no red/green pair next to each other)."""
BETTER = "#2e7d32"
WORSE = "#c62828"
NEUTRAL = "#5f6b73"

RC: dict[str, Any] = {
    "svg.fonttype": "path",
    "svg.hashsalt": "fulfillment-workbench",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 8.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "figure.dpi": 96.0,
    "savefig.dpi": 96.0,
    "path.simplify": True,
    "text.usetex": False,
    "axes.formatter.useoffset": False,
}


def color_for(i: int) -> str:
    """The ``i``-th series colour (cycles after ten)."""
    return PALETTE[i % len(PALETTE)]


LITERAL: dict[str, Any] = {"parse_math": False}
"""Keyword arguments that draw user text as typed (mathtext off, so ``$`` stays ``$``):
``ax.set_title(name, **LITERAL)``, ``ax.text(x, y, name, **LITERAL)``,
``ax.set_xticks(pos, names, **LITERAL)``."""


def literal_legend(legend: Any) -> Any:
    """Turn mathtext off in a legend's labels (``literal_legend(ax.legend())``)."""
    if legend is not None:
        for t in legend.get_texts():
            t.set_parse_math(False)
    return legend


@contextmanager
def chart(width_in: float = 7.0, height_in: float = 3.2, **subplots: Any
          ) -> Iterator[tuple[Figure, Any]]:
    """A new figure and axes in the report style; closed on exit.

    ``with chart(7, 3) as (fig, ax): ...; svg = fig_to_svg(fig)``.  ``subplots`` go to
    ``Figure.subplots`` (``nrows``, ``ncols``, ``sharex`` ...) but ``layout``, which goes to
    the figure.
    """
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        # a bare Figure, not pyplot: no backend, no window, nothing global to close
        fig = Figure(figsize=(width_in, height_in),
                     layout=subplots.pop("layout", None))
        FigureCanvasAgg(fig)  # measures text (get_renderer) without any GUI backend
        ax = fig.subplots(**subplots)
        yield fig, ax


_XML_DECL = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.S)


def fig_to_svg(fig: Figure, *, title: str | None = None) -> str:
    """The figure as an inline ``<svg>`` element (no XML declaration, doctype or comments,
    no date): the same figure gives the same text.  ``title`` becomes the SVG's accessible
    name (escaped)."""
    from html import escape

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = _COMMENT.sub("", _XML_DECL.sub("", buf.getvalue()))
    if title:
        svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)
    return svg.strip() + "\n"
