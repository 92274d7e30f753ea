"""The ``fulfill`` command line's arguments: every subcommand, its help and an example.

:func:`build_parser` only describes; each subcommand names its handler in
``command_name``, which :func:`sim.cli.main` looks up in :data:`sim.cli.COMMANDS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sim import __version__
from sim.experiments import default_jobs

__all__ = ["DEFAULT_REPS", "build_parser"]

DEFAULT_REPS = 5
"""Replications of each scenario file that ``compare`` and ``report`` run by default."""


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


def _date(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got '{text}'") from None


def _search_args(p: argparse.ArgumentParser, unit: str, trials: int, written: str,
                 store_of: str) -> None:
    """The options ``tune`` and ``calibrate`` share: the search, its runs and its outputs."""
    p.add_argument("--trials", type=_count, default=trials,
                   help=f"{unit}s to run (default {trials})")
    p.add_argument("--reps", type=_count, default=3,
                   help=f"replications per {unit}, the same for every {unit} (default 3)")
    p.add_argument("--confirm-reps", type=_count, default=None,
                   help="fresh replications of the result and the start (default max(5, reps))")
    p.add_argument("--sampler", choices=("tpe", "cmaes"), default="tpe",
                   help="Optuna sampler (default tpe; cmaes handles constraints by penalty)")
    p.add_argument("--days", type=_days, help="override the horizon")
    p.add_argument("--seed", type=_seed, help="override the scenario's seed")
    p.add_argument("--jobs", type=_count, default=default_jobs(),
                   help="runs at once, in worker processes (default: the cores)")
    p.add_argument("--dask", default=None, metavar="local:N|tcp://HOST:PORT",
                   help="run on a Dask cluster instead")
    p.add_argument("--store", required=True,
                   help=f"folder for the study, its runs and {unit}s (resumes what is there)")
    p.add_argument("--out", required=True,
                   help=f"the scenario to write with {written} (extends SCENARIO)")
    p.add_argument("--force", action="store_true",
                   help=f"continue in a store made for another {store_of}")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an unexpected error")
    p = argparse.ArgumentParser(
        prog="fulfill", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fulfillment Workbench: simulate an e-commerce fulfillment network (orders,\n"
        "FCs, pickers and packers, carriers, stock), compare strategies on cost and\n"
        "speed, and optimize inventory placement and FC sites.",
        epilog="Examples:\n"
        "  fulfill run                                 # the bundled baseline scenario\n"
        "  fulfill run scenarios/baseline.toml --days 7 --out results/b7\n"
        "  fulfill compare scenarios/baseline.toml scenarios/more_pickers.toml\n"
        "  fulfill COMMAND --help                      # a command's options and an example")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                   help="show the version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           help="what to do (fulfill COMMAND --help for its options)")
    memory = argparse.ArgumentParser(add_help=False)
    memory.add_argument("--no-memory-check", action="store_true",
                        help="run even when the estimated memory exceeds what is available")
    r = sub.add_parser(
        "run", help="simulate a scenario, print its KPIs, write results",
        parents=[common, memory], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Simulate one scenario, print its KPIs and the orders still open at the\n"
        "end, and write a results directory (Parquet tables, kpis.json, scenario.json,\n"
        "manifest.json; see docs/results.md).",
        epilog="Example:\n"
        "  fulfill run scenarios/baseline.toml --seed 7 --days 14 --out results/b14")
    r.add_argument("scenario", nargs="?", help="scenario file (default: bundled baseline)")
    r.add_argument("--seed", type=_seed, help="override the scenario's seed")
    r.add_argument("--days", type=_days,
                   help="override the horizon (days); the warm-up is capped at a quarter of it")
    r.add_argument("--out", help="results directory: a new one, or one an earlier run wrote "
                   "(nothing else is replaced); default results/<name>-seed<seed>-<days>d")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.set_defaults(command_name="run")
    scen = argparse.ArgumentParser(add_help=False)  # running scenario files, replicated
    scen.add_argument("--seed", type=_seed, help="run every scenario file with this seed")
    scen.add_argument("--days", type=_days, help="override the horizon of scenario files")
    scen.add_argument("--reps", type=_count, default=None,
                      help=f"replications of each scenario file (default {DEFAULT_REPS}; "
                      "differences are paired, with 95%% intervals)")
    scen.add_argument("--jobs", type=_count, default=default_jobs(),
                      help="runs at once, in worker processes (default: the cores)")
    scen.add_argument("--dask", default=None, metavar="local:N|tcp://HOST:PORT",
                      help="run on a Dask cluster instead")
    scen.add_argument("--quiet", action="store_true", help="no progress output")
    c = sub.add_parser(
        "compare", help="compare KPIs of results directories or scenarios",
        parents=[common, memory, scen], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="KPIs side by side with their differences from the first column: results\n"
        "directories (fulfill run --out) are read, scenario files are run now, with\n"
        "--reps paired replications and 95% intervals.",
        epilog="Examples:\n"
        "  fulfill compare scenarios/baseline.toml scenarios/more_pickers.toml --reps 5\n"
        "  fulfill compare results/a results/b")
    c.add_argument("items", nargs="+", metavar="RESULT_DIR_OR_SCENARIO",
                   help="results directories and/or scenario files; the first is the "
                   "reference")
    c.set_defaults(command_name="compare")
    e = sub.add_parser(
        "experiment", help="run an experiment file into a run store",
        parents=[common, memory], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run every variant and replication of an experiment file into a run store\n"
        "(a folder; finished runs are kept, so running again resumes) and print the\n"
        "KPIs with intervals. Query the store with fulfill runs.",
        epilog="Example:\n"
        "  fulfill experiment scenarios/experiments/pickers.toml --store results/pickers "
        "--jobs 2")
    e.add_argument("file", help="experiment file (see scenarios/experiments/)")
    e.add_argument("--store", required=True, help="run store folder (resumes what is there)")
    e.add_argument("--jobs", type=_count, default=default_jobs(),
                   help="runs at once, in worker processes (default: the cores)")
    e.add_argument("--dask", default=None, metavar="local:N|tcp://HOST:PORT",
                   help="run on a Dask cluster instead")
    e.add_argument("--keep-logs", action="store_true",
                   help="also keep each run's full results directory under STORE/runs/")
    e.add_argument("--force", action="store_true",
                   help="add to a store made by another experiment")
    e.add_argument("--quiet", action="store_true", help="no progress output")
    e.set_defaults(command_name="experiment")
    tn = sub.add_parser(
        "tune", help="search scenario parameters with Optuna under common random numbers",
        parents=[common, memory], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Search numeric scenario keys for the best objective (Optuna: TPE, or\n"
        "CMA-ES) with every trial scored on the same replications, under constraints;\n"
        "clearly worse trials are pruned by a paired test against the best so far. The\n"
        "best values are confirmed against the starting values on fresh replications\n"
        "and written as a scenario that extends SCENARIO. Rerunning resumes the study.",
        epilog="Example:\n"
        "  fulfill tune scenarios/optimal_routing.toml --days 7 \\\n"
        "      --param routing.params.min_saving=0:5 \\\n"
        "      --param routing.params.late_penalty_per_day=0:100 \\\n"
        "      --objective total_cost_per_order --constraint 'on_time_rate>=0.85' \\\n"
        "      --trials 12 --reps 3 --store results/tune-optimal --out optimal_tuned.toml")
    tn.add_argument("scenario", help="the scenario to tune")
    tn.add_argument("--param", action="append", required=True, metavar="KEY=LOW:HIGH[:int|:log]",
                    help="a dotted scenario key and its range (or KEY=a,b,c choices); "
                    "repeatable")
    tn.add_argument("--objective", default="total_cost_per_order",
                    help="the KPI to optimise (default total_cost_per_order)")
    tn.add_argument("--maximize", action="store_true", help="maximise instead of minimise")
    tn.add_argument("--constraint", action="append", default=[], metavar="'KPI>=X'",
                    help="a KPI bound every accepted trial meets (mean over replications); "
                    "repeatable")
    _search_args(tn, "trial", 20, "the best values", "search space")
    tn.set_defaults(command_name="tune")
    cb = sub.add_parser(
        "calibrate", help="fit scenario knobs so the simulated KPIs match actual figures",
        parents=[common, memory], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fit numeric scenario keys (knobs) so that the simulated KPIs match a\n"
        "client's actual figures: the loss is the weighted relative error over the\n"
        "targets, every candidate scored on the same replications (common random\n"
        "numbers), searched with Optuna. Each knob is first run at both ends of its range:\n"
        "a target no knob moves stops the calibration. Prints target against achieved\n"
        "(fresh replications, 95 % intervals) and writes a scenario that extends SCENARIO.\n"
        "A knob key may use * for one segment: fcs.*.pick_time.per_order_min sets every FC.",
        epilog="Example:\n"
        "  fulfill calibrate scenarios/baseline.toml --days 14 \\\n"
        "      --target shipping_cost_per_shipment=9.50 --target on_time_rate=0.95 \\\n"
        "      --knob services.ground.discount_pct=20:60 \\\n"
        "      --knob services.ground_advantage.late_probability=0:0.2 \\\n"
        "      --trials 20 --reps 3 --store results/calibrate --out calibrated.toml")
    cb.add_argument("scenario", help="the scenario to calibrate")
    cb.add_argument("--target", action="append", required=True, metavar="KPI=VALUE[:WEIGHT]",
                    help="a KPI and the client's actual value (weight 1 unless given); "
                    "repeatable")
    cb.add_argument("--knob", action="append", required=True, metavar="KEY=LOW:HIGH[:int|:log]",
                    help="a dotted scenario key and the range to search; repeatable")
    _search_args(cb, "candidate", 30, "the calibrated values", "calibration")
    cb.set_defaults(command_name="calibrate")
    hi = sub.add_parser(
        "history", help="compare a replay run's outcomes with the history's actual ones",
        parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compare the click-to-ship and click-to-deliver distributions of a run\n"
        "(fulfill run --out) of an imported history with the history's actual outcomes\n"
        "(the actuals file fulfill import orders writes beside the scenario): quantiles,\n"
        "two-sample Kolmogorov-Smirnov distance, and shipping cost against freight charged.",
        epilog="Example:\n"
        "  fulfill import orders orders_export.csv --format shopify --out my_season.toml\n"
        "  fulfill run my_season.toml --out results/my_season\n"
        "  fulfill history results/my_season")
    hi.add_argument("results", help="a results directory of a replay run")
    hi.add_argument("--actuals", default=None,
                    help="the actuals file (default: the one beside the run's scenario)")
    hi.set_defaults(command_name="history")
    rp = sub.add_parser(
        "report", help="an HTML report (and PDF) from results, a run store or scenarios",
        parents=[common, memory, scen],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write one self-contained HTML report (and optionally a PDF) comparing\n"
        "results directories (fulfill run --out), a run store (fulfill experiment --store)\n"
        "or scenario files (run now with --reps replications).",
        epilog="Example:\n"
        "  fulfill report scenarios/baseline.toml scenarios/optimal_routing.toml --days 7 \\\n"
        "      --out report.html --pdf report.pdf")
    rp.add_argument("sources", nargs="+", metavar="SOURCE",
                    help="results directories, one run store, or scenario files")
    rp.add_argument("--out", required=True, help="the HTML file to write (a new file, or a "
                    "report written before; CSV and XLSX exports go beside it)")
    rp.add_argument("--pdf", default=None, help="also print the report to this PDF "
                    "(headless Chromium)")
    rp.add_argument("--paper", choices=("letter", "a4"), default="letter",
                    help="PDF paper size (default letter)")
    rp.add_argument("--title", default=None, help="the report's title")
    rp.add_argument("--no-exports", action="store_true",
                    help="do not write the CSV and XLSX exports beside the HTML")
    rp.set_defaults(command_name="report")
    im = sub.add_parser(
        "import", help="import data: an order history as a replay scenario",
        parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Import data into scenarios. fulfill import orders --help for its options.",
        epilog="Example:\n"
        "  fulfill import orders orders_export.csv --format shopify --out my_season.toml")
    isub = im.add_subparsers(dest="what", required=True, metavar="WHAT",
                             help="what to import: orders")
    io = isub.add_parser(
        "orders", parents=[common], help="a Shopify, WooCommerce or CSV/XLSX order export",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Read an order export and write a scenario that replays it (and, with\n"
        "--fit, one with demand fitted to it). Only the 3-digit ZIP of each address is\n"
        "kept; names, e-mails, addresses and phone numbers are never read into the output.",
        epilog="Example:\n"
        "  fulfill import orders orders_export.csv --format shopify --out my_season.toml --fit")
    io.add_argument("file", help="the export (.csv, or .xlsx for --format csv)")
    io.add_argument("--format", required=True,
                    choices=("shopify", "woocommerce", "csv", "olist"),
                    help="the export's layout: shopify, woocommerce, csv (any CSV/XLSX "
                    "with a header; see --map), or olist (its orders.csv or folder)")
    io.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                    help="which column holds a field (order_id, created_at, sku, quantity, "
                    "zip, country, channel, status, requires_shipping, price, shipped_at, "
                    "delivered_at, shipping_charged, freight); repeatable")
    io.add_argument("--catalog", default=None, help="CSV of real SKU sizes (sku, weight_lb, "
                    "length_in, width_in, height_in[, name, category, unit_price])")
    io.add_argument("--base", default=None,
                    help="the scenario to extend (default: the bundled baseline)")
    io.add_argument("--start", type=_date, default=None, help="first order date kept")
    io.add_argument("--end", type=_date, default=None, help="last order date kept")
    io.add_argument("--fit", action="store_true",
                    help="also write <out>.fitted.toml with synthetic demand fitted to it")
    io.add_argument("--out", required=True, help="the replay scenario to write")
    io.set_defaults(command_name="import_orders")
    q = sub.add_parser(
        "runs", help="query a run store with SQL (DuckDB)", parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Query a run store (fulfill experiment --store) with SQL: the views runs\n"
        "(one row per run: variant, replication, seed, KPIs) and summary (intervals).",
        epilog="Example:\n"
        "  fulfill runs results/pickers --sql \"SELECT variant, avg(total_cost_per_order) "
        "FROM runs GROUP BY 1\"")
    q.add_argument("store", help="the run store folder (fulfill experiment --store)")
    q.add_argument("--sql", default=None,
                   help="a query over the views runs and summary (default: means by variant)")
    q.set_defaults(command_name="runs")
    v = sub.add_parser(
        "validate", help="check a scenario file without running it",
        parents=[common, memory], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Load and check a scenario file and the files it names (catalog,\n"
        "destinations, rates, policy code) without running it, and check that a run\n"
        "fits in memory.",
        epilog="Example:\n"
        "  fulfill validate scenarios/baseline.toml")
    v.add_argument("scenario", help="the scenario file (.toml)")
    v.set_defaults(command_name="validate")
    z = sub.add_parser(
        "zones", help="measure distance-band zones against a real zone chart",
        parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compare the model's distance-band zones (great-circle miles between\n"
        "ZIP3 centroids) with a real carrier zone chart: share exact, within one zone,\n"
        "and the pairs by zone.",
        epilog="Example (a 6,000-row slice of a USPS chart, in the repository):\n"
        "  fulfill zones tests/data/usps_zones_slice.csv")
    z.add_argument("chart", help="CSV (or .csv.gz) with origin_zip, dest_zip, zone")
    z.set_defaults(command_name="zones")
    o = sub.add_parser(
        "optimize", help="OR-Tools models: inventory placement, network design",
        parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Optimization models that write a new scenario file to simulate:\n"
        "placement (which FCs stock each SKU) and network (which FC sites to open).",
        epilog="Example:\n"
        "  fulfill optimize placement scenarios/baseline.toml --out results/placed.toml")
    osub = o.add_subparsers(dest="model", required=True, metavar="MODEL",
                            help="placement or network (fulfill optimize MODEL --help)")
    pl = osub.add_parser(
        "placement", help="which FCs stock each SKU, how much; new scenario",
        parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Choose which FCs stock each SKU and how much (a MIP over the scenario's\n"
        "demand forecast, with a service target and each FC's pick/pack throughput),\n"
        "and write a new scenario with that stock and a routing plan.",
        epilog="Example:\n"
        "  fulfill optimize placement scenarios/baseline.toml --out results/placed.toml "
        "--time-limit 60")
    pl.add_argument("scenario", help="the scenario to optimize")
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
    pl.add_argument("--quiet", action="store_true", help="no progress output")
    pl.set_defaults(command_name="optimize_placement")
    nw = osub.add_parser(
        "network", help="which FC sites to open; new scenario",
        parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Choose at most K FC sites among candidate cities (facility location\n"
        "over the scenario's demand by destination) and write a new scenario with them.",
        epilog="Example:\n"
        "  fulfill optimize network scenarios/baseline.toml --max-sites 4 --out results/net4.toml")
    nw.add_argument("scenario", help="the scenario to redesign")
    nw.add_argument("--candidates", default=None,
                    help="CSV of candidate sites (default: the bundled 50 largest cities)")
    nw.add_argument("--max-sites", type=_count, required=True, metavar="K",
                    help="open at most K sites")
    nw.add_argument("--out", required=True, help="new scenario file to write")
    nw.add_argument("--time-limit", type=_positive, default=60.0, metavar="SECONDS",
                    help="solver time limit in seconds (default 60)")
    nw.add_argument("--split", action="store_true",
                    help="allow a destination's demand to be split across sites")
    nw.add_argument("--peak", type=_positive, default=1.0,
                    help="design for demand times this factor (e.g. 1.8 for the peak)")
    nw.add_argument("--verbose", action="store_true", help="show the solver's log")
    nw.add_argument("--quiet", action="store_true", help="no progress output")
    nw.set_defaults(command_name="optimize_network")
    return p
