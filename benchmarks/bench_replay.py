"""Replay speed: orders per second of a replayed order history against the synthetic demand
it came from, on the same scenario.

    python benchmarks/bench_replay.py [--days 28] [--repeat 3]

Runs the baseline's synthetic demand once, writes its orders as a replay table (each city
at its nearest 3-digit ZIP centroid), then simulates synthetic and replay alternately
(ABAB...) ``--repeat`` times each and prints the medians of simulated orders per second and
their ratio.  It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.geo import great_circle_miles, load_zip3  # noqa: E402
from sim.model import simulate  # noqa: E402
from sim.network import build_network  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def replay_table(days: float) -> tuple[pd.DataFrame, str]:
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(horizon_days=days)
    net = build_network(sc)
    log = simulate(net)
    z = load_zip3()
    d = great_circle_miles(net.dest_lat[:, None], net.dest_lon[:, None], z.lat[None, :],
                           z.lon[None, :])
    dest_zip3 = np.asarray(z.zip3)[d.argmin(axis=1)]
    o, ol = log["orders"], log["order_lines"]
    oid = ol["order_id"]
    lines = pd.DataFrame({
        "order_id": [f"#{i}" for i in oid], "placed_h": o["placed_h"][oid],
        "channel": np.asarray(net.channel_names)[o["channel"][oid]],
        "zip3": dest_zip3[o["dest"][oid]], "sku": np.asarray(net.sku_ids)[ol["sku"]],
        "units": ol["units"].astype(np.int32)})
    return lines, str(sc.run.start_date)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=28.0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    lines, start = replay_table(a.days)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        pq.write_table(pa.Table.from_pandas(lines, preserve_index=False), d / "orders.parquet")
        (d / "replay.toml").write_text(
            f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\n'
            f'[run]\nhorizon_days = {a.days:g}\nwarmup_days = {min(7.0, a.days / 4):g}\n'
            f'start_date = "{start}"\n'
            '[demand]\nmode = "replay"\norders_file = "orders.parquet"\n', encoding="utf-8")
        nets = {"synthetic": build_network(load_scenario(ROOT / "scenarios" / "baseline.toml")
                                           .with_overrides(horizon_days=a.days)),
                "replay": build_network(load_scenario(d / "replay.toml"))}
        rate: dict[str, list[float]] = {k: [] for k in nets}
        for _ in range(a.repeat):
            for name, net in nets.items():
                t = time.perf_counter()
                log = simulate(net)
                rate[name].append(log.n_rows("orders") / (time.perf_counter() - t))
        med = {k: statistics.median(v) for k, v in rate.items()}
        for k, v in rate.items():
            print(f"{k}: median {med[k]:,.0f} orders/s ({', '.join(f'{x:,.0f}' for x in v)})")
        print(f"replay / synthetic: {med['replay'] / med['synthetic']:.2f} "
              f"({len(lines):,} lines, {lines['order_id'].nunique():,} orders)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
