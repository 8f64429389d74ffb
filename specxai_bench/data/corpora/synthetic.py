"""The embedded synthetic corpus: speakers, tokens and their exact F0 / formant ground truth.

Speakers come in three groups (men, women, children) with group means from Hillenbrand et al.
(1995); each speaker has a vocal-tract scale and an F0 scale, each token its own variation, an
F0 contour with declination, formant transitions at its edges and background noise at a random
SNR. Vowels, voiceless fricatives and stops, voiced fricatives and nasals are synthesised so the
voicing task cannot be solved from high-frequency noise alone. Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import klatt
from .base import Corpus, Segment, Tracks
from .targets import (
    BANDWIDTHS,
    BURST_CENTRES,
    F5,
    FRICATION_BANDS,
    GROUP_F0,
    GROUP_FORMANT_SCALE,
    GROUPS,
    NASAL_FORMANTS,
    VOICED_FRICATIVES,
    VOICELESS,
    VOWEL_DURATIONS_MS,
    VOWEL_TARGETS,
    VOWELS,
)

CONSONANTS = VOICELESS + VOICED_FRICATIVES + ("m", "n")
# F2 loci of labial, alveolar and velar consonants for men (Hz), scaled per speaker
F2_LOCI = (900.0, 1800.0, 2300.0)


@dataclass(frozen=True)
class SyntheticConfig:
    """Size and variability of the synthetic corpus (frozen: its repr feeds cache keys)."""

    speakers_per_group: int = 12
    vowel_tokens: int = 6  # per speaker and vowel
    consonant_tokens: int = 2  # per speaker and consonant
    sample_rate: int = 22050
    speaker_sd: float = 0.05  # vocal-tract scale, relative SD around the group mean
    token_sd: float = 0.05  # per-token formant variation, relative SD
    snr_db: tuple[float, float] = (30.0, 50.0)
    seed: int = 0


@dataclass(frozen=True)
class Speaker:
    id: str
    group: str
    tract_scale: float
    f0_scale: float


def make_speakers(cfg: SyntheticConfig, rng: np.random.Generator) -> list[Speaker]:
    out = []
    for group in GROUPS:
        for i in range(cfg.speakers_per_group):
            out.append(Speaker(
                id=f"{group[0]}{i:02d}", group=group,
                tract_scale=float(np.clip(1.0 + cfg.speaker_sd * rng.standard_normal(), 0.85, 1.15)),
                f0_scale=float(np.exp(0.12 * rng.standard_normal())),
            ))
    return out


def _f0_contour(n: int, f0: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Declining F0 (about -8 % over the segment) with a slow random wobble, per sample."""
    t = np.linspace(0.0, 1.0, n)
    decl = 1.04 - 0.08 * t
    wobble = 1.0 + 0.02 * np.sin(2 * np.pi * (rng.uniform(0.5, 2.0) * t + rng.uniform()))
    return f0 * decl * wobble


def _per_block(per_sample: np.ndarray, n_blocks: int, block: int) -> np.ndarray:
    idx = np.minimum((np.arange(n_blocks) * block + block // 2), len(per_sample) - 1)
    return per_sample[idx]


def _voiced_source(n: int, f0: float, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    contour = _f0_contour(n, f0, sr, rng)
    src = klatt.rosenberg_source(contour, sr, rng)
    src = src + 0.02 * rng.standard_normal(n)  # breathiness
    return src, contour


def _vowel(spk: Speaker, label: str, cfg: SyntheticConfig, rng: np.random.Generator):
    sr = cfg.sample_rate
    f0_t, *fmts = VOWEL_TARGETS[spk.group][label]
    dur = 0.6 * VOWEL_DURATIONS_MS[spk.group][label] / 1000.0 * float(np.exp(0.15 * rng.standard_normal()))
    n = int(max(0.06, dur) * sr)
    target = np.array(fmts, dtype=float) * spk.tract_scale * (1.0 + cfg.token_sd * rng.standard_normal(4))
    target = np.sort(target)
    times = klatt.block_times(n, sr)
    nb = len(times)
    # formant transitions: from a consonant locus over the first 30 ms, towards one over the last 30 ms
    freqs = np.tile(np.append(target, F5[spk.group] * spk.tract_scale), (nb, 1))
    trans = int(0.03 / klatt.BLOCK_SECONDS)
    scale = spk.tract_scale * GROUP_FORMANT_SCALE[spk.group]
    for edge in (slice(0, trans), slice(nb - trans, nb)):
        # locus equation (F2 onset = 0.6 F2 vowel + 0.4 consonant locus), F1 lowered by the closure
        f2_locus = scale * F2_LOCI[rng.integers(len(F2_LOCI))]
        locus = np.array([0.7 * target[0], 0.6 * target[1] + 0.4 * f2_locus,
                          target[2] * rng.uniform(0.96, 1.04), target[3]])
        w = np.linspace(1.0, 0.0, trans) if edge.start == 0 else np.linspace(0.0, 1.0, trans)
        w = w[: len(range(*edge.indices(nb)))]
        freqs[edge, :4] = locus * w[:, None] + target * (1.0 - w[:, None])
    bws = np.tile(np.array(BANDWIDTHS), (nb, 1))
    src, contour = _voiced_source(n, f0_t * spk.f0_scale, sr, rng)
    audio = klatt.radiate(klatt.cascade(src, freqs, bws, sr))
    block = int(round(klatt.BLOCK_SECONDS * sr))
    return audio, times, _per_block(contour, nb, block), freqs[:, :3]


def _nasal(spk: Speaker, label: str, cfg: SyntheticConfig, rng: np.random.Generator):
    sr = cfg.sample_rate
    n = int(rng.uniform(0.05, 0.09) * sr)
    scale = spk.tract_scale * GROUP_FORMANT_SCALE[spk.group]
    fm = np.array(NASAL_FORMANTS[label]) * scale * (1.0 + cfg.token_sd * rng.standard_normal(3))
    times = klatt.block_times(n, sr)
    nb = len(times)
    freqs = np.tile(fm, (nb, 1))
    bws = np.tile(np.array([60.0, 200.0, 300.0]), (nb, 1))
    src, contour = _voiced_source(n, GROUP_F0[spk.group] * spk.f0_scale, sr, rng)
    audio = klatt.radiate(klatt.cascade(src, freqs, bws, sr))
    audio = audio + klatt.lowpass(src, 400.0, sr) * 0.05  # low murmur
    block = int(round(klatt.BLOCK_SECONDS * sr))
    return audio, times, _per_block(contour, nb, block), freqs


def _obstruent(spk: Speaker, label: str, cfg: SyntheticConfig, rng: np.random.Generator):
    """Fricatives (voiceless, voiced), /hh/ and voiceless stops. Formants undefined (NaN)."""
    sr = cfg.sample_rate
    scale = spk.tract_scale * GROUP_FORMANT_SCALE[spk.group]
    nan = np.nan
    if label in BURST_CENTRES:  # closure, burst, aspiration
        n_clo, n_bur, n_asp = (int(rng.uniform(a, b) * sr) for a, b in ((0.03, 0.06), (0.005, 0.012), (0.03, 0.06)))
        c = BURST_CENTRES[label] * scale
        burst = klatt.band_noise(n_bur, 0.5 * c, 2.5 * c, sr, rng) * 3.0
        asp = klatt.band_noise(n_asp, 500.0, 6000.0, sr, rng) * np.linspace(1.0, 0.3, n_asp)
        audio = np.concatenate([0.01 * rng.standard_normal(n_clo), burst, asp])
    elif label == "hh":  # aspiration shaped by a following vowel's formants
        n = int(rng.uniform(0.05, 0.09) * sr)
        vowel = VOWELS[rng.integers(len(VOWELS))]
        fm = np.array(VOWEL_TARGETS[spk.group][vowel][1:]) * spk.tract_scale
        nb = len(klatt.block_times(n, sr))
        freqs = np.tile(np.append(fm, F5[spk.group]), (nb, 1))
        bws = np.tile(np.array(BANDWIDTHS) * 2.0, (nb, 1))
        audio = klatt.cascade(rng.standard_normal(n), freqs, bws, sr)
    else:
        n = int(rng.uniform(0.07, 0.13) * sr)
        lo, hi = FRICATION_BANDS[label]
        weak = 0.3 if label in ("f", "th", "v", "dh") else 1.0
        audio = klatt.band_noise(n, lo * scale, hi * scale, sr, rng) * weak
    n = len(audio)
    times = klatt.block_times(n, sr)
    f0 = np.full(len(times), nan)
    if label in VOICED_FRICATIVES:  # voice bar + frication modulated by the glottal cycle
        src, contour = _voiced_source(n, GROUP_F0[spk.group] * spk.f0_scale, sr, rng)
        voicing = klatt.lowpass(klatt.radiate(src), 700.0, sr)
        voicing *= 0.8 * np.sqrt(np.mean(audio**2)) / (np.sqrt(np.mean(voicing**2)) + 1e-12)
        audio = audio * (0.6 + 0.4 * src / (src.max() + 1e-12)) + voicing
        block = int(round(klatt.BLOCK_SECONDS * sr))
        f0 = _per_block(contour, len(times), block)
    return audio, times, f0, np.full((len(times), 3), nan)


def synthesize_segment(spk: Speaker, label: str, cfg: SyntheticConfig, rng: np.random.Generator,
                       token: int) -> Segment:
    """One token of ``label`` spoken by ``spk``, with its exact tracks."""
    if label in VOWELS:
        audio, times, f0, fm = _vowel(spk, label, cfg, rng)
    elif label in NASAL_FORMANTS:
        audio, times, f0, fm = _nasal(spk, label, cfg, rng)
    else:
        audio, times, f0, fm = _obstruent(spk, label, cfg, rng)
    audio = klatt.ramp(audio, cfg.sample_rate)
    audio = klatt.add_noise(audio, float(rng.uniform(*cfg.snr_db)), rng)
    audio = (0.5 * audio / (np.abs(audio).max() + 1e-12)).astype(np.float32)
    utt = f"{spk.id}/{label}_{token:02d}"
    return Segment(
        id=utt, label=label, audio=audio, sample_rate=cfg.sample_rate, speaker=spk.id, group=spk.group,
        utterance=utt, tracks=Tracks(times=times, f0=f0, formants=fm, source="truth"),
    )


def synthesize(config: SyntheticConfig | None = None, *, progress: bool = False) -> Corpus:
    """The whole corpus for ``config``: every speaker says every vowel and consonant.

    Each (speaker, label, token) gets its own RNG stream derived from the seed, so a segment does
    not change when the corpus grows or another label is added.
    """
    from ...runtime.progress import progress_bar

    cfg = config or SyntheticConfig()
    speakers = make_speakers(cfg, np.random.default_rng([cfg.seed, 0]))
    jobs = [(s, lab, k) for s in speakers for lab in VOWELS for k in range(cfg.vowel_tokens)]
    jobs += [(s, lab, k) for s in speakers for lab in CONSONANTS for k in range(cfg.consonant_tokens)]
    segments = []
    for spk, label, k in progress_bar(jobs, desc="synthesising corpus", unit="seg", enabled=progress):
        key = [cfg.seed, 1, int(spk.id[1:]), GROUPS.index(spk.group), _label_key(label), k]
        segments.append(synthesize_segment(spk, label, cfg, np.random.default_rng(key), k))
    return Corpus(name="synthetic", segments=tuple(segments),
                  description=f"embedded Klatt-style synthetic corpus, {cfg}")


def _label_key(label: str) -> int:
    return int.from_bytes(label.encode(), "little")
