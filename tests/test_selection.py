"""Ranking and selection (sim/experiments/selection.py): KN and Rinott on known normal cases.

Every case draws from seeded generators, so the measured PCS values are fixed numbers; the
thresholds are ``1 - alpha`` minus three binomial standard errors of the macro-replication
count, the tolerance a correct procedure at exactly ``1 - alpha`` would fail about once in
a thousand seeds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy import integrate, special, stats

from sim.experiments.selection import (
    Selection,
    kn_constants,
    kn_select,
    rinott_h,
    rinott_select,
)

SEED = 20240611
ALPHA = 0.05


def _tolerance(macroreps: int, p: float = 1 - ALPHA) -> float:
    return 3 * math.sqrt(p * (1 - p) / macroreps)


def _normal_sampler(means: list[float], sd: float, rho: float, m: int, max_r: int = 1000
                    ) -> Callable[[int], list[float]]:
    """Replication r of macro-replication m: normal KPIs with correlation rho across variants
    (a shared term, as CRN induces), the same values whenever r is asked again."""
    rng = np.random.default_rng([SEED, m, len(means), round(rho * 100)])
    shared = rng.standard_normal((max_r, 1))
    own = rng.standard_normal((max_r, len(means)))
    data = np.asarray(means) + sd * (math.sqrt(rho) * shared + math.sqrt(1 - rho) * own)
    return lambda r: data[r].tolist()


def _kn_runs(means: list[float], sd: float, rho: float, delta: float, macroreps: int,
             minimize: bool = True) -> list[Selection]:
    return [kn_select(_normal_sampler(means, sd, rho, m), len(means), delta=delta, alpha=ALPHA,
                      minimize=minimize) for m in range(macroreps)]


def test_kn_constants_match_a_hand_computation() -> None:
    # k = 3, n0 = 10, alpha = 0.05: 2 alpha / (k - 1) = 0.05, and 0.05^(-2/9) = 20^(2/9)
    # = exp(2/9 * ln 20) = exp(2/9 * 2.9957323) = exp(0.6657183) = 1.9458877, so
    # eta = (1.9458877 - 1) / 2 = 0.4729439 and h^2 = 2 * eta * 9 = 8.512990.
    eta, h2 = kn_constants(3, 0.05, 10)
    assert eta == pytest.approx(0.4729439, abs=1e-6)
    assert h2 == pytest.approx(8.512990, abs=1e-5)


def test_kn_selects_a_clear_best_under_crn() -> None:
    """k = 5, means 0, 1, 1, 1, 1 (lower is better), sd 2, correlation 0.5, delta 0.5."""
    runs = _kn_runs([0.0, 1.0, 1.0, 1.0, 1.0], sd=2.0, rho=0.5, delta=0.5, macroreps=200)
    pcs = sum(s.best == 0 for s in runs) / len(runs)
    assert pcs >= 1 - ALPHA - _tolerance(200), pcs  # measured: 1.000 (200/200)
    assert not any(s.truncated for s in runs)
    assert all(s.procedure == "KN" and s.pcs == pytest.approx(0.95) for s in runs)


def test_kn_meets_the_guarantee_in_the_slippage_configuration() -> None:
    """The least favourable case: one variant better by exactly delta, the rest tied."""
    delta = 0.5
    runs = _kn_runs([0.0, delta, delta, delta, delta], sd=1.0, rho=0.0, delta=delta,
                    macroreps=400)
    pcs = sum(s.best == 0 for s in runs) / len(runs)
    assert pcs >= 1 - ALPHA - _tolerance(400), pcs  # measured: 0.975 (390/400)


def test_kn_maximizes_when_asked() -> None:
    runs = _kn_runs([0.0, 0.5, 0.5, 1.5], sd=1.0, rho=0.3, delta=0.5, macroreps=30,
                    minimize=False)
    assert all(s.best == 3 for s in runs)
    assert runs[0].means[3] > runs[0].means[0]


def test_kn_uses_fewer_replications_as_the_gap_grows() -> None:
    delta = 0.5
    totals = []
    for gap in (delta, 2 * delta, 4 * delta):
        runs = _kn_runs([0.0, gap, gap, gap], sd=1.0, rho=0.0, delta=delta, macroreps=40)
        totals.append(float(np.mean([s.total_replications for s in runs])))
    assert totals[0] > totals[1] > totals[2], totals


def test_kn_gains_from_common_random_numbers() -> None:
    """Positively correlated outputs shrink the variance of the differences, and the work."""
    means = [0.0, 0.5, 0.5, 0.5]
    indep = np.mean([s.total_replications for s in _kn_runs(means, 1.0, 0.0, 0.5, 30)])
    crn = np.mean([s.total_replications for s in _kn_runs(means, 1.0, 0.8, 0.5, 30)])
    assert crn < 0.5 * indep, (crn, indep)


def test_kn_bookkeeping() -> None:
    calls: list[int] = []
    inner = _normal_sampler([0.0, 1.0, 1.0, 2.0], 1.0, 0.5, 7)

    def sample(r: int) -> list[float]:
        calls.append(r)
        return inner(r)

    s = kn_select(sample, 4, delta=0.5, n0=10)
    assert calls == list(range(len(calls)))  # each replication once, in order
    assert s.eliminated_at[s.best] is None
    assert s.replications[s.best] == max(s.replications) == len(calls)
    for i, stage in enumerate(s.eliminated_at):
        if i != s.best:
            assert stage is not None and s.replications[i] == stage >= 10
    assert len(s.means) == 4 and s.delta == 0.5 and not s.truncated
    assert "probability at least 95%" in s.describe()


def test_kn_truncation_is_reported() -> None:
    """Two variants 0.01 apart with delta 0.001 cannot be separated in 20 replications."""
    s = kn_select(_normal_sampler([0.0, 0.01, 5.0], 1.0, 0.0, 3), 3, delta=0.001, n0=10,
                  max_replications=20)
    assert s.truncated
    assert s.eliminated_at[s.best] is None
    assert max(s.replications) == 20
    assert "does not hold" in s.describe(["a", "b", "c"])


def test_kn_exact_ties_end_when_the_region_closes() -> None:
    """Identical variants under CRN give zero-variance differences: pick one, not run on."""
    s = kn_select(lambda r: [1.0 + r % 3, 1.0 + r % 3, 2.0 + r % 3], 3, delta=0.1)
    assert s.best == 0 and not s.truncated and s.replications == [10, 10, 10]
    assert s.eliminated_at == [None, 10, 10]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"k": 1}, "k must be an integer >= 2"),
    ({"k": 2.5}, "k must be an integer >= 2"),
    ({"delta": 0.0}, "delta"),
    ({"delta": -1.0}, "delta"),
    ({"delta": math.nan}, "delta"),
    ({"n0": 1}, "n0"),
    ({"alpha": 0.0}, "alpha"),
    ({"alpha": 0.9}, "alpha"),
    ({"max_replications": 5}, "max_replications"),
])
@pytest.mark.parametrize("procedure", [kn_select, rinott_select])
def test_bad_arguments_are_refused(procedure: Callable[..., Selection], kwargs: dict[str, float],
                                   message: str) -> None:
    args: dict[str, object] = {"k": 3, "delta": 0.5, "n0": 10, "alpha": 0.05,
                               "max_replications": 100, **kwargs}
    k = args.pop("k")
    with pytest.raises(ValueError, match=message):
        procedure(lambda r: [0.0, 1.0, 2.0], k, **args)


@pytest.mark.parametrize("procedure", [kn_select, rinott_select])
@pytest.mark.parametrize(("returned", "message"), [
    ([0.0, 1.0], r"sample\(0\) returned 2 values; expected one KPI per variant, k = 3"),
    ([[0.0, 1.0, 2.0]], r"sample\(0\) returned shape \(1, 3\)"),
    ([0.0, math.inf, 2.0], r"non-finite KPI for variant\(s\) \[1\]"),
    (["a", "b", "c"], r"sample\(0\) must return 3 numbers"),
])
def test_bad_samples_are_refused(procedure: Callable[..., Selection], returned: object,
                                 message: str) -> None:
    with pytest.raises(ValueError, match=message):
        procedure(lambda r: returned, 3, delta=0.5)


def test_a_sample_that_changes_length_later_is_refused() -> None:
    with pytest.raises(ValueError, match=r"sample\(10\) returned 4 values"):
        kn_select(lambda r: [0.0, 0.1 * (r % 2), 0.2] + [0.0] * (r >= 10), 3, delta=0.01)


def _rinott_pcs_by_nested_quad(h: float, k: int, nu: int) -> float:
    """The defining double integral by adaptive quadrature on the densities (slow, independent
    of the module's log-scale trapezoid rule)."""
    pdf = stats.chi2(nu).pdf
    lo, hi = stats.chi2(nu).ppf(1e-13), stats.chi2(nu).isf(1e-13)

    def inner(y: float) -> float:
        return integrate.quad(
            lambda x: special.ndtr(h / math.sqrt(nu * (1 / x + 1 / y))) * pdf(x), lo, hi,
            epsabs=1e-10)[0]

    return integrate.quad(lambda y: inner(y) ** (k - 1) * pdf(y), lo, hi, epsabs=1e-10)[0]


def test_rinott_h_solves_its_equation_by_independent_quadrature() -> None:
    h = rinott_h(4, 10, 0.05)
    assert _rinott_pcs_by_nested_quad(h, 4, 9) == pytest.approx(0.95, abs=1e-6)
    assert _rinott_pcs_by_nested_quad(h - 0.01, 4, 9) < 0.95


def test_rinott_h_for_two_variants_by_monte_carlo() -> None:
    """k = 2: the equation is P(Z sqrt(nu (1/X + 1/Y)) <= h) = 1 - alpha exactly."""
    nu = 9
    rng = np.random.default_rng(SEED)
    n = 2_000_000
    t = rng.standard_normal(n) * np.sqrt(nu * (1 / rng.chisquare(nu, n)
                                              + 1 / rng.chisquare(nu, n)))
    p = float(np.mean(t <= rinott_h(2, nu + 1, 0.05)))
    assert p == pytest.approx(0.95, abs=4 * math.sqrt(0.95 * 0.05 / n))


def test_rinott_h_limits_and_monotonicity() -> None:
    # n0 -> infinity: Phi(h / sqrt 2)^(k - 1) = 1 - alpha
    for k in (2, 5, 10):
        limit = math.sqrt(2) * stats.norm.ppf(0.95 ** (1 / (k - 1)))
        assert rinott_h(k, 100_001, 0.05) == pytest.approx(limit, abs=1e-3)
    assert rinott_h(5, 10, 0.05) > rinott_h(5, 20, 0.05) > rinott_h(5, 50, 0.05)
    assert rinott_h(3, 20, 0.05) < rinott_h(5, 20, 0.05) < rinott_h(10, 20, 0.05)
    assert rinott_h(5, 20, 0.10) < rinott_h(5, 20, 0.05) < rinott_h(5, 20, 0.01)


def test_rinott_meets_the_guarantee_in_the_slippage_configuration() -> None:
    """Independent sampling, unequal variances, one variant better by exactly delta."""
    delta, macroreps = 0.5, 200
    means = [0.0, delta, delta, delta]
    sds = np.array([1.0, 0.5, 1.5, 1.0])
    wins = 0
    for m in range(macroreps):
        rng = np.random.default_rng([SEED, 99, m])
        data = np.asarray(means) + sds * rng.standard_normal((1000, 4))
        s = rinott_select(lambda r, d=data: d[r], 4, delta=delta, n0=10)
        wins += s.best == 0
        assert not s.truncated and s.procedure == "Rinott"
    pcs = wins / macroreps
    assert pcs >= 1 - ALPHA - _tolerance(macroreps), pcs  # measured: 0.975 (195/200)


def test_rinott_sample_sizes_follow_the_formula() -> None:
    sample = _normal_sampler([0.0, 0.5, 0.5], 1.0, 0.0, 11)
    s = rinott_select(sample, 3, delta=0.5, n0=10, minimize=True)
    first = np.array([sample(r) for r in range(10)])
    h = rinott_h(3, 10, 0.05)
    expected = np.maximum(10, np.ceil(h * h * first.var(axis=0, ddof=1) / 0.25))
    assert s.replications == expected.astype(int).tolist()
    for i, n in enumerate(s.replications):
        assert s.means[i] == pytest.approx(np.mean([sample(r)[i] for r in range(n)]))
    capped = rinott_select(sample, 3, delta=0.05, n0=10, max_replications=50)
    assert capped.truncated and max(capped.replications) == 50
