"""Atomic writes: the content lands whole, with ordinary permissions, and a failure leaves the
old file and no temporary behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sim.files import atomic_write_text, make_temp_dir


def test_atomic_write_replaces_with_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        p = atomic_write_text(tmp_path / "sub" / "a.toml", "x = 1\n")
        assert p.read_text() == "x = 1\n"
        assert stat.S_IMODE(p.stat().st_mode) == 0o644  # not tempfile's owner-only 0600
        atomic_write_text(p, "x = 2\n")
        assert p.read_text() == "x = 2\n"
        d = make_temp_dir(tmp_path / "results")
        assert d.parent == tmp_path and stat.S_IMODE(d.stat().st_mode) == 0o755
    finally:
        os.umask(old)
    assert sorted(f.name for f in (tmp_path / "sub").iterdir()) == ["a.toml"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path) -> None:
    p = atomic_write_text(tmp_path / "a.txt", "old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(p, "bad \udc80 surrogate")
    assert p.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["a.txt"]
