"""Regenerate zip3_centroids.csv from the offline ``zipcodes`` package (pip install zipcodes).

Each 3-digit ZIP prefix is placed at the mean latitude/longitude of its active standard ZIP
codes (PO-box-only and unique ZIPs share their post office's position, so they are left out
unless a prefix has nothing else).  Only the 50 states and DC are kept.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import zipcodes

STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY",
}


def main() -> None:
    standard: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    other: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for z in zipcodes.list_all():
        if z.get("state") not in STATES or not z.get("lat") or not z.get("long"):
            continue
        row = (float(z["lat"]), float(z["long"]), z["state"])
        target = standard if z.get("zip_code_type") == "STANDARD" and z.get("active") else other
        target[z["zip_code"][:3]].append(row)
    out = Path(__file__).with_name("zip3_centroids.csv")
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["zip3", "lat", "lon", "state", "n_zips"])
        for prefix in sorted(set(standard) | set(other)):
            rows = standard.get(prefix) or other[prefix]
            states = [s for _, _, s in rows]
            w.writerow([prefix, f"{sum(r[0] for r in rows) / len(rows):.4f}",
                        f"{sum(r[1] for r in rows) / len(rows):.4f}",
                        max(set(states), key=states.count), len(rows)])
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
