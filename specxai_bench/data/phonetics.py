"""Praat-measured F0 and F1-F3 tracks (parselmouth) for real corpora, cached on disk.

Real corpora have no ground-truth tracks, so metrics use Praat's: Burg formants and
autocorrelation pitch with the settings of shared/reference/phonetics.md. A phone of 30-100 ms
is short for Praat's windows (a 25 ms formant window is 50 ms of Gaussian; a 75 Hz pitch floor
needs 40 ms), so measure the whole utterance once and slice per segment (:func:`slice_tracks`).

Tracks are cached by audio content and settings in one cache shared by every output folder
(:func:`shared_cache_dir`: ``$SPECXAI_CACHE``, else ``$XDG_CACHE_HOME/specxai-bench``, else
``~/.cache/specxai-bench``), so a corpus is measured once per machine, not once per run folder.
A speaker whose group is unknown gets the formant ceiling of the group its median F0 points to
(:func:`group_from_f0`), not one ceiling for every voice.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import parselmouth
from parselmouth.praat import call

from ..errors import ConfigError
from ..io import atomic_write, atomic_write_bytes
from .corpora.base import Segment, Tracks, interp_nan

#: Praat's "maximum formant" per speaker group (Praat manual; shared/reference/phonetics.md).
#: Children: the manual's ~8000 Hz is for young children; Hillenbrand's (and our synthetic)
#: children are 10-12 years old, whose F5 lies near 5800 Hz. The ceiling should sit between F5
#: and F6 (about F5 x 11/9 for a uniform tube), i.e. ~6500 Hz; with 8000 Burg fits a spurious
#: pole below F3 and splits F1/F2 of /i/ and /u/ (Burg on the earlier, less variable corpus: 36-39 % of the
#: children's /u/ tokens within 10 % at 8000 Hz, 100 % at 6500 Hz on a 6-speaker sample).
MAX_FORMANT_HZ: dict[str, float] = {"men": 5000.0, "women": 5500.0, "children": 6500.0, "unknown": 5500.0}

_CACHE_VERSION = "praat-tracks-v2"  # bump when the measurement changes, to invalidate caches

#: Median-F0 bounds (Hz) between men / women / children for a speaker of unknown group: typical F0
#: is 85-180 Hz for men, 165-255 Hz for women, 200-350 Hz for children (shared/reference/phonetics.md).
#: 165 Hz is also where the formant method switches to robust (``PraatSettings.robust_from_f0``);
#: 260 Hz lies above the women's range, so only clearly higher voices get the children's ceiling.
F0_GROUP_BOUNDS: tuple[float, float] = (165.0, 260.0)


def shared_cache_dir() -> Path:
    """The cache shared by every output folder: ``$SPECXAI_CACHE``, ``$XDG_CACHE_HOME/specxai-bench`` or
    ``~/.cache/specxai-bench``."""
    if os.environ.get("SPECXAI_CACHE"):
        return Path(os.environ["SPECXAI_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "specxai-bench"


def group_from_f0(median_hz: float) -> str:
    """The speaker group whose formant ceiling suits a voice of this median F0 (NaN: ``unknown``)."""
    low, high = F0_GROUP_BOUNDS
    if not np.isfinite(median_hz):
        return "unknown"
    return "men" if median_hz < low else "women" if median_hz < high else "children"


@dataclass(frozen=True)
class PraatSettings:
    """Analysis settings (frozen: their repr is part of the cache key)."""

    time_step: float = 0.005  # one grid for pitch and formants
    max_number_of_formants: float = 5.0
    window_length: float = 0.025
    pre_emphasis_from: float = 50.0
    pitch_floor: float = 75.0
    pitch_ceiling: float = 600.0
    #: "burg", "robust" (Praat's To Formant (robust): Burg refined by iterative reweighting,
    #: ~10x slower) or "auto": robust when the audio's median F0 is at least
    #: ``robust_from_f0`` Hz. LPC F1 is pulled towards a harmonic when harmonics are sparse
    #: (high F0; Vallabha & Tuller 2002); on our synthetic vowels robust halves that error for
    #: women and children but is worse for men (benchmarks/praat_vs_truth.py, docs/usage.md).
    formant_method: str = "auto"
    robust_from_f0: float = 165.0

    def __post_init__(self) -> None:
        if self.formant_method not in ("burg", "robust", "auto"):
            raise ConfigError(f"PraatSettings.formant_method must be burg, robust or auto, "
                              f"got {self.formant_method!r}")
        for name, value in asdict(self).items():
            if name == "formant_method":
                continue
            if not value > 0:
                raise ConfigError(f"PraatSettings.{name} must be positive, got {value!r}")
        if self.pitch_ceiling <= self.pitch_floor:
            raise ConfigError(f"PraatSettings.pitch_ceiling ({self.pitch_ceiling}) must exceed "
                              f"pitch_floor ({self.pitch_floor})")

    @property
    def padding(self) -> float:
        """Zeros added on each side so Praat's frames reach the audio's first and last samples."""
        return max(self.window_length, 1.5 / self.pitch_floor)


def maximum_formant(group: str) -> float:
    """Praat's formant ceiling for a speaker group (men / women / children / unknown)."""
    try:
        return MAX_FORMANT_HZ[group]
    except KeyError:
        raise ConfigError(f"unknown speaker group {group!r}: use one of {list(MAX_FORMANT_HZ)}") from None


def measure_tracks(audio: np.ndarray, sample_rate: int, *, group: str = "unknown", ceiling: float | None = None,
                   settings: PraatSettings = PraatSettings(), cache_dir: str | Path | None = None) -> Tracks:
    """Praat F0 and F1-F3 of mono ``audio`` (times in seconds from its start; NaN where undefined).

    The formant ceiling is ``ceiling`` Hz if given, else the ``group``'s. With ``cache_dir``,
    results are stored as .npz files keyed by a hash of the audio bytes, sample rate, ceiling
    and settings, so re-loading a corpus does not re-run Praat. Tracks with no frame mean Praat
    could not analyse the audio (too short or silent): callers count them.
    """
    x = np.ascontiguousarray(audio, dtype=np.float32)
    if x.ndim != 1:
        raise ConfigError(f"measure_tracks needs mono audio [samples], got shape {x.shape}")
    ceiling = maximum_formant(group) if ceiling is None else float(ceiling)
    path = None
    if cache_dir is not None:
        key = hashlib.sha256(f"{_CACHE_VERSION}|{sample_rate}|{ceiling}|{settings!r}|".encode() + x.tobytes())
        path = Path(cache_dir) / f"{key.hexdigest()[:32]}.npz"
        cached = _load(path)
        if cached is not None:
            return cached
    tracks = _measure(x, sample_rate, ceiling, settings)
    if path is not None:
        _save_atomic(path, tracks)
    return tracks


def voiced_f0(audio: np.ndarray, sample_rate: int, *, settings: PraatSettings = PraatSettings(),
              cache_dir: str | Path | None = None) -> np.ndarray:
    """Praat's F0 of the voiced frames of ``audio`` (Hz; empty if none), cached like the tracks.

    For the median F0 of a speaker of unknown group, before their formants are measured."""
    x = np.ascontiguousarray(audio, dtype=np.float32)
    path = None
    if cache_dir is not None:
        key = hashlib.sha256(f"{_CACHE_VERSION}|f0|{sample_rate}|{settings.time_step}|{settings.pitch_floor}|"
                             f"{settings.pitch_ceiling}|".encode() + x.tobytes())
        path = Path(cache_dir) / f"f0-{key.hexdigest()[:32]}.json"
        try:
            return np.asarray(json.loads(path.read_text()), dtype=np.float64)
        except (OSError, ValueError):
            pass
    pad = int(round(settings.padding * sample_rate))
    try:
        sound = parselmouth.Sound(np.pad(x.astype(np.float64), pad), sampling_frequency=sample_rate)
        f0 = sound.to_pitch(settings.time_step, pitch_floor=settings.pitch_floor,
                            pitch_ceiling=settings.pitch_ceiling).selected_array["frequency"]
        voiced = np.asarray(f0[f0 > 0], dtype=np.float64)
    except parselmouth.PraatError:
        voiced = np.zeros(0)
    if path is not None:
        atomic_write_bytes(path, json.dumps([round(float(v), 3) for v in voiced]).encode())
    return voiced


def measure_segment(segment: Segment, *, settings: PraatSettings = PraatSettings(),
                    cache_dir: str | Path | None = None) -> Tracks:
    """Praat tracks of one segment's own audio (no context: prefer measuring utterances)."""
    return measure_tracks(segment.audio, segment.sample_rate, group=segment.group, settings=settings,
                          cache_dir=cache_dir)


def slice_tracks(tracks: Tracks, start: float, end: float) -> Tracks:
    """The frames of ``tracks`` within [start, end] s, re-timed from ``start`` (a segment's view)."""
    keep = (tracks.times >= start - 1e-9) & (tracks.times <= end + 1e-9)
    return Tracks(times=tracks.times[keep] - start, f0=tracks.f0[keep], formants=tracks.formants[keep],
                  source=tracks.source)


def empty_tracks() -> Tracks:
    """Tracks with no frames (every value reads as NaN): for corpora loaded without measuring."""
    return Tracks(times=np.zeros(0), f0=np.zeros(0), formants=np.zeros((0, 3)), source="praat")


def _measure(x: np.ndarray, sample_rate: int, ceiling: float, s: PraatSettings) -> Tracks:
    pad = int(round(s.padding * sample_rate))
    sound = parselmouth.Sound(np.pad(x.astype(np.float64), pad), sampling_frequency=sample_rate)
    duration = len(x) / sample_rate
    try:
        pitch = sound.to_pitch(s.time_step, pitch_floor=s.pitch_floor, pitch_ceiling=s.pitch_ceiling)
        f0 = pitch.selected_array["frequency"].astype(np.float64)
        f0[f0 <= 0] = np.nan
        if _use_robust(s, f0):
            formant = call(sound, "To Formant (robust)...", s.time_step, s.max_number_of_formants, ceiling,
                           s.window_length, s.pre_emphasis_from, 1.5, 5, 1e-6)
        else:
            formant = sound.to_formant_burg(s.time_step, max_number_of_formants=s.max_number_of_formants,
                                            maximum_formant=ceiling, window_length=s.window_length,
                                            pre_emphasis_from=s.pre_emphasis_from)
    except parselmouth.PraatError:  # too short for even one analysis frame
        return empty_tracks()
    times = formant.xs() - pad / sample_rate
    # "To Matrix" gives every frame's k-th formant at once, 0 where undefined.
    fm = np.stack([call(formant, "To Matrix", k).values[0] for k in (1, 2, 3)], axis=1)
    fm[fm <= 0] = np.nan
    f0 = interp_nan(times, pitch.xs() - pad / sample_rate, f0)
    keep = (times >= 0) & (times <= duration)
    return Tracks(times=times[keep], f0=f0[keep], formants=fm[keep], source="praat")


def _use_robust(s: PraatSettings, f0: np.ndarray) -> bool:
    """Whether to refine formants robustly: always, never, or for high-pitched audio ("auto")."""
    if s.formant_method != "auto":
        return s.formant_method == "robust"
    voiced = f0[np.isfinite(f0)]
    return bool(voiced.size) and float(np.median(voiced)) >= s.robust_from_f0


def _load(path: Path) -> Tracks | None:
    """Cached tracks, or None when absent or unreadable (a damaged entry is simply re-measured)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return Tracks(times=z["times"], f0=z["f0"], formants=z["formants"], source="praat")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def _save_atomic(path: Path, tracks: Tracks) -> None:
    atomic_write(path, lambda f: np.savez(f, times=tracks.times, f0=tracks.f0, formants=tracks.formants))
