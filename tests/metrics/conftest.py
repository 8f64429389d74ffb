"""Small hand-checkable batches and tiny models for the metric tests (no training, no corpus).

Tests reach the helpers through the ``mk`` fixture (test modules cannot import conftest portably).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.metrics import ScoringBatch


class LowBandModel(nn.Module):
    """Two classes; the class-0 logit is 10 x the mean of rows [0, rows) (the lowest band), class 1's is 0.

    So p(class 0) = sigmoid(10 * mean of those rows): only that band matters.
    """

    def __init__(self, rows: int = 4) -> None:
        super().__init__()
        self.rows = rows

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = 10.0 * x[:, 0, : self.rows].mean((1, 2))
        return torch.stack([s, torch.zeros_like(s)], 1)


class TinyNet(nn.Module):
    """A seeded three-class convolutional net on [B, 1, H, W] (with BatchNorm, so eval mode matters)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class InputGradient:
    """A minimal attribution method (duck-typed): gradient x input, rebindable to another model."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def with_model(self, model: nn.Module) -> "InputGradient":
        return InputGradient(model)

    def attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        x = images.clone().requires_grad_(True)
        self.model.eval()
        self.model(x).gather(1, targets[:, None]).sum().backward()
        return (x.grad * images)[:, 0].detach()


def make_batch(attributions: torch.Tensor | np.ndarray, *, axis: FrequencyAxis | None = None,
               formants: np.ndarray | None = None, images: torch.Tensor | None = None,
               targets: torch.Tensor | None = None, model: nn.Module | None = None,
               bands: np.ndarray | None = None, boxes: np.ndarray | None = None,
               durations: np.ndarray | None = None) -> ScoringBatch:
    """``bands`` (the shortcut task's planted band per sample) defaults to 100 Hz at 0.6 x the axis' top;
    ``boxes`` (the cue's and the decoy's box, tf-shortcut) to a 60 ms x 300 Hz cue there from 50 ms and a
    decoy at 0.85 x the top from 120 ms, in segments of ``durations`` (default 0.2 s)."""
    a = torch.as_tensor(np.asarray(attributions), dtype=torch.float32)
    b, h, w = a.shape
    axis = axis or FrequencyAxis(0.0, 4000.0, h)
    if formants is None:
        formants = np.tile(np.array([500.0, 1500.0, 2500.0]), (b, w, 1))
    images = torch.rand(b, 1, h, w, generator=torch.Generator().manual_seed(1)) if images is None else images
    targets = torch.zeros(b, dtype=torch.long) if targets is None else targets
    method = InputGradient(model) if model is not None else None
    bands = np.tile([0.6 * axis.fmax, 100.0], (b, 1)) if bands is None else np.asarray(bands, dtype=np.float64)
    if boxes is None:
        top = axis.fmax
        boxes = np.tile([[0.05, 0.11, 0.6 * top - 150, 0.6 * top + 150],
                         [0.12, 0.18, 0.85 * top - 150, 0.85 * top + 150]], (b, 1, 1))
    durations = np.full(b, 0.2) if durations is None else np.asarray(durations, dtype=np.float64)
    return ScoringBatch(a, images, targets, np.full((b, w), 120.0), np.asarray(formants, dtype=np.float64), axis, model,
                        method, bands, np.asarray(boxes, dtype=np.float64), durations)


def random_batch(b: int = 3, size: int = 32, seed: int = 0, model: nn.Module | None = None) -> ScoringBatch:
    """Random signed maps, plausible formant tracks on a 0-8 kHz axis (rows above 4 kHz exist)."""
    rng = np.random.default_rng(seed)
    formants = np.stack([rng.uniform(300, 900, (b, size)), rng.uniform(900, 2500, (b, size)),
                         rng.uniform(2500, 3500, (b, size))], -1)
    formants[:, :2] = np.nan  # undefined at the first columns, as at a segment edge
    images = torch.as_tensor(rng.uniform(0, 1, (b, 1, size, size)), dtype=torch.float32)
    return make_batch(rng.standard_normal((b, size, size)), axis=FrequencyAxis(0.0, 8000.0, size),
                      formants=formants, images=images, targets=torch.as_tensor(rng.integers(0, 2, b)),
                      model=model)


@pytest.fixture
def mk() -> SimpleNamespace:
    return SimpleNamespace(batch=make_batch, random_batch=random_batch, LowBandModel=LowBandModel, TinyNet=TinyNet)
