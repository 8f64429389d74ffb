"""Shortcut recovery: the planted band's rows through the FrequencyAxis, and hand-computed scores."""

from __future__ import annotations

import numpy as np
import pytest

from specxai_bench.data.spectrogram import FrequencyAxis, SpectrogramConfig
from specxai_bench.data.tasks import get_task
from specxai_bench.metrics import METRICS
from specxai_bench.metrics.masks import planted_band_rows

SR = METRICS.get("shortcut_recovery")
LIFT = METRICS.get("shortcut_recovery_lift")


def test_mask_rows_match_the_frequency_axis():
    axis = SpectrogramConfig(image_size=224, fmax=None).axis(22050)  # 49.2 Hz per row, full band
    rows = planted_band_rows(axis, np.array([[5200.0, 100.0]]), margin_hz=100.0)[0]
    # centres within 5200 +- (50 + 100) Hz: 5050 <= 24.6 + 49.2 i <= 5350 -> i = 103 .. 108
    assert np.flatnonzero(rows).tolist() == [103, 104, 105, 106, 107, 108]
    assert axis.row_of(5200.0) == 105
    # the same rows as FrequencyAxis.rows_between over the closed interval
    np.testing.assert_array_equal(rows, axis.rows_between(5050.0, 5350.0))


def test_mask_bound_is_inclusive_and_a_nan_band_is_empty():
    axis = FrequencyAxis(0.0, 1000.0, 10)  # centres 50, 150, ..., 950
    rows = planted_band_rows(axis, np.array([[450.0, 0.0], [np.nan, np.nan]]), margin_hz=100.0)
    assert np.flatnonzero(rows[0]).tolist() == [3, 4, 5]  # 350, 450 and 550: both bounds included
    assert not rows[1].any()


def test_recovery_and_lift_by_hand(mk):
    axis = FrequencyAxis(0.0, 1000.0, 10)  # centres 50, 150, ..., 950
    a = np.zeros((2, 10, 2))
    a[0, 4], a[0, 5], a[0, 0], a[0, 9] = 2.0, 1.0, 1.0, -5.0  # band rows 4, 5 hold 3 of the 4 positive units
    a[1, 1] = 1.0  # sample 1: all its mass on row 1, inside its own band
    # sample 0: 500 +- (40 + 100) Hz -> rows 4, 5 (450, 550); sample 1: 150 +- 100 Hz -> rows 0, 1, 2
    bands = np.array([[500.0, 80.0], [150.0, 0.0]])
    batch = mk.batch(a, axis=axis, bands=bands)
    np.testing.assert_allclose(SR().score(batch), [0.75, 1.0])
    # lift = share / (band rows / 10 rows)
    np.testing.assert_allclose(LIFT().score(batch), [0.75 / 0.2, 1.0 / 0.3])


def test_uniform_map_scores_chance(mk):
    axis = SpectrogramConfig(image_size=224, fmax=None).axis(22050)
    batch = mk.batch(np.ones((1, 224, 8)), axis=axis, bands=np.array([[5200.0, 100.0]]))
    assert SR().score(batch)[0] == pytest.approx(6 / 224)
    assert LIFT().score(batch)[0] == pytest.approx(1.0)


def test_nan_where_undefined_and_error_without_bands(mk):
    axis = FrequencyAxis(0.0, 1000.0, 10)
    a = np.stack([np.zeros((10, 2)), -np.ones((10, 2)), np.ones((10, 2))])
    batch = mk.batch(a, axis=axis, bands=np.array([[500.0, 100.0], [500.0, 100.0], [np.nan, np.nan]]))
    for metric in (SR(), LIFT()):
        assert np.isnan(metric.score(batch)).all()  # all-zero map, all-negative map, no band (empty mask)
    no_bands = mk.batch(a, axis=axis)
    object.__setattr__(no_bands, "bands", None)
    with pytest.raises(ValueError, match="planted band"):
        SR().score(no_bands)


def test_id_options_and_task_kinds():
    assert SR().id == "shortcut_recovery@margin100hz" and SR(margin_hz=150).id == "shortcut_recovery@margin150hz"
    assert LIFT().id == "shortcut_recovery_lift@margin100hz"
    with pytest.raises(ValueError, match="margin_hz"):
        SR(margin_hz=-1)
    kind = get_task("shortcut").kind
    assert SR().applies_to(kind) and not SR().applies_to("vowel") and not SR().applies_to("voicing")
    # the phonetic priors do not apply to the shortcut task (the runner skips them there)
    for name in ("formant_band_mass", "formant_band_lift", "f0_band_mass", "high_band_share"):
        assert not METRICS.get(name)().applies_to(kind)
