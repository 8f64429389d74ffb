"""``band_prior``: the map a linguist's prior alone would draw on a full-band image (model-free).

Uniform over the rows whose centre lies below ``below_hz`` (4 kHz: F1-F3 of every vowel), zero
above. On a full-band image it already scores formant lift ~ 1 / (share of rows below 4 kHz)
(2.7 on 0-11,025 Hz) without following any formant, so a method's full-band lift is read against
it; on a 0-4 kHz image it is the ``uniform`` map. It needs the images' frequency axis, which the
runner hands it (``with_axis``).
"""

from __future__ import annotations

import torch

from .base import METHODS, AttributionError
from .baselines import GridBaseline
from .grid import FULL


@METHODS.register()
class BandPrior(GridBaseline):
    name = "band_prior"
    description = "uniform below 4 kHz, zero above (model-free): the band confound of full-band formant lift"

    def __init__(self, model, *, below_hz: float = 4000.0, grid: str = FULL) -> None:
        if not below_hz > 0:
            raise ValueError(f"below_hz must be positive, got {below_hz}")
        super().__init__(model, grid=grid)
        self.below_hz = below_hz

    def options(self) -> dict[str, object]:
        return super().options() | ({} if self.below_hz == 4000.0 else {"below_hz": self.below_hz})

    def full_map(self, images: torch.Tensor) -> torch.Tensor:
        if self.axis is None:
            raise AttributionError("band_prior needs the images' frequency axis: call method.with_axis(axis) "
                                   "first (`run` does)")
        if self.axis.n_rows != images.shape[-2]:
            raise AttributionError(f"band_prior: the axis has {self.axis.n_rows} rows, the images "
                                   f"{images.shape[-2]}")
        rows = torch.as_tensor(self.axis.rows_below(self.below_hz), dtype=images.dtype, device=images.device)
        return rows[None, :, None].expand(images.shape[0], -1, images.shape[-1]).clone()
