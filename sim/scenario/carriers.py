"""Scenario sections for carriers: the zone model (``[carrier]``), carrier services with
their rates, discounts, surcharges and transit (``[services.<name>]``), and how shipments
are packed and their service chosen (``[shipping]``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.types import FileRef, Money, _Model, _weekday_list

__all__ = ["Carrier", "ServiceConfig", "Shipping", "ZoneDays"]


ZoneDays = list[Annotated[int, Field(ge=0, le=30)]]


class Carrier(_Model):
    """The zone model, and a simple flat-rate ground service when no ``[services]`` are given.

    ``zone_max_miles`` are the upper bounds of zones 1-7 (zone 8 beyond); defaults are the
    published USPS bands.  ``zone_chart`` (CSV ``origin_zip, dest_zip, zone``) replaces the
    bands for every FC-destination pair whose ZIP3s it lists.  ``transit_days_by_zone`` and
    ``cost_by_zone`` (a flat price per parcel) list zones 1 to 8.
    """

    name: str = "Ground"
    zone_max_miles: list[Annotated[float, Field(gt=0, le=25_000)]] = Field(
        default_factory=lambda: [50.0, 150.0, 300.0, 600.0, 1000.0, 1400.0, 1800.0]
    )
    transit_days_by_zone: ZoneDays | None = None
    cost_by_zone: list[Money] | None = None
    business_days: bool = True
    delivery_hour: float = Field(default=17.0, ge=0, lt=24)
    zone_chart: str | None = None

    @model_validator(mode="after")
    def _lengths(self) -> Carrier:
        if len(self.zone_max_miles) != 7 or sorted(self.zone_max_miles) != self.zone_max_miles:
            raise ValueError("zone_max_miles needs 7 increasing distances (zones 1-7)")
        for name in ("transit_days_by_zone", "cost_by_zone"):
            v = getattr(self, name)
            if v is not None and len(v) != 8:
                raise ValueError(f"{name} needs 8 values (zones 1-8)")
        return self


class ServiceConfig(_Model):
    """A carrier service: its rate table, dimensional-weight rule, surcharges and transit.

    ``rates`` is a CSV with a ``weight_lb`` column (every whole pound from 1 up to the
    service's maximum) and one price column per zone ``1`` to ``8``.  ``dim_divisor`` 139 is
    UPS/FedEx daily rates, 166 USPS (with ``dim_min_cubic_in = 1728``: dimensional weight only
    for parcels over one cubic foot); leave it out for no dimensional weight.  A parcel is late (one
    more transit day) with ``late_probability``; it ends in a delivery exception (never
    delivered) with ``exception_probability``; it arrives damaged with
    ``damage_probability`` (a replacement and a write-off, see
    :class:`~sim.scenario.quality.Quality`), and a parcel with a wrong address costs the
    carrier's ``address_correction_fee`` or ``return_to_sender_fee``.  Pickups follow each
    FC's cut-offs unless the service sets its own.  ``discount_pct`` is the shipper's
    contract discount off the rate table (how shippers pay: list rates less a negotiated
    percentage); the fuel surcharge is a share of the discounted charge.
    ``surcharge_discount_pct`` discounts the residential surcharge.

    An ``international = true`` service carries only parcels to the destination groups of
    ``[international]``: its rate table has one price column per group name (instead of
    zones 1-8) and ``transit_days_by_group`` replaces ``transit_days_by_zone``; the other
    services carry only domestic parcels.
    """

    carrier: str = ""
    rates: str
    dim_divisor: float | None = Field(default=None, gt=0, le=1e6)
    dim_min_cubic_in: float = Field(default=0.0, ge=0, le=1e9)
    fuel_surcharge_pct: float = Field(default=0.0, ge=0, le=1000)
    residential_surcharge: Money = 0.0
    discount_pct: float = Field(default=0.0, ge=0, lt=100)
    surcharge_discount_pct: float = Field(default=0.0, ge=0, le=100)
    transit_days_by_zone: ZoneDays | None = None
    international: bool = False
    transit_days_by_group: dict[str, Annotated[int, Field(ge=0, le=60)]] = Field(
        default_factory=dict)
    late_probability: float = Field(default=0.0, ge=0, le=1)
    exception_probability: float = Field(default=0.0, ge=0, le=1)
    damage_probability: float = Field(default=0.0, ge=0, le=1)
    address_correction_fee: Money = 0.0
    return_to_sender_fee: Money = 0.0
    business_days: bool = True
    pickup_cutoffs_h: list[Annotated[float, Field(ge=0, lt=24)]] | None = Field(
        default=None, min_length=1)
    pickup_days: list[str] | None = Field(default=None, min_length=1)

    _days = field_validator("pickup_days")(_weekday_list)

    @field_validator("transit_days_by_zone")
    @classmethod
    def _eight(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and len(v) != 8:
            raise ValueError("needs 8 values (zones 1-8)")
        return v

    @model_validator(mode="after")
    def _transit(self) -> ServiceConfig:
        if self.international:
            if not self.transit_days_by_group:
                raise ValueError("transit_days_by_group: an international service needs the "
                                 "transit days to each destination group it serves")
        elif self.transit_days_by_zone is None:
            raise ValueError("transit_days_by_zone: field required (8 values, zones 1-8)")
        elif self.transit_days_by_group:
            raise ValueError("transit_days_by_group: only for services with "
                             "international = true")
        return self


class Shipping(_Model):
    """How each shipment's service is chosen and what it is packed in.

    ``policy``: ``rate_shop`` (cheapest service whose expected delivery meets the order's
    promise, else the fastest), ``cheapest``, ``fastest`` or ``fixed:<service>``.
    ``cartons``: CSV ``carton, length_in, width_in, height_in, max_weight_lb, cost``; without it
    parcels bill their actual weight (no dimensional weight, no carton cost).  ``oversize``:
    a SKU that fits no carton is an ``error`` (the default), or ships in its ``own_box``.
    """

    policy: str = "rate_shop"
    cartons: FileRef | None = None
    oversize: Literal["error", "own_box"] = "error"
