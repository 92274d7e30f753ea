"""The building blocks of the scenario schema: the error type, bounded number types, the base
model (strict, no inf/nan, unknown fields refused) and the small distributions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Date = Annotated[dt.date, Field(strict=False, ge=dt.date(1900, 1, 1), le=dt.date(2200, 12, 31))]
"""A calendar date: a TOML date or ISO text (``2026-10-05``), years 1900-2200."""

NonNeg = Annotated[float, Field(ge=0)]
Weight = Annotated[float, Field(ge=0, le=1e12)]
"""A relative weight (profiles, shares): normalised, so its scale does not matter."""
Minutes = Annotated[float, Field(ge=0, le=10_000)]
Pos = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=0, le=10**9)]
"""Headcounts, units and other whole amounts: large values overflow the model's arrays."""
Money = Annotated[float, Field(ge=0, le=1e9)]
"""A price or cost in dollars (per hour, parcel, unit or order)."""
CV = Annotated[float, Field(ge=0, le=10)]
"""A coefficient of variation."""
MAX_DAYS = 36_500.0
"""Longest horizon, lead time or delay in days (100 years)."""
Days = Annotated[float, Field(ge=0, le=MAX_DAYS)]
MAX_CODES = 127
"""At most this many FCs, channels and carrier services: the event log stores them as int8."""


class ScenarioError(ValueError):
    """A scenario (or one of its data files) is invalid; the message is meant for the user."""


class _Model(BaseModel):
    # inf and nan are valid TOML but never a valid amount here: refuse them everywhere; strict:
    # no true for 1, no "5" for 5 (dates alone may be written as text, see Date)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class ServiceTime(_Model):
    """Work content of a pick or pack task.

    ``(per_order_min + per_line_min * lines + per_unit_min * units) * X`` minutes, where ``X`` is
    a random factor with mean 1 drawn from ``dist`` (``cv`` is its coefficient of variation).
    Keeping the mean structure separate from the noise lets engineered standards (seconds per
    line, per unit) be entered as they are measured on the floor.
    """

    per_order_min: Minutes = 0.0
    per_line_min: Minutes = 0.0
    per_unit_min: Minutes = 0.0
    dist: Literal["exponential", "lognormal", "gamma", "deterministic"] = "deterministic"
    cv: CV = 0.0

    @model_validator(mode="after")
    def _cv_needed(self) -> ServiceTime:
        if self.dist in ("lognormal", "gamma") and self.cv <= 0:
            raise ValueError(f"dist '{self.dist}' needs cv > 0 (coefficient of variation)")
        return self


class CountDist(_Model):
    """A distribution of a positive integer (lines per order, units per line).

    ``shifted_poisson``: 1 + Poisson(mean - 1); ``shifted_geometric``: geometric on 1, 2, ...
    with the given mean; ``fixed``: always ``mean``; ``empirical``: ``values`` with ``weights``.
    Draws are capped at ``max``.
    """

    dist: Literal["fixed", "shifted_poisson", "shifted_geometric", "empirical"] = "fixed"
    mean: float = Field(default=1.0, ge=1.0, le=10_000)
    values: list[Annotated[int, Field(ge=1, le=10_000)]] | None = None
    weights: list[Weight] | None = None
    max: int = Field(default=50, ge=1, le=10_000)

    @model_validator(mode="after")
    def _empirical(self) -> CountDist:
        if self.dist == "empirical":
            if not self.values or not self.weights or len(self.values) != len(self.weights):
                raise ValueError("dist 'empirical' needs 'values' and 'weights' of equal length")
            if sum(self.weights) <= 0:
                raise ValueError("'weights' must not all be zero")
        elif self.dist == "fixed" and self.mean != int(self.mean):
            raise ValueError("dist 'fixed' needs an integer 'mean'")
        return self

    def expected(self) -> float:
        """Mean of the (uncapped) distribution, used for forecasts."""
        if self.dist == "empirical":
            assert self.values is not None and self.weights is not None
            w = np.asarray(self.weights, float)
            return float(np.dot(self.values, w) / w.sum())
        return float(self.mean)

    def second_moment(self) -> float:
        """E[X^2] of the (uncapped) distribution, for compound-Poisson variances."""
        m = self.expected()
        if self.dist == "empirical":
            assert self.values is not None and self.weights is not None
            v, w = np.asarray(self.values, float), np.asarray(self.weights, float)
            return float((v**2 * w).sum() / w.sum())
        if self.dist == "shifted_poisson":  # 1 + Poisson(m - 1): variance m - 1
            return (m - 1.0) + m * m
        if self.dist == "shifted_geometric":  # geometric on 1, 2, ...: variance m^2 - m
            return 2 * m * m - m
        return m * m


def _weekday_list(v: list[str] | None) -> list[str] | None:
    if v is None:
        return None
    out = []
    for d in v:
        key = str(d).strip().lower()
        if key in WEEKDAY_NAMES:
            key = key[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"'{d}' is not a weekday (expected one of {', '.join(WEEKDAYS)}, "
                             "or the full name)")
        out.append(key)
    return out


class FileRef(_Model):
    file: str
