"""An offline map of the contiguous US for reports: FCs and the destinations they ship to.

The state outlines are ``reports/data/us_states.json`` (US Census Bureau 2017 1:10m cartographic
boundaries via us-atlas, simplified; see ``reports/data/README.md``), drawn in an Albers
equal-area conic projection.  :func:`us_map_svg` returns inline SVG text in the report style
(:mod:`reports.style`): the same inputs give the same bytes.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PolyCollection
from matplotlib.colors import ListedColormap, Normalize, to_rgba
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from reports.style import LITERAL, NEUTRAL, chart, color_for, fig_to_svg, literal_legend

__all__ = ["MAP_BOX", "albers_usa", "load_states", "us_map_svg"]

EARTH_RADIUS_KM = 6371.0
"""Radius of the sphere the projection uses (the authalic radius of GRS80, rounded)."""
MAP_BOX = (24.0, 50.0, -125.0, -66.0)
"""(lat_min, lat_max, lon_min, lon_max): points outside this box are not drawn."""
STATES_FILE = Path(__file__).parent / "data" / "us_states.json"
DAYS_LABEL = "mean click-to-deliver, days"
_FILL, _EDGE, _NO_FC = "#eef0f2", "#a3a9ae", "#b9bec3"
_PATH_D = re.compile(r'\sd="[^"]*"')
_LONG_DECIMALS = re.compile(r"(\.\d\d)\d+")
_LABEL_BOX = {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.7}
_DAYS_CMAP = ListedColormap(colormaps["viridis"](np.linspace(0.0, 0.85, 256))[::-1])
"""viridis without its palest yellow (too faint on the light state fill); few days = light."""


def _albers(lat: Any, lon: Any, *, lat0: float, lon0: float, lat1: float, lat2: float,
            radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Albers equal-area conic on the sphere (Snyder 1987, eqs. 14-1 .. 14-4, 14-6)."""
    phi, lam = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    p0, p1, p2, l0 = (math.radians(v) for v in (lat0, lat1, lat2, lon0))
    n = (math.sin(p1) + math.sin(p2)) / 2.0
    c = math.cos(p1) ** 2 + 2.0 * n * math.sin(p1)
    rho = radius * np.sqrt(c - 2.0 * n * np.sin(phi)) / n
    rho0 = radius * math.sqrt(c - 2.0 * n * math.sin(p0)) / n
    theta = n * (lam - l0)
    return rho * np.sin(theta), rho0 - rho * np.cos(theta)


def albers_usa(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Albers equal-area conic for the contiguous US: standard parallels 29.5 N and 45.5 N,
    origin 37.5 N 96 W, on a sphere of radius 6371 km (not GRS80: the difference, under 0.5%,
    does not show on a report map).  Degrees in, x (east) and y (north) in km out."""
    return _albers(lat, lon, lat0=37.5, lon0=-96.0, lat1=29.5, lat2=45.5,
                   radius=EARTH_RADIUS_KM)


@functools.cache
def load_states() -> tuple[tuple[str, str, tuple[np.ndarray, ...]], ...]:
    """The shipped outlines, projected: ``(name, fips, rings)`` per state, each ring an
    ``(n, 2)`` array of km (read-only; cached)."""
    gj = json.loads(STATES_FILE.read_text(encoding="utf-8"))
    out = []
    for f in gj["features"]:
        rings = []
        for poly in f["geometry"]["coordinates"]:
            for ring in poly:
                a = np.asarray(ring, dtype=float)
                xy = np.column_stack(albers_usa(a[:, 1], a[:, 0]))
                xy.flags.writeable = False
                rings.append(xy)
        out.append((f["properties"]["name"], f["properties"]["fips"], tuple(rings)))
    return tuple(out)


@functools.cache
def _extent() -> tuple[float, float, float, float]:
    xy = np.vstack([r for _, _, rings in load_states() for r in rings])
    return (float(xy[:, 0].min()), float(xy[:, 0].max()),
            float(xy[:, 1].min()), float(xy[:, 1].max()))


def _vec(name: str, v: Any, n: int | None) -> np.ndarray:
    a = np.atleast_1d(np.asarray(v if v is not None else [], dtype=float)).ravel()
    if n is not None and len(a) != n:
        raise ValueError(f"{name} has {len(a)} values, expected {n}")
    return a


def _on_map(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la0, la1, lo0, lo1 = MAP_BOX
    with np.errstate(invalid="ignore"):
        return (np.isfinite(lat) & np.isfinite(lon) & (lat >= la0) & (lat <= la1)
                & (lon >= lo0) & (lon <= lo1))


def _sizes(volume: np.ndarray, smin: float, smax: float) -> np.ndarray:
    """Marker areas (pt²) proportional to volume (radius ~ sqrt), at least ``smin``; the
    radius is rounded to 0.25 pt so equal sizes share one SVG marker definition."""
    v = np.clip(np.nan_to_num(volume, nan=0.0, posinf=0.0), 0.0, None)
    top = float(v.max()) if len(v) else 0.0
    s = np.maximum(smin, smax * v / top) if top > 0 else np.full(len(v), smin)
    return (np.round(np.sqrt(s) * 4.0) / 4.0) ** 2


def _dots(ax: Any, x: np.ndarray, y: np.ndarray, size: np.ndarray, rgba: np.ndarray) -> None:
    """Destination dots, one scatter per size (big ones first, so small ones stay visible):
    the SVG then defines each circle once and reuses it (a third of the bytes)."""
    for s in np.unique(size)[::-1]:
        k = size == s
        ax.scatter(x[k], y[k], s=float(s), c=rgba[k], linewidths=0.4, edgecolors="white",
                   zorder=3)


def _place_labels(fig: Any, ax: Any, xy: np.ndarray, size: np.ndarray, names: list[str],
                  dots: np.ndarray, dot_size: np.ndarray, obstacles: list[Any]) -> None:
    """Name each FC next to its marker at the best of eight positions: inside the figure,
    clear of other labels, FC markers and ``obstacles`` (legend, colorbar), covering as few
    destination dots (weighted by size) as possible; ties go to the earlier position."""
    pix = ax.transData.transform(xy) if len(xy) else np.zeros((0, 2))
    dpix = ax.transData.transform(dots) if len(dots) else np.zeros((0, 2))
    half = 0.5 * np.sqrt(size) * fig.dpi / 72.0  # marker half side, pixels
    markers = [Bbox.from_extents(px - h, py - h, px + h, py + h)
               for (px, py), h in zip(pix, half, strict=True)]
    pad = 0.6 * math.sqrt(float(size.max())) if len(size) else 0.0  # points
    placed: list[Any] = []
    spots = [(1, 1, "left", "bottom"), (1, -1, "left", "top"), (-1, 1, "right", "bottom"),
             (-1, -1, "right", "top"), (0, 1.4, "center", "bottom"), (0, -1.4, "center", "top"),
             (1.4, 0, "left", "center"), (-1.4, 0, "right", "center")]
    for k, ((x, y), name) in enumerate(zip(xy, names, strict=True)):
        blocked = [*obstacles, *placed, *markers[:k], *markers[k + 1:]]
        best: tuple[float, Any, Any] | None = None
        for dx, dy, ha, va in spots:
            t = ax.annotate(name, (x, y), xytext=(dx * pad, dy * pad),
                            textcoords="offset points", ha=ha, va=va, fontsize=8.5,
                            fontweight="bold", color="#222222", bbox=_LABEL_BOX,
                            zorder=6, **LITERAL)
            box = t.get_window_extent().expanded(1.04, 1.1)
            inside = (box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.x1
                      and box.y1 <= fig.bbox.y1)
            covered = ((dpix[:, 0] >= box.x0) & (dpix[:, 0] <= box.x1)
                       & (dpix[:, 1] >= box.y0) & (dpix[:, 1] <= box.y1))
            score = (1e6 * (not inside) + 1e4 * sum(box.overlaps(b) for b in blocked)
                     + float(dot_size[covered].sum()))
            if best is None or score < best[0]:
                if best is not None:
                    best[1].remove()
                best = (score, t, box)
            else:
                t.remove()
            if score == 0:
                break
        assert best is not None
        placed.append(best[2])


def _legend(ax: Any, names: list[str], fm: np.ndarray, no_fc: bool) -> bool:
    """The FC colour legend: inside the map's lower left for up to six entries, else below
    the map in up to four columns.  Returns whether it is inside."""
    handles = [Line2D([], [], ls="", marker="s", ms=7, mfc=color_for(i), mec="black", mew=0.8,
                      label=n if fm[i] else f"{n} (off map)") for i, n in enumerate(names)]
    if no_fc:
        handles.append(Line2D([], [], ls="", marker="o", ms=6, mfc=_NO_FC, mec="white",
                              label="no FC"))
    inside = len(handles) <= 6
    leg = ax.legend(handles=handles, title="serving FC", fontsize=8, title_fontsize=8,
                    loc="lower left" if inside else "upper left",
                    bbox_to_anchor=(0.005, 0.01) if inside else (0.0, -0.01),
                    ncols=1 if inside else min(4, math.ceil(len(handles) / 3)),
                    frameon=inside, framealpha=0.8, edgecolor="none", handletextpad=0.3,
                    borderaxespad=0.2, alignment="left")
    literal_legend(leg)
    leg.get_title().set_parse_math(False)
    return inside


def _plural(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


def us_map_svg(*, fc_names: Sequence[str], fc_lat: Any, fc_lon: Any, fc_volume: Any,
               dest_lat: Any, dest_lon: Any, dest_volume: Any,
               dest_fc: np.ndarray | None = None, dest_days: np.ndarray | None = None,
               title: str = "", width_in: float = 7.0) -> str:
    """A map of the contiguous US with the FCs and the destinations they ship to.

    Destinations are dots with area proportional to ``dest_volume`` (shipments), coloured
    either by the FC serving most of their shipments (``dest_fc``: FC index, -1 = none; a
    legend names the FCs) or by ``dest_days`` (mean click-to-deliver days, NaN = none; a
    colorbar).  Exactly one of the two must be given (else ValueError, as for arrays of the
    wrong length).  FCs are outlined squares sized by ``fc_volume`` and labelled with their
    names (drawn literally: ``$`` is not mathtext).  Points outside :data:`MAP_BOX` or with
    NaN coordinates are not drawn; a note on the chart counts them.  Returns an inline
    ``<svg>`` string; ``title`` is drawn above the map and is the SVG's accessible name.
    """
    if (dest_fc is None) == (dest_days is None):
        raise ValueError("give exactly one of dest_fc and dest_days")
    names = [str(s) for s in fc_names]
    nf = len(names)
    flat, flon, fvol = (_vec(k, v, nf) for k, v in
                        (("fc_lat", fc_lat), ("fc_lon", fc_lon), ("fc_volume", fc_volume)))
    dlat = _vec("dest_lat", dest_lat, None)
    nd = len(dlat)
    dlon, dvol = _vec("dest_lon", dest_lon, nd), _vec("dest_volume", dest_volume, nd)
    days = _vec("dest_days", dest_days, nd) if dest_days is not None else np.zeros(nd)
    dfc = np.full(nd, -1)
    if dest_fc is not None:
        raw = _vec("dest_fc", dest_fc, nd)
        if nd and not (np.all(raw == np.round(raw)) and raw.min() >= -1 and raw.max() < nf):
            raise ValueError(f"dest_fc must hold FC indices in -1..{nf - 1}")
        dfc = raw.astype(int)

    x0, x1, y0, y1 = _extent()
    mx, my = 0.015 * (x1 - x0), 0.03 * (y1 - y0)
    scale = width_in / 7.0
    with chart(width_in, width_in * (y1 - y0 + 2 * my) / (x1 - x0 + 2 * mx)) as (fig, ax):
        fig.subplots_adjust(0, 0, 1, 1)
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.set_xlim(x0 - mx, x1 + mx)
        ax.set_ylim(y0 - my, y1 + my)
        rings = [r for _, _, rs in load_states() for r in rs]
        ax.add_collection(PolyCollection(rings, facecolors=_FILL, edgecolors=_EDGE,
                                         linewidths=0.5, zorder=1))

        dm = _on_map(dlat, dlon)
        order = np.argsort(-np.nan_to_num(dvol), kind="stable")
        order = order[dm[order]]
        dx, dy = albers_usa(dlat[order], dlon[order])
        size = _sizes(dvol[order], 3.0 * scale, 170.0 * scale)
        fin = np.isfinite(days[order])
        if dest_fc is not None:
            col = np.array([to_rgba(color_for(i) if i >= 0 else _NO_FC, 0.85)
                            for i in dfc[order]]).reshape(-1, 4)
        else:
            d = days[order]
            lo, hi = (float(d[fin].min()), float(d[fin].max())) if fin.any() else (0.0, 1.0)
            sm = ScalarMappable(Normalize(lo, hi if hi > lo else lo + 1.0), _DAYS_CMAP)
            col = np.array(sm.to_rgba(np.where(fin, d, lo), alpha=0.9)).reshape(-1, 4)
            col[~fin] = to_rgba(_NO_FC)
            if fin.any():
                cb = fig.colorbar(sm, cax=ax.inset_axes((0.035, 0.07, 0.25, 0.03)),
                                  orientation="horizontal")
                cb.set_label(DAYS_LABEL, fontsize=8)
                cb.ax.tick_params(labelsize=7.5, length=2)
                cb.outline.set_linewidth(0.5)
        _dots(ax, dx, dy, size, col)

        fm = _on_map(flat, flon)
        fidx = np.flatnonzero(fm)
        fidx = fidx[np.argsort(-np.nan_to_num(fvol[fidx]), kind="stable")]
        fx, fy = albers_usa(flat[fidx], flon[fidx])
        fsize = _sizes(fvol[fidx], 45.0 * scale, 150.0 * scale)
        fcol = [color_for(int(i)) if dest_fc is not None else "#333333" for i in fidx]
        ax.scatter(fx, fy, s=fsize, c=fcol, marker="s", edgecolors="black", linewidths=1.2,
                   zorder=5)
        inside = True
        if dest_fc is not None and nf:
            inside = _legend(ax, names, fm, bool((dfc[order] == -1).any()))
        leg = ax.get_legend()
        obstacles = [a.get_tightbbox() for a in (*ax.child_axes, leg) if a is not None]
        _place_labels(fig, ax, np.column_stack([fx, fy]), fsize, [names[i] for i in fidx],
                      np.column_stack([dx, dy]), size, obstacles)

        notes = ["dot area \u221d shipments"] if len(order) else []
        if dest_days is not None and (n_nan := int((~fin).sum())):
            notes.append(_plural(n_nan, "destination") + " without delivery times (grey)")
        if (n_out := int(nd - dm.sum())) > 0:
            notes.append(_plural(n_out, "destination") + " outside the map not drawn")
        if (f_out := int(nf - fm.sum())) > 0:
            notes.append(_plural(f_out, "FC") + " outside the map not drawn")
        y_note = 0.0 if leg is None or inside else float(
            ax.transAxes.inverted().transform(leg.get_window_extent().p0)[1])
        ax.text(1.0, y_note, "\n".join(notes), transform=ax.transAxes, ha="right", va="top",
                fontsize=7.5, color=NEUTRAL, **LITERAL)
        if title:
            ax.set_title(title, loc="left", **LITERAL)
        svg = fig_to_svg(fig, title=title or None)
    # 0.01 pt is plenty for path coordinates: a third fewer bytes than matplotlib's 6 decimals
    return _PATH_D.sub(lambda m: _LONG_DECIMALS.sub(r"\1", m.group(0)), svg)
