"""Scenario section ``[quality]``: picking and packing accuracy, wrong addresses and the
customer contact that follows an error (mis-picks, reships, return-to-sender).  Damage in
transit and the carrier's address fees are set per service (``[services.<name>]``:
``damage_probability``, ``address_correction_fee``, ``return_to_sender_fee``).

Every probability defaults to 0 and the pack-station check to off: a scenario without the
section runs exactly as before (see :mod:`sim.quality`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sim.scenario.types import MAX_DAYS, Minutes, _Model

__all__ = ["Prob", "Quality"]

Prob = Annotated[float, Field(ge=0, le=1)]
"""A probability or a share, 0 to 1."""
QDays = Annotated[float, Field(ge=0, le=MAX_DAYS)]


class Quality(_Model):
    """Order errors, decided when the order is placed (common random numbers whatever the
    routing).

    Each order line is mis-picked with ``mispick_probability`` (``mispick_by_class`` by SKU
    class A, B, C).  With ``pack_check`` on, the pack station scans every unit
    (``pack_check_sec_per_unit`` more packing labor) and catches each mis-pick with
    ``pack_check_catch_share``; a caught line is re-picked (``repick_min_per_line`` more
    picking labor) and ships right.  A line shipped wrong is reported by the customer
    ``contact_delay_days`` after delivery: the right units are reshipped (a new, paid
    shipment of the same order) and the wrong ones come back ``wrong_item_return_days``
    after delivery (a return label, ``returns.label_cost``), restocked with
    ``wrong_item_restock_probability``, else written off.

    An order's address is wrong with ``address_error_probability``: the carrier corrects it
    in transit with ``address_corrected_share`` (its ``address_correction_fee``,
    ``address_correction_delay_days`` later), else the parcel goes back to the FC
    (``return_to_sender_fee``; back after as long again as its transit), where its units
    are restocked and the order is reshipped to the corrected address.
    """

    mispick_probability: Prob = 0.0
    mispick_by_class: dict[Literal["A", "B", "C"], Prob] = Field(default_factory=dict)
    pack_check: bool = False
    pack_check_catch_share: Prob = 0.9
    pack_check_sec_per_unit: float = Field(default=0.0, ge=0, le=3600)
    repick_min_per_line: Minutes = 3.0
    contact_delay_days: QDays = 2.0
    wrong_item_return_days: QDays = 10.0
    wrong_item_restock_probability: Prob = 1.0
    address_error_probability: Prob = 0.0
    address_corrected_share: Prob = 0.5
    address_correction_delay_days: QDays = 1.0
