"""The embedded synthetic corpus: speakers, tokens and their exact F0 / formant ground truth.

Speakers come in three groups (men, women, children) with group means from Hillenbrand et al.
(1995); each speaker has a vocal-tract scale and an F0 scale, each token its own variation, an
F0 contour with declination, formant transitions at its edges and background noise at a random
SNR. Vowels, voiceless fricatives and stops, voiced fricatives and nasals are synthesised so the
voicing task cannot be solved from high-frequency noise alone. Deterministic for a seed.

Two variants (``--corpus synthetic`` and ``--corpus synthetic:hard``; ``VARIANTS``): the easy
default synthesises each phone on its own; the hard one speaks every token inside a word-like
context (a vowel between two consonants, a consonant between two vowels) with formant
transitions to the neighbours' places, short and rate-varied durations with target undershoot,
vocal effort, a reverberant room and pink background noise, by more speakers over the groups'
whole F0 ranges, and cuts the token out as an aligned corpus would (docs/usage.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import klatt
from .base import Corpus, Segment, Tracks
from .targets import (
    BANDWIDTHS,
    BURST_CENTRES,
    CONSONANT_LEVEL_DB,
    CORONALS,
    F5,
    FRICATION_BANDS,
    GROUP_F0,
    GROUP_F0_RANGE,
    GROUP_FORMANT_SCALE,
    GROUPS,
    NASAL_FORMANTS,
    PLACE,
    SCHWA,
    UW_FRONTED_F2,
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
    """Size and variability of the synthetic corpus (frozen: its repr feeds cache keys).

    The fields after ``seed`` are the hard variant's knobs; their defaults give the easy corpus.
    """

    speakers_per_group: int = 12
    vowel_tokens: int = 6  # per speaker and vowel
    consonant_tokens: int = 2  # per speaker and consonant
    sample_rate: int = 22050
    speaker_sd: float = 0.05  # vocal-tract scale, relative SD around the group mean (clipped at 3 SD)
    token_sd: float = 0.05  # per-token formant variation, relative SD
    snr_db: tuple[float, float] = (30.0, 50.0)  # background noise, dB below the token (or utterance) RMS
    seed: int = 0
    variant: str = "easy"  # name of the VARIANTS entry: the corpus name and its random streams
    f0_range: bool = False  # each speaker's mean F0 uniform over the group's typical range (else ~12 % SD)
    context: bool = False  # tokens spoken inside CVC (vowels) / VCV (consonants) utterances, then cut out
    duration_scale: float = 0.6  # vowel durations relative to the /hVd/ means (connected speech ~0.6)
    rate_sd: float = 0.15  # log SD of each token's duration (speaking rate)
    min_vowel_ms: float = 60.0
    undershoot: float = 0.0  # share of the way to schwa a vowel half as long as usual falls short
    tilt_db: tuple[float, float] = (0.0, 0.0)  # vocal effort: source tilt, dB down at 3 kHz (Klatt's TL)
    noise: str = "white"  # background noise colour: white or pink
    rt60_ms: tuple[float, float] = (0.0, 0.0)  # room reverberation time (0: dry)
    drr_db: tuple[float, float] = (10.0, 10.0)  # direct-to-reverberant energy ratio of the room


# Each variant: the fields it sets, and how it resizes the profile's corpus (speakers x, tokens /).
VARIANTS: dict[str, dict[str, object]] = {
    "easy": {},
    "hard": {"speaker_sd": 0.07, "token_sd": 0.05, "snr_db": (20.0, 40.0), "f0_range": True, "context": True,
             "duration_scale": 0.45, "rate_sd": 0.25, "min_vowel_ms": 40.0, "undershoot": 0.3,
             "tilt_db": (0.0, 20.0), "noise": "pink", "rt60_ms": (100.0, 500.0), "drr_db": (3.0, 15.0)},
}
HARD_SPEAKER_FACTOR = 2  # the hard variant: twice the speakers, half the tokens each (same corpus size)
# How many times the profile's epochs a variant's models train (unless --epochs says otherwise): on the hard
# corpus the cpu profile's 8 one-cycle epochs left vowel5 at 0.944 and voicing at 0.932, 12 gave 0.956 and
# 0.984 (docs/usage.md, "The hard corpus").
EPOCH_FACTOR: dict[str, float] = {"easy": 1.0, "hard": 1.5}


def variant(cfg: SyntheticConfig, name: str) -> SyntheticConfig:
    """The easy config ``cfg`` turned into variant ``name``; the hard one keeps the corpus size with
    ``HARD_SPEAKER_FACTOR`` times the speakers, each saying that many times fewer tokens."""
    if name not in VARIANTS:
        raise ValueError(f"unknown synthetic corpus variant {name!r}; known: {', '.join(VARIANTS)}")
    if cfg.variant != "easy":
        raise ValueError(f"variant() starts from an easy config, got variant {cfg.variant!r}")
    if name == "easy":
        return cfg
    k = HARD_SPEAKER_FACTOR
    return replace(cfg, variant=name, speakers_per_group=cfg.speakers_per_group * k,
                   vowel_tokens=-(-cfg.vowel_tokens // k), consonant_tokens=-(-cfg.consonant_tokens // k),
                   **VARIANTS[name])  # type: ignore[arg-type]


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
            tract = float(np.clip(1.0 + cfg.speaker_sd * rng.standard_normal(), 1.0 - 3 * cfg.speaker_sd,
                                  1.0 + 3 * cfg.speaker_sd))
            if cfg.f0_range:  # mean F0 anywhere in the group's typical range
                f0_scale = float(rng.uniform(*GROUP_F0_RANGE[group])) / GROUP_F0[group]
            else:
                f0_scale = float(np.exp(0.12 * rng.standard_normal()))
            out.append(Speaker(id=f"{group[0]}{i:02d}", group=group, tract_scale=tract, f0_scale=f0_scale))
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


def _voiced_source(n: int, f0: float, sr: int, rng: np.random.Generator,
                   tilt_db: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    contour = _f0_contour(n, f0, sr, rng)
    src = klatt.tilt(klatt.rosenberg_source(contour, sr, rng), tilt_db, sr)
    src = src + 0.02 * rng.standard_normal(n)  # breathiness
    return src, contour


def _vowel(spk: Speaker, label: str, cfg: SyntheticConfig, rng: np.random.Generator, *,
           before: str | None = None, after: str | None = None, tilt_db: float = 0.0):
    """A vowel token; ``before`` / ``after``: the neighbouring consonants in context (else random loci)."""
    sr = cfg.sample_rate
    f0_t, *fmts = VOWEL_TARGETS[spk.group][label]
    citation = VOWEL_DURATIONS_MS[spk.group][label] / 1000.0  # the /hVd/ mean
    dur = cfg.duration_scale * VOWEL_DURATIONS_MS[spk.group][label] / 1000.0 * float(
        np.exp(cfg.rate_sd * rng.standard_normal()))
    n = int(max(cfg.min_vowel_ms / 1000.0, dur) * sr)
    target = np.array(fmts, dtype=float) * spk.tract_scale * (1.0 + cfg.token_sd * rng.standard_normal(4))
    scale = spk.tract_scale * GROUP_FORMANT_SCALE[spk.group]
    if cfg.context and label == "uw" and before in CORONALS:  # /u/ fronted after coronals
        target[1] = rng.uniform(*UW_FRONTED_F2) * scale
    if cfg.undershoot:  # short vowels fall short of their targets, towards schwa (Lindblom 1963)
        u = cfg.undershoot * float(np.clip(1.0 - n / sr / citation, 0.0, 1.0))
        target = target + u * (np.array(SCHWA) * scale - target)
    target = np.sort(target)
    times = klatt.block_times(n, sr)
    nb = len(times)
    # formant transitions: from a consonant locus over the first 30 ms, towards one over the last 30 ms
    freqs = np.tile(np.append(target, F5[spk.group] * spk.tract_scale), (nb, 1))
    trans = int(0.03 / klatt.BLOCK_SECONDS)
    if cfg.context:
        trans = min(trans, nb // 2)
    for edge, neighbour in ((slice(0, trans), before), (slice(nb - trans, nb), after)):
        # locus equation (F2 onset = 0.6 F2 vowel + 0.4 consonant locus), F1 lowered by the closure
        if not cfg.context:
            place: int | None = int(rng.integers(len(F2_LOCI)))
        else:
            place = PLACE[neighbour] if neighbour is not None else None
        if place is None:  # /hh/ or an utterance edge: no oral constriction
            continue
        f2_locus = scale * F2_LOCI[place]
        locus = np.array([0.7 * target[0], 0.6 * target[1] + 0.4 * f2_locus,
                          target[2] * rng.uniform(0.96, 1.04), target[3]])
        w = np.linspace(1.0, 0.0, trans) if edge.start == 0 else np.linspace(0.0, 1.0, trans)
        w = w[: len(range(*edge.indices(nb)))]
        freqs[edge, :4] = locus * w[:, None] + target * (1.0 - w[:, None])
    bws = np.tile(np.array(BANDWIDTHS), (nb, 1))
    src, contour = _voiced_source(n, f0_t * spk.f0_scale, sr, rng, tilt_db)
    audio = klatt.radiate(klatt.cascade(src, freqs, bws, sr))
    block = int(round(klatt.BLOCK_SECONDS * sr))
    return audio, times, _per_block(contour, nb, block), freqs[:, :3]


def _nasal(spk: Speaker, label: str, cfg: SyntheticConfig, rng: np.random.Generator, *,
           tempo: float = 1.0, tilt_db: float = 0.0):
    sr = cfg.sample_rate
    n = int(rng.uniform(0.05, 0.09) * tempo * sr)
    scale = spk.tract_scale * GROUP_FORMANT_SCALE[spk.group]
    fm = np.array(NASAL_FORMANTS[label]) * scale * (1.0 + cfg.token_sd * rng.standard_normal(3))
    times = klatt.block_times(n, sr)
    nb = len(times)
    freqs = np.tile(fm, (nb, 1))
    bws = np.tile(np.array([60.0, 200.0, 300.0]), (nb, 1))
    src, contour = _voiced_source(n, GROUP_F0[spk.group] * spk.f0_scale, sr, rng, tilt_db)
    audio = klatt.radiate(klatt.cascade(src, freqs, bws, sr))
    audio = audio + klatt.lowpass(src, 400.0, sr) * 0.05  # low murmur
    block = int(round(klatt.BLOCK_SECONDS * sr))
    return audio, times, _per_block(contour, nb, block), freqs


def _obstruent(spk: Speaker, label: str, cfg: SyntheticConfig, rng: np.random.Generator, *,
               tempo: float = 1.0, tilt_db: float = 0.0, vowel: str | None = None):
    """Fricatives (voiceless, voiced), /hh/ and voiceless stops. Formants undefined (NaN).

    ``vowel``: the vowel after /hh/ in context, whose formants shape it (else a random one)."""
    sr = cfg.sample_rate
    scale = spk.tract_scale * GROUP_FORMANT_SCALE[spk.group]
    nan = np.nan
    if label in BURST_CENTRES:  # closure, burst, aspiration
        n_clo, n_bur, n_asp = (int(rng.uniform(a, b) * tempo * sr)
                               for a, b in ((0.03, 0.06), (0.005, 0.012), (0.03, 0.06)))
        c = BURST_CENTRES[label] * scale
        burst = klatt.band_noise(n_bur, 0.5 * c, 2.5 * c, sr, rng) * 3.0
        asp = klatt.band_noise(n_asp, 500.0, 6000.0, sr, rng) * np.linspace(1.0, 0.3, n_asp)
        audio = np.concatenate([0.01 * rng.standard_normal(n_clo), burst, asp])
    elif label == "hh":  # aspiration shaped by a following vowel's formants
        n = int(rng.uniform(0.05, 0.09) * tempo * sr)
        drawn = VOWELS[rng.integers(len(VOWELS))]
        fm = np.array(VOWEL_TARGETS[spk.group][vowel or drawn][1:]) * spk.tract_scale
        nb = len(klatt.block_times(n, sr))
        freqs = np.tile(np.append(fm, F5[spk.group]), (nb, 1))
        bws = np.tile(np.array(BANDWIDTHS) * 2.0, (nb, 1))
        audio = klatt.cascade(rng.standard_normal(n), freqs, bws, sr)
    else:
        n = int(rng.uniform(0.07, 0.13) * tempo * sr)
        lo, hi = FRICATION_BANDS[label]
        weak = 0.3 if label in ("f", "th", "v", "dh") else 1.0
        audio = klatt.band_noise(n, lo * scale, hi * scale, sr, rng) * weak
    n = len(audio)
    times = klatt.block_times(n, sr)
    f0 = np.full(len(times), nan)
    if label in VOICED_FRICATIVES:  # voice bar + frication modulated by the glottal cycle
        src, contour = _voiced_source(n, GROUP_F0[spk.group] * spk.f0_scale, sr, rng, tilt_db)
        voicing = klatt.lowpass(klatt.radiate(src), 700.0, sr)
        voicing *= 0.8 * np.sqrt(np.mean(audio**2)) / (np.sqrt(np.mean(voicing**2)) + 1e-12)
        audio = audio * (0.6 + 0.4 * src / (src.max() + 1e-12)) + voicing
        block = int(round(klatt.BLOCK_SECONDS * sr))
        f0 = _per_block(contour, len(times), block)
    return audio, times, f0, np.full((len(times), 3), nan)


def synthesize_segment(spk: Speaker, label: str, cfg: SyntheticConfig, rng: np.random.Generator,
                       token: int) -> Segment:
    """One token of ``label`` spoken by ``spk``, with its exact tracks (in context when ``cfg.context``)."""
    if cfg.context:
        return _in_context(spk, label, cfg, rng, token)
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


def _in_context(spk: Speaker, label: str, cfg: SyntheticConfig, rng: np.random.Generator, token: int) -> Segment:
    """``label`` inside a CVC (vowel) or VCV (consonant) utterance with one speaking rate and vocal effort,
    heard in a room with background noise; the token is cut out at its boundaries, as an aligned corpus is."""
    sr = cfg.sample_rate
    tempo = float(np.exp(cfg.rate_sd * rng.standard_normal()))
    tilt_db = float(rng.uniform(*cfg.tilt_db))

    def consonant(c: str, vowel: str | None = None):
        if c in NASAL_FORMANTS:
            return _nasal(spk, c, cfg, rng, tempo=tempo, tilt_db=tilt_db)
        return _obstruent(spk, c, cfg, rng, tempo=tempo, tilt_db=tilt_db, vowel=vowel)

    if label in VOWELS:
        c1, c2 = (CONSONANTS[i] for i in rng.integers(len(CONSONANTS), size=2))
        parts = [consonant(c1, label), _vowel(spk, label, cfg, rng, before=c1, after=c2, tilt_db=tilt_db),
                 consonant(c2)]
    else:
        v1, v2 = (VOWELS[i] for i in rng.integers(len(VOWELS), size=2))
        parts = [_vowel(spk, v1, cfg, rng, after=label, tilt_db=tilt_db), consonant(label, v2),
                 _vowel(spk, v2, cfg, rng, before=label, tilt_db=tilt_db)]
    levels = [0.0, CONSONANT_LEVEL_DB[label], 0.0] if label not in VOWELS else \
        [CONSONANT_LEVEL_DB[c1], 0.0, CONSONANT_LEVEL_DB[c2]]
    pieces = [klatt.ramp(part[0], sr, seconds=0.003) * 10.0 ** (db / 20.0) / _rms(part[0])
              for part, db in zip(parts, levels)]
    start = len(pieces[0])
    audio = np.concatenate(pieces)
    if cfg.rt60_ms[1] > 0:
        rt60 = float(rng.uniform(*cfg.rt60_ms)) / 1000.0
        audio = klatt.reverberate(audio, klatt.room_impulse_response(rt60, float(rng.uniform(*cfg.drr_db)), sr, rng))
    audio = klatt.add_noise(audio, float(rng.uniform(*cfg.snr_db)), rng, cfg.noise)
    audio = (0.5 * audio / (np.abs(audio).max() + 1e-12)).astype(np.float32)
    _, times, f0, fm = parts[1]
    utt = f"{spk.id}/{label}_{token:02d}"
    return Segment(
        id=utt, label=label, audio=audio[start:start + len(pieces[1])], sample_rate=sr, speaker=spk.id,
        group=spk.group, utterance=utt, tracks=Tracks(times=times, f0=f0, formants=fm, source="truth"),
        start=start / sr,
    )


# The corpora synthesised last in this process, by config: a study's grid of runs, `api` calls in a
# notebook and repeated runs in one process synthesise each corpus once (the cpu profile's takes ~3 s).
# Their arrays are read-only, so no caller can change what the next one gets.
_RECENT: dict[SyntheticConfig, Corpus] = {}
_RECENT_KEPT = 2


def synthesize(config: SyntheticConfig | None = None, *, progress: bool = False) -> Corpus:
    """The whole corpus for ``config``: every speaker says every vowel and consonant.

    Each (speaker, label, token) gets its own RNG stream derived from the seed, so a segment does
    not change when the corpus grows or another label is added. The result is deterministic, so the
    last few corpora are kept and returned again (their audio and tracks are read-only).
    """
    cfg = config or SyntheticConfig()
    if cfg.variant not in VARIANTS:
        raise ValueError(f"unknown synthetic corpus variant {cfg.variant!r}; known: {', '.join(VARIANTS)}")
    corpus = _RECENT.pop(cfg, None)
    if corpus is None:
        corpus = _synthesize(cfg, progress)
    _RECENT[cfg] = corpus  # most recent last
    while len(_RECENT) > _RECENT_KEPT:
        del _RECENT[next(iter(_RECENT))]
    return corpus


def _synthesize(cfg: SyntheticConfig, progress: bool) -> Corpus:
    from ...runtime.progress import progress_bar

    # a variant other than the easy one draws its speakers and tokens from streams of its own
    stream = [] if cfg.variant == "easy" else [list(VARIANTS).index(cfg.variant)]
    speakers = make_speakers(cfg, np.random.default_rng([cfg.seed, 0, *stream]))
    jobs = [(s, lab, k) for s in speakers for lab in VOWELS for k in range(cfg.vowel_tokens)]
    jobs += [(s, lab, k) for s in speakers for lab in CONSONANTS for k in range(cfg.consonant_tokens)]
    segments = []
    for spk, label, k in progress_bar(jobs, desc="synthesising corpus", unit="seg", enabled=progress):
        key = [cfg.seed, 1, int(spk.id[1:]), GROUPS.index(spk.group), _label_key(label), k, *stream]
        segments.append(_read_only(synthesize_segment(spk, label, cfg, np.random.default_rng(key), k)))
    name = "synthetic" if cfg.variant == "easy" else f"synthetic-{cfg.variant}"
    return Corpus(name=name, segments=tuple(segments), description=f"embedded Klatt-style synthetic corpus, {cfg}")


def _read_only(segment: Segment) -> Segment:
    for array in (segment.audio, segment.tracks.times, segment.tracks.f0, segment.tracks.formants):
        array.flags.writeable = False
    return segment


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) + 1e-12


def _label_key(label: str) -> int:
    return int.from_bytes(label.encode(), "little")
