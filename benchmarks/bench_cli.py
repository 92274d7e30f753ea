"""Interleaved A/B of whole ``fulfill`` commands between two checkouts: what a user waits for,
imports included.

    git worktree add /tmp/old <commit>
    python benchmarks/bench_cli.py --old /tmp/old --new . --rounds 8 -- --help
    python benchmarks/bench_cli.py --old /tmp/old --new . -- validate scenarios/baseline.toml
    python benchmarks/bench_cli.py --old /tmp/old --new . --rounds 6 -- run --quiet

Each checkout first runs the command once untimed (bytecode compiled, files cached), then
each round starts one fresh process per checkout (``python -c "from sim.cli import main"``
with that checkout first on ``PYTHONPATH``), in alternating order (A, B; B, A; ...), in a
scratch folder of its own, so that ``run`` writes its results there.  Arguments naming
existing files (scenarios, data) are made absolute; the value of ``--out``, ``--store`` or
``-o`` is left as given, so a relative output path lands in the scratch folder (an absolute
one is written where it says).  It prints the medians of the processes' CPU time (user +
system, from ``os.wait4``) and wall time, their ratio old/new (above 1: B is faster) and the
median and range of the rounds' own ratios.  A command that fails stops the benchmark with
its exit status and the end of its error output.  It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CODE = "import sys; from sim.cli import main; sys.exit(main(sys.argv[1:]))"


OUTPUT_OPTIONS = ("--out", "--store", "-o")


def _absolute(args: list[str]) -> list[str]:
    """Arguments naming existing files made absolute (the processes run elsewhere), except
    the command's own words and output paths."""
    out = []
    for i, a in enumerate(args):
        after_output = i > 0 and args[i - 1] in OUTPUT_OPTIONS
        out.append(str(Path(a).resolve()) if not after_output and Path(a).is_file() else a)
    return out


def run_once(root: Path, args: list[str], cwd: Path) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one command under checkout ``root``."""
    env = dict(os.environ, PYTHONPATH=str(root))
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a long traceback cannot block
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", CODE, *args], cwd=cwd, env=env,
                             stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")
            raise SystemExit(f"{root}: fulfill {' '.join(args)}: exit {code}: {text[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", type=Path, required=True, help="checkout A (the reference)")
    ap.add_argument("--new", type=Path, required=True, help="checkout B")
    ap.add_argument("--rounds", type=int, default=8, help="timed rounds (at least 1)")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- then the fulfill arguments")
    a = ap.parse_args()
    if a.rounds < 1:
        ap.error("--rounds must be at least 1")
    args = _absolute(a.command[1:] if a.command[:1] == ["--"] else a.command)
    roots = {"old": a.old.resolve(), "new": a.new.resolve()}
    cpu: dict[str, list[float]] = {"old": [], "new": []}
    wall: dict[str, list[float]] = {"old": [], "new": []}
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        for name in ("old", "new"):  # untimed: bytecode and file caches warm for both
            cwd = Path(tmp) / f"{name}-warmup"
            cwd.mkdir()
            run_once(roots[name], args, cwd)
        for r in range(a.rounds):
            for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
                cwd = Path(tmp) / f"{name}-{r}"
                cwd.mkdir()
                c, w = run_once(roots[name], args, cwd)
                cpu[name].append(c)
                wall[name].append(w)
            print(f"round {r + 1}: old {cpu['old'][-1]:.3f} s, new {cpu['new'][-1]:.3f} s CPU",
                  flush=True)
    per_round = [o / n for o, n in zip(cpu["old"], cpu["new"], strict=True)]
    mo, mn = statistics.median(cpu["old"]), statistics.median(cpu["new"])
    print(f"fulfill {' '.join(args)}  ({a.rounds} rounds)")
    print(f"CPU  old {mo:.3f} s  new {mn:.3f} s  old/new {mo / mn:.3f}; per round "
          f"{statistics.median(per_round):.3f} ({min(per_round):.3f}-{max(per_round):.3f})")
    print(f"wall old {statistics.median(wall['old']):.3f} s  "
          f"new {statistics.median(wall['new']):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
