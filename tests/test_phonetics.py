import numpy as np
import pytest
from scipy.signal import lfilter

import specxai_bench.data.phonetics as phonetics
from specxai_bench.data.corpora.base import Segment, Tracks
from specxai_bench.data.phonetics import (
    PraatSettings,
    maximum_formant,
    measure_segment,
    measure_tracks,
    slice_tracks,
)
from specxai_bench.errors import ConfigError

SR = 22050


def vowel(formants, f0, *, sr=SR, dur=0.4):
    """Pulse train (with a -6 dB/oct tilt) through resonators F1-F5 plus two poles above F5.

    Without energy above F5 Praat's Burg fit at 22 kHz puts a spurious pole between F1 and F3:
    real speech has it, so the fixture does too.
    """
    x = np.zeros(int(dur * sr))
    x[:: int(round(sr / f0))] = 1.0
    x = lfilter([1.0], [1.0, -np.exp(-2 * np.pi * 100 / sr)], x)
    for f, bw in zip(tuple(formants) + (6000, 7500), (60, 90, 150, 250, 300, 400, 500)):
        r, th = np.exp(-np.pi * bw / sr), 2 * np.pi * f / sr
        x = lfilter([1 - 2 * r * np.cos(th) + r * r], [1.0, -2 * r * np.cos(th), r * r], x)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def sr_f0(f0):
    return SR / round(SR / f0)  # the pulse train's actual rate


# Hillenbrand et al. (1995) means; F4/F5 typical values.
VOWELS = [
    ("men", "aa", (768, 1333, 2522, 3687, 4500), 123),
    ("men", "iy", (342, 2322, 3000, 3657, 4500), 138),
    ("men", "uw", (378, 997, 2343, 3357, 4500), 143),
    ("women", "ae", (669, 2349, 2972, 4290, 5000), 215),
    ("women", "ah", (753, 1426, 2933, 4092, 5000), 218),
]


@pytest.mark.parametrize("group, label, formants, f0", VOWELS, ids=[f"{g}-{v}" for g, v, *_ in VOWELS])
def test_praat_f1_f2_and_f0_of_a_synthetic_vowel(group, label, formants, f0):
    tracks = measure_tracks(vowel(formants, f0), SR, group=group)
    assert tracks.source == "praat"
    mid = slice(len(tracks.times) // 4, 3 * len(tracks.times) // 4)
    f1, f2, _ = np.nanmedian(tracks.formants[mid], axis=0)
    assert f1 == pytest.approx(formants[0], rel=0.10)
    assert f2 == pytest.approx(formants[1], rel=0.10)
    assert np.nanmedian(tracks.f0[mid]) == pytest.approx(sr_f0(f0), rel=0.02)


def test_frames_cover_the_audio_and_noise_is_unvoiced():
    x = vowel((700, 1200, 2600, 3500, 4500), 120, dur=0.3)
    tracks = measure_tracks(x, SR)
    assert tracks.times[0] <= 0.005 and tracks.times[-1] >= 0.295 and np.all(np.diff(tracks.times) > 0)
    noise = (0.1 * np.random.default_rng(0).standard_normal(SR // 4)).astype(np.float32)
    assert np.isnan(measure_tracks(noise, SR).f0).mean() > 0.9


def test_a_30_ms_segment_still_gets_frames():
    audio = vowel((700, 1200, 2600, 3500, 4500), 120, dur=0.03)
    seg = Segment(id="a", label="aa", audio=audio, sample_rate=SR, speaker="s", group="men", utterance="u",
                  tracks=phonetics.empty_tracks())
    tracks = measure_segment(seg)
    assert len(tracks.times) >= 5 and tracks.times.max() <= 0.03 + 1e-9
    assert np.isfinite(tracks.formants[:, 0]).all()


def test_slice_tracks_retimes_from_the_segment_start():
    t = np.arange(10) * 0.01
    tracks = Tracks(times=t, f0=t * 100, formants=np.stack([t, t, t], 1), source="praat")
    part = slice_tracks(tracks, 0.03, 0.06)
    np.testing.assert_allclose(part.times, [0, 0.01, 0.02, 0.03])
    np.testing.assert_allclose(part.f0, [3, 4, 5, 6])


def test_cache_is_keyed_atomic_and_survives_damage(tmp_path, monkeypatch):
    x = vowel((700, 1200, 2600, 3500, 4500), 120, dur=0.2)
    first = measure_tracks(x, SR, group="men", cache_dir=tmp_path)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"
    measure_tracks(x, SR, group="women", cache_dir=tmp_path)
    measure_tracks(x, SR, group="men", settings=PraatSettings(time_step=0.01), cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 3 and not list(tmp_path.glob(".tmp*"))

    real = phonetics._measure
    monkeypatch.setattr(phonetics, "_measure", lambda *a: pytest.fail("cache not used"))
    cached = measure_tracks(x, SR, group="men", cache_dir=tmp_path)
    np.testing.assert_array_equal(cached.formants, first.formants)
    np.testing.assert_array_equal(cached.f0, first.f0)

    files[0].write_bytes(b"damaged")
    monkeypatch.setattr(phonetics, "_measure", real)
    np.testing.assert_array_equal(measure_tracks(x, SR, group="men", cache_dir=tmp_path).formants, first.formants)


def test_settings_and_groups_are_checked():
    assert [maximum_formant(g) for g in ("men", "women", "children", "unknown")] == [5000, 5500, 6500, 5500]
    with pytest.raises(ConfigError, match="unknown speaker group 'kids'"):
        maximum_formant("kids")
    with pytest.raises(ConfigError, match="pitch_ceiling"):
        PraatSettings(pitch_floor=300, pitch_ceiling=200)
    with pytest.raises(ConfigError, match="window_length"):
        PraatSettings(window_length=0)
    with pytest.raises(ConfigError, match="mono"):
        measure_tracks(np.zeros((2, 100)), SR)
    with pytest.raises(ConfigError, match="formant_method"):
        PraatSettings(formant_method="lpc")


def test_auto_method_refines_high_pitched_voices_robustly(monkeypatch):
    calls = []
    real_call = phonetics.call

    def spy(obj, command, *args):
        calls.append(command)
        return real_call(obj, command, *args)

    monkeypatch.setattr(phonetics, "call", spy)
    low = vowel((342, 2322, 3000, 3657, 4500), 120)
    high = vowel((437, 2761, 3372, 4500, 5000), 230)
    measure_tracks(low, SR, group="men")
    assert "To Formant (robust)..." not in calls  # median F0 120 Hz < 165 Hz: plain Burg
    tracks = measure_tracks(high, SR, group="women")
    assert "To Formant (robust)..." in calls
    mid = slice(len(tracks.times) // 4, 3 * len(tracks.times) // 4)
    f1, f2, _ = np.nanmedian(tracks.formants[mid], axis=0)
    assert f1 == pytest.approx(437, rel=0.10) and f2 == pytest.approx(2761, rel=0.10)
    calls.clear()
    measure_tracks(high, SR, group="women", settings=PraatSettings(formant_method="burg"))
    assert "To Formant (robust)..." not in calls
