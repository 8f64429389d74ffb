"""Spectrogram datasets cached on disk as tensors: computed once, loaded by every later run and rank.

A task's splits (images, targets, ids, labels, speakers, groups, tracks on the image columns, the
FrequencyAxis) are saved as one ``torch.save`` file, loaded with ``weights_only=True``. The file's
name carries a hash of everything that changes its contents:

- the corpus fingerprint (ids, labels, speakers, audio bytes),
- the spectrogram config (STFT, image size, band limit) and the task's classes,
- the selection: every split's (segment id, class) list, which fixes the seed's draw,
- for the shortcut task, the planted bands and the seed (which draws the band noise),
- a digest of the source files that turn segments into images and tracks, so editing the code
  invalidates the cache instead of serving stale images.

Writes go to a temp file in the same folder, are fsynced and renamed: a file is whole or absent,
and concurrent writers (several ranks) cannot leave a torn one. An unreadable file is rebuilt.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..io import atomic_write, config_hash
from ..runtime.progress import status
from .corpora.base import Corpus, Segment
from .datasets import TaskData, build_task_data, spectrogram_config
from .spectrogram import FrequencyAxis
from .splits import SPLITS
from .tasks import Task

CACHE_FORMAT = 1
DATA_PACKAGE = Path(__file__).parent  # everything that turns corpora into images and tracks lives here


def code_digest() -> str:
    """sha256 of every source file of the data package (short): no hand-kept list to drift.

    A change anywhere in data/ (even one that leaves the images alone) rebuilds the cache: a
    spurious rebuild costs seconds, a stale image would cost a wrong result.
    """
    h = hashlib.sha256()
    for path in sorted(DATA_PACKAGE.rglob("*.py")):
        h.update(path.relative_to(DATA_PACKAGE).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def cache_key(task: Task, image_size: int, corpus_fingerprint: str,
              selected: dict[str, list[tuple[Segment, int]]], seed: int = 0) -> str:
    shortcut = {} if task.shortcut is None else {"shortcut": task.shortcut.as_dict(), "seed": seed}
    return config_hash({**shortcut,
        "format": CACHE_FORMAT, "code": code_digest(), "corpus": corpus_fingerprint, "classes": list(task.classes),
        "spectrogram": asdict(spectrogram_config(task, image_size)),
        "selection": {split: [[s.id, int(c)] for s, c in selected[split]] for split in SPLITS},
    })


def cache_path(cache_dir: Path, task: Task, image_size: int, key: str) -> Path:
    return Path(cache_dir) / "spectrograms" / f"{task.name}-{image_size}px-{key}.pt"


def _pack(data: TaskData) -> dict[str, Any]:
    return {"images": data.images.contiguous(), "targets": data.targets, "ids": list(data.ids),
            "labels": list(data.labels), "speakers": list(data.speakers), "groups": list(data.groups),
            "f0": torch.from_numpy(np.ascontiguousarray(data.f0, dtype=np.float64)),
            "formants": torch.from_numpy(np.ascontiguousarray(data.formants, dtype=np.float64)),
            "axis": [float(data.axis.fmin), float(data.axis.fmax), int(data.axis.n_rows)]} | (
                {k: torch.from_numpy(np.ascontiguousarray(v, np.float64))
                 for k, v in (("bands", data.bands), ("boxes", data.boxes), ("durations", data.durations)) if v is not None})


def _unpack(blob: dict[str, Any]) -> TaskData:
    fmin, fmax, rows = blob["axis"]
    return TaskData(images=blob["images"], targets=blob["targets"], ids=tuple(blob["ids"]),
                    labels=tuple(blob["labels"]), speakers=tuple(blob["speakers"]), groups=tuple(blob["groups"]),
                    f0=blob["f0"].numpy(), formants=blob["formants"].numpy(),
                    axis=FrequencyAxis(float(fmin), float(fmax), int(rows)),
                    **{k: blob[k].numpy() if k in blob else None for k in ("bands", "boxes", "durations")})


def save_splits(path: Path, splits: dict[str, TaskData]) -> None:
    """Atomic (:func:`specxai_bench.io.atomic_write`: temp file in the same folder, fsync, rename)."""
    blob = {"format": CACHE_FORMAT, "splits": {k: _pack(v) for k, v in splits.items()}}
    atomic_write(path, lambda f: torch.save(blob, f))


def load_splits(path: Path) -> dict[str, TaskData]:
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if blob.get("format") != CACHE_FORMAT or set(blob["splits"]) != set(SPLITS):
        raise ValueError(f"cache format {blob.get('format')} is not {CACHE_FORMAT}")
    return {k: _unpack(blob["splits"][k]) for k in SPLITS}


def cached_task_data(task: Task, corpus: Corpus, image_size: int, seed: int, *, cache_dir: Path,
                     corpus_fingerprint: str, selected: dict[str, list[tuple[Segment, int]]],
                     progress: bool = True) -> dict[str, TaskData]:
    """:func:`data.build_task_data`, computed once and then loaded from ``cache_dir``."""
    path = cache_path(cache_dir, task, image_size, cache_key(task, image_size, corpus_fingerprint, selected, seed))
    if path.exists():
        try:
            return load_splits(path)
        except Exception as exc:  # a damaged cache file is rebuilt, never trusted
            status(f"[{task.name}] spectrogram cache {path.name} unreadable ({type(exc).__name__}); rebuilding")
    splits = build_task_data(task, corpus, image_size, seed, progress=progress, selected=selected)
    save_splits(path, splits)
    return splits
