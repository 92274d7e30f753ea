"""The ``fulfill`` command line.

``fulfill run [SCENARIO]``          simulate, print KPIs, write a results directory
``fulfill compare A B ...``         KPIs side by side (results directories or scenario files)
``fulfill validate SCENARIO``       check a scenario file without running it
``fulfill zones CHART``             agreement of distance-band zones with a real zone chart
``fulfill optimize placement SCENARIO --out NEW``   inventory placement (MIP), new scenario
``fulfill optimize network SCENARIO --max-sites K --out NEW``   FC sites (facility location)

Bad input exits with status 2 and a one-paragraph message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim import __version__
from sim.compare import KpiColumn, comparison_rows, is_share
from sim.geo import USPS_ZONE_MAX_MILES, GeoError, load_zip3, read_zone_chart, zone_agreement
from sim.kpis import compute_kpis, kpi_doc, open_orders_by_status
from sim.model import PolicyError
from sim.network import build_network
from sim.results import ResultsError, read_manifest, read_results
from sim.runner import RunResult, run_scenario, save_run
from sim.scenario import Scenario, ScenarioError, load_scenario

EXIT_BAD_INPUT = 2
# Tables are wide; when writing to a file or pipe, do not squeeze them into 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)


def default_scenario() -> Path:
    """The bundled baseline scenario (shipped inside the ``scenarios`` package)."""
    return Path(str(resources.files("scenarios").joinpath("baseline.toml")))


COUNTS = ("orders_", "shipments.", "backordered_", "purchase_orders", "lost_sales_units",
          "transfer_units")
"""KPIs that are counts (printed as whole numbers)."""


def fmt(name: str, v: float) -> str:
    """Format a KPI value for a table: rates as percentages, counts with separators."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if is_share(name):
        return f"{100 * v:.1f}%"
    if name.startswith(COUNTS):
        return f"{int(v):,}"
    return f"{v:,.2f}"


def fmt_delta(name: str, d: float, rel: float) -> str:
    """A difference: percentage points for proportions, else absolute and relative."""
    if math.isnan(d):
        return "–"
    if is_share(name):
        return f"{100 * d:+.1f} pp"
    if name.startswith(COUNTS):
        text = f"{int(d):+,}"
    else:
        text = f"{d:+,.2f}"
    return text if math.isnan(rel) else f"{text} ({100 * rel:+.1f}%)"


def _load(path: str | Path, seed: int | None, days: float | None) -> Scenario:
    sc = load_scenario(path)
    if seed is not None or days is not None:
        sc = sc.with_overrides(seed=seed, horizon_days=days)
    return sc


def _simulate(sc: Scenario, quiet: bool) -> RunResult:
    """Run with a progress bar on stderr (shown only on a terminal)."""
    expected = build_network(sc).expected_orders()
    with Progress(TextColumn(f"[bold]{sc.name}[/] seed {sc.run.seed}"), BarColumn(),
                  TextColumn("day {task.fields[day]:.0f}/{task.fields[days]:.0f}"),
                  TextColumn("{task.fields[orders]:,} orders"), TimeElapsedColumn(),
                  console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task("sim", total=expected, day=0, days=sc.run.horizon_days, orders=0)

        def progress(done_h: float, horizon_h: float, orders: int) -> None:
            bar.update(task, completed=orders, day=done_h / 24.0, orders=orders)

        result = run_scenario(sc, progress=progress)
    m = result.manifest
    if not quiet:
        err.print(f"{sc.name}: simulated {m['orders']:,} orders in "
                  f"{m['timings_s']['simulate']:.1f} s ({m['orders_per_s']:,.0f} orders/s)")
    return result


def kpi_table(title: str, kpis: dict[str, float]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("KPI", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("meaning", style="dim")
    for name, v in kpis.items():
        table.add_row(name, fmt(name, v), kpi_doc(name) if "." not in name else "")
    return table


# ---------------------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    sc = _load(args.scenario or default_scenario(), args.seed, args.days)
    result = _simulate(sc, args.quiet)
    dest = Path(args.out) if args.out else Path("results") / f"{sc.name}-seed{sc.run.seed}"
    save_run(result, sc, dest)
    out.print(kpi_table(f"{sc.name} (seed {sc.run.seed}, {sc.run.horizon_days:g} days, "
                        f"warm-up {sc.run.warmup_days:g})", result.kpis))
    still_open = open_orders_by_status(result.log)
    if still_open:
        out.print("open at the horizon, by latest status: "
                  + ", ".join(f"{k} {v:,}" for k, v in still_open.items()))
    out.print(f"results written to {dest}")
    return 0


def _column(item: str, seed: int | None, days: float | None, quiet: bool) -> KpiColumn:
    p = Path(item)
    if p.is_dir():
        m = read_manifest(p)
        return KpiColumn(f"{p.name}", compute_kpis(read_results(p)),
                         seed=m.get("seed"), scenario=m.get("scenario"))
    if not p.exists():
        raise ResultsError(f"{item}: no such results directory or scenario file.")
    sc = _load(p, seed, days)
    return KpiColumn(sc.name, _simulate(sc, quiet).kpis, seed=sc.run.seed, scenario=sc.name)


def cmd_compare(args: argparse.Namespace) -> int:
    cols = [_column(i, args.seed, args.days, args.quiet) for i in args.items]
    table = Table(title=f"KPIs compared with {cols[0].label}", title_justify="left")
    table.add_column("KPI", no_wrap=True)
    for i, c in enumerate(cols):
        table.add_column(f"{c.label}" + (f"\nseed {c.seed}" if c.seed is not None else ""),
                         justify="right")
        if i:
            table.add_column("Δ", justify="right")
    for name, values, deltas in comparison_rows(cols):
        row = [name, fmt(name, values[0])]
        for v, (d, rel) in zip(values[1:], deltas, strict=True):
            row += [fmt(name, v), fmt_delta(name, d, rel)]
        table.add_row(*row)
    out.print(table)
    seeds = {c.seed for c in cols}
    if len(seeds) > 1:
        out.print("[yellow]note:[/] the runs used different seeds, so part of each difference "
                  "is sampling noise; pass --seed to compare on the same demand.")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario)
    net = build_network(sc)
    out.print(f"{args.scenario}: OK — scenario '{sc.name}': {net.n_fcs} FCs "
              f"({', '.join(net.fc_names)}), {net.n_skus} SKUs, {net.n_dests} destinations, "
              f"{len(net.channel_names)} channels, routing '{net.routing_policy}', "
              f"{sc.run.horizon_days:g} days, about {net.expected_orders():,.0f} orders.",
              soft_wrap=True)
    return 0


def cmd_zones(args: argparse.Namespace) -> int:
    chart, skipped = read_zone_chart(Path(args.chart))
    a = zone_agreement(chart, load_zip3(), USPS_ZONE_MAX_MILES)
    out.print(f"{args.chart}: {a.pairs:,} origin-destination ZIP3 pairs compared "
              f"({skipped:,} rows without a 3-digit pair or zone, {a.skipped_unknown_zip3:,} "
              "with a ZIP3 unknown to the centroid table or zone 9, skipped)", soft_wrap=True)
    out.print(f"distance bands {USPS_ZONE_MAX_MILES.astype(int).tolist()} mi between ZIP3 "
              f"centroids give the chart's zone for [bold]{100 * a.exact:.1f}%[/] of pairs, "
              f"within one zone for [bold]{100 * a.within_one:.2f}%[/] "
              f"(mean absolute error {a.mean_abs_error:.3f} zones)", soft_wrap=True)
    table = Table(title="pairs by chart zone (rows) and band zone (columns)",
                  title_justify="left")
    table.add_column("chart \\ bands")
    cols = list(a.confusion.columns)
    for c in cols:
        table.add_column(str(c), justify="right")
    for z, row in a.confusion.iterrows():
        table.add_row(str(z), *(f"{int(row[c]):,}" for c in cols))
    out.print(table)
    return 0


# ---------------------------------------------------------------------------------- optimize
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
    from optimize.network_design import NoSolutionFound, design_from_files, format_design

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
            err.print(f"[bold red]no solution:[/] {escape(str(exc))}", soft_wrap=True)
            return 1
    out.print(escape(format_design(design)), soft_wrap=True)
    out.print(f"new scenario written to {args.out}\n"
              f"simulate and compare: fulfill compare {args.scenario} {args.out}")
    return 0


def cmd_optimize_placement(args: argparse.Namespace) -> int:
    from optimize.placement import (
        problem_from_network,
        solve_placement,
        write_placement_scenario,
    )

    sc = load_scenario(args.scenario)
    net = build_network(sc)
    with _Ticker("inventory placement", args.quiet) as tick:
        problem = problem_from_network(net, service_share=args.service_share,
                                       service_days=args.service_days,
                                       max_utilization=args.max_utilization)
        result = solve_placement(problem, time_limit_s=args.time_limit,
                                 progress=lambda p: tick(str(p)))
    out.print(escape(result.report()), soft_wrap=True)
    if not result.assignment.size or result.status == "NOT_SOLVED":
        err.print("[bold red]no placement found within the time limit[/]; "
                  "no scenario written. Raise --time-limit.")
        return 1
    write_placement_scenario(result, net, args.scenario, args.out)
    out.print(f"new scenario written to {args.out}\n"
              f"simulate and compare: fulfill compare {args.scenario} {args.out}")
    return 0


# ---------------------------------------------------------------------------------- main
def _arg(convert: Callable[[str], Any], ok: Callable[[Any], bool], what: str
         ) -> Callable[[str], Any]:
    """An argparse type: ``convert`` the text, then check it with ``ok``; both failures name
    what was expected."""
    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got '{text}'") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return value
    return parse


_positive = _arg(float, lambda v: v > 0, "a positive number")
_share = _arg(float, lambda v: 0 <= v <= 1, "a share between 0 and 1")
_count = _arg(int, lambda v: v >= 1, "a whole number of at least 1")
_seed = _arg(int, lambda v: v >= 0, "a whole number >= 0 (a seed)")
_days = _arg(float, lambda v: v > 0, "a positive number of days")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fulfill", description=__doc__.split("\n\n")[0])
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="simulate a scenario, print its KPIs, write results")
    r.add_argument("scenario", nargs="?", help="scenario file (default: bundled baseline)")
    r.add_argument("--seed", type=_seed, help="override the scenario's seed")
    r.add_argument("--days", type=_days,
                   help="override the horizon (days); the warm-up is capped at a quarter of it")
    r.add_argument("--out", help="results directory (default results/<name>-seed<seed>)")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.set_defaults(func=cmd_run)
    c = sub.add_parser("compare", help="compare KPIs of results directories or scenarios")
    c.add_argument("items", nargs="+", metavar="RESULT_DIR_OR_SCENARIO")
    c.add_argument("--seed", type=_seed, help="run every scenario file with this seed")
    c.add_argument("--days", type=_days, help="override the horizon of scenario files")
    c.add_argument("--quiet", action="store_true")
    c.set_defaults(func=cmd_compare)
    v = sub.add_parser("validate", help="check a scenario file without running it")
    v.add_argument("scenario")
    v.set_defaults(func=cmd_validate)
    z = sub.add_parser("zones", help="measure distance-band zones against a real zone chart")
    z.add_argument("chart", help="CSV (or .csv.gz) with origin_zip, dest_zip, zone")
    z.set_defaults(func=cmd_zones)
    o = sub.add_parser("optimize", help="OR-Tools models: inventory placement, network design")
    osub = o.add_subparsers(dest="model", required=True)
    pl = osub.add_parser("placement", help="which FCs stock each SKU, how much; new scenario")
    pl.add_argument("scenario")
    pl.add_argument("--out", required=True, help="new scenario file to write")
    pl.add_argument("--time-limit", type=_positive, default=60.0, metavar="SECONDS",
                    help="solver time limit in seconds (default 60)")
    pl.add_argument("--service-days", type=_positive, default=2.0,
                    help="transit days of the service target (default 2)")
    pl.add_argument("--service-share", type=_share, default=None,
                    help="least share of units deliverable within --service-days (optional)")
    pl.add_argument("--max-utilization", type=_share, default=0.85, metavar="SHARE",
                    help="share of each FC's paid pick/pack hours the placement may fill "
                         "(default 0.85; sets its throughput in units/day)")
    pl.add_argument("--quiet", action="store_true")
    pl.set_defaults(func=cmd_optimize_placement)
    nw = osub.add_parser("network", help="which FC sites to open; new scenario")
    nw.add_argument("scenario")
    nw.add_argument("--candidates", default=None,
                    help="CSV of candidate sites (default: the bundled 50 largest cities)")
    nw.add_argument("--max-sites", type=_count, required=True, metavar="K")
    nw.add_argument("--out", required=True, help="new scenario file to write")
    nw.add_argument("--time-limit", type=_positive, default=60.0, metavar="SECONDS",
                    help="solver time limit in seconds (default 60)")
    nw.add_argument("--split", action="store_true",
                    help="allow a destination's demand to be split across sites")
    nw.add_argument("--peak", type=_positive, default=1.0,
                    help="design for demand times this factor (e.g. 1.8 for the peak)")
    nw.add_argument("--verbose", action="store_true", help="show the solver's log")
    nw.add_argument("--quiet", action="store_true")
    nw.set_defaults(func=cmd_optimize_network)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (ScenarioError, ResultsError, PolicyError, GeoError) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_BAD_INPUT
    except ValueError as exc:  # the optimizers' input errors: infeasible, bad candidates
        if not args.command == "optimize":
            raise
        err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err.print("interrupted; finished results on disk are intact.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
