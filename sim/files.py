"""Atomic file writes shared by the CLI, the results store and the optimizers.

A file is written to a temporary sibling and renamed into place, so a reader never sees half
of it and an interrupted write leaves the previous version intact.  ``tempfile`` creates its
files and directories owner-only (0600 / 0700); they get the permissions an ordinary
``open()`` / ``mkdir()`` would give under the process umask before they are renamed, so a
results directory or a written scenario is readable by whoever could read the folder.

A directory is put in place of another with :func:`replace_dir`: on Linux the two are swapped
in one step (``renameat2(RENAME_EXCHANGE)``), so the destination never goes missing.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["WRITTEN_BY", "NotOurs", "atomic_write_text", "check_replaceable", "make_temp_dir",
           "remove_tree", "rename_exchange", "replace_dir", "umask_mode"]

WRITTEN_BY = "# Written by fulfill"
"""First line of every scenario file the optimizers write: only such a file is replaced."""


class NotOurs(ValueError):
    """A file to be written exists and was not written by this tool (message for the user)."""


def _first_line(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return fh.readline(200).decode("utf-8", "replace")
    except OSError:
        return ""


def check_replaceable(out: Path, companions: tuple[str, ...] = ()) -> None:
    """Refuse to write a scenario file ``out`` (and its ``companions``, data files beside it)
    over anything this tool did not write.

    ``out`` may be new, or a regular file starting with :data:`WRITTEN_BY`.  A companion may
    be new, or replaced along with such an ``out`` that names it.

    Raises
    ------
    NotOurs
        Naming the file and what to do.
    """
    advice = "choose another --out or remove it yourself"
    ours = False
    if out.exists() or out.is_symlink():
        if out.is_symlink() or not out.is_file() \
                or not _first_line(out).startswith(WRITTEN_BY):
            raise NotOurs(f"{out} exists and was not written by fulfill; {advice}.")
        ours = True
    text = out.read_text(encoding="utf-8", errors="replace") if ours else ""
    for name in companions:
        c = out.parent / name
        if (c.exists() or c.is_symlink()) and not (ours and c.is_file()
                                                  and not c.is_symlink() and name in text):
            raise NotOurs(f"{c} exists and was not written by fulfill (the scenario "
                          f"{out.name} writes it beside itself); {advice}.")


def umask_mode(mode: int) -> int:
    """``mode`` less the process umask (as ``open``/``mkdir`` would apply it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (a temporary file beside it, flushed to disk,
    then renamed onto it); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename makes it visible
        os.chmod(tmp, umask_mode(0o666))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def make_temp_dir(beside: Path, marker: str | None = None) -> Path:
    """A new empty directory ``.<name>.tmp-XXXXXXXX`` next to ``beside`` (same file system, so
    it can be renamed onto it), with ordinary directory permissions.

    With ``marker``, an empty file of that name is created in it before anything else, so a
    directory left by an interrupted writer can be told from one somebody else made.
    """
    tmp = Path(tempfile.mkdtemp(dir=beside.parent, prefix=f".{beside.name}.tmp-"))
    try:
        if marker is not None:
            (tmp / marker).touch(exist_ok=False)
        os.chmod(tmp, umask_mode(0o777))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def remove_tree(d: Path, last: str | None = None) -> None:
    """Delete directory ``d`` and its contents, the entry ``last`` (a marker) only after all
    others, so a deletion cut short still leaves the marker; errors are ignored."""
    try:
        entries = list(os.scandir(d))
    except OSError:
        return
    for e in sorted(entries, key=lambda e: e.name == last):
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path, ignore_errors=True)
            else:
                os.unlink(e.path)
        except OSError:
            pass
    try:
        os.rmdir(d)
    except OSError:
        pass


AT_FDCWD = -100
RENAME_EXCHANGE = 2
_SYS_RENAMEAT2 = {"x86_64": 316, "amd64": 316, "aarch64": 276, "arm64": 276}
EXCHANGE_UNSUPPORTED = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP})
"""``errno`` values of :func:`rename_exchange` that mean "not supported here"."""


@functools.cache
def _renameat2() -> Callable[[bytes, bytes, int], int] | None:
    """libc's ``renameat2`` (glibc 2.28+), else the raw system call; None when not Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    fn = getattr(libc, "renameat2", None)
    if fn is not None:
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                       ctypes.c_uint]
        fn.restype = ctypes.c_int
        return lambda a, b, flags: int(fn(AT_FDCWD, a, AT_FDCWD, b, flags))
    nr = _SYS_RENAMEAT2.get(platform.machine().lower())
    syscall = getattr(libc, "syscall", None)
    if nr is None or syscall is None:
        return None
    syscall.restype = ctypes.c_long
    return lambda a, b, flags: int(syscall(ctypes.c_long(nr), ctypes.c_long(AT_FDCWD),
                                           ctypes.c_char_p(a), ctypes.c_long(AT_FDCWD),
                                           ctypes.c_char_p(b), ctypes.c_ulong(flags)))


def rename_exchange(a: Path, b: Path) -> None:
    """Swap the paths ``a`` and ``b`` (both must exist) in one atomic step, Linux's
    ``renameat2(RENAME_EXCHANGE)``.

    Raises :class:`OSError`; its ``errno`` is in :data:`EXCHANGE_UNSUPPORTED` when the system
    or the file system cannot do it (ENOSYS when not on Linux).
    """
    fn = _renameat2()
    if fn is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available on this system", str(a), None,
                      str(b))
    if fn(os.fsencode(a), os.fsencode(b), RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a), None, str(b))


def replace_dir(new: Path, dst: Path, old: Path) -> Path | None:
    """Put directory ``new`` at ``dst``; returns where the previous ``dst`` now is (for the
    caller to delete), or None if there was none.

    An existing ``dst`` is swapped with ``new`` by :func:`rename_exchange`, so ``dst`` exists
    at every moment; the previous ``dst`` is then at ``new``'s path.  Where the exchange is not
    supported (not Linux, an old kernel, a file system without it: EINVAL/ENOSYS/EOPNOTSUPP)
    this falls back to two renames, ``dst`` -> ``old`` then ``new`` -> ``dst``: between them
    ``dst`` is missing for a moment, and if the second rename fails ``old`` is moved back.
    """
    if not os.path.lexists(dst):
        os.rename(new, dst)
        return None
    try:
        rename_exchange(new, dst)
        return new
    except OSError as exc:
        if exc.errno not in EXCHANGE_UNSUPPORTED:
            raise
    os.rename(dst, old)
    try:
        os.rename(new, dst)
    except BaseException:
        if not os.path.lexists(dst):
            os.rename(old, dst)
        raise
    return old
