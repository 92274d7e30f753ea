"""Wave routing solver (optimize.routing): hand-checked tiny waves, brute force, determinism.

Every tiny instance below has its optimum worked out in a comment.  The random instances are
checked against full enumeration of the ``(F + 1) ** n`` assignments (each order to one FC or
left waiting).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from optimize.routing import WaveResult, assign_wave, assign_wave_greedy

INF = np.inf


def wave(cost: Any, hours: Any, capacity: Any, lines: list[list[tuple[int, int]]],
         stock: Any) -> dict[str, Any]:
    """Keyword arguments of ``assign_wave`` from per-order lists of ``(sku, units)``."""
    ptr = np.concatenate([[0], np.cumsum([len(o) for o in lines])]).astype(np.int64)
    flat = [line for o in lines for line in o]
    return {
        "cost": np.asarray(cost, dtype=float), "hours": np.asarray(hours, dtype=float),
        "capacity_h": np.asarray(capacity, dtype=float), "line_ptr": ptr,
        "line_sku": np.array([k for k, _ in flat], dtype=np.int64),
        "line_units": np.array([u for _, u in flat], dtype=np.int64),
        "stock": np.asarray(stock, dtype=np.int64),
    }


def check(kw: dict[str, Any], res: WaveResult, rate: float, unassigned: Any) -> float:
    """Recompute the objective of ``res`` independently; assert feasibility and consistency."""
    cost, hours, cap, stock = kw["cost"], kw["hours"], kw["capacity_h"], kw["stock"]
    n, F = cost.shape
    u = np.broadcast_to(np.asarray(unassigned, dtype=float), (n,))
    assert res.fc.shape == (n,) and res.fc.dtype == np.int64
    assert res.overflow_h.shape == (F,)
    used = np.zeros_like(stock)
    load = np.zeros(F)
    total = 0.0
    for i, f in enumerate(res.fc):
        if f < 0:
            total += u[i]
            continue
        assert np.isfinite(cost[i, f]), f"order {i} sent to forbidden FC {f}"
        total += cost[i, f]
        load[f] += hours[i, f]
        for j in range(kw["line_ptr"][i], kw["line_ptr"][i + 1]):
            used[f, kw["line_sku"][j]] += kw["line_units"][j]
    assert (used <= stock).all(), "stock exceeded"
    overflow = np.maximum(load - cap, 0.0)
    np.testing.assert_allclose(res.overflow_h, overflow, atol=1e-9)
    total += rate * overflow.sum()
    assert res.objective == pytest.approx(total, abs=1e-9)
    assert res.bound <= res.objective + 1e-12
    return total


def brute_force(kw: dict[str, Any], rate: float, unassigned: Any) -> float:
    """Optimum by enumerating every assignment (vectorised over assignments)."""
    cost, hours, cap, stock = kw["cost"], kw["hours"], kw["capacity_h"], kw["stock"]
    n, F = cost.shape
    K = stock.shape[1]
    u = np.broadcast_to(np.asarray(unassigned, dtype=float), (n,))
    need = np.zeros((n, K))
    for i in range(n):
        for j in range(kw["line_ptr"][i], kw["line_ptr"][i + 1]):
            need[i, kw["line_sku"][j]] += kw["line_units"][j]
    z = np.array(list(itertools.product(range(F + 1), repeat=n)))  # F = waiting
    costx = np.concatenate([cost, u[:, None]], axis=1)
    total = costx[np.arange(n), z].sum(axis=1)
    ok = np.isfinite(total)
    for f in range(F):
        on = (z == f).astype(float)
        ok &= (on @ need <= stock[f]).all(axis=1)
        total = total + rate * np.maximum(on @ hours[:, f] - cap[f], 0.0)
    return float(total[ok].min())


# ------------------------------------------------------------------------- hand-checked waves


def test_capacity_forces_second_cheapest_fc() -> None:
    # FC 0 has 1 labor hour, each order needs 1 h; overflow costs 100/h.
    #   both at FC 0: 10 + 10 + 100 = 120;  A->1, B->0: 12 + 10 = 22;  A->0, B->1: 10 + 15 = 25
    # optimum 22: A (saves only 2 at FC 0) moves, B (saves 5) keeps FC 0.
    kw = wave([[10, 12], [10, 15]], [[1, 1], [1, 1]], [1, 10], [[(0, 1)], [(0, 1)]],
              [[9], [9]])
    for dt in (0.0, 0.05):
        res = assign_wave(**kw, overflow_cost_per_h=100, unassigned_cost=1000,
                          max_deterministic_time=dt)
        assert res.fc.tolist() == [1, 0]
        assert check(kw, res, 100, 1000) == pytest.approx(22)
        assert res.optimal and res.bound == pytest.approx(22)


def test_stock_binding_bigger_saving_gets_the_last_unit() -> None:
    # FC 0 has the last unit of SKU 0, FC 1 has 5.  A: 5 at FC 0 vs 9 (saves 4); B: 5 vs 7.
    #   A->0, B->1: 5 + 7 = 12 (optimum);  B->0, A->1: 5 + 9 = 14;  both at FC 0: infeasible
    kw = wave([[5, 9], [5, 7]], [[0.1, 0.1]] * 2, [10, 10], [[(0, 1)], [(0, 1)]], [[1], [5]])
    res = assign_wave(**kw, overflow_cost_per_h=50, unassigned_cost=100)
    assert res.fc.tolist() == [0, 1]
    assert check(kw, res, 50, 100) == pytest.approx(12)
    assert res.optimal


def test_stock_packing_one_big_order_beats_a_small_one() -> None:
    # 3 units of SKU 0 at the only FC.  A needs 3 (saves 100 - 5 = 95), B needs 2 (saves 86):
    #   A alone: 5 + 100 = 105 (optimum);  B alone: 14 + 100 = 114;  both: 5 units > 3
    # (the LP relaxation prefers 1/3 of A plus B; rounding plus ejection must find A)
    kw = wave([[5.0], [14.0]], [[0.1], [0.1]], [10], [[(0, 3)], [(0, 2)]], [[3]])
    for dt in (0.0, 0.05):
        res = assign_wave(**kw, overflow_cost_per_h=0, unassigned_cost=100,
                          max_deterministic_time=dt)
        assert res.fc.tolist() == [0, -1]
        assert check(kw, res, 0, 100) == pytest.approx(105)


@pytest.mark.parametrize(("rate", "fc", "objective"), [
    # FC 0: 1 h free, each order needs 1 h.  A: 10 at FC 0 / 14 at FC 1, B: 10 / 15.
    # rate 2: both at FC 0, 1 h overflow: 10 + 10 + 2 = 22 < moving A (10 + 14 = 24)
    (2.0, [0, 0], 22.0),
    # rate 50: overflow would cost 50 > 4 for moving A: 14 + 10 = 24
    (50.0, [1, 0], 24.0),
])
def test_overflow_versus_moving(rate: float, fc: list[int], objective: float) -> None:
    kw = wave([[10, 14], [10, 15]], [[1, 1], [1, 1]], [1, 5], [[(0, 1)], [(0, 1)]],
              [[5], [5]])
    res = assign_wave(**kw, overflow_cost_per_h=rate, unassigned_cost=100)
    assert res.fc.tolist() == fc
    assert check(kw, res, rate, 100) == pytest.approx(objective)
    assert res.overflow_h[0] == pytest.approx(1.0 if fc == [0, 0] else 0.0)


def test_no_capacity_anywhere_each_order_takes_its_least_cost_with_overflow(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # no labor free at either FC (a Saturday evening of the baseline): every hour overflows
    # at 40/h.  A: 10 + 0.5 h (30) at FC 0, 11 + 0.1 h (15) at FC 1; B: 10 + 0.1 h (14) at
    # FC 0, 12 + 0.5 h (32) at FC 1; C: FC 0 only, 20 + 3 h = 140 > waiting (100): waits.
    # Optimum: A -> 1, B -> 0, C waits: 15 + 14 + 100 = 129, no LP needed.
    import optimize.routing.solve as solve

    def no_lp(*_: Any) -> None:
        raise AssertionError("the LP was asked")

    monkeypatch.setattr(solve, "_solve_lp", no_lp)
    kw = wave([[10, 11], [10, 12], [20, INF]], [[0.5, 0.1], [0.1, 0.5], [3, 0]], [0, 0],
              [[(0, 1)], [(0, 1)], [(0, 1)]], [[5], [5]])
    res = assign_wave(**kw, overflow_cost_per_h=40, unassigned_cost=100)
    assert res.fc.tolist() == [1, 0, -1]
    assert check(kw, res, 40, 100) == pytest.approx(129)
    assert res.status == "OPTIMAL" and res.bound == pytest.approx(129)
    assert res.overflow_h.tolist() == pytest.approx([0.1, 0.1])


@pytest.mark.parametrize("seed", range(8))
def test_random_waves_with_no_capacity_match_brute_force(seed: int,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    # every hour is overflow: each order's least cost with its hours' overflow, when stock
    # allows (the LP is then never asked), else the LP as usual; the optimum either way
    import optimize.routing.solve as solve

    asked = []
    lp = solve._solve_lp
    monkeypatch.setattr(solve, "_solve_lp", lambda *a: asked.append(1) or lp(*a))
    rng = np.random.default_rng(100 + seed)
    without_lp = 0
    for _ in range(8):
        n, F = int(rng.integers(1, 7)), int(rng.integers(1, 4))
        kw = random_wave(rng, n, F, int(rng.integers(1, 4)))
        kw["capacity_h"] = np.zeros(F)
        rate = float(rng.choice([5.0, 40.0, 1000.0]))
        unassigned = rng.choice([30.0, 100.0]) + rng.uniform(0, 5, n)
        opt = brute_force(kw, rate, unassigned)
        before = len(asked)
        res = assign_wave(**kw, overflow_cost_per_h=rate, unassigned_cost=unassigned)
        total = check(kw, res, rate, unassigned)
        assert total >= opt - 1e-6 and res.bound <= opt + 1e-6
        if len(asked) == before:  # each order's least cost: optimal, with its bound
            without_lp += res.status == "OPTIMAL"  # ("TRIVIAL": no overflow at all)
            assert total == pytest.approx(opt, rel=0, abs=1e-9)
            assert res.optimal
            assert res.bound == pytest.approx(opt, rel=0, abs=rate * F * 1e-9 + 1e-9)
        elif res.optimal:  # (without CP-SAT the LP's rounding may leave a gap, as before)
            assert total == pytest.approx(opt, rel=1e-7)
    assert without_lp >= 3  # (in the others stock rules them out, or nothing overflows)


def test_order_no_fc_can_ship_is_left_with_its_unassigned_cost() -> None:
    # order 1 wants SKU 1, out of stock everywhere: left (cost 70); order 0 ships at FC 0 (3).
    kw = wave([[3, 4], [3, 4]], [[0.1, 0.1]] * 2, [5, 5], [[(0, 1)], [(1, 2)]],
              [[5, 0], [5, 1]])
    res = assign_wave(**kw, overflow_cost_per_h=10, unassigned_cost=[50, 70])
    assert res.fc.tolist() == [0, -1]
    assert res.n_unassigned == 1
    assert check(kw, res, 10, [50, 70]) == pytest.approx(73)
    assert res.status == "TRIVIAL"


def test_infinite_costs_are_respected() -> None:
    # order 0 may only ship from FC 1 (promise), which has no labor left: it still goes there
    # and overflows 0.5 h (cost 20 + 0.5 * 4 = 22 < waiting 100); order 1 can ship from
    # nowhere (all inf) and waits.  Optimum 22 + 100.
    kw = wave([[1, 20], [INF, INF]], [[0.5, 0.5], [0.5, 0.5]], [5, 0],
              [[(0, 1)], [(0, 1)]], [[5], [5]])
    for dt in (0.0, 0.05):
        res = assign_wave(**kw, overflow_cost_per_h=4, unassigned_cost=100,
                          max_deterministic_time=dt)
        res_g = assign_wave_greedy(**kw, overflow_cost_per_h=4, unassigned_cost=100)
        kw_1 = dict(kw, cost=np.array([[INF, 20], [INF, INF]]))
        res_1 = assign_wave(**kw_1, overflow_cost_per_h=4, unassigned_cost=100,
                            max_deterministic_time=dt)
        assert res.fc.tolist() == [0, -1]  # FC 0 is allowed and cheaper
        assert res_g.fc.tolist() == [0, -1]
        assert res_1.fc.tolist() == [1, -1]
        assert check(kw_1, res_1, 4, 100) == pytest.approx(122)
        assert res_1.overflow_h.tolist() == pytest.approx([0.0, 0.5])


def test_order_costing_more_than_waiting_waits() -> None:
    # shipping costs 30 but waiting only 20: the order is left (by design, documented)
    kw = wave([[30.0]], [[0.1]], [1], [[(0, 1)]], [[1]])
    res = assign_wave(**kw, overflow_cost_per_h=1, unassigned_cost=20)
    assert res.fc.tolist() == [-1] and res.objective == 20


def test_repeated_sku_lines_add_up() -> None:
    # order 0 has two lines of SKU 0 (2 + 2 units); FC 0 holds 3, FC 1 holds 4: only FC 1
    kw = wave([[1, 2]], [[0.1, 0.1]], [1, 1], [[(0, 2), (0, 2)]], [[3], [4]])
    res = assign_wave(**kw, overflow_cost_per_h=1, unassigned_cost=50)
    assert res.fc.tolist() == [1]


def test_empty_wave() -> None:
    kw = wave(np.zeros((0, 3)), np.zeros((0, 3)), [1, 1, 1], [], np.zeros((3, 2)))
    res = assign_wave(**kw, overflow_cost_per_h=1, unassigned_cost=10)
    assert res.fc.shape == (0,) and res.objective == 0 and res.status == "TRIVIAL"
    assert res.overflow_h.tolist() == [0, 0, 0]


# ------------------------------------------------------------------------- random vs brute force


def random_wave(rng: np.random.Generator, n: int, F: int, K: int) -> dict[str, Any]:
    cost = rng.uniform(5, 15, (n, F)).round(2)
    cost[rng.random((n, F)) < 0.15] = INF
    hours = rng.uniform(0.05, 0.4, (n, F)).round(3)
    capacity = np.full(F, rng.uniform(0.3, 1.5) * hours.mean() * n / F)
    lines = [[(int(rng.integers(K)), int(rng.integers(1, 3))) for _ in range(rng.integers(1, 4))]
             for _ in range(n)]
    return wave(cost, hours, capacity, lines, rng.integers(0, 4, (F, K)))


@pytest.mark.parametrize("seed", range(12))
def test_random_small_waves_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(6):
        n, F = int(rng.integers(1, 9)), int(rng.integers(1, 4))
        if (F + 1) ** n > 20_000:
            n = 6
        kw = random_wave(rng, n, F, int(rng.integers(1, 5)))
        rate = float(rng.choice([0.0, 5.0, 40.0, 1000.0]))
        unassigned = rng.choice([30.0, 100.0]) + rng.uniform(0, 5, n)
        opt = brute_force(kw, rate, unassigned)
        exact = assign_wave(**kw, overflow_cost_per_h=rate, unassigned_cost=unassigned,
                            max_deterministic_time=1.0)
        assert check(kw, exact, rate, unassigned) == pytest.approx(opt, abs=1e-6)
        assert exact.optimal
        assert exact.bound == pytest.approx(opt, abs=1e-2)  # integer rounding only
        for res in (assign_wave(**kw, overflow_cost_per_h=rate, unassigned_cost=unassigned),
                    assign_wave_greedy(**kw, overflow_cost_per_h=rate,
                                       unassigned_cost=unassigned)):
            assert check(kw, res, rate, unassigned) >= opt - 1e-6
            assert res.bound <= opt + 1e-6
            if res.optimal:
                assert res.objective == pytest.approx(opt, abs=1e-6)


def test_medium_wave_is_feasible_with_valid_bound() -> None:
    rng = np.random.default_rng(42)
    kw = random_wave(rng, 150, 6, 40)
    kw["stock"] = rng.integers(0, 30, (6, 40))
    fast, polished = (assign_wave(**kw, overflow_cost_per_h=40, unassigned_cost=60,
                                  max_deterministic_time=dt) for dt in (0.0, 0.02))
    greedy = assign_wave_greedy(**kw, overflow_cost_per_h=40, unassigned_cost=60)
    for res in (fast, polished, greedy):
        check(kw, res, 40, 60)
        assert res.bound > 0.9 * res.objective
    # CP-SAT starts from the LP-rounded solution and only replaces it by a better one
    assert polished.objective <= fast.objective
    assert polished.bound >= fast.bound - 1e-9


# ------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("dt", [0.0, 0.02])
def test_same_input_same_output(dt: float) -> None:
    rng = np.random.default_rng(7)
    kw = random_wave(rng, 120, 5, 30)
    kw["stock"] = rng.integers(0, 20, (5, 30))
    runs = [assign_wave(**{k: np.copy(v) for k, v in kw.items()}, overflow_cost_per_h=40,
                        unassigned_cost=60, max_deterministic_time=dt) for _ in range(2)]
    assert runs[0].fc.tolist() == runs[1].fc.tolist()
    assert runs[0].objective == runs[1].objective
    assert runs[0].bound == runs[1].bound
    assert runs[0].status == runs[1].status


# ------------------------------------------------------------------------- bad input


def _ok() -> dict[str, Any]:
    return wave([[1, 2], [3, 4]], [[0.1, 0.1]] * 2, [1, 1], [[(0, 1)], [(1, 1)]],
                [[1, 1], [1, 1]])


@pytest.mark.parametrize(("change", "match"), [
    ({"cost": np.ones(3)}, "cost must be a 2-D array"),
    ({"cost": np.array([[1, np.nan], [1, 1]])}, "NaN"),
    ({"hours": np.ones((3, 2))}, "hours must have the shape of cost"),
    ({"hours": np.array([[-1, 0.1], [0.1, 0.1]])}, "hours must be finite and >= 0"),
    ({"capacity_h": np.ones(3)}, r"capacity_h must have shape \(2,\)"),
    ({"capacity_h": np.array([1, -1])}, "capacity_h must be >= 0"),
    ({"line_ptr": np.array([0, 1])}, r"line_ptr must have shape \(3,\)"),
    ({"line_ptr": np.array([0, 2, 1])}, "line_ptr must start at 0, never decrease"),
    ({"line_sku": np.array([0, 5])}, r"line_sku must be in \[0, 2\)"),
    ({"line_sku": np.array([0.0, 1.0])}, "line_sku must hold integers"),
    ({"line_units": np.array([1])}, "same length"),
    ({"line_units": np.array([1, 0])}, "line_units must be >= 1"),
    ({"stock": np.ones((3, 2), dtype=int)}, r"stock must have shape \(2, K\)"),
    ({"stock": np.array([[1, -1], [1, 1]])}, "stock must be >= 0"),
])
def test_bad_input_raises_clear_value_error(change: dict[str, Any], match: str) -> None:
    kw = _ok() | change
    with pytest.raises(ValueError, match=match):
        assign_wave(**kw, overflow_cost_per_h=1, unassigned_cost=10)
    with pytest.raises(ValueError, match=match):
        assign_wave_greedy(**kw, overflow_cost_per_h=1, unassigned_cost=10)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"overflow_cost_per_h": -1, "unassigned_cost": 10}, "overflow_cost_per_h must be finite"),
    ({"overflow_cost_per_h": np.inf, "unassigned_cost": 10}, "overflow_cost_per_h"),
    ({"overflow_cost_per_h": 1, "unassigned_cost": [1, 2, 3]}, "unassigned_cost must be a"),
    ({"overflow_cost_per_h": 1, "unassigned_cost": np.inf}, "unassigned_cost must be finite"),
    ({"overflow_cost_per_h": 1, "unassigned_cost": 10, "max_deterministic_time": -1},
     "max_deterministic_time must be >= 0"),
])
def test_bad_parameters_raise(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        assign_wave(**_ok(), **kwargs)
