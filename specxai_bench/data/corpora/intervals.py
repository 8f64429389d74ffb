"""The interval list both alignment readers return, and the checks every alignment must pass.

An alignment is a list of ``Interval(start, end, label)`` in seconds, sorted, non-overlapping
(gaps allowed), each with end > start and inside the audio. The .PHN and .TextGrid readers
share these checks so a bad file fails the same way, naming the file and the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from ...errors import DataError

#: Slack for boundaries that overshoot the audio's end or touch a neighbour: aligners round
#: times (MFA writes xmax as the rounded duration). Within this, ends are clipped to the audio.
END_TOLERANCE_S = 0.01
_EPS = 1e-9


class Interval(NamedTuple):
    """One labelled stretch of an alignment; times in seconds from the file's start."""

    start: float
    end: float
    label: str


def check_intervals(
    intervals: Sequence[Interval], lines: Sequence[int], path: str | Path, *,
    duration: float | None = None, what: str = "interval",
) -> list[Interval]:
    """Validated copy of ``intervals`` (ends within tolerance clipped to ``duration``).

    ``lines[i]`` is the 1-based line of interval i in ``path`` (for messages). Raises DataError
    for end <= start, unsorted or overlapping intervals, and intervals past the audio's end.
    """
    out = []
    prev: Interval | None = None
    for iv, line in zip(intervals, lines):
        where = f"{path}, line {line}: {what} {iv.label!r} [{iv.start:.6g}, {iv.end:.6g}] s"
        if iv.start < 0:
            raise DataError(f"{where} starts before 0: fix or remove the line")
        if iv.end <= iv.start:
            raise DataError(f"{where} has end <= start: fix or remove the line")
        if prev is not None:
            if iv.start < prev.start - _EPS:
                raise DataError(f"{where} starts before the previous {what} (at {prev.start:.6g} s): "
                                "intervals must be sorted by time; sort the file")
            if iv.start < prev.end - _EPS:
                raise DataError(f"{where} overlaps the previous {what}, which ends at {prev.end:.6g} s: "
                                "alignments must not overlap; fix the boundaries")
        if duration is not None:
            if iv.start >= duration - _EPS or iv.end > duration + END_TOLERANCE_S:
                raise DataError(f"{where} runs past the end of the audio ({duration:.6g} s): the alignment "
                                "belongs to another (longer or resampled) recording; realign this file")
            iv = Interval(iv.start, min(iv.end, duration), iv.label)
        out.append(iv)
        prev = iv
    return out
