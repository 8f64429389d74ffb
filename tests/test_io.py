"""The one atomic writer: whole files or none, and the mode an ordinary open() gives (umask respected)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from specxai_bench.io import (
    atomic_write,
    atomic_write_bytes,
    atomic_write_files,
    atomic_write_json,
    temp_folder_beside,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)])
def test_every_writer_gives_the_umasks_mode(tmp_path, umask, file_mode, dir_mode) -> None:
    old = os.umask(umask)
    try:
        atomic_write(tmp_path / "a.bin", lambda f: f.write(b"a"))
        atomic_write_bytes(tmp_path / "b.bin", b"b")
        atomic_write_json(tmp_path / "c.json", {"c": 1})
        atomic_write_files({tmp_path / "d.md": "d", tmp_path / "sub" / "e.png": b"e"})
        folder = temp_folder_beside(tmp_path / "exported")
    finally:
        os.umask(old)
    for name in ("a.bin", "b.bin", "c.json", "d.md", "sub/e.png"):
        assert mode(tmp_path / name) == file_mode, name
    assert mode(folder) == dir_mode and folder.parent == tmp_path and not any(folder.iterdir())
    assert list(tmp_path.glob(".*.tmp")) == [folder]  # no temp file left beside the outputs


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path) -> None:
    target = tmp_path / "t.txt"
    atomic_write_bytes(target, b"old")

    def fail(f) -> None:
        f.write(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["t.txt"]
