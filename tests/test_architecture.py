"""The layout's rules, checked on the source (docs/architecture.md explains them).

Imports are read with ``ast`` from every module of ``sim/``, ``optimize/`` and ``reports/``,
including imports inside functions (lazy imports count); imports under ``if TYPE_CHECKING:``
are for type checkers only and do not count.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "optimize", "reports")
MAX_LINES = 800
MAX_LINES_MODEL = 1000  # the model's core file (processes and the hot loop)


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path, name: str) -> set[str]:
    """Modules ``name`` (at ``path``) imports, absolute, outside TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            for a in node.names:  # ``from pkg import module``
                if f"{base}.{a.name}" in MODULES:
                    found.add(f"{base}.{a.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


IMPORTS = {name: _imports(path, name) for name, path in MODULES.items()}


def _ours(target: str) -> str | None:
    """The module of ours that ``target`` names (a module, or a name inside one)."""
    while target:
        if target in MODULES:
            return target
        target = target.rpartition(".")[0]
    return None


def test_no_import_cycles() -> None:
    graph = {m: {t for i in imps if (t := _ours(i)) and t != m} for m, imps in IMPORTS.items()}
    # a package's __init__ re-exporting its own modules is not an arrow back into it
    for m in graph:
        graph[m] = {t for t in graph[m] if not t.startswith(m + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def dfs(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append([*stack[stack.index(t):], t])
            elif t not in state:
                dfs(t, [*stack, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m, [m])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def _violations(prefix: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()
                ) -> list[str]:
    return [f"{m} imports {i}" for m, imps in sorted(IMPORTS.items())
            if (m == prefix or m.startswith(prefix + ".")) and m not in allowed
            for i in sorted(imps) if any(i == f or i.startswith(f + ".") for f in forbidden)]


def test_only_the_cli_reaches_into_optimize_and_reports() -> None:
    assert not _violations("sim", ("optimize", "reports"), allowed=("sim.cli",))


def test_optimize_never_imports_simpy_the_model_or_reports() -> None:
    assert not _violations("optimize", ("simpy", "sim.model", "sim.labor", "reports"))


def test_reports_read_results_and_never_simulate_or_optimize() -> None:
    assert not _violations("reports", ("simpy", "sim.model", "sim.labor", "optimize"))


def _non_blank(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name: str) -> None:
    limit = MAX_LINES_MODEL if name == "sim.model" else MAX_LINES
    assert _non_blank(MODULES[name]) <= limit, f"{MODULES[name]}: split it along its seams"


def test_simpy_private_queue_is_touched_in_one_file() -> None:
    private = re.compile(r"\._(queue|eid|now)\b")
    users = sorted(str(p.relative_to(ROOT)) for p in MODULES.values()
                   if private.search(p.read_text(encoding="utf-8")))
    assert users == ["sim/labor.py"], users


def test_no_banner_comments() -> None:
    banner = re.compile(r"^\s*# ?[-=#*]{10,}", re.M)
    assert not [str(p.relative_to(ROOT)) for p in MODULES.values()
                if banner.search(p.read_text(encoding="utf-8"))]


def test_replenishment_names_are_one_list() -> None:
    """The schema validates the names the policy registry builds (no import between them)."""
    from sim.policies import REPLENISHMENT
    from sim.scenario import REPLENISHMENT_BUILTINS

    assert set(REPLENISHMENT) == set(REPLENISHMENT_BUILTINS)


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    """A function-level import is an arrow like any other; TYPE_CHECKING ones are not."""
    f = tmp_path / "m.py"
    f.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import optimize\n"
                 "def f():\n    from reports import tables\n    return tables\n")
    assert _imports(f, "sim.m") == {"typing", "reports", "reports.tables"}


def test_hold_modes_are_one_list() -> None:
    """The schema's hold modes are the network's ``HoldMode`` members (no import between)."""
    from typing import get_args

    from sim.network import HOLD_MODES
    from sim.scenario import Hold

    assert set(get_args(Hold.model_fields["mode"].annotation)) == set(HOLD_MODES)


def test_transfer_policies_are_one_list() -> None:
    from typing import get_args

    from sim.model import TRANSFER_REVIEWS
    from sim.scenario import Transfers

    assert set(get_args(Transfers.model_fields["policy"].annotation)) == set(TRANSFER_REVIEWS)


def test_wave_is_registered_and_still_importable_from_sim_policies() -> None:
    import sim.policies
    from optimize.wave import Wave
    from sim.policies import routing_class

    assert routing_class("wave") is Wave and sim.policies.Wave is Wave


def test_reports_do_not_load_the_model_at_run_time() -> None:
    """Not only no direct import: importing every reports module leaves SimPy and the model
    unloaded (``sim.experiments`` imports its engine lazily)."""
    import subprocess
    import sys

    mods = sorted(f"reports.{p.stem}" for p in (ROOT / "reports").glob("*.py")
                  if p.stem != "__init__")
    code = ("import sys\n" + "".join(f"import {m}\n" for m in mods)
            + "bad = [m for m in ('simpy', 'sim.model', 'sim.labor', 'optimize') "
              "if m in sys.modules]\nprint(bad)\nassert not bad, bad\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_cli_loads_the_experiment_engine_only_for_experiments() -> None:
    """Every command pays for what ``sim.cli`` imports (about 0.6 s of SciPy's statistics and
    the engine, measured in benchmarks/README.md): ``run`` and ``validate`` load neither;
    ``compare`` and ``experiment`` import the engine when they start one."""
    import subprocess
    import sys

    code = ("import sys\nimport sim.cli\nfrom sim.cli_parser import build_parser\n"
            "build_parser()\n"
            "bad = [m for m in ('scipy.stats', 'sim.experiments.engine', "
            "'sim.experiments.selection', 'sim.experiments.stats') if m in sys.modules]\n"
            "print(bad)\nassert not bad, bad\n"
            "from sim.cli import _scenarios_experiment\nfrom sim.scenario import load_scenario\n"
            "exp = _scenarios_experiment('x', [load_scenario('scenarios/baseline.toml')], "
            "None, 2)\nassert type(exp).__module__ == 'sim.experiments.engine', exp\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
