"""Ranking and selection: pick the best of k variants with a stated probability of being right.

Both procedures are *indifference-zone* procedures.  The user names ``delta``, the smallest
difference in the KPI worth detecting, and ``alpha``.  If the best variant's true mean beats
every other by at least ``delta``, the procedure selects it with probability at least
``1 - alpha`` (the *probability of correct selection*, PCS).  If some variants are within
``delta`` of the best, the procedure may pick any of them; the guarantee is then about the
best's indifference zone, not about the exact best.  Both assume normally distributed
replication outputs (replication averages of a long simulation are close to normal); variances
may be unknown and unequal.

Samples come from ``sample(r)``: the KPI of all k variants in replication ``r`` (``r = 0, 1,
2, ...``).  The same ``r`` should use the same random numbers in every variant (common random
numbers, CRN) for KN, which works on the paired differences and so gains from CRN.  Values of
variants already eliminated are read (the caller does not know which ones are) but ignored.

KN (Kim and Nelson 2001), the fully sequential procedure
---------------------------------------------------------

S.-H. Kim and B. L. Nelson, "A fully sequential procedure for indifference-zone selection in
simulation", ACM Transactions on Modeling and Computer Simulation 11(3):251-273, 2001.
With first-stage size ``n0`` (maximization; minimization negates the KPI):

1. ``eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2`` and ``h^2 = 2 eta (n0 - 1)``.
2. Take ``n0`` replications of every variant.  For every pair ``i != l`` the variance of the
   difference, ``S_il^2 = sum_j (X_ij - X_lj - (Xbar_i - Xbar_l))^2 / (n0 - 1)``.
   Set ``r = n0`` and let every variant survive.
3. Screening: with ``W_il(r) = max(0, delta / (2 r) * (h^2 S_il^2 / delta^2 - r))``, variant
   ``i`` survives if ``Xbar_i(r) >= Xbar_l(r) - W_il(r)`` for every other survivor ``l`` (all
   compared against the survivors *before* this screening).
4. If one variant survives, select it.  Otherwise take one more replication of every survivor,
   ``r += 1``, and go to 3.

The continuation region closes (``W_il = 0``) at ``r >= h^2 S_il^2 / delta^2``, so the
procedure ends by ``r = max(n0, ceil(max_il h^2 S_il^2 / delta^2))`` replications.  Exact ties
(possible only with discrete or identical outputs) are broken toward the lowest index once the
region has closed for every surviving pair.  The PCS guarantee is ``1 - alpha`` for
independent normal replications with CRN allowed (the pairwise differences are what the proof
uses).  If the run hits ``max_replications`` first, the survivor with the best mean is reported
and ``truncated`` says the guarantee does not hold.

Rinott (1978), the two-stage procedure
--------------------------------------

Y. Rinott, "On two-stage selection procedures and related probability-inequalities",
Communications in Statistics - Theory and Methods A7(8):799-811, 1978; the constant as in
R. E. Bechhofer, T. J. Santner and D. M. Goldsman, *Design and Analysis of Experiments for
Statistical Selection, Screening, and Multiple Comparisons*, Wiley, 1995.

1. Take ``n0`` replications of every variant; ``S_i^2`` is each variant's sample variance.
2. ``N_i = max(n0, ceil((h S_i / delta)^2))``; take ``N_i - n0`` more replications of variant
   ``i`` and select the best overall mean (nothing is eliminated: ``eliminated_at`` is all
   ``None``).

``h`` solves ``E_Y[ (E_X[ Phi(h / sqrt(nu (1/X + 1/Y))) ])^(k-1) ] = 1 - alpha`` with ``X, Y``
independent chi-square with ``nu = n0 - 1`` degrees of freedom (:func:`rinott_h`).  Rinott's
guarantee is proved for variants sampled *independently* of each other; with CRN it is not
covered by the proof (use KN then).  Here ``sample(r)`` is called for ``r < max N_i`` and
variant ``i`` uses its first ``N_i`` values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special, stats

__all__ = ["Selection", "kn_constants", "kn_select", "rinott_h", "rinott_select"]

Sample = Callable[[int], Sequence[float] | NDArray[np.floating[Any]]]


@dataclass(frozen=True)
class Selection:
    """The outcome of a selection procedure."""

    best: int  # index of the selected variant
    pcs: float  # the nominal probability of correct selection, 1 - alpha
    delta: float  # indifference zone, in KPI units
    replications: list[int]  # replications used per variant
    eliminated_at: list[int | None]  # stage (replication count) of elimination; None: survived
    means: list[float]  # each variant's sample mean over its replications
    procedure: Literal["KN", "Rinott"]
    truncated: bool = False  # max_replications was hit: the PCS guarantee does not hold

    @property
    def total_replications(self) -> int:
        return sum(self.replications)

    def describe(self, names: Sequence[str] | None = None) -> str:
        """One sentence for a report."""
        name = names[self.best] if names is not None else f"variant {self.best}"
        if self.truncated:
            return (f"{self.procedure}: {name} has the best mean, but the replication limit "
                    f"was reached first, so the {self.pcs:.0%} guarantee does not hold")
        return (f"{self.procedure}: {name} is the best (or within {self.delta:g} of the best) "
                f"with probability at least {self.pcs:.0%}")


def _check_common(k: int, delta: float, alpha: float, n0: int, max_replications: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise ValueError(f"k must be an integer >= 2 (the number of variants), got {k!r}")
    if not isinstance(delta, int | float | np.number) or not math.isfinite(delta) or delta <= 0:
        raise ValueError(f"delta (the indifference zone) must be a finite number > 0, "
                         f"got {delta!r}")
    if not isinstance(alpha, int | float | np.number) or not 0 < alpha < 1 - 1 / k:
        raise ValueError(f"alpha must be in (0, 1 - 1/k) = (0, {1 - 1 / k:g}) for k = {k} "
                         f"(a PCS of 1/k is a random guess), got {alpha!r}")
    if isinstance(n0, bool) or not isinstance(n0, int | np.integer) or n0 < 2:
        raise ValueError(f"n0 (the first-stage replications) must be an integer >= 2 to "
                         f"estimate a variance, got {n0!r}")
    if (isinstance(max_replications, bool) or not isinstance(max_replications, int | np.integer)
            or max_replications < n0):
        raise ValueError(f"max_replications must be an integer >= n0 = {n0}, "
                         f"got {max_replications!r}")


def _draw(sample: Sample, r: int, k: int, alive: NDArray[np.bool_] | None = None
          ) -> NDArray[np.float64]:
    """``sample(r)`` as a float vector of length k, finite where the variant is still alive."""
    raw: Any = sample(r)
    try:
        x = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sample({r}) must return {k} numbers, got {raw!r:.80}") from exc
    if x.ndim != 1 or x.shape[0] != k:
        got = f"shape {x.shape}" if x.ndim != 1 else f"{x.shape[0]} values"
        raise ValueError(f"sample({r}) returned {got}; expected one KPI per variant, "
                         f"k = {k} values")
    check = x if alive is None else x[alive]
    if not np.all(np.isfinite(check)):
        bad = [int(i) for i in np.flatnonzero(~np.isfinite(x)) if alive is None or alive[i]]
        raise ValueError(f"sample({r}) returned a non-finite KPI for variant(s) {bad}")
    return x


def kn_constants(k: int, alpha: float, n0: int) -> tuple[float, float]:
    """KN's ``(eta, h^2)``: ``eta = ((2 alpha/(k-1))^(-2/(n0-1)) - 1)/2``, ``h^2 = 2 eta (n0-1)``.
    """
    _check_common(k, 1.0, alpha, n0, n0)
    eta = ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2
    return eta, 2 * eta * (n0 - 1)


def kn_select(sample: Sample, k: int, *, delta: float, alpha: float = 0.05, n0: int = 10,
              max_replications: int = 1000, minimize: bool = True) -> Selection:
    """Select the best of ``k`` variants with the KN fully sequential procedure.

    ``sample(r)`` returns the KPI of all ``k`` variants in replication ``r``; the same ``r``
    should mean the same random numbers (CRN).  ``minimize`` says lower is better.  The
    procedure and its guarantee are described in the module docstring.
    """
    _check_common(k, delta, alpha, n0, max_replications)
    _, h2 = kn_constants(k, alpha, n0)
    sign = -1.0 if minimize else 1.0  # work on a KPI where larger is better
    first = np.stack([_draw(sample, r, k) for r in range(n0)]) * sign  # (n0, k)
    diffs = first[:, :, None] - first[:, None, :]
    s2 = diffs.var(axis=0, ddof=1)  # S_il^2, symmetric, zero diagonal
    sums = first.sum(axis=0)
    counts = np.full(k, n0)
    alive = np.ones(k, dtype=bool)
    eliminated_at: list[int | None] = [None] * k
    r = n0
    truncated = False
    while True:
        idx = np.flatnonzero(alive)
        means = sums[idx] / r
        w = np.maximum(0.0, delta / (2 * r) * (h2 * s2[np.ix_(idx, idx)] / delta**2 - r))
        # i is out if some other survivor l has mean_i < mean_l - W_il (W_ii = 0 cannot bite)
        out = (means[:, None] < means[None, :] - w).any(axis=1)
        stay = np.flatnonzero(~out)
        if len(stay) > 1 and not w[np.ix_(stay, stay)].any():
            # the region has closed for every surviving pair, so they are exactly tied
            out[stay[1:]] = True
        for i in idx[out]:
            alive[i] = False
            eliminated_at[int(i)] = r
        if alive.sum() == 1:
            break
        if r >= max_replications:
            truncated = True
            break
        x = _draw(sample, r, k, alive) * sign
        sums[alive] += x[alive]
        counts[alive] += 1
        r += 1
    idx = np.flatnonzero(alive)
    best = int(idx[np.argmax(sums[idx] / counts[idx])])
    return Selection(
        best=best, pcs=1 - alpha, delta=float(delta), replications=counts.tolist(),
        eliminated_at=eliminated_at, means=(sign * sums / counts).tolist(), procedure="KN",
        truncated=truncated)


_GRID = 401  # quadrature nodes per chi-square expectation


@lru_cache(maxsize=64)
def _chi2_nodes(nu: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Nodes and weights for ``E[f(X)]``, ``X`` chi-square(nu): trapezoid rule in ``log X``.

    The density of ``log X`` is smooth and decays fast on both sides, so the trapezoid rule
    over the quantile range [1e-15, 1 - 1e-15] converges geometrically; the weights are
    normalised to sum to one.
    """
    dist = stats.chi2(nu)
    s = np.linspace(math.log(dist.ppf(1e-15)), math.log(dist.isf(1e-15)), _GRID)
    x = np.exp(s)
    w = np.exp(dist.logpdf(x) + s)
    w[[0, -1]] /= 2
    return x, w / w.sum()


def _rinott_pcs(h: float, k: int, nu: int) -> float:
    """Rinott's lower bound on PCS for constant ``h``: the left side of the defining equation."""
    x, w = _chi2_nodes(nu)
    z = h / np.sqrt(nu * (1 / x[:, None] + 1 / x[None, :]))  # rows: X, columns: Y
    inner = w @ special.ndtr(z)  # E_X[Phi(.)] for each Y node
    return float(w @ inner ** (k - 1))


@lru_cache(maxsize=128)
def rinott_h(k: int, n0: int, alpha: float = 0.05) -> float:
    """Rinott's constant ``h`` for ``k`` variants, first stage ``n0`` and PCS ``1 - alpha``.

    Solves ``E_Y[(E_X[Phi(h / sqrt(nu (1/X + 1/Y)))])^(k-1)] = 1 - alpha`` (X, Y independent
    chi-square, ``nu = n0 - 1``): the double integral by a trapezoid rule in ``log X`` and
    ``log Y``, the root by Brent's method (``scipy.optimize.brentq``).
    """
    _check_common(k, 1.0, alpha, n0, n0)
    nu = n0 - 1
    target = 1 - alpha
    hi = 2.0
    while _rinott_pcs(hi, k, nu) < target:
        hi *= 2
        if hi > 1e4:
            raise ValueError(f"no Rinott constant found for k={k}, n0={n0}, alpha={alpha}")
    return float(optimize.brentq(lambda h: _rinott_pcs(h, k, nu) - target, 0.0, hi,
                                 xtol=1e-7, rtol=1e-9))


def rinott_select(sample: Sample, k: int, *, delta: float, alpha: float = 0.05, n0: int = 10,
                  max_replications: int = 1000, minimize: bool = True) -> Selection:
    """Select the best of ``k`` variants with Rinott's two-stage procedure.

    Same arguments as :func:`kn_select`.  The guarantee assumes variants sampled independently
    of each other (see the module docstring).  A variant whose second-stage size exceeds
    ``max_replications`` gets ``max_replications`` and the result is ``truncated``.
    """
    _check_common(k, delta, alpha, n0, max_replications)
    h = rinott_h(int(k), int(n0), float(alpha))
    sign = -1.0 if minimize else 1.0
    first = np.stack([_draw(sample, r, k) for r in range(n0)]) * sign
    s2 = first.var(axis=0, ddof=1)
    wanted = np.maximum(n0, np.ceil(h * h * s2 / delta**2)).astype(int)
    n = np.minimum(wanted, max_replications)
    truncated = bool((wanted > max_replications).any())
    sums = first.sum(axis=0)
    for r in range(n0, int(n.max())):
        need = n > r
        sums[need] += _draw(sample, r, k, need)[need] * sign
    means = sums / n
    best = int(np.argmax(means))
    return Selection(
        best=best, pcs=1 - alpha, delta=float(delta), replications=n.tolist(),
        eliminated_at=[None] * k, means=(sign * means).tolist(), procedure="Rinott",
        truncated=truncated)
