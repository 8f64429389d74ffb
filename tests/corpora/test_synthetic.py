import numpy as np
import pytest
from scipy.signal import find_peaks

from specxai_bench.data.corpora import synthetic
from specxai_bench.data.corpora.synthetic import SyntheticConfig, synthesize
from specxai_bench.data.corpora.targets import VOICED_FRICATIVES, VOWELS


def test_deterministic_for_a_seed():
    cfg = SyntheticConfig(speakers_per_group=1, vowel_tokens=1, consonant_tokens=1)
    a = synthesize(cfg)
    synthetic._RECENT.clear()  # synthesised again, not the kept corpus
    b = synthesize(cfg)
    assert a is not b and a.fingerprint() == b.fingerprint()
    c = synthesize(SyntheticConfig(speakers_per_group=1, vowel_tokens=1, consonant_tokens=1, seed=1))
    assert c.fingerprint() != a.fingerprint()


def test_recent_corpora_are_kept_read_only_and_the_oldest_dropped():
    configs = [SyntheticConfig(speakers_per_group=1, vowel_tokens=1, consonant_tokens=0, seed=s) for s in (7, 8, 9)]
    first = synthesize(configs[0])
    assert synthesize(configs[0]) is first  # kept: not synthesised again
    seg = first.segments[0]
    for array in (seg.audio, seg.tracks.times, seg.tracks.f0, seg.tracks.formants):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
    synthesize(configs[1])
    synthesize(configs[0])  # used again: now the most recent
    synthesize(configs[2])  # drops configs[1], the least recently used
    assert set(synthetic._RECENT) == {configs[0], configs[2]}
    assert synthesize(configs[0]) is first


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


# ---- the hard variant (--corpus synthetic:hard) ----

from dataclasses import replace  # noqa: E402

from specxai_bench.data.corpora.synthetic import (  # noqa: E402
    CONSONANTS,
    HARD_SPEAKER_FACTOR,
    VARIANTS,
    make_speakers,
    variant,
)
from specxai_bench.data.corpora.targets import CORONALS, GROUP_F0, GROUP_F0_RANGE  # noqa: E402

SMALL = SyntheticConfig(speakers_per_group=1, vowel_tokens=2, consonant_tokens=2)


@pytest.fixture(scope="module")
def hard_corpus():
    return synthesize(variant(SMALL, "hard"))


def test_the_hard_variant_keeps_the_size_with_more_speakers(hard_corpus):
    hard = variant(SMALL, "hard")
    assert hard.speakers_per_group == HARD_SPEAKER_FACTOR * SMALL.speakers_per_group
    assert (hard.vowel_tokens, hard.consonant_tokens) == (1, 1)
    per_speaker = lambda c: len(VOWELS) * c.vowel_tokens + len(CONSONANTS) * c.consonant_tokens  # noqa: E731
    assert len(hard_corpus) == 3 * hard.speakers_per_group * per_speaker(hard) == 3 * per_speaker(SMALL)
    assert hard_corpus.name == "synthetic-hard"
    assert {f: getattr(hard, f) for f in VARIANTS["hard"]} == VARIANTS["hard"]
    assert variant(SMALL, "easy") is SMALL
    with pytest.raises(ValueError, match="unknown synthetic corpus variant 'medium'"):
        variant(SMALL, "medium")


def test_the_easy_corpus_is_unchanged_by_the_hard_knobs_defaults():
    """The hard variant's knobs default to the easy corpus: a config that names them is the same corpus."""
    small = replace(SMALL, vowel_tokens=1, consonant_tokens=1)
    named = replace(small, duration_scale=0.6, rate_sd=0.15, min_vowel_ms=60.0, undershoot=0.0, context=False)
    assert synthesize(named).fingerprint() == synthesize(small).fingerprint()


def test_hard_tokens_are_cut_from_their_context_with_true_tracks(hard_corpus):
    for s in hard_corpus.segments:
        assert s.start > 0 and s.utterance == s.id  # a token cut from the middle of its utterance
        assert np.isfinite(s.audio).all() and len(s.audio) > 0
        assert s.tracks.times[-1] <= s.duration + 0.005
        if s.label in VOWELS:
            assert np.isfinite(s.tracks.formants).all()


def test_hard_speakers_span_the_groups_f0_ranges():
    speakers = make_speakers(replace(variant(SMALL, "hard"), speakers_per_group=200), np.random.default_rng(0))
    for group, (lo, hi) in GROUP_F0_RANGE.items():
        f0 = np.array([GROUP_F0[group] * s.f0_scale for s in speakers if s.group == group])
        assert f0.min() >= lo and f0.max() <= hi
        assert f0.min() < lo + 0.1 * (hi - lo) and f0.max() > hi - 0.1 * (hi - lo)  # the whole range


def test_hard_vowels_are_shorter_and_uw_is_fronted_after_coronals():
    from specxai_bench.data.corpora import synthetic

    cfg = variant(SMALL, "hard")
    spk = make_speakers(cfg, np.random.default_rng(0))[0]
    easy_spk = make_speakers(SMALL, np.random.default_rng(0))[0]
    f2 = {}
    for before in ("p", "t"):
        f2[before] = np.median([synthetic._vowel(spk, "uw", cfg, np.random.default_rng(i), before=before,
                                                 after="p")[3][:, 1].max() for i in range(20)])
    assert "t" in CORONALS and f2["t"] > 1.2 * f2["p"]
    dur = lambda c, s: np.median([len(synthetic._vowel(s, "aa", c, np.random.default_rng(i))[0])  # noqa: E731
                                  for i in range(20)])
    assert dur(cfg, spk) < 0.85 * dur(SMALL, easy_spk)


def test_every_context_consonant_has_a_place_and_a_level():
    from specxai_bench.data.corpora.targets import CONSONANT_LEVEL_DB, PLACE

    assert set(CONSONANTS) <= set(PLACE) and set(CONSONANTS) <= set(CONSONANT_LEVEL_DB)
