"""Validation against history: a run's simulated order outcomes against what really happened.

``fulfill import orders`` writes an order export's actual outcomes beside the replay scenario
``X.toml`` as ``X.actuals.parquet`` (:mod:`sim.importers.actuals`: ``order_id, placed_h,
shipped_h, delivered_h, shipping_charged``, times on the replay's clock).  A run of ``X.toml``
(or of ``X.fitted.toml``) places the same orders (or orders like them); this module compares
the two distributions of

- **click to ship**, hours from an order being placed to its last shipment handed to the
  carrier (simulated: :attr:`sim.kpis.OrderOutcomes.shipped_h`; actual: Shopify's
  ``Fulfilled at``, Olist's carrier hand-over), and
- **click to deliver**, days from an order being placed to its last shipment delivered
  (simulated: :attr:`~sim.kpis.OrderOutcomes.delivered_h`; actual: Olist's delivery to the
  customer),

over the same orders' window: both sides count orders placed in the run's measurement window
``[warm-up, horizon)``, and an outcome only if it happened by the end of the horizon (the
simulation cannot see beyond it, so the history is cut the same way; otherwise the last
days' slow orders would count on one side only).  For each: the number of orders on each side,
the two-sample Kolmogorov-Smirnov distance ``D = max_x |F_sim(x) - F_actual(x)|`` with its
p-value (:func:`scipy.stats.ks_2samp`, two-sided; with thousands of orders even a small ``D``
is "significant": read ``D`` as the size of the difference), and the quantiles
:data:`QUANTILES` of each side (:func:`numpy.percentile`, linear interpolation).  It also
gives the mean shipping charged per order in the history (in the export's currency: what the
customer paid, Olist's freight) against the simulated shipping cost per shipped order (postage
and cartons, :func:`sim.kpis.shipping_cost_by_order`), each over the window's orders that have
one.

The module reads event logs and tables only; it never simulates (nothing from ``reports`` or
``optimize``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.eventlog import EventLog

__all__ = ["ACTUALS_SUFFIX", "QUANTILES", "Distribution", "HistoryComparison", "HistoryError",
           "actuals_beside", "compare_history", "compare_results", "compare_samples",
           "history_lines", "read_actuals"]

ACTUALS_SUFFIX = ".actuals.parquet"
QUANTILES = (10, 25, 50, 75, 90, 95)
CDF_POINTS = 101
"""Percentiles 0, 1, ..., 100 of each sample kept for a chart of the two distributions."""
_COLUMNS = ("placed_h", "shipped_h", "delivered_h", "shipping_charged")


class HistoryError(ValueError):
    """Actual outcomes that cannot be read or compared (a message for the user)."""


@dataclass(frozen=True)
class Distribution:
    """One outcome, simulated against actual."""

    what: str
    unit: str
    n_sim: int
    n_actual: int
    ks: float
    p_value: float
    mean_sim: float
    mean_actual: float
    quantiles: list[tuple[int, float, float]]
    """(percentile, simulated, actual) for each of :data:`QUANTILES`."""
    cdf_sim: list[float] = field(default_factory=list)
    cdf_actual: list[float] = field(default_factory=list)
    """Percentiles 0..100 of each sample (empty when it has no orders)."""


@dataclass(frozen=True)
class HistoryComparison:
    """Click-to-ship and click-to-deliver, simulated against actual, and shipping per order."""

    distributions: list[Distribution]
    window_h: tuple[float, float]
    charged_mean: float = math.nan
    n_charged: int = 0
    shipping_sim_mean: float = math.nan
    n_shipping_sim: int = 0
    actuals_file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HistoryComparison:
        dists = [Distribution(**{**x, "quantiles": [tuple(q) for q in x["quantiles"]]})
                 for x in d["distributions"]]
        return cls(**{**d, "distributions": dists, "window_h": tuple(d["window_h"])})


def actuals_beside(scenario_file: str | Path | None) -> Path | None:
    """The actual outcomes written beside a replay or fitted scenario (``X.toml`` or
    ``X.fitted.toml`` -> ``X.actuals.parquet``), if the replay scenario ``X.toml`` names them
    (an import wrote them with it)."""
    if not scenario_file:
        return None
    p = Path(scenario_file)
    stem = p.name.removesuffix(".toml").removesuffix(".fitted")
    f, replay = p.with_name(stem + ACTUALS_SUFFIX), p.with_name(stem + ".toml")
    try:
        if not f.is_file() or f.name not in replay.read_text(encoding="utf-8",
                                                              errors="replace"):
            return None
    except OSError:
        return None
    return f


def read_actuals(path: str | Path) -> pd.DataFrame:
    """An actuals table (``placed_h, shipped_h, delivered_h, shipping_charged`` as floats;
    ``order_id`` kept when present)."""
    import pyarrow.parquet as pq

    try:
        df = pq.read_table(Path(path)).to_pandas()
    except (OSError, ValueError) as exc:
        raise HistoryError(f"{path}: not a readable actuals file ({type(exc).__name__}).") \
            from None
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        raise HistoryError(f"{path}: not an actuals file: missing column(s) "
                           f"{', '.join(missing)}.")
    for c in _COLUMNS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return df


def _percentiles(x: np.ndarray, qs: Sequence[float] | np.ndarray) -> list[float]:
    return [float(v) for v in np.percentile(x, qs)] if len(x) else [math.nan] * len(qs)


def compare_samples(sim: np.ndarray, actual: np.ndarray, what: str, unit: str
                    ) -> Distribution:
    """Two samples of one outcome (NaNs dropped): counts, KS distance and p-value, means,
    quantiles and the percentiles for a chart."""
    from scipy.stats import ks_2samp

    s = np.asarray(sim, float)
    a = np.asarray(actual, float)
    s, a = s[np.isfinite(s)], a[np.isfinite(a)]
    if len(s) and len(a):
        res = ks_2samp(s, a)
        ks, p = float(res.statistic), float(res.pvalue)
    else:
        ks = p = math.nan
    qs, qa = _percentiles(s, QUANTILES), _percentiles(a, QUANTILES)
    grid = np.linspace(0, 100, CDF_POINTS)
    return Distribution(
        what=what, unit=unit, n_sim=len(s), n_actual=len(a), ks=ks, p_value=p,
        mean_sim=float(s.mean()) if len(s) else math.nan,
        mean_actual=float(a.mean()) if len(a) else math.nan,
        quantiles=[(q, x, y) for q, x, y in zip(QUANTILES, qs, qa, strict=True)],
        cdf_sim=_percentiles(s, grid) if len(s) else [],
        cdf_actual=_percentiles(a, grid) if len(a) else [])


def _mean(x: np.ndarray) -> tuple[float, int]:
    x = x[np.isfinite(x)]
    return (float(x.mean()) if len(x) else math.nan), len(x)


def compare_history(log: EventLog, actuals: pd.DataFrame, actuals_file: str = ""
                    ) -> HistoryComparison:
    """The run ``log`` against the actual outcomes (see the module docstring)."""
    from sim.kpis import order_outcomes, shipping_cost_by_order

    lo, hi = float(log.warmup_h), float(log.horizon_h)
    oc = order_outcomes(log)
    win = (oc.placed_h >= lo) & (oc.placed_h < hi)
    sim_ship = (oc.shipped_h - oc.placed_h)[win]
    sim_deliv = ((oc.delivered_h - oc.placed_h) / 24.0)[win]
    cost = shipping_cost_by_order(log)[win & np.isfinite(oc.shipped_h)]
    act = actuals
    placed = act["placed_h"].to_numpy(float)
    a_win = (placed >= lo) & (placed < hi)
    ship = act["shipped_h"].to_numpy(float)
    deliv = act["delivered_h"].to_numpy(float)
    a_ship = np.where(ship <= hi, ship - placed, np.nan)[a_win]
    a_deliv = np.where(deliv <= hi, (deliv - placed) / 24.0, np.nan)[a_win]
    charged, n_charged = _mean(act["shipping_charged"].to_numpy(float)[a_win])
    sim_cost, n_cost = _mean(cost)
    return HistoryComparison(
        distributions=[compare_samples(sim_ship, a_ship, "click to ship", "hours"),
                       compare_samples(sim_deliv, a_deliv, "click to deliver", "days")],
        window_h=(lo, hi), charged_mean=charged, n_charged=n_charged,
        shipping_sim_mean=sim_cost, n_shipping_sim=n_cost, actuals_file=actuals_file)


def compare_results(results: str | Path, actuals: str | Path | None = None
                    ) -> HistoryComparison:
    """A results directory (``fulfill run --out``) against actual outcomes: the file given,
    else the one beside the run's scenario (:func:`actuals_beside`).

    Raises
    ------
    HistoryError
        No actual outcomes found, or a file that cannot be read.
    sim.results.ResultsError
        Not a results directory, or a damaged one.
    """
    from sim.results import read_manifest, read_results

    manifest = read_manifest(Path(results))
    found = Path(actuals) if actuals is not None else \
        actuals_beside(manifest.get("scenario_file"))
    if found is None:
        raise HistoryError(f"{results}: no actual outcomes beside the run's scenario (an "
                           "import of an export with hand-over or delivery times writes "
                           "<name>.actuals.parquet beside <name>.toml); give the file.")
    return compare_history(read_results(Path(results)), read_actuals(found), found.name)


def _num(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}" if math.isfinite(x) else "-"


def history_lines(c: HistoryComparison) -> list[str]:
    """Plain-text lines for the terminal: per outcome, counts, KS distance and quantiles."""
    out = [f"Validation against history ({c.actuals_file or 'actual outcomes'}): orders placed "
           f"from hour {c.window_h[0]:g} to {c.window_h[1]:g}; simulated against actual "
           "(Kolmogorov-Smirnov distance: 0 identical, 1 disjoint)"]
    for d in c.distributions:
        out.append(f"  {d.what} ({d.unit}): {d.n_sim:,} simulated, {d.n_actual:,} actual; "
                   f"KS {_num(d.ks, 3)} (p = {d.p_value:.3g})")
        out.append("    " + "  ".join(f"p{q} {_num(s)} / {_num(a)}" for q, s, a in d.quantiles)
                   + f"  mean {_num(d.mean_sim)} / {_num(d.mean_actual)}")
    out.append(f"  shipping per order: simulated cost {_num(c.shipping_sim_mean, 2)} "
               f"({c.n_shipping_sim:,} orders), charged in the history "
               f"{_num(c.charged_mean, 2)} ({c.n_charged:,} orders, the export's currency)")
    return out
