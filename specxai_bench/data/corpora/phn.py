"""TIMIT-style .PHN alignments: one ``start_sample end_sample label`` line per phone.

Offsets are samples of the file's own audio (16 kHz for TIMIT), so reading needs that audio's
sample rate; the result is in seconds, like every other alignment reader here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ...errors import DataError
from .intervals import Interval, check_intervals

_LINE = re.compile(r"^\s*([-+]?\d{1,15})\s+([-+]?\d{1,15})\s+(\S+)\s*$")


def read_phn(path: str | Path, sample_rate: int, *, n_samples: int | None = None) -> list[Interval]:
    """Intervals (seconds) of the .PHN file at ``path``, whose offsets count ``sample_rate`` samples.

    With ``n_samples`` (the audio's length), intervals past the end raise DataError; so do
    malformed lines, end <= start, and unsorted or overlapping intervals -- each naming the line.
    """
    text = _read_text(path)
    return parse_phn(text, sample_rate, path=path, n_samples=n_samples)


def parse_phn(text: str, sample_rate: int, *, path: str | Path = "<text>",
              n_samples: int | None = None) -> list[Interval]:
    """Like :func:`read_phn` on already-read text (``path`` only names it in messages)."""
    if sample_rate <= 0:
        raise DataError(f"{path}: sample rate must be positive to read sample offsets, got {sample_rate}")
    intervals, lines = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if m is None:
            raise DataError(f"{path}, line {number}: expected 'start_sample end_sample label' "
                            f"(two integers and a label), got {line.strip()[:60]!r}: fix or remove the line")
        start, end = int(m.group(1)), int(m.group(2))
        intervals.append(Interval(start / sample_rate, end / sample_rate, m.group(3)))
        lines.append(number)
    if not intervals:
        raise DataError(f"{path}: no intervals (empty .PHN file): realign the utterance or remove the file")
    duration = None if n_samples is None else n_samples / sample_rate
    return check_intervals(intervals, lines, path, duration=duration)


def write_phn(path: str | Path, intervals: Iterable[Interval], sample_rate: int) -> None:
    """Write ``intervals`` (seconds) as sample offsets at ``sample_rate``; gaps are left unlabelled."""
    rows = []
    for iv in intervals:
        if not iv.label or iv.label.split() != [iv.label]:
            raise DataError(f"{path}: label {iv.label!r} cannot be written to a .PHN file (empty or with "
                            "whitespace): normalise labels first")
        rows.append(f"{round(iv.start * sample_rate)} {round(iv.end * sample_rate)} {iv.label}\n")
    Path(path).write_text("".join(rows), encoding="utf-8")


def _read_text(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read the alignment ({e.strerror}): check the path and permissions") from e
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not a text file (byte {e.start} is not UTF-8): "
                        "a .PHN file holds 'start end label' lines of ASCII text") from e
