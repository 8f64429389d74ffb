"""The Python API: explain and score your own model on your own audio, or reload a finished run.

- :func:`explain` attributes any torch CNN with named modules (a torchvision ResNet, your own
  ``nn.Module``) with any registered method, and returns maps on the image grid with their native grid.
- :func:`metric` gives a registered metric, callable as Quantus metrics are (``metric(model=...,
  x_batch=..., y_batch=..., a_batch=..., axis=..., formants=...)``, torch or numpy).
- :func:`spectrogram` and :func:`tracks` turn a wav into the toolkit's image with its
  ``FrequencyAxis`` and Praat's F0 / F1-F3 tracks on the image's columns, without building a corpus.
- :func:`wrap` makes a torchvision-style network (three channels, ImageNet normalisation) take the
  toolkit's images ([B, 1, H, W] in [0, 1]), so every method and metric applies.
- :func:`load_run` reopens a finished run's output folder through the one run builder
  (:class:`~.experiment.Experiment`): its tasks, models, test data and result rows.

docs/api.md walks through all of it; a test runs every code block there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from .data.corpora.base import Segment, Tracks
from .data.datasets import TaskData
from .data.phonetics import (
    PraatSettings,
    group_from_f0,
    maximum_formant,
    measure_tracks,
    shared_cache_dir,
    slice_tracks,
    voiced_f0,
)
from .data.spectrogram import FrequencyAxis, SpectrogramConfig, spectrogram_image
from .data.tasks import get_task
from .errors import ConfigError
from .experiment import Experiment
from .methods import METHODS
from .methods.base import capture_output
from .metrics import METRICS, Metric
from .model.classifier import SpectrogramClassifier


@dataclass(frozen=True)
class Explanation:
    """Maps [B, H, W] on the image grid (float, on the images' device), the grid the method computed
    them on (rows x columns, e.g. 7x7 for Grad-CAM at layer4 of a 224 px ResNet), and the method spec."""

    maps: torch.Tensor
    grid: tuple[int, int]
    method: str
    options: dict[str, object] = field(default_factory=dict)

    def numpy(self) -> np.ndarray:
        return self.maps.detach().cpu().numpy()


def explain(model: nn.Module, images: Any, targets: Any, method: str = "gradcam@layer=layer4") -> Explanation:
    """Attribute ``targets`` of ``images`` on ``model`` with ``method`` (a spec: ``cam``,
    ``gradcam@layer=layer3``, ``cam@layer=body,classifier=head`` for your own module ...).

    ``images`` are what the model takes, torch or numpy: [B, C, H, W] ([B, H, W] means one
    channel): [B, 1, H, W] in [0, 1] for the toolkit's classifier or a :func:`wrap`-ped network,
    [B, 3, H, W] normalised for a plain torchvision model. ``targets`` is one class index or one per
    image. The model is not moved: the images go to its device.
    """
    device = next(model.parameters()).device
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    x = x.to(device=device, dtype=torch.float32)
    x = x[None, None] if x.ndim == 2 else x[:, None] if x.ndim == 3 else x
    if x.ndim != 4:
        raise ConfigError(f"images must be [B, C, H, W] (or [B, H, W] / [H, W] for one channel), got {tuple(x.shape)}")
    y = torch.as_tensor(np.asarray(targets) if not isinstance(targets, torch.Tensor) else targets).long().reshape(-1)
    y = y.expand(len(x)) if y.numel() == 1 else y
    if y.shape != (len(x),):
        raise ConfigError(f"targets: one class index, or one per image ({len(x)}), got {tuple(y.shape)}")
    attribution = METHODS.create(method, model)
    maps = attribution.attribute(x, y.to(device))
    return Explanation(maps, _native_grid(attribution, x), method, attribution.options())


def _native_grid(method: Any, x: torch.Tensor) -> tuple[int, int]:
    h, w = x.shape[-2:]
    if h == w:
        return tuple(method.native_resolution(int(h)))  # type: ignore[return-value]
    if not method.uses_layer:
        return (int(h), int(w))
    with torch.no_grad(), capture_output(method.layer) as out:
        method.model.eval()(x[:1])
    return tuple(out[0].shape[-2:])  # type: ignore[return-value]


def metric(spec: str) -> Metric:
    """The registered metric ``spec`` (``formant_band_lift@formants=1`` ...), callable with keyword batches."""
    return METRICS.create(spec)


def wrap(network: nn.Module, *, input_norm: str = "imagenet", arch: str = "custom") -> SpectrogramClassifier:
    """``network`` (three-channel input, e.g. a torchvision ResNet with its own ``fc``) as a classifier of
    the toolkit's images [B, 1, H, W] in [0, 1]: the image is copied to three channels and normalised
    with ``input_norm`` (``imagenet``: torchvision's usual mean and std; ``toolkit``: the toolkit's own
    models' 0.5 / 0.25). Layer names stay the network's (``layer4``); the network is not copied."""
    return SpectrogramClassifier(arch, 0, input_norm=input_norm, network=network).eval()


def _mono(audio: Any) -> np.ndarray:
    x = np.asarray(audio)
    if np.issubdtype(x.dtype, np.integer):
        x = x / float(np.iinfo(x.dtype).max)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:  # [samples, channels] as soundfile reads it
        x = x.mean(axis=1 if x.shape[1] < x.shape[0] else 0)
    if x.ndim != 1 or x.size == 0:
        raise ConfigError(f"audio must be mono samples [n] (or [n, channels]), got shape {np.shape(audio)}")
    return x


def spectrogram(audio: Any, sr: int, *, band: float | None = None, image_size: int = 224
                ) -> tuple[torch.Tensor, FrequencyAxis]:
    """The toolkit's image of ``audio`` [1, H, W] in [0, 1] (row 0 = lowest frequency) and its
    FrequencyAxis: 0 to ``band`` Hz (None: the audio's own Nyquist, never more), the same librosa path
    as a run's images (so a model trained by the toolkit sees what it saw in training)."""
    segment = Segment("audio", "", _mono(audio), int(sr), "", "unknown", "", Tracks(np.zeros(0), np.zeros(0),
                                                                                      np.zeros((0, 3)), "praat"))
    if band is not None and band > sr / 2:
        raise ConfigError(f"band {band} Hz lies above the audio's Nyquist frequency ({sr / 2:g} Hz): nothing "
                          "is upsampled; pass band=None for the full band")
    image, axis = spectrogram_image(segment, SpectrogramConfig(image_size=image_size, fmax=band))
    return torch.from_numpy(image)[None], axis


def tracks(audio: Any, sr: int, *, start: float | None = None, end: float | None = None,
           columns: int | None = None, group: str = "unknown", settings: PraatSettings = PraatSettings(),
           cache: bool = True) -> Tracks:
    """Praat's F0 and F1-F3 of ``audio`` (Hz, NaN where undefined), as a run measures real corpora.

    Measure the whole utterance and give the segment's ``start`` / ``end`` in seconds: Praat's
    windows need context a 50 ms phone does not have. ``group`` (men / women / children) sets the
    formant ceiling; ``unknown`` takes the ceiling of the group the audio's median F0 points to.
    With ``columns`` the tracks are resampled onto an image's columns (``.formants`` is then
    [columns, 3], ready for a metric's ``formants=``). Cached in the shared cache
    (``$SPECXAI_CACHE``) unless ``cache=False``.
    """
    x = _mono(audio)
    if group not in ("men", "women", "children", "unknown"):
        raise ConfigError(f"group must be men, women, children or unknown, got {group!r}")
    cache_dir = shared_cache_dir() / "praat" if cache else None
    if group == "unknown":
        f0 = voiced_f0(x, int(sr), settings=settings, cache_dir=cache_dir)
        group = group_from_f0(float(np.median(f0)) if f0.size else float("nan"))
    out = measure_tracks(x, int(sr), ceiling=maximum_formant(group), settings=settings, cache_dir=cache_dir)
    t0, t1 = 0.0 if start is None else float(start), len(x) / sr if end is None else float(end)
    if not 0 <= t0 < t1 <= len(x) / sr + 1e-9:
        raise ConfigError(f"start / end must satisfy 0 <= start < end <= {len(x) / sr:.3f} s, got {t0}, {t1}")
    if start is not None or end is not None:
        out = slice_tracks(out, t0, t1)
    return out if columns is None else out.resample(columns, t1 - t0)


@dataclass
class Run:
    """A finished run reopened: its manifest, the experiment that rebuilds its data and models, its rows."""

    output: Path
    manifest: dict[str, Any]
    experiment: Experiment

    @property
    def tasks(self) -> list[str]:
        return [t.name for t in self.experiment.plan.tasks]

    @property
    def folds(self) -> int:
        """1, or k for a speaker-cross-validated run (one model per fold)."""
        return self.experiment.split_plan.folds

    def model(self, task: str, fold: int = 0) -> nn.Module:
        """The task's model (of ``fold``), loaded from its checkpoint (never retrained: a missing one is an error)."""
        return self.experiment.model(get_task(task), train=False, fold=fold)[0].eval()

    def test_data(self, task: str, fold: int = 0) -> TaskData:
        """The task's test split (of ``fold``): images [N, 1, H, W], targets, speakers, axis, F0 and formant tracks."""
        return self.experiment.data(get_task(task), ("test",), fold)["test"]

    @cached_property
    def rows(self) -> pd.DataFrame:
        """Every stored result row (one per sample, method and metric), folds pooled as the boards read them."""
        from .results.board import load_stores

        return load_stores([self.output / "results.sqlite"]).rows


def load_run(output_dir: str | Path) -> Run:
    """Reopen the run whose ``manifest.json`` and ``results.sqlite`` are in ``output_dir``."""
    out = Path(output_dir)
    path = out / "manifest.json"
    if not path.is_file():
        raise ConfigError(f"{path} does not exist: give the --output folder of a finished `specxai-bench run`")
    manifest = json.loads(path.read_text())
    return Run(out, manifest, Experiment.from_manifest(manifest, out))
