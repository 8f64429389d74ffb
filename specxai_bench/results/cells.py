"""Text of one board cell, column aliases, and tables packed to fit a screen (shared by every renderer).

A main-table cell is ``mean [low,high] rank``: the CI is the speaker-cluster bootstrap, shown only
with >= 5 speakers (else ``mean (3 spk: no CI)``); the rank is ``=2`` when shared with another
method whose paired difference is not significant. Decimals are fixed per column (3 below 10, 2
below 100, ...), so the same rows give the same text.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from .aggregate import is_baseline
from .board import Entry

MAX_WIDTH = 160  # characters per Markdown table line
MAX_VALUE_COLUMNS = 7  # beside the method column: at most 8 columns per table


def decimals(values: Any) -> int:
    """Decimals for a column from the median |value| of its cells: 3 below 10, 2 below 100, 1 below 1000
    (the median, so that one outlying method does not blur the others)."""
    vals = np.abs(np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64))
    mid = float(np.median(vals)) if len(vals) else 0.0
    return 3 if mid < 10 else 2 if mid < 100 else 1 if mid < 1000 else 0


def num(x: Any, d: int, sign: bool = False) -> str:
    """``x`` with ``d`` decimals (``+`` for a difference); no "-0.000"; empty for a missing value."""
    if x is None or pd.isna(x) or not np.isfinite(x):
        return ""
    x = 0.0 if round(float(x), d) == 0 else float(x)
    return format(x, f"{'+' if sign else ''}.{d}f")


def interval(mean: float, low: float, high: float, speakers: int, d: int, sign: bool = False) -> str:
    """``mean [low,high]``, or ``mean (k spk: no CI)`` when the CI was withheld."""
    if np.isfinite(low) and np.isfinite(high):
        return f"{num(mean, d, sign)} [{num(low, d, sign)},{num(high, d, sign)}]"
    return f"{num(mean, d, sign)} ({int(speakers)} spk: no CI)"


def rank_text(rank: Any, shared: bool) -> str:
    return "" if rank is None or pd.isna(rank) else f"{'=' if shared else ''}{int(rank)}"


def score_cell(r: Any, d: int, n_full: int, latex: bool = False) -> str:
    """A main-table cell from a summary row (mean, ci_low, ci_high, n, speakers, nan, failed, rank)."""
    dash = "---" if latex else "—"
    if r is None:
        return dash
    counts = [f"{r.nan} NaN"] * bool(r.nan) + [f"{r.failed} failed"] * bool(r.failed)
    if r.n == 0:
        return f"{dash} ({', '.join(counts) or 'n=0'})"
    text = interval(r.mean, r.ci_low, r.ci_high, r.speakers, d)
    rank = rank_text(getattr(r, "rank", None), bool(getattr(r, "rank_shared", False)))
    tail = ([f"n={r.n} ({', '.join(counts)})" if counts else f"n={r.n}"] if r.n != n_full else []) + \
        ([rank] if rank else [])
    return " ".join([text] + tail)


def mean_cell(r: Any, d: int) -> str:
    """``mean [low,high]`` of a summary row; ``—`` where nothing was scored (e.g. a constant map: NaN)."""
    if r is None or not r.n or pd.isna(r.mean):
        return "—"
    return interval(r.mean, r.ci_low, r.ci_high, r.speakers, d)


def excess_cell(r: Any, d: int, reference: bool) -> str:
    """The paired difference from the strongest baseline; ``*`` when its CI excludes 0."""
    if r is None or pd.isna(r.d_base):
        return "—"
    if reference:
        return "ref"
    text = interval(r.d_base, r.d_base_low, r.d_base_high, r.d_base_spk, d, sign=True)
    sig = np.isfinite(r.d_base_low) and (r.d_base_low > 0 or r.d_base_high < 0)
    return text + ("*" if sig else "")


def label(entry: Entry, entries: list[Entry]) -> str:
    """The method's name (its options when the board holds several variants; the target mode when the
    table holds both); baselines in italics with a dagger."""
    text = entry.method
    if sum(e.method == entry.method and e.target_mode == entry.target_mode for e in entries) > 1:
        options = json.loads(entry.options)  # only the options set away from their defaults
        text += f" ({', '.join(f'{k}={v}' for k, v in options.items())})" if options else " (defaults)"
    if len({e.target_mode for e in entries}) > 1:
        text += f" [{entry.target_mode} class]"
    return f"*{text}* †" if is_baseline(entry.method) else text


def alias_base(name: str) -> str:
    """``formant_band_lift`` -> ``fb.lift``; a short word with a digit stays whole
    (``f0_band_mass`` -> ``f0b.mass``)."""
    words = [w for w in name.split("_") if w]
    if len(words) == 1:
        return words[0][:10]
    head = "".join(w if any(ch.isdigit() for ch in w) and len(w) <= 3 else w[0] for w in words[:-1])
    return f"{head}.{words[-1][:8]}"


def aliases(metrics: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """A short, unique column name per (metric id, version): the name's alias, then the parameter tokens
    that tell ids of one name apart, then the version where only it differs."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for m in metrics:
        groups.setdefault(alias_base(m[0].split("@", 1)[0]), []).append(m)
    out = {}
    for base, members in groups.items():
        tokens = {m: m[0].partition("@")[2].split(",") for m in members}
        common = set.intersection(*(set(t) for t in tokens.values()))
        for m in members:
            extra = ",".join(t for t in tokens[m] if t and t not in common)
            out[m] = f"{base} {extra}" if extra and len(members) > 1 else base
        if len({out[m] for m in members}) < len(members):
            for m in members:
                out[m] = f"{out[m]} v{m[1]}"
    return out


def pack(labels: list[str], columns: list[tuple[str, list[str]]], head: str = "method"
         ) -> list[tuple[list[str], list[list[str]]]]:
    """Value columns split into tables that each fit ``MAX_WIDTH`` and ``MAX_VALUE_COLUMNS`` (the label column
    repeated in each): [(header, rows)]."""
    label_w = max([len(head)] + [len(x) for x in labels])
    tables, current, width = [], [], 4 + label_w
    for col in columns:
        w = 3 + max(len(col[0]), *(len(c) for c in col[1])) if col[1] else 3 + len(col[0])
        if current and (width + w > MAX_WIDTH or len(current) >= MAX_VALUE_COLUMNS):
            tables.append(current)
            current, width = [], 4 + label_w
        current.append(col)
        width += w
    if current:
        tables.append(current)
    return [([head] + [h for h, _ in t], [[lab] + [c[1][i] for c in t] for i, lab in enumerate(labels)])
            for t in tables]


def md_table(head: list[str], rows: list[list[str]]) -> str:
    """A GitHub Markdown table: first column left-aligned, the others right-aligned."""
    esc = lambda s: str(s).replace("|", "\\|")
    lines = ["| " + " | ".join(map(esc, head)) + " |", "|" + "|".join(["---"] + ["--:"] * (len(head) - 1)) + "|"]
    return "\n".join(lines + ["| " + " | ".join(map(esc, r)) + " |" for r in rows])
