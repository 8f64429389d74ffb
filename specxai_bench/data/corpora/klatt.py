"""Source-filter building blocks in the Klatt (1980) tradition, and the room around the talker.

A Rosenberg glottal pulse train (F0 contour, jitter, shimmer) or a noise source, a cascade of
second-order resonators whose frequencies move in 5 ms blocks, and first-difference radiation.
scipy's ``lfilter`` does the filtering; time-varying formants are handled by carrying the
filter state from block to block, so one segment costs a few hundred vectorised calls.
Vocal effort is Klatt's spectral tilt of the source (``tilt``); a room is an exponentially
decaying noise tail behind the direct sound (``room_impulse_response``, Schroeder's
statistical model), and background noise is white or pink (``add_noise``).
"""

from __future__ import annotations

import numpy as np
import scipy  # scipy.signal loads on first use: `list profiles` reads the corpus config cheaply

BLOCK_SECONDS = 0.005


def rosenberg_source(
    f0: np.ndarray, sr: int, rng: np.random.Generator, *, jitter: float = 0.01, shimmer: float = 0.04,
    open_quotient: float = 0.6,
) -> np.ndarray:
    """Glottal flow (Rosenberg 1971 shape) for a per-sample F0 contour [N] in Hz.

    Jitter perturbs each period's length, shimmer its amplitude (relative SDs).
    """
    n_periods_est = int(np.sum(f0) / sr) + 4
    period_scale = 1.0 + jitter * rng.standard_normal(n_periods_est)
    phase = np.cumsum(f0 / sr)
    idx = np.minimum(phase.astype(np.int64), n_periods_est - 1)
    # jitter: stretch phase within each period (keeps the pulse shape, moves its length)
    frac = np.clip((phase - idx) * period_scale[idx], 0.0, 1.0)
    tp, tn = 0.66 * open_quotient, 0.34 * open_quotient
    pulse = np.where(
        frac < tp,
        0.5 * (1.0 - np.cos(np.pi * frac / tp)),
        np.where(frac < tp + tn, np.cos(0.5 * np.pi * (frac - tp) / tn), 0.0),
    )
    amp = 1.0 + shimmer * rng.standard_normal(n_periods_est)
    return pulse * amp[idx]


def resonator_coefficients(freq: float, bw: float, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Klatt's digital resonator: unity gain at DC, pole pair at ``freq`` with bandwidth ``bw``."""
    t = 1.0 / sr
    c = -np.exp(-2.0 * np.pi * bw * t)
    b = 2.0 * np.exp(-np.pi * bw * t) * np.cos(2.0 * np.pi * freq * t)
    a = 1.0 - b - c
    return np.array([a]), np.array([1.0, -b, -c])


def cascade(
    source: np.ndarray, freqs: np.ndarray, bws: np.ndarray, sr: int
) -> np.ndarray:
    """Filter ``source`` through resonators whose frequencies [n_blocks, K] change every block."""
    block = max(1, int(round(BLOCK_SECONDS * sr)))
    y = source.astype(np.float64)
    n = len(y)
    n_blocks, n_res = freqs.shape
    nyq = sr / 2.0
    for k in range(n_res):
        out = np.empty_like(y)
        y1 = y2 = 0.0  # the resonator's last two outputs
        for b in range(n_blocks):
            lo, hi = b * block, min((b + 1) * block, n)
            if lo >= n:
                break
            f = min(freqs[b, k], 0.95 * nyq)
            num, den = resonator_coefficients(f, bws[b, k], sr)
            # Klatt's y[n] = A x[n] + B y[n-1] + C y[n-2] carries past outputs across a coefficient
            # change; lfilter's transposed state folds the old B, C in and would click (28x peaks)
            zi = np.array([-den[1] * y1 - den[2] * y2, -den[2] * y1])
            out[lo:hi] = scipy.signal.lfilter(num, den, y[lo:hi], zi=zi)[0]
            y1, y2 = (out[hi - 1], out[hi - 2]) if hi - lo >= 2 else (out[hi - 1], y1)
        y = out
    return y


def radiate(x: np.ndarray) -> np.ndarray:
    """Lip radiation as a first difference (+6 dB/octave)."""
    return np.diff(x, prepend=x[:1])


def band_noise(n: int, low: float, high: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise band-passed to [low, high] Hz (4th-order Butterworth)."""
    nyq = sr / 2.0
    high = min(high, 0.97 * nyq)
    low = min(max(low, 20.0), 0.9 * high)
    sos = scipy.signal.butter(4, [low / nyq, high / nyq], btype="band", output="sos")
    return scipy.signal.sosfilt(sos, rng.standard_normal(n))


def lowpass(x: np.ndarray, cutoff: float, sr: int) -> np.ndarray:
    sos = scipy.signal.butter(4, cutoff / (sr / 2.0), btype="low", output="sos")
    return scipy.signal.sosfilt(sos, x)


def ramp(x: np.ndarray, sr: int, seconds: float = 0.005) -> np.ndarray:
    """Raised-cosine onset and offset so segment edges do not click."""
    m = min(len(x) // 2, max(1, int(seconds * sr)))
    w = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, m))
    x = x.copy()
    x[:m] *= w
    x[len(x) - m:] *= w[::-1]
    return x


def add_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator, colour: str = "white") -> np.ndarray:
    """Background noise at ``snr_db`` relative to the signal's RMS: ``white`` or ``pink`` (-3 dB/octave)."""
    rms = float(np.sqrt(np.mean(x**2))) or 1e-6
    noise = rng.standard_normal(len(x))
    if colour == "pink":
        noise = pink(noise)
    elif colour != "white":
        raise ValueError(f"noise colour must be white or pink, got {colour!r}")
    return x + noise * rms * 10.0 ** (-snr_db / 20.0)


def pink(white: np.ndarray) -> np.ndarray:
    """White noise shaped to a 1/f power spectrum (amplitude 1/sqrt(f)) with unit RMS."""
    spec = np.fft.rfft(white)
    f = np.arange(len(spec), dtype=np.float64)
    spec = spec / np.sqrt(np.maximum(f, 1.0))
    out = np.fft.irfft(spec, n=len(white))
    return out / (np.sqrt(np.mean(out**2)) + 1e-12)


def tilt(x: np.ndarray, db_at_3k: float, sr: int) -> np.ndarray:
    """Klatt's source spectral tilt (TL): a one-pole low-pass, 0 dB at DC and ``db_at_3k`` dB down at 3 kHz.

    Soft or breathy voice has a steep tilt (up to ~20-25 dB), loud pressed voice almost none.
    """
    if db_at_3k <= 0:
        return x
    g2 = 10.0 ** (-db_at_3k / 10.0)  # |H(3 kHz)|^2
    c = np.cos(2.0 * np.pi * 3000.0 / sr)
    # (1 - a)^2 = g2 (1 - 2 a c + a^2), the root in [0, 1)
    qa, qb = 1.0 - g2, 1.0 - g2 * c
    a = (qb - np.sqrt(qb**2 - qa**2)) / qa
    return scipy.signal.lfilter([1.0 - a], [1.0, -a], x)


def room_impulse_response(rt60: float, drr_db: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A room: the direct sound (a unit impulse) and, from 2.5 ms on, Gaussian noise decaying by 60 dB in
    ``rt60`` seconds, scaled so the direct-to-reverberant energy ratio is ``drr_db``."""
    start = int(0.0025 * sr)
    n = max(start + 1, int(1.2 * rt60 * sr))
    t = np.arange(n - start) / sr
    tail = rng.standard_normal(n - start) * np.exp(-3.0 * np.log(10.0) * t / rt60)
    tail *= np.sqrt(10.0 ** (-drr_db / 10.0) / (np.sum(tail**2) + 1e-12))
    h = np.zeros(n)
    h[0] = 1.0
    h[start:] = tail
    return h


def reverberate(x: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """``x`` heard in the room ``rir`` (same length: the tail past the end is cut)."""
    return scipy.signal.fftconvolve(x, rir)[: len(x)]


def block_times(n_samples: int, sr: int) -> np.ndarray:
    """Centres (s) of the formant-update blocks covering ``n_samples``."""
    block = max(1, int(round(BLOCK_SECONDS * sr)))
    n_blocks = int(np.ceil(n_samples / block))
    return (np.arange(n_blocks) * block + block / 2.0) / sr
