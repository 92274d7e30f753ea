"""The data files a scenario names (CSV): read, checked line by line and column by column, and
turned into numpy arrays (:class:`ScenarioTables`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.csvsafe import csv_unsafe_cell
from sim.geo import GeoError, load_zip3, read_zone_chart, zip3_of
from sim.scenario.replay import ReplayOrders, read_replay
from sim.scenario.schema import (
    CLASS_NAMES,
    LENGTH_TO_IN,
    WEIGHT_TO_LB,
    CatalogRef,
    Scenario,
    sku_classes,
)
from sim.scenario.types import ScenarioError
from sim.shipping import Cartons


@dataclass(frozen=True)
class ScenarioTables:
    """Data loaded from the CSV files a scenario points to, as numpy arrays."""

    sku_ids: tuple[str, ...]
    sku_weight_lb: np.ndarray
    sku_dims_in: np.ndarray  # (K, 3) length, width, height
    sku_unit_price: np.ndarray
    sku_popularity: np.ndarray
    dest_names: tuple[str, ...]
    dest_lat: np.ndarray
    dest_lon: np.ndarray
    dest_weight: np.ndarray
    dest_zip3: tuple[str, ...] = ()
    zone_chart: dict[tuple[str, str], int] | None = None
    service_rates: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    cartons: Cartons | None = None
    stock_fc: tuple[str, ...] = ()
    stock_sku: np.ndarray | None = None
    stock_units: np.ndarray | None = None
    forecast_fc: tuple[str, ...] = ()
    forecast_sku: np.ndarray | None = None
    forecast_units: np.ndarray | None = None
    sku_category: tuple[str, ...] = ()
    sku_supplier: tuple[str, ...] = ()  # "" where the SKU's class decides
    assign_dest: np.ndarray | None = None  # routing.assignment_file: destination ids,
    assign_sku: np.ndarray | None = None   # SKU ids
    assign_fc: tuple[str, ...] = ()        # and FC names, row by row
    replay: ReplayOrders | None = None  # demand.mode = "replay": the orders to place

    def hash_parts(self) -> list[np.ndarray]:
        parts = [self.sku_weight_lb, self.sku_dims_in, self.sku_unit_price, self.sku_popularity,
                 self.dest_lat, self.dest_lon, self.dest_weight,
                 np.frombuffer("\n".join(self.sku_ids).encode(), np.uint8)]
        if self.stock_units is not None and self.stock_sku is not None:
            parts += [self.stock_sku, self.stock_units]
        if self.forecast_units is not None and self.forecast_sku is not None:
            parts += [self.forecast_sku, self.forecast_units,
                      np.frombuffer("\n".join(self.forecast_fc).encode(), np.uint8)]
        if self.assign_dest is not None and self.assign_sku is not None:
            parts += [self.assign_dest, self.assign_sku,
                      np.frombuffer("\n".join(self.assign_fc).encode(), np.uint8)]
        if self.replay is not None:
            parts += self.replay.hash_parts()
        for w, r in (self.service_rates or {}).values():
            parts += [w, r]
        if self.cartons is not None:
            parts += [self.cartons.dims_in, self.cartons.max_weight_lb, self.cartons.cost]
        if self.zone_chart is not None:
            text = "\n".join(f"{o},{d},{z}" for (o, d), z in sorted(self.zone_chart.items()))
            parts.append(np.frombuffer(text.encode(), np.uint8))
        return parts


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the OS refuses (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


MAX_CSV_BYTES = 512 * 2**20


def _load_csv(path: Path, field: str) -> pd.DataFrame:
    """Read a CSV as text columns, with a clear error for a missing or malformed file.

    A missing file is reported as ``'field': ...`` (the loader puts the scenario file in front,
    see :func:`load_scenario`); problems inside the file name the file."""
    if not _is_file(path):
        what = "is a directory, not a CSV file" if path.is_dir() else "does not exist"
        raise ScenarioError(f"'{field}': {path} {what}.")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ScenarioError(f"{path}: CSV for {field} is larger than "
                            f"{MAX_CSV_BYTES // 2**20} MiB.")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError,
            ValueError, OSError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScenarioError(f"{path}: malformed CSV for {field}: {msg}.") from None
    df.columns = [str(c).strip() for c in df.columns]
    bad = [c for c in df.columns if not c.isprintable()]
    if bad:
        raise ScenarioError(f"{path}: CSV for {field}: column name {bad[0]!r} contains "
                            "control characters.")
    return df


def _read_csv(path: Path, field: str, required: Mapping[str, str],
              df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read a CSV (or take ``df``, read from ``path`` earlier) and check it has ``required``
    columns of the given kinds ('str', 'num', 'nonneg', 'pos'; numbers are finite and at most
    :data:`MAX_CSV_NUMBER` in size); error lines count from the file's header, so rows
    dropped earlier keep their line numbers."""
    if df is None:
        df = _load_csv(path, field)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ScenarioError(
            f"{path}: CSV for {field} lacks column(s) {missing}; expected columns "
            f"{list(required)}, found {list(df.columns)}."
        )
    if df.empty:
        raise ScenarioError(f"{path}: CSV for {field} has no rows.")
    for col, kind in required.items():
        if kind == "str":
            blank = df.index[df[col].str.strip() == ""]
            if len(blank):
                raise ScenarioError(
                    f"{path}, line {blank[0] + 2}, column '{col}': expected a value, found blank."
                )
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(float, na_value=np.nan)) \
            | (values.abs() > MAX_CSV_NUMBER)
        if kind == "nonneg":
            bad |= values < 0
        elif kind == "pos":
            bad |= values <= 0
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            expected = {"num": "a number", "nonneg": "a non-negative number",
                        "pos": "a positive number"}[kind] + f" up to {MAX_CSV_NUMBER:g}"
            raise ScenarioError(
                f"{path}, line {df.index[i] + 2}, column '{col}': expected {expected}, "
                f"found '{df[col].iloc[i]}'."
            )
        df[col] = values
    return df


MAX_CSV_NUMBER = 1e9
"""Largest number a data file may hold (units, prices, weights, dimensions, rates)."""
MAX_ITEM_IN = 1_000.0
MAX_ITEM_LB = 10_000.0
"""Largest SKU or carton dimension (inches) and weight (pounds): larger is a unit mix-up."""

ZONE_COLUMNS = tuple(str(z) for z in range(1, 9))


def _too_large(path: Path, df: pd.DataFrame, cols: list[str], limit: float, unit: str,
               field: str, scale: float | pd.Series = 1.0) -> None:
    for c in cols:
        over = np.flatnonzero((df[c] * scale).to_numpy(float) > limit)
        if len(over):
            i = int(over[0])
            raise ScenarioError(f"{path}, line {df.index[i] + 2}, column '{c}': {df[c].iloc[i]:g}"
                                f" is more than {limit:,g} {unit}; check the units ({field}).")


def _unique(path: Path, df: pd.DataFrame, cols: list[str], what: str) -> None:
    dup = np.flatnonzero(df.duplicated(subset=cols).to_numpy())
    if len(dup):
        i = int(dup[0])
        key = ", ".join(f"{c} '{df[c].iloc[i]}'" for c in cols)
        raise ScenarioError(f"{path}, line {df.index[i] + 2}: {what} {key} is listed twice.")


def _load_rates(path: Path, field: str, groups: tuple[str, ...] | None = None,
                served: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """A rate table: ``weight_lb`` 1, 2, ... N and a price column per zone 1-8; for an
    international service (``groups`` given: the scenario's destination groups) a price column
    per group it serves (``served``) instead, as rows ``9 + g`` (zones 1-8 ``inf``: it
    carries no domestic parcel; groups it does not serve ``inf`` too)."""
    cols = ZONE_COLUMNS if groups is None else served
    df = _read_csv(path, field, {"weight_lb": "pos", **{z: "nonneg" for z in cols}})
    w = df["weight_lb"].to_numpy(float)
    expected = np.arange(1, len(w) + 1, dtype=float)
    if not np.array_equal(w, expected):
        i = int(np.flatnonzero(w != expected)[0])
        raise ScenarioError(f"{path}, line {i + 2}, column 'weight_lb': expected the weight break "
                            f"{i + 1} lb (every whole pound from 1 up), found {w[i]:g}; "
                            f"weight break {i + 1} lb is missing or out of order.")
    if groups is not None:
        rates = np.full((9 + len(groups), len(w)), np.inf)
        rates[0] = 0.0
        for g in served:
            rates[9 + groups.index(g)] = df[g].to_numpy(float)
        return w, rates
    rates = np.zeros((9, len(w)))
    rates[1:] = df[list(ZONE_COLUMNS)].to_numpy(float).T
    return w, rates


def _load_cartons(path: Path, sc_tables: tuple[tuple[str, ...], np.ndarray, np.ndarray],
                  oversize_ok: bool = False) -> Cartons:
    """The carton catalog; every SKU must fit (alone) in at least one carton."""
    df = _read_csv(path, "shipping.cartons.file", {
        "carton": "str", "length_in": "pos", "width_in": "pos", "height_in": "pos",
        "max_weight_lb": "pos", "cost": "nonneg"})
    _too_large(path, df, ["length_in", "width_in", "height_in"], MAX_ITEM_IN, "inches",
               "shipping.cartons.file")
    _too_large(path, df, ["max_weight_lb"], MAX_ITEM_LB, "lb", "shipping.cartons.file")
    df["carton"] = df["carton"].str.strip()
    _unique(path, df, ["carton"], "carton")
    dims = -np.sort(-df[["length_in", "width_in", "height_in"]].to_numpy(float), axis=1)
    cartons = Cartons(names=tuple(df["carton"].str.strip()), dims_in=dims,
                      max_weight_lb=df["max_weight_lb"].to_numpy(float),
                      cost=df["cost"].to_numpy(float))
    sku_ids, sku_dims, sku_weight = sc_tables
    item = -np.sort(-sku_dims, axis=1)
    fits = np.all(item[:, None, :] <= dims[None, :, :] * (1 + 1e-9), axis=2) \
        & (sku_weight[:, None] <= cartons.max_weight_lb[None, :])
    bad = np.flatnonzero(~fits.any(axis=1))
    if len(bad) and not oversize_ok:
        k = int(bad[0])
        big = int(np.argmax(cartons.volume))
        raise ScenarioError(
            f"{path}: no carton holds SKU '{sku_ids[k]}' ({' x '.join(f'{d:g}' for d in item[k])}"
            f" in, {sku_weight[k]:g} lb); the largest carton '{cartons.names[big]}' is "
            f"{' x '.join(f'{d:g}' for d in dims[big])} in, up to "
            f"{cartons.max_weight_lb[big]:g} lb. Add a larger carton.")
    return cartons


def _read_fc_sku_table(path: Path, field: str, value: str, sc: Scenario,
                       sku_ids: tuple[str, ...], cat_path: Path
                       ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Read a table of (fc, sku, ``value``) rows, checking every FC and SKU name exists."""
    df = _read_csv(path, field, {"fc": "str", "sku": "str", value: "nonneg"})
    for c in ("fc", "sku"):
        df[c] = df[c].str.strip()
    _unique(path, df, ["fc", "sku"], "the pair")
    index = {s: i for i, s in enumerate(sku_ids)}
    # names as the optimizers write them for spreadsheets (sim.csvsafe)
    fcs, skus = (tuple(map(csv_unsafe_cell, df[c].str.strip())) for c in ("fc", "sku"))
    for i, (fc, sku) in enumerate(zip(fcs, skus, strict=True)):
        if fc not in sc.fcs:
            raise ScenarioError(f"{path}, line {i + 2}, column 'fc': unknown FC '{fc}' "
                                f"(scenario FCs: {', '.join(sc.fcs)}).")
        if sku not in index:
            raise ScenarioError(f"{path}, line {i + 2}, column 'sku': unknown SKU '{sku}' "
                                f"(not in catalog {cat_path.name}).")
    return fcs, np.array([index[k] for k in skus], np.int64), df[value].to_numpy(float)


def _read_assignment(path: Path, sc: Scenario, dest_names: tuple[str, ...],
                     sku_ids: tuple[str, ...], cat_path: Path, dest_path: Path
                     ) -> dict[str, Any]:
    """Read ``routing.assignment_file`` (region, sku, fc), checking every name and that no
    region-SKU pair is listed twice.  A file with a header and no rows is valid: every pair
    then goes to its nearest FC."""
    field = "routing.assignment_file"
    cols = ["region", "sku", "fc"]
    raw = _load_csv(path, field)
    if raw.empty and set(cols) <= set(raw.columns):
        return {"assign_dest": np.zeros(0, np.int64), "assign_sku": np.zeros(0, np.int64),
                "assign_fc": ()}
    df = _read_csv(path, field, dict.fromkeys(cols, "str"), raw)
    dest_index = {name: i for i, name in enumerate(dest_names)}  # unique: _dest_names
    sku_index = {s: i for i, s in enumerate(sku_ids)}
    dests, skus, fcs = (tuple(map(csv_unsafe_cell, df[c].str.strip())) for c in cols)
    seen: set[tuple[str, str]] = set()
    for i, (d, k, f) in enumerate(zip(dests, skus, fcs, strict=True)):
        where = f"{path}, line {i + 2}"
        if d not in dest_index:
            raise ScenarioError(f"{where}, column 'region': unknown destination '{d}' "
                                f"(not in {dest_path.name}; a name that repeats there is "
                                "written with its state, e.g. 'Columbus (OH)').")
        if k not in sku_index:
            raise ScenarioError(f"{where}, column 'sku': unknown SKU '{k}' "
                                f"(not in catalog {cat_path.name}).")
        if f not in sc.fcs:
            raise ScenarioError(f"{where}, column 'fc': unknown FC '{f}' "
                                f"(scenario FCs: {', '.join(sc.fcs)}).")
        if (d, k) in seen:
            raise ScenarioError(f"{where}: region '{d}' and SKU '{k}' are assigned twice.")
        seen.add((d, k))
    return {"assign_dest": np.array([dest_index[d] for d in dests], np.int64),
            "assign_sku": np.array([sku_index[k] for k in skus], np.int64),
            "assign_fc": fcs}


def _read_catalog(path: Path, ref: CatalogRef) -> pd.DataFrame:
    """The catalog with standard column names, in pounds and inches."""
    col = ref.column
    required = {col("sku"): "str", col("weight"): "pos", col("length"): "pos",
                col("width"): "pos", col("height"): "pos"}
    raw = _load_csv(path, "catalog.file")
    if ref.drop_incomplete:
        dims = [col(f) for f in ("weight", "length", "width", "height") if col(f) in raw]
        nums = raw[dims].apply(pd.to_numeric, errors="coerce")
        raw = raw[(nums > 0).all(axis=1)]
    for optional in ("unit_price", "popularity"):
        if col(optional) in raw.columns:
            required[col(optional)] = "nonneg"
    df = _read_csv(path, "catalog.file", required, raw)
    _too_large(path, df, [col("weight")], MAX_ITEM_LB, "lb", "catalog.file",
               WEIGHT_TO_LB[ref.weight_unit])
    _too_large(path, df, [col("length"), col("width"), col("height")], MAX_ITEM_IN, "inches",
               "catalog.file", LENGTH_TO_IN[ref.length_unit])
    out = pd.DataFrame({
        "sku": df[col("sku")].str.strip(),
        "weight_lb": df[col("weight")] * WEIGHT_TO_LB[ref.weight_unit],
        "length_in": df[col("length")] * LENGTH_TO_IN[ref.length_unit],
        "width_in": df[col("width")] * LENGTH_TO_IN[ref.length_unit],
        "height_in": df[col("height")] * LENGTH_TO_IN[ref.length_unit],
        "unit_price": df[col("unit_price")] if col("unit_price") in df else 0.0,
        "popularity": df[col("popularity")] if col("popularity") in df else 1.0,
    })
    for optional in ("category", "supplier"):
        out[optional] = (raw.loc[df.index, col(optional)].fillna("").astype(str).str.strip()
                         if col(optional) in raw.columns else "")
    dup = out["sku"][out["sku"].duplicated()]
    if len(dup):
        raise ScenarioError(f"{path}: column '{col('sku')}': SKU '{dup.iloc[0]}' appears twice.")
    if out["popularity"].sum() <= 0:
        raise ScenarioError(f"{path}: column '{col('popularity')}': all zero; nothing can be "
                            "ordered.")
    return out


def _weights_by_state(dest: pd.DataFrame, states: Mapping[str, float],
                      path: Path) -> np.ndarray:
    """Destination weights re-scaled so each state's total is its given share."""
    if "state" not in dest.columns:
        raise ScenarioError(f"{path}: demand.destinations.state_weights needs a 'state' column "
                            f"in the destinations CSV; found {list(dest.columns)}.")
    state = dest["state"].str.strip().str.upper()
    unknown = sorted(set(states) - set(state))
    if unknown:
        raise ScenarioError(f"'demand.destinations.state_weights': state(s) {unknown} have "
                            f"no destination in {path.name}.")
    w = dest["weight"].to_numpy(float)
    out = np.zeros(len(dest))
    for st, share in states.items():
        m = (state == st).to_numpy()
        total = w[m].sum()
        out[m] = share * (w[m] / total if total > 0 else 1.0 / m.sum())
    return out


def _dest_names(dest: pd.DataFrame) -> tuple[str, ...]:
    """Destination names, made unique so that files can name a destination (a routing plan,
    a report): a name that repeats gets its state, ``Columbus (OH)``, where the file has a
    ``state`` column, else its line, ``Columbus (line 12)``; without a ``name`` column,
    ``dest0``, ``dest1``, ..."""
    if "name" not in dest.columns:
        return tuple(f"dest{i}" for i in range(len(dest)))
    names = dest["name"].str.strip()
    dup = names.duplicated(keep=False).to_numpy()
    if not dup.any():
        return tuple(names)
    if "state" in dest.columns:
        tagged = names + " (" + dest["state"].str.strip() + ")"
    else:
        tagged = names + [f" (line {i + 2})" for i in range(len(dest))]
    out = np.where(dup, tagged, names)
    if len(set(out.tolist())) < len(out):  # the same name twice in one state: use lines
        out = np.where(dup, names + [f" (line {i + 2})" for i in range(len(dest))], names)
    return tuple(out.tolist())


def _load_tables(sc: Scenario, base: Path) -> ScenarioTables:
    cat_path = (base / sc.catalog.file).resolve()
    cat = _read_catalog(cat_path, sc.catalog)
    pop = cat["popularity"].to_numpy(float)
    dest_path = (base / sc.demand.destinations.file).resolve()
    dest = _read_csv(dest_path, "demand.destinations.file", {"weight": "nonneg"})
    if "zip" in dest.columns and not {"lat", "lon"} <= set(dest.columns):
        try:
            zips = [zip3_of(z) for z in dest["zip"]]
            lat, lon = load_zip3().locate(zips, f"{dest_path}, column 'zip'")
        except (ValueError, GeoError) as exc:
            raise ScenarioError(f"{dest_path}, column 'zip': {exc}.") from None
        dest["lat"], dest["lon"] = lat, lon
    else:
        dest = _read_csv(dest_path, "demand.destinations.file",
                         {"lat": "num", "lon": "num", "weight": "nonneg"})
        zips = [zip3_of(z) if str(z).strip() else "" for z in dest["zip"]] \
            if "zip" in dest.columns else []
    for col, lim in (("lat", 90), ("lon", 180)):
        out = np.flatnonzero(np.abs(dest[col].to_numpy(float)) > lim)
        if len(out):
            raise ScenarioError(f"{dest_path}, line {out[0] + 2}, column '{col}': expected a "
                                f"{'latitude' if col == 'lat' else 'longitude'} within ±{lim}.")
    if dest["weight"].sum() <= 0:
        raise ScenarioError(f"{dest_path}: column 'weight': all zero; no order has a destination.")
    zip3 = load_zip3().index()
    for name, fc in sc.fcs.items():
        if fc.zip is not None and fc.zip not in zip3:
            raise ScenarioError(f"'fcs.{name}.zip': '{fc.zip}' is not a known US 3-digit ZIP "
                                "prefix.")
    rates = {name: _load_rates((base / svc.rates).resolve(), f"services.{name}.rates",
                               tuple(sc.international.groups) if svc.international else None,
                               tuple(svc.transit_days_by_group))
             for name, svc in sc.services.items()}
    domestic = [n for n, svc in sc.services.items() if not svc.international] or list(rates)
    if rates:  # a service takes parcels up to its heaviest weight break; some (domestic)
        # service must take each SKU alone
        heaviest = max(float(rates[n][0][-1]) for n in domestic)
        k = int(np.argmax(cat["weight_lb"].to_numpy(float)))
        if math.ceil(cat["weight_lb"].iloc[k] - 1e-9) > heaviest:
            raise ScenarioError(
                f"'services': no service takes SKU '{cat['sku'].iloc[k]}' "
                f"({cat['weight_lb'].iloc[k]:g} lb): the heaviest weight break of any rate "
                f"table is {heaviest:g} lb; extend a rate table (services.<name>.rates).")
    cartons = None if sc.shipping.cartons is None else _load_cartons(
        (base / sc.shipping.cartons.file).resolve(),
        (tuple(cat["sku"]), cat[["length_in", "width_in", "height_in"]].to_numpy(float),
         cat["weight_lb"].to_numpy(float)), sc.shipping.oversize == "own_box")
    chart = None
    if sc.carrier.zone_chart is not None:
        try:
            df, _ = read_zone_chart((base / sc.carrier.zone_chart).resolve())
        except GeoError as exc:
            raise ScenarioError(f"'carrier.zone_chart': {exc}") from None
        chart = dict(zip(zip(df["origin"], df["dest"], strict=True),
                         np.minimum(df["zone"], 8).tolist(), strict=True))
    if sc.demand.destinations.state_weights is not None:
        dest["weight"] = _weights_by_state(dest, sc.demand.destinations.state_weights, dest_path)
    names = _dest_names(dest)
    sku_ids = tuple(cat["sku"])
    kw: dict[str, Any] = {}
    if sc.inventory.file is not None:
        fc_col, sku_col, units = _read_fc_sku_table(
            (base / sc.inventory.file).resolve(), "inventory.file", "units", sc, sku_ids,
            cat_path)
        if np.any(units != np.round(units)):
            i = int(np.flatnonzero(units != np.round(units))[0])
            raise ScenarioError(f"{(base / sc.inventory.file).resolve()}, line {i + 2}, "
                                "column 'units': expected whole units.")
        kw = {"stock_fc": fc_col, "stock_sku": sku_col, "stock_units": units.astype(np.int64)}
    if sc.inventory.forecast_file is not None:
        fc_col, sku_col, rate = _read_fc_sku_table(
            (base / sc.inventory.forecast_file).resolve(), "inventory.forecast_file",
            "units_per_day", sc, sku_ids, cat_path)
        kw |= {"forecast_fc": fc_col, "forecast_sku": sku_col, "forecast_units": rate}
    dest_lat, dest_lon = dest["lat"].to_numpy(float), dest["lon"].to_numpy(float)
    dest_weight = dest["weight"].to_numpy(float) / dest["weight"].sum()
    popularity = pop / pop.sum()
    if sc.demand.mode == "replay":  # the file's destinations and SKU mix replace the model's
        assert sc.demand.orders_file is not None
        replay = read_replay((base / sc.demand.orders_file).resolve(), sku_ids,
                             list(sc.demand.channels), tuple(sc.international.groups)
                             if sc.international.on else ())
        names, zips = replay.zip3, list(replay.zip3)
        dest_lat, dest_lon, dest_weight = replay.dest_lat, replay.dest_lon, replay.dest_weight()
        units = replay.sku_units(len(sku_ids))
        popularity = units / units.sum()
        kw["replay"] = replay
    if sc.routing.assignment_file is not None:
        kw |= _read_assignment((base / sc.routing.assignment_file).resolve(), sc, names,
                               sku_ids, cat_path, dest_path)
    return ScenarioTables(
        sku_ids=sku_ids,
        sku_weight_lb=cat["weight_lb"].to_numpy(float),
        sku_dims_in=cat[["length_in", "width_in", "height_in"]].to_numpy(float),
        sku_unit_price=cat["unit_price"].to_numpy(float),
        sku_popularity=popularity,
        sku_category=tuple(cat["category"]),
        sku_supplier=tuple(cat["supplier"]),
        dest_names=names,
        dest_lat=dest_lat,
        dest_lon=dest_lon,
        dest_weight=dest_weight,
        dest_zip3=tuple(zips),
        zone_chart=chart,
        service_rates=rates,
        cartons=cartons,
        **kw,
    )




def _check_suppliers(sc: Scenario, path: Path) -> None:
    """Every SKU that is replenished needs a supplier (named in the catalog's ``supplier``
    column, else the one serving its class)."""
    t = sc.tables
    cat_file = sc.catalog.file
    suppliers = sc.supplier_table()
    for sku, sup in zip(t.sku_ids, t.sku_supplier, strict=True):
        if sup and sup not in suppliers:
            raise ScenarioError(f"{cat_file}: column 'supplier': SKU '{sku}' names supplier "
                                f"'{sup}', which is not in [suppliers] ({', '.join(suppliers)}).")
    rep = sc.replenishment
    by_class = {c: n for n, s in suppliers.items() for c in s.classes}
    cls = sku_classes(t.sku_popularity, rep.a_share, rep.b_share)
    for sku, sup, c in zip(t.sku_ids, t.sku_supplier, cls.tolist(), strict=True):
        name = CLASS_NAMES[c]
        if sup or rep.for_class(name).policy == "none" or name in by_class:
            continue
        raise ScenarioError(
            f"{path}: field 'suppliers': SKU '{sku}' (class {name}) is replenished "
            f"('{rep.for_class(name).policy}') but has no supplier: list class '{name}' in "
            "some [suppliers.<name>] classes, or name its supplier in the catalog's "
            "'supplier' column.")
