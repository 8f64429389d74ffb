"""Reference maps every method must beat.

``input_energy`` is the bar that matters: formants are where spectral energy is, so a map that
copies the image's dB values already scores well on formant overlap. ``uniform`` scores chance
(lift 1) by construction; ``random`` is seeded per sample from the image content, so a map does
not depend on which batch the sample landed in.
"""

from __future__ import annotations

import zlib

import torch

from .base import METHODS, AttributionMethod


@METHODS.register()
class InputEnergy(AttributionMethod):
    name = "input_energy"
    family = "baseline"
    description = "the spectrogram's own dB values (model-free): the energy confound"
    cost = "none"

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return images[:, 0].clone()


@METHODS.register()
class Uniform(AttributionMethod):
    name = "uniform"
    family = "baseline"
    description = "the same value everywhere: chance level (lift 1) by construction"
    cost = "none"

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(images[:, 0])


@METHODS.register()
class Random(AttributionMethod):
    name = "random"
    family = "baseline"
    description = "uniform noise in [0, 1), seeded per sample from the image content"
    cost = "none"

    def __init__(self, model, *, seed: int = 0) -> None:
        super().__init__(model)
        self.seed = seed

    def options(self) -> dict[str, object]:
        return {"seed": self.seed}

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(images[:, 0])
        for i, img in enumerate(images):
            key = zlib.crc32(img.detach().cpu().numpy().tobytes()) ^ self.seed
            gen = torch.Generator().manual_seed(key)
            out[i] = torch.rand(img.shape[-2:], generator=gen).to(out.device)
        return out
