"""Intake verification in the model: orders held for review when they are placed (address
validation, fraud screen, payment), reviewed during staffed hours, then routed or cancelled
(``[intake]``, see :class:`sim.scenario.Intake`).

:class:`IntakeProcesses` is a part of :class:`sim.model.FulfillmentModel` (a base class, as
:class:`sim.quality.QualityProcesses` is).  Which orders are held, why, how their review ends
and how much reviewer work it takes are drawn when the day's orders are placed, from a stream
of its own (:data:`INTAKE_STREAMS`: the other streams' draws are unchanged), a fixed number of
draws per order: the same orders are held, for as long, whatever the routing (common random
numbers), and a scenario without ``[intake]`` draws nothing and runs exactly as before.

A held order is logged ``INTAKE_HOLD`` when placed and is not offered to the routing policy.
Its review work advances only during the staffed hours (:func:`review_end`; no limit on
reviewers, so no queue).  When it ends (one row of the ``intake`` table), the order is
``CANCELLED`` (never routed, no stock taken) or ``INTAKE_RELEASED`` and routed at once (to the
next wave under a wave policy) as if it had just arrived; a ``corrected`` order's address is
right from then on (with ``[quality]``, its address error is cleared).  A review still under
way at the horizon leaves the order open (its latest status ``INTAKE_HOLD``).  The order's
placement time is unchanged: click-to-ship and click-to-deliver include the review.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from sim.demand import service_factor
from sim.eventlog import IntakeOutcome, Status
from sim.quality import ADDRESS_OK
from sim.rng import stream

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import simpy

    from sim.network import Network
    from sim.recorder import Recorder
    from sim.state import OrderView

INTAKE_STREAMS = ("intake",)
"""Random stream of intake reviews (a new name: the other streams' draws are unchanged)."""

INTAKE_TABLES = frozenset({"intake"})

_COLS = ("time_h", "order_id", "reason", "outcome", "review_h")


class Review(NamedTuple):
    """An order's intake review, drawn when it is placed."""

    reason: int  # IntakeReason
    outcome: int  # IntakeOutcome
    work_h: float  # reviewer work, hours


def review_end(t0: float, work_h: float, hours: tuple[float, float],
               staffed_days: Sequence[bool], weekday0: int, limit: float = math.inf) -> float:
    """When ``work_h`` hours of review that can start at ``t0`` end, working only from
    ``hours[0]`` to ``hours[1]`` (hours of the day, the end possibly past midnight) of the
    staffed weekdays (``staffed_days[0]`` Monday; day 0 of the run is weekday ``weekday0``).
    Work starts at the first staffed moment at or after ``t0`` (even zero work waits for it);
    ``inf`` if it would end after ``limit``."""
    a_h, b_h = hours
    day = math.floor(t0 / 24.0) - 1  # the day before's period may run past midnight
    left = work_h
    while True:
        a = 24.0 * day + a_h
        if a > limit:
            return math.inf
        b = 24.0 * day + b_h
        if b > t0 and staffed_days[(day + weekday0) % 7]:
            s = max(a, t0)
            if left <= b - s:
                return s + left
            left -= b - s
        day += 1


class IntakeProcesses:
    """Intake reviews (see the module docstring)."""

    if TYPE_CHECKING:  # provided by FulfillmentModel
        net: Network
        env: simpy.Environment
        rec: Recorder
        rngs: dict[str, np.random.Generator]
        replication: int
        _wave_h: float | None

        def _at(self, t: float, fn: Callable[[Any], None], value: Any = None) -> None: ...
        def _log(self, t: float, status: int, order: int, fc: int, shipment: int) -> None: ...
        def _route(self, view: OrderView, placed: Any, held: bool) -> bool: ...
        def _enqueue(self, view: OrderView, placed: Any, held: bool) -> bool: ...

    def _init_intake(self) -> None:
        # the day's held orders: index in the day -> their review (empty: none held)
        self._day_intake: dict[int, Review] = {}
        if self.net.intake is not None:
            net = self.net
            self.rngs.update({n: stream(net.seed, n, self.replication) for n in INTAKE_STREAMS})
            self._ik = [self.rec.cols["intake"][c] for c in _COLS]
            self._weekday0 = net.start_date.weekday()

    def _draw_intake(self, channel: np.ndarray) -> dict[int, Review]:
        """The reviews of the day's orders that are held, by index in the day (four draws per
        order, whatever its fate)."""
        ik = self.net.intake
        assert ik is not None
        u = self.rngs["intake"].random((4, len(channel)))
        held = np.flatnonzero(u[0] < ik.channel_probability[channel])
        if not len(held):
            return {}
        reason = np.minimum(np.searchsorted(ik.reason_cum, u[1, held], side="right"), 2)
        cancel = ik.cancelled[reason]
        v = u[2, held]
        outcome = np.where(v < cancel, int(IntakeOutcome.CANCELLED),
                           np.where(v < cancel + ik.corrected[reason],
                                    int(IntakeOutcome.CORRECTED), int(IntakeOutcome.RELEASED)))
        work = ik.review_mean_h * service_factor(u[3, held], ik.review_dist, ik.review_cv)
        return dict(zip(held.tolist(), map(Review, reason.tolist(), outcome.tolist(),
                                           work.tolist()), strict=True))

    def _intake_hold(self, view: OrderView, placed: Any, review: Review) -> None:
        """Order ``view`` has just been placed and is held for review."""
        ik = self.net.intake
        assert ik is not None
        now, horizon = self.env.now, self.net.horizon_h
        self._log(now, Status.INTAKE_HOLD, view.id, -1, -1)
        end = review_end(now, review.work_h, ik.hours, ik.staffed_days, self._weekday0, horizon)
        if end < horizon:  # else still in review at the horizon
            self._at(end, self._intake_done, (view, placed, review))

    def _intake_done(self, value: tuple[OrderView, Any, Review]) -> None:
        """The review ends: cancel the order, or route it."""
        view, placed, review = value
        now = self.env.now
        for col, v in zip(self._ik, (now, view.id, review.reason, review.outcome,
                                     review.work_h), strict=True):
            col.append(v)
        if review.outcome == IntakeOutcome.CANCELLED:
            self._log(now, Status.CANCELLED, view.id, -1, -1)
            return
        self._log(now, Status.INTAKE_RELEASED, view.id, -1, -1)
        q = placed.quality
        if review.outcome == IntakeOutcome.CORRECTED and q is not None and q.address != ADDRESS_OK:
            placed = placed._replace(quality=q._replace(address=ADDRESS_OK))
        route = self._route if self._wave_h is None else self._enqueue
        route(view, placed, False)
