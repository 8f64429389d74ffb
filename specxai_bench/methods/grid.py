"""Coarse grids: a map pooled to h x w cells, and mapped back onto the image grid as coarse methods' maps are.

A method whose native grid is coarse (CAM on layer4: 7x7 at 224 px) is upsampled bilinearly by
:func:`~.base.upsample`. To compare maps of different native grids on one grid, a map is **pooled**
to the cells by area averaging (each cell the mean of the image pixels it covers, exact overlap
when h does not divide H) and mapped back with the same ``upsample``: ``to_grid``. Baselines use it
(``input_energy@grid=7x7``) and so do the grid-scored metrics (``formant_band_lift@grid=7x7``), so
a baseline pooled by the method and a map pooled by the metric are the same map.

Both steps are linear and separable: pooling is ``P_rows @ A @ P_cols.T`` and upsampling
``U_rows @ a @ U_cols.T`` with the matrices below (tests check them against the torch calls), which
is what lets the lift metrics score a pooled map, and bound its score, on the coarse grid itself.
A map that was made on the grid (CAM's) is read back as its own cells (``cells_matrix``), not pooled.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import torch

from ..data.spectrogram import overlap_matrix
from .base import upsample

FULL = "full"  # the image grid itself: no pooling
AUTO = "auto"  # filled in by `run` from its methods' native grids (metrics.lift.fill_auto_grids)
_GRID = re.compile(r"(\d+)x(\d+)")


def parse_grid(text: str) -> tuple[int, int] | None:
    """``"7x7"`` -> (7, 7); ``"full"`` -> None (the image grid). Anything else is a ValueError saying what to write."""
    text = str(text).strip().lower()
    if text == FULL:
        return None
    m = _GRID.fullmatch(text)
    if not m or min(int(m[1]), int(m[2])) < 1:
        raise ValueError(f"grid {text!r}: write ROWSxCOLS (e.g. 7x7) or 'full' (the image grid)"
                         + (", or 'auto' (only in `run`: the coarsest native grid of its methods)" if text != AUTO
                            else "; 'auto' is filled in by `run` from its methods' native grids, so give a "
                                 "grid such as 7x7 when you call it directly"))
    return int(m[1]), int(m[2])


def format_grid(grid: tuple[int, int] | None) -> str:
    return FULL if grid is None else f"{grid[0]}x{grid[1]}"


def check_fits(grid: tuple[int, int], size: tuple[int, int]) -> None:
    if grid[0] > size[0] or grid[1] > size[1]:
        raise ValueError(f"grid {format_grid(grid)} is finer than the {size[0]}x{size[1]} image: pool to a grid "
                         "with at most as many rows and columns as the image")


@lru_cache(maxsize=32)
def pool_matrix(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in] float64: cell j's share of each input pixel (rows sum to 1), exact area overlap."""
    return overlap_matrix(np.linspace(0.0, 1.0, n_in + 1), np.linspace(0.0, 1.0, n_out + 1))


@lru_cache(maxsize=32)
def upsample_matrix(n_out: int, n_in: int) -> np.ndarray:
    """[n_out, n_in] float64: the weights ``upsample`` (bilinear, half-pixel centres) gives each coarse cell."""
    eye = torch.eye(n_in, dtype=torch.float64)[:, :, None]  # n_in maps of n_in x 1: one unit cell each
    return upsample(eye, (n_out, 1))[:, :, 0].T.numpy()


@lru_cache(maxsize=32)
def cells_matrix(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in] float64: reads a map upsampled from n_out cells back as its cells, exactly.

    Area pooling an upsampled map does not give its cells back: it spreads each cell into its
    neighbours (by 1/8 a side at 32 px a cell). With S = pool_matrix @ upsample_matrix (n_out x n_out,
    invertible), S^-1 @ pool_matrix is a left inverse of the upsampling: it returns the cells.
    """
    pool_m = pool_matrix(n_in, n_out)
    return np.linalg.solve(pool_m @ upsample_matrix(n_in, n_out), pool_m)


def pool(maps: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """[B, H, W] -> [B, h, w]: each cell the area-weighted mean of the pixels it covers."""
    check_fits(grid, tuple(maps.shape[-2:]))
    pr, pc = (torch.as_tensor(pool_matrix(n, g), dtype=maps.dtype, device=maps.device)
              for n, g in zip(maps.shape[-2:], grid))
    return pr @ maps @ pc.T


def to_grid(maps: torch.Tensor, grid: tuple[int, int] | None) -> torch.Tensor:
    """[B, H, W] pooled to ``grid`` and upsampled back to H x W as coarse methods' maps are (None: unchanged)."""
    return maps if grid is None else upsample(pool(maps, grid), tuple(maps.shape[-2:]))
