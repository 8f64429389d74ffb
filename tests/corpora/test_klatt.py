"""Klatt building blocks: resonators that glide without clicks, vocal-effort tilt, rooms, pink noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import freqz, lfilter

from specxai_bench.data.corpora import klatt

SR = 22050


def _source(n: int = 3400) -> np.ndarray:
    return klatt.rosenberg_source(np.full(n, 130.0), SR, np.random.default_rng(0))


def test_constant_formants_equal_one_filter_run():
    src = _source()
    nb = len(klatt.block_times(len(src), SR))
    f, b = np.array([342.0, 2322.0, 3000.0]), np.array([80.0, 100.0, 160.0])
    y = src.astype(np.float64)
    for k in range(3):
        y = lfilter(*klatt.resonator_coefficients(f[k], b[k], SR), y)
    out = klatt.cascade(src, np.tile(f, (nb, 1)), np.tile(b, (nb, 1)), SR)
    assert np.allclose(out, y, rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_a_formant_glide_does_not_click(k):
    """F_k falls by 30 % over the last 30 ms: the output's peak stays near the steady-state peak.

    Carrying lfilter's transposed state across a coefficient change instead of the past outputs
    (Klatt's form) gave peaks of 21-28x the median here."""
    src = _source()
    nb = len(klatt.block_times(len(src), SR))
    f = np.tile([342.0, 2322.0, 3000.0], (nb, 1))
    bw = np.tile([80.0, 100.0, 160.0], (nb, 1))
    steady = np.abs(klatt.radiate(klatt.cascade(src, f, bw, SR))[1000:])
    f[-6:, k] *= np.linspace(1.0, 0.7, 6)
    glide = np.abs(klatt.radiate(klatt.cascade(src, f, bw, SR))[1000:])
    assert glide.max() / np.median(glide) < 1.6 * steady.max() / np.median(steady)


@pytest.mark.parametrize("db", [3.0, 10.0, 20.0])
def test_tilt_attenuates_3_khz_by_the_stated_decibels(db):
    x = np.zeros(4096)
    x[0] = 1.0
    h = klatt.tilt(x, db, SR)
    w, resp = freqz(h, worN=[0.0, 3000.0], fs=SR)
    gains = 20 * np.log10(np.abs(resp))
    assert gains[0] == pytest.approx(0.0, abs=1e-6) and gains[1] == pytest.approx(-db, abs=0.01)
    assert klatt.tilt(x, 0.0, SR) is x


def test_room_decays_60_db_in_rt60_with_the_stated_direct_to_reverberant_ratio():
    rir = klatt.room_impulse_response(0.4, 6.0, SR, np.random.default_rng(0))
    assert rir[0] == 1.0
    tail = rir[1:]
    assert 10 * np.log10(1.0 / np.sum(tail**2)) == pytest.approx(6.0, abs=1e-6)
    # Schroeder backward integration: the energy decay curve falls 60 dB in 0.4 s (fit from -5 to -25 dB)
    edc = np.cumsum(tail[::-1] ** 2)[::-1]
    edc_db = 10 * np.log10(edc / edc[0])
    t = np.arange(len(tail)) / SR
    sel = (edc_db < -5) & (edc_db > -25)
    slope = np.polyfit(t[sel], edc_db[sel], 1)[0]
    assert -60 / slope == pytest.approx(0.4, rel=0.1)


def test_reverberation_keeps_the_length_and_adds_a_tail_after_the_sound():
    x = np.zeros(4000)
    x[:500] = np.random.default_rng(1).standard_normal(500)
    y = klatt.reverberate(x, klatt.room_impulse_response(0.3, 3.0, SR, np.random.default_rng(0)))
    assert len(y) == len(x) and np.abs(y[1000:2000]).max() > 1e-3


def test_pink_noise_falls_3_db_per_octave():
    x = klatt.pink(np.random.default_rng(0).standard_normal(2**16))
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / SR)

    def band(lo: float) -> float:
        return float(np.mean(spec[(f >= lo) & (f < 2 * lo)]))

    assert 10 * np.log10(band(500) / band(1000)) == pytest.approx(3.0, abs=0.5)
    assert 10 * np.log10(band(1000) / band(2000)) == pytest.approx(3.0, abs=0.5)
    assert np.sqrt(np.mean(x**2)) == pytest.approx(1.0)


def test_noise_is_added_at_the_stated_snr_and_an_unknown_colour_is_refused():
    x = np.sin(np.linspace(0, 200, 20000))
    for colour in ("white", "pink"):
        noisy = klatt.add_noise(x, 10.0, np.random.default_rng(0), colour)
        snr = 10 * np.log10(np.mean(x**2) / np.mean((noisy - x) ** 2))
        assert snr == pytest.approx(10.0, abs=0.3)
    with pytest.raises(ValueError, match="white or pink"):
        klatt.add_noise(x, 10.0, np.random.default_rng(0), "brown")
