"""Progress bars with an ETA for every long step (tqdm), on a terminal only, and one-line status messages.

Bars are drawn only when stderr is a terminal: in a log file or a pipe their carriage-return
updates would pile up as garbage. ``SPECXAI_PROGRESS=0`` turns them off everywhere (the tests do);
``-q`` (:func:`quiet`) turns off the bars and the status lines of one command.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

_quiet = False


def progress_enabled() -> bool:
    """Bars go to stderr when it is a terminal, unless SPECXAI_PROGRESS=0 or the command is quiet."""
    if _quiet or os.environ.get("SPECXAI_PROGRESS", "1") == "0":
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def quiet(enabled: bool = True) -> Iterator[None]:
    """No bars and no status lines inside the block (``-q``); errors still print."""
    global _quiet
    before, _quiet = _quiet, bool(enabled) or _quiet
    try:
        yield
    finally:
        _quiet = before


def progress_bar(items: Iterable[T], *, desc: str, unit: str = "it", enabled: bool = True,
                 total: int | None = None) -> Iterable[T]:
    if not (enabled and progress_enabled()):
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit=unit, total=total, file=sys.stderr, dynamic_ncols=True,
                mininterval=0.5, leave=False)


def status(message: str) -> None:
    """One log line on stderr for a step that has no natural count (printed even without bars, not with -q)."""
    if not _quiet:
        print(message, file=sys.stderr, flush=True)
