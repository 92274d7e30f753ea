"""Validation against queueing theory: the picking floor as an M/M/c queue (Erlang C)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.eventlog import EventLog, Status
from sim.queueing import erlang_c, mmc_mean_wait, mmc_wait_exceeds
from tests.conftest import ALWAYS, MakeScenario, run


def test_erlang_c_worked_example() -> None:
    """The worked example of ../shared/README.md (100/h, 6 min, 12 servers) and M/M/1."""
    assert erlang_c(100, 10, 12) == pytest.approx(0.449388, abs=1e-6)
    assert mmc_mean_wait(100, 10, 12) == pytest.approx(0.022469, abs=1e-6)
    assert 100 * mmc_mean_wait(100, 10, 12) == pytest.approx(2.2469, abs=1e-4)
    assert mmc_wait_exceeds(100, 10, 12, 1 / 60) == pytest.approx(0.322, abs=5e-4)
    assert mmc_mean_wait(8, 10, 1) == pytest.approx(0.4, abs=1e-12)
    assert erlang_c(8, 10, 1) == pytest.approx(0.8, abs=1e-12)  # M/M/1: P(wait) = rho


def mmc_scenario(make: MakeScenario, per_hour: float, mean_min: float, servers: int,
                 days: float, seed: int) -> dict[str, object]:
    """One FC, Poisson arrivals, exponential picks, c pickers always on, instant packing."""
    return {
        "run": {"horizon_days": days, "warmup_days": 2, "seed": seed},
        "network": {"open_fcs": ["east"]},
        "demand": {"orders_per_day": 24 * per_hour, "hour_profile": [1.0] * 24,
                   "weekday_profile": [1.0] * 7,
                   "lines_per_order": {"dist": "fixed", "mean": 1},
                   "units_per_line": {"dist": "fixed", "mean": 1}},
        "inventory": {"rule": "days_of_demand", "days": 10_000},
        "replenishment": {"policy": "none"},
        "fcs": {"east": {
            "pick_time": {"per_order_min": mean_min, "per_line_min": 0.0, "per_unit_min": 0.0,
                          "dist": "exponential"},
            "pack_time": {"per_order_min": 0.0, "per_line_min": 0.0, "per_unit_min": 0.0,
                          "dist": "deterministic"},
            "shifts": {"day": {"days": ALWAYS, "start_h": 0.0, "end_h": 24.0,
                               "pickers": servers, "packers": servers}}}},
    }


def pick_waits(log: EventLog) -> np.ndarray:
    """Wait in the pick queue of each order placed after the warm-up."""
    ev = log["events"]
    placed = log["orders"]["placed_h"]
    start = ev["status"] == Status.PICK_START
    oid = ev["order_id"][start]
    wait = ev["time_h"][start] - placed[oid]
    return wait[placed[oid] >= log.warmup_h]


def replicate(make: MakeScenario, per_hour: float, mean_min: float, servers: int, days: float,
              reps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sc = make(mmc_scenario(make, per_hour, mean_min, servers, days, seed=424242))
    wq, pw, p_tail = [], [], []
    for r in range(reps):
        w = pick_waits(run(sc, replication=r))
        wq.append(w.mean())
        pw.append((w > 0).mean())
        p_tail.append((w > 1 / 60).mean())
    return np.array(wq), np.array(pw), np.array(p_tail)


def assert_within_ci(samples: np.ndarray, theory: float, max_rel_half_width: float) -> None:
    """Theory lies in the 99 % t-interval of the replication means, and the interval is tight
    enough that the check means something."""
    n = len(samples)
    mean = samples.mean()
    half = stats.t.ppf(0.995, n - 1) * samples.std(ddof=1) / np.sqrt(n)
    assert abs(mean - theory) <= half, f"theory {theory:.5f} outside {mean:.5f} ± {half:.5f}"
    assert half <= max_rel_half_width * theory, f"CI too wide: ±{half:.5f} around {mean:.5f}"


def test_mmc_own_parameters(make_scenario: MakeScenario) -> None:
    """20 orders/h, 9-minute exponential picks, 4 pickers (rho = 0.75)."""
    lam, mean_min, c = 20.0, 9.0, 4
    mu = 60.0 / mean_min
    wq, pw, _ = replicate(make_scenario, lam, mean_min, c, days=30, reps=8)
    assert_within_ci(wq, mmc_mean_wait(lam, mu, c), 0.25)
    assert_within_ci(pw, erlang_c(lam, mu, c), 0.05)


@pytest.mark.slow
@pytest.mark.parametrize(("lam", "mean_min", "c"), [(100.0, 6.0, 12), (8.0, 6.0, 1),
                                                      (45.0, 4.0, 4)])
def test_mmc_more_cases(make_scenario: MakeScenario, lam: float, mean_min: float, c: int) -> None:
    """The shared worked example (100/h, 6 min, 12), M/M/1 (8/h, 10/h) and rho = 0.75, c = 4."""
    mu = 60.0 / mean_min
    wq, pw, tail = replicate(make_scenario, lam, mean_min, c, days=60, reps=10)
    assert_within_ci(wq, mmc_mean_wait(lam, mu, c), 0.20)
    assert_within_ci(pw, erlang_c(lam, mu, c), 0.06)
    assert_within_ci(tail, mmc_wait_exceeds(lam, mu, c, 1 / 60), 0.08)
