"""Lift that band, energy and resolution cannot fool: in-band lift, pooled-grid scores, the ceiling of a
grid and normalised lift, on maps whose values are worked out by hand.

The full-band axis is the synthetic corpus' (0-11,025 Hz on 224 rows, 49.2 Hz a row): row i's centre
is (i + 1/2) x 49.2 Hz, below 4 kHz for i <= 80, so 81 of the 224 rows lie below 4 kHz.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.errors import ConfigError
from specxai_bench.experiment import RunConfig, plan
from specxai_bench.methods import METHODS
from specxai_bench.methods.base import upsample
from specxai_bench.methods.grid import to_grid
from specxai_bench.metrics import METRICS
from specxai_bench.metrics.lift import CellMask, fill_auto_grids, lift_ceiling
from specxai_bench.metrics.masks import formant_mask

FULL_BAND = FrequencyAxis(0.0, 11025.0, 224)
ROWS_BELOW_4K = 81


def tracks(b: int, w: int = 224, seed: int = 0) -> np.ndarray:
    """Formant tracks that move within their ranges (F3 + its band stays below 4 kHz)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, w)[None, :]
    lo, hi = np.array([300.0, 900.0, 2400.0]), np.array([800.0, 2200.0, 3200.0])
    base = rng.uniform(lo, hi, (b, 1, 3))
    return base + 150 * np.sin(2 * np.pi * (t[..., None] + rng.uniform(0, 1, (b, 1, 3))))


def score(spec: str, mk, maps, formants, axis=FULL_BAND, images=None, native=None) -> np.ndarray:
    """``native``: the grid the maps were made on (the runner passes each method's; None: the image grid)."""
    batch = replace(mk.batch(maps, axis=axis, formants=formants, images=images), native_grid=native)
    return METRICS.create(spec).score(batch)


def test_rows_below_4khz_on_the_full_band_axis():
    assert int(FULL_BAND.rows_below(4000.0).sum()) == ROWS_BELOW_4K
    assert FULL_BAND.centres()[80] < 4000 < FULL_BAND.centres()[81]


def test_a_map_uniform_below_4khz_has_in_band_lift_1_and_full_band_lift_of_the_band_share(mk):
    formants = tracks(3)
    assert not formant_mask(formants, FULL_BAND)[:, ROWS_BELOW_4K:].any()  # every formant band lies below 4 kHz
    prior = METHODS.create("band_prior", torch.nn.Identity()).with_axis(FULL_BAND)
    maps = prior.attribute(torch.rand(3, 1, 224, 224), torch.zeros(3, dtype=torch.long))
    np.testing.assert_allclose(score("in_band_formant_lift", mk, maps, formants), 1.0, rtol=1e-6)
    np.testing.assert_allclose(score("formant_band_lift", mk, maps, formants), 224 / ROWS_BELOW_4K, rtol=1e-6)
    # the band alone explains full-band lift: the same map normalised in band is at chance
    np.testing.assert_allclose(score("formant_band_lift_normalised@below_hz=4000", mk, maps, formants), 0.0,
                               atol=1e-6)
    assert METRICS.create("in_band_formant_lift").id == "formant_band_lift@F123,w100hz,10pct,below4000hz"


def test_in_band_lift_by_hand_on_4_rows(mk):
    # rows centred 1, 3, 5, 7 kHz; F1 at 1 kHz (w = 100 Hz: row 0 only); band below 4 kHz = rows 0, 1
    axis = FrequencyAxis(0.0, 8000.0, 4)
    formants = np.tile([1000.0, np.nan, np.nan], (1, 4, 1))
    a = np.array([[[3.0, 1, 0, 0], [1, 1, 1, 1], [4, 4, 4, 4], [0, 0, 0, 0]]])  # A+ below 4 kHz: 4 on F1's row, 4 off
    in_band = score("formant_band_lift@formants=1,below_hz=4000", mk, a, formants, axis)[0]
    assert in_band == pytest.approx((4 / 8) / (1 / 2))
    assert score("formant_band_mass@formants=1,below_hz=4000", mk, a, formants, axis)[0] == pytest.approx(4 / 8)
    assert score("formant_band_lift@formants=1", mk, a, formants, axis)[0] == pytest.approx((4 / 24) / (1 / 4))


def test_a_map_equal_to_the_input_power_scores_what_the_power_baseline_does(mk):
    """The paired difference (a method's excess over the baseline) is 0 on every sample."""
    images = torch.rand(4, 1, 224, 224, generator=torch.Generator().manual_seed(3))
    by_hand = torch.as_tensor(10.0 ** (8.0 * (images[:, 0].double().numpy() - 1.0)), dtype=torch.float32)
    baseline = METHODS.create("input_energy@scale=power", torch.nn.Identity()).attribute(images, torch.zeros(4).long())
    formants = tracks(4)
    for spec in ("formant_band_lift", "in_band_formant_lift", "formant_band_lift@grid=7x7",
                 "formant_band_lift_normalised@grid=7x7"):
        mine, theirs = score(spec, mk, by_hand, formants), score(spec, mk, baseline, formants)
        np.testing.assert_allclose(mine - theirs, 0.0, atol=1e-6, err_msg=spec)


def test_grid_score_equals_scoring_the_pooled_map_on_the_image_grid(mk):
    """The cell arithmetic of metrics/lift.py = pool A+, upsample as CAM's map is, score at full resolution;
    and a baseline pooled by the method scores what the metric's pooling gives."""
    rng = np.random.default_rng(4)
    maps = torch.as_tensor(rng.standard_normal((3, 224, 224)), dtype=torch.float32)
    formants = tracks(3)
    pooled = to_grid(maps.clamp(min=0).double(), (7, 7)).float()
    np.testing.assert_allclose(score("formant_band_lift@grid=7x7", mk, maps, formants),
                               score("formant_band_lift", mk, pooled, formants), rtol=1e-5)
    np.testing.assert_allclose(score("formant_band_mass@grid=7x7", mk, maps, formants),
                               score("formant_band_mass", mk, pooled, formants), rtol=1e-5)
    images = torch.rand(3, 1, 224, 224, generator=torch.Generator().manual_seed(5))
    targets = torch.zeros(3, dtype=torch.long)
    coarse = METHODS.create("input_energy@scale=power,grid=7x7", torch.nn.Identity()).attribute(images, targets)
    fine = METHODS.create("input_energy@scale=power", torch.nn.Identity()).attribute(images, targets)
    np.testing.assert_allclose(score("formant_band_lift", mk, coarse, formants),
                               score("formant_band_lift@grid=7x7", mk, fine, formants), rtol=1e-5)


def test_the_ceiling_is_reached_by_the_best_cell_and_no_non_negative_7x7_map_exceeds_it(mk):
    formants = tracks(1, seed=6)
    mask = formant_mask(formants, FULL_BAND)
    ceiling = lift_ceiling(mask, grid=(7, 7))[0]
    cells = CellMask.of(mask, (7, 7))
    n, d = cells.n, cells.d
    best = np.unravel_index(np.argmax(n[0] / d), (7, 7))
    optimal = torch.zeros(1, 7, 7, dtype=torch.float64)
    optimal[0][best] = 1.0
    optimal_map = upsample(optimal, (224, 224)).float()  # the one-cell map, upsampled as CAM's is
    assert score("formant_band_lift", mk, optimal_map, formants)[0] == pytest.approx(ceiling, rel=1e-5)
    assert score("formant_band_lift@grid=7x7", mk, optimal_map, formants, native=(7, 7))[0] == pytest.approx(
        ceiling, rel=1e-5)
    assert score("formant_band_lift_normalised@grid=7x7", mk, optimal_map, formants, native=(7, 7))[0] == \
        pytest.approx(1.0, abs=1e-5)
    # a full-resolution map whose area means are that cell: its block of 32 x 32 pixels
    block = torch.zeros(1, 224, 224)
    block[0, 32 * best[0]:32 * (best[0] + 1), 32 * best[1]:32 * (best[1] + 1)] = 1.0
    assert score("formant_band_lift_normalised@grid=7x7", mk, block, formants)[0] == pytest.approx(1.0, abs=1e-5)
    # area pooling alone would have blurred the map made on the grid into its neighbours, below the ceiling
    assert score("formant_band_lift@grid=7x7", mk, optimal_map, formants)[0] < 0.95 * ceiling
    # random non-negative 7x7 maps: dense, sparse, heavy-tailed and every single cell, upsampled as CAM's are
    rng = np.random.default_rng(7)
    dense = rng.uniform(0, 1, (150, 7, 7))
    sparse = dense * (rng.uniform(0, 1, dense.shape) < 0.1)
    sparse[sparse.reshape(150, -1).sum(1) == 0, 0, 0] = 1.0
    cells = np.eye(49).reshape(49, 7, 7)
    coarse = torch.as_tensor(np.concatenate([dense, sparse, cells, rng.exponential(1, (150, 7, 7)) ** 4]))
    maps, many = upsample(coarse, (224, 224)).float(), np.repeat(formants, len(coarse), 0)
    lifts = score("formant_band_lift", mk, maps, many)
    assert np.isfinite(lifts).all() and lifts.max() <= ceiling * (1 + 1e-5)
    assert lifts.max() == pytest.approx(ceiling, rel=1e-5)  # reached by the best single cell
    np.testing.assert_allclose(score("formant_band_lift@grid=7x7", mk, maps, many, native=(7, 7)), lifts, rtol=1e-5,
                               atol=1e-6)
    # signed maps made on the grid, and fine maps pooled to it, stay below it too
    signed = upsample(torch.as_tensor(rng.standard_normal((100, 7, 7))), (224, 224)).float()
    fine = torch.as_tensor(rng.exponential(1, (100, 224, 224)) ** 3, dtype=torch.float32)
    assert score("formant_band_lift@grid=7x7", mk, signed, many[:100], native=(7, 7)).max() <= ceiling * (1 + 1e-5)
    assert score("formant_band_lift@grid=7x7", mk, fine, many[:100]).max() <= ceiling * (1 + 1e-5)
    # a full-resolution map goes beyond it: raw lift is not comparable across grids
    full = score("formant_band_lift", mk, mask.astype(np.float32), formants)[0]
    assert full == pytest.approx(1 / mask.mean()) and full > 1.5 * ceiling
    assert lift_ceiling(mask)[0] == pytest.approx(1 / mask.mean())


def test_normalised_lift_is_0_at_chance_and_1_at_the_ceiling(mk):
    formants = tracks(2, seed=8)
    mask = formant_mask(formants, FULL_BAND).astype(np.float32)
    uniform = np.ones((2, 224, 224), np.float32)
    np.testing.assert_allclose(score("formant_band_lift_normalised", mk, uniform, formants), 0.0, atol=1e-6)
    np.testing.assert_allclose(score("formant_band_lift_normalised@grid=7x7", mk, uniform, formants), 0.0, atol=1e-6)
    np.testing.assert_allclose(score("formant_band_lift_normalised", mk, mask, formants), 1.0, atol=1e-6)
    lift = score("formant_band_lift", mk, mask * 0.5 + 0.5, formants)
    by_hand = (lift - 1) / (1 / mask.mean((1, 2)) - 1)
    np.testing.assert_allclose(score("formant_band_lift_normalised", mk, mask * 0.5 + 0.5, formants), by_hand,
                               rtol=1e-5)


def test_normalised_lift_is_nan_where_no_map_can_beat_chance(mk):
    axis = FrequencyAxis(0.0, 4000.0, 4)
    everywhere = np.tile([500.0, 1500.0, 2500.0], (1, 4, 1))
    a = np.random.default_rng(0).uniform(0, 1, (1, 4, 4))
    wide = METRICS.create("formant_band_lift_normalised@rel=2").score(mk.batch(a, axis=axis, formants=everywhere))
    assert np.isnan(wide).all()  # the mask covers every pixel: the ceiling is 1


def test_grid_auto_is_filled_from_the_runs_methods():
    specs = ["formant_band_lift@grid=auto", "formant_band_lift", "in_band_formant_lift",
             "formant_band_lift_normalised@formants=1+2,grid=auto"]
    assert fill_auto_grids(specs, [(224, 224), (7, 7), (112, 112)], 224) == [
        "formant_band_lift@grid=7x7", "formant_band_lift", "in_band_formant_lift",
        "formant_band_lift_normalised@formants=1+2,grid=7x7"]
    assert fill_auto_grids(specs[:1], [(224, 224)], 224) == ["formant_band_lift@grid=full"]
    with pytest.raises(ValueError, match="grid=auto is filled in by `run`"):
        METRICS.create("formant_band_lift@grid=auto").score(
            __import__("benchmarks.metric_speed", fromlist=["make_batch"]).make_batch(1, 16))


def test_plan_fills_grid_auto_with_the_coarsest_native_grid():
    cfg = RunConfig(methods=("cam", "integrated_gradients"), metrics=("formant_band_lift_normalised@grid=auto",),
                    tasks=("vowel5",), profile="smoke", device="cpu")
    assert plan(cfg).metrics == ["formant_band_lift_normalised@grid=2x2"]  # smoke: 64 px, layer4 is 2x2
    only_fine = RunConfig(methods=("integrated_gradients",), metrics=("formant_band_lift@grid=auto",),
                          tasks=("vowel5",), profile="smoke", device="cpu")
    assert plan(only_fine).metrics == ["formant_band_lift@grid=full"]
    assert METRICS.create("formant_band_lift@grid=full").id == METRICS.create("formant_band_lift").id


def test_options_are_checked():
    with pytest.raises(ConfigError, match="cannot be combined"):
        METRICS.create("formant_band_lift@below_hz=4000,grid=7x7")
    with pytest.raises(ConfigError, match="ROWSxCOLS"):
        METRICS.create("formant_band_lift@grid=7by7")
    with pytest.raises(ConfigError, match="below_hz"):
        METRICS.create("formant_band_mass@below_hz=-1")
