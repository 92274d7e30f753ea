"""Scenario section ``[intake]``: orders held for review when they are placed (address
validation, fraud screen, payment), reviewed during staffed hours, then released to routing,
released after an address fix, or cancelled.

Off when absent (every review probability defaults to 0): a scenario without the section runs
exactly as before (see :mod:`sim.intake`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.types import CV, WEEKDAYS, Minutes, _Model, _weekday_list

__all__ = ["INTAKE_REASONS", "Intake", "IntakeChannel", "IntakeReason", "ReviewTime"]

Prob = Annotated[float, Field(ge=0, le=1)]
INTAKE_REASONS = ("address", "fraud", "payment")
"""Why an order is held (the order of the codes in the event log's ``intake`` table)."""


class ReviewTime(_Model):
    """Minutes of reviewer work per held order: ``mean`` with ``dist`` (``deterministic``,
    ``exponential``, ``lognormal`` or ``gamma``; the last two need ``cv``), as task times."""

    mean: Minutes
    dist: Literal["deterministic", "exponential", "lognormal", "gamma"] = "deterministic"
    cv: CV = 0.0

    @model_validator(mode="after")
    def _cv_needed(self) -> ReviewTime:
        if self.dist in ("lognormal", "gamma") and self.cv <= 0:
            raise ValueError(f"dist '{self.dist}' needs cv > 0 (coefficient of variation)")
        return self


class IntakeChannel(_Model):
    """A channel's own probability that an order is held for review (instead of
    ``intake.review_probability``)."""

    review_probability: Prob


class IntakeReason(_Model):
    """A reason for review: its ``share`` of held orders and the probabilities of the outcomes
    (``corrected``: released after the address is fixed; ``cancelled``: never routed; released
    as it is with the rest, ``1 - corrected - cancelled``)."""

    share: Prob
    corrected: Prob = 0.0
    cancelled: Prob = 0.0

    @model_validator(mode="after")
    def _outcomes(self) -> IntakeReason:
        if self.corrected + self.cancelled > 1 + 1e-9:
            raise ValueError(f"corrected + cancelled = {self.corrected + self.cancelled:g}: "
                             "the outcome probabilities must not add up to more than 1")
        return self


class Intake(_Model):
    """Intake verification, decided when the order is placed (the same orders are held whatever
    the routing).

    Each order is held for review with its channel's ``review_probability``
    (``channels.<name>.review_probability``, else ``review_probability``), for one of the
    ``reasons`` (``address``, ``fraud``, ``payment``; their ``share`` values add up to 1).  The
    review takes ``review_min`` minutes of work, done only during the staffed ``hours``
    (``[start, end]``, end up to 24 hours after start, past midnight allowed) on ``days``:
    work paused at the end of a staffed period resumes at the start of the next.  There is no
    limit on reviewers (no queue): every held order is worked on from its first staffed moment.
    When the review ends the order is routed (released, or corrected: with ``[quality]``, a
    corrected order's address is then right) or cancelled (never routed, no stock taken).
    """

    review_probability: Prob = 0.0
    channels: dict[str, IntakeChannel] = Field(default_factory=dict)
    reasons: dict[Literal["address", "fraud", "payment"], IntakeReason] = Field(
        default_factory=dict)
    review_min: ReviewTime = ReviewTime(mean=30.0)
    hours: list[float] = Field(default_factory=lambda: [8.0, 20.0], min_length=2, max_length=2)
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)

    _days = field_validator("days")(_weekday_list)

    @property
    def on(self) -> bool:
        """True if any order can be held."""
        return self.review_probability > 0 or any(
            c.review_probability > 0 for c in self.channels.values())

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: list[float]) -> list[float]:
        a, b = v
        if not (0 <= a < 24 and a < b <= a + 24):
            raise ValueError(f"hours [{a:g}, {b:g}]: give [start, end] with 0 <= start < 24 "
                             "and start < end <= start + 24")
        return v

    @model_validator(mode="after")
    def _shares(self) -> Intake:
        total = sum(r.share for r in self.reasons.values())
        if self.on and abs(total - 1.0) > 1e-6:
            raise ValueError(f"reasons: the shares add up to {total:g}, not 1 (give "
                             "intake.reasons.<address|fraud|payment>.share)")
        return self
