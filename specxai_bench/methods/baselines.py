"""Reference maps every method must beat (model-free: ``family = "baseline"``).

``input_energy`` is the bar that matters: formants are where spectral energy is, so a map that
copies the input already scores well on formant overlap, and a copy in linear power far better than
one in dB (the dB image flattens the dynamic range). Its options: ``scale`` (db, power, magnitude)
and ``grid`` (pooled to a coarse grid as CAM's is, so it is the bar for a 7x7 method).
``uniform`` scores chance (lift 1) by construction; ``random`` is seeded per sample from the image
content, so a map does not depend on which batch the sample landed in. ``band_prior``
(band_prior.py) puts uniform mass below 4 kHz.
"""

from __future__ import annotations

import zlib
from abc import abstractmethod

import torch

from ..data.spectrogram import SpectrogramConfig
from .base import METHODS, AttributionMethod
from .grid import FULL, format_grid, parse_grid, to_grid

TOP_DB = SpectrogramConfig().top_db  # the image is (dB re its maximum + TOP_DB) / TOP_DB, clipped to [0, 1]
SCALES = ("db", "power", "magnitude")


def energy(images: torch.Tensor, scale: str) -> torch.Tensor:
    """[B, 1, H, W] images -> [B, H, W] in ``scale``, each relative to the image's maximum.

    The image x is dB re the maximum mapped to [0, 1] (0 = -TOP_DB dB, data/spectrogram.py), so the
    power is 10 ** ((x * TOP_DB - TOP_DB) / 10) (1 at the maximum) and the magnitude its square root:
    the input's power and magnitude up to one constant per image, which no lift or share depends on.
    """
    x = images[:, 0]
    if scale == "db":
        return x.clone()
    decibels = x * TOP_DB - TOP_DB
    return torch.pow(10.0, decibels / (10.0 if scale == "power" else 20.0))


class GridBaseline(AttributionMethod):
    """A model-free map that can be pooled to a coarse grid (``grid=7x7``) as a coarse method's map is,
    so a 7x7 method is compared with the baseline at its own resolution (methods/grid.py)."""

    family = "baseline"
    cost = "none"

    def __init__(self, model, *, grid: str = FULL) -> None:
        super().__init__(model)
        self.grid = parse_grid(grid)

    def options(self) -> dict[str, object]:
        # non-default options only: rows stored before an option existed keep their key ("{}")
        return {} if self.grid is None else {"grid": format_grid(self.grid)}

    def native_resolution(self, image_size: int) -> tuple[int, int]:
        return (image_size, image_size) if self.grid is None else self.grid

    def _attribute(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return to_grid(self.full_map(images), self.grid)

    @abstractmethod
    def full_map(self, images: torch.Tensor) -> torch.Tensor:
        """The map [B, H, W] on the image grid, before pooling."""


@METHODS.register()
class InputEnergy(GridBaseline):
    name = "input_energy"
    description = "the input itself (model-free): dB (default), power or magnitude, optionally pooled to a grid"

    def __init__(self, model, *, scale: str = "db", grid: str = FULL) -> None:
        super().__init__(model, grid=grid)
        if scale not in SCALES:
            raise ValueError(f"scale {scale!r}: choose one of {', '.join(SCALES)}")
        self.scale = scale

    def options(self) -> dict[str, object]:
        return super().options() | ({} if self.scale == "db" else {"scale": self.scale})

    def full_map(self, images: torch.Tensor) -> torch.Tensor:
        return energy(images, self.scale)


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
