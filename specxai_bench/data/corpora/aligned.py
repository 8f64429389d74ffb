"""Aligned corpora on disk: a folder of wav files, each with a .PHN or .TextGrid of the same stem.

Handles TIMIT (``DR1/FCJF0/SA1.WAV``, NIST SPHERE or RIFF, beside ``SA1.PHN``: speaker = folder,
group from its M/F first letter), MFA output (``.TextGrid`` with a ``phones`` tier, stress digits),
LibriTTS-style ``speaker/chapter/utt`` nesting (``speaker_from="grandparent"``) and corpora
written by :mod:`.export` (speaker folders plus ``speakers.csv``); who spoke what is
:mod:`.speakers`' job. Audio keeps its own rate (never upsampled: a full band is the corpus's own
Nyquist). Skippable problems (unknown label, too short, a reduced vowel, digital silence) are
counted in a :class:`LoadReport`; problems that mean the data is broken (unreadable audio, a
sample rate below 4 kHz, bad alignments) raise DataError naming the file.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import librosa
import numpy as np

from ...errors import ConfigError, DataError
from ...runtime.progress import progress_bar
from ..phonetics import (
    PraatSettings,
    empty_tracks,
    group_from_f0,
    maximum_formant,
    measure_tracks,
    shared_cache_dir,
    slice_tracks,
    voiced_f0,
)
from .audio_files import MIN_SAMPLE_RATE, is_silent, mix_down, phn_rate_warning, read_channels
from .base import Corpus, Segment
from .intervals import Interval
from .labels import (
    IGNORED_CODE,
    OUTCOMES,
    REDUCED_CODE,
    LabelCounts,
    check_folding,
    check_label_set,
    normalise_label,
    outcome_key,
)
from .phn import read_phn
from .speakers import (
    GROUPS,
    SPEAKERS_FILE,
    check_speaker_from,
    read_speaker_table,
    speaker_notes,
    speaker_of,
    timit_group,
)
from .textgrid import read_phones

AUDIO_SUFFIX = ".wav"
ALIGNMENT_SUFFIXES = (".phn", ".textgrid")  # preference order when both exist

# Reasons a segment (or a file) is skipped, as counted in LoadReport.skipped.
SKIP_IGNORED = "ignored label (closure, pause, silence)"
SKIP_UNKNOWN = "unknown label (not ARPAbet)"
SKIP_REDUCED = "reduced vowel (kept apart: no task uses it)"
SKIP_NOT_SELECTED = "label not selected"
SKIP_SHORT = "shorter than min_duration"
SKIP_NO_ALIGNMENT = "audio file without alignment (file)"
SKIP_DUPLICATE_AUDIO = "duplicate audio of one utterance (file)"
SKIP_NOT_IN_CSV = "audio file not listed in speakers.csv (file)"
SKIP_SILENT = "digital silence (no sample differs by more than one 16-bit step)"
WARN_CANCEL = "channels cancel when mixed down to mono (one is the other inverted?): silent segments skipped"



@dataclass(frozen=True)
class LoadOptions:
    """What every aligned-corpus loader does to each utterance (validated on construction).

    ``sample_rate`` is the highest rate kept (audio above it is resampled down; None: the corpus's
    own); audio is never upsampled, and a corpus of mixed rates is resampled down to its lowest.
    ``cache_dir`` holds Praat's tracks (None: the shared cache, :func:`..phonetics.shared_cache_dir`).
    """

    sample_rate: int | None = None
    min_duration: float = 0.03
    labels: frozenset[str] | None = None  # keep only these CMU phones; None keeps all
    folding: str = "none"  # labels.FOLDINGS: "timit" folds reduced vowels into full ones
    measure_tracks: bool = True
    cache_dir: Path | None = None
    praat: PraatSettings = PraatSettings()
    progress: bool = False
    phn_rate: int | None = None  # the sample rate .PHN offsets count (None: the wav's own rate, as in TIMIT)

    def __post_init__(self) -> None:
        rate = self.sample_rate
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 1000):
            raise ConfigError(f"sample_rate must be an integer >= 1000 Hz (or None: the corpus's own), got {rate!r}")
        if self.phn_rate is not None and (isinstance(self.phn_rate, bool) or not isinstance(self.phn_rate, int)
                                          or self.phn_rate < MIN_SAMPLE_RATE):
            raise ConfigError(f"--phn-rate must be a sample rate in Hz (an integer >= {MIN_SAMPLE_RATE}), "
                              f"got {self.phn_rate!r}")
        if not (isinstance(self.min_duration, (int, float)) and self.min_duration >= 0):
            raise ConfigError(f"min_duration must be seconds >= 0, got {self.min_duration!r}")
        object.__setattr__(self, "labels", check_label_set(self.labels))
        check_folding(self.folding)
        cache = shared_cache_dir() / "praat" if self.cache_dir is None else Path(self.cache_dir)
        object.__setattr__(self, "cache_dir", cache)


@dataclass(frozen=True)
class LoadReport:
    """What a load kept, skipped (with why), warned about and decided; ``summary()`` prints it."""

    source: str
    utterances: int
    segments: int
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> segments (or files)
    warnings: dict[str, int] = field(default_factory=dict)  # warning -> files
    labels: LabelCounts = field(default_factory=LabelCounts)
    sample_rate: int = 0  # the rate every segment has
    speakers: dict[str, str] = field(default_factory=dict)  # speaker -> group
    notes: tuple[str, ...] = ()  # decisions worth reading: ceilings from F0, speakers.csv entries unmatched
    praat_failures: int = 0  # utterances Praat could not analyse (their segments have no tracks)

    def summary(self) -> str:
        groups = Counter(self.speakers.values())
        lines = [f"{self.source}: {self.segments} segments from {self.utterances} utterances, "
                 f"{len(self.speakers)} speakers ({', '.join(f'{g} {n}' for g, n in sorted(groups.items()))}), "
                 f"{self.sample_rate} Hz (full band 0-{self.sample_rate / 2:g} Hz)"]
        lines += [f"  skipped {n}: {reason}" for reason, n in sorted(self.skipped.items(), key=lambda kv: -kv[1])]
        lines += [f"  warning ({n} files): {w}" for w, n in sorted(self.warnings.items(), key=lambda kv: -kv[1])]
        if self.praat_failures:
            lines.append(f"  warning: Praat could not analyse {self.praat_failures} utterance(s) (too short or "
                         "silent): their segments have no tracks, and tracks-based metrics give NaN on them")
        lines += ["  " + note for note in self.notes]
        if text := self.labels.summary():
            lines += ["  " + line for line in text.splitlines()]
        return "\n".join(lines)


def load_aligned_folder(
    path: str | Path, *, sample_rate: int | None = None, min_duration: float = 0.03,
    labels: Iterable[str] | None = None, folding: str = "none", measure_tracks: bool = True,
    cache_dir: str | Path | None = None, group: str = "unknown", speaker_from: str | int = "parent",
    progress: bool = False, phn_rate: int | None = None,
) -> tuple[Corpus, LoadReport]:
    """Every phone of every aligned utterance under ``path``, at the corpus's own rate (or lower).

    Speaker: ``speaker_from`` (:mod:`.speakers`: ``parent`` folder by default, ``grandparent``
    for speaker/chapter/utt, a depth, or ``csv``). Group = ``speakers.csv`` (a group, gender or
    sex column) when it names the speaker, else TIMIT's M/F speaker prefix, else ``group``.
    ``labels`` keeps only those CMU phones; ``folding`` (``none`` | ``timit``) decides whether
    reduced vowels are folded into full ones; ``measure_tracks`` runs Praat per utterance (cached
    in ``cache_dir``, the shared cache by default; without it tracks are empty, i.e. all NaN);
    segments shorter than ``min_duration`` s are dropped; ``phn_rate`` is the rate .PHN sample offsets
    count when it is not the wav's own (a .PHN made for 16 kHz beside a 22.05 kHz wav). Segment ids are
    ``<relative path stem>/<index>_<label>``, index = the interval's position in its alignment
    file (silences included), so an id does not change with the options.
    """
    if group not in GROUPS:
        raise ConfigError(f"group must be one of {GROUPS}, got {group!r}")
    how = check_speaker_from(speaker_from)
    loader = UtteranceLoader(LoadOptions(sample_rate=sample_rate, min_duration=min_duration, labels=labels,
                                         folding=folding, measure_tracks=measure_tracks, cache_dir=cache_dir,
                                         progress=progress, phn_rate=phn_rate))
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder: give the folder that holds the corpus's wav and alignment files")
    table = read_speaker_table(root / SPEAKERS_FILE, by_file=how == "csv")
    pairs = _pair_files(root, loader)
    for key, (audio, alignment) in pairs.items():
        speaker = speaker_of(key, root, how, table)
        if speaker is None:
            loader.skip(SKIP_NOT_IN_CSV)
            continue
        grp = table.groups.get(speaker) or timit_group(speaker) or group
        loader.load(audio, alignment, utterance=str(key), speaker=speaker, group=grp)
    loader.notes += speaker_notes(root, how, table, loader.speaker_groups, list(pairs))
    return loader.finish(name=root.name, source=str(root))


@dataclass
class _Utterance:
    """One utterance read, waiting for the corpus's common rate and Praat."""

    utterance: str
    speaker: str
    group: str
    audio: np.ndarray
    sample_rate: int
    kept: list[tuple[int, str, float, float]]  # (index, phone, start s, end s)


class UtteranceLoader:
    """Shared machinery of the aligned loaders: reads utterances, counts skips, builds the corpus.

    ``load`` reads one utterance; ``finish`` brings every utterance to the corpus's lowest rate
    (never up), measures Praat's tracks (a speaker of unknown group with the ceiling of their
    median F0) and builds the corpus and its report.
    """

    def __init__(self, options: LoadOptions) -> None:
        self.options = options
        self.pending: list[_Utterance] = []
        self.utterances = 0
        self.skipped: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.notes: list[str] = []
        self.speaker_groups: dict[str, str] = {}
        self.labels: dict[str, Counter[str]] = {k: Counter() for k in OUTCOMES}

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n

    def load(self, audio_path: Path, alignment_path: Path, *, utterance: str, speaker: str, group: str) -> None:
        """Read one utterance (its wav and alignment); its segments are made by :meth:`finish`."""
        data, native_sr = read_channels(audio_path)
        audio, channels = mix_down(data), data.shape[1]
        if channels > 1:
            self.warnings[f"{channels}-channel audio mixed down to mono"] += 1
            if is_silent(audio) and not all(is_silent(data[:, c]) for c in range(channels)):
                self.warnings[WARN_CANCEL] += 1
        if alignment_path.suffix.lower() == ".phn":
            intervals = self._read_phn(alignment_path, native_sr, len(audio))
        else:
            intervals = read_phones(alignment_path, duration=len(audio) / native_sr)
        self.utterances += 1
        self.speaker_groups.setdefault(speaker, group)
        kept = [k for k in self._select(intervals, len(audio) / native_sr) if not self._silent(audio, native_sr, k)]
        if kept:
            self.pending.append(_Utterance(utterance, speaker, group, audio, native_sr, kept))

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

    def _silent(self, audio: np.ndarray, native_sr: int, kept: tuple[int, str, float, float]) -> bool:
        """Skip (and count) a segment that is digital silence in the file's own samples: its image
        would be constant (an all-zero segment came out as the loudest possible image)."""
        _, _, t0, t1 = kept
        s0 = int(t0 * native_sr)
        if is_silent(audio[s0:max(int(np.ceil(t1 * native_sr)), s0 + 1)]):
            self.skip(SKIP_SILENT)
            return True
        return False

    def _select(self, intervals: list[Interval], duration: float) -> list[tuple[int, str, float, float]]:
        """(index, phone, start, end) of the intervals worth keeping; counts the rest."""
        opts = self.options
        kept = []
        for index, iv in enumerate(intervals):
            phone, outcome = normalise_label(iv.label, opts.folding)
            self.labels[outcome][outcome_key(iv.label, phone, outcome)] += 1
            if phone is None:
                self.skip(SKIP_IGNORED if outcome == IGNORED_CODE else SKIP_UNKNOWN)
                continue
            if outcome == REDUCED_CODE:
                self.skip(SKIP_REDUCED)
                continue
            if opts.labels is not None and phone not in opts.labels:
                self.skip(SKIP_NOT_SELECTED)
                continue
            end = min(iv.end, duration)
            if end - iv.start < opts.min_duration or end <= iv.start:
                self.skip(SKIP_SHORT)
                continue
            kept.append((index, phone, iv.start, end))
        return kept

    def target_rate(self) -> int:
        """The corpus's lowest rate, capped by ``options.sample_rate``: what every segment gets."""
        rates = {u.sample_rate for u in self.pending}
        rate = min(rates) if rates else (self.options.sample_rate or 0)
        if self.options.sample_rate is not None:
            rate = min(rate, self.options.sample_rate)
        if len(rates) > 1:
            self.notes.append(f"note: the corpus mixes sample rates ({', '.join(map(str, sorted(rates)))} Hz): every "
                              f"utterance is resampled down to the lowest, {rate} Hz (never up)")
        return rate

    def finish(self, *, name: str, source: str, description: str = "") -> tuple[Corpus, LoadReport]:
        """The corpus and its report; DataError when nothing usable was found."""
        rate = self.target_rate()
        for u in self.pending:
            if u.sample_rate != rate:
                u.audio = librosa.resample(u.audio, orig_sr=u.sample_rate, target_sr=rate)
                self.warnings[f"resampled {u.sample_rate} -> {rate} Hz (down only)"] += 1
        ceilings = self._ceilings(rate) if self.options.measure_tracks else {}
        segments, failures = [], 0
        for u in progress_bar(self.pending, desc="Praat tracks" if self.options.measure_tracks else "segments",
                              unit="utt", enabled=self.options.progress and self.options.measure_tracks):
            full = None
            if self.options.measure_tracks:
                full = measure_tracks(u.audio, rate, ceiling=ceilings[u.speaker], settings=self.options.praat,
                                      cache_dir=self.options.cache_dir)
                failures += int(len(full.times) == 0)
            for index, phone, t0, t1 in u.kept:
                s0, s1 = round(t0 * rate), min(round(t1 * rate), len(u.audio))
                if s1 <= s0:
                    self.skip(SKIP_SHORT)
                    continue
                tracks = slice_tracks(full, s0 / rate, s1 / rate) if full is not None else empty_tracks()
                segments.append(Segment(
                    id=f"{u.utterance}/{index}_{phone}", label=phone, audio=u.audio[s0:s1].copy(), sample_rate=rate,
                    speaker=u.speaker, group=u.group, utterance=u.utterance, tracks=tracks, start=s0 / rate))
        self.pending = []
        report = LoadReport(
            source=source, utterances=self.utterances, segments=len(segments), skipped=dict(self.skipped),
            warnings=dict(self.warnings), labels=LabelCounts(**{k: dict(v) for k, v in self.labels.items()}),
            sample_rate=rate, speakers=dict(sorted(self.speaker_groups.items())), notes=tuple(self.notes),
            praat_failures=failures)
        if not segments:
            hint = ""
            if report.labels.unknown and not report.labels.kept and not report.labels.mapped:
                hint = (" Every phone label is unknown: were the alignments made with an IPA phone set "
                        "(e.g. MFA's english_mfa)? Realign with an ARPAbet model such as english_us_arpa.")
            raise DataError(f"{source}: no usable segment.{hint}\n{report.summary()}")
        speakers = len({s.speaker for s in segments})
        desc = description or f"aligned corpus {source}: {report.utterances} utterances, {speakers} speakers"
        return Corpus(name=name, segments=tuple(segments), description=desc), report

    def _ceilings(self, rate: int) -> dict[str, float]:
        """Speaker -> Praat's formant ceiling: their group's, or for an unknown group that of the group
        their median F0 points to (noted in the report)."""
        utterances: dict[str, list[_Utterance]] = defaultdict(list)
        for u in self.pending:
            utterances[u.speaker].append(u)
        out, decided = {}, []
        for speaker, utts in sorted(utterances.items()):
            group = utts[0].group
            if group == "unknown":
                f0 = np.concatenate([voiced_f0(u.audio, rate, settings=self.options.praat,
                                               cache_dir=self.options.cache_dir) for u in utts])
                median = float(np.median(f0)) if f0.size else float("nan")
                group = group_from_f0(median)
                decided.append(f"{speaker} {median:.0f} Hz -> {maximum_formant(group):.0f}")
            out[speaker] = maximum_formant(group)
        if decided:
            shown = "; ".join(decided[:12]) + (f"; +{len(decided) - 12} more" if len(decided) > 12 else "")
            self.notes.append(f"Praat formant ceiling from each speaker's median F0 for {len(decided)} speaker(s) of "
                              f"unknown group (< 165 Hz: 5000, < 260 Hz: 5500, else 6500 Hz): {shown}")
        return out


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
