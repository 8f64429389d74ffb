"""Mass, lift and the attainable ceiling of lift: a mask inside a region, on the image grid or a coarse one.

A+ = max(A, 0); M the mask (formant bands, harmonics); R the region the lift is read in (every
pixel; the rows below 4 kHz; the harmonics' band). Then

    share = sum_R(A+ M) / sum_R(A+),   chance = sum_R(M) / |R|,   lift = share / chance,

so 1 is a map spread evenly over R. **On a grid** g = h x w, the map scored is U a: cells a >= 0
upsampled as coarse methods' maps are (methods/grid.py). A finer map's cells are A+ averaged over
each cell's area, a = P A+ (the map ``input_energy@grid=7x7`` draws); a map made on g itself (CAM's
7x7: the batch's ``native_grid``) keeps its own cells, a = max(c, 0) with c read back exactly, so
pooling does not blur it. Both steps are linear, so with, per cell j, n_j = sum(M * U e_j) and
d_j = sum(U e_j) (e_j: one unit cell),

    share_g = sum_j a_j n_j / sum_j a_j d_j,

computed on the cells (no upsampling; a test checks it against scoring Ag on the image grid).

**Ceiling.** share_g is a weighted mean of the ratios n_j / d_j with weights a_j d_j >= 0, so no
non-negative map of grid g beats its best cell: ceiling_g = max_j (n_j / d_j) / chance, reached by
the map that is 1 on that cell and 0 elsewhere. On the image grid (each pixel a cell) it is
1 / chance. Normalised lift = (lift - 1) / (ceiling - 1): 1 = the best any map of that grid can do,
0 = chance; comparable across grids and tasks, which raw lift is not.

Grids and regions are not combined (a coarse cell straddles the band edge); the grid path reads R
as the whole image. NaN where sum_R(A+) = 0, M is empty in R, or (normalised) ceiling <= 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..methods.grid import (
    AUTO,
    FULL,
    cells_matrix,
    format_grid,
    parse_grid,
    pool_matrix,
    upsample_matrix,
)
from ..registry import Spec


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den <= 0 (no warnings)."""
    ok = den > 0
    return np.where(ok, num / np.where(ok, den, 1.0), np.nan)


def positive_mass_share(attributions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sum(A+ * mask) / sum(A+) per sample; NaN where A+ sums to 0. ``mask`` broadcasts to A.

    float32 products summed per row, rows summed in float64: ~1e-9 from an all-float64 sum, 5x faster.
    """
    pos = np.maximum(attributions, 0)
    total = pos.sum(2).sum(1, dtype=np.float64)
    inside = np.multiply(pos, mask, out=pos).sum(2).sum(1, dtype=np.float64)  # in place: one buffer
    return ratio(inside, total)


def _region_share(attributions: np.ndarray, mask: np.ndarray, region: np.ndarray | None) -> np.ndarray:
    """sum_R(A+ M) / sum_R(A+): a region of rows [H] is sliced, a [B, H, W] one multiplies A+ (boolean
    passes instead of a masked float copy)."""
    if region is None:
        return positive_mass_share(attributions, mask)
    region = np.asarray(region, bool)
    if region.ndim == 1:
        return positive_mass_share(attributions[:, region], mask[:, region])
    pos = np.maximum(attributions, 0)
    total = np.multiply(pos, region).sum(2).sum(1, dtype=np.float64)
    inside = np.multiply(pos, mask & region, out=pos).sum(2).sum(1, dtype=np.float64)
    return ratio(inside, total)


def chance(mask: np.ndarray, region: np.ndarray | None = None) -> np.ndarray:
    """[B] share of the region's pixels on the mask (NaN where the region is empty)."""
    if region is None:
        return mask.mean((1, 2))
    region = np.asarray(region, bool)
    if region.ndim == 1:
        return mask[:, region].mean((1, 2)) if region.any() else np.full(len(mask), np.nan)
    return ratio((mask & region).mean((1, 2)), np.broadcast_to(region, mask.shape).mean((1, 2)))


def mask_share(attributions: np.ndarray, mask: np.ndarray, region: np.ndarray | None = None,
               grid: tuple[int, int] | None = None, native: tuple[int, int] | None = None) -> np.ndarray:
    """[B] share of A+ (inside ``region``) that lies on ``mask``, on the image grid or on ``grid``
    (``native``: the grid the maps were made on; None: the image grid)."""
    if grid is not None:
        if region is not None:
            raise ValueError("a coarse grid is scored over the whole image, not inside a region")
        return CellMask.of(mask, grid).share(grid_cells(attributions, grid, native))
    return _region_share(attributions, mask, region)


def lift_ceiling(mask: np.ndarray, region: np.ndarray | None = None,
                 grid: tuple[int, int] | None = None) -> np.ndarray:
    """[B] the best lift any non-negative map of ``grid`` (None: the image grid) can reach on ``mask``."""
    base = chance(mask, region)
    best = np.ones_like(base) if grid is None else CellMask.of(mask, grid).best()
    return ratio(best, base)


@dataclass(frozen=True)
class CellMask:
    """A mask seen from a coarse grid: per cell j, n_j = sum(M * U e_j), its upsampled unit map's mass
    on the mask, and d_j = sum(U e_j), that map's whole mass (the same for every sample)."""

    n: np.ndarray  # [B, h, w]
    d: np.ndarray  # [h, w]

    @classmethod
    def of(cls, mask: np.ndarray, grid: tuple[int, int]) -> "CellMask":
        (hh, ww), (h, w) = mask.shape[1:], grid
        if h > hh or w > ww:
            raise ValueError(f"grid {format_grid(grid)} is finer than the {hh}x{ww} image")
        ur, uc = upsample_matrix(hh, h), upsample_matrix(ww, w)  # [H, h], [W, w]
        return cls(_separable(mask.astype(np.float32), ur.T, uc.T), np.outer(ur.sum(0), uc.sum(0)))

    def share(self, cells: np.ndarray) -> np.ndarray:
        """[B] share on the mask of the upsampled map of ``cells`` [B, h, w] >= 0 (NaN where they are all 0)."""
        return ratio((cells * self.n).sum((1, 2)), (cells * self.d).sum((1, 2)))

    def best(self) -> np.ndarray:
        """[B] the largest n_j / d_j: the best share any non-negative map of the grid reaches."""
        return (self.n / self.d).reshape(len(self.n), -1).max(1)


def grid_cells(attributions: np.ndarray, grid: tuple[int, int], native: tuple[int, int] | None = None
               ) -> np.ndarray:
    """[B, h, w] float64, >= 0: the cells of the map on ``grid``.

    A map made on that grid (``native == grid``: CAM's 7x7) is read back as its own cells, exactly
    (methods.grid.cells_matrix), and their positive part taken; any other map is pooled: A+ averaged
    over each cell's area (methods.grid.pool on A+). Area pooling alone would blur a map made on the
    grid into its neighbouring cells (1/8 a side), which would cost CAM part of the lift it can reach.
    """
    (hh, ww) = attributions.shape[1:]
    a = np.asarray(attributions, dtype=np.float32)
    if native is not None and tuple(native) == tuple(grid):
        return np.maximum(_separable(a, cells_matrix(hh, grid[0]), cells_matrix(ww, grid[1])), 0)
    return _separable(np.maximum(a, 0), pool_matrix(hh, grid[0]), pool_matrix(ww, grid[1]))


def _separable(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """rows @ x @ cols.T per sample, float64 out: x [B, H, W] float32, rows [h, H], cols [w, W].

    The columns first, as one [B * H, W] x [W, w] product (one large matrix product, not B small ones),
    in float32: the inputs are float32 and the cell sums need no more (~1e-7 relative).
    """
    b, hh, ww = x.shape
    half = (x.reshape(b * hh, ww) @ cols.T.astype(np.float32)).reshape(b, hh, -1)
    return (rows.astype(np.float32) @ half).astype(np.float64)


def normalised(lift: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """(lift - 1) / (ceiling - 1); NaN where the ceiling is not above chance (no map can do better than 1)."""
    head = ceiling - 1.0
    return ratio(lift - 1.0, np.where(head > 1e-9, head, 0.0))


def fill_auto_grids(metric_specs: list[str], native_grids: list[tuple[int, int]], image_size: int) -> list[str]:
    """Metric specs with ``grid=auto`` given the coarsest of ``native_grids`` (fewest cells; the methods of
    the run), so the stored id names a concrete grid; the image's own grid is written ``full``."""
    from . import METRICS

    out = []
    for text in metric_specs:
        spec = METRICS.expand(text)
        if dict(spec.options).get("grid", "").strip().lower() != AUTO:
            out.append(text)
            continue
        coarsest = min(native_grids, key=lambda g: (g[0] * g[1], g)) if native_grids else None
        value = FULL if coarsest is None or tuple(coarsest) == (image_size, image_size) else format_grid(coarsest)
        out.append(str(Spec(spec.name, tuple((k, value if k == "grid" else v) for k, v in spec.options))))
    return out


def check_grid(text: str) -> str:
    """A grid option as given: ``full``, ``ROWSxCOLS`` or ``auto`` (filled in by `run`); ValueError otherwise."""
    text = str(text).strip().lower()
    if text != AUTO:
        parse_grid(text)
    return text
