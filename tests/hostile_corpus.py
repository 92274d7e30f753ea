"""A hostile corpus of scenario files: every field attacked, one thing per file.

``generate(dest)`` writes the corpus into ``dest`` (deterministically: the only randomness is
a ``random.Random`` with a fixed seed) and returns its :class:`Case` list.  Each case is one
scenario file and what must happen to it:

* ``expect = "refuse"``: ``fulfill validate FILE`` exits 2 with a one-paragraph message that
  names the file (a basename in ``Case.names``); with ``refuse_at = "run"`` the problem can only
  show while simulating (a user's policy that fails), so ``validate`` may pass and
  ``fulfill run FILE --days 1`` must then exit 2 the same way.
* ``expect = "accept"``: valid (if odd) input: ``validate`` and ``run --days 1`` exit 0.

Whatever the expectation: no traceback, no hang, no raw escape byte (ESC) in the output, and
none of the marker files a hostile file tries to create (``PWNED*``, ``ESCAPED*``).

Layout of ``dest``::

    cases/        the scenario files and the data files they share (base_*.toml are the
                  valid bases every mutation starts from)
    cases/<sub>/  cases that need their own folder (a user's policy module beside them)
    chain/        the 1,500-file ``extends`` chain
    _cwd/         the working directory to run the cases in; holds a policy module that only
                  an import from the current directory could find

The bases (all standalone files, so a mutation can also *delete* a key):

* ``small``: ``tests/data/bad/base.toml`` (two FCs, five SKUs, five destinations, a stock
  file, the flat-rate carrier of ``[carrier]``).
* ``full``: the same network with what ``scenarios/baseline.toml`` adds: two services with
  rate tables, cartons, rate shopping, class-based replenishment with two suppliers, holds,
  transfers, returns, receiving, service pickups, seasonality, state weights.
* ``rule``: ``small`` with stock by rule (``days_of_demand``) and the short replenishment form
  (``reorder_point_days`` / ``order_up_to_days`` / ``lead_time_days``).
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import math
import os
import random
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tomli_w

__all__ = ["Case", "generate", "sample", "to_json"]

SEED = 20260521
ALL7 = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MARKER = "PWNED"  # files a hostile case tries to create; none may ever appear
ESCAPED = "ESCAPED"  # results written outside the results folder by a hostile name


@dataclass(frozen=True)
class Case:
    """One scenario file and what must happen to it (see the module docstring)."""

    file: Path
    expect: str  # "refuse" | "accept"
    what: str
    category: str = ""
    names: tuple[str, ...] = ()  # a refusal must name one of these (basenames)
    refuse_at: str = "validate"  # "validate" | "run"
    must_match: str = ""  # regex the refusal must match (e.g. a memory estimate)
    must_show: tuple[str, ...] = ()  # literal text validate's output must contain
    must_not_show: tuple[str, ...] = ()  # text no output may contain
    default_out: bool = False  # run without --out (results/<name>-seed<seed> in the cwd)
    slow: bool = False  # left out of the quick sample
    key: bool = False  # always in the quick sample

    @property
    def id(self) -> str:
        if self.file.name == "cases":  # the folder of cases, given as the scenario
            return "cases/"
        return self.file.name if self.file.parent.name in ("cases", "") \
            else f"{self.file.parent.name}/{self.file.name}"


def to_json(cases: Iterable[Case]) -> list[dict[str, Any]]:
    return [{**asdict(c), "file": str(c.file), "id": c.id} for c in cases]


# ------------------------------------------------------------------------------ base data
SKUS_CSV = """sku,name,category,weight_lb,length_in,width_in,height_in,unit_price,popularity
T-001,Test Headlamp,Sports & Outdoors,0.37,5.5,3.4,2.6,24.99,0.30
T-002,Test Sweater,Apparel,2.07,13.7,10.3,2.4,62.99,0.25
T-003,Test Skillet,Kitchen,2.08,14.4,8.9,2.5,49.99,0.20
T-004,Test Storage Bins,Home Goods,2.66,14.8,13.0,8.6,23.99,0.15
T-005,Test Phone Case,Electronics,0.12,6.5,3.5,0.6,14.99,0.10
"""
SKU_HEADER = SKUS_CSV.splitlines()[0]
SKU_ROWS = SKUS_CSV.splitlines()[1:]

DEST_CSV = """name,state,lat,lon,weight
New York City,NY,40.7143,-74.0060,8804190
Los Angeles,CA,34.0522,-118.2437,3820914
Chicago,IL,41.8500,-87.6500,2664452
Houston,TX,29.7633,-95.3633,2314157
Phoenix,AZ,33.4484,-112.0740,1650070
"""
DEST_ZIP_CSV = """name,zip,weight
Manhattan,10001,5
Beverly Hills,90210,3
Lincoln Park,60614,2
"""

INVENTORY_CSV = "fc,sku,units\n" + "".join(
    f"{fc},T-00{k},{u}\n" for fc in ("east", "west")
    for k, u in zip(range(1, 6), (200, 150, 100, 80, 60), strict=True))
FORECAST_CSV = "fc,sku,units_per_day\n" + "".join(
    f"{fc},T-00{k},{u}\n" for fc in ("east", "west")
    for k, u in zip(range(1, 6), (9, 7, 5, 4, 3), strict=True))
ASSIGN_CSV = "region,sku,fc\nNew York City,T-001,east\nLos Angeles,T-002,west\n"
ZONE_CSV = "origin_zip,dest_zip,zone\n100,902,8\n902,100,8\n100,606,5\n902,606,7\n"


def _rates(first: float, step: float, rows: int = 30) -> str:
    lines = ["weight_lb," + ",".join(str(z) for z in range(1, 9))]
    for w in range(1, rows + 1):
        lines.append(f"{w}," + ",".join(f"{first + step * (w - 1) + z:.2f}" for z in range(8)))
    return "\n".join(lines) + "\n"


RATES_GROUND = _rates(7.0, 1.0)
RATES_AIR = _rates(20.0, 2.5)
RATES_INTL = "weight_lb,canada\n" + "".join(f"{w},{18 + 1.6 * (w - 1):.2f}\n"
                                           for w in range(1, 31))
CARTONS_CSV = """carton,length_in,width_in,height_in,max_weight_lb,cost
mailer,12,9,3,5,0.10
box_m,16,12,8,30,0.60
box_l,20,16,12,50,0.95
"""


def _fc(lat: float, lon: float, wage: float) -> dict[str, Any]:
    return {
        "lat": lat, "lon": lon, "labor_cost_per_hour": wage,
        "pickup_cutoffs_h": [16.0],
        "pick_time": {"per_order_min": 1.0, "per_line_min": 0.5},
        "pack_time": {"per_order_min": 1.2, "per_line_min": 0.3},
        "shifts": {"day": {"days": ["mon", "tue", "wed", "thu", "fri"], "start_h": 8.0,
                           "end_h": 16.0, "pickers": 2, "packers": 2}},
    }


SMALL: dict[str, Any] = {
    "name": "hostile-small",
    "description": "tests/data/bad/base.toml: two FCs, five SKUs, five destinations.",
    "run": {"start_date": dt.date(2026, 10, 5), "horizon_days": 3, "warmup_days": 1,
            "seed": 7},
    "catalog": {"file": "skus.csv"},
    "demand": {"orders_per_day": 50, "destinations": {"file": "dest.csv"},
               "channels": {"webstore": {"share": 0.6, "promise_days": 5},
                            "marketplace": {"share": 0.4, "promise_days": 3}}},
    "inventory": {"file": "inventory.csv"},
    "carrier": {"transit_days_by_zone": [1, 1, 2, 2, 3, 4, 5, 5],
                "cost_by_zone": [7.60, 7.95, 8.40, 9.10, 10.20, 11.30, 12.10, 13.00]},
    "routing": {"policy": "nearest"},
    "fcs": {"east": _fc(41.25, -75.88, 22.0), "west": _fc(34.05, -118.24, 25.0)},
}


def _full_fc(lat: float, lon: float, wage: float) -> dict[str, Any]:
    return {
        "lat": lat, "lon": lon, "labor_cost_per_hour": wage,
        "pickup_cutoffs_h": [12.0, 18.0], "pickup_days": ALL7[:6],
        "pick_time": {"per_order_min": 1.0, "per_line_min": 0.5, "per_unit_min": 0.15,
                      "dist": "lognormal", "cv": 0.5},
        "pack_time": {"per_order_min": 1.2, "per_line_min": 0.3, "per_unit_min": 0.1,
                      "dist": "gamma", "cv": 0.4},
        "receiving": {"units_per_day": 500, "putaway_h": 4.0},
        "service_pickups": {"two_day": {"pickup_cutoffs_h": [19.0], "pickup_days": ALL7[:5]}},
        "shifts": {"day": {"days": list(ALL7), "start_h": 6.0, "end_h": 22.0, "pickers": 2,
                           "packers": 2}},
    }


FULL: dict[str, Any] = {
    "name": "hostile-full",
    "description": "Two FCs with services, cartons, suppliers, returns and transfers.",
    "run": {"start_date": dt.date(2026, 10, 5), "horizon_days": 3, "warmup_days": 1,
            "seed": 11},
    "network": {"open_fcs": ["east", "west"]},
    "catalog": {"file": "skus.csv"},
    "demand": {
        "orders_per_day": 60,
        "hour_profile": [1.2, 0.8, 0.5, 0.4, 0.4, 0.6, 1.2, 2.2, 3.4, 4.6, 5.4, 5.8,
                         6.0, 5.9, 5.6, 5.4, 5.3, 5.5, 6.0, 6.6, 7.0, 6.4, 4.6, 2.6],
        "weekday_profile": [1.15, 1.10, 1.05, 1.00, 0.95, 0.85, 0.90],
        "seasonality": [{"start": dt.date(2026, 10, 6), "end": dt.date(2026, 10, 7),
                         "multiplier": 1.5}],
        "channels": {"web": {"share": 0.7, "promise_days": 4},
                     "market": {"share": 0.3, "promise_days": 2}},
        "lines_per_order": {"dist": "shifted_geometric", "mean": 1.5, "max": 6},
        "units_per_line": {"dist": "empirical", "values": [1, 2, 3], "weights": [7, 2, 1]},
        "destinations": {"file": "dest.csv",
                         "state_weights": {"NY": 40, "CA": 30, "IL": 20, "TX": 10}},
        "daily_cv": 0.2,
    },
    "inventory": {"file": "inventory.csv"},
    "replenishment": {
        "holding_cost_rate": 0.25, "a_share": 0.8, "b_share": 0.95,
        "classes": {
            "A": {"policy": "sS", "s_days": 2, "S_days": 6},
            "B": {"policy": "RS", "S_days": 7, "review_weekday": "tue", "review_hour": 1.0,
                  "review_period_days": 7},
            "C": {"policy": "rQ", "s_units": 10, "Q_units": 50},
        },
    },
    "suppliers": {
        "acme": {"lead_time_days": {"mean": 2, "dist": "gamma", "cv": 0.3,
                                    "business_days": True},
                 "classes": ["A", "B"], "moq_units": 10, "case_pack": 6,
                 "fixed_cost_per_po": 50.0, "unit_cost_share": 0.45},
        "globex": {"lead_time_days": {"mean": 10}, "classes": ["C"], "case_pack": 12},
    },
    "hold": {"mode": "split", "cancel_after_days": 5},
    "transfers": {"policy": "rebalance", "review_hour": 1.0, "trigger_days": 1,
                  "target_days": 3, "donor_keep_days": 5, "lead_time_days": 1,
                  "cost_per_unit": 0.5},
    "returns": {"probability": 0.05, "by_category": {"Apparel": 0.2},
                "delay_days": {"mean": 1, "dist": "gamma", "cv": 0.5}, "label_cost": 7.5,
                "inspect_min_per_unit": 2.0, "restock_probability": 0.8, "dock_hour": 10.0,
                "restock_after_h": 4.0},
    "quality": {"mispick_probability": 0.01, "mispick_by_class": {"C": 0.02},
                "pack_check": True, "pack_check_catch_share": 0.9,
                "pack_check_sec_per_unit": 3.0, "repick_min_per_line": 2.0,
                "contact_delay_days": 1.0, "wrong_item_return_days": 1.0,
                "wrong_item_restock_probability": 0.8, "address_error_probability": 0.02,
                "address_corrected_share": 0.5, "address_correction_delay_days": 0.5},
    "intake": {"review_probability": 0.01, "channels": {"market": {"review_probability": 0.05}},
               "reasons": {"address": {"share": 0.5, "corrected": 0.8, "cancelled": 0.1},
                           "fraud": {"share": 0.3, "cancelled": 0.5},
                           "payment": {"share": 0.2, "cancelled": 0.3}},
               "review_min": {"mean": 30, "dist": "lognormal", "cv": 0.8},
               "hours": [8.0, 20.0], "days": ALL7[:5]},
    "international": {"share": {"market": 0.05}, "ddp_channels": ["market"],
                      "groups": {"canada": {"weight": 1.0, "lat": 43.7, "lon": -79.4,
                                            "customs_h": {"mean": 24.0, "dist": "lognormal",
                                                          "cv": 0.8},
                                            "duty_rate": 0.13, "de_minimis": 29.0,
                                            "exception_probability": 0.01,
                                            "return_label_cost": 18.0,
                                            "promise_extra_days": 4,
                                            "countries": ["CA", "Canada"]}}},
    "carrier": {"zone_max_miles": [50, 150, 300, 600, 1000, 1400, 1800], "delivery_hour": 17},
    "services": {
        "ground": {"carrier": "UPS", "rates": "rates_ground.csv", "dim_divisor": 139,
                   "dim_min_cubic_in": 0, "fuel_surcharge_pct": 15.5,
                   "residential_surcharge": 5.45, "transit_days_by_zone": [1, 1, 2, 2, 3, 4, 5, 5],
                   "late_probability": 0.04, "exception_probability": 0.003,
                   "damage_probability": 0.01, "address_correction_fee": 23.5,
                   "return_to_sender_fee": 10.0, "business_days": True},
        "two_day": {"carrier": "UPS", "rates": "rates_air.csv", "dim_divisor": 139,
                    "transit_days_by_zone": [2] * 8, "pickup_cutoffs_h": [17.0],
                    "pickup_days": ALL7[:5], "business_days": False},
        "intl": {"carrier": "USPS", "rates": "rates_intl.csv", "international": True,
                 "transit_days_by_group": {"canada": 5}, "exception_probability": 0.01},
    },
    "shipping": {"policy": "rate_shop", "cartons": {"file": "cartons.csv"},
                 "oversize": "error"},
    "routing": {"policy": "nearest", "params": {"max_shipments": 3}},
    "fcs": {"east": _full_fc(41.25, -75.88, 22.0), "west": _full_fc(34.05, -118.24, 25.0)},
}

RULE: dict[str, Any] = {
    **copy.deepcopy(SMALL),
    "name": "hostile-rule",
    "inventory": {"rule": "days_of_demand", "days": 5},
    "replenishment": {"policy": "min_max", "reorder_point_days": 1.0, "order_up_to_days": 3.0,
                      "lead_time_days": 2.0},
}
RULE["fcs"] = {n: {**fc, "shifts": {"day": {**fc["shifts"]["day"], "days": list(ALL7)}}}
               for n, fc in RULE["fcs"].items()}

BASES = {"small": SMALL, "full": FULL, "rule": RULE}


# ------------------------------------------------------------------------------ helpers
class _Raw:
    """A TOML value written verbatim (``inf``, a deep nest, ...)."""

    def __init__(self, text: str) -> None:
        self.text = text


Path_ = tuple[Any, ...]


def _split(path: str) -> Path_:
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


def _get(d: Any, path: Path_) -> Any:
    for p in path:
        d = d[p]
    return d


def _set(d: Any, path: Path_, value: Any) -> None:
    for p in path[:-1]:
        if isinstance(p, str) and p not in d:
            d[p] = {}
        d = d[p]
    d[path[-1]] = value


def _del(d: Any, path: Path_) -> None:
    for p in path[:-1]:
        d = d[p]
    del d[path[-1]]


def _slug(text: str, limit: int = 80) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return (s or "x")[:limit]


def _toml(data: Mapping[str, Any]) -> str:
    return tomli_w.dumps(dict(data))


def _toml_string(s: str) -> str:
    """A TOML basic string (escapes what must be escaped)."""
    return tomli_w.dumps({"x": s})[4:].strip()


class _Gen:
    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.cases_dir = dest / "cases"
        self.cwd = dest / "_cwd"
        self.cases: list[Case] = []
        self.rng = random.Random(SEED)
        self.seen: set[str] = set()

    # -- writing
    def file(self, name: str, content: str | bytes, sub: str | None = None) -> Path:
        d = self.cases_dir / sub if sub else self.cases_dir
        d.mkdir(parents=True, exist_ok=True)
        p = d / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8", newline="\n")
        return p

    def _unique(self, stem: str, sub: str | None) -> str:
        key = f"{sub}/{stem}" if sub else stem
        n, base = 2, stem
        while key in self.seen:
            stem = f"{base}-{n}"
            key = f"{sub}/{stem}" if sub else stem
            n += 1
        self.seen.add(key)
        return stem

    def add(self, category: str, slug: str, content: Mapping[str, Any] | str | bytes | None,
            expect: str, what: str, *, sub: str | None = None, filename: str | None = None,
            names: Iterable[str] = (), **kw: Any) -> Case:
        """Write one scenario file (a dict is written as TOML) and record its case."""
        if filename is None:
            stem = self._unique(f"{category}__{_slug(slug)}", sub)
            filename = stem + ".toml"
        if content is not None:
            if isinstance(content, Mapping):
                content = _toml(content)
            path = self.file(filename, content, sub)
        else:
            path = (self.cases_dir / sub if sub else self.cases_dir) / filename
        names = tuple(path.name if n == "@scenario" else n for n in names) or (path.name,)
        case = Case(file=path, expect=expect, what=what, category=category, names=names, **kw)
        self.cases.append(case)
        return case

    def variant(self, base: str, category: str, slug: str, expect: str, what: str,
                change: Callable[[dict[str, Any]], None] | None = None, **kw: Any) -> Case:
        data = copy.deepcopy(BASES[base])
        if change is not None:
            change(data)
        return self.add(category, slug, data, expect, what, **kw)


def _sets(*pairs: tuple[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        for path, value in pairs:
            _set(d, _split(path), value)
    return change


def _dels(*paths: str) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        for path in paths:
            _del(d, _split(path))
    return change


# ------------------------------------------------------------------------------ numbers
@dataclass(frozen=True)
class Dom:
    """The valid range of a numeric field, and the exceptions to the generic rules."""

    kind: str  # "float" | "int"
    lo: float | None = None
    lo_open: bool = False
    hi: float | None = None
    hi_open: bool = False
    zero: str | None = None  # expectation of 0 if it differs from the range check
    neg: str | None = None  # ... of -1
    big: str | None = None  # ... of 2**63
    note: str = ""

    def contains(self, v: float) -> bool:
        if self.lo is not None and (v < self.lo or (self.lo_open and v == self.lo)):
            return False
        return not (self.hi is not None and (v > self.hi or (self.hi_open and v == self.hi)))


F_NONNEG = Dom("float", 0)
F_POS = Dom("float", 0, True)
I_NONNEG = Dom("int", 0)
PROB = Dom("float", 0, False, 1)
HOUR = Dom("float", 0, False, 24, True)

# Every numeric field (a path into the base named first).  Expectations: inf, -inf, nan,
# 1e300, 2**63 and every wrong type are refused; -1 and 0 by the range, unless noted.
NUMERIC: list[tuple[str, str, Dom]] = [
    ("full", "run.horizon_days", F_POS),
    ("full", "run.warmup_days", Dom("float", 0)),
    ("full", "run.seed", Dom("int", 0, note="2**63 does not fit the int64 the seed is "
                                            "stored in")),
    ("full", "fcs.east.lat", Dom("float", -90, False, 90)),
    ("full", "fcs.east.lon", Dom("float", -180, False, 180)),
    ("full", "fcs.east.labor_cost_per_hour", F_NONNEG),
    ("full", "fcs.east.pick_time.per_order_min", F_NONNEG),
    ("full", "fcs.east.pick_time.per_line_min", F_NONNEG),
    ("full", "fcs.east.pick_time.per_unit_min", F_NONNEG),
    ("full", "fcs.east.pick_time.cv", Dom("float", 0, zero="refuse",
                                          note="lognormal needs cv > 0")),
    ("full", "fcs.east.pack_time.per_order_min", F_NONNEG),
    ("full", "fcs.east.pack_time.cv", Dom("float", 0, zero="refuse", note="gamma needs cv > 0")),
    ("full", "fcs.east.pickup_cutoffs_h.0", HOUR),
    ("full", "fcs.east.receiving.units_per_day", I_NONNEG),
    ("full", "fcs.east.receiving.putaway_h", F_NONNEG),
    ("full", "fcs.east.service_pickups.two_day.pickup_cutoffs_h.0", HOUR),
    ("full", "fcs.east.shifts.day.start_h", HOUR),
    ("full", "fcs.east.shifts.day.end_h", Dom("float", 0, True, 48)),
    ("full", "fcs.east.shifts.day.pickers", Dom("int", 0, zero="refuse",
                                                note="the FC's only shift")),
    ("full", "fcs.east.shifts.day.packers", Dom("int", 0, zero="refuse",
                                                note="the FC's only shift")),
    ("full", "demand.orders_per_day", F_POS),
    ("full", "demand.hour_profile.0", F_NONNEG),
    ("full", "demand.weekday_profile.0", F_NONNEG),
    ("full", "demand.seasonality.0.multiplier", F_NONNEG),
    ("full", "demand.channels.web.share", Dom("float", 0, True, 1,
                                              note="shares must also sum to 1")),
    ("full", "demand.channels.web.promise_days", Dom("int", 0, False, 60)),
    ("full", "demand.lines_per_order.mean", Dom("float", 1)),
    ("full", "demand.lines_per_order.max", Dom("int", 1, False, 10_000)),
    ("full", "demand.units_per_line.values.0", Dom("int", 1)),
    ("full", "demand.units_per_line.weights.0", F_NONNEG),
    ("full", "demand.daily_cv", F_NONNEG),
    ("full", "demand.destinations.state_weights.NY", F_NONNEG),
    ("full", "replenishment.holding_cost_rate", F_NONNEG),
    ("full", "replenishment.a_share", Dom("float", 0, True, 1)),
    ("full", "replenishment.b_share", Dom("float", 0, True, 1)),
    ("full", "replenishment.classes.A.s_days", F_NONNEG),
    ("full", "replenishment.classes.A.S_days", Dom("float", 0, zero="refuse",
                                                   note="s (2) must be below S")),
    ("full", "replenishment.classes.B.S_days", F_NONNEG),
    ("full", "replenishment.classes.B.review_hour", HOUR),
    ("full", "replenishment.classes.B.review_period_days", Dom("int", 1)),
    ("full", "replenishment.classes.C.s_units", I_NONNEG),
    ("full", "replenishment.classes.C.Q_units", Dom("int", 1)),
    ("full", "suppliers.acme.lead_time_days.mean", F_NONNEG),
    ("full", "suppliers.acme.lead_time_days.cv", Dom("float", 0, zero="refuse",
                                                     note="gamma needs cv > 0")),
    ("full", "suppliers.acme.moq_units", I_NONNEG),
    ("full", "suppliers.acme.case_pack", Dom("int", 1)),
    ("full", "suppliers.acme.fixed_cost_per_po", F_NONNEG),
    ("full", "suppliers.acme.unit_cost_share", Dom("float", 0, True, 1)),
    ("full", "hold.cancel_after_days", F_POS),
    ("full", "transfers.review_hour", HOUR),
    ("full", "transfers.trigger_days", F_NONNEG),
    ("full", "transfers.target_days", Dom("float", 0, zero="refuse",
                                          note="trigger_days (1) < target_days")),
    ("full", "transfers.donor_keep_days", Dom("float", 0, zero="refuse",
                                              note="target_days (3) <= donor_keep_days")),
    ("full", "transfers.lead_time_days", F_NONNEG),
    ("full", "transfers.cost_per_unit", F_NONNEG),
    ("full", "returns.probability", PROB),
    ("full", "returns.by_category.Apparel", PROB),
    ("full", "returns.delay_days.mean", F_NONNEG),
    ("full", "returns.label_cost", F_NONNEG),
    ("full", "returns.inspect_min_per_unit", F_NONNEG),
    ("full", "returns.restock_probability", PROB),
    ("full", "returns.dock_hour", HOUR),
    ("full", "returns.restock_after_h", F_NONNEG),
    ("full", "quality.mispick_probability", PROB),
    ("full", "quality.mispick_by_class.C", PROB),
    ("full", "quality.pack_check_catch_share", PROB),
    ("full", "quality.pack_check_sec_per_unit", Dom("float", 0, False, 3600)),
    ("full", "quality.repick_min_per_line", F_NONNEG),
    ("full", "quality.contact_delay_days", F_NONNEG),
    ("full", "quality.wrong_item_return_days", F_NONNEG),
    ("full", "quality.wrong_item_restock_probability", PROB),
    ("full", "quality.address_error_probability", PROB),
    ("full", "quality.address_corrected_share", PROB),
    ("full", "quality.address_correction_delay_days", F_NONNEG),
    ("full", "intake.review_probability", PROB),
    ("full", "intake.channels.market.review_probability", PROB),
    ("full", "intake.reasons.address.share", Dom("float", 0, False, 1, zero="refuse",
                                                 note="shares must also sum to 1")),
    ("full", "intake.reasons.address.corrected", Dom("float", 0, False, 1,
                                                     note="corrected + cancelled <= 1")),
    ("full", "intake.reasons.fraud.cancelled", PROB),
    ("full", "intake.review_min.mean", Dom("float", 0, False, 10_000)),
    ("full", "intake.review_min.cv", Dom("float", 0, False, 10, zero="refuse",
                                         note="lognormal needs cv > 0")),
    ("full", "intake.hours.0", HOUR),
    ("full", "intake.hours.1", Dom("float", 8, True, 32,
                                   note="after the start, at most 24 hours later")),
    ("full", "international.share.market", PROB),
    ("full", "international.groups.canada.weight", Dom("float", 0, True, 1e6)),
    ("full", "international.groups.canada.lat", Dom("float", -90, False, 90)),
    ("full", "international.groups.canada.lon", Dom("float", -180, False, 180)),
    ("full", "international.groups.canada.customs_h.mean", Dom("float", 0, False, 8760)),
    ("full", "international.groups.canada.customs_h.cv", Dom("float", 0, False, 10,
                                                            zero="refuse",
                                                            note="lognormal needs cv > 0")),
    ("full", "international.groups.canada.duty_rate", PROB),
    ("full", "international.groups.canada.de_minimis", F_NONNEG),
    ("full", "international.groups.canada.exception_probability", PROB),
    ("full", "international.groups.canada.return_label_cost", F_NONNEG),
    ("full", "international.groups.canada.promise_extra_days", Dom("int", 0, False, 60)),
    ("full", "services.intl.transit_days_by_group.canada", Dom("int", 0, False, 60)),
    ("full", "services.ground.damage_probability", PROB),
    ("full", "services.ground.address_correction_fee", F_NONNEG),
    ("full", "services.ground.return_to_sender_fee", F_NONNEG),
    ("full", "carrier.zone_max_miles.0", F_POS),
    ("full", "carrier.zone_max_miles.6", Dom("float", 1400, True,
                                             note="the 7 bounds must increase")),
    ("full", "carrier.delivery_hour", HOUR),
    ("full", "services.ground.dim_divisor", Dom("float", 0, True,
                                                note="0 divides by zero; leave it out for no "
                                                     "dimensional weight")),
    ("full", "services.ground.dim_min_cubic_in", F_NONNEG),
    ("full", "services.ground.fuel_surcharge_pct", F_NONNEG),
    ("full", "services.ground.residential_surcharge", F_NONNEG),
    ("full", "services.ground.transit_days_by_zone.0", Dom("int", 0, False, 30)),
    ("full", "services.ground.late_probability", PROB),
    ("full", "services.ground.exception_probability", PROB),
    ("full", "services.two_day.pickup_cutoffs_h.0", HOUR),
    ("full", "routing.params.max_shipments", Dom("int", 1)),
    ("small", "carrier.cost_by_zone.0", F_NONNEG),
    ("small", "carrier.transit_days_by_zone.0", Dom("int", 0, False, 30)),
    ("rule", "inventory.days", F_NONNEG),
    ("rule", "replenishment.reorder_point_days", F_NONNEG),
    ("rule", "replenishment.order_up_to_days", Dom("float", 0, zero="refuse",
                                                   note="s (1 day) must be below S")),
    ("rule", "replenishment.lead_time_days", F_NONNEG),
]

SPECIAL = [  # tag, category, TOML value
    ("inf", "num-inf", math.inf),
    ("-inf", "num-minus-inf", -math.inf),
    ("nan", "num-nan", math.nan),
    ("1e300", "num-huge", 1e300),
    ("2^63", "num-2pow63", 2 ** 63),
]
WRONG_TYPES = [  # tag, value
    ("str-inf", "inf"),  # a string that float() reads as infinity
    ("array", [1]),
    ("table", {"value": 1}),
    ("bool", True),
    ("datetime", dt.datetime(2026, 10, 5, 8, 30)),
    ("str-nan", "NaN"),
    ("str-words", "12 units"),
    ("str-1e999", "1e999"),
]


def _numeric(g: _Gen) -> None:
    for i, (base, path, dom) in enumerate(NUMERIC):
        p = _split(path)
        note = f" ({dom.note})" if dom.note else ""
        for tag, cat, value in SPECIAL:
            expect = "refuse"
            if tag == "2^63" and dom.big:
                expect = dom.big
            g.variant(base, cat, f"{path}={tag}", expect,
                      f"{path} = {tag}: not a usable value{note}", _sets((path, value)))
        neg = -1 if dom.kind == "int" else -1.0
        expect = dom.neg or ("accept" if dom.contains(neg) else "refuse")
        g.variant(base, "num-negative", f"{path}=-1", expect,
                  f"{path} = -1{note}", _sets((path, neg)))
        zero = 0 if dom.kind == "int" else 0.0
        if _get(BASES[base], p) != zero:
            expect = dom.zero or ("accept" if dom.contains(0) else "refuse")
            g.variant(base, "num-zero", f"{path}=0", expect, f"{path} = 0{note}",
                      _sets((path, zero)))
        for tag, value in (WRONG_TYPES[i % len(WRONG_TYPES)],
                           WRONG_TYPES[(i + 3) % len(WRONG_TYPES)]):
            g.variant(base, f"type-{tag.split('-')[0]}", f"{path}={tag}", "refuse",
                      f"{path} = {value!r}: wrong type for a number (TOML has numbers)",
                      _sets((path, value)))


def _sane_values(g: _Gen) -> None:
    """Large or odd but finite and sane values: accepted."""
    for path, value, what in [
        ("demand.orders_per_day", 3000, "3,000 orders a day"),
        ("demand.orders_per_day", 0.01, "one order every hundred days"),
        ("fcs.east.labor_cost_per_hour", 1e4, "an expensive FC"),
        ("fcs.east.shifts.day.pickers", 500, "500 pickers"),
        ("fcs.east.shifts.day.end_h", 30.0, "a shift past midnight (6 to 30)"),
        ("fcs.east.pickup_cutoffs_h", [23.999999], "a cut-off just before midnight"),
        ("run.horizon_days", 365.0, "a year (--days 1 overrides it)"),
        ("run.warmup_days", 2.999, "warm-up just below the horizon"),
        ("services.ground.dim_divisor", 166, "the USPS dim divisor"),
        ("returns.probability", 1.0, "every line returned"),
        ("services.ground.exception_probability", 1.0, "every parcel lost"),
        ("suppliers.acme.lead_time_days.mean", 365.0, "a year of lead time"),
        ("demand.hour_profile", [0.0] * 23 + [1.0], "all orders at 23:00"),
        ("demand.weekday_profile", [1.0, 0, 0, 0, 0, 0, 0], "orders on Mondays only"),
        ("demand.daily_cv", 5.0, "wild daily noise"),
        ("routing.params.max_shipments", 1, "never split"),
        ("replenishment.classes.C.Q_units", 1_000_000, "a million units per order"),
        ("fcs.east.receiving.units_per_day", 1, "one unit received a day"),
        ("hold.cancel_after_days", 1e-6, "cancel almost at once"),
        ("carrier.zone_max_miles", [1, 2, 3, 4, 5, 6, 7], "every destination in zone 8"),
    ]:
        g.variant("full", "sane-values", f"{path}={value!r}"[:60], "accept",
                  f"{path} = {value!r}: {what}", _sets((path, value)))
    g.variant("small", "sane-values", "channels-promise-0", "accept",
              "promise_days = 0 for every channel", _sets(
                  ("demand.channels.webstore.promise_days", 0),
                  ("demand.channels.marketplace.promise_days", 0)))


# ------------------------------------------------------------------------------ structure
MISSING_REFUSE = [
    ("full", "name"), ("full", "run"), ("full", "run.start_date"), ("full", "run.horizon_days"),
    ("full", "fcs"), ("full", "fcs.east.labor_cost_per_hour"), ("full", "fcs.east.pick_time"),
    ("full", "fcs.east.pack_time"), ("full", "fcs.east.pickup_cutoffs_h"),
    ("full", "fcs.east.shifts"), ("full", "fcs.east.shifts.day.days"),
    ("full", "fcs.east.shifts.day.start_h"), ("full", "fcs.east.shifts.day.end_h"),
    ("full", "fcs.east.shifts.day.pickers"), ("full", "fcs.east.shifts.day.packers"),
    ("full", "fcs.east.lat"), ("full", "catalog"), ("full", "catalog.file"), ("full", "demand"),
    ("full", "demand.orders_per_day"), ("full", "demand.channels"),
    ("full", "demand.channels.web.share"), ("full", "demand.channels.web.promise_days"),
    ("full", "demand.destinations"), ("full", "demand.destinations.file"),
    ("full", "demand.units_per_line.weights"), ("full", "demand.seasonality.0.start"),
    ("full", "demand.seasonality.0.multiplier"), ("full", "inventory"),
    ("full", "inventory.file"), ("full", "carrier"), ("full", "services.ground.rates"),
    ("full", "services.ground.transit_days_by_zone"), ("full", "suppliers"),
    ("full", "suppliers.acme.lead_time_days"), ("full", "suppliers.acme.lead_time_days.mean"),
    ("full", "shipping.cartons.file"), ("full", "replenishment.classes.A.S_days"),
    ("small", "carrier.transit_days_by_zone"), ("small", "carrier.cost_by_zone"),
    ("rule", "inventory.days"),
]
MISSING_ACCEPT = [
    ("full", "description"), ("full", "hold"), ("full", "transfers"), ("full", "returns"),
    ("full", "quality"), ("full", "intake"), ("full", "intake.channels"),
    ("full", "international.ddp_channels"), ("full", "international.groups.canada.customs_h"),
    ("full", "network"), ("full", "routing"), ("full", "shipping.cartons"),
    ("full", "demand.hour_profile"), ("full", "demand.seasonality"),
    ("full", "fcs.east.receiving"), ("full", "fcs.east.service_pickups"),
    ("full", "fcs.east.pickup_days"), ("full", "run.seed"), ("full", "run.warmup_days"),
]


def _missing(g: _Gen) -> None:
    for base, path in MISSING_REFUSE:
        g.variant(base, "missing-key", path, "refuse", f"required key {path} left out",
                  _dels(path))
    g.variant("full", "missing-key", "fcs.east.lat+lon", "refuse",
              "an FC with neither lat/lon nor zip", _dels("fcs.east.lat", "fcs.east.lon"))
    for base, path in MISSING_ACCEPT:
        g.variant(base, "missing-optional", path, "accept",
                  f"optional key {path} left out (its default applies)", _dels(path))
    g.variant("full", "missing-optional", "replenishment+suppliers", "accept",
              "no replenishment and no suppliers (nothing is reordered)",
              _dels("replenishment", "suppliers"))


UNKNOWN_KEYS = [
    "bogus", "run.bogus", "fcs.east.bogus", "fcs.east.shifts.day.bogus",
    "fcs.east.pick_time.bogus", "fcs.east.receiving.bogus", "demand.bogus",
    "demand.channels.web.bogus", "demand.destinations.bogus", "demand.lines_per_order.bogus",
    "catalog.bogus", "inventory.bogus", "replenishment.bogus", "replenishment.classes.A.bogus",
    "suppliers.acme.bogus", "suppliers.acme.lead_time_days.bogus", "hold.bogus",
    "transfers.bogus", "returns.bogus", "quality.bogus", "intake.bogus", "international.bogus",
    "international.groups.canada.bogus", "international.groups.canada.customs_h.bogus",
    "intake.reasons.fraud.bogus", "intake.review_min.bogus", "carrier.bogus",
    "services.ground.bogus", "shipping.bogus", "shipping.cartons.bogus", "routing.bogus",
    "network.bogus",
    "fcs.east.service_pickups.two_day.bogus", "demand.seasonality.0.bogus",
]


def _unknown(g: _Gen) -> None:
    for path in UNKNOWN_KEYS:
        g.variant("full", "unknown-key", path, "refuse",
                  f"unknown key {path} (a typo must not be ignored)", _sets((path, 1)))
    g.variant("full", "unknown-key", "routing.params.bogus", "refuse",
              "routing.params with a keyword the policy does not take",
              _sets(("routing.params.bogus", 1)))
    g.variant("full", "unknown-key", "replenishment.classes.A.params-builtin", "refuse",
              "params for a built-in replenishment policy (sS takes none): must not be "
              "silently ignored", _sets(("replenishment.classes.A.params", {"bogus": 1})))
    g.variant("full", "unknown-key", "replenishment.classes.D", "refuse",
              "SKU class D does not exist", _sets(("replenishment.classes.D", {"policy": "sS",
                                                                               "s_days": 1,
                                                                               "S_days": 2})))
    g.variant("full", "unknown-key", "catalog.columns.bogus", "refuse",
              "catalog.columns maps an unknown field", _sets(("catalog.columns", {"bogus": "x"})))
    g.variant("full", "unknown-key", "catalog.columns-missing-column", "refuse",
              "catalog.columns maps sku to a column the CSV lacks",
              _sets(("catalog.columns", {"sku": "no_such_column"})),
              names=("@scenario", "skus.csv"))
    g.variant("full", "unknown-key", "homoglyph-orders_per_day", "refuse",
              "orders_per_day spelled with a Cyrillic 'а' (looks identical)",
              lambda d: (d["demand"].pop("orders_per_day"),
                         d["demand"].__setitem__("orders_per_d\u0430y", 60)))
    g.variant("full", "unknown-key", "esc-in-key", "refuse",
              "an unknown key made of an ANSI escape: the message must not emit it raw",
              _sets(("demand.\x1b[2J\x1b[31mred", 1)))
    g.variant("full", "unknown-key", "markup-in-key", "refuse",
              "an unknown key that is rich markup ([/])", _sets(("run.[/]", 1)))


def _empty_collections(g: _Gen) -> None:
    refuse = [
        ("fcs.east.pickup_days", [], "an FC with no pickup day never ships"),
        ("services.two_day.pickup_days", [], "a service that is never picked up"),
        ("fcs.east.service_pickups.two_day.pickup_days", [],
         "a service never picked up at this FC"),
        ("services.two_day.pickup_cutoffs_h", [], "a service with no pickup cut-off"),
        ("fcs.east.pickup_cutoffs_h", [], "an FC with no pickup cut-off"),
        ("fcs.east.shifts.day.days", [], "a shift on no weekday"),
        ("fcs", {}, "no FC"),
        ("fcs.east.shifts", {}, "an FC without shifts"),
        ("demand.channels", {}, "no sales channel"),
        ("demand.hour_profile", [], "an empty hour profile"),
        ("demand.hour_profile", [0.0] * 24, "an all-zero hour profile"),
        ("demand.weekday_profile", [], "an empty weekday profile"),
        ("demand.weekday_profile", [0.0] * 7, "an all-zero weekday profile"),
        ("demand.units_per_line.values", [], "an empirical distribution without values"),
        ("demand.units_per_line.weights", [0, 0, 0], "all-zero empirical weights"),
        ("carrier.zone_max_miles", [], "no zone bands"),
        ("services.ground.transit_days_by_zone", [], "no transit days"),
        ("suppliers.acme.classes", [], "a supplier serving no class"),
        ("network.open_fcs", [], "no open FC"),
        ("demand.destinations.state_weights", {}, "state weights given but empty"),
        ("demand.destinations.state_weights", {"NY": 0}, "all state weights zero"),
        ("services", {}, "[services] present but empty (and no flat carrier rates)"),
        ("demand.hour_profile", [1.0] * 100_000, "100,000 hour weights"),
    ]
    for path, value, what in refuse:
        g.variant("full", "empty-or-wrong-size", f"{path}={json.dumps(value)[:20]}", "refuse",
                  f"{path} = {json.dumps(value)[:40]}: {what}", _sets((path, value)))
    accept = [
        ("demand.seasonality", [], "no seasons"),
        ("returns.by_category", {}, "no per-category return rates"),
        ("routing.params", {}, "no routing parameters"),
        ("fcs.east.service_pickups", {}, "no per-service pickups"),
        ("network.open_fcs", ["west"], "only one FC open"),
        ("fcs.east.shifts.day.days", ["mon", "mon", "Tuesday", " wed "],
         "weekdays repeated, spelled out and padded"),
    ]
    for path, value, what in accept:
        g.variant("full", "empty-or-wrong-size", f"{path}={json.dumps(value)[:20]}", "accept",
                  f"{path} = {json.dumps(value)}: {what}", _sets((path, value)))


def _enums(g: _Gen) -> None:
    refuse = [
        ("fcs.east.pick_time.dist", "uniform"), ("fcs.east.pick_time.dist", "[/]"),
        ("demand.units_per_line.dist", "poisson"), ("hold.mode", "panic"),
        ("transfers.policy", "teleport"), ("shipping.policy", "fixed:"),
        ("shipping.policy", "fixed:overnight"), ("shipping.policy", "cheapest; rm -rf /"),
        ("shipping.policy", "[link=http://evil]x[/link]"), ("shipping.oversize", "squash"),
        ("catalog.weight_unit", "stone"), ("catalog.length_unit", "furlong"),
        ("replenishment.classes.B.review_weekday", "funday"),
        ("replenishment.classes.B.review_weekday", ""),
        ("replenishment.classes.A.policy", "sS "), ("replenishment.classes.A.policy", ":"),
        ("replenishment.classes.A.policy", "SS"),
        ("fcs.east.shifts.day.days", ["mon", "funday"]),
        ("fcs.east.shifts.day.days", ["Monkey"]),
        ("fcs.east.shifts.day.days", [""]), ("fcs.east.shifts.day.days", ["mo"]),
        ("fcs.east.pickup_days", ["caturday"]),
        ("suppliers.acme.classes", ["A", "Z"]), ("suppliers.globex.classes", ["A"]),
        ("suppliers.acme.lead_time_days.dist", "exponential"),
        ("returns.delay_days.dist", "uniform"), ("routing.policy", ""),
        ("routing.policy", "nearest "), ("routing.policy", "NEAREST"),
        ("routing.policy", ":"), ("routing.policy", "a:b:c"),
        ("routing.policy", "\x1b[31m:X"), ("routing.policy", "[/]:X"),
        ("network.open_fcs", ["east", "north"]), ("network.open_fcs", ["east", "east"]),
        ("demand.lines_per_order.dist", "fixed"),  # with mean 1.5: fixed needs a whole mean
        ("intake.days", ["funday"]), ("intake.review_min.dist", "uniform"),
        ("intake.channels", {"webshop": {"review_probability": 0.1}}),
        ("intake.reasons", {"theft": {"share": 1.0}}),
        ("international.ddp_channels", ["webshop"]), ("international.share", {"webshop": 0.1}),
        ("services.intl.transit_days_by_group", {"canda": 5}),
        ("international.groups.canada.customs_h.dist", "uniform"),
        ("shipping.policy", "fixed:ground"),
        ("fcs.east.zip", "abcde"), ("fcs.east.zip", "000"), ("fcs.east.zip", 60614),
    ]
    for path, value in refuse:
        what = f"{path} = {value!r}"
        if path == "fcs.east.shifts.day.days" and value == ["Monkey"]:
            what += " (not a weekday, although it starts with 'mon')"
        if path == "network.open_fcs" and value == ["east", "east"]:
            what += " (an FC listed twice)"
        if path == "suppliers.globex.classes":
            what += " (class A already has supplier acme)"
        g.variant("full", "enum-or-name", f"{path}={value!r}"[:60], "refuse", what,
                  _sets((path, value)))
    g.variant("full", "enum-or-name", "fcs.east.zip-without-latlon", "accept",
              "an FC placed by ZIP 10001 instead of lat/lon",
              lambda d: (_del(d, ("fcs", "east", "lat")), _del(d, ("fcs", "east", "lon")),
                         _set(d, ("fcs", "east", "zip"), "10001")))
    g.variant("full", "enum-or-name", "weekday-Monday-spelled-out", "accept",
              "review_weekday = 'Monday'", _sets(("replenishment.classes.B.review_weekday",
                                                  "Monday")))
    for policy in ("least_loaded", "optimal", "wave", "nearest_ignoring_stock"):
        g.variant("full", "enum-or-name", f"routing-{policy}", "accept",
                  f"built-in routing policy {policy}", _sets(("routing.policy", policy),
                                                             ("routing.params", {})))
    for policy in ("cheapest", "fastest", "fixed:two_day"):
        # one service for every parcel: only without orders abroad ([international] off)
        off = (("international.share", {"market": 0.0}),
               ("international.groups.canada.countries", [])) if policy.startswith("fixed") \
            else ()
        g.variant("full", "enum-or-name", f"shipping-{policy}", "accept",
                  f"shipping policy {policy}", _sets(("shipping.policy", policy), *off))


def _dates(g: _Gen) -> None:
    refuse = [
        ("run.start_date", dt.datetime(2026, 10, 5, 10, 30), "a date-time, not a date"),
        ("run.start_date", dt.time(7, 32), "a time of day"),
        ("run.start_date", 1, "a number (pydantic would read it as a Unix time)"),
        ("run.start_date", "tomorrow", "a word"),
        ("run.start_date", "2026-02-30", "a date that does not exist (as a string)"),
        ("run.start_date", dt.date(9999, 12, 30), "runs past the year 9999"),
        # dates are years 1900-2200 (README): older or later ones are typing mistakes
        ("run.start_date", dt.date(1, 1, 1), "the year 1"),
        ("demand.seasonality.0.start", dt.date(1, 1, 1), "a season from the year 1"),
        ("demand.seasonality.0.end", dt.date(9999, 12, 31), "a season to the year 9999"),
        ("demand.seasonality.0.end", dt.date(2026, 10, 1), "a season ending before it starts"),
        ("demand.seasonality.0.start", 20261006, "a season start as a number"),
    ]
    for path, value, what in refuse:
        g.variant("full", "dates", f"{path}={value!s}", "refuse", f"{path} = {value!r}: {what}",
                  _sets((path, value)))
    accept = [
        ("run.start_date", "2026-10-05", "an ISO date string (tests/conftest.py writes these)"),
        ("run.start_date", dt.date(2024, 2, 29), "a leap day"),
        ("run.start_date", dt.date(1900, 1, 1), "the first year allowed"),
        ("demand.seasonality.0.end", dt.date(2200, 12, 31), "a season to the last day allowed"),
    ]
    for path, value, what in accept:
        g.variant("full", "dates", f"{path}={value!s}", "accept", f"{path} = {value!r}: {what}",
                  _sets((path, value)))
    g.add("dates", "invalid-date-literal",
          _toml(FULL).replace("start_date = 2026-10-05", "start_date = 2026-02-30"),
          "refuse", "start_date = 2026-02-30 (a TOML date that does not exist)")


# ------------------------------------------------------------------------------ names
NAMES = [
    ("unicode", "Zürich — 東京 🚚 Ωmega", True),
    ("markup-link", "[link=http://evil]x[/link]", True),
    ("markup-close", "[/]", True),
    ("markup-bold", "[bold red]boom", True),
    ("markup-closetag", "[/bold]", True),
    ("esc-color", "\x1b[31mred\x1b[0m", False),
    ("esc-osc8", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", False),
    ("esc-clear", "\x1b[2J\x1b[H", False),
    ("nul", "a\x00b", False),
    ("cr", "safe\rEVIL", False),
    ("bell-del", "bell\x07\x7f", False),
    ("bidi", "\u202eevil\u202c", False),
    ("zero-width", "\u200b", False),
    ("newline", "two\nlines", False),
    ("tab", "tab\tname", False),
    ("formula", '=HYPERLINK("http://x")', True),
    ("path", "../../etc/passwd", True),
    ("long", "A" * 10_000, True),
    ("emoji-only", "🔥🔥🔥", True),
    ("dots", "a.b.c", True),
]


def _rename_key(d: dict[str, Any], path: str, old: str, new: str) -> None:
    t = _get(d, _split(path))
    items = [(new if k == old else k, v) for k, v in t.items()]
    t.clear()
    t.update(items)


def _names(g: _Gen) -> None:
    """Hostile names are valid (accept) but must be shown literally / escaped."""
    for tag, name, printable in NAMES:
        cat = "names-printable" if printable else "names-control"
        show = (name,) if printable and tag != "long" else ()
        g.variant("full", cat, f"scenario-name-{tag}", "accept",
                  f"scenario name {name[:40]!r}", _sets(("name", name)), must_show=show)

        def fc(d: dict[str, Any], name: str = name) -> None:
            _rename_key(d, "fcs", "east", name)
            d["network"]["open_fcs"] = [name, "west"]
            d["inventory"] = {"rule": "days_of_demand", "days": 5}
        g.variant("full", cat, f"fc-name-{tag}", "accept", f"FC named {name[:40]!r}", fc,
                  must_show=show)
    for tag, name, printable in NAMES[::2]:
        cat = "names-printable" if printable else "names-control"

        def channel(d: dict[str, Any], name: str = name) -> None:
            _rename_key(d, "demand.channels", "web", name)

        def service(d: dict[str, Any], name: str = name) -> None:
            _rename_key(d, "services", "two_day", name)
            for f in d["fcs"].values():
                _rename_key(f, "service_pickups", "two_day", name)

        def supplier(d: dict[str, Any], name: str = name) -> None:
            _rename_key(d, "suppliers", "acme", name)

        def shift(d: dict[str, Any], name: str = name) -> None:
            _rename_key(d, "fcs.west.shifts", "day", name)
        for what, change in (("channel", channel), ("service", service),
                             ("supplier", supplier), ("shift", shift)):
            g.variant("full", cat, f"{what}-name-{tag}", "accept",
                      f"{what} named {name[:40]!r}", change)
    g.variant("full", "names-printable", "description-markup", "accept",
              "a description full of markup", _sets(("description", "[/][link=x]y[/link]\x1b[0m")))
    g.variant("full", "names-printable", "open-fc-unknown-markup", "refuse",
              "network.open_fcs names an unknown FC '[/]' (the message must show it)",
              _sets(("network.open_fcs", ["[/]"])))
    g.variant("full", "names-printable", "shipping-fixed-esc", "refuse",
              "shipping.policy fixed:<unknown service with ESC>",
              _sets(("shipping.policy", "fixed:\x1b[2Jx")))


def _filenames(g: _Gen) -> None:
    text = _toml(SMALL)
    for fname, expect, what, show in [
        ("[red]x[blink].toml", "accept", "a file name that is rich markup", True),
        ("name with spaces.toml", "accept", "spaces in the file name", True),
        ("szenario-äöü-東京.toml", "accept", "a unicode file name", True),
        ("\x1b[31mESC\x1b[0m.toml", "accept", "an ANSI escape in the file name", False),
        ("new\nline.toml", "accept", "a newline in the file name", False),
        ("-dash.toml", "accept", "a file name starting with a dash", True),
    ]:
        g.add("filename", fname, text, expect, what, filename=fname,
              must_show=(fname,) if show else (), names=())
    bad = text.replace("orders_per_day = 50", "orders_per_day = -5")
    g.add("filename", "esc-refused", bad, "refuse",
          "a broken file whose name holds an ANSI escape: named, escaped",
          filename="\x1b[2J\x1b[31mbroken.toml", names=("broken.toml",))
    g.add("filename", "markup-refused", bad, "refuse",
          "a broken file whose name is markup: named literally",
          filename="[bold]broken[blink].toml")


# ------------------------------------------------------------------------------ whole files
def _junk(g: _Gen) -> None:
    rng = random.Random(SEED + 1)
    good = _toml(SMALL).encode()
    files: list[tuple[str, bytes, str]] = [
        ("empty", b"", "an empty file (every required key missing)"),
        ("whitespace", b"   \n\t\n\n", "only whitespace"),
        ("comment-only", b"# nothing here\n", "only a comment"),
        ("random-1", bytes([rng.randrange(256)]), "one random byte"),
        ("random-100", bytes(rng.randrange(256) for _ in range(100)), "100 random bytes"),
        ("random-64k", bytes(rng.randrange(256) for _ in range(65536)), "64 KiB random bytes"),
        ("nul-only", b"\x00" * 4096, "4 KiB of NUL bytes"),
        ("invalid-utf8-comment", good.replace(b"# ", b"#") + b"# \xff\xfe\xc3\x28\n",
         "valid TOML with invalid UTF-8 in a comment"),
        ("invalid-utf8-string", good.replace(b'name = "hostile-small"',
                                             b'name = "bad \xc3\x28 bytes"'),
         "invalid UTF-8 inside the name string"),
        ("overlong-utf8", good.replace(b'name = "hostile-small"', b'name = "\xc0\xaf"'),
         "an overlong UTF-8 sequence"),
        ("utf16", good.decode().encode("utf-16"), "the valid file saved as UTF-16 (BOM)"),
        ("utf32", good.decode().encode("utf-32"), "the valid file saved as UTF-32"),
        ("gzip", gzip.compress(good, mtime=0), "the valid file gzipped"),
        ("png", b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(512)),
         "a PNG header and junk"),
        ("elf", b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + bytes(rng.randrange(256)
                                                              for _ in range(512)),
         "an ELF header and junk"),
        ("nul-in-string", good.replace(b'name = "hostile-small"', b'name = "a\x00b"'),
         "a raw NUL inside a string"),
        ("esc-raw-in-string", good.replace(b'name = "hostile-small"',
                                           b'name = "\x1b[31mred"'),
         "a raw ESC byte inside a string (TOML forbids raw control characters)"),
        ("duplicate-key", good.replace(b"orders_per_day = 50",
                                       b"orders_per_day = 50\norders_per_day = 60"),
         "a key given twice"),
        ("duplicate-table", good + b"\n[run]\nseed = 1\n", "a table defined twice"),
        ("html", b"<!DOCTYPE html><html><body>404</body></html>\n", "an HTML page"),
        ("json", json.dumps({"name": "x"}).encode(), "a JSON document"),
        ("yaml", b"name: x\nrun:\n  horizon_days: 3\n", "a YAML document"),
        ("csv-as-scenario", SKUS_CSV.encode(), "the catalog CSV given as the scenario"),
        ("unterminated-string", b'name = "abc\n', "an unterminated string"),
        ("unterminated-array", b"name = [1, 2\n", "an unterminated array"),
        ("bom-utf8-junk", b"\xef\xbb\xbf\xff\xff", "a UTF-8 BOM then junk"),
    ]
    for slug, content, what in files:
        g.add("whole-file", slug, content, "refuse", what)
    g.add("whole-file", "huge-comment", good + b"#" + b"x" * 4_000_000 + b"\n", "accept",
          "a valid file with a 4 MB comment line", slow=True)
    g.add("whole-file", "crlf", good.replace(b"\n", b"\r\n"), "accept",
          "Windows line endings (CRLF)")


def _nest(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    return "{a = " * depth + "1" + "}" * depth


def _deep(g: _Gen) -> None:
    good = _toml(SMALL)
    for depth in (5000, 200):
        for kind in ("array", "table"):
            g.add("deep-nesting", f"{kind}-{depth}-unknown-key",
                  good + f"\nnested = {_nest(depth, kind)}\n", "refuse",
                  f"{depth} nested inline {kind}s as an unknown top-level key")
    g.add("deep-nesting", "array-5000-orders_per_day",
          good.replace("orders_per_day = 50", f"orders_per_day = {_nest(5000, 'array')}"),
          "refuse", "orders_per_day = 5,000 nested arrays")
    g.add("deep-nesting", "table-5000-routing-params",
          good + f"\n[routing.params]\nx = {_nest(5000, 'table')}\n", "refuse",
          "routing.params with a 5,000-deep inline table (passed to the policy, repr'd "
          "in messages)")
    g.add("deep-nesting", "table-900-routing-params",
          good + f"\n[routing.params]\nx = {_nest(900, 'table')}\n", "refuse",
          "routing.params with a 900-deep inline table (parses, then repr'd)")
    dotted = ".".join(["a"] * 5000)
    g.add("deep-nesting", "dotted-5000",
          good + f"\n[routing.params]\n{dotted} = 1\n", "refuse",
          "a 5,000-deep dotted key in routing.params")
    g.add("deep-nesting", "header-5000", good + f"\n[{dotted}]\nb = 1\n", "refuse",
          "a table header 5,000 keys deep")
    # merging deep tables across extends recurses as deep as they go
    parent = g.file("deep_parent.toml", good + f"\n[routing.params.{dotted}]\nb = 1\n")
    g.add("deep-nesting", "extends-merge-5000",
          f'extends = "{parent.name}"\n[routing.params.{dotted}]\nc = 2\n', "refuse",
          "child and parent both define a 5,000-deep table: merged key by key",
          names=("@scenario", parent.name))
    g.add("deep-nesting", "array-of-tables-10000",
          good + "\n" + "[[junk]]\nx = 1\n" * 10_000, "refuse",
          "10,000 [[junk]] array-of-tables entries (an unknown key)")


# ------------------------------------------------------------------------------ extends
def _extends(g: _Gen, fifo: Path | None) -> None:
    good = _toml(SMALL)
    g.file("ext_parent.toml", good)
    ext = "extends"
    g.add(ext, "self", 'extends = "extends__self.toml"\nname = "me"\n', "refuse",
          "a file that extends itself", filename="extends__self.toml")
    g.file("extends__cycle-b.toml", 'extends = "extends__cycle-a.toml"\n')
    g.add(ext, "cycle-a", 'extends = "extends__cycle-b.toml"\n', "refuse",
          "a -> b -> a", filename="extends__cycle-a.toml",
          names=("extends__cycle-a.toml", "extends__cycle-b.toml"))
    g.file("extends__cycle3-b.toml", 'extends = "extends__cycle3-c.toml"\n')
    g.file("extends__cycle3-c.toml", 'extends = "./sub/../extends__cycle3-a.toml"\n')
    g.add(ext, "cycle3", 'extends = "extends__cycle3-b.toml"\n', "refuse",
          "a -> b -> c -> a (the last step spelled with ./sub/..)",
          filename="extends__cycle3-a.toml",
          names=("extends__cycle3-a.toml", "extends__cycle3-b.toml", "extends__cycle3-c.toml"))
    link = g.cases_dir / "extends__symlink-self.toml"
    g.file("extends__symlink-target.toml", 'extends = "extends__symlink-self.toml"\n')
    link.symlink_to("extends__symlink-target.toml")
    g.add(ext, "symlink-self", None, "refuse", "a symlink to a file that extends the link",
          filename=link.name, names=(link.name, "extends__symlink-target.toml"))
    targets = [
        ("missing", "no_such_parent.toml", "a parent that does not exist", ("no_such_parent",)),
        ("directory", ".", "the folder itself", ()),
        ("dev-zero", "/dev/zero", "/dev/zero (endless)", ("zero",)),
        ("dev-urandom", "/dev/urandom", "/dev/urandom (endless junk)", ("urandom",)),
        ("etc-passwd", "/etc/passwd", "/etc/passwd (not TOML)", ("passwd",)),
        ("traversal", "../../../../../../../../etc/passwd", "path traversal to /etc/passwd",
         ("passwd",)),
        ("binary", "junk.bin", "a binary file", ("junk.bin",)),
        ("csv", "skus.csv", "the catalog CSV", ("skus.csv",)),
        ("empty-string", "", "extends = '' (the folder)", ()),
        ("nul", "a\x00b.toml", "a NUL in the file name", ()),
        ("home", "~/parent.toml", "a ~ path (not expanded)", ("parent.toml",)),
        ("long-name", "x" * 5000 + ".toml", "a 5,000-character file name", ()),
    ]
    if fifo is not None:
        targets.append(("fifo", fifo.name, "a named pipe (reading would block forever)",
                        (fifo.name,)))
    g.file("junk.bin", bytes(random.Random(SEED + 2).randrange(256) for _ in range(2048)))
    for slug, target, what, extra in targets:
        g.add(ext, f"to-{slug}", f"extends = {_toml_string(target)}\nname = \"child\"\n",
              "refuse", f"extends {what}", names=("@scenario", *extra))
    for slug, value in (("int", "42"), ("array", '["ext_parent.toml"]'),
                        ("table", '{ file = "ext_parent.toml" }'), ("bool", "true")):
        g.add(ext, f"type-{slug}", f"extends = {value}\n", "refuse",
              f"extends = {value} (not a file name)")
    g.add(ext, "valid", 'extends = "ext_parent.toml"\nname = "child"\n[run]\nseed = 3\n',
          "accept", "a plain valid extends")
    g.add(ext, "replace-fcs", 'extends = "ext_parent.toml"\nreplace = ["fcs", "inventory"]\n'
          '[inventory]\nrule = "days_of_demand"\ndays = 3\n' + _toml({"fcs": {
              "north": SMALL["fcs"]["east"]}}), "accept", "replace the parent's FCs")
    for slug, text, what in [
        ("replace-undefined", 'extends = "ext_parent.toml"\nreplace = ["hold"]\n',
         "replace a section the child does not define"),
        ("replace-string", 'extends = "ext_parent.toml"\nreplace = "fcs"\n',
         "replace = 'fcs' (not a list)"),
        ("replace-ints", 'extends = "ext_parent.toml"\nreplace = [1, 2]\n',
         "replace = [1, 2]"),
        ("parent-broken", 'extends = "extends__to-binary.toml"\n',
         "the parent itself is broken"),
        ("child-breaks", 'extends = "ext_parent.toml"\n[demand]\norders_per_day = inf\n',
         "a child that sets orders_per_day = inf"),
    ]:
        g.add(ext, slug, text, "refuse", what,
              names=("@scenario", "extends__to-binary.toml", "junk.bin"))
    # chains
    chain = g.dest / "chain"
    chain.mkdir(parents=True, exist_ok=True)
    for f in ("skus.csv", "dest.csv", "inventory.csv"):
        shutil.copy(g.cases_dir / f, chain / f)
    n = 1500
    (chain / f"c{n:04d}.toml").write_text(good, encoding="utf-8")
    for i in range(n):
        (chain / f"c{i:04d}.toml").write_text(f'extends = "c{i + 1:04d}.toml"\n[run]\nseed = {i}\n',
                                             encoding="utf-8")
    g.cases.append(Case(
        file=chain / "c0000.toml", expect="refuse", category=ext,
        what="a chain of 1,500 extends (expected: refused with a depth limit, not a crash)",
        names=tuple(f"c{i:04d}.toml" for i in range(n + 1)), slow=True))
    # a moderate chain is fine
    for i in range(20):
        parent = f"extends__chain20-{i + 1:02d}.toml" if i < 19 else "ext_parent.toml"
        g.file(f"extends__chain20-{i:02d}.toml", f'extends = "{parent}"\n[run]\nseed = {i}\n')
    g.cases.append(Case(file=g.cases_dir / "extends__chain20-00.toml", expect="accept",
                        what="a chain of 20 extends", category=ext,
                        names=("extends__chain20-00.toml",)))
    sub = g.cases_dir / "sub"
    sub.mkdir(exist_ok=True)
    g.add(ext, "from-subdir-traversal", 'extends = "../ext_parent.toml"\nname = "up"\n',
          "accept", "a child in a sub-folder extending ../parent (data paths stay relative "
          "to the parent)", sub="sub")


# ------------------------------------------------------------------------------ data files
FILE_FIELDS = [  # field path, base, shared file it points to, kind
    ("catalog.file", "full", "skus.csv"),
    ("demand.destinations.file", "full", "dest.csv"),
    ("inventory.file", "full", "inventory.csv"),
    ("inventory.forecast_file", "full", "forecast.csv"),
    ("services.ground.rates", "full", "rates_ground.csv"),
    ("shipping.cartons.file", "full", "cartons.csv"),
    ("carrier.zone_chart", "full", "zones.csv"),
    ("routing.assignment_file", "assigned", "assign.csv"),
]


def _with_file(path: str, value: str, base: str = "full") -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        if base == "assigned":
            d["routing"] = {"policy": "assigned"}
        _set(d, _split(path), value)
    return change


def _data_paths(g: _Gen, fifo: Path | None, zero_link: Path) -> None:
    emptydir = g.cases_dir / "an_empty_dir.csv"
    emptydir.mkdir(exist_ok=True)
    targets = [
        ("etc-passwd", "/etc/passwd", ("passwd",)),
        ("traversal", "../../../../../../../../../etc/passwd", ("passwd",)),
        ("root-dir", "/", ()),
        ("dir-csv", emptydir.name, (emptydir.name,)),
        ("dot", ".", ()),
        ("dev-zero", "/dev/zero", ("zero",)),
        ("dev-urandom", "/dev/urandom", ("urandom",)),
        ("symlink-dev-zero", zero_link.name, (zero_link.name, "zero")),
        ("missing", "no_such_file.csv", ("no_such_file.csv",)),
        ("home", "~/x.csv", ("x.csv",)),
        ("nul", "a\x00b.csv", ()),
        ("empty", "", ()),
    ]
    if fifo is not None:
        targets.append(("fifo", fifo.name, (fifo.name,)))
    for path, base, _shared in FILE_FIELDS:
        for slug, target, names in targets:
            g.variant("full", "data-path", f"{path}={slug}", "refuse",
                      f"{path} = {target!r}", _with_file(path, target, base),
                      names=("@scenario", *names))
        for slug, value in (("int", 5), ("array", ["skus.csv"]), ("table", {"f": 1})):
            g.variant("full", "data-path", f"{path}={slug}", "refuse",
                      f"{path} = {value!r} (not a file name)", _with_file(path, value, base))
    # a relative path that leaves the folder to a valid file is fine
    up = g.dest / "elsewhere"
    up.mkdir(exist_ok=True)
    shutil.copy(g.cases_dir / "skus.csv", up / "skus_elsewhere.csv")
    g.variant("full", "data-path", "catalog-dotdot-valid", "accept",
              "catalog.file = ../elsewhere/skus_elsewhere.csv (a valid file outside the folder)",
              _sets(("catalog.file", "../elsewhere/skus_elsewhere.csv")))
    g.variant("full", "data-path", "catalog-absolute-valid", "accept",
              "catalog.file as an absolute path to a valid file",
              _sets(("catalog.file", str(up / "skus_elsewhere.csv"))))


def _csv_case(g: _Gen, path: str, base: str, fname: str, content: str | bytes, expect: str,
              what: str, category: str = "csv-structure", names: tuple[str, ...] = (),
              **kw: Any) -> None:
    g.file(fname, content)
    g.variant("full", category, f"{path}-{fname}", expect, what, _with_file(path, fname, base),
              names=names or (fname,), **kw)


def _csv_generic(g: _Gen) -> None:
    rng = random.Random(SEED + 3)
    junk = bytes(rng.randrange(256) for _ in range(4096))
    headers = {
        "catalog.file": (SKUS_CSV, "cat"),
        "demand.destinations.file": (DEST_CSV, "dest"),
        "inventory.file": (INVENTORY_CSV, "inv"),
        "inventory.forecast_file": (FORECAST_CSV, "fcst"),
        "services.ground.rates": (RATES_GROUND, "rates"),
        "shipping.cartons.file": (CARTONS_CSV, "cartons"),
        "carrier.zone_chart": (ZONE_CSV, "zones"),
        "routing.assignment_file": (ASSIGN_CSV, "assign"),
    }
    for path, base, _shared in FILE_FIELDS:
        good, short = headers[path]
        header = good.splitlines()[0]
        variants: list[tuple[str, str | bytes, str, str]] = [
            ("empty", "", "refuse", "an empty file"),
            ("header-only", header + "\n",
             "accept" if path == "routing.assignment_file" else "refuse",
             "a header and no rows" + (" (documented: every pair goes to its nearest FC)"
                                       if path == "routing.assignment_file" else "")),
            ("junk", junk, "refuse", "4 KiB of random bytes"),
            ("wrong-columns", "a,b,c\n1,2,3\n", "refuse", "unrelated columns"),
            ("semicolons", good.replace(",", ";"), "refuse", "semicolon-separated"),
            ("invalid-utf8", good.encode() + b"\xff\xfe,\xc3\x28\n", "refuse",
             "a last row of invalid UTF-8"),
            ("utf16", good.encode("utf-16"), "refuse", "the valid file saved as UTF-16"),
            ("nul-bytes", good.replace("\n", "\x00\n", 2), "refuse", "NUL bytes in the header"),
            ("ragged", good + ",".join(["1"] * (header.count(",") + 3)) + "\n", "refuse",
             "a row with too many fields"),
            ("header-repeated", good + header + "\n", "refuse", "the header repeated as a row"),
            ("blank-cells", good + "," * header.count(",") + "\n", "refuse",
             "a row of empty cells"),
        ]
        if path == "carrier.zone_chart":
            # documented: rows without a 3-digit pair or a zone are skipped; an empty chart
            # changes nothing (ambiguous: left out)
            variants = [v if v[0] not in ("header-repeated", "blank-cells")
                        else (v[0], v[1], "accept", v[3] + " (such rows are skipped)")
                        for v in variants if v[0] != "header-only"]
        for slug, content, expect, what in variants:
            _csv_case(g, path, base, f"{short}_{slug}.csv", content, expect,
                      f"{path}: {what}")
        _csv_case(g, path, base, f"{short}_crlf-bom-free.csv", good.replace("\n", "\r\n"),
                  "accept", f"{path}: the valid file with CRLF line endings")
        _csv_case(g, path, base, f"{short}_spaces.csv", good.replace(",", ", "), "accept",
                  f"{path}: the valid file with a space after every comma")


def _csv_values(g: _Gen) -> None:
    """Hostile numbers in every numeric column."""
    values = [("nan", "nan"), ("inf", "inf"), ("-inf", "-inf"), ("neg", "-1"),
              ("zero", "0"), ("1e300", "1e300"), ("2pow63", str(2 ** 63)), ("blank", ""),
              ("hex", "0x10"), ("1e999", "1e999")]
    # column -> (file kind, expectation of 0 and of -1 when they are not refused)
    columns = {
        ("catalog.file", "cat", SKUS_CSV): {
            "weight_lb": {}, "length_in": {}, "height_in": {},
            "unit_price": {"zero": "accept"}, "popularity": {"zero": "accept"}},
        ("demand.destinations.file", "dest", DEST_CSV): {
            "lat": {"zero": "accept", "neg": "accept"}, "lon": {"zero": "accept", "neg": "accept"},
            "weight": {"zero": "accept"}},
        ("inventory.file", "inv", INVENTORY_CSV): {"units": {"zero": "accept"}},
        ("inventory.forecast_file", "fcst", FORECAST_CSV): {"units_per_day": {"zero": "accept"}},
        ("services.ground.rates", "rates", RATES_GROUND): {"3": {"zero": "accept"},
                                                           "weight_lb": {}},
        ("shipping.cartons.file", "cartons", CARTONS_CSV): {
            "length_in": {}, "max_weight_lb": {}, "cost": {"zero": "accept"}},
        ("carrier.zone_chart", "zones", ZONE_CSV): {"zone": {}},
    }
    base_of = {p: b for p, b, _ in FILE_FIELDS}
    for (path, short, good), cols in columns.items():
        lines = good.splitlines()
        header = lines[0].split(",")
        for col, exp in cols.items():
            j = header.index(col)
            row = 2 if path == "services.ground.rates" else 1
            for tag, text in values:
                cells = lines[row].split(",")
                cells[j] = text
                content = "\n".join([*lines[:row], ",".join(cells), *lines[row + 1:]]) + "\n"
                expect = exp.get(tag, "refuse")
                if path == "carrier.zone_chart" and tag == "blank":
                    expect = "accept"  # documented: rows without a zone are skipped
                _csv_case(g, path, base_of[path], f"{short}_{_slug(col)}_{tag}.csv", content,
                          expect, f"{path}, column {col} = {text!r}", category="csv-values")
    # specific ones
    specific = [
        ("inventory.file", "inv_fraction.csv", INVENTORY_CSV.replace(",200\n", ",2.5\n", 1),
         "refuse", "half a unit of stock"),
        ("inventory.file", "inv_dup.csv", INVENTORY_CSV + "east,T-001,5\n", "refuse",
         "the same FC and SKU twice"),
        ("inventory.file", "inv_unknown_fc_markup.csv", INVENTORY_CSV + "[/],T-001,5\n",
         "refuse", "an unknown FC named [/]"),
        ("inventory.file", "inv_unknown_sku_esc.csv", INVENTORY_CSV + "east,\x1b[2JT,5\n",
         "refuse", "an unknown SKU holding an ANSI escape"),
        ("inventory.forecast_file", "fcst_dup.csv", FORECAST_CSV + "east,T-001,5\n", "refuse",
         "the same FC and SKU twice in the forecast"),
        # a service does not take parcels above its heaviest weight break; the other
        # services here do, so this is valid (a SKU no service takes is refused: see below)
        ("services.ground.rates", "rates_one_row.csv", "\n".join(RATES_GROUND.splitlines()[:2])
         + "\n", "accept", "ground rates up to 1 lb only while SKUs weigh up to 2.66 lb (air "
         "takes the heavier parcels)"),
        ("services.ground.rates", "rates_fraction.csv",
         RATES_GROUND.replace("\n2,", "\n1.5,", 1), "refuse", "a weight break of 1.5 lb"),
        ("services.ground.rates", "rates_extra_zone.csv",
         "\n".join(line + (",9" if i == 0 else ",99.0")
                   for i, line in enumerate(RATES_GROUND.splitlines())) + "\n", "accept",
         "an extra zone-9 column (ignored)"),
        ("shipping.cartons.file", "cartons_dup.csv", CARTONS_CSV + "box_m,30,20,20,70,2.0\n",
         "refuse", "two cartons with the same name"),
        ("shipping.cartons.file", "cartons_tiny_all.csv",
         "carton,length_in,width_in,height_in,max_weight_lb,cost\ntiny,1,1,1,1,0.1\n",
         "refuse", "no carton holds any SKU"),
        ("shipping.cartons.file", "cartons_markup.csv",
         CARTONS_CSV + "[/],40,30,30,90,3.0\n", "accept", "a carton named [/]"),
        ("demand.destinations.file", "dest_names.csv",
         DEST_CSV + '"=HYPERLINK(""http://x"")",NY,40.0,-74.0,5\n[/],NY,40.1,-74.1,5\n'
                    "\x1b[31mred,NY,40.2,-74.2,5\n", "accept",
         "destinations named like a formula, markup and an ANSI escape"),
        ("demand.destinations.file", "dest_dup_names.csv",
         DEST_CSV + "New York City,NY,40.8,-74.1,10\nNew York City,NY,40.9,-74.2,10\n",
         "accept", "a name repeated in the same state (documented)"),
        ("demand.destinations.file", "dest_lat_91.csv",
         DEST_CSV.replace("40.7143", "91.0"), "refuse", "latitude 91"),
        ("demand.destinations.file", "dest_all_zero.csv",
         re.sub(r",\d+\n", ",0\n", DEST_CSV), "refuse", "every weight zero"),
        ("demand.destinations.file", "dest_zip.csv", DEST_ZIP_CSV, "refuse",
         "ZIP destinations without a state column while state_weights are set"),
        ("demand.destinations.file", "dest_state_esc.csv",
         DEST_CSV.replace(",NY,", ",\x1b[31mNY,", 1), "refuse",
         "an ANSI escape in a state code that state_weights needs"),
        ("carrier.zone_chart", "zones_nine.csv", ZONE_CSV + "100,100,9\n", "accept",
         "zone 9 (capped to 8)"),
        ("routing.assignment_file", "assign_dup.csv", ASSIGN_CSV + "New York City,T-001,west\n",
         "refuse", "a region and SKU assigned twice"),
        ("routing.assignment_file", "assign_unknown.csv", ASSIGN_CSV + "Atlantis,T-001,west\n",
         "refuse", "an unknown region"),
        ("routing.assignment_file", "assign_formula.csv",
         ASSIGN_CSV + '"=HYPERLINK(""http://x"")",T-001,west\n', "refuse",
         "a formula as a region that does not exist"),
    ]
    for path, fname, content, expect, what in specific:
        _csv_case(g, path, base_of[path], fname, content, expect, f"{path}: {what}",
                  category="csv-values", names=(fname, "@scenario"))
    g.file("rates_air_one_row.csv", "\n".join(RATES_AIR.splitlines()[:2]) + "\n")
    g.variant("full", "csv-values", "no-service-takes-heavy-skus", "refuse",
              "every service's rates stop at 1 lb while SKUs weigh up to 2.66 lb",
              _sets(("services.ground.rates", "rates_one_row.csv"),
                    ("services.two_day.rates", "rates_air_one_row.csv")),
              names=("@scenario",))
    g.file("dest_one.csv", "\n".join(DEST_CSV.splitlines()[:2]) + "\n")
    g.variant("full", "csv-values", "dest-one", "accept", "a single destination",
              _sets(("demand.destinations", {"file": "dest_one.csv"})))
    g.file("dest_zip_only.csv", DEST_ZIP_CSV)
    g.variant("full", "csv-values", "dest-by-zip-ok", "accept",
              "destinations by ZIP (no state weights)",
              _sets(("demand.destinations", {"file": "dest_zip_only.csv"})))
    g.file("dest_zip_bad.csv", DEST_ZIP_CSV + "Nowhere,abcde,1\n")
    g.variant("full", "csv-values", "dest-zip-bad", "refuse", "a destination ZIP 'abcde'",
              _sets(("demand.destinations", {"file": "dest_zip_bad.csv"})),
              names=("dest_zip_bad.csv", "@scenario"))


def _csv_ids(g: _Gen) -> None:
    """SKU ids: odd but valid ones are accepted (stock by rule, so no stock file names them)."""
    def cat_case(slug: str, rows: list[str], expect: str, what: str,
                 header: str = SKU_HEADER, names: tuple[str, ...] = ()) -> None:
        fname = f"cat_id_{slug}.csv"
        g.file(fname, header + "\n" + "\n".join(rows) + "\n")
        g.variant("full", "csv-ids", f"sku-{slug}", expect, f"catalog: {what}",
                  _sets(("catalog.file", fname),
                        ("inventory", {"rule": "days_of_demand", "days": 5})),
                  names=(fname, *names))

    def sku(row: str, new: str) -> str:
        return '"' + new.replace('"', '""') + '"' + row[row.index(","):]

    for slug, new in [
        ("formula-hyperlink", '=HYPERLINK("http://x")'), ("formula-plus", "+1+1"),
        ("formula-minus", "-2+3"), ("formula-at", "@SUM(A1)"),
        ("formula-dde", "=cmd|' /C calc'!A0"), ("markup", "[/]"),
        ("markup-link", "[link=http://evil]x[/link]"), ("esc", "\x1b[31mRED\x1b[0m"),
        ("unicode", "ＳＫＵ－１ 東京"), ("emoji", "📦"), ("bidi", "\u202eT-001"),
        ("nan-word", "nan"), ("none-word", "None"), ("long", "K" * 10_000),
        ("newline-quoted", "two\nlines"), ("comma-quoted", "a,b"),
    ]:
        rows = [sku(SKU_ROWS[0], new), *SKU_ROWS[1:]]
        cat_case(slug, rows, "accept", f"a SKU id {new[:40]!r}")
    cat_case("dup", [*SKU_ROWS, SKU_ROWS[0]], "refuse", "a SKU listed twice")
    cat_case("dup-after-strip", [*SKU_ROWS, sku(SKU_ROWS[0], " T-001 ")], "refuse",
             "' T-001 ' and 'T-001' (the same after trimming)")
    cat_case("blank", [sku(SKU_ROWS[0], ""), *SKU_ROWS[1:]], "refuse", "a blank SKU id")
    cat_case("one-row", SKU_ROWS[:1], "accept", "a one-SKU catalog")
    cat_case("many-rows", [f"S{i:05d},n,c,1,2,3,4,5,1" for i in range(3000)], "accept",
             "3,000 SKUs")
    cat_case("supplier-unknown", [r + ",nobody" for r in SKU_ROWS], "refuse",
             "a supplier column naming an unknown supplier", header=SKU_HEADER + ",supplier")
    cat_case("supplier-markup", [r + ",[/]" for r in SKU_ROWS], "refuse",
             "a supplier column naming '[/]'", header=SKU_HEADER + ",supplier")
    cat_case("category-hostile", [SKU_ROWS[0].replace("Sports & Outdoors", "\x1b[31m[/]"),
                                  *SKU_ROWS[1:]], "accept", "a category with ESC and markup")
    cat_case("popularity-all-zero", [r.rsplit(",", 1)[0] + ",0" for r in SKU_ROWS], "refuse",
             "every popularity zero")
    cat_case("huge-dims", [SKU_ROWS[0].replace("5.5,3.4,2.6", "500,300,200"), *SKU_ROWS[1:]],
             "refuse", "a SKU no carton holds (naming the carton file is right too)",
             names=("cartons.csv",))


# ------------------------------------------------------------------------------ scale
def _scale(g: _Gen) -> None:
    def many_fcs(n: int) -> Callable[[dict[str, Any]], None]:
        def change(d: dict[str, Any]) -> None:
            fcs = {}
            for i in range(n):
                fc = copy.deepcopy(SMALL["fcs"]["east"])
                fc["lat"], fc["lon"] = 30 + (i % 15), -120 + (i // 15) * 3
                fc["shifts"]["day"]["days"] = list(ALL7)
                fcs[f"fc{i:03d}"] = fc
            d["fcs"] = fcs
            d["inventory"] = {"rule": "days_of_demand", "days": 5}
            d["demand"]["orders_per_day"] = 400
        return change

    g.variant("small", "scale", "127-fcs", "accept", "127 FCs (the most an int8 id holds)",
              many_fcs(127), slow=True)
    for n in (128, 200):
        g.variant("small", "scale", f"{n}-fcs", "refuse",
                  f"{n} FCs: FC ids are int8 in the event log; refused ('at most 127'), not "
                  "wrapped round", many_fcs(n), must_match="127", slow=n > 128)

    def many_channels(n: int) -> Callable[[dict[str, Any]], None]:
        def change(d: dict[str, Any]) -> None:
            d["demand"]["channels"] = {f"ch{i:03d}": {"share": 1 / n, "promise_days": 1 + i % 5}
                                       for i in range(n)}
            d["demand"]["orders_per_day"] = 300
        return change

    g.variant("rule", "scale", "127-channels", "accept", "127 sales channels",
              many_channels(127))
    for n in (128, 300):
        g.variant("rule", "scale", f"{n}-channels", "refuse",
                  f"{n} sales channels: channel ids are int8 in the event log; refused ('at "
                  "most 127'), not wrapped round", many_channels(n), must_match="127")

    def many_services(d: dict[str, Any]) -> None:
        for i in range(128):
            d["services"][f"svc{i:03d}"] = copy.deepcopy(FULL["services"]["ground"])
    g.variant("full", "scale", "130-services", "refuse",
              "130 carrier services: service ids are int8 in the labels table",
              many_services, must_match="127")
    g.variant("rule", "scale", "3000-unit-line", "accept",
              "units_per_line = { dist = 'fixed', mean = 3000 } (as the issue writes it)",
              _sets(("demand.units_per_line", {"dist": "fixed", "mean": 3000}),
                    ("demand.orders_per_day", 20)))
    g.variant("full", "scale", "3000-unit-line-cartons", "accept",
              "3,000-unit lines (max = 3000) cartonized and rate-shopped, stock by rule",
              _sets(("demand.units_per_line", {"dist": "fixed", "mean": 3000, "max": 3000}),
                    ("demand.orders_per_day", 20),
                    ("inventory", {"rule": "days_of_demand", "days": 3})), slow=True)
    g.variant("rule", "scale", "10000-units", "accept",
              "units_per_line fixed 10,000 (the schema's max)",
              _sets(("demand.units_per_line", {"dist": "fixed", "mean": 10000, "max": 10000}),
                    ("demand.orders_per_day", 5)))
    g.variant("rule", "scale", "lines-more-than-skus", "accept",
              "8 lines per order from a 5-SKU catalog",
              _sets(("demand.lines_per_order", {"dist": "fixed", "mean": 8, "max": 8})))
    g.variant("rule", "scale", "10000-lines", "accept",
              "lines_per_order fixed 10,000 (the schema's max) from 5 SKUs",
              _sets(("demand.lines_per_order", {"dist": "fixed", "mean": 10000, "max": 10000}),
                    ("demand.orders_per_day", 5)), slow=True)
    g.variant("full", "scale", "horizon-1e300", "refuse", "horizon_days = 1e300",
              _sets(("run.horizon_days", 1e300)))
    g.variant("full", "scale", "horizon-1e7", "refuse",
              "horizon_days = 1e7 (27,000 years; 6e8 orders)", _sets(("run.horizon_days", 1e7)))
    g.variant("small", "scale", "orders-1e9", "refuse",
              "orders_per_day = 1e9: must be refused with a memory estimate",
              _sets(("demand.orders_per_day", 1e9)),
              must_match=r"(?i)memory|GB|GiB|TB|bytes")
    g.variant("small", "scale", "orders-1e15", "refuse", "orders_per_day = 1e15",
              _sets(("demand.orders_per_day", 1e15)),
              must_match=r"(?i)memory|GB|GiB|TB|PB|bytes")
    g.variant("small", "scale", "orders-1e8-1day", "refuse",
              "orders_per_day = 1e8 (3e8 orders over 3 days, ~70 GB at 246 B/order)",
              _sets(("demand.orders_per_day", 1e8)),
              must_match=r"(?i)memory|GB|GiB|bytes")
    g.variant("full", "scale", "zone-max-miles-1e300", "refuse",
              "zone_max_miles up to 1e300", _sets(("carrier.zone_max_miles",
                                                   [50, 150, 300, 600, 1000, 1400, 1e300])))
    g.variant("full", "scale", "wave-interval-tiny", "refuse",
              "wave routing every 1e-9 minutes (1.4e12 waves a day)",
              _sets(("routing", {"policy": "wave", "params": {"interval_min": 1e-9}})))
    for key, value in (("interval_min", 0), ("interval_min", math.nan),
                       ("interval_min", math.inf), ("horizon_h", math.nan),
                       ("overflow_cost_per_h", -1), ("late_penalty_per_day", math.nan)):
        g.variant("full", "policy-params", f"wave-{key}={value}", "refuse",
                  f"wave routing with {key} = {value}",
                  _sets(("routing", {"policy": "wave", "params": {key: value}})))
    for policy, key, value in (("optimal", "max_shipments", 0),
                               ("optimal", "max_shipments", math.nan),
                               ("optimal", "late_penalty_per_day", math.inf),
                               ("optimal", "max_assignments", -1),
                               ("optimal", "max_shipments", 2 ** 63),
                               ("least_loaded", "max_zone", math.nan),
                               ("least_loaded", "max_zone", -1),
                               ("nearest", "max_shipments", "3"),
                               ("nearest", "max_shipments", [3]),
                               ("nearest", "max_shipments", math.nan),
                               ("nearest", "max_shipments", math.inf)):
        g.variant("full", "policy-params", f"{policy}-{key}={value!r}", "refuse",
                  f"{policy} routing with {key} = {value!r}",
                  _sets(("routing", {"policy": policy, "params": {key: value}})))


# ------------------------------------------------------------------------------ code
def _policies(g: _Gen) -> None:
    """User code: only a module beside the scenario may be imported."""
    # a module in the working directory only: an import from the cwd would run it
    (g.cwd / "hx_cwd_policy.py").write_text(
        "import pathlib\n"
        f"pathlib.Path(__file__).with_name('{MARKER}_hx_cwd_policy').write_text('imported')\n"
        "class Policy:\n"
        "    def route(self, order, state):\n"
        "        return 0\n", encoding="utf-8")
    g.variant("full", "policy-code", "cwd-module", "refuse",
              "routing.policy names a module that exists only in the current directory "
              "(not beside the scenario): must not be imported",
              _sets(("routing.policy", "hx_cwd_policy:Policy"), ("routing.params", {})))
    g.variant("full", "policy-code", "subprocess-popen", "refuse",
              "routing.policy = subprocess:Popen with args that touch a marker file",
              _sets(("routing.policy", "subprocess:Popen"),
                    ("routing.params", {"args": ["sh", "-c", f"touch {MARKER}_popen"]})))
    g.variant("full", "policy-code", "subprocess-popen-shell", "refuse",
              "routing.policy = subprocess:Popen with shell = true",
              _sets(("routing.policy", "subprocess:Popen"),
                    ("routing.params", {"args": f"touch {MARKER}_popen_shell",
                                        "shell": True})))
    g.variant("full", "policy-code", "replenishment-popen", "refuse",
              "a replenishment class subprocess:Popen (built with net=, skus=, args=)",
              _sets(("replenishment.classes.A", {"policy": "subprocess:Popen",
                                                 "params": {"args": ["sh", "-c",
                                                                     f"touch {MARKER}_repl"]}})))
    for spec in ("os:system", "builtins:eval", "builtins:exec", "builtins:object",
                 "pathlib:Path", "os.path:join", "code:InteractiveConsole",
                 "sim.model:FulfillmentModel", "..evil:X", "/etc/passwd:X",
                 "../../../etc/passwd:X"):
        g.variant("full", "policy-code", f"routing-{spec}", "refuse",
                  f"routing.policy = {spec!r} (not a module beside the scenario)",
                  _sets(("routing.policy", spec), ("routing.params", {})))
    g.variant("full", "policy-code", "this-module", "refuse",
              "routing.policy = 'this:Policy': importing the stdlib module prints the Zen of "
              "Python", _sets(("routing.policy", "this:Policy"), ("routing.params", {})),
              must_not_show=("Beautiful is better than ugly",))
    g.variant("full", "policy-code", "repl-os-system", "refuse",
              "replenishment policy os:system",
              _sets(("replenishment.classes.A", {"policy": "os:system"})))

    def beside(slug: str, code: str, policy: str, expect: str, what: str,
               where: str = "routing", refuse_at: str = "validate", **kw: Any) -> None:
        sub = f"pol_{slug}"
        mod = f"hx_{slug.replace('-', '_')}"
        g.file(f"{mod}.py", code, sub=sub)
        for f in ("skus.csv", "dest.csv", "inventory.csv", "rates_ground.csv", "rates_air.csv",
                  "rates_intl.csv", "cartons.csv"):
            shutil.copy(g.cases_dir / f, g.cases_dir / sub / f)
        if where == "routing":
            change = _sets(("routing.policy", f"{mod}:{policy}"), ("routing.params", {}))
        else:
            change = _sets(("replenishment.classes.A", {"policy": f"{mod}:{policy}",
                                                        "params": {}}))
        g.variant("full", "policy-code", slug, expect, what, change, sub=sub,
                  refuse_at=refuse_at, names=("@scenario", mod), **kw)

    ok_route = ("class Policy:\n    def __init__(self, **kw):\n        pass\n"
                "    def route(self, order, state):\n        return 0\n")
    beside("beside-ok", "import pathlib\npathlib.Path(__file__).with_name('IMPORTED_beside')"
           ".write_text('ok')\n" + ok_route, "Policy", "accept",
           "a valid routing policy beside the scenario (its top-level code writes a marker "
           "that is allowed: the user's own file)")
    beside("beside-syntax", "def route(:\n", "Policy", "refuse", "a module with a syntax error")
    beside("beside-raises", "raise RuntimeError('boom at import')\n", "Policy", "refuse",
           "a module that raises at import")
    beside("beside-sysexit", "import sys\nsys.exit(3)\n", "Policy", "refuse",
           "a module that calls sys.exit(3) at import")
    # (a module raising KeyboardInterrupt at import is not here: it cannot be told from the
    # user pressing Ctrl-C during the import, so it is reported as an interruption, exit 130)
    beside("beside-recursion", "def f():\n    return f()\nf()\n", "Policy", "refuse",
           "a module that recurses forever at import (RecursionError)")
    beside("init-raises", "class Policy:\n    def __init__(self, **kw):\n"
           "        raise RuntimeError('boom in __init__')\n"
           "    def route(self, order, state):\n        return 0\n", "Policy", "refuse",
           "a policy whose constructor raises RuntimeError")
    beside("init-sysexit", "import sys\nclass Policy:\n    def __init__(self, **kw):\n"
           "        sys.exit(4)\n    def route(self, order, state):\n        return 0\n",
           "Policy", "refuse", "a policy whose constructor calls sys.exit(4)")
    beside("not-a-class", "def Policy():\n    return 1\n", "Policy", "refuse",
           "Policy is a function, not a class")
    beside("no-route", "class Policy:\n    pass\n", "Policy", "refuse",
           "a class without route()")
    beside("route-attr", "class Policy:\n    route = 5\n", "Policy", "refuse",
           "route is not callable")
    for slug, body, what in [
        ("route-raises", "raise KeyError('boom in route')", "route() raises KeyError"),
        ("route-minus-one", "return -1", "route() returns FC -1"),
        ("route-99", "return 99", "route() returns FC 99 (only 2 FCs)"),
        ("route-str", "return 'east'", "route() returns an FC name"),
        ("route-none", "return None", "route() returns None"),
        ("route-nan", "return float('nan')", "route() returns nan"),
        ("route-float", "return 0.5", "route() returns 0.5"),
        ("route-bigint", "return 2**70", "route() returns 2**70"),
        ("route-esc", "raise ValueError('\\x1b[2J\\x1b[31mred')",
         "route() raises with an ANSI escape in its message"),
    ]:
        beside(slug, "class Policy:\n    def __init__(self, **kw):\n        pass\n"
               f"    def route(self, order, state):\n        {body}\n", "Policy", "refuse",
               what, refuse_at="run")
    repl_ok = ("class Repl:\n    review_period_days = 7\n"
               "    def __init__(self, net, skus, **kw):\n        pass\n"
               "    def reorder_point(self, fc, sku):\n        return None\n"
               "    def order_quantity(self, fc, sku, position, state):\n        return {q}\n")
    beside("repl-init-raises", "class Repl:\n    review_period_days = 7\n"
           "    def __init__(self, net, skus, **kw):\n        raise RuntimeError('boom')\n"
           "    def reorder_point(self, fc, sku):\n        return None\n"
           "    def order_quantity(self, fc, sku, position, state):\n        return 0\n",
           "Repl", "refuse", "a replenishment class whose constructor raises RuntimeError",
           where="replenishment", refuse_at="run")
    beside("repl-ok", repl_ok.format(q="10"), "Repl", "accept",
           "a valid replenishment class beside the scenario", where="replenishment")
    beside("repl-no-methods", "class Repl:\n    def __init__(self, net, skus, **kw):\n"
           "        pass\n", "Repl", "refuse", "a replenishment class without its methods",
           where="replenishment", refuse_at="run")
    for slug, q in (("repl-qty-nan", "float('nan')"), ("repl-qty-neg", "-5"),
                    ("repl-qty-huge", "10**30"), ("repl-qty-str", "'ten'"),
                    ("repl-qty-inf", "float('inf')")):
        beside(slug, repl_ok.format(q=q), "Repl", "refuse",
               f"order_quantity() returns {q}", where="replenishment", refuse_at="run")
    # periodic review at a weird period
    beside("repl-period-zero", repl_ok.format(q="1").replace("review_period_days = 7",
                                                             "review_period_days = 0"),
           "Repl", "refuse", "review_period_days = 0 (a review loop that never advances)",
           where="replenishment", refuse_at="run")
    beside("repl-period-nan", repl_ok.format(q="1").replace("review_period_days = 7",
                                                            "review_period_days = float('nan')"),
           "Repl", "refuse", "review_period_days = nan", where="replenishment",
           refuse_at="run")


def _output_paths(g: _Gen) -> None:
    """``run`` without --out writes results/<name>-seed<seed>: a name must not escape it."""
    for slug, name, shown in (("relative", f"../../{ESCAPED}_rel", f"../../{ESCAPED}_rel"),
                              ("absolute", str(g.dest / f"{ESCAPED}_abs"),
                               f"<corpus folder>/{ESCAPED}_abs (absolute)")):
        g.variant("small", "output-path", f"name-{slug}", "accept",
                  f"run without --out, scenario name {shown!r}: results must stay in results/",
                  _sets(("name", name)), default_out=True)
    g.variant("small", "output-path", "name-long", "accept",
              "run without --out, a 300-character name (too long for one path component)",
              _sets(("name", "N" * 300)), default_out=True)


# ------------------------------------------------------------------------------ entry
def generate(dest: Path) -> list[Case]:
    """Write the corpus into ``dest`` (created, must be empty or absent); return its cases."""
    dest = Path(dest).resolve()
    g = _Gen(dest)
    g.cases_dir.mkdir(parents=True, exist_ok=True)
    g.cwd.mkdir(parents=True, exist_ok=True)
    for name, text in (("skus.csv", SKUS_CSV), ("dest.csv", DEST_CSV),
                       ("inventory.csv", INVENTORY_CSV), ("forecast.csv", FORECAST_CSV),
                       ("rates_ground.csv", RATES_GROUND), ("rates_air.csv", RATES_AIR),
                       ("rates_intl.csv", RATES_INTL), ("cartons.csv", CARTONS_CSV),
                       ("zones.csv", ZONE_CSV), ("assign.csv", ASSIGN_CSV)):
        g.file(name, text)
    fifo: Path | None = g.cases_dir / "a_fifo.csv"
    try:
        os.mkfifo(fifo)
    except (AttributeError, OSError):
        fifo = None
    zero_link = g.cases_dir / "zero_link.csv"
    zero_link.symlink_to("/dev/zero")
    for base, data in BASES.items():
        g.add("base", base, data, "accept", f"the valid base '{base}'")
    _numeric(g)
    _sane_values(g)
    _missing(g)
    _unknown(g)
    _empty_collections(g)
    _enums(g)
    _dates(g)
    _names(g)
    _filenames(g)
    _junk(g)
    _deep(g)
    _extends(g, fifo)
    _data_paths(g, fifo, zero_link)
    _csv_generic(g)
    _csv_values(g)
    _csv_ids(g)
    _scale(g)
    _policies(g)
    _output_paths(g)
    # the scenario path itself: a device, a folder, a pipe, nothing
    for path, what in ((Path("/dev/zero"), "the scenario is /dev/zero"),
                       (g.cases_dir, "the scenario is a folder"),
                       (g.cases_dir / "does_not_exist.toml", "the scenario does not exist")):
        g.cases.append(Case(file=path, expect="refuse", what=what, category="scenario-path",
                            names=(path.name,)))
    if fifo is not None:
        g.cases.append(Case(file=fifo, expect="refuse", what="the scenario is a named pipe",
                            category="scenario-path", names=(fifo.name,)))
    g.cases.append(Case(file=zero_link, expect="refuse",
                        what="the scenario is a symlink to /dev/zero", category="scenario-path",
                        names=(zero_link.name, "/dev/zero")))
    return g.cases


KEY_CASES = (  # always in the quick sample (ids)
    "policy-code__cwd-module.toml", "policy-code__subprocess-popen.toml",
    "pol_beside-ok/policy-code__beside-ok.toml", "scale__orders-1e9.toml",
    "scale__128-fcs.toml", "scale__128-channels.toml", "scale__3000-unit-line.toml",
    "extends__cycle-a.toml", "deep-nesting__array-5000-unknown-key.toml",
    "names-printable__scenario-name-markup-close.toml",
    "names-control__fc-name-esc-color.toml", "empty-or-wrong-size__fcs.east.pickup_days.toml",
    "num-zero__services.ground.dim_divisor-0.toml",
)


def sample(cases: list[Case], n: int = 45) -> list[Case]:
    """A fixed, quick sample: the key cases, one case of every other category (a seeded pick,
    alternating between refusals and acceptances where a category has both), then cases
    spread evenly over the rest, up to ``n``."""
    quick = [c for c in cases if not c.slow]
    chosen: list[Case] = [c for c in quick if c.key or c.id in KEY_CASES]
    cats: dict[str, list[Case]] = {}
    for c in quick:
        cats.setdefault(c.category, []).append(c)
    rng = random.Random(SEED)
    for i, group in enumerate(cats.values()):
        if any(c in chosen for c in group):
            continue
        want = ("refuse", "accept")[i % 2]
        pool = [c for c in group if c.expect == want] or group
        chosen.append(pool[rng.randrange(len(pool))])
    rest = [c for c in quick if c not in chosen]
    if len(chosen) < n and rest:
        step = max(1, len(rest) // (n - len(chosen)))
        chosen += rest[rng.randrange(step)::step][: n - len(chosen)]
    return chosen


if __name__ == "__main__":  # python tests/hostile_corpus.py DEST: write it and list it
    import sys
    from collections import Counter

    out = generate(Path(sys.argv[1]))
    (Path(sys.argv[1]) / "cases.json").write_text(json.dumps(to_json(out), indent=1))
    print(len(out), "cases;", dict(Counter(c.expect for c in out)))
    for cat, k in sorted(Counter(c.category for c in out).items()):
        print(f"  {cat:24s} {k}")
