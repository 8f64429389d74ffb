"""Pooling maps and masks onto a common grid, so maps of different native resolutions compare fairly.

A CAM at 224 px is 7x7 upsampled; a gradient map is 224x224. Scoring both on the image grid
favours the fine map (a coarse map cannot put its mass on a 300 Hz band). The option
``grid=HxW`` of a metric scores every map after area-averaging it onto H x W cells (exact
overlap weights, so a 224 -> 7 pooling is the mean of each 32 x 32 block), and a mask as the
cells that hold any of its pixels. ``grid=full`` keeps the image grid.
"""

from __future__ import annotations

import re

import numpy as np

from ..data.spectrogram import overlap_matrix

FULL = "full"


def parse_grid(text: str) -> tuple[int, int] | None:
    """``"7x7"`` -> (7, 7); ``"full"`` -> None (the image grid). Anything else is a ValueError."""
    if text == FULL:
        return None
    m = re.fullmatch(r"(\d+)x(\d+)", text)
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise ValueError(f"grid must be 'full' or ROWSxCOLS with positive sizes (e.g. 7x7), got {text!r}")
    return int(m.group(1)), int(m.group(2))


def _weights(n_src: int, n_dst: int) -> np.ndarray:
    """[n_dst, n_src]: each destination cell's average over the source cells it covers."""
    return overlap_matrix(np.linspace(0.0, 1.0, n_src + 1), np.linspace(0.0, 1.0, n_dst + 1))


def pool_maps(maps: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """[B, H, W] -> [B, h, w]: the mean of each cell's pixels (area-weighted where h does not divide H)."""
    b, h, w = maps.shape
    if grid[0] > h or grid[1] > w:
        raise ValueError(f"grid {grid[0]}x{grid[1]} is finer than the {h}x{w} map; pooling only coarsens")
    rows, cols = _weights(h, grid[0]), _weights(w, grid[1])
    return np.einsum("ih,bhw,jw->bij", rows, maps.astype(np.float64, copy=False), cols)


def pool_mask(mask: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Boolean [B, H, W] -> [B, h, w]: the cells that hold any pixel of the mask."""
    return pool_maps(mask.astype(np.float64), grid) > 0
