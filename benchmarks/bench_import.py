"""Import speed: ``import_orders`` on a generated Shopify orders export of 1M order lines.

    python benchmarks/bench_import.py [--lines 1000000] [--repeat 1] [--keep DIR]

Writes a CSV with the real 78-column Shopify header (the header file in
``tests/data/import/shopify_orders.csv``) to a temporary folder: orders of 1-6 lines
(mean ~2.5), later rows of an order repeating only ``Name``, ``Email``, ``Created at`` and the
``Lineitem`` fields as Shopify does, personal columns filled in on each order's first row,
about 3 % cancelled orders, 2 % gift-card lines, 1 % orders to Hawaii or Canada, ZIPs with
ZIP+4 and lost leading zeros, 4,000 SKUs of which half are not in the base catalog.  Each
import runs in a fresh process, which reports its wall time (imports of the package
excluded) and its peak resident memory (``ru_maxrss``).  It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER_FILE = ROOT / "tests" / "data" / "import" / "shopify_orders.csv"


def generate(path: Path, n_lines: int, seed: int = 1) -> tuple[int, int]:
    """Write a Shopify-layout CSV of about ``n_lines`` rows; returns (rows, orders)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from sim.geo import load_zip3

    rng = np.random.default_rng(seed)
    with HEADER_FILE.open(newline="") as fh:
        header = next(csv.reader(fh))
    per_order = np.minimum(rng.geometric(0.4, size=n_lines), 6)
    ends = np.cumsum(per_order)
    n_orders = int(np.searchsorted(ends, n_lines)) + 1
    per_order = per_order[:n_orders]
    per_order[-1] -= int(ends[n_orders - 1] - n_lines)
    order = np.repeat(np.arange(n_orders), per_order)
    first = np.r_[True, order[1:] != order[:-1]]
    n = len(order)

    def s(values: object) -> pd.Series:
        return pd.Series(values, dtype="str")

    seconds = np.sort(rng.integers(0, 90 * 86400, n_orders))
    created = (pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s")).strftime(
        "%Y-%m-%d %H:%M:%S") + np.where(rng.random(n_orders) < 0.5, " -0500", " -0400")
    zip3 = np.array([z for z in load_zip3().zip3 if not z.startswith(("96", "99"))])
    z5 = s(zip3[rng.integers(0, len(zip3), n_orders)]) + s(
        rng.integers(0, 100, n_orders)).str.zfill(2)
    kind = rng.random(n_orders)
    z = z5.where(kind > 0.2, z5 + "-" + s(rng.integers(1000, 9999, n_orders)))
    z = z.where(~((kind > 0.2) & (kind < 0.3)), z5.str.lstrip("0"))
    country = np.where(kind > 0.995, "CA", "US")
    z = z.where(~((kind > 0.99) & (kind <= 0.995)), "96813")
    cancelled = np.where(rng.random(n_orders) < 0.03, "2024-04-01 10:00:00 -0400", "")
    sku_id = rng.zipf(1.3, n) % 4000 + 1
    sku = s(np.where(sku_id <= 300, "SKU-" + s(sku_id).str.zfill(4), "P-" + s(sku_id)))
    gift = rng.random(n) < 0.02
    sku = sku.where(~gift, "")
    qty = s(np.minimum(rng.geometric(0.7, n), 9))
    idx = pd.Series(order)
    name = "#" + s(idx + 1001)
    cols: dict[str, object] = {h: pa.nulls(n, pa.string()) for h in header}

    def order_level(values: object) -> pa.Array:
        v = pd.Series(values, dtype="str").to_numpy(object)[order]
        return pa.array(np.where(first, v, ""), pa.string())

    cols.update({
        "Name": pa.array(name.to_numpy(object), pa.string()),
        "Email": pa.array(("buyer" + s(idx) + "@example.com").to_numpy(object), pa.string()),
        "Created at": pa.array(np.asarray(created, object)[order], pa.string()),
        "Lineitem quantity": pa.array(qty.to_numpy(object), pa.string()),
        "Lineitem name": pa.array(np.where(gift, "Gift Card", "Product " + sku).astype(object)),
        "Lineitem price": pa.array(np.where(gift, "50.00", "19.99").astype(object)),
        "Lineitem sku": pa.array(sku.to_numpy(object), pa.string()),
        "Lineitem requires shipping": pa.array(np.where(gift, "false", "true").astype(object)),
        "Financial Status": order_level(np.full(n_orders, "paid")),
        "Billing Name": order_level(np.full(n_orders, "Jane Buyer")),
        "Shipping Name": order_level(np.full(n_orders, "Jane Buyer")),
        "Shipping Street": order_level(np.full(n_orders, "1 Main Street")),
        "Shipping Address1": order_level(np.full(n_orders, "1 Main Street")),
        "Shipping City": order_level(np.full(n_orders, "Springfield")),
        "Shipping Phone": order_level(np.full(n_orders, "+1 555 0100")),
        "Shipping Zip": order_level(z), "Billing Zip": order_level(z),
        "Shipping Country": order_level(country), "Cancelled at": order_level(cancelled),
        "Source": order_level(np.where(kind > 0.6, "web", "pos")),
        "Total": order_level(np.full(n_orders, "42.00")),
    })
    table = pa.table({h: cols[h] for h in header})
    pacsv.write_csv(table, path)
    return n, n_orders


def one(csv_path: Path, out: Path) -> None:
    """Child process: one timed import; prints a JSON record."""
    from sim.importers import import_orders

    t = time.perf_counter()
    summary = import_orders(csv_path, fmt="shopify", out=out)
    seconds = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb,
                      "rows": summary.rows_read, "orders": summary.orders_read,
                      "orders_kept": summary.orders_kept, "lines_kept": summary.lines_kept,
                      "left_out": summary.left_out}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="write the CSV here and keep it")
    ap.add_argument("--one", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(*args.one)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        csv_path = folder / "orders_export.csv"
        t = time.perf_counter()
        rows, orders = generate(csv_path, args.lines)
        print(f"generated {rows:,} rows, {orders:,} orders, "
              f"{csv_path.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - t:.1f} s")
        for i in range(args.repeat):
            out = folder / f"replay{i}.toml"
            res = subprocess.run([sys.executable, __file__, "--one", str(csv_path), str(out)],
                                 check=True, capture_output=True, text=True, cwd=ROOT)
            rec = json.loads(res.stdout.strip().splitlines()[-1])
            print(f"import: {rec['seconds']:.1f} s, peak RSS {rec['peak_rss_mb']:,.0f} MB; "
                  f"{rec['orders_kept']:,} of {rec['orders']:,} orders kept, "
                  f"{rec['lines_kept']:,} lines; left out {rec['left_out']}")


if __name__ == "__main__":
    main()
