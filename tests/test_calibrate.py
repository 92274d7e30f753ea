"""``fulfill calibrate``: targets and knobs checked before any run, the screening that finds a
target no knob moves, a calibration with a known answer, and the scenario and report it
writes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiments import ExperimentError
from sim.experiments.calibrate import LOSS, Calibrator, parse_target, write_calibrated
from sim.experiments.tune import parse_param
from sim.runner import run_scenario
from sim.scenario import load_scenario

from .conftest import SMALL, deep_merge, write_scenario

WAGE = "fcs.*.labor_cost_per_hour"


def _base(tmp_path: Path) -> Path:
    return write_scenario(tmp_path, deep_merge(SMALL, {"run": {"horizon_days": 4,
                                                               "warmup_days": 1}}))


def test_parse_target() -> None:
    t = parse_target("on_time_rate=0.95:2")
    assert (t.kpi, t.value, t.weight) == ("on_time_rate", 0.95, 2.0)
    assert parse_target("labor_cost_per_order=2.5").weight == 1.0
    # relative error, absolute where the target is 0
    assert t.error(0.9025) == pytest.approx(2 * 0.0475 / 0.95)
    assert parse_target("lost_sales_units=0").error(3.0) == 3.0
    for bad, why in (("on_time_rat=0.9", r"not a KPI; did you mean on_time_rate"),
                     ("on_time_rate=95", r"rate or share between 0 and 1"),
                     ("labor_cost_per_order=-1", "cannot be negative"),
                     ("on_time_rate=0.9:0", "WEIGHT must be above 0"),
                     ("on_time_rate=x", "VALUE: 'x' is not a number"),
                     ("on_time_rate", "expected KPI=VALUE")):
        with pytest.raises(ExperimentError, match=why):
            parse_target(bad)


def test_knobs_are_checked_before_any_run(tmp_path: Path) -> None:
    sc = load_scenario(_base(tmp_path))
    target = [parse_target("labor_cost_per_order=3")]
    with pytest.raises(ExperimentError, match=r"matches no key.*nearest: "
                       r"fcs\.\*\.labor_cost_per_hour"):
        Calibrator(sc, [parse_param("fcs.*.labor_cost_per_hr=10:50")], target)
    with pytest.raises(ExperimentError, match="not a number"):
        Calibrator(sc, [parse_param("fcs.*.pickup_days=1:2")], target)
    with pytest.raises(ExperimentError, match="the same KPI twice"):
        Calibrator(sc, [parse_param(f"{WAGE}=10:50")], target * 2)


@pytest.mark.parametrize("args, why", [
    (["--target", "on_time_rat=0.9", "--knob", f"{WAGE}=10:50"], "did you mean on_time_rate"),
    (["--target", "on_time_rate=1.2", "--knob", f"{WAGE}=10:50"], "between 0 and 1"),
    (["--target", "on_time_rate=0.9", "--knob", f"{WAGE}=50:10"],
     r"--knob .*LOW \(50\) must be below HIGH \(10\)"),
])
def test_bad_input_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    args: list[str], why: str) -> None:
    f = _base(tmp_path)
    rc = main(["calibrate", str(f), *args, "--store", str(tmp_path / "st"),
               "--out", str(tmp_path / "cal.toml"), "--jobs", "1", "--quiet"])
    assert rc == 2
    import re
    assert re.search(why, capsys.readouterr().err.replace("\n", " "))
    assert not (tmp_path / "st").exists()  # refused before any run


def test_a_target_no_knob_moves_is_named(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    # wages change what labor costs, never when parcels arrive: with common random numbers
    # the on-time rate is the same number in every screening run
    f = _base(tmp_path)
    rc = main(["calibrate", str(f), "--target", "on_time_rate=0.9",
               "--target", "labor_cost_per_order=3", "--knob", f"{WAGE}=10:50",
               "--store", str(tmp_path / "st"), "--out", str(tmp_path / "cal.toml"),
               "--jobs", "1", "--quiet", "--trials", "2", "--reps", "1"])
    assert rc == 2
    err = capsys.readouterr().err.replace("\n", " ")
    assert "no knob moves on_time_rate" in err and "labor_cost_per_order" not in err.split(
        "no knob moves", 1)[1].split(":")[0]
    assert not (tmp_path / "cal.toml").exists()


def test_known_answer_and_what_it_writes(tmp_path: Path) -> None:
    """Labor cost per order is exactly proportional to the wage (the hours paid do not depend
    on it), so the wage that meets a labor-cost target is known: 20 x target / cost at 20."""
    f = _base(tmp_path)
    sc = load_scenario(f)
    at_20 = run_scenario(sc, replication=0).kpis["labor_cost_per_order"]
    target = at_20 * 31.0 / 20.0  # the answer: $31/h at both FCs
    cal = Calibrator(sc, [parse_param(f"{WAGE}=10:50")],
                     [parse_target(f"labor_cost_per_order={target}")], trials=14, reps=1,
                     confirm_reps=3)
    store = tmp_path / "store"
    res = cal.run(store, jobs=1)
    screen = cal.screen.set_index("run")["labor_cost_per_order"]
    assert screen[f"{WAGE}=10"] == pytest.approx(at_20 * 10 / 20, rel=1e-9)
    assert screen[f"{WAGE}=50"] == pytest.approx(at_20 * 50 / 20, rel=1e-9)
    assert res.best is not None
    wage = res.best["values"][WAGE]
    assert wage == pytest.approx(31.0, abs=2.0)
    # the loss of the best candidate is its relative error, exactly
    assert res.best["objective"] == pytest.approx(abs(wage - 31.0) / 31.0, rel=1e-6)
    conf = res.confirmation.set_index("kpi")
    assert set(conf.index) == {LOSS, "labor_cost_per_order"}
    assert conf.loc["labor_cost_per_order", "target"] == pytest.approx(target)
    out = write_calibrated(cal, res, f, tmp_path / "calibrated.toml")
    doc = tomllib.loads(out.read_text(encoding="utf-8"))
    # the * knob sets every FC's wage
    assert doc["fcs"]["east"]["labor_cost_per_hour"] == pytest.approx(wage)
    assert doc["fcs"]["west"]["labor_cost_per_hour"] == pytest.approx(wage)
    assert out.read_text(encoding="utf-8").startswith("# Written by fulfill calibrate: trial")
    calibrated = load_scenario(out)
    assert calibrated.fcs["west"].labor_cost_per_hour == pytest.approx(wage)
    info = json.loads((store / "calibration.json").read_text(encoding="utf-8"))
    assert info["knobs"][0]["keys"] == ["fcs.east.labor_cost_per_hour",
                                        "fcs.west.labor_cost_per_hour"]


def test_unreachable_target_is_reported(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    f = _base(tmp_path)
    at_20 = run_scenario(load_scenario(f), replication=0).kpis["labor_cost_per_order"]
    out = tmp_path / "cal.toml"
    rc = main(["calibrate", str(f), "--target", f"labor_cost_per_order={at_20 * 4}",
               "--knob", f"{WAGE}=10:50", "--store", str(tmp_path / "st"), "--out", str(out),
               "--jobs", "1", "--trials", "14", "--reps", "1", "--confirm-reps", "2"])
    assert rc == 0
    text = capsys.readouterr()
    said = (text.out + text.err).replace("\n", " ")
    assert "may be unreachable" in said  # from the screening: 80 $/h is beyond 10-50
    assert "not reached" in said and "at its high end 50" in said
    assert "NOT reached" in out.read_text(encoding="utf-8")
    html = tmp_path / "r.html"
    assert main(["report", str(tmp_path / "st"), "--out", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert "<h2>Calibration</h2>" in page and "Not reached: labor_cost_per_order" in page
    # no constraints in a calibration: no column or legend about them
    assert "meets constraints" not in page and "<h3>Best candidates</h3>" in page
