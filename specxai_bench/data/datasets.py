"""Task datasets: spectrogram images, labels and tracks on the image's time columns, per split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from ..errors import DataError
from ..runtime.progress import progress_bar
from .corpora.base import Corpus, Segment
from .shortcut import cue_boxes, plant
from .spectrogram import FrequencyAxis, SpectrogramConfig, spectrogram_image
from .splits import SPLITS, select_segments
from .tasks import Task


@dataclass(frozen=True)
class TaskData:
    """One split of one task: everything the model, methods and metrics need, nothing else."""

    images: torch.Tensor  # [N, 1, H, W] float32 in [0, 1]
    targets: torch.Tensor  # [N] class index (the true class)
    ids: tuple[str, ...]
    labels: tuple[str, ...]  # phone label of each segment
    speakers: tuple[str, ...]
    groups: tuple[str, ...]
    f0: np.ndarray  # [N, W] Hz, NaN where unvoiced
    formants: np.ndarray  # [N, W, 3] Hz, NaN where undefined
    axis: FrequencyAxis
    # shortcut task: [N, 2] (centre, width) Hz of the band planted in each sample's audio; None for other tasks
    bands: np.ndarray | None = None
    # shortcut tasks: [N, 2, 4] the cue's and the decoy's box (t0 s, t1 s, low Hz, high Hz; data/boxes.py),
    # the decoy NaN where there is none; None for other tasks
    boxes: np.ndarray | None = None
    durations: np.ndarray | None = None  # [N] seconds: each segment's duration (its image is stretched to W)

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index: np.ndarray | list[int]) -> "TaskData":
        idx = np.asarray(index, dtype=np.int64)
        pick = lambda seq: tuple(seq[i] for i in idx)  # noqa: E731
        return TaskData(self.images[idx], self.targets[idx], pick(self.ids), pick(self.labels),
                        pick(self.speakers), pick(self.groups), self.f0[idx], self.formants[idx], self.axis,
                        *(None if x is None else x[idx] for x in (self.bands, self.boxes, self.durations)))


def spectrogram_config(task: Task, image_size: int) -> SpectrogramConfig:
    return SpectrogramConfig(image_size=image_size, fmax=task.fmax)


def build_task_data(task: Task, corpus: Corpus, image_size: int, seed: int, *, progress: bool = True,
                    selected: dict[str, list[tuple[Segment, int]]] | None = None) -> dict[str, TaskData]:
    """Images and aligned tracks for each split of ``task`` (balanced, split by speaker).

    A shortcut task plants each segment's class band in its audio first (shortcut.plant, seeded)
    and records where it put it (shortcut.cue_boxes).
    """
    cfg = spectrogram_config(task, image_size)
    selected = selected if selected is not None else select_segments(task, corpus, seed)
    out = {}
    unusable: list[str] = []
    for split in SPLITS:
        items = selected[split]
        images, f0, fm, boxes = [], [], [], []
        axis = None
        # one BLAS thread: these matmuls are tiny, and BLAS threads spinning beside torch's made
        # them 2-20x slower (benchmarks/pipeline_speed.py)
        with threadpool_limits(limits=1, user_api="blas"):
            for seg, c in progress_bar(items, desc=f"{task.name} {split} spectrograms", unit="img",
                                       enabled=progress):
                planted = seg if task.shortcut is None else plant(seg, task.shortcut, c, seed)
                if task.shortcut is not None:
                    boxes.append(cue_boxes(seg, task.shortcut, c, seed))
                img, axis = spectrogram_image(planted, cfg)
                tracks = seg.tracks.resample(image_size, seg.duration)
                images.append(img)
                f0.append(tracks.f0)
                fm.append(tracks.formants)
        if axis is None:
            axis = cfg.axis(corpus.segments[0].sample_rate)
        unusable += unusable_images(images, items)
        n, w = len(items), image_size
        out[split] = TaskData(
            images=torch.from_numpy(np.stack(images)[:, None] if images else np.zeros((0, 1, w, w), np.float32)),
            targets=torch.tensor([c for _, c in items], dtype=torch.long),
            ids=tuple(s.id for s, _ in items), labels=tuple(s.label for s, _ in items),
            speakers=tuple(s.speaker for s, _ in items), groups=tuple(s.group for s, _ in items),
            f0=np.stack(f0) if f0 else np.zeros((n, w)), formants=np.stack(fm) if fm else np.zeros((n, w, 3)),
            axis=axis,
            bands=None if task.shortcut is None else task.shortcut.bands(np.array([c for _, c in items])),
            boxes=None if task.shortcut is None else (np.stack(boxes) if boxes else np.zeros((0, 2, 4))),
            durations=np.array([s.duration for s, _ in items], dtype=np.float64),
        )
    if unusable:  # before any model sees them: a NaN image trains NaN weights, a constant one teaches nothing
        raise DataError(f"task {task.name}: {len(unusable)} segment(s) give an unusable spectrogram image:\n  "
                        + "\n  ".join(unusable[:MAX_LISTED])
                        + (f"\n  ... and {len(unusable) - MAX_LISTED} more" if len(unusable) > MAX_LISTED else "")
                        + "\nre-export these recordings (PCM WAV, samples within [-1, 1]) or remove them with their "
                          "alignments")
    return out


MAX_LISTED = 10


def unusable_images(images: list[np.ndarray], items: list[tuple[Segment, int]]) -> list[str]:
    """One line per image that is not finite or is constant, naming its segment and utterance."""
    out = []
    for img, (seg, _) in zip(images, items):
        finite = bool(np.isfinite(img).all())
        if finite and float(np.ptp(img)) > 0:
            continue
        peak = float(np.max(np.abs(seg.audio))) if len(seg.audio) else 0.0
        why = (f"not finite (audio peak {peak:.3g}: samples far outside [-1, 1] overflow the power spectrum)"
               if not finite else f"constant (silent or constant audio, peak {peak:.3g})")
        out.append(f"segment {seg.id} (utterance {seg.utterance}, speaker {seg.speaker}): image {why}")
    return out
