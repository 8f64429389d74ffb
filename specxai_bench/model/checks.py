"""Checks of what a trained model uses: the band removal test of the shortcut task.

The band removal test measures test accuracy on the images as trained, with the band removed
(the same segments, nothing planted) and with the band of the next class planted instead. A
model that uses the band falls to about chance without it and follows a moved band.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..data.corpora.base import Segment
from ..data.datasets import spectrogram_config
from ..data.shortcut import plant
from ..data.spectrogram import spectrogram_image
from ..data.tasks import Task
from .predict import predict

# a model "relies on the band" when removing it takes away at least this share of its accuracy above chance
RELIANCE_SHARE = 0.5
# ... and it is at least this far above chance with the band (otherwise there is nothing to take away)
MIN_ABOVE_CHANCE = 0.2


def band_check(model: torch.nn.Module, task: Task, items: list[tuple[Segment, int]], planted_images: Any, image_size: int,
               seed: int, device: str, batch_size: int) -> dict[str, Any]:
    """The band removal test on the test split ``items`` (with ``planted_images``, the images as trained).

    Returns the accuracies with the band, without it, and the share of predictions that follow the
    band when class (k + 1) mod K's band is planted in class k's segments, plus whether the model
    relies on the band (removal takes away at least RELIANCE_SHARE of its accuracy above chance).
    """
    k = len(task.classes)
    cfg = spectrogram_config(task, image_size)
    targets = torch.tensor([c for _, c in items], dtype=torch.long)

    def images(shift: int | None) -> torch.Tensor:
        out = [spectrogram_image(seg if shift is None else plant(seg, task.shortcut, (c + shift) % k, seed), cfg)[0]
               for seg, c in items]
        return torch.from_numpy(np.stack(out)[:, None]) if out else torch.zeros((0, 1, image_size, image_size))

    def share(imgs: torch.Tensor, want: torch.Tensor) -> float:
        if len(want) == 0:
            return float("nan")
        return int((predict(model, imgs, device, batch_size) == want).sum()) / len(want)

    with_band = share(planted_images, targets)
    removed = share(images(None), targets)
    follows = share(images(1), (targets + 1) % k)
    chance = 1.0 / k
    above = with_band - chance
    relies = bool(above >= MIN_ABOVE_CHANCE and removed - chance <= (1 - RELIANCE_SHARE) * above)
    return {"n": len(items), "chance": chance, "accuracy_with_band": with_band, "accuracy_band_removed": removed,
            "drop": with_band - removed, "follows_moved_band": follows, "relies_on_band": relies,
            "spec": task.shortcut.as_dict()}
