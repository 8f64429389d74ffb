import numpy as np
import pytest
from scipy.signal import find_peaks

from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize
from specxai_bench.data.corpora.targets import VOICED_FRICATIVES, VOWELS


def test_deterministic_for_a_seed():
    cfg = SyntheticConfig(speakers_per_group=1, vowel_tokens=1, consonant_tokens=1)
    a, b = synthesize(cfg), synthesize(cfg)
    assert a.fingerprint() == b.fingerprint()
    c = synthesize(SyntheticConfig(speakers_per_group=1, vowel_tokens=1, consonant_tokens=1, seed=1))
    assert c.fingerprint() != a.fingerprint()


def test_segments_keep_speaker_and_tracks(small_corpus):
    for s in small_corpus.segments:
        assert s.tracks.source == "truth" and s.speaker and s.group in ("men", "women", "children")
        if s.label in VOWELS:
            assert np.isfinite(s.tracks.formants).all() and np.isfinite(s.tracks.f0).all()
        elif s.label in VOICED_FRICATIVES:
            assert np.isfinite(s.tracks.f0).all() and np.isnan(s.tracks.formants).all()
        elif s.label in ("s", "sh", "f", "th", "p", "t", "k"):
            assert np.isnan(s.tracks.f0).all()


def _lpc_envelope(x: np.ndarray, sr: int, order: int = 26) -> tuple[np.ndarray, np.ndarray]:
    import librosa

    a = librosa.lpc(x * np.hamming(len(x)), order=order)
    freqs = np.linspace(0, sr / 2, 2048)
    z = np.exp(-1j * np.pi * freqs / (sr / 2))
    h = 1.0 / np.abs(np.polyval(a[::-1], z))
    return freqs, 20 * np.log10(h)


@pytest.mark.parametrize("label", VOWELS)
def test_vowel_spectrum_peaks_near_true_f1_f2(label):
    corpus = synthesize(SyntheticConfig(speakers_per_group=2, vowel_tokens=1, consonant_tokens=0, snr_db=(60, 60)))
    hits = []
    for seg in (s for s in corpus.segments if s.label == label and s.group == "men"):
        n = len(seg.audio)
        mid = seg.audio[n // 4: 3 * n // 4].astype(np.float64)
        f1, f2 = np.nanmedian(seg.tracks.formants[:, 0]), np.nanmedian(seg.tracks.formants[:, 1])
        freqs, env = _lpc_envelope(np.diff(mid), seg.sample_rate)  # pre-emphasis
        peaks, _ = find_peaks(env)
        pf = freqs[peaks]
        hits.append(min(abs(pf - f1)) / f1 < 0.15 and min(abs(pf - f2)) / f2 < 0.15)
    assert all(hits)
