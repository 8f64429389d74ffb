"""LJSpeech-1.1 with Montreal Forced Aligner TextGrids: the study's corpus.

Layout: ``root/wavs/LJ001-0001.wav``, ``root/metadata.csv`` (``id|text|normalized``) and, beside
it, a folder of MFA TextGrids (``alignments/LJ001-0001.TextGrid``, any depth). One female
speaker, so every segment's utterance is its clip id: split by utterance, not by segment.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ...errors import ConfigError, DataError
from .aligned import LoadOptions, LoadReport, UtteranceLoader
from .base import Corpus

SPEAKER = "LJ"
GROUP = "women"
SKIP_NOT_ALIGNED = "clip without a TextGrid (file)"


def load_ljspeech(
    root: str | Path, alignments: str | Path, *, sample_rate: int | None = None, min_duration: float = 0.03,
    labels: Iterable[str] | None = None, folding: str = "none", measure_tracks: bool = True,
    cache_dir: str | Path | None = None, limit: int | None = None, progress: bool = False,
) -> tuple[Corpus, LoadReport]:
    """Segments of the LJSpeech clips that have a TextGrid in ``alignments`` (metadata order).

    Options are those of :func:`.aligned.load_aligned_folder`; ``limit`` keeps the first N
    aligned clips (for quick runs). Clips MFA could not align are counted, not fatal; a TextGrid
    whose clip is not in ``metadata.csv`` or ``wavs/`` raises DataError.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"limit must be a positive integer or None, got {limit!r}")
    loader = UtteranceLoader(LoadOptions(sample_rate=sample_rate, min_duration=min_duration, labels=labels,
                                         folding=folding, measure_tracks=measure_tracks, cache_dir=cache_dir,
                                         progress=progress))
    root, alignments = Path(root), Path(alignments)
    ids = read_metadata(root / "metadata.csv")
    if not alignments.is_dir():
        raise DataError(f"{alignments}: no such folder of TextGrids: run MFA on {root / 'wavs'} "
                        "(e.g. with english_us_arpa) and pass its output folder")
    grids = _textgrids(alignments)
    known = set(ids)
    for clip, path in grids.items():
        if clip not in known:
            raise DataError(f"{path}: alignment for clip {clip!r}, which is not in {root / 'metadata.csv'}: "
                            "is this the alignment folder of another corpus?")
    loaded = 0
    for clip in ids:
        wav = root / "wavs" / f"{clip}.wav"
        if clip not in grids:
            if not wav.is_file():
                raise DataError(f"{wav}: listed in metadata.csv but missing: re-download LJSpeech-1.1")
            loader.skip(SKIP_NOT_ALIGNED)
            continue
        if limit is not None and loaded >= limit:
            break
        if not wav.is_file():
            raise DataError(f"{grids[clip]}: alignment without audio (expected {wav}): re-download LJSpeech-1.1")
        loader.load(wav, grids[clip], utterance=clip, speaker=SPEAKER, group=GROUP)
        loaded += 1
    return loader.finish(name="ljspeech", source=str(root),
                         description=f"LJSpeech-1.1 ({loaded} aligned clips, one female speaker) from {root}")


def read_metadata(path: Path) -> list[str]:
    """Clip ids of ``metadata.csv`` in file order (``id|text|normalized``; text may hold quotes)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: missing: give the LJSpeech-1.1 folder (with metadata.csv and wavs/)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read ({e}): re-download LJSpeech-1.1") from e
    ids: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(text.split("\n"), start=1):
        if not row.strip():
            continue
        clip = row.split("|", 1)[0].strip()
        if "|" not in row or not clip or "/" in clip or "\\" in clip:
            raise DataError(f"{path}, line {line}: expected 'id|text|normalized text', got {row[:60]!r}: fix the line")
        if clip in seen:
            raise DataError(f"{path}, line {line}: clip {clip!r} listed twice: remove the duplicate")
        seen.add(clip)
        ids.append(clip)
    if not ids:
        raise DataError(f"{path}: lists no clips: re-download LJSpeech-1.1")
    return ids


def _textgrids(folder: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() != ".textgrid" or p.name.startswith(".") or not p.is_file():
            continue
        if p.stem in out:
            raise DataError(f"{p}: a second TextGrid for clip {p.stem!r} (first: {out[p.stem]}): keep one")
        out[p.stem] = p
    return out
