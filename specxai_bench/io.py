"""Hashing and the one atomic writer every output goes through.

A file is written to a temp file in its own folder, fsynced and renamed over the target, so a
reader (or a killed writer) only ever sees the old file or the new one, never half of one. The
result gets the mode an ordinary ``open()`` would give (0666 minus the umask, usually 0644):
``mkstemp`` alone would leave it 0600.

Temp names carry the writer's pid (``.NAME.PID-XXXXXXXX.tmp``): a writer killed with SIGKILL
cannot remove its temps, so the first write into a folder removes the temps there whose writer
is no longer running. A write that fails (disk full, read-only folder, a file where a folder
should be) raises :class:`OutputWriteError` naming the file; the previous file stays whole. A folder of outputs (an exported corpus) is built in a
:func:`temp_folder_beside` it and renamed into place, 0777 minus the umask (usually 0755).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import ConfigError, SpecXAIError


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


class OutputWriteError(SpecXAIError, OSError):
    """An output file could not be written (disk full, permissions, a file in the way); ``strerror``
    is the system's reason, the message says what to do."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _write_error(path: Path, exc: OSError) -> OutputWriteError:
    err = OutputWriteError(f"could not write {path} ({exc.strerror or exc}); any previous {path.name} is unchanged: "
                           "free disk space, or choose a writable output folder")
    err.errno, err.strerror, err.filename = exc.errno, exc.strerror, str(path)  # callers may add their own context
    return err


TEMP_NAME = re.compile(r"^\..+\.(\d+)-[a-z0-9_]{8}\.(tmp|old)$")  # what _temp_beside and temp_folder_beside make
_swept: set[Path] = set()


def sweep_stale_temps(folder: Path) -> list[Path]:
    """Remove the temp files and folders of writers that were killed (their pid no longer runs)."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = TEMP_NAME.match(entry.name)
        if m is None or _alive(int(m.group(1))):
            continue
        try:
            shutil.rmtree(entry.path) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _sweep_once(folder: Path) -> None:
    folder = folder.resolve()
    if folder not in _swept:
        _swept.add(folder)
        sweep_stale_temps(folder)


def temp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temp file in ``path``'s folder (same filesystem: the rename is atomic), mode 0666 - umask."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _sweep_once(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path), suffix=".tmp")
    except OSError as exc:
        raise _write_error(path, exc) from None
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


def temp_folder_beside(path: Path) -> Path:
    """A new empty folder beside ``path`` to build a folder of outputs in, then rename over ``path`` (same
    filesystem: atomic), with the mode ``mkdir`` would give (0777 minus the umask; ``mkdtemp`` alone: 0700)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _sweep_once(path.parent)  # what a killed writer left behind
        tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise _write_error(path, exc) from None
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
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise (exc if isinstance(exc, OutputWriteError) else _write_error(path, exc)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())


def writable_folder(folder: Path, option: str) -> Path:
    """Check, before any work, that ``folder`` is a folder this process can write in (or can be made
    one): a ConfigError naming ``option`` otherwise (a file in the way, a read-only folder).
    Nothing is left behind: the nearest existing folder is probed with a temp file."""
    folder = Path(folder)
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise ConfigError(f"{option} {folder}: {existing} is a file, not a folder; choose a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=temp_prefix(existing / "probe"), suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(f"{option} {folder} is not writable ({exc.strerror or exc}); choose another folder") from None
    return folder


def atomic_write_files(files: Mapping[Path, str | bytes]) -> list[Path]:
    """Write several files as one step: all go to temp files first, then all are swapped in.

    On any error the temps are removed and the files not yet swapped keep their old contents.
    Files whose contents are unchanged are not touched (their modification times stay).
    """
    temps: list[tuple[str, Path]] = []
    for folder in {Path(p).parent for p in files}:  # a killed earlier write's temps, even if nothing changes now
        if folder.is_dir():
            _sweep_once(folder)
    try:
        for path, content in sorted(files.items()):
            data = content.encode("utf-8") if isinstance(content, str) else content
            if path.is_file() and path.read_bytes() == data:
                continue
            fd, tmp = _temp_beside(path)
            temps.append((tmp, path))
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            except OSError as exc:
                raise _write_error(path, exc) from None
        for tmp, path in temps:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise _write_error(path, exc) from None
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
    return sorted(files)
