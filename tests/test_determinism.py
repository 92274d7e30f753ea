"""Same scenario and seed give the same event log; seeds and replications give other ones;
demand is common to policies run with the same seed (common random numbers)."""

from __future__ import annotations

import numpy as np

from tests.conftest import MakeScenario, run


def test_same_seed_same_log(make_scenario: MakeScenario) -> None:
    sc = make_scenario()
    a, b = run(sc), run(sc)
    assert a.equals(b)
    assert a.n_rows("events") > 10_000


def test_different_seed_different_log(make_scenario: MakeScenario) -> None:
    a = run(make_scenario(run={"seed": 1}))
    b = run(make_scenario(run={"seed": 2}))
    assert not a.equals(b)
    assert not np.array_equal(a["orders"]["placed_h"][:100], b["orders"]["placed_h"][:100])


def test_replications_independent_of_order(make_scenario: MakeScenario) -> None:
    """Replication 3 is the same whether it runs alone or after others."""
    sc = make_scenario()
    alone = run(sc, replication=3)
    run(sc, replication=0)
    after = run(sc, replication=3)
    assert alone.equals(after)
    assert not alone.equals(run(sc, replication=0))


def test_common_random_numbers_across_policies(make_scenario: MakeScenario) -> None:
    """Two policies under one seed face identical orders (times, destinations, lines)."""
    a = run(make_scenario(routing={"policy": "nearest"}))
    b = run(make_scenario(routing={"policy": "least_loaded"}))
    for table in ("orders", "order_lines"):
        for col, values in a[table].items():
            np.testing.assert_array_equal(values, b[table][col], err_msg=f"{table}.{col}")
    assert not a.equals(b)  # but they route differently
