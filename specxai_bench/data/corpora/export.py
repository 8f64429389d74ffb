"""Write a Corpus as an aligned corpus on disk: 16-bit wav + alignments per utterance.

Style ``toolkit``: ``OUT/<speaker>/<utterance>.{wav,PHN,TextGrid}`` plus ``OUT/speakers.csv``
(speaker,group). Style ``mfa``: what a real corpus run through the Montreal Forced Aligner looks
like, LibriTTS-style: ``OUT/<speaker>/<chapter>/<speaker>_<chapter>_<utterance>.{wav,TextGrid}``
(two chapters per speaker), TextGrids with a ``words`` and a ``phones`` tier in upper-case ARPAbet
with stress digits (``AA1``), 50 ms of silence around each utterance (empty intervals), and
``speakers.csv`` with a ``gender`` column (M / F / child). :func:`.aligned.load_aligned_folder`
reads both back (``mfa`` with ``speaker_from="grandparent"``). This is how the real-corpus readers
are tested against the synthetic corpus, and how it is shared with other tools (Praat).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

from ...errors import ConfigError, DataError
from ...io import temp_folder_beside, temp_prefix
from .base import Corpus, Segment
from .intervals import Interval
from .phn import write_phn
from .speakers import GROUPS
from .textgrid import write_textgrid

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
STYLES = ("toolkit", "mfa")
_VOWELS = frozenset("aa ae ah ao aw ay eh er ey ih iy ow oy uh uw".split())
_GENDER = {"men": "M", "women": "F", "children": "child", "unknown": ""}
MFA_SILENCE = 0.05  # seconds of silence written around each utterance in the mfa style


def export_corpus(corpus: Corpus, out_dir: str | Path, *, overwrite: bool = False, style: str = "toolkit") -> Path:
    """Write ``corpus`` under ``out_dir`` atomically (temp folder, then rename); returns the folder.

    Segments of one utterance are placed at their ``start`` (silence fills gaps). An existing
    non-empty ``out_dir`` is replaced only with ``overwrite=True``. ``style`` is ``toolkit`` or
    ``mfa`` (see the module docstring).
    """
    if style not in STYLES:
        raise ConfigError(f"unknown export style {style!r}; use one of {', '.join(STYLES)}")
    out = Path(out_dir)
    if out.exists() and not (out.is_dir() and (overwrite or not any(out.iterdir()))):
        raise ConfigError(f"{out}: exists and is not an empty folder: choose another folder or pass overwrite")
    if not corpus.segments:
        raise DataError(f"corpus {corpus.name!r} has no segments: nothing to export")
    tmp = temp_folder_beside(out)  # 0755 under the usual umask (mkdtemp alone: 0700)
    try:
        groups = _write_utterances(corpus, tmp, style)
        if style == "mfa":
            rows = "".join(f"{spk},{_GENDER[grp]}\n" for spk, grp in sorted(groups.items()))
            (tmp / "speakers.csv").write_text("speaker,gender\n" + rows, encoding="utf-8")
        else:
            rows = "".join(f"{spk},{grp}\n" for spk, grp in sorted(groups.items()))
            (tmp / "speakers.csv").write_text("speaker,group\n" + rows, encoding="utf-8")
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def utterance_file_stem(utterance: str, speaker: str) -> str:
    """File stem for an utterance inside its speaker folder (``m01/iy_00`` -> ``iy_00``)."""
    parts = [p for p in utterance.split("/") if p]
    if len(parts) > 1 and parts[0] == speaker:
        parts = parts[1:]
    return _SAFE.sub("_", "-".join(parts)) or "utterance"


def _write_utterances(corpus: Corpus, folder: Path, style: str = "toolkit") -> dict[str, str]:
    """Write every utterance; returns speaker -> group."""
    by_utt: dict[str, list[Segment]] = defaultdict(list)
    for seg in corpus.segments:
        by_utt[seg.utterance].append(seg)
    groups: dict[str, str] = {}
    written: dict[Path, str] = {}
    chapters: dict[str, list[str]] = {}
    clipped = 0
    for utt, segs in by_utt.items():
        segs.sort(key=lambda s: s.start)
        first = segs[0]
        _check_speaker(first, groups)
        for s in segs[1:]:
            if (s.speaker, s.group, s.sample_rate) != (first.speaker, first.group, first.sample_rate):
                raise DataError(f"utterance {utt!r}: segments {first.id!r} and {s.id!r} differ in speaker, group "
                                "or sample rate: one utterance is one recording of one speaker")
        name = utterance_file_stem(utt, first.speaker)
        if style == "mfa":  # LibriTTS: speaker/chapter/speaker_chapter_utt, two chapters per speaker
            done = chapters.setdefault(first.speaker, [])
            chapter = str(1 + len(done) % 2)
            done.append(utt)
            stem = folder / first.speaker / chapter / f"{first.speaker}_{chapter}_{name}"
        else:
            stem = folder / first.speaker / name
        if stem in written:
            raise DataError(f"utterances {written[stem]!r} and {utt!r} map to the same file {stem.name!r}: "
                            "rename one of them")
        written[stem] = utt
        audio, intervals = _assemble(utt, segs)
        clipped += int(np.count_nonzero(np.abs(audio) > 1.0))
        stem.parent.mkdir(parents=True, exist_ok=True)
        sr = first.sample_rate
        if style == "mfa":
            _write_mfa(stem, audio, intervals, sr)
            continue
        sf.write(str(stem.with_suffix(".wav")), audio, sr, subtype="PCM_16")
        write_phn(stem.with_suffix(".PHN"), intervals, sr)
        write_textgrid(stem.with_suffix(".TextGrid"), {"phones": intervals}, xmax=len(audio) / sr)
    if clipped:
        warnings.warn(f"corpus {corpus.name!r}: {clipped} samples beyond [-1, 1] were clipped in the 16-bit wavs",
                      stacklevel=3)
    return groups


def _write_mfa(stem: Path, audio: np.ndarray, intervals: list[Interval], sr: int) -> None:
    """wav with silence around it, and a TextGrid as MFA's english_us_arpa writes it (words, phones; AA1)."""
    pad = round(MFA_SILENCE * sr)
    audio = np.concatenate([np.zeros(pad, np.float32), audio, np.zeros(pad, np.float32)])
    shift = pad / sr
    phones = [Interval(iv.start + shift, iv.end + shift, iv.label.upper() + ("1" if iv.label in _VOWELS else ""))
              for iv in intervals]
    words = [Interval(phones[0].start, phones[-1].end, "WORD")]
    sf.write(str(stem.with_suffix(".wav")), audio, sr, subtype="PCM_16")
    write_textgrid(stem.with_suffix(".TextGrid"), {"words": words, "phones": phones}, xmax=len(audio) / sr)


def _assemble(utt: str, segs: list[Segment]) -> tuple[np.ndarray, list[Interval]]:
    """The utterance's audio (segments at their starts, zeros between) and its intervals."""
    sr = segs[0].sample_rate
    starts = np.array([round(s.start * sr) for s in segs])
    ends = starts + np.array([len(s.audio) for s in segs])
    for i in np.flatnonzero(starts[1:] < ends[:-1]):
        raise DataError(f"utterance {utt!r}: segment {segs[i + 1].id!r} starts before {segs[i].id!r} ends: "
                        "segments of one utterance must not overlap")
    if starts.min() < 0:
        raise DataError(f"utterance {utt!r}: a segment has a negative start: fix the corpus")
    audio = np.zeros(int(ends.max()), dtype=np.float32)
    for s, a, b in zip(segs, starts, ends):
        audio[a:b] = s.audio
    intervals = [Interval(int(a) / sr, int(b) / sr, s.label) for s, a, b in zip(segs, starts, ends) if b > a]
    return audio, intervals


def _check_speaker(seg: Segment, groups: dict[str, str]) -> None:
    if not seg.speaker or seg.speaker.startswith(".") or _SAFE.search(seg.speaker):
        raise DataError(f"speaker id {seg.speaker!r} (segment {seg.id!r}) cannot be a folder name: "
                        "use letters, digits, '_', '-' or '.'")
    if seg.group not in GROUPS:
        raise DataError(f"segment {seg.id!r}: group {seg.group!r} is not one of {GROUPS}: fix the corpus")
    if groups.setdefault(seg.speaker, seg.group) != seg.group:
        raise DataError(f"speaker {seg.speaker!r} is in two groups ({groups[seg.speaker]!r}, {seg.group!r}): "
                        "fix the corpus")


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is moved aside first and removed after."""
    if not out.exists():
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=temp_prefix(out), suffix=".old", dir=out.parent))
    os.rename(out, old / out.name)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
