"""Reading a scenario file: TOML, ``extends`` chains and ``replace``, data paths relative to
the file that names them, which file named each policy, the what-if edits ``like`` and
``remove`` (:mod:`sim.scenario.edits`), and validation into a :class:`~sim.scenario.Scenario`
with its data tables."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.scenario.edits import apply_remove, check_remove, resolve_like
from sim.scenario.schema import Scenario, validate_scenario_dict
from sim.scenario.tables import _check_suppliers, _is_file, _load_tables
from sim.scenario.types import ScenarioError


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(dict(out[k]), v)
        else:
            out[k] = v
    return out


MAX_EXTENDS = 32
"""Longest ``extends`` chain (a scenario and its ancestors) that is read."""

POLICY_FIELDS = ("routing.policy", "replenishment.policy",
                 *(f"replenishment.classes.{c}.policy" for c in ("A", "B", "C")))
"""Fields that may name a user's ``module:Class``, looked up beside the file naming it."""


def _get(data: Mapping[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data


def _read_toml(path: Path, chain: tuple[Path, ...] = (),
               origins: dict[str, Path] | None = None,
               removals: list[str] | None = None) -> dict[str, Any]:
    """Read a scenario file, resolving ``extends``; relative data paths stay relative to it.

    ``origins`` (if given) receives, for each of :data:`POLICY_FIELDS`, the file whose value
    won the merge: a policy module is looked up beside the file that names it.  ``removals``
    (if given) receives the ``remove`` lists of the chain, the farthest ancestor's first, each
    checked against the scenario merged up to its own file; the key ``remove`` is taken out
    of the result (a child's list would otherwise replace its parent's).
    """
    if path in chain:
        raise ScenarioError(f"{path}: 'extends' forms a cycle: "
                            + " -> ".join(str(p) for p in (*chain, path)))
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError(f"{chain[0]}: field 'extends': the chain of files it extends is "
                            f"longer than {MAX_EXTENDS} files (at {path}); flatten it.")
    if not _is_file(path):
        if chain:
            raise ScenarioError(f"{chain[-1]}: field 'extends': scenario file {path} "
                                "does not exist (or is not a regular file).")
        raise ScenarioError(f"{path}: scenario file does not exist (or is not a regular "
                            "file).")
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SCENARIO_BYTES + 1)
        if len(raw) > MAX_SCENARIO_BYTES:
            raise ScenarioError(f"{path}: larger than {MAX_SCENARIO_BYTES // 2**20} MiB; a "
                                "scenario file is a short text file (data goes in CSV files).")
        data = tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}.") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file.") from None
    except RecursionError:
        raise ScenarioError(f"{path}: arrays or tables nested too deeply.") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc.strerror or exc}.") from None
    # Data files named in this file are relative to this file.
    fields = [("catalog", "file"), ("inventory", "file"), ("inventory", "forecast_file"),
              ("carrier", "zone_chart"), ("routing", "assignment_file"),
              ("shipping", "cartons", "file"), ("demand", "destinations", "file"),
              ("demand", "orders_file")]
    services = data.get("services")
    if isinstance(services, dict):
        fields += [("services", name, "rates") for name in services]
    for keys in fields:
        table: Any = data
        for k in keys[:-1]:
            table = table.get(k) if isinstance(table, dict) else None
        if isinstance(table, dict) and isinstance(table.get(keys[-1]), str):
            table[keys[-1]] = str(_relative(path, table[keys[-1]], ".".join(keys)))
    remove = data.pop("remove", None)
    parent = data.get("extends")
    if parent is None:
        _note_policies(data, path, origins)
        _note_removals(data, path, remove, removals)
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: field 'extends': expected a file name (string).")
    base = _read_toml(_relative(path, parent, "extends"), (*chain, path), origins, removals)
    replace = data.get("replace", [])
    if not isinstance(replace, list) or not all(isinstance(r, str) for r in replace):
        raise ScenarioError(f"{path}: field 'replace': expected a list of section names "
                            "(e.g. [\"fcs\", \"inventory\"]).")
    for section in replace:  # these sections replace the parent's instead of merging into it
        if section not in data:
            raise ScenarioError(f"{path}: field 'replace': section '{section}' is not defined "
                                "in this file, so there is nothing to replace it with.")
        base.pop(section, None)
    _note_policies(data, path, origins)
    merged = _deep_merge(base, data)
    _note_removals(merged, path, remove, removals)
    return merged


def _note_removals(merged: dict[str, Any], path: Path, remove: Any,
                   removals: list[str] | None) -> None:
    """Check ``path``'s own ``remove`` list against the scenario merged up to ``path`` (FC
    templates resolved where they can be yet) and add it to ``removals``."""
    if remove is None:
        return
    try:
        seen = resolve_like(merged, path)
    except ScenarioError:  # a template a later file completes: reported after the merge
        seen = merged
    names = check_remove(seen, path, remove)
    if removals is not None:
        removals.extend(names)


def _read_edited(path: Path, origins: dict[str, Path] | None = None) -> dict[str, Any]:
    """The scenario at ``path`` merged through its ``extends`` chain, with ``like`` resolved
    and then every ``remove`` of the chain applied (the farthest ancestor's first)."""
    removals: list[str] = []
    data = _read_toml(path, origins=origins, removals=removals)
    data = resolve_like(data, path)
    return apply_remove(data, path, removals, missing_ok=True)


def _relative(path: Path, name: str, field: str) -> Path:
    """``name`` (a file named in scenario ``path``) resolved against the folder of ``path``."""
    if not name.strip() or "\x00" in name or not name.isprintable():
        raise ScenarioError(f"{path}: field '{field}': {name!r} is not a usable file name.")
    try:
        return (path.parent / name).resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise ScenarioError(f"{path}: field '{field}': {name!r} is not a usable file name "
                            f"({exc}).") from None


def _note_policies(data: Mapping[str, Any], path: Path, origins: dict[str, Path] | None
                   ) -> None:
    if origins is None:
        return
    for f in POLICY_FIELDS:
        if isinstance(_get(data, f), str):
            origins[f] = path


MAX_SCENARIO_BYTES = 4 * 2**20


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge, validate and load a scenario file with its data tables.

    Loading imports no policy code: ``sim.policies.check_policies`` does that (``fulfill
    validate`` and ``run`` call it), and the model builds the policies.

    Raises
    ------
    ScenarioError
        With a one-paragraph message naming the file and field, for any problem.
    """
    path = Path(path).resolve()
    origins: dict[str, Path] = {}
    try:
        data = _read_edited(path, origins)
        sc = validate_scenario_dict(data, path)
    except RecursionError:
        raise ScenarioError(f"{path}: arrays or tables nested too deeply.") from None
    try:
        tables = _load_tables(sc, path.parent)
    except ScenarioError as exc:  # a data file named by a field that is missing or a folder
        if str(exc).startswith("'"):
            raise ScenarioError(f"{path}: field {exc}") from None
        raise
    sc = sc.with_files(path, origins, tables)
    _check_suppliers(sc, path)
    return sc


def read_toml(path: str | Path) -> dict[str, Any]:
    """The merged TOML of a scenario file (``extends`` resolved, data paths absolute, ``like``
    resolved and ``remove`` applied), before validation: what an optimizer copies settings
    from."""
    path = Path(path).resolve()
    try:
        return _read_edited(path)
    except RecursionError:
        raise ScenarioError(f"{path}: arrays or tables nested too deeply.") from None
