"""The ``fulfill`` command line.

``fulfill run [SCENARIO]``          simulate, print KPIs, write a results directory
``fulfill compare A B ...``         KPIs side by side (results directories or scenario files)
``fulfill validate SCENARIO``       check a scenario file without running it
``fulfill experiment FILE --store D`` an experiment file's runs into a run store (resumable)
``fulfill runs STORE [--sql Q]``    SQL (DuckDB) over a run store
``fulfill report SOURCE... --out F`` an HTML report (and PDF) from runs, a store or scenarios
``fulfill import orders FILE --format F --out S``  an order export as a replay scenario
``fulfill zones CHART``             agreement of distance-band zones with a real zone chart
``fulfill optimize placement SCENARIO --out NEW``   inventory placement (MIP), new scenario
``fulfill optimize network SCENARIO --max-sites K --out NEW``   FC sites (facility location)

Bad input exits with status 2 and a one-paragraph message on stderr, never a traceback;
an unexpected error exits 1 with one line (the traceback with ``--debug``); Ctrl-C exits 130.
Everything shown that comes from a user's files is escaped (:mod:`reports.text`).
``fulfill --help`` and each command's ``--help`` are plain text written in
:func:`build_parser` (each ends with an example), not this docstring.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from reports.compare import KpiColumn
from reports.experiment import calibration_table, experiment_table
from reports.tables import comparison_table, kpi_table, zone_confusion_table
from reports.text import markup_safe
from sim.cli_parser import DEFAULT_REPS, build_parser
from sim.experiments.spec import ExperimentError, ExperimentSpec, Variant
from sim.geo import USPS_ZONE_MAX_MILES, GeoError, load_zip3, read_zone_chart, zone_agreement
from sim.kpis import kpi_doc, open_orders_by_status
from sim.model import PolicyError
from sim.network import Network, build_network
from sim.policies import build_policies, check_policies
from sim.policies.loading import USER_POLICY_PREFIX
from sim.results import ResultsError, default_results_dir, load_kpis
from sim.runner import RunResult, run_scenario, save_run
from sim.scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:  # the engine (and SciPy's statistics) is imported by the commands that run
    from sim.experiments.engine import Experiment, ExperimentResult  # experiments only

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
# Tables are wide; when writing to a file or pipe, do not squeeze them into 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)


def default_scenario() -> Path:
    """The bundled baseline scenario (shipped inside the ``scenarios`` package)."""
    return Path(str(resources.files("scenarios").joinpath("baseline.toml")))


def _load(path: str | Path, seed: int | None, days: float | None) -> Scenario:
    """Load a scenario with the run overrides and check the policies it names (importing a
    user's policy files; see :mod:`sim.policies.loading`)."""
    sc = load_scenario(path)
    if seed is not None or days is not None:
        sc = sc.with_overrides(seed=seed, horizon_days=days)
    check_policies(sc)
    return sc


BYTES_PER_ORDER = 2048
"""Peak memory per simulated order, with the results being written (measured: about 1.8 kB
between 1- and 7-day baseline runs), rounded up."""
BASE_BYTES = 300 * 2**20
"""Memory of the interpreter, the libraries and the network, rounded up."""


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(sc: Scenario, net: Network, ignore: bool) -> None:
    """Refuse a run whose estimated peak memory exceeds what the machine has available."""
    need = BASE_BYTES + BYTES_PER_ORDER * net.expected_orders()
    have = available_memory()
    if ignore or have is None or need <= have:
        return
    raise ScenarioError(
        f"{sc.source or sc.name}: about {net.expected_orders():,.0f} orders over "
        f"{sc.run.horizon_days:g} days would need about {need / 2**30:,.1f} GiB of memory, and "
        f"{have / 2**30:,.1f} GiB is available; lower demand.orders_per_day or --days, or "
        "pass --no-memory-check to run anyway.")


def _warn(net: Network) -> None:
    """The network's warnings (e.g. a staffing change outside the run) on stderr."""
    for w in net.warnings:
        err.print(f"[yellow]warning:[/] {markup_safe(w)}", soft_wrap=True)


def _simulate(sc: Scenario, quiet: bool, ignore_memory: bool = False) -> RunResult:
    """Run with a progress bar on stderr (shown only on a terminal)."""
    net = build_network(sc)
    _warn(net)
    check_memory(sc, net, ignore_memory)
    expected = net.expected_orders()
    with Progress(TextColumn(f"[bold]{markup_safe(sc.name)}[/] seed {sc.run.seed}"),
                  BarColumn(),
                  TextColumn("day {task.fields[day]:.0f}/{task.fields[days]:.0f}"),
                  TextColumn("{task.fields[orders]:,} orders"), TimeElapsedColumn(),
                  console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task("sim", total=expected, day=0, days=sc.run.horizon_days, orders=0)

        def progress(done_h: float, horizon_h: float, orders: int) -> None:
            bar.update(task, completed=orders, day=done_h / 24.0, orders=orders)

        result = run_scenario(sc, progress=progress)
    m = result.manifest
    if not quiet:
        err.print(f"{markup_safe(sc.name)}: simulated {m['orders']:,} orders in "
                  f"{m['timings_s']['simulate']:.1f} s ({m['orders_per_s']:,.0f} orders/s)")
    return result


def cmd_run(args: argparse.Namespace) -> int:
    sc = _load(args.scenario or default_scenario(), args.seed, args.days)
    dest = Path(args.out) if args.out else default_results_dir(
        sc.name, sc.run.seed, sc.run.horizon_days, sc.run.warmup_days)
    result = _simulate(sc, args.quiet, args.no_memory_check)
    save_run(result, sc, dest)
    out.print(kpi_table(f"{sc.name} (seed {sc.run.seed}, {sc.run.horizon_days:g} days, "
                        f"warm-up {sc.run.warmup_days:g})", result.kpis, kpi_doc))
    still_open = open_orders_by_status(result.log)
    if still_open:
        out.print("open at the horizon, by latest status: "
                  + ", ".join(f"{k} {v:,}" for k, v in still_open.items()))
    out.print(f"results written to {markup_safe(dest)}")
    return 0


def _column(item: str | Scenario, quiet: bool, ignore_memory: bool) -> KpiColumn:
    if isinstance(item, Scenario):
        return KpiColumn(item.name, _simulate(item, quiet, ignore_memory).kpis,
                         seed=item.run.seed, scenario=item.name)
    m, kpis = load_kpis(Path(item))
    seed = m.get("seed")
    return KpiColumn(Path(item).name, kpis, seed=seed if isinstance(seed, int) else None,
                     scenario=str(m.get("scenario", "")))


def _progress_bar(label: str, quiet: bool) -> Progress:
    return Progress(TextColumn(f"[bold]{markup_safe(label)}[/]"), BarColumn(),
                    TextColumn("{task.description}"),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    console=err, transient=True, disable=quiet)


def _run_experiment(exp: Experiment, args: argparse.Namespace, store: str | None,
                    label: str) -> ExperimentResult:
    for v in exp.variants:
        check_memory(v.scenario, build_network(v.scenario), args.no_memory_check)
    with _progress_bar(label, args.quiet) as bar:
        task = bar.add_task("starting", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{done}/{total} runs")

        return exp.run(store, jobs=args.jobs, dask=args.dask,
                       keep_logs=getattr(args, "keep_logs", False),
                       force=getattr(args, "force", False), progress=progress)


def _show_experiment(exp: Experiment, res: ExperimentResult, title: str) -> None:
    out.print(experiment_table(res.summary, title))
    out.print(markup_safe(f"{res.replications} replications per variant, common random "
                          f"numbers (seed {exp.variants[0].scenario.run.seed}); differences "
                          "are paired against the first, with 95 % t-intervals."),
              soft_wrap=True)
    if res.note:
        out.print(markup_safe(res.note), soft_wrap=True)
    _, why = exp.best(res.runs)
    out.print(markup_safe(f"best: {why}"), soft_wrap=True)


def _scenarios_experiment(name: str, scenarios: list[Scenario], seed: int | None, reps: int,
                          kpis: Sequence[str] = ()) -> Experiment:
    """Scenario files as the variants of an in-memory experiment (the first is the base), all
    on one seed so that replication r of each sees the same orders."""
    from sim.experiments.engine import Experiment

    seed = scenarios[0].run.seed if seed is None else seed
    names: list[str] = []
    variants = []
    for i, sc in enumerate(scenarios):
        label = sc.name if sc.name not in names else f"{sc.name} ({i + 1})"
        names.append(label)
        variants.append(Variant(label, sc if sc.run.seed == seed
                                else sc.with_overrides(seed=seed)))
    spec = ExperimentSpec(name=name, base=str(scenarios[0].source), replications=reps,
                          kpis=list(kpis), objective="total_cost_per_order")
    return Experiment(spec, variants)


def _compare_replicated(args: argparse.Namespace, scenarios: list[Scenario]) -> int:
    kpis: tuple[str, ...] = COMPARE_KPIS
    if any(_models_errors(sc) for sc in scenarios):
        # the labor the pack check adds shows in the packers' (and re-pickers') utilization
        kpis = (*COMPARE_KPIS, *QUALITY_COMPARE_KPIS,
                *(f"{role}_utilization.{fc}" for fc in scenarios[0].open_fc_names
                  for role in ("packer", "picker")))
    if any(sc.intake.on for sc in scenarios):  # orders held for review ([intake])
        kpis = (*kpis, *INTAKE_COMPARE_KPIS)
    if any(sc.international.on for sc in scenarios):  # orders abroad ([international])
        kpis = (*kpis, *INTERNATIONAL_COMPARE_KPIS)
    exp = _scenarios_experiment("compare", scenarios, args.seed, args.reps, kpis)
    res = _run_experiment(exp, args, None, "compare")
    _show_experiment(exp, res, f"compared with {exp.variants[0].name}")
    return 0


COMPARE_KPIS = ("total_cost_per_order", "cost_per_order", "labor_cost_per_order",
                "shipping_cost_per_order", "on_time_rate", "click_to_ship_h_mean",
                "click_to_deliver_days_mean", "split_shipment_rate", "hold_rate")


QUALITY_COMPARE_KPIS = ("cost_to_serve_per_order", "quality_cost_per_order",
                        "reship_cost_per_order", "perfect_order_rate", "in_full_rate",
                        "on_time_component_rate", "perfect_condition_rate",
                        "accurate_documentation_rate", "mispick_rate", "mispicks_caught_share",
                        "reship_rate", "address_error_rate", "damage_rate")
"""Shown too when a compared scenario models order errors ([quality], see sim.quality)."""


INTAKE_COMPARE_KPIS = ("intake_hold_rate", "intake_review_h_mean", "intake_review_h_p90",
                       "intake_cancel_rate", "orders_cancelled")
"""Shown too when a compared scenario holds orders for review at intake ([intake])."""


INTERNATIONAL_COMPARE_KPIS = ("international_share", "customs_h_mean", "duties_paid_per_order",
                              "international_shipping_cost_per_order",
                              "international_cost_per_order")
"""Shown too when a compared scenario sends orders abroad ([international])."""


def _models_errors(sc: Scenario) -> bool:
    return sc.quality != type(sc.quality)() or any(
        s.damage_probability > 0 for s in sc.services.values())


def cmd_compare(args: argparse.Namespace) -> int:
    # every scenario file is loaded and checked before anything is simulated
    items: list[str | Scenario] = []
    for i in args.items:
        p = Path(i)
        if p.is_dir():
            items.append(i)
        elif p.exists():
            items.append(_load(p, args.seed, args.days))
        else:
            raise ResultsError(f"{i}: no such results directory or scenario file.")
    scenarios = [i for i in items if isinstance(i, Scenario)]
    if len(scenarios) == len(items) and (args.reps or DEFAULT_REPS) > 1:
        args.reps = args.reps or DEFAULT_REPS
        return _compare_replicated(args, scenarios)
    if args.reps is not None and args.reps > 1:
        raise ResultsError("--reps needs scenario files only: a results directory holds one "
                           "replication; compare scenario files to get intervals.")
    cols = [_column(i, args.quiet, args.no_memory_check) for i in items]
    out.print(comparison_table(cols))
    seeds = {c.seed for c in cols}
    if len(seeds) > 1:
        out.print("[yellow]note:[/] the runs used different seeds, so part of each difference "
                  "is sampling noise; pass --seed to compare on the same demand.")
    out.print("[yellow]note:[/] one replication each: a difference here cannot be told from "
              "noise; compare scenario files with --reps 5 or more for intervals.")
    return 0


def _report_data(args: argparse.Namespace) -> Any:
    """The report's data from its sources: results directories, one run store, or scenario
    files (run now, with replications).  Every source is checked before anything runs."""
    from reports.dataset import (
        ReportError,
        from_experiment,
        from_results_dirs,
        from_store,
        is_store,
    )

    kinds = []
    for item in args.sources:
        p = Path(item)
        if p.is_dir():
            kinds.append("store" if is_store(p) else "results")
        elif p.is_file() and p.suffix.lower() == ".toml":
            kinds.append("scenario")
        elif p.exists():
            raise ResultsError(f"{item}: neither a results directory, a run store nor a "
                               "scenario file (.toml).")
        else:
            raise ResultsError(f"{item}: no such results directory, run store or scenario file.")
    if len(set(kinds)) > 1:
        raise ResultsError("give sources of one kind: results directories, one run store, or "
                           "scenario files (got " + ", ".join(sorted(set(kinds))) + ").")
    try:
        if kinds[0] == "store":
            if len(args.sources) > 1:
                raise ResultsError("give one run store per report.")
            return from_store(Path(args.sources[0]), args.title)
        if kinds[0] == "results":
            if args.reps is not None:
                raise ResultsError("--reps is for scenario files: a results directory holds "
                                   "one replication.")
            return from_results_dirs([Path(s) for s in args.sources], args.title)
        scenarios = [_load(s, args.seed, args.days) for s in args.sources]
        args.reps = args.reps or DEFAULT_REPS
        exp = _scenarios_experiment("report", scenarios, args.seed, args.reps)
        res = _run_experiment(exp, args, None, "report")
        return from_experiment(exp, res, args.title)
    except ReportError as exc:
        raise ResultsError(str(exc)) from None


def cmd_report(args: argparse.Namespace) -> int:
    from reports.build import planned_outputs, write_report
    from reports.html import NotOurs, check_outputs
    from reports.pdf import PdfError

    outp = Path(args.out)
    pdf = Path(args.pdf) if args.pdf else None
    try:
        check_outputs(outp, planned_outputs(outp, pdf, not args.no_exports))
    except NotOurs as exc:
        raise ResultsError(str(exc)) from None
    data = _report_data(args)
    for w in data.warnings:
        err.print(f"[yellow]warning:[/] {markup_safe(w)}", soft_wrap=True)
    try:
        done = write_report(data, outp, pdf=pdf, paper=args.paper,
                            exports=not args.no_exports)
    except NotOurs as exc:
        raise ResultsError(str(exc)) from None
    except PdfError as exc:
        err.print(f"[bold red]error:[/] the HTML report was written to "
                  f"{markup_safe(outp)}, but not the PDF: {markup_safe(exc)}", soft_wrap=True)
        return EXIT_BAD_INPUT
    files = done["files"]
    assert isinstance(files, list)
    out.print("wrote " + ", ".join(markup_safe(f) for f in files), soft_wrap=True)
    return 0


def _mapping(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        column, eq, field = item.partition("=")
        if not eq or not column.strip() or not field.strip():
            raise ResultsError(f"--map {item!r}: expected COLUMN=FIELD, e.g. "
                               "--map 'Order Date=created_at'.")
        out[column.strip()] = field.strip()
    return out


def cmd_import_orders(args: argparse.Namespace) -> int:
    from sim.importers import OrdersImportError, import_orders

    try:
        summary = import_orders(
            Path(args.file), fmt=args.format, out=Path(args.out),
            base=Path(args.base) if args.base else None, mapping=_mapping(args.map),
            catalog=Path(args.catalog) if args.catalog else None, start=args.start,
            end=args.end)
    except OrdersImportError as exc:
        raise ResultsError(str(exc)) from None
    for line in summary.lines():
        out.print(markup_safe(line), soft_wrap=True)
    if args.fit:
        from sim.files import NotOurs
        from sim.importers.fit import fit_report_lines
        from sim.importers.fitted import write_fitted

        try:
            files, checks = write_fitted(Path(args.out))
        except NotOurs as exc:
            raise ResultsError(str(exc)) from None
        for line in fit_report_lines(checks):
            out.print(markup_safe(line), soft_wrap=True)
        for f in files:
            out.print(f"Wrote {markup_safe(f)}", soft_wrap=True)
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from sim.experiments.tune import Tuner, parse_param, write_best
    from sim.files import NotOurs, check_replaceable

    try:
        check_replaceable(Path(args.out))  # before the search, not after it
    except NotOurs as exc:
        raise ResultsError(str(exc)) from None
    sc = _load(args.scenario, args.seed, args.days)
    check_memory(sc, build_network(sc), args.no_memory_check)
    tuner = Tuner(sc, [parse_param(p) for p in args.param], objective=args.objective,
                  maximize=args.maximize, constraints=args.constraint, trials=args.trials,
                  reps=args.reps, sampler=args.sampler, confirm_reps=args.confirm_reps,
                  name=Path(args.store).name)
    say = (lambda s: None) if args.quiet else (
        lambda s: err.print(markup_safe(s), soft_wrap=True))
    res = tuner.run(args.store, jobs=args.jobs, dask=args.dask, force=args.force,
                    progress=say)
    t = res.trials
    out.print(markup_safe(
        f"{len(t)} trials, {int(t['pruned'].sum())} pruned, {int(t['feasible'].sum())} meeting "
        f"every constraint; each scored on replications 0-{args.reps - 1} (common random "
        "numbers)."), soft_wrap=True)
    if res.best is None:
        out.print(markup_safe(f"{res.note}; nothing written."), soft_wrap=True)
        return 0
    changes = ", ".join(f"{k}: {tuner.start[k]} -> {v}" for k, v in res.best["values"].items())
    out.print(markup_safe(f"best: trial {res.best['trial']}: {changes}"), soft_wrap=True)
    for row in res.confirmation.itertuples():
        out.print(markup_safe(
            f"out of sample ({row.replications} fresh replications): {row.kpi} "
            f"{row.start:.4g} -> {row.best:.4g}, paired difference {row.diff:+.4g} ± "
            f"{row.diff_half_width:.3g}: {row.verdict}"), soft_wrap=True)
    if res.importances:
        out.print(markup_safe("parameter importances: " + ", ".join(
            f"{k} {v:.2f}" for k, v in res.importances.items())), soft_wrap=True)
    try:
        written = write_best(res, Path(args.scenario), Path(args.out))
    except NotOurs as exc:
        raise ResultsError(str(exc)) from None
    out.print(f"wrote {markup_safe(written)}; the study is in {markup_safe(args.store)} "
              "(fulfill report on it shows the search and the confirmation)", soft_wrap=True)
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.experiments.calibrate import Calibrator, parse_target, write_calibrated
    from sim.experiments.tune import parse_param
    from sim.files import NotOurs, check_replaceable

    targets = [parse_target(t) for t in args.target]  # bad input first, before any run
    knobs = []
    for k in args.knob:
        try:
            knobs.append(parse_param(k))
        except ExperimentError as exc:
            raise ExperimentError(str(exc).replace("--param", "--knob", 1)) from None
    try:
        check_replaceable(Path(args.out))
    except NotOurs as exc:
        raise ResultsError(str(exc)) from None
    sc = _load(args.scenario, args.seed, args.days)
    check_memory(sc, build_network(sc), args.no_memory_check)
    cal = Calibrator(sc, knobs, targets, trials=args.trials, reps=args.reps,
                     sampler=args.sampler, confirm_reps=args.confirm_reps,
                     name=Path(args.store).name)
    say = (lambda s: None) if args.quiet else (
        lambda s: err.print(markup_safe(s), soft_wrap=True))
    res = cal.run(args.store, jobs=args.jobs, dask=args.dask, force=args.force, progress=say)
    t = res.trials
    out.print(markup_safe(
        f"{len(t)} candidates, {int(t['pruned'].sum())} pruned; each scored on replications "
        f"0-{args.reps - 1} (common random numbers)."), soft_wrap=True)
    if res.best is None:
        out.print("no candidate completed; nothing written.")
        return 0
    changes = ", ".join(f"{k}: {cal.start[k]} -> {v:.4g}" if isinstance(v, float)
                        else f"{k}: {cal.start[k]} -> {v}" for k, v in res.best["values"].items())
    out.print(markup_safe(f"calibrated: {changes}"), soft_wrap=True)
    out.print(calibration_table(res.confirmation, f"Target against achieved "
                                f"({cal.confirm_reps} fresh replications)"))
    for line in cal.unreached(res):
        out.print(markup_safe(f"warning: {line}"), soft_wrap=True)
    if cal.unreached(res) and res.best is not None:
        ends = cal.at_bounds(res.best["values"])
        if ends:
            out.print(markup_safe("knobs at an end of their range (widen it, or add a knob): "
                                  + "; ".join(ends)), soft_wrap=True)
    try:
        written = write_calibrated(cal, res, Path(args.scenario), Path(args.out))
    except NotOurs as exc:
        raise ResultsError(str(exc)) from None
    out.print(f"wrote {markup_safe(written)}; the study is in {markup_safe(args.store)}",
              soft_wrap=True)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from sim.history import HistoryError, compare_results, history_lines

    try:
        cmp = compare_results(args.results, args.actuals)
    except HistoryError as exc:
        raise ResultsError(str(exc)) from None
    for line in history_lines(cmp):
        out.print(markup_safe(line), soft_wrap=True)
    return 0


def cmd_experiment(args: argparse.Namespace) -> int:
    from sim.experiments.engine import Experiment

    exp = Experiment.from_file(args.file)
    res = _run_experiment(exp, args, args.store, exp.spec.name)
    _show_experiment(exp, res, f"experiment {exp.spec.name}")
    out.print(markup_safe(f"store: {args.store} ({len(res.runs)} runs of this experiment)"),
              soft_wrap=True)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    import duckdb

    runs = Path(args.store) / "runs.parquet"
    if not runs.is_file():
        raise ResultsError(f"{args.store}: not an experiment store (no runs.parquet).")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet('{_sql_text(runs)}')")
    summary = runs.with_name("summary.parquet")
    if summary.is_file():
        con.execute("CREATE VIEW summary AS SELECT * FROM "
                    f"read_parquet('{_sql_text(summary)}')")
    query = args.sql or ("SELECT variant, count(*) AS runs, avg(cost_per_order) AS "
                         "cost_per_order, avg(on_time_rate) AS on_time_rate FROM runs "
                         "GROUP BY variant ORDER BY min(rowid)")
    try:
        df = con.execute(query).df()
    except duckdb.Error as exc:
        raise ResultsError(f"query failed: {exc}") from None
    out.print(markup_safe(df.to_string(index=False)), soft_wrap=True)
    return 0


def _sql_text(path: Path) -> str:
    return str(path.resolve()).replace("'", "''")


def cmd_validate(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario)
    files = check_policies(sc)  # imports and inspects a user's classes, builds none
    net = build_network(sc)
    _warn(net)
    check_memory(sc, net, args.no_memory_check)
    build_policies(net)  # then builds them as a run would
    text = (f"{args.scenario}: OK — scenario '{sc.name}': {net.n_fcs} FCs "
            f"({', '.join(net.fc_names)}), {net.n_skus} SKUs, {net.n_dests} destinations, "
            f"{len(net.channel_names)} channels, routing '{net.routing_policy}', "
            f"{sc.run.horizon_days:g} days, about {net.expected_orders():,.0f} orders.")
    out.print(markup_safe(text), soft_wrap=True)
    for f in files:
        out.print(markup_safe(f"policy code: {f} (imported and checked; its code runs in "
                              "every run of this scenario)"), soft_wrap=True)
    return 0


def cmd_zones(args: argparse.Namespace) -> int:
    chart, skipped = read_zone_chart(Path(args.chart))
    a = zone_agreement(chart, load_zip3(), USPS_ZONE_MAX_MILES)
    out.print(f"{markup_safe(args.chart)}: {a.pairs:,} origin-destination ZIP3 pairs compared "
              f"({skipped:,} rows without a 3-digit pair or zone, {a.skipped_unknown_zip3:,} "
              "with a ZIP3 unknown to the centroid table or zone 9, skipped)", soft_wrap=True)
    out.print(f"distance bands {USPS_ZONE_MAX_MILES.astype(int).tolist()} mi between ZIP3 "
              f"centroids give the chart's zone for [bold]{100 * a.exact:.1f}%[/] of pairs, "
              f"within one zone for [bold]{100 * a.within_one:.2f}%[/] "
              f"(mean absolute error {a.mean_abs_error:.3f} zones)", soft_wrap=True)
    out.print(zone_confusion_table(a.confusion))
    return 0


class _Ticker:
    """A spinner on stderr with the solver's stage, elapsed time and time limit."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.bar = Progress(TextColumn(f"[bold]{label}[/]"), TextColumn("{task.description}"),
                            TimeElapsedColumn(), console=err, transient=True, disable=quiet)
        self.task = self.bar.add_task("starting", total=None)

    def __enter__(self) -> _Ticker:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def __call__(self, text: str) -> None:
        self.bar.update(self.task, description=text)


def cmd_optimize_network(args: argparse.Namespace) -> int:
    from optimize.network_design import NoSolutionFound, design_from_files
    from reports.network_design import format_design

    with _Ticker("network design", args.quiet) as tick:
        def progress(p: Any) -> None:
            limit = f" / limit {p.time_limit_s:g} s" if p.time_limit_s else ""
            tick(f"{p.stage} {p.elapsed_s:.0f} s{limit}")

        try:
            design = design_from_files(args.scenario, args.candidates, args.max_sites, args.out,
                                       single_sourcing=not args.split,
                                       time_limit_s=args.time_limit, progress=progress,
                                       demand_factor=args.peak, verbose=args.verbose)
        except NoSolutionFound as exc:
            err.print(f"[bold red]no solution:[/] {markup_safe(exc)}", soft_wrap=True)
            return 1
    out.print(markup_safe(format_design(design)), soft_wrap=True)
    out.print(markup_safe(f"new scenario written to {args.out}\n"
                          f"simulate and compare: fulfill compare {args.scenario} {args.out}"))
    return 0


def cmd_optimize_placement(args: argparse.Namespace) -> int:
    from optimize.placement import (
        problem_from_network,
        solve_placement,
        write_placement_scenario,
    )
    from reports.placement import placement_report

    sc = load_scenario(args.scenario)
    net = build_network(sc)
    with _Ticker("inventory placement", args.quiet) as tick:
        problem = problem_from_network(net, service_share=args.service_share,
                                       service_days=args.service_days,
                                       max_utilization=args.max_utilization)
        result = solve_placement(problem, time_limit_s=args.time_limit,
                                 progress=lambda p: tick(str(p)))
    out.print(markup_safe(placement_report(result)), soft_wrap=True)
    if not result.assignment.size or result.status == "NOT_SOLVED":
        err.print("[bold red]no placement found within the time limit[/]; "
                  "no scenario written. Raise --time-limit.")
        return 1
    write_placement_scenario(result, net, args.scenario, args.out)
    out.print(markup_safe(f"new scenario written to {args.out}\n"
                          f"simulate and compare: fulfill compare {args.scenario} {args.out}"))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run, "compare": cmd_compare, "experiment": cmd_experiment,
    "report": cmd_report, "import_orders": cmd_import_orders, "runs": cmd_runs,
    "tune": cmd_tune,
    "calibrate": cmd_calibrate,
    "history": cmd_history,
    "validate": cmd_validate, "zones": cmd_zones, "optimize_placement": cmd_optimize_placement,
    "optimize_network": cmd_optimize_network}
"""Each subcommand's handler, by the ``command_name`` its parser sets
(:mod:`sim.cli_parser`)."""


def _policy_frame(exc: BaseException) -> tuple[str, int] | None:
    """``(file, line)`` of the deepest traceback frame in a user's policy module, if any."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith(USER_POLICY_PREFIX):
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C: temporary files are removed


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = COMMANDS[args.command_name]
    debug = getattr(args, "debug", False)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return func(args)
    except (ScenarioError, ResultsError, PolicyError, GeoError, ExperimentError) as exc:
        err.print(f"[bold red]error:[/] {markup_safe(exc)}", soft_wrap=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err.print("interrupted; nothing half-written was left behind, and earlier results "
                  "are intact.", soft_wrap=True)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.command == "optimize" and isinstance(exc, ValueError):
            # the optimizers' input errors: infeasible, bad candidates
            err.print(f"[bold red]error:[/] {markup_safe(exc)}", soft_wrap=True)
            return EXIT_BAD_INPUT
        if debug:
            err.print(markup_safe("".join(traceback.format_exception(exc))), soft_wrap=True)
        where = _policy_frame(exc)
        if where is not None:  # a user's policy failed while the model ran it
            err.print(f"[bold red]error:[/] policy code {markup_safe(where[0])}, line "
                      f"{where[1]}, raised {markup_safe(type(exc).__name__)}: "
                      f"{markup_safe(exc)}", soft_wrap=True)
            return EXIT_BAD_INPUT
        if isinstance(exc, MemoryError):
            err.print("[bold red]error:[/] out of memory; lower the demand or the horizon.")
            return EXIT_INTERNAL
        hint = "" if debug else " (run again with --debug for the traceback)"
        err.print(f"[bold red]internal error:[/] {markup_safe(type(exc).__name__)}: "
                  f"{markup_safe(exc)}{hint}", soft_wrap=True)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
