"""Coarse grids: area pooling worked out by hand, and the matrices the lift metrics use equal the torch calls."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from specxai_bench.methods.base import upsample
from specxai_bench.methods.grid import (
    cells_matrix,
    format_grid,
    parse_grid,
    pool,
    pool_matrix,
    to_grid,
    upsample_matrix,
)


def test_full_resolution_map_pooled_to_7x7_equals_pooling_by_hand():
    maps = torch.rand(2, 224, 224, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    by_hand = np.zeros((2, 7, 7))
    for b in range(2):
        for i in range(7):
            for j in range(7):  # each cell is the mean of its 32 x 32 pixels
                by_hand[b, i, j] = maps[b, 32 * i:32 * (i + 1), 32 * j:32 * (j + 1)].mean()
    np.testing.assert_allclose(pool(maps, (7, 7)).numpy(), by_hand, rtol=0, atol=1e-14)


def test_uneven_pooling_weights_pixels_by_the_area_each_cell_covers():
    # 3 pixels into 2 cells: cell 0 covers pixel 0 and half of pixel 1, cell 1 the other half and pixel 2
    np.testing.assert_allclose(pool_matrix(3, 2), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    maps = torch.tensor([[[1.0, 2.0, 4.0], [0.0, 0.0, 0.0], [3.0, 3.0, 3.0]]], dtype=torch.float64)
    rows = torch.tensor(pool_matrix(3, 2))
    np.testing.assert_allclose(pool(maps, (2, 2))[0].numpy(), (rows @ maps[0] @ rows.T).numpy())
    assert pool(maps, (1, 1)).item() == pytest.approx(maps.mean().item())


@pytest.mark.parametrize("size, grid", [((224, 224), (7, 7)), ((64, 64), (2, 2)), ((48, 40), (5, 3))])
def test_upsample_matrices_equal_the_upsampling_methods_use(size, grid):
    coarse = torch.rand(3, *grid, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ur, uc = (torch.as_tensor(upsample_matrix(n, g)) for n, g in zip(size, grid))
    torch.testing.assert_close(upsample(coarse, size), ur @ coarse @ uc.T, rtol=0, atol=1e-12)


def test_to_grid_pools_then_upsamples_and_keeps_non_negative_maps_non_negative():
    maps = torch.rand(2, 64, 64, generator=torch.Generator().manual_seed(2))
    out = to_grid(maps, (2, 2))
    torch.testing.assert_close(out, upsample(pool(maps, (2, 2)), (64, 64)))
    assert out.shape == maps.shape and (out >= 0).all()
    assert to_grid(maps, None) is maps  # "full": the image grid, unchanged


def test_grid_text():
    assert parse_grid("7x7") == (7, 7) and parse_grid("14X3") == (14, 3) and parse_grid("full") is None
    assert format_grid((7, 7)) == "7x7" and format_grid(None) == "full"
    for bad in ("7", "0x7", "seven", "7x7x7"):
        with pytest.raises(ValueError, match="ROWSxCOLS"):
            parse_grid(bad)
    with pytest.raises(ValueError, match="filled in by `run`"):
        parse_grid("auto")
    with pytest.raises(ValueError, match="finer than"):
        pool(torch.zeros(1, 4, 4), (7, 7))


@pytest.mark.parametrize("size, grid", [(224, 7), (64, 2), (224, 14), (48, 5)])
def test_cells_matrix_reads_an_upsampled_map_back_as_its_cells(size, grid):
    cells = torch.randn(2, grid, grid, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    back = torch.as_tensor(cells_matrix(size, grid))
    torch.testing.assert_close(back @ upsample(cells, (size, size)) @ back.T, cells, rtol=0, atol=1e-12)
    # area pooling alone blurs it: at 32 px a cell, 3/4 of a cell's value stays, 1/8 goes to each neighbour
    if (size, grid) == (224, 7):
        one = torch.zeros(1, 7, 7, dtype=torch.float64)
        one[0, 3, 3] = 1.0
        pooled = pool(upsample(one, (224, 224)), (7, 7))[0]
        torch.testing.assert_close(pooled[2:5, 3], torch.tensor([0.125, 0.75, 0.125], dtype=torch.float64) * 0.75)
