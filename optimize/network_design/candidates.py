"""Candidate FC sites: the CSV a network design chooses from, read and checked."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "Candidates",
    "CandidatesError",
    "default_candidates_path",
    "read_candidates",
    "slugify",
]

REQUIRED_COLUMNS = ("site", "lat", "lon", "fixed_cost_per_day", "capacity_orders_per_day")
OPTIONAL_COLUMNS = ("state", "labor_cost_per_hour")

class CandidatesError(ValueError):
    """A candidate-sites CSV is malformed; the message names the file, line and column."""


def slugify(text: str) -> str:
    """A TOML-friendly FC name: lower case, runs of other characters as ``_``
    (``"Wilkes-Barre"`` -> ``"wilkes_barre"``)."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    return slug or "site"


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate FC sites (arrays aligned with ``sites``; all read-only).

    ``slugs`` are the FC names a written scenario uses (the site name, plus the state when two
    sites share a name).  ``labor_cost_per_hour`` is ``nan`` where the file gives none.
    """

    sites: tuple[str, ...]
    states: tuple[str, ...]
    slugs: tuple[str, ...]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    fixed_cost_per_day: NDArray[np.float64]
    capacity_orders_per_day: NDArray[np.float64]
    labor_cost_per_hour: NDArray[np.float64]
    source: Path | None = None

    def __post_init__(self) -> None:
        m = len(self.sites)
        for name in ("lat", "lon", "fixed_cost_per_day", "capacity_orders_per_day",
                     "labor_cost_per_hour"):
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if arr.shape != (m,):
                raise ValueError(f"Candidates.{name}: expected shape ({m},), got {arr.shape}")
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        if len(self.states) != m or len(self.slugs) != m:
            raise ValueError("Candidates: sites, states and slugs differ in length")

    def __len__(self) -> int:
        return len(self.sites)

    def label(self, i: int) -> str:
        """``"Dallas, TX"`` (or just the site when no state is given)."""
        return f"{self.sites[i]}, {self.states[i]}" if self.states[i] else self.sites[i]

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], source: Path | None = None
                  ) -> Candidates:
        """Build from dicts with the CSV's columns (tests and programmatic use); values are
        checked like :func:`read_candidates` does, rows numbered from 1."""
        parsed = [_parse_row(dict(r), source or Path("<rows>"), k + 1, "row")
                  for k, r in enumerate(rows)]
        return _build(parsed, source or Path("<rows>"), [f"row {k + 1}" for k in
                                                         range(len(rows))])


def default_candidates_path() -> Path:
    """The bundled candidates: the 50 largest US cities of the destinations plus Wilkes-Barre."""
    from importlib import resources

    return Path(str(resources.files("scenarios").joinpath("data/candidate_sites.csv")))


def _number(value: str, path: Path, where: str, column: str) -> float:
    text = str(value).strip()
    try:
        v = float(text)
    except ValueError:
        raise CandidatesError(f"{path}, {where}, column '{column}': expected a number, found "
                              f"{text!r}.") from None
    if not math.isfinite(v):
        raise CandidatesError(f"{path}, {where}, column '{column}': expected a finite number, "
                              f"found {text!r}.")
    return v


def _parse_row(row: dict[str, Any], path: Path, lineno: int, unit: str = "line"
               ) -> tuple[str, str, float, float, float, float, float]:
    where = f"{unit} {lineno}"
    for col in REQUIRED_COLUMNS:
        if col not in row:
            raise CandidatesError(f"{path}, {where}: column '{col}' is missing (required "
                                  f"columns: {', '.join(REQUIRED_COLUMNS)}).")
    site = str(row["site"] or "").strip()
    if not site:
        raise CandidatesError(f"{path}, {where}, column 'site': expected a site name, found "
                              "an empty cell.")
    state = str(row.get("state") or "").strip()
    lat = _number(row["lat"], path, where, "lat")
    if not -90 <= lat <= 90:
        raise CandidatesError(f"{path}, {where}, column 'lat': expected a latitude between -90 "
                              f"and 90, found {lat:g}.")
    lon = _number(row["lon"], path, where, "lon")
    if not -180 <= lon <= 180:
        raise CandidatesError(f"{path}, {where}, column 'lon': expected a longitude between "
                              f"-180 and 180, found {lon:g}.")
    fixed = _number(row["fixed_cost_per_day"], path, where, "fixed_cost_per_day")
    if fixed < 0:
        raise CandidatesError(f"{path}, {where}, column 'fixed_cost_per_day': expected a cost "
                              f">= 0, found {fixed:g}.")
    cap = _number(row["capacity_orders_per_day"], path, where, "capacity_orders_per_day")
    if cap <= 0:
        raise CandidatesError(f"{path}, {where}, column 'capacity_orders_per_day': expected a "
                              f"positive capacity (orders per day), found {cap:g}.")
    labor_text = str(row.get("labor_cost_per_hour") or "").strip()
    labor = math.nan
    if labor_text:
        labor = _number(labor_text, path, where, "labor_cost_per_hour")
        if labor < 0:
            raise CandidatesError(f"{path}, {where}, column 'labor_cost_per_hour': expected a "
                                  f"wage >= 0, found {labor:g}.")
    return site, state, lat, lon, fixed, cap, labor


def _build(parsed: Sequence[tuple[str, str, float, float, float, float, float]], path: Path,
           wheres: Sequence[str]) -> Candidates:
    if not parsed:
        raise CandidatesError(f"{path}: no candidate sites (the file has a header but no rows).")
    seen: dict[tuple[str, str], str] = {}
    for (site, state, *_), where in zip(parsed, wheres, strict=True):
        key = (site.lower(), state.lower())
        if key in seen:
            shown = f"{site}, {state}" if state else site
            raise CandidatesError(f"{path}, {where}, column 'site': duplicate site '{shown}' "
                                  f"(first on {seen[key]}); give each site once.")
        seen[key] = where
    names = [p[0] for p in parsed]
    slugs = [slugify(p[0]) if sum(slugify(n) == slugify(p[0]) for n in names) == 1
             else slugify(f"{p[0]}_{p[1]}") for p in parsed]
    dup = {s for s in slugs if slugs.count(s) > 1}
    if dup:
        s = sorted(dup)[0]
        rows = [w for w, x in zip(wheres, slugs, strict=True) if x == s]
        raise CandidatesError(f"{path}, {', '.join(rows)}, column 'site': these sites would all "
                              f"be named FC '{s}' in a scenario; give them distinct names.")
    cols = list(zip(*parsed, strict=True))
    return Candidates(
        sites=tuple(cols[0]), states=tuple(cols[1]), slugs=tuple(slugs),
        lat=np.array(cols[2], float), lon=np.array(cols[3], float),
        fixed_cost_per_day=np.array(cols[4], float),
        capacity_orders_per_day=np.array(cols[5], float),
        labor_cost_per_hour=np.array(cols[6], float), source=path)


def read_candidates(path: str | Path) -> Candidates:
    """Read a candidate-sites CSV.

    Columns (header names, any order, case-insensitive): ``site``, ``lat``, ``lon``,
    ``fixed_cost_per_day``, ``capacity_orders_per_day`` (required); ``state``,
    ``labor_cost_per_hour`` (optional; an empty cell means "the scenario's wage").

    Raises
    ------
    CandidatesError
        (a ``ValueError``) naming the file, line and column: a missing file or column, a
        non-numeric or non-finite number, a negative cost, a capacity <= 0, a latitude or
        longitude out of range, an empty or duplicate site, a row with too many or too few
        cells, or no rows at all.
    """
    path = Path(path)
    if not path.is_file():
        raise CandidatesError(f"{path}: candidate sites file does not exist.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CandidatesError(f"{path}: not a UTF-8 text file.") from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise CandidatesError(f"{path}: the file is empty; expected a header line with columns "
                              f"{', '.join(REQUIRED_COLUMNS)}.")
    reader = csv.reader(lines)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CandidatesError(f"{path}, line 1: column(s) {', '.join(repr(c) for c in missing)} "
                              f"missing; expected {', '.join(REQUIRED_COLUMNS)} (optional: "
                              f"{', '.join(OPTIONAL_COLUMNS)}); found {', '.join(header)}.")
    dups = sorted({h for h in header if header.count(h) > 1 and h})
    if dups:
        raise CandidatesError(f"{path}, line 1: column '{dups[0]}' appears more than once.")
    parsed, wheres = [], []
    for cells in reader:
        lineno = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) != len(header):
            raise CandidatesError(f"{path}, line {lineno}: expected {len(header)} cells (one "
                                  f"per header column), found {len(cells)}.")
        parsed.append(_parse_row(dict(zip(header, cells, strict=True)), path, lineno))
        wheres.append(f"line {lineno}")
    return _build(parsed, path, wheres)

