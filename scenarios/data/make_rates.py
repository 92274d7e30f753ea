"""Write the illustrative rate tables (rates_*.csv) used by the bundled scenarios.

The prices are ILLUSTRATIVE, shaped like 2024-25 US list rates (a base price by zone plus a
price per extra pound by zone), not any carrier's real tariff.  To use a real contract, export
its rate card as ``weight_lb,1,2,...,8`` (one row per whole pound, one column per zone) and
point ``[services.<name>] rates`` at it.
"""

from __future__ import annotations

import csv
from pathlib import Path

SERVICES = {
    # name: (max lb, base price by zone 1-8, price per extra lb by zone 1-8)
    "ground": (150, [9.80, 10.25, 10.75, 11.40, 12.10, 12.90, 13.60, 14.20],
               [0.55, 0.62, 0.78, 0.95, 1.15, 1.35, 1.52, 1.70]),
    "ground_advantage": (70, [5.40, 5.60, 5.85, 6.25, 6.90, 7.60, 8.35, 9.40],
                         [0.60, 0.70, 0.90, 1.20, 1.55, 1.95, 2.30, 2.70]),
    "two_day": (150, [20.0, 22.5, 25.0, 27.5, 30.0, 32.5, 35.0, 37.5],
                [1.8, 2.1, 2.5, 2.9, 3.4, 3.8, 4.2, 4.6]),
    "next_day": (150, [35.0, 38.5, 42.0, 45.5, 49.0, 52.5, 56.0, 60.0],
                 [3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0]),
}


def main() -> None:
    here = Path(__file__).parent
    for name, (max_lb, base, per_lb) in SERVICES.items():
        with (here / f"rates_{name}.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["weight_lb", *range(1, 9)])
            for lb in range(1, max_lb + 1):
                w.writerow([lb, *(f"{b + p * (lb - 1):.2f}" for b, p in zip(base, per_lb,
                                                                           strict=True))])


if __name__ == "__main__":
    main()
