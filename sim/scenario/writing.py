"""Writing a scenario that ``extends`` another: what the optimizers produce."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def write_scenario(out: str | Path, *, extends: str | Path, patch: Mapping[str, Any],
                   replace: Sequence[str] = (), header: Sequence[str] = (),
                   data_files: Mapping[str, str] | None = None) -> Path:
    """Write a scenario that ``extends`` another and changes it (the optimizers' output).

    ``patch`` holds the sections and fields that change (merged key by key into the parent's,
    except the sections listed in ``replace``, which replace the parent's); ``header`` lines
    are written as comments under a first line starting with :data:`sim.files.WRITTEN_BY`;
    ``data_files`` (file name -> text) are written beside the scenario, which names them.
    ``extends`` is written relative to the new file's folder.  Nothing this tool did not
    write is replaced (:func:`sim.files.check_replaceable`); every file is written atomically,
    the data files first.

    Raises
    ------
    sim.files.NotOurs
        If ``out`` or a data file exists and was not written by this tool.
    """
    import tomli_w

    from sim.files import WRITTEN_BY, atomic_write_text, check_replaceable

    out = Path(out)
    files = dict(data_files or {})
    check_replaceable(out, tuple(files))
    rel = os.path.relpath(Path(extends).resolve(), out.resolve().parent)
    doc: dict[str, Any] = {"extends": Path(rel).as_posix()}
    if replace:
        doc["replace"] = list(replace)
    doc.update(patch)
    lines = [*header] or ["by an optimizer."]
    text = "\n".join([f"{WRITTEN_BY} {lines[0]}", *(f"# {h}" for h in lines[1:])])
    for name, body in files.items():
        atomic_write_text(out.parent / name, body)
    return atomic_write_text(out, text + "\n\n" + tomli_w.dumps(doc))
