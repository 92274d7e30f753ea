"""Delivery promises counted in business days (``promise_business_days``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.network import _promise_offsets, build_network
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_offsets_by_order_weekday() -> None:
    # Monday..Sunday orders, 3 business days: Mon->Thu (3), Tue->Fri (3), Wed->Mon (5),
    # Thu->Tue (5), Fri->Wed (5), Sat->(Mon)->Thu (5), Sun->(Mon)->Thu (4)
    assert _promise_offsets(3, True) == [3, 3, 5, 5, 5, 5, 4]
    # 5 business days: Mon->next Mon (7) ... Fri->next Fri (7), Sat->Fri+? : Mon+5 = next Mon
    assert _promise_offsets(5, True) == [7, 7, 7, 7, 7, 9, 8]
    # calendar days: the same every weekday
    assert _promise_offsets(3, False) == [3] * 7


def test_promise_hours_in_the_log(tmp_path: Path) -> None:
    from sim.model import simulate

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=7)
    net = build_network(sc)
    assert sc.run.start_date.weekday() == 0  # the baseline starts on a Monday
    log = simulate(net, replication=0)
    o = log.tables["orders"]
    day = np.floor(o["placed_h"] / 24.0).astype(int)
    names = list(net.channel_names)
    expect = {"marketplace": [3, 3, 5, 5, 5, 5, 4], "webstore": [7, 7, 7, 7, 7, 9, 8],
              "social": [7, 7, 7, 7, 7, 9, 8]}
    for ch, offsets in expect.items():
        mine = o["channel"] == names.index(ch)
        assert mine.any()
        want = 24.0 * (day[mine] + 1 + np.array(offsets)[day[mine] % 7])
        np.testing.assert_array_equal(o["promise_h"][mine], want)


@pytest.mark.parametrize("bad, field", [("promise_business_days = 3", "promise_business_days")])
def test_bad_flag_names_the_field(tmp_path: Path, bad: str, field: str) -> None:
    from sim.scenario import ScenarioError

    f = tmp_path / "s.toml"
    f.write_text(f'extends = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"\n'
                 f"[demand.channels.webstore]\n{bad}\n")
    with pytest.raises(ScenarioError, match=field):
        load_scenario(f)
