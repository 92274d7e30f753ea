"""The interval ``benchmarks/bench_ab_sim.py`` prints for the median of the rounds' ratios:
order statistics with binomial coverage (distribution-free)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_ab_sim import median_interval


def test_the_order_statistics_of_the_binomial_tables() -> None:
    # n = 20: the 6th and 15th smallest, coverage 1 - 2 * P(B <= 5) = 0.9586 (B ~ Bin(20, .5))
    values = [float(v) for v in np.random.default_rng(3).permutation(np.arange(1, 21))]
    lo, hi, cover = median_interval(values)  # type: ignore[misc]
    assert (lo, hi) == (6.0, 15.0) and abs(cover - (1 - 2 * 21700 / 2**20)) < 1e-12
    assert median_interval([1.0, 2.0, 3.0, 4.0, 5.0]) is None  # at most 1 - 2/32 = 0.9375
    assert median_interval([float(v) for v in range(6)])[:2] == (0.0, 5.0)  # type: ignore[index]
    got = median_interval([float(v) for v in range(60)])
    assert got is not None and got[:2] == (21.0, 38.0)  # the 22nd and 39th of 60


def test_it_covers_the_median_as_often_as_it_says() -> None:
    rng = np.random.default_rng(11)
    hits = covers = 0
    for _ in range(4000):
        draws = rng.lognormal(0.0, 0.3, 16).tolist()  # median 1
        lo, hi, cover = median_interval(draws)  # type: ignore[misc]
        hits += lo <= 1.0 <= hi
        covers += cover
    # 4,000 intervals: the share covering lies within 4 standard errors of the coverage
    p = covers / 4000
    assert abs(hits / 4000 - p) < 4 * (p * (1 - p) / 4000) ** 0.5
    assert 0.95 <= p < 0.99
