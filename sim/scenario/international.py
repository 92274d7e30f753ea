"""Scenario section ``[international]``: orders shipped outside the US, to destination groups
(e.g. Canada, UK, EU, Australia) with their own share of each channel's orders, customs
clearance time, duties and taxes (paid by the shipper for delivered-duty-paid channels) and
higher exception and return costs.

Off when absent (no group, or every channel's share 0): a scenario without the section runs
exactly as before (see :mod:`sim.international`).  Parcels to a group travel only with the
services marked ``international = true`` (``[services.<name>]``), whose rate table has one
price column per group name instead of zones 1-8."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.types import CV, Money, _Model

__all__ = ["CustomsTime", "International", "IntlGroup"]

Prob = Annotated[float, Field(ge=0, le=1)]


class CustomsTime(_Model):
    """Hours a parcel spends in customs clearance (added to its transit): ``mean`` with
    ``dist`` (``deterministic``, ``exponential``, ``lognormal`` or ``gamma``; the last two
    need ``cv``)."""

    mean: float = Field(ge=0, le=24 * 365)
    dist: Literal["deterministic", "exponential", "lognormal", "gamma"] = "deterministic"
    cv: CV = 0.0

    @model_validator(mode="after")
    def _cv_needed(self) -> CustomsTime:
        if self.dist in ("lognormal", "gamma") and self.cv <= 0:
            raise ValueError(f"dist '{self.dist}' needs cv > 0 (coefficient of variation)")
        return self


class IntlGroup(_Model):
    """A destination group outside the US.

    ``weight``: its share of international orders (relative to the other groups' weights);
    ``lat``/``lon``: a representative point (FCs are ranked by distance to it);
    ``customs_h``: clearance time; ``duty_rate``: duties and taxes as a share of the goods'
    value above ``de_minimis`` (goods worth at most that pay nothing);
    ``exception_probability``: replaces the service's for parcels to the group;
    ``return_label_cost``: replaces ``returns.label_cost`` for the group's returns;
    ``promise_extra_days``: calendar days added to the channel's promise;
    ``countries``: the country codes or names (as order exports write them, e.g. ``"CA"``,
    ``"Canada"``) whose orders ``fulfill import orders`` keeps for this group instead of
    dropping them.
    """

    weight: float = Field(gt=0, le=1e6)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    customs_h: CustomsTime = CustomsTime(mean=0.0)
    duty_rate: Prob = 0.0
    de_minimis: Money = 0.0
    exception_probability: Prob | None = None
    return_label_cost: Money | None = None
    promise_extra_days: int = Field(default=0, ge=0, le=60)
    countries: list[str] = Field(default_factory=list)


class International(_Model):
    """International orders, decided when the order is placed (the same orders go abroad,
    to the same group, whatever the routing).

    Each order of channel ``c`` goes abroad with probability ``share.<c>`` (channels not
    listed: 0), to a group drawn by the groups' ``weight`` (a replayed order history that
    names groups, ``zip3 = "@<group>"``, says itself which orders go abroad, and where).  Its
    parcels must travel with an international service (``[services.<name>] international =
    true``).  The channels in ``ddp_channels`` promise delivered duty paid: the shipper pays
    the duties and taxes (``duty_rate`` of the goods' value above the group's
    ``de_minimis``); for the others the customer pays them (logged, not a shipper cost).
    """

    share: dict[str, Prob] = Field(default_factory=dict)
    groups: dict[str, IntlGroup] = Field(default_factory=dict)
    ddp_channels: list[str] = Field(default_factory=list)

    @property
    def on(self) -> bool:
        """True if any order can go abroad: a share above 0, or a group an imported order
        history can name (``countries``, see :mod:`sim.scenario.replay`)."""
        return bool(self.groups) and (any(p > 0 for p in self.share.values())
                                      or any(g.countries for g in self.groups.values()))

    @model_validator(mode="after")
    def _groups_needed(self) -> International:
        if any(p > 0 for p in self.share.values()) and not self.groups:
            raise ValueError("share: orders go abroad but no destination group is given "
                             "(international.groups.<name> with weight, lat, lon)")
        return self
