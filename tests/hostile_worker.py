"""Run hostile scenario files through the CLI and judge what it did.

Worker mode (one process, many cases, in-process calls to ``sim.cli.main``)::

    python tests/hostile_worker.py CASES.json OUT.json

``CASES.json`` is ``{"root": DIR, "cases": [...]}`` (or a bare list of cases) as written by
:func:`run_cases`; the worker runs in the current directory (run it in the corpus's ``_cwd``),
puts that directory first on ``sys.path`` (as ``python -m sim`` does), and for each case calls
``main(["validate", FILE])`` and, when that exits 0, ``main(["run", FILE, "--days", "1",
"--quiet", "--out", DIR])`` with stdout and stderr captured and a 60 s alarm on each call.
It writes one JSON line per finished case to ``OUT.json.partial`` (so a driver can tell where
it stopped), the id of the case in progress to ``OUT.json.current``, and the whole list to
``OUT.json`` at the end.

Driver mode (generate the corpus, run it in parallel workers, print the failure report)::

    python tests/hostile_worker.py --run DEST [--sample] [--workers 2] [--code ROOT]
                                   [--json RESULTS.json] [--only SUBSTRING]

``--code ROOT`` puts another checkout first on ``PYTHONPATH`` (e.g. a ``git archive`` of HEAD),
so the corpus can be run against a fixed version while the working tree changes.  A worker
that stops answering (a hang inside C code that the alarm cannot interrupt) is killed after
``2 * timeout + 30`` s: its case is recorded as a hang and a new worker takes the rest.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TIMEOUT_S = 60
MARKERS = ("PWNED*", "ESCAPED*")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ANSI_SGR = re.compile(r"\x1b\[[0-9;]*m")


# ============================================================================ worker side
class Hang(BaseException):
    """Raised by the alarm: a call ran longer than the time limit."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise Hang()


def _frames(tb: Any) -> tuple[str, str]:
    """The last frame of a traceback, and the last one in this repository's code."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return "", ""
    last = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}"
    own = ""
    for f in reversed(frames):
        p = Path(f.filename)
        if p.name == "hostile_worker.py":
            continue
        if any(part in ("sim", "optimize", "reports") for part in p.parts[-3:-1]):
            own = f"{'/'.join(p.parts[-2:])}:{f.lineno} in {f.name}"
            break
    return last, own


def _call(main: Any, argv: list[str], timeout: int) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    rec: dict[str, Any] = {"argv": argv, "rc": None, "hang": False, "exc": None}
    t0 = time.perf_counter()
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                rec["rc"] = main(argv)
            finally:
                signal.alarm(0)
        rec["warnings"] = sorted({f"{w.category.__name__}: {str(w.message)[:120]}"
                                  for w in caught})[:5]
    except Hang:
        rec["hang"] = True
    except SystemExit as exc:  # argparse, or a user's module calling sys.exit
        rec["rc"] = exc.code if isinstance(exc.code, int) else None
        rec["exc"] = {"type": "SystemExit", "msg": repr(exc.code)[:300],
                      "frame": _frames(exc.__traceback__)[0],
                      "own_frame": _frames(exc.__traceback__)[1]}
    except BaseException as exc:
        last, own = _frames(exc.__traceback__)
        rec["exc"] = {"type": type(exc).__name__, "msg": str(exc)[:300].splitlines()[0]
                      if str(exc) else "", "frame": last, "own_frame": own}
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    rec["secs"] = round(time.perf_counter() - t0, 3)
    rec["stdout"] = out.getvalue()[:4000]
    rec["stderr"] = err.getvalue()[:4000]
    return rec


def _integrity(outdir: Path) -> list[str]:
    """Silent corruption in a results folder: ids out of range, negative counts."""
    problems: list[str] = []
    try:
        import pyarrow.parquet as pq

        sc = json.loads((outdir / "scenario.json").read_text(encoding="utf-8"))
        n_fc = len(sc.get("fcs") or {})
        n_ch = len((sc.get("demand") or {}).get("channels") or {})
        bounds = {"fc": n_fc, "from_fc": n_fc, "to_fc": n_fc, "channel": n_ch}
        for f in sorted(outdir.glob("*.parquet")):
            t = pq.read_table(f)
            for col in t.column_names:
                arr = t.column(col).to_pylist()
                nums = [v for v in arr if isinstance(v, int | float) and not isinstance(v, bool)]
                if not nums:
                    continue
                lo, hi = min(nums), max(nums)
                if col in bounds and (lo < -1 or hi >= max(bounds[col], 1)):
                    # -1 is "none" (an event without an FC); ids wrapped round by a too
                    # narrow integer type show as other negatives or as ids out of range
                    problems.append(f"{f.name}:{col} in [{lo}, {hi}], expected ids "
                                    f"0..{bounds[col] - 1} (or -1)")
                elif col in ("units", "n_units", "n_lines", "parcels", "restocked",
                             "written_off", "initial", "on_hand") and lo < 0:
                    problems.append(f"{f.name}:{col} has negative values (min {lo})")
                elif col == "zone" and (lo < 1 or hi > 8 + len(
                        (sc.get("international") or {}).get("groups") or {})):
                    # zones 1-8, then 9 + g for the destination groups abroad ([international])
                    problems.append(f"{f.name}:zone in [{lo}, {hi}]")
    except Exception as exc:  # an unreadable results folder is itself a finding
        problems.append(f"results unreadable: {type(exc).__name__}: {exc}"[:200])
    return problems


def _markers(dirs: list[Path]) -> set[str]:
    found: set[str] = set()
    for d in dirs:
        for pat in MARKERS:
            with contextlib.suppress(OSError):
                found |= {str(p) for p in d.glob(pat)}
    return found


@contextlib.contextmanager
def _results_lock(cwd: Path) -> Iterator[None]:
    """Exclusive use of ``cwd/results`` among the workers (``flock`` on a file beside it)."""
    import fcntl

    with open(cwd / "_results.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def worker(cases_json: Path, out_json: Path) -> int:
    spec = json.loads(Path(cases_json).read_text(encoding="utf-8"))
    cases = spec["cases"] if isinstance(spec, dict) else spec
    root = Path(spec.get("root", ".")) if isinstance(spec, dict) else Path(".")
    timeout = int(spec.get("timeout", TIMEOUT_S)) if isinstance(spec, dict) else TIMEOUT_S
    cwd = Path.cwd()
    # as `python -m sim` does: the current directory first on sys.path (this script's own
    # folder, tests/, is not)
    sys.path[:] = [str(cwd)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
    from sim.cli import main

    partial = Path(str(out_json) + ".partial")
    current = Path(str(out_json) + ".current")
    outroot = cwd / "_out" / f"w{os.getpid()}"  # workers share the cwd
    outroot.mkdir(parents=True, exist_ok=True)
    seen = _markers([cwd, root, root / "cases"])
    results = []
    for case in cases:
        current.write_text(case["id"], encoding="utf-8")
        file = case["file"]
        rec: dict[str, Any] = {"id": case["id"]}
        rec["validate"] = _call(main, ["validate", file], timeout)
        rec["run"] = None
        if rec["validate"]["rc"] == 0:
            dest = outroot / f"r{len(results)}"
            argv = ["run", file, "--days", "1", "--quiet"]
            default_out = bool(case.get("default_out"))
            if not default_out:
                argv += ["--out", str(dest)]
            # the workers share cwd/results: one default-output case at a time writes, checks
            # and clears it (clearing it under another worker's run broke that run's write)
            with _results_lock(cwd) if default_out else contextlib.nullcontext():
                rec["run"] = _call(main, argv, timeout)
                if rec["run"]["rc"] == 0:
                    if default_out:
                        made = [p for p in (cwd / "results").glob("*") if p.is_dir()]
                        dest = made[0] if made else dest
                    rec["integrity"] = _integrity(dest) if dest.exists() else []
                shutil.rmtree(dest, ignore_errors=True)
                if default_out:
                    shutil.rmtree(cwd / "results", ignore_errors=True)
        if "PWNED" in case.get("what", "") or "marker" in case.get("what", ""):
            time.sleep(0.3)  # a spawned `touch` may land a moment later
        now = _markers([cwd, root, root / "cases", Path(file).parent])
        rec["markers"] = sorted(now - seen)
        seen |= now
        results.append(rec)
        with partial.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
    out_json.write_text(json.dumps(results), encoding="utf-8")
    current.unlink(missing_ok=True)
    return 0


# ============================================================================ driver side
def _env(code_root: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "PYTHONPATH",
                        "CLICOLOR_FORCE")}
    env["PYTHONPATH"] = str(code_root or REPO)
    env["PYTHONHASHSEED"] = "0"
    env["TERM"] = "dumb"
    env["COLUMNS"] = "160"
    return env


def run_cases(cases: list[dict[str, Any]], root: Path, *, workers: int = 2,
              code_root: Path | None = None, timeout: int = TIMEOUT_S,
              progress: Any = None) -> list[dict[str, Any]]:
    """Run ``cases`` (dicts from ``hostile_corpus.to_json``) in ``workers`` processes in
    ``root/_cwd``; return one result per case, in order."""
    root = Path(root).resolve()
    cwd = root / "_cwd"
    cwd.mkdir(parents=True, exist_ok=True)
    runs = root / "_runs"
    runs.mkdir(exist_ok=True)
    by_id = {c["id"]: c for c in cases}
    results: dict[str, dict[str, Any]] = {}
    queues = [cases[i::workers] for i in range(workers)]
    procs: list[dict[str, Any]] = []
    serial = 0

    def start(queue: list[dict[str, Any]]) -> None:
        nonlocal serial
        if not queue:
            return
        serial += 1
        cj, oj = runs / f"cases{serial}.json", runs / f"out{serial}.json"
        cj.write_text(json.dumps({"root": str(root), "timeout": timeout, "cases": queue}),
                      encoding="utf-8")
        log_path = runs / f"log{serial}.txt"
        log = log_path.open("w")
        p = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(cj), str(oj)],
                             cwd=cwd, env=_env(code_root), stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        procs.append({"p": p, "queue": queue, "out": oj, "log": log, "log_path": log_path,
                      "t": time.monotonic(), "offset": 0})

    def collect(w: dict[str, Any]) -> list[str]:
        partial = Path(str(w["out"]) + ".partial")
        done = []
        if partial.exists():
            with partial.open("rb") as fh:
                fh.seek(w["offset"])
                chunk = fh.read()
            whole = chunk[: chunk.rfind(b"\n") + 1]  # the worker may be writing the next line
            w["offset"] += len(whole)
            for line in whole.splitlines():
                rec = json.loads(line)
                results[rec["id"]] = rec
                done.append(rec["id"])
        if done:
            w["t"] = time.monotonic()
            if progress:
                progress(len(results), len(cases))
        return done

    for q in queues:
        start(q)
    limit = 2 * timeout + 30
    while procs:
        time.sleep(0.2)
        for w in list(procs):
            collect(w)
            rc = w["p"].poll()
            stuck = rc is None and time.monotonic() - w["t"] > limit
            if rc is None and not stuck:
                continue
            if stuck:
                w["p"].kill()
                w["p"].wait()
            collect(w)
            w["log"].close()
            procs.remove(w)
            remaining = [c for c in w["queue"] if c["id"] not in results]
            if remaining:  # the first one is the case it died or hung on
                bad = remaining[0]
                why = "hang" if stuck else f"worker died (exit {rc})"
                tail = w["log_path"].read_text(errors="replace")[-500:] if not stuck else ""
                results[bad["id"]] = {"id": bad["id"], "killed": why, "log_tail": tail,
                                      "validate": None, "run": None, "markers": []}
                start(remaining[1:])
    _attribute_markers(cases, results, [root, root / "cases", cwd])
    return [results.get(c["id"], {"id": c["id"], "killed": "no result"}) for c in cases
            if c["id"] in by_id]


def _attribute_markers(cases: list[dict[str, Any]], results: dict[str, dict[str, Any]],
                       dirs: list[Path]) -> None:
    """Blame each marker file on the case that names it.  Workers run side by side and a
    spawned process may write late, so what a worker saw appear during a case is not proof;
    every marker's name (``PWNED_<x>``, ``ESCAPED_<x>-seed...``) is written in the file (or
    names the module) of the case that makes it."""
    for r in results.values():
        r["markers_seen"] = r.pop("markers", [])
        r["markers"] = []
    texts: dict[str, str] = {}
    for c in cases:
        p = Path(c["file"])
        try:
            texts[c["id"]] = p.read_bytes()[:200_000].decode("utf-8", "replace") \
                if p.is_file() else ""
        except OSError:
            texts[c["id"]] = ""
    for m in sorted(_markers(dirs)):
        stem = Path(m).name.split("-seed")[0]
        owner = None
        for key in (stem, stem.split("_", 1)[-1]):  # PWNED_hx_mod: the module hx_mod
            if owner is None and len(key) >= 6:
                pat = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(key) + r"(?![A-Za-z0-9_])")
                owner = next((c["id"] for c in cases
                              if c["id"] in results and pat.search(texts[c["id"]])), None)
        if owner is None:  # unknown origin: blame the cases that saw it appear
            owners = [i for i, r in results.items() if m in r.get("markers_seen", [])]
            owner = owners[0] if owners else cases[0]["id"]
        results[owner]["markers"].append(m)


# ============================================================================ judging
def _message(rec: dict[str, Any] | None) -> str:
    if not rec:
        return ""
    return ANSI_SGR.sub("", rec.get("stderr") or "").strip()


def _first_line(text: str, n: int = 220) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:n] + ("…" if len(line) > n else "")


def failures(case: dict[str, Any], res: dict[str, Any]) -> list[tuple[str, str]]:
    """What went wrong with one case: (kind, detail) pairs; empty if it behaved."""
    out: list[tuple[str, str]] = []
    if res.get("killed"):
        kind = "hang" if res["killed"] == "hang" else "crash"
        return [(kind, f"{res['killed']} {res.get('log_tail', '')[-200:]}".strip())]
    steps = [s for s in (res.get("validate"), res.get("run")) if s]
    for s in steps:
        cmd = s["argv"][0]
        if s["hang"]:
            out.append(("hang", f"{cmd}: no answer within the time limit"))
        if s["exc"] and not (s["exc"]["type"] == "SystemExit" and s["rc"] in (0, 2)):
            e = s["exc"]
            out.append(("traceback", f"{cmd}: {e['type']}: {e['msg'][:160]} "
                                     f"@ {e['own_frame'] or e['frame']}"))
        elif "Traceback (most recent call last)" in s["stdout"] + s["stderr"]:
            out.append(("traceback", f"{cmd}: a traceback was printed"))
        if "\x1b" in s["stdout"] + s["stderr"]:
            out.append(("raw-escape", f"{cmd}: a raw ESC byte in the output"))
        for text in case.get("must_not_show", ()):
            if text in s["stdout"] + s["stderr"]:
                out.append(("stdlib-imported", f"{cmd}: output contains {text!r}"))
    if res.get("markers") or res.get("late_markers"):
        out.append(("marker", "files created: " + ", ".join(
            Path(m).name[:60] for m in res.get("markers", []) + res.get("late_markers", []))))
    if res.get("integrity"):
        out.append(("corrupt-output", "; ".join(res["integrity"])[:300]))
    v, r = res.get("validate"), res.get("run")
    if v is None or v["hang"] or (r is not None and r["hang"]):
        return out
    if case["expect"] == "refuse":
        step = v
        if v["rc"] == 0 and case.get("refuse_at") == "run" and r is not None:
            step = r
        if step["rc"] == 0:
            ran = "" if r is None else f" (run --days 1 exit {r['rc']})"
            out.append(("wrongly-accepted", f"validate exit 0{ran}: "
                                            f"{_first_line(v['stdout'], 160)}"))
        elif step["rc"] == 2:
            msg = _message(step)
            problems = []
            if not msg.startswith("error:"):
                problems.append("does not start with 'error:'")
            if re.search(r"\n[ \t]*\n", msg):
                problems.append("more than one paragraph")
            names = case.get("names") or []
            if names and not any(n in msg for n in names):
                problems.append(f"names none of {names[:3]}")
            if case.get("must_match") and not re.search(case["must_match"], msg):
                problems.append(f"does not match /{case['must_match']}/")
            if problems:
                out.append(("bad-message", "; ".join(problems) + f": {_first_line(msg)}"))
        elif not any(k == "traceback" for k, _ in out):
            out.append(("wrong-exit", f"{step['argv'][0]} exit {step['rc']}: "
                                      f"{_first_line(_message(step))}"))
    else:
        if v["rc"] != 0:
            if v["rc"] == 2:
                out.append(("wrongly-refused", f"validate: {_first_line(_message(v))}"))
            elif not any(k == "traceback" for k, _ in out):
                out.append(("wrong-exit", f"validate exit {v['rc']}"))
        elif r is not None and r["rc"] != 0:
            if r["rc"] == 2:
                out.append(("wrongly-refused", f"run: {_first_line(_message(r))}"))
            elif not any(k == "traceback" for k, _ in out):
                out.append(("wrong-exit", f"run exit {r['rc']}"))
        for text in case.get("must_show", ()):
            if text not in v["stdout"]:
                out.append(("not-shown-literally", f"validate output lacks {text[:50]!r}: "
                                                   f"{_first_line(v['stdout'], 160)}"))
    return out


def summarize(cases: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    by_id = {r["id"]: r for r in results}
    failed = {c["id"]: failures(c, by_id[c["id"]]) for c in cases}
    counts = Counter(k for f in failed.values() for k in {k for k, _ in f})
    return {"cases": len(cases), "expect": dict(Counter(c["expect"] for c in cases)),
            "failed_cases": sum(1 for f in failed.values() if f), "by_kind": dict(counts),
            "failures": {k: v for k, v in failed.items() if v}}


def report(cases: list[dict[str, Any]], results: list[dict[str, Any]],
           limit_per_group: int | None = None) -> str:
    """Every failing case, grouped by kind of failure and category, one line each."""
    s = summarize(cases, results)
    cat = {c["id"]: c for c in cases}
    lines = [f"{s['cases']} cases ({s['expect']}); {s['failed_cases']} failing; "
             f"by kind: {s['by_kind']}"]
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for cid, fl in s["failures"].items():
        for kind, detail in fl:
            c = cat[cid]
            groups[(kind, c["category"])].append(
                f"    {cid!r} [{c['expect']}] {c['what'][:90]}\n        -> {detail}")
    for (kind, category), items in sorted(groups.items()):
        lines.append(f"  {kind} / {category}: {len(items)}")
        shown = items if limit_per_group is None else items[:limit_per_group]
        lines += shown
        if len(shown) < len(items):
            lines.append(f"    ... and {len(items) - len(shown)} more")
    return "\n".join(lines)


def _main_driver(argv: list[str]) -> int:
    import argparse

    sys.path.insert(0, str(HERE))
    from hostile_corpus import generate, sample, to_json

    ap = argparse.ArgumentParser(prog="hostile_worker.py --run")
    ap.add_argument("--run", required=True, metavar="DEST", help="folder for the corpus")
    ap.add_argument("--sample", action="store_true", help="only the quick sample")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--code", default=None, help="checkout to test (PYTHONPATH)")
    ap.add_argument("--json", default=None, help="write cases and results here")
    ap.add_argument("--only", default=None, help="cases whose id contains this")
    ap.add_argument("--timeout", type=int, default=TIMEOUT_S)
    a = ap.parse_args(argv)
    dest = Path(a.run).resolve()
    if dest.exists():
        shutil.rmtree(dest)
    cases = generate(dest)
    if a.sample:
        cases = sample(cases)
    if a.only:
        cases = [c for c in cases if a.only in c.id]
    cj = to_json(cases)
    t0 = time.time()

    shown = [0]

    def progress(done: int, total: int) -> None:
        if done - shown[0] >= 100 or done == total:
            shown[0] = done
            print(f"  {done}/{total} cases, {time.time() - t0:.0f} s", file=sys.stderr,
                  flush=True)

    results = run_cases(cj, dest, workers=a.workers, timeout=a.timeout,
                        code_root=Path(a.code).resolve() if a.code else None,
                        progress=progress)
    print(f"ran in {time.time() - t0:.0f} s", file=sys.stderr)
    if a.json:
        Path(a.json).write_text(json.dumps({"cases": cj, "results": results}, indent=1))
    print(report(cj, results))
    return 1 if summarize(cj, results)["failed_cases"] else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("--"):
        sys.exit(_main_driver(sys.argv[1:]))
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(worker(Path(sys.argv[1]), Path(sys.argv[2])))
