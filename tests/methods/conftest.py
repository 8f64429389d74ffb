"""Tiny models and inputs for the method tests: ResNet-18 with 3 classes on small images.

Models are built seeded and in eval mode; images are seeded uniform noise in [0, 1] (the image
range: 0 is silence at -80 dB). The tests run torch on one thread: on the shared two-core machine,
two intra-op threads competing with other processes made this folder ~8x slower (184 s vs 20 s).
"""

from __future__ import annotations

from typing import Iterator

import pytest
import torch

from specxai_bench.model.classifier import SpectrogramClassifier


def tiny_model(arch: str = "resnet18", num_classes: int = 3, seed: int = 0) -> SpectrogramClassifier:
    torch.manual_seed(seed)
    return SpectrogramClassifier(arch, num_classes).eval()


def tiny_images(batch: int, px: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(batch, 1, px, px, generator=torch.Generator().manual_seed(seed))


@pytest.fixture
def model() -> SpectrogramClassifier:
    return tiny_model()


@pytest.fixture(autouse=True, scope="package")
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
