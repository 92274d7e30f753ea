"""``fulfill tune``: the search under common random numbers, pruning, constraints, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.experiments import ExperimentError
from sim.experiments.tune import Tuner, parse_param, write_best
from sim.scenario import load_scenario

from .conftest import SMALL, deep_merge, write_scenario


def _base(tmp_path: Path) -> Path:
    return write_scenario(tmp_path, deep_merge(SMALL, {"run": {"horizon_days": 4,
                                                               "warmup_days": 1}}))


def test_parse_param() -> None:
    p = parse_param("fcs.east.shifts.day.pickers=1:8:int")
    assert (p.key, p.kind, p.low, p.high) == ("fcs.east.shifts.day.pickers", "int", 1, 8)
    assert parse_param("a.b=0.1:10:log").kind == "log"
    assert parse_param("a.b=5,10,15").choices == (5, 10, 15)
    for bad in ("a.b=3:1", "a.b=1:2:cubic", "a.b=0:1:log", "a.b=1.5:3:int", "a.b=x:1",
                "a.b=5", "=1:2", "a.b"):
        with pytest.raises(ExperimentError):
            parse_param(bad)


def test_bad_tuning_input_names_what_is_wrong(tmp_path: Path) -> None:
    sc = load_scenario(_base(tmp_path))
    with pytest.raises(ExperimentError, match=r"nearest: fcs\.east\.shifts\.day\.pickers"):
        Tuner(sc, [parse_param("fcs.east.shifts.day.pikers=1:8:int")],
              objective="total_cost_per_order")
    with pytest.raises(ExperimentError, match="not a number"):
        Tuner(sc, [parse_param("routing.policy=1:2")], objective="total_cost_per_order")
    with pytest.raises(ExperimentError, match="not a KPI"):
        Tuner(sc, [parse_param("fcs.east.shifts.day.pickers=1:8:int")],
              objective="total_cost_per_order", constraints=["on_time_rat>=0.9"])
    with pytest.raises(ExperimentError, match="not a KPI"):
        Tuner(sc, [parse_param("fcs.east.shifts.day.pickers=1:8:int")], objective="profit")


def test_search_prunes_resumes_and_confirms_out_of_sample(tmp_path: Path) -> None:
    """East's day pickers from 1 to 8 (start: 3): labor is paid by the hour, so fewer pickers
    cost less per order while they keep up; every trial is scored on the same 3
    replications and a clearly worse one is pruned after 2."""
    f = _base(tmp_path)
    sc = load_scenario(f)
    key = "fcs.east.shifts.day.pickers"
    tuner = Tuner(sc, [parse_param(f"{key}=1:8:int")], objective="total_cost_per_order",
                  constraints=["on_time_rate>=0.5"], trials=8, reps=3)
    store = tmp_path / "store"
    res = tuner.run(store, jobs=1)
    trials = pq.read_table(store / "trials.parquet").to_pandas()
    assert len(trials) == 8 and trials.equals(res.trials)
    assert res.best is not None
    best_row = trials[trials["trial"] == res.best["trial"]].iloc[0]
    # the best is the lowest mean objective among complete feasible trials
    done = trials[trials["feasible"]]
    assert best_row["objective"] == done["objective"].min()
    # pruned trials ran only the first 2 replications and say why
    pruned = trials[trials["pruned"]]
    assert (pruned["reps_run"] == 2).all() and pruned["why"].str.contains("paired").all()
    assert (done["reps_run"] == 3).all()
    # the store holds each trial's runs once: 3 per complete, 2 per pruned, + confirmation
    runs = pq.read_table(store / "runs.parquet").to_pandas()
    distinct = trials.drop_duplicates(f"param.{key}")
    assert len(runs) <= 3 * len(distinct) + 2 * tuner.confirm_reps
    # out of sample: fresh replications, paired against the starting value
    conf = res.confirmation.set_index("kpi")
    assert conf.loc["total_cost_per_order", "replications"] == 5
    assert set(runs.loc[runs["variant"].str.contains("confirmation"), "replication"]) == \
        set(range(10_000, 10_005))
    # rerunning does nothing new; a different search space is refused
    again = tuner.run(store, jobs=1)
    assert len(again.trials) == 8
    assert len(pq.read_table(store / "runs.parquet")) == len(runs)
    other = Tuner(sc, [parse_param(f"{key}=1:9:int")], objective="total_cost_per_order",
                  trials=2, reps=3)
    with pytest.raises(ExperimentError, match="another search space"):
        other.run(store)
    # BEST.toml extends the scenario with the best value
    out = write_best(res, f, tmp_path / "best.toml")
    best = load_scenario(out)
    assert best.fcs["east"].shifts["day"].pickers == res.best["values"][key]
    assert "Out of sample" in out.read_text(encoding="utf-8")
    meta = json.loads((store / "tune.json").read_text(encoding="utf-8"))
    assert meta["best"]["trial"] == res.best["trial"]


def test_infeasible_constraint_gives_no_best(tmp_path: Path) -> None:
    sc = load_scenario(_base(tmp_path))
    res = Tuner(sc, [parse_param("fcs.east.shifts.day.pickers=2:4:int")],
                objective="total_cost_per_order", constraints=["on_time_rate>=1.01"],
                trials=2, reps=2).run(tmp_path / "s")
    assert res.best is None and "no trial met" in res.note


def test_report_of_a_tuning_study(tmp_path: Path) -> None:
    from reports.dataset import from_store
    from sim.cli import main

    f = _base(tmp_path)
    key = "fcs.east.shifts.day.pickers"
    Tuner(load_scenario(f), [parse_param(f"{key}=1:6:int")],
          objective="total_cost_per_order", trials=5, reps=2).run(tmp_path / "store")
    data = from_store(tmp_path / "store")
    assert [v.name for v in data.variants] == ["start (confirmation)", "best (confirmation)"]
    assert all(v.kpis.index.min() >= 10_000 for v in data.variants)
    assert data.tune is not None and len(data.tune["trials"]) == 5
    out = tmp_path / "t.html"
    assert main(["report", str(tmp_path / "store"), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert 'id="tune"' in html and "Search history" in html and "Out of sample" in html


def test_an_undefined_objective_fails_the_trial_with_a_reason(tmp_path: Path) -> None:
    """A 1-day horizon has no order due before it: on_time_rate is NaN, so every trial
    fails, saying why, and there is no best."""
    f = write_scenario(tmp_path, deep_merge(SMALL, {"run": {"horizon_days": 1,
                                                            "warmup_days": 0.25}}))
    res = Tuner(load_scenario(f), [parse_param("fcs.east.shifts.day.pickers=2:4:int")],
                objective="on_time_rate", maximize=True, trials=2, reps=1).run(tmp_path / "s")
    assert (res.trials["state"] == "fail").all()
    assert res.trials["why"].str.contains("not defined").all() and res.best is None
