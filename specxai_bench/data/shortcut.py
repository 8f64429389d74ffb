"""The controlled shortcut task: a class-specific narrow band planted in the audio, so the cue is known.

Every segment of class k gets narrow-band noise centred at ``centres_hz[k]`` (all above 4 kHz),
``width_hz`` wide, at ``level_db`` relative to the segment's RMS, added to its audio before the
spectrogram is taken (the normal librosa path: the band reaches the image like any sound). Classes
are dealt to vowel segments independently of the vowel (per speaker: equal counts per class, each
vowel's tokens spread over the classes), so the planted band is the only cue the labels carry, and
what the model must use is known exactly. The dealing of segments to classes is in
:mod:`.splits` (``select_shortcut``); the model-side band removal test in :mod:`..model.checks`.
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
    """The planted bands: one centre per class (Hz), their width and level (frozen: part of cache keys)."""

    centres_hz: tuple[float, ...]
    width_hz: float = 100.0  # the band spans centre +- width / 2
    level_db: float = -20.0  # band RMS relative to the segment's RMS

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

    def check_sample_rate(self, sample_rate: int) -> None:
        top = max(self.centres_hz) + self.width_hz / 2
        if top >= sample_rate / 2:
            raise DataError(f"shortcut bands reach {top:g} Hz, at or above the Nyquist frequency "
                            f"{sample_rate / 2:g} Hz of this corpus")

    def as_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


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


def plant(segment: Segment, spec: ShortcutSpec, cls: int, seed: int) -> Segment:
    """``segment`` with class ``cls``'s band added to its audio (seeded by the seed and the segment id)."""
    audio = np.asarray(segment.audio, dtype=np.float64)
    rng = np.random.default_rng([seed, 17, zlib.crc32(segment.id.encode())])
    centre, width = spec.band(cls)
    rms = float(np.sqrt(np.mean(audio**2))) if audio.size else 0.0
    noise = band_noise(len(audio), segment.sample_rate, centre, width, rng) * (rms or 1e-3) * 10 ** (spec.level_db / 20)
    return replace(segment, audio=(audio + noise).astype(np.float32))
