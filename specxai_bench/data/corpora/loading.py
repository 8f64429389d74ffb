"""`--corpus` specs -> a Corpus: the embedded synthetic corpus or a real aligned one.

``synthetic`` (default; ``synthetic:hard`` for the hard variant) | ``aligned:PATH`` (wav + .PHN or
.TextGrid, TIMIT's layout included) | ``ljspeech:ROOT,ALIGNMENTS`` (LJSpeech-1.1 with a folder of MFA
TextGrids). A corpus keeps its own sample rate; ``sample_rate`` resamples it down (never up), e.g. to
meet another corpus's rate. Praat's tracks of real corpora go to the cache shared by every output folder.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterable

import librosa

from ...errors import ConfigError, UnknownNameError
from ...runtime.progress import status
from .base import Corpus
from .synthetic import VARIANTS, SyntheticConfig, synthesize, variant

KINDS = ("synthetic", "aligned", "ljspeech")


def load_corpus(spec: str, *, synthetic: SyntheticConfig, seed: int, labels: Iterable[str],
                cache_dir: Path | None = None, progress: bool = True, sample_rate: int | None = None,
                folding: str = "none", speaker_from: str | int = "parent", phn_rate: int | None = None) -> Corpus:
    """The corpus named by ``spec``; real corpora keep only ``labels`` and get Praat tracks (cached in
    ``cache_dir``, default the shared cache). ``sample_rate`` is the highest rate kept (None: the
    corpus's own); ``folding`` and ``speaker_from`` are the aligned loaders' options; ``phn_rate`` the
    sample rate an aligned corpus's .PHN offsets count, when not the wav's."""
    kind, _, arg = spec.partition(":")
    if kind not in KINDS:
        raise UnknownNameError(f"unknown corpus kind {kind!r} in --corpus {spec!r}; use synthetic, synthetic:hard, "
                               "aligned:PATH or ljspeech:ROOT,ALIGNMENTS")
    if kind == "synthetic":
        if arg and arg not in VARIANTS:
            raise ConfigError(f"--corpus {spec!r}: unknown synthetic corpus variant {arg!r}; use "
                              + " or ".join(f"synthetic:{v}" for v in VARIANTS) + " (synthetic = synthetic:easy)")
        if speaker_from != "parent":
            raise ConfigError(f"--speaker-from reads speakers from an aligned corpus's folders; --corpus {spec} has "
                              "its own speakers")
        corpus = synthesize(variant(replace(synthetic, seed=seed), arg or "easy"), progress=progress)
        return corpus if sample_rate is None else resample_down(corpus, sample_rate)
    if not arg:
        raise ConfigError(f"--corpus {kind} needs a path: {kind}:PATH")
    if phn_rate is not None and kind != "aligned":
        raise ConfigError(f"--phn-rate is for .PHN alignments (--corpus aligned:PATH), not --corpus {kind}")
    options = dict(labels=sorted(set(labels)), measure_tracks=True, cache_dir=cache_dir, sample_rate=sample_rate,
                   folding=folding, progress=progress)
    if kind == "aligned":
        from .aligned import load_aligned_folder

        corpus, report = load_aligned_folder(Path(arg), speaker_from=speaker_from, phn_rate=phn_rate, **options)
    else:
        from .ljspeech import load_ljspeech

        if speaker_from != "parent":
            raise ConfigError("--speaker-from does not apply to LJSpeech (one speaker)")
        root, _, alignments = arg.partition(",")
        if not alignments:
            raise ConfigError(f"--corpus ljspeech needs ROOT,ALIGNMENTS (the LJSpeech-1.1 folder and the folder "
                              f"of MFA TextGrids), got {spec!r}")
        corpus, report = load_ljspeech(Path(root), Path(alignments), **options)
    status(report.summary())
    return corpus


def corpus_rate(corpus: Corpus) -> int:
    """The corpus's sample rate (the lowest, if segments differ)."""
    return min(s.sample_rate for s in corpus.segments)


def resample_down(corpus: Corpus, sample_rate: int) -> Corpus:
    """``corpus`` with every segment above ``sample_rate`` resampled down to it (never up); tracks are in
    seconds and stay as they are."""
    if all(s.sample_rate <= sample_rate for s in corpus.segments):
        return corpus
    segments = tuple(s if s.sample_rate <= sample_rate else replace(
        s, audio=librosa.resample(s.audio, orig_sr=s.sample_rate, target_sr=sample_rate).astype("float32"),
        sample_rate=sample_rate) for s in corpus.segments)
    status(f"{corpus.name}: resampled down to {sample_rate} Hz (full band 0-{sample_rate / 2:g} Hz)")
    return Corpus(corpus.name, segments, f"{corpus.description}, resampled down to {sample_rate} Hz")
