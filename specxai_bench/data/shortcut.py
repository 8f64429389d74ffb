"""The controlled shortcut tasks: a class-specific narrow band planted in the audio, so the cue is known.

Every segment of class k gets narrow-band noise centred at ``centres_hz[k]`` (all above 4 kHz),
``width_hz`` wide, at ``level_db`` relative to the segment's RMS, added to its audio before the
spectrogram is taken (the normal librosa path: the band reaches the image like any sound). Classes
are dealt to vowel segments independently of the vowel (per speaker: equal counts per class, each
vowel's tokens spread over the classes), so the planted band is the only cue the labels carry, and
what the model must use is known exactly. The dealing of segments to classes is in
:mod:`.splits` (``select_shortcut``); the model-side band removal test in :mod:`..model.checks`.

The time x frequency variant (``tf-shortcut``, ``burst_ms`` set) plants the class band as a short
burst at a random time inside the segment instead, plus a **decoy** burst of the same length and
level in a band no class uses (``decoy_hz``) at another random time: a map that highlights any
burst loses mass to the decoy. Each sample's ground truth is then a time x frequency box
(:func:`cue_boxes`; on the image grid through :mod:`.boxes`). Times and noise are drawn from
separate seeded streams, so the audio with the cue removed (or the decoy removed) differs from
the trained-on audio by exactly that burst (the per-sample intervention check in
:mod:`..model.checks`).
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from ..errors import DataError
from .corpora.base import Segment


@dataclass(frozen=True)
class ShortcutSpec:
    """The planted bands: one centre per class (Hz), their width and level (frozen: part of cache keys).

    ``burst_ms`` None: a steady band over the whole segment (``shortcut``); else a burst that long
    at a random time (``tf-shortcut``), with ``ramp_ms`` raised-cosine ramps, and a decoy burst
    centred at ``decoy_hz`` (None: no decoy). ``level_db`` is the band's (burst's) RMS over its own
    duration relative to the segment's RMS.
    """

    centres_hz: tuple[float, ...]
    width_hz: float = 100.0  # the band spans centre +- width / 2
    level_db: float = -20.0  # band RMS relative to the segment's RMS
    burst_ms: float | None = None
    decoy_hz: float | None = None
    ramp_ms: float = 5.0  # only used with burst_ms

    def band(self, cls: int) -> tuple[float, float]:
        """(centre, width) in Hz of class ``cls``'s band."""
        return float(self.centres_hz[cls]), float(self.width_hz)

    def bands(self, classes: np.ndarray) -> np.ndarray:
        """[N, 2] (centre, width) Hz per class index; NaN rows for a negative index (nothing planted)."""
        classes = np.asarray(classes, dtype=np.int64)
        out = np.full((len(classes), 2), np.nan)
        ok = classes >= 0
        out[ok, 0] = np.asarray(self.centres_hz, dtype=np.float64)[classes[ok]]
        out[ok, 1] = self.width_hz
        return out

    @property
    def timed(self) -> bool:
        """A burst at a random time (tf-shortcut), not a steady band."""
        return self.burst_ms is not None

    def check_sample_rate(self, sample_rate: int) -> None:
        top = max(self.centres_hz + ((self.decoy_hz,) if self.decoy_hz is not None else ())) + self.width_hz / 2
        if top >= sample_rate / 2:
            raise DataError(f"shortcut bands reach {top:g} Hz, at or above the Nyquist frequency "
                            f"{sample_rate / 2:g} Hz of this corpus")

    def as_dict(self) -> dict[str, Any]:
        """The fields (the burst fields only for a timed spec: a steady spec's hash is unchanged by them)."""
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if not self.timed:
            for key in ("burst_ms", "decoy_hz", "ramp_ms"):
                out.pop(key)
        return out


def band_noise(n: int, sample_rate: int, centre_hz: float, width_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with its spectrum cut to [centre - width/2, centre + width/2] (FFT brick wall), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    spec[np.abs(freqs - centre_hz) > width_hz / 2] = 0.0
    x = np.fft.irfft(spec, n)
    rms = float(np.sqrt(np.mean(x**2)))
    if rms == 0.0:  # a segment too short for any FFT bin to fall inside the band: one steady sinusoid
        t = np.arange(n) / sample_rate
        x, rms = np.sin(2 * np.pi * centre_hz * t + rng.uniform(0, 2 * np.pi)), np.sqrt(0.5)
    return x / rms


def plant(segment: Segment, spec: ShortcutSpec, cls: int, seed: int, *, cue: bool = True,
          decoy: bool = True) -> Segment:
    """``segment`` with class ``cls``'s band added to its audio (seeded by the seed and the segment id).

    A timed spec adds the cue burst and the decoy burst; ``cue=False`` / ``decoy=False`` leave one
    out (the rest of the audio is bit-identical). A steady spec has no decoy; ``cue=False`` returns
    the segment unchanged.
    """
    if spec.timed:
        return _plant_bursts(segment, spec, cls, seed, cue=cue, decoy=decoy)
    if not cue:
        return segment
    audio = np.asarray(segment.audio, dtype=np.float64)
    rng = np.random.default_rng([seed, 17, zlib.crc32(segment.id.encode())])
    centre, width = spec.band(cls)
    rms = float(np.sqrt(np.mean(audio**2))) if audio.size else 0.0
    noise = band_noise(len(audio), segment.sample_rate, centre, width, rng) * (rms or 1e-3) * 10 ** (spec.level_db / 20)
    return replace(segment, audio=(audio + noise).astype(np.float32))


def burst_onsets(segment: Segment, spec: ShortcutSpec, seed: int) -> tuple[float, float]:
    """(cue onset, decoy onset) in seconds from the segment's start, drawn once per segment and seed.

    Where two bursts fit (duration >= 2 bursts) they never overlap in time: the pair is placed
    uniformly among the non-overlapping placements (two onsets drawn in [0, duration - 2 bursts],
    sorted, the later shifted by one burst; which one is the cue is a coin flip). In a shorter
    segment both onsets are uniform in [0, duration - burst], independently.
    """
    assert spec.burst_ms is not None
    rng = np.random.default_rng([seed, 29, zlib.crc32(segment.id.encode())])
    dur = segment.duration
    burst = min(spec.burst_ms / 1000.0, dur)
    free = dur - 2 * burst
    if free >= 0:
        first, second = np.sort(rng.uniform(0.0, free, 2))
        first, second = float(first), float(second) + burst
        return (first, second) if rng.uniform() < 0.5 else (second, first)
    room = dur - burst
    return float(rng.uniform(0.0, room)), float(rng.uniform(0.0, room))


def cue_boxes(segment: Segment, spec: ShortcutSpec, cls: int, seed: int) -> np.ndarray:
    """[2, 4]: the cue's and the decoy's box (t0 s, t1 s, low Hz, high Hz) in this segment.

    A steady band spans the whole segment; the decoy row is NaN where there is none.
    """
    centre, width = spec.band(cls)
    out = np.full((2, 4), np.nan)
    if not spec.timed:
        out[0] = (0.0, segment.duration, centre - width / 2, centre + width / 2)
        return out
    burst = min(spec.burst_ms / 1000.0, segment.duration)
    cue, decoy = burst_onsets(segment, spec, seed)
    out[0] = (cue, cue + burst, centre - width / 2, centre + width / 2)
    if spec.decoy_hz is not None:
        out[1] = (decoy, decoy + burst, spec.decoy_hz - width / 2, spec.decoy_hz + width / 2)
    return out


def _plant_bursts(segment: Segment, spec: ShortcutSpec, cls: int, seed: int, *, cue: bool, decoy: bool) -> Segment:
    audio = np.asarray(segment.audio, dtype=np.float64)
    sr = segment.sample_rate
    rng = np.random.default_rng([seed, 23, zlib.crc32(segment.id.encode())])
    rms = float(np.sqrt(np.mean(audio**2))) if audio.size else 0.0
    gain = (rms or 1e-3) * 10 ** (spec.level_db / 20)
    out = audio.copy()
    boxes = cue_boxes(segment, spec, cls, seed)
    # both bursts' noise is always drawn, in this order, so leaving one out changes nothing else
    for box, keep in ((boxes[0], cue), (boxes[1], decoy)):
        if not np.isfinite(box).all():
            continue
        start = int(round(box[0] * sr))
        n = max(1, min(int(round((box[1] - box[0]) * sr)), len(audio) - start))
        burst = band_noise(n, sr, (box[2] + box[3]) / 2, box[3] - box[2], rng) * _envelope(n, spec.ramp_ms, sr) * gain
        if keep:
            out[start:start + n] += burst
    return replace(segment, audio=out.astype(np.float32))


def _envelope(n: int, ramp_ms: float, sample_rate: int) -> np.ndarray:
    """1 inside, raised-cosine ramps of ``ramp_ms`` at both ends (at most a third of the burst each)."""
    r = min(int(round(ramp_ms / 1000.0 * sample_rate)), n // 3)
    env = np.ones(n)
    if r > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(r) + 0.5) / r)
        env[:r], env[n - r:] = ramp, ramp[::-1]
    return env
