"""`--corpus` specs -> a Corpus: the embedded synthetic corpus or a real aligned one.

``synthetic`` (default; ``synthetic:hard`` for the hard variant) | ``aligned:PATH`` (wav + .PHN or
.TextGrid, TIMIT's layout included) |
``ljspeech:ROOT,ALIGNMENTS`` (LJSpeech-1.1 with a folder of MFA TextGrids).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterable

from ...errors import ConfigError, UnknownNameError
from ...runtime.progress import status
from .base import Corpus
from .synthetic import VARIANTS, SyntheticConfig, synthesize, variant

KINDS = ("synthetic", "aligned", "ljspeech")


def load_corpus(spec: str, *, synthetic: SyntheticConfig, seed: int, labels: Iterable[str], cache_dir: Path,
                progress: bool = True) -> Corpus:
    """The corpus named by ``spec``; real corpora keep only ``labels`` and get Praat tracks (cached)."""
    kind, _, arg = spec.partition(":")
    if kind not in KINDS:
        raise UnknownNameError(f"unknown corpus kind {kind!r} in --corpus {spec!r}; use synthetic, synthetic:hard, "
                               "aligned:PATH or ljspeech:ROOT,ALIGNMENTS")
    if kind == "synthetic":
        if arg and arg not in VARIANTS:
            raise ConfigError(f"--corpus {spec!r}: unknown synthetic corpus variant {arg!r}; use "
                              + " or ".join(f"synthetic:{v}" for v in VARIANTS) + " (synthetic = synthetic:easy)")
        return synthesize(variant(replace(synthetic, seed=seed), arg or "easy"), progress=progress)
    if not arg:
        raise ConfigError(f"--corpus {kind} needs a path: {kind}:PATH")
    options = dict(labels=sorted(set(labels)), measure_tracks=True, cache_dir=cache_dir / "praat",
                   sample_rate=synthetic.sample_rate)
    if kind == "aligned":
        from .aligned import load_aligned_folder

        corpus, report = load_aligned_folder(Path(arg), **options)
    else:
        from .ljspeech import load_ljspeech

        root, _, alignments = arg.partition(",")
        if not alignments:
            raise ConfigError(f"--corpus ljspeech needs ROOT,ALIGNMENTS (the LJSpeech-1.1 folder and the folder "
                              f"of MFA TextGrids), got {spec!r}")
        corpus, report = load_ljspeech(Path(root), Path(alignments), **options)
    status(report.summary())
    return corpus
