"""Exact capacitated facility location at scale (optimize.cflp): Lagrangian bound, heuristic,
reduced-cost fixing, branch and bound over ``y``.

Fast tests: the closed-form pieces against scipy / brute force, bound <= optimum <= heuristic
on OR-Library cap41/cap71/cap101 (``tests/data/orlib``), and tiny random instances whose
optimum is found by enumerating every set of open warehouses.  The ``slow`` test solves the 12
capacitated capa/capb/capc instances (100 x 1,000) in ``../shared/data/orlib`` to the published
optima, skipping if that directory is absent.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from optimize.cflp import solve_cflp_lagrangian
from optimize.cflp.lagrangian import CoverKnapsack, knapsack_values, subgradient
from optimize.cflp.primal import transport
from optimize.facility import LAGRANGIAN_MIN_SIZE, FacilityResult, solve_facility_location
from optimize.orlib import ORLIB_CAPACITIES, FacilityProblem, read_optima, read_orlib

DATA = Path(__file__).parent / "data" / "orlib"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "orlib"
REL_TOL = 1e-6


def _local_optimum(name: str) -> float:
    for line in (DATA / "optima.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            n, kind, value = line.split()
            if n == name and kind == "CFLP":
                return float(value)
    raise KeyError(name)


def _check(p: FacilityProblem, r: FacilityResult, max_open: int | None = None) -> None:
    """Feasible, cost equals the objective, bound below it."""
    x = r.assignment
    np.testing.assert_allclose(x.sum(axis=0), 1.0, atol=1e-6)
    assert np.all(x[~r.open_facilities] <= 1e-6)
    assert np.all(x @ p.demands <= p.capacities + 1e-6 * p.capacities.max())
    if max_open is not None:
        assert r.open_facilities.sum() <= max_open
    cost = float(p.fixed_costs[r.open_facilities].sum() + (p.costs * x).sum())
    assert cost == pytest.approx(r.objective, rel=1e-9)
    assert r.bound <= r.objective * (1 + 1e-9)


def _random(seed: int, m: int, n: int, uniform: bool) -> FacilityProblem:
    rng = np.random.default_rng(seed)
    d = rng.integers(1, 30, n).astype(float)
    d[0] = 0.0  # a customer without demand must still be assigned
    total = d.sum()
    caps = np.full(m, math.ceil(total / 3)) if uniform else rng.uniform(0.2, 0.6, m) * total
    xy = rng.uniform(0, 100, (m + n, 2))
    dist = np.hypot(*(xy[:m, None, :] - xy[None, m:, :]).transpose(2, 0, 1))
    return FacilityProblem(capacities=caps.astype(float),
                           fixed_costs=rng.uniform(200, 800, m), demands=d,
                           costs=dist * np.maximum(d, 1.0)[None, :],
                           name=f"random{seed}")


def _brute_force(p: FacilityProblem, max_open: int | None = None) -> float:
    best = math.inf
    for k in range(1, p.m + 1):
        if max_open is not None and k > max_open:
            break
        for rows in itertools.combinations(range(p.m), k):
            mask = np.zeros(p.m, bool)
            mask[list(rows)] = True
            sol = transport(p, mask)
            if sol is not None:
                best = min(best, sol.objective)
    return best


# ------------------------------------------------------------------- closed-form pieces

def test_continuous_knapsack_matches_lp() -> None:
    rng = np.random.default_rng(3)
    m, n = 4, 15
    reduced = rng.normal(0, 10, (m, n))
    d = rng.integers(0, 9, n).astype(float)
    s = rng.uniform(5, 40, m)
    values, x = knapsack_values(reduced, d, s)
    for i in range(m):
        res = linprog(reduced[i], A_ub=d[None, :], b_ub=[s[i]], bounds=(0, 1), method="highs")
        assert values[i] == pytest.approx(res.fun, abs=1e-9)
        assert float(reduced[i] @ x[i]) == pytest.approx(values[i], abs=1e-9)
        assert d @ x[i] <= s[i] + 1e-9 and np.all((x[i] >= 0) & (x[i] <= 1))


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("max_open", [None, 3])
def test_cover_knapsack_exact_or_below(uniform: bool, max_open: int | None) -> None:
    rng = np.random.default_rng(7)
    m = 7
    s = np.full(m, 10.0) if uniform else rng.uniform(5, 20, m)
    cover = CoverKnapsack(s, 25.0, max_open)
    for _ in range(20):
        rho = rng.normal(0, 5, m)
        fo = np.zeros(m, bool)
        fc = np.zeros(m, bool)
        fo[rng.integers(m)] = rng.random() < 0.5
        fc[rng.integers(m)] = rng.random() < 0.5
        fc &= ~fo
        best = math.inf
        for bits in itertools.product((0, 1), repeat=m):
            y = np.array(bits, bool)
            if (y & fc).any() or (fo & ~y).any() or s[y].sum() < 25.0:
                continue
            if max_open is not None and y.sum() > max_open:
                continue
            best = min(best, float(rho[y].sum()))
        value, _ = cover.solve(rho, fo, fc)
        if uniform:
            assert value == pytest.approx(best, abs=1e-9)  # exact
        else:
            assert value <= best + 1e-9  # a relaxation


# ---------------------------------------------------- OR-Library: bound <= opt <= heuristic

@pytest.mark.parametrize("name", ["cap41", "cap71", "cap101"])
def test_bound_below_and_heuristic_above_the_optimum(name: str) -> None:
    p = read_orlib(DATA / f"{name}.txt")
    opt = _local_optimum(name)
    seen: list[float] = []

    def on_y(y: np.ndarray, x: np.ndarray) -> None:
        sol = transport(p, y > 0.5)
        if sol is not None:
            seen.append(sol.objective)

    u0 = np.partition(p.costs, 1, axis=0)[1]
    st = subgradient(p, u0, lambda: math.inf, max_iter=200, on_y=on_y)
    assert st.bound <= opt * (1 + 1e-9)
    assert st.bound >= opt * 0.97  # and a strong bound
    assert seen and min(seen) >= opt * (1 - 1e-9)


@pytest.mark.parametrize("name", ["cap41", "cap71", "cap101"])
def test_lagrangian_method_reproduces_published_optimum(name: str) -> None:
    p = read_orlib(DATA / f"{name}.txt")
    r = solve_facility_location(p, method="lagrangian")
    assert r.status == "OPTIMAL" and r.backend == "lagrangian+SCIP"
    assert abs(r.objective - _local_optimum(name)) <= REL_TOL * _local_optimum(name)
    assert r.gap <= 1e-6
    _check(p, r)


# ----------------------------------------------------- tiny instances, brute-force optima

@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("uniform", [True, False])
def test_tiny_instances_match_enumeration(seed: int, uniform: bool) -> None:
    p = _random(seed, 7, 14, uniform)
    best = _brute_force(p)
    r = solve_cflp_lagrangian(p, leaf_free=0)  # all branching done by the Lagrangian search
    assert r.status == "OPTIMAL"
    assert r.objective == pytest.approx(best, rel=1e-7)
    _check(p, r)
    r2 = solve_cflp_lagrangian(p, backend="HIGHS", leaf_free=99)  # all left to the MIP
    assert r2.objective == pytest.approx(best, rel=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_max_open_matches_enumeration_and_scip(seed: int) -> None:
    p = _random(seed, 7, 14, uniform=False)
    k = int(np.ceil(p.demands.sum() / np.sort(p.capacities)[::-1][:3].sum() * 3))
    k = max(3, min(k, 4))
    best = _brute_force(p, max_open=k)
    r = solve_cflp_lagrangian(p, max_open=k, leaf_free=0)
    assert r.objective == pytest.approx(best, rel=1e-7)
    _check(p, r, max_open=k)
    mip = solve_facility_location(p, max_open=k, method="mip")
    assert mip.objective == pytest.approx(r.objective, rel=1e-7)


# --------------------------------------------------------------------------- dispatch

def test_auto_picks_lagrangian_only_where_it_pays() -> None:
    small = read_orlib(DATA / "cap41.txt")
    assert small.m * small.n < LAGRANGIAN_MIN_SIZE
    assert solve_facility_location(small).backend == "SCIP"
    big = _random(1, 40, LAGRANGIAN_MIN_SIZE // 40, uniform=True)
    r = solve_facility_location(big)
    assert r.backend == "lagrangian+SCIP" and r.status == "OPTIMAL"
    _check(big, r)
    # the other models keep the MIP
    assert solve_facility_location(big, capacitated=False, time_limit_s=20).backend == "SCIP"


def test_lagrangian_method_refuses_other_models() -> None:
    p = read_orlib(DATA / "cap41.txt")
    with pytest.raises(ValueError, match="single_sourcing=False"):
        solve_facility_location(p, method="lagrangian", capacitated=False)
    with pytest.raises(ValueError, match="backend 'SCIP' or 'HIGHS'"):
        solve_facility_location(p, method="lagrangian", backend="CBC")
    with pytest.raises(ValueError, match="method 'nope'"):
        solve_facility_location(p, method="nope")


def test_time_limit_returns_a_solution_and_a_valid_bound() -> None:
    p = _random(11, 60, 400, uniform=False)
    r = solve_cflp_lagrangian(p, time_limit_s=0.5)
    assert r.status in ("OPTIMAL", "FEASIBLE")
    _check(p, r)
    full = solve_cflp_lagrangian(p)
    assert full.status == "OPTIMAL"
    assert r.bound <= full.objective * (1 + 1e-9) <= r.objective * (1 + 2e-9)



def test_network_design_split_uses_the_same_method(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fulfill optimize network --split`` solves a CFLP plus ``max_sites``: at capa size it
    goes to the Lagrangian method; here the size threshold is lowered to show it on the
    bundled candidates (51 x 313), against the whole MIP."""
    from optimize.network_design import default_candidates_path, design_network, read_candidates
    from sim.network import build_network
    from sim.scenario import load_scenario

    sc = load_scenario(Path(__file__).parent / "data" / "baseline_2026_11.toml")
    net = build_network(sc)
    cands = read_candidates(default_candidates_path())
    kw = {"single_sourcing": False, "time_limit_s": 120.0, "mip_gap": 1e-9,
          "zone_max_miles": sc.carrier.zone_max_miles}
    whole = design_network(net, cands, 3, **kw)
    assert whole.result is not None and whole.result.backend == "SCIP"
    monkeypatch.setattr("optimize.facility.LAGRANGIAN_MIN_SIZE", 0)
    fast = design_network(net, cands, 3, **kw)
    assert fast.result is not None and fast.result.backend == "lagrangian+SCIP"
    assert fast.status == "OPTIMAL" and len(fast.site_index) <= 3
    assert fast.objective == pytest.approx(whole.objective, rel=1e-7)


# ------------------------------------------------------------- slow: capa, capb, capc

_LARGE = [(name, cap) for name, caps in ORLIB_CAPACITIES.items() for cap in caps]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "capacity"), _LARGE,
                         ids=[f"{n}-{c:g}" for n, c in _LARGE])
def test_capa_capb_capc_capacitated_match_published_optima(name: str, capacity: float
                                                          ) -> None:
    f = SHARED / "cap" / f"{name}.txt"
    if not f.exists():
        pytest.skip(f"{f} absent (the shared OR-Library data is not beside the repository)")
    p = read_orlib(f, capacity=capacity)
    ref = read_optima(SHARED / "capopt.txt").by_capacity[(name, capacity)]
    r = solve_facility_location(p)  # auto: the Lagrangian method at this size
    assert r.backend == "lagrangian+SCIP"
    assert r.status == "OPTIMAL" and r.gap <= 1e-6
    assert abs(r.objective - ref) <= REL_TOL * ref
    _check(p, r)

