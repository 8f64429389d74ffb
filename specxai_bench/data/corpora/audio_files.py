"""Reading an aligned corpus's audio files: samples, channels, sample rate, digital silence, and the
.PHN sample-rate check. Bad files raise DataError naming the file and what to do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from ...errors import DataError

MIN_SAMPLE_RATE = 4000  # Hz: below this a file's header is wrong (no speech corpus is sampled that low)
SILENCE_RANGE = 2.0 / 32768  # peak-to-peak range at or below which a stretch of audio is digital silence


def read_audio(path: Path) -> tuple[np.ndarray, int, int]:
    """(mono float32 samples, sample rate, original channel count); DataError if unusable."""
    data, sr = read_channels(path)
    return mix_down(data), sr, data.shape[1]


def read_channels(path: Path) -> tuple[np.ndarray, int]:
    """(float32 samples [N, channels], sample rate); DataError if unusable or implausible."""
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError, ValueError, OSError, EOFError) as e:
        raise DataError(f"{path}: not readable audio ({e}): re-encode it as PCM WAV or remove it "
                        "together with its alignment") from e
    if data.shape[0] == 0:
        raise DataError(f"{path}: audio file holds no samples: re-export it or remove it with its alignment")
    if not np.isfinite(data).all():
        raise DataError(f"{path}: audio holds NaN or infinite samples: re-export it as PCM WAV")
    if sr < MIN_SAMPLE_RATE:
        raise DataError(f"{path}: sample rate {sr} Hz is implausible for speech (below {MIN_SAMPLE_RATE} Hz): "
                        "the file's header is probably wrong; re-export it with its true sample rate")
    return data, int(sr)


def mix_down(data: np.ndarray) -> np.ndarray:
    """Mono float32 from [N, channels] (the mean of the channels)."""
    mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
    return np.ascontiguousarray(mono, dtype=np.float32)


def is_silent(audio: np.ndarray) -> bool:
    """Digital silence: no sample differs from another by more than one 16-bit step (constant
    audio, an offset included; quiet speech with dither is far above this)."""
    return audio.size == 0 or float(np.ptp(audio)) <= SILENCE_RANGE


COMMON_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)


def phn_rate_warning(end: float, duration: float, rate: int, native_sr: int) -> str | None:
    """The load-report warning for a .PHN whose last interval ends before 80 % of its audio, naming
    the sample rate its offsets fit; None when it reaches further."""
    if duration <= 0 or end >= 0.8 * duration:
        return None
    fits = [r for r in COMMON_RATES if abs(end / duration * rate - r) <= 0.02 * r and r != rate]
    guess = f" they fit {fits[0]} Hz: if so, pass --phn-rate {fits[0]}" if fits else \
        " if they count samples at another rate, give it with --phn-rate"
    return (f".PHN alignment ends well before its audio (read at {rate} Hz, the intervals cover "
            f"{round(100 * end / duration, -1):.0f} % of it):{guess}")
