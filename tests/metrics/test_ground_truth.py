"""Ground-truth metrics: hand-computed values, Quantus within 1e-6 (full grid and 7x7), the pooling helper."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.metrics import METRICS
from specxai_bench.metrics.grid import parse_grid, pool_mask, pool_maps
from specxai_bench.metrics.ground_truth import PixelRocAuc, RelevanceMassAccuracy, RelevanceRankAccuracy
from specxai_bench.metrics.shortcut import ShortcutRecovery

RMA, RRA, AUC = RelevanceMassAccuracy, RelevanceRankAccuracy, PixelRocAuc
# 4 x 4 cells on 0-4 kHz (row centres 500, 1500, 2500, 3500 Hz), a 0.4 s segment (column centres 0.05 .. 0.35 s):
# the box 0.1-0.3 s x 1000-3000 Hz holds rows 1, 2 and columns 1, 2: K = 4 of N = 16 cells
AXIS = FrequencyAxis(0.0, 4000.0, 4)
BOX = [[0.1, 0.3, 1000.0, 3000.0], [np.nan] * 4]
EXACT = dict(margin_hz=0.0, margin_ms=0.0)


def batch(mk, maps, boxes=None, durations=None):
    maps = np.asarray(maps, dtype=np.float32)
    maps = maps[None] if maps.ndim == 2 else maps
    n = len(maps)
    boxes = np.tile(BOX, (n, 1, 1)) if boxes is None else np.asarray(boxes, dtype=np.float64)
    return mk.batch(maps, axis=AXIS, boxes=boxes, durations=np.full(n, 0.4) if durations is None else durations)


def test_hand_computed_mass_rank_accuracy_and_auc(mk):
    a = [[5, 0, 0, 0],
         [0, 9, 8, 0],
         [0, 1, 7, 0],
         [-2, 0, 0, 6]]
    b = batch(mk, a)
    mask = RMA(**EXACT).truth(b)[1].reshape(4, 4)
    np.testing.assert_array_equal(np.argwhere(mask), [[1, 1], [1, 2], [2, 1], [2, 2]])
    # A+ = 36 in all, 9 + 8 + 1 + 7 = 25 in the box
    assert RMA(**EXACT).score(b)[0] == pytest.approx(25 / 36)
    # the 4 top cells are 9, 8, 7, 6: three in the box
    assert RRA(**EXACT).score(b)[0] == pytest.approx(3 / 4)
    # box cells 9, 8, 7 beat all 12 outside cells (5, 6, -2, nine 0s); 1 beats the ten 0 / -2: U = 46 of 4 x 12
    assert AUC(**EXACT).score(b)[0] == pytest.approx(46 / 48)


def test_rank_accuracy_counts_ties_at_the_kth_value_in_proportion(mk):
    a = [[0, 0, 2, 0],
         [0, 9, 2, 0],
         [0, 2, 0, 0],
         [0, 0, 2, 0]]  # box cells 9, 2, 2, 0; outside 2, 2 and ten 0s
    # K = 4: 9 is in; 3 more places go to the four cells tied at 2, two of them in the box: 1 + 3 x 2/4
    assert RRA(**EXACT).score(batch(mk, a))[0] == pytest.approx(2.5 / 4)
    # AUC with ties: 9 beats 12; each 2 beats 10 zeros and ties 2 twos (+1); 0 ties 10 zeros (+5): 12 + 11 + 11 + 5
    assert AUC(**EXACT).score(batch(mk, a))[0] == pytest.approx(39 / 48)


def test_chance_levels_and_nan_cases(mk):
    flat = batch(mk, np.ones((4, 4)))
    assert RMA(**EXACT).score(flat)[0] == pytest.approx(4 / 16)  # a uniform map: K / N
    assert np.isnan(RRA(**EXACT).score(flat)[0]) and np.isnan(AUC(**EXACT).score(flat)[0])  # no ranking
    rng = np.random.default_rng(0)
    noise = batch(mk, rng.standard_normal((400, 4, 4)))
    assert RRA(**EXACT).score(noise).mean() == pytest.approx(0.25, abs=0.03)
    assert AUC(**EXACT).score(noise).mean() == pytest.approx(0.5, abs=0.03)
    no_box = batch(mk, rng.standard_normal((1, 4, 4)), boxes=[[[np.nan] * 4] * 2])
    assert all(np.isnan(m(**EXACT).score(no_box)[0]) for m in (RMA, RRA, AUC))
    everywhere = batch(mk, rng.standard_normal((1, 4, 4)), boxes=[[[0, 0.4, 0, 4000], [np.nan] * 4]])
    assert np.isnan(AUC(**EXACT).score(everywhere)[0]) and RRA(**EXACT).score(everywhere)[0] == 1.0
    b = batch(mk, rng.standard_normal((1, 4, 4)))
    with pytest.raises(ValueError, match="cue box"):
        RMA().score(replace(b, boxes=None))


def quantus_batch(mk):
    """Signed maps at 48 px (one with ties everywhere), 40 ms x 300 Hz boxes at several places and one
    steady band, on a full band."""
    rng = np.random.default_rng(3)
    b, size = 6, 48
    maps = rng.standard_normal((b, size, size)).astype(np.float32)
    maps[2] = np.round(maps[2])  # ties everywhere
    maps[3] = np.abs(maps[3])
    dur = rng.uniform(0.1, 0.3, b)
    t0 = rng.uniform(0, 0.5, b) * dur
    lo = rng.uniform(4000, 8000, b)
    boxes = np.stack([np.stack([t0, t0 + 0.04, lo, lo + 300], 1), np.full((b, 4), np.nan)], 1)
    boxes[5, 0] = [0, dur[5], 4500, 4800]  # a steady band (the shortcut task's box)
    return mk.batch(maps, axis=FrequencyAxis(0.0, 11025.0, size), boxes=boxes, durations=dur)


@pytest.mark.parametrize("grid", ["full", "7x7", "12x6"])
def test_equal_to_quantus_on_the_same_masks(mk, grid):
    from specxai_bench.metrics import quantus_adapters as q

    b = quantus_batch(mk)
    for cls, ref in ((RMA, q.relevance_mass_accuracy), (RRA, q.relevance_rank_accuracy), (AUC, q.auc)):
        metric = cls(grid=grid)
        maps, mask = metric.truth(b)
        h, w = (48, 48) if grid == "full" else parse_grid(grid)
        maps, mask = maps.reshape(-1, h, w), mask.reshape(-1, h, w)
        assert mask.any((1, 2)).all() and not mask.all((1, 2)).any()
        ours = metric.score(b)
        keep = np.ones(len(ours), bool)
        if cls is RRA:  # Quantus breaks ties at the K-th value by argsort order; compare where there are none
            keep[2] = grid != "full"
        theirs = ref(maps.astype(np.float64), mask)
        np.testing.assert_allclose(ours[keep], theirs[keep], rtol=0, atol=1e-6)


def test_mass_accuracy_of_a_steady_band_is_shortcut_recovery(mk):
    """On the shortcut task the box is the band over the whole segment: the same rows, every column."""
    rng = np.random.default_rng(1)
    axis = FrequencyAxis(0.0, 11025.0, 64)
    bands = np.array([[4600.0, 100.0], [5800.0, 100.0], [7000.0, 100.0]])
    dur = np.array([0.15, 0.2, 0.3])
    boxes = np.stack([np.stack([np.zeros(3), dur, bands[:, 0] - 50, bands[:, 0] + 50], 1),
                      np.full((3, 4), np.nan)], 1)
    b = mk.batch(rng.standard_normal((3, 64, 64)), axis=axis, bands=bands, boxes=boxes, durations=dur)
    np.testing.assert_allclose(RMA(margin_hz=100.0, margin_ms=0.0).score(b), ShortcutRecovery(margin_hz=100.0).score(b),
                               rtol=0, atol=1e-7)  # float32 sums in another order


def test_pooling_is_the_block_mean_and_masks_keep_any_cell():
    rng = np.random.default_rng(2)
    maps = rng.standard_normal((2, 224, 224)).astype(np.float32)
    pooled = pool_maps(maps, (7, 7))
    ref = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(maps)[:, None].double(), 7)[:, 0].numpy()
    np.testing.assert_allclose(pooled, ref, rtol=0, atol=1e-9)
    mask = np.zeros((1, 224, 224), bool)
    mask[0, 40, 100] = True  # one pixel: cell (40 // 32, 100 // 32) = (1, 3)
    np.testing.assert_array_equal(np.argwhere(pool_mask(mask, (7, 7))[0]), [[1, 3]])
    uneven = pool_maps(np.arange(10, dtype=np.float64).reshape(1, 1, 10).repeat(3, 1), (1, 4))  # 2.5 columns a cell
    np.testing.assert_allclose(uneven[0, 0], [(0 + 1 + 0.5 * 2) / 2.5, (0.5 * 2 + 3 + 4) / 2.5,
                                              (5 + 6 + 0.5 * 7) / 2.5, (0.5 * 7 + 8 + 9) / 2.5])
    with pytest.raises(ValueError, match="finer"):
        pool_maps(maps, (300, 7))
    for bad in ("7", "0x7", "7x7x7", "axb"):
        with pytest.raises(ValueError, match="grid"):
            parse_grid(bad)


def test_vectorised_scores_do_not_depend_on_batch_mates(mk):
    b = quantus_batch(mk)
    for cls in (RMA, RRA, AUC):
        for grid in ("full", "7x7"):
            whole = cls(grid=grid).score(b)
            alone = [cls(grid=grid).score(replace(b, attributions=b.attributions[i:i + 1], boxes=b.boxes[i:i + 1],
                                                  durations=b.durations[i:i + 1]))[0] for i in range(len(whole))]
            np.testing.assert_allclose(whole, alone, rtol=0, atol=1e-12)


def test_ids_options_and_tasks():
    assert RMA().id == "relevance_mass_accuracy@margin100hz,10ms"
    assert AUC(grid="7x7").id == "pixel_roc_auc@margin100hz,10ms,grid7x7"
    assert METRICS.create("relevance_rank_accuracy@grid=7x7,margin_ms=5").id == \
        "relevance_rank_accuracy@margin100hz,5ms,grid7x7"
    assert RMA().applies_to("tf-shortcut") and RMA().applies_to("shortcut") and not RMA().applies_to("vowel")
    with pytest.raises(ValueError, match="margin_ms"):
        RMA(margin_ms=-1)
    with pytest.raises(ValueError, match="grid"):
        RMA(grid="7by7")
