"""Accuracy is the exact share of correct predictions."""

from __future__ import annotations

import numpy as np
import torch

from specxai_bench.data.datasets import TaskData
from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.model.predict import accuracy


class _Says(torch.nn.Module):
    """Predicts the class written in each image's first pixel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(x[:, 0, 0, 0].long(), 2).float()


def test_171_right_of_180_is_exactly_0_95():
    targets = torch.zeros(180, dtype=torch.long)
    images = torch.zeros(180, 1, 4, 4)
    images[171:, 0, 0, 0] = 1  # the last 9 predicted wrong
    value = accuracy(_Says(), _data(images, targets), "cpu", 32)
    assert value == 171 / 180 and value >= 0.95  # a float32 mean gives 0.949999988 < 0.95


def _data(images: torch.Tensor, targets: torch.Tensor) -> TaskData:
    n, px = len(images), images.shape[-1]
    return TaskData(images, targets, tuple(f"s{i}" for i in range(n)), ("iy",) * n, ("spk",) * n, ("men",) * n,
                    np.full((n, px), np.nan), np.full((n, px, 3), np.nan), FrequencyAxis(0.0, 4000.0, px))
