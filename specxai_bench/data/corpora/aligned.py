"""Aligned corpora on disk: a folder of wav files, each with a .PHN or .TextGrid of the same stem.

Handles TIMIT (``DR1/FCJF0/SA1.WAV``, NIST SPHERE or RIFF, beside ``SA1.PHN``: speaker = folder,
group from its M/F first letter), MFA output (``.TextGrid`` with a ``phones`` tier), and corpora
written by :mod:`.export` (speaker folders plus ``speakers.csv``). Skippable problems (unknown
label, too short, digital silence) are counted in a :class:`LoadReport`; problems that mean the
data is broken (unreadable audio, a sample rate below 4 kHz, bad alignments) raise DataError
naming the file.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import librosa
import numpy as np
import soundfile as sf

from ...errors import ConfigError, DataError
from ..phonetics import PraatSettings, empty_tracks, measure_tracks, slice_tracks
from .base import Corpus, Segment
from .intervals import Interval
from .labels import (
    IGNORED_CODE,
    KEPT,
    MAPPED,
    UNKNOWN,
    LabelCounts,
    check_label_set,
    normalise_label,
    outcome_key,
)
from .phn import read_phn
from .textgrid import read_phones

GROUPS = ("men", "women", "children", "unknown")
AUDIO_SUFFIX = ".wav"
ALIGNMENT_SUFFIXES = (".phn", ".textgrid")  # preference order when both exist
SPEAKERS_FILE = "speakers.csv"

# Reasons a segment (or a file) is skipped, as counted in LoadReport.skipped.
SKIP_IGNORED = "ignored label (closure, pause, silence)"
SKIP_UNKNOWN = "unknown label (not ARPAbet)"
SKIP_NOT_SELECTED = "label not selected"
SKIP_SHORT = "shorter than min_duration"
SKIP_NO_ALIGNMENT = "audio file without alignment (file)"
SKIP_DUPLICATE_AUDIO = "duplicate audio of one utterance (file)"
SKIP_SILENT = "digital silence (no sample differs by more than one 16-bit step)"
WARN_CANCEL = "channels cancel when mixed down to mono (one is the other inverted?): silent segments skipped"

MIN_SAMPLE_RATE = 4000  # Hz: below this a file's header is wrong (no speech corpus is sampled that low)
SILENCE_RANGE = 2.0 / 32768  # peak-to-peak range at or below which a stretch of audio is digital silence

_TIMIT_SPEAKER = re.compile(r"^([MF])[A-Z]{3}[0-9]$", re.IGNORECASE)


@dataclass(frozen=True)
class LoadOptions:
    """What every aligned-corpus loader does to each utterance (validated on construction)."""

    sample_rate: int = 22050
    min_duration: float = 0.03
    labels: frozenset[str] | None = None  # keep only these CMU phones; None keeps all
    measure_tracks: bool = True
    cache_dir: Path | None = None
    praat: PraatSettings = PraatSettings()
    phn_rate: int | None = None  # the sample rate .PHN offsets count (None: the wav's own rate, as in TIMIT)

    def __post_init__(self) -> None:
        if isinstance(self.sample_rate, bool) or not isinstance(self.sample_rate, int) or self.sample_rate < 1000:
            raise ConfigError(f"sample_rate must be an integer >= 1000 Hz, got {self.sample_rate!r}")
        if self.phn_rate is not None and (isinstance(self.phn_rate, bool) or not isinstance(self.phn_rate, int)
                                          or self.phn_rate < MIN_SAMPLE_RATE):
            raise ConfigError(f"--phn-rate must be a sample rate in Hz (an integer >= {MIN_SAMPLE_RATE}), "
                              f"got {self.phn_rate!r}")
        if not (isinstance(self.min_duration, (int, float)) and self.min_duration >= 0):
            raise ConfigError(f"min_duration must be seconds >= 0, got {self.min_duration!r}")
        object.__setattr__(self, "labels", check_label_set(self.labels))
        if self.cache_dir is not None:
            object.__setattr__(self, "cache_dir", Path(self.cache_dir))


@dataclass(frozen=True)
class LoadReport:
    """What a load kept, skipped (with why) and warned about; ``summary()`` prints it."""

    source: str
    utterances: int
    segments: int
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> segments (or files)
    warnings: dict[str, int] = field(default_factory=dict)  # warning -> files
    labels: LabelCounts = field(default_factory=LabelCounts)

    def summary(self) -> str:
        lines = [f"{self.source}: {self.segments} segments from {self.utterances} utterances"]
        lines += [f"  skipped {n}: {reason}" for reason, n in sorted(self.skipped.items(), key=lambda kv: -kv[1])]
        lines += [f"  warning ({n} files): {w}" for w, n in sorted(self.warnings.items(), key=lambda kv: -kv[1])]
        if text := self.labels.summary():
            lines += ["  " + line for line in text.splitlines()]
        return "\n".join(lines)


def load_aligned_folder(
    path: str | Path, *, sample_rate: int = 22050, min_duration: float = 0.03,
    labels: Iterable[str] | None = None, measure_tracks: bool = True, cache_dir: str | Path | None = None,
    group: str = "unknown", phn_rate: int | None = None,
) -> tuple[Corpus, LoadReport]:
    """Every phone of every aligned utterance under ``path``, resampled to ``sample_rate``.

    Speaker = the wav's folder when the corpus has speaker folders, else the corpus folder's
    name. Group = ``speakers.csv`` (speaker,group) when present, else TIMIT's M/F speaker
    prefix, else ``group``. ``labels`` keeps only those CMU phones; ``measure_tracks`` runs
    Praat per utterance (cached in ``cache_dir``; without it tracks are empty, i.e. all NaN);
    segments shorter than ``min_duration`` s are dropped; ``phn_rate`` is the rate .PHN sample offsets
    count when it is not the wav's own (a .PHN made for 16 kHz beside a 22.05 kHz wav). Segment ids are
    ``<relative path stem>/<index>_<label>``, index = the interval's position in its alignment
    file (silences included), so an id does not change with the options.
    """
    if group not in GROUPS:
        raise ConfigError(f"group must be one of {GROUPS}, got {group!r}")
    loader = UtteranceLoader(LoadOptions(sample_rate=sample_rate, min_duration=min_duration, labels=labels,
                                         measure_tracks=measure_tracks, cache_dir=cache_dir, phn_rate=phn_rate))
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder: give the folder that holds the corpus's wav and alignment files")
    speaker_groups = read_speakers(root / SPEAKERS_FILE)
    for key, (audio, alignment) in _pair_files(root, loader).items():
        speaker = key.parent.name if key.parent != PurePosixPath(".") else root.name
        grp = speaker_groups.get(speaker) or _timit_group(speaker) or group
        loader.load(audio, alignment, utterance=str(key), speaker=speaker, group=grp)
    return loader.finish(name=root.name, source=str(root))


class UtteranceLoader:
    """Shared machinery of the aligned loaders: reads utterances, counts skips, builds the corpus."""

    def __init__(self, options: LoadOptions) -> None:
        self.options = options
        self.segments: list[Segment] = []
        self.utterances = 0
        self.skipped: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.labels: dict[str, Counter[str]] = {k: Counter() for k in (KEPT, MAPPED, IGNORED_CODE, UNKNOWN)}

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n

    def load(self, audio_path: Path, alignment_path: Path, *, utterance: str, speaker: str, group: str) -> None:
        """Add the segments of one utterance (its wav and alignment)."""
        opts = self.options
        data, native_sr = read_channels(audio_path)
        audio, channels = mix_down(data), data.shape[1]
        if channels > 1:
            self.warnings[f"{channels}-channel audio mixed down to mono"] += 1
            if is_silent(audio) and not all(is_silent(data[:, c]) for c in range(channels)):
                self.warnings[WARN_CANCEL] += 1
        native = audio
        if alignment_path.suffix.lower() == ".phn":
            intervals = self._read_phn(alignment_path, native_sr, len(audio))
        else:
            intervals = read_phones(alignment_path, duration=len(audio) / native_sr)
        if native_sr != opts.sample_rate:
            audio = librosa.resample(audio, orig_sr=native_sr, target_sr=opts.sample_rate)
            self.warnings[f"resampled {native_sr} -> {opts.sample_rate} Hz"] += 1
        self.utterances += 1
        kept = [k for k in self._select(intervals, len(audio)) if not self._silent(native, native_sr, k)]
        if not kept:
            return
        sr = opts.sample_rate
        full = (measure_tracks(audio, sr, group=group, settings=opts.praat, cache_dir=opts.cache_dir)
                if opts.measure_tracks else None)
        for index, phone, s0, s1 in kept:
            tracks = slice_tracks(full, s0 / sr, s1 / sr) if full is not None else empty_tracks()
            self.segments.append(Segment(
                id=f"{utterance}/{index}_{phone}", label=phone, audio=audio[s0:s1].copy(), sample_rate=sr,
                speaker=speaker, group=group, utterance=utterance, tracks=tracks, start=s0 / sr,
            ))

    def _select(self, intervals: list[Interval], n_samples: int) -> list[tuple[int, str, int, int]]:
        """(index, phone, first sample, end sample) of the intervals worth keeping; counts the rest."""
        opts, sr = self.options, self.options.sample_rate
        kept = []
        for index, iv in enumerate(intervals):
            phone, outcome = normalise_label(iv.label)
            self.labels[outcome][outcome_key(iv.label, phone, outcome)] += 1
            if phone is None:
                self.skip(SKIP_IGNORED if outcome == IGNORED_CODE else SKIP_UNKNOWN)
                continue
            if opts.labels is not None and phone not in opts.labels:
                self.skip(SKIP_NOT_SELECTED)
                continue
            s0, s1 = round(iv.start * sr), min(round(iv.end * sr), n_samples)
            if (s1 - s0) / sr < opts.min_duration or s1 <= s0:
                self.skip(SKIP_SHORT)
                continue
            kept.append((index, phone, s0, s1))
        return kept

    def _read_phn(self, path: Path, native_sr: int, n_native: int) -> list[Interval]:
        """A .PHN's intervals in seconds: offsets count ``phn_rate`` samples (default: the wav's rate).

        An alignment that ends well before its audio is counted as a warning naming the rate it
        fits (its offsets were probably written for another sample rate: every interval lands early).
        """
        rate = self.options.phn_rate or native_sr
        try:
            intervals = read_phn(path, rate, n_samples=int(np.ceil(n_native * rate / native_sr)))
        except DataError as e:
            if "past the end" not in str(e):
                raise
            raise DataError(f"{e} (if the .PHN counts samples at another rate than the wav's {native_sr} Hz, "
                            "give that rate with --phn-rate)") from None
        if warning := phn_rate_warning(intervals[-1].end, n_native / native_sr, rate, native_sr):
            self.warnings[warning] += 1
        return intervals

    def _silent(self, native: np.ndarray, native_sr: int, kept: tuple[int, str, int, int]) -> bool:
        """Skip (and count) a segment that is digital silence in the file's own samples: its image
        would be constant (an all-zero segment came out as the loudest possible image)."""
        _, _, s0, s1 = kept
        scale = native_sr / self.options.sample_rate
        if is_silent(native[int(s0 * scale):max(int(np.ceil(s1 * scale)), int(s0 * scale) + 1)]):
            self.skip(SKIP_SILENT)
            return True
        return False

    def report(self, source: str) -> LoadReport:
        return LoadReport(
            source=source, utterances=self.utterances, segments=len(self.segments),
            skipped=dict(self.skipped), warnings=dict(self.warnings),
            labels=LabelCounts(**{k: dict(v) for k, v in self.labels.items()}),
        )

    def finish(self, *, name: str, source: str, description: str = "") -> tuple[Corpus, LoadReport]:
        """The corpus and its report; DataError when nothing usable was found."""
        report = self.report(source)
        if not self.segments:
            hint = ""
            if report.labels.unknown and not report.labels.kept and not report.labels.mapped:
                hint = (" Every phone label is unknown: were the alignments made with an IPA phone set "
                        "(e.g. MFA's english_mfa)? Realign with an ARPAbet model such as english_us_arpa.")
            raise DataError(f"{source}: no usable segment.{hint}\n{report.summary()}")
        speakers = len({s.speaker for s in self.segments})
        desc = description or f"aligned corpus {source}: {report.utterances} utterances, {speakers} speakers"
        return Corpus(name=name, segments=tuple(self.segments), description=desc), report


def read_audio(path: Path) -> tuple[np.ndarray, int, int]:
    """(mono float32 samples, sample rate, original channel count); DataError if unusable."""
    data, sr = read_channels(path)
    return mix_down(data), sr, data.shape[1]


def read_channels(path: Path) -> tuple[np.ndarray, int]:
    """(float32 samples [N, channels], sample rate); DataError if unusable or implausible."""
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError, ValueError, OSError, EOFError) as e:
        raise DataError(f"{path}: not readable audio ({e}): re-encode it as PCM WAV or remove it "
                        "together with its alignment") from e
    if data.shape[0] == 0:
        raise DataError(f"{path}: audio file holds no samples: re-export it or remove it with its alignment")
    if not np.isfinite(data).all():
        raise DataError(f"{path}: audio holds NaN or infinite samples: re-export it as PCM WAV")
    if sr < MIN_SAMPLE_RATE:
        raise DataError(f"{path}: sample rate {sr} Hz is implausible for speech (below {MIN_SAMPLE_RATE} Hz): "
                        "the file's header is probably wrong; re-export it with its true sample rate")
    return data, int(sr)


def mix_down(data: np.ndarray) -> np.ndarray:
    """Mono float32 from [N, channels] (the mean of the channels)."""
    mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
    return np.ascontiguousarray(mono, dtype=np.float32)


def is_silent(audio: np.ndarray) -> bool:
    """Digital silence: no sample differs from another by more than one 16-bit step (constant
    audio, an offset included; quiet speech with dither is far above this)."""
    return audio.size == 0 or float(np.ptp(audio)) <= SILENCE_RANGE


COMMON_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)


def phn_rate_warning(end: float, duration: float, rate: int, native_sr: int) -> str | None:
    """The load-report warning for a .PHN whose last interval ends before 80 % of its audio, naming
    the sample rate its offsets fit; None when it reaches further."""
    if duration <= 0 or end >= 0.8 * duration:
        return None
    fits = [r for r in COMMON_RATES if abs(end / duration * rate - r) <= 0.02 * r and r != rate]
    guess = f" they fit {fits[0]} Hz: if so, pass --phn-rate {fits[0]}" if fits else \
        " if they count samples at another rate, give it with --phn-rate"
    return (f".PHN alignment ends well before its audio (read at {rate} Hz, the intervals cover "
            f"{round(100 * end / duration, -1):.0f} % of it):{guess}")


def read_speakers(path: Path) -> dict[str, str]:
    """``speakers.csv`` (header ``speaker,group``) as speaker -> group; {} when absent."""
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: spreadsheet programs write a BOM
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot read the speaker table ({e}): fix or delete it") from e
    if not rows or [c.strip() for c in rows[0]] != ["speaker", "group"]:
        raise DataError(f"{path}, line 1: header must be 'speaker,group': fix or delete the file")
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 2 or row[1].strip() not in GROUPS or not row[0].strip():
            raise DataError(f"{path}, line {line}: expected 'speaker,group' with group one of {GROUPS}, "
                            f"got {','.join(row)[:60]!r}: fix the line")
        out[row[0].strip()] = row[1].strip()
    return out


def _timit_group(speaker: str) -> str | None:
    m = _TIMIT_SPEAKER.match(speaker)
    return None if m is None else {"m": "men", "f": "women"}[m.group(1).lower()]


def _pair_files(root: Path, loader: UtteranceLoader) -> dict[PurePosixPath, tuple[Path, Path]]:
    """Utterance key (relative path without suffixes) -> (audio, alignment), sorted by key.

    Alignments without audio raise DataError; audio without alignment is counted and skipped.
    TIMIT copies that hold both ``SA1.WAV`` (NIST) and ``SA1.WAV.wav`` (RIFF) use the latter.
    """
    audio: dict[PurePosixPath, Path] = {}
    alignments: dict[PurePosixPath, Path] = {}
    for p in sorted(root.rglob("*")):
        rel = PurePosixPath(p.relative_to(root).as_posix())
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue  # hidden files (macOS "._x.wav", temp folders) are not corpus data
        suffix = p.suffix.lower()
        if suffix == AUDIO_SUFFIX:
            key = rel.with_suffix("")
            if key.suffix.lower() == AUDIO_SUFFIX:  # SA1.WAV.wav
                key = key.with_suffix("")
            if key in audio:
                loader.skip(SKIP_DUPLICATE_AUDIO)
                if len(p.name) < len(audio[key].name):
                    continue
            audio[key] = p
        elif suffix in ALIGNMENT_SUFFIXES:
            key = rel.with_suffix("")
            if key not in alignments or ALIGNMENT_SUFFIXES.index(suffix) < ALIGNMENT_SUFFIXES.index(
                    alignments[key].suffix.lower()):
                alignments[key] = p
    for key, p in alignments.items():
        if key not in audio:
            raise DataError(f"{p}: alignment without audio (expected {key.name}.wav beside it): "
                            "add the recording or remove the alignment")
    pairs = {}
    for key in sorted(audio, key=str):
        if key in alignments:
            pairs[key] = (audio[key], alignments[key])
        else:
            loader.skip(SKIP_NO_ALIGNMENT)
    return pairs
