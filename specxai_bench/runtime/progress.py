"""Progress bars with an ETA for every long step (tqdm), silenced in tests and pipes on request."""

from __future__ import annotations

import os
import sys
from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress_enabled() -> bool:
    """Bars go to stderr unless SPECXAI_PROGRESS=0."""
    return os.environ.get("SPECXAI_PROGRESS", "1") != "0"


def progress_bar(items: Iterable[T], *, desc: str, unit: str = "it", enabled: bool = True,
                 total: int | None = None) -> Iterable[T]:
    if not (enabled and progress_enabled()):
        return items
    return tqdm(items, desc=desc, unit=unit, total=total, file=sys.stderr, dynamic_ncols=True,
                mininterval=0.5, leave=False)


def status(message: str) -> None:
    """One log line on stderr for a step that has no natural count (printed even without bars)."""
    print(message, file=sys.stderr, flush=True)
