"""Event logs, table by table, as SHA-256 digests: a refactor must leave them identical.

    python benchmarks/eventlog_digest.py --write before.json      # on the old code
    python benchmarks/eventlog_digest.py --check before.json      # on the new code

Runs 7 days (the default) of each scenario below with its own seed and hashes every column of
every table of the event log (its bytes and dtype), so any change in any event, time, cost or
dtype shows up, named by scenario, table and column.  ``--check`` exits 1 on a difference.
Runs the code of the checkout it sits in, whatever is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model import simulate  # noqa: E402
from sim.network import build_network  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

SCENARIOS = ("baseline", "optimal_routing", "wave_routing", "placement_optimized",
             "peak_season")


def digests(name: str, days: float) -> dict[str, str]:
    sc = load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(horizon_days=days)
    log = simulate(build_network(sc))
    out = {}
    # every table as the run keeps it (events without the floor's, shipments with their
    # timeline), including tables kept packed while in memory
    names = getattr(log, "names", None)
    tables = log.tables if names is None else {t: log.table(t) for t in names}
    for table, cols in sorted(tables.items()):
        for col, arr in sorted(cols.items()):
            h = hashlib.sha256(str(arr.dtype).encode())
            h.update(arr.tobytes())
            out[f"{table}.{col}"] = h.hexdigest()[:16]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="write the digests to this JSON file")
    group.add_argument("--check", type=Path, help="compare with the digests in this file")
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    args = ap.parse_args()
    result = {}
    for name in args.scenarios:
        t0 = time.perf_counter()
        result[name] = digests(name, args.days)
        print(f"{name}: {len(result[name])} columns hashed in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    if args.write:
        args.write.write_text(json.dumps({"days": args.days, "digests": result}, indent=1))
        return 0
    ref = json.loads(args.check.read_text())
    if ref["days"] != args.days:
        print(f"reference was made with --days {ref['days']}", file=sys.stderr)
        return 1
    bad = 0
    for name, cols in result.items():
        old = ref["digests"].get(name)
        if old is None:
            print(f"{name}: not in the reference")
            bad += 1
            continue
        for key in sorted(set(old) | set(cols)):
            if old.get(key) != cols.get(key):
                print(f"{name}: {key} differs")
                bad += 1
    print("identical" if not bad else f"{bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
