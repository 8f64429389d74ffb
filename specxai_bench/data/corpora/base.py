"""Segment records shared by every corpus: audio, label, speaker and phonetic tracks.

Downstream code (spectrograms, metrics) only ever sees these records; it never re-reads audio
files, so the synthetic corpus and real aligned corpora are interchangeable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

TRACK_SOURCES = ("truth", "praat")


@dataclass(frozen=True)
class Tracks:
    """Per-frame F0 and F1-F3 of one segment, in Hz, NaN where undefined.

    ``times`` are seconds from the segment's start; ``source`` says whether the values are the
    synthesizer's ground truth (``truth``) or measured with Praat (``praat``).
    """

    times: np.ndarray  # [T]
    f0: np.ndarray  # [T]
    formants: np.ndarray  # [T, 3]: F1, F2, F3
    source: str

    def __post_init__(self) -> None:
        t = np.asarray(self.times, dtype=np.float64)
        f0 = np.asarray(self.f0, dtype=np.float64)
        fm = np.asarray(self.formants, dtype=np.float64)
        if t.ndim != 1 or f0.shape != t.shape or fm.shape != (t.shape[0], 3):
            raise ValueError(
                f"tracks need times [T], f0 [T], formants [T, 3]; got {t.shape}, {f0.shape}, {fm.shape}"
            )
        if self.source not in TRACK_SOURCES:
            raise ValueError(f"track source must be one of {TRACK_SOURCES}, got {self.source!r}")
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "f0", f0)
        object.__setattr__(self, "formants", fm)

    def resample(self, n: int, duration: float) -> "Tracks":
        """Tracks at ``n`` evenly spaced times covering [0, duration] (centres of n columns).

        Values are linearly interpolated between frames; NaN stays NaN where either neighbour is
        NaN, so an unvoiced stretch never borrows a pitch.
        """
        centres = (np.arange(n) + 0.5) * (duration / n)
        return Tracks(
            times=centres,
            f0=interp_nan(centres, self.times, self.f0),
            formants=np.stack([interp_nan(centres, self.times, self.formants[:, k]) for k in range(3)], 1),
            source=self.source,
        )


def interp_nan(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    if len(xp) == 0:
        return np.full(len(x), np.nan)
    if len(xp) == 1:
        return np.full(len(x), fp[0])
    valid = np.isfinite(fp).astype(np.float64)
    vals = np.interp(x, xp, np.nan_to_num(fp))
    ok = np.interp(x, xp, valid)
    return np.where(ok > 0.999, vals, np.nan)


@dataclass(frozen=True, eq=False)
class Segment:
    """One labelled stretch of speech (a phone) with its audio and tracks."""

    id: str  # unique and stable across runs: corpus-relative
    label: str  # ARPAbet, lower case, no stress digit
    audio: np.ndarray = field(repr=False)  # float32 mono
    sample_rate: int
    speaker: str
    group: str  # men / women / children, or "unknown"
    utterance: str
    tracks: Tracks = field(repr=False)
    start: float = 0.0  # seconds from the utterance's start

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass(frozen=True, eq=False)
class Corpus:
    """A named list of segments with a content fingerprint (for caches and provenance)."""

    name: str
    segments: tuple[Segment, ...]
    description: str = ""

    def fingerprint(self) -> str:
        """Hash of ids, labels, speakers and audio bytes: changes iff the content changes."""
        h = hashlib.sha256(self.name.encode())
        for s in self.segments:
            h.update(f"{s.id}|{s.label}|{s.speaker}|{s.sample_rate}".encode())
            h.update(np.ascontiguousarray(s.audio, dtype=np.float32).tobytes())
        return h.hexdigest()[:16]

    def labels(self) -> list[str]:
        return sorted({s.label for s in self.segments})

    def __len__(self) -> int:
        return len(self.segments)
