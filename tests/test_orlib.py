"""OR-Library warehouse location: reader, optima table, and the facility-location MIP.

Default tests use the three instances copied into ``tests/data/orlib/`` (a few seconds in all);
``-m slow`` tests solve every instance in ``../shared/data/orlib`` and compare with the
published optima, skipping if that directory is absent.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from optimize.facility import (
    FacilityResult,
    InfeasibleFacilityProblem,
    solve_facility_location,
)
from optimize.orlib import (
    ORLIB_CAPACITIES,
    FacilityProblem,
    OrlibFormatError,
    read_optima,
    read_orlib,
)

DATA = Path(__file__).parent / "data" / "orlib"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "orlib"
REL_TOL = 1e-6


def _local_optima() -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for line in (DATA / "optima.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, kind, value = line.split()
            out[(name, kind)] = float(value)
    return out


OPT = _local_optima()


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def _check_solution(p: FacilityProblem, r: FacilityResult, capacitated: bool) -> None:
    """The returned solution is feasible and its cost equals the reported objective."""
    x = r.assignment
    assert x.shape == (p.m, p.n)
    np.testing.assert_allclose(x.sum(axis=0), 1.0, atol=1e-6)
    assert np.all(x[~r.open_facilities] <= 1e-6)  # closed warehouses serve nobody
    if capacitated:
        assert np.all(x @ p.demands <= p.capacities + 1e-6 * p.capacities.max())
    cost = float(p.fixed_costs[r.open_facilities].sum() + (p.costs * x).sum())
    assert cost == pytest.approx(r.objective, rel=1e-9)


# ---------------------------------------------------------------- reader


def test_read_cap41_shapes_and_values() -> None:
    p = read_orlib(DATA / "cap41.txt")
    assert p.name == "cap41"
    assert (p.m, p.n) == (16, 50)
    assert p.capacities.shape == (16,) and p.fixed_costs.shape == (16,)
    assert p.demands.shape == (50,) and p.costs.shape == (16, 50)
    # First lines of the file: "16 50", " 5000 7500.", ...; warehouse 11 is " 5000 0.".
    assert p.capacities[0] == 5000 and p.fixed_costs[0] == 7500
    assert p.fixed_costs[10] == 0.0
    # First customer: "146 6739.72500 10355.05000 ..." (costs wrap over lines in the file).
    assert p.demands[0] == 146
    assert p.costs[0, 0] == pytest.approx(6739.725)
    assert p.costs[1, 0] == pytest.approx(10355.05)
    assert p.costs[15, 0] == pytest.approx(6051.7)
    assert p.demands[1] == 87 and p.costs[0, 1] == pytest.approx(3204.8625)
    assert p.demands.sum() == 58268


def test_capacity_placeholder(tmp_path: Path) -> None:
    f = tmp_path / "capz.txt"
    f.write_text("2 1\n capacity 10.\n capacity 20.\n5 1.0 2.0\n")
    with pytest.raises(OrlibFormatError, match=r"capz\.txt.*literal word 'capacity'"):
        read_orlib(f)
    p = read_orlib(f, capacity=7000)
    np.testing.assert_array_equal(p.capacities, [7000, 7000])
    assert p.capacity == 7000
    np.testing.assert_array_equal(p.costs, [[1.0], [2.0]])


@pytest.mark.skipif(not (SHARED / "cap" / "capa.txt").exists(), reason="shared OR-Library absent")
def test_read_capa_shape() -> None:
    p = read_orlib(SHARED / "cap" / "capa.txt", capacity=ORLIB_CAPACITIES["capa"][0])
    assert (p.m, p.n) == (100, 1000)
    assert np.all(p.capacities == 8000)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", r"expected a header 'm n'"),
        ("2 x\n", r"header 'm n' of two integers"),
        ("2 2\n10 1\n10 1\n3 1 2\n", r"expected 12 numbers .* found 9"),
        ("2 1\n10 1\n10 1\n3 1 2 9\n", r"expected 9 numbers .* found 10"),
        ("2 1\n10 1\n10 oops\n3 1 2\n", r"number for fixed cost of warehouse 2, got 'oops'"),
        ("2 1\n10 1\n10 1\n3 1 two\n", r"cost of customer 1 from warehouse 2, got 'two'"),
        ("2 1\n10 1\nten 1\n3 1 2\n", r"capacity of warehouse 2, got 'ten'"),
        ("2 1\n10 1\n10 1\n-3 1 2\n", r"non-negative values for every demand"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, pattern: str) -> None:
    f = tmp_path / "broken.txt"
    f.write_text(text)
    with pytest.raises(OrlibFormatError, match=pattern) as info:
        read_orlib(f)
    assert "broken.txt" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_read_optima_formats(tmp_path: Path) -> None:
    f = tmp_path / "opt.txt"
    f.write_text(
        "Data file   Optimal solution value\n"
        "cap41       1040444.375\n"
        "capa        19240822.449 (capacity 8000)\n"
        "            18438046.543 (capacity 10000)\n\n"
        "Note here that different machines may give slightly different\n"
    )
    o = read_optima(f)
    assert o.values == {"cap41": 1040444.375}
    assert o.by_capacity == {("capa", 8000.0): 19240822.449, ("capa", 10000.0): 18438046.543}
    bad = tmp_path / "bad.txt"
    bad.write_text("cap41 lots\n")
    with pytest.raises(OrlibFormatError, match=r"bad\.txt.*got 'lots'"):
        read_optima(bad)


@pytest.mark.skipif(not SHARED.exists(), reason="shared OR-Library absent")
def test_read_shared_optima_tables() -> None:
    cap = read_optima(SHARED / "capopt.txt")
    assert len(cap.values) == 37 and len(cap.by_capacity) == 12
    assert cap.by_capacity[("capc", 7250.0)] == 11505767.394
    uncap = read_optima(SHARED / "uncapopt.txt")
    assert len(uncap.values) == 15 and uncap.values["capb"] == 12979071.582
    # The local copy must agree with the shared tables it cites.
    for (name, kind), value in OPT.items():
        assert (cap if kind == "CFLP" else uncap).values[name] == value


# ---------------------------------------------------------------- solver: hand-checkable


def _tiny(capacities: tuple[float, float] = (6.0, 10.0)) -> FacilityProblem:
    return FacilityProblem(
        capacities=np.array(capacities),
        fixed_costs=np.array([5.0, 8.0]),
        demands=np.array([4.0, 4.0, 4.0]),
        costs=np.array([[1.0, 2.0, 10.0], [10.0, 3.0, 1.0]]),
        name="tiny",
    )


def test_tiny_instance_by_hand() -> None:
    # 2 warehouses (capacity 6 and 10, fixed cost 5 and 8), 3 customers of demand 4 each;
    # costs (whole demand) from warehouse 0: 1, 2, 10; from warehouse 1: 10, 3, 1.
    # Capacitated: total demand 12 > either capacity, so both open (fixed 13).  Moving a customer
    # from warehouse 1 to 0 saves 9, 1, -9 per customer; warehouse 0 takes 6 units: all of
    # customer 0 (4 units, cost 1) and half of customer 1 (2 units, cost 2/2 = 1); warehouse 1
    # takes the other half of customer 1 (3/2 = 1.5) and customer 2 (1).
    # Optimum = 13 + 1 + 1 + 1.5 + 1 = 17.5.
    # Single sourcing: customer 1 no longer fits in warehouse 0 with customer 0 (8 > 6), so it
    # goes to warehouse 1 whole: 13 + 1 + 3 + 1 = 18.
    # Uncapacitated: open 0 only = 5 + 1 + 2 + 10 = 18, open 1 only = 8 + 10 + 3 + 1 = 22,
    # both = 13 + 1 + 2 + 1 = 17 (optimal).
    p = _tiny()
    r = solve_facility_location(p)
    assert r.status == "OPTIMAL" and r.objective == pytest.approx(17.5)
    assert r.gap <= 1e-9 and r.bound == pytest.approx(17.5)
    np.testing.assert_allclose(r.assignment, [[1, 0.5, 0], [0, 0.5, 1]], atol=1e-9)
    np.testing.assert_array_equal(r.open_facilities, [True, True])
    _check_solution(p, r, capacitated=True)

    single = solve_facility_location(p, single_sourcing=True)
    assert single.objective == pytest.approx(18.0)
    np.testing.assert_allclose(single.assignment, [[1, 0, 0], [0, 1, 1]], atol=1e-9)

    uncap = solve_facility_location(p, capacitated=False)
    assert uncap.objective == pytest.approx(17.0)
    _check_solution(p, uncap, capacitated=False)

    # max_open=1 uncapacitated: the best single warehouse is 0, cost 18.
    one = solve_facility_location(p, capacitated=False, max_open=1)
    assert one.objective == pytest.approx(18.0)
    np.testing.assert_array_equal(one.open_facilities, [True, False])


def test_infeasible_total_capacity_message() -> None:
    p = dataclasses.replace(_tiny(), demands=np.array([400.0, 400.0, 400.0]),
                            capacities=np.array([500.0, 500.0]))
    with pytest.raises(ValueError, match=r"total capacity 1,000 < total demand 1,200"):
        solve_facility_location(p)
    # Without capacities the same data is fine.
    assert solve_facility_location(p, capacitated=False).status == "OPTIMAL"


def test_infeasible_max_open_and_single_sourcing_messages() -> None:
    with pytest.raises(InfeasibleFacilityProblem,
                       match=r"capacity of the 1 largest warehouses 10 < total demand 12 "
                       r"\(max_open=1 binds\)"):
        solve_facility_location(_tiny(), max_open=1)
    big = dataclasses.replace(_tiny((20.0, 20.0)), demands=np.array([4.0, 25.0, 4.0]))
    with pytest.raises(InfeasibleFacilityProblem,
                       match=r"customer 1 demand 25 > largest warehouse capacity 20"):
        solve_facility_location(big, single_sourcing=True)
    # Split demand is fine: 33 <= 40.
    assert solve_facility_location(big).status == "OPTIMAL"


def test_single_sourcing_bin_packing_infeasible() -> None:
    # Passes every up-front check (total 12 <= 12, each demand 4 <= 6) but 3 customers of 4 do
    # not pack into two bins of 6: the solver's INFEASIBLE is turned into a ValueError.
    p = _tiny((6.0, 6.0))
    with pytest.raises(InfeasibleFacilityProblem, match=r"solver proved the model infeasible"):
        solve_facility_location(p, single_sourcing=True)


# ---------------------------------------------------------------- solver: OR-Library


def test_cap41_capacitated_matches_published() -> None:
    p = read_orlib(DATA / "cap41.txt")
    r = solve_facility_location(p)
    assert r.status == "OPTIMAL"
    assert _rel(r.objective, OPT[("cap41", "CFLP")]) <= REL_TOL
    assert r.bound <= r.objective + 1e-6 and r.gap <= 1e-6
    _check_solution(p, r, capacitated=True)


def test_cap71_uncapacitated_matches_published() -> None:
    p = read_orlib(DATA / "cap71.txt")
    r = solve_facility_location(p, capacitated=False)
    assert r.status == "OPTIMAL"
    assert _rel(r.objective, OPT[("cap71", "UFLP")]) <= REL_TOL
    _check_solution(p, r, capacitated=False)


def test_cap101_both_kinds_match_published() -> None:
    p = read_orlib(DATA / "cap101.txt")
    assert _rel(solve_facility_location(p).objective, OPT[("cap101", "CFLP")]) <= REL_TOL
    r = solve_facility_location(p, capacitated=False)
    assert _rel(r.objective, OPT[("cap101", "UFLP")]) <= REL_TOL


def test_single_sourcing_not_cheaper_than_split() -> None:
    # cap41 has a customer (12,912) larger than any warehouse (5,000), so single sourcing is
    # infeasible as published; triple the capacities to make it feasible and comparable.
    p41 = read_orlib(DATA / "cap41.txt")
    with pytest.raises(InfeasibleFacilityProblem, match="single sourcing"):
        solve_facility_location(p41, single_sourcing=True)
    p = dataclasses.replace(p41, capacities=p41.capacities * 3)
    split = solve_facility_location(p)
    single = solve_facility_location(p, single_sourcing=True, time_limit_s=30)
    assert single.objective >= split.objective - 1e-6 * split.objective
    x = single.assignment
    assert np.all((x < 1e-6) | (x > 1 - 1e-6))  # integral
    _check_solution(p, single, capacitated=True)


def test_max_open_is_respected() -> None:
    p = read_orlib(DATA / "cap71.txt")
    free = solve_facility_location(p, capacitated=False)
    k = int(free.open_facilities.sum()) - 1
    r = solve_facility_location(p, capacitated=False, max_open=k)
    assert r.open_facilities.sum() <= k
    assert r.objective >= free.objective


# ---------------------------------------------------------------- slow: every instance

_CAP_NAMES = [f"cap{g}{k}" for g in range(4, 14) for k in range(1, 5)]
_CAP_NAMES = [n for n in _CAP_NAMES if n not in ("cap52", "cap53", "cap54")]  # not in OR-Library
_UNCAP_NAMES = [f"cap{g}{k}" for g in (7, 10, 13) for k in range(1, 5)]


def _shared_or_skip(name: str) -> Path:
    f = SHARED / "cap" / f"{name}.txt"
    if not f.exists():
        pytest.skip(f"{f} absent")
    return f


@pytest.mark.slow
@pytest.mark.parametrize(("name", "capacitated"),
                         [(n, True) for n in _CAP_NAMES] + [(n, False) for n in _UNCAP_NAMES])
def test_all_instances_match_published_optima(name: str, capacitated: bool) -> None:
    """cap41-cap134 capacitated (capopt.txt) and the uncapacitated set (uncapopt.txt)."""
    f = _shared_or_skip(name)
    table = "capopt.txt" if capacitated else "uncapopt.txt"
    expected = read_optima(SHARED / table).values[name]
    p = read_orlib(f)
    r = solve_facility_location(p, capacitated=capacitated, time_limit_s=120)
    assert r.status == "OPTIMAL"
    assert _rel(r.objective, expected) <= REL_TOL
    _check_solution(p, r, capacitated=capacitated)
