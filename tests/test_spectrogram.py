import numpy as np
import pytest

from specxai_bench.data.corpora.base import Segment, Tracks
from specxai_bench.data.spectrogram import (
    SpectrogramConfig,
    overlap_matrix,
    spectrogram_image,
)


def test_axis_maps_known_frequencies_to_rows_4k_band():
    axis = SpectrogramConfig(image_size=224, fmax=4000).axis(22050)
    assert axis.row_hz == pytest.approx(4000 / 224)
    assert axis.row_of(0.0) == 0
    assert axis.row_of(700.0) == 39  # 700 / 17.857 = 39.2
    assert axis.row_of(3999.0) == 223
    assert axis.row_of(4000.0) == -1 and axis.row_of(-1.0) == -1
    assert axis.centres()[0] == pytest.approx(4000 / 448)


def test_axis_maps_known_frequencies_to_rows_full_band():
    axis = SpectrogramConfig(image_size=224, fmax=None).axis(22050)
    assert axis.fmax == 11025.0
    assert axis.row_of(4000.0) == int(4000 / (11025 / 224))
    assert axis.rows_below(700.0).sum() == 14  # centres below 700 Hz at 49.2 Hz per row
    assert axis.rescaled(7).row_hz == pytest.approx(1575.0)


def test_band_above_nyquist_is_refused():
    with pytest.raises(ValueError, match="Nyquist"):
        SpectrogramConfig(fmax=9000).axis(16000)


def test_overlap_matrix_rows_sum_to_one_and_preserve_mean():
    w = overlap_matrix(np.linspace(0, 10, 11), np.linspace(0, 10, 4))
    assert np.allclose(w.sum(1), 1.0)
    x = np.arange(10.0)
    assert (w @ x).mean() == pytest.approx(x.mean())


def _tone(freq: float, sr: int = 22050, seconds: float = 0.2) -> Segment:
    t = np.arange(int(sr * seconds)) / sr
    audio = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    times = np.array([0.0, seconds])
    tracks = Tracks(times, np.full(2, np.nan), np.full((2, 3), np.nan), "truth")
    return Segment("tone", "iy", audio, sr, "s", "men", "u", tracks)


@pytest.mark.parametrize("fmax", [4000.0, None])
@pytest.mark.parametrize("freq", [440.0, 1500.0, 3100.0])
def test_tone_peaks_at_its_row(freq, fmax):
    img, axis = spectrogram_image(_tone(freq), SpectrogramConfig(image_size=224, fmax=fmax))
    assert img.shape == (224, 224) and 0.0 <= img.min() and img.max() == pytest.approx(1.0)
    peak = int(np.argmax(img.mean(1)))
    assert abs(axis.centres()[peak] - freq) <= 1.5 * max(axis.row_hz, 22050 / 1024)


def test_empty_audio_is_an_error():
    seg = _tone(440.0)
    empty = Segment("e", "iy", np.zeros(0, np.float32), 22050, "s", "men", "u", seg.tracks)
    with pytest.raises(ValueError, match="segment e"):
        spectrogram_image(empty, SpectrogramConfig())


@pytest.mark.parametrize("sr, seconds", [(22050, 0.03), (16000, 0.03), (16000, 0.012)])
def test_short_segments_get_a_fitting_fft_size_without_warnings(sr, seconds):
    import warnings

    from specxai_bench.data.spectrogram import fitting_fft_size

    segment = _tone(1500.0, sr=sr, seconds=seconds)
    n_fft = fitting_fft_size(len(segment.audio), 1024)
    assert n_fft <= len(segment.audio) < 2 * n_fft
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # librosa's "n_fft=1024 is too large" would fail here
        img, axis = spectrogram_image(segment, SpectrogramConfig(image_size=64, fmax=4000.0))
    peak = int(np.argmax(img.mean(1)))
    assert abs(axis.centres()[peak] - 1500.0) <= 1.5 * sr / n_fft
    assert fitting_fft_size(5000, 1024) == 1024 and fitting_fft_size(3, 1024) == 16
