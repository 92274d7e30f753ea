"""Joint "wave" order routing: assign a batch of orders to FCs at least total cost.

The pure solver: numpy arrays in, numpy arrays out, no SimPy import.  The model, the method
(trivial bound, exact reduction, LP relaxation with rounding and local search, optional
CP-SAT polish), its measured cost and the integer scaling are described in
``docs/routing.md``.  Modules:

* :mod:`~optimize.routing.model`: the instance checked and precomputed, :class:`WaveResult`;
* :mod:`~optimize.routing.greedy`: greedy assignment and local search,
  :func:`assign_wave_greedy`;
* :mod:`~optimize.routing.reduction`: the exact reduction to the pairs and rows that matter;
* :mod:`~optimize.routing.lp`: the LP relaxation (HiGHS through SciPy);
* :mod:`~optimize.routing.cpsat`: the optional CP-SAT polish;
* :mod:`~optimize.routing.solve`: :func:`assign_wave`, which runs them in turn.

The simulation's ``wave`` routing policy built on it is :class:`optimize.wave.Wave`.
"""

from optimize.routing.cpsat import COST_SCALE, HOURS_SCALE
from optimize.routing.greedy import assign_wave_greedy
from optimize.routing.model import WaveResult
from optimize.routing.solve import assign_wave

__all__ = [
    "COST_SCALE",
    "HOURS_SCALE",
    "WaveResult",
    "assign_wave",
    "assign_wave_greedy",
]
