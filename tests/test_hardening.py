"""Hostile and careless input: policy code loaded only from the scenario's folder, numbers that
pass TOML but make no sense, limits of the event log's codes, and user text in the terminal.

Each test here failed on the code before the hardening issue (main at 554fcec).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim import cli
from sim.cli import EXIT_BAD_INPUT, main
from sim.scenario import MAX_EXTENDS

from .conftest import SMALL, deep_merge, write_scenario

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).parent / "data" / "bad"


def _validate(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    rc = main(["validate", str(path), *extra])
    cap = capsys.readouterr()
    return rc, cap.err + cap.out


def _variant(tmp_path: Path, body: str, name: str = "variant.toml") -> Path:
    """A file extending the tiny valid scenario of tests/data/bad with ``body``."""
    path = tmp_path / name
    path.write_text(f'extends = "{BAD / "base.toml"}"\n{body}\n', encoding="utf-8")
    return path


# ------------------------------------------------------------------ 2. policy code


HOSTILE_SPECS = ["subprocess:Popen", "os:system", "builtins:eval", "shutil:rmtree"]


@pytest.mark.parametrize("spec", HOSTILE_SPECS)
def test_policy_from_standard_library_is_refused(spec: str, tmp_path: Path, monkeypatch,
                                                  capsys) -> None:
    monkeypatch.chdir(tmp_path)
    path = _variant(tmp_path, f'[routing]\npolicy = "{spec}"\n'
                              'params = { args = ["sh", "-c", "touch PWNED"] }')
    rc, text = _validate(path, capsys)
    assert rc == EXIT_BAD_INPUT
    module = spec.split(":")[0]
    assert f"no file {module}.py in {tmp_path}" in text
    assert "routing.policy" in text
    rc = main(["run", str(path), "--days", "1", "--quiet", "--out", str(tmp_path / "out")])
    assert rc == EXIT_BAD_INPUT
    assert not (tmp_path / "PWNED").exists()
    assert not (tmp_path / "out").exists()


def test_policy_in_current_directory_is_not_imported(tmp_path: Path, monkeypatch,
                                                     capsys) -> None:
    """A module in the working directory (on sys.path with ``python -m sim``) is not beside
    the scenario, so it is neither imported nor run."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "evil.py").write_text("open('IMPORTED', 'w').close()\n"
                                 "class P:\n    def route(self, order, state):\n"
                                 "        return 0\n")
    monkeypatch.chdir(cwd)
    monkeypatch.syspath_prepend(str(cwd))
    scen = tmp_path / "scen"
    scen.mkdir()
    rc, text = _validate(_variant(scen, '[routing]\npolicy = "evil:P"'), capsys)
    assert rc == EXIT_BAD_INPUT and "no file evil.py" in text
    assert not (cwd / "IMPORTED").exists()


def test_policy_class_must_be_defined_in_the_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "pols.py").write_text("from subprocess import Popen\n")
    rc, text = _validate(_variant(tmp_path, '[routing]\npolicy = "pols:Popen"'), capsys)
    assert rc == EXIT_BAD_INPUT
    assert "class 'Popen' is not defined in" in text and "subprocess" in text


def test_policy_file_may_not_point_outside_the_folder(tmp_path: Path, capsys) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("class P:\n    def route(self, order, state):\n        return 0\n")
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "link.py").symlink_to(outside)
    rc, text = _validate(_variant(scen, '[routing]\npolicy = "link:P"'), capsys)
    assert rc == EXIT_BAD_INPUT and "points outside" in text
    rc, text = _validate(_variant(scen, '[routing]\npolicy = "..outside:P"', "dots.toml"),
                         capsys)
    assert rc == EXIT_BAD_INPUT and "not of the form 'module:Class'" in text


def test_policy_in_a_subfolder_package(tmp_path: Path, capsys) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mine.py").write_text(
        "class P:\n    def route(self, order, state):\n        return 0\n")
    rc, text = _validate(_variant(tmp_path, '[routing]\npolicy = "pkg.mine:P"'), capsys)
    assert rc == 0, text
    assert f"policy code: {tmp_path / 'pkg' / 'mine.py'}" in text


def test_validate_checks_signatures_before_building(tmp_path: Path, capsys,
                                                   monkeypatch) -> None:
    """A route method of the wrong shape is reported by name, and the class is not built
    (its constructor would leave a marker file)."""
    (tmp_path / "pols.py").write_text(
        "class P:\n"
        "    def __init__(self):\n"
        "        open('BUILT', 'w').close()\n"
        "    def route(self, order):\n"
        "        return 0\n"
        "class Q:\n"
        "    def __init__(self, fc):\n"
        "        self.fc = fc\n"
        "    def route(self, order, state):\n"
        "        return self.fc\n")
    monkeypatch.chdir(tmp_path)
    rc, text = _validate(_variant(tmp_path, '[routing]\npolicy = "pols:P"'), capsys)
    assert rc == EXIT_BAD_INPUT
    assert "method route cannot be called as route(order, state)" in text
    assert not (tmp_path / "BUILT").exists()
    rc, text = _validate(_variant(tmp_path, '[routing]\npolicy = "pols:Q"\n'
                                            'params = { depot = 1 }', "q.toml"), capsys)
    assert rc == EXIT_BAD_INPUT
    assert "cannot be built with the parameters given (depot)" in text


POLICY = """
class Fixed:
    def route(self, order, state):
        return {fc}
"""


def test_same_module_name_in_two_folders_runs_each_folders_code(tmp_path: Path) -> None:
    """``compare A/s.toml B/s.toml`` with a mypol.py in each folder: each runs its own."""
    shipped = []
    for folder, fc in (("A", 0), ("B", 1)):
        d = tmp_path / folder
        d.mkdir()
        (d / "mypol.py").write_text(POLICY.format(fc=fc))
        data = deep_merge(SMALL, {"routing": {"policy": "mypol:Fixed"},
                                  "run": {"horizon_days": 3, "warmup_days": 0}})
        path = write_scenario(d, data, "s.toml")
        assert main(["run", str(path), "--quiet", "--out", str(d / "out")]) == 0
        import pyarrow.parquet as pq
        shipped.append(set(pq.read_table(d / "out" / "shipments.parquet")
                           .column("fc").to_pylist()))
    assert shipped == [{"east"}, {"west"}]


def test_policy_named_in_a_parent_file_is_found_beside_that_file(tmp_path: Path,
                                                                 capsys) -> None:
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{ROOT / "scenarios" / "cheapest_zone.toml"}"\n'
                     'name = "child"\n', encoding="utf-8")
    rc, text = _validate(child, capsys)
    assert rc == 0, text
    assert str(ROOT / "scenarios" / "example_policies.py") in text


def test_replenishment_class_whose_constructor_fails(tmp_path: Path, capsys) -> None:
    (tmp_path / "repl.py").write_text(
        "class Boom:\n"
        "    review_period_days = None\n"
        "    def __init__(self, net, skus):\n"
        "        raise ZeroDivisionError('my bug')\n"
        "    def reorder_point(self, fc, sku):\n"
        "        return None\n"
        "    def order_quantity(self, fc, sku, position, state):\n"
        "        return 0\n")
    path = _variant(tmp_path, '[replenishment]\npolicy = "repl:Boom"\nlead_time_days = 2')
    for argv in (["validate", str(path)],
                 ["run", str(path), "--days", "1", "--quiet", "--out", str(tmp_path / "o")]):
        rc = main(argv)
        text = capsys.readouterr().err
        assert rc == EXIT_BAD_INPUT, text
        assert "replenishment.policy" in text and "ZeroDivisionError: my bug" in text
        assert "Traceback" not in text


def test_error_inside_a_running_policy_names_its_file_and_line(tmp_path: Path,
                                                               capsys) -> None:
    (tmp_path / "pols.py").write_text("class P:\n    def route(self, order, state):\n"
                                      "        return 1 // 0\n")
    path = _variant(tmp_path, '[routing]\npolicy = "pols:P"')
    rc = main(["run", str(path), "--days", "1", "--quiet", "--out", str(tmp_path / "o")])
    text = capsys.readouterr().err
    assert rc == EXIT_BAD_INPUT
    assert text.startswith(f"error: policy code {tmp_path / 'pols.py'}, line 3, raised "
                           "ZeroDivisionError")


# ------------------------------------------------------------------ 4. numbers


NONFINITE_FIELDS = [
    ("[demand]\norders_per_day = {v}", "demand.orders_per_day"),
    ("[demand]\nhour_profile = [{v}" + ", 1" * 23 + "]", "demand.hour_profile.0"),
    ("[demand]\nweekday_profile = [1, 1, {v}, 1, 1, 1, 1]", "demand.weekday_profile.2"),
    ('[[demand.seasonality]]\nstart = 2026-10-05\nend = 2026-10-06\nmultiplier = {v}',
     "demand.seasonality.0.multiplier"),
    ('[demand.lines_per_order]\ndist = "shifted_poisson"\nmean = {v}',
     "demand.lines_per_order.mean"),
    ("[demand]\ndaily_cv = {v}", "demand.daily_cv"),
    ("[returns]\nprobability = 0.1\ndelay_days = {{ mean = {v} }}",
     "returns.delay_days.mean"),
    ('replace = ["inventory"]\n[inventory]\nrule = "days_of_demand"\ndays = {v}',
     "inventory.days"),
    ("[fcs.east]\nlabor_cost_per_hour = {v}", "fcs.east.labor_cost_per_hour"),
    ("[fcs.east.pick_time]\nper_line_min = {v}", "fcs.east.pick_time.per_line_min"),
    ("[fcs.east.receiving]\nputaway_h = {v}", "fcs.east.receiving.putaway_h"),
    ('[replenishment]\npolicy = "base_stock"\nS_days = {v}\nlead_time_days = 2',
     "replenishment.S_days"),
    ('[replenishment]\npolicy = "base_stock"\nS_days = 5\n'
     '[suppliers.acme]\nlead_time_days = {{ mean = {v} }}',
     "suppliers.acme.lead_time_days.mean"),
    ("[carrier]\ncost_by_zone = [{v}, 1, 1, 1, 1, 1, 1, 1]", "carrier.cost_by_zone.0"),
]


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
@pytest.mark.parametrize(("body", "field"), NONFINITE_FIELDS,
                         ids=[f for _, f in NONFINITE_FIELDS])
def test_inf_and_nan_are_refused(body: str, field: str, value: str, tmp_path: Path,
                                 capsys) -> None:
    rc, text = _validate(_variant(tmp_path, body.format(v=value)), capsys)
    assert rc == EXIT_BAD_INPUT, text
    assert f"field '{field}'" in text and "variant.toml" in text


def test_surcharges_and_penalties_must_be_finite(tmp_path: Path, capsys) -> None:
    base = ROOT / "scenarios" / "baseline.toml"
    for i, (body, field) in enumerate([
            ("[services.ground]\nresidential_surcharge = nan", "residential_surcharge"),
            ("[services.ground]\nfuel_surcharge_pct = inf", "fuel_surcharge_pct"),
            ('[routing]\npolicy = "optimal"\nparams = { late_penalty_per_day = nan }',
             "late_penalty_per_day must be a number")]):
        path = tmp_path / f"v{i}.toml"
        path.write_text(f'extends = "{base}"\n{body}\n')
        rc, text = _validate(path, capsys)
        assert rc == EXIT_BAD_INPUT, text
        assert field in text


@pytest.mark.parametrize(("body", "expected"), [
    ("[services.x]\nrates = 'r.csv'\ndim_divisor = 0\ntransit_days_by_zone = [1,1,1,1,1,1,1,1]",
     "services.x.dim_divisor"),
    ("[fcs.east]\npickup_days = []", "fcs.east.pickup_days"),
    ("[run]\nhorizon_days = 1e300", "run.horizon_days"),
    ("[run]\nseed = 99999999999999999999", "run.seed"),
    ("[fcs.east.shifts.day]\npickers = 9223372036854775807", "fcs.east.shifts.day.pickers"),
    ('[demand.units_per_line]\ndist = "fixed"\nmean = 1e9', "demand.units_per_line.mean"),
])
def test_numbers_that_used_to_crash_hang_or_mislead(body: str, expected: str, tmp_path: Path,
                                                    capsys) -> None:
    rc, text = _validate(_variant(tmp_path, body), capsys)
    assert rc == EXIT_BAD_INPUT, text
    assert expected in text


def test_more_fcs_or_channels_than_the_log_can_code(tmp_path: Path, capsys) -> None:
    fc = ('[fcs.f{i}]\nlat = 40.0\nlon = -90.0\nlabor_cost_per_hour = 20\n'
          'pickup_cutoffs_h = [16.0]\npick_time = {{ per_order_min = 1 }}\n'
          'pack_time = {{ per_order_min = 1 }}\n[fcs.f{i}.shifts.day]\n'
          'days = ["mon"]\nstart_h = 8\nend_h = 16\npickers = 1\npackers = 1\n')
    rc, text = _validate(_variant(tmp_path, "".join(fc.format(i=i) for i in range(126))),
                         capsys)
    assert rc == EXIT_BAD_INPUT and "open FCs: 128 given, at most 127" in text
    chans = "".join(f"[demand.channels.c{i}]\nshare = {1 / 128!r}\npromise_days = 3\n"
                    for i in range(126))
    body = ('replace = ["demand"]\n[demand]\norders_per_day = 5\n'
            f'destinations = {{ file = "{BAD / "dest.csv"}" }}\n'
            "[demand.channels.webstore]\nshare = 0.0078125\npromise_days = 5\n"
            "[demand.channels.marketplace]\nshare = 0.0078125\npromise_days = 3\n" + chans)
    rc, text = _validate(_variant(tmp_path, body, "chans.toml"), capsys)
    assert rc == EXIT_BAD_INPUT and "demand.channels: 128 given, at most 127" in text


def test_huge_demand_is_refused_with_a_memory_estimate(tmp_path: Path, capsys,
                                                       monkeypatch) -> None:
    monkeypatch.setattr(cli, "available_memory", lambda: 24 * 2**30)
    path = _variant(tmp_path, "[demand]\norders_per_day = 1e7")
    rc, text = _validate(path, capsys)
    assert rc == EXIT_BAD_INPUT
    # 3 days x 1e7 orders: 30,000,000 orders x 2 kB + 300 MB = 57.5 GiB
    assert re.search(r"about 30,000,000 orders over 3 days would need about 57\.5 GiB", text), \
        text
    assert "--no-memory-check" in text
    rc, text = _validate(path, capsys, "--no-memory-check")
    assert rc == 0, text


def test_deeply_nested_toml_and_long_extends_chains(tmp_path: Path, capsys) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    rc, text = _validate(deep, capsys)
    assert rc == EXIT_BAD_INPUT and "nested too deeply" in text
    deep_params = _variant(tmp_path, "[routing]\nparams = { a = " + "{ a = " * 400 + "1"
                           + " }" * 401, "params.toml")
    rc, text = _validate(deep_params, capsys)
    assert rc == EXIT_BAD_INPUT and "Traceback" not in text
    (tmp_path / "c0.toml").write_text(f'extends = "{BAD / "base.toml"}"\n')
    for i in range(1, 1500):
        (tmp_path / f"c{i}.toml").write_text(f'extends = "c{i - 1}.toml"\n')
    rc, text = _validate(tmp_path / "c1499.toml", capsys)
    assert rc == EXIT_BAD_INPUT
    assert f"longer than {MAX_EXTENDS} files" in text and "c1499.toml" in text
    rc, text = _validate(tmp_path / f"c{MAX_EXTENDS - 2}.toml", capsys)
    assert rc == 0, text  # a chain of MAX_EXTENDS files in all is read


def test_not_a_regular_file(tmp_path: Path, capsys) -> None:
    rc, text = _validate(_variant(tmp_path, "", "x.toml").parent, capsys)
    assert rc == EXIT_BAD_INPUT and "not a regular file" in text
    link = tmp_path / "zero.toml"
    link.write_text('extends = "/dev/zero"\n')
    rc, text = _validate(link, capsys)
    assert rc == EXIT_BAD_INPUT and "/dev/zero" in text


# ------------------------------------------------------------------ CLI errors and signals


def test_unexpected_error_is_one_line_and_debug_shows_the_traceback(monkeypatch,
                                                                    capsys) -> None:
    def boom(args):
        raise RuntimeError("something broke")

    monkeypatch.setitem(cli.COMMANDS, "validate", boom)
    assert main(["validate", "x.toml"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err.strip()
    assert err == ("internal error: RuntimeError: something broke (run again with --debug "
                   "for the traceback)")
    assert main(["validate", "x.toml", "--debug"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "something broke" in err


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path) -> None:
    """A real SIGINT in the middle of writing results, after an OR-Tools CP-SAT solve (which
    used to leave SIGINT at the C default, killing the process without clean-up)."""
    script = f"""
import os, signal, sys
sys.path.insert(0, {str(ROOT)!r})
import pyarrow.parquet as pq
import sim.results
from sim.shipping import cp_sat_solver
from ortools.sat.python import cp_model
m = cp_model.CpModel(); x = m.new_int_var(0, 3, "x"); m.maximize(x)
cp_sat_solver().solve(m)
calls = []
real = pq.write_table
def write(*a, **k):
    calls.append(1)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGINT)
    return real(*a, **k)
sim.results.pq.write_table = write
from sim.cli import main
sys.exit(main(["run", {str(BAD / "base.toml")!r}, "--days", "1", "--quiet",
               "--out", {str(tmp_path / "out")!r}]))
"""
    assert main(["run", str(BAD / "base.toml"), "--days", "1", "--quiet", "--seed", "3",
                 "--out", str(tmp_path / "out")]) == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "interrupted" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp dir, no lock
    after = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert after == before  # the previous results (seed 3), untouched


# ------------------------------------------------------------------ 6. terminal text


def test_user_text_is_shown_escaped(tmp_path: Path) -> None:
    name = "[link=http://evil]x[/link]\x1b[2J\u202e"
    data = deep_merge(SMALL, {"name": name, "run": {"horizon_days": 2, "warmup_days": 0}})
    data["fcs"] = {"[bold]east\x1b]8;;http://e\x1b\\": data["fcs"]["east"],
                   "west": data["fcs"]["west"]}
    path = write_scenario(tmp_path, data)
    for argv in (["validate", str(path)],
                 ["run", str(path), "--out", str(tmp_path / "out")],
                 ["compare", str(tmp_path / "out"), str(path)]):
        proc = subprocess.run([sys.executable, "-m", "sim", *argv], capture_output=True,
                              text=True, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        shown = proc.stdout + proc.stderr
        assert "\x1b" not in shown and "\u202e" not in shown
        if argv[0] != "compare":
            assert "[link=http://evil]x[/link]\\x1b[2J\\u202e" in shown
        assert "[bold]east\\x1b]8;;http://e\\x1b\\" in shown


def test_default_results_directory_stays_inside_results(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = deep_merge(SMALL, {"name": "../../escaped", "run": {"horizon_days": 2,
                                                                "warmup_days": 0}})
    path = write_scenario(tmp_path / "scen", data)
    assert main(["run", str(path), "--quiet"]) == 0
    assert main(["run", str(path), "--quiet", "--days", "1"]) == 0
    made = sorted(p.name for p in (tmp_path / "results").iterdir() if p.is_dir())
    assert len(made) == 2 and all("escaped" in m and "seed7" in m for m in made), made
    assert not (tmp_path.parent / "escaped-seed7").exists()


# ------------------------------------------------------------------ optimizers' --out


def test_optimizers_replace_only_their_own_files(tmp_path: Path, capsys) -> None:
    base = str(ROOT / "scenarios" / "baseline.toml")
    mine = tmp_path / "plan.toml"
    mine.write_text("my notes\n")
    argv = ["optimize", "placement", base, "--out", str(mine), "--quiet"]
    assert main(argv) == EXIT_BAD_INPUT
    assert "plan.toml exists and was not written by fulfill" in capsys.readouterr().err
    assert mine.read_text() == "my notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml"]
    out = tmp_path / "placed.toml"
    assert main(["optimize", "placement", base, "--out", str(out), "--quiet"]) == 0
    first = out.read_text()
    assert first.startswith("# Written by fulfill optimize placement")
    assert main(["optimize", "placement", base, "--out", str(out), "--quiet"]) == 0  # ours
    assert out.read_text() == first
    other = tmp_path / "other.toml"
    (tmp_path / "other_inventory.csv").write_text("fc,sku,units\nmine,1,2\n")
    capsys.readouterr()
    assert main(["optimize", "placement", base, "--out", str(other), "--quiet"]) == 2
    assert "other_inventory.csv exists and was not written by fulfill" \
        in capsys.readouterr().err
    assert not other.exists()
    assert (tmp_path / "other_inventory.csv").read_text() == "fc,sku,units\nmine,1,2\n"
