"""Regenerate ``us_states.json`` (the lower-48 + DC outlines that ``reports.usmap`` draws).

    python reports/data/build_us_states.py ../shared/data/us_states/us_states_2017_10m.geojson \
        reports/data/us_states.json

Input: the US Census Bureau 2017 1:10m state boundaries as GeoJSON (via us-atlas 3.0.1).  Steps:

1. keep the 48 contiguous states and DC (drop Alaska, Hawaii, Puerto Rico, the territories);
2. drop islands (polygons) smaller than ``MIN_AREA_KM2``;
3. simplify with Douglas-Peucker at ``TOLERANCE_KM`` in a local equirectangular km plane
   (x = lon * 111.195 cos 37.5°, y = lat * 111.195), *topology-preserving*: every ring is cut at
   the vertices where the set of rings sharing its edges changes, and each shared arc is
   simplified once in a canonical direction, so neighbouring states keep identical borders
   (no slivers, no gaps);
4. round to ``DECIMALS`` decimals of a degree and write compact GeoJSON (properties ``name``,
   ``fips``; features sorted by fips).

Only numpy and the standard library; the output is deterministic.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

TOLERANCE_KM = 2.0
MIN_AREA_KM2 = 60.0
DECIMALS = 3
DROP_FIPS = {"02", "15", "60", "66", "69", "72", "78"}  # AK, HI, AS, GU, MP, PR, VI
KM_PER_DEG = 111.195  # 6371 km sphere
COS0 = math.cos(math.radians(37.5))

Point = tuple[float, float]


def _km(ring: list[Point]) -> np.ndarray:
    a = np.asarray(ring, dtype=float)
    return np.column_stack([a[:, 0] * KM_PER_DEG * COS0, a[:, 1] * KM_PER_DEG])


def area_km2(ring: list[Point]) -> float:
    """Shoelace area of a ring in the local km plane."""
    p = _km(ring)
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def douglas_peucker(pts: np.ndarray, tol: float) -> np.ndarray:
    """Indices kept by Douglas-Peucker on an open polyline (first and last always kept)."""
    keep = np.zeros(len(pts), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = pts[i], pts[j]
        seg = pts[i + 1:j] - a
        d = b - a
        n = math.hypot(d[0], d[1])
        if n == 0.0:
            dist = np.hypot(seg[:, 0], seg[:, 1])
        else:
            dist = np.abs(d[0] * seg[:, 1] - d[1] * seg[:, 0]) / n
        k = int(np.argmax(dist))
        if dist[k] > tol:
            m = i + 1 + k
            keep[m] = True
            stack += [(i, m), (m, j)]
    return np.flatnonzero(keep)


def _simplify_arc(arc: list[Point], tol: float) -> list[Point]:
    """Simplify one arc in a canonical direction so a shared arc gives the same points."""
    flip = arc[0] > arc[-1]
    a = arc[::-1] if flip else arc
    kept = [a[i] for i in douglas_peucker(_km(a), tol)]
    return kept[::-1] if flip else kept


def simplify_rings(rings: list[list[Point]], tol: float) -> list[list[Point]]:
    """Topology-preserving simplification of closed rings (first point == last point)."""
    users: dict[tuple[Point, Point], set[int]] = defaultdict(set)
    for r, ring in enumerate(rings):
        for p, q in itertools.pairwise(ring):
            users[(min(p, q), max(p, q))].add(r)

    def edge(p: Point, q: Point) -> frozenset[int]:
        return frozenset(users[(min(p, q), max(p, q))])

    out = []
    for ring in rings:
        pts = ring[:-1]
        n = len(pts)
        fixed = [i for i in range(n)
                 if edge(pts[i - 1], pts[i]) != edge(pts[i], pts[(i + 1) % n])]
        if not fixed:  # a ring sharing no border: cut it at its smallest point and the far one
            i0 = min(range(n), key=lambda i: pts[i])
            d = np.hypot(*(_km(pts) - _km([pts[i0]])).T)
            fixed = sorted({i0, int(np.argmax(d))})
        new: list[Point] = []
        for a, b in zip(fixed, [*fixed[1:], fixed[0] + n], strict=True):
            arc = [pts[i % n] for i in range(a, b + 1)]
            new += _simplify_arc(arc, tol)[:-1]
        out.append([*new, new[0]])
    return out


def _round(ring: list[Point]) -> list[list[float]]:
    res: list[list[float]] = []
    for x, y in ring:
        p = [round(x, DECIMALS), round(y, DECIMALS)]
        if not res or p != res[-1]:
            res.append(p)
    return res


def build(src: Path) -> dict:
    gj = json.loads(src.read_text())
    feats = [f for f in gj["features"] if f["properties"]["fips"] not in DROP_FIPS]
    feats.sort(key=lambda f: f["properties"]["fips"])
    # every ring of every kept polygon (outer rings and any holes), with its owner
    rings: list[list[Point]] = []
    owner: list[tuple[int, int]] = []  # (feature, polygon)
    for fi, f in enumerate(feats):
        polys = f["geometry"]["coordinates"]
        biggest = max(range(len(polys)), key=lambda k: area_km2(polys[k][0]))
        for pi, poly in enumerate(polys):
            if pi != biggest and area_km2(poly[0]) < MIN_AREA_KM2:
                continue
            for ring in poly:
                rings.append([(float(x), float(y)) for x, y in ring])
                owner.append((fi, pi))
    simple = simplify_rings(rings, TOLERANCE_KM)
    out_polys: list[dict[int, list]] = [defaultdict(list) for _ in feats]
    for (fi, pi), ring in zip(owner, simple, strict=True):
        r = _round(ring)
        if len(r) >= 4:
            out_polys[fi][pi].append(r)
    features = []
    for f, polys in zip(feats, out_polys, strict=True):
        coords = [polys[k] for k in sorted(polys)]
        features.append({"type": "Feature",
                         "properties": {"name": f["properties"]["name"],
                                        "fips": f["properties"]["fips"]},
                         "geometry": {"type": "MultiPolygon", "coordinates": coords}})
    return {"type": "FeatureCollection", "features": features}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    src, dst = Path(argv[0]), Path(argv[1])
    gj = build(src)
    text = json.dumps(gj, separators=(",", ":")) + "\n"
    dst.write_text(text)
    n_pts = sum(len(r) for f in gj["features"] for p in f["geometry"]["coordinates"] for r in p)
    print(f"{dst}: {len(gj['features'])} features, {n_pts} points, {len(text)} bytes "
          f"(tolerance {TOLERANCE_KM} km, islands < {MIN_AREA_KM2} km² dropped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
