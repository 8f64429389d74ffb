"""Band deletion on a model whose output depends only on the lowest band: AUCs worked out by hand.

LowBandModel: p(class 0) = sigmoid(10 * mean of rows 0-3). With K = 4 bands of 4 rows on a 16-row
image, p stays q = sigmoid(10 * mean(rows 0-3)) until band 0 is deleted, then drops to
r = sigmoid(10 * fill). If band 0 goes at step j (1-based), the trapezoid over s = 0..K gives
AUC = [(q + r) / 2 + (j - 1) q + (K - j) r] / K.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from specxai_bench.metrics.faithfulness import (
    BandDeletion,
    BandDeletionGain,
    deletion_curves,
)

K, H = 4, 16


def maps_with_band_means(*band_values: tuple[float, ...]) -> np.ndarray:
    """[B, 16, 16] maps, constant within each 4-row band at the given values (band 0 first)."""
    return np.stack([np.repeat(np.asarray(v, float), H // K)[:, None].repeat(H, 1) for v in band_values])


def expected_auc(images: torch.Tensor, j: int, fill: torch.Tensor | None = None) -> float:
    q = torch.sigmoid(10 * images[0, :4].mean()).item()
    r = torch.sigmoid(10 * (images.min() if fill is None else fill)).item()
    return ((q + r) / 2 + (j - 1) * q + (K - j) * r) / K


@pytest.fixture
def setup(mk):
    images = torch.rand(3, 1, H, H, generator=torch.Generator().manual_seed(3)) * 0.8 + 0.1
    # band 0 first (j = 1); band 0 last (j = 4); band 1 then band 0 (j = 2)
    maps = maps_with_band_means((5, 0, 0, 0), (1, 2, 3, 4), (2, 3, -1, 0))
    return mk.batch(maps, images=images, model=mk.LowBandModel(rows=4)), [1, 4, 2]


def test_band_deletion_auc_by_hand(setup):
    batch, js = setup
    got = BandDeletion(n_bands=K).score(batch)
    want = [expected_auc(batch.images[i], j) for i, j in enumerate(js)]
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert got[0] < got[2] < got[1]  # deleting the band the model uses first gives the lowest AUC
    assert ((0 <= got) & (got <= 1)).all()


def test_mean_baseline(setup):
    batch, js = setup
    got = BandDeletion(n_bands=K, baseline="mean").score(batch)
    want = [expected_auc(batch.images[i], j, fill=batch.images[i].mean()) for i, j in enumerate(js)]
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_gain_against_the_seeded_random_orders(setup):
    batch, js = setup
    metric = BandDeletionGain(n_bands=K, n_random=4, seed=0)
    orders = metric.random_orders()
    assert orders.shape == (4, K) and not (orders[:, 0] == 0).all()
    j_random = [int(np.flatnonzero(o.numpy() == 0)[0]) + 1 for o in orders]
    want = [np.mean([expected_auc(batch.images[i], jr) for jr in j_random]) - expected_auc(batch.images[i], j)
            for i, j in enumerate(js)]
    got = metric.score(batch)
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert got[0] > 0 > got[1]  # the right band first beats random order; the wrong one loses to it


def test_batched_equals_per_sample_and_chunks_do_not_matter(setup, mk):
    batch, _ = setup
    metric = BandDeletionGain(n_bands=K, chunk_size=5)  # chunk boundaries fall inside samples
    alone = [BandDeletionGain(n_bands=K).score(mk.batch(batch.attributions[i:i + 1], images=batch.images[i:i + 1],
                                                      model=batch.model)) for i in range(3)]
    np.testing.assert_allclose(metric.score(batch), np.concatenate(alone), atol=1e-6)


def test_perturbed_copies_go_through_the_model_stacked(setup):
    batch, _ = setup
    calls: list[int] = []
    handle = batch.model.register_forward_pre_hook(lambda m, inp: calls.append(len(inp[0])))
    try:
        BandDeletion(n_bands=K).score(batch)
        assert calls == [3 * (2 + (K - 1))]  # image, all-deleted, K-1 steps; one forward for the batch
        calls.clear()
        BandDeletionGain(n_bands=K, n_random=4, chunk_size=20).score(batch)
        assert calls == [20, 20, 11]  # 3 x (2 + 5 orders x 3 steps) = 51 images in chunks of 20
    finally:
        handle.remove()


def test_deletion_curves_shape_and_ends(setup):
    batch, _ = setup
    orders = torch.stack([torch.arange(K), torch.arange(K).flip(0)])[None].expand(3, -1, -1)
    p = deletion_curves(batch.model, batch.images, batch.targets, orders)
    assert p.shape == (3, 2, K + 1)
    torch.testing.assert_close(p[:, 0, 0], p[:, 1, 0])  # the image itself, shared by every order
    torch.testing.assert_close(p[:, 0, -1], p[:, 1, -1])  # everything deleted


def test_eval_mode_used_and_restored(mk):
    batch = mk.random_batch(b=2, size=16, model=mk.TinyNet())
    in_eval = BandDeletion(n_bands=4).score(batch)
    batch.model.train()
    np.testing.assert_allclose(BandDeletion(n_bands=4).score(batch), in_eval, atol=1e-6)
    assert batch.model.training


def test_nan_for_constant_maps_and_errors(setup, mk):
    batch, _ = setup
    flat = mk.batch(np.stack([np.zeros((H, H)), np.full((H, H), 0.3), batch.attributions[0].numpy()]),
                    images=batch.images, model=batch.model)
    for metric in (BandDeletion(n_bands=K), BandDeletionGain(n_bands=K)):
        out = metric.score(flat)
        assert np.isnan(out[:2]).all() and np.isfinite(out[2])
    with pytest.raises(ValueError, match="needs the model"):
        BandDeletion().score(mk.batch(batch.attributions))
    with pytest.raises(ValueError, match="baseline"):
        BandDeletion(baseline="zero")
    with pytest.raises(TypeError):
        BandDeletionGain(nrandom=2)


def test_random_order_aucs_are_reused_across_methods(setup, mk):
    batch, _ = setup
    metric = BandDeletionGain(n_bands=K, n_random=4)
    first = metric.score(batch)
    other_maps = mk.batch(np.flip(batch.attributions.numpy(), 1).copy(), images=batch.images, model=batch.model)
    calls: list[int] = []
    handle = batch.model.register_forward_pre_hook(lambda m, inp: calls.append(len(inp[0])))
    try:
        second = BandDeletionGain(n_bands=K, n_random=4).score(other_maps)
    finally:
        handle.remove()
    assert calls == [3 * (2 + (K - 1))]  # only the new attribution order; random orders come from the cache
    fresh = BandDeletionGain(n_bands=K, n_random=4).score(
        mk.batch(other_maps.attributions, images=batch.images, model=mk.LowBandModel(rows=4)))
    np.testing.assert_allclose(second, fresh, atol=1e-6)  # same values as computed from scratch
    assert not np.allclose(first, second)
    assert np.isnan(BandDeletionGain(n_bands=K, n_random=4).score(
        mk.batch(np.zeros_like(batch.attributions.numpy()), images=batch.images, model=batch.model))).all()
