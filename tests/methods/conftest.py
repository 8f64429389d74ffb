"""Tiny models and inputs for the method tests: ResNet-18 with 3 classes on small images.

Models are built seeded and in eval mode; images are seeded uniform noise in [0, 1] (the image
range: 0 is silence at -80 dB). The tests run torch on one thread: on the shared two-core machine,
two intra-op threads competing with other processes made this folder ~8x slower (184 s vs 20 s).
"""

from __future__ import annotations

import copy
from typing import Iterator

import pytest
import torch

from specxai_bench.model.classifier import SpectrogramClassifier

_BUILT: dict[tuple[str, int, int], tuple[SpectrogramClassifier, torch.Tensor]] = {}


def tiny_model(arch: str = "resnet18", num_classes: int = 3, seed: int = 0) -> SpectrogramClassifier:
    """A fresh copy of the seeded model, the global RNG left as building it leaves it (the initialisation,
    ~0.1 s on one thread, runs once per kind)."""
    key = (arch, num_classes, seed)
    if key not in _BUILT:
        torch.manual_seed(seed)
        model = SpectrogramClassifier(arch, num_classes).eval()
        _BUILT[key] = model, torch.get_rng_state()
    model, rng_after = _BUILT[key]
    torch.set_rng_state(rng_after)
    return copy.deepcopy(model)


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
