"""US geography offline: 3-digit ZIP centroids, carrier zones from distance bands or a zone chart.

Carriers price parcels by zone, and zones are defined between 3-digit ZIP prefixes (the
sectional centre facilities), so the model places FCs and destinations at ZIP3 centroids when
their ZIPs are known.  The centroids ship with the project (``scenarios/data/zip3_centroids.csv``,
the mean position of each prefix's ZIP codes from the ``zipcodes`` package), so nothing is
downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

EARTH_RADIUS_MI = 3958.8


def great_circle_miles(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                       lon2: np.ndarray) -> np.ndarray:
    """Haversine distance in statute miles (broadcasts like numpy)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_MI * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def zone_of(distance_mi: np.ndarray, zone_max_miles: np.ndarray) -> np.ndarray:
    """Carrier zone 1-8: the first band whose upper bound the distance does not exceed."""
    return (np.searchsorted(zone_max_miles, distance_mi, side="left") + 1).astype(np.int8)


USPS_ZONE_MAX_MILES = np.array([50.0, 150.0, 300.0, 600.0, 1000.0, 1400.0, 1800.0])
"""Upper bounds of USPS zones 1-7 by distance (zone 8 beyond)."""


class GeoError(ValueError):
    """A ZIP or zone-chart problem; the message names the file, line and field."""


def zip3_of(value: object) -> str:
    """Normalise a ZIP, ZIP+4 or prefix (``60614``, ``606xx``, ``606``, ``6061``) to 3 digits.

    Four-digit inputs are five-digit ZIPs that lost their leading zero in a spreadsheet.
    """
    text = str(value).strip().lower().replace("x", "")
    text = text.split("-", 1)[0]
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit() or not 1 <= len(text) <= 5:
        raise ValueError(f"'{value}' is not a ZIP code or 3-digit ZIP prefix")
    if len(text) in (4, 5):
        text = text.zfill(5)[:3]
    return text.zfill(3)


@dataclass(frozen=True)
class Zip3Table:
    """Centroids of 3-digit ZIP prefixes (read-only arrays aligned with ``zip3``)."""

    zip3: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    state: tuple[str, ...]

    def index(self) -> dict[str, int]:
        return {z: i for i, z in enumerate(self.zip3)}

    def locate(self, zips: list[str], where: str) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of each ZIP prefix; ``where`` names the input in errors."""
        idx = self.index()
        out = np.empty(len(zips), np.int64)
        for i, z in enumerate(zips):
            j = idx.get(z)
            if j is None:
                raise GeoError(f"{where}: ZIP prefix '{z}' (row {i + 1}) is not a known US "
                               "3-digit ZIP prefix")
            out[i] = j
        return self.lat[out], self.lon[out]


def default_zip3_path() -> Path:
    return Path(str(resources.files("scenarios").joinpath("data/zip3_centroids.csv")))


def load_zip3(path: Path | None = None) -> Zip3Table:
    """Load the ZIP3 centroid table (by default the bundled one)."""
    df = pd.read_csv(path or default_zip3_path(), dtype={"zip3": str, "state": str})
    return Zip3Table(zip3=tuple(df["zip3"].str.zfill(3)), lat=df["lat"].to_numpy(float),
                     lon=df["lon"].to_numpy(float), state=tuple(df["state"]))


def read_zone_chart(path: Path) -> tuple[pd.DataFrame, int]:
    """Read a zone chart: CSV (optionally gzip) with ``origin_zip, dest_zip, zone`` columns.

    Zones are defined between 3-digit ZIP prefixes; rows whose origin or destination is not a
    3-digit prefix (the USPS chart's five-digit exceptions, such as military ZIPs) and rows
    without a zone (prefixes not in use) are skipped.  Returns the chart as columns
    ``origin``, ``dest`` (ZIP3 strings) and ``zone`` (1-9), and the number of rows skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise GeoError(f"{path}: zone chart file does not exist.")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            OSError) as exc:
        raise GeoError(f"{path}: malformed zone chart CSV: {str(exc).strip()[:200]}.") from None
    cols = {c.strip().lower(): c for c in df.columns}
    missing = [c for c in ("origin_zip", "dest_zip", "zone") if c not in cols]
    if missing:
        raise GeoError(f"{path}: zone chart lacks column(s) {missing}; expected origin_zip, "
                       f"dest_zip, zone; found {list(df.columns)}.")
    df = df[[cols["origin_zip"], cols["dest_zip"], cols["zone"]]]
    df.columns = ["origin", "dest", "zone"]
    origin, dest = df["origin"].str.strip(), df["dest"].str.strip()
    keep = (origin.str.fullmatch(r"\d{3}") & dest.str.fullmatch(r"\d{3}")
            & (df["zone"].str.strip() != ""))
    df = df[keep]
    zone = pd.to_numeric(df["zone"], errors="coerce")
    bad = zone.isna() | (zone < 1) | (zone > 9) | (zone != zone.round())
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise GeoError(f"{path}, line {df.index[i] + 2}, column 'zone': expected a zone 1-9, "
                       f"found '{df['zone'].iloc[i]}'.")
    chart = pd.DataFrame({"origin": origin[keep].to_numpy(), "dest": dest[keep].to_numpy(),
                          "zone": zone.to_numpy(np.int64).astype(np.int8)})
    return chart, int((~keep).sum())


@dataclass(frozen=True)
class ZoneAgreement:
    """How well distance bands between ZIP3 centroids reproduce a zone chart."""

    pairs: int
    exact: float
    within_one: float
    mean_abs_error: float
    skipped_unknown_zip3: int
    confusion: pd.DataFrame  # chart zone (rows) x band zone (columns), counts


def zone_agreement(chart: pd.DataFrame, table: Zip3Table,
                   zone_max_miles: np.ndarray = USPS_ZONE_MAX_MILES) -> ZoneAgreement:
    """Compare band zones (great-circle distance between ZIP3 centroids) with a chart."""
    idx = table.index()
    o = chart["origin"].map(idx)
    d = chart["dest"].map(idx)
    known = o.notna() & d.notna() & (chart["zone"] <= 8)
    oi, di = o[known].to_numpy(np.int64), d[known].to_numpy(np.int64)
    dist = great_circle_miles(table.lat[oi], table.lon[oi], table.lat[di], table.lon[di])
    band = zone_of(dist, np.asarray(zone_max_miles, float)).astype(np.int64)
    real = chart["zone"][known].to_numpy(np.int64)
    err = np.abs(band - real)
    conf = pd.crosstab(pd.Series(real, name="chart"), pd.Series(band, name="bands"))
    return ZoneAgreement(pairs=len(real), exact=float(np.mean(err == 0)),
                         within_one=float(np.mean(err <= 1)), mean_abs_error=float(err.mean()),
                         skipped_unknown_zip3=int((~known).sum()), confusion=conf)
