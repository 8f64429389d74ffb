import torch

from specxai_bench.training import augment


def test_augmentation_never_moves_the_frequency_axis():
    x = torch.rand(4, 1, 16, 12)
    out = augment(x, torch.Generator().manual_seed(0), max_shift=3)
    for b in range(4):
        # every output column is an input column (a time shift) plus faint noise: rows stay rows
        dist = (out[b, 0][:, :, None] - x[b, 0][:, None, :]).abs().max(0).values  # [W_out, W_in]
        assert (dist.min(1).values < 0.06).all()
