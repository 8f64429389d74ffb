"""Hashing and the one atomic writer every output goes through.

A file is written to a temp file in its own folder, fsynced and renamed over the target, so a
reader (or a killed writer) only ever sees the old file or the new one, never half of one. The
result gets the mode an ordinary ``open()`` would give (0666 minus the umask, usually 0644):
``mkstemp`` alone would leave it 0600. A folder of outputs (an exported corpus) is built in a
:func:`temp_folder_beside` it and renamed into place, 0777 minus the umask (usually 0755).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping


def config_hash(config: Mapping[str, Any]) -> str:
    """Short stable hash of a JSON-able config: checkpoint names and run ids carry it."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (short): user files enter configs by content, not by name."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temp file in ``path``'s folder (same filesystem: the rename is atomic), mode 0666 - umask."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


def temp_folder_beside(path: Path) -> Path:
    """A new empty folder beside ``path`` to build a folder of outputs in, then rename over ``path`` (same
    filesystem: atomic), with the mode ``mkdir`` would give (0777 minus the umask; ``mkdtemp`` alone: 0700)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


def atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Call ``write(binary_file)`` on a temp file beside ``path``, fsync, rename: whole or absent."""
    path = Path(path)
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())


def atomic_write_files(files: Mapping[Path, str | bytes]) -> list[Path]:
    """Write several files as one step: all go to temp files first, then all are swapped in.

    On any error the temps are removed and the files not yet swapped keep their old contents.
    Files whose contents are unchanged are not touched (their modification times stay).
    """
    temps: list[tuple[str, Path]] = []
    try:
        for path, content in sorted(files.items()):
            data = content.encode("utf-8") if isinstance(content, str) else content
            if path.is_file() and path.read_bytes() == data:
                continue
            fd, tmp = _temp_beside(path)
            temps.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
    return sorted(files)
