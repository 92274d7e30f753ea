"""Tuning scenario parameters: Optuna searches, every trial scored under common random numbers.

``fulfill tune SCENARIO --param KEY=LOW:HIGH[:int|:log] ... --objective KPI --trials N
--reps R --store DIR --out BEST.toml`` runs :class:`Tuner`:

- **Search**: Optuna's TPE sampler (default) or CMA-ES (``--sampler cmaes``), seeded from the
  scenario's seed, so the same command proposes the same trials.
- **Common random numbers**: every trial is scored on the same replications ``0..R-1`` of the
  scenario's seed: trials differ by their parameters, not by their luck.
- **Constraints** (``"on_time_rate>=0.9"``): with TPE, Optuna's constrained TPE (each trial
  sets its constraint values with ``Trial.set_constraint``; a trial is feasible when every
  value is ``<= 0``; the sampler models feasibility, and the best trial is the best feasible
  one).  A constraint KPI that is not defined in a trial (NaN, e.g. no order due before a
  short horizon) makes that trial infeasible.  CMA-ES has no constraint
  support in Optuna, so there a stated penalty is added to the objective: ``1,000 x`` the
  relative violation of each constraint (a violated trial never beats a feasible one of a
  plausible cost); the best trial is still chosen among the feasible ones only.
- **Pruning**: a paired test against the incumbent (the best feasible trial so far).  A trial
  runs the first half of its replications (at least 2); its paired difference from the
  incumbent on those replications gets a 95 % t-interval, and when the whole interval is on
  the worse side the trial is pruned (the remaining replications are not run).  Pairing makes
  this sharp: both trials saw the same orders.
- **Store and resume**: runs go into a run store (:mod:`sim.experiments.store`; a run already
  there is not run again), the Optuna study into ``DIR/study.db`` (SQLite), every trial into
  ``DIR/trials.parquet``; ``DIR/tune.json`` records the search space, and a store made for a
  different one is refused unless ``force``.  Rerunning the command continues the study.
- **Confirmation**: the best values and the starting values are run again on replications
  the search never saw (``10,000 ..``), and their paired difference is reported with its
  interval: an out-of-sample check of what tuning found.
"""

from __future__ import annotations

import difflib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.engine import run_tasks
from sim.experiments.runs import (
    RunTask,
    code_version,
    policy_digests,
    policy_sources,
    run_key,
)
from sim.experiments.spec import (
    Constraint,
    ExperimentError,
    _dotted_keys,
    parse_constraint,
    with_values,
)
from sim.experiments.stats import t_interval, verdict
from sim.experiments.store import Store, write_parquet_atomic
from sim.scenario import Scenario

__all__ = ["CONFIRM_FIRST", "Param", "TuneResult", "Tuner", "parse_param"]

CONFIRM_FIRST = 10_000
"""First replication of the confirmation runs (never used by the search)."""
PENALTY = 1_000.0


@dataclass(frozen=True)
class Param:
    """A tuned key: a range (``float``, ``int`` or ``log``) or a list of choices."""

    key: str
    kind: str
    low: float = math.nan
    high: float = math.nan
    choices: tuple[Any, ...] = ()

    def text(self) -> str:
        if self.kind == "choice":
            return f"{self.key}={','.join(map(str, self.choices))}"
        return f"{self.key}={self.low:g}:{self.high:g}:{self.kind}"


def _number(text: str, where: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ExperimentError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(v):
        raise ExperimentError(f"{where}: {text!r} is not a finite number")
    return v


def _choice(text: str) -> Any:
    t = text.strip()
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(t.lower(), t)


def parse_param(text: str) -> Param:
    """``KEY=LOW:HIGH``, ``KEY=LOW:HIGH:int``, ``KEY=LOW:HIGH:log`` or ``KEY=a,b,c``."""
    key, eq, spec = text.partition("=")
    key, spec = key.strip(), spec.strip()
    where = f"--param {text!r}"
    if not eq or not key or not spec:
        raise ExperimentError(f"{where}: expected KEY=LOW:HIGH[:int|:log] or KEY=a,b,c")
    if ":" not in spec:
        choices = tuple(_choice(c) for c in spec.split(",") if c.strip())
        if len(choices) < 2:
            raise ExperimentError(f"{where}: give at least two choices, e.g. {key}=5,10,15")
        return Param(key, "choice", choices=choices)
    parts = spec.split(":")
    kind = parts[2].strip().lower() if len(parts) == 3 else "float"
    if len(parts) not in (2, 3) or kind not in ("float", "int", "log"):
        raise ExperimentError(f"{where}: expected LOW:HIGH, LOW:HIGH:int or LOW:HIGH:log")
    low, high = _number(parts[0], where), _number(parts[1], where)
    if low >= high:
        raise ExperimentError(f"{where}: LOW ({low:g}) must be below HIGH ({high:g})")
    if kind == "log" and low <= 0:
        raise ExperimentError(f"{where}: a log range needs LOW > 0")
    if kind == "int" and (low != round(low) or high != round(high)):
        raise ExperimentError(f"{where}: an int range needs whole LOW and HIGH")
    return Param(key, kind, low, high)


@dataclass
class TuneResult:
    """Every trial, the best feasible one, and its out-of-sample confirmation."""

    trials: pd.DataFrame
    best: dict[str, Any] | None
    start: dict[str, Any]
    confirmation: pd.DataFrame = field(default_factory=pd.DataFrame)
    importances: dict[str, float] = field(default_factory=dict)
    note: str = ""


def _known_kpi(name: str) -> bool:
    from sim.inventory import INVENTORY_KPI_DOC
    from sim.kpis import KPI_DOC

    base = name.split(".", 1)[0]
    return base in KPI_DOC or base in INVENTORY_KPI_DOC


class Tuner:
    """A tuning study of ``params`` of ``base`` (see the module docstring)."""

    def __init__(self, base: Scenario, params: Sequence[Param], *, objective: str,
                 maximize: bool = False, constraints: Sequence[str] = (), trials: int = 20,
                 reps: int = 3, sampler: str = "tpe", confirm_reps: int | None = None,
                 name: str = "tune") -> None:
        if not _known_kpi(objective):
            close = difflib.get_close_matches(objective, sorted(_kpi_names()), n=3)
            raise ExperimentError(f"--objective {objective!r} is not a KPI"
                                  + (f"; did you mean {', '.join(close)}?" if close else
                                     "; see the KPI table in the README"))
        self.cons: list[Constraint] = [parse_constraint(c) for c in constraints]
        for c in self.cons:
            if not _known_kpi(c.kpi):
                close = difflib.get_close_matches(c.kpi, sorted(_kpi_names()), n=3)
                raise ExperimentError(f"--constraint: {c.kpi!r} is not a KPI"
                                      + (f"; did you mean {', '.join(close)}?" if close else ""))
        if trials < 1 or reps < 1:
            raise ExperimentError("--trials and --reps must be at least 1")
        if sampler not in ("tpe", "cmaes"):
            raise ExperimentError(f"--sampler {sampler!r}: expected tpe or cmaes")
        data = base.model_dump()
        known = set(_dotted_keys(data))
        self.start: dict[str, Any] = {}
        for p in params:
            if p.key not in known:
                close = difflib.get_close_matches(p.key, sorted(known), n=3, cutoff=0.5)
                raise ExperimentError(f"--param: {p.key!r} is not a key of the scenario"
                                      + (f"; nearest: {', '.join(close)}" if close else ""))
            node: Any = data
            for part in p.key.split("."):
                node = node[part]
            if p.kind != "choice" and (isinstance(node, bool)
                                       or not isinstance(node, int | float)):
                raise ExperimentError(f"--param: {p.key!r} is {node!r}, not a number: only "
                                      "numeric keys take a range (give choices a,b,c)")
            self.start[p.key] = node
        if len({p.key for p in params}) < len(params):
            raise ExperimentError("--param: the same key twice")
        self.base, self.params, self.objective, self.maximize = base, list(params), \
            objective, maximize
        self.trials, self.reps, self.sampler, self.name = trials, reps, sampler, name
        self.confirm_reps = confirm_reps or max(5, reps)
        self._code = code_version()

    # -- identity ----------------------------------------------------------------------------
    def space(self) -> dict[str, Any]:
        return {"scenario_digest": self.base.digest(), "seed": self.base.run.seed,
                "params": [p.text() for p in self.params], "objective": self.objective,
                "maximize": self.maximize, "constraints": [f"{c.kpi}{c.op}{c.value:g}"
                                                           for c in self.cons],
                "reps": self.reps, "sampler": self.sampler}

    def _check_space(self, path: Path, force: bool) -> None:
        f = path / "tune.json"
        if f.is_file() and not force:
            try:
                old = json.loads(f.read_text(encoding="utf-8")).get("space")
            except (ValueError, AttributeError):
                old = None
            if old != self.space():
                raise ExperimentError(
                    f"{path} holds a tuning study of another search space (parameters, "
                    "objective, constraints, replications or scenario differ); choose another "
                    "--store, or pass --force to continue in it anyway")

    # -- running -------------------------------------------------------------------------------
    def _scenario(self, values: Mapping[str, Any]) -> Scenario:
        return with_values(self.base, values, "--param")

    def _score(self, st: Store, label: str, sc: Scenario, reps: Sequence[int], jobs: int,
               dask: str | None, values: Mapping[str, Any]) -> dict[int, dict[str, float]]:
        """KPIs of ``sc`` for each replication in ``reps`` (from the store, or run now)."""
        digest, pol, src = sc.digest(), policy_digests(sc), policy_sources(sc)
        keys = {r: run_key(digest, sc.run.seed, r, self._code, pol) for r in reps}
        have = {str(row["run_key"]): row for row in st.rows}
        tasks = [RunTask(i, label, r, sc, keys[r], None, src)
                 for i, r in enumerate(r for r in reps if keys[r] not in have)]
        for i, res in run_tasks(tasks, jobs=jobs, dask=dask):
            t = tasks[i]
            row = {"experiment": st.experiment, "variant": label,
                   **{f"param.{k}": float(v) if isinstance(v, int | float) else str(v)
                      for k, v in values.items()},
                   "replication": t.replication, "seed": sc.run.seed,
                   "scenario_digest": digest, "code_version": self._code,
                   "policy_digests": str(sorted(pol.items())), "run_key": t.key,
                   "wall_s": res["wall_s"], "simulate_s": res["simulate_s"],
                   "orders": res["orders"], **{k: float(x) for k, x in res["kpis"].items()}}
            st.add(row, res["kpis"], res.get("series"))
            have[t.key] = row
        return {r: {k: float(v) for k, v in have[keys[r]].items()
                    if isinstance(v, int | float) and not isinstance(v, bool)}
                for r in reps}

    def _value(self, kpis: Mapping[int, Mapping[str, float]], kpi: str) -> list[float]:
        return [float(kpis[r].get(kpi, math.nan)) for r in sorted(kpis)]

    def run(self, store: str | Path, *, jobs: int = 1, dask: str | None = None,
            force: bool = False, progress: Callable[[str], None] | None = None) -> TuneResult:
        import optuna

        say = progress or (lambda s: None)
        path = Path(store)
        with Store(path, f"tune:{self.name}", force=force) as st:
            self._check_space(path, force)
            from sim.files import atomic_write_text

            atomic_write_text(path / "tune.json", json.dumps(
                {"space": self.space(), "start": self.start}, indent=1, default=str) + "\n")
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            seed = self.base.run.seed % 2**32
            # TPE reads the constraint values each trial sets (Trial.set_constraint)
            sampler: optuna.samplers.BaseSampler = (
                optuna.samplers.TPESampler(seed=seed) if self.sampler == "tpe"
                else optuna.samplers.CmaEsSampler(seed=seed))
            storage = f"sqlite:///{(path / 'study.db').resolve()}"
            study = optuna.create_study(
                study_name="tune", storage=storage, load_if_exists=True, sampler=sampler,
                direction="maximize" if self.maximize else "minimize")
            # a trial interrupted mid-way is abandoned (its finished runs stay in the store)
            done = [t for t in study.trials if t.state in (optuna.trial.TrialState.COMPLETE,
                                                          optuna.trial.TrialState.PRUNED)]
            for _ in range(max(0, self.trials - len(done))):
                t0 = time.perf_counter()
                trial = study.ask()
                values = self._suggest(trial)
                label = f"trial {trial.number}"
                _, note = self._evaluate(study, trial, st, label, values, jobs, dask)
                say(f"{label}: {note} ({time.perf_counter() - t0:.0f} s)")
                self._write_trials(path, study)
            frame = self._write_trials(path, study)
            best = self._best(frame)
            importances: dict[str, float] = {}
            complete = [t for t in study.trials
                        if t.state == optuna.trial.TrialState.COMPLETE]
            if len(complete) >= 2 and len(self.params) > 1:
                try:
                    importances = dict(optuna.importance.get_param_importances(study))
                except (RuntimeError, ValueError, ZeroDivisionError):
                    importances = {}
            confirmation = pd.DataFrame()
            note = ""
            if best is not None:
                say("confirming the best values against the starting values on "
                    f"{self.confirm_reps} fresh replications")
                confirmation = self._confirm(st, best, jobs, dask)
                write_parquet_atomic(path / "confirmation.parquet", confirmation)
                self._write_design(st, best)
            else:
                note = "no trial met every constraint"
            atomic_write_text(path / "tune.json", json.dumps(
                {"space": self.space(), "start": self.start, "best": best,
                 "importances": importances, "note": note}, indent=1, default=str) + "\n")
            return TuneResult(frame, best, dict(self.start), confirmation, importances, note)

    def _write_design(self, st: Store, best: Mapping[str, Any]) -> None:
        """``experiment.json`` as an experiment's: the two confirmation variants (start,
        best) with their scenarios, so that ``fulfill report DIR`` compares them."""
        from sim.experiments.engine import Experiment
        from sim.experiments.spec import ExperimentSpec, Variant

        spec = ExperimentSpec(name=st.experiment, base=str(self.base.source or ""),
                              replications=self.confirm_reps, objective=self.objective,
                              maximize=self.maximize,
                              constraints=[f"{c.kpi} {c.op} {c.value:g}" for c in self.cons])
        exp = Experiment(spec, [Variant("start (confirmation)", self.base),
                                Variant("best (confirmation)",
                                        self._scenario(best["values"]), dict(best["values"]))])
        st.write_design(spec.model_dump(mode="json"), exp.design())

    def _suggest(self, trial: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p in self.params:
            if p.kind == "choice":
                out[p.key] = trial.suggest_categorical(p.key, list(p.choices))
            elif p.kind == "int":
                out[p.key] = trial.suggest_int(p.key, int(p.low), int(p.high))
            else:
                out[p.key] = trial.suggest_float(p.key, p.low, p.high, log=p.kind == "log")
        return out

    def _sign(self) -> float:
        return -1.0 if self.maximize else 1.0

    def _evaluate(self, study: Any, trial: Any, st: Store, label: str,
                  values: Mapping[str, Any], jobs: int, dask: str | None) -> tuple[str, str]:
        import optuna

        try:
            sc = self._scenario(values)
        except ExperimentError as exc:  # values the scenario refuses: a failed trial
            trial.set_user_attr("error", str(exc))
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            return "fail", f"refused by the scenario: {exc}"
        first = list(range(max(2, (self.reps + 1) // 2) if self.reps > 1 else 1))
        kpis = self._score(st, label, sc, first, jobs, dask, values)
        incumbent = self._incumbent(study)
        if incumbent is not None and len(first) < self.reps:
            ours = self._value(kpis, self.objective)
            theirs = [incumbent["per_rep"].get(str(r), math.nan) for r in first]
            d = t_interval([self._sign() * (a - b) for a, b in zip(ours, theirs, strict=True)])
            if d.n >= 2 and d.low > 0:
                trial.set_user_attr("pruned_by", f"paired interval against trial "
                                    f"{incumbent['number']} on replications "
                                    f"{first[0]}-{first[-1]}: worse by {d.mean:.4g} "
                                    f"± {d.half_width:.3g}")
                self._set_constraints(trial, kpis)
                trial.set_user_attr("reps_run", len(first))
                trial.set_user_attr("per_rep", {str(r): v for r, v in zip(first, ours,
                                                                         strict=True)})
                trial.report(float(sum(ours) / len(ours)), step=len(first))
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                return "pruned", trial.user_attrs["pruned_by"]
        kpis |= self._score(st, label, sc, list(range(len(first), self.reps)), jobs, dask,
                            values)
        obj = self._value(kpis, self.objective)
        mean = sum(obj) / len(obj)
        cvals = self._set_constraints(trial, kpis)
        trial.set_user_attr("per_rep", {str(r): v for r, v in zip(sorted(kpis), obj,
                                                                 strict=True)})
        trial.set_user_attr("reps_run", self.reps)
        if not math.isfinite(mean):
            why = (f"{self.objective} is not defined in these runs (NaN: e.g. no order due "
                   "before the horizon; lengthen --days)")
            trial.set_user_attr("error", why)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            return "fail", why
        told = mean
        if self.sampler == "cmaes" and cons_violated(cvals):
            scale = max(abs(mean), 1e-9)
            told = mean + self._sign() * PENALTY * scale * sum(
                max(0.0, v) / max(abs(c.value), 1e-9) for v, c in zip(cvals, self.cons,
                                                                       strict=True))
        study.tell(trial, told)
        feasible = not cons_violated(cvals)
        return "complete", f"{self.objective} {mean:.4g}" + ("" if feasible else
                                                              " (violates a constraint)")

    def _set_constraints(self, trial: Any, kpis: Mapping[int, Mapping[str, float]]
                         ) -> list[float]:
        """Each constraint's value for Optuna (feasible when <= 0: ``X - mean`` for
        ``KPI >= X``, ``mean - X`` for ``KPI <= X``) over the replications run; set once, as
        the trial ends."""
        means, values = [], []
        for i, c in enumerate(self.cons):
            v = self._value(kpis, c.kpi)
            m = sum(v) / len(v)
            means.append(m)
            gap = (c.value - m) if c.op == ">=" else (m - c.value)
            values.append(gap if math.isfinite(gap) else 1e9)  # undefined: infeasible
            if self.sampler == "tpe":
                trial.set_constraint(f"c{i}", values[-1])
        trial.set_user_attr("constraint_values", values)
        trial.set_user_attr("constraint_means", means)
        return values

    def _incumbent(self, study: Any) -> dict[str, Any] | None:
        import optuna

        best = None
        for t in study.trials:
            if t.state != optuna.trial.TrialState.COMPLETE:
                continue
            if cons_violated(t.user_attrs.get("constraint_values", [])):
                continue
            per = t.user_attrs.get("per_rep", {})
            vals = [per[str(r)] for r in range(self.reps) if str(r) in per]
            if len(vals) < self.reps:
                continue
            m = sum(vals) / len(vals)
            if best is None or self._sign() * m < self._sign() * best["mean"]:
                best = {"number": t.number, "mean": m, "per_rep": per}
        return best

    def _write_trials(self, path: Path, study: Any) -> pd.DataFrame:
        rows = []
        for t in study.trials:
            per = t.user_attrs.get("per_rep", {})
            vals = list(per.values())
            row: dict[str, Any] = {
                "trial": t.number, "state": t.state.name.lower(),
                **{f"param.{k}": v for k, v in t.params.items()},
                "objective": sum(vals) / len(vals) if vals else math.nan,
                "reps_run": int(t.user_attrs.get("reps_run", 0)),
                "pruned": t.state.name == "PRUNED",
                "why": t.user_attrs.get("pruned_by", t.user_attrs.get("error", ""))}
            means = t.user_attrs.get("constraint_means", [math.nan] * len(self.cons))
            cv = t.user_attrs.get("constraint_values", [math.nan] * len(self.cons))
            for c, m, v in zip(self.cons, means, cv, strict=True):
                row[f"constraint.{c.kpi}"] = m
                row[f"violation.{c.kpi}"] = max(0.0, v) if math.isfinite(v) else math.nan
            row["feasible"] = bool(t.state.name == "COMPLETE" and not cons_violated(cv))
            rows.append(row)
        frame = pd.DataFrame(rows)
        if not frame.empty:
            write_parquet_atomic(path / "trials.parquet", frame)
        return frame

    def _best(self, frame: pd.DataFrame) -> dict[str, Any] | None:
        if frame.empty:
            return None
        ok = frame[frame["feasible"] & (frame["reps_run"] >= self.reps)]
        if ok.empty:
            return None
        row = ok.sort_values("objective", ascending=not self.maximize).iloc[0]
        values = {p.key: _plain(row[f"param.{p.key}"], p) for p in self.params}
        return {"trial": int(row["trial"]), "objective": float(row["objective"]),
                "values": values}

    def _confirmation_runs(self, st: Store, best: Mapping[str, Any], jobs: int,
                           dask: str | None) -> tuple[dict[int, dict[str, float]],
                                                      dict[int, dict[str, float]]]:
        """The start's and the best's KPIs on the fresh replications (10,000 and up)."""
        reps = list(range(CONFIRM_FIRST, CONFIRM_FIRST + self.confirm_reps))
        a = self._score(st, "start (confirmation)", self.base, reps, jobs, dask, self.start)
        b = self._score(st, "best (confirmation)", self._scenario(best["values"]), reps, jobs,
                        dask, best["values"])
        return a, b

    def _confirm(self, st: Store, best: Mapping[str, Any], jobs: int,
                 dask: str | None) -> pd.DataFrame:
        a, b = self._confirmation_runs(st, best, jobs, dask)
        rows = []
        for kpi in dict.fromkeys([self.objective, *[c.kpi for c in self.cons]]):
            sa, sb = self._value(a, kpi), self._value(b, kpi)
            d = t_interval([y - x for x, y in zip(sa, sb, strict=True)])
            ia, ib = t_interval(sa), t_interval(sb)
            rows.append({"kpi": kpi, "start": ia.mean, "start_half_width": ia.half_width,
                         "best": ib.mean, "best_half_width": ib.half_width, "diff": d.mean,
                         "diff_half_width": d.half_width, "verdict": verdict(kpi, d),
                         "replications": d.n})
        return pd.DataFrame(rows)


def cons_violated(values: Sequence[float]) -> bool:
    return any(v > 0 for v in values)


def _plain(v: Any, p: Param) -> Any:
    if p.kind == "int":
        return int(v)
    if p.kind == "choice":
        for c in p.choices:
            if str(c) == str(v):
                return c
    return float(v)


def _kpi_names() -> list[str]:
    from sim.inventory import INVENTORY_KPI_DOC
    from sim.kpis import KPI_DOC

    return [*KPI_DOC, *INVENTORY_KPI_DOC]


def nested(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b.c": 1}`` -> ``{"a": {"b": {"c": 1}}}`` (a scenario patch)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        node = out
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return out


def write_best(result: TuneResult, scenario: Path, out: Path) -> Path:
    """``out``: a scenario that ``extends`` the tuned one with the best values, the search and
    the out-of-sample confirmation in its header (nothing the tool did not write is
    replaced)."""
    from sim.scenario import write_scenario

    if result.best is None:
        raise ExperimentError("no trial met every constraint: nothing to write")
    head = [f"tune: trial {result.best['trial']} of {len(result.trials)}, "
            f"the best feasible on the search's replications."]
    for row in result.confirmation.itertuples():
        head.append(f"Out of sample ({row.replications} fresh replications): {row.kpi} "
                    f"{row.start:.4g} -> {row.best:.4g}, paired difference {row.diff:+.4g} "
                    f"± {row.diff_half_width:.3g}: {row.verdict}.")
    return write_scenario(out, extends=scenario, patch=nested(result.best["values"]),
                          header=head)
