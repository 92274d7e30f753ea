"""What-if edits of a merged scenario, before validation: FC templates (``like``) and
removals (``remove``).

Both are pure functions on the merged TOML dict (``extends`` already resolved); neither
changes its argument.  :func:`sim.scenario.loading.load_scenario` calls them once, on the
fully merged scenario, ``like`` first, so the schema never sees the keys ``like`` and
``remove``.

``[fcs.atlanta] like = "dallas"``
    The new FC copies every setting of FC ``dallas`` (shifts, costs, pick and pack times,
    receiving, pickups, service pickups) except its position (``zip``, ``lat``, ``lon``),
    and its own keys are merged over the copy key by key (``[fcs.atlanta.shifts.day]
    pickers = 6`` changes that one number).  The new FC must give its own position.  The
    template may be any FC of the merged scenario, itself defined with ``like`` (chains
    resolve in order: the template's own overrides apply before the new FC's).

``remove = ["services.next_day", "fcs.dallas", "demand.channels.social"]``
    Deletes each dotted path (a table, nested ones included, or a single setting, which then
    takes its default) from the merged scenario, in order, with the references to it that
    can go safely:

    * a service (``services.X``, or all of ``services``): every FC's
      ``service_pickups.X``.  ``[shipping] policy = "fixed:X"`` is not changed for the
      planner: it is an error that names the field.
    * an FC (``fcs.X``): its entry in ``network.open_fcs`` and in the ``fcs`` lists of
      ``[[staffing.changes]]`` (a change left naming none of its FCs goes, as does one
      left naming none of its shifts after ``fcs.X.shifts.Y`` is removed).  Data files
      naming the FC (a stock, forecast or assignment file) are not edited: the table loader
      reports the FC they name.
    * a channel (``demand.channels.X``): the remaining channels' shares are scaled in
      proportion so that they sum to one again: the removed channel's orders are spread
      over the others (``orders_per_day`` is unchanged).  Set the shares yourself to spread
      them otherwise.

    Removing a required section (``demand``), the last channel or the last FC leaves it to
    the schema's usual "field missing" or "at least one" message.

Down an ``extends`` chain, ``remove`` lists accumulate (they are not merged like other
arrays): each file's list is checked against the scenario merged up to that file, and all of
them are applied to the fully merged scenario, the farthest ancestor's first; a path that a
later file's ``replace`` took away is skipped.  So what a parent removes stays removed in its
children (a child cannot bring it back; extend the grandparent instead).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.scenario.types import ScenarioError

POSITION_KEYS = ("zip", "lat", "lon")
"""An FC's position: never copied by ``like``."""

MAX_REMOVE = 1000
"""Most entries a ``remove`` list may have."""


def _names(candidates: Sequence[str], wanted: str, what: str) -> str:
    """``nearest: a, b`` (close matches of ``wanted``) or ``<what>: <the candidates>``."""
    near = difflib.get_close_matches(wanted, list(candidates), n=3, cutoff=0.6)
    if near:
        return "nearest: " + ", ".join(near)
    shown = list(candidates)[:12]
    more = ", ..." if len(candidates) > len(shown) else ""
    return f"{what}: " + (", ".join(shown) + more if shown else "none")


def resolve_like(data: Mapping[str, Any], path: Path | str = "<scenario>") -> dict[str, Any]:
    """``data`` with every ``[fcs.<name>] like = "<template>"`` resolved (see the module).

    Raises
    ------
    ScenarioError
        For a ``like`` that is not an FC name, names no FC (with the nearest names), forms a
        cycle, or a new FC without its own ``zip`` or ``lat``/``lon``.
    """
    out = dict(data)
    fcs = data.get("fcs")
    if not isinstance(fcs, Mapping) or not any(
            isinstance(fc, Mapping) and "like" in fc for fc in fcs.values()):
        return out
    done: dict[str, Any] = {n: fc for n, fc in fcs.items()
                            if not isinstance(fc, Mapping) or "like" not in fc}
    for first in fcs:
        chain: list[str] = []  # FCs waiting for their template, each the next one's copy
        name = first
        while name not in done:
            fc = fcs[name]
            field = f"fcs.{name}.like"
            template = fc["like"]
            if not isinstance(template, str):
                raise ScenarioError(f"{path}: field '{field}': expected the name of another "
                                    f"FC (a string), got {template!r}.")
            if not any(k in fc for k in POSITION_KEYS):
                raise ScenarioError(f"{path}: fcs.{name}: a new FC needs its own position: "
                                    f"give zip or lat and lon ('like = \"{template}\"' copies "
                                    "every other setting).")
            chain.append(name)
            if template in chain:
                cycle = " -> ".join((*chain[chain.index(template):], template))
                raise ScenarioError(f"{path}: field '{field}': 'like' forms a cycle: "
                                    f"{cycle}; one of these FCs must give its own settings.")
            if template not in fcs:
                others = [n for n in fcs if n != name]
                raise ScenarioError(f"{path}: field '{field}': there is no FC '{template}' "
                                    f"({_names(others, template, 'FCs are')}).")
            if not isinstance(fcs[template], Mapping):
                raise ScenarioError(f"{path}: field '{field}': FC '{template}' is not a "
                                    "table of settings, so there is nothing to copy.")
            name = template
        base = done[name]
        for name in reversed(chain):  # the template's own overrides first
            own = {k: v for k, v in fcs[name].items() if k != "like"}
            base = done[name] = _deep_merge(
                {k: v for k, v in base.items() if k not in POSITION_KEYS}, own)
    out["fcs"] = {name: done[name] for name in fcs}
    return out


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into a deep copy of ``base`` key by key (arrays and values replaced)."""
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def check_remove(data: Mapping[str, Any], path: Path | str, remove: Any) -> list[str]:
    """``remove`` (the value of a file's ``remove``) checked: a list of dotted paths that
    each exist in ``data`` (the scenario merged up to that file).

    Raises
    ------
    ScenarioError
        If ``remove`` is not a list of strings, or a path does not exist (with the nearest
        existing paths).
    """
    if not isinstance(remove, list) or not all(isinstance(r, str) for r in remove):
        raise ScenarioError(f"{path}: field 'remove': expected a list of dotted names of "
                            "tables or settings (e.g. [\"services.next_day\", "
                            "\"fcs.dallas\"]).")
    if len(remove) > MAX_REMOVE:
        raise ScenarioError(f"{path}: field 'remove': {len(remove)} entries; at most "
                            f"{MAX_REMOVE} are read.")
    for dotted in remove:
        if _lookup(data, dotted) is None:
            raise ScenarioError(f"{path}: field 'remove': '{dotted}' does not exist in the "
                                f"scenario; {_missing(data, dotted)}.")
    return list(remove)


def _missing(data: Mapping[str, Any], dotted: str) -> str:
    """The existing paths nearest to ``dotted``, else what the table it is in holds."""
    tables, values = _all_paths(data)
    near = (difflib.get_close_matches(dotted, tables, n=3, cutoff=0.6)
            or difflib.get_close_matches(dotted, values, n=3, cutoff=0.6))
    if near:
        return "nearest: " + ", ".join(near)
    keys = dotted.split(".")
    table: Mapping[str, Any] = data
    where = "the top level"
    for i, k in enumerate(keys[:-1]):
        if not isinstance(table.get(k), Mapping):
            break
        table = table[k]
        where = "'" + ".".join(keys[:i + 1]) + "'"
    return _names(list(table), keys[-1], f"{where} has")


def apply_remove(data: Mapping[str, Any], path: Path | str = "<scenario>",
                 remove: Sequence[str] | None = None, *, missing_ok: bool = False
                 ) -> dict[str, Any]:
    """``data`` without the paths of ``remove`` (default: ``data["remove"]``, checked with
    :func:`check_remove`) and the references to them (see the module), and without the key
    ``remove``.  Paths are removed in order; with ``missing_ok`` a path that no longer
    exists (removed before, or replaced by a later file) is skipped.

    Raises
    ------
    ScenarioError
        As :func:`check_remove`, or if a field still names a removed service (``[shipping]
        policy = "fixed:<service>"``): the message lists every such field.
    """
    out = copy.deepcopy({k: v for k, v in data.items() if k != "remove"})
    if remove is None:
        remove = check_remove(out, path, data.get("remove", []))
    services: list[str] = []
    fcs: list[str] = []
    shifts: list[str] = []
    for dotted in remove:
        found = _lookup(out, dotted)
        if found is None:
            if missing_ok:
                continue
            check_remove(out, path, [dotted])  # raises, naming the nearest paths
        assert found is not None
        table, key = found
        keys = dotted.split(".")
        removed = table.pop(key)
        named = list(removed) if isinstance(removed, Mapping) else []
        if keys[0] == "services" and len(keys) <= 2:
            services += named if len(keys) == 1 else [key]
        elif keys[0] == "fcs" and len(keys) <= 2:
            if len(keys) == 2:
                gone = {key: removed}
            else:
                gone = dict(removed) if isinstance(removed, Mapping) else {}
            fcs += list(gone)
            shifts += [n for fc in gone.values() for n in _shift_names(fc)]
        elif keys[0] == "fcs" and keys[2:3] == ["shifts"] and len(keys) <= 4:
            shifts += named if len(keys) == 3 else [key]
        elif keys[:2] == ["demand", "channels"] and len(keys) == 3:
            _renormalise(table)
    if fcs:
        _drop_open_fcs(out, fcs)
    if fcs or shifts:
        _drop_staffing_refs(out, fcs, shifts)
    if services:
        _drop_service_refs(out, services, path)
    return out


def _lookup(data: Mapping[str, Any], dotted: str) -> tuple[dict[str, Any], str] | None:
    """The table holding the last key of ``dotted`` and that key, if the path exists."""
    keys = dotted.split(".")
    table: Any = data
    for k in keys[:-1]:
        table = table.get(k) if isinstance(table, dict) else None
    if isinstance(table, dict) and keys[-1] in table:
        return table, keys[-1]
    return None


def _all_paths(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The dotted paths of ``data``'s tables, and of its settings (not into arrays)."""
    tables: list[str] = []
    values: list[str] = []
    stack: list[tuple[str, Mapping[str, Any]]] = [("", data)]
    while stack:
        prefix, table = stack.pop()
        for k, v in table.items():
            dotted = f"{prefix}{k}"
            if isinstance(v, Mapping):
                tables.append(dotted)
                stack.append((f"{dotted}.", v))
            else:
                values.append(dotted)
    return sorted(tables), sorted(values)


def _drop_open_fcs(data: dict[str, Any], names: Sequence[str]) -> None:
    network = data.get("network")
    if isinstance(network, dict) and isinstance(network.get("open_fcs"), list):
        network["open_fcs"] = [n for n in network["open_fcs"] if n not in names]


def _drop_staffing_refs(data: dict[str, Any], fcs: Sequence[str], shifts: Sequence[str]
                        ) -> None:
    """Drop removed FCs and shifts from ``[[staffing.changes]]``; a change left with none of
    the FCs or shifts it names goes too (an empty list would mean all of them)."""
    staffing = data.get("staffing")
    changes = staffing.get("changes") if isinstance(staffing, dict) else None
    if not isinstance(staffing, dict) or not isinstance(changes, list):
        return
    found = data.get("fcs")
    all_fcs: dict[str, Any] = found if isinstance(found, dict) else {}
    kept = []
    for ch in changes:
        if isinstance(ch, dict) and isinstance(ch.get("fcs"), list) and fcs:
            ch["fcs"] = [n for n in ch["fcs"] if n not in fcs]
            if not ch["fcs"]:
                continue
        if isinstance(ch, dict) and isinstance(ch.get("shifts"), list) and shifts:
            targets = ch["fcs"] if isinstance(ch.get("fcs"), list) else list(all_fcs)
            left = {s for n in targets for s in _shift_names(all_fcs.get(n))}
            ch["shifts"] = [s for s in ch["shifts"] if s not in shifts or s in left]
            if not ch["shifts"]:
                continue
        kept.append(ch)
    staffing["changes"] = kept


def _shift_names(fc: Any) -> list[str]:
    shifts = fc.get("shifts") if isinstance(fc, Mapping) else None
    return list(shifts) if isinstance(shifts, Mapping) else []


def _renormalise(channels: dict[str, Any]) -> None:
    """Scale the remaining channels' shares to sum to one (if they are all numbers)."""
    shares = [c.get("share") if isinstance(c, dict) else None for c in channels.values()]
    if not all(isinstance(s, int | float) and not isinstance(s, bool) for s in shares):
        return  # the schema reports the odd share
    total = float(sum(shares))  # type: ignore[arg-type]
    if total <= 0:
        return
    for c in channels.values():
        c["share"] = c["share"] / total


def _drop_service_refs(data: dict[str, Any], services: Sequence[str], path: Path | str
                       ) -> None:
    """Remove every FC's ``service_pickups`` of ``services``; refuse what still needs one."""
    fcs = data.get("fcs")
    for fc in (fcs.values() if isinstance(fcs, dict) else ()):
        pickups = fc.get("service_pickups") if isinstance(fc, dict) else None
        if isinstance(pickups, dict):
            for s in services:
                pickups.pop(s, None)
    shipping = data.get("shipping")
    policy = shipping.get("policy") if isinstance(shipping, dict) else None
    needs = []
    if isinstance(policy, str):
        _, sep, service = policy.partition(":")
        if sep and service in services:
            needs.append(f"shipping.policy = '{policy}'")
    # a channel whose promise no remaining service can meet even to the nearest zone
    remaining = data.get("services")
    fastest = [min(t) for svc in (remaining.values() if isinstance(remaining, dict) else ())
               if isinstance(svc, dict)
               for t in [svc.get("transit_days_by_zone")]
               if isinstance(t, list) and t and all(isinstance(x, int | float) for x in t)]
    demand = data.get("demand")
    channels = demand.get("channels") if isinstance(demand, dict) else None
    if fastest and isinstance(channels, dict):
        for name, ch in channels.items():
            promise = ch.get("promise_days") if isinstance(ch, dict) else None
            if isinstance(promise, int | float) and promise < min(fastest):
                needs.append(f"demand.channels.{name}.promise_days = {promise:g} (the fastest "
                             f"remaining service takes {min(fastest):g} days to the nearest "
                             "zone)")
    if needs:
        left = list(data["services"]) if isinstance(data.get("services"), dict) else []
        raise ScenarioError(
            f"{path}: removing service(s) {', '.join(services)} (field 'remove') leaves "
            f"fields that need them: {'; '.join(needs)}. Change each of them as well (e.g. "
            "[shipping] policy = \"rate_shop\""
            + (f", or fixed:<one of {', '.join(left)}>" if left else "") + ").")
