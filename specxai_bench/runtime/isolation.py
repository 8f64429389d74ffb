"""Per-call time limits for plugins: a hanging method or metric fails its batch, not the run."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from ..errors import SpecXAIError


class PluginTimeout(SpecXAIError, TimeoutError):
    """A plugin call ran past its limit."""


@contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise :class:`PluginTimeout` inside the block after ``seconds`` (SIGALRM, main thread only).

    Python code is interrupted at once; a call stuck inside one long C operation is interrupted
    when that operation returns. Outside the main thread (or with no limit) this does nothing.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise PluginTimeout(f"{what} ran past the per-call limit of {seconds:g} s (--call-timeout)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
