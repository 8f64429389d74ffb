"""Linguistic-prior metrics on hand-built 4x4 maps whose values are worked out by hand.

Axis 0-4 kHz on 4 rows: row centres 500, 1500, 2500, 3500 Hz (row 0 lowest). Default tracks put
F1, F2, F3 at 500, 1500, 2500 Hz in every column, so F_k's band is row k-1 (w_k = 100, 150, 250 Hz).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from specxai_bench.data.spectrogram import FrequencyAxis
from specxai_bench.metrics import METRICS
from specxai_bench.metrics.linguistic import (
    F0BandLift,
    F0BandMass,
    FormantBandLift,
    FormantBandMass,
    FormantPointingGame,
    HighBandShare,
)
from specxai_bench.metrics.masks import band_of_row, formant_mask

# A+ sums to 8: row 0 holds 2, row 1 holds 2 (its -3 is clipped), row 2 nothing, row 3 holds 4.
A = np.array([[1.0, 1.0, 0.0, 0.0],
              [2.0, 0.0, -3.0, 0.0],
              [0.0, 0.0, 0.0, 0.0],
              [0.0, 0.0, 0.0, 4.0]])


def one(metric, batch) -> float:
    out = metric.score(batch)
    assert out.shape == (1,)
    return float(out[0])


@pytest.mark.parametrize("formants, mass, lift", [
    ((1,), 2 / 8, (2 / 8) / (4 / 16)),
    ((2,), 2 / 8, 1.0),
    ((3,), 0.0, 0.0),
    ((1, 2, 3), 4 / 8, (4 / 8) / (12 / 16)),
])
def test_formant_band_mass_and_lift_by_hand(mk, formants, mass, lift):
    batch = mk.batch(A[None])
    assert one(FormantBandMass(formants=formants), batch) == pytest.approx(mass, abs=1e-12)
    assert one(FormantBandLift(formants=formants), batch) == pytest.approx(lift, abs=1e-12)


def test_per_formant_names_are_aliases_of_the_single_formant_options(mk):
    batch = mk.random_batch()
    for base in ("formant_band_mass", "formant_band_lift"):
        for k in (1, 2, 3):
            named = METRICS.create(f"{base}_f{k}")
            option = METRICS.create(f"{base}@formants={k}")
            assert named.id == option.id == f"{base}@F{k},w100hz,10pct"
            np.testing.assert_array_equal(named.score(batch), option.score(batch))
            # rows stored under the ids of the old generated classes keep their metadata
            assert METRICS.get(f"{base}_f{k}") is METRICS.get(base)


def test_half_width_is_inclusive_and_floored_at_100hz(mk):
    axis = FrequencyAxis(0.0, 4000.0, 4)
    f = np.full((2, 4, 3), np.nan)
    f[0, :, 0], f[1, :, 0] = 600.0, 601.0  # w = max(100, 60) = 100: |500 - 600| = 100 is in, 101 is out
    mask = formant_mask(f, axis, (1,))
    assert mask[0, 0].all() and not mask[0, 1:].any() and not mask[1].any()
    wide = formant_mask(np.tile([500.0, 1500.0, 2500.0], (1, 4, 1)), axis, (3,), rel=0.5)  # w = 1250 Hz
    np.testing.assert_array_equal(wide[0, :, 0], [False, True, True, True])
    assert one(FormantBandMass(formants=(3,), rel=0.5), mk.batch(A[None])) == pytest.approx(6 / 8)


def test_undefined_formant_columns_are_outside_the_mask(mk):
    f = np.tile([500.0, 1500.0, 2500.0], (1, 4, 1))
    f[0, :2] = np.nan  # only columns 2, 3 have tracks; A+ there inside rows 0-2 is 0
    batch = mk.batch(A[None], formants=f)
    assert one(FormantBandMass(), batch) == 0.0  # defined (A+ > 0, mask not empty) and truly 0
    assert one(FormantBandLift(), batch) == 0.0


def test_nan_never_zero_when_undefined(mk):
    zero, negative = np.zeros((1, 4, 4)), -np.abs(A)[None] - 1.0
    no_tracks = np.full((1, 4, 3), np.nan)
    for metric in (FormantBandMass(), FormantBandLift(), FormantPointingGame(), F0BandMass(), F0BandLift(),
                   HighBandShare()):
        assert np.isnan(one(metric, mk.batch(zero, axis=FrequencyAxis(0.0, 8000.0, 4)))), metric.id
        assert np.isnan(one(metric, mk.batch(negative, axis=FrequencyAxis(0.0, 8000.0, 4)))), metric.id
    for metric in (FormantBandMass(), FormantBandLift(), FormantPointingGame()):  # empty mask
        assert np.isnan(one(metric, mk.batch(A[None], formants=no_tracks))), metric.id


def test_pointing_game_by_hand(mk):
    assert one(FormantPointingGame(), mk.batch(A[None])) == 0.0  # the max (4) sits in row 3: no formant
    f = np.tile([500.0, 1500.0, 3500.0], (1, 4, 1))  # F3 moved onto row 3
    assert one(FormantPointingGame(), mk.batch(A[None], formants=f)) == 1.0
    assert one(FormantPointingGame(formants=(1, 2)), mk.batch(A[None], formants=f)) == 0.0
    tie = A.copy()
    tie[0, 0] = 4.0  # a second maximum, inside F1's row: a tie counts as a hit (Quantus' convention)
    assert one(FormantPointingGame(), mk.batch(tie[None])) == 1.0
    assert np.isnan(one(FormantPointingGame(), mk.batch(np.full((1, 4, 4), 0.5))))  # constant: no point


def test_high_band_share_by_hand(mk):
    full = FrequencyAxis(0.0, 8000.0, 4)  # centres 1, 3, 5, 7 kHz: rows 2 and 3 lie above 4 kHz
    assert one(HighBandShare(), mk.batch(A[None], axis=full)) == pytest.approx(4 / 8)
    assert one(HighBandShare(cutoff_hz=2000.0), mk.batch(A[None], axis=full)) == pytest.approx(6 / 8)
    band_limited = mk.batch(np.stack([A, A]), axis=FrequencyAxis(0.0, 4000.0, 4))  # vowel5-4k: no rows there
    assert np.isnan(HighBandShare().score(band_limited)).all()
    assert HighBandShare().applies_to("vowel") and not HighBandShare().applies_to("voicing")


def test_f0_band_by_hand(mk):
    batch = mk.batch(A[None])  # below 700 Hz: row 0 only (centre 500 Hz), a quarter of the rows
    assert one(F0BandMass(), batch) == pytest.approx(2 / 8)
    assert one(F0BandLift(), batch) == pytest.approx(1.0)


def test_scores_are_per_sample_not_batch_normalised(mk):
    batch = mk.random_batch(b=4)
    scale = torch.tensor([1.0, 10.0, 0.01, 1000.0])[:, None, None]  # per-sample scale changes nothing
    scaled = mk.batch(batch.attributions * scale, axis=batch.axis, formants=batch.formants)
    for name in ("formant_band_mass", "formant_band_lift", "formant_pointing_game", "high_band_share"):
        m = METRICS.get(name)()
        np.testing.assert_allclose(m.score(batch), m.score(scaled), rtol=1e-6)
        alone = [m.score(mk.batch(batch.attributions[i:i + 1], axis=batch.axis, formants=batch.formants[i:i + 1]))
                 for i in range(4)]
        np.testing.assert_allclose(m.score(batch), np.concatenate(alone), rtol=1e-6)


def test_options_are_checked():
    with pytest.raises(TypeError):
        FormantBandMass(formant=(1,))  # typo fails at once
    with pytest.raises(ValueError, match="formants"):
        FormantBandMass(formants=(4,))
    with pytest.raises(ValueError, match="cutoff_hz"):
        HighBandShare(cutoff_hz=0)


def test_band_of_row():
    np.testing.assert_array_equal(band_of_row(8, 4), [0, 0, 1, 1, 2, 2, 3, 3])
    assert np.bincount(band_of_row(224, 16)).tolist() == [14] * 16
    assert np.bincount(band_of_row(7, 3)).tolist() == [3, 2, 2]
    with pytest.raises(ValueError):
        band_of_row(4, 5)


def test_widen_gives_each_formant_band_a_half_width_of_at_least_f0_over_2(mk):
    axis = FrequencyAxis(0.0, 2000.0, 20)  # centres 50, 150, ..., 1950 Hz
    f = np.full((1, 3, 3), np.nan)
    f[0, :, 0] = 500.0  # w = max(100, 50) = 100 Hz: centres 450, 550
    f0 = np.array([[300.0, 120.0, np.nan]])  # widened to 150 Hz: 350 ... 650; F0 / 2 = 60 < 100 and unvoiced: as is
    wide = formant_mask(f, axis, (1,), f0=f0)
    np.testing.assert_array_equal(np.flatnonzero(wide[0, :, 0]), [3, 4, 5, 6])
    for t in (1, 2):
        np.testing.assert_array_equal(np.flatnonzero(wide[0, :, t]), [4, 5])
    np.testing.assert_array_equal(formant_mask(f, axis, (1,)), formant_mask(f, axis, (1,), f0=np.full((1, 3), 150.0)))
    # through the metric: the option reads the batch's F0 track and is in the id
    a = np.zeros((1, 20, 3))
    a[0, 3, 0] = 1.0  # on 350 Hz: outside the narrow band, inside the widened one
    batch = mk.batch(a, axis=axis, formants=f)
    batch = type(batch)(**{**batch.__dict__, "f0": f0})
    assert FormantBandMass(formants=(1,)).score(batch)[0] == 0.0
    assert FormantBandMass(formants=(1,), widen=True).score(batch)[0] == 1.0
    assert FormantBandLift(widen=True).id == "formant_band_lift@F123,w100hz,10pct,widenF0"


def test_default_ids_are_unchanged_by_the_new_options():
    assert FormantBandMass().id == "formant_band_mass@F123,w100hz,10pct" and FormantBandMass.version == 2
    assert FormantBandLift().id == "formant_band_lift@F123,w100hz,10pct" and FormantBandLift.version == 1
    assert FormantPointingGame().id == "formant_pointing_game@F123,w100hz,10pct"
    assert "grid" not in METRICS.options("formant_pointing_game")  # a maximum is not pooled
