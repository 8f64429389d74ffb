"""F0-harmonic metrics: a mask worked out by hand, and on synthetic vowels the mask lies on the true harmonics."""

from __future__ import annotations

import numpy as np
import pytest

from specxai_bench.data.corpora.synthetic import Speaker, SyntheticConfig, synthesize_segment
from specxai_bench.data.spectrogram import FrequencyAxis, SpectrogramConfig, spectrogram_image
from specxai_bench.errors import ConfigError
from specxai_bench.metrics import METRICS
from specxai_bench.metrics.f0_harmonics import F0HarmonicLift, F0HarmonicMass
from specxai_bench.metrics.masks import harmonic_mask

# 20 rows over 0-1000 Hz: centres 25, 75, ..., 975 Hz. F0 = 200 Hz, width F0 / 4 = 50 Hz (inclusive).
AXIS = FrequencyAxis(0.0, 1000.0, 20)
CENTRES = AXIS.centres()


def rows_of(*hz: float) -> list[int]:
    return [int(np.flatnonzero(np.isclose(CENTRES, h))[0]) for h in hz]


def test_harmonic_mask_by_hand():
    mask, region = harmonic_mask(np.full((1, 3), 200.0), AXIS)
    # harmonics 1..5 own 100 <= f < 1100 Hz: centres 125 ... 975; within 50 Hz of 200, 400, 600, 800, 1000 Hz:
    on = rows_of(175, 225, 375, 425, 575, 625, 775, 825, 975)
    np.testing.assert_array_equal(np.flatnonzero(mask[0, :, 0]), on)
    np.testing.assert_array_equal(np.flatnonzero(region[0, :, 0]), np.arange(2, 20))
    assert (mask[0] == mask[0, :, :1]).all()  # the same in every column
    two, owned = harmonic_mask(np.full((1, 1), 200.0), AXIS, harmonics=2)
    np.testing.assert_array_equal(np.flatnonzero(two[0, :, 0]), rows_of(175, 225, 375, 425))
    np.testing.assert_array_equal(np.flatnonzero(owned[0, :, 0]), rows_of(125, 175, 225, 275, 325, 375, 425, 475))


def test_unvoiced_columns_are_in_neither():
    f0 = np.array([[200.0, np.nan, 0.0]])
    mask, region = harmonic_mask(f0, AXIS)
    assert mask[0, :, 0].any() and not mask[0, :, 1:].any() and not region[0, :, 1:].any()


def test_mass_and_lift_by_hand(mk):
    f0 = np.full((1, 2), 200.0)
    a = np.zeros((1, 20, 2))
    a[0, rows_of(175)[0]] = 1.0  # all on the first harmonic
    batch = mk.batch(a, axis=AXIS)
    batch = type(batch)(**{**batch.__dict__, "f0": f0})
    assert F0HarmonicMass().score(batch)[0] == 1.0
    assert F0HarmonicLift().score(batch)[0] == pytest.approx(1 / (9 / 18))  # chance: 9 of the 18 owned rows
    a[0, rows_of(125)[0]] = 1.0  # as much again between F0 / 2 and the first harmonic's band
    a[0, rows_of(25)[0]] = 2.0  # and below F0 / 2: no harmonic owns it, so the lift ignores it
    batch = type(batch)(**{**batch.__dict__, "attributions": batch.attributions.new_tensor(a)})
    assert F0HarmonicMass().score(batch)[0] == pytest.approx(2 / 8)
    assert F0HarmonicLift().score(batch)[0] == pytest.approx((2 / 4) / (9 / 18))
    flat = type(batch)(**{**batch.__dict__, "attributions": batch.attributions.new_ones((1, 20, 2))})
    assert F0HarmonicLift().score(flat)[0] == pytest.approx(1.0)  # no preference: chance


def test_unvoiced_samples_score_nan(mk):
    batch = mk.batch(np.random.default_rng(0).uniform(0, 1, (2, 20, 4)), axis=AXIS)
    unvoiced = type(batch)(**{**batch.__dict__, "f0": np.full((2, 4), np.nan)})
    assert np.isnan(F0HarmonicMass().score(unvoiced)).all() and np.isnan(F0HarmonicLift().score(unvoiced)).all()
    assert F0HarmonicLift().applies_to("voicing") and not F0HarmonicLift().applies_to("vowel")


def test_options_and_id():
    assert METRICS.create("f0_harmonic_lift").id == "f0_harmonic_lift@K5,w25pctF0"
    assert METRICS.create("f0_harmonic_mass@harmonics=3,width=0.1").id == "f0_harmonic_mass@K3,w10pctF0"
    for bad in ("f0_harmonic_lift@width=0.5", "f0_harmonic_lift@harmonics=0"):
        with pytest.raises(ConfigError):
            METRICS.create(bad)


@pytest.fixture(scope="module")
def vowels() -> list[tuple[np.ndarray, np.ndarray, FrequencyAxis]]:
    """Synthetic /aa/ of a man, a woman and a child: 0-4 kHz image (the voicing task's band) and the true F0
    on its columns."""
    out = []
    for i, group in enumerate(("men", "women", "children")):
        spk = Speaker(f"{group[0]}00", group, 1.0, 1.0)
        seg = synthesize_segment(spk, "aa", SyntheticConfig(snr_db=(40.0, 40.0)), np.random.default_rng(i), 0)
        img, axis = spectrogram_image(seg, SpectrogramConfig(image_size=224, fmax=4000.0))
        out.append((img, seg.tracks.resample(224, seg.duration).f0, axis))
    return out


def test_a_synthetic_vowels_harmonic_mask_hits_its_true_harmonics(vowels, mk):
    """In the voiced columns, the loudest row among those harmonic k owns lies on the mask, for k = 1..5.

    The first and last 10 columns (~4 % of the segment each) are left out: there the 23 ms analysis
    window reaches past the segment's amplitude ramp into the padding, and harmonics smear.
    """
    for img, f0, axis in vowels:
        mask, region = harmonic_mask(f0[None], axis)
        k = np.floor(axis.centres()[:, None] / f0[None, :] + 0.5)  # [H, W] the harmonic owning each row
        hits, total = 0, 0
        for t in np.flatnonzero(np.isfinite(f0))[10:-10]:
            for h in range(1, 6):
                rows = np.flatnonzero(k[:, t] == h)
                peak = rows[np.argmax(img[rows, t])]
                hits, total = hits + int(mask[0, peak, t]), total + 1
        assert total > 500 and hits / total >= 0.97, (np.nanmedian(f0), hits / total)
        power = 10 ** (8 * (img - 1.0))  # the input's power (methods/baselines.py)
        batch = mk.batch(power[None], axis=axis)
        lift = F0HarmonicLift().score(type(batch)(**{**batch.__dict__, "f0": f0[None]}))[0]
        wrong = F0HarmonicLift().score(type(batch)(**{**batch.__dict__, "f0": 1.25 * f0[None]}))[0]
        print(f"F0 {np.nanmedian(f0):.0f} Hz: hits {hits / total:.3f}, power lift {lift:.2f}, "
              f"with F0 x 1.25 {wrong:.2f}")
        assert lift > 1.3 and lift - wrong > 0.25, (np.nanmedian(f0), lift, wrong)  # the true track, not any comb


@pytest.mark.parametrize("harmonics, width", [(5, 0.25), (3, 0.1), (12, 0.4)])
def test_harmonic_mask_equals_its_definition_evaluated_densely(harmonics, width):
    rng = np.random.default_rng(harmonics)
    axis = FrequencyAxis(0.0, 4000.0, 224)
    f0 = rng.uniform(80, 400, (6, 50))
    f0[:, :5] = np.nan
    f0[0, 10:20] = 0.0  # Praat's unvoiced
    f0[1] = np.round(f0[1] / 2) * 2 * 4000 / 224 / 2  # F0 on row-centre arithmetic: boundaries hit exactly
    mask, region = harmonic_mask(f0, axis, harmonics, width)
    c, f = axis.centres()[None, :, None, None], f0[:, None, :, None]
    k = np.arange(1, harmonics + 1)[None, None, None, :]
    with np.errstate(invalid="ignore"):
        dense = (np.abs(c - k * f) <= width * f).any(-1) & (f0[:, None, :] > 0)
        owned = (c[..., 0] >= f[..., 0] / 2) & (c[..., 0] < (harmonics + 0.5) * f[..., 0])
    np.testing.assert_array_equal(mask, dense)
    np.testing.assert_array_equal(region, owned)
    assert not mask[:, :, :5].any() and not mask[0, :, 10:20].any() and (mask <= region).all()
