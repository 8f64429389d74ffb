"""One run per output folder at a time: a second run is refused with a message, not interleaved."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..errors import SpecXAIError


class OutputLockedError(SpecXAIError):
    """Another run holds the output folder."""


class OutputLock:
    """Exclusive advisory lock on ``<folder>/.lock`` (released by the OS even after kill -9)."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / ".lock"
        self.fd: int | None = None

    def __enter__(self) -> "OutputLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise SpecXAIError(f"output folder {self.path.parent} is not writable ({exc.strerror}); "
                               "choose another --output") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise OutputLockedError(f"another specxai-bench run (pid {holder}) is using {self.path.parent}; "
                                    "wait for it to finish or use another --output") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def lock_holder(folder: Path) -> str | None:
    """The pid of the run that holds ``folder``'s lock now (its run is unfinished), else None.

    Only reads: the lock file is not created, and a free lock is let go at once.
    """
    try:
        fd = os.open(Path(folder) / ".lock", os.O_RDONLY)
    except OSError:
        return None  # no lock file: no run has used this folder
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
