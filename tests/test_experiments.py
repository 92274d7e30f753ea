"""Experiments: common random numbers, paired intervals, verdicts, the store, resume, and the
same KPIs serial or in parallel."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.experiments import (
    Experiment,
    ExperimentError,
    load_experiment,
    t_interval,
    verdict,
)

from .conftest import SMALL, deep_merge, write_scenario

EXP = """
name = "{name}"
base = "base.toml"
{rule}
days = 3
kpis = ["cost_per_order", "on_time_rate", "labor_cost_per_order"]
objective = "cost_per_order"

[[variants]]
name = "more staff"
scenario = "more.toml"

[[variants]]
name = "same"
scenario = "same.toml"
{extra}
"""


def _folder(tmp_path: Path, rule: str = "replications = 3", extra: str = "",
            name: str = "exp") -> Path:
    base = deep_merge(SMALL, {"run": {"warmup_days": 0.5}})
    write_scenario(tmp_path, base, "base.toml")
    write_scenario(tmp_path, deep_merge(base, {"name": "same"}), "same.toml")
    write_scenario(tmp_path, deep_merge(base, {"name": "more", "fcs": {
        "east": {"shifts": {"day": {"pickers": 6, "packers": 6}}}}}), "more.toml")
    f = tmp_path / "exp.toml"
    f.write_text(EXP.format(name=name, rule=rule, extra=extra), encoding="utf-8")
    return f


def test_t_interval_and_verdicts() -> None:
    iv = t_interval([1.0, 2.0, 3.0, 4.0])  # sd = 1.290994, t(0.975, 3) = 3.182446
    assert iv.mean == 2.5 and iv.half_width == pytest.approx(3.182446 * 1.290994 / 2, 1e-6)
    assert math.isnan(t_interval([5.0]).half_width)
    up = t_interval([1.0, 1.2, 0.9, 1.1])
    assert verdict("cost_per_order", up) == "worse"
    assert verdict("on_time_rate", up) == "better"
    assert verdict("picker_utilization", up) == "higher"
    assert verdict("cost_per_order", t_interval([1.0, -1.0, 0.5])) == \
        "no detectable difference"
    assert verdict("cost_per_order", t_interval([1.0])).startswith("one replication")


def test_paired_differences_under_common_random_numbers(tmp_path: Path) -> None:
    exp = Experiment.from_file(_folder(tmp_path))
    res = exp.run()
    s = res.summary.set_index(["variant", "kpi"])
    # an identical scenario sees the very same orders: every difference is exactly zero
    same = s.loc[("same", "cost_per_order")]
    assert same["diff"] == 0.0 and same["diff_half_width"] == 0.0
    assert same["verdict"] == "no detectable difference"
    # more staff costs more labor per order in every replication; pairing removes the
    # demand noise, so the paired interval is narrower than that of independent samples
    more = s.loc[("more staff", "labor_cost_per_order")]
    assert more["verdict"] == "worse" and more["diff"] > 0
    unpaired = math.hypot(s.loc[("base", "labor_cost_per_order"), "half_width"],
                          more["half_width"])
    assert more["diff_half_width"] < 0.5 * unpaired
    runs = res.runs
    assert sorted(runs["replication"].unique().tolist()) == [0, 1, 2]
    assert len(runs) == 9 and runs["seed"].nunique() == 1
    # replication r of 'same' equals replication r of the base, KPI for KPI
    a = runs[runs["variant"] == "base"].set_index("replication")["cost_per_order"]
    b = runs[runs["variant"] == "same"].set_index("replication")["cost_per_order"]
    assert (a == b).all() and a.nunique() == 3


def test_serial_and_parallel_give_identical_kpis(tmp_path: Path) -> None:
    exp = Experiment.from_file(_folder(tmp_path))
    serial = exp.run(jobs=1).runs
    parallel = exp.run(jobs=2).runs
    kpis = [c for c in serial.columns if c.endswith(("per_order", "rate")) or "." in c]
    pd.testing.assert_frame_equal(serial[["variant", "replication", *kpis]],
                                  parallel[["variant", "replication", *kpis]])


def test_store_resumes_and_loses_no_finished_run(tmp_path: Path) -> None:
    f = _folder(tmp_path)
    exp = Experiment.from_file(f)
    store = tmp_path / "store"

    class Stop(Exception):
        pass

    def stop_after_four(done: int, total: int) -> None:
        if done == 4:
            raise Stop

    with pytest.raises(Stop):  # killed after four runs
        exp.run(store, progress=stop_after_four)
    assert len(pq.read_table(store / "runs.parquet")) == 4
    calls: list[tuple[int, int]] = []
    res = exp.run(store, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (5, 5)  # only the five missing runs
    assert len(res.runs) == 9 and len(pq.read_table(store / "runs.parquet")) == 9
    assert (store / "summary.parquet").is_file()
    assert len(list((store / "runs").glob("*.json"))) == 9
    calls.clear()
    exp.run(store, progress=lambda d, t: calls.append((d, t)))
    assert calls == []  # nothing left to do
    other = Experiment.from_file(_folder(tmp_path / "o", name="other"))
    with pytest.raises(ExperimentError, match="holds the runs of experiment 'exp'"):
        other.run(store)
    other.run(store, force=True)


def test_precision_adds_replications_until_reached_or_says_not(tmp_path: Path) -> None:
    loose = 'precision = { kpi = "cost_per_order", half_width = 1.0, first_replications = 2 }'
    res = Experiment.from_file(_folder(tmp_path / "a", rule=loose)).run()
    assert res.note.startswith("precision reached") and res.replications > 2  # 2 were not
    runs = res.runs.set_index(["variant", "replication"])["cost_per_order"]
    for name in ("more staff", "same"):
        d = (runs[name] - runs["base"]).to_numpy()
        assert t_interval(d).half_width <= 1.0
        assert math.isnan(t_interval(d[:1]).half_width) or \
            t_interval(d[: res.replications // 2]).half_width > 1.0 or name == "same"
    tight = ('precision = { kpi = "labor_cost_per_order", half_width = 1e-9, '
             'first_replications = 2, max_replications = 4 }')
    res = Experiment.from_file(_folder(tmp_path / "b", rule=tight)).run()
    assert res.replications == 4 and "NOT reached" in res.note


@pytest.mark.parametrize(("extra", "message"), [
    ('[[sweeps]]\nkey = "fcs.east.shifts.day.picker"\nvalues = [1, 2]',
     "did you mean fcs.east.shifts.day.pickers"),
    ('[[sweeps]]\nkey = "fcs.east.shifts.day.pickers"\nvalues = []', "values"),
    ('[[sweeps]]\nkey = "fcs.east.shifts.day.pickers"\nvalues = ["many"]', "pickers"),
    ('[[sweeps]]\nkey = "catalog.file"\nvalues = ["x.csv"]', "names a file"),
])
def test_bad_sweeps_are_refused_before_any_run(tmp_path: Path, extra: str,
                                               message: str) -> None:
    with pytest.raises(ExperimentError, match=message):
        load_experiment(_folder(tmp_path, extra=extra))


def test_sweep_grid_variants(tmp_path: Path) -> None:
    extra = ('[[sweeps]]\nkey = "fcs.east.shifts.day.pickers"\nvalues = [1, 5]\n'
             '[[sweeps]]\nkey = "fcs.west.shifts.day.packers"\nvalues = [2, 4]')
    _, variants = load_experiment(_folder(tmp_path, extra=extra))
    swept = [v for v in variants if v.swept]
    assert [v.name for v in swept] == ["pickers=1, packers=2", "pickers=1, packers=4",
                                       "pickers=5, packers=2", "pickers=5, packers=4"]
    assert swept[3].scenario.fcs["east"].shifts["day"].pickers == 5
    assert swept[3].scenario.fcs["west"].shifts["day"].packers == 4


def test_replications_below_one_and_both_rules(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="replications"):
        load_experiment(_folder(tmp_path / "a", rule="replications = 0"))
    both = 'replications = 3\nprecision = { kpi = "cost_per_order", half_width = 1 }'
    with pytest.raises(ExperimentError, match="not both"):
        load_experiment(_folder(tmp_path / "b", rule=both))


def test_cli_compare_with_replications_and_experiment_store(tmp_path: Path,
                                                            capsys) -> None:
    f = _folder(tmp_path)
    assert main(["compare", str(tmp_path / "base.toml"), str(tmp_path / "same.toml"),
                 "--reps", "3", "--days", "2", "--quiet", "--jobs", "1"]) == 0
    text = capsys.readouterr().out
    assert "no detectable difference" in text and "3 replications" in text
    assert main(["compare", str(tmp_path / "base.toml"), str(tmp_path / "more.toml"),
                 "--reps", "1", "--days", "2", "--quiet", "--jobs", "1"]) == 0
    assert "one replication each: a difference here cannot be told from noise" \
        in capsys.readouterr().out
    store = tmp_path / "store"
    assert main(["experiment", str(f), "--store", str(store), "--quiet", "--jobs", "2"]) == 0
    text = capsys.readouterr().out
    assert "best:" in text and "more staff" in text
    assert main(["runs", str(store), "--sql",
                 "SELECT variant, count(*) AS n FROM runs GROUP BY variant ORDER BY 1"]) == 0
    text = capsys.readouterr().out
    assert "more staff" in text and text.count(" 3") >= 3
    means = pq.read_table(store / "runs.parquet").to_pandas().groupby("variant")[
        "cost_per_order"].mean()
    assert np.isfinite(means).all() and len(means) == 3


def test_selection_finds_the_known_best(tmp_path: Path) -> None:
    """KN on labor cost per order: 'more staff' pays for idle people in every replication,
    while 'same' is the base itself (a tie, which the procedure settles on the first)."""
    rule = ('select = { delta = 0.05, first_replications = 3, max_replications = 20 }\n'
            'objective = "labor_cost_per_order"')
    text = _folder(tmp_path, rule=rule).read_text().replace(
        'objective = "cost_per_order"\n', "")
    (tmp_path / "exp.toml").write_text(text)
    exp = Experiment.from_file(tmp_path / "exp.toml")
    res = exp.run(jobs=2)
    assert res.note.startswith("KN: base is the best") and "95%" in res.note
    assert len(res.runs) == 3 * res.replications


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_kpis_as_serial(tmp_path: Path) -> None:
    exp = Experiment.from_file(_folder(tmp_path))
    serial = exp.run(jobs=1).runs
    dask = exp.run(dask="local:2").runs
    kpis = [c for c in serial.columns if c.endswith(("per_order", "rate")) or "." in c]
    pd.testing.assert_frame_equal(serial[["variant", "replication", *kpis]],
                                  dask[["variant", "replication", *kpis]])


def test_unreachable_scheduler_is_exit_2(tmp_path: Path, capsys) -> None:
    import socket

    with socket.socket() as s:  # a free loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    f = _folder(tmp_path)
    assert main(["experiment", str(f), "--store", str(tmp_path / "st"), "--quiet",
                 "--dask", f"tcp://127.0.0.1:{port}"]) == 2
    assert f"127.0.0.1:{port}" in capsys.readouterr().err


def test_store_keeps_each_runs_series_and_the_variants(tmp_path: Path) -> None:
    import json

    store = tmp_path / "store"
    res = Experiment.from_file(_folder(tmp_path, rule="replications = 2")).run(store)
    for _, row in res.runs.iterrows():
        series = pq.read_table(store / "runs" / f"{row['run_key']}.series.parquet").to_pandas()
        placed = series[series["series"] == "orders_placed_per_day"]["value"].sum()
        assert placed == row["orders"]  # every order of the run, on the day it was placed
        assert {"shipments_per_day", "utilization_by_hour", "click_to_deliver_days",
                "on_time_by_channel", "dest_shipments"} <= set(series["series"])
    design = json.loads((store / "experiment.json").read_text(encoding="utf-8"))
    assert design["experiment"] == "exp" and design["spec"]["objective"] == "cost_per_order"
    assert [v["name"] for v in design["variants"]] == ["base", "more staff", "same"]
    more = design["variants"][1]
    assert more["scenario"]["fcs"]["east"]["shifts"]["day"]["pickers"] == 6
    assert more["scenario_digest"] in set(res.runs["scenario_digest"])
    # without a store the series come back in the result
    mem = Experiment.from_file(_folder(tmp_path / "m", rule="replications = 2")).run()
    assert mem.series is not None
    assert set(mem.series["variant"]) == {"base", "more staff", "same"}
    assert set(mem.series["replication"]) == {0, 1}


ALWAYS_EAST = '''
class AlwaysFc:
    def __init__(self, fc: str = "east") -> None:
        self.fc = fc

    def route(self, order, state):
        return state.network.fc_names.index(self.fc)
'''


def test_policy_files_travel_with_the_task(tmp_path: Path) -> None:
    """A worker without the user's folder (a Dask worker on another machine) runs the very
    policy code the experiment was started with, from a copy named by its digest."""
    from sim.experiments.runs import execute, localised

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "mypol.py").write_text(ALWAYS_EAST, encoding="utf-8")
    write_scenario(folder, deep_merge(SMALL, {"routing": {"policy": "mypol:AlwaysFc"},
                                             "run": {"horizon_days": 3}}), "s.toml")
    (folder / "exp.toml").write_text('name = "p"\nbase = "s.toml"\nreplications = 1\n',
                                     encoding="utf-8")
    exp = Experiment.from_file(folder / "exp.toml")
    task = exp._tasks([0], set(), None)[0]
    assert [p.relative for p in task.policies] == ["mypol.py"]
    here = execute(task)
    assert localised(task.scenario, task.policies) is task.scenario  # found in place
    folder.rename(tmp_path / "gone")  # the worker's machine has no such folder
    moved = localised(task.scenario, task.policies)
    origin = moved.policy_origin("routing.policy")
    assert origin is not None and not str(origin).startswith(str(folder))
    assert (origin.parent / "mypol.py").read_text(encoding="utf-8") == ALWAYS_EAST
    there = execute(task)
    pd.testing.assert_series_equal(pd.Series(there["kpis"]), pd.Series(here["kpis"]))
    assert there["kpis"]["shipment_share.east"] == 1.0


def test_store_refuses_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    """A results directory or any folder of the user's is never taken over as a run store."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    exp = Experiment.from_file(_folder(tmp_path, rule="replications = 1"))
    with pytest.raises(ExperimentError, match="not a run store"):
        exp.run(mine)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios" / "experiments").glob("*.toml"))
                         + sorted((ROOT / "benchmarks" / "experiments").glob("estimates_*.toml")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_experiment_files_load(path: Path) -> None:
    spec, variants = load_experiment(path)
    assert spec.replications >= 2 and len(variants) >= 2, path
    if "estimates" in path.stem:  # exact against calendar: nothing else may differ
        (base, calendar) = variants
        a, b = base.scenario.model_dump(), calendar.scenario.model_dump()
        assert a["routing"]["policy"] in ("optimal", "wave")
        assert "estimate" not in a["routing"]["params"]
        assert b["routing"]["params"].pop("estimate") == "calendar"
        for d in (a, b):
            for key in ("name", "description", "extends"):
                d.pop(key, None)
        assert a == b
