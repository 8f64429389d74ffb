"""Linguistic masks on the image grid, built from each sample's tracks through the FrequencyAxis."""

from __future__ import annotations

import numpy as np

from ..spectrogram import FrequencyAxis


def formant_half_width(formants: np.ndarray, min_hz: float = 100.0, rel: float = 0.1) -> np.ndarray:
    """w_k = max(min_hz, rel * F_k), elementwise (NaN stays NaN)."""
    return np.maximum(min_hz, rel * formants)


def formant_mask(formants: np.ndarray, axis: FrequencyAxis, which: tuple[int, ...] = (1, 2, 3),
                 min_hz: float = 100.0, rel: float = 0.1) -> np.ndarray:
    """Boolean [B, H, W]: row i, column t lies within w_k of F_k(t) for some k in ``which``.

    ``formants`` is [B, W, 3] (F1..F3 per column, NaN where undefined: such columns are False).
    """
    f = formants[..., [k - 1 for k in which]]  # [B, W, K]
    w = formant_half_width(f, min_hz, rel)
    centres = axis.centres()[None, :, None, None]  # [1, H, 1, 1]
    with np.errstate(invalid="ignore"):
        near = np.abs(centres - f[:, None]) <= w[:, None]  # [B, H, W, K]; NaN compares False
    return near.any(-1)


def band_rows(axis: FrequencyAxis, lo: float, hi: float) -> np.ndarray:
    """Boolean [H]: rows whose centre lies in [lo, hi)."""
    return axis.rows_between(lo, hi)


def band_of_row(n_rows: int, n_bands: int) -> np.ndarray:
    """[n_rows] int: the band (0 = lowest) of each row, for ``n_bands`` bands of (near) equal rows.

    Rows are equal-width in Hz (FrequencyAxis), so equal-row bands are equal-Hz bands; when
    ``n_bands`` does not divide ``n_rows`` the bands differ by at most one row.
    """
    if not 1 <= n_bands <= n_rows:
        raise ValueError(f"need 1 <= n_bands <= rows; got {n_bands} bands for {n_rows} rows")
    return np.arange(n_rows) * n_bands // n_rows
