"""Spectrogram images with an exact frequency axis.

librosa computes the STFT power; rows and columns are then resampled onto the image grid by
area-weighted averaging (exact bin overlap), so every row covers a known Hz interval. Row 0 is
the lowest frequency (flip only when plotting). Every frequency-based metric goes through
:class:`FrequencyAxis`; nobody computes "row = Hz * 224 / 4000" by hand elsewhere.

Time is stretched: each segment's frames are resampled to ``image_size`` columns whatever its
duration, as in the study. Frequency rows stay exact (what the metrics need); duration is lost
as a cue.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import librosa
import numpy as np

from ..errors import DataError
from .corpora.base import Segment


@dataclass(frozen=True)
class FrequencyAxis:
    """Rows of an image evenly covering [fmin, fmax) Hz; row 0 is the lowest band."""

    fmin: float
    fmax: float
    n_rows: int

    @property
    def row_hz(self) -> float:
        return (self.fmax - self.fmin) / self.n_rows

    def edges(self) -> np.ndarray:
        """Row boundaries in Hz, [n_rows + 1]."""
        return np.linspace(self.fmin, self.fmax, self.n_rows + 1)

    def centres(self) -> np.ndarray:
        """Centre frequency of each row in Hz, [n_rows]."""
        return self.fmin + (np.arange(self.n_rows) + 0.5) * self.row_hz

    def row_of(self, hz: float | np.ndarray) -> np.ndarray:
        """Row index containing each frequency; -1 where outside [fmin, fmax)."""
        hz = np.asarray(hz, dtype=np.float64)
        row = np.floor((hz - self.fmin) / self.row_hz).astype(np.int64)
        return np.where((hz >= self.fmin) & (hz < self.fmax), row, -1)

    def rows_below(self, hz: float) -> np.ndarray:
        """Boolean [n_rows]: rows whose centre lies below ``hz``."""
        return self.centres() < hz

    def rows_between(self, lo: float, hi: float) -> np.ndarray:
        c = self.centres()
        return (c >= lo) & (c < hi)

    def rescaled(self, n_rows: int) -> "FrequencyAxis":
        """The same band on another number of rows (e.g. a coarse CAM grid: 7 rows)."""
        return FrequencyAxis(self.fmin, self.fmax, n_rows)


@dataclass(frozen=True)
class SpectrogramConfig:
    """STFT and image parameters (frozen: part of every cache key)."""

    n_fft: int = 1024
    win_length: int = 512
    hop_length: int = 64
    top_db: float = 80.0
    image_size: int = 224
    fmax: float | None = None  # None: Nyquist (full band)

    def axis(self, sample_rate: int) -> FrequencyAxis:
        fmax = sample_rate / 2.0 if self.fmax is None else float(self.fmax)
        if fmax > sample_rate / 2.0:
            raise ValueError(f"band limit {fmax} Hz is above the Nyquist frequency {sample_rate / 2} Hz")
        return FrequencyAxis(0.0, fmax, self.image_size)


def overlap_matrix(src_edges: np.ndarray, dst_edges: np.ndarray) -> np.ndarray:
    """[n_dst, n_src] weights: share of each destination cell covered by each source cell.

    Rows sum to 1 where the destination lies inside the source range. Averaging by overlap
    (rather than point interpolation) keeps energy when downsampling and is exact bin geometry.
    """
    lo = np.maximum(dst_edges[:-1, None], src_edges[None, :-1])
    hi = np.minimum(dst_edges[1:, None], src_edges[None, 1:])
    w = np.clip(hi - lo, 0.0, None)
    s = w.sum(1, keepdims=True)
    return np.divide(w, s, out=np.zeros_like(w), where=s > 0)


@lru_cache(maxsize=16)
def _frequency_weights(sample_rate: int, n_fft: int, axis: FrequencyAxis) -> np.ndarray:
    bin_hz = sample_rate / n_fft
    centres = np.arange(n_fft // 2 + 1) * bin_hz
    src_edges = np.concatenate([[0.0], centres[:-1] + bin_hz / 2, [centres[-1]]])
    return overlap_matrix(src_edges, axis.edges()).astype(np.float32)


def fitting_fft_size(n_samples: int, n_fft: int) -> int:
    """``n_fft``, or for a segment shorter than it the largest power of two that fits (at least 16):
    an FFT longer than the signal only pads it (librosa warns), and rows are resampled by exact bin
    overlap whatever the bin width."""
    if n_samples >= n_fft:
        return n_fft
    return max(16, 1 << max(0, int(n_samples).bit_length() - 1))


def spectrogram_image(segment: Segment, config: SpectrogramConfig) -> tuple[np.ndarray, FrequencyAxis]:
    """Image [H, W] in [0, 1] (dB relative to the image's maximum, clipped at -top_db) and its axis."""
    audio = np.asarray(segment.audio, dtype=np.float32)
    if audio.size == 0 or not np.isfinite(audio).all():
        raise DataError(f"segment {segment.id} (utterance {segment.utterance}): audio is empty or not finite: "
                        "re-export the recording or remove it from the corpus")
    axis = config.axis(segment.sample_rate)
    n_fft = fitting_fft_size(len(audio), config.n_fft)
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range audio gives a non-finite image: checked later
        power = np.abs(librosa.stft(audio, n_fft=n_fft, hop_length=config.hop_length,
                                    win_length=min(config.win_length, n_fft), center=True)) ** 2
        fw = _frequency_weights(segment.sample_rate, n_fft, axis)
        n_frames = power.shape[1]
        tw = overlap_matrix(np.linspace(0.0, 1.0, n_frames + 1),
                            np.linspace(0.0, 1.0, config.image_size + 1)).astype(np.float32)
        banded = fw @ power.astype(np.float32) @ tw.T
        db = librosa.power_to_db(banded, ref=np.max, top_db=config.top_db)
    return ((db + config.top_db) / config.top_db).astype(np.float32), axis
