"""Row-wise correlations of score matrices, shared by the metrics that compare two series per sample."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of a [B, N] with the same row of b; NaN for a constant row."""
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    den = np.sqrt((a**2).sum(1) * (b**2).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(1) / np.where(den > 0, den, 1.0), np.nan)


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of a [B, N] with the same row of b (Pearson of the ranks)."""
    return pearson_rows(rankdata(a, axis=1), rankdata(b, axis=1))
