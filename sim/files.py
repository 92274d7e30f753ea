"""Atomic file writes shared by the CLI, the results store and the optimizers.

A file is written to a temporary sibling and renamed into place, so a reader never sees half
of it and an interrupted write leaves the previous version intact.  ``tempfile`` creates its
files and directories owner-only (0600 / 0700); they get the permissions an ordinary
``open()`` / ``mkdir()`` would give under the process umask before they are renamed, so a
results directory or a written scenario is readable by whoever could read the folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_text", "make_temp_dir", "umask_mode"]


def umask_mode(mode: int) -> int:
    """``mode`` less the process umask (as ``open``/``mkdir`` would apply it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename makes it visible
        os.chmod(tmp, umask_mode(0o666))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def make_temp_dir(beside: Path) -> Path:
    """A new empty directory next to ``beside`` (same file system, so it can be renamed onto
    it), with ordinary directory permissions."""
    tmp = Path(tempfile.mkdtemp(dir=beside.parent, prefix=f".{beside.name}.tmp-"))
    os.chmod(tmp, umask_mode(0o777))
    return tmp
