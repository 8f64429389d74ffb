"""Checks of what a trained model uses: the band removal test (shortcut) and the per-sample
intervention check (tf-shortcut).

The band removal test measures test accuracy on the images as trained, with the band removed
(the same segments, nothing planted) and with the band of the next class planted instead. A
model that uses the band falls to about chance without it and follows a moved band.

The intervention check re-renders every test sample twice more: without the cue burst (the decoy
kept) and without the decoy (the cue kept); the rest of the audio is bit-identical
(:func:`..data.shortcut.plant`). A sample on which the model **provably uses the cue** is
predicted right as trained, wrong without the cue, and the same without the decoy; only those
samples are attributed and scored (:func:`provable_index`), and the tables say how many.
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


def cue_check(model: torch.nn.Module, task: Task, items: list[tuple[Segment, int]], planted_images: Any,
              image_size: int, seed: int, device: str, batch_size: int) -> tuple[str, dict[str, Any]]:
    """The task's check, under the key its results are stored with: ``band_removal`` for a steady band,
    ``intervention`` for a timed cue (tf-shortcut)."""
    if task.shortcut is not None and task.shortcut.timed:
        return "intervention", intervention_check(model, task, items, planted_images, image_size, seed, device,
                                                  batch_size)
    return "band_removal", band_check(model, task, items, planted_images, image_size, seed, device, batch_size)


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


def intervention_check(model: torch.nn.Module, task: Task, items: list[tuple[Segment, int]], planted_images: Any,
                       image_size: int, seed: int, device: str, batch_size: int) -> dict[str, Any]:
    """Per test sample: the prediction as trained, without the cue, without the decoy, and with the next
    class's cue instead of its own (the decoy kept).

    Returns the accuracies of the four, whether the model relies on the cue overall (as
    :func:`band_check` decides it), and per sample ``samples[id] = [pred, pred_no_cue, pred_no_decoy]``
    with the ids of the samples on which the model provably uses the cue (``provable``).
    """
    spec = task.shortcut
    if spec is None or not spec.timed:
        raise ValueError(f"task {task.name} plants no timed cue; the intervention check is for tf-shortcut")
    k = len(task.classes)
    cfg = spectrogram_config(task, image_size)
    targets = torch.tensor([c for _, c in items], dtype=torch.long)

    def images(shift: int = 0, cue: bool = True, decoy: bool = True) -> torch.Tensor:
        out = [spectrogram_image(plant(seg, spec, (c + shift) % k, seed, cue=cue, decoy=decoy), cfg)[0]
               for seg, c in items]
        return torch.from_numpy(np.stack(out)[:, None]) if out else torch.zeros((0, 1, image_size, image_size))

    def preds(imgs: torch.Tensor) -> torch.Tensor:
        return predict(model, imgs, device, batch_size) if len(imgs) else torch.zeros(0, dtype=torch.long)

    def share(pred: torch.Tensor, want: torch.Tensor) -> float:
        return int((pred == want).sum()) / len(want) if len(want) else float("nan")

    pred, no_cue, no_decoy = preds(planted_images), preds(images(cue=False)), preds(images(decoy=False))
    moved = preds(images(shift=1))
    provable = (pred == targets) & (no_cue != targets) & (no_decoy == pred)
    with_cue, removed = share(pred, targets), share(no_cue, targets)
    chance = 1.0 / k
    above = with_cue - chance
    ids = [seg.id for seg, _ in items]
    return {"n": len(items), "chance": chance, "accuracy_with_cue": with_cue, "accuracy_cue_removed": removed,
            "accuracy_decoy_removed": share(no_decoy, targets), "follows_moved_cue": share(moved, (targets + 1) % k),
            "relies_on_cue": bool(above >= MIN_ABOVE_CHANCE and removed - chance <= (1 - RELIANCE_SHARE) * above),
            "n_provable": int(provable.sum()), "provable": [i for i, ok in zip(ids, provable.tolist()) if ok],
            "samples": {i: [int(a), int(b), int(c)] for i, a, b, c in zip(ids, pred, no_cue, no_decoy)},
            "spec": spec.as_dict()}


def provable_index(ids: tuple[str, ...], check: dict[str, Any]) -> list[int]:
    """Positions in ``ids`` of the samples on which the intervention check proved the model uses the cue."""
    keep = set(check["provable"])
    return [i for i, s in enumerate(ids) if s in keep]


def intervention_summary(check: dict[str, Any]) -> dict[str, Any]:
    """The check without its per-sample records (what the manifest holds; the store keeps them all)."""
    return {k: v for k, v in check.items() if k not in ("samples", "provable")}


def intervention_text(task: str, check: dict[str, Any]) -> str:
    """One paragraph: the accuracies, the verdict and how many samples are scored."""
    verdict = ("The model relies on the cue (confirmed)." if check["relies_on_cue"] else
               "WARNING: small drop, the model does not rely on the cue (not confirmed).")
    return (f"intervention check [{task}] ({check['n']} test samples, chance {check['chance']:.3f}): accuracy with "
            f"the cue {check['accuracy_with_cue']:.3f}, cue removed {check['accuracy_cue_removed']:.3f}, decoy removed "
            f"{check['accuracy_decoy_removed']:.3f}; next class's cue planted instead: "
            f"{check['follows_moved_cue']:.3f} of predictions follow it. {verdict} Scored: the "
            f"{check['n_provable']} of {check['n']} test samples on which the model provably uses the cue (right "
            f"with it, wrong without it, unchanged without the decoy).")
