"""Solvers that stay safe: Ctrl-C still raises KeyboardInterrupt after each kind of solver the
code base runs, and cartonization never builds a CP-SAT model too large to build quickly.

CP-SAT installs its own C-level SIGINT handler while it solves and resets SIGINT to SIG_DFL
afterwards (``signal.getsignal`` does not show it): a later Ctrl-C then kills the process with
no KeyboardInterrupt and no clean-up, unless ``catch_sigint_signal`` is off.  Each test runs a
tiny solve in a child process, which then sends itself SIGINT and reports whether a
KeyboardInterrupt arrived; a spy checks that the solver in question really ran.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

# Python's own handler, even if the test runner was started with SIGINT ignored (a
# background job of a non-interactive shell): without it no KeyboardInterrupt can come.
PROLOGUE = """
import os, signal, sys, time
import numpy as np
signal.signal(signal.SIGINT, signal.default_int_handler)
calls = {}

def spy(module, name):
    original = getattr(module, name)
    def wrapper(*a, **k):
        calls[name] = calls.get(name, 0) + 1
        return original(*a, **k)
    setattr(module, name, wrapper)
"""

EPILOGUE = """
print("solver calls:", sorted(calls.items()), flush=True)
try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(10)
    print("no KeyboardInterrupt", flush=True)
except KeyboardInterrupt:
    print("KeyboardInterrupt caught", flush=True)
"""

CARTONIZATION = """
import sim.shipping as sh
spy(sh, "_bin_pack")
c = sh.Cartons(names=("B",), dims_in=np.array([[10.0, 10.0, 10.0]]),
               max_weight_lb=np.array([100.0]), cost=np.array([1.0]))
p = sh.pack_items(c, [(5.0, 10.0, 10.0)] * 3, [1.0] * 3)
assert len(p.cartons) == 3
"""

WAVE = """
import optimize.routing.solve as r
spy(r, "_solve_lp")
spy(r, "_solve_cpsat")
for seed in range(20):
    rng = np.random.default_rng(seed)
    n, F, K = 40, 4, 12
    kw = dict(cost=rng.uniform(5, 15, (n, F)), hours=rng.uniform(0.05, 0.2, (n, F)),
              capacity_h=np.full(F, 1.0), line_ptr=np.arange(n + 1, dtype=np.int64),
              line_sku=rng.integers(0, K, n).astype(np.int64),
              line_units=rng.integers(1, 3, n).astype(np.int64),
              stock=rng.integers(0, 6, (F, K)))
    r.assign_wave(**kw, overflow_cost_per_h=40.0, unassigned_cost=60.0,
                  max_deterministic_time=DT)
    if calls.get("_solve_lp") and (DT == 0 or calls.get("_solve_cpsat")):
        break
"""

FACILITY = """
import optimize.facility as fl
from optimize.orlib import FacilityProblem
spy(fl.pywraplp.Solver, "Solve")
p = FacilityProblem(capacities=np.array([10.0, 10.0, 10.0]),
                    fixed_costs=np.array([5.0, 6.0, 7.0]), demands=np.array([4.0, 5.0, 6.0]),
                    costs=np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0], [2.0, 3.0, 1.0]]),
                    name="tiny")
res = fl.solve_facility_location(p, backend=BACKEND)
assert res.status == "OPTIMAL", res.status
"""

PLACEMENT = """
import optimize.placement as pl
from optimize.placement import decomposition, mip, reduced_mip
for module in (mip, decomposition, reduced_mip):  # where each model-builder solve is called
    spy(module, "_solve_mb")
spy(decomposition._Decomposition, "solve_master_lp")
if KW["method"] == "mip":  # tests/test_placement.py's two_by_two(), B holding 11 cu ft
    p = pl.PlacementProblem(
        demand=np.ones((2, 2)), ship_cost=np.array([[1.0, 3.0], [3.0, 1.0]]),
        transit_days=np.array([[1.0, 4.0], [4.0, 1.0]]), unit_volume=np.ones(2),
        holding_cost=0.0, fixed_cost=1.5, demand_sd=np.zeros((2, 2)), days_of_cover=10.0,
        fc_names=("A", "B"), sku_names=("s0", "s1"), region_names=("r0", "r1"),
        volume_capacity=np.array([32.0, 11.0]))
else:  # one that needs the integer master
    p = pl.synthetic_problem(12, 3, 6, 0)
res = pl.solve_placement(p, time_limit_s=30, **KW)
assert res.status == "OPTIMAL", res.status
"""

CASES: dict[str, tuple[str, list[str]]] = {
    # sim.shipping: three items of 500 in^3 in 900 in^3 cartons: the volume bound says two
    # cartons, first-fit decreasing uses three, so CP-SAT must decide
    "cartonization_cpsat": (CARTONIZATION, ["_bin_pack"]),
    # optimize.routing: the LP relaxation (HiGHS through SciPy), alone and with the CP-SAT
    # polish
    "wave_lp": ("DT = 0.0" + WAVE, ["_solve_lp"]),
    "wave_lp_cpsat": ("DT = 0.02" + WAVE, ["_solve_lp", "_solve_cpsat"]),
    # optimize.facility (and network design): the MIP through pywraplp
    "facility_scip": ("BACKEND = 'SCIP'" + FACILITY, ["Solve"]),
    "facility_highs": ("BACKEND = 'HIGHS'" + FACILITY, ["Solve"]),
    "facility_cpsat": ("BACKEND = 'SAT'" + FACILITY, ["Solve"]),
    # optimize.placement: the monolithic MIP through the model builder, and the
    # decomposition (GLOP master LPs, then the integer master)
    "placement_mip_scip": ("KW = {'method': 'mip'}" + PLACEMENT, ["_solve_mb"]),
    "placement_mip_highs": ("KW = {'method': 'mip', 'mip_solver': 'highs'}" + PLACEMENT,
                            ["_solve_mb"]),
    "placement_mip_cpsat": ("KW = {'method': 'mip', 'mip_solver': 'sat'}" + PLACEMENT,
                            ["_solve_mb"]),
    "placement_decomposition_scip": ("KW = {'method': 'decomposition'}" + PLACEMENT,
                                     ["solve_master_lp", "_solve_mb"]),
    "placement_decomposition_cpsat": (
        "KW = {'method': 'decomposition', 'master_solver': 'sat'}" + PLACEMENT,
        ["solve_master_lp", "_solve_mb"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_ctrl_c_raises_keyboard_interrupt_after_solve(case: str) -> None:
    body, spied = CASES[case]
    code = PROLOGUE + body + EPILOGUE
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    for name in spied:
        assert f"('{name}', " in out.stdout, f"{name} never ran:\n{out.stdout}\n{out.stderr}"
    assert "KeyboardInterrupt caught" in out.stdout, (
        f"exit code {out.returncode} (-2 = killed by SIGINT)\n{out.stdout}\n{out.stderr}")
    assert out.returncode == 0


# ------------------------------------------------------------- cartonization model size
# Three carton types; a 20 x 16 x 14 in, 30 lb unit fits L only alone (by volume) and XL two
# at a time (by weight).  First-fit decreasing puts two units in each XL, so n units take
# ceil(n / 2) cartons against a weight bound of ceil(30 n / 70): not provably minimal, so
# without the size cap CP-SAT would be asked to improve on it.
BIG_ITEM, BIG_WEIGHT = (20.0, 16.0, 14.0), 30.0


def three_cartons() -> Any:
    from sim.shipping import Cartons

    return Cartons(names=("M", "L", "XL"),
                   dims_in=np.array([[12.0, 10.0, 6.0], [24.0, 20.0, 18.0],
                                     [38.0, 28.0, 16.0]]),
                   max_weight_lb=np.array([25.0, 65.0, 70.0]),
                   cost=np.array([0.60, 2.30, 4.10]))


def test_huge_shipment_keeps_first_fit_without_building_cp_sat(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.shipping as sh

    def no_cp_sat(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the CP-SAT model must not be built for 3,000 units")

    monkeypatch.setattr(sh, "_bin_pack", no_cp_sat)
    c = three_cartons()
    n = 3000
    dims, weights = [BIG_ITEM] * n, [BIG_WEIGHT] * n
    vols = [BIG_ITEM[0] * BIG_ITEM[1] * BIG_ITEM[2]] * n
    assert n * n * len(c.names) > sh.MAX_BIN_PACK_TERMS
    ffd = sh._ffd_bins(c, dims, weights, vols)
    assert ffd is not None
    kinds, bins = ffd
    assert len(kinds) > sh._min_cartons(c, vols, weights)  # CP-SAT would have been tried

    packing = sh.pack_items(c, dims, weights, postage=lambda k, w: 1.0)
    assert packing.cartons == tuple(kinds)
    assert len(packing.cartons) == 1500  # two per XL carton
    # every unit in exactly one carton, each carton within its limits
    assert sorted(i for items in bins for i in items) == list(range(n))
    assert packing.weights_lb == tuple(float(sum(weights[i] for i in b)) for b in bins)
    assert sum(packing.weights_lb) == pytest.approx(n * BIG_WEIGHT)
    for kind, items, w in zip(packing.cartons, bins, packing.weights_lb, strict=True):
        assert w <= c.max_weights[kind]
        assert sum(vols[i] for i in items) <= sh.FILL_FACTOR * c.volumes[kind]
        assert all(c.fits_item(kind, dims[i]) for i in items)
    assert packing.carton_cost == pytest.approx(float(sum(c.costs[k] for k in kinds)))


def test_cp_sat_runs_up_to_the_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.shipping as sh

    c = three_cartons()
    calls: list[int] = []

    def counting(cartons: Any, dims: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(dims))
        raise ValueError("stand-in: keep the first-fit packing")

    monkeypatch.setattr(sh, "_bin_pack", counting)
    largest = math.isqrt(sh.MAX_BIN_PACK_TERMS // len(c.names))  # units at the cap
    for n in (largest, largest + 1):
        p = sh.pack_items(c, [BIG_ITEM] * n, [BIG_WEIGHT] * n)
        assert len(p.cartons) == math.ceil(n / 2)  # first fit, as CP-SAT "failed"
    assert calls == [largest]


def test_huge_shipment_of_an_item_no_carton_holds_is_an_error() -> None:
    import sim.shipping as sh

    with pytest.raises(ValueError, match="fits no carton"):
        sh.pack_items(three_cartons(), [(50.0, 10.0, 10.0)] * 3000, [1.0] * 3000)


def test_cp_sat_solver_leaves_sigint_to_python() -> None:
    from sim.shipping import cp_sat_solver

    assert cp_sat_solver().parameters.catch_sigint_signal is False
