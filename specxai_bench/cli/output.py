"""What the commands print: `--format text|json`, `-q/--quiet`, and plain tables that fit a terminal.

Text is for people (tables no wider than :data:`MAX_WIDTH` characters: long free-text cells are
cut with "…"); ``--format json`` prints one JSON document on stdout and nothing else there, for
scripts. ``-q`` silences the progress bars and the status lines on stderr (errors still print).
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any, Mapping, Sequence

MAX_WIDTH = 160  # characters per printed line


def add_format_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text tables (default) or one JSON document on stdout, for scripts")


def add_quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bars and no status lines on stderr (errors and results still print)")


def jsonable(value: Any) -> Any:
    """NaN and inf become null, tuples lists, numpy scalars Python numbers: strict JSON."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def dumps(document: Any) -> str:
    return json.dumps(jsonable(document), indent=2, sort_keys=False, allow_nan=False, ensure_ascii=False)


def fit_table(rows: Sequence[Sequence[Any]], headers: Sequence[str], *, width: int = MAX_WIDTH,
              shrink: Mapping[str, int] | None = None) -> str:
    """A plain table (two spaces between columns, a rule under the header) of at most ``width``
    characters per line: the ``shrink`` columns, in their order, are cut with "…" until it fits, each
    down to the least width given for it (default: the description, down to 30 characters)."""
    cells = [[str(c) for c in r] for r in rows]
    head = [str(h) for h in headers]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(head)]
    excess = sum(widths) + 2 * (len(widths) - 1) - width
    for name, least in (shrink if shrink is not None else {"description": 30}).items():
        if excess <= 0:
            break
        if name in head:
            i = head.index(name)
            cut = min(excess, max(0, widths[i] - max(least, len(head[i]))))
            widths[i] -= cut
            excess -= cut

    def line(values: Sequence[str]) -> str:
        out = [v if len(v) <= w else v[: w - 1] + "…" for v, w in zip(values, widths)]
        return "  ".join(v.ljust(w) for v, w in zip(out, widths)).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in cells])
